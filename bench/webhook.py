"""Webhook benchmark: the real ``dt4e-bot run --webhook`` (a subprocess, aiogram by default, on
PostgreSQL) as one instance and as two instances on the same database behind a round-robin HTTP
proxy (the load balancer), against the fake Bot API server posting its updates, beside aiogram's
bare echo bot, polling and by webhook, and dt4e-bot polling the same way, all in the same run.

The fake server (``tests.fake_telegram``) posts what is queued to the registered webhook the way
Telegram does with its default ``max_connections`` of 40: up to ``--connections`` POSTs at once
on kept-alive connections, a chat's next update only once its last one was answered (so a chat's
updates reach the bot in order, and with two instances they alternate between them), and a POST
that failed (no 2xx, or no answer in 10 s) is posted again after half a second. The plain fake
posts one update at a time on a new connection each, which caps any bot at one turn in flight.

Bots, each on a fresh database ``bench_webhook_<pid>_<n>`` (dropped after):

* ``echo/polling``: ``bench/echo_aiogram.py`` through ``bench.load`` (its figures as there);
* ``echo/webhook``: the same echo handler served by aiogram's ``SimpleRequestHandler`` (its
  default: the 200 at once, the handler in the background);
* ``dt4e/polling``: ``dt4e-bot run`` on PostgreSQL through ``bench.load``;
* ``dt4e/webhook-1``: ``dt4e-bot run --webhook`` posted to directly;
* ``dt4e/webhook-2``: two of them on the same database, posted to through the proxy
  (``python -m bench.webhook proxy``, its own process: round robin, one request at a time to
  each backend per connection, its CPU counted apart).

Each webhook bot gets ``bench.load``'s phases (calibration, the closed loop of ``--users``, the open
loop at each of ``--rates``, a burst of ``--burst`` first-time users queued at once) and one more:
**in a row**, ``--chatty`` known users each queueing ``--in-a-row`` questions at once, whose
replies must come in order. Measured beside ``bench.load``'s figures: the time from each POST to
its answer (p50/p99/max) and every non-2xx answer or failed POST, the updates posted and answered
with a 2xx more than once, how each instance's share of the POSTs and of the bot CPU went, and
after ``--linger`` quiet seconds at the end, every message that came when no turn of its chat
was waiting (a reply sent twice, by either instance).

Results: ``bench/results/webhook.json`` (the machine, the commit and the command with them) and a
table on standard output. About seven minutes on a 2-CPU machine.

    python -m bench.webhook [--quick] [--bots echo/polling,echo/webhook,dt4e/webhook-1,...]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import itertools
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from aiohttp import ClientError, ClientSession, ClientTimeout, TCPConnector, web

import bench.load as load
from bench.broadcast import ROOT, TOKEN, percentile, rss_mb
from bench.load import (
    LOAD_FIRST,
    BotSpec,
    Options,
    Postgres,
    Probe,
    Snapshot,
    Traffic,
    User,
    cpu_seconds,
    log_summary,
    prepare,
)
from bench.report import latest_run, update_section
from tests import crowd
from tests.fake_telegram import WEBHOOK_TIMEOUT_SECONDS, JsonDict, _Queued

RESULTS: Final = ROOT / "bench" / "results" / "webhook.json"
PATH: Final = "/telegram"
SECRET: Final = "bench-webhook-secret_0123456789"
RETRY_DELAY: Final = 0.5
BOTS: Final = ("echo/polling", "echo/webhook", "dt4e/polling", "dt4e/webhook-1", "dt4e/webhook-2")
SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"


# ------------------------------------------------------------------ the posting server


@dataclass(frozen=True)
class Post:
    """One POST of an update to the webhook: when it began and ended, and its status (0: none)."""

    update_id: int
    chat: int | None
    began: float
    ended: float
    status: int


def chat_of(update: JsonDict) -> int | None:
    """The chat an update belongs to (None: none, posted whenever)."""
    for kind, payload in update.items():
        if kind == "update_id" or not isinstance(payload, dict):
            continue
        message = payload.get("message") if kind == "callback_query" else payload
        if isinstance(message, dict) and isinstance(message.get("chat"), dict):
            return int(message["chat"]["id"])
    return None


class PostingTelegram(load.LoadTelegram):
    """The fake Bot API server posting to the webhook as Telegram does: up to ``connections``
    POSTs at once, one at a time per chat, a failed one again after ``RETRY_DELAY``."""

    def __init__(self, token: str, connections: int) -> None:
        super().__init__(token=token)
        self.connections = connections
        self.posts: list[Post] = []
        self._wake = asyncio.Event()
        self._busy: set[int] = set()
        self._posting: set[asyncio.Task[None]] = set()
        self._http: ClientSession | None = None

    async def __aenter__(self) -> PostingTelegram:
        await super().__aenter__()
        self._http = ClientSession(
            connector=TCPConnector(limit=self.connections, force_close=False),
            timeout=ClientTimeout(total=WEBHOOK_TIMEOUT_SECONDS),
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await super().__aexit__(*exc_info)
        for task in list(self._posting):
            task.cancel()
        await asyncio.gather(*self._posting, return_exceptions=True)
        if self._http is not None:
            await self._http.close()

    def _on_update(self) -> None:
        super()._on_update()  # starts deliver_pending when it is not running
        self._wake.set()

    async def deliver_pending(self) -> list[int]:
        """Post what is queued until nothing is queued or being posted."""
        while self._webhook and not self._closing:
            while len(self._posting) < self.connections:
                item = next((q for q in self._queue if chat_of(q.update) not in self._busy), None)
                if item is None:
                    break
                self._queue.remove(item)
                if not self._allowed(item.update):
                    continue
                chat = chat_of(item.update)
                if chat is not None:
                    self._busy.add(chat)
                task = asyncio.get_running_loop().create_task(self._deliver(item.update, chat))
                self._posting.add(task)
            if not self._queue and not self._posting:
                break
            self._wake.clear()
            await self._wake.wait()
        return []

    async def _deliver(self, update: JsonDict, chat: int | None) -> None:
        assert self._webhook is not None
        assert self._http is not None
        webhook = self._webhook
        headers = {} if webhook.secret_token is None else {SECRET_HEADER: webhook.secret_token}
        began = time.monotonic()
        status = 0
        try:
            async with self._http.post(webhook.url, json=update, headers=headers) as response:
                await response.read()
                status = response.status
        except (ClientError, TimeoutError):
            status = 0
        finally:
            self.posts.append(Post(int(update["update_id"]), chat, began, time.monotonic(), status))
        try:
            if not 200 <= status < 300:
                await asyncio.sleep(RETRY_DELAY)
                self._queue.insert(0, _Queued(update))  # first again: its chat was busy meanwhile
        finally:
            if chat is not None:
                self._busy.discard(chat)
            task = asyncio.current_task()
            if task is not None:
                self._posting.discard(task)
            self._wake.set()


def post_times(posts: Sequence[Post]) -> dict[str, Any]:
    """The POSTs' time to their answer, and what did not answer 2xx."""
    ok = [p.ended - p.began for p in posts if 200 <= p.status < 300]
    found: dict[str, Any] = {
        "posts": len(posts),
        "posts_failed": sum(not 200 <= p.status < 300 for p in posts),
        "post_statuses": dict(Counter(str(p.status) for p in posts if not 200 <= p.status < 300)),
    }
    if ok:
        found |= {
            "post_p50_ms": round(1000 * statistics.median(ok), 1),
            "post_p99_ms": round(1000 * percentile(ok, 0.99), 1),
            "post_max_ms": round(1000 * max(ok), 1),
        }
    return found


# ------------------------------------------------------------------------ the balancer


async def proxy_main(listen: int, backends: list[str]) -> None:
    """A round-robin reverse proxy on 127.0.0.1:``listen``: each POST goes to the next backend,
    its answer comes back as it is; ``GET /stats`` gives the POSTs each backend got."""
    turn = itertools.cycle(range(len(backends)))
    counts: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    http = ClientSession(connector=TCPConnector(limit=0), timeout=ClientTimeout(total=30))

    async def forward(request: web.Request) -> web.Response:
        backend = backends[next(turn)]
        body = await request.read()
        counts[backend] += 1
        headers = {k: v for k, v in request.headers.items() if k in (SECRET_HEADER, "Content-Type")}
        try:
            async with http.post(backend + request.path, data=body, headers=headers) as answer:
                return web.Response(status=answer.status, body=await answer.read(), headers={
                    "Content-Type": answer.headers.get("Content-Type", "application/json")
                })  # fmt: skip
        except (ClientError, TimeoutError) as exc:
            failures[backend] += 1
            return web.Response(status=502, text=f"backend {backend}: {type(exc).__name__}")

    async def stats(request: web.Request) -> web.Response:
        return web.json_response({"posts": dict(counts), "failures": dict(failures)})

    app = web.Application()
    app.router.add_get("/stats", stats)
    app.router.add_post("/{tail:.*}", forward)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", listen).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("listening", flush=True)
    await stop.wait()
    await runner.cleanup()
    await http.close()


# ------------------------------------------------------------------- the webhook echo


async def echo_main(api_base: str, url: str, listen: int) -> None:
    """aiogram's bare echo bot (``bench.echo_aiogram``'s handler) served by webhook."""
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application

    from bench.echo_aiogram import dispatcher

    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api_base)))
    app = web.Application()
    SimpleRequestHandler(dispatcher=dispatcher, bot=bot, secret_token=SECRET).register(app, path=PATH)
    setup_application(app, dispatcher, bot=bot)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", listen).start()
    await bot.set_webhook(url, secret_token=SECRET)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


# ------------------------------------------------------------------------------ bots


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Process:
    name: str
    process: asyncio.subprocess.Process
    log: Path


class Instances(Probe):
    """``bench.load``'s probe over every instance: their CPU summed, their RSS summed."""

    def __init__(self, pids: Sequence[int], admin: Any, database: str | None) -> None:
        super().__init__(pids[0], admin, database)
        self.pids = list(pids)

    async def _sample(self) -> None:
        while True:
            with contextlib.suppress(OSError):
                self.rss.append((time.monotonic(), sum(rss_mb(pid)[0] for pid in self.pids)))
            await asyncio.sleep(0.25)

    async def take(self) -> Snapshot:
        found = await super().take()
        return dataclasses.replace(found, bot=sum(cpu_seconds(pid) for pid in self.pids))


@dataclass(frozen=True)
class WebhookOptions:
    load: Options
    connections: int = 40
    chatty: int = 100
    in_a_row: int = 5
    linger: float = 20.0
    quiet: float = 1.0
    keep_database: bool = False


async def spawn(name: str, command: list[str], env: dict[str, str], work: Path) -> Process:
    log = work / f"{name}.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            *command, env=env, cwd=work, stdout=out, stderr=subprocess.STDOUT
        )
    return Process(name, process, log)


async def stop_all(processes: Sequence[Process]) -> None:
    for p in processes:
        if p.process.returncode is None:
            p.process.send_signal(signal.SIGTERM)
    for p in processes:
        try:
            await asyncio.wait_for(p.process.wait(), 30)
        except TimeoutError:
            p.process.kill()
            await p.process.wait()


def bot_env(tg: PostingTelegram, database_url: str | None, options: Options) -> dict[str, str]:
    return load.bot_env(tg.base_url, database_url, options, DT4E_WEBHOOK_SECRET=SECRET)


@contextlib.asynccontextmanager
async def started(
    name: str, instances: int, tg: PostingTelegram, work: Path, database_url: str | None, options: Options
) -> AsyncIterator[tuple[list[Process], Process | None]]:
    """The bot's instances (and the proxy before them when more than one), registered with the
    fake server; SIGTERM to all on exit."""
    ports = [free_port() for _ in range(instances)]
    proxy: Process | None = None
    processes: list[Process] = []
    env = bot_env(tg, database_url, options)
    try:
        if instances > 1:
            proxy_port = free_port()
            backends = ",".join(f"http://127.0.0.1:{port}" for port in ports)
            command = [sys.executable, "-m", "bench.webhook", "proxy", str(proxy_port), backends]
            proxy = await spawn("proxy", command, env, work)
            url = f"http://127.0.0.1:{proxy_port}{PATH}"
            await wait_for_port(proxy_port, proxy)
        else:
            url = f"http://127.0.0.1:{ports[0]}{PATH}"
        for n, port in enumerate(ports):
            if database_url is None:
                command = [sys.executable, "-m", "bench.webhook", "echo", tg.base_url, url, str(port)]
            else:
                script = Path(sys.executable).with_name("dt4e-bot")
                start = [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]
                command = [*start, "run", "--channel", "aiogram", "--webhook", "--webhook-url", url]
                command += ["--listen", f"127.0.0.1:{port}"]
            processes.append(await spawn(f"{name.replace('/', '-')}-{n + 1}", command, env, work))
        registered = asyncio.create_task(tg.wait_for_calls("setWebhook", instances, timeout=180))
        exits = [asyncio.create_task(p.process.wait()) for p in processes]
        await asyncio.wait({registered, *exits}, return_when=asyncio.FIRST_COMPLETED)
        for task in exits:
            task.cancel()
        if not registered.done():
            registered.cancel()
            gone = next(p for p in processes if p.process.returncode is not None)
            tail = gone.log.read_text(errors="replace")[-2000:]
            raise RuntimeError(
                f"{gone.name} exited with {gone.process.returncode} before setWebhook:\n{tail}"
            )
        registered.result()
        for port in ports:
            await wait_for_port(port, None)
        yield processes, proxy
    finally:
        await stop_all(processes)
        if proxy is not None:
            await stop_all([proxy])


async def wait_for_port(port: int, process: Process | None, timeout: float = 60.0) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.process.returncode is not None:
            raise RuntimeError(f"{process.name} exited: {process.log.read_text(errors='replace')[-2000:]}")
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            await writer.wait_closed()
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port} after {timeout:g} s")


# ------------------------------------------------------------------------- the phases


async def in_a_row(
    traffic: Traffic, users: Sequence[User], count: int, probe: Probe, drain: float, settle: float
) -> dict[str, Any]:
    """Each of ``users`` queues ``count`` questions at once; their replies must come in order."""
    before = traffic.out_of_order, traffic.mismatched, traffic.unexpected
    a = await probe.take()
    turns = [traffic.ask(user) for _ in range(count) for user in users]
    await asyncio.wait([t.waiter for t in turns], timeout=drain)
    b = await probe.take()
    await asyncio.sleep(settle)
    done = [t.done for t in turns if t.done is not None]
    return {
        "users": len(users),
        "in_a_row": count,
        "updates": len(turns),
        "answered": len(done),
        "never_answered": sum(t.got == 0 for t in turns),
        "never_answered_chats": sorted({t.chat for t in turns if t.got == 0})[:20],
        "partly_answered": sum(0 < t.got < t.expected for t in turns),
        "answered_twice": sum(t.extra > 0 for t in turns),
        "out_of_order": traffic.out_of_order - before[0],
        "first_reply_mismatches": traffic.mismatched - before[1],
        "unexpected_messages": traffic.unexpected - before[2],
        "drain_s": round(max(done) - a.at, 2) if done else None,
        **load.latency_ms([t for t in turns if t.done is not None]),
        **probe.usage(a, b, len(done)),
    }


class Phases:
    """Runs a phase and adds the POSTs made meanwhile, and the proxy's CPU, to its figures."""

    def __init__(self, tg: PostingTelegram, proxy: Process | None) -> None:
        self.tg = tg
        self.proxy = proxy

    async def run(self, phase: Any) -> dict[str, Any]:
        first = len(self.tg.posts)
        began = time.monotonic()
        proxy_cpu = self._proxy_cpu()
        found: dict[str, Any] = await phase
        found |= post_times(self.tg.posts[first:])
        if proxy_cpu is not None and (now := self._proxy_cpu()) is not None:
            found["proxy_cores"] = round((now - proxy_cpu) / max(time.monotonic() - began, 1e-9), 3)
        return found

    def _proxy_cpu(self) -> float | None:
        if self.proxy is None:
            return None
        with contextlib.suppress(OSError):
            return cpu_seconds(self.proxy.process.pid)
        return None


async def run_phases(
    traffic: Traffic, probe: Probe, options: WebhookOptions, phases: Phases, alive: Any
) -> dict[str, Any]:
    """``bench.load``'s phases, each with its POSTs, then the questions in a row."""
    opts = options.load
    found: dict[str, Any] = {}

    def check(phase: str) -> None:
        if (gone := alive()) is not None:
            raise RuntimeError(f"{gone} exited before the {phase}")

    began = time.monotonic()
    await load.calibrate(traffic)
    found["calibration"] = {
        "seconds": round(time.monotonic() - began, 1),
        "messages_per_turn": {
            f"{lang}/{'known' if known else 'new'}/{'first' if first else 'again'}/{question}": e.count
            for (lang, known, question, first), e in sorted(traffic.expect.items())
        },
    }
    users = [User(LOAD_FIRST + n, crowd.LANGS[n % len(crowd.LANGS)], True) for n in range(opts.users)]
    check("closed loop")
    found["closed_loop"] = await phases.run(load.closed_loop(traffic, users, probe, opts.warmup, opts.window))
    c = found["closed_loop"]
    print(f"   closed loop: {c['updates_per_s']} updates/s, POST p99 {c.get('post_p99_ms')} ms", flush=True)
    found["open_loop"] = []
    for rate in opts.rates:
        check(f"open loop at {rate:g}/s")
        phase = await phases.run(load.open_loop(traffic, users, probe, rate, opts.rate_seconds, opts.drain))
        found["open_loop"].append(phase)
        print(
            f"   {rate:g}/s: {phase['achieved_per_s']}/s, p50 {phase['p50_ms']} ms, p99 {phase['p99_ms']} ms,"
            f" POST p50/p99 {phase.get('post_p50_ms')}/{phase.get('post_p99_ms')} ms",
            flush=True,
        )
    if opts.burst:
        check("burst")
        found["burst"] = await phases.run(
            load.burst(traffic, opts.burst, probe, opts.burst_drain, opts.settle)
        )
        b = found["burst"]
        print(
            f"   burst of {opts.burst}: {b['answered']} answered in {b['drain_s']} s, "
            f"{b['never_answered']} never, {b['answered_twice']} twice, POST p99 {b.get('post_p99_ms')} ms",
            flush=True,
        )
    if options.chatty:
        check("questions in a row")
        chatty = users[: options.chatty]
        asking = in_a_row(traffic, chatty, options.in_a_row, probe, opts.burst_drain, opts.settle)
        found["in_a_row"] = r = await phases.run(asking)
        print(
            f"   {options.chatty} x {options.in_a_row} in a row: {r['answered']} answered, "
            f"{r['out_of_order']} out of order, {r['answered_twice']} twice",
            flush=True,
        )
    return found


def doubled_posts(posts: Sequence[Post]) -> int:
    """Updates answered with a 2xx more than once."""
    ok = Counter(p.update_id for p in posts if 200 <= p.status < 300)
    return sum(n > 1 for n in ok.values())


async def measure_webhook(
    name: str, instances: int, dt4e: bool, options: WebhookOptions, pg: Postgres | None
) -> dict[str, Any]:
    print(f"== {name}", flush=True)
    opts = options.load
    work = Path(tempfile.mkdtemp(prefix="dt4e-webhook-"))
    database: str | None = None
    database_url: str | None = None
    if dt4e:
        assert pg is not None
        database = f"bench_webhook_{os.getpid()}_{instances}"
        database_url = await pg.create(database)
    result: dict[str, Any] = {"bot": name, "instances": instances, "database": "postgresql" if dt4e else None}
    try:
        if database_url is not None:
            began = time.monotonic()
            await prepare(database_url, opts.users)
            result["prepare_s"] = round(time.monotonic() - began, 1)
        tg = PostingTelegram(TOKEN, options.connections)
        async with tg:
            traffic = Traffic(tg)
            began = time.monotonic()
            async with started(name, instances, tg, work, database_url, opts) as (bots, proxy):
                result["startup_s"] = round(time.monotonic() - began, 1)
                await asyncio.sleep(2)
                pids = [b.process.pid for b in bots]
                result["rss_idle_mb"] = round(sum(rss_mb(pid)[0] for pid in pids), 1)
                admin = pg.admin if pg is not None and database is not None else None
                cpu_before = [cpu_seconds(pid) for pid in pids]

                def alive() -> str | None:
                    return next((b.name for b in bots if b.process.returncode is not None), None)

                async with Instances(pids, admin, database) as probe:
                    try:
                        result.update(await run_phases(traffic, probe, options, Phases(tg, proxy), alive))
                    except RuntimeError as exc:
                        tail = "\n".join(b.log.read_text(errors="replace")[-1500:] for b in bots)
                        raise RuntimeError(f"{exc}; the end of its logs:\n{tail}") from exc
                    before_linger = sum(traffic.count.values())
                    await asyncio.sleep(options.linger)
                    result["linger"] = {
                        "seconds": options.linger,
                        "messages_meanwhile": sum(traffic.count.values()) - before_linger,
                    }
                result["rss_peak_mb"] = [round(rss_mb(pid)[1], 1) for pid in pids]
                result["cpu_share_by_instance"] = [
                    round(cpu_seconds(pid) - before, 2) for pid, before in zip(pids, cpu_before, strict=True)
                ]
                if proxy is not None:
                    result["proxy"] = await fetch_stats(proxy)
            result["exit_codes"] = [b.process.returncode for b in bots]
            result["messages_received"] = sum(traffic.count.values())
            result["unexpected_messages"] = traffic.unexpected
            result["first_reply_mismatches"] = traffic.mismatched
            result["answered_out_of_order"] = traffic.out_of_order
            result["http_errors"] = len(tg.faults)
            result["posts"] = post_times(tg.posts)
            result["updates_posted_ok_twice"] = doubled_posts(tg.posts)
            result["updates_never_posted_ok"] = len(
                set(tg._updates) - {p.update_id for p in tg.posts if 200 <= p.status < 300}
            )
        result["log"] = {b.name: log_summary(b.log) for b in bots}
        if opts.log_dir:
            for b in [*bots, *([proxy] if proxy else [])]:
                load.keep_log(b.log, Path(opts.log_dir) / f"{b.name}.log")
    finally:
        if pg is not None and database is not None:
            if options.keep_database:
                pg.made.remove(database)
                print(f"   kept the database {database}", flush=True)
            else:
                await pg.drop(database)
        shutil.rmtree(work, ignore_errors=True)
    return result


async def fetch_stats(proxy: Process) -> dict[str, Any]:
    """The proxy's counts (its port is in its command line)."""
    port = int(proxy_port(proxy))
    async with ClientSession() as http, http.get(f"http://127.0.0.1:{port}/stats") as answer:
        found: dict[str, Any] = await answer.json()
        return found


def proxy_port(proxy: Process) -> str:
    cmdline = Path(f"/proc/{proxy.process.pid}/cmdline").read_bytes().split(b"\0")
    return cmdline[cmdline.index(b"proxy") + 1].decode()


# ---------------------------------------------------------------------------- report


def first_or(run: dict[str, Any], *path: str | int) -> Any:
    value: Any = run
    for key in path:
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def summary(runs: dict[str, dict[str, Any]], rates: Sequence[float]) -> dict[str, dict[str, Any]]:
    """The figures of each bot, and dt4e's against the echo bots of this run."""
    echo = first_or(runs, "echo/polling", "closed_loop", "updates_per_s")
    calibrations = {
        name: json.dumps(run["calibration"]["messages_per_turn"], sort_keys=True)
        for name, run in runs.items()
        if name.startswith("dt4e/") and "calibration" in run
    }
    usual = Counter(calibrations.values()).most_common(1)[0][0] if calibrations else None
    echo_webhook = first_or(runs, "echo/webhook", "closed_loop", "updates_per_s")
    found: dict[str, dict[str, Any]] = {}
    for name, run in runs.items():
        if "error" in run:
            found[name] = {"error": run["error"][:300]}
            continue
        closed = run["closed_loop"]
        one: dict[str, Any] = {
            "closed_loop_per_s": closed["updates_per_s"],
            "vs_echo_polling": load.ratio(closed["updates_per_s"], echo),
            "vs_echo_webhook": load.ratio(closed["updates_per_s"], echo_webhook),
            "closed_p50_ms": closed["p50_ms"],
            "closed_p99_ms": closed["p99_ms"],
            "closed_post_p50_ms": closed.get("post_p50_ms"),
            "closed_post_p99_ms": closed.get("post_p99_ms"),
            "bot_cpu_ms_per_update": closed["bot_cpu_ms_per_update"],
            "db_cpu_ms_per_update": closed.get("db_cpu_ms_per_update"),
            "bot_cores": closed["bot_cores"],
            "other_cores": closed["other_cores"],
            "proxy_cores": closed.get("proxy_cores"),
        }
        for n, rate in enumerate(rates):
            phase = run["open_loop"][n]
            key = f"open_{rate:g}"
            one |= {
                f"{key}_achieved": phase["achieved_per_s"],
                f"{key}_p50_ms": phase["p50_ms"],
                f"{key}_p99_ms": phase["p99_ms"],
                f"{key}_post_p50_ms": phase.get("post_p50_ms"),
                f"{key}_post_p99_ms": phase.get("post_p99_ms"),
                f"{key}_unanswered": phase["unanswered"],
                f"{key}_other_cores": phase["other_cores"],
            }
        burst = run.get("burst", {})
        one |= {
            "burst_answered": burst.get("answered"),
            "burst_never": burst.get("never_answered"),
            "burst_twice": burst.get("answered_twice"),
            "burst_drain_s": burst.get("drain_s"),
            "burst_post_p99_ms": burst.get("post_p99_ms"),
            "burst_post_max_ms": burst.get("post_max_ms"),
            "burst_posts_failed": burst.get("posts_failed"),
        }
        row = run.get("in_a_row", {})
        one |= {
            "row_answered": row.get("answered"),
            "row_updates": row.get("updates"),
            "row_out_of_order": row.get("out_of_order"),
            "row_twice": row.get("answered_twice"),
            "row_never": row.get("never_answered"),
        }
        one |= {
            "unexpected_messages": run.get("unexpected_messages"),
            "out_of_order": run.get("answered_out_of_order"),
            "mismatches": run.get("first_reply_mismatches"),
            "posts_failed": first_or(run, "posts", "posts_failed"),
            "updates_posted_ok_twice": run.get("updates_posted_ok_twice"),
            "linger_messages": first_or(run, "linger", "messages_meanwhile"),
            "proxy_posts": first_or(run, "proxy", "posts"),
            "cpu_share_by_instance": run.get("cpu_share_by_instance"),
            "rss_idle_mb": run.get("rss_idle_mb"),
            # A turn whose messages came far apart at calibration skews every match after it.
            "calibration_as_the_others": None if name not in calibrations else calibrations[name] == usual,
        }
        found[name] = one
    return found


def _cell(value: object, digits: int) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dict):
        return "/".join(str(v) for v in value.values())
    if isinstance(value, list):
        return "/".join(str(v) for v in value)
    return str(value)


def table(summaries: dict[str, dict[str, Any]], rates: Sequence[float]) -> str:
    rows: list[tuple[str, str | tuple[str, str], int]] = [
        ("closed loop updates/s", "closed_loop_per_s", 1),
        ("  dt4e / echo polling", "vs_echo_polling", 3),
        ("  dt4e / echo webhook", "vs_echo_webhook", 3),
        ("  reply p50 / p99 ms", ("closed_p50_ms", "closed_p99_ms"), 0),
        ("  POST p50 / p99 ms", ("closed_post_p50_ms", "closed_post_p99_ms"), 0),
        ("  bot CPU ms/update", "bot_cpu_ms_per_update", 2),
        ("  PostgreSQL CPU ms/update", "db_cpu_ms_per_update", 2),
        ("  bot / other / proxy cores", "cores", 2),
    ]
    for rate in rates:
        at = f"open_{rate:g}"
        rows += [
            (f"offered {rate:g}/s: achieved/s", f"{at}_achieved", 1),
            ("  reply p50 / p99 ms", (f"{at}_p50_ms", f"{at}_p99_ms"), 0),
            ("  POST p50 / p99 ms", (f"{at}_post_p50_ms", f"{at}_post_p99_ms"), 0),
            ("  unanswered", f"{at}_unanswered", 0),
            ("  other cores", f"{at}_other_cores", 2),
        ]
    rows += [
        ("burst: answered", "burst_answered", 0),
        ("  never / twice", ("burst_never", "burst_twice"), 0),
        ("  drain s", "burst_drain_s", 2),
        ("  POST p99 / max ms", ("burst_post_p99_ms", "burst_post_max_ms"), 0),
        ("  POSTs failed", "burst_posts_failed", 0),
        ("in a row: answered / updates", ("row_answered", "row_updates"), 0),
        ("  out of order / twice / never", "row", 0),
        ("all: unexpected msgs", "unexpected_messages", 0),
        ("  a chat's replies out of order", "out_of_order", 0),
        ("  first replies not as calibrated", "mismatches", 0),
        ("  POSTs failed", "posts_failed", 0),
        ("  updates 2xx twice", "updates_posted_ok_twice", 0),
        ("  messages in the linger", "linger_messages", 0),
        ("  POSTs per instance", "proxy_posts", 0),
        ("  CPU s per instance", "cpu_share_by_instance", 0),
        ("RSS idle MB (all instances)", "rss_idle_mb", 1),
        ("calibration as the other dt4e's", "calibration_as_the_others", 0),
    ]
    names = list(summaries)
    header = f"{'aiogram':<34}" + "".join(f"{name:>16}" for name in names)
    lines = [header, "-" * len(header)]
    for label, key, digits in rows:
        cells: list[str] = []
        for name in names:
            found = summaries[name]
            if "error" in found:
                cells.append("FAILED")
            elif key == "cores":
                parts = (found.get("bot_cores"), found.get("other_cores"), found.get("proxy_cores"))
                cells.append("/".join("-" if v is None else f"{v:.2f}" for v in parts))
            elif key == "row":
                parts2 = (found.get("row_out_of_order"), found.get("row_twice"), found.get("row_never"))
                cells.append("/".join("-" if v is None else str(v) for v in parts2))
            elif isinstance(key, tuple):
                cells.append(" / ".join(_cell(found.get(k), digits) for k in key))
            else:
                cells.append(_cell(found.get(key), digits))
        lines.append(f"{label:<34}" + "".join(f"{cell:>16}" for cell in cells))
    return "\n".join(lines)


async def main(options: WebhookOptions, bots: Sequence[str]) -> dict[str, Any]:
    timing = load.Run("bench.webhook")
    load.QUIET = options.quiet  # calibration: a turn's messages may be spread on a busy machine
    pg = await Postgres.connect(options.load.postgres_url)
    runs: dict[str, dict[str, Any]] = {}
    try:
        for name in bots:
            try:
                if name == "echo/polling":
                    runs[name] = await load.measure(BotSpec("aiogram", None), options.load, pg)
                elif name == "dt4e/polling":
                    if pg is None:
                        raise RuntimeError("PostgreSQL does not answer")
                    runs[name] = await load.measure(BotSpec("aiogram", "postgresql"), options.load, pg)
                elif name == "echo/webhook":
                    runs[name] = await measure_webhook(name, 1, False, options, None)
                else:
                    if pg is None:
                        raise RuntimeError("PostgreSQL does not answer")
                    count = int(name.rpartition("-")[2])
                    runs[name] = await measure_webhook(name, count, True, options, pg)
            except (RuntimeError, OSError, TimeoutError, AssertionError) as exc:
                print(f"   {name} failed: {exc}", flush=True)
                runs[name] = {"bot": name, "error": str(exc)[-3000:]}
    finally:
        if pg is not None:
            await pg.close()
    return {
        **timing.head(options),
        "summary": summary(runs, options.load.rates),
        "runs": runs,
    }


QUICK: Final = dict(users=50, warmup=2.0, window=4.0, rates=(25.0, 100.0), rate_seconds=2.0, burst=200)


def parse_options(argv: Sequence[str] | None = None) -> tuple[WebhookOptions, list[str], Path, bool]:
    parser = argparse.ArgumentParser(
        description="Webhook benchmark: dt4e-bot by webhook, 1 and 2 instances on PostgreSQL.",
        epilog="Results: bench/results/webhook.json; see the module docstring for what is measured.",
    )
    add = parser.add_argument
    add("--quick", action="store_true", help="a smoke run: small sizes")
    add("--bots", default=",".join(BOTS), help=f"comma-separated, of {','.join(BOTS)}")
    add("--users", type=int, help="closed- and open-loop users (500)")
    add("--window", type=float, help="closed loop: seconds measured (10)")
    add("--rates", type=load._floats, help="open loop: updates a second (25,50,100,200)")
    add("--rate-seconds", type=float, help="open loop: seconds at each rate (5)")
    add("--burst", type=int, help="first-time users writing at once (1000)")
    add("--connections", type=int, default=40, help="POSTs at once, as setWebhook's max_connections (40)")
    add("--chatty", type=int, default=100, help="users asking questions in a row (100; 0: none)")
    add("--in-a-row", type=int, default=5, help="questions each of them queues at once (5)")
    add("--linger", type=float, default=20.0, help="quiet seconds at the end, for late doubles (20)")
    add("--quiet", type=float, default=1.0, help="calibration: seconds without a message ending a turn (1)")
    add("--postgres-url", help="the PostgreSQL server, no database name")
    add("--log-dir", help="keep each process's log in this folder")
    add("--keep-database", action="store_true", help="keep each dt4e-bot's database (to look into)")
    add("--output", type=Path, default=RESULTS, help="where the JSON goes (bench/results/webhook.json)")
    args = parser.parse_args(argv)
    given: dict[str, Any] = dict(QUICK) if args.quick else {}
    for key in ("users", "window", "rates", "rate_seconds", "burst", "postgres_url", "log_dir"):
        if getattr(args, key) is not None:
            given[key] = getattr(args, key)
    opts = dataclasses.replace(Options(frameworks=("aiogram",), databases=("postgresql",)), **given)
    bots = [b.strip() for b in args.bots.split(",") if b.strip()]
    if unknown := set(bots) - set(BOTS):
        parser.error(f"--bots: unknown {sorted(unknown)}")
    chatty = min(args.chatty, opts.users)
    linger = 3.0 if args.quick and args.linger == 20.0 else args.linger
    options = WebhookOptions(
        opts, args.connections, chatty, args.in_a_row, linger, args.quiet, args.keep_database
    )
    return options, bots, args.output, not args.quick and args.output == RESULTS


def _helper() -> bool:
    """``proxy PORT BACKENDS`` and ``echo API_BASE URL PORT``: the processes this bench starts."""
    if len(sys.argv) > 1 and sys.argv[1] == "proxy":
        asyncio.run(proxy_main(int(sys.argv[2]), sys.argv[3].split(",")))
        return True
    if len(sys.argv) > 1 and sys.argv[1] == "echo":
        asyncio.run(echo_main(sys.argv[2], sys.argv[3], int(sys.argv[4])))
        return True
    return False


if __name__ == "__main__" and not _helper():
    chosen, names, output, full_run = parse_options()
    outcome = asyncio.run(main(chosen, names))
    figures = table(outcome["summary"], chosen.load.rates)
    print(figures)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(outcome, indent=2, ensure_ascii=False) + "\n")
    print(f"\n{outcome['duration_s']:.0f} s in all; results in {output}")
    if full_run:  # not a smoke run, nor one written elsewhere: its figures in BENCHMARKS.md
        update_section("Webhook", "bench.webhook", latest_run(outcome, figures))
        print("updated: the Webhook section of BENCHMARKS.md")
