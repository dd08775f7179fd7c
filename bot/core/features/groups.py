"""Groups: the bot is a private assistant. Added to a group, it says so once (what people tell
it stays between them and the programme team) and answers nothing there; in the staff chat it
says what it will post. Messages in groups never reach the core (the channel drops them)."""

from __future__ import annotations

from bot.core.scope import Scope
from bot.core.state import ConversationState


def added(state: ConversationState, scope: Scope) -> ConversationState:
    _ = scope._
    if scope.ctx.staff_chat == scope.inbound.user:
        scope.say(_("Hello! I will post the programme team's notifications here."))
        return state
    scope.say(
        _(
            "Hello! I am the DT4E assistant, and I answer in private chats only, so that what "
            "people tell me stays between them and the DT4E team. To ask me something, open a "
            "private chat with me and press Start."
        )
    )
    return state
