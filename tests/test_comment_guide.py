"""The comment guide through the real Application, step by step (journey 4)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from bot.content import Content, load_content
from bot.letters import DraftChoices, compose_links, letter_parts
from bot.render import check_rendered
from bot.telegram.jobs import purge_old_drafts, send_due_reminders
from tests.fakes.local_api import StoredMessage
from tests.harness import (
    CONTENT_DIR,
    Harness,
    db,
    make_config,
    running_bot,
    start_harness,
    stop_harness,
    to_story,
)

ADDRESS = "comments@example.org"


@pytest.fixture(scope="session")
def content_email() -> Content:
    """The shipped content with a recipient e-mail address configured."""
    return load_content(CONTENT_DIR, recipient_email=ADDRESS, render_check=check_rendered)


@pytest.fixture
async def mail_bot(tmp_path: Path, content_email: Content) -> AsyncIterator[Harness]:
    async with running_bot(make_config(tmp_path), content_email) as harness:
        yield harness


def funnel(bot: Harness) -> dict[str, int]:
    rows = db(
        bot, "SELECT event, SUM(count) FROM daily_counts WHERE event LIKE 'funnel:%' GROUP BY event"
    )
    return {event.removeprefix("funnel:"): total for event, total in rows}


async def walk_to_preview(
    bot: Harness, content: Content, story: str | None = "My family lives here."
) -> None:
    await bot.send("/comment")
    await bot.press("Start")
    role = next(iter(content.letter.roles.values()))
    await bot.press(role.label.en)
    points = list(content.letter.talking_points.values())
    await bot.press(points[0].label.en)
    await bot.press(points[1].label.en)
    await bot.press("Next ▶")
    if story is None:
        await bot.press("Skip")
    else:
        await bot.send(story)
    await bot.send("Ana")
    await bot.send("Austin, TX")


async def test_full_guide_by_email(mail_bot: Harness, content_email: Content) -> None:
    """Menu → intro → role → reasons → story → signature → preview → safety → send → sent."""
    bot, content = mail_bot, content_email
    await bot.send("/start flyer-tx")
    intro = await bot.press("Send your comment")
    assert "Secretary of Homeland Security" in (intro.text or "")
    roles = await bot.press("Start")
    assert "Step 1 of 5" in (roles.text or "")
    assert bot.button_labels(roles)[: len(content.letter.roles)] == [
        r.label.en for r in content.letter.roles.values()
    ]
    role = next(iter(content.letter.roles.values()))
    reasons = await bot.press(role.label.en)
    assert "Step 2 of 5" in (reasons.text or "")
    assert "Next ▶" not in bot.button_labels(reasons)
    points = list(content.letter.talking_points.values())
    one = await bot.press(points[0].label.en)
    assert "Next ▶" in bot.button_labels(one)
    assert f"✅ {points[0].label.en}" in bot.button_labels(one)
    for point in points[1:3]:
        await bot.press(point.label.en)
    limit = await bot.press(points[3].label.en)
    assert "up to three reasons" in (limit.text or "")
    assert f"▫️ {points[3].label.en}" in bot.button_labels(limit)
    story_screen = await bot.press("Next ▶")
    assert "do not include your immigration status" in (story_screen.text or "")
    await bot.send("I have lived in Houston for twenty years.")
    await bot.send("Ana")
    preview = await bot.send("Houston, TX")
    text = preview.text or ""
    assert "Your letter" in text and "Subject:" in text
    assert "I have lived in Houston for twenty years." in text
    assert "Ana\nHouston, TX" in text
    safety = await bot.press("Continue")
    assert "identifies you to DHS" in (safety.text or "")
    letter, send = bot.api.messages(bot.user_id)[-2:]
    assert "<pre>" in (letter.text or "") and "twenty years" in (letter.text or "")
    buttons = {b["text"]: b for b in bot.buttons(send)}
    assert buttons["Open in Gmail"]["url"].startswith("https://mail.google.com/mail/?view=cm")
    assert buttons["Open in Outlook"]["url"].startswith(
        "https://outlook.live.com/mail/0/deeplink/compose"
    )
    assert all(len(b.get("url", "")) <= 1800 for b in buttons.values())
    assert buttons["📋 Copy address"]["copy_text"]["text"] == ADDRESS
    assert buttons["📋 Copy subject"]["copy_text"]["text"]
    assert not any("mailto:" in str(b) for b in buttons.values())
    assert ADDRESS in (send.text or "")
    done = await bot.press("I sent it")
    assert "Thank you for speaking up" in (done.text or "")
    labels = bot.button_labels(done)
    assert "✊ Take the pledge" in labels and "🔔 Subscribe" in labels
    assert db(bot, "SELECT outcome, completed_at IS NOT NULL FROM drafts") == [("sent", 1)]
    assert await bot.storage.event_totals("comment_sent") == {"flyer-tx": 1}
    assert funnel(bot) == {
        "started": 1,
        "role": 1,
        "reasons": 1,
        "previewed": 1,
        "send_shown": 1,
        "sent": 1,
    }


@pytest.mark.parametrize(
    ("story", "whole"), [(None, True), ("Our children were born here. " * 20, False)]
)
async def test_the_send_screen_says_which_letter_the_links_carry(
    mail_bot: Harness, content_email: Content, story: str | None, whole: bool
) -> None:
    """The links always carry a letter; the screen says "everything filled in" only when it is
    the whole one, and names the short version otherwise."""
    bot = mail_bot
    await walk_to_preview(bot, content_email, story)
    # Each draft draws its wordings at random, and some wordings of a short letter do not fit
    # the link: give the draft a wording whose letter does (or does not) fit, as the case says.
    draft = await bot.storage.get_draft(bot.user_id)
    assert draft is not None

    def whole_fits(seed: int) -> bool:
        choices = DraftChoices(
            seed=seed,
            role=draft.role,
            reasons=draft.reasons,
            story=draft.story,
            sign_name=draft.sign_name,
            sign_place=draft.sign_place,
        )
        parts = letter_parts(content_email.letter, choices, draft.language)
        return compose_links(content_email.letter.channels.email, parts).full

    seed = next(seed for seed in range(1000) if whole_fits(seed) is whole)
    await bot.storage.write("UPDATE drafts SET seed = ? WHERE user_id = ?", (seed, bot.user_id))
    bot.storage.drop_cached(bot.user_id)  # the draft changed behind the storage's back
    await bot.press("Continue")
    send = bot.api.messages(bot.user_id)[-1]
    gmail = next(b["url"] for b in bot.buttons(send) if "url" in b)
    body = parse_qs(urlparse(gmail).query)["body"][0]
    text = send.text or ""
    assert ("everything filled in" in text) is whole
    assert ("Short version of your letter:" in text) is not whole
    if story is not None:
        assert story.strip() in body, "the sender's own words are in the short version"
    assert body.startswith(("Dear", "To the")) and len(body) > 300


async def test_guide_in_spanish_by_post(bot: Harness, content: Content) -> None:
    """Without an e-mail address the guide offers the printable postal letter, in Spanish."""
    assert content.letter.channels.email == ""
    bot.language_code = "es"
    await bot.send("/comment")
    await bot.press("Empezar")
    role = next(iter(content.letter.roles.values()))
    await bot.press(role.label.es)
    await bot.press(next(iter(content.letter.talking_points.values())).label.es)
    await bot.press("Siguiente")
    await bot.press("Omitir")
    await bot.press("Omitir")
    preview = await bot.press("Omitir")
    assert "Su carta" in (preview.text or "")
    await bot.press("Continuar")
    letter, send = bot.api.messages(bot.user_id)[-2:]
    assert "<pre>" in (letter.text or "") and "Washington, DC 20528" in (send.text or "")
    assert "correo postal" in (send.text or "")
    assert not any("Gmail" in label for label in bot.button_labels(send))
    reply = await bot.press("Ya la envié")
    assert "¡Gracias por alzar la voz!" in (reply.text or "")


async def test_back_leave_and_resume(bot: Harness, content: Content) -> None:
    """Back returns a step; leaving keeps the draft; /comment resumes at the same step."""
    await bot.send("/comment")
    await bot.press("Start")
    role = next(iter(content.letter.roles.values()))
    await bot.press(role.label.en)
    back = await bot.press("Back")
    assert "Step 1 of 5" in (back.text or "")
    assert f"✅ {role.label.en}" in bot.button_labels(back)
    await bot.press(role.label.en)
    left = await bot.press("Leave")
    assert "saved" in (left.text or "")
    resumed = await bot.send("/comment")
    assert "continue where you left off" in (resumed.text or "")
    assert "Step 2 of 5" in (resumed.text or "")


async def test_preview_edits_return_to_preview(bot: Harness, content: Content) -> None:
    """Changing the reasons from the preview comes back to the preview."""
    await walk_to_preview(bot, content)
    await bot.press("Reasons")
    points = list(content.letter.talking_points.values())
    await bot.press(points[2].label.en)
    preview = await bot.press("Next ▶")
    assert "Your letter" in (preview.text or "")
    assert db(bot, "SELECT reasons, editing FROM drafts") == [
        (f"{points[0].id},{points[1].id},{points[2].id}", 0)
    ]
    await bot.press("Signature")
    await bot.press("Skip")
    preview = await bot.press("Skip")
    assert "Your letter" in (preview.text or "")
    assert db(bot, "SELECT sign_name, sign_place FROM drafts") == [(None, None)]


async def test_other_wording_changes_the_seed(bot: Harness, content: Content) -> None:
    """ "Other wording" keeps the choices and draws new wording."""
    await walk_to_preview(bot, content)
    seeds = {db(bot, "SELECT seed FROM drafts")[0][0]}
    for _ in range(3):
        await bot.press("Other wording")
        seeds.add(db(bot, "SELECT seed FROM drafts")[0][0])
    assert len(seeds) > 1
    assert "Your letter" in (bot.last().text or "")


async def test_story_too_long_is_refused_not_cut(bot: Harness, content: Content) -> None:
    """A story over 1,000 characters is refused with its length; nothing is stored."""
    await to_story(bot, content)
    reply = await bot.send("a" * 1001)
    assert "1,001 characters" in (reply.text or "") and "1,000" in (reply.text or "")
    assert db(bot, "SELECT story FROM drafts") == [(None,)]
    ok = await bot.send("😀🌵🙏")
    assert "sign your letter" in (ok.text or "")
    assert db(bot, "SELECT story FROM drafts") == [("😀🌵🙏",)]


def stored_anywhere(bot: Harness, text: str) -> list[str]:
    """Every table, and the database's files on disk, that contain ``text``."""
    found = []
    with sqlite3.connect(bot.app.bot_data.config.db_path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            rows = conn.execute(f'SELECT * FROM "{table}"').fetchall()  # noqa: S608 - schema
            if text in repr(rows):
                found.append(table)
    path = bot.app.bot_data.config.db_path
    for file in (path, path.with_name(path.name + "-wal")):
        if file.exists() and text.encode() in file.read_bytes():
            found.append(file.name)
    return found


SENSITIVE = "I am undocumented and my DACA expired"


def shown(bot: Harness, message_id: int) -> StoredMessage:
    """The message ``message_id`` as the user's screen shows it now."""
    return next(m for m in bot.api.messages(bot.user_id) if m.message_id == message_id)


async def test_sensitive_story_is_pointed_out(bot: Harness, content: Content) -> None:
    """A story that mentions immigration status gets a gentle note: keep it or write again."""
    await to_story(bot, content)
    check = await bot.send("My cousin is undocumented and afraid.")
    assert "undocumented" in (check.text or "") and "safer" in (check.text or "")
    assert "My cousin is undocumented and afraid." in check.visible_text  # shown back
    again = await bot.press("My words")
    assert "your own words" in (again.text or "")
    await bot.send("My cousin is afraid to call the police.")
    assert db(bot, "SELECT story FROM drafts") == [("My cousin is afraid to call the police.",)]
    # And keeping it is allowed:
    await bot.send("/comment")
    await bot.press_data("guide1:edit:story")
    await bot.send("Tengo DACA.")
    kept = await bot.press("Keep it")
    assert "Your letter" in (kept.text or "")
    assert db(bot, "SELECT story FROM drafts") == [("Tengo DACA.",)]


@pytest.mark.parametrize("then", ["My words", "Leave", "Back", "/comment", "/start"])
async def test_flagged_story_is_not_stored_before_the_sender_keeps_it(
    bot: Harness, content: Content, then: str
) -> None:
    """A flagged story is written nowhere — not the draft, not any table, not the database's
    files — while the sender decides; writing again or leaving discards it for good."""
    await to_story(bot, content)
    check = await bot.send(SENSITIVE)
    assert "DACA" in check.visible_text
    assert stored_anywhere(bot, SENSITIVE) == []
    if then.startswith("/"):
        await bot.send(then)
    else:
        await bot.press(then)
    if then == "My words":
        await bot.press("Leave")
    assert stored_anywhere(bot, SENSITIVE) == []
    assert db(bot, "SELECT story FROM drafts") == [(None,)]
    # The old check's "Keep it" now keeps nothing.
    await bot.press_data("guide1:keep", message_id=check.message_id)
    assert "no longer active" in (shown(bot, check.message_id).text or "")
    assert stored_anywhere(bot, SENSITIVE) == []
    # Resuming asks for the sender's own words again (or the reasons, after Back).
    resumed = await bot.send("/comment")
    assert ("why should 287(g) end" if then == "Back" else "your own words") in (resumed.text or "")


async def test_only_the_latest_check_keeps_its_story(bot: Harness, content: Content) -> None:
    """Typing another story replaces the one being checked: the first check's Keep is stale."""
    await to_story(bot, content)
    first = await bot.send(SENSITIVE)
    second = await bot.send("Tengo TPS y miedo.")
    assert "TPS" in (second.text or "")
    await bot.press_data("guide1:keep", message_id=first.message_id)
    assert "no longer active" in (shown(bot, first.message_id).text or "")
    assert db(bot, "SELECT story FROM drafts") == [(None,)]
    await bot.press_data("guide1:keep", message_id=second.message_id)
    assert db(bot, "SELECT story FROM drafts") == [("Tengo TPS y miedo.",)]
    assert stored_anywhere(bot, SENSITIVE) == []


async def test_the_choice_survives_a_restart(tmp_path: Path, content: Content) -> None:
    """The bot restarts while the sender decides: Keep it still keeps exactly what they typed."""
    config = make_config(tmp_path)
    first = await start_harness(config, content)
    story = "Mi vecina no tiene papeles <y> tiene miedo\n\ndesde 2019 😀"
    try:
        await to_story(first, content)
        check = await first.send(story)
        assert "no tiene papeles" in (check.text or "")
    finally:
        await stop_harness(first)
    second = await start_harness(config, content, api=first.api)
    try:
        assert stored_anywhere(second, "no tiene papeles") == []
        after = await second.press("Keep it")
        assert "sign your letter" in (after.text or "")
        assert db(second, "SELECT story, step FROM drafts") == [(story, "sign_name")]
    finally:
        await stop_harness(second)


async def test_a_check_telegram_no_longer_shows_asks_again(bot: Harness, content: Content) -> None:
    """When Telegram no longer sends the check's text (a message older than 48 hours), Keep
    says so and asks for the words again; nothing was ever stored."""
    await to_story(bot, content)
    check = await bot.send(SENSITIVE)
    bot.api.call("deleteMessage", {"chat_id": bot.user_id, "message_id": check.message_id})
    reply = await bot.press_data("guide1:keep", message_id=check.message_id)
    assert "never saved it" in (reply.text or "") and "your own words" in (reply.text or "")
    assert stored_anywhere(bot, SENSITIVE) == []


async def test_rewriting_from_the_check_continues_the_guide(bot: Harness, content: Content) -> None:
    """Writing the story again from its check goes on to the signature, not to the preview."""
    await to_story(bot, content)
    await bot.send(SENSITIVE)
    await bot.press("My words")
    nxt = await bot.send("Our town needs trust.")
    assert "sign your letter" in (nxt.text or "")


async def test_html_everywhere_is_escaped(bot: Harness, content: Content) -> None:
    """HTML typed in the story and signature is shown escaped and kept as typed."""
    await walk_to_preview(bot, content, story="<b>bold</b> & <script>")
    preview = bot.last().text or ""
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;" in preview
    assert db(bot, "SELECT story FROM drafts") == [("<b>bold</b> & <script>",)]


async def test_text_where_a_button_is_expected(bot: Harness, content: Content) -> None:
    """Typing during a button step is answered as a question; the draft is untouched."""
    await bot.send("/comment")
    await bot.press("Start")
    reply = await bot.send("racial profiling")
    assert "Here is what I found" in (reply.text or "")
    assert db(bot, "SELECT step, role FROM drafts") == [("role", None)]
    resumed = await bot.send("/comment")
    assert "Step 1 of 5" in (resumed.text or "")


async def test_old_buttons_without_a_draft(bot: Harness) -> None:
    """Guide buttons from an old message, with no draft, open the guide's start."""
    await bot.send("/start")
    reply = await bot.press_data("guide1:reason:racial-profiling")
    assert "Send your comment to" in (reply.text or "")
    reply = await bot.press_data("guide1:role:no-such-role")
    assert "What would you like to do?" in (reply.text or "")


async def test_started_twice_keeps_one_draft(bot: Harness) -> None:
    """Starting the guide twice resumes the same draft; there is one per person."""
    await bot.send("/comment")
    await bot.send("/comment")
    await bot.press_data("guide1:open")
    assert db(bot, "SELECT COUNT(*) FROM drafts") == [(1,)]
    assert funnel(bot) == {"started": 1}


async def test_funnel_counts_each_step_once(bot: Harness, content: Content) -> None:
    """Going back and choosing again does not count a step twice."""
    await walk_to_preview(bot, content)
    await bot.press("Who I am")
    await bot.press(list(content.letter.roles.values())[1].label.en)
    assert funnel(bot) == {"started": 1, "role": 1, "reasons": 1, "previewed": 1}
    assert db(
        bot, "SELECT COUNT(*) FROM daily_counts WHERE event LIKE 'funnel:%' AND source != ''"
    ) == [(0,)]


async def test_restart_between_steps(tmp_path: Path, content: Content) -> None:
    """Killed between steps, the bot resumes the draft and the awaited story."""
    config = make_config(tmp_path)
    first = await start_harness(config, content)
    await first.send("/comment")
    await first.press("Start")
    await first.press(next(iter(content.letter.roles.values())).label.en)
    await first.press(next(iter(content.letter.talking_points.values())).label.en)
    await first.press("Next ▶")
    await stop_harness(first)
    second = await start_harness(config, content)
    try:
        reply = await second.send("We are neighbors.")
        assert "sign your letter" in (reply.text or "")
        assert db(second, "SELECT story, step FROM drafts") == [("We are neighbors.", "sign_name")]
    finally:
        await stop_harness(second)


async def test_remind_me_later_is_durable_and_sent_once(bot: Harness, content: Content) -> None:
    """ "Remind me later" stores one reminder; when due it is sent once, then gone."""
    await walk_to_preview(bot, content)
    await bot.press("Continue")
    reply = await bot.press("Remind me later")
    assert "in 24 hours" in (reply.text or "")
    (due,) = db(bot, "SELECT due_at FROM reminders")[0]
    storage = bot.storage
    assert await send_due_reminders(bot.app.bot, bot.app.bot_data) == 0  # not due yet
    storage._clock = lambda: float(due + 1)
    assert await send_due_reminders(bot.app.bot, bot.app.bot_data) == 1
    reminder = bot.last()
    assert "friendly reminder" in (reminder.text or "")
    assert bot.button_labels(reminder) == ["✉️ Continue my letter"]
    assert await send_due_reminders(bot.app.bot, bot.app.bot_data) == 0
    send = await bot.press("Continue my letter")
    letter = bot.api.messages(bot.user_id)[-2]
    assert "continue where you left off" in (letter.text or "")
    assert "I sent it" in str(bot.button_labels(send))


async def test_reminder_to_a_blocked_user(bot: Harness, content: Content) -> None:
    """A reminder to someone who blocked the bot marks them unreachable and is dropped."""
    await walk_to_preview(bot, content)
    await bot.press("Continue")
    await bot.press("Remind me later")
    bot.api.block_chat(bot.user_id)
    bot.storage._clock = lambda: 4_000_000_000.0
    assert await send_due_reminders(bot.app.bot, bot.app.bot_data) == 0
    user = await bot.storage.get_user(bot.user_id)
    assert user is not None and not user.reachable
    assert db(bot, "SELECT COUNT(*) FROM reminders") == [(0,)]


async def test_sent_cancels_the_reminder(bot: Harness, content: Content) -> None:
    """After "I sent it", no reminder remains."""
    await walk_to_preview(bot, content)
    await bot.press("Continue")
    await bot.press("Remind me later")
    await bot.send("/comment")
    await bot.press_data("guide1:outcome:sent")
    assert db(bot, "SELECT COUNT(*) FROM reminders") == [(0,)]


def comments_sent(bot: Harness) -> int:
    rows = db(bot, "SELECT COALESCE(SUM(count), 0) FROM daily_counts WHERE event = 'comment_sent'")
    return int(rows[0][0])


async def test_forged_presses_cannot_inflate_comments_sent(bot: Harness, content: Content) -> None:
    """Forged "new letter" and "I sent it" presses, ten times over, count nothing; a real
    letter counts once, and forging afterwards adds nothing."""
    await bot.send("/start")
    for _ in range(10):
        await bot.press_data("guide1:new")
        await bot.press_data("guide1:outcome:sent")
    assert comments_sent(bot) == 0 and "sent" not in funnel(bot)
    assert db(bot, "SELECT COUNT(*) FROM drafts") == [(0,)]
    await walk_to_preview(bot, content)
    await bot.press("Continue")
    await bot.press("I sent it")
    for _ in range(10):
        await bot.press_data("guide1:new")  # offered after a sent letter: a new draft, at the start
        await bot.press_data("guide1:outcome:sent")
        await bot.press_data("guide1:outcome:sent")
    assert comments_sent(bot) == 1
    counts = funnel(bot)
    assert counts["sent"] == 1 and counts["sent"] <= counts["previewed"]
    from bot.stats import collect_stats

    stats = await collect_stats(bot.storage, datetime.now(UTC).date())
    assert stats.comments_sent == 1


async def test_sent_needs_the_preview(bot: Harness, content: Content) -> None:
    """Jumping to the send step with forged presses, past the preview, cannot count "sent":
    the funnel never shows more "sent" than "previewed"."""
    await bot.send("/comment")
    await bot.press_data("guide1:understood")  # straight to the letter, never previewed
    reply = await bot.press_data("guide1:outcome:sent")
    assert "no longer active" in (reply.text or "")
    assert comments_sent(bot) == 0 and "sent" not in funnel(bot)
    assert db(bot, "SELECT outcome, completed_at FROM drafts") == [(None, None)]


async def test_a_new_letter_starts_only_where_it_is_offered(bot: Harness, content: Content) -> None:
    """A forged "new letter" press in the middle of a draft is refused and changes nothing."""
    await walk_to_preview(bot, content)
    before = db(bot, "SELECT * FROM drafts")
    reply = await bot.press_data("guide1:new")
    assert "no longer active" in (reply.text or "")
    assert db(bot, "SELECT * FROM drafts") == before
    assert funnel(bot)["started"] == 1


async def test_couldnt_keeps_the_draft(bot: Harness, content: Content) -> None:
    """ "I couldn't" is counted, and the letter stays for later."""
    await walk_to_preview(bot, content)
    await bot.press("Continue")
    reply = await bot.press("I couldn't")
    assert "/comment" in (reply.text or "")
    assert db(bot, "SELECT outcome, completed_at FROM drafts") == [("couldnt", None)]
    assert funnel(bot)["couldnt"] == 1


async def test_retention_purges_old_drafts(bot: Harness, content: Content) -> None:
    """Drafts are deleted after the retention period; recent ones stay."""
    await walk_to_preview(bot, content)
    await bot.press("Continue")
    await bot.press("I sent it")
    assert await purge_old_drafts(bot.app.bot_data) == 0
    bot.storage._clock = lambda: 4_000_000_000.0  # far beyond 30 days
    assert await purge_old_drafts(bot.app.bot_data) == 1
    assert db(bot, "SELECT COUNT(*) FROM drafts") == [(0,)]


async def test_discard_draft(bot: Harness, content: Content) -> None:
    """Deleting the draft from the preview removes it."""
    await walk_to_preview(bot, content)
    reply = await bot.press("Delete draft")
    assert "deleted" in (reply.text or "")
    assert db(bot, "SELECT COUNT(*) FROM drafts") == [(0,)]


async def test_forget_removes_drafts_and_reminders(bot: Harness, content: Content) -> None:
    """/forget deletes the draft and the reminder with everything else."""
    await walk_to_preview(bot, content)
    await bot.press("Continue")
    await bot.press("Remind me later")
    await bot.send("/forget")
    await bot.press("Yes, delete everything")
    assert db(bot, "SELECT COUNT(*) FROM drafts") == [(0,)]
    assert db(bot, "SELECT COUNT(*) FROM reminders") == [(0,)]


async def test_longest_story_in_emoji_is_shown_whole(bot: Harness, content: Content) -> None:
    """1,000 emoji with three long reasons: the preview is split, nothing is cut or rejected."""
    bot.language_code = "es"
    await bot.send("/comment")
    await bot.press("Empezar")
    await bot.press(next(iter(content.letter.roles.values())).label.es)
    points = sorted(
        content.letter.talking_points.values(),
        key=lambda p: max(len(x) for x in p.paragraphs.es),
    )
    for point in points[-3:]:
        await bot.press(point.label.es)
    await bot.press("Siguiente")
    await bot.send("🌵" * 1000)
    await bot.send("N" * 64)
    await bot.send("P" * 64)
    messages = bot.api.messages(bot.user_id)
    shown = "".join(m.text or "" for m in messages[-3:])
    assert shown.count("🌵") == 1000
    assert "Continuar ▶" in bot.button_labels(messages[-1])
    await bot.press("Continuar")
    letter_messages = "".join(m.text or "" for m in bot.api.messages(bot.user_id)[-4:])
    assert letter_messages.count("🌵") >= 1000
