"""Take the pledge in Telegram: each step writes to SQLite, then shows the flow's next screen
(:mod:`bot.flows.pledge`).

Each step is written to SQLite as it happens (the pledge row first, then its optional fields,
then the subscription), and the typed answer the bot waits for is a stored step, so a restart
between two steps loses nothing and nothing is ever half-written.
"""

from __future__ import annotations

from telegram import Update

from bot.deeplinks import bot_link
from bot.flows import pledge
from bot.freetext import check_free_text
from bot.pledges import NAME_MAX, find_state
from bot.telegram.common import current_user, render
from bot.telegram.context import Ctx
from bot.telegram.handlers.buttons import Presses


async def pledge_screen(update: Update, ctx: Ctx) -> None:
    """Show the pledge and ask to take it, or say the user already has."""
    user = await current_user(update, ctx)
    storage, content, lang = ctx.services.storage, ctx.services.content, user.language
    await storage.clear_step(user.user_id)
    taken = await storage.get_pledge(user.user_id)
    if taken is not None:
        await render(update, ctx, pledge.already(content, taken, lang, bot_link(ctx.bot.username)))
        return
    await render(update, ctx, pledge.intro(content, lang, await storage.pledge_count()))


async def take_pledge(update: Update, ctx: Ctx) -> None:
    """Record the pledge (idempotent) and ask for an optional first name."""
    user = await current_user(update, ctx)
    storage = ctx.services.storage
    _, is_new = await storage.record_pledge(user.user_id)
    if is_new:
        await storage.count_event("pledge", user.language, user.source)
    await ask_name(update, ctx)


async def ask_name(update: Update, ctx: Ctx) -> None:
    """Ask for the optional first name."""
    user = await current_user(update, ctx)
    if await ctx.services.storage.get_pledge(user.user_id) is None:
        await _no_pledge(update, ctx)
        return
    await ctx.services.storage.set_step(user.user_id, pledge.STEP_NAME)
    await render(update, ctx, pledge.ask_name(user.language))


async def name_typed(update: Update, ctx: Ctx, text: str) -> None:
    """Check and store the typed first name, then ask for the state."""
    user = await current_user(update, ctx)
    check = check_free_text(text, NAME_MAX)
    if check.text is None:
        await render(update, ctx, pledge.name_refused(user.language, check))
        return
    if not await ctx.services.storage.set_pledge_name(user.user_id, check.text):
        await _no_pledge(update, ctx)
        return
    await ask_state(update, ctx)


async def ask_state(update: Update, ctx: Ctx) -> None:
    """Ask for the optional state: a grid of codes, or a typed name."""
    user = await current_user(update, ctx)
    await ctx.services.storage.set_step(user.user_id, pledge.STEP_STATE)
    await render(update, ctx, pledge.ask_state(ctx.services.content, user.language))


async def state_typed(update: Update, ctx: Ctx, text: str) -> None:
    """Find the typed state; store it, or say it is unknown."""
    user = await current_user(update, ctx)
    state = find_state(text, ctx.services.content.states)
    if state is None:
        await render(update, ctx, pledge.state_unknown(user.language, text))
        return
    await state_chosen(update, ctx, state.code)


async def state_chosen(update: Update, ctx: Ctx, code: str) -> bool:
    """Store the chosen state and ask about updates; stale for an unknown code."""
    if code.upper() not in ctx.services.content.states:
        return False
    user = await current_user(update, ctx)
    if not await ctx.services.storage.set_pledge_state(user.user_id, code.upper()):
        await _no_pledge(update, ctx)
        return True
    await ask_updates(update, ctx)
    return True


async def skip(update: Update, ctx: Ctx, what: str) -> bool:
    """Skip the optional name or state."""
    if what == "name":
        await ask_state(update, ctx)
    elif what == "state":
        await ask_updates(update, ctx)
    else:
        return False
    return True


async def ask_updates(update: Update, ctx: Ctx) -> None:
    """Ask, separately and never pre-ticked, whether to send updates."""
    user = await current_user(update, ctx)
    await ctx.services.storage.clear_step(user.user_id)
    if await ctx.services.storage.is_subscribed(user.user_id):
        await finish(update, ctx)
        return
    await render(update, ctx, pledge.ask_updates(user.language))


async def updates_answer(update: Update, ctx: Ctx, answer: str) -> bool:
    """Record the answer about updates, then thank the user."""
    if answer not in pledge.ANSWERS:
        return False
    user = await current_user(update, ctx)
    storage = ctx.services.storage
    if answer == "yes" and await storage.subscribe(user.user_id):
        await storage.count_event("subscribe", user.language, user.source)
    await finish(update, ctx)
    return True


async def finish(update: Update, ctx: Ctx) -> None:
    """Thank the user with their supporter number and what they gave."""
    user = await current_user(update, ctx)
    taken = await ctx.services.storage.get_pledge(user.user_id)
    if taken is None:
        await _no_pledge(update, ctx)
        return
    link = bot_link(ctx.bot.username)
    await render(update, ctx, pledge.done(ctx.services.content, taken, user.language, link))


async def confirm_unpledge(update: Update, ctx: Ctx) -> None:
    """Ask before withdrawing the pledge."""
    user = await current_user(update, ctx)
    await ctx.services.storage.clear_step(user.user_id)
    if await ctx.services.storage.get_pledge(user.user_id) is None:
        await _no_pledge(update, ctx)
        return
    await render(update, ctx, pledge.confirm_withdraw(user.language))


async def unpledge(update: Update, ctx: Ctx) -> None:
    """Withdraw the pledge with its name and state."""
    user = await current_user(update, ctx)
    if not await ctx.services.storage.withdraw_pledge(user.user_id):
        await _no_pledge(update, ctx)
        return
    await ctx.services.storage.count_event("unpledge", user.language, user.source)
    await render(update, ctx, pledge.withdrawn(user.language))


async def _no_pledge(update: Update, ctx: Ctx) -> None:
    user = await current_user(update, ctx)
    await ctx.services.storage.clear_step(user.user_id)
    await render(update, ctx, pledge.no_pledge(user.language))


PRESSES: Presses = (
    (pledge.SHOW, pledge_screen),
    (pledge.TAKE, take_pledge),
    (pledge.SKIP, skip),
    (pledge.STATE, state_chosen),
    (pledge.UPDATES, updates_answer),
    (pledge.EDIT, ask_name),
    (pledge.WITHDRAW, confirm_unpledge),
    (pledge.WITHDRAW_YES, unpledge),
)
