"""One turn in the hands of a feature: what came in, the context, and the replies and events
being collected, in one language at a time."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.basics.buttons import Button
from bot.basics.lang import Lang
from bot.core.bidi import isolate_ltr_runs
from bot.core.events import Event, ReplyCreated
from bot.core.inbound import CommandSent, Inbound

if TYPE_CHECKING:
    from bot.core.context import Context
    from bot.core.state import ConversationState

Handler = Callable[["ConversationState", "Scope"], "ConversationState"]
"""What a feature does with a turn: read the state it needs, say things, return the new state."""


class Scope:
    def __init__(self, inbound: Inbound, ctx: Context, lang: Lang, *, staff: bool = False) -> None:
        self.inbound = inbound
        self.ctx = ctx
        self.events: list[Event] = []
        self.lang = lang
        self._ = ctx.i18n.for_lang(lang)
        self.staff = staff or inbound.user in ctx.staff
        """Programme staff: configured per channel (``DT4E_STAFF_IDS`` are Telegram ids, so a
        console user named like one is not staff), or joined through a staff invitation."""

    @property
    def payload(self) -> str:
        """What follows a command (``/start TOKEN``), or ``""``."""
        return self.inbound.payload if isinstance(self.inbound, CommandSent) else ""

    def switch(self, lang: Lang) -> None:
        """Answer in another language from here on (the question's, or a newly chosen one)."""
        self.lang, self._ = lang, self.ctx.i18n.for_lang(lang)

    def say(self, text: str, buttons: list[list[Button]] | None = None) -> None:
        """A reply in the current language (see :func:`reply`)."""
        self.events.append(reply(self.lang, text, buttons))

    def record(self, event: Event) -> None:
        """An event for the host to store (feedback, a result, an unanswered question ...)."""
        self.events.append(event)


def reply(lang: Lang, text: str, buttons: list[list[Button]] | None = None) -> ReplyCreated:
    """A message in ``lang``; Latin runs in Arabic are isolated (right-to-left safe), empty rows
    of buttons dropped."""
    if lang is Lang.AR:
        text = isolate_ltr_runs(text)
    rows = tuple(tuple(row) for row in (buttons or []) if row)
    return ReplyCreated(text=text, lang=lang, buttons=rows)
