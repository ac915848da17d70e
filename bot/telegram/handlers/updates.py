"""Update subscriptions: subscribe, unsubscribe, /stop, stop words, and blocked users."""

from __future__ import annotations

from telegram import ChatMember, Update

from bot.flows.menu import MAIN, STATUS, SUBSCRIBE, UNSUBSCRIBE
from bot.telegram.common import current_user, show
from bot.telegram.context import Ctx
from bot.telegram.handlers.buttons import Presses
from bot.telegram.markup import button, keyboard


async def status(update: Update, ctx: Ctx) -> None:
    """Say whether the user gets updates, with the button that changes it."""
    user = await current_user(update, ctx)
    content, lang = ctx.services.content, user.language
    subscribed = await ctx.services.storage.is_subscribed(user.user_id)
    if subscribed:
        text, toggle = content.text("updates.status_on", lang), UNSUBSCRIBE.press()
        label = content.text("button.unsubscribe", lang)
    else:
        text, toggle = content.text("updates.status_off", lang), SUBSCRIBE.press()
        label = content.text("button.subscribe", lang)
    await show(
        update,
        ctx,
        text,
        keyboard(
            [button(label, toggle)],
            [button(content.text("button.menu", lang), MAIN.press())],
        ),
    )


async def subscribe(update: Update, ctx: Ctx) -> None:
    """Subscribe (explicit consent: only ever from a button the user pressed)."""
    user = await current_user(update, ctx)
    storage, content, lang = ctx.services.storage, ctx.services.content, user.language
    if await storage.subscribe(user.user_id):
        await storage.count_event("subscribe", lang, user.source)
    menu = keyboard([button(content.text("button.menu", lang), MAIN.press())])
    await show(update, ctx, content.text("updates.subscribed", lang), menu)


async def unsubscribe(update: Update, ctx: Ctx) -> None:
    """Unsubscribe at once and confirm (button, /stop or a stop word)."""
    user = await current_user(update, ctx)
    storage, content, lang = ctx.services.storage, ctx.services.content, user.language
    await storage.clear_step(user.user_id)
    if await storage.unsubscribe(user.user_id):
        await storage.count_event("unsubscribe", lang, user.source)
        text = content.text("updates.unsubscribed", lang)
    else:
        text = content.text("updates.was_not_subscribed", lang)
    menu = keyboard([button(content.text("button.menu", lang), MAIN.press())])
    await show(update, ctx, text, menu)


BLOCKED_STATUSES = {ChatMember.BANNED, ChatMember.LEFT}


async def membership_changed(update: Update, ctx: Ctx) -> None:
    """Mark a user who blocks the bot unreachable, and reachable again when they come back.

    The subscription row is left as it was, so a returning user keeps the choice they made.
    """
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    user_id = change.chat.id
    if await ctx.services.storage.get_user(user_id) is None:
        return  # nothing stored about them; blocking needs no record
    reachable = change.new_chat_member.status not in BLOCKED_STATUSES
    await ctx.services.storage.set_reachable(user_id, reachable)


PRESSES: Presses = (
    (STATUS, status),
    (SUBSCRIBE, subscribe),
    (UNSUBSCRIBE, unsubscribe),
)
