"""Conversations through the real Application over the in-memory Bot API (journeys 1 and 2)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.content import Content
from bot.storage import StorageError
from bot.telegram import context as services_module
from tests.harness import Harness, make_config, record_calls, running_bot

pytestmark = pytest.mark.asyncio


async def test_start_greets_in_english_with_the_menu(bot: Harness) -> None:
    """/start greets by name in three lines and shows the main menu."""
    reply = await bot.send("/start")
    assert reply.text is not None
    assert "Hi Ana!" in reply.text
    assert len(reply.text.splitlines()) == 3
    assert bot.button_labels(reply) == [
        "📚 Learn the facts",
        "✉️ Send your comment",
        "✊ Take the pledge",
        "📍 Where I live",
        "🏛 Who represents me",
        "🔔 Get updates",
        "📣 Share",
        "🔒 Privacy",
        "🌐 Language / Idioma",
        "❓ Help",
    ]


async def test_start_in_spanish_from_language_code(bot: Harness) -> None:
    """A Spanish Telegram client (es-MX) is greeted in Spanish."""
    bot.language_code = "es-MX"
    reply = await bot.send("/start")
    assert reply.text is not None and "¡Hola, Ana!" in reply.text
    assert "📚 Conozca los datos" in bot.button_labels(reply)
    user = await bot.storage.get_user(bot.user_id)
    assert user is not None and user.language == "es"


async def test_other_language_falls_back_to_default(bot: Harness) -> None:
    """A client in French gets the default language (English)."""
    bot.language_code = "fr"
    reply = await bot.send("/start")
    assert reply.text is not None and "Hi Ana!" in reply.text


async def test_second_start_welcomes_back(bot: Harness) -> None:
    """A returning user is welcomed back, not introduced again."""
    await bot.send("/start")
    reply = await bot.send("/start")
    assert reply.text is not None and "Welcome back" in reply.text


async def test_name_is_escaped(bot: Harness) -> None:
    """A first name with HTML is shown escaped, never as markup."""
    bot.first_name = "<b>Eve</b> & co"
    reply = await bot.send("/start")
    assert reply.text is not None and "&lt;b&gt;Eve&lt;/b&gt; &amp; co" in reply.text


@pytest.mark.parametrize(
    ("payload", "recorded"),
    [
        ("flyer-mn", "flyer-mn"),
        ("Post_2026", "Post_2026"),
        ("x" * 64, "x" * 64),
        ("x" * 65, None),
        ("bad.payload", None),
        ("niño", None),
    ],
)
async def test_deep_link_source_code(bot: Harness, payload: str, recorded: str | None) -> None:
    """A valid deep-link payload is recorded as the source code; anything else is ignored."""
    reply = await bot.send(f"/start {payload}")
    assert reply.text is not None and "Hi Ana!" in reply.text
    user = await bot.storage.get_user(bot.user_id)
    assert user is not None and user.source == recorded
    assert await bot.storage.event_totals("start") == {recorded or "": 1}


async def test_learn_the_facts_walk(bot: Harness, content: Content) -> None:
    """Menu → topics → topic → fact card with sources and date → next fact, edited in place."""
    start = await bot.send("/start")
    topics = await bot.press("Learn the facts")
    assert topics.message_id == start.message_id and topics.edited
    first_topic = next(iter(content.topics.values()))
    assert bot.button_labels(topics)[: len(content.topics)] == [
        t.title.en for t in content.topics.values()
    ]
    page = await bot.press(first_topic.title.en)
    facts = content.topic_facts(first_topic.id)
    assert page.text is not None and first_topic.description.en[:20] in page.text
    card = await bot.press(facts[0].title.en)
    assert card.text is not None
    assert facts[0].title.en in card.text
    assert "Why it matters:" in card.text
    assert f'href="{facts[0].sources[0].url}"' in card.text
    assert re.search(r"(Figures of \w+.*· checked|Checked) \w+ \d{1,2}, \d{4}</i>", card.text)
    labels = bot.button_labels(card)
    assert labels == ["Next fact ▶", "📤 Share", "◀ Topics", "🏠 Menu"]
    share = bot.buttons(card)[1]["url"]
    assert share.startswith("https://t.me/share/url?url=https%3A%2F%2Ft.me%2F")
    following = await bot.press("Next fact")
    assert following.message_id == start.message_id
    expected = facts[1] if len(facts) > 1 else facts[0]
    assert following.text is not None and expected.title.en in following.text
    back = await bot.press("Topics")
    assert back.text is not None and first_topic.title.en in back.text


async def test_fact_card_in_spanish(bot: Harness, content: Content) -> None:
    """A Spanish user reads cards in Spanish with Spanish dates."""
    bot.language_code = "es"
    await bot.send("/start")
    await bot.press("Conozca los datos")
    first_topic = next(iter(content.topics.values()))
    await bot.press(first_topic.title.es)
    fact = content.topic_facts(first_topic.id)[0]
    card = await bot.press(fact.title.es)
    assert card.text is not None
    assert "Por qué importa:" in card.text and "Fuentes" in card.text
    assert re.search(r"[Rr]evisado el \d{1,2} de \w+ de \d{4}</i>", card.text)


async def test_fact_card_dates(content: Content) -> None:
    """A card with figures shows their date and the check date; one without, only the check."""
    from bot.render import fact_card

    with_figures = fact_card(content, content.facts["agreements-2023-2024"], "en")
    assert with_figures.endswith(
        "· Figures of December 18, 2024 · checked November 30, 2026</i>"
    ), with_figures[-120:]
    without = fact_card(content, content.facts["what-is-287g"], "es", position=False)
    assert without.endswith("<i>Revisado el 30 de noviembre de 2026</i>")
    assert "Cifras" not in without


async def test_language_can_be_changed(bot: Harness) -> None:
    """/language switches to Spanish, stored and used from then on."""
    await bot.send("/start")
    await bot.send("/language")
    reply = await bot.press("Español")
    assert reply.text is not None and "español" in reply.text
    user = await bot.storage.get_user(bot.user_id)
    assert user is not None and user.language == "es" and user.language_set
    reply = await bot.send("/help")
    assert reply.text is not None and "cómo usar este bot" in reply.text


async def test_help_lists_commands(bot: Harness) -> None:
    """/help explains the commands."""
    reply = await bot.send("/help")
    assert reply.text is not None
    for command in ("/start", "/facts", "/pledge", "/stop", "/privacy", "/forget", "/help"):
        assert command in reply.text


async def test_free_text_question_gets_a_card_and_related(bot: Harness, content: Content) -> None:
    """A question is answered with the best card and related facts as buttons."""
    reply = await bot.send("does 287g cause racial profiling?")
    assert reply.text is not None and "Here is what I found" in reply.text
    assert "Sources" in reply.text
    fact_buttons = [
        b for b in bot.buttons(reply) if b.get("callback_data", "").startswith("facts1:fact:")
    ]
    assert 1 <= len(fact_buttons) <= 3
    related = await bot.press(fact_buttons[0]["text"].removeprefix("🔎 "))
    assert related.text is not None and "Why it matters" in related.text


async def test_spanish_question(bot: Harness) -> None:
    """A Spanish question from a Spanish user is answered in Spanish."""
    bot.language_code = "es"
    reply = await bot.send("¿qué es 287(g)?")
    assert reply.text is not None and "Esto es lo que encontré" in reply.text


async def test_no_match_says_so_and_offers_topics(bot: Harness, content: Content) -> None:
    """An unrelated question is not answered with a guess: the bot says so and shows topics."""
    reply = await bot.send("what's the weather in Paris tomorrow")
    assert reply.text is not None and "I won't guess" in reply.text
    assert bot.button_labels(reply)[0] == next(iter(content.topics.values())).title.en


@pytest.mark.parametrize(
    "text",
    [
        "x" * 10_000,
        "😀" * 3000,
        "مرحبا كيف حالك",
        "<b>&</b>",
        "</i><script>alert(1)</script>",
        "\u202e\u0000\u200b",
        "   ",
        "/",
    ],
)
async def test_any_text_gets_a_valid_reply(bot: Harness, text: str) -> None:
    """Any text gets a reply Telegram accepts (length, HTML), and nothing crashes."""
    before = len(bot.api.sent)
    await bot.send(text)
    assert len(bot.api.sent) > before


async def test_unknown_command(bot: Harness) -> None:
    """An unknown command points to /help."""
    reply = await bot.send("/frobnicate now")
    assert reply.text is not None and "/help" in reply.text


async def test_sticker_and_photo_get_text_only_reply(bot: Harness) -> None:
    """Stickers and photos get a polite "I only read text"."""
    await bot.feed(bot.api.user_sticker(bot.user_id))
    assert "only read text" in (bot.last().text or "")
    bot.api.clear()
    await bot.feed(bot.api.user_photo(bot.user_id))
    assert "only read text" in (bot.last().text or "")


async def test_edited_message_is_ignored(bot: Harness) -> None:
    """Editing an old message does not trigger a second answer."""
    await bot.send("racial profiling")
    before = len(bot.api.sent)
    await bot.feed(bot.api.user_edited_message(bot.user_id, 1, "racial profilng"))
    assert len(bot.api.sent) == before


@pytest.mark.parametrize(
    "data",
    [
        "facts1:fact:no-such-fact",
        "facts1:topic:no-such-topic",
        "menu1:set-language:fr",
        "menu1:main:extra",
        "admin",
        "x" * 64,
        "facts1:fact:" + "a" * 53,
        "'; DROP TABLE users; --",
        "ñ",
    ],
)
async def test_forged_or_stale_buttons(bot: Harness, data: str) -> None:
    """Forged or stale callback data gets a short notice and the menu; nothing breaks."""
    await bot.send("/start")
    reply = await bot.press_data(data)
    assert reply.text is not None and "What would you like to do?" in reply.text
    notices = [a for a in bot.api.sent if a.method == "answerCallbackQuery"]
    assert notices, "the button press was not answered"
    with sqlite3.connect(bot.app.bot_data.config.db_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 1


async def test_button_from_an_old_unknown_message(bot: Harness, content: Content) -> None:
    """A press on a message the bot no longer has still gets an answer."""
    await bot.send("/start")
    fact_id = next(iter(content.facts))
    reply = await bot.press_data(f"facts1:fact:{fact_id}", message_id=9999)
    assert reply.text is not None and content.facts[fact_id].title.en in reply.text


async def test_double_tap_is_harmless(bot: Harness) -> None:
    """Pressing the same button twice leaves one correct screen and no error message."""
    start = await bot.send("/start")
    await bot.press_data("facts1:topics", message_id=start.message_id)
    again = await bot.press_data("facts1:topics", message_id=start.message_id)
    assert again.text is not None and "Learn the facts" in again.text
    assert not any("went wrong" in (a.text or "") for a in bot.api.sent)


async def test_group_chat_points_to_private_chat(bot: Harness) -> None:
    """In a group, commands get a pointer to a private chat; other messages are ignored."""
    await bot.feed(bot.api.group_message(-100, bot.user_id, "racial profiling"))
    assert bot.api.sent == []
    await bot.feed(bot.api.group_message(-100, bot.user_id, "/start"))
    assert bot.api.sent and "private" in (bot.api.sent[-1].text or "")


async def test_channel_post_is_ignored(bot: Harness) -> None:
    """Channel posts get no reply."""
    await bot.feed(bot.api.channel_post(-200, "/start"))
    assert bot.api.sent == []


async def test_storage_failure_tells_the_user(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the database fails, the user is told plainly in their language."""

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise StorageError("disk I/O error")

    monkeypatch.setattr(bot.storage, "touch_user", broken)
    bot.language_code = "es"
    await bot.send("/start")
    assert "no puedo guardar" in (bot.last().text or "")


async def test_unexpected_error_tells_the_user(
    bot: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Any other error is logged without the message text and the user gets an apology."""

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("search exploded")

    monkeypatch.setattr(bot.app.bot_data.index, "search", broken)
    await bot.send("my secret question text")
    assert "something went wrong" in (bot.last().text or "")
    assert "RuntimeError" in caplog.text
    assert "my secret question text" not in caplog.text


async def test_search_index_is_built_at_the_first_question(
    tmp_path: Path, content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Start-up and /start build no search index; the first question does, once."""
    built = record_calls(monkeypatch, services_module, "build_index")
    async with running_bot(make_config(tmp_path), content) as harness:
        await harness.send("/start")
        assert built == []
        await harness.send("racial profiling")
        assert "Here is what I found" in (harness.last().text or "")
        await harness.send("who pays for 287g")
        assert built == [content]


async def test_commands_menu_in_both_languages(bot: Harness) -> None:
    """At start-up the bot sets its command menu in English and Spanish."""
    calls = [a for a in bot.startup_actions if a.method == "setMyCommands"]
    languages = {a.params.get("language_code") for a in calls}
    assert {"en", "es", None} <= languages
