"""Participants and invitations on every backend: imports that can run twice, and links that
work once, for one account, before they expire."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.basics.lang import Lang
from bot.core.events import FeedbackGiven
from bot.core.inbound import InvitationRefused, JoinedAsParticipant, JoinedAsStaff, Refusal, UserRef
from bot.core.state import ConversationState, Role
from bot.service.invitations import token_hash
from bot.service.participants import Participant
from bot.service.ports import Transaction
from storage.participants import SqlParticipants
from storage.store import SqlStore

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
LATER = AT + timedelta(days=40)
ANN, BOB = UserRef("telegram", "42"), UserRef("telegram", "43")
RANIA = Participant("T-1", Role.TALENT, cohort="2026-A", country="BE", language=Lang.AR)
ACME = Participant("E-1", Role.EMPLOYER, company="Acme", start_date=date(2026, 3, 1))


async def redeem(store: SqlStore, token: str, user: UserRef, at: datetime = AT) -> object:
    return await store.run(lambda tx: tx.redeem_invitation(token_hash(token), user, at))


async def test_an_import_adds_then_changes_nothing_then_updates(store: SqlStore) -> None:
    participants = SqlParticipants(store)
    assert await participants.save([RANIA, ACME], AT) == (2, 0, 0)
    assert await participants.save([RANIA, ACME], AT) == (0, 0, 2)
    moved = Participant("T-1", Role.TALENT, cohort="2026-B", country="FR")
    assert await participants.save([moved, ACME], LATER) == (0, 1, 1)
    view = await participants.get("T-1")
    assert view is not None
    assert view.participant == moved, "an accepted row replaces what was known"
    assert [v.participant.reference for v in await participants.all(role=Role.EMPLOYER)] == ["E-1"]
    assert [v.participant.reference for v in await participants.all(cohort="2026-B")] == ["T-1"]


async def test_many_participants_in_one_import(store: SqlStore) -> None:
    many = [Participant(f"T-{n:05d}", Role.TALENT) for n in range(1_200)]
    assert await SqlParticipants(store).save(many, AT) == (1_200, 0, 0)
    assert len(await SqlParticipants(store).all()) == 1_200


async def test_a_link_binds_once_and_only_its_own_participant(store: SqlStore) -> None:
    participants = SqlParticipants(store)
    await participants.save([RANIA], AT)
    assert await participants.invite("T-1", token_hash("tok-1"), AT, AT + timedelta(days=30))
    assert await redeem(store, "tok-1", ANN) == JoinedAsParticipant("T-1", "talent", Lang.AR)
    assert await redeem(store, "tok-1", BOB) == InvitationRefused(Refusal.USED)
    view = await participants.get("T-1")
    assert view is not None
    assert view.bound_at is not None
    assert await redeem(store, "never-issued", ANN) == InvitationRefused(Refusal.UNKNOWN)


async def test_a_link_expires(store: SqlStore) -> None:
    participants = SqlParticipants(store)
    await participants.save([RANIA], AT)
    await participants.invite("T-1", token_hash("tok-1"), AT, AT + timedelta(days=30))
    assert await redeem(store, "tok-1", ANN, at=LATER) == InvitationRefused(Refusal.EXPIRED)
    view = await participants.get("T-1")
    assert view is not None
    assert view.bound_at is None, "an expired link binds nothing"


async def test_a_new_link_replaces_the_unused_one(store: SqlStore) -> None:
    participants = SqlParticipants(store)
    await participants.save([RANIA], AT)
    await participants.invite("T-1", token_hash("old"), AT, AT + timedelta(days=30))
    await participants.invite("T-1", token_hash("new"), AT, AT + timedelta(days=30))
    assert await redeem(store, "old", ANN) == InvitationRefused(Refusal.EXPIRED)
    assert await redeem(store, "new", ANN) == JoinedAsParticipant("T-1", "talent", Lang.AR)


async def test_there_is_no_link_for_an_unknown_participant(store: SqlStore) -> None:
    assert not await SqlParticipants(store).invite("nobody", token_hash("t"), AT, LATER)


async def test_an_account_stands_for_one_participant(store: SqlStore) -> None:
    participants = SqlParticipants(store)
    await participants.save([RANIA, ACME], AT)
    await participants.invite("T-1", token_hash("a"), AT, LATER)
    await participants.invite("E-1", token_hash("b"), AT, LATER)
    await redeem(store, "a", ANN)
    await redeem(store, "b", ANN)
    rania, acme = await participants.get("T-1"), await participants.get("E-1")
    assert rania is not None
    assert acme is not None
    assert (rania.bound_at, acme.bound_at is not None) == (None, True)


async def test_a_staff_link_makes_staff(store: SqlStore, engine: AsyncEngine) -> None:
    await SqlParticipants(store).invite(None, token_hash("staff"), AT, LATER)
    assert await redeem(store, "staff", BOB) == JoinedAsStaff()
    async with engine.connect() as conn:
        staff = (
            await conn.execute(sa.text("SELECT external_id FROM users WHERE staff_at IS NOT NULL"))
        ).all()
    assert [row[0] for row in staff] == ["43"]


async def test_two_accounts_opening_one_link_at_once_bind_one(store: SqlStore) -> None:
    participants = SqlParticipants(store)
    await participants.save([RANIA], AT)
    await participants.invite("T-1", token_hash("race"), AT, LATER)
    users = [UserRef("telegram", str(n)) for n in range(8)]
    outcomes = await asyncio.gather(*(redeem(store, "race", user) for user in users))
    assert sum(isinstance(o, JoinedAsParticipant) for o in outcomes) == 1
    assert outcomes.count(InvitationRefused(Refusal.USED)) == 7


async def test_erasing_a_participant_takes_their_account_and_leaves_the_others(
    store: SqlStore, engine: AsyncEngine
) -> None:
    participants = SqlParticipants(store)
    await participants.save([RANIA, ACME], AT)
    for reference, user in (("T-1", ANN), ("E-1", BOB)):
        await participants.invite(reference, token_hash(reference), AT, LATER)
        await redeem(store, reference, user)

    def talk(tx: Transaction) -> None:
        for user in (ANN, BOB):
            tx.save_state(user, ConversationState(language=Lang.EN), tx.load_state(user), AT)
            tx.record(user, FeedbackGiven("visa-type", False, "which visa?", Lang.EN), AT)

    await store.run(talk)
    assert await participants.erase("T-1")
    assert not await participants.erase("T-1"), "gone already"
    assert [v.participant.reference for v in await participants.all()] == ["E-1"]
    async with engine.connect() as conn:
        users = (await conn.execute(sa.text("SELECT external_id FROM users"))).scalars().all()
        feedback = (await conn.execute(sa.text("SELECT COUNT(*) FROM feedback"))).scalar_one()
        states = (await conn.execute(sa.text("SELECT COUNT(*) FROM conversation_states"))).scalar_one()
        invitations = (await conn.execute(sa.text("SELECT COUNT(*) FROM invitations"))).scalar_one()
    assert (users, feedback, states, invitations) == (["43"], 1, 1, 1)
