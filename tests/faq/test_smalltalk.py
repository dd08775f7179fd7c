"""Small talk: recognised only when the whole message is small talk, answered in its language;
its words are content, validated like the FAQ."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.basics.errors import ContentError
from bot.basics.lang import Lang
from faq.knowledge import CONTENT_DIR, load_knowledge
from faq.smalltalk import SMALLTALK_FILE, SmallTalk, Social


@pytest.fixture(scope="module")
def small_talk() -> SmallTalk:
    found = load_knowledge().small_talk
    assert found is not None, "faq/content/smalltalk.yaml is shipped"
    return found


@pytest.mark.parametrize(
    ("text", "kind", "lang"),
    [
        ("hello", Social.GREETING, Lang.EN),
        ("Good morning everyone!", Social.GREETING, Lang.EN),
        ("bonjour", Social.GREETING, Lang.FR),
        ("السلام عليكم ورحمة الله", Social.GREETING, Lang.AR),
        ("mar7aba", Social.GREETING, Lang.AR),
        ("thanks a lot 🙏", Social.THANKS, Lang.EN),
        ("merci bcp", Social.THANKS, Lang.FR),
        ("يعطيك العافية", Social.THANKS, Lang.AR),
        ("shukran ktir", Social.THANKS, Lang.AR),
        ("ok thanks, bye", Social.BYE, Lang.EN),
        ("مع السلامة", Social.BYE, Lang.AR),
        ("d'accord", Social.ACK, Lang.FR),
        ("تمام", Social.ACK, Lang.AR),
    ],
)
def test_small_talk_is_recognised_with_its_language(
    small_talk: SmallTalk, text: str, kind: Social, lang: Lang
) -> None:
    assert small_talk.intent(text) == (kind, lang)


@pytest.mark.parametrize(
    "text",
    [
        "hello, which visa will I get?",
        "thanks, and who pays for the ticket",
        "مرحبا، شو نوع الفيزا؟",
        "bonjour je cherche un logement",
        "thank you " * 10,  # a long message is a question, whatever its words
        "",
        "🙂",
        "very much",  # only companion words: no kind
    ],
)
def test_anything_more_is_not_small_talk(small_talk: SmallTalk, text: str) -> None:
    assert small_talk.intent(text) is None


def test_a_word_shared_by_languages_follows_the_users_choice(small_talk: SmallTalk) -> None:
    """Lebanese users say "merci" too; "ok" is everyone's."""
    assert small_talk.intent("merci", preferred=Lang.AR) == (Social.THANKS, Lang.AR)
    assert small_talk.intent("merci", preferred=Lang.EN) == (Social.THANKS, Lang.FR)
    assert small_talk.intent("ok", preferred=Lang.FR) == (Social.ACK, Lang.FR)
    assert small_talk.intent("ok") == (Social.ACK, Lang.EN)


def _with_small_talk(tmp_path: Path, text: str) -> Path:
    content = tmp_path / "faq" / "content"
    shutil.copytree(CONTENT_DIR, content)
    (content / SMALLTALK_FILE).write_text(text, encoding="utf-8")
    return content


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("schema: 1\nkinds:\n  cheers: {en: [hi], fr: [salut], ar: [هلا]}\n", "kinds.cheers"),
        ("schema: 1\nkinds:\n  bye: {en: [bye], fr: [ciao], ar: [باي]}\n", "missing thanks, greeting, ack"),
        ("schema: 1\nkinds: {}\ncolour: blue\n", "unknown field 'colour'"),
    ],
)
def test_a_broken_small_talk_file_names_file_and_fault(tmp_path: Path, text: str, fault: str) -> None:
    with pytest.raises(ContentError) as caught:
        load_knowledge(_with_small_talk(tmp_path, text))
    assert caught.value.file == "faq/content/smalltalk.yaml"
    assert fault in caught.value.fault, str(caught.value)


def test_a_greeting_added_to_the_file_is_recognised(tmp_path: Path) -> None:
    shipped = (CONTENT_DIR / SMALLTALK_FILE).read_text(encoding="utf-8")
    added = shipped.replace("greeting:\n    en: [hi,", "greeting:\n    en: [howdy, hi,")
    assert added != shipped
    small_talk = load_knowledge(_with_small_talk(tmp_path, added)).small_talk
    assert small_talk is not None
    assert small_talk.intent("howdy") == (Social.GREETING, Lang.EN)
