"""Onboarding: ``/start``, the language and the role, chosen by button or typed; ``/role``
changes the role later.

The role decides what the bot offers: the main menu, the related questions under an answer,
the ranking of answers. It changes only when the user answers the role question. A role
button pressed on an older message once the question was answered (Telegram keeps old
buttons pressable) changes nothing: the bot says so and asks again, so that a stray tap never
switches the menu silently. A participant's role comes from the programme's list, with their
invitation: it is not asked, and ``/role`` tells them whom to ask if it is wrong.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from bot.basics.buttons import ButtonData
from bot.basics.lang import Lang
from bot.core.commands import N_
from bot.core.events import PushesStopped
from bot.core.features import menu, privacy
from bot.core.scope import Scope
from bot.core.state import Awaiting, ConversationState, Role
from faq.text import normalize

LANGUAGE_NAMES: dict[Lang, str] = {Lang.AR: "العربية", Lang.EN: "English", Lang.FR: "Français"}

# Typed answers accepted when the bot asked for a language (folded: lower case, no accents).
_LANGUAGE_WORDS: dict[str, Lang] = {
    "ar": Lang.AR, "arabic": Lang.AR, "arabe": Lang.AR, "العربيه": Lang.AR, "عربي": Lang.AR,
    "en": Lang.EN, "english": Lang.EN, "anglais": Lang.EN, "انجليزي": Lang.EN,
    "fr": Lang.FR, "french": Lang.FR, "francais": Lang.FR, "فرنسي": Lang.FR,
}  # fmt: skip

ROLE_LABELS: dict[Role, str] = {
    Role.TALENT: N_("I am a candidate (talent)"),
    Role.EMPLOYER: N_("I am an employer"),
}
"""The role buttons' labels (message ids); typed in any language, they answer the question too."""

# Typed answers to the role question besides the buttons' labels, as people write them
# (compared in the matcher's form, faq.text.normalize: no case, accents, diacritics or
# tatweel). A typed answer is these phrases and nothing else, give or take "I am", "a",
# "we are" (_FILLERS): a question typed instead ("does the company pay the flight?") is a
# question, answered as one.
_ROLE_PHRASES: dict[str, Role] = {
    "talent": Role.TALENT, "talents": Role.TALENT, "candidate": Role.TALENT, "candidat": Role.TALENT,
    "job seeker": Role.TALENT, "jobseeker": Role.TALENT, "worker": Role.TALENT,
    "refugee": Role.TALENT, "travailleur": Role.TALENT, "travailleuse": Role.TALENT,
    "salarié": Role.TALENT, "salariée": Role.TALENT, "réfugié": Role.TALENT, "réfugiée": Role.TALENT,
    "chercheur d'emploi": Role.TALENT, "chercheuse d'emploi": Role.TALENT,
    "demandeur d'emploi": Role.TALENT, "demandeuse d'emploi": Role.TALENT,
    "مرشح": Role.TALENT, "مرشحة": Role.TALENT, "متقدم": Role.TALENT, "متقدمة": Role.TALENT,
    "باحث عن عمل": Role.TALENT, "باحثة عن عمل": Role.TALENT, "باحث عن شغل": Role.TALENT,
    "باحثة عن شغل": Role.TALENT, "أبحث عن عمل": Role.TALENT, "أبحث عن شغل": Role.TALENT,
    "بدور على شغل": Role.TALENT, "عم دور على شغل": Role.TALENT, "موظف": Role.TALENT,
    "موظفة": Role.TALENT, "عامل": Role.TALENT, "عاملة": Role.TALENT, "لاجئ": Role.TALENT,
    "لاجئة": Role.TALENT, "mura4a7": Role.TALENT, "mrasha7": Role.TALENT,
    "employer": Role.EMPLOYER, "employeur": Role.EMPLOYER, "company": Role.EMPLOYER,
    "business": Role.EMPLOYER, "recruiter": Role.EMPLOYER, "hr": Role.EMPLOYER,
    "hiring manager": Role.EMPLOYER, "entreprise": Role.EMPLOYER, "société": Role.EMPLOYER,
    "recruteur": Role.EMPLOYER, "recruteuse": Role.EMPLOYER, "rh": Role.EMPLOYER,
    "صاحب عمل": Role.EMPLOYER, "صاحبة عمل": Role.EMPLOYER, "صاحب العمل": Role.EMPLOYER,
    "صاحب شركة": Role.EMPLOYER, "صاحبة شركة": Role.EMPLOYER, "شركة": Role.EMPLOYER,
    "مؤسسة": Role.EMPLOYER, "موظف توظيف": Role.EMPLOYER, "موظفة توظيف": Role.EMPLOYER,
    "مسؤول توظيف": Role.EMPLOYER, "مسؤولة توظيف": Role.EMPLOYER, "أمثل شركة": Role.EMPLOYER,
    "أمثل صاحب عمل": Role.EMPLOYER, "عندي شركة": Role.EMPLOYER, "أبحث عن موظفين": Role.EMPLOYER,
    "بدور على موظفين": Role.EMPLOYER,
}  # fmt: skip
_FILLERS = frozenset({
    "i", "m", "am", "im", "a", "an", "the", "we", "are", "or",  # English
    "je", "suis", "un", "une", "le", "la", "nous", "sommes", "ou", "e",  # French, candidat(e)
    "ana", "انا", "نحن", "احنا", "او",  # Arabic (normalised), Arabizi
})  # fmt: skip
_MAX_ROLE_WORDS = 6
_LONGEST_PHRASE = 4


@dataclass(frozen=True, slots=True)
class LanguageButton(ButtonData, prefix="lang"):
    lang: Lang


@dataclass(frozen=True, slots=True)
class RoleButton(ButtonData, prefix="role"):
    role: Role


def start(state: ConversationState, scope: Scope) -> ConversationState:
    """``/start`` (with or without a deep-link payload): welcome (with the privacy notice the
    first time), the language, then the role (asked again even when known, except a
    participant's), then the menu. After ``/stop``, messages from the programme are on again."""
    if state.pushes_stopped:
        scope.record(PushesStopped(False))
        scope.say(scope._("Welcome back: surveys and announcements from the programme are on again."))
        state = state.model_copy(update={"pushes_stopped": False})
    return _ask_language(state, scope, welcome=True)


def choose_language(state: ConversationState, scope: Scope) -> ConversationState:
    """``/language`` and the menu's Language button."""
    return _ask_language(state, scope, welcome=False)


def change_role(state: ConversationState, scope: Scope) -> ConversationState:
    """``/role`` and the menu's Change role button."""
    return _ask_role(state, scope)


def _ask_language(state: ConversationState, scope: Scope, *, welcome: bool) -> ConversationState:
    _ = scope._
    text = _("Which language do you prefer?")
    if welcome:
        welcome_text = _(
            "Welcome! I am the DT4E assistant. I answer questions about working in Europe "
            "with Displaced Talent for Europe, in Arabic, English or French."
        )
        state, welcome_text = privacy.with_notice(state, scope, welcome_text)
        text = welcome_text + "\n\n" + text
    scope.say(text, [[LanguageButton(code).button(name) for code, name in LANGUAGE_NAMES.items()]])
    return state.model_copy(update={"awaiting": Awaiting.START_LANGUAGE if welcome else Awaiting.LANGUAGE})


def _role_is_fixed(state: ConversationState) -> bool:
    """A participant's role is the programme's (from the invitation), not the chat's."""
    return bool(state.participant) and state.role is not None


def _current_role(scope: Scope, role: Role) -> str:
    if role is Role.EMPLOYER:
        return scope._("Right now I answer you as an employer.")
    return scope._("Right now I answer you as a candidate (talent).")


def _ask_role(state: ConversationState, scope: Scope, *, lead: str = "") -> ConversationState:
    """The role question (saying the current role, if any); a participant hears where their
    role comes from instead."""
    _ = scope._
    lines = [lead] if lead else []
    if state.role is not None:
        lines.append(_current_role(scope, state.role))
    if _role_is_fixed(state):
        lines.append(
            _(
                "Your role comes from your registration with the DT4E programme. "
                "If it is wrong, please tell the DT4E team."
            )
        )
        ask_person = menu.button(scope, "human", _("Ask a person"))
        scope.say("\n\n".join(lines), [[ask_person, menu.button(scope, "main", _("Main menu"))]])
        return state
    lines.append(_("Are you a candidate looking for work, or an employer?"))
    buttons = [[RoleButton(role).button(_(label)) for role, label in ROLE_LABELS.items()]]
    scope.say("\n\n".join(lines), buttons)
    return state.model_copy(update={"awaiting": Awaiting.ROLE})


def set_language(state: ConversationState, scope: Scope, lang: Lang) -> ConversationState:
    """A chosen language; at ``/start`` (or while no role is known) the role question follows."""
    then_role = state.awaiting is Awaiting.START_LANGUAGE or state.role is None
    scope.restyle()  # the question pressed keeps its text, not its buttons
    state = state.model_copy(update={"language": lang, "awaiting": None})
    scope.switch(lang)
    text = scope._("Language set to English.")
    if then_role:  # the first steps: the privacy notice in the language chosen, if not yet in it
        state, text = privacy.with_notice(state, scope, text)
    scope.say(text)
    if then_role and not _role_is_fixed(state):
        return _ask_role(state, scope)
    return menu.show_menu(state, scope)


def role_pressed(state: ConversationState, scope: Scope, role: Role) -> ConversationState:
    """A role button: the answer to the role question. Pressed on an older message once the
    question was answered, it switches nothing: the bot says so and asks again."""
    scope.restyle()
    if state.awaiting is Awaiting.ROLE or state.role is None or state.role is role:
        return set_role(state, scope, role)
    return _ask_role(
        state, scope, lead=scope._("That button is from an earlier message, so I did not change your role.")
    )


def set_role(state: ConversationState, scope: Scope, role: Role) -> ConversationState:
    if _role_is_fixed(state) and state.role is not role:
        return _ask_role(state, scope)
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
    asked_language = state.awaiting in (Awaiting.LANGUAGE, Awaiting.START_LANGUAGE)
    if asked_language and folded in _LANGUAGE_WORDS:
        return set_language(state, scope, _LANGUAGE_WORDS[folded])
    if state.awaiting is Awaiting.ROLE and (role := typed_role(scope, text)) is not None:
        return set_role(state, scope, role)
    return None


def typed_role(scope: Scope, text: str) -> Role | None:
    """The role a short typed answer names: a role button's label in any language, or role
    words alone ("employer", "je suis candidat", «صاحب شركة»); ``None`` for anything else."""
    typed = normalize(text)
    for role, label in ROLE_LABELS.items():
        if any(typed == normalize(scope.ctx.i18n.for_lang(lang)(label)) for lang in Lang):
            return role
    return role_in_words(typed)


def role_in_words(normalized: str) -> Role | None:
    """The one role that the words name (``normalized`` by :func:`faq.text.normalize`), each
    word part of a role phrase or a filler ("I am", "a", "or"); ``None`` when a word is
    anything else, or the words name both roles."""
    words = normalized.split()
    if not words or len(words) > _MAX_ROLE_WORDS:
        return None
    found: set[Role] = set()
    index = 0
    while index < len(words):
        for size in range(min(_LONGEST_PHRASE, len(words) - index), 0, -1):
            phrase = " ".join(words[index : index + size])
            if (role := _PHRASES.get(phrase)) is not None:
                found.add(role)
                index += size
                break
        else:
            if words[index] not in _FILLERS:
                return None
            index += 1
    return found.pop() if len(found) == 1 else None


def fold(text: str) -> str:
    """Lower case without accents or Arabic diacritics, for comparing short typed words."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return kept.replace("ة", "ه").strip(" .!?؟")


_PHRASES: dict[str, Role] = {normalize(phrase): role for phrase, role in _ROLE_PHRASES.items()}
