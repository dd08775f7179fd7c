"""The conversation service on a real database: ordering, exactly-once, concurrency."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.basics.lang import Lang
from bot.core.context import Context
from bot.core.features.onboarding import LanguageButton
from bot.core.inbound import Inbound, TextSent, UserRef
from bot.core.state import ConversationState, Turn
from bot.service import ConversationService
from bot.service.locks import KeyedLocks
from storage.store import SqlStore
from tests.inputs import inbound

ANN = UserRef("telegram", "42")
BOB = UserRef("telegram", "43")
AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def message(
    user: UserRef, text: str = "", *, choice: str | None = None, update_id: str | None = None
) -> Inbound:
    return inbound(user, AT, text=text, press=choice, update_id=update_id)


async def test_a_redelivered_update_is_processed_once(store: SqlStore, context: Context) -> None:
    service = ConversationService(store, context)
    first = await service.handle(message(ANN, "/start", update_id="1001"))
    again = await service.handle(message(ANN, "/start", update_id="1001"))
    assert first
    assert again == []
    assert (await store.run(lambda tx: tx.load_state(ANN))).version == 1


async def test_two_instances_never_lose_a_turn(store: SqlStore, context: Context) -> None:
    """Two services (two bot processes) on one database, the same user, interleaved turns:
    every turn is saved exactly once, so the version counts them all."""
    a, b = ConversationService(store, context), ConversationService(store, context)
    langs = list(Lang)
    turns = [
        (a if i % 2 else b).handle(message(ANN, choice=LanguageButton(langs[i % 3]).pack(), update_id=str(i)))
        for i in range(20)
    ]
    results = await asyncio.gather(*turns)
    assert all(results)
    assert (await store.run(lambda tx: tx.load_state(ANN))).version == 20


async def test_one_user_waiting_does_not_block_another(store: SqlStore, context: Context) -> None:
    service = ConversationService(store, context)
    async with service.locks.hold(ANN.key):
        replies = await asyncio.wait_for(service.handle(message(BOB, "/start")), timeout=10)
    assert replies


async def test_updates_of_one_user_run_in_order() -> None:
    locks, order = KeyedLocks(), []

    async def work(n: int) -> None:
        async with locks.hold("ann"):
            order.append(f"start{n}")
            await asyncio.sleep(0.01)
            order.append(f"end{n}")

    await asyncio.gather(*(work(n) for n in range(3)))
    assert order == ["start0", "end0", "start1", "end1", "start2", "end2"]
    assert len(locks) == 0, "locks are released when nobody waits"


async def test_a_turn_is_computed_with_no_transaction_open(
    store: SqlStore, context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite has one writer for every user: a turn computed while holding it (the matcher, the
    dialogs) keeps everyone else's writes waiting. Read, compute, then write. (PostgreSQL's
    locks are the conversation's row: there the turn is computed inside its transaction.)"""
    if not store.one_writer:
        pytest.skip("PostgreSQL locks rows, not the database: the turn is computed in its transaction")
    from bot.core.dispatch import handle as compute
    from bot.service import conversations

    held: list[bool] = []

    def watched(state: ConversationState, inbound: Inbound, ctx: Context) -> Turn:
        writer = store._one_writer  # SQLite's writer queue
        held.append(writer is not None and writer._held)
        return compute(state, inbound, ctx)

    monkeypatch.setattr(conversations, "handle", watched)
    service = ConversationService(store, context)
    replies = await service.handle(TextSent(user=ANN, at=AT, text="How long does the visa take?"))
    assert replies
    assert held == [False]
