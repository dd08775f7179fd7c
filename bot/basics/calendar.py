"""Date and time math for follow-up survey schedules: calendar months, local hours, daytime, waves."""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PLANNED = "planned"
PAST = "past"

_RANGE = re.compile(r"\s*(\d{1,2})\s*-\s*(\d{1,2})\s*")


def _require_aware(at: datetime, name: str) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got the naive {at.isoformat()}")


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later, clamped to that month's last day."""
    if months < 0:
        raise ValueError(f"months must be 0 or more, got {months}")
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def local_time(day: date, hour: int, zone: ZoneInfo) -> datetime:
    """``hour``:00 local time on ``day`` in ``zone``, as an aware UTC datetime.

    A local time skipped by a clock change gives the first instant after the gap;
    a local time that occurs twice gives the first occurrence.
    """
    wall = datetime.combine(day, time(hour), tzinfo=zone)
    late = wall.astimezone(UTC)
    if late.astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None):
        return late
    # In a gap: the clock change lies between the two readings of the wall time; find it to the second.
    early = wall.replace(fold=1).astimezone(UTC)
    after = late.astimezone(zone).utcoffset()
    low, high = 0, int((late - early).total_seconds())
    while high - low > 1:
        middle = (low + high) // 2
        if (early + timedelta(seconds=middle)).astimezone(zone).utcoffset() == after:
            high = middle
        else:
            low = middle
    return early + timedelta(seconds=high)


@dataclass(frozen=True, slots=True)
class Daytime:
    """The local hours [start:00, end:00) in which a participant may be sent a survey."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= 24:
            raise ValueError(f"daytime needs 0 <= start < end <= 24, got {self.start}-{self.end}")

    @classmethod
    def parse(cls, text: str) -> Daytime:
        """Read ``08-21`` or ``8-21``."""
        found = _RANGE.fullmatch(text)
        if found is None:
            raise ValueError(f"daytime must read HH-HH, such as 08-21, got {text!r}")
        try:
            return cls(int(found[1]), int(found[2]))
        except ValueError as error:
            raise ValueError(f"{error}; daytime must read HH-HH, such as 08-21") from None

    def __str__(self) -> str:
        return f"{self.start:02d}-{self.end:02d}"

    def contains(self, at: datetime, zone: ZoneInfo) -> bool:
        """Whether the local time of ``at`` in ``zone`` is within these hours."""
        _require_aware(at, "at")
        return self.start <= at.astimezone(zone).hour < self.end

    def next_opening(self, at: datetime, zone: ZoneInfo) -> datetime:
        """``at`` itself if it is within these hours, else the next local ``start``:00, in UTC."""
        if self.contains(at, zone):
            return at.astimezone(UTC)
        local = at.astimezone(zone)
        day = local.date() if local.hour < self.start else local.date() + timedelta(days=1)
        return local_time(day, self.start, zone)


DAYTIME = Daytime(8, 21)


@dataclass(frozen=True, slots=True)
class Wave:
    """One follow-up: ``months`` after the start, due at ``due_at`` (UTC), ``PLANNED`` or ``PAST``."""

    months: int
    due_at: datetime
    state: str

    def __post_init__(self) -> None:
        _require_aware(self.due_at, "due_at")
        if self.state not in (PLANNED, PAST):
            raise ValueError(f"a wave is {PLANNED!r} or {PAST!r}, got {self.state!r}")


def plan(
    start: date,
    months: Sequence[int],
    hour: int,
    zone: ZoneInfo,
    now: datetime,
    *,
    grace: timedelta,
    daytime: Daytime = DAYTIME,
) -> list[Wave]:
    """The follow-ups ``months`` calendar months after ``start``, at local ``hour``:00, sorted by months.

    Never a burst of old surveys: of the waves already due at ``now``, at most one is sent, the most
    recent. It keeps its own time while ``now`` is within ``grace`` of it, else it moves to the next
    daytime moment (``now`` itself in daytime), unless a newer wave comes due by then. The others are PAST.
    """
    if not DAYTIME.start <= hour < DAYTIME.end:
        raise ValueError(f"hour must be within daytime {DAYTIME.start}-{DAYTIME.end}, got {hour}")
    _require_aware(now, "now")
    if grace < timedelta(0):
        raise ValueError(f"grace must not be negative, got {grace}")
    due = [(count, local_time(add_months(start, count), hour, zone)) for count in sorted(set(months))]
    upcoming = [at for _, at in due if at > now]
    latest = max((count for count, at in due if at <= now), default=None)
    waves: list[Wave] = []
    for count, at in due:
        if at > now:
            waves.append(Wave(count, at, PLANNED))
        elif count != latest:
            waves.append(Wave(count, at, PAST))
        elif now < at + grace:
            waves.append(Wave(count, at, PLANNED))
        else:
            moved = daytime.next_opening(now, zone)
            if upcoming and upcoming[0] <= moved:
                waves.append(Wave(count, at, PAST))
            else:
                waves.append(Wave(count, moved, PLANNED))
    return waves
