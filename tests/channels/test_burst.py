"""A burst from many people at once (what a broadcast to a large pool brings back), over the real
frameworks and the fake Bot API, on every database: each update answered exactly once, each
chat's replies in order, nothing left in the outbox."""

from __future__ import annotations

import asyncio
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.context import Context
from bot.service import ConversationService
from bot.service.pacing import Pacer
from storage.store import SqlStore
from tests.channels.harness import button, handled, running
from tests.fake_telegram import FakeTelegram

PEOPLE = 600
FIRST = 700_000
LANGS = ("ar", "en", "fr")


async def count(engine: AsyncEngine, query: str) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(sa.text(query))).scalar_one())


@pytest.mark.parametrize("channel_name", ["aiogram", "ptb"])
async def test_a_burst_from_many_people_is_answered_exactly_once(
    channel_name: str, engine: AsyncEngine, context: Context, tg: FakeTelegram
) -> None:
    service = ConversationService(SqlStore(engine), context)
    people = range(FIRST, FIRST + PEOPLE)
    # A pool far smaller than the burst, and a long poll's worth of updates per batch: what
    # overflowed the connection pool before, and what a lost offset would show.
    async with running(channel_name, service, tg, max_in_flight=8) as bot:
        bot.bridge.pacer = Pacer(100_000.0)  # Telegram's pace is not what is tested here
        started = time.monotonic()
        for number, person in enumerate(people):
            tg.send_text(person, "/start", language_code=LANGS[number % 3])
        await handled(bot, PEOPLE, timeout=240)
        drained = time.monotonic() - started
    answered = [len(tg.sent(person)) for person in people]
    assert answered.count(1) == PEOPLE, (
        f"never answered: {answered.count(0)}, answered more than once: {sum(n > 1 for n in answered)}"
        f" (drained in {drained:.0f} s)"
    )
    first = tg.sent(FIRST)[0].text or ""
    assert first.startswith("أهلاً") or "DT4E" in first
    assert await count(engine, "SELECT count(*) FROM processed_updates") == PEOPLE
    assert await count(engine, "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0


@pytest.mark.parametrize("channel_name", ["aiogram", "ptb"])
async def test_replies_keep_the_order_of_each_chats_updates_under_load(
    channel_name: str, engine: AsyncEngine, context: Context, tg: FakeTelegram
) -> None:
    """Buttons pressed and words typed quickly, in 60 chats at once: each chat's replies come
    in the order of its updates (a button's answerCallbackQuery does not let a later update of
    the same chat go first)."""
    service = ConversationService(SqlStore(engine), context)
    chats = range(FIRST, FIRST + 60)
    async with running(channel_name, service, tg) as bot:
        bot.bridge.pacer = Pacer(100_000.0)
        for chat in chats:
            tg.send_text(chat, "/start", language_code="en")
        await handled(bot, len(chats), timeout=60)
        for chat in chats:
            [welcome] = tg.sent(chat)
            english = button(welcome, "English")
            tg.press_button(chat, welcome.message_id, english)
            tg.send_text(chat, "/help")
            tg.send_text(chat, "/menu")
        await handled(bot, 4 * len(chats), timeout=120)
        await asyncio.sleep(0.3)
    seen = {chat: [m.text or "" for m in tg.sent(chat)[1:]] for chat in chats}
    texts = seen[FIRST]
    assert texts[0] == "Language set to English."
    assert texts[1].startswith("Are you a candidate")
    helped = [n for n, text in enumerate(texts) if text.startswith("I answer questions")]
    assert helped, texts
    assert 2 <= helped[0] < len(texts) - 1, "the button's replies, then /help's, then /menu's"
    disordered = [chat for chat in chats if seen[chat] != texts]
    assert disordered == [], f"{len(disordered)} chats got their replies in another order"
