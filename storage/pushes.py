"""Survey pushes on SQLAlchemy (:mod:`bot.service.pushes`): the audience resolved in the
database into one row per recipient, then claimed a batch at a time by the sender (``FOR UPDATE
SKIP LOCKED`` on PostgreSQL, so several bot instances share a push; SQLite has one writer)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import col

from bot.basics.lang import Lang
from bot.core.audience import Audience
from bot.core.inbound import UserRef
from bot.core.requests import AudienceCount, PushSummary
from bot.service.pushes import (
    FAILED,
    INTERRUPTED,
    PENDING,
    SENDING,
    SENT,
    SKIPPED,
    STATUSES,
    UNREACHABLE,
    Prompt,
)
from storage.models import Participant, PushRecipient, SurveyPush, SurveyResponse, User

if TYPE_CHECKING:
    from storage.store import SqlStore


STUCK_AFTER = timedelta(minutes=2)
"""A claim this old belongs to no live sender: its send was cut short."""


def _conditions(audience: Audience) -> list[sa.ColumnElement[bool]]:
    pairs = [
        (Participant.role, audience.roles),
        (Participant.cohort, audience.cohorts),
        (Participant.country, audience.countries),
        (Participant.reference, audience.references),
    ]
    return [col(column).in_(values) for column, values in pairs if values]


class SqlPushes:
    def __init__(self, store: SqlStore) -> None:
        self._store = store

    async def count(self, audience: Audience) -> int:
        return (await self.reach(audience)).total

    async def reach(self, audience: Audience) -> AudienceCount:
        """How many participants match, and how many of them a prompt can reach now."""
        reachable = sa.func.count(col(User.id)).filter(
            col(User.unreachable_at).is_(None), sa.func.coalesce(col(User.consent_given), True).is_(True)
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
    ) -> tuple[int, int]:
        """The push and its recipients, in one transaction; returns (push id, recipients). A push
        with the same ``request_key`` is not made twice: the first one is returned. An audience
        without any filter is refused (:class:`ValueError`): a push never goes to everyone by
        accident."""
        if not audience.as_json():
            raise ValueError("a push needs an audience: a role, a cohort, a country or references")
        async with self._store.session() as session:
            if request_key is not None:
                same = sa.select(col(SurveyPush.id)).where(col(SurveyPush.request_key) == request_key)
                earlier = (await session.execute(same)).scalar_one_or_none()
                if earlier is not None:
                    count = sa.select(sa.func.count()).where(col(PushRecipient.push_id) == earlier)
                    return int(earlier), int((await session.execute(count)).scalar_one())
            push = SurveyPush(
                survey_id=survey_id,
                version=version,
                audience=audience.as_json(),
                created_by=created_by,
                request_key=request_key,
                created_at=at,
            )
            session.add(push)
            await session.flush()
            assert push.id is not None
            status = sa.case(
                (col(Participant.user_id).is_(None), SKIPPED),
                (col(User.channel) != "telegram", SKIPPED),
                (col(User.consent_given).is_(False), SKIPPED),
                (col(User.unreachable_at).is_not(None), UNREACHABLE),
                else_=PENDING,
            )
            reason = sa.case(
                (col(Participant.user_id).is_(None), "not connected to the bot yet (send their invitation)"),
                (col(User.channel) != "telegram", "connected outside Telegram, where no prompt can be sent"),
                (col(User.consent_given).is_(False), "declined surveys"),
                (col(User.unreachable_at).is_not(None), "blocked the bot"),
                else_="",
            )
            chosen = (
                sa.select(sa.literal(push.id), col(Participant.id), status, reason)
                .select_from(Participant)
                .outerjoin(User, col(User.id) == col(Participant.user_id))
                .where(*_conditions(audience))
            )
            inserted = await session.execute(
                sa.insert(PushRecipient).from_select(
                    ["push_id", "participant_id", "status", "reason"], chosen
                )
            )
            return push.id, int(inserted.rowcount)  # type: ignore[attr-defined]

    async def recover(self, at: datetime) -> int:
        """Mark what a crash left "sending" as failed (see :mod:`bot.service.pushes`): claims
        older than two minutes, so that another instance's prompts in flight are left alone."""
        async with self._store.session() as session:
            result = await session.execute(
                sa.update(PushRecipient)
                .where(col(PushRecipient.status) == SENDING, col(PushRecipient.claimed_at) < at - STUCK_AFTER)
                .values(status=FAILED, reason=INTERRUPTED)
            )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def claim(self, limit: int, at: datetime, *, channel: str = "telegram") -> list[Prompt]:
        """Up to ``limit`` pending recipients, oldest push first, now "sending"."""
        query = (
            sa.select(
                col(PushRecipient.id),
                col(User.channel),
                col(User.external_id),
                col(User.language),
                col(Participant.language),
                col(SurveyPush.survey_id),
                col(PushRecipient.push_id),
            )
            .join(SurveyPush, col(SurveyPush.id) == col(PushRecipient.push_id))
            .join(Participant, col(Participant.id) == col(PushRecipient.participant_id))
            .join(User, col(User.id) == col(Participant.user_id))
            .where(col(PushRecipient.status) == PENDING, col(User.channel) == channel)
            .order_by(col(PushRecipient.id))
            .limit(limit)
            .with_for_update(skip_locked=True, of=PushRecipient)
        )
        declined = (
            sa.select(col(Participant.id))
            .join(User, col(User.id) == col(Participant.user_id))
            .where(col(User.consent_given).is_(False))
        )
        async with self._store.session() as session:
            # Someone who withdrew their consent since the push was made gets no prompt.
            await session.execute(
                sa.update(PushRecipient)
                .where(col(PushRecipient.status) == PENDING, col(PushRecipient.participant_id).in_(declined))
                .values(status=SKIPPED, reason="declined surveys")
            )
            rows = (await session.execute(query)).all()
            if rows:
                await session.execute(
                    sa.update(PushRecipient)
                    .where(col(PushRecipient.id).in_([row[0] for row in rows]))
                    .values(status=SENDING, claimed_at=at)
                )
        prompts = []
        for recipient_id, channel, external_id, chosen, listed, survey_id, wave in rows:
            assert recipient_id is not None
            prompts.append(
                Prompt(
                    recipient_id, UserRef(channel, external_id), Lang.parse(chosen or listed), survey_id, wave
                )
            )
        return prompts

    async def finish(self, recipient_id: int, status: str, reason: str, at: datetime) -> None:
        async with self._store.session() as session:
            await session.execute(
                sa.update(PushRecipient)
                .where(col(PushRecipient.id) == recipient_id)
                .values(status=status, reason=reason[:200], sent_at=at if status == SENT else None)
            )

    async def status(self, push_ids: Sequence[int] | None = None, *, latest: int = 10) -> list[PushSummary]:
        """Counts per push (the given ones, else the latest): by status, then started and completed."""
        pushes = sa.select(SurveyPush).order_by(col(SurveyPush.id).desc())
        pushes = pushes.where(col(SurveyPush.id).in_(push_ids)) if push_ids else pushes.limit(latest)
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
                answered = await session.execute(
                    sa.select(sa.func.count(), sa.func.count(col(SurveyResponse.completed_at))).where(
                        col(SurveyResponse.survey_id) == push.survey_id, col(SurveyResponse.wave) == push.id
                    )
                )
                started, completed = answered.one()
                counts.update(started=int(started), completed=int(completed))
                assert push.id is not None
                report.append(PushSummary(push.id, push.survey_id, push.created_at, counts))
        return report
