"""One turn in the hands of a feature: what came in, the context, and the replies and events
being collected, in one language at a time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.basics.buttons import Button
from bot.basics.lang import Lang
from bot.core.bidi import isolate_ltr_runs
from bot.core.events import Event, ReplyCreated
from bot.core.inbound import ButtonPressed, CommandSent, Inbound

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
        self._in_place = 0

    @property
    def payload(self) -> str:
        """What follows a command (``/start TOKEN``), or ``""``."""
        return self.inbound.payload if isinstance(self.inbound, CommandSent) else ""

    def switch(self, lang: Lang) -> None:
        """Answer in another language from here on (the question's, or a newly chosen one)."""
        self.lang, self._ = lang, self.ctx.i18n.for_lang(lang)

    @property
    def pressed(self) -> int:
        """The channel's id of the message whose button was pressed, when it can still be
        changed; ``0`` otherwise (typed input, a message too old)."""
        return self.inbound.message if isinstance(self.inbound, ButtonPressed) else 0

    def in_place(self) -> None:
        """The next :meth:`say` changes the message whose button was pressed into the reply
        (a module's next step, a survey's next question), instead of adding a message."""
        self._in_place = self.pressed

    def say(self, text: str, buttons: list[list[Button]] | None = None) -> None:
        """A reply in the current language (see :func:`reply`)."""
        made = reply(self.lang, text, buttons)
        if self._in_place:
            made, self._in_place = replace(made, edits=self._in_place), 0
        self.events.append(made)

    def restyle(self, text: str = "", buttons: list[list[Button]] | None = None) -> None:
        """Change the pressed message: its text (``""``: keep it) and its buttons (none: the
        keyboard goes, so that an answered question no longer looks alive)."""
        if self.pressed:
            self.events.append(replace(reply(self.lang, text, buttons), edits=self.pressed))

    def notify(self, text: str) -> None:
        """A short acknowledgement of the button press, shown over the chat (not a message)."""
        self.events.append(replace(reply(self.lang, text), notice=True))

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
