"""Dialogs as data (dialogs/model.py) and their loading (dialogs/library.py): the shipped modules
load, and every broken fixture fails with a message naming its file, its entry and its fault
(one fixture per validation rule)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.basics.errors import ContentError
from bot.basics.lang import Lang
from bot.channels.telegram.render import BUTTON_DATA_BYTES
from dialogs.library import CONTENT_DIR, DialogLibrary, load_dialogs, parse_dialog
from dialogs.model import Dialog, DialogKind

BROKEN = Path(__file__).parent / "broken"


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
    assert len(library) == 5
    assert "living-in-belgium" in library
    assert "nowhere" not in library
    assert library.get("nowhere") is None
    living = library.get("living-in-belgium")
    assert living is not None
    assert living.title.get(Lang.FR) == "Vivre en Belgique"
    assert library.surveys() == ()
    assert {d.id for d in library} == {m.id for m in library.modules()}


def test_modules_are_listed_by_order_not_by_file_name(tmp_path: Path) -> None:
    content = tmp_path / "dialogs" / "content"
    (content / "modules").mkdir(parents=True)
    for name, order in [("a-last", 9), ("b-first", 1)]:
        text = (BROKEN / "schema-version.yaml").read_text(encoding="utf-8")
        text = text.replace("schema: 2", "schema: 1").replace("id: schema-version", f"id: {name}")
        (content / "modules" / f"{name}.yaml").write_text(text.replace("order: 90", f"order: {order}"))
    library = load_dialogs(content)
    assert [m.id for m in library.modules()] == ["b-first", "a-last"]
    assert isinstance(library, DialogLibrary)


def test_an_empty_content_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="no dialog files"):
        load_dialogs(tmp_path)


# (fixture, where it is loaded as (None: its own name), entry, a substring of the fault)
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
    ("duplicate-dialog-id.yaml", "exploring-belgium.yaml", "dialog", "duplicate id 'exploring-belgium'"),
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
    ("choices-on-text.yaml", None, "node 'ask_city'", "choices are only for choice and rating"),
    ("correct-on-number.yaml", None, "node 'ask_city'", "correct is only for type choice"),
    ("bounds-on-date.yaml", None, "node 'ask_city'", "min and max are only for number and rating"),
    ("min-above-max.yaml", None, "node 'rate_module'", "min 5 is above max 1"),
    ("rating-span.yaml", None, "node 'rate_module'", "a rating needs 2 to 10 values, not 21"),
    ("rating-labels.yaml", None, "node 'rate_module'", "needs 5 labels, not 2"),
    ("choice-next-on-rating.yaml", None, "node 'rate_module'", "per-choice next is only for type choice"),
    ("bad-link.yaml", None, "node 'intro'", "link: 'www.example.org' is not an http"),
    ("empty-image.yaml", None, "node 'intro'", "image: String should have at least 1 character"),
]


@pytest.mark.parametrize(
    ("fixture", "load_as", "entry", "fault"), BROKEN_CASES, ids=[case[0] for case in BROKEN_CASES]
)
def test_a_broken_file_names_file_entry_and_fault(
    tmp_path: Path, fixture: str, load_as: str | None, entry: str, fault: str
) -> None:
    """Each fixture is loaded beside the shipped modules, in a folder read after theirs."""
    content = tmp_path / "dialogs" / "content"
    shutil.copytree(CONTENT_DIR, content)
    (content / "tests").mkdir()
    shutil.copy(BROKEN / fixture, content / "tests" / (load_as or fixture))
    with pytest.raises(ContentError) as caught:
        load_dialogs(content, button_data_bytes=BUTTON_DATA_BYTES)
    error = caught.value
    assert error.file == f"dialogs/content/tests/{load_as or fixture}"
    assert error.entry == entry
    assert fault in error.fault, str(error)
    assert str(error).startswith(f"{error.file}: {entry}: ")


def test_every_broken_fixture_is_tested() -> None:
    assert {case[0] for case in BROKEN_CASES} == {p.name for p in BROKEN.glob("*.yaml")}


def small(**changes: Any) -> dict[str, Any]:
    """A valid two-node survey as data, with top-level fields changed."""
    data: dict[str, Any] = {
        "schema": 1,
        "id": "small",
        "kind": "survey",
        "order": 1,
        "review": "approved",
        "title": {"en": "Small", "fr": "Petit", "ar": "صغير"},
        "start": "intro",
        "nodes": [
            {"id": "intro", "say": {"en": "Hi", "fr": "Salut", "ar": "أهلا"}, "next": "city"},
            {
                "id": "city",
                "say": {"en": "City?", "fr": "Ville ?", "ar": "المدينة؟"},
                "ask": {"type": "text"},
                "result": "city",
            },
        ],
    }
    data.update(changes)
    return data


def test_a_survey_needs_no_sources() -> None:
    dialog = parse_dialog(small())
    assert dialog.kind is DialogKind.SURVEY
    assert all(node.source is None for node in dialog.nodes)


def test_a_module_needs_sources() -> None:
    with pytest.raises(ContentError, match="missing field 'source'") as caught:
        parse_dialog(small(kind="module"), "inline.yaml")
    assert (caught.value.file, caught.value.entry) == ("inline.yaml", "node 'intro'")


def test_allowed_placeholders_pass_and_others_fail() -> None:
    data = small(title={"en": "Hi {name}", "fr": "Salut {name}", "ar": "أهلا {name}"})
    assert parse_dialog(data, placeholders=frozenset({"name"})).title.en == "Hi {name}"
    with pytest.raises(ContentError, match=r"title.en: unknown placeholder \{name\}; allowed: none"):
        parse_dialog(data)


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
