"""/start, the main menu, /help and /language."""

from __future__ import annotations

from telegram import Update

from bot.content import LANGS
from bot.deeplinks import bot_link, parse_start_payload
from bot.flows.menu import HELP, LANGUAGE, MAIN, SET_LANGUAGE, SHARE
from bot.telegram import keyboards
from bot.telegram.common import count, current_user, display_name, show
from bot.telegram.context import Ctx
from bot.telegram.handlers.buttons import Presses


async def start(update: Update, ctx: Ctx) -> None:
    """Greet the user in their language and show the main menu, or open the journey a deep
    link names (facts, one fact, the pledge, the comment guide); record the link's source."""
    payload = ctx.args[0] if ctx.args and len(ctx.args) == 1 else None
    link = parse_start_payload(payload, ctx.services.content.facts.keys())
    tg_user = update.effective_user
    assert tg_user is not None
    storage = ctx.services.storage
    known = await storage.get_user(tg_user.id)
    user = await current_user(update, ctx, link.source)
    content = ctx.services.content
    lang = user.language
    await count(ctx, "start", lang, user.source)
    values = {"name": display_name(update), "campaign": content.campaign.name.get(lang)}
    greeting = content.text("start.welcome_back" if known else "start.greeting", lang, **values)
    if link.journey is None:
        await show(update, ctx, greeting, keyboards.main_menu(content, lang))
        return
    if not known:  # a newcomer first learns what the bot is
        await show(update, ctx, greeting)
    await open_journey(update, ctx, link.journey, link.fact_id)


async def open_journey(update: Update, ctx: Ctx, journey: str, fact_id: str | None) -> None:
    from bot.telegram.handlers import comment, facts, local, pledge

    if journey == "fact" and fact_id is not None:
        await facts.fact(update, ctx, fact_id)
    elif journey == "pledge":
        await pledge.pledge_screen(update, ctx)
    elif journey == "comment":
        await comment.entry(update, ctx)
    elif journey == "facts":
        await facts.topics(update, ctx)
    elif journey == "local":
        await local.ask_where(update, ctx)
    else:
        await menu(update, ctx)


async def menu(update: Update, ctx: Ctx) -> None:
    """Show the main menu."""
    user = await current_user(update, ctx)
    content = ctx.services.content
    await show(
        update,
        ctx,
        content.text("menu.title", user.language),
        keyboards.main_menu(content, user.language),
    )


async def help_command(update: Update, ctx: Ctx) -> None:
    """Explain the commands."""
    user = await current_user(update, ctx)
    content = ctx.services.content
    text = content.text(
        "help.text", user.language, campaign=content.campaign.name.get(user.language)
    )
    await show(update, ctx, text, keyboards.back_to_menu(content, user.language))


async def language_menu(update: Update, ctx: Ctx) -> None:
    """Offer English and Spanish."""
    user = await current_user(update, ctx)
    content = ctx.services.content
    await show(
        update,
        ctx,
        content.text("language.choose", user.language),
        keyboards.languages(content, user.language),
    )


async def set_language(update: Update, ctx: Ctx, lang: str) -> bool:
    """Store the chosen language and confirm in it, with the main menu; stale for a language
    the bot does not speak."""
    if lang not in LANGS:
        return False
    user = await current_user(update, ctx)
    await ctx.services.storage.set_language(user.user_id, lang)
    content = ctx.services.content
    text = f"{content.text('language.set', lang)}\n\n{content.text('menu.title', lang)}"
    await show(update, ctx, text, keyboards.main_menu(content, lang))
    return True


async def cancel(update: Update, ctx: Ctx) -> None:
    """Leave whatever the user was doing (its typed step was cleared) and show the menu."""
    user = await current_user(update, ctx)
    content = ctx.services.content
    await show(
        update,
        ctx,
        content.text("cancel.done", user.language),
        keyboards.main_menu(content, user.language),
    )


async def share(update: Update, ctx: Ctx) -> None:
    """Ways to share: the bot itself, or a fact card in any chat."""
    user = await current_user(update, ctx)
    content = ctx.services.content
    await show(
        update,
        ctx,
        content.text("share.menu", user.language),
        keyboards.share(content, user.language, bot_link(ctx.bot.username)),
    )


PRESSES: Presses = (
    (MAIN, menu),
    (LANGUAGE, language_menu),
    (SET_LANGUAGE, set_language),
    (HELP, help_command),
    (SHARE, share),
)
