"""The real words the spelling corrector leaves alone (faq.dictionary)."""

from __future__ import annotations

import pickle

from faq.dictionary import WordFilter, real_words


def test_a_word_filter_holds_its_words_and_few_others() -> None:
    words = frozenset(f"word{n}" for n in range(2000))
    kept = WordFilter(words, false_positives=0.01)
    assert all(word in kept for word in words)
    others = [f"other{n}" for n in range(5000)]
    assert sum(word in kept for word in others) < 150
    assert 1 not in kept
    assert all(word in pickle.loads(pickle.dumps(kept)) for word in words)


def test_real_words_are_english_and_french_normalised() -> None:
    words = real_words()
    for word in ("department", "route", "deux", "afin"):
        assert word in words
    assert "apartmnt" not in words
    assert "remboursemnt" not in words
