"""What the real ``dt4e-bot`` command imports: the content commands (``ask``, ``check``) start
without the database stack or any Telegram framework, and ``run`` loads only the framework its
``--channel`` names. Each command runs in a subprocess with a ``sitecustomize`` hook that writes
``sys.modules`` down when the interpreter exits."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import CHANNELS
from tests.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent

DATABASE = ("sqlalchemy", "sqlmodel", "alembic", "asyncpg", "aiosqlite", "storage")
FRAMEWORKS = ("aiogram", "telegram", "httpx", "aiohttp")
FRAMEWORK_OF = {"aiogram": "aiogram", "ptb": "telegram"}

HOOK = """\
import atexit
import os
import sys


def _write_modules(path=os.environ["DT4E_TEST_MODULES_FILE"]):
    with open(path, "w", encoding="utf-8") as out:
        out.write("\\n".join(sorted(sys.modules)))


atexit.register(_write_modules)
"""


def imports(
    tmp_path: Path, *args: str, stdin: str = "", **settings: str
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``dt4e-bot ARGS``; its result, and the top-level packages it had imported at exit."""
    hook = tmp_path / "hook"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(HOOK, encoding="utf-8")
    modules = tmp_path / "modules.txt"
    modules.unlink(missing_ok=True)
    base = {k: v for k, v in os.environ.items() if not k.startswith("DT4E_")}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={
            **base,
            "PYTHONPATH": os.pathsep.join([str(hook), str(ROOT)]),
            "DT4E_TEST_MODULES_FILE": str(modules),
            "DT4E_LOG_LEVEL": "WARNING",
            "DT4E_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
            **settings,
        },
        cwd=tmp_path,
        timeout=120,
    )
    assert modules.is_file(), f"the hook did not run: {result.stderr}"
    names = modules.read_text(encoding="utf-8").split()
    return result, {name.partition(".")[0] for name in names}


def test_the_parsers_offer_the_roles_of_the_core() -> None:
    """The parsers take ``--role`` choices from :mod:`bot.core.audience`, not :mod:`bot.core.state`
    (which loads the dialogs): the two must agree."""
    from bot.core.audience import ROLES
    from bot.core.state import Role

    assert list(ROLES) == [role.value for role in Role]


def test_the_hook_sees_what_a_command_imports(tmp_path: Path) -> None:
    """The check below is not vacuous: a command with a database reports its stack."""
    result, packages = imports(tmp_path, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert {"sqlalchemy", "alembic", "aiosqlite", "storage"} <= packages


@pytest.mark.parametrize(
    "args", [["ask", "--json", "visa?"], ["ask", "--jsonl"], ["check"]], ids=["ask", "ask-jsonl", "check"]
)
def test_content_commands_load_no_database_and_no_telegram_framework(tmp_path: Path, args: list[str]) -> None:
    result, packages = imports(tmp_path, *args, stdin="visa?\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('{"id"') or result.stdout.startswith("ok: ")
    assert sorted(packages & set(DATABASE)) == []
    assert sorted(packages & set(FRAMEWORKS)) == []


def test_a_bad_setting_still_stops_ask_with_one_line(tmp_path: Path) -> None:
    """Settings are still checked in full before a content command runs."""
    result, _ = imports(tmp_path, "ask", "--json", "visa?", DT4E_DATABASE_URL="sqlite:///bot.db")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "dt4e-bot: error: DT4E_DATABASE_URL: expected an async driver such as sqlite+aiosqlite or "
        "postgresql+asyncpg, got sqlite (got 'sqlite:///bot.db')"
    ]


def test_chat_loads_no_telegram_framework(tmp_path: Path) -> None:
    result, packages = imports(tmp_path, "chat", stdin="/start\n")
    assert result.returncode == 0, result.stderr
    assert sorted(packages & set(FRAMEWORKS)) == []


@pytest.mark.parametrize("channel", CHANNELS)
async def test_run_loads_only_the_framework_of_its_channel(tmp_path: Path, channel: str) -> None:
    """The whole start of ``run``: the database, the channel, its first call to the Bot API
    (getMe, which rejects the token, so the command stops at once with status 2)."""
    async with FakeTelegram(token="123:right") as tg:
        result, packages = await asyncio.to_thread(
            imports,
            tmp_path,
            "run",
            "--channel",
            channel,
            DT4E_TELEGRAM_TOKEN="123:wrong",
            DT4E_TELEGRAM_API_BASE=tg.base_url,
        )
    assert result.returncode == 2, result.stderr
    assert "rejected" in result.stderr
    assert tg.calls_to("getMe"), "the channel started and called the Bot API"
    mine = FRAMEWORK_OF[channel]
    assert mine in packages
    assert sorted(packages & set(FRAMEWORK_OF.values()) - {mine}) == []
    # aiohttp's server side serves webhooks only: polling goes without it (python-telegram-bot
    # then needs no aiohttp at all, some 10 MB).
    assert "aiohttp.web" not in (tmp_path / "modules.txt").read_text(encoding="utf-8").split()
    if channel == "ptb":
        assert "aiohttp" not in packages


def test_a_start_on_a_database_already_upgraded_does_not_load_alembic(tmp_path: Path) -> None:
    """Alembic (with Mako and Pygments, about 12 MB a process) runs only when the schema must
    change; a start on a database at the newest migration reads its version and goes on."""
    created, packages = imports(tmp_path, "chat", stdin="/start\n")
    assert created.returncode == 0, created.stderr
    assert "alembic" in packages, "the first start creates the schema with Alembic"
    again, packages = imports(tmp_path, "chat", stdin="/start\n")
    assert again.returncode == 0, again.stderr
    assert sorted(packages & {"alembic", "mako", "pygments"}) == []
