from __future__ import annotations

import pytest

from bot.core.bidi import FSI, PDI, isolate_ltr_runs, strip_bidi_controls


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("برنامج DT4E.", f"برنامج {FSI}DT4E{PDI}."),
        ("مع Fragomen و IOM", f"مع {FSI}Fragomen{PDI} و {FSI}IOM{PDI}"),
        ("أكثر من 120,000 ملف", f"أكثر من {FSI}120,000{PDI} ملف"),
        (
            "برنامج Displaced Talent for Europe (DT4E): نعم",
            f"برنامج {FSI}Displaced Talent for Europe (DT4E){PDI}: نعم",
        ),
        ("أرسل /help الآن", "أرسل /help الآن"),
        ("الهجرة IOM (فريق DT4E)", f"الهجرة {FSI}IOM{PDI} (فريق {FSI}DT4E{PDI})"),
        ("نص عربي فقط", "نص عربي فقط"),
    ],
)
def test_latin_runs_are_isolated(text: str, expected: str) -> None:
    assert isolate_ltr_runs(text) == expected


def test_isolation_is_idempotent() -> None:
    once = isolate_ltr_runs("يستخدم DT4E تصريح single permit.")
    assert isolate_ltr_runs(once) == once
    assert strip_bidi_controls(once) == "يستخدم DT4E تصريح single permit."
