"""Participants and invitations on SQLAlchemy: staff's list, and the links that bind accounts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from bot.basics.lang import Lang
from bot.core.inbound import Invitation, InvitationRefused, JoinedAsParticipant, JoinedAsStaff, Refusal
from bot.core.state import Role
from bot.service.participants import Participant, ParticipantView
from storage.models import Invitation as InvitationRow
from storage.models import Participant as ParticipantRow
from storage.models import User
from storage.schedules import FollowUpRules, plan

if TYPE_CHECKING:
    from storage.store import SqlStore

STAFF, PARTICIPANT = "staff", "participant"
_CHUNK = 500  # references per IN (...) query


def _write(row: ParticipantRow, participant: Participant, at: datetime) -> None:
    row.role = participant.role.value
    row.cohort = participant.cohort
    row.country = participant.country
    row.start_date = participant.start_date
    row.timezone = participant.timezone
    row.language = participant.language.value if participant.language else None
    row.company = participant.company
    row.updated_at = at


def _participant(row: ParticipantRow) -> Participant:
    return Participant(
        reference=row.reference,
        role=Role(row.role),
        cohort=row.cohort,
        country=row.country,
        start_date=row.start_date,
        timezone=row.timezone,
        language=Lang(row.language) if row.language else None,
        company=row.company,
    )


class SqlParticipants:
    """:class:`bot.service.participants.ParticipantStore` on the bot's database."""

    def __init__(self, store: SqlStore, *, follow_ups: FollowUpRules | None = None) -> None:
        self._store = store
        self.follow_ups = follow_ups
        """Plan each new or changed participant's follow-ups with these rules (in the same
        transaction as the import)."""

    async def save(self, participants: Sequence[Participant], at: datetime) -> tuple[int, int, int]:
        added = updated = unchanged = 0
        changed: list[ParticipantRow] = []
        async with self._store.session() as session:
            for start in range(0, len(participants), _CHUNK):
                chunk = participants[start : start + _CHUNK]
                references = [p.reference for p in chunk]
                query = sa.select(ParticipantRow).where(col(ParticipantRow.reference).in_(references))
                existing = {row.reference: row for row in (await session.execute(query)).scalars()}
                for participant in chunk:
                    row = existing.get(participant.reference)
                    if row is None:
                        row = ParticipantRow(
                            reference=participant.reference, role="", created_at=at, updated_at=at
                        )
                        _write(row, participant, at)
                        session.add(row)
                        added += 1
                        changed.append(row)
                    elif _participant(row) == participant:
                        unchanged += 1
                    else:
                        before = (row.role, row.start_date, row.timezone)
                        _write(row, participant, at)
                        updated += 1
                        if before != (row.role, row.start_date, row.timezone):
                            changed.append(row)
                await session.flush()
            if self.follow_ups is not None and changed:
                ids = [row.id for row in changed if row.id is not None]
                await plan(session, ids, self.follow_ups, at)
        return added, updated, unchanged

    async def get(self, reference: str) -> ParticipantView | None:
        views = await self._views(col(ParticipantRow.reference) == reference)
        return views[0] if views else None

    async def erase(self, reference: str) -> bool:
        """Forget a participant for good, on their request to the programme: the row, its
        invitations, follow-ups, survey responses and broadcast recipients, and the account bound
        to it with everything kept about it (foreign keys, ON DELETE CASCADE). ``False`` if no
        participant has that reference."""
        async with self._store.session() as session:
            found = (
                await session.execute(
                    sa.select(col(ParticipantRow.id), col(ParticipantRow.user_id)).where(
                        col(ParticipantRow.reference) == reference
                    )
                )
            ).one_or_none()
            if found is None:
                return False
            participant_id, user_id = found
            await session.execute(sa.delete(ParticipantRow).where(col(ParticipantRow.id) == participant_id))
            if user_id is not None:
                await session.execute(sa.delete(User).where(col(User.id) == user_id))
        return True

    async def all(self, *, role: Role | None = None, cohort: str | None = None) -> list[ParticipantView]:
        conditions = []
        if role is not None:
            conditions.append(col(ParticipantRow.role) == role.value)
        if cohort is not None:
            conditions.append(col(ParticipantRow.cohort) == cohort)
        return await self._views(*conditions)

    async def _views(self, *conditions: sa.ColumnElement[bool]) -> list[ParticipantView]:
        latest = (
            sa.select(sa.func.max(col(InvitationRow.expires_at)))
            .where(
                col(InvitationRow.participant_id) == col(ParticipantRow.id),
                col(InvitationRow.used_at).is_(None),
                col(InvitationRow.revoked_at).is_(None),
            )
            .scalar_subquery()
        )
        query = sa.select(ParticipantRow, latest).where(*conditions).order_by(col(ParticipantRow.reference))
        async with self._store.session() as session:
            rows = (await session.execute(query)).all()
        return [ParticipantView(_participant(row), row.bound_at, invited) for row, invited in rows]

    async def invite(
        self, reference: str | None, token_hash: str, at: datetime, expires_at: datetime
    ) -> bool:
        async with self._store.session() as session:
            participant_id = None
            if reference is not None:
                query = sa.select(col(ParticipantRow.id)).where(col(ParticipantRow.reference) == reference)
                participant_id = (await session.execute(query)).scalar_one_or_none()
                if participant_id is None:
                    return False
                await session.execute(
                    sa.update(InvitationRow)
                    .where(
                        col(InvitationRow.participant_id) == participant_id,
                        col(InvitationRow.used_at).is_(None),
                        col(InvitationRow.revoked_at).is_(None),
                    )
                    .values(revoked_at=at)
                )
            session.add(
                InvitationRow(
                    token_hash=token_hash,
                    kind=PARTICIPANT if reference is not None else STAFF,
                    participant_id=participant_id,
                    created_at=at,
                    expires_at=expires_at,
                )
            )
        return True


def redeem(session: Session, token_hash: str, user_id: int, at: datetime) -> Invitation:
    """Use an invitation for ``user_id`` (see :meth:`bot.service.ports.Transaction.redeem_invitation`).

    The use is one conditional UPDATE, so of two accounts opening the same link at once exactly
    one gets it. Expiry is compared in the database, where every time is UTC."""
    used = session.execute(
        sa.update(InvitationRow)
        .where(
            col(InvitationRow.token_hash) == token_hash,
            col(InvitationRow.used_at).is_(None),
            col(InvitationRow.revoked_at).is_(None),
            col(InvitationRow.expires_at) > at,
        )
        .values(used_at=at)
        .returning(col(InvitationRow.kind), col(InvitationRow.participant_id))
    )
    taken = used.one_or_none()
    if taken is None:
        query = (
            sa.select(col(InvitationRow.used_at), ParticipantRow)
            .outerjoin(ParticipantRow, col(ParticipantRow.id) == col(InvitationRow.participant_id))
            .where(col(InvitationRow.token_hash) == token_hash)
        )
        found = (session.execute(query)).one_or_none()
        if found is None:
            return InvitationRefused(Refusal.UNKNOWN)
        used_at, participant = found
        if used_at is not None and participant is not None and participant.user_id == user_id:
            # Their own link, opened again: still connected, nothing changes.
            return JoinedAsParticipant(participant.reference, participant.role, _language(participant))
        return InvitationRefused(Refusal.USED if used_at is not None else Refusal.EXPIRED)
    kind, participant_id = taken
    if kind == STAFF:
        session.execute(sa.update(User).where(col(User.id) == user_id).values(staff_at=at))
        return JoinedAsStaff()
    # An account stands for one participant: a link for another one moves it there.
    session.execute(
        sa.update(ParticipantRow)
        .where(col(ParticipantRow.user_id) == user_id, col(ParticipantRow.id) != participant_id)
        .values(user_id=None, bound_at=None)
    )
    session.execute(
        sa.update(ParticipantRow)
        .where(col(ParticipantRow.id) == participant_id)
        .values(user_id=user_id, bound_at=at)
    )
    row = (
        session.execute(sa.select(ParticipantRow).where(col(ParticipantRow.id) == participant_id))
    ).scalar_one()
    return JoinedAsParticipant(row.reference, row.role, _language(row))


def _language(row: ParticipantRow) -> Lang | None:
    return Lang(row.language) if row.language else None
