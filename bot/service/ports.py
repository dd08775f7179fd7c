"""Ports the conversation service needs from storage, as protocols.

``storage.store.SqlStore`` implements them on SQLAlchemy; tests may use it on a temporary
SQLite file, which is fast enough that no in-memory fake is needed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from bot.core.events import Event, ReplyCreated
from bot.core.inbound import Invitation, UserRef
from bot.core.state import ConversationState

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class StoredState:
    """A conversation as loaded: its state and the version to check when saving it."""

    state: ConversationState
    version: int  # 0 for a conversation never saved
    seen: object = None
    """The store's own note of what it read (a row's id, what it mirrors), given back to
    :meth:`Transaction.save_state` so that the write need not read it again."""


@dataclass(frozen=True, slots=True)
class Undelivered:
    """Replies committed with their turn but not yet marked delivered (the outbox)."""

    outbox_id: int
    user: UserRef
    replies: tuple[ReplyCreated, ...]
    parts_sent: int = 0
    """Telegram messages of these replies already delivered: a resend starts after them."""
    held: bool = False
    """Claimed by a turn or a sweep now (this process's, another instance's, or a process that
    died holding it): not to be sent, and its chat's later entries wait for it."""


class Transaction(Protocol):
    """One database transaction's work, in plain calls (see :meth:`Store.run`): everything in it
    is committed together or not at all."""

    def claim_update(self, channel: str, update_id: str, at: datetime) -> bool:
        """Record a delivery as processed; ``False`` if it was processed before."""
        ...

    def load_state(self, user: UserRef) -> StoredState: ...

    def save_state(self, user: UserRef, state: ConversationState, loaded: StoredState, at: datetime) -> None:
        """Save over what was ``loaded``, raising :class:`bot.basics.errors.ConcurrentUpdate` if
        its version moved meanwhile."""
        ...

    def record(self, user: UserRef, event: Event, at: datetime) -> None:
        """Store an event that matters beyond the conversation (feedback, results ...)."""
        ...

    def mark_reachable(self, user: UserRef, reachable: bool, at: datetime) -> None:
        """Record that messages to the user fail for good (blocked the bot), or work again."""
        ...

    def enqueue(self, user: UserRef, replies: Sequence[ReplyCreated], at: datetime) -> int:
        """Put a turn's replies in the outbox; returns the entry's id."""
        ...

    def record_post(self, chat: UserRef, message_id: int, user: UserRef, number: int, at: datetime) -> None:
        """The message ``message_id`` posted to the staff chat ``chat`` is about ``user``'s case
        ``number``."""
        ...

    def case_of_post(self, chat: UserRef, message_id: int) -> tuple[UserRef, int] | None:
        """Whose case, and which, a message posted to the staff chat is about."""
        ...

    def redeem_invitation(self, token_hash: str, user: UserRef, at: datetime) -> Invitation:
        """Use the invitation with this token hash for ``user``: bind them to its participant, or
        make them staff. Once only, and only before it expires; otherwise bind nothing and say why."""
        ...


class Store(Protocol):
    one_writer: bool
    """One writer at a time for the whole database (SQLite): a turn is computed outside any
    transaction there, so that it holds up nobody's writes."""

    async def run(self, work: Callable[[Transaction], T], *, read_only: bool = False) -> T:
        """One transaction: ``work`` does all of it without awaiting (so a store may run it in one
        piece, elsewhere), and returns what the caller gets; ``read_only`` reads and locks nobody
        out."""
        ...

    async def mark_sent(self, outbox_ids: Sequence[int], at: datetime) -> None: ...

    async def claim(self, outbox_id: int, at: datetime) -> bool:
        """Hold an unsent entry for a while (it expires: never a mark that it was sent)."""
        ...

    async def release(self, outbox_id: int, parts_sent: int) -> None: ...

    async def undelivered(self, channel: str, now: datetime, *, held: bool = False) -> list[Undelivered]:
        """Unsent entries nobody holds at ``now`` (with ``held``, those held too, marked so)."""
        ...

    async def prune_outbox(self, sent_before: datetime) -> int: ...

    async def prune_processed_updates(self, before: datetime) -> int: ...

    async def prune_questions(self, before: datetime) -> int:
        """Forget unanswered questions and feedback given before ``before``; how many went."""
        ...

    async def ping(self) -> None:
        """Read something trivial; raise if the database cannot be used."""
        ...

    async def invited_staff(self, channel: str) -> list[str]:
        """The ids of those who joined the staff through an invitation, on ``channel``."""
        ...

    async def close(self) -> None: ...
