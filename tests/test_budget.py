"""One send budget for the whole bot (bot/telegram/budget.py) and the broadcast's adaptive rate
(bot/telegram/sender.py): replies first, the broadcast gets what is left, and slows down on a
429 and climbs back slowly.

The budget and the rate are driven by a manual clock: time moves only when a test says so, so
nothing here depends on how fast the machine is. The last tests run the real Application and
sender over the in-memory Bot API, whose flood limit counts every send as Telegram does; they
assert what was sent and refused, never how long it took.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from pathlib import Path

import pytest
from telegram import Bot
from telegram.error import RetryAfter

from bot.content import Content
from bot.outbox import Outbox, Report
from bot.storage import Storage
from bot.telegram.budget import (
    CATCH_UP,
    DECREASE,
    INCREASE,
    MIN_RATE,
    PROBE,
    AdaptiveRate,
    SendBudget,
)
from bot.telegram.calls import CallGuard
from bot.telegram.sender import BroadcastSender
from tests.fakes.local_api import LocalBotApi, LocalRequest
from tests.harness import make_config, start_harness, stop_harness

ORG = 5000


class ManualClock:
    """Time that moves only by :meth:`advance`; :meth:`sleep` waits until then."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._ids = itertools.count()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds, next(self._ids), future))
        await future

    async def advance(self, seconds: float) -> None:
        """Move time on, waking every sleeper due by then (in order), and let them run."""
        end = self.now + seconds
        while self._sleepers and self._sleepers[0][0] <= end:
            due, _, future = heapq.heappop(self._sleepers)
            self.now = max(self.now, due)
            future.set_result(None)
            await settle()
        self.now = end
        await settle()


async def settle() -> None:
    """Let every task that can run, run (a few loop turns)."""
    for _ in range(20):
        await asyncio.sleep(0)


async def fill(budget: SendBudget, count: int) -> None:
    """``count`` sends made and answered now."""
    for _ in range(count):
        async with budget.reply():
            pass


async def broadcast_send(budget: SendBudget, clock: ManualClock, taken: list[float]) -> None:
    """One broadcast send, answered at once; ``taken`` gets the time it took its slot."""
    await budget.take_broadcast()
    taken.append(clock.now)
    budget.release(sent=True)


async def test_a_send_holds_its_slot_until_a_second_after_its_answer() -> None:
    """Three a second: the fourth send waits until a second after the first was answered."""
    clock = ManualClock()
    budget = SendBudget(3, clock=clock, sleep=clock.sleep)
    await fill(budget, 3)
    fourth = asyncio.create_task(budget.take_broadcast())
    await clock.advance(0.999)
    assert not fourth.done()
    await clock.advance(0.001)
    assert fourth.done()
    assert budget.in_use() == 1, "the first three left the window; the fourth is in flight"


async def test_a_send_in_flight_holds_its_slot() -> None:
    """A send not answered yet counts, however long it takes: Telegram may count it any time."""
    clock = ManualClock()
    budget = SendBudget(2, clock=clock, sleep=clock.sleep)
    await budget.take_broadcast()
    await clock.advance(0.5)
    await budget.take_broadcast()
    third = asyncio.create_task(budget.take_broadcast())
    await clock.advance(5)
    assert not third.done()
    budget.release(sent=True)  # answered now: its second starts now
    await clock.advance(0.5)
    assert not third.done()
    await clock.advance(0.5)
    assert third.done()


async def test_a_send_never_made_gives_its_slot_back_at_once() -> None:
    clock = ManualClock()
    budget = SendBudget(1, clock=clock, sleep=clock.sleep)
    await budget.take_broadcast()
    reply = asyncio.create_task(fill(budget, 1))
    await settle()
    assert not reply.done()
    budget.release(sent=False)  # the broadcast send was cancelled before its call
    await settle()
    assert reply.done() and clock.now == 0


async def test_broadcast_sends_are_spaced_evenly() -> None:
    """Room for 30 at once: broadcast sends still go one every 1/30 s, so their slots free up
    evenly and a reply never waits for the end of a burst."""
    clock = ManualClock()
    budget = SendBudget(30, clock=clock, sleep=clock.sleep)
    taken: list[float] = []
    sends = [asyncio.create_task(broadcast_send(budget, clock, taken)) for _ in range(4)]
    await settle()
    for _ in range(8):
        await clock.advance(1 / 60)
    await asyncio.gather(*sends)
    assert taken == pytest.approx([0, 1 / 30, 2 / 30, 3 / 30])


async def test_broadcast_sends_held_up_catch_up_with_their_schedule() -> None:
    """Six a second, the window full: when its slots free up together, the broadcast sends that
    waited for them take them together — up to CATCH_UP at once — instead of one every 1/6 s,
    which would leave freed slots idle; the schedule then goes on at the limit's rate."""
    clock = ManualClock()
    budget = SendBudget(6, clock=clock, sleep=clock.sleep)
    await fill(budget, 6)
    taken: list[float] = []
    sends = [asyncio.create_task(broadcast_send(budget, clock, taken)) for _ in range(CATCH_UP + 1)]
    await settle()
    for _ in range(20):
        await clock.advance(1 / 12)
    await asyncio.gather(*sends)
    assert CATCH_UP == 3
    assert taken == pytest.approx([1.0, 1.0, 1.0, 1.0 + 1 / 6])


async def test_replies_go_first_and_the_broadcast_gets_what_is_left() -> None:
    """At the limit, a reply and a broadcast send both wait: the freed slot goes to the reply,
    even though the broadcast send was waiting first."""
    clock = ManualClock()
    budget = SendBudget(2, clock=clock, sleep=clock.sleep)
    await fill(budget, 2)
    order: list[str] = []

    async def broadcast() -> None:
        await budget.take_broadcast()
        order.append("broadcast")
        budget.release(sent=True)

    async def reply() -> None:
        async with budget.reply():
            order.append("reply")

    waiting_broadcast = asyncio.create_task(broadcast())
    await settle()
    waiting_reply = asyncio.create_task(reply())
    await settle()
    await clock.advance(1.0)  # both slots free up
    await asyncio.gather(waiting_broadcast, waiting_reply)
    assert order == ["reply", "broadcast"]
    assert budget.stats.reply_waits == 1 and budget.stats.replies == 3  # 2 filled the second


async def test_a_429_lowers_the_budgets_limit_and_it_climbs_back() -> None:
    """Telegram's limit turned out lower than the budget's: after a 429 nothing is sent until
    its retry_after is over; the budget then allows 90 % of what it had counted in that second,
    and a little more each second."""
    clock = ManualClock()
    budget = SendBudget(45, clock=clock, sleep=clock.sleep)
    await fill(budget, 31)
    budget.flooded(1.0)
    assert budget.capacity == int(31 * DECREASE)
    reply = asyncio.create_task(fill(budget, 1))
    await clock.advance(0.999)
    assert not reply.done(), "Telegram said to wait a second"
    await clock.advance(0.001)
    assert reply.done()
    await clock.advance(9)
    assert budget.capacity == int(31 * DECREASE + 10 * PROBE)


async def test_a_reply_with_room_does_not_wait() -> None:
    clock = ManualClock()
    budget = SendBudget(30, clock=clock, sleep=clock.sleep)
    await fill(budget, 29)
    async with budget.reply():
        pass
    assert budget.stats.reply_waits == 0


async def test_the_call_guard_budgets_sends_only(content: Content, tmp_path: Path) -> None:
    """Every message the Application's bot sends takes a slot; edits and button answers do not
    (Telegram's limit counts messages)."""
    bot = await start_harness(make_config(tmp_path), content)
    try:
        budget = bot.app.bot_data.budget
        before = budget.stats.replies
        await bot.send("/start")  # one new message
        await bot.press_data("facts1:topics")  # an answer to the press, and an edit
        assert budget.stats.replies - before == 1
    finally:
        await stop_harness(bot)


async def test_a_replys_429_holds_every_send_and_lowers_the_budget() -> None:
    """A reply told to wait by Telegram: the call guard tells the budget, which gives no slot
    to anyone (this reply's retry, another reply, a broadcast send) until retry_after is over,
    and then allows 90 % of what it had counted in that second."""
    clock = ManualClock()
    budget = SendBudget(30, clock=clock, sleep=clock.sleep)
    guard = CallGuard(clock, clock.sleep, budget=budget)
    guard.on_flood(budget.flooded)  # as the bot wires them (bot/telegram/app.py)
    await fill(budget, 19)
    attempts: list[float] = []

    async def answer() -> str:
        attempts.append(clock.now)
        if len(attempts) == 1:
            raise RetryAfter(2)
        return "sent"

    reply = asyncio.create_task(guard.call("sendMessage", answer))
    await settle()
    assert attempts == [0.0] and budget.pace.floods == 1
    assert budget.capacity == int(20 * DECREASE)  # 19 answered and the refused one
    broadcast_send = asyncio.create_task(budget.take_broadcast())
    await clock.advance(1.999)
    assert not reply.done() and not broadcast_send.done()
    await clock.advance(0.001)
    assert await reply == "sent" and attempts == [0.0, 2.0]
    await clock.advance(1.0)
    assert broadcast_send.done(), "the broadcast goes on after the reply"


async def test_the_call_guard_leaves_calls_that_send_nothing_out_of_the_budget() -> None:
    clock = ManualClock()
    budget = SendBudget(1, clock=clock, sleep=clock.sleep)
    guard = CallGuard(clock, clock.sleep, budget=budget)
    await fill(budget, 1)  # the budget is full for a second

    async def edited() -> bool:
        return True

    assert await guard.call("editMessageText", edited)
    assert await guard.call("answerCallbackQuery", edited)
    assert budget.stats.replies == 1 and budget.stats.reply_waits == 0


async def test_a_429_to_a_reply_of_the_bot_lowers_its_budget(
    content: Content, tmp_path: Path
) -> None:
    """The Application's call guard and the bot's budget are wired together: Telegram refusing a
    reply lowers the budget the broadcast draws from, and the reply still goes out, once."""
    api = LocalBotApi()
    bot = await start_harness(make_config(tmp_path, send_limit=30.0), content, api)
    try:
        budget = bot.app.bot_data.budget
        api.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
        await bot.send("/help")
        assert budget.pace.floods == 1
        assert budget.pace.rate < 30
        assert len(api.messages(bot.user_id)) == 1
    finally:
        await stop_harness(bot)


async def test_broadcast_sends_take_slots_and_a_429_lowers_the_budget(tmp_path: Path) -> None:
    """Each broadcast send holds a slot of the budget (so replies can see it), a refused one
    too; Telegram's 429 to a copy lowers the budget's limit, not only the sender's pace."""
    api = LocalBotApi()
    outbox, storage, broadcast_id = await _broadcast_to(tmp_path, api, 10)
    budget = SendBudget(500)
    try:
        api.fail_next("copyMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
        async with Bot("123:budget", request=LocalRequest(api)) as bot:
            sender = BroadcastSender(bot, outbox, rate=500, budget=budget)
            report = await sender.run(broadcast_id)
    finally:
        await storage.close()
    assert report == Report(total=10, delivered=10)
    assert budget.stats.broadcast == 11  # ten copies and the refused one
    assert budget.stats.replies == 0
    assert budget.pace.floods == 1 and budget.pace.rate < 500
    assert budget.in_use() <= 11  # every slot was given back (answered ones age out)
    assert api.duplicates() == 0


async def test_without_a_budget_the_sender_slows_down_on_a_429(tmp_path: Path) -> None:
    """A sender of its own (no budget) lowers its own rate on a 429 and probes back up slowly:
    it does not go back to its configured rate for the rest of this short broadcast."""
    api = LocalBotApi()
    outbox, storage, broadcast_id = await _broadcast_to(tmp_path, api, 10)
    try:
        api.fail_next("copyMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
        async with Bot("123:budget", request=LocalRequest(api)) as bot:
            sender = BroadcastSender(bot, outbox, rate=500)
            report = await sender.run(broadcast_id)
    finally:
        await storage.close()
    assert report == Report(total=10, delivered=10)
    assert sender.pace.floods == 1
    assert sender.pace.rate < 500 * DECREASE


async def test_a_reply_told_to_wait_slows_a_sender_without_a_budget(tmp_path: Path) -> None:
    """The call guard's 429 reaches a sender of its own through hold(): it holds, and lowers
    its rate; with a budget the budget hears of the 429 instead, and the sender's pace stays."""
    api = LocalBotApi()
    outbox, storage, _ = await _broadcast_to(tmp_path, api, 1)
    try:
        async with Bot("123:budget", request=LocalRequest(api)) as bot:
            alone = BroadcastSender(bot, outbox, rate=25)
            alone.hold(1.0)
            shared = BroadcastSender(bot, outbox, rate=25, budget=SendBudget(30))
            shared.hold(1.0)
    finally:
        await storage.close()
    assert alone.pace.floods == 1 and alone.pace.rate < 25
    assert shared.pace.floods == 0 and shared.pace.rate == 25


def test_the_rate_drops_on_a_429_and_climbs_back() -> None:
    """Down to 90 % of what was sent, then up 0.1 message/s each second; several 429s of one
    flood count once; well past the rate of the 429, the climb is fast again."""
    clock = ManualClock()
    pace = AdaptiveRate(45, clock=clock)
    assert pace.current() == 45
    pace.flooded(sent_last_second=30, retry_after=1)
    pace.flooded(sent_last_second=30, retry_after=1)  # the same flood
    assert pace.floods == 1 and pace.rate == pytest.approx(30 * DECREASE)
    clock.now += 10
    assert pace.current() == pytest.approx(27 + 10 * PROBE)
    clock.now += 60  # past 30 / 0.9 without a 429: the limit moved, the climb is fast again
    climbed = pace.current()
    assert climbed == pytest.approx(27 + 70 * PROBE)
    clock.now += 1
    assert pace.current() == pytest.approx(climbed + INCREASE)
    clock.now += 2  # then another 429, at the ceiling
    pace.flooded(sent_last_second=0.1, retry_after=1)
    assert pace.rate == MIN_RATE


# -- against a Telegram that counts every send ----------------------------------------------------


async def test_replies_and_a_broadcast_share_telegrams_limit(
    content: Content, tmp_path: Path
) -> None:
    """The in-memory Telegram allows 30 messages a second, all together. Forty users ask at
    once while a broadcast to 60 runs at a configured 45/s: nobody meets a 429, every user is
    answered once, every recipient gets one copy."""
    api = LocalBotApi(flood_limit=30)
    config = make_config(tmp_path, send_limit=30.0, broadcast_rate=45.0)
    bot = await start_harness(config, content, api)
    try:
        broadcasts = bot.app.bot_data.broadcasts
        outbox, broadcast_id = await _confirmed_broadcast(bot.storage, api, 60)
        broadcasts.finished.clear()
        broadcasts.start(broadcast_id)
        askers = [500 + n for n in range(40)]
        await asyncio.gather(*(bot.send("/help", user_id=user_id) for user_id in askers))
        await broadcasts.finished.wait()
        report = await outbox.report(broadcast_id)
    finally:
        await stop_harness(bot)
    assert api.flooded == 0
    assert report == Report(total=60, delivered=60)
    assert api.duplicates() == 0
    assert all(len(api.messages(user_id)) == 1 for user_id in askers)


async def _broadcast_to(
    tmp_path: Path, api: LocalBotApi, recipients: int
) -> tuple[Outbox, Storage, int]:
    """A database of ``recipients`` subscribers and a confirmed broadcast to all of them."""
    storage = await Storage.open(tmp_path / "db.sqlite3")
    outbox, broadcast_id = await _confirmed_broadcast(storage, api, recipients)
    return outbox, storage, broadcast_id


async def _confirmed_broadcast(
    storage: Storage, api: LocalBotApi, recipients: int
) -> tuple[Outbox, int]:
    """``recipients`` subscribers, and a broadcast to all of them, confirmed."""
    for user_id in range(1, recipients + 1):
        await storage.touch_user(user_id, "en")
        await storage.subscribe(user_id)
    outbox = Outbox(storage)
    message_id = api.user_message(ORG, "The hearing is on Tuesday")["message"]["message_id"]
    broadcast_id = await outbox.create_broadcast(ORG, ORG, message_id, "text", "all")
    check = await outbox.record_preview(broadcast_id, "all")
    assert check is not None and await outbox.confirm(broadcast_id, None, check)
    return outbox, broadcast_id


async def test_without_the_budget_the_same_traffic_meets_429s(tmp_path: Path) -> None:
    """The same broadcast on a sender with no budget (each part keeping to its own rate, as
    before) runs into the limit as soon as replies share it."""
    api = LocalBotApi(flood_limit=20)
    outbox, storage, broadcast_id = await _broadcast_to(tmp_path, api, 60)
    try:
        async with Bot("123:budget", request=LocalRequest(api)) as bot:
            sender = BroadcastSender(bot, outbox, rate=15)
            guard = CallGuard(retries=False)
            running = sender.launch(broadcast_id)
            replies = [
                guard.call("sendMessage", lambda n=n: bot.send_message(700 + n, "answer"))
                for n in range(15)
            ]
            await asyncio.gather(*replies, return_exceptions=True)
            await running
    finally:
        await storage.close()
    assert api.flooded > 0
