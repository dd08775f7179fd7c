"""Small talk: recognised only when the whole message is small talk, answered in its language."""

from __future__ import annotations

import pytest

from bot.core.types import Lang
from faq.smalltalk import Social, social_intent


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
def test_small_talk_is_recognised_with_its_language(text: str, kind: Social, lang: Lang) -> None:
    assert social_intent(text) == (kind, lang)


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
def test_anything_more_is_not_small_talk(text: str) -> None:
    assert social_intent(text) is None


def test_a_word_shared_by_languages_follows_the_users_choice() -> None:
    """Lebanese users say "merci" too; "ok" is everyone's."""
    assert social_intent("merci", preferred=Lang.AR) == (Social.THANKS, Lang.AR)
    assert social_intent("merci", preferred=Lang.EN) == (Social.THANKS, Lang.FR)
    assert social_intent("ok", preferred=Lang.FR) == (Social.ACK, Lang.FR)
    assert social_intent("ok") == (Social.ACK, Lang.EN)
