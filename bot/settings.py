"""Settings from environment variables prefixed ``DT4E_`` or a ``.env`` file.

The variables are read here (:func:`_environment`: names in any case, the environment before
``.env``, python-dotenv's reading of the file) and validated by a pydantic model: the same as
pydantic-settings does for these fields, without its 130 ms of imports at every start
(``dt4e-bot ask``, BENCHMARKS.md, Start-up).

Every setting is documented in the README's "For deployers" section and in ``.env.example``
(``tests/test_env_example.py`` keeps the file complete). A bad value stops start-up with
one line naming the variable and what is expected (:func:`load_settings`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from bot.basics.errors import ConfigurationError
from bot.basics.lang import Lang

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/dt4e-bot.db"
PUBLIC_BOT_API = "https://api.telegram.org"
SECRETS = frozenset({"DT4E_TELEGRAM_TOKEN", "DT4E_WEBHOOK_SECRET"})
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
# SQLAlchemy's own URL pattern (sqlalchemy.engine.url._parse_url), for the common case below.
_DATABASE_URL = re.compile(
    r"""
        (?P<name>[\w\+]+)://
        (?:
            (?P<username>[^:/]*)
            (?::(?P<password>[^@]*))?
        @)?
        (?:
            (?:
                \[(?P<ipv6host>[^/\?]+)\] |
                (?P<ipv4host>[^/:\?]+)
            )?
            (?::(?P<port>[^/\?]*))?
        )?
        (?:/(?P<database>[^\?]*))?
        (?:\?(?P<query>.*))?
    """,
    re.X,
)
_SYNC_DRIVERS = frozenset({"sqlite", "postgresql", "postgres"})


def _plainly_async_url(value: str) -> bool:
    """Whether SQLAlchemy's ``make_url`` surely parses ``value`` into a driver other than the
    synchronous ones refused below; anything else takes the full check, with SQLAlchemy."""
    found = _DATABASE_URL.match(value)
    if found is None or found["name"] in _SYNC_DRIVERS:
        return False
    port = found["port"]
    return port is None or re.fullmatch(r"[0-9]+", port) is not None


def check_database_url(value: str) -> str:
    """``value`` if it is an SQLAlchemy URL with an async driver, else :class:`ValueError`
    saying what is expected (``DT4E_DATABASE_URL``, and ``dt4e-bot db copy --to``)."""
    if _plainly_async_url(value):
        return value  # what make_url would accept, without loading SQLAlchemy (dt4e-bot ask, check)
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(value)
    except ArgumentError as exc:
        raise ValueError("expected an SQLAlchemy URL such as sqlite+aiosqlite:///data/dt4e-bot.db") from exc
    if url.drivername in _SYNC_DRIVERS:
        raise ValueError(
            f"expected an async driver such as sqlite+aiosqlite or postgresql+asyncpg, got {url.drivername}"
        )
    return value


PREFIX = "DT4E_"
ENV_FILE = ".env"


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore", validate_default=True)

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path.db or postgresql+asyncpg://user:pw@host/db",
    )
    telegram_token: SecretStr | None = Field(default=None, description="the bot token from @BotFather")
    telegram_api_base: str = Field(default=PUBLIC_BOT_API, description="Bot API server base URL")
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="webhook mode: the secret Telegram sends with each update; random per start if unset",
    )
    default_language: Lang = Field(default=Lang.EN, description="reply language before a user chooses one")
    staff_ids: frozenset[int] = Field(
        default=frozenset(), description="comma-separated Telegram user ids of programme staff"
    )
    staff_chat_id: int | None = Field(default=None, description="Telegram chat where staff are notified")
    contact: str = Field(default="", description="how employers reach the programme team (shown in answers)")
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR")
    bot_username: str = Field(
        default="", description="the bot's @username, for invitation links (else asked from Telegram)"
    )
    invitation_days: int = Field(default=30, ge=1, le=365, description="how long an invitation link works")
    send_rate: float = Field(
        default=25.0,
        gt=0,
        le=1000,
        description="messages a second for the whole bot, replies and broadcasts (Telegram allows about 30)",
    )
    max_in_flight: int = Field(
        default=16,
        ge=1,
        le=256,
        description="updates whose turns are computed at once (the database pool is sized to it)",
    )
    daytime: str = Field(
        default="08-21", description="local hours in which broadcasts and follow-ups may reach people"
    )
    timezone: str = Field(
        default="Europe/Brussels", description="time zone of participants imported without one"
    )
    follow_up_months_talent: tuple[int, ...] = Field(
        default=(1, 3, 6, 12), description="months after the job start when talents get their follow-up"
    )
    follow_up_months_employer: tuple[int, ...] = Field(
        default=(1, 3, 6, 12), description="months after the job start when employers get theirs"
    )
    follow_up_hour: int = Field(default=10, description="local hour at which a follow-up goes out")
    follow_up_grace_days: int = Field(
        default=3, ge=0, le=60, description="a follow-up missed while the bot was down goes out this late"
    )
    reminder_days: int = Field(
        default=7, ge=0, le=60, description="days before one reminder of an unanswered follow-up (0: none)"
    )
    flood_limit: int = Field(
        default=20,
        ge=0,
        le=1000,
        description="typed messages from one person within 10 seconds that are answered (0: no limit)",
    )
    journal_dir: Path = Field(
        default=Path("data/journal"),
        description="folder where each running bot writes down the replies Telegram accepted, until the "
        "database has them (a restart then sends none twice)",
    )
    keep_questions_days: int = Field(
        default=180,
        ge=1,
        le=3650,
        description="days unanswered questions and 👍 / 👎 feedback are kept, then deleted",
    )

    @field_validator("daytime")
    @classmethod
    def _daytime(cls, value: str) -> str:
        from bot.basics.calendar import Daytime

        return str(Daytime.parse(value))

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                "expected an IANA time zone name, such as Europe/Brussels or Asia/Amman"
            ) from None
        return value

    @field_validator("follow_up_months_talent", "follow_up_months_employer", mode="before")
    @classmethod
    def _months(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            if not all(p.isdigit() and 0 < int(p) <= 120 for p in parts):
                raise ValueError("expected comma-separated months from 1 to 120, such as 1,3,6,12")
            return tuple(sorted({int(p) for p in parts}))
        return value

    @field_validator("follow_up_hour")
    @classmethod
    def _hour(cls, value: int) -> int:
        from bot.basics.calendar import DAYTIME

        if not DAYTIME.start <= value < DAYTIME.end:
            raise ValueError(f"expected a daytime hour, from {DAYTIME.start} to {DAYTIME.end - 1}")
        return value

    @field_validator("bot_username")
    @classmethod
    def _username(cls, value: str) -> str:
        value = value.strip().removeprefix("@")
        if value and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{3,31}", value):
            raise ValueError("expected the bot's Telegram username, such as dt4e_bot")
        return value

    @field_validator("database_url")
    @classmethod
    def _async_url(cls, value: str) -> str:
        return check_database_url(value)

    @field_validator("telegram_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        bot_id, _, secret = value.get_secret_value().partition(":")
        if not bot_id.isdigit() or not secret:
            raise ValueError("expected a token from @BotFather, shaped like 123456:ABC-DEF")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not _WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("expected 1 to 256 characters among A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return value

    @field_validator("telegram_api_base")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("staff_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            if not all(p.lstrip("-").isdigit() for p in parts):
                raise ValueError("expected comma-separated numeric Telegram user ids, such as 1234,5678")
            return frozenset(int(p) for p in parts)
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("expected DEBUG, INFO, WARNING or ERROR")
        return value.upper()

    @property
    def sqlite_path(self) -> Path | None:
        from sqlalchemy.engine import make_url

        url = make_url(self.database_url)
        return Path(url.database) if url.get_backend_name() == "sqlite" and url.database else None


def load_settings(env_file: Path | str | None = ENV_FILE, **overrides: Any) -> Settings:
    """Read the settings from the environment and ``env_file`` (``None``: no file), with
    ``overrides`` winning; a bad value raises :class:`ConfigurationError` with one clear line."""
    try:
        return Settings(**(_environment(env_file) | overrides))
    except OSError as exc:  # a .env file that is there but that this user may not read
        raise ConfigurationError(
            f"{exc.filename}: cannot read it ({exc.strerror}); run dt4e-bot as the bot's own user"
        ) from exc
    except ValidationError as exc:
        error = exc.errors()[0]
        name = "DT4E_" + "_".join(str(part) for part in error["loc"][:1]).upper()
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "enum":
            message = "expected one of " + ", ".join(lang.value for lang in Lang)
        got = "" if name in SECRETS else f" (got {error.get('input')!r})"
        raise ConfigurationError(f"{name}: {message}{got}") from exc


def _environment(env_file: Path | str | None) -> dict[str, str]:
    """The settings' variables by field name, from ``env_file`` (when there is one) and then
    the environment, which wins; names in any case, unknown ``DT4E_`` names ignored."""
    names = {PREFIX + name.upper(): name for name in Settings.model_fields}
    found: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        from dotenv import dotenv_values

        for key, value in dotenv_values(env_file, encoding="utf-8").items():
            if value is not None and key.upper() in names:
                found[names[key.upper()]] = value
    for key, value in os.environ.items():
        if key.upper() in names:
            found[names[key.upper()]] = value
    return found
