"""Button data and its handlers: each feature's versioned, anchored patterns, registered in the
composition root; anything else — forged data, or buttons of an older version — gets the
polite "this button is no longer active"."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import CallbackQueryHandler

from bot.callbacks import ARGUMENT_MAX, MAX_CALLBACK_BYTES, Action, Feature
from bot.content import Content
from bot.flows import broadcast, congress, guide, letters, local, menu, pledge
from bot.telegram import app as app_module
from bot.telegram.app import BUTTONS
from bot.telegram.handlers import buttons
from tests.harness import Harness, make_config, start_harness, stop_harness

ORGANIZER = 4242

FEATURES = (
    menu.MENU,
    menu.FACTS,
    menu.UPDATES,
    menu.PRIVACY,
    guide.GUIDE,
    pledge.PLEDGE,
    local.LOCAL,
    congress.CONGRESS,
    broadcast.BCAST,
    letters.LETTERS,
)
REGISTERED = [action for presses in BUTTONS for action, _ in presses]

# Every action of the format before features had prefixes and versions, with an argument the
# bot used to make: buttons on messages sent before the upgrade.
OLD_DATA = (
    *("menu", "topics", "topic:what-is-287g", "fact:what-is-287g", "lang", "setlang:es"),
    *("help", "share", "pledge", "pyes", "pskip:name", "pstate:tx", "pupd:yes", "pedit"),
    *("unpl", "unply", "updates", "sub", "unsub", "privacy", "mydata", "forget", "forgety"),
    *("forgetn", "cmt", "cnew", "cgo", "crole:resident", "crsn:racial-profiling", "cnext"),
    *("cskip:story", "ckeep", "cedit:role", "cback", "cword", "ccont", "csafe", "cpost"),
    *("cout:sent", "cleave", "cdel", "cnoloc", "local", "lst:tx", "lzc:77002-0"),
    *("lletter:tx-harris-county", "obaud:1-all", "obst:1-tx", "obgo:1-0123456789ab"),
    *("obsch:1-0123456789ab", "obx:1", "obstop:1"),
)


def test_every_declared_action_is_registered_once() -> None:
    """Each feature's every action has exactly one handler, in the composition root's order."""
    declared = [action for feature in FEATURES for action in feature.actions]
    assert sorted(a.data_prefix for a in REGISTERED) == sorted(a.data_prefix for a in declared)
    assert len({a.data_prefix for a in REGISTERED}) == len(REGISTERED)
    assert len({f.prefix for f in FEATURES}) == len(FEATURES)


def test_the_longest_data_fits_64_bytes() -> None:
    """Every action's data, with the longest argument, fits Telegram's 64 bytes."""
    for action in REGISTERED:
        longest = action.data_prefix + (":" + "x" * ARGUMENT_MAX if action.argument else "")
        assert len(longest.encode()) == action.longest <= MAX_CALLBACK_BYTES, longest


def test_broadcast_data_fits_with_the_largest_draft_id() -> None:
    """A draft id up to SQLite's largest rowid and a preview check fit one argument."""
    largest = f"{2**63 - 1}-{'f' * 12}"
    data = broadcast.SEND.press(largest).data()
    assert broadcast.SEND.pattern.match(data) and len(data.encode()) <= MAX_CALLBACK_BYTES


@pytest.mark.parametrize(
    ("data", "matches"),
    [
        ("guide1:role:faith", True),
        ("guide1:role", False),  # the argument is missing
        ("guide1:start", True),
        ("guide1:start:x", False),  # no argument expected
        ("guide1:role:faith\n", False),  # anchored at the very end
        (" guide1:role:faith", False),
        ("guide1:role:Faith", False),
        ("guide1:role:" + "a" * 33, False),
        ("guide2:role:faith", False),  # another version
        ("guide:role:faith", False),
        ("crole:faith", False),  # the format before versions
    ],
)
def test_patterns_are_anchored_and_versioned(data: str, matches: bool) -> None:
    """A pattern matches only the data its action makes, in its version."""
    action = guide.START if "start" in data else guide.ROLE
    assert bool(action.pattern.match(data)) == matches


def test_a_press_is_refused_when_its_data_would_not_be_recognised() -> None:
    """Building data its own pattern would not match is a programming error, caught at once."""
    wrong: tuple[tuple[Action, str | None], ...] = (
        (guide.ROLE, None),
        (guide.START, "x"),
        (guide.ROLE, "Faith"),
        (guide.ROLE, ""),
    )
    for action, argument in wrong:
        with pytest.raises(ValueError, match="invalid argument"):
            action.press(argument)
    with pytest.raises(ValueError, match="repeated"):
        guide.GUIDE.action("role")
    with pytest.raises(ValueError, match="invalid feature"):
        Feature("Guide", 1)
    with pytest.raises(ValueError, match="invalid or repeated action"):
        Feature("demo", 1).action("a" * 13)


def test_one_handler_takes_every_press(bot: Harness) -> None:
    """The composition root registers one handler for all presses, recognised or not."""
    handlers = [h for g in bot.app.handlers.values() for h in g]
    presses = [h for h in handlers if isinstance(h, CallbackQueryHandler)]
    assert len(presses) == 1 and presses[0].pattern is None


def test_two_callbacks_for_one_action_are_refused() -> None:
    async def answer(*_: Any) -> None:
        return None

    with pytest.raises(ValueError, match="two callbacks for guide1:role"):
        buttons.handler([(guide.ROLE, answer), (guide.START, answer), (guide.ROLE, answer)])


async def test_each_press_reaches_its_own_callback(tmp_path: Path, content: Content) -> None:
    """Every registered action's data, with an argument when it takes one, reaches that
    action's callback with the argument; the same data changed a little reaches none."""
    config = make_config(tmp_path, organizers=frozenset({ORGANIZER}))
    bot = await start_harness(config, content)
    await bot.send("/start", user_id=ORGANIZER)
    reached: list[tuple[str, tuple[Any, ...]]] = []

    def recorder(action: Action) -> Any:
        async def answer(update: Any, ctx: Any, *args: Any) -> None:
            reached.append((action.data_prefix, args))

        return answer

    try:
        group = bot.app.handlers[0]
        real = next(h for h in group if isinstance(h, CallbackQueryHandler))
        bot.app.remove_handler(real)
        bot.app.add_handler(buttons.handler([(a, recorder(a)) for a in REGISTERED]))
        for action in REGISTERED:
            data = action.press("x-1" if action.argument else None).data()
            await bot.press_data(data, user_id=ORGANIZER)
            assert reached.pop() == (action.data_prefix, ("x-1",) if action.argument else ())
            off = data.replace("x-1", "X-1") if action.argument else f"{data}:x"
            await bot.press_data(off, user_id=ORGANIZER)
            assert reached == [], off
        await bot.press_data("guide1", user_id=ORGANIZER)
        await bot.press_data("", user_id=ORGANIZER)
        assert reached == []
    finally:
        await stop_harness(bot)


def stale_reply(bot: Harness) -> str:
    return bot.content.text("error.stale_button", "en")


@pytest.mark.parametrize("data", OLD_DATA)
async def test_buttons_of_the_old_format_are_no_longer_active(bot: Harness, data: str) -> None:
    """A button from before the upgrade (old callback data) is answered, says it is no longer
    active with the menu, and changes nothing."""
    await bot.send("/start")
    before = dump(bot)
    reply = await bot.press_data(data)
    assert stale_reply(bot) in (reply.text or "") and "What would you like to do?" in (
        reply.text or ""
    )
    assert bot.buttons(reply)[0]["callback_data"] == "facts1:topics"
    assert dump(bot) == before
    assert any(a.method == "answerCallbackQuery" for a in bot.api.sent)


async def test_an_old_button_leaves_a_typed_step_alone(bot: Harness) -> None:
    """Old data is unknown data: it does not end the step the bot waits for (as forged data
    never did), so the typed name still answers it."""
    await bot.send("/pledge")
    await bot.press("I pledge")
    await bot.press_data("pskip:name")
    assert await bot.storage.get_step(bot.user_id) == "pledge_name"
    await bot.send("Ana")
    with sqlite3.connect(bot.app.bot_data.config.db_path) as conn:
        assert conn.execute("SELECT first_name FROM pledges").fetchall() == [("Ana",)]


@pytest.mark.parametrize("data", ["pledge1:take", "guide1:open", "menu1:main", "bcast1:stop:1"])
async def test_presses_in_groups_are_ignored(bot: Harness, data: str) -> None:
    """A press in a group (the bot shows buttons only in private chats) is answered and
    otherwise ignored: nothing is written, nothing is said."""
    user = {"id": bot.user_id, "is_bot": False, "first_name": "Ana", "language_code": "en"}
    group = {"id": -4242, "type": "group", "title": "A group"}
    update = {
        "callback_query": {
            "id": "7",
            "from": user,
            "chat_instance": "ci-group",
            "message": {"message_id": 3, "date": 0, "chat": group, "text": "x"},
            "data": data,
        }
    }
    before = len(bot.api.sent)
    await bot.feed(bot.api.user_event(update))
    assert [a.method for a in bot.api.sent[before:]] == ["answerCallbackQuery"]
    assert dump(bot)["users"] == [] and dump(bot)["pledges"] == []


def dump(bot: Harness) -> dict[str, list[tuple[Any, ...]]]:
    """What the database holds about people (a user's last-seen time aside)."""
    with sqlite3.connect(bot.app.bot_data.config.db_path) as conn:
        tables = {
            table: conn.execute(f'SELECT * FROM "{table}"').fetchall()  # noqa: S608 - a name
            for table in ("pledges", "subscriptions", "drafts", "conversations", "daily_counts")
        }
        tables["users"] = conn.execute("SELECT user_id, language FROM users").fetchall()
    return tables


def test_action_names_read_as_words() -> None:
    """Prefixes and actions are words a newcomer can read, with the version after the name."""
    for action in REGISTERED:
        assert re.fullmatch(r"[a-z]+[1-9]:[a-z]+(-[a-z]+)*", action.data_prefix), action


async def test_each_command_reaches_its_own_callback(
    tmp_path: Path, content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every command reaches its own callback, in any case and addressed to the bot by name;
    an organizer's command from a supporter reaches none of them, and neither does a command
    addressed to another bot."""
    reached: list[str] = []

    def recorder(name: str) -> Any:
        async def answer(update: Any, ctx: Any) -> None:
            reached.append(name)

        return answer

    monkeypatch.setattr(app_module, "COMMANDS", {n: recorder(n) for n in app_module.COMMANDS})
    organizer_commands = {n: recorder(n) for n in app_module.ORGANIZER_COMMANDS}
    monkeypatch.setattr(app_module, "ORGANIZER_COMMANDS", organizer_commands)
    config = make_config(tmp_path, organizers=frozenset({ORGANIZER}))
    bot = await start_harness(config, content)
    try:
        username = bot.app.bot.username
        for name in app_module.COMMANDS:
            await bot.feed(bot.api.user_message(bot.user_id, f"/{name}"))
            await bot.feed(
                bot.api.user_message(bot.user_id, f"/{name.upper()}@{username} and more")
            )
            assert reached == [name, name]
            reached.clear()
            await bot.feed(bot.api.user_message(bot.user_id, f"/{name}@another_bot"))
            assert reached == []
        for name in organizer_commands:
            await bot.feed(bot.api.user_message(bot.user_id, f"/{name}"))
            assert reached == [], "a supporter's organizer command reaches nothing"
            await bot.feed(bot.api.user_message(ORGANIZER, f"/{name}"))
            assert reached == [name]
            reached.clear()
    finally:
        await stop_harness(bot)
