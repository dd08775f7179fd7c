"""Flood control: someone who sends many messages at once (a paste split in pieces, a stuck key,
a script) gets one polite "slow down", then no reply until the burst is over, so a burst is never
answered by a bigger one. It is their own state: nobody else is slowed."""

from __future__ import annotations

from datetime import timedelta

from bot.core.scope import Scope
from bot.core.state import ConversationState

WINDOW = timedelta(seconds=10)
"""At most ``Context.flood_limit`` typed messages within this are answered (``DT4E_FLOOD_LIMIT``)."""


def admitted(state: ConversationState, scope: Scope) -> tuple[ConversationState, bool]:
    """Whether this typed message is answered, and the state that counts it."""
    limit = scope.ctx.flood_limit
    if limit <= 0:
        return state, True
    at = scope.inbound.at
    recent = (*(t for t in state.recent_at if timedelta(0) <= at - t < WINDOW), at)
    if len(recent) <= limit:
        return state.model_copy(update={"recent_at": recent, "slowed": False}), True
    if not state.slowed:
        scope.say(
            scope._(
                "You are sending many messages at once. I answer them one at a time: please wait "
                "a moment for my answers, then write again."
            )
        )
    return state.model_copy(update={"recent_at": recent[-limit:], "slowed": True}), False
