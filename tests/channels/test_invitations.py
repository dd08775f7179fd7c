"""An invitation link opened in Telegram, on both frameworks against the fake Bot API server:
the link made by ``dt4e-bot participants invite`` binds the account, once."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.context import Context
from bot.core.state import Role
from bot.service import ConversationService
from bot.service.participants import Participant
from storage.participants import SqlParticipants
from storage.store import SqlStore
from tests.channels.harness import handled, running
from tests.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
RANIA, OTHER = 42, 43


async def dt4e(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    """The real CLI in a subprocess, without blocking the fake server in this event loop."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("DT4E_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args,
        env={**base, "PYTHONPATH": str(ROOT), "DT4E_LOG_LEVEL": "WARNING", **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_a_link_from_the_cli_binds_the_telegram_account_once(
    channel: str, db: AsyncEngine, context: Context, tg: FakeTelegram, sqlite_url: str
) -> None:
    await SqlParticipants(SqlStore(db)).save([Participant("T-0001", Role.TALENT)], datetime.now(UTC))
    env = {
        "DT4E_DATABASE_URL": sqlite_url,
        "DT4E_TELEGRAM_TOKEN": tg.token,
        "DT4E_TELEGRAM_API_BASE": tg.base_url,
    }
    code, out, err = await dt4e("participants", "invite", "T-0001", env=env)
    assert code == 0, err
    link = out.splitlines()[-1]
    assert link.startswith("https://t.me/dt4e_test_bot?start="), "the username comes from getMe"
    token = link.rsplit("=", 1)[1]
    service = ConversationService(SqlStore(db), context)
    async with running(channel, service, tg) as bot:
        tg.send_text(RANIA, f"/start {token}", language_code="fr")
        greeting, *_ = await tg.wait_for_sent(RANIA, 2)
        await handled(bot, 1)
        tg.send_text(OTHER, f"/start {token}", language_code="en")
        refused, *_ = await tg.wait_for_sent(OTHER, 2)
        await handled(bot, 2)
    assert (greeting.text or "").startswith(
        "Bienvenue\u202f! Cette conversation est désormais liée à votre participation"
    )
    assert (refused.text or "").startswith("This invitation link has already been used.")
    async with db.connect() as conn:
        bound = (
            await conn.execute(
                sa.text(
                    "SELECT users.external_id FROM participants JOIN users ON users.id = participants.user_id"
                )
            )
        ).all()
    assert [row[0] for row in bound] == [str(RANIA)]
