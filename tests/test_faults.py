"""Faults the bot must ride out without a restart: Telegram refusing or failing replies (429,
5xx), a slow or broken network, a database that refuses writes or is full, and broken content
at /reload. Each time users are told plainly, nothing is half-written, and once the fault ends
the same action works.

Network faults run the real ``outreach-bot run`` process against the fake Bot API server on
127.0.0.1; database and content faults drive the real Application in-process (tests.harness),
where the bot's own SQLite connection can be switched read-only or capped in size.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot
from telegram.error import NetworkError, TimedOut
from telegram.request import HTTPXRequest

from bot.content import Content
from bot.storage import Storage
from bot.telegram.app import publish_profile
from bot.telegram.jobs import flush_batched
from tests.fakes.botapi_server import FakeBotApiServer
from tests.fakes.local_api import LocalBotApi, StoredMessage
from tests.harness import (
    CONTENT_DIR,
    BotProcess,
    Harness,
    invalid_requests,
    make_config,
    press_button,
    shows,
    start_harness,
    stop_harness,
)

USER = 5550001
OTHER = 5550002
ORGANIZER = 777000
HELP = "how to use this bot"
APOLOGY = "something went wrong on my side"
CANT_SAVE = {"en": "can't save anything right now", "es": "ahora no puedo guardar nada"}


# -- the fake's network faults ---------------------------------------------------------------------


async def test_fake_server_delays_and_drops_like_a_network(server: FakeBotApiServer) -> None:
    """The fake's delays and drops reach PTB as a late answer, TimedOut and NetworkError."""
    request = HTTPXRequest(read_timeout=1.0)
    async with Bot("1:x", base_url=server.url + "/bot", request=request) as bot:
        server.delay_next("sendMessage", 0.3)
        assert (await bot.send_message(USER, "late")).text == "late"
        server.delay_next("sendMessage", 3)
        with pytest.raises(TimedOut):
            await bot.send_message(USER, "too late")
        server.drop_next("sendMessage")
        with pytest.raises(NetworkError, match="disconnected"):
            await bot.send_message(USER, "lost")
        server.drop_next("sendMessage", after_call=True)
        with pytest.raises(NetworkError, match="disconnected"):
            await bot.send_message(USER, "arrived")
    shown = [m.text for m in server.api.messages(USER)]
    assert shown == ["late", "arrived"], "a dropped call has no effect unless after_call"
    assert server.delayed == ["sendMessage", "sendMessage"]
    assert server.dropped == ["sendMessage", "sendMessage"]
    assert server.pending_network_faults() == 0


# -- network faults against the real process -------------------------------------------------------


@pytest.fixture
def live(server: FakeBotApiServer, tmp_path: Path) -> Iterator[BotProcess]:
    """The real bot process, polling; it must stop cleanly having sent nothing invalid."""
    process = BotProcess(server, tmp_path)
    try:
        server.wait_for(lambda _: "getUpdates" in server.calls, timeout=30, what="the bot polling")
        yield process
    finally:
        code = process.stop()
    assert code == 0, process.output()
    assert invalid_requests(server.api) == []


def count_showing(api: LocalBotApi, chat: int, text: str) -> int:
    return sum(shows(m, text) for m in api.messages(chat))


def wait_for_new_message(server: FakeBotApiServer, chat: int, before: int) -> StoredMessage:
    """Wait until the chat has more than ``before`` bot messages; return the newest."""
    server.wait_for(lambda api: len(api.messages(chat)) > before, what=f"a message in {chat}")
    message = server.api.last_message(chat)
    assert message is not None
    return message


REFUSALS = [
    pytest.param("sendMessage", 429, "Too Many Requests: retry after 2", 2, 1, id="429-send"),
    pytest.param("editMessageText", 429, "Too Many Requests: retry after 2", 2, 1, id="429-edit"),
    pytest.param("sendMessage", 500, "Internal Server Error", None, 2, id="2x500-send"),
    pytest.param("editMessageText", 502, "Bad Gateway", None, 1, id="502-edit"),
]


def help_or_privacy(server: FakeBotApiServer, method: str) -> tuple[Callable[[], None], str]:
    """What the user does to get a reply by ``method`` (a new message, or an edit), and the
    text that reply shows."""
    api = server.api
    if method == "sendMessage":
        return (lambda: api.user_message(USER, "/help")), HELP
    api.user_message(USER, "/start")
    menu = wait_for_new_message(server, USER, 0)
    return (lambda: press_button(api, USER, menu, "Privacy")), "Your privacy"


@pytest.mark.parametrize(("method", "status", "description", "retry_after", "count"), REFUSALS)
def test_refused_reply_is_retried_and_answered(
    live: BotProcess,
    server: FakeBotApiServer,
    method: str,
    status: int,
    description: str,
    retry_after: int | None,
    count: int,
) -> None:
    """A reply refused with 429 (after retry_after), or with 500/502 (at once, with backoff), is
    sent again: the user gets the answer, once, and no apology."""
    api = server.api
    act, answer = help_or_privacy(server, method)
    api.fail_next(method, status, description, retry_after=retry_after, count=count)
    act()
    server.wait_for(lambda api: count_showing(api, USER, answer) == 1, what="the answer")
    failed = [f for f in api.failed if f[0] == method and f[2] == status]
    assert len(failed) == count, "the fault happened"
    sent = [a for a in api.sent if a.method == method and answer in (a.text or "")]
    assert len(sent) == 1, "the reply reached Telegram once"
    # The next update of this user is handled only once the first one (and any error handling)
    # is over: when it is answered, any apology would already be there.
    helps = count_showing(api, USER, HELP)
    api.user_message(USER, "/help")
    server.wait_for(lambda api: count_showing(api, USER, HELP) == helps + 1, what="next reply")
    assert count_showing(api, USER, APOLOGY) == 0, api.summary()


def test_reply_refused_four_times_gets_one_apology(
    live: BotProcess, server: FakeBotApiServer
) -> None:
    """500 on the reply and on its three retries: the user is told once, and the next works."""
    api = server.api
    api.fail_next("sendMessage", 500, "Internal Server Error", count=4)
    api.user_message(USER, "/help")
    told = wait_for_new_message(server, USER, 0)
    assert shows(told, APOLOGY), told.visible_text
    assert sum(f[0] == "sendMessage" and f[2] == 500 for f in api.failed) == 4
    api.user_message(USER, "/help")
    server.wait_for(lambda api: count_showing(api, USER, HELP) == 1, what="help again")
    assert count_showing(api, USER, APOLOGY) == 1
    assert "sendMessage failed 4 time(s), given up" in live.output()


@pytest.mark.parametrize("after_call", [False, True], ids=["request-lost", "answer-lost"])
def test_dropped_reply_is_not_sent_twice_nor_apologized_for(
    live: BotProcess, server: FakeBotApiServer, after_call: bool
) -> None:
    """A reply whose connection drops may have arrived: it is not sent again, no apology
    follows (the user sees the answer, or nothing), and the next message works."""
    api = server.api
    server.drop_next("sendMessage", after_call=after_call)
    api.user_message(USER, "/help")
    server.wait_for(lambda _: "not sent again" in live.output(), what="the unknown outcome")
    assert server.dropped == ["sendMessage"]
    # The reply did arrive only when the connection dropped after the call; the bot could not
    # know either way.
    assert count_showing(api, USER, HELP) == (1 if after_call else 0)
    before = count_showing(api, USER, HELP)
    api.user_message(USER, "/help")
    server.wait_for(lambda api: count_showing(api, USER, HELP) == before + 1, what="help again")
    assert count_showing(api, USER, APOLOGY) == 0, api.summary()


def test_reply_slower_than_the_read_timeout_comes_alone(
    live: BotProcess, server: FakeBotApiServer
) -> None:
    """A reply Telegram answers only after the read timeout (5 s): the answer arrives, with no
    apology before or after it, and is not sent twice."""
    api = server.api
    server.delay_next("sendMessage", 7)
    api.user_message(USER, "/help")
    server.wait_for(lambda api: count_showing(api, USER, HELP) == 1, timeout=20, what="the reply")
    api.user_message(USER, "/help")  # handled after the first one and its error handling
    server.wait_for(lambda api: count_showing(api, USER, HELP) == 2, what="the next reply")
    assert count_showing(api, USER, APOLOGY) == 0, api.summary()
    assert len(api.messages(USER)) == 2, "nothing but the two answers"
    assert "sendMessage: no answer from Telegram (TimedOut)" in live.output()


def _fail_get_updates(server: FakeBotApiServer, fault: str) -> tuple[int, Callable[[], int]]:
    """Inject ``fault`` into the next getUpdates calls; return how many calls it spoils and how
    many of them have been spoiled so far."""
    api = server.api
    if fault in ("500", "502"):
        api.fail_next("getUpdates", int(fault), f"HTTP {fault}", count=2)
        return 2, lambda: sum(f[0] == "getUpdates" for f in api.failed)
    if fault == "dropped":
        server.drop_next("getUpdates", count=2)
        return 2, lambda: len(server.dropped)
    # The updates were handed out, the answer carrying them was lost: Telegram sends them again.
    server.drop_next("getUpdates", after_call=True)
    return 1, lambda: 1 - server.pending_network_faults()  # taken as soon as the poll arrives


@pytest.mark.parametrize("fault", ["500", "502", "dropped", "answer-lost"])
def test_polling_survives_get_updates_faults(
    live: BotProcess, server: FakeBotApiServer, fault: str
) -> None:
    """getUpdates failing (5xx, dropped connection): polling goes on, each message answered once."""
    api = server.api
    api.user_message(USER, "/help")
    server.wait_for(lambda api: count_showing(api, USER, HELP) == 1, what="first help")
    spoils, spoiled = _fail_get_updates(server, fault)
    # The poll waiting now was asked before the fault; a message ends it, and the next poll
    # meets the fault. The second message is sent while polling is failing.
    api.user_message(OTHER, "/help")
    server.wait_for(lambda _: spoiled() >= 1, timeout=20, what="the first spoiled poll")
    api.user_message(USER, "/help")
    server.wait_for(
        lambda api: count_showing(api, USER, HELP) == 2 and count_showing(api, OTHER, HELP) == 1,
        timeout=20,  # python-telegram-bot waits 1 s, then 1.5 s, between failed polls
        what="both messages answered",
    )
    assert spoiled() == spoils, "every injected fault happened"
    api.user_message(USER, "/help")
    server.wait_for(lambda api: count_showing(api, USER, HELP) == 3, what="polling goes on")
    assert count_showing(api, OTHER, HELP) == 1, "nothing was handled twice"
    # One outage, logged once when it starts and once when it ends: no traceback per attempt.
    output = live.output()
    assert output.count("getting updates from Telegram failed") == 1, output
    assert output.count("getting updates works again") == 1, output
    assert "Traceback" not in output, output


def test_slow_reply_to_one_user_does_not_hold_up_another(
    live: BotProcess, server: FakeBotApiServer
) -> None:
    """A reply held for seconds delays only its user: it arrives once, and both users go on."""
    api = server.api
    server.delay_next("sendMessage", 3)
    api.user_message(USER, "/help")
    server.wait_for(lambda _: server.delayed == ["sendMessage"], what="the reply held")
    api.user_message(OTHER, "/help")
    server.wait_for(lambda api: count_showing(api, OTHER, HELP) == 1, what="the other answered")
    assert api.messages(USER) == [], "the slow reply is still on its way"
    server.wait_for(lambda api: count_showing(api, USER, HELP) == 1, what="the slow reply")
    api.user_message(USER, "/help")
    server.wait_for(lambda api: count_showing(api, USER, HELP) == 2, what="the next reply")
    assert count_showing(api, OTHER, HELP) == 1


def test_slow_get_updates_delays_but_loses_nothing(
    live: BotProcess, server: FakeBotApiServer
) -> None:
    """A getUpdates held for seconds: messages sent meanwhile are answered; polling goes on."""
    api = server.api
    api.user_message(USER, "/help")
    server.wait_for(lambda api: count_showing(api, USER, HELP) == 1, what="first help")
    server.delay_next("getUpdates", 3)
    api.user_message(OTHER, "/help")  # ends the poll in progress; the next one is held
    server.wait_for(lambda _: "getUpdates" in server.delayed, what="a held poll")
    api.user_message(USER, "/help")
    server.wait_for(
        lambda api: count_showing(api, USER, HELP) == 2 and count_showing(api, OTHER, HELP) == 1,
        what="both answered after the slow poll",
    )
    api.user_message(OTHER, "/help")
    server.wait_for(lambda api: count_showing(api, OTHER, HELP) == 2, what="polling goes on")


# -- start-up ---------------------------------------------------------------------------------


def test_start_up_rides_out_bot_api_errors(server: FakeBotApiServer, tmp_path: Path) -> None:
    """500s on getMe and deleteWebhook are retried; command menus and the profile texts that
    Telegram keeps refusing are warnings: the bot starts and answers."""
    api = server.api
    api.fail_next("getMe", 500, "Internal Server Error", count=2)
    api.fail_next("deleteWebhook", 502, "Bad Gateway", count=2)
    api.fail_next("setMyCommands", 500, "Internal Server Error", count=4)
    api.fail_next("setMyDescription", 500, "Internal Server Error", count=4)
    bot = BotProcess(server, tmp_path)
    try:
        api.user_message(USER, "/start")
        server.wait_for_message(USER, "Hi Ana!", timeout=60)
        # The menus and the profile are set in the background: their retries may go on.
        server.wait_for(
            lambda api: "bot description not set" in bot.output(),
            timeout=60,
            what="both warnings logged",
        )
        failed = [f[0] for f in api.failed]
        for method, count in [
            ("getMe", 2),
            ("deleteWebhook", 2),
            ("setMyCommands", 4),
            ("setMyDescription", 4),
        ]:
            assert failed.count(method) == count, (method, failed)
    finally:
        code = bot.stop()
    output = bot.output()
    assert code == 0, output
    assert "WARNING bot.telegram.app: command menu not set: NetworkError" in output
    assert "WARNING bot.telegram.app: bot description not set: NetworkError" in output


def test_the_first_answer_does_not_wait_for_the_command_menus(
    server: FakeBotApiServer, tmp_path: Path
) -> None:
    """Telegram taking its time over the menus (every setMyCommands held) does not hold up
    /start: the bot answers while the first menu is still pending, and sets the menus and
    the profile once Telegram answers."""
    api = server.api
    server.delay_next("setMyCommands", 300, count=1000)
    bot = BotProcess(server, tmp_path)
    try:
        api.user_message(USER, "/start")
        server.wait_for_message(USER, "Hi Ana!", timeout=60)
        assert "setMyCommands" in server.delayed  # asked for, and held
        assert "command menu not set" not in bot.output()  # not given up before the answer
        assert not [a for a in api.sent if a.method == "setMyCommands"]
        server.release_held()
        server.wait_for(
            lambda api: (
                {a.params.get("language_code") for a in api.sent if a.method == "setMyCommands"}
                >= {"en", "es", None}
                and any(a.method == "setMyShortDescription" for a in api.sent)
            ),
            timeout=60,
            what="menus and profile set once Telegram answers",
        )
    finally:
        code = bot.stop()
    assert code == 0, bot.output()


def sent_of(api: LocalBotApi, method: str) -> list[Any]:
    return [a for a in api.sent if a.method == method]


async def test_menus_are_set_again_after_telegram_could_not_be_reached(
    tmp_path: Path, content: Content
) -> None:
    """Menus that failed after the call guard's retries (500s) are tried again later, and set."""
    bot = await start_harness(make_config(tmp_path), content)
    try:
        bot.api.fail_next("setMyCommands", 500, "Internal Server Error", count=4)
        await publish_profile(bot.app, retry_delays=(0.0,))
        assert [f[0] for f in bot.api.failed].count("setMyCommands") == 4
        languages = {a.params.get("language_code") for a in sent_of(bot.api, "setMyCommands")}
        assert languages == {"en", "es", None}
    finally:
        await stop_harness(bot)


async def test_a_refused_menu_is_not_asked_again(tmp_path: Path, content: Content) -> None:
    """A menu Telegram refuses (400) is a warning once: asking again cannot change the answer."""
    bot = await start_harness(make_config(tmp_path), content)
    try:
        bot.api.fail_next("setMyCommands", 400, "Bad Request: BOT_COMMAND_INVALID")
        await publish_profile(bot.app, retry_delays=(0.0,))
        assert [f[0] for f in bot.api.failed] == ["setMyCommands"]
        assert sent_of(bot.api, "setMyCommands") == []
        assert len(sent_of(bot.api, "setMyDescription")) == 3
    finally:
        await stop_harness(bot)


async def test_stopping_ends_a_pending_retry_of_the_menus(tmp_path: Path, content: Content) -> None:
    """The bot stops at once even while it waits to set the menus again."""
    bot = await start_harness(make_config(tmp_path), content)
    bot.api.fail_next("setMyCommands", 500, "Internal Server Error", count=4)
    task = asyncio.create_task(publish_profile(bot.app, retry_delays=(3600.0,)))
    bot.app.bot_data.profile_task = task

    shorts: list[Any] = []
    first_round_over = asyncio.Event()

    def on_action(action: Any) -> None:
        if action.method == "setMyShortDescription":
            shorts.append(action)
            if len(shorts) == 3:
                first_round_over.set()

    bot.api.subscribe(on_action)
    await asyncio.wait_for(first_round_over.wait(), 60)
    await stop_harness(bot)
    assert task.cancelled()


def test_a_refused_token_at_start_up_stops_the_bot(
    server: FakeBotApiServer, tmp_path: Path
) -> None:
    """A 500 on getMe is retried, a 401 is not: the process stops with status 1 and says why."""
    api = server.api
    api.fail_next("getMe", 500, "Internal Server Error")
    api.fail_next("getMe", 401, "Unauthorized")
    bot = BotProcess(server, tmp_path)
    try:
        code = bot.proc.wait(timeout=60)
    finally:
        bot.stop()
    assert code == 1, bot.output()
    assert "Telegram refused the bot token" in bot.output()
    assert [f[2] for f in api.failed if f[0] == "getMe"] == [500, 401]


# -- the database refuses writes, or is full ------------------------------------------------------


async def snapshot(bot: Harness) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (reads work whatever the fault)."""
    tables = await bot.storage.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    return {
        str(name): sorted(
            tuple(row)
            for row in await bot.storage.fetchall(f'SELECT * FROM "{name}"')  # noqa: S608
        )
        for (name,) in tables
    }


def screen(bot: Harness, message_id: int) -> StoredMessage:
    """The user's message ``message_id`` as it shows now."""
    return next(m for m in bot.api.messages(bot.user_id) if m.message_id == message_id)


def starts_as(message: StoredMessage, expected: str) -> bool:
    """The message is the screen ``expected`` begins (its first line, placeholders filled)."""
    return (message.text or "").startswith(expected.split("\n", 1)[0][:40])


async def pragma(bot: Harness, statement: str) -> Any:
    cursor = await bot.storage._conn.execute(f"PRAGMA {statement}")
    row = cursor.fetchone()
    return row[0] if row else None


@pytest.mark.parametrize("lang", ["en", "es"])
async def test_read_only_database_then_writable_again(
    bot: Harness, content: Content, lang: str
) -> None:
    """Read-only SQLite: "can't save" in the user's language, nothing written; then all works."""
    bot.language_code = lang
    t = content.text
    await bot.send("/comment")
    roles = await bot.press(t("button.start_guide", lang))
    intro = await bot.send("/pledge")
    role = next(iter(content.letter.roles.values())).label.get(lang)
    role_data = next(b["callback_data"] for b in bot.buttons(roles) if b["text"] == role)
    pledge_data = bot.buttons(intro)[0]["callback_data"]
    before = await snapshot(bot)

    async def actions() -> list[StoredMessage]:
        """Each action, and what the user then sees: the latest message in the chat."""
        await bot.press_data(pledge_data, message_id=intro.message_id)
        shown = [bot.last()]
        await bot.press_data(role_data, message_id=roles.message_id)
        shown.append(bot.last())
        shown.append(await bot.send("/start", user_id=OTHER))
        return shown

    await bot.storage._conn.execute("PRAGMA query_only = 1")
    for reply in await actions():
        assert CANT_SAVE[lang] in (reply.text or ""), reply.text
    assert await snapshot(bot) == before, "nothing written"
    await bot.storage._conn.execute("PRAGMA query_only = 0")
    await actions()
    # The presses edit the screens they were pressed on; /start answers the newcomer.
    pledged, chosen = (screen(bot, m.message_id) for m in (intro, roles))
    started = bot.last(OTHER)
    assert starts_as(pledged, t("pledge.ask_name", lang, max="64"))
    assert starts_as(chosen, t("guide.reasons", lang, step="2", total="5", chosen="0"))
    campaign = content.campaign.name.get(lang)
    assert starts_as(started, t("start.greeting", lang, name="Ana", campaign=campaign))
    draft = await bot.storage.get_draft(bot.user_id)
    assert draft is not None and draft.step == "reasons" and draft.role is not None
    assert (await bot.storage.get_pledge(bot.user_id)) is not None
    assert await bot.storage.get_user(OTHER) is not None


def notices(bot: Harness, user_id: int, lang: str) -> int:
    """How many times the user was told that saving is unavailable."""
    notice = bot.content.text("saving.unavailable", lang)
    return sum(m.text == notice for m in bot.api.messages(user_id))


@pytest.mark.parametrize("lang", ["en", "es"])
async def test_read_only_database_still_answers_and_says_so_once(
    bot: Harness, content: Content, lang: str
) -> None:
    """A database that cannot be written: /start, the menu, facts, a question, /privacy,
    /mydata and /help answer as usual and write nothing; once the bot's next write is refused
    (the periodic write of the times and counters it keeps in memory, or anything a user
    saves), each user is told once, in their language, that nothing can be saved; saving
    refused later adds no second notice; once the database can be written again everything is
    saved, and a new outage is told anew."""
    bot.language_code = lang
    t = content.text
    await bot.send("/start")
    await bot.storage._conn.execute("PRAGMA query_only = 1")
    before = await snapshot(bot)
    topic = next(iter(content.topics.values()))
    fact = content.topic_facts(topic.id)[0]

    campaign = content.campaign.name.get(lang)
    menu = await bot.send("/start")
    assert starts_as(menu, t("start.welcome_back", lang, name="Ana", campaign=campaign))
    assert notices(bot, bot.user_id, lang) == 0, "nothing was written, nothing refused yet"
    await flush_batched(bot.app.bot_data)  # what the bot does every few seconds
    await bot.press_data("facts1:topics", message_id=menu.message_id)
    assert bot.last().text == t("saving.unavailable", lang), "told right after the answer"
    assert starts_as(screen(bot, menu.message_id), t("topics.title", lang))
    await bot.press_data(f"facts1:topic:{topic.id}", message_id=menu.message_id)
    assert topic.title.get(lang) in (screen(bot, menu.message_id).text or "")
    await bot.press_data(f"facts1:fact:{fact.id}", message_id=menu.message_id)
    assert fact.title.get(lang) in (screen(bot, menu.message_id).text or "")
    answer = await bot.send("what is 287g" if lang == "en" else "¿qué es 287g?")
    assert starts_as(answer, t("search.answer", lang)), answer.text
    privacy = await bot.send("/privacy")
    assert starts_as(privacy, t("privacy.text", lang, days="30")), privacy.text
    mydata = await bot.send("/mydata")
    assert mydata.message_id > privacy.message_id and not any(
        failure in (mydata.text or "") for failure in (CANT_SAVE[lang], APOLOGY)
    ), mydata.text
    help_message = await bot.send("/help")
    assert starts_as(help_message, t("help.text", lang, campaign=campaign))
    await bot.press_data("menu1:main", message_id=help_message.message_id)
    assert starts_as(screen(bot, help_message.message_id), t("menu.title", lang))
    assert notices(bot, bot.user_id, lang) == 1
    # Another user, new to the bot, is answered and told once too.
    greeting = t("start.greeting", lang, name="Ana", campaign=campaign)
    await bot.send("/start", user_id=OTHER)
    assert starts_as(bot.api.messages(OTHER)[0], greeting)
    await bot.send("/help", user_id=OTHER)
    assert notices(bot, OTHER, lang) == 1
    # Something that must be saved is refused plainly, with no second notice.
    refused = await bot.send("/language")
    await bot.press_data("menu1:set-language:es", message_id=refused.message_id)
    assert CANT_SAVE[lang] in (bot.last().text or "")
    assert notices(bot, bot.user_id, lang) == 1
    assert await snapshot(bot) == before, "nothing written"

    await bot.storage._conn.execute("PRAGMA query_only = 0")
    await bot.send("/start", user_id=OTHER)
    saved = await bot.storage.fetchone("SELECT 1 FROM users WHERE user_id = ?", (OTHER,))
    assert saved is not None, "saved again"
    await bot.storage._conn.execute("PRAGMA query_only = 1")
    await bot.send("/help", user_id=OTHER)
    await flush_batched(bot.app.bot_data)
    await bot.send("/help", user_id=OTHER)
    assert notices(bot, OTHER, lang) == 2, "a new outage is told anew"


async def test_read_only_database_at_start_up_is_warned(
    tmp_path: Path,
    content: Content,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A database that cannot be written when the bot starts: a warning in the log, and the
    first user is told along with the first answer."""
    config = make_config(tmp_path)
    storage = await Storage.open(config.db_path)  # a database the bot has used before
    await storage.close()
    open_database = Storage.open

    async def open_read_only(path: Path | str, *args: Any, **kwargs: Any) -> Storage:
        opened = await open_database(path, *args, **kwargs)
        await opened._conn.execute("PRAGMA query_only = 1")
        return opened

    monkeypatch.setattr(Storage, "open", open_read_only)
    bot = await start_harness(config, content)
    try:
        assert "cannot be written" in caplog.text
        warned = [r for r in caplog.records if "cannot be written" in r.getMessage()]
        assert [r.levelname for r in warned] == ["WARNING"]
        await bot.send("/start")
        assert notices(bot, bot.user_id, "en") == 1
        assert await bot.storage.get_user(bot.user_id) is None, "nothing written"
    finally:
        await stop_harness(bot)


# How many pages the database may still grow by; which write meets the full database depends on
# it: with 1 the press "I pledge" (after the pledge itself was stored), with 2 a newcomer's /pledge.
FULL_CASES = [pytest.param(1, "es", id="1-page-es"), pytest.param(2, "en", id="2-pages-en")]


@pytest.mark.parametrize(("headroom", "lang"), FULL_CASES)
async def test_full_database_then_room_again(
    bot: Harness, content: Content, headroom: int, lang: str
) -> None:
    """Full SQLite: "can't save" in the user's language, no half-written pledge; then it works."""
    bot.language_code = lang
    pledge_button = content.text("button.pledge_yes", lang)
    pages = await pragma(bot, "page_count")
    limit = pages + headroom
    assert await pragma(bot, f"max_page_count = {limit}") == limit
    failed: tuple[int, str, int] | None = None  # (user, what was refused, message to retry on)
    for user_id in range(10_000, 12_000):  # a page holds some 100 users: bounded anyway
        intro = await bot.send("/pledge", user_id=user_id)
        if CANT_SAVE[lang] in (intro.text or ""):
            failed = (user_id, "/pledge", 0)
            break
        reply = await bot.press(pledge_button, user_id=user_id)
        if CANT_SAVE[lang] in (reply.text or ""):
            failed = (user_id, "pledge", intro.message_id)
            break
    assert failed is not None, "the database never filled up"
    user_id, refused, message_id = failed

    async def consistent() -> int:
        """Pledges numbered 1..n without gaps or repeats, each counted once; return n."""
        numbers = [n for (n,) in await bot.storage.fetchall("SELECT number FROM pledges")]
        assert sorted(numbers) == list(range(1, len(numbers) + 1))
        counted = await bot.storage.fetchone(
            "SELECT COALESCE(SUM(count), 0) FROM daily_counts WHERE event = 'pledge'"
        )
        assert counted is not None and counted[0] == len(numbers), "a pledge without its count"
        assert await pragma(bot, "integrity_check") == "ok"
        return len(numbers)

    pledged = await consistent()
    assert await pragma(bot, "max_page_count = 1000000") == 1_000_000
    if refused == "/pledge":
        intro = await bot.send("/pledge", user_id=user_id)
        assert bot.buttons(intro), intro.text
        message_id = intro.message_id
    bot.user_id = user_id
    data = next(
        b["callback_data"] for b in screen(bot, message_id).buttons if b["text"] == pledge_button
    )
    await bot.press_data(data, message_id=message_id)
    assert starts_as(screen(bot, message_id), content.text("pledge.ask_name", lang, max="64"))
    assert await consistent() in (pledged, pledged + 1)
    assert await bot.storage.get_pledge(user_id) is not None


# -- broken content at /reload ------------------------------------------------------------------


def _break_yaml(content_dir: Path) -> None:
    (content_dir / "ui.yaml").write_text("strings: [broken", "utf-8")


def _truncate(content_dir: Path) -> None:
    ui = content_dir / "ui.yaml"
    text = ui.read_text("utf-8")
    ui.write_text(text[: len(text) // 2].rsplit("\n", 1)[0] + "\n", "utf-8")


def _insecure_source(content_dir: Path) -> None:
    facts = content_dir / "facts.yaml"
    facts.write_text(
        facts.read_text("utf-8").replace('url: "https://', 'url: "http://', 1), "utf-8"
    )


def _vanish(content_dir: Path) -> None:
    shutil.rmtree(content_dir)


BREAKAGES: dict[str, tuple[Callable[[Path], None], str]] = {
    "invalid-yaml": (_break_yaml, "ui.yaml:1: invalid YAML"),
    "truncated-file": (_truncate, "ui.yaml"),
    "http-source": (_insecure_source, "is not an https link"),
    "directory-gone": (_vanish, "not a directory"),
}


@pytest.mark.parametrize("breakage", list(BREAKAGES))
async def test_broken_content_at_reload_keeps_the_old(
    tmp_path: Path, content: Content, breakage: str
) -> None:
    """/reload of broken content keeps the old serving and lists the errors; fixed, it reloads."""
    content_dir = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content_dir)
    config = make_config(tmp_path, content_dir=content_dir, organizers=frozenset({ORGANIZER}))
    bot = await start_harness(config, content)
    try:
        assert HELP in ((await bot.send("/help")).text or "")
        question = await bot.send("what is 287g")
        break_it, expected = BREAKAGES[breakage]
        break_it(content_dir)
        report = (await bot.send("/reload", user_id=ORGANIZER)).text or ""
        assert "Content not reloaded" in report and expected in report, report
        assert HELP in ((await bot.send("/help")).text or ""), "the old content serves"
        assert (await bot.send("what is 287g")).text == question.text
        shutil.rmtree(content_dir, ignore_errors=True)
        shutil.copytree(CONTENT_DIR, content_dir)
        ui = content_dir / "ui.yaml"
        ui.write_text(ui.read_text("utf-8").replace(HELP, "how to use this new bot"), "utf-8")
        report = (await bot.send("/reload", user_id=ORGANIZER)).text or ""
        assert "Content reloaded" in report, report
        assert "how to use this new bot" in ((await bot.send("/help")).text or "")
    finally:
        await stop_harness(bot)
    assert invalid_requests(bot.api) == []
