"""The reply to a matched question, whatever carries it: the chat (:mod:`bot.core.features.answers`)
and ``dt4e-bot ask --json``. Kept apart from the chat features so that a command answering one
question loads only this, the translations and the knowledge base."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.basics.lang import Lang
from bot.core.context import Context
from faq.matcher import Match
from faq.smalltalk import Social


class ReplyKind(StrEnum):
    ANSWER = "answer"  # confident: the entry's answer
    UNSURE = "unsure"  # "did you mean one of these?"
    UNKNOWN = "unknown"  # abstains: out of scope, or not confident at all
    SMALL_TALK = "small_talk"  # hello, thanks, bye, ok


@dataclass(frozen=True, slots=True)
class FaqReply:
    """What to say to a question, whatever carries it."""

    match: Match
    kind: ReplyKind
    text: str
    suggestions: tuple[str, ...]
    """The closest entries: the "did you mean" ones, else the other candidates."""

    @property
    def lang(self) -> Lang:
        return self.match.lang


def decide(ctx: Context, match: Match) -> FaqReply:
    """The reply to a matched question, in the question's language."""
    lang = match.lang
    _ = ctx.i18n.for_lang(lang)
    suggestions = tuple(match.suggestions) or tuple(
        c.faq_id for c in match.candidates if c.faq_id != match.faq_id
    )
    if match.faq_id is not None:
        kind, text = ReplyKind.ANSWER, answer_text(ctx, match.faq_id, lang)
    elif match.social is not None:
        kind, text = ReplyKind.SMALL_TALK, small_talk_text(ctx, match.social, lang)
    elif match.suggestions:
        kind, text = ReplyKind.UNSURE, _("I am not sure I understood. Did you mean one of these?")
    else:
        kind, text = ReplyKind.UNKNOWN, unknown_text(ctx, lang)
    return FaqReply(match, kind, text, suggestions)


def unknown_text(ctx: Context, lang: Lang) -> str:
    _ = ctx.i18n.for_lang(lang)
    return _(
        "Sorry, I do not know the answer to that. I answer questions about the DT4E programme: "
        "the visa, costs, travel, housing, preparation and support. Try other words, or ask a person."
    )


def contact_text(ctx: Context, lang: Lang) -> str:
    """The deployment's contact channel, or where to find it; never an invented address."""
    _ = ctx.i18n.for_lang(lang)
    return ctx.contact or _(
        "the organisation that gave you the link to this bot (the team's contact details "
        "have not been set up here yet)"
    )


def answer_text(ctx: Context, faq_id: str, lang: Lang) -> str:
    """An FAQ answer as the user sees it: the answer, then the source line."""
    assert ctx.faq is not None
    _ = ctx.i18n.for_lang(lang)
    answer = ctx.faq.answer(faq_id, lang, contact_text(ctx, lang))
    # TRANSLATORS: {source} is the title of the document the answer comes from.
    return answer + "\n\n" + _("Source: {source}").format(source=ctx.faq.source(faq_id, lang))


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
