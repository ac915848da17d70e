"""Delivered with the campaign, as people use it: a supporter from /start to "queued for
delivery" with the shipped content, counting every tap and typed answer; an organizer's
/letters, *Download* (the batch PDF holds that letter) and *Mark delivered*; the one "it was
delivered" message; the postal PDF; and the taps to an opened e-mail compose link."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from bot.content import Content, load_content
from bot.deliveries import channel_event, mark_delivered, pending_notices
from bot.render import check_rendered
from bot.telegram.jobs import send_delivery_notices
from tests.fakes.local_api import StoredMessage
from tests.harness import CONTENT_DIR, ORGANIZER, Harness, db, make_config, running_bot, shows


class Counted:
    """The supporter's side of the chat, counting every action: a command or typed answer,
    a button pressed, a link opened."""

    def __init__(self, bot: Harness, content: Content, lang: str = "en") -> None:
        self.bot, self.content, self.lang, self.actions = bot, content, lang, 0

    async def send(self, text: str) -> StoredMessage:
        self.actions += 1
        return await self.bot.send(text)

    async def press(self, label: str) -> StoredMessage:
        self.actions += 1
        return await self.bot.press(label)

    async def press_key(self, key: str) -> StoredMessage:
        return await self.press(self.content.text(key, self.lang))

    def open_link(self, label_key: str) -> str:
        """Tap a link button of the latest message: its URL."""
        label = self.content.text(label_key, self.lang)
        url = next(b.get("url") for b in self.bot.buttons() if b["text"] == label)
        assert url
        self.actions += 1
        return str(url)

    async def write_it_for_me(self) -> None:
        """/start → *Send your comment* → a role on step 1 → one reason → *Continue*."""
        lang, letter = self.lang, self.content.letter
        await self.send("/start")
        await self.press_key("menu.comment")
        await self.press(next(iter(letter.roles.values())).label.get(lang))
        await self.press(list(letter.talking_points.values())[1].label.get(lang))
        assert shows(self.bot.last(), "Your letter is ready" if lang == "en" else "Su carta")
        await self.press_key("button.continue")


def document(bot: Harness, name_part: str) -> tuple[Any, bytes]:
    """The latest document the bot sent whose file name contains ``name_part``, and its bytes."""
    found = []
    for action in (a for a in bot.api.sent if a.method == "sendDocument"):
        shown = {m.message_id: m for m in bot.api.messages(action.chat_id or 0)}
        name = shown[action.message_id or 0].json["document"]["file_name"]
        if name_part in name:
            found.append(action)
    assert found, "no such document"
    data = found[-1].params["document"]
    assert isinstance(data, bytes)
    return found[-1], data


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


async def test_queued_in_seven_actions_and_the_organizer_downloads_it(org_bot: Harness) -> None:
    """Shipped content (no e-mail address): /start to "queued for delivery" takes 7 actions;
    the letter is stored as shown, with the consent time and the unticked "tell me"; the
    organizer's *Download* sends one PDF that contains it, and the CSV manifest."""
    bot, content = org_bot, org_bot.content
    assert not content.letter.channels.email
    chat = Counted(bot, content)
    await chat.write_it_for_me()
    await chat.press_key("button.deliver")
    confirm = bot.last()
    campaign = content.letter.channels.campaign
    assert campaign is not None
    assert shows(confirm, campaign.how.en) and shows(confirm, "Deliver it with the campaign")
    assert content.text("button.notify_off", "en") in bot.button_labels(confirm)
    done = await chat.press_key("button.confirm_delivery")
    assert shows(done, "Queued for delivery")
    assert chat.actions == 7
    rows = db(bot, "SELECT user_id, body, notify, status, consent_at FROM campaign_letters")
    assert len(rows) == 1
    user_id, body, notify, status, consent_at = rows[0]
    assert (user_id, notify, status) == (bot.user_id, 0, "queued") and consent_at > 0
    counted = db(bot, "SELECT count FROM daily_counts WHERE event = ?", "channel:campaign:queued")
    assert counted == [(1,)]

    overview = await bot.send("/letters", user_id=ORGANIZER)
    assert "1 · 0 · 0" in (overview.text or "")
    await bot.press("Download", user_id=ORGANIZER)
    pdf, data = document(bot, ".pdf")
    assert pdf.chat_id == ORGANIZER
    text = pdf_text(data)
    first_line = body.split("\n\n")[1].split(".")[0]
    assert " ".join(first_line.split()) in " ".join(text.split())
    _, manifest = document(bot, ".csv")
    table = list(csv.reader(io.StringIO(manifest.decode("utf-8-sig"))))
    assert len(table) == 2 and table[1][0] == "1"
    assert shows(bot.last(ORGANIZER), "how did it go")


async def test_tell_me_is_told_once_after_mark_delivered(org_bot: Harness) -> None:
    """A supporter who ticks "tell me" is told once — the date and how many letters went —
    after the organizer marks the batch delivered by hand on a typed date; the notice is
    stored until sent, and never sent twice."""
    bot, content = org_bot, org_bot.content
    chat = Counted(bot, content)
    await chat.write_it_for_me()
    await chat.press_key("button.deliver")
    ticked = await chat.press_key("button.notify_off")
    assert content.text("button.notify_on", "en") in bot.button_labels(ticked)
    done = await chat.press_key("button.confirm_delivery")
    assert shows(done, content.text("guide.queued_notify", "en"))
    assert db(bot, "SELECT notify FROM campaign_letters") == [(1,)]

    await bot.send("/letters", user_id=ORGANIZER)
    await bot.press("Download", user_id=ORGANIZER)
    await bot.press("By hand", user_id=ORGANIZER)
    today = bot.storage.now()
    assert shows(bot.last(ORGANIZER), "On which day")
    refused = await bot.send("tomorrow", user_id=ORGANIZER)
    assert shows(refused, "YYYY-MM-DD")
    from datetime import UTC, datetime

    day = datetime.fromtimestamp(today, UTC).date().isoformat()
    marked = await bot.send(day, user_id=ORGANIZER)
    assert shows(marked, "1 letter(s) delivered") and shows(marked, "1 sender(s)")
    assert db(bot, "SELECT status FROM campaign_letters") == [("delivered",)]

    services = bot.app.bot_data
    assert len(await pending_notices(bot.storage)) == 1
    assert await send_delivery_notices(bot.app.bot, services) == 1
    told = bot.last()
    assert shows(told, "Your letter was delivered") and shows(told, "by hand")
    assert shows(told, "1 in all")
    assert await send_delivery_notices(bot.app.bot, services) == 0  # never twice
    assert await pending_notices(bot.storage) == []


async def test_mark_delivered_with_today_and_buttons_of_a_closed_batch(org_bot: Harness) -> None:
    """*Today* closes the batch; its buttons pressed again say it was already delivered."""
    bot, content = org_bot, org_bot.content
    chat = Counted(bot, content)
    await chat.write_it_for_me()
    await chat.press_key("button.deliver")
    await chat.press_key("button.confirm_delivery")
    await bot.send("/letters", user_id=ORGANIZER)
    await bot.press("Download", user_id=ORGANIZER)
    await bot.press("By mail", user_id=ORGANIZER)
    day_button = bot.last(ORGANIZER)
    marked = await bot.press("Today", user_id=ORGANIZER)
    assert shows(marked, "delivered on")
    data = next(b["callback_data"] for b in bot.buttons(day_button) if "Today" in b["text"])
    again = await bot.press_data(data, user_id=ORGANIZER)
    assert shows(again, "was already marked delivered on")
    assert db(bot, "SELECT how FROM letter_batches") == [("mail",)]


async def spanish_organizer_asked_the_day(bot: Harness) -> None:
    """A supporter's letter queued; a Spanish-speaking organizer downloads the batch, presses
    *En mano* and is asked the day it was delivered."""
    chat = Counted(bot, bot.content)
    await chat.write_it_for_me()
    await chat.press_key("button.deliver")
    await chat.press_key("button.confirm_delivery")
    bot.language_code = "es"
    await bot.send("/letters", user_id=ORGANIZER)
    await bot.press("Descargar", user_id=ORGANIZER)
    await bot.press("En mano", user_id=ORGANIZER)


async def test_a_batch_marked_meanwhile_is_said_in_the_organizers_language(
    org_bot: Harness,
) -> None:
    """The batch is marked delivered (by another organizer, or the command line) while this
    one is typing the day: the answer says so in Spanish, not in the domain's own words."""
    bot = org_bot
    await spanish_organizer_asked_the_day(bot)
    (batch_id,) = db(bot, "SELECT id FROM letter_batches")[0]
    today = datetime.fromtimestamp(bot.storage.now(), UTC).date()
    await mark_delivered(bot.storage, batch_id, today, "mail")
    answer = await bot.send(today.isoformat(), user_id=ORGANIZER)
    assert shows(answer, "ya se marcó como entregada")
    assert not shows(answer, "already")
    assert db(bot, "SELECT how FROM letter_batches") == [("mail",)]


async def test_letters_is_for_organizers_only(org_bot: Harness) -> None:
    """/letters from anyone else is an unknown command; its buttons are refused."""
    bot = org_bot
    answer = await bot.send("/letters")
    assert not shows(answer, "Letters delivered with the campaign")
    await bot.press_data("letters1:download:new")
    assert not [a for a in bot.api.sent if a.method == "sendDocument"]


async def test_the_postal_channel_sends_a_pdf(bot: Harness) -> None:
    """*Letter as a PDF* sends the supporter's own letter as a document, counted once."""
    content = bot.content
    chat = Counted(bot, content, "en")
    await chat.write_it_for_me()
    labels = bot.button_labels()
    assert content.text("button.copy_envelope", "en") in labels
    await chat.press_key("button.postal")
    _, data = document(bot, "my-letter.pdf")
    assert "Washington, DC 20528" in pdf_text(data)
    event = channel_event("postal", "pdf")
    assert db(bot, "SELECT count FROM daily_counts WHERE event = ?", event) == [(1,)]


async def test_a_sensitive_word_stops_the_delivery(bot: Harness) -> None:
    """A name that mentions immigration status: the confirm screen is not shown, nothing is
    queued."""
    content = bot.content
    chat = Counted(bot, content)
    await chat.write_it_for_me()
    await bot.press_data("guide1:back")
    await bot.press(content.text("button.edit_signature", "en"))
    await bot.send("Undocumented Ana")
    await bot.press(content.text("button.skip", "en"))
    await bot.press(content.text("button.continue", "en"))
    refused = await bot.press(content.text("button.deliver", "en"))
    assert shows(refused, "undocumented") or shows(refused, "Undocumented")
    assert db(bot, "SELECT COUNT(*) FROM campaign_letters") == [(0,)]


async def test_an_opened_compose_link_in_six_actions(tmp_path: Path) -> None:
    """With an e-mail address: /start to an opened Gmail link takes 6 actions (target: 9),
    and the link carries the letter."""
    content = load_content(
        CONTENT_DIR, recipient_email="comments@example.org", render_check=check_rendered
    )
    async with running_bot(make_config(tmp_path), content) as bot:
        for lang in ("en", "es"):
            bot.language_code = lang
            bot.user_id = 2000 + len(lang) + (lang == "es")
            chat = Counted(bot, content, lang)
            await chat.write_it_for_me()
            url = chat.open_link("button.gmail")
            assert url.startswith("https://") and "body=" in url and len(url) <= 1800
            assert chat.actions == 6


async def test_the_spanish_path_is_seven_actions_too(bot: Harness) -> None:
    """The same seven actions in Spanish, with the Spanish screens."""
    bot.language_code = "es"
    content = bot.content
    chat = Counted(bot, content, "es")
    await chat.write_it_for_me()
    await chat.press_key("button.deliver")
    done = await chat.press_key("button.confirm_delivery")
    assert shows(done, "En espera de entrega")
    assert chat.actions == 7
    assert db(bot, "SELECT language FROM campaign_letters") == [("es",)]


def count_of(bot: Harness, event: str) -> int:
    rows = db(bot, "SELECT SUM(count) FROM daily_counts WHERE event = ?", event)
    return int(rows[0][0] or 0)


async def test_i_sent_it_is_counted_for_its_channel(bot: Harness) -> None:
    """ "I sent it" after the postal PDF counts a letter sent by post."""
    content = bot.content
    chat = Counted(bot, content)
    await chat.write_it_for_me()
    await chat.press_key("button.postal")
    await bot.press_data(
        "guide1:outcome:sent", message_id=bot.api.messages(bot.user_id)[-2].message_id
    )
    assert count_of(bot, channel_event("postal", "sent")) == 1


async def test_a_day_before_the_batch_was_printed_is_refused_in_the_organizers_language(
    org_bot: Harness,
) -> None:
    """A typed day earlier than the batch's printing is refused in Spanish, saying when it was
    printed; nothing is marked until a possible day is typed."""
    bot = org_bot
    await spanish_organizer_asked_the_day(bot)
    today = datetime.fromtimestamp(bot.storage.now(), UTC).date()
    refused = await bot.send((today - timedelta(days=1)).isoformat(), user_id=ORGANIZER)
    assert shows(refused, f"Esta tanda se imprimió el {today.isoformat()}")
    assert db(bot, "SELECT delivered_on FROM letter_batches") == [(None,)]
    marked = await bot.send(today.isoformat(), user_id=ORGANIZER)
    assert not shows(marked, "imprimió")
    assert db(bot, "SELECT delivered_on, how FROM letter_batches") == [(today.isoformat(), "hand")]
