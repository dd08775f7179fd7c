"""Telegram updates as the core's input: the translation rules (no network here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.channels.telegram.translate import Incoming, button_event, media_kind, member_event, message_event
from bot.core.inbound import ButtonPressed, CommandSent, MediaSent, MemberUpdated, TextSent, UserRef

WHEN = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def message(
    *,
    chat_type: str = "private",
    chat_id: int = 42,
    user_id: int | None = 42,
    text: str | None = "hello",
    media: str | None = None,
) -> Incoming | None:
    amman = timezone(timedelta(hours=3))
    return message_event(
        update_id=7,
        user_id=user_id,
        chat_id=chat_id,
        chat_type=chat_type,
        at=WHEN.astimezone(amman),
        text=text,
        media=media,
        language_code="ar",
    )


def test_a_private_text_becomes_an_inbound_event() -> None:
    incoming = message()
    assert incoming is not None
    inbound = incoming.inbound
    assert isinstance(inbound, TextSent)
    assert (inbound.user.key, inbound.text, inbound.language_hint, inbound.update_id) == (
        "telegram:42",
        "hello",
        "ar",
        "7",
    )
    assert (inbound.at, inbound.at.tzinfo) == (WHEN, UTC)
    assert incoming.chat_id == 42
    assert incoming.callback_query_id is None


def test_media_wins_over_its_caption_and_groups_and_service_messages_are_ignored() -> None:
    photo = message(text="my passport", media="photo")
    assert photo is not None
    assert photo.inbound == MediaSent(
        kind="photo", user=UserRef("telegram", "42"), at=WHEN, language_hint="ar", update_id="7"
    )
    assert message(chat_type="group", chat_id=-5) is None
    assert message(text=None, media=None) is None
    assert message(user_id=None) is None


def test_a_button_without_data_reads_as_expired_and_old_messages_still_count() -> None:
    pressed = button_event(
        update_id=8, query_id="q1", user_id=42, chat_type=None, data=None, language_code=None, at=WHEN
    )
    assert pressed is not None
    assert isinstance(pressed.inbound, ButtonPressed)
    assert (pressed.inbound.data, pressed.callback_query_id, pressed.chat_id) == ("", "q1", 42)
    in_group = button_event(
        update_id=9, query_id="q2", user_id=42, chat_type="group", data="lang:en", language_code=None, at=WHEN
    )
    assert in_group is None


class Shaped:
    def __init__(self, **fields: object) -> None:
        self.__dict__.update(fields)


def test_media_kind_prefers_the_most_specific_field() -> None:
    assert media_kind(Shaped(venue={"title": "IOM"}, location={"latitude": 1})) == "venue"
    assert media_kind(Shaped(animation={"file_id": "a"}, document={"file_id": "a"})) == "animation"
    assert media_kind(Shaped(text="hi", photo=None)) is None


@pytest.mark.parametrize(
    ("text", "name", "payload"),
    [
        ("/start", "start", ""),
        ("/start invite_Ab-12", "start", "invite_Ab-12"),
        ("/Help@dt4e_bot", "help", ""),
        ("\u200f/menu  now ", "menu", "now"),
    ],
)
def test_a_command_carries_its_name_and_payload(text: str, name: str, payload: str) -> None:
    incoming = message(text=text)
    assert incoming is not None
    assert isinstance(incoming.inbound, CommandSent)
    assert (incoming.inbound.name, incoming.inbound.payload) == (name, payload)


@pytest.mark.parametrize(("status", "blocked"), [("kicked", True), ("member", False)])
def test_blocking_and_restarting_the_bot_are_member_updates(status: str, blocked: bool) -> None:
    incoming = member_event(update_id=3, user_id=42, chat_type="private", status=status, at=WHEN)
    assert incoming is not None
    assert incoming.inbound == MemberUpdated(
        blocked=blocked, user=UserRef("telegram", "42"), at=WHEN, update_id="3"
    )


def test_member_updates_outside_private_chats_are_ignored() -> None:
    assert member_event(update_id=3, user_id=42, chat_type="group", status="kicked", at=WHEN) is None
    assert member_event(update_id=3, user_id=42, chat_type="private", status="administrator", at=WHEN) is None
