"""Character n-grams for the matcher: the 3- to 5-letter pieces of each word, weighted by TF-IDF
(sublinear counts) over the entries, each entry's variants counted together.

They meet spellings, dialect and inflections that whole words miss ("suivi" and "suvii",
"بتحضرونا" and "التحضير"), which is what a character n-gram classifier does well; the matcher
mixes their cosine with its word score (``CHAR_WEIGHT``). Pure; no I/O.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
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
    """The n-gram vectors of the entries, from their normalised question variants.

    Kept in flat arrays (about 4 MB instead of 13 for a dict of dicts with a float object per
    weight): a gram's row number, then its idf and its (entry, weight) pairs in ``_starts``."""

    def __init__(self, normalized_by: Mapping[str, Sequence[str]]) -> None:
        counts = {faq_id: grams(" ".join(texts)) for faq_id, texts in normalized_by.items()}
        df: Counter[str] = Counter()
        for counted in counts.values():
            df.update(counted.keys())
        entries = max(len(counts), 1)
        self._row = {g: row for row, g in enumerate(df)}
        self._idf = array("d", (math.log(1 + entries / n) for n in df.values()))
        self._number = {faq_id: number for number, faq_id in enumerate(counts)}  # entry -> column
        by_row: list[list[tuple[int, float]]] = [[] for _ in df]
        for number, counted in enumerate(counts.values()):
            for gram, value in self._vector(counted).items():
                by_row[self._row[gram]].append((number, value))
        self._starts = array("L", [0])
        self._entry = array("L")
        self._weight = array("d")
        for pairs in by_row:
            self._entry.extend(number for number, _ in pairs)
            self._weight.extend(value for _, value in pairs)
            self._starts.append(len(self._entry))

    def _vector(self, counted: Mapping[str, int]) -> dict[str, float]:
        row, idf = self._row, self._idf
        weighted = {g: (1 + math.log(n)) * idf[row[g]] for g, n in counted.items() if g in row}
        norm = math.sqrt(sum(v * v for v in weighted.values())) or 1.0
        return {g: v / norm for g, v in weighted.items()}

    def scores(self, normalized: str, entries: Collection[str]) -> dict[str, float]:
        """Cosine of the text's n-grams with each of ``entries`` (the matcher's shortlist).

        Summed for every entry by number (there are a few dozen), then read for those asked:
        the same sums in the same order as adding only theirs, without a lookup per posting."""
        total = [0.0] * len(self._number)
        starts, entry, weight = self._starts, self._entry, self._weight
        for gram, value in self._vector(grams(normalized)).items():
            row = self._row[gram]
            first, last = starts[row], starts[row + 1]
            for number, w in zip(entry[first:last], weight[first:last], strict=True):
                total[number] += value * w
        number_of = self._number
        return {faq_id: total[number_of[faq_id]] if faq_id in number_of else 0.0 for faq_id in entries}
