"""``dt4e-bot chat`` and ``dt4e-bot run``."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from bot.cli.common import LANGS, Commands, UsageError, command

if TYPE_CHECKING:
    from bot.channels.telegram.webhook import Mode
    from bot.settings import Settings


def add_commands(commands: Commands) -> None:
    chat = command(commands, "chat", _chat_command, help="talk to the assistant in this terminal")
    chat.add_argument("--lang", choices=LANGS, help="language hint, like Telegram's")
    chat.add_argument("--user", default=None, help="who you are (default: your login name)")

    run = command(commands, "run", _run, help="start the Telegram bot (console chat when no token is set)")
    run.add_argument("--user", default=None, help=argparse.SUPPRESS)
    run.add_argument(
        "--channel",
        choices=["aiogram", "ptb"],
        default="aiogram",
        help="the Telegram framework: aiogram (default) or ptb (python-telegram-bot)",
    )
    run.add_argument("--webhook", action="store_true", help="receive updates by webhook instead of polling")
    run.add_argument(
        "--webhook-url", metavar="URL", help="with --webhook: the public https URL Telegram posts to"
    )
    run.add_argument(
        "--listen",
        metavar="HOST:PORT",
        help="with --webhook: where the web server listens (default 0.0.0.0:8080)",
    )


async def _chat_command(args: argparse.Namespace, settings: Settings) -> int:
    return await _chat(settings, args.user, args.lang)


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import run_telegram
    from bot.channels.telegram.webhook import Polling

    mode = _run_mode(settings, args)
    if not settings.contact:
        print(
            "dt4e-bot: warning: DT4E_CONTACT is not set, so answers cannot say how to reach the "
            "programme team; set it to the team's e-mail address or web page.",
            file=sys.stderr,
        )
    if not settings.contact and settings.staff_chat_id is None and settings.telegram_token is not None:
        print(
            "dt4e-bot: warning: neither DT4E_STAFF_CHAT_ID nor DT4E_CONTACT is set, so /human "
            "reaches nobody; set DT4E_STAFF_CHAT_ID to the staff group's id to pass people to a "
            "person there.",
            file=sys.stderr,
        )
    if settings.telegram_token is None and isinstance(mode, Polling):
        print(
            "dt4e-bot: no DT4E_TELEGRAM_TOKEN is set, so starting the console chat instead.",
            file=sys.stderr,
        )
        return await _chat(settings, args.user, None)
    return await run_telegram(settings, args.channel, mode)


async def _chat(settings: Settings, user: str | None, lang: str | None) -> int:
    from bot.app import open_app
    from bot.channels.console import ConsoleChannel

    async with open_app(settings) as app:
        channel = ConsoleChannel(app.service, user or _login_name(), language_hint=lang)
        interactive = sys.stdin.isatty()
        if interactive:
            print("Type a message and press Enter; /start to begin, Ctrl-D to quit.", file=sys.stderr)
        await channel.run(sys.stdin, sys.stdout, echo=not interactive)
    return 0


def _run_mode(settings: Settings, args: argparse.Namespace) -> Mode:
    from bot.channels.telegram import webhook

    if args.webhook:
        if not args.webhook_url:
            raise UsageError("--webhook needs --webhook-url, the public https URL Telegram posts to")
        try:
            secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
            return webhook.webhook_mode(args.webhook_url, args.listen or "0.0.0.0:8080", secret)
        except ValueError as exc:
            raise UsageError(f"--webhook: {exc}") from exc
    if args.webhook_url or args.listen:
        raise UsageError("--webhook-url and --listen only apply with --webhook")
    return webhook.Polling()


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "console"
