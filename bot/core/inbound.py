"""What comes in: one kind of input per class, as goflow's resumes are.

A channel turns its framework's update into one of these and hands it to the conversation
service; the dispatcher (:mod:`bot.core.dispatch`) matches on the kind, and mypy checks with
``assert_never`` that every kind is handled::

    Inbound = (TextSent | ButtonPressed | CommandSent | MediaSent | MemberUpdated | AddedToGroup
               | InvitationOpened | StaffChatSent | CaseUpdate)

:class:`InvitationOpened` is made by the conversation service, not by a channel: it is a
``/start TOKEN`` whose token the service looked up (and redeemed) in the turn's transaction.
So is :class:`CaseUpdate`: a :class:`StaffChatSent` whose case the service found.

Every kind carries who sent it, when, the channel's language hint and the delivery's id (so the
service processes a delivery at most once).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.basics.lang import Lang
from bot.core.bidi import strip_bidi_controls

MAX_INPUT_CHARS = 4096
"""The longest text the core looks at (Telegram caps a message at 4096 characters too)."""

_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff\u00ad]")
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
"""Control characters other than white space: NUL (which PostgreSQL refuses in text), escape,
delete ... (tab, line breaks and the separators 0x1C-0x1F are white space: single spaces)."""


@dataclass(frozen=True, slots=True)
class UserRef:
    """Who is talking, scoped by channel: ``telegram:42``, ``console:ann``."""

    channel: str
    id: str

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Received:
    """What every kind of input carries."""

    user: UserRef
    at: datetime
    language_hint: str | None = None
    update_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TextSent(Received):
    """A message in words (anything not starting with ``/``). The core reads and stores its
    :func:`clean_text` (:func:`typed` gives it cleaned already)."""

    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ButtonPressed(Received):
    """An inline button was pressed; ``data`` is its data (see :mod:`bot.basics.buttons`).
    ``message``: the channel's id of the message the button is under, when the channel can
    still change that message (``0``: it cannot, so replies come as new messages)."""

    data: str
    message: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandSent(Received):
    """``/name payload``: ``name`` in lower case without the ``@bot`` suffix; ``payload`` is the
    rest, such as the token of a deep link (``/start TOKEN``)."""

    name: str
    payload: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaSent(Received):
    """Something that is not text: ``photo``, ``voice``, ``sticker`` ..."""

    kind: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberUpdated(Received):
    """The user blocked the bot (``blocked``) or allowed it again."""

    blocked: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class AddedToGroup(Received):
    """The bot was added to a group (``user`` is the group's chat): it says once what it is."""


class Refusal(StrEnum):
    """Why an invitation link binds nothing."""

    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class JoinedAsParticipant:
    """The link bound this account to the participant ``reference``."""

    reference: str
    role: str  # "talent" | "employer"
    language: Lang | None = None


@dataclass(frozen=True, slots=True)
class JoinedAsStaff:
    """The link was a staff invitation: this account is programme staff from now on."""


@dataclass(frozen=True, slots=True)
class InvitationRefused:
    reason: Refusal


Invitation = JoinedAsParticipant | JoinedAsStaff | InvitationRefused


@dataclass(frozen=True, slots=True, kw_only=True)
class InvitationOpened(Received):
    """``/start TOKEN`` from an invitation link, as the service found the token."""

    outcome: Invitation


@dataclass(frozen=True, slots=True, kw_only=True)
class StaffChatSent(Received):
    """A staff member (``user``) in the staff chat: a reply to one of the bot's posts there
    (``replied_to``: that post's message id, with ``text``) or a press on one of its buttons
    (``data``). The conversation service finds the case it belongs to and hands the core a
    :class:`CaseUpdate`; what belongs to no case is left alone (the staff talking among
    themselves)."""

    name: str = ""  # the staff member's first name, as the staff chat shows it
    replied_to: int = 0
    text: str = ""
    data: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseUpdate(Received):
    """A staff member acting on the case ``number`` of the person ``user`` (so the turn is that
    person's): a reply to relay (``text``), or a Take / Close button (``data``)."""

    staff: UserRef
    staff_name: str
    number: int
    text: str = ""
    data: str = ""


Inbound = (
    TextSent
    | ButtonPressed
    | CommandSent
    | MediaSent
    | MemberUpdated
    | AddedToGroup
    | InvitationOpened
    | StaffChatSent
    | CaseUpdate
)

TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""What Telegram carries in a deep link's ``start`` parameter."""


def clean_text(text: str | None) -> str:
    """Input as the core reads it: valid Unicode (no lone surrogates, which a JSON ``\\ud800``
    escape makes and no database can store), NFC, without control characters (NUL ...), bidi or
    zero-width controls, white space as single spaces, trimmed, bounded."""
    if not text:
        return ""
    text = _without_lone_surrogates(text[: MAX_INPUT_CHARS * 2])
    text = unicodedata.normalize("NFC", _CONTROLS.sub("", text))
    text = _INVISIBLE.sub("", strip_bidi_controls(text))
    return " ".join(text.split())[:MAX_INPUT_CHARS]


def _without_lone_surrogates(text: str) -> str:
    """``text`` with its lone surrogates left out, and a surrogate pair as the character it
    stands for."""
    if text.isascii():
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "ignore")


def typed(
    text: str,
    *,
    user: UserRef,
    at: datetime,
    language_hint: str | None = None,
    update_id: str | None = None,
) -> TextSent | CommandSent:
    """A typed message as the input it is: a command when it starts with ``/``, else text."""
    cleaned = clean_text(text)
    if cleaned.startswith("/"):
        word, _, payload = cleaned.partition(" ")
        name = word[1:].split("@", 1)[0].lower()
        return CommandSent(
            user=user, at=at, language_hint=language_hint, update_id=update_id, name=name, payload=payload
        )
    return TextSent(user=user, at=at, language_hint=language_hint, update_id=update_id, text=cleaned)
