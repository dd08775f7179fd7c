"""Dialogs as data: a module or a survey is a graph of nodes, read from YAML and validated.

File format (``schema: 1``), for content editors; one dialog per file, the file name is its id::

    schema: 1
    id: living-in-belgium            # = the file name without .yaml; lower-case words joined by "-"
    kind: module                     # module | survey
    version: 1                       # surveys only, and required there: raise it when a question
                                     # changes (see dialogs/content/surveys/keys.yaml)
    audience: talent                 # modules only: talent (the default) | employer
    order: 2                         # position in the modules menu (unique among the modules
                                     # of one audience)
    review: pending                  # pending | approved (by programme staff)
    title: {en: ..., fr: ..., ar: ...}
    start: intro                     # the first node
    nodes:
      - id: intro                    # lower-case words joined by "_", unique in the dialog
        say: {en: ..., fr: ..., ar: ...}
        source: "seed:001_56efb376055d9746.txt"   # or "public: ..."; required on every node
        image: optional path or URL
        link: optional https:// URL
        next: quiz_languages         # omitted on the last node
      - id: quiz_languages
        say: {...}
        source: ...
        ask:
          type: choice               # choice | multi | yes_no | rating | nps | number | date | text
          choices:                   # choice: 2-6 items; multi: 2-8; rating: optional labels,
            - id: three              #   one per value; lower-case words joined by "_"
              label: {en, fr, ar}    # at most 30 characters each (a button)
              next: other_node       # optional routing for this choice (choice only)
          correct: three             # optional: makes the node a quiz question (choice only)
          explanation: {en, fr, ar}  # required with correct, shown after the answer
          min: 1                     # number: optional bounds; rating: default 1..5
          max: 5
          optional: true             # adds a "skip" button: result "" with category "skipped"
          branches:                  # rating, nps: at_most / at_least; choice, yes_no: answer
            - {at_most: 2, next: what_went_wrong}    # the first that matches decides, else the
            - {answer: three, next: well_done}       # choice's next, else the node's next
          alert: {at_most: 2}        # or {at_least: N}, {answer: yes}: tell the programme staff
          span: past                 # date only: past (default) | future, for the month buttons
          precision: day             # date only: day (default) | month (stored as 2026-03)
        result: quiz_languages       # the key staff reports show; required with ask, unique
        next: closing
      - id: closing                  # a checklist (modules only, on a node without ask): after
        say: {...}                   #   say, one line for each item that applies
        source: ...
        checklist:
          - say: {en, fr, ar}        # one line, no line breaks
            when: {country: belgium, permit: "no"}   # every key must hold (AND) ...
          - say: {...}
            when: {housing: [not_offered, undecided]}   # ... with one of these (OR)
          - say: {...}               # no when: always shown

The question types, as a user sees them and as a result is stored:

- ``choice``: one button per choice; the choice id (category: the id, or correct/incorrect);
- ``multi``: a toggle button per choice (☑/☐) and "Done"; the ticked ids in the order of the
  choices, joined by ``,`` (``housing,language``); typed: labels or numbers separated by commas;
- ``yes_no``: "Yes" and "No" (dialogs/content/labels.yaml); ``yes`` or ``no``; typed also
  oui/non, نعم/لا, اي/ايه, aywa/la2;
- ``rating``: one button per value from ``min`` to ``max`` (1 to 5 unless set), labelled with
  ``choices`` if given (a Likert scale); the value (``4``);
- ``nps``: 0 to 10, eleven buttons, nothing to set; the value (category detractor 0-6, passive
  7-8, promoter 9-10);
- ``date``: typed (31/12/2026), or picked with buttons: a month (six at a time, with earlier and
  later pages), then a day; the ISO date (``2026-03-14``), or the month with ``precision: month``;
- ``number``: typed, within ``min`` and ``max`` if set; ``text``: typed, up to 1,000 characters.

Who sees a module: ``/modules`` lists the modules of the user's ``audience``: the talents' (the
pre-departure orientation, and what a user with no role sees) or, for an employer, the employers'
first and then the talents'. A module of any audience also opens from a button made for it
(``ModuleButton(dialog_id)`` in :mod:`bot.core.features.modules`), such as the employers' menu's
"Check my obligations" (``TOPICS`` in :mod:`bot.core.features`).

A checklist ends a run with what applies to this user: each item is one line, shown (as
``• line``, under the node's ``say``) when every result key of its ``when`` was answered with
one of the answers listed, or always when it has no ``when``. ``when`` reads the answers of
earlier ``choice`` (not a quiz), ``yes_no`` and ``multi`` questions of the same run (a multi
meets it when one of the listed choices is ticked); a skipped question meets no ``when``. Write
``yes`` and ``no`` as they are (YAML's true and false are read back as yes and no). At most 16
items.

Placeholders: a module's texts may say ``{contact}``, filled in with the deployment's contact
channel (``DT4E_CONTACT``, or where to find it) when shown; never write an address, phone number
or fee yourself. Survey texts take no placeholders.

A survey looks the same with ``kind: survey`` and its ``version``; each of its result keys is
registered in ``dialogs/content/surveys/keys.yaml`` (see :class:`KeysFile`). The standard button
labels (yes, no, skip, done, the date picker's) are in ``dialogs/content/labels.yaml``
(:class:`Labels`).

This module checks what one node or one field can check on its own (ids, translations, button
labels, the shape of an ``ask``, its branches and alert, the shape of a checklist). What needs the
whole graph (links, reachability, cycles, duplicate ids and result keys, sources, placeholders,
button data, the key registry, what a checklist's ``when`` reads) is checked by
:mod:`dialogs.library` when the files are loaded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from enum import StrEnum
from functools import cache, cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    RootModel,
    StringConstraints,
    field_validator,
    model_validator,
)

from bot.basics.content import StrictModel, Texts, read_yaml, validate
from bot.basics.errors import ContentError
from bot.basics.lang import Lang

SCHEMA_VERSION = 1
MAX_LABEL_CHARS = 30
MIN_CHOICES, MAX_CHOICES = 2, 6
MAX_MULTI_CHOICES = 8
MAX_RATING_BUTTONS = 10
DEFAULT_RATING = (1, 5)
NPS_VALUES = range(11)
SOURCE_PREFIXES = ("seed:", "public:")

YES, NO = "yes", "no"
"""The values (and categories) of a yes_no answer."""
SKIP = "skip"
"""The value of the skip button of an optional question (its result is ``""``, ``skipped``)."""
DONE = "done"
"""The value of the button that finishes a multi question."""

CONTENT_DIR = Path(__file__).resolve().parent / "content"
LABELS_FILE = "labels.yaml"
"""The standard button labels, relative to the content folder."""

MAX_ID_CHARS = 40
_DIALOG_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
_NODE_ID = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
_URL = re.compile(r"https?://[^\s/]+\S*")


def _matching(pattern: re.Pattern[str], what: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"{value!r} is not {what}")
        if len(value) > MAX_ID_CHARS:
            raise ValueError(f"{value!r} is {len(value)} characters, at most {MAX_ID_CHARS}")
        return value

    return check


DialogId = Annotated[str, AfterValidator(_matching(_DIALOG_ID, "lower-case words joined by '-'"))]
"""A dialog id: lower-case words joined by ``-`` (the file name), like ``living-in-belgium``."""

NodeId = Annotated[str, AfterValidator(_matching(_NODE_ID, "lower-case words joined by '_'"))]
"""A node, choice or result id: lower-case words joined by ``_``, like ``quiz_capital``."""

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def _url(value: str) -> str:
    if not _URL.fullmatch(value):
        raise ValueError(f"{value!r} is not an http:// or https:// address")
    return value


Url = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_url)]


def _fits_a_button(value: Texts) -> Texts:
    for lang, text in value.items():
        if len(text) > MAX_LABEL_CHARS:
            raise ValueError(f"{lang.value}: {len(text)} characters, at most {MAX_LABEL_CHARS} fit a button")
    return value


Label = Annotated[Texts, AfterValidator(_fits_a_button)]
"""A button label in every language, at most 30 characters each."""


class DialogKind(StrEnum):
    MODULE = "module"
    SURVEY = "survey"


class ModuleAudience(StrEnum):
    """Whose ``/modules`` list shows a module (the values are the user roles')."""

    TALENT = "talent"
    """The talents' pre-departure orientation; also what a user with no role sees."""
    EMPLOYER = "employer"


class AskType(StrEnum):
    CHOICE = "choice"
    TEXT = "text"
    NUMBER = "number"
    RATING = "rating"
    DATE = "date"
    NPS = "nps"
    YES_NO = "yes_no"
    MULTI = "multi"

    @property
    def article(self) -> str:
        """The type with its article, for messages: ``a rating``, ``an nps``."""
        return f"an {self.value}" if self is AskType.NPS else f"a {self.value}"


SCALES = (AskType.RATING, AskType.NPS)
"""The types whose answer is a number on a scale (branches and alerts with at_most, at_least)."""
ANSWERS = (AskType.CHOICE, AskType.YES_NO)
"""The types whose answer is one of a few values (branches and alerts with answer)."""


class Span(StrEnum):
    """Which months a date question's buttons offer first."""

    PAST = "past"
    FUTURE = "future"


class Precision(StrEnum):
    """What a date question stores: the day (``2026-03-14``) or the month (``2026-03``)."""

    DAY = "day"
    MONTH = "month"


class Choice(StrictModel):
    """One answer button; for a rating, the label of one value."""

    id: NodeId
    label: Label
    next: NodeId | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _not_a_yaml_boolean(cls, value: object) -> object:
        if isinstance(value, bool):
            raise ValueError("YAML reads yes, no, on and off as true or false: put the id in quotes")
        return value


class Condition(StrictModel):
    """Exactly one of ``at_most`` / ``at_least`` (a scale) or ``answer`` (a choice id, yes, no)."""

    at_most: int | None = None
    at_least: int | None = None
    answer: NodeId | None = None

    @field_validator("answer", mode="before")
    @classmethod
    def _yes_or_no(cls, value: object) -> object:
        """YAML reads ``answer: yes`` as ``true``: read it back as the yes_no value it means."""
        if isinstance(value, bool):
            return YES if value else NO
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> Condition:
        given = [name for name in ("at_most", "at_least", "answer") if getattr(self, name) is not None]
        if len(given) != 1:
            found = f"found {' and '.join(given)}" if given else "found none"
            raise ValueError(f"needs exactly one of at_most, at_least or answer ({found})")
        return self

    @property
    def is_numeric(self) -> bool:
        return self.answer is None

    def describe(self) -> str:
        """The condition as written: ``at_most: 2``, ``answer: yes``."""
        if self.at_most is not None:
            return f"at_most: {self.at_most}"
        if self.at_least is not None:
            return f"at_least: {self.at_least}"
        return f"answer: {self.answer}"

    def matches(self, value: str) -> bool:
        """Whether a recorded value (``"4"``, ``"yes"``, a choice id) meets the condition."""
        if self.answer is not None:
            return value == self.answer
        if not value.removeprefix("-").isdecimal() or len(value) > 6:
            return False
        number = int(value)
        if self.at_most is not None:
            return number <= self.at_most
        return self.at_least is not None and number >= self.at_least


class Branch(Condition):
    """A conditional next step: when the answer meets the condition, go to ``next``."""

    next: NodeId


class Alert(Condition):
    """An answer the programme staff should hear about (``{at_most: 2}``, ``{answer: yes}``)."""


class Ask(StrictModel):
    """What a node asks, and how the answer is read."""

    type: AskType
    choices: tuple[Choice, ...] = ()
    correct: NodeId | None = None
    explanation: Texts | None = None
    min: int | None = None
    max: int | None = None
    optional: bool = False
    branches: tuple[Branch, ...] = ()
    alert: Alert | None = None
    span: Span | None = None
    precision: Precision | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Ask:
        ids = [choice.id for choice in self.choices]
        for choice_id in ids:
            if ids.count(choice_id) > 1:
                raise ValueError(f"duplicate choice id {choice_id!r}")
        if self.type is AskType.CHOICE:
            if not MIN_CHOICES <= len(self.choices) <= MAX_CHOICES:
                raise ValueError(
                    f"a choice needs {MIN_CHOICES} to {MAX_CHOICES} choices, not {len(self.choices)}"
                )
        elif self.type is AskType.MULTI:
            if not MIN_CHOICES <= len(self.choices) <= MAX_MULTI_CHOICES:
                raise ValueError(
                    f"a multi needs {MIN_CHOICES} to {MAX_MULTI_CHOICES} choices, not {len(self.choices)}"
                )
        elif self.choices and self.type is not AskType.RATING:
            raise ValueError(f"choices are only for choice, multi and rating, not {self.type.value}")
        if self.type is not AskType.CHOICE and any(choice.next for choice in self.choices):
            raise ValueError("per-choice next is only for type choice")
        for reserved, needed in ((DONE, self.type is AskType.MULTI), (SKIP, self.optional)):
            if needed and reserved in ids:
                button = "the done button of a multi" if reserved == DONE else "the skip button"
                raise ValueError(f"choice id {reserved!r} is taken by {button}: rename the choice")
        if self.correct is not None:
            if self.type is not AskType.CHOICE:
                raise ValueError("correct is only for type choice (a quiz question)")
            if self.correct not in ids:
                raise ValueError(f"correct: {self.correct!r} is not one of the choices {ids}")
            if self.explanation is None:
                raise ValueError("a quiz question (correct set) needs an explanation")
        elif self.explanation is not None:
            raise ValueError("explanation is only for a quiz question: set correct too")
        if (self.min is not None or self.max is not None) and self.type not in (
            AskType.NUMBER,
            AskType.RATING,
        ):
            raise ValueError(f"min and max are only for number and rating, not {self.type.value}")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        if self.type is AskType.RATING:
            values = self.rating_values
            if not 2 <= len(values) <= MAX_RATING_BUTTONS:
                raise ValueError(f"a rating needs 2 to {MAX_RATING_BUTTONS} values, not {len(values)}")
            if self.choices and len(self.choices) != len(values):
                raise ValueError(
                    f"a rating from {values[0]} to {values[-1]} needs {len(values)} labels,"
                    f" not {len(self.choices)}"
                )
        if (self.span is not None or self.precision is not None) and self.type is not AskType.DATE:
            raise ValueError(f"span and precision are only for date, not {self.type.value}")
        for branch in self.branches:
            self._check_condition(f"branches ({branch.describe()})", branch)
        if self.alert is not None:
            self._check_condition(f"alert ({self.alert.describe()})", self.alert)
        return self

    def _check_condition(self, where: str, condition: Condition) -> None:
        if self.type not in (*SCALES, *ANSWERS):
            what = "branches are" if where.startswith("branches") else "an alert is"
            raise ValueError(f"{what} only for rating, nps, choice and yes_no, not {self.type.value}")
        scale = self.scale
        if condition.is_numeric:
            if scale is None:
                raise ValueError(
                    f"{where}: at_most and at_least are only for rating and nps;"
                    f" {self.type.article} uses answer: <value>"
                )
            bound = condition.at_most if condition.at_most is not None else condition.at_least
            if bound not in scale:
                raise ValueError(f"{where}: {bound} is outside the scale {scale[0]} to {scale[-1]}")
        elif scale is not None:
            raise ValueError(
                f"{where}: answer is only for choice and yes_no; {self.type.article} uses at_most or at_least"
            )
        elif condition.answer not in (possible := self.possible_answers):
            raise ValueError(
                f"{where}: {condition.answer!r} is not a possible answer; possible: {', '.join(possible)}"
            )

    @property
    def rating_values(self) -> range:
        """The values of a rating, ``min`` to ``max`` (1 to 5 unless set)."""
        low = DEFAULT_RATING[0] if self.min is None else self.min
        high = DEFAULT_RATING[1] if self.max is None else self.max
        return range(low, high + 1)

    @property
    def scale(self) -> range | None:
        """The values of a rating or an nps (0 to 10); ``None`` for the other types."""
        if self.type is AskType.RATING:
            return self.rating_values
        if self.type is AskType.NPS:
            return NPS_VALUES
        return None

    @property
    def possible_answers(self) -> tuple[str, ...]:
        """The values a choice or yes_no answer may have (for ``answer:`` conditions)."""
        if self.type is AskType.YES_NO:
            return (YES, NO)
        return tuple(choice.id for choice in self.choices)

    @property
    def is_quiz(self) -> bool:
        return self.correct is not None

    def choice(self, choice_id: str) -> Choice | None:
        return next((choice for choice in self.choices if choice.id == choice_id), None)


Via = Choice | Branch | None
"""What leads along an exit: a choice with its own next, a branch, or ``None`` (the node's next)."""

MAX_CHECKLIST_ITEMS = 16
BULLET = "• "
"""What a checklist line starts with."""
WHEN_TYPES = (AskType.CHOICE, AskType.YES_NO, AskType.MULTI)
"""The questions whose answers a checklist's ``when`` reads (a choice that is not a quiz)."""


def _one_line(value: Texts) -> Texts:
    for lang, text in value.items():
        if "\n" in text or "\r" in text:
            raise ValueError(f"{lang.value}: a checklist item is one line: remove the line break")
    return value


OneLine = Annotated[Texts, AfterValidator(_one_line)]


def _answer_id(value: object) -> object:
    """YAML reads ``yes`` and ``no`` as true and false: read them back as the answers they mean."""
    if isinstance(value, bool):
        return YES if value else NO
    return value


class ChecklistItem(StrictModel):
    """One line of a checklist, shown when every result key of ``when`` was answered with one
    of the answers listed for it (no ``when``: always)."""

    say: OneLine
    when: dict[NodeId, tuple[NodeId, ...]] | None = None

    @field_validator("when", mode="before")
    @classmethod
    def _answers_as_lists(cls, value: object) -> object:
        """``{country: belgium}`` means ``{country: [belgium]}``; yes and no stay words."""
        if not isinstance(value, dict):
            return value
        return {
            key: [_answer_id(item) for item in answers]
            if isinstance(answers, list | tuple)
            else [_answer_id(answers)]
            for key, answers in value.items()
        }

    @field_validator("when")
    @classmethod
    def _not_empty(cls, value: dict[str, tuple[str, ...]] | None) -> dict[str, tuple[str, ...]] | None:
        if value is None:
            return value
        if not value:
            raise ValueError("empty: name a result key and its answers, or leave when out (always shown)")
        for key, answers in value.items():
            if not answers:
                raise ValueError(f"{key}: list the answers that show the item")
        return value

    def applies(self, answers: Mapping[str, str]) -> bool:
        """Whether the item is shown, given the categories of this run's answers by result key
        (a multi's are its ticked ids joined by ``,``)."""
        for key, wanted in (self.when or {}).items():
            given = answers.get(key)
            if given is None or not set(given.split(",")) & set(wanted):
                return False
        return True


class Node(StrictModel):
    """One step: something said, optionally a question, and where to go next."""

    id: NodeId
    say: Texts
    source: Text | None = None
    image: Text | None = None
    link: Url | None = None
    ask: Ask | None = None
    result: NodeId | None = None
    checklist: tuple[ChecklistItem, ...] | None = None
    next: NodeId | None = None

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(SOURCE_PREFIXES):
            raise ValueError(f"must start with {' or '.join(repr(p) for p in SOURCE_PREFIXES)}")
        return value

    @model_validator(mode="after")
    def _result_with_ask(self) -> Node:
        if self.ask is not None and self.result is None:
            raise ValueError("a node with ask needs a result key (result: ...) for staff reports")
        if self.ask is None and self.result is not None:
            raise ValueError("result is only for a node with ask")
        if self.checklist is not None:
            if self.ask is not None:
                raise ValueError("checklist is for a node without ask: put it on a node after the questions")
            if not 1 <= len(self.checklist) <= MAX_CHECKLIST_ITEMS:
                raise ValueError(
                    f"checklist: a checklist has 1 to {MAX_CHECKLIST_ITEMS} items, not {len(self.checklist)}"
                )
        return self

    def message(self, lang: Lang, answers: Mapping[str, str] | None = None) -> str:
        """What the node says in ``lang``: ``say``, then a line for each checklist item that
        applies to ``answers`` (the categories of this run's answers by result key)."""
        text = self.say.get(lang)
        lines = [BULLET + item.say.get(lang) for item in self.checklist or () if item.applies(answers or {})]
        return "\n\n".join([text, "\n".join(lines)]) if lines else text

    @property
    def is_quiz(self) -> bool:
        return self.ask is not None and self.ask.is_quiz

    def exits(self) -> Iterator[tuple[str, Via]]:
        """Where this node leads: ``(node id, what leads there)``: a choice with its own next, a
        branch, or ``None`` for the node's next (which is also where a skip goes)."""
        if self.ask is not None:
            for choice in self.ask.choices:
                if choice.next is not None:
                    yield choice.next, choice
            for branch in self.ask.branches:
                yield branch.next, branch
        if self.next is not None:
            yield self.next, None

    def texts(self) -> Iterator[tuple[str, Texts]]:
        """Every translated text of the node, with its place (``say``, ``ask.choices.two.label``)."""
        yield "say", self.say
        if self.ask is not None:
            for choice in self.ask.choices:
                yield f"ask.choices.{choice.id}.label", choice.label
            if self.ask.explanation is not None:
                yield "ask.explanation", self.ask.explanation
        for number, item in enumerate(self.checklist or (), start=1):
            yield f"checklist #{number}.say", item.say


class Dialog(StrictModel):
    """A module or a survey. Loaded through :func:`dialogs.library.load_dialogs`, it is also
    checked as a graph: every link leads to a node, every node is reachable, and it ends."""

    schema_version: int = Field(alias="schema")
    id: DialogId
    kind: DialogKind
    version: int | None = Field(default=None, ge=1)
    audience: ModuleAudience = ModuleAudience.TALENT
    order: int = Field(ge=1)
    review: Literal["pending", "approved"]
    title: Texts
    start: NodeId
    nodes: tuple[Node, ...] = Field(min_length=1)

    @field_validator("schema_version")
    @classmethod
    def _supported(cls, value: int) -> int:
        if value != SCHEMA_VERSION:
            raise ValueError(
                f"unsupported schema version {value}: this release reads schema {SCHEMA_VERSION}"
            )
        return value

    @model_validator(mode="after")
    def _versioned_survey(self) -> Dialog:
        if self.kind is DialogKind.SURVEY and self.version is None:
            raise ValueError(
                "version: a survey needs its version (version: 1 to begin with; raise it when a "
                "question changes, see dialogs/content/surveys/keys.yaml)"
            )
        if self.kind is DialogKind.MODULE and self.version is not None:
            raise ValueError("version: only a survey has a version; remove it from this module")
        if self.kind is DialogKind.SURVEY and self.audience is not ModuleAudience.TALENT:
            raise ValueError(
                "audience: only a module has an audience; a survey goes to those the staff push it to"
            )
        return self

    @cached_property
    def _by_id(self) -> dict[str, Node]:
        by_id: dict[str, Node] = {}
        for node in self.nodes:
            by_id.setdefault(node.id, node)
        return by_id

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._by_id

    def asking(self, key: str) -> Node | None:
        """The node whose answers are stored under result ``key`` (``None``: no question of this
        version has it, such as a retired one)."""
        return next((node for node in self.nodes if node.result == key), None)

    def node(self, node_id: str) -> Node:
        """The node with this id; :class:`KeyError` if there is none (see :func:`dialogs.engine.is_stale`)."""
        try:
            return self._by_id[node_id]
        except KeyError:
            raise KeyError(f"dialog {self.id!r} has no node {node_id!r}") from None

    @property
    def quiz_nodes(self) -> tuple[Node, ...]:
        return tuple(node for node in self.nodes if node.is_quiz)

    def path(self) -> tuple[Node, ...]:
        """The nodes met by following ``next`` from ``start`` (per-choice routes and branches are
        not followed).

        For a linear dialog (every module today) this is every node, in order."""
        path: list[Node] = []
        seen: set[str] = set()
        node_id: str | None = self.start
        while node_id is not None and node_id in self and node_id not in seen:
            seen.add(node_id)
            node = self.node(node_id)
            path.append(node)
            node_id = node.next
        return tuple(path)

    @cached_property
    def _depth(self) -> dict[str, int]:
        """For every node reachable from start: the number of nodes on the longest route to it."""
        order: list[str] = []
        state: dict[str, int] = {}  # 1 = on the stack, 2 = done

        def visit(node_id: str) -> None:
            state[node_id] = 1
            for target, _via in self.node(node_id).exits():
                if target in self and target not in state:
                    visit(target)
            state[node_id] = 2
            order.append(node_id)

        if self.start in self:
            visit(self.start)
        finished = {node_id: index for index, node_id in enumerate(order)}
        depth = dict.fromkeys(order, 1)
        for node_id in reversed(order):  # a topological order; back edges (cycles) are ignored
            for target, _via in self.node(node_id).exits():
                if finished.get(target, len(order)) < finished[node_id]:
                    depth[target] = max(depth[target], depth[node_id] + 1)
        return depth

    def step_of(self, node_id: str) -> int:
        """The 1-based step of a node: its place on the longest route from start to it.

        On a linear dialog this is its place in :meth:`path`. A node not reachable counts as 1."""
        return max(self._depth.get(node_id, 1), 1)

    @property
    def total_steps(self) -> int:
        """The number of nodes on the longest route through the dialog (``len(path())`` if linear)."""
        return max(self._depth.values(), default=1)


# The standard button labels (dialogs/content/labels.yaml).

MONTHS = 12


class Labels(StrictModel):
    """The labels of the buttons every dialog shares, in every language (``labels.yaml``)::

    yes: {en: "Yes", fr: Oui, ar: نعم}
    ...
    months:                      # January to December
      - {en: January, fr: janvier, ar: كانون الثاني}
    """

    yes: Label
    no: Label
    skip: Label
    done: Label
    earlier: Label
    """The date picker's button to the months before those shown."""
    later: Label
    """The date picker's button to the months after those shown."""
    back: Label
    """The date picker's button from the days back to the months."""
    months: tuple[Label, ...] = Field(min_length=MONTHS, max_length=MONTHS)

    def month(self, month: int) -> Texts:
        """The name of a month, 1 (January) to 12."""
        return self.months[month - 1]


def load_labels(path: Path, display: str) -> Labels:
    """The standard button labels from ``path``; :class:`ContentError` naming the fault."""
    if not path.is_file():
        raise ContentError(display, "labels", "missing: the standard button labels file is needed")
    data = read_yaml(path, display)
    if not isinstance(data, dict):
        raise ContentError(display, "labels", "a labels file holds one mapping (yes, no, skip ...)")
    return validate(Labels, data, display, lambda _loc: "labels")


@cache
def shipped_labels() -> Labels:
    """The labels shipped in ``dialogs/content/labels.yaml`` (read once)."""
    return load_labels(CONTENT_DIR / LABELS_FILE, f"dialogs/content/{LABELS_FILE}")


# The registry of survey result keys (dialogs/content/surveys/keys.yaml).


class RegisteredKey(StrictModel):
    """What a survey's result key means: the type of its question and the version it came in."""

    type: AskType
    since: int = Field(ge=1)


class KeysFile(RootModel[dict[DialogId, dict[NodeId, RegisteredKey]]]):
    """``{survey id: {result key: {type: <ask type>, since: <version>}}}``.

    A key keeps its meaning for ever, so reports can compare answers across versions: a question
    of another type needs a new key, and retired keys stay listed."""

    model_config = ConfigDict(frozen=True)

    def keys_of(self, survey_id: str) -> Mapping[str, RegisteredKey]:
        return self.root.get(survey_id, {})
