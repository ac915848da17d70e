"""Updates per second, reply latency, start-up time and idle memory of the bot.

Three measurements, everything on 127.0.0.1:

1. **Throughput in-process.** Simulated supporters go through a realistic mix of updates —
   /start, menu presses, topics, facts and "next fact" presses, free-text questions in English
   and Spanish, the pledge flow (typed name, state, consent), the comment guide (role, reasons,
   typed story and signature, preview, safety note, outcome) and "Where I live" ZIP lookups —
   through the real Application (its update queue and the bot's per-user concurrent processor)
   over the in-memory Bot API (keeping no transcript of the run, whose memory would grow with
   every call and slow the process's garbage collection, and making no private copies of what
   it is sent and answers), with a real SQLite file. Each supporter waits for the answer to one
   update before sending the next (what they press depends on what is on their screen);
   ``--in-flight`` supporters are active at once. Latency is from putting the update on the
   queue to the bot's first visible answer in that chat (a sent or edited message). The same
   update stream (every supporter's texts and button presses, as recorded from the bot's run)
   is replayed in the same run against a bare python-telegram-bot echo bot (one
   MessageHandler and one CallbackQueryHandler that answer with the same text; same transport,
   same update queue, PTB's default one-update-at-a-time processing). The two take turns:
   the bot runs a batch of supporters (``--batches``, 8 by default), then the echo bot replays
   that batch, and so on, so that both meet the machine at the same speed; each keeps its own
   Application and database for the whole run, and the garbage is collected before each
   turn, outside the timing. The ratio says what the bot's own work costs compared with
   python-telegram-bot's floor. Each parses the updates as it would from Telegram: the echo
   bot with python-telegram-bot's ``Update.de_json``, the bot with its own ``read_update``
   (its polling and webhook leave out a pressed message's keyboard, sender and formatting
   other than quotations).
2. **Start-up of the real process.** ``outreach-bot run`` against a FakeBotApiServer with a
   /start already waiting: the time from starting the process to the fake recording the answer
   (median of ``--starts``, fresh database each time, as a restarted bot finds what it keeps
   beside its database: one uncounted start first keeps the parsed content there, and its
   time is shown on its own row), and the time to build and start the
   Application in-process (the first in this process also pays for first-time imports and
   caches; later ones reuse them).
3. **Idle memory.** RSS (``VmRSS`` in /proc/<pid>/status) of the real process a few seconds
   after it answered that first /start, with no other traffic.

    python -m benchmarks.bench_throughput [--users 400] [--in-flight 1,100] [--repeats 3]
                                          [--batches 8] [--starts 5] [--startup-only]
                                          [--bytecode as-is|compiled|source]

``--startup-only`` measures 2 and 3 alone (under a minute). ``--bytecode`` says how the started
process loads the bot's code: ``compiled`` compiles the bot's package and the installed
libraries first (``compileall``, what installing a wheel or building the container does) and
starts the process without ``PYTHONDONTWRITEBYTECODE``; ``source`` removes the checkout's
``bot/**/__pycache__`` and starts it with ``PYTHONDONTWRITEBYTECODE=1``, so every start compiles
the bot's sources again (the libraries keep the bytecode pip compiled); ``as-is`` (the default)
passes this process's environment on and uses whatever bytecode is on disk.

Every loop is bounded and the benchmark stops by itself (about 3 minutes with the defaults on
a 2-core machine). No figure is asserted; the tables are the result.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import contextlib
import gc
import logging
import os
import platform
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import telegram
from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

import bot as bot_package
from bot.config import load_config
from bot.content import Content, load_content
from bot.render import check_rendered
from bot.telegram.app import build_application, start_in_process, stop_in_process
from bot.telegram.incoming import read_update
from tests.fakes.botapi_server import FakeBotApiServer
from tests.fakes.local_api import LocalBotApi, LocalRequest, OutgoingAction, local_transports
from tests.harness import bot_environment, invalid_requests, outreach_bot_command

REPO = Path(__file__).resolve().parents[1]
CONTENT = REPO / "content"
TOKEN = "123456:bench-throughput"  # noqa: S105 - a fake token for the fake server
USER_BASE = 700_000_000  # simulated supporters' ids
# What the user sees as the bot's answer; answerCallbackQuery only stops the spinner.
VISIBLE = frozenset(
    {
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "copyMessage",
        "sendPhoto",
        "sendDocument",
    }
)
UPDATE_TIMEOUT = 60.0  # seconds one update may take before it counts as unanswered
DONE_GROUP = 99  # the handler group of the benchmark's "this update is finished" marker

# -- what supporters type -----------------------------------------------------------------------

QUESTIONS = {
    "en": (
        "what is 287g",
        "who pays for 287(g)?",
        "racial profiling",
        "does 287g make communities safer",
        "how many agreements are there",
        "what is the task force model",
        "who oversees the program",
        "do crime victims still call the police",
        "hello, can you help me?",
    ),
    "es": (
        "¿qué es 287g?",
        "¿quién paga por 287(g)?",
        "perfil racial",
        "¿287g hace más seguras a las comunidades?",
        "¿cuántos acuerdos hay?",
        "modelo de fuerza de tarea",
        "¿quién supervisa el programa?",
        "las víctimas de delitos llaman a la policía",
        "hola, ¿me puedes ayudar?",
    ),
}
ZIPS = (
    "77002",
    "30096",
    "33101",
    "10001",
    "90012",
    "85003",
    "37203",
    "28202",
    "78701",
    "60601",
    "98101",
    "32801",
    "75201",
    "29201",
    "35203",
)
NAMES = ("Ana", "Luis", "María", "José", "Sam", "Chris", "Fatima", "Nguyen")
STORIES = {
    "en": (
        "I live here and this matters to my family and my neighbors.",
        "Our town works best when everyone can call the police without fear.",
        "I teach at a local school and my students deserve to feel safe.",
    ),
    "es": (
        "Vivo aquí y esto importa para mi familia y mis vecinos.",
        "Nuestro pueblo funciona mejor cuando todos pueden llamar a la policía sin miedo.",
        "Soy maestra en una escuela local y mis alumnos merecen sentirse seguros.",
    ),
}
PLACES = ("Houston, TX", "Atlanta, GA", "Phoenix, AZ", "Charlotte, NC", "Miami, FL")
MENU = "menu1:main"  # the callback data of the main menu's button


@dataclass(frozen=True, slots=True)
class Step:
    """One planned action: type ``value``, or press a button.

    A press of ``"facts1:topic:"`` (a prefix ending in ":") takes the ``index``-th such button on
    the screen (modulo their number); any other press needs exactly that button on the screen.
    """

    kind: str  # "text" | "press"
    value: str
    index: int = 0


def _text(value: str) -> Step:
    return Step("text", value)


def _press(value: str, index: int = 0) -> Step:
    return Step("press", value, index)


def _facts(rng: random.Random, lang: str) -> list[Step]:
    return [
        _press("facts1:topics"),
        _press("facts1:topic:", rng.randrange(16)),
        _press("facts1:fact:", rng.randrange(8)),
        _press("facts1:fact:", 0),  # the first fact button on a fact card is "Next"
        _press("facts1:fact:", 0),
    ]


def _questions(rng: random.Random, lang: str) -> list[Step]:
    return [_text(q) for q in rng.sample(QUESTIONS[lang], 2)]


def _local(rng: random.Random, lang: str) -> list[Step]:
    return [_press("local1:ask"), _text(rng.choice(ZIPS))]


def _pledge(rng: random.Random, lang: str) -> list[Step]:
    return [
        _press("pledge1:show"),
        _press("pledge1:take"),
        _text(rng.choice(NAMES)),
        _press("pledge1:state:", rng.randrange(64)),
        _press("pledge1:updates:", 0 if rng.random() < 0.7 else 1),
    ]


def _comment(rng: random.Random, lang: str) -> list[Step]:
    first, second = rng.sample(range(8), 2)
    return [
        _press("guide1:open"),
        _press("guide1:start"),
        _press("guide1:role:", rng.randrange(6)),
        _press("guide1:reason:", first),
        _press("guide1:reason:", second),
        _press("guide1:next"),
        _text(rng.choice(STORIES[lang])),
        _text(rng.choice(NAMES)),
        _text(rng.choice(PLACES)),
        _press("guide1:continue"),
        _press("guide1:outcome:", 0),
    ]


# Once through everything; later rounds only repeat what can be repeated (a second pledge or a
# finished letter shows different screens).
FIRST_ROUND = (_facts, _questions, _local, _pledge, _comment)
LATER_ROUNDS = (_facts, _questions, _local)


class Session:
    """One simulated supporter: the next update they send, given what is on their screen.

    A planned press whose button is not on the latest message goes through the menu first, as a
    person would; ``off_script`` counts presses that were not on screen even then. ``recorded``
    is what was actually sent, for replaying the same stream elsewhere.
    """

    def __init__(self, user_id: int, *, rounds: int | None = 1) -> None:
        self.user_id = user_id
        self.lang = "es" if user_id % 2 else "en"
        rng = random.Random(user_id)
        self.first_name = rng.choice(NAMES)
        self._plan = _plan(rng, self.lang, rounds)
        self._retry: Step | None = None
        self.off_script = 0
        self.recorded: list[tuple[str, str]] = []

    def next_update(self, api: LocalBotApi) -> dict[str, Any] | None:
        """Queue the next update in ``api`` and return it; None when the plan is over."""
        step = self._retry
        self._retry = None
        if step is None:
            step = next(self._plan, None)
            if step is None:
                return None
            retried = False
        else:
            retried = True
        if step.kind == "text":
            return self._send("text", step.value, api)
        message = api.last_message(self.user_id)
        buttons = message.buttons if message else []
        on_screen = [str(b["callback_data"]) for b in buttons if b.get("callback_data")]
        data = _choose(step, on_screen)
        if data is None:
            if not retried and MENU in on_screen:
                self._retry = step
                data = MENU
            else:
                self.off_script += 1
                data = step.value if not step.value.endswith(":") else MENU
        return self._send("press", data, api)

    def _send(self, kind: str, value: str, api: LocalBotApi) -> dict[str, Any]:
        self.recorded.append((kind, value))
        return send(api, self.user_id, self.lang, self.first_name, kind, value)


def send(
    api: LocalBotApi, user_id: int, lang: str, first_name: str, kind: str, value: str
) -> dict[str, Any]:
    """Queue one typed text or button press (on the latest bot message) as ``user_id``."""
    if kind == "text":
        return api.user_message(user_id, value, first_name=first_name, language_code=lang)
    message = api.last_message(user_id)
    message_id = message.message_id if message else 1
    return api.user_press(user_id, message_id, value, language_code=lang, first_name=first_name)


def _plan(rng: random.Random, lang: str, rounds: int | None) -> Iterator[Step]:
    done = 0
    while rounds is None or done < rounds:
        parts = list(FIRST_ROUND if done == 0 else LATER_ROUNDS)
        rng.shuffle(parts)
        yield _text("/start")
        for part in parts:
            yield from part(rng, lang)
        done += 1


def _choose(step: Step, on_screen: list[str]) -> str | None:
    if step.value.endswith(":"):
        matching = [d for d in on_screen if d.startswith(step.value)]
        return matching[step.index % len(matching)] if matching else None
    return step.value if step.value in on_screen else None


def mix(streams: list[list[tuple[str, str]]]) -> str:
    """A one-line description of what was sent, by kind."""
    counts: dict[str, int] = {}
    for stream in streams:
        for kind, value in stream:
            if kind == "text":
                key = "/start" if value.startswith("/start") else "typed text"
            else:
                key = _press_group(value)
            counts[key] = counts.get(key, 0) + 1
    total = sum(counts.values())
    parts = sorted(counts.items(), key=lambda kv: -kv[1])
    return ", ".join(f"{k} {v / total:.0%}" for k, v in parts)


def _press_group(data: str) -> str:
    groups = {
        "menu1:main": "menu presses",
        "facts1": "topic/fact presses",
        "pledge1": "pledge presses",
        "guide1": "comment-guide presses",
        "local1": "where-I-live presses",
    }
    action = ":".join(data.split(":")[:2])
    return groups.get(action) or groups.get(data.split(":", 1)[0], "other presses")


# -- measuring ----------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def machine() -> str:
    return (
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.platform()}, "
        f"python-telegram-bot {telegram.__version__}, SQLite {sqlite3.sqlite_version}"
    )


def load_average() -> str:
    """The machine's load average over 1, 5 and 15 minutes (other work slows every figure)."""
    one, five, fifteen = os.getloadavg()
    return f"Load average: {one:.2f}, {five:.2f}, {fifteen:.2f}."


# The fakes allow any rate: the bot's send budget is opened to its maximum, so that what is
# measured is the bot, not Telegram's 30 messages/s (bench_broadcast measures the budget).
UNLIMITED = {"OUTREACH_SEND_LIMIT": "1000"}


def bot_config(folder: Path, **extra: str) -> Any:
    return load_config(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "OUTREACH_DB": str(folder / "bench.sqlite3"),
            "OUTREACH_CONTENT": str(CONTENT),
            **UNLIMITED,
            **extra,
        }
    )


def build_echo(api: LocalBotApi) -> Application[Any, Any, Any, Any, Any, Any]:
    """python-telegram-bot's floor: answer every text and every press with the same text."""

    async def echo_text(update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is not None and message.text is not None:
            await message.reply_text(message.text)

    async def echo_press(update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None or query.data is None:
            return
        await query.answer()  # what the bot does first too
        await ctx.bot.send_message(query.from_user.id, query.data)

    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .request(LocalRequest(api))
        .get_updates_request(LocalRequest(api))
        .updater(None)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo_text))
    app.add_handler(CallbackQueryHandler(echo_press))
    return app


@dataclass
class RunResult:
    updates: int
    seconds: float
    latencies: list[float]  # seconds
    unanswered: int
    off_script: int
    invalid: int  # requests Telegram would have rejected
    errors: int  # log records at ERROR or above (the error handler logs every exception)
    streams: dict[int, list[tuple[str, str]]] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0


class ErrorCount(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


class Replies:
    """The first visible answer in each waiting chat (called on the event loop's thread)."""

    def __init__(self) -> None:
        self.waiting: dict[int, float] = {}
        self.latencies: list[float] = []

    def __call__(self, action: OutgoingAction) -> None:
        if action.method in VISIBLE and action.chat_id is not None:
            sent = self.waiting.pop(action.chat_id, None)
            if sent is not None:
                self.latencies.append(time.perf_counter() - sent)


class InProcessRun:
    """One Application — "bot" (simulated sessions) or "echo" (replaying ``streams``) — over its
    own in-memory Bot API and a fresh database, fed supporters batch by batch
    (:meth:`batch`); :meth:`result` adds the batches up. Use as an async context manager."""

    def __init__(
        self,
        kind: str,
        content: Content,
        in_flight: int,
        streams: dict[int, list[tuple[str, str]]] | None = None,
    ) -> None:
        self.kind = kind
        self.content = content
        self.in_flight = in_flight
        # The echo bot replays what the bot's supporters sent; the bot records it here.
        self.streams = streams if streams is not None else {}
        self.sessions: dict[int, Session] = {}
        self.seconds = 0.0
        self.updates = 0
        self.unanswered = 0
        # No transcript and no getUpdates queue: the updates go straight to the bot and the
        # answers are timed by a listener, so the fake's memory does not grow with the run; and
        # no private copies, the fake's work that would otherwise load the bot's process.
        self.api = LocalBotApi(record=False, copies=False)
        self.replies = Replies()
        self.api.subscribe(self.replies)
        self.errors = ErrorCount()
        self._finished: dict[int, asyncio.Future[None]] = {}
        self._folder = tempfile.TemporaryDirectory()
        self.app: Any = None

    async def __aenter__(self) -> InProcessRun:
        if self.kind == "bot":
            app = build_application(
                bot_config(Path(self._folder.name)), self.content, **local_transports(self.api)
            )
        else:
            app = build_echo(self.api)
        app.add_handler(TypeHandler(Update, self._mark_done), group=DONE_GROUP)
        if self.kind == "bot":
            await start_in_process(app)
        else:
            await app.initialize()
            await app.start()
        self.app = app
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            if self.kind == "bot":
                await stop_in_process(self.app)
            else:
                await self.app.stop()
                await self.app.shutdown()
        finally:
            self._folder.cleanup()

    async def _mark_done(self, update: Update, ctx: Any) -> None:
        user = update.effective_user
        future = self._finished.pop(user.id, None) if user is not None else None
        if future is not None and not future.done():
            future.set_result(None)

    async def batch(self, users: list[int]) -> None:
        """Run ``users``' supporters, at most ``in_flight`` at once; their time is counted."""
        # Each parses the updates as it would from Telegram: the bot as its polling and webhook
        # do (bot.telegram.incoming), the echo bot as python-telegram-bot does.
        parse = read_update if self.kind == "bot" else Update.de_json
        app, api, replies = self.app, self.api, self.replies
        loop = asyncio.get_running_loop()
        gate = asyncio.Semaphore(self.in_flight)

        async def supporter(user_id: int) -> None:
            session = Session(user_id) if self.kind == "bot" else None
            if session is not None:
                self.sessions[user_id] = session
                self.streams[user_id] = session.recorded
            replay = iter(self.streams[user_id]) if session is None else iter(())
            probe = Session(user_id, rounds=0)  # language and first name only
            async with gate:
                while True:
                    if session is not None:
                        data = session.next_update(api)
                    else:
                        step = next(replay, None)
                        data = None
                        if step is not None:
                            data = send(api, user_id, probe.lang, probe.first_name, *step)
                    if data is None:
                        return
                    update = parse(data, app.bot)
                    done = loop.create_future()
                    self._finished[user_id] = done
                    replies.waiting[user_id] = time.perf_counter()
                    await app.update_queue.put(update)
                    try:
                        await asyncio.wait_for(done, UPDATE_TIMEOUT)
                    except TimeoutError:
                        self._finished.pop(user_id, None)
                    if replies.waiting.pop(user_id, None) is not None:
                        self.unanswered += 1
                    self.updates += 1

        logging.getLogger().addHandler(self.errors)
        # What the other bot's turn left behind is collected now, not by the garbage collector
        # in the middle of this one.
        gc.collect()
        started = time.perf_counter()
        try:
            await asyncio.gather(*(supporter(u) for u in users))
        finally:
            self.seconds += time.perf_counter() - started
            logging.getLogger().removeHandler(self.errors)

    def result(self) -> RunResult:
        return RunResult(
            updates=self.updates,
            seconds=self.seconds,
            latencies=self.replies.latencies,
            unanswered=self.unanswered,
            off_script=sum(s.off_script for s in self.sessions.values()),
            invalid=len(invalid_requests(self.api)),
            errors=self.errors.count,
            streams=dict(self.streams),
        )


async def paired_run(
    content: Content, users: list[int], in_flight: int, batches: int
) -> tuple[RunResult, RunResult]:
    """The bot and the echo bot taking turns: the bot runs a batch of supporters, then the echo
    bot replays what they sent, batch after batch, so that both meet the machine at the same
    speed (one echo bot's runs of a stream took 5.9 to 10.5 s here). Each keeps its own
    Application, in-memory Bot API and database for the whole run, and its time adds up."""
    size = max(in_flight, -(-len(users) // max(batches, 1)))
    bot = InProcessRun("bot", content, in_flight)
    echo = InProcessRun("echo", content, in_flight, bot.streams)
    async with bot, echo:
        for first in range(0, len(users), size):
            await bot.batch(users[first : first + size])
            await echo.batch(users[first : first + size])
    return bot.result(), echo.result()


async def in_process_start(content: Content, repeats: int) -> list[float]:
    """Seconds to build and start the Application in-process, ``repeats`` times."""
    times = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            api = LocalBotApi()
            started = time.perf_counter()
            app = build_application(
                bot_config(Path(tmp)),
                content,
                **local_transports(api),
            )
            await start_in_process(app)
            times.append(time.perf_counter() - started)
            await stop_in_process(app)
    return times


# -- the real process ---------------------------------------------------------------------------


BYTECODE_MODES = ("as-is", "compiled", "source")
BYTECODE_LABELS = {
    "compiled": "compiled bytecode, as a wheel install or the container has it",
    "source": "the bot's sources compiled at each start (`PYTHONDONTWRITEBYTECODE=1`)",
}


def bytecode_label(mode: str) -> str:
    if mode in BYTECODE_LABELS:
        return BYTECODE_LABELS[mode]
    setting = os.environ.get("PYTHONDONTWRITEBYTECODE")
    return f"bytecode as on disk, PYTHONDONTWRITEBYTECODE={setting or 'unset'}"


def prepare_bytecode(mode: str) -> None:
    """Put the bot's bytecode in the state ``mode`` measures (see the module's docstring)."""
    package = Path(bot_package.__file__).resolve().parent
    if mode == "compiled":
        for folder in (package, Path(sysconfig.get_paths()["purelib"])):
            compileall.compile_dir(folder, quiet=1, workers=1)
    elif mode == "source":
        if REPO not in package.parents:
            raise SystemExit(f"--bytecode source removes bytecode of the checkout only: {package}")
        for cache in package.rglob("__pycache__"):
            shutil.rmtree(cache)


def process_environment(server_url: str, db: Path, bytecode: str = "as-is") -> dict[str, str]:
    env = bot_environment(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=server_url,
        OUTREACH_DB=str(db),
        OUTREACH_CONTENT=str(CONTENT),
        OUTREACH_LOG_LEVEL="WARNING",
        **UNLIMITED,
    )
    if bytecode == "compiled":
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    elif bytecode == "source":
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def proc_status_kib(pid: int, key: str) -> int | None:
    """A ``VmRSS``-style field of /proc/<pid>/status in KiB; None once the process is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def stop_process(proc: subprocess.Popen[bytes]) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(timeout=30)


@dataclass
class ProcessStart:
    seconds: float
    idle_rss_kib: int
    peak_rss_kib: int
    exit_code: int


ECHO_COMMAND = [sys.executable, "-m", "benchmarks.echo_process"]


def process_start(
    idle_seconds: float,
    bytecode: str = "as-is",
    folder: Path | None = None,
    command: list[str] | None = None,
) -> ProcessStart:
    """Start ``outreach-bot run`` (or ``command``: :data:`ECHO_COMMAND`, the baseline) with a
    /start waiting; time until the fake gets the answer.

    The database is new each time. Beside it, in ``folder``, stays what an earlier start kept
    there (the parsed content files, as a bot restarted on the same database finds them);
    without ``folder``, nothing."""
    if folder is None:
        with tempfile.TemporaryDirectory() as tmp:
            return process_start(idle_seconds, bytecode, Path(tmp), command)
    for old in folder.glob("bench.sqlite3*"):
        old.unlink()
    user = USER_BASE - 1
    answered = threading.Event()
    answered_at: list[float] = []

    def on_action(action: OutgoingAction) -> None:
        if action.chat_id == user and action.method == "sendMessage" and not answered.is_set():
            answered_at.append(time.perf_counter())
            answered.set()

    with FakeBotApiServer() as server:
        server.api.subscribe(on_action)
        server.api.user_message(user, "/start")
        log_path = folder / "bot.log"
        with log_path.open("wb") as out:
            started = time.perf_counter()
            proc = subprocess.Popen(
                command or [*outreach_bot_command(), "run"],
                env=process_environment(server.url, folder / "bench.sqlite3", bytecode),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=REPO if command else folder,
            )
            try:
                if not answered.wait(timeout=120):
                    raise SystemExit(
                        "the bot did not answer /start within 120 s:\n"
                        + log_path.read_text("utf-8", "replace")[-2000:]
                    )
                seconds = answered_at[0] - started
                time.sleep(idle_seconds)  # no traffic: what an idle bot holds
                idle = proc_status_kib(proc.pid, "VmRSS") or 0
                peak = proc_status_kib(proc.pid, "VmHWM") or 0
            finally:
                code = stop_process(proc)
        return ProcessStart(seconds, idle, peak, code)


# -- main ---------------------------------------------------------------------------------------


@dataclass
class Level:
    """The runs at one in-flight level: the bot's median run, the echo's median run, the ratio
    of each run (the bot ÷ the echo bot taking turns with it) and the mix of updates."""

    in_flight: int
    bot: RunResult
    echo: RunResult
    ratios: list[float]
    mix: str


async def throughput(
    content: Content, users: int, in_flights: list[int], repeats: int, batches: int = 8
) -> list[Level]:
    """Per in-flight level: ``repeats`` runs, each the bot and the echo bot taking turns over
    ``batches`` batches of supporters (:func:`paired_run`)."""
    user_ids = [USER_BASE + i for i in range(users)]
    results = []
    for in_flight in in_flights:
        bot_runs, echo_runs, ratios = [], [], []
        description = ""
        for n in range(repeats):
            log(f"throughput: {in_flight} in flight, run {n + 1}/{repeats}")
            bot, echo = await paired_run(content, user_ids, in_flight, batches)
            ratio = bot.rate / echo.rate if echo.rate else 0.0
            log(
                f"  {bot.updates:,} updates: the bot {bot.seconds:.1f} s, the echo bot "
                f"{echo.seconds:.1f} s; ratio {ratio:.3f} (load average {os.getloadavg()[0]:.1f})"
            )
            description = mix(list(bot.streams.values()))
            bot_runs.append(bot)
            echo_runs.append(echo)
            ratios.append(ratio)
        results.append(
            Level(in_flight, _median_run(bot_runs), _median_run(echo_runs), ratios, description)
        )
    return results


def _median_run(runs: list[RunResult]) -> RunResult:
    ordered = sorted(runs, key=lambda r: r.rate)
    return ordered[len(ordered) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=400, help="simulated supporters per run")
    parser.add_argument(
        "--in-flight", default="1,100", help="supporters active at once, e.g. 1,100"
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs per row (median)")
    parser.add_argument(
        "--batches",
        type=int,
        default=8,
        help="turns the bot and the echo bot take in each run (batches of supporters)",
    )
    parser.add_argument("--starts", type=int, default=5, help="process starts (median)")
    parser.add_argument("--idle", type=float, default=3.0, help="seconds idle before the RSS")
    parser.add_argument(
        "--startup-only", action="store_true", help="measure start-up and idle memory only"
    )
    parser.add_argument(
        "--bytecode",
        choices=BYTECODE_MODES,
        default="as-is",
        help="how the started process loads the bot's code (see the docstring)",
    )
    args = parser.parse_args()
    in_flights = [int(x) for x in args.in_flight.split(",") if x.strip()]
    content = load_content(CONTENT, render_check=check_rendered)

    print(f"Throughput and start-up benchmark. Machine: {machine()}. {load_average()}")
    print(f"Command: python -m benchmarks.bench_throughput {' '.join(sys.argv[1:])}".rstrip())
    wall = time.perf_counter()

    # In-process starts first: the first one also pays for what later starts find cached.
    log("in-process build + start")
    starts_in_process = asyncio.run(in_process_start(content, max(args.starts, 2)))
    log(f"process starts: {bytecode_label(args.bytecode)}")
    prepare_bytecode(args.bytecode)
    starts, echoes = [], []
    with tempfile.TemporaryDirectory() as folder:
        # The first start in the folder finds nothing kept; the counted ones restart there.
        first = process_start(args.idle, args.bytecode, Path(folder))
        log(f"  first start, nothing kept yet: {first.seconds:.2f} s")
        for n in range(args.starts):
            # Each start of the bot right after one of the bare echo bot: they share the load.
            echoes.append(process_start(args.idle, args.bytecode, command=ECHO_COMMAND))
            starts.append(process_start(args.idle, args.bytecode, Path(folder)))
            log(
                f"  start {n + 1}/{args.starts}: {starts[-1].seconds:.2f} s "
                f"(echo bot {echoes[-1].seconds:.2f} s)"
            )
    results = (
        []
        if args.startup_only
        else asyncio.run(throughput(content, args.users, in_flights, args.repeats, args.batches))
    )
    if results:
        print_throughput(results, args.users, args.repeats)
    print_startup(
        starts_in_process, first, starts, echoes, args.idle, bytecode_label(args.bytecode)
    )
    print(f"Whole benchmark: {time.perf_counter() - wall:,.0f} s. {load_average()}")


def print_throughput(results: list[Level], users: int, repeats: int) -> None:
    print()
    print(
        f"### Updates per second in-process ({users:,} supporters per run, "
        f"median of {repeats} runs)"
    )
    print()
    print(
        "| processing | in flight | updates | updates/s | p50 latency (ms) | p99 latency (ms) "
        "| unanswered |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for level in results:
        for label, run in (
            ("the bot (per-user concurrent)", level.bot),
            ("echo bot (PTB default, floor)", level.echo),
        ):
            print(
                f"| {label} | {level.in_flight:,} | {run.updates:,} | {run.rate:,.0f} "
                f"| {percentile(run.latencies, 0.50) * 1000:,.1f} "
                f"| {percentile(run.latencies, 0.99) * 1000:,.1f} | {run.unanswered:,} |"
            )
    print()
    print("The bot's updates/s ÷ the echo bot's, each run's bot against the echo bot taking turns")
    print("with it on the same supporters:")
    print()
    print("| in flight | runs | ratio: min | median | max |")
    print("|---:|---:|---:|---:|---:|")
    for level in results:
        ratios = sorted(level.ratios)
        print(
            f"| {level.in_flight:,} | {len(ratios)} | {ratios[0]:.3f} "
            f"| {statistics.median(ratios):.3f} | {ratios[-1]:.3f} |"
        )
    print()
    for level in results:
        bot, echo = level.bot, level.echo
        print(
            f"- {level.in_flight:,} in flight: the median runs handle {bot.rate / echo.rate:.2f}x "
            f"the echo bot's updates/s ({bot.rate:,.0f} vs {echo.rate:,.0f}); presses off "
            f"script: {bot.off_script:,}; requests Telegram would reject: {bot.invalid:,}; "
            f"errors logged: {bot.errors:,}."
        )
    print(f"- Mix of updates: {results[0].mix}.")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"- Load average (1, 5, 15 min) at the end: {load}.")


def print_startup(
    in_process: list[float],
    first: ProcessStart,
    starts: list[ProcessStart],
    echoes: list[ProcessStart],
    idle_seconds: float,
    bytecode: str,
) -> None:
    print()
    print(f"### Start-up and idle memory ({len(starts)} starts; {bytecode})")
    print()
    cold, *warm = in_process
    secs = [s.seconds for s in starts]
    idle = [s.idle_rss_kib / 1024 for s in starts]
    peak = [s.peak_rss_kib / 1024 for s in starts]
    print("| measurement | median | min | max |")
    print("|---|---:|---:|---:|")
    print(
        f"| `outreach-bot run`: process start → first /start answered (s) "
        f"| {statistics.median(secs):.2f} | {min(secs):.2f} | {max(secs):.2f} |"
    )
    print(
        f"| the same, first start beside a new database: no parsed content kept yet (s) "
        f"| {first.seconds:.2f} | {first.seconds:.2f} | {first.seconds:.2f} |"
    )
    echo = [s.seconds for s in echoes]
    ratio = [bot.seconds / floor.seconds for bot, floor in zip(starts, echoes, strict=True)]
    print(
        f"| bare python-telegram-bot echo bot, started just before each (s) "
        f"| {statistics.median(echo):.2f} | {min(echo):.2f} | {max(echo):.2f} |"
    )
    print(
        f"| the bot ÷ the echo bot started just before it "
        f"| {statistics.median(ratio):.2f}x | {min(ratio):.2f}x | {max(ratio):.2f}x |"
    )
    print(f"| in-process build + start, first (s) | {cold:.2f} | {cold:.2f} | {cold:.2f} |")
    print(
        f"| in-process build + start, later (s) "
        f"| {statistics.median(warm):.3f} | {min(warm):.3f} | {max(warm):.3f} |"
    )
    print(
        f"| idle RSS {idle_seconds:g} s after the first answer (MiB) "
        f"| {statistics.median(idle):.1f} | {min(idle):.1f} | {max(idle):.1f} |"
    )
    print(
        f"| peak RSS during start-up, VmHWM (MiB) "
        f"| {statistics.median(peak):.1f} | {min(peak):.1f} | {max(peak):.1f} |"
    )
    codes = sorted({s.exit_code for s in starts})
    print()
    print(f"Exit codes after SIGTERM: {codes}.")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
