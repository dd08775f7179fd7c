"""``dt4e-bot run``, the real command in a subprocess, against the fake Bot API server running in
this test: it converses like ``dt4e-bot chat`` and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot import cli
from tests.channels.harness import CHANNELS, press
from tests.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent.parent
USER = 42
TOKEN = "123:abc"


def environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DT4E_")}
    return {
        **base,
        "PYTHONPATH": str(ROOT),
        "DT4E_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "DT4E_LOG_LEVEL": "WARNING",
        **settings,
    }


@pytest.mark.parametrize("channel", CHANNELS)
async def test_run_converses_with_telegram_and_stops_on_sigterm(channel: str, tmp_path: Path) -> None:
    async with FakeTelegram(token=TOKEN) as tg:
        env = environment(tmp_path, DT4E_TELEGRAM_TOKEN=TOKEN, DT4E_TELEGRAM_API_BASE=tg.base_url)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            "--channel",
            channel,
            env=env,
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            tg.send_text(USER, "/start", language_code="en")
            [welcome] = await tg.wait_for_sent(USER, 1, timeout=60)
            assert [label for row in welcome.buttons for label, _ in row] == [
                "العربية",
                "English",
                "Français",
            ]
            press(tg, USER, "English")
            sent = await tg.wait_for_sent(USER, 3)
            assert sent[1].text == "Language set to English."

            process.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(process.communicate(), 5)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    assert process.returncode == 0, err.decode()
    assert "Traceback" not in err.decode()
    assert tg.commands_for(language_code="ar"), "the command menu was published"


def dt4e_run(tmp_path: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", *args],
        capture_output=True,
        text=True,
        env=environment(tmp_path, DT4E_TELEGRAM_TOKEN=TOKEN, **settings),
        cwd=tmp_path,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--webhook"], "--webhook needs --webhook-url"),
        (["--webhook-url", "https://bot.example.org/tg"], "--webhook-url and --listen only apply with"),
        (
            ["--webhook", "--webhook-url", "https://bot.example.org/tg", "--listen", "8080"],
            "--webhook: expected HOST:PORT",
        ),
        (["--webhook", "--webhook-url", "bot.example.org"], "--webhook: expected the public https:// URL"),
    ],
)
def test_bad_webhook_arguments_are_one_line_and_status_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("DT4E_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DT4E_TELEGRAM_TOKEN", TOKEN)
    assert cli.main(["run", *args]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"dt4e-bot: error: {message}")


async def test_a_rejected_token_is_one_line_without_the_token(tmp_path: Path) -> None:
    async with FakeTelegram(token="123:right") as tg:
        result = await asyncio.to_thread(
            dt4e_run,
            tmp_path,
            "--channel",
            "ptb",
            DT4E_TELEGRAM_API_BASE=tg.base_url,
            DT4E_CONTACT="dt4e@example.org",
        )
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"dt4e-bot: error: DT4E_TELEGRAM_TOKEN: the Bot API at {tg.base_url} rejected")
    assert TOKEN not in result.stderr
