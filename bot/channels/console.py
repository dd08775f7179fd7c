"""The console channel: the same assistant in a terminal, or driven through a pipe.

Buttons are shown numbered under each reply; type the number or the button's text to press it.
A reply that changes the message whose button was pressed (a module's next step) is marked
``bot*`` (one that only takes an earlier message's buttons away is not shown), a short
acknowledgement of a press (a 👍 thanked) ``bot~``. With standard input a
pipe, each line is one message and the user's lines are echoed so the output reads as a
transcript::

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

_TYPED_SPACES = str.maketrans({"\u202f": " ", "\u00a0": " "})


def as_typed(label: str) -> str:
    """A label as a keyboard types it: no bidi controls, a plain space for French's narrow
    no-break space (before ? ! : ;), case folded."""
    return strip_bidi_controls(label).translate(_TYPED_SPACES).casefold()


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
        self.shown: list[tuple[Button, int]] = []
        """The buttons on screen (those of the last replies), each with the message it is under."""
        self._messages = 0
        self.keyboards: dict[int, list[Button]] = {}
        """Every message's buttons as they are now, by message number (for pressing a button
        of an earlier message, as one can on Telegram by scrolling up)."""

    @property
    def buttons(self) -> list[Button]:
        return [button for button, _ in self.shown]

    def inbound(self, line: str) -> Inbound:
        """A typed line: a button if it is a shown button's number or label, else text."""
        entered = line.strip()
        if entered.isdigit() and 1 <= int(entered) <= len(self.shown):
            return self.pressed(*self.shown[int(entered) - 1])
        for button, message in self.shown:
            if as_typed(entered) == as_typed(button.label):
                return self.pressed(button, message)
        return typed(line, user=self.user, at=self.clock(), language_hint=self.language_hint)

    def pressed(self, button: Button, message: int) -> ButtonPressed:
        """A press on ``button`` of the message numbered ``message``."""
        return ButtonPressed(
            user=self.user,
            at=self.clock(),
            data=button.data,
            language_hint=self.language_hint,
            message=message,
        )

    async def send(self, line: str) -> list[ReplyCreated]:
        """A line as the console reads it: a shown button's number or label presses it."""
        return await self.turn(self.inbound(line))

    async def type(self, line: str) -> list[ReplyCreated]:
        """A line as typed text, even when it is a button's label (as on Telegram)."""
        return await self.turn(typed(line, user=self.user, at=self.clock(), language_hint=self.language_hint))

    async def turn(self, inbound: Inbound) -> list[ReplyCreated]:
        replies = await self.service.handle(inbound)
        self.show(replies)
        return replies

    def show(self, replies: list[ReplyCreated]) -> None:
        """Replies on screen (a turn's, or pushed): each new message numbered, the buttons of
        the last ones the ones to press (a turn with only a notice leaves them)."""
        shown: list[tuple[Button, int]] = []
        messages = [reply for reply in replies if not reply.notice]
        for reply in messages:
            message = reply.edits
            if not message:
                self._messages += 1
                message = self._messages
            self.keyboards[message] = [b for row in reply.buttons for b in row]
            shown += [(b, message) for b in self.keyboards[message]]
        if messages:
            self.shown = shown

    def render(self, replies: list[ReplyCreated]) -> str:
        lines: list[str] = []
        number = 0
        for reply in replies:
            if reply.edits and not reply.text and not reply.buttons:
                continue  # an earlier message losing its buttons: nothing new to show
            body = reply.text.replace("\n", "\n     ")
            mark = "~" if reply.notice else "*" if reply.edits else ">"
            lines.append(f"bot{mark} {body}".rstrip())
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
            if rendered := self.render(replies):
                print(rendered, file=stdout, flush=True)
