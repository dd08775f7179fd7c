"""The store, written once and run on every backend (SQLite always, PostgreSQL when configured)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.basics.buttons import Button
from bot.basics.errors import ConcurrentUpdate, DatabaseUnavailable
from bot.basics.lang import Lang
from bot.core.events import FeedbackGiven, QuestionUnanswered, ResultRecorded
from bot.core.inbound import UserRef
from bot.core.state import ConversationState, Role
from bot.service.ports import StoredState, Transaction
from storage.engine import create_engine, upgrade
from storage.models import metadata
from storage.store import OUTBOX_CLAIM, SqlStore

ANN = UserRef("telegram", "42")
AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def over(version: int) -> StoredState:
    """What a save is made over: a state loaded at ``version``."""
    return StoredState(ConversationState(), version)


def saving(state: ConversationState, version: int) -> Callable[[Transaction], None]:
    return lambda tx: tx.save_state(ANN, state, over(version), AT)


async def test_an_unknown_user_starts_with_the_default_state(store: SqlStore) -> None:
    stored = await store.run(lambda tx: tx.load_state(ANN), read_only=True)
    assert (stored.state, stored.version) == (ConversationState(), 0)


async def test_state_round_trips_and_the_version_moves(store: SqlStore) -> None:
    state = ConversationState(language=Lang.AR, role=Role.TALENT, last_question="شو الفيزا؟")
    await store.run(saving(state, 0))

    def load_and_change(tx: Transaction) -> StoredState:
        stored = tx.load_state(ANN)
        tx.save_state(ANN, state.model_copy(update={"role": Role.EMPLOYER}), stored, AT)
        return stored

    stored = await store.run(load_and_change)
    assert (stored.state, stored.version) == (state, 1)
    stored = await store.run(lambda tx: tx.load_state(ANN), read_only=True)
    assert (stored.state.role, stored.version) == (Role.EMPLOYER, 2)


async def test_user_row_mirrors_language_and_role(store: SqlStore, engine: AsyncEngine) -> None:
    await store.run(saving(ConversationState(language=Lang.FR, role=Role.EMPLOYER), 0))
    async with engine.connect() as conn:
        row = (await conn.execute(sa.text("SELECT language, role FROM users"))).one()
    assert tuple(row) == ("fr", "employer")


async def test_a_change_of_language_after_a_read_reaches_the_users_row(
    store: SqlStore, engine: AsyncEngine
) -> None:
    """The save skips the users row when the read saw it unchanged: the read is given back."""
    await store.run(saving(ConversationState(language=Lang.FR), 0))
    loaded = await store.run(lambda tx: tx.load_state(ANN), read_only=True)
    await store.run(lambda tx: tx.save_state(ANN, ConversationState(language=Lang.AR), loaded, AT))
    async with engine.connect() as conn:
        assert (await conn.execute(sa.text("SELECT language FROM users"))).scalar_one() == "ar"


async def test_a_stale_save_is_refused(store: SqlStore) -> None:
    await store.run(saving(ConversationState(), 0))
    await store.run(saving(ConversationState(language=Lang.EN), 1))
    with pytest.raises(ConcurrentUpdate):
        await store.run(saving(ConversationState(language=Lang.FR), 1))
    assert (await store.run(lambda tx: tx.load_state(ANN))).state.language is Lang.EN


async def test_a_second_first_save_is_refused(store: SqlStore) -> None:
    await store.run(saving(ConversationState(language=Lang.EN), 0))
    with pytest.raises(ConcurrentUpdate):
        await store.run(saving(ConversationState(language=Lang.FR), 0))


async def test_an_update_is_claimed_once_per_channel(store: SqlStore) -> None:
    def claims(tx: Transaction) -> list[bool]:
        return [tx.claim_update(channel, "7", AT) for channel in ("telegram", "telegram", "console")]

    assert await store.run(claims) == [True, False, True]
    assert not await store.run(lambda tx: tx.claim_update("telegram", "7", AT))


async def test_a_claim_in_a_failed_transaction_is_forgotten(store: SqlStore) -> None:
    def crashing(tx: Transaction) -> None:
        assert tx.claim_update("telegram", "8", AT)
        raise RuntimeError("the turn crashed")

    with pytest.raises(RuntimeError):
        await store.run(crashing)
    again = await store.run(lambda tx: tx.claim_update("telegram", "8", AT))
    assert again, "a crashed turn is processed again"


async def test_a_read_waits_for_no_writer(store: SqlStore) -> None:
    """While a transaction writes (on SQLite: holds the one writer), a turn's read goes ahead and
    sees the last commit; a write waits its turn."""
    await store.run(saving(ConversationState(language=Lang.EN), 0))
    async with store.session() as session:
        await session.execute(sa.text("UPDATE users SET role = 'talent'"))
        stored = await asyncio.wait_for(store.run(lambda tx: tx.load_state(ANN), read_only=True), 5)
        assert (stored.state.language, stored.version) == (Lang.EN, 1)
        if store.engine.dialect.name == "sqlite":
            write = asyncio.ensure_future(store.run(saving(ConversationState(), 1)))
            await asyncio.sleep(0.2)
            assert not write.done(), "a write waits for the one writer"
    if store.engine.dialect.name == "sqlite":
        await write


async def test_events_are_recorded(store: SqlStore, engine: AsyncEngine) -> None:
    def record(tx: Transaction) -> None:
        tx.record(ANN, FeedbackGiven("visa-type", False, "which visa?", Lang.EN), AT)
        tx.record(ANN, QuestionUnanswered("weather?", Lang.EN, "abstained", 12, ("visa-type",)), AT)
        tx.record(ANN, ResultRecorded("living-in-belgium", "quiz_languages", "three", "correct"), AT)

    await store.run(record)
    async with engine.connect() as conn:
        feedback = (await conn.execute(sa.text("SELECT faq_id, helpful, question FROM feedback"))).one()
        unanswered = (
            await conn.execute(sa.text("SELECT question, reason, score FROM unanswered_questions"))
        ).one()
        result = (await conn.execute(sa.text('SELECT dialog_id, "key", value, category FROM results'))).one()
    assert (feedback[0], bool(feedback[1]), feedback[2]) == ("visa-type", False, "which visa?")
    assert tuple(unanswered) == ("weather?", "abstained", 12)
    assert tuple(result) == ("living-in-belgium", "quiz_languages", "three", "correct")


async def test_state_another_version_cannot_read_is_reset(store: SqlStore, engine: AsyncEngine) -> None:
    await store.run(saving(ConversationState(language=Lang.AR), 0))
    async with engine.begin() as conn:
        await conn.execute(sa.text("""UPDATE conversation_states SET data = '{"language": "xx"}'"""))
    stored = await store.run(lambda tx: tx.load_state(ANN))
    assert (stored.state, stored.version) == (ConversationState(), 1)


async def test_migrations_match_the_models(engine: AsyncEngine) -> None:
    def diff(sync: sa.Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(sync), metadata))

    async with engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_upgrade_is_idempotent(engine: AsyncEngine) -> None:
    await upgrade(engine)
    await upgrade(engine)


async def test_an_unreachable_database_is_one_clear_error() -> None:
    engine = create_engine("postgresql+asyncpg://nobody@127.0.0.1:9/none", connect_args={"timeout": 2})
    with pytest.raises(DatabaseUnavailable, match=r"cannot open the database .*DT4E_DATABASE_URL"):
        await upgrade(engine)
    await engine.dispose()


async def test_a_database_lost_while_running_is_database_unavailable() -> None:
    """What the Telegram bridge retries on: every store call, not only the start-up upgrade."""
    engine = create_engine("postgresql+asyncpg://nobody@127.0.0.1:9/none", connect_args={"timeout": 2})
    store = SqlStore(engine)
    with pytest.raises(DatabaseUnavailable, match="cannot be"):
        await store.run(lambda tx: tx.load_state(ANN), read_only=True)
    with pytest.raises(DatabaseUnavailable, match="cannot be"):
        await store.run(lambda tx: tx.claim_update("telegram", "1", AT))
    with pytest.raises(DatabaseUnavailable):
        await store.undelivered("telegram", AT)
    with pytest.raises(DatabaseUnavailable):
        await store.mark_sent([1], AT)
    await engine.dispose()


async def test_old_processed_update_ids_are_pruned(store: SqlStore) -> None:
    assert await store.run(lambda tx: tx.claim_update("telegram", "old", datetime(2026, 1, 1, tzinfo=UTC)))
    assert await store.run(lambda tx: tx.claim_update("telegram", "new", datetime(2026, 1, 9, tzinfo=UTC)))
    assert await store.prune_processed_updates(datetime(2026, 1, 5, tzinfo=UTC)) == 1
    again = await store.run(lambda tx: tx.claim_update("telegram", "old", AT))
    assert again, "a pruned id can be claimed again"
    assert not await store.run(lambda tx: tx.claim_update("telegram", "new", AT))


async def test_the_outbox_claims_expire_and_resends_start_where_delivery_stopped(engine: AsyncEngine) -> None:
    from bot.core.events import ReplyCreated

    now = [AT]
    store = SqlStore(engine, clock=lambda: now[0])
    reply = ReplyCreated("مرحبا", Lang.AR, ((Button("English", "lang:en"),),))
    long_ago = datetime(2025, 1, 1, tzinfo=UTC)  # the message's own time: a backlog is old at once
    entry = await store.run(lambda tx: tx.enqueue(ANN, [reply], long_ago))
    assert await store.undelivered("telegram", AT) == [], "the turn that wrote it holds it"
    assert not await store.claim(entry, AT), "nobody else may take it while the turn sends it"
    expired = AT + OUTBOX_CLAIM
    [pending] = await store.undelivered("telegram", expired)
    assert (pending.outbox_id, pending.user, pending.replies, pending.parts_sent) == (entry, ANN, (reply,), 0)
    assert await store.undelivered("console", expired) == []
    assert await store.claim(entry, expired)
    assert not await store.claim(entry, expired), "one instance sends it"
    assert await store.undelivered("telegram", expired) == []
    again = await store.undelivered("telegram", expired + OUTBOX_CLAIM)
    assert [e.outbox_id for e in again] == [entry], "a claim is not a mark: it expires"
    await store.release(entry, 2)
    [released] = await store.undelivered("telegram", expired)
    assert released.parts_sent == 2, "the next try starts after what was delivered"
    await store.mark_sent([entry], expired)
    assert await store.undelivered("telegram", expired + 10 * OUTBOX_CLAIM) == []


async def test_delivered_replies_are_pruned_and_unsent_ones_kept(engine: AsyncEngine) -> None:
    from bot.core.events import ReplyCreated

    store = SqlStore(engine, clock=lambda: AT)
    reply = ReplyCreated("hello", Lang.EN)
    first, second, unsent = await store.run(lambda tx: [tx.enqueue(ANN, [reply], AT) for _ in range(3)])
    await store.mark_sent([first, second], AT)
    assert await store.prune_outbox(AT) == 0, "only those sent before the cut-off"
    assert await store.prune_outbox(AT + OUTBOX_CLAIM) == 2
    far = AT + 100 * OUTBOX_CLAIM
    assert [e.outbox_id for e in await store.undelivered("telegram", far)] == [unsent]


async def test_sqlites_writer_goes_to_marks_then_turns_then_background_work() -> None:
    import asyncio

    from storage.group_commit import BACKGROUND, TURN, URGENT, WriterQueue

    writer = WriterQueue()
    await writer.acquire()
    order: list[str] = []

    async def wait(name: str, priority: int) -> None:
        await writer.acquire(priority)
        order.append(name)
        writer.release()

    waiting = [
        asyncio.create_task(wait(name, priority))
        for name, priority in [("sweep", BACKGROUND), ("turn 1", TURN), ("mark", URGENT), ("turn 2", TURN)]
    ]
    await asyncio.sleep(0)
    writer.release()
    await asyncio.gather(*waiting)
    assert order == ["mark", "turn 1", "turn 2", "sweep"]


async def test_old_questions_and_ratings_are_pruned_and_recent_ones_kept(
    store: SqlStore, engine: AsyncEngine
) -> None:
    old, recent = datetime(2025, 1, 1, tzinfo=UTC), AT

    def record(tx: Transaction) -> None:
        for at in (old, recent):
            tx.record(ANN, FeedbackGiven("visa-type", False, "which visa?", Lang.EN), at)
            tx.record(ANN, QuestionUnanswered("weather?", Lang.EN, "abstained", 12, ()), at)

    await store.run(record)
    assert await store.prune_questions(datetime(2025, 6, 1, tzinfo=UTC)) == 2
    async with engine.connect() as conn:
        left = {
            table: (await conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}"))).scalar_one()
            for table in ("feedback", "unanswered_questions")
        }
    assert left == {"feedback": 1, "unanswered_questions": 1}
