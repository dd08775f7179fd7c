"""Channel-neutral types: what comes in, what goes out, what happened.

A channel (console, aiogram, python-telegram-bot) turns its framework's update into an
:class:`Inbound`, hands it to the conversation service, and renders the :class:`ReplyCreated`
events it gets back. Nothing here knows about Telegram or the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Lang(StrEnum):
    """The languages every interface string and every content file carries."""

    AR = "ar"
    EN = "en"
    FR = "fr"

    @classmethod
    def parse(cls, code: str | None) -> Lang | None:
        """Map a locale code such as ``fr-BE`` or ``ar_JO`` to a language, or ``None``."""
        if not code:
            return None
        base = code.replace("_", "-").split("-", 1)[0].strip().lower()
        try:
            return cls(base)
        except ValueError:
            return None


class Role(StrEnum):
    TALENT = "talent"
    EMPLOYER = "employer"


@dataclass(frozen=True, slots=True)
class UserRef:
    """Who is talking, scoped by channel: ``telegram:42``, ``console:ann``."""

    channel: str
    id: str

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.id}"


@dataclass(frozen=True, slots=True)
class Inbound:
    """One event from a user: a text, a button press or an unsupported message.

    ``choice`` is the data of the pressed button; ``media`` names what was sent instead of text
    (``photo``, ``voice`` ...); ``update_id`` lets the service process a delivery at most once.
    """

    user: UserRef
    at: datetime
    text: str | None = None
    choice: str | None = None
    media: str | None = None
    language_hint: str | None = None
    update_id: str | None = None


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button. ``data`` is at most 64 bytes (Telegram's limit) and stable across versions."""

    label: str
    data: str


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a reply: a document (spreadsheet, PDF) or an image (chart)."""

    kind: str  # "document" | "image"
    filename: str
    content: bytes
    caption: str = ""


# Events: what a turn produced, in the past tense. The host delivers replies and stores the rest.


@dataclass(frozen=True, slots=True)
class ReplyCreated:
    """A message for the user, in ``lang``, with rows of buttons."""

    text: str
    lang: Lang
    buttons: tuple[tuple[Button, ...], ...] = ()
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class FeedbackGiven:
    """The user tapped "was this helpful?" on an answer."""

    faq_id: str
    helpful: bool
    question: str
    lang: Lang


@dataclass(frozen=True, slots=True)
class QuestionUnanswered:
    """The assistant abstained, or the user said the answer did not help: kept for staff review."""

    question: str
    lang: Lang
    reason: str  # "abstained" | "not_helpful"
    score: int
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ResultRecorded:
    """A named result of a dialog (quiz answer, survey answer, completion)."""

    dialog_id: str
    key: str
    value: str
    category: str = ""


Event = ReplyCreated | FeedbackGiven | QuestionUnanswered | ResultRecorded
