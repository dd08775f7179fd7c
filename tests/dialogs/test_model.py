"""Dialogs as data (dialogs/model.py) and their loading (dialogs/library.py): the shipped modules,
labels and key registry load, and every broken fixture fails with a message naming its file, its
entry and its fault (one fixture per validation rule)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.basics.errors import ContentError
from bot.basics.lang import Lang
from bot.channels.telegram.render import BUTTON_DATA_BYTES
from dialogs.library import CONTENT_DIR, KEYS_FILE, DialogLibrary, KeyRegistry, load_dialogs, parse_dialog
from dialogs.model import (
    LABELS_FILE,
    AskType,
    Dialog,
    DialogKind,
    KeysFile,
    ModuleAudience,
    RegisteredKey,
    shipped_labels,
)

BROKEN = Path(__file__).parent / "broken"
FIXTURE_KEYS = Path(__file__).parent / "fixture-keys.yaml"


def test_the_shipped_modules_load() -> None:
    library = load_dialogs()
    modules = library.modules()
    assert [m.order for m in modules] == [1, 2, 3, 4, 5]
    assert [m.id for m in modules] == [
        "exploring-belgium",
        "living-in-belgium",
        "settling-in-belgium",
        "preparation-and-travel",
        "studying-and-working",
    ]
    for module in modules:
        assert module.kind is DialogKind.MODULE
        assert 6 <= len(module.nodes) <= 12, module.id
        assert 2 <= len(module.quiz_nodes) <= 4, module.id
        assert module.path() == module.nodes, f"{module.id}: linear, in file order"
        assert module.total_steps == len(module.nodes)
        for node in module.nodes:
            assert node.source, f"{module.id}/{node.id}"
            for place, texts in node.texts():
                for lang in Lang:
                    assert texts.get(lang).strip(), f"{module.id}/{node.id}/{place}/{lang}"
        assert library.files[module.id] == f"dialogs/content/modules/{module.id}.yaml"


def test_the_library_finds_dialogs_by_id() -> None:
    library = load_dialogs()
    assert len(library) == 8
    assert [s.id for s in library.surveys()] == ["talent-follow-up", "employer-follow-up"]
    assert "living-in-belgium" in library
    assert "nowhere" not in library
    assert library.get("nowhere") is None
    living = library.get("living-in-belgium")
    assert living is not None
    assert living.title.get(Lang.FR) == "Vivre en Belgique"
    everything = {m.id for m in library.modules(None)} | {s.id for s in library.surveys()}
    assert {d.id for d in library} == everything
    assert library.labels == shipped_labels()


def test_modules_are_listed_by_audience() -> None:
    library = load_dialogs()
    talents = [m.id for m in library.modules()]
    assert talents == [m.id for m in library.modules(ModuleAudience.TALENT)]
    assert [m.id for m in library.modules(ModuleAudience.EMPLOYER)] == ["employer-obligations-check"]
    assert [m.id for m in library.modules(None)] == [*talents, "employer-obligations-check"]
    assert all(m.audience is ModuleAudience.TALENT for m in library.modules())


def test_the_shipped_labels_are_in_every_language() -> None:
    labels = shipped_labels()
    assert (labels.yes.en, labels.yes.fr, labels.yes.ar) == ("Yes", "Oui", "نعم")
    assert (labels.no.en, labels.no.fr, labels.no.ar) == ("No", "Non", "لا")
    assert [labels.month(n).fr for n in range(1, 13)] == (
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split()
    )
    assert [labels.month(n).ar for n in range(1, 13)] == [  # the Levantine names, as in Jordan and Lebanon
        "كانون الثاني",
        "شباط",
        "آذار",
        "نيسان",
        "أيار",
        "حزيران",
        "تموز",
        "آب",
        "أيلول",
        "تشرين الأول",
        "تشرين الثاني",
        "كانون الأول",
    ]
    assert labels.month(12).en == "December"


def test_the_shipped_key_registry_lists_only_surveys_that_exist() -> None:
    library = load_dialogs()
    data = yaml.safe_load((CONTENT_DIR / KEYS_FILE).read_text(encoding="utf-8")) or {}
    registry = KeysFile.model_validate(data)
    assert set(registry.root) <= {survey.id for survey in library.surveys()} | set(registry.root)
    for survey in library.surveys():
        assert survey.version is not None
        for node in survey.nodes:
            if node.ask is not None and node.result is not None:
                assert registry.keys_of(survey.id)[node.result].type is node.ask.type


def test_modules_are_listed_by_order_not_by_file_name(tmp_path: Path) -> None:
    content = tmp_path / "dialogs" / "content"
    (content / "modules").mkdir(parents=True)
    for name, order in [("a-last", 9), ("b-first", 1)]:
        text = (BROKEN / "schema-version.yaml").read_text(encoding="utf-8")  # a module
        text = text.replace("schema: 2", "schema: 1").replace("id: schema-version", f"id: {name}")
        (content / "modules" / f"{name}.yaml").write_text(text.replace("order: 90", f"order: {order}"))
    library = load_dialogs(content)
    assert [m.id for m in library.modules()] == ["b-first", "a-last"]
    assert isinstance(library, DialogLibrary)


def test_an_empty_content_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="no dialog files"):
        load_dialogs(tmp_path)


# (fixture, where in dialogs/content it is loaded (None: tests/ and its own name), entry, a
# substring of the fault)
BROKEN_CASES: list[tuple[str, str | None, str, str]] = [
    ("yaml-syntax.yaml", None, "dialog", "line 12: mapping values are not allowed here"),
    ("duplicate-key.yaml", None, "dialog", "duplicate key 'say'"),
    (
        "empty-file.yaml",
        None,
        "dialog",
        "a dialog file holds one mapping (schema, id, kind ...), not nothing",
    ),
    ("unknown-field.yaml", None, "node 'intro'", "unknown field 'colour'"),
    ("missing-field.yaml", None, "node 'intro'", "missing field 'say'"),
    ("schema-version.yaml", None, "dialog", "schema: unsupported schema version 2"),
    ("unknown-kind.yaml", None, "dialog", "kind: Input should be 'module' or 'survey'"),
    ("no-nodes.yaml", None, "dialog", "nodes: Tuple should have at least 1 item"),
    ("id-not-file-name.yaml", None, "dialog", "id: 'another-name' must be the file name"),
    (
        "duplicate-dialog-id.yaml",
        "tests/exploring-belgium.yaml",
        "dialog",
        "duplicate id 'exploring-belgium'",
    ),
    ("duplicate-order.yaml", None, "dialog", "order: 1 is also the order of dialogs/content/modules/"),
    ("bad-node-id.yaml", None, "node 'Intro'", "id: 'Intro' is not lower-case words joined by '_'"),
    ("duplicate-node-id.yaml", None, "node 'intro'", "duplicate node id"),
    ("dangling-start.yaml", None, "dialog", "start: there is no node 'welcome'"),
    ("dangling-next.yaml", None, "node 'intro'", "next: there is no node 'middle'"),
    ("dangling-choice-next.yaml", None, "node 'quiz_colour'", "ask.choices.blue.next: there is no node"),
    ("unreachable-node.yaml", None, "node 'orphan'", "unreachable"),
    ("cycle.yaml", None, "node 'second'", "cycle intro -> second -> intro"),
    ("missing-translation.yaml", None, "node 'intro'", "say: missing fr translation"),
    ("empty-translation.yaml", None, "dialog", "title: missing ar translation"),
    ("missing-label-translation.yaml", None, "node 'quiz_colour'", "label: missing ar translation"),
    ("missing-explanation-translation.yaml", None, "node 'quiz_colour'", "explanation: missing fr"),
    ("unknown-placeholder.yaml", None, "node 'intro'", "say.en: unknown placeholder {name}"),
    ("quiz-correct-not-a-choice.yaml", None, "node 'quiz_colour'", "'red' is not one of the choices"),
    ("quiz-without-explanation.yaml", None, "node 'quiz_colour'", "needs an explanation"),
    ("explanation-without-correct.yaml", None, "node 'quiz_colour'", "explanation is only for a quiz"),
    ("ask-without-result.yaml", None, "node 'quiz_colour'", "needs a result key"),
    ("result-without-ask.yaml", None, "node 'intro'", "result is only for a node with ask"),
    ("duplicate-result.yaml", None, "node 'quiz_again'", "'quiz_colour' is also the result of node"),
    ("label-too-long.yaml", None, "node 'quiz_colour'", "ask.choices.blue.label: fr: 32 characters"),
    (
        "button-data-too-long.yaml",
        None,
        "node 'a_question_with_a_rather_long_identifier'",
        "is 68 bytes, at most 64",
    ),
    ("module-without-source.yaml", None, "node 'intro'", "missing field 'source'"),
    ("unknown-source.yaml", None, "node 'intro'", "source: must start with 'seed:' or 'public:'"),
    ("too-few-choices.yaml", None, "node 'quiz_colour'", "a choice needs 2 to 6 choices, not 1"),
    ("duplicate-choice-id.yaml", None, "node 'quiz_colour'", "duplicate choice id 'blue'"),
    ("unknown-ask-type.yaml", None, "node 'ask_city'", "ask.type: Input should be 'choice'"),
    (
        "choices-on-text.yaml",
        None,
        "node 'ask_city'",
        "choices are only for choice, multi and rating, not text",
    ),
    ("correct-on-number.yaml", None, "node 'ask_city'", "correct is only for type choice"),
    ("bounds-on-date.yaml", None, "node 'ask_city'", "min and max are only for number and rating"),
    ("min-above-max.yaml", None, "node 'rate_module'", "min 5 is above max 1"),
    ("rating-span.yaml", None, "node 'rate_module'", "a rating needs 2 to 10 values, not 21"),
    ("rating-labels.yaml", None, "node 'rate_module'", "needs 5 labels, not 2"),
    ("choice-next-on-rating.yaml", None, "node 'rate_module'", "per-choice next is only for type choice"),
    ("bad-link.yaml", None, "node 'intro'", "link: 'www.example.org' is not an http"),
    ("empty-image.yaml", None, "node 'intro'", "image: String should have at least 1 character"),
    # Surveys: versions and sources.
    ("survey-without-version.yaml", None, "dialog", "version: a survey needs its version (version: 1"),
    ("version-on-module.yaml", None, "dialog", "version: only a survey has a version"),
    ("version-zero.yaml", None, "dialog", "version: Input should be greater than or equal to 1"),
    (
        "survey-without-source.yaml",
        None,
        "node 'ask_job'",
        "missing field 'source': every node of a survey names its source",
    ),
    # The new question types.
    ("nps-with-bounds.yaml", None, "node 'ask_job'", "min and max are only for number and rating, not nps"),
    ("choices-on-yes-no.yaml", None, "node 'ask_job'", "choices are only for choice, multi and rating"),
    ("multi-too-many-choices.yaml", None, "node 'ask_job'", "a multi needs 2 to 8 choices, not 9"),
    ("multi-choice-named-done.yaml", None, "node 'ask_job'", "'done' is taken by the done button of a multi"),
    ("optional-choice-named-skip.yaml", None, "node 'ask_job'", "'skip' is taken by the skip button"),
    ("span-on-number.yaml", None, "node 'ask_job'", "span and precision are only for date, not number"),
    ("yaml-boolean-choice-id.yaml", None, "node 'ask_job'", "put the id in quotes"),
    # Branches and alerts.
    (
        "branch-two-conditions.yaml",
        None,
        "node 'ask_job'",
        "needs exactly one of at_most, at_least or answer (found at_most and answer)",
    ),
    (
        "branch-answer-not-possible.yaml",
        None,
        "node 'ask_job'",
        "branches (answer: maybe): 'maybe' is not a possible answer; possible: yes, no",
    ),
    (
        "branch-bound-outside-scale.yaml",
        None,
        "node 'ask_job'",
        "branches (at_most: 11): 11 is outside the scale 0 to 10",
    ),
    (
        "branch-bound-on-choice.yaml",
        None,
        "node 'ask_job'",
        "at_most and at_least are only for rating and nps; a choice uses answer",
    ),
    (
        "branch-answer-on-rating.yaml",
        None,
        "node 'ask_job'",
        "answer is only for choice and yes_no; a rating uses at_most or at_least",
    ),
    ("branches-on-text.yaml", None, "node 'ask_job'", "branches are only for rating, nps, choice and yes_no"),
    (
        "dangling-branch-next.yaml",
        None,
        "node 'ask_job'",
        "ask.branches (at_most: 2).next: there is no node 'why'",
    ),
    ("branch-cycle.yaml", None, "node 'ask_job'", "cycle intro -> ask_job -> intro"),
    ("alert-on-multi.yaml", None, "node 'ask_job'", "an alert is only for rating, nps, choice and yes_no"),
    ("alert-answer-not-possible.yaml", None, "node 'ask_job'", "alert (answer: terrible): 'terrible' is not"),
    (
        "alert-bound-outside-scale.yaml",
        None,
        "node 'ask_job'",
        "alert (at_most: 0): 0 is outside the scale 1 to 5",
    ),
    # Button data of date pickers and multi questions.
    (
        "date-button-data-too-long.yaml",
        None,
        "node 'when_did_you_arrive_in_belgium'",
        "button data 'm:date-button-data-too-long:when_did_you_arrive_in_belgium:2026-12-31' is 69 bytes",
    ),
    (
        "multi-button-data-too-long.yaml",
        None,
        "node 'what_help_do_you_need_right_now'",
        "button data 'm:multi-button-data-too-long:what_help_do_you_need_right_now:done' is 65 bytes",
    ),
    # The key registry (tests/dialogs/fixture-keys.yaml beside the shipped one).
    (
        "survey-key-new.yaml",
        None,
        "node 'ask_job'",
        "result: key 'ask_job' is new: add `ask_job: {type: rating, since: 1}` under survey-key-new"
        " in dialogs/content/surveys/keys.yaml",
    ),
    (
        "survey-key-type-changed.yaml",
        None,
        "node 'ask_job'",
        "key 'ask_job' was a rating in version 1; a question of another type needs a new key",
    ),
    (
        "survey-key-since-above-version.yaml",
        None,
        "node 'ask_job'",
        "key 'ask_job' is in dialogs/content/surveys/keys.yaml since version 3, after this survey's"
        " version 2",
    ),
    (
        "survey-retired-key-since-above-version.yaml",
        None,
        "dialog",
        "has key 'old_question' since version 4, after this survey's version 2",
    ),
    ("keys-unknown-field.yaml", KEYS_FILE, "survey 'talent-follow-up'", "unknown field 'note'"),
    ("keys-bad-type.yaml", KEYS_FILE, "survey 'talent-follow-up'", "type: Input should be 'choice'"),
    ("keys-not-a-mapping.yaml", KEYS_FILE, "", "a key registry holds one mapping of survey ids, not a list"),
    # The standard labels.
    ("labels-missing-translation.yaml", LABELS_FILE, "labels", "skip: missing ar translation"),
    ("labels-too-long.yaml", LABELS_FILE, "labels", "done: fr: 31 characters, at most 30 fit a button"),
    ("labels-eleven-months.yaml", LABELS_FILE, "labels", "months: Tuple should have at least 12 items"),
]


@pytest.mark.parametrize(
    ("fixture", "load_as", "entry", "fault"), BROKEN_CASES, ids=[case[0] for case in BROKEN_CASES]
)
def test_a_broken_file_names_file_entry_and_fault(
    tmp_path: Path, fixture: str, load_as: str | None, entry: str, fault: str
) -> None:
    """Each fixture is loaded beside the shipped content, in a folder read after the shipped
    dialogs (or in place of the labels or the key registry), with the fixtures' survey keys added
    to the shipped registry."""
    content = tmp_path / "dialogs" / "content"
    shutil.copytree(CONTENT_DIR, content)
    write_registry(content / KEYS_FILE, FIXTURE_KEYS)
    target = content / (load_as or f"tests/{fixture}")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(BROKEN / fixture, target)
    with pytest.raises(ContentError) as caught:
        load_dialogs(content, button_data_bytes=BUTTON_DATA_BYTES)
    error = caught.value
    assert error.file == f"dialogs/content/{load_as or f'tests/{fixture}'}"
    assert error.entry == entry
    assert fault in error.fault, str(error)
    assert str(error).startswith(f"{error.file}: {entry}: " if entry else f"{error.file}: ")


def write_registry(path: Path, *more: Path) -> None:
    """The registry at ``path`` with the entries of the ``more`` files added."""
    merged: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for extra in more:
        merged.update(yaml.safe_load(extra.read_text(encoding="utf-8")) or {})
    path.write_text(yaml.safe_dump(merged, allow_unicode=True), encoding="utf-8")


def test_every_broken_fixture_is_tested() -> None:
    assert {case[0] for case in BROKEN_CASES} == {p.name for p in BROKEN.glob("*.yaml")}


def test_every_survey_fixture_in_the_fixture_registry_exists() -> None:
    registered = yaml.safe_load(FIXTURE_KEYS.read_text(encoding="utf-8"))
    assert {f"{survey_id}.yaml" for survey_id in registered} <= {case[0] for case in BROKEN_CASES}


SOURCE = "public: a test"


def small(**changes: Any) -> dict[str, Any]:
    """A valid two-node survey as data, with top-level fields changed."""
    data: dict[str, Any] = {
        "schema": 1,
        "id": "small",
        "kind": "survey",
        "version": 1,
        "order": 1,
        "review": "approved",
        "title": {"en": "Small", "fr": "Petit", "ar": "صغير"},
        "start": "intro",
        "nodes": [
            {
                "id": "intro",
                "say": {"en": "Hi", "fr": "Salut", "ar": "أهلا"},
                "source": SOURCE,
                "next": "city",
            },
            {
                "id": "city",
                "say": {"en": "City?", "fr": "Ville ?", "ar": "المدينة؟"},
                "source": SOURCE,
                "ask": {"type": "text"},
                "result": "city",
            },
        ],
    }
    data.update(changes)
    return data


def unsourced(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "nodes": [{k: v for k, v in node.items() if k != "source"} for node in data["nodes"]]}


def test_a_survey_has_a_version_and_a_module_none() -> None:
    assert parse_dialog(small()).version == 1
    module = {k: v for k, v in small(kind="module").items() if k != "version"}
    assert parse_dialog(module).version is None


@pytest.mark.parametrize("kind", ["module", "survey"])
def test_every_node_names_its_source(kind: str) -> None:
    data = unsourced(small(kind=kind))
    if kind == "module":
        del data["version"]
    with pytest.raises(ContentError, match=f"every node of a {kind} names its source") as caught:
        parse_dialog(data, "inline.yaml")
    assert (caught.value.file, caught.value.entry) == ("inline.yaml", "node 'intro'")


def test_allowed_placeholders_pass_and_others_fail() -> None:
    data = small(title={"en": "Hi {name}", "fr": "Salut {name}", "ar": "أهلا {name}"})
    assert parse_dialog(data, placeholders=frozenset({"name"})).title.en == "Hi {name}"
    with pytest.raises(
        ContentError, match=r"title.en: unknown placeholder \{name\}; allowed: none \(a survey fills none\)"
    ):
        parse_dialog(data)


def test_a_module_may_say_contact_and_a_survey_may_not() -> None:
    says = {"en": "Ask {contact}", "fr": "Demandez : {contact}", "ar": "اسألوا: {contact}"}
    data = small()
    data["nodes"][0] = {**data["nodes"][0], "say": says}
    module = {k: v for k, v in {**data, "kind": "module"}.items() if k != "version"}
    assert parse_dialog(module).nodes[0].say.en == "Ask {contact}"
    with pytest.raises(ContentError) as caught:
        parse_dialog(data, "survey.yaml")
    assert (caught.value.entry, caught.value.fault) == (
        "node 'intro'",
        "say.en: unknown placeholder {contact}; allowed: none (a survey fills none)",
    )
    with pytest.raises(ContentError, match=r"unknown placeholder \{name\}; allowed: \{contact\}$"):
        parse_dialog({**module, "title": {"en": "{name}", "fr": "{name}", "ar": "{name}"}})


def test_every_cycle_is_refused_even_through_a_choice() -> None:
    nodes = small()["nodes"]
    nodes[1] = {
        **nodes[1],
        "ask": {
            "type": "choice",
            "choices": [
                {"id": "again", "label": {"en": "Again", "fr": "Encore", "ar": "مرة أخرى"}, "next": "intro"},
                {"id": "done", "label": {"en": "Done", "fr": "Fini", "ar": "انتهى"}},
            ],
        },
    }
    with pytest.raises(ContentError, match="cycle intro -> city -> intro") as caught:
        parse_dialog(small(nodes=nodes))
    assert caught.value.entry == "node 'city'"


BRANCHING = small(
    nodes=[
        {"id": "intro", "say": {"en": "a", "fr": "a", "ar": "a"}, "next": "pick"},
        {
            "id": "pick",
            "say": {"en": "b", "fr": "b", "ar": "b"},
            "ask": {
                "type": "choice",
                "choices": [
                    {"id": "long", "label": {"en": "L", "fr": "L", "ar": "L"}, "next": "detour"},
                    {"id": "short", "label": {"en": "S", "fr": "S", "ar": "S"}},
                ],
            },
            "result": "pick",
            "next": "closing",
        },
        {"id": "detour", "say": {"en": "c", "fr": "c", "ar": "c"}, "next": "closing"},
        {"id": "closing", "say": {"en": "d", "fr": "d", "ar": "d"}},
    ]
)


def test_steps_follow_the_longest_route() -> None:
    dialog = Dialog.model_validate(BRANCHING)
    assert [node.id for node in dialog.path()] == ["intro", "pick", "closing"]
    assert [dialog.step_of(node.id) for node in dialog.nodes] == [1, 2, 3, 4]
    assert dialog.total_steps == 4
    assert dialog.step_of("nowhere") == 1


def test_node_lookup() -> None:
    dialog = Dialog.model_validate(BRANCHING)
    assert dialog.node("detour").next == "closing"
    assert "detour" in dialog
    assert "nowhere" not in dialog
    with pytest.raises(KeyError, match="no node 'nowhere'"):
        dialog.node("nowhere")


def test_path_and_steps_survive_an_unchecked_cycle() -> None:
    """A dialog built with model_validate is not checked as a graph; the helpers still end."""
    data = small()
    data["nodes"][1] = {**data["nodes"][1], "next": "intro"}
    dialog = Dialog.model_validate(data)
    assert [node.id for node in dialog.path()] == ["intro", "city"]
    assert (dialog.step_of("city"), dialog.total_steps) == (2, 2)


def test_texts_are_stripped_and_every_language_is_required() -> None:
    dialog = parse_dialog(small(title={"en": " Small ", "fr": "Petit", "ar": "صغير"}))
    assert dialog.title.get(Lang.EN) == "Small"
    with pytest.raises(ContentError, match="title: missing en translation"):
        parse_dialog(small(title={"fr": "Petit", "ar": "صغير"}))


# Surveys: every question type, branches, and the key registry.

FOLLOW_UP = """\
schema: 1
id: follow-up
kind: survey
version: 2
order: 1
review: pending
title: {en: Follow-up, fr: Suivi, ar: متابعة}
start: job
nodes:
  - id: job
    say: {en: "How is your job?", fr: "Comment va votre travail ?", ar: "كيف عملك؟"}
    source: "public: a test"
    ask:
      type: rating
      choices:
        - {id: very_bad, label: {en: Very bad, fr: Très mauvais, ar: سيئ جداً}}
        - {id: bad, label: {en: Bad, fr: Mauvais, ar: سيئ}}
        - {id: fair, label: {en: Fair, fr: Moyen, ar: مقبول}}
        - {id: good, label: {en: Good, fr: Bon, ar: جيد}}
        - {id: very_good, label: {en: Very good, fr: Très bon, ar: جيد جداً}}
      branches:
        - {at_most: 2, next: why}
      alert: {at_most: 1}
    result: satisfaction_job
    next: recommend
  - id: why
    say: {en: "What went wrong?", fr: "Qu'est-ce qui n'allait pas ?", ar: "ما الذي لم يكن جيداً؟"}
    source: "public: a test"
    ask: {type: text, optional: true}
    result: why
    next: recommend
  - id: recommend
    say: {en: "Would you recommend it?", fr: "Le recommanderiez-vous ?", ar: "هل تنصح به؟"}
    source: "public: a test"
    ask: {type: nps}
    result: recommend
    next: housing
  - id: housing
    say: {en: "Have you found housing?", fr: "Avez-vous un logement ?", ar: "هل وجدت سكناً؟"}
    source: "public: a test"
    ask:
      type: yes_no
      branches:
        - {answer: no, next: needs}
      alert: {answer: no}
    result: housing_found
    next: arrival
  - id: needs
    say: {en: "What do you need?", fr: "De quoi avez-vous besoin ?", ar: "ماذا تحتاج؟"}
    source: "public: a test"
    ask:
      type: multi
      optional: true
      choices:
        - {id: housing, label: {en: Housing, fr: Logement, ar: السكن}}
        - {id: language, label: {en: Language, fr: Langue, ar: اللغة}}
    result: needs
    next: arrival
  - id: arrival
    say: {en: "When did you arrive?", fr: "Quand êtes-vous arrivé ?", ar: "متى وصلت؟"}
    source: "public: a test"
    ask: {type: date, span: past, precision: month}
    result: arrival_month
    next: closing
  - id: closing
    say: {en: "Thank you.", fr: "Merci.", ar: "شكراً."}
    source: "public: a test"
"""
FOLLOW_UP_KEYS = """\
follow-up:
  satisfaction_job: {type: rating, since: 1}
  why: {type: text, since: 1}
  recommend: {type: nps, since: 2}
  housing_found: {type: yes_no, since: 1}
  needs: {type: multi, since: 2}
  arrival_month: {type: date, since: 1}
  satisfaction_salary: {type: rating, since: 1}   # retired in version 2: fine
"""


def content_with(tmp_path: Path, survey: str, keys: str | None) -> Path:
    """The shipped modules and labels with this survey instead of the shipped ones (and, when
    given, this key registry)."""
    content = tmp_path / "dialogs" / "content"
    shutil.copytree(CONTENT_DIR, content, ignore=shutil.ignore_patterns("*-follow-up.yaml"))
    (content / "surveys" / "follow-up.yaml").write_text(survey, encoding="utf-8")
    if keys is None:
        (content / KEYS_FILE).unlink()
    else:
        (content / KEYS_FILE).write_text(keys, encoding="utf-8")
    return content


def test_a_survey_with_every_new_question_type_loads(tmp_path: Path) -> None:
    library = load_dialogs(content_with(tmp_path, FOLLOW_UP, FOLLOW_UP_KEYS), button_data_bytes=64)
    [survey] = library.surveys()
    assert (survey.id, survey.version, library.files[survey.id]) == (
        "follow-up",
        2,
        "dialogs/content/surveys/follow-up.yaml",
    )
    housing = survey.node("housing").ask
    assert housing is not None
    assert housing.type is AskType.YES_NO
    assert housing.branches[0].answer == "no"  # `answer: no` unquoted: YAML's false, read back as no
    assert housing.alert is not None
    assert housing.alert.answer == "no"
    assert [node.id for node in survey.path()] == ["job", "recommend", "housing", "arrival", "closing"]
    # why and needs are reached only through branches, and count on the longest route
    assert [survey.step_of(node.id) for node in survey.nodes] == [1, 2, 3, 4, 5, 6, 7]
    assert survey.total_steps == 7
    assert len(library.modules()) == 5


def test_a_missing_registry_is_an_empty_one(tmp_path: Path) -> None:
    with pytest.raises(ContentError) as caught:
        load_dialogs(content_with(tmp_path, FOLLOW_UP, None))
    assert str(caught.value) == (
        "dialogs/content/surveys/follow-up.yaml: node 'job': result: key 'satisfaction_job' is new:"
        " add `satisfaction_job: {type: rating, since: 2}` under follow-up in"
        " dialogs/content/surveys/keys.yaml"
    )


def test_a_registry_elsewhere_can_be_given(tmp_path: Path) -> None:
    keys = tmp_path / "keys.yaml"
    keys.write_text(FOLLOW_UP_KEYS, encoding="utf-8")
    content = content_with(tmp_path, FOLLOW_UP, "{}")
    assert load_dialogs(content, keys_file=keys).get("follow-up") is not None
    with pytest.raises(ContentError, match="key 'satisfaction_job' is new"):
        load_dialogs(content)


def test_the_registry_is_checked_only_when_given() -> None:
    data = small()
    assert parse_dialog(data).id == "small"
    registry = KeyRegistry(KeysFile({"small": {"city": RegisteredKey(type=AskType.TEXT, since=1)}}))
    assert parse_dialog(data, keys=registry).id == "small"
    with pytest.raises(ContentError, match=r"key 'city' is new: add `city: \{type: text, since: 1\}`"):
        parse_dialog(data, keys=KeyRegistry())
    module = {k: v for k, v in small(kind="module").items() if k != "version"}
    assert parse_dialog(module, keys=KeyRegistry()).kind is DialogKind.MODULE  # modules are not listed


def test_a_branch_target_must_exist_and_not_come_back() -> None:
    data = small()
    data["nodes"][1] = {
        **data["nodes"][1],
        "ask": {"type": "rating", "branches": [{"at_least": 4, "next": "intro"}]},
    }
    with pytest.raises(ContentError, match="cycle intro -> city -> intro"):
        parse_dialog(data)


def test_a_registry_of_comments_only_is_an_empty_registry(tmp_path: Path) -> None:
    content = content_with(tmp_path, FOLLOW_UP, "# nothing yet\n")
    with pytest.raises(ContentError) as caught:
        load_dialogs(content)
    assert (caught.value.file, caught.value.entry) == ("dialogs/content/surveys/follow-up.yaml", "node 'job'")
