"""A user's conversation state, and the :class:`Turn` a handled event produces.

The state is a frozen pydantic model so the store can keep it as JSON and read back what an
older or newer version wrote (unknown fields are ignored, missing ones take their defaults).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from bot.basics.lang import Lang
from bot.core.events import Event, ReplyCreated


class Role(StrEnum):
    TALENT = "talent"
    EMPLOYER = "employer"


class Awaiting(StrEnum):
    """What the bot asked last, so a typed answer can be read in context."""

    LANGUAGE = "language"
    START_LANGUAGE = "start_language"  # the language at /start: the role question follows
    ROLE = "role"
    AUDIENCE = "audience"  # staff: who should get the survey being pushed


class ModuleProgress(BaseModel):
    """Where a user is in one guided module, and how the last run ended."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    node_id: str = ""  # the node waiting for an answer; empty when not started or finished
    completed: bool = False
    score: str = ""  # the last completed run's quiz score, "2/3"
    categories: dict[str, str] = {}  # result key -> category, in the current run


class SurveyRun(BaseModel):
    """Where a participant is in one wave of a survey."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    survey_id: str
    wave: int
    node_id: str = ""  # the node waiting for an answer; empty once completed
    selection: tuple[str, ...] = ()  # the engine's selection at that node (ticked choices ...)
    history: tuple[str, ...] = ()  # the nodes answered on the way, for "Back"
    alerted: tuple[str, ...] = ()  # the keys the staff were alerted about, once each
    completed: bool = False

    @property
    def key(self) -> str:
        return run_key(self.survey_id, self.wave)


def run_key(survey_id: str, wave: int) -> str:
    return f"{survey_id}@{wave}"


class PushDraft(BaseModel):
    """Staff: the survey being pushed from Telegram, and its audience once chosen."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    survey_id: str
    roles: tuple[str, ...] = ()
    cohorts: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    preview: int = 0  # names the preview shown; its Send button carries it


class Case(BaseModel):
    """The person's open case: handed over to the programme team (see
    :mod:`bot.core.features.handover`)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    number: int
    taken_by: str = ""  # the first name of the staff member who took it


class ConversationState(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    language: Lang | None = None
    role: Role | None = None
    participant: str = ""  # the participant reference this account is bound to; "" for a guest
    staff: bool = False  # joined through a staff invitation
    pushes_stopped: bool = False  # sent /stop: no surveys, reminders or announcements until /start
    notice_version: str = ""  # the privacy notice last shown (bot.core.features.privacy.NOTICE_VERSION)
    recent_at: tuple[datetime, ...] = ()  # when the last typed messages came (flood control)
    slowed: bool = False  # told to slow down; no reply until the burst is over
    awaiting: Awaiting | None = None
    # The last question asked and the FAQ entry shown for it, so that "was this helpful?" is
    # stored with the question, and once per answer.
    last_question: str = ""
    last_faq_id: str = ""
    rateable_faq_ids: tuple[str, ...] = ()  # answers shown lately and not yet rated, latest last
    votes: dict[str, bool] = {}  # the answers rated lately, and how (helpful), latest last
    modules: dict[str, ModuleProgress] = {}
    active_module: str = ""  # the module the user is going through now, if any
    continue_offered: str = ""  # "module:step" last offered to continue after a question, once
    surveys: dict[str, SurveyRun] = {}  # by run_key(survey, wave)
    active_survey: str = ""  # the run_key of the survey being answered now, if any
    consent: str = ""  # to store survey answers: "yes", "no", or "" (never asked)
    consent_version: str = ""  # the version of the text the answer was given to
    push_draft: PushDraft | None = None  # staff: a push being prepared
    recent: tuple[tuple[str, str], ...] = ()  # the last questions, each with the entry answered or ""
    case: Case | None = None  # talking to the programme team: what they write goes to the staff chat
    cases_opened: int = 0  # the number of the last case opened


@dataclass(frozen=True, slots=True)
class Turn:
    """The new state and the events of one handled inbound event."""

    state: ConversationState
    events: tuple[Event, ...] = ()

    @property
    def replies(self) -> list[ReplyCreated]:
        return [e for e in self.events if isinstance(e, ReplyCreated)]
