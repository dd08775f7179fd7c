"""The pure turn function: table-driven, no database, no channel."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.basics.lang import Lang
from bot.core.bidi import FSI, strip_bidi_controls
from bot.core.context import Context
from bot.core.dispatch import handle
from bot.core.events import QuestionUnanswered
from bot.core.features.onboarding import LanguageButton, RoleButton
from bot.core.inbound import MAX_INPUT_CHARS, Inbound, UserRef, clean_text
from bot.core.state import Awaiting, ConversationState, Role
from tests.inputs import inbound

USER = UserRef("test", "1")
AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def say(
    text: str | None = None, *, choice: str | None = None, media: str | None = None, hint: str | None = None
) -> Inbound:
    return inbound(USER, AT, text=text, press=choice, media=media, hint=hint)


def test_start_asks_language_in_the_hinted_language(context: Context) -> None:
    turn = handle(ConversationState(), say("/start", hint="fr-BE"), context)
    assert turn.state.awaiting is Awaiting.START_LANGUAGE
    [reply] = turn.replies
    assert reply.lang is Lang.FR
    assert "Quelle langue" in reply.text
    assert [b.data for b in reply.buttons[0]] == ["lang:ar", "lang:en", "lang:fr"]


def test_start_with_a_deep_link_payload_still_starts(context: Context) -> None:
    turn = handle(ConversationState(), say("/start invite-abc123"), context)
    assert turn.state.awaiting is Awaiting.START_LANGUAGE


def test_choosing_a_language_then_a_role_stores_both(context: Context) -> None:
    state = handle(ConversationState(), say("/start"), context).state
    turn = handle(state, say(choice=LanguageButton(Lang.AR).pack()), context)
    assert turn.state.language is Lang.AR
    assert turn.state.awaiting is Awaiting.ROLE
    assert all(r.lang is Lang.AR for r in turn.replies)
    turn = handle(turn.state, say(choice=RoleButton(Role.TALENT).pack()), context)
    assert (turn.state.language, turn.state.role, turn.state.awaiting) == (Lang.AR, Role.TALENT, None)
    assert turn.replies[-1].buttons, "the main menu has buttons"


def test_stored_language_beats_the_hint(context: Context) -> None:
    turn = handle(ConversationState(language=Lang.AR), say("/help", hint="en"), context)
    assert turn.replies[0].lang is Lang.AR


def test_arabic_replies_isolate_latin_names(context: Context) -> None:
    turn = handle(ConversationState(language=Lang.AR), say("/help"), context)
    assert f"{FSI}DT4E" in turn.replies[0].text or f"{FSI}Displaced" in turn.replies[0].text


@pytest.mark.parametrize("typed", ["English", "english ", "ANGLAIS", "en"])
def test_a_typed_language_name_answers_the_language_question(typed: str, context: Context) -> None:
    state = ConversationState(awaiting=Awaiting.LANGUAGE)
    assert handle(state, say(typed), context).state.language is Lang.EN


BAD_INPUTS = [
    "",
    "   \n\t ",
    "\u200b\u200f\u202e",
    "x" * 10_000,
    "🙂🙂🙂",
    "???!!!",
    "hello مرحبا bonjour 123",
    "/",
    "/doesnotexist",
    "/start@SomeOtherBot extra words",
    "\x00\x01 control",
]


@pytest.mark.parametrize("text", BAD_INPUTS, ids=range(len(BAD_INPUTS)))
@pytest.mark.parametrize("lang", list(Lang))
def test_bad_input_gets_a_reply_in_the_users_language(text: str, lang: Lang, context: Context) -> None:
    turn = handle(ConversationState(language=lang), say(text), context)
    assert turn.replies, "every message gets an answer"
    assert all(r.text.strip() for r in turn.replies)
    # A question partly in Arabic is answered in Arabic; anything else in the user's language.
    expected = {lang, Lang.AR} if "مرحبا" in text else {lang}
    assert all(r.lang in expected for r in turn.replies)


@pytest.mark.parametrize("lang", list(Lang))
def test_media_gets_a_text_only_reply(lang: Lang, context: Context) -> None:
    [reply] = handle(ConversationState(language=lang), say(media="voice"), context).replies
    english = handle(ConversationState(language=Lang.EN), say(media="voice"), context).replies[0].text
    assert (reply.text == english) is (lang is Lang.EN)


def test_an_expired_button_shows_the_menu_and_keeps_the_state(context: Context) -> None:
    state = ConversationState(language=Lang.EN, role=Role.EMPLOYER)
    turn = handle(state, say(choice="v1:gone:42"), context)
    assert turn.state == state
    assert "expired" in turn.replies[0].text
    assert turn.replies[-1].buttons


def test_clean_text_bounds_and_strips() -> None:
    assert clean_text(" a\u200b b\u202e ") == "a b"
    assert len(clean_text("y" * 100_000)) == MAX_INPUT_CHARS
    assert strip_bidi_controls(clean_text("\u2068DT4E\u2069")) == "DT4E"


@pytest.mark.parametrize(("text", "lang"), [("thanks!", Lang.EN), ("مرحبا", Lang.AR), ("au revoir", Lang.FR)])
def test_small_talk_gets_a_friendly_word_and_is_not_an_unanswered_question(
    text: str, lang: Lang, context: Context
) -> None:
    turn = handle(ConversationState(language=Lang.EN), say(text), context)
    assert turn.replies[0].lang is lang
    assert not any(isinstance(e, QuestionUnanswered) for e in turn.events)
    unknown = handle(ConversationState(language=Lang.EN), say("what is the weather in Amman"), context)
    assert any(isinstance(e, QuestionUnanswered) for e in unknown.events)
    assert unknown.replies[0].text != turn.replies[0].text
