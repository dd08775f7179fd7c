"""Survey answers on SQLAlchemy: one response per participant, survey and wave, one answer per
question key (answering again is a change, counted), and the consent they were given under."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import col

from bot.core.events import ConsentGiven, SurveyAnswered, SurveyCompleted, SurveyStarted
from bot.service.exports import ExportedResponse
from storage.models import Participant, PushRecipient, SurveyAnswer, SurveyPush, SurveyResponse, User

SurveyEvent = SurveyStarted | SurveyAnswered | SurveyCompleted | ConsentGiven


def record(session: Session, user_id: int, event: SurveyEvent, at: datetime) -> None:
    if isinstance(event, ConsentGiven):
        session.execute(
            sa.update(User)
            .where(col(User.id) == user_id)
            .values(consent_at=at, consent_version=event.version, consent_given=event.agreed)
        )
        return
    participant_id = (
        session.execute(sa.select(col(Participant.id)).where(col(Participant.user_id) == user_id))
    ).scalar_one_or_none()
    if participant_id is None:
        return  # the account was unbound meanwhile: nothing to tie the answer to
    if not isinstance(event, SurveyCompleted) and not _may_store(session, user_id, participant_id, event):
        return
    if isinstance(event, SurveyStarted):
        _response(session, participant_id, event.survey_id, event.wave, event.version, at)
    elif isinstance(event, SurveyAnswered):
        response = _response(session, participant_id, event.survey_id, event.wave, event.version, at)
        _answer(session, response, event, at)
    else:
        session.execute(
            sa.update(SurveyResponse)
            .where(
                col(SurveyResponse.participant_id) == participant_id,
                col(SurveyResponse.survey_id) == event.survey_id,
                col(SurveyResponse.wave) == event.wave,
                col(SurveyResponse.completed_at).is_(None),
            )
            .values(completed_at=at)
        )


def _may_store(
    session: Session, user_id: int, participant_id: int, event: SurveyStarted | SurveyAnswered
) -> bool:
    """Only with the person's consent, and only for a wave that was pushed to them: the wave comes
    from a button, which a modified client could forge."""
    consent = session.execute(sa.select(col(User.consent_given)).where(col(User.id) == user_id)).scalar_one()
    if consent is not True:
        return False
    sent_to_them = (
        sa.select(col(PushRecipient.id))
        .join(SurveyPush, col(SurveyPush.id) == col(PushRecipient.push_id))
        .where(
            col(PushRecipient.wave) == event.wave,  # the wave's push, or a reminder of it
            col(PushRecipient.participant_id) == participant_id,
            col(SurveyPush.survey_id) == event.survey_id,
        )
    )
    return (session.execute(sent_to_them)).first() is not None


def _response(
    session: Session, participant_id: int, survey_id: str, wave: int, version: int, at: datetime
) -> int:
    """The response's id, made when the first event of the wave comes (the conversation of one
    user is handled one turn at a time, so there is no race to make it twice)."""
    query = sa.select(col(SurveyResponse.id)).where(
        col(SurveyResponse.participant_id) == participant_id,
        col(SurveyResponse.survey_id) == survey_id,
        col(SurveyResponse.wave) == wave,
    )
    found = (session.execute(query)).scalar_one_or_none()
    if found is not None:
        return int(found)
    row = SurveyResponse(
        participant_id=participant_id, survey_id=survey_id, version=version, wave=wave, started_at=at
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def _answer(session: Session, response_id: int, event: SurveyAnswered, at: datetime) -> None:
    query = sa.select(SurveyAnswer).where(
        col(SurveyAnswer.response_id) == response_id, col(SurveyAnswer.key) == event.key
    )
    existing = (session.execute(query)).scalar_one_or_none()
    if existing is None:
        session.add(
            SurveyAnswer(
                response_id=response_id,
                key=event.key,
                version=event.version,
                value=event.value,
                category=event.category,
                answered_at=at,
            )
        )
    elif (existing.value, existing.category) != (event.value, event.category):
        existing.value, existing.category, existing.version = event.value, event.category, event.version
        existing.answered_at = at
        existing.changes += 1


async def responses(
    session: AsyncSession,
    survey_id: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    cohort: str | None = None,
) -> list[ExportedResponse]:
    """Every response to ``survey_id`` (started between ``since`` and ``until``), with its answers."""
    query = (
        sa.select(SurveyResponse, Participant, col(User.language))
        .join(Participant, col(Participant.id) == col(SurveyResponse.participant_id))
        .outerjoin(User, col(User.id) == col(Participant.user_id))
        .where(col(SurveyResponse.survey_id) == survey_id)
        .order_by(col(Participant.reference), col(SurveyResponse.wave))
    )
    if since is not None:
        query = query.where(col(SurveyResponse.started_at) >= since)
    if until is not None:
        query = query.where(col(SurveyResponse.started_at) < until)
    if cohort is not None:
        query = query.where(col(Participant.cohort) == cohort)
    found = (await session.execute(query)).all()
    answers: dict[int, dict[str, tuple[str, str]]] = {}
    ids = [response.id for response, _, _ in found]
    for start in range(0, len(ids), 500):
        rows = await session.execute(
            sa.select(
                col(SurveyAnswer.response_id),
                col(SurveyAnswer.key),
                col(SurveyAnswer.value),
                col(SurveyAnswer.category),
            ).where(col(SurveyAnswer.response_id).in_(ids[start : start + 500]))
        )
        for response_id, key, value, category in rows.all():
            answers.setdefault(response_id, {})[key] = (value, category)
    return [
        ExportedResponse(
            reference=participant.reference,
            role=participant.role,
            cohort=participant.cohort,
            country=participant.country,
            language=chosen or participant.language,
            wave=response.wave,
            completed_at=response.completed_at,
            answers=answers.get(response.id or 0, {}),
        )
        for response, participant, chosen in found
    ]
