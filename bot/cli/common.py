"""What the command groups share."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import Any

from bot.basics.errors import ConfigurationError
from bot.basics.lang import Lang
from bot.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], Awaitable[int]]
Commands = Any  # argparse's private _SubParsersAction
LANGS = [lang.value for lang in Lang]


class UsageError(ConfigurationError):
    """The command line asks for something impossible (exit status 2)."""


def command(commands: Commands, name: str, handler: Handler, **kwargs: Any) -> argparse.ArgumentParser:
    """A subcommand whose ``handler(args, settings)`` runs it."""
    parser: argparse.ArgumentParser = commands.add_parser(name, **kwargs)
    parser.set_defaults(handler=handler)
    return parser
