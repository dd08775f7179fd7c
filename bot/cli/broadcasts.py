"""``dt4e-bot broadcast send|list|status|pause|resume|cancel|retry`` and ``dt4e-bot schedule list``:
announcements, and following and steering every job the running bot sends (survey pushes,
follow-ups and reminders too)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.basics.errors import ContentError, NotFound
from bot.basics.lang import Lang
from bot.cli.common import Commands, add_audience, audience_of, command, daytime_of
from bot.cli.surveys import confirmed, queued

if TYPE_CHECKING:
    from bot.core.requests import PushSummary
    from bot.settings import Settings

BAR = 30
REFRESH = 1.0
"""Seconds between redraws of the live progress bar."""


def add_commands(commands: Commands) -> None:
    group = commands.add_parser("broadcast", help="announcements, and every job the running bot sends")
    sub = group.add_subparsers(dest="broadcast_command", required=True, metavar="BROADCAST_COMMAND")
    send = command(sub, "send", _send, help="send an announcement (a YAML file with ar, en and fr texts)")
    send.add_argument("message", type=Path, metavar="FILE.yaml")
    add_audience(send)
    command(sub, "list", _list, help="the latest jobs and where they stand")
    status = command(sub, "status", _status, help="one job: a live progress bar, or --json")
    status.add_argument("job", type=int)
    status.add_argument("--json", action="store_true", help="one JSON object, then exit")
    status.add_argument("--once", action="store_true", help="one line, then exit (no live bar)")
    for name, text in [
        ("pause", "stop sending a job for now (nothing in flight is lost)"),
        ("resume", "go on with a paused job"),
        ("cancel", "stop a job for good: whoever is still waiting is skipped"),
    ]:
        steer = command(sub, name, _steer, help=text)
        steer.add_argument("job", type=int)
    retry = command(
        sub, "retry", _retry, help="send again to those a job failed (an interrupted send may arrive twice)"
    )
    retry.add_argument("job", type=int)
    schedule = commands.add_parser("schedule", help="follow-up surveys planned after each job start")
    plans = schedule.add_subparsers(dest="schedule_command", required=True, metavar="SCHEDULE_COMMAND")
    listing = command(plans, "list", _schedule, help="what goes out when (local time of each participant)")
    listing.add_argument("--due-before", type=date.fromisoformat, metavar="YYYY-MM-DD")
    listing.add_argument("--limit", type=int, default=1000)


def read_message(path: Path) -> dict[str, str]:
    """An announcement's texts: ``ar``, ``en`` and ``fr``, each non-empty and within Telegram's
    limit; an error names the file and what is wrong."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ContentError(str(path), "", f"cannot read it: {exc}") from exc
    if not isinstance(data, dict):
        raise ContentError(str(path), "", "expected keys ar, en and fr, each with the announcement's text")
    unknown = sorted(set(map(str, data)) - {lang.value for lang in Lang})
    if unknown:
        raise ContentError(str(path), ", ".join(unknown), "unknown language; expected ar, en and fr")
    texts = {}
    for lang in Lang:
        text = data.get(lang.value)
        if not isinstance(text, str) or not text.strip():
            raise ContentError(str(path), lang.value, "missing; every recipient reads it in their language")
        if len(text) > 3900:
            raise ContentError(str(path), lang.value, f"{len(text)} characters; at most 3900 in one message")
        texts[lang.value] = text.strip()
    return texts


async def _send(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import open_store
    from storage.pushes import SqlPushes

    texts = read_message(args.message)
    audience, daytime = audience_of(args), daytime_of(args, settings)
    async with open_store(settings) as store:
        pushes = SqlPushes(store, default_zone=settings.timezone)
        if not await confirmed(args, "the announcement", await pushes.count(audience)):
            return 0 if args.dry_run else 1
        job, recipients = await pushes.announce(texts, audience, "cli", datetime.now(UTC), daytime=daytime)
        [report] = await pushes.status([job])
    print(f"job {job}: {recipients} recipients")
    print(queued(report.counts, daytime))
    return 0


def as_json(job: PushSummary, now: datetime) -> dict[str, Any]:
    """The contract of ``broadcast status --json`` (``../shared/DESIGN.md``), then extras."""
    from bot.service.pushes import FAILED, SENT, SKIPPED, UNREACHABLE

    c = job.counts
    duration = job.duration(now)
    return {
        "job": job.push_id,
        "state": job.state,
        "total": job.total,
        "sent": c[SENT],
        "failed": c[FAILED],
        "unreachable": c[UNREACHABLE],
        "skipped": c[SKIPPED],
        "pending": job.waiting,
        "kind": job.kind,
        "survey": job.survey_id or None,
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "duration_s": round(duration, 1) if duration is not None else None,
    }


def line(job: PushSummary, now: datetime, *, bar: bool = False) -> str:
    """``job 3 (survey talent-follow-up) running [██████····] 52% · 1,200 sent ...``."""
    from bot.service.pushes import CANCELLED, DONE, FAILED, RUNNING, SENT, SKIPPED, UNREACHABLE

    c, total = job.counts, job.total
    share = job.done / total if total else 1.0
    what = f"{job.kind} {job.survey_id}" if job.survey_id else job.kind
    head = f"job {job.push_id} ({what}) {job.state}"
    if bar:
        filled = round(share * BAR)
        head += f" [{'█' * filled}{'·' * (BAR - filled)}] {share:4.0%}"
    parts = [
        f"{c[SENT]:,} sent",
        f"{job.waiting:,} to send",
        f"{c[FAILED]:,} failed",
        f"{c[UNREACHABLE]:,} unreachable",
        f"{c[SKIPPED]:,} skipped",
    ]
    duration = job.duration(now)
    if duration:
        rate = (c[SENT] + c[FAILED] + c[UNREACHABLE]) / duration
        parts.append(f"{rate:.1f}/s")
        if job.state == RUNNING and job.waiting and rate > 0:
            parts.append(f"about {_span(job.waiting / rate)} left")
        elif job.state in (DONE, CANCELLED):
            parts.append(f"took {_span(duration)}")
    return f"{head} · {' · '.join(parts)}"


def _span(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return (
        f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"
    )


async def _job(store: Any, job: int) -> PushSummary:
    from storage.pushes import SqlPushes

    found = await SqlPushes(store).status([job])
    if not found:
        raise NotFound(f"no job {job}; see dt4e-bot broadcast list")
    return found[0]


async def _status(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from bot.app import open_store
    from bot.service.pushes import CANCELLED, DONE, PAUSED

    async with open_store(settings) as store:
        report = await _job(store, args.job)
        if args.json:
            print(json.dumps(as_json(report, datetime.now(UTC))))
            return 0
        if args.once or not sys.stdout.isatty():
            print(line(report, datetime.now(UTC)))
            return 0
        try:  # the live bar, until the job is over (Ctrl-C stops watching, not the job)
            while True:
                sys.stdout.write("\r\x1b[2K" + line(report, datetime.now(UTC), bar=True))
                sys.stdout.flush()
                if report.state in (DONE, CANCELLED) or (report.state == PAUSED and not report.waiting):
                    break
                await asyncio.sleep(REFRESH)
                report = await _job(store, args.job)
        except (KeyboardInterrupt, asyncio.CancelledError):
            pass
        print()
    return 0


async def _list(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import open_store
    from storage.pushes import SqlPushes

    async with open_store(settings) as store:
        reports = await SqlPushes(store).status()
    now = datetime.now(UTC)
    for report in reports:
        print(f"{report.created_at:%Y-%m-%d %H:%M} {line(report, now)}")
    if not reports:
        print(
            "no job yet: dt4e-bot survey push, dt4e-bot broadcast send, or the follow-up schedule make them"
        )
    return 0


async def _steer(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import open_store
    from bot.service.pushes import CANCELLED, DONE, PAUSED, RUNNING
    from storage.pushes import SqlPushes

    state = {"pause": PAUSED, "resume": RUNNING, "cancel": CANCELLED}[args.broadcast_command]
    async with open_store(settings) as store:
        before = await SqlPushes(store).set_state(args.job, state, datetime.now(UTC))
        if before is None:
            raise NotFound(f"no job {args.job}; see dt4e-bot broadcast list")
        report = await _job(store, args.job)
    if before in (DONE, CANCELLED) and before != state:
        print(f"job {args.job} is already {before}; nothing changed")
        return 1
    print(line(report, datetime.now(UTC)))
    return 0


async def _retry(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import open_store
    from storage.pushes import SqlPushes

    async with open_store(settings) as store:
        report = await _job(store, args.job)
        again = await SqlPushes(store).retry(args.job)
    print(f"job {report.push_id}: {again} failed recipients queued again")
    return 0


async def _schedule(args: argparse.Namespace, settings: Settings) -> int:
    from zoneinfo import ZoneInfo

    from bot.app import follow_up_rules, open_store
    from storage.schedules import SqlSchedules

    before = datetime.combine(args.due_before, time(), UTC) if args.due_before else None
    async with open_store(settings) as store:
        found = await SqlSchedules(store, follow_up_rules(settings)).upcoming(before, limit=args.limit)
    print("due (local)\ttime zone\treference\tsurvey\tmonths\tstate\tjob")
    for f in found:
        local = f.due_at.astimezone(ZoneInfo(f.timezone))
        job = f"{f.push_id}" + (f" (reminder {f.reminder_id})" if f.reminder_id else "") if f.push_id else ""
        cells = [f"{local:%Y-%m-%d %H:%M}", f.timezone, f.reference, f.survey_id, f.months, f.state, job]
        print("\t".join(str(cell) for cell in cells))
    if not found:
        print("nothing planned: participants get follow-ups once imported with a start_date")
    return 0
