"""Checklists (a node's ``checklist:``, items shown by ``when`` on earlier answers), module
audiences, and the shipped employer obligations check: its checklist for every combination of
answers, its validation faults, and how the conversation opens and shows it."""

from __future__ import annotations

import itertools
import re
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bot.basics.buttons import read_in_place
from bot.basics.errors import ContentError
from bot.basics.lang import Lang
from bot.core.context import Context
from bot.core.dispatch import handle
from bot.core.features.modules import ModuleButton
from bot.core.inbound import Inbound, UserRef
from bot.core.state import ConversationState, Role
from dialogs.diagram import CHECKLIST_STYLE, mermaid
from dialogs.engine import Answer, Position, StepButton, advance, begin, screen
from dialogs.library import CONTENT_DIR, load_dialogs, parse_dialog
from dialogs.model import BULLET, ChecklistItem, Dialog, ModuleAudience
from tests.inputs import inbound

CHECK = "employer-obligations-check"
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def shipped() -> Dialog:
    dialog = load_dialogs(button_data_bytes=64).get(CHECK)
    assert dialog is not None
    return dialog


# The shipped check.


def test_the_check_is_an_employer_module_of_five_questions_and_a_checklist() -> None:
    dialog = shipped()
    assert (dialog.audience, dialog.kind.value, dialog.total_steps) == (ModuleAudience.EMPLOYER, "module", 7)
    assert [node.result for node in dialog.nodes if node.ask is not None] == [
        "country",
        "housing",
        "training",
        "family",
        "permit_before",
    ]
    last = dialog.path()[-1]
    assert last.checklist is not None
    assert last.ask is None
    assert dialog.path() == dialog.nodes


def test_the_check_invents_no_address_phone_fee_or_date() -> None:
    dialog = shipped()
    texts = [dialog.title, *(t for node in dialog.nodes for _place, t in node.texts())]
    for texts_of in texts:
        for lang, text in texts_of.items():
            assert not re.search(r"@|https?://|www\.|\+\d|€|EUR|\d{4}|\d+[.,]\d+", text), (lang, text)
            assert set(re.findall(r"\d+", text)) <= {"3", "4"}, (lang, text)  # "3 months", "DT4E"


def test_where_the_seed_is_silent_the_check_points_to_the_team() -> None:
    """France, Slovakia and the fee of tailored support: said to be silent, with {contact}."""
    checklist = shipped().path()[-1].checklist or ()
    silent = [item for item in checklist if "{contact}" in item.say.en]
    assert [item.when for item in silent] == [{"country": ("france",)}, {"country": ("slovakia",)}, None]
    for item in silent:
        for lang, text in item.say.items():
            assert text.count("{contact}") == 1, (lang, text)


COUNTRIES = ("belgium", "france", "slovakia")
HOUSING = ("offered", "undecided", "not_offered")
TRAINING = ("language", "technical", "both", "neither")
FAMILY = ("with_family", "without_family", "unknown")
PERMIT = ("yes", "no")


def expected_lines(country: str, housing: str, training: str, family: str, permit: str) -> list[str]:
    """The starts of the English lines the checklist must show, in order."""
    lines = []
    if country != "belgium":
        lines.append(
            "The DT4E FAQ I follow is written for employers in Belgium and says nothing specific to "
            + country.title()
        )
    lines.append(
        "Fixed costs: the visa" if country == "belgium" else "Fixed costs, as the FAQ lists them for Belgium"
    )
    lines.append(
        "Temporary housing (an optional cost): " + ("you offer it" if housing == "offered" else "if possible")
    )
    if training in ("language", "both"):
        lines.append("Language training")
    if training in ("technical", "both"):
        lines.append("Additional (technical) training")
    if family != "without_family":
        lines.append("Family members' travel")
    if permit == "no":
        lines.append("The single permit combines")
    lines += ["Single permit application", "Commitment", "Monitoring surveys", "Tailored support"]
    return lines


@pytest.mark.parametrize(
    "answers", list(itertools.product(COUNTRIES, HOUSING, TRAINING, FAMILY, PERMIT)), ids="-".join
)
def test_the_checklist_shows_exactly_what_applies(answers: tuple[str, str, str, str, str]) -> None:
    """Every combination of answers, run through the engine as a user would answer."""
    dialog = shipped()
    position: Position | None = begin(dialog)
    categories: dict[str, str] = {}
    pending = list(answers)
    while position is not None and dialog.node(position.node_id).checklist is None:
        node = dialog.node(position.node_id)
        value = pending.pop(0) if node.ask is not None else "next"
        outcome = advance(dialog, position, Answer(value, from_button=True), Lang.EN, NOW, categories)
        assert outcome.problem is None
        categories |= {r.key: r.category for r in outcome.results}
        position = outcome.position
    assert position is not None
    assert not pending
    shown = screen(dialog, position, Lang.EN, answers=categories)
    heading, _blank, *lines = shown.text.split("\n")
    assert (heading, _blank) == ("Your checklist, from your answers:", "")
    assert all(line.startswith(BULLET) for line in lines)
    wanted = expected_lines(*answers)
    assert len(lines) == len(wanted)
    for line, start in zip(lines, wanted, strict=True):
        assert line.removeprefix(BULLET).startswith(start), (line, start)
    for lang in (Lang.FR, Lang.AR):  # the same items in every language
        assert len(screen(dialog, position, lang, answers=categories).text.split("\n")) == len(lines) + 2


def test_without_answers_the_checklist_shows_only_what_always_applies() -> None:
    dialog = shipped()
    last = Position(CHECK, dialog.path()[-1].id)
    lines = screen(dialog, last, Lang.FR).text.split("\n")[2:]
    assert [line.split("\u202f:")[0] for line in lines] == [
        BULLET + "Demande de permis unique",
        BULLET + "Engagement",
        BULLET + "Enquêtes de suivi",
        BULLET + "Accompagnement sur mesure",
    ]


# The checklist as a feature of the format.


def item(when: Any = None) -> ChecklistItem:
    data: dict[str, Any] = {"say": {"en": "a", "fr": "a", "ar": "a"}}
    if when is not None:
        data["when"] = when
    return ChecklistItem.model_validate(data)


def test_when_reads_yaml_as_an_editor_means_it() -> None:
    parsed = yaml.safe_load("{permit: no, country: belgium, housing: [yes, undecided]}")
    assert item(parsed).when == {"permit": ("no",), "country": ("belgium",), "housing": ("yes", "undecided")}


@pytest.mark.parametrize(
    ("when", "answers", "shown"),
    [
        (None, {}, True),
        ({"country": "belgium"}, {"country": "belgium"}, True),
        ({"country": "belgium"}, {"country": "france"}, False),
        ({"country": "belgium"}, {}, False),  # not asked on this route
        ({"country": ["france", "slovakia"]}, {"country": "slovakia"}, True),  # one of (OR)
        ({"country": "belgium", "permit": "no"}, {"country": "belgium", "permit": "yes"}, False),  # AND
        ({"country": "belgium", "permit": "no"}, {"country": "belgium", "permit": "no"}, True),
        ({"needs": "housing"}, {"needs": "language,housing"}, True),  # a multi: one ticked
        ({"needs": "housing"}, {"needs": "language"}, False),
        ({"needs": "housing"}, {"needs": "skipped"}, False),
    ],
)
def test_an_item_applies_when_every_key_has_one_of_its_answers(
    when: Any, answers: dict[str, str], shown: bool
) -> None:
    assert item(when).applies(answers) is shown


@given(st.dictionaries(st.text(max_size=8), st.text(max_size=12), max_size=4))
def test_any_answers_show_the_items_without_when_and_never_raise(answers: dict[str, str]) -> None:
    dialog = shipped()
    node = dialog.path()[-1]
    text = node.message(Lang.AR, answers)
    assert text.startswith(node.say.ar)
    assert text.count(BULLET) >= 4


MODULE = """\
schema: 1
id: sample
kind: module
order: 1
review: pending
title: {en: Sample, fr: Exemple, ar: مثال}
start: pick
nodes:
  - id: pick
    say: {en: "Which?", fr: "Lequel ?", ar: "أيّها؟"}
    source: "public: a test"
    ask:
      type: multi
      choices:
        - {id: housing, label: {en: Housing, fr: Logement, ar: السكن}}
        - {id: language, label: {en: Language, fr: Langue, ar: اللغة}}
    result: needs
    next: sure
  - id: sure
    say: {en: "Sure?", fr: "Sûr ?", ar: "متأكد؟"}
    source: "public: a test"
    ask: {type: yes_no}
    result: sure
    next: done
  - id: done
    say: {en: "Your list:", fr: "Votre liste :", ar: "قائمتكم:"}
    source: "public: a test"
    checklist:
      - when: {needs: housing, sure: yes}
        say: {en: Find housing., fr: Trouvez un logement., ar: ابحثوا عن سكن.}
      - say: {en: "Ask {contact}", fr: "Demandez : {contact}", ar: "اسألوا: {contact}"}
"""


def sample(change: str = "", new: str = "") -> Any:
    text = MODULE.replace(change, new) if change else MODULE
    assert text != MODULE or not change, change
    return yaml.safe_load(text)


def test_a_multi_and_a_yes_no_drive_a_checklist() -> None:
    dialog = parse_dialog(sample())
    done = Position("sample", "done")
    assert screen(dialog, done, Lang.EN, answers={"needs": "housing,language", "sure": "yes"}).text == (
        "Your list:\n\n• Find housing.\n• Ask {contact}"
    )
    assert screen(dialog, done, Lang.EN, answers={"needs": "language", "sure": "yes"}).text == (
        "Your list:\n\n• Ask {contact}"
    )


# (what to change in MODULE, into what, the entry, the fault)
BROKEN: list[tuple[str, str, str, str]] = [
    (
        "    next: done\n  - id: done",
        "    checklist:\n      - say: {en: a, fr: a, ar: a}\n    next: done\n  - id: done",
        "node 'sure'",
        "checklist is for a node without ask",
    ),
    (
        "when: {needs: housing, sure: yes}",
        "when: {needds: housing}",
        "node 'done'",
        "checklist #1.when.needds: no question has result 'needds'; results: needs, sure",
    ),
    (
        "when: {needs: housing, sure: yes}",
        "when: {needs: papers}",
        "node 'done'",
        "checklist #1.when.needs: 'papers' is not a possible answer; possible: housing, language",
    ),
    (
        "when: {needs: housing, sure: yes}",
        "when: {sure: maybe}",
        "node 'done'",
        "checklist #1.when.sure: 'maybe' is not a possible answer; possible: yes, no",
    ),
    (
        "ask: {type: yes_no}",
        "ask: {type: text}",
        "node 'done'",
        "checklist #1.when.sure: node 'sure' asks a text; when reads the answers of choice",
    ),
    (
        "when: {needs: housing, sure: yes}",
        "when: {}",
        "node 'done'",
        "checklist #1.when: empty: name a result key and its answers, or leave when out",
    ),
    (
        "when: {needs: housing, sure: yes}",
        "when: {needs: []}",
        "node 'done'",
        "checklist #1.when: needs: list the answers that show the item",
    ),
    (
        "say: {en: Find housing., fr:",
        "colour: red\n        say: {en: Find housing., fr:",
        "node 'done'",
        "checklist #1: unknown field 'colour'",
    ),
    (
        "{en: Find housing., fr:",
        '{en: "Find\\nhousing.", fr:',
        "node 'done'",
        "checklist #1.say: en: a checklist item is one line: remove the line break",
    ),
    (
        '"Ask {contact}"',
        '"Ask {email}"',
        "node 'done'",
        "checklist #2.say.en: unknown placeholder {email}; allowed: {contact}",
    ),
    (
        "kind: module",
        "kind: module\naudience: staff",
        "dialog",
        "audience: Input should be 'talent' or 'employer'",
    ),
]


@pytest.mark.parametrize(("change", "new", "entry", "fault"), BROKEN, ids=[case[3][:40] for case in BROKEN])
def test_a_broken_checklist_names_its_node_and_fault(change: str, new: str, entry: str, fault: str) -> None:
    with pytest.raises(ContentError) as caught:
        parse_dialog(sample(change, new), "dialogs/content/modules/sample.yaml")
    error = caught.value
    assert (error.file, error.entry) == ("dialogs/content/modules/sample.yaml", entry), str(error)
    assert error.fault.startswith(fault), str(error)


@pytest.mark.parametrize("items", [0, 17])
def test_a_checklist_has_1_to_16_items(items: int) -> None:
    data = sample()
    data["nodes"][2]["checklist"] = [{"say": {"en": "a", "fr": "a", "ar": "a"}}] * items
    with pytest.raises(ContentError) as caught:
        parse_dialog(data)
    assert (caught.value.entry, caught.value.fault) == (
        "node 'done'",
        f"checklist: a checklist has 1 to 16 items, not {items}",
    )


def test_a_checklist_before_its_question_is_refused() -> None:
    data = sample()
    pick, sure, done = data["nodes"]
    data["start"] = "done"
    data["nodes"] = [{**done, "next": "pick"}, pick, {k: v for k, v in sure.items() if k != "next"}]
    with pytest.raises(ContentError) as caught:
        parse_dialog(data)
    assert caught.value.entry == "node 'done'"
    assert caught.value.fault == (
        "checklist #1.when.needs: node 'pick' never comes before this node, so the item would never show:"
        " move the checklist after the question"
    )


def test_a_quiz_answer_cannot_drive_a_checklist() -> None:
    data = sample()
    data["nodes"][1]["ask"] = {
        "type": "choice",
        "choices": [
            {"id": "yes", "label": {"en": "Y", "fr": "O", "ar": "ن"}},
            {"id": "no", "label": {"en": "N", "fr": "N", "ar": "ل"}},
        ],
        "correct": "yes",
        "explanation": {"en": "e", "fr": "e", "ar": "e"},
    }
    with pytest.raises(ContentError, match=r"node 'sure' asks a quiz question; when reads"):
        parse_dialog(data)


def test_a_survey_shows_no_checklist_and_has_no_audience() -> None:
    survey = sample("kind: module", "kind: survey\nversion: 1")
    with pytest.raises(ContentError) as caught:
        parse_dialog(
            {
                **survey,
                "nodes": [
                    *survey["nodes"][:2],
                    {**survey["nodes"][2], "checklist": [{"say": {"en": "a", "fr": "a", "ar": "a"}}]},
                ],
            }
        )
    assert (caught.value.entry, caught.value.fault) == (
        "node 'done'",
        "checklist: only a module shows a checklist; a survey does not",
    )
    with pytest.raises(ContentError, match="audience: only a module has an audience"):
        parse_dialog({**survey, "audience": "employer"})


def test_an_order_is_unique_among_the_modules_of_one_audience(tmp_path: Path) -> None:
    content = tmp_path / "dialogs" / "content"
    shutil.copytree(CONTENT_DIR, content)
    (content / "modules" / "second-check.yaml").write_text(
        MODULE.replace("id: sample", "id: second-check").replace("order: 1", "audience: employer\norder: 2"),
        encoding="utf-8",
    )
    library = load_dialogs(content)  # order 2 is also a talent module's: another list
    assert [m.id for m in library.modules(ModuleAudience.EMPLOYER)] == [CHECK, "second-check"]
    (content / "modules" / "second-check.yaml").write_text(
        MODULE.replace("id: sample", "id: second-check").replace("order: 1", "audience: employer\norder: 1"),
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as caught:
        load_dialogs(content)
    assert caught.value.fault == (
        "order: 1 is also the order of dialogs/content/modules/employer-obligations-check.yaml"
        " (among the employer modules)"
    )


# In the conversation: opened by its button, listed for employers only, {contact} filled in.

USER = UserRef("test", "7")


def press(data: str, hint: str = "en") -> Inbound:
    return inbound(USER, NOW, press=data, hint=hint)


def typed(text: str, hint: str = "en") -> Inbound:
    return inbound(USER, NOW, text=text, hint=hint)


def module_buttons(state: ConversationState, context: Context) -> list[str]:
    """The data of the module list's buttons, each of which turns the list into the module."""
    [reply] = handle(state, typed("/modules"), context).replies
    read = [read_in_place(b.data) for row in reply.buttons for b in row]
    assert all(replacing for _, replacing in read)
    return [data for data, _ in read]


@pytest.mark.parametrize("role", [Role.TALENT, None])
def test_the_modules_list_of_a_talent_or_a_guest_leaves_the_check_out(
    role: Role | None, context: Context
) -> None:
    listed = module_buttons(ConversationState(language=Lang.EN, role=role), context)
    assert ModuleButton(CHECK).pack() not in listed
    assert len(listed) == 5


def test_the_modules_list_of_an_employer_shows_the_check_first(context: Context) -> None:
    listed = module_buttons(ConversationState(language=Lang.EN, role=Role.EMPLOYER), context)
    assert listed[0] == ModuleButton(CHECK).pack()
    assert len(listed) == 6


def test_the_button_opens_the_check_and_the_checklist_fills_in_the_contact(context: Context) -> None:
    context = replace(context, contact="dt4e@example.org")
    dialog = shipped()
    state = ConversationState(language=Lang.EN, role=Role.EMPLOYER)
    turn = handle(state, press(ModuleButton(CHECK).pack()), context)
    assert turn.state.active_module == CHECK
    assert "step 1 of 7" in turn.replies[0].text
    for node_id, value in [
        ("intro", "next"),
        ("country", "slovakia"),
        ("housing", "offered"),
        ("training", "neither"),
        ("family", "without_family"),
        ("permit_before", "yes"),
    ]:
        turn = handle(turn.state, press(StepButton(CHECK, node_id, value).pack()), context)
    [shown] = turn.replies
    assert "step 7 of 7" in shown.text
    assert (
        "says nothing specific to Slovakia: check each point below with the DT4E team: dt4e@example.org"
        in (shown.text)
    )
    assert "{contact}" not in shown.text
    assert "you offer it" in shown.text
    assert "Language training" not in shown.text
    assert "Family members" not in shown.text
    assert shown.text.count(BULLET) == 7
    # left and opened again from its button: the same checklist, from the stored answers
    away = handle(turn.state, typed("/menu"), context).state
    again = handle(away, press(ModuleButton(CHECK).pack()), context)
    assert again.replies[0].text == shown.text
    finished = handle(again.state, press(StepButton(CHECK, dialog.path()[-1].id, "next").pack()), context)
    assert finished.replies[0].text == "What next?"
    assert finished.state.modules[CHECK].completed


def test_the_diagram_draws_the_checklist_with_its_number_of_items() -> None:
    lines = mermaid(shipped(), Lang.EN).splitlines()
    assert '    your_checklist[["your_checklist: Your checklist, from your answers: ☑ 14"]]' in lines
    assert lines[-2:] == [f"    classDef checklist {CHECKLIST_STYLE}", "    class your_checklist checklist"]
    assert "    permit_before --> your_checklist" in lines
