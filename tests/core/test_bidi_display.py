"""Arabic as phones show it: every Arabic string the bot can send (the catalogue, the FAQ
answers, the modules and surveys, with their placeholders filled with scores, dates, numbers and
Latin names) is laid out by the Unicode bidirectional algorithm (python-bidi, tests only), right
to left as Telegram does, and every number, fraction, date and Latin name reads as written."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from babel.messages.pofile import read_po
from bidi import get_display
from hypothesis import given
from hypothesis import strategies as st

from bot.basics.lang import Lang
from bot.channels.telegram.render import split_text
from bot.core.bidi import FSI, PDI, strip_bidi_controls
from bot.core.scope import reply

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ("2/3", "31/12/2026", "120,000", "Expat Centre Leiden", "T-0042", "94%", "DT4E", "3")
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
# What must keep its order: Latin words and numbers, with what joins them inside a name or a
# number (a slash between digits, a comma or a point in a number, single spaces between words).
_TOKEN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9%’'&+\-]|[/.,:](?=[A-Za-z0-9])| (?=[A-Za-z0-9]))*")


def shown(text: str) -> str:
    """``text`` as an Arabic reply is laid out on a right-to-left screen, read left to right."""
    return strip_bidi_controls(get_display(reply(Lang.AR, text).text, base_dir="R"))


def tokens(text: str) -> list[str]:
    plain = strip_bidi_controls(text)
    return [t for t in _TOKEN.findall(plain) if plain[max(0, plain.find(t) - 1)] not in "/@"]


def misplaced(text: str) -> list[str]:
    display = shown(text)
    return [t for t in tokens(text) if t not in display]


def _catalogue() -> Iterator[str]:
    with (ROOT / "locales" / "ar" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        for message in read_po(po):
            if message.id and isinstance(message.string, str) and message.string:
                yield message.string


def _arabic_values(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "ar" and isinstance(value, str):
                yield value
            else:
                yield from _arabic_values(value)
    elif isinstance(node, list):
        for item in node:
            yield from _arabic_values(item)


def _content() -> Iterator[str]:
    for path in sorted(
        [*(ROOT / "faq" / "content").glob("*.yaml"), *(ROOT / "dialogs" / "content").rglob("*.yaml")]
    ):
        yield from _arabic_values(yaml.safe_load(path.read_text(encoding="utf-8")))


def filled(text: str) -> str:
    samples = itertools.cycle(SAMPLES)
    return _PLACEHOLDER.sub(lambda _: next(samples), text.replace("{contact}", "DT4E team"))


ARABIC = sorted({filled(text) for text in itertools.chain(_catalogue(), _content())})


def test_there_is_arabic_to_check() -> None:
    assert len(ARABIC) > 300


@pytest.mark.parametrize("text", ARABIC, ids=lambda t: t[:30])
def test_every_arabic_string_keeps_its_numbers_dates_and_latin_names_in_order(text: str) -> None:
    assert misplaced(text) == [], shown(text)


_COMMAND = re.compile(r"(?<![\w/:])/[a-z_]+")


@pytest.mark.parametrize("text", [t for t in ARABIC if _COMMAND.search(t)], ids=lambda t: t[:30])
def test_every_command_in_arabic_is_shown_with_its_slash_first(text: str) -> None:
    """ "/help" in right-to-left text, unmarked, is shown as "help/"."""
    display = shown(text)
    assert [c for c in _COMMAND.findall(strip_bidi_controls(text)) if c not in display] == [], display


ARABIC_WORDS = ("الاختبار", "إجابات", "صحيحة", "المصدر", "مركز", "في", "حتى", "من", "تاريخ")
LATIN = st.sampled_from(["Expat Centre Leiden", "Fragomen", "DT4E", "IOM", "Talent Catalog", "Belgium"])
NUMBERS = st.one_of(
    st.integers(0, 10**7).map(lambda n: f"{n:,}"),
    st.tuples(st.integers(0, 20), st.integers(1, 20)).map(lambda ab: f"{ab[0]}/{ab[1]}"),
    st.dates().map(lambda d: d.strftime("%d/%m/%Y")),
    st.integers(0, 100).map(lambda n: f"{n}%"),
)


@given(
    st.lists(st.one_of(st.sampled_from(ARABIC_WORDS), LATIN, NUMBERS), min_size=1, max_size=12),
    st.sampled_from([" ", ": ", "، ", " (", ") "]),
)
def test_composed_arabic_keeps_every_number_and_name_in_order(parts: list[str], joint: str) -> None:
    text = "المصدر: " + joint.join(parts)
    assert misplaced(text) == [], shown(text)


def test_an_arabic_message_cut_at_the_limit_keeps_its_isolates_balanced() -> None:
    text = reply(Lang.AR, "قبل " + " ".join(["Expat Centre Leiden"] * 400) + " بعد").text
    chunks = split_text(text, 4096)
    assert len(chunks) >= 2
    for chunk in chunks:
        assert len(chunk) <= 4096
        assert chunk.count(FSI) == chunk.count(PDI), "each message is balanced"
