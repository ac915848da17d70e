"""Learn the facts: topics, fact cards, and replies to free-text questions."""

from __future__ import annotations

from telegram import Update

from bot import render
from bot.answers import answer_question
from bot.deeplinks import bot_link
from bot.flows.menu import FACT, TOPIC, TOPICS
from bot.telegram import keyboards
from bot.telegram.common import count, current_user, show
from bot.telegram.context import Ctx
from bot.telegram.handlers.buttons import Presses


async def topics(update: Update, ctx: Ctx) -> None:
    """List the topics."""
    user = await current_user(update, ctx)
    content = ctx.services.content
    await show(
        update,
        ctx,
        content.text("topics.title", user.language),
        keyboards.topics(content, user.language),
    )


async def topic(update: Update, ctx: Ctx, topic_id: str) -> bool:
    """List the facts of one topic; False if the topic no longer exists."""
    content = ctx.services.content
    if topic_id not in content.topics:
        return False
    user = await current_user(update, ctx)
    lang = user.language
    await show(
        update,
        ctx,
        render.topic_page(content, topic_id, lang),
        keyboards.topic_facts(content, topic_id, lang),
    )
    return True


async def fact(update: Update, ctx: Ctx, fact_id: str) -> bool:
    """Show one fact card; False if the fact no longer exists."""
    content = ctx.services.content
    card = content.facts.get(fact_id)
    if card is None:
        return False
    user = await current_user(update, ctx)
    lang = user.language
    await count(ctx, "fact", lang, user.source)
    following = render.next_fact(content, card)
    await show(
        update,
        ctx,
        render.fact_card(content, card, lang),
        keyboards.fact_card(content, card, following.id, lang, bot_link(ctx.bot.username)),
    )
    return True


async def question(update: Update, ctx: Ctx) -> None:
    """Answer free text: an answer that opens a journey, or the best card and related ones,
    or say there is none."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    user = await current_user(update, ctx)
    lang = user.language
    content = ctx.services.content
    reply = answer_question(content, ctx.services.index, message.text, lang)
    if reply.answer is not None:
        await show(
            update,
            ctx,
            render.journey_answer(reply.answer, lang),
            keyboards.journey_answer(content, reply.answer, lang),
        )
        return
    if reply.fact is None:
        await count(ctx, "question_unanswered", lang, user.source)
        await show(
            update, ctx, content.text("search.no_match", lang), keyboards.topics(content, lang)
        )
        return
    await count(ctx, "fact", lang, user.source)
    related = list(reply.related)
    await show(
        update,
        ctx,
        render.search_answer(content, reply.fact, related, lang),
        keyboards.search_answer(content, reply.fact, related, lang, bot_link(ctx.bot.username)),
    )


PRESSES: Presses = (
    (TOPICS, topics),
    (TOPIC, topic),
    (FACT, fact),
)
