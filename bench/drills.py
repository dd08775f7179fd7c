"""Fault drills: the real ``dt4e-bot run`` (a subprocess) against the fake Bot API server, with
simulated people talking to it, while it is killed, loses its database, loses Telegram, or is
stopped in the middle of an outage. Each drill counts what was lost, what came twice and what
went wrong; every count that must be zero is checked, and the exit status is 1 if one is not.

The people (``--people``, 50 by default) are Telegram users with a script each: first contact
(/start, the language and role buttons), FAQ questions in Arabic (also Arabizi), English and
French, the pre-departure modules with their buttons and quizzes, small talk; a fifth of them
are participants imported with ``dt4e-bot participants import``, who open their personal link
(``participants invite --csv``) and answer the follow-up survey pushed with ``dt4e-bot survey
push``. What the bot must answer at each step is recorded first, in this process, by the
conversation service on an empty SQLite database (the same core the channels run), so the
expected conversation is exact: each person sends the next message once the whole answer to the
previous one has come (while an outage lasts, people go on typing without waiting), and their
chat must then read exactly as recorded. A message beyond that is a duplicate, one missing is
lost, anything else is wrong. ``--bursts`` more people write only in bursts, all at once. A crowd
of ``--crowd`` participants already connected (``tests/crowd.py``) gets an announcement
(``dt4e-bot broadcast send``) during the kills.

Drills, each on a fresh database (SQLite file, or a fresh PostgreSQL database dropped after):

1. **kills**: ``--kills`` SIGKILLs (20) at random moments, 1-6 s after the restarted bot polls
   again, every fourth one 0-0.1 s after a burst, so that updates are in flight; each time
   the bot is started again (alternating aiogram and PTB when both are selected). Then it drains
   and every person sends /menu.
2. **db-outage**: the database unreachable for 10 s while people keep writing: on PostgreSQL a
   TCP proxy between the bot and the server (the bot's ``DT4E_DATABASE_URL`` points at it) drops
   every connection and refuses new ones (then accepts and closes them at once); on SQLite this
   process holds ``BEGIN EXCLUSIVE`` on the file. The bot must recover by itself (no restart).
3. **api-outage**: every Bot API call answers 502 for half of 30 s, then hangs (answered 504
   once the outage ends), then has its connection dropped; a getUpdates answered by the fake
   server during the outage is lost on the way. The bot must recover by itself.
4. **sigterm**: SIGTERM 3 s into another database outage: the bot must exit within 15 s; started
   again after the outage, nothing may be lost.

Drills 2-4 run one after the other on one bot (and one database). A reply whose send was in
flight at a SIGKILL may arrive twice (Telegram took it just as the process died, before the bot
could record it): a duplicate whose first copy reached the fake server less than
``AMBIGUOUS_BEFORE_KILL`` seconds before a kill is counted apart as "in flight at a kill", and
allowed; every other duplicate must be zero. Broadcast recipients the bot reports "failed:
interrupted" are counted (allowed); a recipient who got the announcement twice, or nothing
without being reported, is not.

By default both databases run, each in its own lane, the two lanes side by side (``--serial``
runs them one after the other, about twice as long). In each lane the kills alternate both
channels (aiogram first on SQLite, PTB first on PostgreSQL); drills 2-4 run on PTB for SQLite
and on aiogram for PostgreSQL; the PostgreSQL lane runs drills 2-4 before the kills, so that the
two lanes do not restart bots at the same time (an aiogram start costs ~10 s of CPU). ``--full``
runs every drill on every database and channel selected, one channel per bot (about 40 minutes).
``--quick``: fewer people (15 and 10 writing in bursts), 5 kills, outages of 5, 12 and 22 s, and
with both databases the kills on SQLite and drills 2-4 on PostgreSQL only.

On the 2-CPU machine this was written on (shared), the default run takes about 12 minutes, most
of it waiting: each aiogram start takes 10-25 s (importing aiogram is ~10 s of CPU), and after a
kill or an outage a reply left in the outbox comes only when its one-minute claim has expired and
the sweep (every minute) runs. ``--quick`` takes about 2.5 minutes. Results:
``bench/results/drills.json`` (the last run, whichever mode) and a table on standard output; with
``--keep`` the work folders (the bot's log, ``bot.log``, each start marked) and the PostgreSQL
databases are kept. ``DRILL_LOG_LEVEL`` sets the bot's ``DT4E_LOG_LEVEL`` (INFO).

    python -m bench.drills [--quick] [--database sqlite|postgres|both] [--channel aiogram|ptb|both]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import csv
import dataclasses
import itertools
import json
import os
import platform
import random
import re
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
import yaml
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.broadcast import ROOT, TOKEN, percentile
from bench.machine import git_state
from bench.report import latest_run, update_section
from bot.app import build_context
from bot.basics.buttons import Button
from bot.basics.lang import Lang
from bot.channels.telegram.render import render
from bot.core.audience import Audience
from bot.core.bidi import strip_bidi_controls
from bot.core.events import ReplyCreated
from bot.core.features.surveys import prompt, survey
from bot.core.inbound import ButtonPressed, UserRef, typed
from bot.core.state import Role
from bot.service import ConversationService
from bot.service.invitations import token_hash
from bot.service.participants import Participant
from bot.service.pushes import INTERRUPTED
from bot.settings import load_settings
from storage.engine import create_engine, upgrade
from storage.participants import SqlParticipants
from storage.pushes import SqlPushes
from storage.store import SqlStore
from tests.crowd import FIRST_CHAT, connect_crowd
from tests.fake_telegram import FakeTelegram, RecordedCall, SentMessage, TelegramApiError
from tests.transcript import TRANSCRIPTS, load

RESULTS = ROOT / "bench" / "results" / "drills.json"
_UPGRADES = asyncio.Lock()
"""Alembic keeps its migration context in module globals: one upgrade at a time in this process."""
POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
CHANNELS = ("aiogram", "ptb")
DATABASES = ("sqlite", "postgres")
BOT_USERNAME = "dt4e_test_bot"  # the fake server's
SEND_RATE = 40
"""Messages a second for the whole bot (DT4E_SEND_RATE): the crowd's announcement takes a minute or two."""
AMBIGUOUS_BEFORE_KILL = 1.0
"""Seconds before a SIGKILL in which a delivered message may not be recorded yet (Telegram took
it, its answer was still on the way, or the journal line not yet written): sent again after the
restart, it is a duplicate nobody can avoid."""
SIGTERM_LIMIT = 15.0
"""Seconds the bot may take to exit on SIGTERM, during an outage too (the README says 10)."""
READY_TIMEOUT = 150.0
DRAIN_TIMEOUT = 200.0
"""After the last restart or an outage: the outbox claims of a killed bot expire after a minute
and the sweep runs every minute, so a reply may lawfully take two minutes to come."""
PROBE_TIMEOUT = 60.0
TALKER_FIRST = 10_001
SURVEY_FIRST = 20_001
BURST_FIRST = 30_001
LANGS = ("ar", "en", "fr")
MODULES = {
    "en": ("module_exploring-belgium_en", "module_living-in-belgium_en", "module_studying-and-working_en"),
    "fr": ("module_living-in-belgium_fr", "module_settling-in-belgium_fr"),
    "ar": ("module_living-in-belgium_ar", "module_preparation-and-travel_ar"),
}
SURVEYS = {  # the transcripts of a pushed survey: the participant's role and language, the survey
    "talent": ("survey_talent_ar", "ar", "talent-follow-up"),
    "employer": ("survey_employer_fr", "fr", "employer-follow-up"),
}
SMALL_TALK = {"en": ("thank you", "ok", "hello"), "fr": ("merci", "bonjour"), "ar": ("شكراً", "مرحبا")}
ANNOUNCEMENT = {
    "en": "Drill announcement: the pre-departure session on Thursday moves to 15:00.",
    "fr": "Annonce d'exercice : la séance avant le départ de jeudi est déplacée à 15 h.",
    "ar": "إعلان تجريبي: نُقلت جلسة ما قبل المغادرة يوم الخميس إلى الساعة 15:00.",
}
ANNOUNCED = tuple(ANNOUNCEMENT.values())


async def wait_until(changed: asyncio.Event, done: Callable[[], bool], timeout: float) -> bool:  # noqa: ASYNC109
    """Wait until ``done()`` (checked whenever ``changed`` fires, and twice a second); ``False``
    after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not done():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), min(remaining, 0.5))
    return True


# ------------------------------------------------------------------------------ settings


@dataclass(frozen=True)
class Options:
    quick: bool
    seed: int
    people: int
    bursts: int
    crowd: int
    kills: int
    db_outage: float
    api_outage: float
    sigterm_outage: float
    postgres_url: str
    keep: bool

    @property
    def survey_people(self) -> int:
        return max(2, self.people // 5)

    @property
    def guests(self) -> int:
        return self.people - self.survey_people


@dataclass(frozen=True)
class Plan:
    """One bot session to run: a drill on a database, with the channel of each start in turn."""

    drill: Literal["kills", "outages"]
    database: str
    channels: tuple[str, ...]

    @property
    def channel_label(self) -> str:
        return "+".join(dict.fromkeys(self.channels))


# --------------------------------------------------------------------------- the scripts


@dataclass(frozen=True)
class Msg:
    """A message as the user sees it: its text and the labels of its buttons."""

    text: str
    labels: tuple[str, ...]
    edit: bool = False
    """A message of the bot changed into this (``text`` empty: only its buttons changed)."""

    @staticmethod
    def of(sent: SentMessage, *, edit: bool = False, text: bool = True) -> Msg:
        labels = tuple(label for row in sent.buttons for label, _ in row)
        return Msg((sent.text or "") if text else "", labels, edit)


@dataclass(frozen=True)
class Step:
    """What the person does (``user``: types ``value``; ``tap``: presses the button labelled
    ``value`` on the message at ``source`` in the conversation; ``link``: opens their personal
    link; ``prompt``: waits for the pushed survey) and the messages the bot must answer."""

    action: Literal["user", "tap", "link", "prompt"]
    value: str
    expected: tuple[Msg, ...]
    source: int = -1


Answers = frozenset[tuple[str, str, str]]
"""Survey answers: (survey, key, value)."""
Results = tuple[tuple[str, str, str], ...]
"""Rows of the results table, sorted: (dialog, key, value)."""


@dataclass(frozen=True)
class Script:
    name: str
    hint: str
    steps: tuple[Step, ...]
    """The conversation; the last step is the final /menu, sent once the drill is over."""
    answers: tuple[Answers, ...]
    """The survey answers stored once each step is done."""
    results: tuple[Results, ...]
    role: str | None = None
    """A participant's role (imported, and connected by the personal link)."""
    language: str | None = None


Action = tuple[str, str]
"""A step before recording: ``user``, ``tap`` (a label), ``tap?`` (a label, dropped when not
shown), ``tap#`` / ``tap#?`` (the n-th button shown), ``link``, ``prompt`` (a survey id)."""


def faq_questions() -> dict[str, list[str]]:
    """Every question the FAQ content lists, by language (Arabizi under ``ar`` too)."""
    questions: dict[str, list[str]] = {lang: [] for lang in LANGS}
    for path in sorted((ROOT / "faq" / "content").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
            continue
        for entry in data["entries"]:
            for lang, asked in (entry.get("questions") or {}).items():
                target = "ar" if lang == "arabizi" else lang
                if target in questions:
                    questions[target].extend(str(q) for q in asked)
    return questions


def transcript_actions(name: str) -> list[Action]:
    return [(step.action, step.value) for step in load(TRANSCRIPTS / f"{name}.yaml").steps]


def faq_block(rng: random.Random, questions: dict[str, list[str]], lang: str, count: int) -> list[Action]:
    """Questions, mostly in ``lang``; some answers get a 👍 or a tap on a related question."""
    block: list[Action] = []
    for _ in range(count):
        asked_in = lang if rng.random() < 0.7 else rng.choice(LANGS)
        block.append(("user", rng.choice(questions[asked_in])))
        roll = rng.random()
        if roll < 0.25:
            block.append(("tap?", "👍"))
        elif roll < 0.4:
            block.append(("tap#?", "0"))
    return block


def guest_actions(
    number: int, rng: random.Random, questions: dict[str, list[str]], length: int
) -> list[Action]:
    """A guest: /start, language and role by their buttons, then modules, questions, small talk."""
    lang = LANGS[number % 3]
    role = number // 3 % 2
    actions: list[Action] = [("user", "/start"), ("tap#", str(LANGS.index(lang))), ("tap#", str(role))]
    modules = list(MODULES[lang])
    rng.shuffle(modules)
    while len(actions) < length:
        actions += faq_block(rng, questions, lang, rng.randint(3, 6))
        actions.append(("user", rng.choice(SMALL_TALK[lang])))
        if modules:
            actions += transcript_actions(modules.pop())
        else:
            actions += [("user", rng.choice(["/help", "/modules", "/menu"]))]
    return actions


def survey_actions(role: str, rng: random.Random, questions: dict[str, list[str]]) -> list[Action]:
    name, lang, survey_id = SURVEYS[role]
    actions: list[Action] = [("link", ""), ("prompt", survey_id), *transcript_actions(name)]
    return actions + faq_block(rng, questions, lang, 8)


def burst_actions(
    number: int, rng: random.Random, questions: dict[str, list[str]], length: int
) -> list[Action]:
    """Someone who only types questions, for bursts (no button to wait for)."""
    lang = LANGS[number % 3]
    return [("user", rng.choice(questions[lang])) for _ in range(length)]


async def stored(engine: AsyncEngine, chat: str | None = None) -> dict[str, tuple[Answers, Results]]:
    """The survey answers and the results rows of each Telegram user (of ``chat`` only)."""
    where = "u.channel = 'telegram'" + (" AND u.external_id = :chat" if chat is not None else "")
    answers: dict[str, set[tuple[str, str, str]]] = collections.defaultdict(set)
    results: dict[str, list[tuple[str, str, str]]] = collections.defaultdict(list)
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.text(
                "SELECT u.external_id, s.survey_id, a.key, a.value FROM survey_answers a "
                "JOIN survey_responses s ON s.id = a.response_id "
                "JOIN participants p ON p.id = s.participant_id "
                f"JOIN users u ON u.id = p.user_id WHERE {where}"
            ),
            {"chat": chat} if chat is not None else {},
        )
        for external, survey_id, key, value in rows.all():
            answers[str(external)].add((str(survey_id), str(key), str(value)))
        rows = await conn.execute(
            sa.text(
                "SELECT u.external_id, r.dialog_id, r.key, r.value FROM results r "
                f"JOIN users u ON u.id = r.user_id WHERE {where}"
            ),
            {"chat": chat} if chat is not None else {},
        )
        for external, dialog_id, key, value in rows.all():
            results[str(external)].append((str(dialog_id), str(key), str(value)))
    return {
        chat_id: (frozenset(answers.get(chat_id, set())), tuple(sorted(results.get(chat_id, []))))
        for chat_id in set(answers) | set(results)
    }


def messages_of(replies: Sequence[ReplyCreated]) -> list[Msg]:
    """The replies as the Telegram channel sends them (split, the keyboard on the last part), as
    the fake server keeps them (trimmed)."""
    return [
        Msg(out.text.strip(), tuple(b.label for row in out.buttons for b in row), bool(out.edits))
        for reply in replies
        for out in render(reply)
        if out.attachment is None
    ]


async def record(plans: dict[str, tuple[str, list[Action], str | None, str | None]]) -> dict[str, Script]:
    """Play every plan through the conversation service on an empty database: what the bot
    answers at each step, and what it stores. ``plans``: name → (hint, actions, role, language)."""
    context = build_context(load_settings(env_file=None, flood_limit=0))
    folder = Path(tempfile.mkdtemp(prefix="dt4e-drill-record-"))
    engine = create_engine(f"sqlite+aiosqlite:///{folder / 'record.db'}")
    scripts: dict[str, Script] = {}
    try:
        async with _UPGRADES:
            await upgrade(engine)
        store = SqlStore(engine)
        service = ConversationService(store, context)
        for number, (name, (hint, actions, role, language)) in enumerate(plans.items()):
            chat = str(900_000 + number)
            user = UserRef("telegram", chat)
            shown: list[tuple[int, Button]] = []
            flat = 0
            steps: list[Step] = []
            answers: list[Answers] = []
            results: list[Results] = []
            for action, value in [*actions, ("user", "/menu")]:
                now = datetime.now(UTC)
                source = -1
                kind: Literal["user", "tap", "link", "prompt"]
                if action.startswith("tap"):
                    if "#" in action:
                        index = int(value)
                        found = shown[index] if index < len(shown) else None
                    else:
                        found = next(((i, b) for i, b in shown if b.label == value), None)
                    if found is None:
                        if action.endswith("?"):
                            continue
                        raise AssertionError(
                            f"{name}: no button {action} {value!r}: {[b.label for _, b in shown]}"
                        )
                    source, button = found
                    kind, value = "tap", button.label
                    # Any id will do: what matters is that the message can be changed.
                    pressed = ButtonPressed(
                        user=user, at=now, data=button.data, language_hint=hint, message=source + 1
                    )
                    replies = await service.handle(pressed)
                elif action == "link":
                    assert role is not None
                    reference = f"R-{chat}"
                    participants = SqlParticipants(store)
                    lang = Lang(language) if language else None
                    await participants.save([Participant(reference, Role(role), language=lang)], now)
                    await participants.invite(
                        reference, token_hash(f"t{chat}"), now, now + timedelta(days=30)
                    )
                    kind = "link"
                    replies = await service.handle(
                        typed(f"/start t{chat}", user=user, at=now, language_hint=hint)
                    )
                elif action == "prompt":
                    dialog = survey(context, value)
                    assert dialog is not None, value
                    assert dialog.version is not None, value
                    audience = Audience(references=(f"R-{chat}",))
                    wave, _ = await SqlPushes(store).create(dialog.id, dialog.version, audience, "drill", now)
                    kind = "prompt"
                    replies = [prompt(context, dialog, wave, Lang(language or hint))]
                else:
                    kind = "user"
                    replies = await service.handle(typed(value, user=user, at=now, language_hint=hint))
                expected = messages_of(replies)
                if not expected:
                    raise AssertionError(f"{name}: no answer to {action} {value!r}: nothing to wait for")
                shown = [(flat + i, b) for i, m in enumerate(replies_buttons(replies)) for b in m]
                flat += len(expected)
                steps.append(Step(kind, value, tuple(expected), source))
                seen = (await stored(engine, chat)).get(chat, (frozenset(), ()))
                answers.append(seen[0])
                results.append(seen[1])
            scripts[name] = Script(name, hint, tuple(steps), tuple(answers), tuple(results), role, language)
    finally:
        await engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)
    return scripts


def replies_buttons(replies: Sequence[ReplyCreated]) -> list[list[Button]]:
    """The buttons of each message the replies make (in the order of ``messages_of``)."""
    return [
        [b for row in out.buttons for b in row]
        for reply in replies
        for out in render(reply)
        if out.attachment is None
    ]


def script_plans(
    options: Options,
) -> tuple[dict[str, tuple[str, list[Action], str | None, str | None]], dict[str, list[str]]]:
    """The distinct scripts to record, and which people play each (by kind)."""
    rng = random.Random(options.seed)
    questions = faq_questions()
    length = 24 if options.quick else 56
    plans: dict[str, tuple[str, list[Action], str | None, str | None]] = {}
    cast: dict[str, list[str]] = {"guest": [], "survey": [], "burst": []}
    for number in range(options.guests):
        name = f"guest-{number % 12}"
        if name not in plans:
            plans[name] = (
                LANGS[number % 12 % 3],
                guest_actions(number % 12, rng, questions, length),
                None,
                None,
            )
        cast["guest"].append(name)
    for number in range(options.survey_people):
        role = ("talent", "employer")[number % 2]
        name = f"survey-{role}"
        if name not in plans:
            _, lang, _ = SURVEYS[role]
            plans[name] = (lang, survey_actions(role, rng, questions), role, lang)
        cast["survey"].append(name)
    burst_length = 12 if options.quick else 40
    for number in range(options.bursts):
        name = f"burst-{number % 6}"
        if name not in plans:
            plans[name] = (
                LANGS[number % 3],
                burst_actions(number % 6, rng, questions, burst_length),
                None,
                None,
            )
        cast["burst"].append(name)
    return plans, cast


# --------------------------------------------------------------- the fake Bot API server


class DrillTelegram(FakeTelegram):
    """The fake server, able to fail every call for a while (:meth:`api_outage`), and keeping
    when each message reached it."""

    def __init__(self) -> None:
        super().__init__(token=TOKEN, bot_username=BOT_USERNAME)
        self.outage: Literal["5xx", "hang", "drop"] | None = None
        self._over = asyncio.Event()
        self.delivered_at: dict[tuple[int, int], float] = {}
        self.shown: dict[int, list[tuple[SentMessage, Msg]]] = {}
        """What each chat saw, in order: a message sent, or a message changed (as it became)."""
        self.outage_calls: collections.Counter[str] = collections.Counter()

    async def _execute(self, request: web.Request, call: RecordedCall) -> Any:
        mode = self.outage
        if mode is not None:
            self.outage_calls[mode] += 1
            if mode == "drop":
                self._record_fault(call.method, call.params, TelegramApiError(0, "dropped", kind="dropped"))
                if request.transport is not None:
                    request.transport.close()
                await asyncio.sleep(5)  # the closed connection cancels this handler
                raise web.HTTPServiceUnavailable()
            if mode == "hang":
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._over.wait(), 60)
                raise TelegramApiError(504, "Gateway Timeout", kind="injected")
            raise TelegramApiError(502, "Bad Gateway", kind="injected")
        result = await super()._execute(request, call)
        if self.outage is not None and call.method == "getUpdates":  # the answer is lost on the way
            self.outage_calls["lost getUpdates"] += 1
            raise TelegramApiError(502, "Bad Gateway", kind="injected")
        return result

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        message = await super()._send_message(params)
        chat, message_id = int(message["chat"]["id"]), int(message["message_id"])
        self.delivered_at[(chat, message_id)] = time.monotonic()
        sent = self._messages[(chat, message_id)]
        self.shown.setdefault(chat, []).append((sent, Msg.of(sent)))
        return message

    async def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._edited(await super()._edit_message_text(params), text=True)

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._edited(await super()._edit_message_reply_markup(params), text=False)

    def _edited(self, message: dict[str, Any], *, text: bool) -> dict[str, Any]:
        sent = self._messages[(int(message["chat"]["id"]), int(message["message_id"]))]
        self.shown.setdefault(sent.chat_id, []).append((sent, Msg.of(sent, edit=True, text=text)))
        return message

    async def __aenter__(self) -> DrillTelegram:
        await super().__aenter__()
        return self

    def messages(self, chat: int) -> list[tuple[SentMessage, Msg]]:
        """What ``chat`` saw, in order (see ``shown``; not copied: read only)."""
        return self.shown.get(chat, [])

    def unconfirmed(self) -> int:
        """Updates queued and not yet confirmed by the bot (fetched or not)."""
        return len(self._queue)

    def change(self) -> asyncio.Event:
        """Set at the next change (a request, a message)."""
        return self._changed

    async def api_outage(self, phases: Sequence[tuple[Literal["5xx", "hang", "drop"], float]]) -> None:
        self._over.clear()
        try:
            for mode, seconds in phases:
                self.outage = mode
                await asyncio.sleep(seconds)
        finally:
            self.outage = None
            self._over.set()
            self._notify()


# ----------------------------------------------------------------------- the database


class Proxy:
    """A TCP proxy from 127.0.0.1:``port`` to PostgreSQL, which can drop and refuse connections."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.target = host, port
        self.port = 0
        self.rejecting = False
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port, reuse_address=True)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._links):
            writer.transport.abort()
        self._links.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.rejecting:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.target)
        except OSError:
            writer.transport.abort()
            return
        self._links |= {writer, up_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, ConnectionError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.transport.abort()

        try:
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        finally:
            self._links -= {writer, up_writer}

    async def outage(self, seconds: float) -> None:
        """Drop every connection; refuse new ones for half the time, then accept and close them."""
        port = self.port
        await self.close()
        try:
            await asyncio.sleep(seconds / 2)
        finally:
            self.rejecting = True
            self.port = port
            await self.start()
        try:
            await asyncio.sleep(seconds / 2)
        finally:
            self.rejecting = False


@dataclass
class Database:
    kind: str
    url: str
    """For this process and the command line."""
    bot_url: str
    """For the bot (through the proxy, on PostgreSQL)."""
    proxy: Proxy | None = None
    path: Path | None = None

    async def outage(self, seconds: float) -> None:
        """The database unusable for ``seconds``."""
        if self.proxy is not None:
            await self.proxy.outage(seconds)
            return
        assert self.path is not None
        lock = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        try:
            await asyncio.to_thread(lock.execute, "BEGIN EXCLUSIVE")
            await asyncio.sleep(seconds)
            await asyncio.to_thread(lock.execute, "ROLLBACK")
        finally:
            lock.close()


@contextlib.asynccontextmanager
async def database(
    kind: str, postgres_url: str, work: Path, *, keep: bool = False
) -> AsyncIterator[Database]:
    """A fresh database: an SQLite file in ``work``, or a PostgreSQL database of its own behind a
    proxy, dropped after."""
    if kind == "sqlite":
        path = work / "bot.db"
        url = f"sqlite+aiosqlite:///{path}"
        yield Database(kind, url, url, path=path)
        return
    name = f"dt4e_drill_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    parsed = sa.engine.make_url(postgres_url)
    proxy = Proxy(parsed.host or "127.0.0.1", parsed.port or 5432)
    await proxy.start()
    try:
        url = parsed.set(database=name).render_as_string(hide_password=False)
        bot_url = parsed.set(database=name, host="127.0.0.1", port=proxy.port).render_as_string(
            hide_password=False
        )
        yield Database(kind, url, bot_url, proxy=proxy)
    finally:
        await proxy.close()
        if keep:
            print(f"  kept the PostgreSQL database {name}", flush=True)
        else:
            async with admin.connect() as conn:
                await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


# ----------------------------------------------------------------------------- the bot


@dataclass
class Start:
    number: int
    channel: str
    pid: int
    spawned: float
    ready_s: float | None = None
    ended: str = ""
    """How it ended: killed, stopped (SIGTERM), or its exit status."""
    ended_at: float | None = None


class Bot:
    """``dt4e-bot run`` in a subprocess, started, killed and stopped again and again; its
    standard error goes to one log, each start marked."""

    def __init__(self, env: dict[str, str], work: Path, tg: DrillTelegram) -> None:
        self.env, self.work, self.tg = env, work, tg
        self.log_path = work / "bot.log"
        self.process: asyncio.subprocess.Process | None = None
        self.starts: list[Start] = []
        self._calls_at_start = 0

    async def start(self, channel: str) -> None:
        with self.log_path.open("ab") as log:
            log.write(f"=== drill: start {len(self.starts) + 1} ({channel})\n".encode())
            self._calls_at_start = len(self.tg.requests)
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "run", "--channel", channel,
                env=self.env, cwd=self.work, stdout=asyncio.subprocess.DEVNULL, stderr=log,
            )  # fmt: skip
        self.starts.append(Start(len(self.starts) + 1, channel, self.process.pid, time.monotonic()))

    async def ready(self, timeout: float = READY_TIMEOUT) -> bool:  # noqa: ASYNC109
        """Wait until the bot polls (its first getUpdates); ``False`` if it exited or took too long."""
        assert self.process is not None
        start = self.starts[-1]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(c.method == "getUpdates" for c in self.tg.requests[self._calls_at_start :]):
                start.ready_s = round(time.monotonic() - start.spawned, 1)
                return True
            if self.process.returncode is not None:
                start.ended = f"exit {self.process.returncode} before polling"
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.tg.change().wait(), 0.5)
        return False

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def kill(self) -> float:
        assert self.process is not None
        self.process.kill()
        await self.process.wait()
        self.starts[-1].ended = "killed"
        self.starts[-1].ended_at = time.monotonic()
        return self.starts[-1].ended_at

    async def stop(self, timeout: float = 30.0) -> tuple[float, int | None]:  # noqa: ASYNC109
        """SIGTERM: how long it took to exit, and its status (``None``: killed after ``timeout``)."""
        assert self.process is not None
        if self.process.returncode is not None:
            return 0.0, self.process.returncode
        began = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code: int | None = await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            code = None
        self.starts[-1].ended = f"SIGTERM: exit {code}" if code is not None else "SIGTERM ignored: killed"
        self.starts[-1].ended_at = time.monotonic()
        return round(time.monotonic() - began, 1), code

    async def close(self) -> None:
        if self.alive:
            assert self.process is not None
            self.process.kill()
            await self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""


async def cli(env: dict[str, str], work: Path, *args: str) -> str:
    """A ``dt4e-bot`` command; its output (an error if it fails)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args, env=env, cwd=work,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"dt4e-bot {' '.join(args)}: exit {process.returncode}: {err.decode()[-2000:]}")
    return out.decode()


# -------------------------------------------------------------------------- the people


@dataclass(frozen=True)
class Duplicate:
    chat: int
    text: str
    candidates: tuple[tuple[int, float | None], ...]
    """The earlier messages of the conversation it repeats (the same text and buttons: an
    answer can come at several steps), nearest first: (index, when it came)."""
    again_at: float | None

    def first(self, kill_times: Sequence[float]) -> tuple[int, float | None]:
        """The copy it repeats: one that came just before a kill that came before the repeat, if
        there is one, else the nearest."""
        for index, at in self.candidates:
            if at is not None and any(in_flight(at, kill, self.again_at) for kill in kill_times):
                return index, at
        return self.candidates[0]


def in_flight(first: float, kill: float, again: float | None) -> bool:
    """A copy that came at most AMBIGUOUS_BEFORE_KILL seconds before a kill, repeated after it."""
    return 0 <= kill - first <= AMBIGUOUS_BEFORE_KILL and (again is None or again >= kill)


class Person:
    """One Telegram user playing a script; the observer feeds them what the bot sends."""

    def __init__(self, chat: int, script: Script, kind: str, tg: DrillTelegram, rng: random.Random) -> None:
        self.chat, self.script, self.kind, self.tg, self.rng = chat, script, kind, tg, rng
        self.flat = [m for step in script.steps for m in step.expected]
        self.ends = list(itertools.accumulate(len(step.expected) for step in script.steps))
        self.token = ""
        self.reference = f"D-{chat}"
        self.next = 0
        """Steps done so far (sent, or waited for: a prompt)."""
        self.sent_at: list[float] = []
        self.acked_at: list[float | None] = [None] * len(script.steps)
        self.matched = 0
        """Messages of the conversation received so far, in order."""
        self.aligned: list[SentMessage | None] = []
        self.consumed = 0
        self.duplicates: list[Duplicate] = []
        self.unexpected: list[str] = []
        self.skipped: list[int] = []
        self.out_of_order = 0
        self.reordered: list[str] = []
        self.off_script = False
        self.after_probe = 0
        self.changed = asyncio.Event()

    # what the bot sent
    def observe(self, now: float) -> None:
        messages = self.tg.messages(self.chat)
        while self.consumed < len(messages):
            sent, got = messages[self.consumed]
            self.consumed += 1
            if self.off_script:
                self.after_probe += 1
                continue
            limit = self.ends[self.next - 1] if self.next else 0
            if self.matched < limit and got == self.flat[self.matched]:
                self.aligned.append(sent)
                self.matched += 1
            elif (late := self._late(got)) is not None:  # one that was missing, out of order
                self.aligned[late] = sent
                self.skipped.remove(late)
                self.out_of_order += 1
                overtaken = self.aligned[self.matched - 1]
                came = self.tg.delivered_at.get((self.chat, sent.message_id), now)
                before = (
                    self.tg.delivered_at.get((self.chat, overtaken.message_id), came) if overtaken else came
                )
                self.reordered.append(
                    f"message {late + 1} {got.text[:50]!r} came {came - before:.1f} s "
                    f"after message {self.matched}"
                )
            elif earlier := self._earlier(got):
                candidates = tuple(
                    (
                        i,
                        self.tg.delivered_at.get((self.chat, m.message_id))
                        if (m := self.aligned[i])
                        else None,
                    )
                    for i in earlier
                )
                again = self.tg.delivered_at.get((self.chat, sent.message_id), now)
                self.duplicates.append(Duplicate(self.chat, got.text[:60], candidates, again))
            elif (later := self._later(got, limit)) is not None:
                self.skipped.extend(range(self.matched, later))
                self.aligned.extend([None] * (later - self.matched))
                self.aligned.append(sent)
                self.matched = later + 1
            else:
                wanted = self.flat[self.matched] if self.matched < len(self.flat) else None
                expected = f"{wanted.text[:60]!r} edit={wanted.edit}" if wanted else "nothing"
                self.unexpected.append(
                    f"{got.text[:80]!r} {list(got.labels)} edit={got.edit}; expected {expected}"
                )
        for step in range(self.next):
            if self.acked_at[step] is None and self.matched >= self.ends[step]:
                self.acked_at[step] = now
        self.changed.set()
        self.changed = asyncio.Event()

    def _late(self, got: Msg) -> int | None:
        return next((i for i in self.skipped if self.flat[i] == got), None)

    def _earlier(self, got: Msg) -> list[int]:
        return [i for i in range(self.matched - 1, -1, -1) if self.flat[i] == got]

    def _later(self, got: Msg, limit: int) -> int | None:
        return next((i for i in range(self.matched + 1, limit) if self.flat[i] == got), None)

    # what the person does
    @property
    def pending(self) -> int:
        """Steps done whose answer has not fully come."""
        return sum(1 for step in range(self.next) if self.acked_at[step] is None)

    @property
    def answered_all(self) -> bool:
        return self.matched >= (self.ends[self.next - 1] if self.next else 0)

    @property
    def conversation_done(self) -> bool:
        return self.next >= len(self.script.steps) - 1

    def perform(self) -> None:
        step = self.script.steps[self.next]
        hint = self.script.hint
        if step.action == "user":
            self.tg.send_text(self.chat, step.value, language_code=hint)
        elif step.action == "link":
            self.tg.send_text(self.chat, f"/start {self.token}", language_code=hint)
        elif step.action == "tap":
            message = self.aligned[step.source]
            assert message is not None
            data = next(d for row in message.buttons for label, d in row if label == step.value and d)
            self.tg.press_button(self.chat, message.message_id, data, language_code=hint)
        self.sent_at.append(time.monotonic())
        self.next += 1

    def can_perform(self, impatient: bool) -> bool:
        """Whether the next step can go now: once the whole answer to the previous one came, or,
        typing while impatient, at once; a button needs its message."""
        step = self.script.steps[self.next]
        if step.action == "tap":
            shown = len(self.aligned) > step.source and self.aligned[step.source] is not None
            return shown and self.answered_all  # a lost message has no button to press
        return self.answered_all or (impatient and step.action == "user")

    def fire(self) -> bool:
        """A burst: type the next message now, answered or not."""
        if self.conversation_done or self.script.steps[self.next].action != "user":
            return False
        self.perform()
        return True

    async def until(self, done: Callable[[], bool], timeout: float) -> bool:  # noqa: ASYNC109
        return await wait_until(self.changed, done, timeout)

    async def talk(self, crowd: People) -> None:
        """Play the script at a person's pace until the drill says stop."""
        while not crowd.stopping and not self.conversation_done:
            await asyncio.sleep(self.rng.uniform(*crowd.think))
            if not await self.until(lambda: crowd.stopping or self.can_perform(crowd.impatient), 1e9):
                return
            if crowd.stopping:
                return
            self.perform()

    def probe(self) -> bool:
        """The final /menu: the script's last step when the conversation went as recorded, else
        an extra /menu whose answer only has to come. ``True`` when on script."""
        if self.conversation_done and self.answered_all and not self.skipped and not self.unexpected:
            self.perform()
            return True
        self.off_script = True
        self.tg.send_text(self.chat, "/menu", language_code=self.script.hint)
        return False

    @property
    def probe_answered(self) -> bool:
        return self.after_probe > 0 if self.off_script else self.matched >= self.ends[-1]


class People:
    """Everyone in a session, and the observer that hands each what the bot sends them."""

    def __init__(self, tg: DrillTelegram, people: list[Person]) -> None:
        self.tg = tg
        self.people = people
        self.stopping = False
        self.impatient = False
        self.think = (1.0, 4.0)
        self.changed = asyncio.Event()
        self._observer: asyncio.Task[None] | None = None
        self._talks: list[asyncio.Task[None]] = []

    def of(self, kind: str) -> list[Person]:
        return [p for p in self.people if p.kind == kind]

    @property
    def talkers(self) -> list[Person]:
        return [p for p in self.people if p.kind != "burst"]

    async def __aenter__(self) -> People:
        self._observer = asyncio.create_task(self._observe())
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in [*self._talks, self._observer]:
            if task is not None:
                task.cancel()
        await asyncio.gather(
            *self._talks, *([self._observer] if self._observer else []), return_exceptions=True
        )

    async def _observe(self) -> None:
        while True:
            changed = self.tg.change()
            now = time.monotonic()
            for person in self.people:
                if person.consumed < len(self.tg.messages(person.chat)):
                    person.observe(now)
            self.changed.set()
            self.changed = asyncio.Event()
            await changed.wait()

    async def until(self, done: Callable[[], bool], timeout: float) -> bool:  # noqa: ASYNC109
        return await wait_until(self.changed, done, timeout)

    def start_talking(self) -> None:
        self._talks += [asyncio.create_task(p.talk(self)) for p in self.talkers]

    def burst(self) -> int:
        return sum(p.fire() for p in self.of("burst"))

    @property
    def pending(self) -> int:
        return sum(p.pending for p in self.people)

    async def settled(self, timeout: float, before: float | None = None) -> float | None:  # noqa: ASYNC109
        """Wait until every step done (before ``before``, if given) is answered; when that was
        (``None``: not within ``timeout``)."""

        def waiting() -> bool:
            return any(
                p.acked_at[step] is None and (before is None or p.sent_at[step] <= before)
                for p in self.people
                for step in range(min(p.next, len(p.sent_at)))
            )

        if not await self.until(lambda: not waiting(), timeout):
            return None
        answered = [
            at
            for p in self.people
            for step, at in enumerate(p.acked_at[: len(p.sent_at)])
            if at is not None and (before is None or p.sent_at[step] <= before)
        ]
        return max(answered, default=time.monotonic())

    async def finish(self, timeout: float) -> bool:  # noqa: ASYNC109
        """Everyone plays the rest of their script quickly (those who only wrote in bursts too);
        ``False`` if some could not within ``timeout`` (an answer that never came)."""
        self.think = (0.1, 0.4)
        self.impatient = False
        self._talks += [asyncio.create_task(p.talk(self)) for p in self.of("burst")]
        _, pending = await asyncio.wait(self._talks, timeout=timeout)
        await self.stop_talking()
        return not pending

    async def stop_talking(self) -> None:
        self.stopping = True
        await asyncio.gather(*self._talks, return_exceptions=True)
        self._talks = []

    async def probe(self, timeout: float = PROBE_TIMEOUT) -> dict[str, int]:  # noqa: ASYNC109
        on_script = sum(p.probe() for p in self.people)
        await self.until(lambda: all(p.probe_answered for p in self.people), timeout)
        return {
            "probed": len(self.people),
            "probed_on_script": on_script,
            "cannot_talk": sum(not p.probe_answered for p in self.people),
        }


# ------------------------------------------------------------------------------ a session


@dataclass
class Session:
    plan: Plan
    options: Options
    work: Path
    db: Database
    engine: AsyncEngine
    tg: DrillTelegram
    bot: Bot
    people: People
    cli_env: dict[str, str]
    rng: random.Random
    events: list[dict[str, Any]] = field(default_factory=list)
    began: float = field(default_factory=time.monotonic)
    began_wall: datetime = field(default_factory=lambda: datetime.now(UTC))

    def note(self, what: str, **details: Any) -> None:
        at = round(time.monotonic() - self.began, 1)
        self.events.append({"t": at, "what": what, **details})
        print(f"  [{self.plan.database}/{self.plan.drill} {at:6.1f}s] {what} {details or ''}", flush=True)

    def channel(self) -> str:
        return self.plan.channels[len(self.bot.starts) % len(self.plan.channels)]

    async def start_bot(self) -> None:
        """Start the bot (the next channel in turn) and wait until it polls; try three times."""
        for _ in range(3):
            await self.bot.start(self.channel())
            if await self.bot.ready():
                return
            self.note("the bot did not start", start=dataclasses.asdict(self.bot.starts[-1]))
            await self.bot.close()
            await asyncio.sleep(2)
        raise RuntimeError(f"the bot does not start: {self.bot.log()[-3000:]}")


def bot_env(db: Database, tg: DrillTelegram, *, bot: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DT4E_")}
    return env | {
        "PYTHONPATH": str(ROOT),
        "DT4E_DATABASE_URL": db.bot_url if bot else db.url,
        "DT4E_TELEGRAM_TOKEN": TOKEN,
        "DT4E_TELEGRAM_API_BASE": tg.base_url,
        "DT4E_BOT_USERNAME": BOT_USERNAME,
        "DT4E_SEND_RATE": str(SEND_RATE),
        # People here talk as fast as the bot answers, and bursts type 40 questions at once:
        # flood control would rightly stop answering them, and the drills count every answer.
        "DT4E_FLOOD_LIMIT": "0",
        "DT4E_LOG_LEVEL": os.environ.get("DRILL_LOG_LEVEL", "INFO"),
    }


@contextlib.asynccontextmanager
async def session(
    plan: Plan, options: Options, scripts: dict[str, Script], cast: dict[str, list[str]]
) -> AsyncIterator[Session]:
    """A fresh database with the crowd and the survey participants in it, the fake server with
    everyone known, the people, and the bot started."""
    work = Path(tempfile.mkdtemp(prefix=f"dt4e-drill-{plan.database}-{plan.drill}-"))
    rng = random.Random(f"{options.seed}-{plan.drill}-{plan.database}")
    async with contextlib.AsyncExitStack() as stack:
        db = await stack.enter_async_context(
            database(plan.database, options.postgres_url, work, keep=options.keep)
        )
        engine = create_engine(db.url)
        stack.push_async_callback(engine.dispose)
        async with _UPGRADES:
            await upgrade(engine)
        crowd = await connect_crowd(engine, options.crowd, zones=("Europe/Brussels",))
        tg = await stack.enter_async_context(DrillTelegram())
        for chat in crowd:
            tg.add_user(chat)
        people: list[Person] = []
        for kind, first in (("guest", TALKER_FIRST), ("survey", SURVEY_FIRST), ("burst", BURST_FIRST)):
            for number, name in enumerate(cast[kind]):
                people.append(Person(first + number, scripts[name], kind, tg, random.Random(rng.random())))
        cli_env = bot_env(db, tg, bot=False)
        surveyed = [p for p in people if p.kind == "survey"]
        table = work / "people.csv"
        with table.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["reference", "role", "cohort", "language"])
            for person in surveyed:
                writer.writerow([person.reference, person.script.role, "drill", person.script.language])
        await cli(cli_env, work, "participants", "import", str(table))
        await cli(cli_env, work, "participants", "invite", "--csv", str(work / "links.csv"))
        with (work / "links.csv").open(encoding="utf-8") as links:
            tokens = {row["reference"]: row["link"].rsplit("start=", 1)[1] for row in csv.DictReader(links)}
        for person in surveyed:
            person.token = tokens[person.reference]
        bot = Bot(bot_env(db, tg, bot=True), work, tg)
        stack.push_async_callback(bot.close)
        crowd_people = await stack.enter_async_context(People(tg, people))
        here = Session(plan, options, work, db, engine, tg, bot, crowd_people, cli_env, rng)
        await here.start_bot()
        await warm_up(here)
        yield here
    if not options.keep:
        shutil.rmtree(work, ignore_errors=True)


async def warm_up(here: Session) -> None:
    """The survey participants open their links; the surveys are pushed (``dt4e-bot survey
    push``) and the prompts come: then everyone starts talking."""
    surveyed = here.people.of("survey")
    for person in surveyed:
        person.perform()  # the link
    if not await here.people.settled(60):
        raise RuntimeError(f"the personal links were not answered: {here.bot.log()[-3000:]}")
    for person in surveyed:
        person.perform()  # the prompt, to come
    for role, (_, _, survey_id) in SURVEYS.items():
        if any(p.script.role == role for p in surveyed):
            out = await cli(
                here.cli_env, here.work, "survey", "push", survey_id, "--role", role, "--cohort", "drill",
                "--any-time", "--yes",
            )  # fmt: skip
            here.note("survey push", output=out.strip().splitlines()[0])
    if not await here.people.settled(90):
        raise RuntimeError(f"the survey prompts did not come: {here.bot.log()[-3000:]}")
    here.people.start_talking()
    here.note("everyone is talking", people=len(here.people.talkers), bursts=len(here.people.of("burst")))


# ----------------------------------------------------------------------------- the drills


async def kills_drill(here: Session) -> dict[str, Any]:
    options, bot, people = here.options, here.bot, here.people
    message = here.work / "announcement.yaml"
    message.write_text(yaml.safe_dump(ANNOUNCEMENT, allow_unicode=True), encoding="utf-8")
    sending_task = asyncio.create_task(
        cli(
            here.cli_env,
            here.work,
            "broadcast",
            "send",
            str(message),
            "--cohort",
            "crowd",
            "--any-time",
            "--yes",
        )
    )  # the first kill does not wait for it
    kills: list[dict[str, Any]] = []
    job = 0
    sending: asyncio.Task[str] | None = sending_task
    for number in range(options.kills):
        delay = here.rng.uniform(1, 6)
        await asyncio.sleep(delay)
        burst = 0
        if number % 4 == 2:
            burst = people.burst()
            await asyncio.sleep(here.rng.uniform(0.0, 0.1))
        unanswered = people.pending
        unconfirmed = here.tg.unconfirmed()
        sent = len(here.tg.calls_to("sendMessage"))
        at = await bot.kill()
        kills.append({
            "at": at, "t": round(at - here.began, 1), "after_ready_s": round(delay, 1), "burst": burst,
            "unanswered_steps": unanswered, "unconfirmed_updates": unconfirmed,
            "channel": bot.starts[-1].channel, "sends_so_far": sent,
        })  # fmt: skip
        here.note(f"SIGKILL {number + 1}", unconfirmed=unconfirmed, unanswered=unanswered, burst=burst)
        await here.start_bot()
        if sending is not None and sending.done():
            match = re.search(r"job (\d+): (\d+) recipients", out := await sending)
            assert match, out
            job, sending = int(match.group(1)), None
            here.note("broadcast", job=job, recipients=int(match.group(2)))
    assert sending is None, "dt4e-bot broadcast send took the whole drill"
    here.note("draining: everyone finishes their conversation")
    pushes = SqlPushes(SqlStore(here.engine))
    deadline = time.monotonic() + DRAIN_TIMEOUT
    await people.finish(DRAIN_TIMEOUT)
    settled = await people.settled(max(5.0, deadline - time.monotonic()))
    state = ""
    while time.monotonic() < deadline:
        [status] = await pushes.status([job])
        state = status.state
        if state == "done":
            break
        await asyncio.sleep(1)
    here.note("drained", settled=settled is not None, broadcast=state)
    probe = await people.probe()
    stop_s, code = await bot.stop()
    report = await cli(here.cli_env, here.work, "broadcast", "status", str(job), "--json")
    kill_times = [k["at"] for k in kills]
    result = conversation_checks(here, kill_times)
    result["examples"]["outbox_of_duplicates"] = await outbox_of(here, doubled_of(here, kill_times))
    result |= probe
    result |= await broadcast_checks(here, job, json.loads(report))
    result["kills"] = len(kills)
    result["kills_with_updates_unconfirmed"] = sum(1 for k in kills if k["unconfirmed_updates"])
    result["kills_with_replies_awaited"] = sum(1 for k in kills if k["unanswered_steps"])
    result["bursts"] = sum(1 for k in kills if k["burst"])
    result["final_sigterm_exit_s"] = stop_s
    result["final_exit_status"] = code
    result["kill_log"] = [{k: v for k, v in kill.items() if k != "at"} for kill in kills]
    return result


async def outages_drill(here: Session) -> dict[str, dict[str, Any]]:
    options, bot, people = here.options, here.bot, here.people
    phases: dict[str, dict[str, Any]] = {}
    windows: dict[str, tuple[float, float]] = {}

    async def keep_writing(until: asyncio.Task[None]) -> int:
        """The burst people type every two seconds until the outage is over."""
        typed_count = 0
        while not until.done():
            typed_count += people.burst()
            await asyncio.sleep(2)
        return typed_count

    async def outage(name: str, run: asyncio.Task[None]) -> tuple[float, float, int]:
        began = time.monotonic()
        people.impatient = True
        written = await keep_writing(run)
        await run
        people.impatient = False
        return began, time.monotonic(), written

    async def recovery(name: str, began: float, ended: float, written: int, pid: int) -> dict[str, Any]:
        settled = await people.settled(DRAIN_TIMEOUT, before=ended)
        windows[name] = (began, time.monotonic())
        result: dict[str, Any] = {
            "outage_s": round(ended - began, 1),
            "bursts_written": written,
            "recovered": settled is not None
            and bot.alive
            and bot.process is not None
            and bot.process.pid == pid,
            "recovered_s": round(settled - ended, 1) if settled is not None else None,
            "restarted": bot.process is None or bot.process.pid != pid,
        }
        here.note(f"{name} over", **result)
        await asyncio.sleep(3)  # people talk normally for a while
        return result

    await asyncio.sleep(3)
    assert bot.process is not None
    pid = bot.process.pid
    here.note("database outage", seconds=options.db_outage)
    began, ended, written = await outage("db-outage", asyncio.create_task(here.db.outage(options.db_outage)))
    phases["db-outage"] = await recovery("db-outage", began, ended, written, pid)

    here.note("Bot API outage", seconds=options.api_outage)
    third = options.api_outage / 30
    api = here.tg.api_outage([("5xx", 15 * third), ("hang", 7 * third), ("drop", 8 * third)])
    began, ended, written = await outage("api-outage", asyncio.create_task(api))
    phases["api-outage"] = await recovery("api-outage", began, ended, written, pid)
    phases["api-outage"]["calls_failed"] = dict(here.tg.outage_calls)

    here.note("database outage with SIGTERM", seconds=options.sigterm_outage)
    began = time.monotonic()
    people.impatient = True
    down = asyncio.create_task(here.db.outage(options.sigterm_outage))
    writing = asyncio.create_task(keep_writing(down))
    await asyncio.sleep(3)
    in_hand = people.pending
    stop_s, code = await bot.stop(timeout=60)
    here.note("stopped", exit_s=stop_s, status=code, updates_in_hand=in_hand)
    await down
    written = await writing
    people.impatient = False
    ended = time.monotonic()
    await here.start_bot()
    assert bot.process is not None
    sigterm = await recovery("sigterm", began, ended, written, bot.process.pid)
    sigterm |= {
        "updates_in_hand_at_sigterm": in_hand, "exit_s": stop_s, "exit_status": code,
        "exited_in_time": code is not None and stop_s <= SIGTERM_LIMIT,
    }  # fmt: skip
    sigterm.pop("restarted")  # it was, on purpose
    phases["sigterm"] = sigterm

    deadline = time.monotonic() + DRAIN_TIMEOUT
    await people.finish(DRAIN_TIMEOUT)
    settled = await people.settled(max(5.0, deadline - time.monotonic()))
    here.note("drained", settled=settled is not None)
    probe = await people.probe()
    stop_s, code = await bot.stop()
    overall = conversation_checks(here, [])
    overall["examples"]["outbox_of_duplicates"] = await outbox_of(here, doubled_of(here, []))
    overall |= probe
    overall["final_sigterm_exit_s"] = stop_s
    overall["final_exit_status"] = code
    for name, (start, end) in windows.items():
        phases[name] |= conversation_checks(here, [], window=(start, end))
    phases["all"] = overall
    return phases


# ----------------------------------------------------------------------------- the checks


def at_kill(dup: Duplicate, kill_times: Sequence[float]) -> bool:
    """Whether the first copy reached the fake server just before a SIGKILL (in flight)."""
    _, first = dup.first(kill_times)
    return first is not None and any(in_flight(first, kill, dup.again_at) for kill in kill_times)


def start_at(here: Session, at: float | None) -> int | None:
    """Which start of the bot was running at ``at``."""
    if at is None:
        return None
    return next(
        (s.number for s in here.bot.starts if s.spawned <= at and (s.ended_at is None or at <= s.ended_at)),
        None,
    )


def doubled_of(here: Session, kill_times: Sequence[float]) -> list[Duplicate]:
    return [d for p in here.people.people for d in p.duplicates if not at_kill(d, kill_times)]


def conversation_checks(
    here: Session, kill_times: list[float], window: tuple[float, float] | None = None
) -> dict[str, Any]:
    """Lost, doubled and wrong messages of everyone's conversations (within ``window`` only,
    if given: by when the step was sent, or the duplicate came)."""

    def inside(at: float | None) -> bool:
        return window is None or (at is not None and window[0] <= at < window[1])

    people = here.people.people
    sent = lost = 0
    waits: list[float] = []
    duplicates: list[Duplicate] = []
    for person in people:
        for step, at in enumerate(person.sent_at):
            if not inside(at):
                continue
            sent += 1
            acked = person.acked_at[step]
            if acked is None:
                lost += 1
            else:
                waits.append(acked - at)
        duplicates += [d for d in person.duplicates if inside(d.again_at)]

    ambiguous = [d for d in duplicates if at_kill(d, kill_times)]
    doubled = [d for d in duplicates if not at_kill(d, kill_times)]
    across = [d for d in doubled if start_at(here, d.first(kill_times)[1]) != start_at(here, d.again_at)]
    result: dict[str, Any] = {
        "updates_sent": sent,
        "lost_updates": lost,
        "lost_messages": sum(len(p.skipped) for p in people) if window is None else None,
        "out_of_order": sum(p.out_of_order for p in people) if window is None else None,
        "duplicates": len(doubled),
        "duplicates_in_flight_at_kill": len(ambiguous),
        "duplicates_across_a_restart": len(across),
        "duplicates_within_one_run": len(doubled) - len(across),
        "wrong_messages": sum(len(p.unexpected) for p in people) if window is None else None,
        "reply_wait_p50_s": round(percentile(waits, 0.5), 2) if waits else None,
        "reply_wait_max_s": round(max(waits), 1) if waits else None,
    }
    if window is None:
        result["examples"] = {
            "lost": [
                f"chat {p.chat} step {s + 1} ({p.script.steps[s].action} {p.script.steps[s].value[:40]!r})"
                for p in people for s in range(len(p.sent_at)) if p.acked_at[s] is None
            ][:10],
            "duplicates": [duplicate_example(d, kill_times, here) for d in doubled][:10],
            "wrong": [f"chat {p.chat}: {u}" for p in people for u in p.unexpected][:10],
            "out_of_order": [f"chat {p.chat}: {u}" for p in people for u in p.reordered][:10],
        }  # fmt: skip
    return {k: v for k, v in result.items() if v is not None or k.startswith("reply")}


def duplicate_example(dup: Duplicate, kill_times: list[float], here: Session) -> dict[str, Any]:
    """A duplicate: when both copies came (seconds into the session, and the wall-clock time of
    the bot's log), from which start of the bot, and the time between the first copy and the
    next kill (if any)."""
    index, first_at = dup.first(kill_times)
    after = [kill - first_at for kill in kill_times if first_at is not None and kill >= first_at]

    def when(at: float | None) -> float | None:
        return round(at - here.began, 2) if at is not None else None

    return {
        "chat": dup.chat,
        "message": index + 1,
        "text": dup.text,
        "first_at_s": when(first_at),
        "again_at_s": when(dup.again_at),
        "first_at": wall(here, first_at),
        "again_at": wall(here, dup.again_at),
        "first_by_start": start_at(here, first_at),
        "again_by_start": start_at(here, dup.again_at),
        "first_copy_before_next_kill_s": round(min(after), 2) if after else None,
    }


async def outbox_of(here: Session, duplicates: Sequence[Duplicate]) -> list[dict[str, Any]]:
    """The outbox entries holding the messages that came twice (what the engineer needs to see
    whether one entry was sent twice or the replies were written twice)."""
    found: list[dict[str, Any]] = []
    for dup in list(duplicates)[:6]:
        copies = [wall(here, at) for _, at in dup.candidates] + [wall(here, dup.again_at)]
        async with here.engine.connect() as conn:
            rows = await conn.execute(
                sa.text(
                    "SELECT o.id, o.created_at, o.sent_at, o.claimed_until, o.parts_sent, o.replies "
                    "FROM outbox o JOIN users u ON u.id = o.user_id "
                    "WHERE u.channel = 'telegram' AND u.external_id = :chat ORDER BY o.id"
                ),
                {"chat": str(dup.chat)},
            )
            for entry_id, created, sent, claimed, parts, replies in rows.all():
                data = json.loads(replies) if isinstance(replies, str) else replies
                texts = [str(r.get("text", ""))[:40] for r in data]
                if any(strip_bidi_controls(dup.text)[:30] in strip_bidi_controls(t) for t in texts):
                    found.append({
                        "chat": dup.chat, "outbox_id": entry_id, "created_at": str(created),
                        "sent_at": str(sent), "claimed_until": str(claimed), "parts_sent": parts,
                        "replies": texts,
                        "copies_at": copies,
                    })  # fmt: skip
    return found


def wall(here: Session, at: float | None) -> str | None:
    """A time of this process's monotonic clock as the wall-clock time (UTC) of the bot's log."""
    if at is None:
        return None
    return (here.began_wall + timedelta(seconds=at - here.began)).isoformat(timespec="milliseconds")


async def stored_checks(here: Session) -> dict[str, Any]:
    """The survey answers and module results the bot acknowledged are in the database, once."""
    found = await stored(here.engine)
    lost_answers = changed_answers = acknowledged = lost_results = extra_results = 0
    examples: list[str] = []
    for person in here.people.people:
        acked = [step for step in range(len(person.sent_at)) if person.acked_at[step] is not None]
        upto = max(acked, default=-1)
        if upto < 0:
            continue
        want_answers = person.script.answers[upto]
        want_results = collections.Counter(person.script.results[upto])
        got_answers, got_rows = found.get(str(person.chat), (frozenset(), ()))
        got_results = collections.Counter(got_rows)
        finished = person.conversation_done and person.answered_all
        acknowledged += len(want_answers)
        got_keys = {(s, k): v for s, k, v in got_answers}
        for survey_id, key, value in want_answers:
            if (survey_id, key) not in got_keys:
                lost_answers += 1
                examples.append(f"chat {person.chat}: answer {survey_id}/{key} missing")
            elif finished and got_keys[(survey_id, key)] != value:
                changed_answers += 1
                examples.append(
                    f"chat {person.chat}: answer {survey_id}/{key} is {got_keys[(survey_id, key)]!r}"
                )
        missing = want_results - got_results
        lost_results += sum(missing.values())
        if finished:
            extra = got_results - want_results
            extra_results += sum(extra.values())
            examples += [
                f"chat {person.chat}: result {row} stored {n} more time(s)" for row, n in extra.items()
            ]
        examples += [f"chat {person.chat}: result {row} missing" for row in missing]
    return {
        "survey_answers_acknowledged": acknowledged,
        "lost_survey_answers": lost_answers,
        "wrong_survey_answers": changed_answers,
        "lost_results": lost_results,
        "extra_results": extra_results,
        "stored_examples": examples[:10],
    }


async def broadcast_checks(here: Session, job: int, report: dict[str, Any]) -> dict[str, Any]:
    crowd = set(range(FIRST_CHAT, FIRST_CHAT + here.options.crowd))
    got = collections.Counter(
        int(c.params["chat_id"])
        for c in here.tg.requests
        if c.method == "sendMessage" and c.status == 200 and int(c.params["chat_id"]) in crowd
        and any(text in strip_bidi_controls(str(c.params.get("text", ""))) for text in ANNOUNCED)
    )  # fmt: skip
    async with here.engine.connect() as conn:
        rows = await conn.execute(
            sa.text(
                "SELECT u.external_id, r.status, r.reason FROM push_recipients r "
                "JOIN participants p ON p.id = r.participant_id JOIN users u ON u.id = p.user_id "
                "WHERE r.push_id = :job"
            ),
            {"job": job},
        )
        statuses = {int(chat): (str(status), str(reason)) for chat, status, reason in rows.all()}
    interrupted = {chat for chat, (status, reason) in statuses.items() if reason == INTERRUPTED}
    failed = {chat for chat, (status, _) in statuses.items() if status == "failed"}
    return {
        "broadcast_recipients": report.get("total"),
        "broadcast_state": report.get("state"),
        "broadcast_sent": report.get("sent"),
        "broadcast_failed_interrupted": len(interrupted),
        "broadcast_failed_other": len(failed - interrupted),
        "broadcast_pending": report.get("pending"),
        "broadcast_received_twice": sum(1 for n in got.values() if n > 1),
        "broadcast_missing": len({c for c in crowd if got[c] == 0} - failed),
        "broadcast_interrupted_but_received": len({c for c in interrupted if got[c] > 0}),
    }


def log_findings(log: str) -> dict[str, Any]:
    """Errors and warnings the bot logged, grouped (ids and numbers replaced by #)."""
    errors: collections.Counter[str] = collections.Counter()
    warnings: collections.Counter[str] = collections.Counter()
    tracebacks: list[str] = []
    lines = log.splitlines()
    for number, line in enumerate(lines):
        parts = line.split(" ", 3)
        level = parts[2] if len(parts) > 3 else ""
        message = re.sub(r"\d+", "#", parts[3] if len(parts) > 3 else line)
        if level in ("ERROR", "CRITICAL"):
            errors[message[:200]] += 1
        elif level == "WARNING":
            warnings[message[:200]] += 1
        if line.startswith("Traceback"):
            tail = next((lines[i] for i in range(number + 1, len(lines)) if not lines[i].startswith(" ")), "")
            tracebacks.append(tail[:200])
    return {
        "errors": dict(errors.most_common(15)),
        "warnings": dict(warnings.most_common(15)),
        "tracebacks": dict(collections.Counter(tracebacks).most_common(10)),
    }


MUST_BE_ZERO = (
    "lost_updates", "lost_messages", "out_of_order", "duplicates", "wrong_messages", "lost_survey_answers",
    "wrong_survey_answers", "lost_results", "extra_results", "cannot_talk", "broadcast_received_twice",
    "broadcast_missing", "broadcast_pending",
)  # fmt: skip
MUST_BE_TRUE = ("recovered", "exited_in_time")


def failures(result: dict[str, Any]) -> list[str]:
    bad = [f"{k}={result[k]}" for k in MUST_BE_ZERO if result.get(k)]
    bad += [f"{k}={result[k]}" for k in MUST_BE_TRUE if k in result and result[k] is not True]
    if result.get("broadcast_state") not in (None, "done"):
        bad.append(f"broadcast_state={result['broadcast_state']}")
    return bad


# ------------------------------------------------------------------------------- running


async def run_plan(
    plan: Plan, options: Options, scripts: dict[str, Script], cast: dict[str, list[str]]
) -> list[dict[str, Any]]:
    began = time.monotonic()
    rows: list[dict[str, Any]] = []
    async with session(plan, options, scripts, cast) as here:
        try:
            if plan.drill == "kills":
                result = await kills_drill(here)
                result |= await stored_checks(here)
                rows.append({"drill": "kills", **result})
            else:
                phases = await outages_drill(here)
                overall = phases.pop("all") | await stored_checks(here)
                for name, phase in phases.items():
                    rows.append({"drill": name, **phase})
                rows.append({"drill": "outages (all)", **overall})
        finally:
            findings = log_findings(here.bot.log())
            starts = [
                dataclasses.asdict(s)
                | {
                    "spawned": round(s.spawned - here.began, 1),
                    "ended_at": round(s.ended_at - here.began, 1) if s.ended_at else None,
                }
                for s in here.bot.starts
            ]
            if options.keep:
                print(f"  kept {here.work}", flush=True)
    ready = [s["ready_s"] for s in starts if s["ready_s"] is not None]
    for row in rows:
        row |= {"database": plan.database, "channel": plan.channel_label}
    rows[-1] |= {
        "duration_s": round(time.monotonic() - began, 1),
        "began_at": here.began_wall.isoformat(timespec="seconds"),
        "starts": starts,
        "start_to_polling_s": {"median": percentile(ready, 0.5), "max": max(ready, default=None)},
        "log": findings,
        "events": here.events,
    }
    return rows


def plans_for(
    databases: Sequence[str], channels: Sequence[str], drills: Sequence[str], *, full: bool, quick: bool
) -> list[list[Plan]]:
    """Lanes (one per database) of sessions to run one after the other. Every other lane runs
    the outages first, so that two lanes do not restart bots (costly) at the same time; quick
    with two databases, each lane runs one of the drills."""
    lanes: list[list[Plan]] = []
    for number, db in enumerate(databases):
        lane: list[Plan] = []
        turn = tuple(channels[number % len(channels) :]) + tuple(channels[: number % len(channels)])
        wanted = list(drills)
        if quick and not full and len(databases) > 1 and len(wanted) > 1:
            wanted = [wanted[number % len(wanted)]]
        for drill in wanted if number % 2 == 0 else reversed(wanted):
            if full:
                lane += [Plan("kills" if drill == "kills" else "outages", db, (c,)) for c in channels]
            elif drill == "kills":
                lane.append(Plan("kills", db, turn))
            else:
                lane.append(Plan("outages", db, (turn[-1],)))
        lanes.append(lane)
    return lanes


async def postgres_answers(url: str) -> bool:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        await engine.dispose()


async def main(args: argparse.Namespace) -> int:
    quick = bool(args.quick)
    options = Options(
        quick=quick,
        seed=args.seed,
        people=args.people or (15 if quick else 50),
        bursts=args.bursts or (10 if quick else 20),
        crowd=args.crowd or (600 if quick else 3000),
        kills=args.kills or (5 if quick else 20),
        db_outage=5.0 if quick else 10.0,
        api_outage=12.0 if quick else 30.0,
        sigterm_outage=22.0 if quick else 25.0,
        postgres_url=args.postgres_url,
        keep=bool(args.keep),
    )
    databases = list(DATABASES if args.database == "both" else [args.database])
    if "postgres" in databases and not await postgres_answers(options.postgres_url):
        print(f"PostgreSQL does not answer at {options.postgres_url}: skipped", file=sys.stderr)
        databases.remove("postgres")
    channels = list(CHANNELS if args.channel == "both" else [args.channel])
    drills = ["kills", "outages"] if args.drill == "all" else [args.drill]
    lanes = plans_for(databases, channels, drills, full=bool(args.full), quick=quick)
    began = time.monotonic()
    print("recording the expected conversations ...", flush=True)
    plans, cast = script_plans(options)
    scripts = await record(plans)
    print(f"  {len(scripts)} scripts, {sum(len(s.steps) for s in scripts.values())} steps", flush=True)

    async def lane(sessions: list[Plan]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for plan in sessions:
            print(f"{plan.drill} on {plan.database} ({plan.channel_label}) ...", flush=True)
            try:
                rows += await run_plan(plan, options, scripts, cast)
            except Exception as exc:  # a drill that could not run is a failure to report, not a crash
                rows.append({
                    "drill": plan.drill, "database": plan.database, "channel": plan.channel_label,
                    "error": f"{type(exc).__name__}: {str(exc)[-1500:]}",
                })  # fmt: skip
        return rows

    if args.serial:
        rows = [row for sessions in lanes for row in await lane(sessions)]
    else:
        rows = [row for done in await asyncio.gather(*(lane(s) for s in lanes)) for row in done]
    verdicts = {
        f"{r['drill']} {r['database']} {r['channel']}": failures(r) + ([r["error"]] if "error" in r else [])
        for r in rows
    }
    failed = {k: v for k, v in verdicts.items() if v}
    outcome: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python -m bench.drills", *sys.argv[1:]]),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            **dict(zip(("git_commit", "git_dirty"), git_state(), strict=True)),
        },
        "options": dataclasses.asdict(options) | {"lanes": "serial" if args.serial else "side by side"},
        "duration_s": round(time.monotonic() - began, 1),
        "passed": not any(verdicts.values()),
        "failures": failed,
        "drills": rows,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(outcome, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    print_table(rows)
    verdict = "PASSED" if outcome["passed"] else "FAILED"
    print(f"\n{verdict} in {outcome['duration_s']:.0f} s; results in {RESULTS}")
    for name, bad in failed.items():
        print(f"  {name}: {', '.join(bad)}")
    every = (args.database, args.channel, args.drill) == ("both", "both", "all")
    if every and not quick and len(databases) == len(DATABASES):  # the whole set: in BENCHMARKS.md
        reasons = "".join(f"\n  {name}: {', '.join(bad)}" for name, bad in failed.items())
        summary = f"{format_table(rows)}\n\n{verdict}{reasons}"
        update_section("Fault drills", "bench.drills", latest_run(outcome, summary))
        print("updated: the Fault drills section of BENCHMARKS.md")
    return 0 if outcome["passed"] else 1


SHOWN = (
    ("updates_sent", "updates"), ("lost_updates", "lost"), ("lost_messages", "lost msgs"),
    ("out_of_order", "reordered"),
    ("duplicates", "twice"), ("duplicates_in_flight_at_kill", "twice@kill"), ("wrong_messages", "wrong"),
    ("lost_survey_answers", "lost answers"), ("extra_results", "extra results"), ("cannot_talk", "mute"),
    ("broadcast_received_twice", "bc twice"), ("broadcast_missing", "bc missing"),
    ("broadcast_failed_interrupted", "bc interrupted"), ("recovered_s", "recovered s"), ("exit_s", "exit s"),
    ("reply_wait_max_s", "max wait s"),
)  # fmt: skip


def print_table(rows: list[dict[str, Any]]) -> None:
    print()
    print(format_table(rows))


def format_table(rows: list[dict[str, Any]]) -> str:
    """The counts of every drill, then what could not run and what the bot logged."""
    out: list[str] = []
    head = ["drill", "database", "channel", *[title for _, title in SHOWN]]
    table = [head]
    for row in rows:
        cells = [str(row.get("drill")), str(row.get("database")), str(row.get("channel"))]
        for key, _ in SHOWN:
            value = row.get(key)
            cells.append("-" if value is None else ("no" if value is False else str(value)))
        table.append(cells)
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    for cells in table:
        out.append(
            "  ".join(
                c.rjust(w) if i > 2 else c.ljust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )
        )
    for row in rows:
        if "error" in row:
            out.append(f"\n{row['drill']} on {row['database']}: could not run: {row['error'][:500]}")
        findings = row.get("log")
        if findings and (findings["errors"] or findings["tracebacks"]):
            out.append(f"\n{row['drill']} on {row['database']} ({row['channel']}): the bot logged")
            for message, count in [*findings["errors"].items(), *findings["tracebacks"].items()]:
                out.append(f"  {count:5d} × {message}")
    return "\n".join(out)


def arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Fault drills: kills, a database outage, a Bot API outage, SIGTERM in an outage."
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer people and kills, shorter outages (~2.5 min)"
    )
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--channel", choices=["aiogram", "ptb", "both"], default="both")
    parser.add_argument("--drill", choices=["kills", "outages", "all"], default="all")
    parser.add_argument("--full", action="store_true", help="every drill on every database and channel")
    parser.add_argument("--serial", action="store_true", help="one database after the other")
    parser.add_argument("--postgres-url", default=POSTGRES)
    parser.add_argument("--people", type=int, default=0)
    parser.add_argument("--bursts", type=int, default=0)
    parser.add_argument("--crowd", type=int, default=0)
    parser.add_argument("--kills", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the work folders (the bot's logs)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(arguments())))
