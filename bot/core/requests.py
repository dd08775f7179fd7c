"""What a staff command asks of the programme's data, and the data that comes back.

The core stays pure: a staff command records a :class:`~bot.core.events.StaffAsked` with one of
these requests; after the turn the service fetches what it needs (``bot.service.desk``) and
hands it to the staff feature's renderers, which word the answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.core.audience import Audience
from bot.core.events import Attachment


@dataclass(frozen=True, slots=True)
class StatusRequest:
    """``/status``: the recent pushes."""


@dataclass(frozen=True, slots=True)
class ResultsRequest:
    """``/results SURVEY``: response rate, distributions, a chart and the spreadsheet."""

    survey_id: str


@dataclass(frozen=True, slots=True)
class AudienceRequest:
    """How many participants a push of ``survey_id`` to ``audience`` would reach (the staff
    member's preview number ``preview``, which its Send button carries)."""

    survey_id: str
    audience: Audience
    preview: int = 0


@dataclass(frozen=True, slots=True)
class PushRequest:
    """Send ``survey_id`` to ``audience`` (staff confirmed). ``key`` names the confirmation, so
    that answering the same request twice (a retry after a crash) makes one push."""

    survey_id: str
    audience: Audience
    key: str


StaffRequest = StatusRequest | ResultsRequest | AudienceRequest | PushRequest


@dataclass(frozen=True, slots=True)
class PushSummary:
    push_id: int
    survey_id: str
    created_at: datetime
    counts: dict[str, int]
    """Recipients by status (pending, sending, sent, failed, unreachable, skipped), and the
    wave's ``started`` and ``completed`` responses."""


@dataclass(frozen=True, slots=True)
class AudienceCount:
    total: int
    reachable: int
    """Connected to the bot, not unreachable, not declined surveys."""


@dataclass(frozen=True, slots=True)
class QuestionCounts:
    key: str
    kind: str  # the ask type
    counts: dict[str, int]  # value (a choice id, a score) -> answers, in the question's order


@dataclass(frozen=True, slots=True)
class ResultsReport:
    survey_id: str
    responses: int
    completed: int
    recipients: int  # prompts sent in every push of the survey
    questions: tuple[QuestionCounts, ...] = ()
    nps: int | None = None  # -100..100, over every nps answer
    files: tuple[Attachment, ...] = field(default=())
