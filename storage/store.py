"""``SqlStore``: the conversation store on SQLAlchemy's async engine (SQLite or PostgreSQL).

One :meth:`SqlStore.transaction` is one database transaction. Conversation state carries a
version: a save succeeds only if nobody saved since the load, so two bot instances can never
silently overwrite each other (the loser gets :class:`ConcurrentUpdate` and the service retries).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, assert_never

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, sessionmaker
from sqlmodel import col

from bot.basics.buttons import Button
from bot.basics.errors import ConcurrentUpdate, DatabaseUnavailable
from bot.basics.lang import Lang
from bot.core.events import (
    CaseClosed,
    CaseOpened,
    CaseTaken,
    ConsentGiven,
    DataErased,
    Event,
    FeedbackGiven,
    PrivacyNoticeShown,
    PushesStopped,
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
from bot.service.ports import StoredState, Transaction, Undelivered
from storage import surveys
from storage.engine import READ_ONLY, sqlite_twin
from storage.group_commit import BACKGROUND, TURN, URGENT, GroupCommit, WriterQueue, released
from storage.models import (
    CasePost,
    CaseRow,
    ConversationStateRow,
    Feedback,
    OutboxEntry,
    ProcessedUpdate,
    Result,
    SurveyResponse,
    UnansweredQuestion,
    User,
    metadata,
)
from storage.participants import redeem
from storage.threads import DaemonThreads


def reply_to_json(reply: ReplyCreated) -> dict[str, Any]:
    """A reply as stored in the outbox (attachments are not kept: they are made again on demand)."""
    stored: dict[str, Any] = {
        "text": reply.text,
        "lang": reply.lang.value,
        "buttons": [[[b.label, b.data] for b in row] for row in reply.buttons],
    }
    if reply.thread:
        stored["thread"] = reply.thread
    if reply.edits:
        stored["edits"] = reply.edits
    if reply.notice:
        stored["notice"] = True
    return stored


def reply_from_json(data: dict[str, Any]) -> ReplyCreated:
    buttons = tuple(tuple(Button(str(label), str(value)) for label, value in row) for row in data["buttons"])
    return ReplyCreated(
        text=str(data["text"]),
        lang=Lang(data["lang"]),
        buttons=buttons,
        thread=str(data.get("thread", "")),
        edits=int(data.get("edits", 0)),
        notice=bool(data.get("notice", False)),
    )


OUTBOX_CLAIM = timedelta(seconds=60)
"""How long the turn that wrote an outbox entry, or the sweep that took it, has to deliver it
before another may send it again; a send in flight never takes that long."""

# SQLSTATE classes of PostgreSQL errors that pass: connection (08), insufficient resources
# (53: too many connections), operator intervention (57: shutting down, cannot connect now),
# and a serialization failure or a deadlock (40001, 40P01), which the same transaction survives
# when tried again.
TRANSIENT_SQLSTATES = ("08", "53", "57", "40001", "40P01")


T = TypeVar("T")


def _utcnow() -> datetime:
    return datetime.now(UTC)


# Every turn's statements are written on the tables, not the ORM classes: the same SQL without
# the ORM's compile and bulk-persistence steps, a good share of a turn's CPU.
_USERS = metadata.tables["users"]
_STATES = metadata.tables["conversation_states"]
_PARTICIPANTS = metadata.tables["participants"]
_PROCESSED = metadata.tables["processed_updates"]
_OUTBOX = metadata.tables["outbox"]
_B = sa.bindparam

# ... and built once, with bound parameters: building a statement costs more than running it.
_CLAIM_UPDATE = {
    name: dialect.insert(_PROCESSED)
    .values(channel=_B("channel"), update_id=_B("update_id"), processed_at=_B("at"))
    .on_conflict_do_nothing()
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
_USER_ID = sa.select(_USERS.c.id).where(
    _USERS.c.channel == _B("channel"), _USERS.c.external_id == _B("external_id")
)
_LOAD_STATE = (
    sa.select(
        _USERS.c.id,
        _USERS.c.language,
        _USERS.c.role,
        _USERS.c.unreachable_at,
        _STATES.c.data,
        _STATES.c.version,
        _USERS.c.staff_at,
        _PARTICIPANTS.c.reference,
        _USERS.c.pushes_stopped_at,
    )
    .select_from(_USERS)
    .outerjoin(_STATES, _STATES.c.user_id == _USERS.c.id)
    .outerjoin(_PARTICIPANTS, _PARTICIPANTS.c.user_id == _USERS.c.id)
    .where(_USERS.c.channel == _B("channel"), _USERS.c.external_id == _B("external_id"))
)
_SAVE_STATE = (
    sa.update(_STATES)
    .where(_STATES.c.user_id == _B("user"), _STATES.c.version == _B("expected"))
    .values(version=_B("version"), data=_B("data"), updated_at=_B("at"))
)
_MIRROR = (
    sa.update(_USERS)
    .where(_USERS.c.id == _B("user"))
    .values(language=_B("language"), role=_B("role"), unreachable_at=None, updated_at=_B("at"))
)
_ENQUEUE = (
    sa.insert(_OUTBOX)
    .values(user_id=_B("user"), replies=_B("replies"), created_at=_B("at"), claimed_until=_B("until"))
    .returning(_OUTBOX.c.id)
)


@dataclass(slots=True)
class _Known:
    """What a turn's transaction already read of its user, so it does not read it again."""

    id: int
    language: str | None
    role: str | None
    unreachable: bool


class SqlTransaction:
    """One transaction's work, in plain (synchronous) calls: it runs in one piece inside
    :meth:`SqlStore.run`, in a thread on SQLite, so that a turn's statements cost one trip."""

    def __init__(self, session: Session, clock: Callable[[], datetime] = _utcnow) -> None:
        self._session = session
        bind = session.bind
        self._postgres = bind is not None and bind.dialect.name == "postgresql"
        self._clock = clock
        self._user_ids: dict[UserRef, int] = {}

    def claim_update(self, channel: str, update_id: str, at: datetime) -> bool:
        # INSERT ... ON CONFLICT DO NOTHING: no savepoint, one statement either way.
        statement = _CLAIM_UPDATE["postgresql" if self._postgres else "sqlite"]
        result = self._session.execute(statement, {"channel": channel, "update_id": update_id, "at": at})
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def _user_id(self, user: UserRef, at: datetime, known: _Known | None = None) -> int:
        if known is not None:
            self._user_ids[user] = known.id
            return known.id
        if user in self._user_ids:
            return self._user_ids[user]
        key = {"channel": user.channel, "external_id": user.id}
        user_id = self._session.execute(_USER_ID, key).scalar_one_or_none()
        if user_id is None:
            try:
                with self._session.begin_nested():
                    row = User(channel=user.channel, external_id=user.id, created_at=at, updated_at=at)
                    self._session.add(row)
                    self._session.flush()
                    user_id = row.id
            except IntegrityError:
                # Another instance created the same user a moment ago.
                user_id = self._session.execute(_USER_ID, key).scalar_one()
        assert user_id is not None
        self._user_ids[user] = user_id
        return user_id

    def load_state(self, user: UserRef) -> StoredState:
        """The conversation, with who the person is in the programme taken from the database
        (the participant bound to the account, staff by invitation), not from the saved state:
        a link opened on another account, or a revoked staff member, shows at the next turn."""
        key = {"channel": user.channel, "external_id": user.id}
        row = self._session.execute(_LOAD_STATE, key).one_or_none()
        if row is None:
            return StoredState(ConversationState(), 0)
        self._user_ids[user] = row.id
        state = ConversationState()
        if row.data is not None:
            try:
                state = ConversationState.model_validate(row.data)
            except ValidationError:
                # A value written by another version that this one cannot read: start afresh
                # rather than failing every turn of this user.
                state = ConversationState()
        state = state.model_copy(
            update={
                "participant": row.reference or "",
                "staff": row.staff_at is not None,
                "pushes_stopped": row.pushes_stopped_at is not None,
            }
        )
        known = _Known(row.id, row.language, row.role, row.unreachable_at is not None)
        return StoredState(state, row.version or 0, known)

    def save_state(self, user: UserRef, state: ConversationState, loaded: StoredState, at: datetime) -> None:
        known = loaded.seen if isinstance(loaded.seen, _Known) else None
        user_id = self._user_id(user, at, known)
        data = state.model_dump(mode="json")
        expected_version = loaded.version
        if expected_version == 0:
            try:
                with self._session.begin_nested():
                    row = ConversationStateRow(user_id=user_id, version=1, data=data, updated_at=at)
                    self._session.add(row)
                    self._session.flush()
            except IntegrityError as exc:
                raise ConcurrentUpdate(f"conversation of {user.key} was created concurrently") from exc
        else:
            values = {"user": user_id, "expected": expected_version, "version": expected_version + 1}
            result = self._session.execute(_SAVE_STATE, {**values, "data": data, "at": at})
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise ConcurrentUpdate(f"conversation of {user.key} changed since version {expected_version}")
        language = state.language.value if state.language else None
        role = state.role.value if state.role else None
        if known is not None and (known.language, known.role, known.unreachable) == (language, role, False):
            return  # nothing the users row keeps has changed: no write
        # unreachable_at cleared: they wrote to us, so they can be reached again
        self._session.execute(_MIRROR, {"user": user_id, "language": language, "role": role, "at": at})

    def mark_reachable(self, user: UserRef, reachable: bool, at: datetime) -> None:
        user_id = self._user_id(user, at)
        self._session.execute(
            sa.update(User)
            .where(col(User.id) == user_id)
            .values(unreachable_at=None if reachable else at, updated_at=at)
        )

    def erase(self, user: UserRef, at: datetime) -> None:
        """Everything kept about ``user`` goes: their survey responses (through the participant
        bound to them), then their row, and with it (foreign keys, ON DELETE CASCADE) their
        conversation, feedback, unanswered questions, results and outbox; the participant stays
        in staff's list, no longer bound. A reply after this makes a new, empty row."""
        user_id = self._user_id(user, at)
        bound = sa.select(_PARTICIPANTS.c.id).where(_PARTICIPANTS.c.user_id == user_id)
        self._session.execute(sa.delete(SurveyResponse).where(col(SurveyResponse.participant_id).in_(bound)))
        self._session.execute(
            sa.update(_PARTICIPANTS)
            .where(_PARTICIPANTS.c.user_id == user_id)
            .values(user_id=None, bound_at=None)
        )
        self._session.execute(sa.delete(_USERS).where(_USERS.c.id == user_id))
        self._user_ids.pop(user, None)

    def record_post(self, chat: UserRef, message_id: int, user: UserRef, number: int, at: datetime) -> None:
        """The staff-chat message ``message_id`` belongs to ``user``'s case ``number`` (nothing
        if that case is gone: erased meanwhile)."""
        case = (
            sa.select(col(CaseRow.id))
            .join(User, col(User.id) == col(CaseRow.user_id))
            .where(col(User.channel) == user.channel, col(User.external_id) == user.id)
            .where(col(CaseRow.number) == number)
        )
        case_id = self._session.execute(case).scalar_one_or_none()
        if case_id is not None:
            post = CasePost(channel=chat.channel, chat_id=chat.id, message_id=message_id, case_id=case_id)
            self._session.merge(post.model_copy(update={"posted_at": at}))

    def case_of_post(self, chat: UserRef, message_id: int) -> tuple[UserRef, int] | None:
        """Whose case, and which, the staff-chat message ``message_id`` is about."""
        found = self._session.execute(
            sa.select(col(User.channel), col(User.external_id), col(CaseRow.number))
            .select_from(CasePost)
            .join(CaseRow, col(CaseRow.id) == col(CasePost.case_id))
            .join(User, col(User.id) == col(CaseRow.user_id))
            .where(col(CasePost.channel) == chat.channel, col(CasePost.chat_id) == chat.id)
            .where(col(CasePost.message_id) == message_id)
        ).one_or_none()
        return (UserRef(found[0], found[1]), int(found[2])) if found is not None else None

    def _case(self, user: UserRef, number: int, at: datetime) -> sa.Update:
        user_id = self._user_id(user, at)
        return sa.update(CaseRow).where(col(CaseRow.user_id) == user_id, col(CaseRow.number) == number)

    def redeem_invitation(self, token_hash: str, user: UserRef, at: datetime) -> Invitation:
        return redeem(self._session, token_hash, self._user_id(user, at), at)

    def enqueue(self, user: UserRef, replies: Sequence[ReplyCreated], at: datetime) -> int:
        """Write replies to be sent, claimed by the caller for :data:`OUTBOX_CLAIM` (counted
        from now, not from ``at``, which is the message's time and may be long past)."""
        user_id = self._user_id(user, at)
        values = {"user": user_id, "replies": [reply_to_json(r) for r in replies], "at": at}
        # A statement, not the ORM's unit of work: one of every turn's few writes.
        result = self._session.execute(_ENQUEUE, {**values, "until": self._clock() + OUTBOX_CLAIM})
        return int(result.scalar_one())

    def _change_vote(self, user_id: int, faq_id: str, helpful: bool) -> None:
        """The person's latest rating of ``faq_id`` changed; a 👎 taken back takes its
        question off the staff's list of gaps."""
        latest = (
            sa.select(sa.func.max(col(Feedback.id)))
            .where(col(Feedback.user_id) == user_id, col(Feedback.faq_id) == faq_id)
            .scalar_subquery()
        )
        self._session.execute(sa.update(Feedback).where(col(Feedback.id) == latest).values(helpful=helpful))
        if not helpful:
            return
        gaps = self._session.execute(
            sa.select(col(UnansweredQuestion.id), col(UnansweredQuestion.candidates))
            .where(
                col(UnansweredQuestion.user_id) == user_id, col(UnansweredQuestion.reason) == "not_helpful"
            )
            .order_by(col(UnansweredQuestion.id).desc())
        ).all()
        taken_back = next((row_id for row_id, candidates in gaps if list(candidates) == [faq_id]), None)
        if taken_back is not None:
            self._session.execute(
                sa.delete(UnansweredQuestion).where(col(UnansweredQuestion.id) == taken_back)
            )

    def record(self, user: UserRef, event: Event, at: datetime) -> None:
        match event:
            case ReplyCreated():
                return  # replies go to the outbox (enqueue), not here
            case ReachabilityChanged(reachable=reachable):
                self.mark_reachable(user, reachable, at)
            case DataErased():
                self.erase(user, at)
            case PrivacyNoticeShown(version=version):
                self._session.execute(
                    sa.update(_USERS)
                    .where(_USERS.c.id == self._user_id(user, at))
                    .values(notice_version=version, notice_shown_at=at)
                )
            case PushesStopped(stopped=stopped):
                self._session.execute(
                    sa.update(User)
                    .where(col(User.id) == self._user_id(user, at))
                    .values(pushes_stopped_at=at if stopped else None, updated_at=at)
                )
            case FeedbackGiven(changed=True):
                self._change_vote(self._user_id(user, at), event.faq_id, event.helpful)
            case FeedbackGiven():
                self._session.add(
                    Feedback(
                        user_id=self._user_id(user, at),
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
                        user_id=self._user_id(user, at),
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
                        user_id=self._user_id(user, at),
                        dialog_id=event.dialog_id,
                        key=event.key,
                        value=event.value,
                        category=event.category,
                        created_at=at,
                    )
                )
            case SurveyStarted() | SurveyAnswered() | SurveyCompleted() | ConsentGiven():
                surveys.record(self._session, self._user_id(user, at), event, at)
            case StaffAsked():
                return  # answered by the service after the turn (bot.service.desk)
            case StaffNotified(chat=chat, reply=message):
                self.enqueue(chat, [message], at)  # the outbox sweep delivers it
            case CaseOpened():
                self._session.add(
                    CaseRow(
                        user_id=self._user_id(user, at),
                        number=event.number,
                        lang=event.lang.value,
                        role=event.role,
                        participant=event.participant,
                        opened_at=at,
                    )
                )
            case CaseTaken(number=number, by=by):
                self._session.execute(self._case(user, number, at).values(taken_by=by, taken_at=at))
            case CaseClosed(number=number, by=by):
                self._session.execute(self._case(user, number, at).values(closed_by=by, closed_at=at))
            case _:
                assert_never(event)


def _unavailable(exc: DBAPIError | PoolTimeout | OSError) -> BaseException:
    """What a failed transaction raises: :class:`DatabaseUnavailable` (callers may retry) when
    the database cannot be used for now, otherwise the error itself."""
    if isinstance(exc, PoolTimeout):
        # Every connection of the pool busy for pool_timeout seconds: a burst, not a fault.
        return DatabaseUnavailable("the database is busy: no free connection in the pool")
    if isinstance(exc, OSError):
        return DatabaseUnavailable(f"the database cannot be reached: {exc}")
    if not _passing(exc):
        return exc
    # The driver's message only: SQLAlchemy's own names the statement's parameters.
    return DatabaseUnavailable(f"the database cannot be used now: {exc.orig}")


def _passing(exc: DBAPIError) -> bool:
    """A driver error that says the database cannot be used for now, not that the statement is
    wrong: tried again, the same transaction can succeed."""
    if isinstance(exc, OperationalError | InterfaceError) or exc.connection_invalidated:
        return True
    state = str(getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None) or "")
    return state.startswith(TRANSIENT_SQLSTATES)


def _unsent_and_free(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        col(OutboxEntry.sent_at).is_(None),
        sa.or_(col(OutboxEntry.claimed_until).is_(None), col(OutboxEntry.claimed_until) <= now),
    )


_holding: contextvars.ContextVar[bool] = contextvars.ContextVar("holding_sqlite_writer", default=False)


class SqlStore:
    """The :class:`bot.service.ports.Store` on an SQLAlchemy async engine."""

    def __init__(self, engine: AsyncEngine, *, clock: Callable[[], datetime] = _utcnow) -> None:
        self.engine = engine
        self.clock = clock
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        reading = engine.execution_options(**{READ_ONLY: True})
        self._reads = async_sessionmaker(reading, expire_on_commit=False)
        # SQLite has one writer, and every transaction here writes (BEGIN IMMEDIATE): they wait
        # their turn in this process's queue, in order, instead of in SQLite's busy handler,
        # which sleeps up to 100 ms between tries (a reply waited behind a broadcast's writes).
        self._one_writer = WriterQueue() if engine.dialect.name == "sqlite" else None
        self.one_writer = self._one_writer is not None
        # ... and a turn's transaction goes to a thread in one piece, on the sqlite3 driver:
        # aiosqlite makes every statement several trips between the event loop and its thread,
        # which cost ten times the statements themselves.
        self._twin = sqlite_twin(engine)
        self._threads: DaemonThreads | None = None
        if self._twin is not None:
            self._twin_sessions = sessionmaker(self._twin, expire_on_commit=False)
            self._twin_reads = sessionmaker(
                self._twin.execution_options(**{READ_ONLY: True}), expire_on_commit=False
            )
            self._threads = DaemonThreads(2, "dt4e-sqlite")
        # ... and the writes waiting for that writer go in together (storage.group_commit).
        self._groups: GroupCommit | None = None
        if self._one_writer is not None and self._threads is not None and self._twin is not None:
            self._groups = GroupCommit(self._one_writer, self._threads, self._twin, _unavailable)

    @asynccontextmanager
    async def session(self, *, background: bool = False, urgent: bool = False) -> AsyncIterator[AsyncSession]:
        """A session in a transaction; a database that cannot be reached (refused or dropped
        connection, SQLite busy) raises :class:`DatabaseUnavailable`, which callers may retry.
        ``background``: bookkeeping (a broadcast's claims and results) that lets conversation
        turns go first on SQLite."""
        if self._one_writer is None or _holding.get():
            async with self._session() as session:
                yield session
            return
        await self._one_writer.acquire(URGENT if urgent else BACKGROUND if background else TURN)
        token = _holding.set(True)
        try:
            async with self._session() as session:
                yield session
        finally:
            _holding.reset(token)
            self._one_writer.release()

    @asynccontextmanager
    async def _session(self, *, read_only: bool = False) -> AsyncIterator[AsyncSession]:
        sessions = self._reads if read_only else self._sessions
        try:
            async with sessions() as session, session.begin():
                yield session
        except (DBAPIError, PoolTimeout, OSError) as exc:
            raise _unavailable(exc) from exc

    async def run(self, work: Callable[[Transaction], T], *, read_only: bool = False) -> T:
        """One transaction: ``work`` does all of it in plain calls (it awaits nothing), and what
        it wrote is committed together, or nothing if it raises. On SQLite in a thread, in one
        trip; ``read_only`` waits for no writer and holds no lock (a turn is computed between its
        read and its write while others are written). Raises :class:`DatabaseUnavailable` when
        the database cannot be used for now."""
        return await self._run(lambda session: work(SqlTransaction(session, self.clock)), read_only=read_only)

    async def _run(self, work: Callable[[Session], T], *, read_only: bool = False, priority: int = TURN) -> T:
        if self._threads is None:
            if read_only:
                async with self._session(read_only=True) as session:
                    return await session.run_sync(work)
            async with self.session(urgent=priority == URGENT, background=priority == BACKGROUND) as session:
                return await session.run_sync(work)
        sessions = self._twin_reads if read_only else self._twin_sessions

        def in_thread() -> T:
            try:
                with sessions() as session, session.begin():
                    return work(session)
            except (DBAPIError, PoolTimeout, OSError) as exc:
                raise _unavailable(exc) from exc

        loop = asyncio.get_running_loop()
        if read_only or self._one_writer is None or _holding.get():
            return await loop.run_in_executor(self._threads, in_thread)
        if priority == TURN and self._groups is not None:
            return await self._groups.run(work)
        # A mark (URGENT) goes before the turns waiting, alone, as background work goes after.
        writer = self._one_writer
        await writer.acquire(priority)
        done = loop.run_in_executor(self._threads, in_thread)
        try:
            return await asyncio.shield(done)
        finally:
            # Cancelled while the thread still writes: the writer is free only once it is done
            # (and what the thread raised then is nobody's to handle any more).
            if done.done():
                writer.release()
            else:
                done.add_done_callback(lambda finished: released(writer, finished))

    async def mark_sent(self, outbox_ids: Sequence[int], at: datetime) -> None:
        """Mark entries delivered (or given up for good), many in one statement."""
        if not outbox_ids:
            return
        # First in line: a mark kept waiting behind a burst of turns, then lost to a kill, lets
        # the sweep send the replies again. One quick statement a few times a second.
        statement = sa.update(_OUTBOX).where(_OUTBOX.c.id.in_(outbox_ids)).values(sent_at=at)
        await self._run(lambda session: session.execute(statement), priority=URGENT)

    async def claim(self, outbox_id: int, at: datetime) -> bool:
        """Take an unsent entry whose claim has expired, for :data:`OUTBOX_CLAIM` from ``at``;
        ``False`` if it was sent or another instance holds it. A claim is never a mark: an
        entry whose sender dies is sent again once the claim expires."""
        async with self.session() as session:
            result = await session.execute(
                sa.update(OutboxEntry)
                .where(col(OutboxEntry.id) == outbox_id, _unsent_and_free(at))
                .values(claimed_until=at + OUTBOX_CLAIM)
            )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def release(self, outbox_id: int, parts_sent: int) -> None:
        """Give a claimed entry back (its sending failed for now), saying how many of its
        messages were delivered, so that the next try starts after them."""
        async with self.session() as session:
            await session.execute(
                sa.update(OutboxEntry)
                .where(col(OutboxEntry.id) == outbox_id)
                .values(claimed_until=None, parts_sent=parts_sent)
            )

    async def undelivered(self, channel: str, now: datetime, *, held: bool = False) -> list[Undelivered]:
        """Outbox entries of ``channel`` still unsent and claimed by nobody at ``now`` (the turn
        that wrote an entry holds it for :data:`OUTBOX_CLAIM`), oldest first; with ``held``,
        the unsent entries held now as well, marked so (their chats' later ones wait)."""
        free = _unsent_and_free(now)
        query = (
            sa.select(
                col(OutboxEntry.id),
                col(User.external_id),
                col(OutboxEntry.replies),
                col(OutboxEntry.parts_sent),
                sa.not_(free),
            )
            .join(User, col(User.id) == col(OutboxEntry.user_id))
            .where(col(User.channel) == channel)
            .where(col(OutboxEntry.sent_at).is_(None) if held else free)
            .order_by(col(OutboxEntry.id))
        )
        async with self.session(background=True) as session:
            rows = (await session.execute(query)).all()
        return [
            Undelivered(
                row[0],
                UserRef(channel, row[1]),
                tuple(reply_from_json(r) for r in row[2]),
                row[3],
                bool(row[4]),
            )
            for row in rows
        ]

    async def prune_outbox(self, sent_before: datetime) -> int:
        """Forget replies delivered before ``sent_before``; returns how many entries went."""
        async with self.session(background=True) as session:
            result = await session.execute(
                sa.delete(OutboxEntry).where(col(OutboxEntry.sent_at) < sent_before)
            )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def ping(self) -> None:
        """One read of the users table (a database that answers but lost its tables is not
        healthy either)."""
        async with self._session(read_only=True) as session:
            await session.execute(sa.select(_USERS.c.id).limit(1))

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
        async with self.session(background=True) as session:
            result = await session.execute(
                sa.delete(ProcessedUpdate).where(col(ProcessedUpdate.processed_at) < before)
            )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def prune_questions(self, before: datetime) -> int:
        """Forget unanswered questions and 👍 / 👎 feedback older than ``before`` (what people
        wrote: kept only as long as staff need it to improve the answers), and the cases closed
        before it."""
        async with self.session(background=True) as session:
            questions = await session.execute(
                sa.delete(UnansweredQuestion).where(col(UnansweredQuestion.created_at) < before)
            )
            feedback = await session.execute(sa.delete(Feedback).where(col(Feedback.created_at) < before))
            cases = await session.execute(sa.delete(CaseRow).where(col(CaseRow.closed_at) < before))
        counts: list[int] = [r.rowcount for r in (questions, feedback, cases)]  # type: ignore[attr-defined]
        return sum(counts)

    async def close(self) -> None:
        """What is still waiting for SQLite's lock (a stop during an outage) is left behind:
        it committed nothing, and the process does not wait for it (see :mod:`storage.threads`)."""
        if self._threads is not None:
            self._threads.shutdown(wait=False)
        if self._twin is not None:
            self._twin.dispose()
        await self.engine.dispose()
