"""Staff in Telegram, on both frameworks against the fake Bot API server: /results arrives as a
text, the chart as a photo and the spreadsheet as a document; /survey pushes after a preview."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.context import Context
from bot.core.inbound import UserRef
from bot.core.state import Role
from bot.service import ConversationService
from bot.service.desk import StaffDesk
from bot.service.invitations import token_hash
from bot.service.participants import Participant
from storage.desk import SqlStaffData
from storage.participants import SqlParticipants
from storage.pushes import SqlPushes
from storage.store import SqlStore
from tests.channels.harness import handled, press, running
from tests.fake_telegram import FakeTelegram
from tests.inputs import inbound

STAFF, TALENT = 900, 42
NOW = datetime.now(UTC)


async def test_results_and_a_push_from_a_staff_chat(
    channel: str, db: AsyncEngine, context: Context, tg: FakeTelegram
) -> None:
    store = SqlStore(db)
    context = replace(context, staff=frozenset({UserRef("telegram", str(STAFF))}))
    service = ConversationService(store, context, desk=StaffDesk(SqlStaffData(store), context))
    await SqlParticipants(store).save([Participant("T-1", Role.TALENT, cohort="2026-A")], NOW)
    await SqlParticipants(store).invite("T-1", token_hash("t1"), NOW, NOW + timedelta(days=1))
    await service.handle(inbound(UserRef("telegram", str(TALENT)), NOW, text="/start t1"))
    tg.add_user(STAFF)
    async with running(channel, service, tg) as bot:
        tg.send_text(STAFF, "/results talent-follow-up", language_code="en")
        text, chart, sheet = await tg.wait_for_sent(STAFF, 3)
        await handled(bot, 1)
        tg.send_text(STAFF, "/survey", language_code="en")
        await tg.wait_for_sent(STAFF, 4)
        await handled(bot, 2)
        press(tg, STAFF, "Follow-up: your job and new life", language_code="en")
        await tg.wait_for_sent(STAFF, 5)
        await handled(bot, 3)
        press(tg, STAFF, "All talents", language_code="en")
        [preview] = (await tg.wait_for_sent(STAFF, 6))[5:]
        await handled(bot, 4)
        press(tg, STAFF, "Send", language_code="en")
        [pushed] = (await tg.wait_for_sent(STAFF, 7))[6:]
        await handled(bot, 5)
    assert (text.text or "").startswith("“Follow-up: your job and new life”: 0 completed")
    assert (chart.kind, sheet.kind, sheet.filename) == ("photo", "document", "talent-follow-up.xlsx")
    assert (sheet.file_size or 0) > 0
    assert "Participants matching (talent): 1." in (preview.text or "")
    assert (pushed.text or "").startswith("Push 1: ")
    [status] = await SqlPushes(store).status()
    assert status.counts["pending"] + status.counts["sent"] + status.counts["sending"] == 1


async def test_someone_invited_as_staff_gets_the_staff_menu(
    channel: str, db: AsyncEngine, context: Context, tg: FakeTelegram
) -> None:
    store = SqlStore(db)
    service = ConversationService(store, context)
    await SqlParticipants(store).invite(None, token_hash("staff-link"), NOW, NOW + timedelta(days=1))
    invited = 777
    await service.handle(inbound(UserRef("telegram", str(invited)), NOW, text="/start staff-link"))
    tg.add_user(invited)
    async with running(channel, service, tg):
        await tg.wait_for_calls("setMyCommands", 8)
    names = [name for name, _ in tg.commands_for(scope=f"chat:{invited}", language_code="en")]
    assert names[-4:] == ["survey", "status", "results", "gaps"]
