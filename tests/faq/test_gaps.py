"""Grouping what the bot could not answer: one question in other words is one group."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from faq.gaps import Unanswered, group


def asked(text: str, lang: str = "en", reason: str = "abstained", *candidates: str) -> Unanswered:
    return Unanswered(text, lang, reason, candidates)


def test_the_same_question_in_other_words_is_one_group_the_largest_first() -> None:
    gaps = group(
        [
            asked("Can I bring my dog to Belgium?", "en", "abstained", "family-travel"),
            asked("What is the weather in Bratislava?"),
            asked("can i bring my dog to belgium", "en", "unsure", "family-travel", "housing"),
            asked("Can I bring my dogs to Belgium?", "en", "abstained", "housing"),
            asked("Est-ce que je peux amener mon chien en Belgique ?", "fr"),
        ]
    )
    first = gaps[0]
    assert first.count == 3
    assert first.example == "Can I bring my dog to Belgium?"
    assert first.languages == {"en": 3}
    assert first.reasons == {"abstained": 2, "unsure": 1}
    assert first.closest[:2] == ["family-travel", "housing"]
    assert sorted(g.count for g in gaps) == [1, 1, 3], "weather and the French question stand alone"


def test_arabic_spellings_of_one_question_meet() -> None:
    gaps = group([asked("هل استطيع ان احضر قطتي؟", "ar"), asked("هل أستطيع أن أحضر قطتي", "ar")])
    assert [g.count for g in gaps] == [2]


def test_a_thumbs_down_without_its_question_goes_with_its_entry() -> None:
    gaps = group(
        [
            asked("", "fr", "not_helpful", "visa-type"),
            asked("", "ar", "not_helpful", "visa-type"),
            asked("", "en", "not_helpful", "housing"),
        ]
    )
    assert [(g.count, g.closest) for g in gaps] == [(2, ["visa-type"]), (1, ["housing"])]


@given(st.lists(st.tuples(st.text(max_size=60), st.sampled_from(["ar", "en", "fr"])), max_size=30))
def test_every_question_is_in_exactly_one_group(items: list[tuple[str, str]]) -> None:
    questions = [asked(text, lang) for text, lang in items]
    gaps = group(questions)
    assert sum(g.count for g in gaps) == len(questions)
    assert [g.count for g in gaps] == sorted((g.count for g in gaps), reverse=True)
