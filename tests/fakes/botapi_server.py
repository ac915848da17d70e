"""A fake Telegram Bot API server on 127.0.0.1, for end-to-end tests of the real bot process.

It owns only the HTTP side: routing ``/bot{token}/{method}`` and ``/file/bot{token}/{path}``,
decoding JSON, form and multipart bodies, and long polling for ``getUpdates``. What each method
does is decided by :class:`tests.fakes.local_api.LocalBotApi`, shared with in-process tests.
Point the bot at ``server.url`` (``TELEGRAM_API_URL``). It only ever binds to 127.0.0.1.

Besides the refusals :meth:`LocalBotApi.fail_next` injects, the server itself can misbehave the
way a network does: :meth:`FakeBotApiServer.delay_next` answers late (a slow server),
:meth:`FakeBotApiServer.drop_next` closes the connection without an answer (before or after the
call took effect).
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes.local_api import LocalBotApi, StoredMessage, Upload, normalize_params

HOST = "127.0.0.1"
_API_PATH = re.compile(r"^/bot(?P<token>[^/]*)/(?P<method>[A-Za-z]+)/?$")
_FILE_PATH = re.compile(r"^/file/bot(?P<token>[^/]*)/(?P<path>.+)$")
_NOT_FOUND = {"ok": False, "error_code": 404, "description": "Not Found"}
# How often a waiting long poll checks whether the server is stopping.
_POLL_STEP = 0.2


class DroppedConnection(Exception):
    """Raised inside the server to close the connection without sending any answer."""


@dataclass
class _NetworkFault:
    method: str  # lower-case API method name
    seconds: float  # how long the call (or, after_call, its answer) is held
    drop: bool  # close the connection instead of answering
    after_call: bool  # the call takes effect first; only the answer is held or lost
    remaining: int


class FakeBotApiServer:
    """A :class:`LocalBotApi` behind HTTP on an ephemeral port, served from a daemon thread."""

    def __init__(self, api: LocalBotApi | None = None) -> None:
        self.api = api or LocalBotApi()
        self.token_seen: set[str] = set()
        self.calls: list[str] = []  # API method names in order of arrival
        self.errors: list[str] = []  # crashes inside the fake itself (answered with 500)
        self.delayed: list[str] = []  # methods whose request or answer was held, in order
        self.dropped: list[str] = []  # methods whose connection was closed unanswered
        self._network_faults: list[_NetworkFault] = []
        self._faults_lock = threading.Lock()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._released = threading.Event()  # release_held() ends every hold at once

    @property
    def url(self) -> str:
        """The Bot API root, e.g. ``http://127.0.0.1:PORT``."""
        if self._httpd is None:
            raise RuntimeError("the server is not running")
        return f"http://{HOST}:{self._httpd.server_address[1]}"

    def start(self) -> FakeBotApiServer:
        if self._httpd is not None:
            return self
        self._stopping.clear()
        self._httpd = _Server((HOST, 0), _Handler, self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},  # how fast stop() is noticed
            name="fake-bot-api",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._stopping.set()  # lets waiting long polls return at their next step
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> FakeBotApiServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def delay_next(
        self, method: str, seconds: float, count: int = 1, *, after_call: bool = False
    ) -> None:
        """Answer the next ``count`` calls of ``method`` ``seconds`` late, like a slow server.

        The call is held before it takes effect (a held ``getUpdates`` confirms nothing yet);
        with ``after_call`` it takes effect at once and only its answer is late. A stopping
        server stops holding.
        """
        self._add_fault(_NetworkFault(method.lower(), seconds, False, after_call, count))

    def drop_next(
        self, method: str, count: int = 1, *, after_call: bool = False, delay: float = 0.0
    ) -> None:
        """Close the connection of the next ``count`` calls of ``method`` without an answer,
        after holding it ``delay`` seconds.

        The call never takes effect, unless ``after_call``: then it takes effect (a message is
        delivered, updates are confirmed) and only the answer is lost on the way back.
        """
        self._add_fault(_NetworkFault(method.lower(), delay, True, after_call, count))

    def release_held(self) -> None:
        """End every hold of :meth:`delay_next` now, and answer held calls at once from then on
        (a test that must act while a call is held holds it long, then releases it)."""
        self._released.set()

    def pending_network_faults(self) -> int:
        """How many injected delays and drops have not happened yet."""
        with self._faults_lock:
            return sum(fault.remaining for fault in self._network_faults)

    def _add_fault(self, fault: _NetworkFault) -> None:
        if fault.remaining < 1:
            raise ValueError("count must be at least 1")
        with self._faults_lock:
            self._network_faults.append(fault)

    def _take_network_fault(self, method: str) -> _NetworkFault | None:
        with self._faults_lock:
            for fault in self._network_faults:
                if fault.method == method.lower():
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._network_faults.remove(fault)
                    return fault
        return None

    def wait_for(
        self,
        predicate: Callable[[LocalBotApi], bool],
        timeout: float = 10.0,
        *,
        what: str = "condition",
    ) -> None:
        """Poll until ``predicate(api)`` holds; on timeout fail with what the bot did."""
        deadline = time.monotonic() + timeout
        while not predicate(self.api):
            if time.monotonic() >= deadline:
                raise AssertionError(f"{what} not met within {timeout}s\n{self.describe()}")
            time.sleep(0.01)

    def wait_for_message(self, chat_id: int, contains: str, timeout: float = 10.0) -> StoredMessage:
        """Wait until a bot message on ``chat_id``'s screen contains ``contains`` (in its text as
        sent or as displayed); return the newest such message."""
        found: list[StoredMessage] = []

        def has_message(api: LocalBotApi) -> bool:
            found[:] = [
                m
                for m in api.messages(chat_id)
                if contains in (m.text or "") or contains in m.visible_text
            ]
            return bool(found)

        self.wait_for(has_message, timeout, what=f"a message in chat {chat_id} with {contains!r}")
        return found[-1]

    def describe(self) -> str:
        """What happened so far, for assertion messages."""
        lines = [self.api.summary()]
        if self.token_seen:
            lines.append(f"tokens seen: {sorted(self.token_seen)}")
        lines.append(f"last calls: {self.calls[-10:]}")
        if self.errors:
            lines.append("server errors:")
            lines.extend(f"  {error}" for error in self.errors)
        return "\n".join(lines)

    # --- request handling (server threads) ---------------------------------------------------

    def handle_api(
        self, token: str, method: str, params: dict[str, Any], files: dict[str, Upload]
    ) -> tuple[int, dict[str, Any]]:
        self.token_seen.add(token)
        self.calls.append(method)
        fault = self._take_network_fault(method)
        if fault is not None and not fault.after_call:
            self._misbehave(method, fault)
        if method.lower() == "getupdates":
            answer = self._long_poll(normalize_params(params))
        else:
            answer = self.api.call(method, params, files)
        if fault is not None and fault.after_call:
            self._misbehave(method, fault)
        return answer

    def _misbehave(self, method: str, fault: _NetworkFault) -> None:
        """Hold the request, then drop it if asked (a server thread; the test goes on)."""
        if fault.seconds > 0:
            self.delayed.append(method)
            deadline = time.monotonic() + fault.seconds
            # A stopping server stops holding, and so does release_held().
            while not (self._stopping.is_set() or self._released.is_set()):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._stopping.wait(min(left, 0.05))
        if fault.drop:
            self.dropped.append(method)
            raise DroppedConnection(method)

    def _long_poll(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        # Like Telegram: answer at once if anything is pending, else hold the request open
        # until an update arrives or `timeout` seconds pass.
        timeout = params.get("timeout")
        wait = float(timeout) if isinstance(timeout, int | float) else 0.0
        deadline = time.monotonic() + wait
        while True:
            status, body = self.api.call("getUpdates", params)
            remaining = deadline - time.monotonic()
            if status != 200 or body["result"] or remaining <= 0 or self._stopping.is_set():
                return status, body
            self.api.wait_for_updates(min(remaining, _POLL_STEP))

    def file_content(self, token: str, path: str) -> bytes | None:
        self.token_seen.add(token)
        return self.api.file_content(path)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Benchmarks open many connections at once; the default backlog of 5 resets some of them.
    request_queue_size = 512
    # A long poll may be mid-wait at shutdown; do not block on it.
    block_on_close = False

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        fake: FakeBotApiServer,
    ) -> None:
        self.fake = fake
        super().__init__(address, handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that went away mid-answer (a killed bot) is normal here; report the rest."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging; ``FakeBotApiServer.calls`` records requests."""

    def _dispatch(self) -> None:
        fake = self.server.fake
        try:
            self._route(fake)
        except DroppedConnection:
            # No status line, no headers: the client sees the connection close unanswered.
            self.close_connection = True
        except Exception as exc:  # the fake must answer, and the test must see why it broke
            fake.errors.append(f"{self.command} {self.path}: {exc!r}")
            body = {"ok": False, "error_code": 500, "description": f"Internal error: {exc!r}"}
            self._send_json(500, body)

    def _route(self, fake: FakeBotApiServer) -> None:
        url = urlsplit(self.path)
        path = unquote(url.path)  # PTB percent-encodes file download paths ("123%3Aabc")
        file_match = _FILE_PATH.match(path)
        if file_match and self.command == "GET":
            content = fake.file_content(file_match["token"], file_match["path"])
            if content is None:
                self._send_json(404, _NOT_FOUND)
            else:
                self._send(200, "application/octet-stream", content)
            return
        api_match = _API_PATH.match(path)
        if api_match is None:
            self._send_json(404, _NOT_FOUND)
            return
        params, files = _parse_query(url.query)
        if self.command == "POST":
            body_params, files = self._parse_body()
            params.update(body_params)
        status, body = fake.handle_api(api_match["token"], api_match["method"], params, files)
        self._send_json(status, body)

    def _parse_body(self) -> tuple[dict[str, Any], dict[str, Upload]]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        content_type = self.headers.get("Content-Type", "")
        media_type = content_type.split(";", 1)[0].strip().lower()
        if not raw:
            return {}, {}
        if media_type == "application/json":
            decoded = json.loads(raw)
            return (decoded if isinstance(decoded, dict) else {}), {}
        if media_type == "multipart/form-data":
            return _parse_multipart(content_type, raw)
        return _parse_query(raw.decode("utf-8"))

    def _send_json(self, status: int, body: dict[str, Any]) -> None:
        self._send(status, "application/json", json.dumps(body).encode("utf-8"))

    def _send(self, status: int, content_type: str, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def _parse_query(query: str) -> tuple[dict[str, Any], dict[str, Upload]]:
    """Form or query-string parameters; values stay strings (LocalBotApi decodes by field)."""
    pairs = parse_qs(query, keep_blank_values=True)
    return {key: values[-1] for key, values in pairs.items()}, {}


def _parse_multipart(content_type: str, raw: bytes) -> tuple[dict[str, Any], dict[str, Upload]]:
    """Split multipart/form-data into text fields and uploaded files."""
    envelope = f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    message = BytesParser(policy=HTTP).parsebytes(envelope)
    params: dict[str, Any] = {}
    files: dict[str, Upload] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is None:
            params[name] = data.decode(part.get_content_charset() or "utf-8")
        else:
            files[name] = Upload(filename, data, part.get_content_type())
    return params, files
