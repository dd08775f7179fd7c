"""The ``dt4e-bot`` command line, one module per group of commands:

==================  ===========================================================================
run                 ``chat`` (the assistant in the terminal) and ``run`` (the Telegram bot,
                    polling or with ``--webhook``; the console chat when no token is set)
content             ``ask``, ``check``, ``faq eval``, ``dialogs list|diagram``, ``db upgrade``
participants        ``participants import|list|show|invite`` and ``staff invite``
surveys             ``survey push|status|export``
broadcasts          ``broadcast send|list|status|pause|resume|cancel|retry``, ``schedule list``
==================  ===========================================================================

Errors print one line, ``dt4e-bot: error: ...``, and exit non-zero: 2 for a bad setting or
argument, 1 for anything else.

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

from bot.basics.errors import AssistantError, ConfigurationError
from bot.cli import broadcasts, content, participants, run, surveys
from bot.cli.common import UsageError

__all__ = ["UsageError", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dt4e-bot",
        description="A trilingual assistant for labour-mobility programmes (Arabic, English, French).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in (run, content, participants, surveys, broadcasts):
        group.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import asyncio  # only now: --help and a usage error need neither the settings nor a loop
    import logging

    from bot.settings import load_settings

    try:
        settings = load_settings()
        logging.basicConfig(
            level=settings.log_level,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            stream=sys.stderr,
        )
        logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLogger().level))
        code: int = asyncio.run(args.handler(args, settings))
        return code
    except ConfigurationError as exc:
        print(f"dt4e-bot: error: {exc}", file=sys.stderr)
        return 2
    except AssistantError as exc:
        print(f"dt4e-bot: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (dt4e-bot ask --jsonl | head): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
