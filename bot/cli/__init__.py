"""The ``dt4e-bot`` command line, one module per group of commands:

==================  ===========================================================================
run                 ``chat`` (the assistant in the terminal) and ``run`` (the Telegram bot,
                    polling or with ``--webhook``; the console chat when no token is set)
content             ``ask``, ``check``, ``faq eval|gaps|attach|out-of-scope``, ``dialogs``
database            ``db upgrade|backup|copy``: the schema, a backup of the SQLite file, a move to
                    another database (PostgreSQL)
participants        ``participants import|list|show|invite`` and ``staff invite``
surveys             ``survey push|status|export``
broadcasts          ``broadcast send|list|status|pause|resume|cancel|retry``, ``schedule list``
==================  ===========================================================================

Errors print one line, ``dt4e-bot: error: ...``, and exit non-zero: 2 for a bad setting or
argument, 1 for anything else.

The log (stderr, at ``DT4E_LOG_LEVEL``) is set up by :func:`bot.basics.logs.configure`: the
libraries that would write what people sent, the token or SQL parameters stay at WARNING, and the
token, the webhook secret and the database password are masked in every line.

Every start builds the parsers of all the commands, so the group modules import only light
modules at their top, and each handler imports what it runs when it is called: ``ask`` and
``check`` load neither the database stack nor a Telegram framework, and ``run`` only the
framework of its ``--channel`` (``tests/test_startup.py``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.basics.errors import AssistantError, ConfigurationError
from bot.cli import broadcasts, content, database, participants, run, surveys
from bot.cli.common import UsageError, keep_password

if TYPE_CHECKING:
    from bot.settings import Settings

__all__ = ["UsageError", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dt4e-bot",
        description="A trilingual assistant for labour-mobility programmes (Arabic, English, French).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in (run, content, database, participants, surveys, broadcasts):
        group.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Only now: --help and a usage error need neither the settings nor a loop.
    from bot.basics import logs
    from bot.settings import load_settings

    try:
        settings = load_settings()
        _keep_secrets(settings)
        logs.configure(settings.log_level, stream=sys.stderr)
        outcome = args.handler(args, settings)
        if isinstance(outcome, int):
            return outcome
        import asyncio

        code: int = asyncio.run(outcome)
        return code
    except ConfigurationError as exc:
        print(f"dt4e-bot: error: {logs.redact(str(exc))}", file=sys.stderr)
        return 2
    except AssistantError as exc:
        for line in str(exc).splitlines():  # several content faults: one line each
            print(f"dt4e-bot: error: {logs.redact(line)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (dt4e-bot ask --jsonl | head): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


def _keep_secrets(settings: Settings) -> None:
    """Keep the token, the webhook secret and the database password out of the log (a secret
    generated later, such as a webhook secret for one run, is kept where it is made)."""
    from bot.basics import logs

    for secret in (settings.telegram_token, settings.webhook_secret):
        logs.keep_secret(secret.get_secret_value() if secret is not None else None)
    keep_password(settings.database_url)
