"""Fitting replies to a channel's limits, without breaking words, paragraphs or isolates."""

from __future__ import annotations

from bot.core.bidi import FSI, PDI

TELEGRAM_TEXT_LIMIT = 4096


def split_text(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Split ``text`` into chunks of at most ``limit`` characters: at paragraph breaks first,
    then at line breaks, then between words; a single word longer than the limit is cut."""
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = -1
        for separator in ("\n\n", "\n", " "):
            cut = window.rfind(separator, 0, limit)
            if cut > 0:
                break
        if cut <= 0:
            cut = limit
            # Do not cut between a Unicode isolate and its closing mark.
            opened = rest[:cut].rfind(FSI)
            if opened > rest[:cut].rfind(PDI) and opened > 0:
                cut = opened
        chunk, rest = rest[:cut].rstrip(), rest[cut:].lstrip("\n ")
        if chunk:
            chunks.append(chunk)
    if rest.strip():
        chunks.append(rest)
    return chunks
