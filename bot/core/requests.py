"""What a staff command asks of the programme's data, and the data that comes back.

The core stays pure: a staff command records a :class:`~bot.core.events.StaffAsked` with one of
these requests; after the turn the service fetches what it needs (``bot.service.desk``) and
hands it to the staff feature's renderers, which word the answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.core.audience import Audience
from bot.core.events import Attachment

STATUSES = ("pending", "claimed", "sending", "sent", "failed", "unreachable", "skipped")
"""A broadcast recipient's statuses (``bot.service.pushes`` names them; the core cannot import
the service)."""
STATES = ("running", "paused", "cancelled", "done")
"""A broadcast job's states ..."""
KINDS = ("survey", "reminder", "announcement")
"""... and its kinds."""
RUNNING, PAUSED, CANCELLED, DONE = STATES
SURVEY, REMINDER, ANNOUNCEMENT = KINDS


@dataclass(frozen=True, slots=True)
class StatusRequest:
    """``/status``: the latest broadcast jobs."""


@dataclass(frozen=True, slots=True)
class GapsRequest:
    """``/gaps [DAYS]``: what the bot could not answer in the last ``days``, grouped."""

    days: int = 30


@dataclass(frozen=True, slots=True)
class TeachRequest:
    """A teaching button of ``/gaps``: the unanswered question ``question_id`` becomes a way of
    asking ``faq_id``, or (``None``) a question no entry answers."""

    question_id: int
    faq_id: str | None


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


@dataclass(frozen=True, slots=True)
class JobRequest:
    """Pause, resume or cancel a broadcast job (staff tapped its button under ``/status``)."""

    job: int
    action: str  # pause | resume | cancel


StaffRequest = (
    StatusRequest | ResultsRequest | AudienceRequest | PushRequest | JobRequest | GapsRequest | TeachRequest
)


@dataclass(frozen=True, slots=True)
class PushSummary:
    """A broadcast job and where it stands."""

    push_id: int
    survey_id: str  # "" for an announcement
    created_at: datetime
    counts: dict[str, int]
    """Recipients by status (pending, claimed, sending, sent, failed, unreachable, skipped), and
    the wave's ``started`` and ``completed`` responses."""
    kind: str = SURVEY  # one of KINDS
    state: str = RUNNING  # one of STATES
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.get(status, 0) for status in STATUSES)

    @property
    def waiting(self) -> int:
        """Recipients still to send (pending, claimed or being sent)."""
        return sum(self.counts.get(status, 0) for status in ("pending", "claimed", "sending"))

    @property
    def done(self) -> int:
        return self.total - self.waiting

    def duration(self, now: datetime) -> float | None:
        """Seconds from the first message to the end (or to ``now`` while it runs)."""
        if self.started_at is None:
            return None
        return max(0.0, ((self.finished_at or now) - self.started_at).total_seconds())


@dataclass(frozen=True, slots=True)
class AudienceCount:
    total: int
    reachable: int
    """Connected to the bot, not unreachable, not stopped (/stop), not declined surveys."""


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
