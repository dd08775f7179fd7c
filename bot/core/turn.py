"""The conversation core: ``handle(state, inbound, context) -> Turn``.

A pure function: it reads nothing but its arguments, sends nothing and stores nothing. The
conversation service persists the returned state and delivers the replies; the channels render
them. Bad input never raises: it becomes a reply in the user's language.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from bot.core import callbacks, modules
from bot.core.bidi import strip_bidi_controls
from bot.core.context import Context
from bot.core.reply import Replies
from bot.core.state import Awaiting, ConversationState, Turn
from bot.core.types import (
    Button,
    FeedbackGiven,
    Inbound,
    Lang,
    QuestionUnanswered,
    Role,
)
from faq.smalltalk import Social

# The longest text the core looks at; Telegram itself caps a message at 4096 characters.
MAX_INPUT_CHARS = 4096

LANGUAGE_NAMES: dict[Lang, str] = {Lang.AR: "العربية", Lang.EN: "English", Lang.FR: "Français"}

# Typed answers accepted when the bot asked for a language (folded: lower case, no accents).
_LANGUAGE_WORDS: dict[str, Lang] = {
    "ar": Lang.AR, "arabic": Lang.AR, "arabe": Lang.AR, "العربيه": Lang.AR, "عربي": Lang.AR,
    "en": Lang.EN, "english": Lang.EN, "anglais": Lang.EN, "انجليزي": Lang.EN,
    "fr": Lang.FR, "french": Lang.FR, "francais": Lang.FR, "فرنسي": Lang.FR,
}  # fmt: skip

_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff\u00ad]")


def clean_text(text: str | None) -> str:
    """Input as the core reads it: NFC, no bidi or zero-width controls, trimmed, bounded."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text[: MAX_INPUT_CHARS * 2])
    text = _INVISIBLE.sub("", strip_bidi_controls(text))
    return " ".join(text.split())[:MAX_INPUT_CHARS]


def reply_language(state: ConversationState, inbound: Inbound, ctx: Context) -> Lang:
    """The stored choice first, then the channel's hint, then the deployment default."""
    return state.language or Lang.parse(inbound.language_hint) or ctx.default_language


def handle(state: ConversationState, inbound: Inbound, ctx: Context) -> Turn:
    """Turn one inbound event and the stored state into the new state and the replies."""
    lang = reply_language(state, inbound, ctx)
    out = Replies(lang, ctx)
    if inbound.choice is not None:
        state = _on_choice(state, inbound.choice, out, ctx, inbound.at)
    elif inbound.media is not None:
        _ = out._
        out.say(_("I can only read text for now. Please type your question in words."))
    else:
        text = clean_text(inbound.text)
        if not text:
            _ = out._
            out.say(_("I did not catch that. Type your question, or send /help."))
        elif text.startswith("/"):
            state = _on_command(state, text, out, ctx)
        else:
            state = _on_text(state, text, out, ctx, inbound)
    return Turn(state=state, events=tuple(out.events))


# Commands ----------------------------------------------------------------------------------


def _on_command(state: ConversationState, text: str, out: Replies, ctx: Context) -> ConversationState:
    command = text.split(maxsplit=1)[0][1:].split("@", 1)[0].lower()
    if command == "start":
        return _ask_language(state, out, welcome=True)
    # The other commands do what the menu button of the same name does.
    item = "main" if command == "menu" else command
    if item in callbacks.MENU_ITEMS and item != "ask":
        return _on_menu(state, item, out, ctx)
    _ = out._
    out.say(_("I do not know that command. Send /help to see what I can do."))
    return state


def _ask_language(state: ConversationState, out: Replies, *, welcome: bool) -> ConversationState:
    _ = out._
    if welcome:
        text = _(
            "Welcome! I am the DT4E assistant. I answer questions about working in Europe "
            "with Displaced Talent for Europe, in Arabic, English or French."
        )
        text += "\n\n" + _("Which language do you prefer?")
    else:
        text = _("Which language do you prefer?")
    buttons = [[Button(name, callbacks.language(code)) for code, name in LANGUAGE_NAMES.items()]]
    out.say(text, buttons)
    return state.model_copy(update={"awaiting": Awaiting.LANGUAGE})


def _ask_role(state: ConversationState, out: Replies) -> ConversationState:
    _ = out._
    buttons = [
        [
            Button(_("I am a candidate (talent)"), callbacks.role(Role.TALENT)),
            Button(_("I am an employer"), callbacks.role(Role.EMPLOYER)),
        ]
    ]
    out.say(_("Are you a candidate looking for work, or an employer?"), buttons)
    return state.model_copy(update={"awaiting": Awaiting.ROLE})


def _help(out: Replies) -> None:
    _ = out._
    out.say(
        _(
            "I answer questions about the Displaced Talent for Europe (DT4E) programme: the visa, "
            "the procedure and its timeline, costs, housing, family, preparation and support "
            "after arrival. Type your question in your own words, in Arabic, English or French."
        )
        + "\n\n"
        + _("Commands:")
        + "\n/menu "
        + _("main menu")
        + "\n/language "
        + _("change the language")
        + "\n/help "
        + _("this help")
        + "\n/modules "
        + _("pre-departure orientation modules")
        + "\n/human "
        + _("ask a person")
    )


def _menu(state: ConversationState, out: Replies) -> None:
    _ = out._
    buttons = [
        [Button(_("Ask a question"), callbacks.menu("ask"))],
        [Button(_("Pre-departure modules"), callbacks.menu("modules"))],
        [
            Button(_("Language"), callbacks.menu("language")),
            Button(_("Help"), callbacks.menu("help")),
        ],
    ]
    out.say(_("What would you like to do?"), buttons)


# Buttons -----------------------------------------------------------------------------------


def _on_choice(
    state: ConversationState, data: str, out: Replies, ctx: Context, at: datetime
) -> ConversationState:
    choice = callbacks.parse(data)
    if isinstance(choice, callbacks.LanguageChoice):
        return _set_language(state, choice.lang, out, ctx)
    if isinstance(choice, callbacks.RoleChoice):
        return _set_role(state, choice.role, out)
    if isinstance(choice, callbacks.MenuChoice):
        return _on_menu(state, choice.item, out, ctx)
    if isinstance(choice, callbacks.ModuleChoice):
        return modules.open_module(state, choice.dialog_id, out, ctx)
    if isinstance(choice, callbacks.DialogAnswer):
        return modules.answer_button(state, choice, out, ctx, at)
    if isinstance(choice, callbacks.FaqChoice) and ctx.faq is not None and choice.faq_id in ctx.faq:
        _show_answer(choice.faq_id, out, ctx)
        return state.model_copy(update={"last_faq_id": choice.faq_id, "rated_faq_id": ""})
    if isinstance(choice, callbacks.FeedbackChoice) and ctx.faq is not None and choice.faq_id in ctx.faq:
        return _on_feedback(state, choice, out, ctx)
    _ = out._
    out.say(_("This button has expired. Here is the menu again."))
    _menu(state, out)
    return state


def _on_menu(state: ConversationState, item: str, out: Replies, ctx: Context) -> ConversationState:
    if item == "language":
        return _ask_language(state, out, welcome=False)
    if item == "help":
        _help(out)
        return state
    if item == "human":
        _human(out, ctx)
        return state
    if item == "main":
        _menu(state, out)
        return state
    if item == "modules":
        modules.list_modules(state, out, ctx)
        return state
    _ = out._
    out.say(_("Type your question in your own words, in Arabic, English or French."))
    return state


def _set_language(state: ConversationState, lang: Lang, out: Replies, ctx: Context) -> ConversationState:
    state = state.model_copy(update={"language": lang, "awaiting": None})
    out.switch(lang, ctx)
    _ = out._
    out.say(_("Language set to English."))
    if state.role is None:
        return _ask_role(state, out)
    _menu(state, out)
    return state


def _set_role(state: ConversationState, role: Role, out: Replies) -> ConversationState:
    state = state.model_copy(update={"role": role, "awaiting": None})
    _ = out._
    if role is Role.EMPLOYER:
        out.say(_("Thank you. I will answer as to an employer: costs, obligations, procedure."))
    else:
        out.say(_("Thank you. Ask me anything about your move and your new job."))
    _menu(state, out)
    return state


# Free text ---------------------------------------------------------------------------------


def _on_text(
    state: ConversationState, text: str, out: Replies, ctx: Context, inbound: Inbound
) -> ConversationState:
    folded = fold(text)
    if state.awaiting is Awaiting.LANGUAGE and folded in _LANGUAGE_WORDS:
        return _set_language(state, _LANGUAGE_WORDS[folded], out, ctx)
    if state.awaiting is Awaiting.ROLE:
        role = _typed_role(folded)
        if role is not None:
            return _set_role(state, role, out)
    if state.active_module:
        answered = modules.answer_text(state, text, out, ctx, inbound.at)
        if answered is not None:
            return answered
    if ctx.faq is None:
        _ = out._
        out.say(_("I am still learning and cannot answer questions yet. Send /help to see what I can do."))
        return state
    state = _answer_question(state, text, out, ctx, inbound.language_hint)
    modules.offer_to_continue(state, out, ctx)
    return state


# Questions and answers ---------------------------------------------------------------------


def contact_text(ctx: Context, lang: Lang) -> str:
    """The deployment's contact channel, or where to find it; never an invented address."""
    _ = ctx.i18n.for_lang(lang)
    return ctx.contact or _("the contact page of the IOM Belgium and Luxembourg website")


def answer_text(ctx: Context, faq_id: str, lang: Lang) -> str:
    """An FAQ answer as the user sees it: the answer, then the source line."""
    assert ctx.faq is not None
    _ = ctx.i18n.for_lang(lang)
    answer = ctx.faq.answer(faq_id, lang, contact_text(ctx, lang))
    return answer + "\n\n" + _("Source: {source}").format(source=ctx.faq.source(faq_id))


def abstention_text(ctx: Context, lang: Lang, *, unsure: bool) -> str:
    _ = ctx.i18n.for_lang(lang)
    if unsure:
        return _("I am not sure I understood. Did you mean one of these?")
    return _(
        "Sorry, I do not know the answer to that. I answer questions about the DT4E programme: "
        "the visa, costs, travel, housing, preparation and support. Try other words, or ask a person."
    )


def _ask_person_button(out: Replies) -> Button:
    _ = out._
    return Button(_("Ask a person"), callbacks.menu("human"))


def _show_answer(faq_id: str, out: Replies, ctx: Context) -> None:
    assert ctx.faq is not None
    related = [[Button(ctx.faq.label(r, out.lang), callbacks.faq(r))] for r in ctx.faq.related(faq_id)]
    if ctx.faq.offers_modules(faq_id) and ctx.dialogs is not None:
        _ = out._
        related.insert(0, [Button(_("Pre-departure modules"), callbacks.menu("modules"))])
    feedback = [
        Button("👍", callbacks.feedback(faq_id, True)),
        Button("👎", callbacks.feedback(faq_id, False)),
        _ask_person_button(out),
    ]
    out.say(answer_text(ctx, faq_id, out.lang), [*related, feedback])


def _answer_question(
    state: ConversationState, text: str, out: Replies, ctx: Context, hint: str | None
) -> ConversationState:
    assert ctx.faq is not None
    match = ctx.faq.match(text, preferred=state.language, hint=Lang.parse(hint))
    out.switch(match.lang, ctx)
    if match.social is not None:
        _small_talk(state, match.social, out, ctx)
        return state
    state = state.model_copy(
        update={"last_question": text, "last_faq_id": match.faq_id or "", "rated_faq_id": ""}
    )
    if match.faq_id is not None:
        _show_answer(match.faq_id, out, ctx)
        return state
    candidates = tuple(c.faq_id for c in match.candidates)
    if match.suggestions:
        buttons = [[Button(ctx.faq.label(s, out.lang), callbacks.faq(s))] for s in match.suggestions]
        out.say(abstention_text(ctx, out.lang, unsure=True), [*buttons, [_ask_person_button(out)]])
        reason = "unsure"
    else:
        _ = out._
        buttons = [[_ask_person_button(out), Button(_("Main menu"), callbacks.menu("main"))]]
        out.say(abstention_text(ctx, out.lang, unsure=False), buttons)
        reason = "abstained"
    out.events.append(QuestionUnanswered(text, out.lang, reason, match.score, candidates))
    return state


def small_talk_text(ctx: Context, social: Social, lang: Lang) -> str:
    """A friendly word for "hello", "thanks", "bye" or "ok"; none of them is a question."""
    _ = ctx.i18n.for_lang(lang)
    if social is Social.GREETING:
        return _("Hello! Ask me your question in your own words, or choose from the menu.")
    if social is Social.THANKS:
        return _("You are welcome! Ask me anything else whenever you like.")
    if social is Social.BYE:
        return _("Goodbye, and good luck! Write to me whenever you need.")
    return _("All right. Ask me anything else whenever you like.")


def _small_talk(state: ConversationState, social: Social, out: Replies, ctx: Context) -> None:
    out.say(small_talk_text(ctx, social, out.lang))
    if social is Social.GREETING:
        _menu(state, out)


def _on_feedback(
    state: ConversationState, choice: callbacks.FeedbackChoice, out: Replies, ctx: Context
) -> ConversationState:
    _ = out._
    if state.rated_faq_id == choice.faq_id and state.last_faq_id == choice.faq_id:
        out.say(_("You already rated this answer. Thank you!"))
        return state
    question = state.last_question if state.last_faq_id == choice.faq_id else ""
    out.events.append(FeedbackGiven(choice.faq_id, choice.helpful, question, out.lang))
    if choice.helpful:
        out.say(_("Thank you for your feedback."))
    else:
        out.events.append(QuestionUnanswered(question, out.lang, "not_helpful", 0, (choice.faq_id,)))
        out.say(
            _("Thank you. I have passed your question on so the answer can be improved."),
            [[_ask_person_button(out)]],
        )
    return state.model_copy(update={"rated_faq_id": choice.faq_id, "last_faq_id": choice.faq_id})


def _human(out: Replies, ctx: Context) -> None:
    _ = out._
    out.say(
        _("To ask a person from the programme team, please use: {contact}").format(
            contact=contact_text(ctx, out.lang)
        )
    )


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
