"""Messages the bot cannot read still get its short answer: a story, a kind newer than this code;
service messages stay unanswered. Each update is parsed by both frameworks, as they arrive, and
a story goes through both running channels too."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from bot.basics.lang import Lang
from bot.channels.telegram.kinds import UNKNOWN_KIND
from bot.channels.telegram.translate import translate
from bot.channels.telegram.views import UpdateView
from bot.core.context import Context
from bot.core.dispatch import handle
from bot.core.inbound import MediaSent, UserRef
from bot.core.state import ConversationState
from bot.service import ConversationService
from tests.channels.harness import running
from tests.fake_telegram import FakeTelegram

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CANNOT_READ = "I can only read text for now. Please type your question in words."


def aiogram_update(data: dict[str, object]) -> UpdateView:
    from aiogram.types import Update

    return Update.model_validate(data)


def ptb_update(data: dict[str, object]) -> UpdateView:
    from telegram import Update

    update = Update.de_json(data, None)
    assert update is not None
    return update


PARSERS: dict[str, Callable[[dict[str, object]], UpdateView]] = {
    "aiogram": aiogram_update,
    "ptb": ptb_update,
}


@pytest.fixture(params=sorted(PARSERS))
def parse(request: pytest.FixtureRequest) -> Callable[[dict[str, object]], UpdateView]:
    return PARSERS[str(request.param)]


def update(content: dict[str, object], chat_type: str = "private") -> dict[str, object]:
    chat: dict[str, object] = {"id": 42 if chat_type == "private" else -5, "type": chat_type}
    if chat_type != "private":
        chat["title"] = "A group"
    return {
        "update_id": 7,
        "message": {
            "message_id": 1,
            "date": int(NOW.timestamp()),
            "chat": chat,
            "from": {"id": 42, "is_bot": False, "first_name": "Rania", "language_code": "fr"},
            **content,
        },
    }


STORY: dict[str, object] = {"story": {"chat": {"id": -100123, "type": "channel", "title": "IOM"}, "id": 3}}
NEWER_KIND: dict[str, object] = {"hologram": {"hologram_id": "h1"}}  # a field no Bot API version has (yet)


@pytest.mark.parametrize(
    ("content", "kind"), [(STORY, "story"), (NEWER_KIND, UNKNOWN_KIND), ({}, UNKNOWN_KIND)]
)
def test_a_message_the_bot_cannot_read_is_media(
    parse: Callable[[dict[str, object]], UpdateView], content: dict[str, object], kind: str
) -> None:
    incoming = translate(parse(update(content)), NOW)
    assert incoming is not None
    assert incoming.inbound == MediaSent(
        kind=kind, user=UserRef("telegram", "42"), at=NOW, language_hint="fr", update_id="7"
    )
    assert incoming.chat_id == 42


def test_a_story_gets_the_short_answer_in_the_users_language(
    parse: Callable[[dict[str, object]], UpdateView], context: Context
) -> None:
    incoming = translate(parse(update(STORY)), NOW)
    assert incoming is not None
    replies = handle(ConversationState(language=Lang.AR), incoming.inbound, context).replies
    assert [(r.lang, r.text) for r in replies] == [(Lang.AR, context.i18n.for_lang(Lang.AR)(CANNOT_READ))]
    assert replies[0].text != CANNOT_READ, "the Arabic catalogue has it"


@pytest.mark.parametrize(
    "content",
    [
        {"pinned_message": {"message_id": 2, "date": 0, "chat": {"id": 42, "type": "private"}}},
        {"connected_website": "example.org"},
        {"write_access_allowed": {"from_request": True}},
    ],
    ids=["pinned", "connected-website", "write-access"],
)
def test_service_messages_stay_unanswered(
    parse: Callable[[dict[str, object]], UpdateView], content: dict[str, object]
) -> None:
    assert translate(parse(update(content)), NOW) is None


def test_a_story_in_a_group_is_ignored(parse: Callable[[dict[str, object]], UpdateView]) -> None:
    assert translate(parse(update(STORY, "group")), NOW) is None


async def test_a_story_is_answered_through_the_running_channel(
    channel: str, service: ConversationService, tg: FakeTelegram, context: Context
) -> None:
    me = {"id": 42, "is_bot": False, "first_name": "Rania", "language_code": "fr"}
    async with running(channel, service, tg):
        tg.send_update({"message": {"from": me, **STORY}})
        [sent] = await tg.wait_for_sent(42, 1)
    assert sent.text == context.i18n.for_lang(Lang.FR)(CANNOT_READ)
