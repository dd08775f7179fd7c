"""A bare aiogram 3 echo bot, the ceiling for the aiogram figures of ``bench.load``.

One ``Dispatcher`` with one message handler that answers the same text, polled with
``start_polling`` (aiogram's defaults: every update handled as its own task, no limit; SIGTERM
and SIGINT stop it)::

    python -m bench.echo_aiogram [BOT_API_BASE [TOKEN]]

The Bot API base URL and the token come from the arguments, else from ``BOT_API_BASE`` and
``BOT_TOKEN`` in the environment.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys

from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message

POLLING_TIMEOUT = 1
"""Seconds one getUpdates waits for news (the fake server answers at once when there are some)."""

dispatcher = Dispatcher()


@dispatcher.message(F.text)
async def echo(message: Message) -> None:
    await message.answer(message.text or "")


async def main(api_base: str, token: str) -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base))
    bot = Bot(token, session=session)
    await dispatcher.start_polling(bot, polling_timeout=POLLING_TIMEOUT)


def _args() -> tuple[str, str]:
    api_base = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("BOT_API_BASE", "")
    token = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("BOT_TOKEN", "")
    if not api_base or not token:
        sys.exit("usage: python -m bench.echo_aiogram BOT_API_BASE TOKEN (or BOT_API_BASE, BOT_TOKEN)")
    return api_base, token


if __name__ == "__main__":
    logging.basicConfig(level=os.environ.get("BENCH_LOG_LEVEL", "WARNING"))
    asyncio.run(main(*_args()))
