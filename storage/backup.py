"""A consistent copy of an SQLite database while the bot runs, with SQLite's online backup API.

The copy is one read transaction on the source: in WAL mode it waits for no writer and holds
up no writer, and it has every row committed before it began and none committed after. It is
written to a new file of mode 0600 beside the target (readable by its owner only: what people
wrote is in it), which then takes the target's name, so a failed copy never leaves half a file
under that name.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from pathlib import Path

from bot.basics.errors import StorageError

BUSY_TIMEOUT = 10.0
"""Seconds the copy waits if the source is busy (opening a WAL database rarely is)."""


def backup_sqlite(source: Path, target: Path) -> int:
    """Copy the SQLite database ``source`` to ``target`` (replaced if it exists) and return the
    copy's size in bytes. ``source`` must exist: it is opened for reading and writing (a WAL
    database needs its -shm file) but never created."""
    descriptor, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    os.close(descriptor)  # mkstemp made it with mode 0600; SQLite writes it
    try:
        with (
            contextlib.closing(
                sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True, timeout=BUSY_TIMEOUT)
            ) as reading,
            contextlib.closing(sqlite3.connect(partial)) as writing,
        ):
            reading.backup(writing)
            writing.execute("PRAGMA journal_mode=DELETE")  # one file, readable even from read-only media
        os.replace(partial, target)
    except sqlite3.Error as exc:
        raise StorageError(f"cannot back up {source}: {exc}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)
    return target.stat().st_size
