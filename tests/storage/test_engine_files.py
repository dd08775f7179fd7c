"""The SQLite file holds what people wrote: the folder the engine makes and the database file it
creates (with SQLite's -wal and -shm beside it) are for their owner only, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from storage.engine import HEAD, alembic_config, create_engine, upgrade


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The common 022, under which files are world-readable unless the code says otherwise."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


async def test_a_new_database_and_its_folders_are_for_their_owner_only(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o755)
    database = tmp_path / "data" / "bot" / "dt4e-bot.db"
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    try:
        await upgrade(engine)
        async with engine.begin() as connection:  # a write, so the -wal and -shm files exist
            await connection.execute(sa.text("CREATE TABLE probe (x INTEGER)"))
            await connection.execute(sa.text("INSERT INTO probe VALUES (1)"))
            wal = database.with_name(database.name + "-wal")
            shm = database.with_name(database.name + "-shm")
            assert wal.exists()
            assert shm.exists()
            modes = {p.name: oct(mode(p)) for p in (database, wal, shm)}
    finally:
        await engine.dispose()
    assert modes == {"dt4e-bot.db": "0o600", "dt4e-bot.db-wal": "0o600", "dt4e-bot.db-shm": "0o600"}
    assert oct(mode(tmp_path / "data")) == "0o700"
    assert oct(mode(tmp_path / "data" / "bot")) == "0o700"
    assert oct(mode(tmp_path)) == "0o755", "a folder that was there is left as it was"


async def test_an_existing_database_keeps_its_mode(tmp_path: Path) -> None:
    database = tmp_path / "shared.db"
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    await upgrade(engine)
    await engine.dispose()
    os.chmod(database, 0o640)  # the deployer's choice (a backup group, say)
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    assert oct(mode(database)) == "0o640"


async def test_a_file_it_cannot_create_is_left_for_sqlite_to_report(tmp_path: Path) -> None:
    taken = tmp_path / "bot.db"
    taken.mkdir()  # a folder where the file should be: upgrade's DatabaseUnavailable names it
    engine = create_engine(f"sqlite+aiosqlite:///{taken}")
    await engine.dispose()
    assert taken.is_dir()


async def test_a_database_under_home_is_opened_there(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    engine = create_engine("sqlite+aiosqlite:///~/dt4e/bot.db")
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    assert oct(mode(tmp_path / "home" / "dt4e" / "bot.db")) == "0o600"
    assert not (tmp_path / "~").exists(), "SQLite opened the path it was given, not the one in HOME"


def test_head_is_the_newest_migration() -> None:
    """A start skips Alembic when the database is at ``HEAD``: a new migration must move it."""
    from alembic.script import ScriptDirectory

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD
