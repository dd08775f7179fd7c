"""Broadcast jobs for staff in Telegram: ``/status`` lists the latest jobs (survey pushes,
follow-ups, reminders, announcements) with their progress, and steers those still going with
Pause, Resume and Cancel buttons (a cancel asks first). The same jobs are followed with
``dt4e-bot broadcast status JOB`` in a terminal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.basics.buttons import Button, ButtonData
from bot.basics.lang import Lang
from bot.core.context import Context
from bot.core.events import ReplyCreated, StaffAsked
from bot.core.features import menu
from bot.core.requests import (
    ANNOUNCEMENT,
    CANCELLED,
    DONE,
    PAUSED,
    REMINDER,
    RUNNING,
    JobRequest,
    PushSummary,
)
from bot.core.scope import Scope, reply
from bot.core.state import ConversationState

PAUSE, RESUME, CANCEL, CANCEL_CONFIRMED = "pause", "resume", "cancel", "cancel!"


@dataclass(frozen=True, slots=True)
class JobButton(ButtonData, prefix="jb"):
    job: int
    action: str


def pressed(state: ConversationState, scope: Scope, button: JobButton) -> ConversationState:
    if not scope.staff:
        return menu.run(state, scope, None)
    _ = scope._
    if button.action == CANCEL:
        scope.say(
            # TRANSLATORS: {job} is the number of the broadcast job (as /status lists it).
            _("Cancel job {job}? Whoever has not received it yet will not.").format(job=button.job),
            [[JobButton(button.job, CANCEL_CONFIRMED).button(_("Yes, cancel it"))]],
        )
        return state
    if button.action in (PAUSE, RESUME, CANCEL_CONFIRMED):
        scope.record(StaffAsked(JobRequest(button.job, button.action.rstrip("!")), scope.lang))
    return state


def _title(ctx: Context, job: PushSummary, lang: Lang) -> str:
    _ = ctx.i18n.for_lang(lang)
    dialog = ctx.dialogs.get(job.survey_id) if ctx.dialogs is not None and job.survey_id else None
    title = dialog.title.get(lang) if dialog is not None else job.survey_id
    if job.kind == ANNOUNCEMENT:
        return _("Announcement")
    if job.kind == REMINDER:
        # TRANSLATORS: a job that reminds people of a survey; {title} is the survey's title.
        return _("Reminder: {title}").format(title=title)
    return title


def _state(ctx: Context, job: PushSummary, lang: Lang, now: datetime) -> str:
    _ = ctx.i18n.for_lang(lang)
    duration = job.duration(now)
    minutes = max(1, round(duration / 60)) if duration else None
    if job.state == DONE:
        # TRANSLATORS: a job's state; {minutes} is how many minutes it took (a whole number, at least 1).
        return _("done in {minutes} min").format(minutes=minutes) if minutes else _("done")
    if job.state == CANCELLED:
        return _("cancelled")
    if job.state == PAUSED:
        return _("paused")
    if job.started_at is None:
        return _("waiting to start")
    # TRANSLATORS: a job's state; {share} is how much of it is done, a whole number from 0 to 100:
    # keep the % sign after it.
    return _("sending: {share}%").format(share=round(100 * job.done / job.total) if job.total else 100)


def status_reply(ctx: Context, lang: Lang, jobs: list[PushSummary], now: datetime) -> ReplyCreated:
    _ = ctx.i18n.for_lang(lang)
    if not jobs:
        # TRANSLATORS: /survey is a command: keep it as it is.
        return reply(lang, _("Nothing has been sent yet. Send /survey to push a survey."))
    lines = [_("Latest jobs:")]
    # TRANSLATORS: a job in /status: {job} its number, {title} a survey's title, "Announcement" or "Reminder:
    # ...", {date} the day it was made (2026-03-01), {state} its state (e.g. "paused"); the rest are numbers.
    line = _(
        "{job}. {title} ({date}), {state}: {sent} sent, {pending} to send, {failed} failed, "
        "{unreachable} unreachable, {skipped} skipped"
    )
    # TRANSLATORS: added after a survey job's line; {started} and {completed} are numbers of people.
    answered = _("; {started} started, {completed} completed")
    rows: list[list[Button]] = []
    for job in jobs:
        c = job.counts
        text = line.format(
            job=job.push_id,
            title=_title(ctx, job, lang),
            date=f"{job.created_at:%Y-%m-%d}",
            state=_state(ctx, job, lang, now),
            sent=c.get("sent", 0),
            pending=job.waiting,
            failed=c.get("failed", 0),
            unreachable=c.get("unreachable", 0),
            skipped=c.get("skipped", 0),
        )
        if job.kind != ANNOUNCEMENT:
            text += answered.format(started=c.get("started", 0), completed=c.get("completed", 0))
        lines.append(text)
        if job.state == RUNNING:
            rows.append(
                [
                    # TRANSLATORS: a button; {job} is the job's number.
                    JobButton(job.push_id, PAUSE).button(_("Pause {job}").format(job=job.push_id)),
                    # TRANSLATORS: a button; {job} is the job's number.
                    JobButton(job.push_id, CANCEL).button(_("Cancel {job}").format(job=job.push_id)),
                ]
            )
        elif job.state == PAUSED:
            rows.append(
                [
                    # TRANSLATORS: a button; {job} is the job's number.
                    JobButton(job.push_id, RESUME).button(_("Resume {job}").format(job=job.push_id)),
                    JobButton(job.push_id, CANCEL).button(_("Cancel {job}").format(job=job.push_id)),
                ]
            )
    return reply(lang, "\n".join(lines), rows)


def steered_reply(
    ctx: Context, lang: Lang, request: JobRequest, before: str | None, job: PushSummary | None, now: datetime
) -> ReplyCreated:
    _ = ctx.i18n.for_lang(lang)
    if before is None or job is None:
        # TRANSLATORS: {job} is the job number that was asked for.
        return reply(lang, _("There is no job {job}.").format(job=request.job))
    if before in (DONE, CANCELLED):
        # TRANSLATORS: {job} is the job's number.
        return reply(lang, _("Job {job} is already over; nothing changed.").format(job=request.job))
    return status_reply(ctx, lang, [job], now)
