"""The call guard (bot/telegram/calls.py): which failed Bot API calls are retried, how long,
and which are never sent twice; and the watch that logs a getUpdates outage once.

The rules run on a fake clock (no real waiting); the errors are the ones python-telegram-bot
raises, checked against its real request code where it matters (a 5xx over the in-memory Bot
API, httpx errors over HTTPXRequest).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram import Bot, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import Defaults, ExtBot
from telegram.request import HTTPXRequest

from bot.content import Content
from bot.flows.menu import MAIN
from bot.telegram.calls import (
    FLOOD_PATIENCE,
    RETRY_DELAYS,
    STARTUP_PATIENCE,
    CallGuard,
    Failure,
    OutcomeUnknown,
    PollingWatch,
    classify,
)
from bot.telegram.common import Shown, answer_press, edit_text, send_text
from bot.telegram.markup import (
    Keyboard,
    as_markup,
    button,
    copy_button,
    inline_query_button,
    keyboard,
    url_button,
)
from tests.fakes.local_api import LocalBotApi, LocalRequest
from tests.harness import make_config, start_harness, stop_harness

TOKEN = "123456:TEST-calls"
HELP = "how to use this bot"


class FakeTime:
    """A clock that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class Script:
    """A Bot API call that fails with the given errors, one per attempt, then succeeds."""

    def __init__(self, *errors: TelegramError) -> None:
        self.errors = list(errors)
        self.attempts = 0

    async def __call__(self) -> str:
        self.attempts += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def server_error() -> NetworkError:
    """What python-telegram-bot raises for a 500 answer: no cause."""
    return NetworkError("Internal Server Error")


def transport_error(error: type[TelegramError], cause: Exception) -> TelegramError:
    """What python-telegram-bot raises when httpx fails: the httpx error is the cause."""
    try:
        raise error(f"httpx.{type(cause).__name__}") from cause
    except TelegramError as exc:
        return exc


def read_timeout() -> TelegramError:
    return transport_error(TimedOut, httpx.ReadTimeout("timed out"))


def refused_connection() -> TelegramError:
    return transport_error(NetworkError, httpx.ConnectError("Connection refused"))


def lost_answer() -> TelegramError:
    return transport_error(
        NetworkError, httpx.RemoteProtocolError("Server disconnected without sending a response")
    )


@pytest.fixture
def time_() -> FakeTime:
    return FakeTime()


@pytest.fixture
def guard(time_: FakeTime) -> CallGuard:
    return CallGuard(clock=time_.clock, sleep=time_.sleep)


# -- what python-telegram-bot raises, classified -----------------------------------------------


async def test_a_5xx_from_telegram_counts_as_not_sent() -> None:
    """A 500 answer reaches the guard as a NetworkError it may safely retry; a 400 as final."""
    api = LocalBotApi()
    bot = Bot(TOKEN, request=LocalRequest(api))
    api.fail_next("sendMessage", 500, "Internal Server Error")
    with pytest.raises(NetworkError) as raised:
        await bot.send_message(1, "x")
    assert classify(raised.value) is Failure.NOT_SENT
    api.fail_next("sendMessage", 400, "Bad Request: chat not found")
    with pytest.raises(BadRequest) as refused:
        await bot.send_message(1, "x")
    assert classify(refused.value) is Failure.FINAL


async def test_httpx_failures_are_told_apart() -> None:
    """No connection at all is "not sent"; a read timeout is "unknown"."""
    refused = HTTPXRequest(connect_timeout=2)
    bot = Bot(TOKEN, base_url="http://127.0.0.1:9/bot", request=refused)
    await refused.initialize()
    try:
        with pytest.raises(NetworkError) as raised:
            await bot.send_message(1, "x")
    finally:
        await refused.shutdown()
    assert classify(raised.value) is Failure.NOT_SENT
    assert classify(read_timeout()) is Failure.UNKNOWN
    assert classify(lost_answer()) is Failure.UNKNOWN
    for final in (Forbidden("blocked"), InvalidToken(), BadRequest("x")):
        assert classify(final) is Failure.FINAL


# -- 429 -----------------------------------------------------------------------------------------


async def test_flood_wait_then_the_reply(guard: CallGuard, time_: FakeTime) -> None:
    """A 429 is waited out (retry_after), then the same call goes through."""
    call = Script(RetryAfter(2), RetryAfter(3))
    assert await guard.call("sendMessage", call) == "ok"
    assert call.attempts == 3
    assert time_.slept == [2, 3]


async def test_flood_gives_up_after_thirty_seconds(
    guard: CallGuard, time_: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    """429 after 429: the call is given up once waiting more would pass 30 s, and it is logged."""
    call = Script(*(RetryAfter(7) for _ in range(10)))
    with pytest.raises(RetryAfter):
        await guard.call("sendMessage", call)
    assert sum(time_.slept) <= FLOOD_PATIENCE
    assert call.attempts == 5  # at 0, 7, 14, 21, 28 s; the next wait would end at 35 s
    assert "flood control" in caplog.text and "given up" in caplog.text


async def test_a_longer_retry_after_than_thirty_seconds_is_not_waited(
    guard: CallGuard, time_: FakeTime
) -> None:
    """Telegram asking for 45 s: the reply is given up at once, not after 45 s."""
    with pytest.raises(RetryAfter):
        await guard.call("sendMessage", Script(RetryAfter(45)))
    assert time_.slept == []


async def test_every_call_waits_while_the_bot_is_flooded(guard: CallGuard, time_: FakeTime) -> None:
    """After one call's 429, the next call waits for the flood to end before trying."""
    heard: list[float] = []
    guard.on_flood(heard.append)
    await guard.call("sendMessage", Script(RetryAfter(4)))
    time_.now -= 3  # as if the second call started 1 s after the first one's 429
    second = Script()
    assert await guard.call("editMessageText", second) == "ok"
    assert second.attempts == 1 and time_.slept == [4, 3]
    assert heard == [4], "the broadcast sender is told how long replies wait"


# -- 5xx and the network ---------------------------------------------------------------------------


async def test_server_errors_are_retried_three_times(guard: CallGuard, time_: FakeTime) -> None:
    """Two 500s then success: the answer goes out; four 500s: the error stands after 3 retries."""
    assert await guard.call("sendMessage", Script(server_error(), server_error())) == "ok"
    assert time_.slept == [0.5, 1.0]
    time_.slept.clear()
    failing = Script(*(server_error() for _ in range(4)))
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await guard.call("sendMessage", failing)
    assert failing.attempts == 4 and time_.slept == list(RETRY_DELAYS)


async def test_no_connection_is_retried(guard: CallGuard) -> None:
    """Connection refused: nothing left the machine, so even a new message is retried."""
    call = Script(refused_connection(), refused_connection())
    assert await guard.call("sendMessage", call) == "ok"
    assert call.attempts == 3


@pytest.mark.parametrize("error", [read_timeout, lost_answer], ids=["read-timeout", "lost"])
async def test_a_new_message_with_unknown_outcome_is_not_sent_twice(
    guard: CallGuard, error: Callable[[], TelegramError], caplog: pytest.LogCaptureFixture
) -> None:
    """sendMessage timed out or lost its answer: it may have arrived, so it is not repeated."""
    call = Script(error())
    with pytest.raises(OutcomeUnknown) as raised:
        await guard.call("sendMessage", call)
    assert call.attempts == 1
    assert isinstance(raised.value.__cause__, NetworkError)
    assert "not sent again" in caplog.text


@pytest.mark.parametrize("method", ["editMessageText", "answerCallbackQuery", "setMyCommands"])
async def test_repeatable_calls_are_retried_after_a_timeout(guard: CallGuard, method: str) -> None:
    """An edit, a button answer or a menu changes nothing when repeated: it is retried."""
    call = Script(read_timeout(), lost_answer())
    assert await guard.call(method, call) == "ok"
    assert call.attempts == 3


@pytest.mark.parametrize(
    "error", [BadRequest("Bad Request: chat not found"), Forbidden("blocked"), InvalidToken()]
)
async def test_refusals_are_final(guard: CallGuard, error: TelegramError) -> None:
    """400, 403 and 401: asking again cannot change the answer; tried once."""
    call = Script(error)
    with pytest.raises(type(error)):
        await guard.call("sendMessage", call)
    assert call.attempts == 1


# -- start-up ------------------------------------------------------------------------------------


async def test_start_up_calls_retry_for_about_a_minute(guard: CallGuard, time_: FakeTime) -> None:
    """getMe failing with 500s is retried with growing pauses for a minute, then given up."""
    failing = Script(*(server_error() for _ in range(100)))
    with pytest.raises(NetworkError):
        await guard.call("getMe", failing)
    assert time_.slept[:5] == [1, 2, 4, 8, 16]
    assert STARTUP_PATIENCE - 16 < sum(time_.slept) <= STARTUP_PATIENCE
    working = Script(server_error(), read_timeout(), server_error())
    assert await guard.call("deleteWebhook", working) == "ok"


async def test_a_refused_token_at_start_up_is_not_retried(guard: CallGuard) -> None:
    """401 on getMe ends at once: only a refused token stops the bot without retrying."""
    call = Script(InvalidToken())
    with pytest.raises(InvalidToken):
        await guard.call("getMe", call)
    assert call.attempts == 1


async def test_ext_bot_calls_go_through_the_guard(time_: FakeTime) -> None:
    """An ExtBot with the guard as its rate limiter: a 500 then a 429 on a reply, then the reply."""
    api = LocalBotApi()
    guard = CallGuard(clock=time_.clock, sleep=time_.sleep)
    async with ExtBot(TOKEN, request=LocalRequest(api), rate_limiter=guard) as bot:
        api.fail_next("sendMessage", 500, "Internal Server Error")
        api.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
        message = await bot.send_message(42, "the answer")
    assert message.text == "the answer"
    assert [m.text for m in api.messages(42)] == ["the answer"]
    assert time_.slept == [0.5, 3]


# -- the bot's replies (bot/telegram/common.py) ----------------------------------------------------
# send_text and edit_text make the call python-telegram-bot's send_message and edit_message_text
# make (the same parameters, the application's defaults, the keyboard as the Bot API's JSON)
# through the guard, and read only the message id from Telegram's answer.

REPLY_CHAT = 42
REPLY = "<b>The answer</b> with a <a href='https://example.org/'>link</a>"


def every_kind_of_button() -> Keyboard:
    return keyboard(
        [button("Menu", MAIN.press()), url_button("Site", "https://example.org/a?b=c")],
        [copy_button("Copy", "+1 555 0100")],
        [],
        [inline_query_button("Share")],
    )


def app_bot(api: LocalBotApi, time_: FakeTime) -> ExtBot[Any]:
    """A bot with the application's defaults and the call guard, as ``build_application``
    makes it."""
    defaults = Defaults(
        parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
    )
    guard = CallGuard(clock=time_.clock, sleep=time_.sleep)
    return ExtBot(TOKEN, request=LocalRequest(api), defaults=defaults, rate_limiter=guard)


async def test_a_reply_is_the_call_send_message_makes(time_: FakeTime) -> None:
    """The same parameters as python-telegram-bot's own ``send_message`` with the same
    keyboard as its objects; the answer gives the new message's id."""
    api = LocalBotApi()
    async with app_bot(api, time_) as bot:
        keys = every_kind_of_button()
        theirs = await bot.send_message(REPLY_CHAT, REPLY, reply_markup=as_markup(keys))
        ours = await send_text(bot, REPLY_CHAT, REPLY, keys)
        plain = await send_text(bot, REPLY_CHAT, "no buttons")
    first, second, third = api.sent
    assert second.params == first.params
    assert second.params["parse_mode"] == "HTML"
    assert second.params["link_preview_options"] == {"is_disabled": True}
    assert "reply_markup" not in third.params
    assert ours == Shown(REPLY_CHAT, theirs.message_id + 1)
    assert plain == Shown(REPLY_CHAT, theirs.message_id + 2)
    assert api.rejected == []


async def test_a_press_is_answered_as_callback_query_answer_does(time_: FakeTime) -> None:
    """The same call as python-telegram-bot's ``CallbackQuery.answer()``, through the guard:
    a 500 is retried, and the answer is made once."""
    api = LocalBotApi()
    async with app_bot(api, time_) as bot:
        message = api.call("sendMessage", {"chat_id": REPLY_CHAT, "text": "menu"})[1]["result"]
        first = Update.de_json(api.user_press(REPLY_CHAT, message["message_id"], "a"), bot)
        second = Update.de_json(api.user_press(REPLY_CHAT, message["message_id"], "b"), bot)
        assert first.callback_query is not None and second.callback_query is not None
        await first.callback_query.answer()
        api.fail_next("answerCallbackQuery", 500, "Internal Server Error")
        await answer_press(bot, second.callback_query.id)
    theirs, ours = [a for a in api.sent if a.method == "answerCallbackQuery"]
    assert ours.params == {**theirs.params, "callback_query_id": second.callback_query.id}
    assert theirs.params == {"callback_query_id": first.callback_query.id}
    assert time_.slept == [0.5]
    assert api.rejected == []


async def test_an_edit_is_the_call_edit_message_text_makes(time_: FakeTime) -> None:
    """Editing the pressed message: the same parameters as ``Message.edit_text``; without a
    keyboard, the keyboard is removed, as there."""
    api = LocalBotApi()
    keys = every_kind_of_button()
    async with app_bot(api, time_) as bot:
        first = await bot.send_message(REPLY_CHAT, "first")
        second = await bot.send_message(REPLY_CHAT, "second")
        await first.edit_text(REPLY, reply_markup=as_markup(keys))
        shown = await edit_text(bot, second, REPLY, keys)
        await edit_text(bot, first, "no buttons now")
    theirs, ours, removed = (a.params for a in api.sent if a.method == "editMessageText")
    assert ours == {**theirs, "message_id": second.message_id}
    assert shown == Shown(REPLY_CHAT, second.message_id)
    assert "reply_markup" not in removed
    first_now, second_now = api.messages(REPLY_CHAT)
    assert first_now.reply_markup is None
    assert second_now.reply_markup == keys
    assert api.rejected == []


async def test_a_reply_waits_out_a_500_and_a_429_and_is_sent_once(time_: FakeTime) -> None:
    """The call guard's rules hold for the bot's replies: a 5xx retried after half a second,
    a 429 waited out, then one message."""
    api = LocalBotApi()
    async with app_bot(api, time_) as bot:
        api.fail_next("sendMessage", 500, "Internal Server Error")
        api.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
        shown = await send_text(bot, REPLY_CHAT, "the answer", every_kind_of_button())
    assert [m.text for m in api.messages(REPLY_CHAT)] == ["the answer"]
    assert shown == Shown(REPLY_CHAT, api.messages(REPLY_CHAT)[0].message_id)
    assert time_.slept == [0.5, 3]


async def test_telegrams_refusals_reach_the_caller(time_: FakeTime) -> None:
    """A double tap's "message is not modified" and a blocked user's 403 are raised as
    python-telegram-bot raises them, for the handlers to act on."""
    api = LocalBotApi()
    keys = every_kind_of_button()
    async with app_bot(api, time_) as bot:
        message = await bot.send_message(REPLY_CHAT, REPLY, reply_markup=as_markup(keys))
        with pytest.raises(BadRequest, match="not modified"):
            await edit_text(bot, message, REPLY, keys)
        api.block_chat(REPLY_CHAT)
        with pytest.raises(Forbidden):
            await send_text(bot, REPLY_CHAT, "the answer")
    assert time_.slept == []


# -- the getUpdates watch --------------------------------------------------------------------------


class Flaky(LocalRequest):
    """The in-memory transport, failing the next calls as scripted."""

    def __init__(self, api: LocalBotApi) -> None:
        super().__init__(api)
        self.script: list[Callable[[], Awaitable[tuple[int, bytes]]]] = []

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        if self.script:
            return await self.script.pop(0)()
        return await super().do_request(*args, **kwargs)


async def test_polling_outage_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    """Five failed polls (500, 502, a dropped connection): one WARNING, then one INFO when a
    poll works again; and a later outage is reported again."""

    async def answer(status: int) -> tuple[int, bytes]:
        body = {"ok": False, "error_code": status, "description": "Bad Gateway"}
        return status, json.dumps(body).encode()

    async def dropped() -> tuple[int, bytes]:
        raise NetworkError("httpx.RemoteProtocolError: Server disconnected")

    api = LocalBotApi()
    inner = Flaky(api)
    watch = PollingWatch(inner)
    bot = Bot(TOKEN, request=LocalRequest(api), get_updates_request=watch)
    caplog.set_level(logging.INFO, logger="bot.telegram.calls")
    for outage in range(2):
        inner.script = [
            lambda: answer(500),
            lambda: answer(502),
            dropped,
            dropped,
            lambda: answer(502),
        ]
        for _ in range(5):
            with pytest.raises(TelegramError):
                await bot.get_updates(timeout=0)
        assert watch.failing
        await bot.get_updates(timeout=0)
        assert not watch.failing
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        recovered = [r for r in caplog.records if "works again" in r.getMessage()]
        assert len(warnings) == outage + 1 and len(recovered) == outage + 1
    assert "HTTP 500" in warnings[0].getMessage()
    assert "after 5 failed attempt(s)" in recovered[-1].getMessage()
    assert not any(r.exc_info for r in caplog.records), "no traceback per attempt"


# -- the whole bot ---------------------------------------------------------------------------------


async def test_twenty_users_at_twice_the_flood_limit_are_all_answered(
    tmp_path: Path, content: Content
) -> None:
    """20 users ask at once while Telegram allows 10 messages a second: all 20 get the answer
    (the other 10 after the flood wait), and nobody gets an apology."""
    api = LocalBotApi(flood_limit=10)
    bot = await start_harness(make_config(tmp_path), content, api)
    try:
        users = range(9000, 9020)
        updates = [api.user_message(uid, "/help") for uid in users]
        await asyncio.gather(*(bot.feed(update) for update in updates))
        for uid in users:
            assert [HELP in (m.text or "") for m in api.messages(uid)] == [True], uid
        assert api.flooded >= 1, "the flood limit was hit"
    finally:
        await stop_harness(bot)
