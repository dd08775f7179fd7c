"""The Telegram channel on python-telegram-bot 22: PTB's updates in, Bot API calls out.

Translation only; what to do with an update, how to poll and how to retry a call is shared
with the aiogram channel (:mod:`bot.channels.telegram`). Polling is ours
(:mod:`bot.channels.telegram.polling`, so the application has no ``Updater``), with PTB's bot
fetching and ``Update.de_json`` reading each update. Webhook mode is the shared aiohttp route
(:func:`bot.channels.telegram.webhook_server.update_route`: 401 on a wrong secret, 400 on a body that is
not an update) reading each update the same way; PTB's ``process_update`` and handlers are not
involved (PTB reads leniently: a ``message`` without a ``chat`` is refused only when translated).
"""

from __future__ import annotations

import os

# PTB 22 warns when it builds RetryAfter unless durations are opted in as timedelta; set before
# telegram is imported so every RetryAfter (whoever triggers it) is built quietly.
os.environ.setdefault("PTB_TIMEDELTA", "1")

import asyncio
import logging
import warnings
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from telegram import BotCommand, BotCommandScopeChat, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import (
    BadRequest,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application, ContextTypes
from telegram.warnings import PTBUserWarning

from bot.channels.telegram import translate
from bot.channels.telegram.bridge import MAX_IN_FLIGHT, Conversations, TelegramBridge
from bot.channels.telegram.delivery import ApiFailure, Failure, RetryPolicy, is_chat_not_found
from bot.channels.telegram.marks import Journal
from bot.channels.telegram.polling import Poller, Raw
from bot.channels.telegram.render import CAPTION_LIMIT, Outgoing
from bot.channels.telegram.translate import Incoming
from bot.channels.telegram.webhook import Mode, Polling, Webhook

if TYPE_CHECKING:
    from telegram.ext import ExtBot, JobQueue

    PtbApplication = Application[
        ExtBot[None],
        ContextTypes.DEFAULT_TYPE,
        dict[Any, Any],
        dict[Any, Any],
        dict[Any, Any],
        JobQueue[ContextTypes.DEFAULT_TYPE],
    ]

log = logging.getLogger(__name__)

# httpx logs every request, its URL (and so the bot token) included, at INFO.
logging.getLogger("httpx").setLevel(logging.WARNING)
# getUpdates is asked for as JSON on purpose (see PtbApi.fetch): no advice to use get_updates.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.getUpdates'", category=PTBUserWarning)

REQUEST_TIMEOUT = 20
"""Seconds for reading getUpdates' answer on top of its long-poll time."""


def keyboard(message: Outgoing) -> InlineKeyboardMarkup | None:
    if not message.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in message.buttons]
    )


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def classify(error: Exception) -> ApiFailure | None:
    """PTB's exceptions as the retry policy's failures (BadRequest is a NetworkError in PTB,
    so it is read first)."""
    if isinstance(error, RetryAfter):
        return ApiFailure(Failure.FLOOD, error.message, 429, _seconds(error.retry_after))
    if isinstance(error, Forbidden):
        return ApiFailure(Failure.UNREACHABLE, error.message, 403)
    if isinstance(error, BadRequest):
        kind = Failure.UNREACHABLE if is_chat_not_found(error.message) else Failure.REJECTED
        return ApiFailure(kind, error.message, 400)
    if isinstance(error, InvalidToken):  # its message repeats the token: not logged
        return ApiFailure(Failure.REJECTED, "Unauthorized", 401)
    if isinstance(error, EndPointNotFound):
        return ApiFailure(Failure.REJECTED, error.message, 404)
    if isinstance(error, NetworkError):  # 5xx, TimedOut, dropped connections
        return ApiFailure(Failure.TRANSIENT, error.message)
    if isinstance(error, TelegramError):
        return ApiFailure(Failure.REJECTED, error.message)
    return None


class PtbApi:
    """:class:`bot.channels.telegram.delivery.BotApi` on a PTB :class:`Application`."""

    def __init__(self, app: PtbApplication) -> None:
        self.app = app

    async def connect(self) -> str:
        await self.app.initialize()  # calls getMe; safe to call again after a failure
        return self.app.bot.username

    async def send(self, chat_id: int, message: Outgoing) -> int:
        bot = self.app.bot
        file = message.attachment
        if file is None:
            sent = await bot.send_message(chat_id, message.text, reply_markup=keyboard(message))
            return sent.message_id
        caption = file.caption[:CAPTION_LIMIT] or None
        if file.kind == "image":
            return (
                await bot.send_photo(chat_id, file.content, caption=caption, filename=file.filename)
            ).message_id
        return (
            await bot.send_document(chat_id, file.content, caption=caption, filename=file.filename)
        ).message_id

    async def edit(self, chat_id: int, message: Outgoing) -> None:
        bot = self.app.bot
        if message.text:
            await bot.edit_message_text(
                message.text, chat_id=chat_id, message_id=message.edits, reply_markup=keyboard(message)
            )
        else:
            await bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=message.edits, reply_markup=keyboard(message)
            )

    async def answer_callback(self, query_id: str, text: str = "") -> None:
        await self.app.bot.answer_callback_query(query_id, text=text or None)

    async def set_commands(
        self, commands: Sequence[tuple[str, str]], language_code: str | None, chat_id: int | None = None
    ) -> None:
        menu = [BotCommand(name, text) for name, text in commands]
        scope = BotCommandScopeChat(chat_id) if chat_id is not None else None
        await self.app.bot.set_my_commands(menu, scope=scope, language_code=language_code)

    async def set_description(self, description: str, short: str, language_code: str | None) -> None:
        await self.app.bot.set_my_description(description=description, language_code=language_code)
        await self.app.bot.set_my_short_description(short_description=short, language_code=language_code)

    def classify(self, error: Exception) -> ApiFailure | None:
        return classify(error)

    async def fetch(self, offset: int | None, wait: int, limit: int) -> list[Raw]:
        # As JSON, not Bot.get_updates: that reads the whole batch at once, and one update it
        # cannot read fails all of them.
        params: dict[str, Any] = {
            "timeout": wait,
            "limit": limit,
            "allowed_updates": list(translate.ALLOWED_UPDATES),
        }
        if offset is not None:
            params["offset"] = offset
        answer = await self.app.bot.do_api_request(
            "getUpdates", api_kwargs=params, read_timeout=wait + REQUEST_TIMEOUT
        )
        return list(answer) if isinstance(answer, list) else []

    def parse(self, data: Raw) -> Update:
        return Update.de_json(data, self.app.bot)


class PtbChannel:
    def __init__(
        self,
        service: Conversations,
        *,
        token: str,
        api_base: str,
        policy: RetryPolicy | None = None,
        shutdown_timeout: float = 10.0,
        max_in_flight: int = MAX_IN_FLIGHT,
        journal: Journal | None = None,
    ) -> None:
        self.api_base = api_base
        self.app = (
            Application.builder()
            .token(token)
            .base_url(f"{api_base}/bot")
            .base_file_url(f"{api_base}/file/bot")
            .concurrent_updates(True)
            .updater(None)
            .build()
        )
        self.api = PtbApi(self.app)
        self.bridge = TelegramBridge(
            service, self.api, policy=policy, max_in_flight=max_in_flight, journal=journal
        )
        self.shutdown_timeout = shutdown_timeout
        self._poller: Poller | None = None
        self.app.add_error_handler(self._on_error)

    def _read(self, data: Raw) -> Incoming | None:
        return translate.translate(self.api.parse(data), self.bridge.clock(), self.bridge.staff_chat)

    async def _accept(self, incoming: Incoming) -> None:
        # The webhook's answer waits for the turn to be recorded, not for the replies to be sent.
        await asyncio.shield(self.bridge.accept(incoming))

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # The update's id only: its text and the sender's name are personal data, kept out of logs.
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("error while handling update %s", update_id, exc_info=context.error)

    async def run(self, mode: Mode, stop: asyncio.Event) -> None:
        try:
            username = await self.bridge.start(self.api_base)
            log.info("python-telegram-bot channel started as @%s", username)
            await self.app.start()
            if isinstance(mode, Webhook):
                await self._serve_webhook(mode, stop)
            else:
                await self._poll(mode, stop)
        finally:
            await self.bridge.drain(self.shutdown_timeout)
            if self._poller is not None:
                await self._poller.finish()  # confirms what was recorded, and only that
            if self.app.running:
                await self.app.stop()
            await self.app.shutdown()
            await self.app.bot.shutdown()  # closes the connections even after a failed start

    async def _poll(self, mode: Polling, stop: asyncio.Event) -> None:
        # A webhook left by an earlier run in webhook mode would make every getUpdates fail.
        await self.bridge.call(self.app.bot.delete_webhook, "deleteWebhook")
        self._poller = Poller(
            self.bridge, self.api.fetch, self.api.parse, framework="python-telegram-bot", timeout=mode.timeout
        )
        await self._poller.run(stop)

    async def _serve_webhook(self, mode: Webhook, stop: asyncio.Event) -> None:
        from bot.channels.telegram.webhook_server import serve_webhook  # webhook mode only

        async def register() -> None:
            await self.bridge.call(
                lambda: self.app.bot.set_webhook(
                    mode.url,
                    secret_token=mode.secret,
                    allowed_updates=list(translate.ALLOWED_UPDATES),
                ),
                "setWebhook",
            )

        # Handled before the answer: Telegram sends again an update whose POST failed.
        await serve_webhook(
            mode,
            stop,
            read=self._read,
            accept=self._accept,
            on_listening=register,
            healthy=self.bridge.service.healthy,
        )
