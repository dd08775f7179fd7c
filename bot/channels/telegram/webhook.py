"""The two ways to receive updates: :class:`Polling` (getUpdates) and :class:`Webhook`
(HTTPS POSTs from Telegram, served by :func:`serve_webhook` with ``GET /healthz`` beside).

Both frameworks receive webhook posts through :func:`update_route`, which answers

* 401, logging nothing, when the secret header is missing or wrong (any bytes in it);
* 400, with one warning naming the fault and never the body, when the body is not a Bot API
  update: not JSON, not an object, no integer ``update_id``, or something the framework cannot
  read (a ``message`` without a ``chat`` ...); nothing is processed;
* 200 once the update's turn is recorded (or the update is one the bot ignores).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from bot.basics import logs
from bot.basics.errors import ConfigurationError

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger(__name__)

T = TypeVar("T")

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


def update_route(
    secret: str,
    read: Callable[[dict[str, Any]], T | None],
    accept: Callable[[T], Awaitable[None]],
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The POST handler of the webhook: check ``secret``, ``read`` the update into what
    ``accept`` takes (``None``: an update the bot ignores), and answer once ``accept`` is done
    (Telegram sends an update again when its POST failed)."""
    from aiohttp import web  # only in webhook mode: python-telegram-bot polls without aiohttp

    async def receive(request: web.Request) -> web.Response:
        if not secret_matches(request.headers.get(SECRET_HEADER), secret):
            return web.Response(status=401, text="Unauthorized")
        body = await request.read()
        try:
            data = read_update(body)
        except ValueError as exc:
            return _refused(str(exc))
        try:
            item = read(data)
        except Exception as exc:  # its message would quote the update: its type only
            return _refused(f"the framework cannot read it: {type(exc).__name__}")
        if item is not None:
            await accept(item)
        return web.json_response({})

    return receive


def _refused(fault: str) -> web.Response:
    from aiohttp import web

    log.warning("webhook: refused a post that is not a Telegram update (%s)", fault)
    return web.Response(status=400, text="expected a Telegram update as a JSON object")


def _healthz(healthy: Callable[[], Awaitable[bool]]) -> Callable[[web.Request], Awaitable[web.Response]]:
    """``GET /healthz``: 200 ``ok`` while the database answers, else 503 (a load balancer or
    systemd's watchdog then knows this instance cannot record a turn)."""
    from aiohttp import web

    async def health(request: web.Request) -> web.Response:
        if await healthy():
            return web.Response(text="ok")
        return web.Response(status=503, text="database unavailable")

    return health


async def serve_webhook(
    app: web.Application,
    mode: Webhook,
    stop: asyncio.Event,
    *,
    on_listening: Callable[[], Awaitable[None]],
    healthy: Callable[[], Awaitable[bool]],
) -> None:
    """Serve ``app`` (with ``GET /healthz`` added, answered by ``healthy``) on
    ``mode.host:mode.port`` until ``stop``; ``on_listening`` runs once the port is open (to
    register the webhook)."""
    from aiohttp import web

    app.router.add_get("/healthz", _healthz(healthy))
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
    """The webhook settings from the command line; raises ValueError naming a bad value. The
    secret, given or generated, is kept out of the log."""
    host, port = parse_listen(listen)
    if secret is None:
        secret = new_webhook_secret()
        log.info("no DT4E_WEBHOOK_SECRET is set: generated a random webhook secret for this run")
    logs.keep_secret(secret)
    return Webhook(url=check_webhook_url(url), secret=secret, host=host, port=port)
