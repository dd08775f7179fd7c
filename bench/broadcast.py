"""Broadcast benchmark: one job to 120,000 people through the real ``dt4e-bot run`` (a subprocess,
aiogram, SQLite unless ``--database-url``) against the fake Bot API server with its pacing
enforcement on, scaled up (Telegram's 30 a second and 1 a second per chat become ``--rate`` × 1.2
and 1 a second) so that it runs in minutes.

Measured in one run: the achieved rate over the configured one, the 429s the server gave, the
duplicates, the people skipped, the bot's RSS idle and at its peak, and the reply time of people
writing to the bot at the same time (``--talkers`` of them, each writing once a second), before the
broadcast and during it. Results: ``bench/results/broadcast.json``; BENCHMARKS.md says what they mean.

Targets (issue 10): rate ≥ 97 % of the configured one (the bot's whole budget: the broadcast's
messages and the replies sent meanwhile), no 429, no duplicate, nobody skipped, RSS
at most 30 MB above idle, conversation p99 within 20 % of the figure before the broadcast.

    python -m bench.broadcast [--people 120000] [--rate 200] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.core.audience import Audience
from storage.engine import create_engine, upgrade
from storage.pushes import SqlPushes
from storage.store import SqlStore
from tests.crowd import connect_crowd
from tests.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "broadcast.json"
TOKEN = "123:bench"
TALKER = 1_000


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of ``pid`` in MB, from /proc (Linux)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def talk(tg: FakeTelegram, talkers: int, seconds: float, latencies: list[float]) -> None:
    """``talkers`` people, each writing /help every two seconds (Telegram lets a chat have one
    message a second); the time to each reply."""

    async def one(chat: int) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            before = len(tg.sent(chat))
            started = time.monotonic()
            tg.send_text(chat, "/help", language_code="en")
            await tg.wait_for_sent(chat, before + 1, timeout=60)
            latencies.append(time.monotonic() - started)
            await asyncio.sleep(max(0.0, 2.0 - (time.monotonic() - started)))

    await asyncio.gather(*(one(TALKER + n) for n in range(talkers)))


async def main(people: int, rate: float, talkers: int, database_url: str | None) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="dt4e-bench-"))
    url = database_url or f"sqlite+aiosqlite:///{work / 'bot.db'}"
    engine = create_engine(url)
    await upgrade(engine)
    print(f"connecting {people:,} people ...", flush=True)
    chats = await connect_crowd(engine, people, zones=("Europe/Brussels",))
    async with FakeTelegram(token=TOKEN) as tg:
        for chat in chats:
            tg.add_user(chat)
        tg.enforce_pacing(per_chat_per_second=1, overall_per_second=round(rate * 1.2))
        env = {k: v for k, v in os.environ.items() if not k.startswith("DT4E_")}
        env |= {
            "PYTHONPATH": str(ROOT),
            "DT4E_DATABASE_URL": url,
            "DT4E_TELEGRAM_TOKEN": TOKEN,
            "DT4E_TELEGRAM_API_BASE": tg.base_url,
            "DT4E_SEND_RATE": str(rate),
            "DT4E_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        }
        log = (work / "bot.log").open("wb")
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", env=env, cwd=work, stderr=log
        )
        try:
            await tg.wait_for_calls("setMyCommands", 4, timeout=60)
            before: list[float] = []
            await talk(tg, talkers, 60, before)  # the conversations alone, long enough for a p99
            idle, _ = rss_mb(bot.pid)
            job, total = await SqlPushes(SqlStore(engine)).create(
                "talent-follow-up", 1, Audience(cohorts=("crowd",)), "bench", datetime.now(UTC)
            )
            print(f"job {job}: {total:,} recipients at {rate:g}/s ...", flush=True)
            during: list[float] = []
            talking = asyncio.create_task(talk(tg, talkers, 1e9, during))
            pushes = SqlPushes(SqlStore(engine))
            peak_now = idle
            deadline = time.monotonic() + 30 + 3 * people / rate
            while time.monotonic() < deadline:
                [status] = await pushes.status([job])
                peak_now = max(peak_now, rss_mb(bot.pid)[0])
                if status.state == "done":
                    break
                print(f"\r{status.done:,} of {total:,}", end="", flush=True, file=sys.stderr)
                await asyncio.sleep(2)
            print()
            talking.cancel()
            _, peak = rss_mb(bot.pid)
        finally:
            bot.terminate()
            await bot.wait()
            log.close()
    err = (work / "bot.log").read_bytes()
    await engine.dispose()
    crowd = set(chats)
    every = [c for c in tg.requests if c.method == "sendMessage"]
    sends = [c for c in every if int(c.params["chat_id"]) in crowd]
    per_chat = collections.Counter(int(c.params["chat_id"]) for c in sends)
    first, last = (sends[0].time, sends[-1].time) if sends else (0.0, 0.0)
    achieved = (len(sends) - 1) / (last - first) if last > first else 0.0
    # The configured rate is the whole bot's: the replies sent meanwhile use their share of it.
    replies = len([c for c in every if first <= c.time <= last and int(c.params["chat_id"]) not in crowd])
    overall = (len(sends) - 1 + replies) / (last - first) if last > first else 0.0
    result: dict[str, object] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": url.split(":", 1)[0],
        "people": people,
        "configured_rate": rate,
        "achieved_rate": round(overall, 1),
        "rate_share": round(overall / rate, 3),
        "broadcast_rate": round(achieved, 1),
        "reply_rate": round(replies / (last - first), 2) if last > first else 0.0,
        "duration_s": round(last - first, 1),
        "http_429": len([f for f in tg.faults if f.kind == "pacing"]),
        "duplicates": sum(n - 1 for n in per_chat.values() if n > 1),
        "skipped": len(crowd - set(per_chat)),
        "rss_idle_mb": round(idle, 1),
        "rss_peak_mb": round(max(peak, peak_now), 1),
        "rss_growth_mb": round(max(peak, peak_now) - idle, 1),
        "reply_p50_before_ms": round(1000 * statistics.median(before), 1),
        "reply_p99_before_ms": round(1000 * percentile(before, 0.99), 1),
        "reply_p50_during_ms": round(1000 * statistics.median(during), 1) if during else None,
        "reply_p99_during_ms": round(1000 * percentile(during, 0.99), 1) if during else None,
        "replies_measured": [len(before), len(during)],
    }
    if "Traceback" in err.decode():
        result["bot_errors"] = err.decode()[-2000:]
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=120_000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--talkers", type=int, default=5)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    outcome = asyncio.run(main(args.people, args.rate, args.talkers, args.database_url))
    print(json.dumps(outcome, indent=2))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(outcome, indent=2) + "\n")
