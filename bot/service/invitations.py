"""Invitation tokens: what a deep link carries, and what the database keeps of it.

A token is 32 characters of ``A-Za-z0-9_-`` (192 random bits), within Telegram's 64 for a
``start`` parameter. Only its SHA-256 is stored, so a copy of the database opens no account.
"""

from __future__ import annotations

import hashlib
import secrets

from bot.core.inbound import TOKEN, CommandSent, Inbound, InvitationOpened
from bot.service.ports import Transaction


def new_token() -> str:
    return secrets.token_urlsafe(24)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def deep_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username.lstrip('@')}?start={token}"


def carries_token(inbound: Inbound) -> bool:
    """``/start TOKEN``: what :func:`resolve` turns into an opened invitation."""
    if not isinstance(inbound, CommandSent) or inbound.name != "start":
        return False
    return TOKEN.fullmatch(inbound.payload) is not None


def resolve(tx: Transaction, inbound: Inbound) -> Inbound:
    """``/start TOKEN`` as the invitation it opens (redeemed in this transaction); any other
    input unchanged. A payload that cannot be a token is an ordinary ``/start``."""
    if not isinstance(inbound, CommandSent) or not carries_token(inbound):
        return inbound
    outcome = tx.redeem_invitation(token_hash(inbound.payload), inbound.user, inbound.at)
    return InvitationOpened(
        outcome=outcome,
        user=inbound.user,
        at=inbound.at,
        language_hint=inbound.language_hint,
        update_id=inbound.update_id,
    )
