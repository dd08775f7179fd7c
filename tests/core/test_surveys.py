"""A follow-up survey answered in the conversation, on the real service and database: consent
first, every answer recorded once per participant, wave and key, a change kept as a change,
leaving and coming back, the staff alerted by the reference only."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.basics.lang import Lang
from bot.core.audience import Audience
from bot.core.context import Context
from bot.core.events import ReplyCreated
from bot.core.features.consent import ConsentButton
from bot.core.features.surveys import SurveyBackButton, SurveyButton
from bot.core.inbound import UserRef
from bot.core.state import Role
from bot.service import ConversationService
from bot.service.invitations import token_hash
from bot.service.participants import Participant
from dialogs.engine import StepButton
from storage.participants import SqlParticipants
from storage.pushes import SqlPushes
from storage.store import SqlStore
from tests.inputs import inbound

AT = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
RANIA = UserRef("telegram", "42")
STAFF_CHAT = UserRef("telegram", "-1001")
SURVEY, WAVE = "talent-follow-up", 1  # the first push


class Talent:
    """A bound participant talking to the service; the clock moves a second per message."""

    def __init__(self, service: ConversationService, user: UserRef = RANIA, hint: str = "en") -> None:
        self.service, self.user, self.hint, self.at = service, user, hint, AT

    async def _send(self, **kwargs: str) -> list[ReplyCreated]:
        self.at += timedelta(seconds=1)
        return await self.service.handle(inbound(self.user, self.at, hint=self.hint, **kwargs))

    async def say(self, text: str) -> list[ReplyCreated]:
        return await self._send(text=text)

    async def press(self, data: str) -> list[ReplyCreated]:
        return await self._send(press=data)

    async def step(self, node: str, value: str) -> list[ReplyCreated]:
        return await self.press(StepButton(SURVEY, node, value).pack())


async def bound(store: SqlStore, service: ConversationService, language: Lang | None = None) -> Talent:
    participants = SqlParticipants(store)
    await participants.save([Participant("T-1", Role.TALENT, cohort="2026-A", language=language)], AT)
    await participants.invite("T-1", token_hash("tok"), AT, AT + timedelta(days=30))
    talent = Talent(service, hint="ar" if language is Lang.AR else "en")
    await talent.say("/start tok")
    push_id, _ = await SqlPushes(store).create(SURVEY, 1, Audience(references=("T-1",)), "test", AT)
    assert push_id == WAVE
    return talent


async def answers(engine: AsyncEngine) -> list[tuple[str, str, str, int]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.text("SELECT key, value, category, changes FROM survey_answers ORDER BY id")
        )
        return [(str(k), str(v), str(c), int(n)) for k, v, c, n in rows.all()]


def texts(replies: list[ReplyCreated]) -> list[str]:
    return [r.text for r in replies]


async def test_consent_comes_first_and_no_is_respected(
    store: SqlStore, engine: AsyncEngine, context: Context
) -> None:
    talent = await bound(store, ConversationService(store, context))
    [asked] = await talent.press(SurveyButton(SURVEY, WAVE).pack())
    assert asked.text.startswith("Before the first survey: may the DT4E team store your answers?")
    declined = await talent.press(ConsentButton(False, SURVEY, WAVE).pack())
    assert texts(declined)[0].startswith("Understood: your answers will not be stored")
    async with engine.connect() as conn:
        consent = (await conn.execute(sa.text("SELECT consent_given, consent_version FROM users"))).one()
        responses = (await conn.execute(sa.text("SELECT count(*) FROM survey_responses"))).scalar_one()
    assert (bool(consent[0]), consent[1], responses) == (False, "2026-12", 0)


async def test_a_whole_survey_is_recorded_once_with_a_change_and_an_alert(
    store: SqlStore, engine: AsyncEngine, context: Context
) -> None:
    context = replace(context, staff_chat=STAFF_CHAT)
    talent = await bound(store, ConversationService(store, context))
    await talent.press(SurveyButton(SURVEY, WAVE).pack())
    [intro] = await talent.press(ConsentButton(True, SURVEY, WAVE).pack())
    assert "step 1 of" in intro.text
    [job] = await talent.step("intro", "next")
    assert [b.label for row in job.buttons for b in row][:2] == ["Very dissatisfied", "Dissatisfied"]
    [why] = await talent.step("satisfaction_job", "2")  # a low score asks what went wrong
    assert "What is not going well" in why.text
    again = await talent.step("satisfaction_job", "2")  # a double tap on the old message
    assert texts(again)[0] == "That button is from an earlier step, so I did not count it."
    await talent.say("My contract hours changed")
    await talent.press(SurveyBackButton(SURVEY, WAVE).pack())  # back to "what went wrong"
    await talent.say("My contract hours changed twice")
    await talent.step("satisfaction_life", "4")
    await talent.step("support_helpful", "housing")
    await talent.step("support_helpful", "pdo")
    await talent.step("support_helpful", "done")
    await talent.step("support_missing", "skip")
    await talent.step("challenges", "skip")
    [meeting] = await talent.say("٩")  # NPS typed in Arabic digits
    assert meeting.buttons
    [closing] = await talent.step("meeting", "yes")
    assert closing.text.startswith("Thank you"), "the survey's closing words end it: no Finish to press"
    assert [b.data for row in closing.buttons for b in row] == ["menu:main"]
    assert await answers(engine) == [
        ("satisfaction_job", "2", "", 0),
        ("job_what_went_wrong", "My contract hours changed twice", "", 1),
        ("satisfaction_life", "4", "", 0),
        ("support_helpful", "pdo,housing", "pdo,housing", 0),
        ("support_missing", "", "skipped", 0),
        ("challenges", "", "skipped", 0),
        ("recommend", "9", "promoter", 0),
        ("meeting", "yes", "yes", 0),
    ]
    async with engine.connect() as conn:
        response = (
            await conn.execute(sa.text("SELECT wave, version, completed_at FROM survey_responses"))
        ).one()
        alerts = (
            await conn.execute(
                sa.text(
                    "SELECT outbox.replies FROM outbox JOIN users ON users.id = outbox.user_id "
                    "WHERE users.external_id = '-1001'"
                )
            )
        ).all()
    assert (response[0], response[1], response[2] is not None) == (WAVE, 1, True)
    alert_texts = [(json.loads(r[0]) if isinstance(r[0], str) else r[0])[0]["text"] for r in alerts]
    assert len(alert_texts) == 2, "a low job score, and a meeting asked for"
    assert all("T-1" in t and "talent-follow-up" not in t for t in alert_texts)
    assert not any("contract" in t for t in alert_texts), "never the free text"
    restart = await talent.press(SurveyButton(SURVEY, WAVE).pack())
    assert texts(restart) == ["You have already answered this survey. Thank you!"]


async def test_leaving_for_a_question_and_coming_back_after_a_restart(
    store: SqlStore, context: Context
) -> None:
    talent = await bound(store, ConversationService(store, context), language=Lang.AR)
    await talent.press(SurveyButton(SURVEY, WAVE).pack())
    await talent.press(ConsentButton(True, SURVEY, WAVE).pack())
    await talent.step("intro", "next")
    asked = await talent.say("شو نوع الفيزا؟")
    assert texts(asked)[-1].startswith("هل تريد متابعة الاستبيان")
    talent.service = ConversationService(store, context)  # the bot restarted
    [job] = await talent.press(SurveyButton(SURVEY, WAVE).pack())
    assert "ما مدى رضاك عن عملك؟" in job.text, "the same question, in Arabic"
    [life] = await talent.say("رضا مرتفع")  # a label typed instead of pressed
    assert "حياتك" in life.text


async def test_a_guest_cannot_answer_a_survey(store: SqlStore, context: Context) -> None:
    guest = Talent(ConversationService(store, context), UserRef("telegram", "99"))
    assert texts(await guest.press(SurveyButton(SURVEY, WAVE).pack()))[0].startswith(
        "The surveys are for programme participants."
    )


async def test_a_redelivered_answer_is_recorded_once(
    store: SqlStore, engine: AsyncEngine, context: Context
) -> None:
    service = ConversationService(store, context)
    talent = await bound(store, service)
    await talent.press(SurveyButton(SURVEY, WAVE).pack())
    await talent.press(ConsentButton(True, SURVEY, WAVE).pack())
    await talent.step("intro", "next")
    data = StepButton(SURVEY, "satisfaction_job", "4").pack()
    pressed = inbound(RANIA, AT + timedelta(hours=1), press=data, update_id="5001")
    first = await service.handle(pressed)
    again = await service.handle(pressed)  # Telegram sends the same update again
    assert first
    assert again == []
    assert await answers(engine) == [("satisfaction_job", "4", "", 0)]


async def test_answers_stop_being_stored_the_moment_consent_is_withdrawn(
    store: SqlStore, engine: AsyncEngine, context: Context
) -> None:
    from bot.core.features.privacy import SurveyConsentButton

    talent = await bound(store, ConversationService(store, context))
    await talent.press(SurveyButton(SURVEY, WAVE).pack())
    await talent.press(ConsentButton(True, SURVEY, WAVE).pack())
    await talent.step("intro", "next")
    await talent.step("satisfaction_job", "5")
    await talent.press(SurveyConsentButton(False).pack())  # from /privacy, in the middle
    after = await talent.step("satisfaction_life", "4")
    assert texts(after) == ["That button is from an earlier step, so I did not count it."]
    assert await answers(engine) == [("satisfaction_job", "5", "", 0)]
    [asked] = await talent.press(SurveyButton(SURVEY, WAVE).pack())
    assert asked.text.startswith("Before the first survey"), "Start asks for consent again"


async def test_a_wave_never_pushed_to_them_stores_nothing(
    store: SqlStore, engine: AsyncEngine, context: Context
) -> None:
    """The wave comes from button data, which a modified client could forge."""
    talent = await bound(store, ConversationService(store, context))
    forged = 424242
    await talent.press(SurveyButton(SURVEY, forged).pack())
    await talent.press(ConsentButton(True, SURVEY, forged).pack())
    await talent.press(StepButton(SURVEY, "intro", "next").pack())
    await talent.step("satisfaction_job", "1")
    await talent.press(SurveyButton("employer-follow-up", WAVE).pack())  # not their survey either
    async with engine.connect() as conn:
        stored = (await conn.execute(sa.text("SELECT count(*) FROM survey_responses"))).scalar_one()
    assert (stored, await answers(engine)) == (0, [])


async def test_a_guest_cannot_give_survey_consent(
    store: SqlStore, engine: AsyncEngine, context: Context
) -> None:
    guest = Talent(ConversationService(store, context), UserRef("telegram", "99"))
    [reply] = await guest.press(ConsentButton(True, SURVEY, WAVE).pack())
    assert reply.text.startswith("The surveys are for programme participants.")
    async with engine.connect() as conn:
        consent = (await conn.execute(sa.text("SELECT consent_given FROM users"))).all()
    assert all(row[0] is None for row in consent)
