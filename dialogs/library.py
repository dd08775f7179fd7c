"""The dialog library: every module and survey under ``dialogs/content``, loaded and checked.

Each ``**/*.yaml`` file holds one dialog (format: :mod:`dialogs.model`). Loading stops at the
first fault with a :class:`~bot.basics.errors.ContentError` naming the file, the entry
(``node 'quiz_capital'`` or ``dialog``) and the fault. Besides the shape of each field, the
checks are:

- the YAML parses and has no duplicate keys; no unknown or missing fields; ``schema: 1``;
- the ``id`` is the file name; no two files share an id; no two modules share an ``order``;
- node ids are unique; ``start`` and every ``next`` (of a node or a choice) name a node;
- every node is reachable from ``start``, and there is no cycle: every run of a dialog ends;
- every text is in English, French and Arabic and uses only the allowed placeholders;
- a quiz question's ``correct`` is one of its choices and it has an ``explanation``;
- every question has a ``result`` key, unique in the dialog;
- button labels fit (30 characters), and button data fits the channels' limit when one is
  given (the app gives Telegram's 64 bytes);
- every node of a module names its ``source``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.basics.content import Texts, item_namer, read_yaml, validate
from bot.basics.errors import ContentError
from dialogs.engine import NEXT, StepButton
from dialogs.model import AskType, Dialog, DialogKind, Node

CONTENT_DIR = Path(__file__).resolve().parent / "content"
PLACEHOLDERS: frozenset[str] = frozenset()
"""The placeholders texts may use (``{name}``); none yet."""

DIALOG = "dialog"
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def node_entry(node_id: str) -> str:
    return f"node {node_id!r}"


@dataclass(frozen=True)
class DialogLibrary:
    """The loaded dialogs by id, and the file each came from (for messages)."""

    dialogs: Mapping[str, Dialog]
    files: Mapping[str, str] = field(default_factory=dict)

    def modules(self) -> tuple[Dialog, ...]:
        """The modules, in their ``order``."""
        return tuple(
            sorted((d for d in self.dialogs.values() if d.kind is DialogKind.MODULE), key=lambda d: d.order)
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
            path = f"ask.choices.{choice_id}{choice[2]}"
        except (KeyError, IndexError, TypeError):
            pass
    parts = path.split(".") if path else []
    if parts and rest in (f"missing field {parts[-1]!r}", f"unknown field {parts[-1]!r}"):
        parts.pop()
    return f"{'.'.join(parts)}: {rest}" if parts else rest


def parse_dialog(
    data: Any,
    display: str = "<dialog>",
    placeholders: frozenset[str] = PLACEHOLDERS,
    button_data_bytes: int | None = None,
) -> Dialog:
    """Validate one dialog's data (parsed YAML) and check it as a graph; raise :class:`ContentError`.

    ``button_data_bytes``: the most bytes of button data the channels carry (none: no limit)."""
    if not isinstance(data, dict):
        found = "nothing" if data is None else f"a {type(data).__name__}"
        raise ContentError(
            display, DIALOG, f"a dialog file holds one mapping (schema, id, kind ...), not {found}"
        )
    try:
        dialog = validate(Dialog, data, display, item_namer(data, "nodes", "node", DIALOG))
    except ContentError as exc:
        raise ContentError(exc.file, exc.entry, _readable(exc.fault, data)) from exc
    for entry, fault in faults(dialog, placeholders, button_data_bytes):
        raise ContentError(display, entry, fault)
    return dialog


def faults(
    dialog: Dialog, placeholders: frozenset[str] = PLACEHOLDERS, button_data_bytes: int | None = None
) -> Iterator[tuple[str, str]]:
    """Every fault of a validated dialog that needs more than one node to see, as ``(entry, fault)``."""
    seen: dict[str, int] = {}
    for index, node in enumerate(dialog.nodes, start=1):
        if node.id in seen:
            yield node_entry(node.id), f"duplicate node id (nodes #{seen[node.id]} and #{index})"
        seen.setdefault(node.id, index)
    if dialog.start not in dialog:
        yield DIALOG, f"start: there is no node {dialog.start!r}"
    for node in dialog.nodes:
        for target, choice in node.exits():
            if target not in dialog:
                where = "next" if choice is None else f"ask.choices.{choice.id}.next"
                yield node_entry(node.id), f"{where}: there is no node {target!r}"
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
        if dialog.kind is DialogKind.MODULE and node.source is None:
            yield node_entry(node.id), "missing field 'source': every node of a module names its source"
        for place, texts in node.texts():
            for fault in _placeholder_faults(texts, placeholders):
                yield node_entry(node.id), f"{place}.{fault}"
        for value in _button_values(node):
            data = StepButton(dialog.id, node.id, value).pack()
            size = len(data.encode())
            if button_data_bytes is not None and size > button_data_bytes:
                yield (
                    node_entry(node.id),
                    f"button data {data!r} is {size} bytes, at most {button_data_bytes} fit: "
                    "shorten the dialog, node or choice id",
                )
    for fault in _placeholder_faults(dialog.title, placeholders):
        yield DIALOG, f"title.{fault}"


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


def _placeholder_faults(texts: Texts, placeholders: frozenset[str]) -> Iterator[str]:
    allowed = ", ".join(f"{{{name}}}" for name in sorted(placeholders)) or "none"
    for lang, text in texts.items():
        for name in _PLACEHOLDER.findall(text):
            if name not in placeholders:
                yield f"{lang.value}: unknown placeholder {{{name}}}; allowed: {allowed}"


def _button_values(node: Node) -> Iterator[str]:
    if node.ask is None:
        yield NEXT
    elif node.ask.type is AskType.CHOICE:
        for choice in node.ask.choices:
            yield choice.id
    elif node.ask.type is AskType.RATING:
        for value in node.ask.rating_values:
            yield str(value)


def load_dialogs(
    content_dir: Path = CONTENT_DIR,
    placeholders: frozenset[str] = PLACEHOLDERS,
    display_root: Path | None = None,
    button_data_bytes: int | None = None,
) -> DialogLibrary:
    """Load and check every ``**/*.yaml`` under ``content_dir``; raise :class:`ContentError` on a fault.

    File names in messages are relative to ``display_root`` (default: the project root);
    ``button_data_bytes`` is the channels' limit on button data (none: no limit)."""
    root = display_root or content_dir.parent.parent
    dialogs: dict[str, Dialog] = {}
    files: dict[str, str] = {}
    orders: dict[int, str] = {}
    paths = sorted(content_dir.rglob("*.yaml"))
    if not paths:
        raise ContentError(str(content_dir), "", "no dialog files (*.yaml) found")
    for path in paths:
        display = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        try:
            data = read_yaml(path, display)
        except ContentError as exc:
            raise ContentError(exc.file, DIALOG, exc.fault) from exc
        dialog = parse_dialog(data, display, placeholders, button_data_bytes)
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
            if dialog.order in orders:
                raise ContentError(
                    display, DIALOG, f"order: {dialog.order} is also the order of {orders[dialog.order]}"
                )
            orders[dialog.order] = display
        dialogs[dialog.id] = dialog
        files[dialog.id] = display
    return DialogLibrary(dialogs=dialogs, files=files)
