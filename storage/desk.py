"""The staff desk's data on SQLAlchemy (:class:`bot.service.desk.StaffData`)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import col

from bot.core.audience import Audience
from bot.core.requests import AudienceCount, PushSummary
from bot.service.exports import ExportedResponse
from bot.service.pushes import SENT
from faq.gaps import Unanswered
from storage import surveys
from storage.models import PushRecipient, SurveyPush, UnansweredQuestion
from storage.pushes import SqlPushes

if TYPE_CHECKING:
    from storage.store import SqlStore


class SqlStaffData:
    def __init__(self, store: SqlStore) -> None:
        self._store = store
        self._pushes = SqlPushes(store)

    async def push_status(self, jobs: list[int] | None = None) -> list[PushSummary]:
        return await self._pushes.status(jobs)

    async def set_job_state(self, job: int, state: str, at: datetime) -> str | None:
        return await self._pushes.set_state(job, state, at)

    async def reach(self, audience: Audience) -> AudienceCount:
        return await self._pushes.reach(audience)

    async def create_push(
        self,
        survey_id: str,
        version: int,
        audience: Audience,
        created_by: str,
        at: datetime,
        request_key: str,
    ) -> tuple[int, int]:
        return await self._pushes.create(
            survey_id, version, audience, created_by, at, request_key=request_key
        )

    async def responses(self, survey_id: str) -> list[ExportedResponse]:
        async with self._store.session() as session:
            return await surveys.responses(session, survey_id)

    async def unanswered(self, since: datetime) -> list[Unanswered]:
        """What the bot could not answer since ``since`` (abstained, "did you mean", 👎), oldest first."""
        query = _UNANSWERED.where(col(UnansweredQuestion.created_at) >= since).order_by(
            col(UnansweredQuestion.id)
        )
        async with self._store.session(background=True) as session:
            rows = (await session.execute(query)).all()
        return [_unanswered(*row) for row in rows]

    async def question(self, question_id: int) -> Unanswered | None:
        """One unanswered question by its id, if it is still kept."""
        query = _UNANSWERED.where(col(UnansweredQuestion.id) == question_id)
        async with self._store.session(background=True) as session:
            row = (await session.execute(query)).one_or_none()
        return _unanswered(*row) if row is not None else None

    async def prompts_sent(self, survey_id: str) -> int:
        query = (
            sa.select(sa.func.count())
            .select_from(PushRecipient)
            .join(SurveyPush, col(SurveyPush.id) == col(PushRecipient.push_id))
            .where(col(SurveyPush.survey_id) == survey_id, col(PushRecipient.status) == SENT)
        )
        async with self._store.session() as session:
            return int((await session.execute(query)).scalar_one())


_UNANSWERED = sa.select(
    col(UnansweredQuestion.question),
    col(UnansweredQuestion.lang),
    col(UnansweredQuestion.reason),
    col(UnansweredQuestion.candidates),
    col(UnansweredQuestion.created_at),
    col(UnansweredQuestion.id),
)


def _unanswered(
    question: str, lang: str, reason: str, candidates: list[str] | None, at: datetime, id: int | None
) -> Unanswered:
    return Unanswered(question, lang, reason, tuple(candidates or ()), at, id or 0)
