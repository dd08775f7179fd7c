"""The one retry policy of every Bot API call, and how each framework's errors read as its
failures (no network here)."""

from __future__ import annotations

from datetime import timedelta

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

from bot.channels.telegram import aiogram as aiogram_channel
from bot.channels.telegram import ptb as ptb_channel
from bot.channels.telegram.delivery import ApiFailure, DeliveryFailed, Failure, RetryPolicy, deliver


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


async def test_ptb_errors_are_logged_without_the_users_message(caplog: pytest.LogCaptureFixture) -> None:
    """python-telegram-bot hands its error handler the whole update: text, names and all."""
    from types import SimpleNamespace

    from telegram import Update

    channel = ptb_channel.PtbChannel(
        SimpleNamespace(broadcasting=None),
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
