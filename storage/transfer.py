"""Everything in one database copied into another, empty one: how a deployment moves from SQLite
to PostgreSQL (``dt4e-bot db copy``).

Both are at the current schema (the caller upgrades them). The tables of :mod:`storage.models`
are copied in foreign-key order, each in the order of its primary key, from one snapshot of the
source (a read transaction) into one transaction on the target, which is refused if any table
already holds a row. PostgreSQL's id sequences are then moved past the copied ids, so the rows
the bot adds next do not collide with them. A failure leaves the target as empty as it was.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.basics.errors import ConfigurationError, StorageError
from storage.engine import READ_ONLY, first_line
from storage.models import metadata

BATCH = 1000
"""Rows read and inserted at a time."""


async def copy_database(source: AsyncEngine, target: AsyncEngine) -> dict[str, int]:
    """Copy every row of ``source`` into ``target``; the number of rows of each table, in the
    order they were copied. Raise :class:`ConfigurationError` if ``target`` holds rows, and
    :class:`StorageError` if a row cannot be read or written."""
    copied: dict[str, int] = {}
    table: sa.Table | None = None
    try:
        async with source.connect() as reading, target.begin() as writing:
            filled = await _filled_tables(writing)
            if filled:
                raise ConfigurationError(
                    f"the target database already holds rows ({', '.join(filled)}): "
                    "db copy only fills an empty database; create a new one for it"
                )
            reading = await reading.execution_options(**_snapshot(source))
            async with reading.begin():
                for table in metadata.sorted_tables:
                    copied[table.name] = await _copy_table(table, reading, writing)
            table = None
            if writing.dialect.name == "postgresql":
                await _reset_sequences(writing)
    except (OSError, sa.exc.SQLAlchemyError) as exc:
        where = f" in table {table.name}" if table is not None else ""
        raise StorageError(f"db copy failed{where}: {first_line(exc)}; nothing was copied") from exc
    return copied


def _snapshot(engine: AsyncEngine) -> dict[str, object]:
    """Execution options of a transaction that reads every table as of one moment."""
    if engine.dialect.name == "sqlite":
        return {READ_ONLY: True}  # in WAL mode a read transaction sees the last commit before it
    return {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}


async def _filled_tables(connection: AsyncConnection) -> list[str]:
    filled = []
    for table in metadata.sorted_tables:
        if (await connection.execute(sa.select(sa.literal(1)).select_from(table).limit(1))).first():
            filled.append(table.name)
    return filled


async def _copy_table(table: sa.Table, reading: AsyncConnection, writing: AsyncConnection) -> int:
    count = 0
    rows = await reading.stream(sa.select(table).order_by(*table.primary_key.columns))
    async for batch in rows.partitions(BATCH):
        await writing.execute(table.insert(), [dict(row._mapping) for row in batch])
        count += len(batch)
    return count


async def _reset_sequences(connection: AsyncConnection) -> None:
    """Make each table's id sequence give the next id after the largest copied one."""
    for table in metadata.sorted_tables:
        column = table.autoincrement_column
        if column is None:
            continue
        sequence = sa.func.pg_get_serial_sequence(table.name, column.name)
        following = sa.select(sa.func.coalesce(sa.func.max(column), 0) + 1).scalar_subquery()
        await connection.execute(sa.select(sa.func.setval(sequence, following, False)))
