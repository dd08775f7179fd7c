"""The knowledge base and its matcher together: what the conversation core asks for answers."""

from __future__ import annotations

from pathlib import Path

from bot.basics.lang import Lang
from faq.cache import cache_dir, cached_index
from faq.knowledge import CONTENT_DIR, KnowledgeBase
from faq.matcher import Match, Matcher


class FaqAssistant:
    def __init__(
        self, knowledge: KnowledgeBase, matcher: Matcher | None = None, content_dir: Path = CONTENT_DIR
    ) -> None:
        self.knowledge = knowledge
        self.matcher = matcher or Matcher(knowledge)
        self.content_dir = content_dir

    @classmethod
    def load(cls, content_dir: Path = CONTENT_DIR) -> FaqAssistant:
        """The knowledge base of ``content_dir`` (validated) with its matcher, both read from
        the cache when they were made before from the same files (:mod:`faq.cache`)."""
        knowledge, matcher = cached_index(content_dir, cache_dir())
        return cls(knowledge, matcher, content_dir)

    async def reload(self) -> None:
        """Read the content again (in a thread) and answer from it from now on: the knowledge
        and its matcher are swapped together, between two turns."""
        import asyncio  # here: ``dt4e-bot ask`` runs without an event loop (start-up time)

        fresh = await asyncio.to_thread(FaqAssistant.load, self.content_dir)
        self.knowledge, self.matcher = fresh.knowledge, fresh.matcher

    def match(
        self,
        question: str,
        *,
        preferred: Lang | None = None,
        hint: Lang | None = None,
        audience: str | None = None,
    ) -> Match:
        return self.matcher.match(question, preferred=preferred, hint=hint, audience=audience)

    def audience(self, faq_id: str) -> str:
        """``talent``, ``employer`` or ``both``: whom the entry is written for."""
        return self.knowledge.entries[faq_id].audience.value

    def __contains__(self, faq_id: object) -> bool:
        return faq_id in self.knowledge.entries

    def answer(self, faq_id: str, lang: Lang, contact: str) -> str:
        """The answer in ``lang``, with the deployment's contact channel filled in."""
        return self.knowledge.entries[faq_id].answer.get(lang).replace("{contact}", contact)

    def label(self, faq_id: str, lang: Lang) -> str:
        return self.knowledge.entries[faq_id].label(lang)

    def related(self, faq_id: str) -> list[str]:
        return list(self.knowledge.entries[faq_id].related)

    def offers_modules(self, faq_id: str) -> bool:
        """Whether the entry invites the user to the guided modules (``offer: modules``)."""
        return self.knowledge.entries[faq_id].offer == "modules"

    def source(self, faq_id: str, lang: Lang = Lang.EN) -> str:
        """The title of the entry's source document, in ``lang``."""
        return self.knowledge.source_title(faq_id, lang)
