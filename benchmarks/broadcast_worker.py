"""A broadcast sender in a process of its own, for bench_broadcast's kill-and-restart run.

It does what the bot does at start-up: open the database, recover every broadcast a crash
interrupted (sends caught mid-flight become "unknown") and send the rest; then it prints the
final report of each as one JSON line and exits.

    python -m benchmarks.broadcast_worker --db FILE --api-url http://127.0.0.1:PORT --rate 25
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os

from telegram import Bot
from telegram.request import HTTPXRequest

from bot.outbox import Outbox
from bot.storage import Storage
from bot.telegram.sender import BroadcastSender


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--api-url", required=True, help="fake Bot API root on 127.0.0.1")
    parser.add_argument("--rate", type=float, default=25.0)
    args = parser.parse_args()
    token = os.environ.get("BENCH_TOKEN", "1:bench")
    storage = await Storage.open(args.db)
    bot = Bot(
        token,
        base_url=f"{args.api_url}/bot",
        request=HTTPXRequest(connection_pool_size=32),
    )
    await bot.initialize()
    sender = BroadcastSender(bot, Outbox(storage), rate=args.rate)
    try:
        for broadcast_id in await sender.resume_all():
            report = await sender.launch(broadcast_id)
            print(json.dumps({"broadcast": broadcast_id, **dataclasses.asdict(report)}), flush=True)
    finally:
        await sender.stop()
        await bot.shutdown()
        await storage.close()


if __name__ == "__main__":
    asyncio.run(main())
