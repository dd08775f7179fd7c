"""SQLite's writes, committed in groups: the writes that arrive while one is being written go
in together, in one transaction, each inside its own savepoint.

SQLite has one writer. Under load, turns wait in line for it, and each one then pays alone for
what a transaction costs whatever it holds: beginning it (``BEGIN IMMEDIATE``), committing it,
a trip to a worker thread and back, and the wait for the write-ahead log to reach the disk
(``synchronous=FULL``). Taken together, the turns waiting at that moment pay for it once (the
"group commit" of database servers). A write that finds the writer free goes alone, at once:
nothing waits for a group to fill.

Each write stays whole on its own: it runs in its own ORM session (nothing it read or
loaded is seen by the next one) inside a savepoint, and one that raises (a turn that raced
another, a statement refused) is rolled back alone and raises for its caller only; the others
are committed. When a write's error ended the transaction itself (SQLite rolls back by itself
on a full disk or an I/O error), or the commit fails, nothing of the group is written, and
every caller gets :class:`~bot.basics.errors.DatabaseUnavailable` and may try again, as it
would alone. A write whose caller was cancelled before its group was taken is left out; once
taken, it is written (as a lone write in its thread would be).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from bot.basics.errors import DatabaseUnavailable

URGENT, TURN, BACKGROUND = 0, 1, 2
"""Who goes first for SQLite's one writer: marks of replies delivered (one quick statement that
keeps the sweep from sending them again), then conversation turns, then background work."""

GROUP_LIMIT = 16
"""The most writes in one group: a turn's write takes about half a millisecond, so the first
of a full group waits a few milliseconds for the others, and a group of 16 already pays a
sixteenth of the transaction's cost each."""

T = TypeVar("T")
Failure = Callable[[DBAPIError | PoolTimeout | OSError], BaseException]
"""How a database error becomes what the caller sees (``DatabaseUnavailable``, or the error)."""


class WriterQueue:
    """SQLite's one writer, taken in turn: by priority (:data:`URGENT` first), in order within one."""

    def __init__(self) -> None:
        self._held = False
        self._waiting: tuple[deque[asyncio.Future[None]], ...] = (deque(), deque(), deque())

    async def acquire(self, priority: int = TURN) -> None:
        if not self._held and not any(self._waiting):
            self._held = True
            return
        waiter = asyncio.get_running_loop().create_future()
        queue = self._waiting[priority]
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


def released(writer: WriterQueue, finished: asyncio.Future[Any]) -> None:
    """Hand the writer back once a thread its holder stopped waiting for is done (the holder
    was cancelled), retrieving what the thread raised: nobody is left to handle it."""
    if not finished.cancelled():
        finished.exception()
    writer.release()


@dataclass(slots=True)
class _Write(Generic[T]):
    work: Callable[[Session], T]
    future: asyncio.Future[T]


Outcome = tuple[Any, BaseException | None]
"""What one write returned, or what it raised."""


class GroupCommit:
    """The turns' writes of one SQLite store, in groups (see the module docstring). Marks of
    replies delivered do not come here: they go first, alone, at :data:`URGENT`."""

    def __init__(
        self,
        writer: WriterQueue,
        threads: Executor,
        engine: sa.Engine,
        failure: Failure,
        *,
        limit: int = GROUP_LIMIT,
    ) -> None:
        self._writer = writer
        self._threads = threads
        self._engine = engine
        self._alone = sessionmaker(engine, expire_on_commit=False)
        self._failure = failure
        self._limit = limit
        self._waiting: deque[_Write[Any]] = deque()
        self._leader: asyncio.Task[None] | None = None
        self.groups = 0
        """Groups committed (or tried): with :attr:`writes`, how full they were."""
        self.writes = 0

    async def run(self, work: Callable[[Session], T]) -> T:
        """``work``'s result once its group is committed; what it raised, or
        ``DatabaseUnavailable`` if the group could not be committed."""
        loop = asyncio.get_running_loop()
        write: _Write[T] = _Write(work, loop.create_future())
        self._waiting.append(write)
        if self._leader is None:
            self._leader = loop.create_task(self._lead())
        return await write.future

    async def _lead(self) -> None:
        """Take the writer, write what waits, in groups, until nothing does."""
        group: list[_Write[Any]] = []
        try:
            while self._waiting:
                await self._writer.acquire(TURN)
                group = []
                while self._waiting and len(group) < self._limit:
                    write = self._waiting.popleft()
                    if not write.future.done():  # a caller cancelled meanwhile is left out
                        group.append(write)
                if not group:
                    self._writer.release()
                    continue
                for write, (value, error) in zip(group, await self._written(group), strict=True):
                    if write.future.done():
                        continue
                    if error is None:
                        write.future.set_result(value)
                    else:
                        write.future.set_exception(error)
                group = []
        finally:
            # Only when the loop stops (cancelled): nobody is left waiting for an answer.
            for write in (*group, *self._waiting):
                write.future.cancel()
            self._waiting.clear()
            self._leader = None

    async def _written(self, group: list[_Write[Any]]) -> list[Outcome]:
        """The group written in a thread, holding the writer until the thread is done."""
        done = asyncio.get_running_loop().run_in_executor(self._threads, self._commit, group)
        try:
            return await asyncio.shield(done)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # unforeseen, outside the writes: each caller hears of it
            return [(None, exc) for _ in group]
        finally:
            # Cancelled while the thread still writes (the loop stops): the writer is free
            # only once it is done.
            if done.done():
                self._writer.release()
            else:
                done.add_done_callback(lambda finished: released(self._writer, finished))

    def _commit(self, group: list[_Write[Any]]) -> list[Outcome]:
        """In a thread: the group in one transaction, each write in its own session inside a
        savepoint of it (a write alone needs none: its failure is the transaction's)."""
        self.groups += 1
        self.writes += len(group)
        if len(group) == 1:
            try:
                with self._alone() as session, session.begin():
                    return [(group[0].work(session), None)]
            except Exception as exc:
                return [(None, self._own(exc))]
        outcomes: list[Outcome] = []
        lost: BaseException | None = None
        try:
            with self._engine.connect() as connection, connection.begin() as transaction:
                raw = connection.connection.driver_connection
                for write in group:
                    try:
                        with Session(
                            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
                        ) as session:
                            value = write.work(session)
                            session.commit()  # RELEASE: kept, if the group is
                        outcomes.append((value, None))
                    except Exception as exc:  # rolled back to the savepoint, unless ...
                        if not getattr(raw, "in_transaction", True):
                            # ... SQLite ended the transaction itself: nothing of the group is written
                            lost = exc
                            transaction.rollback()
                            break
                        outcomes.append((None, self._own(exc)))
        except Exception as exc:  # the commit, or the connection
            lost = exc
        if lost is not None:
            return [(None, self._own(lost, whole=True)) for _ in group]
        return outcomes

    def _own(self, exc: BaseException, *, whole: bool = False) -> BaseException:
        """What a caller is told: a database error as :data:`Failure` says (chained to it); the
        write's own error as it is, unless the whole group failed with it (a fresh
        ``DatabaseUnavailable`` each, so that callers may try again)."""
        if isinstance(exc, DBAPIError | PoolTimeout | OSError):
            told = self._failure(exc)
        elif whole:
            told = DatabaseUnavailable(f"the database could not take the writes: {type(exc).__name__}")
        else:
            return exc
        if told is not exc:
            told.__cause__ = exc
        return told
