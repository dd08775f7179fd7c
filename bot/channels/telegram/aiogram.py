"""The Telegram channel on aiogram 3 (the default): aiogram's updates in, Bot API calls out.

Translation only; what to do with an update, how to poll and how to retry a call is shared
with the python-telegram-bot channel (:mod:`bot.channels.telegram`). Polling is ours
(:mod:`bot.channels.telegram.polling`) with aiogram's session fetching and its ``Update`` model
reading each update. Webhook mode is the shared aiohttp route
(:func:`bot.channels.telegram.webhook_server.update_route`: 401 on a wrong secret, 400 on a body that is
not an update) reading each update the same way, so no aiogram dispatcher, handler, filter or
injected argument is involved.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, cast

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import GetUpdates, Response, TelegramMethod
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)

from bot.channels.telegram import translate
from bot.channels.telegram.bridge import MAX_IN_FLIGHT, Conversations, TelegramBridge
from bot.channels.telegram.delivery import ApiFailure, Failure, RetryPolicy, is_chat_not_found
from bot.channels.telegram.marks import Journal
from bot.channels.telegram.polling import Poller, Raw
from bot.channels.telegram.render import CAPTION_LIMIT, Outgoing
from bot.channels.telegram.translate import Incoming
from bot.channels.telegram.webhook import Mode, Polling, Webhook

log = logging.getLogger(__name__)

REQUEST_TIMEOUT = 20
"""Seconds for one Bot API request (getUpdates gets its long-poll time on top)."""


def keyboard(message: Outgoing) -> InlineKeyboardMarkup | None:
    if not message.buttons:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=b.label, callback_data=b.data) for b in row] for row in message.buttons
        ]
    )


def classify(error: Exception) -> ApiFailure | None:
    """aiogram's exceptions as the retry policy's failures."""
    if isinstance(error, TelegramRetryAfter):
        return ApiFailure(Failure.FLOOD, error.message, 429, float(error.retry_after))
    if isinstance(error, TelegramForbiddenError):
        return ApiFailure(Failure.UNREACHABLE, error.message, 403)
    if isinstance(error, TelegramBadRequest):
        kind = Failure.UNREACHABLE if is_chat_not_found(error.message) else Failure.REJECTED
        return ApiFailure(kind, error.message, 400)
    if isinstance(error, TelegramUnauthorizedError):
        return ApiFailure(Failure.REJECTED, error.message, 401)
    if isinstance(error, TelegramNotFound):
        return ApiFailure(Failure.REJECTED, error.message, 404)
    if isinstance(error, TelegramServerError | TelegramNetworkError):  # 5xx; timeouts, connections
        return ApiFailure(Failure.TRANSIENT, error.message)
    if isinstance(error, ClientDecodeError):  # a proxy's HTML error page
        return ApiFailure(Failure.TRANSIENT, error.message)
    if isinstance(error, TelegramAPIError):
        return ApiFailure(Failure.REJECTED, error.message)
    return None


class RawUpdates(GetUpdates):
    """getUpdates answering the updates as JSON objects, to read each one on its own."""

    __returning__ = list[dict[str, Any]]


# aiogram reads every answer as Response[method.__returning__], and pydantic keeps such a class
# only while something refers to it: Response[Message] was built again for one send in twenty,
# 20 ms each. The answers this channel reads are kept here.
_ANSWERS = (Response[list[dict[str, Any]]], Response[Message], Response[bool])


class AiogramApi:
    """:class:`bot.channels.telegram.delivery.BotApi` on an aiogram :class:`Bot`."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def connect(self) -> str:
        me = await self.bot.get_me()
        return me.username or str(me.id)

    async def send(self, chat_id: int, message: Outgoing) -> int:
        file = message.attachment
        if file is None:
            sent = await self.bot.send_message(chat_id, message.text, reply_markup=keyboard(message))
            return sent.message_id
        upload = BufferedInputFile(file.content, filename=file.filename)
        caption = file.caption[:CAPTION_LIMIT] or None
        if file.kind == "image":
            return (await self.bot.send_photo(chat_id, upload, caption=caption)).message_id
        return (await self.bot.send_document(chat_id, upload, caption=caption)).message_id

    async def edit(self, chat_id: int, message: Outgoing) -> None:
        if message.text:
            await self.bot.edit_message_text(
                text=message.text, chat_id=chat_id, message_id=message.edits, reply_markup=keyboard(message)
            )
        else:
            await self.bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=message.edits, reply_markup=keyboard(message)
            )

    async def answer_callback(self, query_id: str, text: str = "") -> None:
        await self.bot.answer_callback_query(query_id, text=text or None)

    async def set_commands(
        self, commands: Sequence[tuple[str, str]], language_code: str | None, chat_id: int | None = None
    ) -> None:
        menu = [BotCommand(command=name, description=text) for name, text in commands]
        scope = BotCommandScopeChat(chat_id=chat_id) if chat_id is not None else None
        await self.bot.set_my_commands(menu, scope=scope, language_code=language_code)

    async def set_description(self, description: str, short: str, language_code: str | None) -> None:
        await self.bot.set_my_description(description=description, language_code=language_code)
        await self.bot.set_my_short_description(short_description=short, language_code=language_code)

    def classify(self, error: Exception) -> ApiFailure | None:
        return classify(error)

    async def fetch(self, offset: int | None, wait: int, limit: int) -> list[Raw]:
        method = RawUpdates(
            offset=offset, timeout=wait, limit=limit, allowed_updates=list(translate.ALLOWED_UPDATES)
        )
        raw = cast("TelegramMethod[list[Raw]]", method)  # GetUpdates, answering JSON objects
        return await self.bot(raw, request_timeout=wait + REQUEST_TIMEOUT)

    def parse(self, data: Raw) -> Update:
        return Update.model_validate(data, context={"bot": self.bot})


class AiogramChannel:
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
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_base), timeout=REQUEST_TIMEOUT)
        self.api_base = api_base
        self.bot = Bot(token, session=session)
        self.api = AiogramApi(self.bot)
        self.bridge = TelegramBridge(
            service, self.api, policy=policy, max_in_flight=max_in_flight, journal=journal
        )
        self.shutdown_timeout = shutdown_timeout
        self._poller: Poller | None = None

    def _read(self, data: Raw) -> Incoming | None:
        return translate.translate(self.api.parse(data), self.bridge.clock(), self.bridge.staff_chat)

    async def _accept(self, incoming: Incoming) -> None:
        # The webhook's answer waits for the turn to be recorded (not for the replies to be
        # sent): Telegram sends the update again if this process dies first.
        await asyncio.shield(self.bridge.accept(incoming))

    async def run(self, mode: Mode, stop: asyncio.Event) -> None:
        try:
            username = await self.bridge.start(self.api_base)
            log.info("aiogram channel started as @%s", username)
            if isinstance(mode, Webhook):
                await self._serve_webhook(mode, stop)
            else:
                await self._poll(mode, stop)
        finally:
            await self.bridge.drain(self.shutdown_timeout)
            if self._poller is not None:
                await self._poller.finish()  # confirms what was recorded, and only that
            await self.bot.session.close()

    async def _poll(self, mode: Polling, stop: asyncio.Event) -> None:
        # A webhook left by an earlier run in webhook mode would make every getUpdates fail.
        await self.bridge.call(self.bot.delete_webhook, "deleteWebhook")
        self._poller = Poller(
            self.bridge, self.api.fetch, self.api.parse, framework="aiogram", timeout=mode.timeout
        )
        await self._poller.run(stop)

    async def _serve_webhook(self, mode: Webhook, stop: asyncio.Event) -> None:
        from bot.channels.telegram.webhook_server import serve_webhook  # webhook mode only

        async def register() -> None:
            await self.bridge.call(
                lambda: self.bot.set_webhook(
                    mode.url,
                    secret_token=mode.secret,
                    allowed_updates=list(translate.ALLOWED_UPDATES),
                ),
                "setWebhook",
            )

        # Not in the background: Telegram gets its 200 once the turn is recorded, and sends the
        # update again if this process dies first (the update_id makes that harmless).
        await serve_webhook(
            mode,
            stop,
            read=self._read,
            accept=self._accept,
            on_listening=register,
            healthy=self.bridge.service.healthy,
        )
