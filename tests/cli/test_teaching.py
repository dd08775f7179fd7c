"""``dt4e-bot faq attach`` and ``faq out-of-scope`` as a staff member runs them, on a copy of
the project (they write into the content files): one line lands where an editor would write it,
``check`` passes after, and what cannot be added is refused with the file untouched."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.test_cli import ROOT, dt4e

HOLIDAY = "Can I use my DT4E visa for a holiday in Germany?"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The code, content and evaluation sets, copied: the CLI run from here edits the copy."""
    for part in ("bot", "faq", "dialogs", "storage", "locales", "eval"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_attach_and_out_of_scope_write_one_line_each_and_check_still_passes(project: Path) -> None:
    env = {"PYTHONPATH": str(project)}
    programme, not_ours = project / "faq/content/programme.yaml", project / "faq/content/not_ours.yaml"
    before = programme.read_text(encoding="utf-8").splitlines()
    untaught = json.loads(dt4e("ask", "--json", HOLIDAY, env=env, cwd=project).stdout)
    attached = dt4e("faq", "attach", "visa-type", HOLIDAY, env=env, cwd=project)
    assert attached.returncode == 0, attached.stderr
    assert attached.stdout.startswith("added to faq/content/programme.yaml, entry visa-type (en): ")
    after = programme.read_text(encoding="utf-8").splitlines()
    [added] = [line for line in after if line not in before]
    assert added == "        - Can I use my DT4E visa for a holiday in Germany?"
    assert len(after) == len(before) + 1
    arabizi = dt4e("faq", "out-of-scope", "kif bfta7 7sab bank b dubai", env=env, cwd=project)
    assert arabizi.returncode == 0, arabizi.stderr
    assert "(arabizi)" in arabizi.stdout, "Latin-letter Arabic goes to its own list"
    assert (
        "\n    - kif bfta7 7sab bank b dubai\n"
        in not_ours.read_text(encoding="utf-8").split("\n  arabizi:\n")[1]
    )
    checked = dt4e("check", env=env, cwd=project)
    assert checked.returncode == 0, checked.stderr
    taught = json.loads(dt4e("ask", "--json", HOLIDAY, env=env, cwd=project).stdout)
    assert (taught["id"], untaught["id"]) == ("visa-type", None), "answered once taught"
    assert taught["score"] > untaught["score"]


def test_what_cannot_be_added_is_refused_and_nothing_changes(project: Path) -> None:
    env = {"PYTHONPATH": str(project)}
    content = {p.name: p.read_text(encoding="utf-8") for p in (project / "faq/content").glob("*.yaml")}
    known = "What is IOM?"  # already a way of asking about-iom
    duplicate = dt4e("faq", "attach", "about-iom", known, "--lang", "en", env=env, cwd=project)
    assert duplicate.returncode == 1
    assert "faq/content/programme.yaml: entry 'about-iom'" in duplicate.stderr
    assert "duplicate question" in duplicate.stderr
    unknown = dt4e("faq", "attach", "no-such-entry", "hello there", env=env, cwd=project)
    assert unknown.returncode == 1
    assert "no such entry" in unknown.stderr
    evaluated = (project / "eval/out_of_scope.jsonl").read_text(encoding="utf-8").splitlines()[0]
    question = json.loads(evaluated)["q"]
    spoiled = dt4e("faq", "out-of-scope", question, env=env, cwd=project)
    assert spoiled.returncode == 1
    assert "is in an evaluation set" in spoiled.stderr
    assert {
        p.name: p.read_text(encoding="utf-8") for p in (project / "faq/content").glob("*.yaml")
    } == content


def test_check_reports_every_fault_of_every_part_in_one_run(project: Path) -> None:
    env = {"PYTHONPATH": str(project)}
    programme = project / "faq/content/programme.yaml"
    text = programme.read_text(encoding="utf-8")
    text = text.replace("    audience: both\n", "    audience: everyone\n", 1)  # a bad value
    text = text.replace("related: [about-dt4e,", "related: [no-such-entry,", 1)  # an unknown id
    programme.write_text(text, encoding="utf-8")
    support = project / "faq/content/support.yaml"
    support.write_text(
        support.read_text(encoding="utf-8").replace("    review: pending\n", "    reviewd: pending\n", 1)
    )
    dialog = next((project / "dialogs/content/modules").glob("*.yaml"))
    dialog.write_text(dialog.read_text(encoding="utf-8").replace("title:", "titel:", 1), encoding="utf-8")
    checked = dt4e("check", env=env, cwd=project)
    assert checked.returncode == 1
    faults = checked.stderr.splitlines()
    assert all(line.startswith("dt4e-bot: error: ") for line in faults)
    assert any("programme.yaml" in f and "audience" in f for f in faults), faults
    assert any("support.yaml" in f and "reviewd" in f for f in faults), faults
    assert any(f"dialogs/content/modules/{dialog.name}" in f for f in faults), faults
    assert "ok: translation catalogues (ar, en, fr)" in checked.stdout, (
        "the parts without faults still say so"
    )
