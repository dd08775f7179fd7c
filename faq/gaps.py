"""What the bot could not answer, grouped: the questions it abstained on, offered only "did you
mean" for, or whose answer got a 👎, gathered into groups of the same question asked in other
words, the largest first, each with its languages, its reasons and the entries closest to it.

Grouping is by the cosine of character n-grams (:func:`faq.chargrams.grams` over the matcher's
normalised text), each question joining the first group whose first question is close enough,
so the result does not depend on anything but the questions and their order. Pure; no I/O.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from faq.chargrams import grams
from faq.text import normalize

SAME_QUESTION = 0.45
"""The cosine of two questions' n-grams from which they count as one question in other words."""


@dataclass(frozen=True, slots=True)
class Unanswered:
    """One question as the store keeps it."""

    question: str
    lang: str
    reason: str  # abstained | unsure | not_helpful
    candidates: tuple[str, ...] = ()
    at: datetime | None = None
    id: int = 0  # the store's id of it (0: not stored)


@dataclass(slots=True)
class Gap:
    """Questions asked in other words, with what they share."""

    questions: list[Unanswered] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.questions)

    @property
    def example(self) -> str:
        """The most frequent wording (the first of the most frequent, on a tie)."""
        return Counter(q.question for q in self.questions).most_common(1)[0][0]

    @property
    def example_id(self) -> int:
        """The store's id of one question worded as :attr:`example` (0 if none is stored)."""
        return next((q.id for q in self.questions if q.question == self.example and q.id), 0)

    @property
    def languages(self) -> dict[str, int]:
        return dict(Counter(q.lang for q in self.questions).most_common())

    @property
    def reasons(self) -> dict[str, int]:
        return dict(Counter(q.reason for q in self.questions).most_common())

    @property
    def closest(self) -> list[str]:
        """The entries the matcher thought of most often for these questions, at most three."""
        counted: Counter[str] = Counter()
        for q in self.questions:
            counted.update(dict.fromkeys(q.candidates[:3], 1))
        return [faq_id for faq_id, _ in counted.most_common(3)]

    def wordings(self, limit: int = 3) -> list[str]:
        """Other wordings than :attr:`example`, most frequent first."""
        others = Counter(q.question for q in self.questions if q.question != self.example)
        return [text for text, _ in others.most_common(limit)]


def _vector(text: str) -> dict[str, float]:
    counted = grams(normalize(text))
    norm = math.sqrt(sum(n * n for n in counted.values())) or 1.0
    return {g: n / norm for g, n in counted.items()}


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(weight * b.get(g, 0.0) for g, weight in a.items())


def group(questions: Iterable[Unanswered], *, threshold: float = SAME_QUESTION) -> list[Gap]:
    """The questions in groups, the largest first (then in order of first appearance); an empty
    question (a 👎 whose question is not known) goes with the other empty ones of its entry."""
    gaps: list[tuple[dict[str, float], Gap]] = []
    by_entry: dict[tuple[str, ...], Gap] = {}
    for asked in questions:
        if not asked.question.strip():
            by_entry.setdefault(asked.candidates[:1], Gap()).questions.append(asked)
            continue
        vector = _vector(asked.question)
        for seed, gap in gaps:
            if vector and _cosine(vector, seed) >= threshold:
                gap.questions.append(asked)
                break
        else:
            gaps.append((vector, Gap([asked])))
    found = [gap for _, gap in gaps] + list(by_entry.values())
    order = {id(gap): n for n, gap in enumerate(found)}
    return sorted(found, key=lambda gap: (-gap.count, order[id(gap)]))
