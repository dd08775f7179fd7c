"""``dt4e-bot db backup`` and ``db copy`` as a deployer runs them, in a subprocess: a backup made
while another process writes, and a move of a database with real rows (a chat, imported and
invited participants) into an empty one, SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import sqlite3
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from storage.engine import create_engine
from storage.models import metadata
from tests.conftest import PG_URL
from tests.test_cli import dt4e

PEOPLE = (
    "reference,role,cohort,country,start_date,timezone,language,company\n"
    "T-0001,talent,2026-A,BE,2026-03-01,Asia/Amman,ar,\n"
    "T-0002,talent,2026-A,FR,,Asia/Beirut,fr,\n"
    "E-0001,employer,2026-A,SK,,Europe/Bratislava,en,Acme s.r.o.\n"
)
WRITER = """
import pathlib, sqlite3, sys

database, folder = sys.argv[1], pathlib.Path(sys.argv[2])
db = sqlite3.connect(database, isolation_level=None, timeout=30)
db.execute("PRAGMA wal_autocheckpoint=0")  # what it writes stays in the WAL: the copy must read it there
insert = "INSERT INTO processed_updates (channel, update_id, processed_at) VALUES ('writer', ?, ?)"
tick = 0
while not (folder / "stop").exists():
    db.execute("BEGIN IMMEDIATE")
    db.executemany(insert, [(f"{tick}-{i}", "2026-01-05 09:00:00.000000") for i in range(10)])
    db.execute("COMMIT")
    tick += 1
db.execute("BEGIN IMMEDIATE")
db.execute(insert, ("uncommitted", "2026-01-05 09:00:00.000000"))
(folder / "holding").touch()
sys.stdin.readline()
db.execute("COMMIT")
"""


def sqlite_env(path: Path) -> dict[str, str]:
    return {"DT4E_DATABASE_URL": f"sqlite+aiosqlite:///{path}", "DT4E_BOT_USERNAME": "dt4e_bot"}


def fill(env: dict[str, str], tmp_path: Path) -> None:
    """Real rows: a chat with a question the bot cannot answer, participants, an invitation."""
    chat = dt4e("chat", "--user", "rania", stdin="/start\n2\n1\nWhere can I buy a used car?\n", env=env)
    assert chat.returncode == 0, chat.stderr
    people = tmp_path / "people.csv"
    people.write_text(PEOPLE, encoding="utf-8")
    imported = dt4e("participants", "import", str(people), env=env)
    assert imported.returncode == 0, imported.stderr
    invited = dt4e("participants", "invite", "T-0001", env=env)
    assert invited.returncode == 0, invited.stderr


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with real rows (:func:`fill`), made once for the tests that copy it: four
    starts of dt4e-bot that each test would otherwise repeat."""
    folder = tmp_path_factory.mktemp("filled")
    fill(sqlite_env(folder / "bot.db"), folder)
    return folder / "bot.db"


def copy_of(filled: Path, path: Path) -> dict[str, str]:
    """A copy of the filled database at ``path`` (SQLite's backup: the WAL too), and its settings."""
    with (
        contextlib.closing(sqlite3.connect(filled)) as source,
        contextlib.closing(sqlite3.connect(path)) as target,
    ):
        source.backup(target)
    return sqlite_env(path)


def query(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return db.execute(sql).fetchall()


def writer_rows(path: Path) -> list[str]:
    return [row[0] for row in query(path, "SELECT update_id FROM processed_updates WHERE channel = 'writer'")]


def wait_for(path: Path) -> None:
    deadline = time.monotonic() + 60
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_a_backup_made_while_another_process_writes_holds_what_was_committed(
    tmp_path: Path, filled: Path
) -> None:
    live = tmp_path / "bot.db"
    env = copy_of(filled, live)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(live), str(tmp_path)], stdin=subprocess.PIPE, text=True
    )
    try:
        while len(writer_rows(live)) < 200:
            time.sleep(0.05)
        committed = writer_rows(live)
        during = dt4e("db", "backup", str(tmp_path / "during.db"), env=env)
        after = writer_rows(live)
        (tmp_path / "stop").touch()
        wait_for(tmp_path / "holding")
        held = dt4e("db", "backup", str(tmp_path / "held.db"), env=env)
        assert writer.stdin is not None
        writer.stdin.write("\n")
        writer.stdin.close()
        assert writer.wait(timeout=60) == 0
    finally:
        writer.kill()
    assert during.returncode == 0, during.stderr
    assert len(after) > len(committed), "the writer went on writing while the backup ran"
    copied = writer_rows(tmp_path / "during.db")
    assert set(committed) <= set(copied) <= set(after), "every row committed before, none invented"
    ticks = {row.split("-")[0] for row in copied}
    assert len(copied) == 10 * len(ticks), "each of the writer's transactions is there whole, or not at all"
    assert during.stdout.startswith(f"wrote {tmp_path / 'during.db'}: ")
    assert stat.S_IMODE((tmp_path / "during.db").stat().st_mode) == 0o600

    assert held.returncode == 0, f"a writer holding the write lock does not hold up the backup: {held.stderr}"
    assert "uncommitted" not in writer_rows(tmp_path / "held.db")
    assert "uncommitted" in writer_rows(live), "(it was committed afterwards)"
    assert query(tmp_path / "held.db", "PRAGMA integrity_check") == [("ok",)]
    opened = dt4e("participants", "list", env=sqlite_env(tmp_path / "during.db"))
    assert opened.returncode == 0, opened.stderr
    assert [line.split("\t")[0] for line in opened.stdout.splitlines()[1:]] == ["E-0001", "T-0001", "T-0002"]


def test_a_backup_replaces_a_file_only_when_forced(tmp_path: Path) -> None:
    env = sqlite_env(tmp_path / "bot.db")
    assert dt4e("db", "upgrade", env=env).returncode == 0
    target = tmp_path / "backup.db"
    target.write_text("last week's backup", encoding="utf-8")
    target.chmod(0o644)
    refused = dt4e("db", "backup", str(target), env=env)
    assert refused.returncode == 2
    assert refused.stderr.splitlines() == [
        f"dt4e-bot: error: {target} exists: name another file, or add --force to replace it"
    ]
    assert target.read_text(encoding="utf-8") == "last week's backup"
    forced = dt4e("db", "backup", str(target), "--force", env=env)
    assert forced.returncode == 0, forced.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert query(target, "SELECT count(*) FROM alembic_version") == [(1,)]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == [], "no partial file left"


def test_a_backup_of_postgresql_says_to_use_pg_dump(tmp_path: Path) -> None:
    target = tmp_path / "backup.db"
    result = dt4e(
        "db", "backup", str(target), env={"DT4E_DATABASE_URL": "postgresql+asyncpg://dt4e@127.0.0.1:9/dt4e"}
    )
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(
        "dt4e-bot: error: DT4E_DATABASE_URL is a PostgreSQL database: back it up with pg_dump"
    )
    assert not target.exists()


def test_a_backup_of_a_database_that_is_not_there_makes_none(tmp_path: Path) -> None:
    result = dt4e("db", "backup", str(tmp_path / "backup.db"), env=sqlite_env(tmp_path / "nothing.db"))
    assert result.returncode == 2
    assert "no SQLite database at" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "neither the database nor the copy is made"


Rows = dict[str, dict[tuple[Any, ...], tuple[Any, ...]]]


async def contents(url: str) -> Rows:
    """Every row of every table, by primary key, as SQLAlchemy reads it."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            found: Rows = {}
            for table in metadata.sorted_tables:
                rows = await connection.execute(sa.select(table))
                keys = [column.name for column in table.primary_key.columns]
                found[table.name] = {tuple(row._mapping[k] for k in keys): tuple(row) for row in rows}
            return found
    finally:
        await engine.dispose()


def printed_counts(stdout: str) -> dict[str, int]:
    return {name: int(count) for name, count in (line.split() for line in stdout.splitlines()[:-2])}


async def copy_and_check(tmp_path: Path, filled: Path, target_url: str) -> None:
    env = copy_of(filled, tmp_path / "bot.db")
    copied = dt4e("db", "copy", "--to", target_url, env=env)
    assert copied.returncode == 0, copied.stderr
    source, target = await contents(env["DT4E_DATABASE_URL"]), await contents(target_url)
    assert target == source
    assert printed_counts(copied.stdout) == {name: len(rows) for name, rows in source.items()}
    assert list(printed_counts(copied.stdout)) == [t.name for t in metadata.sorted_tables]
    for name in ("users", "conversation_states", "unanswered_questions", "participants", "invitations"):
        assert source[name], f"the source has {name}"
    assert "Set DT4E_DATABASE_URL to the new database" in copied.stdout

    moved = {**env, "DT4E_DATABASE_URL": target_url}
    chat = dt4e("chat", "--user", "omar", stdin="/start\n2\n1\n", env=moved)
    assert chat.returncode == 0, chat.stderr
    more = tmp_path / "more.csv"
    more.write_text("reference,role\nT-0003,talent\n", encoding="utf-8")
    added = dt4e("participants", "import", str(more), env=moved)
    assert added.returncode == 0, added.stderr
    after = await contents(target_url)
    assert max(after["users"]) == (max(source["users"])[0] + 1,), "new ids follow the copied ones"
    assert len(after["participants"]) == 4
    again = dt4e("db", "copy", "--to", target_url, env=env)
    assert again.returncode == 2
    assert again.stderr.startswith("dt4e-bot: error: the target database already holds rows (users, ")
    assert await contents(target_url) == after, "a refused copy changes nothing"


async def test_copy_moves_everything_into_an_empty_sqlite_database(tmp_path: Path, filled: Path) -> None:
    await copy_and_check(tmp_path, filled, f"sqlite+aiosqlite:///{tmp_path / 'second.db'}")


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh schema, named after a role of its own, whose URL therefore reaches that schema
    first (PostgreSQL's search_path starts with "$user"); both dropped after the test."""
    if not PG_URL:
        pytest.skip("DT4E_TEST_DATABASE_URL is not set: no PostgreSQL to test against")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    async with admin.begin() as conn:
        await conn.execute(sa.text(f'CREATE ROLE "{name}" LOGIN'))
        await conn.execute(sa.text(f'CREATE SCHEMA "{name}" AUTHORIZATION "{name}"'))
    try:
        yield make_url(PG_URL).set(username=name, password=None).render_as_string(hide_password=False)
    finally:
        async with admin.begin() as conn:
            await conn.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
            await conn.execute(sa.text(f'DROP ROLE "{name}"'))
        await admin.dispose()


@pytest.mark.postgres
async def test_copy_moves_everything_from_sqlite_into_a_fresh_postgresql_schema(
    tmp_path: Path, filled: Path, postgres_url: str
) -> None:
    await copy_and_check(tmp_path, filled, postgres_url)


@pytest.mark.postgres
async def test_a_copy_that_fails_part_way_leaves_the_target_empty(
    tmp_path: Path, filled: Path, postgres_url: str
) -> None:
    env = copy_of(filled, tmp_path / "bot.db")
    with contextlib.closing(sqlite3.connect(tmp_path / "bot.db")) as db, db:
        # copied first, then a row that PostgreSQL refuses (SQLite does not check VARCHAR(32))
        db.execute("INSERT INTO processed_updates VALUES ('telegram', '1', '2026-01-05 09:00:00.000000')")
        db.execute("UPDATE users SET channel = ? WHERE id = 1", ("x" * 40,))
    result = dt4e("db", "copy", "--to", postgres_url, env=env)
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("dt4e-bot: error: db copy failed in table users: ")
    assert line.endswith("; nothing was copied")
    assert all(not rows for rows in (await contents(postgres_url)).values())
