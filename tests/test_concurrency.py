"""1,000 supporters pledging at the same moment through the real Application's update queue."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from telegram import Update

from bot.content import Content
from bot.telegram.concurrency import PerUserUpdateProcessor
from tests.fakes.local_api import LocalBotApi, OutgoingAction
from tests.harness import invalid_requests, make_config, start_harness, stop_harness

USERS = 1000


async def test_thousand_simultaneous_pledges(
    tmp_path: Path, content: Content, caplog: pytest.LogCaptureFixture
) -> None:
    """Every one of 1,000 concurrent pledges is stored exactly once, numbered 1..1000, no error."""
    harness = await start_harness(make_config(tmp_path), content)
    app, api = harness.app, harness.api
    replied: set[int] = set()
    all_replied = asyncio.Event()

    def on_action(action: OutgoingAction) -> None:
        if action.method == "sendMessage" and action.chat_id is not None:
            replied.add(action.chat_id)
            if len(replied) == USERS:
                all_replied.set()

    api.subscribe(on_action)
    try:
        for user_id in range(1, USERS + 1):
            # A press on a message the bot no longer has: the reply is a new message.
            press = api.user_press(user_id, 1, "pledge1:take")
            await app.update_queue.put(Update.de_json(press, app.bot))
        await asyncio.wait_for(all_replied.wait(), timeout=120)
    finally:
        await stop_harness(harness)
    with sqlite3.connect(tmp_path / "bot.sqlite3") as conn:
        rows = conn.execute("SELECT user_id, number FROM pledges").fetchall()
    assert len(rows) == USERS
    assert {user for user, _ in rows} == set(range(1, USERS + 1))
    assert sorted(number for _, number in rows) == list(range(1, USERS + 1))
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    assert invalid_requests(api) == []
    asks = [a for a in api.sent if a.method == "sendMessage"]
    assert all("first name" in (a.text or "") for a in asks)


async def test_one_users_updates_stay_in_order(tmp_path: Path, content: Content) -> None:
    """Updates of one user run in order even when queued back to back with others'."""
    harness = await start_harness(make_config(tmp_path), content)
    app, api = harness.app, harness.api
    done = asyncio.Event()
    api.subscribe(lambda a: done.set() if "Which US state" in (a.text or "") else None)
    try:
        for update in (
            api.user_press(7, 1, "pledge1:take"),
            api.user_message(8, "/start"),
            api.user_message(7, "Ana"),
        ):
            await app.update_queue.put(Update.de_json(update, app.bot))
        await asyncio.wait_for(done.wait(), timeout=30)
    finally:
        await stop_harness(harness)
    with sqlite3.connect(tmp_path / "bot.sqlite3") as conn:
        assert conn.execute("SELECT first_name FROM pledges").fetchall() == [("Ana",)]


def _message(api: LocalBotApi, user_id: int, text: str) -> Update:
    update = Update.de_json(api.user_message(user_id, text), None)
    assert update is not None
    return update


async def test_a_users_waiting_updates_take_no_place_from_others() -> None:
    """With two places, three updates queued behind a user's running one leave room for
    another user, whose update runs at once; the first user's then run in order."""
    api = LocalBotApi()
    processor = PerUserUpdateProcessor(max_concurrent_updates=2)
    ran: list[str] = []
    release = asyncio.Event()

    async def handle(name: str, wait: bool = False) -> None:
        if wait:
            await release.wait()
        ran.append(name)

    first = asyncio.create_task(
        processor.process_update(_message(api, 7, "1"), handle("7:1", True))
    )
    later = [
        asyncio.create_task(processor.process_update(_message(api, 7, str(n)), handle(f"7:{n}")))
        for n in (2, 3, 4)
    ]
    other = asyncio.create_task(processor.process_update(_message(api, 8, "1"), handle("8:1")))
    await asyncio.wait_for(other, timeout=10)
    assert ran == ["8:1"]
    release.set()
    await asyncio.wait_for(asyncio.gather(first, *later), timeout=10)
    assert ran == ["8:1", "7:1", "7:2", "7:3", "7:4"]


async def test_a_failing_update_does_not_stop_the_users_next_ones(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An update queued behind another that raises is logged; the user's next one still runs."""
    api = LocalBotApi()
    processor = PerUserUpdateProcessor()
    ran: list[str] = []
    release = asyncio.Event()

    async def first() -> None:
        await release.wait()
        ran.append("1")

    async def failing() -> None:
        raise RuntimeError("broken handler")

    async def third() -> None:
        ran.append("3")

    tasks = [asyncio.create_task(processor.process_update(_message(api, 7, "1"), first()))]
    failed = _message(api, 7, "2")
    for update, coroutine in ((failed, failing()), (_message(api, 7, "3"), third())):
        tasks.append(asyncio.create_task(processor.process_update(update, coroutine)))
    await asyncio.sleep(0)
    release.set()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=10)
    assert ran == ["1", "3"]
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        f"update {failed.update_id} failed"
    ]


async def test_a_waiting_update_that_fails_reaches_the_error_handlers(
    tmp_path: Path, content: Content
) -> None:
    """In the bot, a failure of an update that waited behind the user's running one goes to the
    error handlers, as the first one's does: logged, and the user is told."""
    harness = await start_harness(make_config(tmp_path), content)
    app, api = harness.app, harness.api
    processor = app.update_processor
    assert isinstance(processor, PerUserUpdateProcessor)
    release = asyncio.Event()

    async def first() -> None:
        await release.wait()

    async def failing() -> None:
        raise RuntimeError("broken handler")

    try:
        running = asyncio.create_task(processor.process_update(_message(api, 7, "1"), first()))
        await asyncio.sleep(0)
        failed = _message(api, 7, "2")
        await processor.process_update(failed, failing())  # waits in the user's queue
        release.set()
        await asyncio.wait_for(running, timeout=10)
    finally:
        await stop_harness(harness)
    told = [a for a in api.sent if a.method == "sendMessage" and a.chat_id == 7]
    assert [a.text for a in told] == [content.text("error.generic", "en")]
