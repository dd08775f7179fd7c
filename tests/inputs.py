"""Building the core's input in tests the way a channel does."""

from __future__ import annotations

from datetime import datetime

from bot.core.inbound import ButtonPressed, Inbound, MediaSent, UserRef, typed


def inbound(
    user: UserRef,
    at: datetime,
    *,
    text: str | None = None,
    press: str | None = None,
    media: str | None = None,
    hint: str | None = None,
    update_id: str | None = None,
) -> Inbound:
    """A typed ``text`` (a command when it starts with ``/``), a pressed button's data, or media."""
    envelope = {"user": user, "at": at, "language_hint": hint, "update_id": update_id}
    if press is not None:
        return ButtonPressed(data=press, user=user, at=at, language_hint=hint, update_id=update_id)
    if media is not None:
        return MediaSent(kind=media, user=user, at=at, language_hint=hint, update_id=update_id)
    return typed(text or "", **envelope)  # type: ignore[arg-type]
