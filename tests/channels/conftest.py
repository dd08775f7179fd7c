"""Fixtures of the channel tests: the fake Bot API server, a fresh database, the service."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.context import Context
from bot.service import ConversationService
from storage.engine import create_engine, upgrade
from storage.store import SqlStore
from tests.channels.harness import CHANNELS


@pytest.fixture
async def db(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(sqlite_url)
    await upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def service(db: AsyncEngine, context: Context) -> ConversationService:
    return ConversationService(SqlStore(db), context)


@pytest.fixture(params=CHANNELS)
def channel(request: pytest.FixtureRequest) -> str:
    """Each Telegram channel in turn: aiogram, then python-telegram-bot."""
    return str(request.param)
