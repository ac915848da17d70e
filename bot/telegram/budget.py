"""One send budget for the whole bot: Telegram's limit counts every message a bot sends.

Telegram lets a bot send about 30 messages a second, replies and broadcasts together; more,
and it answers 429 to everything for a while. :class:`SendBudget` keeps count of the messages
the bot sent within the last second, whatever sent them, and gives out the room left:

* **Replies first.** A reply (every sending call of the Application's bot, through the call
  guard) takes a slot at once if one is free, else waits for the next one — at the limit that
  is a few tens of milliseconds, never a 429's second or more. While a reply waits, no
  broadcast send takes a slot.
* **The broadcast gets what is left.** Each broadcast send waits for a free slot no reply is
  waiting for, so the broadcast runs at the limit less the replies of that moment.
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
        self.capacity = max(1, int(limit * window))  # sends within one window
        self._window = window
        self._clock = clock
        self._sleep = sleep
        self._answered: deque[float] = deque()  # when each send of the window was answered
        self._in_flight = 0  # slots taken, their sends not answered yet
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
        self.stats.broadcast += 1

    def release(self, sent: bool) -> None:
        """The broadcast send holding a slot was answered (``sent``), or never made."""
        self._release(sent)

    def in_use(self) -> int:
        """Slots taken now: sends in flight, and those answered within the last window."""
        self._expire(self._clock())
        return self._in_flight + len(self._answered)

    # -- internals -------------------------------------------------------------------------

    def _room(self, reply: bool) -> bool:
        if not reply and self._replies_waiting:
            return False
        return self.in_use() < self.capacity

    async def _wait_for_room(self, reply: bool) -> None:
        while not self._room(reply):
            if self.in_use() >= self.capacity and self._answered:
                # The oldest answered send leaves the window then: a slot frees.
                await self._sleep(self._answered[0] + self._window - self._clock())
            else:
                # Every slot is in flight (an answer will start its second), or a reply is
                # waiting (it will take the slot first): wait until something changes.
                self._changed.clear()
                await self._changed.wait()

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
