"""Long polling (getUpdates) of our own, shared by both frameworks.

Neither framework's poller fits a bot that must lose nothing: both confirm a batch to Telegram
(the next getUpdates' ``offset``) before its updates are handled, so a crash in between loses
them; one update the framework cannot read fails the whole batch, again and again; and aiogram
polls again a second after a 429 whatever ``retry_after`` says. Here the framework only fetches
(its own session, its own errors) and reads each update on its own:

* a batch is confirmed only once every update in it has its turn recorded (or was skipped for
  good), so an update cut short by a crash, an outage or a stop comes again (the update id
  makes that harmless);
* an update the framework cannot read is skipped with a log line naming its id, never its text;
* a 429 waits ``retry_after``; network trouble and 5xx back off up to the policy's longest wait,
  for as long as it lasts; a stop ends a long poll at once.

While a batch is being handled no other is fetched: that bounds the updates in hand, and the
bridge bounds the turns computed at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from bot.basics.errors import ConfigurationError
from bot.channels.telegram import translate
from bot.channels.telegram.bridge import TelegramBridge
from bot.channels.telegram.delivery import Failure
from bot.channels.telegram.translate import Incoming
from bot.channels.telegram.views import UpdateView

log = logging.getLogger(__name__)

T = TypeVar("T")

LIMIT = 100
"""Updates asked for per getUpdates (Telegram's most)."""

Raw = dict[str, Any]
Fetch = Callable[[int | None, int, int], Awaitable[list[Raw]]]
"""getUpdates(offset, timeout, limit) in the framework, answering the updates as JSON objects."""


class Poller:
    def __init__(
        self,
        bridge: TelegramBridge,
        fetch: Fetch,
        parse: Callable[[Raw], UpdateView],
        *,
        framework: str,
        timeout: int,
    ) -> None:
        self.bridge = bridge
        self.fetch = fetch
        self.parse = parse
        self.framework = framework
        self.timeout = timeout
        self._taken: list[tuple[int, asyncio.Future[None]]] = []
        self.offset: int | None = None
        """The next update to ask for: every one before it is recorded and confirmed (or will
        be, by the next getUpdates)."""

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until ``stop`` is set. Updates still in hand then are the bridge's to finish or
        cancel (:meth:`TelegramBridge.drain`); :meth:`finish` confirms what was recorded."""
        while not stop.is_set():
            batch = await self._next(stop)
            if batch is None:
                return
            if batch and not await self._handle(batch, stop):
                return

    async def finish(self) -> None:
        """Once the bridge is drained: confirm the updates recorded, up to the first that was
        not (it and those after come again at the next start)."""
        for update_id, future in self._taken:
            if not future.done() or future.cancelled():
                self.offset = update_id
                break
        self._taken = []
        if self.offset is not None:
            await self._confirm()

    async def _handle(self, batch: list[Raw], stop: asyncio.Event) -> bool:
        """Hand the batch to the bridge and wait until every turn is recorded; ``False`` if
        stopped first."""
        last = self.offset - 1 if self.offset is not None else None
        for data in batch:
            update_id = data.get("update_id")
            if not isinstance(update_id, int):
                log.error("getUpdates answered an update without an id; skipped")
                continue
            # One Telegram sends again (below the offset: it should not) is known by its id.
            last = update_id if last is None else max(last, update_id)
            incoming = self._read(update_id, data)
            if incoming is not None:
                self._taken.append((update_id, self.bridge.accept(incoming)))
        if last is None:
            return True
        self.offset = last + 1  # confirmed by the next getUpdates, once all are recorded
        waiting: set[asyncio.Future[Any]] = {future for _, future in self._taken}
        stopping: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
        try:
            while waiting and not stop.is_set():
                _, waiting = await asyncio.wait(waiting | {stopping}, return_when=asyncio.FIRST_COMPLETED)
                waiting.discard(stopping)
        finally:
            stopping.cancel()
        if waiting:
            return False
        self._taken = []
        return True

    def _read(self, update_id: int, data: Raw) -> Incoming | None:
        try:
            return translate.translate(self.parse(data), self.bridge.clock(), self.bridge.staff_chat)
        except Exception as exc:  # the error's text would quote the update: its type only
            log.error(
                "update %s: %s cannot read it (%s); skipped", update_id, self.framework, type(exc).__name__
            )
            return None

    async def _next(self, stop: asyncio.Event) -> list[Raw] | None:
        """The next batch (empty after a long poll with no news); ``None`` once stopping."""
        failures = 0
        while not stop.is_set():
            try:
                answer = await self._until(stop, self.fetch(self.offset, self.timeout, LIMIT))
            except Exception as exc:
                failure = self.bridge.api.classify(exc)
                if failure is None:
                    log.exception("getUpdates failed")
                    delay = self.bridge.policy.max_backoff
                elif failure.kind is Failure.FLOOD:
                    delay = failure.retry_after
                    log.warning("getUpdates: flood control, waiting %s s", delay)
                elif failure.code == 401:
                    raise ConfigurationError(
                        "DT4E_TELEGRAM_TOKEN: the Bot API no longer accepts the token "
                        f"({failure.description})"
                    ) from exc
                else:
                    failures += 1
                    delay = self.bridge.policy.backoff(failures)
                    conflict = " (another instance polling, or a webhook set?)" if failure.code == 409 else ""
                    log.warning("getUpdates: %s%s; retrying in %s s", failure.description, conflict, delay)
                await self._until(stop, self.bridge.sleep(delay))
                continue
            if answer is not None:
                return answer
        return None

    async def _until(self, stop: asyncio.Event, work: Awaitable[T]) -> T | None:
        """``work``'s result, or ``None`` when ``stop`` comes first (``work`` is then cancelled)."""
        task = asyncio.ensure_future(work)
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if task.done():
            return task.result()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        return None

    async def _confirm(self) -> None:
        """Tell Telegram which updates are done with, before leaving (a getUpdates that waits
        for nothing and whose answer, if any, is left for the next start)."""
        try:
            await asyncio.wait_for(self.fetch(self.offset, 0, 1), timeout=2)
        except Exception as exc:  # they come again at the next start, and are known by their ids
            log.info("could not confirm the last updates before stopping (%s)", type(exc).__name__)
