"""SQLite's writes in groups (storage.group_commit), on a real SQLite file: writes that wait for
the writer go in one transaction, and each stays whole on its own."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session
from sqlmodel import col

from bot.basics.errors import ConcurrentUpdate, DatabaseUnavailable
from bot.core.inbound import UserRef
from bot.core.state import ConversationState
from bot.service.ports import StoredState, Transaction
from storage.engine import create_engine, upgrade
from storage.group_commit import URGENT
from storage.models import User
from storage.store import SqlStore

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await upgrade(engine)
    store = SqlStore(engine)
    yield store
    await store.close()


def save(user: UserRef) -> Callable[[Transaction], None]:
    return lambda tx: tx.save_state(user, ConversationState(), StoredState(ConversationState(), 0), AT)


def people(n: int) -> list[UserRef]:
    return [UserRef("telegram", str(100 + i)) for i in range(n)]


async def saved(store: SqlStore) -> set[str]:
    async with store.engine.connect() as conn:
        rows = await conn.execute(
            sa.text("SELECT u.external_id FROM users u JOIN conversation_states s ON s.user_id = u.id")
        )
        return {row[0] for row in rows}


async def while_the_writer_is_held(store: SqlStore, *writes: Callable[[Transaction], object]) -> list[object]:
    """Start ``writes`` while something else holds SQLite's writer, then let it go: they all
    wait, so they go in together. What each returned or raised, in order."""
    writer = store._one_writer
    assert writer is not None
    await writer.acquire()
    tasks = [asyncio.create_task(store.run(write)) for write in writes]
    await asyncio.sleep(0.05)  # all of them in line
    writer.release()
    outcomes = list(await asyncio.gather(*tasks, return_exceptions=True))
    assert not writer._held  # handed back once, whatever happened
    return outcomes


async def test_writes_that_wait_for_the_writer_are_committed_together(sqlite_store: SqlStore) -> None:
    groups = sqlite_store._groups
    assert groups is not None
    outcomes = await while_the_writer_is_held(sqlite_store, *(save(user) for user in people(10)))
    assert outcomes == [None] * 10
    assert (groups.groups, groups.writes) == (1, 10)
    assert await saved(sqlite_store) == {user.id for user in people(10)}


async def test_a_write_that_finds_the_writer_free_goes_alone_at_once(sqlite_store: SqlStore) -> None:
    groups = sqlite_store._groups
    assert groups is not None
    for user in people(3):
        await sqlite_store.run(save(user))
    assert (groups.groups, groups.writes) == (3, 3)


async def test_a_write_that_fails_is_rolled_back_alone(sqlite_store: SqlStore) -> None:
    ann, bob, cyd = people(3)

    def raced(tx: Transaction) -> None:
        tx.save_state(bob, ConversationState(), StoredState(ConversationState(), 0), AT)
        raise ConcurrentUpdate("bob's conversation changed meanwhile")

    outcomes = await while_the_writer_is_held(sqlite_store, save(ann), raced, save(cyd))
    assert outcomes[0] is None
    assert outcomes[2] is None
    assert isinstance(outcomes[1], ConcurrentUpdate)
    assert await saved(sqlite_store) == {ann.id, cyd.id}  # bob's half-done write is gone


async def test_a_refused_statement_fails_its_write_only(sqlite_store: SqlStore) -> None:
    ann, bob = people(2)

    def refused(session: Session) -> None:
        session.execute(sa.text("INSERT INTO no_such_table VALUES (1)"))

    writer = sqlite_store._one_writer
    assert writer is not None
    await writer.acquire()
    kept = asyncio.create_task(sqlite_store.run(save(ann)))
    failed = asyncio.create_task(sqlite_store._run(refused))
    also_kept = asyncio.create_task(sqlite_store.run(save(bob)))
    await asyncio.sleep(0.05)
    writer.release()
    outcomes = await asyncio.gather(kept, failed, also_kept, return_exceptions=True)
    assert outcomes[0] is None
    assert isinstance(outcomes[1], DatabaseUnavailable)
    assert outcomes[2] is None
    assert await saved(sqlite_store) == {ann.id, bob.id}


async def test_a_write_whose_error_ends_the_transaction_fails_the_whole_group(sqlite_store: SqlStore) -> None:
    """SQLite rolls a transaction back by itself on a full disk or an I/O error: the writes
    before in the group are gone too, and their callers must not be told otherwise."""
    ann, bob = people(2)

    def disk_error(session: Session) -> None:
        session.connection().exec_driver_sql("ROLLBACK")  # what SQLite does on SQLITE_IOERR
        raise sqlite3.OperationalError("disk I/O error")

    writer = sqlite_store._one_writer
    assert writer is not None
    await writer.acquire()
    tasks = [
        asyncio.create_task(sqlite_store.run(save(ann))),
        asyncio.create_task(sqlite_store._run(disk_error)),
        asyncio.create_task(sqlite_store.run(save(bob))),
    ]
    await asyncio.sleep(0.05)
    writer.release()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(outcome, DatabaseUnavailable) for outcome in outcomes)
    assert await saved(sqlite_store) == set()


async def test_a_write_sees_nothing_of_a_write_rolled_back_before_it(sqlite_store: SqlStore) -> None:
    """Each write has its own session: what a write that failed had loaded is not handed to the
    next one from a shared identity map."""
    (ann,) = people(1)
    await sqlite_store.run(save(ann))
    async with sqlite_store.engine.connect() as conn:
        found = await conn.execute(sa.select(col(User.id)).where(col(User.external_id) == ann.id))
        user_id = found.scalar_one()

    def changed_then_failed(session: Session) -> None:
        session.execute(sa.update(User).where(col(User.id) == user_id).values(language="fr"))
        assert session.get(User, user_id).language == "fr"  # type: ignore[union-attr]
        raise ConcurrentUpdate("raced")

    def language(session: Session) -> str | None:
        found = session.get(User, user_id)
        assert found is not None
        return found.language

    writer = sqlite_store._one_writer
    assert writer is not None
    await writer.acquire()
    failed = asyncio.create_task(sqlite_store._run(changed_then_failed))
    after = asyncio.create_task(sqlite_store._run(language))
    await asyncio.sleep(0.05)
    writer.release()
    outcomes = await asyncio.gather(failed, after, return_exceptions=True)
    assert isinstance(outcomes[0], ConcurrentUpdate)
    assert outcomes[1] is None


async def test_a_mark_goes_before_the_turns_waiting(sqlite_store: SqlStore) -> None:
    """Marks of replies delivered keep their place at the head of the line: a mark that waits
    behind turns and is then lost to a kill lets the sweep send the reply again."""
    order: list[str] = []
    writer = sqlite_store._one_writer
    assert writer is not None
    await writer.acquire()

    def turn(n: int) -> Callable[[Transaction], None]:
        return lambda _: order.append(f"turn {n}")

    turns = [asyncio.create_task(sqlite_store.run(turn(n))) for n in range(3)]
    await asyncio.sleep(0.05)
    mark = asyncio.create_task(sqlite_store._run(lambda _: order.append("mark"), priority=URGENT))
    await asyncio.sleep(0.05)
    writer.release()
    await asyncio.gather(*turns, mark)
    assert order[0] == "mark"
    assert sorted(order[1:]) == ["turn 0", "turn 1", "turn 2"]


async def test_a_group_holds_at_most_its_limit(sqlite_store: SqlStore) -> None:
    groups = sqlite_store._groups
    assert groups is not None
    outcomes = await while_the_writer_is_held(sqlite_store, *(save(user) for user in people(40)))
    assert outcomes == [None] * 40
    assert (groups.groups, groups.writes) == (3, 40)  # 16, 16 and 8
    assert len(await saved(sqlite_store)) == 40


async def test_a_fault_of_the_database_fails_the_whole_group(
    sqlite_store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann, bob = people(2)
    twin = sqlite_store._twin
    assert twin is not None

    def full(dbapi_connection: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(twin.dialect, "do_commit", full)
    outcomes = await while_the_writer_is_held(sqlite_store, save(ann), save(bob))
    assert all(isinstance(outcome, DatabaseUnavailable) for outcome in outcomes)
    monkeypatch.undo()
    assert await saved(sqlite_store) == set()
    # ... and tried again, both go through
    await asyncio.gather(sqlite_store.run(save(ann)), sqlite_store.run(save(bob)))
    assert await saved(sqlite_store) == {ann.id, bob.id}


async def test_a_write_cancelled_before_its_group_is_taken_is_not_written(sqlite_store: SqlStore) -> None:
    ann, bob = people(2)
    writer = sqlite_store._one_writer
    assert writer is not None
    await writer.acquire()
    kept = asyncio.create_task(sqlite_store.run(save(ann)))
    dropped = asyncio.create_task(sqlite_store.run(save(bob)))
    await asyncio.sleep(0.05)
    dropped.cancel()
    await asyncio.sleep(0)
    writer.release()
    await kept
    assert dropped.cancelled()
    assert await saved(sqlite_store) == {ann.id}


@settings(max_examples=15)
@given(fails=st.lists(st.booleans(), min_size=1, max_size=40))
def test_exactly_the_writes_that_succeed_are_committed(
    tmp_path_factory: pytest.TempPathFactory, fails: list[bool]
) -> None:
    """Any mix of writes that succeed and writes that fail, more than a group holds: each
    caller gets its own outcome, and the database holds exactly the ones that succeeded."""

    async def scenario() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('groups') / 'bot.db'}")
        await upgrade(engine)
        store = SqlStore(engine)
        try:
            users = people(len(fails))

            def write(user: UserRef, fail: bool) -> Callable[[Transaction], None]:
                def work(tx: Transaction) -> None:
                    save(user)(tx)
                    if fail:
                        raise ConcurrentUpdate(user.id)

                return work

            outcomes = await while_the_writer_is_held(
                store, *(write(user, fail) for user, fail in zip(users, fails, strict=True))
            )
            assert [isinstance(o, ConcurrentUpdate) for o in outcomes] == fails
            assert await saved(store) == {u.id for u, fail in zip(users, fails, strict=True) if not fail}
        finally:
            await store.close()

    asyncio.run(scenario())
