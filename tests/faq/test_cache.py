"""The matcher index kept on disk (faq.cache): read back when nothing changed, built again when
anything it is built from changed, and never in the way when the disk is not."""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from faq.cache import cache_dir, cached_index
from faq.knowledge import CONTENT_DIR, KnowledgeBase, load_knowledge
from faq.matcher import Matcher


class Builds:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, knowledge: KnowledgeBase) -> Matcher:
        self.count += 1
        return Matcher(knowledge)


@pytest.fixture
def content(tmp_path: Path) -> Path:
    copy = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, copy)
    return copy


def test_the_index_is_built_once_and_read_back_with_the_same_answers(content: Path, tmp_path: Path) -> None:
    folder, builds = tmp_path / "cache", Builds()
    known, first = cached_index(content, folder, builds)
    read_back, second = cached_index(content, folder, builds)
    assert builds.count == 1, "the second start reads the index"
    assert second is not first
    assert read_back is not known
    fresh = load_knowledge(content)
    assert read_back.entries == fresh.entries, "the knowledge read back is the content's"
    assert read_back.not_ours == fresh.not_ours
    for question in ("shu no3 el visa?", "qui paie le billet d'avion", "what's the weather"):
        assert second.match(question) == first.match(question)
    [written] = folder.glob("matcher-*.pickle")
    assert stat.S_IMODE(written.stat().st_mode) == 0o600, "readable by its owner only"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_a_content_change_builds_the_index_again(content: Path, tmp_path: Path) -> None:
    folder, builds = tmp_path / "cache", Builds()
    cached_index(content, folder, builds)
    synonyms = content / "synonyms.yaml"
    synonyms.write_text(synonyms.read_text(encoding="utf-8") + "  - [brandnewword, autremot]\n")
    cached_index(content, folder, builds)
    assert builds.count == 2
    assert len(list(folder.glob("matcher-*.pickle"))) == 2


def test_a_damaged_file_or_an_unusable_folder_only_means_building(content: Path, tmp_path: Path) -> None:
    folder, builds = tmp_path / "cache", Builds()
    cached_index(content, folder, builds)
    [written] = folder.glob("matcher-*.pickle")
    written.write_bytes(b"not a pickle")
    assert cached_index(content, folder, builds)[1].match("visa?").faq_id == "visa-type"
    assert builds.count == 2
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    assert cached_index(content, blocked / "cache", builds)[1].match("visa?").faq_id == "visa-type"
    assert cached_index(content, None, builds)[1] is not None
    assert builds.count == 4


def test_the_folder_follows_the_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DT4E_CACHE_DIR", str(tmp_path / "here"))
    assert cache_dir() == tmp_path / "here"
    monkeypatch.setenv("DT4E_CACHE_DIR", "")
    assert cache_dir() is None, "an empty DT4E_CACHE_DIR turns the cache off"
    monkeypatch.delenv("DT4E_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "dt4e-bot"


def test_reading_the_index_back_reads_no_word_lists_and_no_yaml(content: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    cached_index(content, folder)
    program = (
        "import sys; from pathlib import Path; from faq.cache import cached_index;"
        f"c = Path({str(content)!r}); f = Path({str(folder)!r});"
        "k, m = cached_index(c, f, build=lambda k: sys.exit('built'));"
        "m.match('the department route'); assert 'spellchecker' not in sys.modules, 'word lists read';"
        "assert 'yaml' not in sys.modules, 'content read'"
    )
    subprocess.run([sys.executable, "-c", program], check=True)
