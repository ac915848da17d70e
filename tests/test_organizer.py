"""Organizer tools through the real Application: who may use them, broadcasts, stats, export,
reload (journey 8)."""

from __future__ import annotations

import asyncio
import csv
import io
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.content import Content
from bot.telegram.app import build_application, start_in_process
from tests.fakes.local_api import LocalBotApi, LocalRequest, StoredMessage
from tests.harness import (
    ORGANIZER,
    Harness,
    db,
    invalid_requests,
    make_config,
    start_harness,
    stop_harness,
)

ORG = ORGANIZER  # org_bot's organizer


async def add_supporters(
    bot: Harness, count: int, start: int = 1, lang: str = "en", **kw: Any
) -> list[int]:
    """Supporters who subscribed through the real bot."""
    ids = list(range(start, start + count))
    storage = bot.storage
    for user_id in ids:
        await storage.touch_user(user_id, lang, kw.get("source"))
        await storage.subscribe(user_id)
        if "state" in kw:
            await storage.record_pledge(user_id)
            await storage.set_pledge_state(user_id, kw["state"])
    return ids


async def wait_finished(bot: Harness) -> None:
    await asyncio.wait_for(bot.app.bot_data.broadcasts.finished.wait(), timeout=30)
    bot.app.bot_data.broadcasts.finished.clear()


def copies(bot: Harness) -> dict[int, int]:
    counts: dict[int, int] = {}
    for action in bot.api.sent:
        if action.method == "copyMessage" and action.chat_id != ORG:
            counts[action.chat_id or 0] = counts.get(action.chat_id or 0, 0) + 1
    return counts


# -- who is an organizer --------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["/broadcast", "/stats", "/export", "/reload"])
async def test_organizer_commands_look_unknown_to_others(org_bot: Harness, command: str) -> None:
    """To a supporter, organizer commands answer exactly like any unknown command."""
    reply = await org_bot.send(command)
    unknown = await org_bot.send("/no-such-command")
    assert reply.text == unknown.text
    assert db(org_bot, "SELECT COUNT(*) FROM broadcasts") == [(0,)]
    assert not any(a.method in ("sendPhoto", "sendDocument") for a in org_bot.api.sent)


@pytest.mark.parametrize(
    "data",
    [
        "bcast1:send",
        "bcast1:audience:all",
        "bcast1:state:tx",
        "bcast1:schedule",
        "bcast1:discard",
        "bcast1:stop:1",
    ],
)
async def test_forged_organizer_buttons_do_nothing(org_bot: Harness, data: str) -> None:
    """Organizer callback data from a supporter is refused like any forged data."""
    await org_bot.send("/start")
    reply = await org_bot.press_data(data)
    assert "no longer active" in (reply.text or "")
    assert db(org_bot, "SELECT COUNT(*) FROM broadcasts") == [(0,)]


async def test_a_forged_stop_cannot_cancel_an_organizers_broadcast(org_bot: Harness) -> None:
    """A supporter pressing a copied "cancel broadcast" button changes nothing."""
    await add_supporters(org_bot, 1)
    await org_bot.send("/broadcast", user_id=ORG)
    await org_bot.send("Scheduled news", user_id=ORG)
    await org_bot.press("Everyone subscribed", user_id=ORG)
    await org_bot.press("Schedule", user_id=ORG)
    await org_bot.send("2099-01-01 10:00 UTC", user_id=ORG)
    (broadcast_id,) = db(org_bot, "SELECT id FROM broadcasts")[0]
    await org_bot.send("/start", user_id=5)
    await org_bot.press_data(f"bcast1:stop:{broadcast_id}", user_id=5)
    assert db(org_bot, "SELECT status FROM broadcasts") == [("scheduled",)]


async def test_organizers_get_their_own_command_menu(org_bot: Harness) -> None:
    """At start-up organizers get a chat-scoped command menu with their commands."""
    scoped = [
        a
        for a in org_bot.startup_actions
        if a.method == "setMyCommands" and (a.params.get("scope") or {}).get("chat_id") == ORG
    ]
    assert scoped
    names = {c["command"] for c in scoped[0].params["commands"]}
    assert {"broadcast", "stats", "export", "reload", "start"} <= names
    public = [
        a
        for a in org_bot.startup_actions
        if a.method == "setMyCommands" and not a.params.get("scope")
    ]
    assert all("broadcast" not in {c["command"] for c in a.params["commands"]} for a in public)


# -- broadcasts ------------------------------------------------------------------------------------


async def test_broadcast_to_everyone_subscribed(org_bot: Harness) -> None:
    """Compose → audience → preview with exact count → send → progress → final report."""
    bot = org_bot
    await add_supporters(bot, 5)
    await bot.storage.touch_user(50, "en")  # never subscribed
    await add_supporters(bot, 1, start=60)
    await bot.storage.set_reachable(60, False)  # blocked the bot
    await add_supporters(bot, 1, start=70)
    bot.api.block_chat(70)  # blocked, but the bot does not know yet
    asked = await bot.send("/broadcast", user_id=ORG)
    assert "Send me the message" in (asked.text or "")
    await bot.send("<b>Big news</b>: the county vote is Tuesday!", user_id=ORG)
    menu = bot.last(ORG)
    assert "Who should get it?" in (menu.text or "")
    preview = await bot.press("Everyone subscribed", user_id=ORG)
    assert "6</b> recipients" in (preview.text or "")
    assert any(a.method == "copyMessage" and a.chat_id == ORG for a in bot.api.sent)
    await bot.press("Send now", user_id=ORG)
    await wait_finished(bot)
    report = bot.last(ORG).text or ""
    assert "Broadcast finished" in report
    assert "Recipients: 6" in report and "Delivered: 5" in report and "Blocked the bot: 1" in report
    assert copies(bot) == {1: 1, 2: 1, 3: 1, 4: 1, 5: 1}
    user = await bot.storage.get_user(70)
    assert user is not None and not user.reachable


async def test_audiences(org_bot: Harness) -> None:
    """Each audience counts only matching subscribed, reachable users."""
    bot = org_bot
    await add_supporters(bot, 3, start=1, lang="es")
    await add_supporters(bot, 2, start=10, lang="en", state="TX")
    await add_supporters(bot, 4, start=20, lang="en", source="flyer-mn")
    await bot.send("/broadcast", user_id=ORG)
    await bot.send("Hola", user_id=ORG)
    preview = await bot.press("in Spanish", user_id=ORG)
    assert "<b>3</b> recipients" in (preview.text or "")
    await bot.press("Change audience", user_id=ORG)
    await bot.press("One state", user_id=ORG)
    preview = await bot.press("TX", user_id=ORG)
    assert "Subscribers in Texas" in (preview.text or "") and "<b>2</b>" in (preview.text or "")
    await bot.press("Change audience", user_id=ORG)
    await bot.press("Pledged, no comment", user_id=ORG)
    assert "<b>2</b> recipients" in (bot.last(ORG).text or "")
    await bot.press("Change audience", user_id=ORG)
    await bot.press("One source code", user_id=ORG)
    bad = await bot.send("not valid!", user_id=ORG)
    assert "1–64 letters" in (bad.text or "")
    preview = await bot.send("flyer-mn", user_id=ORG)
    assert "flyer-mn" in (preview.text or "") and "<b>4</b> recipients" in (preview.text or "")
    await bot.press("Change audience", user_id=ORG)
    await bot.press("One source code", user_id=ORG)
    empty = await bot.send("nobody-here", user_id=ORG)
    assert "Nobody matches" in (empty.text or "")
    assert "Send now" not in str(bot.button_labels(empty))


def data_of(bot: Harness, message: StoredMessage, label: str) -> str:
    return next(str(b["callback_data"]) for b in bot.buttons(message) if label in b["text"])


def copied_messages(bot: Harness) -> dict[int, list[int]]:
    """The message ids copied to each supporter (broadcast deliveries)."""
    copied: dict[int, list[int]] = {}
    for action in bot.api.sent:
        if action.method == "copyMessage" and action.chat_id != ORG:
            copied.setdefault(action.chat_id or 0, []).append(int(action.params["message_id"]))
    return copied


async def compose(bot: Harness, text: str) -> int:
    """/broadcast and the message; returns the message's id in the organizer's chat."""
    await bot.send("/broadcast", user_id=ORG)
    update = bot.api.user_message(ORG, text)
    await bot.feed(update)
    return int(update["message"]["message_id"])


async def test_a_stale_send_now_sends_nothing(org_bot: Harness) -> None:
    """The red-team reproduction: MSG-A previewed for 3 Spanish subscribers, then MSG-B started
    and left at the audience menu. MSG-A's "Send now" sends nothing (it used to send MSG-B to
    all 8) and says so; the right preview sends MSG-A to exactly the 3."""
    bot = org_bot
    spanish = await add_supporters(bot, 3, start=1, lang="es")
    await add_supporters(bot, 5, start=10, lang="en")
    await compose(bot, "MSG-A")
    preview_a = await bot.press("in Spanish", user_id=ORG)
    assert "<b>3</b> recipients" in (preview_a.text or "")
    await compose(bot, "MSG-B")
    assert "Who should get it?" in (bot.last(ORG).text or "")
    (draft_b,) = db(bot, "SELECT id, audience, status FROM broadcasts")
    assert draft_b[1:] == (None, "draft"), "a new draft has no audience until one is picked"

    await bot.press_data(
        data_of(bot, preview_a, "Send now"), message_id=preview_a.message_id, user_id=ORG
    )
    said = next(m for m in bot.api.messages(ORG) if m.message_id == preview_a.message_id)
    assert "no longer being prepared" in (said.text or "") and "Nothing was" in (said.text or "")
    assert not said.buttons, "the stale preview's buttons are gone"
    assert copied_messages(bot) == {}
    assert db(bot, "SELECT COUNT(*) FROM deliveries") == [(0,)]
    assert db(bot, "SELECT id, audience, status FROM broadcasts") == [draft_b]

    message_a = await compose(bot, "MSG-A")
    await bot.press("in Spanish", user_id=ORG)
    await bot.press("Send now", user_id=ORG)
    await wait_finished(bot)
    assert copied_messages(bot) == {user_id: [message_a] for user_id in spanish}
    assert "Recipients: 3" in (bot.last(ORG).text or "")


async def test_only_the_latest_preview_sends(org_bot: Harness) -> None:
    """After "Change audience", the older preview's Send now and Schedule send nothing: the
    audience it showed is not the draft's any more. The latest preview sends to its audience."""
    bot = org_bot
    await add_supporters(bot, 3, start=1, lang="es")
    await add_supporters(bot, 5, start=10, lang="en")
    await compose(bot, "News")
    first = await bot.press("in Spanish", user_id=ORG)
    await bot.press("Change audience", user_id=ORG)
    second = await bot.press("Everyone subscribed", user_id=ORG)
    assert "<b>8</b> recipients" in (second.text or "")
    for label in ("Send now", "Schedule"):
        await bot.press_data(data_of(bot, first, label), message_id=first.message_id, user_id=ORG)
        said = next(m for m in bot.api.messages(ORG) if m.message_id == first.message_id)
        assert "out of date" in (said.text or ""), label
    assert await bot.storage.get_step(ORG) is None
    assert copied_messages(bot) == {} and db(bot, "SELECT status FROM broadcasts") == [("draft",)]
    await bot.press_data(data_of(bot, second, "Send now"), user_id=ORG)
    await wait_finished(bot)
    assert sorted(copied_messages(bot)) == [1, 2, 3, 10, 11, 12, 13, 14]


async def test_buttons_of_a_finished_broadcast_do_nothing(org_bot: Harness) -> None:
    """Once a broadcast is sent, scheduled or discarded, every button of its draft — audience,
    state, Send now, Schedule, Discard — changes nothing and says so; nothing is sent twice."""
    bot = org_bot
    await add_supporters(bot, 2, state="TX")
    await compose(bot, "Sent once")
    menu = bot.last(ORG)
    await bot.press("One state", user_id=ORG)
    states = bot.last(ORG)
    preview = await bot.press("TX", user_id=ORG)
    await bot.press("Send now", user_id=ORG)
    await wait_finished(bot)
    assert copies(bot) == {1: 1, 2: 1}
    before = db(bot, "SELECT * FROM broadcasts")
    stale = [
        (menu, "Everyone subscribed"),
        (menu, "Discard"),
        (states, "TX"),
        (preview, "Send now"),
        (preview, "Schedule"),
        (preview, "Change audience"),
        (preview, "Discard"),
    ]
    for message, label in stale:
        data = data_of(bot, message, label)
        await bot.press_data(data, message_id=message.message_id, user_id=ORG)
        said = next(m for m in bot.api.messages(ORG) if m.message_id == message.message_id)
        assert "no longer being prepared" in (said.text or ""), data
    assert db(bot, "SELECT * FROM broadcasts") == before
    assert copies(bot) == {1: 1, 2: 1}


async def test_an_organizer_cannot_press_another_organizers_draft(
    tmp_path: Path, content: Content
) -> None:
    """Buttons name their draft: a second organizer replaying the first one's buttons changes
    nothing."""
    other = ORG + 1
    config = make_config(tmp_path, organizers=frozenset({ORG, other}))
    bot = await start_harness(config, content)
    try:
        await add_supporters(bot, 2)
        await compose(bot, "Mine")
        menu = bot.last(ORG)
        preview = await bot.press("Everyone subscribed", user_id=ORG)
        await bot.send("/start", user_id=other)
        for message, label in ((menu, "in Spanish"), (preview, "Send now"), (preview, "Discard")):
            reply = await bot.press_data(data_of(bot, message, label), user_id=other)
            assert "no longer being prepared" in (reply.text or "")
        assert db(bot, "SELECT audience, status FROM broadcasts") == [("all", "draft")]
        assert copies(bot) == {}
    finally:
        await stop_harness(bot)


@pytest.mark.parametrize(
    "data",
    [
        "bcast1:send:1",
        "bcast1:send:1-zz",
        "bcast1:send:x-0123456789ab",
        "bcast1:audience:1",
        "bcast1:audience:1-everyone",
        "bcast1:state:1-zz",
        "bcast1:discard:a",
    ],
)
async def test_malformed_organizer_buttons_are_stale(org_bot: Harness, data: str) -> None:
    """Organizer data the bot never makes (old formats included) is refused like forged data."""
    await compose(org_bot, "Draft")
    reply = await org_bot.press_data(data, user_id=ORG)
    assert "no longer active" in (reply.text or "")
    assert db(org_bot, "SELECT audience, status FROM broadcasts") == [(None, "draft")]


async def test_recipient_lists_expire_but_reports_stay(org_bot: Harness) -> None:
    """A finished broadcast keeps who received it for OUTREACH_DELIVERY_RETENTION_DAYS (90),
    for its report; then the rows become counts with no user id: /mydata no longer lists the
    update, and the report still adds up."""
    from bot.telegram.jobs import expire_old_deliveries

    bot = org_bot
    services = bot.app.bot_data
    await add_supporters(bot, 3)
    await compose(bot, "News")
    await bot.press("Everyone subscribed", user_id=ORG)
    await bot.press("Send now", user_id=ORG)
    await wait_finished(bot)
    (broadcast_id,) = db(bot, "SELECT id FROM broadcasts")[0]
    report = await services.outbox.report(broadcast_id)
    assert report.delivered == 3
    finished = services.storage.now()
    assert await expire_old_deliveries(services) == 0
    services.storage._clock = lambda: float(finished + 89 * 86400)
    assert await expire_old_deliveries(services) == 0
    mydata = await bot.send("/mydata", user_id=1)
    assert "Updates sent to you" in (mydata.text or "")
    services.storage._clock = lambda: float(finished + 91 * 86400)
    assert await expire_old_deliveries(services) == 3
    assert db(bot, "SELECT COUNT(*) FROM deliveries") == [(0,)]
    assert await services.outbox.report(broadcast_id) == report
    mydata = await bot.send("/mydata", user_id=1)
    assert "Your profile" in (mydata.text or "")
    assert "Updates sent to you" not in (mydata.text or "")


async def test_photo_broadcast_is_copied(org_bot: Harness) -> None:
    """A photo with a caption is delivered with copy_message, exactly as sent."""
    bot = org_bot
    await add_supporters(bot, 2)
    await bot.send("/broadcast", user_id=ORG)
    await bot.feed(bot.api.user_photo(ORG, caption="Rally on <b>Saturday</b>"))
    await bot.press("Everyone subscribed", user_id=ORG)
    await bot.press("Send now", user_id=ORG)
    await wait_finished(bot)
    assert copies(bot) == {1: 1, 2: 1}
    assert db(bot, "SELECT kind FROM broadcasts") == [("photo",)]


async def test_unsupported_broadcast_message(org_bot: Harness) -> None:
    """A sticker is not a broadcast: the organizer is asked again."""
    await org_bot.send("/broadcast", user_id=ORG)
    await org_bot.feed(org_bot.api.user_sticker(ORG))
    assert "send text or one photo" in (org_bot.last(ORG).text or "").lower()
    assert db(org_bot, "SELECT COUNT(*) FROM broadcasts") == [(0,)]


async def test_schedule_validation_and_run(org_bot: Harness) -> None:
    """Bad dates are explained; a valid one is kept and starts when due."""
    bot = org_bot
    await add_supporters(bot, 2)
    await bot.send("/broadcast", user_id=ORG)
    await bot.send("Reminder: hearing tomorrow", user_id=ORG)
    await bot.press("Everyone subscribed", user_id=ORG)
    await bot.press("Schedule", user_id=ORG)
    assert "couldn't read" in ((await bot.send("tomorrow 6pm", user_id=ORG)).text or "")
    assert "time zone" in (
        (await bot.send("2099-01-01 10:00 Mars/Olympus", user_id=ORG)).text or ""
    )
    assert "has passed" in ((await bot.send("2001-01-01 10:00 UTC", user_id=ORG)).text or "")
    reply = await bot.send("2099-01-01 10:00 America/Chicago", user_id=ORG)
    assert "Scheduled for 2099-01-01 10:00 CST" in (reply.text or "")
    (due,) = db(bot, "SELECT scheduled_at FROM broadcasts")[0]
    assert due == int(datetime(2099, 1, 1, 16, 0, tzinfo=UTC).timestamp())  # 10:00 CST
    services = bot.app.bot_data
    assert await services.broadcasts.start_due() == 0
    bot.storage._clock = lambda: float(due + 1)
    assert await services.broadcasts.start_due() == 1
    await wait_finished(bot)
    assert copies(bot) == {1: 1, 2: 1}
    assert "Delivered: 2" in (bot.last(ORG).text or "")


async def test_cancel_a_scheduled_broadcast(org_bot: Harness) -> None:
    """A cancelled scheduled broadcast never starts."""
    bot = org_bot
    await add_supporters(bot, 2)
    await bot.send("/broadcast", user_id=ORG)
    await bot.send("Maybe later", user_id=ORG)
    await bot.press("Everyone subscribed", user_id=ORG)
    await bot.press("Schedule", user_id=ORG)
    await bot.send("2099-01-01 10:00 UTC", user_id=ORG)
    reply = await bot.press("Cancel broadcast", user_id=ORG)
    assert "cancelled" in (reply.text or "")
    bot.storage._clock = lambda: 4_200_000_000.0
    assert await bot.app.bot_data.broadcasts.start_due() == 0
    assert copies(bot) == {}


async def test_discard_draft(org_bot: Harness) -> None:
    """Discarding a draft sends nothing."""
    await add_supporters(org_bot, 1)
    await org_bot.send("/broadcast", user_id=ORG)
    await org_bot.send("Oops", user_id=ORG)
    reply = await org_bot.press("Discard", user_id=ORG)
    assert "discarded" in (reply.text or "")
    assert await org_bot.app.bot_data.outbox.latest_draft(ORG) is None


async def test_broadcasts_go_through_the_senders_own_transport(
    tmp_path: Path, content: Content
) -> None:
    """The application uses the transports it is given: replies (the preview and the report
    included) through its own, the copies to supporters through the broadcast sender's, so
    broadcasts never queue in front of replies."""
    replies, polling, broadcasts = LocalBotApi(), LocalBotApi(), LocalBotApi()
    config = make_config(tmp_path, organizers=frozenset({ORG}))
    app = build_application(
        config,
        content,
        request=LocalRequest(replies),
        updates_request=LocalRequest(polling),
        broadcast_request=LocalRequest(broadcasts),
    )
    await start_in_process(app)
    bot = Harness(app=app, api=replies)
    try:
        await add_supporters(bot, 3)
        await compose(bot, "News")
        await bot.press("Everyone subscribed", user_id=ORG)
        await bot.press("Send now", user_id=ORG)
        await wait_finished(bot)
        assert "Recipients: 3" in (bot.last(ORG).text or "")
    finally:
        await stop_harness(bot)
    assert copies(bot) == {}
    assert {a.chat_id for a in broadcasts.sent if a.method == "copyMessage"} == {1, 2, 3}
    assert polling.sent == [] and polling.rejected == []  # nothing polls in-process
    assert not invalid_requests(replies) and not invalid_requests(broadcasts)


class HeldGetMe(LocalRequest):
    """The broadcast sender's transport, whose getMe waits until :attr:`answer` is set."""

    def __init__(self, api: LocalBotApi) -> None:
        super().__init__(api)
        self.answer = asyncio.Event()
        self.waiting = asyncio.Event()  # a getMe is waiting
        self.asked = 0

    async def do_request(self, url: str, method: str, *args: Any, **kw: Any) -> tuple[int, bytes]:
        if url.endswith("/getMe"):
            self.asked += 1
            self.waiting.set()
            await self.answer.wait()
        return await super().do_request(url, method, *args, **kw)


async def start_with_sender(
    tmp_path: Path, content: Content, sender: LocalRequest
) -> tuple[Harness, LocalBotApi]:
    """The bot with ``sender`` as the broadcast sender's transport; returns it and the fake
    Telegram its sender talks to (``sender.api``)."""
    replies = LocalBotApi()
    config = make_config(tmp_path, organizers=frozenset({ORG}))
    app = build_application(
        config,
        content,
        request=LocalRequest(replies),
        updates_request=LocalRequest(LocalBotApi()),
        broadcast_request=sender,
    )
    await asyncio.wait_for(start_in_process(app), timeout=30)  # whatever the sender's getMe
    return Harness(app=app, api=replies), sender.api


async def confirmed_broadcast(bot: Harness) -> int:
    outbox = bot.app.bot_data.outbox
    broadcast_id = await outbox.create_broadcast(ORG, ORG, 1, "text", "all")
    check = await outbox.record_preview(broadcast_id, "all")
    assert check is not None and await outbox.confirm(broadcast_id, None, check)
    return broadcast_id


async def test_the_bot_answers_before_the_broadcast_sender_knows_itself(
    tmp_path: Path, content: Content
) -> None:
    """The broadcast sender's getMe is made in the background: the bot starts and answers
    while it is unanswered; a broadcast confirmed meanwhile waits for it, then goes out."""
    sender = HeldGetMe(LocalBotApi())
    bot, sent_by_sender = await start_with_sender(tmp_path, content, sender)
    try:
        await asyncio.wait_for(sender.waiting.wait(), timeout=10)
        assert "End 287(g)" in (await bot.send("/start")).visible_text
        await add_supporters(bot, 3)
        bot.app.bot_data.broadcasts.start(await confirmed_broadcast(bot))
        for _ in range(20):
            await asyncio.sleep(0)
        assert sent_by_sender.sent == []  # nothing before the sender knows itself
        sender.answer.set()
        await wait_finished(bot)
        assert {a.chat_id for a in sent_by_sender.sent if a.method == "copyMessage"} == {1, 2, 3}
        assert sender.asked == 1  # the one getMe, not another
    finally:
        await stop_harness(bot)


async def test_a_sender_stopped_before_knowing_itself_stops_cleanly(
    tmp_path: Path, content: Content
) -> None:
    """Stopping the bot while the sender's getMe is unanswered ends it; nothing is sent and
    the broadcast stays to go on at the next start."""
    sender = HeldGetMe(LocalBotApi())
    bot, sent_by_sender = await start_with_sender(tmp_path, content, sender)
    await add_supporters(bot, 2)
    broadcast_id = await confirmed_broadcast(bot)
    bot.app.bot_data.broadcasts.start(broadcast_id)
    await asyncio.wait_for(sender.waiting.wait(), timeout=10)
    await stop_harness(bot)
    assert sender.asked == 1 and sent_by_sender.sent == []
    assert db(bot, "SELECT status FROM broadcasts") == [("sending",)]


@pytest.mark.parametrize("failures", [1, 2])
async def test_a_failed_sender_getme_stops_broadcasts_not_the_bot(
    tmp_path: Path, content: Content, caplog: pytest.LogCaptureFixture, failures: int
) -> None:
    """Telegram refusing the sender's getMe at start-up does not stop the bot: it answers; a
    broadcast asks again before sending. Refused again, the broadcast sends nothing and stays
    "sending" (it goes on at the next start), with one line in the log that never holds the
    token."""
    sender = LocalRequest(LocalBotApi())
    sender.api.fail_next("getMe", 401, "Unauthorized", count=failures)
    bot, sent_by_sender = await start_with_sender(tmp_path, content, sender)
    try:
        assert "End 287(g)" in (await bot.send("/start")).visible_text
        await add_supporters(bot, 2)
        broadcast_id = await confirmed_broadcast(bot)
        bot.app.bot_data.broadcasts.start(broadcast_id)
        await wait_finished(bot)
        copied = {a.chat_id for a in sent_by_sender.sent if a.method == "copyMessage"}
        status = db(bot, "SELECT status FROM broadcasts")
        if failures == 1:
            assert copied == {1, 2} and status == [("done",)]
        else:
            assert copied == set() and status == [("sending",)]
            report = await bot.app.bot_data.outbox.report(broadcast_id)
            assert report.pending == 2
            errors = [r for r in caplog.records if r.levelname == "ERROR"]
            assert len(errors) == 1 and errors[0].exc_info is None
            assert f"broadcast {broadcast_id} not sent now" in errors[0].getMessage()
            assert "InvalidToken" in errors[0].getMessage()
    finally:
        await stop_harness(bot)
    assert all(bot.app.bot_data.config.token.value not in r.getMessage() for r in caplog.records)


async def test_broadcast_resumes_after_restart(tmp_path: Path, content: Content) -> None:
    """Rows left "sending" by a crash become unknown; pending ones are sent; no second copy."""
    config = make_config(tmp_path, organizers=frozenset({ORG}))
    first = await start_harness(config, content)
    await add_supporters(first, 6)
    outbox = first.app.bot_data.outbox
    broadcast_id = await outbox.create_broadcast(ORG, ORG, 1, "text", "all")
    await outbox.confirm(broadcast_id, None, await outbox.record_preview(broadcast_id, "all") or "")
    await outbox.mark_sending(broadcast_id, 1)  # the crash happened during this send
    await outbox.mark_sending(broadcast_id, 2)
    await outbox.mark(broadcast_id, 2, "delivered")
    await first.app.bot_data.broadcasts.stop()  # nothing else ran before the "crash"
    await stop_harness(first)
    second = await start_harness(config, content, api=first.api)
    try:
        await wait_finished(second)
        report = await second.app.bot_data.outbox.report(broadcast_id)
        assert (report.delivered, report.unknown, report.pending) == (5, 1, 0)
        assert copies(second) == {3: 1, 4: 1, 5: 1, 6: 1}
    finally:
        await stop_harness(second)


# -- stats, export, reload ---------------------------------------------------------------------


async def test_stats_sends_numbers_and_a_chart(org_bot: Harness) -> None:
    """/stats answers with the numbers and a PNG chart."""
    await add_supporters(org_bot, 3, state="TX")
    await org_bot.send("/stats", user_id=ORG)
    photo = [a for a in org_bot.api.sent if a.method == "sendPhoto"]
    assert photo and photo[-1].chat_id == ORG
    text = next(a.text for a in org_bot.api.sent if a.method == "sendMessage" and a.chat_id == ORG)
    assert text is not None and "3" in text


async def test_export_sends_a_csv(org_bot: Harness) -> None:
    """/export sends the pledges as a CSV document, formulas neutralised."""
    bot = org_bot
    await bot.storage.touch_user(1, "en", "flyer-mn")
    await bot.storage.record_pledge(1)
    await bot.storage.set_pledge_name(1, '=HYPERLINK("http://x")')
    await bot.send("/export", user_id=ORG)
    document = next(a for a in bot.api.sent if a.method == "sendDocument")
    assert document.chat_id == ORG
    assert "Pledges: 1 rows" in (document.text or "")
    data = document.params["document"]
    assert isinstance(data, bytes)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 2
    assert '\'=HYPERLINK("http://x")' in rows[1]
    assert "flyer-mn" in rows[1]
    assert str(1) not in rows[1][rows[0].index("first_name")]


async def test_reload_success_and_failure(tmp_path: Path, content: Content) -> None:
    """/reload swaps in valid content; on errors the old content keeps serving."""
    live = tmp_path / "content"
    shutil.copytree(Path(content.directory), live)
    config = make_config(tmp_path, organizers=frozenset({ORG}), content_dir=live)
    bot = await start_harness(config, content)
    try:
        ui = live / "ui.yaml"
        original = ui.read_text("utf-8")
        ui.write_text(original.replace('"❓ Help"', '"❓ Help me"'), "utf-8")
        ok = await bot.send("/reload", user_id=ORG)
        assert "Content reloaded" in (ok.text or "")
        assert "❓ Help me" in bot.button_labels(await bot.send("/start", user_id=7))
        ui.write_text("strings: [broken", "utf-8")
        failed = await bot.send("/reload", user_id=ORG)
        assert "Content not reloaded" in (failed.text or "") and "ui.yaml" in (failed.text or "")
        assert "❓ Help me" in bot.button_labels(await bot.send("/start", user_id=8))
    finally:
        await stop_harness(bot)


def test_cli_export_and_stats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`outreach-bot export FILE` writes the CSV; `outreach-bot stats` prints the numbers."""
    from bot.cli import main

    async def seed() -> None:
        from bot.storage import Storage

        storage = await Storage.open(tmp_path / "cli.sqlite3")
        await storage.touch_user(1, "es", "flyer-mn")
        await storage.record_pledge(1)
        await storage.set_pledge_name(1, "+1 ana")
        await storage.close()

    asyncio.run(seed())
    monkeypatch.setenv("OUTREACH_DB", str(tmp_path / "cli.sqlite3"))
    out = tmp_path / "pledges.csv"
    assert main(["export", str(out)]) == 0
    rows = list(csv.reader(io.StringIO(out.read_text("utf-8-sig"))))
    assert len(rows) == 2 and any(cell == "'+1 ana" for cell in rows[1])
    assert main(["stats"]) == 0
    assert "1" in capsys.readouterr().out


def test_cli_reload_without_a_running_bot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`outreach-bot reload` checks the content and says when no bot is running."""
    from bot.cli import main

    monkeypatch.setenv("OUTREACH_DB", str(tmp_path / "none.sqlite3"))
    assert main(["reload"]) == 1
