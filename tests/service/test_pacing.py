"""The pacer in virtual time: the rate bound, replies first, per-chat gaps, floods, a small map."""

from __future__ import annotations

import asyncio
import heapq
from bisect import bisect_right
from collections.abc import Coroutine
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.service.pacing import CHAT_GAP, GROUP_GAP, RECOVER_AFTER, SLOWER, SLOWEST, Pacer

EPS = 1e-9
TICK = 1e-10
"""The least a sleep takes, as in real time (a sleep shorter than a float step would stand still)."""


class VirtualClock:
    """Virtual seconds: ``clock()`` reads ``now``; ``sleep()`` moves it on, never in real time.

    Alone, a task's ``sleep`` just adds its seconds to ``now``. Under :meth:`run`, each sleeper
    waits for its own wake-up time, and whenever every task is asleep ``now`` jumps to the earliest
    one, so several tasks interleave exactly as they would in real time.
    """

    def __init__(self, limit: float = 10_000.0) -> None:
        self.now = 0.0
        self.limit = limit  # virtual seconds, and below a number of sleeps: a spinning pacer fails
        self.sleeps = 0
        self._timers: list[tuple[float, int, asyncio.Future[None]]] | None = None
        self._seq = 0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        if self.now > self.limit or self.sleeps > 400_000:
            raise TimeoutError(f"still waiting at {self.now} s after {self.sleeps} sleeps")
        if self._timers is None:
            self.now += max(seconds, TICK)
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._seq += 1
        heapq.heappush(self._timers, (self.now + max(seconds, TICK), self._seq, future))
        await future

    async def run(self, main: Coroutine[Any, Any, None]) -> None:
        timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._timers = timers
        task = asyncio.ensure_future(main)
        while not task.done():
            for _ in range(4):  # let every woken task run on to its next sleep
                await asyncio.sleep(0)
            if task.done() or not timers:
                break
            when, _, future = heapq.heappop(timers)
            self.now = max(self.now, when)
            if not future.done():
                future.set_result(None)
        self._timers = None
        task.result()


def pacer_on(vc: VirtualClock, rate: float, **kwargs: float | None) -> Pacer:
    return Pacer(rate, clock=vc.clock, sleep=vc.sleep, **kwargs)


def busiest_second(stamps: list[float]) -> int:
    """The most tokens taken in any closed one-second window."""
    stamps = sorted(stamps)
    return max((bisect_right(stamps, t + 1.0 + EPS) - i for i, t in enumerate(stamps)), default=0)


async def hammer(pacer: Pacer, vc: VirtualClock, stamps: list[float]) -> None:
    """Broadcast to fresh chats for ever, noting when each token came."""
    for chat in range(1, 10**9):
        await pacer.broadcast(chat)
        stamps.append(vc.now)


@pytest.mark.parametrize("rate", [25.0, 250.0])
async def test_broadcasts_alone_reach_the_rate_and_never_exceed_the_bound(rate: float) -> None:
    vc = VirtualClock()
    pacer = pacer_on(vc, rate)
    stamps: list[float] = []
    for chat in range(1, 10**6):
        await pacer.broadcast(chat)
        if vc.now >= 10.0:
            break
        stamps.append(vc.now)
    assert busiest_second(stamps) <= pacer.capacity + rate
    assert len(stamps) >= 0.97 * rate * 10
    assert len(stamps) <= pacer.capacity + rate * 10


@settings(max_examples=25, deadline=None)
@given(
    rate=st.sampled_from([25.0, 250.0]),
    reserve=st.sampled_from([None, 1.0]),  # with the least reserve, a reply still goes first
    start=st.floats(min_value=0.0, max_value=4.0),
    gaps=st.lists(st.floats(min_value=1.0, max_value=30.0), max_size=30),  # in units of 1/rate
)
def test_replies_go_first_while_a_broadcast_runs(
    rate: float, reserve: float | None, start: float, gaps: list[float]
) -> None:
    times = [start + sum(gaps[:i]) / rate for i in range(len(gaps) + 1)]
    times = [t for t in times if t <= 5.0]
    vc = VirtualClock()
    pacer = pacer_on(vc, rate, reserve=reserve)
    broadcasts: list[float] = []
    replies: list[float] = []
    waits: list[float] = []

    async def reply_at(at: float, chat: int) -> None:
        await vc.sleep(at - vc.now)
        asked = vc.now
        await pacer.reply(chat)
        replies.append(vc.now)
        waits.append(vc.now - asked)

    async def scenario() -> None:
        task = asyncio.create_task(hammer(pacer, vc, broadcasts))
        await asyncio.gather(*(reply_at(at, 10**9 + i) for i, at in enumerate(times)))
        await vc.sleep(6.0 - vc.now)
        task.cancel()

    asyncio.run(vc.run(scenario()))
    assert len(waits) == len(times)
    assert max(waits, default=0.0) <= 1.0 / rate + EPS
    if reserve is None:
        assert max(waits, default=0.0) <= EPS, "spaced replies never wait: the reserve is theirs"
    assert busiest_second(broadcasts + replies) <= pacer.capacity + rate
    assert len(broadcasts) + len(replies) >= 0.97 * rate * 6, "the broadcast took what replies left"


async def test_an_idle_bucket_holds_no_more_than_its_capacity() -> None:
    vc = VirtualClock()
    pacer = pacer_on(vc, 25.0)
    vc.now = 100.0
    stamps: list[float] = []
    for chat in range(60):
        await pacer.reply(chat)
        stamps.append(vc.now)
    assert stamps.count(100.0) == int(pacer.capacity)
    assert busiest_second(stamps) <= pacer.capacity + 25.0


@pytest.mark.parametrize(("chat", "gap"), [(7, CHAT_GAP), (-1007, GROUP_GAP)])
async def test_broadcasts_to_one_chat_keep_their_gap(chat: int, gap: float) -> None:
    vc = VirtualClock()
    pacer = pacer_on(vc, 25.0)
    await pacer.broadcast(chat)
    first = vc.now
    await pacer.broadcast(chat)
    assert gap - EPS <= vc.now - first <= gap + 0.05
    before = vc.now
    await pacer.broadcast(chat + 1)  # another chat is not held back by this one
    assert vc.now - before <= 1.0 / 25.0 + EPS


async def test_a_reply_delays_the_next_broadcast_to_that_chat_but_not_other_replies() -> None:
    vc = VirtualClock()
    pacer = pacer_on(vc, 25.0, capacity=5.0)  # room for the four tokens below
    vc.now = 2.0
    await pacer.broadcast(-5)
    await pacer.reply(-5)  # right after a broadcast to the group
    await pacer.reply(7)
    await pacer.reply(7)  # and right after a reply to the chat
    assert vc.now == 2.0, "replies never wait for a chat's gap"
    await pacer.broadcast(7)
    assert vc.now >= 2.0 + CHAT_GAP - EPS


async def test_a_flood_pauses_broadcasts_not_replies_and_slows_them() -> None:
    rate = 25.0
    vc = VirtualClock()
    pacer = pacer_on(vc, rate)
    vc.now = 2.0
    pacer.flood(5.0)
    assert pacer.floods == 1
    assert pacer.factor == pytest.approx(SLOWER)
    assert pacer.paused_for() == pytest.approx(5.0)
    broadcasts: list[float] = []
    waits: list[float] = []
    paused: list[float] = []

    async def scenario() -> None:
        task = asyncio.create_task(hammer(pacer, vc, broadcasts))
        for at in (2.5, 3.0, 4.5, 6.0, 6.9):
            await vc.sleep(at - vc.now)
            paused.append(pacer.paused_for())
            asked = vc.now
            await pacer.reply(1000 + int(at * 10))
            waits.append(vc.now - asked)
        await vc.sleep(12.0 - vc.now)
        task.cancel()

    await vc.run(scenario())
    assert waits == [0.0] * 5
    assert paused == pytest.approx([4.5, 4.0, 2.5, 1.0, 0.1])
    assert pacer.paused_for() == 0.0
    assert min(broadcasts) >= 7.0 - EPS, "nothing during the pause"
    assert min(broadcasts) <= 7.0 + 1.0 / rate
    slowed = [t for t in broadcasts if t < 12.0]
    assert len(slowed) == pytest.approx(rate * SLOWER * 5.0, rel=0.05)


async def test_the_factor_recovers_a_tenth_per_quiet_stretch() -> None:
    vc = VirtualClock()
    pacer = pacer_on(vc, 25.0)
    pacer.flood(1.0)
    seen: list[tuple[float, float]] = [(0.0, pacer.factor)]  # (when the factor changed, to what)
    for chat in range(1, 10**6):
        if vc.now > 5 * RECOVER_AFTER:
            break
        await pacer.broadcast(chat)
        if pacer.factor != seen[-1][1]:
            seen.append((vc.now, pacer.factor))
    assert [factor for _, factor in seen] == pytest.approx([SLOWER, 0.8, 0.9, 1.0])
    assert [when for when, _ in seen[1:]] == pytest.approx([10.0, 20.0, 30.0], abs=0.1)
    assert pacer.factor == 1.0, "exactly back to the full rate, not 0.9999999999999999"


async def test_quiet_time_without_sends_counts_towards_recovery() -> None:
    vc = VirtualClock()
    pacer = pacer_on(vc, 25.0)
    pacer.flood(5.0)
    vc.now = 2.5 * RECOVER_AFTER  # nothing sent for two and a half quiet stretches
    await pacer.broadcast(1)
    assert pacer.factor == pytest.approx(0.9)
    vc.now = 3 * RECOVER_AFTER + 0.01  # the third stretch still ends 30 s after the flood
    await pacer.reply(2)
    assert pacer.factor == 1.0


async def test_floods_count_and_the_factor_stops_at_slowest() -> None:
    vc = VirtualClock()
    pacer = pacer_on(vc, 25.0)
    pacer.flood(5.0)
    pacer.flood(2.0)  # a shorter pause does not cut the longer one short
    assert pacer.paused_for() == pytest.approx(5.0)
    for _ in range(8):
        pacer.flood(1.0)
    assert pacer.floods == 10
    assert pacer.factor == pytest.approx(SLOWEST)
    vc.now = 7.5
    assert pacer.paused_for() == 0.0
    vc.now = 1.0 + 8 * RECOVER_AFTER  # eight quiet stretches after the last flood
    await pacer.reply(1)
    assert pacer.factor == 1.0


async def test_a_reply_429_holds_back_broadcasts_to_that_chat_only() -> None:
    vc = VirtualClock()
    pacer = pacer_on(vc, 25.0)
    pacer.chat_flood(7, 10.0)
    pacer.chat_flood(-7, 10.0)
    assert (pacer.paused_for(), pacer.factor) == (0.0, 1.0), "not the whole bot's flood"
    await pacer.broadcast(8)
    assert vc.now == 0.0
    for chat in (7, -7):
        await pacer.broadcast(chat)
        assert 10.0 - EPS <= vc.now <= 10.0 + 0.05


async def test_a_reply_during_a_chat_flood_keeps_the_hold() -> None:
    vc = VirtualClock()
    pacer = pacer_on(vc, 25.0)
    pacer.chat_flood(7, 10.0)
    vc.now = 2.0
    await pacer.reply(7)  # another conversation message to the same chat, e.g. a tapped button
    assert vc.now == 2.0, "the reply itself is not held"
    await pacer.broadcast(7)
    assert vc.now >= 10.0 - EPS


async def test_the_chat_map_stays_small() -> None:
    rate = 1000.0
    vc = VirtualClock()
    pacer = pacer_on(vc, rate)
    sent: list[tuple[float, int]] = []  # (when, to which chat); every tenth is a group
    sizes = [0]
    for n in range(1, 100_001):
        await pacer.broadcast(-n if n % 10 == 0 else n)
        sent.append((vc.now, -n if n % 10 == 0 else n))
        sizes.append(len(pacer._last_sent))
        if sizes[-1] < sizes[-2]:  # pruned: every chat within a group's gap is still known
            recent = sent[bisect_right(sent, (vc.now - GROUP_GAP + EPS, 0)) :]
            assert all(pacer._last_sent.get(chat) == at for at, chat in recent)
    assert max(sizes) <= 4 * rate * GROUP_GAP + 64
    assert sum(a > b for a, b in pairwise(sizes)) >= 5, "it did prune"
    group = next(chat for _, chat in reversed(sent) if chat < 0)
    await pacer.broadcast(group)  # a recent group is not forgotten
    assert vc.now - max(at for at, chat in sent if chat == group) >= GROUP_GAP - EPS


@pytest.mark.parametrize("rate", [0.0, -1.0, -25.0])
def test_the_rate_must_be_positive(rate: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        Pacer(rate)


@pytest.mark.parametrize(("capacity", "reserve"), [(3.0, 0.0), (3.0, 0.5), (3.0, 2.5), (1.5, None)])
def test_the_reserve_keeps_a_token_for_replies_and_leaves_one_to_broadcasts(
    capacity: float, reserve: float | None
) -> None:
    with pytest.raises(ValueError, match="reserve"):
        Pacer(25.0, capacity=capacity, reserve=reserve)
