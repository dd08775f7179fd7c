"""The composition root: settings in, a ready service and channel out. ``dt4e-bot`` starts here,
and this is the only place that knows every part (the channels, the store, the content)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from bot.basics.errors import ConfigurationError
from bot.basics.i18n import Catalogues
from bot.channels.telegram.marks import Journal
from bot.channels.telegram.render import BUTTON_DATA_BYTES
from bot.channels.telegram.translate import CHANNEL as TELEGRAM
from bot.core.context import Context
from bot.core.inbound import UserRef
from dialogs.library import DialogLibrary, load_dialogs
from faq.assistant import FaqAssistant

if TYPE_CHECKING:
    from bot.channels.telegram.bridge import Conversations, TelegramBridge
    from bot.channels.telegram.delivery import RetryPolicy
    from bot.channels.telegram.webhook import Mode
    from bot.service import ConversationService
    from bot.settings import Settings
    from storage.schedules import FollowUpRules
    from storage.store import SqlStore

log = logging.getLogger(__name__)

CHANNELS = ("aiogram", "ptb")
"""Names accepted by ``dt4e-bot run --channel``; the first is the default."""


@dataclass(frozen=True, slots=True)
class App:
    settings: Settings
    service: ConversationService
    store: SqlStore


def load_content() -> DialogLibrary:
    """The dialogs, checked against the strictest channel served (Telegram's button data)."""
    return load_dialogs(button_data_bytes=BUTTON_DATA_BYTES)


def build_context(settings: Settings, faq: FaqAssistant | None = None) -> Context:
    """The context every turn shares; loads (and so validates) the content unless given."""
    return Context(
        i18n=Catalogues(),
        default_language=settings.default_language,
        staff=frozenset(UserRef(TELEGRAM, str(i)) for i in settings.staff_ids),
        faq=faq or FaqAssistant.load(),
        dialogs=load_content(),
        contact=settings.contact,
        questions_kept_days=settings.keep_questions_days,
        flood_limit=settings.flood_limit,
        staff_chat=UserRef(TELEGRAM, str(settings.staff_chat_id))
        if settings.staff_chat_id is not None
        else None,
    )


@asynccontextmanager
async def open_app(settings: Settings) -> AsyncIterator[App]:
    """Open the database (upgrading its schema), build the service, close everything after."""
    # Imported here, so that commands without a database (ask, check) do not load its stack.
    from storage.engine import create_engine, upgrade
    from storage.store import SqlStore

    context = build_context(settings)
    engine = create_engine(settings.database_url, turns=settings.max_in_flight)
    store = SqlStore(engine)
    try:
        await upgrade(engine)
        from bot.service import ConversationService
        from bot.service.desk import StaffDesk
        from bot.service.pushes import Broadcasting
        from storage.desk import SqlStaffData
        from storage.leases import lease_for
        from storage.pushes import SqlPushes
        from storage.schedules import SqlSchedules

        desk = StaffDesk(SqlStaffData(store), context)
        versions = {d.id: d.version or 1 for d in context.dialogs.surveys()} if context.dialogs else {}
        broadcasting = Broadcasting(
            SqlPushes(store, default_zone=settings.timezone),
            lease_for(engine),
            SqlSchedules(store, follow_up_rules(settings, versions)),
            rate=settings.send_rate,
        )
        service = ConversationService(
            store,
            context,
            broadcasting=broadcasting,
            desk=desk,
            questions_kept=timedelta(days=settings.keep_questions_days),
        )
        keep_for_life()
        yield App(settings=settings, service=service, store=store)
    finally:
        await store.close()


def keep_for_life() -> None:
    """What is loaded by now (the imports, the content, the matcher's index: some 270,000
    objects) lives as long as the process: out of the garbage collector's full passes, each of
    which took 200 ms, a pause for every turn in flight (the p99 at 100 updates a second)."""
    gc.collect()
    gc.freeze()


def follow_up_rules(settings: Settings, versions: dict[str, int] | None = None) -> FollowUpRules:
    """The follow-up schedule as the settings say (``versions``: each survey's, for the jobs)."""
    from bot.basics.calendar import Daytime
    from storage.schedules import FollowUpRules

    return FollowUpRules(
        months={"talent": settings.follow_up_months_talent, "employer": settings.follow_up_months_employer},
        hour=settings.follow_up_hour,
        grace=timedelta(days=settings.follow_up_grace_days),
        reminder_after=timedelta(days=settings.reminder_days) if settings.reminder_days else None,
        default_zone=settings.timezone,
        daytime=Daytime.parse(settings.daytime),
        versions=versions or {},
    )


@asynccontextmanager
async def open_store(settings: Settings) -> AsyncIterator[SqlStore]:
    """The database alone (upgraded), for the staff commands that need no content."""
    from storage.engine import create_engine, upgrade
    from storage.store import SqlStore

    engine = create_engine(settings.database_url, turns=settings.max_in_flight)
    store = SqlStore(engine)
    try:
        await upgrade(engine)
        yield store
    finally:
        await store.close()


class TelegramChannel(Protocol):
    bridge: TelegramBridge

    async def run(self, mode: Mode, stop: asyncio.Event) -> None:
        """Receive and answer updates until ``stop`` is set, then finish the updates in hand."""
        ...


def create_channel(
    name: str,
    service: Conversations,
    *,
    token: str,
    api_base: str,
    policy: RetryPolicy | None = None,
    shutdown_timeout: float = 10.0,
    max_in_flight: int | None = None,
    journal: Journal | None = None,
) -> TelegramChannel:
    """The channel called ``name`` (one of :data:`CHANNELS`); only its framework is imported.
    ``max_in_flight``: turns computed at once (the bridge's default when ``None``);
    ``journal``: where the replies delivered are written down until they are marked (none: not)."""
    options: dict[str, Any] = {"policy": policy, "shutdown_timeout": shutdown_timeout}
    if journal is not None:
        options["journal"] = journal
    if max_in_flight is not None:
        options["max_in_flight"] = max_in_flight
    if name == "aiogram":
        from bot.channels.telegram.aiogram import AiogramChannel

        return AiogramChannel(service, token=token, api_base=api_base, **options)
    if name == "ptb":
        from bot.channels.telegram.ptb import PtbChannel

        return PtbChannel(service, token=token, api_base=api_base, **options)
    raise ConfigurationError(f"unknown channel {name!r}: expected one of {', '.join(CHANNELS)}")


async def run_telegram(settings: Settings, channel: str, mode: Mode) -> int:
    """``dt4e-bot run``: serve Telegram with ``channel`` until SIGINT or SIGTERM."""
    if settings.telegram_token is None:
        raise ConfigurationError("DT4E_TELEGRAM_TOKEN: not set; get a token from @BotFather")
    token = settings.telegram_token.get_secret_value()
    async with open_app(settings) as app, stop_on_signals() as stop:
        bot = create_channel(
            channel,
            app.service,
            token=token,
            api_base=settings.telegram_api_base,
            max_in_flight=settings.max_in_flight,
            journal=Journal(settings.journal_dir, settings.database_url),
        )
        await bot.run(mode, stop)
    return 0


@contextlib.asynccontextmanager
async def stop_on_signals() -> AsyncIterator[asyncio.Event]:
    """An event set by SIGINT or SIGTERM while the block runs."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows or a thread
            loop.add_signal_handler(sig, _stop, sig, stop)
            installed.append(sig)
    try:
        yield stop
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def _stop(sig: signal.Signals, stop: asyncio.Event) -> None:
    log.info("received %s, stopping", sig.name)
    stop.set()
