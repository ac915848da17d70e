"""Inline-button presses: one entry point that parses callback data and routes it.

Callback data is untrusted (any client can send any string, or an old message's data), so it is
parsed into a closed set of actions; anything unknown or stale gets a short notice and the menu.
"""

from __future__ import annotations

from telegram import Update

from bot.callbacks import parse
from bot.telegram.common import current_user
from bot.telegram.context import Ctx
from bot.telegram.handlers import facts, menu


async def on_button(update: Update, ctx: Ctx) -> None:
    """Answer the button press and run its action."""
    query = update.callback_query
    if query is None:
        return
    callback = parse(query.data)
    handled = False
    if callback is not None:
        await query.answer()
        handled = await _route(update, ctx, callback.action, callback.arg)
    if not handled:
        await _stale(update, ctx, answered=callback is not None)


async def _route(update: Update, ctx: Ctx, action: str, arg: str | None) -> bool:
    match action, arg:
        case "menu", None:
            await menu.menu(update, ctx)
        case "topics", None:
            await facts.topics(update, ctx)
        case "topic", str(topic_id):
            return await facts.topic(update, ctx, topic_id)
        case "fact", str(fact_id):
            return await facts.fact(update, ctx, fact_id)
        case "lang", None:
            await menu.language_menu(update, ctx)
        case "setlang", ("en" | "es") as lang:
            await menu.set_language(update, ctx, lang)
        case "help", None:
            await menu.help_command(update, ctx)
        case _:
            return False
    return True


async def _stale(update: Update, ctx: Ctx, answered: bool) -> None:
    """A button the bot no longer knows: say so briefly and show the menu."""
    user = await current_user(update, ctx)
    content = ctx.services.content
    notice = content.text("error.stale_button", user.language)
    if not answered and update.callback_query is not None:
        await update.callback_query.answer(notice)
    await menu.menu(update, ctx)
