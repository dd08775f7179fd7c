"""``dt4e-bot survey push|status|export``: send a survey to an audience, follow who answered,
read the answers as a spreadsheet."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

from bot.basics.errors import NotFound
from bot.cli.common import Commands, UsageError, add_audience, audience_of, command, daytime_of

if TYPE_CHECKING:
    from bot.basics.calendar import Daytime
    from bot.settings import Settings
    from dialogs.model import Dialog


def add_commands(commands: Commands) -> None:
    group = commands.add_parser("survey", help="follow-up surveys: push, status, export")
    sub = group.add_subparsers(dest="survey_command", required=True, metavar="SURVEY_COMMAND")
    push = command(sub, "push", _push, help="send a survey to participants (the running bot sends it)")
    push.add_argument("survey", help="the survey id: talent-follow-up or employer-follow-up")
    add_audience(push)
    status = command(sub, "status", _status, help="recent pushes: sent, failed, unreachable, answered")
    status.add_argument("push", nargs="*", type=int, help="push ids (default: the latest ten)")
    status.add_argument("--json", action="store_true")
    export = command(sub, "export", _export, help="the answers as a spreadsheet")
    export.add_argument("survey")
    export.add_argument("--format", choices=["csv", "xlsx"], required=True)
    export.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    export.add_argument("--since", type=date.fromisoformat, metavar="YYYY-MM-DD")
    export.add_argument(
        "--until", type=date.fromisoformat, metavar="YYYY-MM-DD", help="up to this day, included"
    )
    export.add_argument("--cohort")


def _survey(survey_id: str) -> Dialog:
    from bot.app import load_content
    from dialogs.model import DialogKind

    library = load_content()
    dialog = library.get(survey_id)
    if dialog is None or dialog.kind is not DialogKind.SURVEY:
        known = ", ".join(d.id for d in library.surveys())
        raise NotFound(f"no survey {survey_id!r}; the surveys are {known}")
    return dialog


async def _push(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import open_store
    from storage.pushes import SqlPushes

    dialog = _survey(args.survey)
    audience, daytime = audience_of(args), daytime_of(args, settings)
    async with open_store(settings) as store:
        pushes = SqlPushes(store, default_zone=settings.timezone)
        total = await pushes.count(audience)
        if not await confirmed(args, dialog.id, total):
            return 0 if args.dry_run else 1
        assert dialog.version is not None
        push_id, recipients = await pushes.create(
            dialog.id, dialog.version, audience, "cli", datetime.now(UTC), daytime=daytime
        )
        [report] = await pushes.status([push_id])
    print(f"push {push_id}: {recipients} recipients")
    print(queued(report.counts, daytime))
    return 0


async def confirmed(args: argparse.Namespace, what: str, total: int) -> bool:
    """``--dry-run`` counts; else ask before sending ``what`` to ``total`` people (``--yes``: no)."""
    import asyncio

    if args.dry_run:
        print(f"{what} would go to {total} participants")
        return False
    if total == 0:
        raise NotFound("no participant matches; see dt4e-bot participants list")
    if args.yes:
        return True
    if not sys.stdin.isatty():
        raise UsageError("confirm with --yes when not typing at a terminal")
    answer = await asyncio.to_thread(input, f"Send {what} to {total} participants? [y/N] ")
    if answer.strip().lower() in ("y", "yes", "o", "oui"):
        return True
    print("nothing sent")
    return False


def queued(counts: dict[str, int], daytime: Daytime | None) -> str:
    from bot.service.pushes import PENDING, SKIPPED, UNREACHABLE

    when = f", between {daytime} local time" if daytime is not None else ""
    return (
        f"{counts[PENDING]} to send by the running bot{when}, {counts[SKIPPED]} skipped "
        f"(not connected yet, or declined surveys), {counts[UNREACHABLE]} unreachable"
    )


async def _status(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import open_store
    from bot.service.pushes import CLAIMED, PENDING, SENT, SKIPPED, UNREACHABLE
    from storage.pushes import SqlPushes

    async with open_store(settings) as store:
        reports = await SqlPushes(store).status(args.push or None)
    for r in reports:  # a claimed recipient is still to send
        r.counts[PENDING] += r.counts.pop(CLAIMED, 0)
    if args.json:
        for r in reports:
            print(
                json.dumps(
                    {
                        "push": r.push_id,
                        "survey": r.survey_id,
                        "created_at": r.created_at.isoformat(),
                        **r.counts,
                    }
                )
            )
        return 0
    print("push\tsurvey\tcreated\tpending\tsent\tfailed\tunreachable\tskipped\tstarted\tcompleted")
    for r in reports:
        c = r.counts
        cells = [
            r.push_id,
            r.survey_id,
            f"{r.created_at:%Y-%m-%d %H:%M}",
            c["pending"] + c["sending"],
            c[SENT],
        ]
        cells += [c["failed"], c[UNREACHABLE], c[SKIPPED], c["started"], c["completed"]]
        print("\t".join(str(cell) for cell in cells))
    return 0


async def _export(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import open_store
    from bot.service.exports import question_keys, questions, table, write_csv, write_xlsx
    from storage.surveys import responses

    dialog = _survey(args.survey)
    since = datetime.combine(args.since, time(), UTC) if args.since else None
    until = datetime.combine(args.until, time.max, UTC) if args.until else None
    async with open_store(settings) as store, store.session() as session:
        found = await responses(session, dialog.id, since=since, until=until, cohort=args.cohort)
    header, rows = table(dialog, found)
    if args.format == "csv":
        write_csv(args.output, header, rows)
    else:
        write_xlsx(args.output, header, rows, questions(dialog, question_keys(dialog, found)))
    print(f"wrote {len(rows)} responses to {args.output}")
    return 0
