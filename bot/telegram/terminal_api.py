"""The Bot API the terminal chat talks to: in memory, and only what the chat needs.

:class:`TerminalBotApi` is at once python-telegram-bot's transport (a ``BaseRequest``) and
Telegram's side of the chat. It answers the calls the bot makes — ``getMe``; sending, editing
and deleting messages; answering button presses; photos and documents (an organizer's chart,
QR code or CSV); copying a message (broadcasts); the profile and command menus — keeps each
chat's messages as Telegram stores them (visible text and entities, so a pressed message reads
back as it would from Telegram), records what the bot did for the terminal to print, and builds
the updates a typed line or a pressed button stands for.

It refuses what Telegram refuses where that is cheap to know and would otherwise pass unseen in
the terminal: text over 4,096 characters (captions over 1,024), HTML Telegram cannot parse,
callback data over 64 bytes, an edit that changes nothing. The bot then reacts as it would on
Telegram. Any other method is "Not Found". The full simulator the tests use (every refusal,
faults, flood limits, groups and channels, long polling) lives with the tests.
"""

from __future__ import annotations

import copy
import itertools
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from telegram.request import BaseRequest, RequestData

from bot.telegram_html import MAX_MESSAGE, HtmlParseError, parse_html, telegram_length

JsonDict = dict[str, Any]

MAX_CAPTION_LENGTH: Final = 1024
MAX_CALLBACK_DATA_BYTES: Final = 64
MAX_CALLBACK_ANSWER_LENGTH: Final = 200
NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
# What a copy keeps of its original (Telegram copies the content, never the envelope).
_COPIED: Final = ("text", "entities", "caption", "caption_entities", "photo", "document")


class Refused(Exception):
    """A call Telegram would refuse: its status and description."""

    def __init__(self, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def _bad_request(description: str) -> Refused:
    return Refused("Bad Request: " + description)


@dataclass(frozen=True, slots=True)
class BotAction:
    """One call of the bot that changed a chat, as the terminal prints it.

    ``text`` is the text or caption as sent (HTML included), or a button answer's notice.
    """

    method: str
    chat_id: int | None
    message_id: int | None
    text: str | None
    parse_mode: str | None
    reply_markup: JsonDict | None


Method = Callable[[JsonDict, Mapping[str, str]], Any]


class TerminalBotApi(BaseRequest):
    """An in-memory Bot API and the transport to it; see the module docstring.

    Give the same instance to every Bot of the application: they share one Telegram.
    """

    def __init__(self, username: str, first_name: str, bot_id: int) -> None:
        self.bot_user: JsonDict = {
            "id": bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
        }
        self._chats: dict[int, JsonDict] = {}  # chat id -> the Chat object updates carry
        self._messages: dict[int, dict[int, JsonDict]] = {}  # chat id -> message id -> Message
        self._next_message_id: dict[int, int] = {}
        self._actions: list[BotAction] = []
        self._open_queries: set[str] = set()
        self._profile: dict[tuple[str, str, str], Any] = {}
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._methods: dict[str, Method] = {
            "getme": lambda params, files: dict(self.bot_user),
            "sendmessage": self._send_message,
            "sendphoto": self._send_photo,
            "senddocument": self._send_document,
            "copymessage": self._copy_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback_query,
            "setmycommands": self._setter("commands", "commands"),
            "getmycommands": self._getter("commands", None, []),
            "setmydescription": self._setter("description", "description"),
            "getmydescription": self._getter("description", "description", ""),
            "setmyshortdescription": self._setter("short_description", "short_description"),
            "getmyshortdescription": self._getter("short_description", "short_description", ""),
        }

    # --- python-telegram-bot's transport -------------------------------------------------------

    @property
    def read_timeout(self) -> float:
        return 5.0

    async def initialize(self) -> None:
        """Nothing to connect to."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        api_method = urlsplit(url).path.rsplit("/", 1)[-1]
        params: JsonDict = dict(request_data.parameters) if request_data else {}
        files: dict[str, str] = {}
        if request_data is not None and request_data.contains_files:
            files = {part: name for part, (name, *_) in request_data.multipart_data.items()}
        status, body = self.call(api_method, params, files)
        return status, json.dumps(body).encode("utf-8")

    # --- Telegram's side ----------------------------------------------------------------------

    def call(
        self, method: str, params: Mapping[str, Any], files: Mapping[str, str] | None = None
    ) -> tuple[int, JsonDict]:
        """Answer one Bot API call: ``(http_status, json_body)`` as Telegram would.

        ``files`` names the uploaded files by part name (their content is not kept).
        """
        answer = self._methods.get(method.lower())
        if answer is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        try:
            result = answer(copy.deepcopy(dict(params)), files or {})
        except Refused as refused:
            return refused.status, {
                "ok": False,
                "error_code": refused.status,
                "description": refused.description,
            }
        return 200, {"ok": True, "result": copy.deepcopy(result)}

    def take_actions(self) -> list[BotAction]:
        """What the bot did since the last call, oldest first."""
        actions, self._actions = self._actions, []
        return actions

    def number_messages_after(self, chat_id: int, message_id: int) -> None:
        """Give the chat's next messages ids after ``message_id``, as Telegram goes on with a
        chat that had messages before (a terminal chat reopened on the same database)."""
        self._next_message_id[chat_id] = max(self._next_message_id.get(chat_id, 1), message_id + 1)

    def user_message(
        self, user_id: int, text: str, *, first_name: str, language_code: str | None
    ) -> JsonDict:
        """The update of a user writing ``text`` in their private chat with the bot."""
        user = _user(user_id, first_name, language_code)
        chat = self._private_chat(user)
        message: JsonDict = {"message_id": self._new_message_id(user_id), "date": _now()}
        message |= {"chat": chat, "from": user, "text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            length = telegram_length(command)
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        self._messages.setdefault(user_id, {})[message["message_id"]] = message
        return self._update({"message": message})

    def user_press(
        self,
        user_id: int,
        message_id: int,
        data: str,
        *,
        first_name: str,
        language_code: str | None,
    ) -> JsonDict:
        """The update of a user pressing a button carrying ``data`` under ``message_id``.

        The update carries the message as it is now; one that is gone is "inaccessible", as
        Telegram sends it.
        """
        user = _user(user_id, first_name, language_code)
        chat = self._private_chat(user)
        shown = self._messages.get(user_id, {}).get(message_id)
        query_id = f"{next(self._query_ids)}"
        self._open_queries.add(query_id)
        query = {
            "id": query_id,
            "from": user,
            "chat_instance": f"ci{user_id}",
            "message": shown or {"chat": chat, "message_id": message_id, "date": 0},
            "data": data,
        }
        return self._update({"callback_query": query})

    # --- the methods ----------------------------------------------------------------------------

    def _send_message(self, params: JsonDict, files: Mapping[str, str]) -> JsonDict:
        chat_id = _chat_id(params)
        content = _text(params, "text", MAX_MESSAGE)
        return self._send(chat_id, content, params, "sendMessage", params.get("text"))

    def _send_photo(self, params: JsonDict, files: Mapping[str, str]) -> JsonDict:
        chat_id = _chat_id(params)
        content = _caption(params)
        file_id = self._file_id(params, "photo")
        content["photo"] = [
            {"file_id": file_id, "file_unique_id": file_id, "width": 1, "height": 1}
        ]
        return self._send(chat_id, content, params, "sendPhoto", params.get("caption"))

    def _send_document(self, params: JsonDict, files: Mapping[str, str]) -> JsonDict:
        chat_id = _chat_id(params)
        content = _caption(params)
        file_id = self._file_id(params, "document")
        content["document"] = {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_name": files.get("document", "document"),
        }
        return self._send(chat_id, content, params, "sendDocument", params.get("caption"))

    def _copy_message(self, params: JsonDict, files: Mapping[str, str]) -> JsonDict:
        chat_id = _chat_id(params)
        from_chat_id = _chat_id(params, "from_chat_id")
        message_id = _message_id(params)
        source = self._messages.get(from_chat_id, {}).get(message_id)
        if source is None:
            # A message of an earlier run of the chat (a broadcast resumed after a restart):
            # Telegram still has it; this chat no longer knows what it said.
            source = {"text": f"[copy of message {message_id}]"}
        content: JsonDict = {key: copy.deepcopy(source[key]) for key in _COPIED if key in source}
        if "caption" in params:
            content.pop("caption_entities", None)
            content |= _caption(params)
        text = content.get("text", content.get("caption"))
        message = self._send(chat_id, content, params, "copyMessage", text)
        return {"message_id": message["message_id"]}

    def _edit_message_text(self, params: JsonDict, files: Mapping[str, str]) -> JsonDict:
        chat_id, stored = self._message_to_edit(params)
        if "text" not in stored:
            raise _bad_request("there is no text in the message to edit")
        content = _text(params, "text", MAX_MESSAGE)
        markup = _inline_markup(params)
        now_shown = {"text": stored["text"], "entities": stored.get("entities", [])}
        if ({"entities": [], **content}, markup) == (now_shown, stored.get("reply_markup")):
            raise Refused(NOT_MODIFIED)
        stored.pop("entities", None)
        return self._edit(chat_id, stored, content, markup, params, "editMessageText")

    def _edit_message_reply_markup(self, params: JsonDict, files: Mapping[str, str]) -> JsonDict:
        chat_id, stored = self._message_to_edit(params)
        markup = _inline_markup(params)
        if markup == stored.get("reply_markup"):
            raise Refused(NOT_MODIFIED)
        return self._edit(chat_id, stored, {}, markup, params, "editMessageReplyMarkup")

    def _delete_message(self, params: JsonDict, files: Mapping[str, str]) -> bool:
        chat_id = _chat_id(params)
        message_id = _message_id(params)
        if self._messages.get(chat_id, {}).pop(message_id, None) is None:
            raise _bad_request("message to delete not found")
        self._record("deleteMessage", chat_id, message_id, None, params)
        return True

    def _answer_callback_query(self, params: JsonDict, files: Mapping[str, str]) -> bool:
        text = params.get("text") or ""
        if not isinstance(text, str) or len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad_request("MESSAGE_TOO_LONG")
        query_id = str(params.get("callback_query_id"))
        if query_id not in self._open_queries:  # each press is answered once, and soon
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        self._open_queries.discard(query_id)
        self._actions.append(BotAction("answerCallbackQuery", None, None, text, None, None))
        return True

    def _setter(self, kind: str, key: str) -> Method:
        def set_value(params: JsonDict, files: Mapping[str, str]) -> bool:
            self._profile[_profile_key(kind, params)] = params.get(key)
            return True

        return set_value

    def _getter(self, kind: str, key: str | None, default: Any) -> Method:
        def get_value(params: JsonDict, files: Mapping[str, str]) -> Any:
            value = self._profile.get(_profile_key(kind, params)) or default
            return {key: value} if key else value

        return get_value

    # --- chats and messages ---------------------------------------------------------------------

    def _send(
        self, chat_id: int, content: JsonDict, params: JsonDict, method: str, text: Any
    ) -> JsonDict:
        markup = _inline_markup(params)
        message: JsonDict = {"message_id": self._new_message_id(chat_id), "date": _now()}
        message |= {"chat": self._chat(chat_id), "from": self.bot_user, **content}
        if markup is not None:
            message["reply_markup"] = markup
        self._messages.setdefault(chat_id, {})[message["message_id"]] = message
        self._record(method, chat_id, message["message_id"], text, params)
        return message

    def _edit(
        self,
        chat_id: int,
        stored: JsonDict,
        content: JsonDict,
        markup: JsonDict | None,
        params: JsonDict,
        method: str,
    ) -> JsonDict:
        stored |= content
        stored["edit_date"] = _now()
        stored.pop("reply_markup", None)
        if markup is not None:
            stored["reply_markup"] = markup
        self._record(method, chat_id, stored["message_id"], params.get("text"), params)
        return stored

    def _message_to_edit(self, params: JsonDict) -> tuple[int, JsonDict]:
        chat_id = _chat_id(params)
        stored = self._messages.get(chat_id, {}).get(_message_id(params))
        if stored is None:
            raise _bad_request("message to edit not found")
        if stored["from"] != self.bot_user:
            raise _bad_request("message can't be edited")
        return chat_id, stored

    def _record(
        self, method: str, chat_id: int, message_id: int, text: Any, params: JsonDict
    ) -> None:
        parse_mode = params.get("parse_mode")
        self._actions.append(
            BotAction(
                method,
                chat_id,
                message_id,
                text if isinstance(text, str) else None,
                parse_mode if isinstance(parse_mode, str) else None,
                _inline_markup(params),
            )
        )

    def _new_message_id(self, chat_id: int) -> int:
        # Telegram numbers a private chat's messages together, whoever sent them.
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _private_chat(self, user: JsonDict) -> JsonDict:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        self._chats[user["id"]] = chat
        return chat

    def _chat(self, chat_id: int) -> JsonDict:
        return self._chats.get(chat_id) or {"id": chat_id, "type": "private", "first_name": "User"}

    def _file_id(self, params: JsonDict, kind: str) -> str:
        given = params.get(kind)  # a file_id or URL the bot passed on; else an upload
        return given if isinstance(given, str) else f"{kind}-{next(self._file_ids)}"

    def _update(self, body: JsonDict) -> JsonDict:
        return copy.deepcopy({"update_id": next(self._update_ids), **body})


# --- validation -----------------------------------------------------------------------------


def _chat_id(params: JsonDict, key: str = "chat_id") -> int:
    value = params.get(key)
    if value is None or value == "":
        raise _bad_request(f"{key} is empty")
    if not isinstance(value, int) or isinstance(value, bool):
        raise _bad_request("chat not found")
    return value


def _message_id(params: JsonDict) -> int:
    value = params.get("message_id")
    if not isinstance(value, int) or isinstance(value, bool):
        raise _bad_request("message identifier is not specified")
    return value


def _text(params: JsonDict, key: str, limit: int) -> JsonDict:
    """A message's text or caption as Telegram stores it: visible text and entities."""
    raw = params.get(key)
    if not isinstance(raw, str):
        raise _bad_request(
            "message text is empty" if raw is None else f'field "{key}" must be a String'
        )
    visible, entities = raw, []
    if str(params.get("parse_mode") or "").lower() == "html":
        try:
            parsed = parse_html(raw)
        except HtmlParseError as exc:
            raise _bad_request(f"can't parse entities: {exc}") from exc
        visible, entities = parsed.text, parsed.entities
    if key == "text" and not visible.strip():
        raise _bad_request("message text is empty")
    if telegram_length(visible) > limit:
        raise _bad_request(
            "message is too long" if key == "text" else "message caption is too long"
        )
    content: JsonDict = {key: visible}
    if entities:
        content["entities" if key == "text" else "caption_entities"] = entities
    return content


def _caption(params: JsonDict) -> JsonDict:
    return _text(params, "caption", MAX_CAPTION_LENGTH) if "caption" in params else {}


def _inline_markup(params: JsonDict) -> JsonDict | None:
    markup = params.get("reply_markup")
    if not isinstance(markup, dict) or "inline_keyboard" not in markup:
        return None  # Message.reply_markup only ever carries inline keyboards
    for row in markup["inline_keyboard"]:
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
                raise _bad_request("BUTTON_DATA_INVALID")
    return markup


def _profile_key(kind: str, params: JsonDict) -> tuple[str, str, str]:
    scope = json.dumps(params.get("scope"), sort_keys=True)
    return kind, scope, str(params.get("language_code") or "")


def _user(user_id: int, first_name: str, language_code: str | None) -> JsonDict:
    user: JsonDict = {"id": user_id, "is_bot": False, "first_name": first_name}
    if language_code:
        user["language_code"] = language_code
    return user


def _now() -> int:
    return int(time.time())
