"""Serialising work per key (a user, a chat) inside one process, in the order it was asked for."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType


class Place:
    """A place in a key's line, taken when it was made (:meth:`KeyedLocks.reserve`): ``async
    with`` it waits for the places before it, and leaving it lets the next one go. A place
    that is dropped unused must be given up (:meth:`give_up`), or those behind it wait forever."""

    __slots__ = ("_key", "_mine", "_owner", "_previous")

    def __init__(
        self, owner: KeyedLocks, key: str, previous: asyncio.Future[None] | None, mine: asyncio.Future[None]
    ) -> None:
        self._owner = owner
        self._key = key
        self._previous = previous
        self._mine = mine

    async def __aenter__(self) -> None:
        previous = self._previous
        if previous is None or previous.done():
            return
        try:
            await asyncio.shield(previous)  # our cancellation must not cancel theirs
        except asyncio.CancelledError:
            # Leaving the line: those behind go when the one before is done, not earlier.
            previous.add_done_callback(lambda _: self.give_up())
            raise

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.give_up()

    def give_up(self) -> None:
        if not self._mine.done():
            self._mine.set_result(None)
        self._owner._left(self._key, self._mine)


class KeyedLocks:
    """One line per key, dropped when nobody is in it. Places are granted in the order they
    were taken, so work started in order runs in order, whatever it awaited in between."""

    def __init__(self) -> None:
        self._tails: dict[str, asyncio.Future[None]] = {}

    def reserve(self, key: str) -> Place:
        """Take the next place in ``key``'s line now, to wait for it later."""
        mine = asyncio.get_running_loop().create_future()
        place = Place(self, key, self._tails.get(key), mine)
        self._tails[key] = mine
        return place

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        async with self.reserve(key):
            yield

    def _left(self, key: str, mine: asyncio.Future[None]) -> None:
        if self._tails.get(key) is mine:
            del self._tails[key]

    def __len__(self) -> int:
        return len(self._tails)
