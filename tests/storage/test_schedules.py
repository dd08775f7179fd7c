"""Follow-up schedules on every backend: planned at 10:00 in each participant's own zone across
month ends and clock changes, turned into daytime-only jobs when due, one reminder when not
answered, never a burst of old surveys after a late import or a downtime."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import col

from bot.core.events import ConsentGiven
from bot.core.inbound import UserRef
from bot.core.state import Role
from bot.service.invitations import token_hash
from bot.service.participants import Participant
from bot.service.ports import Transaction
from bot.service.pushes import Result
from storage.models import FollowUp, SurveyResponse
from storage.models import Participant as ParticipantRow
from storage.participants import SqlParticipants
from storage.pushes import SqlPushes
from storage.schedules import FollowUpRules, ScheduledFollowUp, SqlSchedules
from storage.store import SqlStore

RULES = FollowUpRules()
AT = datetime(2027, 1, 1, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def talent(reference: str, start: date, zone: str | None = "Europe/Brussels") -> Participant:
    return Participant(reference, Role.TALENT, start_date=start, timezone=zone)


async def save(store: SqlStore, *people: Participant, at: datetime = AT) -> tuple[int, int, int]:
    return await SqlParticipants(store, follow_ups=RULES).save(list(people), at)


async def connect(store: SqlStore, reference: str, *, declined: bool = False, blocked: bool = False) -> None:
    user = UserRef("telegram", f"tg-{reference}")
    await SqlParticipants(store).invite(reference, token_hash(reference), AT, AT + timedelta(days=9))

    def join(tx: Transaction) -> None:
        tx.redeem_invitation(token_hash(reference), user, AT)
        if declined:
            tx.record(user, ConsentGiven("2026-12", False), AT)
        if blocked:
            tx.mark_reachable(user, False, AT)

    await store.run(join)


async def waves(store: SqlStore, reference: str) -> dict[int, ScheduledFollowUp]:
    return {f.months: f for f in await SqlSchedules(store, RULES).upcoming() if f.reference == reference}


async def row_ids(store: SqlStore) -> set[int | None]:
    async with store.session() as session:
        return set((await session.execute(sa.select(col(FollowUp.id)))).scalars())


async def send(store: SqlStore, schedules: SqlSchedules, due: datetime) -> int:
    """Queue what is due and send it all; returns the job's id."""
    [wave] = await schedules.queue_due(due)
    pushes = SqlPushes(store)
    items = await pushes.claim(10, due, channel="telegram", owner="x")
    for item in items:
        assert await pushes.begin(item.recipient_id, "x", due)
    await pushes.finish([Result(item.recipient_id, "sent", "", due) for item in items])
    return wave


async def test_waves_are_10_local_across_zones_month_ends_and_clock_changes(store: SqlStore) -> None:
    zones = ("Asia/Amman", "Asia/Beirut", "Europe/Brussels")
    await save(
        store, *(talent(z, date(2027, 1, 31), z) for z in zones), talent("NOZONE", date(2027, 1, 31), None)
    )
    days = {1: date(2027, 2, 28), 3: date(2027, 4, 30), 6: date(2027, 7, 31), 12: date(2028, 1, 31)}
    for zone in (*zones, "NOZONE"):
        planned = await waves(store, zone)
        name = "Europe/Brussels" if zone == "NOZONE" else zone
        assert {m: (f.state, f.survey_id, f.timezone) for m, f in planned.items()} == {
            m: ("planned", "talent-follow-up", name) for m in days
        }
        for months, day in days.items():
            local = planned[months].due_at.astimezone(ZoneInfo(name))
            assert (local.date(), local.hour, local.minute) == (day, 10, 0), (zone, months)
    amman = await waves(store, "Asia/Amman")
    assert {f.due_at.hour for f in amman.values()} == {7}, "Amman is UTC+3 all year"
    brussels = await waves(store, "Europe/Brussels")
    assert [brussels[m].due_at.hour for m in (1, 3, 6, 12)] == [9, 8, 8, 9]

    await save(
        store,
        talent("B-SPRING", date(2026, 12, 28)),
        talent("B-FALL", date(2027, 7, 31)),
        talent("L-SPRING", date(2026, 12, 28), "Asia/Beirut"),
        talent("L-FALL", date(2027, 7, 31), "Asia/Beirut"),
    )
    expected = {
        "B-SPRING": datetime(2027, 3, 28, 8, 0, tzinfo=UTC),  # CEST from 01:00 UTC that day
        "B-FALL": datetime(2027, 10, 31, 9, 0, tzinfo=UTC),  # CET again from 01:00 UTC
        "L-SPRING": datetime(2027, 3, 28, 7, 0, tzinfo=UTC),  # EEST from midnight
        "L-FALL": datetime(2027, 10, 31, 8, 0, tzinfo=UTC),  # EET again from midnight
    }
    for reference, due in expected.items():
        assert (await waves(store, reference))[3].due_at == due, reference


async def test_due_follow_ups_become_one_job_per_survey_at_the_local_hour(store: SqlStore) -> None:
    start = date(2027, 1, 31)
    employer = Participant("E-1", Role.EMPLOYER, start_date=start, timezone="Asia/Amman")
    await save(store, talent("T-1", start, "Asia/Amman"), talent("T-2", start, "Asia/Amman"), employer)
    await save(store, talent("T-BRU", start))
    for reference in ("T-1", "T-2", "E-1", "T-BRU"):
        await connect(store, reference)
    schedules, pushes = SqlSchedules(store, RULES), SqlPushes(store)
    due = datetime(2027, 2, 28, 7, 0, tzinfo=UTC)  # 10:00 in Amman
    assert await schedules.queue_due(due - MINUTE) == []
    assert {f.state for f in await schedules.upcoming(before=due + MINUTE)} == {"planned"}

    made = await schedules.queue_due(due)
    by_survey = {s.survey_id: s for s in await pushes.status(made)}
    assert set(by_survey) == {"talent-follow-up", "employer-follow-up"}
    assert {(s.kind, s.state) for s in by_survey.values()} == {("survey", "running")}
    talents, employers = by_survey["talent-follow-up"], by_survey["employer-follow-up"]
    assert (talents.counts["pending"], employers.counts["pending"]) == (2, 1), "T-1 and T-2 share one job"
    now = {f.reference: f for f in await schedules.upcoming(before=due + MINUTE)}
    assert set(now) == {"T-1", "T-2", "E-1"}, "09:00 UTC is Brussels' 10:00, not yet"
    assert {r: (f.state, f.months, f.push_id) for r, f in now.items()} == {
        "T-1": ("queued", 1, talents.push_id),
        "T-2": ("queued", 1, talents.push_id),
        "E-1": ("queued", 1, employers.push_id),
    }
    claimed = await pushes.claim(10, due, channel="telegram", owner="x")
    assert sorted((d.user.id, d.kind, d.survey_id, d.wave) for d in claimed) == [
        ("tg-E-1", "survey", "employer-follow-up", employers.push_id),
        ("tg-T-1", "survey", "talent-follow-up", talents.push_id),
        ("tg-T-2", "survey", "talent-follow-up", talents.push_id),
    ]
    assert await schedules.queue_due(due + MINUTE) == [], "queued once"
    brussels = datetime(2027, 2, 28, 9, 0, tzinfo=UTC)
    [later] = await schedules.queue_due(brussels)
    fresh = SqlPushes(store)  # the zones of daytime-only jobs are kept a minute: look them up again
    [bru] = await fresh.claim(10, brussels, channel="telegram", owner="x")
    assert (bru.user.id, bru.wave) == ("tg-T-BRU", later)


async def test_a_late_import_gets_only_the_latest_due_wave_at_the_next_daytime(store: SqlStore) -> None:
    at = datetime(2027, 9, 20, 20, 0, tzinfo=UTC)  # 23:00 in Amman: night
    await save(store, talent("LATE", date(2027, 1, 20), "Asia/Amman"), at=at)
    await connect(store, "LATE")
    planned = await waves(store, "LATE")
    morning = datetime(2027, 9, 21, 5, 0, tzinfo=UTC)  # 08:00 in Amman
    assert {m: (f.state, f.due_at) for m, f in planned.items()} == {
        1: ("past", datetime(2027, 2, 20, 7, 0, tzinfo=UTC)),
        3: ("past", datetime(2027, 4, 20, 7, 0, tzinfo=UTC)),
        6: ("planned", morning),
        12: ("planned", datetime(2028, 1, 20, 7, 0, tzinfo=UTC)),
    }
    schedules, pushes = SqlSchedules(store, RULES), SqlPushes(store)
    assert await schedules.queue_due(at) == []
    assert await schedules.queue_due(morning - MINUTE) == []
    [push_id] = await schedules.queue_due(morning)
    [summary] = await pushes.status([push_id])
    assert summary.total == 1
    after = await waves(store, "LATE")
    assert {m: (f.state, f.push_id) for m, f in after.items()} == {
        1: ("past", None),
        3: ("past", None),
        6: ("queued", push_id),
        12: ("planned", None),
    }
    [item] = await pushes.claim(10, morning, channel="telegram", owner="x")
    assert item.wave == push_id
    assert await schedules.queue_due(morning + timedelta(days=30)) == [], "months 1 and 3 never go out"


async def test_after_a_downtime_a_wave_within_grace_goes_once_an_older_one_is_missed(store: SqlStore) -> None:
    await save(store, talent("RECENT", date(2027, 1, 10)), talent("OLD", date(2027, 1, 8)))
    await connect(store, "RECENT")
    await connect(store, "OLD")
    schedules = SqlSchedules(store, RULES)
    back = datetime(2027, 2, 12, 9, 0, tzinfo=UTC)  # RECENT was due 2 days ago, OLD 4 days ago
    [push_id] = await schedules.queue_due(back)
    [summary] = await SqlPushes(store).status([push_id])
    assert (summary.total, summary.counts["pending"]) == (1, 1)
    [item] = await SqlPushes(store).claim(10, back, channel="telegram", owner="x")
    assert item.user.id == "tg-RECENT"
    assert ((await waves(store, "RECENT"))[1].state, (await waves(store, "RECENT"))[1].push_id) == (
        "queued",
        push_id,
    )
    old = await waves(store, "OLD")
    assert (old[1].state, old[1].push_id, old[3].state) == ("missed", None, "planned")
    assert await schedules.queue_due(back + MINUTE) == []
    assert await schedules.queue_due(back + timedelta(days=1)) == [], "nothing more, ever"


async def test_a_changed_start_zone_or_role_moves_what_is_still_planned(store: SqlStore) -> None:
    start, later = date(2027, 1, 5), date(2027, 1, 25)
    await save(store, talent("Q", start), talent("S", later), talent("Z", later), talent("R", later))
    schedules = SqlSchedules(store, RULES)
    [push_id] = await schedules.queue_due(datetime(2027, 2, 5, 9, 0, tzinfo=UTC))
    first = (await waves(store, "Q"))[1]
    assert (first.state, first.push_id) == ("queued", push_id)

    at = datetime(2027, 2, 6, 9, 0, tzinfo=UTC)
    changed = (
        talent("Q", date(2027, 1, 20)),
        talent("S", date(2027, 2, 10)),
        talent("Z", later, "Asia/Amman"),
        Participant("R", Role.EMPLOYER, start_date=later, timezone="Europe/Brussels"),
    )
    assert await save(store, *changed, at=at) == (0, 4, 0)
    q = await waves(store, "Q")
    assert q[1] == first, "what went out stays, and is not planned again"
    assert {m: (f.state, f.due_at) for m, f in q.items() if m != 1} == {
        3: ("planned", datetime(2027, 4, 20, 8, 0, tzinfo=UTC)),
        6: ("planned", datetime(2027, 7, 20, 8, 0, tzinfo=UTC)),
        12: ("planned", datetime(2028, 1, 20, 9, 0, tzinfo=UTC)),
    }
    s = await waves(store, "S")
    assert [(s[m].state, s[m].due_at) for m in (1, 3)] == [
        ("planned", datetime(2027, 3, 10, 9, 0, tzinfo=UTC)),
        ("planned", datetime(2027, 5, 10, 8, 0, tzinfo=UTC)),
    ]
    z = await waves(store, "Z")
    assert {(f.state, f.due_at.hour, f.timezone) for f in z.values()} == {("planned", 7, "Asia/Amman")}
    assert z[1].due_at == datetime(2027, 2, 25, 7, 0, tzinfo=UTC)
    role = [f for f in await schedules.upcoming() if f.reference == "R"]
    assert {(f.survey_id, f.months, f.state) for f in role} == {
        ("employer-follow-up", m, "planned") for m in (1, 3, 6, 12)
    }
    assert await schedules.queue_due(datetime(2027, 2, 20, 9, 0, tzinfo=UTC)) == [], "Q's month 1 not again"

    before = await row_ids(store)
    assert await save(store, *changed, at=at + timedelta(days=1)) == (0, 0, 4)
    assert await save(store, replace(changed[1], cohort="B"), at=at + timedelta(days=1)) == (0, 1, 0)
    assert await row_ids(store) == before, "unchanged rows (or a cohort) plan nothing"
    assert (await waves(store, "S"))[1].due_at == datetime(2027, 3, 10, 9, 0, tzinfo=UTC)


async def test_correcting_a_wrong_start_date_plans_the_waves_that_never_went_out(store: SqlStore) -> None:
    at = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
    await save(store, talent("TYPO", date(2026, 1, 20)), at=at)  # meant 2027: months 1 and 3 are past
    assert {m: f.state for m, f in (await waves(store, "TYPO")).items()}[1] == "past"
    await save(store, talent("TYPO", date(2027, 1, 20)), at=at + MINUTE)
    fixed = await waves(store, "TYPO")
    assert {m: f.state for m, f in fixed.items()} == dict.fromkeys((1, 3, 6, 12), "planned")
    assert fixed[1].due_at == datetime(2027, 2, 20, 9, 0, tzinfo=UTC)


async def test_one_reminder_for_who_did_not_answer(store: SqlStore) -> None:
    await save(store, talent("P", date(2027, 1, 10)), talent("C", date(2027, 1, 10)))
    await connect(store, "P")
    await connect(store, "C")
    schedules, pushes = SqlSchedules(store, RULES), SqlPushes(store)
    due = datetime(2027, 2, 10, 9, 0, tzinfo=UTC)
    wave = await send(store, schedules, due)
    async with store.session() as session:
        c = (
            await session.execute(sa.select(ParticipantRow).where(col(ParticipantRow.reference) == "C"))
        ).scalar_one()
        assert c.id is not None
        session.add(
            SurveyResponse(
                participant_id=c.id,
                survey_id="talent-follow-up",
                version=1,
                wave=wave,
                started_at=due + timedelta(hours=1),
                completed_at=due + timedelta(hours=2),
            )
        )
    assert RULES.reminder_after == timedelta(days=7)
    week = due + RULES.reminder_after
    off = SqlSchedules(store, replace(RULES, reminder_after=None))
    assert await off.queue_due(week + timedelta(days=1)) == [], "no reminders when they are off"
    assert await schedules.queue_due(week - MINUTE) == []
    [reminder] = await schedules.queue_due(week)
    [summary] = await pushes.status([reminder])
    assert (summary.kind, summary.survey_id, summary.total, summary.counts["pending"]) == (
        "reminder",
        "talent-follow-up",
        1,
        1,
    ), "C completed the wave"
    [item] = await pushes.claim(10, week, channel="telegram", owner="x")
    assert (item.user.id, item.kind, item.wave) == ("tg-P", "reminder", wave)
    assert (await waves(store, "P"))[1].reminder_id == reminder
    assert (await waves(store, "C"))[1].reminder_id is None
    assert await schedules.queue_due(week + timedelta(days=8)) == [], "one reminder only"


async def test_who_declined_blocked_or_never_connected_is_skipped_not_pending(store: SqlStore) -> None:
    start = date(2027, 1, 10)
    await save(store, *(talent(r, start) for r in ("OK", "DECLINED", "BLOCKED", "NEVER")))
    await connect(store, "OK")
    await connect(store, "DECLINED", declined=True)
    await connect(store, "BLOCKED", blocked=True)
    due = datetime(2027, 2, 10, 9, 0, tzinfo=UTC)
    [push_id] = await SqlSchedules(store, RULES).queue_due(due)
    [summary] = await SqlPushes(store).status([push_id])
    assert {k: v for k, v in summary.counts.items() if v} == {"pending": 1, "skipped": 2, "unreachable": 1}
    [item] = await SqlPushes(store).claim(10, due, channel="telegram", owner="x")
    assert item.user.id == "tg-OK"


async def test_switching_reminders_on_later_reminds_each_person_once(store: SqlStore) -> None:
    await save(store, talent("P", date(2027, 1, 10)))
    await connect(store, "P")
    off = SqlSchedules(store, replace(RULES, reminder_after=None))
    await send(store, off, datetime(2027, 2, 10, 9, 0, tzinfo=UTC))
    await send(store, off, datetime(2027, 4, 10, 8, 0, tzinfo=UTC))
    made = await SqlSchedules(store, RULES).queue_due(datetime(2027, 4, 20, 8, 0, tzinfo=UTC))
    assert [(s.kind, s.total) for s in await SqlPushes(store).status(made)] == [("reminder", 1)]


async def test_a_grace_longer_than_a_gap_still_sends_one_wave_after_downtime(store: SqlStore) -> None:
    rules = replace(RULES, months={"talent": (1, 2), "employer": (1, 2)}, grace=timedelta(days=45))
    await SqlParticipants(store, follow_ups=rules).save([talent("P", date(2027, 1, 10))], AT)
    schedules = SqlSchedules(store, rules)
    [push_id] = await schedules.queue_due(datetime(2027, 3, 11, 9, 0, tzinfo=UTC))  # down since Feb 1
    assert [s.total for s in await SqlPushes(store).status([push_id])] == [1]
    after = await waves(store, "P")
    assert (after[1].state != "queued", after[2].state) == (True, "queued"), "the most recent one only"
