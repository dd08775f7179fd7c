"""Both Telegram channels, polling the fake Bot API server, when Telegram misbehaves, when the
bot restarts, and when users send what the bot cannot read.

Every test runs on aiogram and on python-telegram-bot (the ``channel`` fixture).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from bot.app import create_channel
from bot.basics.buttons import Button
from bot.basics.errors import ConfigurationError, DatabaseUnavailable
from bot.basics.lang import Lang
from bot.channels.telegram.delivery import DeliveryFailed
from bot.channels.telegram.render import render
from bot.core.commands import Audience
from bot.core.context import Context
from bot.core.events import ReplyCreated
from bot.core.features import COMMANDS
from bot.core.inbound import Inbound, UserRef
from bot.service import ConversationService, Handled
from bot.service.ports import Undelivered
from storage.models import User
from storage.store import SqlStore
from tests.channels.harness import FAST, POLL, button, free_port, handled, press, running
from tests.fake_telegram import NOT_MODIFIED, FakeTelegram, RecordedCall

USER = 42
OTHER = 43
SETTLE = 0.3  # seconds to wait for messages that must not come


async def wait_until(done: Callable[[], bool], timeout: float = 5.0) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def texts(tg: FakeTelegram, user: int) -> list[str]:
    return [m.text or "" for m in tg.sent(user)]


def sends_to(tg: FakeTelegram, user: int) -> list[RecordedCall]:
    return [c for c in tg.requests if c.method == "sendMessage" and c.params.get("chat_id") == user]


async def user_row(db: AsyncEngine, user: int) -> Any:
    async with db.connect() as conn:
        query = sa.select(col(User.language), col(User.role), col(User.unreachable_at)).where(
            col(User.channel) == "telegram", col(User.external_id) == str(user)
        )
        return (await conn.execute(query)).one_or_none()


def say(context: Context, lang: Lang, msgid: str) -> str:
    return context.i18n.for_lang(lang)(msgid)


# Telegram errors ----------------------------------------------------------------------------


async def test_flood_control_waits_retry_after_then_retries_that_request_only(
    channel: str, service: ConversationService, tg: FakeTelegram
) -> None:
    tg.fail("sendMessage", chat_id=USER, error_code=429, retry_after=1)
    async with running(channel, service, tg):
        tg.send_text(USER, "/start", language_code="en")
        await wait_until(lambda: bool(tg.faults))
        tg.send_text(OTHER, "/start", language_code="en")  # another chat is not paused
        await tg.wait_for_sent(OTHER, 1)
        await tg.wait_for_sent(USER, 1)
    [fault] = tg.faults
    first, retry = sends_to(tg, USER)
    assert (first.status, retry.status, fault.error_code) == (429, 200, 429)
    # Exactly retry_after, with no backoff on top, is checked with a fake clock in test_delivery.py;
    # here only the lower bound is firm, since a busy machine can make any wait longer.
    assert retry.time - fault.time >= 1.0, "waits retry_after"
    [other] = sends_to(tg, OTHER)
    assert other.time < retry.time, "another chat is served while this one waits"
    assert texts(tg, USER)[0].startswith("Welcome!")


@pytest.mark.parametrize("fault", ["blocked", "chat not found"])
async def test_an_unreachable_user_is_marked_and_others_are_still_served(
    channel: str, service: ConversationService, tg: FakeTelegram, db: AsyncEngine, fault: str
) -> None:
    async with running(channel, service, tg):
        tg.send_text(USER, "/start", language_code="en")
        await tg.wait_for_sent(USER, 1)
        assert (await user_row(db, USER)).unreachable_at is None
        if fault == "blocked":
            tg.block(USER)
        else:
            tg.fail("sendMessage", chat_id=USER, error_code=400, description="Bad Request: chat not found")
        press(tg, USER, "English")  # two replies are due: "Language set", then the role question
        await wait_until(lambda: len(tg.faults) == 1)
        tg.send_text(OTHER, "/start", language_code="en")
        await tg.wait_for_sent(OTHER, 1)
        # The mark is written after Telegram answered 403/400, concurrently with other chats' turns.
        row = await user_row(db, USER)
        deadline = time.monotonic() + 5.0
        while row.unreachable_at is None and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
            row = await user_row(db, USER)
        assert isinstance(row.unreachable_at, datetime)
        assert row.language == "en", "the input was kept although its reply was not delivered"
        # The press first retires the language question's keyboard: blocked, that edit is
        # refused and no message is tried; "chat not found" refuses the first message.
        tried = 1 if fault == "blocked" else 2
        assert len(sends_to(tg, USER)) == tried, "no retry, and the reply's next message is not tried"
        assert len(tg.calls_to("editMessageReplyMarkup")) == 1

        tg.unblock(USER)
        tg.send_text(USER, "/menu")  # writing again makes the user reachable again
        await tg.wait_for_sent(USER, 2)
        assert (await user_row(db, USER)).unreachable_at is None
    assert len(tg.sent(USER)) == 2
    assert "Language set to English." not in texts(tg, USER), "an undelivered reply is not sent later"


def member_update(user: int, old: str, new: str) -> dict[str, Any]:
    """Telegram's my_chat_member update when ``user`` blocks the bot (``kicked``) or restarts it."""
    bot = {"id": 1, "is_bot": True, "first_name": "DT4E"}
    person = {"id": user, "is_bot": False, "first_name": "Rania"}

    def member(status: str) -> dict[str, Any]:
        return {"status": status, "user": bot, **({"until_date": 0} if status == "kicked" else {})}

    return {
        "my_chat_member": {
            "chat": {"id": user, "type": "private", "first_name": "Rania"},
            "from": person,
            "date": int(time.time()),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
    }


async def test_blocking_the_bot_marks_the_user_unreachable_at_once(
    channel: str, service: ConversationService, tg: FakeTelegram, db: AsyncEngine
) -> None:
    """Telegram tells the bot when someone blocks it: broadcasts skip them from then on, without
    waiting for a message to fail; restarting the bot makes them reachable again."""
    async with running(channel, service, tg) as bot:
        tg.send_text(USER, "/start", language_code="en")
        await tg.wait_for_sent(USER, 1)
        tg.send_update(member_update(USER, "member", "kicked"))
        await handled(bot, 2)
        assert isinstance((await user_row(db, USER)).unreachable_at, datetime)
        tg.send_update(member_update(USER, "kicked", "member"))
        await handled(bot, 3)
        assert (await user_row(db, USER)).unreachable_at is None
    assert len(tg.sent(USER)) == 1, "a member update is not answered"


async def test_server_errors_are_retried_with_growing_backoff(
    channel: str, service: ConversationService, tg: FakeTelegram
) -> None:
    tg.fail("sendMessage", chat_id=USER, error_code=500)
    tg.fail("sendMessage", chat_id=USER, error_code=502, description="Bad Gateway")
    async with running(channel, service, tg) as bot:
        tg.send_text(USER, "/start", language_code="en")
        [welcome] = await tg.wait_for_sent(USER, 1)
        await handled(bot, 1)
    assert welcome.buttons, "the retried request is the same request, keyboard included"
    calls = sends_to(tg, USER)
    assert [c.status for c in calls] == [500, 502, 200]
    assert calls[1].time - calls[0].time >= FAST.backoff(1)
    assert calls[2].time - calls[1].time >= FAST.backoff(2)
    assert len(tg.sent(USER)) == 1


async def test_a_reply_that_keeps_failing_is_left_for_the_sweep_and_the_bot_goes_on(
    channel: str,
    service: ConversationService,
    tg: FakeTelegram,
    db: AsyncEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    tg.fail("sendMessage", chat_id=USER, error_code=500, times=FAST.attempts)
    with caplog.at_level(logging.WARNING, logger="bot.channels.telegram"):
        async with running(channel, service, tg) as bot:
            tg.send_text(USER, "/start", language_code="en")
            await wait_until(lambda: len(tg.faults) == FAST.attempts)
            tg.send_text(OTHER, "/start", language_code="en")
            await tg.wait_for_sent(OTHER, 1)  # the bot goes on with the others
            tg.send_text(USER, "English")
            await handled(bot, 3)
            async with db.connect() as conn:
                query = (
                    "SELECT parts_sent, claimed_until IS NULL FROM outbox WHERE sent_at IS NULL"
                    f" AND user_id = (SELECT id FROM users WHERE external_id = '{USER}')"
                )
                unsent = (await conn.execute(sa.text(query))).all()
            assert [tuple(row) for row in unsent] == [(0, True), (0, True)], (
                "the failed reply waits in the outbox, nobody holding it, and the next one behind it"
            )
            assert tg.sent(USER) == []
            await bot.bridge.resend_undelivered()  # the sweep
            welcome, chosen, _ = await tg.wait_for_sent(USER, 3)
    assert [c.status for c in sends_to(tg, USER)] == [500] * FAST.attempts + [200, 200, 200]
    assert (welcome.text or "").startswith("Welcome!"), "in the order of the updates"
    assert chosen.text == "Language set to English.", "/start was processed: it asked for the language"
    assert any("left in the outbox, sent again by the sweep" in r.getMessage() for r in caplog.records)
    assert (await user_row(db, USER)).unreachable_at is None, "a server error is not the user's doing"


async def test_a_database_outage_is_waited_out_and_then_answered_in_order(
    channel: str, service: ConversationService, tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database restarts while two messages arrive: both are answered, in order, once."""
    real = service.handle_durably
    outage = [DatabaseUnavailable("the database cannot be reached: restarting")] * 2

    async def restarting(inbound: Inbound) -> Handled:
        if outage:
            raise outage.pop()
        return await real(inbound)

    monkeypatch.setattr(service, "handle_durably", restarting)
    async with running(channel, service, tg) as bot:
        tg.send_text(USER, "/start", language_code="en")
        tg.send_text(USER, "English")
        await tg.wait_for_sent(USER, 3)
        await handled(bot, 2)
    assert outage == []
    first, chosen, role = texts(tg, USER)
    assert first.startswith("Welcome!")
    assert chosen == "Language set to English."
    assert role.startswith("Are you a candidate")


async def test_a_database_down_longer_than_any_retry_budget_delays_answers_and_loses_none(
    channel: str, service: ConversationService, tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = service.handle_durably
    down = [DatabaseUnavailable("the database cannot be reached: gone")] * (3 * FAST.attempts)

    async def gone(inbound: Inbound) -> Handled:
        if down:
            raise down.pop()
        return await real(inbound)

    monkeypatch.setattr(service, "handle_durably", gone)
    async with running(channel, service, tg):
        tg.send_text(USER, "/start", language_code="en")
        tg.send_text(OTHER, "/start", language_code="en")
        await tg.wait_for_sent(USER, 1)
        await tg.wait_for_sent(OTHER, 1)
    assert down == [], "it kept trying past the Bot API's retry budget"
    assert [len(tg.sent(USER)), len(tg.sent(OTHER))] == [1, 1]


async def test_stopping_during_an_outage_is_quick_and_the_updates_come_again(
    channel: str,
    service: ConversationService,
    tg: FakeTelegram,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = service.handle_durably
    tries: list[str] = []

    async def gone(inbound: Inbound) -> Handled:
        tries.append(inbound.update_id or "")
        raise DatabaseUnavailable("the database cannot be reached: gone")

    monkeypatch.setattr(service, "handle_durably", gone)
    loop = asyncio.get_running_loop()
    async with running(channel, service, tg, shutdown_timeout=0.5):
        tg.send_text(USER, "/start", language_code="en")
        tg.send_text(OTHER, "/start", language_code="en")
        await wait_until(lambda: len(tries) >= 4)
        stopping = loop.time()
    assert loop.time() - stopping < 5, "a stop during an outage waits shutdown_timeout, not the outage"
    assert tg.sent(USER) == []
    assert tg.sent(OTHER) == []
    monkeypatch.setattr(service, "handle_durably", real)
    async with running(channel, service, tg) as bot:
        await tg.wait_for_sent(USER, 1)
        await tg.wait_for_sent(OTHER, 1)
        await handled(bot, 2)
    assert [len(tg.sent(USER)), len(tg.sent(OTHER))] == [1, 1], "neither lost nor answered twice"


async def test_a_dropped_connection_is_retried(
    channel: str, service: ConversationService, tg: FakeTelegram
) -> None:
    tg.drop_connection("sendMessage", chat_id=USER)
    async with running(channel, service, tg) as bot:
        tg.send_text(USER, "/start", language_code="en")
        await tg.wait_for_sent(USER, 1)
        await handled(bot, 1)
    assert [f.kind for f in tg.faults] == ["dropped"]
    assert len(sends_to(tg, USER)) == 2
    assert texts(tg, USER)[0].startswith("Welcome!")


async def test_a_failing_get_updates_loses_no_update(
    channel: str, service: ConversationService, tg: FakeTelegram
) -> None:
    tg.fail("getUpdates", error_code=502, description="Bad Gateway")
    tg.send_text(USER, "/start", language_code="en")
    async with running(channel, service, tg):
        await tg.wait_for_sent(USER, 1, timeout=10)
    assert [f.method for f in tg.faults] == ["getUpdates"]
    assert texts(tg, USER)[0].startswith("Welcome!")


# Exactly once -------------------------------------------------------------------------------


async def test_a_redelivered_update_is_answered_once(
    channel: str, engine: AsyncEngine, context: Context, tg: FakeTelegram
) -> None:
    # ``engine``: SQLite, and PostgreSQL too when DT4E_TEST_DATABASE_URL is set
    async with running(channel, ConversationService(SqlStore(engine), context), tg) as bot:
        start = tg.send_text(USER, "/start", language_code="en")
        await tg.wait_for_sent(USER, 1)
        tg.redeliver(start)
        tap = press(tg, USER, "English")
        await tg.wait_for_sent(USER, 3)
        tg.redeliver(tap)
        tg.send_text(USER, "/menu")
        await tg.wait_for_sent(USER, 4)
        await handled(bot, 5)  # the redelivered ones too
    assert len(tg.sent(USER)) == 4
    assert texts(tg, USER)[3] == "What would you like to do?"
    assert [a.data for a in tg.callback_answers] == ["lang:en"]


@pytest.mark.parametrize("second", ["same", "other"], ids=["same framework", "other framework"])
async def test_a_restart_in_the_middle_of_a_conversation_continues_it(
    channel: str, second: str, engine: AsyncEngine, context: Context, tg: FakeTelegram
) -> None:
    db = engine  # SQLite, and PostgreSQL too when DT4E_TEST_DATABASE_URL is set
    async with running(channel, ConversationService(SqlStore(db), context), tg):
        tg.send_text(USER, "/start", language_code="en")
        await tg.wait_for_sent(USER, 1)
        press(tg, USER, "Français")
        await tg.wait_for_sent(USER, 3)
    role_question = tg.sent(USER)[2]
    tg.send_text(USER, "/help")  # written while the bot is down

    after = channel if second == "same" else {"aiogram": "ptb", "ptb": "aiogram"}[channel]
    async with running(after, ConversationService(SqlStore(db), context), tg):
        await tg.wait_for_sent(USER, 4)
        data = button(role_question, "Je suis employeur")
        tg.press_button(USER, role_question.message_id, data)  # a button from the first run
        await tg.wait_for_sent(USER, 6)
        await asyncio.sleep(SETTLE)
    sent = texts(tg, USER)
    assert len(sent) == 6, "no update answered twice, none lost"
    assert "Je réponds aux questions" in sent[3], "/help answered in the language chosen before"
    assert sent[4].startswith("Merci. Je vous répondrai comme à un employeur")
    assert sent[5] == "Que souhaitez-vous faire\u202f?"
    row = await user_row(db, USER)
    assert (row.language, row.role) == ("fr", "employer")


# What users send ----------------------------------------------------------------------------


async def test_media_get_a_short_reply_in_the_users_language_and_an_edit_is_answered_once(
    channel: str, service: ConversationService, tg: FakeTelegram, context: Context
) -> None:
    me = {"id": USER, "is_bot": False, "first_name": "Ann", "language_code": "fr"}
    async with running(channel, service, tg):
        tg.send_text(USER, "/start", language_code="fr")
        await tg.wait_for_sent(USER, 1)
        tg.send_photo(USER, caption="mon passeport", language_code="fr")
        await tg.wait_for_sent(USER, 2)
        sticker = {"file_id": "s", "file_unique_id": "us", "type": "regular", "width": 512, "height": 512}
        tg.send_update(
            {"message": {"from": me, "sticker": {**sticker, "is_animated": False, "is_video": False}}}
        )
        await tg.wait_for_sent(USER, 3)
        tg.send_update(
            {"message": {"from": me, "voice": {"file_id": "v", "file_unique_id": "uv", "duration": 2}}}
        )
        await tg.wait_for_sent(USER, 4)
        tg.send_update({"message": {"from": me, "location": {"latitude": 31.95, "longitude": 35.93}}})
        await tg.wait_for_sent(USER, 5)
        tg.send_document(USER, "cv.pdf", b"%PDF-1.4", language_code="fr")
        await tg.wait_for_sent(USER, 6)
        tg.edit_user_message(USER, 1, "/help", language_code="fr")  # the user's /start, edited
        group = {"id": -1001, "type": "supergroup", "title": "DT4E cohort"}
        tg.send_update({"message": {"from": me, "chat": group, "text": "/start"}})
        tg.send_text(USER, "/menu", language_code="fr")
        await tg.wait_for_sent(USER, 8)
        await asyncio.sleep(SETTLE)
    media_reply = say(context, Lang.FR, "I can only read text for now. Please type your question in words.")
    assert media_reply != say(
        context, Lang.EN, "I can only read text for now. Please type your question in words."
    )
    sent = texts(tg, USER)
    assert sent[1:6] == [media_reply] * 5
    assert len(sent) == 8, "the edit is answered once, as a new message"
    assert "Je réponds aux questions" in sent[6], "the edited /start, now /help, answered as /help"
    assert sent[7] == "Que souhaitez-vous faire\u202f?"
    assert tg.sent(-1001) == [], "group chats are ignored"


async def test_an_old_button_still_works_and_an_unknown_one_expires_politely(
    channel: str, service: ConversationService, tg: FakeTelegram, context: Context
) -> None:
    async with running(channel, service, tg) as bot:
        tg.send_text(USER, "/start", language_code="en")
        [languages] = await tg.wait_for_sent(USER, 1)
        press(tg, USER, "English")
        await tg.wait_for_sent(USER, 3)
        press(tg, USER, "I am an employer")
        await tg.wait_for_sent(USER, 5)
        # The first message's button, on a screen not yet refreshed: its keyboard went with the
        # first press, so retiring it again changes nothing (Telegram's "not modified").
        assert tg.sent(USER)[0].buttons == []
        tg.press_button(USER, languages.message_id, "lang:fr", strict=False)
        await tg.wait_for_sent(USER, 7)
        tg.press_button(USER, languages.message_id, "quiz:v0:retired", strict=False)
        await tg.wait_for_sent(USER, 9)
        await handled(bot, 5)
    sent = tg.sent(USER)
    assert sent[5].text == "La langue est maintenant le français."
    assert sent[6].text == "Que souhaitez-vous faire\u202f?"
    assert sent[7].text == say(context, Lang.FR, "This button has expired. Here is the menu again.")
    assert sent[8].buttons == sent[6].buttons
    assert len(sent) == 9
    assert [a.data for a in tg.callback_answers] == ["lang:en", "role:employer", "lang:fr", "quiz:v0:retired"]
    refused = [f.description for f in tg.faults if f.method.startswith("edit")]
    assert len(refused) == 2
    assert all(NOT_MODIFIED in refusal for refusal in refused)


# Replies ------------------------------------------------------------------------------------


class LongReplies:
    """A stand-in for the conversation service whose every reply is over Telegram's limit."""

    def __init__(self, context: Context, reply: ReplyCreated) -> None:
        self.context = context
        self.reply = reply
        self.broadcasting = None  # it sends no broadcasts
        self.questions_kept = timedelta(days=1)

    async def staff_ids(self, channel: str) -> set[str]:
        return set()

    async def handle_durably(self, inbound: Inbound) -> Handled:
        return Handled([self.reply])

    async def delivered(self, outbox_ids: Sequence[int], at: datetime) -> None:
        raise AssertionError("nothing is in an outbox here")

    async def undelivered(self, channel: str, now: datetime, *, held: bool = False) -> list[Undelivered]:
        return []

    async def prune(
        self, *, sent_before: datetime, processed_before: datetime, questions_before: datetime
    ) -> tuple[int, int, int]:
        return 0, 0, 0

    async def claim(self, outbox_id: int, at: datetime) -> bool:
        raise AssertionError("nothing is in an outbox here")

    async def release(self, outbox_id: int, parts_sent: int) -> None:
        raise AssertionError("nothing is in an outbox here")

    async def posted(self, chat: UserRef, message_id: int, thread: str, at: datetime) -> None:
        raise AssertionError("no case is posted here")

    async def healthy(self) -> bool:
        return True

    async def mark_reachable(self, user: UserRef, reachable: bool, at: datetime) -> None:
        raise AssertionError("nobody is unreachable here")


async def test_a_long_reply_is_split_at_paragraphs_with_the_keyboard_on_the_last_part(
    channel: str, tg: FakeTelegram, context: Context
) -> None:
    paragraphs = [f"{n}. " + "word " * 380 for n in range(1, 7)]  # 6 x ~1900 characters
    text = "\n\n".join(p.strip() for p in paragraphs)
    buttons = ((Button("Ask a question", "menu:ask"), Button("Help", "menu:help")),)
    reply = ReplyCreated(text=text, lang=Lang.EN, buttons=buttons)
    assert len(text) > 2 * 4096
    async with running(channel, LongReplies(context, reply), tg) as bot:
        tg.send_text(USER, "tell me everything")
        await tg.wait_for_sent(USER, len(render(reply)))
        await handled(bot, 1)
    sent = tg.sent(USER)
    assert len(sent) == len(render(reply)) >= 3
    assert all(len(m.text or "") <= 4096 for m in sent)
    assert all(m.buttons == [] for m in sent[:-1])
    assert sent[-1].buttons == [[("Ask a question", "menu:ask"), ("Help", "menu:help")]]
    assert "\n\n".join(m.text or "" for m in sent) == text, "cut at paragraph breaks only"


async def test_the_command_menu_is_published_in_every_language(
    channel: str, service: ConversationService, tg: FakeTelegram, context: Context
) -> None:
    async with running(channel, service, tg):
        await tg.wait_for_calls("setMyCommands", 4)
    # What Telegram received, against the table read directly (not through the menu code).
    shown = [c for c in COMMANDS if c.slash and c.menu_entry and c.audience is Audience.ANYONE]
    for code, lang in [("", Lang.EN), *((lang.value, lang) for lang in Lang)]:
        _ = context.i18n.for_lang(lang)
        assert tg.commands_for(language_code=code) == [(c.name, _(c.menu_entry)) for c in shown], code
    names = [name for name, _ in tg.commands_for(language_code="fr")]
    assert names == [
        "start",
        "menu",
        "language",
        "role",
        "help",
        "modules",
        "human",
        "privacy",
        "stop",
        "delete_my_data",
    ]
    assert tg.commands_for(language_code="ar") != tg.commands_for(language_code="en")
    assert all("scope" not in c for c in tg.calls_to("setMyCommands")), "no staff: no staff menus"


STAFF = 4242


async def test_staff_commands_are_in_the_menu_of_staff_chats_only(
    channel: str, store: SqlStore, tg: FakeTelegram, context: Context
) -> None:
    """The staff commands of the table reach staff chats only, through a chat scope, and are
    refused, as if unknown, to anyone else."""
    staff_context = replace(context, staff=frozenset({UserRef("telegram", str(STAFF))}))
    service = ConversationService(store, staff_context)
    tg.add_user(STAFF)
    async with running(channel, service, tg) as bot:
        await tg.wait_for_calls("setMyCommands", 8)
        tg.send_text(USER, "/status", language_code="en")
        [refused] = await tg.wait_for_sent(USER, 1)
        await handled(bot, 1)
        tg.send_text(STAFF, "/help", language_code="en")
        [help_text] = await tg.wait_for_sent(STAFF, 1)
    staff_only = [c for c in COMMANDS if c.audience is Audience.STAFF]
    assert [c.name for c in staff_only] == ["survey", "status", "results", "gaps"]
    for code, lang in [("", Lang.EN), *((lang.value, lang) for lang in Lang)]:
        _ = context.i18n.for_lang(lang)
        everyone = tg.commands_for(language_code=code)
        staff = tg.commands_for(scope=f"chat:{STAFF}", language_code=code)
        assert not {c.name for c in staff_only} & {name for name, _ in everyone}
        assert staff == [*everyone, *((c.name, _(c.menu_entry)) for c in staff_only)]
    assert refused.text == "I do not know that command. Send /help to see what I can do."
    assert "/status the recent survey pushes" in (help_text.text or "")


# Start-up -----------------------------------------------------------------------------------


async def test_a_rejected_token_stops_the_channel_with_a_clear_error(
    channel: str, service: ConversationService, tg: FakeTelegram
) -> None:
    bot = create_channel(channel, service, token="123456:WRONG", api_base=tg.base_url, policy=FAST)
    with pytest.raises(ConfigurationError, match=r"^DT4E_TELEGRAM_TOKEN: the Bot API at \S+ rejected") as err:
        await bot.run(POLL, asyncio.Event())
    assert "WRONG" not in str(err.value)
    assert tg.calls_to("getUpdates") == []


async def test_an_unreachable_bot_api_is_retried_then_reported(
    channel: str, service: ConversationService
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    bot = create_channel(channel, service, token="123456:TEST", api_base=closed, policy=FAST)
    with pytest.raises(DeliveryFailed, match=f"^cannot reach the Bot API at {closed}"):
        await bot.run(POLL, asyncio.Event())
