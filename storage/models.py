"""The tables, as sqlmodel classes. The schema itself is created by the Alembic migrations in
``storage/migrations``; a test checks that the two agree.

Results of dialogs and surveys live in one long table (who, dialog, key, value, category, when),
never a column per question, so answers survive edits of a survey.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

metadata = SQLModel.metadata


class UtcDateTime(sa.TypeDecorator[datetime]):
    """A moment, stored in UTC and read back aware on every backend (SQLite keeps no zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            return value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def _when(nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_column=sa.Column(UtcDateTime(), nullable=nullable, index=index))


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (sa.UniqueConstraint("channel", "external_id", name="uq_users_channel_external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    external_id: str = Field(max_length=64)
    language: str | None = Field(default=None, max_length=8)
    role: str | None = Field(default=None, max_length=16)
    consent_at: datetime | None = _when(nullable=True)
    unreachable_at: datetime | None = _when(nullable=True)
    staff_at: datetime | None = _when(nullable=True)  # opened a staff invitation
    consent_version: str | None = Field(default=None, max_length=16)  # with consent_at: the answer's text
    consent_given: bool | None = Field(default=None)  # to store survey answers; None: never asked
    pushes_stopped_at: datetime | None = _when(nullable=True)  # sent /stop: nothing pushed until /start
    notice_version: str | None = Field(default=None, max_length=16)  # the privacy notice last shown
    notice_shown_at: datetime | None = _when(nullable=True)
    created_at: datetime = _when()
    updated_at: datetime = _when()


class Participant(SQLModel, table=True):
    """A person in the programme, from staff's own list (``dt4e-bot participants import``), and
    the account bound to them by an invitation link."""

    __tablename__ = "participants"

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=64, unique=True)
    role: str = Field(max_length=16, index=True)
    cohort: str | None = Field(default=None, max_length=64, index=True)
    country: str | None = Field(default=None, max_length=2, index=True)
    start_date: date | None = Field(default=None)
    timezone: str | None = Field(default=None, max_length=64)
    language: str | None = Field(default=None, max_length=8)
    company: str | None = Field(default=None, max_length=200)
    user_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True, unique=True
        ),
    )
    bound_at: datetime | None = _when(nullable=True)
    created_at: datetime = _when()
    updated_at: datetime = _when()


class Invitation(SQLModel, table=True):
    """A personal deep link's token, stored hashed (SHA-256): single-use, and it expires."""

    __tablename__ = "invitations"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    kind: str = Field(max_length=16)  # "participant" | "staff"
    participant_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("participants.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    created_at: datetime = _when()
    expires_at: datetime = _when()
    used_at: datetime | None = _when(nullable=True)
    revoked_at: datetime | None = _when(nullable=True)


class ConversationStateRow(SQLModel, table=True):
    __tablename__ = "conversation_states"

    user_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    version: int = Field(default=1)
    data: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    updated_at: datetime = _when()


class ProcessedUpdate(SQLModel, table=True):
    __tablename__ = "processed_updates"

    channel: str = Field(primary_key=True, max_length=32)
    update_id: str = Field(primary_key=True, max_length=64)
    processed_at: datetime = _when(index=True)


class Feedback(SQLModel, table=True):
    __tablename__ = "feedback"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    faq_id: str = Field(max_length=64, index=True)
    helpful: bool
    question: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    lang: str = Field(max_length=8)
    created_at: datetime = _when()


class UnansweredQuestion(SQLModel, table=True):
    __tablename__ = "unanswered_questions"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    question: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    lang: str = Field(max_length=8)
    reason: str = Field(max_length=32)
    score: int
    candidates: list[str] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    created_at: datetime = _when(index=True)


class Result(SQLModel, table=True):
    __tablename__ = "results"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    dialog_id: str = Field(max_length=64, index=True)
    key: str = Field(max_length=64)
    value: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    category: str = Field(default="", max_length=64)
    created_at: datetime = _when()


class CaseRow(SQLModel, table=True):
    """A person's request to talk to a person (``bot.core.features.handover``): who asked,
    when, who took it and when it closed; not what anyone wrote (the staff chat has that). It
    goes with the person's row when they erase their data."""

    __tablename__ = "cases"
    __table_args__ = (sa.UniqueConstraint("user_id", "number", name="uq_cases_user_number"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    number: int
    lang: str = Field(max_length=8)
    role: str = Field(default="", max_length=16)
    participant: str = Field(default="", max_length=64)
    opened_at: datetime = _when(index=True)
    taken_by: str = Field(default="", max_length=128)
    taken_at: datetime | None = _when(nullable=True)
    closed_by: str = Field(default="", max_length=128)
    closed_at: datetime | None = _when(nullable=True)


class CasePost(SQLModel, table=True):
    """A message the bot posted to the staff chat about a case, by its Telegram message id: a
    staff member's reply to it reaches the case's person."""

    __tablename__ = "case_posts"

    channel: str = Field(max_length=32, primary_key=True)
    chat_id: str = Field(max_length=64, primary_key=True)
    message_id: int = Field(primary_key=True)
    case_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    posted_at: datetime = _when()


class OutboxEntry(SQLModel, table=True):
    """The replies of one turn, written in the turn's transaction and marked sent once the
    channel has delivered them (or given up for good). The turn that wrote it holds a claim on
    it (``claimed_until``); replies a crash or an outage left unsent are sent again, from the
    first message not yet delivered (``parts_sent``), once the claim has expired."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    replies: list[dict[str, Any]] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    created_at: datetime = _when()
    sent_at: datetime | None = _when(nullable=True, index=True)
    claimed_until: datetime | None = _when(nullable=True)
    parts_sent: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


def _participant_fk(nullable: bool = False) -> Any:
    return Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("participants.id", ondelete="CASCADE"), nullable=nullable, index=True
        )
    )


class SurveyPush(SQLModel, table=True):
    """A broadcast job: a survey's prompt (its id is the wave), a reminder of earlier waves, or an
    announcement, sent to its recipients by the running bot. ``state``: running, paused,
    cancelled or done; ``daytime`` ("08-21"): sent only in those local hours of each recipient."""

    __tablename__ = "survey_pushes"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default="survey", max_length=16)  # survey | reminder | announcement
    survey_id: str | None = Field(default=None, max_length=64, index=True)
    version: int
    message: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON, nullable=True))
    audience: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    created_by: str = Field(max_length=64)
    request_key: str | None = Field(default=None, max_length=128, unique=True)  # one push per request
    state: str = Field(default="running", max_length=16, index=True)
    daytime: str | None = Field(default=None, max_length=5)
    created_at: datetime = _when()
    started_at: datetime | None = _when(nullable=True)  # the first message sent
    finished_at: datetime | None = _when(nullable=True)  # done or cancelled


class PushRecipient(SQLModel, table=True):
    """One participant of a job: pending, claimed by the sender (``owner``), sending (handed to
    Telegram), then sent, failed (with its reason), unreachable or skipped. ``wave`` is the
    survey wave the message opens (a reminder's is the first push's)."""

    __tablename__ = "push_recipients"
    __table_args__ = (
        sa.UniqueConstraint("push_id", "participant_id", name="uq_push_recipients_push_participant"),
        sa.Index("ix_push_recipients_push_status", "push_id", "status"),
        sa.Index("ix_push_recipients_status_id", "status", "id"),  # the sender's claims, in order
    )

    id: int | None = Field(default=None, primary_key=True)
    push_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("survey_pushes.id", ondelete="CASCADE"), nullable=False)
    )
    participant_id: int = _participant_fk()
    wave: int | None = Field(default=None, index=True)
    status: str = Field(default="pending", max_length=16)
    reason: str = Field(default="", max_length=200)
    owner: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = _when(nullable=True)
    sent_at: datetime | None = _when(nullable=True)


class FollowUp(SQLModel, table=True):
    """A participant's follow-up survey due ``months`` after their job start: planned, then
    queued (in the push ``push_id``), past (already past when planned: never sent) or missed
    (the bot was down longer than the grace window); ``reminder_id`` is the reminder's push."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        sa.UniqueConstraint("participant_id", "survey_id", "months", name="uq_follow_ups_participant_wave"),
        sa.Index("ix_follow_ups_state_due", "state", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = _participant_fk()
    survey_id: str = Field(max_length=64)
    months: int
    due_at: datetime = _when()
    state: str = Field(default="planned", max_length=16)
    push_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("survey_pushes.id", ondelete="SET NULL"), nullable=True
        ),
    )
    reminder_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("survey_pushes.id", ondelete="SET NULL"), nullable=True
        ),
    )
    updated_at: datetime = _when()


class SurveyResponse(SQLModel, table=True):
    """A participant's answers to one wave of a survey: started, and completed once done."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        sa.UniqueConstraint(
            "participant_id", "survey_id", "wave", name="uq_survey_responses_participant_wave"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = _participant_fk()
    survey_id: str = Field(max_length=64, index=True)
    version: int
    wave: int
    started_at: datetime = _when()
    completed_at: datetime | None = _when(nullable=True)


class SurveyAnswer(SQLModel, table=True):
    """One answer of a response, under its question key; answering again changes it (counted in
    ``changes``), it never makes a second row."""

    __tablename__ = "survey_answers"
    __table_args__ = (sa.UniqueConstraint("response_id", "key", name="uq_survey_answers_response_key"),)

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("survey_responses.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    key: str = Field(max_length=64)
    version: int
    value: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    category: str = Field(default="", max_length=64)
    answered_at: datetime = _when()
    changes: int = Field(default=0)
