"""``dt4e-bot participants`` and ``staff`` as a programme officer runs them, in a subprocess."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from tests.test_cli import dt4e

HEADER = "reference,role,cohort,country,start_date,timezone,language,company\n"
ROWS = (
    "T-0001,talent,2026-A,BE,2026-03-01,Asia/Amman,ar,\n"
    "T-0002,talent,2026-A,FR,,Asia/Beirut,fr,\n"
    "E-0001,employer,2026-A,SK,,Europe/Bratislava,en,Acme s.r.o.\n"
)
BAD = "T-0003,boss,2026-A,BE,,,,\nT-0004,talent,2026-A,DE,,,,\nT-0001,employer,,,,,,\n"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "DT4E_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "DT4E_BOT_USERNAME": "dt4e_bot",
    }


def write(tmp_path: Path, text: str, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_an_import_reports_every_rejected_row_and_twice_changes_nothing(
    tmp_path: Path, env: dict[str, str]
) -> None:
    people = write(tmp_path, HEADER + ROWS + BAD)
    first = dt4e("participants", "import", str(people), env=env)
    assert first.returncode == 1, first.stderr
    assert first.stdout.splitlines() == [
        f"{people}: 3 rows accepted (3 added, 0 updated, 0 unchanged), 3 rejected",
        "line 5: role: expected talent or employer, got 'boss'",
        "line 6: country: expected one of BE, FR, SK, got 'DE'",
        "line 7: reference: 'T-0001' is also on line 2",
        "follow-up surveys are planned from each start_date: see dt4e-bot schedule list",
    ]
    again = dt4e("participants", "import", str(write(tmp_path, HEADER + ROWS)), env=env)
    assert again.returncode == 0, again.stderr
    assert "3 rows accepted (0 added, 0 updated, 3 unchanged), 0 rejected" in again.stdout


def test_a_file_with_an_unknown_column_is_refused_whole(tmp_path: Path, env: dict[str, str]) -> None:
    people = write(tmp_path, "reference,role,phone\nT-1,talent,+962\n")
    result = dt4e("participants", "import", str(people), env=env)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"dt4e-bot: error: {people}: line 1: unknown column 'phone'; "
        "the columns are reference, role, cohort, country, start_date, timezone, language, company"
    )
    listed = dt4e("participants", "list", env=env)
    assert listed.stdout.splitlines()[1:] == [], "nothing was imported"


def test_list_show_and_a_personal_link(tmp_path: Path, env: dict[str, str]) -> None:
    dt4e("participants", "import", str(write(tmp_path, HEADER + ROWS)), env=env)
    listed = dt4e("participants", "list", "--role", "talent", env=env)
    assert listed.stdout.splitlines() == [
        "reference\trole\tcohort\tcountry\tlanguage\tstatus",
        "T-0001\ttalent\t2026-A\tBE\tar\tnot invited",
        "T-0002\ttalent\t2026-A\tFR\tfr\tnot invited",
    ]
    invited = dt4e("participants", "invite", "T-0001", env=env)
    assert invited.returncode == 0, invited.stderr
    link = invited.stdout.splitlines()[-1]
    assert re.fullmatch(r"https://t\.me/dt4e_bot\?start=[A-Za-z0-9_-]{32}", link)
    shown = dt4e("participants", "show", "T-0001", env=env)
    assert "start_date: 2026-03-01" in shown.stdout
    assert re.search(r"^status: invited until \d{4}-\d\d-\d\d$", shown.stdout, re.MULTILINE)
    missing = dt4e("participants", "show", "T-9999", env=env)
    assert (missing.returncode, missing.stderr.strip()) == (
        1,
        "dt4e-bot: error: no participant 'T-9999'; see dt4e-bot participants list",
    )


def test_links_for_a_mail_merge(tmp_path: Path, env: dict[str, str]) -> None:
    dt4e("participants", "import", str(write(tmp_path, HEADER + ROWS)), env=env)
    out = tmp_path / "links.csv"
    result = dt4e("participants", "invite", "--csv", str(out), env=env)
    assert result.returncode == 0, result.stderr
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["reference", "link"]
    assert [r[0] for r in rows[1:]] == ["E-0001", "T-0001", "T-0002"]
    assert len({r[1] for r in rows[1:]}) == 3, "every link is personal"


def test_an_xlsx_import(tmp_path: Path, env: dict[str, str]) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Reference", "Role", "Company"])
    sheet.append(["E-0009", "employer", "Société Générale de Test"])
    book.save(tmp_path / "people.xlsx")
    result = dt4e("participants", "import", str(tmp_path / "people.xlsx"), env=env)
    assert result.returncode == 0, result.stderr
    assert "1 rows accepted (1 added" in result.stdout


def test_a_staff_link_and_the_username_it_needs(tmp_path: Path, env: dict[str, str]) -> None:
    staff = dt4e("staff", "invite", env=env)
    assert staff.returncode == 0, staff.stderr
    assert staff.stdout.splitlines()[-1].startswith("https://t.me/dt4e_bot?start=")
    nameless = dt4e("staff", "invite", env={"DT4E_DATABASE_URL": env["DT4E_DATABASE_URL"]})
    assert nameless.returncode == 2
    assert "DT4E_BOT_USERNAME" in nameless.stderr


def test_invite_needs_a_reference_or_csv(env: dict[str, str]) -> None:
    result = dt4e("participants", "invite", env=env)
    assert result.returncode == 2
    assert "REFERENCE, or --csv FILE" in result.stderr


def test_staff_joined_by_invitation_can_be_listed_and_revoked(tmp_path: Path, env: dict[str, str]) -> None:
    import asyncio
    from datetime import UTC, datetime

    from bot.core.inbound import UserRef
    from bot.service.invitations import token_hash
    from storage.engine import create_engine, upgrade
    from storage.participants import SqlParticipants
    from storage.store import SqlStore

    async def join() -> None:
        engine = create_engine(env["DT4E_DATABASE_URL"])
        await upgrade(engine)
        store = SqlStore(engine)
        now = datetime.now(UTC)
        await SqlParticipants(store).invite(None, token_hash("s"), now, now.replace(year=now.year + 1))
        await store.run(lambda tx: tx.redeem_invitation(token_hash("s"), UserRef("telegram", "555"), now))
        await engine.dispose()

    asyncio.run(join())
    listed = dt4e("staff", "list", env={**env, "DT4E_STAFF_IDS": "111"})
    assert listed.stdout.splitlines() == ["111\tDT4E_STAFF_IDS", "555\tinvitation"]
    assert dt4e("staff", "revoke", "555", env=env).returncode == 0
    assert dt4e("staff", "revoke", "555", env=env).returncode == 1, "not staff any more"
    assert dt4e("staff", "list", env=env).stdout == ""


def test_erase_forgets_a_participant_or_says_there_is_none(tmp_path: Path, env: dict[str, str]) -> None:
    assert dt4e("participants", "import", str(write(tmp_path, HEADER + ROWS)), env=env).returncode == 0
    assert dt4e("participants", "invite", "T-0001", env=env).returncode == 0
    erased = dt4e("participants", "erase", "T-0001", env=env)
    assert erased.returncode == 0, erased.stderr
    assert erased.stdout.startswith("erased T-0001: ")
    listed = dt4e("participants", "list", env=env).stdout
    assert "T-0001" not in listed
    assert "T-0002" in listed
    again = dt4e("participants", "erase", "T-0001", env=env)
    assert again.returncode == 1
    assert "no participant 'T-0001'" in again.stderr
