"""Words typed instead of a button or a command (bot/core/features/typed_words.py): the table
read as tables of cases, every phrase of it reading back as its own intent, odd inputs with
hypothesis, and typed commands through the pure turn function doing what their slash does."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.basics.lang import Lang
from bot.core.context import Context
from bot.core.dispatch import handle
from bot.core.events import ReplyCreated
from bot.core.features import COMMANDS
from bot.core.features.modules import ModuleButton
from bot.core.features.typed_words import MAX_WORDS, PHRASES, Intent, intent, read
from bot.core.inbound import UserRef
from bot.core.state import Awaiting, ConversationState, PushDraft, Role
from tests.inputs import inbound

USER = UserRef("test", "1")
AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def turn_replies(
    context: Context, state: ConversationState, text: str, hint: str = "en"
) -> list[ReplyCreated]:
    return handle(state, inbound(USER, AT, text=text, hint=hint), context).replies


def shown(replies: list[ReplyCreated]) -> list[tuple[str, str, list[str]]]:
    return [(r.lang.value, r.text, [b.data for row in r.buttons for b in row]) for r in replies]


# The words the brief names, and the forms people type them in.

CASES = [
    # next: case, accents, diacritics, tatweel, punctuation, emoji, courtesy words
    *((word, Intent.NEXT) for word in ("next", "continue", "ok next", "next please", "Next ▶", "NEXT!!")),
    *((word, Intent.NEXT) for word in ("next 👍", "➡️", "👉", ">>", "nexttt", "go on", "carry on")),
    *(
        (word, Intent.NEXT)
        for word in ("suivant", "Suivant !", "continuer", "la suite", "La suite…", "vas-y")
    ),
    *((word, Intent.NEXT) for word in ("suivant s’il vous plaît", "d'accord, suivant", "étape suivante")),
    *((word, Intent.NEXT) for word in ("التالي", "التالي.", "متابعة", "تابع", "كمل", "كمّل", "كمــــل")),
    *((word, Intent.NEXT) for word in ("يلا", "يلا كمل", "يلاااا", "كمل من فضلك", "التالي ⬅️", "يلّا")),
    *((word, Intent.NEXT) for word in ("yalla", "Yallah!", "yallah", "kammel", "yalla next", "tayeb kammel")),
    # I don't know
    *((word, Intent.DONT_KNOW) for word in ("I don't know", "I don’t know", "i dont know", "idk", "IDK?")),
    *((word, Intent.DONT_KNOW) for word in ("no idea", "I have no idea", "dunno", "not sure", "sorry, idk")),
    *(
        (word, Intent.DONT_KNOW)
        for word in ("je ne sais pas", "je sais pas", "jsp", "j'sais pas", "j sais pas")
    ),
    *((word, Intent.DONT_KNOW) for word in ("aucune idée", "Aucune idee", "je n’en sais rien", "pas d'idée")),
    *(
        (word, Intent.DONT_KNOW)
        for word in ("لا أعرف", "لا اعرف", "ما بعرف", "مش عارف", "مش عارفة", "لا أدري")
    ),
    *((word, Intent.DONT_KNOW) for word in ("ma ba3ref", "Ma ba3ref", "mish 3aref", "mesh 3aref", "مدري")),
    # commands in words
    *(
        (word, Intent.HELP)
        for word in ("help", "Help!", "help please", "aide", "aidez-moi", "مساعدة", "ساعدني")
    ),
    *((word, Intent.MENU) for word in ("menu", "Menu", "main menu", "menu principal", "القائمة", "المنيو")),
    *((word, Intent.MENU) for word in ("back to the menu", "retour au menu", "القائمة الرئيسية")),
    *(
        (word, Intent.LANGUAGE)
        for word in ("language", "langue", "اللغة", "change the language", "تغيير اللغة")
    ),
    *(
        (word, Intent.START)
        for word in ("start over", "start again", "restart", "recommencer", "ابدأ من جديد")
    ),
    *(
        (word, Intent.HUMAN)
        for word in (
            "I want to talk to a person",
            "talk to a human",
            "agent",
            "Agent!",
            "human please",
            "can I speak to someone?",
            "I would like to talk to the DT4E team",
            "je veux parler à une personne",
            "Je voudrais parler avec un conseiller",
            "je veux parler avec l'équipe",
            "بدي احكي مع حدا من الفريق",
            "بدي إحكي مع حدا",
            "أريد التحدث مع شخص",
            "اريد التحدث مع شخص من فضلك",
            "بدي اتواصل مع موظف",
            "badde e7ke ma3 7ada",
            "bdi e7ki m3 7ada",
        )
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_a_typed_phrase_reads_as_its_intent(text: str, expected: Intent) -> None:
    assert intent(text) is expected


NOT_PHRASES = [
    "what does the menu of the training look like?",  # a question with a menu word in it
    "what happens next after the interview?",
    "can I continue working while I wait for the visa?",
    "I don't know which documents I need",
    "ما بعرف شو الأوراق المطلوبة",
    "je ne sais pas quel visa demander",
    "the language courses, are they free?",
    "help me find housing in Brussels",
    "is there an agent fee to pay?",
    "ok",  # small talk, not a request
    "please",
    "thanks",
    "merci",
    "تمام",
    "",
    "   ",
    "👍",
    "next " * (MAX_WORDS + 1),
    "1",
    "112",
]


@pytest.mark.parametrize("text", NOT_PHRASES)
def test_anything_else_is_not_a_typed_request(text: str) -> None:
    assert read(text) is None


def _variants(phrase: str) -> list[str]:
    """Every phrase a pattern stands for (a test-side expansion of ``{a|b|}``)."""
    parts = re.split(r"\{([^{}]*)\}", phrase)
    options = [[part] if index % 2 == 0 else part.split("|") for index, part in enumerate(parts)]
    return [" ".join("".join(choice).split()) for choice in itertools.product(*options)]


@pytest.mark.parametrize("wanted", list(Intent))
def test_every_phrase_in_the_table_reads_back_as_its_own_intent(wanted: Intent) -> None:
    """No phrase (nor any form a pattern stands for) belongs to two intents, and each language
    has its phrases."""
    assert set(PHRASES[wanted]) == set(Lang), f"{wanted}: a language without phrases"
    for lang, phrases in PHRASES[wanted].items():
        for phrase in phrases:
            for variant in _variants(phrase):
                reading = read(variant)
                assert reading is not None, (wanted, lang, variant)
                assert reading.intent is wanted, (wanted, lang, variant, reading.intent)


def test_the_languages_of_a_phrase_are_where_the_table_lists_it() -> None:
    arabic, menu = read("مساعدة"), read("menu")
    assert arabic is not None
    assert arabic.languages == (Lang.AR,)
    assert menu is not None
    assert set(menu.languages) == set(Lang)


@given(st.text(max_size=300))
def test_no_text_makes_the_reading_fail(text: str) -> None:
    reading = read(text)
    assert reading is None or reading.intent in Intent


@given(st.lists(st.sampled_from(["next", "menu", "help", "idk", "agent", "يلا"]), min_size=MAX_WORDS + 1))
def test_a_long_message_is_never_a_request(words: list[str]) -> None:
    assert read(" ".join(words)) is None


# Typed commands through the turn function: the same replies as the slash command.

COMMAND_WORDS = [
    ("help", "/help"),
    ("aide", "/help"),
    ("menu", "/menu"),
    ("Main menu", "/menu"),
    ("القائمة", "/menu"),
    ("language", "/language"),
    ("langue", "/language"),
    ("اللغة", "/language"),
    ("I want to talk to a person", "/human"),
    ("agent", "/human"),
    ("بدي احكي مع حدا من الفريق", "/human"),
    ("start over", "/start"),
]


@pytest.mark.parametrize(("typed", "command"), COMMAND_WORDS)
@pytest.mark.parametrize(
    "state",
    [
        ConversationState(language=Lang.EN, role=Role.TALENT),
        ConversationState(language=Lang.FR, role=Role.TALENT, active_module="living-in-belgium"),
        ConversationState(language=Lang.AR, awaiting=Awaiting.ROLE),
    ],
    ids=["en", "fr-in-a-module", "ar-asked-for-a-role"],
)
def test_a_typed_command_does_what_its_slash_command_does(
    typed: str, command: str, state: ConversationState, context: Context
) -> None:
    by_word = handle(state, inbound(USER, AT, text=typed, hint="en"), context)
    by_slash = handle(state, inbound(USER, AT, text=command, hint="en"), context)
    assert shown(by_word.replies) == shown(by_slash.replies)
    assert by_word.state == by_slash.state
    assert by_word.replies[0].lang is state.language  # the chosen language, whatever the words'


def test_a_typed_command_inside_a_module_keeps_the_users_place(context: Context) -> None:
    opened = inbound(USER, AT, press=ModuleButton("living-in-belgium").pack(), hint="en")
    state = handle(ConversationState(language=Lang.EN), opened, context).state
    after = handle(state, inbound(USER, AT, text="menu", hint="en"), context)
    assert after.replies[0].text == "What would you like to do?"
    assert after.state.active_module == "living-in-belgium"
    assert after.state.modules == state.modules


def test_before_a_language_is_chosen_the_reply_is_in_the_language_of_the_words(context: Context) -> None:
    [reply] = turn_replies(context, ConversationState(), "مساعدة", hint="en")
    assert reply.lang is Lang.AR
    [reply] = turn_replies(context, ConversationState(), "je veux parler à une personne", hint="ar")
    assert reply.lang is Lang.FR
    [reply] = turn_replies(context, ConversationState(), "menu", hint="fr")
    assert reply.lang is Lang.FR  # "menu" is French too: the hint stays


def test_a_typed_command_leaves_a_staff_push_being_prepared_as_the_slash_does(context: Context) -> None:
    state = ConversationState(
        language=Lang.EN, awaiting=Awaiting.AUDIENCE, push_draft=PushDraft(survey_id="x")
    )
    after = handle(state, inbound(USER, AT, text="menu", hint="en"), context).state
    assert after.push_draft is None
    assert after.awaiting is None


def test_a_question_with_a_command_word_in_it_is_answered_as_a_question(context: Context) -> None:
    question = "what does the menu of the training look like?"
    replies = turn_replies(context, ConversationState(language=Lang.EN), question)
    assert replies[0].text != "What would you like to do?"
    assert not any(r.text.startswith("I answer questions about the Displaced Talent") for r in replies)


def test_a_command_the_table_does_not_have_is_not_run_by_its_words(context: Context) -> None:
    without = replace(context, commands=tuple(c for c in COMMANDS if c.name != "language"))
    by_word = handle(
        ConversationState(language=Lang.EN), inbound(USER, AT, text="language", hint="en"), without
    )
    assert by_word.state.awaiting is None
    assert not any("Which language do you prefer?" in r.text for r in by_word.replies)
