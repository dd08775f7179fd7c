"""Onboarding: ``/start``, the language and the role, chosen by button or typed."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from bot.basics.buttons import ButtonData
from bot.basics.lang import Lang
from bot.core.features import menu
from bot.core.scope import Scope
from bot.core.state import Awaiting, ConversationState, Role

LANGUAGE_NAMES: dict[Lang, str] = {Lang.AR: "العربية", Lang.EN: "English", Lang.FR: "Français"}

# Typed answers accepted when the bot asked for a language (folded: lower case, no accents).
_LANGUAGE_WORDS: dict[str, Lang] = {
    "ar": Lang.AR, "arabic": Lang.AR, "arabe": Lang.AR, "العربيه": Lang.AR, "عربي": Lang.AR,
    "en": Lang.EN, "english": Lang.EN, "anglais": Lang.EN, "انجليزي": Lang.EN,
    "fr": Lang.FR, "french": Lang.FR, "francais": Lang.FR, "فرنسي": Lang.FR,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class LanguageButton(ButtonData, prefix="lang"):
    lang: Lang


@dataclass(frozen=True, slots=True)
class RoleButton(ButtonData, prefix="role"):
    role: Role


def start(state: ConversationState, scope: Scope) -> ConversationState:
    """``/start`` (with or without a deep-link payload): welcome, then the language."""
    return _ask_language(state, scope, welcome=True)


def choose_language(state: ConversationState, scope: Scope) -> ConversationState:
    """``/language`` and the menu's Language button."""
    return _ask_language(state, scope, welcome=False)


def _ask_language(state: ConversationState, scope: Scope, *, welcome: bool) -> ConversationState:
    _ = scope._
    text = _("Which language do you prefer?")
    if welcome:
        welcome_text = _(
            "Welcome! I am the DT4E assistant. I answer questions about working in Europe "
            "with Displaced Talent for Europe, in Arabic, English or French."
        )
        text = welcome_text + "\n\n" + text
    scope.say(text, [[LanguageButton(code).button(name) for code, name in LANGUAGE_NAMES.items()]])
    return state.model_copy(update={"awaiting": Awaiting.LANGUAGE})


def _ask_role(state: ConversationState, scope: Scope) -> ConversationState:
    _ = scope._
    buttons = [
        [
            RoleButton(Role.TALENT).button(_("I am a candidate (talent)")),
            RoleButton(Role.EMPLOYER).button(_("I am an employer")),
        ]
    ]
    scope.say(_("Are you a candidate looking for work, or an employer?"), buttons)
    return state.model_copy(update={"awaiting": Awaiting.ROLE})


def set_language(state: ConversationState, scope: Scope, lang: Lang) -> ConversationState:
    state = state.model_copy(update={"language": lang, "awaiting": None})
    scope.switch(lang)
    scope.say(scope._("Language set to English."))
    if state.role is None:
        return _ask_role(state, scope)
    return menu.show_menu(state, scope)


def set_role(state: ConversationState, scope: Scope, role: Role) -> ConversationState:
    state = state.model_copy(update={"role": role, "awaiting": None})
    _ = scope._
    if role is Role.EMPLOYER:
        scope.say(_("Thank you. I will answer as to an employer: costs, obligations, procedure."))
    else:
        scope.say(_("Thank you. Ask me anything about your move and your new job."))
    return menu.show_menu(state, scope)


def typed_answer(state: ConversationState, scope: Scope, text: str) -> ConversationState | None:
    """A typed language or role while the bot asked for one, or ``None``."""
    folded = fold(text)
    if state.awaiting is Awaiting.LANGUAGE and folded in _LANGUAGE_WORDS:
        return set_language(state, scope, _LANGUAGE_WORDS[folded])
    if state.awaiting is Awaiting.ROLE and (role := _typed_role(folded)) is not None:
        return set_role(state, scope, role)
    return None


def _typed_role(folded: str) -> Role | None:
    if any(w in folded for w in ("employer", "employeur", "company", "entreprise", "صاحب عمل")):
        return Role.EMPLOYER
    if any(w in folded for w in ("talent", "candidat", "worker", "موظف", "مرشح", "باحث")):
        return Role.TALENT
    return None


def fold(text: str) -> str:
    """Lower case without accents or Arabic diacritics, for comparing short typed words."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return kept.replace("ة", "ه").strip(" .!?؟")
