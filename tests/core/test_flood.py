"""Flood control: a burst from one person gets one "slow down" and no more replies than it
brought; the next person is not slowed, and the same person is answered again after a pause."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.context import Context
from bot.core.dispatch import handle
from bot.core.features.flood import WINDOW
from bot.core.inbound import UserRef
from bot.core.state import ConversationState
from tests.inputs import inbound

AT = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
ANN, BOB = UserRef("telegram", "42"), UserRef("telegram", "43")
SLOW = "You are sending many messages at once"
LIMIT = 20  # the default of DT4E_FLOOD_LIMIT


def talk(
    context: Context, user: UserRef, times: list[datetime], state: ConversationState
) -> tuple[ConversationState, list[list[str]]]:
    replies = []
    for at in times:
        turn = handle(state, inbound(user, at, text="How long does the visa take?", hint="en"), context)
        state = turn.state
        replies.append([r.text for r in turn.replies])
    return state, replies


def test_a_burst_gets_one_slow_down_and_then_silence_until_a_pause(context: Context) -> None:
    burst = [AT + timedelta(milliseconds=100 * n) for n in range(30)]
    state, replies = talk(context, ANN, burst, ConversationState())
    assert all(r and SLOW not in r[0] for r in replies[:LIMIT]), "the first ones are answered"
    assert len(replies[LIMIT]) == 1
    assert replies[LIMIT][0].startswith(SLOW)
    assert replies[LIMIT + 1 :] == [[]] * (30 - LIMIT - 1), "then nothing: no amplification"
    _, others = talk(context, BOB, burst[:3], ConversationState())
    assert all(r and SLOW not in r[0] for r in others), "nobody else is slowed"
    _, after = talk(context, ANN, [burst[-1] + WINDOW], state)
    assert after[0], "answered again after a pause"
    assert SLOW not in after[0][0]


def test_button_presses_are_not_counted(context: Context) -> None:
    state = ConversationState()
    for n in range(3 * LIMIT):
        state = handle(state, inbound(ANN, AT + timedelta(milliseconds=n), press="menu:main"), context).state
    assert not state.slowed


@settings(max_examples=50)
@given(st.lists(st.integers(min_value=0, max_value=30_000), min_size=1, max_size=40))
def test_never_more_replies_than_messages_and_one_slow_down_per_burst(
    context: Context, gaps_ms: list[int]
) -> None:
    times, at = [], AT
    for gap in gaps_ms:
        at += timedelta(milliseconds=gap)
        times.append(at)
    _, replies = talk(context, ANN, times, ConversationState())
    slow_downs = [n for n, r in enumerate(replies) if r and r[0].startswith(SLOW)]
    assert all(len(r) <= 1 for r in replies)
    assert all(b - a > 1 for a, b in pairwise(slow_downs)), "never twice in a row"


def test_no_limit_when_it_is_turned_off(context: Context) -> None:
    unlimited = replace(context, flood_limit=0)
    _, replies = talk(unlimited, ANN, [AT] * (3 * LIMIT), ConversationState())
    assert all(r and SLOW not in r[0] for r in replies)


def test_the_default_is_the_documented_one(context: Context) -> None:
    assert context.flood_limit == LIMIT
