"""Broadcasts sent by the running bot on both frameworks against the fake Bot API server: a survey
reaches each connected participant once, in their language, and Start leads to the survey; what
Telegram answers (429, 403, 5xx) is handled per recipient; thousands go out under Telegram's pace
with no 429 and no duplicate; someone who writes during a broadcast is answered at once."""

from __future__ import annotations

import asyncio
import collections
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.basics.lang import Lang
from bot.core.audience import Audience
from bot.core.bidi import strip_bidi_controls
from bot.core.context import Context
from bot.core.inbound import UserRef
from bot.core.state import Role
from bot.service import ConversationService
from bot.service.invitations import token_hash
from bot.service.participants import Participant
from bot.service.pushes import Broadcasting
from storage.leases import lease_for
from storage.participants import SqlParticipants
from storage.pushes import SqlPushes
from storage.store import SqlStore
from tests.channels.harness import handled, press, running
from tests.crowd import connect_crowd
from tests.fake_telegram import FakeTelegram
from tests.inputs import inbound

RANIA, KARIM = 42, 43
NOW = datetime.now(UTC)


def broadcasting(
    db: AsyncEngine, context: Context, *, rate: float = 25.0
) -> tuple[ConversationService, SqlPushes]:
    store = SqlStore(db)
    pushes = SqlPushes(store)
    setup = Broadcasting(pushes, lease_for(db), rate=rate)
    return ConversationService(store, context, broadcasting=setup), pushes


async def connect(
    service: ConversationService, store: SqlStore, reference: str, chat: int, language: Lang
) -> None:
    """The participant opened their invitation link (earlier, outside this test's Telegram)."""
    participants = SqlParticipants(store)
    await participants.save([Participant(reference, Role.TALENT, cohort="2026-A", language=language)], NOW)
    await participants.invite(reference, token_hash(f"token-{reference}"), NOW, NOW + timedelta(days=1))
    await service.handle(inbound(UserRef("telegram", str(chat)), NOW, text=f"/start token-{reference}"))


async def settled(pushes: SqlPushes, push_id: int, deadline: float = 30.0) -> dict[str, int]:
    end = time.monotonic() + deadline
    while True:
        [status] = await pushes.status([push_id])
        if status.waiting == 0 or time.monotonic() > end:
            return status.counts
        await asyncio.sleep(0.5)


@pytest.mark.parametrize("blocked", [False, True], ids=["reached", "blocked"])
async def test_a_push_is_sent_once_to_each_and_started_from_its_button(
    channel: str, db: AsyncEngine, context: Context, tg: FakeTelegram, blocked: bool
) -> None:
    service, pushes = broadcasting(db, context)
    await connect(service, pushes._store, "T-1", RANIA, Lang.AR)
    await connect(service, pushes._store, "T-2", KARIM, Lang.FR)
    tg.add_user(RANIA)
    tg.add_user(KARIM)
    if blocked:
        tg.block(KARIM)
    push_id, total = await pushes.create("talent-follow-up", 1, Audience(cohorts=("2026-A",)), "test", NOW)
    assert total == 2
    async with running(channel, service, tg) as bot:
        counts = await settled(pushes, push_id)
        [prompt] = await tg.wait_for_sent(RANIA, 1)
        assert strip_bidi_controls(prompt.text or "").startswith("يودّ فريق DT4E أن يسمع منك")
        # The prompt is one message: Start turns it into the consent question, and Yes into
        # the survey's first step.
        press(tg, RANIA, "البدء ◀", language_code="ar")
        await handled(bot, 1)
        [consent] = tg.sent(RANIA)
        assert "هل توافق على أن يحتفظ فريق DT4E" in strip_bidi_controls(consent.text or "")
        press(tg, RANIA, "نعم، أوافق", language_code="ar")
        await handled(bot, 2)
        [intro] = tg.sent(RANIA)
    assert "الخطوة" in (intro.text or "")
    assert intro.message_id == prompt.message_id
    assert intro.edits == 2
    if blocked:
        assert (counts["sent"], counts["unreachable"]) == (1, 1)
        assert tg.sent(KARIM) == []
    else:
        assert counts["sent"] == 2
        [french] = tg.sent(KARIM)
        assert (french.text or "").startswith("L'équipe DT4E aimerait avoir de vos nouvelles")
    assert len(tg.sent(RANIA)) == 1, "one prompt, however long the bot ran"
    [done] = await pushes.status([push_id])
    assert done.state == "done"
    assert done.finished_at is not None


async def test_telegram_errors_are_handled_per_recipient(
    channel: str, db: AsyncEngine, context: Context, tg: FakeTelegram
) -> None:
    """A 5xx is tried again (then sent once), a 429 pauses the broadcast for its retry_after and
    sends the same message after it, a 403 marks the person unreachable, an error that keeps
    coming fails that recipient only, with its reason."""
    service, pushes = broadcasting(db, context)
    chats = await connect_crowd(pushes._store.engine, 4)
    for chat in chats:
        tg.add_user(chat)
    flaky, flooded, gone, broken = chats
    tg.fail("sendMessage", chat_id=flaky, error_code=502, description="Bad Gateway", times=2)
    tg.fail("sendMessage", chat_id=flooded, error_code=429, retry_after=1)
    tg.block(gone)
    tg.fail("sendMessage", chat_id=broken, error_code=500, times=50)
    push_id, _ = await pushes.announce(
        {"ar": "مرحبا", "en": "Hello", "fr": "Bonjour"}, Audience(cohorts=("crowd",)), "test", NOW
    )
    async with running(channel, service, tg) as bot:
        counts = await settled(pushes, push_id)
        assert bot.bridge.pacer.floods >= 1, "the 429 reached the pacer"
    assert (counts["sent"], counts["unreachable"], counts["failed"]) == (2, 1, 1)
    assert [len(tg.sent(chat)) for chat in chats] == [1, 1, 0, 0]
    tries = collections.Counter(c.params.get("chat_id") for c in tg.requests if c.method == "sendMessage")
    assert (tries[flaky], tries[flooded]) == (3, 2)
    assert tries[broken] == 4, "as many tries as the retry policy allows, then failed"
    async with pushes._store.session() as session:
        from sqlalchemy import text

        found = await session.execute(text("SELECT status, reason FROM push_recipients"))
        reasons: dict[str, str] = {str(status): str(reason) for status, reason in found.all()}
    assert reasons["failed"] == "Internal Server Error (after 4 tries)"
    assert "blocked" in reasons["unreachable"]


async def test_a_thousand_go_out_at_telegrams_pace_with_no_429_and_no_duplicate(
    channel: str, db: AsyncEngine, context: Context, tg: FakeTelegram
) -> None:
    """Pacing scaled up tenfold (250 a second, Telegram's limits ×10) so that a thousand take
    seconds, four windows of a second at the limit: 1,000 on aiogram, 600 on
    python-telegram-bot (the sender is the same; the benchmark sends to 120,000)."""
    people = 1000 if channel == "aiogram" else 600
    service, pushes = broadcasting(db, context, rate=250)
    tg.enforce_pacing(per_chat_per_second=1, overall_per_second=300)
    chats = await connect_crowd(pushes._store.engine, people)
    for chat in chats:
        tg.add_user(chat)
    push_id, total = await pushes.create("talent-follow-up", 1, Audience(cohorts=("crowd",)), "test", NOW)
    assert total == people
    async with running(channel, service, tg):
        counts = await settled(pushes, push_id, deadline=120)
    sends = collections.Counter(c.params.get("chat_id") for c in tg.requests if c.method == "sendMessage")
    assert counts["sent"] == people
    assert [f for f in tg.faults if f.kind == "pacing"] == [], "no 429"
    assert set(sends) == set(chats), "nobody skipped"
    assert set(sends.values()) == {1}, "nobody twice"


async def test_someone_who_writes_during_a_broadcast_is_answered_before_it_ends(
    channel: str, db: AsyncEngine, context: Context, tg: FakeTelegram
) -> None:
    service, pushes = broadcasting(db, context, rate=50)
    tg.enforce_pacing(per_chat_per_second=1, overall_per_second=60)
    chats = await connect_crowd(pushes._store.engine, 300)
    for chat in chats:
        tg.add_user(chat)
    push_id, _ = await pushes.create("talent-follow-up", 1, Audience(cohorts=("crowd",)), "test", NOW)
    async with running(channel, service, tg) as bot:
        await tg.wait_for_calls("sendMessage", 50)  # the broadcast is well under way
        tg.send_text(RANIA, "/start", language_code="en")
        await tg.wait_for_sent(RANIA, 1)
        await handled(bot, 1)
        [status] = await pushes.status([push_id])
        assert status.waiting > 150, "answered while most of the broadcast was still to go"
        counts = await settled(pushes, push_id)
    assert counts["sent"] == 300
    assert [f for f in tg.faults if f.kind == "pacing"] == [], "the reply fitted in the pace"
