"""Real words of English and French, so that the matcher's spelling corrector leaves them as
they are written: "department" is no typo of "apartment", nor "route" of « coûte ».

The words come from pyspellchecker's word-frequency lists, read only when the matcher's index
is built (never when it is loaded from the cache, :mod:`faq.cache`). They are kept in a Bloom
filter: about 100 KB for some 50,000 words, where a set of them would take megabytes; one
unknown word in a thousand is taken for a real word by mistake, and is then not corrected.
Pure but for reading the lists; deterministic (blake2b, not Python's salted ``hash``).
"""

from __future__ import annotations

import gzip
import json
import math
from functools import lru_cache
from hashlib import blake2b
from importlib import resources

from faq.text import STOPWORDS, normalize

LANGUAGES = ("en", "fr")
MIN_COUNT = 200  # rarer entries of the lists are often typos or names ("fess", "pert")
MIN_LENGTH = 4  # shorter words are never corrected
FALSE_POSITIVES = 0.001


class WordFilter:
    """A Bloom filter of words: ``word in words`` is never wrong for a word put in, and wrong
    for about ``FALSE_POSITIVES`` of the others."""

    def __init__(self, words: frozenset[str], false_positives: float = FALSE_POSITIVES) -> None:
        count = max(len(words), 1)
        self._bits = max(8, math.ceil(-count * math.log(false_positives) / math.log(2) ** 2))
        self._hashes = max(1, round(self._bits / count * math.log(2)))
        table = bytearray((self._bits + 7) // 8)
        for word in words:
            for bit in self._positions(word):
                table[bit >> 3] |= 1 << (bit & 7)
        self._table = bytes(table)

    def _positions(self, word: str) -> list[int]:
        digest = blake2b(word.encode(), digest_size=16).digest()
        first, second = int.from_bytes(digest[:8], "little"), int.from_bytes(digest[8:], "little") | 1
        return [(first + i * second) % self._bits for i in range(self._hashes)]

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        table = self._table
        return all(table[bit >> 3] >> (bit & 7) & 1 for bit in self._positions(word))


@lru_cache(maxsize=1)
def real_words() -> WordFilter:
    """The normalised words of the dictionaries common enough to be meant as written."""
    words: set[str] = set()
    for language in LANGUAGES:
        with (resources.files("spellchecker") / "resources" / f"{language}.json.gz").open("rb") as raw:
            counts: dict[str, int] = json.loads(gzip.decompress(raw.read()))
        for word, count in counts.items():
            if count < MIN_COUNT:
                continue
            for form in normalize(word).split() if not (word.isascii() and word.isalpha()) else (word,):
                if len(form) >= MIN_LENGTH and form.isalpha() and form not in STOPWORDS:
                    words.add(form)
    return WordFilter(frozenset(words))
