"""Opening an invitation link, through the real service and database: bound once, greeted by
role in the participant's language, and a clear word for a used, expired or forged link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.basics.lang import Lang
from bot.core.context import Context
from bot.core.inbound import UserRef
from bot.core.state import Role
from bot.service import ConversationService
from bot.service.invitations import deep_link
from bot.service.participants import Participant, Participants
from storage.participants import SqlParticipants
from storage.store import SqlStore
from tests.inputs import inbound

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ANN, BOB = UserRef("telegram", "42"), UserRef("telegram", "43")


async def invite(store: SqlStore, participant: Participant | None, at: datetime = AT) -> str:
    """A new link's token (for staff when ``participant`` is None)."""
    participants = Participants(SqlParticipants(store))
    if participant is not None:
        await SqlParticipants(store).save([participant], at)
    link = await participants.invite(participant.reference if participant else None, "dt4e_bot", at)
    assert link is not None
    assert link.startswith("https://t.me/dt4e_bot?start=")
    return link.rsplit("=", 1)[1]


async def start(service: ConversationService, user: UserRef, token: str, *, update: str | None = None,
                at: datetime = AT, hint: str = "en") -> list[str]:  # fmt: skip
    replies = await service.handle(inbound(user, at, text=f"/start {token}", hint=hint, update_id=update))
    return [r.text for r in replies]


async def test_a_talent_is_greeted_in_their_language_and_not_asked_their_role(
    store: SqlStore, context: Context
) -> None:
    token = await invite(store, Participant("T-1", Role.TALENT, language=Lang.AR))
    service = ConversationService(store, context)
    texts = await start(service, ANN, token)
    assert texts[0].startswith("أهلًا وسهلًا! أصبحت هذه المحادثة مرتبطة بمشاركتك")
    assert texts[-1] == "كيف يمكنني المساعدة؟", "then the menu: the role is known"
    state = (await store.run(lambda tx: tx.load_state(ANN))).state
    assert (state.participant, state.role, state.language) == ("T-1", Role.TALENT, Lang.AR)


async def test_an_employer_without_a_language_is_greeted_then_asked_it(
    store: SqlStore, context: Context
) -> None:
    token = await invite(store, Participant("E-1", Role.EMPLOYER))
    texts = await start(ConversationService(store, context), ANN, token, hint="fr")
    assert texts[0].startswith(
        "Bienvenue\u202f! Cette conversation est désormais liée à la participation de votre entreprise"
    )
    assert texts[-1] == "Quelle langue préférez-vous\u202f?"


async def test_a_used_link_binds_nothing_and_says_so(store: SqlStore, context: Context) -> None:
    token = await invite(store, Participant("T-1", Role.TALENT))
    service = ConversationService(store, context)
    await start(service, ANN, token)
    texts = await start(service, BOB, token)
    assert texts[0].startswith("This invitation link has already been used.")
    assert "Which language do you prefer?" in texts[-1], "then an ordinary start"
    assert (await store.run(lambda tx: tx.load_state(BOB))).state.participant == ""


async def test_an_expired_or_forged_link_says_so(store: SqlStore, context: Context) -> None:
    token = await invite(store, Participant("T-1", Role.TALENT), at=AT - timedelta(days=31))
    service = ConversationService(store, context)
    assert (await start(service, ANN, token))[0].startswith("This invitation link has expired.")
    forged = (await start(service, BOB, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))[0]
    assert forged.startswith("I do not recognise this invitation link.")


async def test_a_redelivered_start_is_not_a_second_use(store: SqlStore, context: Context) -> None:
    token = await invite(store, Participant("T-1", Role.TALENT))
    service = ConversationService(store, context)
    first = await start(service, ANN, token, update="9001")
    again = await start(service, ANN, token, update="9001")
    assert first
    assert again == [], "the same update is processed once: no 'already used' for its owner"


async def test_a_staff_link_opens_the_staff_commands(store: SqlStore, context: Context) -> None:
    token = await invite(store, None)
    service = ConversationService(store, context)
    texts = await start(service, BOB, token)
    assert texts[0].startswith("Welcome! You are now registered as DT4E programme staff.")
    assert (await store.run(lambda tx: tx.load_state(BOB))).state.staff


def test_links_are_telegram_deep_links() -> None:
    assert deep_link("@dt4e_bot", "abc_-9") == "https://t.me/dt4e_bot?start=abc_-9"


async def test_opening_ones_own_link_again_is_still_a_welcome(store: SqlStore, context: Context) -> None:
    token = await invite(store, Participant("T-1", Role.TALENT))
    service = ConversationService(store, context)
    await start(service, ANN, token)
    again = await start(service, ANN, token)
    assert again[0].startswith("Welcome! This chat is now linked to your place")


async def test_a_link_opened_on_another_account_moves_the_participant(
    store: SqlStore, context: Context
) -> None:
    """Someone with a new phone gets a new link: the old account is no longer that participant."""
    participant = Participant("T-1", Role.TALENT)
    service = ConversationService(store, context)
    await start(service, ANN, await invite(store, participant))
    await start(service, BOB, await invite(store, participant))
    assert (await store.run(lambda tx: tx.load_state(ANN))).state.participant == ""
    assert (await store.run(lambda tx: tx.load_state(BOB))).state.participant == "T-1"
