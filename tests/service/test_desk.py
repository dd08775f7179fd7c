"""Staff commands over the real service and database: /survey pushes once after a preview,
/status counts, /results has the right numbers, a valid chart and the spreadsheet; nobody else
gets anything from them."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook

from bot.basics.lang import Lang
from bot.core.audience import Audience
from bot.core.context import Context
from bot.core.events import ReplyCreated
from bot.core.features.consent import ConsentButton
from bot.core.features.staff import AudienceButton, PushConfirmButton, PushSurveyButton, ResultsButton
from bot.core.features.surveys import SurveyButton
from bot.core.inbound import UserRef
from bot.core.state import Role
from bot.service import ConversationService
from bot.service.desk import StaffDesk
from bot.service.invitations import token_hash
from bot.service.participants import Participant
from bot.service.reports import summarise
from dialogs.engine import StepButton
from storage.desk import SqlStaffData
from storage.participants import SqlParticipants
from storage.pushes import SqlPushes
from storage.store import SqlStore
from tests.inputs import inbound

AT = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
STAFF, GUEST = UserRef("telegram", "900"), UserRef("telegram", "901")
SURVEY = "talent-follow-up"
UNKNOWN = "I do not know that command. Send /help to see what I can do."


def button(message: ReplyCreated, label: str) -> str:
    [data] = [b.data for row in message.buttons for b in row if b.label == label]
    return data


class Desk:
    def __init__(self, store: SqlStore, context: Context) -> None:
        context = replace(context, staff=frozenset({STAFF}))
        self.service = ConversationService(store, context, desk=StaffDesk(SqlStaffData(store), context))
        self.at = AT
        self.update = 0

    async def send(self, user: UserRef, **kwargs: str) -> list[ReplyCreated]:
        self.at += timedelta(seconds=1)
        self.update += 1
        return await self.service.handle(
            inbound(user, self.at, hint="en", update_id=str(self.update), **kwargs)
        )


async def people(store: SqlStore, desk: Desk) -> None:
    """Three talents in 2026-A (two connected and answering), one in 2026-B."""
    participants = SqlParticipants(store)
    await participants.save(
        [Participant(f"T-{n}", Role.TALENT, cohort="2026-A" if n < 3 else "2026-B") for n in range(4)], AT
    )
    earlier = Audience(references=("T-0", "T-1"))  # wave 1, pushed before the staff's own push
    for n, (job, recommend) in enumerate([("5", "10"), ("2", "3")]):
        user = UserRef("telegram", str(40 + n))
        await participants.invite(f"T-{n}", token_hash(f"t{n}"), AT, AT + timedelta(days=9))
        await desk.send(user, text=f"/start t{n}")
        if n == 0:
            await SqlPushes(store).create(SURVEY, 1, earlier, "test", AT)
        await desk.send(user, press=SurveyButton(SURVEY, 1).pack())
        await desk.send(user, press=ConsentButton(True, SURVEY, 1).pack())
        await desk.send(user, press=StepButton(SURVEY, "intro", "next").pack())
        await desk.send(user, press=StepButton(SURVEY, "satisfaction_job", job).pack())
        if job == "2":
            await desk.send(user, press=StepButton(SURVEY, "job_what_went_wrong", "skip").pack())
        for node, value in [
            ("satisfaction_life", "4"),
            ("support_helpful", "skip"),
            ("support_missing", "skip"),
        ]:
            await desk.send(user, press=StepButton(SURVEY, node, value).pack())
        await desk.send(user, press=StepButton(SURVEY, "challenges", "skip").pack())
        await desk.send(user, press=StepButton(SURVEY, "recommend", recommend).pack())


async def test_a_push_from_telegram_is_previewed_confirmed_and_made_once(
    store: SqlStore, context: Context
) -> None:
    desk = Desk(store, context)
    await people(store, desk)
    [which] = await desk.send(STAFF, text="/survey")
    assert [b.data for row in which.buttons for b in row] == [
        PushSurveyButton("talent-follow-up").pack(),
        PushSurveyButton("employer-follow-up").pack(),
    ]
    [who] = await desk.send(STAFF, press=PushSurveyButton(SURVEY).pack())
    assert who.text.startswith("Who should get it?")
    [preview] = await desk.send(STAFF, text="talent cohort 2026-A")
    assert preview.text.startswith("“Follow-up: your job and new life”")
    assert "(talent cohort 2026-A): 3" in preview.text
    assert "Can get it now: 2" in preview.text
    send = button(preview, "Send")
    [done] = await desk.send(STAFF, press=send)
    assert done.text.startswith("Push 2: “Follow-up: your job and new life”, participants: 3.")
    [again] = await desk.send(STAFF, press=send)
    assert again.text == "That button is from an earlier step, so I did not count it."
    mine, _first = await SqlPushes(store).status()
    assert (mine.push_id, mine.counts["pending"], mine.counts["skipped"]) == (2, 2, 1)
    [listed] = await desk.send(STAFF, text="/status")
    assert "2. Follow-up: your job and new life" in listed.text
    assert "0 sent, 2 to send, 0 failed, 0 unreachable, 1 skipped; 0 started, 0 completed" in listed.text
    assert "2 started, 0 completed" in listed.text, "the earlier wave's answers"


async def test_an_older_previews_send_button_sends_nothing(store: SqlStore, context: Context) -> None:
    """Every preview's Send names that preview: pressed later, an older one counts for nothing,
    and a new /survey does not make it send to everyone."""
    desk = Desk(store, context)
    await people(store, desk)
    await desk.send(STAFF, text="/survey")
    await desk.send(STAFF, press=PushSurveyButton(SURVEY).pack())
    [first] = await desk.send(STAFF, press=AudienceButton("talent").pack())
    await desk.send(STAFF, text="/survey")
    await desk.send(STAFF, press=PushSurveyButton(SURVEY).pack())
    [stale] = await desk.send(STAFF, press=button(first, "Send"))
    assert stale.text == "That button is from an earlier step, so I did not count it."
    await desk.send(STAFF, text="T-3")
    [stale] = await desk.send(STAFF, press=button(first, "Send"))
    assert stale.text == "That button is from an earlier step, so I did not count it."
    assert len(await SqlPushes(store).status()) == 1, "only the earlier wave"


async def test_the_same_confirmation_answered_twice_makes_one_push(store: SqlStore, context: Context) -> None:
    from bot.core.audience import Audience
    from bot.core.requests import PushRequest

    desk = StaffDesk(SqlStaffData(store), context)
    request = PushRequest(SURVEY, Audience(roles=("talent",)), key="telegram:900:77")
    first = await desk.answer(request, Lang.EN, STAFF.key, AT)
    second = await desk.answer(request, Lang.EN, STAFF.key, AT)
    assert first.text == second.text
    assert len(await SqlPushes(store).status()) == 1


async def test_results_have_the_numbers_a_chart_and_the_spreadsheet(
    store: SqlStore, context: Context
) -> None:
    desk = Desk(store, context)
    await people(store, desk)
    [report] = await desk.send(STAFF, text=f"/results {SURVEY}")
    assert "0 completed and 2 started" in report.text
    assert "Net promoter score: 0" in report.text, "one promoter (10), one detractor (3)"
    assert "satisfaction_job: 1: 0, 2: 1, 3: 0, 4: 0, 5: 1" in report.text
    chart, sheet = report.attachments
    assert (chart.kind, chart.filename) == ("image", "talent-follow-up.png")
    assert chart.content.startswith(b"\x89PNG\r\n\x1a\n")
    rows = list(
        load_workbook(io.BytesIO(sheet.content), read_only=True)["answers"].iter_rows(values_only=True)
    )
    assert [row[0] for row in rows] == ["reference", "T-0", "T-1"]
    library = context.dialogs
    assert library is not None
    dialog = library.get(SURVEY)
    assert dialog is not None
    data = await SqlStaffData(store).responses(SURVEY)
    counts = {q.key: q.counts for q in summarise(dialog, data, 0).questions}
    assert counts["recommend"]["10"] == counts["recommend"]["3"] == 1
    assert sum(counts["satisfaction_life"].values()) == 2


async def test_staff_commands_and_buttons_give_others_nothing(store: SqlStore, context: Context) -> None:
    desk = Desk(store, context)
    for command in ("/survey", "/status", f"/results {SURVEY}"):
        assert [r.text for r in await desk.send(GUEST, text=command)] == [UNKNOWN]
    assert [r.text for r in await desk.send(GUEST, press=PushSurveyButton(SURVEY).pack())] == [UNKNOWN]
    assert [r.text for r in await desk.send(GUEST, press=AudienceButton("talent").pack())] == [UNKNOWN]
    assert [r.text for r in await desk.send(GUEST, press=ResultsButton(SURVEY).pack())] == [UNKNOWN]
    forged = await desk.send(GUEST, press=PushConfirmButton(SURVEY, 1, True).pack())
    assert [r.text for r in forged] == ["That button is from an earlier step, so I did not count it."]
    assert await SqlPushes(store).status() == []


async def test_a_message_that_is_not_an_audience_is_an_ordinary_question(
    store: SqlStore, context: Context
) -> None:
    desk = Desk(store, context)
    await desk.send(STAFF, text="/survey")
    await desk.send(STAFF, press=PushSurveyButton(SURVEY).pack())
    answered = await desk.send(STAFF, text="which visa does DT4E use?")
    assert "single permit" in answered[0].text
    await desk.send(STAFF, text="/menu")  # a command leaves the push being prepared
    later = await desk.send(STAFF, text="T-0001")
    assert not any("Participants matching" in r.text for r in later)


async def test_staff_pause_resume_and_cancel_a_job_from_status(store: SqlStore, context: Context) -> None:
    desk = Desk(store, context)
    await people(store, desk)  # wave 1 is still to send to both
    job = 1
    await SqlPushes(store).create(SURVEY, 1, Audience(cohorts=("2026-B",)), "cli", AT)  # nobody to send
    [listed] = await desk.send(STAFF, text="/status")
    assert listed.text.startswith("Latest jobs:\n2. Follow-up: your job and new life")
    assert ", done: 0 sent" in listed.text.splitlines()[1]
    assert f"{job}. Follow-up: your job and new life" in listed.text
    assert [b.label for b in listed.buttons[0]] == [f"Pause {job}", f"Cancel {job}"]
    [paused] = await desk.send(STAFF, press=button(listed, f"Pause {job}"))
    assert "paused" in paused.text
    [resumed] = await desk.send(STAFF, press=button(paused, f"Resume {job}"))
    assert "waiting to start" in resumed.text
    [guest] = await desk.send(GUEST, press=button(resumed, f"Cancel {job}"))
    assert guest.text == UNKNOWN, "a staff button does nothing for anyone else"
    [asked] = await desk.send(STAFF, press=button(resumed, f"Cancel {job}"))
    assert asked.text.startswith(f"Cancel job {job}?")
    [status] = await SqlPushes(store).status([job])
    assert status.state == "running", "nothing is cancelled before it is confirmed"
    [cancelled] = await desk.send(STAFF, press=button(asked, "Yes, cancel it"))
    assert "cancelled" in cancelled.text
    assert cancelled.buttons == ()
    [again] = await desk.send(STAFF, press=button(asked, "Yes, cancel it"))
    assert again.text == f"Job {job} is already over; nothing changed."
    [status] = await SqlPushes(store).status([job])
    assert (status.state, status.counts["skipped"], status.waiting) == ("cancelled", 2, 0)


async def test_gaps_shows_staff_what_went_unanswered_grouped_and_nobody_else(
    store: SqlStore, context: Context
) -> None:
    desk = Desk(store, context)
    asker = UserRef("telegram", "902")
    for text in (
        "Where can I buy a cheap used car in Brussels?",
        "where can i buy a cheap used car in brussels",
        "أين يمكنني شراء سيارة مستعملة رخيصة في بروكسل؟",
        "How long does the visa take?",  # answered: not a gap
    ):
        await desk.send(asker, text=text)
    [shown] = await desk.send(STAFF, text="/gaps")
    lines = shown.text.splitlines()
    assert lines[0] == "Unanswered in the last 30 days: 3 (in 2 groups). The largest:"
    assert "1. 2 × «Where can I buy a cheap used car in Brussels?» (en 2)" in lines
    assert "2. 1 × «أين يمكنني شراء سيارة مستعملة رخيصة في بروكسل؟» (ar 1)" in lines
    assert "How long does the visa take?" not in shown.text
    [today] = await desk.send(STAFF, text="/gaps 1")
    assert today.text.startswith("Unanswered in the last 24 hours: 3"), "the questions are from today"
    [refused] = await desk.send(GUEST, text="/gaps")
    assert refused.text == UNKNOWN
