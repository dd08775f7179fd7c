"""The staff desk: answers the requests staff commands record (:mod:`bot.core.requests`) with
the programme's data, after the turn, in the staff member's language."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timedelta
from typing import Protocol, assert_never

from bot.basics.errors import ContentError
from bot.basics.lang import Lang
from bot.core.audience import Audience
from bot.core.context import Context
from bot.core.events import ReplyCreated
from bot.core.features import jobs, learning, staff
from bot.core.features.surveys import survey
from bot.core.requests import (
    AudienceCount,
    AudienceRequest,
    GapsRequest,
    JobRequest,
    PushRequest,
    PushSummary,
    ResultsRequest,
    StaffRequest,
    StatusRequest,
    TeachRequest,
)
from bot.service import reports
from bot.service.exports import ExportedResponse
from bot.service.pushes import CANCELLED, PAUSED, RUNNING
from faq.editing import add_question, question_key
from faq.gaps import Unanswered, group

STEER = {jobs.PAUSE: PAUSED, jobs.RESUME: RUNNING, jobs.CANCEL: CANCELLED}


class StaffData(Protocol):
    """What the desk reads and writes (``storage.desk.SqlStaffData``)."""

    async def push_status(self, jobs: list[int] | None = None) -> list[PushSummary]:
        """The given jobs, else the latest."""
        ...

    async def set_job_state(self, job: int, state: str, at: datetime) -> str | None:
        """Pause, resume or cancel; the state before (``None``: no such job)."""
        ...

    async def reach(self, audience: Audience) -> AudienceCount: ...

    async def create_push(
        self,
        survey_id: str,
        version: int,
        audience: Audience,
        created_by: str,
        at: datetime,
        request_key: str,
    ) -> tuple[int, int]: ...

    async def responses(self, survey_id: str) -> list[ExportedResponse]: ...

    async def prompts_sent(self, survey_id: str) -> int: ...

    async def unanswered(self, since: datetime) -> list[Unanswered]:
        """What the bot could not answer since ``since``, oldest first."""
        ...

    async def question(self, question_id: int) -> Unanswered | None:
        """One unanswered question, if it is still kept."""
        ...


class StaffDesk:
    def __init__(self, data: StaffData, context: Context) -> None:
        self.data = data
        self.context = context

    async def answer(self, request: StaffRequest, lang: Lang, by: str, at: datetime) -> ReplyCreated:
        ctx = self.context
        match request:
            case StatusRequest():
                return jobs.status_reply(ctx, lang, await self.data.push_status(), at)
            case JobRequest(job=job, action=action):
                before = await self.data.set_job_state(job, STEER[action], at)
                [summary] = await self.data.push_status([job]) if before is not None else [None]
                return jobs.steered_reply(ctx, lang, request, before, summary, at)
            case AudienceRequest(audience=audience):
                return staff.preview_reply(ctx, lang, request, await self.data.reach(audience))
            case PushRequest(survey_id=survey_id, audience=audience, key=key):
                dialog = survey(ctx, survey_id)
                if dialog is None or dialog.version is None:
                    return staff.no_survey_reply(ctx, lang, survey_id)
                push_id, total = await self.data.create_push(survey_id, dialog.version, audience, by, at, key)
                return staff.pushed_reply(ctx, lang, request, push_id, total)
            case ResultsRequest(survey_id=survey_id):
                dialog = survey(ctx, survey_id)
                if dialog is None:
                    return staff.no_survey_reply(ctx, lang, survey_id)
                responses = await self.data.responses(survey_id)
                report = reports.summarise(dialog, responses, await self.data.prompts_sent(survey_id))
                # The chart and the workbook take a moment: drawn in a thread, the bot keeps answering.
                files = await asyncio.to_thread(reports.attachments, dialog, responses, report)
                report = dataclasses.replace(report, files=files)
                return staff.results_reply(ctx, lang, report)
            case GapsRequest(days=days):
                asked = await self.data.unanswered(at - timedelta(days=days))
                return learning.gaps_reply(ctx, lang, days, len(asked), group(asked))
            case TeachRequest(question_id=question_id, faq_id=faq_id):
                return await self._teach(question_id, faq_id, lang)
            case _:
                assert_never(request)

    async def _teach(self, question_id: int, faq_id: str | None, lang: Lang) -> ReplyCreated:
        """Write the question into the content, then load the knowledge base again (both in a
        thread, the bot answering meanwhile) and use it from the next turn on. Another instance
        of the bot uses it from its next start."""
        ctx = self.context
        asked = await self.data.question(question_id)
        if asked is None or not asked.question:
            return learning.taught_reply(ctx, lang, "", faq_id, "")
        key = question_key(asked.question, asked.lang)
        faq = ctx.faq
        if faq is None:
            return learning.taught_reply(ctx, lang, asked.question, faq_id, "no knowledge base is loaded")
        try:
            added = await asyncio.to_thread(add_question, asked.question, key, faq_id, faq.content_dir)
        except ContentError as exc:
            return learning.taught_reply(ctx, lang, asked.question, faq_id, str(exc))
        await faq.reload()
        return learning.taught_reply(ctx, lang, added.question, faq_id, "")
