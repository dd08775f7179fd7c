"""The two ways to receive updates: :class:`Polling` (getUpdates) and :class:`Webhook`
(HTTPS POSTs from Telegram, served by :func:`serve_webhook` with ``GET /healthz`` beside)."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web

from bot.basics.errors import ConfigurationError

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
    return given is not None and secrets.compare_digest(given.encode(), expected.encode())


async def _healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def serve_webhook(
    app: web.Application,
    mode: Webhook,
    stop: asyncio.Event,
    *,
    on_listening: Callable[[], Awaitable[None]],
) -> None:
    """Serve ``app`` (with ``GET /healthz`` added) on ``mode.host:mode.port`` until ``stop``;
    ``on_listening`` runs once the port is open (to register the webhook)."""
    app.router.add_get("/healthz", _healthz)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=10.0)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, mode.host, mode.port).start()
        except OSError as exc:
            raise ConfigurationError(
                f"--listen: cannot listen on {mode.host}:{mode.port}: {exc.strerror}"
            ) from exc
        log.info("serving webhook updates at %s:%d%s for %s", mode.host, mode.port, mode.path, mode.url)
        await on_listening()
        await stop.wait()
    finally:
        await runner.cleanup()


def webhook_mode(url: str, listen: str, secret: str | None) -> Webhook:
    """The webhook settings from the command line; raises ValueError naming a bad value."""
    host, port = parse_listen(listen)
    if secret is None:
        secret = new_webhook_secret()
        log.info("no DT4E_WEBHOOK_SECRET is set: generated a random webhook secret for this run")
    return Webhook(url=check_webhook_url(url), secret=secret, host=host, port=port)
