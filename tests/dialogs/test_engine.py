"""The dialog engine (dialogs/engine.py): screens, answers, results, as tables of cases and one
recorded run of a shipped module; the survey questions (Likert, nps, yes/no, multi, the date
picker, skips, branches, alerts) as tables too, with a fixed clock; and, with hypothesis, that no
typed text, pressed value or stored selection makes the engine fail."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.basics.content import Texts
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
from dialogs.model import AskType, Dialog, shipped_labels

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
        "version": 1,
        "order": 1,
        "review": "approved",
        "title": texts("Form"),
        "start": "intro",
        "nodes": [
            {"source": "public: a test", **node}
            for node in [{"id": "intro", "say": texts("Hello"), "next": chained[0]["id"]}, *chained]
        ],
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


# Typed numbers when the choices' labels are numbers ("911", "Three", "ثلاث"): a number picks the
# choice it names, in any digits or as a word, never the button at that place.

EXPLORING = "exploring-belgium"
COUNTS = survey(
    ask_node(
        "children",
        {
            "type": "multi",
            "choices": [
                {"id": "none", "label": texts("0")},
                {"id": "two", "label": texts("2", "deux", "٢")},
                {"id": "five", "label": texts("Five", "Cinq", "خمسة")},
            ],
        },
    ),
    ask_node(
        "same",  # two labels name the same number: read by place, as any other labels
        {
            "type": "choice",
            "choices": [{"id": "digits", "label": texts("3")}, {"id": "word", "label": texts("three")}],
        },
    ),
)


@pytest.mark.parametrize(
    ("dialog", "node_id", "lang", "typed", "expected"),
    [
        (EXPLORING, "quiz_languages", Lang.EN, "3", "three"),  # Two, Three, Four: not the third button
        (EXPLORING, "quiz_languages", Lang.EN, "2", "two"),
        (EXPLORING, "quiz_languages", Lang.AR, "٣", "three"),  # Eastern Arabic digit
        (EXPLORING, "quiz_languages", Lang.AR, "۳", "three"),  # Persian digit
        (EXPLORING, "quiz_languages", Lang.AR, "ثلاثة", "three"),  # the label says ثلاث
        (EXPLORING, "quiz_languages", Lang.AR, "tlete", "three"),  # Arabizi
        (EXPLORING, "quiz_languages", Lang.FR, "Trois !", "three"),
        (EXPLORING, "quiz_languages", Lang.FR, "three", "three"),  # a number word in another language
        (EXPLORING, "quiz_languages", Lang.EN, "1", Problem.NOT_A_CHOICE),  # no choice is 1
        (EXPLORING, "quiz_languages", Lang.EN, "03", "three"),
        (LIVING, "quiz_emergency", Lang.EN, "112", "n112"),
        (LIVING, "quiz_emergency", Lang.AR, "١١٢", "n112"),
        (LIVING, "quiz_emergency", Lang.EN, "2", Problem.NOT_A_CHOICE),  # not the second button
        (LIVING, "quiz_emergency", Lang.EN, "one one two", Problem.NOT_A_CHOICE),
        (LIVING, "quiz_health_insurance", Lang.EN, "3", "mutual_fund"),  # words: the third button
        (
            LIVING,
            "quiz_health_insurance",
            Lang.EN,
            "three",
            Problem.NOT_A_CHOICE,
        ),  # a place is typed in digits
        ("form", "children", Lang.EN, "5", "five"),
        ("form", "children", Lang.EN, "2, 5", "two,five"),
        ("form", "children", Lang.AR, "٥ ٢", "two,five"),
        ("form", "children", Lang.FR, "0", "none"),
        ("form", "children", Lang.EN, "1", Problem.NOT_A_CHOICE),
        ("form", "children", Lang.EN, "3", Problem.NOT_A_CHOICE),
        ("form", "same", Lang.EN, "2", "word"),
        ("form", "same", Lang.EN, "3", "digits"),  # its label, first
    ],
)
def test_a_typed_number_picks_the_choice_it_names(
    dialog: str, node_id: str, lang: Lang, typed: str, expected: str | Problem
) -> None:
    asked = COUNTS if dialog == "form" else module(dialog)
    position = Position(asked.id, node_id)
    outcome = advance(asked, position, Answer(typed), lang, NOW)
    if isinstance(expected, Problem):
        assert outcome == Outcome(position=position, problem=expected)
        return
    assert outcome.problem is None
    assert [(r.key, r.value) for r in outcome.results] == [(node_id, expected)]


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


# Survey questions: likert, nps, yes/no, multi, date buttons, skips, branches, alerts.

LIKERT = [
    {"id": "very_bad", "label": texts("Very bad", "Très mauvais", "سيئ جداً")},
    {"id": "bad", "label": texts("Bad", "Mauvais", "سيئ")},
    {"id": "fair", "label": texts("Fair", "Moyen", "مقبول")},
    {"id": "good", "label": texts("Good", "Bon", "جيد")},
    {"id": "very_good", "label": texts("Very good", "Très bon", "جيد جداً")},
]
NEEDS = [
    {"id": "housing", "label": texts("Housing", "Logement", "السكن")},
    {"id": "language", "label": texts("Language", "Langue", "اللغة")},
    {"id": "papers", "label": texts("Papers", "Papiers", "الأوراق")},
]
SURVEY = survey(
    ask_node(
        "likert",
        {
            "type": "rating",
            "choices": LIKERT,
            "optional": True,
            "branches": [{"at_most": 2, "next": "why"}],
        },
    ),
    ask_node(
        "recommend",
        {
            "type": "nps",
            "branches": [{"at_least": 9, "next": "arrival"}, {"at_least": 7, "next": "housing"}],
            "alert": {"at_most": 6},
        },
    ),
    ask_node(
        "housing",
        {
            "type": "yes_no",
            "optional": True,
            "branches": [{"answer": "no", "next": "needs"}],
            "alert": {"answer": "no"},
        },
        next="arrival",
    ),
    ask_node("needs", {"type": "multi", "choices": NEEDS, "optional": True}),
    ask_node("needs_required", {"type": "multi", "choices": NEEDS}),
    ask_node("arrival", {"type": "date"}),
    ask_node("start_month", {"type": "date", "span": "future", "precision": "month"}),
    ask_node(
        "contract",
        {
            "type": "choice",
            "choices": [
                {"id": "signed", "label": texts("Signed", "Signé", "موقّع"), "next": "closing"},
                {"id": "waiting", "label": texts("Waiting", "En attente", "بالانتظار"), "next": "why"},
                {"id": "refused", "label": texts("Refused", "Refusé", "مرفوض"), "next": "why"},
            ],
            "branches": [{"answer": "refused", "next": "closing"}],
            "alert": {"answer": "refused"},
        },
    ),
    ask_node("why", {"type": "text", "optional": True}),
)
SURVEY_NODES = [node.id for node in SURVEY.nodes]


def rows(node_id: str, pairs: list[list[tuple[str, str]]]) -> tuple[tuple[tuple[str, str], ...], ...]:
    """Rows of ``(label, value)`` as the screen's rows of ``(label, button data)``."""
    return tuple(tuple((label, f"m:form:{node_id}:{value}") for label, value in row) for row in pairs)


SCREEN_CASES: list[
    tuple[str, Lang, tuple[str, ...], datetime | None, list[list[tuple[str, str]]], str | None]
] = [
    # (node, language, selection, now, rows of (label, value), picker)
    (
        "likert",
        Lang.EN,
        (),
        None,
        [
            [("Very bad", "1")],
            [("Bad", "2")],
            [("Fair", "3")],
            [("Good", "4")],
            [("Very good", "5")],
            [("Skip", "skip")],
        ],
        None,
    ),
    (
        "recommend",
        Lang.FR,
        (),
        NOW,
        [[(str(n), str(n)) for n in range(6)], [(str(n), str(n)) for n in range(6, 11)]],
        None,
    ),
    ("housing", Lang.EN, (), None, [[("Yes", "yes"), ("No", "no")], [("Skip", "skip")]], None),
    ("housing", Lang.FR, (), None, [[("Oui", "yes"), ("Non", "no")], [("Passer", "skip")]], None),
    ("housing", Lang.AR, (), None, [[("نعم", "yes"), ("لا", "no")], [("تخطي", "skip")]], None),
    (
        "needs",
        Lang.FR,
        ("papers", "housing", "gone"),  # the order of a selection does not matter; unknown ids are ignored
        None,
        [
            [("☑ Logement", "housing")],
            [("☐ Langue", "language")],
            [("☑ Papiers", "papers")],
            [("Terminé", "done"), ("Passer", "skip")],
        ],
        None,
    ),
    (
        "needs_required",
        Lang.AR,
        (),
        None,
        [[("☐ السكن", "housing")], [("☐ اللغة", "language")], [("☐ الأوراق", "papers")], [("تم", "done")]],
        None,
    ),
    ("arrival", Lang.EN, (), None, [], None),  # no clock, no picker: the date is typed, as before
    (
        "arrival",
        Lang.EN,
        (),
        NOW,
        [
            [("August 2025", "2025-08"), ("September 2025", "2025-09"), ("October 2025", "2025-10")],
            [("November 2025", "2025-11"), ("December 2025", "2025-12"), ("January 2026", "2026-01")],
            [("Earlier months", "p1")],
        ],
        "month",
    ),
    (
        "arrival",
        Lang.AR,
        ("p1",),
        NOW,
        [
            [("شباط 2025", "2025-02"), ("آذار 2025", "2025-03"), ("نيسان 2025", "2025-04")],
            [("أيار 2025", "2025-05"), ("حزيران 2025", "2025-06"), ("تموز 2025", "2025-07")],
            [("الأشهر السابقة", "p2"), ("الأشهر التالية", "p0")],
        ],
        "month",
    ),
    (
        "arrival",
        Lang.FR,
        ("p19",),  # the last page: ten years back
        NOW,
        [
            [("février 2016", "2016-02"), ("mars 2016", "2016-03"), ("avril 2016", "2016-04")],
            [("mai 2016", "2016-05"), ("juin 2016", "2016-06"), ("juillet 2016", "2016-07")],
            [("Mois suivants", "p18")],
        ],
        "month",
    ),
    (
        "arrival",
        Lang.EN,
        ("2025-11",),
        NOW,
        [
            [(str(d), f"2025-11-{d:02d}") for d in range(1, 9)],
            [(str(d), f"2025-11-{d:02d}") for d in range(9, 17)],
            [(str(d), f"2025-11-{d:02d}") for d in range(17, 25)],
            [(str(d), f"2025-11-{d:02d}") for d in range(25, 31)],
            [("Another month", "p0")],
        ],
        "day",
    ),
    (
        "arrival",
        Lang.FR,
        ("2026-01",),  # this month, in the past: up to today
        NOW,
        [[(str(d), f"2026-01-{d:02d}") for d in range(1, 6)], [("Autre mois", "p0")]],
        "day",
    ),
    (
        "arrival",
        Lang.EN,
        ("2028-02",),  # a leap year: 29 days, in rows as even as can be
        NOW,
        [
            [(str(d), f"2028-02-{d:02d}") for d in range(1, 9)],
            [(str(d), f"2028-02-{d:02d}") for d in range(9, 17)],
            [(str(d), f"2028-02-{d:02d}") for d in range(17, 25)],
            [(str(d), f"2028-02-{d:02d}") for d in range(25, 30)],
            [("Another month", "p0")],
        ],
        "day",
    ),
    (
        "arrival",
        Lang.EN,
        ("p99", "x"),  # a selection that does not fit: the first page
        datetime(2026, 3, 31, tzinfo=UTC),
        [
            [("October 2025", "2025-10"), ("November 2025", "2025-11"), ("December 2025", "2025-12")],
            [("January 2026", "2026-01"), ("February 2026", "2026-02"), ("March 2026", "2026-03")],
            [("Earlier months", "p1")],
        ],
        "month",
    ),
    (
        "start_month",
        Lang.FR,
        (),
        NOW,
        [
            [("janvier 2026", "2026-01"), ("février 2026", "2026-02"), ("mars 2026", "2026-03")],
            [("avril 2026", "2026-04"), ("mai 2026", "2026-05"), ("juin 2026", "2026-06")],
            [("Mois suivants", "p1")],
        ],
        "month",
    ),
    (
        "start_month",
        Lang.AR,
        ("p1",),
        NOW,
        [
            [("تموز 2026", "2026-07"), ("آب 2026", "2026-08"), ("أيلول 2026", "2026-09")],
            [
                ("تشرين الأول 2026", "2026-10"),
                ("تشرين الثاني 2026", "2026-11"),
                ("كانون الأول 2026", "2026-12"),
            ],
            [("الأشهر السابقة", "p0"), ("الأشهر التالية", "p2")],
        ],
        "month",
    ),
    (
        "start_month",
        Lang.EN,
        ("2026-03",),  # precision month: a month is the answer, there is no day step
        NOW,
        [
            [("January 2026", "2026-01"), ("February 2026", "2026-02"), ("March 2026", "2026-03")],
            [("April 2026", "2026-04"), ("May 2026", "2026-05"), ("June 2026", "2026-06")],
            [("Later months", "p1")],
        ],
        "month",
    ),
    ("why", Lang.FR, (), NOW, [[("Passer", "skip")]], None),
]


@pytest.mark.parametrize(
    ("node_id", "lang", "selection", "now", "expected", "picker"),
    SCREEN_CASES,
    ids=[f"{case[0]}-{case[1]}-{'+'.join(case[2]) or 'none'}" for case in SCREEN_CASES],
)
def test_a_survey_screen(
    node_id: str,
    lang: Lang,
    selection: tuple[str, ...],
    now: datetime | None,
    expected: list[list[tuple[str, str]]],
    picker: str | None,
) -> None:
    shown = screen(SURVEY, Position("form", node_id), lang, selection=selection, now=now)
    assert shown.rows == rows(node_id, expected)
    assert shown.choices == tuple(button for row in shown.rows for button in row)
    assert (shown.kind, shown.picker) == (SURVEY.node(node_id).ask.type.value, picker)  # type: ignore[union-attr]
    assert all(len(row) <= 8 for row in shown.rows)
    for label, data in shown.choices:
        button = StepButton.unpack(data)
        assert button is not None
        assert (button.dialog_id, button.node_id) == ("form", node_id)
        assert len(label) <= 32  # a 30-character label and its mark
        assert len(data.encode()) <= 64


def test_the_labels_can_be_given() -> None:
    labels = shipped_labels().model_copy(update={"yes": Texts(en="Yep", fr="Ouais", ar="إيه")})
    shown = screen(SURVEY, Position("form", "housing"), Lang.AR, labels=labels)
    assert shown.rows[0] == (("إيه", "m:form:housing:yes"), ("لا", "m:form:housing:no"))
    outcome = advance(SURVEY, Position("form", "housing"), Answer("Ouais"), Lang.FR, NOW, labels=labels)
    assert outcome.results == (ResultRecorded("form", "housing", "yes", "yes"),)


ANSWER_CASES: list[tuple[str, Lang, Answer, tuple[str, ...], str | Problem, str]] = [
    # (node, language, answer, selection, recorded value or problem, category)
    # A Likert scale: buttons, digits in any script, labels in the user's language.
    ("likert", Lang.EN, Answer("4", True), (), "4", ""),
    ("likert", Lang.EN, Answer("3"), (), "3", ""),
    ("likert", Lang.AR, Answer("٣"), (), "3", ""),
    ("likert", Lang.AR, Answer("۳"), (), "3", ""),
    ("likert", Lang.EN, Answer("very good"), (), "5", ""),
    ("likert", Lang.FR, Answer("Très mauvais"), (), "1", ""),
    ("likert", Lang.AR, Answer("جيد جدا"), (), "5", ""),  # without the tanween
    ("likert", Lang.EN, Answer("Très bon"), (), Problem.NOT_A_NUMBER, ""),  # not the user's language
    ("likert", Lang.EN, Answer("6"), (), Problem.OUT_OF_RANGE, ""),
    ("likert", Lang.EN, Answer("6", True), (), Problem.OUT_OF_RANGE, ""),
    # NPS: 0 to 10, with its category.
    ("recommend", Lang.EN, Answer("0", True), (), "0", "detractor"),
    ("recommend", Lang.EN, Answer("6", True), (), "6", "detractor"),
    ("recommend", Lang.FR, Answer("7"), (), "7", "passive"),
    ("recommend", Lang.AR, Answer("٨"), (), "8", "passive"),
    ("recommend", Lang.AR, Answer("۹"), (), "9", "promoter"),
    ("recommend", Lang.EN, Answer("10"), (), "10", "promoter"),
    ("recommend", Lang.EN, Answer("١٠"), (), "10", "promoter"),
    ("recommend", Lang.EN, Answer("11"), (), Problem.OUT_OF_RANGE, ""),
    ("recommend", Lang.EN, Answer("-1"), (), Problem.OUT_OF_RANGE, ""),
    ("recommend", Lang.EN, Answer("7.5"), (), Problem.NOT_A_NUMBER, ""),
    ("recommend", Lang.EN, Answer("ten"), (), Problem.NOT_A_NUMBER, ""),
    ("recommend", Lang.EN, Answer("skip", True), (), Problem.NOT_A_NUMBER, ""),  # not optional
    # Yes or no: buttons, and the words in the three languages, Levantine and Arabizi.
    ("housing", Lang.EN, Answer("yes", True), (), "yes", "yes"),
    ("housing", Lang.EN, Answer("no", True), (), "no", "no"),
    ("housing", Lang.EN, Answer("Yes"), (), "yes", "yes"),
    ("housing", Lang.EN, Answer("yeah!"), (), "yes", "yes"),
    ("housing", Lang.EN, Answer("NO."), (), "no", "no"),
    ("housing", Lang.FR, Answer("Oui"), (), "yes", "yes"),
    ("housing", Lang.FR, Answer("non"), (), "no", "no"),
    ("housing", Lang.AR, Answer("نعم"), (), "yes", "yes"),
    ("housing", Lang.AR, Answer("لا"), (), "no", "no"),
    ("housing", Lang.AR, Answer("لأ"), (), "no", "no"),
    ("housing", Lang.AR, Answer("اي"), (), "yes", "yes"),
    ("housing", Lang.AR, Answer("إي"), (), "yes", "yes"),
    ("housing", Lang.AR, Answer("ايه"), (), "yes", "yes"),
    ("housing", Lang.AR, Answer("إيه"), (), "yes", "yes"),
    ("housing", Lang.AR, Answer("أيوة"), (), "yes", "yes"),
    ("housing", Lang.AR, Answer("aywa"), (), "yes", "yes"),
    ("housing", Lang.AR, Answer("Aiwa"), (), "yes", "yes"),
    ("housing", Lang.AR, Answer("la2"), (), "no", "no"),
    ("housing", Lang.AR, Answer("la"), (), "no", "no"),
    ("housing", Lang.EN, Answer("oui"), (), "yes", "yes"),  # any of the three languages
    ("housing", Lang.FR, Answer("نعم"), (), "yes", "yes"),
    ("housing", Lang.EN, Answer("1"), (), "yes", "yes"),  # the first button
    ("housing", Lang.EN, Answer("2"), (), "no", "no"),
    ("housing", Lang.EN, Answer("3"), (), Problem.NOT_A_CHOICE, ""),
    ("housing", Lang.EN, Answer("maybe"), (), Problem.NOT_A_CHOICE, ""),
    ("housing", Lang.EN, Answer("yes and no"), (), Problem.NOT_A_CHOICE, ""),
    ("housing", Lang.EN, Answer("Yes", True), (), Problem.NOT_A_CHOICE, ""),  # buttons carry values
    ("housing", Lang.EN, Answer("", True), (), Problem.EMPTY, ""),
    # Multi: typed labels or numbers tick exactly those and finish, in the order of the choices.
    ("needs", Lang.EN, Answer("1, 3"), (), "housing,papers", "housing,papers"),
    ("needs", Lang.EN, Answer("3,1"), ("language",), "housing,papers", "housing,papers"),
    ("needs", Lang.EN, Answer("1 3"), (), "housing,papers", "housing,papers"),
    ("needs", Lang.EN, Answer("Papers, Housing"), (), "housing,papers", "housing,papers"),
    ("needs", Lang.EN, Answer("language"), (), "language", "language"),
    ("needs", Lang.FR, Answer("logement ; langue"), (), "housing,language", "housing,language"),
    ("needs", Lang.AR, Answer("السكن، الأوراق"), (), "housing,papers", "housing,papers"),
    ("needs", Lang.AR, Answer("١، ٢"), (), "housing,language", "housing,language"),
    ("needs", Lang.EN, Answer("Housing, Cooking"), (), Problem.NOT_A_CHOICE, ""),
    ("needs", Lang.EN, Answer("4"), (), Problem.NOT_A_CHOICE, ""),
    ("needs", Lang.EN, Answer(", ,"), (), Problem.NOT_A_CHOICE, ""),
    ("needs", Lang.EN, Answer("Done"), ("papers", "language"), "language,papers", "language,papers"),
    ("needs", Lang.FR, Answer("terminé"), ("housing",), "housing", "housing"),
    ("needs", Lang.EN, Answer("done", True), ("papers", "housing"), "housing,papers", "housing,papers"),
    ("needs", Lang.EN, Answer("done", True), ("gone", "papers"), "papers", "papers"),
    ("needs_required", Lang.EN, Answer("done", True), (), Problem.NOT_A_CHOICE, ""),
    ("needs_required", Lang.EN, Answer("done", True), ("gone",), Problem.NOT_A_CHOICE, ""),
    ("needs_required", Lang.EN, Answer("Done"), (), Problem.NOT_A_CHOICE, ""),
    ("needs_required", Lang.EN, Answer("skip", True), (), Problem.NOT_A_CHOICE, ""),
    # Dates: typed as before, a day button, or a day typed once its month is picked.
    ("arrival", Lang.EN, Answer("14/11/2025"), (), "2025-11-14", ""),
    ("arrival", Lang.EN, Answer("2025-11-14", True), (), "2025-11-14", ""),
    ("arrival", Lang.EN, Answer("2025-11-14", True), ("2024-02",), "2025-11-14", ""),
    ("arrival", Lang.EN, Answer("14"), ("2025-11",), "2025-11-14", ""),
    ("arrival", Lang.AR, Answer("١٤"), ("2025-11",), "2025-11-14", ""),
    ("arrival", Lang.EN, Answer("31"), ("2025-11",), Problem.NOT_A_DATE, ""),
    ("arrival", Lang.EN, Answer("14"), (), Problem.NOT_A_DATE, ""),
    ("arrival", Lang.EN, Answer("2025-11"), (), Problem.NOT_A_DATE, ""),  # typed: a whole date, as before
    ("arrival", Lang.EN, Answer("2025-13", True), (), Problem.NOT_A_DATE, ""),
    ("arrival", Lang.EN, Answer("2025-02-30", True), (), Problem.NOT_A_DATE, ""),
    # A month (precision: month): its button, or typed in any form and language.
    ("start_month", Lang.EN, Answer("2026-03", True), (), "2026-03", ""),
    ("start_month", Lang.EN, Answer("2026-03"), (), "2026-03", ""),
    ("start_month", Lang.EN, Answer("3/2026"), (), "2026-03", ""),
    ("start_month", Lang.EN, Answer("03.2026"), (), "2026-03", ""),
    ("start_month", Lang.EN, Answer("15/03/2026"), (), "2026-03", ""),
    ("start_month", Lang.EN, Answer("march 2026"), (), "2026-03", ""),
    ("start_month", Lang.FR, Answer("Mars 2026"), (), "2026-03", ""),
    ("start_month", Lang.FR, Answer("aout 2026"), (), "2026-08", ""),
    ("start_month", Lang.AR, Answer("آذار 2026"), (), "2026-03", ""),
    ("start_month", Lang.AR, Answer("تشرين الثاني ٢٠٢٦"), (), "2026-11", ""),
    ("start_month", Lang.EN, Answer("Smarch 2026"), (), Problem.NOT_A_DATE, ""),
    ("start_month", Lang.EN, Answer("13/2026"), (), Problem.NOT_A_DATE, ""),
    ("start_month", Lang.EN, Answer("March"), (), Problem.NOT_A_DATE, ""),
]


@pytest.mark.parametrize(
    ("node_id", "lang", "answer", "selection", "expected", "category"),
    ANSWER_CASES,
    ids=[f"{c[0]}-{c[1]}-{c[2].value}{'-button' if c[2].from_button else ''}" for c in ANSWER_CASES],
)
def test_a_survey_answer(
    node_id: str,
    lang: Lang,
    answer: Answer,
    selection: tuple[str, ...],
    expected: str | Problem,
    category: str,
) -> None:
    position = Position("form", node_id)
    outcome = advance(SURVEY, position, answer, lang, NOW, selection=selection)
    if isinstance(expected, Problem):
        assert outcome == Outcome(position=position, problem=expected, selection=selection)
        return
    assert outcome.problem is None
    assert outcome.position != position
    assert outcome.selection == ()
    assert outcome.results == (ResultRecorded("form", node_id, expected, category),)


def test_a_multi_toggles_its_choices_then_records_them_on_done() -> None:
    position = Position("form", "needs_required")
    selection: tuple[str, ...] = ()
    for press, ticked in [
        ("papers", ("papers",)),
        ("housing", ("housing", "papers")),  # kept in the order of the choices
        ("language", ("housing", "language", "papers")),
        ("housing", ("language", "papers")),  # pressed again: unticked
    ]:
        outcome = advance(SURVEY, position, Answer(press, True), Lang.EN, NOW, selection=selection)
        assert outcome == Outcome(position=position, selection=ticked)
        selection = outcome.selection
        shown = screen(SURVEY, position, Lang.EN, selection=selection)
        assert [label[:2] for label, _data in shown.choices[:3]] == [
            "☑ " if choice in ticked else "☐ " for choice in ("housing", "language", "papers")
        ]
    nothing = advance(SURVEY, position, Answer("cooking", True), Lang.EN, NOW, selection=selection)
    assert nothing == Outcome(position=position, problem=Problem.NOT_A_CHOICE, selection=selection)
    done = advance(SURVEY, position, Answer("done", True), Lang.EN, NOW, selection=selection)
    assert done.position == Position("form", "arrival")
    assert done.results == (ResultRecorded("form", "needs_required", "language,papers", "language,papers"),)
    assert done.selection == ()


def test_the_date_picker_pages_then_picks_a_month_then_a_day() -> None:
    position = Position("form", "arrival")

    def press(value: str, selection: tuple[str, ...]) -> Outcome:
        return advance(SURVEY, position, Answer(value, True), Lang.EN, NOW, selection=selection)

    earlier = press("p1", ())
    assert earlier == Outcome(position=position, selection=("p1",))
    assert screen(SURVEY, position, Lang.EN, selection=earlier.selection, now=NOW).choices[0] == (
        "February 2025",
        "m:form:arrival:2025-02",
    )
    assert press("p0", ("p1",)) == Outcome(position=position, selection=())
    assert press("p42", ()) == Outcome(position=position, selection=("p19",))  # the last page
    month = press("2025-03", ("p1",))
    assert month == Outcome(position=position, selection=("2025-03",))
    days = screen(SURVEY, position, Lang.EN, selection=month.selection, now=NOW)
    assert (days.picker, days.choices[13]) == ("day", ("14", "m:form:arrival:2025-03-14"))
    assert days.choices[-1] == ("Another month", "m:form:arrival:p0")
    assert press("p0", month.selection) == Outcome(position=position, selection=())
    day = press("2025-03-14", month.selection)
    assert day.position == Position("form", "start_month")
    assert day.results == (ResultRecorded("form", "arrival", "2025-03-14", ""),)
    assert day.selection == ()


def test_a_month_precision_date_is_answered_by_its_month_button() -> None:
    position = Position("form", "start_month")
    later = advance(SURVEY, position, Answer("p1", True), Lang.FR, NOW)
    assert later == Outcome(position=position, selection=("p1",))
    picked = advance(SURVEY, position, Answer("2026-09", True), Lang.FR, NOW, selection=later.selection)
    assert picked.results == (ResultRecorded("form", "start_month", "2026-09", ""),)
    assert picked.position == Position("form", "contract")


@pytest.mark.parametrize(
    ("node_id", "answer", "lang", "selection"),
    [
        ("likert", Answer("skip", True), Lang.EN, ()),
        ("likert", Answer("Skip"), Lang.EN, ()),
        ("housing", Answer("skip", True), Lang.AR, ()),
        ("housing", Answer("تخطّي"), Lang.AR, ()),
        ("needs", Answer("skip", True), Lang.FR, ("housing",)),
        ("needs", Answer("passer"), Lang.FR, ()),
        ("needs", Answer("done", True), Lang.EN, ()),  # done with nothing ticked, on an optional multi
        ("why", Answer("skip", True), Lang.EN, ()),
        ("why", Answer("Passer"), Lang.FR, ()),
    ],
)
def test_a_skip_records_an_empty_value_and_follows_next(
    node_id: str, answer: Answer, lang: Lang, selection: tuple[str, ...]
) -> None:
    node = SURVEY.node(node_id)
    outcome = advance(SURVEY, Position("form", node_id), answer, lang, NOW, selection=selection)
    assert outcome.problem is None
    assert outcome.results[0] == ResultRecorded("form", node_id, "", "skipped")
    assert outcome.position == (None if node.next is None else Position("form", node.next))
    assert (outcome.alert, outcome.correct, outcome.feedback, outcome.selection) == (False, None, None, ())


def test_typing_skip_on_a_required_text_is_an_answer() -> None:
    check_answer(FORM, "city", Answer("Skip"), Lang.EN, "Skip")
    check_answer(FORM, "city", Answer("skip", True), Lang.EN, "skip")  # as before: any text


@pytest.mark.parametrize(
    ("node_id", "answer", "goes_to", "alert"),
    [
        ("likert", "1", "why", False),  # at_most: 2
        ("likert", "2", "why", False),
        ("likert", "3", "recommend", False),  # no branch matches: the node's next
        ("recommend", "10", "arrival", False),  # at_least: 9 comes first
        ("recommend", "9", "arrival", False),
        ("recommend", "8", "housing", False),  # at_least: 7
        ("recommend", "7", "housing", False),
        ("recommend", "6", "housing", True),  # next; alert at_most: 6
        ("recommend", "0", "housing", True),
        ("housing", "no", "needs", True),  # answer: no, alert answer: no
        ("housing", "yes", "arrival", False),
        ("contract", "signed", "closing", False),  # the choice's own next
        ("contract", "waiting", "why", False),
        ("contract", "refused", "closing", True),  # the branch before the choice's next
    ],
)
def test_branches_decide_the_next_step_and_alerts_flag_answers(
    node_id: str, answer: str, goes_to: str, alert: bool
) -> None:
    outcome = advance(SURVEY, Position("form", node_id), Answer(answer, True), Lang.EN, NOW)
    assert outcome.problem is None
    assert outcome.position == Position("form", goes_to)
    assert outcome.alert is alert


def test_branch_targets_count_in_the_steps() -> None:
    assert SURVEY.step_of("why") == 10  # on the longest route, through contract
    assert SURVEY.total_steps == 11
    assert [target for target, _via in SURVEY.node("recommend").exits()] == ["arrival", "housing", "housing"]


def test_an_alert_on_the_last_question_comes_with_completion() -> None:
    dialog = survey(ask_node("happy", {"type": "yes_no", "alert": {"answer": "no"}}))
    last = Dialog.model_validate(
        {
            **dialog.model_dump(by_alias=True, exclude={"nodes", "start"}),
            "start": "happy",
            "nodes": [{**dialog.node("happy").model_dump(exclude_none=True), "next": None}],
        }
    )
    outcome = advance(last, begin(last), Answer("la"), Lang.AR, NOW)
    assert outcome.position is None
    assert outcome.alert is True
    assert [r.key for r in outcome.results] == ["happy", "completed"]


# Modules behave as before: no new buttons, nothing selected, no alerts.


@pytest.mark.parametrize("dialog", LIBRARY.modules(), ids=lambda d: d.id)
def test_modules_show_the_same_screens_with_the_new_parameters(dialog: Dialog) -> None:
    for node in dialog.nodes:
        position = Position(dialog.id, node.id)
        for lang in Lang:
            before = screen(dialog, position, lang)
            assert screen(dialog, position, lang, selection=(), now=NOW, labels=shipped_labels()) == before
            assert before.rows == tuple((button,) for button in before.choices)
            assert before.picker is None


def test_a_module_run_has_no_selection_and_no_alert() -> None:
    dialog = module(LIVING)
    position: Position | None = begin(dialog)
    for _at, answer, _to, _results, _correct in RUN:
        assert position is not None
        outcome = advance(dialog, position, answer, Lang.EN, NOW)
        assert (outcome.selection, outcome.alert) == ((), False)
        position = outcome.position
    assert position is None


# advance() never raises, whatever is typed or pressed, whatever selection is stored.

EVERY_QUESTION = [(SURVEY, node_id) for node_id in SURVEY_NODES] + [(FORM, node.id) for node in FORM.nodes]


@given(
    question=st.sampled_from(EVERY_QUESTION),
    text=st.text(max_size=40)
    | st.sampled_from(["done", "skip", "yes", "no", "p1", "p19", "p99", "2026-02", "2026-02-30", "0000-00"]),
    from_button=st.booleans(),
    lang=st.sampled_from(list(Lang)),
    selection=st.lists(
        st.text(max_size=12) | st.sampled_from(["housing", "papers", "2026-02", "9999-12", "0001-01", "p3"]),
        max_size=3,
    ).map(tuple),
)
@settings(max_examples=400, deadline=None)
def test_no_answer_makes_the_engine_fail(
    question: tuple[Dialog, str], text: str, from_button: bool, lang: Lang, selection: tuple[str, ...]
) -> None:
    dialog, node_id = question
    position = Position(dialog.id, node_id)
    outcome = advance(dialog, position, Answer(text, from_button), lang, NOW, {}, selection=selection)
    if outcome.problem is not None:
        assert (outcome.position, outcome.results) == (position, ())
    elif outcome.position == position:
        assert outcome.results == ()
    else:
        assert all(result.key for result in outcome.results)
    shown = screen(dialog, position, lang, selection=outcome.selection or selection, now=NOW)
    assert all(len(data.encode()) <= 64 for _label, data in shown.choices)


@given(
    now=st.datetimes(min_value=datetime(1, 7, 1), max_value=datetime(9999, 6, 30)),
    selection=st.lists(st.from_regex(r"p[0-9]{1,2}|[0-9]{4}-[0-9]{2}", fullmatch=True), max_size=1).map(
        tuple
    ),
    node_id=st.sampled_from(["arrival", "start_month"]),
)
@settings(max_examples=200, deadline=None)
def test_the_date_picker_shows_real_months_and_days_at_any_time(
    now: datetime, selection: tuple[str, ...], node_id: str
) -> None:
    shown = screen(SURVEY, Position("form", node_id), Lang.FR, selection=selection, now=now)
    assert shown.picker in ("month", "day")
    for label, data in shown.choices:
        button = StepButton.unpack(data)
        assert button is not None
        assert label
        outcome = advance(SURVEY, Position("form", node_id), Answer(button.value, True), Lang.FR, now)
        assert outcome.problem is None, (label, button.value)
