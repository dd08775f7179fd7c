"""Guided modules in the conversation, on the real service and database: results stored once,
stale buttons, typed answers, and a restart in the middle of a module."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.basics.lang import Lang
from bot.core.context import Context
from bot.core.events import ReplyCreated
from bot.core.features.menu import MenuButton
from bot.core.features.modules import ModuleButton
from bot.core.inbound import Inbound, UserRef
from bot.service import ConversationService
from dialogs.engine import StepButton
from storage.store import SqlStore
from tests.inputs import inbound

ANN = UserRef("telegram", "42")
AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
MODULE = "living-in-belgium"


def press(data: str) -> Inbound:
    return inbound(ANN, AT, press=data, hint="en")


def say(text: str) -> Inbound:
    return inbound(ANN, AT, text=text, hint="en")


def step_buttons(replies: list[ReplyCreated]) -> list[str]:
    return [b.data for r in replies for row in r.buttons for b in row if b.data.startswith("m:")]


async def walk_to_first_quiz(service: ConversationService, context: Context) -> list[ReplyCreated]:
    assert context.dialogs is not None
    dialog = context.dialogs.get(MODULE)
    assert dialog is not None
    replies = await service.handle(press(ModuleButton(MODULE).pack()))
    for node in dialog.path():
        if node.ask is not None:
            return replies
        replies = await service.handle(press(StepButton(MODULE, node.id, "next").pack()))
    raise AssertionError("the module has no quiz")


async def results(engine: AsyncEngine) -> list[tuple[str, str, str]]:
    async with engine.connect() as conn:
        rows = await conn.execute(sa.text('SELECT "key", value, category FROM results ORDER BY id'))
        return [tuple(r) for r in rows]


async def test_a_quiz_answer_is_recorded_once_even_if_tapped_twice(
    store: SqlStore, engine: AsyncEngine, context: Context
) -> None:
    service = ConversationService(store, context)
    replies = await walk_to_first_quiz(service, context)
    [first_choice, *_] = step_buttons(replies)
    answered = await service.handle(press(first_choice))
    again = await service.handle(press(first_choice))
    assert any("Correct!" in r.text or "Not quite." in r.text for r in answered)
    assert "earlier step" in again[0].text
    recorded = await results(engine)
    assert len(recorded) == 1
    assert recorded[0][2] in {"correct", "incorrect"}


async def test_finishing_a_module_stores_completion_and_score(
    store: SqlStore, engine: AsyncEngine, context: Context
) -> None:
    assert context.dialogs is not None
    dialog = context.dialogs.get(MODULE)
    assert dialog is not None
    service = ConversationService(store, context)
    await service.handle(press(ModuleButton(MODULE).pack()))
    for node in dialog.path():
        value = node.ask.correct if node.ask is not None and node.ask.correct else "next"
        replies = await service.handle(press(StepButton(MODULE, node.id, value or "next").pack()))
    assert "You have finished the module" in replies[-1].text
    quiz_total = len(dialog.quiz_nodes)
    assert f"Quiz: {quiz_total}/{quiz_total} correct." in replies[-1].text
    recorded = await results(engine)
    assert recorded[-1] == ("completed", f"{quiz_total}/{quiz_total}", "completed")
    assert [r[2] for r in recorded[:-1]] == ["correct"] * quiz_total
    listing = await service.handle(say("/modules"))
    labels = [b.label for row in listing[0].buttons for b in row]
    assert f"Living in Belgium · done, quiz {quiz_total}/{quiz_total}" in labels


async def test_a_typed_answer_by_label_or_number_counts(store: SqlStore, context: Context) -> None:
    service = ConversationService(store, context)
    replies = await walk_to_first_quiz(service, context)
    assert step_buttons(replies)
    answered = await service.handle(say("1"))
    assert any(r.text.startswith(("Correct!", "Not quite.")) for r in answered)


async def test_a_question_typed_at_a_quiz_step_is_answered_and_the_quiz_waits(
    store: SqlStore, context: Context
) -> None:
    service = ConversationService(store, context)
    await walk_to_first_quiz(service, context)
    replies = await service.handle(say("which visa is used in DT4E?"))
    assert "single permit" in replies[0].text
    assert "Continue the module" in replies[-1].text


async def test_a_button_from_another_module_does_not_move_progress(store: SqlStore, context: Context) -> None:
    service = ConversationService(store, context)
    await service.handle(press(ModuleButton(MODULE).pack()))
    stale = await service.handle(press(StepButton("exploring-belgium", "intro", "next").pack()))
    assert "earlier step" in stale[0].text
    assert "Living in Belgium · step 1 of" in stale[-1].text


async def test_progress_survives_a_new_service_on_the_same_database(
    store: SqlStore, engine: AsyncEngine, context: Context
) -> None:
    first = ConversationService(store, context)
    await first.handle(press(ModuleButton(MODULE).pack()))
    await first.handle(press(StepButton(MODULE, "intro", "next").pack()))
    second = ConversationService(SqlStore(engine), context)  # a restart, or a second instance
    listing = await second.handle(say("/modules"))
    labels = [b.label for row in listing[0].buttons for b in row]
    assert any(label.startswith("Living in Belgium · step 2 of") for label in labels)
    resumed = await second.handle(press(ModuleButton(MODULE).pack()))
    assert "step 2 of" in resumed[0].text
    assert resumed[0].lang is Lang.EN


async def test_the_faq_answer_about_the_modules_offers_them(store: SqlStore, context: Context) -> None:
    service = ConversationService(store, context)
    [answer] = await service.handle(say("what are the five PDO modules?"))
    assert [b.data for b in answer.buttons[0]] == [MenuButton("modules").pack()]
    listing = await service.handle(press(MenuButton("modules").pack()))
    assert len(listing[0].buttons) == 5
