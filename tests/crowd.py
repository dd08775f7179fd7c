"""Many participants at once, connected to the bot on Telegram, written straight into the
database (what thousands of invitation links opened over months leave behind): for the broadcast
tests and the broadcast benchmark."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from storage.models import Participant, User

FIRST_CHAT = 500_000
ZONES = ("Asia/Amman", "Asia/Beirut", "Europe/Brussels", "Europe/Paris", "Europe/Bratislava")
LANGS = ("ar", "en", "fr")
_CHUNK = 2_000


def chats(count: int, first: int = FIRST_CHAT) -> list[int]:
    return list(range(first, first + count))


async def connect_crowd(
    engine: AsyncEngine,
    count: int,
    *,
    first: int = FIRST_CHAT,
    cohort: str = "crowd",
    zones: Sequence[str] = ZONES,
    at: datetime | None = None,
) -> list[int]:
    """``count`` talents ``C-<chat>`` bound to Telegram chats ``first``, ``first + 1``, ...;
    returns the chat ids."""
    at = at or datetime.now(UTC)
    ids = chats(count, first)
    zone = itertools.cycle(zones)
    lang = itertools.cycle(LANGS)
    for start in range(0, count, _CHUNK):
        chunk = ids[start : start + _CHUNK]
        async with engine.begin() as conn:
            users = [
                {"channel": "telegram", "external_id": str(chat), "language": next(lang), "created_at": at,
                 "updated_at": at}
                for chat in chunk
            ]  # fmt: skip
            await conn.execute(sa.insert(User), users)
            found = await conn.execute(
                sa.select(col(User.id), col(User.external_id)).where(
                    col(User.external_id).in_([str(c) for c in chunk])
                )
            )
            by_chat = {int(external): user_id for user_id, external in found.all()}
            await conn.execute(
                sa.insert(Participant),
                [
                    {
                        "reference": f"C-{chat}",
                        "role": "talent",
                        "cohort": cohort,
                        "timezone": next(zone),
                        "user_id": by_chat[chat],
                        "bound_at": at,
                        "created_at": at,
                        "updated_at": at,
                    }
                    for chat in chunk
                ],
            )
    return ids
