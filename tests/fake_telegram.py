"""A fake Telegram Bot API server for the end-to-end tests.

The real, unmodified aiogram and python-telegram-bot (PTB) clients talk HTTP to this server on
127.0.0.1; nothing leaves the machine. aiogram takes ``TelegramAPIServer.from_base(tg.base_url)``,
PTB ``base_url=tg.base_url + "/bot"``::

    async with FakeTelegram() as tg:
        ...  # start the bot against tg.base_url
        tg.send_text(42, "/start", language_code="fr")
        [reply] = await tg.wait_for_sent(42, 1)
        tg.press_button(42, reply.message_id, reply.callback_data[0])

The test drives it from its own event loop:

* users act: ``add_user``, ``send_text``, ``press_button``, ``send_photo``, ``send_document``,
  ``edit_user_message``, ``send_update`` (any other update, e.g. ``my_chat_member``), and
  ``redeliver`` sends an update again;
* what the bot did: ``sent`` / ``visible`` / ``wait_for_sent``, ``requests`` / ``calls_to`` /
  ``wait_for_calls``, ``callback_answers``, ``commands`` / ``commands_for``, ``faults``, and
  ``webhook_deliveries`` / ``wait_for_deliveries``;
* Telegram misbehaves: ``fail``, ``drop_connection``, ``block`` / ``unblock``, ``enforce_pacing``;
* webhooks: once the bot registered one, every queued update is POSTed to it with the secret it
  gave; ``deliver_pending`` retries what failed, ``post_webhook`` POSTs any update with any secret.

The methods are getMe, getUpdates, setWebhook, deleteWebhook, sendMessage, sendPhoto,
sendDocument, editMessageText, editMessageReplyMarkup, answerCallbackQuery, setMyCommands,
getMyCommands, deleteMyCommands, and setMyDescription / setMyShortDescription (accepted, not
kept); any other answers 404 "method not found". Where the tests rely on Telegram's behaviour:

* getUpdates: ``offset`` confirms updates (a negative one keeps only the last ones), ``limit``,
  ``allowed_updates`` remembered until given again (``[]``: the default set), long polls of up to
  50 s woken by a new update; 409 while a webhook is set.
* Message ids count per chat, shared by the user's and the bot's messages; update_ids count from
  1001. A redelivered update ignores the client's offset once, the way an unconfirmed update
  comes back after a crash.
* A chat is known once it appeared in an update or through ``add_user``; anything sent to another
  chat is 400 "chat not found". Users are all called Ann (the bot reads no names).
* sendPhoto and sendDocument take multipart uploads (aiogram's ``attach://`` and PTB's named
  fields) or the file_id of a file the fake has.
* Texts are trimmed and at most 4096 characters (captions 1024), callback_data is 1-64 bytes, an
  edit that changes nothing is 400 "message is not modified", a callback query is answered once.
  ``parse_mode`` is refused: the fake renders no formatting.
* Times in ``requests`` and ``faults`` come from ``time.monotonic()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import itertools
import json
import math
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from aiohttp import ClientError, ClientSession, ClientTimeout, web

JsonDict = dict[str, Any]
ButtonRows = list[list[tuple[str, str | None]]]
FaultKind = Literal["injected", "blocked", "pacing", "validation", "conflict", "dropped", "auth"]
_Handler = Callable[[JsonDict], Awaitable[Any]]

FIRST_UPDATE_ID: Final = 1001
MAX_TEXT_LENGTH: Final = 4096
MAX_CAPTION_LENGTH: Final = 1024
MAX_CALLBACK_DATA_BYTES: Final = 64
MAX_LONG_POLL_SECONDS: Final = 50.0
WEBHOOK_TIMEOUT_SECONDS: Final = 10.0

OPT_IN_UPDATES: Final = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
"""Update types delivered only when ``allowed_updates`` names them."""
_JSON_PARAMS: Final = frozenset(
    "chat_id message_id offset limit timeout allowed_updates drop_pending_updates reply_markup show_alert"
    " commands scope".split()
)
"""Parameters whose form value is JSON (a number, boolean, list or object); others are strings."""
_COMMAND_RE: Final = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")
_BOT_COMMAND_RE: Final = re.compile(r"[a-z0-9_]{1,32}")
_SECRET_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,256}")

BLOCKED: Final = "Forbidden: bot was blocked by the user"
WEBHOOK_ACTIVE: Final = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
NOT_MODIFIED: Final = (
    "message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD: Final = "query is too old and response timeout expired or query ID is invalid"


# --------------------------------------------------------------------------- data


@dataclass
class UploadedFile:
    """A file the bot uploaded or a user sent; ``file_id`` is set once the fake stored it."""

    filename: str
    content: bytes = field(repr=False)
    content_type: str | None = None
    file_id: str = ""


@dataclass
class SentMessage:
    """A message the bot sent, as it is now (edits applied).

    ``text`` is the text, or the caption of a photo or document. ``buttons`` holds the inline
    keyboard as rows of ``(text, callback_data)`` (``None`` for a URL or other button).
    """

    message_id: int
    chat_id: int
    kind: Literal["text", "document", "photo"]
    text: str | None = None
    buttons: ButtonRows = field(default_factory=list)
    filename: str | None = None
    file_size: int | None = None
    edits: int = 0
    message: JsonDict = field(default_factory=dict, repr=False)
    """The Message object as the Bot API answers it, and as a button press carries it."""

    @property
    def callback_data(self) -> list[str]:
        """All callback_data values of the inline keyboard, row by row."""
        return [data for row in self.buttons for _, data in row if data is not None]


@dataclass
class RecordedCall:
    """One API request: the method's name ("sendMessage"), its decoded params, when, the answer."""

    method: str
    params: JsonDict
    time: float
    status: int = 0
    """The HTTP status answered; 0 while unanswered or when the connection was dropped."""


@dataclass
class FaultRecord:
    """An error the fake answered, or a connection it dropped (``error_code`` 0)."""

    time: float
    method: str
    chat_id: int | None
    error_code: int
    description: str
    retry_after: int | None
    kind: FaultKind


@dataclass
class CallbackAnswer:
    """An answerCallbackQuery call, with the button press it answered."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    data: str | None
    user_id: int
    message_id: int


@dataclass
class WebhookDelivery:
    """One POST of a queued update to the webhook (status 0: no HTTP answer)."""

    update_id: int
    status: int
    error: str | None = None


@dataclass(frozen=True)
class _Webhook:
    url: str
    secret_token: str | None


@dataclass(eq=False)
class _Queued:
    update: JsonDict
    forced: bool = False  # redelivered: returned whatever the offset, once

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])


@dataclass(eq=False)
class TelegramApiError(Exception):
    """Raised inside the fake to answer ``{"ok": false, ...}``; its fields are a FaultRecord's."""

    error_code: int
    description: str
    retry_after: int | None = None
    kind: FaultKind = "validation"

    def __str__(self) -> str:
        return self.description

    def body(self) -> JsonDict:
        body: JsonDict = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _bad(description: str) -> TelegramApiError:
    return TelegramApiError(400, f"Bad Request: {description}")


@dataclass
class _Rule:
    """An injected fault for the next ``remaining`` calls of a method (kind "dropped": no answer)."""

    method: str  # lower case
    chat_id: int | None
    remaining: int
    error: TelegramApiError


class _Registered(Enum):
    SECRET = 0


# --------------------------------------------------------------------- helpers


async def _read_params(request: web.Request) -> JsonDict:
    """The parameters of a JSON or (multipart) form body; uploaded files as UploadedFile."""
    raw: JsonDict = {}
    files: dict[str, UploadedFile] = {}
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise _bad("can't parse JSON object") from None
        if not isinstance(body, dict):
            raise _bad("JSON object expected")
        raw = body
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                files[key] = UploadedFile(value.filename, value.file.read(), value.content_type)
            else:
                raw[key] = value if isinstance(value, str) else value.decode()
    params = {key: _decode(key, value) for key, value in raw.items()}
    for key, upload in files.items():  # aiogram refers to a file as "attach://<key>"; PTB names it
        referring = [name for name, value in params.items() if value == f"attach://{key}"]
        for name in referring:
            params[name] = upload
        if not referring:
            params.setdefault(key, upload)
    return params


def _decode(key: str, value: Any) -> Any:
    if key in _JSON_PARAMS and isinstance(value, str):
        with contextlib.suppress(ValueError):
            return json.loads(value)
    return value


def _chat_id(params: JsonDict) -> int | None:
    value = params.get("chat_id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(params: JsonDict, key: Literal["text", "caption"]) -> str | None:
    """The text or caption as Telegram keeps it: trimmed, None when empty; 400 when too long."""
    if params.get("parse_mode"):
        raise _bad(f"parse_mode {params['parse_mode']!r}: this fake Telegram renders no formatting")
    text = str(params.get(key) or "").strip()
    if key == "caption" and len(text) > MAX_CAPTION_LENGTH:
        raise _bad("message caption is too long")
    if len(text) > MAX_TEXT_LENGTH:
        raise _bad("message is too long")
    return text or None


def _inline_keyboard(params: JsonDict) -> JsonDict | None:
    """The inline keyboard of ``reply_markup``, checked like Telegram; other markups are ignored."""
    markup = params.get("reply_markup")
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise _bad("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return None
    if not (isinstance(rows, list) and all(isinstance(row, list) for row in rows)):
        raise _bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
    keyboard: list[list[JsonDict]] = []
    for row in rows:
        keyboard.append([])
        for button in row:
            if not (isinstance(button, dict) and isinstance(button.get("text"), str)):
                raise _bad('can\'t parse inline keyboard button: Field "text" must be of type String')
            button = {key: value for key, value in button.items() if value is not None}
            if set(button) <= {"text", "style", "icon_custom_emoji_id"}:
                raise _bad(
                    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                )
            if "callback_data" in button:
                button["callback_data"] = str(button["callback_data"])
                if not 1 <= len(button["callback_data"].encode()) <= MAX_CALLBACK_DATA_BYTES:
                    raise _bad("BUTTON_DATA_INVALID")
            keyboard[-1].append(button)
    return {"inline_keyboard": keyboard}


def _set_content(sent: SentMessage, text: str | None, keyboard: JsonDict | None) -> None:
    """Make ``text`` (a caption for media) and ``keyboard`` the content of a bot message."""
    sent.text = text
    rows = keyboard["inline_keyboard"] if keyboard else []
    sent.buttons = [[(button["text"], button.get("callback_data")) for button in row] for row in rows]
    text_key = "text" if sent.kind == "text" else "caption"
    sent.message.pop(text_key, None)
    sent.message.pop("reply_markup", None)
    if text is not None:
        sent.message[text_key] = text
    if keyboard:
        sent.message["reply_markup"] = keyboard


def _mark_command(message: JsonDict) -> None:
    """A text that starts with a command ("/start payload") has a bot_command entity for it."""
    message.pop("entities", None)
    if match := _COMMAND_RE.match(message["text"]):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(match.group())}]


def _file(upload: UploadedFile) -> JsonDict:
    """The fields of a Document or PhotoSize that every file has."""
    return {
        "file_id": upload.file_id,
        "file_unique_id": "U" + upload.file_id,
        "file_size": len(upload.content),
    }


def _document(upload: UploadedFile) -> JsonDict:
    mime_type = upload.content_type or "application/octet-stream"
    return {**_file(upload), "file_name": upload.filename, "mime_type": mime_type}


def _photo_sizes(upload: UploadedFile) -> list[JsonDict]:
    return [{**_file(upload), "width": 800, "height": 600}]


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and parts.hostname in ("127.0.0.1", "localhost", "::1")


# --------------------------------------------------------------------- the server


class FakeTelegram:
    """Fake Telegram Bot API server on 127.0.0.1 (see the module docstring)."""

    def __init__(self, token: str = "123456:TEST", bot_username: str = "dt4e_test_bot") -> None:
        bot_id, sep, secret = token.partition(":")
        if not (bot_id.isdigit() and sep and secret):
            raise ValueError(f"token must look like '<digits>:<secret>', got {token!r}")
        self.token = token
        self.bot_user: JsonDict = {
            "id": int(bot_id),
            "is_bot": True,
            "first_name": "DT4E Test Bot",
            "username": bot_username,
        }

        # what the bot did
        self.requests: list[RecordedCall] = []
        self.faults: list[FaultRecord] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.commands: dict[tuple[str, str], list[tuple[str, str]]] = {}
        """setMyCommands menus by (scope, language_code): scope "default", "all_private_chats",
        "chat:42"...; language_code "" when none was given."""
        self.webhook_deliveries: list[WebhookDelivery] = []

        # Telegram's state
        self._update_ids = itertools.count(FIRST_UPDATE_ID)
        self._query_ids = itertools.count(4_000_000_001)
        self._file_numbers = itertools.count(1)
        self._updates: dict[int, JsonDict] = {}  # every update ever queued, for redeliver
        self._queue: list[_Queued] = []
        self._allowed_updates: list[str] = []
        self._webhook: _Webhook | None = None
        self._chats: dict[int, JsonDict] = {}
        self._next_message_id: dict[int, int] = {}
        self.descriptions: dict[tuple[str, str], str] = {}
        """setMyDescription / setMyShortDescription by (field, language_code; "" for the default)."""
        self._user_messages: dict[tuple[int, int], JsonDict] = {}
        self._messages: dict[tuple[int, int], SentMessage] = {}
        self._sent: dict[int, list[SentMessage]] = {}
        self._queries: dict[str, JsonDict] = {}
        self._answered: set[str] = set()
        self._files: dict[str, UploadedFile] = {}
        self._blocked: set[int] = set()
        self._rules: list[_Rule] = []
        self._pacing: tuple[int, int] | None = None  # (per chat, overall) sends per second
        self._chat_sends: dict[int, deque[float]] = {}
        self._all_sends: deque[float] = deque()
        self._methods: dict[str, _Handler] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "answerCallbackQuery": self._answer_callback_query,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setMyDescription": self._set_my_description,
            "setMyShortDescription": self._set_my_short_description,
        }
        self._canonical = {name.lower(): name for name in self._methods}

        # the server
        self._changed = asyncio.Event()
        self._deliver_lock = asyncio.Lock()
        self._webhook_task: asyncio.Task[list[int]] | None = None
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._port = 0

    async def __aenter__(self) -> FakeTelegram:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Answer the long polls, stop webhook deliveries, stop the server."""
        self._closing = True
        self._notify()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``, where the API is (``/bot<token>/<method>``)."""
        if not self._port:
            raise RuntimeError("FakeTelegram is not started")
        return f"http://127.0.0.1:{self._port}"

    # ----------------------------------------------------------- users act

    def add_user(self, user_id: int) -> JsonDict:
        """Make the private chat with ``user_id`` known, as if they had written before; the user."""
        return self._user(user_id, None)

    def send_text(self, user_id: int, text: str, *, language_code: str | None = None) -> int:
        """Queue a private text message from ``user_id``; its update_id.

        A text that starts with a command ("/start payload") has a ``bot_command`` entity for it.
        """
        message = self._user_message(user_id, language_code, {"text": text})
        _mark_command(message)
        return self._enqueue({"message": message})

    def press_button(
        self,
        user_id: int,
        message_id: int,
        data: str,
        *,
        language_code: str | None = None,
        strict: bool = True,
    ) -> int:
        """Queue a callback_query on the bot's message ``message_id``, as that message is now.

        With ``strict`` ``data`` must be the callback_data of one of its buttons.
        """
        sent = self._messages.get((user_id, message_id))
        if sent is None:
            raise LookupError(f"the bot sent no message {message_id} to chat {user_id}")
        if strict and data not in sent.callback_data:
            raise ValueError(
                f"message {message_id} has no button with callback_data {data!r}: {sent.buttons}"
            )
        query: JsonDict = {
            "id": str(next(self._query_ids)),
            "from": self._user(user_id, language_code),
            "message": copy.deepcopy(sent.message),
            "chat_instance": str(user_id),
            "data": data,
        }
        self._queries[query["id"]] = query
        return self._enqueue({"callback_query": query})

    def send_photo(
        self,
        user_id: int,
        *,
        caption: str | None = None,
        content: bytes = b"\x89PNG\r\n\x1a\nfake-photo",
        language_code: str | None = None,
    ) -> int:
        """Queue a photo message from ``user_id``; its update_id."""
        photo = self._store_file(UploadedFile("photo.jpg", content, "image/jpeg"))
        media: JsonDict = {"photo": _photo_sizes(photo)}
        if caption is not None:
            media["caption"] = caption
        return self._enqueue({"message": self._user_message(user_id, language_code, media)})

    def send_document(
        self,
        user_id: int,
        filename: str,
        content: bytes,
        *,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
        language_code: str | None = None,
    ) -> int:
        """Queue a document message from ``user_id``; its update_id."""
        document = self._store_file(UploadedFile(filename, content, mime_type))
        media: JsonDict = {"document": _document(document)}
        if caption is not None:
            media["caption"] = caption
        return self._enqueue({"message": self._user_message(user_id, language_code, media)})

    def edit_user_message(
        self, user_id: int, message_id: int, text: str, *, language_code: str | None = None
    ) -> int:
        """Queue an ``edited_message`` update for a text ``user_id`` sent earlier."""
        original = self._user_messages.get((user_id, message_id))
        if original is None:
            raise LookupError(f"user {user_id} sent no message {message_id}")
        edited = {
            **copy.deepcopy(original),
            "from": self._user(user_id, language_code),
            "text": text,
            "edit_date": int(time.time()),
        }
        _mark_command(edited)
        self._user_messages[(user_id, message_id)] = edited
        return self._enqueue({"edited_message": edited})

    def add_group(self, chat_id: int, title: str = "DT4E staff") -> None:
        """Make the group ``chat_id`` known, as if the bot had been added to it."""
        self._chats[chat_id] = {"id": chat_id, "type": "supergroup", "title": title}

    def reply_in_group(
        self, chat_id: int, user_id: int, message_id: int, text: str, *, name: str = "Amal"
    ) -> int:
        """Queue a message from ``user_id`` (called ``name``) in the group ``chat_id``, replying to
        the bot's message ``message_id`` there (``reply_to_message`` as that message is now)."""
        sent = self._messages.get((chat_id, message_id))
        if sent is None:
            raise LookupError(f"the bot sent no message {message_id} to chat {chat_id}")
        message = {
            "message_id": self._new_message_id(chat_id),
            "from": {"id": user_id, "is_bot": False, "first_name": name},
            "chat": dict(self._chats[chat_id]),
            "date": int(time.time()),
            "text": text,
            "reply_to_message": copy.deepcopy(sent.message),
        }
        return self._enqueue({"message": message})

    def press_in_group(
        self, chat_id: int, user_id: int, message_id: int, data: str, *, name: str = "Amal"
    ) -> int:
        """Queue a press by ``user_id`` of a button on the bot's message ``message_id`` in a group."""
        sent = self._messages.get((chat_id, message_id))
        if sent is None or data not in sent.callback_data:
            raise LookupError(f"no button {data!r} on message {message_id} of chat {chat_id}")
        query: JsonDict = {
            "id": str(next(self._query_ids)),
            "from": {"id": user_id, "is_bot": False, "first_name": name},
            "message": copy.deepcopy(sent.message),
            "chat_instance": str(chat_id),
            "data": data,
        }
        self._queries[query["id"]] = query
        return self._enqueue({"callback_query": query})

    def send_update(self, partial: JsonDict) -> int:
        """Queue any update, e.g. ``{"my_chat_member": {...}}``; ``update_id`` is assigned here.

        A ``message`` or ``edited_message`` gets what it lacks of ``message_id``, ``date``,
        ``chat`` (the private chat of ``from``) and ``from`` (the user of a private chat). The chat
        of any update becomes known. Button presses go through ``press_button``, which the bot can
        answer.
        """
        update = copy.deepcopy(partial)
        update.pop("update_id", None)
        if len(update) != 1:
            raise ValueError(f"an update has one kind, e.g. {{'message': {{...}}}}, got {sorted(update)}")
        [(kind, payload)] = update.items()
        if kind in ("message", "edited_message"):
            self._complete_message(payload)
        elif isinstance(payload, dict) and isinstance(payload.get("chat"), dict):
            self._chats.setdefault(int(payload["chat"]["id"]), dict(payload["chat"]))
        return self._enqueue(update)

    def redeliver(self, update_id: int) -> int:
        """Queue update ``update_id`` again, unchanged.

        Polling returns it at the next getUpdates whatever the offset (like an unconfirmed update
        after a crash); with a webhook it is POSTed again.
        """
        update = self._updates.get(update_id)
        if update is None:
            raise LookupError(f"no update {update_id}")
        self._queue.insert(0, _Queued(copy.deepcopy(update), forced=True))
        self._on_update()
        return update_id

    # -------------------------------------------------------- observations

    def sent(self, chat_id: int) -> list[SentMessage]:
        """Copies of what the bot sent to ``chat_id``, in order, edits applied."""
        return copy.deepcopy(self._sent.get(chat_id, []))

    def visible(self, chat_id: int) -> list[SentMessage]:
        """The bot's messages the user sees in the chat: all it sent (nothing is deleted here)."""
        return self.sent(chat_id)

    def calls_to(self, method: str) -> list[JsonDict]:
        """The params of every call of ``method`` (case-insensitive), in order."""
        return [call.params for call in self.requests if call.method.lower() == method.lower()]

    def commands_for(self, *, scope: str = "default", language_code: str = "") -> list[tuple[str, str]]:
        """The command menu set for ``scope`` and ``language_code`` (see ``commands``)."""
        return list(self.commands.get((scope, language_code), []))

    async def wait_for_sent(
        self,
        chat_id: int,
        count: int,
        timeout: float = 10.0,  # noqa: ASYNC109 - the test API
    ) -> list[SentMessage]:
        """Wait until at least ``count`` messages were sent to ``chat_id``; all of them."""

        def failure() -> str:
            shown = [(m.message_id, m.kind, m.text) for m in self._sent.get(chat_id, [])]
            return f"expected at least {count} message(s) to chat {chat_id} within {timeout}s, got {shown}"

        await self._wait_until(lambda: len(self._sent.get(chat_id, [])) >= count, timeout, failure)
        return self.sent(chat_id)

    async def wait_for_calls(
        self,
        method: str,
        count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109 - the test API
    ) -> list[JsonDict]:
        """Wait until ``method`` was called at least ``count`` times; the params of the calls."""

        def failure() -> str:
            called = [call.method for call in self.requests]
            return f"expected {count} call(s) of {method} within {timeout}s; calls: {called}"

        await self._wait_until(lambda: len(self.calls_to(method)) >= count, timeout, failure)
        return self.calls_to(method)

    async def wait_for_deliveries(
        self,
        count: int,
        timeout: float = 10.0,  # noqa: ASYNC109 - the test API
    ) -> list[WebhookDelivery]:
        """Wait until at least ``count`` webhook deliveries were attempted; all of them."""

        def failure() -> str:
            shown = [(d.update_id, d.status) for d in self.webhook_deliveries]
            return f"expected {count} webhook deliveries within {timeout}s, got {shown}"

        await self._wait_until(lambda: len(self.webhook_deliveries) >= count, timeout, failure)
        return list(self.webhook_deliveries)

    # --------------------------------------------------------------- faults

    def fail(
        self,
        method: str,
        *,
        chat_id: int | None = None,
        error_code: int,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (to ``chat_id``, or any) answer an error.

        A 429 has ``retry_after`` 1 unless given; the description is Telegram's for the code.
        """
        if error_code == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = {
                400: "Bad Request",
                401: "Unauthorized",
                403: BLOCKED,
                404: "Not Found",
                429: f"Too Many Requests: retry after {retry_after}",
            }.get(error_code, "Internal Server Error")
        error = TelegramApiError(error_code, description, retry_after, "injected")
        self._rules.append(_Rule(method.lower(), chat_id, times, error))

    def drop_connection(self, method: str, *, chat_id: int | None = None, times: int = 1) -> None:
        """Close the connection of the next ``times`` calls of ``method`` unanswered, unexecuted."""
        error = TelegramApiError(0, "connection dropped", kind="dropped")
        self._rules.append(_Rule(method.lower(), chat_id, times, error))

    def block(self, chat_id: int) -> None:
        """Every send or edit to ``chat_id`` answers 403 "bot was blocked by the user"."""
        self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    def enforce_pacing(self, per_chat_per_second: int = 1, overall_per_second: int = 30) -> None:
        """Turn on flood control for sendMessage, sendPhoto and sendDocument.

        A send over a limit (in the last second) answers 429 with ``retry_after`` the seconds until
        it would pass, rounded up; a refused send does not count.
        """
        self._pacing = (per_chat_per_second, overall_per_second)
        self._chat_sends.clear()
        self._all_sends.clear()

    # ------------------------------------------------------------- webhooks

    async def deliver_pending(self) -> list[int]:
        """POST the queued updates to the webhook, in order, until one fails; each HTTP status.

        Runs by itself whenever an update is queued while a webhook is set.
        """
        statuses: list[int] = []
        async with self._deliver_lock:
            while self._webhook and self._queue and not self._closing:
                item = self._queue[0]
                if not self._allowed(item.update):
                    self._queue.remove(item)
                    continue
                status, error = await self._post(self._webhook.url, item.update, self._webhook.secret_token)
                self.webhook_deliveries.append(WebhookDelivery(item.update_id, status, error))
                self._notify()
                statuses.append(status)
                if not 200 <= status < 300:
                    break
                if item in self._queue:
                    self._queue.remove(item)
        return statuses

    async def post_webhook(
        self, update: JsonDict, *, secret: str | _Registered | None = _Registered.SECRET
    ) -> int:
        """POST ``update`` to the webhook outside the queue; the HTTP status (0: no answer).

        ``secret`` is by default the one the bot registered; ``None`` sends no secret header. An
        update without ``update_id`` gets one.
        """
        if self._webhook is None:
            raise RuntimeError("the bot registered no webhook")
        if "update_id" not in update:
            update = {"update_id": next(self._update_ids), **update}
        token = self._webhook.secret_token if isinstance(secret, _Registered) else secret
        status, _ = await self._post(self._webhook.url, update, token)
        return status

    # ============================================================ internals

    def _notify(self) -> None:
        """Wake everything waiting for a change: long polls and the ``wait_for_*`` methods."""
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def _wait_until(
        self,
        done: Callable[[], bool],
        timeout: float,  # noqa: ASYNC109 - one deadline for several waits
        failure: Callable[[], str],
    ) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not done():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(failure())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    def _enqueue(self, update: JsonDict) -> int:
        full = {"update_id": next(self._update_ids), **update}
        self._updates[full["update_id"]] = copy.deepcopy(full)
        self._queue.append(_Queued(full))
        self._on_update()
        return int(full["update_id"])

    def _on_update(self) -> None:
        self._notify()
        if self._webhook and not self._closing and (self._webhook_task is None or self._webhook_task.done()):
            self._webhook_task = asyncio.get_running_loop().create_task(self.deliver_pending())

    def _allowed(self, update: JsonDict) -> bool:
        kind = next(key for key in update if key != "update_id")
        return kind in self._allowed_updates if self._allowed_updates else kind not in OPT_IN_UPDATES

    def _user(self, user_id: int, language_code: str | None) -> JsonDict:
        """``user_id`` (always called Ann) as the ``from`` of an update; their chat becomes known."""
        self._chats[user_id] = {"id": user_id, "type": "private", "first_name": "Ann"}
        user: JsonDict = {"id": user_id, "is_bot": False, "first_name": "Ann"}
        if language_code is not None:
            user["language_code"] = language_code
        return user

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _user_message(self, user_id: int, language_code: str | None, content: JsonDict) -> JsonDict:
        user = self._user(user_id, language_code)
        message = {
            "message_id": self._new_message_id(user_id),
            "from": user,
            "chat": dict(self._chats[user_id]),
            "date": int(time.time()),
            **content,
        }
        self._user_messages[(user_id, message["message_id"])] = message
        return message

    def _complete_message(self, message: JsonDict) -> None:
        sender = message.get("from")
        if isinstance(sender, dict):
            sender.setdefault("is_bot", False)
            sender.setdefault("first_name", "Ann")
            chat = {"id": sender["id"], "type": "private", "first_name": sender["first_name"]}
            message.setdefault("chat", chat)
        elif "chat" not in message:
            raise ValueError("a message needs 'chat' or 'from'")
        chat = message["chat"]
        chat_id = int(chat["id"])
        self._chats.setdefault(chat_id, dict(chat))
        if sender is None and chat.get("type") == "private":
            message["from"] = {"id": chat_id, "is_bot": False, "first_name": chat.get("first_name", "Ann")}
        if "message_id" in message:
            next_id = max(self._next_message_id.get(chat_id, 1), int(message["message_id"]) + 1)
            self._next_message_id[chat_id] = next_id
        else:
            message["message_id"] = self._new_message_id(chat_id)
        message.setdefault("date", int(time.time()))
        self._user_messages[(chat_id, int(message["message_id"]))] = message

    def _store_file(self, upload: UploadedFile) -> UploadedFile:
        if not upload.file_id:
            upload.file_id = f"FAKE-FILE-{next(self._file_numbers):06d}"
            self._files[upload.file_id] = upload
        return upload

    def _record_fault(self, method: str, params: JsonDict, error: TelegramApiError) -> None:
        at = time.monotonic()
        self.faults.append(FaultRecord(at, method, _chat_id(params), **dataclasses.asdict(error)))

    # ------------------------------------------------------------------ HTTP

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["method"]
        call = RecordedCall(self._canonical.get(name.lower(), name), {}, time.monotonic())
        self.requests.append(call)
        try:
            call.params = await _read_params(request)
            self._notify()
            result = await self._execute(request, call)
        except TelegramApiError as error:
            self._record_fault(call.method, call.params, error)
            call.status = error.error_code
            return web.json_response(error.body(), status=error.error_code)
        finally:
            self._notify()
        call.status = 200
        return web.json_response({"ok": True, "result": result})

    async def _execute(self, request: web.Request, call: RecordedCall) -> Any:
        if request.match_info["token"] != self.token:
            raise TelegramApiError(401, "Unauthorized", kind="auth")
        handler = self._methods.get(call.method)
        if handler is None:
            raise TelegramApiError(404, "Not Found: method not found")
        chat_id = _chat_id(call.params)
        rule = next(
            (r for r in self._rules if r.method == call.method.lower() and r.chat_id in (None, chat_id)), None
        )
        if rule is not None:
            rule.remaining -= 1
            if rule.remaining <= 0:
                self._rules.remove(rule)
            error = dataclasses.replace(rule.error)  # a fresh exception each time
            if error.kind == "dropped":
                self._record_fault(call.method, call.params, error)
                if request.transport is not None:
                    request.transport.close()
                await asyncio.sleep(5)  # the closed connection cancels this handler
                raise web.HTTPServiceUnavailable()
            raise error
        if chat_id in self._blocked and call.method.startswith(("send", "edit")):
            raise TelegramApiError(403, BLOCKED, kind="blocked")
        return await handler(call.params)

    async def _post(self, url: str, update: JsonDict, secret: str | None) -> tuple[int, str | None]:
        """POST ``update`` to a webhook: the HTTP status (0: none) and what went wrong."""
        headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
        try:
            async with (
                ClientSession(timeout=ClientTimeout(total=WEBHOOK_TIMEOUT_SECONDS)) as http,
                http.post(url, json=update, headers=headers) as response,
            ):
                if 200 <= response.status < 300:
                    return response.status, None
                return (
                    response.status,
                    f"Wrong response from the webhook: {response.status} {response.reason}",
                )
        except (ClientError, TimeoutError) as exc:
            return 0, f"Connection failed: {type(exc).__name__}: {exc}"

    # ---------------------------------------------------------- API methods

    def _known_chat(self, params: JsonDict) -> tuple[int, JsonDict]:
        chat_id = _chat_id(params)
        if chat_id is None or chat_id not in self._chats:
            raise _bad("chat not found")
        return chat_id, self._chats[chat_id]

    def _check_pacing(self, chat_id: int) -> None:
        if self._pacing is None:
            return
        now = time.monotonic()
        windows = [
            (self._chat_sends.setdefault(chat_id, deque()), self._pacing[0]),
            (self._all_sends, self._pacing[1]),
        ]
        waits: list[float] = []
        for sends, limit in windows:
            while sends and sends[0] <= now - 1.0:
                sends.popleft()
            if len(sends) >= limit:
                waits.append(sends[-limit] + 1.0 - now)
        if waits:
            retry_after = max(1, math.ceil(max(waits)))
            raise TelegramApiError(
                429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after, kind="pacing"
            )
        for sends, _ in windows:
            sends.append(now)

    def _store_sent(
        self,
        chat_id: int,
        kind: Literal["text", "document", "photo"],
        text: str | None,
        keyboard: JsonDict | None,
        media: JsonDict | None = None,
        upload: UploadedFile | None = None,
    ) -> JsonDict:
        """Keep a message the bot sends; the Message to answer."""
        self._check_pacing(chat_id)
        message_id = self._new_message_id(chat_id)
        message = {
            "message_id": message_id,
            "from": self.bot_user,
            "chat": dict(self._chats[chat_id]),
            "date": int(time.time()),
            **(media or {}),
        }
        sent = SentMessage(message_id, chat_id, kind, message=message)
        if upload is not None:
            sent.filename, sent.file_size = upload.filename, len(upload.content)
        _set_content(sent, text, keyboard)
        self._messages[(chat_id, message_id)] = sent
        self._sent.setdefault(chat_id, []).append(sent)
        self._notify()
        return copy.deepcopy(message)

    def _editable(self, params: JsonDict) -> SentMessage:
        chat_id, _ = self._known_chat(params)
        message_id = params.get("message_id")
        if not isinstance(message_id, int):
            raise _bad("message identifier is not specified")
        key = (chat_id, message_id)
        sent = self._messages.get(key)
        if sent is None:
            raise _bad(
                "message can't be edited" if key in self._user_messages else "message to edit not found"
            )
        return sent

    def _edit(self, sent: SentMessage, text: str | None, keyboard: JsonDict | None) -> JsonDict:
        if text == sent.text and keyboard == sent.message.get("reply_markup"):
            raise _bad(NOT_MODIFIED)
        _set_content(sent, text, keyboard)
        sent.edits += 1
        sent.message["edit_date"] = int(time.time())
        self._notify()
        return copy.deepcopy(sent.message)

    @staticmethod
    def _commands_key(params: JsonDict) -> tuple[str, str]:
        scope = params.get("scope")
        name = "default"
        if isinstance(scope, dict) and scope.get("type"):
            name = ":".join(str(scope[key]) for key in ("type", "chat_id", "user_id") if key in scope)
        return name, str(params.get("language_code") or "")

    async def _get_me(self, params: JsonDict) -> JsonDict:
        return self.bot_user

    async def _get_updates(self, params: JsonDict) -> list[JsonDict]:
        if self._webhook:
            raise TelegramApiError(409, WEBHOOK_ACTIVE, kind="conflict")
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = min(max(float(params.get("timeout") or 0), 0.0), MAX_LONG_POLL_SECONDS)
        if isinstance(params.get("allowed_updates"), list):
            self._allowed_updates = [str(kind) for kind in params["allowed_updates"]]
        if offset > 0:  # confirms every update before it
            self._queue = [item for item in self._queue if item.forced or item.update_id >= offset]
        elif offset < 0:  # keeps only the last -offset updates
            forget = [item for item in self._queue if not item.forced][:offset]
            self._queue = [item for item in self._queue if item not in forget]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            self._queue = [item for item in self._queue if self._allowed(item.update)]
            batch = self._queue[:limit]
            if batch or self._closing or loop.time() >= deadline:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), deadline - loop.time())
            if self._webhook:
                raise TelegramApiError(409, WEBHOOK_ACTIVE, kind="conflict")
        self._queue = [item for item in self._queue if not (item.forced and item in batch)]
        return [copy.deepcopy(item.update) for item in batch]

    async def _set_webhook(self, params: JsonDict) -> bool:
        url = str(params.get("url") or "")
        if not url:
            return await self._delete_webhook(params)
        if not _is_local(url):
            raise _bad("bad webhook: this fake Telegram only delivers to 127.0.0.1 or localhost")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_RE.fullmatch(str(secret)):
            raise _bad("secret token contains unallowed characters")
        if params.get("drop_pending_updates") is True:
            self._queue.clear()
        if isinstance(params.get("allowed_updates"), list):
            self._allowed_updates = [str(kind) for kind in params["allowed_updates"]]
        self._webhook = _Webhook(url, None if secret is None else str(secret))
        self._on_update()  # a long poll answers 409; what is queued is delivered
        return True

    async def _delete_webhook(self, params: JsonDict) -> bool:
        if params.get("drop_pending_updates") is True:
            self._queue.clear()
        self._webhook = None
        return True

    async def _send_message(self, params: JsonDict) -> JsonDict:
        chat_id, _ = self._known_chat(params)
        text = _text(params, "text")
        if text is None:
            raise _bad("message text is empty")
        return self._store_sent(chat_id, "text", text, _inline_keyboard(params))

    async def _send_media(self, params: JsonDict, kind: Literal["document", "photo"]) -> JsonDict:
        chat_id, _ = self._known_chat(params)
        upload = params.get(kind)
        if upload is None:
            raise _bad(f"there is no {kind} in the request")
        if isinstance(upload, str):  # the file_id of a file the fake has
            upload = self._files.get(upload)
        if not isinstance(upload, UploadedFile):
            raise _bad("wrong file identifier/HTTP URL specified")
        caption, keyboard = _text(params, "caption"), _inline_keyboard(params)
        self._store_file(upload)
        media = {"document": _document(upload)} if kind == "document" else {"photo": _photo_sizes(upload)}
        return self._store_sent(chat_id, kind, caption, keyboard, media, upload)

    async def _send_photo(self, params: JsonDict) -> JsonDict:
        return await self._send_media(params, "photo")

    async def _send_document(self, params: JsonDict) -> JsonDict:
        return await self._send_media(params, "document")

    async def _edit_message_text(self, params: JsonDict) -> JsonDict:
        text = _text(params, "text")
        if text is None:
            raise _bad("message text is empty")
        keyboard = _inline_keyboard(params)
        sent = self._editable(params)
        if sent.kind != "text":
            raise _bad("there is no text in the message to edit")
        return self._edit(sent, text, keyboard)

    async def _edit_message_reply_markup(self, params: JsonDict) -> JsonDict:
        keyboard = _inline_keyboard(params)
        sent = self._editable(params)
        return self._edit(sent, sent.text, keyboard)

    async def _answer_callback_query(self, params: JsonDict) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        query = self._queries.get(query_id)
        if query is None or query_id in self._answered:
            raise _bad(QUERY_TOO_OLD)
        self._answered.add(query_id)
        text = params.get("text")
        self.callback_answers.append(
            CallbackAnswer(
                callback_query_id=query_id,
                text=None if text is None else str(text),
                show_alert=params.get("show_alert") is True,
                data=query["data"],
                user_id=query["from"]["id"],
                message_id=query["message"]["message_id"],
            )
        )
        return True

    async def _set_my_commands(self, params: JsonDict) -> bool:
        commands = params.get("commands")
        if not (isinstance(commands, list) and all(isinstance(c, dict) for c in commands)):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("too many commands")
        menu = [(str(c.get("command", "")).lstrip("/"), str(c.get("description", ""))) for c in commands]
        for command, description in menu:
            if not _BOT_COMMAND_RE.fullmatch(command):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(params)
        if menu:
            self.commands[key] = menu
        else:
            self.commands.pop(key, None)
        return True

    async def _set_my_description(self, params: JsonDict) -> bool:
        return self._describe(params, "description", 512)

    async def _set_my_short_description(self, params: JsonDict) -> bool:
        return self._describe(params, "short_description", 120)

    def _describe(self, params: JsonDict, field: str, limit: int) -> bool:
        """Telegram's limits: 0-512 characters for the description, 0-120 for the short one."""
        text = str(params.get(field, ""))
        if len(text) > limit:
            raise _bad(f"{field} is too long")
        self.descriptions[(field, str(params.get("language_code") or ""))] = text
        return True

    async def _get_my_commands(self, params: JsonDict) -> list[JsonDict]:
        menu = self.commands.get(self._commands_key(params), [])
        return [{"command": command, "description": description} for command, description in menu]

    async def _delete_my_commands(self, params: JsonDict) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True
