"""The broadcast sender in the running bot: survey prompts, reminders and announcements from the
job queue in the database, at Telegram's pace, after conversation replies.

Every instance runs a :class:`Broadcaster`; the one holding the lease (``bot.service.pushes.Lease``)
sends, the others wait to take over. On taking it, the sender resolves what a stopped one left
(:meth:`PushQueue.recover`), then claims recipients a batch at a time and sends up to
``concurrency`` at once, each after a token from the bridge's :class:`~bot.service.pacing.Pacer`.
Every minute it also turns the follow-ups and reminders that are due into jobs.

What Telegram answers, per recipient:

====================  ===================================================================
429, retry_after=N     every broadcast message waits N seconds, the rate is lowered, and the
                       same message is tried again (it was not sent)
403, 400 chat not      unreachable, with Telegram's words; the person is marked so, and
found                  later jobs skip them until they write again
5xx, timeout,          tried again after 0.5, 1, 2, 4, 8 s, then failed with the reason
dropped connection
any other error        failed with Telegram's words
====================  ===================================================================

A graceful stop (``drain``) claims nothing more, waits for the sends in flight and gives the
rest of the claims back, so a deploy leaves nothing ambiguous.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.channels.telegram.delivery import Failure
from bot.channels.telegram.render import render
from bot.channels.telegram.translate import CHANNEL
from bot.core.events import ReplyCreated
from bot.core.features.surveys import announcement, prompt, survey
from bot.service.pushes import (
    ANNOUNCEMENT,
    FAILED,
    PENDING,
    REMINDER,
    SENT,
    UNREACHABLE,
    Broadcasting,
    Delivery,
    Result,
)

if TYPE_CHECKING:
    from bot.channels.telegram.bridge import TelegramBridge

log = logging.getLogger(__name__)

BATCH = 50
IDLE = 2.0
"""Seconds between looks at the queue while it is empty ..."""
TAKEOVER = 5.0
"""... and between tries of the lease while another instance holds it."""
SCHEDULE_EVERY = timedelta(minutes=1)
FLOODS_PER_MESSAGE = 20
"""429s for one message before it goes back to the queue (to be tried later)."""
FLUSH_EVERY = 0.1
"""Seconds between writes of the results (several in one transaction): a kill in between leaves
those recipients "sending", reported interrupted, never sent twice."""


class Broadcaster:
    def __init__(self, bridge: TelegramBridge, setup: Broadcasting, *, concurrency: int = 8) -> None:
        self.bridge = bridge
        self.queue = setup.queue
        self.lease = setup.lease
        self.planner = setup.planner
        self.owner = f"{uuid.uuid4().hex[:12]}"
        self.concurrency = concurrency
        self._slots = asyncio.Semaphore(concurrency)
        self._in_flight: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._results: list[Result] = []
        self.pacer = bridge.pacer

    async def run(self) -> None:
        """Send while holding the lease; until cancelled (see :meth:`drain`)."""
        while not self._stopping:
            try:
                if not await self.lease.acquire():
                    await asyncio.sleep(TAKEOVER)
                    continue
                back, cut = await self.queue.recover(self.bridge.clock())
                if back or cut:
                    log.warning(
                        "broadcasts: took over; %d claims given back, %d sends cut short by a stop "
                        "(reported as interrupted, not sent again)",
                        back,
                        cut,
                    )
                await self._lead()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("broadcasts: sending failed; trying again shortly")
                await asyncio.sleep(IDLE)

    async def _lead(self) -> None:
        flusher = asyncio.create_task(self._flush_often(), name="broadcast results")
        try:
            await self._claim_and_send()
        finally:
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
            await self._settle()

    async def _claim_and_send(self) -> None:
        scheduled = None
        ahead: asyncio.Task[list[Delivery]] | None = None  # the next batch, claimed while one is sent
        try:
            while not self._stopping and await self.lease.held():
                now = self.bridge.clock()
                if self.planner is not None and (scheduled is None or now - scheduled >= SCHEDULE_EVERY):
                    scheduled = now
                    if queued := await self.planner.queue_due(now):
                        log.info("follow-ups: jobs %s queued", ", ".join(map(str, queued)))
                batch = await ahead if ahead is not None else await self._claim()
                ahead = None
                if not batch:
                    await self._settle()
                    for push_id in await self.queue.close_finished(self.bridge.clock()):
                        log.info("broadcast job %d is done", push_id)
                    await asyncio.sleep(IDLE)
                    continue
                ahead = asyncio.create_task(self._claim(), name="broadcast claims")
                await self._send_batch(batch)
        finally:
            if ahead is not None:
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await self.queue.release(self.owner, [d.recipient_id for d in await ahead])

    async def _claim(self) -> list[Delivery]:
        return await self.queue.claim(BATCH, self.bridge.clock(), channel=CHANNEL, owner=self.owner)

    async def _send_batch(self, batch: list[Delivery]) -> None:
        for index, item in enumerate(batch):
            if self._stopping:
                await self.queue.release(self.owner, [i.recipient_id for i in batch[index:]])
                return
            await self._slots.acquire()
            try:
                await self.pacer.broadcast(int(item.user.id))
            except BaseException:
                self._slots.release()
                raise
            task = asyncio.create_task(self._send(item), name=f"broadcast {item.recipient_id}")
            self._in_flight.add(task)
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._slots.release()

    async def _settle(self) -> None:
        """Wait for the sends in flight, and write their results."""
        if self._in_flight:
            await asyncio.wait(set(self._in_flight))
        await self._flush()

    async def _flush_often(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_EVERY)
            await self._flush()

    async def _flush(self) -> None:
        if not self._results:
            return
        results, self._results = self._results, []
        policy = self.bridge.policy
        try:
            for attempt in range(1, policy.attempts + 1):
                try:
                    await self.queue.finish(results)
                    return
                except Exception:
                    if attempt == policy.attempts:
                        # Left "sending": the next sender reports them interrupted, never twice.
                        log.exception("broadcasts: could not record %d results", len(results))
                        return
                    await asyncio.sleep(policy.backoff(attempt))
        except asyncio.CancelledError:
            self._results[:0] = results  # written by the last flush (the same values, if these were)
            raise

    async def _send(self, item: Delivery) -> None:
        clock = self.bridge.clock
        try:
            if not await self.queue.begin(item.recipient_id, self.owner, clock()):
                return  # paused or cancelled since it was claimed
            message = self.message(item)
            if message is None:
                status, reason = (
                    FAILED,
                    "nothing to send: the survey no longer exists, or no text in the language",
                )
            else:
                status, reason = await self._deliver(item, message)
        except Exception as exc:  # one recipient's trouble does not stop the others
            log.exception("broadcast recipient %s failed", item.recipient_id)
            status, reason = FAILED, f"error: {type(exc).__name__}"
        self._results.append(Result(item.recipient_id, status, reason, clock()))

    def message(self, item: Delivery) -> ReplyCreated | None:
        context = self.bridge.service.context
        lang = item.lang or context.default_language
        if item.kind == ANNOUNCEMENT:
            return announcement(context, item.message, lang)
        dialog = survey(context, item.survey_id or "")
        if dialog is None or item.wave is None:
            return None
        return prompt(context, dialog, item.wave, lang, reminder=item.kind == REMINDER)

    async def _deliver(self, item: Delivery, reply: ReplyCreated) -> tuple[str, str]:
        """Send every part; (status, reason)."""
        bridge, chat_id = self.bridge, int(item.user.id)
        policy = bridge.policy
        async with bridge.chats.hold(item.user.id):  # in order with the chat's replies
            for number, part in enumerate(render(reply)):
                if number:
                    await self.pacer.broadcast(chat_id)
                transient = floods = 0
                while True:
                    try:
                        await bridge.api.send(chat_id, part)
                        break
                    except Exception as exc:
                        failure = bridge.api.classify(exc)
                        if failure is None:
                            raise
                    if failure.kind is Failure.FLOOD:
                        self.pacer.flood(failure.retry_after)
                        floods += 1
                        if floods >= FLOODS_PER_MESSAGE and number == 0:
                            return PENDING, ""  # not sent: back in the queue, for later
                        log.warning("broadcasts: flood control, pausing %s s", failure.retry_after)
                        await self.pacer.broadcast(chat_id)
                    elif failure.kind is Failure.TRANSIENT and transient + 1 < policy.attempts:
                        transient += 1
                        await bridge.sleep(policy.backoff(transient))
                        await self.pacer.broadcast(chat_id)
                    elif failure.kind is Failure.UNREACHABLE:
                        await bridge.mark_unreachable(item.user, failure.description)
                        return UNREACHABLE, failure.description
                    else:
                        tries = f" (after {transient + 1} tries)" if failure.kind is Failure.TRANSIENT else ""
                        return FAILED, failure.description + tries
        return SENT, ""

    async def drain(self, timeout: float) -> None:  # noqa: ASYNC109 - a bounded shutdown wait
        """Claim nothing more, let the sends in flight finish (at most ``timeout`` seconds), give
        the other claims back and let go of the lease."""
        self._stopping = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._settle(), timeout)
        with contextlib.suppress(Exception):
            await self.queue.release(self.owner)

    async def close(self) -> None:
        """After the sender's task has ended: write what is left, let go of the lease."""
        with contextlib.suppress(Exception):
            await self._settle()
        with contextlib.suppress(Exception):
            await self.queue.release(self.owner)
        with contextlib.suppress(Exception):
            await self.lease.release()
