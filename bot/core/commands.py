"""The chat commands offered in Telegram's command menu, with their descriptions per language."""

from __future__ import annotations

from bot.core.context import Translations
from bot.core.types import Lang


def command_menu(i18n: Translations, lang: Lang) -> list[tuple[str, str]]:
    """``(command, description)`` pairs for Telegram's ``setMyCommands``, in ``lang``."""
    _ = i18n.for_lang(lang)
    return [
        ("start", _("start again: language, role, menu")),
        ("menu", _("main menu")),
        ("language", _("change the language")),
        ("help", _("what I can do")),
        ("human", _("ask a person")),
    ]
