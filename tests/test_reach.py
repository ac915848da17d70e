"""Reach: inline sharing, deep links into journeys, flyer links and QR codes, the share screen,
the bot's profile (journeys 1 and 6)."""

from __future__ import annotations

import io
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from bot.content import Content
from bot.telegram_html import check_html, telegram_length, visible_text
from tests.harness import Harness, invalid_requests, make_config, start_harness, stop_harness

ORG = 515151


async def inline(bot: Harness, query: str, user_id: int = 3001, lang: str = "en") -> dict[str, Any]:
    update = bot.api.inline_query(user_id, query)
    update["inline_query"]["from"]["language_code"] = lang
    await bot.feed(update)
    answers = [a for a in bot.api.sent if a.method == "answerInlineQuery"]
    assert answers, "the inline query was not answered"
    return answers[-1].params


def results(params: dict[str, Any]) -> list[dict[str, Any]]:
    value = params["results"]
    assert isinstance(value, list)
    return value


@pytest.mark.parametrize(
    ("query", "first_lang"),
    [("racial profiling", "en"), ("perfil racial", "es"), ("¿cuánto cuesta?", "es")],
)
async def test_inline_offers_cited_cards(bot: Harness, query: str, first_lang: str) -> None:
    """An inline query offers matching cards, in the query's language first, with sources."""
    params = await inline(bot, query)
    found = results(params)
    assert found and found[0]["id"].startswith(f"{first_lang}:")
    for result in found:
        message = result["input_message_content"]
        text = message["message_text"]
        assert check_html(text) is None and telegram_length(visible_text(text)) <= 4096
        assert "https://" in text and re.search(r"([Cc]hecked|[Rr]evisado el) \w", text)
        button = result["reply_markup"]["inline_keyboard"][0][0]
        assert button["url"].startswith("https://t.me/outreach_test_bot?start=fact-")
        assert button["url"].endswith("--share")
        assert len(result["id"].encode()) <= 64
    assert params["cache_time"] == 300 and params.get("is_personal") in (False, None)


async def test_inline_shared_card_shows_both_dates(bot: Harness, content: Content) -> None:
    """A card shared into another chat says the date of its figures and when it was checked."""
    fact = content.facts["agreements-2026"]
    found = {r["id"]: r for r in results(await inline(bot, "how many agreements are there now"))}
    english = found["en:agreements-2026"]["input_message_content"]["message_text"]
    spanish = found["es:agreements-2026"]["input_message_content"]["message_text"]
    assert "<i>Figures of June 9, 2026 · checked November 30, 2026</i>" in english
    assert "<i>Cifras a 9 de junio de 2026 · revisado el 30 de noviembre de 2026</i>" in spanish
    assert fact.data_as_of == "2026-06-09" and fact.checked == "2026-11-30"


async def test_inline_empty_query_offers_important_facts(bot: Harness, content: Content) -> None:
    """An empty query offers the most important facts, in both languages."""
    found = results(await inline(bot, ""))
    important = {f.id for f in content.facts.values() if f.important}
    assert {r["id"].split(":", 1)[1] for r in found} == important
    assert {r["id"].split(":", 1)[0] for r in found} == {"en", "es"}


async def test_inline_results_do_not_depend_on_who_asks(bot: Harness) -> None:
    """The same query gives the same results to an English and a Spanish user (cacheable)."""
    english = results(await inline(bot, "costs", user_id=1, lang="en"))
    spanish = results(await inline(bot, "costs", user_id=2, lang="es"))
    assert english == spanish


@pytest.mark.parametrize(
    "query", ["x" * 256, "<b>&</b>", "😀🔥", "\u202eabc", "   ", "asdfgh qwerty"]
)
async def test_inline_odd_queries(bot: Harness, query: str) -> None:
    """Long, odd or meaningless queries get a valid answer (maybe empty), never an error."""
    params = await inline(bot, query)
    assert isinstance(params["results"], list)
    assert invalid_requests(bot.api) == []


async def test_inline_stores_nothing(bot: Harness) -> None:
    """Inline queries leave no trace of the person in the database."""
    await inline(bot, "racial profiling", user_id=4242)
    with sqlite3.connect(bot.app.bot_data.config.db_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM users").fetchone() == (0,)


@pytest.mark.parametrize(
    ("payload", "expected", "source"),
    [
        ("facts--flyer-mn", "Learn the facts", "flyer-mn"),
        ("pledge--flyer-mn", "The pledge", "flyer-mn"),
        ("comment--church", "Send your comment to", "church"),
        ("fact-what-is-287g--ig", "What is 287(g)?", "ig"),
        ("pledge", "The pledge", None),
        ("fact-no-such-fact", "Hi Ana!", "fact-no-such-fact"),
        ("unknown-journey--x", "Hi Ana!", "unknown-journey--x"),
    ],
)
async def test_deep_links_open_journeys(
    bot: Harness, payload: str, expected: str, source: str | None
) -> None:
    """A deep link opens its journey (after a greeting for newcomers) and records its source."""
    await bot.send(f"/start {payload}")
    texts = [m.text or "" for m in bot.api.messages(bot.user_id)]
    assert "Hi Ana!" in texts[0]
    assert expected in texts[-1]
    user = await bot.storage.get_user(bot.user_id)
    assert user is not None and user.source == source


async def test_deep_link_for_a_returning_user_skips_the_greeting(bot: Harness) -> None:
    """Someone who already knows the bot goes straight to the journey."""
    await bot.send("/start")
    bot.api.clear()
    await bot.send("/start pledge--flyer-x")
    messages = bot.api.messages(bot.user_id)
    assert "The pledge" in (messages[-1].text or "")
    assert not any("Welcome back" in (a.text or "") for a in bot.api.sent)


async def test_share_screen(bot: Harness) -> None:
    """Share offers the bot's link with the share code, and a fact through inline mode."""
    await bot.send("/start")
    screen = await bot.press("Share")
    buttons = {b["text"]: b for b in bot.buttons(screen)}
    assert buttons["📤 Share the bot"]["url"].startswith(
        "https://t.me/share/url?url=https%3A%2F%2Ft.me%2Foutreach_test_bot%3Fstart%3Dshare"
    )
    assert buttons["💬 Share a fact in a chat"]["switch_inline_query"] == ""


async def test_share_buttons_after_fact_pledge_and_comment(bot: Harness, content: Content) -> None:
    """Facts, the pledge and the sent comment each offer sharing with the share code."""
    await bot.send("racial profiling")
    assert any("📤" in label for label in bot.button_labels())
    await bot.send("/pledge")
    await bot.press("I pledge")
    await bot.press("Skip")
    await bot.press("Skip")
    done = await bot.press("No, thanks")
    share = next(b for b in bot.buttons(done) if "Share" in b["text"])
    assert "start%3Dshare" in share["url"]


async def test_profile_descriptions_are_set(bot: Harness, content: Content) -> None:
    """At start-up the bot sets its description and short description in both languages."""
    descriptions = {
        a.params.get("language_code"): a.params["description"]
        for a in bot.startup_actions
        if a.method == "setMyDescription"
    }
    shorts = {
        a.params.get("language_code"): a.params["short_description"]
        for a in bot.startup_actions
        if a.method == "setMyShortDescription"
    }
    assert descriptions["es"] == content.campaign.description.es
    assert descriptions["en"] == content.campaign.description.en
    assert shorts["es"] == content.campaign.short_description.es
    assert None in descriptions and None in shorts


# -- flyers ----------------------------------------------------------------------------------------


def decode(png: bytes) -> str:
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(found) == 1
    return str(found[0].text)


async def test_link_command_sends_a_qr_code(tmp_path: Path, content: Content) -> None:
    """/link SOURCE journey answers with a QR code that decodes back to the deep link."""
    bot = await start_harness(make_config(tmp_path, organizers=frozenset({ORG})), content)
    try:
        await bot.send("/link flyer-mn pledge", user_id=ORG)
        photo = next(a for a in bot.api.sent if a.method == "sendPhoto")
        link = "https://t.me/outreach_test_bot?start=pledge--flyer-mn"
        assert link in (photo.text or "")
        assert decode(photo.params["photo"]) == link
        bad = await bot.send("/link bad.source", user_id=ORG)
        assert "can't be made" in (bad.text or "")
        usage = await bot.send("/link", user_id=ORG)
        assert "Usage" in (usage.text or "")
        too_long = await bot.send(f"/link {'x' * 60} pledge", user_id=ORG)
        assert "64" in (too_long.text or "")
        unknown = await bot.send("/link flyer fact-nope", user_id=ORG)
        assert "no fact" in (unknown.text or "")
        not_org = await bot.send("/link flyer-mn", user_id=77)
        assert "don't know that command" in (not_org.text or "")
        assert invalid_requests(bot.api) == []
    finally:
        await stop_harness(bot)


def test_cli_link_writes_a_qr_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`outreach-bot link` prints the link and writes a PNG that decodes to it."""
    from bot.cli import main

    png = tmp_path / "flyer.png"
    assert (
        main(["link", "flyer-mn", "fact-what-is-287g", "--bot", "end287g_bot", "--png", str(png)])
        == 0
    )
    link = capsys.readouterr().out.strip()
    assert link == "https://t.me/end287g_bot?start=fact-what-is-287g--flyer-mn"
    assert decode(png.read_bytes()) == link
    assert main(["link", "bad source", "--bot", "end287g_bot", "--png", str(png)]) == 2
    assert main(["link", "flyer"]) == 2  # no bot username


async def test_stats_show_results_per_source(tmp_path: Path, content: Content) -> None:
    """People who came through a flyer are counted per source in /stats."""
    bot = await start_harness(make_config(tmp_path, organizers=frozenset({ORG})), content)
    try:
        await bot.send("/start pledge--flyer-mn", user_id=1)
        await bot.press("I pledge", user_id=1)
        await bot.send("/start flyer-mn", user_id=2)
        await bot.send("/stats", user_id=ORG)
        report = next(
            a.text for a in bot.api.sent if a.chat_id == ORG and a.method == "sendMessage"
        )
        assert report is not None and "flyer-mn" in report
    finally:
        await stop_harness(bot)
