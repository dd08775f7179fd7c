"""French as French typography writes it: every French string the bot can send (the catalogue,
the FAQ answers and source titles, the modules, the surveys and the standard button labels) has
a narrow no-break space (U+202F) before ? ! : ; and inside guillemets (« texte »), so that a
phone never breaks the line before the mark nor leaves it glued to the word.

The marks inside a URL (https://...), a time (10:30) or a placeholder ({score}) are not French
prose and are left out. The FAQ question variants are not checked: they are matched against what
people type, and are written the way people type them; the label a variant gives a button is."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.basics.lang import Lang
from dialogs.library import load_dialogs
from faq.knowledge import load_knowledge

ROOT = Path(__file__).resolve().parents[2]
NNBSP = "\u202f"
HIGH_MARKS = "?!:;"
# Not French prose: a URL, a time, a placeholder. Each becomes a digit, which neither breaks nor
# joins a mark (neither a space nor a letter).
_NOT_PROSE = re.compile(r"https?://\S+|\b\d{1,2}:\d{2}\b|\{[^{}]*\}")


def _catalogue() -> Iterator[tuple[str, str]]:
    with (ROOT / "locales" / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        for message in read_po(po):
            if not message.id:
                continue  # the header
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for string in strings:
                if isinstance(string, str) and string:
                    yield f"messages.po {str(message.id)[:40]!r}", string


def _faq() -> Iterator[tuple[str, str]]:
    knowledge = load_knowledge()
    for entry in knowledge:
        yield f"faq {entry.id} answer", entry.answer.get(Lang.FR)
        yield f"faq {entry.id} button label", entry.label(Lang.FR)
    for source, titles in (knowledge.sources or {}).items():
        yield f"sources.yaml {source}", titles.get(Lang.FR)


def _dialogs() -> Iterator[tuple[str, str]]:
    library = load_dialogs()
    for dialog in library:
        yield f"{dialog.id} title", dialog.title.get(Lang.FR)
        for node in dialog.nodes:
            for place, texts in node.texts():
                yield f"{dialog.id} {node.id} {place}", texts.get(Lang.FR)
    assert library.labels is not None
    for name, label in library.labels:
        labels = label if isinstance(label, tuple) else (label,)
        for number, texts in enumerate(labels, start=1):
            yield f"labels.yaml {name}{f' #{number}' if len(labels) > 1 else ''}", texts.get(Lang.FR)


FRENCH = sorted({(where, text) for where, text in (*_catalogue(), *_faq(), *_dialogs())})


def faults(text: str) -> list[str]:
    """What breaks French typography in ``text``, each fault with a little of its context."""
    prose = _NOT_PROSE.sub("0", text)
    found: list[str] = []
    for at, char in enumerate(prose):
        before = prose[at - 1] if at else ""
        after = prose[at + 1] if at + 1 < len(prose) else ""
        context = prose[max(0, at - 12) : at + 12]
        if char in HIGH_MARKS and before and (before in " \u00a0" or before.isalpha()):
            found.append(f"{char!r} after {before!r}, not U+202F: {context!r}")
        elif char == "«" and after != NNBSP:
            found.append(f"« followed by {after!r}, not U+202F: {context!r}")
        elif char == "»" and before != NNBSP:
            found.append(f"» after {before!r}, not U+202F: {context!r}")
    return found


def test_there_is_french_to_check() -> None:
    assert len(FRENCH) > 300
    assert sum(NNBSP in text for _, text in FRENCH) > 150


@pytest.mark.parametrize(("where", "text"), FRENCH, ids=[where for where, _ in FRENCH])
def test_every_french_string_has_a_narrow_no_break_space_before_high_marks_and_in_guillemets(
    where: str, text: str
) -> None:
    assert faults(text) == [], f"{where}: {text!r}"


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("Bonjour !", 1),
        ("Bonjour\u00a0!", 1),
        ("Bonjour!", 1),
        ("Source : {source}", 1),
        ("le module « {title} »", 2),
        ("Bonjour\u202f! Le module «\u202f{title}\u202f»\u202f: {score}\u202f?", 0),
        ("Voir https://example.org/a?b=c:d, à 10:30, score {score}", 0),
    ],
)
def test_the_check_sees_an_ordinary_space_a_glued_mark_and_bare_guillemets(text: str, wanted: int) -> None:
    assert len(faults(text)) == wanted, faults(text)
