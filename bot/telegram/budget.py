"""One send budget for the whole bot: Telegram's limit counts every message a bot sends.

Telegram lets a bot send about 30 messages a second, replies and broadcasts together; more,
and it answers 429 to everything for a while. :class:`SendBudget` keeps count of the messages
the bot sent within the last second, whatever sent them, and gives out the room left:

* **Replies first.** A reply (every sending call of the Application's bot, through the call
  guard) takes a slot at once if one is free, else waits for the next one — at the limit that
  is a few tens of milliseconds, never a 429's second or more. While a reply waits, no
  broadcast send takes a slot.
* **The broadcast gets what is left.** Each broadcast send waits for a free slot no reply is
  waiting for, so the broadcast runs at the limit less the replies of that moment. Broadcast
  sends are also spaced evenly, on a schedule at the limit's rate: slots then free up evenly
  too, and a reply that finds none free waits a fraction of a second, not until a burst of them
  ends. The schedule is kept, not restarted: a send held up (a full window, a busy event
  loop) does not push the next ones back; up to :data:`CATCH_UP` go at once to make up for it.
  Spacing each send a whole interval after the one before instead left slots idle after every
  hold-up — near the limit the broadcast hardly ever caught up — and cost about 2 % of it.
* **It learns the real limit.** Telegram does not publish its limit, and it may be lower than
  the one configured. A 429 (:meth:`SendBudget.flooded`: a reply's, or a broadcast send's)
  lowers the budget's limit to 90 % of what it counted in that second; then it climbs back by
  0.1 message/s each second, probing for the limit (:class:`AdaptiveRate`).
  Until Telegram's ``retry_after`` is over, no slot is given out: a send then would only meet
  another 429.
* **Conservative about time.** A send holds its slot from the moment it is taken until one
  second after Telegram answered it: Telegram counts it on arrival, somewhere in between, so
  the bot can never count a second shorter than Telegram does. A send that never left (it was
  cancelled before its call) gives its slot back at once.

It is in memory, for this process: one bot per database (``bot.instance``) means one process
per bot token in practice. ``clock`` and ``sleep`` are replaceable for tests.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

DEFAULT_LIMIT = 30.0  # messages per second Telegram allows a bot, all chats together
WINDOW = 1.0  # seconds over which Telegram counts them
MIN_RATE = 1.0  # messages per second an adaptive rate never goes below
DECREASE = 0.9  # on a 429: this share of what was sent over the last second
PROBE = 0.1  # messages per second added each second after a 429 ...
PROBE_BAND = 0.9  # ... until 1 / PROBE_BAND times the rate it came at; then
INCREASE = 1.0  # this much (the limit has moved)
CATCH_UP = 3  # broadcast sends that may go at once when they fell behind their schedule

# Bot API methods that send a message: the ones Telegram's limit counts.
SENDING_METHODS = frozenset(
    {
        "sendMessage",
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "forwardMessages",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "sendVideo",
        "sendAudio",
        "sendVoice",
        "sendAnimation",
        "sendSticker",
        "sendLocation",
        "sendContact",
        "sendPoll",
        "sendDice",
    }
)


class AdaptiveRate:
    """A send rate that meets Telegram's limit seldom: multiplicatively down on a 429,
    additively back up (the budget's limit, or a broadcast sender's own rate without one).

    It starts at the configured rate, its ceiling. :meth:`flooded` (a 429) sets it to
    :data:`DECREASE` times what was sent over the last second, once per ``retry_after``;
    :meth:`current` then climbs by :data:`PROBE` messages/s per second, probing for the limit
    rather than running into it again. Once well past the rate the 429 came at (by
    1 / :data:`PROBE_BAND`) with no new 429, the limit has moved: the climb is :data:`INCREASE`.
    """

    def __init__(self, ceiling: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ceiling = ceiling
        self.rate = ceiling
        self.floods = 0
        self._clock = clock
        self._updated = clock()
        self._flood_rate: float | None = None  # what was sent when the last 429 came
        self._calm_after = 0.0  # 429s before this time belong to the same flood

    def current(self) -> float:
        """The rate now, having climbed since the last call."""
        now = self._clock()
        elapsed, self._updated = max(now - self._updated, 0.0), now
        if self.rate >= self.ceiling:
            return self.rate
        limit = self._flood_rate
        rate = self.rate + (PROBE if limit is not None else INCREASE) * elapsed
        if limit is not None and rate > limit / PROBE_BAND:
            self._flood_rate = None  # well past it without a 429: the limit moved
        self.rate = min(self.ceiling, rate)
        return self.rate

    def flooded(self, sent_last_second: float, retry_after: float) -> None:
        """Telegram answered 429: slow down (once for all the 429s of one flood)."""
        now = self._clock()
        if now < self._calm_after:
            return
        self._calm_after = now + max(retry_after, 1.0)
        self.floods += 1
        reached = max(min(self.current(), sent_last_second), MIN_RATE)
        self._flood_rate = reached
        self.rate = max(MIN_RATE, reached * DECREASE)


@dataclass
class BudgetStats:
    """What went through the budget since it was made (for logs and benchmarks)."""

    replies: int = 0
    broadcast: int = 0
    reply_waits: int = 0  # replies that found no free slot and waited for one
    reply_wait_seconds: float = 0.0


class SendBudget:
    """Telegram's send limit, shared by replies and broadcasts; see the module docstring."""

    def __init__(
        self,
        limit: float = DEFAULT_LIMIT,
        *,
        window: float = WINDOW,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if limit <= 0:
            raise ValueError("the send limit must be positive")
        self.limit = limit
        self.pace = AdaptiveRate(limit, clock=clock)  # the limit as learnt from 429s
        self._window = window
        self._clock = clock
        self._sleep = sleep
        self._answered: deque[float] = deque()  # when each send of the window was answered
        self._in_flight = 0  # slots taken, their sends not answered yet
        self._next_broadcast = 0.0  # the earliest time of the next broadcast send
        self._paused_until = 0.0  # Telegram's retry_after: no send before then
        self._replies_waiting = 0
        self._reply_queue = asyncio.Lock()  # waiting replies take slots in order
        self._broadcast_queue = asyncio.Lock()  # and so do waiting broadcast sends
        self._changed = asyncio.Event()
        self.stats = BudgetStats()

    @asynccontextmanager
    async def reply(self) -> AsyncIterator[None]:
        """Hold a slot for one reply (the block makes the call)."""
        started = self._clock()
        if not self._room(reply=True) or self._reply_queue.locked():
            self.stats.reply_waits += 1
            self._replies_waiting += 1
            try:
                async with self._reply_queue:
                    await self._wait_for_room(reply=True)
            finally:
                self._replies_waiting -= 1
                self._notify()
            self.stats.reply_wait_seconds += self._clock() - started
        self._in_flight += 1
        self.stats.replies += 1
        try:
            yield
        finally:
            self._release(sent=True)

    async def take_broadcast(self) -> None:
        """Wait for a slot for one broadcast send and hold it; :meth:`release` follows."""
        if not self._room(reply=False) or self._broadcast_queue.locked():
            async with self._broadcast_queue:
                await self._wait_for_room(reply=False)
        self._in_flight += 1
        # Evenly spaced at the limit's rate at most, on a schedule of its own: a send held up
        # does not push the next ones back, they catch up (see the module docstring).
        interval = self._window / self.capacity
        behind = (CATCH_UP - 1) * interval
        self._next_broadcast = max(self._next_broadcast, self._clock() - behind) + interval
        self.stats.broadcast += 1

    def release(self, sent: bool) -> None:
        """The broadcast send holding a slot was answered (``sent``), or never made."""
        self._release(sent)

    @property
    def capacity(self) -> int:
        """Sends allowed within one window now."""
        return max(1, int(self.pace.current() * self._window))

    def flooded(self, retry_after: float) -> None:
        """Telegram answered 429: send nothing for ``retry_after`` seconds, and lower the limit
        (it is lower than this budget's)."""
        self._paused_until = max(self._paused_until, self._clock() + retry_after)
        self.pace.flooded(self.in_use() / self._window, retry_after)

    def in_use(self) -> int:
        """Slots taken now: sends in flight, and those answered within the last window."""
        self._expire(self._clock())
        return self._in_flight + len(self._answered)

    # -- internals -------------------------------------------------------------------------

    def _room(self, reply: bool) -> bool:
        now = self._clock()
        if now < self._paused_until:
            return False
        if not reply and (self._replies_waiting or now < self._next_broadcast):
            return False
        return self.in_use() < self.capacity

    async def _wait_for_room(self, reply: bool) -> None:
        while not self._room(reply):
            now = self._clock()
            if now < self._paused_until:
                await self._sleep(self._paused_until - now)  # Telegram said to wait
            elif not reply and self._replies_waiting:
                # A reply is waiting: it takes the next slot; wait until it has.
                self._changed.clear()
                await self._changed.wait()
            elif self.in_use() >= self.capacity and self._answered:
                # The oldest answered send leaves the window then: a slot frees.
                await self._sleep(self._answered[0] + self._window - now)
            elif self.in_use() >= self.capacity:
                # Every slot is in flight: an answer will start its second.
                self._changed.clear()
                await self._changed.wait()
            else:
                await self._sleep(self._next_broadcast - now)  # the previous one just went

    def _release(self, sent: bool) -> None:
        self._in_flight -= 1
        if sent:
            self._answered.append(self._clock())
        self._notify()

    def _notify(self) -> None:
        self._changed.set()

    def _expire(self, now: float) -> None:
        answered = self._answered
        while answered and answered[0] + self._window <= now:
            answered.popleft()
