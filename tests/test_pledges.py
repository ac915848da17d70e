"""Pledges, subscriptions and privacy controls through the real Application (journeys 3, 5, 7)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.content import Content
from bot.mydata import render_my_data
from bot.render import MAX_MESSAGE, visible_length
from bot.telegram_html import check_html
from tests.harness import Harness, db, make_config, start_harness, stop_harness


async def test_full_pledge_in_english(bot: Harness, content: Content) -> None:
    """Pledge → name → typed state → yes to updates → supporter number, all stored."""
    await bot.send("/start flyer-mn")
    intro = await bot.press("Take the pledge")
    assert intro.text is not None and "0 people have taken it" in intro.text
    assert content.campaign.pledge.en.split()[0] in intro.text
    asked = await bot.press("I pledge")
    assert asked.text is not None and "first name" in asked.text
    state_question = await bot.send("Ana")
    assert "Which US state" in (state_question.text or "")
    assert "TX" in bot.button_labels(state_question)
    consent = await bot.send("Tejas")
    assert "campaign updates" in (consent.text or "")
    assert bot.button_labels(consent) == ["🔔 Yes, send me updates", "No, thanks"]
    done = await bot.press("Yes, send me updates")
    assert done.text is not None
    assert "You are supporter #1." in done.text
    assert "Name: Ana · State: Texas" in done.text
    assert db(bot, "SELECT number, first_name, state FROM pledges") == [(1, "Ana", "TX")]
    assert db(bot, "SELECT user_id FROM subscriptions") == [(bot.user_id,)]
    assert await bot.storage.event_totals("pledge") == {"flyer-mn": 1}
    assert await bot.storage.event_totals("subscribe") == {"flyer-mn": 1}


async def test_pledge_in_spanish_with_buttons_and_no_consent(bot: Harness) -> None:
    """Spanish user: skip the name, tap a state, decline updates: no subscription is stored."""
    bot.language_code = "es"
    intro = await bot.send("/pledge")
    assert "El compromiso" in (intro.text or "")
    await bot.press("Me comprometo")
    await bot.press("Omitir")
    await bot.press("NM")
    done = await bot.press("No, gracias")
    assert "Usted es la persona #1 en apoyar." in (done.text or "")
    assert "Nombre: — · Estado: Nuevo México" in (done.text or "")
    assert db(bot, "SELECT first_name, state FROM pledges") == [(None, "NM")]
    assert db(bot, "SELECT COUNT(*) FROM subscriptions") == [(0,)]


async def test_supporter_numbers_count_up(bot: Harness) -> None:
    """Each new supporter gets the next number and the intro shows the running count."""
    for user_id in (1, 2, 3):
        await bot.send("/pledge", user_id=user_id)
        await bot.press("I pledge", user_id=user_id)
    intro = await bot.send("/pledge", user_id=4)
    assert "3 people have taken it" in (intro.text or "")
    assert db(bot, "SELECT user_id, number FROM pledges ORDER BY number") == [
        (1, 1),
        (2, 2),
        (3, 3),
    ]


async def test_pledging_twice_is_idempotent_but_updates_fields(bot: Harness) -> None:
    """A second pledge (or a double tap) creates nothing new; it may change name and state."""
    await bot.send("/pledge")
    first = bot.last()
    await bot.press("I pledge")
    # A double tap on the old message:
    await bot.press_data("pledge1:take", message_id=first.message_id)
    await bot.send("Ana")
    await bot.press("TX")
    await bot.press("No, thanks")
    again = await bot.send("/pledge")
    assert "you are supporter #1" in (again.text or "")
    await bot.press("Change name or state")
    await bot.send("Ana María")
    await bot.press("Skip")
    await bot.press("No, thanks")
    assert db(bot, "SELECT number, first_name, state FROM pledges") == [(1, "Ana María", "TX")]
    assert await bot.storage.event_totals("pledge") == {"": 1}


async def test_unpledge(bot: Harness) -> None:
    """/unpledge asks first, then withdraws the pledge with its name and state."""
    await bot.send("/pledge")
    await bot.press("I pledge")
    await bot.send("Ana")
    confirm = await bot.send("/unpledge")
    assert "Withdraw your pledge?" in (confirm.text or "")
    done = await bot.press("Yes, withdraw it")
    assert "withdrawn" in (done.text or "")
    assert db(bot, "SELECT COUNT(*) FROM pledges") == [(0,)]
    again = await bot.send("/unpledge")
    assert "haven't taken the pledge" in (again.text or "")


async def test_name_with_html_is_shown_escaped(bot: Harness) -> None:
    """An HTML name is stored as typed and always shown escaped."""
    await bot.send("/pledge")
    await bot.press("I pledge")
    await bot.send("<b>Eve</b> & <i>co")
    await bot.press("Skip")
    done = await bot.press("No, thanks")
    assert "Name: &lt;b&gt;Eve&lt;/b&gt; &amp; &lt;i&gt;co" in (done.text or "")
    assert db(bot, "SELECT first_name FROM pledges") == [("<b>Eve</b> & <i>co",)]


async def test_bad_names_are_refused_and_nothing_is_written(bot: Harness) -> None:
    """Too long, only spaces and control characters get a clear reply; no name is stored."""
    await bot.send("/pledge")
    await bot.press("I pledge")
    too_long = await bot.send("x" * 5000)
    assert "That is 5,000 characters" in (too_long.text or "")
    assert "Skip" in bot.button_labels(too_long)[0]
    empty = await bot.send("    ")
    assert "looks empty" in (empty.text or "")
    control = await bot.send("Ana\x07")
    assert "control characters I can't use" in (control.text or "")
    assert db(bot, "SELECT first_name FROM pledges") == [(None,)]
    ok = await bot.send("Ana")
    assert "Which US state" in (ok.text or "")


async def test_unknown_state_is_refused(bot: Harness) -> None:
    """An unknown state is named back (escaped) and not stored."""
    await bot.send("/pledge")
    await bot.press("I pledge")
    await bot.press("Skip")
    reply = await bot.send("<Narnia>")
    assert "called “&lt;Narnia&gt;”" in (reply.text or "")
    assert db(bot, "SELECT state FROM pledges") == [(None,)]
    await bot.send("nueva york")
    assert db(bot, "SELECT state FROM pledges") == [("NY",)]


async def test_forged_state_button(bot: Harness) -> None:
    """A state code that does not exist is a stale button: nothing is stored."""
    await bot.send("/pledge")
    await bot.press("I pledge")
    await bot.press_data("pledge1:state:zz")
    assert db(bot, "SELECT state FROM pledges") == [(None,)]
    assert "What would you like to do?" in (bot.last().text or "")


async def test_steps_without_a_pledge(bot: Harness) -> None:
    """Old buttons of a withdrawn pledge say there is no pledge instead of writing anything."""
    await bot.send("/start")
    for data in (
        "pledge1:state:tx",
        "pledge1:edit",
        "pledge1:withdraw-yes",
        "pledge1:updates:yes",
    ):
        reply = await bot.press_data(data)
        assert "haven't taken the pledge" in (reply.text or ""), data
    assert db(bot, "SELECT COUNT(*) FROM pledges") == [(0,)]


async def test_another_users_message_acts_for_the_presser(bot: Harness) -> None:
    """Pressing a button of someone else's message acts only for the person pressing."""
    await bot.send("/pledge", user_id=1)
    message_of_user_1 = bot.last(1).message_id
    await bot.press_data("pledge1:take", message_id=message_of_user_1, user_id=2)
    assert db(bot, "SELECT user_id FROM pledges") == [(2,)]


async def test_leaving_the_name_step(bot: Harness) -> None:
    """After leaving the name step through the menu, typed text is a question again."""
    await bot.send("/pledge")
    await bot.press("I pledge")
    await bot.send("/facts")
    reply = await bot.send("racial profiling")
    assert "Here is what I found" in (reply.text or "")
    assert db(bot, "SELECT first_name FROM pledges") == [(None,)]


async def test_cancel_leaves_the_step(bot: Harness) -> None:
    """/cancel leaves a step and shows the menu."""
    await bot.send("/pledge")
    await bot.press("I pledge")
    reply = await bot.send("/cancel")
    assert "OK, I stopped" in (reply.text or "")
    assert await bot.storage.get_step(bot.user_id) is None


async def test_step_survives_a_restart(tmp_path: Path, content: Content) -> None:
    """The awaited answer is in SQLite: after a restart the typed name still lands."""
    config = make_config(tmp_path)
    first = await start_harness(config, content)
    await first.send("/pledge")
    await first.press("I pledge")
    await stop_harness(first)
    second = await start_harness(config, content)
    try:
        reply = await second.send("Ana")
        assert "Which US state" in (reply.text or "")
        assert db(second, "SELECT first_name FROM pledges") == [("Ana",)]
    finally:
        await stop_harness(second)


async def test_read_only_database_gets_a_clear_reply(bot: Harness) -> None:
    """When SQLite refuses writes, the user is told and no pledge is half-written."""
    await bot.send("/pledge")
    await bot.storage._conn.execute("PRAGMA query_only = 1")
    reply = await bot.press("I pledge")
    assert "can't save anything right now" in (reply.text or "")
    await bot.storage._conn.execute("PRAGMA query_only = 0")
    assert db(bot, "SELECT COUNT(*) FROM pledges") == [(0,)]


# -- subscriptions ------------------------------------------------------------------------------


async def test_subscribe_and_unsubscribe_from_the_menu(bot: Harness) -> None:
    """Get updates shows the status; the buttons subscribe and unsubscribe."""
    await bot.send("/start")
    status = await bot.press("Get updates")
    assert "don't get campaign updates" in (status.text or "")
    done = await bot.press("Subscribe")
    assert "you will get campaign updates" in (done.text or "")
    assert await bot.storage.is_subscribed(bot.user_id)
    await bot.press("Menu")
    status = await bot.press("Get updates")
    await bot.press("Unsubscribe")
    assert not await bot.storage.is_subscribed(bot.user_id)


async def test_stop_command(bot: Harness) -> None:
    """/stop unsubscribes at once and confirms; again, it says there was nothing to stop."""
    await bot.send("/start")
    await bot.press("Get updates")
    await bot.press("Subscribe")
    reply = await bot.send("/stop")
    assert "will not get any more updates" in (reply.text or "")
    assert not await bot.storage.is_subscribed(bot.user_id)
    reply = await bot.send("/stop")
    assert "were not subscribed" in (reply.text or "")


async def test_stop_words_unsubscribe_even_mid_pledge(bot: Harness) -> None:
    """A message that is only a stop word unsubscribes, in either language, at any step."""
    bot.language_code = "es"
    await bot.send("/start")
    await bot.press("Reciba novedades")
    await bot.press("Suscribirme")
    await bot.send("/pledge")
    await bot.press("Me comprometo")
    reply = await bot.send("  ¡BAJA!  ")
    assert "ya no recibirá novedades" in (reply.text or "")
    assert not await bot.storage.is_subscribed(bot.user_id)
    assert await bot.storage.get_step(bot.user_id) is None


async def test_sentence_with_stop_word_is_a_question(bot: Harness) -> None:
    """'stop 287g now' is not a stop word: the subscription stays."""
    await bot.send("/start")
    await bot.press("Get updates")
    await bot.press("Subscribe")
    await bot.send("stop 287g now")
    assert await bot.storage.is_subscribed(bot.user_id)


async def test_blocking_marks_unreachable_and_coming_back_restores(bot: Harness) -> None:
    """Blocking the bot marks the user unreachable; unblocking restores them, still subscribed."""
    await bot.send("/start")
    await bot.press("Get updates")
    await bot.press("Subscribe")
    await bot.feed(bot.api.user_blocks_bot(bot.user_id))
    user = await bot.storage.get_user(bot.user_id)
    assert user is not None and not user.reachable
    await bot.feed(bot.api.user_unblocks_bot(bot.user_id))
    user = await bot.storage.get_user(bot.user_id)
    assert user is not None and user.reachable
    assert await bot.storage.is_subscribed(bot.user_id)


async def test_blocking_by_a_stranger_stores_nothing(bot: Harness) -> None:
    """A block from someone the bot never stored creates no record."""
    await bot.feed(bot.api.user_blocks_bot(777))
    assert await bot.storage.get_user(777) is None


# -- privacy ------------------------------------------------------------------------------------


async def test_privacy_in_both_languages(bot: Harness) -> None:
    """/privacy says what is stored and that bot chats are not end-to-end encrypted."""
    reply = await bot.send("/privacy")
    assert "not end-to-end encrypted" in (reply.text or "")
    assert "/forget" in (reply.text or "")
    bot.language_code = "es"
    reply = await bot.send("/privacy", user_id=99)
    assert "no tienen cifrado de extremo a extremo" in (reply.text or "")


async def pledged_with_everything(bot: Harness, content: Content, name: str = "<Ana>") -> None:
    """A supporter with a profile, a pledge with name and state, a subscription, a comment
    draft with their own words, and a reminder."""
    await bot.send("/start flyer-mn")
    await bot.send("/pledge")
    await bot.press_data("pledge1:take")
    await bot.send(name)
    await bot.press_data("pledge1:state:tx")
    await bot.press_data("pledge1:updates:yes")
    await bot.send("/comment")
    await bot.press_data("guide1:start")
    await bot.press_data(f"guide1:role:{next(iter(content.letter.roles))}")
    await bot.press_data(f"guide1:reason:{next(iter(content.letter.talking_points))}")
    await bot.press_data("guide1:next")
    await bot.send("We have lived on Elm Street for twenty years.")
    await bot.press_data("guide1:skip:name")
    await bot.press_data("guide1:skip:place")
    await bot.press_data("guide1:continue")
    await bot.press_data("guide1:understood")
    await bot.press_data("guide1:outcome:later")


async def received_updates(bot: Harness, count: int) -> None:
    """``count`` finished broadcasts delivered to the test user."""
    outbox = bot.app.bot_data.outbox
    for n in range(count):
        broadcast_id = await outbox.create_broadcast(9, 9, n + 1, "text", "all")
        check = await outbox.record_preview(broadcast_id, "all")
        assert check is not None and await outbox.confirm(broadcast_id, None, check)
        await outbox.mark_sending(broadcast_id, bot.user_id)
        await outbox.mark(broadcast_id, bot.user_id, "delivered")
        await outbox.finish(broadcast_id)


def mydata_texts(bot: Harness, before: int) -> list[str]:
    return [m.text or "" for m in bot.api.messages(bot.user_id)[before:]]


@pytest.mark.parametrize("lang", ["en", "es"])
async def test_mydata_shows_everything(bot: Harness, content: Content, lang: str) -> None:
    """/mydata shows every table in the user's language, most personal first — profile,
    pledge with the name, subscription, draft with the story, reminder — with labels from
    content, not column names, and 40 updates as one summary line."""
    bot.language_code = lang
    await pledged_with_everything(bot, content)
    await received_updates(bot, 40)
    before = len(bot.api.messages(bot.user_id))
    await bot.send("/mydata")
    text = "\n".join(mydata_texts(bot, before))
    t = content.text
    titles = [
        t(f"mydata.table.{table}", lang)
        for table in ("users", "pledges", "subscriptions", "drafts", "reminders")
    ]
    positions = [text.index(title) for title in titles]
    assert positions == sorted(positions), "the most personal first"
    for part in (
        "&lt;Ana&gt;",
        "Texas",
        "flyer-mn",
        "We have lived on Elm Street for twenty years.",
        next(iter(content.letter.roles.values())).label.get(lang),
        t("mydata.table.deliveries", lang),
        "40 " + ("updates, the last on" if lang == "en" else "novedades; la última, el"),
        t("mydata.step.later", lang),
        "English" if lang == "en" else "Español",
    ):
        assert part in text, part
    for column in ("last_answer_id", "language_set", "user_id", "consent_at", "broadcast_id"):
        assert column not in text, column
    assert text.count("\n") < 80, "the deliveries are summarised, not listed"


async def test_mydata_splits_rather_than_cuts(bot: Harness, content: Content) -> None:
    """The longest data — 1,000 emoji of one's own words, 64-character names — comes in
    several messages, each valid, with nothing cut."""
    await pledged_with_everything(bot, content, name="N" * 64)
    story = "😀" * 1000
    await bot.send("/comment")
    await bot.press_data("guide1:edit:story")
    await bot.send(story)
    await bot.send("/comment")
    await bot.press_data("guide1:edit:sign")
    await bot.send("S" * 64)
    await bot.send("P" * 64)
    assert db(bot, "SELECT story FROM drafts") == [(story,)]
    before = len(bot.api.messages(bot.user_id))
    await bot.send("/mydata")
    texts = mydata_texts(bot, before)
    assert all("…" not in m and visible_length(m) <= MAX_MESSAGE for m in texts)
    joined = "".join(texts)
    for part in (story, "N" * 64, "S" * 64, "P" * 64):
        assert part in joined
    await bot.app.bot_data.storage.update_draft(
        bot.user_id, story=story, reasons=tuple(content.letter.talking_points)[:3]
    )
    await received_updates(bot, 3)
    before = len(bot.api.messages(bot.user_id))
    reply = await bot.send("/mydata")
    texts = mydata_texts(bot, before)
    assert story in "".join(texts)
    assert "Delete my data" in str(bot.button_labels(reply)), "the buttons under the last one"


def test_long_data_is_split_between_sections_never_cut(content: Content) -> None:
    """Data longer than a message — the longest story and a table added later with many rows —
    is split into several valid messages, between sections and lines, with every value whole."""
    story = "😀" * 1000
    data: dict[str, list[dict[str, object]]] = {
        "users": [{"user_id": 1, "language": "es", "first_seen": 0, "last_seen": 0}],
        "drafts": [{"user_id": 1, "step": "preview", "story": story, "sign_name": "S" * 64}],
        "petitions": [{"user_id": 1, "note": f"note {n} " + "x" * 100} for n in range(40)],
    }
    texts = render_my_data(content, data, "es")
    assert len(texts) >= 2
    for text in texts:
        assert visible_length(text) <= MAX_MESSAGE and check_html(text) is None
    joined = "\n".join(texts)
    assert story in joined and "S" * 64 in joined
    assert all(f"note {n} " + "x" * 100 in joined for n in range(40))
    assert joined.index("Su perfil") < joined.index("Su borrador") < joined.index("petitions")


async def test_every_stored_column_has_a_label(bot: Harness, content: Content) -> None:
    """Every table with a user id, and every column of it, has a label in both languages (so
    /mydata never shows a schema name)."""
    from bot.mydata import FIELDS, SUMMARISED

    storage = bot.app.bot_data.storage
    for table in await storage._user_tables():
        assert f"mydata.table.{table}" in content.ui, table
        if table in SUMMARISED:
            continue
        columns = [
            r[0] for r in await storage.fetchall("SELECT name FROM pragma_table_info(?)", (table,))
        ]
        for column in columns:
            key = FIELDS.get(table, {}).get(column, column)
            assert key is None or f"mydata.field.{key}" in content.ui, (table, column)


async def test_mydata_of_someone_new(bot: Harness) -> None:
    """/mydata for a first-time user shows the profile row it just created."""
    reply = await bot.send("/mydata")
    assert "Your profile" in (reply.text or "")


def tables_mentioning(db: Path, value: int) -> list[str]:
    """Every table with any column equal to ``value`` (as number or text)."""
    found = []
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
            for column in columns:
                hit = conn.execute(
                    f'SELECT 1 FROM "{table}" WHERE "{column}" = ? OR "{column}" = ?',  # noqa: S608
                    (value, str(value)),
                ).fetchone()
                if hit:
                    found.append(f"{table}.{column}")
    return found


async def test_forget_deletes_everything(bot: Harness) -> None:
    """/forget asks, then deletes every row about the user in every table; next /start is new."""
    await bot.send("/start flyer-mn")
    await bot.send("/pledge")
    await bot.press("I pledge")
    await bot.send("Ana")
    await bot.press("TX")
    await bot.press("Yes, send me updates")
    await bot.send("/pledge", user_id=2)  # someone else, who must be kept
    db = bot.app.bot_data.config.db_path
    assert tables_mentioning(db, bot.user_id)
    confirm = await bot.send("/forget")
    assert "cannot be undone" in (confirm.text or "")
    done = await bot.press("Yes, delete everything")
    assert "everything about you is deleted" in (done.text or "")
    assert tables_mentioning(db, bot.user_id) == []
    assert tables_mentioning(db, 2) != []
    again = await bot.press_data("privacy1:forget-yes", message_id=done.message_id)
    assert "nothing stored about you" in (again.text or "")
    assert tables_mentioning(db, bot.user_id) == []
    greeting = await bot.send("/start")
    assert "Hi Ana!" in (greeting.text or "")  # greeted as new, not "welcome back"


def in_files(db: Path, text: str) -> list[str]:
    """The database's files on disk (the database, its write-ahead log) that contain ``text``."""
    files = (db, db.with_name(db.name + "-wal"))
    return [f.name for f in files if f.exists() and text.encode() in f.read_bytes()]


async def test_forget_leaves_no_trace_in_the_files(bot: Harness, content: Content) -> None:
    """After /forget the deleted name and story are in no file: zeroed in the database
    (secure_delete) and gone from the write-ahead log (checkpointed and truncated)."""
    name, story = "Zelda Quixotica", "Our street lost its trust in the Quixotica patrol."
    await bot.send("/pledge")
    await bot.press("I pledge")
    await bot.send(name)
    await bot.send("/comment")
    await bot.press_data("guide1:start")
    await bot.press_data(f"guide1:role:{next(iter(content.letter.roles))}")
    await bot.press_data(f"guide1:reason:{next(iter(content.letter.talking_points))}")
    await bot.press_data("guide1:next")
    await bot.send(story)
    db = bot.app.bot_data.config.db_path
    assert in_files(db, name) and in_files(db, story), "the test needs them on disk first"
    await bot.send("/forget")
    await bot.press("Yes, delete everything")
    assert in_files(db, name) == [] and in_files(db, story) == []


async def test_an_organizers_forget_keeps_their_broadcasts_without_their_id(
    tmp_path: Path, content: Content
) -> None:
    """An organizer's /forget deletes their unsent draft, and their sent broadcasts stay (with
    their reports) under author 0; a scheduled one still goes out and drops their chat once it
    ends. The aggregate counters stay as they were."""
    org = 424242
    bot = await start_harness(make_config(tmp_path, organizers=frozenset({org})), content)
    try:
        for user_id in (1, 2):
            await bot.send("/start flyer-mn", user_id=user_id)
            await bot.press("Get updates", user_id=user_id)
            await bot.press("Subscribe", user_id=user_id)
        services = bot.app.bot_data
        for text, when in (("Sent", None), ("Later", "2099-01-01 10:00 UTC"), ("Draft", "")):
            await bot.send("/broadcast", user_id=org)
            await bot.send(text, user_id=org)
            if when == "":
                break
            await bot.press("Everyone subscribed", user_id=org)
            if when is None:
                await bot.press("Send now", user_id=org)
                await asyncio.wait_for(services.broadcasts.finished.wait(), timeout=30)
            else:
                await bot.press("Schedule", user_id=org)
                await bot.send(when, user_id=org)
        counts = db(bot, "SELECT * FROM daily_counts ORDER BY 1, 2, 3, 4")
        db_path = services.config.db_path
        assert "broadcasts.organizer_id" in tables_mentioning(db_path, org)

        await bot.send("/forget", user_id=org)
        done = await bot.press("Yes, delete everything", user_id=org)
        assert "everything about you is deleted" in (done.text or "")
        assert db(bot, "SELECT organizer_id, status, from_chat_id FROM broadcasts") == [
            (0, "done", 0),
            (0, "scheduled", org),  # the message to copy, until it has gone out
        ]
        assert tables_mentioning(db_path, org) == ["broadcasts.from_chat_id"]
        (sent_id, scheduled_id) = [row[0] for row in db(bot, "SELECT id FROM broadcasts")]
        report = await services.outbox.report(sent_id)
        assert report.delivered == 2, "the sent broadcast's report stays"
        assert await services.outbox.cancel(scheduled_id)
        assert tables_mentioning(db_path, org) == []
        assert db(bot, "SELECT * FROM daily_counts ORDER BY 1, 2, 3, 4") == counts
    finally:
        await stop_harness(bot)


async def test_privacy_says_what_forget_leaves(bot: Harness) -> None:
    """/privacy says that counts without a user id stay after /forget, in both languages."""
    reply = await bot.send("/privacy")
    assert "counts with no user id" in (reply.text or "")
    bot.language_code = "es"
    reply = await bot.send("/privacy", user_id=99)
    assert "conteos sin id de usuario" in (reply.text or "")


async def test_forget_can_be_cancelled(bot: Harness) -> None:
    """Cancelling /forget deletes nothing."""
    await bot.send("/pledge")
    await bot.press("I pledge")
    await bot.send("/forget")
    reply = await bot.press("Cancel")
    assert "Nothing was deleted" in (reply.text or "")
    assert db(bot, "SELECT COUNT(*) FROM pledges") == [(1,)]
