"""Hand-over to a person (``/human``, "Ask a person"): for now, how to reach the programme
team; cases passed to a staff chat will live here."""

from __future__ import annotations

from bot.core.features.answers import contact_text
from bot.core.scope import Scope
from bot.core.state import ConversationState


def ask_a_person(state: ConversationState, scope: Scope) -> ConversationState:
    scope.say(
        scope._("To ask a person from the programme team, please use: {contact}").format(
            contact=contact_text(scope.ctx, scope.lang)
        )
    )
    return state
