"""Questions that lead somewhere, through the real Application over the in-memory Bot API:
a typed question gets an answer whose buttons open the journey it names, in both languages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from html import escape
from typing import Any

import pytest

from bot.content import Content
from bot.render import check_rendered, journey_answer
from bot.telegram.handlers import local
from bot.telegram.keyboards import JOURNEY_BUTTONS
from tests.harness import Harness

pytestmark = pytest.mark.asyncio

# (language, what the supporter types, the answer it must get)
JOURNEY_QUESTIONS = [
    ("en", "what can i do", "take-action"),
    ("es", "ke puedo aser", "take-action"),
    ("en", "is ice in my town", "where-i-live"),
    ("es", "la migra esta en mi pueblo?", "where-i-live"),
    ("en", "how do i send a comment", "send-comment"),
    ("es", "como mando mi comentario", "send-comment"),
    ("en", "i want to take the pledge", "pledge"),
    ("es", "quiero firmar el compromiso", "pledge"),
    ("en", "how do i share this", "share"),
    ("es", "como lo comparto", "share"),
    ("en", "keep me posted", "updates"),
    ("es", "quiero recibir noticias", "updates"),
    ("en", "delete my data", "privacy"),
    ("es", "borra mis datos", "privacy"),
]
MENU_QUESTIONS = [
    ("en", "hi", "hello"),
    ("es", "q onda", "hello"),
    ("en", "help", "help"),
    ("es", "ayudaa", "help"),
    ("en", "thank u", "thanks"),
    ("es", "grasias", "thanks"),
    ("en", "can police ask my status", "know-your-rights"),
    ("es", "mis derechos con la migra", "know-your-rights"),
]


def journey_cases() -> list[Any]:
    """One case per (question, journey its answer opens)."""
    from bot.content import load_content
    from tests.harness import CONTENT_DIR

    answers = load_content(CONTENT_DIR, render_check=check_rendered).answers
    return [
        pytest.param(lang, text, answer_id, journey, id=f"{lang}: {text} -> {journey}")
        for lang, text, answer_id in JOURNEY_QUESTIONS
        for journey in answers[answer_id].journeys
    ]


async def opened(bot: Harness, content: Content, journey: str, lang: str) -> None:
    """Assert that ``journey`` is what the bot shows now."""
    screen = bot.last()
    text = screen.text or ""
    checks: dict[str, Callable[[], Awaitable[None]]] = {}

    async def comment() -> None:
        draft = await bot.storage.get_draft(bot.user_id)
        assert draft is not None and draft.step == "intro"

    async def pledge() -> None:
        assert escape(content.campaign.pledge.get(lang)) in text

    async def where() -> None:
        assert await bot.storage.get_step(bot.user_id) == local.STEP_WHERE
        assert content.ui["local.ask"].get(lang).split("\n")[0] in text

    async def share() -> None:
        assert text == content.text("share.menu", lang)

    async def updates() -> None:
        assert text == content.text("updates.status_off", lang)

    async def privacy() -> None:
        assert content.ui["privacy.text"].get(lang).split("\n")[0] in text

    checks.update(
        comment=comment, pledge=pledge, local=where, share=share, updates=updates, privacy=privacy
    )
    await checks[journey]()


def menu_labels(content: Content, lang: str) -> list[str]:
    keys = ["facts", "comment", "pledge", "local", "updates", "share", "privacy", "language"]
    return [content.text(f"menu.{key}", lang) for key in [*keys, "help"]]


@pytest.mark.parametrize(("lang", "text", "answer_id", "journey"), journey_cases())
async def test_answer_buttons_open_their_journey(
    bot: Harness, content: Content, lang: str, text: str, answer_id: str, journey: str
) -> None:
    """The question gets its answer in the user's language, with one button per journey and
    the menu; pressing a journey's button opens that journey."""
    bot.language_code = lang
    answer = content.answers[answer_id]
    reply = await bot.send(text)
    assert reply.text == journey_answer(answer, lang)
    labels = [content.text(JOURNEY_BUTTONS[j][0], lang) for j in answer.journeys]
    assert bot.button_labels(reply) == [*labels, content.text("button.menu", lang)]
    screen = await bot.press(content.text(JOURNEY_BUTTONS[journey][0], lang))
    assert screen.message_id == reply.message_id  # the answer becomes the journey, in place
    await opened(bot, content, journey, lang)


@pytest.mark.parametrize(("lang", "text", "answer_id"), MENU_QUESTIONS)
async def test_greetings_help_and_rights_show_the_menu(
    bot: Harness, content: Content, lang: str, text: str, answer_id: str
) -> None:
    """Greetings, help, thanks and the rights referral come with the whole main menu, whose
    buttons work."""
    bot.language_code = lang
    reply = await bot.send(text)
    assert reply.text == journey_answer(content.answers[answer_id], lang)
    assert bot.button_labels(reply) == menu_labels(content, lang)
    await bot.press(content.text("menu.comment", lang))
    await opened(bot, content, "comment", lang)


@pytest.mark.parametrize(
    ("lang", "text", "no_advice"),
    [
        ("en", "what are my rights if ice stops me", "I can't give legal advice"),
        ("es", "que hago si la migra toca mi puerta", "No puedo dar asesoría legal"),
    ],
)
async def test_rights_question_gets_a_sourced_referral(
    bot: Harness, content: Content, lang: str, text: str, no_advice: str
) -> None:
    """A rights question gets no advice of the bot's own: it says so and links trusted
    organizations' know-your-rights pages."""
    bot.language_code = lang
    reply = await bot.send(text)
    body = reply.text or ""
    assert escape(no_advice) in body
    links = content.answers["know-your-rights"].links
    for link in links:
        assert f'<a href="{escape(link.url)}">{escape(link.title.get(lang))}</a>' in body


async def test_reply_is_in_the_users_language_whatever_the_question(
    bot: Harness, content: Content
) -> None:
    """A Spanish-speaking user who types in English gets the answer in Spanish, and back."""
    bot.language_code = "es"
    reply = await bot.send("what can i do")
    assert reply.text == journey_answer(content.answers["take-action"], "es")
    bot.language_code = "en"
    await bot.send("/language")
    await bot.press("English")
    reply = await bot.send("que puedo hacer")
    assert reply.text == journey_answer(content.answers["take-action"], "en")


async def test_a_fact_question_still_gets_its_card(bot: Harness, content: Content) -> None:
    """Answers compete with cards: a fact question gets the card and related facts."""
    reply = await bot.send("how many 287g agreements are there now")
    assert reply.text is not None and "Here is what I found" in reply.text
    assert content.facts["agreements-2026"].title.en in reply.text


async def test_an_unanswerable_question_is_not_guessed(bot: Harness) -> None:
    """A question the bot cannot answer gets "I won't guess" and the topics, nothing else."""
    reply = await bot.send("best tacos in houston")
    assert reply.text is not None and "I won't guess" in reply.text
    stats = await bot.storage.event_totals("question_unanswered")
    assert sum(stats.values()) == 1


async def test_a_typed_step_is_not_read_as_a_question(bot: Harness) -> None:
    """While the bot waits for a name, "hola" is the answer to that step, not a greeting."""
    await bot.send("/pledge")
    await bot.press("I pledge")
    reply = await bot.send("Hola")
    assert "Hello!" not in (reply.text or "") and "¡Hola!" not in (reply.text or "")


async def inline(bot: Harness, query: str) -> list[dict[str, Any]]:
    await bot.feed(bot.api.inline_query(3001, query))
    answers = [a for a in bot.api.sent if a.method == "answerInlineQuery"]
    assert answers, "the inline query was not answered"
    found = answers[-1].params["results"]
    assert isinstance(found, list)
    return found


@pytest.mark.parametrize("query", ["what can i do", "hola", "is ice in my town", "mis derechos"])
async def test_inline_mode_offers_only_fact_cards(
    bot: Harness, content: Content, query: str
) -> None:
    """Inline mode shares fact cards only: a journey answer means nothing in another chat."""
    for result in await inline(bot, query):
        assert result["id"].split(":", 1)[1] in content.facts
