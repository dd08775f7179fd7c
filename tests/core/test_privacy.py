"""/privacy: what is kept, and the survey consent given or withdrawn there, which the pushes
respect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.audience import Audience
from bot.core.context import Context
from bot.core.features.privacy import SurveyConsentButton
from bot.core.inbound import UserRef
from bot.core.state import Role
from bot.service import ConversationService
from bot.service.invitations import token_hash
from bot.service.participants import Participant
from storage.participants import SqlParticipants
from storage.pushes import SqlPushes
from storage.store import SqlStore
from tests.inputs import inbound

AT = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
RANIA = UserRef("telegram", "42")


async def test_consent_given_and_withdrawn_from_privacy(
    store: SqlStore, engine: AsyncEngine, context: Context
) -> None:
    service = ConversationService(store, context)
    await SqlParticipants(store).save([Participant("T-1", Role.TALENT)], AT)
    await SqlParticipants(store).invite("T-1", token_hash("tok"), AT, AT + timedelta(days=3))
    await service.handle(inbound(RANIA, AT, text="/start tok", hint="en"))
    [shown] = await service.handle(inbound(RANIA, AT, text="/privacy", hint="en"))
    assert shown.text.startswith("What I keep about you")
    assert shown.text.endswith("Surveys: you have not been asked yet.")
    assert [b.data for row in shown.buttons for b in row] == [SurveyConsentButton(True).pack()]
    await service.handle(inbound(RANIA, AT, press=SurveyConsentButton(True).pack(), hint="en"))
    pushes = SqlPushes(store)
    await pushes.create("talent-follow-up", 1, Audience(roles=("talent",)), "test", AT)
    [withdrawn] = await service.handle(inbound(RANIA, AT, press=SurveyConsentButton(False).pack(), hint="en"))
    assert withdrawn.text.startswith("Done: your answers to new surveys will not be stored")
    claimed = await pushes.claim(10, AT, channel="telegram", owner="test")
    assert claimed == [], "a pending prompt is not sent after the consent is withdrawn"
    [status] = await pushes.status()
    assert status.counts["skipped"] == 1
    async with engine.connect() as conn:
        given = (await conn.execute(sa.text("SELECT consent_given FROM users"))).scalar_one()
    assert not given
    [again] = await service.handle(inbound(RANIA, AT, text="/privacy", hint="en"))
    assert again.text.endswith("Surveys: you declined; your answers to new surveys are not stored.")
