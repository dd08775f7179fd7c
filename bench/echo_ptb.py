"""A bare python-telegram-bot 22 echo bot, the ceiling for the PTB figures of ``bench.load``.

One ``Application`` built with ``concurrent_updates(True)`` and one ``MessageHandler`` that
answers the same text, polled with ``run_polling`` (PTB's updater; SIGTERM and SIGINT stop it)::

    python -m bench.echo_ptb [BOT_API_BASE [TOKEN]]

The Bot API base URL and the token come from the arguments, else from ``BOT_API_BASE`` and
``BOT_TOKEN`` in the environment.
"""

from __future__ import annotations

import logging
import os
import sys

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

POLLING_TIMEOUT = 1
"""Seconds one getUpdates waits for news (the fake server answers at once when there are some)."""


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text:
        await message.reply_text(message.text)


def main(api_base: str, token: str) -> None:
    app = (
        Application.builder()
        .token(token)
        .base_url(f"{api_base}/bot")
        .base_file_url(f"{api_base}/file/bot")
        .concurrent_updates(True)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling(timeout=POLLING_TIMEOUT, allowed_updates=Update.ALL_TYPES)


def _args() -> tuple[str, str]:
    api_base = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("BOT_API_BASE", "")
    token = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("BOT_TOKEN", "")
    if not api_base or not token:
        sys.exit("usage: python -m bench.echo_ptb BOT_API_BASE TOKEN (or BOT_API_BASE, BOT_TOKEN)")
    return api_base, token


if __name__ == "__main__":
    logging.basicConfig(level=os.environ.get("BENCH_LOG_LEVEL", "WARNING"))
    logging.getLogger("httpx").setLevel(logging.WARNING)  # every request, the token in its URL
    main(*_args())
