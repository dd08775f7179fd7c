"""The bot's command menus and descriptions as Telegram shows them: for everyone and each
staff member's chat, in each language, and one chat's own menu once its person chose a language."""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING

from bot.basics.lang import Lang
from bot.channels.telegram.delivery import DeliveryFailed
from bot.channels.telegram.translate import CHANNEL
from bot.core.commands import Audience, command_menu, command_menus, descriptions

if TYPE_CHECKING:
    from bot.channels.telegram.bridge import TelegramBridge

log = logging.getLogger(__name__)


async def publish_commands(bridge: TelegramBridge) -> None:
    """setMyCommands from the command table: for everyone, then for each staff member's
    chat when there are staff commands (configured staff, and those invited so far: someone
    invited later gets theirs at the next start); each in English for clients in other
    languages, then in each language."""
    context = bridge.service.context
    staff = sorted(int(user_id) for user_id in await bridge.service.staff_ids(CHANNEL))
    for audience, lang, menu in command_menus(context.commands, context.i18n.for_lang):
        chats: list[int | None] = [None] if audience is Audience.ANYONE else list(staff)
        code = lang.value if lang is not None else None
        for chat_id in chats:
            try:
                await bridge.call(partial(bridge.api.set_commands, menu, code, chat_id), "setMyCommands")
            except DeliveryFailed as exc:
                where = f"chat {chat_id}" if chat_id is not None else "everyone"
                log.error("could not set the command menu (%s, %s): %s", where, code or "default", exc)


async def publish_descriptions(bridge: TelegramBridge) -> None:
    """What the empty chat shows before /start, and the profile's line, in each language
    (and in English for clients in others)."""
    for lang, description, short in descriptions(bridge.service.context.i18n.for_lang):
        code = lang.value if lang is not None else None
        try:
            await bridge.call(
                partial(bridge.api.set_description, description, short, code), "setMyDescription"
            )
        except DeliveryFailed as exc:
            log.error("could not set the bot's description (%s): %s", code or "default", exc)


async def chat_menu(bridge: TelegramBridge, chat_id: int, lang: Lang, staff: bool) -> None:
    """One chat's command menu in the language its person chose, not the phone's."""
    context = bridge.service.context
    shown = list(Audience) if staff else [Audience.ANYONE]
    menu = command_menu(context.commands, context.i18n.for_lang(lang), shown)
    try:
        await bridge.call(partial(bridge.api.set_commands, menu, None, chat_id), "setMyCommands")
    except DeliveryFailed as exc:
        log.info("could not set the command menu of chat %s: %s", chat_id, exc)
