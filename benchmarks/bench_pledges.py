"""Pledges per second and latency with 1,000 supporters pledging at the same moment.

Runs the real Application over the in-memory Bot API with a real SQLite file: every user's
"I pledge" press is put on the update queue at once, and the latency of each is the time until
the bot's reply to that user reaches the Bot API. The per-user concurrent processor the bot uses
is compared in the same run with python-telegram-bot's default (one update after another).

Each Bot API call can be given a network round trip (``--latency-ms``, a list): at 0 the
in-memory API answers at once and the work is bound by the CPU; Telegram answers each call after
a round trip of tens of milliseconds, which the sequential baseline waits out update after
update (two calls per pledge: at 50 ms, about 100 s for 1,000 pledges) and the bot overlaps.

Each run also reports how busy the event loop's thread was: its CPU time over the run's wall
time. Where the baseline keeps it busy all the time (at 0 ms), there is no wait left for
concurrency to fill, and the bot can only be as fast as its CPU work per pledge allows.

    python -m benchmarks.bench_pledges [--users 1000] [--repeats 3] [--latency-ms 0,1,5,50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from telegram import Update

from bot.config import load_config
from bot.content import Content, load_content
from bot.render import check_rendered
from bot.storage import Storage
from bot.telegram.app import build_application, start_in_process, stop_in_process
from tests.fakes.local_api import LocalBotApi, OutgoingAction, local_transports

CONTENT = Path(__file__).resolve().parents[1] / "content"


class Run(NamedTuple):
    rate: float  # pledges per second
    latencies: list[float]  # ms from each press to its reply
    busy: float  # the event loop thread's CPU time over the wall time, from 0 to about 1


async def one_run(content: Content, users: int, per_user: bool, latency_ms: float = 0.0) -> Run:
    """One run on a fresh database, each Bot API call taking a round trip of ``latency_ms``."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.sqlite3"
        config = load_config(
            {
                "TELEGRAM_BOT_TOKEN": "1:bench",
                "OUTREACH_DB": str(db),
                "OUTREACH_CONTENT": str(CONTENT),
                # The in-memory Bot API allows any rate: measure the bot, not Telegram's 30/s.
                "OUTREACH_SEND_LIMIT": "1000",
            }
        )
        api = LocalBotApi()
        app = build_application(
            config,
            content,
            per_user_concurrency=per_user,
            **local_transports(api, latency=latency_ms / 1000),
        )
        await start_in_process(app)
        sent_at: dict[int, float] = {}
        replied_at: dict[int, float] = {}
        finished = asyncio.Event()

        def on_action(action: OutgoingAction) -> None:
            if action.method == "sendMessage" and action.chat_id in sent_at:
                replied_at.setdefault(action.chat_id, time.perf_counter())
                if len(replied_at) == users:
                    finished.set()

        api.subscribe(on_action)
        updates = [
            Update.de_json(api.user_press(u, 1, "pledge1:take"), app.bot)
            for u in range(1, users + 1)
        ]
        start = time.perf_counter()
        cpu_at_start = time.thread_time()
        for user_id, update in enumerate(updates, start=1):
            sent_at[user_id] = time.perf_counter()
            await app.update_queue.put(update)
        await asyncio.wait_for(finished.wait(), timeout=600)
        elapsed = time.perf_counter() - start
        busy = (time.thread_time() - cpu_at_start) / elapsed
        await stop_in_process(app)
        storage = await Storage.open(db)
        stored = await storage.pledge_count()
        await storage.close()
        if stored != users:
            raise SystemExit(f"lost pledges: {stored} stored of {users}")
        latencies = [(replied_at[u] - sent_at[u]) * 1000 for u in sent_at]
        return Run(users / elapsed, latencies, busy)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--latency-ms",
        type=_latencies,
        default=(0.0, 1.0, 5.0, 50.0),
        help="round trips of each Bot API call to measure, comma-separated (default 0,1,5,50)",
    )
    args = parser.parse_args()
    load_at_start = os.getloadavg()[0]
    content = load_content(CONTENT, render_check=check_rendered)
    labels = {False: "sequential (PTB default, baseline)", True: "per-user concurrent (the bot)"}
    runs = [(latency, per_user) for latency in args.latency_ms for per_user in labels]
    rates: dict[tuple[float, bool], list[float]] = {run: [] for run in runs}
    p50s: dict[tuple[float, bool], list[float]] = {run: [] for run in runs}
    p99s: dict[tuple[float, bool], list[float]] = {run: [] for run in runs}
    busy: dict[tuple[float, bool], list[float]] = {run: [] for run in runs}
    ratios: dict[float, list[float]] = {latency: [] for latency in args.latency_ms}
    for _ in range(args.repeats):
        for latency in args.latency_ms:
            # The baseline and the bot back to back: the ratio of one run shares its machine's
            # load.
            for per_user in labels:
                run = await one_run(content, args.users, per_user, latency)
                rates[latency, per_user].append(run.rate)
                p50s[latency, per_user].append(percentile(run.latencies, 0.50))
                p99s[latency, per_user].append(percentile(run.latencies, 0.99))
                busy[latency, per_user].append(run.busy * 100)
            ratios[latency].append(rates[latency, True][-1] / rates[latency, False][-1])
    print(
        f"Pledges: {args.users:,} users pledging at once, {args.repeats} runs (median, and "
        f"min–max), Python {platform.python_version()}, {platform.machine()}, load average "
        f"{load_at_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    )
    print()
    print(
        "| Bot API round trip (ms) | processing | users | pledges/s "
        "| p50 latency (ms) | p99 latency (ms) | event loop busy (%) |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|")
    for latency, per_user in runs:
        print(
            f"| {latency:g} | {labels[per_user]} | {args.users:,} "
            f"| {_spread(rates[latency, per_user])} | {_spread(p50s[latency, per_user])} "
            f"| {_spread(p99s[latency, per_user])} | {_spread(busy[latency, per_user])} |"
        )
    print()
    for latency, values in ratios.items():
        print(
            f"Round trip {latency:g} ms: the bot ÷ the baseline of the same run, min "
            f"{min(values):.2f}x, median {statistics.median(values):.2f}x, max "
            f"{max(values):.2f}x; the baseline kept the event loop busy "
            f"{statistics.median(busy[latency, False]):.0f}% of the time."
        )
    print("Every pledge stored exactly once in every run.")


def _latencies(text: str) -> tuple[float, ...]:
    """``0,50`` -> (0.0, 50.0): round trips in milliseconds, none negative."""
    try:
        values = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of milliseconds: {text!r}") from None
    if not values or any(v < 0 or v != v for v in values):
        raise argparse.ArgumentTypeError(f"round trips must be 0 ms or more: {text!r}")
    return values


def _spread(values: list[float]) -> str:
    """The median, and min–max (with a decimal below 100)."""
    places = 1 if max(values) < 100 else 0
    return (
        f"{statistics.median(values):,.{places}f} "
        f"({min(values):,.{places}f}–{max(values):,.{places}f})"
    )


if __name__ == "__main__":
    asyncio.run(main())
