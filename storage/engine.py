"""The async engine: an SQLite file by default, any SQLAlchemy async URL (PostgreSQL via
asyncpg) in production, and the schema upgrade that runs on start."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.basics.errors import DatabaseUnavailable

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

HEAD = "0009"
"""The newest migration (a test checks it is Alembic's head): a start on a database already
there reads one row and never imports Alembic (and Mako and Pygments with it, about 12 MB)."""

READ_ONLY = "dt4e_read_only"
"""Execution option of a transaction that only reads: on SQLite it begins without the write lock."""


def create_engine(url: str, *, turns: int | None = None, **kwargs: Any) -> AsyncEngine:
    """Create the engine. For SQLite: make the file's folder and the file, readable by their
    owner only (:func:`_private_sqlite_file`); turn on WAL, a busy timeout and foreign keys; and
    take transactions into our own hands (``BEGIN IMMEDIATE``), because the sqlite3 driver
    otherwise starts them late and lets a SAVEPOINT's release commit early. Each
    transaction then holds the write lock from its start, so concurrent turns wait in line; one
    that only reads (the :data:`READ_ONLY` execution option) begins deferred and holds none.

    Statement parameters (what people wrote) never appear in SQLAlchemy's error messages, so no
    logged error carries them.

    ``turns``: how many conversation turns may run at once (the bridge's bound); a PostgreSQL
    pool then has a connection for each, and a few more for the broadcast sender, its lease and
    the outbox sweep, so that a burst waits in the bridge's line and not for a connection. A
    connection still not free after ``pool_timeout`` is "database unavailable", tried again."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            path = Path(database).expanduser()  # SQLite would open a folder named "~"
            _private_sqlite_file(path)
            parsed = parsed.set(database=str(path))
        engine = create_async_engine(parsed, hide_parameters=True, **kwargs)
        _sqlite_events(engine.sync_engine)
        return engine
    if turns is not None:
        kwargs = {"pool_size": turns + 4, "max_overflow": 8, "pool_timeout": 10, **kwargs}
    return create_async_engine(url, pool_pre_ping=True, hide_parameters=True, **kwargs)


PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600
"""Modes of the SQLite folder the bot makes and of the file it creates: what people wrote is in it."""


def _private_sqlite_file(path: Path) -> None:
    """Make the missing folders of ``path`` (each one 0700) and the empty database file (0600),
    before SQLite opens it; SQLite gives its -wal and -shm files the database file's mode.
    Folders and a file that exist already are left as they are. A file that cannot be created
    here is left to SQLite, whose error then names the database."""
    missing: list[Path] = []
    folder = path.parent
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        folder.mkdir(mode=PRIVATE_FOLDER, exist_ok=True)
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE))


def _sqlite_events(engine: sa.Engine) -> None:
    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection: sa.Connection) -> None:
        # A read (READ_ONLY) takes no write lock: in WAL mode it sees the last commit and
        # waits for nobody while a turn is being written.
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def sqlite_twin(engine: AsyncEngine) -> sa.Engine | None:
    """For an SQLite engine, a synchronous one on the same file (the sqlite3 driver, the same
    settings), for work done in one trip to a thread rather than one per statement; ``None``
    for any other database."""
    if engine.dialect.name != "sqlite":
        return None
    twin = sa.create_engine(engine.url.set(drivername="sqlite"), hide_parameters=True)
    _sqlite_events(twin)
    return twin


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _upgrade(connection: sa.Connection, revision: str) -> None:
    if revision in ("head", HEAD) and _revision(connection) == HEAD:
        return
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Create or upgrade the schema to ``revision``; raise :class:`DatabaseUnavailable` with one
    clear line if the database cannot be reached."""
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade, revision)
    except (OSError, sa.exc.SQLAlchemyError) as exc:
        raise DatabaseUnavailable(
            f"cannot open the database at {safe_url(engine)}: {first_line(exc)}. "
            "Check DT4E_DATABASE_URL and that the server is running."
        ) from exc


def _revision(connection: sa.Connection) -> str | None:
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


async def current_revision(connection: AsyncConnection) -> str | None:
    return await connection.run_sync(_revision)


def safe_url(engine: AsyncEngine) -> str:
    return engine.url.render_as_string(hide_password=True)


def first_line(exc: BaseException) -> str:
    """The first line of what the database said (SQLAlchemy's message adds the statement)."""
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip().splitlines()
    return text[0] if text else type(original).__name__
