"""Reading updates: a pressed message's keyboard, sender and formatting other than quotations are
left out, everything the bot reads is kept, by polling as by the bot's own parse; an answer that is
not JSON is logged without its body."""

from __future__ import annotations

import copy
import logging

import pytest
from telegram import Bot, Message, Update
from telegram.error import TelegramError

from bot.telegram.calls import PollingWatch
from bot.telegram.incoming import lighten, lighten_updates, read_update
from tests.fakes.local_api import LocalBotApi, LocalRequest

TOKEN = "123456:TEST-incoming"
CHAT = 501
KEYBOARD = {
    "inline_keyboard": [
        [{"text": "Yes", "callback_data": "yes"}, {"text": "No", "callback_data": "no"}],
        [{"text": "Sources", "url": "https://example.org/report.pdf"}],
    ]
}


def bot_message(api: LocalBotApi) -> int:
    """The bot's message with a formatted text and a keyboard; its id."""
    params = {
        "chat_id": CHAT,
        "text": "<b>Your story</b>\n<blockquote>I was stopped</blockquote>",
        "parse_mode": "HTML",
        "reply_markup": KEYBOARD,
    }
    status, body = api.call("sendMessage", params)
    assert status == 200
    message_id: int = body["result"]["message_id"]
    return message_id


def test_a_pressed_messages_keyboard_is_left_out_and_the_rest_kept() -> None:
    api = LocalBotApi()
    press = api.user_press(CHAT, bot_message(api), "yes")
    before = copy.deepcopy(press)
    full = Update.de_json(press, None).callback_query
    read = read_update(press, None).callback_query
    assert press == before, "the update given is not changed"
    assert full is not None and isinstance(full.message, Message)
    assert full.message.reply_markup is not None  # what python-telegram-bot alone would parse
    assert read is not None and isinstance(read.message, Message)
    assert read.message.reply_markup is None
    assert full.message.from_user is not None and full.message.from_user.is_bot
    assert read.message.from_user is None  # the bot itself: never read
    assert read.data == "yes" and read.from_user.id == CHAT
    assert read.message.message_id == full.message.message_id
    assert read.message.text == full.message.text == "Your story\nI was stopped"
    assert [e.type for e in full.message.entities] == ["bold", "blockquote"]
    assert read.message.entities == full.message.entities[1:]  # the quotation only
    assert read.message.parse_entities() == {full.message.entities[1]: "I was stopped"}


def test_a_pressed_messages_formatting_without_quotations_is_left_out() -> None:
    api = LocalBotApi()
    params = {"chat_id": CHAT, "text": "<b>Facts</b> <i>and</i> <a href='https://e.org'>a</a>"}
    status, body = api.call("sendMessage", {**params, "parse_mode": "HTML"})
    assert status == 200 and len(body["result"]["entities"]) == 3
    press = api.user_press(CHAT, body["result"]["message_id"], "yes")
    read = read_update(press, None).callback_query
    assert read is not None and isinstance(read.message, Message)
    assert read.message.text == "Facts and a" and read.message.entities == ()
    assert "entities" in press["callback_query"]["message"], "the update given is not changed"


def test_updates_without_a_pressed_keyboard_are_read_as_they_are() -> None:
    api = LocalBotApi()
    updates = [
        api.user_message(CHAT, "/start"),
        api.user_press(CHAT, 77, "yes"),  # an inaccessible message: nothing to leave out
        api.inline_query(CHAT, "facts"),
        {"update_id": 9, "callback_query": "not an object"},
    ]
    for update in updates:
        assert lighten(update) is update
    assert read_update(updates[0], None).to_dict() == Update.de_json(updates[0], None).to_dict()


def test_only_a_successful_list_of_updates_is_lightened() -> None:
    api = LocalBotApi()
    press = api.user_press(CHAT, bot_message(api), "no")
    answer = {"ok": True, "result": [press, 5]}
    lightened = lighten_updates(answer)
    assert "reply_markup" not in lightened["result"][0]["callback_query"]["message"]
    assert lightened["result"][1] == 5
    assert "reply_markup" in answer["result"][0]["callback_query"]["message"]
    refused = {"ok": False, "error_code": 409, "description": "Conflict"}
    assert lighten_updates(refused) is refused
    assert lighten_updates({"ok": True, "result": True}) == {"ok": True, "result": True}


async def test_polled_presses_arrive_without_their_keyboard() -> None:
    api = LocalBotApi()
    message_id = bot_message(api)
    api.user_press(CHAT, message_id, "yes")
    api.user_message(CHAT, "hello")
    bot = Bot(TOKEN, request=LocalRequest(api), get_updates_request=PollingWatch(LocalRequest(api)))
    async with bot:
        press, text = await bot.get_updates(timeout=0)
    assert press.callback_query is not None and isinstance(press.callback_query.message, Message)
    assert press.callback_query.message.message_id == message_id
    assert press.callback_query.message.reply_markup is None
    assert press.callback_query.message.text == "Your story\nI was stopped"
    assert text.message is not None and text.message.text == "hello"


def test_an_answer_that_is_not_json_is_logged_by_its_size(
    caplog: pytest.LogCaptureFixture,
) -> None:
    watch = PollingWatch(LocalRequest(LocalBotApi()))
    body = b'{"ok": true, "result": [{"message": {"text": "my address is'
    with caplog.at_level(logging.DEBUG), pytest.raises(TelegramError):
        watch.parse_json_payload(body)
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert f"({len(body)} bytes)" in logged
    assert "my address" not in logged
