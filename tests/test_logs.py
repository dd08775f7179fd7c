"""Logs keep out personal data and secrets even at DEBUG: ``dt4e-bot run``, the real command in a
subprocess, converses with the fake Bot API server on each channel, polling and by webhook, and
its whole log is searched for the token, the webhook secret and what the user sent."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.channels.harness import CHANNELS, free_port
from tests.channels.test_run import environment as run_environment
from tests.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
USER = 4242
TOKEN = "7913:Tok3nOfTheLogTest-x9Jq"
TEXT = "Quillomarsh visa question from Ourika"
FIRST_NAME = "Zenobiafra"
LAST_NAME = "Haddadieh"
USERNAME = "ghostly_wren_1984"
PHONE = "+96279123456"
MEDIA_REPLY = "I can only read text for now"


def environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    """The bot's environment of tests/channels/test_run.py, at DEBUG."""
    return run_environment(tmp_path, DT4E_LOG_LEVEL="DEBUG", DT4E_CONTACT="dt4e@example.org", **settings)


def sender() -> dict[str, object]:
    return {
        "id": USER,
        "is_bot": False,
        "first_name": FIRST_NAME,
        "last_name": LAST_NAME,
        "username": USERNAME,
        "language_code": "en",
    }


def personal_data() -> dict[str, str]:
    return {
        "the text": TEXT,
        "a word of the text": "Quillomarsh",
        "the first name": FIRST_NAME,
        "the last name": LAST_NAME,
        "the username": USERNAME,
        "the phone number": PHONE,
        "the phone's digits": PHONE.removeprefix("+"),
    }


async def converse(tg: FakeTelegram) -> None:
    """A text, its edit, the same in a group (ignored, with a DEBUG line) and a shared contact
    from a user with a name, a username and a phone number; the text, the edit and the contact
    answered."""
    tg.send_update({"message": {"from": sender(), "text": TEXT}})
    await tg.wait_for_sent(USER, 1, timeout=60)
    tg.send_update({"edited_message": {"from": sender(), "text": f"{TEXT}!", "edit_date": 1_767_600_000}})
    group = {"id": -100777, "type": "supergroup", "title": "Cohort 2026"}
    tg.send_update({"message": {"from": sender(), "chat": group, "text": TEXT}})
    contact = {"phone_number": PHONE, "first_name": FIRST_NAME, "last_name": LAST_NAME, "user_id": USER}
    tg.send_update({"message": {"from": sender(), "contact": contact}})
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while not any(MEDIA_REPLY in (m.text or "") for m in tg.sent(USER)):
        assert loop.time() < deadline, [m.text for m in tg.sent(USER)]
        await asyncio.sleep(0.05)


async def run_and_stop(tmp_path: Path, tg: FakeTelegram, *args: str) -> tuple[int, str]:
    """``dt4e-bot run ARGS`` at DEBUG, conversing, then SIGTERM: its exit status and its log."""
    log_file = tmp_path / "stderr.log"
    with log_file.open("wb") as err:  # a file, not a pipe: a DEBUG log fills a pipe's buffer
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            *args,
            env=environment(tmp_path, DT4E_TELEGRAM_TOKEN=TOKEN, DT4E_TELEGRAM_API_BASE=tg.base_url),
            cwd=tmp_path,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=err,
        )
        try:
            await converse(tg)
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 10)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    return await process.wait(), log_file.read_text(errors="replace")


def leaks(log: str, secrets: dict[str, str]) -> list[str]:
    return [what for what, value in secrets.items() if value in log]


@pytest.mark.parametrize("webhook", [False, True], ids=["polling", "webhook"])
@pytest.mark.parametrize("channel", CHANNELS)
async def test_a_debug_log_has_no_personal_data_and_no_secret(
    channel: str, webhook: bool, tmp_path: Path
) -> None:
    port = free_port()
    mode = (
        ["--webhook", "--webhook-url", f"http://127.0.0.1:{port}/tg", "--listen", f"127.0.0.1:{port}"]
        if webhook
        else []
    )
    async with FakeTelegram(token=TOKEN) as tg:
        status, log = await run_and_stop(tmp_path, tg, "--channel", channel, *mode)
        registered = tg.calls_to("setWebhook")
    assert status == 0, log[-3000:]
    secrets = {"the token": TOKEN, "the token's secret part": TOKEN.partition(":")[2]}
    if webhook:
        [setting] = registered
        secrets["the webhook secret"] = str(setting["secret_token"])
    assert leaks(log, {**secrets, **personal_data()}) == []
    assert "DEBUG bot.channels.telegram.translate: update" in log, "the bot's own loggers log at DEBUG"
    assert "[secret]" not in log, "nothing needed masking: the libraries that log secrets are quiet"


@pytest.mark.parametrize("channel", CHANNELS)
async def test_a_token_rejected_at_start_stays_out_of_a_debug_log(channel: str, tmp_path: Path) -> None:
    async with FakeTelegram(token="1111:theRightOne") as tg:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            "--channel",
            channel,
            env=environment(tmp_path, DT4E_TELEGRAM_TOKEN=TOKEN, DT4E_TELEGRAM_API_BASE=tg.base_url),
            cwd=tmp_path,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(process.communicate(), 60)
    log = err.decode(errors="replace")
    assert process.returncode == 2, log[-3000:]
    assert "rejected the token" in log
    assert leaks(log, {"the token": TOKEN, "the token's secret part": TOKEN.partition(":")[2]}) == []


SCRIPT = """
import logging
from bot.basics import logs

logs.keep_secret(TOKEN)
logs.keep_secret("webhook-Secret_of-this-run")
logs.configure("DEBUG")
for name in ("httpx", "httpcore.http11", "telegram.ext.ExtBot", "aiosqlite", "sqlalchemy.engine.Engine"):
    logging.getLogger(name).info("%s quiet: " + TOKEN, name)
    logging.getLogger(name).warning("%s warns", name)
logging.getLogger("bot.channels.telegram.bridge").debug("bot debug")
logging.getLogger("storage.store").debug("storage debug")
try:
    raise RuntimeError("POST http://127.0.0.1/bot" + TOKEN + "/setWebhook webhook-Secret_of-this-run")
except RuntimeError:
    logging.getLogger("bot.app").exception("failed")
raise ConnectionError("at the end: " + TOKEN.partition(":")[2])
"""


def test_quiet_libraries_masked_secrets_and_a_masked_last_traceback(tmp_path: Path) -> None:
    script = f"TOKEN = {TOKEN!r}\n" + textwrap.dedent(SCRIPT)
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=tmp_path,
        timeout=30,
    )
    log = result.stderr
    assert result.returncode == 1, log
    assert "quiet" not in log, "below WARNING, these libraries write nothing"
    for name in ("httpx", "httpcore.http11", "telegram.ext.ExtBot", "aiosqlite", "sqlalchemy.engine.Engine"):
        assert f"WARNING {name}: {name} warns" in log
    assert "DEBUG bot.channels.telegram.bridge: bot debug" in log
    assert "DEBUG storage.store: storage debug" in log
    assert "ERROR bot.app: failed\nTraceback" in log
    assert "POST http://127.0.0.1/bot[secret]/setWebhook [secret]" in log
    assert "ConnectionError: at the end: [secret]" in log
    assert (
        leaks(
            log,
            {
                "the token": TOKEN,
                "its secret part": TOKEN.partition(":")[2],
                "the webhook secret": "webhook-Secret_of-this-run",
            },
        )
        == []
    )
