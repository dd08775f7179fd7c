"""Survey pushes: an audience, one recipient each, and the queue the running bot sends from.

A recipient goes pending → sending (claimed, about to be handed to Telegram) → sent, failed (with
its reason) or unreachable; one not connected to the bot yet, or who declined surveys, is skipped
at once. A recipient a crash left "sending" is not sent again (a prompt goes out at most once):
it is marked failed, "interrupted", and the push reports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.basics.lang import Lang
from bot.core.inbound import UserRef

PENDING, SENDING, SENT, FAILED, UNREACHABLE, SKIPPED = (
    "pending", "sending", "sent", "failed", "unreachable", "skipped"
)  # fmt: skip
STATUSES = (PENDING, SENDING, SENT, FAILED, UNREACHABLE, SKIPPED)
INTERRUPTED = "interrupted: the bot stopped while sending; not sent again, so that it is never sent twice"


@dataclass(frozen=True, slots=True)
class Prompt:
    """A claimed recipient: whom to send the survey's prompt, in which language."""

    recipient_id: int
    user: UserRef
    lang: Lang | None
    survey_id: str
    wave: int


class PushQueue(Protocol):
    """What the sender in the running bot needs (``storage.pushes.SqlPushes``)."""

    async def recover(self, at: datetime) -> int:
        """Mark recipients a crash left "sending" as failed; returns how many."""
        ...

    async def claim(self, limit: int, at: datetime, *, channel: str) -> list[Prompt]:
        """Up to ``limit`` pending recipients reached on ``channel``, now "sending" (no other
        instance gets them)."""
        ...

    async def finish(self, recipient_id: int, status: str, reason: str, at: datetime) -> None: ...
