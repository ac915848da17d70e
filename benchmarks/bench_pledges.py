"""Pledges per second and latency with 1,000 supporters pledging at the same moment.

Runs the real Application over the in-memory Bot API with a real SQLite file: every user's
"I pledge" press is put on the update queue at once, and the latency of each is the time until
the bot's reply to that user. The per-user concurrent processor the bot uses is compared in the
same run with python-telegram-bot's default (one update after another).

    python -m benchmarks.bench_pledges [--users 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import tempfile
import time
from pathlib import Path

from telegram import Update

from bot.config import load_config
from bot.content import Content, load_content
from bot.render import check_rendered
from bot.storage import Storage
from bot.telegram.app import build_application, start_in_process, stop_in_process
from tests.fakes.local_api import LocalBotApi, OutgoingAction, local_transports

CONTENT = Path(__file__).resolve().parents[1] / "content"


async def one_run(content: Content, users: int, per_user: bool) -> tuple[float, list[float]]:
    """(pledges per second, latencies in ms) for one run on a fresh database."""
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
            config, content, per_user_concurrency=per_user, **local_transports(api)
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
        for user_id, update in enumerate(updates, start=1):
            sent_at[user_id] = time.perf_counter()
            await app.update_queue.put(update)
        await asyncio.wait_for(finished.wait(), timeout=600)
        elapsed = time.perf_counter() - start
        await stop_in_process(app)
        storage = await Storage.open(db)
        stored = await storage.pledge_count()
        await storage.close()
        if stored != users:
            raise SystemExit(f"lost pledges: {stored} stored of {users}")
        latencies = [(replied_at[u] - sent_at[u]) * 1000 for u in sent_at]
        return users / elapsed, latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    content = load_content(CONTENT, render_check=check_rendered)
    labels = {False: "sequential (PTB default, baseline)", True: "per-user concurrent (the bot)"}
    rates: dict[bool, list[float]] = {False: [], True: []}
    p50s: dict[bool, list[float]] = {False: [], True: []}
    p99s: dict[bool, list[float]] = {False: [], True: []}
    ratios = []
    for _ in range(args.repeats):
        # The baseline and the bot back to back: the ratio of one run shares its machine's load.
        for per_user in (False, True):
            rate, latencies = await one_run(content, args.users, per_user)
            rates[per_user].append(rate)
            p50s[per_user].append(percentile(latencies, 0.50))
            p99s[per_user].append(percentile(latencies, 0.99))
        ratios.append(rates[True][-1] / rates[False][-1])
    print(
        f"Pledges: {args.users:,} users pledging at once, {args.repeats} runs (median, and "
        f"min–max), Python {platform.python_version()}, {platform.machine()}"
    )
    print()
    print("| processing | users | pledges/s | p50 latency (ms) | p99 latency (ms) |")
    print("|---|---:|---:|---:|---:|")
    for per_user, label in labels.items():
        print(
            f"| {label} | {args.users:,} | {_spread(rates[per_user])} "
            f"| {_spread(p50s[per_user])} | {_spread(p99s[per_user])} |"
        )
    print()
    print(
        "Throughput ratio, the bot vs the baseline of the same run: min "
        f"{min(ratios):.2f}x, median {statistics.median(ratios):.2f}x, max {max(ratios):.2f}x; "
        "every pledge stored exactly once."
    )


def _spread(values: list[float]) -> str:
    """The median, and min–max."""
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}–{max(values):,.0f})"


if __name__ == "__main__":
    asyncio.run(main())
