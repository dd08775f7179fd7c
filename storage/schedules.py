"""Follow-up schedules on SQLAlchemy: each participant's follow-up surveys at 1, 3, 6 and 12
months (configurable per role) after their job start, at a daytime hour of their own time zone,
and one reminder when a follow-up was not answered.

* Planned when a participant is imported, planned again when their start date, time zone or
  role changes (only what is still planned changes; what went out stays).
* Every minute the sender turns what is due into jobs of the broadcast engine (``queue_due``):
  one job per survey for the follow-ups due, sent daytime only; a follow-up missed while the bot
  was down goes out once when it is back, within the grace window, else it is marked missed.
* Someone imported after some follow-ups were due gets only the most recent of them, at the next
  daytime moment, never a burst of old surveys (:func:`bot.basics.calendar.plan`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm
from sqlmodel import col

from bot.basics import calendar
from bot.basics.calendar import Daytime
from bot.service.pushes import REMINDER, SENT, SURVEY
from storage.models import FollowUp, Participant, PushRecipient, SurveyPush, SurveyResponse
from storage.pushes import insert_job

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from storage.store import SqlStore

FOLLOW_UP_SURVEYS = {"talent": "talent-follow-up", "employer": "employer-follow-up"}
"""The survey each role gets as its follow-up (ids in ``dialogs/content/surveys``)."""

PLANNED, QUEUED, PAST, MISSED = "planned", "queued", "past", "missed"
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class FollowUpRules:
    months: dict[str, tuple[int, ...]] = field(
        default_factory=lambda: {"talent": (1, 3, 6, 12), "employer": (1, 3, 6, 12)}
    )
    hour: int = 10
    grace: timedelta = timedelta(days=3)
    reminder_after: timedelta | None = timedelta(days=7)
    default_zone: str = "Europe/Brussels"
    daytime: Daytime = calendar.DAYTIME
    versions: dict[str, int] = field(default_factory=dict)
    """Each survey's current version (from the content), for the jobs made."""


@dataclass(frozen=True, slots=True)
class ScheduledFollowUp:
    reference: str
    survey_id: str
    months: int
    due_at: datetime
    timezone: str
    state: str
    push_id: int | None
    reminder_id: int | None


async def plan(
    session: AsyncSession, participant_ids: Sequence[int], rules: FollowUpRules, at: datetime
) -> int:
    """(Re)plan the follow-ups of these participants; returns how many are now planned."""
    planned = 0
    for start in range(0, len(participant_ids), _CHUNK):
        chunk = list(participant_ids[start : start + _CHUNK])
        # What never went out is planned again from the new data (a corrected start date too).
        await session.execute(
            sa.delete(FollowUp).where(
                col(FollowUp.participant_id).in_(chunk), col(FollowUp.state).in_([PLANNED, PAST, MISSED])
            )
        )
        kept = await session.execute(
            sa.select(col(FollowUp.participant_id), col(FollowUp.survey_id), col(FollowUp.months)).where(
                col(FollowUp.participant_id).in_(chunk)
            )
        )
        done: dict[tuple[int, str], set[int]] = {}
        for kept_id, kept_survey, months in kept.all():
            done.setdefault((kept_id, kept_survey), set()).add(months)
        people = await session.execute(
            sa.select(
                col(Participant.id),
                col(Participant.role),
                col(Participant.start_date),
                col(Participant.timezone),
            ).where(col(Participant.id).in_(chunk))
        )
        for participant_id, role, start_date, zone_name in people.all():
            follow_up = FOLLOW_UP_SURVEYS.get(role)
            if (
                participant_id is None
                or follow_up is None
                or start_date is None
                or not rules.months.get(role)
            ):
                continue
            gone = done.get((participant_id, follow_up), set())
            for wave in _waves(start_date, role, zone_name, rules, at, gone):
                session.add(
                    FollowUp(
                        participant_id=participant_id,
                        survey_id=follow_up,
                        months=wave.months,
                        due_at=wave.due_at,
                        state=PLANNED if wave.state == calendar.PLANNED else PAST,
                        updated_at=at,
                    )
                )
                planned += wave.state == calendar.PLANNED
    await session.flush()
    return planned


def _waves(
    start: date, role: str, zone_name: str | None, rules: FollowUpRules, at: datetime, gone: set[int]
) -> list[calendar.Wave]:
    """The participant's waves, less those already sent (or past); a late one is dropped when a
    later wave already went out."""
    zone = ZoneInfo(zone_name or rules.default_zone)
    waves = calendar.plan(
        start, rules.months[role], rules.hour, zone, at, grace=rules.grace, daytime=rules.daytime
    )
    latest_gone = max(gone, default=0)
    kept = []
    for wave in waves:
        if wave.months in gone:
            continue
        late = wave.due_at <= at and wave.state == calendar.PLANNED
        if late and latest_gone > wave.months:
            wave = calendar.Wave(wave.months, wave.due_at, calendar.PAST)
        kept.append(wave)
    return kept


class SqlSchedules:
    """The follow-up schedules (:class:`bot.service.pushes.Planner`)."""

    def __init__(self, store: SqlStore, rules: FollowUpRules) -> None:
        self._store = store
        self.rules = rules

    async def plan(self, participant_ids: Sequence[int], at: datetime) -> int:
        async with self._store.session() as session:
            return await plan(session, participant_ids, self.rules, at)

    async def queue_due(self, at: datetime) -> list[int]:
        made = []
        async with self._store.session() as session:
            await session.execute(
                sa.update(FollowUp)
                .where(col(FollowUp.state) == PLANNED, col(FollowUp.due_at) < at - self.rules.grace)
                .values(state=MISSED, updated_at=at)
            )
            due = (col(FollowUp.state) == PLANNED) & (col(FollowUp.due_at) <= at)
            # Two waves of one person due at once (a long downtime): only the latest goes out.
            later = sa.orm.aliased(FollowUp)
            newer_due = sa.exists().where(
                col(later.participant_id) == col(FollowUp.participant_id),
                col(later.survey_id) == col(FollowUp.survey_id),
                col(later.state) == PLANNED,
                col(later.due_at) <= at,
                col(later.months) > col(FollowUp.months),
            )
            await session.execute(
                sa.update(FollowUp).where(due, newer_due).values(state=MISSED, updated_at=at)
            )
            for survey_id in await self._surveys(session, due):
                push_id = await self._job(session, SURVEY, survey_id, due, at, wave=None)
                await session.execute(
                    sa.update(FollowUp)
                    .where(due, col(FollowUp.survey_id) == survey_id)
                    .values(state=QUEUED, push_id=push_id, updated_at=at)
                )
                made.append(push_id)
            if self.rules.reminder_after is not None:
                made += await self._reminders(session, at, self.rules.reminder_after)
        return made

    async def _reminders(self, session: AsyncSession, at: datetime, after: timedelta) -> list[int]:
        prompted = sa.exists().where(  # sent, long enough ago, but not months ago
            col(PushRecipient.push_id) == col(FollowUp.push_id),
            col(PushRecipient.participant_id) == col(FollowUp.participant_id),
            col(PushRecipient.status) == SENT,
            col(PushRecipient.sent_at) <= at - after,
            col(PushRecipient.sent_at) >= at - after - max(self.rules.grace, timedelta(days=1)),
        )
        later = sa.orm.aliased(FollowUp)
        newer = sa.exists().where(  # only a person's latest wave of a survey is ever reminded
            col(later.participant_id) == col(FollowUp.participant_id),
            col(later.survey_id) == col(FollowUp.survey_id),
            col(later.state) == QUEUED,
            col(later.months) > col(FollowUp.months),
        )
        answered = sa.exists().where(
            col(SurveyResponse.participant_id) == col(FollowUp.participant_id),
            col(SurveyResponse.survey_id) == col(FollowUp.survey_id),
            col(SurveyResponse.wave) == col(FollowUp.push_id),
            col(SurveyResponse.completed_at).is_not(None),
        )
        due = (
            (col(FollowUp.state) == QUEUED)
            & col(FollowUp.reminder_id).is_(None)
            & col(FollowUp.push_id).is_not(None)
            & prompted
            & ~answered
            & ~newer
        )
        made = []
        for survey_id in await self._surveys(session, due):
            push_id = await self._job(session, REMINDER, survey_id, due, at, wave=col(FollowUp.push_id))
            await session.execute(
                sa.update(FollowUp)
                .where(due, col(FollowUp.survey_id) == survey_id)
                .values(reminder_id=push_id, updated_at=at)
            )
            made.append(push_id)
        return made

    async def _surveys(self, session: AsyncSession, condition: sa.ColumnElement[bool]) -> list[str]:
        query = sa.select(col(FollowUp.survey_id)).where(condition).distinct()
        return [str(s) for s in (await session.execute(query)).scalars()]

    async def _job(
        self,
        session: AsyncSession,
        kind: str,
        survey_id: str,
        condition: sa.ColumnElement[bool],
        at: datetime,
        *,
        wave: Any,
    ) -> int:
        push = SurveyPush(
            kind=kind,
            survey_id=survey_id,
            version=self.rules.versions.get(survey_id, 1),
            audience={"follow_up": [survey_id]},
            created_by="schedule",
            created_at=at,
            daytime=str(self.rules.daytime),
        )
        chosen = (
            sa.select(col(Participant.id))
            .select_from(Participant)
            .join(FollowUp, col(FollowUp.participant_id) == col(Participant.id))
            .where(condition, col(FollowUp.survey_id) == survey_id)
        )
        await insert_job(session, push, chosen, wave)
        assert push.id is not None
        return push.id

    async def upcoming(self, before: datetime | None = None, *, limit: int = 1000) -> list[ScheduledFollowUp]:
        """What is planned (and what went out or was passed over), soonest first."""
        query = (
            sa.select(
                col(Participant.reference),
                col(FollowUp.survey_id),
                col(FollowUp.months),
                col(FollowUp.due_at),
                sa.func.coalesce(col(Participant.timezone), self.rules.default_zone),
                col(FollowUp.state),
                col(FollowUp.push_id),
                col(FollowUp.reminder_id),
            )
            .join(Participant, col(Participant.id) == col(FollowUp.participant_id))
            .order_by(col(FollowUp.due_at), col(Participant.reference))
            .limit(limit)
        )
        if before is not None:
            query = query.where(col(FollowUp.due_at) < before)
        async with self._store.session() as session:
            rows = (await session.execute(query)).all()
        return [ScheduledFollowUp(*row) for row in rows]
