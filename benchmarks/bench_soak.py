"""Soak: many mixed updates from many users through the real ``outreach-bot run`` process.

The bot runs as an operator would run it (``outreach-bot run``, long polling, a real SQLite
file, ``OUTREACH_LOG_LEVEL=WARNING``) against a FakeBotApiServer on 127.0.0.1. Simulated
supporters (the same sessions as benchmarks/bench_throughput.py: /start, menus, topics and
facts, questions in English and Spanish, the pledge flow, the comment guide, ZIP lookups) put
their updates in the fake's queue; each supporter sends its next update only after the bot
answered the previous one (what they press depends on their screen). Feeding is either as
fast as the bot consumes (``--in-flight`` updates unanswered at most; the default) or at a
steady ``--rate``.

Reported: throughput, p50/p95/p99 reply latency (update queued in the fake → the bot's first
visible answer recorded by the fake), the bot's peak RSS (sampled from /proc every 0.5 s), RSS
at 20/40/60/80/100 % of the updates and its growth after warm-up (20 % → 100 %), CPU of the
bot (all threads, and its event-loop thread) and of this process, the SQLite file size at the
end, and then bytes per supporter measured by seeding ``--seed-users`` supporters (user,
pledge with name and state, subscription, a finished letter draft, counters) through Storage
methods in a temp file.

The fake is tuned to answer like Telegram (keep-alive with TCP_NODELAY; see ``tune_fake``) and
runs in threads of this process with the simulated supporters; nothing else heavy runs here,
so a separate process would not give it more room. To check it is not the bottleneck: its
CPU share (printed) stays well below one core, and a larger ``--in-flight`` raises latency,
not updates/s.

    python -m benchmarks.bench_soak [--updates 100000] [--users 5000] [--quick]
                                    [--in-flight 10] [--rate R] [--seed-users 100000]

``--quick`` is 10,000 updates from 1,000 users (and 10,000 seeded supporters): about 1 minute
on a 2-core machine; the full run takes about 12 minutes (9 for the soak, 3 for seeding).
Every wait is bounded and the benchmark stops by itself. No figure is asserted; the tables are
the result.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.bench_throughput import (
    NAMES,
    PLACES,
    STORIES,
    USER_BASE,
    VISIBLE,
    Session,
    log,
    machine,
    percentile,
    proc_status_kib,
    process_environment,
    stop_process,
)
from bot.storage import Storage
from tests.fakes import botapi_server
from tests.fakes.botapi_server import FakeBotApiServer
from tests.fakes.local_api import LocalBotApi, OutgoingAction
from tests.harness import STALE_STATE_ERRORS, outreach_bot_command

SAMPLE_EVERY = 0.5  # seconds between RSS samples
REPLY_TIMEOUT = 60.0  # an update unanswered this long counts as unanswered
CHECKPOINTS = (0.2, 0.4, 0.6, 0.8, 1.0)
PRUNE_EVERY = 5_000  # answered updates between trimming the fake's recordings
KEEP_ON_SCREEN = 3  # messages per chat the fake keeps (a supporter only presses the latest)
STATES = ("TX", "GA", "FL", "NC", "AZ", "CA", "NY", "IL", "TN", "SC")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process, from /proc/<pid>/stat."""
    return cpu_seconds_of(f"/proc/{pid}/stat")


def cpu_seconds_of(path: str) -> float | None:
    try:
        with open(path, encoding="ascii") as stat:
            data = stat.read()
    except OSError:
        return None
    fields = data[data.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def thread_cpu_seconds(pid: int) -> dict[int, float]:
    """CPU seconds per thread of a process (thread id → seconds)."""
    result = {}
    with contextlib.suppress(OSError):
        for tid in os.listdir(f"/proc/{pid}/task"):
            seconds = cpu_seconds_of(f"/proc/{pid}/task/{tid}/stat")
            if seconds is not None:
                result[int(tid)] = seconds
    return result


@dataclass
class Totals:
    """What the fake recorded, summed over the prunes."""

    actions: int = 0
    invalid: int = 0  # requests Telegram would have rejected
    stale: int = 0  # "message is not modified" and the like (handled by design)
    failed: int = 0
    calls: int = 0
    polls: int = 0  # of which getUpdates


class Soak:
    """The simulated supporters, the reply clock and the memory samples (thread-safe)."""

    def __init__(self, api: LocalBotApi, users: list[int], updates: int) -> None:
        self.api = api
        self.total = updates
        self.sessions = {u: Session(u, rounds=None) for u in users}
        per_user, extra = divmod(updates, len(users))
        self.quota = {u: per_user + (1 if i < extra else 0) for i, u in enumerate(users)}
        self.ready: deque[int] = deque(u for u in users if self.quota[u] > 0)
        self.waiting: dict[int, float] = {}
        self.cond = threading.Condition()
        self.latencies: list[float] = []
        self.sent = 0
        self.answered = 0
        self.unanswered = 0
        self.bot_pid = 0
        self.checkpoints: list[tuple[float, int, float]] = []  # (fraction, RSS KiB, time)
        self._next_checkpoint = 0
        self.started = 0.0

    # -- called by the fake's server threads ------------------------------------------------

    def on_action(self, action: OutgoingAction) -> None:
        if action.method not in VISIBLE or action.chat_id is None:
            return
        now = time.perf_counter()
        with self.cond:
            queued = self.waiting.pop(action.chat_id, None)
            if queued is None:
                return  # a second message of the same answer
            self.latencies.append(now - queued)
            self.answered += 1
            self._done(action.chat_id)

    def _done(self, user_id: int) -> None:
        """One update finished, answered or not (lock held): the user may send the next one."""
        if self.quota[user_id] > 0:
            self.ready.append(user_id)
        while (
            self._next_checkpoint < len(CHECKPOINTS)
            and self.answered + self.unanswered >= CHECKPOINTS[self._next_checkpoint] * self.total
        ):
            rss = proc_status_kib(self.bot_pid, "VmRSS") or 0
            fraction = CHECKPOINTS[self._next_checkpoint]
            self.checkpoints.append((fraction, rss, time.perf_counter() - self.started))
            self._next_checkpoint += 1
        self.cond.notify_all()

    # -- the feeding loop (main thread) -------------------------------------------------------

    def feed(self, in_flight: int, rate: float | None, deadline: float) -> None:
        self.started = time.perf_counter()
        last_sweep = self.started
        while self.sent < self.total and time.perf_counter() < deadline:
            if rate:
                due = self.started + self.sent / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            with self.cond:
                while (len(self.waiting) >= in_flight or not self.ready) and (
                    time.perf_counter() < deadline
                ):
                    self.cond.wait(0.5)
                    last_sweep = self._sweep(last_sweep)
                if not self.ready or len(self.waiting) >= in_flight:
                    break
                user_id = self.ready.popleft()
                self.quota[user_id] -= 1
                # Start the clock before the update exists: the answer cannot beat it.
                self.waiting[user_id] = time.perf_counter()
                self.sent += 1
            if self.sessions[user_id].next_update(self.api) is None:  # never: rounds=None
                raise RuntimeError("a session ran out of steps")
            if time.perf_counter() - last_sweep > 1.0:
                with self.cond:
                    last_sweep = self._sweep(last_sweep)
        with self.cond:
            while self.waiting and time.perf_counter() < deadline:
                self.cond.wait(0.5)
                self._sweep(0.0)
            self.unanswered += len(self.waiting)
            self.waiting.clear()

    def _sweep(self, last: float) -> float:
        """Give up on updates unanswered for REPLY_TIMEOUT (lock held)."""
        now = time.perf_counter()
        if now - last < 1.0:
            return last
        for user_id, queued in list(self.waiting.items()):
            if now - queued > REPLY_TIMEOUT:
                del self.waiting[user_id]
                self.unanswered += 1
                self._done(user_id)
        return now


def prune(api: LocalBotApi, server: FakeBotApiServer, totals: Totals) -> None:
    """Count and forget what the fake recorded, and old messages on each chat's screen.

    Without this the fake would keep every action of the run (hundreds of MiB) and slow down
    in garbage collection: the benchmark must not measure its own fake.
    """
    with api._lock:
        totals.actions += len(api.sent)
        for _method, _params, description in api.rejected:
            if description.endswith(STALE_STATE_ERRORS):
                totals.stale += 1
            else:
                totals.invalid += 1
        totals.failed += len(api.failed)
        api.sent.clear()
        api.rejected.clear()
        api.failed.clear()
        for chat in api._chats.values():
            for messages in (chat.bot_messages, chat.user_messages):
                if len(messages) > KEEP_ON_SCREEN:
                    for message_id in sorted(messages)[:-KEEP_ON_SCREEN]:
                        del messages[message_id]
    count = len(server.calls)
    totals.calls += count
    totals.polls += server.calls[:count].count("getUpdates")
    del server.calls[:count]


class Sampler(threading.Thread):
    """The bot's RSS every SAMPLE_EVERY seconds, and CPU of the bot and of this process."""

    def __init__(self, pid: int) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self.pid = pid
        self.samples: list[tuple[float, int]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            rss = proc_status_kib(self.pid, "VmRSS")
            if rss is None:
                return
            self.samples.append((time.perf_counter(), rss))
            self.stopping.wait(SAMPLE_EVERY)

    @property
    def peak_kib(self) -> int:
        return max((rss for _, rss in self.samples), default=0)


@dataclass
class SoakResult:
    updates: int
    users: int
    seconds: float
    latencies: list[float]
    unanswered: int
    off_script: int
    peak_kib: int
    start_kib: int
    checkpoints: list[tuple[float, int, float]]
    bot_cpu: float  # seconds
    bot_main_thread_cpu: float  # seconds: the event loop's thread
    fake_cpu: float  # seconds (this process: fake server, supporters, sampler)
    totals: Totals
    fake_errors: int
    db_bytes: int
    rows: dict[str, int] = field(default_factory=dict)
    exit_code: int = 0
    log_errors: int = 0
    log_bytes: int = 0
    keep_alive: bool = True
    in_flight: int = 0
    rate: float | None = None


def tune_fake(keep_alive: bool) -> None:
    """Make the fake answer like Telegram's servers rather than like a test helper.

    Python's http.server answers HTTP/1.0, one connection per request, and writes headers and
    body in separate packets: with keep-alive and Nagle's algorithm the body then waits for
    the client's delayed ACK (about 40 ms per request). Telegram keeps connections open, so
    by default the fake does too, with TCP_NODELAY. Class attributes, this process only.
    """
    handler = botapi_server._Handler
    handler.protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"
    handler.disable_nagle_algorithm = keep_alive


def run_soak(
    updates: int, users: int, in_flight: int, rate: float | None, keep_alive: bool
) -> SoakResult:
    tune_fake(keep_alive)
    user_ids = [USER_BASE + i for i in range(users)]
    totals = Totals()
    with tempfile.TemporaryDirectory() as tmp, FakeBotApiServer() as server:
        api = server.api
        soak = Soak(api, user_ids, updates)
        api.subscribe(soak.on_action)
        db = Path(tmp) / "soak.sqlite3"
        log_path = Path(tmp) / "bot.log"
        with log_path.open("wb") as out:
            proc = subprocess.Popen(
                [*outreach_bot_command(), "run"],
                env=process_environment(server.url, db),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=tmp,
            )
            try:
                soak.bot_pid = proc.pid
                _wait_until_polling(server, proc, log_path)
                start_kib = proc_status_kib(proc.pid, "VmRSS") or 0
                sampler = Sampler(proc.pid)
                sampler.start()
                bot_cpu0, own_cpu0 = cpu_seconds(proc.pid) or 0.0, time.process_time()
                threads0 = thread_cpu_seconds(proc.pid)
                # Generous: a bot at 20 updates/s would still finish.
                deadline = time.perf_counter() + updates / 20 + 120
                feeder = threading.Thread(
                    target=soak.feed, args=(in_flight, rate, deadline), name="supporters"
                )
                feeder.start()
                pruned, last_report = 0, time.perf_counter()
                while feeder.is_alive():
                    feeder.join(0.5)
                    if soak.answered - pruned >= PRUNE_EVERY:
                        pruned = soak.answered
                        prune(api, server, totals)
                    if time.perf_counter() - last_report >= 10:
                        last_report = time.perf_counter()
                        elapsed = last_report - soak.started
                        rss = sampler.samples[-1][1] if sampler.samples else 0
                        log(
                            f"  {soak.answered:,}/{updates:,} answered in {elapsed:.0f} s "
                            f"({soak.answered / elapsed:,.0f}/s), bot RSS {mib(rss)} MiB"
                        )
                seconds = time.perf_counter() - soak.started
                bot_cpu = (cpu_seconds(proc.pid) or bot_cpu0) - bot_cpu0
                own_cpu = time.process_time() - own_cpu0
                threads = thread_cpu_seconds(proc.pid)
                main_thread = threads.get(proc.pid, 0.0) - threads0.get(proc.pid, 0.0)
                sampler.stopping.set()
                sampler.join(timeout=5)
                prune(api, server, totals)
            finally:
                exit_code = stop_process(proc)
        output = log_path.read_bytes()
        db_bytes = sum(p.stat().st_size for p in (db, db.with_name(db.name + "-wal")) if p.exists())
        with contextlib.closing(sqlite3.connect(db)) as conn:
            rows = {
                table: int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # noqa: S608
                for table in ("users", "pledges", "subscriptions", "drafts")
            }
        return SoakResult(
            updates=soak.answered + soak.unanswered,
            users=users,
            seconds=seconds,
            latencies=soak.latencies,
            unanswered=soak.unanswered,
            off_script=sum(s.off_script for s in soak.sessions.values()),
            peak_kib=sampler.peak_kib,
            start_kib=start_kib,
            checkpoints=soak.checkpoints,
            bot_cpu=bot_cpu,
            bot_main_thread_cpu=main_thread,
            fake_cpu=own_cpu,
            totals=totals,
            fake_errors=len(server.errors),
            db_bytes=db_bytes,
            rows=rows,
            exit_code=exit_code,
            log_errors=output.count(b"ERROR") + output.count(b"Traceback"),
            log_bytes=len(output),
            keep_alive=keep_alive,
            in_flight=in_flight,
            rate=rate,
        )


def _wait_until_polling(
    server: FakeBotApiServer, proc: subprocess.Popen[bytes], log_path: Path
) -> None:
    """Until the bot's first getUpdates (it set its commands and started polling)."""
    deadline = time.monotonic() + 120
    while "getUpdates" not in server.calls:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(
                "the bot did not start polling:\n" + log_path.read_text("utf-8", "replace")[-2000:]
            )
        time.sleep(0.05)


# -- storage size per supporter -----------------------------------------------------------------


async def seed(path: Path, count: int, supporters: bool) -> float:
    """``count`` users through Storage methods; supporters also pledge, subscribe and write a
    letter. Returns the seconds it took."""
    storage = await Storage.open(path)
    rng = random.Random(count)
    started = time.perf_counter()
    try:
        for user_id in range(USER_BASE, USER_BASE + count):
            lang = "es" if user_id % 2 else "en"
            source = rng.choice((None, "flyer-houston", "share", "church-bulletin"))
            await storage.touch_user(user_id, lang, source)
            if not supporters:
                continue
            await storage.record_pledge(user_id)
            await storage.set_pledge_name(user_id, rng.choice(NAMES))
            await storage.set_pledge_state(user_id, rng.choice(STATES))
            await storage.subscribe(user_id)
            await storage.count_event("pledge", lang, source)
            await storage.start_draft(user_id, lang, rng.randrange(2**31), "intro")
            await storage.reach(user_id, "started", lang, source)
            await storage.update_draft(
                user_id,
                step="send",
                role="community",
                reasons=("racial-profiling", "community-trust"),
                story=rng.choice(STORIES[lang]),
                sign_name=rng.choice(NAMES),
                sign_place=rng.choice(PLACES),
            )
            await storage.finish_draft(user_id, "sent")
    finally:
        await storage.close()
    return time.perf_counter() - started


@dataclass
class SeedResult:
    label: str
    count: int
    size: int
    seconds: float


def measure_seed(count: int) -> list[SeedResult]:
    results = []
    for label, supporters in (
        ("supporter: user, pledge (name, state), subscription, sent letter", True),
        ("user who only pressed /start", False),
    ):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "seed.sqlite3"
            seconds = asyncio.run(seed(path, count, supporters))
            empty = Path(tmp) / "empty.sqlite3"
            asyncio.run(seed(empty, 0, supporters))
            size = sum(
                p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists()
            )
            base = empty.stat().st_size
            results.append(SeedResult(label, count, size - base, seconds))
            log(f"  seeded {count:,} ({label.split(':')[0]}) in {seconds:.0f} s")
    return results


# -- main ---------------------------------------------------------------------------------------


def mib(kib: int) -> str:
    return f"{kib / 1024:,.1f}"


def report(r: SoakResult, seeds: list[SeedResult], args_line: str, wall: float) -> None:
    ms = [x * 1000 for x in r.latencies]
    mode = f"steady {r.rate:g} updates/s" if r.rate else f"as fast as consumed, ≤ {r.in_flight}"
    mode += " unanswered at once" if not r.rate else ""
    fake = "keep-alive, TCP_NODELAY" if r.keep_alive else "as shipped, HTTP/1.0"
    print()
    print(
        f"### Soak: {r.updates:,} updates from {r.users:,} supporters through `outreach-bot "
        f"run` (long polling; feeding {mode}; fake: {fake})"
    )
    print()
    print(
        "| updates | supporters | wall (s) | updates/s | p50 (ms) | p95 (ms) | p99 (ms) "
        "| max (ms) | unanswered |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {r.updates:,} | {r.users:,} | {r.seconds:,.1f} | {r.updates / r.seconds:,.0f} "
        f"| {percentile(ms, 0.50):,.1f} | {percentile(ms, 0.95):,.1f} "
        f"| {percentile(ms, 0.99):,.1f} | {max(ms, default=0):,.0f} | {r.unanswered:,} |"
    )
    print()
    print("Memory of the bot process (RSS):")
    print()
    print(
        "| at start (polling) | peak (sampled every 0.5 s) "
        + " ".join(f"| at {f:.0%}" for f in CHECKPOINTS)
        + " | growth 20 % → 100 % |"
    )
    print("|" + "---:|" * (3 + len(CHECKPOINTS)))
    at = {f: kib for f, kib, _ in r.checkpoints}
    first, last = at.get(0.2, 0), at.get(1.0, 0)
    growth = (last - first) / 1024
    pct = (last - first) / first * 100 if first else 0.0
    print(
        f"| {mib(r.start_kib)} MiB | {mib(r.peak_kib)} MiB "
        + " ".join(f"| {mib(at.get(f, 0))} MiB" for f in CHECKPOINTS)
        + f" | {growth:+,.1f} MiB ({pct:+.1f} %) |"
    )
    print()
    t = r.totals
    per_update = (t.calls - t.polls) / r.updates if r.updates else 0
    print("| | value |")
    print("|---|---:|")
    print(
        f"| bot CPU, share of one core: all threads / event-loop thread "
        f"| {r.bot_cpu / r.seconds:.0%} / {r.bot_main_thread_cpu / r.seconds:.0%} |"
    )
    print(
        f"| fake + supporters CPU, this process (share of one core) "
        f"| {r.fake_cpu / r.seconds:.0%} |"
    )
    print(
        f"| Bot API calls answered by the fake: getUpdates / others "
        f"| {t.polls:,} / {t.calls - t.polls:,} ({per_update:.2f} per update) |"
    )
    print(f"| invalid requests (Telegram would reject) | {t.invalid:,} |")
    print(f"| stale-state answers (not modified, handled) | {t.stale:,} |")
    print(f"| fake server errors (500) | {r.fake_errors:,} |")
    print(f"| presses off script (button not on screen) | {r.off_script:,} |")
    print(
        f"| bot log at WARNING: bytes / ERROR or Traceback | {r.log_bytes:,} / {r.log_errors:,} |"
    )
    print(f"| exit code after SIGTERM | {r.exit_code} |")
    rows = ", ".join(f"{k} {v:,}" for k, v in r.rows.items())
    print(
        f"| SQLite file at the end | {r.db_bytes / 1024:,.0f} KiB "
        f"({r.db_bytes / r.rows.get('users', 1) * 1000 / 1024:,.0f} KiB per 1,000 users; "
        f"{rows}) |"
    )
    if seeds:
        print()
        print(f"### SQLite size per supporter (seeded through Storage methods, {seeds[0].count:,})")
        print()
        print(
            "| row set | users | file growth (MiB) | bytes per user | per 100,000 (MiB) "
            "| seeding (s) |"
        )
        print("|---|---:|---:|---:|---:|---:|")
        for s in seeds:
            per = s.size / s.count
            print(
                f"| {s.label} | {s.count:,} | {s.size / 2**20:,.1f} | {per:,.0f} "
                f"| {per * 100_000 / 2**20:,.1f} | {s.seconds:,.0f} |"
            )
    print()
    print(f"Whole benchmark: {wall:,.0f} s. Command: {args_line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, help="default 100,000 (10,000 with --quick)")
    parser.add_argument("--users", type=int, help="default 5,000 (1,000 with --quick)")
    parser.add_argument("--quick", action="store_true", help="10,000 updates from 1,000 users")
    parser.add_argument("--in-flight", type=int, default=10, help="most updates unanswered at once")
    parser.add_argument("--rate", type=float, help="feed at this steady rate (updates/s)")
    parser.add_argument(
        "--seed-users", type=int, help="supporters to seed for the size (0 to skip)"
    )
    parser.add_argument(
        "--fake-as-shipped",
        action="store_true",
        help="the fake as shipped: HTTP/1.0, a new connection per request, Nagle on",
    )
    args = parser.parse_args()
    updates = args.updates or (10_000 if args.quick else 100_000)
    users = args.users or (1_000 if args.quick else 5_000)
    seed_users = (
        args.seed_users if args.seed_users is not None else (10_000 if args.quick else 100_000)
    )
    in_flight = args.in_flight if not args.rate else max(args.in_flight, 10_000)
    args_line = f"python -m benchmarks.bench_soak {' '.join(sys.argv[1:])}".rstrip()
    print(f"Soak benchmark. Machine: {machine()}.")
    print(f"Command: {args_line}")
    wall = time.perf_counter()
    log(f"soak: {updates:,} updates from {users:,} supporters")
    result = run_soak(updates, users, in_flight, args.rate, not args.fake_as_shipped)
    seeds = []
    if seed_users > 0:
        log(f"seeding {seed_users:,} supporters")
        seeds = measure_seed(seed_users)
    report(result, seeds, args_line, time.perf_counter() - wall)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
