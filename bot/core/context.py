"""What a turn may consult besides the state and the input: ports, passed in by the host."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from bot.basics.lang import Lang
from bot.core.inbound import UserRef

if TYPE_CHECKING:
    from bot.core.commands import ChatCommand
    from dialogs.library import DialogLibrary
    from faq.assistant import FaqAssistant


class Translations(Protocol):
    """Interface strings by language (gettext); :class:`bot.basics.i18n.Catalogues` is the real one."""

    def for_lang(self, lang: Lang) -> Callable[[str], str]: ...


def _shipped_commands() -> tuple[ChatCommand, ...]:
    from bot.core.features import COMMANDS

    return COMMANDS


@dataclass(frozen=True, slots=True)
class Context:
    """Everything a turn needs that is not state: translations, settings, the knowledge base,
    the chat commands. Built once by the host and shared by every turn; no per-user data."""

    i18n: Translations
    default_language: Lang = Lang.EN
    staff: frozenset[UserRef] = field(default_factory=frozenset)
    """Programme staff, by channel (``UserRef("telegram", "1234")``)."""
    faq: FaqAssistant | None = None
    dialogs: DialogLibrary | None = None
    contact: str = ""
    flood_limit: int = 20
    """Typed messages from one person within ten seconds that are answered (0: no limit)."""
    questions_kept_days: int = 180
    """How long unanswered questions and ratings are kept (the privacy notice says it)."""
    """How people reach the programme team, from settings; empty means "say where to look"."""
    staff_chat: UserRef | None = None
    """The programme staff's chat (a Telegram group), for alerts; None when not configured."""
    commands: tuple[ChatCommand, ...] = field(default_factory=_shipped_commands)
    """The chat command table (:data:`bot.core.features.COMMANDS`)."""
