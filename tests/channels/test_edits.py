"""Steps changed in place, keyboards retired and presses acknowledged, over the real aiogram and
python-telegram-bot stacks talking HTTP to the fake Bot API server (the ``channel`` fixture).

What a person sees: a module is one message that turns into its next step; a question answered
keeps its text with the answer ticked and no buttons; 👍 / 👎 is thanked over the chat and ticked
on the answer's keyboard, and the other one changes the vote; a message too old for Telegram to
edit (48 hours), or one it refuses to edit, is answered with a new message."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import TelegramChannel
from bot.basics.buttons import Button
from bot.basics.lang import Lang
from bot.channels.telegram.translate import EDITABLE_FOR
from bot.core.events import ReplyCreated
from bot.core.inbound import UserRef
from bot.service import ConversationService
from tests.channels.harness import answered, handled, press, running
from tests.fake_telegram import FakeTelegram, SentMessage

USER = 42
MODULE = "Living in Belgium"


def labels(message: SentMessage) -> list[str]:
    return [label for row in message.buttons for label, _ in row]


async def as_a_talent(tg: FakeTelegram, channel: TelegramChannel) -> int:
    """/start, English, a talent: the number of updates handled so far."""
    tg.send_text(USER, "/start", language_code="en")
    await handled(channel, 1)
    press(tg, USER, "English")
    await handled(channel, 2)
    press(tg, USER, "I am a candidate (talent)")
    await handled(channel, 3)
    return 3


async def the_module_list(tg: FakeTelegram, bot: TelegramChannel, updates: int) -> tuple[SentMessage, int]:
    tg.send_text(USER, "/modules")
    await handled(bot, updates + 1)
    listed = tg.sent(USER)[-1]
    assert any(label.startswith(MODULE) for label in labels(listed)), labels(listed)
    return listed, updates + 1


def tap(tg: FakeTelegram, message: SentMessage, starts: str) -> None:
    data = next(d for row in message.buttons for label, d in row if label.startswith(starts) and d)
    tg.press_button(USER, message.message_id, data)


async def at_step_1(tg: FakeTelegram, bot: TelegramChannel) -> tuple[SentMessage, int]:
    """A talent chose the module from the list: the list as it was, and the updates handled."""
    updates = await as_a_talent(tg, bot)
    listed, updates = await the_module_list(tg, bot, updates)
    tap(tg, listed, MODULE)
    await handled(bot, updates + 1)
    return listed, updates + 1


async def test_a_module_is_one_message_changed_at_each_step(
    channel: str, service: ConversationService
) -> None:
    async with FakeTelegram() as tg, running(channel, service, tg) as bot:
        updates = await as_a_talent(tg, bot)
        # The language and role questions lost their keyboards once answered.
        assert [labels(m) for m in tg.sent(USER)[:1]] == [[]]
        listed, updates = await the_module_list(tg, bot, updates)
        count = len(tg.sent(USER))
        tap(tg, listed, MODULE)
        await handled(bot, updates + 1)
        for step in (2, 3):
            tap(tg, tg.sent(USER)[-1], "Next ▶")
            await handled(bot, updates + step)
            assert f"step {step} of 10" in (tg.sent(USER)[-1].text or "")
        await answered(tg, 5)  # English, the role, the module, Next twice
        sent = tg.sent(USER)
    assert len(sent) == count, "the list became step 1, then step 2 and 3: no new message"
    step3 = sent[-1]
    assert step3.message_id == listed.message_id
    assert step3.edits == 3
    assert labels(step3) == ["Next ▶"]
    assert len(tg.calls_to("editMessageText")) == 3
    assert all(a.text is None for a in tg.callback_answers), "a step needs no notice"


async def test_an_answered_question_keeps_its_text_with_the_answer_ticked(
    channel: str, service: ConversationService
) -> None:
    async with FakeTelegram() as tg, running(channel, service, tg) as bot:
        _, updates = await at_step_1(tg, bot)
        for step in range(1, 7):  # to the first quiz question, step 7
            tap(tg, tg.sent(USER)[-1], "Next ▶")
            await handled(bot, updates + step)
        question = tg.sent(USER)[-1]
        assert "step 7 of 10" in (question.text or "")
        tap(tg, question, "112")
        await handled(bot, updates + 7)
        sent = tg.sent(USER)
    ticked = next(m for m in sent if m.message_id == question.message_id)
    assert (ticked.text or "").endswith("✓ 112")
    assert ticked.buttons == []
    assert "Correct!" in (sent[-2].text or "")
    assert "step 8 of 10" in (sent[-1].text or "")


async def test_an_old_step_s_button_is_not_counted_and_its_keyboard_goes(
    channel: str, service: ConversationService
) -> None:
    async with FakeTelegram() as tg, running(channel, service, tg) as bot:
        listed, updates = await at_step_1(tg, bot)
        tg.send_text(USER, "next")  # typed: step 2 comes as a new message, step 1 keeps its button
        await handled(bot, updates + 1)
        step1 = next(m for m in tg.sent(USER) if m.message_id == listed.message_id)
        assert labels(step1) == ["Next ▶"]
        tap(tg, step1, "Next ▶")
        await handled(bot, updates + 2)
        sent = tg.sent(USER)
    assert sent[-2].text == "That button is from an earlier step, so I did not count it."
    assert "step 2 of 10" in (sent[-1].text or "")
    assert labels(sent[-1]) == ["Next ▶"]
    retired = next(m for m in sent if m.message_id == step1.message_id)
    assert retired.buttons == [], "the old step no longer looks alive"
    assert "step 1 of 10" in (retired.text or "")


async def test_a_vote_is_thanked_over_the_chat_and_can_be_changed(
    channel: str, service: ConversationService, db: AsyncEngine
) -> None:
    async with FakeTelegram() as tg, running(channel, service, tg) as bot:
        updates = await as_a_talent(tg, bot)
        tg.send_text(USER, "How long does the procedure take?")
        await handled(bot, updates + 1)
        answer = tg.sent(USER)[-1]
        count = len(tg.sent(USER))
        press(tg, USER, "👍")
        await handled(bot, updates + 2)
        await answered(tg, 3)  # English, the role, 👍
        thanked = tg.callback_answers[-1].text
        voted = tg.sent(USER)[-1]
        tg.press_button(
            USER, answer.message_id, next(d for r in voted.buttons for lbl, d in r if lbl == "👎" and d)
        )
        await handled(bot, updates + 3)
        await answered(tg, 4)
        changed = tg.callback_answers[-1].text
        sent = tg.sent(USER)
    assert thanked == "Thank you for your feedback."
    assert changed == "Thank you. I have passed your question on so the answer can be improved."
    assert len(sent) == count, "acknowledged with notices, not messages"
    assert "👍 ✓" in labels(voted)
    assert "👎 ✓" in labels(sent[-1])
    assert "👍" in labels(sent[-1])
    async with db.connect() as conn:
        ratings = (await conn.execute(sa.text("SELECT helpful FROM feedback"))).all()
        gaps = (await conn.execute(sa.text("SELECT reason FROM unanswered_questions"))).all()
    assert [bool(helpful) for (helpful,) in ratings] == [False], "one rating, changed"
    assert [reason for (reason,) in gaps] == ["not_helpful"]


async def test_a_message_too_old_or_refused_is_answered_with_a_new_one(
    channel: str, service: ConversationService
) -> None:
    async with FakeTelegram() as tg, running(channel, service, tg) as bot:
        _, updates = await at_step_1(tg, bot)
        step1 = tg.sent(USER)[-1]
        count = len(tg.sent(USER))
        # Older than Telegram lets a bot edit: the next step comes as a new message.
        old = int(EDITABLE_FOR.total_seconds() + 3600)
        tg._messages[(USER, step1.message_id)].message["date"] -= old
        tap(tg, step1, "Next ▶")
        await handled(bot, updates + 1)
        step2 = tg.sent(USER)[-1]
        assert len(tg.sent(USER)) == count + 1
        assert "step 2 of 10" in (step2.text or "")
        # Telegram refuses to edit: the step comes as a new message all the same.
        tg.fail("editMessageText", error_code=400, description="Bad Request: message can't be edited")
        tap(tg, step2, "Next ▶")
        await handled(bot, updates + 2)
        sent = tg.sent(USER)
    assert len(sent) == count + 2
    assert "step 3 of 10" in (sent[-1].text or "")
    assert [f.description for f in tg.faults] == ["Bad Request: message can't be edited"]


async def test_an_edit_sent_again_changes_nothing_and_sends_nothing(
    channel: str, service: ConversationService
) -> None:
    """A step's edit delivered, then sent again (its mark lost to a stop): Telegram answers
    "message is not modified" (python-telegram-bot capitalises it), which is done, not a
    refusal to answer with a new message."""
    async with FakeTelegram() as tg, running(channel, service, tg) as bot:
        await at_step_1(tg, bot)
        step1 = tg.sent(USER)[-1]
        count = len(tg.sent(USER))
        rows = tuple(tuple(Button(label, data or "") for label, data in row) for row in step1.buttons)
        again = ReplyCreated(text=step1.text or "", lang=Lang.EN, buttons=rows, edits=step1.message_id)
        sent = await bot.bridge.outbox.send_replies(UserRef("telegram", str(USER)), USER, [again])
    assert sent.done
    assert len(tg.sent(USER)) == count, "no new message"
    assert [f.method for f in tg.faults] == ["editMessageText"]
