"""Hand-over to a person (``/human``, "Ask a person", the same request in words).

With a staff chat configured (``DT4E_STAFF_CHAT_ID``), asking for a person opens a *case*: the
bot says so and posts the request to the staff chat with its context (language, role,
participant reference, the last questions) and two buttons, Take and Close. Until the case is
closed, what the person writes goes to the staff chat instead of to the FAQ; a staff member's
reply to one of the case's posts (Telegram's reply-to) reaches the person, marked as coming from
the DT4E team. Closing (a staff member's Close, or the person's "End") hands the person back to
the bot. One case per person at a time; several cases and staff members at once.

Every step is a turn of the *person's* conversation, so the case lives in their state (and, for
the staff's records and the erasure, in the database's ``cases``): the service routes a staff
member's reply or press to it (:func:`case_of_button`; the reply's post is looked up in the
database). Without a staff chat, the person is told how to reach the team (``DT4E_CONTACT``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

from bot.basics.buttons import Button, ButtonData
from bot.core.commands import N_
from bot.core.events import CaseClosed, CaseOpened, CaseTaken, StaffNotified
from bot.core.features.answers import contact_text
from bot.core.inbound import CaseUpdate, UserRef, clean_text
from bot.core.scope import Scope, reply
from bot.core.state import Case, ConversationState


class CaseAction(StrEnum):
    TAKE = "t"
    CLOSE = "c"


@dataclass(frozen=True, slots=True)
class CaseButton(ButtonData, prefix="hc"):
    """Take or Close, under a case's post in the staff chat: whose case (the person's channel
    and id) and which. Only a press in the staff chat counts (the channel passes no other);
    pressed anywhere else, it is unknown data."""

    channel: str
    user: str
    number: int
    action: CaseAction


@dataclass(frozen=True, slots=True)
class EndCaseButton(ButtonData, prefix="he"):
    """The person's "End the conversation with the team" for case ``number``."""

    number: int


def thread(user: UserRef, number: int) -> str:
    """What a case's posts carry (:attr:`~bot.core.events.ReplyCreated.thread`)."""
    return f"{user.key}#{number}"


def read_thread(text: str) -> tuple[UserRef, int] | None:
    """:func:`thread` read back, or ``None``."""
    key, _, number = text.rpartition("#")
    channel, _, user_id = key.partition(":")
    if not (channel and user_id and number.isdigit()):
        return None
    return UserRef(channel, user_id), int(number)


def case_of_button(data: str) -> tuple[UserRef, int] | None:
    """The case a staff-chat button belongs to, for the service to route the press."""
    button = CaseButton.unpack(data)
    return (UserRef(button.channel, button.user), button.number) if button is not None else None


def ask_a_person(state: ConversationState, scope: Scope) -> ConversationState:
    _ = scope._
    if scope.ctx.staff_chat is None:
        scope.say(
            # TRANSLATORS: {contact} is how to reach the team, as set up (DT4E_CONTACT), or if not set up,
            # the phrase "the organisation that gave you the link to this bot (...)".
            _("To ask a person from the programme team, please use: {contact}").format(
                contact=contact_text(scope.ctx, scope.lang)
            )
        )
        return state
    if state.case is not None:
        scope.say(
            _("You are already in touch with the DT4E team: write here and they will read it."),
            [[_end_button(scope, state.case.number)]],
        )
        return state
    number = state.cases_opened + 1
    user = scope.inbound.user
    role = state.role.value if state.role else ""
    scope.record(CaseOpened(number, scope.lang, role, state.participant))
    t, who = _staff(scope), _who(scope, state)
    roles = {"talent": N_("candidate"), "employer": N_("employer")}
    lines = [
        # TRANSLATORS: to the staff chat; {who} is "Participant <reference>" or "A guest (not a participant)",
        # {number} the person's case number (1, 2, ...); keep the 🙋.
        t(N_("🙋 {who} asks to talk to a person (case {number}).")).format(who=who, number=number),
        # TRANSLATORS: to the staff chat; {language} is a language code (ar, en or fr), {role} "candidate",
        # "employer" or "not chosen" (translated).
        t(N_("Language: {language}. Role: {role}.")).format(
            language=scope.lang.value, role=t(roles.get(role, N_("not chosen")))
        ),
    ]
    if state.recent:
        lines.append(t(N_("Last questions:")))
        lines += [f"• {question} → {faq_id or '?'}" for question, faq_id in state.recent]
    lines.append(t(N_("Reply to this message to answer; your reply reaches them as from the DT4E team.")))
    buttons = [
        [
            # TRANSLATORS: a button in the staff chat, to take the case; keep the ✋.
            CaseButton(user.channel, user.id, number, CaseAction.TAKE).button(t(N_("✋ Take"))),
            # TRANSLATORS: a button in the staff chat, to close the case; keep the ✅.
            CaseButton(user.channel, user.id, number, CaseAction.CLOSE).button(t(N_("✅ Close"))),
        ]
    ]
    _post(scope, "\n".join(lines), thread(user, number), buttons)
    scope.say(
        _(
            "I have passed your request to the DT4E team. A person will answer you here, in this chat. "
            "Until then, what you write goes to them, not to me."
        ),
        [[_end_button(scope, number)]],
    )
    return state.model_copy(update={"case": Case(number=number), "cases_opened": number})


def relay_to_staff(state: ConversationState, scope: Scope, text: str) -> ConversationState:
    """What the person writes while their case is open: posted to the staff chat."""
    assert state.case is not None
    t = _staff(scope)
    number = state.case.number
    # TRANSLATORS: to the staff chat, above what the person wrote; {number} is the case number;
    # {who} is "Participant <reference>" or "A guest (not a participant)"; keep the 💬.
    header = t(N_("💬 {who}, case {number}:")).format(who=_who(scope, state), number=number)
    _post(scope, f"{header}\n{text}", thread(scope.inbound.user, number))
    scope.say(scope._("Sent to the DT4E team."))
    return state


def end(state: ConversationState, scope: Scope, pressed: EndCaseButton) -> ConversationState:
    """The person's "End the conversation with the team"."""
    _ = scope._
    if state.case is None or state.case.number != pressed.number:
        scope.say(_("This conversation with the team has already ended."))
        return state
    scope.record(CaseClosed(pressed.number))
    t = _staff(scope)
    # TRANSLATORS: to the staff chat; {who} is "Participant <reference>" or "A guest (not a participant)",
    # {number} the case number.
    _post(scope, t(N_("{who} ended case {number}.")).format(who=_who(scope, state), number=pressed.number))
    scope.say(_("The conversation with the team has ended. You are talking to the assistant again."))
    return state.model_copy(update={"case": None})


def from_staff(state: ConversationState, scope: Scope, update: CaseUpdate) -> ConversationState:
    """A staff member's reply or button on the person's case ``update.number``: the person's
    turn, in their language; what the staff chat is told is in the deployment's."""
    _ = scope._
    t = _staff(scope)
    case = state.case
    who, name = _who(scope, state), update.staff_name
    if case is None or case.number != update.number:
        # TRANSLATORS: to the staff chat; {number} is the case number,
        # {who} is "Participant <reference>" or "A guest (not a participant)".
        closed = t(N_("Case {number} of {who} is closed: nothing was passed on."))
        _post(scope, closed.format(number=update.number, who=who))
        return state
    button = CaseButton.unpack(update.data) if update.data else None
    if button is None:
        text = clean_text(update.text)
        if not text:
            return state
        # TRANSLATORS: above what a staff member wrote to the person; keep the 💬.
        scope.say(_("💬 The DT4E team:") + "\n" + text)
        return _taken(state, scope, case, name) if not case.taken_by else state
    if button.action is CaseAction.CLOSE:
        scope.record(CaseClosed(case.number, name))
        # TRANSLATORS: staff chat, keep the ✅; {name} is the first name of the staff member who closed it,
        # {number} the case number, {who} "Participant <reference>" or "A guest (not a participant)".
        closed = t(N_("✅ {name} closed case {number} of {who}."))
        _post(scope, closed.format(name=name, number=case.number, who=who))
        scope.say(
            # TRANSLATORS: /human is a command: keep it as it is.
            _(
                "The DT4E team has closed this conversation. You are talking to the assistant again; "
                "send /human to reach the team another time."
            )
        )
        return state.model_copy(update={"case": None})
    if case.taken_by:
        # TRANSLATORS: to the staff chat; {name} is the first name of the staff member who took it,
        # {number} the case number, {who} "Participant <reference>" or "A guest (not a participant)".
        taken = t(N_("Case {number} of {who} is already taken by {name}."))
        _post(scope, taken.format(number=case.number, who=who, name=case.taken_by))
        return state
    # TRANSLATORS: to the staff chat; {name} is the first name of the staff member who took it,
    # {number} the case number, {who} "Participant <reference>" or "A guest (not a participant)"; keep the ✋.
    took = t(N_("✋ {name} took case {number} of {who}."))
    _post(scope, took.format(name=name, number=case.number, who=who))
    scope.say(_("A member of the DT4E team is looking at your request and will answer here."))
    return _taken(state, scope, case, name)


def _taken(state: ConversationState, scope: Scope, case: Case, name: str) -> ConversationState:
    scope.record(CaseTaken(case.number, name))
    return state.model_copy(update={"case": case.model_copy(update={"taken_by": name})})


def _end_button(scope: Scope, number: int) -> Button:
    return EndCaseButton(number).button(scope._("End the conversation with the team"))


def _staff(scope: Scope) -> Callable[[str], str]:
    """Translations for the staff chat: the deployment's language (``DT4E_DEFAULT_LANGUAGE``)."""
    return scope.ctx.i18n.for_lang(scope.ctx.default_language)


def _who(scope: Scope, state: ConversationState) -> str:
    """The person as the staff chat names them: their participant reference, never their
    Telegram name or number."""
    t = _staff(scope)
    if state.participant:
        # TRANSLATORS: to the staff chat; {reference} is the participant's reference (such as T-0001).
        return t(N_("Participant {reference}")).format(reference=state.participant)
    return t(N_("A guest (not a participant)"))


def _post(scope: Scope, text: str, thread_key: str = "", buttons: list[list[Button]] | None = None) -> None:
    chat = scope.ctx.staff_chat
    if chat is not None:
        message = replace(reply(scope.ctx.default_language, text, buttons), thread=thread_key)
        scope.record(StaffNotified(chat, message))
