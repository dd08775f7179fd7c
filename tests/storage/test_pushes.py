"""Broadcast jobs on every backend: the audience resolved in the database, each recipient claimed
once, what a stop left behind resolved (claims given back, sends in flight reported rather than
sent again), pause, resume, cancel, daytime-only sending and announcements."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from functools import partial

from bot.basics.calendar import Daytime
from bot.core.audience import Audience
from bot.core.events import ConsentGiven, PushesStopped
from bot.core.inbound import Invitation, UserRef
from bot.core.state import Role
from bot.service.invitations import token_hash
from bot.service.participants import Participant
from bot.service.ports import Transaction
from bot.service.pushes import (
    CANCELLED,
    DONE,
    FAILED,
    INTERRUPTED,
    PAUSED,
    PENDING,
    RUNNING,
    SENDING,
    SENT,
    SKIPPED,
    UNREACHABLE,
    Delivery,
    Result,
)
from storage.participants import SqlParticipants
from storage.pushes import SqlPushes
from storage.store import SqlStore

AT = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


def redeem(token: str, user: UserRef, tx: Transaction) -> Invitation:
    return tx.redeem_invitation(token, user, AT)


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

        def join(tx: Transaction, n: int = n, user: UserRef = user) -> None:
            tx.redeem_invitation(token_hash(f"t{n}"), user, AT)
            if n == 2:
                tx.record(user, ConsentGiven("2026-12", False), AT)
            if n == 4:
                tx.mark_reachable(user, False, AT)

        await store.run(join)


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


def claim(pushes: SqlPushes, limit: int, at: datetime = AT, owner: str = "a") -> Awaitable[list[Delivery]]:
    return pushes.claim(limit, at, channel="telegram", owner=owner)


async def test_each_recipient_is_claimed_once_and_finished(store: SqlStore) -> None:
    await people(store)
    pushes = SqlPushes(store)
    push_id, _ = await pushes.create("talent-follow-up", 1, Audience(roles=("talent",)), "cli", AT)
    first, second = await asyncio.gather(claim(pushes, 1, owner="a"), claim(pushes, 5, owner="b"))
    claimed = first + second
    assert sorted(p.user.id for p in claimed) == ["100", "106"]
    assert len({p.recipient_id for p in claimed}) == 2
    assert {(p.kind, p.survey_id, p.wave) for p in claimed} == {("survey", "talent-follow-up", push_id)}
    assert await claim(pushes, 5) == [], "nothing is claimed twice"
    by_owner = {"a": first, "b": second}
    for owner, items in by_owner.items():
        for item in items:
            assert await pushes.begin(item.recipient_id, owner, AT)
            assert not await pushes.begin(item.recipient_id, owner, AT), "begun once"
    await pushes.finish(
        [
            Result(claimed[0].recipient_id, SENT, "", AT),
            Result(claimed[1].recipient_id, UNREACHABLE, "Forbidden: bot was blocked by the user", AT),
        ]
    )
    [status] = await pushes.status([push_id])
    assert (status.counts[SENT], status.counts[UNREACHABLE], status.waiting) == (1, 2, 0)
    assert (status.state, status.started_at) == (RUNNING, AT)
    assert await pushes.close_finished(AT + timedelta(seconds=5)) == [push_id]
    [done] = await pushes.status([push_id])
    assert (done.state, done.finished_at) == (DONE, AT), "finished when its last message went"


async def test_a_stop_gives_claims_back_and_reports_only_the_sends_in_flight(store: SqlStore) -> None:
    await people(store)
    pushes = SqlPushes(store)
    push_id, _ = await pushes.create("talent-follow-up", 1, Audience(roles=("talent",)), "cli", AT)
    first, second = await claim(pushes, 5)
    assert await pushes.begin(first.recipient_id, "a", AT)  # ... and the process is killed
    assert await pushes.recover(AT + timedelta(seconds=1)) == (1, 1)
    [status] = await pushes.status([push_id])
    assert (status.counts[FAILED], status.counts[SENDING], status.counts[PENDING]) == (1, 0, 1)
    [left] = await claim(pushes, 5)
    assert left.recipient_id == second.recipient_id, "the claim never sent is sent, the one in flight is not"
    assert INTERRUPTED.startswith("interrupted")
    assert await pushes.retry(push_id) == 1, "staff may send the interrupted one again"


async def test_pausing_stops_a_claimed_send_and_cancelling_skips_the_rest(store: SqlStore) -> None:
    await people(store)
    pushes = SqlPushes(store)
    push_id, _ = await pushes.create("talent-follow-up", 1, Audience(roles=("talent",)), "cli", AT)
    first, _second = await claim(pushes, 5)
    assert await pushes.set_state(push_id, PAUSED, AT) == RUNNING
    assert not await pushes.begin(first.recipient_id, "a", AT), "a paused job sends nothing more"
    assert await claim(pushes, 5) == []
    assert await pushes.set_state(push_id, RUNNING, AT) == PAUSED
    assert len(await claim(pushes, 5)) == 2, "resumed: both are sent"
    assert await pushes.release("a") == 2
    assert await pushes.set_state(push_id, CANCELLED, AT) == RUNNING
    [status] = await pushes.status([push_id])
    assert (status.state, status.counts[PENDING], status.counts[SKIPPED]) == (CANCELLED, 0, 7)
    assert await pushes.set_state(push_id, RUNNING, AT) == CANCELLED, "a cancelled job stays cancelled"
    assert await pushes.set_state(999, PAUSED, AT) is None


async def test_a_daytime_only_job_waits_for_each_recipients_morning(store: SqlStore) -> None:
    participants = SqlParticipants(store)
    await participants.save(
        [
            Participant("T-AMMAN", Role.TALENT, timezone="Asia/Amman"),
            Participant("T-BRUSSELS", Role.TALENT, timezone="Europe/Brussels"),
        ],
        AT,
    )
    for n, reference in enumerate(("T-AMMAN", "T-BRUSSELS")):
        await participants.invite(reference, token_hash(reference), AT, AT + timedelta(days=9))
        await store.run(partial(redeem, token_hash(reference), UserRef("telegram", str(200 + n))))
    pushes = SqlPushes(store)
    evening = datetime(2026, 3, 5, 19, 30, tzinfo=UTC)  # 22:30 in Amman, 20:30 in Brussels
    await pushes.create(
        "talent-follow-up", 1, Audience(roles=("talent",)), "cli", evening, daytime=Daytime(8, 21)
    )
    [brussels] = await claim(pushes, 5, evening)
    assert brussels.user.id == "201", "still daytime in Brussels, night in Amman"
    fresh = SqlPushes(store)  # the zones are looked up again
    assert await claim(fresh, 5, datetime(2026, 3, 6, 4, 59, tzinfo=UTC)) == [], "07:59 in Amman"
    [amman] = await claim(fresh, 5, datetime(2026, 3, 6, 5, 0, tzinfo=UTC))
    assert amman.user.id == "200"


async def test_an_announcement_reaches_who_declined_surveys(store: SqlStore) -> None:
    await people(store)
    pushes = SqlPushes(store)
    texts = {"ar": "مرحبا", "en": "Hello", "fr": "Bonjour"}
    push_id, total = await pushes.announce(texts, Audience(roles=("talent",)), "cli", AT)
    [status] = await pushes.status([push_id])
    assert (total, status.kind, status.counts[PENDING]) == (8, "announcement", 3), "T-2 declined surveys only"
    items = await claim(pushes, 5)
    assert {i.user.id for i in items} == {"100", "102", "106"}
    assert all(i.message == texts and i.wave is None for i in items)


async def test_someone_connected_outside_telegram_is_skipped_not_claimed(store: SqlStore) -> None:
    participants = SqlParticipants(store)
    await participants.save([Participant("C-1", Role.TALENT)], AT)
    await participants.invite("C-1", token_hash("c1"), AT, AT + timedelta(days=9))
    await store.run(lambda tx: tx.redeem_invitation(token_hash("c1"), UserRef("console", "ann"), AT))
    pushes = SqlPushes(store)
    push_id, _ = await pushes.create("talent-follow-up", 1, Audience(references=("C-1",)), "cli", AT)
    [status] = await pushes.status([push_id])
    assert status.counts["skipped"] == 1
    assert await claim(pushes, 5) == []


async def test_a_push_never_goes_to_everyone_by_accident(store: SqlStore) -> None:
    import pytest

    with pytest.raises(ValueError, match="needs an audience"):
        await SqlPushes(store).create("talent-follow-up", 1, Audience(), "cli", AT)


async def test_who_sent_stop_gets_no_survey_and_no_announcement_until_start(store: SqlStore) -> None:
    """/stop before a job: skipped with the reason; /stop while it runs: never claimed."""
    await people(store)  # T-0 .. T-6 connected as 100 .. 106; T-2 declined, T-4 blocked the bot
    pushes = SqlPushes(store)
    await store.run(lambda tx: tx.record(UserRef("telegram", "100"), PushesStopped(True), AT))
    survey, _ = await pushes.create("talent-follow-up", 1, Audience(roles=("talent",)), "cli", AT)
    announcement, _ = await pushes.announce({"en": "Hello"}, Audience(roles=("talent",)), "cli", AT)
    statuses = {s.push_id: s for s in await pushes.status([survey, announcement])}
    assert statuses[survey].counts[SKIPPED] == 6, "T-0's stop and the five not reachable anyway"
    reach = await pushes.reach(Audience(roles=("talent",)))
    assert reach.reachable == 1, "T-6 only: T-0 stopped, T-2 declined, T-4 blocked the bot"
    await store.run(lambda tx: tx.record(UserRef("telegram", "106"), PushesStopped(True), AT))
    claimed = await claim(pushes, 10)
    assert [(d.kind, d.user.id) for d in claimed] == [("announcement", "102")], (
        "T-0 stopped before, T-6 after the jobs were made; T-2 declined surveys only"
    )
    await store.run(lambda tx: tx.record(UserRef("telegram", "100"), PushesStopped(False), AT))
    again, _ = await pushes.create("talent-follow-up", 2, Audience(references=("T-0",)), "cli", AT)
    assert [d.user.id for d in await claim(pushes, 10)] == ["100"], "/start: on again"
    [status] = await pushes.status([again])
    assert status.counts[SKIPPED] == 0
