"""Replies under Telegram's flood control: how many users asking at once get their answer.

Users send /help at the same moment to the real Application (its update queue and per-user
concurrent processing, a real SQLite file) over the in-memory Bot API, which answers 429 with
``retry_after`` once more than ``--flood-limit`` messages per second arrive, as Telegram does.
Each run is measured twice in the same process: with the bot's call guard
(``bot/telegram/calls.py``: a 429 is waited out and the reply sent again), and with
python-telegram-bot's default (``guard_calls=False``: the 429 is an error).

    python -m benchmarks.bench_replies [--users 20,100] [--flood-limit 10]

"answered" counts users whose screen shows the answer; "apologies" the error messages that got
through instead; "429s" every refusal the fake answered; the time is from the updates being
queued to the last answer. Every wait is bounded (the guard's 30 s, or 3 s without any Bot
API call); no figure is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import telegram
from telegram import Update

from bot.config import load_config
from bot.content import Content, load_content
from bot.render import check_rendered
from bot.telegram.app import build_application, start_in_process, stop_in_process
from bot.telegram.calls import FLOOD_PATIENCE
from tests.fakes.local_api import LocalBotApi, local_transports

REPO = Path(__file__).resolve().parents[1]
CONTENT = REPO / "content"
TOKEN = "123456:bench-replies"  # noqa: S105 - a fake token for the in-memory Bot API
USER_BASE = 810_000_000
HELP = "how to use this bot"
APOLOGY = "something went wrong"
QUIET = 3.0  # seconds without any Bot API call after which nothing more will come


@dataclass(frozen=True)
class Result:
    layer: str
    users: int
    flood_limit: float
    answered: int
    apologies: int
    refusals: int
    seconds: float


async def measure(content: Content, users: int, flood_limit: float, guarded: bool) -> Result:
    """Queue ``users`` /help updates at once; wait until each user has a message, or until the
    guard's patience (plus a margin) is over; count what they see."""
    with tempfile.TemporaryDirectory() as folder:
        config = load_config(
            {
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "OUTREACH_DB": str(Path(folder) / "bench.sqlite3"),
                "OUTREACH_CONTENT": str(CONTENT),
            }
        )
        api = LocalBotApi(flood_limit=flood_limit)
        app = build_application(config, content, guard_calls=guarded, **local_transports(api))
        await start_in_process(app)
        try:
            api.clear()
            ids = [USER_BASE + n for n in range(users)]
            updates = [Update.de_json(api.user_message(uid, "/help"), app.bot) for uid in ids]
            started = time.monotonic()
            for update in updates:
                await app.update_queue.put(update)
            deadline = started + FLOOD_PATIENCE + 10
            last, told = started, 0
            activity, active_at = 0, started
            while time.monotonic() < deadline and told < users:
                await asyncio.sleep(0.02)
                now = time.monotonic()
                now_told = sum(bool(api.messages(uid)) for uid in ids)
                if now_told > told:
                    last, told = now, now_told
                calls = len(api.sent) + len(api.failed)
                if calls > activity:
                    activity, active_at = calls, now
                elif now - active_at > QUIET and app.update_queue.empty():
                    break  # nothing more is coming: the rest was given up
            # Let failed replies reach their error handler (and its apology, or its failure).
            await asyncio.sleep(0.5)
            answered = sum(any(HELP in (m.text or "") for m in api.messages(u)) for u in ids)
            apologies = sum(any(APOLOGY in (m.text or "") for m in api.messages(u)) for u in ids)
            return Result(
                "the bot: call guard" if guarded else "python-telegram-bot's default",
                users,
                flood_limit,
                answered,
                apologies,
                api.flooded,
                last - started,
            )
        finally:
            await stop_in_process(app)


def machine() -> str:
    return (
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.platform()}, "
        f"python-telegram-bot {telegram.__version__}, SQLite {sqlite3.sqlite_version}"
    )


async def run(users: list[int], flood_limit: float) -> list[Result]:
    content = load_content(CONTENT, render_check=check_rendered)
    results = []
    for count in users:
        for guarded in (True, False):
            result = await measure(content, count, flood_limit, guarded)
            print(f"  {result}", file=sys.stderr, flush=True)
            results.append(result)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="20,100", help="users asking at once, comma-separated")
    parser.add_argument("--flood-limit", type=float, default=10.0, help="messages/s before 429")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    users = [int(n) for n in args.users.split(",")]
    print(f"Replies under flood control. Machine: {machine()}.")
    print(f"Command: python -m benchmarks.bench_replies {' '.join(sys.argv[1:])}".rstrip())
    results = asyncio.run(run(users, args.flood_limit))
    print()
    print(
        "| replies | users at once | flood limit (msg/s) | answered | apologies | 429s "
        "| last answer after (s) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r.layer} | {r.users} | {r.flood_limit:g} | {r.answered} of {r.users} "
            f"| {r.apologies} | {r.refusals} | {r.seconds:.1f} |"
        )


if __name__ == "__main__":
    main()
