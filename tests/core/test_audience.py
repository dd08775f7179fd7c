"""The audience staff type after /survey: filters, references, and anything else is not one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.audience import Audience, parse_audience


@pytest.mark.parametrize(
    ("text", "audience"),
    [
        ("talent cohort 2026-A country BE", Audience(("talent",), ("2026-A",), ("BE",))),
        ("employers", Audience(roles=("employer",))),
        ("Talents BE FR", Audience(roles=("talent",), countries=("BE", "FR"))),
        ("T-0001, T-0002", Audience(references=("T-0001", "T-0002"))),
        ("ref alice bob", Audience(references=("alice", "bob"))),
        ("employeurs cohorte 2026-B pays SK", Audience(("employer",), ("2026-B",), ("SK",))),
    ],
)
def test_an_audience_is_read(text: str, audience: Audience) -> None:
    assert parse_audience(text) == audience


@pytest.mark.parametrize("text", ["what is the visa?", "", "cohort", "hello T-0001", "شو نوع الفيزا؟"])
def test_anything_else_is_not_an_audience(text: str) -> None:
    assert parse_audience(text) is None


@given(st.text(max_size=60))
def test_no_text_makes_the_reader_fail(text: str) -> None:
    audience = parse_audience(text)
    assert audience is None or audience.as_json()
