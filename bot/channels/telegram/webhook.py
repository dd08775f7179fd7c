"""The two ways to receive updates: :class:`Polling` (getUpdates) and :class:`Webhook`
(HTTPS POSTs from Telegram, served by :mod:`bot.channels.telegram.webhook_server`), with the
checks of a webhook's settings and of a posted body. No aiohttp here: polling goes without it.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bot.basics import logs

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass(frozen=True, slots=True)
class Polling:
    """Receive updates with getUpdates (long polling)."""

    timeout: int = 30
    """Seconds one getUpdates waits for news before answering empty."""


@dataclass(frozen=True, slots=True)
class Webhook:
    """Receive updates as HTTPS POSTs from Telegram (behind a reverse proxy in production)."""

    url: str
    """The public URL registered with setWebhook; its path is the path served."""
    secret: str
    """Telegram sends it in the X-Telegram-Bot-Api-Secret-Token header; other posts get 401."""
    host: str = "0.0.0.0"
    port: int = 8080

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"


Mode = Polling | Webhook


def parse_listen(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (``0.0.0.0:8080``, ``[::]:8443``, ``:8080``) as a host and a port."""
    host, sep, port = value.rpartition(":")
    host = host.strip("[]") or "0.0.0.0"
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"expected HOST:PORT such as 0.0.0.0:8080, got {value!r}")
    return host, int(port)


def check_webhook_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"expected the public https:// URL Telegram should post to, got {url!r}")
    return url


def new_webhook_secret() -> str:
    """A random secret in Telegram's alphabet ([A-Za-z0-9_-]), for one run."""
    return secrets.token_urlsafe(32)


def secret_matches(given: str | None, expected: str) -> bool:
    """Whether the secret header ``given`` is ``expected``. aiohttp decodes a header's bytes as
    UTF-8, the undecodable ones as surrogates; Telegram's secrets are ASCII, so anything else is
    simply wrong (and compare_digest takes no other str)."""
    return (
        given is not None
        and given.isascii()
        and secrets.compare_digest(given.encode("ascii"), expected.encode())
    )


def read_update(body: bytes) -> dict[str, Any]:
    """The JSON object of a posted update; raises ValueError naming what is wrong (never quoting
    the body) if it is not JSON, not an object, or has no integer ``update_id``."""
    try:
        data = json.loads(body)
    except ValueError:  # UnicodeDecodeError included
        raise ValueError("not JSON") from None
    if not isinstance(data, dict):
        raise ValueError("JSON, but not an object")
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        raise ValueError("no integer update_id")
    return data


def webhook_mode(url: str, listen: str, secret: str | None) -> Webhook:
    """The webhook settings from the command line; raises ValueError naming a bad value. The
    secret, given or generated, is kept out of the log."""
    host, port = parse_listen(listen)
    if secret is None:
        secret = new_webhook_secret()
        log.info("no DT4E_WEBHOOK_SECRET is set: generated a random webhook secret for this run")
    logs.keep_secret(secret)
    return Webhook(url=check_webhook_url(url), secret=secret, host=host, port=port)
