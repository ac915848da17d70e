"""How the bot's Bot API calls are made: the one layer every call of the Application's bot goes
through (replies, edits, button answers, start-up calls; everything but ``getUpdates``), and a
watch on ``getUpdates`` itself.

python-telegram-bot hands every call of an ``ExtBot`` to its rate limiter; :class:`CallGuard` is
that limiter, set in the composition root. It never throttles; it decides what happens when a
call fails:

* **429 Too Many Requests** is a definite non-delivery. The whole bot is flooded, not one chat,
  so every call waits until Telegram's ``retry_after`` is over, then tries again, for at most
  :data:`FLOOD_PATIENCE` seconds from its first attempt; then it is given up and logged. The
  flood listeners (the broadcast sender) are told, so that broadcasts hold back a little longer
  and the waiting replies go first.
* **5xx, connection refused, connection pool full** are definite non-deliveries too: retried
  after 0.5, 1 and 2 seconds, then the error stands (the user gets the apology).
* **A timeout, or a connection lost once the request was sent** leaves the outcome unknown:
  Telegram may have delivered it. A call that changes nothing when repeated (an edit, the
  answer to a button, the menus, ``getMe``) is retried like the above. A new message is not:
  sending it again could show it twice. It becomes :class:`OutcomeUnknown`, which the error
  handler logs without apologizing, so the user sees the answer if it arrived, or nothing —
  never an apology followed by the answer. (They can ask again.)
* **Start-up calls** (``getMe``, ``deleteWebhook``, ``setWebhook``) retry with a growing pause
  for about a minute (:data:`STARTUP_PATIENCE`).
* Anything else — 400, 403, a refused token (401), 409 — is final: asking again cannot change
  Telegram's answer.

Before each call, the hooks given to :meth:`CallGuard.before_each_call` run: the update's
pending database writes are committed there, so that what the user is told is saved first.
Every interactive send passes here, and takes its slot in the bot's send budget
(:class:`~bot.telegram.budget.SendBudget`, shared with broadcasts, replies first) for each
attempt: at Telegram's limit a reply waits for the next free slot instead of meeting a 429.
Logs name the method and the error class (and Telegram's description of a 5xx), never a
message text.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import logging
import time
import warnings
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar

import httpx
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
    TimedOut,
)
from telegram.ext import BaseRateLimiter
from telegram.request import BaseRequest, RequestData
from telegram.warnings import PTBDeprecationWarning

from bot.telegram.budget import SENDING_METHODS, SendBudget
from bot.telegram.incoming import lighten_updates

log = logging.getLogger(__name__)

T = TypeVar("T")
JsonDict = dict[str, Any]  # a Bot API result object, as python-telegram-bot passes it
FloodListener = Callable[[float], None]
CallHook = Callable[[], Awaitable[None]]

FLOOD_PATIENCE = 30.0  # seconds a call may spend waiting out 429s before it is given up
RETRY_DELAYS = (0.5, 1.0, 2.0)  # pauses before the retries of a call that was not delivered
STARTUP_PATIENCE = 60.0  # seconds a start-up call keeps retrying
STARTUP_DELAYS = (1.0, 2.0, 4.0, 8.0, 16.0)  # then 16 s between attempts until the minute is up
STARTUP_METHODS = frozenset({"getMe", "deleteWebhook", "setWebhook"})

# Calls that change nothing when made twice: safe to repeat when the first one's outcome is
# unknown. A new message (sendMessage, copyMessage, sendPhoto, ...) is not among them.
REPEATABLE = frozenset(
    {
        "getMe",
        "getFile",
        "getWebhookInfo",
        "getMyCommands",
        "deleteWebhook",
        "setWebhook",
        "setMyCommands",
        "deleteMyCommands",
        "setMyDescription",
        "setMyShortDescription",
        "setChatMenuButton",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
        "answerCallbackQuery",
        "answerInlineQuery",
        "sendChatAction",
    }
)
# Telegram answered, and its answer will not change by asking again.
_FINAL = (BadRequest, Forbidden, InvalidToken, Conflict, ChatMigrated, EndPointNotFound)
# The request never left: no connection, or no free connection in the pool.
_NOT_SENT_CAUSES = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class OutcomeUnknown(NetworkError):
    """A new message may or may not have reached Telegram, so it was not sent again."""

    def __init__(self, method: str, cause: TelegramError) -> None:
        super().__init__(f"{method}: no answer from Telegram ({type(cause).__name__})")
        self.method = method


class Failure(Enum):
    """What a failed call means for a retry."""

    FINAL = "final"  # Telegram refused it: the same call gets the same answer
    NOT_SENT = "not sent"  # certainly not delivered (a 5xx, no connection): safe to retry
    UNKNOWN = "unknown"  # sent, but no answer came back: it may have been delivered


def classify(exc: TelegramError) -> Failure:
    """How sure it is that a failed call had no effect (see the module docstring).

    python-telegram-bot raises a bare ``NetworkError`` for a 5xx answer (no cause, or the
    parsing error of a non-JSON error page) and chains the transport's exception otherwise.
    """
    if isinstance(exc, _FINAL):
        return Failure.FINAL
    if not isinstance(exc, NetworkError):
        return Failure.FINAL
    cause = exc.__cause__
    if isinstance(cause, _NOT_SENT_CAUSES):
        return Failure.NOT_SENT
    if isinstance(exc, TimedOut):
        return Failure.UNKNOWN
    if cause is None or isinstance(cause, TelegramError):
        return Failure.NOT_SENT  # Telegram (or a proxy in front of it) answered with an error
    return Failure.UNKNOWN


def retry_after_seconds(exc: RetryAfter) -> float:
    """``retry_after`` in seconds, whether PTB gives an int or a timedelta (PTB_TIMEDELTA)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    if isinstance(value, dtm.timedelta):
        return max(value.total_seconds(), 0.0)
    return max(float(value), 0.0)


@dataclass(frozen=True)
class _Policy:
    patience: float  # seconds from the first attempt after which nothing more is tried
    delays: tuple[float, ...]  # pauses before each retry of an undelivered call
    repeat_last_delay: bool  # keep retrying at the last pause until patience runs out

    def delay(self, retries: int) -> float | None:
        if retries < len(self.delays):
            return self.delays[retries]
        return self.delays[-1] if self.repeat_last_delay else None


SERVING = _Policy(FLOOD_PATIENCE, RETRY_DELAYS, repeat_last_delay=False)
STARTUP = _Policy(STARTUP_PATIENCE, STARTUP_DELAYS, repeat_last_delay=True)


class CallGuard(BaseRateLimiter[None]):
    """Retries the Application's Bot API calls as the module docstring says.

    ``clock`` and ``sleep`` are replaceable for tests. :meth:`call` runs any call under the same
    rules (e.g. the broadcast sender's own ``getMe`` at start-up). ``retries=False`` makes each
    call once, as python-telegram-bot does by default (a benchmark's baseline); the hooks still
    run. Sends take slots of ``budget`` when there is one.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        *,
        retries: bool = True,
        budget: SendBudget | None = None,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._retries = retries
        self.budget = budget
        self._flooded_until = 0.0
        self._listeners: list[FloodListener] = []
        self._before: list[CallHook] = []

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    def on_flood(self, listener: FloodListener) -> None:
        """Call ``listener(seconds)`` whenever Telegram tells the bot to wait ``seconds``."""
        self._listeners.append(listener)

    def before_each_call(self, hook: CallHook) -> None:
        """Await ``hook()`` before each call (before its first attempt); what it raises is
        raised by the call, which is then not made."""
        self._before.append(hook)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JsonDict | list[JsonDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | JsonDict | list[JsonDict]:
        """Make the call through :meth:`call`."""
        return await self.call(endpoint, lambda: callback(*args, **kwargs))

    async def call(self, method: str, attempt: Callable[[], Awaitable[T]]) -> T:
        """Run ``attempt`` (one Bot API call named ``method``) until it succeeds, or until the
        rules give it up; then its last error is raised (:class:`OutcomeUnknown` for a new
        message that may have arrived)."""
        for hook in self._before:
            await hook()
        if self.budget is not None and method in SENDING_METHODS:
            attempt = self._budgeted(attempt, self.budget)
        if not self._retries:
            return await attempt()
        policy = STARTUP if method in STARTUP_METHODS else SERVING
        first = self._clock()
        retries = 0
        while True:
            await self._wait_out_flood(method, first, policy)
            try:
                return await attempt()
            except RetryAfter as exc:
                # Never a busy loop, whatever Telegram says: wait at least the first pause.
                self._flooded(max(retry_after_seconds(exc), RETRY_DELAYS[0]))
                continue  # the wait, or giving up, happens at the top of the loop
            except TelegramError as exc:
                failure = classify(exc)
                if failure is Failure.FINAL:
                    raise
                if failure is Failure.UNKNOWN and method not in REPEATABLE:
                    log.warning(
                        "%s: no answer from Telegram (%s); not sent again, it may have arrived",
                        method,
                        type(exc).__name__,
                    )
                    raise OutcomeUnknown(method, exc) from exc
                delay = policy.delay(retries)
                if delay is None or self._clock() + delay - first > policy.patience:
                    log.warning(
                        "%s failed %d time(s), given up: %s", method, retries + 1, _reason(exc)
                    )
                    raise
                retries += 1
                log.info("%s failed (%s); retry %d in %.1f s", method, _reason(exc), retries, delay)
                await self._sleep(delay)

    @staticmethod
    def _budgeted(
        attempt: Callable[[], Awaitable[T]], budget: SendBudget
    ) -> Callable[[], Awaitable[T]]:
        """``attempt``, each time holding a slot of the send budget."""

        async def budgeted() -> T:
            async with budget.reply():
                return await attempt()

        return budgeted

    def _flooded(self, seconds: float) -> None:
        self._flooded_until = max(self._flooded_until, self._clock() + seconds)
        for listener in self._listeners:
            listener(seconds)

    async def _wait_out_flood(self, method: str, first: float, policy: _Policy) -> None:
        """Wait while Telegram's flood control is on; give up past the call's patience."""
        while (wait := self._flooded_until - self._clock()) > 0:
            if self._clock() + wait - first > policy.patience:
                log.warning(
                    "%s: Telegram's flood control would hold it past %.0f s; given up",
                    method,
                    policy.patience,
                )
                raise RetryAfter(max(1, round(wait)))
            await self._sleep(wait)


def _reason(exc: TelegramError) -> str:
    """The error class, and Telegram's description of a 5xx (it never contains user text)."""
    if classify(exc) is Failure.NOT_SENT and exc.__cause__ is None:
        return f"{type(exc).__name__}: {exc.message}"
    return type(exc).__name__


class PollingWatch(BaseRequest):
    """The ``getUpdates`` transport, watched: python-telegram-bot retries a failed poll by
    itself and reports every attempt; here an outage is logged once, at WARNING, when the first
    poll fails, and its end once, at INFO, when a poll works again."""

    __slots__ = ("_clock", "_down_since", "_failures", "_inner")

    def __init__(self, inner: BaseRequest, clock: Callable[[], float] = time.monotonic) -> None:
        self._inner = inner
        self._clock = clock
        self._down_since: float | None = None
        self._failures = 0

    @property
    def read_timeout(self) -> float | None:
        return self._inner.read_timeout

    @property
    def failing(self) -> bool:
        """Whether the last poll failed."""
        return self._down_since is not None

    async def initialize(self) -> None:
        await self._inner.initialize()

    async def shutdown(self) -> None:
        await self._inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        try:
            status, payload = await self._inner.do_request(
                url,
                method,
                request_data,
                read_timeout=read_timeout,
                write_timeout=write_timeout,
                connect_timeout=connect_timeout,
                pool_timeout=pool_timeout,
            )
        except Exception as exc:
            self._failed(type(exc).__name__)
            raise
        if 200 <= status < 300:
            self._worked()
        else:
            self._failed(_http_reason(status, payload))
        return status, payload

    def parse_json_payload(self, payload: bytes) -> dict[str, Any]:  # type: ignore[override]
        """Telegram's answer, with each update :func:`~bot.telegram.incoming.lighten`-ed.

        Unlike python-telegram-bot's, which logs the whole body, an answer that is not JSON is
        logged by its size only: a body of updates holds what users wrote."""
        try:
            data = json.loads(payload.decode("utf-8", "replace"))
        except ValueError as exc:
            log.error("Telegram's answer to getUpdates is not JSON (%d bytes)", len(payload))
            raise TelegramError("Invalid server response") from exc
        return lighten_updates(data) if isinstance(data, dict) else data

    def _failed(self, reason: str) -> None:
        self._failures += 1
        if self._down_since is None:
            self._down_since = self._clock()
            log.warning(
                "getting updates from Telegram failed (%s); retrying until it works", reason
            )

    def _worked(self) -> None:
        if self._down_since is None:
            return
        log.info(
            "getting updates works again, after %d failed attempt(s) over %.0f s",
            self._failures,
            self._clock() - self._down_since,
        )
        self._down_since = None
        self._failures = 0


def _http_reason(status: int, payload: bytes) -> str:
    """``HTTP 502: Bad Gateway``: the status and Telegram's description, if it sent one."""
    try:
        description = json.loads(payload.decode("utf-8", "replace")).get("description")
    except (ValueError, AttributeError):
        description = None
    return f"HTTP {status}: {description}" if isinstance(description, str) else f"HTTP {status}"
