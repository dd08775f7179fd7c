"""The staff desk: answers the requests staff commands record (:mod:`bot.core.requests`) with
the programme's data, after the turn, in the staff member's language."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timedelta
from typing import Protocol, assert_never

from bot.basics.lang import Lang
from bot.core.audience import Audience
from bot.core.context import Context
from bot.core.events import ReplyCreated
from bot.core.features import jobs, staff
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
)
from bot.service import reports
from bot.service.exports import ExportedResponse
from bot.service.pushes import CANCELLED, PAUSED, RUNNING
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
                return staff.gaps_reply(ctx, lang, days, len(asked), group(asked))
            case _:
                assert_never(request)
