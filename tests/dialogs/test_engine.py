"""The dialog engine (dialogs/engine.py): screens, answers, results, as tables of cases and one
recorded run of a shipped module."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import pytest

from bot.basics.lang import Lang
from dialogs.engine import (
    Answer,
    Outcome,
    Position,
    Problem,
    ResultRecorded,
    Screen,
    StalePosition,
    StepButton,
    advance,
    begin,
    is_stale,
    screen,
)
from dialogs.library import load_dialogs, parse_dialog
from dialogs.model import AskType, Dialog

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
LIBRARY = load_dialogs()


def module(dialog_id: str) -> Dialog:
    dialog = LIBRARY.get(dialog_id)
    assert dialog is not None
    return dialog


def texts(en: str, fr: str | None = None, ar: str | None = None) -> dict[str, str]:
    return {"en": en, "fr": fr or en, "ar": ar or en}


def ask_node(node_id: str, ask: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"id": node_id, "say": texts(node_id), "ask": ask, "result": node_id, **more}


def survey(*nodes: dict[str, Any]) -> Dialog:
    """A checked survey: an intro, the given nodes, a closing node; a node without ``next`` leads
    to the one after it."""
    chained = [dict(node) for node in nodes] + [{"id": "closing", "say": texts("Thank you", "Merci", "شكراً")}]
    for node, following in pairwise(chained):
        node.setdefault("next", following["id"])
    data = {
        "schema": 1,
        "id": "form",
        "kind": "survey",
        "order": 1,
        "review": "approved",
        "title": texts("Form"),
        "start": "intro",
        "nodes": [{"id": "intro", "say": texts("Hello"), "next": chained[0]["id"]}, *chained],
    }
    assert Dialog.model_validate(data) == parse_dialog(data)  # checked as a graph too
    return Dialog.model_validate(data)


FORM = survey(
    ask_node("age", {"type": "number", "min": 16, "max": 70}),
    ask_node("salary", {"type": "number"}),
    ask_node("arrival", {"type": "date"}),
    ask_node("useful", {"type": "rating"}),
    ask_node(
        "mood",
        {
            "type": "rating",
            "min": 1,
            "max": 3,
            "choices": [
                {"id": "bad", "label": texts("Bad", "Mauvais", "سيئ")},
                {"id": "fair", "label": texts("Fair", "Moyen", "مقبول")},
                {"id": "good", "label": texts("Good", "Bon", "جيد")},
            ],
        },
    ),
    ask_node("city", {"type": "text"}),
)


# Button data.


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("m:living-in-belgium:quiz_waste:embassy", ("living-in-belgium", "quiz_waste", "embassy")),
        ("m:form:useful:4", ("form", "useful", "4")),
        ("m:form:intro:next", ("form", "intro", "next")),
        ("m:form:intro", None),
        ("m:form:intro:next:extra", None),
        ("m::intro:next", None),
        ("m:form:intro:", None),
        ("lang:fr", None),
        ("", None),
    ],
)
def test_step_button_data_reads_back(data: str, expected: tuple[str, str, str] | None) -> None:
    button = StepButton.unpack(data)
    assert (None if button is None else (button.dialog_id, button.node_id, button.value)) == expected


def test_step_button_data_round_trips() -> None:
    data = StepButton("living-in-belgium", "quiz_waste", "ask_municipality").pack()
    assert data == "m:living-in-belgium:quiz_waste:ask_municipality"
    assert StepButton.unpack(data) == StepButton("living-in-belgium", "quiz_waste", "ask_municipality")


# Screens.


def test_an_information_screen() -> None:
    dialog = module("living-in-belgium")
    shown = screen(dialog, begin(dialog), Lang.FR)
    assert shown == Screen(
        text=dialog.node("intro").say.fr, kind="info", choices=(), step=1, total=10, is_last=False
    )


def test_a_quiz_screen_has_one_button_per_choice() -> None:
    dialog = module("living-in-belgium")
    shown = screen(dialog, Position(dialog.id, "quiz_health_insurance"), Lang.AR)
    assert shown.kind == "choice"
    assert (shown.step, shown.total, shown.is_last) == (8, 10, False)
    assert shown.choices == (
        ("عن طريق سفارتك", "m:living-in-belgium:quiz_health_insurance:embassy"),
        ("لا حاجة إليه", "m:living-in-belgium:quiz_health_insurance:not_needed"),
        ("الانتساب إلى صندوق تعاضدي", "m:living-in-belgium:quiz_health_insurance:mutual_fund"),
    )


def test_the_last_screen() -> None:
    dialog = module("living-in-belgium")
    shown = screen(dialog, Position(dialog.id, "closing"), Lang.EN)
    assert (shown.kind, shown.step, shown.total, shown.is_last) == ("info", 10, 10, True)


@pytest.mark.parametrize(
    ("node_id", "lang", "choices"),
    [
        ("useful", Lang.EN, [("1", "1"), ("2", "2"), ("3", "3"), ("4", "4"), ("5", "5")]),
        ("mood", Lang.FR, [("Mauvais", "1"), ("Moyen", "2"), ("Bon", "3")]),
        ("mood", Lang.AR, [("سيئ", "1"), ("مقبول", "2"), ("جيد", "3")]),
        ("age", Lang.EN, []),
        ("arrival", Lang.EN, []),
    ],
)
def test_rating_buttons_carry_their_value(node_id: str, lang: Lang, choices: list[tuple[str, str]]) -> None:
    shown = screen(FORM, Position("form", node_id), lang)
    assert shown.choices == tuple((label, f"m:form:{node_id}:{value}") for label, value in choices)


def test_image_and_link_are_passed_on() -> None:
    dialog = Dialog.model_validate(
        {
            **FORM.model_dump(by_alias=True, exclude={"nodes"}),
            "nodes": [
                {
                    "id": "intro",
                    "say": texts("Look"),
                    "image": "images/map.png",
                    "link": "https://www.belgium.be",
                }
            ],
        }
    )
    shown = screen(dialog, begin(dialog), Lang.EN)
    assert (shown.image, shown.link, shown.is_last, shown.total) == (
        "images/map.png",
        "https://www.belgium.be",
        True,
        1,
    )


@pytest.mark.parametrize("dialog", LIBRARY.modules(), ids=lambda d: d.id)
@pytest.mark.parametrize("lang", list(Lang))
def test_every_shipped_screen_renders(dialog: Dialog, lang: Lang) -> None:
    for step, node in enumerate(dialog.path(), start=1):
        shown = screen(dialog, Position(dialog.id, node.id), lang)
        assert shown.text
        assert (shown.step, shown.total) == (step, len(dialog.nodes))
        assert all(label and len(data.encode()) <= 64 for label, data in shown.choices)


# A recorded run: every answer, where it leads, what it records.

LIVING = "living-in-belgium"
NEXT = Answer("next", from_button=True)
RUN: list[tuple[str, Answer, str | None, list[ResultRecorded], bool | None]] = [
    # (at node, answer, next node (None: finished), results, correct)
    ("intro", NEXT, "emergency", [], None),
    ("emergency", Answer("ok"), "health", [], None),  # typed text moves an information node on
    ("health", NEXT, "transport", [], None),
    ("transport", NEXT, "money", [], None),
    ("money", NEXT, "waste", [], None),
    ("waste", NEXT, "quiz_emergency", [], None),
    (
        "quiz_emergency",
        Answer("n112", from_button=True),
        "quiz_health_insurance",
        [ResultRecorded(LIVING, "quiz_emergency", "n112", "correct")],
        True,
    ),
    (
        "quiz_health_insurance",
        Answer("1"),  # typed: the first choice, "Through your embassy"
        "quiz_waste",
        [ResultRecorded(LIVING, "quiz_health_insurance", "embassy", "incorrect")],
        False,
    ),
    (
        "quiz_waste",
        Answer("ask your municipality"),
        "closing",
        [ResultRecorded(LIVING, "quiz_waste", "ask_municipality", "correct")],
        True,
    ),
    ("closing", NEXT, None, [ResultRecorded(LIVING, "completed", "2/3", "completed")], None),
]


def test_a_full_run_of_a_module_records_answers_and_score() -> None:
    dialog = module(LIVING)
    position: Position | None = begin(dialog)
    previous: dict[str, str] = {}
    for at, answer, to, results, correct in RUN:
        assert position == Position(LIVING, at)
        outcome = advance(dialog, position, answer, Lang.EN, NOW, previous)
        assert outcome.problem is None
        assert outcome.position == (None if to is None else Position(LIVING, to)), at
        assert list(outcome.results) == results, at
        assert outcome.correct is correct, at
        node = dialog.node(at)
        explanation = node.ask.explanation if node.ask else None
        assert outcome.feedback == (explanation.en if explanation else None), at
        previous.update({result.key: result.category for result in outcome.results})
        position = outcome.position
    assert position is None


@pytest.mark.parametrize(
    ("previous", "score"),
    [
        ({}, "0/3"),
        ({"quiz_emergency": "correct", "quiz_health_insurance": "correct", "quiz_waste": "correct"}, "3/3"),
        ({"quiz_emergency": "incorrect", "quiz_waste": "correct", "other": "correct"}, "1/3"),
    ],
)
def test_the_score_counts_the_correct_answers_of_the_run(previous: dict[str, str], score: str) -> None:
    dialog = module(LIVING)
    outcome = advance(dialog, Position(LIVING, "closing"), NEXT, Lang.EN, NOW, previous)
    assert outcome.results == (ResultRecorded(LIVING, "completed", score, "completed"),)


def test_the_last_answer_counts_in_the_score() -> None:
    dialog = Dialog.model_validate(
        {
            **module(LIVING).model_dump(by_alias=True, exclude={"nodes", "start"}),
            "start": "quiz_waste",
            "nodes": [
                {**module(LIVING).node("quiz_waste").model_dump(exclude_none=True), "next": None},
            ],
        }
    )
    outcome = advance(dialog, begin(dialog), Answer("ask_municipality", True), Lang.FR, NOW)
    assert outcome.position is None
    assert outcome.correct is True
    quiz = module(LIVING).node("quiz_waste").ask
    assert quiz is not None
    assert quiz.explanation is not None
    assert outcome.feedback == quiz.explanation.fr
    assert [r.value for r in outcome.results] == ["ask_municipality", "1/1"]


# Typed answers to a choice question: the label in the user's language, or its number.


@pytest.mark.parametrize(
    ("lang", "typed", "expected"),
    [
        (Lang.FR, "S'affilier à une mutualité", "mutual_fund"),
        (Lang.FR, "s’affilier a une mutualite", "mutual_fund"),  # apostrophe, accents
        (Lang.FR, "  CE N'EST PAS NÉCESSAIRE.  ", "not_needed"),
        (Lang.AR, "الانتساب إلى صندوق تعاضدي", "mutual_fund"),
        (Lang.AR, "الانتساب الى صندوق تعاضدي", "mutual_fund"),  # alef without hamza
        (Lang.AR, "عَن طَريق سفارتك", "embassy"),  # diacritics
        (Lang.EN, "you do not need it", "not_needed"),
        (Lang.EN, "3", "mutual_fund"),
        (Lang.AR, "٣", "mutual_fund"),  # Eastern Arabic digit
        (Lang.AR, "۱", "embassy"),  # Persian digit
        (Lang.FR, "2.", "not_needed"),
        (Lang.FR, "Join a mutual insurance fund", Problem.NOT_A_CHOICE),  # not the user's language
        (Lang.EN, "mutual_fund", Problem.NOT_A_CHOICE),  # an id is not a label
        (Lang.EN, "4", Problem.NOT_A_CHOICE),
        (Lang.EN, "0", Problem.NOT_A_CHOICE),
        (Lang.EN, "mutual", Problem.NOT_A_CHOICE),
        (Lang.EN, "9" * 5000, Problem.NOT_A_CHOICE),
        (Lang.EN, "   ", Problem.EMPTY),
    ],
)
def test_a_typed_choice(lang: Lang, typed: str, expected: str | Problem) -> None:
    check_answer(module(LIVING), "quiz_health_insurance", Answer(typed), lang, expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("mutual_fund", "mutual_fund"),
        ("embassy", "embassy"),
        ("Join a mutual insurance fund", Problem.NOT_A_CHOICE),
        ("3", Problem.NOT_A_CHOICE),  # buttons carry ids, not positions
        ("next", Problem.NOT_A_CHOICE),
    ],
)
def test_a_pressed_choice(value: str, expected: str | Problem) -> None:
    check_answer(module(LIVING), "quiz_health_insurance", Answer(value, True), Lang.EN, expected)


NUMBER_CASES = [
    ("age", "30", "30"),
    ("age", " 45 ", "45"),
    ("age", "٣٠", "30"),
    ("age", "۴۵", "45"),
    ("age", "16", "16"),
    ("age", "70", "70"),
    ("age", "15", Problem.OUT_OF_RANGE),
    ("age", "71", Problem.OUT_OF_RANGE),
    ("age", "-20", Problem.OUT_OF_RANGE),
    ("age", "thirty", Problem.NOT_A_NUMBER),
    ("age", "3O", Problem.NOT_A_NUMBER),
    ("age", "", Problem.EMPTY),
    ("salary", "2500.50", "2500.5"),
    ("salary", "2500,50", "2500.5"),
    ("salary", "٢٥٠٠٫٥", "2500.5"),
    ("salary", "2 500", "2500"),
    ("salary", "30.0", "30"),
    ("salary", "-3", "-3"),
    ("salary", "1e3", Problem.NOT_A_NUMBER),
    ("salary", "1.2.3", Problem.NOT_A_NUMBER),
    ("salary", "123456789012345678901234567890", "123456789012345678901234567890"),
    ("salary", "9" * 5000, Problem.NOT_A_NUMBER),
]
DATE_CASES = [
    ("arrival", "2026-03-01", "2026-03-01"),
    ("arrival", "01/03/2026", "2026-03-01"),
    ("arrival", "1.3.2026", "2026-03-01"),
    ("arrival", "٠١/٠٣/٢٠٢٦", "2026-03-01"),
    ("arrival", "۱/۳/۲۰۲۶", "2026-03-01"),
    ("arrival", "1/3/26", "2026-03-01"),  # two-digit years: within 80 years before and 20 after now
    ("arrival", "1/3/95", "1995-03-01"),
    ("arrival", "29/02/2028", "2028-02-29"),
    ("arrival", "29/02/2026", Problem.NOT_A_DATE),
    ("arrival", "31.04.2026", Problem.NOT_A_DATE),
    ("arrival", "2026/03/01", Problem.NOT_A_DATE),
    ("arrival", "01/03.2026", Problem.NOT_A_DATE),
    ("arrival", "next week", Problem.NOT_A_DATE),
    ("arrival", " ", Problem.EMPTY),
]
RATING_CASES = [
    ("useful", "4", "4"),
    ("useful", "٤", "4"),
    ("useful", "1", "1"),
    ("useful", "5.0", "5"),
    ("useful", "6", Problem.OUT_OF_RANGE),
    ("useful", "0", Problem.OUT_OF_RANGE),
    ("useful", "4.5", Problem.NOT_A_NUMBER),
    ("useful", "great", Problem.NOT_A_NUMBER),
    ("mood", "3", "3"),
    ("mood", "Good", "3"),
    ("mood", "fair", "2"),
    ("mood", "4", Problem.OUT_OF_RANGE),
]
TEXT_CASES = [
    ("city", "  Liège ", "Liège"),
    ("city", "بروكسل", "بروكسل"),
    ("city", "x" * 1200, "x" * 1000),
    ("city", "", Problem.EMPTY),
]


@pytest.mark.parametrize(
    ("node_id", "typed", "expected"), NUMBER_CASES + DATE_CASES + RATING_CASES + TEXT_CASES
)
def test_a_typed_answer(node_id: str, typed: str, expected: str | Problem) -> None:
    check_answer(FORM, node_id, Answer(typed), Lang.EN, expected)


@pytest.mark.parametrize(("value", "expected"), [("4", "4"), ("1", "1"), ("9", Problem.OUT_OF_RANGE)])
def test_a_pressed_rating(value: str, expected: str | Problem) -> None:
    check_answer(FORM, "useful", Answer(value, True), Lang.EN, expected)


def test_a_rating_label_is_read_in_the_users_language() -> None:
    check_answer(FORM, "mood", Answer("moyen"), Lang.FR, "2")
    check_answer(FORM, "mood", Answer("جيد"), Lang.AR, "3")


def check_answer(dialog: Dialog, node_id: str, answer: Answer, lang: Lang, expected: str | Problem) -> None:
    """An accepted answer records the expected value and moves on; a problem changes nothing."""
    position = Position(dialog.id, node_id)
    outcome = advance(dialog, position, answer, lang, NOW)
    if isinstance(expected, Problem):
        assert outcome == Outcome(position=position, problem=expected)
        return
    assert outcome.problem is None
    assert outcome.position != position
    assert len(outcome.results) == 1
    result = outcome.results[0]
    assert (result.dialog_id, result.key, result.value) == (dialog.id, node_id, expected)
    ask = dialog.node(node_id).ask
    assert ask is not None
    if ask.type is not AskType.CHOICE:
        assert result.category == ""


def test_a_survey_ends_with_completed_yes() -> None:
    outcome = advance(FORM, Position("form", "closing"), Answer("anything"), Lang.EN, NOW)
    assert outcome == Outcome(
        position=None, results=(ResultRecorded("form", "completed", "yes", "completed"),)
    )


def test_a_choice_that_is_not_a_quiz_records_its_id_and_may_route() -> None:
    dialog = survey(
        ask_node(
            "housing",
            {
                "type": "choice",
                "choices": [
                    {"id": "found", "label": texts("Found", "Trouvé", "وجدت")},
                    {"id": "searching", "label": texts("Searching", "Je cherche", "أبحث"), "next": "help"},
                ],
            },
            next="closing",
        ),
        {"id": "help", "say": texts("Ask your DT4E contact")},
    )
    found = advance(dialog, Position("form", "housing"), Answer("found", True), Lang.EN, NOW)
    assert found.position == Position("form", "closing")
    assert found.results == (ResultRecorded("form", "housing", "found", "found"),)
    assert (found.correct, found.feedback) == (None, None)
    searching = advance(dialog, Position("form", "housing"), Answer("je cherche"), Lang.FR, NOW)
    assert searching.position == Position("form", "help")
    assert searching.results == (ResultRecorded("form", "housing", "searching", "searching"),)
    assert advance(dialog, Position("form", "help"), NEXT, Lang.FR, NOW).position == Position(
        "form", "closing"
    )


# Stale positions: the dialog was edited and the node is gone.


@pytest.mark.parametrize(
    "position", [Position(LIVING, "removed_node"), Position("another-dialog", "intro")], ids=str
)
def test_a_stale_position_restarts_the_dialog(position: Position) -> None:
    dialog = module(LIVING)
    assert is_stale(dialog, position)
    with pytest.raises(StalePosition, match="start it again"):
        screen(dialog, position, Lang.EN)
    outcome = advance(dialog, position, Answer("n112", True), Lang.EN, NOW)
    assert outcome == Outcome(position=begin(dialog), problem=Problem.STALE)
    assert not is_stale(dialog, begin(dialog))
