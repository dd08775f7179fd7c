"""Replies delivered whose marks are not yet in the database: kept here, written a few at a time
(one statement every :data:`MARK_EVERY`), and, with a journal, written down at once in a small
local file, so that a process killed, or stopped while the database is down, before their marks
are written does not send them again at its next start.

The journal is a folder (``DT4E_JOURNAL_DIR``). Each running bot appends to its own file, locked
while it runs: ``D 42`` once outbox entry 42 is done with, ``P 42 2`` once two of its messages
went out. At start a bot takes over the files nobody holds (those of processes that died or
stopped): their entries count as delivered, or as sent up to that message, and their marks go
out with the next ones. Each line is one ``write`` call, made as soon as Telegram accepted the
message: it survives the process being killed, not a power cut (then a reply may come twice).
Two instances on one host share the folder; an instance's file is read by whichever starts
next on its host, so a host that does not come back leaves its last replies to the sweep. A file
names its database (a hash of its URL without the password): one of another database is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
import os
import re
import secrets
from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import datetime
from pathlib import Path

log = logging.getLogger(__name__)

MARK_EVERY = 0.2
"""Seconds between two writes of the replies delivered (one statement for all of them)."""

COMPACT_AT = 1 << 20
"""Bytes a journal may reach before it is written again with only what is still unmarked."""


class Journal:
    """One bot's file in the journal folder (see the module's docstring)."""

    def __init__(self, folder: Path, database: str = "") -> None:
        self.folder = folder
        self.path = folder / f"{os.getpid()}-{secrets.token_hex(4)}.log"
        unsecret = re.sub(r"//([^:/@]*):[^@/]*@", r"//\1@", database)
        self.header = f"# database {hashlib.sha256(unsecret.encode()).hexdigest()[:16]}\n"
        self._fd: int | None = None
        self.size = 0

    def open(self) -> tuple[set[int], dict[int, int]]:
        """Create and lock this bot's file; take over the files nobody holds. Returns the
        entries they say are done, and how many messages of the others went out."""
        self.folder.mkdir(parents=True, exist_ok=True)
        opening = self.path.with_suffix(".new")  # locked before another start can see it
        self._fd = os.open(opening, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(self._fd, self.header.encode("ascii"))
        opening.rename(self.path)
        done: set[int] = set()
        parts: dict[int, int] = {}
        for other in sorted([*self.folder.glob("*.log"), *self.folder.glob("*.new")]):
            if other != self.path:
                self._take_over(other, done, parts)
        return done, {entry: count for entry, count in parts.items() if entry not in done}

    def _take_over(self, other: Path, done: set[int], parts: dict[int, int]) -> None:
        try:
            fd = os.open(other, os.O_RDONLY)
        except FileNotFoundError:
            return  # another starting bot took it
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # a running bot's
            if other.suffix == ".new":  # its bot died before it was named: nothing in it
                other.unlink(missing_ok=True)
                return
            with os.fdopen(os.dup(fd), "rb") as file:
                text = file.read().decode("ascii", "replace")
            if text.startswith("# database ") and not text.startswith(self.header):
                log.warning("journal %s is of another database: left alone", other)
                return
            its_done: set[int] = set()
            its_parts: dict[int, int] = {}
            for line in text.splitlines():
                match line.split():
                    case ["D", entry] if entry.isdigit():
                        its_done.add(int(entry))
                    case ["P", entry, count] if entry.isdigit() and count.isdigit():
                        its_parts[int(entry)] = max(its_parts.get(int(entry), 0), int(count))
            self.write(its_done, its_parts)  # ours now, before the dead one goes
            done |= its_done
            for number, sent in its_parts.items():
                parts[number] = max(parts.get(number, 0), sent)
            other.unlink(missing_ok=True)
        finally:
            os.close(fd)

    def write(self, done: Collection[int], parts: dict[int, int]) -> None:
        """Append lines for entries done and messages sent: one ``write`` call."""
        if self._fd is None:
            return
        lines = [f"D {entry}\n" for entry in done] + [
            f"P {e} {n}\n" for e, n in parts.items() if e not in done
        ]
        if lines:
            data = "".join(lines).encode("ascii")
            os.write(self._fd, data)
            self.size += len(data)

    def rewrite(self, done: Collection[int], parts: dict[int, int]) -> None:
        """Keep only these lines (nothing when both are empty)."""
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.write(self._fd, self.header.encode("ascii"))
            self.size = 0
            self.write(done, parts)

    def close(self, *, empty: bool) -> None:
        """Unlock; an empty journal's file goes (one with lines waits for the next start)."""
        if self._fd is None:
            return
        if empty:
            self.path.unlink(missing_ok=True)
        os.close(self._fd)
        self._fd = None


class Marks:
    """What was delivered and is not yet marked in the database, and what of an entry went out."""

    def __init__(
        self,
        write: Callable[[Sequence[int], datetime], Awaitable[None]],
        clock: Callable[[], datetime],
        journal: Journal | None = None,
    ) -> None:
        self._write = write
        self._clock = clock
        self.journal = journal
        self._sent: list[int] = []
        """Entries delivered whose mark is not being written yet."""
        self._unmarked: set[int] = set()
        """Entries delivered whose mark is not written yet (in ``_sent``, or being written)."""
        self._parts: dict[int, int] = {}
        """Messages of an entry sent so far, while the database may not know."""
        self._failing_since: float | None = None
        self._opened = False

    def open(self) -> None:
        """Read what earlier processes' journals say (once; a journal that cannot be written
        is logged and done without)."""
        if self._opened or self.journal is None:
            return
        self._opened = True
        try:
            done, parts = self.journal.open()
        except OSError as exc:
            log.error(
                "cannot keep the journal in %s (%s): replies delivered just before a crash may be sent again",
                self.journal.folder,
                exc,
            )
            self.journal = None
            return
        if done or parts:
            log.info(
                "journal: %d replies delivered and %d half sent before the last stop", len(done), len(parts)
            )
        self._sent.extend(sorted(done - self._unmarked))
        self._unmarked |= done
        self._parts.update(parts)

    def __contains__(self, entry: int) -> bool:
        """Delivered here, its mark not yet written."""
        return entry in self._unmarked

    def delivered(self, entry: int) -> None:
        """Done with this entry; written down at the next :meth:`mark`."""
        self._parts.pop(entry, None)
        self._sent.append(entry)
        self._unmarked.add(entry)
        self._note([entry], {})

    def sent(self, entry: int, parts: int) -> None:
        """The entry's first ``parts`` messages went out (more are to come)."""
        self._parts[entry] = parts
        self._note((), {entry: parts})

    def parts(self, entry: int, known: int) -> int:
        """Messages of the entry that went out: what the database knows, or more."""
        return max(known, self._parts.get(entry, 0))

    def released(self, entry: int) -> None:
        """The database has the entry's count of messages sent."""
        self._parts.pop(entry, None)

    def half_sent(self) -> frozenset[int]:
        """The entries with messages sent and more to come, as far as we know."""
        return frozenset(self._parts)

    def unsent_are(self, entries: Collection[int], *, among: Collection[int]) -> None:
        """The entries unsent in the database, read after ``among`` were :meth:`half_sent`: the
        others of those were finished (by another instance, say). One noted since the read
        began may be missing from it, and is kept."""
        for entry in [e for e in among if e in self._parts and e not in entries]:
            del self._parts[entry]

    def _note(self, done: Collection[int], parts: dict[int, int], *, anew: bool = False) -> None:
        if self.journal is None:
            return
        try:
            (self.journal.rewrite if anew else self.journal.write)(done, parts)
        except OSError as exc:
            log.error("cannot write the journal (%s); going on without it", exc)
            self.journal = None

    async def often(self) -> None:
        while True:
            await asyncio.sleep(MARK_EVERY)
            await self.mark()

    async def mark(self) -> None:
        """Write down the replies delivered since the last time, in one statement. Until it is
        written, their hold keeps the sweep away."""
        if not self._sent:
            return
        ids, self._sent = self._sent, []
        loop = asyncio.get_running_loop()
        try:
            await self._write(ids, self._clock())
        except asyncio.CancelledError:
            self._sent[:0] = ids
            raise
        except Exception as exc:
            self._sent[:0] = ids  # the next round tries again
            if self._failing_since is None or loop.time() - self._failing_since >= 10:
                log.warning("could not mark %d replies delivered for now: %s", len(ids), exc)
                self._failing_since = loop.time()  # and again at most every 10 s
            return
        self._unmarked.difference_update(ids)
        if self._failing_since is not None:
            log.info("replies marked delivered again")
            self._failing_since = None
        if self.journal is not None and (
            not (self._unmarked or self._parts) or self.journal.size > COMPACT_AT
        ):
            self._note(self._unmarked, dict(self._parts), anew=True)  # what is marked is forgotten

    async def flush(self, within: float) -> None:
        """At a stop: write the marks left, trying for ``within`` seconds (the database may
        come back in time); those still unwritten stay in the journal for the next start."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while self._sent and loop.time() < deadline:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.mark(), max(0.0, deadline - loop.time()))
            if self._sent:
                await asyncio.sleep(max(0.0, min(0.5, deadline - loop.time())))
        if self._sent:
            kept = "kept in the journal" if self.journal else "they may be sent again"
            log.warning("%d replies delivered could not be marked: %s", len(self._sent), kept)
        if self.journal is not None:
            self.journal.close(empty=not self._unmarked and not self._parts)
