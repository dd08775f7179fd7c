"""The dialog engine: pure functions from (dialog, position, answer) to an outcome.

It sends nothing, stores nothing and reads no clock: the core keeps the :class:`Position` in the
conversation state, shows the :class:`Screen` that :func:`screen` describes, and hands what the user
did to :func:`advance` as an :class:`Answer`. The :class:`Outcome` says where to go, which results to
store and what to tell the user; bad input is a :class:`Problem`, never an exception.

A run of a module or a survey::

    position, selection = begin(dialog), ()
    while position is not None:
        show(screen(dialog, position, lang, selection=selection, now=now))
        outcome = advance(dialog, position, answer, lang, now, previous, selection=selection)
        if outcome.problem: re-ask (same position, nothing recorded)
        else: store outcome.results; previous |= {r.key: r.category for r in outcome.results}
        if outcome.alert: tell the programme staff
        position, selection = outcome.position, outcome.selection

Some questions take more than one press: a ``multi`` question ticks and unticks choices until
"Done", and the date picker shows a page of months, then the days of the month picked. The engine
keeps no state, so the outcome of such a press keeps the position and carries a ``selection``
(a tuple of short strings: the ticked choice ids, the page or month of the picker); the core
stores it as it is and passes it back to :func:`screen` and :func:`advance` until the position
moves (then the selection is ``()`` again). On a problem the selection comes back unchanged.

Buttons carry ``m:{dialog_id}:{node_id}:{value}`` (:class:`StepButton`): the value is a choice
id, a rating value, ``yes`` / ``no``, ``done`` (a multi), ``skip`` (an optional question), a
picker's page (``p1``), month (``2026-03``) or day (``2026-03-14``), or ``next`` on an information
node. The core should ignore (or re-show the current screen for) a button whose dialog and node
are not the current position: it belongs to an earlier message.

Stale positions: when a dialog is edited, a stored position may name a node that no longer
exists. :func:`is_stale` tells; :func:`screen` raises :class:`StalePosition` for one (the core
checks first or catches it), and :func:`advance` returns ``Problem.STALE`` with the position moved
back to the dialog's start and no results, so the core can say the module changed and show it again.
A selection that no longer fits its question (a choice removed) is ignored, never an error.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from bot.basics.buttons import ButtonData
from bot.basics.errors import AssistantError
from bot.basics.lang import Lang
from dialogs.model import DONE as DONE
from dialogs.model import NO as NO
from dialogs.model import SKIP as SKIP
from dialogs.model import YES as YES
from dialogs.model import (
    Ask,
    AskType,
    Choice,
    Dialog,
    Labels,
    Node,
    Precision,
    Span,
    shipped_labels,
)

NEXT = "next"
COMPLETED = "completed"
CORRECT, INCORRECT = "correct", "incorrect"
SKIPPED = "skipped"
"""The category of a skipped optional question (its value is ``""``)."""
DETRACTOR, PASSIVE, PROMOTER = "detractor", "passive", "promoter"
"""The categories of an nps answer: 0-6, 7-8, 9-10."""
MAX_TEXT_CHARS = 1000
"""A typed answer to a text question is kept up to this many characters."""
MAX_NUMBER_CHARS = 30
"""A longer "number" is not one (and Python refuses to print integers of over 4300 digits)."""

TICKED, UNTICKED = "☑ ", "☐ "
"""The marks before the label of a multi question's choice."""
MONTHS_PER_PAGE = 6
MAX_DATE_PAGES = 20
"""The date picker pages through ten years of months; earlier or later dates are typed."""
MONTHS_PER_ROW = 3
BUTTONS_PER_ROW = 8
"""The most buttons in a row of a grid (the days of a month, a scale)."""
LONGEST_PICKER_VALUE = "2026-12-31"
"""The longest value a date picker's button carries (a day), for the button data check."""

_PAGE = re.compile(r"p([0-9]{1,2})")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


@dataclass(frozen=True, slots=True)
class StepButton(ButtonData, prefix="m"):
    """The data of a dialog step's button, ``m:{dialog_id}:{node_id}:{value}``: the value is a
    choice id, a rating value, ``next``, or one of the values in the module docstring."""

    dialog_id: str
    node_id: str
    value: str


@dataclass(frozen=True, slots=True)
class ResultRecorded:
    """A named result of a dialog (quiz answer, survey answer, completion): the event the core
    passes on for the host to store."""

    dialog_id: str
    key: str
    value: str
    category: str = ""


@dataclass(frozen=True)
class Position:
    """Where a user is: the node shown and waiting for an answer."""

    dialog_id: str
    node_id: str


class StalePosition(AssistantError, LookupError):
    """The position names a node the dialog no longer has (it was edited): restart the dialog."""

    def __init__(self, position: Position) -> None:
        self.position = position
        super().__init__(
            f"dialog {position.dialog_id!r} has no node {position.node_id!r} any more: start it again"
        )


class Problem(StrEnum):
    """Why an answer was not accepted; the core re-asks with a translated message."""

    NOT_A_CHOICE = "not_a_choice"
    NOT_A_NUMBER = "not_a_number"
    OUT_OF_RANGE = "out_of_range"
    NOT_A_DATE = "not_a_date"
    EMPTY = "empty"
    STALE = "stale"
    """The position's node no longer exists: the outcome goes back to the start (see the module doc)."""


ButtonRow = tuple[tuple[str, str], ...]
"""A row of buttons, each ``(label, callback data)``."""


@dataclass(frozen=True)
class Screen:
    """What to show for a position, in one language.

    ``kind`` is ``info`` for a node without a question (the core adds a "Next" button with
    ``StepButton(dialog.id, node.id, "next")``) or the type of the question. ``choices`` are
    ``(label, callback data)`` pairs of every button, in order (choices, ratings, yes/no, a multi's
    toggles and "Done", a date picker's months or days and pages, "Skip"); ``rows`` are the same
    buttons laid out in rows (one choice a row, a scale in one or two rows, days eight a row).
    ``picker`` is ``month`` or ``day`` while a date question shows its buttons (else ``None``)."""

    text: str
    kind: str
    choices: tuple[tuple[str, str], ...]
    step: int
    total: int
    is_last: bool
    image: str | None = None
    link: str | None = None
    rows: tuple[ButtonRow, ...] = ()
    picker: str | None = None


@dataclass(frozen=True)
class Answer:
    """What the user did: pressed a button (``value`` is the value of a :class:`StepButton`) or
    typed ``value``."""

    value: str
    from_button: bool = False


@dataclass(frozen=True)
class Outcome:
    """The result of one answer.

    ``position`` is the next position, ``None`` when the dialog is finished. ``results`` are to be
    stored. For a quiz question ``correct`` says whether the answer was right and ``feedback`` is
    the explanation (the core puts its own "Correct!" or "Not quite." before it). On a ``problem``
    the position does not move and nothing is recorded, except for ``Problem.STALE``.

    ``selection`` is what to pass back to :func:`screen` and :func:`advance` for the position
    (see the module docstring): when the position did not move and there is no problem, the
    question is still open (a multi's choice ticked, a date picker's page or month) and its screen
    is shown again with the new selection. ``alert`` is ``True`` when the answer meets the
    question's ``alert`` (the core tells the programme staff)."""

    position: Position | None
    results: tuple[ResultRecorded, ...] = ()
    feedback: str | None = None
    correct: bool | None = None
    problem: Problem | None = None
    selection: tuple[str, ...] = ()
    alert: bool = False


def begin(dialog: Dialog) -> Position:
    return Position(dialog.id, dialog.start)


def is_stale(dialog: Dialog, position: Position) -> bool:
    """Whether the position does not belong to this dialog as it is now."""
    return position.dialog_id != dialog.id or position.node_id not in dialog


def _kind(node: Node) -> str:
    return "info" if node.ask is None else node.ask.type.value


def screen(
    dialog: Dialog,
    position: Position,
    lang: Lang,
    *,
    selection: tuple[str, ...] = (),
    now: datetime | None = None,
    labels: Labels | None = None,
    answers: Mapping[str, str] | None = None,
) -> Screen:
    """What to show at ``position`` in ``lang``; :class:`StalePosition` if its node is gone.

    ``selection`` is the open question's selection (see :class:`Outcome`); ``now`` the time of
    the user (the date picker offers months around it; ``None``: no date buttons, the date is
    typed); ``labels`` the standard button labels (default: ``dialogs/content/labels.yaml``);
    ``answers`` the categories of this run's answers by result key (as ``previous`` for
    :func:`advance`), which a checklist's items are shown by (:meth:`~dialogs.model.Node.message`)."""
    if is_stale(dialog, position):
        raise StalePosition(position)
    node = dialog.node(position.node_id)
    rows: list[ButtonRow] = []
    picker = None
    if node.ask is not None:
        rows, picker = _buttons(dialog.id, node.id, node.ask, lang, tuple(selection), now, labels)
    return Screen(
        text=node.message(lang, answers),
        kind=_kind(node),
        choices=tuple(button for row in rows for button in row),
        step=dialog.step_of(node.id),
        total=dialog.total_steps,
        is_last=next(node.exits(), None) is None,
        image=node.image,
        link=node.link,
        rows=tuple(rows),
        picker=picker,
    )


def _grid(buttons: Sequence[tuple[str, str]], width: int = BUTTONS_PER_ROW) -> list[ButtonRow]:
    """Buttons in as few rows of at most ``width`` as fit, the rows as even as can be."""
    if not buttons:
        return []
    count = -(-len(buttons) // width)
    size = -(-len(buttons) // count)
    return [tuple(buttons[index : index + size]) for index in range(0, len(buttons), size)]


def _buttons(
    dialog_id: str,
    node_id: str,
    ask: Ask,
    lang: Lang,
    selection: tuple[str, ...],
    now: datetime | None,
    labels: Labels | None,
) -> tuple[list[ButtonRow], str | None]:
    def button(label: str, value: str) -> tuple[str, str]:
        return label, StepButton(dialog_id, node_id, value).pack()

    words = labels if labels is not None else shipped_labels()
    rows: list[ButtonRow] = []
    controls: list[tuple[str, str]] = []
    picker = None
    if ask.type is AskType.CHOICE:
        rows = [(button(choice.label.get(lang), choice.id),) for choice in ask.choices]
    elif ask.type in (AskType.RATING, AskType.NPS):
        values = ask.scale or range(0)
        if ask.choices:
            rows = [
                (button(choice.label.get(lang), str(value)),)
                for value, choice in zip(values, ask.choices, strict=True)
            ]
        else:
            rows = _grid([button(str(value), str(value)) for value in values])
    elif ask.type is AskType.YES_NO:
        rows = [(button(words.yes.get(lang), YES), button(words.no.get(lang), NO))]
    elif ask.type is AskType.MULTI:
        ticked = set(selection)
        rows = [
            (button((TICKED if c.id in ticked else UNTICKED) + c.label.get(lang), c.id),) for c in ask.choices
        ]
        controls.append(button(words.done.get(lang), DONE))
    elif ask.type is AskType.DATE and now is not None:
        picker_rows, picker = _picker_buttons(ask, lang, selection, now, words)
        rows = [tuple(button(label, value) for label, value in row) for row in picker_rows]
    if ask.optional:
        controls.append(button(words.skip.get(lang), SKIP))
    if controls:
        rows.append(tuple(controls))
    return rows, picker


# The date picker: a page of months, then the days of the month picked.


def _month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def _from_index(index: int) -> tuple[int, int]:
    year, month = divmod(index, 12)
    return year, month + 1


def _picker_state(selection: tuple[str, ...]) -> tuple[int, tuple[int, int] | None]:
    """The page shown and the month picked, read from a selection (anything else: page 0)."""
    token = selection[0] if selection else ""
    if (match := _MONTH.fullmatch(token)) and 1 <= int(match[2]) <= 12 and int(match[1]) >= 1:
        return 0, (int(match[1]), int(match[2]))
    if (match := _PAGE.fullmatch(token)) and int(match[1]) < MAX_DATE_PAGES:
        return int(match[1]), None
    return 0, None


def _picker_buttons(
    ask: Ask, lang: Lang, selection: tuple[str, ...], now: datetime, labels: Labels
) -> tuple[list[tuple[tuple[str, str], ...]], str]:
    """The picker's rows as ``(label, value)`` pairs, and ``month`` or ``day``."""
    future = ask.span is Span.FUTURE
    page, month = _picker_state(selection)
    if month is not None and ask.precision is not Precision.MONTH:
        year, number = month
        days = range(1, calendar.monthrange(year, number)[1] + 1)
        if (year, number) == (now.year, now.month):
            days = range(now.day, days.stop) if future else range(1, now.day + 1)
        grid = _grid([(str(day), f"{year:04d}-{number:02d}-{day:02d}") for day in days])
        return [*grid, ((labels.back.get(lang), "p0"),)], "day"
    current = _month_index(now.year, now.month)
    first = current + MONTHS_PER_PAGE * page if future else current - MONTHS_PER_PAGE * (page + 1) + 1
    months = [_from_index(index) for index in range(first, first + MONTHS_PER_PAGE)]
    shown = [
        (f"{labels.month(number).get(lang)} {year}", f"{year:04d}-{number:02d}")
        for year, number in months
        if 1 <= year <= 9999
    ]
    rows = _grid(shown, MONTHS_PER_ROW)
    older, newer = (page - 1, page + 1) if future else (page + 1, page - 1)
    paging = [
        (label.get(lang), f"p{target}")
        for label, target in ((labels.earlier, older), (labels.later, newer))
        if 0 <= target < MAX_DATE_PAGES
    ]
    if paging:
        rows.append(tuple(paging))
    return rows, "month"


# Reading typed answers.

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u0640]")  # Arabic diacritics and tatweel
_AR_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ی": "ي", "ک": "ك"})
_PUNCT = re.compile(r"[^\w]+|_")


def fold(text: str) -> str:
    """Text compared without case, accents, Arabic diacritics and letter variants, or punctuation."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_DIGITS)
    text = _MARKS.sub("", text).translate(_AR_FOLD)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = unicodedata.normalize("NFKC", text).translate(_AR_FOLD)
    return " ".join(_PUNCT.sub(" ", text).split())


def _plain(text: str) -> str:
    """Typed text with Eastern Arabic and Persian digits made Western, trimmed."""
    return unicodedata.normalize("NFKC", text).translate(_DIGITS).strip()


_NUMBER = re.compile(r"^[+-]?(\d+([.,٫]\d+)?|[.,٫]\d+)$")


def parse_number(text: str) -> Decimal | None:
    """A number typed with Western, Eastern Arabic or Persian digits; ``,`` or ``.`` as decimal mark."""
    plain = _plain(text).replace(" ", "").replace("\u066c", "")  # spaces, Arabic thousands separator
    if len(plain) > MAX_NUMBER_CHARS or not _NUMBER.match(plain):
        return None
    try:
        return Decimal(plain.replace(",", ".").replace("٫", "."))
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
        return None


def _number_text(number: Decimal) -> str:
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


def _small_number(typed: str) -> int | None:
    """A folded answer that is a number of one or two digits (a button's place, a day)."""
    return int(typed) if typed.isdecimal() and len(typed) < 3 else None


# Numbers written as words, folded (see fold), in English, French, Arabic, Levantine and Arabizi:
# a choice labelled "Three", "trois" or "ثلاث" is the number 3, and so is a typed "ثلاثة".
_NUMBER_WORDS: dict[str, int] = {
    fold(word): number
    for number, words in enumerate(
        (
            "zero zéro صفر sifr",
            "one un une واحد واحدة wa7ad wahad",
            "two deux اثنان اثنين اثنتان اثنتين ثنتين اتنين تنين tnen tnein itnen",
            "three trois ثلاث ثلاثة تلات تلاتة tlete tleteh talata",
            "four quatre أربع أربعة اربع اربعة arba3 arba3a",
            "five cinq خمس خمسة khamse khamsa",
            "six ستة ست sitte setteh",
            "seven sept سبع سبعة sab3a sab3",
            "eight huit ثمان ثماني ثمانية تمانية تمنة tmene tmenye",
            "nine neuf تسع تسعة tis3a tes3a",
            "ten dix عشر عشرة 3ashra 3ashara",
        )
    )
    for word in words.split()
}


def _number_of(typed: str) -> int | None:
    """A folded answer or label that is a whole number: digits, or a number word."""
    if typed.isdecimal() and len(typed) <= MAX_NUMBER_CHARS:
        return int(typed)
    return _NUMBER_WORDS.get(typed)


def _numbered(ask: Ask, lang: Lang) -> dict[int, Choice] | None:
    """The choices by the number their label is ("3", "٣", "Three", "ثلاث"), when every label is
    a different number; else ``None``."""
    numbered: dict[int, Choice] = {}
    for choice in ask.choices:
        number = _number_of(fold(choice.label.get(lang)))
        if number is None or number in numbered:
            return None
        numbered[number] = choice
    return numbered or None


def _typed_choice(ask: Ask, typed: str, lang: Lang) -> Choice | None:
    """The choice a folded answer names: its label in ``lang``; or, when the labels are
    numbers, the choice of the number typed (in digits or words: "3" is the choice "Three",
    not the third button); else a one- or two-digit place (1, 2 ...)."""
    if not typed:
        return None
    for choice in ask.choices:
        if fold(choice.label.get(lang)) == typed:
            return choice
    numbered = _numbered(ask, lang)
    if numbered is not None:
        number = _number_of(typed)
        return None if number is None else numbered.get(number)
    place = _small_number(typed)
    return ask.choices[place - 1] if place is not None and 1 <= place <= len(ask.choices) else None


_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DMY_DATE = re.compile(r"^(\d{1,2})([/.])(\d{1,2})\2(\d{4}|\d{2})$")
_ISO_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_MY_MONTH = re.compile(r"^(\d{1,2})[/.](\d{4})$")


def parse_date(text: str, now: datetime) -> date | None:
    """A date as ``2026-03-01``, ``01/03/2026`` or ``01.03.2026`` (day first), in any digits.

    A two-digit year is read as the year within 80 years before and 20 after ``now``."""
    plain = _plain(text).replace(" ", "")
    if match := _ISO_DATE.match(plain):
        year, month, day = (int(part) for part in match.groups())
    elif match := _DMY_DATE.match(plain):
        day, month, year = int(match[1]), int(match[3]), int(match[4])
        if len(match[4]) == 2:
            year += now.year // 100 * 100
            if year > now.year + 20:
                year -= 100
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_month(text: str, labels: Labels, lang: Lang) -> tuple[int, int] | None:
    """A month as ``2026-03``, ``03/2026`` or ``3.2026`` (any digits), or named with its year in
    ``lang`` (``mars 2026``, ``آذار 2026``): ``(year, month)``."""
    plain = _plain(text).replace(" ", "")
    if match := _ISO_MONTH.match(plain):
        year, month = int(match[1]), int(match[2])
    elif match := _MY_MONTH.match(plain):
        month, year = int(match[1]), int(match[2])
    else:
        words = fold(text).rsplit(" ", 1)
        names = [fold(labels.month(number).get(lang)) for number in range(1, 13)]
        if len(words) != 2 or words[0] not in names or not (words[1].isdecimal() and len(words[1]) == 4):
            return None
        month, year = names.index(words[0]) + 1, int(words[1])
    return (year, month) if 1 <= month <= 12 and year >= 1 else None


# Typed yes and no, folded (see fold): English, French, Arabic, Levantine, Arabizi.
YES_WORDS = frozenset(
    "yes y yeah yep yup oui ouais ouai نعم اي ايه ايوه ايوا اه aywa aiwa aywah aiwah ee na3am naam".split()
)
NO_WORDS = frozenset("no n nope nah non nan لا كلا la la2 laa la2a".split())


# Answers.


@dataclass(frozen=True)
class _Accepted:
    value: str
    category: str = ""
    choice_next: str | None = None
    correct: bool | None = None
    skipped: bool = False


@dataclass(frozen=True)
class _Open:
    """The question stays open with this selection (a multi's toggle, a picker's page or month)."""

    selection: tuple[str, ...]


_SKIPPED = _Accepted("", SKIPPED, skipped=True)


def _is(typed: str, label: str) -> bool:
    return bool(typed) and typed == fold(label)


def _read(
    node: Node, answer: Answer, lang: Lang, now: datetime, selection: tuple[str, ...], labels: Labels
) -> _Accepted | _Open | Problem:
    ask = node.ask
    if ask is None:
        return _Accepted(NEXT)
    value = answer.value.strip()
    if not value:
        return Problem.EMPTY
    if ask.optional and (
        (answer.from_button and value == SKIP)
        or (not answer.from_button and _is(fold(value), labels.skip.get(lang)))
    ):
        return _SKIPPED
    if ask.type is AskType.CHOICE:
        choice = ask.choice(value) if answer.from_button else _typed_choice(ask, fold(value), lang)
        if choice is None:
            return Problem.NOT_A_CHOICE
        if ask.correct is None:
            return _Accepted(choice.id, choice.id, choice.next)
        right = choice.id == ask.correct
        return _Accepted(choice.id, CORRECT if right else INCORRECT, choice.next, right)
    if ask.type in (AskType.RATING, AskType.NPS):
        return _read_scale(ask, answer, value, lang)
    if ask.type is AskType.YES_NO:
        return _read_yes_no(answer, value, labels)
    if ask.type is AskType.MULTI:
        return _read_multi(ask, answer, value, lang, selection, labels)
    if ask.type is AskType.NUMBER:
        number = parse_number(value)
        if number is None:
            return Problem.NOT_A_NUMBER
        if (ask.min is not None and number < ask.min) or (ask.max is not None and number > ask.max):
            return Problem.OUT_OF_RANGE
        return _Accepted(_number_text(number))
    if ask.type is AskType.DATE:
        return _read_date(ask, answer, value, lang, now, selection, labels)
    return _Accepted(value[:MAX_TEXT_CHARS])


def _read_scale(ask: Ask, answer: Answer, value: str, lang: Lang) -> _Accepted | Problem:
    """A rating or an nps: a value of the scale, by button, typed in any digits, or a label."""
    values = ask.scale or range(0)
    if not answer.from_button and ask.choices:
        typed = fold(value)
        for rating, choice in zip(values, ask.choices, strict=True):
            if fold(choice.label.get(lang)) == typed:
                return _scale_value(ask, rating)
    number = parse_number(value)
    if number is None or number != number.to_integral_value():
        return Problem.NOT_A_NUMBER
    if int(number) not in values:
        return Problem.OUT_OF_RANGE
    return _scale_value(ask, int(number))


def _scale_value(ask: Ask, value: int) -> _Accepted:
    if ask.type is not AskType.NPS:
        return _Accepted(str(value))
    return _Accepted(str(value), DETRACTOR if value <= 6 else PASSIVE if value <= 8 else PROMOTER)


def _read_yes_no(answer: Answer, value: str, labels: Labels) -> _Accepted | Problem:
    """Yes or no: a button, a word for it in any of the three languages, or 1 / 2."""
    if answer.from_button:
        return _Accepted(value, value) if value in (YES, NO) else Problem.NOT_A_CHOICE
    typed = fold(value)
    for word, words, label, place in ((YES, YES_WORDS, labels.yes, 1), (NO, NO_WORDS, labels.no, 2)):
        if typed in words or _small_number(typed) == place or any(_is(typed, t) for _, t in label.items()):
            return _Accepted(word, word)
    return Problem.NOT_A_CHOICE


_LIST_SEPARATORS = re.compile("[,،;؛]")


def _read_multi(
    ask: Ask, answer: Answer, value: str, lang: Lang, selection: tuple[str, ...], labels: Labels
) -> _Accepted | _Open | Problem:
    """A multi: a button toggles its choice and "done" finishes; typed labels or numbers
    separated by commas tick exactly those and finish."""
    ticked = {choice_id for choice_id in selection if ask.choice(choice_id) is not None}
    if answer.from_button:
        if value == DONE:
            return _finish_multi(ask, ticked)
        if ask.choice(value) is None:
            return Problem.NOT_A_CHOICE
        ticked ^= {value}
        return _Open(tuple(choice.id for choice in ask.choices if choice.id in ticked))
    typed = fold(value)
    if _is(typed, labels.done.get(lang)):
        return _finish_multi(ask, ticked)
    whole = _typed_choice(ask, typed, lang)
    if whole is not None:
        return _finish_multi(ask, {whole.id})
    words = typed.split(" ")
    parts = words if all(word.isdecimal() for word in words) else _LIST_SEPARATORS.split(value)
    picked: set[str] = set()
    for part in parts:
        folded = fold(part)
        if not folded:
            continue
        choice = _typed_choice(ask, folded, lang)
        if choice is None:
            return Problem.NOT_A_CHOICE
        picked.add(choice.id)
    return _finish_multi(ask, picked) if picked else Problem.NOT_A_CHOICE


def _finish_multi(ask: Ask, ticked: set[str]) -> _Accepted | Problem:
    ids = ",".join(choice.id for choice in ask.choices if choice.id in ticked)
    if not ids:
        return _SKIPPED if ask.optional else Problem.NOT_A_CHOICE
    return _Accepted(ids, ids)


def _read_date(
    ask: Ask,
    answer: Answer,
    value: str,
    lang: Lang,
    now: datetime,
    selection: tuple[str, ...],
    labels: Labels,
) -> _Accepted | _Open | Problem:
    """A date: a picker's button (a page, a month, a day), or typed as a date (a month with
    ``precision: month``; the day alone once a month is picked)."""
    by_month = ask.precision is Precision.MONTH
    if answer.from_button:
        if match := _PAGE.fullmatch(value):
            page = min(int(match[1]), MAX_DATE_PAGES - 1)
            return _Open(() if page == 0 else (f"p{page}",))
        month = _picker_state((value,))[1] if _MONTH.fullmatch(value) else None
        if month is not None:
            return _Accepted(value) if by_month else _Open((value,))
    if by_month:
        picked = parse_month(value, labels, lang)
        if picked is None:
            day = parse_date(value, now)
            picked = None if day is None else (day.year, day.month)
        return Problem.NOT_A_DATE if picked is None else _Accepted(f"{picked[0]:04d}-{picked[1]:02d}")
    month = _picker_state(selection)[1]
    number = _small_number(_plain(value))
    if month is not None and number is not None and not answer.from_button:
        try:
            return _Accepted(date(month[0], month[1], number).isoformat())
        except ValueError:
            return Problem.NOT_A_DATE
    day = parse_date(value, now)
    return Problem.NOT_A_DATE if day is None else _Accepted(day.isoformat())


def advance(
    dialog: Dialog,
    position: Position,
    answer: Answer,
    lang: Lang,
    now: datetime,
    previous: Mapping[str, str] | None = None,
    *,
    selection: tuple[str, ...] = (),
    labels: Labels | None = None,
) -> Outcome:
    """Read ``answer`` at ``position`` and move on.

    An information node accepts anything (the "next" button or any text). A question records a
    :class:`ResultRecorded` with the node's result key: the choice id (category: the choice id,
    or ``correct``/``incorrect`` for a quiz), ``yes``/``no`` (category the same), a multi's ticked
    ids joined by ``,`` (category the same), the rating value, the nps value (category
    ``detractor``, ``passive`` or ``promoter``), the number, the ISO date (or month) or the text
    (category empty); a skipped optional question records ``""`` with category ``skipped``. When
    the dialog ends, ``completed`` is recorded too, with the value ``"{score}/{quiz questions}"``
    for a dialog with quiz questions, else ``"yes"``.

    The next node is the first of the question's ``branches`` that the answer meets, else the
    choice's own ``next``, else the node's ``next``; a skip always goes to the node's ``next``.

    The engine keeps no state between calls, so ``previous`` maps the result keys already
    recorded in this run of the dialog to their categories (the ``category`` of each earlier
    result); the score counts those equal to ``correct``, plus this answer. ``now`` is the time of
    the answer, used to read two-digit years in dates. ``selection`` is the open question's
    selection and ``labels`` the standard button labels, as for :func:`screen` (typed "Done",
    "Skip" and month names are read in ``lang``)."""
    chosen = tuple(selection)
    if is_stale(dialog, position):
        return Outcome(position=begin(dialog), problem=Problem.STALE)
    node = dialog.node(position.node_id)
    read = _read(node, answer, lang, now, chosen, labels if labels is not None else shipped_labels())
    if isinstance(read, Problem):
        return Outcome(position=position, problem=read, selection=chosen)
    if isinstance(read, _Open):
        return Outcome(position=position, selection=read.selection)
    results: list[ResultRecorded] = []
    feedback = None
    target = node.next
    alert = False
    if node.ask is not None and node.result is not None:
        results.append(ResultRecorded(dialog.id, node.result, read.value, read.category))
        if not read.skipped:
            if node.ask.explanation is not None:
                feedback = node.ask.explanation.get(lang)
            branch = next((b for b in node.ask.branches if b.matches(read.value)), None)
            target = branch.next if branch is not None else read.choice_next or node.next
            alert = node.ask.alert is not None and node.ask.alert.matches(read.value)
    if target is not None:
        return Outcome(Position(dialog.id, target), tuple(results), feedback, read.correct, alert=alert)
    categories = dict(previous or {})
    categories.update({result.key: result.category for result in results})
    results.append(ResultRecorded(dialog.id, COMPLETED, completion(dialog, categories), COMPLETED))
    return Outcome(None, tuple(results), feedback, read.correct, alert=alert)


def completion(dialog: Dialog, categories: Mapping[str, str]) -> str:
    """The value of the ``completed`` result: ``"{correct}/{quiz questions}"`` or ``"yes"``.

    ``categories`` maps result keys to their categories in this run."""
    quizzes = dialog.quiz_nodes
    if not quizzes:
        return "yes"
    score = sum(1 for node in quizzes if node.result is not None and categories.get(node.result) == CORRECT)
    return f"{score}/{len(quizzes)}"
