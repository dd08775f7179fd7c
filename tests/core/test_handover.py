"""Hand-over to a person in the core (a pure turn) and through the service on both databases:
a case opens once, what the person writes goes to the staff chat while it is open, a staff
member's reply reaches only that person, a closed case passes nothing on, forged buttons count
for nothing, and the erasure and the retention take cases with them."""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.basics.lang import Lang
from bot.core.context import Context
from bot.core.dispatch import handle
from bot.core.events import CaseClosed, CaseOpened, CaseTaken, ReplyCreated, StaffNotified
from bot.core.features.handover import CaseAction, CaseButton, EndCaseButton, read_thread, thread
from bot.core.features.privacy import EraseButton
from bot.core.inbound import CaseUpdate, Inbound, StaffChatSent, UserRef
from bot.core.state import ConversationState, Turn
from bot.service import ConversationService
from storage.store import SqlStore
from tests.inputs import inbound

AT = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
RANIA, OMAR = UserRef("telegram", "42"), UserRef("telegram", "43")
AMAL = UserRef("telegram", "900")
STAFF_CHAT = UserRef("telegram", "-100900")


@pytest.fixture
def staffed(context: Context) -> Context:
    return replace(context, staff_chat=STAFF_CHAT)


def staff_said(events: tuple[object, ...]) -> list[ReplyCreated]:
    return [e.reply for e in events if isinstance(e, StaffNotified)]


def said(turn: Turn) -> list[str]:
    return [r.text for r in turn.replies]


def case_update(number: int = 1, *, text: str = "", action: CaseAction | None = None) -> CaseUpdate:
    data = CaseButton(RANIA.channel, RANIA.id, number, action).pack() if action is not None else ""
    return CaseUpdate(user=RANIA, at=AT, staff=AMAL, staff_name="Amal", number=number, text=text, data=data)


def run(state: ConversationState, ctx: Context, *inputs: Inbound) -> tuple[ConversationState, list[Turn]]:
    turns = []
    for item in inputs:
        turn = handle(state, item, ctx)
        state = turn.state
        turns.append(turn)
    return state, turns


def test_without_a_staff_chat_the_person_is_told_how_to_reach_the_team(context: Context) -> None:
    turn = handle(ConversationState(language=Lang.EN), inbound(RANIA, AT, text="/human"), context)
    assert turn.state.case is None
    assert [type(e) for e in turn.events] == [ReplyCreated]
    assert "programme team" in said(turn)[0]


def test_a_case_opens_once_and_carries_the_last_questions(staffed: Context) -> None:
    state = ConversationState(language=Lang.EN)
    state, turns = run(
        state,
        staffed,
        inbound(RANIA, AT, text="How long does the visa take?"),
        inbound(RANIA, AT, text="I want to talk to a person"),
        inbound(RANIA, AT, text="/human"),
    )
    opened = [e for t in turns for e in t.events if isinstance(e, CaseOpened)]
    assert opened == [CaseOpened(1, Lang.EN, "", "")]
    [post] = staff_said(turns[1].events)
    assert "How long does the visa take? → procedure-duration" in post.text
    assert post.thread == thread(RANIA, 1)
    assert read_thread(post.thread) == (RANIA, 1)
    assert [b.data for row in post.buttons for b in row] == [
        CaseButton("telegram", "42", 1, CaseAction.TAKE).pack(),
        CaseButton("telegram", "42", 1, CaseAction.CLOSE).pack(),
    ]
    assert "already in touch" in said(turns[2])[0]
    assert not staff_said(turns[2].events)
    assert state.case is not None
    assert state.case.number == 1


def test_while_a_case_is_open_words_go_to_the_staff_and_commands_still_work(staffed: Context) -> None:
    state, _ = run(ConversationState(language=Lang.EN), staffed, inbound(RANIA, AT, text="/human"))
    state, [typed, menu] = run(
        state,
        staffed,
        inbound(RANIA, AT, text="How long does the visa take?"),
        inbound(RANIA, AT, text="/menu"),
    )
    [relayed] = staff_said(typed.events)
    assert relayed.text.endswith("\nHow long does the visa take?")
    assert relayed.thread == thread(RANIA, 1)
    assert said(typed) == ["Sent to the DT4E team."]
    assert not staff_said(menu.events)
    assert menu.replies[0].buttons, "the menu, with its buttons"


def test_a_staff_reply_reaches_the_person_and_takes_the_case(staffed: Context) -> None:
    state, _ = run(ConversationState(language=Lang.EN), staffed, inbound(RANIA, AT, text="/human"))
    state, [reply, again] = run(
        state, staffed, case_update(text="Hello\x00 Rania"), case_update(text="Anything else?")
    )
    assert said(reply) == ["💬 The DT4E team:\nHello Rania"]
    assert [e for e in reply.events if isinstance(e, CaseTaken)] == [CaseTaken(1, "Amal")]
    assert not [e for e in again.events if isinstance(e, CaseTaken)], "taken once"
    assert state.case is not None
    assert state.case.taken_by == "Amal"


def test_closing_hands_the_person_back_to_the_bot(staffed: Context) -> None:
    state, _ = run(ConversationState(language=Lang.EN), staffed, inbound(RANIA, AT, text="/human"))
    state, [closing, late, question] = run(
        state,
        staffed,
        case_update(action=CaseAction.CLOSE),
        case_update(text="One more thing"),
        inbound(RANIA, AT, text="How long does the visa take?"),
    )
    assert CaseClosed(1, "Amal") in closing.events
    assert state.case is None
    assert not late.replies, "a reply to a closed case reaches nobody"
    assert "closed" in staff_said(late.events)[0].text
    assert not staff_said(question.events)
    assert question.replies, "the bot answers again"


def test_the_person_can_end_the_case_and_an_old_end_button_does_nothing(staffed: Context) -> None:
    state, _ = run(ConversationState(language=Lang.EN), staffed, inbound(RANIA, AT, text="/human"))
    end = EndCaseButton(1).pack()
    state, [ended, again] = run(state, staffed, inbound(RANIA, AT, press=end), inbound(RANIA, AT, press=end))
    assert CaseClosed(1, "") in ended.events
    assert state.case is None
    assert not [e for e in again.events if isinstance(e, CaseClosed)]
    state, [reopened] = run(state, staffed, inbound(RANIA, AT, text="/human"))
    assert CaseOpened(2, Lang.EN, "", "") in reopened.events, "the next case has the next number"


def test_a_case_button_pressed_outside_the_staff_chat_means_nothing(staffed: Context) -> None:
    state, _ = run(ConversationState(language=Lang.EN), staffed, inbound(RANIA, AT, text="/human"))
    forged = CaseButton("telegram", "42", 1, CaseAction.CLOSE).pack()
    _, [turn] = run(state, staffed, inbound(OMAR, AT, press=forged))
    assert not [e for e in turn.events if isinstance(e, CaseClosed | StaffNotified)]
    assert "expired" in said(turn)[0]


@functools.cache
def shared_context() -> Context:
    """Built once: hypothesis runs the test many times, and loading the content takes a moment."""
    from bot.app import build_context
    from bot.settings import load_settings

    return replace(build_context(load_settings(env_file=None)), staff_chat=STAFF_CHAT)


@given(text=st.text(max_size=300), action=st.sampled_from([None, CaseAction.TAKE, CaseAction.CLOSE]))
def test_any_staff_input_on_any_case_never_raises_and_reaches_only_that_person(
    text: str, action: CaseAction | None
) -> None:
    ctx = shared_context()
    state, _ = run(ConversationState(language=Lang.AR), ctx, inbound(RANIA, AT, text="/human"))
    turn = handle(state, case_update(text=text, action=action), ctx)
    for event in turn.events:
        if isinstance(event, StaffNotified):
            assert event.chat == STAFF_CHAT
            assert event.reply.lang is ctx.default_language
    assert all(r.lang is Lang.AR for r in turn.replies), "the person's language"


async def test_a_reply_to_a_post_is_routed_to_its_case_and_erasure_takes_the_case(
    engine: AsyncEngine, staffed: Context
) -> None:
    store = SqlStore(engine)
    service = ConversationService(store, staffed)
    await service.handle(inbound(RANIA, AT, text="/human", hint="en"))
    await service.posted(STAFF_CHAT, 501, thread(RANIA, 1), AT)
    await service.posted(STAFF_CHAT, 502, "not a thread", AT)  # recorded nowhere, no error

    def reply_to(message_id: int) -> StaffChatSent:
        return StaffChatSent(user=AMAL, at=AT, name="Amal", replied_to=message_id, text="Hello from the team")

    replies = await service.handle(reply_to(501))
    assert [r.text for r in replies] == ["💬 The DT4E team:\nHello from the team"]
    assert await service.handle(reply_to(777)) == [], "a reply to anything else is the staff's own talk"
    stored = await store.run(lambda tx: tx.load_state(RANIA))
    assert stored.state.case is not None
    assert stored.state.case.taken_by == "Amal"

    await service.handle(inbound(RANIA, AT, text="/delete_my_data", hint="en"))
    await service.handle(inbound(RANIA, AT, press=EraseButton(True).pack(), hint="en"))
    async with engine.connect() as conn:
        counts = [
            (await conn.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar_one()
            for table in ("cases", "case_posts")
        ]
    assert counts == [0, 0]
    assert await service.handle(reply_to(501)) == [], "the post no longer leads to anyone"


async def test_closed_cases_go_with_the_retention(engine: AsyncEngine, staffed: Context) -> None:
    store = SqlStore(engine)
    service = ConversationService(store, staffed)
    for user in (RANIA, OMAR):
        await service.handle(inbound(user, AT, text="/human", hint="en"))
    await service.handle(inbound(RANIA, AT, press=EndCaseButton(1).pack(), hint="en"))
    later = AT + timedelta(days=1)
    pruned = await service.prune(sent_before=AT, processed_before=AT, questions_before=later)
    async with engine.connect() as conn:
        left = (
            await conn.execute(sa.text("SELECT count(*) FROM cases WHERE closed_at IS NULL"))
        ).scalar_one()
        total = (await conn.execute(sa.text("SELECT count(*) FROM cases"))).scalar_one()
    assert pruned[2] >= 1
    assert (left, total) == (1, 1), "the open case stays"
