"""Every transcript in tests/transcripts, over every channel: the core, the console CLI, and
Telegram on aiogram and on python-telegram-bot (the real frameworks talking HTTP to the fake
Bot API server). One contract test: the same conversation, whatever carries it."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from bot.channels.console import as_typed
from bot.core.context import Context
from bot.core.inbound import UserRef
from bot.service import ConversationService
from storage.engine import create_engine, upgrade
from storage.store import SqlStore
from tests.channels.harness import answered, handled, running
from tests.fake_telegram import FakeTelegram, SentMessage
from tests.transcript import (
    TRANSCRIPTS as TRANSCRIPT_DIR,
)
from tests.transcript import (
    CoreDriver,
    Driver,
    Expected,
    Seen,
    Transcript,
    all_transcripts,
    compare,
    connect,
    load,
    notices_first,
    prompt_of,
    record,
    rewrite,
    types_a_label,
)

TRANSCRIPTS = all_transcripts()
CHANNELS = ["core", "console", "aiogram", "ptb"]
TELEGRAM_USER = 42
BUTTON = re.compile(r"\[(\d+)\] (.+?)(?=\s{3}\[\d+\] |$)")


class ConsoleDriver:
    """The real ``dt4e-bot chat`` in a subprocess, its standard input a pipe."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    async def play(self, transcript: Transcript) -> list[list[Seen]]:
        args = [sys.executable, "-m", "bot.cli", "chat", "--user", "transcript"]
        if transcript.language_hint:
            args += ["--lang", transcript.language_hint]
        env = {**os.environ, "DT4E_DATABASE_URL": self.database_url, "DT4E_LOG_LEVEL": "WARNING"}
        process = await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            cwd=Path(__file__).parent.parent,
        )
        stdin = "".join(step.value + "\n" for step in transcript.steps).encode()
        out, err = await asyncio.wait_for(process.communicate(stdin), timeout=60)
        assert process.returncode == 0, err.decode()
        return parse_console(out.decode())


class TelegramDriver:
    """The real Telegram channel (aiogram or PTB, polling) against the fake Bot API server: the
    user types with ``send_text`` and taps the buttons of the bot's latest messages."""

    def __init__(self, channel: str, service: ConversationService) -> None:
        self.channel = channel
        self.service = service

    async def play(self, transcript: Transcript) -> list[list[Seen]]:
        user, hint = TELEGRAM_USER, transcript.language_hint
        seen: list[list[Seen]] = []
        wave = await connect(self.service, UserRef("telegram", str(user)), transcript)
        async with FakeTelegram() as tg, running(self.channel, self.service, tg) as channel:
            shown: list[int] = []  # the messages whose buttons are on screen
            if (pushed := prompt_of(self.service, transcript, wave)) is not None:
                tg.add_user(user)
                assert await channel.bridge.outbox.send_replies(
                    UserRef("telegram", str(user)), user, [pushed]
                )
                shown = [m.message_id for m in await tg.wait_for_sent(user, 1)]
            for number, step in enumerate(transcript.steps, 1):
                calls, answers, before = len(tg.requests), len(tg.callback_answers), len(tg.sent(user))
                if step.action == "user":
                    tg.send_text(user, step.value, language_code=hint)
                else:
                    sent = tg.sent(user)
                    if step.action == "tap_earlier":
                        shown = [self.earlier(sent, shown, step.value)]
                    message_id, data = self.find_button(sent, shown, step.value)
                    tg.press_button(user, message_id, data, language_code=hint)
                await handled(channel, number)  # all its messages are sent: extras show too
                if step.action != "user":
                    await answered(tg, answers + 1)
                messages, touched = self.observe(tg, user, (calls, answers, before))
                if touched:
                    shown = touched
                seen.append(notices_first(messages))
        return seen

    @staticmethod
    def observe(tg: FakeTelegram, user: int, since: tuple[int, int, int]) -> tuple[list[Seen], list[int]]:
        """What the bot did in the chat since (requests, callback answers, messages sent) were
        counted: the notice shown, and the messages sent and changed, in order; also the ids of
        the messages touched."""
        calls, answers, before = since
        new = iter(tg.sent(user)[before:])
        seen = [Seen(a.text, kind="notice") for a in tg.callback_answers[answers:] if a.text]
        touched: list[int] = []
        for call in tg.requests[calls:]:
            if call.status != 200 or call.params.get("chat_id") != user:
                continue
            if call.method in ("sendMessage", "sendDocument", "sendPhoto"):
                message = next(new)
                touched.append(message.message_id)
                seen.append(Seen(message.text or "", [label for row in message.buttons for label, _ in row]))
            elif call.method in ("editMessageText", "editMessageReplyMarkup"):
                rows = (call.params.get("reply_markup") or {}).get("inline_keyboard", [])
                text = str(call.params.get("text", "")) if call.method == "editMessageText" else ""
                touched.append(int(call.params["message_id"]))
                seen.append(Seen(text, [str(b["text"]) for row in rows for b in row], kind="edit"))
        return seen, touched

    @staticmethod
    def earlier(sent: list[SentMessage], shown: list[int], label: str) -> int:
        """The latest message above those on screen with a button ``label``."""
        found = [
            m.message_id
            for m in sent
            if m.message_id not in shown and any(text == label for row in m.buttons for text, _ in row)
        ]
        assert found, f"no earlier message with a button {label!r}"
        return max(found)

    @staticmethod
    def find_button(sent: list[SentMessage], shown: list[int], label: str) -> tuple[int, str]:
        for message in (m for m in sent if m.message_id in shown):
            for row in message.buttons:
                for text, data in row:
                    if as_typed(text) == as_typed(label) and data is not None:
                        return message.message_id, data
        labels = [text for m in sent if m.message_id in shown for row in m.buttons for text, _ in row]
        raise AssertionError(f"no button {label!r} on screen: {labels}")


MARKS = {">": "", "*": "edit", "~": "notice"}
"""The console's marks of a new message, a message changed and a notice."""


def parse_console(output: str) -> list[list[Seen]]:
    """Split the console's output into the bot's messages after each ``you>`` line."""
    turns: list[list[Seen]] = []
    for line in output.splitlines():
        if line.startswith("you> "):
            turns.append([])
        elif line[:3] == "bot" and line[3:4] in MARKS and line[4:5] in (" ", ""):
            turns[-1].append(Seen(line[5:], kind=MARKS[line[3]]))
        elif line.startswith("     ") and turns and turns[-1]:
            body = line[5:]
            buttons = BUTTON.findall(body)
            if buttons and body.startswith("["):
                turns[-1][-1].buttons.extend(label for _, label in buttons)
            else:
                turns[-1][-1].text += "\n" + body
    return [notices_first(turn) for turn in turns]


def console_view(transcript: Transcript) -> Transcript:
    """What the console shows of ``transcript``: not the changes that only take a message's
    buttons away (it cannot take printed buttons back, and printed a bare ``bot*``)."""

    def shown(want: Expected) -> bool:
        return not (want.kind == "edit" and not "".join(want.says) and not want.buttons)

    steps = tuple(replace(step, bot=tuple(filter(shown, step.bot))) for step in transcript.steps)
    return replace(transcript, steps=steps)


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("transcript", TRANSCRIPTS, ids=[t.name for t in TRANSCRIPTS])
async def test_transcript(channel: str, transcript: Transcript, sqlite_url: str, context: Context) -> None:
    if channel == "console":
        if transcript.participant is not None or transcript.prompt is not None:
            pytest.skip("the console chat cannot open an invitation link or receive a pushed prompt")
        if types_a_label(transcript):
            pytest.skip(
                "the console reads a typed label or number as a press, and presses only buttons shown"
            )
        compare(console_view(transcript), await ConsoleDriver(sqlite_url).play(transcript))
        return
    engine = create_engine(sqlite_url)
    await upgrade(engine)
    try:
        service = ConversationService(SqlStore(engine), context)
        driver: Driver = CoreDriver(service) if channel == "core" else TelegramDriver(channel, service)
        seen = await driver.play(transcript)
    finally:
        await engine.dispose()
    compare(transcript, seen)


def test_transcripts_exist() -> None:
    assert len(TRANSCRIPTS) >= 3


async def test_recording_writes_back_exactly_what_the_bot_says(tmp_path: Path) -> None:
    """``make transcripts`` from the user's steps alone gives back the committed file."""
    source = TRANSCRIPT_DIR / "small_talk.yaml"
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    for step in data["steps"]:
        step["bot"] = []
    copy = tmp_path / source.name
    copy.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    rewrite(copy, await record(load(copy)))
    assert copy.read_text(encoding="utf-8") == source.read_text(encoding="utf-8")
