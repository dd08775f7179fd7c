"""Dialogs as data: a module or a survey is a graph of nodes, read from YAML and validated.

File format (``schema: 1``), for content editors; one dialog per file, the file name is its id::

    schema: 1
    id: living-in-belgium            # = the file name without .yaml; lower-case words joined by "-"
    kind: module                     # module | survey
    order: 2                         # position in the modules menu (unique among modules)
    review: pending                  # pending | approved (by programme staff)
    title: {en: ..., fr: ..., ar: ...}
    start: intro                     # the first node
    nodes:
      - id: intro                    # lower-case words joined by "_", unique in the dialog
        say: {en: ..., fr: ..., ar: ...}
        source: "seed:001_56efb376055d9746.txt"   # or "public: ..."; required in modules
        image: optional path or URL
        link: optional https:// URL
        next: quiz_languages         # omitted on the last node
      - id: quiz_languages
        say: {...}
        source: ...
        ask:
          type: choice               # choice | text | number | rating | date
          choices:                   # choice: 2-6 items; rating: optional labels, one per value
            - id: three              # lower-case words joined by "_"
              label: {en, fr, ar}    # at most 30 characters each (a button)
              next: other_node       # optional routing for this choice (else the node's next)
          correct: three             # optional: makes the node a quiz question
          explanation: {en, fr, ar}  # required with correct, shown after the answer
          min: 1                     # number: optional bounds; rating: default 1..5
          max: 5
        result: quiz_languages       # the key staff reports show; required with ask, unique
        next: closing

This module checks what one node or one field can check on its own (ids, translations, button
labels, the shape of an ``ask``). What needs the whole graph (links, reachability, cycles,
duplicate ids and result keys, sources, placeholders, button data) is checked by
:mod:`dialogs.library` when the files are loaded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from bot.basics.content import StrictModel, Texts

SCHEMA_VERSION = 1
MAX_LABEL_CHARS = 30
MIN_CHOICES, MAX_CHOICES = 2, 6
MAX_RATING_BUTTONS = 10
DEFAULT_RATING = (1, 5)
SOURCE_PREFIXES = ("seed:", "public:")

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


class DialogKind(StrEnum):
    MODULE = "module"
    SURVEY = "survey"


class AskType(StrEnum):
    CHOICE = "choice"
    TEXT = "text"
    NUMBER = "number"
    RATING = "rating"
    DATE = "date"


class Choice(StrictModel):
    """One answer button; for a rating, the label of one value."""

    id: NodeId
    label: Texts
    next: NodeId | None = None

    @field_validator("label")
    @classmethod
    def _fits_a_button(cls, value: Texts) -> Texts:
        for lang, text in value.items():
            if len(text) > MAX_LABEL_CHARS:
                raise ValueError(
                    f"{lang.value}: {len(text)} characters, at most {MAX_LABEL_CHARS} fit a button"
                )
        return value


class Ask(StrictModel):
    """What a node asks, and how the answer is read."""

    type: AskType
    choices: tuple[Choice, ...] = ()
    correct: NodeId | None = None
    explanation: Texts | None = None
    min: int | None = None
    max: int | None = None

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
        elif self.choices and self.type is not AskType.RATING:
            raise ValueError(f"choices are only for choice and rating, not {self.type.value}")
        if self.type is not AskType.CHOICE and any(choice.next for choice in self.choices):
            raise ValueError("per-choice next is only for type choice")
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
        return self

    @property
    def rating_values(self) -> range:
        """The values of a rating, ``min`` to ``max`` (1 to 5 unless set)."""
        low = DEFAULT_RATING[0] if self.min is None else self.min
        high = DEFAULT_RATING[1] if self.max is None else self.max
        return range(low, high + 1)

    @property
    def is_quiz(self) -> bool:
        return self.correct is not None

    def choice(self, choice_id: str) -> Choice | None:
        return next((choice for choice in self.choices if choice.id == choice_id), None)


class Node(StrictModel):
    """One step: something said, optionally a question, and where to go next."""

    id: NodeId
    say: Texts
    source: Text | None = None
    image: Text | None = None
    link: Url | None = None
    ask: Ask | None = None
    result: NodeId | None = None
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
        return self

    @property
    def is_quiz(self) -> bool:
        return self.ask is not None and self.ask.is_quiz

    def exits(self) -> Iterator[tuple[str, Choice | None]]:
        """Where this node leads: ``(node id, the choice that leads there or None for next)``."""
        if self.ask is not None:
            for choice in self.ask.choices:
                if choice.next is not None:
                    yield choice.next, choice
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


class Dialog(StrictModel):
    """A module or a survey. Loaded through :func:`dialogs.library.load_dialogs`, it is also
    checked as a graph: every link leads to a node, every node is reachable, and it ends."""

    schema_version: int = Field(alias="schema")
    id: DialogId
    kind: DialogKind
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

    @cached_property
    def _by_id(self) -> dict[str, Node]:
        by_id: dict[str, Node] = {}
        for node in self.nodes:
            by_id.setdefault(node.id, node)
        return by_id

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._by_id

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
        """The nodes met by following ``next`` from ``start`` (per-choice routes are not followed).

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
            for target, _choice in self.node(node_id).exits():
                if target in self and target not in state:
                    visit(target)
            state[node_id] = 2
            order.append(node_id)

        if self.start in self:
            visit(self.start)
        finished = {node_id: index for index, node_id in enumerate(order)}
        depth = dict.fromkeys(order, 1)
        for node_id in reversed(order):  # a topological order; back edges (cycles) are ignored
            for target, _choice in self.node(node_id).exits():
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
