"""Collecting the replies of one turn, in one language at a time."""

from __future__ import annotations

from bot.core.bidi import isolate_ltr_runs
from bot.core.context import Context
from bot.core.types import Button, Event, Lang, ReplyCreated


class Replies:
    """Collects the replies of one turn in one language, isolating Latin runs in Arabic."""

    def __init__(self, lang: Lang, ctx: Context) -> None:
        self.lang = lang
        self._ = ctx.i18n.for_lang(lang)
        self.events: list[Event] = []

    def switch(self, lang: Lang, ctx: Context) -> None:
        """Answer in another language from here on (the question's, or a newly chosen one)."""
        self.lang, self._ = lang, ctx.i18n.for_lang(lang)

    def say(self, text: str, buttons: list[list[Button]] | None = None) -> None:
        if self.lang is Lang.AR:
            text = isolate_ltr_runs(text)
        rows = tuple(tuple(row) for row in (buttons or []) if row)
        self.events.append(ReplyCreated(text=text, lang=self.lang, buttons=rows))
