"""What a turn produced, in the past tense (as goflow's events are). The host delivers the
replies and stores the rest; nothing here knows about Telegram or the database.

:class:`ResultRecorded` (a quiz or survey answer, a completion) is the dialog engine's own
event (:mod:`dialogs.engine`), passed on as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.basics.buttons import Button
from bot.basics.lang import Lang
from bot.core.inbound import UserRef
from dialogs.engine import ResultRecorded

if TYPE_CHECKING:
    from bot.core.requests import StaffRequest


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a reply: a document (spreadsheet, PDF) or an image (chart)."""

    kind: str  # "document" | "image"
    filename: str
    content: bytes
    caption: str = ""


@dataclass(frozen=True, slots=True)
class ReplyCreated:
    """A message for the user, in ``lang``, with rows of buttons."""

    text: str
    lang: Lang
    buttons: tuple[tuple[Button, ...], ...] = ()
    attachments: tuple[Attachment, ...] = ()
    thread: str = ""
    """A post in the staff chat about a person's case (``telegram:42#3``): the channel records
    the id of the message it became, so that a staff member's reply to it reaches the person."""
    edits: int = 0
    """The channel's id of a message to change into this one (the step whose button was
    pressed) instead of sending a new message; an empty ``text`` changes only its buttons. A
    channel that cannot change it sends the reply as a new message (a text), or leaves it."""
    notice: bool = False
    """A short acknowledgement of the button press (a toast on Telegram), not a message."""


@dataclass(frozen=True, slots=True)
class FeedbackGiven:
    """The user tapped "was this helpful?" on an answer."""

    faq_id: str
    helpful: bool
    question: str
    lang: Lang
    changed: bool = False
    """The person changed their mind: this replaces their earlier rating of the answer."""


@dataclass(frozen=True, slots=True)
class QuestionUnanswered:
    """The assistant abstained, or the user said the answer did not help: kept for staff review."""

    question: str
    lang: Lang
    reason: str  # "abstained" | "unsure" | "not_helpful"
    score: int
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SurveyStarted:
    """A participant began a wave of a survey."""

    survey_id: str
    version: int
    wave: int


@dataclass(frozen=True, slots=True)
class SurveyAnswered:
    """An answer to one question of a wave (a later one for the same key is a change)."""

    survey_id: str
    version: int
    wave: int
    key: str
    value: str
    category: str = ""


@dataclass(frozen=True, slots=True)
class SurveyCompleted:
    survey_id: str
    wave: int


@dataclass(frozen=True, slots=True)
class ConsentGiven:
    """The answer to "may the DT4E team store your survey answers?", to the text ``version``."""

    version: str
    agreed: bool


@dataclass(frozen=True, slots=True)
class StaffNotified:
    """A message for the programme staff's chat (a survey alert ...), delivered through the outbox."""

    chat: UserRef
    reply: ReplyCreated


@dataclass(frozen=True, slots=True)
class StaffAsked:
    """A staff command needs the programme's data; the service answers it after the turn, in
    ``lang`` (see :mod:`bot.core.requests`)."""

    request: StaffRequest
    lang: Lang


@dataclass(frozen=True, slots=True)
class PrivacyNoticeShown:
    """The privacy notice of ``version`` was shown to the person (at first contact, or again
    after it changed, or in the language they chose): ``2026-12/ar``."""

    version: str


@dataclass(frozen=True, slots=True)
class DataErased:
    """The person confirmed ``/delete_my_data``: everything kept about them goes (their
    profile and conversation, answers, feedback, unanswered questions, replies not yet
    delivered), and their account is no longer bound to a participant."""


@dataclass(frozen=True, slots=True)
class PushesStopped:
    """The person stopped (``/stop``) or restarted (``/start``) every message the bot sends
    unasked: surveys, reminders, announcements. Answers to what they write go on."""

    stopped: bool


@dataclass(frozen=True, slots=True)
class CaseOpened:
    """The person asked for a person: case ``number`` (theirs: 1, 2 ...) is open, and posted to
    the staff chat. What they wrote is not kept with it (the staff chat has it)."""

    number: int
    lang: Lang
    role: str
    participant: str


@dataclass(frozen=True, slots=True)
class CaseTaken:
    """A staff member (``by``: their first name) took the case."""

    number: int
    by: str


@dataclass(frozen=True, slots=True)
class CaseClosed:
    """The case is closed: by a staff member (``by``), or by the person (``by`` empty)."""

    number: int
    by: str = ""


@dataclass(frozen=True, slots=True)
class ReachabilityChanged:
    """Messages to the user fail for good from now on (they blocked the bot), or work again."""

    reachable: bool


__all__ = [
    "Attachment",
    "CaseClosed",
    "CaseOpened",
    "CaseTaken",
    "ConsentGiven",
    "DataErased",
    "Event",
    "FeedbackGiven",
    "PrivacyNoticeShown",
    "PushesStopped",
    "QuestionUnanswered",
    "ReachabilityChanged",
    "ReplyCreated",
    "ResultRecorded",
    "StaffAsked",
    "StaffNotified",
    "SurveyAnswered",
    "SurveyCompleted",
    "SurveyStarted",
]

Event = (
    ReplyCreated
    | FeedbackGiven
    | QuestionUnanswered
    | ResultRecorded
    | ReachabilityChanged
    | PushesStopped
    | DataErased
    | PrivacyNoticeShown
    | SurveyStarted
    | SurveyAnswered
    | SurveyCompleted
    | ConsentGiven
    | StaffNotified
    | StaffAsked
    | CaseOpened
    | CaseTaken
    | CaseClosed
)
