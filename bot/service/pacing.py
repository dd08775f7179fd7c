"""One pace for everything the bot sends, with conversation replies first.

Telegram lets a bot send about 30 messages a second, and one a second to a chat (20 a minute to
a group). :class:`Pacer` is a token bucket at ``rate`` (25 by default) shared by two kinds of
sender:

* a conversation reply takes a token as soon as one is there: it waits only when replies alone
  use the whole rate, never behind a broadcast;
* a broadcast message takes one only while ``reserve`` tokens stay in the bucket for replies and
  no reply is waiting, at least a second after the last message to that chat (three to a
  group), and not during a flood pause: after a 429 the broadcast waits ``retry_after`` and goes
  on at a lower rate, which recovers step by step while Telegram stays quiet (a 429 on a reply
  only holds back broadcasts to that chat: see :meth:`Pacer.chat_flood`).

So in any second at most ``capacity + rate`` messages leave (about 28 with the defaults), under
Telegram's 30. Why not aiolimiter: its ``AsyncLimiter`` has neither priorities nor a reserve,
and its waiters are served in turn, so a broadcast's queue would delay replies.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

CHAT_GAP = 1.0
"""Seconds between broadcast messages to one private chat (or after a reply to it)."""
GROUP_GAP = 3.0
"""... to a group (Telegram: 20 a minute)."""
SLOWER = 0.7
"""After a 429, the broadcast's rate is multiplied by this (down to ``SLOWEST``) ..."""
SLOWEST = 0.2
RECOVER_AFTER = 10.0
"""... and raised by a tenth of the rate after each such quiet stretch (seconds), up to the rate."""


class Pacer:
    def __init__(
        self,
        rate: float = 25.0,
        *,
        capacity: float | None = None,
        reserve: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("the rate must be positive")
        self.rate = rate
        self.capacity = capacity if capacity is not None else max(3.0, rate * 0.12)
        self.reserve = reserve if reserve is not None else self.capacity / 2
        if not 1 <= self.reserve <= self.capacity - 1:
            # Without a token kept, a broadcast can take the one a reply arrives for an instant
            # later; without room above the reserve, no broadcast ever goes.
            raise ValueError(
                "the reserve must keep at least one token for replies and leave one to broadcasts"
            )
        self._clock, self._sleep = clock, sleep
        self._level = self.capacity
        self._stamp = clock()
        self._replies_waiting = 0
        self._paused_until = 0.0
        self.factor = 1.0
        """The broadcast's share of the rate now (1 until a 429)."""
        self._last_flood = 0.0
        self._next_broadcast = 0.0
        self._last_sent: dict[int, float] = {}
        self.floods = 0

    def _refill(self) -> float:
        now = self._clock()
        self._level = min(self.capacity, self._level + (now - self._stamp) * self.rate)
        self._stamp = now
        if self.factor < 1.0 and (steps := int((now - self._last_flood) // RECOVER_AFTER)):
            # A tenth of the rate back for each quiet stretch, however long since the last look.
            self.factor = min(1.0, round(self.factor + 0.1 * steps, 6))
            self._last_flood += steps * RECOVER_AFTER
        return now

    async def reply(self, chat_id: int) -> None:
        """A token for a conversation reply to ``chat_id``."""
        self._replies_waiting += 1
        try:
            while True:
                now = self._refill()
                if self._level >= 1.0:
                    self._level -= 1.0
                    self._sent(chat_id, now)
                    return
                await self._sleep((1.0 - self._level) / self.rate)
        finally:
            self._replies_waiting -= 1

    async def broadcast(self, chat_id: int) -> None:
        """A token for a broadcast message to ``chat_id``, after any reply waiting."""
        gap = GROUP_GAP if chat_id < 0 else CHAT_GAP
        while True:
            now = self._refill()
            waits = [
                self._paused_until - now,
                self._next_broadcast - now,
                self._last_sent.get(chat_id, -gap) + gap - now,
            ]
            if self._replies_waiting or self._level < 1.0 + self.reserve:
                waits.append((1.0 + self.reserve - self._level) / self.rate)
            wait = max(waits)
            if wait <= 0 and not self._replies_waiting:
                self._level -= 1.0
                self._next_broadcast = now + 1.0 / (self.rate * self.factor) if self.factor < 1.0 else 0.0
                self._sent(chat_id, now)
                return
            await self._sleep(max(wait, 1.0 / self.rate / 4))

    def flood(self, retry_after: float) -> None:
        """Telegram answered 429: broadcasts wait ``retry_after`` seconds and slow down."""
        now = self._clock()
        self.floods += 1
        self._paused_until = max(self._paused_until, now + retry_after)
        self.factor = max(SLOWEST, self.factor * SLOWER)
        self._last_flood = now

    def chat_flood(self, chat_id: int, retry_after: float) -> None:
        """A reply to ``chat_id`` got a 429: that chat's next broadcast message waits it out too
        (a reply's 429 is taken as that chat's, not the whole bot's: a conversation sending a few
        messages at once must not stop a broadcast to everyone)."""
        gap = GROUP_GAP if chat_id < 0 else CHAT_GAP
        self._last_sent[chat_id] = max(self._last_sent.get(chat_id, 0.0), self._clock() + retry_after - gap)

    def paused_for(self) -> float:
        """Seconds the broadcasts still wait after a 429."""
        return max(0.0, self._paused_until - self._clock())

    def _sent(self, chat_id: int, now: float) -> None:
        self._last_sent[chat_id] = max(now, self._last_sent.get(chat_id, now))  # keeps a chat's flood hold
        if len(self._last_sent) > max(64, int(self.rate * GROUP_GAP * 4)):
            # Forget chats last sent to longer ago than any gap: the map stays small.
            self._last_sent = {chat: at for chat, at in self._last_sent.items() if now - at < GROUP_GAP}
