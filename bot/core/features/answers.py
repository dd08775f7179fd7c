"""FAQ replies: a question answered, "did you mean", an honest "I do not know", small talk,
and 👍 / 👎 on an answer.

A 👍 / 👎 counts only under an answer the bot gave this person, lately (the last
:data:`RATEABLE` answers shown), once per answer shown, and the other one pressed later changes
the vote: the state keeps the answers shown and not yet rated, and the last votes given. Any
other press (forged button data, an answer long gone) is an expired button and records nothing,
so nobody can fill the programme team's lists by replaying presses.

:func:`decide` is the one reply decision, used by the chat and by ``dt4e-bot ask --json``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from bot.basics.buttons import Button, ButtonData
from bot.basics.lang import Lang
from bot.core.context import Context
from bot.core.events import FeedbackGiven, QuestionUnanswered
from bot.core.features import menu
from bot.core.replies import (
    FaqReply,
    ReplyKind,
    answer_text,
    contact_text,
    decide,
    small_talk_text,
    unknown_text,
)
from bot.core.scope import Scope
from bot.core.state import ConversationState, Role
from faq.smalltalk import Social

__all__ = ["FaqReply", "ReplyKind", "answer_text", "contact_text", "decide", "small_talk_text"]


@dataclass(frozen=True, slots=True)
class FaqButton(ButtonData, prefix="faq"):
    """Show this entry's answer (a related question, a "did you mean" suggestion), in the
    language of the message the button is under (``None``: an older button, the person's)."""

    faq_id: str
    lang: Lang | None = None


@dataclass(frozen=True, slots=True)
class FeedbackButton(ButtonData, prefix="fb"):
    faq_id: str
    helpful: bool
    lang: Lang | None = None
    """The answer's language: the thanks and the answer's buttons stay in it."""


RATEABLE = 10
"""How many of the answers last shown to a person can still be rated."""

RECENT = 3
"""How many of the person's last questions are kept, to go with a request for a person."""

FOR_EVERYONE = "both"
"""The audience of an entry written for talents and employers alike (``faq/content``)."""


def for_role(ctx: Context, faq_ids: Iterable[str], role: Role | None) -> list[str]:
    """The entries of ``faq_ids`` that suit ``role``: all of them for an unknown role, else
    those not written for the other role only (an employer is not offered "Can my family
    join me later?")."""
    faq = ctx.faq
    assert faq is not None
    known = [f for f in faq_ids if f in faq]
    if role is None:
        return known
    return [f for f in known if faq.audience(f) in (FOR_EVERYONE, role.value)]


def _offered(ctx: Context, reply: FaqReply, role: Role | None) -> FaqReply:
    """The reply as offered to someone of ``role``: "did you mean" keeps the suggestions that
    suit the role, and with none left it is an honest "I do not know"."""
    suggestions = tuple(for_role(ctx, reply.suggestions, role))
    if reply.kind is ReplyKind.UNSURE and not suggestions:
        return replace(reply, kind=ReplyKind.UNKNOWN, text=unknown_text(ctx, reply.lang), suggestions=())
    return replace(reply, suggestions=suggestions)


def _ask_person(scope: Scope) -> Button:
    return menu.button(scope, "human", scope._("Ask a person"))


def answer(state: ConversationState, scope: Scope, text: str) -> ConversationState:
    """A question in words: answer it, offer the closest entries, or say so honestly."""
    ctx = scope.ctx
    if ctx.faq is None:
        scope.say(
            # TRANSLATORS: /help is a command: keep it as it is.
            scope._("I am still learning and cannot answer questions yet. Send /help to see what I can do.")
        )
        return state
    match = ctx.faq.match(
        text,
        preferred=state.language,
        hint=Lang.parse(scope.inbound.language_hint),
        audience=state.role.value if state.role else None,
    )
    reply = _offered(ctx, decide(ctx, match), state.role)
    scope.switch(reply.lang)
    if reply.kind is ReplyKind.SMALL_TALK:
        scope.say(reply.text)
        if reply.match.social is Social.GREETING:
            menu.show_menu(state, scope)
        return state
    faq_id = reply.match.faq_id
    answered = faq_id if reply.kind is ReplyKind.ANSWER and faq_id else ""
    recent = (*state.recent, (text, answered))[-RECENT:]
    state = state.model_copy(update={"last_question": text, "last_faq_id": faq_id or "", "recent": recent})
    if reply.kind is ReplyKind.ANSWER:
        assert faq_id is not None
        return _show(state, scope, faq_id, reply.text)
    if reply.kind is ReplyKind.UNSURE:
        rows = [[FaqButton(s, scope.lang).button(ctx.faq.label(s, scope.lang))] for s in reply.suggestions]
        scope.say(reply.text, [*rows, [_ask_person(scope)]])
    else:
        scope.say(reply.text, [[_ask_person(scope), menu.button(scope, "main", scope._("Main menu"))]])
    candidates = tuple(c.faq_id for c in reply.match.candidates)
    reason = "unsure" if reply.kind is ReplyKind.UNSURE else "abstained"
    scope.record(QuestionUnanswered(text, scope.lang, reason, reply.match.score, candidates))
    return state


def _show(state: ConversationState, scope: Scope, faq_id: str, text: str) -> ConversationState:
    """An answer, with the related questions that suit the user's role as buttons, and 👍 / 👎
    (taken from now on: the answer is rateable)."""
    scope.say(text, _answer_rows(state, scope, faq_id))
    rateable = (*(f for f in state.rateable_faq_ids if f != faq_id), faq_id)[-RATEABLE:]
    return state.model_copy(update={"rateable_faq_ids": rateable})


def _answer_rows(
    state: ConversationState, scope: Scope, faq_id: str, voted: bool | None = None
) -> list[list[Button]]:
    """An answer's buttons: its related questions, then 👍 / 👎 (the one ``voted`` ticked)."""
    faq = scope.ctx.faq
    assert faq is not None
    related = for_role(scope.ctx, faq.related(faq_id), state.role)
    rows = [[FaqButton(r, scope.lang).button(faq.label(r, scope.lang))] for r in related]
    if faq.offers_modules(faq_id) and scope.ctx.dialogs is not None:
        rows.insert(0, [menu.button(scope, "modules", scope._("Pre-departure modules"))])
    up, down = ("👍 ✓", "👎") if voted is True else ("👍", "👎 ✓") if voted is False else ("👍", "👎")
    feedback = [
        FeedbackButton(faq_id, True, scope.lang).button(up),
        FeedbackButton(faq_id, False, scope.lang).button(down),
        _ask_person(scope),
    ]
    return [*rows, feedback]


def show_chosen(state: ConversationState, scope: Scope, faq_id: str) -> ConversationState:
    """A pressed related question or suggestion."""
    if scope.ctx.faq is None or faq_id not in scope.ctx.faq:
        return menu.expired(state, scope)
    state = state.model_copy(update={"last_faq_id": faq_id})
    return _show(state, scope, faq_id, answer_text(scope.ctx, faq_id, scope.lang))


def feedback(state: ConversationState, scope: Scope, pressed: FeedbackButton) -> ConversationState:
    """👍 / 👎 under an answer shown lately: stored with the question it answered, and
    acknowledged over the chat, the vote ticked on the answer's keyboard; the other one
    pressed later changes the vote (a 👎 taken back leaves the staff's list of gaps)."""
    _ = scope._
    if scope.ctx.faq is None or pressed.faq_id not in scope.ctx.faq:
        return menu.expired(state, scope)
    shown = pressed.faq_id in state.rateable_faq_ids  # shown again since rated: a new rating
    earlier = None if shown else state.votes.get(pressed.faq_id)
    if earlier is None and not shown:
        return menu.expired(state, scope)
    if earlier is pressed.helpful:
        scope.notify(_("You already rated this answer. Thank you!"))
        return state
    question = state.last_question if state.last_faq_id == pressed.faq_id else ""
    changed = earlier is not None
    scope.record(FeedbackGiven(pressed.faq_id, pressed.helpful, question, scope.lang, changed=changed))
    if pressed.helpful:
        scope.notify(
            _("Your rating is changed. Thank you!") if changed else _("Thank you for your feedback.")
        )
    else:
        scope.record(QuestionUnanswered(question, scope.lang, "not_helpful", 0, (pressed.faq_id,)))
        scope.notify(_("Thank you. I have passed your question on so the answer can be improved."))
    scope.restyle("", _answer_rows(state, scope, pressed.faq_id, voted=pressed.helpful))
    votes = {f: v for f, v in state.votes.items() if f != pressed.faq_id}
    votes = dict([*votes.items(), (pressed.faq_id, pressed.helpful)][-RATEABLE:])
    rateable = tuple(f for f in state.rateable_faq_ids if f != pressed.faq_id)
    return state.model_copy(update={"votes": votes, "rateable_faq_ids": rateable})
