"""Dialogs drawn as Mermaid (dialogs/diagram.py): one small dialog and one survey with branches,
skips and an alert as exact snapshots, and every shipped module drawn whole."""

from __future__ import annotations

import pytest

from bot.basics.lang import Lang
from dialogs.diagram import mermaid, shorten
from dialogs.library import load_dialogs, parse_dialog
from dialogs.model import Dialog


def texts(en: str, fr: str | None = None, ar: str | None = None) -> dict[str, str]:
    return {"en": en, "fr": fr or en, "ar": ar or en}


def sourced(*nodes: dict[str, object]) -> list[dict[str, object]]:
    return [{"source": "public: a test", **node} for node in nodes]


SMALL = parse_dialog(
    {
        "schema": 1,
        "id": "small",
        "kind": "survey",
        "version": 1,
        "order": 1,
        "review": "pending",
        "title": texts("Small"),
        "start": "intro",
        "nodes": sourced(
            {
                "id": "intro",
                "say": texts(
                    'Welcome to the "small" module, #1 of <many> in this programme',
                    "Bienvenue dans le petit module",
                    "مرحباً بك في الوحدة الصغيرة",
                ),
                "next": "quiz_capital",
            },
            {
                "id": "quiz_capital",
                "say": texts("What is the capital?", "Quelle est la capitale ?", "ما هي العاصمة؟"),
                "ask": {
                    "type": "choice",
                    "choices": [
                        {"id": "brussels", "label": texts("Brussels", "Bruxelles", "بروكسل")},
                        {"id": "liege", "label": texts("Liège", "Liège", "لييج"), "next": "hint"},
                    ],
                    "correct": "brussels",
                    "explanation": texts("Brussels."),
                },
                "result": "quiz_capital",
                "next": "end",
            },
            {"id": "hint", "say": texts("Brussels is the capital."), "next": "end"},
            {
                "id": "end",
                "say": texts("How useful was this?", "Était-ce utile ?", "ما مدى فائدة هذا؟"),
                "ask": {"type": "rating"},
                "result": "useful",
            },
        ),
    }
)

SMALL_EN = """\
flowchart TD
    intro["intro: Welcome to the #quot;small#quot; module, #35;1 of…"]
    quiz_capital{{"quiz_capital: What is the capital?"}}
    hint["hint: Brussels is the capital."]
    End("end: How useful was this?")
    intro --> quiz_capital
    quiz_capital -->|"Liège"| hint
    quiz_capital --> End
    hint --> End
    classDef quiz fill:#fff4d6,stroke:#b7791f
    class quiz_capital quiz
"""

SMALL_AR = """\
flowchart TD
    intro["intro: مرحباً بك في الوحدة الصغيرة"]
    quiz_capital{{"quiz_capital: ما هي العاصمة؟"}}
    hint["hint: Brussels is the capital."]
    End("end: ما مدى فائدة هذا؟")
    intro --> quiz_capital
    quiz_capital -->|"لييج"| hint
    quiz_capital --> End
    hint --> End
    classDef quiz fill:#fff4d6,stroke:#b7791f
    class quiz_capital quiz
"""


@pytest.mark.parametrize(("lang", "expected"), [(Lang.EN, SMALL_EN), (Lang.AR, SMALL_AR)])
def test_a_small_dialog_as_mermaid(lang: Lang, expected: str) -> None:
    """Boxes for information, rounded for questions, hexagons for quiz questions; quotes, # and
    < > escaped; the Mermaid keyword ``end`` as a node id capitalised."""
    assert mermaid(SMALL, lang) == expected


def test_english_is_the_default() -> None:
    assert mermaid(SMALL) == SMALL_EN


FOLLOW_UP = parse_dialog(
    {
        "schema": 1,
        "id": "follow-up",
        "kind": "survey",
        "version": 2,
        "order": 1,
        "review": "pending",
        "title": texts("Follow-up"),
        "start": "job",
        "nodes": sourced(
            {
                "id": "job",
                "say": texts("How happy are you with your job?"),
                "ask": {
                    "type": "rating",
                    "branches": [{"at_most": 2, "next": "why"}, {"at_least": 5, "next": "housing"}],
                    "alert": {"at_most": 1},
                },
                "result": "job",
                "next": "recommend",
            },
            {
                "id": "why",
                "say": texts("What went wrong?"),
                "ask": {"type": "text", "optional": True},
                "result": "why",
                "next": "recommend",
            },
            {
                "id": "recommend",
                "say": texts("Would you recommend the programme?"),
                "ask": {"type": "nps", "branches": [{"at_least": 9, "next": "housing"}]},
                "result": "recommend",
                "next": "housing",
            },
            {
                "id": "housing",
                "say": texts("Have you found housing?", "Avez-vous trouvé un logement ?"),
                "ask": {
                    "type": "yes_no",
                    "optional": True,
                    "branches": [{"answer": "no", "next": "help"}],
                    "alert": {"answer": "no"},
                },
                "result": "housing",
                "next": "closing",
            },
            {"id": "help", "say": texts("Your contact will call you."), "next": "closing"},
            {"id": "closing", "say": texts("Thank you.")},
        ),
    }
)

FOLLOW_UP_FR = """\
flowchart TD
    job("job: How happy are you with your job?")
    why("why: What went wrong?")
    recommend("recommend: Would you recommend the programme?")
    housing("housing: Avez-vous trouvé un logement ?")
    help["help: Your contact will call you."]
    closing["closing: Thank you."]
    job -->|"≤ 2"| why
    job -->|"≥ 5"| housing
    job --> recommend
    why --> recommend
    why -.->|"Passer"| recommend
    recommend -->|"≥ 9"| housing
    recommend --> housing
    housing -->|"Non"| help
    housing --> closing
    housing -.->|"Passer"| closing
    help --> closing
    classDef alert stroke:#c53030,stroke-width:3px
    class job,housing alert
"""


def test_a_survey_draws_branches_skips_and_alerts() -> None:
    """A branch is an arrow labelled with its condition (the answer's label in the language), a
    skip a dotted arrow to the node's next, a question with an alert has the class ``alert``."""
    assert mermaid(FOLLOW_UP, Lang.FR) == FOLLOW_UP_FR


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Short", "Short"),
        ("  spaced\n  out  ", "spaced out"),
        ("x" * 50, "x" * 40 + "…"),
        ("Welcome to Living in Belgium, the second module", "Welcome to Living in Belgium, the second…"),
    ],
)
def test_labels_are_shortened_at_a_word(text: str, expected: str) -> None:
    assert shorten(text) == expected


@pytest.mark.parametrize("dialog", load_dialogs().modules(), ids=lambda d: d.id)
def test_every_shipped_module_is_drawn_whole(dialog: Dialog) -> None:
    lines = mermaid(dialog, Lang.FR).splitlines()
    assert lines[0] == "flowchart TD"
    assert sum(1 for line in lines if line.startswith("    ") and "-->" not in line) == len(dialog.nodes) + 2
    assert sum(1 for line in lines if "-->" in line) == len(dialog.nodes) - 1  # a chain
    assert lines[-1] == f"    class {','.join(node.id for node in dialog.quiz_nodes)} quiz"
