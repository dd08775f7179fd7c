"""The real ``dt4e-bot`` command in a subprocess, as a user or a deployer runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def dt4e(
    *args: str, stdin: str = "", env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DT4E_")}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**base, "PYTHONPATH": str(ROOT), "DT4E_LOG_LEVEL": "WARNING", **(env or {})},
        cwd=cwd,
        timeout=120,
    )


def test_piped_chat_shows_language_and_role_choice_and_the_menu(tmp_path: Path) -> None:
    result = dt4e("chat", stdin="/start\n2\n1\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[1] العربية   [2] English   [3] Français" in out
    assert "[1] I am a candidate (talent)   [2] I am an employer" in out
    assert "What would you like to do?" in out
    assert (tmp_path / "data" / "dt4e-bot.db").is_file(), "the embedded SQLite default is used"


def test_state_survives_a_restart(tmp_path: Path) -> None:
    env = {"DT4E_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"}
    assert dt4e("chat", "--user", "ann", stdin="/start\n3\n", env=env).returncode == 0
    second = dt4e("chat", "--user", "ann", stdin="/help\n", env=env)
    assert "Je réponds aux questions" in second.stdout, "the language chosen before the restart is kept"


def test_run_without_a_token_falls_back_to_the_console(tmp_path: Path) -> None:
    result = dt4e("run", stdin="/start\n", cwd=tmp_path)
    assert result.returncode == 0
    assert "no DT4E_TELEGRAM_TOKEN" in result.stderr
    assert "Which language do you prefer?" in result.stdout


def test_run_warns_when_no_contact_for_the_team_is_set(tmp_path: Path) -> None:
    unset = dt4e("run", stdin="", cwd=tmp_path)
    assert "DT4E_CONTACT is not set" in unset.stderr
    given = dt4e("run", stdin="", cwd=tmp_path, env={"DT4E_CONTACT": "dt4e@example.org"})
    assert given.returncode == 0
    assert "DT4E_CONTACT" not in given.stderr


def test_a_bad_setting_stops_start_with_one_line(tmp_path: Path) -> None:
    result = dt4e("chat", env={"DT4E_DEFAULT_LANGUAGE": "de"}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "dt4e-bot: error: DT4E_DEFAULT_LANGUAGE: expected one of ar, en, fr (got 'de')"
    ]


@pytest.mark.parametrize("command", [["chat"], ["db", "upgrade"]])
def test_an_unreachable_database_is_one_line_and_a_failure(tmp_path: Path, command: list[str]) -> None:
    env = {"DT4E_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:9/none"}
    result = dt4e(*command, env=env, cwd=tmp_path)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(
        "dt4e-bot: error: cannot open the database at postgresql+asyncpg://nobody@127.0.0.1:9/none"
    )


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    env = {"DT4E_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x' / 'bot.db'}"}
    result = dt4e("db", "upgrade", env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "x" / "bot.db").is_file()


def test_check_passes_on_the_shipped_content() -> None:
    result = dt4e("check")
    assert result.returncode == 0, result.stdout + result.stderr


def copy_of_the_project(tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    for part in ("bot", "faq", "dialogs", "storage", "locales"):
        shutil.copytree(ROOT / part, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


@pytest.mark.parametrize("fault", ["missing", "unreadable"])
def test_check_names_a_broken_catalogue_in_one_line(tmp_path: Path, fault: str) -> None:
    copy = copy_of_the_project(tmp_path)
    po = copy / "locales" / "fr" / "LC_MESSAGES" / "messages.po"
    if fault == "missing":
        po.unlink()
    else:
        po.write_bytes(b"\xff\xfe not a catalogue \x00")
    result = dt4e("check", env={"PYTHONPATH": str(copy)}, cwd=copy)
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"dt4e-bot: error: {po}: "), line
    assert ("missing catalogue for 'fr'" in line) == (fault == "missing")


def test_ask_json_follows_the_contract() -> None:
    import json

    result = dt4e("ask", "--json", "Which visa does DT4E use?")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert set(answer) == {"id", "lang", "score", "answer", "suggestions"}
    assert answer["id"] == "visa-type"
    assert answer["lang"] == "en"
    assert 0 <= answer["score"] <= 100
    assert "single permit" in answer["answer"]
    assert all(isinstance(s, str) for s in answer["suggestions"])


def test_ask_abstains_with_a_null_id_in_the_question_language() -> None:
    import json

    answer = json.loads(dt4e("ask", "--json", "ما هو أطول جبل في آسيا؟").stdout)
    assert answer["id"] is None
    assert answer["lang"] == "ar"
    assert answer["answer"]


def test_ask_jsonl_answers_every_line_in_order() -> None:
    import json

    questions = [
        "Combien coûte le recrutement pour l'employeur ?",
        "",
        "shu el visa yalli ra7 a5edha",
        "hello",
    ] * 50
    result = dt4e("ask", "--jsonl", stdin="\n".join(questions) + "\n")
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(answers) == len(questions)
    assert answers[0]["id"] == "employer-costs"
    assert answers[0]["lang"] == "fr"
    assert answers[1]["id"] is None
    assert answers[2]["lang"] == "ar"
    assert answers[3]["id"] is None
    assert answers[3]["answer"].startswith("Hello!"), "small talk gets the chat's friendly reply"
    assert answers[4] == answers[0]


def test_ask_without_a_question_is_a_usage_error() -> None:
    result = dt4e("ask")
    assert result.returncode == 2
    assert "ask needs a QUESTION" in result.stderr


def test_faq_eval_reports_every_figure_by_language(tmp_path: Path) -> None:
    import json

    data = tmp_path / "eval.jsonl"
    rows = [
        {"q": "Which visa does DT4E use?", "lang": "en", "id": "visa-type"},
        {"q": "Quels sont les coûts pour l'employeur ?", "lang": "fr", "id": "employer-costs"},
        {"q": "ما هي مدة الإجراءات؟", "lang": "ar", "id": "procedure-duration"},
        {"q": "what is the capital of Peru", "lang": "en", "id": None},
    ]
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    result = dt4e("faq", "eval", str(data), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)[str(data)]
    assert report["total"]["questions"] == 4
    assert set(report["by_language"]) == {"ar", "en", "fr"}
    for key in ("top1", "top3", "abstention_precision", "abstention_recall", "reply_language"):
        assert key in report["total"]
    assert report["total"]["top1"] == 1.0
    assert report["total"]["abstention_recall"] == 1.0
    text = dt4e("faq", "eval", str(data))
    assert "top-1" in text.stdout
    assert "total" in text.stdout


def test_faq_eval_names_a_bad_line(tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text('{"q": "x", "lang": "en", "id": null}\nnot json\n', encoding="utf-8")
    result = dt4e("faq", "eval", str(data))
    assert result.returncode == 2
    assert "line 2" in result.stderr


def test_a_reader_that_goes_away_stops_ask_quietly() -> None:
    """``dt4e-bot ask --jsonl < questions | head -1``: no traceback when head has what it wants."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("DT4E_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "ask", "--jsonl"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**base, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    assert process.stderr is not None
    process.stdin.write(b"what visa?\n" * 2_000)  # fits in the pipe; the answers do not
    process.stdin.close()
    assert process.stdout.readline().startswith(b'{"id"')
    process.stdout.close()
    assert process.wait(timeout=120) == 141
    with process.stderr:
        assert b"Traceback" not in process.stderr.read()
