"""/start, the main menu, /help and /language."""

from __future__ import annotations

import re

from telegram import Update

from bot.telegram import keyboards
from bot.telegram.common import current_user, display_name, show
from bot.telegram.context import Ctx

# Telegram allows deep-link payloads of up to 64 characters from this alphabet.
SOURCE_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def source_code(args: list[str] | None) -> str | None:
    """The deep-link source code in ``/start PAYLOAD``, or None if absent or malformed."""
    if not args or len(args) != 1:
        return None
    return args[0] if SOURCE_CODE_RE.match(args[0]) else None


async def start(update: Update, ctx: Ctx) -> None:
    """Greet the user in their language and show the main menu; record the deep-link source."""
    source = source_code(ctx.args)
    tg_user = update.effective_user
    assert tg_user is not None
    storage = ctx.services.storage
    known = await storage.get_user(tg_user.id)
    user = await current_user(update, ctx, source)
    content = ctx.services.content
    lang = user.language
    await storage.count_event("start", lang, user.source)
    values = {"name": display_name(update), "campaign": content.campaign.name.get(lang)}
    greeting = content.text("start.welcome_back" if known else "start.greeting", lang, **values)
    await show(update, ctx, greeting, keyboards.main_menu(content, lang))


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


async def set_language(update: Update, ctx: Ctx, lang: str) -> None:
    """Store the chosen language and confirm in it, with the main menu."""
    user = await current_user(update, ctx)
    await ctx.services.storage.set_language(user.user_id, lang)
    content = ctx.services.content
    text = f"{content.text('language.set', lang)}\n\n{content.text('menu.title', lang)}"
    await show(update, ctx, text, keyboards.main_menu(content, lang))


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
