"""The fake Bot API HTTP server (tests/fakes/botapi_server.py), driven by a real telegram.Bot."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden

from tests.fakes.botapi_server import FakeBotApiServer

TOKEN = "123:abc"
CHAT = 1001


@pytest.fixture
async def bot(server: FakeBotApiServer) -> AsyncIterator[Bot]:
    client = Bot(TOKEN, base_url=server.url + "/bot", base_file_url=server.url + "/file/bot")
    async with client:
        yield client


def raw_request(
    server: FakeBotApiServer, path: str, body: bytes | None = None, content_type: str = ""
) -> tuple[int, dict[str, Any]]:
    """One plain HTTP request to the fake (always 127.0.0.1), decoded as JSON."""
    request = urllib.request.Request(server.url + path, data=body)  # noqa: S310 - local URL
    if content_type:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - local URL
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_server_listens_on_localhost_only(server: FakeBotApiServer) -> None:
    """The server binds 127.0.0.1 on an ephemeral port."""
    parsed = urllib.parse.urlsplit(server.url)
    assert parsed.hostname == "127.0.0.1" and parsed.port and parsed.port > 0


async def test_get_me_over_http(server: FakeBotApiServer, bot: Bot) -> None:
    """get_me works over HTTP and the token used is recorded."""
    me = await bot.get_me()
    assert me.username == "outreach_test_bot"
    assert server.token_seen == {TOKEN}
    assert "getMe" in server.calls


async def test_send_message_with_keyboard_over_http(server: FakeBotApiServer, bot: Bot) -> None:
    """A form-encoded send_message arrives decoded: integer chat id, keyboard as an object."""
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Sí ✅", callback_data="yes")]])
    message = await bot.send_message(CHAT, "<b>123</b>", parse_mode="HTML", reply_markup=keyboard)
    assert message.text == "123" and message.reply_markup == keyboard
    action = server.api.sent[-1]
    assert action.chat_id == CHAT and action.text == "<b>123</b>"
    assert action.reply_markup == keyboard.to_dict()
    assert server.wait_for_message(CHAT, "123").message_id == message.message_id


async def test_refusals_over_http(server: FakeBotApiServer, bot: Bot) -> None:
    """Invalid messages raise BadRequest and blocked chats raise Forbidden over HTTP."""
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(CHAT, "<b>unclosed", parse_mode="HTML")
    server.api.block_chat(CHAT)
    with pytest.raises(Forbidden):
        await bot.send_message(CHAT, "hello")


async def test_get_updates_long_polls(server: FakeBotApiServer, bot: Bot) -> None:
    """get_updates holds the request open until another thread queues an update."""
    timer = threading.Timer(0.3, lambda: server.api.user_message(CHAT, "hello"))
    timer.start()
    started = time.monotonic()
    updates = await bot.get_updates(timeout=5)
    elapsed = time.monotonic() - started
    timer.join()
    assert [u.message.text for u in updates if u.message] == ["hello"]
    assert 0.2 < elapsed < 4


async def test_get_updates_times_out_empty(server: FakeBotApiServer, bot: Bot) -> None:
    """With nothing to deliver, get_updates answers an empty list after its timeout."""
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert time.monotonic() - started >= 0.9


async def test_send_photo_multipart(server: FakeBotApiServer, bot: Bot) -> None:
    """send_photo with bytes is a multipart upload; the bytes arrive and can be downloaded."""
    message = await bot.send_photo(CHAT, b"\x89PNG fake", caption="Facts ✅")
    assert message.caption == "Facts ✅"
    assert server.api.sent[-1].params["photo"] == b"\x89PNG fake"
    file = await bot.get_file(message.photo[-1].file_id)
    assert bytes(await file.download_as_bytearray()) == b"\x89PNG fake"
    assert server.token_seen == {TOKEN}


def test_json_form_and_query_bodies(server: FakeBotApiServer) -> None:
    """JSON bodies, form bodies and GET query strings are all accepted."""
    markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    as_json = json.dumps({"chat_id": CHAT, "text": "json", "reply_markup": markup}).encode()
    status, body = raw_request(server, f"/bot{TOKEN}/sendMessage", as_json, "application/json")
    assert status == 200 and body["result"]["reply_markup"] == markup
    form = urllib.parse.urlencode(
        {"chat_id": str(CHAT), "text": "7", "reply_markup": json.dumps(markup)}
    ).encode()
    status, body = raw_request(
        server, f"/bot{TOKEN}/sendMessage", form, "application/x-www-form-urlencoded"
    )
    assert status == 200 and body["result"]["text"] == "7"
    status, body = raw_request(server, f"/bot{TOKEN}/sendMessage?chat_id={CHAT}&text=query")
    assert status == 200 and body["result"]["text"] == "query"
    assert [m.text for m in server.api.messages(CHAT)] == ["json", "7", "query"]


def test_unknown_paths_and_wrong_tokens(server: FakeBotApiServer) -> None:
    """Unknown paths and methods answer 404; any token works but is recorded."""
    assert raw_request(server, "/nothing")[0] == 404
    assert raw_request(server, f"/bot{TOKEN}/sendTelepathy")[0] == 404
    assert raw_request(server, "/botWRONG/getMe")[0] == 200
    assert "WRONG" in server.token_seen


def test_wait_for_explains_a_timeout(server: FakeBotApiServer) -> None:
    """wait_for fails with an AssertionError that shows what the bot sent."""
    server.api.call("sendMessage", {"chat_id": CHAT, "text": "something else"})
    with pytest.raises(AssertionError, match="something else"):
        server.wait_for_message(CHAT, "never sent", timeout=0.2)


def test_wait_for_returns_once_true(server: FakeBotApiServer) -> None:
    """wait_for returns as soon as the predicate holds."""
    send = threading.Timer(
        0.1, lambda: server.api.call("sendMessage", {"chat_id": CHAT, "text": "later"})
    )
    send.start()
    server.wait_for(lambda api: api.last_message(CHAT) is not None, timeout=5)
    send.join()
