"""The journal of replies delivered: a reply Telegram accepted whose mark the database could not
take before the process went is not sent again by the next start, nor are the messages of a
half-sent turn; a running bot's journal is never taken over; a damaged or unwritable journal
never stops the bot."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.basics.errors import DatabaseUnavailable
from bot.channels.telegram.marks import Journal, Marks
from bot.service import ConversationService
from tests.channels.harness import handled, running
from tests.channels.test_outbox import USER, choose_english_with_a_flood_on_the_second_message, unsent
from tests.fake_telegram import FakeTelegram

DOWN = DatabaseUnavailable("the database cannot be used now: connection refused")


async def restart_after_the_holds(
    channel: str, service: ConversationService, tg: FakeTelegram, journal: Path | None
) -> None:
    """Start again once the dead process's holds have expired, and sweep."""
    polls = len(tg.calls_to("getUpdates"))
    async with running(channel, service, tg, journal=journal) as bot:
        await tg.wait_for_calls("getUpdates", polls + 1)  # started: the outbox was read
        later = datetime.now(UTC) + timedelta(minutes=2)
        bot.bridge.clock = lambda: later
        await bot.bridge.resend_undelivered()
        await bot.bridge.outbox.marks.mark()


@pytest.mark.parametrize("kept", [True, False], ids=["journal", "no-journal"])
async def test_a_reply_delivered_and_not_marked_is_not_sent_again_by_the_next_start(
    channel: str,
    tg: FakeTelegram,
    service: ConversationService,
    db: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    kept: bool,
) -> None:
    """The database goes down right after a reply went out, and the bot is stopped: the mark
    was never written. With the journal, the next start writes it and sends nothing again;
    without it, the reply comes twice (what the journal is for)."""
    journal = tmp_path / "journal" if kept else None
    tg.add_user(USER)
    real = service.delivered

    async def down(outbox_ids: Sequence[int], at: datetime) -> None:
        raise DOWN

    monkeypatch.setattr(service, "delivered", down)
    async with running(channel, service, tg, journal=journal, shutdown_timeout=0.5) as bot:
        tg.send_text(USER, "/help", language_code="en")
        await tg.wait_for_sent(USER, 1)
        await handled(bot, 1)
    assert await unsent(db) == 1, "the mark could not be written"
    monkeypatch.setattr(service, "delivered", real)
    await restart_after_the_holds(channel, service, tg, journal)
    texts = [m.text or "" for m in tg.sent(USER)]
    if kept:
        assert len(texts) == 1, texts
        assert await unsent(db) == 0, "the journal's mark is written at the next start"
        assert list((tmp_path / "journal").iterdir()) == [], "an empty journal leaves no file"
    else:
        assert len(texts) == 2, texts
        assert texts[0] == texts[1]


async def test_the_messages_of_a_half_sent_turn_are_not_sent_again(
    channel: str,
    tg: FakeTelegram,
    service: ConversationService,
    db: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """A turn's first message went out, the second hit a flood wait, and the database could
    not take the count: the next start sends only the second."""

    async def down(outbox_id: int, parts_sent: int) -> None:
        raise DOWN

    monkeypatch.setattr(service, "release", down)
    tg.add_user(USER)
    async with running(channel, service, tg, journal=tmp_path) as bot:
        await choose_english_with_a_flood_on_the_second_message(bot, tg, monkeypatch)
    assert [m.text for m in tg.sent(USER)][1:] == ["Language set to English."]
    monkeypatch.undo()
    await restart_after_the_holds(channel, service, tg, tmp_path)
    texts = [m.text or "" for m in tg.sent(USER)]
    assert texts[1:2] == ["Language set to English."], texts
    assert texts[2].startswith("Are you a candidate"), texts
    assert len(texts) == 3, texts
    assert await unsent(db) == 0


def test_a_running_bot_s_journal_is_not_taken_over_and_a_dead_one_s_is(tmp_path: Path) -> None:
    running_one, dead = Journal(tmp_path), Journal(tmp_path)
    running_one.open()
    running_one.write([1], {2: 1})
    dead.path = tmp_path / "dead.log"
    dead.open()
    dead.write([3], {4: 2, 5: 1})
    dead.write([5], {4: 3})
    os.close(dead._fd or 0)  # the process died: its lock went with it
    third = Journal(tmp_path)
    assert third.open() == ({3, 5}, {4: 3})
    assert not dead.path.exists(), "taken over"
    assert running_one.path.exists()
    assert Journal(tmp_path).open() == (set(), {}), "a running bot's journal is left to it"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(garbage=st.binary(max_size=300))
def test_a_damaged_journal_is_read_for_what_it_says(
    tmp_path_factory: pytest.TempPathFactory, garbage: bytes
) -> None:
    """Whatever a journal file holds (a line cut by the kill, junk), a start reads its whole
    lines and goes on."""
    folder = tmp_path_factory.mktemp("journal")
    (folder / "old.log").write_bytes(b"D 7\nP 8 2\n" + garbage)
    done, parts = Journal(folder).open()
    assert 7 in done
    assert 8 in done or parts.get(8, 0) >= 2


async def test_an_unwritable_journal_is_logged_and_the_bot_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    written: list[int] = []

    async def write(ids: Sequence[int], at: datetime) -> None:
        written.extend(ids)

    marks = Marks(write, lambda: datetime.now(UTC), Journal(blocker / "journal"))
    with caplog.at_level(logging.ERROR):
        marks.open()
    assert "cannot keep the journal" in caplog.text
    marks.delivered(9)
    await marks.mark()
    assert written == [9]


def lines(journal: Journal) -> list[str]:
    return [line for line in journal.path.read_text().splitlines() if not line.startswith("#")]


async def test_the_journal_forgets_what_the_database_has(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def write(ids: Sequence[int], at: datetime) -> None:
        pass

    journal = Journal(tmp_path)
    marks = Marks(write, lambda: datetime.now(UTC), journal)
    marks.open()
    marks.sent(1, 1)
    marks.delivered(2)
    await marks.mark()
    assert lines(journal) == ["P 1 1", "D 2"], "written again only when all is marked, or when big"
    marks.delivered(3)
    monkeypatch.setattr("bot.channels.telegram.marks.COMPACT_AT", 10)
    await marks.mark()
    assert lines(journal) == ["P 1 1"], "entries 2 and 3 are marked; entry 1 still half sent"
    marks.delivered(1)
    await marks.mark()
    assert lines(journal) == []
    await marks.flush(1.0)
    assert not journal.path.exists()


def test_a_journal_of_another_database_is_left_alone(tmp_path: Path) -> None:
    """A folder shared by bots of two databases (or a database changed): outbox ids of one say
    nothing of the other's; the password is no part of what names a database."""
    sqlite = Journal(tmp_path, "sqlite+aiosqlite:///data/dt4e-bot.db")
    sqlite.open()
    sqlite.write([1], {})
    os.close(sqlite._fd or 0)
    assert Journal(tmp_path, "postgresql+asyncpg://bot:secret@db/dt4e").open() == (set(), {})
    assert sqlite.path.exists()
    assert "secret" not in Journal(tmp_path, "postgresql+asyncpg://bot:secret@db/dt4e").header
    same = Journal(tmp_path, "postgresql+asyncpg://bot:other@db/dt4e").header
    assert same == Journal(tmp_path, "postgresql+asyncpg://bot:secret@db/dt4e").header
    assert Journal(tmp_path, "sqlite+aiosqlite:///data/dt4e-bot.db").open() == ({1}, {})


def test_a_journal_is_locked_before_another_start_can_see_it(tmp_path: Path) -> None:
    """Created under another name and renamed once locked: a bot starting at the same moment
    never takes over a file whose owner is still opening it; one left by a death in between
    is cleared by the next start."""
    (tmp_path / "died-opening.new").write_text("# database x\n")
    journal = Journal(tmp_path)
    journal.open()
    assert sorted(p.name for p in tmp_path.iterdir()) == [journal.path.name]
    assert journal.path.read_text().startswith("# database ")


def test_a_count_noted_while_the_outbox_is_read_is_kept() -> None:
    """The sweep forgets the counts of entries the database no longer has unsent, but not one
    noted after its read began (that entry's turn may have been committed after the read)."""

    async def write(ids: Sequence[int], at: datetime) -> None:
        pass

    marks = Marks(write, lambda: datetime.now(UTC))
    marks.sent(1, 1)
    marks.sent(2, 1)
    noted = marks.half_sent()
    marks.sent(3, 2)  # while the read runs
    marks.unsent_are({2}, among=noted)
    assert (marks.parts(1, 0), marks.parts(2, 0), marks.parts(3, 0)) == (0, 1, 2)


def test_two_dead_journals_are_taken_over_each_line_once(tmp_path: Path) -> None:
    for name, line in (("a.log", "D 1\nP 3 1\n"), ("b.log", "D 2\nP 3 2\n")):
        (tmp_path / name).write_text(Journal(tmp_path).header + line)
    journal = Journal(tmp_path)
    assert journal.open() == ({1, 2}, {3: 2})
    assert sorted(lines(journal)) == ["D 1", "D 2", "P 3 1", "P 3 2"]
