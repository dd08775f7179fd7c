"""/privacy: what is kept, and the survey consent given or withdrawn there, which the pushes
respect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.basics.lang import Lang
from bot.core.audience import Audience
from bot.core.context import Context
from bot.core.events import ReplyCreated, ResultRecorded, SurveyAnswered, SurveyStarted
from bot.core.features.privacy import NOTICE_VERSION, EraseButton, SurveyConsentButton
from bot.core.inbound import UserRef
from bot.core.state import Role
from bot.service import ConversationService
from bot.service.invitations import token_hash
from bot.service.participants import Participant
from bot.service.ports import Transaction
from storage.participants import SqlParticipants
from storage.pushes import SqlPushes
from storage.store import SqlStore
from tests.inputs import inbound

AT = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
RANIA = UserRef("telegram", "42")


async def invited(store: SqlStore, language: Lang | None = None) -> SqlParticipants:
    """Talent T-1, with an invitation link whose token is ``tok``."""
    participants = SqlParticipants(store)
    await participants.save([Participant("T-1", Role.TALENT, language=language)], AT)
    await participants.invite("T-1", token_hash("tok"), AT, AT + timedelta(days=3))
    return participants


async def test_consent_given_and_withdrawn_from_privacy(
    store: SqlStore, engine: AsyncEngine, context: Context
) -> None:
    service = ConversationService(store, context)
    await invited(store)
    await service.handle(inbound(RANIA, AT, text="/start tok", hint="en"))
    [shown] = await service.handle(inbound(RANIA, AT, text="/privacy", hint="en"))
    assert shown.text.startswith("What I keep about you")
    assert shown.text.endswith("Surveys: you have not been asked yet.")
    assert [b.data for row in shown.buttons for b in row] == [SurveyConsentButton(True).pack()]
    await service.handle(inbound(RANIA, AT, press=SurveyConsentButton(True).pack(), hint="en"))
    pushes = SqlPushes(store)
    await pushes.create("talent-follow-up", 1, Audience(roles=("talent",)), "test", AT)
    [withdrawn] = await service.handle(inbound(RANIA, AT, press=SurveyConsentButton(False).pack(), hint="en"))
    assert withdrawn.text.startswith("Done: your answers to new surveys will not be stored")
    claimed = await pushes.claim(10, AT, channel="telegram", owner="test")
    assert claimed == [], "a pending prompt is not sent after the consent is withdrawn"
    [status] = await pushes.status()
    assert status.counts["skipped"] == 1
    async with engine.connect() as conn:
        given = (await conn.execute(sa.text("SELECT consent_given FROM users"))).scalar_one()
    assert not given
    [again] = await service.handle(inbound(RANIA, AT, text="/privacy", hint="en"))
    assert again.text.endswith("Surveys: you declined; your answers to new surveys are not stored.")


async def test_stop_ends_every_push_until_start_in_the_persons_language(
    store: SqlStore, engine: AsyncEngine, context: Context
) -> None:
    service = ConversationService(store, context)
    await invited(store)
    await service.handle(inbound(RANIA, AT, text="/start tok", hint="ar"))
    await service.handle(inbound(RANIA, AT, press="lang:ar"))

    async def stopped_at() -> object:
        async with engine.connect() as conn:
            return (await conn.execute(sa.text("SELECT pushes_stopped_at FROM users"))).scalar_one()

    [done] = await service.handle(inbound(RANIA, AT, text="/stop"))
    assert "/start" in done.text
    assert done.lang.value == "ar"
    assert await stopped_at() is not None
    [again] = await service.handle(inbound(RANIA, AT, text="/stop"))
    assert again.text == done.text, "a second /stop says the same and changes nothing"
    answer = await service.handle(inbound(RANIA, AT, text="كم تستغرق التأشيرة؟"))
    assert answer, "questions are still answered"
    pushes = SqlPushes(store)
    push_id, _ = await pushes.create("talent-follow-up", 1, Audience(roles=("talent",)), "test", AT)
    assert await pushes.claim(10, AT, channel="telegram", owner="test") == []
    back, *welcome = await service.handle(inbound(RANIA, AT, text="/start"))
    assert await stopped_at() is None
    assert back.lang.value == "ar"
    assert welcome, "then the usual welcome"
    later, _ = await pushes.create("talent-follow-up", 2, Audience(roles=("talent",)), "test", AT)
    assert [d.push_id for d in await pushes.claim(10, AT, channel="telegram", owner="test")] == [later]
    assert push_id != later


async def count_rows(engine: AsyncEngine) -> dict[str, int]:
    tables = (
        "users",
        "conversation_states",
        "feedback",
        "unanswered_questions",
        "results",
        "survey_responses",
        "survey_answers",
        "outbox",
    )
    async with engine.connect() as conn:
        return {t: (await conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}"))).scalar_one() for t in tables}


async def test_delete_my_data_erases_everything_once_confirmed(
    store: SqlStore, engine: AsyncEngine, context: Context
) -> None:
    """A participant who answered a survey, rated an answer and asked what the bot could not
    answer erases it all; the participant stays in staff's list, no longer connected."""
    service = ConversationService(store, context)
    participants = await invited(store)
    await service.handle(inbound(RANIA, AT, text="/start tok", hint="fr"))
    await service.handle(inbound(RANIA, AT, press="lang:fr"))
    for step in ("Quelle est la météo à Paris ?", "Combien de temps prend le visa ?"):
        await service.handle(inbound(RANIA, AT, text=step, hint="fr"))
    [answer] = await service.handle(inbound(RANIA, AT, text="Qui paie le billet d'avion ?", hint="fr"))
    [rate] = [b.data for row in answer.buttons for b in row if b.label == "👎"]
    await service.handle(inbound(RANIA, AT, press=rate))
    await service.handle(inbound(RANIA, AT, press=SurveyConsentButton(True).pack()))
    wave, _ = await SqlPushes(store).create("talent-follow-up", 1, Audience(roles=("talent",)), "test", AT)

    def answered(tx: Transaction) -> None:
        tx.record(RANIA, SurveyStarted("talent-follow-up", 1, wave), AT)
        tx.record(RANIA, SurveyAnswered("talent-follow-up", 1, wave, "satisfaction", "4"), AT)
        tx.record(RANIA, ResultRecorded("living-in-belgium", "quiz_languages", "three", "correct"), AT)
        tx.enqueue(RANIA, [ReplyCreated("not yet delivered", Lang.FR)], AT)

    await store.run(answered)
    before = await count_rows(engine)
    assert min(before.values()) >= 1, before

    [asked] = await service.handle(inbound(RANIA, AT, text="/delete_my_data"))
    assert asked.lang.value == "fr"
    keep, erase = EraseButton(False).pack(), EraseButton(True).pack()
    assert {b.data for row in asked.buttons for b in row} == {keep, erase}
    assert await count_rows(engine) == before, "asking erases nothing"
    [kept] = await service.handle(inbound(RANIA, AT, press=keep))
    assert await count_rows(engine) == before, "keeping erases nothing"
    assert kept.lang.value == "fr"

    handled = await service.handle_durably(inbound(RANIA, AT, press=erase))
    [done] = handled.replies
    assert done.lang.value == "fr"
    assert handled.outbox_ids, "the confirmation is delivered like any reply"
    after = await count_rows(engine)
    assert after == {**dict.fromkeys(after, 0), "users": 1, "outbox": 1}, after
    [view] = await participants.all()
    assert (view.participant.reference, view.bound_at) == ("T-1", None), "in staff's list, unbound"
    stored = await store.run(lambda tx: tx.load_state(RANIA), read_only=True)
    assert (stored.state.language, stored.state.participant, stored.version) == (None, "", 0)
    again = await service.handle(inbound(RANIA, AT, text="/start", hint="fr"))
    assert again, "writing again starts afresh"


async def test_a_forged_erase_button_from_another_person_erases_only_their_own(
    store: SqlStore, engine: AsyncEngine, context: Context
) -> None:
    service = ConversationService(store, context)
    other = UserRef("telegram", "43")
    await service.handle(inbound(RANIA, AT, text="Hello", hint="en"))
    await service.handle(inbound(other, AT, text="Hello", hint="en"))
    await service.handle(inbound(other, AT, press=EraseButton(True).pack()))
    assert (await store.run(lambda tx: tx.load_state(RANIA))).version > 0, "Rania's conversation stays"


async def test_the_privacy_notice_comes_with_the_first_welcome_once_and_is_recorded(
    store: SqlStore, engine: AsyncEngine, context: Context
) -> None:
    service = ConversationService(store, context)

    async def shown() -> tuple[object, bool]:
        async with engine.connect() as conn:
            row = (await conn.execute(sa.text("SELECT notice_version, notice_shown_at FROM users"))).one()
        return row[0], row[1] is not None

    [welcome] = await service.handle(inbound(RANIA, AT, text="/start", hint="ar"))
    assert welcome.lang.value == "ar"
    assert "🔒" in welcome.text
    assert "180" in welcome.text, "for how long"
    assert "/delete_my_data" in welcome.text, "how to erase it"
    assert await shown() == (f"{NOTICE_VERSION}/ar", True)
    [again] = await service.handle(inbound(RANIA, AT, text="/start", hint="ar"))
    assert "🔒" not in again.text, "once"
    [privacy] = await service.handle(inbound(RANIA, AT, text="/privacy", hint="ar"))
    assert "180" in privacy.text, "/privacy shows it again"


async def test_a_participant_opening_their_link_first_gets_the_notice_too(
    store: SqlStore, context: Context
) -> None:
    service = ConversationService(store, context)
    await invited(store, language=Lang.FR)
    replies = await service.handle(inbound(RANIA, AT, text="/start tok", hint="en"))
    assert replies[0].lang.value == "fr"
    assert "🔒" in replies[0].text
    assert "180" in replies[0].text


async def test_the_notice_comes_again_in_the_language_chosen_after_the_welcome(
    store: SqlStore, context: Context
) -> None:
    """A phone in English, Arabic chosen: the notice is read in Arabic too, and only once."""
    service = ConversationService(store, context)
    [welcome] = await service.handle(inbound(RANIA, AT, text="/start", hint="en"))
    assert "🔒 What I keep about you" in welcome.text
    chosen, *_ = await service.handle(inbound(RANIA, AT, press="lang:ar"))
    assert chosen.lang.value == "ar"
    assert "🔒 ما أحتفظ به عنك" in chosen.text
    again = await service.handle(inbound(RANIA, AT, text="/start", hint="en"))
    assert all("🔒" not in r.text for r in again), "shown in Arabic already"
    same, *_ = await service.handle(inbound(RANIA, AT, press="lang:ar"))
    assert "🔒" not in same.text
