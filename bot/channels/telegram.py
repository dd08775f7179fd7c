"""What both Telegram channels share, without importing either framework.

:mod:`bot.channels.aiogram` and :mod:`bot.channels.ptb` only translate: a framework update
becomes an :class:`Incoming` (built here by :func:`message_event` and :func:`button_event`),
and a reply goes out through the four calls of :class:`BotApi`. Everything else is here:

- :class:`TelegramBridge` hands each event to the conversation service and delivers the replies
  (split under 4096 characters, the keyboard on the last part), one chat at a time, many chats
  at once; it answers every button press and publishes the command menu per language.
- :func:`deliver` is the one retry policy for every Bot API call:

  ====================  ==================================================================
  Telegram answers       the channel
  ====================  ==================================================================
  429, retry_after=N     sleeps exactly N seconds and retries that request only
                         (``flood_retries`` times at most)
  403, 400 chat not      stops sending this reply and marks the user unreachable (broadcasts
  found                  skip them until they write again)
  5xx, timeout,          backs off 0.5, 1, 2, 4, 8 s (``attempts`` tries in all), then gives
  dropped connection     up with a logged error
  any other error        logs it; no retry
  ====================  ==================================================================

  Nothing raises out of an update handler: the service has saved the user's input, the new
  state and the replies (in the outbox) before anything is sent (a database that cannot be
  reached for a moment is tried again with the same backoff); replies not delivered for now
  are sent again at the next start or by the sweep (:meth:`TelegramBridge.resend_undelivered`).
- :class:`Polling` and :class:`Webhook` are the two ways to receive updates; :func:`run` is
  ``dt4e-bot run``: it opens the app, picks the channel and runs it until SIGINT or SIGTERM.

Each update is processed at most once, whichever way it arrives: its ``update_id`` goes into the
:class:`~bot.core.types.Inbound` and the service records it with the turn's effects.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import partial
from typing import Protocol, TypeVar
from urllib.parse import urlsplit

from aiohttp import web

from bot.core.commands import command_menu
from bot.core.context import Context
from bot.core.errors import AssistantError, ConfigurationError, DatabaseUnavailable
from bot.core.ports import Undelivered
from bot.core.render import TELEGRAM_TEXT_LIMIT, split_text
from bot.core.service import Handled, KeyedLocks
from bot.core.types import Attachment, Button, Inbound, Lang, ReplyCreated, UserRef
from bot.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

CHANNEL = "telegram"
"""``UserRef.channel`` of Telegram users: the same for both frameworks, so switching framework
keeps every conversation."""

CHANNELS = ("aiogram", "ptb")
"""Names accepted by ``dt4e-bot run --channel``; the first is the default."""

ALLOWED_UPDATES = ("message", "edited_message", "callback_query")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

RESEND_AFTER = timedelta(seconds=60)
"""Replies still unsent this long after their turn are sent again (by whichever instance sweeps
first); a reply in flight is never that old."""

CAPTION_LIMIT = 1024

# Kinds of messages that are not text, as named by the Bot API's Message fields, most specific
# first (a venue also carries a location, an animation also a document).
MEDIA_KINDS = (
    "photo",
    "voice",
    "video_note",
    "video",
    "audio",
    "sticker",
    "animation",
    "document",
    "venue",
    "location",
    "contact",
    "poll",
    "dice",
)


def _now() -> datetime:
    return datetime.now(UTC)


# Events in ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Incoming:
    """One update, translated: the core's event, the chat to answer in, the button press to
    acknowledge."""

    inbound: Inbound
    chat_id: int
    callback_query_id: str | None = None


def user_ref(user_id: int) -> UserRef:
    return UserRef(CHANNEL, str(user_id))


def media_kind(message: object) -> str | None:
    """The kind of a non-text message (``photo``, ``sticker`` ...), from either framework's
    Message, or ``None``."""
    for kind in MEDIA_KINDS:
        if getattr(message, kind, None):
            return kind
    return None


def message_event(
    *,
    update_id: int,
    user_id: int | None,
    chat_id: int,
    chat_type: str,
    at: datetime,
    text: str | None,
    media: str | None,
    language_code: str | None,
) -> Incoming | None:
    """A new message, or ``None`` for what the bot deliberately ignores: messages outside
    private chats, and service messages (neither text nor media)."""
    if chat_type != "private" or user_id is None:
        log.debug("update %s: ignoring a message in a %s chat", update_id, chat_type)
        return None
    if text is None and media is None:
        log.debug("update %s: ignoring a service message", update_id)
        return None
    inbound = Inbound(
        user=user_ref(user_id),
        at=at.astimezone(UTC),
        text=text if media is None else None,
        media=media,
        language_hint=language_code,
        update_id=str(update_id),
    )
    return Incoming(inbound, chat_id=chat_id)  # a private chat's id is the user's


def button_event(
    *,
    update_id: int,
    query_id: str,
    user_id: int,
    chat_type: str | None,
    data: str | None,
    language_code: str | None,
    at: datetime,
) -> Incoming | None:
    """A pressed inline button (``chat_type`` is ``None`` when its message is too old to be
    included); presses in groups are ignored. Private chats have the user's id, so the answer
    goes to ``user_id``."""
    if chat_type not in (None, "private"):
        log.debug("update %s: ignoring a button in a %s chat", update_id, chat_type)
        return None
    inbound = Inbound(
        user=user_ref(user_id),
        at=at.astimezone(UTC),
        choice=data or "",  # data the core cannot read becomes its polite "expired" answer
        language_hint=language_code,
        update_id=str(update_id),
    )
    return Incoming(inbound, chat_id=user_id, callback_query_id=query_id)


class _User(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def language_code(self) -> str | None: ...


class _Chat(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def type(self) -> str: ...


class _MessageRef(Protocol):
    @property
    def chat(self) -> _Chat: ...


class _Message(Protocol):
    @property
    def from_user(self) -> _User | None: ...
    @property
    def chat(self) -> _Chat: ...
    @property
    def date(self) -> datetime: ...
    @property
    def text(self) -> str | None: ...


class _CallbackQuery(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def from_user(self) -> _User: ...
    @property
    def message(self) -> _MessageRef | None: ...
    @property
    def data(self) -> str | None: ...


class UpdateView(Protocol):
    """The fields of a Bot API Update the bot reads. aiogram's and python-telegram-bot's
    ``Update`` both mirror the Bot API, field for field, so one translation serves both."""

    @property
    def update_id(self) -> int: ...
    @property
    def message(self) -> _Message | None: ...
    @property
    def callback_query(self) -> _CallbackQuery | None: ...
    @property
    def edited_message(self) -> object | None: ...


def translate(update: UpdateView, now: datetime) -> Incoming | None:
    """An update of either framework as the core's event, or ``None`` when the bot ignores it."""
    if update.message is not None:
        message = update.message
        sender = message.from_user
        return message_event(
            update_id=update.update_id,
            user_id=sender.id if sender else None,
            chat_id=message.chat.id,
            chat_type=message.chat.type,
            at=message.date,
            text=message.text,
            media=media_kind(message),
            language_code=sender.language_code if sender else None,
        )
    if update.callback_query is not None:
        query = update.callback_query
        return button_event(
            update_id=update.update_id,
            query_id=query.id,
            user_id=query.from_user.id,
            chat_type=query.message.chat.type if query.message else None,
            data=query.data,
            language_code=query.from_user.language_code,
            at=now,
        )
    if update.edited_message is not None:
        edited_message_ignored(update.update_id)
    return None


def edited_message_ignored(update_id: int) -> None:
    """Edits are deliberately not answered: the first version was answered already, and
    answering again would repeat or contradict it."""
    log.debug("update %s: ignoring an edited message", update_id)


# Replies out --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One Bot API message: a text (with its inline keyboard), or a file with a caption."""

    text: str = ""
    buttons: tuple[tuple[Button, ...], ...] = ()
    attachment: Attachment | None = None


def render(reply: ReplyCreated, limit: int = TELEGRAM_TEXT_LIMIT) -> list[Outgoing]:
    """A reply as Telegram messages: its text split at paragraph breaks to fit ``limit``, the
    buttons under the last part, then its attachments."""
    chunks = [chunk for chunk in split_text(reply.text, limit) if chunk.strip()]
    messages = [Outgoing(text=chunk) for chunk in chunks]
    if messages and reply.buttons:
        messages[-1] = Outgoing(text=messages[-1].text, buttons=reply.buttons)
    messages += [Outgoing(attachment=attachment) for attachment in reply.attachments]
    return messages


# The retry policy ---------------------------------------------------------------------------


class Failure(StrEnum):
    """What a failed Bot API call means for the caller."""

    FLOOD = "flood"  # 429: wait retry_after, then the same request works
    UNREACHABLE = "unreachable"  # 403, or 400 chat not found: the user cannot be reached
    TRANSIENT = "transient"  # 5xx, timeout, dropped connection: try again later
    REJECTED = "rejected"  # any other 4xx: retrying the same request cannot help


@dataclass(frozen=True, slots=True)
class ApiFailure:
    kind: Failure
    description: str
    code: int | None = None  # the HTTP status, when there was one
    retry_after: float = 0.0


def is_chat_not_found(description: str) -> bool:
    return "chat not found" in description.lower()


class DeliveryFailed(AssistantError):
    """A Bot API call failed for good (after the retries the policy allows)."""

    def __init__(self, what: str, failure: ApiFailure) -> None:
        super().__init__(f"{what}: {failure.description}")
        self.what = what
        self.failure = failure


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How :func:`deliver` retries; the defaults suit production, tests pass shorter delays."""

    attempts: int = 6
    """Tries of one request that keeps failing with 5xx, timeouts or dropped connections."""
    first_backoff: float = 0.5
    """Seconds before the second try; doubled before each further try ..."""
    max_backoff: float = 8.0
    """... up to this many seconds."""
    flood_retries: int = 5
    """429s honoured for one request before giving up on it."""

    def backoff(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1, 2, ...)."""
        return float(min(self.first_backoff * 2 ** (retry - 1), self.max_backoff))


Classify = Callable[[Exception], ApiFailure | None]
"""A framework's reading of its exceptions; ``None`` means "not a Bot API failure"."""

Sleep = Callable[[float], Awaitable[None]]


async def deliver(
    call: Callable[[], Awaitable[T]],
    classify: Classify,
    policy: RetryPolicy,
    *,
    what: str,
    sleep: Sleep = asyncio.sleep,
) -> T:
    """Make one Bot API call under the retry policy (see the module docstring).

    Raises :class:`DeliveryFailed` when the call cannot succeed; an exception that ``classify``
    does not know propagates unchanged.
    """
    transient = floods = 0
    while True:
        try:
            return await call()
        except Exception as exc:
            failure = classify(exc)
            if failure is None:
                raise
            error = exc
        if failure.kind is Failure.FLOOD and floods < policy.flood_retries:
            floods += 1
            log.warning("%s: flood control, retrying in %s s", what, failure.retry_after)
            await sleep(failure.retry_after)
        elif failure.kind is Failure.TRANSIENT and transient + 1 < policy.attempts:
            transient += 1
            delay = policy.backoff(transient)
            log.warning("%s: %s; retrying in %s s", what, failure.description, delay)
            await sleep(delay)
        else:
            raise DeliveryFailed(what, failure) from error


# The bridge between a framework and the service ---------------------------------------------


class BotApi(Protocol):
    """The Bot API calls a channel makes, in the framework's own terms."""

    async def connect(self) -> str:
        """Check the token (getMe); return the bot's username."""
        ...

    async def send(self, chat_id: int, message: Outgoing) -> None: ...

    async def answer_callback(self, query_id: str) -> None: ...

    async def set_commands(self, commands: Sequence[tuple[str, str]], language_code: str | None) -> None:
        """setMyCommands for the default scope; ``language_code`` ``None`` is the fallback."""
        ...

    def classify(self, error: Exception) -> ApiFailure | None: ...


class Conversations(Protocol):
    """What the bridge needs from :class:`bot.core.service.ConversationService`."""

    @property
    def context(self) -> Context: ...

    async def handle_durably(self, inbound: Inbound) -> Handled: ...

    async def delivered(self, outbox_id: int, at: datetime) -> None: ...

    async def undelivered(self, channel: str, created_before: datetime) -> list[Undelivered]: ...

    async def claim(self, outbox_id: int, at: datetime) -> bool: ...

    async def release(self, outbox_id: int) -> None: ...

    async def mark_reachable(self, user: UserRef, reachable: bool, at: datetime) -> None: ...


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
        self._chats = KeyedLocks()
        self.handled = 0
        """Updates handled so far (answered, or failed and logged), for logs and tests."""
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._sweeper: asyncio.Task[None] | None = None

    async def call(self, call: Callable[[], Awaitable[T]], what: str) -> T:
        """One Bot API call under the retry policy (:func:`deliver`)."""
        return await deliver(call, self.api.classify, self.policy, what=what, sleep=self.sleep)

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
        return username

    async def publish_commands(self) -> None:
        """setMyCommands: English for clients in other languages, then each language."""
        menus: list[tuple[str | None, Lang]] = [(None, Lang.EN)] + [(lang.value, lang) for lang in Lang]
        for code, lang in menus:
            commands = command_menu(self.service.context.i18n, lang)
            try:
                await self.call(partial(self.api.set_commands, commands, code), "setMyCommands")
            except DeliveryFailed as exc:
                log.error("could not set the command menu (%s): %s", code or "default", exc)

    async def handle(self, incoming: Incoming) -> None:
        """Process one update and answer it; logs, never raises."""
        self._busy += 1
        self._idle.clear()
        inbound = incoming.inbound
        try:
            if incoming.callback_query_id is not None:
                await self._answer_callback(incoming.callback_query_id)
            async with self._chats.hold(str(incoming.chat_id)):
                handled = await self._handle_durably(inbound)
                done = await self.send_replies(inbound.user, incoming.chat_id, handled.replies)
                if done and handled.outbox_id is not None:
                    await self.service.delivered(handled.outbox_id, self.clock())
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
                    await self.call(partial(self.api.send, chat_id, message), f"{what} to {user.key}")
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
            async with self._chats.hold(entry.user.id):
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
            log.info("%s is unreachable (%s); marked so broadcasts skip them", user.key, failure.description)
            try:
                await self.service.mark_reachable(user, False, self.clock())
            except Exception:
                log.exception("could not mark %s unreachable", user.key)
        else:
            log.error("gave up delivering a reply: %s", exc)

    async def drain(self, timeout: float) -> None:  # noqa: ASYNC109 - a bounded shutdown wait
        """Wait (at most ``timeout`` seconds) for updates being handled to finish."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        if self._busy:
            log.info("waiting for %d update(s) being handled", self._busy)
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            log.warning("stopping with %d update(s) still being handled", self._busy)


# Run modes ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Polling:
    """Receive updates with getUpdates (long polling)."""

    timeout: int = 30
    """Seconds one getUpdates waits for news before answering empty."""


@dataclass(frozen=True, slots=True)
class Webhook:
    """Receive updates as HTTPS POSTs from Telegram (behind a reverse proxy in production)."""

    url: str
    """The public URL registered with setWebhook; its path is the path served."""
    secret: str
    """Telegram sends it in the X-Telegram-Bot-Api-Secret-Token header; other posts get 401."""
    host: str = "0.0.0.0"
    port: int = 8080

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"


Mode = Polling | Webhook


def parse_listen(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (``0.0.0.0:8080``, ``[::]:8443``, ``:8080``) as a host and a port."""
    host, sep, port = value.rpartition(":")
    host = host.strip("[]") or "0.0.0.0"
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"expected HOST:PORT such as 0.0.0.0:8080, got {value!r}")
    return host, int(port)


def check_webhook_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"expected the public https:// URL Telegram should post to, got {url!r}")
    return url


def new_webhook_secret() -> str:
    """A random secret in Telegram's alphabet ([A-Za-z0-9_-]), for one run."""
    return secrets.token_urlsafe(32)


def secret_matches(given: str | None, expected: str) -> bool:
    return given is not None and secrets.compare_digest(given.encode(), expected.encode())


async def _healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def serve_webhook(
    app: web.Application,
    mode: Webhook,
    stop: asyncio.Event,
    *,
    on_listening: Callable[[], Awaitable[None]],
) -> None:
    """Serve ``app`` (with ``GET /healthz`` added) on ``mode.host:mode.port`` until ``stop``;
    ``on_listening`` runs once the port is open (to register the webhook)."""
    app.router.add_get("/healthz", _healthz)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=10.0)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, mode.host, mode.port).start()
        except OSError as exc:
            raise ConfigurationError(
                f"--listen: cannot listen on {mode.host}:{mode.port}: {exc.strerror}"
            ) from exc
        log.info("serving webhook updates at %s:%d%s for %s", mode.host, mode.port, mode.path, mode.url)
        await on_listening()
        await stop.wait()
    finally:
        await runner.cleanup()


class TelegramChannel(Protocol):
    bridge: TelegramBridge

    async def run(self, mode: Mode, stop: asyncio.Event) -> None:
        """Receive and answer updates until ``stop`` is set, then finish the updates in hand."""
        ...


def create_channel(
    name: str,
    service: Conversations,
    *,
    token: str,
    api_base: str,
    policy: RetryPolicy | None = None,
) -> TelegramChannel:
    """The channel called ``name`` (one of :data:`CHANNELS`); the framework is imported here."""
    if name == "aiogram":
        from bot.channels.aiogram import AiogramChannel

        return AiogramChannel(service, token=token, api_base=api_base, policy=policy)
    if name == "ptb":
        from bot.channels.ptb import PtbChannel

        return PtbChannel(service, token=token, api_base=api_base, policy=policy)
    raise ConfigurationError(f"unknown channel {name!r}: expected one of {', '.join(CHANNELS)}")


@contextlib.asynccontextmanager
async def stop_on_signals() -> AsyncIterator[asyncio.Event]:
    """An event set by SIGINT or SIGTERM while the block runs."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows or a thread
            loop.add_signal_handler(sig, _stop, sig, stop)
            installed.append(sig)
    try:
        yield stop
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def _stop(sig: signal.Signals, stop: asyncio.Event) -> None:
    log.info("received %s, stopping", sig.name)
    stop.set()


def webhook_mode(url: str, listen: str, secret: str | None) -> Webhook:
    """The webhook settings from the command line; raises ValueError naming a bad value."""
    host, port = parse_listen(listen)
    if secret is None:
        secret = new_webhook_secret()
        log.info("no DT4E_WEBHOOK_SECRET is set: generated a random webhook secret for this run")
    return Webhook(url=check_webhook_url(url), secret=secret, host=host, port=port)


async def run(settings: Settings, channel: str, mode: Mode) -> int:
    """``dt4e-bot run``: serve Telegram with ``channel`` until SIGINT or SIGTERM."""
    from bot.app import open_app

    if settings.telegram_token is None:
        raise ConfigurationError("DT4E_TELEGRAM_TOKEN: not set; get a token from @BotFather")
    token = settings.telegram_token.get_secret_value()
    async with open_app(settings) as app, stop_on_signals() as stop:
        bot = create_channel(channel, app.service, token=token, api_base=settings.telegram_api_base)
        await bot.run(mode, stop)
    return 0
