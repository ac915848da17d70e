"""What each update costs the database: one write transaction at most, none to read.

The harness's updates run in the test's own task; every ``BEGIN`` the storage's connection
executes from that task is one write transaction of the update (background jobs and broadcasts
run in tasks of their own and are not counted).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.content import Content
from bot.storage import SELECT_DRAFT, Storage, StorageError, _draft
from bot.telegram.jobs import flush_batched
from tests.harness import (
    Clock,
    Harness,
    invalid_requests,
    make_config,
    start_harness,
    stop_harness,
)

ORG = 4242


class WriteCounter:
    """Counts the write transactions (``BEGIN``) the connection runs from the current task."""

    def __init__(self, storage: Storage) -> None:
        self.task = asyncio.current_task()
        self.count = 0
        conn = storage._conn
        execute = conn.execute

        def counting(sql: str, *args: Any, **kwargs: Any) -> Any:
            if sql.lstrip().upper().startswith("BEGIN") and asyncio.current_task() is self.task:
                self.count += 1
            return execute(sql, *args, **kwargs)

        conn.execute = counting  # type: ignore[method-assign]

    async def of(self, action: Awaitable[object]) -> int:
        """The write transactions ``action`` (one update) ran."""
        before = self.count
        await action
        return self.count - before


@pytest.fixture
async def org_bot(tmp_path: Path, content: Content) -> AsyncIterator[Harness]:
    harness = await start_harness(make_config(tmp_path, organizers=frozenset({ORG})), content)
    try:
        yield harness
    finally:
        await stop_harness(harness)
    assert not invalid_requests(harness.api)


def db(bot: Harness, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(bot.app.bot_data.config.db_path) as conn:
        return conn.execute(sql, params).fetchall()


async def test_reading_writes_nothing(bot: Harness, content: Content) -> None:
    """A known user's /start, menus, topics, fact cards, questions, /privacy, /mydata, /help,
    the language menu, share, an unknown command, a sticker and a stale button: no write
    transaction at all (last_seen and the counters wait in memory)."""
    writes = WriteCounter(bot.storage)
    assert await writes.of(bot.send("/start")) == 1, "a newcomer's row is written at once"
    topic = next(iter(content.topics.values()))
    fact = content.topic_facts(topic.id)[0]
    sticker = bot.api.user_sticker(bot.user_id)
    reads: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        ("/start", lambda: bot.send("/start")),
        ("/start with a source", lambda: bot.send("/start flyer-tx")),
        ("menu", lambda: bot.press_data("menu1:main")),
        ("topics", lambda: bot.press_data("facts1:topics")),
        ("a topic", lambda: bot.press_data(f"facts1:topic:{topic.id}")),
        ("a fact card", lambda: bot.press_data(f"facts1:fact:{fact.id}")),
        ("a question", lambda: bot.send("what is 287g")),
        ("a question with no answer", lambda: bot.send("zzzz qqqq")),
        ("/facts", lambda: bot.send("/facts")),
        ("/privacy", lambda: bot.send("/privacy")),
        ("/mydata", lambda: bot.send("/mydata")),
        ("/help", lambda: bot.send("/help")),
        ("/language", lambda: bot.send("/language")),
        ("share", lambda: bot.press_data("menu1:share")),
        ("a page of a full list", lambda: bot.press_data("local1:list:s1-fl")),
        ("/pledge", lambda: bot.send("/pledge")),
        ("an unknown command", lambda: bot.send("/nonsense")),
        ("a sticker", lambda: bot.feed(sticker)),
        ("a stale button", lambda: bot.press_data("nonsense:1")),
        ("/cancel", lambda: bot.send("/cancel")),
    ]
    costs = {name: await writes.of(action()) for name, action in reads}
    assert costs == dict.fromkeys(costs, 0)
    assert await bot.storage.event_totals("fact") == {"": 2}, "counted, in memory"
    assert await flush_batched(bot.app.bot_data) > 0
    assert db(bot, "SELECT SUM(count) FROM daily_counts WHERE event = 'fact'") == [(2,)]
    assert db(bot, "SELECT source FROM users") == [(None,)], "the first link stays"


async def test_each_step_of_the_journeys_is_one_write(bot: Harness, content: Content) -> None:
    """The pledge, the comment guide, Where I live, the language, updates and /forget: every
    update that saves something does it in exactly one write transaction."""
    writes = WriteCounter(bot.storage)
    await bot.send("/start")
    role = next(iter(content.letter.roles))
    first, second = list(content.letter.talking_points)[:2]
    steps: list[tuple[str, Callable[[], Awaitable[object]], int]] = [
        ("I pledge", lambda: bot.press_data("pledge1:take"), 1),
        ("/help while asked for a name", lambda: bot.send("/help"), 1),  # leaves the step
        ("edit the name", lambda: bot.press_data("pledge1:edit"), 1),
        ("a first name", lambda: bot.send("Ana"), 1),
        ("a state", lambda: bot.press_data("pledge1:state:tx"), 1),
        ("yes to updates", lambda: bot.press_data("pledge1:updates:yes"), 1),
        ("Where I live", lambda: bot.press_data("local1:ask"), 1),
        ("a ZIP code", lambda: bot.send("77002"), 1),
        ("the guide", lambda: bot.press_data("guide1:open"), 1),
        ("Start", lambda: bot.press_data("guide1:start"), 1),
        ("a role", lambda: bot.press_data(f"guide1:role:{role}"), 1),
        ("a reason", lambda: bot.press_data(f"guide1:reason:{first}"), 1),
        ("another reason", lambda: bot.press_data(f"guide1:reason:{second}"), 1),
        ("Next", lambda: bot.press_data("guide1:next"), 1),
        ("/comment, asked for the story", lambda: bot.send("/comment"), 1),  # left, set again
        ("the story", lambda: bot.send("My family lives here."), 1),
        ("the name", lambda: bot.send("Ana"), 1),
        ("the place", lambda: bot.send("Austin, TX"), 1),
        ("Continue", lambda: bot.press_data("guide1:continue"), 1),
        ("I understand", lambda: bot.press_data("guide1:understood"), 1),
        ("I sent it", lambda: bot.press_data("guide1:outcome:sent"), 1),
        ("/comment, the letter sent", lambda: bot.send("/comment"), 0),
        ("Español", lambda: bot.press_data("menu1:set-language:es"), 1),
        ("/stop", lambda: bot.send("/stop"), 1),
        ("subscribe", lambda: bot.press_data("updates1:subscribe"), 1),
        ("unpledge", lambda: bot.press_data("pledge1:withdraw-yes"), 1),
        ("/forget, confirmed", lambda: bot.press_data("privacy1:forget-yes"), 1),
        ("/start again, as a newcomer", lambda: bot.send("/start"), 1),
    ]
    costs = {name: await writes.of(action()) for name, action, _ in steps}
    assert costs == {name: expected for name, _, expected in steps}
    stale = [content.text("error.stale_button", lang) for lang in ("en", "es")]
    said = [action.text or "" for action in bot.api.sent]
    assert not [text for text in said if any(s in text for s in stale)], "every press was live"
    assert db(bot, "SELECT language FROM users") == [("en",)], "forgotten, then new again"


async def test_an_organizers_broadcast_writes_once_a_step(
    org_bot: Harness, content: Content
) -> None:
    """/broadcast, the message, the audience: one write each. "Send now" writes twice: the
    confirmation before the progress message, then that message's id (Telegram gives it)."""
    bot = org_bot
    bot.user_id = ORG
    for user_id in (11, 12):
        await bot.send("/start", user_id=user_id)
        await bot.press_data("updates1:subscribe", user_id=user_id)
    writes = WriteCounter(bot.storage)
    assert await writes.of(bot.send("/start")) == 1  # the organizer is new
    assert await writes.of(bot.send("/broadcast")) == 1
    assert await writes.of(bot.send("Meeting on Tuesday")) == 1
    audience = await bot.press_data(next(b["callback_data"] for b in bot.buttons()))
    assert "2" in (audience.text or "")
    send_now = next(b for b in bot.buttons() if "Send now" in b["text"])
    assert await writes.of(bot.press_data(send_now["callback_data"])) == 2


async def test_an_update_is_one_transaction_committed_before_the_reply(
    bot: Harness, content: Content
) -> None:
    """What a reply says is saved before the reply goes out: the pledge is in the database
    (another connection sees it) when Telegram receives the answer."""
    await bot.send("/pledge")
    seen_by_telegram: list[list[tuple[Any, ...]]] = []

    def at_answer(action: Any) -> None:
        if action.method == "editMessageText":
            seen_by_telegram.append(db(bot, "SELECT number FROM pledges"))

    bot.api.subscribe(at_answer)
    await bot.press_data("pledge1:take")
    assert seen_by_telegram == [[(1,)]]


async def test_a_failed_write_rolls_back_the_whole_update(storage: Storage) -> None:
    """Within one update, a write that fails takes the update's earlier writes with it, and
    what they had cached (the step) is forgotten too."""
    await storage.touch_user(1, "en")
    with pytest.raises(StorageError):
        async with storage.update_scope():
            await storage.set_step(1, "pledge_name")
            assert await storage.get_step(1) == "pledge_name"  # read back, uncommitted
            await storage.write(
                "INSERT INTO pledges (user_id, number, pledged_at) VALUES (9, 1, 0)"
            )
    assert await storage.get_step(1) is None
    assert await storage.fetchone("SELECT 1 FROM conversations") is None


async def test_a_task_started_by_an_update_has_its_own_transactions(
    storage: Storage, tmp_path: Path
) -> None:
    """A background task an update starts (a broadcast) writes in transactions of its own,
    committed at once, whatever the update does after."""
    await storage.touch_user(1, "en")

    async def background() -> None:
        await storage.set_step(1, "elsewhere")

    async with storage.update_scope():
        await storage.subscribe(1)
        task = asyncio.create_task(background())
        await storage.commit_pending()  # as before a reply
        await task
        with sqlite3.connect(tmp_path / "db.sqlite3") as other:
            rows = other.execute("SELECT step FROM conversations").fetchall()
        assert rows == [("elsewhere",)]


async def test_batched_times_and_counters_are_written_at_close(
    tmp_path: Path, content: Content
) -> None:
    """Stopping the bot writes what it kept in memory: the last time each user was seen and
    the counters of updates that wrote nothing."""
    bot = await start_harness(make_config(tmp_path), content)
    clock = Clock(1_000_000.0)
    bot.storage._clock = clock
    await bot.send("/start")
    fact = next(iter(content.facts))
    clock.now += 500
    await bot.press_data(f"facts1:fact:{fact}")
    assert db(bot, "SELECT last_seen FROM users") == [(1_000_000,)], "not written yet"
    assert db(bot, "SELECT COUNT(*) FROM daily_counts WHERE event = 'fact'") == [(0,)]
    user = await bot.storage.get_user(bot.user_id)
    assert user is not None and user.last_seen == 1_000_500, "read back from memory"
    await stop_harness(bot)
    assert db(bot, "SELECT last_seen FROM users") == [(1_000_500,)]
    assert db(bot, "SELECT SUM(count) FROM daily_counts WHERE event = 'fact'") == [(1,)]


async def test_batched_writes_wait_out_a_read_only_database(bot: Harness, content: Content) -> None:
    """While the database refuses writes the batch stays in memory (saving is unavailable);
    once it takes writes again, the next flush writes all of it."""
    await bot.send("/start")
    fact = next(iter(content.facts))
    await bot.storage._conn.execute("PRAGMA query_only = 1")
    await bot.press_data(f"facts1:fact:{fact}")
    assert await flush_batched(bot.app.bot_data) == 0
    assert bot.app.bot_data.saving.unavailable
    await bot.press_data(f"facts1:fact:{fact}")
    await bot.storage._conn.execute("PRAGMA query_only = 0")
    assert await flush_batched(bot.app.bot_data) > 0
    assert not bot.app.bot_data.saving.unavailable
    assert db(bot, "SELECT SUM(count) FROM daily_counts WHERE event = 'fact'") == [(2,)]


async def test_saving_works_again_without_anything_to_write(bot: Harness) -> None:
    """With nothing batched, the periodic flush still notices that the database takes writes
    again, so users are no longer told that nothing can be saved."""
    await bot.send("/start")
    await flush_batched(bot.app.bot_data)
    bot.app.bot_data.saving.failed()
    assert await flush_batched(bot.app.bot_data) == 0
    assert not bot.app.bot_data.saving.unavailable


async def test_cached_user_follows_changes(bot: Harness, content: Content) -> None:
    """The language, and reachability changed by a broadcast's refusal, read back right."""
    await bot.send("/start")
    await bot.press_data("menu1:set-language:es")
    reply = await bot.send("/help")
    campaign = content.campaign.name.get("es")
    assert reply.text == content.text("help.text", "es", campaign=campaign)
    user = await bot.storage.get_user(bot.user_id)
    assert user is not None and user.language == "es" and user.reachable
    await bot.storage.subscribe(bot.user_id)
    outbox = bot.app.bot_data.outbox
    broadcast_id = await outbox.create_broadcast(ORG, ORG, 1, "text", "all")
    check = await outbox.record_preview(broadcast_id, "all")
    assert check is not None and await outbox.confirm(broadcast_id, None, check)
    await outbox.mark_sending(broadcast_id, bot.user_id)
    await outbox.mark(broadcast_id, bot.user_id, "blocked", "Forbidden")
    user = await bot.storage.get_user(bot.user_id)
    assert user is not None and not user.reachable


def drafts_in_db(path: Path, user_id: int) -> Any:
    """The user's draft as a fresh read of the database gives it (the cache left aside)."""
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute(SELECT_DRAFT, (user_id,)).fetchone()
    return _draft(row) if row else None


async def test_the_kept_draft_is_the_one_in_the_database(bot: Harness, content: Content) -> None:
    """Through the comment guide, a change of mind, the outcome, deletion and /forget: after
    every update the draft kept in memory is the one a fresh read gives, and a guide step reads
    no draft from the database."""
    storage = bot.storage
    db_path = bot.app.bot_data.config.db_path
    reads: list[str] = []
    fetchone = storage._fetchone

    async def counting(sql: str, params: tuple[object, ...] = (), **kw: Any) -> Any:
        reads.append(sql)
        return await fetchone(sql, params, **kw)

    storage._fetchone = counting  # type: ignore[method-assign]
    role = next(iter(content.letter.roles))
    first, second = list(content.letter.talking_points)[:2]
    await bot.send("/start")
    steps: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        ("the guide", lambda: bot.press_data("guide1:open")),
        ("Start", lambda: bot.press_data("guide1:start")),
        ("a role", lambda: bot.press_data(f"guide1:role:{role}")),
        ("a reason", lambda: bot.press_data(f"guide1:reason:{first}")),
        ("another reason", lambda: bot.press_data(f"guide1:reason:{second}")),
        ("the first reason again", lambda: bot.press_data(f"guide1:reason:{first}")),
        ("Next", lambda: bot.press_data("guide1:next")),
        ("the story", lambda: bot.send("My family lives here, since 2009.")),
        ("the name", lambda: bot.send("Ana")),
        ("the place", lambda: bot.send("Austin, TX")),
        ("Continue", lambda: bot.press_data("guide1:continue")),
        ("I understand", lambda: bot.press_data("guide1:understood")),
        ("I sent it", lambda: bot.press_data("guide1:outcome:sent")),
        ("the guide again", lambda: bot.press_data("guide1:open")),
    ]
    draft_reads = {}
    for name, action in steps:
        before = len(reads)
        await action()
        draft_reads[name] = sum("FROM drafts" in sql for sql in reads[before:])
        kept = storage._drafts.get(bot.user_id, "not kept")
        if kept != "not kept":
            assert kept == drafts_in_db(db_path, bot.user_id), name
    draft = drafts_in_db(db_path, bot.user_id)
    assert draft is not None and draft.reasons == (second,) and draft.outcome == "sent"
    assert draft.story == "My family lives here, since 2009." and draft.editing is False
    # Read when the guide opens (a new draft is read back once) and after the outcome; never
    # on the steps between.
    assert [name for name, count in draft_reads.items() if count] == [
        "the guide",
        "the guide again",
    ]
    assert await storage.delete_draft(bot.user_id)
    assert await storage.get_draft(bot.user_id) is None is drafts_in_db(db_path, bot.user_id)
    await bot.press_data("guide1:open")
    await bot.press_data("guide1:start")
    assert await storage.get_draft(bot.user_id) is not None
    await bot.press_data("privacy1:forget-yes")
    assert await storage.get_draft(bot.user_id) is None is drafts_in_db(db_path, bot.user_id)


async def test_a_rolled_back_update_forgets_the_draft_it_changed(
    storage: Storage, tmp_path: Path
) -> None:
    await storage.touch_user(1, "en")
    await storage.start_draft(1, "en", 7, "role")
    kept = await storage.get_draft(1)
    assert kept is not None and kept.role is None
    with pytest.raises(StorageError):
        async with storage.update_scope():
            assert await storage.update_draft(1, role="faith", reasons=("a", "b"))
            changed = await storage.get_draft(1)  # uncommitted, read back from memory
            assert changed is not None and changed.role == "faith"
            assert changed.reasons == ("a", "b")
            await storage.write(
                "INSERT INTO pledges (user_id, number, pledged_at) VALUES (9, 1, 0)"
            )
    after = await storage.get_draft(1)
    assert after is not None and after.role is None and after.reasons == ()
    assert after == drafts_in_db(tmp_path / "db.sqlite3", 1)


async def test_purged_drafts_are_not_kept(storage: Storage, clock: Clock) -> None:
    await storage.touch_user(1, "en")
    await storage.start_draft(1, "en", 7, "role")
    assert await storage.get_draft(1) is not None
    assert await storage.purge_drafts(clock.now + 1) == 1
    assert await storage.get_draft(1) is None
