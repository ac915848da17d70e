"""The broadcast sender (bot/telegram/sender.py) through a real ``telegram.Bot`` over the
in-memory Bot API, with a real SQLite outbox; and the fake Bot API's flood limit."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TimedOut
from telegram.ext import ExtBot
from telegram.request import RequestData

from bot.outbox import Outbox, Report
from bot.storage import Storage
from bot.telegram.calls import CallGuard
from bot.telegram.sender import BroadcastSender, TokenBucket
from tests.fakes.local_api import FLOOD_RETRY_AFTER, LocalBotApi, LocalRequest

TOKEN = "123456:TEST-sender"
ORG = 5000
MESSAGE = "Hearing on Tuesday: come and speak against 287(g)"
RATE = 500.0

Hook = Callable[[int], Awaitable[None]]


class ScriptedRequest(LocalRequest):
    """The in-memory transport, plus a log of copyMessage calls (chat id, HTTP status, time) and
    per-chat scripts: a coroutine to run before the call, or an exception to raise (after the
    call reached Telegram, or instead of it)."""

    def __init__(self, api: LocalBotApi) -> None:
        super().__init__(api)
        self.copies: list[tuple[int, int, float]] = []
        self.before: dict[int, Hook] = {}
        self.before_any: Hook | None = None
        self.raise_after: dict[int, Exception] = {}
        self.raise_instead: dict[int, Exception] = {}
        self.answer: dict[int, tuple[int, dict[str, Any]]] = {}

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, **kw: Any
    ) -> tuple[int, bytes]:
        if not url.endswith("/copyMessage"):
            return await super().do_request(url, method, request_data, **kw)
        assert request_data is not None
        chat_id = int(request_data.parameters["chat_id"])  # type: ignore[call-overload]
        if self.before_any is not None:
            await self.before_any(chat_id)
        hook = self.before.pop(chat_id, None)
        if hook is not None:
            await hook(chat_id)
        if chat_id in self.raise_instead:
            raise self.raise_instead.pop(chat_id)
        if chat_id in self.answer:
            status, body = self.answer.pop(chat_id)
            self.copies.append((chat_id, status, asyncio.get_running_loop().time()))
            return status, json.dumps(body).encode()
        status, payload = await super().do_request(url, method, request_data, **kw)
        self.copies.append((chat_id, status, asyncio.get_running_loop().time()))
        if chat_id in self.raise_after:
            raise self.raise_after.pop(chat_id)
        return status, payload


class World:
    """A database of supporters, the fake Telegram, the organizer's message and a sender."""

    def __init__(self, storage: Storage, api: LocalBotApi, request: ScriptedRequest) -> None:
        self.storage = storage
        self.outbox = Outbox(storage)
        self.api = api
        self.request = request
        self.bot = Bot(TOKEN, request=request)
        self.message_id = api.user_message(ORG, MESSAGE)["message"]["message_id"]

    def sender(self, **kw: Any) -> BroadcastSender:
        kw.setdefault("rate", RATE)
        return BroadcastSender(self.bot, self.outbox, **kw)

    async def add_users(self, user_ids: range | list[int], lang: str = "en") -> None:
        """Subscribed, reachable supporters, inserted in one transaction."""
        async with self.storage.transaction() as conn:
            await conn.executemany(
                "INSERT INTO users (user_id, language, first_seen, last_seen) VALUES (?, ?, 0, 0)",
                [(u, lang) for u in user_ids],
            )
            await conn.executemany(
                "INSERT INTO subscriptions (user_id, consent_at) VALUES (?, 0)",
                [(u,) for u in user_ids],
            )

    async def broadcast(self, audience: str = "all", scheduled_at: int | None = None) -> int:
        broadcast_id = await self.outbox.create_broadcast(
            ORG, ORG, self.message_id, "text", audience
        )
        check = await self.outbox.record_preview(broadcast_id, audience)
        assert check is not None
        assert await self.outbox.confirm(broadcast_id, scheduled_at, check)
        return broadcast_id

    async def statuses(self, broadcast_id: int) -> dict[int, tuple[str, str | None]]:
        rows = await self.storage.fetchall(
            "SELECT user_id, status, error FROM deliveries WHERE broadcast_id = ?",
            (broadcast_id,),
        )
        return {int(r[0]): (str(r[1]), r[2]) for r in rows}

    def copies(self, chat_id: int) -> int:
        """How many copies of the broadcast message the chat has on screen."""
        return sum(1 for m in self.api.messages(chat_id) if m.text == MESSAGE)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    storage = await Storage.open(tmp_path / "sender.sqlite3")
    api = LocalBotApi()
    world = World(storage, api, ScriptedRequest(api))
    await world.bot.initialize()
    try:
        yield world
    finally:
        await world.bot.shutdown()
        await storage.close()


# -- sending ------------------------------------------------------------------------------------


async def test_every_recipient_gets_one_copy(world: World) -> None:
    """Each subscribed user gets exactly one copy; the broadcast ends done, all delivered."""
    await world.add_users(range(1, 41))
    broadcast_id = await world.broadcast()
    report = await world.sender().run(broadcast_id)
    assert report == Report(total=40, delivered=40)
    assert all(world.copies(u) == 1 for u in range(1, 41))
    assert world.api.duplicates() == 0
    assert world.copies(ORG) == 0
    broadcast = await world.outbox.get(broadcast_id)
    assert broadcast is not None and broadcast.status == "done"
    assert broadcast.finished_at is not None


async def test_copies_go_through_copy_message_of_the_source(world: World) -> None:
    """The sender copies the organizer's stored message (copyMessage), not its text."""
    await world.add_users([7])
    broadcast_id = await world.broadcast()
    await world.sender().run(broadcast_id)
    (action,) = [a for a in world.api.sent if a.method == "copyMessage"]
    assert (action.chat_id, action.params["from_chat_id"]) == (7, ORG)
    assert action.params["message_id"] == world.message_id


async def test_thousands_of_recipients_stream_in_pages(world: World) -> None:
    """2,500 recipients go out in 25 bounded pages and at most 64 sends at once, one copy per
    chat. (Memory and pace at 10,000 and 50,000 are measured by benchmarks/bench_broadcast.py.)"""
    await world.add_users(range(1, 2_501))
    broadcast_id = await world.broadcast()
    assert (await world.outbox.report(broadcast_id)).pending == 2_500
    sender = world.sender(rate=50_000, batch_size=100, max_in_flight=64)

    pages: list[int] = []
    next_pending = world.outbox.next_pending

    async def spy_next_pending(broadcast: int, after: int, limit: int) -> list[int]:
        page = await next_pending(broadcast, after, limit)
        pages.append(len(page))
        return page

    claimed = 0
    most_claimed = 0
    mark_sending, mark = world.outbox.mark_sending, world.outbox.mark

    async def spy_mark_sending(broadcast: int, user_id: int) -> bool:
        nonlocal claimed, most_claimed
        ok = await mark_sending(broadcast, user_id)
        claimed += ok
        most_claimed = max(most_claimed, claimed)
        return ok

    async def spy_mark(broadcast: int, user_id: int, status: str, error: str | None = None) -> bool:
        nonlocal claimed
        claimed -= 1
        return await mark(broadcast, user_id, status, error)

    world.outbox.next_pending = spy_next_pending  # type: ignore[method-assign]
    world.outbox.mark_sending = spy_mark_sending  # type: ignore[method-assign]
    world.outbox.mark = spy_mark  # type: ignore[method-assign]

    report = await sender.run(broadcast_id)
    assert report == Report(total=2_500, delivered=2_500)
    assert max(pages) <= 100
    assert sum(pages) >= 2_500 and len(pages) >= 25
    assert most_claimed <= 64
    assert len(world.api.sent_per_chat) == 2_500
    assert set(world.api.sent_per_chat.values()) == {1}


async def test_one_broadcast_at_a_time(world: World) -> None:
    """A second broadcast waits for the first; no chat gets two messages within a second."""
    await world.add_users(range(1, 21))
    first = await world.broadcast()
    second_message = world.api.user_message(ORG, "Second update")["message"]["message_id"]
    second = await world.outbox.create_broadcast(ORG, ORG, second_message, "text", "all")
    await world.outbox.confirm(second, None, await world.outbox.record_preview(second, "all") or "")
    sender = world.sender()
    tasks = [sender.launch(first), sender.launch(second)]
    assert sender.launch(first) is tasks[0]  # launching again returns the running task
    reports = await asyncio.gather(*tasks)
    assert [r.delivered for r in reports] == [20, 20]
    order = [a.params["message_id"] for a in world.api.sent if a.method == "copyMessage"]
    assert order == [world.message_id] * 20 + [second_message] * 20
    # Each chat got its two messages at least a second apart (Telegram's per-chat limit).
    times = [t for chat, _, t in world.request.copies if chat == 1]
    assert len(times) == 2 and times[1] - times[0] >= 1.0


# -- errors, per recipient ----------------------------------------------------------------------


async def test_429_pauses_and_retries_after_waiting(world: World) -> None:
    """A 429 pauses the sender for retry_after, then the row is sent again, once."""
    await world.add_users(range(1, 11))
    broadcast_id = await world.broadcast()
    world.api.fail_next("copyMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    sender = world.sender()
    report = await sender.run(broadcast_id)
    assert report == Report(total=10, delivered=10)
    assert (sender.stats.flood_waits, sender.stats.paused_seconds) == (1, 1.0)
    assert [status for _, status, _ in world.request.copies].count(429) == 1
    ((flooded, _, refused_at),) = [c for c in world.request.copies if c[1] == 429]
    (retried_at,) = [
        t for chat, status, t in world.request.copies if chat == flooded and status == 200
    ]
    assert retried_at - refused_at >= 1.0
    assert world.copies(flooded) == 1
    assert world.api.duplicates() == 0


async def test_a_reply_told_to_wait_goes_before_the_broadcast(world: World) -> None:
    """A reply that gets a 429 while a broadcast runs is sent before the broadcast goes on: the
    broadcast holds for the reply's wait and a little more (the call guard tells it)."""
    await world.add_users(range(1, 101))
    broadcast_id = await world.broadcast()
    sender = world.sender(rate=50, max_in_flight=1)  # one send in flight: nothing slips through
    guard = CallGuard()
    guard.on_flood(sender.hold)
    copies_at_flood: list[int] = []
    guard.on_flood(lambda _: copies_at_flood.append(len(world.request.copies)))
    ten_out = asyncio.Event()

    async def count(_chat: int) -> None:
        if len(world.request.copies) >= 10:
            ten_out.set()

    world.request.before_any = count
    async with ExtBot(TOKEN, request=LocalRequest(world.api), rate_limiter=guard) as replies:
        task = sender.launch(broadcast_id)
        await ten_out.wait()
        world.api.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
        await replies.send_message(999_999, "the answer")
        copies_at_reply = len(world.request.copies)
        report = await task
    assert len(copies_at_flood) == 1
    # At most the one send already past the rate limit when the 429 came.
    assert copies_at_reply - copies_at_flood[0] <= 1
    assert [m.text for m in world.api.messages(999_999)] == ["the answer"]
    assert report == Report(total=100, delivered=100)


async def test_blocked_user_is_marked_blocked_and_unreachable(world: World) -> None:
    """A 403 marks the row blocked and the user unreachable; everyone else is delivered."""
    await world.add_users(range(1, 6))
    world.api.block_chat(3)
    broadcast_id = await world.broadcast()
    report = await world.sender().run(broadcast_id)
    assert (report.delivered, report.blocked) == (4, 1)
    assert (await world.statuses(broadcast_id))[3][0] == "blocked"
    user = await world.storage.get_user(3)
    assert user is not None and not user.reachable
    assert await world.outbox.count_audience("all") == 4


async def test_bad_request_fails_with_telegrams_reason(world: World) -> None:
    """A 400 marks the row failed with Telegram's description, and sending goes on."""
    await world.add_users(range(1, 6))
    broadcast_id = await world.broadcast()
    world.request.answer[2] = (
        400,
        {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"},
    )
    report = await world.sender().run(broadcast_id)
    assert (report.delivered, report.failed) == (4, 1)
    status, error = (await world.statuses(broadcast_id))[2]
    assert status == "failed"
    assert error is not None and "hat not found" in error


async def test_migrated_chat_fails(world: World) -> None:
    """A group that became a supergroup (ChatMigrated) is a failed delivery, not a retry."""
    await world.add_users(range(1, 4))
    broadcast_id = await world.broadcast()
    world.request.answer[1] = (
        400,
        {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: group chat was upgraded to a supergroup chat",
            "parameters": {"migrate_to_chat_id": -1001234},
        },
    )
    report = await world.sender().run(broadcast_id)
    assert (report.delivered, report.failed) == (2, 1)
    assert (await world.statuses(broadcast_id))[1][0] == "failed"


@pytest.mark.parametrize(
    ("error", "arrived"),
    [
        (TimedOut("Timed out"), True),  # Telegram got it; the answer was lost
        (NetworkError("connection reset"), False),  # it may never have left
    ],
)
async def test_timeout_or_network_error_is_unknown_and_never_resent(
    world: World, error: Exception, arrived: bool
) -> None:
    """A send without an answer is unknown and never sent again, even after a restart."""
    await world.add_users(range(1, 6))
    broadcast_id = await world.broadcast()
    if arrived:
        world.request.raise_after[4] = error
    else:
        world.request.raise_instead[4] = error
    report = await world.sender().run(broadcast_id)
    assert (report.delivered, report.unknown) == (4, 1)
    assert (await world.statuses(broadcast_id))[4][0] == "unknown"
    assert world.copies(4) == (1 if arrived else 0)

    # A restart runs recovery and the sender again: nothing is resent.
    await world.storage.write("UPDATE broadcasts SET status = 'sending'")
    restarted = world.sender()
    assert await restarted.resume_all() == [broadcast_id]
    await restarted.launch(broadcast_id)
    assert world.copies(4) == (1 if arrived else 0)
    assert world.api.duplicates() == 0


async def test_invalid_token_stops_the_run_and_keeps_the_row(world: World) -> None:
    """A refused token ends the run; the row goes back to pending, the broadcast resumable."""
    await world.add_users(range(1, 4))
    broadcast_id = await world.broadcast()
    world.api.fail_next("copyMessage", 401, "Unauthorized")
    with pytest.raises(InvalidToken):
        await world.sender(max_in_flight=1).run(broadcast_id)
    report = await world.outbox.report(broadcast_id)
    assert report.pending >= 1 and report.sending == 0
    assert await world.outbox.status(broadcast_id) == "sending"


# -- cancelling, crash recovery, changes while sending ------------------------------------------


async def test_cancel_mid_run_stops_sending(world: World) -> None:
    """After a cancel nothing more is sent; the rest stays pending and the run returns."""
    await world.add_users(range(1, 201))
    broadcast_id = await world.broadcast()
    sent_before_cancel = 0

    async def cancel(chat_id: int) -> None:
        nonlocal sent_before_cancel
        sent_before_cancel = len(world.request.copies)
        assert await world.outbox.cancel(broadcast_id)

    world.request.before[50] = cancel
    sender = world.sender(max_in_flight=4)
    report = await sender.run(broadcast_id)
    assert await world.outbox.status(broadcast_id) == "cancelled"
    # Only sends already claimed when the cancel committed went out (at most the ones in flight).
    assert len(world.request.copies) <= sent_before_cancel + 4
    assert report.pending >= 200 - sent_before_cancel - 4
    assert report.delivered == len(world.request.copies)
    statuses = await world.statuses(broadcast_id)
    assert all(world.copies(u) == 0 for u, (s, _) in statuses.items() if s == "pending")


async def test_crash_recovery_resends_nothing(world: World) -> None:
    """After a crash in-flight rows become unknown, pending ones continue; no second copy."""
    await world.add_users(range(1, 31))
    broadcast_id = await world.broadcast()
    # The run before the crash: 1-10 delivered, 11 and 12 on the wire (11's copy arrived).
    for user_id in range(1, 13):
        assert await world.outbox.mark_sending(broadcast_id, user_id)
        if user_id <= 11:
            world.api.call(
                "copyMessage",
                {"chat_id": user_id, "from_chat_id": ORG, "message_id": world.message_id},
            )
        if user_id <= 10:
            await world.outbox.mark(broadcast_id, user_id, "delivered")

    sender = world.sender()
    assert await sender.resume_all() == [broadcast_id]
    report = await sender.launch(broadcast_id)
    assert report == Report(total=30, delivered=28, unknown=2)
    statuses = await world.statuses(broadcast_id)
    assert statuses[11][0] == statuses[12][0] == "unknown"
    assert world.copies(11) == 1 and world.copies(12) == 0
    assert all(world.copies(u) == 1 for u in range(13, 31))
    assert world.api.duplicates() == 0
    assert await world.outbox.status(broadcast_id) == "done"


async def test_user_who_unsubscribes_mid_broadcast_is_skipped(world: World) -> None:
    """Users who unsubscribe, block or forget mid-broadcast are skipped; others delivered."""
    await world.add_users(range(1, 21))
    broadcast_id = await world.broadcast()

    async def changes(chat_id: int) -> None:
        await world.storage.unsubscribe(18)
        await world.storage.set_reachable(19, False)
        await world.storage.forget_user(20)

    world.request.before[1] = changes
    report = await world.sender(max_in_flight=2).run(broadcast_id)
    assert report == Report(total=19, delivered=17, skipped=2)
    assert [world.copies(u) for u in (18, 19, 20)] == [0, 0, 0]
    statuses = await world.statuses(broadcast_id)
    assert statuses[18][0] == statuses[19][0] == "skipped"


async def test_progress_is_reported_while_sending_and_at_the_end(world: World) -> None:
    """The progress callback sees the broadcast part-way through and gets the final report."""
    await world.add_users(range(1, 31))
    broadcast_id = await world.broadcast()
    seen: list[Report] = []
    mid_run = asyncio.Event()

    async def on_progress(report: Report) -> None:
        seen.append(report)
        if 0 < report.processed < report.total:
            mid_run.set()

    async def wait_for_progress(chat_id: int) -> None:
        await mid_run.wait()  # one send waits until progress was shown part-way

    world.request.before[15] = wait_for_progress
    report = await world.sender().run(broadcast_id, on_progress, progress_interval=0.01)
    assert any(0 < r.processed < r.total for r in seen)
    assert seen[-1] == report == Report(total=30, delivered=30)


async def test_failing_progress_callback_does_not_stop_the_broadcast(world: World) -> None:
    """An error while showing progress is logged and sending goes on."""
    await world.add_users(range(1, 6))
    broadcast_id = await world.broadcast()

    async def broken(report: Report) -> None:
        raise RuntimeError("the organizer's message is gone")

    report = await world.sender().run(broadcast_id, broken, progress_interval=0.01)
    assert report.delivered == 5


async def test_scheduled_broadcast_starts_when_due(world: World) -> None:
    """A scheduled broadcast gets its recipients (as of then) only when it starts, once."""
    await world.add_users(range(1, 6))
    now = world.storage.now()
    broadcast_id = await world.broadcast(scheduled_at=now + 3600)
    sender = world.sender()
    assert await sender.start_due(now) == []
    assert world.copies(1) == 0
    assert await sender.start_due(now + 3600) == [broadcast_id]
    assert await sender.start_due(now + 3600) == []
    report = await sender.launch(broadcast_id)
    assert report.delivered == 5
    assert await world.outbox.status(broadcast_id) == "done"


async def test_only_sending_broadcasts_are_sent(world: World) -> None:
    """Running a draft, scheduled, cancelled or finished broadcast sends nothing."""
    await world.add_users(range(1, 4))
    draft = await world.outbox.create_broadcast(ORG, ORG, world.message_id, "text", "all")
    scheduled = await world.broadcast(scheduled_at=world.storage.now() + 60)
    cancelled = await world.broadcast()
    await world.outbox.cancel(cancelled)
    sender = world.sender()
    for broadcast_id in (draft, scheduled, cancelled, 999):
        await sender.run(broadcast_id)
    assert world.request.copies == []


async def test_stop_leaves_no_task_behind(world: World) -> None:
    """stop() ends runs promptly, stuck sends included; rows stay resumable."""
    await world.add_users(range(1, 11))
    broadcast_id = await world.broadcast()
    stuck = asyncio.Event()

    async def hang(chat_id: int) -> None:
        stuck.set()
        await asyncio.Event().wait()  # Telegram never answers

    world.request.before[3] = hang
    sender = world.sender(max_in_flight=1, stop_grace=0.01)
    task = sender.launch(broadcast_id)
    await stuck.wait()
    await sender.stop()
    assert task.done()
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert others == []
    assert await world.outbox.recover(broadcast_id) == 1
    report = await world.outbox.report(broadcast_id)
    assert (report.delivered, report.unknown, report.pending) == (2, 1, 7)
    assert await world.outbox.status(broadcast_id) == "sending"  # resumes at the next start


async def test_token_bucket_rejects_a_zero_rate() -> None:
    """A rate must be positive."""
    with pytest.raises(ValueError, match="positive"):
        TokenBucket(0)


# -- the fake Bot API's flood limit -------------------------------------------------------------


def test_flood_limit_answers_429_with_retry_after() -> None:
    """Over the flood limit sending methods get 429 with retry_after; others are unaffected."""
    api = LocalBotApi(flood_limit=2)
    for chat in (1, 2):
        assert api.call("sendMessage", {"chat_id": chat, "text": "hi"})[0] == 200
    status, body = api.call("sendMessage", {"chat_id": 3, "text": "hi"})
    assert status == 429
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": f"Too Many Requests: retry after {FLOOD_RETRY_AFTER}",
        "parameters": {"retry_after": FLOOD_RETRY_AFTER},
    }
    # Until the wait is over every sending method is refused, but not the others.
    assert api.call("copyMessage", {"chat_id": 3, "from_chat_id": 1, "message_id": 1})[0] == 429
    assert api.call("getMe", {})[0] == 200
    assert api.flooded == 2
    unlimited = LocalBotApi()
    for chat in range(100):
        assert unlimited.call("sendMessage", {"chat_id": chat, "text": "hi"})[0] == 200
    assert unlimited.flooded == 0


def test_flood_limit_can_cover_only_some_methods() -> None:
    """flood_methods narrows the limit, e.g. to the broadcast's copyMessage."""
    api = LocalBotApi(flood_limit=1, flood_methods={"copyMessage"})
    api.user_message(ORG, MESSAGE)
    copy = {"from_chat_id": ORG, "message_id": 1}
    assert api.call("copyMessage", {"chat_id": 1, **copy})[0] == 200
    assert api.call("copyMessage", {"chat_id": 2, **copy})[0] == 429
    assert api.call("sendMessage", {"chat_id": 2, "text": "reply"})[0] == 200


def test_copies_per_chat_and_duplicates_are_counted() -> None:
    """sent_per_chat counts copies per chat, duplicates() the extras; clear() resets them."""
    api = LocalBotApi()
    api.user_message(ORG, MESSAGE)
    copy = {"from_chat_id": ORG, "message_id": 1}
    for chat in (1, 2, 2, 3, 3, 3):
        api.call("copyMessage", {"chat_id": chat, **copy})
    api.call("sendMessage", {"chat_id": 1, "text": "not a copy"})
    assert dict(api.sent_per_chat) == {1: 1, 2: 2, 3: 3}
    assert api.duplicates() == 3
    api.clear()
    assert (api.duplicates(), api.flooded, len(api.sent_per_chat)) == (0, 0, 0)


def test_copy_from_a_chat_the_fake_never_saw_is_accepted() -> None:
    """copyMessage accepts any message id from an unknown chat; a known chat must have it."""
    api = LocalBotApi()
    status, body = api.call("copyMessage", {"chat_id": 1, "from_chat_id": ORG, "message_id": 9})
    assert (status, body["result"]) == (200, {"message_id": 1})
    assert api.call("copyMessage", {"chat_id": 2, "from_chat_id": ORG, "message_id": 9})[0] == 200
    api.user_message(7, "hello")
    known = {"chat_id": 1, "from_chat_id": 7, "message_id": 50}
    assert api.call("copyMessage", known)[1]["description"] == (
        "Bad Request: message to copy not found"
    )
    assert dict(api.sent_per_chat) == {1: 1, 2: 1}


class VirtualTime:
    """A clock that only moves when someone sleeps: pacing is checked without real time."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


async def test_token_bucket_paces_evenly_and_pauses() -> None:
    """The bucket spaces acquisitions 1/rate apart, and a pause holds them for its length."""
    clock = VirtualTime()
    bucket = TokenBucket(50, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(100):
        await bucket.acquire()
        times.append(clock.now)
    assert times[-1] - times[0] == pytest.approx(99 / 50)
    assert all(b - a == pytest.approx(1 / 50) for a, b in itertools.pairwise(times))
    bucket.pause(1.0)
    paused_at = clock.now
    await bucket.acquire()
    assert clock.now == pytest.approx(paused_at + 1.0)


async def test_token_bucket_allows_a_burst_up_to_its_capacity() -> None:
    """With capacity 5, five acquisitions go at once after an idle spell, then pacing resumes."""
    clock = VirtualTime()
    bucket = TokenBucket(10, capacity=5, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        await bucket.acquire()
    assert clock.now == 100.0
    await bucket.acquire()
    assert clock.now == pytest.approx(100.1)


async def test_a_sender_held_up_catches_up_with_its_schedule(world: World) -> None:
    """At 10 a second, one send takes 0.18 s (a slow answer, a busy event loop): the next one
    goes at once and the rest keep the original schedule, instead of every later send going
    late by the hold-up. Over the run, never more than the rate and the catch-up allow."""
    clock = VirtualTime()
    await world.add_users(range(1, 21))
    broadcast_id = await world.broadcast()
    sent_at: list[float] = []

    async def record(chat_id: int) -> None:
        sent_at.append(clock.now)

    async def slow(chat_id: int) -> None:
        clock.now += 0.18

    world.request.before_any = record
    world.request.before[3] = slow
    sender = world.sender(rate=10, max_in_flight=1, clock=clock, sleep=clock.sleep)
    report = await sender.run(broadcast_id)
    assert report == Report(total=20, delivered=20)
    start = sent_at[0]
    assert [round(t - start, 6) for t in sent_at] == [
        0.0,  # CATCH_UP (0.2 s) of sends at 10/s: two may go at once
        0.0,
        0.1,  # the slow one: answered at 0.28
        0.28,  # late, and at once
        0.3,  # back on schedule
        *(round(0.4 + 0.1 * n, 6) for n in range(15)),
    ]
