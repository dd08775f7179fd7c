"""A dialog drawn as a Mermaid flowchart, for content editors and reviewers.

Information nodes are boxes, questions are rounded, quiz questions are hexagons (class ``quiz``);
each label is the node id and the start of its text. Arrows follow ``next``; a choice with its
own ``next`` gets an arrow labelled with the choice. Paste the output into any Mermaid viewer
(GitHub renders ```` ```mermaid ```` blocks).
"""

from __future__ import annotations

from bot.basics.lang import Lang
from dialogs.model import Dialog, Node

LABEL_CHARS = 40
QUIZ_STYLE = "fill:#fff4d6,stroke:#b7791f"

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
    return "[" + label + "]"


def mermaid(dialog: Dialog, lang: Lang = Lang.EN) -> str:
    """The dialog as a Mermaid ``flowchart TD``, with texts in ``lang``."""
    lines = ["flowchart TD"]
    for node in dialog.nodes:
        label = f'"{_escape(node.id)}: {_escape(shorten(node.say.get(lang)))}"'
        lines.append(f"    {_id(node.id)}{_shape(node, label)}")
    for node in dialog.nodes:
        for target, choice in node.exits():
            if choice is None:
                lines.append(f"    {_id(node.id)} --> {_id(target)}")
            else:
                text = _escape(shorten(choice.label.get(lang)))
                lines.append(f'    {_id(node.id)} -->|"{text}"| {_id(target)}')
    quizzes = [_id(node.id) for node in dialog.nodes if node.is_quiz]
    if quizzes:
        lines.append(f"    classDef quiz {QUIZ_STYLE}")
        lines.append(f"    class {','.join(quizzes)} quiz")
    return "\n".join(lines) + "\n"
