"""Follow-up schedule math: calendar months, local hours across clock changes, daytime, waves."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.basics.calendar import (
    DAYTIME,
    PAST,
    PLANNED,
    Daytime,
    Wave,
    add_months,
    local_time,
    plan,
)

AMMAN = ZoneInfo("Asia/Amman")
BEIRUT = ZoneInfo("Asia/Beirut")
BRUSSELS = ZoneInfo("Europe/Brussels")
ZONES = st.sampled_from([AMMAN, BEIRUT, BRUSSELS])
GRACE = timedelta(days=3)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# add_months


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 8, 31), 3, date(2026, 11, 30)),
        (date(2027, 1, 31), 3, date(2027, 4, 30)),
        (date(2027, 1, 31), 12, date(2028, 1, 31)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2028, 2, 29), 48, date(2032, 2, 29)),
        (date(2026, 11, 15), 2, date(2027, 1, 15)),
        (date(2026, 12, 31), 0, date(2026, 12, 31)),
    ],
)
def test_months_are_calendar_months_clamped_to_the_month_end(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_negative_months_are_refused() -> None:
    with pytest.raises(ValueError, match="0 or more"):
        add_months(date(2027, 1, 31), -1)


@given(st.dates(max_value=date(9990, 12, 31)), st.integers(0, 48))
def test_any_month_shift_lands_in_the_right_month(day: date, months: int) -> None:
    result = add_months(day, months)
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    assert (result.year, result.month) == (year, month + 1)
    assert result.day == min(day.day, calendar.monthrange(result.year, result.month)[1])


# local_time


@pytest.mark.parametrize(
    ("zone", "day", "hour_utc"),
    [
        (AMMAN, date(2027, 1, 15), 7),  # UTC+3 all year since 2022
        (AMMAN, date(2027, 7, 15), 7),
        (BEIRUT, date(2027, 3, 27), 8),  # the day before summer time (last Sunday of March)
        (BEIRUT, date(2027, 3, 28), 7),
        (BEIRUT, date(2027, 10, 30), 7),  # the day before winter time (last Sunday of October)
        (BEIRUT, date(2027, 10, 31), 8),
        (BRUSSELS, date(2027, 3, 27), 9),
        (BRUSSELS, date(2027, 3, 28), 8),  # the spring change day
        (BRUSSELS, date(2027, 10, 30), 8),
        (BRUSSELS, date(2027, 10, 31), 9),  # the autumn change day
    ],
)
def test_a_ten_oclock_follow_up_is_ten_oclock_local(zone: ZoneInfo, day: date, hour_utc: int) -> None:
    at = local_time(day, 10, zone)
    assert at == utc(day.year, day.month, day.day, hour_utc)
    assert at.tzinfo is UTC
    assert at.astimezone(zone).hour == 10


@pytest.mark.parametrize(
    ("zone", "day", "hour", "expected", "shown"),
    [
        (BRUSSELS, date(2027, 3, 28), 2, utc(2027, 3, 28, 1), (3, 0)),
        (BEIRUT, date(2027, 3, 28), 0, utc(2027, 3, 27, 22), (1, 0)),
        # 2010 in St. John's: clocks went from 00:01 to 01:01, so 01:00 lies inside the gap, not at its start.
        (ZoneInfo("America/St_Johns"), date(2010, 3, 14), 1, utc(2010, 3, 14, 3, 31), (1, 1)),
    ],
)
def test_a_skipped_hour_gives_the_first_instant_after_the_gap(
    zone: ZoneInfo, day: date, hour: int, expected: datetime, shown: tuple[int, int]
) -> None:
    at = local_time(day, hour, zone)
    assert at == expected
    local = at.astimezone(zone)
    assert (local.date(), local.hour, local.minute) == (day, *shown)


@pytest.mark.parametrize(
    ("zone", "day", "hour", "expected"),
    [
        (BRUSSELS, date(2027, 10, 31), 2, utc(2027, 10, 31, 0)),  # 02:00 summer time, not winter time
        (BEIRUT, date(2027, 10, 30), 23, utc(2027, 10, 30, 20)),
    ],
)
def test_a_repeated_hour_gives_its_first_occurrence(
    zone: ZoneInfo, day: date, hour: int, expected: datetime
) -> None:
    assert local_time(day, hour, zone) == expected
    assert local_time(day, hour, zone).astimezone(zone).hour == hour


@given(st.dates(date(2026, 1, 1), date(2035, 12, 31)), st.integers(8, 20), ZONES)
def test_any_daytime_hour_reads_back_as_that_day_and_hour(day: date, hour: int, zone: ZoneInfo) -> None:
    at = local_time(day, hour, zone)
    assert at.tzinfo is UTC
    local = at.astimezone(zone)
    assert (local.date(), local.hour, local.minute, local.second) == (day, hour, 0, 0)


@given(st.dates(date(2026, 1, 1), date(2035, 12, 31)), st.integers(0, 23), ZONES)
def test_any_hour_is_the_first_instant_the_clock_reaches_it(day: date, hour: int, zone: ZoneInfo) -> None:
    wall = datetime(day.year, day.month, day.day, hour)
    at = local_time(day, hour, zone)
    assert at.astimezone(zone).replace(tzinfo=None) >= wall
    assert (at - timedelta(seconds=1)).astimezone(zone).replace(tzinfo=None) < wall


# Daytime


@pytest.mark.parametrize(("start", "end"), [(-1, 8), (8, 8), (21, 8), (0, 25), (24, 24)])
def test_a_daytime_must_be_a_range_of_hours(start: int, end: int) -> None:
    with pytest.raises(ValueError, match="0 <= start < end <= 24"):
        Daytime(start, end)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("08-21", Daytime(8, 21)),
        ("8-21", Daytime(8, 21)),
        (" 7 - 22 ", Daytime(7, 22)),
        ("0-24", Daytime(0, 24)),
    ],
)
def test_a_daytime_is_read(text: str, expected: Daytime) -> None:
    assert Daytime.parse(text) == expected


@pytest.mark.parametrize(
    "text", ["", "08", "08:00-21:00", "8h-21h", "08-21-23", "morning", "123-4", "08_21", "-8-21"]
)
def test_anything_else_is_not_a_daytime(text: str) -> None:
    with pytest.raises(ValueError, match="HH-HH, such as 08-21"):
        Daytime.parse(text)


@pytest.mark.parametrize("text", ["21-08", "08-25", "08-08"])
def test_a_daytime_read_out_of_order_says_both_rules(text: str) -> None:
    with pytest.raises(ValueError, match=r"start < end.*HH-HH, such as 08-21"):
        Daytime.parse(text)


@pytest.mark.parametrize(
    ("at", "inside"),
    [
        (utc(2027, 7, 1, 5, 59, 59), False),  # 07:59:59 summer time in Brussels
        (utc(2027, 7, 1, 6), True),  # 08:00
        (utc(2027, 7, 1, 18, 59, 59), True),  # 20:59:59
        (utc(2027, 7, 1, 19), False),  # 21:00
        (utc(2027, 1, 15, 6, 59), False),  # 07:59 winter time
        (utc(2027, 1, 15, 7), True),  # 08:00 winter time
        (utc(2027, 1, 15, 19, 59), True),  # 20:59 winter time
        (utc(2027, 1, 15, 20), False),  # 21:00 winter time
    ],
)
def test_daytime_holds_from_start_up_to_but_not_including_end(at: datetime, inside: bool) -> None:
    assert DAYTIME.contains(at, BRUSSELS) is inside
    assert DAYTIME.contains(at.astimezone(AMMAN), BRUSSELS) is inside


def test_the_whole_day_is_daytime_from_0_to_24() -> None:
    assert all(
        Daytime(0, 24).contains(utc(2027, 3, 28) + timedelta(minutes=m), BRUSSELS) for m in range(1440)
    )


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        DAYTIME.contains(datetime(2027, 7, 1, 12), BRUSSELS)
    with pytest.raises(ValueError, match="aware"):
        DAYTIME.next_opening(datetime(2027, 7, 1, 12), BRUSSELS)


@pytest.mark.parametrize(
    ("at", "zone", "expected"),
    [
        (datetime(2027, 7, 1, 12, 34, tzinfo=BRUSSELS), BRUSSELS, utc(2027, 7, 1, 10, 34)),  # inside: itself
        (datetime(2027, 7, 1, 3, tzinfo=BRUSSELS), BRUSSELS, utc(2027, 7, 1, 6)),  # before: the same day
        (datetime(2027, 7, 1, 21, tzinfo=BRUSSELS), BRUSSELS, utc(2027, 7, 2, 6)),  # after: the next day
        (datetime(2027, 6, 30, 23, 59, tzinfo=BRUSSELS), BRUSSELS, utc(2027, 7, 1, 6)),  # across midnight
        (datetime(2027, 12, 31, 22, tzinfo=AMMAN), AMMAN, utc(2028, 1, 1, 5)),  # across the year
        (datetime(2027, 3, 27, 22, tzinfo=BRUSSELS), BRUSSELS, utc(2027, 3, 28, 6)),  # into summer time
        (datetime(2027, 10, 30, 22, tzinfo=BRUSSELS), BRUSSELS, utc(2027, 10, 31, 7)),  # into winter time
        (datetime(2027, 3, 27, 23, 30, tzinfo=BEIRUT), BEIRUT, utc(2027, 3, 28, 5)),  # over Beirut's gap
    ],
)
def test_the_next_opening(at: datetime, zone: ZoneInfo, expected: datetime) -> None:
    opening = DAYTIME.next_opening(at, zone)
    assert opening == expected
    assert opening.tzinfo is UTC


@given(st.datetimes(datetime(2026, 1, 1), datetime(2035, 12, 31), timezones=st.just(UTC)), ZONES)
def test_the_next_opening_is_the_soonest_daytime_moment(at: datetime, zone: ZoneInfo) -> None:
    opening = DAYTIME.next_opening(at, zone)
    assert opening >= at
    assert DAYTIME.contains(opening, zone)
    assert (opening == at) is DAYTIME.contains(at, zone)
    assert opening - at < timedelta(hours=12)
    if opening > at:
        assert not DAYTIME.contains(opening - timedelta(seconds=1), zone)


# Wave and plan


def test_a_wave_is_aware_and_planned_or_past() -> None:
    with pytest.raises(ValueError, match="aware"):
        Wave(1, datetime(2027, 2, 28, 9), PLANNED)
    with pytest.raises(ValueError, match="'planned' or 'past'"):
        Wave(1, utc(2027, 2, 28, 9), "sent")


def test_a_future_plan() -> None:
    waves = plan(date(2027, 1, 31), [12, 6, 1, 3, 3], 10, BRUSSELS, utc(2027, 1, 31, 12), grace=GRACE)
    assert waves == [
        Wave(1, utc(2027, 2, 28, 9), PLANNED),  # 10:00 winter time
        Wave(3, utc(2027, 4, 30, 8), PLANNED),  # 10:00 summer time
        Wave(6, utc(2027, 7, 31, 8), PLANNED),
        Wave(12, utc(2028, 1, 31, 9), PLANNED),
    ]


def test_no_months_no_waves() -> None:
    assert plan(date(2027, 1, 31), [], 10, BRUSSELS, utc(2027, 1, 31, 12), grace=GRACE) == []


@pytest.mark.parametrize(
    ("now", "zone", "sent_at"),
    [
        (utc(2027, 9, 30, 12), BRUSSELS, utc(2027, 9, 30, 12)),  # 14:00 there: at once
        (utc(2027, 9, 30, 21, 30), BRUSSELS, utc(2027, 10, 1, 6)),  # 23:30 there: at 08:00
        (utc(2027, 9, 30, 4), AMMAN, utc(2027, 9, 30, 5)),  # 07:00 there: at 08:00 the same day
    ],
)
def test_a_late_import_sends_only_the_most_recent_wave_at_the_next_daytime(
    now: datetime, zone: ZoneInfo, sent_at: datetime
) -> None:
    waves = plan(date(2027, 1, 31), [1, 3, 6, 12], 10, zone, now, grace=GRACE)
    assert [(w.months, w.state) for w in waves] == [(1, PAST), (3, PAST), (6, PLANNED), (12, PLANNED)]
    assert waves[0].due_at == local_time(date(2027, 2, 28), 10, zone)
    assert waves[1].due_at == local_time(date(2027, 4, 30), 10, zone)
    assert waves[2].due_at == sent_at
    assert waves[3].due_at == local_time(date(2028, 1, 31), 10, zone)


def test_a_wave_missed_by_downtime_within_grace_keeps_its_time() -> None:
    due = utc(2027, 2, 28, 9)
    waves = plan(date(2027, 1, 31), [1, 3], 10, BRUSSELS, due + timedelta(days=1), grace=GRACE)
    assert waves == [Wave(1, due, PLANNED), Wave(3, utc(2027, 4, 30, 8), PLANNED)]


def test_grace_ends_when_it_has_fully_passed() -> None:
    due = utc(2027, 2, 28, 9)
    just_inside = plan(date(2027, 1, 31), [1], 10, BRUSSELS, due + GRACE - timedelta(seconds=1), grace=GRACE)
    assert just_inside == [Wave(1, due, PLANNED)]
    at_end = plan(date(2027, 1, 31), [1], 10, BRUSSELS, due + GRACE, grace=GRACE)
    assert at_end == [Wave(1, due + GRACE, PLANNED)]  # 10:00 there: daytime, so at once


def test_a_wave_within_grace_supersedes_an_older_one() -> None:
    now = utc(2027, 4, 1, 8)  # month 2 was due a day ago, month 1 a month ago
    waves = plan(date(2027, 1, 31), [1, 2], 10, BRUSSELS, now, grace=GRACE)
    assert waves == [Wave(1, utc(2027, 2, 28, 9), PAST), Wave(2, utc(2027, 3, 31, 8), PLANNED)]


def test_an_old_wave_is_dropped_when_a_newer_one_comes_due_first() -> None:
    now = utc(2027, 3, 14, 22)  # 23:00 in Brussels; month 2 comes due at 08:00, the next daytime moment
    waves = plan(date(2027, 1, 15), [1, 2], 8, BRUSSELS, now, grace=timedelta(days=1))
    assert waves == [Wave(1, utc(2027, 2, 15, 7), PAST), Wave(2, utc(2027, 3, 15, 7), PLANNED)]


@pytest.mark.parametrize("hour", [0, 7, 21, 23])
def test_a_follow_up_hour_must_be_in_daytime(hour: int) -> None:
    with pytest.raises(ValueError, match="within daytime 8-21"):
        plan(date(2027, 1, 31), [1], hour, BRUSSELS, utc(2027, 1, 31, 12), grace=GRACE)


def test_plan_refuses_a_naive_now_a_negative_grace_and_negative_months() -> None:
    with pytest.raises(ValueError, match="aware"):
        plan(date(2027, 1, 31), [1], 10, BRUSSELS, datetime(2027, 1, 31, 12), grace=GRACE)
    with pytest.raises(ValueError, match="grace"):
        plan(date(2027, 1, 31), [1], 10, BRUSSELS, utc(2027, 1, 31, 12), grace=-GRACE)
    with pytest.raises(ValueError, match="0 or more"):
        plan(date(2027, 1, 31), [-1], 10, BRUSSELS, utc(2027, 1, 31, 12), grace=GRACE)


@given(
    st.dates(date(2026, 1, 1), date(2033, 12, 31)),
    st.lists(st.integers(0, 36), max_size=6),
    st.integers(8, 20),
    ZONES,
    st.datetimes(datetime(2025, 6, 1), datetime(2037, 12, 31), timezones=st.just(UTC)),
    st.timedeltas(timedelta(0), timedelta(days=60)),
)
def test_a_plan_never_bursts_and_never_wakes_anyone(
    start: date, months: list[int], hour: int, zone: ZoneInfo, now: datetime, grace: timedelta
) -> None:
    waves = plan(start, months, hour, zone, now, grace=grace)
    assert [w.months for w in waves] == sorted(set(months))
    due = {w.months: local_time(add_months(start, w.months), hour, zone) for w in waves}
    planned = [w for w in waves if w.state == PLANNED]
    assert sum(due[w.months] + grace <= now for w in planned) <= 1  # at most one long-overdue wave
    assert sum(due[w.months] <= now for w in planned) <= 1  # at most one already-due wave of any age
    for wave in planned:
        assert DAYTIME.contains(wave.due_at, zone)
        assert wave.due_at >= now or (wave.due_at == due[wave.months] and now < wave.due_at + grace)
    for wave in waves:
        if due[wave.months] > now:
            assert wave == Wave(wave.months, due[wave.months], PLANNED)
        if wave.state == PAST:
            assert wave.due_at == due[wave.months] <= now


def test_a_late_wave_moves_to_the_opening_of_the_daytime_it_is_given() -> None:
    amman = ZoneInfo("Asia/Amman")  # UTC+3 all year
    now = datetime(2027, 9, 1, 4, 0, tzinfo=UTC)  # 07:00 in Amman
    waves = plan(date(2027, 1, 10), [6], 10, amman, now, grace=timedelta(days=3), daytime=Daytime(9, 18))
    assert [(w.state, w.due_at) for w in waves] == [(PLANNED, datetime(2027, 9, 1, 6, 0, tzinfo=UTC))]
