"""``dt4e-bot ask``, ``check``, ``faq`` and ``dialogs``: the content, without the bot running."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from bot.basics.lang import Lang
from bot.cli.common import LANGS, Commands, UsageError, command

if TYPE_CHECKING:
    from bot.settings import Settings


def add_commands(commands: Commands) -> None:
    ask = command(
        commands, "ask", _ask_command, help="answer questions from the FAQ, as JSON (for tools and scripts)"
    )
    ask.add_argument("question", nargs="?", help="the question (or use --jsonl)")
    output = ask.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print one JSON object (the default)")
    output.add_argument(
        "--jsonl", action="store_true", help="read questions from standard input, one per line"
    )
    ask.add_argument("--lang", choices=LANGS, help="language hint, like Telegram's")

    command(
        commands, "check", _check_command, help="validate the content files and the translation catalogues"
    )

    dialogs = commands.add_parser("dialogs", help="guided dialogs (modules, surveys)")
    dialog_commands = dialogs.add_subparsers(dest="dialogs_command", required=True, metavar="DIALOGS_COMMAND")
    diagram = command(
        dialog_commands, "diagram", _dialogs_command, help="print a dialog as a Mermaid flowchart"
    )
    diagram.add_argument("name", help="the dialog id, e.g. living-in-belgium")
    diagram.add_argument("--lang", choices=LANGS, default="en", help="label language")
    command(
        dialog_commands, "list", _dialogs_command, help="list the dialogs with their steps and quiz questions"
    )

    faq = commands.add_parser("faq", help="knowledge base tools")
    faq_commands = faq.add_subparsers(dest="faq_command", required=True, metavar="FAQ_COMMAND")
    evaluate = command(
        faq_commands, "eval", _faq_command, help="measure the matcher on labelled questions (JSONL)"
    )
    evaluate.add_argument("file", nargs="?", help='a JSONL file of {"q", "lang", "id"} objects')
    evaluate.add_argument(
        "--held-out",
        action="store_true",
        help="also measure on held-out splits of the knowledge base's own questions",
    )
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    evaluate.add_argument(
        "--figures-only",
        action="store_true",
        help="leave out the questions got wrong (for a set that must stay unseen by whoever tunes)",
    )

    gaps = command(
        faq_commands,
        "gaps",
        _gaps_command,
        help="what the bot could not answer lately, grouped: counts, languages, closest entries",
    )
    gaps.add_argument("--days", type=int, default=30, help="how far back to look (30)")
    gaps.add_argument("--top", type=int, default=20, help="how many groups to show (20)")
    gaps.add_argument("--json", action="store_true", help="print the groups as JSON")

    lang_help = "its language (found from the text if left out)"
    attach = command(
        faq_commands, "attach", _teach_command, help="add a question as a way of asking an entry"
    )
    attach.add_argument("entry", help="the entry's id, e.g. visa-type")
    out = command(faq_commands, "out-of-scope", _teach_command, help="add a question no entry answers")
    for teaching in (attach, out):
        teaching.add_argument("question", help="the question, as people asked it")
        teaching.add_argument("--lang", choices=[*LANGS, "arabizi"], help=lang_help)


def _ask_command(args: argparse.Namespace, settings: Settings) -> int:
    return _ask(settings, args)


def _check_command(args: argparse.Namespace, settings: Settings) -> int:
    return _check()


async def _dialogs_command(args: argparse.Namespace, settings: Settings) -> int:
    return _dialogs(args)


async def _faq_command(args: argparse.Namespace, settings: Settings) -> int:
    return _faq_eval(args)


async def _teach_command(args: argparse.Namespace, settings: Settings) -> int:
    from faq.editing import add_question, question_key
    from faq.language import detect_language
    from faq.text import normalize

    entry: str | None = getattr(args, "entry", None)
    key = args.lang or question_key(
        args.question, detect_language(args.question, normalize(args.question)).value
    )
    added = add_question(args.question, key, entry)
    where = f"entry {added.faq_id}" if added.faq_id else "the questions no entry answers"
    print(f"added to {added.file}, {where} ({added.key}): {added.question}")
    print("The bot uses it from its next start (`dt4e-bot run`).")
    return 0


async def _gaps_command(args: argparse.Namespace, settings: Settings) -> int:
    import json
    from datetime import UTC, datetime, timedelta

    from bot.app import open_store
    from faq.gaps import group
    from storage.desk import SqlStaffData

    if args.days < 1 or args.top < 1:
        raise UsageError("--days and --top must be at least 1")
    since = datetime.now(UTC) - timedelta(days=args.days)
    async with open_store(settings) as store:
        asked = await SqlStaffData(store).unanswered(since)
    grouped = group(asked)
    gaps = grouped[: args.top]
    if args.json:
        for gap in gaps:
            print(
                json.dumps(
                    {
                        "question": gap.example,
                        "count": gap.count,
                        "languages": gap.languages,
                        "reasons": gap.reasons,
                        "closest": gap.closest,
                        "also": gap.wordings(),
                    },
                    ensure_ascii=False,
                )
            )
        return 0
    if not gaps:
        print(f"nothing unanswered in the last {args.days} days")
        return 0
    print(f"{len(asked)} unanswered in the last {args.days} days, in {len(grouped)} groups; the largest:")
    for gap in gaps:
        languages = ", ".join(f"{lang} {n}" for lang, n in gap.languages.items())
        reasons = ", ".join(f"{reason} {n}" for reason, n in gap.reasons.items())
        print(f"\n{gap.count:>4} × {gap.example or '(a 👎 on an answer, question not known)'}")
        print(f"       {languages}; {reasons}")
        if gap.closest:
            print(f"       closest: {', '.join(gap.closest)}")
        for other in gap.wordings():
            print(f"       also: {other}")
    return 0


def _ask(settings: Settings, args: argparse.Namespace) -> int:
    import json

    from bot.basics.i18n import Catalogues
    from bot.core.context import Context
    from bot.core.inbound import clean_text
    from bot.core.replies import decide
    from faq.assistant import FaqAssistant

    if not args.jsonl and not args.question:
        raise UsageError("ask needs a QUESTION, or --jsonl with questions on standard input")
    # Only what an answer needs: no dialogs, no chat commands, no channel (start-up time).
    context = Context(
        i18n=Catalogues(),
        default_language=settings.default_language,
        faq=FaqAssistant.load(),
        contact=settings.contact,
        commands=(),
    )
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
    """Every part is checked even when one fails, and every fault is printed, one per line."""
    from bot.app import load_content
    from bot.basics.errors import ContentError, ContentErrors
    from bot.basics.i18n import Catalogues
    from faq.knowledge import load_knowledge

    def catalogues() -> str:
        Catalogues()
        return "translation catalogues (ar, en, fr)"

    def faq() -> str:
        knowledge = load_knowledge()
        small_talk = "small talk" if knowledge.small_talk else "no small talk file"
        return f"FAQ: {len(knowledge)} entries, {len(knowledge.synonyms)} synonym groups, {small_talk}"

    def dialogs() -> str:
        library = load_content()
        talents, everyone = len(library.modules()), len(library.modules(None))
        return (
            f"dialogs: {talents} modules for talents, {everyone - talents} for employers, "
            f"{len(library.surveys())} surveys"
        )

    faults: list[ContentError] = []
    for part in (catalogues, faq, dialogs):
        try:
            print(f"ok: {part()}")
        except ContentError as fault:
            faults.extend(fault.faults if isinstance(fault, ContentErrors) else [fault])
    if faults:
        raise ContentErrors.of(faults)
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
                {
                    name: _without_confusions(report.to_dict()) if args.figures_only else report.to_dict()
                    for name, report in reports.items()
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for name, report in reports.items():
            print(f"== {name}")
            print(format_report(report, confusions=not args.figures_only))
            print()
    return 0


def _without_confusions(report: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in report.items() if key != "confusions"}
