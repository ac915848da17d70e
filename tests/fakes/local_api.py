"""An in-memory Telegram Bot API, so tests and benchmarks run the bot without Telegram.

This module owns the simulation of Telegram's side of the conversation:

* :class:`LocalBotApi` answers Bot API methods the way Telegram does (same JSON, same status
  codes, same refusals), keeps each chat's "screen" of bot messages, records everything the bot
  did (unless made with ``record=False``), injects faults on request, and builds the updates a
  user would cause (messages, button presses, blocking the bot, ...), queueing them for
  ``getUpdates``.
* :class:`LocalRequest` plugs a :class:`LocalBotApi` into python-telegram-bot as its transport,
  for conversation tests and benchmarks (:func:`local_transports` gives ``build_application``
  all three). The HTTP flavour used by end-to-end tests, ``botapi_server.py`` beside this
  module, wraps the same class.

The product's terminal chat has its own, much smaller transport
(``bot/telegram/terminal_api.py``); this one is for tests only.

Validation aims to reject exactly what Telegram rejects, so a test fails where production would.
Markdown parse modes are accepted without checking their syntax; HTML is checked by
:mod:`bot.telegram_html`.
"""

from __future__ import annotations

import asyncio
import collections
import copy
import functools
import itertools
import json
import marshal
import pickle
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final, TypeVar
from urllib.parse import urlsplit

from telegram.request import BaseRequest, RequestData

from bot.telegram_html import HtmlParseError, parse_html, telegram_length

JsonDict = dict[str, Any]
_T = TypeVar("_T")

MAX_TEXT_LENGTH: Final = 4096
MAX_CAPTION_LENGTH: Final = 1024
MAX_CALLBACK_DATA_BYTES: Final = 64
MAX_COPY_TEXT_LENGTH: Final = 256
MAX_CALLBACK_ANSWER_LENGTH: Final = 200
MAX_INLINE_RESULTS: Final = 50
MAX_INLINE_RESULT_ID_BYTES: Final = 64
MAX_BUTTONS: Final = 100
MAX_COMMANDS: Final = 100
MAX_DESCRIPTION_LENGTH: Final = 512
MAX_SHORT_DESCRIPTION_LENGTH: Final = 120

NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
BLOCKED: Final = "Forbidden: bot was blocked by the user"
FLOOD_RETRY_AFTER: Final = 1  # seconds a flooded bot is told to wait (parameters.retry_after)
# Methods that count against the optional flood limit: the ones that send a message.
SENDING_METHODS: Final = frozenset({"sendMessage", "copyMessage", "sendPhoto", "sendDocument"})
QUERY_INVALID: Final = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
_BAD_MARKUP: Final = "Bad Request: can't parse reply keyboard markup JSON object"
_BAD_BUTTON: Final = "Bad Request: can't parse inline keyboard button: "

# Telegram delivers these only when asked for explicitly through allowed_updates.
_OPT_IN_UPDATES: Final = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_INLINE_ACTIONS: Final = (
    "callback_data",
    "url",
    "copy_text",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    # Accepted without checks: the bot does not use them, but Telegram allows them.
    "web_app",
    "login_url",
    "callback_game",
    "pay",
)
_CHAT_ACTIONS: Final = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_COMMAND_RE: Final = re.compile(r"[a-z0-9_]{1,32}")

# Over HTTP every parameter arrives as a string; PTB JSON-encodes everything that is not one.
# Telegram decodes each field by its declared type, and so do we.
_INT_FIELDS: Final = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "message_id",
        "message_thread_id",
        "reply_to_message_id",
        "offset",
        "limit",
        "user_id",
        "cache_time",
        "max_connections",
    }
)
_NUMBER_FIELDS: Final = frozenset({"timeout"})
_BOOL_FIELDS: Final = frozenset(
    {
        "disable_notification",
        "protect_content",
        "allow_paid_broadcast",
        "allow_sending_without_reply",
        "disable_web_page_preview",
        "show_alert",
        "is_personal",
        "drop_pending_updates",
        "has_spoiler",
        "show_caption_above_media",
        "disable_content_type_detection",
    }
)
_JSON_FIELDS: Final = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "results",
        "commands",
        "scope",
        "menu_button",
        "allowed_updates",
        "link_preview_options",
        "reply_parameters",
        "button",
    }
)
# Methods that change nothing, so they are not recorded in LocalBotApi.sent.
_READ_ONLY: Final = frozenset(
    {
        "getMe",
        "getUpdates",
        "getWebhookInfo",
        "getMyCommands",
        "getMyDescription",
        "getMyShortDescription",
        "getChatMenuButton",
        "getFile",
    }
)


class BotApiError(Exception):
    """A refusal, as Telegram would send it: HTTP status, description and optional parameters."""

    def __init__(self, status: int, description: str, parameters: JsonDict | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> JsonDict:
        body: JsonDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad_request(description: str) -> BotApiError:
    return BotApiError(400, "Bad Request: " + description)


@dataclass(frozen=True)
class Upload:
    """A file uploaded with a request (multipart/form-data part)."""

    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"


@dataclass(frozen=True)
class OutgoingAction:
    """One successful call by the bot that changed something.

    ``text`` is the message text or caption (or the callback answer's text); ``message_id`` the
    message created or targeted; ``params`` every parameter after decoding, uploads as bytes.
    """

    method: str
    chat_id: int | None
    message_id: int | None
    text: str | None
    parse_mode: str | None
    reply_markup: JsonDict | None
    params: JsonDict


@dataclass(frozen=True)
class StoredMessage:
    """The latest version of a message the bot sent, as a user's screen shows it.

    ``text`` is the text or caption exactly as sent (HTML included); ``kind`` is "text",
    "photo" or "document"; ``json`` is the Bot API Message object Telegram returned.
    """

    message_id: int
    text: str | None
    parse_mode: str | None
    reply_markup: JsonDict | None
    edited: bool = False
    kind: str = "text"
    json: JsonDict = field(default_factory=dict, repr=False)

    @property
    def visible_text(self) -> str:
        """The text as the user reads it: the parsed text Telegram stored."""
        return str(self.json.get("text", self.json.get("caption", self.text or "")))

    @property
    def buttons(self) -> list[JsonDict]:
        """The inline keyboard's buttons, row by row flattened (empty without a keyboard)."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [button for row in rows for button in row]


@dataclass
class _Fault:
    method: str | None  # lower-case, None = any method
    status: int
    description: str
    retry_after: int | None
    remaining: int


@dataclass
class _Chat:
    info: JsonDict
    next_message_id: int = 1
    bot_messages: dict[int, StoredMessage] = field(default_factory=dict)
    user_messages: dict[int, JsonDict] = field(default_factory=dict)

    def new_message_id(self) -> int:
        # Telegram numbers a private chat's messages together, whoever sent them.
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass(frozen=True)
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str  # what getFile returns; "" for file_ids the bot brought along
    content: bytes
    filename: str = ""


Handler = Callable[["LocalBotApi", JsonDict, Mapping[str, Upload]], Any]


def normalize_params(params: Mapping[str, Any]) -> JsonDict:
    """Decode parameters the way Telegram does when they arrive as strings (form or multipart).

    Values already of the right type (from JSON bodies or in-process calls) pass through.
    """
    result: JsonDict = {}
    for key, value in params.items():
        if isinstance(value, str):
            value = _decode_string_param(key, value)
        result[key] = value
    return result


def _decode_string_param(key: str, value: str) -> Any:
    if key in _INT_FIELDS and re.fullmatch(r"-?\d+", value):
        return int(value)
    if key in _NUMBER_FIELDS:
        try:
            return int(value) if re.fullmatch(r"-?\d+", value) else float(value)
        except ValueError:
            return value
    if key in _BOOL_FIELDS and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if key in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            return value  # left as a string, so validation refuses it like Telegram
    return value


class LocalBotApi:
    """A thread-safe, in-memory Telegram Bot API; see the module docstring.

    Public state for assertions: ``sent`` (successful actions), ``rejected`` (calls refused as
    invalid: ``(method, params, description)``) and ``failed`` (expected failures: blocked chats,
    injected faults and flood refusals, ``(method, params, status, description)``);
    ``sent_per_chat`` counts the copyMessage copies each chat received (see :meth:`duplicates`).

    ``flood_limit`` (messages per second, all chats together) makes the sending methods
    (``flood_methods``, by default :data:`SENDING_METHODS`) answer 429 with
    ``retry_after`` = :data:`FLOOD_RETRY_AFTER` once more than that many arrived within the last
    second, and keep answering 429 until that wait is over, as Telegram does; ``flooded``
    counts those answers. Without it nothing is ever refused for flooding.

    ``record=False`` keeps no transcript and no queue: ``sent`` stays empty (listeners still
    hear every action, as it happens) and the updates users cause are returned but not queued
    for ``getUpdates``. For benchmarks that hand updates to the bot themselves: a transcript
    of a long run (every call's parameters, keyboards included) grows the process's heap, and
    the garbage collector then walks it again and again while the bot runs, which is the
    fake's cost, not the bot's. Rejected and failed calls are still recorded.

    ``copies=False`` makes no private copies on the hot path: the parameters of a call, the
    messages kept as each chat's screen and the updates users cause share their parts with one
    another and with the caller, so nothing may change them once given (the throughput
    benchmark never does, and python-telegram-bot copies what it parses). Every call is
    checked and answered as with copies; the copying, the fake's work, no longer weighs on the
    process the bot runs in.
    """

    def __init__(
        self,
        bot_id: int = 100000,
        username: str = "outreach_test_bot",
        first_name: str = "Outreach Bot",
        *,
        flood_limit: float | None = None,
        flood_methods: Iterable[str] = SENDING_METHODS,
        record: bool = True,
        copies: bool = True,
    ) -> None:
        self.record = record
        self._copy: Callable[[Any], Any] = _copied if copies else _as_is
        self.bot_user: JsonDict = {
            "id": bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.sent: list[OutgoingAction] = []
        self.rejected: list[tuple[str, JsonDict, str]] = []
        self.failed: list[tuple[str, JsonDict, int, str]] = []
        self.webhook_url = ""
        self.webhook_secret_token: str | None = None
        self.commands: dict[tuple[str, str], list[JsonDict]] = {}
        self.descriptions: dict[tuple[str, str], str] = {}
        self.menu_buttons: dict[int | None, JsonDict] = {}
        self._lock = threading.Lock()
        self._updates_ready = threading.Condition(self._lock)
        self._chats: dict[int, _Chat] = {}
        self._blocked: set[int] = set()
        self._faults: list[_Fault] = []
        self._pending: list[JsonDict] = []
        self._allowed_updates: frozenset[str] | None = None  # None = Telegram's default set
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._open_queries: set[str] = set()
        self._files: dict[str, _StoredFile] = {}
        self._listeners: list[Callable[[OutgoingAction], None]] = []
        self.flood_limit = flood_limit
        self._flood_methods = frozenset(m.lower() for m in flood_methods)
        self._flood_window: collections.deque[float] = collections.deque()
        self._flood_until = 0.0
        self.flooded = 0
        self.sent_per_chat: collections.Counter[int] = collections.Counter()

    # --- the API -----------------------------------------------------------------------------

    def call(
        self,
        method: str,
        params: Mapping[str, Any],
        files: Mapping[str, Upload] | None = None,
    ) -> tuple[int, JsonDict]:
        """Answer one Bot API call: ``(http_status, json_body)`` exactly as Telegram would.

        ``files`` are multipart uploads by part name; a parameter may also be raw ``bytes``.
        ``getUpdates`` never waits here; see :meth:`wait_for_updates`.
        """
        return self._answered(method, params, files, _copied)

    def call_encoded(
        self,
        method: str,
        params: Mapping[str, Any],
        files: Mapping[str, Upload] | None = None,
    ) -> tuple[int, bytes]:
        """:meth:`call`, with the body as the UTF-8 JSON bytes Telegram sends: encoded while
        the call still holds the lock, so no private copy of it is needed."""
        return self._answered(method, params, files, lambda body: json.dumps(body).encode())

    def _answered(
        self,
        method: str,
        params: Mapping[str, Any],
        files: Mapping[str, Upload] | None,
        finish: Callable[[JsonDict], _T],
    ) -> tuple[int, _T]:
        """Make the call and ``finish`` its body while holding the lock; then tell the
        listeners of what was sent."""
        with self._lock:
            status, body, action = self._call_locked(method, params, files or {})
            finished = finish(body)
        if action is not None:
            for listener in list(self._listeners):
                listener(action)
        return status, finished

    def _call_locked(
        self, method: str, raw_params: Mapping[str, Any], files: Mapping[str, Upload]
    ) -> tuple[int, JsonDict, OutgoingAction | None]:
        # A private copy of the parameters (unless made without copies): callers may reuse or
        # mutate their dicts afterwards (the answer is copied or encoded by the caller, still
        # under the lock).
        params = normalize_params(self._copy(dict(raw_params)))
        name, handler = _HANDLERS.get(method.lower(), (method, _unknown_method))
        fault = self._take_fault(method)
        if fault is not None:
            self.failed.append((name, _snapshot(params), fault.status, fault.description))
            return fault.status, fault.body(), None
        if self.flood_limit is not None and name.lower() in self._flood_methods:
            flood = self._flood_check()
            if flood is not None:
                self.flooded += 1
                self.failed.append((name, _snapshot(params), flood.status, flood.description))
                return flood.status, flood.body(), None
        try:
            result = handler(self, params, files)
        except BotApiError as exc:
            if exc.status == 403:
                self.failed.append((name, _snapshot(params), exc.status, exc.description))
            else:
                self.rejected.append((name, _snapshot(params), exc.description))
            return exc.status, exc.body(), None
        action = None
        if name not in _READ_ONLY:
            # Without a transcript nothing keeps the action past its listeners: the call's own
            # parameters serve them.
            action = _action(name, params, result, snapshot=self.record)
            if self.record:
                self.sent.append(action)
            if name == "copyMessage" and action.chat_id is not None:
                self.sent_per_chat[action.chat_id] += 1
        return 200, {"ok": True, "result": result}, action  # copied or encoded by the caller

    def _flood_check(self) -> BotApiError | None:
        """Count one sending call against the limit; the refusal if it is over (lock held)."""
        assert self.flood_limit is not None
        now = time.monotonic()
        refusal = BotApiError(
            429,
            f"Too Many Requests: retry after {FLOOD_RETRY_AFTER}",
            {"retry_after": FLOOD_RETRY_AFTER},
        )
        if now < self._flood_until:
            return refusal
        window = self._flood_window
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= self.flood_limit:
            self._flood_until = now + FLOOD_RETRY_AFTER
            return refusal
        window.append(now)
        return None

    # --- fault injection and test controls ---------------------------------------------------

    def block_chat(self, chat_id: int) -> None:
        """Make every call for ``chat_id`` fail with 403, as after the user blocked the bot."""
        with self._lock:
            self._blocked.add(chat_id)

    def unblock_chat(self, chat_id: int) -> None:
        with self._lock:
            self._blocked.discard(chat_id)

    def fail_next(
        self,
        method: str | None,
        status: int,
        description: str,
        retry_after: int | None = None,
        count: int = 1,
    ) -> None:
        """Make the next ``count`` calls of ``method`` (any method if None) fail this way.

        With ``retry_after`` the body carries ``parameters.retry_after``, as Telegram's 429 does.
        """
        with self._lock:
            key = method.lower() if method else None
            self._faults.append(_Fault(key, status, description, retry_after, count))

    def clear(self) -> None:
        """Forget the recordings (sent, rejected, failed, copies per chat, flood count); chats
        and their screens stay."""
        with self._lock:
            self.sent.clear()
            self.rejected.clear()
            self.failed.clear()
            self.sent_per_chat.clear()
            self.flooded = 0

    def duplicates(self) -> int:
        """Copies beyond the first that any chat received through copyMessage."""
        with self._lock:
            return sum(count - 1 for count in self.sent_per_chat.values() if count > 1)

    def subscribe(self, listener: Callable[[OutgoingAction], None]) -> None:
        """Call ``listener`` after each recorded action (from the calling thread, unlocked)."""
        with self._lock:
            self._listeners.append(listener)

    def messages(self, chat_id: int) -> list[StoredMessage]:
        """The bot's messages in ``chat_id`` still on screen, latest versions, oldest first."""
        with self._lock:
            chat = self._chats.get(chat_id)
            return sorted(chat.bot_messages.values(), key=lambda m: m.message_id) if chat else []

    def last_message(self, chat_id: int) -> StoredMessage | None:
        messages = self.messages(chat_id)
        return messages[-1] if messages else None

    def is_blocked(self, chat_id: int) -> bool:
        with self._lock:
            return chat_id in self._blocked

    def file_content(self, file_path: str) -> bytes | None:
        """The bytes behind a ``getFile`` ``file_path``, or None if unknown."""
        with self._lock:
            for stored in self._files.values():
                if stored.file_path == file_path:
                    return stored.content
        return None

    def summary(self, limit: int = 15) -> str:
        """A readable digest of the latest actions and refusals, for assertion messages."""
        with self._lock:
            sent, rejected = list(self.sent[-limit:]), list(self.rejected[-limit:])
            total = len(self.sent)
        lines = [f"{total} action(s) recorded; the last {len(sent)}:"]
        for action in sent:
            where = f" chat={action.chat_id}" if action.chat_id is not None else ""
            text = f" {action.text!r}" if action.text is not None else ""
            lines.append(f"  {action.method}{where} msg={action.message_id}{text}")
        if rejected:
            lines.append("rejected calls:")
            lines.extend(f"  {method}: {description}" for method, _, description in rejected)
        return "\n".join(lines)

    # --- updates -----------------------------------------------------------------------------

    def wait_for_updates(self, timeout: float) -> None:
        """Block until an update is pending or ``timeout`` seconds pass (for long polling)."""
        with self._updates_ready:
            self._updates_ready.wait_for(lambda: bool(self._pending), timeout)

    def pending_updates(self) -> list[JsonDict]:
        """Updates queued and not yet confirmed by getUpdates."""
        with self._lock:
            return _copied(self._pending)

    def user_event(self, update: Mapping[str, Any]) -> JsonDict:
        """Queue a hand-made update, giving it the next ``update_id``; returns it."""
        with self._lock:
            body = {k: _copied(v) for k, v in update.items() if k != "update_id"}
            return self._enqueue(body)

    def user_message(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str = "Ana",
        language_code: str | None = "en",
        chat_type: str = "private",
        chat_id: int | None = None,
    ) -> JsonDict:
        """A user writes ``text``; commands ("/start x") get a bot_command entity."""
        with self._lock:
            user = _user_json(user_id, first_name, language_code)
            chat = self._user_chat(user, chat_type, chat_id)
            content: JsonDict = {"text": text}
            if text.startswith("/"):
                command = text.split(maxsplit=1)[0]
                length = telegram_length(command)
                content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
            message = self._incoming_message(chat, user, content)
            return self._enqueue({"message": message}, fresh=True)

    def group_message(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        *,
        first_name: str = "Ana",
        language_code: str | None = "en",
        chat_type: str = "group",
    ) -> JsonDict:
        """A user writes in a group (or supergroup) the bot is in."""
        return self.user_message(
            user_id,
            text,
            first_name=first_name,
            language_code=language_code,
            chat_type=chat_type,
            chat_id=chat_id,
        )

    def user_edited_message(
        self,
        user_id: int,
        message_id: int,
        text: str,
        *,
        first_name: str = "Ana",
        language_code: str | None = "en",
    ) -> JsonDict:
        """A user edits their earlier private message ``message_id`` to read ``text``."""
        with self._lock:
            user = _user_json(user_id, first_name, language_code)
            chat = self._user_chat(user, "private", None)
            original = chat.user_messages.get(message_id)
            message: JsonDict = {
                "message_id": message_id,
                "date": original["date"] if original else _now(),
                "chat": chat.info,
                "from": user,
                "text": text,
                "edit_date": _now(),
            }
            chat.user_messages[message_id] = message
            return self._enqueue({"edited_message": _copied(message)})

    def user_sticker(
        self,
        user_id: int,
        *,
        emoji: str = "👍",
        first_name: str = "Ana",
        language_code: str | None = "en",
    ) -> JsonDict:
        """A user sends a sticker."""
        with self._lock:
            user = _user_json(user_id, first_name, language_code)
            chat = self._user_chat(user, "private", None)
            stored = self._store_file("stickers", "sticker.webp", b"fake sticker")
            sticker = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
                "emoji": emoji,
            }
            content = {"sticker": sticker}
            return self._enqueue({"message": self._incoming_message(chat, user, content)})

    def user_photo(
        self,
        user_id: int,
        *,
        caption: str | None = None,
        first_name: str = "Ana",
        language_code: str | None = "en",
    ) -> JsonDict:
        """A user sends a photo (with an optional caption)."""
        with self._lock:
            user = _user_json(user_id, first_name, language_code)
            chat = self._user_chat(user, "private", None)
            stored = self._store_file("photos", "photo.jpg", b"fake photo")
            content: JsonDict = {"photo": [_photo_size(stored, 90), _photo_size(stored, 800)]}
            if caption is not None:
                content["caption"] = caption
            return self._enqueue({"message": self._incoming_message(chat, user, content)})

    def user_press(
        self,
        user_id: int,
        message_id: int,
        data: str,
        *,
        language_code: str | None = "en",
        first_name: str = "Ana",
    ) -> JsonDict:
        """A user presses a callback button carrying ``data`` under bot message ``message_id``.

        The update carries the message as currently on screen; an unknown id gives the
        "inaccessible message" Telegram sends for messages older than 48 hours.
        """
        with self._lock:
            user = _user_json(user_id, first_name, language_code)
            chat = self._user_chat(user, "private", None)
            stored = chat.bot_messages.get(message_id)
            message = (
                self._copy(stored.json)
                if stored
                else {"chat": dict(chat.info), "message_id": message_id, "date": 0}
            )
            query = {
                "id": self._new_query_id(),
                "from": user,
                "chat_instance": f"ci{user_id}",
                "message": message,
                "data": data,
            }
            return self._enqueue({"callback_query": query}, fresh=True)

    def user_press_button(
        self,
        user_id: int,
        label: str,
        *,
        message_id: int | None = None,
        language_code: str | None = "en",
        first_name: str = "Ana",
    ) -> JsonDict:
        """Press the callback button labelled ``label`` on ``message_id`` (default: the newest
        message showing such a button). Raises LookupError listing the labels on screen."""
        candidates = [
            m for m in reversed(self.messages(user_id)) if message_id in (None, m.message_id)
        ]
        for message in candidates:
            for button in message.buttons:
                if button.get("text") == label and "callback_data" in button:
                    return self.user_press(
                        user_id,
                        message.message_id,
                        button["callback_data"],
                        language_code=language_code,
                        first_name=first_name,
                    )
        labels = [b.get("text") for m in candidates for b in m.buttons if "callback_data" in b]
        raise LookupError(f"no callback button {label!r} on screen; buttons: {labels}")

    def user_blocks_bot(self, user_id: int, *, first_name: str = "Ana") -> JsonDict:
        """The user blocks the bot: a my_chat_member update, and the chat starts refusing."""
        with self._lock:
            self._blocked.add(user_id)
            return self._membership_change(user_id, first_name, "member", "kicked")

    def user_unblocks_bot(self, user_id: int, *, first_name: str = "Ana") -> JsonDict:
        """The user unblocks the bot again."""
        with self._lock:
            self._blocked.discard(user_id)
            return self._membership_change(user_id, first_name, "kicked", "member")

    def channel_post(self, chat_id: int, text: str, *, title: str = "Test channel") -> JsonDict:
        """A post in a channel where the bot is an administrator."""
        with self._lock:
            chat = self._chat(chat_id)
            chat.info = {"id": chat_id, "type": "channel", "title": title}
            message_id = chat.new_message_id()
            post: JsonDict = {
                "message_id": message_id,
                "date": _now(),
                "chat": chat.info,
                "sender_chat": chat.info,
                "text": text,
            }
            chat.user_messages[message_id] = post
            return self._enqueue({"channel_post": _copied(post)})

    def inline_query(
        self,
        user_id: int,
        query: str,
        *,
        offset: str = "",
        first_name: str = "Ana",
        language_code: str | None = "en",
    ) -> JsonDict:
        """A user types ``@bot query`` in some chat."""
        with self._lock:
            inline = {
                "id": self._new_query_id(),
                "from": _user_json(user_id, first_name, language_code),
                "query": query,
                "offset": offset,
                "chat_type": "sender",
            }
            return self._enqueue({"inline_query": inline})

    # --- internals: state (all called with the lock held) ------------------------------------

    def _take_fault(self, method: str) -> BotApiError | None:
        for fault in self._faults:
            if fault.method in (None, method.lower()):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                parameters = {"retry_after": fault.retry_after} if fault.retry_after else None
                return BotApiError(fault.status, fault.description, parameters)
        return None

    def _enqueue(self, body: JsonDict, *, fresh: bool = False) -> JsonDict:
        """Queue the update ``body`` (unless nothing is recorded) and return it. A ``fresh``
        body shares nothing with this fake's state, so it is returned as it is; any other is
        returned as a private copy."""
        update = {"update_id": next(self._update_ids), **body}
        for kind in ("callback_query", "inline_query"):
            if isinstance(update.get(kind), dict) and "id" in update[kind]:
                self._open_queries.add(str(update[kind]["id"]))
        if self.record and self._update_allowed(update):
            self._pending.append(_copied(update))
            self._updates_ready.notify_all()
        return update if fresh else _copied(update)

    def _update_allowed(self, update: JsonDict) -> bool:
        kinds = set(update) - {"update_id"}
        if self._allowed_updates is None:
            return not kinds & _OPT_IN_UPDATES
        return bool(kinds & self._allowed_updates)

    def _new_query_id(self) -> str:
        return f"{next(self._query_ids)}{int(time.time() * 1000) % 10**6}"

    def _chat(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = _Chat(info=_default_chat_info(chat_id))
            self._chats[chat_id] = chat
        return chat

    def _user_chat(self, user: JsonDict, chat_type: str, chat_id: int | None) -> _Chat:
        if chat_type == "private":
            if chat_id not in (None, user["id"]):
                raise ValueError("a private chat's id is the user's id")
            chat = self._chat(user["id"])
            chat.info = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
            return chat
        if chat_id is None:
            raise ValueError(f"a {chat_type} message needs a chat_id")
        chat = self._chat(chat_id)
        chat.info = {"id": chat_id, "type": chat_type, "title": f"Test {chat_type}"}
        return chat

    def _incoming_message(self, chat: _Chat, user: JsonDict, content: JsonDict) -> JsonDict:
        message = {
            "message_id": chat.new_message_id(),
            "date": _now(),
            "chat": chat.info,
            "from": user,
            **content,
        }
        chat.user_messages[message["message_id"]] = message
        return self._copy(message)

    def _membership_change(self, user_id: int, first_name: str, old: str, new: str) -> JsonDict:
        user = _user_json(user_id, first_name, None)
        chat = self._user_chat(user, "private", None)
        change = {
            "chat": chat.info,
            "from": user,
            "date": _now(),
            "old_chat_member": _member(self.bot_user, old),
            "new_chat_member": _member(self.bot_user, new),
        }
        return self._enqueue({"my_chat_member": change})

    def _store_file(self, folder: str, filename: str, content: bytes) -> _StoredFile:
        n = next(self._file_ids)
        suffix = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
        path = f"{folder}/file_{n}.{suffix}"
        stored = _StoredFile(f"file-{folder}-{n}", f"u{n}", path, content, filename)
        self._files[stored.file_id] = stored
        return stored

    def _check_chat(self, params: JsonDict, key: str = "chat_id") -> _Chat:
        chat_id = params.get(key)
        if chat_id is None or chat_id == "":
            raise _bad_request(f"{key} is empty")
        if not isinstance(chat_id, int) or isinstance(chat_id, bool):
            raise _bad_request("chat not found")
        return self._chat(chat_id)

    def _check_not_blocked(self, chat: _Chat) -> None:
        if chat.info["id"] in self._blocked:
            raise BotApiError(403, BLOCKED)

    def _bot_message(self, chat: _Chat, message_id: int, content: JsonDict) -> JsonDict:
        message: JsonDict = {"message_id": message_id, "date": _now(), "chat": chat.info}
        if chat.info.get("type") == "channel":
            message["sender_chat"] = chat.info
        else:
            message["from"] = self.bot_user
        message.update(content)
        return message

    def _store_bot_message(
        self,
        chat: _Chat,
        content: JsonDict,
        *,
        text: str | None,
        parse_mode: str | None,
        reply_markup: JsonDict | None,
        kind: str,
    ) -> JsonDict:
        message = self._bot_message(chat, chat.new_message_id(), content)
        if reply_markup and "inline_keyboard" in reply_markup:
            # Message.reply_markup only ever carries inline keyboards.
            message["reply_markup"] = reply_markup
        chat.bot_messages[message["message_id"]] = StoredMessage(
            message_id=message["message_id"],
            text=text,
            parse_mode=parse_mode,
            reply_markup=reply_markup,
            kind=kind,
            json=self._copy(message),
        )
        return message

    def _resolve_file(
        self, params: JsonDict, files: Mapping[str, Upload], key: str, folder: str
    ) -> tuple[JsonDict, _StoredFile]:
        """Find the file the bot sent as ``key``: an upload, attach://name, file_id or URL.

        Returns the recorded parameter value (bytes for uploads) and the stored file.
        """
        value = params.get(key)
        upload: Upload | None = None
        if value is None and key in files:
            upload = files[key]
        elif isinstance(value, bytes):
            upload = Upload(key, value)
        elif isinstance(value, Upload):
            upload = value
        elif isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
        elif isinstance(value, str) and value:
            stored = self._files.get(value) or _StoredFile(value, f"u-{value}", "", b"")
            return {key: value}, stored
        if upload is None:
            raise _bad_request(f"there is no {key} in the request")
        stored = self._store_file(folder, upload.filename, upload.content)
        return {key: upload.content}, stored


# --- validation -------------------------------------------------------------------------------


def _opt_str(params: JsonDict, key: str) -> str | None:
    value = params.get(key)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise _bad_request(f'field "{key}" must be of type String')


def _message_id(params: JsonDict) -> int:
    value = params.get("message_id")
    if value is None:
        raise _bad_request("message identifier is not specified")
    if not isinstance(value, int) or isinstance(value, bool):
        raise _bad_request("invalid message identifier specified")
    return value


def _parse_mode(params: JsonDict) -> str | None:
    mode = _opt_str(params, "parse_mode")
    if not mode:
        return None
    if mode.lower() not in ("html", "markdown", "markdownv2"):
        raise _bad_request(f"unsupported parse_mode {mode!r}")
    return mode


def _parse_text(text: str, parse_mode: str | None) -> tuple[str, list[JsonDict]]:
    """The visible text and entities Telegram would store for ``text``."""
    if parse_mode and parse_mode.lower() == "html":
        visible, entities, error = _html_verdict(text)
        if error is not None:
            raise _bad_request(f"can't parse entities: {error}")
        return visible, [dict(entity) for entity in entities]  # the caller's own copies
    return text, []  # Markdown syntax is not checked here; the bot uses HTML


@functools.lru_cache(maxsize=4096)
def _html_verdict(text: str) -> tuple[str, tuple[JsonDict, ...], str | None]:
    """What :func:`parse_html` makes of ``text`` — its visible text and entities, or why it
    refuses it — worked out once per distinct text. A bot sends the same menus and cards over
    and over; parsing them again each time is Telegram's work, not the bot's, and it made up
    a tenth of what the throughput benchmark counted. Every distinct text is still checked."""
    try:
        parsed = parse_html(text)
    except HtmlParseError as exc:
        return "", (), str(exc)
    return parsed.text, tuple(parsed.entities), None


def _check_message_text(
    params: JsonDict, key: str = "text", entities_key: str = "entities"
) -> tuple[str, list[JsonDict]]:
    text = _opt_str(params, key) or ""
    visible, entities = _parse_text(text, _parse_mode(params))
    if not visible.strip():
        raise _bad_request("message text is empty")
    if telegram_length(visible) > MAX_TEXT_LENGTH:
        raise _bad_request("message is too long")
    return visible, _explicit_entities(params, entities_key) or entities


def _check_caption(params: JsonDict) -> tuple[str, list[JsonDict]] | None:
    caption = _opt_str(params, "caption")
    if caption is None:
        return None
    visible, entities = _parse_text(caption, _parse_mode(params))
    if telegram_length(visible) > MAX_CAPTION_LENGTH:
        raise _bad_request("message caption is too long")
    return visible, _explicit_entities(params, "caption_entities") or entities


def _explicit_entities(params: JsonDict, key: str) -> list[JsonDict]:
    entities = params.get(key)
    if entities is None:
        return []
    if not isinstance(entities, list) or not all(isinstance(e, dict) for e in entities):
        raise _bad_request(f"can't parse {key} JSON object")
    return entities


def _text_content(visible: str, entities: list[JsonDict], key: str = "text") -> JsonDict:
    content: JsonDict = {key: visible}
    if entities:
        content["entities" if key == "text" else "caption_entities"] = entities
    return content


def _check_reply_markup(value: Any, *, inline_only: bool = False) -> JsonDict | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BotApiError(400, _BAD_MARKUP)
    if "inline_keyboard" in value:
        _check_inline_keyboard(value["inline_keyboard"])
    elif inline_only:
        raise _bad_request("reply markup must be an inline keyboard")
    elif "keyboard" in value:
        _check_reply_keyboard(value["keyboard"])
    elif value.get("remove_keyboard") is not True and value.get("force_reply") is not True:
        raise BotApiError(400, _BAD_MARKUP)
    return value


def _check_inline_keyboard(rows: Any) -> None:
    """Refuse an inline keyboard Telegram would refuse. A bot sends the same keyboards over and
    over: each distinct one (by its exact JSON values) is checked once, as HTML texts are."""
    try:
        encoded = marshal.dumps(rows)
    except ValueError:  # not JSON-like: checked as it is, and refused
        _check_inline_rows(rows)
        return
    refusal = _inline_keyboard_verdict(encoded)
    if refusal is not None:
        raise BotApiError(*refusal)


@functools.lru_cache(maxsize=4096)
def _inline_keyboard_verdict(encoded: bytes) -> tuple[int, str] | None:
    """Why Telegram refuses the keyboard ``encoded`` (marshal), as (status, description); None
    if it takes it."""
    try:
        _check_inline_rows(marshal.loads(encoded))  # noqa: S302 - our own bytes
    except BotApiError as exc:
        return exc.status, exc.description
    return None


def _check_inline_rows(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
        )
    if sum(len(row) for row in rows) > MAX_BUTTONS:
        raise _bad_request("reply markup is too long")
    for row in rows:
        for button in row:
            _check_inline_button(button)


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise BotApiError(400, _BAD_BUTTON + "InlineKeyboardButton must be an Object")
    text = button.get("text")
    if not isinstance(text, str):
        raise BotApiError(400, _BAD_BUTTON + 'Field "text" must be of type String')
    if not text.strip():
        raise _bad_request("BUTTON_TEXT_EMPTY")
    actions = [key for key in _INLINE_ACTIONS if key in button]
    if not actions:
        raise _bad_request("text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise BotApiError(
            400, _BAD_BUTTON + f"exactly one optional field must be used, got {actions}"
        )
    action, value = actions[0], button[actions[0]]
    if action == "callback_data":
        size = len(value.encode("utf-8")) if isinstance(value, str) else 0
        if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
            raise _bad_request("BUTTON_DATA_INVALID")
    elif action == "url":
        _check_button_url(value)
    elif action == "copy_text":
        copied = value.get("text") if isinstance(value, dict) else None
        if not isinstance(copied, str) or not 1 <= len(copied) <= MAX_COPY_TEXT_LENGTH:
            raise _bad_request("COPY_TEXT_INVALID")
    elif action in ("switch_inline_query", "switch_inline_query_current_chat"):
        if not isinstance(value, str):
            raise BotApiError(400, _BAD_BUTTON + f'Field "{action}" must be of type String')
    elif action == "switch_inline_query_chosen_chat" and not isinstance(value, dict):
        raise BotApiError(400, _BAD_BUTTON + f'Field "{action}" must be an Object')


def _check_button_url(url: Any) -> None:
    if not isinstance(url, str) or not url:
        raise BotApiError(400, _BAD_BUTTON + 'Field "url" must be of type String')
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme and scheme not in ("http", "https", "tg"):
        raise _bad_request(
            f"inline keyboard button URL '{url}' is invalid: unsupported URL protocol"
        )
    # Telegram reads a scheme-less URL as http://, so "example.org/x" is fine.
    host = parts.netloc if scheme else url.split("/", 1)[0]
    if scheme != "tg" and ("." not in host or " " in url):
        raise _bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


def _check_reply_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad_request(
            'field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
        )
    for row in rows:
        for button in row:
            text = button.get("text") if isinstance(button, dict) else button
            if not isinstance(text, str) or not text:
                raise _bad_request("can't parse keyboard button: Text must be non-empty")


def _inline_markup(markup: JsonDict | None) -> JsonDict | None:
    return markup if markup and "inline_keyboard" in markup else None


# --- method handlers (called with the lock held) ----------------------------------------------


def _unknown_method(api: LocalBotApi, params: JsonDict, files: Mapping[str, Upload]) -> Any:
    raise BotApiError(404, "Not Found")


def _get_me(api: LocalBotApi, params: JsonDict, files: Mapping[str, Upload]) -> Any:
    return _copied(api.bot_user)


def _ok(api: LocalBotApi, params: JsonDict, files: Mapping[str, Upload]) -> Any:
    return True


def _set_webhook(api: LocalBotApi, params: JsonDict, files: Mapping[str, Upload]) -> Any:
    url = _opt_str(params, "url") or ""
    if url and not url.lower().startswith("https://"):
        raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    api.webhook_url = url
    api.webhook_secret_token = _opt_str(params, "secret_token")
    if params.get("drop_pending_updates"):
        api._pending.clear()
    return True


def _delete_webhook(api: LocalBotApi, params: JsonDict, files: Mapping[str, Upload]) -> Any:
    api.webhook_url = ""
    api.webhook_secret_token = None
    if params.get("drop_pending_updates"):
        api._pending.clear()
    return True


def _get_webhook_info(api: LocalBotApi, params: JsonDict, files: Mapping[str, Upload]) -> Any:
    info: JsonDict = {
        "url": api.webhook_url,
        "has_custom_certificate": False,
        "pending_update_count": len(api._pending),
    }
    if api._allowed_updates is not None:
        info["allowed_updates"] = sorted(api._allowed_updates)
    return info


def _get_updates(api: LocalBotApi, params: JsonDict, files: Mapping[str, Upload]) -> Any:
    if api.webhook_url:
        raise BotApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    allowed = params.get("allowed_updates")
    if isinstance(allowed, list):
        # Like Telegram, the setting sticks; an empty list means "the default set".
        api._allowed_updates = frozenset(allowed) if allowed else None
    offset = params.get("offset") or 0
    limit = params.get("limit") or 100
    if not isinstance(offset, int) or not isinstance(limit, int):
        raise _bad_request("wrong parameter offset or limit specified")
    if offset < 0:
        # A negative offset keeps the last -offset updates and forgets the rest.
        del api._pending[: max(len(api._pending) + offset, 0)]
    elif offset > 0:
        # Asking from `offset` on confirms every update before it: they are gone for good.
        api._pending[:] = [u for u in api._pending if u["update_id"] >= offset]
    return _copied(api._pending[: max(1, min(limit, 100))])


def _send_message(api: LocalBotApi, params: JsonDict, files: Mapping[str, Upload]) -> Any:
    chat = api._check_chat(params)
    visible, entities = _check_message_text(params)
    markup = _check_reply_markup(params.get("reply_markup"))
    api._check_not_blocked(chat)
    return api._store_bot_message(
        chat,
        _text_content(visible, entities),
        text=_opt_str(params, "text"),
        parse_mode=_parse_mode(params),
        reply_markup=markup,
        kind="text",
    )


def _send_photo(api: LocalBotApi, params: JsonDict, files: Mapping[str, Upload]) -> Any:
    return _send_media(api, params, files, "photo")


def _send_document(api: LocalBotApi, params: JsonDict, files: Mapping[str, Upload]) -> Any:
    return _send_media(api, params, files, "document")


def _send_media(
    api: LocalBotApi, params: JsonDict, files: Mapping[str, Upload], kind: str
) -> JsonDict:
    chat = api._check_chat(params)
    caption = _check_caption(params)
    markup = _check_reply_markup(params.get("reply_markup"))
    recorded, stored = api._resolve_file(params, files, kind, kind + "s")
    api._check_not_blocked(chat)
    params.update(recorded)  # so OutgoingAction.params shows what arrived, bytes included
    content: JsonDict = _text_content(*caption, key="caption") if caption else {}
    if kind == "photo":
        content["photo"] = [_photo_size(stored, 1)]
    else:
        content["document"] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": stored.filename or "document",
            "mime_type": files[kind].mime_type if kind in files else "application/octet-stream",
            "file_size": len(stored.content),
        }
    return api._store_bot_message(
        chat,
        content,
        text=_opt_str(params, "caption"),
        parse_mode=_parse_mode(params),
        reply_markup=markup,
        kind=kind,
    )


def _copy_message(api: LocalBotApi, params: JsonDict, files: Mapping[str, Upload]) -> Any:
    chat = api._check_chat(params)
    from_chat_id = params.get("from_chat_id")
    if from_chat_id is None or from_chat_id == "":
        raise _bad_request("from_chat_id is empty")
    if not isinstance(from_chat_id, int) or isinstance(from_chat_id, bool):
        raise _bad_request("chat not found")
    message_id = _message_id(params)
    source_chat = api._chats.get(from_chat_id)
    if source_chat is None:
        # A chat this fake never saw (an organizer's chat in a test that skipped sending the
        # original): its messages are unknown here, so any message id is accepted.
        source: JsonDict | None = {"text": f"[copy of message {message_id}]"}
    else:
        stored = source_chat.bot_messages.get(message_id)
        source = stored.json if stored else source_chat.user_messages.get(message_id)
    if source is None:
        raise _bad_request("message to copy not found")
    markup = _check_reply_markup(params.get("reply_markup"))
    caption = _check_caption(params)
    api._check_not_blocked(chat)
    content = {
        k: _copied(v)
        for k, v in source.items()
        if k in ("text", "entities", "caption", "caption_entities", "photo", "document", "sticker")
    }
    if caption is not None:
        content.pop("caption_entities", None)
        content.update(_text_content(*caption, key="caption"))
    text = content.get("text", content.get("caption"))
    kind = next((k for k in ("photo", "document", "sticker") if k in content), "text")
    message = api._store_bot_message(
        chat, content, text=text, parse_mode=None, reply_markup=markup, kind=kind
    )
    return {"message_id": message["message_id"]}


def _message_to_edit(api: LocalBotApi, params: JsonDict) -> tuple[_Chat, StoredMessage]:
    chat = api._check_chat(params)
    message_id = _message_id(params)
    stored = chat.bot_messages.get(message_id)
    if stored is None:
        if message_id in chat.user_messages:
            raise _bad_request("message can't be edited")
        raise _bad_request("message to edit not found")
    return chat, stored


def _edit_message_text(api: LocalBotApi, params: JsonDict, files: Mapping[str, Upload]) -> Any:
    if params.get("inline_message_id"):
        _check_message_text(params)
        _check_reply_markup(params.get("reply_markup"), inline_only=True)
        return True  # Telegram answers True for messages sent via inline mode
    chat, stored = _message_to_edit(api, params)
    if stored.kind != "text":
        raise _bad_request("there is no text in the message to edit")
    visible, entities = _check_message_text(params)
    markup = _check_reply_markup(params.get("reply_markup"), inline_only=True)
    api._check_not_blocked(chat)
    old = stored.json
    # Telegram compares what it would store; a missing reply_markup removes the keyboard.
    if (visible, entities, markup) == (
        old.get("text"),
        old.get("entities", []),
        _inline_markup(stored.reply_markup),
    ):
        raise BotApiError(400, NOT_MODIFIED)
    content = _text_content(visible, entities)
    return _replace_bot_message(
        api,
        chat,
        stored,
        content,
        text=_opt_str(params, "text"),
        parse_mode=_parse_mode(params),
        reply_markup=markup,
    )


def _edit_message_reply_markup(
    api: LocalBotApi, params: JsonDict, files: Mapping[str, Upload]
) -> Any:
    if params.get("inline_message_id"):
        _check_reply_markup(params.get("reply_markup"), inline_only=True)
        return True
    chat, stored = _message_to_edit(api, params)
    markup = _check_reply_markup(params.get("reply_markup"), inline_only=True)
    api._check_not_blocked(chat)
    if markup == _inline_markup(stored.reply_markup):
        raise BotApiError(400, NOT_MODIFIED)
    envelope = ("message_id", "date", "chat", "from", "sender_chat")
    content = {k: v for k, v in stored.json.items() if k not in envelope}
    content.pop("reply_markup", None)
    content.pop("edit_date", None)
    return _replace_bot_message(
        api,
        chat,
        stored,
        content,
        text=stored.text,
        parse_mode=stored.parse_mode,
        reply_markup=markup,
    )


def _replace_bot_message(
    api: LocalBotApi,
    chat: _Chat,
    stored: StoredMessage,
    content: JsonDict,
    *,
    text: str | None,
    parse_mode: str | None,
    reply_markup: JsonDict | None,
) -> JsonDict:
    message = api._bot_message(chat, stored.message_id, content)
    message["date"] = stored.json["date"]
    message["edit_date"] = _now()
    if reply_markup is not None:
        message["reply_markup"] = reply_markup
    chat.bot_messages[stored.message_id] = replace(
        stored,
        text=text,
        parse_mode=parse_mode,
        reply_markup=reply_markup,
        edited=True,
        json=api._copy(message),
    )
    return message


def _delete_message(api: LocalBotApi, params: JsonDict, files: Mapping[str, Upload]) -> Any:
    chat = api._check_chat(params)
    message_id = _message_id(params)
    api._check_not_blocked(chat)
    # The bot may delete its own messages and, in private chats, the user's too.
    deleted_bot = chat.bot_messages.pop(message_id, None)
    deleted_user = chat.user_messages.pop(message_id, None)
    if deleted_bot is None and deleted_user is None:
        raise _bad_request("message to delete not found")
    return True


def _answer_callback_query(api: LocalBotApi, params: JsonDict, files: Mapping[str, Upload]) -> Any:
    query_id = _opt_str(params, "callback_query_id")
    text = _opt_str(params, "text") or ""
    if len(text) > MAX_CALLBACK_ANSWER_LENGTH:
        raise _bad_request("MESSAGE_TOO_LONG")
    _close_query(api, query_id)
    return True


def _close_query(api: LocalBotApi, query_id: str | None) -> None:
    # Each query can be answered once; after that Telegram treats its id as invalid.
    if query_id not in api._open_queries:
        raise BotApiError(400, QUERY_INVALID)
    api._open_queries.discard(query_id)


def _answer_inline_query(api: LocalBotApi, params: JsonDict, files: Mapping[str, Upload]) -> Any:
    results = params.get("results")
    if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
        raise _bad_request("can't parse results JSON object")
    if len(results) > MAX_INLINE_RESULTS:
        raise _bad_request("RESULTS_TOO_MUCH")
    seen: set[str] = set()
    for result in results:
        result_id = result.get("id")
        if not isinstance(result_id, str) or not (
            1 <= len(result_id.encode("utf-8")) <= MAX_INLINE_RESULT_ID_BYTES
        ):
            raise _bad_request("RESULT_ID_INVALID")
        if result_id in seen:
            raise _bad_request("RESULT_ID_DUPLICATE")
        seen.add(result_id)
        content = result.get("input_message_content")
        if isinstance(content, dict) and "message_text" in content:
            _check_message_text(content, key="message_text")
        _check_reply_markup(result.get("reply_markup"), inline_only=True)
    _close_query(api, _opt_str(params, "inline_query_id"))
    return True


def _scope_key(params: JsonDict) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), _opt_str(params, "language_code") or ""


def _set_my_commands(api: LocalBotApi, params: JsonDict, files: Mapping[str, Upload]) -> Any:
    commands = params.get("commands")
    if not isinstance(commands, list) or not all(isinstance(c, dict) for c in commands):
        raise _bad_request("can't parse commands JSON object")
    if len(commands) > MAX_COMMANDS:
        raise _bad_request("too many commands specified")
    for command in commands:
        name, description = command.get("command"), command.get("description")
        if not isinstance(name, str) or not _COMMAND_RE.fullmatch(name):
            raise _bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
            raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    api.commands[_scope_key(params)] = _copied(commands)
    return True


def _delete_my_commands(api: LocalBotApi, params: JsonDict, files: Mapping[str, Upload]) -> Any:
    api.commands.pop(_scope_key(params), None)
    return True


def _get_my_commands(api: LocalBotApi, params: JsonDict, files: Mapping[str, Upload]) -> Any:
    return _copied(api.commands.get(_scope_key(params), []))


def _set_description(key: str, limit: int) -> Handler:
    def handler(api: LocalBotApi, params: JsonDict, files: Mapping[str, Upload]) -> Any:
        text = _opt_str(params, key) or ""
        if len(text) > limit:
            raise _bad_request(f"{key.replace('_', ' ')} is too long")
        api.descriptions[(key, _opt_str(params, "language_code") or "")] = text
        return True

    return handler


def _get_description(key: str) -> Handler:
    def handler(api: LocalBotApi, params: JsonDict, files: Mapping[str, Upload]) -> Any:
        return {key: api.descriptions.get((key, _opt_str(params, "language_code") or ""), "")}

    return handler


def _set_chat_menu_button(api: LocalBotApi, params: JsonDict, files: Mapping[str, Upload]) -> Any:
    button = params.get("menu_button") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in ("commands", "web_app", "default"):
        raise _bad_request("can't parse menu button JSON object")
    chat_id = params.get("chat_id")
    api.menu_buttons[chat_id if isinstance(chat_id, int) else None] = _copied(button)
    return True


def _get_chat_menu_button(api: LocalBotApi, params: JsonDict, files: Mapping[str, Upload]) -> Any:
    chat_id = params.get("chat_id")
    key = chat_id if isinstance(chat_id, int) else None
    return _copied(api.menu_buttons.get(key) or {"type": "default"})


def _send_chat_action(api: LocalBotApi, params: JsonDict, files: Mapping[str, Upload]) -> Any:
    chat = api._check_chat(params)
    if _opt_str(params, "action") not in _CHAT_ACTIONS:
        raise _bad_request("wrong parameter action in request")
    api._check_not_blocked(chat)
    return True


def _get_file(api: LocalBotApi, params: JsonDict, files: Mapping[str, Upload]) -> Any:
    stored = api._files.get(_opt_str(params, "file_id") or "")
    if stored is None:
        raise _bad_request("invalid file_id")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.content),
        "file_path": stored.file_path,
    }


_HANDLER_LIST: dict[str, Handler] = {
    "getMe": _get_me,
    "logOut": _ok,
    "close": _ok,
    "setWebhook": _set_webhook,
    "deleteWebhook": _delete_webhook,
    "getWebhookInfo": _get_webhook_info,
    "getUpdates": _get_updates,
    "sendMessage": _send_message,
    "sendPhoto": _send_photo,
    "sendDocument": _send_document,
    "copyMessage": _copy_message,
    "editMessageText": _edit_message_text,
    "editMessageReplyMarkup": _edit_message_reply_markup,
    "deleteMessage": _delete_message,
    "answerCallbackQuery": _answer_callback_query,
    "answerInlineQuery": _answer_inline_query,
    "setMyCommands": _set_my_commands,
    "deleteMyCommands": _delete_my_commands,
    "getMyCommands": _get_my_commands,
    "setMyDescription": _set_description("description", MAX_DESCRIPTION_LENGTH),
    "getMyDescription": _get_description("description"),
    "setMyShortDescription": _set_description("short_description", MAX_SHORT_DESCRIPTION_LENGTH),
    "getMyShortDescription": _get_description("short_description"),
    "setChatMenuButton": _set_chat_menu_button,
    "getChatMenuButton": _get_chat_menu_button,
    "sendChatAction": _send_chat_action,
    "getFile": _get_file,
}
# Telegram matches method names case-insensitively; keep the canonical spelling for records.
_HANDLERS: dict[str, tuple[str, Handler]] = {
    name.lower(): (name, handler) for name, handler in _HANDLER_LIST.items()
}


# --- small builders ---------------------------------------------------------------------------


def _now() -> int:
    return int(time.time())


def _snapshot(params: JsonDict) -> JsonDict:
    return _copied(params)


def _as_is(value: _T) -> _T:
    return value


def _copied(value: _T) -> _T:
    """A private copy of JSON-like data. A marshal round trip (in C) gives what copy.deepcopy
    gives for dicts, lists, strings and numbers, several times faster (and a third faster than
    pickle): the copies made for every call and update are most of this fake's cost, which
    benchmarks count along with the bot's. pickle, then deepcopy, for what marshal refuses
    (any other object)."""
    copied: _T
    try:
        copied = marshal.loads(marshal.dumps(value))  # noqa: S302 - our own bytes
        return copied
    except ValueError:
        pass
    try:
        copied = pickle.loads(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))  # noqa: S301 - our own bytes
    except (pickle.PicklingError, TypeError, AttributeError):
        return copy.deepcopy(value)
    return copied


def _user_json(user_id: int, first_name: str, language_code: str | None) -> JsonDict:
    user: JsonDict = {"id": user_id, "is_bot": False, "first_name": first_name}
    if language_code:
        user["language_code"] = language_code
    return user


def _default_chat_info(chat_id: int) -> JsonDict:
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": "User"}
    kind = "supergroup" if str(chat_id).startswith("-100") else "group"
    return {"id": chat_id, "type": kind, "title": f"Chat {chat_id}"}


def _member(user: JsonDict, status: str) -> JsonDict:
    member: JsonDict = {"user": user, "status": status}
    if status == "kicked":
        member["until_date"] = 0  # 0 = banned forever, which is what blocking looks like
    return member


def _photo_size(stored: _StoredFile, size: int) -> JsonDict:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "width": size,
        "height": size,
        "file_size": len(stored.content),
    }


def _action(method: str, params: JsonDict, result: Any, *, snapshot: bool) -> OutgoingAction:
    chat_id = params.get("chat_id")
    message_id = result.get("message_id") if isinstance(result, dict) else None
    if message_id is None:
        message_id = params.get("message_id")
    text = params.get("text", params.get("caption"))
    markup = params.get("reply_markup")
    return OutgoingAction(
        method=method,
        chat_id=chat_id if isinstance(chat_id, int) else None,
        message_id=message_id if isinstance(message_id, int) else None,
        text=text if isinstance(text, str) else None,
        parse_mode=_opt_str(params, "parse_mode"),
        reply_markup=markup if isinstance(markup, dict) else None,
        params=_snapshot(params) if snapshot else params,
    )


# --- PTB transport ----------------------------------------------------------------------------

_FILE_PATH_RE: Final = re.compile(r"/file/bot[^/]*/(.+)$")


class LocalRequest(BaseRequest):
    """A python-telegram-bot transport that talks to a :class:`LocalBotApi` in-process.

    ``Bot(token, request=LocalRequest(api), get_updates_request=LocalRequest(api))`` gives a bot
    that behaves as if connected to Telegram. ``getUpdates`` honours its ``timeout`` by polling
    the queue in small async steps, so the event loop keeps running.

    ``latency`` (seconds, default 0: answered at once) is the network round trip Telegram's
    answers take: each call waits half of it before it reaches the API and half before its answer
    comes back, with ``asyncio.sleep``, so the bot's other updates run meanwhile, as they do
    while a real request is on the wire.
    """

    __slots__ = ("_api", "_latency", "_poll_interval", "_read_timeout")

    def __init__(
        self,
        api: LocalBotApi,
        read_timeout: float = 5.0,
        poll_interval: float = 0.01,
        *,
        latency: float = 0.0,
    ) -> None:
        if latency < 0:
            raise ValueError(f"latency must be 0 or more seconds, not {latency}")
        self._api = api
        self._read_timeout = read_timeout
        self._poll_interval = poll_interval
        self._latency = latency

    @property
    def api(self) -> LocalBotApi:
        return self._api

    @property
    def read_timeout(self) -> float:
        return self._read_timeout

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
        if not self._latency:
            return await self._answer(url, request_data)
        await asyncio.sleep(self._latency / 2)  # the request on its way to Telegram
        answer = await self._answer(url, request_data)
        await asyncio.sleep(self._latency / 2)  # the answer on its way back
        return answer

    async def _answer(self, url: str, request_data: RequestData | None) -> tuple[int, bytes]:
        path = urlsplit(url).path
        file_match = _FILE_PATH_RE.search(path)
        if file_match:
            return self._download(file_match.group(1))
        api_method = path.rsplit("/", 1)[-1]
        params: JsonDict = dict(request_data.parameters) if request_data else {}
        files = _uploads(request_data)
        if api_method.lower() == "getupdates":
            status, body = await self._get_updates(params)
            return status, json.dumps(body).encode("utf-8")
        return self._api.call_encoded(api_method, params, files)

    async def _get_updates(self, params: JsonDict) -> tuple[int, JsonDict]:
        timeout = params.get("timeout") or 0
        deadline = time.monotonic() + (float(timeout) if isinstance(timeout, int | float) else 0)
        while True:
            status, body = self._api.call("getUpdates", params)
            if status != 200 or body["result"] or time.monotonic() >= deadline:
                return status, body
            await asyncio.sleep(self._poll_interval)

    def _download(self, file_path: str) -> tuple[int, bytes]:
        content = self._api.file_content(file_path)
        if content is None:
            body = {"ok": False, "error_code": 404, "description": "Not Found"}
            return 404, json.dumps(body).encode("utf-8")
        return 200, content


def local_transports(api: LocalBotApi, *, latency: float = 0.0) -> dict[str, BaseRequest]:
    """``build_application``'s three transports (replies, updates, the broadcast sender), each
    a :class:`LocalRequest` over ``api`` with the given round trip ``latency`` (seconds):
    ``build_application(config, content, **local_transports(api))`` never reaches the
    network."""
    return {
        "request": LocalRequest(api, latency=latency),
        "updates_request": LocalRequest(api, latency=latency),
        "broadcast_request": LocalRequest(api, latency=latency),
    }


def _uploads(request_data: RequestData | None) -> dict[str, Upload]:
    if request_data is None or not request_data.contains_files:
        return {}
    uploads: dict[str, Upload] = {}
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        data = content if isinstance(content, bytes) else content.read()
        uploads[name] = Upload(filename, data, mime_type)
    return uploads
