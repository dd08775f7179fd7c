"""The bridge between a framework adapter and the conversation service.

:class:`TelegramBridge` hands each translated update to the service and delivers the replies
(split to Telegram's limits, the keyboard on the last part), one chat at a time, many chats at
once; it answers every button press, publishes the command menus and sends again what a crash
or an outage left in the outbox.

Nothing raises out of :meth:`TelegramBridge.handle`: the service has saved the user's input, the
new state and the replies (in the outbox) before anything is sent (a database that cannot be
reached for a moment is tried again with the Bot API's backoff); replies not delivered for now
are sent again at the next start or by the sweep (:meth:`TelegramBridge.resend_undelivered`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Protocol, TypeVar

from bot.basics.errors import ConfigurationError, DatabaseUnavailable
from bot.channels.telegram.broadcasts import Broadcaster
from bot.channels.telegram.delivery import BotApi, DeliveryFailed, Failure, RetryPolicy, Sleep, deliver
from bot.channels.telegram.render import render
from bot.channels.telegram.translate import CHANNEL, Incoming
from bot.core.commands import Audience, command_menus
from bot.core.context import Context
from bot.core.events import ReplyCreated
from bot.core.inbound import Inbound, UserRef
from bot.service import Handled
from bot.service.locks import KeyedLocks
from bot.service.pacing import Pacer
from bot.service.ports import Undelivered
from bot.service.pushes import Broadcasting

log = logging.getLogger(__name__)

T = TypeVar("T")

RESEND_AFTER = timedelta(seconds=60)
"""Replies still unsent this long after their turn are sent again (by whichever instance sweeps
first); a reply in flight is never that old."""


def _now() -> datetime:
    return datetime.now(UTC)


class Conversations(Protocol):
    """What the bridge needs from :class:`bot.service.ConversationService`."""

    @property
    def context(self) -> Context: ...

    async def handle_durably(self, inbound: Inbound) -> Handled: ...

    async def delivered(self, outbox_id: int, at: datetime) -> None: ...

    async def undelivered(self, channel: str, created_before: datetime) -> list[Undelivered]: ...

    async def claim(self, outbox_id: int, at: datetime) -> bool: ...

    async def release(self, outbox_id: int) -> None: ...

    async def mark_reachable(self, user: UserRef, reachable: bool, at: datetime) -> None: ...

    async def staff_ids(self, channel: str) -> set[str]: ...

    @property
    def broadcasting(self) -> Broadcasting | None: ...


class TelegramBridge:
    """Runs each translated update through the service and delivers the replies.

    Updates of one chat are handled and answered one after the other, so replies arrive in
    order even when a send is retried; different chats run concurrently.
    """

    def __init__(
        self,
        service: Conversations,
        api: BotApi,
        *,
        policy: RetryPolicy | None = None,
        clock: Callable[[], datetime] = _now,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.service = service
        self.api = api
        self.policy = policy or RetryPolicy()
        self.clock = clock
        self.sleep = sleep
        self.chats = KeyedLocks()
        self.handled = 0
        """Updates handled so far (answered, or failed and logged), for logs and tests."""
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._sweeper: asyncio.Task[None] | None = None
        setup = service.broadcasting
        self.pacer = Pacer(setup.rate if setup is not None else 25.0)
        """Every message sent goes through it: replies first, then broadcasts."""
        self.broadcaster = Broadcaster(self, setup) if setup is not None else None
        self._broadcasts: asyncio.Task[None] | None = None

    async def call(self, call: Callable[[], Awaitable[T]], what: str, chat_id: int | None = None) -> T:
        """One Bot API call under the retry policy (:func:`deliver`); a 429 slows the broadcasts
        (to ``chat_id`` only, for a message to a chat)."""
        on_flood = self.pacer.flood if chat_id is None else partial(self.pacer.chat_flood, chat_id)
        return await deliver(
            call, self.api.classify, self.policy, what=what, sleep=self.sleep, on_flood=on_flood
        )

    async def start(self, where: str) -> str:
        """Check the token and publish the command menu; return the bot's username.

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
        await self.publish_commands()
        await self.resend_undelivered()
        self._sweeper = asyncio.create_task(self._sweep(), name="outbox sweeper")
        if self.broadcaster is not None:
            self._broadcasts = asyncio.create_task(self.broadcaster.run(), name="broadcasts")
        return username

    async def publish_commands(self) -> None:
        """setMyCommands from the command table: for everyone, then for each staff member's
        chat when there are staff commands (configured staff, and those invited so far: someone
        invited later gets theirs at the next start); each in English for clients in other
        languages, then in each language."""
        context = self.service.context
        staff = sorted(int(user_id) for user_id in await self.service.staff_ids(CHANNEL))
        for audience, lang, menu in command_menus(context.commands, context.i18n.for_lang):
            chats: list[int | None] = [None] if audience is Audience.ANYONE else list(staff)
            code = lang.value if lang is not None else None
            for chat_id in chats:
                try:
                    await self.call(partial(self.api.set_commands, menu, code, chat_id), "setMyCommands")
                except DeliveryFailed as exc:
                    where = f"chat {chat_id}" if chat_id is not None else "everyone"
                    log.error("could not set the command menu (%s, %s): %s", where, code or "default", exc)

    async def handle(self, incoming: Incoming) -> None:
        """Process one update and answer it; logs, never raises."""
        self._busy += 1
        self._idle.clear()
        inbound = incoming.inbound
        try:
            if incoming.callback_query_id is not None:
                await self._answer_callback(incoming.callback_query_id)
            async with self.chats.hold(str(incoming.chat_id)):
                handled = await self._handle_durably(inbound)
                done = await self.send_replies(inbound.user, incoming.chat_id, handled.replies)
                if done:
                    for outbox_id in handled.outbox_ids:
                        await self.service.delivered(outbox_id, self.clock())
        except Exception:
            log.exception("update %s of %s failed", inbound.update_id, inbound.user.key)
        finally:
            self.handled += 1
            self._busy -= 1
            if self._busy == 0:
                self._idle.set()

    async def _handle_durably(self, inbound: Inbound) -> Handled:
        """The service's turn, tried again while the database cannot be reached (a restart, a
        dropped connection, SQLite busy), with the same backoff as Bot API calls. The update is
        recorded with its effects in one transaction, so a try that did commit is not repeated."""
        for attempt in range(1, self.policy.attempts + 1):
            try:
                return await self.service.handle_durably(inbound)
            except DatabaseUnavailable as exc:
                if attempt == self.policy.attempts:
                    raise
                delay = self.policy.backoff(attempt)
                log.warning("update %s: %s; retrying in %s s", inbound.update_id, exc, delay)
                await self.sleep(delay)
        raise AssertionError("unreachable")

    async def _answer_callback(self, query_id: str) -> None:
        try:
            await self.call(partial(self.api.answer_callback, query_id), "answerCallbackQuery")
        except DeliveryFailed as exc:
            # Typically a redelivered or very old press: Telegram no longer accepts an answer.
            log.info("%s", exc)

    async def send_replies(self, user: UserRef, chat_id: int, replies: Sequence[ReplyCreated]) -> bool:
        """Deliver the replies in order; stop at the first message that cannot be delivered.

        ``True`` when done with them: all sent, or the user cannot be reached at all; ``False``
        when sending failed for now (they stay in the outbox and are sent again later)."""
        for reply in replies:
            for message in render(reply):
                what = "sendMessage" if message.attachment is None else f"send {message.attachment.kind}"
                try:
                    await self.pacer.reply(chat_id)
                    await self.call(
                        partial(self.api.send, chat_id, message), f"{what} to {user.key}", chat_id
                    )
                except DeliveryFailed as exc:
                    await self._undelivered(user, exc)
                    return exc.failure.kind is Failure.UNREACHABLE
        return True

    async def resend_undelivered(self) -> int:
        """Send again the replies a crash or an outage left in the outbox (those older than
        ``RESEND_AFTER``, so as not to race another instance still sending them); returns how
        many turns' replies were sent."""
        sent = 0
        pending = await self.service.undelivered(CHANNEL, self.clock() - RESEND_AFTER)
        for entry in pending:
            if not await self.service.claim(entry.outbox_id, self.clock()):
                continue
            async with self.chats.hold(entry.user.id):
                done = await self.send_replies(entry.user, int(entry.user.id), entry.replies)
            if done:
                sent += 1
            else:
                await self.service.release(entry.outbox_id)
        if pending:
            log.info("outbox: sent %d of %d earlier replies", sent, len(pending))
        return sent

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(RESEND_AFTER.total_seconds())
            try:
                await self.resend_undelivered()
            except Exception:
                log.exception("outbox sweep failed; trying again later")

    async def _undelivered(self, user: UserRef, exc: DeliveryFailed) -> None:
        failure = exc.failure
        if failure.kind is Failure.UNREACHABLE:
            await self.mark_unreachable(user, failure.description)
        elif failure.kind is Failure.FLOOD:
            log.warning("%s; left in the outbox, sent again by the sweep", exc)
        else:
            log.error("gave up delivering a reply: %s", exc)

    async def mark_unreachable(self, user: UserRef, why: str) -> None:
        log.info("%s is unreachable (%s); marked so broadcasts skip them", user.key, why)
        try:
            await self.service.mark_reachable(user, False, self.clock())
        except Exception:
            log.exception("could not mark %s unreachable", user.key)

    async def drain(self, timeout: float) -> None:  # noqa: ASYNC109 - a bounded shutdown wait
        """Wait (at most ``timeout`` seconds) for updates being handled to finish."""
        if self.broadcaster is not None:
            await self.broadcaster.drain(timeout)
        for task in (self._sweeper, self._broadcasts):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._sweeper = self._broadcasts = None
        if self.broadcaster is not None:
            await self.broadcaster.close()
        if self._busy:
            log.info("waiting for %d update(s) being handled", self._busy)
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            log.warning("stopping with %d update(s) still being handled", self._busy)
