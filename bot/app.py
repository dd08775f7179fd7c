"""Wiring: settings in, a ready conversation service out. Channels and the CLI start here."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.core.context import Context
from bot.core.service import ConversationService
from bot.i18n import Catalogues
from bot.settings import Settings
from dialogs.library import load_dialogs
from faq.assistant import FaqAssistant
from storage.engine import create_engine, upgrade
from storage.store import SqlStore

log = logging.getLogger(__name__)

# Telegram redelivers an unconfirmed update for 24 hours at most; a week leaves a wide margin.
PROCESSED_UPDATES_KEPT = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class App:
    settings: Settings
    service: ConversationService
    store: SqlStore


def build_context(settings: Settings, faq: FaqAssistant | None = None) -> Context:
    """The context every turn shares; loads (and so validates) the content unless given."""
    return Context(
        i18n=Catalogues(),
        default_language=settings.default_language,
        staff_ids=frozenset(str(i) for i in settings.staff_ids),
        faq=faq or FaqAssistant.load(),
        dialogs=load_dialogs(),
        contact=settings.contact,
    )


@asynccontextmanager
async def open_app(settings: Settings) -> AsyncIterator[App]:
    """Open the database (upgrading its schema), build the service, close everything after."""
    context = build_context(settings)
    engine = create_engine(settings.database_url)
    store = SqlStore(engine)
    try:
        await upgrade(engine)
        pruned = await store.prune_processed_updates(datetime.now(UTC) - PROCESSED_UPDATES_KEPT)
        if pruned:
            log.info("forgot %d processed update ids older than %s", pruned, PROCESSED_UPDATES_KEPT)
        service = ConversationService(store, context)
        yield App(settings=settings, service=service, store=store)
    finally:
        await store.close()
