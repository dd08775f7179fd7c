from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.basics.errors import ConfigurationError
from bot.basics.lang import Lang
from bot.settings import DEFAULT_DATABASE_URL, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: pytest.TempPathFactory) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("DT4E_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(str(tmp_path))  # no stray .env


def test_defaults_need_nothing() -> None:
    settings = load_settings()
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.telegram_token is None
    assert settings.default_language is Lang.EN
    assert settings.staff_ids == frozenset()


def test_values_come_from_the_environment_and_a_dotenv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DT4E_STAFF_IDS", "12, 34")
    monkeypatch.setenv("DT4E_DEFAULT_LANGUAGE", "ar")
    with open(".env", "w") as fh:
        fh.write("DT4E_TELEGRAM_TOKEN=123:abc\n")
    settings = load_settings()
    assert settings.staff_ids == frozenset({12, 34})
    assert settings.default_language is Lang.AR
    assert settings.telegram_token is not None
    assert settings.telegram_token.get_secret_value() == "123:abc"


def test_the_environment_wins_over_the_dotenv_and_names_may_be_in_any_case(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with open(".env", "w") as fh:
        fh.write("DT4E_CONTACT=from-the-file\nDT4E_LOG_LEVEL=debug\ndt4e_bot_username=@from_the_file\n")
        fh.write("DT4E_NO_SUCH_SETTING=ignored\nOTHER=ignored\n")
    monkeypatch.setenv("DT4E_CONTACT", "from-the-environment")
    monkeypatch.setenv("dt4e_invitation_days", "12")
    settings = load_settings()
    assert settings.contact == "from-the-environment"
    assert settings.log_level == "DEBUG", "a line of the file the environment does not set"
    assert settings.bot_username == "from_the_file"
    assert settings.invitation_days == 12
    assert load_settings(env_file=None).log_level == "INFO", "no file: only the environment"
    assert load_settings(contact="given").contact == "given", "what the code passes wins"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DT4E_DEFAULT_LANGUAGE", "de", "DT4E_DEFAULT_LANGUAGE: expected one of ar, en, fr"),
        ("DT4E_STAFF_IDS", "12,bob", "DT4E_STAFF_IDS: expected comma-separated numeric Telegram user ids"),
        ("DT4E_DATABASE_URL", "sqlite:///x.db", "DT4E_DATABASE_URL: expected an async driver"),
        ("DT4E_DATABASE_URL", "not a url", "DT4E_DATABASE_URL: expected an SQLAlchemy URL"),
        (
            "DT4E_TELEGRAM_API_BASE",
            "127.0.0.1:8081",
            "DT4E_TELEGRAM_API_BASE: expected an http:// or https:// URL",
        ),
        ("DT4E_STAFF_CHAT_ID", "general", "DT4E_STAFF_CHAT_ID:"),
    ],
)
def test_a_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_a_bad_token_is_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DT4E_TELEGRAM_TOKEN", "secret-without-colon")
    with pytest.raises(ConfigurationError, match="DT4E_TELEGRAM_TOKEN") as caught:
        load_settings()
    assert "secret-without-colon" not in str(caught.value)


def test_a_webhook_secret_is_optional_and_kept_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().webhook_secret is None
    monkeypatch.setenv("DT4E_WEBHOOK_SECRET", "A-z_09" * 40)
    secret = load_settings().webhook_secret
    assert secret is not None
    assert secret.get_secret_value() == "A-z_09" * 40
    assert "A-z_09" not in repr(load_settings())


@pytest.mark.parametrize("value", ["has spaces", "x" * 257, "ünïcode", "semi;colon"])
def test_a_bad_webhook_secret_is_named_but_not_echoed(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("DT4E_WEBHOOK_SECRET", value)
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert str(caught.value).startswith("DT4E_WEBHOOK_SECRET: expected 1 to 256 characters among A-Z")
    assert value not in str(caught.value)


@given(
    st.one_of(
        st.text(max_size=60),
        st.builds(
            "{}://{}{}".format,
            st.sampled_from(["sqlite+aiosqlite", "postgresql+asyncpg", "postgresql", "my+drv", "x"]),
            st.text(alphabet="ab:@/[]?.=1", max_size=12),
            st.text(max_size=12),
        ),
    )
)
def test_the_quick_database_url_check_accepts_only_what_sqlalchemy_accepts(value: str) -> None:
    """``ask`` and ``check`` read the settings without loading SQLAlchemy; whatever that quick
    check lets through, SQLAlchemy's parser reads as an async driver's URL."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from bot.settings import _plainly_async_url

    if _plainly_async_url(value):
        try:
            url = make_url(value)
        except (ArgumentError, ValueError) as exc:
            raise AssertionError(f"{value!r} passed the quick check, but SQLAlchemy refuses it") from exc
        assert url.drivername not in {"sqlite", "postgresql", "postgres"}
