"""The in-memory Bot API (LocalBotApi) and its python-telegram-bot transport (LocalRequest)."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import BadRequest, Forbidden, RetryAfter

from bot.telegram_html import parse_html
from tests.fakes import local_api
from tests.fakes.local_api import (
    BLOCKED,
    NOT_MODIFIED,
    LocalBotApi,
    LocalRequest,
    Upload,
    normalize_params,
)

CHAT = 1001
KEYBOARD = {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]}


@pytest.fixture
def api() -> LocalBotApi:
    return LocalBotApi()


@pytest.fixture
def bot(api: LocalBotApi) -> Bot:
    return Bot(token="123:abc", request=LocalRequest(api), get_updates_request=LocalRequest(api))


def send(api: LocalBotApi, text: str = "hello", **params: Any) -> tuple[int, dict[str, Any]]:
    return api.call("sendMessage", {"chat_id": CHAT, "text": text, **params})


def refusal(result: tuple[int, dict[str, Any]]) -> str:
    status, body = result
    assert status == 400 and body["ok"] is False and body["error_code"] == 400, body
    return str(body["description"])


def button(**fields: Any) -> dict[str, Any]:
    return {"inline_keyboard": [[{"text": "Go", **fields}]]}


# --- messages ---------------------------------------------------------------------------------


def test_valid_message_returns_full_message_json(api: LocalBotApi, bot: Bot) -> None:
    """sendMessage answers a Message that PTB parses, with keyboard and entities."""
    status, body = send(api, "<b>Hi</b> there", parse_mode="HTML", reply_markup=KEYBOARD)
    assert status == 200 and body["ok"] is True
    message = Message.de_json(body["result"], bot)
    assert message.message_id == 1
    assert message.chat.id == CHAT and message.chat.type == "private"
    assert message.from_user is not None and message.from_user.id == api.bot_user["id"]
    assert message.text == "Hi there"
    assert message.text_html == "<b>Hi</b> there"
    assert message.reply_markup is not None
    assert message.reply_markup.inline_keyboard[0][0].callback_data == "yes"
    assert api.rejected == []


def test_message_ids_count_per_chat(api: LocalBotApi) -> None:
    """Message ids start at 1 in every chat and are shared with the user's messages."""
    assert send(api)[1]["result"]["message_id"] == 1
    assert send(api)[1]["result"]["message_id"] == 2
    assert api.call("sendMessage", {"chat_id": 7, "text": "x"})[1]["result"]["message_id"] == 1
    assert api.user_message(CHAT, "hi")["message"]["message_id"] == 3


@pytest.mark.parametrize("text", ["", "   \n ", "<b></b>"])
def test_empty_text_is_refused(api: LocalBotApi, text: str) -> None:
    """Text that is empty after entity parsing is refused."""
    assert refusal(send(api, text, parse_mode="HTML")) == "Bad Request: message text is empty"


def test_text_length_limit_counts_utf16_after_parsing(api: LocalBotApi) -> None:
    """The 4096 limit applies to the visible text in UTF-16 units."""
    assert send(api, "a" * 4096)[0] == 200
    assert send(api, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")[0] == 200
    assert send(api, "😀" * 2048)[0] == 200
    assert refusal(send(api, "a" * 4097)) == "Bad Request: message is too long"
    assert refusal(send(api, "😀" * 2049)) == "Bad Request: message is too long"


def test_invalid_html_is_refused_only_in_html_mode(api: LocalBotApi) -> None:
    """Malformed HTML is refused with parse_mode HTML and plain text without it."""
    description = refusal(send(api, "x <div>", parse_mode="HTML"))
    assert description == (
        'Bad Request: can\'t parse entities: Unsupported start tag "div" at byte offset 2'
    )
    assert send(api, "x <div>")[0] == 200


def test_each_distinct_html_text_is_parsed_once(
    api: LocalBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A text sent again gets the verdict it got the first time without being parsed again
    (refused with the same description, or the same entities, each message its own copy);
    every new text is parsed."""
    parsed: list[str] = []

    def counting_parse_html(text: str) -> Any:
        parsed.append(text)
        return parse_html(text)

    monkeypatch.setattr(local_api, "parse_html", counting_parse_html)
    local_api._html_verdict.cache_clear()
    refused = [refusal(send(api, "once <div>", parse_mode="HTML")) for _ in range(3)]
    assert refused == [refused[0]] * 3 and "Unsupported start tag" in refused[0]
    for _ in range(3):
        send(api, "<b>Once</b> <i>more</i>", parse_mode="HTML")
        send(api, "<b>Once</b> <i>again</i>", parse_mode="HTML")
    assert parsed == ["once <div>", "<b>Once</b> <i>more</i>", "<b>Once</b> <i>again</i>"]
    stored = [m for m in api.messages(CHAT) if m.text == "<b>Once</b> <i>more</i>"]
    assert len(stored) == 3
    assert [m.json["entities"] for m in stored] == [
        [{"type": "bold", "offset": 0, "length": 4}, {"type": "italic", "offset": 5, "length": 4}]
    ] * 3
    stored[0].json["entities"][0]["length"] = 99
    assert stored[1].json["entities"][0]["length"] == 4


def test_each_distinct_keyboard_is_checked_once(
    api: LocalBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A keyboard sent again gets the verdict it got the first time without being checked
    again; one that differs in any value, or only in a value's type, is checked anew."""
    checked: list[Any] = []
    check_button = local_api._check_inline_button

    def counting_check(button: Any) -> None:
        checked.append(button)
        check_button(button)

    monkeypatch.setattr(local_api, "_check_inline_button", counting_check)
    local_api._inline_keyboard_verdict.cache_clear()
    bad = button(callback_data="x" * 65)
    refused = [refusal(send(api, "hi", reply_markup=bad)) for _ in range(3)]
    assert refused == [refused[0]] * 3 and "BUTTON_DATA_INVALID" in refused[0]
    for _ in range(3):
        assert send(api, "hi", reply_markup=KEYBOARD)[0] == 200
    assert len(checked) == 2
    as_number = {"inline_keyboard": [[{"text": 1, "callback_data": "yes"}]]}
    assert "must be of type String" in refusal(send(api, "hi", reply_markup=as_number))
    assert len(checked) == 3
    with_true = {"inline_keyboard": [[{"text": "Go", "url": "https://x.org", "pay": True}]]}
    with_one = {"inline_keyboard": [[{"text": "Go", "url": "https://x.org", "pay": 1}]]}
    first, second = (send(api, "hi", reply_markup=m) for m in (with_true, with_one))
    assert len(checked) == 5 and first[0] == second[0]


def test_caption_limit(api: LocalBotApi) -> None:
    """Captions are limited to 1024 characters."""
    params = {"chat_id": CHAT, "photo": "some-file-id"}
    assert api.call("sendPhoto", {**params, "caption": "c" * 1024})[0] == 200
    assert refusal(api.call("sendPhoto", {**params, "caption": "c" * 1025})) == (
        "Bad Request: message caption is too long"
    )


def test_without_copies_every_call_is_checked_and_answered_alike() -> None:
    """copies=False shares rather than copies, and answers exactly as with copies."""
    answers = []
    for copies in (True, False):
        api = LocalBotApi(copies=copies)
        sent = send(api, "<b>Hi</b>", parse_mode="HTML", reply_markup=KEYBOARD)
        refused = send(api, "x", reply_markup=button(callback_data="x" * 65))
        message_id = sent[1]["result"]["message_id"]
        edited = api.call(
            "editMessageText",
            {"chat_id": CHAT, "message_id": message_id, "text": "Bye", "reply_markup": KEYBOARD},
        )
        press = api.user_press(CHAT, message_id, "yes")
        typed = api.user_message(CHAT, "hello")
        for update in (press, typed):
            update.pop("update_id")
            update.get("callback_query", {}).pop("id", None)
        answers.append((sent, refused, edited, press, typed, api.last_message(CHAT)))
    with_copies, without = answers
    assert _without_dates(with_copies) == _without_dates(without)
    shared = LocalBotApi(copies=False)
    markup = {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]}
    send(shared, "hi", reply_markup=markup)
    shown = shared.last_message(CHAT)
    assert shown is not None and shown.reply_markup is markup  # shared, not copied


def _without_dates(value: Any) -> Any:
    """``value`` with every message's date and edit date left out (they are the clock's)."""
    if isinstance(value, dict):
        return {k: _without_dates(v) for k, v in value.items() if k not in ("date", "edit_date")}
    if isinstance(value, list | tuple):
        return [_without_dates(v) for v in value]
    if isinstance(value, local_api.StoredMessage):
        return (
            value.message_id,
            value.text,
            value.reply_markup,
            value.edited,
            value.kind,
            _without_dates(value.json),
        )
    return value


def test_rejections_are_recorded_and_cleared(api: LocalBotApi) -> None:
    """Refused calls land in `rejected`; clear() resets the recordings."""
    send(api, "")
    send(api, "ok")
    assert [(m, d) for m, _, d in api.rejected] == [
        ("sendMessage", "Bad Request: message text is empty")
    ]
    assert [a.text for a in api.sent] == ["ok"]
    api.clear()
    assert api.rejected == [] and api.sent == []
    assert api.last_message(CHAT) is not None  # the screen survives clear()


def test_without_a_record_listeners_still_hear_everything() -> None:
    """record=False: no transcript and no getUpdates queue, yet the same answers, the same
    screens, the same refusals, and every action told to the listeners."""
    api = LocalBotApi(record=False)
    heard: list[tuple[str, str | None]] = []
    api.subscribe(lambda action: heard.append((action.method, action.text)))
    update = api.user_message(CHAT, "hi")
    assert update["message"]["text"] == "hi"
    assert send(api, "ok", reply_markup=KEYBOARD)[0] == 200
    refusal(send(api, ""))
    assert heard == [("sendMessage", "ok")]
    assert api.sent == []
    assert [d for _, _, d in api.rejected] == ["Bad Request: message text is empty"]
    shown = api.last_message(CHAT)
    assert shown is not None and shown.buttons == KEYBOARD["inline_keyboard"][0]
    press = api.user_press(CHAT, shown.message_id, "yes")
    assert press["callback_query"]["message"]["reply_markup"] == KEYBOARD
    assert api.pending_updates() == []
    assert update_ids(api) == []


# --- keyboards --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markup", "description"),
    [
        ({"inline_keyboard": [{"text": "x"}]}, "should be an Array of Arrays"),
        ({"inline_keyboard": "x"}, "should be an Array of Arrays"),
        (button(text="", callback_data="x"), "BUTTON_TEXT_EMPTY"),
        (button(), "text buttons are unallowed in the inline keyboard"),
        (button(callback_data="x", url="https://x.org"), "exactly one optional field"),
        (button(callback_data=""), "BUTTON_DATA_INVALID"),
        (button(callback_data="x" * 65), "BUTTON_DATA_INVALID"),
        (button(callback_data="ñ" * 33), "BUTTON_DATA_INVALID"),  # 66 bytes, 33 characters
        (button(copy_text={"text": "x" * 257}), "COPY_TEXT_INVALID"),
        (button(copy_text={"text": ""}), "COPY_TEXT_INVALID"),
        (button(url="https://"), "Wrong HTTP URL"),
        ("not an object", "can't parse reply keyboard markup JSON object"),
        ({"something": "else"}, "can't parse reply keyboard markup JSON object"),
    ],
)
def test_invalid_keyboards_are_refused(api: LocalBotApi, markup: Any, description: str) -> None:
    """Malformed inline keyboards are refused as Telegram refuses them."""
    assert description in refusal(send(api, reply_markup=markup))


def test_button_url_protocols(api: LocalBotApi) -> None:
    """Button URLs may be http, https or tg only; mailto is refused with Telegram's words."""
    assert refusal(send(api, reply_markup=button(url="mailto:x"))) == (
        "Bad Request: inline keyboard button URL 'mailto:x' is invalid: unsupported URL protocol"
    )
    for url in ("https://mail.google.com/mail/?view=cm&to=a@b.c", "http://x.org", "tg://user?id=1"):
        assert send(api, reply_markup=button(url=url))[0] == 200, url


def test_valid_buttons_are_accepted(api: LocalBotApi) -> None:
    """Callback data of exactly 64 bytes and every other button kind are accepted."""
    markup = {
        "inline_keyboard": [
            [{"text": "a", "callback_data": "ñ" * 32}],
            [{"text": "b", "copy_text": {"text": "x" * 256}}],
            [{"text": "c", "switch_inline_query": ""}],
            [{"text": "d", "switch_inline_query_current_chat": "q"}],
            [{"text": "e", "switch_inline_query_chosen_chat": {"allow_user_chats": True}}],
        ]
    }
    assert send(api, reply_markup=markup)[0] == 200


def test_reply_keyboard_is_stored_but_not_echoed(api: LocalBotApi) -> None:
    """Reply keyboards are accepted; only inline keyboards appear in the returned Message."""
    markup = {"keyboard": [[{"text": "Share"}]], "resize_keyboard": True}
    status, body = send(api, reply_markup=markup)
    assert status == 200 and "reply_markup" not in body["result"]
    stored = api.last_message(CHAT)
    assert stored is not None and stored.reply_markup == markup


# --- edits and deletes ------------------------------------------------------------------------


def test_edit_unknown_message(api: LocalBotApi) -> None:
    """Editing a message that does not exist is refused."""
    params = {"chat_id": CHAT, "message_id": 42, "text": "x"}
    assert refusal(api.call("editMessageText", params)) == "Bad Request: message to edit not found"


def test_edit_with_same_content_is_not_modified(api: LocalBotApi) -> None:
    """Re-sending identical text and keyboard is refused as "message is not modified"."""
    send(api, "<b>Hi</b>", parse_mode="HTML", reply_markup=KEYBOARD)
    params = {
        "chat_id": CHAT,
        "message_id": 1,
        "text": "<b>Hi</b>",
        "parse_mode": "HTML",
        "reply_markup": KEYBOARD,
    }
    assert refusal(api.call("editMessageText", params)) == NOT_MODIFIED
    markup_params = {"chat_id": CHAT, "message_id": 1, "reply_markup": KEYBOARD}
    assert refusal(api.call("editMessageReplyMarkup", markup_params)) == NOT_MODIFIED


def test_edit_updates_the_screen(api: LocalBotApi) -> None:
    """An edit replaces the message on screen; leaving out reply_markup removes the keyboard."""
    send(api, "Hi", reply_markup=KEYBOARD)
    status, body = api.call("editMessageText", {"chat_id": CHAT, "message_id": 1, "text": "Bye"})
    assert status == 200 and body["result"]["text"] == "Bye" and "edit_date" in body["result"]
    [stored] = api.messages(CHAT)
    assert (stored.text, stored.edited, stored.reply_markup) == ("Bye", True, None)
    params = {"chat_id": CHAT, "message_id": 1, "reply_markup": KEYBOARD}
    assert api.call("editMessageReplyMarkup", params)[0] == 200
    assert api.messages(CHAT)[0].buttons == KEYBOARD["inline_keyboard"][0]


def test_edit_text_of_photo_is_refused(api: LocalBotApi) -> None:
    """A photo has no text to edit."""
    api.call("sendPhoto", {"chat_id": CHAT, "photo": "id"})
    params = {"chat_id": CHAT, "message_id": 1, "text": "x"}
    assert refusal(api.call("editMessageText", params)) == (
        "Bad Request: there is no text in the message to edit"
    )


def test_delete_message(api: LocalBotApi) -> None:
    """Deleting removes the message from the screen; deleting it again is refused."""
    send(api)
    assert api.call("deleteMessage", {"chat_id": CHAT, "message_id": 1}) == (
        200,
        {"ok": True, "result": True},
    )
    assert api.messages(CHAT) == []
    assert refusal(api.call("deleteMessage", {"chat_id": CHAT, "message_id": 1})) == (
        "Bad Request: message to delete not found"
    )


# --- callback and inline answers --------------------------------------------------------------


def test_answer_callback_query(api: LocalBotApi) -> None:
    """A press can be answered once, with at most 200 characters."""
    send(api, reply_markup=KEYBOARD)
    query_id = api.user_press(CHAT, 1, "yes")["callback_query"]["id"]
    too_long = {"callback_query_id": query_id, "text": "x" * 201}
    assert refusal(api.call("answerCallbackQuery", too_long)) == "Bad Request: MESSAGE_TOO_LONG"
    ok = {"callback_query_id": query_id, "text": "x" * 200}
    assert api.call("answerCallbackQuery", ok)[0] == 200
    assert "query ID is invalid" in refusal(api.call("answerCallbackQuery", ok))
    assert "query ID is invalid" in refusal(
        api.call("answerCallbackQuery", {"callback_query_id": "nope"})
    )


def article(result_id: str, text: str = "hi", **content: Any) -> dict[str, Any]:
    return {
        "type": "article",
        "id": result_id,
        "title": "t",
        "input_message_content": {"message_text": text, **content},
    }


@pytest.mark.parametrize(
    ("results", "description"),
    [
        ([article(str(i)) for i in range(51)], "RESULTS_TOO_MUCH"),
        ([article("x" * 65)], "RESULT_ID_INVALID"),
        ([article("")], "RESULT_ID_INVALID"),
        ([article("a"), article("a")], "RESULT_ID_DUPLICATE"),
        ([article("a", "<b>x", parse_mode="HTML")], "can't parse entities"),
        ([article("a", "x" * 4097)], "message is too long"),
    ],
)
def test_answer_inline_query_is_validated(
    api: LocalBotApi, results: list[dict[str, Any]], description: str
) -> None:
    """Inline answers: at most 50 results, ids of 1–64 bytes, valid message contents."""
    query_id = api.inline_query(CHAT, "q")["inline_query"]["id"]
    params = {"inline_query_id": query_id, "results": results}
    assert description in refusal(api.call("answerInlineQuery", params))


def test_answer_inline_query_accepts_valid_results(api: LocalBotApi) -> None:
    """Fifty valid results are accepted."""
    query_id = api.inline_query(CHAT, "q")["inline_query"]["id"]
    results = [article(str(i), "<b>x</b>", parse_mode="HTML") for i in range(50)]
    assert (
        api.call("answerInlineQuery", {"inline_query_id": query_id, "results": results})[0] == 200
    )


# --- blocking and injected faults -------------------------------------------------------------


def test_blocked_chat_is_forbidden(api: LocalBotApi) -> None:
    """A blocked chat answers 403 for sends and edits, until unblocked."""
    send(api)
    api.block_chat(CHAT)
    assert send(api) == (403, {"ok": False, "error_code": 403, "description": BLOCKED})
    edit = {"chat_id": CHAT, "message_id": 1, "text": "new"}
    assert api.call("editMessageText", edit)[0] == 403
    assert api.rejected == []  # expected failures are kept apart from invalid requests
    assert [status for _, _, status, _ in api.failed] == [403, 403]
    api.unblock_chat(CHAT)
    assert send(api)[0] == 200


def test_fail_next_429_with_retry_after(api: LocalBotApi) -> None:
    """fail_next makes the next calls of that method fail with retry_after, then recovers."""
    api.fail_next("sendMessage", 429, "Too Many Requests: retry after 5", retry_after=5, count=2)
    expected = {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 5",
        "parameters": {"retry_after": 5},
    }
    assert api.call("getMe", {})[0] == 200  # other methods are unaffected
    assert send(api) == (429, expected)
    assert send(api) == (429, expected)
    assert send(api)[0] == 200


def test_fail_next_any_method(api: LocalBotApi) -> None:
    """fail_next(None, ...) fails the next call whatever its method."""
    api.fail_next(None, 502, "Bad Gateway")
    assert api.call("getMe", {})[1]["description"] == "Bad Gateway"
    assert api.call("getMe", {})[0] == 200


def test_unknown_method_and_case_insensitive_names(api: LocalBotApi) -> None:
    """Unknown methods get 404; known names match case-insensitively."""
    assert api.call("sendTelepathy", {}) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    assert api.call("GETME", {})[1]["result"]["is_bot"] is True
    assert api.call("sendmessage", {"chat_id": CHAT, "text": "x"})[0] == 200
    assert api.sent[-1].method == "sendMessage"


# --- updates ----------------------------------------------------------------------------------


def update_ids(api: LocalBotApi, **params: Any) -> list[int]:
    status, body = api.call("getUpdates", params)
    assert status == 200, body
    return [u["update_id"] for u in body["result"]]


def test_get_updates_offset_semantics(api: LocalBotApi) -> None:
    """Updates stay until an offset past them confirms them; negative offsets keep the tail."""
    for i in range(5):
        api.user_message(CHAT, f"m{i}")
    assert update_ids(api) == [1, 2, 3, 4, 5]
    assert update_ids(api) == [1, 2, 3, 4, 5]  # unconfirmed updates come again
    assert update_ids(api, offset=3, limit=2) == [3, 4]
    assert update_ids(api, offset=1) == [3, 4, 5]  # 1 and 2 are gone for good
    assert update_ids(api, offset=-2) == [4, 5]
    assert update_ids(api, offset=6) == []
    api.user_message(CHAT, "later")
    assert update_ids(api, offset=6) == [6]


def test_get_updates_respects_allowed_updates(api: LocalBotApi) -> None:
    """chat_member updates are dropped unless allowed_updates asks for them."""
    api.user_event({"chat_member": {"x": 1}})
    assert update_ids(api) == []
    api.call("getUpdates", {"allowed_updates": ["chat_member", "message"]})
    api.user_event({"chat_member": {"x": 2}})
    api.user_press(CHAT, 1, "x")  # callback_query is not in the allowed list now
    assert update_ids(api) == [2]


def test_webhook_blocks_get_updates(api: LocalBotApi) -> None:
    """With a webhook set, getUpdates answers 409 until deleteWebhook."""
    assert api.call("setWebhook", {"url": "https://x.org/hook", "secret_token": "s"})[0] == 200
    assert api.webhook_url == "https://x.org/hook" and api.webhook_secret_token == "s"
    assert api.call("getUpdates", {})[0] == 409
    api.call("deleteWebhook", {})
    assert api.call("getUpdates", {})[0] == 200


def test_wait_for_updates_wakes_on_new_update(api: LocalBotApi) -> None:
    """wait_for_updates returns as soon as another thread queues an update."""
    timer = threading.Timer(0.1, lambda: api.user_message(CHAT, "hi"))
    timer.start()
    started = time.monotonic()
    api.wait_for_updates(timeout=5)
    assert time.monotonic() - started < 4
    assert len(api.pending_updates()) == 1
    timer.join()


def test_user_builders_parse_as_updates(api: LocalBotApi, bot: Bot) -> None:
    """Every user-side builder makes a dict that Update.de_json parses."""
    send(api, "menu", reply_markup=KEYBOARD)
    updates = [
        api.user_message(CHAT, "/start campaign"),
        api.user_edited_message(CHAT, 2, "edited"),
        api.user_sticker(CHAT),
        api.user_photo(CHAT, caption="look"),
        api.user_press(CHAT, 1, "yes"),
        api.user_blocks_bot(CHAT),
        api.user_unblocks_bot(CHAT),
        api.channel_post(-1002, "post"),
        api.group_message(-5, CHAT, "hello group"),
        api.inline_query(CHAT, "facts"),
        api.user_event(
            {"message": {"message_id": 99, "date": 0, "chat": {"id": 1, "type": "private"}}}
        ),
    ]
    parsed = [Update.de_json(d, bot) for d in updates]
    assert [u.update_id for u in parsed] == list(range(1, len(updates) + 1))
    start = parsed[0].message
    assert start is not None and start.text == "/start campaign"
    assert start.entities[0].type == "bot_command" and start.entities[0].length == 6
    assert parsed[1].edited_message is not None and parsed[1].edited_message.text == "edited"
    assert parsed[2].message is not None and parsed[2].message.sticker is not None
    assert parsed[3].message is not None and parsed[3].message.caption == "look"
    assert parsed[5].my_chat_member is not None
    assert parsed[5].my_chat_member.new_chat_member.status == "kicked"
    assert parsed[6].my_chat_member is not None
    assert parsed[6].my_chat_member.new_chat_member.status == "member"
    assert parsed[7].channel_post is not None and parsed[7].channel_post.chat.type == "channel"
    assert parsed[8].message is not None and parsed[8].message.chat.type == "group"
    assert parsed[9].inline_query is not None and parsed[9].inline_query.query == "facts"


def test_user_press_carries_the_current_message(api: LocalBotApi, bot: Bot) -> None:
    """A press carries the message as on screen; an unknown id gives an inaccessible message."""
    send(api, "menu", reply_markup=KEYBOARD)
    edit = {"chat_id": CHAT, "message_id": 1, "text": "new menu", "reply_markup": KEYBOARD}
    assert api.call("editMessageText", edit)[0] == 200
    query = Update.de_json(api.user_press(CHAT, 1, "yes"), bot).callback_query
    assert isinstance(query, CallbackQuery) and query.data == "yes"
    assert isinstance(query.message, Message) and query.message.text == "new menu"
    old = Update.de_json(api.user_press(CHAT, 77, "yes"), bot).callback_query
    # PTB parses the inaccessible message (date 0) as a Message that is not accessible.
    assert old is not None and old.message is not None and not old.message.is_accessible


def test_user_press_button_by_label(api: LocalBotApi) -> None:
    """user_press_button finds the callback button by its label, or lists what is on screen."""
    send(api, "menu", reply_markup=KEYBOARD)
    update = api.user_press_button(CHAT, "Yes")
    assert update["callback_query"]["data"] == "yes"
    with pytest.raises(LookupError, match="Yes"):
        api.user_press_button(CHAT, "No")


def test_user_blocks_bot_blocks_the_chat(api: LocalBotApi) -> None:
    """After user_blocks_bot, sends to that user are forbidden; unblocking restores them."""
    api.user_blocks_bot(CHAT)
    assert send(api)[0] == 403
    api.user_unblocks_bot(CHAT)
    assert send(api)[0] == 200


# --- files, commands, parameters --------------------------------------------------------------


def test_send_photo_variants(api: LocalBotApi) -> None:
    """Photos may be bytes, an upload, attach:// references or a file_id; all are recorded."""
    base = {"chat_id": CHAT, "caption": "c"}
    status, body = api.call("sendPhoto", {**base, "photo": b"raw"})
    assert status == 200 and body["result"]["photo"][0]["width"] == 1
    assert api.sent[-1].params["photo"] == b"raw" and api.sent[-1].text == "c"
    upload = {"pic": Upload("pic.png", b"png", "image/png")}
    assert api.call("sendPhoto", {**base, "photo": "attach://pic"}, upload)[0] == 200
    assert api.sent[-1].params["photo"] == b"png"
    assert api.call("sendPhoto", {**base, "photo": "AgAC-file-id"})[0] == 200
    assert api.sent[-1].params["photo"] == "AgAC-file-id"
    assert "there is no photo" in refusal(api.call("sendPhoto", base))
    doc = {"document": Upload("facts.pdf", b"%PDF", "application/pdf")}
    status, body = api.call("sendDocument", {"chat_id": CHAT}, doc)
    assert body["result"]["document"]["file_name"] == "facts.pdf"
    assert [m.kind for m in api.messages(CHAT)] == ["photo", "photo", "photo", "document"]


def test_copy_message(api: LocalBotApi) -> None:
    """copyMessage answers the new message id and shows the copy on the target screen."""
    api.user_message(CHAT, "forward me")
    status, body = api.call("copyMessage", {"chat_id": 7, "from_chat_id": CHAT, "message_id": 1})
    assert (status, body["result"]) == (200, {"message_id": 1})
    assert [m.text for m in api.messages(7)] == ["forward me"]
    missing = {"chat_id": 7, "from_chat_id": CHAT, "message_id": 50}
    assert refusal(api.call("copyMessage", missing)) == "Bad Request: message to copy not found"


def test_commands_descriptions_and_menu(api: LocalBotApi) -> None:
    """Commands are validated, stored per scope and language, and read back."""
    commands = [{"command": "start", "description": "Start"}]
    assert api.call("setMyCommands", {"commands": commands, "language_code": "es"})[0] == 200
    assert api.call("getMyCommands", {"language_code": "es"})[1]["result"] == commands
    assert api.call("getMyCommands", {})[1]["result"] == []
    bad = [{"command": "Start", "description": "x"}]
    assert (
        refusal(api.call("setMyCommands", {"commands": bad})) == "Bad Request: BOT_COMMAND_INVALID"
    )
    assert api.call("deleteMyCommands", {"language_code": "es"})[0] == 200
    assert api.call("setMyDescription", {"description": "d" * 512})[0] == 200
    assert api.call("setMyShortDescription", {"short_description": "d" * 121})[0] == 400
    assert api.call("setChatMenuButton", {"menu_button": {"type": "commands"}})[0] == 200
    assert api.call("sendChatAction", {"chat_id": CHAT, "action": "typing"})[0] == 200
    assert api.call("sendChatAction", {"chat_id": CHAT, "action": "dancing"})[0] == 400


def test_string_parameters_are_decoded_like_telegram() -> None:
    """Form-encoded values are decoded by field type; text stays text."""
    decoded = normalize_params(
        {
            "chat_id": "-100123",
            "text": "42",
            "reply_markup": '{"inline_keyboard": []}',
            "disable_notification": "true",
            "timeout": "1.5",
        }
    )
    assert decoded == {
        "chat_id": -100123,
        "text": "42",
        "reply_markup": {"inline_keyboard": []},
        "disable_notification": True,
        "timeout": 1.5,
    }


def test_concurrent_sends_get_distinct_ids(api: LocalBotApi) -> None:
    """Calls from many threads are serialized: every message gets its own id."""

    def worker() -> None:
        for _ in range(50):
            send(api)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [m.message_id for m in api.messages(CHAT)]
    assert ids == list(range(1, 401))


# --- LocalRequest with a real telegram.Bot ----------------------------------------------------


async def test_bot_get_me(bot: Bot) -> None:
    """A real Bot initializes and reads getMe through LocalRequest."""
    async with bot:
        me = await bot.get_me()
    assert me.is_bot and me.username == "outreach_test_bot" and me.supports_inline_queries


async def test_bot_send_message_with_keyboard(api: LocalBotApi, bot: Bot) -> None:
    """send_message with an inline keyboard reaches the screen and comes back parsed."""
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])
    async with bot:
        message = await bot.send_message(
            CHAT, "<i>Sure?</i>", parse_mode="HTML", reply_markup=keyboard
        )
    assert message.text == "Sure?" and message.reply_markup == keyboard
    stored = api.last_message(CHAT)
    assert (
        stored is not None and stored.text == "<i>Sure?</i>" and stored.buttons[0]["text"] == "Yes"
    )
    assert api.sent[-1].reply_markup == keyboard.to_dict()


async def test_bot_invalid_message_raises_bad_request(bot: Bot) -> None:
    """An invalid keyboard raises telegram.error.BadRequest."""
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Mail", url="mailto:a@b.c")]])
    async with bot:
        with pytest.raises(BadRequest, match="unsupported url protocol"):
            await bot.send_message(CHAT, "x", reply_markup=keyboard)


async def test_bot_blocked_chat_raises_forbidden(api: LocalBotApi, bot: Bot) -> None:
    """A blocked chat raises telegram.error.Forbidden."""
    api.block_chat(CHAT)
    async with bot:
        with pytest.raises(Forbidden, match="blocked"):
            await bot.send_message(CHAT, "x")


# PTB itself warns that RetryAfter.retry_after will become a timedelta.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_bot_flood_limit_raises_retry_after(api: LocalBotApi, bot: Bot) -> None:
    """An injected 429 raises telegram.error.RetryAfter with the given delay."""
    api.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    async with bot:
        with pytest.raises(RetryAfter, match="Retry in 7 seconds"):
            await bot.send_message(CHAT, "x")


async def test_bot_get_updates_waits_without_blocking_the_loop(api: LocalBotApi, bot: Bot) -> None:
    """get_updates long-polls in async steps; an update queued meanwhile is returned."""

    async def user_writes_later() -> None:
        await asyncio.sleep(0.1)
        api.user_message(CHAT, "hello")

    async with bot:
        writer = asyncio.create_task(user_writes_later())
        updates = await bot.get_updates(timeout=5)
        await writer
        assert [u.message.text for u in updates if u.message] == ["hello"]
        started = time.monotonic()
        assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0.2) == ()
        assert time.monotonic() - started >= 0.2


async def test_bot_send_and_download_photo(api: LocalBotApi, bot: Bot) -> None:
    """send_photo uploads bytes; the file can be fetched back via get_file."""
    async with bot:
        message = await bot.send_photo(CHAT, b"\x89PNG fake", caption="Facts")
        assert message.caption == "Facts" and message.photo
        file = await bot.get_file(message.photo[-1].file_id)
        assert bytes(await file.download_as_bytearray()) == b"\x89PNG fake"
    assert api.sent[-1].params["photo"] == b"\x89PNG fake"


# --- LocalRequest's network latency -----------------------------------------------------------


async def test_latency_is_waited_half_each_way(
    api: LocalBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A call with a latency sleeps half of it before reaching the API and half after."""
    events: list[object] = []
    real_sleep = asyncio.sleep

    async def recorded_sleep(delay: float) -> None:
        events.append(("sleep", delay))
        await real_sleep(0)

    api.subscribe(lambda action: events.append(("arrived", action.text)))
    async with Bot(token="123:abc", request=LocalRequest(api, latency=0.05)) as bot:
        monkeypatch.setattr(asyncio, "sleep", recorded_sleep)
        await bot.send_message(CHAT, "a")
    assert events == [("sleep", 0.025), ("arrived", "a"), ("sleep", 0.025)]


async def test_latency_lets_other_work_run_on_both_sides_of_a_call(api: LocalBotApi) -> None:
    """While a call is on its way to the API and back, the event loop runs other tasks."""
    events: list[str] = []
    arrived = asyncio.Event()

    def on_action(action: Any) -> None:
        events.append("call arrived")
        arrived.set()

    async def other_work() -> None:
        events.append("other work")
        await arrived.wait()
        events.append("other work after the arrival")

    api.subscribe(on_action)
    async with Bot(token="123:abc", request=LocalRequest(api, latency=0.01)) as bot:
        other = asyncio.create_task(other_work())
        await bot.send_message(CHAT, "a")
        events.append("call returned")
        await other
    assert events == [
        "other work",
        "call arrived",
        "other work after the arrival",
        "call returned",
    ]


async def _two_concurrent_sends(latency: float) -> list[str]:
    """When each of two concurrent sends reached the API and when its answer came back."""
    api = LocalBotApi()
    events: list[str] = []
    api.subscribe(lambda action: events.append(f"arrived {action.text}"))

    async def send_and_note(bot: Bot, text: str) -> None:
        await bot.send_message(CHAT, text)
        events.append(f"returned {text}")

    async with Bot(token="123:abc", request=LocalRequest(api, latency=latency)) as bot:
        await asyncio.gather(send_and_note(bot, "a"), send_and_note(bot, "b"))
    return events


async def test_latency_overlaps_concurrent_calls() -> None:
    """Two concurrent sends both reach the API before either answer is back; without latency
    the first is answered before the second starts."""
    assert await _two_concurrent_sends(0.0) == [
        "arrived a",
        "returned a",
        "arrived b",
        "returned b",
    ]
    assert await _two_concurrent_sends(0.01) == [
        "arrived a",
        "arrived b",
        "returned a",
        "returned b",
    ]


def test_latency_cannot_be_negative(api: LocalBotApi) -> None:
    with pytest.raises(ValueError, match="latency"):
        LocalRequest(api, latency=-0.01)
