"""Every Bot API call goes through :func:`deliver`, the one retry policy:

====================  ==================================================================
Telegram answers       the channel
====================  ==================================================================
429, retry_after=N     sleeps exactly N seconds and retries that request only
                       (``flood_retries`` times at most); an N over ``max_flood_wait``
                       gives up at once (a reply then waits in the outbox for the sweep
                       instead of holding its chat)
403, 400 chat not      stops sending this reply and marks the user unreachable (broadcasts
found                  skip them until they write again)
5xx, timeout,          backs off 0.5, 1, 2, 4, 8 s (``attempts`` tries in all), then gives
dropped connection     up with a logged error
any other error        logs it; no retry
====================  ==================================================================

Each framework adapter implements :class:`BotApi` and reads its own exceptions as
:class:`ApiFailure` (``classify``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, TypeVar

from bot.basics.errors import AssistantError
from bot.channels.telegram.render import Outgoing

log = logging.getLogger(__name__)

T = TypeVar("T")


class Failure(StrEnum):
    """What a failed Bot API call means for the caller."""

    FLOOD = "flood"  # 429: wait retry_after, then the same request works
    UNREACHABLE = "unreachable"  # 403, or 400 chat not found: the user cannot be reached
    TRANSIENT = "transient"  # 5xx, timeout, dropped connection: try again later
    REJECTED = "rejected"  # any other 4xx: retrying the same request cannot help


@dataclass(frozen=True, slots=True)
class ApiFailure:
    kind: Failure
    description: str
    code: int | None = None  # the HTTP status, when there was one
    retry_after: float = 0.0


def is_chat_not_found(description: str) -> bool:
    return "chat not found" in description.lower()


class DeliveryFailed(AssistantError):
    """A Bot API call failed for good (after the retries the policy allows)."""

    def __init__(self, what: str, failure: ApiFailure) -> None:
        super().__init__(f"{what}: {failure.description}")
        self.what = what
        self.failure = failure


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How :func:`deliver` retries; the defaults suit production, tests pass shorter delays."""

    attempts: int = 6
    """Tries of one request that keeps failing with 5xx, timeouts or dropped connections."""
    first_backoff: float = 0.5
    """Seconds before the second try; doubled before each further try ..."""
    max_backoff: float = 8.0
    """... up to this many seconds."""
    flood_retries: int = 5
    """429s honoured for one request before giving up on it."""
    max_flood_wait: float = 10.0
    """The longest ``retry_after`` waited for in place; a longer one gives up at once."""

    def backoff(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1, 2, ...)."""
        return float(min(self.first_backoff * 2 ** (retry - 1), self.max_backoff))


Classify = Callable[[Exception], ApiFailure | None]
"""A framework's reading of its exceptions; ``None`` means "not a Bot API failure"."""

Sleep = Callable[[float], Awaitable[None]]


async def deliver(
    call: Callable[[], Awaitable[T]],
    classify: Classify,
    policy: RetryPolicy,
    *,
    what: str,
    sleep: Sleep = asyncio.sleep,
    on_flood: Callable[[float], None] | None = None,
) -> T:
    """Make one Bot API call under the retry policy (see the module docstring).

    Raises :class:`DeliveryFailed` when the call cannot succeed; an exception that ``classify``
    does not know propagates unchanged. ``on_flood`` hears of every 429 (the pacer slows the
    broadcasts down).
    """
    transient = floods = 0
    while True:
        try:
            return await call()
        except Exception as exc:
            failure = classify(exc)
            if failure is None:
                raise
            error = exc
        if failure.kind is Failure.FLOOD and on_flood is not None:
            on_flood(failure.retry_after)
        if (
            failure.kind is Failure.FLOOD
            and floods < policy.flood_retries
            and failure.retry_after <= policy.max_flood_wait
        ):
            floods += 1
            log.warning("%s: flood control, retrying in %s s", what, failure.retry_after)
            await sleep(failure.retry_after)
        elif failure.kind is Failure.TRANSIENT and transient + 1 < policy.attempts:
            transient += 1
            delay = policy.backoff(transient)
            log.warning("%s: %s; retrying in %s s", what, failure.description, delay)
            await sleep(delay)
        else:
            raise DeliveryFailed(what, failure) from error


class BotApi(Protocol):
    """The Bot API calls a channel makes, in the framework's own terms."""

    async def connect(self) -> str:
        """Check the token (getMe); return the bot's username."""
        ...

    async def send(self, chat_id: int, message: Outgoing) -> int:
        """Send one message; its message id."""
        ...

    async def edit(self, chat_id: int, message: Outgoing) -> None:
        """Change the bot's message ``message.edits`` into ``message`` (editMessageText), or only
        its keyboard when it has no text (editMessageReplyMarkup)."""
        ...

    async def answer_callback(self, query_id: str, text: str = "") -> None:
        """answerCallbackQuery, with a short notice shown over the chat when ``text`` is given."""
        ...

    async def set_commands(
        self, commands: Sequence[tuple[str, str]], language_code: str | None, chat_id: int | None = None
    ) -> None:
        """setMyCommands for everyone, or for one chat (``chat_id``); ``language_code`` ``None``
        is the menu for clients in other languages."""
        ...

    async def set_description(self, description: str, short: str, language_code: str | None) -> None:
        """setMyDescription and setMyShortDescription, for clients in ``language_code``."""
        ...

    def classify(self, error: Exception) -> ApiFailure | None: ...
