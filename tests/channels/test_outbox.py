"""Replies survive a crash between the turn's commit and the send: they wait in the outbox and
are sent when a channel starts (or sweeps), once, by one instance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.inbound import UserRef
from bot.service import ConversationService
from tests.channels.harness import handled, running
from tests.fake_telegram import FakeTelegram
from tests.inputs import inbound

USER = 4242


async def unsent(db: AsyncEngine) -> int:
    async with db.connect() as conn:
        return int(
            (await conn.execute(sa.text("SELECT count(*) FROM outbox WHERE sent_at IS NULL"))).scalar_one()
        )


async def test_replies_left_by_a_crash_are_sent_at_the_next_start(
    channel: str, tg: FakeTelegram, service: ConversationService, db: AsyncEngine
) -> None:
    tg.add_user(USER)
    two_minutes_ago = datetime.now(UTC) - timedelta(minutes=2)
    # The turn was committed, then the process died before sending anything.
    crashed = await service.handle_durably(
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
