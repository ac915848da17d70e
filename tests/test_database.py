"""The bot's SQLite connection (bot/database.py): statements run on the event loop's thread,
except checkpoints and slow reads, which go to a worker thread; statements keep their order; a
database locked by another process makes a statement wait without blocking the loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from bot import database
from bot.content import Content
from bot.database import Connection
from bot.storage import Storage, StorageError
from bot.telegram.jobs import checkpoint_log
from tests.harness import make_config, start_harness, stop_harness


@pytest.fixture
async def storage(tmp_path: Path) -> Storage:
    opened = await Storage.open(tmp_path / "db.sqlite3")
    yield opened  # type: ignore[misc]
    await opened.close()


def other_process(tmp_path: Path) -> sqlite3.Connection:
    """A second connection to the same file, as a command-line tool would open."""
    return sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None, timeout=0)


async def test_statements_run_on_the_loop_thread_and_slow_ones_in_the_worker(
    storage: Storage,
) -> None:
    conn = storage._conn
    conn._raw.create_function("thread", 0, threading.get_ident)
    (here,) = await conn.execute_fetchall("SELECT thread()")
    (there,) = await conn.execute_fetchall("SELECT thread()", slow=True)
    assert here[0] == threading.get_ident()
    assert there[0] != threading.get_ident()


async def test_a_statement_issued_while_one_is_in_the_worker_waits_its_turn(
    storage: Storage,
) -> None:
    """The connection is never used from two threads at once, and statements keep the order
    they were issued in."""
    conn = storage._conn
    events: list[tuple[str, str]] = []

    def mark(name: str, seconds: float) -> int:
        events.append((name, "start"))
        time.sleep(seconds)
        events.append((name, "end"))
        return threading.get_ident()

    conn._raw.create_function("mark", 2, mark)
    slow = asyncio.create_task(conn.execute_fetchall("SELECT mark('slow', 0.2)", slow=True))
    await asyncio.sleep(0.05)  # the slow statement is in the worker now
    assert events == [("slow", "start")]
    (fast,) = await conn.execute_fetchall("SELECT mark('fast', 0)")
    await slow
    assert events == [("slow", "start"), ("slow", "end"), ("fast", "start"), ("fast", "end")]
    assert fast[0] != threading.get_ident(), "queued behind the slow one, in the worker"
    (after,) = await conn.execute_fetchall("SELECT mark('after', 0)")
    assert after[0] == threading.get_ident(), "back on the loop's thread once the worker is idle"


async def test_a_write_waits_for_another_process_without_blocking_the_loop(
    storage: Storage, tmp_path: Path
) -> None:
    await storage.touch_user(7, "en")
    holder = other_process(tmp_path)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    write = asyncio.create_task(storage.set_language(7, "es"))
    ticks = 0
    for _ in range(10):  # the loop goes on while the write waits
        await asyncio.sleep(0.01)
        ticks += 1
    assert not write.done()
    assert (await storage.get_user(7)) is not None  # and reads are answered meanwhile
    holder.execute("COMMIT")
    await asyncio.wait_for(write, 2)
    holder.close()
    storage.drop_cached(7)
    user = await storage.get_user(7)
    assert ticks == 10 and user is not None and user.language == "es"


async def test_a_lock_held_too_long_fails_the_write_and_leaves_nothing_open(
    storage: Storage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "BUSY_TIMEOUT", 0.2)
    await storage.touch_user(7, "en")
    holder = other_process(tmp_path)
    holder.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    with pytest.raises(StorageError, match="locked"):
        await storage.set_language(7, "es")
    assert 0.2 <= time.monotonic() - started < 2
    holder.execute("ROLLBACK")
    holder.close()
    await storage.set_language(7, "es")  # the lock and the connection are free again
    storage.drop_cached(7)
    user = await storage.get_user(7)
    assert user is not None and user.language == "es"


async def test_commits_do_not_checkpoint_the_bot_asks_for_it(storage: Storage) -> None:
    """No commit copies the write-ahead log into the database on the loop (it syncs to disk);
    :meth:`Storage.checkpoint` does, in the worker thread."""
    story = "x" * 3000  # about a page per draft
    for user_id in range(1, 1500):
        await storage.touch_user(user_id, "en")
        await storage.start_draft(user_id, "en", 1, "role")
        await storage.update_draft(user_id, story=story)
    busy, frames, copied = await storage._conn.checkpoint()
    assert busy == 0 and frames > 1000 and copied == frames  # SQLite's own would be at 1,000
    assert await storage.checkpoint() is False


async def test_emptying_the_log_waits_for_a_reader_then_says_so(
    storage: Storage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "BUSY_TIMEOUT", 0.2)
    await storage.touch_user(7, "en")
    reader = other_process(tmp_path)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM users").fetchall()  # holds a read snapshot
    await storage.touch_user(8, "en")
    started = time.monotonic()
    assert await storage.checkpoint(empty=True) is True
    assert time.monotonic() - started >= 0.2
    reader.execute("COMMIT")
    reader.close()
    assert await storage.checkpoint(empty=True) is False
    assert (tmp_path / "db.sqlite3-wal").stat().st_size == 0


async def test_an_unknown_checkpoint_mode_is_refused(tmp_path: Path) -> None:
    conn = await Connection.open(str(tmp_path / "x.sqlite3"))
    with pytest.raises(ValueError, match="unknown checkpoint mode"):
        await conn.checkpoint("PASSIVE); DROP TABLE users; --")
    await conn.close()


def users_in_main_file(tmp_path: Path) -> int:
    """Users in the database file itself, without its write-ahead log."""
    copy = tmp_path / "copy.sqlite3"
    shutil.copyfile(tmp_path / "bot.sqlite3", copy)
    with contextlib.closing(sqlite3.connect(copy)) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        return (
            int(conn.execute("SELECT COUNT(*) FROM users").fetchone()[0])
            if "users" in tables
            else 0
        )


async def test_the_flush_job_checkpoints_the_log(
    tmp_path: Path,
    content: Content,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The job that writes the batched times also copies the log into the database; if that
    fails, it says so in the log and the bot goes on."""
    bot = await start_harness(make_config(tmp_path), content)
    try:
        await bot.send("/start")  # a newcomer's row, committed to the log
        assert users_in_main_file(tmp_path) == 0
        await checkpoint_log(bot.app.bot_data)
        assert users_in_main_file(tmp_path) == 1

        async def refused(**_: object) -> bool:
            raise StorageError("disk I/O error")

        monkeypatch.setattr(bot.storage, "checkpoint", refused)
        with caplog.at_level(logging.WARNING):
            await checkpoint_log(bot.app.bot_data)
        assert "write-ahead log not checkpointed: disk I/O error" in caplog.text
        before = len(bot.api.messages(bot.user_id))
        await bot.send("/start")
        assert len(bot.api.messages(bot.user_id)) > before, "the bot goes on answering"
    finally:
        await stop_harness(bot)
