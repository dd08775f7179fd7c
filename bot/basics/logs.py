"""The log of ``dt4e-bot``: one stream (stderr) at the level asked for (``DT4E_LOG_LEVEL``), with
personal data and secrets kept out of it whatever that level:

* our own loggers (``bot.*``, ``storage.*``, ``faq.*``, ``dialogs.*``) log at the level asked for,
  DEBUG included: they name updates and users by id, never by what they wrote;
* the libraries in :data:`QUIET` write, below WARNING, what people sent (names, usernames, phone
  numbers, texts: Telegram's updates as they arrive), the Bot API's URLs (the token is in them),
  the webhook secret, or SQL parameters and rows; they stay at WARNING (or the level asked for, if
  higher);
* every line written, a traceback included, has the secrets given to :func:`keep_secret` (the
  bot token, the webhook secret, the database password) replaced by ``[secret]``, and so has a
  traceback that ends the program.

:func:`configure` sets this up; the command line calls it once, before it runs a command.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Mapping
from types import TracebackType
from typing import Final, TextIO
from urllib.parse import quote

__all__ = ["FORMAT", "QUIET", "configure", "keep_secret", "redact"]

FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"

QUIET: Final[Mapping[str, int]] = {
    "httpx": logging.WARNING,  # every request's URL, the bot token in it (python-telegram-bot)
    "httpcore": logging.WARNING,  # the network layer under httpx
    "telegram": logging.WARNING,  # the Bot's URL; each call's parameters and answer: updates, the secret
    "aiosqlite": logging.WARNING,  # each statement with its parameters
    "sqlalchemy.engine": logging.WARNING,  # statements, parameters and rows (DEBUG) of every engine
    "alembic": logging.WARNING,  # each migration step, at every start
}
"""Loggers kept at this level or above, whatever level is asked for."""

MASK: Final = "[secret]"
SHORTEST: Final = 6
"""Shorter values are not masked: masking every "a" would make the log unreadable and hide
nothing (a secret that short is no secret)."""

_secrets: set[str] = set()


def keep_secret(value: str | None) -> None:
    """Keep ``value`` out of the log from now on (with its URL-quoted form). For a bot token
    (``123456:ABC...``), the part after the colon is kept out on its own too: the bot's id before
    it is public, the rest is the secret."""
    if not value:
        return
    values = {value, quote(value, safe="")}
    bot_id, colon, rest = value.partition(":")
    if colon and bot_id.isdigit():
        values |= {rest, quote(rest, safe="")}
    _secrets.update(v for v in values if len(v) >= SHORTEST)


def redact(text: str) -> str:
    """``text`` with every kept secret masked (the longest first, so none is left half-shown)."""
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


class RedactingFormatter(logging.Formatter):
    """Formats a record, its traceback and stack included, then masks the kept secrets."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure(level: str | int, *, stream: TextIO | None = None) -> None:
    """Log to ``stream`` (stderr) at ``level``, with :data:`QUIET`'s loggers at WARNING or above
    and every line through :func:`redact`; a traceback that ends the program is masked too.
    As :func:`logging.basicConfig`, this adds no handler if the root logger has one already."""
    handler = logging.StreamHandler(sys.stderr if stream is None else stream)
    handler.setFormatter(RedactingFormatter(FORMAT))
    logging.basicConfig(level=level, handlers=[handler])
    root = logging.getLogger()
    for name, floor in QUIET.items():
        logging.getLogger(name).setLevel(max(floor, root.getEffectiveLevel()))
    if handler in root.handlers:
        sys.excepthook = _redacting_excepthook


def _redacting_excepthook(
    kind: type[BaseException], error: BaseException, trace: TracebackType | None
) -> None:
    sys.stderr.write(redact("".join(traceback.format_exception(kind, error, trace))))
