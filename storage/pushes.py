"""Broadcast jobs on SQLAlchemy (:mod:`bot.service.pushes`): the audience resolved in the
database into one row per recipient (never a list of ids in memory), then claimed a batch at a
time by the one sender holding the lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL as well, so
that even two senders could not take the same row)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import col

from bot.basics.calendar import Daytime
from bot.basics.lang import Lang
from bot.core.audience import Audience
from bot.core.inbound import UserRef
from bot.core.requests import STATUSES, AudienceCount, PushSummary
from bot.service.pushes import (
    ANNOUNCEMENT,
    CANCELLED,
    CLAIMED,
    DONE,
    FAILED,
    INTERRUPTED,
    OPEN,
    PAUSED,
    PENDING,
    REMINDER,
    RUNNING,
    SENDING,
    SENT,
    SKIPPED,
    SURVEY,
    UNREACHABLE,
    Delivery,
    Result,
)
from storage.models import Participant, PushRecipient, SurveyPush, SurveyResponse, User

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from storage.store import SqlStore

ZONES_FOR = 60.0
"""Seconds the time zones of daytime-only jobs' recipients are kept between looks."""
DECLINED_EVERY = 30.0
"""Seconds between looks for pending recipients who declined surveys since (to count them)."""


STOPPED = "stopped messages (/stop)"


def _conditions(audience: Audience) -> list[sa.ColumnElement[bool]]:
    pairs = [
        (Participant.role, audience.roles),
        (Participant.cohort, audience.cohorts),
        (Participant.country, audience.countries),
        (Participant.reference, audience.references),
    ]
    return [col(column).in_(values) for column, values in pairs if values]


def _status(kind: str) -> tuple[sa.ColumnElement[Any], sa.ColumnElement[Any]]:
    """Each recipient's first status and its reason, from their account."""
    declined = col(User.consent_given).is_(False) & sa.literal(kind != ANNOUNCEMENT)
    cases: list[tuple[sa.ColumnElement[bool], str, str]] = [
        (col(Participant.user_id).is_(None), SKIPPED, "not connected to the bot yet (send their invitation)"),
        (col(User.channel) != "telegram", SKIPPED, "connected outside Telegram, where nothing can be sent"),
        (col(User.pushes_stopped_at).is_not(None), SKIPPED, STOPPED),
        (declined, SKIPPED, "declined surveys"),
        (col(User.unreachable_at).is_not(None), UNREACHABLE, "blocked the bot"),
    ]
    status = sa.case(*[(when, status) for when, status, _ in cases], else_=PENDING)
    reason = sa.case(*[(when, reason) for when, _, reason in cases], else_="")
    return status, reason


async def insert_job(
    session: AsyncSession, push: SurveyPush, participants: sa.Select[Any], wave: sa.ColumnElement[Any] | None
) -> int:
    """Add ``push`` and one recipient per row of ``participants`` (a select of ``Participant.id``
    from participants, with whatever joins it needs), each with their first status; ``wave`` per
    recipient (``None``: the push's own id for a survey, none for an announcement). A job with
    nobody to send is done at once. Returns the number of recipients."""
    session.add(push)
    await session.flush()
    assert push.id is not None
    status, reason = _status(push.kind)
    if wave is None:
        wave = sa.literal(push.id) if push.kind == SURVEY else sa.null()
    chosen = (
        participants.outerjoin(User, col(User.id) == col(Participant.user_id))
        .with_only_columns(sa.literal(push.id), col(Participant.id), wave, status, reason)
        .order_by(col(Participant.id))
    )
    inserted = await session.execute(
        sa.insert(PushRecipient).from_select(
            ["push_id", "participant_id", "wave", "status", "reason"], chosen
        )
    )
    open_ = sa.select(col(PushRecipient.id)).where(
        col(PushRecipient.push_id) == push.id, col(PushRecipient.status) == PENDING
    )
    if (await session.execute(open_.limit(1))).first() is None:
        push.state, push.finished_at = DONE, push.created_at
    return int(inserted.rowcount)  # type: ignore[attr-defined]


class SqlPushes:
    def __init__(self, store: SqlStore, *, default_zone: str = "Europe/Brussels") -> None:
        self._store = store
        self.default_zone = default_zone
        self._zones: tuple[float, set[tuple[str, str]]] | None = None
        self._declined_at = 0.0

    async def count(self, audience: Audience) -> int:
        return (await self.reach(audience)).total

    async def reach(self, audience: Audience) -> AudienceCount:
        """How many participants match, and how many of them a prompt can reach now."""
        reachable = sa.func.count(col(User.id)).filter(
            col(User.unreachable_at).is_(None),
            col(User.pushes_stopped_at).is_(None),
            sa.func.coalesce(col(User.consent_given), True).is_(True),
        )
        query = (
            sa.select(sa.func.count(), reachable)
            .select_from(Participant)
            .outerjoin(User, col(User.id) == col(Participant.user_id))
            .where(*_conditions(audience))
        )
        async with self._store.session() as session:
            total, can = (await session.execute(query)).one()
        return AudienceCount(int(total), int(can))

    async def create(
        self,
        survey_id: str,
        version: int,
        audience: Audience,
        created_by: str,
        at: datetime,
        *,
        request_key: str | None = None,
        daytime: Daytime | None = None,
    ) -> tuple[int, int]:
        """A survey's job and its recipients, in one transaction; returns (job id, recipients).
        A job with the same ``request_key`` is not made twice: the first one is returned."""
        push = SurveyPush(survey_id=survey_id, version=version, created_by=created_by, audience={})
        return await self._create(push, audience, at, request_key=request_key, daytime=daytime)

    async def announce(
        self,
        message: dict[str, str],
        audience: Audience,
        created_by: str,
        at: datetime,
        *,
        daytime: Daytime | None = None,
    ) -> tuple[int, int]:
        """An announcement (its text by language code) to ``audience``; returns (job id, recipients)."""
        push = SurveyPush(kind=ANNOUNCEMENT, version=1, message=message, created_by=created_by, audience={})
        return await self._create(push, audience, at, daytime=daytime)

    async def _create(
        self,
        push: SurveyPush,
        audience: Audience,
        at: datetime,
        *,
        request_key: str | None = None,
        daytime: Daytime | None = None,
    ) -> tuple[int, int]:
        """An audience without any filter is refused (:class:`ValueError`): a job never goes to
        everyone by accident."""
        if not audience.as_json():
            raise ValueError("a push needs an audience: a role, a cohort, a country or references")
        async with self._store.session() as session:
            if request_key is not None:
                same = sa.select(col(SurveyPush.id)).where(col(SurveyPush.request_key) == request_key)
                earlier = (await session.execute(same)).scalar_one_or_none()
                if earlier is not None:
                    count = sa.select(sa.func.count()).where(col(PushRecipient.push_id) == earlier)
                    return int(earlier), int((await session.execute(count)).scalar_one())
            push.audience, push.request_key, push.created_at = audience.as_json(), request_key, at
            push.daytime = str(daytime) if daytime is not None else None
            chosen = sa.select(col(Participant.id)).select_from(Participant).where(*_conditions(audience))
            total = await insert_job(session, push, chosen, None)
            assert push.id is not None
            return push.id, total

    async def set_state(self, push_id: int, state: str, at: datetime) -> str | None:
        """Pause (claims given back at once), resume or cancel (whoever is still pending is
        skipped) a job; returns its state before, ``None`` if there is no such job. A job that is
        done or cancelled stays so."""
        async with self._store.session() as session:
            push = await session.get(SurveyPush, push_id, with_for_update=True)
            if push is None:
                return None
            before = push.state
            if before in (DONE, CANCELLED) or before == state:
                return before
            waiting = sa.update(PushRecipient).where(
                col(PushRecipient.push_id) == push_id, col(PushRecipient.status).in_([PENDING, CLAIMED])
            )
            if state == CANCELLED:
                await session.execute(waiting.values(status=SKIPPED, reason="cancelled by staff", owner=None))
                push.finished_at = at
            elif state == PAUSED:
                await session.execute(
                    waiting.where(col(PushRecipient.status) == CLAIMED).values(status=PENDING, owner=None)
                )
            push.state = state
            return before

    async def retry(self, push_id: int) -> int:
        """Queue again the recipients that failed (an interrupted send too: it may then arrive
        twice); the job runs again. Returns how many."""
        async with self._store.session() as session:
            result = await session.execute(
                sa.update(PushRecipient)
                .where(col(PushRecipient.push_id) == push_id, col(PushRecipient.status) == FAILED)
                .values(status=PENDING, reason="", owner=None)
            )
            again = int(result.rowcount)  # type: ignore[attr-defined]
            if again:
                await session.execute(
                    sa.update(SurveyPush)
                    .where(col(SurveyPush.id) == push_id, col(SurveyPush.state).in_([DONE, RUNNING]))
                    .values(state=RUNNING, finished_at=None)
                )
        return again

    # ------------------------------------------------------------------ the sender's side

    async def recover(self, at: datetime) -> tuple[int, int]:
        async with self._store.session(background=True) as session:
            back = await session.execute(
                sa.update(PushRecipient)
                .where(col(PushRecipient.status) == CLAIMED)
                .values(status=PENDING, owner=None)
            )
            cut = await session.execute(
                sa.update(PushRecipient)
                .where(col(PushRecipient.status) == SENDING)
                .values(status=FAILED, reason=INTERRUPTED)
            )
        return int(back.rowcount), int(cut.rowcount)  # type: ignore[attr-defined]

    async def _daytime_zones(self, session: AsyncSession) -> set[tuple[str, str]]:
        """(window, zone) of the pending recipients of running daytime-only jobs (kept a minute:
        a handful of zones, looked up in 120,000 rows)."""
        now = time.monotonic()
        if self._zones is not None and now - self._zones[0] < ZONES_FOR:
            return self._zones[1]
        zone = sa.func.coalesce(col(Participant.timezone), self.default_zone)
        query = (
            sa.select(col(SurveyPush.daytime), zone)
            .distinct()
            .select_from(PushRecipient)
            .join(SurveyPush, col(SurveyPush.id) == col(PushRecipient.push_id))
            .join(Participant, col(Participant.id) == col(PushRecipient.participant_id))
            .where(
                col(SurveyPush.state) == RUNNING,
                col(SurveyPush.daytime).is_not(None),
                col(PushRecipient.status) == PENDING,
            )
        )
        found = {(str(window), str(name)) for window, name in (await session.execute(query)).all()}
        self._zones = (now, found)
        return found

    async def _daytime(self, session: AsyncSession, at: datetime) -> sa.ColumnElement[bool]:
        """Which recipients may be sent to now: every one of a job at any time; of a daytime-only
        job, those whose local time is inside its window."""
        zone = sa.func.coalesce(col(Participant.timezone), self.default_zone)
        allowed: list[sa.ColumnElement[bool]] = [col(SurveyPush.daytime).is_(None)]
        open_now: dict[str, list[str]] = {}
        for window, name in await self._daytime_zones(session):
            try:
                if Daytime.parse(window).contains(at, ZoneInfo(name)):
                    open_now.setdefault(window, []).append(name)
            except (ValueError, KeyError):  # a zone or window no longer valid: never sent at night
                continue
        for window, names in open_now.items():
            allowed.append((col(SurveyPush.daytime) == window) & zone.in_(names))
        return sa.or_(*allowed)

    async def claim(self, limit: int, at: datetime, *, channel: str, owner: str) -> list[Delivery]:
        """Up to ``limit`` pending recipients, oldest job first, now claimed by ``owner``."""
        async with self._store.session(background=True) as session:
            # Someone who withdrew their consent since the job was made gets no survey: never
            # claimed, and counted as skipped now and then (a look through every pending row).
            if time.monotonic() - self._declined_at > DECLINED_EVERY:
                await self._skip_declined(session)
            wants_surveys = sa.or_(
                col(SurveyPush.kind) == ANNOUNCEMENT,
                sa.func.coalesce(col(User.consent_given), True).is_(True),
            )
            query = (
                sa.select(
                    col(PushRecipient.id),
                    col(PushRecipient.push_id),
                    col(PushRecipient.wave),
                    col(SurveyPush.kind),
                    col(SurveyPush.survey_id),
                    col(SurveyPush.message),
                    col(User.channel),
                    col(User.external_id),
                    col(User.language),
                    col(Participant.language),
                )
                .join(SurveyPush, col(SurveyPush.id) == col(PushRecipient.push_id))
                .join(Participant, col(Participant.id) == col(PushRecipient.participant_id))
                .join(User, col(User.id) == col(Participant.user_id))
                .where(
                    col(PushRecipient.status) == PENDING,
                    col(SurveyPush.state) == RUNNING,
                    col(User.channel) == channel,
                    col(User.pushes_stopped_at).is_(None),
                    wants_surveys,
                    await self._daytime(session, at),
                )
                .order_by(col(PushRecipient.id))
                .limit(limit)
                .with_for_update(skip_locked=True, of=PushRecipient)
            )
            rows = (await session.execute(query)).all()
            if not rows:
                self._zones = None  # look again next time: a new job may have new zones
                await self._skip_declined(session)  # so that a job with only those left is done
                return []
            await session.execute(
                sa.update(PushRecipient)
                .where(col(PushRecipient.id).in_([row[0] for row in rows]))
                .values(status=CLAIMED, owner=owner, claimed_at=at)
            )
            await session.execute(
                sa.update(SurveyPush)
                .where(col(SurveyPush.id).in_({row[1] for row in rows}), col(SurveyPush.started_at).is_(None))
                .values(started_at=at)
            )
        return [
            Delivery(
                row[0],
                row[1],
                row[3],
                UserRef(row[6], row[7]),
                Lang.parse(row[8] or row[9]),
                survey_id=row[4],
                wave=row[2],
                message=dict(row[5] or {}),
            )
            for row in rows
        ]

    async def _skip_declined(self, session: AsyncSession) -> None:
        self._declined_at = time.monotonic()
        declined = (
            sa.select(col(Participant.id))
            .join(User, col(User.id) == col(Participant.user_id))
            .where(col(User.consent_given).is_(False))
        )
        surveys = sa.select(col(SurveyPush.id)).where(
            col(SurveyPush.state) == RUNNING, col(SurveyPush.kind) != ANNOUNCEMENT
        )
        await session.execute(
            sa.update(PushRecipient)
            .where(
                col(PushRecipient.status) == PENDING,
                col(PushRecipient.push_id).in_(surveys),
                col(PushRecipient.participant_id).in_(declined),
            )
            .values(status=SKIPPED, reason="declined surveys")
        )
        stopped = (
            sa.select(col(Participant.id))
            .join(User, col(User.id) == col(Participant.user_id))
            .where(col(User.pushes_stopped_at).is_not(None))
        )
        running = sa.select(col(SurveyPush.id)).where(col(SurveyPush.state) == RUNNING)
        await session.execute(
            sa.update(PushRecipient)
            .where(
                col(PushRecipient.status) == PENDING,
                col(PushRecipient.push_id).in_(running),
                col(PushRecipient.participant_id).in_(stopped),
            )
            .values(status=SKIPPED, reason=STOPPED)
        )

    async def begin(self, recipient_id: int, owner: str, at: datetime) -> bool:
        async with self._store.session(background=True) as session:
            result = await session.execute(
                sa.update(PushRecipient)
                .where(
                    col(PushRecipient.id) == recipient_id,
                    col(PushRecipient.status) == CLAIMED,
                    col(PushRecipient.owner) == owner,
                )
                .values(status=SENDING, claimed_at=at)
            )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def finish(self, results: Sequence[Result]) -> None:
        if not results:
            return
        async with self._store.session(background=True) as session:
            await session.execute(  # one UPDATE by primary key, executed for each
                sa.update(PushRecipient),
                [
                    {
                        "id": r.recipient_id,
                        "status": r.status,
                        "reason": r.reason[:200],
                        "sent_at": r.at if r.status == SENT else None,
                    }
                    for r in results
                ],
            )

    async def release(self, owner: str, recipient_ids: list[int] | None = None) -> int:
        query = sa.update(PushRecipient).where(
            col(PushRecipient.status) == CLAIMED, col(PushRecipient.owner) == owner
        )
        if recipient_ids is not None:
            query = query.where(col(PushRecipient.id).in_(recipient_ids))
        async with self._store.session(background=True) as session:
            result = await session.execute(query.values(status=PENDING, owner=None))
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def close_finished(self, at: datetime) -> list[int]:
        unfinished = sa.select(col(PushRecipient.push_id)).where(col(PushRecipient.status).in_(OPEN))
        async with self._store.session(background=True) as session:
            done = list(
                (
                    await session.execute(
                        sa.select(col(SurveyPush.id)).where(
                            col(SurveyPush.state) == RUNNING, col(SurveyPush.id).not_in(unfinished)
                        )
                    )
                ).scalars()
            )
            if done:
                last = (
                    sa.select(sa.func.max(col(PushRecipient.sent_at)))
                    .where(col(PushRecipient.push_id) == col(SurveyPush.id))
                    .scalar_subquery()
                )
                await session.execute(
                    sa.update(SurveyPush)
                    .where(col(SurveyPush.id).in_(done))
                    .values(state=DONE, finished_at=sa.func.coalesce(last, at))
                )
        return [int(push_id) for push_id in done if push_id is not None]

    # ------------------------------------------------------------------ reports

    async def status(self, push_ids: Sequence[int] | None = None, *, latest: int = 10) -> list[PushSummary]:
        """Counts per job (the given ones, else the latest): by status, then answers started and
        completed in the wave."""
        pushes = sa.select(SurveyPush).order_by(col(SurveyPush.id).desc())
        pushes = (
            pushes.where(col(SurveyPush.id).in_(push_ids)) if push_ids is not None else pushes.limit(latest)
        )
        async with self._store.session() as session:
            found = list((await session.execute(pushes)).scalars())
            report = []
            for push in found:
                by_status = await session.execute(
                    sa.select(col(PushRecipient.status), sa.func.count())
                    .where(col(PushRecipient.push_id) == push.id)
                    .group_by(col(PushRecipient.status))
                )
                counts = dict.fromkeys(STATUSES, 0)
                counts.update({status: int(n) for status, n in by_status.all()})
                started = completed = 0
                if push.kind != ANNOUNCEMENT:
                    waves = sa.select(col(PushRecipient.wave)).where(col(PushRecipient.push_id) == push.id)
                    if push.kind == REMINDER:
                        waves = waves.distinct()
                    answered = await session.execute(
                        sa.select(sa.func.count(), sa.func.count(col(SurveyResponse.completed_at))).where(
                            col(SurveyResponse.survey_id) == push.survey_id,
                            col(SurveyResponse.wave).in_(waves),
                            col(SurveyResponse.participant_id).in_(
                                sa.select(col(PushRecipient.participant_id)).where(
                                    col(PushRecipient.push_id) == push.id
                                )
                            ),
                        )
                    )
                    started, completed = (int(n) for n in answered.one())
                counts.update(started=started, completed=completed)
                assert push.id is not None
                report.append(
                    PushSummary(
                        push.id,
                        push.survey_id or "",
                        push.created_at,
                        counts,
                        kind=push.kind,
                        state=push.state,
                        started_at=push.started_at,
                        finished_at=push.finished_at,
                    )
                )
        return report
