"""``dt4e-bot survey push|status|export`` as programme staff run them, in a subprocess, on a
database where participants answered through the real service."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.basics.lang import Lang
from bot.core.audience import Audience
from bot.core.context import Context
from bot.core.features.consent import ConsentButton
from bot.core.features.surveys import SurveyButton
from bot.core.inbound import UserRef
from bot.core.state import Role
from bot.service import ConversationService
from bot.service.invitations import token_hash
from bot.service.participants import Participant
from dialogs.engine import StepButton
from storage.engine import create_engine, upgrade
from storage.participants import SqlParticipants
from storage.pushes import SqlPushes
from storage.store import SqlStore
from tests.inputs import inbound
from tests.test_cli import dt4e

AT = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
SURVEY = "talent-follow-up"


@pytest.fixture
async def answered(tmp_path: Path, context: Context) -> dict[str, str]:
    """T-1 (Arabic) answered wave 1 in full; T-2 started it; E-1 is an employer, T-3 never connected."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    engine = create_engine(url)
    await upgrade(engine)
    store = SqlStore(engine)
    participants = SqlParticipants(store)
    await participants.save(
        [
            Participant("T-1", Role.TALENT, cohort="2026-A", country="BE", language=Lang.AR),
            Participant("T-2", Role.TALENT, cohort="2026-A", country="FR", language=Lang.FR),
            Participant("T-3", Role.TALENT, cohort="2026-B"),
            Participant("E-1", Role.EMPLOYER, cohort="2026-A", company="Acme"),
        ],
        AT,
    )
    service = ConversationService(store, context)
    clock = [AT]

    async def send(user: UserRef, **kwargs: str) -> None:
        clock[0] += timedelta(seconds=1)
        await service.handle(inbound(user, clock[0], **kwargs))

    for reference, chat in (("T-1", "41"), ("T-2", "42"), ("E-1", "43")):
        await participants.invite(reference, token_hash(reference), AT, AT + timedelta(days=9))
        await send(UserRef("telegram", chat), text=f"/start {reference}")
    await SqlPushes(store).create(SURVEY, 1, Audience(references=("T-1", "T-2")), "test", AT)  # wave 1
    rania, karim = UserRef("telegram", "41"), UserRef("telegram", "42")
    for user in (rania, karim):
        await send(user, press=SurveyButton(SURVEY, 1).pack())
        await send(user, press=ConsentButton(True, SURVEY, 1).pack())
        await send(user, press=StepButton(SURVEY, "intro", "next").pack())
    for node, value in [
        ("satisfaction_job", "5"),
        ("satisfaction_life", "3"),
        ("support_helpful", "housing"),
        ("support_helpful", "pdo"),
        ("support_helpful", "done"),
        ("support_missing", "skip"),
    ]:
        await send(rania, press=StepButton(SURVEY, node, value).pack())
    await send(rania, text="الطقس بارد")  # challenges, typed
    for node, value in [("recommend", "10"), ("meeting", "no")]:
        await send(rania, press=StepButton(SURVEY, node, value).pack())
    await send(karim, press=StepButton(SURVEY, "satisfaction_job", "4").pack())
    await engine.dispose()
    return {"DT4E_DATABASE_URL": url}


def test_a_push_from_the_command_line(answered: dict[str, str]) -> None:
    dry = dt4e("survey", "push", SURVEY, "--role", "talent", "--cohort", "2026-A", "--dry-run", env=answered)
    assert (dry.returncode, dry.stdout.strip()) == (0, "talent-follow-up would go to 2 participants")
    pushed = dt4e("survey", "push", SURVEY, "--role", "talent", "--yes", env=answered)
    assert pushed.returncode == 0, pushed.stderr
    lines = pushed.stdout.splitlines()
    assert lines[0] == "push 2: 3 recipients"
    assert lines[1].startswith("2 to send by the running bot, between 08-21 local time, 1 skipped")
    status = dt4e("survey", "status", "1", "2", "--json", env=answered)
    second, first = (json.loads(line) | {"created_at": ""} for line in status.stdout.splitlines())
    assert second == {
        "push": 2, "survey": SURVEY, "created_at": "", "pending": 2, "sending": 0, "sent": 0, "failed": 0,
        "unreachable": 0, "skipped": 1, "started": 0, "completed": 0,
    }  # fmt: skip
    assert (first["push"], first["started"], first["completed"]) == (1, 2, 1)


def test_a_push_needs_an_audience_and_a_known_survey(answered: dict[str, str]) -> None:
    anyone = dt4e("survey", "push", SURVEY, "--yes", env=answered)
    assert anyone.returncode == 2
    assert "--role, --cohort, --country or --ref" in anyone.stderr
    unknown = dt4e("survey", "push", "nope", "--role", "talent", "--yes", env=answered)
    assert unknown.returncode == 1
    assert "no survey 'nope'; the surveys are talent-follow-up, employer-follow-up" in unknown.stderr
    scripted = dt4e("survey", "push", SURVEY, "--role", "talent", env=answered)
    assert scripted.returncode == 2, "no confirmation possible through a pipe without --yes"


def test_an_export_as_csv_cell_by_cell(answered: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "answers.csv"
    result = dt4e("survey", "export", SURVEY, "--format", "csv", "-o", str(out), env=answered)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"\xef\xbb\xbf"), "a BOM, so spreadsheets read Arabic"
    with out.open(encoding="utf-8-sig") as fh:
        header, rania, karim = list(csv.reader(fh))
    assert header == [
        "reference", "role", "cohort", "country", "language", "wave", "completed_at",
        "satisfaction_job", "job_what_went_wrong", "satisfaction_life", "support_helpful", "support_missing",
        "challenges", "recommend", "meeting",
    ]  # fmt: skip
    assert rania[:6] == ["T-1", "talent", "2026-A", "BE", "ar", "1"]
    assert rania[6].startswith("2026-03-05T09:")
    helped = "pdo (Pre-departure orientation); housing (Housing)"
    assert rania[7:] == ["5", "", "3", helped, "(skipped)", "الطقس بارد", "10", "no"]
    assert karim[:7] == ["T-2", "talent", "2026-A", "FR", "fr", "1", ""]
    assert karim[7:] == ["4", "", "", "", "", "", "", ""], "started, not completed"


def test_an_export_as_xlsx_with_what_each_key_asks(answered: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "answers.xlsx"
    result = dt4e(
        "survey", "export", SURVEY, "--format", "xlsx", "-o", str(out), "--cohort", "2026-A", env=answered
    )
    assert result.returncode == 0, result.stderr
    book = load_workbook(out, read_only=True)
    rows = list(book["answers"].iter_rows(values_only=True))
    assert [row[0] for row in rows] == ["reference", "T-1", "T-2"]
    assert rows[1][12] == "الطقس بارد"
    questions = {row[0]: row for row in book["questions"].iter_rows(values_only=True)}
    assert questions["recommend"][1] == "nps"
    assert "housing = Housing" in str(questions["support_helpful"][3])
    other = str(tmp_path / "b.csv")
    none = dt4e(
        "survey", "export", SURVEY, "--format", "csv", "-o", other, "--cohort", "2026-B", env=answered
    )
    assert none.stdout.strip().startswith("wrote 0 responses")
