"""Invitation links: ``https://t.me/<bot>?start=<token>`` binds the account to a participant,
or makes it programme staff; a used, expired or unknown link binds nothing and says so.

The service finds the token in the turn's transaction and hands the outcome over as an
:class:`~bot.core.inbound.InvitationOpened`; this feature words the reply and keeps what the
rest of the conversation needs in the state (the reference, the role, the language)."""

from __future__ import annotations

from typing import assert_never

from bot.core.features import menu, onboarding, privacy
from bot.core.inbound import Invitation, InvitationRefused, JoinedAsParticipant, JoinedAsStaff, Refusal
from bot.core.scope import Scope
from bot.core.state import ConversationState, Role


def opened(state: ConversationState, scope: Scope, outcome: Invitation) -> ConversationState:
    _ = scope._
    match outcome:
        case JoinedAsParticipant(reference=reference, role=role, language=language):
            language = language or state.language
            state = state.model_copy(
                update={"participant": reference, "role": Role(role), "language": language, "awaiting": None}
            )
            if language is not None:
                scope.switch(language)
                _ = scope._
            if state.role is Role.EMPLOYER:
                welcome = _(
                    "Welcome! This chat is now linked to your company's participation in the DT4E "
                    "programme. The DT4E team may send you short monitoring surveys here, and you "
                    "can ask me anything about costs, obligations and the procedure."
                )
            else:
                welcome = _(
                    "Welcome! This chat is now linked to your place in the DT4E programme. The DT4E "
                    "team may send you short follow-up surveys here, and you can ask me anything "
                    "about the programme."
                )
            state, welcome = privacy.with_notice(state, scope, welcome)
            scope.say(welcome)
        case JoinedAsStaff():
            state = state.model_copy(update={"staff": True})
            scope.staff = True
            scope.say(
                # TRANSLATORS: /help is a command: keep it as it is.
                _(
                    "Welcome! You are now registered as DT4E programme staff. "
                    "Send /help to see what you can do."
                )
            )
        case InvitationRefused(reason=reason):
            scope.say(_refusal(scope, reason))
            return onboarding.start(state, scope)
        case _:
            assert_never(outcome)
    if state.language is None:
        return onboarding.choose_language(state, scope)
    return menu.show_menu(state, scope)


def _refusal(scope: Scope, reason: Refusal) -> str:
    _ = scope._
    if reason is Refusal.USED:
        return _(
            "This invitation link has already been used. If it was not you, please ask the DT4E team "
            "for a new one."
        )
    if reason is Refusal.EXPIRED:
        return _("This invitation link has expired. Please ask the DT4E team for a new one.")
    return _("I do not recognise this invitation link. Please check it, or ask the DT4E team for a new one.")
