"""Inline mode: ``@bot racial profiling`` in any chat offers fact cards with their sources.

Results depend only on the query (its language is read from the query itself), never on who
asks, so Telegram may cache them for everyone (``is_personal=False``). Nothing about the person
asking is stored.
"""

from __future__ import annotations

from html import escape

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode

from bot.content import Content, Fact
from bot.deeplinks import build_payload, deep_link
from bot.render import fact_card
from bot.search import query_language
from bot.telegram.context import Ctx

CACHE_SECONDS = 300
MAX_FACTS = 8  # facts per answer; each in both languages, the query's language first
QUERY_MAX = 256  # Telegram's own limit on inline queries
SHARE_SOURCE = "share"


def results_language(ctx: Ctx, query: str) -> str:
    """The query's language: its own words first, then which language's cards match best."""
    guess = query_language(query, default="")
    if guess or not query.strip():
        return guess or "en"
    index = ctx.services.index
    english = index.search(query, "en", 1, facts_only=True)
    spanish = index.search(query, "es", 1, facts_only=True)
    if english and spanish and spanish[0].score > english[0].score:
        return "es"
    return "en"


def shared_card(content: Content, fact: Fact, lang: str, link: str) -> str:
    """The card as it appears in someone else's chat: the fact, sources, date, the bot's link."""
    more = content.text("inline.more", lang, link=escape(link))
    return f"{fact_card(content, fact, lang, position=False)}\n\n{more}"


async def inline_query(update: Update, ctx: Ctx) -> None:
    """Answer with matching fact cards (or the most important ones for an empty query)."""
    query = update.inline_query
    if query is None:
        return
    text = query.query[:QUERY_MAX]
    content = ctx.services.content
    lang = results_language(ctx, text)
    if text.strip():
        # Fact cards only: an answer that opens a journey means nothing in someone else's chat.
        hits = ctx.services.index.search(text, lang, limit=MAX_FACTS, facts_only=True)
        ids = [hit.id for hit in hits]
    else:
        ids = [f.id for f in content.facts.values() if f.important][:MAX_FACTS]
    other = "es" if lang == "en" else "en"
    username = ctx.bot.username
    results = []
    for fact_id in ids:
        fact = content.facts[fact_id]
        link = deep_link(username, build_payload(SHARE_SOURCE, "fact", fact_id=fact_id))
        for card_lang in (lang, other):
            results.append(
                InlineQueryResultArticle(
                    id=f"{card_lang}:{fact_id}",
                    title=f"{content.text('inline.flag', card_lang)} {fact.title.get(card_lang)}",
                    description=fact.text.get(card_lang)[:120],
                    input_message_content=InputTextMessageContent(
                        shared_card(content, fact, card_lang, link),
                        parse_mode=ParseMode.HTML,
                        link_preview_options=LinkPreviewOptions(is_disabled=True),
                    ),
                    reply_markup=InlineKeyboardMarkup(
                        [
                            [
                                InlineKeyboardButton(
                                    content.text("inline.open_bot", card_lang), url=link
                                )
                            ]
                        ]
                    ),
                )
            )
    await query.answer(
        results,
        cache_time=CACHE_SECONDS,
        is_personal=False,
        button=InlineQueryResultsButton(
            content.text("inline.button", lang), start_parameter="inline"
        ),
    )
