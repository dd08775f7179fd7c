"""A fake Telegram Bot API server for offline end-to-end tests.

The real, unmodified aiogram and python-telegram-bot (PTB) stacks talk HTTP to
this server on 127.0.0.1; nothing leaves the machine.  It keeps an update queue
with Telegram's getUpdates semantics (offset confirmation, negative offsets,
``limit``, remembered ``allowed_updates``, long polling), stores what the bot
sends (with edits and deletions applied), validates requests the way Telegram
does (text length, HTML / Markdown / MarkdownV2 parsing, callback_data size,
unknown chats, not-modified edits) and can inject faults (429 with
``retry_after``, 403 blocked, dropped connections, Telegram-like flood control).

Usage with aiogram::

    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from tests.fake_telegram import FakeTelegram

    async def test_start() -> None:
        async with FakeTelegram() as tg:
            api = TelegramAPIServer.from_base(tg.base_url)
            bot = Bot(tg.token, session=AiohttpSession(api=api))
            ...  # start the dispatcher (dp.start_polling(bot, handle_signals=False))
            tg.send_text(42, "/start", language_code="fr")
            [reply] = await tg.wait_for_sent(42, 1)
            assert reply.buttons[0][0] == ("Oui", "lang:fr")
            tg.press_button(42, reply.message_id, "lang:fr")

With PTB pass ``base_url=tg.base_url + "/bot"`` (the same string is available
as ``tg.ptb_base_url``) and ``base_file_url=tg.file_base_url``.

The test-side API is plain Python and runs in the test's event loop:
``send_text``, ``press_button``, ``send_photo``, ``send_document``,
``edit_user_message``, ``send_update``, ``redeliver``; observations
``sent``, ``wait_for_sent``, ``calls``/``requests``, ``callback_answers``,
``commands``, ``chat_actions``, ``faults``, ``webhook_deliveries``; faults
``fail``, ``drop_connection``, ``block``/``unblock``, ``enforce_pacing``;
webhooks ``deliver_pending`` and ``post_webhook``.  A thin HTTP control API
under ``/_control/`` exposes the same for a bot running in a subprocess (see
``FakeTelegram._control_routes``).

Notes on fidelity:

* Message ids are counted per chat and shared by user and bot messages, as in
  private chats.  update_ids start at ``first_update_id`` and grow by one.
* A chat is known once the fake has seen it in an update (``send_text`` etc.)
  or through ``add_user``; sending to any other chat is "chat not found".
* Texts are parsed per ``parse_mode`` like Telegram (TDLib rules); the stored
  ``SentMessage.text`` is what the user sees, ``raw_text`` what the bot sent.
  Leading and trailing whitespace is trimmed, lengths count code points.
* Times in ``requests``, ``faults`` and ``webhook_deliveries`` come from
  ``time.monotonic()``.
* Redelivered updates (``redeliver``) ignore the client's offset once, the way
  an unconfirmed update comes back after a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import math
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Final, Literal, TypeVar
from urllib.parse import urlsplit

from aiohttp import ClientError, ClientResponse, ClientSession, ClientTimeout, MultipartReader, web

JsonDict = dict[str, Any]
_EventName = Literal["update", "sent", "call", "delivery"]
Kind = Literal["text", "document", "photo"]
ButtonRows = list[list[tuple[str, str | None]]]
_Formatted = tuple[str | None, list[JsonDict], str | None, str | None]
"""(visible text, entities, raw text, parse_mode) of a text or caption."""

DEFAULT_UPDATE_TYPES: Final[frozenset[str]] = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
"""Update types delivered when ``allowed_updates`` is empty or was never set
(everything except chat_member, message_reaction and message_reaction_count)."""

MESSAGE_LIKE: Final[frozenset[str]] = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_message",
        "edited_business_message",
    }
)

CHAT_ACTIONS: Final[frozenset[str]] = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

# Parameters whose value stays a string even when it looks like JSON ("42", "true").
_STRING_PARAMS: Final[frozenset[str]] = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "url",
        "secret_token",
        "callback_query_id",
        "language_code",
        "action",
        "inline_message_id",
        "business_connection_id",
        "message_effect_id",
        "ip_address",
        "description",
        "short_description",
        "name",
        "title",
        "query",
        "file_id",
        "emoji",
        "first_name",
        "last_name",
        "phone_number",
        "address",
        "question",
        "payload",
        "currency",
        "document",
        "photo",
        "audio",
        "video",
        "voice",
        "animation",
        "thumbnail",
        "sticker",
    }
)
_NUMBER_RE: Final = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_COMMAND_RE: Final = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")
_BOT_COMMAND_NAME_RE: Final = re.compile(r"[a-z0-9_]{1,32}")
_SECRET_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,256}")

MAX_TEXT_LENGTH: Final = 4096
MAX_CAPTION_LENGTH: Final = 1024
MAX_CALLBACK_DATA_BYTES: Final = 64
MAX_LONG_POLL_SECONDS: Final = 50.0

NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD: Final = "Bad Request: query is too old and response timeout expired or query ID is invalid"
WEBHOOK_ACTIVE: Final = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
TERMINATED_BY_GET_UPDATES: Final = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)
TERMINATED_BY_SET_WEBHOOK: Final = "Conflict: terminated by setWebhook request"
BLOCKED: Final = "Forbidden: bot was blocked by the user"

_PACED_EXCLUDED: Final = frozenset({"sendchataction"})
_BLOCK_PREFIXES: Final = ("send", "edit", "copy", "forward")


# --------------------------------------------------------------------------- data


@dataclass
class UploadedFile:
    """A file the bot uploaded in a multipart request (or referenced by id/URL)."""

    filename: str
    size: int | None
    content_type: str | None = None
    content: bytes = field(default=b"", repr=False)
    file_id: str | None = None

    def to_json(self) -> JsonDict:
        return {
            "filename": self.filename,
            "size": self.size,
            "content_type": self.content_type,
            "file_id": self.file_id,
        }


@dataclass
class SentMessage:
    """A message the bot sent, as it is now (edits applied).

    ``text`` is the visible text (the caption for media), ``raw_text`` the
    text as sent before ``parse_mode`` processing.  ``buttons`` holds the
    inline keyboard as rows of ``(text, callback_data)`` (``None`` for URL and
    other non-callback buttons).  ``reply_markup`` is the markup as last sent,
    whatever its type (inline keyboard, reply keyboard, remove, force reply).
    """

    message_id: int
    chat_id: int
    kind: Kind
    text: str | None
    buttons: ButtonRows = field(default_factory=list)
    deleted: bool = False
    raw_text: str | None = None
    parse_mode: str | None = None
    entities: list[JsonDict] = field(default_factory=list)
    reply_markup: JsonDict | None = None
    filename: str | None = None
    file_size: int | None = None
    date: int = 0
    edits: int = 0
    history: list[str | None] = field(default_factory=list)
    params: JsonDict = field(default_factory=dict, repr=False)
    message: JsonDict = field(default_factory=dict, repr=False)

    @property
    def callback_data(self) -> list[str]:
        """All callback_data values of the inline keyboard, row by row."""
        return [data for row in self.buttons for _, data in row if data is not None]

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """Button texts of a reply keyboard (``ReplyKeyboardMarkup``), if one was sent."""
        markup = self.reply_markup
        if not markup or "keyboard" not in markup:
            return None
        rows: list[list[str]] = []
        for row in markup["keyboard"]:
            rows.append([b if isinstance(b, str) else str(b.get("text", "")) for b in row])
        return rows

    def to_json(self) -> JsonDict:
        return {
            "message_id": self.message_id,
            "chat_id": self.chat_id,
            "kind": self.kind,
            "text": self.text,
            "buttons": [[list(b) for b in row] for row in self.buttons],
            "deleted": self.deleted,
            "raw_text": self.raw_text,
            "parse_mode": self.parse_mode,
            "entities": self.entities,
            "reply_markup": self.reply_markup,
            "filename": self.filename,
            "file_size": self.file_size,
            "date": self.date,
            "edits": self.edits,
            "history": self.history,
        }


@dataclass
class RecordedCall:
    """One API request: canonical method name, decoded params, time, answer."""

    method: str
    params: JsonDict
    time: float
    http_method: str = "POST"
    status: int = 0
    response: JsonDict | None = None
    source: Literal["http", "webhook_reply"] = "http"


@dataclass
class FaultRecord:
    """An error answer the fake returned (or a connection it dropped)."""

    time: float
    method: str
    chat_id: int | None
    error_code: int
    description: str
    retry_after: int | None
    kind: Literal["injected", "blocked", "pacing", "validation", "conflict", "dropped", "auth"]


@dataclass
class CallbackAnswer:
    """An answerCallbackQuery call, linked to the callback query it answered."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None
    data: str | None
    user_id: int | None
    message_id: int | None
    time: float


@dataclass
class WebhookDelivery:
    """One attempt to POST an update to the webhook (status 0 = no HTTP answer)."""

    update_id: int
    status: int
    time: float
    url: str
    error: str | None = None


@dataclass
class WebhookState:
    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass(eq=False)
class _Queued:
    update: JsonDict
    forced: bool = False

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])


@dataclass
class _FaultRule:
    method: str  # lower case
    chat_id: int | None
    error_code: int
    description: str
    retry_after: int | None
    remaining: int


@dataclass
class _DropRule:
    method: str  # lower case
    chat_id: int | None
    remaining: int
    after_processing: bool


_Rule = TypeVar("_Rule", _FaultRule, _DropRule)


def _take_rule(rules: list[_Rule], method: str, chat_id: int | None) -> _Rule | None:
    """Use up one time of the first rule for ``method`` (lower case) and ``chat_id``."""
    for rule in rules:
        if rule.method == method and (rule.chat_id is None or rule.chat_id == chat_id):
            rule.remaining -= 1
            if rule.remaining <= 0:
                rules.remove(rule)
            return rule
    return None


@dataclass
class _Pacing:
    per_chat_per_second: int
    overall_per_second: int
    per_group_per_minute: int | None


class TelegramApiError(Exception):
    """Raised inside the fake to answer ``{"ok": false, ...}``."""

    def __init__(
        self,
        error_code: int,
        description: str,
        *,
        retry_after: int | None = None,
        kind: Literal["injected", "blocked", "pacing", "validation", "conflict", "auth"] = ("validation"),
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after
        self.kind: Literal["injected", "blocked", "pacing", "validation", "conflict", "auth"] = kind

    def body(self) -> JsonDict:
        body: JsonDict = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _bad(description: str) -> TelegramApiError:
    return TelegramApiError(400, f"Bad Request: {description}")


class _Default(Enum):
    CONFIGURED = 0


# ------------------------------------------------------------------ text parsing


def _u16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


class _ParseError(Exception):
    pass


def _decode_html_entity(src: str, pos: int) -> tuple[str | None, int]:
    """TDLib's decode_html_entity: only lt/gt/amp/quot and numeric references."""
    n = len(src)
    end = pos + 1
    code = 0
    if end < n and src[end] == "#":
        end += 1
        if end < n and src[end] == "x":
            end += 1
            while end < n and src[end] in "0123456789abcdefABCDEF":
                code = code * 16 + int(src[end], 16)
                end += 1
        else:
            while end < n and src[end].isascii() and src[end].isdigit():
                code = code * 10 + int(src[end])
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return None, pos
        if 0xD800 <= code <= 0xDFFF:
            raise _ParseError(
                "Text contains invalid Unicode characters after decoding HTML entities, "
                "check for unmatched surrogate code units"
            )
        char = chr(code)
    else:
        while end < n and src[end].isascii() and src[end].isalpha():
            end += 1
        named = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}.get(src[pos + 1 : end])
        if named is None:
            return None, pos
        char = named
    if end < n and src[end] == ";":
        end += 1
    return char, end


_HTML_TAGS: Final = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "tg-time",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_HTML_ENTITY_TYPES: Final = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
}


def parse_html(src: str) -> tuple[str, list[JsonDict]]:
    """Parse Telegram HTML the way TDLib does; raise _ParseError with its message."""
    out: list[str] = []
    utf16 = 0
    entities: list[JsonDict] = []
    stack: list[tuple[str, dict[str, str], int, int]] = []
    n = len(src)
    i = 0
    while i < n:
        c = src[i]
        if c == "&":
            char, j = _decode_html_entity(src, i)
            if char is not None:
                out.append(char)
                utf16 += _u16(char)
                i = j
                continue
        if c != "<":
            out.append(c)
            utf16 += _u16(c)
            i += 1
            continue
        begin = i
        i += 1
        if i < n and src[i] == "/":
            if not stack:
                raise _ParseError(f"Unexpected end tag at byte offset {_byte_offset(src, begin)}")
            i += 1
            while i < n and not src[i].isspace() and src[i] != ">":
                i += 1
            end_name = src[begin + 2 : i].lower()
            while i < n and src[i].isspace():
                i += 1
            if i >= n or src[i] != ">":
                raise _ParseError(f"Unclosed end tag at byte offset {_byte_offset(src, begin)}")
            i += 1
            tag, open_attrs, start, _ = stack[-1]
            if end_name and end_name != tag:
                raise _ParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(src, begin)}, "
                    f'expected "</{tag}>", found "</{end_name}>"'
                )
            stack.pop()
            _html_entity(entities, tag, open_attrs, start, utf16 - start, stack)
            continue
        while i < n and not src[i].isspace() and src[i] != ">":
            i += 1
        if i >= n:
            raise _ParseError(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
        tag = src[begin + 1 : i].lower()
        if tag not in _HTML_TAGS:
            raise _ParseError(f'Unsupported start tag "{tag}" at byte offset {_byte_offset(src, begin)}')
        attrs: dict[str, str] = {}
        while True:
            while i < n and src[i].isspace():
                i += 1
            if i >= n:
                raise _ParseError(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
            if src[i] == ">":
                break
            attr_begin = i
            while i < n and not src[i].isspace() and src[i] not in "=>":
                i += 1
            name = src[attr_begin:i].lower()
            if not name:
                raise _ParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {_byte_offset(src, begin)}'
                )
            while i < n and src[i].isspace():
                i += 1
            if i >= n or src[i] != "=":
                attrs[name] = ""
                continue
            i += 1
            while i < n and src[i].isspace():
                i += 1
            if i >= n:
                raise _ParseError(f'Unclosed start tag "{tag}" at byte offset {_byte_offset(src, begin)}')
            if src[i] not in "'\"":
                token_begin = i
                while i < n and src[i].isascii() and (src[i].isalnum() or src[i] in ".-"):
                    i += 1
                value = src[token_begin:i].lower()
                if i >= n or (not src[i].isspace() and src[i] != ">"):
                    raise _ParseError(
                        f"Unexpected end of name token at byte offset {_byte_offset(src, token_begin)}"
                    )
            else:
                quote = src[i]
                i += 1
                buf: list[str] = []
                while i < n and src[i] != quote:
                    if src[i] == "&":
                        char, j = _decode_html_entity(src, i)
                        if char is not None:
                            buf.append(char)
                            i = j
                            continue
                    buf.append(src[i])
                    i += 1
                if i < n:
                    i += 1
                value = "".join(buf)
            if i >= n:
                raise _ParseError(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
            attrs[name] = value
        i += 1  # the closing ">"
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise _ParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(src, begin)}'
            )
        stack.append((tag, attrs, utf16, begin))
    if stack:
        raise _ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _html_entity(
    entities: list[JsonDict],
    tag: str,
    attrs: dict[str, str],
    offset: int,
    length: int,
    stack: list[tuple[str, dict[str, str], int, int]],
) -> None:
    if length <= 0:
        return
    entity: JsonDict
    if tag == "a":
        href = attrs.get("href")
        if not href:
            return
        entity = {"type": "text_link", "offset": offset, "length": length, "url": href}
    elif tag == "blockquote":
        kind = "expandable_blockquote" if "expandable" in attrs else "blockquote"
        entity = {"type": kind, "offset": offset, "length": length}
    elif tag == "tg-emoji":
        entity = {
            "type": "custom_emoji",
            "offset": offset,
            "length": length,
            "custom_emoji_id": attrs.get("emoji-id", ""),
        }
    elif tag == "tg-time":
        return
    else:
        entity = {"type": _HTML_ENTITY_TYPES[tag], "offset": offset, "length": length}
        language = attrs.get("class", "").removeprefix("language-")
        in_pre = bool(stack) and stack[-1][0] == "pre"
        if tag == "code" and in_pre and language and language != attrs.get("class", ""):
            stack[-1][1]["__language"] = language
            return
        if tag == "pre" and attrs.get("__language"):
            entity["language"] = attrs["__language"]
    entities.append(entity)


_MDV2_RESERVED: Final = "_*[]()~`>#+-=|{}.!"
_MDV2_NAMES: Final = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "pre_code": "PreCode",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}


def parse_markdown_v2(src: str) -> tuple[str, list[JsonDict]]:
    """Parse MarkdownV2 following TDLib's parse_markdown_v2 (no blockquote entities)."""
    out: list[str] = []
    utf16 = 0
    entities: list[JsonDict] = []
    # (type, argument, utf16 offset, byte offset of the marker)
    stack: list[tuple[str, str, int, int]] = []
    n = len(src)

    def at(k: int) -> str:
        return src[k] if k < n else ""

    i = 0
    while i < n:
        c = src[i]
        if c == "\\" and i + 1 < n and 0 < ord(src[i + 1]) <= 126:
            out.append(src[i + 1])
            utf16 += 1
            i += 2
            continue
        in_code = bool(stack) and stack[-1][0] in ("code", "pre", "pre_code")
        reserved = "`" if in_code else _MDV2_RESERVED
        if c not in reserved:
            out.append(c)
            utf16 += _u16(c)
            i += 1
            continue
        if c == ">" and not in_code and (i == 0 or src[i - 1] == "\n"):
            i += 1  # blockquote marker at the start of a line
            continue
        top = stack[-1][0] if stack else None
        is_end = (
            (top == "bold" and c == "*")
            or (top == "italic" and c == "_" and at(i + 1) != "_")
            or (top == "code" and c == "`")
            or (top in ("pre", "pre_code") and src.startswith("```", i))
            or (top in ("text_link", "custom_emoji") and c == "]")
            or (top == "underline" and src.startswith("__", i))
            or (top == "strikethrough" and c == "~")
            or (top == "spoiler" and src.startswith("||", i))
        )
        if not is_end:
            marker = i
            argument = ""
            if c == "_":
                if at(i + 1) == "_":
                    kind = "underline"
                    i += 1
                else:
                    kind = "italic"
            elif c == "*":
                kind = "bold"
            elif c == "~":
                kind = "strikethrough"
            elif c == "|" and at(i + 1) == "|":
                kind = "spoiler"
                i += 1
            elif c == "[":
                kind = "text_link"
            elif c == "!" and at(i + 1) == "[":
                kind = "custom_emoji"
                i += 1
            elif c == "`":
                if src.startswith("```", i):
                    i += 3
                    kind = "pre"
                    end = i
                    while end < n and not src[end].isspace() and src[end] != "`":
                        end += 1
                    if i != end and end < n and src[end] != "`":
                        kind = "pre_code"
                        argument = src[i:end]
                        i = end
                    if at(i) in ("\n", "\r"):
                        if at(i + 1) in ("\n", "\r") and at(i) != at(i + 1):
                            i += 2
                        else:
                            i += 1
                    stack.append((kind, argument, utf16, _byte_offset(src, marker)))
                    continue
                kind = "code"
            else:
                raise _ParseError(f"Character '{c}' is reserved and must be escaped with the preceding '\\'")
            stack.append((kind, argument, utf16, _byte_offset(src, marker)))
            i += 1
            continue
        kind, argument, start, _ = stack.pop()
        entity: JsonDict = {"type": kind, "offset": start, "length": utf16 - start}
        if kind in ("underline", "spoiler"):
            i += 2
        elif kind in ("pre", "pre_code"):
            i += 3
            if kind == "pre_code":
                entity = {"type": "pre", "offset": start, "length": utf16 - start}
                entity["language"] = argument
        elif kind in ("text_link", "custom_emoji"):
            i += 1
            url = ""
            if at(i) == "(":
                i += 1
                url_begin = i
                while i < n and src[i] != ")":
                    if src[i] == "\\" and i + 1 < n and 0 < ord(src[i + 1]) <= 126:
                        url += src[i + 1]
                        i += 2
                        continue
                    url += src[i]
                    i += 1
                if i >= n:
                    raise _ParseError(
                        f"Can't find end of a URL at byte offset {_byte_offset(src, url_begin)}"
                    )
                i += 1
            elif kind == "custom_emoji":
                raise _ParseError("The entity must contain a tg://emoji or tg://time URL")
            else:
                url = _text_since(out, start)  # [text] alone: the text is the URL
            if kind == "custom_emoji":
                entity["custom_emoji_id"] = url.rsplit("id=", 1)[-1]
            else:
                entity["url"] = url
        else:
            i += 1
        if entity["length"] > 0:
            entities.append(entity)
    if stack:
        kind, _, _, marker_byte = stack[-1]
        raise _ParseError(f"Can't find end of {_MDV2_NAMES[kind]} entity at byte offset {marker_byte}")
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _text_since(out: list[str], utf16_start: int) -> str:
    text = "".join(out)
    units = 0
    for index, char in enumerate(text):
        if units >= utf16_start:
            return text[index:]
        units += _u16(char)
    return ""


def parse_markdown(src: str) -> tuple[str, list[JsonDict]]:
    """Parse legacy Markdown (TDLib's parse_markdown)."""
    out: list[str] = []
    utf16 = 0
    entities: list[JsonDict] = []
    n = len(src)
    i = 0
    while i < n:
        c = src[i]
        if c == "\\" and i + 1 < n and src[i + 1] in "_*`[":
            out.append(src[i + 1])
            utf16 += 1
            i += 2
            continue
        if c not in "_*`[":
            out.append(c)
            utf16 += _u16(c)
            i += 1
            continue
        begin = i
        end_marker = "]" if c == "[" else c
        kind = {"_": "italic", "*": "bold", "`": "code", "[": "text_link"}[c]
        i += 1
        language = ""
        if c == "`" and src.startswith("``", i):
            i += 2
            kind = "pre"
            end_marker = "```"
            lang_end = i
            while lang_end < n and not src[lang_end].isspace() and src[lang_end] != "`":
                lang_end += 1
            if lang_end != i and lang_end < n and src[lang_end] != "`":
                language = src[i:lang_end]
                i = lang_end
            if i < n and src[i] in "\r\n":
                i += 1
        start = utf16
        while i < n and not src.startswith(end_marker, i):
            out.append(src[i])
            utf16 += _u16(src[i])
            i += 1
        if i >= n:
            raise _ParseError(
                f"Can't find end of the entity starting at byte offset {_byte_offset(src, begin)}"
            )
        i += len(end_marker)
        entity: JsonDict = {"type": kind, "offset": start, "length": utf16 - start}
        if kind == "pre" and language:
            entity["language"] = language
        if kind == "text_link":
            url = _text_since(out, start)
            if i < n and src[i] == "(":
                close = src.find(")", i)
                if close != -1:
                    url = src[i + 1 : close]
                    i = close + 1
            entity["url"] = url
        if entity["length"] > 0:
            entities.append(entity)
    return "".join(out), entities


def _format_text(text: str, parse_mode: str | None) -> tuple[str, list[JsonDict]]:
    mode = (parse_mode or "").lower()
    try:
        if mode == "html":
            return parse_html(text)
        if mode == "markdownv2":
            return parse_markdown_v2(text)
        if mode == "markdown":
            return parse_markdown(text)
    except _ParseError as exc:
        raise _bad(f"can't parse entities: {exc}") from None
    if mode:
        raise _bad(f"unsupported parse_mode {parse_mode!r}")
    return text, []


def _trim(text: str, entities: list[JsonDict]) -> tuple[str, list[JsonDict]]:
    """Telegram trims leading/trailing whitespace; shift entities accordingly."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = _u16(text[: len(text) - len(text.lstrip())])
    total = _u16(stripped)
    kept: list[JsonDict] = []
    for entity in entities:
        start = max(int(entity["offset"]) - lead, 0)
        end = min(int(entity["offset"]) + int(entity["length"]) - lead, total)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


# ------------------------------------------------------------------ param helpers


def _decode_value(key: str, value: str) -> Any:
    if key in _STRING_PARAMS:
        return value
    stripped = value.strip()
    if stripped[:1] in ("[", "{") or stripped in ("true", "false", "null") or _NUMBER_RE.fullmatch(stripped):
        try:
            return json.loads(stripped)
        except ValueError:
            return value
    return value


def _opt_int(params: JsonDict, key: str) -> int | None:
    value = params.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise _bad(f"invalid {key} specified")


def _opt_float(params: JsonDict, key: str) -> float | None:
    value = params.get(key)
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _bad(f"invalid {key} specified") from None


def _opt_bool(params: JsonDict, key: str) -> bool:
    value = params.get(key)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    return bool(value)


def _opt_str(params: JsonDict, key: str) -> str | None:
    value = params.get(key)
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _resolve_attachments(params: JsonDict, files: dict[str, UploadedFile]) -> None:
    """Replace "attach://<name>" values by the uploaded file of that name."""
    for key, value in list(params.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            attached = files.get(value[len("attach://") :])
            if attached is not None:
                params[key] = attached


def _text_keys(kind: Kind) -> tuple[str, str]:
    """The message fields of a kind's text and entities (a caption for media)."""
    return ("text", "entities") if kind == "text" else ("caption", "caption_entities")


def _buttons_of(markup: JsonDict | None) -> ButtonRows:
    if not markup or "inline_keyboard" not in markup:
        return []
    return [
        [(str(b.get("text", "")), b.get("callback_data")) for b in row] for row in markup["inline_keyboard"]
    ]


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _is_local_host(url: str) -> bool:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    return host in ("127.0.0.1", "localhost", "::1")


# --------------------------------------------------------------------- the server


_METHODS: Final[tuple[str, ...]] = (
    "getMe",
    "getUpdates",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "editMessageCaption",
    "answerCallbackQuery",
    "sendDocument",
    "sendPhoto",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "deleteMessage",
    "sendChatAction",
    "getFile",
    "setMyDescription",
    "setMyShortDescription",
    "setMyName",
    "setChatMenuButton",
    "close",
    "logOut",
)
_CANONICAL: Final[dict[str, str]] = {name.lower(): name for name in _METHODS}


class FakeTelegram:
    """Fake Telegram Bot API server on 127.0.0.1 (see the module docstring)."""

    def __init__(
        self,
        token: str = "123456:TEST",
        bot_username: str = "dt4e_test_bot",
        *,
        bot_first_name: str = "DT4E Test Bot",
        first_update_id: int = 1001,
        webhook_timeout: float = 10.0,
        webhook_retry_delay: float | None = None,
        max_long_poll: float = MAX_LONG_POLL_SECONDS,
    ) -> None:
        bot_id, sep, secret = token.partition(":")
        if not (bot_id.isdigit() and sep and secret):
            raise ValueError(f"token must look like '<digits>:<secret>', got {token!r}")
        self.token = token
        self.bot_id = int(bot_id)
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.webhook_timeout = webhook_timeout
        self.webhook_retry_delay = webhook_retry_delay
        """Seconds before a failed webhook delivery is retried automatically (None: never)."""
        self.webhook_url_override: str | None = None
        """Deliver webhook updates here instead of the URL the bot registered."""
        self.max_long_poll = max_long_poll

        # observations
        self.requests: list[RecordedCall] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.commands: dict[tuple[str, str], list[tuple[str, str]]] = {}
        """setMyCommands results keyed by (scope, language_code); scope is e.g.
        "default", "all_private_chats" or "chat:42"; language_code "" when absent."""
        self.chat_actions: list[tuple[int, str]] = []
        self.faults: list[FaultRecord] = []
        self.webhook_deliveries: list[WebhookDelivery] = []
        self.webhook = WebhookState()
        self.updates: dict[int, JsonDict] = {}
        """Every update ever created, by update_id."""

        # state
        self._next_update_id = first_update_id
        self._queue: list[_Queued] = []
        self._allowed_updates: list[str] | None = None
        self._users: dict[int, JsonDict] = {}
        self._chats: dict[int, JsonDict] = {}
        self._next_message_id: dict[int, int] = {}
        self._messages: dict[tuple[int, int], SentMessage] = {}
        self._sent_order: dict[int, list[SentMessage]] = {}
        self._user_messages: dict[tuple[int, int], JsonDict] = {}
        self._callback_queries: dict[str, JsonDict] = {}
        self._answered_queries: set[str] = set()
        self._next_query_id = 4_000_000_001
        self._files: dict[str, UploadedFile] = {}
        self._file_paths: dict[str, str] = {}
        self._next_file = 1
        self._blocked: set[int] = set()
        self._fault_rules: list[_FaultRule] = []
        self._drop_rules: list[_DropRule] = []
        self._pacing: _Pacing | None = None
        self._chat_sends: dict[int, deque[float]] = {}
        self._all_sends: deque[float] = deque()

        # async machinery (created in start())
        self._events: dict[_EventName, asyncio.Event] = {}
        self._poll_generation = 0
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._deliver_lock: asyncio.Lock | None = None
        self._port = 0

    # ------------------------------------------------------------- lifecycle

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def start(self) -> None:
        """Start listening on 127.0.0.1 on a free port."""
        self._events = {name: asyncio.Event() for name in ("update", "sent", "call", "delivery")}
        self._deliver_lock = asyncio.Lock()
        self._closing = False
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("GET", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("POST", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        self._control_routes(app)
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        for address in self._runner.addresses:
            if isinstance(address, tuple):
                self._port = int(address[1])
                break
        self._session = ClientSession(timeout=ClientTimeout(total=self.webhook_timeout))

    async def close(self) -> None:
        """Wake long polls, stop webhook delivery and stop the server."""
        self._closing = True
        self._fresh_event("update")
        if self._webhook_task is not None and not self._webhook_task.done():
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: for aiogram's ``TelegramAPIServer.from_base``."""
        if not self._port:
            raise RuntimeError("FakeTelegram is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def ptb_base_url(self) -> str:
        """``base_url + "/bot"``: for PTB's ``base_url``."""
        return self.base_url + "/bot"

    @property
    def file_base_url(self) -> str:
        """``base_url + "/file/bot"``: for PTB's ``base_file_url``."""
        return self.base_url + "/file/bot"

    @property
    def bot_user(self) -> JsonDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    # ------------------------------------------------------- injecting updates

    def add_user(
        self,
        user_id: int,
        *,
        first_name: str = "Ann",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> JsonDict:
        """Make a private chat known (as if the user had written before); return the user."""
        user: JsonDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name is not None:
            user["last_name"] = last_name
        if username is not None:
            user["username"] = username
        if language_code is not None:
            user["language_code"] = language_code
        self._users[user_id] = user
        chat: JsonDict = {"id": user_id, "type": "private", "first_name": first_name}
        if last_name is not None:
            chat["last_name"] = last_name
        if username is not None:
            chat["username"] = username
        self._chats[user_id] = chat
        return dict(user)

    def send_text(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str = "Ann",
        language_code: str | None = None,
    ) -> int:
        """Queue a private text message from ``user_id``; return its update_id.

        A text starting with a command ("/start payload") carries a
        ``bot_command`` entity covering the command ("/start": length 6).
        """
        message = self._user_message(user_id, first_name, language_code)
        message["text"] = text
        match = _COMMAND_RE.match(text)
        if match:
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": _u16(match.group())}]
        return self._enqueue({"message": message})

    def press_button(
        self,
        user_id: int,
        message_id: int,
        data: str,
        *,
        first_name: str = "Ann",
        language_code: str | None = None,
        strict: bool = True,
    ) -> int:
        """Queue a callback_query for the bot's message ``message_id`` in the user's chat.

        The query's ``message`` is that message as it is now.  With ``strict``
        (default) ``data`` must be the callback_data of one of its buttons.
        """
        sent = self._messages.get((user_id, message_id))
        if sent is None:
            raise LookupError(f"the bot sent no message {message_id} to chat {user_id}")
        if sent.deleted:
            raise LookupError(f"message {message_id} in chat {user_id} was deleted")
        if strict and data not in sent.callback_data:
            raise ValueError(
                f"message {message_id} has no button with callback_data {data!r}; buttons: {sent.buttons}"
            )
        user = self._user(user_id, first_name, language_code)
        query_id = str(self._next_query_id)
        self._next_query_id += 1
        query: JsonDict = {
            "id": query_id,
            "from": user,
            "message": copy.deepcopy(sent.message),
            "chat_instance": f"{user_id * 7919 + self.bot_id}",
            "data": data,
        }
        self._callback_queries[query_id] = query
        return self._enqueue({"callback_query": query})

    def send_photo(
        self,
        user_id: int,
        *,
        caption: str | None = None,
        content: bytes = b"\x89PNG\r\n\x1a\nfake-photo",
        first_name: str = "Ann",
        language_code: str | None = None,
    ) -> int:
        """Queue a photo message (two PhotoSize entries; downloadable via getFile)."""
        message = self._user_message(user_id, first_name, language_code)
        small = self._store_file(UploadedFile("photo_small.jpg", len(content) // 4, "image/jpeg"))
        large = self._store_file(UploadedFile("photo.jpg", len(content), "image/jpeg", content))
        message["photo"] = [
            self._photo_size(small, 90, 67),
            self._photo_size(large, 800, 600),
        ]
        if caption is not None:
            message["caption"] = caption
        return self._enqueue({"message": message})

    def send_document(
        self,
        user_id: int,
        filename: str,
        content: bytes,
        *,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
        first_name: str = "Ann",
        language_code: str | None = None,
    ) -> int:
        """Queue a document message (downloadable via getFile)."""
        message = self._user_message(user_id, first_name, language_code)
        stored = self._store_file(UploadedFile(filename, len(content), mime_type, content))
        message["document"] = self._document_json(stored)
        if caption is not None:
            message["caption"] = caption
        return self._enqueue({"message": message})

    def edit_user_message(
        self,
        user_id: int,
        message_id: int,
        text: str,
        *,
        first_name: str = "Ann",
        language_code: str | None = None,
    ) -> int:
        """Queue an ``edited_message`` update for a text the user sent earlier."""
        original = self._user_messages.get((user_id, message_id))
        if original is None:
            raise LookupError(f"user {user_id} sent no message {message_id}")
        edited = copy.deepcopy(original)
        edited["from"] = self._user(user_id, first_name, language_code)
        edited["text"] = text
        edited["edit_date"] = int(time.time())
        edited.pop("entities", None)
        match = _COMMAND_RE.match(text)
        if match:
            edited["entities"] = [{"type": "bot_command", "offset": 0, "length": _u16(match.group())}]
        self._user_messages[(user_id, message_id)] = edited
        return self._enqueue({"edited_message": edited})

    def send_update(self, partial: JsonDict) -> int:
        """Queue any update; ``update_id`` is always assigned here.

        For message-like updates missing ``message_id``, ``date``, ``chat`` or
        ``from`` are filled in (private chat of ``from``), and the chat becomes
        known.  Examples::

            tg.send_update({"message": {"from": {"id": 42, "is_bot": False,
                            "first_name": "Ann"}, "sticker": {...}}})
            tg.send_update({"message": {"chat": {"id": 42, "type": "private"},
                            "location": {"latitude": 50.85, "longitude": 4.35}}})
            tg.send_update({"message": {"chat": {"id": 42, "type": "private"},
                            "voice": {"file_id": "v1", "file_unique_id": "u1",
                                      "duration": 3}}})
            tg.send_update({"edited_message": {"message_id": 5, "chat": {...},
                            "from": {...}, "date": 1760000000,
                            "edit_date": 1760000100, "text": "fixed"}})
        """
        update = copy.deepcopy(partial)
        update.pop("update_id", None)
        for kind, payload in update.items():
            if not isinstance(payload, dict):
                continue
            if kind in MESSAGE_LIKE:
                self._complete_message(payload)
            elif kind == "callback_query":
                sender = payload.get("from")
                if isinstance(sender, dict) and "id" in sender:
                    self._remember_user(sender)
                payload.setdefault("id", str(self._next_query_id))
                self._next_query_id += 1
                payload.setdefault("chat_instance", "ci")
                self._callback_queries[str(payload["id"])] = payload
            else:
                chat = payload.get("chat")
                if isinstance(chat, dict) and "id" in chat:
                    self._chats.setdefault(int(chat["id"]), chat)
        return self._enqueue(update)

    def redeliver(self, update_id: int) -> int:
        """Queue update ``update_id`` again, unchanged (same update_id).

        In polling mode it is returned by the next getUpdates whatever the
        offset (like an unconfirmed update after a crash); with a webhook it is
        POSTed again.
        """
        update = self.updates.get(update_id)
        if update is None:
            raise LookupError(f"no update {update_id}")
        self._queue.insert(0, _Queued(copy.deepcopy(update), forced=True))
        self._on_new_update()
        return update_id

    @property
    def pending_updates(self) -> list[JsonDict]:
        """Updates not yet confirmed (polling) or delivered (webhook)."""
        return [copy.deepcopy(item.update) for item in self._queue]

    # --------------------------------------------------------------- observing

    def sent(self, chat_id: int) -> list[SentMessage]:
        """Snapshots of what the bot sent to ``chat_id``, in order, edits applied."""
        return [copy.deepcopy(m) for m in self._sent_order.get(chat_id, [])]

    def visible(self, chat_id: int) -> list[SentMessage]:
        """Like ``sent`` but without deleted messages."""
        return [m for m in self.sent(chat_id) if not m.deleted]

    def message(self, chat_id: int, message_id: int) -> SentMessage:
        """Snapshot of one bot message."""
        found = self._messages.get((chat_id, message_id))
        if found is None:
            raise LookupError(f"the bot sent no message {message_id} to chat {chat_id}")
        return copy.deepcopy(found)

    @property
    def calls(self) -> list[tuple[str, JsonDict]]:
        """(method, params) for every request, in order (canonical method names)."""
        return [(call.method, call.params) for call in self.requests]

    def calls_to(self, method: str) -> list[JsonDict]:
        """Params of every call of ``method`` (case-insensitive)."""
        wanted = method.lower()
        return [call.params for call in self.requests if call.method.lower() == wanted]

    def commands_for(self, *, scope: str = "default", language_code: str = "") -> list[tuple[str, str]]:
        return list(self.commands.get((scope, language_code), []))

    async def wait_for_sent(
        self,
        chat_id: int,
        count: int,
        timeout: float = 10.0,  # noqa: ASYNC109 - the documented test API
    ) -> list[SentMessage]:
        """Wait until at least ``count`` messages were sent to ``chat_id``."""

        def failure() -> str:
            shown = [(m.message_id, m.kind, m.text) for m in self._sent_order.get(chat_id, [])]
            return (
                f"expected at least {count} message(s) to chat {chat_id} within {timeout}s, "
                f"got {len(shown)}: {shown}"
            )

        await self._wait_until(
            "sent", lambda: len(self._sent_order.get(chat_id, [])) >= count, timeout, failure
        )
        return self.sent(chat_id)

    async def wait_for_calls(
        self,
        method: str,
        count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109 - the documented test API
    ) -> list[JsonDict]:
        """Wait until ``method`` was called at least ``count`` times; return their params."""

        def failure() -> str:
            return (
                f"expected {count} call(s) of {method} within {timeout}s, got "
                f"{len(self.calls_to(method))}; calls: {[c.method for c in self.requests]}"
            )

        await self._wait_until("call", lambda: len(self.calls_to(method)) >= count, timeout, failure)
        return self.calls_to(method)

    async def wait_for_deliveries(
        self,
        count: int,
        timeout: float = 10.0,  # noqa: ASYNC109 - the documented test API
    ) -> list[WebhookDelivery]:
        """Wait until at least ``count`` webhook delivery attempts were made."""

        def failure() -> str:
            shown = [(d.update_id, d.status) for d in self.webhook_deliveries]
            return f"expected {count} webhook deliveries within {timeout}s, got {shown}"

        await self._wait_until("delivery", lambda: len(self.webhook_deliveries) >= count, timeout, failure)
        return list(self.webhook_deliveries)

    async def _wait_until(
        self,
        name: _EventName,
        done: Callable[[], bool],
        timeout: float,  # noqa: ASYNC109 - deadline shared by several waits
        failure: Callable[[], str],
    ) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not done():
            event = self._events.get(name)
            remaining = deadline - loop.time()
            if event is None or remaining <= 0:
                raise AssertionError(failure())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    # ------------------------------------------------------------------ faults

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
        """Make the next ``times`` calls of ``method`` (for ``chat_id``, or any) fail.

        For 429 ``retry_after`` defaults to 1 and the description to
        "Too Many Requests: retry after N"; other codes get a generic description.
        """
        if error_code == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = {
                400: "Bad Request",
                401: "Unauthorized",
                403: BLOCKED,
                404: "Not Found",
                409: TERMINATED_BY_GET_UPDATES,
                429: f"Too Many Requests: retry after {retry_after}",
            }.get(error_code, "Internal Server Error")
        self._fault_rules.append(
            _FaultRule(method.lower(), chat_id, error_code, description, retry_after, times)
        )

    def drop_connection(
        self,
        method: str,
        *,
        chat_id: int | None = None,
        times: int = 1,
        after_processing: bool = False,
    ) -> None:
        """Close the connection of the next ``times`` calls of ``method`` without answering.

        With ``after_processing`` the call takes effect first (the message is
        sent) and only the answer is lost, which is what makes retries duplicate.
        """
        self._drop_rules.append(_DropRule(method.lower(), chat_id, times, after_processing))

    def block(self, chat_id: int) -> None:
        """Every send/edit to ``chat_id`` answers 403 "bot was blocked by the user"."""
        self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    def enforce_pacing(
        self,
        per_chat_per_second: int = 1,
        overall_per_second: int = 30,
        *,
        per_group_per_minute: int | None = None,
    ) -> None:
        """Turn on flood control for send* methods (sliding windows of 1 s / 60 s).

        A send over a limit answers 429 with ``retry_after`` = seconds until the
        window frees up, rounded up, at least 1.  Rejected sends do not count.
        """
        self._pacing = _Pacing(per_chat_per_second, overall_per_second, per_group_per_minute)
        self._chat_sends.clear()
        self._all_sends.clear()

    def disable_pacing(self) -> None:
        self._pacing = None

    # ----------------------------------------------------------------- webhook

    async def deliver_pending(self) -> list[int]:
        """POST queued updates to the webhook, in order, until one fails.

        Returns the HTTP status of each attempt (0: no HTTP answer).
        """
        if self._deliver_lock is None:
            raise RuntimeError("FakeTelegram is not started")
        statuses: list[int] = []
        async with self._deliver_lock:
            while self.webhook.url and self._queue and not self._closing:
                item = self._queue[0]
                if not self._allowed(item.update):
                    self._queue.pop(0)
                    continue
                url = self.webhook_url_override or self.webhook.url
                status, error, reply = await self._post(url, item.update, self.webhook.secret_token)
                self.webhook_deliveries.append(
                    WebhookDelivery(item.update_id, status, time.monotonic(), url, error)
                )
                self._fresh_event("delivery")
                statuses.append(status)
                if 200 <= status < 300:
                    if item in self._queue:
                        self._queue.remove(item)
                    if reply is not None:
                        await self._execute_webhook_reply(reply)
                    continue
                self.webhook.last_error_date = int(time.time())
                self.webhook.last_error_message = error or f"Wrong response from the webhook: {status}"
                break
        return statuses

    async def post_webhook(
        self,
        raw_update: JsonDict,
        *,
        secret: str | _Default | None = _Default.CONFIGURED,
        url: str | None = None,
    ) -> int:
        """POST an arbitrary update to the webhook with a chosen secret; return the status.

        ``secret`` defaults to the secret the bot registered; ``None`` sends no
        header.  A missing ``update_id`` is assigned.  Not recorded in
        ``webhook_deliveries``.
        """
        target = url or self.webhook_url_override or self.webhook.url
        if not target:
            raise RuntimeError("no webhook URL set")
        update = dict(raw_update)
        if "update_id" not in update:
            update["update_id"] = self._next_update_id
            self._next_update_id += 1
        token = self.webhook.secret_token if isinstance(secret, _Default) else secret
        status, _, reply = await self._post(target, update, token)
        if reply is not None and 200 <= status < 300:
            await self._execute_webhook_reply(reply)
        return status

    # ============================================================ internals

    def _fresh_event(self, name: _EventName) -> None:
        """Wake everyone waiting on ``name`` and start a new generation."""
        old = self._events.get(name)
        if old is not None:
            self._events[name] = asyncio.Event()
            old.set()

    def _on_new_update(self) -> None:
        self._fresh_event("update")
        self._kick_webhook()

    def _enqueue(self, update: JsonDict) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        full: JsonDict = {"update_id": update_id, **update}
        self.updates[update_id] = copy.deepcopy(full)
        self._queue.append(_Queued(full))
        self._on_new_update()
        return update_id

    def _user(self, user_id: int, first_name: str, language_code: str | None) -> JsonDict:
        user: JsonDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        known = self._users.get(user_id, {})
        for key in ("last_name", "username"):
            if key in known:
                user[key] = known[key]
        if language_code is not None:
            user["language_code"] = language_code
        self._users[user_id] = dict(user)
        chat = self._chats.get(user_id)
        if chat is None or chat.get("first_name") != first_name:
            self._chats[user_id] = {"id": user_id, "type": "private", "first_name": first_name}
        return user

    def _remember_user(self, user: JsonDict) -> None:
        user_id = int(user["id"])
        self._users[user_id] = dict(user)
        self._chats.setdefault(
            user_id,
            {"id": user_id, "type": "private", "first_name": user.get("first_name", "")},
        )

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _user_message(self, user_id: int, first_name: str, language_code: str | None) -> JsonDict:
        user = self._user(user_id, first_name, language_code)
        message: JsonDict = {
            "message_id": self._new_message_id(user_id),
            "from": user,
            "chat": dict(self._chats[user_id]),
            "date": int(time.time()),
        }
        self._user_messages[(user_id, int(message["message_id"]))] = message
        return message

    def _complete_message(self, message: JsonDict) -> None:
        sender = message.get("from")
        chat = message.get("chat")
        if isinstance(sender, dict) and "id" in sender:
            sender.setdefault("is_bot", False)
            sender.setdefault("first_name", "Ann")
            self._remember_user(sender)
        if not isinstance(chat, dict):
            if not (isinstance(sender, dict) and "id" in sender):
                raise ValueError("a message needs 'chat' or 'from'")
            chat = dict(self._chats[int(sender["id"])])
            message["chat"] = chat
        chat_id = int(chat["id"])
        self._chats.setdefault(chat_id, dict(chat))
        if sender is None and chat.get("type") == "private" and chat_id in self._users:
            message["from"] = dict(self._users[chat_id])
        if "message_id" not in message:
            message["message_id"] = self._new_message_id(chat_id)
        else:
            self._next_message_id[chat_id] = max(
                self._next_message_id.get(chat_id, 1), int(message["message_id"]) + 1
            )
        message.setdefault("date", int(time.time()))
        self._user_messages[(chat_id, int(message["message_id"]))] = message

    def _store_file(self, upload: UploadedFile) -> UploadedFile:
        number = self._next_file
        self._next_file += 1
        upload.file_id = f"FAKE-FILE-{number:06d}"
        self._files[upload.file_id] = upload
        folder = "photos" if upload.content_type and "image" in upload.content_type else "documents"
        suffix = upload.filename.rsplit(".", 1)[-1] if "." in upload.filename else "bin"
        self._file_paths[upload.file_id] = f"{folder}/file_{number}.{suffix}"
        return upload

    @staticmethod
    def _unique_id(file_id: str) -> str:
        return "U" + file_id.rsplit("-", 1)[-1]

    def _document_json(self, stored: UploadedFile) -> JsonDict:
        assert stored.file_id is not None
        document: JsonDict = {
            "file_id": stored.file_id,
            "file_unique_id": self._unique_id(stored.file_id),
            "file_name": stored.filename,
        }
        if stored.content_type:
            document["mime_type"] = stored.content_type
        if stored.size is not None:
            document["file_size"] = stored.size
        return document

    def _photo_size(self, stored: UploadedFile, width: int, height: int) -> JsonDict:
        assert stored.file_id is not None
        size: JsonDict = {
            "file_id": stored.file_id,
            "file_unique_id": self._unique_id(stored.file_id),
            "width": width,
            "height": height,
        }
        if stored.size is not None:
            size["file_size"] = stored.size
        return size

    # ---------------------------------------------------------- HTTP handling

    async def _parse_request(self, request: web.Request) -> tuple[JsonDict, dict[str, UploadedFile]]:
        params: JsonDict = {}
        files: dict[str, UploadedFile] = {}
        for key, value in request.query.items():
            params[key] = _decode_value(key, value)
        if request.method == "POST" and request.body_exists:
            ctype = request.content_type
            if ctype == "application/json":
                try:
                    body = json.loads(await request.text())
                except ValueError:
                    raise _bad("can't parse JSON object") from None
                if not isinstance(body, dict):
                    raise _bad("JSON object expected")
                for key, value in body.items():
                    if key in _STRING_PARAMS and value is not None and not isinstance(value, str):
                        value = json.dumps(value) if isinstance(value, (dict, list)) else str(value)
                    params[key] = value
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                try:
                    form = await request.post()
                except ValueError:
                    raise _bad("can't parse request body") from None
                for key, field_value in form.items():
                    if isinstance(field_value, web.FileField):
                        content = field_value.file.read()
                        files[key] = UploadedFile(
                            filename=field_value.filename,
                            size=len(content),
                            content_type=field_value.content_type,
                            content=content,
                        )
                    else:
                        params[key] = _decode_value(key, str(field_value))
        # resolve attach://name (aiogram) and bare file fields (PTB)
        _resolve_attachments(params, files)
        for key, upload in files.items():
            if key not in params and not any(v is upload for v in params.values()):
                params[key] = upload
        return params, files

    @staticmethod
    def _chat_id_of(params: JsonDict) -> int | None:
        try:
            return _opt_int(params, "chat_id")
        except TelegramApiError:
            return None

    def _record_fault(self, method: str, chat_id: int | None, error: TelegramApiError) -> None:
        self.faults.append(
            FaultRecord(
                time.monotonic(),
                method,
                chat_id,
                error.error_code,
                error.description,
                error.retry_after,
                error.kind,
            )
        )

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        raw_method = request.match_info["method"]
        method = _CANONICAL.get(raw_method.lower(), raw_method)
        call = RecordedCall(method, {}, time.monotonic(), request.method)
        self.requests.append(call)
        try:
            call.params, files = await self._parse_request(request)
        except TelegramApiError as parse_error:
            files = {}
            call.status = parse_error.error_code
            call.response = parse_error.body()
        self._fresh_event("call")
        if call.response is not None:
            return web.json_response(call.response, status=call.status)
        chat_id = self._chat_id_of(call.params)
        error: TelegramApiError
        if request.match_info["token"] != self.token:
            error = TelegramApiError(401, "Unauthorized", kind="auth")
        elif method.lower() not in _CANONICAL:
            error = TelegramApiError(404, "Not Found: method not found", kind="validation")
        else:
            drop = _take_rule(self._drop_rules, method.lower(), chat_id)
            if drop is not None and not drop.after_processing:
                return await self._drop(request, call, chat_id)
            try:
                result = await self._execute(method, call.params, files)
            except TelegramApiError as exc:
                error = exc
            else:
                call.status = 200
                call.response = {"ok": True, "result": result}
                if drop is not None:
                    return await self._drop(request, call, chat_id)
                return web.json_response(call.response)
        self._record_fault(method, chat_id, error)
        call.status = error.error_code
        call.response = error.body()
        return web.json_response(call.response, status=error.error_code)

    async def _drop(
        self, request: web.Request, call: RecordedCall, chat_id: int | None
    ) -> web.StreamResponse:
        call.status = 0
        self.faults.append(
            FaultRecord(time.monotonic(), call.method, chat_id, 0, "connection dropped", None, "dropped")
        )
        transport = request.transport
        if transport is not None:
            transport.close()
        # handler_cancellation=True: connection_lost cancels this handler.
        await asyncio.sleep(5)
        raise web.HTTPServiceUnavailable()

    async def _execute(self, method: str, params: JsonDict, files: dict[str, UploadedFile]) -> Any:
        lower = method.lower()
        chat_id = self._chat_id_of(params)
        rule = _take_rule(self._fault_rules, lower, chat_id)
        if rule is not None:
            raise TelegramApiError(
                rule.error_code, rule.description, retry_after=rule.retry_after, kind="injected"
            )
        if chat_id is not None and chat_id in self._blocked and lower.startswith(_BLOCK_PREFIXES):
            raise TelegramApiError(403, BLOCKED, kind="blocked")
        handler = getattr(self, f"_m_{lower}")
        return await handler(params)

    def _check_pacing(self, method: str, chat_id: int) -> None:
        pacing = self._pacing
        if pacing is None or method.lower() in _PACED_EXCLUDED:
            return
        now = time.monotonic()
        waits: list[float] = []
        chat_log = self._chat_sends.setdefault(chat_id, deque())
        window = 60.0 if chat_id < 0 and pacing.per_group_per_minute else 1.0
        limit = (
            pacing.per_group_per_minute
            if chat_id < 0 and pacing.per_group_per_minute
            else pacing.per_chat_per_second
        )
        while chat_log and chat_log[0] <= now - window:
            chat_log.popleft()
        if len(chat_log) >= limit:
            waits.append(chat_log[len(chat_log) - limit] + window - now)
        while self._all_sends and self._all_sends[0] <= now - 1.0:
            self._all_sends.popleft()
        if len(self._all_sends) >= pacing.overall_per_second:
            waits.append(self._all_sends[len(self._all_sends) - pacing.overall_per_second] + 1.0 - now)
        if waits:
            retry_after = max(1, math.ceil(max(waits)))
            raise TelegramApiError(
                429,
                f"Too Many Requests: retry after {retry_after}",
                retry_after=retry_after,
                kind="pacing",
            )
        chat_log.append(now)
        self._all_sends.append(now)

    # ------------------------------------------------------- shared validation

    def _known_chat(self, params: JsonDict) -> tuple[int, JsonDict]:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise _bad("chat_id is empty")
        chat_id: int | None
        try:
            chat_id = _opt_int(params, "chat_id")
        except TelegramApiError:
            chat_id = None
        if chat_id is None and isinstance(raw, str) and raw.startswith("@"):
            for known in self._chats.values():
                if known.get("username") == raw[1:]:
                    chat_id = int(known["id"])
        if chat_id is None or chat_id not in self._chats:
            raise _bad("chat not found")
        return chat_id, self._chats[chat_id]

    def _formatted(
        self, params: JsonDict, key: str, entities_key: str, max_length: int, *, required: bool
    ) -> _Formatted:
        """Return (visible text, entities, raw text, parse_mode) after Telegram's checks."""
        raw = _opt_str(params, key)
        parse_mode = _opt_str(params, "parse_mode") or None
        if raw is None or raw == "":
            if required:
                raise _bad("message text is empty")
            return None, [], None, parse_mode
        given = params.get(entities_key)
        if given:
            if not isinstance(given, list):
                raise _bad(f"can't parse {entities_key} JSON object")
            text, entities = raw, [dict(e) for e in given if isinstance(e, dict)]
        else:
            text, entities = _format_text(raw, parse_mode)
        text, entities = _trim(text, entities)
        if not text:
            if required:
                raise _bad("message text is empty")
            return None, [], raw, parse_mode
        if len(text) > max_length:
            if key == "caption":
                raise _bad("message caption is too long")
            raise _bad("message is too long")
        return text, entities, raw, parse_mode

    def _markup(self, params: JsonDict) -> JsonDict | None:
        markup = params.get("reply_markup")
        if markup is None or markup == "":
            return None
        if isinstance(markup, str):
            try:
                markup = json.loads(markup)
            except ValueError:
                raise _bad("can't parse reply keyboard markup JSON object") from None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
            clean_rows: list[list[JsonDict]] = []
            for row in rows:
                clean_row: list[JsonDict] = []
                for button in row:
                    if not isinstance(button, dict):
                        raise _bad(
                            "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
                        )
                    text = button.get("text")
                    if not isinstance(text, str):
                        raise _bad('can\'t parse inline keyboard button: Field "text" must be of type String')
                    clean = {k: v for k, v in button.items() if v is not None}
                    actions = set(clean) - {"text", "style", "icon_custom_emoji_id"}
                    if not actions:
                        raise _bad(
                            "can't parse inline keyboard button: "
                            "Text buttons are unallowed in the inline keyboard"
                        )
                    if "callback_data" in clean:
                        data = clean["callback_data"]
                        if not isinstance(data, str):
                            data = str(data)
                            clean["callback_data"] = data
                        if not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
                            raise _bad("BUTTON_DATA_INVALID")
                    if "url" in clean:
                        url = clean["url"]
                        if not isinstance(url, str) or not url.strip() or " " in url.strip():
                            raise _bad("BUTTON_URL_INVALID")
                    if not text:
                        raise _bad("text buttons are unallowed in the inline keyboard")
                    clean_row.append(clean)
                clean_rows.append(clean_row)
            return {"inline_keyboard": clean_rows}
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad('field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays')
            return {k: v for k, v in markup.items() if v is not None}
        if markup.get("remove_keyboard") or markup.get("force_reply"):
            return {k: v for k, v in markup.items() if v is not None}
        raise _bad("can't parse reply keyboard markup JSON object")

    def _bot_message(self, chat: JsonDict, message_id: int) -> JsonDict:
        return {
            "message_id": message_id,
            "from": self.bot_user,
            "chat": dict(chat),
            "date": int(time.time()),
        }

    def _store_sent(self, sent: SentMessage) -> None:
        self._messages[(sent.chat_id, sent.message_id)] = sent
        self._sent_order.setdefault(sent.chat_id, []).append(sent)
        self._fresh_event("sent")

    def _editable(self, params: JsonDict, *, kind: str = "edit") -> SentMessage:
        if params.get("inline_message_id"):
            raise _bad("MESSAGE_ID_INVALID")
        chat_id, _ = self._known_chat(params)
        message_id = _opt_int(params, "message_id")
        if message_id is None:
            raise _bad("message identifier is not specified")
        sent = self._messages.get((chat_id, message_id))
        if sent is None or sent.deleted:
            if (chat_id, message_id) in self._user_messages:
                raise _bad("message can't be edited")
            raise _bad(f"message to {kind} not found")
        return sent

    # ------------------------------------------------------------- API methods

    async def _m_getme(self, params: JsonDict) -> JsonDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _allowed(self, update: JsonDict) -> bool:
        kinds = [k for k in update if k != "update_id"]
        allowed = set(self._allowed_updates or ()) or DEFAULT_UPDATE_TYPES
        return bool(kinds) and kinds[0] in allowed

    async def _m_getupdates(self, params: JsonDict) -> list[JsonDict]:
        if self.webhook.url:
            raise TelegramApiError(409, WEBHOOK_ACTIVE, kind="conflict")
        offset = _opt_int(params, "offset") or 0
        limit = min(max(_opt_int(params, "limit") or 100, 1), 100)
        timeout = min(max(_opt_float(params, "timeout") or 0.0, 0.0), self.max_long_poll)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(a) for a in allowed]
        self._poll_generation += 1
        generation = self._poll_generation
        self._fresh_event("update")  # terminates a concurrent long poll
        if offset > 0:
            self._queue = [q for q in self._queue if q.forced or q.update_id >= offset]
        elif offset < 0:
            normal = [q for q in self._queue if not q.forced]
            keep = set(map(id, normal[offset:]))
            self._queue = [q for q in self._queue if q.forced or id(q) in keep]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            batch: list[JsonDict] = []
            for item in list(self._queue):
                if not self._allowed(item.update):
                    self._queue.remove(item)
                    continue
                if len(batch) < limit:
                    batch.append(copy.deepcopy(item.update))
                    if item.forced:
                        self._queue.remove(item)
            if batch or self._closing:
                return batch
            remaining = deadline - loop.time()
            event = self._events.get("update")
            if remaining <= 0 or event is None:
                return []
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)
            if self._poll_generation != generation:
                raise TelegramApiError(409, TERMINATED_BY_GET_UPDATES, kind="conflict")
            if self.webhook.url:
                raise TelegramApiError(409, TERMINATED_BY_SET_WEBHOOK, kind="conflict")

    async def _m_setwebhook(self, params: JsonDict) -> bool:
        url = _opt_str(params, "url") or ""
        if not url:
            return await self._m_deletewebhook(params)
        if not url.startswith(("http://", "https://")):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        if self.webhook_url_override is None and not _is_local_host(url):
            raise _bad("bad webhook: Failed to resolve host: Name or service not known")
        secret = _opt_str(params, "secret_token")
        if secret is not None and not _SECRET_RE.fullmatch(secret):
            raise _bad("secret token contains unallowed characters")
        max_connections = _opt_int(params, "max_connections") or 40
        allowed = params.get("allowed_updates")
        if _opt_bool(params, "drop_pending_updates"):
            self._queue.clear()
        if isinstance(allowed, list):
            self._allowed_updates = [str(a) for a in allowed]
        self.webhook = WebhookState(
            url=url,
            secret_token=secret,
            max_connections=min(max(max_connections, 1), 100),
            allowed_updates=list(self._allowed_updates) if self._allowed_updates else None,
        )
        self._fresh_event("update")  # long polls answer "terminated by setWebhook"
        self._kick_webhook()
        return True

    async def _m_deletewebhook(self, params: JsonDict) -> bool:
        if _opt_bool(params, "drop_pending_updates"):
            self._queue.clear()
        self.webhook = WebhookState()
        return True

    async def _m_getwebhookinfo(self, params: JsonDict) -> JsonDict:
        info: JsonDict = {
            "url": self.webhook.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        if self.webhook.url:
            info["max_connections"] = self.webhook.max_connections
            info["ip_address"] = "127.0.0.1"
            if self.webhook.allowed_updates:
                info["allowed_updates"] = list(self.webhook.allowed_updates)
            if self.webhook.last_error_date is not None:
                info["last_error_date"] = self.webhook.last_error_date
                info["last_error_message"] = self.webhook.last_error_message
        return info

    async def _m_sendmessage(self, params: JsonDict) -> JsonDict:
        chat_id, chat = self._known_chat(params)
        formatted = self._formatted(params, "text", "entities", MAX_TEXT_LENGTH, required=True)
        markup = self._markup(params)
        self._check_pacing("sendMessage", chat_id)
        return self._store_new(params, chat_id, chat, "text", formatted, markup)

    async def _send_media(self, params: JsonDict, kind: Literal["document", "photo"]) -> JsonDict:
        chat_id, chat = self._known_chat(params)
        value = params.get(kind)
        upload: UploadedFile
        if isinstance(value, UploadedFile):
            upload = self._store_file(value)
        elif isinstance(value, str) and value.startswith(("http://", "https://")):
            name = urlsplit(value).path.rsplit("/", 1)[-1] or kind
            upload = self._store_file(UploadedFile(name, None, None))
        elif isinstance(value, str) and value and not value.startswith("attach://"):
            known = self._files.get(value)
            if known is None:
                raise _bad("wrong file identifier/HTTP URL specified")
            upload = known
        else:
            raise _bad(f"there is no {kind} in the request")
        formatted = self._formatted(params, "caption", "caption_entities", MAX_CAPTION_LENGTH, required=False)
        markup = self._markup(params)
        self._check_pacing(f"send{kind}", chat_id)
        media: JsonDict
        if kind == "document":
            media = {"document": self._document_json(upload)}
        else:
            media = {"photo": [self._photo_size(upload, 90, 67), self._photo_size(upload, 800, 600)]}
        return self._store_new(params, chat_id, chat, kind, formatted, markup, media, upload)

    def _store_new(
        self,
        params: JsonDict,
        chat_id: int,
        chat: JsonDict,
        kind: Kind,
        formatted: _Formatted,
        markup: JsonDict | None,
        media: JsonDict | None = None,
        upload: UploadedFile | None = None,
    ) -> JsonDict:
        """Store a message the bot sends (``media``: the fields of its file) and answer it."""
        text, entities, raw, parse_mode = formatted
        text_key, entities_key = _text_keys(kind)
        message_id = self._new_message_id(chat_id)
        message = self._bot_message(chat, message_id)
        message.update(media or {})
        if text is not None:
            message[text_key] = text
            if entities:
                message[entities_key] = entities
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        self._store_sent(
            SentMessage(
                message_id=message_id,
                chat_id=chat_id,
                kind=kind,
                text=text,
                buttons=_buttons_of(markup),
                raw_text=raw,
                parse_mode=parse_mode,
                entities=entities,
                reply_markup=markup,
                filename=None if upload is None else upload.filename,
                file_size=None if upload is None else upload.size,
                date=int(message["date"]),
                params=dict(params),
                message=message,
            )
        )
        return copy.deepcopy(message)

    async def _m_senddocument(self, params: JsonDict) -> JsonDict:
        return await self._send_media(params, "document")

    async def _m_sendphoto(self, params: JsonDict) -> JsonDict:
        return await self._send_media(params, "photo")

    def _apply_edit(
        self,
        sent: SentMessage,
        text: str | None,
        entities: list[JsonDict],
        raw: str | None,
        parse_mode: str | None,
        markup: JsonDict | None,
    ) -> JsonDict:
        inline = markup if markup and "inline_keyboard" in markup else None
        text_key, entities_key = _text_keys(sent.kind)
        unchanged = (
            text == sent.text
            and _canon(entities) == _canon(sent.entities)
            and _canon(inline) == _canon(sent.message.get("reply_markup"))
        )
        if unchanged:
            raise _bad(NOT_MODIFIED[len("Bad Request: ") :])
        sent.history.append(sent.text)
        sent.text = text
        sent.entities = entities
        sent.raw_text = raw
        sent.parse_mode = parse_mode
        sent.buttons = _buttons_of(inline)
        sent.reply_markup = inline
        sent.edits += 1
        message = sent.message
        message.pop(entities_key, None)
        if text is None:
            message.pop(text_key, None)
        else:
            message[text_key] = text
            if entities:
                message[entities_key] = entities
        if inline:
            message["reply_markup"] = inline
        else:
            message.pop("reply_markup", None)
        message["edit_date"] = int(time.time())
        self._fresh_event("sent")
        return copy.deepcopy(message)

    async def _m_editmessagetext(self, params: JsonDict) -> JsonDict:
        text, entities, raw, parse_mode = self._formatted(
            params, "text", "entities", MAX_TEXT_LENGTH, required=True
        )
        markup = self._markup(params)
        sent = self._editable(params)
        if sent.kind != "text":
            raise _bad("there is no text in the message to edit")
        return self._apply_edit(sent, text, entities, raw, parse_mode, markup)

    async def _m_editmessagecaption(self, params: JsonDict) -> JsonDict:
        caption, entities, raw, parse_mode = self._formatted(
            params, "caption", "caption_entities", MAX_CAPTION_LENGTH, required=False
        )
        markup = self._markup(params)
        sent = self._editable(params)
        if sent.kind == "text":
            raise _bad("there is no caption in the message to edit")
        return self._apply_edit(sent, caption, entities, raw, parse_mode, markup)

    async def _m_editmessagereplymarkup(self, params: JsonDict) -> JsonDict:
        markup = self._markup(params)
        sent = self._editable(params)
        return self._apply_edit(sent, sent.text, sent.entities, sent.raw_text, sent.parse_mode, markup)

    async def _m_deletemessage(self, params: JsonDict) -> bool:
        chat_id, _ = self._known_chat(params)
        message_id = _opt_int(params, "message_id")
        if message_id is None:
            raise _bad("message identifier is not specified")
        sent = self._messages.get((chat_id, message_id))
        if sent is not None and not sent.deleted:
            sent.deleted = True
            self._fresh_event("sent")
            return True
        if self._user_messages.pop((chat_id, message_id), None) is not None:
            return True
        raise _bad("message to delete not found")

    async def _m_answercallbackquery(self, params: JsonDict) -> bool:
        query_id = _opt_str(params, "callback_query_id")
        if not query_id:
            raise _bad("query_id is empty")
        query = self._callback_queries.get(query_id)
        if query is None or query_id in self._answered_queries:
            raise _bad(QUERY_TOO_OLD[len("Bad Request: ") :])
        self._answered_queries.add(query_id)
        message = query.get("message") or {}
        sender = query.get("from") or {}
        self.callback_answers.append(
            CallbackAnswer(
                callback_query_id=query_id,
                text=_opt_str(params, "text"),
                show_alert=_opt_bool(params, "show_alert"),
                url=_opt_str(params, "url"),
                cache_time=_opt_int(params, "cache_time"),
                data=query.get("data"),
                user_id=sender.get("id"),
                message_id=message.get("message_id"),
                time=time.monotonic(),
            )
        )
        return True

    async def _m_sendchataction(self, params: JsonDict) -> bool:
        chat_id, _ = self._known_chat(params)
        action = _opt_str(params, "action")
        if action not in CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        self.chat_actions.append((chat_id, action))
        return True

    @staticmethod
    def _scope_key(params: JsonDict) -> str:
        scope = params.get("scope")
        if isinstance(scope, str):
            try:
                scope = json.loads(scope)
            except ValueError:
                scope = None
        if not isinstance(scope, dict) or not scope.get("type"):
            return "default"
        key = str(scope["type"])
        if "chat_id" in scope:
            key += f":{scope['chat_id']}"
        if "user_id" in scope:
            key += f":{scope['user_id']}"
        return key

    async def _m_setmycommands(self, params: JsonDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("too many commands")
        parsed: list[tuple[str, str]] = []
        for item in commands:
            if not isinstance(item, dict):
                raise _bad("can't parse BotCommand")
            command = str(item.get("command", "")).lstrip("/")
            description = str(item.get("description", ""))
            if not _BOT_COMMAND_NAME_RE.fullmatch(command):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
            parsed.append((command, description))
        key = (self._scope_key(params), _opt_str(params, "language_code") or "")
        if parsed:
            self.commands[key] = parsed
        else:
            self.commands.pop(key, None)
        return True

    async def _m_getmycommands(self, params: JsonDict) -> list[JsonDict]:
        key = (self._scope_key(params), _opt_str(params, "language_code") or "")
        return [{"command": c, "description": d} for c, d in self.commands.get(key, [])]

    async def _m_deletemycommands(self, params: JsonDict) -> bool:
        key = (self._scope_key(params), _opt_str(params, "language_code") or "")
        self.commands.pop(key, None)
        return True

    async def _m_getfile(self, params: JsonDict) -> JsonDict:
        file_id = _opt_str(params, "file_id") or ""
        stored = self._files.get(file_id)
        if stored is None:
            raise _bad("invalid file_id")
        result: JsonDict = {
            "file_id": file_id,
            "file_unique_id": self._unique_id(file_id),
            "file_path": self._file_paths[file_id],
        }
        if stored.size is not None:
            result["file_size"] = stored.size
        return result

    async def _accept(self, params: JsonDict) -> bool:
        """Methods the fake accepts without keeping anything: they answer true."""
        return True

    _m_setmydescription = _m_setmyshortdescription = _m_setmyname = _accept
    _m_setchatmenubutton = _m_close = _m_logout = _accept

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        path = request.match_info["path"]
        for file_id, file_path in self._file_paths.items():
            if file_path == path:
                stored = self._files[file_id]
                return web.Response(
                    body=stored.content,
                    content_type=stored.content_type or "application/octet-stream",
                )
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)

    # -------------------------------------------------------- webhook internals

    def _kick_webhook(self) -> None:
        if not self.webhook.url or self._session is None or self._closing:
            return
        if self._webhook_task is not None and not self._webhook_task.done():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._webhook_task = loop.create_task(self._webhook_loop())

    async def _webhook_loop(self) -> None:
        while True:
            await self.deliver_pending()
            if not (self.webhook.url and self._queue) or self.webhook_retry_delay is None:
                return
            await asyncio.sleep(self.webhook_retry_delay)

    async def _post(
        self, url: str, update: JsonDict, secret: str | None
    ) -> tuple[int, str | None, tuple[JsonDict, dict[str, UploadedFile]] | None]:
        if not _is_local_host(url):
            return 0, "Failed to resolve host: Name or service not known", None
        if self._session is None:
            raise RuntimeError("FakeTelegram is not started")
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        try:
            async with self._session.post(url, data=json.dumps(update), headers=headers) as resp:
                status = resp.status
                if not 200 <= status < 300:
                    return status, f"Wrong response from the webhook: {status} {resp.reason}", None
                return status, None, await self._read_webhook_reply(resp)
        except (ClientError, TimeoutError) as exc:
            return 0, f"Connection failed: {type(exc).__name__}: {exc}", None

    @staticmethod
    async def _read_webhook_reply(
        resp: ClientResponse,
    ) -> tuple[JsonDict, dict[str, UploadedFile]] | None:
        """Parse a "reply into webhook" answer (aiogram: multipart with a method field)."""
        ctype = resp.headers.get("Content-Type", "")
        params: JsonDict = {}
        files: dict[str, UploadedFile] = {}
        if ctype.startswith("multipart/"):
            reader = MultipartReader.from_response(resp)
            while True:
                part = await reader.next()
                if part is None:
                    break
                if isinstance(part, MultipartReader):
                    continue
                name = part.name or ""
                if part.filename:
                    content = bytes(await part.read(decode=False))
                    files[name] = UploadedFile(part.filename, len(content), None, content)
                else:
                    params[name] = _decode_value(name, await part.text())
        elif ctype.startswith("application/json"):
            try:
                body = json.loads(await resp.text())
            except ValueError:
                return None
            if isinstance(body, dict):
                params = body
        if not isinstance(params.get("method"), str):
            return None
        _resolve_attachments(params, files)
        return params, files

    async def _execute_webhook_reply(self, reply: tuple[JsonDict, dict[str, UploadedFile]]) -> None:
        params, files = reply
        raw_method = str(params.pop("method"))
        method = _CANONICAL.get(raw_method.lower(), raw_method)
        call = RecordedCall(method, params, time.monotonic(), "POST", source="webhook_reply")
        self.requests.append(call)
        self._fresh_event("call")
        chat_id = self._chat_id_of(params)
        try:
            if method.lower() not in _CANONICAL:
                raise TelegramApiError(404, "Not Found: method not found")
            result = await self._execute(method, params, files)
        except TelegramApiError as error:
            self._record_fault(method, chat_id, error)
            call.status = error.error_code
            call.response = error.body()
        else:
            call.status = 200
            call.response = {"ok": True, "result": result}

    # ------------------------------------------------------------ control API

    def _control_routes(self, app: web.Application) -> None:
        """HTTP control API for a bot in a subprocess (JSON in, JSON out).

        POST /_control/text    {"user_id", "text", "language_code"?, "first_name"?} -> {"update_id"}
        POST /_control/button  {"user_id", "message_id", "data", "language_code"?} -> {"update_id"}
        POST /_control/update  {<partial update>} -> {"update_id"}
        POST /_control/redeliver {"update_id"} -> {"update_id"}
        GET  /_control/sent/{chat_id} -> [SentMessage.to_json(), ...]
        GET  /_control/wait_sent/{chat_id}?count=N&timeout=S -> list, or 408 {"error", "sent"}
        POST /_control/fail    {"method", "error_code", "chat_id"?, "description"?,
                                "retry_after"?, "times"?}
        POST /_control/drop    {"method", "chat_id"?, "times"?, "after_processing"?}
        POST /_control/block | /_control/unblock {"chat_id"}
        POST /_control/pacing  {"per_chat_per_second"?, "overall_per_second"?} or {"enabled": false}
        GET  /_control/calls | /_control/faults | /_control/callback_answers | /_control/commands

        POSTs that queue an update answer {"update_id"}, the others {"ok": true}; a
        body that does not fit answers 400 {"error": "<exception>: <message>"}.
        """
        for name, action in self._control_actions().items():
            app.router.add_post(f"/_control/{name}", _control_post(action))
        app.router.add_get("/_control/sent/{chat_id}", self._c_sent)
        app.router.add_get("/_control/wait_sent/{chat_id}", self._c_wait_sent)
        for name, rows in self._control_lists().items():
            app.router.add_get(f"/_control/{name}", _control_get(rows))

    def _control_actions(self) -> dict[str, Callable[[JsonDict], int | None]]:
        """POST /_control/<name>: what each does with the JSON body (an update_id or None)."""
        return {
            "text": lambda body: self.send_text(
                int(body["user_id"]),
                str(body["text"]),
                first_name=str(body.get("first_name", "Ann")),
                language_code=body.get("language_code"),
            ),
            "button": lambda body: self.press_button(
                int(body["user_id"]),
                int(body["message_id"]),
                str(body["data"]),
                first_name=str(body.get("first_name", "Ann")),
                language_code=body.get("language_code"),
                strict=bool(body.get("strict", True)),
            ),
            "update": self.send_update,
            "redeliver": lambda body: self.redeliver(int(body["update_id"])),
            "fail": lambda body: self.fail(
                str(body["method"]),
                chat_id=_int_or_none(body.get("chat_id")),
                error_code=int(body["error_code"]),
                description=body.get("description"),
                retry_after=_int_or_none(body.get("retry_after")),
                times=int(body.get("times", 1)),
            ),
            "drop": lambda body: self.drop_connection(
                str(body["method"]),
                chat_id=_int_or_none(body.get("chat_id")),
                times=int(body.get("times", 1)),
                after_processing=bool(body.get("after_processing", False)),
            ),
            "block": lambda body: self.block(int(body["chat_id"])),
            "unblock": lambda body: self.unblock(int(body["chat_id"])),
            "pacing": lambda body: (
                self.disable_pacing()
                if body.get("enabled", True) is False
                else self.enforce_pacing(
                    int(body.get("per_chat_per_second", 1)),
                    int(body.get("overall_per_second", 30)),
                    per_group_per_minute=_int_or_none(body.get("per_group_per_minute")),
                )
            ),
        }

    def _control_lists(self) -> dict[str, Callable[[], list[Any]]]:
        """GET /_control/<name>: the observations, as JSON rows."""
        return {
            "calls": lambda: [
                {
                    "method": c.method,
                    "params": c.params,
                    "time": c.time,
                    "status": c.status,
                    "source": c.source,
                }
                for c in self.requests
            ],
            "faults": lambda: [vars(f) for f in self.faults],
            "callback_answers": lambda: [vars(a) for a in self.callback_answers],
            "commands": lambda: [
                {"scope": scope, "language_code": lang, "commands": [list(c) for c in commands]}
                for (scope, lang), commands in self.commands.items()
            ],
        }

    async def _c_sent(self, request: web.Request) -> web.Response:
        chat_id = int(request.match_info["chat_id"])
        return web.json_response([m.to_json() for m in self.sent(chat_id)])

    async def _c_wait_sent(self, request: web.Request) -> web.Response:
        chat_id = int(request.match_info["chat_id"])
        count = int(request.query.get("count", "1"))
        timeout = float(request.query.get("timeout", "10"))
        try:
            sent = await self.wait_for_sent(chat_id, count, timeout)
        except AssertionError as exc:
            return web.json_response(
                {"error": str(exc), "sent": [m.to_json() for m in self.sent(chat_id)]},
                status=408,
            )
        return web.json_response([m.to_json() for m in sent])


_ControlHandler = Callable[[web.Request], Awaitable[web.Response]]


def _control_post(action: Callable[[JsonDict], int | None]) -> _ControlHandler:
    """The handler of one POST control action: JSON body in, its answer or a 400 out."""

    async def handle(request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            raise web.HTTPBadRequest(text='{"error": "JSON body expected"}') from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text='{"error": "JSON object expected"}')
        try:
            update_id = action(body)
        except (LookupError, ValueError, TypeError) as exc:
            return web.json_response({"error": f"{type(exc).__name__}: {exc}"}, status=400)
        return web.json_response({"ok": True} if update_id is None else {"update_id": update_id})

    return handle


def _control_get(rows: Callable[[], list[Any]]) -> _ControlHandler:
    """The handler of one GET control list."""

    async def handle(request: web.Request) -> web.Response:
        return web.json_response(rows(), dumps=_dumps)

    return handle


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _json_default(value: object) -> object:
    if isinstance(value, UploadedFile):
        return value.to_json()
    return repr(value)


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_json_default)
