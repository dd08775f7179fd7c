"""SQLite's writes, committed in groups: the writes that arrive while one is being written go
in together, in one transaction, each inside its own savepoint.

SQLite has one writer. Under load, turns wait in line for it, and each one then pays alone for
what a transaction costs whatever it holds: beginning it (``BEGIN IMMEDIATE``), committing it,
a trip to a worker thread and back, and the wait for the write-ahead log to reach the disk
(``synchronous=FULL``). Taken together, the turns waiting at that moment pay for it once (the
"group commit" of database servers). A write that finds the writer free goes alone, at once:
nothing waits for a group to fill.

Each write stays whole on its own: it runs inside a savepoint, and one that raises (a turn
that raced another, a statement refused) is rolled back alone and raises for its caller only;
the others are committed. A fault of the database itself (locked, unreachable, disk full)
fails the whole group, and every caller gets :class:`~bot.basics.errors.DatabaseUnavailable`
and may try again, as it would alone. A write whose caller was cancelled before its group was
taken is left out; once taken, it is written (as a lone write in its thread would be).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

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


@dataclass(slots=True)
class _Write(Generic[T]):
    work: Callable[[Session], T]
    priority: int
    future: asyncio.Future[T]


class GroupCommit:
    """The writes of one SQLite store, in groups (see the module docstring)."""

    def __init__(
        self,
        writer: WriterQueue,
        threads: Executor,
        sessions: sessionmaker[Session],
        failure: Failure,
        *,
        limit: int = GROUP_LIMIT,
    ) -> None:
        self._writer = writer
        self._threads = threads
        self._sessions = sessions
        self._failure = failure
        self._limit = limit
        self._waiting: deque[_Write[Any]] = deque()
        self._leader: asyncio.Task[None] | None = None
        self.groups = 0
        """Groups committed (or tried): with :attr:`writes`, how full they were."""
        self.writes = 0

    async def run(self, work: Callable[[Session], T], priority: int = TURN) -> T:
        """``work``'s result once its group is committed; what it raised, or
        ``DatabaseUnavailable`` if the group could not be committed."""
        loop = asyncio.get_running_loop()
        write: _Write[T] = _Write(work, priority, loop.create_future())
        self._waiting.append(write)
        if self._leader is None:
            self._leader = loop.create_task(self._lead())
        return await write.future

    async def _lead(self) -> None:
        """Take the writer, write what waits, in groups, until nothing does."""
        loop = asyncio.get_running_loop()
        group: list[_Write[Any]] = []
        try:
            while self._waiting:
                await self._writer.acquire(min(w.priority for w in self._waiting))
                group = []
                while self._waiting and len(group) < self._limit:
                    write = self._waiting.popleft()
                    if not write.future.done():  # a caller cancelled meanwhile is left out
                        group.append(write)
                if not group:
                    self._writer.release()
                    continue
                done = loop.run_in_executor(self._threads, self._commit, group)
                try:
                    outcomes = await asyncio.shield(done)
                finally:
                    # Cancelled while the thread still writes (the loop stops): the writer is
                    # free only once it is done.
                    if done.done():
                        self._writer.release()
                    else:
                        done.add_done_callback(lambda _: self._writer.release())
                for write, (value, error) in zip(group, outcomes, strict=True):
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

    def _commit(self, group: list[_Write[Any]]) -> list[tuple[Any, BaseException | None]]:
        """In a thread: the group in one transaction, each write in a savepoint (a write alone
        needs none: its failure is the transaction's)."""
        self.groups += 1
        self.writes += len(group)
        outcomes: list[tuple[Any, BaseException | None]] = []
        try:
            with self._sessions() as session, session.begin():
                if len(group) == 1:
                    return [(group[0].work(session), None)]
                for write in group:
                    try:
                        with session.begin_nested():
                            outcomes.append((write.work(session), None))
                    except DBAPIError as exc:
                        failure = self._failure(exc)
                        if isinstance(failure, DatabaseUnavailable):
                            raise  # the database itself, not this write: the whole group
                        outcomes.append((None, failure))  # this write's statement was refused
                    except Exception as exc:  # this write's own fault (a turn that raced another)
                        outcomes.append((None, exc))
        except (DBAPIError, PoolTimeout, OSError) as exc:
            return [(None, self._failure(exc)) for _ in group]
        except Exception as exc:  # a lone write's own fault, or the commit's
            return [(None, exc) for _ in group]
        return outcomes
