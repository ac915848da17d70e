"""Free text in a private chat: a stop word, an awaited answer, or a question."""

from __future__ import annotations

from telegram import Update

from bot.flows import guide, pledge
from bot.pledges import is_stop_message
from bot.telegram.context import Ctx
from bot.telegram.handlers import comment, facts, local, updates
from bot.telegram.handlers import pledge as pledging


async def on_text(update: Update, ctx: Ctx) -> None:
    """Route typed text: stop words first, then the step the user is in, else search."""
    message = update.effective_message
    tg_user = update.effective_user
    if message is None or message.text is None or tg_user is None:
        return
    text = message.text
    if is_stop_message(text, ctx.services.content.campaign.stop_words.all()):
        await updates.unsubscribe(update, ctx)
        return
    step = await ctx.services.storage.get_step(tg_user.id)
    if step is not None and not await ctx.services.storage.claim_answer(
        tg_user.id, message.message_id
    ):
        return  # delivered again after a crash: it already answered its step
    if step == pledge.STEP_NAME:
        await pledging.name_typed(update, ctx, text)
    elif step == pledge.STEP_STATE:
        await pledging.state_typed(update, ctx, text)
    elif step == local.STEP_WHERE:
        await local.where_typed(update, ctx, text)
    elif step is not None and step.startswith(local.STEP_COUNTY):
        await local.county_typed(update, ctx, step.removeprefix(local.STEP_COUNTY), text)
    elif step is not None and guide.awaits_text(step):
        await comment.typed(update, ctx, step, text)
    else:
        await facts.question(update, ctx)
