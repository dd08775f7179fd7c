"""``dt4e-bot broadcast ...`` and ``dt4e-bot schedule list`` as staff run them, in a subprocess:
an announcement file checked with errors that name the file and the language, the JSON of
``broadcast status`` as the design says, pause, resume and cancel, and the follow-ups planned by
an import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli import dt4e

PEOPLE = """reference,role,cohort,country,start_date,timezone,language
T-1,talent,2027-A,BE,2027-01-31,Asia/Amman,ar
T-2,talent,2027-A,FR,2027-01-31,Europe/Paris,fr
E-1,employer,2027-A,SK,,,en
"""
MESSAGE = """en: The pre-departure session moves to Thursday.
fr: La séance avant le départ est déplacée à jeudi.
ar: نُقلت جلسة ما قبل المغادرة إلى يوم الخميس.
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    settings = {"DT4E_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"}
    (tmp_path / "people.csv").write_text(PEOPLE, encoding="utf-8")
    imported = dt4e("participants", "import", str(tmp_path / "people.csv"), env=settings)
    assert imported.returncode == 0, imported.stderr
    return settings


def test_an_announcement_is_checked_sent_and_steered(tmp_path: Path, env: dict[str, str]) -> None:
    message = tmp_path / "message.yaml"
    message.write_text(MESSAGE.replace("ar:", "#ar:"), encoding="utf-8")
    refused = dt4e("broadcast", "send", str(message), "--cohort", "2027-A", "--yes", env=env)
    assert refused.returncode == 1
    assert f"{message}: ar: missing; every recipient reads it in their language" in refused.stderr
    message.write_text(MESSAGE, encoding="utf-8")
    dry = dt4e("broadcast", "send", str(message), "--cohort", "2027-A", "--dry-run", env=env)
    assert (dry.returncode, dry.stdout.strip()) == (0, "the announcement would go to 3 participants")
    sent = dt4e("broadcast", "send", str(message), "--cohort", "2027-A", "--any-time", "--yes", env=env)
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.splitlines()[0] == "job 1: 3 recipients"
    status = json.loads(dt4e("broadcast", "status", "1", "--json", env=env).stdout)
    contract = ("job", "state", "total", "sent", "failed", "unreachable", "skipped", "pending")
    assert [status[k] for k in contract] == [1, "done", 3, 0, 0, 0, 3, 0]
    assert status["kind"] == "announcement"
    over = dt4e("broadcast", "pause", "1", env=env)
    assert (over.returncode, over.stdout.strip()) == (1, "job 1 is already done; nothing changed")
    missing = dt4e("broadcast", "status", "9", env=env)
    assert (missing.returncode, missing.stderr.strip()) == (
        1,
        "dt4e-bot: error: no job 9; see dt4e-bot broadcast list",
    )
    assert "job 1 (announcement) done" in dt4e("broadcast", "list", env=env).stdout


def test_pause_resume_and_cancel_a_job_still_to_send(env: dict[str, str]) -> None:
    """Two connected people, so the job has someone pending to steer."""
    import asyncio
    from datetime import UTC, datetime

    from bot.core.audience import Audience
    from storage.engine import create_engine, upgrade
    from storage.pushes import SqlPushes
    from storage.store import SqlStore
    from tests.crowd import connect_crowd

    async def one_pending() -> int:
        engine = create_engine(env["DT4E_DATABASE_URL"])
        await upgrade(engine)
        await connect_crowd(engine, 2)
        job, _ = await SqlPushes(SqlStore(engine)).create(
            "talent-follow-up", 1, Audience(cohorts=("crowd",)), "test", datetime.now(UTC)
        )
        await engine.dispose()
        return job

    job = str(asyncio.run(one_pending()))
    assert "paused" in dt4e("broadcast", "pause", job, env=env).stdout
    assert "running" in dt4e("broadcast", "resume", job, env=env).stdout
    cancelled = dt4e("broadcast", "cancel", job, env=env)
    assert cancelled.returncode == 0
    assert "cancelled" in cancelled.stdout
    assert "2 skipped" in cancelled.stdout
    again = dt4e("broadcast", "resume", job, env=env)
    assert (again.returncode, again.stdout.strip()) == (1, f"job {job} is already cancelled; nothing changed")


def test_schedule_list_shows_the_follow_ups_an_import_planned(env: dict[str, str]) -> None:
    listed = dt4e("schedule", "list", "--due-before", "2027-05-01", env=env)
    assert listed.returncode == 0, listed.stderr
    rows = [line.split("\t") for line in listed.stdout.splitlines()[1:]]
    assert [(r[0], r[1], r[2], r[4], r[5]) for r in rows] == [
        ("2027-02-28 10:00", "Asia/Amman", "T-1", "1", "planned"),
        ("2027-02-28 10:00", "Europe/Paris", "T-2", "1", "planned"),
        ("2027-04-30 10:00", "Asia/Amman", "T-1", "3", "planned"),
        ("2027-04-30 10:00", "Europe/Paris", "T-2", "3", "planned"),
    ], "10:00 where each one lives, on the last day of February and of April; no start date, no plan"
