"""The broadcast sender: copies a broadcast's message to each recipient in the outbox.

It owns *how* a broadcast goes out; what goes out to whom is :class:`bot.outbox.Outbox`'s.

* **Its own Bot.** Sends go through a :class:`telegram.Bot` with its own request object and
  connection pool, never the Application's bot and never PTB's ``AIORateLimiter``: that limiter
  is one queue for every request and pauses all of them on a 429, so replies to users would
  wait behind the broadcast. Here a 429 pauses only this sender. That Bot's ``getMe`` is made
  in the background at start-up (:meth:`BroadcastSender.identify`): the bot answers users
  meanwhile, and a broadcast waits for it before its first send. If it failed, the broadcast
  tries it once more; failing again, the run ends with :class:`SenderUnavailable` before any
  row is touched, and the broadcast stays ``sending``, to go on at the next start.
* **Rate.** A token bucket paces sends at the broadcast's rate, evenly spaced on a fixed
  schedule: a send that starts late (the budget or a busy event loop held it) does not push the
  next ones back, they make up for it, :data:`CATCH_UP` seconds' worth at most: on average
  the broadcast keeps its rate, and never goes above it. Up to ``ceil(rate)`` sends are in
  flight at once so that network latency does not lower the rate. No chat gets more than one
  message per second, and one broadcast runs at a time.
* **One budget with the replies.** Telegram's limit counts every message the bot sends. Each
  send also takes a slot of the bot's :class:`~bot.telegram.budget.SendBudget`, which gives
  replies to users the first free slots: the broadcast runs at what the replies leave, however
  high its configured rate.
* **It adapts.** Telegram's real limit is not published and may be lower than the budget's.
  A 429 — the broadcast's own, or a reply's, which also holds the broadcast back a little
  longer than the reply (:meth:`hold`) — lowers the rate multiplicatively, and it probes back
  up additively (:class:`~bot.telegram.budget.AdaptiveRate`): the budget's limit, which the
  broadcast shares with the replies, or without a budget the sender's own rate.
* **Durability.** Each row is claimed (``sending``) in a committed transaction right before its
  Telegram call and marked with the outcome right after; recipients are read in keyset pages,
  so memory does not grow with the audience. After a crash, ``Outbox.recover`` turns the rows
  caught mid-send into ``unknown``; nobody is sent a second copy.
* **Errors, per recipient.** 429 → pause this sender for ``retry_after`` and retry the row;
  403 → ``blocked`` and the user becomes unreachable; 400 and other refusals → ``failed`` with
  Telegram's reason; a timeout or network error → ``unknown`` (it may have arrived).

Logs carry counts and error classes only: never message texts, never the token.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.config import Config
from bot.outbox import Broadcast, Outbox, Report
from bot.telegram.budget import AdaptiveRate, SendBudget
from bot.telegram.calls import retry_after_seconds
from bot.telegram.http import telegram_request

log = logging.getLogger(__name__)

ProgressCallback = Callable[[Report], Awaitable[None]]

DEFAULT_RATE = 25.0  # messages per second; the configured value is Config.broadcast_rate
CATCH_UP = 0.2  # seconds of sends a sender held up may make up at once: 5 at 25/s
PER_CHAT_INTERVAL = 1.0  # seconds between two messages to the same chat, at least
BATCH_SIZE = 200  # recipients read from the outbox at a time
MAX_FLOOD_RETRIES = 5  # 429s for one recipient before the row is given up as failed
STOP_GRACE = 5.0  # seconds stop() lets sends already on the wire finish before cancelling
REPLY_LEAD = 1.0  # seconds broadcasts wait beyond a reply's flood wait, so the reply goes first
FATAL_ERRORS = (InvalidToken, EndPointNotFound, Conflict)  # the bot, not the recipient, is wrong


class SenderUnavailable(Exception):
    """The sender's Bot could not make its ``getMe``: nothing was sent, the broadcast waits."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(
            f"the broadcast sender could not reach the Bot API ({type(cause).__name__})"
        )


def build_sender_bot(config: Config, *, pool_size: int | None = None) -> Bot:
    """The broadcast sender's own Bot: same token and API root, its own HTTP connection pool,
    big enough for every send in flight (``ceil(rate)``) plus a few spare connections."""
    size = pool_size or max(32, math.ceil(config.broadcast_rate) + 8)
    return Bot(
        config.token.value,
        base_url=config.base_url,
        base_file_url=config.base_file_url,
        request=telegram_request(size),
        get_updates_request=telegram_request(1),  # never used: the sender does not poll
    )


class TokenBucket:
    """Paces acquisitions at ``rate`` per second, evenly spaced, with a burst of ``capacity``.

    Each caller reserves the next slot at once (no lock: there is no ``await`` between reading
    and moving the schedule), so callers that wait together leave in order and on time.
    :meth:`pause` holds everyone, including callers already waiting for their slot.
    """

    def __init__(
        self,
        rate: float,
        capacity: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self._capacity = capacity
        self._interval = 1.0 / rate
        self._burst = max(capacity - 1.0, 0.0) * self._interval
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0  # the earliest time the next slot may start
        self._paused_until = 0.0

    def set_rate(self, rate: float) -> None:
        """Pace the next acquisitions at ``rate`` per second."""
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self._interval = 1.0 / rate
        self._burst = max(self._capacity - 1.0, 0.0) * self._interval

    async def acquire(self) -> None:
        """Wait for the next slot."""
        while True:
            now = self._clock()
            slot = max(now - self._burst, self._next, self._paused_until)
            self._next = slot + self._interval
            if slot > now:
                await self._sleep(slot - now)
            if self._clock() >= self._paused_until:
                return

    def pause(self, seconds: float) -> None:
        """Nobody acquires for ``seconds`` from now (after a 429's ``retry_after``)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)


class _PerChatSpacing:
    """At most one message per ``interval`` to one chat. Remembers only the chats messaged within
    the last interval (and those being messaged), so its size is bounded by the rate and the
    sends in flight, not by the audience."""

    def __init__(self, interval: float, clock: Callable[[], float]) -> None:
        self._interval = interval
        self._clock = clock
        self._recent: deque[tuple[float, int]] = deque()
        self._last: dict[int, float] = {}
        self._busy: set[int] = set()

    async def wait(self, chat_id: int) -> None:
        """Wait until ``chat_id`` may get a message; :meth:`done` must follow."""
        while True:
            now = self._clock()
            while self._recent and self._recent[0][0] <= now - self._interval:
                at, old = self._recent.popleft()
                if self._last.get(old) == at:
                    del self._last[old]
            last = self._last.get(chat_id)
            if chat_id in self._busy:
                await asyncio.sleep(self._interval)
            elif last is not None and now - last < self._interval:
                await asyncio.sleep(self._interval - (now - last))
            else:
                self._busy.add(chat_id)
                return

    def done(self, chat_id: int, sent: bool) -> None:
        """The send to ``chat_id`` went out now (``sent``) or did not happen."""
        self._busy.discard(chat_id)
        if sent:
            at = self._clock()
            self._last[chat_id] = at
            self._recent.append((at, chat_id))


@dataclass
class SenderStats:
    """What the sender did since it was built (for logs and benchmarks)."""

    calls: int = 0  # copyMessage requests made
    flood_waits: int = 0  # 429 answers received
    paused_seconds: float = 0.0  # total retry_after waited
    errors: dict[str, int] = field(default_factory=dict)  # error class name -> count

    def count_error(self, exc: BaseException) -> None:
        name = type(exc).__name__
        self.errors[name] = self.errors.get(name, 0) + 1


class _Run:
    """The state of one broadcast run: stops sending once cancelled, stopped or broken."""

    def __init__(self, broadcast: Broadcast) -> None:
        self.broadcast = broadcast
        self.halted = False  # cancelled by an organizer, or the sender is stopping
        self.failure: BaseException | None = None  # an error that must end the run
        self.flood_retries: dict[int, int] = {}  # only recipients that got a 429 right now
        self.on_wire: set[int] = set()  # recipients claimed ('sending') and being sent to


class BroadcastSender:
    """Sends broadcasts from the outbox through its own ``bot``; see the module docstring.

    ``bot`` must have its own request object (see :func:`build_sender_bot`); it is initialized
    here if needed (see :meth:`identify`) but never shut down here (whoever built it does
    that). ``progress_factory`` gives the progress callback for broadcasts started by
    :meth:`resume_all` and :meth:`start_due`.
    """

    def __init__(
        self,
        bot: Bot,
        outbox: Outbox,
        rate: float = DEFAULT_RATE,
        *,
        max_in_flight: int | None = None,
        batch_size: int = BATCH_SIZE,
        per_chat_interval: float = PER_CHAT_INTERVAL,
        stop_grace: float = STOP_GRACE,
        progress_factory: Callable[[Broadcast], ProgressCallback | None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        budget: SendBudget | None = None,
    ) -> None:
        self._bot = bot
        self._outbox = outbox
        self.rate = rate
        self.pace = AdaptiveRate(rate, clock=clock)
        self._budget = budget
        self._sent: deque[float] = deque()  # when the sends of the last second went out
        # A fixed schedule with bounded catch-up (see the module docstring).
        self._bucket = TokenBucket(
            rate, capacity=max(1.0, rate * CATCH_UP), clock=clock, sleep=sleep
        )
        self._spacing = _PerChatSpacing(per_chat_interval, clock)
        self.max_in_flight = max_in_flight or max(1, math.ceil(rate))
        self._batch_size = batch_size
        self._stop_grace = stop_grace
        self._progress_factory = progress_factory
        self._clock = clock
        self._one_at_a_time = asyncio.Lock()
        self._tasks: dict[int, asyncio.Task[Report]] = {}
        self._runs: set[_Run] = set()
        self._stopping = False
        self._identity: asyncio.Task[None] | None = None  # the getMe made at start-up
        self._initialize: Callable[[], Awaitable[object]] = bot.initialize
        self._identified = False  # whether a getMe succeeded
        self.stats = SenderStats()

    # -- the public surface -------------------------------------------------------------------

    async def run(
        self,
        broadcast_id: int,
        on_progress: ProgressCallback | None = None,
        progress_interval: float = 2.0,
    ) -> Report:
        """Send a broadcast that is 'sending' until no recipient is pending, it is cancelled, or
        the sender stops; mark it done if it completed. Returns the final report.

        ``on_progress`` gets the report about every ``progress_interval`` seconds and once at
        the end; its errors are logged and ignored. Another broadcast waits until this one ends.
        """
        async with self._one_at_a_time:
            broadcast = await self._outbox.get(broadcast_id)
            if broadcast is None or broadcast.status != "sending" or self._stopping:
                return await self._outbox.report(broadcast_id)
            if not await self._ready():  # the sender stopped meanwhile
                return await self._outbox.report(broadcast_id)
            state = _Run(broadcast)
            self._runs.add(state)
            ticker = None
            if on_progress is not None:
                ticker = asyncio.create_task(
                    self._tick(broadcast_id, on_progress, progress_interval),
                    name=f"broadcast-{broadcast_id}-progress",
                )
            try:
                await self._send_all(state)
            finally:
                self._runs.discard(state)
                if ticker is not None:
                    ticker.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await ticker
            if state.failure is not None:
                raise state.failure
            if not state.halted and await self._outbox.finish(broadcast_id):
                log.info("broadcast %d done", broadcast_id)
            report = await self._outbox.report(broadcast_id)
            _log_report(broadcast_id, report)
            if on_progress is not None:
                await _call_progress(broadcast_id, on_progress, report)
            return report

    def identify(self, initialize: Callable[[], Awaitable[object]] | None = None) -> None:
        """Start the Bot's ``getMe`` in the background (at start-up, so that it does not delay
        the first answer to a user). ``initialize`` makes it — e.g. the Bot's ``initialize``
        under the call guard's start-up retries; the Bot's own ``initialize`` by default. A
        failure is logged here and tried again by the next broadcast (:meth:`run`)."""
        if initialize is not None:
            self._initialize = initialize
        if self._identity is None:
            self._identity = asyncio.create_task(self._identify(), name="broadcast-sender-getme")

    async def _identify(self) -> None:
        try:
            await self._initialize()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # never an unretrieved task error: the next run tries again
            log.warning(
                "broadcast sender: getMe failed (%s); a broadcast tries it again before sending",
                type(exc).__name__,
            )
        else:
            self._identified = True

    async def _ready(self) -> bool:
        """Wait for :meth:`identify`'s ``getMe``; make it (again) if it has not succeeded.
        False if the sender is stopping; raises :class:`SenderUnavailable` when it fails."""
        if self._identity is not None:
            await asyncio.wait({self._identity})  # a run cancelled here leaves it running
        if self._stopping:
            return False
        if not self._identified:
            try:
                await self._initialize()
            except TelegramError as exc:
                raise SenderUnavailable(exc) from exc
            self._identified = True
        return True

    def launch(
        self, broadcast_id: int, on_progress: ProgressCallback | None = None
    ) -> asyncio.Task[Report]:
        """Run the broadcast in a background task (one at a time); returns the task. Launching
        a broadcast that already has a task returns that task."""
        task = self._tasks.get(broadcast_id)
        if task is not None and not task.done():
            return task
        task = asyncio.create_task(
            self.run(broadcast_id, on_progress), name=f"broadcast-{broadcast_id}"
        )
        self._tasks[broadcast_id] = task
        task.add_done_callback(self._forget_task)
        return task

    async def resume_all(self) -> list[int]:
        """At start-up: each broadcast a crash interrupted has its in-flight rows recovered as
        'unknown', then continues in the background. Returns their ids."""
        resumed = []
        for broadcast_id in await self._outbox.active():
            unknown = await self._outbox.recover(broadcast_id)
            if unknown:
                log.warning("broadcast %d: %d send(s) of unknown outcome", broadcast_id, unknown)
            self.launch(broadcast_id, await self._progress_for(broadcast_id))
            resumed.append(broadcast_id)
        return resumed

    async def start_due(self, now: int | None = None) -> list[int]:
        """Start the scheduled broadcasts that are due (from a polling job); returns their ids."""
        when = self._outbox.now() if now is None else now
        started = []
        for broadcast_id in await self._outbox.due_scheduled(when):
            if await self._outbox.start(broadcast_id):
                self.launch(broadcast_id, await self._progress_for(broadcast_id))
                started.append(broadcast_id)
        return started

    def hold(self, seconds: float) -> None:
        """Telegram told a reply to wait ``seconds``: send nothing until a little after that,
        so that the waiting replies go out before the broadcast continues, and slow down (a
        budget hears of the 429 from the call guard itself)."""
        self._bucket.pause(seconds + REPLY_LEAD)
        if self._budget is None:
            self.pace.flooded(self._sent_last_second(), seconds)

    async def stop(self) -> None:
        """Stop sending (at shutdown): no new send starts, sends on the wire get ``stop_grace``
        seconds to finish, then every task is cancelled and awaited. Pending rows stay pending,
        to continue at the next start."""
        self._stopping = True
        if self._identity is not None and not self._identity.done():
            self._identity.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._identity
        for state in self._runs:
            state.halted = True
        tasks = [task for task in self._tasks.values() if not task.done()]
        if tasks:
            _done, late = await asyncio.wait(tasks, timeout=self._stop_grace)
            for task in late:
                task.cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            for result in results:
                if isinstance(result, Exception):
                    log.warning("broadcast task ended with %s", type(result).__name__)
        self._tasks.clear()

    # -- sending ------------------------------------------------------------------------------

    async def _send_all(self, state: _Run) -> None:
        """Stream pending rows page by page to bounded concurrent sends, pass after pass: rows
        put back after a 429 are behind the page cursor and go in the next pass."""
        broadcast_id = state.broadcast.id
        slots = asyncio.Semaphore(self.max_in_flight)
        in_flight: dict[asyncio.Task[None], int] = {}

        def done(task: asyncio.Task[None]) -> None:
            in_flight.pop(task, None)
            slots.release()
            if not task.cancelled() and task.exception() is not None and state.failure is None:
                state.failure = task.exception()
                state.halted = True

        try:
            while not self._halted(state):
                after = 0
                while not self._halted(state):
                    if await self._outbox.status(broadcast_id) != "sending":
                        state.halted = True  # cancelled by an organizer
                        break
                    page = await self._outbox.next_pending(broadcast_id, after, self._batch_size)
                    if not page:
                        break
                    for user_id in page:
                        await slots.acquire()
                        if self._halted(state):
                            slots.release()
                            break
                        task = asyncio.create_task(self._deliver(state, user_id))
                        in_flight[task] = user_id
                        task.add_done_callback(done)
                    after = page[-1]
                if in_flight:
                    await asyncio.wait(list(in_flight))
                if not await self._outbox.next_pending(broadcast_id, 0, 1):
                    break
        finally:
            await self._wind_down(state, in_flight)

    async def _wind_down(self, state: _Run, in_flight: dict[asyncio.Task[None], int]) -> None:
        """Leave no task behind: sends not yet on the wire are cancelled at once; the ones on
        the wire get ``stop_grace`` seconds to learn their outcome, then are cancelled too (their
        rows stay 'sending' and become 'unknown' at the next start)."""
        if not in_flight:
            return
        for task, user_id in list(in_flight.items()):
            if user_id not in state.on_wire:
                task.cancel()
        try:
            _finished, late = await asyncio.wait(list(in_flight), timeout=self._stop_grace)
        except asyncio.CancelledError:
            late = set(in_flight)
            for task in late:
                task.cancel()
            raise
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late)

    def _halted(self, state: _Run) -> bool:
        return state.halted or self._stopping

    async def _deliver(self, state: _Run, user_id: int) -> None:
        """One recipient: wait for the rate, claim the row, send, record the outcome."""
        broadcast = state.broadcast
        await self._spacing.wait(user_id)
        sent = False
        held: SendBudget | None = None  # the budget whose slot this send holds
        try:
            self._bucket.set_rate(self.pace.current())
            await self._bucket.acquire()
            if self._halted(state):
                return
            if not await self._outbox.still_eligible(user_id):
                await self._outbox.mark(broadcast.id, user_id, "skipped", "no longer subscribed")
                return
            if self._budget is not None:
                await self._budget.take_broadcast()  # replies first: what they leave
                held = self._budget
                if self._halted(state):
                    return
            if not await self._outbox.mark_sending(broadcast.id, user_id):
                if await self._outbox.status(broadcast.id) != "sending":
                    state.halted = True  # cancelled: send nothing more
                return
            state.on_wire.add(user_id)
            sent = True
            try:
                outcome, error = await self._copy(state, user_id)
            finally:
                if held is not None:
                    held.release(sent=True)
                    held = None
            await self._outbox.mark(broadcast.id, user_id, outcome, error)
        finally:
            if held is not None:
                held.release(sent=False)  # taken, but never sent
            state.on_wire.discard(user_id)
            self._spacing.done(user_id, sent)

    async def _copy(self, state: _Run, user_id: int) -> tuple[str, str | None]:
        """Make the Telegram call; return the row's outcome and error text."""
        broadcast = state.broadcast
        self.stats.calls += 1
        self._sent.append(self._clock())
        self._sent_last_second()  # keeps only the last second
        try:
            await self._bot.copy_message(
                chat_id=user_id,
                from_chat_id=broadcast.from_chat_id,
                message_id=broadcast.message_id,
            )
        except RetryAfter as exc:
            self.stats.count_error(exc)
            return self._flooded(state, user_id, exc)
        except Forbidden as exc:
            self.stats.count_error(exc)
            return "blocked", exc.message
        except ChatMigrated as exc:
            self.stats.count_error(exc)
            return "failed", "the chat became a supergroup"
        except BadRequest as exc:  # a NetworkError subclass in PTB: caught before the next
            self.stats.count_error(exc)
            return "failed", exc.message
        except NetworkError as exc:  # TimedOut included: it may or may not have arrived
            self.stats.count_error(exc)
            return "unknown", type(exc).__name__
        except FATAL_ERRORS as exc:
            # The token or the API is wrong, not this recipient: nothing was sent; keep the row
            # for later and end the run (the broadcast stays 'sending' to resume at next start).
            self.stats.count_error(exc)
            state.failure = state.failure or exc
            state.halted = True
            log.error("broadcast %d stopped: %s", broadcast.id, type(exc).__name__)
            return "pending", None
        except TelegramError as exc:
            self.stats.count_error(exc)
            return "failed", exc.message
        except Exception as exc:  # e.g. a transport bug: the request may have gone out
            self.stats.count_error(exc)
            log.warning("broadcast %d: send ended with %s", broadcast.id, type(exc).__name__)
            return "unknown", type(exc).__name__
        state.flood_retries.pop(user_id, None)
        return "delivered", None

    def _flooded(self, state: _Run, user_id: int, exc: RetryAfter) -> tuple[str, str | None]:
        """Pause this sender for Telegram's ``retry_after`` and put the row back, a few times."""
        seconds = retry_after_seconds(exc)
        self._bucket.pause(seconds)
        if self._budget is not None:
            self._budget.flooded(seconds)
        else:
            self.pace.flooded(self._sent_last_second(), seconds)
        self.stats.flood_waits += 1
        self.stats.paused_seconds += seconds
        tries = state.flood_retries.get(user_id, 0) + 1
        if tries > MAX_FLOOD_RETRIES:
            state.flood_retries.pop(user_id, None)
            return "failed", "flood control: gave up after repeated 429 answers"
        state.flood_retries[user_id] = tries
        log.info("broadcast %d: 429, pausing %.1f s", state.broadcast.id, seconds)
        return "pending", None

    def _sent_last_second(self) -> float:
        now = self._clock()
        while self._sent and self._sent[0] <= now - 1.0:
            self._sent.popleft()
        return float(len(self._sent))

    # -- progress -----------------------------------------------------------------------------

    async def _tick(
        self, broadcast_id: int, on_progress: ProgressCallback, interval: float
    ) -> None:
        while True:
            await asyncio.sleep(interval)
            await _call_progress(broadcast_id, on_progress, await self._outbox.report(broadcast_id))

    async def _progress_for(self, broadcast_id: int) -> ProgressCallback | None:
        if self._progress_factory is None:
            return None
        broadcast = await self._outbox.get(broadcast_id)
        return self._progress_factory(broadcast) if broadcast is not None else None

    def _forget_task(self, task: asyncio.Task[Report]) -> None:
        for broadcast_id, known in list(self._tasks.items()):
            if known is task:
                del self._tasks[broadcast_id]
        if not task.cancelled() and task.exception() is not None:
            log.error("broadcast task failed: %s", type(task.exception()).__name__)


async def _call_progress(broadcast_id: int, on_progress: ProgressCallback, report: Report) -> None:
    try:
        await on_progress(report)
    except Exception as exc:  # showing progress must never stop a broadcast
        log.warning("broadcast %d: progress callback failed: %s", broadcast_id, type(exc).__name__)


def _log_report(broadcast_id: int, report: Report) -> None:
    log.info(
        "broadcast %d: total=%d delivered=%d blocked=%d failed=%d unknown=%d skipped=%d pending=%d",
        broadcast_id,
        report.total,
        report.delivered,
        report.blocked,
        report.failed,
        report.unknown,
        report.skipped,
        report.pending,
    )
