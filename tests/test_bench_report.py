"""BENCHMARKS.md's generated blocks (bench/report.py): a benchmark's run replaces its own block
and leaves every other line of the file as it was."""

from __future__ import annotations

from pathlib import Path

from bench.report import MARK_END, latest_run, mark_begin, update_section

PAGE = """# Benchmarks

## Load (`bench/load.py`)

What the load figures mean.

## Matcher (`bench/matcher.py`)

Older notes.
"""


def test_a_first_run_puts_its_block_at_the_top_of_its_section(tmp_path: Path) -> None:
    page = tmp_path / "BENCHMARKS.md"
    page.write_text(PAGE, encoding="utf-8")
    update_section("Load", "bench.load", "figures 1", path=page)
    text = page.read_text(encoding="utf-8")
    load, matcher = text.split("## Matcher", 1)
    assert f"{mark_begin('bench.load')}\n\nfigures 1\n\n{MARK_END}" in load
    assert load.index("figures 1") < load.index("What the load figures mean.")
    assert "figures" not in matcher


def test_the_next_run_replaces_the_block_and_nothing_else(tmp_path: Path) -> None:
    page = tmp_path / "BENCHMARKS.md"
    page.write_text(PAGE, encoding="utf-8")
    update_section("Load", "bench.load", "figures 1", path=page)
    update_section("Matcher", "bench.matcher", "accuracy 1", path=page)
    update_section("Load", "bench.load", "figures 2", path=page)
    text = page.read_text(encoding="utf-8")
    assert "figures 1" not in text
    assert text.count("figures 2") == 1
    assert text.count("accuracy 1") == 1
    without_blocks = text
    for module, block in (("bench.load", "figures 2"), ("bench.matcher", "accuracy 1")):
        without_blocks = without_blocks.replace(f"{mark_begin(module)}\n\n{block}\n\n{MARK_END}\n\n", "")
    assert without_blocks == PAGE


def test_a_section_not_there_yet_is_added_at_the_end(tmp_path: Path) -> None:
    page = tmp_path / "BENCHMARKS.md"
    page.write_text(PAGE, encoding="utf-8")
    update_section("Fault drills", "bench.drills", "0 lost", path=page)
    text = page.read_text(encoding="utf-8")
    assert text.startswith(PAGE.rstrip("\n"))
    assert text.rstrip().endswith(f"## Fault drills\n\n{mark_begin('bench.drills')}\n\n0 lost\n\n{MARK_END}")


def test_the_matchers_existing_block_is_found_by_its_marker() -> None:
    page = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"
    assert page.read_text(encoding="utf-8").count(mark_begin("bench.matcher")) == 1


def test_a_runs_block_says_when_on_what_and_with_which_command() -> None:
    outcome = {
        "when": "2026-12-03T15:00:00+00:00",
        "command": "python -m bench.load",
        "duration_s": 340.4,
        "machine": {
            "cpus": 2,
            "cpu_model": "AMD EPYC",
            "python": "3.11.7",
            "git_commit": "abcdef123",
            "git_dirty": True,
        },
    }
    block = latest_run(outcome, "closed loop  1148  281\n")
    assert "2026-12-03T15:00:00+00:00" in block
    assert "commit abcdef1 plus uncommitted changes" in block
    assert "2 CPUs (AMD EPYC)" in block
    assert "`python -m bench.load`, 340 s" in block
    assert block.endswith("```text\nclosed loop  1148  281\n```")
