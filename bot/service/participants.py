"""Participants: staff's own list of the people in the programme, read row by row, and their
invitation links.

The columns are a contract (``DESIGN.md``): ``reference`` (required, unique), ``role``
(``talent`` | ``employer``, required), ``cohort``, ``country`` (``BE``, ``FR``, ``SK``),
``start_date`` (``YYYY-MM-DD``), ``timezone`` (IANA, e.g. ``Asia/Amman``), ``language`` (``ar``
| ``en`` | ``fr``) and ``company``; any other column is refused by name, order is free. Every row
is checked on its own: a rejected row is reported with its line and reason and changes nothing;
an accepted row replaces what was known of that reference.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.basics.errors import ContentError
from bot.basics.lang import Lang
from bot.core.audience import COUNTRIES
from bot.core.state import Role
from bot.service.invitations import deep_link, new_token, token_hash

COLUMNS = ("reference", "role", "cohort", "country", "start_date", "timezone", "language", "company")
REQUIRED = ("reference", "role")
MAX_REFERENCE = 64
MAX_TEXT = {"cohort": 64, "company": 200}


@dataclass(frozen=True, slots=True)
class Participant:
    reference: str
    role: Role
    cohort: str | None = None
    country: str | None = None
    start_date: date | None = None
    timezone: str | None = None
    language: Lang | None = None
    company: str | None = None


@dataclass(frozen=True, slots=True)
class ParticipantView:
    """A participant as staff see it: the record, and whether an account is bound to it."""

    participant: Participant
    bound_at: datetime | None
    invited_until: datetime | None  # the latest unused invitation's expiry, if any


@dataclass(frozen=True, slots=True)
class Rejected:
    line: int
    reason: str


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return self.added + self.updated + self.unchanged


class ParticipantStore(Protocol):
    """What the participant tools need from storage (``storage.participants.SqlParticipants``)."""

    async def save(self, participants: Sequence[Participant], at: datetime) -> tuple[int, int, int]:
        """Insert or replace, in one transaction; returns (added, updated, unchanged)."""
        ...

    async def get(self, reference: str) -> ParticipantView | None: ...

    async def all(self, *, role: Role | None = None, cohort: str | None = None) -> list[ParticipantView]: ...

    async def invite(
        self, reference: str | None, token_hash: str, at: datetime, expires_at: datetime
    ) -> bool:
        """Store an invitation (for a participant, or for staff when ``reference`` is None),
        revoking the participant's earlier unused ones; ``False`` if there is no such participant."""
        ...


def check_header(header: Sequence[object], file: str) -> list[str]:
    """The column names, folded to lower case; :class:`ContentError` for an unknown, missing or
    repeated column."""
    names = [str(cell or "").strip().lower() for cell in header]
    unknown = [n for n in names if n not in COLUMNS]
    if unknown:
        raise ContentError(
            file, "line 1", f"unknown column {unknown[0]!r}; the columns are {', '.join(COLUMNS)}"
        )
    for name in REQUIRED:
        if name not in names:
            raise ContentError(file, "line 1", f"missing column {name!r} (required)")
    repeated = next((n for n in names if names.count(n) > 1), None)
    if repeated is not None:
        raise ContentError(file, "line 1", f"column {repeated!r} appears twice")
    return names


def read_row(cells: Mapping[str, object]) -> Participant | str:
    """One row as a participant, or the reason it is refused."""
    text = {name: _text(cells.get(name)) for name in COLUMNS}
    reference = text["reference"]
    if not reference:
        return "reference: required"
    if len(reference) > MAX_REFERENCE:
        return f"reference: at most {MAX_REFERENCE} characters"
    role = text["role"].lower()
    if role not in {r.value for r in Role}:
        return f"role: expected talent or employer, got {text['role']!r}"
    for name, limit in MAX_TEXT.items():
        if len(text[name]) > limit:
            return f"{name}: at most {limit} characters"
    country = text["country"].upper()
    if country and country not in COUNTRIES:
        return f"country: expected one of {', '.join(COUNTRIES)}, got {text['country']!r}"
    start = _date(cells.get("start_date"))
    if isinstance(start, str):
        return start
    timezone = text["timezone"]
    if timezone and not _is_timezone(timezone):
        return f"timezone: {timezone!r} is not an IANA time zone such as Asia/Amman or Europe/Brussels"
    language = Lang.parse(text["language"]) if text["language"] else None
    if text["language"] and (language is None or language.value != text["language"].lower()):
        return f"language: expected ar, en or fr, got {text['language']!r}"
    return Participant(
        reference=reference,
        role=Role(role),
        cohort=text["cohort"] or None,
        country=country or None,
        start_date=start,
        timezone=timezone or None,
        language=language,
        company=text["company"] or None,
    )


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a spreadsheet's number cell, e.g. a numeric reference
    return " ".join(str(value).split())


def _date(value: object) -> date | str | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(_text(value))
    except ValueError:
        return f"start_date: expected YYYY-MM-DD, got {_text(value)!r}"


def _is_timezone(name: str) -> bool:
    if name not in available_timezones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def read_rows(
    rows: Iterable[tuple[int, Sequence[object]]], names: Sequence[str]
) -> tuple[list[Participant], ImportReport]:
    """Every data row, checked; a reference given twice in one file keeps its first row."""
    report = ImportReport()
    accepted: list[Participant] = []
    seen: dict[str, int] = {}
    for line, cells in rows:
        if all(_text(cell) == "" for cell in cells):
            continue  # a blank line
        row = read_row(dict(zip(names, cells, strict=False)))
        if isinstance(row, str):
            report.rejected.append(Rejected(line, row))
        elif row.reference in seen:
            report.rejected.append(
                Rejected(line, f"reference: {row.reference!r} is also on line {seen[row.reference]}")
            )
        else:
            seen[row.reference] = line
            accepted.append(row)
    return accepted, report


class Participants:
    """The participant tools behind ``dt4e-bot participants`` and ``dt4e-bot staff``."""

    def __init__(self, store: ParticipantStore, *, invitation_days: int = 30) -> None:
        self.store = store
        self.invitation_days = invitation_days

    async def import_rows(
        self, rows: Iterable[tuple[int, Sequence[object]]], names: Sequence[str], at: datetime
    ) -> ImportReport:
        accepted, report = read_rows(rows, names)
        report.added, report.updated, report.unchanged = await self.store.save(accepted, at)
        return report

    async def invite(self, reference: str | None, bot_username: str, at: datetime) -> str | None:
        """A new personal link (a staff link for ``reference`` None); ``None`` if there is no
        such participant. Earlier unused links of the participant stop working."""
        token = new_token()
        expires = at + timedelta(days=self.invitation_days)
        if not await self.store.invite(reference, token_hash(token), at, expires):
            return None
        return deep_link(bot_username, token)
