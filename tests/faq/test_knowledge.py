"""The shipped knowledge base loads, covers the catalogue, and every broken fixture fails with
a message naming its file, its entry and its fault (one fixture per validation rule)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.basics.errors import ContentError
from bot.basics.lang import Lang
from dialogs.library import load_dialogs
from faq.knowledge import MAX_ANSWER_CHARS, load_knowledge

BROKEN = Path(__file__).parent / "broken"
CATALOG = Path(__file__).resolve().parents[3] / "shared" / "faq" / "catalog.yaml"


def test_the_shipped_knowledge_base_loads() -> None:
    knowledge = load_knowledge()
    assert len(knowledge) >= 32
    for entry in knowledge:
        for lang in Lang:
            assert 0 < len(entry.answer.get(lang)) <= MAX_ANSWER_CHARS
        assert knowledge.source_title(entry.id) != entry.source, f"{entry.id}: source has a title"
        titles = {knowledge.source_title(entry.id, lang) for lang in Lang}
        assert len(titles) == len(Lang), f"{entry.id}: the source title is translated"


@pytest.mark.skipif(not CATALOG.is_file(), reason="shared/faq/catalog.yaml is not beside the checkout")
def test_every_catalogue_id_is_answered() -> None:
    wanted = {item["id"]: item for item in yaml.safe_load(CATALOG.read_text(encoding="utf-8"))}
    knowledge = load_knowledge()
    assert set(wanted) <= set(knowledge.entries), sorted(set(wanted) - set(knowledge.entries))
    for faq_id, item in wanted.items():
        entry = knowledge.entries[faq_id]
        assert entry.source == item["source"], faq_id
        assert entry.audience.value == item["audience"], faq_id


@pytest.mark.parametrize("lang", list(Lang))
def test_the_pdo_answer_names_the_modules_as_the_module_list_does(lang: Lang) -> None:
    """A talent told about "Living in Belgium" must find a module of that name under /modules."""
    answer = load_knowledge().entries["pdo-modules"].answer.get(lang)
    titles = [dialog.title.get(lang) for dialog in load_dialogs().modules()]
    assert len(titles) == 5
    assert [t for t in titles if t not in answer] == []


def test_get_involved_never_invents_a_contact() -> None:
    entry = load_knowledge().entries["get-involved"]
    assert all("{contact}" in entry.answer.get(lang) for lang in Lang)


BROKEN_CASES = [
    ("unknown_field.yaml", "entry 'sample'", "unknown field 'colour'"),
    ("duplicate_key.yaml", "", "duplicate key 'review'"),
    ("missing_language.yaml", "entry 'sample'", "answer: missing ar translation"),
    ("empty_answer.yaml", "entry 'sample'", "answer: missing en translation"),
    ("unknown_placeholder.yaml", "entry 'sample'", "unknown placeholder {email}"),
    ("unknown_related.yaml", "entry 'sample'", "related: unknown id 'nowhere'"),
    ("self_related.yaml", "entry 'sample'", "cannot relate to itself"),
    ("bad_id.yaml", "entry 'Sample_Entry'", "id: String should match pattern"),
    ("too_long_answer.yaml", "entry 'sample'", "at most 1000 fit a phone screen"),
    ("duplicate_question.yaml", "entry 'sample'", "duplicate question 'One  question'"),
    ("too_few_questions.yaml", "entry 'sample'", "questions.en: List should have at least 3 items"),
    ("wrong_schema.yaml", "", "schema: Input should be 1"),
    ("not_yaml.yaml", "", "line"),
    ("duplicate_id.yaml", "entry 'sample'", "duplicate id"),
    ("places.yaml", "", "places.Belgium.[key]: String should match pattern"),
]


@pytest.mark.parametrize(("fixture", "entry", "fault"), BROKEN_CASES)
def test_a_broken_file_names_file_entry_and_fault(
    tmp_path: Path, fixture: str, entry: str, fault: str
) -> None:
    content = tmp_path / "faq" / "content"
    content.mkdir(parents=True)
    shutil.copy(BROKEN / fixture, content / fixture)
    with pytest.raises(ContentError) as caught:
        load_knowledge(content)
    error = caught.value
    assert error.file == f"faq/content/{fixture}"
    assert error.entry == entry
    assert fault in error.fault, str(error)
    assert str(error).startswith(f"faq/content/{fixture}: ")


def test_every_broken_fixture_is_tested() -> None:
    assert {case[0] for case in BROKEN_CASES} == {p.name for p in BROKEN.glob("*.yaml")}


def test_a_source_missing_from_the_sources_file_is_refused(tmp_path: Path) -> None:
    content = tmp_path / "faq" / "content"
    content.mkdir(parents=True)
    shutil.copy(BROKEN.parent / "broken" / "unknown_field.yaml", content / "x.yaml")
    (content / "x.yaml").write_text((content / "x.yaml").read_text().replace("    colour: blue\n", ""))
    sources = "schema: 1\nsources:\n  other.txt: {en: Another, fr: Un autre, ar: آخر}\n"
    (content / "sources.yaml").write_text(sources)
    with pytest.raises(ContentError, match=r"source: 'seed\.txt' is not listed in sources\.yaml"):
        load_knowledge(content)
