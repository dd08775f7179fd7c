"""The console channel: the same assistant in a terminal, or driven through a pipe.

Buttons are shown numbered under each reply; type the number or the button's text to press it.
With standard input a pipe, each line is one message and the user's lines are echoed so the
output reads as a transcript::

    printf '/start\\n2\\n1\\n' | dt4e-bot chat
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO

from bot.basics.buttons import Button
from bot.core.bidi import strip_bidi_controls
from bot.core.events import ReplyCreated
from bot.core.inbound import ButtonPressed, Inbound, UserRef, typed
from bot.service import ConversationService

CHANNEL = "console"


def _now() -> datetime:
    return datetime.now(UTC)


class ConsoleChannel:
    def __init__(
        self,
        service: ConversationService,
        user: str,
        *,
        language_hint: str | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.service = service
        self.user = UserRef(CHANNEL, user)
        self.language_hint = language_hint
        self.clock = clock
        self.buttons: list[Button] = []

    def inbound(self, line: str) -> Inbound:
        """A typed line: a button if it is a shown button's number or label, else text."""
        entered = line.strip()
        choice = None
        if entered.isdigit() and 1 <= int(entered) <= len(self.buttons):
            choice = self.buttons[int(entered) - 1].data
        else:
            for button in self.buttons:
                if entered.casefold() == strip_bidi_controls(button.label).casefold():
                    choice = button.data
                    break
        if choice is not None:
            return ButtonPressed(
                user=self.user, at=self.clock(), data=choice, language_hint=self.language_hint
            )
        return typed(line, user=self.user, at=self.clock(), language_hint=self.language_hint)

    async def send(self, line: str) -> list[ReplyCreated]:
        replies = await self.service.handle(self.inbound(line))
        shown = [b for reply in replies for row in reply.buttons for b in row]
        if shown or replies:
            self.buttons = shown
        return replies

    def render(self, replies: list[ReplyCreated]) -> str:
        lines: list[str] = []
        number = 0
        for reply in replies:
            body = reply.text.replace("\n", "\n     ")
            lines.append(f"bot> {body}")
            for row in reply.buttons:
                cells = []
                for button in row:
                    number += 1
                    cells.append(f"[{number}] {button.label}")
                lines.append("     " + "   ".join(cells))
        return "\n".join(lines)

    async def run(self, stdin: TextIO, stdout: TextIO, *, echo: bool) -> None:
        """Read lines until end of input; reply to each."""
        while True:
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                break
            line = line.rstrip("\n")
            if echo:
                print(f"you> {line}", file=stdout)
            replies = await self.send(line)
            print(self.render(replies), file=stdout, flush=True)
