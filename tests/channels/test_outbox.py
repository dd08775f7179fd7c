"""Replies survive a crash between the turn's commit and the send: they wait in the outbox and
are sent when a channel starts (or sweeps), once, by one instance."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import TelegramChannel
from bot.basics.errors import DatabaseUnavailable
from bot.channels.telegram.render import Outgoing
from bot.core.context import Context
from bot.core.inbound import UserRef
from bot.service import ConversationService
from bot.service.pacing import Pacer
from bot.service.ports import Undelivered
from storage.store import SqlStore
from tests.channels.harness import button, handled, running
from tests.fake_telegram import FakeTelegram
from tests.inputs import inbound

USER = 4242


async def unsent(db: AsyncEngine) -> int:
    async with db.connect() as conn:
        return int(
            (await conn.execute(sa.text("SELECT count(*) FROM outbox WHERE sent_at IS NULL"))).scalar_one()
        )


async def test_replies_left_by_a_crash_are_sent_at_the_next_start(
    channel: str, tg: FakeTelegram, service: ConversationService, db: AsyncEngine, context: Context
) -> None:
    tg.add_user(USER)
    two_minutes_ago = datetime.now(UTC) - timedelta(minutes=2)
    # The turn was committed two minutes ago, then the process died before sending anything.
    before = ConversationService(SqlStore(db, clock=lambda: two_minutes_ago), context)
    crashed = await before.handle_durably(
        inbound(UserRef("telegram", str(USER)), two_minutes_ago, text="/start", update_id="77")
    )
    assert crashed.outbox_ids
    assert await unsent(db) == 1
    async with running(channel, service, tg):
        sent = await tg.wait_for_sent(USER, 1)
    assert "Which language do you prefer?" in (sent[0].text or "")
    assert [label for label, _data in sent[0].buttons[0]] == ["العربية", "English", "Français"]
    assert await unsent(db) == 0
    async with running(channel, service, tg):  # a second start sends nothing again
        pass
    assert len(tg.sent(USER)) == 1


async def test_a_normal_turn_leaves_nothing_in_the_outbox(
    channel: str, tg: FakeTelegram, service: ConversationService, db: AsyncEngine
) -> None:
    async with running(channel, service, tg) as bot:
        tg.send_text(USER, "/help")
        await tg.wait_for_sent(USER, 1)
        await handled(bot, 1)
    assert await unsent(db) == 0


async def test_replies_that_failed_for_now_stay_in_the_outbox(
    channel: str, tg: FakeTelegram, service: ConversationService, db: AsyncEngine
) -> None:
    tg.fail("sendMessage", chat_id=USER, error_code=500, description="Internal Server Error", times=100)
    async with running(channel, service, tg) as bot:
        tg.send_text(USER, "/help")
        await handled(bot, 1)
    assert await unsent(db) == 1, "kept, to be sent again by the next sweep or start"


async def test_a_blocked_user_is_not_retried(
    channel: str, tg: FakeTelegram, service: ConversationService, db: AsyncEngine
) -> None:
    tg.add_user(USER)
    tg.block(USER)
    async with running(channel, service, tg) as bot:
        tg.send_text(USER, "/help")
        await handled(bot, 1)
    assert await unsent(db) == 0


async def choose_english_with_a_flood_on_the_second_message(
    bot: TelegramChannel, tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/start, then the English button: its turn's first message goes out, the second gets a
    429 asking to wait a minute."""
    tg.send_text(USER, "/start", language_code="en")
    [welcome] = await tg.wait_for_sent(USER, 1)
    await handled(bot, 1)
    flood_the_second_send(bot, tg, monkeypatch)
    tg.press_button(USER, welcome.message_id, button(welcome, "English"))
    await handled(bot, 2)


def flood_the_second_send(bot: TelegramChannel, tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on, the second message the bot sends gets a 429 asking to wait a minute."""
    real_send, sends = bot.bridge.api.send, []

    async def send(chat_id: int, message: Outgoing) -> None:
        sends.append(chat_id)
        if len(sends) == 2:
            tg.fail("sendMessage", chat_id=USER, error_code=429, retry_after=60)
        await real_send(chat_id, message)

    monkeypatch.setattr(bot.bridge.api, "send", send)


async def test_the_sweep_sends_only_the_messages_not_yet_delivered(
    channel: str,
    tg: FakeTelegram,
    service: ConversationService,
    db: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first of a turn's two messages went out, the second hit a long flood wait: later,
    only the second is sent, and the first is never repeated."""
    tg.add_user(USER)
    async with running(channel, service, tg) as bot:
        await choose_english_with_a_flood_on_the_second_message(bot, tg, monkeypatch)
    sent = [m.text for m in tg.sent(USER)]
    assert sent[1:] == ["Language set to English."], sent
    query = sa.text("SELECT parts_sent FROM outbox WHERE sent_at IS NULL")
    async with db.connect() as conn:
        [(parts,)] = (await conn.execute(query)).all()
    # Its parts: the language question's keyboard retired (an edit), then the two messages.
    assert parts == 2, "the entry says its first message was delivered, and is handed back"
    async with running(channel, service, tg):  # the next sweep (here: at start) sends the rest
        await tg.wait_for_sent(USER, 3)
    texts = [m.text or "" for m in tg.sent(USER)]
    assert texts[1] == "Language set to English."
    assert texts[2].startswith("Are you a candidate")
    assert len(texts) == 3, texts
    assert await unsent(db) == 0


async def test_a_message_refused_for_good_is_given_up_once(
    channel: str, tg: FakeTelegram, service: ConversationService, db: AsyncEngine
) -> None:
    """A 400 on a turn's first message: it is logged and skipped, the second still goes, and
    nothing is sent again at the next sweeps."""
    tg.add_user(USER)
    async with running(channel, service, tg) as bot:
        tg.send_text(USER, "/start", language_code="en")
        [welcome] = await tg.wait_for_sent(USER, 1)
        await handled(bot, 1)
        tg.fail("sendMessage", chat_id=USER, error_code=400, description="Bad Request: can't parse")
        tg.press_button(USER, welcome.message_id, button(welcome, "English"))
        await tg.wait_for_sent(USER, 2)
        await handled(bot, 2)
    assert (tg.sent(USER)[1].text or "").startswith("Are you a candidate")
    assert await unsent(db) == 0, "done with: one message given up, the other delivered"
    async with running(channel, service, tg) as bot:
        bot.bridge.clock = lambda: datetime.now(UTC) + timedelta(minutes=5)  # every hold expired
        assert await bot.bridge.resend_undelivered() == 0
    assert len(tg.sent(USER)) == 2, "never delivered again"


async def test_marking_replies_delivered_waits_out_a_locked_database_without_sending_twice(
    channel: str,
    tg: FakeTelegram,
    service: ConversationService,
    db: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = service.delivered
    failures: list[int] = []
    unlocked = asyncio.Event()

    async def locked(outbox_ids: Sequence[int], at: datetime) -> None:
        if len(failures) < 5:
            failures.append(len(outbox_ids))
            raise DatabaseUnavailable("the database cannot be used now: database is locked")
        await real(outbox_ids, at)
        unlocked.set()

    monkeypatch.setattr(service, "delivered", locked)
    async with running(channel, service, tg) as bot:
        tg.send_text(USER, "/help")
        await tg.wait_for_sent(USER, 1)
        await handled(bot, 1)
        await bot.bridge.resend_undelivered()  # a sweep in the middle of it
        await asyncio.wait_for(unlocked.wait(), 10)
    assert len(tg.sent(USER)) == 1, "the claim kept the sweep off while the mark could not be written"
    assert await unsent(db) == 0, "marked once the database answered"


async def test_a_chat_behind_gets_its_later_replies_after_the_earlier_ones(
    channel: str,
    tg: FakeTelegram,
    service: ConversationService,
    db: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A reply waits for the sweep (Telegram said wait a minute); the person writes again: the
    answer waits behind the first, and the sweep sends both in order."""
    tg.add_user(USER)
    async with running(channel, service, tg) as bot:
        await choose_english_with_a_flood_on_the_second_message(bot, tg, monkeypatch)
        tg.send_text(USER, "/help")
        await handled(bot, 3)
        assert [m.text for m in tg.sent(USER)][1:] == ["Language set to English."], "/help waits its turn"
        bot.bridge.pacer = Pacer(1000.0)  # the minute Telegram asked for has passed
        await bot.bridge.resend_undelivered()
        texts = [m.text or "" for m in tg.sent(USER)][1:]
        assert texts[1].startswith("Are you a candidate"), texts
        assert texts[2].startswith("I answer questions"), texts
        tg.send_text(USER, "/menu")
        await tg.wait_for_sent(USER, 5)  # back to live sending
    assert await unsent(db) == 0


@pytest.mark.parametrize("readable", [True, False], ids=["outbox-read-at-start", "database-busy-at-start"])
async def test_a_reply_a_dead_process_still_holds_goes_out_before_the_chat_s_next_ones(
    channel: str,
    tg: FakeTelegram,
    service: ConversationService,
    db: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
    readable: bool,
) -> None:
    """A process wrote a turn and died before sending it: its hold on the reply lasts a minute
    more. Started again, the bot answers the person's next message only after that reply, not
    before it (a chat's replies keep the order of its messages), also when the outbox could
    not be read at the start."""
    tg.add_user(USER)
    user = UserRef("telegram", str(USER))
    if not readable:
        real, calls = service.undelivered, []

        async def busy_at_first(channel: str, now: datetime, *, held: bool = False) -> list[Undelivered]:
            calls.append(now)
            if len(calls) <= 2:  # the start, then the /menu turn
                raise DatabaseUnavailable("the database cannot be used now: database is locked")
            return await real(channel, now, held=held)

        monkeypatch.setattr(service, "undelivered", busy_at_first)
    await service.handle_durably(inbound(user, datetime.now(UTC), text="/help", hint="en"))  # then killed
    async with running(channel, service, tg) as bot:
        tg.send_text(USER, "/menu", language_code="en")
        await handled(bot, 1)
        assert tg.sent(USER) == [], "/menu waits behind the reply the dead process holds"
        later = datetime.now(UTC) + timedelta(minutes=2)
        bot.bridge.clock = lambda: later  # the dead process's hold has expired
        await bot.bridge.resend_undelivered()
        texts = [m.text or "" for m in tg.sent(USER)]
    assert len(texts) == 2, texts
    assert texts[0].startswith("I answer questions"), "/help's answer first"
    assert texts[1] == "What would you like to do?"
    assert await unsent(db) == 0
