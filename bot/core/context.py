"""What a turn may consult besides the state and the event: ports, passed in by the host."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from bot.core.types import Lang
from dialogs.library import DialogLibrary
from faq.assistant import FaqAssistant


class Translations(Protocol):
    """Interface strings by language (gettext); :class:`bot.i18n.Catalogues` is the real one."""

    def for_lang(self, lang: Lang) -> Callable[[str], str]: ...


@dataclass(frozen=True, slots=True)
class Context:
    """Everything a turn needs that is not state: translations, settings, the knowledge base.

    Built once by the host and shared by every turn; it holds no per-user data.
    """

    i18n: Translations
    default_language: Lang = Lang.EN
    staff_ids: frozenset[str] = field(default_factory=frozenset)
    faq: FaqAssistant | None = None
    dialogs: DialogLibrary | None = None
    # How people reach the programme team, from settings; empty means "say where to look".
    contact: str = ""
