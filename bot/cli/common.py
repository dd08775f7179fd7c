"""What the command groups share (light imports only: every start builds every parser)."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from bot.basics.errors import ConfigurationError
from bot.basics.lang import Lang
from bot.core.audience import COUNTRIES, ROLES, Audience

if TYPE_CHECKING:
    from bot.basics.calendar import Daytime
    from bot.settings import Settings

# A handler returns its exit status, or a coroutine that does (run in an event loop): the
# commands that start fast (ask, check) import no asyncio.
Handler = Callable[[argparse.Namespace, "Settings"], Awaitable[int] | int]
Commands = Any  # argparse's private _SubParsersAction
LANGS = [lang.value for lang in Lang]


class UsageError(ConfigurationError):
    """The command line asks for something impossible (exit status 2)."""


def command(commands: Commands, name: str, handler: Handler, **kwargs: Any) -> argparse.ArgumentParser:
    """A subcommand whose ``handler(args, settings)`` runs it."""
    parser: argparse.ArgumentParser = commands.add_parser(name, **kwargs)
    parser.set_defaults(handler=handler)
    return parser


def keep_password(url: str) -> None:
    """Keep the password of a database URL out of the log (as written and URL-decoded)."""
    from urllib.parse import unquote, urlsplit

    from bot.basics import logs

    try:
        password = urlsplit(url).password
    except ValueError:  # not a URL urllib can read: SQLAlchemy says so when it opens it
        password = None
    logs.keep_secret(password)
    logs.keep_secret(unquote(password) if password else None)


def add_audience(parser: argparse.ArgumentParser) -> None:
    """Who gets a broadcast, and when it may reach them."""
    parser.add_argument("--role", action="append", choices=list(ROLES), default=[])
    parser.add_argument("--cohort", action="append", default=[])
    parser.add_argument("--country", action="append", choices=COUNTRIES, type=str.upper, default=[])
    parser.add_argument("--ref", action="append", default=[], metavar="REFERENCE")
    when = parser.add_mutually_exclusive_group()
    when.add_argument(
        "--daytime",
        metavar="HH-HH",
        help="send only in these local hours of each recipient (default: DT4E_DAYTIME, 08-21)",
    )
    when.add_argument(
        "--any-time", action="store_true", help="send at once, whatever the hour where they are"
    )
    parser.add_argument("--dry-run", action="store_true", help="only count the recipients")
    parser.add_argument("--yes", action="store_true", help="no confirmation prompt (for scripts)")


def audience_of(args: argparse.Namespace) -> Audience:
    audience = Audience(tuple(args.role), tuple(args.cohort), tuple(args.country), tuple(args.ref))
    if not audience.as_json():
        raise UsageError("say who gets it: --role, --cohort, --country or --ref (each may be repeated)")
    return audience


def daytime_of(args: argparse.Namespace, settings: Settings) -> Daytime | None:
    from bot.basics.calendar import Daytime

    if args.any_time:
        return None
    try:
        return Daytime.parse(args.daytime or settings.daytime)
    except ValueError as exc:
        raise UsageError(f"--daytime: {exc}") from None
