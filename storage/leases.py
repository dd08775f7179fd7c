"""Who sends the broadcasts (:class:`bot.service.pushes.Lease`): one sender for the whole database.

On PostgreSQL, a session-level advisory lock held on a connection of its own: every instance
tries it, one gets it, and when that process dies (a kill included) its connection closes, the
server frees the lock and another instance takes over at its next try. On SQLite, an exclusive
``flock`` on a file beside the database, freed by the kernel when the process ends. The lock is
not a scheduler: the queue itself is the database's rows.

A connection pooler in transaction mode (PgBouncer) would break session locks: point the bot at
PostgreSQL itself, or at a pooler in session mode.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
from pathlib import Path
from typing import IO

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.service.pushes import Lease

log = logging.getLogger(__name__)

NAME = "dt4e-bot broadcasts"
CHECK_EVERY = 5.0
"""Seconds between checks that the lock's connection is alive."""


class PostgresLease:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._checked = 0.0

    async def acquire(self) -> bool:
        if self._connection is not None:
            return await self.held()
        connection = await self._engine.connect()
        try:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            # The schema is part of the key: instances of two bots in one database do not meet.
            got = await connection.scalar(
                sa.text("SELECT pg_try_advisory_lock(hashtext(current_schema() || :name))"), {"name": NAME}
            )
        except BaseException:
            await connection.close()
            raise
        if not got:
            await connection.close()
            return False
        self._connection, self._checked = connection, time.monotonic()
        return True

    async def held(self) -> bool:
        if self._connection is None:
            return False
        if time.monotonic() - self._checked < CHECK_EVERY:
            return True
        try:
            await self._connection.execute(sa.text("SELECT 1"))
        except Exception as exc:  # the connection is gone, and the lock with it
            log.warning("broadcast lease lost: %s", type(exc).__name__)
            await self._drop()
            return False
        self._checked = time.monotonic()
        return True

    async def release(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.scalar(
                    sa.text("SELECT pg_advisory_unlock(hashtext(current_schema() || :name))"), {"name": NAME}
                )
            await self._drop()

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close()


class FileLease:
    """An exclusive lock on ``path``; ``None``: a database in memory, one process by nature."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._file: IO[bytes] | None = None
        self._memory_held = False

    async def acquire(self) -> bool:
        if self._path is None:
            self._memory_held = True
            return True
        if self._file is not None:
            return True
        lock = self._path.open("ab")
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            return False
        os.chmod(self._path, 0o600)
        self._file = lock
        return True

    async def held(self) -> bool:
        return self._file is not None or self._memory_held

    async def release(self) -> None:
        self._memory_held = False
        if self._file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def lease_for(engine: AsyncEngine) -> Lease:
    if engine.dialect.name == "postgresql":
        return PostgresLease(engine)
    database = engine.url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return FileLease(None)
    return FileLease(Path(f"{database}.sender-lock").expanduser())
