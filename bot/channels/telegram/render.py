"""Replies as Telegram messages, within Telegram's limits: texts split without breaking words,
paragraphs or isolates, the buttons under the last part, files after."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from bot.basics.buttons import Button
from bot.core.bidi import FSI, PDI
from bot.core.events import Attachment, ReplyCreated

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096
"""Characters in one message."""
CAPTION_LIMIT = 1024
"""Characters in a file's caption."""
BUTTON_DATA_BYTES = 64
"""Bytes of data an inline button carries (``callback_data``)."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One Bot API message: a text (with its inline keyboard), or a file with a caption; with
    ``edits``, the change of the bot's message of that id into it (its text and keyboard, or
    only its keyboard when ``text`` is empty)."""

    text: str = ""
    buttons: tuple[tuple[Button, ...], ...] = ()
    attachment: Attachment | None = None
    edits: int = 0


def render(reply: ReplyCreated, limit: int = TEXT_LIMIT) -> list[Outgoing]:
    """A reply as Telegram messages: its text split at paragraph breaks to fit ``limit``, the
    buttons under the last part (a button whose data Telegram would refuse is left out, with
    an error logged), then its attachments. A notice is no message (the bridge shows it over
    the chat); an edit changes the message it names with its first part."""
    if reply.notice:
        return []
    if reply.edits and not reply.text.strip():
        return [Outgoing(buttons=_fitting(reply.buttons), edits=reply.edits)]
    chunks = [chunk for chunk in split_text(reply.text, limit) if chunk.strip()]
    messages = [Outgoing(text=chunk) for chunk in chunks]
    if messages and reply.buttons:
        messages[-1] = Outgoing(text=messages[-1].text, buttons=_fitting(reply.buttons))
    if messages and reply.edits:
        messages[0] = replace(messages[0], edits=reply.edits)
    messages += [Outgoing(attachment=attachment) for attachment in reply.attachments]
    return messages


def _fitting(rows: tuple[tuple[Button, ...], ...]) -> tuple[tuple[Button, ...], ...]:
    kept = []
    for row in rows:
        fits = tuple(b for b in row if len(b.data.encode()) <= BUTTON_DATA_BYTES)
        for button in row:
            if button not in fits:
                log.error("left out the button %r: its data is over %d bytes", button.data, BUTTON_DATA_BYTES)
        if fits:
            kept.append(fits)
    return tuple(kept)


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split ``text`` into chunks of at most ``limit`` characters: at paragraph breaks first,
    then at line breaks, then between words; a single word longer than the limit is cut. An
    isolate (right-to-left safety, :mod:`bot.core.bidi`) cut in two is closed at the end of one
    chunk and opened again at the start of the next, so each message is balanced."""
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    rest = text
    room = limit - 1  # one character kept for closing an isolate
    while len(rest) > limit:
        window = rest[: room + 1]
        cut = -1
        for separator in ("\n\n", "\n", " "):
            cut = window.rfind(separator, 0, room)
            if cut > 0:
                break
        if cut <= 0:
            cut = room
        chunk, rest = rest[:cut].rstrip(), rest[cut:].lstrip("\n ")
        if chunk.rfind(FSI) > chunk.rfind(PDI):  # an isolate left open: close it, open it again
            chunk, rest = chunk + PDI, FSI + rest
        if chunk:
            chunks.append(chunk)
    if rest.strip():
        chunks.append(rest)
    return chunks
