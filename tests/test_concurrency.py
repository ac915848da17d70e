"""1,000 supporters pledging at the same moment through the real Application's update queue."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from telegram import Update

from bot.content import Content
from tests.fakes.local_api import OutgoingAction
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
