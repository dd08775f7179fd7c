"""``SqlStore``: the conversation store on SQLAlchemy's async engine (SQLite or PostgreSQL).

One :meth:`SqlStore.transaction` is one database transaction. Conversation state carries a
version: a save succeeds only if nobody saved since the load, so two bot instances can never
silently overwrite each other (the loser gets :class:`ConcurrentUpdate` and the service retries).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import deque
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, assert_never

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlmodel import col

from bot.basics.buttons import Button
from bot.basics.errors import ConcurrentUpdate, DatabaseUnavailable
from bot.basics.lang import Lang
from bot.core.events import (
    ConsentGiven,
    Event,
    FeedbackGiven,
    QuestionUnanswered,
    ReachabilityChanged,
    ReplyCreated,
    ResultRecorded,
    StaffAsked,
    StaffNotified,
    SurveyAnswered,
    SurveyCompleted,
    SurveyStarted,
)
from bot.core.inbound import Invitation, UserRef
from bot.core.state import ConversationState
from bot.service.ports import StoredState, Undelivered
from storage import surveys
from storage.models import (
    ConversationStateRow,
    Feedback,
    OutboxEntry,
    Participant,
    ProcessedUpdate,
    Result,
    UnansweredQuestion,
    User,
)
from storage.participants import redeem


def reply_to_json(reply: ReplyCreated) -> dict[str, Any]:
    """A reply as stored in the outbox (attachments are not kept: they are made again on demand)."""
    return {
        "text": reply.text,
        "lang": reply.lang.value,
        "buttons": [[[b.label, b.data] for b in row] for row in reply.buttons],
    }


def reply_from_json(data: dict[str, Any]) -> ReplyCreated:
    buttons = tuple(tuple(Button(str(label), str(value)) for label, value in row) for row in data["buttons"])
    return ReplyCreated(text=str(data["text"]), lang=Lang(data["lang"]), buttons=buttons)


class SqlTransaction:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._user_ids: dict[UserRef, int] = {}

    async def claim_update(self, channel: str, update_id: str, at: datetime) -> bool:
        try:
            async with self._session.begin_nested():
                self._session.add(ProcessedUpdate(channel=channel, update_id=update_id, processed_at=at))
        except IntegrityError:
            return False
        return True

    async def _user_id(self, user: UserRef, at: datetime) -> int:
        if user in self._user_ids:
            return self._user_ids[user]
        query = sa.select(col(User.id)).where(
            col(User.channel) == user.channel, col(User.external_id) == user.id
        )
        user_id = (await self._session.execute(query)).scalar_one_or_none()
        if user_id is None:
            try:
                async with self._session.begin_nested():
                    row = User(channel=user.channel, external_id=user.id, created_at=at, updated_at=at)
                    self._session.add(row)
                    await self._session.flush()
                    user_id = row.id
            except IntegrityError:
                # Another instance created the same user a moment ago.
                user_id = (await self._session.execute(query)).scalar_one()
        assert user_id is not None
        self._user_ids[user] = user_id
        return user_id

    async def load_state(self, user: UserRef) -> StoredState:
        """The conversation, with who the person is in the programme taken from the database
        (the participant bound to the account, staff by invitation), not from the saved state:
        a link opened on another account, or a revoked staff member, shows at the next turn."""
        query = (
            sa.select(
                col(ConversationStateRow.data),
                col(ConversationStateRow.version),
                col(User.staff_at),
                col(Participant.reference),
            )
            .select_from(User)
            .outerjoin(ConversationStateRow, col(ConversationStateRow.user_id) == col(User.id))
            .outerjoin(Participant, col(Participant.user_id) == col(User.id))
            .where(col(User.channel) == user.channel, col(User.external_id) == user.id)
        )
        row = (await self._session.execute(query)).one_or_none()
        if row is None:
            return StoredState(ConversationState(), 0)
        state = ConversationState()
        if row.data is not None:
            try:
                state = ConversationState.model_validate(row.data)
            except ValidationError:
                # A value written by another version that this one cannot read: start afresh
                # rather than failing every turn of this user.
                state = ConversationState()
        state = state.model_copy(
            update={"participant": row.reference or "", "staff": row.staff_at is not None}
        )
        return StoredState(state, row.version or 0)

    async def save_state(
        self, user: UserRef, state: ConversationState, expected_version: int, at: datetime
    ) -> None:
        user_id = await self._user_id(user, at)
        data = state.model_dump(mode="json")
        if expected_version == 0:
            try:
                async with self._session.begin_nested():
                    self._session.add(
                        ConversationStateRow(user_id=user_id, version=1, data=data, updated_at=at)
                    )
                    await self._session.flush()
            except IntegrityError as exc:
                raise ConcurrentUpdate(f"conversation of {user.key} was created concurrently") from exc
        else:
            result = await self._session.execute(
                sa.update(ConversationStateRow)
                .where(
                    col(ConversationStateRow.user_id) == user_id,
                    col(ConversationStateRow.version) == expected_version,
                )
                .values(version=expected_version + 1, data=data, updated_at=at)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise ConcurrentUpdate(f"conversation of {user.key} changed since version {expected_version}")
        await self._session.execute(
            sa.update(User)
            .where(col(User.id) == user_id)
            .values(
                language=state.language.value if state.language else None,
                role=state.role.value if state.role else None,
                unreachable_at=None,  # they wrote to us, so they can be reached again
                updated_at=at,
            )
        )

    async def mark_reachable(self, user: UserRef, reachable: bool, at: datetime) -> None:
        user_id = await self._user_id(user, at)
        await self._session.execute(
            sa.update(User)
            .where(col(User.id) == user_id)
            .values(unreachable_at=None if reachable else at, updated_at=at)
        )

    async def redeem_invitation(self, token_hash: str, user: UserRef, at: datetime) -> Invitation:
        return await redeem(self._session, token_hash, await self._user_id(user, at), at)

    async def enqueue(self, user: UserRef, replies: Sequence[ReplyCreated], at: datetime) -> int:
        user_id = await self._user_id(user, at)
        entry = OutboxEntry(user_id=user_id, replies=[reply_to_json(r) for r in replies], created_at=at)
        self._session.add(entry)
        await self._session.flush()
        assert entry.id is not None
        return entry.id

    async def record(self, user: UserRef, event: Event, at: datetime) -> None:
        match event:
            case ReplyCreated():
                return  # replies go to the outbox (enqueue), not here
            case ReachabilityChanged(reachable=reachable):
                await self.mark_reachable(user, reachable, at)
            case FeedbackGiven():
                self._session.add(
                    Feedback(
                        user_id=await self._user_id(user, at),
                        faq_id=event.faq_id,
                        helpful=event.helpful,
                        question=event.question,
                        lang=event.lang.value,
                        created_at=at,
                    )
                )
            case QuestionUnanswered():
                self._session.add(
                    UnansweredQuestion(
                        user_id=await self._user_id(user, at),
                        question=event.question,
                        lang=event.lang.value,
                        reason=event.reason,
                        score=event.score,
                        candidates=list(event.candidates),
                        created_at=at,
                    )
                )
            case ResultRecorded():
                self._session.add(
                    Result(
                        user_id=await self._user_id(user, at),
                        dialog_id=event.dialog_id,
                        key=event.key,
                        value=event.value,
                        category=event.category,
                        created_at=at,
                    )
                )
            case SurveyStarted() | SurveyAnswered() | SurveyCompleted() | ConsentGiven():
                await surveys.record(self._session, await self._user_id(user, at), event, at)
            case StaffAsked():
                return  # answered by the service after the turn (bot.service.desk)
            case StaffNotified(chat=chat, reply=message):
                await self.enqueue(chat, [message], at)  # the outbox sweep delivers it
            case _:
                assert_never(event)


class WriterQueue:
    """SQLite's one writer, taken in turn: conversation turns first, then background work."""

    def __init__(self) -> None:
        self._held = False
        self._waiting: tuple[deque[asyncio.Future[None]], deque[asyncio.Future[None]]] = (deque(), deque())

    async def acquire(self, *, background: bool = False) -> None:
        if not self._held and not any(self._waiting):
            self._held = True
            return
        waiter = asyncio.get_running_loop().create_future()
        queue = self._waiting[background]
        queue.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # it was handed over just as it was cancelled: pass it on
            elif waiter in queue:
                queue.remove(waiter)
            raise

    def release(self) -> None:
        for queue in self._waiting:
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # still held: handed over
                    return
        self._held = False


_holding: contextvars.ContextVar[bool] = contextvars.ContextVar("holding_sqlite_writer", default=False)


class SqlStore:
    """The :class:`bot.service.ports.Store` on an SQLAlchemy async engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        # SQLite has one writer, and every transaction here writes (BEGIN IMMEDIATE): they wait
        # their turn in this process's queue, in order, instead of in SQLite's busy handler,
        # which sleeps up to 100 ms between tries (a reply waited behind a broadcast's writes).
        self._one_writer = WriterQueue() if engine.dialect.name == "sqlite" else None

    @asynccontextmanager
    async def session(self, *, background: bool = False) -> AsyncIterator[AsyncSession]:
        """A session in a transaction; a database that cannot be reached (refused or dropped
        connection, SQLite busy) raises :class:`DatabaseUnavailable`, which callers may retry.
        ``background``: bookkeeping (a broadcast's claims and results) that lets conversation
        turns go first on SQLite."""
        if self._one_writer is None or _holding.get():
            async with self._session() as session:
                yield session
            return
        await self._one_writer.acquire(background=background)
        token = _holding.set(True)
        try:
            async with self._session() as session:
                yield session
        finally:
            _holding.reset(token)
            self._one_writer.release()

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        try:
            async with self._sessions() as session, session.begin():
                yield session
        except DBAPIError as exc:
            if not isinstance(exc, OperationalError | InterfaceError) and not exc.connection_invalidated:
                raise
            # The driver's message only: SQLAlchemy's own names the statement's parameters.
            raise DatabaseUnavailable(f"the database cannot be used now: {exc.orig}") from exc
        except OSError as exc:
            raise DatabaseUnavailable(f"the database cannot be reached: {exc}") from exc

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlTransaction]:
        async with self.session() as session:
            yield SqlTransaction(session)

    async def mark_sent(self, outbox_id: int, at: datetime) -> None:
        async with self.session() as session:
            await session.execute(
                sa.update(OutboxEntry).where(col(OutboxEntry.id) == outbox_id).values(sent_at=at)
            )

    async def claim(self, outbox_id: int, at: datetime) -> bool:
        """Take an unsent entry for sending; ``False`` if another instance took it first."""
        async with self.session() as session:
            result = await session.execute(
                sa.update(OutboxEntry)
                .where(col(OutboxEntry.id) == outbox_id, col(OutboxEntry.sent_at).is_(None))
                .values(sent_at=at)
            )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def release(self, outbox_id: int) -> None:
        """Give a claimed entry back (its sending failed for now)."""
        async with self.session() as session:
            await session.execute(
                sa.update(OutboxEntry).where(col(OutboxEntry.id) == outbox_id).values(sent_at=None)
            )

    async def undelivered(self, channel: str, created_before: datetime) -> list[Undelivered]:
        """Outbox entries of ``channel`` still unsent that were written before ``created_before``
        (later ones may be in the hands of another instance right now), oldest first."""
        query = (
            sa.select(col(OutboxEntry.id), col(User.external_id), col(OutboxEntry.replies))
            .join(User, col(User.id) == col(OutboxEntry.user_id))
            .where(
                col(User.channel) == channel,
                col(OutboxEntry.sent_at).is_(None),
                col(OutboxEntry.created_at) < created_before,
            )
            .order_by(col(OutboxEntry.id))
        )
        async with self.session() as session:
            rows = (await session.execute(query)).all()
        return [
            Undelivered(row[0], UserRef(channel, row[1]), tuple(reply_from_json(r) for r in row[2]))
            for row in rows
        ]

    async def invited_staff(self, channel: str) -> list[str]:
        query = sa.select(col(User.external_id)).where(
            col(User.channel) == channel, col(User.staff_at).is_not(None)
        )
        async with self.session() as session:
            return list((await session.execute(query)).scalars())

    async def revoke_staff(self, channel: str, external_id: str) -> bool:
        """Someone who joined the staff by invitation is no longer staff; ``False`` if they were not."""
        async with self.session() as session:
            result = await session.execute(
                sa.update(User)
                .where(
                    col(User.channel) == channel,
                    col(User.external_id) == external_id,
                    col(User.staff_at).is_not(None),
                )
                .values(staff_at=None)
            )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def prune_processed_updates(self, before: datetime) -> int:
        """Forget update ids processed before ``before``: Telegram redelivers an update for a day
        at most, so older ids only take space. Returns how many were removed."""
        async with self.session() as session:
            result = await session.execute(
                sa.delete(ProcessedUpdate).where(col(ProcessedUpdate.processed_at) < before)
            )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def close(self) -> None:
        await self.engine.dispose()
