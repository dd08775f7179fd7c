"""A survey pushed from the command line and sent by the running bot, on both frameworks against
the fake Bot API server: the prompt reaches each connected participant once, in their language;
Start leads to consent and the first question; a participant who blocked the bot is reported."""

from __future__ import annotations

import asyncio
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
from storage.participants import SqlParticipants
from storage.pushes import SqlPushes
from storage.store import SqlStore
from tests.channels.harness import handled, press, running
from tests.fake_telegram import FakeTelegram
from tests.inputs import inbound

RANIA, KARIM = 42, 43
NOW = datetime.now(UTC)


async def connect(
    service: ConversationService, store: SqlStore, reference: str, chat: int, language: Lang
) -> None:
    """The participant opened their invitation link (earlier, outside this test's Telegram)."""
    participants = SqlParticipants(store)
    await participants.save([Participant(reference, Role.TALENT, cohort="2026-A", language=language)], NOW)
    await participants.invite(reference, token_hash(f"token-{reference}"), NOW, NOW + timedelta(days=1))
    await service.handle(inbound(UserRef("telegram", str(chat)), NOW, text=f"/start token-{reference}"))


async def settled(pushes: SqlPushes, push_id: int, deadline: float = 15.0) -> dict[str, int]:
    end = time.monotonic() + deadline
    while True:
        [status] = await pushes.status([push_id])
        if status.counts["pending"] == status.counts["sending"] == 0 or time.monotonic() > end:
            return status.counts
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("blocked", [False, True], ids=["reached", "blocked"])
async def test_a_push_is_sent_once_to_each_and_started_from_its_button(
    channel: str, db: AsyncEngine, context: Context, tg: FakeTelegram, blocked: bool
) -> None:
    store = SqlStore(db)
    pushes = SqlPushes(store)
    service = ConversationService(store, context, pushes=pushes)
    await connect(service, store, "T-1", RANIA, Lang.AR)
    await connect(service, store, "T-2", KARIM, Lang.FR)
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
        press(tg, RANIA, "ابدأ ◀", language_code="ar")
        [consent] = (await tg.wait_for_sent(RANIA, 2))[1:]
        await handled(bot, 1)
        assert "هل توافق على أن يحتفظ فريق DT4E" in strip_bidi_controls(consent.text or "")
        press(tg, RANIA, "نعم، أوافق", language_code="ar")
        [intro] = (await tg.wait_for_sent(RANIA, 3))[2:]
        await handled(bot, 2)
    assert "الخطوة" in (intro.text or "")
    if blocked:
        assert (counts["sent"], counts["unreachable"]) == (1, 1)
        assert tg.sent(KARIM) == []
    else:
        assert counts["sent"] == 2
        [french] = tg.sent(KARIM)
        assert (french.text or "").startswith("L'équipe DT4E aimerait avoir de vos nouvelles")
    assert len(tg.sent(RANIA)) == 3, "one prompt, however long the bot ran"


async def test_a_prompt_that_may_have_been_sent_is_not_sent_again(
    channel: str, db: AsyncEngine, context: Context, tg: FakeTelegram
) -> None:
    """A 5xx, a timeout or a dropped connection may come after Telegram sent the message: the
    prompt is reported failed, never tried again (a 429, which sends nothing, is waited out)."""
    store = SqlStore(db)
    pushes = SqlPushes(store)
    service = ConversationService(store, context, pushes=pushes)
    await connect(service, store, "T-1", RANIA, Lang.EN)
    tg.add_user(RANIA)
    tg.fail("sendMessage", chat_id=RANIA, error_code=502, description="Bad Gateway")
    push_id, _ = await pushes.create("talent-follow-up", 1, Audience(references=("T-1",)), "test", NOW)
    async with running(channel, service, tg):
        counts = await settled(pushes, push_id)
    assert counts["failed"] == 1
    assert len([c for c in tg.requests if c.method == "sendMessage"]) == 1, "one try only"
