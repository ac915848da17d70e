"""What the tests share: the real bot, driven as a Telegram user would, in-process or as a
process; a settable clock; the repository's own files.

* :class:`Harness` runs the real Application over the in-memory Bot API
  (``tests/fakes/local_api.py``); :func:`running_bot` starts and stops one, and checks that it
  sent nothing Telegram would have rejected.
* :class:`BotProcess` runs the real ``outreach-bot run`` process against the fake Bot API
  server (``tests/fakes/botapi_server.py``).
* :class:`Clock` is a clock the database can be given, set by hand.

Fixtures built on these are in ``conftest.py``. No test imports another test module: what two
need lives here.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest

from bot.config import Config, load_config
from bot.content import Content
from bot.deliveries import Queued, queue_letter
from bot.letters import DraftChoices
from bot.storage import Storage
from bot.telegram.app import build_application, process, start_in_process, stop_in_process
from bot.telegram.context import BotApp
from tests.fakes.botapi_server import FakeBotApiServer
from tests.fakes.local_api import LocalBotApi, StoredMessage, local_transports

REPO = Path(__file__).resolve().parents[1]
CONTENT_DIR = REPO / "content"
TOKEN = "123456:TEST-token_value"
ORGANIZER = 424242  # the organizer of ``org_bot`` (conftest.py)
CLOCK_START = 1_778_846_400  # 2026-05-15T12:00:00Z, where a Clock starts


# Telegram answers these for a double tap or an old message; the bot handles them by design
# (nothing to change, or a new message instead of an edit). Anything else is an invalid request.
STALE_STATE_ERRORS = (
    "message to edit not found",
    "specified new message content and reply markup are exactly the same as a current "
    "content and reply markup of the message",
)


class Clock:
    """A settable clock for the database: ``now`` in unix seconds, ``at(day)`` noon UTC."""

    def __init__(self, now: float = CLOCK_START) -> None:
        self.now = float(now)

    def __call__(self) -> float:
        return self.now

    def at(self, day: date) -> None:
        self.now = datetime.combine(day, time(12), UTC).timestamp()

    def advance(self, days: float) -> None:
        self.now += days * 86400


def invalid_requests(api: LocalBotApi) -> list[tuple[str, dict[str, Any], str]]:
    """Requests Telegram would have rejected, other than the stale-state answers above."""
    return [r for r in api.rejected if not r[2].endswith(STALE_STATE_ERRORS)]


def make_config(tmp_path: Path, **overrides: Any) -> Config:
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "OUTREACH_DB": str(tmp_path / "bot.sqlite3"),
        "OUTREACH_CONTENT": str(CONTENT_DIR),
    }
    # The in-memory Bot API allows any rate unless a test gives it a flood limit: the bot's
    # send budget is opened to its maximum, so that tests do not wait on Telegram's 30/s.
    overrides.setdefault("send_limit", 1000.0)
    return replace(load_config(env), **overrides)


@dataclass
class Harness:
    """One running bot and helpers to talk to it as user ``user_id``."""

    app: BotApp
    api: LocalBotApi
    user_id: int = 1001
    language_code: str | None = "en"
    first_name: str = "Ana"
    startup_actions: list[Any] = field(default_factory=list)

    @property
    def storage(self) -> Storage:
        return self.app.bot_data.storage

    @property
    def content(self) -> Content:
        return self.app.bot_data.content

    async def feed(self, update: dict[str, Any]) -> None:
        await process(self.app, update)

    async def send(self, text: str, *, user_id: int | None = None, **kw: Any) -> StoredMessage:
        """Send ``text`` as the user; return the bot's latest message in that chat."""
        uid = user_id or self.user_id
        kw.setdefault("language_code", self.language_code)
        kw.setdefault("first_name", self.first_name)
        await self.feed(self.api.user_message(uid, text, **kw))
        return self.last(uid)

    def last(self, user_id: int | None = None) -> StoredMessage:
        message = self.api.last_message(user_id or self.user_id)
        assert message is not None, "the bot sent nothing"
        return message

    def buttons(self, message: StoredMessage | None = None) -> list[dict[str, Any]]:
        message = message or self.last()
        markup = message.reply_markup or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]

    def button_labels(self, message: StoredMessage | None = None) -> list[str]:
        return [b["text"] for b in self.buttons(message)]

    async def press(self, label_part: str, *, user_id: int | None = None) -> StoredMessage:
        """Press the button of the latest message whose label contains ``label_part``."""
        uid = user_id or self.user_id
        message = self.last(uid)
        matches = [b for b in self.buttons(message) if label_part in b["text"]]
        assert matches, f"no button {label_part!r} in {self.button_labels(message)}"
        data = matches[0].get("callback_data")
        assert data, f"button {label_part!r} is not a callback button"
        return await self.press_data(data, message_id=message.message_id, user_id=uid)

    async def press_data(
        self, data: str, *, message_id: int | None = None, user_id: int | None = None
    ) -> StoredMessage:
        """Press a button with arbitrary callback data (for forged and stale presses)."""
        uid = user_id or self.user_id
        if message_id is None:
            message_id = self.last(uid).message_id
        await self.feed(
            self.api.user_press(uid, message_id, data, language_code=self.language_code)
        )
        return self.last(uid)


async def start_harness(
    config: Config, content: Content, api: LocalBotApi | None = None
) -> Harness:
    api = api or LocalBotApi()
    app = build_application(config, content, **local_transports(api))
    await start_in_process(app)
    harness = Harness(app=app, api=api, startup_actions=list(api.sent))
    api.clear()  # tests look at what the bot says to users
    return harness


async def stop_harness(harness: Harness) -> None:
    await stop_in_process(harness.app)


@asynccontextmanager
async def running_bot(
    config: Config, content: Content, api: LocalBotApi | None = None
) -> AsyncIterator[Harness]:
    """A started bot, stopped afterwards; then it must not have sent anything Telegram would
    have rejected (unless the block failed already)."""
    harness = await start_harness(config, content, api)
    try:
        yield harness
    finally:
        await stop_harness(harness)
    invalid = invalid_requests(harness.api)
    assert not invalid, f"Telegram would have rejected: {invalid}"


def db(bot: Harness, sql: str, *params: object) -> list[tuple[Any, ...]]:
    """Rows of the bot's database, read beside the bot's own connection."""
    with sqlite3.connect(bot.app.bot_data.config.db_path) as conn:
        return conn.execute(sql, params).fetchall()


async def to_story(bot: Harness, content: Content) -> None:
    """Walk the comment guide to the story step, in the user's language: the first role, the
    first reason."""
    lang = bot.language_code or "en"
    await bot.send("/comment")
    await bot.press(content.text("button.start_guide", lang))
    await bot.press(next(iter(content.letter.roles.values())).label.get(lang))
    await bot.press(next(iter(content.letter.talking_points.values())).label.get(lang))
    await bot.press(content.text("button.next_step", lang))


# -- the bot's screens, whichever way it runs ------------------------------------------------------


def shows(message: StoredMessage | None, text: str) -> bool:
    """Whether ``message`` contains ``text``, as sent (HTML) or as the user reads it."""
    return message is not None and (text in (message.text or "") or text in message.visible_text)


def press_button(api: LocalBotApi, user_id: int, message: StoredMessage, label_part: str) -> None:
    """Queue the update of ``user_id`` pressing the first button of ``message`` whose label
    contains ``label_part``."""
    data = next(b["callback_data"] for b in message.buttons if label_part in b["text"])
    api.user_press(user_id, message.message_id, data)


# -- the real process ------------------------------------------------------------------------------


def outreach_bot_command() -> list[str]:
    """The installed console script, as a user would run it."""
    script = Path(sys.executable).with_name("outreach-bot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


BOT_SETTINGS = ("OUTREACH_", "TELEGRAM_")  # what the bot's settings are named


def bot_environment(**settings: str) -> dict[str, str]:
    """This process's environment without the bot's settings the machine may have, plus
    ``settings``: for a process of the bot."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(BOT_SETTINGS)}
    return {**kept, **settings}


def clear_bot_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove the bot's settings the machine may have from this process's environment, for
    the length of a test: for the bot run in-process."""
    for name in list(os.environ):
        if name.startswith(BOT_SETTINGS):
            monkeypatch.delenv(name)


def record_calls(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[Any]:
    """Wrap ``owner.name`` (a module's function) for the test: each call's first argument is
    appended to the returned list, then the function runs as before."""
    calls: list[Any] = []
    original = getattr(owner, name)

    def recording(first: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(first)
        return original(first, *args, **kwargs)

    monkeypatch.setattr(owner, name, recording)
    return calls


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class BotProcess:
    """``outreach-bot run`` against the fake Bot API ``server``, its database and log in
    ``tmp_path``, logging at DEBUG; ``env`` adds or overrides settings."""

    def __init__(self, server: FakeBotApiServer, tmp_path: Path, **env: str) -> None:
        self.log_path = tmp_path / "bot.log"
        settings = {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": server.url,
            "OUTREACH_DB": str(tmp_path / "e2e.sqlite3"),
            "OUTREACH_CONTENT": str(CONTENT_DIR),
            "OUTREACH_LOG_LEVEL": "DEBUG",
        }
        environment = bot_environment(**{**settings, **env})
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [*outreach_bot_command(), "run"],
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, as in a crash."""
        self.proc.kill()
        self.proc.wait(timeout=20)
        self._log.close()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self._log.close()
        return code

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


# -- the repository --------------------------------------------------------------------------------


def dockerfile_stages(path: Path) -> list[list[tuple[str, str]]]:
    """A Dockerfile's instructions, stage by stage: (KEYWORD, arguments), continuations joined,
    comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    found: list[list[tuple[str, str]]] = []
    for line in map(str.strip, text.splitlines()):
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if keyword.upper() == "FROM":
            found.append([])
        found[-1].append((keyword.upper(), " ".join(rest.split())))
    return found


def copied_sources() -> list[str]:
    """The paths of the repository the image is built from (its COPY instructions)."""
    return [
        source
        for stage in dockerfile_stages(REPO / "Dockerfile")
        for keyword, arguments in stage
        if keyword == "COPY" and not arguments.startswith("--from")
        for source in arguments.split()[:-1]
    ]


# -- letters ---------------------------------------------------------------------------------------


def letter_choices(content: Content, seed: int = 7, **changes: Any) -> DraftChoices:
    """A sender's choices: the first role, two reasons, a story, a name and a place."""
    values: dict[str, Any] = {
        "seed": seed,
        "role": next(iter(content.letter.roles)),
        "reasons": tuple(content.letter.talking_points)[:2],
        "story": "We have lived on Elm Street for twenty years.",
        "sign_name": "José Núñez",
        "sign_place": "Austin, TX",
    }
    return DraftChoices(**(values | changes))


async def queue_sample_letter(
    storage: Storage,
    content: Content,
    user_id: int,
    lang: str = "en",
    notify: bool = False,
    **changes: Any,
) -> Queued:
    """Record the user and queue their letter for the campaign to deliver."""
    await storage.touch_user(user_id, lang)
    return await queue_letter(
        storage,
        content.letter,
        user_id=user_id,
        language=lang,
        choices=letter_choices(content, **changes),
        notify=notify,
        source="flyer-tx",
    )
