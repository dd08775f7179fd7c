"""The webhook's web server (aiohttp): imported only in webhook mode, so that polling loads
no aiohttp server (python-telegram-bot then no aiohttp at all, some 10 MB).

Both frameworks receive webhook posts through :func:`update_route`, which answers

* 401, logging nothing, when the secret header is missing or wrong (any bytes in it);
* 400, with one warning naming the fault and never the body, when the body is not a Bot API
  update: not JSON, not an object, no integer ``update_id``, or something the framework cannot
  read (a ``message`` without a ``chat`` ...); nothing is processed;
* 200 once the update's turn is recorded (or the update is one the bot ignores).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web

from bot.basics.errors import ConfigurationError
from bot.channels.telegram.webhook import SECRET_HEADER, Webhook, read_update, secret_matches

log = logging.getLogger(__name__)

T = TypeVar("T")


def update_route(
    secret: str,
    read: Callable[[dict[str, Any]], T | None],
    accept: Callable[[T], Awaitable[None]],
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The POST handler of the webhook: check ``secret``, ``read`` the update into what
    ``accept`` takes (``None``: an update the bot ignores), and answer once ``accept`` is done
    (Telegram sends an update again when its POST failed)."""

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
    log.warning("webhook: refused a post that is not a Telegram update (%s)", fault)
    return web.Response(status=400, text="expected a Telegram update as a JSON object")


def _healthz(healthy: Callable[[], Awaitable[bool]]) -> Callable[[web.Request], Awaitable[web.Response]]:
    """``GET /healthz``: 200 ``ok`` while the database answers, else 503 (a load balancer or
    systemd's watchdog then knows this instance cannot record a turn)."""

    async def health(request: web.Request) -> web.Response:
        if await healthy():
            return web.Response(text="ok")
        return web.Response(status=503, text="database unavailable")

    return health


async def serve_webhook(
    mode: Webhook,
    stop: asyncio.Event,
    *,
    read: Callable[[dict[str, Any]], T | None],
    accept: Callable[[T], Awaitable[None]],
    on_listening: Callable[[], Awaitable[None]],
    healthy: Callable[[], Awaitable[bool]],
) -> None:
    """Serve Telegram's posts at ``mode.path`` (:func:`update_route`) and ``GET /healthz``
    (answered by ``healthy``) on ``mode.host:mode.port`` until ``stop``; ``on_listening`` runs
    once the port is open (to register the webhook)."""
    app = web.Application()
    app.router.add_post(mode.path, update_route(mode.secret, read, accept))
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
