"""Guided modules in the conversation, on the real service and database: results stored once,
stale buttons, typed answers, typed "next" and "I don't know", and a restart in the middle of a
module."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
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
from dialogs.model import Dialog
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


def module(context: Context) -> Dialog:
    """The module these tests walk through."""
    assert context.dialogs is not None
    dialog = context.dialogs.get(MODULE)
    assert dialog is not None
    return dialog


async def opened(store: SqlStore, context: Context) -> tuple[ConversationService, Dialog]:
    """A service with the module opened by its button."""
    service = ConversationService(store, context)
    await service.handle(press(ModuleButton(MODULE).pack()))
    return service, module(context)


async def walk_to_first_quiz(service: ConversationService, context: Context) -> list[ReplyCreated]:
    dialog = module(context)
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
    service, dialog = await opened(store, context)
    for node in dialog.path():
        value = node.ask.correct if node.ask is not None and node.ask.correct else "next"
        replies = await service.handle(press(StepButton(MODULE, node.id, value or "next").pack()))
    quiz_total = len(dialog.quiz_nodes)
    assert replies[-1].text == f"Quiz: {quiz_total}/{quiz_total} correct."
    assert not any("finished" in r.text for r in replies), "the module's last step has said so already"
    labels = [b.label for row in replies[-1].buttons for b in row]
    assert labels == ["Next module: Settling in Belgium", "All modules", "Main menu"]
    recorded = await results(engine)
    assert recorded[-1] == ("completed", f"{quiz_total}/{quiz_total}", "completed")
    assert [r[2] for r in recorded[:-1]] == ["correct"] * quiz_total
    listing = await service.handle(say("/modules"))
    labels = [b.label for row in listing[0].buttons for b in row]
    assert f"Living in Belgium · done, quiz {quiz_total}/{quiz_total}" in labels


async def test_a_typed_answer_by_label_or_number_counts(store: SqlStore, context: Context) -> None:
    service = ConversationService(store, context)
    replies = await walk_to_first_quiz(service, context)  # 911, 112 or 999?
    assert step_buttons(replies)
    answered = await service.handle(say("112"))
    assert answered[0].text.startswith("Correct!")


async def test_a_typed_number_that_is_no_choice_asks_again_and_counts_nothing(
    store: SqlStore, engine: AsyncEngine, context: Context
) -> None:
    service = ConversationService(store, context)
    quiz = await walk_to_first_quiz(service, context)
    replies = await service.handle(say("2"))  # the labels are numbers: not "the second button"
    assert [r.text for r in replies] == ["Please choose one of the options.", quiz[-1].text]
    assert step_buttons(replies) == step_buttons(quiz)
    assert await results(engine) == []


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


# Typed navigation words: "next" does what the Next button does; at a question it asks again.

NEXT_WORDS = [
    ("en", "next"),
    ("en", "Continue."),
    ("en", "ok next"),
    ("en", "next please 👍"),
    ("fr", "suivant"),
    ("fr", "continuer"),
    ("fr", "La suite !"),
    ("ar", "التالي"),
    ("ar", "متابعة"),
    ("ar", "تابع"),
    ("ar", "كمّل"),
    ("ar", "كمــل ➡️"),
    ("ar", "يلا"),
    ("ar", "yalla"),
    ("ar", "Yallah"),
    ("ar", "kammel"),
]


def speak(text: str, hint: str) -> Inbound:
    return inbound(ANN, AT, text=text, hint=hint)


@pytest.mark.parametrize(("hint", "word"), NEXT_WORDS)
async def test_a_typed_next_word_does_what_the_next_button_does(
    hint: str, word: str, store: SqlStore, engine: AsyncEngine, context: Context
) -> None:
    typing = ConversationService(store, context)
    pressing = ConversationService(SqlStore(engine), context)
    opened = await typing.handle(inbound(ANN, AT, press=ModuleButton(MODULE).pack(), hint=hint))
    by_word = await typing.handle(speak(word, hint))
    other = UserRef("telegram", "43")
    await pressing.handle(inbound(other, AT, press=ModuleButton(MODULE).pack(), hint=hint))
    by_button = await pressing.handle(inbound(other, AT, press=step_buttons(opened)[0], hint=hint))
    assert [(r.text, r.buttons) for r in by_word] == [(r.text, r.buttons) for r in by_button]
    assert by_word[0].text != opened[0].text  # the next step, not the same one again


async def test_a_typed_next_on_the_last_step_finishes_the_module(
    store: SqlStore, engine: AsyncEngine, context: Context
) -> None:
    service, dialog = await opened(store, context)
    *steps, last = dialog.path()
    for node in steps:
        value = node.ask.correct if node.ask is not None and node.ask.correct else "next"
        await service.handle(press(StepButton(MODULE, node.id, value).pack()))
    assert last.ask is None
    finished = await service.handle(say("next"))
    assert finished[-1].text.startswith("Quiz: ")
    assert (await results(engine))[-1][0] == "completed"


@pytest.mark.parametrize("word", ["next", "continue", "suivant", "التالي", "yalla", "➡️"])
async def test_a_typed_next_at_a_quiz_asks_to_choose_and_counts_nothing(
    word: str, store: SqlStore, engine: AsyncEngine, context: Context
) -> None:
    service = ConversationService(store, context)
    quiz = await walk_to_first_quiz(service, context)
    replies = await service.handle(say(word))
    assert [r.text for r in replies] == ["Please choose one of the options.", quiz[-1].text]
    assert step_buttons(replies) == step_buttons(quiz)
    assert await results(engine) == []
    answered = await service.handle(press(StepButton(MODULE, "quiz_emergency", "n112").pack()))
    assert answered[0].text.startswith("Correct!")  # the question still waits for its answer


DONT_KNOW = [
    ("en", "I don't know"),
    ("en", "idk"),
    ("en", "no idea"),
    ("fr", "je ne sais pas"),
    ("fr", "jsp"),
    ("fr", "aucune idée"),
    ("ar", "لا أعرف"),
    ("ar", "ما بعرف"),
    ("ar", "مش عارف"),
    ("ar", "ma ba3ref"),
    ("ar", "mish 3aref"),
]


@pytest.mark.parametrize(("hint", "word"), DONT_KNOW)
async def test_i_dont_know_at_a_quiz_is_invited_to_guess_with_the_options_again(
    hint: str, word: str, store: SqlStore, engine: AsyncEngine, context: Context
) -> None:
    service = ConversationService(store, context)
    quiz = await service.handle(inbound(ANN, AT, press=ModuleButton(MODULE).pack(), hint=hint))
    dialog = module(context)
    for node in dialog.path():
        if node.ask is not None:
            break
        quiz = await service.handle(
            inbound(ANN, AT, press=StepButton(MODULE, node.id, "next").pack(), hint=hint)
        )
    replies = await service.handle(speak(word, hint))
    assert len(replies) == 2
    guess = context.i18n.for_lang(Lang(hint))(
        "No problem: take a guess and choose one of the options. The right answer comes just after."
    )
    assert replies[0].text == guess  # not an FAQ answer, not "I do not know the answer"
    assert replies[1].text == quiz[-1].text
    assert step_buttons(replies) == step_buttons(quiz)
    assert await results(engine) == []


async def test_a_question_with_a_navigation_word_in_it_is_still_a_question(
    store: SqlStore, context: Context
) -> None:
    service = ConversationService(store, context)
    await service.handle(press(ModuleButton(MODULE).pack()))
    replies = await service.handle(say("what happens next after my visa is approved?"))
    assert "Continue the module “Living in Belgium” at step 1?" in replies[-1].text


async def test_a_digit_picks_a_choice_labelled_with_that_number_not_that_button(
    store: SqlStore, context: Context
) -> None:
    """Exploring Belgium asks how many official languages: Two, Three or Four."""
    service = ConversationService(store, context)
    await service.handle(inbound(ANN, AT, press=ModuleButton("exploring-belgium").pack(), hint="ar"))
    for node_id in ("intro", "location", "regions", "languages", "brussels", "climate"):
        await service.handle(
            inbound(ANN, AT, press=StepButton("exploring-belgium", node_id, "next").pack(), hint="ar")
        )
    answered = await service.handle(inbound(ANN, AT, text="٣", hint="ar"))  # Eastern Arabic 3
    assert answered[0].text.startswith("إجابة صحيحة")


async def finished(store: SqlStore, context: Context) -> tuple[ConversationService, Dialog]:
    service, dialog = await opened(store, context)
    for node in dialog.path():
        value = node.ask.correct if node.ask is not None and node.ask.correct else "next"
        await service.handle(press(StepButton(MODULE, node.id, value or "next").pack()))
    return service, dialog


async def test_a_finished_module_asks_before_starting_again_and_stays_done(
    store: SqlStore, context: Context
) -> None:
    service, dialog = await finished(store, context)
    quiz = f"{len(dialog.quiz_nodes)}/{len(dialog.quiz_nodes)}"
    [asked] = await service.handle(press(ModuleButton(MODULE).pack()))
    assert (
        asked.text
        == f"You have finished “Living in Belgium” (done, quiz {quiz}). Go through it again from the start?"
    )
    [again] = [b.data for row in asked.buttons for b in row if b.label == "Start again"]
    [first] = await service.handle(press(again))
    assert "step 1 of" in first.text
    [listed] = await service.handle(say("/modules"))
    [status] = [b.label for row in listed.buttons for b in row if b.label.startswith("Living in Belgium")]
    assert status == f"Living in Belgium · step 1 of {dialog.total_steps} (done, quiz {quiz})"


async def test_continue_the_module_is_offered_once_for_a_step(store: SqlStore, context: Context) -> None:
    service, _ = await opened(store, context)
    offers = []
    for question in ("How long does the visa take?", "Who pays the flight?", "What is IOM?"):
        replies = await service.handle(say(question))
        offers.append(sum(r.text.startswith("Continue the module") for r in replies))
    assert offers == [1, 0, 0]
