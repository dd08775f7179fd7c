"""Greetings, thanks, goodbyes and "ok": messages that are not questions.

"Hello", "merci beaucoup" or "يسلمو" sent on their own deserve a friendly word, not "Sorry, I do
not know the answer", and they are not unanswered questions for staff to review. A message is
small talk when every word in it is a small-talk word (emoji and punctuation do not count) and at
least one of them says which kind; anything more ("hello, which visa will I get?") is a question.

The words are content (``faq/content/smalltalk.yaml``), so a programme officer or a translator
can add a greeting without touching Python::

    schema: 1
    kinds:                  # greeting | thanks | bye | ack, each with words in en, fr and ar
      thanks: {en: [thanks, thank], fr: [merci], ar: [شكرا, shukran]}
    companions: [you, very, much, beaucoup, كتير]   # words that may come along

The replies are interface strings (one per kind, in the catalogues). Pure: words are compared
in :func:`faq.text.normalize` form.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from bot.basics.content import StrictModel
from bot.basics.lang import Lang
from faq.text import normalize

SMALLTALK_FILE = "smalltalk.yaml"
MAX_WORDS = 8  # longer messages are questions, whatever their words


class Social(StrEnum):
    """The kinds, in the order that decides a mixed message: "ok thanks, bye" is a goodbye."""

    BYE = "bye"
    THANKS = "thanks"
    GREETING = "greeting"
    ACK = "ack"  # "ok", "d'accord", "تمام"


Word = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Words(StrictModel):
    """The words that make a message one kind of small talk, by language (Arabizi is Arabic)."""

    en: list[Word] = Field(min_length=1)
    fr: list[Word] = Field(min_length=1)
    ar: list[Word] = Field(min_length=1)


class SmallTalkFile(StrictModel):
    schema_version: Literal[1] = Field(alias="schema")
    kinds: dict[Social, Words]
    companions: list[Word] = Field(default_factory=list)

    @model_validator(mode="after")
    def _every_kind(self) -> SmallTalkFile:
        missing = [kind.value for kind in Social if kind not in self.kinds]
        if missing:
            raise ValueError(f"kinds: missing {', '.join(missing)}")
        return self


class SmallTalk:
    """Recognises small talk; built once from :class:`SmallTalkFile`."""

    def __init__(self, content: SmallTalkFile) -> None:
        self._kinds: dict[str, list[tuple[Social, Lang]]] = {}
        for kind in Social:  # in priority order
            # A word in several languages with no preference given goes to the first listed here:
            # English, then French ("ok", "merci" are loan words in Levantine Arabic).
            for lang in (Lang.EN, Lang.FR, Lang.AR):
                for word in normalize(" ".join(getattr(content.kinds[kind], lang.value))).split():
                    self._kinds.setdefault(word, []).append((kind, lang))
        self._companions = frozenset(normalize(" ".join(content.companions)).split())

    def intent(self, text: str, preferred: Lang | None = None) -> tuple[Social, Lang] | None:
        """The kind of small talk ``text`` is, and the language to answer in; ``None`` for
        anything else. The language is the one of the small-talk words ("merci" is French, and
        Lebanese: a user who chose Arabic is answered in Arabic), then ``preferred``."""
        words = normalize(text).split()
        if not words or len(words) > MAX_WORDS:
            return None
        found: list[tuple[Social, Lang]] = []
        for word in words:
            if word in self._kinds:
                found.extend(self._kinds[word])
            elif word not in self._companions:
                return None
        if not found:
            return None
        kind = next(k for k in Social if any(f is k for f, _ in found))  # the first in Social's order
        languages = [lang for k, lang in found if k is kind]
        if preferred in languages:
            return kind, preferred
        return kind, max(languages, key=languages.count)
