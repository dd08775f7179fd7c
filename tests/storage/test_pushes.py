"""Survey pushes on every backend: the audience resolved in the database, each recipient claimed
once, and what a crash left in flight reported rather than sent again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.core.audience import Audience
from bot.core.events import ConsentGiven
from bot.core.inbound import UserRef
from bot.core.state import Role
from bot.service.invitations import token_hash
from bot.service.participants import Participant
from bot.service.pushes import FAILED, INTERRUPTED, SENT, UNREACHABLE
from storage.participants import SqlParticipants
from storage.pushes import SqlPushes
from storage.store import SqlStore

AT = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


async def people(store: SqlStore, count: int = 8) -> None:
    """Talents T-0..T-n, the even ones connected; T-2 declined surveys, T-4 blocked the bot."""
    participants = SqlParticipants(store)
    await participants.save(
        [Participant(f"T-{n}", Role.TALENT, cohort="A" if n < 4 else "B") for n in range(count)], AT
    )
    await participants.save([Participant("E-1", Role.EMPLOYER, cohort="A")], AT)
    for n in range(0, count, 2):
        user = UserRef("telegram", str(100 + n))
        await participants.invite(f"T-{n}", token_hash(f"t{n}"), AT, AT + timedelta(days=9))
        async with store.transaction() as tx:
            await tx.redeem_invitation(token_hash(f"t{n}"), user, AT)
            if n == 2:
                await tx.record(user, ConsentGiven("2026-12", False), AT)
            if n == 4:
                await tx.mark_reachable(user, False, AT)


async def test_an_audience_is_resolved_with_who_cannot_be_reached(store: SqlStore) -> None:
    await people(store)
    pushes = SqlPushes(store)
    talents = Audience(roles=("talent",))
    assert await pushes.count(talents) == 8
    assert await pushes.count(Audience(roles=("talent",), cohorts=("A",))) == 4
    assert await pushes.count(Audience(references=("T-1", "E-1"))) == 2
    push_id, total = await pushes.create("talent-follow-up", 1, talents, "cli", AT)
    assert total == 8
    [status] = await pushes.status([push_id])
    assert {k: v for k, v in status.counts.items() if v} == {"pending": 2, "skipped": 5, "unreachable": 1}


async def test_each_recipient_is_claimed_once_and_finished(store: SqlStore) -> None:
    await people(store)
    pushes = SqlPushes(store)
    push_id, _ = await pushes.create("talent-follow-up", 1, Audience(roles=("talent",)), "cli", AT)
    first, second = await asyncio.gather(pushes.claim(1, AT), pushes.claim(5, AT))
    claimed = first + second
    assert sorted(p.user.id for p in claimed) == ["100", "106"]
    assert len({p.recipient_id for p in claimed}) == 2
    assert await pushes.claim(5, AT) == [], "nothing is claimed twice"
    await pushes.finish(claimed[0].recipient_id, SENT, "", AT)
    await pushes.finish(claimed[1].recipient_id, UNREACHABLE, "Forbidden: bot was blocked by the user", AT)
    [status] = await pushes.status([push_id])
    assert (status.counts[SENT], status.counts[UNREACHABLE], status.counts["pending"]) == (1, 2, 0)


async def test_what_a_crash_left_in_flight_is_reported_not_sent_again(store: SqlStore) -> None:
    await people(store)
    pushes = SqlPushes(store)
    push_id, _ = await pushes.create("talent-follow-up", 1, Audience(roles=("talent",)), "cli", AT)
    await pushes.claim(1, AT)  # ... and the process is killed before it says how the send went
    assert await pushes.recover(AT + timedelta(seconds=30)) == 0, "maybe another instance, still sending"
    assert await pushes.recover(AT + timedelta(minutes=3)) == 1
    [status] = await pushes.status([push_id])
    assert (status.counts[FAILED], status.counts["sending"], status.counts["pending"]) == (1, 0, 1)
    [left] = await pushes.claim(5, AT)
    assert left.user.id in {"100", "106"}
    assert INTERRUPTED.startswith("interrupted")


async def test_someone_connected_outside_telegram_is_skipped_not_claimed(store: SqlStore) -> None:
    participants = SqlParticipants(store)
    await participants.save([Participant("C-1", Role.TALENT)], AT)
    await participants.invite("C-1", token_hash("c1"), AT, AT + timedelta(days=9))
    async with store.transaction() as tx:
        await tx.redeem_invitation(token_hash("c1"), UserRef("console", "ann"), AT)
    pushes = SqlPushes(store)
    push_id, _ = await pushes.create("talent-follow-up", 1, Audience(references=("C-1",)), "cli", AT)
    [status] = await pushes.status([push_id])
    assert status.counts["skipped"] == 1
    assert await pushes.claim(5, AT) == []


async def test_a_push_never_goes_to_everyone_by_accident(store: SqlStore) -> None:
    import pytest

    with pytest.raises(ValueError, match="needs an audience"):
        await SqlPushes(store).create("talent-follow-up", 1, Audience(), "cli", AT)
