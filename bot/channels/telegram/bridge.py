"""The bridge between a framework adapter and the conversation service.

:class:`TelegramBridge` hands each translated update to the service and delivers the replies
(split to Telegram's limits, the keyboard on the last part), one chat at a time, many chats at
once; it answers every button press, publishes the command menus and sends again what a crash
or an outage left in the outbox.

:meth:`TelegramBridge.accept` says when an update's turn is recorded: only then may the channel
confirm it to Telegram (the polling offset, the webhook's 200), so an update a crash or an outage
interrupts comes again. The turn (input, new state, replies in the outbox) is one transaction,
tried again for as long as the database cannot be used: an answer is late, never lost. Turns in
flight are bounded (``max_in_flight``); each chat's turns and messages keep its updates' order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from typing import Protocol, TypeVar

from bot.basics.errors import ConfigurationError, DatabaseUnavailable
from bot.channels.telegram import menus
from bot.channels.telegram.broadcasts import Broadcaster
from bot.channels.telegram.delivery import BotApi, DeliveryFailed, RetryPolicy, Sleep, deliver
from bot.channels.telegram.marks import Journal
from bot.channels.telegram.outbox import Outbox, OutboxService
from bot.channels.telegram.translate import CHANNEL, Incoming
from bot.core.context import Context
from bot.core.inbound import Inbound, UserRef
from bot.service import Handled
from bot.service.locks import KeyedLocks
from bot.service.pacing import Pacer
from bot.service.pushes import Broadcasting

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_IN_FLIGHT = 16
"""Turns being computed or written at once, by default: enough to keep the database busy, few
enough that a burst of thousands waits in line here instead of for a database connection."""


NOTICE_WAIT = 2.0
"""Seconds a button press waits for its turn's notice before it is answered without one."""
NOTICE_CHARS = 200
"""The longest notice Telegram shows over the chat."""


def _now() -> datetime:
    return datetime.now(UTC)


class Conversations(OutboxService, Protocol):
    """What the bridge needs from :class:`bot.service.ConversationService`."""

    @property
    def context(self) -> Context: ...

    async def handle_durably(self, inbound: Inbound) -> Handled: ...

    async def mark_reachable(self, user: UserRef, reachable: bool, at: datetime) -> None: ...

    async def staff_ids(self, channel: str) -> set[str]: ...

    async def posted(self, chat: UserRef, message_id: int, thread: str, at: datetime) -> None: ...

    async def healthy(self) -> bool: ...

    @property
    def broadcasting(self) -> Broadcasting | None: ...


class TelegramBridge:
    """Runs each translated update through the service and delivers the replies.

    The updates of one chat are handled one after the other, and their replies sent in the same
    order (a turn may be computed while the previous reply is still being sent); different chats
    run concurrently, at most ``max_in_flight`` turns at a time.
    """

    def __init__(
        self,
        service: Conversations,
        api: BotApi,
        *,
        policy: RetryPolicy | None = None,
        clock: Callable[[], datetime] = _now,
        sleep: Sleep = asyncio.sleep,
        max_in_flight: int = MAX_IN_FLIGHT,
        journal: Journal | None = None,
    ) -> None:
        self.service = service
        self.api = api
        self.policy = policy or RetryPolicy()
        self.clock = clock
        self.sleep = sleep
        self.turns = KeyedLocks()
        """Each chat's turns, in the order of its updates."""
        self.chats = KeyedLocks()
        """Each chat's messages (replies, broadcasts), in order."""
        self.handled = 0
        """Updates handled so far (answered, or failed and logged), for logs and tests."""
        self._slots = asyncio.Semaphore(max_in_flight)
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self.outbox = Outbox(self, journal)
        self._background: list[asyncio.Task[None]] = []
        setup = service.broadcasting
        self.pacer = Pacer(setup.rate if setup is not None else 25.0)
        """Every message sent goes through it: replies first, then broadcasts."""
        self.broadcaster = Broadcaster(self, setup) if setup is not None else None

    @property
    def staff_chat(self) -> int | None:
        """The staff chat's id (``DT4E_STAFF_CHAT_ID``), or ``None``."""
        chat = self.service.context.staff_chat
        return int(chat.id) if chat is not None and chat.channel == CHANNEL else None

    async def call(self, call: Callable[[], Awaitable[T]], what: str, chat_id: int | None = None) -> T:
        """One Bot API call under the retry policy (:func:`deliver`); a 429 slows the broadcasts
        (to ``chat_id`` only, for a message to a chat)."""
        on_flood = self.pacer.flood if chat_id is None else partial(self.pacer.chat_flood, chat_id)
        return await deliver(
            call, self.api.classify, self.policy, what=what, sleep=self.sleep, on_flood=on_flood
        )

    async def start(self, where: str) -> str:
        """Check the token and publish the command menu; return the bot's username. The outbox
        sweep (its first round at once), the marking of delivered replies and the broadcasts
        then run in the background.

        Raises :class:`ConfigurationError` if the Bot API at ``where`` rejects the token, and
        :class:`DeliveryFailed` if it cannot be reached.
        """
        try:
            username = await self.call(self.api.connect, "getMe")
        except DeliveryFailed as exc:
            if exc.failure.code in (401, 404):
                raise ConfigurationError(
                    f"DT4E_TELEGRAM_TOKEN: the Bot API at {where} rejected the token "
                    f"({exc.failure.description}); copy it again from @BotFather"
                ) from exc
            raise DeliveryFailed(f"cannot reach the Bot API at {where}", exc.failure) from exc
        await menus.publish_commands(self)
        await menus.publish_descriptions(self)
        await self.outbox.prepare()
        self._background = [
            asyncio.create_task(self.outbox.sweep(), name="outbox sweeper"),
            asyncio.create_task(self.outbox.marks.often(), name="outbox marks"),
        ]
        if self.broadcaster is not None:
            self._background.append(asyncio.create_task(self.broadcaster.run(), name="broadcasts"))
        return username

    def accept(self, incoming: Incoming) -> asyncio.Future[None]:
        """Start handling an update; the future is done once its turn is recorded, or skipped
        for good with a logged error, and cancelled if the bot stops first (then the update
        must not be confirmed to Telegram: it comes again). Call in the order of the updates."""
        recorded: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._track(
            asyncio.create_task(self.handle(incoming, recorded), name=f"update {incoming.inbound.update_id}")
        )
        return recorded

    def _track(self, task: asyncio.Task[None]) -> None:
        self._tasks.add(task)
        self._idle.clear()
        task.add_done_callback(self._untrack)

    def _untrack(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not self._tasks:
            self._idle.set()

    async def handle(self, incoming: Incoming, recorded: asyncio.Future[None] | None = None) -> None:
        """Process one update and answer it; logs, never raises (but for cancellation)."""
        inbound = incoming.inbound
        chat = str(incoming.chat_id)
        notice: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        if incoming.callback_query_id is not None:
            # Answered beside the turn: awaiting it first would let a later update of the same
            # chat take its turn before this one.
            self._track(asyncio.create_task(self._answer_callback(incoming.callback_query_id, notice)))
        handled: Handled | None = None
        try:
            async with self.turns.hold(chat):
                try:
                    async with self._slots:
                        handled = await self._handle_durably(inbound)
                except Exception:
                    log.exception("update %s of %s failed; skipped", inbound.update_id, inbound.user.key)
                if recorded is not None and not recorded.done():
                    recorded.set_result(None)
                if handled is None:
                    return
                notice.set_result(next((r.text for r in handled.replies if r.notice), ""))
                # A staff member's reply to a case is the case's person's turn: it goes to them.
                to, chat_id = (
                    (handled.user, int(handled.user.id)) if handled.user else (inbound.user, incoming.chat_id)
                )
                place = self.chats.reserve(str(chat_id))  # the replies go out in the order of the turns
            try:
                async with place:
                    await self.outbox.send_turn(to, chat_id, handled)
            finally:
                place.give_up()
            if handled.language is not None:  # chosen now: this chat's command menu in it
                self._track(
                    asyncio.create_task(menus.chat_menu(self, chat_id, handled.language, handled.staff))
                )
            for other, entry, message in handled.elsewhere:  # the staff chat
                async with self.chats.hold(other.id):
                    await self.outbox.send_turn(other, int(other.id), Handled([message], ((entry, 1),)))
        except Exception:
            log.exception("update %s of %s: replies not sent", inbound.update_id, inbound.user.key)
        finally:
            if not notice.done():
                notice.set_result("")
            if recorded is not None and not recorded.done():
                recorded.cancel()  # stopped before the turn was recorded
            self.handled += 1

    async def _handle_durably(self, inbound: Inbound) -> Handled:
        """The service's turn, tried again for as long as the database cannot be used (a
        restart, a dropped connection, a pool with no free connection, SQLite busy), with the
        Bot API's backoff. The update is recorded with its effects in one transaction, so a try
        that did commit is not repeated (the update id is known)."""
        attempt = 0
        while True:
            try:
                return await self.service.handle_durably(inbound)
            except DatabaseUnavailable as exc:
                attempt += 1
                delay = self.policy.backoff(attempt)
                if attempt <= 3 or attempt % 10 == 0:
                    log.warning(
                        "update %s: %s; retrying in %s s (try %d)", inbound.update_id, exc, delay, attempt
                    )
                await self.sleep(delay)

    async def _answer_callback(self, query_id: str, notice: asyncio.Future[str]) -> None:
        """Answer a button press with the turn's notice (👍 thanked), or with nothing if the
        turn takes longer than :data:`NOTICE_WAIT`: the spinner on the button stops."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(notice), NOTICE_WAIT)
        text = notice.result()[:NOTICE_CHARS] if notice.done() else ""
        try:
            await self.call(partial(self.api.answer_callback, query_id, text), "answerCallbackQuery")
        except DeliveryFailed as exc:
            # Typically a redelivered or very old press: Telegram no longer accepts an answer.
            log.info("%s", exc)

    async def resend_undelivered(self) -> int:
        """Send the replies nobody holds any more (see :meth:`Outbox.resend`)."""
        return await self.outbox.resend()

    async def mark_unreachable(self, user: UserRef, why: str) -> None:
        log.info("%s is unreachable (%s); marked so broadcasts skip them", user.key, why)
        try:
            await self.service.mark_reachable(user, False, self.clock())
        except Exception:
            log.exception("could not mark %s unreachable", user.key)

    async def drain(self, timeout: float) -> None:  # noqa: ASYNC109 - a bounded shutdown wait
        """Wait (at most ``timeout`` seconds) for the updates being handled, then stop what is
        left: an update whose turn was not recorded was not confirmed, and comes again."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout  # one wait for all: a stop is bounded by ``timeout``

        def left() -> float:
            return max(0.0, deadline - loop.time())

        if self.broadcaster is not None:
            with contextlib.suppress(TimeoutError):  # its release waits for the database too
                await asyncio.wait_for(self.broadcaster.drain(left()), left())
        if self._tasks:
            log.info("waiting for %d update(s) being handled", len(self._tasks))
        try:
            await asyncio.wait_for(self._idle.wait(), left())
        except TimeoutError:
            log.warning("stopping with %d update(s) still being handled; they come again", len(self._tasks))
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        for task in self._background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._background = []
        await self.outbox.marks.flush(left())
        if self.broadcaster is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.broadcaster.close(), max(left(), 1.0))
