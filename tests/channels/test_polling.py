"""Our getUpdates loop, over both frameworks: an update is confirmed to Telegram only once its
turn is recorded, one update a framework cannot read is skipped without blocking the others, and
a 429 on getUpdates is waited out for as long as Telegram says."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.core.inbound import Inbound
from bot.service import ConversationService, Handled
from tests.channels.harness import handled, running
from tests.fake_telegram import FakeTelegram

USER = 42
OTHER = 43


def offsets(tg: FakeTelegram) -> list[int]:
    return [int(call.params.get("offset") or 0) for call in tg.requests if call.method == "getUpdates"]


async def test_an_update_is_confirmed_only_once_its_turn_is_recorded(
    channel: str, service: ConversationService, tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process dies (here: stops without waiting) while the turn is still being computed:
    Telegram was never told the update is done, so the next start gets it and answers it."""
    real = service.handle_durably
    stuck = asyncio.Event()

    async def slow(inbound: Inbound) -> Handled:
        stuck.set()
        await asyncio.Event().wait()  # never recorded
        raise AssertionError("unreachable")

    monkeypatch.setattr(service, "handle_durably", slow)
    async with running(channel, service, tg, shutdown_timeout=0.2):
        update_id = tg.send_text(USER, "/start", language_code="en")
        await asyncio.wait_for(stuck.wait(), 10)
        await asyncio.sleep(1.5)  # more than a long poll (1 s in these tests)
        assert max(offsets(tg)) <= update_id, "confirmed while its turn was not recorded"
    assert max(offsets(tg)) <= update_id, "confirmed at the stop although not recorded"
    assert tg.sent(USER) == []
    monkeypatch.setattr(service, "handle_durably", real)
    async with running(channel, service, tg) as bot:
        [welcome] = await tg.wait_for_sent(USER, 1)
        await handled(bot, 1)
        await asyncio.sleep(1.2)
    assert (welcome.text or "").startswith("Welcome!")
    assert max(offsets(tg)) == update_id + 1, "confirmed once recorded"
    assert len(tg.sent(USER)) == 1


async def test_an_update_the_framework_cannot_read_is_skipped_and_the_others_answered(
    channel: str, service: ConversationService, tg: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    tg.add_user(USER)
    bad = tg.send_update(
        {"message": {"message_id": 7, "date": "yesterday", "chat": {"id": USER, "type": "private"},
                     "from": {"id": USER, "is_bot": False, "first_name": "Ann"}, "text": "my secret"}}
    )  # fmt: skip
    with caplog.at_level(logging.ERROR, logger="bot.channels.telegram"):
        async with running(channel, service, tg) as bot:
            tg.send_text(OTHER, "/start", language_code="en")
            await tg.wait_for_sent(OTHER, 1)
            await handled(bot, 1)
            await asyncio.sleep(1.2)
            polls = len(offsets(tg))
    assert polls < 10, f"{polls} getUpdates: the unreadable update was fetched again and again"
    assert max(offsets(tg)) > bad, "it was confirmed, so it never blocks the others again"
    skipped = [r.getMessage() for r in caplog.records if f"update {bad}" in r.getMessage()]
    assert skipped, "the skip is logged with the update's id"
    assert all("my secret" not in text and "Ann" not in text for text in caplog.messages)
    assert tg.sent(USER) == []


async def test_a_429_on_get_updates_waits_retry_after(
    channel: str, service: ConversationService, tg: FakeTelegram
) -> None:
    async with running(channel, service, tg) as bot:
        tg.send_text(USER, "/start", language_code="en")
        await tg.wait_for_sent(USER, 1)
        await handled(bot, 1)
        tg.fail("getUpdates", error_code=429, retry_after=3)
        await asyncio.sleep(1.5)  # the running long poll ends, the next one gets the 429
        tg.send_text(USER, "/help")
        await tg.wait_for_sent(USER, 2, timeout=10)
    calls = [call for call in tg.requests if call.method == "getUpdates"]
    flooded = next(n for n, call in enumerate(calls) if call.status == 429)
    waited = calls[flooded + 1].time - calls[flooded].time
    assert waited >= 2.9, f"polled again {waited:.1f} s after a 429 that said 3 s"
