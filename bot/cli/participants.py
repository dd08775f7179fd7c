"""``dt4e-bot participants import|list|show|invite`` and ``dt4e-bot staff invite``: staff's list
of the people in the programme, and the personal links that connect them to the bot."""

from __future__ import annotations

import argparse
import csv
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.basics.errors import NotFound
from bot.cli.common import Commands, UsageError, command
from bot.core.audience import ROLES

if TYPE_CHECKING:
    from bot.service.participants import ParticipantView
    from bot.settings import Settings


def add_commands(commands: Commands) -> None:
    group = commands.add_parser(
        "participants", help="the people in the programme, and their invitation links"
    )
    sub = group.add_subparsers(dest="participants_command", required=True, metavar="PARTICIPANTS_COMMAND")
    load = command(sub, "import", _import, help="add or update participants from a .csv or .xlsx file")
    load.add_argument("file", type=Path, help="a table with a header row (see the README for the columns)")
    listing = command(sub, "list", _list, help="list the participants")
    listing.add_argument("--role", choices=list(ROLES))
    listing.add_argument("--cohort")
    show = command(sub, "show", _show, help="one participant, with the state of their invitation")
    show.add_argument("reference")
    erase = command(
        sub, "erase", _erase, help="forget a participant and everything the bot keeps about them, for good"
    )
    erase.add_argument("reference")
    invite = command(sub, "invite", _invite, help="a personal invitation link (single use)")
    invite.add_argument(
        "reference", nargs="?", help="the participant (or use --csv for everyone not connected)"
    )
    invite.add_argument(
        "--csv",
        type=Path,
        metavar="FILE",
        help="write reference,link for every participant not yet connected",
    )
    staff = commands.add_parser("staff", help="programme staff")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True, metavar="STAFF_COMMAND")
    command(staff_sub, "invite", _invite_staff, help="a link that makes whoever opens it programme staff")
    command(staff_sub, "list", _list_staff, help="programme staff: configured, and joined by invitation")
    revoke = command(
        staff_sub, "revoke", _revoke_staff, help="no longer staff (someone who joined by invitation)"
    )
    revoke.add_argument("telegram_id")


def _now() -> datetime:
    return datetime.now(UTC)


async def _import(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import follow_up_rules, open_store
    from bot.service.participants import Participants, check_header
    from bot.service.tables import read_table
    from storage.participants import SqlParticipants

    header, rows = read_table(args.file)
    names = check_header(header, str(args.file))
    async with open_store(settings) as store:
        participants = SqlParticipants(store, follow_ups=follow_up_rules(settings))
        report = await Participants(participants).import_rows(rows, names, _now())
    print(
        f"{args.file}: {report.accepted} rows accepted ({report.added} added, {report.updated} updated, "
        f"{report.unchanged} unchanged), {len(report.rejected)} rejected"
    )
    for rejected in report.rejected:
        print(f"line {rejected.line}: {rejected.reason}")
    if report.added or report.updated:
        print("follow-up surveys are planned from each start_date: see dt4e-bot schedule list")
    return 1 if report.rejected else 0


def _bound(view: ParticipantView) -> str:
    if view.bound_at is not None:
        return f"connected {view.bound_at:%Y-%m-%d}"
    if view.invited_until is not None:
        return f"invited until {view.invited_until:%Y-%m-%d}"
    return "not invited"


async def _list(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import open_store
    from bot.core.state import Role
    from storage.participants import SqlParticipants

    role = Role(args.role) if args.role else None
    async with open_store(settings) as store:
        views = await SqlParticipants(store).all(role=role, cohort=args.cohort)
    print("reference\trole\tcohort\tcountry\tlanguage\tstatus")
    for view in views:
        p = view.participant
        cells = [p.reference, p.role.value, p.cohort, p.country, p.language, _bound(view)]
        print("\t".join(str(cell or "-") for cell in cells))
    return 0


async def _show(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import open_store
    from storage.participants import SqlParticipants

    async with open_store(settings) as store:
        view = await SqlParticipants(store).get(args.reference)
    if view is None:
        raise NotFound(f"no participant {args.reference!r}; see dt4e-bot participants list")
    p = view.participant
    fields = {
        "reference": p.reference,
        "role": p.role.value,
        "cohort": p.cohort,
        "country": p.country,
        "start_date": p.start_date.isoformat() if p.start_date else None,
        "timezone": p.timezone,
        "language": p.language,
        "company": p.company,
        "status": _bound(view),
    }
    for name, value in fields.items():
        print(f"{name}: {value or '-'}")
    return 0


async def _erase(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import open_store
    from storage.participants import SqlParticipants

    async with open_store(settings) as store:
        erased = await SqlParticipants(store).erase(args.reference)
    if not erased:
        raise NotFound(f"no participant {args.reference!r}; see dt4e-bot participants list")
    print(
        f"erased {args.reference}: the participant, their invitations, survey answers and follow-ups, "
        "and their conversation with the bot"
    )
    return 0


async def bot_username(settings: Settings) -> str:
    """The bot's username for links: ``DT4E_BOT_USERNAME``, else Telegram's answer to getMe."""
    if settings.bot_username:
        return settings.bot_username
    if settings.telegram_token is None:
        raise UsageError("set DT4E_BOT_USERNAME (the bot's @username) or DT4E_TELEGRAM_TOKEN to make links")
    from aiohttp import ClientError, ClientSession, ClientTimeout

    url = f"{settings.telegram_api_base}/bot{settings.telegram_token.get_secret_value()}/getMe"
    try:
        async with ClientSession(timeout=ClientTimeout(total=20)) as http, http.post(url) as response:
            answer = await response.json(content_type=None)
    except (ClientError, TimeoutError, ValueError) as exc:
        raise UsageError(
            f"could not ask Telegram for the bot's username ({exc}); set DT4E_BOT_USERNAME"
        ) from exc
    username = answer.get("result", {}).get("username") if isinstance(answer, dict) else None
    if not answer.get("ok") or not username:
        raise UsageError(
            "Telegram did not give the bot's username; check DT4E_TELEGRAM_TOKEN or set DT4E_BOT_USERNAME"
        )
    return str(username)


async def _invite(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import open_store
    from bot.service.participants import Participants
    from storage.participants import SqlParticipants

    if (args.reference is None) == (args.csv is None):
        raise UsageError("invite needs a participant REFERENCE, or --csv FILE for everyone not yet connected")
    username = await bot_username(settings)
    async with open_store(settings) as store:
        participants = Participants(SqlParticipants(store), invitation_days=settings.invitation_days)
        if args.reference is not None:
            link = await participants.invite(args.reference, username, _now())
            if link is None:
                raise NotFound(f"no participant {args.reference!r}; see dt4e-bot participants list")
            print(
                f"Personal link for {args.reference}, for one use, valid {settings.invitation_days} days "
                "(an earlier link for them no longer works):"
            )
            print(link)
            return 0
        waiting = [v for v in await SqlParticipants(store).all() if v.bound_at is None]
        with args.csv.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["reference", "link"])
            for view in waiting:
                reference = view.participant.reference
                writer.writerow([reference, await participants.invite(reference, username, _now())])
    print(f"wrote {len(waiting)} personal links to {args.csv} (valid {settings.invitation_days} days)")
    return 0


async def _invite_staff(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import open_store
    from bot.service.participants import Participants
    from storage.participants import SqlParticipants

    username = await bot_username(settings)
    async with open_store(settings) as store:
        participants = Participants(SqlParticipants(store), invitation_days=settings.invitation_days)
        link = await participants.invite(None, username, _now())
    print(
        f"Staff link, for one use, valid {settings.invitation_days} days; whoever opens it becomes "
        "programme staff, so send it only to a colleague:"
    )
    print(link)
    return 0


async def _list_staff(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import open_store

    async with open_store(settings) as store:
        invited = await store.invited_staff("telegram")
    for user_id in sorted(str(i) for i in settings.staff_ids):
        print(f"{user_id}\tDT4E_STAFF_IDS")
    for user_id in sorted(invited):
        print(f"{user_id}\tinvitation")
    return 0


async def _revoke_staff(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import open_store

    if args.telegram_id in {str(i) for i in settings.staff_ids}:
        raise UsageError(f"{args.telegram_id} is in DT4E_STAFF_IDS: remove it there")
    async with open_store(settings) as store:
        revoked = await store.revoke_staff("telegram", args.telegram_id)
    if not revoked:
        raise NotFound(f"{args.telegram_id} did not join the staff by invitation; see dt4e-bot staff list")
    print(f"{args.telegram_id} is no longer programme staff (from their next message)")
    return 0
