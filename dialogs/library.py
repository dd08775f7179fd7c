"""The dialog library: every module and survey under ``dialogs/content``, loaded and checked.

Each ``**/*.yaml`` file holds one dialog (format: :mod:`dialogs.model`), except two: the standard
button labels (``labels.yaml``) and the registry of survey result keys (``surveys/keys.yaml``),
which are read first. Loading stops at the first fault with a
:class:`~bot.basics.errors.ContentError` naming the file, the entry (``node 'quiz_capital'``,
``dialog``, ``labels`` or ``survey 'talent-follow-up'``) and the fault. Besides the shape of each
field, the checks are:

- the YAML parses and has no duplicate keys; no unknown or missing fields; ``schema: 1``;
- the ``id`` is the file name; no two files share an id; no two modules of one ``audience``
  share an ``order``;
- a survey has a ``version`` (1 or more), a module has none; only a module has an ``audience``;
- node ids are unique; ``start`` and every ``next`` (of a node, a choice or a branch) name a node;
- every node is reachable from ``start`` (also through branches), and there is no cycle: every
  run of a dialog ends;
- every text is in English, French and Arabic and uses only the allowed placeholders (a module's
  ``{contact}``; none in a survey);
- a quiz question's ``correct`` is one of its choices and it has an ``explanation``;
- a choice has 2-6 choices, a multi 2-8; nps and yes_no have neither choices nor bounds;
  ``span`` and ``precision`` only on a date; ``skip`` and ``done`` are not choice ids where
  those buttons are shown;
- a branch or an alert has exactly one condition: ``at_most`` / ``at_least`` within the scale of
  a rating or nps, or an ``answer`` that the choice or yes_no question can give;
- every question has a ``result`` key, unique in the dialog;
- button labels fit (30 characters), and button data fits the channels' limit when one is
  given (the app gives Telegram's 64 bytes), for every button a node can show: choices, values,
  yes/no, done, skip, and a date picker's longest (a day, ``2026-12-31``);
- every node of a module or a survey names its ``source``;
- a checklist is on a node without ``ask``, in a module (surveys show none), with 1 to 16 items
  of one line each; each key of an item's ``when`` is the result of a ``choice`` (not a quiz),
  ``yes_no`` or ``multi`` question that can come before the checklist's node, and each answer
  listed is one that question can give;
- each result key of a survey is in ``surveys/keys.yaml`` under the survey, with the type of its
  question and ``since`` no later than the survey's ``version`` (keys it no longer uses may stay);
- the labels file has every label in every language, and the twelve months.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.basics.content import Texts, item_namer, read_yaml, validate
from bot.basics.errors import ContentError
from dialogs.engine import LONGEST_PICKER_VALUE, MAX_DATE_PAGES, NEXT, StepButton
from dialogs.model import CONTENT_DIR as CONTENT_DIR
from dialogs.model import (
    DONE,
    LABELS_FILE,
    NO,
    SKIP,
    WHEN_TYPES,
    YES,
    AskType,
    Branch,
    Dialog,
    DialogKind,
    KeysFile,
    Labels,
    ModuleAudience,
    Node,
    RegisteredKey,
    Via,
    load_labels,
)

KEYS_FILE = "surveys/keys.yaml"
"""The registry of survey result keys, relative to the content folder."""
CONTACT = "contact"
"""``{contact}``: the deployment's contact channel, filled in when a module's step is shown."""
PLACEHOLDERS: Mapping[DialogKind, frozenset[str]] = {
    DialogKind.MODULE: frozenset({CONTACT}),
    DialogKind.SURVEY: frozenset(),
}
"""The placeholders the texts of each kind of dialog may use (``{name}``): the module runner
fills ``{contact}``; the survey runner fills none."""

DIALOG = "dialog"
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def node_entry(node_id: str) -> str:
    return f"node {node_id!r}"


@dataclass(frozen=True)
class DialogLibrary:
    """The loaded dialogs by id, and the file each came from (for messages)."""

    dialogs: Mapping[str, Dialog]
    files: Mapping[str, str] = field(default_factory=dict)
    labels: Labels | None = None
    """The standard button labels, for :func:`dialogs.engine.screen` (``None``: the shipped ones)."""

    def modules(self, audience: ModuleAudience | None = ModuleAudience.TALENT) -> tuple[Dialog, ...]:
        """The modules of ``audience`` in their ``order``: by default the talents' (the
        pre-departure orientation); ``None``: every module, by audience then order."""
        audiences = list(ModuleAudience)
        return tuple(
            sorted(
                (
                    d
                    for d in self.dialogs.values()
                    if d.kind is DialogKind.MODULE and audience in (None, d.audience)
                ),
                key=lambda d: (audiences.index(d.audience), d.order),
            )
        )

    def surveys(self) -> tuple[Dialog, ...]:
        return tuple(
            sorted((d for d in self.dialogs.values() if d.kind is DialogKind.SURVEY), key=lambda d: d.order)
        )

    def get(self, dialog_id: str) -> Dialog | None:
        return self.dialogs.get(dialog_id)

    def __contains__(self, dialog_id: object) -> bool:
        return dialog_id in self.dialogs

    def __iter__(self) -> Iterator[Dialog]:
        return iter(self.dialogs.values())

    def __len__(self) -> int:
        return len(self.dialogs)


def _readable(fault: str, data: Any) -> str:
    """Say where in the entry a validation fault is, briefly: ``nodes.3.ask.choices.1.label: ...``
    becomes ``ask.choices.two.label: ...`` (the entry already names the node), and
    ``say: missing field 'say'`` becomes ``missing field 'say'``."""
    match = re.match(r"(?:nodes\.(\d+))?\.?([\w.]*): ", fault)
    if match is None or not (match[1] or match[2]):
        return fault
    path, rest = match[2] or "", fault[match.end() :]
    choice = re.match(r"^ask\.choices\.(\d+)(.*)$", path)
    if choice is not None and match[1] is not None:
        try:
            choice_id = data["nodes"][int(match[1])]["ask"]["choices"][int(choice[1])]["id"]
            if isinstance(choice_id, str):
                path = f"ask.choices.{choice_id}{choice[2]}"
        except (KeyError, IndexError, TypeError):
            pass
    path = re.sub(r"^checklist\.(\d+)", lambda item: f"checklist #{int(item[1]) + 1}", path)
    parts = path.split(".") if path else []
    if parts and rest in (f"missing field {parts[-1]!r}", f"unknown field {parts[-1]!r}"):
        parts.pop()
    return f"{'.'.join(parts)}: {rest}" if parts else rest


@dataclass(frozen=True)
class KeyRegistry:
    """The survey result keys of ``surveys/keys.yaml`` (:class:`~dialogs.model.KeysFile`), and the
    file's name for messages."""

    surveys: KeysFile = field(default_factory=lambda: KeysFile({}))
    file: str = f"dialogs/content/{KEYS_FILE}"

    def keys_of(self, survey_id: str) -> Mapping[str, RegisteredKey]:
        return self.surveys.keys_of(survey_id)


def load_keys(path: Path, display: str) -> KeyRegistry:
    """The key registry from ``path`` (none there: an empty one); :class:`ContentError` on a fault."""
    if not path.is_file():
        return KeyRegistry(file=display)
    data = read_yaml(path, display)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ContentError(
            display, "", f"a key registry holds one mapping of survey ids, not a {type(data).__name__}"
        )

    def entry(loc: tuple[int | str, ...]) -> str:
        return f"survey {loc[0]!r}" if loc else ""

    try:
        return KeyRegistry(validate(KeysFile, data, display, entry), display)
    except ContentError as exc:  # the entry names the survey: the fault starts at its key
        survey = exc.entry.removeprefix("survey ").strip("'")
        raise ContentError(exc.file, exc.entry, exc.fault.removeprefix(f"{survey}.")) from exc


def parse_dialog(
    data: Any,
    display: str = "<dialog>",
    placeholders: frozenset[str] | None = None,
    button_data_bytes: int | None = None,
    keys: KeyRegistry | None = None,
) -> Dialog:
    """Validate one dialog's data (parsed YAML) and check it as a graph; raise :class:`ContentError`.

    ``placeholders``: the placeholders its texts may use (none given: :data:`PLACEHOLDERS` for
    its kind); ``button_data_bytes``: the most bytes of button data the channels carry (none: no limit);
    ``keys``: the registry a survey's result keys are checked against (none: not checked)."""
    if not isinstance(data, dict):
        found = "nothing" if data is None else f"a {type(data).__name__}"
        raise ContentError(
            display, DIALOG, f"a dialog file holds one mapping (schema, id, kind ...), not {found}"
        )
    try:
        dialog = validate(Dialog, data, display, item_namer(data, "nodes", "node", DIALOG))
    except ContentError as exc:
        raise ContentError(exc.file, exc.entry, _readable(exc.fault, data)) from exc
    for entry, fault in faults(dialog, placeholders, button_data_bytes, keys):
        raise ContentError(display, entry, fault)
    return dialog


def _exit_place(via: Via) -> str:
    if via is None:
        return "next"
    if isinstance(via, Branch):
        return f"ask.branches ({via.describe()}).next"
    return f"ask.choices.{via.id}.next"


def faults(
    dialog: Dialog,
    placeholders: frozenset[str] | None = None,
    button_data_bytes: int | None = None,
    keys: KeyRegistry | None = None,
) -> Iterator[tuple[str, str]]:
    """Every fault of a validated dialog that needs more than one node to see, as ``(entry, fault)``.

    ``placeholders``: as for :func:`parse_dialog`. With ``keys``, a survey's result keys are
    checked against the registry too."""
    allowed = PLACEHOLDERS[dialog.kind] if placeholders is None else placeholders
    note = "" if allowed or placeholders is not None else f" (a {dialog.kind.value} fills none)"
    seen: dict[str, int] = {}
    for index, node in enumerate(dialog.nodes, start=1):
        if node.id in seen:
            yield node_entry(node.id), f"duplicate node id (nodes #{seen[node.id]} and #{index})"
        seen.setdefault(node.id, index)
    if dialog.start not in dialog:
        yield DIALOG, f"start: there is no node {dialog.start!r}"
    for node in dialog.nodes:
        for target, via in node.exits():
            if target not in dialog:
                yield node_entry(node.id), f"{_exit_place(via)}: there is no node {target!r}"
    yield from _graph_faults(dialog)
    results: dict[str, str] = {}
    for node in dialog.nodes:
        if node.result is not None:
            if node.result in results:
                yield (
                    node_entry(node.id),
                    f"result: {node.result!r} is also the result of node {results[node.result]!r}",
                )
            results.setdefault(node.result, node.id)
        if node.source is None:
            yield (
                node_entry(node.id),
                f"missing field 'source': every node of a {dialog.kind.value} names its source",
            )
        for place, texts in node.texts():
            for fault in _placeholder_faults(texts, allowed):
                yield node_entry(node.id), f"{place}.{fault}{note}"
        if button_data_bytes is not None:
            yield from _button_faults(dialog.id, node, button_data_bytes)
    for fault in _placeholder_faults(dialog.title, allowed):
        yield DIALOG, f"title.{fault}{note}"
    yield from _checklist_faults(dialog)
    if keys is not None:
        yield from _key_faults(dialog, keys)


def _button_faults(dialog_id: str, node: Node, limit: int) -> Iterator[tuple[str, str]]:
    """The first button data of the node that is over ``limit`` bytes, if any."""
    for value in _button_values(node):
        data = StepButton(dialog_id, node.id, value).pack()
        size = len(data.encode())
        if size > limit:
            yield (
                node_entry(node.id),
                f"button data {data!r} is {size} bytes, at most {limit} fit: "
                "shorten the dialog, node or choice id",
            )
            return


def _key_faults(dialog: Dialog, keys: KeyRegistry) -> Iterator[tuple[str, str]]:
    """A survey's result keys against the registry: each registered, with its type, in time."""
    if dialog.kind is not DialogKind.SURVEY or dialog.version is None:
        return
    version = dialog.version
    registered = keys.keys_of(dialog.id)
    used: set[str] = set()
    for node in dialog.nodes:
        if node.ask is None or node.result is None:
            continue
        key, kind = node.result, node.ask.type
        used.add(key)
        entry = registered.get(key)
        if entry is None:
            yield (
                node_entry(node.id),
                f"result: key {key!r} is new: add `{key}: {{type: {kind.value}, since: {version}}}`"
                f" under {dialog.id} in {keys.file}",
            )
        elif entry.type is not kind:
            yield (
                node_entry(node.id),
                f"result: key {key!r} was {entry.type.article} in version {entry.since}; "
                f"a question of another type needs a new key (this one is {kind.article})",
            )
        elif entry.since > version:
            yield (
                node_entry(node.id),
                f"result: key {key!r} is in {keys.file} since version {entry.since}, after this "
                f"survey's version {version}: raise version to {entry.since}, or correct since",
            )
    for key, entry in registered.items():
        if key not in used and entry.since > version:
            yield (
                DIALOG,
                f"version: {keys.file} has key {key!r} since version {entry.since}, after this "
                f"survey's version {version}: raise version to {entry.since}, or correct since",
            )


def _graph_faults(dialog: Dialog) -> Iterator[tuple[str, str]]:
    if dialog.start not in dialog:
        return
    state: dict[str, int] = {}  # 1 = on the route being followed, 2 = done
    route: list[str] = []
    cycles: list[list[str]] = []

    def visit(node_id: str) -> None:
        state[node_id] = 1
        route.append(node_id)
        for target, _choice in dialog.node(node_id).exits():
            if target not in dialog:
                continue
            if state.get(target) == 1:
                cycles.append([*route[route.index(target) :], target])
            elif target not in state:
                visit(target)
        route.pop()
        state[node_id] = 2

    visit(dialog.start)
    for node in dialog.nodes:
        if node.id not in state:
            yield node_entry(node.id), f"unreachable: no route leads here from start {dialog.start!r}"
    for cycle in cycles:
        yield (
            node_entry(cycle[-2]),
            f"next: cycle {' -> '.join(cycle)}; a dialog must end, so no route may come back",
        )


def _leading_to(dialog: Dialog, node_id: str) -> set[str]:
    """The nodes with a route to ``node_id`` (not counting itself, unless on a cycle)."""
    before: dict[str, set[str]] = {}
    for node in dialog.nodes:
        for target, _via in node.exits():
            before.setdefault(target, set()).add(node.id)
    found: set[str] = set()
    waiting = [node_id]
    while waiting:
        for source in before.get(waiting.pop(), ()):
            if source not in found:
                found.add(source)
                waiting.append(source)
    return found


def _checklist_faults(dialog: Dialog) -> Iterator[tuple[str, str]]:
    """A checklist is shown by modules only, and its items read answers given before it."""
    asking = {node.result: node for node in dialog.nodes if node.result is not None}
    results = ", ".join(asking) or "none"
    for node in dialog.nodes:
        if node.checklist is None:
            continue
        if dialog.kind is not DialogKind.MODULE:
            yield (
                node_entry(node.id),
                f"checklist: only a module shows a checklist; a {dialog.kind.value} does not",
            )
            continue
        earlier = _leading_to(dialog, node.id)
        for number, item in enumerate(node.checklist, start=1):
            for key, answers in (item.when or {}).items():
                place = f"checklist #{number}.when.{key}"
                question = asking.get(key)
                if question is None or question.ask is None:
                    yield node_entry(node.id), f"{place}: no question has result {key!r}; results: {results}"
                    continue
                ask = question.ask
                if ask.type not in WHEN_TYPES or ask.is_quiz:
                    what = "a quiz question" if ask.is_quiz else ask.type.article
                    yield (
                        node_entry(node.id),
                        f"{place}: node {question.id!r} asks {what}; when reads the answers of"
                        " choice (not a quiz), multi and yes_no questions",
                    )
                    continue
                if question.id not in earlier:
                    yield (
                        node_entry(node.id),
                        f"{place}: node {question.id!r} never comes before this node, so the item"
                        " would never show: move the checklist after the question",
                    )
                possible = ask.possible_answers
                for answer in answers:
                    if answer not in possible:
                        yield (
                            node_entry(node.id),
                            f"{place}: {answer!r} is not a possible answer; possible: {', '.join(possible)}",
                        )


def _placeholder_faults(texts: Texts, placeholders: frozenset[str]) -> Iterator[str]:
    allowed = ", ".join(f"{{{name}}}" for name in sorted(placeholders)) or "none"
    for lang, text in texts.items():
        for name in _PLACEHOLDER.findall(text):
            if name not in placeholders:
                yield f"{lang.value}: unknown placeholder {{{name}}}; allowed: {allowed}"


def _button_values(node: Node) -> Iterator[str]:
    """The values of every button the node can show (for a date picker: its longest ones)."""
    ask = node.ask
    if ask is None:
        yield NEXT
        return
    if ask.type in (AskType.CHOICE, AskType.MULTI):
        for choice in ask.choices:
            yield choice.id
    elif ask.scale is not None:
        for value in ask.scale:
            yield str(value)
    elif ask.type is AskType.YES_NO:
        yield from (YES, NO)
    elif ask.type is AskType.DATE:
        yield from (LONGEST_PICKER_VALUE, f"p{MAX_DATE_PAGES - 1}")
    if ask.type is AskType.MULTI:
        yield DONE
    if ask.optional:
        yield SKIP


def load_dialogs(
    content_dir: Path = CONTENT_DIR,
    placeholders: frozenset[str] | None = None,
    display_root: Path | None = None,
    button_data_bytes: int | None = None,
    keys_file: Path | None = None,
) -> DialogLibrary:
    """Load and check every ``**/*.yaml`` under ``content_dir``; raise :class:`ContentError` on a fault.

    ``placeholders``: as for :func:`parse_dialog`. File names in messages are relative to
    ``display_root`` (default: the project root);
    ``button_data_bytes`` is the channels' limit on button data (none: no limit); ``keys_file``
    the registry of survey result keys (default: ``surveys/keys.yaml`` in ``content_dir``; a
    missing registry is an empty one). The standard labels are ``labels.yaml`` in
    ``content_dir``, or the shipped ones when the folder has none."""
    root = display_root or content_dir.parent.parent

    def shown(path: Path) -> str:
        return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)

    labels_path = content_dir / LABELS_FILE
    if not labels_path.is_file():
        labels_path = CONTENT_DIR / LABELS_FILE
    labels = load_labels(labels_path, shown(labels_path))
    keys_path = keys_file or content_dir / KEYS_FILE
    keys = load_keys(keys_path, shown(keys_path))
    dialogs: dict[str, Dialog] = {}
    files: dict[str, str] = {}
    orders: dict[tuple[ModuleAudience, int], str] = {}
    not_dialogs = {(content_dir / name).resolve() for name in (LABELS_FILE, KEYS_FILE)}
    paths = [path for path in sorted(content_dir.rglob("*.yaml")) if path.resolve() not in not_dialogs]
    if not paths:
        raise ContentError(str(content_dir), "", "no dialog files (*.yaml) found")
    for path in paths:
        display = shown(path)
        try:
            data = read_yaml(path, display)
        except ContentError as exc:
            raise ContentError(exc.file, DIALOG, exc.fault) from exc
        dialog = parse_dialog(data, display, placeholders, button_data_bytes, keys)
        if dialog.id != path.stem:
            raise ContentError(
                display,
                DIALOG,
                f"id: {dialog.id!r} must be the file name: rename the file or set id: {path.stem}",
            )
        if dialog.id in dialogs:
            raise ContentError(
                display, DIALOG, f"id: duplicate id {dialog.id!r} (also in {files[dialog.id]})"
            )
        if dialog.kind is DialogKind.MODULE:
            place = (dialog.audience, dialog.order)
            if place in orders:
                raise ContentError(
                    display,
                    DIALOG,
                    f"order: {dialog.order} is also the order of {orders[place]}"
                    f" (among the {dialog.audience.value} modules)",
                )
            orders[place] = display
        dialogs[dialog.id] = dialog
        files[dialog.id] = display
    return DialogLibrary(dialogs=dialogs, files=files, labels=labels)
