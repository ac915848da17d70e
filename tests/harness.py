"""Drive the real Application over the in-memory Bot API, as a Telegram user would."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from bot.config import Config, Secret, load_config
from bot.content import Content
from bot.deliveries import Queued, queue_letter
from bot.letters import DraftChoices
from bot.storage import Storage
from bot.telegram.app import build_application, process, start_in_process, stop_in_process
from bot.telegram.context import BotApp
from bot.telegram.local_api import LocalBotApi, LocalRequest, StoredMessage

REPO = Path(__file__).resolve().parents[1]
CONTENT_DIR = REPO / "content"
TOKEN = "123456:TEST-token_value"


# Telegram answers these for a double tap or an old message; the bot handles them by design
# (nothing to change, or a new message instead of an edit). Anything else is an invalid request.
STALE_STATE_ERRORS = (
    "message to edit not found",
    "specified new message content and reply markup are exactly the same as a current "
    "content and reply markup of the message",
)


class Clock:
    """A settable clock for the database: ``now`` in unix seconds, ``at(day)`` noon UTC."""

    def __init__(self, now: float = 1_778_846_400.0) -> None:  # 2026-05-15 12:00 UTC
        self.now = now

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
    app = build_application(config, content, request=LocalRequest(api))
    await start_in_process(app)
    harness = Harness(app=app, api=api, startup_actions=list(api.sent))
    api.clear()  # tests look at what the bot says to users
    return harness


async def stop_harness(harness: Harness) -> None:
    await stop_in_process(harness.app)


__all__ = ["CONTENT_DIR", "TOKEN", "Harness", "Secret", "make_config", "start_harness"]


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
