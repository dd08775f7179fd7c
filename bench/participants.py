"""The load with many participants in the database: ``bench.load``'s closed loop and its open loop
at an offered 100 updates a second, on SQLite and on PostgreSQL, for the real ``dt4e-bot run``
(aiogram) with ``--participants`` (120,000) more participants imported before the start, beside
the same bot with only the load's own participants (the 500 load users and 3 calibration users)
and beside aiogram's bare echo bot, all in the same run.

The extra participants are ``tests.crowd``'s (what the broadcast benchmark uses: talents bound to
Telegram chats 500,000 and up, written straight into the database in chunks of 2,000); they never
write. Everything else is ``bench.load``'s (the fake Bot API server, the calibration, the
measures). Results: ``bench/results/participants.json``, and a table on standard output. About
five minutes on a 2-CPU machine.

    python -m bench.participants [--participants 120000] [--databases sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
from pathlib import Path
from typing import Any, Final

import bench.load as load
from bench.broadcast import ROOT
from bench.load import DATABASES, BotSpec, Options, Postgres, Run, measure, ratio
from bench.report import latest_run, update_section

RESULTS: Final = ROOT / "bench" / "results" / "participants.json"
DEFAULT: Final = Options(
    users=500,
    warmup=5.0,
    window=10.0,
    rates=(100.0,),
    rate_seconds=10.0,
    drain=60.0,
    burst=0,
    frameworks=("aiogram",),
)


def summary(run: dict[str, Any]) -> dict[str, Any]:
    if "error" in run:
        return {"error": run["error"][:200]}
    closed, [open_100] = run["closed_loop"], run["open_loop"]
    return {
        "participants_in_db": run.get("participants_in_db"),
        "prepare_s": run.get("prepare_s"),
        "startup_s": run.get("startup_s"),
        "closed_loop_per_s": closed["updates_per_s"],
        "closed_p50_ms": closed["p50_ms"],
        "closed_p99_ms": closed["p99_ms"],
        "bot_cpu_ms_per_update": closed["bot_cpu_ms_per_update"],
        "db_cpu_ms_per_update": closed.get("db_cpu_ms_per_update"),
        "other_cores": closed["other_cores"],
        "open_100_achieved_per_s": open_100["achieved_per_s"],
        "open_100_p50_ms": open_100["p50_ms"],
        "open_100_p99_ms": open_100["p99_ms"],
        "open_100_unanswered": open_100["unanswered"],
        "open_100_other_cores": open_100["other_cores"],
        "rss_idle_mb": run.get("rss_idle_mb"),
        "unexpected_messages": run.get("unexpected_messages"),
        "answered_out_of_order": run.get("answered_out_of_order"),
    }


async def main(options: Options, databases: tuple[str, ...], participants: int) -> dict[str, Any]:
    timing = Run("bench.participants")
    load.QUIET = 1.0  # calibration: a turn's messages may come further apart on a busy machine
    pg = await Postgres.connect(options.postgres_url) if "postgresql" in databases else None
    runs: dict[str, dict[str, Any]] = {}
    plan: list[tuple[str, BotSpec, int]] = [("echo", BotSpec("aiogram", None), 0)]
    for database in databases:
        if database == "postgresql" and pg is None:
            continue
        plan += [
            (f"{database}/empty", BotSpec("aiogram", database), 0),
            (f"{database}/{participants}", BotSpec("aiogram", database), participants),
        ]
    try:
        for name, spec, extra in plan:
            print(f"== {name}", flush=True)
            try:
                run = await measure(spec, dataclasses.replace(options, participants=extra), pg)
            except (RuntimeError, OSError, TimeoutError, AssertionError) as exc:
                print(f"   {name} failed: {exc}", flush=True)
                run = {"bot": spec.name, "error": str(exc)[-3000:]}
            if spec.database is not None:
                run["participants_in_db"] = options.users + 3 + extra
            runs[name] = run
    finally:
        if pg is not None:
            await pg.close()
    summaries = {name: summary(run) for name, run in runs.items()}
    echo = summaries.get("echo", {})
    for name, found in summaries.items():
        if name != "echo":
            found["throughput_vs_echo"] = ratio(found.get("closed_loop_per_s"), echo.get("closed_loop_per_s"))
            database = name.split("/")[0]
            empty = summaries.get(f"{database}/empty", {})
            if name != f"{database}/empty":
                found["throughput_vs_empty"] = ratio(
                    found.get("closed_loop_per_s"), empty.get("closed_loop_per_s")
                )
                found["p99_100_vs_empty"] = ratio(found.get("open_100_p99_ms"), empty.get("open_100_p99_ms"))
    return {
        **timing.head(options),
        "participants": participants,
        "summary": summaries,
        "runs": runs,
    }


ROWS: Final = (
    ("participants in the database", "participants_in_db", 0),
    ("prepare s", "prepare_s", 1),
    ("startup s", "startup_s", 1),
    ("closed loop updates/s", "closed_loop_per_s", 1),
    ("  dt4e/echo", "throughput_vs_echo", 3),
    ("  against the empty table", "throughput_vs_empty", 3),
    ("  p50 / p99 ms", ("closed_p50_ms", "closed_p99_ms"), 0),
    ("  bot CPU ms/update", "bot_cpu_ms_per_update", 2),
    ("  PostgreSQL CPU ms/update", "db_cpu_ms_per_update", 2),
    ("  other cores", "other_cores", 2),
    ("offered 100/s: achieved/s", "open_100_achieved_per_s", 1),
    ("  p50 / p99 ms", ("open_100_p50_ms", "open_100_p99_ms"), 0),
    ("  p99 against the empty table", "p99_100_vs_empty", 2),
    ("  unanswered", "open_100_unanswered", 0),
    ("  other cores", "open_100_other_cores", 2),
    ("RSS idle MB", "rss_idle_mb", 1),
    ("unexpected msgs", "unexpected_messages", 0),
    ("a chat's replies out of order", "answered_out_of_order", 0),
)


def _cell(found: dict[str, Any], key: str | tuple[str, ...], digits: int) -> str:
    if isinstance(key, tuple):
        values = [found.get(k) for k in key]
        return " / ".join("-" if v is None else f"{v:.{digits}f}" for v in values)
    value = found.get(key)
    if value is None:
        return "-"
    return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"


def table(summaries: dict[str, dict[str, Any]]) -> str:
    names = list(summaries)
    header = f"{'aiogram':<32}" + "".join(f"{name:>18}" for name in names)
    lines = [header, "-" * len(header)]
    for label, key, digits in ROWS:
        lines.append(f"{label:<32}" + "".join(f"{_cell(summaries[n], key, digits):>18}" for n in names))
    return "\n".join(lines)


def parse(argv: list[str] | None = None) -> tuple[Options, tuple[str, ...], int, Path]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    add = parser.add_argument
    add("--participants", type=int, default=120_000, help="participants imported beforehand (120000)")
    add("--databases", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    add("--users", type=int, default=DEFAULT.users, help=f"load users ({DEFAULT.users})")
    add("--window", type=float, default=DEFAULT.window, help=f"closed loop seconds ({DEFAULT.window:g})")
    add("--rate-seconds", type=float, default=DEFAULT.rate_seconds, help="seconds at 100/s (10)")
    add("--postgres-url", default=DEFAULT.postgres_url, help=f"({DEFAULT.postgres_url})")
    add("--log-dir", help="keep each bot's log in this folder")
    add("--output", type=Path, default=RESULTS, help="bench/results/participants.json")
    args = parser.parse_args(argv)
    databases = tuple(d.strip() for d in args.databases.split(",") if d.strip())
    if unknown := set(databases) - set(DATABASES):
        parser.error(f"--databases: unknown {sorted(unknown)}")
    options = dataclasses.replace(
        DEFAULT,
        users=args.users,
        window=args.window,
        rate_seconds=args.rate_seconds,
        postgres_url=args.postgres_url,
        databases=databases,
        log_dir=args.log_dir,
    )
    return options, databases, args.participants, args.output


if __name__ == "__main__":
    chosen, dbs, count, output = parse()
    outcome = asyncio.run(main(chosen, dbs, count))
    figures = table(outcome["summary"])
    print(figures)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(outcome, indent=2, ensure_ascii=False) + "\n")
    print(f"\n{outcome['duration_s']:.0f} s in all; results in {output}")
    if output == RESULTS:  # not a run written elsewhere: its figures in BENCHMARKS.md
        update_section("120,000 participants", "bench.participants", latest_run(outcome, figures))
        print("updated: the participants section of BENCHMARKS.md")
