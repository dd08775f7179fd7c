"""The framework-neutral part of the Telegram channels: the retry policy, rendering, the reading
of each framework's errors, and the translation rules (no network here)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
import telegram.error
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import SendMessage

from bot.channels import aiogram as aiogram_channel
from bot.channels import ptb as ptb_channel
from bot.channels.telegram import (
    ApiFailure,
    DeliveryFailed,
    Failure,
    Incoming,
    Outgoing,
    RetryPolicy,
    button_event,
    check_webhook_url,
    deliver,
    media_kind,
    message_event,
    new_webhook_secret,
    parse_listen,
    render,
)
from bot.core.types import Attachment, Button, Lang, ReplyCreated

WHEN = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class Script:
    """A Bot API call that fails with the given exceptions, then answers "ok"."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def read(error: Exception) -> ApiFailure | None:
    """A classification for the tests: the failure rides on a KeyError, anything else is unknown."""
    if isinstance(error, KeyError):
        failure = error.args[0]
        assert isinstance(failure, ApiFailure)
        return failure
    return None


def failing(kind: Failure, retry_after: float = 0.0) -> KeyError:
    return KeyError(ApiFailure(kind, f"{kind} happened", retry_after=retry_after))


# The retry policy ---------------------------------------------------------------------------


async def test_flood_control_sleeps_exactly_retry_after_each_time() -> None:
    call, sleeps = Script(failing(Failure.FLOOD, 3), failing(Failure.FLOOD, 7)), Sleeps()
    assert await deliver(call, read, RetryPolicy(), what="sendMessage", sleep=sleeps) == "ok"
    assert sleeps.delays == [3, 7]
    assert call.calls == 3


async def test_transient_failures_back_off_exponentially_then_give_up() -> None:
    policy = RetryPolicy()
    call, sleeps = Script(*[failing(Failure.TRANSIENT)] * 10), Sleeps()
    with pytest.raises(DeliveryFailed) as failed:
        await deliver(call, read, policy, what="sendMessage", sleep=sleeps)
    assert sleeps.delays == [0.5, 1, 2, 4, 8]
    assert call.calls == policy.attempts == 6
    assert failed.value.failure.kind is Failure.TRANSIENT
    assert str(failed.value) == "sendMessage: transient happened"


async def test_the_backoff_is_capped() -> None:
    policy = RetryPolicy(attempts=9, first_backoff=1, max_backoff=5)
    assert [policy.backoff(n) for n in range(1, 9)] == [1, 2, 4, 5, 5, 5, 5, 5]


async def test_flood_waits_are_bounded_too() -> None:
    call, sleeps = Script(*[failing(Failure.FLOOD, 1)] * 5), Sleeps()
    with pytest.raises(DeliveryFailed):
        await deliver(call, read, RetryPolicy(flood_retries=2), what="x", sleep=sleeps)
    assert sleeps.delays == [1, 1]


@pytest.mark.parametrize("kind", [Failure.UNREACHABLE, Failure.REJECTED])
async def test_permanent_failures_are_not_retried(kind: Failure) -> None:
    call, sleeps = Script(failing(kind)), Sleeps()
    with pytest.raises(DeliveryFailed) as failed:
        await deliver(call, read, RetryPolicy(), what="x", sleep=sleeps)
    assert (call.calls, sleeps.delays, failed.value.failure.kind) == (1, [], kind)


async def test_errors_that_are_not_bot_api_failures_propagate() -> None:
    call = Script(ZeroDivisionError("a bug"))
    with pytest.raises(ZeroDivisionError):
        await deliver(call, read, RetryPolicy(), what="x", sleep=Sleeps())


# Rendering ----------------------------------------------------------------------------------


def test_a_short_reply_is_one_message_with_its_keyboard() -> None:
    buttons = ((Button("English", "lang:en"),),)
    assert render(ReplyCreated("Hello", Lang.EN, buttons)) == [Outgoing("Hello", buttons)]


def test_a_long_reply_is_split_with_the_keyboard_on_the_last_part_then_the_files() -> None:
    text = "\n\n".join(f"paragraph {n} " + "x" * 1500 for n in range(6))
    chart = Attachment("image", "chart.png", b"\x89PNG", "Answers per week")
    buttons = ((Button("Menu", "menu:main"),),)
    messages = render(ReplyCreated(text, Lang.EN, buttons, (chart,)))
    parts, files = messages[:-1], messages[-1:]
    assert len(parts) == 3
    assert all(len(m.text) <= 4096 and m.text.startswith("paragraph") for m in parts)
    assert [m.buttons for m in parts] == [(), (), buttons]
    assert files == [Outgoing(attachment=chart)]


def test_an_empty_text_sends_nothing() -> None:
    assert render(ReplyCreated("  ", Lang.EN)) == []


# Reading each framework's errors ------------------------------------------------------------


METHOD = SendMessage(chat_id=42, text="hi")


@pytest.mark.parametrize(
    ("error", "kind", "retry_after"),
    [
        (TelegramRetryAfter(METHOD, "Too Many Requests: retry after 5", 5), Failure.FLOOD, 5.0),
        (TelegramForbiddenError(METHOD, "Forbidden: bot was blocked by the user"), Failure.UNREACHABLE, 0),
        (TelegramBadRequest(METHOD, "Bad Request: chat not found"), Failure.UNREACHABLE, 0),
        (TelegramBadRequest(METHOD, "Bad Request: message is too long"), Failure.REJECTED, 0),
        (TelegramUnauthorizedError(METHOD, "Unauthorized"), Failure.REJECTED, 0),
        (TelegramServerError(METHOD, "Internal Server Error"), Failure.TRANSIENT, 0),
        (TelegramNetworkError(METHOD, "Request timeout error"), Failure.TRANSIENT, 0),
    ],
)
def test_aiogram_errors(error: Exception, kind: Failure, retry_after: float) -> None:
    failure = aiogram_channel.classify(error)
    assert failure is not None
    assert (failure.kind, failure.retry_after) == (kind, retry_after)
    assert aiogram_channel.classify(RuntimeError("not Telegram")) is None


@pytest.mark.parametrize(
    ("error", "kind", "retry_after"),
    [
        (telegram.error.RetryAfter(timedelta(seconds=5)), Failure.FLOOD, 5.0),
        (telegram.error.Forbidden("Forbidden: bot was blocked by the user"), Failure.UNREACHABLE, 0),
        (telegram.error.BadRequest("Chat not found"), Failure.UNREACHABLE, 0),
        (telegram.error.BadRequest("Message is too long"), Failure.REJECTED, 0),
        (telegram.error.NetworkError("Internal Server Error (500)"), Failure.TRANSIENT, 0),
        (telegram.error.NetworkError("Bad Gateway"), Failure.TRANSIENT, 0),
        (telegram.error.TimedOut(), Failure.TRANSIENT, 0),
        (telegram.error.Conflict("terminated by other getUpdates request"), Failure.REJECTED, 0),
    ],
)
def test_ptb_errors(error: Exception, kind: Failure, retry_after: float) -> None:
    failure = ptb_channel.classify(error)
    assert failure is not None
    assert (failure.kind, failure.retry_after) == (kind, retry_after)
    assert ptb_channel.classify(RuntimeError("not Telegram")) is None


def test_a_rejected_token_is_never_repeated_in_messages() -> None:
    failure = ptb_channel.classify(telegram.error.InvalidToken("The token `123:abc` was rejected"))
    assert failure is not None
    assert (failure.kind, failure.code) == (Failure.REJECTED, 401)
    assert "123:abc" not in failure.description


# Translation rules --------------------------------------------------------------------------


def message(
    *,
    chat_type: str = "private",
    chat_id: int = 42,
    user_id: int | None = 42,
    text: str | None = "hello",
    media: str | None = None,
) -> Incoming | None:
    amman = timezone(timedelta(hours=3))
    return message_event(
        update_id=7,
        user_id=user_id,
        chat_id=chat_id,
        chat_type=chat_type,
        at=WHEN.astimezone(amman),
        text=text,
        media=media,
        language_code="ar",
    )


def test_a_private_text_becomes_an_inbound_event() -> None:
    incoming = message()
    assert incoming is not None
    inbound = incoming.inbound
    assert (inbound.user.key, inbound.text, inbound.language_hint, inbound.update_id) == (
        "telegram:42",
        "hello",
        "ar",
        "7",
    )
    assert (inbound.at, inbound.at.tzinfo) == (WHEN, UTC)
    assert incoming.chat_id == 42
    assert incoming.callback_query_id is None


def test_media_wins_over_its_caption_and_groups_and_service_messages_are_ignored() -> None:
    photo = message(text="my passport", media="photo")
    assert photo is not None
    assert (photo.inbound.media, photo.inbound.text) == ("photo", None)
    assert message(chat_type="group", chat_id=-5) is None
    assert message(text=None, media=None) is None
    assert message(user_id=None) is None


def test_a_button_without_data_reads_as_expired_and_old_messages_still_count() -> None:
    pressed = button_event(
        update_id=8, query_id="q1", user_id=42, chat_type=None, data=None, language_code=None, at=WHEN
    )
    assert pressed is not None
    assert (pressed.inbound.choice, pressed.callback_query_id, pressed.chat_id) == ("", "q1", 42)
    in_group = button_event(
        update_id=9, query_id="q2", user_id=42, chat_type="group", data="lang:en", language_code=None, at=WHEN
    )
    assert in_group is None


class Shaped:
    def __init__(self, **fields: object) -> None:
        self.__dict__.update(fields)


def test_media_kind_prefers_the_most_specific_field() -> None:
    assert media_kind(Shaped(venue={"title": "IOM"}, location={"latitude": 1})) == "venue"
    assert media_kind(Shaped(animation={"file_id": "a"}, document={"file_id": "a"})) == "animation"
    assert media_kind(Shaped(text="hi", photo=None)) is None


def test_the_shared_module_imports_neither_framework() -> None:
    from tests.test_architecture import ROOT, imported_modules

    assert imported_modules(ROOT / "bot/channels/telegram.py") & {"aiogram", "telegram"} == set()
    assert "aiogram" in imported_modules(ROOT / "bot/channels/aiogram.py")


# Webhook settings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("listen", "expected"),
    [("0.0.0.0:8080", ("0.0.0.0", 8080)), (":8443", ("0.0.0.0", 8443)), ("[::1]:88", ("::1", 88))],
)
def test_listen_addresses(listen: str, expected: tuple[str, int]) -> None:
    assert parse_listen(listen) == expected


@pytest.mark.parametrize("listen", ["8080", "host:", "host:http", "host:70000"])
def test_bad_listen_addresses(listen: str) -> None:
    with pytest.raises(ValueError, match="expected HOST:PORT"):
        parse_listen(listen)


def test_webhook_urls_and_secrets() -> None:
    assert check_webhook_url("https://bot.example.org/telegram") == "https://bot.example.org/telegram"
    with pytest.raises(ValueError, match="public https:// URL"):
        check_webhook_url("bot.example.org/telegram")
    secret = new_webhook_secret()
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret)
    assert secret != new_webhook_secret()


async def test_ptb_errors_are_logged_without_the_users_message(caplog: pytest.LogCaptureFixture) -> None:
    """python-telegram-bot hands its error handler the whole update: text, names and all."""
    from types import SimpleNamespace

    from telegram import Update

    channel = ptb_channel.PtbChannel(
        SimpleNamespace(),
        token="123456:TEST",
        api_base="http://127.0.0.1:9",
    )
    update = Update.de_json(
        {
            "update_id": 77,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 5, "type": "private"},
                "from": {"id": 5, "is_bot": False, "first_name": "Rania"},
                "text": "my passport number is N1234567",
            },
        },
        None,
    )
    context = SimpleNamespace(error=RuntimeError("boom"))
    with caplog.at_level("ERROR"):
        await channel._on_error(update, context)  # type: ignore[arg-type]
    assert "update 77" in caplog.text
    assert "N1234567" not in caplog.text
    assert "Rania" not in caplog.text
