"""Load benchmark: the real ``dt4e-bot run`` (a subprocess) under load from many Telegram users,
side by side with a bare echo bot of the same framework, against the fake Bot API server.

For each framework (aiogram, python-telegram-bot) it runs, one bot at a time: the echo bot
(``bench/echo_aiogram.py``, ``bench/echo_ptb.py``: the ceiling), then dt4e-bot on SQLite (a file
in a temporary folder), then dt4e-bot on PostgreSQL (a fresh database ``bench_load_<pid>_<framework>``
on ``--postgres-url``, dropped after; skipped when that server does not answer). The load users
are participants already connected on Telegram (the broadcast benchmark's crowd, written into
the database: what invitation links opened over months leave behind), in Arabic, English and
French; they ask FAQ questions in their language, a thank-you and a greeting. Each bot gets:

1. calibration, at low load: a known user of each language asks every question twice (a first
   time, and again), and first-time users ask each once; the messages the bot sends until the
   chat is quiet make the expected reply (a turn may send more than one message: the greeting
   brings the menu). From then on a turn's latency runs from the fake server queueing the update
   to the first of them reaching sendMessage, and the turn is done at the last.
2. the **closed loop**: ``--users`` users each ask, wait for the whole reply and ask again;
   turns done per second over ``--window`` seconds after ``--warmup``.
3. the **open loop** at each of ``--rates`` updates a second for ``--rate-seconds``, the same
   users round-robin, whatever the replies: the achieved rate (answers over the time they took
   to come), p50 and p99 latency, and what was never answered within ``--drain`` seconds.
4. a **burst**: ``--burst`` users writing for the first time, one question each, all queued at
   once (well within a second): answered, never answered (within ``--burst-drain``), answered
   twice (more messages than expected, within ``--settle`` seconds more), and the time from the
   first update queued to the last answer.

Measured in every phase: the bot process's CPU per update (utime + stime, /proc/PID/stat), its
cores, its RSS (idle after the start, the most sampled under load, VmHWM at the end); for
PostgreSQL the server's CPU for the bot (its backends on the database, the WAL writer, the
background writer and the checkpointer); this process's CPU, which is the fake server and the
load generator together: when it nears one core, the harness and not the bot is the limit
(compare with the echo bots); and the rest of the machine's busy CPU (other people's work on a
shared machine, the figures' noise).

The fake server's pacing enforcement is off and the bot's ``DT4E_SEND_RATE`` is ``--send-rate``
(1,000 by default, the most it accepts): the figures are the bot's, not Telegram's limits. A
chat's messages are matched to its oldest turn still waiting (to the one whose first text they
are, if a bot answers a chat's updates out of order, as PTB's echo bot with concurrent updates
does); messages to a chat with no turn waiting count as extra (answered twice).

Results: ``bench/results/load.json`` (the machine, the commit and the command line with them),
and a table on standard output with the dt4e/echo ratios of this same run. The default run takes
about ten minutes on a 2-CPU machine; ``--quick`` about one.

    python -m bench.load [--quick] [--users 500] [--rates 25,50,100,200] [--burst 1000] ...
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import dataclasses
import json
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench.broadcast import ROOT, TOKEN, percentile, rss_mb
from bench.machine import git_state
from bench.report import latest_run, update_section
from storage.engine import create_engine, upgrade
from tests import crowd
from tests.fake_telegram import FakeTelegram, JsonDict

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

RESULTS = ROOT / "bench" / "results" / "load.json"
FRAMEWORKS: Final = ("aiogram", "ptb")
DATABASES: Final = ("sqlite", "postgresql")
LANGS: Final = ("en", "fr", "ar")
QUESTIONS: Final[dict[str, tuple[str, ...]]] = {
    "en": (
        "How long does the visa take?",
        "Can I bring my family with me?",
        "Who pays for the flight ticket?",
        "Will the employer help me find housing?",
        "Thank you!",
        "Hello",
    ),
    "fr": (
        "Combien coûte le recrutement ?",
        "Combien de temps dure la procédure ?",
        "Est-ce que je peux venir avec ma famille ?",
        "Qui paie le billet d'avion ?",
        "Merci beaucoup",
        "Bonjour",
    ),
    "ar": (
        "كم تستغرق التأشيرة؟",
        "هل يمكنني إحضار عائلتي معي؟",
        "من يدفع تذكرة الطيران؟",
        "هل يوفر صاحب العمل سكنًا؟",
        "شكرا",
        "مرحبا",
    ),
}
LOAD_FIRST: Final = 1_000_000
"""Chat ids of the load users; calibration and burst users come from their own ranges."""
CALIBRATION_FIRST: Final = 2_000_000
FRESH_CALIBRATION_FIRST: Final = 2_100_000
BURST_FIRST: Final = 3_000_000
QUIET: float = 0.5
"""Seconds without a message after which a calibration turn is taken as complete (more on a busy
machine, where a turn's messages come further apart: ``bench.webhook`` and ``bench.participants``
set it to 1)."""
TURN_TIMEOUT: Final = 60.0
"""Seconds a closed-loop user waits for a reply before asking again without it."""
CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK")
PG_AUXILIARY: Final = ("walwriter", "background writer", "checkpointer")


# ------------------------------------------------------------------ measuring processes


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` in seconds, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def processes_cpu(pids: Sequence[int]) -> dict[int, float]:
    found: dict[int, float] = {}
    for pid in pids:
        with contextlib.suppress(OSError):  # gone meanwhile
            found[pid] = cpu_seconds(pid)
    return found


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (all CPUs), from /proc/stat."""
    user, nice, system, _idle, _iowait, irq, softirq = Path("/proc/stat").read_text().split()[1:8]
    return sum(int(ticks) for ticks in (user, nice, system, irq, softirq)) / CLOCK_TICKS


@dataclass(frozen=True)
class Snapshot:
    at: float
    bot: float
    harness: float
    db: dict[int, float] | None
    machine: float


class Probe:
    """CPU of the bot, of this process (the fake server and the load) and of PostgreSQL's
    processes working for the bot's database; RSS of the bot sampled in the background."""

    def __init__(self, pid: int, admin: AsyncEngine | None, database: str | None) -> None:
        self.pid = pid
        self.admin = admin
        self.database = database
        self.rss: list[tuple[float, float]] = []
        self._sampler: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Probe:
        self._sampler = asyncio.create_task(self._sample())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._sampler is not None:
            self._sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sampler

    async def _sample(self) -> None:
        while True:
            with contextlib.suppress(OSError):
                self.rss.append((time.monotonic(), rss_mb(self.pid)[0]))
            await asyncio.sleep(0.25)

    async def take(self) -> Snapshot:
        db = None
        if self.admin is not None:
            async with self.admin.connect() as conn:
                rows = await conn.execute(
                    text("SELECT pid FROM pg_stat_activity WHERE datname = :db OR backend_type = ANY(:aux)"),
                    {"db": self.database, "aux": list(PG_AUXILIARY)},
                )
                db = processes_cpu([int(pid) for (pid,) in rows])
        return Snapshot(
            time.monotonic(), cpu_seconds(self.pid), time.process_time(), db, machine_busy_seconds()
        )

    def usage(self, a: Snapshot, b: Snapshot, updates: int) -> dict[str, Any]:
        """CPU per update and in cores between two snapshots, and the most RSS sampled."""
        wall = max(b.at - a.at, 1e-9)
        bot = b.bot - a.bot
        per = max(updates, 1)
        found: dict[str, Any] = {
            "bot_cpu_ms_per_update": round(1000 * bot / per, 3),
            "bot_cores": round(bot / wall, 3),
            "harness_cores": round((b.harness - a.harness) / wall, 3),
        }
        db = 0.0
        if a.db is not None and b.db is not None:
            db = sum(seconds - a.db.get(pid, 0.0) for pid, seconds in b.db.items())
            found["db_cpu_ms_per_update"] = round(1000 * db / per, 3)
            found["db_cores"] = round(db / wall, 3)
        # What else ran on the machine meanwhile (other people's work): the figures' noise.
        others = (b.machine - a.machine) - bot - (b.harness - a.harness) - db
        found["other_cores"] = round(max(0.0, others) / wall, 3)
        samples = [mb for at, mb in self.rss if a.at <= at <= b.at]
        found["rss_max_mb"] = round(max(samples), 1) if samples else None
        return found


# ------------------------------------------------------------------------ the traffic


class LoadTelegram(FakeTelegram):
    """The fake Bot API server, telling the load generator of each message as it arrives (the
    ``wait_for_*`` methods wake every waiter at every change: too slow for thousands)."""

    def __init__(self, token: str) -> None:
        super().__init__(token=token)
        self.on_message: Callable[[int, str, float], None] = lambda chat, text, at: None

    async def _send_message(self, params: JsonDict) -> JsonDict:
        arrived = time.monotonic()
        message = await super()._send_message(params)
        self.on_message(int(message["chat"]["id"]), str(message.get("text") or ""), arrived)
        return message


@dataclass(frozen=True)
class Expect:
    """What a turn brings: how many messages, and the text of the first."""

    count: int
    first: str


@dataclass
class User:
    chat: int
    lang: str
    known: bool
    """A participant the bot knows (else writing for the first time)."""
    asked: int = 0

    def next_question(self) -> tuple[str, ExpectKey]:
        questions = QUESTIONS[self.lang]
        question = questions[self.asked % len(questions)]
        key = (self.lang, self.known, question, self.asked < len(questions))
        self.asked += 1
        return question, key


ExpectKey = tuple[str, bool, str, bool]
"""Language, known user, question, asked for the first time."""


@dataclass(eq=False)
class Turn:
    chat: int
    expected: int
    first_text: str
    sent: float
    waiter: asyncio.Future[None]
    first: float | None = None
    done: float | None = None
    got: int = 0
    extra: int = 0
    """Messages to this chat after this turn was complete and before another began."""
    mismatch: bool = False
    """The first message is not the one calibration saw."""

    @property
    def latency(self) -> float | None:
        return None if self.first is None else self.first - self.sent


class Traffic:
    """Every turn sent, and the bot's messages matched to them as they arrive: a chat's
    messages go to its oldest unfinished turn (the bot answers a chat's updates in order), and
    those that come when none is waiting count as extra for the chat's last turn."""

    def __init__(self, tg: LoadTelegram) -> None:
        self.tg = tg
        tg.on_message = self._received
        self.count: collections.Counter[int] = collections.Counter()
        self.expect: dict[ExpectKey, Expect] = {}
        self.pending: dict[int, collections.deque[Turn]] = {}
        self.last: dict[int, Turn] = {}
        self.unexpected = 0
        self.mismatched = 0
        self.out_of_order = 0
        self._events: dict[int, asyncio.Event] = {}

    def _received(self, chat: int, text: str, at: float) -> None:
        self.count[chat] += 1
        if (event := self._events.pop(chat, None)) is not None:
            event.set()
        queue = self.pending.get(chat)
        if queue is None:
            return  # a calibration chat
        if not queue:
            self.unexpected += 1
            if (last := self.last.get(chat)) is not None:
                last.extra += 1
            return
        # A turn's messages come together; a new one belongs to the oldest turn waiting for that
        # first text (a bot that answers a chat's updates concurrently, as PTB's echo does, may
        # answer them out of order), else to the oldest turn.
        turn = next((t for t in queue if t.got), None)
        if turn is None:
            turn = next((t for t in queue if t.first_text == text), queue[0])
            turn.first = at
            if turn is not queue[0]:
                self.out_of_order += 1
            if text != turn.first_text:
                turn.mismatch = True
                self.mismatched += 1
        turn.got += 1
        if turn.got >= turn.expected:
            turn.done = at
            queue.remove(turn)
            self.last[chat] = turn
            if not turn.waiter.done():
                turn.waiter.set_result(None)

    def ask(self, user: User) -> Turn:
        """``user`` asks their next question (the update is queued) and expects its reply."""
        question, key = user.next_question()
        expect = self.expect[key]
        self.tg.send_text(user.chat, question, language_code=user.lang)
        loop = asyncio.get_running_loop()
        turn = Turn(user.chat, expect.count, expect.first, time.monotonic(), loop.create_future())
        self.pending.setdefault(user.chat, collections.deque()).append(turn)
        return turn

    async def settle(self, chat: int, before: int, timeout: float) -> int:  # noqa: ASYNC109
        """Wait for a first message after ``before`` (``timeout`` at most), then for ``QUIET``
        seconds without one; how many came."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.count[chat] <= before:
            if not await self._next(chat, deadline - loop.time()):
                return 0
        while await self._next(chat, QUIET):
            pass
        return self.count[chat] - before

    async def _next(self, chat: int, timeout: float) -> bool:  # noqa: ASYNC109
        if timeout <= 0:
            return False
        event = self._events.setdefault(chat, asyncio.Event())
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return False
        return True


async def learn(traffic: Traffic, user: User) -> None:
    """Calibration: ``user`` asks their next question, and the reply is what comes until the
    chat is quiet."""
    before = traffic.count[user.chat]
    question, key = user.next_question()
    traffic.tg.send_text(user.chat, question, language_code=user.lang)
    if not await traffic.settle(user.chat, before, timeout=TURN_TIMEOUT):
        raise RuntimeError(f"calibration: no reply in chat {user.chat} within {TURN_TIMEOUT:g} s")
    new = [m.text or "" for m in traffic.tg.sent(user.chat) if m.kind == "text"][before:]
    traffic.expect[key] = Expect(len(new), new[0])


async def calibrate(traffic: Traffic) -> None:
    """Learn, at low load, the reply to each question: from a known user of each language (every
    question twice, for a first time and a later one) and from first-time users."""

    async def known(user: User) -> None:
        for _ in range(2 * len(QUESTIONS[user.lang])):
            await learn(traffic, user)

    firsts = [(lang, n) for lang in LANGS for n in range(len(QUESTIONS[lang]))]
    await asyncio.gather(
        *(known(User(CALIBRATION_FIRST + n, lang, True)) for n, lang in enumerate(crowd.LANGS)),
        *(
            learn(traffic, User(FRESH_CALIBRATION_FIRST + n, lang, False, asked=asked))
            for n, (lang, asked) in enumerate(firsts)
        ),
    )


# ------------------------------------------------------------------------- the phases


def latency_ms(turns: Sequence[Turn]) -> dict[str, float | None]:
    values = [t.latency for t in turns if t.latency is not None]
    if not values:
        return {"p50_ms": None, "p99_ms": None, "max_ms": None}
    return {
        "p50_ms": round(1000 * statistics.median(values), 1),
        "p99_ms": round(1000 * percentile(values, 0.99), 1),
        "max_ms": round(1000 * max(values), 1),
    }


async def closed_loop(
    traffic: Traffic, users: Sequence[User], probe: Probe, warmup: float, window: float
) -> dict[str, Any]:
    """Each user asks, waits for the whole reply, asks again; the turns done within a window
    that opens once every user has had a first reply and ``warmup`` seconds have passed."""
    start = time.monotonic()
    stop = asyncio.Event()
    turns = [traffic.ask(user) for user in users]
    timeouts = 0

    async def user_loop(user: User, turn: Turn) -> None:
        nonlocal timeouts
        while True:
            try:
                await asyncio.wait_for(turn.waiter, TURN_TIMEOUT)
            except TimeoutError:
                timeouts += 1
            if stop.is_set():
                return
            turn = traffic.ask(user)
            turns.append(turn)

    async def measured() -> tuple[Snapshot, Snapshot]:
        await asyncio.wait([t.waiter for t in turns[: len(users)]], timeout=TURN_TIMEOUT)
        await asyncio.sleep(start + warmup - time.monotonic())
        a = await probe.take()
        await asyncio.sleep(window)
        b = await probe.take()
        stop.set()
        return a, b

    taking = asyncio.create_task(measured())
    await asyncio.gather(*(user_loop(user, turn) for user, turn in zip(users, list(turns), strict=True)))
    a, b = await taking
    done = [t for t in turns if t.done is not None and a.at <= t.done < b.at]
    return {
        "users": len(users),
        "phase_s": round(time.monotonic() - start, 1),
        "warmup_s": round(a.at - start, 2),
        "window_s": round(b.at - a.at, 2),
        "updates": len(done),
        "updates_per_s": round(len(done) / (b.at - a.at), 1),
        **latency_ms(done),
        **probe.usage(a, b, len(done)),
        "timeouts": timeouts,
        "first_reply_mismatches": sum(t.mismatch for t in turns),
    }


async def open_loop(
    traffic: Traffic, users: Sequence[User], probe: Probe, rate: float, seconds: float, drain: float
) -> dict[str, Any]:
    """``rate`` updates a second for ``seconds`` from ``users`` in turn, whatever the replies;
    then up to ``drain`` seconds for the last replies."""
    count = max(2, round(rate * seconds))
    a = await probe.take()
    turns: list[Turn] = []
    for n in range(count):
        delay = a.at + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        turns.append(traffic.ask(users[n % len(users)]))
    offered = (len(turns) - 1) / (time.monotonic() - a.at) if len(turns) > 1 else 0.0
    await asyncio.wait([t.waiter for t in turns], timeout=drain)
    b = await probe.take()
    done = sorted(t.done for t in turns if t.done is not None)
    achieved = (len(done) - 1) / (done[-1] - done[0]) if len(done) > 1 and done[-1] > done[0] else 0.0
    return {
        "offered_per_s": rate,
        "phase_s": round(time.monotonic() - a.at, 1),
        "offered_measured_per_s": round(offered, 1),
        "updates": count,
        "achieved_per_s": round(achieved, 1),
        "achieved_share": round(achieved / rate, 3),
        "unanswered": sum(t.done is None for t in turns),
        **latency_ms([t for t in turns if t.done is not None]),
        **probe.usage(a, b, len(done)),
        "first_reply_mismatches": sum(t.mismatch for t in turns),
    }


async def burst(traffic: Traffic, count: int, probe: Probe, drain: float, settle: float) -> dict[str, Any]:
    """``count`` first-time users, one question each, all queued at once (without yielding to
    the bot's requests, which can hold this loop for most of a second when spread out)."""
    users = [
        User(BURST_FIRST + n, lang, False, asked=n // len(LANGS) % len(QUESTIONS[lang]))
        for n, lang in ((n, LANGS[n % len(LANGS)]) for n in range(count))
    ]
    a = await probe.take()
    turns = [traffic.ask(user) for user in users]
    queued_in = time.monotonic() - a.at
    await asyncio.wait([t.waiter for t in turns], timeout=drain)
    b = await probe.take()
    await asyncio.sleep(settle)  # replies sent twice come late: by the outbox sweep, for one
    done = [t.done for t in turns if t.done is not None]
    return {
        "users": count,
        "phase_s": round(time.monotonic() - a.at, 1),
        "queued_in_s": round(queued_in, 3),
        "answered": len(done),
        "never_answered": sum(t.got == 0 for t in turns),
        "partly_answered": sum(0 < t.got < t.expected for t in turns),
        "answered_twice": sum(t.extra > 0 for t in turns),
        "extra_messages": sum(t.extra for t in turns),
        "first_reply_mismatches": sum(t.mismatch for t in turns),
        "drain_s": round(max(done) - a.at, 2) if done else None,
        "updates_per_s": round(len(done) / (max(done) - a.at), 1) if done else 0.0,
        **latency_ms([t for t in turns if t.done is not None]),
        **probe.usage(a, b, len(done)),
    }


# ------------------------------------------------------------------------------ bots


@dataclass(frozen=True)
class Options:
    users: int = 500
    warmup: float = 5.0
    window: float = 10.0
    rates: tuple[float, ...] = (25.0, 50.0, 100.0, 200.0)
    rate_seconds: float = 5.0
    drain: float = 120.0
    burst: int = 1000
    burst_drain: float = 300.0
    settle: float = 3.0
    send_rate: float = 1000.0
    frameworks: tuple[str, ...] = FRAMEWORKS
    databases: tuple[str, ...] = DATABASES
    postgres_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432"
    log_dir: str | None = None
    participants: int = 0
    """More participants in the database before the start (``tests.crowd``'s, chats from 500,000)."""


@dataclass(frozen=True)
class BotSpec:
    framework: str
    database: str | None
    """None: the echo bot."""

    @property
    def name(self) -> str:
        return f"{self.framework}/{self.database or 'echo'}"

    def command(self, api_base: str) -> list[str]:
        if self.database is None:
            return [sys.executable, "-m", f"bench.echo_{self.framework}", api_base, TOKEN]
        script = Path(sys.executable).with_name("dt4e-bot")
        start = [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]
        return [*start, "run", "--channel", self.framework]


@dataclass
class Postgres:
    """The PostgreSQL server the bots may use; a fresh database for each."""

    url: str
    admin: AsyncEngine
    made: list[str] = field(default_factory=list)

    @classmethod
    async def connect(cls, url: str) -> Postgres | None:
        admin_url = make_url(url).set(database="postgres")
        admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT", pool_size=2)
        try:
            async with asyncio.timeout(5), admin.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:
            print(f"PostgreSQL at {url} does not answer ({type(exc).__name__}); skipping it", flush=True)
            await admin.dispose()
            return None
        return cls(url, admin)

    async def create(self, name: str) -> str:
        async with self.admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.made.append(name)
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    async def drop(self, name: str) -> None:
        async with self.admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.made.remove(name)

    async def close(self) -> None:
        for name in list(self.made):
            await self.drop(name)
        await self.admin.dispose()


def bot_env(api_base: str, database_url: str | None, options: Options, **more: str) -> dict[str, str]:
    """The environment of a bot under test: no DT4E_ setting of ours; for dt4e-bot (a database
    URL), the fake server, the send rate, the log level and ``more`` settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DT4E_")}
    env["PYTHONPATH"] = str(ROOT)
    env["BENCH_LOG_LEVEL"] = os.environ.get("BENCH_LOG_LEVEL", "WARNING")
    if database_url is not None:
        env |= {
            "DT4E_DATABASE_URL": database_url,
            "DT4E_TELEGRAM_TOKEN": TOKEN,
            "DT4E_TELEGRAM_API_BASE": api_base,
            "DT4E_SEND_RATE": f"{options.send_rate:g}",
            "DT4E_LOG_LEVEL": env["BENCH_LOG_LEVEL"],
            "DT4E_FLOOD_LIMIT": "0",  # a person's 20 messages in 10 s: --quick's few users pass it
            **more,
        }
    return env


@contextlib.asynccontextmanager
async def started(
    spec: BotSpec, tg: FakeTelegram, work: Path, database_url: str | None, options: Options
) -> AsyncIterator[asyncio.subprocess.Process]:
    """The bot polling the fake server; SIGTERM on exit (a kill if it does not stop in 30 s)."""
    env = bot_env(tg.base_url, database_url, options)
    log = (work / "bot.log").open("wb")
    bot = await asyncio.create_subprocess_exec(
        *spec.command(tg.base_url), env=env, cwd=work, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        polling = asyncio.create_task(tg.wait_for_calls("getUpdates", 1, timeout=180))
        exited = asyncio.create_task(bot.wait())
        await asyncio.wait({polling, exited}, return_when=asyncio.FIRST_COMPLETED)
        if exited.done():
            polling.cancel()
            tail = (work / "bot.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{spec.name} exited with {bot.returncode} before polling:\n{tail}")
        exited.cancel()
        polling.result()
        yield bot
    finally:
        if bot.returncode is None:
            bot.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(bot.wait(), 30)
            except TimeoutError:
                bot.kill()
                await bot.wait()
        log.close()


_LOG_LINE = re.compile(r"^\S+ \S+ (CRITICAL|ERROR|WARNING) (.*)$")


def log_summary(path: Path) -> dict[str, Any]:
    """Warnings, errors and tracebacks in a bot's log, with the distinct messages (numbers
    replaced by N) and how often each came."""
    content = path.read_text(errors="replace")
    levels: collections.Counter[str] = collections.Counter()
    messages: collections.Counter[str] = collections.Counter()
    for line in content.splitlines():
        if match := _LOG_LINE.match(line):
            levels[match.group(1)] += 1
            messages[f"{match.group(1)} {re.sub(r'[0-9]+', 'N', match.group(2))[:200]}"] += 1
        elif line.startswith(("ERROR:", "WARNING:", "CRITICAL:")):  # logging's default format
            level = line.split(":", 1)[0]
            levels[level] += 1
            messages[re.sub(r"[0-9]+", "N", line)[:200]] += 1
    return {
        "errors": levels["ERROR"] + levels["CRITICAL"],
        "warnings": levels["WARNING"],
        "tracebacks": content.count("Traceback (most recent call last)"),
        "messages": [{"count": n, "message": m} for m, n in messages.most_common(10)],
    }


def keep_log(log: Path, to: Path) -> None:
    to.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(log, to)


async def prepare(url: str, users: int, participants: int = 0) -> None:
    """The schema, and the load users and the known calibration users as participants connected
    on Telegram (what invitation links opened over months leave behind; the broadcast
    benchmark's crowd); ``participants`` more who do not write."""
    engine = create_engine(url)
    try:
        await upgrade(engine)
        if participants:
            await crowd.connect_crowd(engine, participants)
        await crowd.connect_crowd(engine, users, first=LOAD_FIRST, cohort="load")
        await crowd.connect_crowd(engine, len(crowd.LANGS), first=CALIBRATION_FIRST, cohort="calibration")
    finally:
        await engine.dispose()


async def measure(spec: BotSpec, options: Options, pg: Postgres | None) -> dict[str, Any]:
    print(f"== {spec.name}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="dt4e-load-"))
    database_url: str | None = None
    database: str | None = None
    if spec.database == "sqlite":
        database_url = f"sqlite+aiosqlite:///{work / 'bot.db'}"
    elif spec.database == "postgresql":
        assert pg is not None
        database = f"bench_load_{os.getpid()}_{spec.framework}"
        database_url = await pg.create(database)
    result: dict[str, Any] = {"bot": spec.name, "database": spec.database}
    try:
        if database_url is not None:
            began = time.monotonic()
            await prepare(database_url, options.users, options.participants)
            result["prepare_s"] = round(time.monotonic() - began, 1)
        tg = LoadTelegram(token=TOKEN)
        async with tg:
            traffic = Traffic(tg)
            began = time.monotonic()
            async with started(spec, tg, work, database_url, options) as bot:
                result["startup_s"] = round(time.monotonic() - began, 1)
                await asyncio.sleep(2)
                result["rss_idle_mb"] = round(rss_mb(bot.pid)[0], 1)
                admin = pg.admin if pg is not None and database is not None else None
                async with Probe(bot.pid, admin, database) as probe:
                    try:
                        result.update(await run_phases(traffic, probe, options, lambda: bot.returncode))
                    except RuntimeError as exc:
                        tail = (work / "bot.log").read_text(errors="replace")[-2000:]
                        raise RuntimeError(f"{exc}; the end of its log:\n{tail}") from exc
                result["rss_peak_mb"] = round(rss_mb(bot.pid)[1], 1)
            result["exit_code"] = bot.returncode
            result["messages_received"] = sum(traffic.count.values())
            result["unexpected_messages"] = traffic.unexpected
            result["first_reply_mismatches"] = traffic.mismatched
            result["answered_out_of_order"] = traffic.out_of_order
            result["http_errors"] = len(tg.faults)
        result["log"] = log_summary(work / "bot.log")
        if options.log_dir:
            keep_log(work / "bot.log", Path(options.log_dir) / f"{spec.name.replace('/', '-')}.log")
    finally:
        if pg is not None and database is not None:
            await pg.drop(database)
        shutil.rmtree(work, ignore_errors=True)
    return result


async def run_phases(
    traffic: Traffic, probe: Probe, options: Options, exit_code: Callable[[], int | None]
) -> dict[str, Any]:
    """Calibration, the closed loop, the open loop at each rate, the burst; stops with
    RuntimeError when the bot has exited meanwhile."""
    found: dict[str, Any] = {}

    def check(phase: str) -> None:
        if (code := exit_code()) is not None:
            raise RuntimeError(f"the bot exited with {code} before the {phase}")

    began = time.monotonic()
    await calibrate(traffic)
    found["calibration"] = {
        "seconds": round(time.monotonic() - began, 1),
        "messages_per_turn": {
            f"{lang}/{'known' if known else 'new'}/{'first' if first else 'again'}/{question}": e.count
            for (lang, known, question, first), e in sorted(traffic.expect.items())
        },
    }
    users = [User(LOAD_FIRST + n, crowd.LANGS[n % len(crowd.LANGS)], True) for n in range(options.users)]
    check("closed loop")
    found["closed_loop"] = await closed_loop(traffic, users, probe, options.warmup, options.window)
    print(f"   closed loop: {found['closed_loop']['updates_per_s']} updates/s", flush=True)
    found["open_loop"] = []
    for rate in options.rates:
        check(f"open loop at {rate:g}/s")
        phase = await open_loop(traffic, users, probe, rate, options.rate_seconds, options.drain)
        found["open_loop"].append(phase)
        print(
            f"   {rate:g}/s: {phase['achieved_per_s']}/s, p50 {phase['p50_ms']} ms, p99 {phase['p99_ms']} ms",
            flush=True,
        )
    if options.burst:
        check("burst")
        found["burst"] = await burst(traffic, options.burst, probe, options.burst_drain, options.settle)
        b = found["burst"]
        print(
            f"   burst of {options.burst}: {b['answered']} answered in {b['drain_s']} s, "
            f"{b['never_answered']} never, {b['answered_twice']} twice",
            flush=True,
        )
    return found


# ---------------------------------------------------------------------------- report


def ratio(numerator: object, denominator: object) -> float | None:
    if isinstance(numerator, int | float) and isinstance(denominator, int | float) and denominator:
        return round(numerator / denominator, 3)
    return None


def ratios(runs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each dt4e-bot run against the echo bot of its framework, from this same run."""
    found: dict[str, dict[str, Any]] = {}
    for name, run in runs.items():
        framework, _, database = name.partition("/")
        echo = runs.get(f"{framework}/echo")
        if database == "echo" or echo is None or "error" in run or "error" in echo:
            continue
        ours, theirs = run["closed_loop"], echo["closed_loop"]
        cpu_with_db = ours["bot_cpu_ms_per_update"] + ours.get("db_cpu_ms_per_update", 0.0)
        by_rate = []
        for mine, other in zip(run["open_loop"], echo["open_loop"], strict=False):
            by_rate.append(
                {
                    "offered_per_s": mine["offered_per_s"],
                    "achieved": ratio(mine["achieved_per_s"], other["achieved_per_s"]),
                    "p50": ratio(mine["p50_ms"], other["p50_ms"]),
                    "p99": ratio(mine["p99_ms"], other["p99_ms"]),
                    "cpu_per_update": ratio(mine["bot_cpu_ms_per_update"], other["bot_cpu_ms_per_update"]),
                }
            )
        found[name] = {
            "throughput": ratio(ours["updates_per_s"], theirs["updates_per_s"]),
            "cpu_per_update": ratio(ours["bot_cpu_ms_per_update"], theirs["bot_cpu_ms_per_update"]),
            "cpu_per_update_with_db": ratio(cpu_with_db, theirs["bot_cpu_ms_per_update"]),
            "rss_idle": ratio(run["rss_idle_mb"], echo["rss_idle_mb"]),
            "burst_drain": ratio(run.get("burst", {}).get("drain_s"), echo.get("burst", {}).get("drain_s")),
            "open_loop": by_rate,
        }
    return found


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    commit, dirty = git_state()
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "aiogram": metadata.version("aiogram"),
        "python-telegram-bot": metadata.version("python-telegram-bot"),
        "git_commit": commit,
        "git_dirty": dirty,
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }


@dataclass
class Run:
    """When a benchmark began, on what machine, and how long it took: the head of its results."""

    module: str
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    clock: float = field(default_factory=time.monotonic)
    about: dict[str, Any] = field(default_factory=machine)

    def head(self, options: DataclassInstance) -> dict[str, Any]:
        """At the end: when, how long, the command, the machine (load average after too), the options."""
        self.about["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        return {
            "when": self.started_at.isoformat(timespec="seconds"),
            "duration_s": round(time.monotonic() - self.clock, 1),
            "command": shlex.join(["python", "-m", self.module, *sys.argv[1:]]),
            "machine": self.about,
            "options": dataclasses.asdict(options),
        }


Getter = Callable[[dict[str, Any]], object]


def _get(*path: str | int) -> Getter:
    """A figure of a run, by its path in the run's dict."""

    def get(run: dict[str, Any]) -> object:
        value: Any = run
        for key in path:
            value = value[key]
        return value

    return get


def _joined(*path: str | int, keys: Sequence[str], digits: int = 0) -> Getter:
    """Figures of one phase as "a/b/c"."""

    def get(run: dict[str, Any]) -> object:
        phase = _get(*path)(run)
        assert isinstance(phase, dict)
        if any(phase.get(key) is None for key in keys):
            return None
        return "/".join(f"{phase[key]:.{digits}f}" for key in keys)

    return get


LATENCY: Final = ("p50_ms", "p99_ms")
CORES: Final = ("bot_cores", "harness_cores", "other_cores")


def _rows(rates: Sequence[float]) -> list[tuple[str, Getter | str, int]]:
    """The table's rows: a label and a figure of each run, or the name of a ratio (dt4e/echo)."""
    rows: list[tuple[str, Getter | str, int]] = [
        ("startup s", _get("startup_s"), 1),
        ("closed loop updates/s", _get("closed_loop", "updates_per_s"), 1),
        ("  throughput dt4e/echo", "throughput", 3),
        ("  reply p50/p99 ms", _joined("closed_loop", keys=LATENCY), 0),
        ("  bot CPU ms/update", _get("closed_loop", "bot_cpu_ms_per_update"), 2),
        ("  CPU per update dt4e/echo", "cpu_per_update", 3),
        ("  PostgreSQL CPU ms/update", _get("closed_loop", "db_cpu_ms_per_update"), 2),
        ("  CPU+PostgreSQL dt4e/echo", "cpu_per_update_with_db", 3),
        (
            "  cores: bot/harness/others",
            _joined("closed_loop", keys=CORES, digits=2),
            0,
        ),
    ]
    for n, rate in enumerate(rates):
        rows += [
            (f"open {rate:g}/s: achieved/s", _get("open_loop", n, "achieved_per_s"), 1),
            ("  p50/p99 ms", _joined("open_loop", n, keys=LATENCY), 0),
            ("  bot CPU ms/update", _get("open_loop", n, "bot_cpu_ms_per_update"), 2),
            (
                "  cores: bot/harness/others",
                _joined("open_loop", n, keys=CORES, digits=2),
                0,
            ),
            ("  unanswered", _get("open_loop", n, "unanswered"), 0),
        ]
    rows += [
        ("burst: users", _get("burst", "users"), 0),
        ("  queued within s", _get("burst", "queued_in_s"), 2),
        ("  answered", _get("burst", "answered"), 0),
        ("  never answered", _get("burst", "never_answered"), 0),
        ("  answered twice", _get("burst", "answered_twice"), 0),
        ("  drain s", _get("burst", "drain_s"), 2),
        ("  drain dt4e/echo", "burst_drain", 3),
        ("  p50/p99 ms", _joined("burst", keys=LATENCY), 0),
        ("  bot CPU ms/update", _get("burst", "bot_cpu_ms_per_update"), 2),
        ("  cores: bot/harness/others", _joined("burst", keys=CORES, digits=2), 0),
        ("RSS idle MB", _get("rss_idle_mb"), 1),
        ("RSS peak MB", _get("rss_peak_mb"), 1),
        ("log errors/warnings", _joined("log", keys=("errors", "warnings")), 0),
        ("unexpected msgs", _get("unexpected_messages"), 0),
        ("first replies not as calibrated", _get("first_reply_mismatches"), 0),
        ("a chat's replies out of order", _get("answered_out_of_order"), 0),
    ]
    return rows


def _cell(value: object, digits: int) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(runs: dict[str, dict[str, Any]], rates: Sequence[float]) -> str:
    """The figures, one column per bot (a framework's echo bot first), ratios to the echo bot."""
    found_ratios = ratios(runs)
    lines: list[str] = []
    for framework in FRAMEWORKS:
        names = [name for name in runs if name.startswith(f"{framework}/")]
        if not names:
            continue
        header = f"{framework:<34}" + "".join(f"{name.split('/')[1]:>16}" for name in names)
        lines += ["", header, "-" * len(header)]
        if failed := [name for name in names if "error" in runs[name]]:
            lines.append(
                f"{'failed (see the JSON)':<34}"
                + "".join(f"{'FAILED' if name in failed else '':>16}" for name in names)
            )
        for label, figure, digits in _rows(rates):
            cells = []
            for name in names:
                if isinstance(figure, str):
                    cells.append(_cell(found_ratios.get(name, {}).get(figure), digits))
                    continue
                try:
                    cells.append(_cell(figure(runs[name]), digits))
                except (KeyError, IndexError):
                    cells.append("-")
            lines.append(f"{label:<34}" + "".join(f"{cell:>16}" for cell in cells))
    return "\n".join(lines)


async def main(options: Options) -> dict[str, Any]:
    timing = Run("bench.load")
    pg = None
    if "postgresql" in options.databases:
        pg = await Postgres.connect(options.postgres_url)
    databases = [d for d in options.databases if d != "postgresql" or pg is not None]
    runs: dict[str, dict[str, Any]] = {}
    try:
        for framework in options.frameworks:
            for database in (None, *databases):
                spec = BotSpec(framework, database)
                try:
                    runs[spec.name] = await measure(spec, options, pg)
                except (RuntimeError, OSError, TimeoutError, AssertionError) as exc:
                    # A bot that does not start or stops answering: said, and the others still run.
                    print(f"   {spec.name} failed: {exc}", flush=True)
                    runs[spec.name] = {"bot": spec.name, "error": str(exc)[-3000:]}
    finally:
        if pg is not None:
            await pg.close()
    return {
        **timing.head(options),
        "postgresql": "skipped: did not answer" if "postgresql" in options.databases and pg is None else None,
        "runs": runs,
        "ratios": ratios(runs),
    }


QUICK: Final = Options(
    users=50,
    warmup=2.0,
    window=4.0,
    rates=(25.0, 100.0),
    rate_seconds=2.0,
    drain=30.0,
    burst=200,
    burst_drain=60.0,
    settle=1.0,
    frameworks=("aiogram",),
    databases=("sqlite",),
)
"""``--quick``: aiogram on SQLite and its echo bot, small; any option given overrides it."""


def _floats(value: str) -> tuple[float, ...]:
    return tuple(float(part) for part in value.split(","))


def _names(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def parse_options(argv: Sequence[str] | None = None) -> tuple[Options, Path, bool]:
    full = Options()
    parser = argparse.ArgumentParser(
        description="Load benchmark: dt4e-bot against a bare echo bot, per framework and database.",
        epilog="Results: bench/results/load.json; see the module docstring for what is measured.",
    )
    add = parser.add_argument
    add("--quick", action="store_true", help="a smoke run of about a minute: aiogram, SQLite, small sizes")
    add("--users", type=int, help=f"closed- and open-loop users ({full.users})")
    add("--warmup", type=float, help=f"closed loop: seconds before the window ({full.warmup:g})")
    add("--window", type=float, help=f"closed loop: seconds measured ({full.window:g})")
    add("--rates", type=_floats, help="open loop: updates a second, comma-separated (25,50,100,200)")
    add("--rate-seconds", type=float, help=f"open loop: seconds at each rate ({full.rate_seconds:g})")
    add("--drain", type=float, help=f"open loop: seconds at most for the last replies ({full.drain:g})")
    add("--burst", type=int, help=f"first-time users writing at once ({full.burst}; 0: none)")
    add("--burst-drain", type=float, help=f"seconds at most for the burst's replies ({full.burst_drain:g})")
    add("--settle", type=float, help=f"seconds after the burst, for late doubles ({full.settle:g})")
    add("--send-rate", type=float, help=f"the bot's DT4E_SEND_RATE ({full.send_rate:g}, its maximum)")
    add("--frameworks", type=_names, help="comma-separated: aiogram,ptb (--quick: aiogram)")
    add("--databases", type=_names, help="comma-separated: sqlite,postgresql (--quick: sqlite)")
    add("--postgres-url", help=f"the PostgreSQL server, no database name ({full.postgres_url})")
    add("--log-dir", help="keep each bot's log in this folder")
    add("--participants", type=int, help="more participants in the database, who do not write (0)")
    add("--output", type=Path, default=RESULTS, help="where the JSON goes (bench/results/load.json)")
    args = parser.parse_args(argv)
    given = {
        name: getattr(args, name)
        for name in (f.name for f in dataclasses.fields(Options))
        if getattr(args, name, None) is not None
    }
    options = dataclasses.replace(QUICK if args.quick else full, **given)
    if unknown := set(options.frameworks) - set(FRAMEWORKS):
        parser.error(f"--frameworks: unknown {sorted(unknown)}")
    if unknown := set(options.databases) - set(DATABASES):
        parser.error(f"--databases: unknown {sorted(unknown)}")
    if options.users < 1 or options.burst < 0 or not options.rates or min(options.rates) <= 0:
        parser.error("--users: at least 1; --burst: 0 or more; --rates: positive")
    return options, args.output, not args.quick and args.output == RESULTS


if __name__ == "__main__":
    chosen, output, full_run = parse_options()
    outcome = asyncio.run(main(chosen))
    figures = table(outcome["runs"], chosen.rates)
    print(figures)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(outcome, indent=2, ensure_ascii=False) + "\n")
    print(f"\n{outcome['duration_s']:.0f} s in all; results in {output}")
    if full_run:  # not a smoke run, nor one written elsewhere: its figures in BENCHMARKS.md
        update_section("Load", "bench.load", latest_run(outcome, figures))
        print("updated: the Load section of BENCHMARKS.md")
