"""Broadcast rate, crash safety and reply latency, against a fake Bot API on 127.0.0.1.

The fake (tests/fakes/botapi_server.py over LocalBotApi) enforces a flood limit like
Telegram's: over ``--flood-limit`` messages in one second it answers 429 with retry_after = 1
and keeps refusing for that second. Four measurements, each on a fresh SQLite file:

1. **Rate.** One broadcast to ``--recipients`` users through the real HTTP stack (the sender's
   own ``Bot`` with an ``HTTPXRequest`` pool of 32): achieved rate against the configured one
   (target ≥ 95 %), 429s received, duplicates (target 0), wall time.
2. **Kill and restart.** The sender runs in a subprocess (benchmarks/broadcast_worker.py),
   is SIGKILLed when about half the copies have arrived, and is started again: duplicates
   (target 0), lost recipients (target 0: everyone either got a copy or is reported, e.g. as
   unknown), unknown outcomes, and how many of those did arrive.
3. **Reply latency during the broadcast.** The real Application (``build_application``) talks
   to the same kind of fake while ``--users`` simulated users each send a question every
   ``--interval`` seconds: p50/p95 time from the update being queued to the reply reaching the
   fake (target p95 < 1 s). The bot's design (a separate sender with its own Bot and budget) is
   compared in the same run with a naive baseline: the same broadcast sent through the
   Application's own bot with PTB's ``AIORateLimiter`` (needs python-telegram-bot's
   ``rate-limiter`` extra, i.e. aiolimiter; skipped with a message when it is missing). Here
   the flood limit covers only copyMessage: the default interactive load (40 replies/s) would
   exceed Telegram's 30/s by itself, and what is measured is queueing inside the bot.
4. **Memory.** The sender's Python heap (tracemalloc) for audiences of N/5, N and 5N, through a
   stub transport: it follows the rate, not the audience.
5. **One send budget.** The fake counts every message the bot sends — replies and broadcast
   copies together — against ``--limit`` (30/s, Telegram's), as Telegram does. The real
   Application runs with ``--chatters`` users each asking a question every ~``--chat-interval``
   seconds while a broadcast to ``--budget-recipients`` goes out at each configured rate of
   ``--budget-rates`` (the default 25, and 45: above the limit). The bot (replies and broadcast
   sharing its send budget, the broadcast's rate adapting to 429s) is compared in the same run
   with the baseline it replaced: a fixed-rate sender that keeps to its own rate and only waits
   out 429s, replies on their own. Targets: the broadcast ≥ 0.95 × what the replies leave
   (the limit less their rate, at most the configured rate), 429s < 0.5 % of all sends, no
   question unanswered. ``--misjudged`` adds a run where the bot believes the limit is 45/s
   (``OUTREACH_SEND_LIMIT=45``) while the fake allows 30: only the adaptive rate protects it.

    python -m benchmarks.bench_broadcast                 # 10,000 recipients at 25/s: ~45 min
    python -m benchmarks.bench_broadcast --quick         # 2,000 at 100/s: ~8 min
    python -m benchmarks.bench_broadcast --recipients N --rate R --parts 1,3
    python -m benchmarks.bench_broadcast --parts 5 --repeats 3   # the send budget: ~45 min
    python -m benchmarks.bench_broadcast --parts 5 --repeats 3 --no-baseline   # ~13 min

Everything runs on 127.0.0.1 and every loop is bounded; the benchmark stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import logging
import math
import os
import platform
import random
import resource
import signal
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram import Bot, Update
from telegram._utils.types import ODVInput
from telegram.error import TelegramError
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot.config import Config, load_config
from bot.content import Content, load_content
from bot.outbox import Outbox, Report
from bot.render import check_rendered
from bot.storage import Storage
from bot.telegram.context import BotApp
from bot.telegram.sender import BroadcastSender
from tests.fakes.botapi_server import FakeBotApiServer
from tests.fakes.local_api import SENDING_METHODS, LocalBotApi, OutgoingAction

REPO = Path(__file__).resolve().parents[1]
CONTENT = REPO / "content"
TOKEN = "123456:bench-broadcast"  # noqa: S105 - a fake token for the fake server
ORGANIZER = 900_000_000
INTERACTIVE_BASE = 800_000_000  # simulated users' ids: far from the recipients' 1..N
MESSAGE = "<b>Update:</b> the county vote on 287(g) is on Tuesday."
QUESTION = "what is 287g"
BASELINE_CHUNK = 100  # sends the naive loop hands the limiter at once
MEMORY_RATE = 1000.0  # msg/s in the memory runs: the same for every audience size


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# -- set-up ---------------------------------------------------------------------------------------


async def new_database(folder: Path, recipients: int) -> Path:
    """A migrated database with ``recipients`` subscribed, reachable users (ids 1..N)."""
    path = folder / "bench.sqlite3"
    storage = await Storage.open(path)
    async with storage.transaction() as conn:
        await conn.executemany(
            "INSERT INTO users (user_id, language, first_seen, last_seen) VALUES (?, 'en', 0, 0)",
            [(u,) for u in range(1, recipients + 1)],
        )
        await conn.executemany(
            "INSERT INTO subscriptions (user_id, consent_at) VALUES (?, 0)",
            [(u,) for u in range(1, recipients + 1)],
        )
    await storage.close()
    return path


async def confirmed_broadcast(outbox: Outbox, message_id: int) -> int:
    broadcast_id = await outbox.create_broadcast(ORGANIZER, ORGANIZER, message_id, "text", "all")
    check = await outbox.record_preview(broadcast_id, "all")  # as the organizer's preview does
    assert check is not None
    await outbox.confirm(broadcast_id, None, check)
    return broadcast_id


def organizer_message(api: LocalBotApi) -> int:
    """The organizer's message to copy, as if they had sent it to the bot."""
    return int(api.user_message(ORGANIZER, MESSAGE)["message"]["message_id"])


def bot_config(db: Path, server: FakeBotApiServer, rate: float, send_limit: float) -> Config:
    """The whole bot's settings: the database, this fake, a broadcast rate and a send limit."""
    return load_config(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "OUTREACH_DB": str(db),
            "OUTREACH_CONTENT": str(CONTENT),
            "TELEGRAM_API_URL": server.url,
            "OUTREACH_BROADCAST_RATE": str(rate),
            "OUTREACH_SEND_LIMIT": str(send_limit),
        }
    )


def sender_bot(server: FakeBotApiServer) -> Bot:
    return Bot(
        TOKEN,
        base_url=server.url + "/bot",
        request=HTTPXRequest(connection_pool_size=32),
    )


@dataclass
class CopyLog:
    """Arrival times of accepted copyMessage calls at the fake (written from server threads)."""

    count: int = 0
    first: float = 0.0
    last: float = 0.0
    reached: threading.Event = field(default_factory=threading.Event)
    threshold: int = 0
    on_threshold: Callable[[], None] | None = None  # runs in the server thread, mid-request

    def __call__(self, action: OutgoingAction) -> None:
        if action.method != "copyMessage":
            return
        now = time.perf_counter()
        self.count += 1
        if self.count == 1:
            self.first = now
        self.last = now
        if self.threshold and self.count == self.threshold:
            if self.on_threshold is not None:
                self.on_threshold()
            self.reached.set()

    def rate(self) -> float:
        span = self.last - self.first
        return (self.count - 1) / span if self.count > 1 and span > 0 else 0.0


def print_progress(label: str, total: int) -> Callable[[Report], Awaitable[None]]:
    async def show(report: Report) -> None:
        log(f"  {label}: {report.processed:,}/{total:,}")

    return show


# -- 1. rate ------------------------------------------------------------------------------------


@dataclass
class RateResult:
    recipients: int
    rate: float
    achieved: float
    flooded: int
    duplicates: int
    lost: int
    wall: float
    report: Report


async def measure_rate(recipients: int, rate: float, flood_limit: float) -> RateResult:
    with tempfile.TemporaryDirectory() as tmp:
        db = await new_database(Path(tmp), recipients)
        api = LocalBotApi(flood_limit=flood_limit)
        copies = CopyLog()
        api.subscribe(copies)
        with FakeBotApiServer(api) as server:
            message_id = organizer_message(api)
            storage = await Storage.open(db)
            outbox = Outbox(storage)
            broadcast_id = await confirmed_broadcast(outbox, message_id)
            bot = sender_bot(server)
            await bot.initialize()
            sender = BroadcastSender(bot, outbox, rate=rate)
            started = time.perf_counter()
            try:
                report = await asyncio.wait_for(
                    sender.run(broadcast_id, print_progress("rate", recipients), 15.0),
                    timeout=recipients / rate * 3 + 60,
                )
            finally:
                wall = time.perf_counter() - started
                await sender.stop()
                await bot.shutdown()
                await storage.close()
        return RateResult(
            recipients=recipients,
            rate=rate,
            achieved=copies.rate(),
            flooded=api.flooded,
            duplicates=api.duplicates(),
            lost=recipients - len(api.sent_per_chat) - report.blocked - report.failed,
            wall=wall,
            report=report,
        )


# -- 2. kill and restart ------------------------------------------------------------------------


@dataclass
class CrashResult:
    recipients: int
    killed_after: int
    duplicates: int
    lost: int
    unknown: int
    unknown_arrived: int
    delivered: int
    wall: float
    worker_rss_mib: float


async def measure_crash(recipients: int, rate: float, flood_limit: float) -> CrashResult:
    with tempfile.TemporaryDirectory() as tmp:
        db = await new_database(Path(tmp), recipients)
        api = LocalBotApi(flood_limit=flood_limit)
        copies = CopyLog(threshold=recipients // 2)
        api.subscribe(copies)
        with FakeBotApiServer(api) as server:
            message_id = organizer_message(api)
            storage = await Storage.open(db)
            broadcast_id = await confirmed_broadcast(Outbox(storage), message_id)
            await storage.close()
            command = [
                sys.executable,
                "-m",
                "benchmarks.broadcast_worker",
                "--db",
                str(db),
                "--api-url",
                server.url,
                "--rate",
                str(rate),
            ]
            env = {**os.environ, "BENCH_TOKEN": TOKEN}
            started = time.perf_counter()
            first = await asyncio.create_subprocess_exec(
                *command,
                cwd=REPO,
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            # The kill lands while the fake is still answering the copy that reached half: the
            # worker never hears that it arrived, as in a real crash mid-request.
            copies.on_threshold = lambda: os.kill(first.pid, signal.SIGKILL)
            deadline = time.monotonic() + recipients / rate * 2 + 60
            while not copies.reached.is_set() and first.returncode is None:
                if time.monotonic() > deadline:
                    first.kill()
                    raise SystemExit("the worker did not reach half of the recipients")
                await asyncio.sleep(0.005)  # a benchmark may poll: it waits for a process
            await first.wait()
            killed_after = copies.count
            log(f"  crash: killed the worker after {killed_after:,} copies; restarting")
            second = await asyncio.create_subprocess_exec(
                *command,
                cwd=REPO,
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            try:
                _out, err = await asyncio.wait_for(second.communicate(), recipients / rate * 2 + 60)
            except TimeoutError:
                second.kill()
                await second.wait()
                raise
            if second.returncode != 0:
                raise SystemExit(f"the restarted worker failed:\n{err.decode()[-2000:]}")
            wall = time.perf_counter() - started
        storage = await Storage.open(db)
        rows = await storage.fetchall(
            "SELECT user_id, status FROM deliveries WHERE broadcast_id = ?", (broadcast_id,)
        )
        await storage.close()
        status = {int(r[0]): str(r[1]) for r in rows}
        received = api.sent_per_chat
        reported = {"unknown", "failed", "blocked", "skipped"}
        lost = sum(1 for u, s in status.items() if received[u] == 0 and s not in reported)
        lost += recipients - len(status)
        unknown = [u for u, s in status.items() if s == "unknown"]
        return CrashResult(
            recipients=recipients,
            killed_after=killed_after,
            duplicates=api.duplicates(),
            lost=lost,
            unknown=len(unknown),
            unknown_arrived=sum(1 for u in unknown if received[u] > 0),
            delivered=sum(1 for s in status.values() if s == "delivered"),
            wall=wall,
            worker_rss_mib=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        )


# -- 3. reply latency ---------------------------------------------------------------------------


class Replies:
    """Latency from queueing a user's update to the bot's reply reaching the fake."""

    def __init__(self, user_ids: list[int]) -> None:
        self._waiting: dict[int, deque[float]] = {u: deque() for u in user_ids}
        self._lock = threading.Lock()
        self.latencies: list[float] = []
        self.measuring = False
        self.unexpected = 0  # messages to a user who was not waiting (should stay 0)

    def queued(self, user_id: int, at: float) -> None:
        with self._lock:
            self._waiting[user_id].append(at)

    def __call__(self, action: OutgoingAction) -> None:
        if action.method != "sendMessage" or action.chat_id not in self._waiting:
            return
        now = time.perf_counter()
        with self._lock:
            waiting = self._waiting[action.chat_id]
            if not waiting:
                self.unexpected += 1
                return
            sent = waiting.popleft()
            if self.measuring:
                self.latencies.append(now - sent)

    def outstanding(self) -> list[float]:
        with self._lock:
            return [t for q in self._waiting.values() for t in q]


@dataclass
class LatencyResult:
    label: str
    replies: int
    unanswered: int
    p50: float
    p95: float
    worst: float
    censored: bool  # p95 includes unanswered questions (their wait so far is a lower bound)
    broadcast_sent: int
    broadcast_rate: float
    flooded: int
    wall: float
    note: str = ""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else math.nan


async def keep_asking(
    ask: Callable[[int], Awaitable[None]], user_id: int, interval: float, stop: asyncio.Event
) -> None:
    """``ask(user_id)`` every ``interval`` seconds (± 20 %, from a random start) until ``stop``."""
    rng = random.Random(user_id)
    await asyncio.sleep(rng.uniform(0, interval))
    while not stop.is_set():
        await ask(user_id)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval * rng.uniform(0.8, 1.2))


async def measure_latency(
    content: Content,
    recipients: int,
    rate: float,
    flood_limit: float,
    users: int,
    interval: float,
    baseline: bool,
    time_limit: float,
) -> LatencyResult:
    label = "naive: AIORateLimiter, shared bot" if baseline else "the bot: own sender and budget"
    with tempfile.TemporaryDirectory() as tmp:
        db = await new_database(Path(tmp), recipients)
        api = LocalBotApi(flood_limit=flood_limit, flood_methods={"copyMessage"})
        copies = CopyLog()
        api.subscribe(copies)
        user_ids = [INTERACTIVE_BASE + i for i in range(users)]
        replies = Replies(user_ids)
        api.subscribe(replies)
        with FakeBotApiServer(api) as server:
            # The fake limits copies only here (see the module docstring): so does the bot;
            # part 5 measures the limit shared with replies.
            config = bot_config(db, server, rate, send_limit=1000)
            # Imported here: parts 1 and 2 need only the sender, not the whole bot.
            from bot.telegram.app import build_application, start_in_process, stop_in_process

            app = build_application(config, content)
            if baseline:
                from telegram.ext import AIORateLimiter

                # The naive set-up: PTB's limiter on the Application's bot, set to Telegram's
                # limit, and the broadcast sent through that same bot. ExtBot takes the limiter
                # only through the builder, which build_application does not expose.
                app.bot._rate_limiter = AIORateLimiter(
                    overall_max_rate=flood_limit, overall_time_period=1, max_retries=3
                )
            await start_in_process(app)
            try:
                return await _latency_run(
                    app,
                    api,
                    server,
                    copies,
                    replies,
                    user_ids,
                    label,
                    recipients,
                    rate,
                    interval,
                    baseline,
                    time_limit,
                )
            finally:
                await stop_in_process(app)


async def _latency_run(
    app: BotApp,
    api: LocalBotApi,
    server: FakeBotApiServer,
    copies: CopyLog,
    replies: Replies,
    user_ids: list[int],
    label: str,
    recipients: int,
    rate: float,
    interval: float,
    baseline: bool,
    time_limit: float,
) -> LatencyResult:
    message_id = organizer_message(api)
    outbox = Outbox(app.bot_data.storage)
    broadcast_id = await confirmed_broadcast(outbox, message_id)

    async def ask(user_id: int) -> None:
        update = Update.de_json(api.user_message(user_id, QUESTION, language_code="en"), app.bot)
        replies.queued(user_id, time.perf_counter())
        await app.update_queue.put(update)

    # Warm-up: every simulated user asks once and is answered, before anything is measured.
    for user_id in user_ids:
        await ask(user_id)
    for _ in range(1000):
        if not replies.outstanding():
            break
        await asyncio.sleep(0.01)
    else:
        raise SystemExit("the bot did not answer the warm-up questions")

    stop = asyncio.Event()
    replies.measuring = True
    askers = [asyncio.create_task(keep_asking(ask, u, interval, stop)) for u in user_ids]
    started = time.perf_counter()
    note = ""
    bot: Bot | None = None
    sender: BroadcastSender | None = None
    broadcast: asyncio.Task[Any]
    try:
        if baseline:
            broadcast = asyncio.create_task(_naive_broadcast(app, outbox, broadcast_id, message_id))
        else:
            bot = sender_bot(server)
            await bot.initialize()
            sender = BroadcastSender(bot, outbox, rate=rate)
            broadcast = asyncio.create_task(
                sender.run(broadcast_id, print_progress(label, recipients), 15.0)
            )
        done, _ = await asyncio.wait({broadcast}, timeout=time_limit)
        if not done:
            broadcast.cancel()
            note = f"stopped after {time_limit:.0f} s"
        with contextlib.suppress(asyncio.CancelledError):
            await broadcast
    finally:
        stop.set()
        await asyncio.gather(*askers)
        wall = time.perf_counter() - started
        if sender is not None:
            await sender.stop()
        if bot is not None:
            await bot.shutdown()
    # Give the last questions a bounded moment to be answered.
    for _ in range(500):
        if not replies.outstanding():
            break
        await asyncio.sleep(0.01)
    if replies.unexpected:
        note = f"{note}; {replies.unexpected} unmatched replies".lstrip("; ")
    now = time.perf_counter()
    waiting = [now - t for t in replies.outstanding()]
    measured = replies.latencies + waiting
    p95 = percentile(measured, 0.95)
    return LatencyResult(
        label=label,
        replies=len(replies.latencies),
        unanswered=len(waiting),
        p50=percentile(measured, 0.50),
        p95=p95,
        worst=max(measured) if measured else math.nan,
        censored=bool(waiting) and p95 >= min(waiting),
        broadcast_sent=copies.count,
        broadcast_rate=copies.rate(),
        flooded=api.flooded,
        wall=wall,
        note=note,
    )


async def _naive_broadcast(app: BotApp, outbox: Outbox, broadcast_id: int, message_id: int) -> None:
    """The broadcast as naive code sends it: everything through the Application's bot and its
    rate limiter, a chunk of sends at a time, trusting the limiter to pace them."""
    bot = app.bot

    async def send(user_id: int) -> None:
        with contextlib.suppress(TelegramError):
            await bot.copy_message(chat_id=user_id, from_chat_id=ORGANIZER, message_id=message_id)

    after = 0
    while page := await outbox.next_pending(broadcast_id, after, BASELINE_CHUNK):
        await asyncio.gather(*(send(u) for u in page))
        after = page[-1]


# -- 4. memory ------------------------------------------------------------------------------------


class NoNetwork(BaseRequest):
    """A transport that answers every call at once and keeps nothing: only the sender's own
    memory is measured."""

    @property
    def read_timeout(self) -> float:
        return 5.0

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if url.endswith("/getMe"):
            me = {"id": 1, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}
            return 200, json.dumps({"ok": True, "result": me}).encode()
        return 200, b'{"ok": true, "result": {"message_id": 1}}'


async def measure_memory(recipients: int) -> tuple[float, float]:
    """(peak, left-over) Python heap in KiB while one broadcast to ``recipients`` is sent."""
    with tempfile.TemporaryDirectory() as tmp:
        db = await new_database(Path(tmp), recipients)
        storage = await Storage.open(db)
        outbox = Outbox(storage)
        broadcast_id = await confirmed_broadcast(outbox, 1)
        bot = Bot(TOKEN, request=NoNetwork())
        await bot.initialize()
        sender = BroadcastSender(bot, outbox, rate=MEMORY_RATE, max_in_flight=25)
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            report = await sender.run(broadcast_id)
            current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
            await sender.stop()
            await bot.shutdown()
            await storage.close()
        if report.delivered != recipients:
            raise SystemExit(f"memory run delivered {report.delivered} of {recipients}")
        return (peak - base) / 1024, (current - base) / 1024


# -- 5. one send budget -----------------------------------------------------------------------


class FixedPace:
    """The sender's pace as it was before it adapted: always the configured rate."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.floods = 0

    def current(self) -> float:
        return self.rate

    def flooded(self, sent_last_second: float, retry_after: float) -> None:
        self.floods += 1


class Sends:
    """Arrival times at the fake of every accepted send, by kind (server threads write)."""

    def __init__(self, chatters: set[int]) -> None:
        self._chatters = chatters
        self.copies: list[float] = []
        self.replies: list[float] = []

    def __call__(self, action: OutgoingAction) -> None:
        if action.method not in SENDING_METHODS:
            return
        if action.method == "copyMessage" and action.chat_id not in self._chatters:
            self.copies.append(time.perf_counter())
        elif action.chat_id in self._chatters:
            self.replies.append(time.perf_counter())


@dataclass
class BudgetResult:
    label: str
    rate: float  # configured broadcast rate
    limit: float  # the fake's limit on all sends
    recipients: int
    delivered: int
    broadcast_rate: float  # copies per second between the first and the last
    reply_rate: float  # replies per second over the same span
    expected: float  # what the replies leave: min(rate, limit - reply_rate)
    flooded: int  # 429 answers, to replies and copies
    sends: int  # accepted sends, replies and copies
    questions: int
    unanswered: int
    p50: float
    p95: float
    wall: float
    floods: int  # 429 episodes the sender slowed down for (0 for the fixed pace)

    @property
    def ratio(self) -> float:
        return self.broadcast_rate / self.expected if self.expected else math.nan

    @property
    def flood_share(self) -> float:
        total = self.sends + self.flooded
        return self.flooded / total if total else 0.0


async def measure_budget(
    content: Content,
    recipients: int,
    rate: float,
    limit: float,
    chatters: int,
    interval: float,
    design: str,
) -> BudgetResult:
    """One broadcast while users chat, against a fake counting every send against ``limit``.

    ``design``: "bot" (the shared budget and adaptive rate), "misjudged" (the same, believing
    the limit is ``rate``), or "fixed" (the baseline: a fixed-rate sender, no budget).
    """
    label = {
        "bot": "the bot: one budget, adaptive rate",
        "misjudged": f"the bot, told the limit is {rate:g}/s",
        "fixed": "baseline: fixed-rate sender",
    }[design]
    with tempfile.TemporaryDirectory() as tmp:
        db = await new_database(Path(tmp), recipients)
        api = LocalBotApi(flood_limit=limit)
        user_ids = [INTERACTIVE_BASE + i for i in range(chatters)]
        sends = Sends(set(user_ids))
        api.subscribe(sends)
        replies = Replies(user_ids)
        api.subscribe(replies)
        with FakeBotApiServer(api) as server:
            believed = rate if design == "misjudged" else limit
            config = bot_config(db, server, rate, send_limit=believed)
            from bot.telegram.app import build_application, start_in_process, stop_in_process

            app = build_application(config, content)
            await start_in_process(app)
            try:
                services = app.bot_data
                outbox = Outbox(services.storage)
                broadcast_id = await confirmed_broadcast(outbox, organizer_message(api))
                bot = sender_bot(server)
                await bot.initialize()
                if design == "fixed":
                    assert services.calls is not None
                    services.calls.budget = None  # replies on their own, as before
                    sender = BroadcastSender(bot, outbox, rate=rate)
                    sender.pace = FixedPace(rate)  # type: ignore[assignment]
                else:
                    sender = BroadcastSender(bot, outbox, rate=rate, budget=services.budget)
                assert services.calls is not None
                services.calls.on_flood(sender.hold)  # as the bot's own sender
                return await _budget_run(
                    app,
                    api,
                    sender,
                    bot,
                    replies,
                    sends,
                    user_ids,
                    broadcast_id,
                    interval,
                    label,
                    rate,
                    limit,
                    recipients,
                )
            finally:
                await stop_in_process(app)


async def _budget_run(
    app: BotApp,
    api: LocalBotApi,
    sender: BroadcastSender,
    bot: Bot,
    replies: Replies,
    sends: Sends,
    user_ids: list[int],
    broadcast_id: int,
    interval: float,
    label: str,
    rate: float,
    limit: float,
    recipients: int,
) -> BudgetResult:
    questions = 0

    async def ask(user_id: int) -> None:
        nonlocal questions
        update = Update.de_json(api.user_message(user_id, QUESTION, language_code="en"), app.bot)
        replies.queued(user_id, time.perf_counter())
        questions += 1
        await app.update_queue.put(update)

    stop = asyncio.Event()
    replies.measuring = True
    chatting = [asyncio.create_task(keep_asking(ask, u, interval, stop)) for u in user_ids]
    started = time.perf_counter()
    try:
        report = await asyncio.wait_for(
            sender.run(broadcast_id, print_progress(label, recipients), 15.0),
            timeout=recipients / min(rate, limit) * 4 + 60,
        )
    finally:
        stop.set()
        await asyncio.gather(*chatting)
        wall = time.perf_counter() - started
        await sender.stop()
        await bot.shutdown()
    for _ in range(3000):  # the last questions: answered within a bounded while, or lost
        if not replies.outstanding():
            break
        await asyncio.sleep(0.01)
    first, last = (sends.copies[0], sends.copies[-1]) if sends.copies else (0.0, 0.0)
    span = last - first
    copies_rate = (len(sends.copies) - 1) / span if span > 0 else 0.0
    reply_rate = sum(1 for t in sends.replies if first <= t <= last) / span if span > 0 else 0.0
    waiting = replies.outstanding()
    return BudgetResult(
        label=label,
        rate=rate,
        limit=limit,
        recipients=recipients,
        delivered=report.delivered,
        broadcast_rate=copies_rate,
        reply_rate=reply_rate,
        expected=min(rate, limit - reply_rate),
        flooded=api.flooded,
        sends=len(sends.copies) + len(sends.replies),
        questions=questions,
        unanswered=len(waiting),
        p50=percentile(replies.latencies, 0.50),
        p95=percentile(replies.latencies, 0.95),
        wall=wall,
        floods=sender.pace.floods if sender._budget is None else sender._budget.pace.floods,
    )


def print_budget(results: list[list[BudgetResult]], chatters: int, interval: float) -> None:
    """One row per design and rate: the median run by ratio, and min-max over the runs."""
    runs = len(results[0]) if results else 0
    print()
    print(
        f"### 5. One send budget: {chatters} users chatting (a question every ~{interval:g} s "
        f"each) during a broadcast, every send counted against {results[0][0].limit:g}/s"
        if results
        else "### 5. One send budget"
    )
    print()
    print(
        "| sender | configured (msg/s) | recipients | broadcast (msg/s) | replies (msg/s) "
        "| what replies leave (msg/s) | ratio | 429s | 429s / sends | questions | unanswered "
        "| reply p50 (ms) | reply p95 (ms) | wall (s) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in results:
        ordered = sorted(row, key=lambda r: r.ratio)
        mid = ordered[len(ordered) // 2]

        def span(values: list[float], fmt: str) -> str:
            low, high = min(values), max(values)
            return (
                format(low, fmt)
                if format(low, fmt) == format(high, fmt)
                else (f"{format(low, fmt)}–{format(high, fmt)}")
            )

        print(
            f"| {mid.label} | {mid.rate:g} | {mid.recipients:,} "
            f"| {span([r.broadcast_rate for r in row], '.2f')} "
            f"| {span([r.reply_rate for r in row], '.2f')} "
            f"| {span([r.expected for r in row], '.2f')} "
            f"| {span([r.ratio for r in row], '.3f')} "
            f"| {span([float(r.flooded) for r in row], '.0f')} "
            f"| {span([r.flood_share * 100 for r in row], '.2f')} % "
            f"| {span([float(r.questions) for r in row], '.0f')} "
            f"| {span([float(r.unanswered) for r in row], '.0f')} "
            f"| {span([r.p50 * 1000 for r in row], '.0f')} "
            f"| {span([r.p95 * 1000 for r in row], '.0f')} "
            f"| {span([r.wall for r in row], '.0f')} |"
        )
    print()
    print(
        f"Each row: {runs} run(s), min–max where they differ. Broadcast = copies accepted by the "
        "fake between the first and the last, per second; replies = answers to the chatting "
        "users over the same span; what replies leave = min(configured, limit − replies); "
        "ratio = broadcast ÷ what replies leave. Unanswered = questions with no answer 30 s "
        "after the broadcast ended."
    )
    for row in results:
        if row[0].label.startswith("the bot"):
            worst = min(row, key=lambda r: r.ratio)
            share = max(r.flood_share for r in row)
            lost = max(r.unanswered for r in row)
            print(
                f"- {row[0].label}, {row[0].rate:g}/s: ratio ≥ 0.95 "
                f"{verdict(worst.ratio >= 0.95)}; 429s < 0.5 % {verdict(share < 0.005)}; "
                f"0 unanswered {verdict(lost == 0)}."
            )


# -- the report ---------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return "–" if math.isnan(seconds) else f"{seconds * 1000:,.0f}"


def verdict(ok: bool) -> str:
    return "met" if ok else "**NOT met**"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, help="default 10,000 (2,000 with --quick)")
    parser.add_argument("--rate", type=float, help="messages/s; default the bot's 25 (100 quick)")
    parser.add_argument("--flood-limit", type=float, help="the fake's limit; default 1.2 x rate")
    parser.add_argument("--quick", action="store_true", help="2,000 recipients at 100/s")
    parser.add_argument("--parts", default="1,2,3,4,5", help="which measurements, e.g. 1,3")
    parser.add_argument("--users", type=int, default=20, help="simulated users in part 3")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between questions")
    parser.add_argument("--limit", type=float, default=30.0, help="part 5: the fake's limit")
    parser.add_argument("--chatters", type=int, default=10, help="part 5: users chatting")
    parser.add_argument(
        "--chat-interval",
        type=float,
        default=2.0,
        help="part 5: seconds between a user's questions",
    )
    parser.add_argument(
        "--budget-recipients", type=int, default=3_000, help="part 5: recipients (1,000 quick)"
    )
    parser.add_argument(
        "--budget-rates", default="", help="part 5: configured rates; default the bot's and 45"
    )
    parser.add_argument("--repeats", type=int, default=1, help="part 5: runs of each row")
    parser.add_argument(
        "--no-baseline", action="store_true", help="part 5: leave out the fixed-rate sender"
    )
    parser.add_argument(
        "--misjudged", action="store_true", help="part 5: add a run believing the limit is 45"
    )
    args = parser.parse_args()
    default_rate = load_config({}).broadcast_rate
    recipients = args.recipients or (2_000 if args.quick else 10_000)
    rate = args.rate or (100.0 if args.quick else default_rate)
    flood = args.flood_limit or round(rate * 1.2)
    parts = {p.strip() for p in args.parts.split(",")}
    logging.basicConfig(level=logging.WARNING)

    print(
        f"Broadcast benchmark: {recipients:,} recipients at a configured {rate:g} msg/s; the "
        f"fake Bot API on 127.0.0.1 allows {flood:g} msg/s (429, retry_after 1 s, above it). "
        f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs."
    )
    print(f"Command: python -m benchmarks.bench_broadcast {' '.join(sys.argv[1:])}".rstrip())

    if "1" in parts:
        log("part 1: rate")
        r = await measure_rate(recipients, rate, flood)
        ratio = r.achieved / r.rate
        print()
        print("### 1. Rate, through HTTP (HTTPXRequest, pool of 32)")
        print()
        print(
            "| recipients | configured (msg/s) | achieved (msg/s) | ratio | 429s received "
            "| duplicates | lost | delivered | wall time (s) |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        print(
            f"| {r.recipients:,} | {r.rate:g} | {r.achieved:.2f} | {ratio:.3f} | {r.flooded} "
            f"| {r.duplicates} | {r.lost} | {r.report.delivered:,} | {r.wall:.1f} |"
        )
        print()
        print(
            f"Targets: ratio ≥ 0.95 {verdict(ratio >= 0.95)}; duplicates 0 "
            f"{verdict(r.duplicates == 0)}. Achieved = copies accepted by the fake between the "
            "first and the last, per second."
        )

    if "1" in parts:
        over_rate, over_recipients = flood * 1.5, max(100, min(recipients // 5, 2_000))
        log("part 1b: configured above the flood limit")
        o = await measure_rate(over_recipients, over_rate, flood)
        print()
        print(
            f"### 1b. 429 handling: configured at {over_rate:g} msg/s, above the fake's "
            f"{flood:g} msg/s"
        )
        print()
        print(
            "| recipients | configured (msg/s) | achieved (msg/s) | 429s received "
            "| duplicates | lost | delivered | failed | wall time (s) |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        print(
            f"| {o.recipients:,} | {o.rate:g} | {o.achieved:.2f} | {o.flooded} "
            f"| {o.duplicates} | {o.lost} | {o.report.delivered:,} | {o.report.failed} "
            f"| {o.wall:.1f} |"
        )
        print()
        print(
            f"Every 429 paused the sender for retry_after and its row was sent again later: "
            f"duplicates 0 {verdict(o.duplicates == 0)}, lost 0 {verdict(o.lost == 0)}."
        )

    if "2" in parts:
        log("part 2: kill and restart")
        c = await measure_crash(recipients, rate, flood)
        print()
        print("### 2. SIGKILL at about half, then restart (sender in a subprocess)")
        print()
        print(
            "| recipients | killed after (copies) | duplicates | lost | unknown "
            "| unknown that arrived | delivered | wall time (s) | worker peak RSS (MiB) |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        print(
            f"| {c.recipients:,} | {c.killed_after:,} | {c.duplicates} | {c.lost} | {c.unknown} "
            f"| {c.unknown_arrived} | {c.delivered:,} | {c.wall:.1f} | {c.worker_rss_mib:.0f} |"
        )
        print()
        print(
            f"Targets: duplicates 0 {verdict(c.duplicates == 0)}; lost 0 {verdict(c.lost == 0)} "
            "(lost = no copy and not reported as unknown/failed/blocked/skipped). Unknown = "
            "sends on the wire at the kill: never resent, reported to the organizer."
        )

    if "3" in parts:
        content = load_content(CONTENT, render_check=check_rendered)
        results = []
        limit = recipients / rate * 1.5 + 30
        log("part 3: reply latency, the bot's design")
        design = await measure_latency(
            content, recipients, rate, flood, args.users, args.interval, False, limit
        )
        results.append(design)
        skipped = ""
        if importlib.util.find_spec("aiolimiter") is None:
            skipped = (
                "Baseline skipped: aiolimiter is not installed (python-telegram-bot's "
                "`rate-limiter` extra)."
            )
            log(skipped)
        else:
            log("part 3: reply latency, naive baseline")
            results.append(
                await measure_latency(
                    content,
                    recipients,
                    rate,
                    flood,
                    args.users,
                    args.interval,
                    True,
                    max(limit, design.wall * 1.2),
                )
            )
        print()
        print(
            f"### 3. Reply latency: {args.users} users, a question every ~{args.interval:g} s "
            f"each ({args.users / args.interval:g}/s), during the broadcast"
        )
        print()
        print(
            "| broadcast sent by | replies | unanswered | p50 (ms) | p95 (ms) | worst (ms) "
            "| broadcast copies | broadcast rate (msg/s) | 429s | duration (s) |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for res in results:
            mark = "≥ " if res.censored else ""
            note = f" ({res.note})" if res.note else ""
            print(
                f"| {res.label}{note} | {res.replies:,} | {res.unanswered:,} | {ms(res.p50)} "
                f"| {mark}{ms(res.p95)} | {ms(res.worst)} | {res.broadcast_sent:,} "
                f"| {res.broadcast_rate:.1f} | {res.flooded} | {res.wall:.0f} |"
            )
        print()
        print(
            f"Target: p95 < 1 s for the bot's design {verdict(design.p95 < 1.0)}. Latency = "
            "update queued → the reply's sendMessage reaching the fake; unanswered questions "
            "count with their wait so far (≥). The fake's flood limit covers copyMessage only "
            "here."
        )
        if skipped:
            print()
            print(skipped)

    if "4" in parts:
        sizes = (recipients // 5, recipients, recipients * 5)
        log("part 4: memory")
        rows = [(n, *await measure_memory(n)) for n in sizes]
        print()
        print("### 4. Memory: the sender's Python heap during one broadcast (tracemalloc)")
        print()
        print("| recipients | peak heap growth (KiB) | left after the run (KiB) |")
        print("|---:|---:|---:|")
        for n, peak, left in rows:
            print(f"| {n:,} | {peak:,.0f} | {left:,.0f} |")
        print()
        print(
            f"At {MEMORY_RATE:g} msg/s through an in-process stub transport. Recipients are read "
            "200 at a time, at most ceil(rate) sends are in flight and the per-chat limit "
            "remembers the last second's chats: memory follows the rate, not the audience."
        )

    if "5" in parts:
        content = load_content(CONTENT, render_check=check_rendered)
        budget_recipients = (
            args.budget_recipients if not args.quick else min(args.budget_recipients, 1_000)
        )
        rates = [float(r) for r in args.budget_rates.split(",") if r.strip()] or [
            default_rate,
            45.0,
        ]
        designs = ["bot"] + ([] if args.no_baseline else ["fixed"])
        budget_rows: list[list[BudgetResult]] = []
        for configured in rates:
            for sender_design in designs:
                row = []
                for n in range(args.repeats):
                    log(f"part 5: {sender_design} at {configured:g}/s, run {n + 1}/{args.repeats}")
                    row.append(
                        await measure_budget(
                            content,
                            budget_recipients,
                            configured,
                            args.limit,
                            args.chatters,
                            args.chat_interval,
                            sender_design,
                        )
                    )
                budget_rows.append(row)
        if args.misjudged:
            row = []
            for n in range(args.repeats):
                log(f"part 5: misjudged limit, run {n + 1}/{args.repeats}")
                row.append(
                    await measure_budget(
                        content,
                        budget_recipients,
                        45.0,
                        args.limit,
                        args.chatters,
                        args.chat_interval,
                        "misjudged",
                    )
                )
            budget_rows.append(row)
        print_budget(budget_rows, args.chatters, args.chat_interval)


if __name__ == "__main__":
    asyncio.run(main())
