"""A dialog drawn as a Mermaid flowchart, for content editors and reviewers.

Information nodes are boxes, questions are rounded, quiz questions are hexagons (class ``quiz``),
questions with an alert have a red border (class ``alert``), a checklist is a box with double
sides (class ``checklist``) whose label ends with its number of items (``☑ 14``); each label is
the node id and the start of its text. Arrows follow ``next``; a choice with its own ``next``
gets an arrow labelled with the choice, a branch one labelled with its condition (``≤ 2``,
``≥ 9``, the answer's label), and an optional question a dotted arrow labelled "Skip" to where
a skip goes (its ``next``).
Paste the output into any Mermaid viewer (GitHub renders ```` ```mermaid ```` blocks).
"""

from __future__ import annotations

from bot.basics.lang import Lang
from dialogs.model import YES, Ask, AskType, Branch, Dialog, Labels, Node, Via, shipped_labels

LABEL_CHARS = 40
QUIZ_STYLE = "fill:#fff4d6,stroke:#b7791f"
ALERT_STYLE = "stroke:#c53030,stroke-width:3px"
CHECKLIST_STYLE = "fill:#e6fffa,stroke:#2c7a7b"

# Words Mermaid reads as keywords; node ids are lower case, so the capitalised word is free.
_RESERVED = frozenset({"end", "graph", "flowchart", "subgraph", "style", "class", "classdef", "click"})
_ESCAPES = str.maketrans({'"': "#quot;", "#": "#35;", "<": "#lt;", ">": "#gt;", "\n": " ", "\r": " "})


def _id(node_id: str) -> str:
    return node_id.capitalize() if node_id in _RESERVED else node_id


def shorten(text: str, limit: int = LABEL_CHARS) -> str:
    """The first ``limit`` characters of ``text`` on one line, cut at a word if one is near."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if text[limit] != " " and space >= limit // 2:  # the last word is cut: drop it
        cut = cut[:space]
    return cut.rstrip(" ,.;:") + "…"


def _escape(text: str) -> str:
    return text.translate(_ESCAPES)


def _shape(node: Node, label: str) -> str:
    if node.is_quiz:
        return "{{" + label + "}}"
    if node.ask is not None:
        return "(" + label + ")"
    if node.checklist is not None:
        return "[[" + label + "]]"
    return "[" + label + "]"


def _condition(ask: Ask, branch: Branch, lang: Lang, labels: Labels) -> str:
    if branch.at_most is not None:
        return f"≤ {branch.at_most}"
    if branch.at_least is not None:
        return f"≥ {branch.at_least}"
    if ask.type is AskType.YES_NO:
        return (labels.yes if branch.answer == YES else labels.no).get(lang)
    choice = ask.choice(branch.answer or "")
    return choice.label.get(lang) if choice is not None else str(branch.answer)


def _exit_label(node: Node, via: Via, lang: Lang, labels: Labels) -> str | None:
    if via is None or node.ask is None:
        return None
    if isinstance(via, Branch):
        return _condition(node.ask, via, lang, labels)
    return via.label.get(lang)


def mermaid(dialog: Dialog, lang: Lang = Lang.EN, *, labels: Labels | None = None) -> str:
    """The dialog as a Mermaid ``flowchart TD``, with texts in ``lang`` (and the standard button
    labels ``labels``, by default the shipped ones)."""
    words = labels if labels is not None else shipped_labels()
    lines = ["flowchart TD"]
    for node in dialog.nodes:
        items = f" ☑ {len(node.checklist)}" if node.checklist is not None else ""
        label = f'"{_escape(node.id)}: {_escape(shorten(node.say.get(lang)))}{items}"'
        lines.append(f"    {_id(node.id)}{_shape(node, label)}")
    for node in dialog.nodes:
        for target, via in node.exits():
            text = _exit_label(node, via, lang, words)
            if text is None:
                lines.append(f"    {_id(node.id)} --> {_id(target)}")
            else:
                lines.append(f'    {_id(node.id)} -->|"{_escape(shorten(text))}"| {_id(target)}')
        if node.ask is not None and node.ask.optional and node.next is not None:
            skip = _escape(shorten(words.skip.get(lang)))
            lines.append(f'    {_id(node.id)} -.->|"{skip}"| {_id(node.next)}')
    for name, style, members in (
        ("quiz", QUIZ_STYLE, [node for node in dialog.nodes if node.is_quiz]),
        ("alert", ALERT_STYLE, [node for node in dialog.nodes if node.ask and node.ask.alert]),
        ("checklist", CHECKLIST_STYLE, [node for node in dialog.nodes if node.checklist is not None]),
    ):
        if members:
            lines.append(f"    classDef {name} {style}")
            lines.append(f"    class {','.join(_id(node.id) for node in members)} {name}")
    return "\n".join(lines) + "\n"
