"""Character n-grams for the matcher: the 3- to 5-letter pieces of each word, weighted by TF-IDF
(sublinear counts) over the entries, each entry's variants counted together.

They meet spellings, dialect and inflections that whole words miss ("suivi" and "suvii",
"بتحضرونا" and "التحضير"), which is what a character n-gram classifier does well; the matcher
mixes their cosine with its word score (``CHAR_WEIGHT``). Pure; no I/O.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence

from faq.text import STOPWORDS


def grams(normalized: str) -> Counter[str]:
    """Counts of the 3- to 5-letter pieces of each word, padded with a space at both ends."""
    return Counter(
        padded[i : i + size]
        for word in normalized.split()
        if word not in STOPWORDS
        for padded in (f" {word} ",)
        for size in (3, 4, 5)
        for i in range(len(padded) - size + 1)
    )


class CharIndex:
    """The n-gram vectors of the entries, from their normalised question variants."""

    def __init__(self, normalized_by: Mapping[str, Sequence[str]]) -> None:
        counts = {faq_id: grams(" ".join(texts)) for faq_id, texts in normalized_by.items()}
        df: Counter[str] = Counter()
        for counted in counts.values():
            df.update(counted.keys())
        entries = max(len(counts), 1)
        self._idf = {g: math.log(1 + entries / n) for g, n in df.items()}
        self._entries: dict[str, dict[str, float]] = defaultdict(dict)
        for faq_id, counted in counts.items():
            for gram, value in self._vector(counted).items():
                self._entries[gram][faq_id] = value

    def _vector(self, counted: Mapping[str, int]) -> dict[str, float]:
        idf = self._idf
        weighted = {g: (1 + math.log(n)) * idf[g] for g, n in counted.items() if g in idf}
        norm = math.sqrt(sum(v * v for v in weighted.values())) or 1.0
        return {g: v / norm for g, v in weighted.items()}

    def scores(self, normalized: str, entries: Collection[str]) -> dict[str, float]:
        """Cosine of the text's n-grams with each of ``entries`` (the matcher's shortlist: the
        cost stays that of the shortlist however large the knowledge base)."""
        wanted = set(entries)
        out = dict.fromkeys(wanted, 0.0)
        for gram, value in self._vector(grams(normalized)).items():
            row = self._entries.get(gram)
            if row is None:
                continue
            if len(row) <= len(wanted):  # walk the shorter side
                for faq_id, weight in row.items():
                    if faq_id in wanted:
                        out[faq_id] += value * weight
            else:
                for faq_id in wanted:
                    out[faq_id] += value * row.get(faq_id, 0.0)
        return out
