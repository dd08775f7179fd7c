"""The dialog engine: pure functions from (dialog, position, answer) to an outcome.

It sends nothing, stores nothing and reads no clock: the core keeps the :class:`Position` in the
conversation state, shows the :class:`Screen` that :func:`screen` describes, and hands what the user
did to :func:`advance` as an :class:`Answer`. The :class:`Outcome` says where to go, which results to
store and what to tell the user; bad input is a :class:`Problem`, never an exception.

A run of a module::

    position = begin(dialog)
    while position is not None:
        show(screen(dialog, position, lang))
        outcome = advance(dialog, position, answer, lang, now, previous)
        if outcome.problem: re-ask (same position, nothing recorded)
        else: store outcome.results; previous |= {r.key: r.category for r in outcome.results}
        position = outcome.position

Buttons carry ``m:{dialog_id}:{node_id}:{value}`` (:class:`StepButton`):
the value is a choice id, a rating value, or ``next`` on an information node. The core should
ignore (or re-show the current screen for) a button whose dialog and node are not the current
position: it belongs to an earlier message.

Stale positions: when a dialog is edited, a stored position may name a node that no longer
exists. :func:`is_stale` tells; :func:`screen` raises :class:`StalePosition` for one (the core
checks first or catches it), and :func:`advance` returns ``Problem.STALE`` with the position moved
back to the dialog's start and no results, so the core can say the module changed and show it again.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from bot.basics.buttons import ButtonData
from bot.basics.errors import AssistantError
from bot.basics.lang import Lang
from dialogs.model import AskType, Dialog, Node

NEXT = "next"
COMPLETED = "completed"
CORRECT, INCORRECT = "correct", "incorrect"
MAX_TEXT_CHARS = 1000
"""A typed answer to a text question is kept up to this many characters."""
MAX_NUMBER_CHARS = 30
"""A longer "number" is not one (and Python refuses to print integers of over 4300 digits)."""


@dataclass(frozen=True, slots=True)
class StepButton(ButtonData, prefix="m"):
    """The data of a dialog step's button, ``m:{dialog_id}:{node_id}:{value}``: the value is a
    choice id, a rating value or ``next``."""

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


@dataclass(frozen=True)
class Screen:
    """What to show for a position, in one language.

    ``kind`` is ``info`` for a node without a question (the core adds a "Next" button with
    ``StepButton(dialog.id, node.id, "next")``) or the type of the question. ``choices`` are
    ``(label, callback data)`` pairs for choice and rating questions, in order."""

    text: str
    kind: str
    choices: tuple[tuple[str, str], ...]
    step: int
    total: int
    is_last: bool
    image: str | None = None
    link: str | None = None


@dataclass(frozen=True)
class Answer:
    """What the user did: pressed a button (``value`` is the choice id, rating value or ``next``
    from a :class:`StepButton`) or typed ``value``."""

    value: str
    from_button: bool = False


@dataclass(frozen=True)
class Outcome:
    """The result of one answer.

    ``position`` is the next position, ``None`` when the dialog is finished. ``results`` are to be
    stored. For a quiz question ``correct`` says whether the answer was right and ``feedback`` is
    the explanation (the core puts its own "Correct!" or "Not quite." before it). On a ``problem``
    the position does not move and nothing is recorded, except for ``Problem.STALE``."""

    position: Position | None
    results: tuple[ResultRecorded, ...] = ()
    feedback: str | None = None
    correct: bool | None = None
    problem: Problem | None = None


def begin(dialog: Dialog) -> Position:
    return Position(dialog.id, dialog.start)


def is_stale(dialog: Dialog, position: Position) -> bool:
    """Whether the position does not belong to this dialog as it is now."""
    return position.dialog_id != dialog.id or position.node_id not in dialog


def _kind(node: Node) -> str:
    return "info" if node.ask is None else node.ask.type.value


def screen(dialog: Dialog, position: Position, lang: Lang) -> Screen:
    """What to show at ``position`` in ``lang``; :class:`StalePosition` if its node is gone."""
    if is_stale(dialog, position):
        raise StalePosition(position)
    node = dialog.node(position.node_id)
    choices: tuple[tuple[str, str], ...] = ()
    if node.ask is not None and node.ask.type is AskType.CHOICE:
        choices = tuple(
            (choice.label.get(lang), StepButton(dialog.id, node.id, choice.id).pack())
            for choice in node.ask.choices
        )
    elif node.ask is not None and node.ask.type is AskType.RATING:
        labels = [choice.label.get(lang) for choice in node.ask.choices]
        choices = tuple(
            (labels[index] if labels else str(value), StepButton(dialog.id, node.id, str(value)).pack())
            for index, value in enumerate(node.ask.rating_values)
        )
    return Screen(
        text=node.say.get(lang),
        kind=_kind(node),
        choices=choices,
        step=dialog.step_of(node.id),
        total=dialog.total_steps,
        is_last=next(node.exits(), None) is None,
        image=node.image,
        link=node.link,
    )


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


_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DMY_DATE = re.compile(r"^(\d{1,2})([/.])(\d{1,2})\2(\d{4}|\d{2})$")


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


# Answers.


@dataclass(frozen=True)
class _Accepted:
    value: str
    category: str = ""
    choice_next: str | None = None
    correct: bool | None = None


def _read(node: Node, answer: Answer, lang: Lang, now: datetime) -> _Accepted | Problem:
    ask = node.ask
    if ask is None:
        return _Accepted(NEXT)
    value = answer.value.strip()
    if not value:
        return Problem.EMPTY
    if ask.type is AskType.CHOICE:
        choice = ask.choice(value) if answer.from_button else None
        if choice is None and not answer.from_button:
            typed = fold(value)
            choice = next((c for c in ask.choices if fold(c.label.get(lang)) == typed), None)
            if choice is None and typed.isdigit() and len(typed) < 3 and 1 <= int(typed) <= len(ask.choices):
                choice = ask.choices[int(typed) - 1]
        if choice is None:
            return Problem.NOT_A_CHOICE
        if ask.correct is None:
            return _Accepted(choice.id, choice.id, choice.next)
        right = choice.id == ask.correct
        return _Accepted(choice.id, CORRECT if right else INCORRECT, choice.next, right)
    if ask.type is AskType.RATING:
        values = ask.rating_values
        if not answer.from_button and ask.choices:
            typed = fold(value)
            for rating, choice in zip(values, ask.choices, strict=True):
                if fold(choice.label.get(lang)) == typed:
                    return _Accepted(str(rating))
        number = parse_number(value)
        if number is None or number != number.to_integral_value():
            return Problem.NOT_A_NUMBER
        if int(number) not in values:
            return Problem.OUT_OF_RANGE
        return _Accepted(str(int(number)))
    if ask.type is AskType.NUMBER:
        number = parse_number(value)
        if number is None:
            return Problem.NOT_A_NUMBER
        if (ask.min is not None and number < ask.min) or (ask.max is not None and number > ask.max):
            return Problem.OUT_OF_RANGE
        return _Accepted(_number_text(number))
    if ask.type is AskType.DATE:
        day = parse_date(value, now)
        return Problem.NOT_A_DATE if day is None else _Accepted(day.isoformat())
    return _Accepted(value[:MAX_TEXT_CHARS])


def advance(
    dialog: Dialog,
    position: Position,
    answer: Answer,
    lang: Lang,
    now: datetime,
    previous: Mapping[str, str] | None = None,
) -> Outcome:
    """Read ``answer`` at ``position`` and move on.

    An information node accepts anything (the "next" button or any text). A question records a
    :class:`ResultRecorded` with the node's result key: the choice id (category: the choice id,
    or ``correct``/``incorrect`` for a quiz), the rating value, the number, the ISO date or the
    text (category empty). When the dialog ends, ``completed`` is recorded too, with the value
    ``"{score}/{quiz questions}"`` for a dialog with quiz questions, else ``"yes"``.

    The engine keeps no state between calls, so ``previous`` maps the result keys already
    recorded in this run of the dialog to their categories (the ``category`` of each earlier
    result); the score counts those equal to ``correct``, plus this answer. ``now`` is the time of
    the answer, used to read two-digit years in dates."""
    if is_stale(dialog, position):
        return Outcome(position=begin(dialog), problem=Problem.STALE)
    node = dialog.node(position.node_id)
    read = _read(node, answer, lang, now)
    if isinstance(read, Problem):
        return Outcome(position=position, problem=read)
    results: list[ResultRecorded] = []
    if node.ask is not None and node.result is not None:
        results.append(ResultRecorded(dialog.id, node.result, read.value, read.category))
    feedback = None
    if node.ask is not None and node.ask.explanation is not None:
        feedback = node.ask.explanation.get(lang)
    target = read.choice_next or node.next
    if target is not None:
        return Outcome(Position(dialog.id, target), tuple(results), feedback, read.correct)
    categories = dict(previous or {})
    categories.update({result.key: result.category for result in results})
    results.append(ResultRecorded(dialog.id, COMPLETED, completion(dialog, categories), COMPLETED))
    return Outcome(None, tuple(results), feedback, read.correct)


def completion(dialog: Dialog, categories: Mapping[str, str]) -> str:
    """The value of the ``completed`` result: ``"{correct}/{quiz questions}"`` or ``"yes"``.

    ``categories`` maps result keys to their categories in this run."""
    quizzes = dialog.quiz_nodes
    if not quizzes:
        return "yes"
    score = sum(1 for node in quizzes if node.result is not None and categories.get(node.result) == CORRECT)
    return f"{score}/{len(quizzes)}"
