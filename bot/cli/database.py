"""``dt4e-bot db upgrade|backup|copy``: the schema, a consistent backup of the SQLite file while
the bot runs, and a move of everything into another database (from SQLite to PostgreSQL)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.common import Commands, UsageError, command, keep_password

if TYPE_CHECKING:
    from bot.settings import Settings


def add_commands(commands: Commands) -> None:
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    command(db_commands, "upgrade", _upgrade, help="create or upgrade the schema (also done on every start)")
    backup = command(
        db_commands,
        "backup",
        _backup,
        help="a consistent copy of the SQLite database, made while the bot runs (PostgreSQL: pg_dump)",
    )
    backup.add_argument("file", type=Path, help="the copy to write (readable by its owner only)")
    backup.add_argument("--force", action="store_true", help="replace FILE if it exists")
    copy = command(
        db_commands,
        "copy",
        _copy,
        help="copy everything into another, empty database, such as PostgreSQL (stop the bot first)",
    )
    copy.add_argument(
        "--to",
        required=True,
        metavar="URL",
        help="the target's SQLAlchemy async URL, such as postgresql+asyncpg://user:password@host:5432/dbname",
    )


async def _upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from storage.engine import create_engine, safe_url, upgrade

    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    print(f"database schema up to date: {safe_url(engine)}")
    return 0


async def _backup(args: argparse.Namespace, settings: Settings) -> int:
    if settings.database_url.startswith("postgresql"):
        raise UsageError(
            "DT4E_DATABASE_URL is a PostgreSQL database: back it up with pg_dump instead "
            "(pg_dump --format=custom --file=FILE DBNAME; pg_restore restores it)"
        )
    return _backup_to(_sqlite_file(settings, "nothing to back up"), args.file, force=args.force)


def _backup_to(source: Path, target: Path, *, force: bool) -> int:
    from storage.backup import backup_sqlite

    if target.is_dir():
        raise UsageError(f"{target} is a folder: name the file to write, such as {target / source.name}")
    if target.exists() and target.resolve() == source.resolve():
        raise UsageError(f"{target} is the database itself: name another file")
    if target.exists() and not force:
        raise UsageError(f"{target} exists: name another file, or add --force to replace it")
    try:
        size = backup_sqlite(source, target)
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror}") from exc
    print(f"wrote {target}: {size:,} bytes ({size / 1e6:.1f} MB), a consistent copy of {source}")
    return 0


async def _copy(args: argparse.Namespace, settings: Settings) -> int:
    from bot.settings import check_database_url
    from storage.engine import create_engine, safe_url, upgrade
    from storage.transfer import copy_database

    try:
        target_url = check_database_url(args.to)
    except ValueError as exc:
        raise UsageError(f"--to: {exc}") from None
    keep_password(target_url)
    if settings.sqlite_path is not None:
        _sqlite_file(settings, "nothing to copy")
    source, target = create_engine(settings.database_url), create_engine(target_url)
    try:
        await upgrade(source)
        await upgrade(target)
        copied = await copy_database(source, target)
    finally:
        await source.dispose()
        await target.dispose()
    width = max(len(name) for name in copied)
    for name, count in copied.items():
        print(f"{name:<{width}} {count:>8}")
    print(f"copied {sum(copied.values())} rows from {safe_url(source)} to {safe_url(target)}")
    print("Set DT4E_DATABASE_URL to the new database, then start the bot.")
    return 0


def _sqlite_file(settings: Settings, otherwise: str) -> Path:
    """The SQLite file DT4E_DATABASE_URL names, which must exist (SQLite would make an empty one)."""
    path = settings.sqlite_path
    if path is None or not path.expanduser().is_file():
        raise UsageError(
            f"DT4E_DATABASE_URL: no SQLite database at {path or settings.database_url}, {otherwise} "
            "(run this in the bot's folder, where its .env is)"
        )
    return path.expanduser()
