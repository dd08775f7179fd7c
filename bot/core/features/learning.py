"""Learning from what the bot could not answer: ``/gaps [DAYS]`` for staff shows the largest
groups of unanswered questions (see :mod:`faq.gaps`), each with buttons to teach the bot: add
the question as one more way of asking its closest entry, or as a question no entry answers.
The desk writes it into the content file, checked like ``dt4e-bot check``
(:mod:`faq.editing`), and the bot uses it at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.basics.buttons import Button, ButtonData
from bot.basics.lang import Lang
from bot.core.context import Context
from bot.core.events import ReplyCreated, StaffAsked
from bot.core.features import menu
from bot.core.requests import GapsRequest, TeachRequest
from bot.core.scope import Scope, reply
from bot.core.state import ConversationState
from faq.gaps import Gap

GAPS_SHOWN = 10
TAUGHT_SHOWN = 5
"""How many of the groups shown get buttons to teach the bot."""

NOT_OURS = "-"
""":attr:`TeachButton.faq_id` of "no entry answers it" (never an entry's id)."""


@dataclass(frozen=True, slots=True)
class TeachButton(ButtonData, prefix="gq"):
    """Teach the bot the unanswered question ``question_id``: as a way of asking ``faq_id``, or
    (:data:`NOT_OURS`) as a question no entry answers."""

    question_id: int
    faq_id: str


def gaps(state: ConversationState, scope: Scope) -> ConversationState:
    """``/gaps [DAYS]`` (30 days unless a number of days follows, up to a year)."""
    days = int(scope.payload) if scope.payload.isdigit() else 30
    scope.record(StaffAsked(GapsRequest(max(1, min(days, 366))), scope.lang))
    return state


def teach(state: ConversationState, scope: Scope, pressed: TeachButton) -> ConversationState:
    """A teaching button of ``/gaps``: staff only (anyone else gets the unknown-command line)."""
    if not scope.staff:
        return menu.run(state, scope, None)
    faq_id = None if pressed.faq_id == NOT_OURS else pressed.faq_id
    scope.record(StaffAsked(TeachRequest(pressed.question_id, faq_id), scope.lang))
    return state


def gaps_reply(ctx: Context, lang: Lang, days: int, asked: int, groups: Sequence[Gap]) -> ReplyCreated:
    """The largest groups of what the bot could not answer, with the entries closest to each,
    and for the first few, buttons to teach it (numbered as the groups)."""
    _ = ctx.i18n.for_lang(lang)
    # TRANSLATORS: the period in the /gaps reply; in "the last {days} days", {days} is from 2 to 366.
    period = _("the last 24 hours") if days == 1 else _("the last {days} days").format(days=days)
    if not groups:
        # TRANSLATORS: {period} is "the last 24 hours" or "the last N days" (translated).
        return reply(lang, _("Nothing went unanswered in {period}.").format(period=period))
    lines = [
        # TRANSLATORS: {period} is "the last 24 hours" or "the last N days"; {asked} is the number of
        # unanswered questions, {groups} the number of groups of similar ones.
        _("Unanswered in {period}: {asked} (in {groups} groups). The largest:").format(
            period=period, asked=asked, groups=len(groups)
        )
    ]
    buttons: list[list[Button]] = []
    for number, gap in enumerate(groups[:GAPS_SHOWN], 1):
        languages = ", ".join(f"{code} {n}" for code, n in gap.languages.items())
        # TRANSLATORS: shown between « » in place of a question that is not known;
        # 👎 is the button that rates an answer.
        question = gap.example or _("(a 👎 on an answer; the question is not known)")
        lines.append(f"\n{number}. {gap.count} × «{question}» ({languages})")
        closest = [faq_id for faq_id in gap.closest if ctx.faq is not None and faq_id in ctx.faq]
        if closest and ctx.faq is not None:
            labels = "; ".join(ctx.faq.label(faq_id, lang) for faq_id in closest)
            # TRANSLATORS: {labels} are the labels (first questions) of the closest FAQ entries,
            # separated by "; ".
            lines.append(_("Closest answers: {labels}").format(labels=labels))
        example = gap.example_id
        if number <= TAUGHT_SHOWN and example and ctx.faq is not None:
            row = [
                TeachButton(example, f).button(f"{number} ➕ {ctx.faq.label(f, lang)}") for f in closest[:1]
            ]
            row.append(TeachButton(example, NOT_OURS).button(f"{number} 🚫 " + _("Not for this bot")))
            buttons.append(row)
    if buttons:
        lines.append(
            "\n"
            # TRANSLATORS: ➕ and 🚫 are on the buttons above: keep them;
            # "dt4e-bot faq attach" is a server command: keep it as it is.
            + _(
                "➕ teaches me the question as a way of asking that answer; 🚫 as a question I should "
                "say I cannot answer. Other answers: dt4e-bot faq attach (on the server)."
            )
        )
    # TRANSLATORS: "dt4e-bot faq gaps" is a server command: keep it as it is.
    lines.append("\n" + _("All of them, as a list: dt4e-bot faq gaps (on the server)."))
    return reply(lang, "\n".join(lines), buttons)


def taught_reply(ctx: Context, lang: Lang, question: str, faq_id: str | None, error: str) -> ReplyCreated:
    """What the desk did with a teaching button: added (to ``faq_id``, or as not ours), or not."""
    _ = ctx.i18n.for_lang(lang)
    if not question:
        return reply(lang, _("That question is no longer kept (it was erased or is too old)."))
    if error:
        # TRANSLATORS: {error} is why it was not added: a message in English from the content check.
        return reply(lang, _("Not added: {error}").format(error=error))
    if faq_id is None:
        # TRANSLATORS: {question} is a question as someone typed it: keep it between « ».
        text = _("Added «{question}» to the questions I say I cannot answer. I use it from now on.")
        return reply(lang, text.format(question=question))
    label = ctx.faq.label(faq_id, lang) if ctx.faq is not None and faq_id in ctx.faq else faq_id
    # TRANSLATORS: {question} is a question as someone typed it: keep it between « »; {label} is the label
    # (first question) of an FAQ entry.
    text = _("Added «{question}» as a way of asking “{label}”. I use it from now on.")
    return reply(lang, text.format(question=question, label=label))
