"""``.env.example`` lists every setting of :mod:`bot.settings`, each under a line saying what it
means and at its default, and nothing else."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.basics.errors import ConfigurationError
from bot.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / ".env.example"
ASSIGNMENT = re.compile(r"^(?:# )?(DT4E_[A-Z0-9_]+)=(.*)$")


def settings_names() -> set[str]:
    return {f"DT4E_{name.upper()}" for name in Settings.model_fields}


def lines() -> list[str]:
    return EXAMPLE.read_text(encoding="utf-8").splitlines()


@pytest.fixture(autouse=True)
def no_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in settings_names():
        monkeypatch.delenv(name, raising=False)


def test_it_names_every_setting_and_no_other() -> None:
    named = set(re.findall(r"DT4E_[A-Z0-9_]+", EXAMPLE.read_text(encoding="utf-8")))
    assigned = [found[1] for line in lines() if (found := ASSIGNMENT.match(line))]
    assert sorted(settings_names() - named) == [], "settings missing from .env.example"
    assert sorted(named - settings_names()) == [], ".env.example names what is not a setting"
    assert sorted(assigned) == sorted(settings_names()), "each setting has one line of its own"


def test_each_setting_has_a_line_saying_what_it_means() -> None:
    text = lines()
    for number, line in enumerate(text):
        if ASSIGNMENT.match(line):
            meaning = text[number - 1]
            assert meaning.startswith("# "), f"line {number}: say what {line} means"
            assert not ASSIGNMENT.match(meaning), f"line {number}: say what {line} means"
            assert len(meaning) > 20, f"line {number}: say what {line} means"


def test_each_setting_is_shown_at_its_default(tmp_path: Path) -> None:
    """Every line uncommented (those with no value left out: unset) gives the defaults."""
    shown = [f"{found[1]}={found[2]}" for line in lines() if (found := ASSIGNMENT.match(line)) and found[2]]
    assert len(shown) > 10
    uncommented = tmp_path / ".env"
    uncommented.write_text("\n".join(shown) + "\n", encoding="utf-8")
    assert load_settings(env_file=uncommented) == load_settings(env_file=None)


def test_the_file_as_shipped_loads_as_the_defaults() -> None:
    assert load_settings(env_file=EXAMPLE) == load_settings(env_file=None)


@pytest.fixture
def bot_folder() -> Iterator[Path]:
    """A folder another user can enter (pytest's tmp_path is its owner's only)."""
    folder = Path(tempfile.mkdtemp(prefix="dt4e-env-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


@contextlib.contextmanager
def as_nobody() -> Iterator[None]:
    """Root reads any file: be nobody for a moment (a user who is not root already stays)."""
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)


def test_a_env_file_this_user_may_not_read_is_one_line(bot_folder: Path) -> None:
    """As the README sets it up, .env is for root and the bot's user: anyone else is told so."""
    env = bot_folder / ".env"
    env.write_text("DT4E_CONTACT=dt4e@example.org\n", encoding="utf-8")
    env.chmod(0o600 if os.geteuid() == 0 else 0)
    load_settings(env_file=None)  # everything it imports is imported, before nobody could not
    with as_nobody(), pytest.raises(ConfigurationError) as raised:
        load_settings(env_file=env)
    assert str(raised.value) == (
        f"{env}: cannot read it (Permission denied); run dt4e-bot as the bot's own user"
    )
