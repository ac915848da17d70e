"""Take the pledge: confirm, then optional first name and state, then consent to updates.

Each step is written to SQLite as it happens (the pledge row first, then its optional fields,
then the subscription), and the typed answer the bot waits for is a stored step, so a restart
between two steps loses nothing and nothing is ever half-written.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.callbacks import Callback
from bot.content import Content
from bot.freetext import check_free_text
from bot.pledges import NAME_MAX, find_state
from bot.render import format_date, share_bot_url
from bot.storage import Pledge
from bot.telegram.common import button, current_user, keyboard, show
from bot.telegram.context import Ctx
from bot.telegram.handlers.facts import bot_link

STEP_NAME = "pledge_name"
STEP_STATE = "pledge_state"
STATES_PER_ROW = 6


def _menu_button(content: Content, lang: str) -> InlineKeyboardButton:
    return button(content.text("button.menu", lang), Callback("menu").data())


async def pledge_screen(update: Update, ctx: Ctx) -> None:
    """Show the pledge and ask to take it, or say the user already has."""
    user = await current_user(update, ctx)
    storage, content, lang = ctx.services.storage, ctx.services.content, user.language
    await storage.clear_step(user.user_id)
    pledge = await storage.get_pledge(user.user_id)
    if pledge is not None:
        when = format_date(_iso_day(pledge.pledged_at), lang)
        text = content.text("pledge.already", lang, number=f"{pledge.number:,}", date=when)
        await show(update, ctx, text, _pledged_keyboard(content, lang, ctx))
        return
    count = await storage.pledge_count()
    text = content.text(
        "pledge.intro",
        lang,
        pledge=escape(content.campaign.pledge.get(lang)),
        count=f"{count:,}",
    )
    await show(
        update,
        ctx,
        text,
        keyboard(
            [button(content.text("button.pledge_yes", lang), Callback("pyes").data())],
            [button(content.text("button.not_now", lang), Callback("menu").data())],
        ),
    )


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
    content, lang = ctx.services.content, user.language
    if await ctx.services.storage.get_pledge(user.user_id) is None:
        await _no_pledge(update, ctx)
        return
    await ctx.services.storage.set_step(user.user_id, STEP_NAME)
    await show(
        update,
        ctx,
        content.text("pledge.ask_name", lang, max=str(NAME_MAX)),
        keyboard([button(content.text("button.skip", lang), Callback("pskip", "name").data())]),
    )


async def name_typed(update: Update, ctx: Ctx, text: str) -> None:
    """Check and store the typed first name, then ask for the state."""
    user = await current_user(update, ctx)
    content, lang = ctx.services.content, user.language
    check = check_free_text(text, NAME_MAX)
    if check.text is None:
        skip = keyboard(
            [button(content.text("button.skip", lang), Callback("pskip", "name").data())]
        )
        key = f"pledge.name_{check.problem}"
        values = {"length": f"{check.length:,}", "max": str(NAME_MAX)}
        await show(update, ctx, content.text(key, lang, **values), skip)
        return
    if not await ctx.services.storage.set_pledge_name(user.user_id, check.text):
        await _no_pledge(update, ctx)
        return
    await ask_state(update, ctx)


async def ask_state(update: Update, ctx: Ctx) -> None:
    """Ask for the optional state: a grid of codes, or a typed name."""
    user = await current_user(update, ctx)
    content, lang = ctx.services.content, user.language
    await ctx.services.storage.set_step(user.user_id, STEP_STATE)
    codes = list(content.states)
    rows = [
        [
            button(code, Callback("pstate", code.lower()).data())
            for code in codes[i : i + STATES_PER_ROW]
        ]
        for i in range(0, len(codes), STATES_PER_ROW)
    ]
    rows.append([button(content.text("button.skip", lang), Callback("pskip", "state").data())])
    await show(update, ctx, content.text("pledge.ask_state", lang), keyboard(*rows))


async def state_typed(update: Update, ctx: Ctx, text: str) -> None:
    """Find the typed state; store it, or say it is unknown."""
    user = await current_user(update, ctx)
    content, lang = ctx.services.content, user.language
    state = find_state(text, content.states)
    if state is None:
        shown = escape(" ".join(text.split())[:40])
        skip = keyboard(
            [button(content.text("button.skip", lang), Callback("pskip", "state").data())]
        )
        await show(update, ctx, content.text("pledge.state_unknown", lang, text=shown), skip)
        return
    await state_chosen(update, ctx, state.code)


async def state_chosen(update: Update, ctx: Ctx, code: str) -> bool:
    """Store the chosen state and ask about updates; False for an unknown code."""
    content = ctx.services.content
    if code.upper() not in content.states:
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
    content, lang = ctx.services.content, user.language
    await ctx.services.storage.clear_step(user.user_id)
    if await ctx.services.storage.is_subscribed(user.user_id):
        await finish(update, ctx)
        return
    await show(
        update,
        ctx,
        content.text("pledge.ask_updates", lang),
        keyboard(
            [button(content.text("button.updates_yes", lang), Callback("pupd", "yes").data())],
            [button(content.text("button.updates_no", lang), Callback("pupd", "no").data())],
        ),
    )


async def updates_answer(update: Update, ctx: Ctx, answer: str) -> bool:
    """Record the answer about updates, then thank the user."""
    if answer not in ("yes", "no"):
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
    pledge = await ctx.services.storage.get_pledge(user.user_id)
    if pledge is None:
        await _no_pledge(update, ctx)
        return
    content, lang = ctx.services.content, user.language
    text = content.text(
        "pledge.done", lang, number=f"{pledge.number:,}", details=_details(content, pledge, lang)
    )
    await show(update, ctx, text, _pledged_keyboard(content, lang, ctx))


async def confirm_unpledge(update: Update, ctx: Ctx) -> None:
    """Ask before withdrawing the pledge."""
    user = await current_user(update, ctx)
    content, lang = ctx.services.content, user.language
    await ctx.services.storage.clear_step(user.user_id)
    if await ctx.services.storage.get_pledge(user.user_id) is None:
        await _no_pledge(update, ctx)
        return
    await show(
        update,
        ctx,
        content.text("pledge.unpledge_confirm", lang),
        keyboard(
            [button(content.text("button.unpledge_yes", lang), Callback("unply").data())],
            [button(content.text("button.keep_pledge", lang), Callback("pledge").data())],
        ),
    )


async def unpledge(update: Update, ctx: Ctx) -> None:
    """Withdraw the pledge with its name and state."""
    user = await current_user(update, ctx)
    content, lang = ctx.services.content, user.language
    if not await ctx.services.storage.withdraw_pledge(user.user_id):
        await _no_pledge(update, ctx)
        return
    await ctx.services.storage.count_event("unpledge", lang, user.source)
    await show(
        update,
        ctx,
        content.text("pledge.withdrawn", lang),
        keyboard([_menu_button(content, lang)]),
    )


async def _no_pledge(update: Update, ctx: Ctx) -> None:
    user = await current_user(update, ctx)
    content, lang = ctx.services.content, user.language
    await ctx.services.storage.clear_step(user.user_id)
    await show(
        update,
        ctx,
        content.text("pledge.none", lang),
        keyboard(
            [button(content.text("button.pledge", lang), Callback("pledge").data())],
            [_menu_button(content, lang)],
        ),
    )


def _pledged_keyboard(content: Content, lang: str, ctx: Ctx) -> InlineKeyboardMarkup:
    share = share_bot_url(content, lang, bot_link(ctx))
    return keyboard(
        [InlineKeyboardButton(content.text("button.share", lang), url=share)],
        [button(content.text("button.pledge_edit", lang), Callback("pedit").data())],
        [
            button(content.text("button.unpledge", lang), Callback("unpl").data()),
            _menu_button(content, lang),
        ],
    )


def _details(content: Content, pledge: Pledge, lang: str) -> str:
    state = content.states.get(pledge.state or "")
    return content.text(
        "pledge.details",
        lang,
        name=escape(pledge.first_name) if pledge.first_name else "—",
        state=escape(state.name.get(lang)) if state else "—",
    )


def _iso_day(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).date().isoformat()
