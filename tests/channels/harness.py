"""Run a real Telegram channel in-process against the fake Bot API server.

``running(name, service, tg)`` starts :class:`bot.channels.telegram.aiogram.AiogramChannel` or
:class:`bot.channels.telegram.ptb.PtbChannel` (polling by default) as a task and stops it on exit, the
way SIGTERM does in ``dt4e-bot run``. The retry policy is shortened so fault tests stay fast.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.app import CHANNELS, TelegramChannel, create_channel
from bot.channels.telegram.bridge import Conversations
from bot.channels.telegram.delivery import RetryPolicy
from bot.channels.telegram.marks import Journal
from bot.channels.telegram.webhook import Mode, Polling
from tests.fake_telegram import FakeTelegram, SentMessage

__all__ = ["CHANNELS", "FAST", "POLL", "answered", "button", "free_port", "handled", "press", "running"]

FAST = RetryPolicy(attempts=4, first_backoff=0.05, max_backoff=0.2, flood_retries=3)
POLL = Polling(timeout=1)


@asynccontextmanager
async def running(
    name: str,
    service: Conversations,
    tg: FakeTelegram,
    mode: Mode = POLL,
    *,
    policy: RetryPolicy = FAST,
    shutdown_timeout: float = 10.0,
    max_in_flight: int | None = None,
    journal: Path | None = None,
) -> AsyncIterator[TelegramChannel]:
    channel = create_channel(
        name,
        service,
        token=tg.token,
        api_base=tg.base_url,
        policy=policy,
        shutdown_timeout=shutdown_timeout,
        max_in_flight=max_in_flight,
        journal=None if journal is None else Journal(journal),
    )
    stop = asyncio.Event()
    task = asyncio.create_task(channel.run(mode, stop))
    try:
        yield channel
        if task.done():
            task.result()  # a channel that ended early: show why
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


async def handled(channel: TelegramChannel, count: int, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    """Wait until the channel has handled ``count`` updates, every reply of them delivered."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while channel.bridge.handled < count:
        assert loop.time() < deadline, f"{channel.bridge.handled} updates handled, expected {count}"
        await asyncio.sleep(0.005)


async def answered(tg: FakeTelegram, count: int, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    """Wait until ``count`` button presses were answered."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(tg.callback_answers) < count:
        assert loop.time() < deadline, f"{len(tg.callback_answers)} presses answered, expected {count}"
        await asyncio.sleep(0.005)


def press(tg: FakeTelegram, user_id: int, label: str, *, language_code: str | None = None) -> int:
    """Tap the button labelled ``label`` on the latest bot message that has one."""
    for message in reversed(tg.visible(user_id)):
        for row in message.buttons:
            for text, data in row:
                if text == label and data is not None:
                    return tg.press_button(user_id, message.message_id, data, language_code=language_code)
    raise AssertionError(f"no button {label!r} in chat {user_id}: {[m.buttons for m in tg.sent(user_id)]}")


def button(message: SentMessage, label: str) -> str:
    """The callback data of the button labelled ``label`` on ``message``."""
    for row in message.buttons:
        for text, data in row:
            if text == label and data is not None:
                return data
    raise AssertionError(f"no button {label!r} on message {message.message_id}: {message.buttons}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
