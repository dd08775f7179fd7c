"""Webhook mode on both channels: the fake Bot API server POSTs updates to the bot's own aiohttp
server, with the secret token the bot registered; anything else is refused."""

from __future__ import annotations

import asyncio
import json
import logging
import re

import pytest
import sqlalchemy as sa
from aiohttp import ClientSession
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from bot.channels.telegram.translate import ALLOWED_UPDATES
from bot.channels.telegram.webhook import (
    SECRET_HEADER,
    Webhook,
    check_webhook_url,
    new_webhook_secret,
    parse_listen,
)
from bot.core.context import Context
from bot.service import ConversationService
from storage.models import ProcessedUpdate
from storage.store import SqlStore
from tests.channels.harness import free_port, press, running
from tests.fake_telegram import FakeTelegram

USER = 42
SECRET = "s3cret_Token-for-tests"


def webhook_mode() -> Webhook:
    port = free_port()
    return Webhook(url=f"http://127.0.0.1:{port}/telegram/hook", secret=SECRET, host="127.0.0.1", port=port)


async def processed(db: AsyncEngine) -> set[str]:
    async with db.connect() as conn:
        rows = await conn.execute(sa.select(col(ProcessedUpdate.update_id)))
        return {str(r[0]) for r in rows}


def forged_help(tg: FakeTelegram) -> dict[str, object]:
    return {
        "update_id": 990_001,
        "message": {
            "message_id": 90,
            "date": 1_767_600_000,
            "chat": {"id": USER, "type": "private", "first_name": "Ann"},
            "from": {"id": USER, "is_bot": False, "first_name": "Ann", "language_code": "en"},
            "text": "/help",
        },
    }


async def test_a_conversation_over_the_webhook(
    channel: str, service: ConversationService, tg: FakeTelegram, db: AsyncEngine
) -> None:
    mode = webhook_mode()
    async with running(channel, service, tg, mode):
        [registered] = await tg.wait_for_calls("setWebhook")
        assert registered["url"] == mode.url
        assert registered["secret_token"] == SECRET
        assert registered["allowed_updates"] == list(ALLOWED_UPDATES)

        start = tg.send_text(USER, "/start", language_code="en")  # the fake POSTs it at once
        [welcome] = await tg.wait_for_sent(USER, 1)
        assert [label for row in welcome.buttons for label, _ in row] == ["العربية", "English", "Français"]
        press(tg, USER, "English")
        await tg.wait_for_sent(USER, 3)
        tg.redeliver(start)  # Telegram sends an update again when it missed our answer
        await tg.wait_for_deliveries(3)

        async with ClientSession() as http, http.get(f"http://127.0.0.1:{mode.port}/healthz") as health:
            assert health.status == 200
        await asyncio.sleep(0.3)
    assert [d.status for d in tg.webhook_deliveries] == [200, 200, 200]
    assert [m.text for m in tg.sent(USER)][1:] == [
        "Language set to English.",
        "Are you a candidate looking for work, or an employer?",
    ]
    assert len(tg.callback_answers) == 1
    assert tg.calls_to("getUpdates") == [], "no polling in webhook mode"
    assert str(start) in await processed(db)


async def test_healthz_answers_503_while_the_database_cannot_be_read_and_200_again_after(
    channel: str, engine: AsyncEngine, context: Context, tg: FakeTelegram
) -> None:
    mode = webhook_mode()
    url = f"http://127.0.0.1:{mode.port}/healthz"
    async with running(channel, ConversationService(SqlStore(engine), context), tg, mode):
        await tg.wait_for_calls("setWebhook")
        async with ClientSession() as http:
            async with http.get(url) as before:
                assert (before.status, await before.text()) == (200, "ok")
            async with engine.begin() as conn:  # the data gone from under the bot
                await conn.execute(sa.text("ALTER TABLE users RENAME TO users_away"))
            try:
                async with http.get(url) as during:
                    assert (during.status, await during.text()) == (503, "database unavailable")
            finally:
                async with engine.begin() as conn:
                    await conn.execute(sa.text("ALTER TABLE users_away RENAME TO users"))
            async with http.get(url) as after:
                assert after.status == 200


async def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_processed(
    channel: str, service: ConversationService, tg: FakeTelegram, db: AsyncEngine
) -> None:
    tg.add_user(USER)
    async with running(channel, service, tg, webhook_mode()):
        await tg.wait_for_calls("setWebhook")
        update = forged_help(tg)
        assert await tg.post_webhook(update, secret="wrong-secret") == 401
        assert await tg.post_webhook(update, secret=None) == 401
        assert await tg.post_webhook(update, secret=SECRET + "x") == 401
        await asyncio.sleep(0.3)
        assert tg.sent(USER) == []
        assert "990001" not in await processed(db)

        assert await tg.post_webhook(update) == 200  # the registered secret
        [help_text] = await tg.wait_for_sent(USER, 1)
    assert "Displaced Talent for Europe" in (help_text.text or "")
    assert "990001" in await processed(db)


# Refused posts ------------------------------------------------------------------------------

MARK = "Qamar-Zaytouni"
"""In every malformed body: it must not reach the log."""


def with_mark(update_id: int) -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 91,
            "date": 1_767_600_000,
            "chat": {"id": USER, "type": "private", "first_name": MARK},
            "from": {"id": USER, "is_bot": False, "first_name": MARK, "language_code": "en"},
            "text": f"/help {MARK}",
        },
    }


def without_chat(update_id: int) -> dict[str, object]:
    update = with_mark(update_id)
    message = update["message"]
    assert isinstance(message, dict)
    del message["chat"]
    return update


MALFORMED: dict[str, bytes] = {
    "a JSON list": json.dumps([with_mark(990_010)]).encode(),
    "an empty JSON list": b"[]",
    "a JSON string": json.dumps(MARK).encode(),
    "an update_id that is a string": json.dumps({**with_mark(0), "update_id": "990011"}).encode(),
    "an update_id that is a word": json.dumps({**with_mark(0), "update_id": MARK}).encode(),
    "an update_id that is true": json.dumps({**with_mark(0), "update_id": True}).encode(),
    "no update_id": json.dumps({"message": with_mark(0)["message"]}).encode(),
    "a message without a chat": json.dumps(without_chat(990_012)).encode(),
    "a message that is a string": json.dumps({"update_id": 990_013, "message": MARK}).encode(),
    "not JSON": f"update_id=990014&text={MARK}".encode(),
    "JSON cut short": json.dumps(with_mark(990_015)).encode()[:-7],
    "not UTF-8": json.dumps(with_mark(990_016)).encode().replace(b"Qamar", b"Q\xffmar"),
}


async def post(mode: Webhook, body: bytes, *, secret: str | None = SECRET) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    async with ClientSession() as http, http.post(mode.url, data=body, headers=headers) as response:
        return response.status


async def post_raw_secret(mode: Webhook, secret: bytes, body: bytes) -> int:
    """POST with a secret header of any bytes (aiohttp's client sends only UTF-8); the status."""
    reader, writer = await asyncio.open_connection(mode.host, mode.port)
    try:
        writer.write(
            f"POST {mode.path} HTTP/1.1\r\nHost: {mode.host}:{mode.port}\r\n".encode()
            + SECRET_HEADER.encode()
            + b": "
            + secret
            + f"\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n".encode()
            + b"Connection: close\r\n\r\n"
            + body
        )
        await writer.drain()
        status_line = await reader.readline()
    finally:
        writer.close()
        await writer.wait_closed()
    return int(status_line.split()[1])


def loud(records: list[logging.LogRecord]) -> list[str]:
    """Records above a warning, or with a traceback: none is expected."""
    return [
        f"{r.levelname} {r.name}: {r.getMessage()}"
        for r in records
        if r.levelno > logging.WARNING or r.exc_info
    ]


async def test_a_secret_that_is_not_ascii_is_refused_quietly(
    channel: str,
    service: ConversationService,
    tg: FakeTelegram,
    db: AsyncEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    tg.add_user(USER)
    mode = webhook_mode()
    body = json.dumps(forged_help(tg)).encode()
    async with running(channel, service, tg, mode):
        await tg.wait_for_calls("setWebhook")
        with caplog.at_level(logging.INFO):
            statuses = [await post(mode, body, secret=s) for s in ("sécret", SECRET + "é", "☃", "ش")]
            statuses.append(await post_raw_secret(mode, b"s3cret\xff\xfe", body))  # not even UTF-8
            statuses.append(await post_raw_secret(mode, SECRET.encode() + b"\xc3\xa9", body))
            await asyncio.sleep(0.3)
        assert statuses == [401] * 6
        assert loud(caplog.records) == []
        assert tg.sent(USER) == []
        assert "990001" not in await processed(db)
        assert await post_raw_secret(mode, SECRET.encode(), body) == 200  # the server still serves
        await tg.wait_for_sent(USER, 1)


async def test_malformed_updates_are_refused_with_400_one_warning_and_nothing_processed(
    channel: str,
    service: ConversationService,
    tg: FakeTelegram,
    db: AsyncEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    tg.add_user(USER)
    mode = webhook_mode()
    async with running(channel, service, tg, mode):
        await tg.wait_for_calls("setWebhook")
        for what, body in MALFORMED.items():
            assert await post(mode, body, secret="wrong-secret") == 401, what
            assert await post(mode, body, secret=None) == 401, what
            caplog.clear()
            with caplog.at_level(logging.INFO):
                status = await post(mode, body)
                await asyncio.sleep(0.05)
            assert status == 400, what
            lines = [f"{r.levelname} {r.name}: {r.getMessage()}" for r in caplog.records]
            assert len(lines) <= 1, (what, lines)
            assert all(r.levelno == logging.WARNING and not r.exc_info for r in caplog.records), (what, lines)
            assert "Zaytouni" not in caplog.text, what
        await asyncio.sleep(0.3)
        assert tg.sent(USER) == []
        assert await processed(db) == set()

        assert await post(mode, json.dumps(forged_help(tg)).encode()) == 200  # a good one still passes
        [help_text] = await tg.wait_for_sent(USER, 1)
    assert "Displaced Talent for Europe" in (help_text.text or "")
    assert await processed(db) == {"990001"}


# Webhook settings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("listen", "expected"),
    [("0.0.0.0:8080", ("0.0.0.0", 8080)), (":8443", ("0.0.0.0", 8443)), ("[::1]:88", ("::1", 88))],
)
def test_listen_addresses(listen: str, expected: tuple[str, int]) -> None:
    assert parse_listen(listen) == expected


@pytest.mark.parametrize("listen", ["8080", "host:", "host:http", "host:70000"])
def test_bad_listen_addresses(listen: str) -> None:
    with pytest.raises(ValueError, match="expected HOST:PORT"):
        parse_listen(listen)


def test_webhook_urls_and_secrets() -> None:
    assert check_webhook_url("https://bot.example.org/telegram") == "https://bot.example.org/telegram"
    with pytest.raises(ValueError, match="public https:// URL"):
        check_webhook_url("bot.example.org/telegram")
    secret = new_webhook_secret()
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret)
    assert secret != new_webhook_secret()
