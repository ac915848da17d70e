"""Property-based fuzzing of the real Application: any update in, only valid requests out.

Each test builds one bot (the real ``Application`` over the in-memory Bot API, as the ``bot``
fixture does) and feeds it hypothesis-generated updates: any text and Unicode, every command the
bot knows (and unknown ones) with any arguments, forged and stale callback data, every update
type python-telegram-bot knows, private, group, supergroup and channel chats, any
``language_code``, the organizer and supporters, and random walks over the buttons the bot
actually shows. After every example two things must hold:

* no exception reached the error handler, and nothing was logged at ERROR by the bot's or
  python-telegram-bot's loggers;
* Telegram would have accepted every request the bot made (``invalid_requests(api) == []``:
  text length, HTML that parses, callback data of at most 64 bytes, https/tg button URLs).

Hypothesis profiles, registered here and applied to this module's tests only:

* ``ci`` (the default): 100 examples a test, no deadline, derandomized so CI is reproducible
  (the same examples every run: more of them buys time, not coverage, so the deep search is
  the ``long`` profile's job);
* ``long``: 5,000 random examples a test, for a deeper search before a release::

      .venv/bin/python -m pytest -q tests/test_fuzz.py                      # ci
      OUTREACH_FUZZ=long .venv/bin/python -m pytest -q tests/test_fuzz.py   # long

Hypothesis and function-scoped async fixtures do not mix, so every test starts its bot itself
(``start_harness``) on an ``asyncio.Runner`` and runs each example on that loop; each example
begins by forgetting the fuzzed users, so examples do not depend on one another.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import Update

from bot.content import Content, load_content
from bot.render import check_rendered
from bot.telegram.app import BUTTONS, COMMANDS, ORGANIZER_COMMANDS
from bot.telegram_html import telegram_length
from tests.harness import (
    CONTENT_DIR,
    Harness,
    invalid_requests,
    make_config,
    start_harness,
    stop_harness,
)

T = TypeVar("T")

_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=_HEALTH,
)
settings.register_profile("long", max_examples=5_000, deadline=None, suppress_health_check=_HEALTH)
PROFILE = "long" if os.environ.get("OUTREACH_FUZZ", "").strip().lower() == "long" else "ci"
FUZZ = settings.get_profile(PROFILE)

ORGANIZER = 424242
SUPPORTER = 5001
FRIEND = 5002
FUZZED_USERS = (SUPPORTER, FRIEND, ORGANIZER)
GROUP = -4242
SUPERGROUP = -1004242
CHANNEL = -1009999
BOT_USERNAME = "outreach_test_bot"  # LocalBotApi's default getMe
BOT_ID = 100000


# -- the bot under test ------------------------------------------------------------------------


class _ErrorRecords(logging.Handler):
    """Collects ERROR records from the bot's, python-telegram-bot's, asyncio's (a background
    task that failed) and the job scheduler's loggers."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.split(".")[0] in ("bot", "telegram", "asyncio", "apscheduler"):
            self.lines.append(f"{record.name}: {record.getMessage()}")


@dataclass(frozen=True)
class Who:
    """The Telegram user behind an update."""

    user_id: int
    language_code: str | None = "en"
    first_name: str = "Ana"


class FuzzBot:
    """One running bot for a whole test function; each example runs on its event loop."""

    def __init__(self, tmp_path: Path, content: Content) -> None:
        self._runner = asyncio.Runner()
        config = make_config(tmp_path, organizers=frozenset({ORGANIZER}))
        self.harness: Harness = self._runner.run(start_harness(config, content))
        self.api = self.harness.api
        self.errors: list[str] = []
        self.harness.app.add_error_handler(self._record_error)
        self._log = _ErrorRecords()
        logging.getLogger().addHandler(self._log)

    async def _record_error(self, update: object, ctx: Any) -> None:
        self.errors.append(f"{type(ctx.error).__name__}: {ctx.error}")

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self._runner.run(coroutine)

    def close(self) -> None:
        try:
            self.run(stop_harness(self.harness))
        finally:
            self._runner.close()
            logging.getLogger().removeHandler(self._log)

    def problems(self) -> list[str]:
        """Errors and refused requests since the last call, then forget them."""
        found = [*self.errors, *self._log.lines]
        found += [f"{method} refused: {why} {params}" for method, params, why in self.refused()]
        self.errors.clear()
        self._log.lines.clear()
        self.api.clear()
        return found

    def refused(self) -> list[tuple[str, dict[str, Any], str]]:
        """Requests Telegram would have refused (stale-state answers excepted)."""
        return invalid_requests(self.api)

    def assert_clean(self, what: object = "") -> None:
        problems = self.problems()
        assert not problems, f"{what!r}:\n" + "\n".join(problems)

    # -- between examples ----------------------------------------------------------------------

    async def settle(self) -> None:
        """Let a broadcast the last step started finish, so the next step sees a quiet bot."""
        services = self.harness.app.bot_data
        while await services.outbox.active():
            services.broadcasts.finished.clear()
            if not await services.outbox.active():
                break
            await asyncio.wait_for(services.broadcasts.finished.wait(), timeout=60)

    async def reset(self) -> None:
        """Forget the fuzzed users and every broadcast: each example starts from scratch."""
        await self.settle()
        storage = self.harness.storage
        for user_id in FUZZED_USERS:
            await storage.forget_user(user_id)
        await storage.write("DELETE FROM broadcasts")
        for user_id in FUZZED_USERS:
            self.api.unblock_chat(user_id)
            for message in self.api.messages(user_id):  # a clean screen: walks draw from it
                self.api.call(
                    "deleteMessage", {"chat_id": user_id, "message_id": message.message_id}
                )
        self.problems()

    # -- acting as a user ----------------------------------------------------------------------

    async def feed(self, update: dict[str, Any]) -> None:
        await self.harness.feed(update)
        await self.settle()

    async def send(
        self, who: Who, text: str, chat_type: str = "private", chat_id: int | None = None
    ) -> None:
        update = self.api.user_message(
            who.user_id,
            text,
            first_name=who.first_name,
            language_code=who.language_code,
            chat_type=chat_type,
            chat_id=chat_id,
        )
        await self.feed(update)

    async def press(
        self, who: Who, data: str, message_id: int | tuple[str, int] | None = None
    ) -> None:
        on_screen = self.api.messages(who.user_id)
        if message_id is None or isinstance(message_id, tuple):
            back = message_id[1] if isinstance(message_id, tuple) else 0
            message_id = on_screen[-1 - back % len(on_screen)].message_id if on_screen else 10**7
        update = self.api.user_press(
            who.user_id,
            message_id,
            data,
            language_code=who.language_code,
            first_name=who.first_name,
        )
        await self.feed(update)

    async def play(self, who: Who, steps: tuple[tuple[str, str], ...]) -> None:
        for kind, value in steps:
            if kind == "send":
                await self.send(who, value)
            elif kind == "tap":  # the on-screen button whose data matches the pattern
                on_screen = [d for _, d in self.buttons_on_screen(who.user_id)]
                await self.press(who, next(d for d in on_screen if fnmatch(d, value)))
            else:
                await self.press(who, value)

    def buttons_on_screen(self, user_id: int) -> list[tuple[int, str]]:
        """(message id, callback data) of every callback button on the user's screen, newest
        message first."""
        found = []
        for message in reversed(self.api.messages(user_id)):
            for button in message.buttons:
                if "callback_data" in button:
                    found.append((message.message_id, str(button["callback_data"])))
        return found


@contextlib.contextmanager
def fuzz_bot(tmp_path: Path, content: Content) -> Iterator[FuzzBot]:
    bot = FuzzBot(tmp_path, content)
    try:
        yield bot
    finally:
        bot.close()
    leftovers = bot.problems()
    assert not leftovers, "at shutdown:\n" + "\n".join(leftovers)


# -- strategies ----------------------------------------------------------------------------------

SPECIAL_TEXTS = (
    "<b>&</b>",
    "<b>x</b>&<i>",
    "&amp;",
    "&",
    "<",
    "a < b > c",
    "\"quotes\" and 'apostrophes'",
    "\u202eRTL override\u202c",
    "\u200f\u200e\u200b\ufeff",
    "\u2066isolate\u2069",
    "👨‍👩‍👧‍👦🇺🇸🏳️‍🌈",
    "e\u0301\u0301\u0301\u0301",
    "\x00\x01\x07\x1b[31m",
    "\r\n\t",
    "   ",
    "stop",
    "STOP!",
    "  baja. ",
    "stop 287g now",
    "77002",
    "77002-1234",
    "00000",
    "Texas",
    "tx",
    "nuevo mexico",
    "Harris",
    "Calhon",
    "what is 287g",
    "¿qué es 287(g)?",
    "raciel profilng",
    "/",
    "//",
    "/start",
    "@outreach_test_bot",
    "%s %n {0} {name} ${jndi:ldap://x}",
    "'); DROP TABLE users; --",
    '" OR 1=1 --',
    "I am undocumented and my visa expired",
    "2099-01-01 10:00 America/Chicago",
    "2020-01-01 10:00",
    "flyer-mn",
    "Ω" * 4096,
    "a" * 4097,
    "😀" * 2049,  # 4,098 UTF-16 code units
    "\n" * 300,
    "<b>" * 1000,
    "&" * 5000,
)

language_codes = st.one_of(
    st.none(),
    st.sampled_from(["en", "es", "es-MX", "en-US", "ES", "fr", "pt-br", "zh-hans", "ar", "he", ""]),
    st.text(max_size=12),
)
first_names = st.one_of(
    st.sampled_from(["Ana", "<b>Eve</b> & co", "\u202eevE", "José 👋", "&lt;", "Ω" * 64]),
    st.text(min_size=1, max_size=64),
)
odd_characters = st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "So", "Sk"])
long_texts = st.builds(
    lambda unit, count: unit * count, st.text(min_size=1, max_size=8), st.integers(300, 1300)
)
texts = st.one_of(
    st.sampled_from(SPECIAL_TEXTS),
    st.text(min_size=1, max_size=300),
    st.text(odd_characters, min_size=1, max_size=60),
    long_texts,
    st.builds(lambda a, b: a + b, st.sampled_from(SPECIAL_TEXTS), st.text(max_size=40)),
)


def supporter(user_id: int = SUPPORTER) -> st.SearchStrategy[Who]:
    return st.builds(Who, st.just(user_id), language_codes, first_names)


anyone = st.one_of(supporter(), supporter(FRIEND), supporter(ORGANIZER))


# ids for plausible button data and preludes
SHIPPED = load_content(CONTENT_DIR, render_check=check_rendered)
ROLE = next(iter(SHIPPED.letter.roles))
REASON = next(iter(SHIPPED.letter.talking_points))
COMMENT_TO_STORY = (
    ("send", "/comment"),
    ("press", "guide1:start"),
    ("press", f"guide1:role:{ROLE}"),
    ("press", f"guide1:reason:{REASON}"),
    ("press", "guide1:next"),
)
# Ways to reach each step where the bot waits for typed text, and the step it must be in.
PRELUDES: dict[str, tuple[tuple[tuple[str, str], ...], str | None, bool]] = {
    # name: (steps, the awaited step afterwards, whether only the organizer reaches it)
    "fresh": ((), None, False),
    "menu": ((("send", "/start"),), None, False),
    "pledge name": ((("send", "/pledge"), ("press", "pledge1:take")), "pledge_name", False),
    "pledge state": (
        (("send", "/pledge"), ("press", "pledge1:take"), ("press", "pledge1:skip:name")),
        "pledge_state",
        False,
    ),
    "where I live": ((("send", "/local"),), "local_where", False),
    "county": ((("send", "/local"), ("press", "local1:state:tx")), "local_county:TX", False),
    "story": (COMMENT_TO_STORY, "comment_story", False),
    "signature": ((*COMMENT_TO_STORY, ("press", "guide1:skip:story")), "comment_name", False),
    "place": (
        (*COMMENT_TO_STORY, ("press", "guide1:skip:story"), ("press", "guide1:skip:name")),
        "comment_place",
        False,
    ),
    "broadcast message": ((("send", "/broadcast"),), "org_broadcast_message", True),
    "broadcast source": (
        (
            ("send", "/broadcast"),
            ("send", "News & <b>dates</b>"),
            ("tap", "bcast1:audience:*-source"),
        ),
        "org_broadcast_source:*",
        True,
    ),
    "broadcast schedule": (
        (
            *(
                ("send", "/start"),
                ("press", "updates1:status"),
                ("press", "updates1:subscribe"),
            ),  # someone to reach
            ("send", "/broadcast"),
            ("send", "News"),
            ("tap", "bcast1:audience:*-all"),
            ("tap", "bcast1:schedule:*"),
        ),
        "org_broadcast_schedule:*",
        True,
    ),
}
preludes = st.sampled_from(sorted(PRELUDES))


async def reach(bot: FuzzBot, who: Who, prelude: str) -> None:
    """Play a prelude and check it left the user where it should (else the fuzz tests less)."""
    steps, step, organizer_only = PRELUDES[prelude]
    if organizer_only and who.user_id != ORGANIZER:
        steps, step = tuple((k, v) for k, v in steps if k != "tap"), None
    await bot.play(who, steps)
    now = await bot.harness.storage.get_step(who.user_id)
    assert now == step or (step is not None and now is not None and fnmatch(now, step)), prelude


PLAUSIBLE_ARGS = (
    "en",
    "es",
    "fr",
    "yes",
    "no",
    "name",
    "state",
    "story",
    "place",
    "sign",
    "role",
    "reasons",
    "sent",
    "couldnt",
    "later",
    "all",
    "lang-en",
    "lang-es",
    "pns",
    "source",
    "menu",
    "tx",
    "pr",
    "zz",
    "0",
    "1",
    "999999",
    "77002-0",
    "77002-9",
    "00000-0",
    "tx-harris-county",
    "tx-calhoun",
    "zz-nowhere",
    ROLE,
    REASON,
    *list(SHIPPED.facts)[:5],
    *list(SHIPPED.topics)[:3],
)
# Every action the bot registers ("guide1:role"), and the organizers-only ones.
ACTIONS = sorted(action.data_prefix for presses in BUTTONS for action, _ in presses)
ORGANIZER_ACTIONS = sorted(
    action.data_prefix
    for presses in BUTTONS
    for action, _ in presses
    if action.feature.organizers_only
)
arg_chars = st.from_regex(r"[a-z0-9-]{1,32}", fullmatch=True)
plausible_data = st.builds(
    lambda action, arg: action if arg is None else f"{action}:{arg}",
    st.sampled_from(ACTIONS),
    st.one_of(st.none(), st.sampled_from(PLAUSIBLE_ARGS), arg_chars),
)
callback_data = st.one_of(
    plausible_data,
    st.text(max_size=100),
    st.binary(min_size=1, max_size=100).map(lambda raw: raw.decode("latin-1")),
    st.text(min_size=65, max_size=200),
    st.sampled_from(ACTIONS).map(lambda action: f"{action}:{'x' * 60}"),
    st.sampled_from(ORGANIZER_ACTIONS).map(lambda action: action + ":1"),
)
# Which message a press is on: None for the latest bot message, ("screen", k) for the k-th
# newest bot message still on screen, or an id no message in the chat ever had (Telegram says
# "inaccessible", as for a deleted message). Telegram never reports a press on a user's message.
UNUSED_IDS = st.integers(10**7, 2**31 - 1)
message_refs = st.one_of(st.none(), st.tuples(st.just("screen"), st.integers(0, 30)), UNUSED_IDS)

START_PAYLOADS = (
    "flyer-mn",
    "facts",
    "facts--flyer-mn",
    "pledge--church",
    "comment--x",
    "local",
    f"fact-{next(iter(SHIPPED.facts))}--ig",
    "fact-no-such-fact--ig",
    "pledge--",
    "--",
    "x" * 64,
    "x" * 65,
    "bad.payload",
    "niño",
)
command_names = st.one_of(
    st.sampled_from(sorted(COMMANDS) + sorted(ORGANIZER_COMMANDS)),
    st.from_regex(r"[a-z0-9_]{1,32}", fullmatch=True),
    st.text(min_size=1, max_size=12).map(lambda s: "".join(s.split()) or "x"),
)
command_args = st.lists(
    st.one_of(
        st.sampled_from(START_PAYLOADS + PLAUSIBLE_ARGS),
        st.text(min_size=1, max_size=70).map(lambda s: "".join(s.split()) or "x"),
    ),
    max_size=4,
)


@st.composite
def commands(draw: st.DrawFn) -> str:
    name = draw(command_names)
    suffix = draw(st.sampled_from(["", "", "", f"@{BOT_USERNAME}", "@Outreach_Test_Bot", "@other"]))
    args = draw(command_args)
    separator = draw(st.sampled_from([" ", "  ", "\n"]))
    return f"/{name}{suffix}" + (separator + " ".join(args) if args else "")


chats = st.sampled_from(
    [("private", None), ("private", None), ("group", GROUP), ("supergroup", SUPERGROUP)]
)


# -- every update type python-telegram-bot knows -------------------------------------------------


def _now() -> int:
    return int(time.time())


@st.composite
def users(draw: st.DrawFn) -> dict[str, Any]:
    user_id = draw(st.sampled_from([SUPPORTER, FRIEND, ORGANIZER, 1, 2**40]))
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": draw(first_names)}
    language = draw(language_codes)
    if language is not None:
        user["language_code"] = language
    if draw(st.booleans()):
        user["username"] = draw(st.from_regex(r"[A-Za-z][A-Za-z0-9_]{4,31}", fullmatch=True))
    return user


def private_chat(user: dict[str, Any]) -> dict[str, Any]:
    return {"id": user["id"], "type": "private", "first_name": user["first_name"]}


@st.composite
def chats_for(draw: st.DrawFn, user: dict[str, Any]) -> dict[str, Any]:
    kind = draw(st.sampled_from(["private", "group", "supergroup", "channel"]))
    if kind == "private":
        return private_chat(user)
    chat_id = {"group": GROUP, "supergroup": SUPERGROUP, "channel": CHANNEL}[kind]
    return {"id": chat_id, "type": kind, "title": draw(st.text(min_size=1, max_size=30))}


def _file(kind: str, n: int) -> dict[str, Any]:
    return {"file_id": f"{kind}-{n}", "file_unique_id": f"u-{kind}-{n}"}


@st.composite
def message_contents(draw: st.DrawFn, user: dict[str, Any]) -> dict[str, Any]:
    """The content part of a Message: text (commands included), media, service messages."""
    kind = draw(
        st.sampled_from(
            [
                "text",
                "text",
                "command",
                "sticker",
                "photo",
                "document",
                "voice",
                "location",
                "contact",
                "dice",
                "venue",
                "new_chat_members",
                "left_chat_member",
                "new_chat_title",
                "poll",
            ]
        )
    )
    if kind in ("text", "command"):
        text = draw(commands() if kind == "command" else texts)
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            length = telegram_length(text.split(maxsplit=1)[0]) if text.split() else 1
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return content
    if kind == "sticker":
        sticker = {**_file("sticker", 1), "width": 512, "height": 512, "type": "regular"}
        return {"sticker": {**sticker, "is_animated": False, "is_video": False, "emoji": "👍"}}
    if kind == "photo":
        photo = [{**_file("photo", 1), "width": 90, "height": 90}]
        caption = draw(st.one_of(st.none(), texts))
        return {"photo": photo} if caption is None else {"photo": photo, "caption": caption}
    if kind == "document":
        return {"document": {**_file("doc", 1), "file_name": draw(st.text(max_size=30))}}
    if kind == "voice":
        return {"voice": {**_file("voice", 1), "duration": 3}}
    if kind == "location":
        return {"location": {"latitude": 29.76, "longitude": -95.37}}
    if kind == "contact":
        return {"contact": {"phone_number": "+15555550123", "first_name": user["first_name"]}}
    if kind == "dice":
        return {"dice": {"emoji": "🎲", "value": draw(st.integers(1, 6))}}
    if kind == "venue":
        location = {"latitude": 29.76, "longitude": -95.37}
        return {"venue": {"location": location, "title": "Hall", "address": "1 Main St"}}
    if kind == "new_chat_members":
        return {"new_chat_members": [user]}
    if kind == "left_chat_member":
        return {"left_chat_member": user}
    if kind == "new_chat_title":
        return {"new_chat_title": draw(st.text(min_size=1, max_size=30))}
    return {"poll": draw(polls())}


@st.composite
def messages(draw: st.DrawFn, edited: bool = False) -> dict[str, Any]:
    user = draw(users())
    chat = draw(chats_for(user))
    message: dict[str, Any] = {
        "message_id": draw(st.integers(1, 2**31 - 1)),
        "date": _now(),
        "chat": chat,
        **draw(message_contents(user)),
    }
    if chat["type"] == "channel":
        message["sender_chat"] = chat
    else:
        message["from"] = user
    if edited:
        message["edit_date"] = _now()
    return message


@st.composite
def polls(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "id": draw(st.from_regex(r"[0-9]{1,19}", fullmatch=True)),
        "question": draw(st.text(min_size=1, max_size=300)),
        "options": [
            {"text": "Yes", "voter_count": 1, "persistent_id": "a"},
            {"text": "No", "voter_count": 0, "persistent_id": "b"},
        ],
        "total_voter_count": 1,
        "is_closed": draw(st.booleans()),
        "is_anonymous": draw(st.booleans()),
        "type": draw(st.sampled_from(["regular", "quiz"])),
        "allows_multiple_answers": False,
        "allows_revoting": False,
        "members_only": False,
    }


@st.composite
def chat_members(draw: st.DrawFn, user: dict[str, Any]) -> dict[str, Any]:
    status = draw(st.sampled_from(["member", "left", "kicked", "administrator", "restricted"]))
    member: dict[str, Any] = {"user": user, "status": status}
    if status == "kicked":
        member["until_date"] = 0
    if status == "administrator":
        rights = (
            "can_be_edited is_anonymous can_manage_chat can_delete_messages "
            "can_manage_video_chats can_restrict_members can_promote_members can_change_info "
            "can_invite_users can_post_stories can_edit_stories can_delete_stories"
        )
        member.update(dict.fromkeys(rights.split(), False))
    if status == "restricted":
        rights = (
            "is_member can_change_info can_invite_users can_pin_messages can_send_messages "
            "can_send_polls can_send_other_messages can_add_web_page_previews can_manage_topics "
            "can_send_audios can_send_documents can_send_photos can_send_videos "
            "can_send_video_notes can_send_voice_notes can_edit_tag can_react_to_messages"
        )
        member.update(dict.fromkeys(rights.split(), False))
        member["until_date"] = 0
    return member


BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Outreach Bot", "username": BOT_USERNAME}


@st.composite
def member_updates(draw: st.DrawFn, about_the_bot: bool) -> dict[str, Any]:
    user = draw(users())
    chat = draw(chats_for(user))
    subject = BOT_USER if about_the_bot else user
    return {
        "chat": chat,
        "from": user,
        "date": _now(),
        "old_chat_member": draw(chat_members(subject)),
        "new_chat_member": draw(chat_members(subject)),
    }


@st.composite
def callback_queries(draw: st.DrawFn) -> dict[str, Any]:
    user = draw(users())
    query: dict[str, Any] = {"id": "0", "from": user, "chat_instance": f"ci{user['id']}"}
    where = draw(st.sampled_from(["private", "private", "inaccessible", "inline", "group"]))
    chat = private_chat(user)
    if where == "group":
        chat = {"id": GROUP, "type": "group", "title": "A group"}
    message_id = draw(UNUSED_IDS)
    if where == "inline":
        query["inline_message_id"] = draw(st.text(min_size=1, max_size=40))
    elif where == "inaccessible":
        query["message"] = {"chat": chat, "message_id": message_id, "date": 0}
    else:
        query["message"] = {
            "message_id": message_id,
            "date": _now(),
            "chat": chat,
            "from": BOT_USER,
            "text": draw(st.text(min_size=1, max_size=50)),
        }
    if draw(st.booleans()):
        query["data"] = draw(callback_data)
    else:
        query["game_short_name"] = draw(st.text(min_size=1, max_size=20))
    return query


@st.composite
def reactions(draw: st.DrawFn) -> list[dict[str, Any]]:
    emoji = draw(st.lists(st.sampled_from(["👍", "❤", "🔥", "🤔"]), max_size=3, unique=True))
    return [{"type": "emoji", "emoji": e} for e in emoji]


def _boost_source(user: dict[str, Any]) -> dict[str, Any]:
    return {"source": "premium", "user": user}


@st.composite
def update_bodies(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    """A minimal, valid Bot API body for one update type (without ``update_id``)."""
    if kind in ("message", "channel_post", "business_message", "guest_message"):
        body = draw(messages())
        if kind == "business_message":
            body["business_connection_id"] = "bc1"
        if kind == "guest_message":
            body["guest_query_id"] = draw(st.text(min_size=1, max_size=20))
        return body
    if kind in ("edited_message", "edited_channel_post", "edited_business_message"):
        return draw(messages(edited=True))
    user = draw(users())
    chat = draw(chats_for(user))
    if kind == "inline_query":
        query = {"id": "0", "from": user, "query": draw(texts), "offset": ""}
        chat_type = draw(st.sampled_from([None, "sender", "private", "group", "channel"]))
        return query if chat_type is None else {**query, "chat_type": chat_type}
    if kind == "chosen_inline_result":
        return {"result_id": "en:x", "from": user, "query": draw(st.text(max_size=256))}
    if kind == "callback_query":
        return draw(callback_queries())
    if kind == "shipping_query":
        address = {
            "country_code": "US",
            "state": "TX",
            "city": "Austin",
            "street_line1": draw(st.text(max_size=30)),
            "street_line2": "",
            "post_code": "78701",
        }
        payload = draw(st.text(max_size=64))
        return {"id": "s1", "from": user, "invoice_payload": payload, "shipping_address": address}
    if kind == "pre_checkout_query":
        return {
            "id": "p1",
            "from": user,
            "currency": "USD",
            "total_amount": draw(st.integers(1, 10**6)),
            "invoice_payload": draw(st.text(max_size=64)),
        }
    if kind == "poll":
        return draw(polls())
    if kind == "poll_answer":
        chosen = draw(st.lists(st.integers(0, 1), max_size=2, unique=True))
        persistent = ["ab"[i] for i in chosen]
        return {
            "poll_id": "1",
            "user": user,
            "option_ids": chosen,
            "option_persistent_ids": persistent,
        }
    if kind == "my_chat_member":
        return draw(member_updates(about_the_bot=True))
    if kind == "chat_member":
        return draw(member_updates(about_the_bot=False))
    if kind == "chat_join_request":
        return {"chat": chat, "from": user, "user_chat_id": user["id"], "date": _now()}
    if kind == "chat_boost":
        boost = {
            "boost_id": "b1",
            "add_date": _now(),
            "expiration_date": _now() + 86400,
            "source": _boost_source(user),
        }
        return {"chat": chat, "boost": boost}
    if kind == "removed_chat_boost":
        return {
            "chat": chat,
            "boost_id": "b1",
            "remove_date": _now(),
            "source": _boost_source(user),
        }
    if kind == "message_reaction":
        return {
            "chat": chat,
            "message_id": draw(st.integers(1, 2**31 - 1)),
            "user": user,
            "date": _now(),
            "old_reaction": draw(reactions()),
            "new_reaction": draw(reactions()),
        }
    if kind == "message_reaction_count":
        counts = [{"type": r, "total_count": 1} for r in draw(reactions())]
        return {"chat": chat, "message_id": 1, "date": _now(), "reactions": counts}
    if kind == "business_connection":
        return {
            "id": "bc1",
            "user": user,
            "user_chat_id": user["id"],
            "date": _now(),
            "is_enabled": draw(st.booleans()),
        }
    if kind == "deleted_business_messages":
        ids = draw(st.lists(st.integers(1, 2**31 - 1), min_size=1, max_size=3))
        return {"business_connection_id": "bc1", "chat": private_chat(user), "message_ids": ids}
    if kind == "purchased_paid_media":
        return {"from": user, "paid_media_payload": draw(st.text(max_size=64))}
    if kind == "managed_bot":
        return {"user": user, "bot": {**BOT_USER, "id": BOT_ID + 1, "username": "managed_bot"}}
    raise AssertionError(f"no builder for update type {kind!r}")


UPDATE_TYPES = tuple(sorted(str(kind) for kind in Update.ALL_TYPES))


# The types a supporter causes most, drawn as often as all the others together.
INTERACTIVE_TYPES = (
    "message",
    "edited_message",
    "callback_query",
    "inline_query",
    "my_chat_member",
    "channel_post",
)


@st.composite
def any_updates(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    kind = draw(st.one_of(st.sampled_from(UPDATE_TYPES), st.sampled_from(INTERACTIVE_TYPES)))
    return kind, {kind: draw(update_bodies(kind))}


def test_every_update_type_has_a_valid_builder() -> None:
    """Every update type python-telegram-bot knows has a builder whose JSON it accepts."""

    @settings(FUZZ, max_examples=max(25, FUZZ.max_examples // 4))
    @given(st.data())
    def example(data: st.DataObject) -> None:
        for kind in UPDATE_TYPES:
            body = data.draw(update_bodies(kind), label=kind)
            update = Update.de_json({"update_id": 1, kind: body}, None)
            assert getattr(update, kind) is not None, kind

    example()


# -- the properties ----------------------------------------------------------------------------


def test_any_text_in_any_step(tmp_path: Path, content: Content) -> None:
    """Any text, at any step awaiting typed input, from anyone: valid answers, no error."""
    with fuzz_bot(tmp_path, content) as bot:

        @FUZZ
        @given(who=anyone, prelude=preludes, text=texts)
        def example(who: Who, prelude: str, text: str) -> None:
            bot.run(bot.reset())
            bot.run(reach(bot, who, prelude))
            bot.assert_clean(prelude)
            bot.run(bot.send(who, text))
            bot.assert_clean(text)

        example()


def test_any_command_with_any_arguments(tmp_path: Path, content: Content) -> None:
    """Any command, known or not, with any arguments, in any chat: valid answers, no error."""
    with fuzz_bot(tmp_path, content) as bot:

        @FUZZ
        @given(who=anyone, prelude=preludes, command=commands(), chat=chats)
        def example(who: Who, prelude: str, command: str, chat: tuple[str, int | None]) -> None:
            bot.run(bot.reset())
            bot.run(reach(bot, who, prelude))
            bot.run(bot.send(who, command, chat_type=chat[0], chat_id=chat[1]))
            bot.assert_clean(command)
            if who.user_id != ORGANIZER:
                assert bot.run(bot.harness.storage.fetchall("SELECT id FROM broadcasts")) == []

        example()


@pytest.mark.slow
def test_forged_and_stale_callback_data(tmp_path: Path, content: Content) -> None:
    """Forged, oversized and stale button data on any message: valid answers, no error."""
    with fuzz_bot(tmp_path, content) as bot:

        @FUZZ
        @given(who=anyone, prelude=preludes, data=callback_data, message=message_refs)
        def example(
            who: Who, prelude: str, data: str, message: int | tuple[str, int] | None
        ) -> None:
            bot.run(bot.reset())
            bot.run(reach(bot, who, prelude))
            broadcasts = bot.run(bot.harness.storage.fetchall("SELECT * FROM broadcasts"))
            bot.run(bot.press(who, data, message))
            bot.assert_clean(data)
            if who.user_id != ORGANIZER:
                after = bot.run(bot.harness.storage.fetchall("SELECT * FROM broadcasts"))
                assert [tuple(r) for r in after] == [tuple(r) for r in broadcasts]

        example()


@pytest.mark.slow
def test_every_update_type_in_every_chat(tmp_path: Path, content: Content) -> None:
    """Every update type in every chat: valid answers, no error, groups only get a pointer."""
    pointer = f"t.me/{BOT_USERNAME}"
    with fuzz_bot(tmp_path, content) as bot:

        @FUZZ
        @given(update=any_updates())
        def example(update: tuple[str, dict[str, Any]]) -> None:
            kind, body = update
            bot.run(bot.reset())
            queued = bot.api.user_event(body)  # registers query ids, as Telegram would
            assert getattr(Update.de_json(queued, None), kind) is not None
            bot.run(bot.feed(queued))
            sent = list(bot.api.sent)
            bot.assert_clean(queued)
            for action in sent:
                if action.chat_id is not None and action.chat_id < 0:
                    assert action.chat_id != CHANNEL, action
                    assert action.method == "sendMessage" and pointer in (action.text or ""), action

        example()


# -- random walks over what the bot shows ---------------------------------------------------------

ANY_ANSWER = ("<b>x</b>&<i>", "'); DROP TABLE users; --", "stop", "stop 287g now", "x" * 5000)
FLOWS: dict[str, tuple[str, tuple[str, ...]]] = {
    # flow: (how it starts, what people type in it)
    "pledge": (
        "/pledge",
        ("Ana", "María José", "  Ana   Lucía ", "Texas", "tx", "Tejas", "nuevo mexico", "Narnia"),
    ),
    "comment": (
        "/comment",
        (
            "Our town needs trust & safety.",
            "I am undocumented and afraid",
            "Mi familia tiene DACA",
            "x" * 1001,
            "Ana",
            "Austin, TX",
            "\u202eevE",
        ),
    ),
    "local": (
        "/local",
        ("77002", "77002-1234", "10001", "00000", "99999", "1234", "Harris", "harris county"),
    ),
    "broadcast": (
        "/broadcast",
        (
            "Hearing moved to <b>Thursday</b> & please come",
            "flyer-mn",
            "bad source!",
            "2099-01-01 10:00 America/Chicago",
            "2099-01-01 10:00",
            "2020-01-01 10:00",
            "2099-13-45 25:61 Mars/Olympus",
        ),
    ),
    "anything": (
        "/start",
        ("what is 287g", "racial profiling", "¿qué es 287(g)?", "raciel profilng", "baja"),
    ),
}
# Buttons that leave the flow being walked; the walk prefers the others, to get deep.
LEAVING = frozenset(
    {"menu1:main", "facts1:topics", "facts1:topic", "facts1:fact", "menu1:share"}
    | {"menu1:language", "menu1:help", "privacy1:policy", "privacy1:my-data", "privacy1:forget"}
    | {"updates1:status", "guide1:leave", "guide1:discard", "bcast1:discard", "pledge1:withdraw"}
    | {"local1:ask", "guide1:open", "pledge1:show", "local1:state", "guide1:back"}
)
WALK_COMMANDS = sorted(set(COMMANDS) | set(ORGANIZER_COMMANDS) - {"reload"})
# Buttons that move a flow on; pressed more often than the others, to get deep.
PROGRESS = frozenset(
    {"pledge1:take", "pledge1:skip", "pledge1:state", "pledge1:updates", "guide1:start"}
    | {"guide1:role", "guide1:next", "guide1:skip", "guide1:keep", "guide1:continue"}
    | {"guide1:understood", "guide1:outcome", "local1:zip", "local1:letter", "bcast1:audience"}
    | {"bcast1:state", "bcast1:send", "bcast1:schedule"}
)
OTHERS = ("command", "stale", "forged", "media", "edit", "block", "inline")
WALK_ACTIONS = (*("press",) * 8, *("type",) * 2, *OTHERS)
# When the bot waits for typed text, typing is what a person mostly does.
TYPING_ACTIONS = (*("type",) * 8, *("press",) * 2, *OTHERS)
MIN_STEPS, MAX_STEPS = 8, 30


def action_of(data: str) -> str:
    """``"guide1:role:faith"`` → ``"guide1:role"``."""
    return ":".join(data.split(":")[:2])


async def walk_step(bot: FuzzBot, data: st.DataObject, who: Who, answers: tuple[str, ...]) -> str:
    """One step of a walk: mostly pressing what the bot shows, sometimes anything else."""
    api, user_id = bot.api, who.user_id
    waiting = await bot.harness.storage.get_step(user_id)
    action = data.draw(st.sampled_from(TYPING_ACTIONS if waiting else WALK_ACTIONS), label="do")
    on_screen = bot.buttons_on_screen(user_id)
    if action == "press" and on_screen:
        latest = [b for b in on_screen if b[0] == on_screen[0][0]]
        forward = [b for b in latest if action_of(b[1]) not in LEAVING] or latest
        progress = [b for b in latest if action_of(b[1]) in PROGRESS] or forward
        choice = st.one_of(*map(st.sampled_from, (progress, progress, forward, latest)))
        message_id, pressed = data.draw(choice, label="button")
        await bot.press(who, pressed, message_id)
        return f"press {pressed}"
    if action == "stale" and on_screen:
        message_id, pressed = data.draw(st.sampled_from(on_screen), label="old button")
        await bot.press(who, pressed, message_id)
        return f"stale {pressed}@{message_id}"
    if action == "type" or (action == "press" and not on_screen):
        typed = st.sampled_from(answers + ANY_ANSWER)
        text = data.draw(st.one_of(typed, typed, texts), label="text")
        await bot.send(who, text)
        return f"type {text[:40]!r}"
    if action == "command":
        command = data.draw(st.sampled_from(WALK_COMMANDS), label="command")
        await bot.send(who, f"/{command}")
        return f"/{command}"
    if action == "forged":
        forged = data.draw(plausible_data, label="forged")
        await bot.press(who, forged)
        return f"forged {forged}"
    if action == "media":
        caption = data.draw(st.one_of(st.none(), st.sampled_from(answers)), label="caption")
        if data.draw(st.booleans(), label="photo"):
            update = api.user_photo(user_id, caption=caption, language_code=who.language_code)
        else:
            update = api.user_sticker(user_id, language_code=who.language_code)
        await bot.feed(update)
        return "media"
    if action == "edit":
        text = data.draw(st.sampled_from(answers), label="edit")
        await bot.feed(api.user_edited_message(user_id, 1, text, language_code=who.language_code))
        return "edit"
    if action == "block":
        await bot.feed(api.user_blocks_bot(user_id))
        await bot.feed(api.user_unblocks_bot(user_id))
        return "block and unblock"
    query = data.draw(st.one_of(st.sampled_from(answers), st.text(max_size=300)), label="query")
    await bot.feed(api.inline_query(user_id, query, language_code=who.language_code))
    return "inline"


async def subscribe_and_pledge(bot: FuzzBot, people: tuple[Who, ...]) -> None:
    """Supporters an organizer can reach: both subscribed, the first pledged in Texas."""
    for who in people:
        await bot.play(
            who, (("send", "/start"), ("press", "updates1:status"), ("press", "updates1:subscribe"))
        )
    await bot.play(
        people[0],
        (
            ("send", "/pledge"),
            ("press", "pledge1:take"),
            ("press", "pledge1:skip:name"),
            ("press", "pledge1:state:tx"),
        ),
    )


@pytest.mark.slow
def test_random_walks_through_the_flows(tmp_path: Path, content: Content) -> None:
    """Walks through every flow, mostly pressing what the bot shows: valid answers, no error."""
    with fuzz_bot(tmp_path, content) as bot:

        @FUZZ
        @given(
            data=st.data(),
            flow=st.sampled_from(sorted(FLOWS)),
            people=st.tuples(supporter(), supporter(FRIEND)),
        )
        def example(data: st.DataObject, flow: str, people: tuple[Who, Who]) -> None:
            bot.run(bot.reset())
            organizer = Who(ORGANIZER, data.draw(language_codes, label="organizer language"))
            entry, answers = FLOWS[flow]
            actors: tuple[Who, ...]
            if flow == "broadcast":
                bot.run(subscribe_and_pledge(bot, people))
                lead, actors = organizer, (organizer, organizer, *people)
            else:
                lead, actors = people[0], (people[0], people[0], people[0], people[1], organizer)
            bot.run(bot.send(lead, entry))
            bot.assert_clean(entry)
            trail: list[str] = []
            for _ in range(data.draw(st.integers(MIN_STEPS, MAX_STEPS), label="steps")):
                who = data.draw(st.sampled_from(actors), label="who")
                trail.append(f"{who.user_id}: " + bot.run(walk_step(bot, data, who, answers)))
                bot.assert_clean(trail)

        example()
