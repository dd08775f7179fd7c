"""Telegram updates as the core's input, for both frameworks.

aiogram's and python-telegram-bot's ``Update`` both mirror the Bot API field for field, so one
translation (:func:`translate`, over the :class:`~bot.channels.telegram.views.UpdateView`
protocol) serves both adapters:

==========================  ======================================================================
update                      input
==========================  ======================================================================
message, text               :class:`~bot.core.inbound.CommandSent` when it starts with ``/``,
                            else :class:`~bot.core.inbound.TextSent`
message, photo, voice ...   :class:`~bot.core.inbound.MediaSent`
message, story, new kinds   :class:`~bot.core.inbound.MediaSent` too (``story``; ``unknown`` for a
                            kind newer than this code): the core's short "I can only read text"
                            answers anything it cannot read
message, service            ignored (a pinned message, the auto-delete timer changed ...)
callback_query              :class:`~bot.core.inbound.ButtonPressed` (answered by the bridge),
                            with its message's id while the bot may edit it (48 hours)
my_chat_member              :class:`~bot.core.inbound.MemberUpdated`: blocked or allowed again
edited_message, text        answered as a new message (a corrected question); an edited caption,
                            or an edit outside a private chat, is ignored
the staff chat: a reply to  :class:`~bot.core.inbound.StaffChatSent` (the service finds the case)
a post, a button pressed
anything else in a group    ignored
==========================  ======================================================================

Each input carries the ``update_id``, so the service processes every update at most once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypedDict

from bot.channels.telegram.kinds import MEDIA_KINDS, SERVICE_FIELDS, UNKNOWN_KIND
from bot.channels.telegram.views import MessageRef, UpdateView, User
from bot.core.inbound import (
    AddedToGroup,
    ButtonPressed,
    Inbound,
    MediaSent,
    MemberUpdated,
    StaffChatSent,
    UserRef,
    typed,
)

log = logging.getLogger(__name__)

CHANNEL = "telegram"
"""``UserRef.channel`` of Telegram users: the same for both frameworks, so switching framework
keeps every conversation."""

ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")

EDITABLE_FOR = timedelta(hours=48)
"""How long Telegram lets a bot edit its messages; a button under an older one is answered with
new messages."""

BLOCKED_STATUS = {"kicked": True, "member": False}
"""The bot's status in a private chat after the user blocked it, or restarted it."""


class Envelope(TypedDict):
    user: UserRef
    at: datetime
    language_hint: str | None
    update_id: str


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


def is_service(message: object) -> bool:
    """Whether either framework's Message tells of something that happened in the chat (a
    pinned message ...) rather than something a person sent."""
    return any(getattr(message, field, None) for field in SERVICE_FIELDS)


def content_kind(message: object, text: str | None) -> str | None:
    """What :func:`message_event` takes as ``media``: the message's kind when it is not text
    (:data:`UNKNOWN_KIND` for a kind this code does not know), ``None`` for text and service
    messages."""
    if (kind := media_kind(message)) is not None:
        return kind
    if text is not None or is_service(message):
        return None
    return UNKNOWN_KIND


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
    private chats, and service messages (neither text nor media, see :func:`content_kind`)."""
    if chat_type != "private" or user_id is None:
        log.debug("update %s: ignoring a message in a %s chat", update_id, chat_type)
        return None
    if text is None and media is None:
        log.debug("update %s: ignoring a service message", update_id)
        return None
    envelope = Envelope(
        user=user_ref(user_id), at=at.astimezone(UTC), language_hint=language_code, update_id=str(update_id)
    )
    inbound = MediaSent(kind=media, **envelope) if media is not None else typed(text or "", **envelope)
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
    message_id: int = 0,
) -> Incoming | None:
    """A pressed inline button (``chat_type`` is ``None`` when its message is too old to be
    included); presses in groups are ignored. Private chats have the user's id, so the answer
    goes to ``user_id``. ``message_id``: the message the button is under, if the bot may still
    edit it (else ``0``)."""
    if chat_type not in (None, "private"):
        log.debug("update %s: ignoring a button in a %s chat", update_id, chat_type)
        return None
    inbound = ButtonPressed(
        user=user_ref(user_id),
        at=at.astimezone(UTC),
        data=data or "",  # data the core cannot read becomes its polite "expired" answer
        language_hint=language_code,
        update_id=str(update_id),
        message=message_id,
    )
    return Incoming(inbound, chat_id=user_id, callback_query_id=query_id)


def editable(message: MessageRef | None, now: datetime) -> int:
    """The id of a button's message if the bot may still edit it (sent less than
    :data:`EDITABLE_FOR` ago), else ``0``."""
    if message is None or not isinstance(message.date, datetime):
        return 0
    sent = message.date if message.date.tzinfo is not None else message.date.replace(tzinfo=UTC)
    return message.message_id if now - sent < EDITABLE_FOR else 0


def member_event(
    *,
    update_id: int,
    user_id: int,
    chat_type: str,
    status: str,
    at: datetime,
    chat_id: int = 0,
    hint: str | None = None,
) -> Incoming | None:
    """The user blocked the bot (``kicked``) or allowed it again (``member``), in their private
    chat; the bot added to a group (it says once what it is there); other changes are ignored."""
    if chat_type in ("group", "supergroup") and status in ("member", "administrator"):
        added = AddedToGroup(
            user=user_ref(chat_id), at=at.astimezone(UTC), language_hint=hint, update_id=str(update_id)
        )
        return Incoming(added, chat_id=chat_id)
    if chat_type != "private" or status not in BLOCKED_STATUS:
        log.debug("update %s: ignoring a member update (%s in a %s chat)", update_id, status, chat_type)
        return None
    inbound = MemberUpdated(
        user=user_ref(user_id),
        at=at.astimezone(UTC),
        update_id=str(update_id),
        blocked=BLOCKED_STATUS[status],
    )
    return Incoming(inbound, chat_id=user_id)


def staff_chat_event(
    update_id: int,
    user: User | None,
    at: datetime,
    chat_id: int,
    *,
    replied_to: int = 0,
    text: str = "",
    data: str = "",
    query: str | None = None,
) -> Incoming | None:
    """A staff member's reply to one of the bot's posts in the staff chat (``text``), or a
    button pressed there (``data``; ``query``: the press to acknowledge); other messages there
    are the staff's own conversation."""
    if user is None or (query is None and not replied_to):
        return None
    envelope = Envelope(
        user=user_ref(user.id), at=at.astimezone(UTC), language_hint=None, update_id=str(update_id)
    )
    inbound = StaffChatSent(
        name=user.first_name or "", replied_to=replied_to, text=text, data=data, **envelope
    )
    return Incoming(inbound, chat_id=chat_id, callback_query_id=query)


def translate(update: UpdateView, now: datetime, staff_chat: int | None = None) -> Incoming | None:
    """An update of either framework as the core's event, or ``None`` when the bot ignores it;
    ``staff_chat``: the staff chat's id (``DT4E_STAFF_CHAT_ID``)."""
    message = update.message
    if message is None and (edited := update.edited_message) is not None:
        if edited.text is None or edited.chat.type != "private":
            log.debug("update %s: ignoring an edited caption, or an edit in a group", update.update_id)
            return None
        message = edited  # a corrected question is answered as a new one (once: its own update id)
    if message is not None:
        sender = message.from_user
        if staff_chat is not None and message.chat.id == staff_chat:
            replied = message.reply_to_message
            replied_to = replied.message_id if replied is not None else 0
            text = message.text or ""
            return staff_chat_event(
                update.update_id, sender, message.date, staff_chat, replied_to=replied_to, text=text
            )
        return message_event(
            update_id=update.update_id,
            user_id=sender.id if sender else None,
            chat_id=message.chat.id,
            chat_type=message.chat.type,
            at=message.date,
            text=message.text,
            media=content_kind(message, message.text),
            language_code=sender.language_code if sender else None,
        )
    if update.callback_query is not None:
        query = update.callback_query
        if staff_chat is not None and query.message is not None and query.message.chat.id == staff_chat:
            data = query.data or ""
            return staff_chat_event(
                update.update_id, query.from_user, now, staff_chat, query=query.id, data=data
            )
        return button_event(
            update_id=update.update_id,
            query_id=query.id,
            user_id=query.from_user.id,
            chat_type=query.message.chat.type if query.message else None,
            data=query.data,
            language_code=query.from_user.language_code,
            at=now,
            message_id=editable(query.message, now),
        )
    if update.my_chat_member is not None:
        change = update.my_chat_member
        return member_event(
            update_id=update.update_id,
            user_id=change.from_user.id,
            chat_type=change.chat.type,
            status=str(change.new_chat_member.status),
            at=change.date,
            chat_id=change.chat.id,
            hint=change.from_user.language_code,
        )
    return None
