"""Broadcast jobs: survey prompts, reminders and announcements, with a queue of recipients in the
database that the running bot sends from.

A recipient goes pending → claimed (by one sender, in a batch) → sending (handed to Telegram) →
sent, failed (with its reason) or unreachable; one not connected to the bot yet, or who declined
surveys, is skipped when the job is made. A job is running, paused, cancelled or done.

What a stop can leave behind, and how the next sender resolves it (``PushQueue.recover``):

* claimed but not handed to Telegram: back to pending, sent later (never sent, so never twice);
* sending, the one honest ambiguity (the request was in flight when the process died, and
  Telegram may or may not have delivered it): marked failed, "interrupted", and not sent again by
  itself, so that nobody ever gets a message twice; ``dt4e-bot broadcast retry JOB`` sends those
  again when staff prefer a possible duplicate to a possible gap. A graceful stop (SIGTERM, a
  deploy) waits for the sends in flight, so only a kill or a power cut leaves any.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bot.basics.lang import Lang
from bot.core.inbound import UserRef
from bot.core.requests import (  # the job's words, named once in the core, used here by their names
    ANNOUNCEMENT as ANNOUNCEMENT,
)
from bot.core.requests import (
    CANCELLED as CANCELLED,
)
from bot.core.requests import (
    DONE as DONE,
)
from bot.core.requests import (
    KINDS as KINDS,
)
from bot.core.requests import (
    PAUSED as PAUSED,
)
from bot.core.requests import (
    REMINDER as REMINDER,
)
from bot.core.requests import (
    RUNNING as RUNNING,
)
from bot.core.requests import (
    STATES as STATES,
)
from bot.core.requests import (
    STATUSES as STATUSES,
)
from bot.core.requests import (
    SURVEY as SURVEY,
)

PENDING, CLAIMED, SENDING, SENT, FAILED, UNREACHABLE, SKIPPED = STATUSES
OPEN = (PENDING, CLAIMED, SENDING)
"""Recipients a job still has to deal with."""
INTERRUPTED = "interrupted: the bot stopped while sending; not sent again, so that it is never sent twice"


@dataclass(frozen=True, slots=True)
class Delivery:
    """A claimed recipient: whom to send what, in which language."""

    recipient_id: int
    push_id: int
    kind: str
    user: UserRef
    lang: Lang | None
    survey_id: str | None = None
    wave: int | None = None
    message: dict[str, str] = field(default_factory=dict)
    """An announcement's text by language code."""


@dataclass(frozen=True, slots=True)
class Result:
    recipient_id: int
    status: str  # sent, failed, unreachable; pending: not sent (a long flood), to try later
    reason: str
    at: datetime


class PushQueue(Protocol):
    """What the sender in the running bot needs (``storage.pushes.SqlPushes``)."""

    async def recover(self, at: datetime) -> tuple[int, int]:
        """Resolve what a stopped sender left (see the module docstring): returns (claims given
        back, sends marked interrupted). Only the sender holding the lease calls it."""
        ...

    async def claim(self, limit: int, at: datetime, *, channel: str, owner: str) -> list[Delivery]:
        """Up to ``limit`` pending recipients of running jobs reached on ``channel`` (and, for a
        daytime-only job, whose local time is daytime now), now claimed by ``owner``."""
        ...

    async def begin(self, recipient_id: int, owner: str, at: datetime) -> bool:
        """Claimed → sending, just before the message goes to Telegram; ``False`` when the job
        was paused or cancelled since (the claim was given back): then do not send."""
        ...

    async def finish(self, results: Sequence[Result]) -> None:
        """Record how sends went, several in one transaction."""
        ...

    async def release(self, owner: str, recipient_ids: list[int] | None = None) -> int:
        """Give claims back (all of ``owner``'s, or those): pending again, to be sent later."""
        ...

    async def close_finished(self, at: datetime) -> list[int]:
        """Mark running jobs with nobody left to send as done; returns their ids."""
        ...


class Lease(Protocol):
    """Who sends: one sender at a time for the whole database (a PostgreSQL advisory lock, a
    file lock beside SQLite), taken over by another instance when its holder dies."""

    async def acquire(self) -> bool:
        """Take the lease if nobody holds it; ``True`` when this instance holds it."""
        ...

    async def held(self) -> bool:
        """Whether this instance still holds it (its database session is alive)."""
        ...

    async def release(self) -> None: ...


class Planner(Protocol):
    """The follow-up schedules (``storage.schedules.SqlSchedules``)."""

    async def queue_due(self, at: datetime) -> list[int]:
        """Turn follow-ups and reminders that are due into jobs; returns the new job ids."""
        ...


@dataclass(frozen=True, slots=True)
class Broadcasting:
    """What the running bot needs to send broadcasts; see ``bot.app.open_app``."""

    queue: PushQueue
    lease: Lease
    planner: Planner | None = None
    rate: float = 25.0
    """Messages per second for the whole bot: broadcasts and conversation replies together."""
