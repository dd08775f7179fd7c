"""Shared fixtures: a migrated database on every backend, the context, a clock."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import build_context
from bot.core.context import Context
from bot.settings import load_settings
from storage.engine import create_engine, upgrade
from storage.store import SqlStore
from tests.fake_telegram import FakeTelegram

PG_URL = os.environ.get("DT4E_TEST_DATABASE_URL", "")

# These machines are shared: how fast examples come is no property of the code (a "too slow"
# health check failed a run whose every example passed). What is tested stays the same.
settings.register_profile("shared-machine", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("shared-machine")

# The matcher's index cache (faq/cache.py) goes to a folder of this run, not the user's home.
os.environ.setdefault("DT4E_CACHE_DIR", tempfile.mkdtemp(prefix="dt4e-test-cache-"))


class Clock:
    """A clock that moves only when told to, so stored times are predictable."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def context() -> Context:
    return build_context(load_settings(env_file=None))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"


async def _postgres_engine() -> tuple[AsyncEngine, str]:
    """An engine whose connections live in a fresh schema, dropped after the test."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    async with admin.begin() as conn:
        await conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    await admin.dispose()
    return create_engine(PG_URL, connect_args={"server_settings": {"search_path": schema}}), schema


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def engine(request: pytest.FixtureRequest, sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    """A migrated, empty database: SQLite always, PostgreSQL when DT4E_TEST_DATABASE_URL is set."""
    if request.param == "sqlite":
        engine = create_engine(sqlite_url)
        await upgrade(engine)
        yield engine
        await engine.dispose()
        return
    if not PG_URL:
        pytest.skip("DT4E_TEST_DATABASE_URL is not set: no PostgreSQL to test against")
    engine, schema = await _postgres_engine()
    try:
        await upgrade(engine)
        yield engine
    finally:
        await engine.dispose()
        admin = create_engine(PG_URL)
        async with admin.begin() as conn:
            await conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


@pytest.fixture
async def store(engine: AsyncEngine) -> SqlStore:
    return SqlStore(engine)


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    """A fake Telegram Bot API server on 127.0.0.1 (see :mod:`tests.fake_telegram`)."""
    async with FakeTelegram() as fake:
        yield fake
