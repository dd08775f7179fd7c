"""Webhook mode on both channels: the fake Bot API server POSTs updates to the bot's own aiohttp
server, with the secret token the bot registered; anything else is refused."""

from __future__ import annotations

import asyncio
import re

import pytest
import sqlalchemy as sa
from aiohttp import ClientSession
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from bot.channels.telegram.translate import ALLOWED_UPDATES
from bot.channels.telegram.webhook import Webhook, check_webhook_url, new_webhook_secret, parse_listen
from bot.service import ConversationService
from storage.models import ProcessedUpdate
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
