"""The webhook under oversized posts: the resident memory of the real ``outreach-bot run``
process while many huge bodies are posted to its webhook at once.

The bot runs in webhook mode against the fake Bot API server on 127.0.0.1. ``--posts`` clients
each announce and send a ``--size`` MiB body at the same moment, first without the secret
token, then with it; the bot's RSS (``VmRSS``) is sampled every 10 ms meanwhile. A server that
reads a whole body before checking it grows by about ``posts × size``.

    python -m benchmarks.bench_webhook [--posts 8] [--size 95]

No figure is asserted; the table is the result.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tests.fakes.botapi_server import FakeBotApiServer
from tests.harness import CONTENT_DIR, TOKEN, bot_environment, free_port, outreach_bot_command

SECRET = "bench_webhook_secret"  # noqa: S105 - a test secret for a local process
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - Telegram's header name
MIB = 1024 * 1024


@dataclass(frozen=True)
class Result:
    secret: bool
    posts: int
    size_mib: int
    rss_before: float
    rss_peak: float
    statuses: tuple[str, ...]
    sent_mib: float  # what the clients got to send before the bot closed the connection


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def post(port: int, size: int, secret: bool, answers: list[tuple[str, int]]) -> None:
    """Announce ``size`` bytes and send them (as far as the bot lets us); keep the status."""
    head = (
        "POST /hook HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
        f"Content-Length: {size}\r\n" + (f"{SECRET_HEADER}: {SECRET}\r\n" if secret else "")
    )
    sent = 0
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
            sock.sendall(head.encode() + b"\r\n")
            block = b" " * MIB
            try:
                while sent < size:
                    sock.sendall(block)
                    sent += len(block)
            except OSError:
                pass  # the bot closed the connection
            status = sock.recv(64).split(b" ", 2)[1].decode()
    except (OSError, IndexError) as exc:
        status = type(exc).__name__
    answers.append((status, sent))


def measure(pid: int, port: int, posts: int, size_mib: int, secret: bool) -> Result:
    answers: list[tuple[str, int]] = []
    before = rss_mib(pid)
    peak = before
    threads = [
        threading.Thread(target=post, args=(port, size_mib * MIB, secret, answers))
        for _ in range(posts)
    ]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        peak = max(peak, rss_mib(pid))
        time.sleep(0.01)
    statuses = tuple(sorted({status for status, _ in answers}))
    sent = sum(sent for _, sent in answers) / MIB
    return Result(secret, posts, size_mib, before, peak, statuses, sent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=8, help="posts sent at once")
    parser.add_argument("--size", type=int, default=95, help="MiB each post announces")
    args = parser.parse_args()
    print(f"Command: python -m benchmarks.bench_webhook {' '.join(sys.argv[1:])}".rstrip())
    port = free_port()
    with FakeBotApiServer() as server, tempfile.TemporaryDirectory() as folder:
        env = bot_environment(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=server.url,
            OUTREACH_DB=str(Path(folder) / "bench.sqlite3"),
            OUTREACH_CONTENT=str(CONTENT_DIR),
            OUTREACH_WEBHOOK_URL="https://bot.example.test/hook",
            OUTREACH_WEBHOOK_PORT=str(port),
            OUTREACH_WEBHOOK_SECRET=SECRET,
        )
        bot = subprocess.Popen(
            [*outreach_bot_command(), "run"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            server.wait_for(lambda api: bool(api.webhook_url), timeout=120, what="setWebhook")
            time.sleep(2)  # let start-up settle before the baseline sample
            results = [measure(bot.pid, port, args.posts, args.size, s) for s in (False, True)]
        finally:
            bot.terminate()
            bot.wait(timeout=30)
    print()
    print(
        "| secret token | posts at once | announced (MiB each) | sent before refused (MiB, all) "
        "| answers | RSS before (MiB) | RSS peak (MiB) |"
    )
    print("|---|---:|---:|---:|---|---:|---:|")
    for r in results:
        print(
            f"| {'right' if r.secret else 'none'} | {r.posts} | {r.size_mib} | {r.sent_mib:.0f} "
            f"| {', '.join(r.statuses)} | {r.rss_before:.0f} | {r.rss_peak:.0f} |"
        )


if __name__ == "__main__":
    main()
