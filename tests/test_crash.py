"""Crash safety: the real ``outreach-bot run`` process is killed with SIGKILL after every step of
each multi-step journey, started again on the same database and fake Bot API server, and the
journey goes on where it was — nothing lost, nothing half-written, nothing said twice.

Each kill lands once the bot's answer to a step is on the user's screen and Telegram has
confirmed the update (the next ``getUpdates`` asked past it), so the step is not delivered again.
The tests at the end kill at the two moments that leaves out: while the bot's answer is still on
the wire, and before Telegram has heard that the update was handled (it then delivers it again).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.content import Content
from bot.storage import Storage
from tests.fakes.botapi_server import FakeBotApiServer
from tests.fakes.local_api import LocalBotApi, StoredMessage
from tests.harness import BotProcess, invalid_requests, shows

pytestmark = pytest.mark.slow  # every test restarts the real process several times

USER = 5550001
ORGANIZER = 777000
SUBSCRIBERS = range(1, 31)
START_TIMEOUT = 30.0  # a process start takes 1.5-2 s on an idle machine; CI may be slower


class CrashingBot:
    """The real bot process on one database and one fake server, killed with SIGKILL and started
    again as often as a test likes. Each start logs to its own ``run-N/bot.log``."""

    def __init__(self, server: FakeBotApiServer, tmp_path: Path, **env: str) -> None:
        self.server = server
        self.tmp_path = tmp_path
        self.db_path = tmp_path / "bot.sqlite3"
        self.env = {"OUTREACH_DB": str(self.db_path), **env}
        self.starts = 0
        self._calls_at_start = 0
        self.process: BotProcess | None = None

    def start(self) -> None:
        run_dir = self.tmp_path / f"run-{self.starts}"
        run_dir.mkdir()
        self.starts += 1
        self._calls_at_start = len(self.server.calls)
        self.process = BotProcess(self.server, run_dir, **self.env)

    def wait_until_polling(self) -> None:
        """Wait until the process started last asks Telegram for updates: it is serving."""
        self.server.wait_for(
            lambda _: "getUpdates" in self.server.calls[self._calls_at_start :],
            timeout=START_TIMEOUT,
            what=f"start {self.starts} polling",
        )

    def crash(self) -> None:
        """SIGKILL, once Telegram holds no unconfirmed update (none will be delivered again)."""
        self.server.wait_for(
            lambda api: not api.pending_updates(), what="the last update confirmed"
        )
        assert self.process is not None
        self.process.kill()

    def crash_and_restart(self) -> None:
        self.crash()
        self.start()
        self.wait_until_polling()

    def stop(self) -> int:
        assert self.process is not None
        return self.process.stop()

    def kill_quietly(self) -> None:
        """Teardown: whatever happened, leave no process behind."""
        if self.process is not None and self.process.proc.poll() is None:
            self.process.kill()

    def rows(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        with closing(sqlite3.connect(self.db_path)) as conn:
            return [tuple(row) for row in conn.execute(sql, params).fetchall()]

    def one(self, sql: str, params: tuple[object, ...] = ()) -> Any:
        rows = self.rows(sql, params)
        assert len(rows) == 1 and len(rows[0]) == 1, rows
        return rows[0][0]

    def logs(self) -> str:
        return "\n".join(
            f"--- run-{n} ---\n"
            + (self.tmp_path / f"run-{n}" / "bot.log").read_text("utf-8", errors="replace")
            for n in range(self.starts)
        )


@pytest.fixture
def crashing(server: FakeBotApiServer, tmp_path: Path) -> Iterator[Callable[..., CrashingBot]]:
    made: list[CrashingBot] = []

    def make(**env: str) -> CrashingBot:
        bot = CrashingBot(server, tmp_path, **env)
        made.append(bot)
        return bot

    yield make
    for bot in made:
        bot.kill_quietly()


# -- a journey: steps, each with what the user does and what must hold afterwards ---------------


@dataclass(frozen=True)
class Step:
    """One step of a journey: the user's action, the bot's answer (its latest message then
    contains ``answer``), how many messages that answer adds to the chat (0: it edits the
    message whose button was pressed) and what the database holds afterwards."""

    name: str
    act: Callable[[LocalBotApi], object]
    answer: str
    new_messages: int
    check: Callable[[CrashingBot], None]
    quiet_restart: bool = True  # False: the restart itself may update the screen


def say(chat: int, text: str, language_code: str = "en") -> Callable[[LocalBotApi], object]:
    return lambda api: api.user_message(chat, text, language_code=language_code)


def tap(chat: int, label: str, language_code: str = "en") -> Callable[[LocalBotApi], object]:
    """Press the button of the chat's latest message labelled ``label`` (or containing it)."""

    def act(api: LocalBotApi) -> object:
        message = api.last_message(chat)
        assert message is not None, "the bot sent nothing"
        data = button_data(message, label)
        return api.user_press(chat, message.message_id, data, language_code=language_code)

    return act


def button_data(message: StoredMessage, label: str) -> str:
    labels = [b["text"] for b in message.buttons if "callback_data" in b]
    chosen = [t for t in labels if t == label] or [t for t in labels if label in t]
    assert chosen, f"no button {label!r} in {labels}"
    return str(next(b["callback_data"] for b in message.buttons if b["text"] == chosen[0]))


def wait_for_answer(server: FakeBotApiServer, chat: int, text: str) -> StoredMessage:
    """Wait until the chat's latest bot message contains ``text``."""
    server.wait_for(
        lambda api: shows(api.last_message(chat), text),
        timeout=START_TIMEOUT,  # the first step after a restart waits for the start too
        what=f"the latest message in chat {chat} to contain {text!r}",
    )
    message = server.api.last_message(chat)
    assert message is not None
    return message


def walk_with_a_crash_after_every_step(
    bot: CrashingBot, chat: int, steps: list[Step], after_answer: Callable[[Step], None]
) -> None:
    """Do each step, see its answer, crash, check the database, restart: the next step goes on
    from there. No step's answer may appear twice, and a restart says nothing by itself."""
    api = bot.server.api
    expected = len(api.messages(chat))
    for step in steps:
        step.act(api)
        wait_for_answer(bot.server, chat, step.answer)
        after_answer(step)
        bot.crash()
        expected += step.new_messages
        on_screen = api.messages(chat)
        assert len(on_screen) == expected, (
            f"after {step.name!r}: {len(on_screen)} messages on screen, expected {expected}\n"
            + "\n".join(f"  {m.message_id}: {m.visible_text[:70]!r}" for m in on_screen)
        )
        step.check(bot)
        bot.start()
        bot.wait_until_polling()
        if step.quiet_restart:
            assert api.messages(chat) == on_screen, f"the restart after {step.name!r} spoke"


def no_hook(step: Step) -> None:
    """Nothing to do between seeing an answer and the crash."""


def seed(db_path: Path, fill: Callable[[Storage], Any]) -> None:
    """Write rows into the database before the bot first starts, through the bot's storage."""

    async def run() -> None:
        storage = await Storage.open(db_path)
        try:
            await fill(storage)
        finally:
            await storage.close()

    asyncio.run(run())


def finish(bot: CrashingBot) -> None:
    """Stop the last process cleanly; it must exit 0."""
    code = bot.stop()
    assert code == 0, bot.logs()
    assert invalid_requests(bot.server.api) == []


# -- the pledge -----------------------------------------------------------------------------------


def pledge_steps() -> list[Step]:
    def pledges(bot: CrashingBot) -> list[tuple[Any, ...]]:
        return bot.rows("SELECT number, first_name, state FROM pledges WHERE user_id = ?", (USER,))

    def step(bot: CrashingBot) -> Any:
        rows = bot.rows("SELECT step FROM conversations WHERE user_id = ?", (USER,))
        return rows[0][0] if rows else None

    def counted(bot: CrashingBot, event: str) -> Any:
        return bot.one("SELECT COALESCE(SUM(count), 0) FROM daily_counts WHERE event = ?", (event,))

    def shown(bot: CrashingBot) -> None:
        assert pledges(bot) == [] and step(bot) is None

    def pledged(bot: CrashingBot) -> None:
        assert pledges(bot) == [(1, None, None)] and step(bot) == "pledge_name"
        assert counted(bot, "pledge") == 1

    def named(bot: CrashingBot) -> None:
        assert pledges(bot) == [(1, "Ana", None)] and step(bot) == "pledge_state"

    def placed(bot: CrashingBot) -> None:
        assert pledges(bot) == [(1, "Ana", "TX")] and step(bot) is None
        assert bot.rows("SELECT user_id FROM subscriptions") == []

    def consented(bot: CrashingBot) -> None:
        assert pledges(bot) == [(1, "Ana", "TX")]
        assert bot.rows("SELECT user_id FROM subscriptions") == [(USER,)]
        assert counted(bot, "pledge") == 1 and counted(bot, "subscribe") == 1

    return [
        Step("/pledge", say(USER, "/pledge"), "people have taken it", 1, shown),
        Step("I pledge", tap(USER, "I pledge"), "What first name", 0, pledged),
        Step("first name", say(USER, "Ana"), "Which US state", 1, named),
        Step("state", tap(USER, "TX"), "campaign updates", 0, placed),
        Step("consent", tap(USER, "Yes, send me updates"), "You are supporter #1", 0, consented),
    ]


def test_pledge_survives_a_crash_after_every_step(
    crashing: Callable[..., CrashingBot],
) -> None:
    """SIGKILL after each pledge step: pledge, number, name, state, consent persist; none repeat."""
    bot = crashing()
    bot.start()
    walk_with_a_crash_after_every_step(bot, USER, pledge_steps(), no_hook)
    finish(bot)
    assert "Ana" not in bot.logs(), "a supporter's name was logged"


# -- the comment guide ---------------------------------------------------------------------------

STORY = "Our town needs trust & safety."


def comment_steps(content: Content) -> list[Step]:
    role = next(iter(content.letter.roles.values()))
    point = next(iter(content.letter.talking_points.values()))

    def draft(bot: CrashingBot) -> dict[str, Any]:
        rows = bot.rows(
            "SELECT step, role, reasons, story, sign_name, sign_place, outcome, completed_at"
            " FROM drafts WHERE user_id = ?",
            (USER,),
        )
        assert len(rows) == 1, rows
        keys = ("step", "role", "reasons", "story", "sign_name", "sign_place", "outcome", "done")
        return dict(zip(keys, rows[0], strict=True))

    def awaits(bot: CrashingBot) -> Any:
        rows = bot.rows("SELECT step FROM conversations WHERE user_id = ?", (USER,))
        return rows[0][0] if rows else None

    def at(step: str, waiting: str | None = None, **fields: Any) -> Callable[[CrashingBot], None]:
        def check(bot: CrashingBot) -> None:
            row = draft(bot)
            assert row["step"] == step, row
            assert {k: row[k] for k in fields} == fields, row
            assert row["outcome"] is None and row["done"] is None, row
            assert awaits(bot) == waiting

        return check

    def sent(bot: CrashingBot) -> None:
        row = draft(bot)
        assert row["outcome"] == "sent" and row["done"] is not None, row
        total = bot.one(
            "SELECT COALESCE(SUM(count), 0) FROM daily_counts WHERE event = 'comment_sent'"
        )
        assert total == 1

    chosen = {"role": role.id, "reasons": point.id}
    return [
        Step("/comment", say(USER, "/comment"), "Send your comment to", 1, at("intro")),
        Step("start", tap(USER, "Start"), "Step 1 of 5", 0, at("role", role=None)),
        Step("role", tap(USER, role.label.en), "Step 2 of 5", 0, at("reasons", role=role.id)),
        Step("reason", tap(USER, point.label.en), "chosen: 1", 0, at("reasons", **chosen)),
        Step("next", tap(USER, "Next"), "Step 3 of 5", 0, at("story", "comment_story", **chosen)),
        Step(
            "story",
            say(USER, STORY),
            "Step 4 of 5",
            1,
            at("sign_name", "comment_name", story=STORY, **chosen),
        ),
        Step(
            "signature",
            say(USER, "Ana"),
            "Step 5 of 5",
            1,
            at("sign_place", "comment_place", story=STORY, sign_name="Ana"),
        ),
        Step(
            "place",
            say(USER, "Austin, TX"),
            "Your letter",
            1,
            at("preview", sign_name="Ana", sign_place="Austin, TX", **chosen),
        ),
        Step("continue", tap(USER, "Continue"), "identifies you to DHS", 0, at("safety")),
        # The letter replaces the safety note; the ways to send it come as a new message.
        Step("understood", tap(USER, "I understand"), "Send it by e-mail", 1, at("send")),
        Step("I sent it", tap(USER, "I sent it"), "Thank you for speaking up", 0, sent),
    ]


def test_comment_guide_survives_a_crash_after_every_step(
    crashing: Callable[..., CrashingBot], content: Content
) -> None:
    """SIGKILL after each of the guide's 11 steps: the draft resumes where it was; sent once."""
    bot = crashing(OUTREACH_RECIPIENT_EMAIL="comments@example.org")
    bot.start()
    walk_with_a_crash_after_every_step(bot, USER, comment_steps(content), no_hook)
    letter = bot.server.api.messages(USER)[-2].text or ""
    assert "Our town needs trust &amp; safety." in letter and "Ana\nAustin, TX" in letter
    finish(bot)
    assert "trust & safety" not in bot.logs(), "a story was logged"


# -- /forget ---------------------------------------------------------------------------------------

USER_TABLES = ("users", "pledges", "subscriptions", "conversations", "drafts", "reminders")


def test_forget_survives_a_crash_after_every_step(crashing: Callable[..., CrashingBot]) -> None:
    """SIGKILL around /forget: nothing deleted before the confirmation, everything after it."""
    bot = crashing()

    async def supporter(storage: Storage) -> None:
        await storage.touch_user(USER, "en", "flyer-1")
        await storage.record_pledge(USER)
        await storage.set_pledge_name(USER, "Ana")
        await storage.subscribe(USER)
        await storage.start_draft(USER, "en", 7, "story")
        await storage.schedule_reminder(USER, storage.now() + 3600)

    seed(bot.db_path, supporter)

    def stored(bot: CrashingBot) -> dict[str, int]:
        return {
            table: bot.one(f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", (USER,))  # noqa: S608
            for table in USER_TABLES
        }

    def kept(bot: CrashingBot) -> None:
        assert stored(bot) == {**dict.fromkeys(USER_TABLES, 1), "conversations": 0}

    def deleted(bot: CrashingBot) -> None:
        assert stored(bot) == dict.fromkeys(USER_TABLES, 0)

    def new_again(bot: CrashingBot) -> None:
        assert stored(bot) == {**dict.fromkeys(USER_TABLES, 0), "users": 1}
        assert bot.one("SELECT source FROM users WHERE user_id = ?", (USER,)) is None

    steps = [
        Step("/forget", say(USER, "/forget"), "cannot be undone", 1, kept),
        Step("confirm", tap(USER, "Yes, delete everything"), "everything about you is", 0, deleted),
        Step("/start", say(USER, "/start"), "Hi Ana!", 1, new_again),
    ]
    bot.start()
    walk_with_a_crash_after_every_step(bot, USER, steps, no_hook)
    finish(bot)


# -- a broadcast -------------------------------------------------------------------------------


def test_broadcast_survives_a_crash_after_every_step(
    crashing: Callable[..., CrashingBot],
) -> None:
    """SIGKILL mid-broadcast: no second copy, the send on the wire unknown, the rest delivered."""
    bot = crashing(OUTREACH_ORGANIZERS=str(ORGANIZER), OUTREACH_BROADCAST_RATE="10")

    async def subscribers(storage: Storage) -> None:
        for user_id in SUBSCRIBERS:
            await storage.touch_user(user_id, "en")
            await storage.subscribe(user_id)

    seed(bot.db_path, subscribers)
    server, api = bot.server, bot.server.api

    def broadcasts(bot: CrashingBot) -> list[tuple[Any, ...]]:
        return bot.rows("SELECT status, audience FROM broadcasts")

    def deliveries(bot: CrashingBot) -> dict[int, str]:
        return {int(u): str(s) for u, s in bot.rows("SELECT user_id, status FROM deliveries")}

    def asked(bot: CrashingBot) -> None:
        assert broadcasts(bot) == []
        step = bot.one("SELECT step FROM conversations WHERE user_id = ?", (ORGANIZER,))
        assert step == "org_broadcast_message"

    def composed(bot: CrashingBot) -> None:
        assert broadcasts(bot) == [("draft", None)] and deliveries(bot) == {}  # no audience yet

    def previewed(bot: CrashingBot) -> None:
        assert broadcasts(bot) == [("draft", "all")] and deliveries(bot) == {}

    def mid_broadcast(bot: CrashingBot) -> None:
        assert broadcasts(bot) == [("sending", "all")]
        rows = deliveries(bot)
        assert sorted(rows) == list(SUBSCRIBERS), "one delivery row per subscriber"
        assert set(rows.values()) <= {"pending", "sending", "delivered"}, rows
        assert rows[1] == "sending", "the send held on the wire"
        assert 0 < list(rows.values()).count("pending") < len(SUBSCRIBERS)

    def reported(bot: CrashingBot) -> None:
        assert broadcasts(bot) == [("done", "all")]
        rows = deliveries(bot)
        assert set(rows.values()) <= {"delivered", "unknown"}, "nothing left pending or sending"
        assert rows[1] == "unknown"
        for user_id, status in rows.items():
            copies = api.sent_per_chat[user_id]
            if status == "delivered":
                assert copies == 1, (user_id, copies)
            else:
                assert copies <= 1, (user_id, copies)
        unknown = list(rows.values()).count("unknown")
        report = next(m for m in api.messages(ORGANIZER) if shows(m, "Broadcast finished"))
        text = report.visible_text
        assert "Recipients: 30" in text and f"Delivered: {30 - unknown}" in text, text
        assert f"Unknown (no answer from Telegram, not resent): {unknown}" in text, text

    def send_now(api: LocalBotApi) -> object:
        # Subscriber 1's copy is delivered and its answer held until the crash: its row stays
        # 'sending', as when a process dies waiting for Telegram's answer.
        server.delay_next("copyMessage", 120, after_call=True)
        return tap(ORGANIZER, "Send now")(api)

    def some_copies_out(step: Step) -> None:
        """Crash mid-broadcast: a copy on the wire, some delivered, most still to go."""
        if step.name == "send now":
            server.wait_for(
                lambda api: sum(api.sent_per_chat[u] for u in SUBSCRIBERS) >= 5,
                what="five copies sent",
            )

    steps = [
        Step("/broadcast", say(ORGANIZER, "/broadcast"), "Send me the message", 1, asked),
        Step(
            "message",
            say(ORGANIZER, "Hearing moved to <b>Thursday</b> & please come"),
            "Who should get it?",
            1,
            composed,
        ),
        # The preview is the message itself (a copy), then the count and the buttons.
        Step(
            "audience", tap(ORGANIZER, "Everyone subscribed"), "recipients right now", 2, previewed
        ),
        Step("send now", send_now, "Sending", 0, mid_broadcast, quiet_restart=False),
        # The restart resumes the broadcast by itself: the rest goes out, then one report.
        Step("resumed", lambda api: None, "Broadcast finished", 1, reported),
    ]
    bot.start()
    walk_with_a_crash_after_every_step(bot, ORGANIZER, steps, some_copies_out)
    assert api.duplicates() == 0
    assert sum("Broadcast finished" in m.visible_text for m in api.messages(ORGANIZER)) == 1
    finish(bot)


# -- crashes with an answer still on the wire -----------------------------------------------------


def test_pledge_answer_lost_in_a_crash_user_presses_again(
    crashing: Callable[..., CrashingBot],
) -> None:
    """Crash before the pledge's answer reached the user: pressing again keeps 1 pledge, 1 count."""
    bot = crashing()
    server, api = bot.server, bot.server.api
    bot.start()
    api.user_message(USER, "/pledge")
    intro = wait_for_answer(server, USER, "people have taken it")
    server.drop_next("editMessageText", delay=120)  # held, then never delivered
    tap(USER, "I pledge")(api)
    server.wait_for(lambda _: "editMessageText" in server.delayed, what="the answer on the wire")
    bot.crash_and_restart()
    assert api.messages(USER) == [intro], "the user never saw the answer"
    assert bot.rows("SELECT number FROM pledges") == [(1,)]
    tap(USER, "I pledge")(api)
    wait_for_answer(server, USER, "What first name")
    api.user_message(USER, "Ana")
    wait_for_answer(server, USER, "Which US state")
    assert bot.rows("SELECT number, first_name FROM pledges") == [(1, "Ana")]
    assert bot.one("SELECT SUM(count) FROM daily_counts WHERE event = 'pledge'") == 1
    finish(bot)


def type_then_crash_unconfirmed(bot: CrashingBot, text: str, answer: str) -> None:
    """Type ``text``, see the bot's ``answer``, then crash before Telegram heard that the update
    was handled (the confirming ``getUpdates`` is held); restart and let Telegram deliver the
    update again, as it does."""
    server, api = bot.server, bot.server.api
    server.wait_for(lambda api: not api.pending_updates(), what="earlier updates confirmed")
    polls = server.calls.count("getUpdates")
    server.delay_next("getUpdates", 120)
    api.user_message(USER, text)
    wait_for_answer(server, USER, answer)
    server.wait_for(lambda _: server.calls.count("getUpdates") > polls, what="the next poll")
    assert api.pending_updates(), "the update is not confirmed yet"
    assert bot.process is not None
    bot.process.kill()
    bot.start()
    server.wait_for(
        lambda api: not api.pending_updates(),
        timeout=START_TIMEOUT,  # the process starts again before it can take the update
        what="the update delivered again",
    )


def test_typed_name_delivered_again_after_a_crash(
    crashing: Callable[..., CrashingBot],
) -> None:
    """A first name Telegram delivers again after a crash changes no data; the pledge goes on."""
    bot = crashing()
    server, api = bot.server, bot.server.api
    bot.start()
    for step in pledge_steps()[:2]:
        step.act(api)
        wait_for_answer(server, USER, step.answer)
    type_then_crash_unconfirmed(bot, "Ana", "Which US state")
    shown = len(api.messages(USER))
    # One user's updates are handled in order: the next answer comes after the copy.
    api.user_message(USER, "Texas")
    wait_for_answer(server, USER, "campaign updates")
    assert bot.rows("SELECT number, first_name, state FROM pledges") == [(1, "Ana", "TX")]
    # The bot cannot tell the copy from a new message: "Ana" is read as a state and refused
    # (one extra message), and no row changes.
    assert len(api.messages(USER)) <= shown + 2
    tap(USER, "Yes, send me updates")(api)
    wait_for_answer(server, USER, "You are supporter #1")
    assert bot.rows("SELECT number, first_name, state FROM pledges") == [(1, "Ana", "TX")]
    finish(bot)


def test_typed_story_delivered_again_after_a_crash(
    crashing: Callable[..., CrashingBot], content: Content
) -> None:
    """A story Telegram delivers again after a crash is not taken as the letter's signature."""
    bot = crashing(OUTREACH_RECIPIENT_EMAIL="comments@example.org")
    server, api = bot.server, bot.server.api
    bot.start()
    for step in comment_steps(content)[:5]:
        step.act(api)
        wait_for_answer(server, USER, step.answer)
    type_then_crash_unconfirmed(bot, STORY, "Step 4 of 5")
    shown = len(api.messages(USER))
    api.user_message(USER, "Ana")  # handled after the copy: one user's updates keep their order
    server.wait_for(lambda api: len(api.messages(USER)) > shown, what="an answer")
    try:
        assert shows(api.last_message(USER), "Step 5 of 5")
        assert bot.rows("SELECT step, story, sign_name FROM drafts") == [
            ("sign_place", STORY, "Ana")
        ]
    finally:
        finish(bot)
