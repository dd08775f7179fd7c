"""The ``dt4e-bot`` command line.

Commands: ``chat`` (the assistant in the terminal), ``run`` (the Telegram bot, polling or with
``--webhook``; the console chat when no token is set), ``check`` (validate content and
catalogues), ``db upgrade``.
Errors print one line, ``dt4e-bot: error: ...``, and exit non-zero: 2 for a bad setting or
argument, 1 for anything else.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.basics.errors import AssistantError, ConfigurationError
from bot.basics.lang import Lang
from bot.settings import Settings, load_settings

if TYPE_CHECKING:
    from bot.channels.telegram.webhook import Mode

log = logging.getLogger("dt4e_bot")


class UsageError(ConfigurationError):
    """The command line asks for something impossible (exit status 2)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dt4e-bot",
        description="A trilingual assistant for labour-mobility programmes (Arabic, English, French).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    chat = commands.add_parser("chat", help="talk to the assistant in this terminal")
    chat.add_argument("--lang", choices=[lang.value for lang in Lang], help="language hint, like Telegram's")
    chat.add_argument("--user", default=None, help="who you are (default: your login name)")

    run = commands.add_parser("run", help="start the Telegram bot (console chat when no token is set)")
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

    ask = commands.add_parser("ask", help="answer questions from the FAQ, as JSON (for tools and scripts)")
    ask.add_argument("question", nargs="?", help="the question (or use --jsonl)")
    output = ask.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print one JSON object (the default)")
    output.add_argument(
        "--jsonl", action="store_true", help="read questions from standard input, one per line"
    )
    ask.add_argument("--lang", choices=[lang.value for lang in Lang], help="language hint, like Telegram's")

    commands.add_parser("check", help="validate the content files and the translation catalogues")

    dialogs = commands.add_parser("dialogs", help="guided dialogs (modules, surveys)")
    dialog_commands = dialogs.add_subparsers(dest="dialogs_command", required=True, metavar="DIALOGS_COMMAND")
    diagram = dialog_commands.add_parser("diagram", help="print a dialog as a Mermaid flowchart")
    diagram.add_argument("name", help="the dialog id, e.g. living-in-belgium")
    diagram.add_argument("--lang", choices=[lang.value for lang in Lang], default="en", help="label language")
    dialog_commands.add_parser("list", help="list the dialogs with their steps and quiz questions")

    faq = commands.add_parser("faq", help="knowledge base tools")
    faq_commands = faq.add_subparsers(dest="faq_command", required=True, metavar="FAQ_COMMAND")
    evaluate = faq_commands.add_parser("eval", help="measure the matcher on labelled questions (JSONL)")
    evaluate.add_argument("file", nargs="?", help='a JSONL file of {"q", "lang", "id"} objects')
    evaluate.add_argument(
        "--held-out",
        action="store_true",
        help="also measure on held-out splits of the knowledge base's own questions",
    )
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    db_commands.add_parser("upgrade", help="create or upgrade the schema (also done on every start)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        logging.basicConfig(
            level=settings.log_level,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            stream=sys.stderr,
        )
        logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLogger().level))
        return asyncio.run(_dispatch(args, settings))
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


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "chat":
        return await _chat(settings, args.user, args.lang)
    if args.command == "run":
        from bot.app import run_telegram
        from bot.channels.telegram.webhook import Polling

        mode = _run_mode(settings, args)
        if settings.telegram_token is None and isinstance(mode, Polling):
            print(
                "dt4e-bot: no DT4E_TELEGRAM_TOKEN is set, so starting the console chat instead.",
                file=sys.stderr,
            )
            return await _chat(settings, args.user, None)
        return await run_telegram(settings, args.channel, mode)
    if args.command == "ask":
        return _ask(settings, args)
    if args.command == "check":
        return _check()
    if args.command == "faq":
        return _faq_eval(args)
    if args.command == "dialogs":
        return _dialogs(args)
    if args.command == "db":
        return await _db_upgrade(settings)
    raise AssertionError(args.command)


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


def _ask(settings: Settings, args: argparse.Namespace) -> int:
    import json

    from bot.app import build_context
    from bot.core.features.answers import decide
    from bot.core.inbound import clean_text

    if not args.jsonl and not args.question:
        raise UsageError("ask needs a QUESTION, or --jsonl with questions on standard input")
    context = build_context(settings)
    assert context.faq is not None
    hint = Lang.parse(args.lang)

    faq = context.faq

    def answer(question: str) -> dict[str, object]:
        reply = decide(context, faq.match(clean_text(question), hint=hint))
        return {
            "id": reply.match.faq_id,
            "lang": reply.lang.value,
            "score": reply.match.score,
            "answer": reply.text,
            "suggestions": list(reply.suggestions),
        }

    if args.jsonl:
        for line in sys.stdin:
            print(json.dumps(answer(line.rstrip("\n")), ensure_ascii=False), flush=False)
        sys.stdout.flush()
    else:
        print(json.dumps(answer(args.question), ensure_ascii=False))
    return 0


def _check() -> int:
    from bot.app import load_content
    from bot.basics.i18n import Catalogues
    from faq.knowledge import load_knowledge

    Catalogues()
    print("ok: translation catalogues (ar, en, fr)")
    knowledge = load_knowledge()
    small_talk = "small talk" if knowledge.small_talk else "no small talk file"
    print(f"ok: FAQ: {len(knowledge)} entries, {len(knowledge.synonyms)} synonym groups, {small_talk}")
    library = load_content()
    print(f"ok: dialogs: {len(library.modules())} modules, {len(library.surveys())} surveys")
    return 0


def _dialogs(args: argparse.Namespace) -> int:
    from bot.app import load_content
    from dialogs.diagram import mermaid

    library = load_content()
    if args.dialogs_command == "list":
        for item in library:
            quiz = len(item.quiz_nodes)
            print(f"{item.id}\t{item.kind.value}\t{item.total_steps} steps\t{quiz} quiz questions")
        return 0
    dialog = library.get(args.name)
    if dialog is None:
        known = ", ".join(d.id for d in library)
        raise UsageError(f"no dialog {args.name!r}; known: {known}")
    print(mermaid(dialog, Lang(args.lang)))
    return 0


def _faq_eval(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from faq.evaluate import evaluate, evaluate_held_out, format_report, parse_labelled
    from faq.knowledge import load_knowledge
    from faq.matcher import Matcher

    if not args.file and not args.held_out:
        raise UsageError("faq eval needs a FILE, --held-out, or both")
    knowledge = load_knowledge()
    reports = {}
    if args.file:
        path = Path(args.file)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror}") from exc
        try:
            items = parse_labelled(lines, str(path))
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
        reports[str(path)] = evaluate(Matcher(knowledge), items)
    if args.held_out:
        reports["held-out splits of the knowledge base's own questions (5 folds)"] = evaluate_held_out(
            knowledge
        )
    if args.json:
        print(
            json.dumps(
                {name: report.to_dict() for name, report in reports.items()}, ensure_ascii=False, indent=2
            )
        )
    else:
        for name, report in reports.items():
            print(f"== {name}")
            print(format_report(report))
            print()
    return 0


async def _db_upgrade(settings: Settings) -> int:
    from storage.engine import create_engine, safe_url, upgrade

    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    print(f"database schema up to date: {safe_url(engine)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
