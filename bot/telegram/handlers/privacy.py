"""/privacy, /mydata and /forget."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from telegram import Update

from bot.callbacks import Callback
from bot.telegram.common import button, current_user, guess_language, keyboard, show
from bot.telegram.context import Ctx

# Columns holding unix times, shown as dates in /mydata.
TIME_COLUMNS = {"first_seen", "last_seen", "pledged_at", "consent_at", "updated_at"}


async def privacy(update: Update, ctx: Ctx) -> None:
    """Explain in plain words what is stored, why, for how long, who sees it."""
    user = await current_user(update, ctx)
    content, lang = ctx.services.content, user.language
    await show(
        update,
        ctx,
        content.text("privacy.text", lang, days=str(ctx.services.config.draft_retention_days)),
        keyboard(
            [
                button(content.text("button.mydata", lang), Callback("mydata").data()),
                button(content.text("button.forget", lang), Callback("forget").data()),
            ],
            [button(content.text("button.menu", lang), Callback("menu").data())],
        ),
    )


async def my_data(update: Update, ctx: Ctx) -> None:
    """Show every row stored about the user, from every table."""
    user = await current_user(update, ctx)
    content, lang = ctx.services.content, user.language
    data = await ctx.services.storage.user_data(user.user_id)
    lines = [content.text("mydata.header", lang)]
    for table, rows in data.items():
        key = f"mydata.table.{table}"
        title = content.text(key, lang) if key in content.ui else table
        lines.append(f"\n<b>{escape(title)}</b> <i>({escape(table)})</i>")
        for row in rows:
            for column, value in row.items():
                lines.append(f"• {escape(column)}: {escape(_show_value(column, value))}")
    if not data:
        lines = [content.text("mydata.empty", lang)]
    await show(
        update,
        ctx,
        "\n".join(lines),
        keyboard(
            [button(content.text("button.forget", lang), Callback("forget").data())],
            [button(content.text("button.menu", lang), Callback("menu").data())],
        ),
    )


def _show_value(column: str, value: object) -> str:
    if value is None:
        return "—"
    if column in TIME_COLUMNS and isinstance(value, int):
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


async def confirm_forget(update: Update, ctx: Ctx) -> None:
    """Ask for confirmation before deleting everything."""
    user = await current_user(update, ctx)
    content, lang = ctx.services.content, user.language
    await ctx.services.storage.clear_step(user.user_id)
    await show(
        update,
        ctx,
        content.text("forget.confirm", lang),
        keyboard(
            [button(content.text("button.forget_yes", lang), Callback("forgety").data())],
            [button(content.text("button.cancel", lang), Callback("forgetn").data())],
        ),
    )


async def forget(update: Update, ctx: Ctx) -> None:
    """Delete every row about the user in every table, and say so.

    The user is not looked up first: that would create a row for someone already forgotten.
    """
    tg_user = update.effective_user
    if tg_user is None:
        return
    services = ctx.services
    stored = await services.storage.get_user(tg_user.id)
    lang = (
        stored.language
        if stored
        else guess_language(tg_user.language_code, services.config.default_language)
    )
    deleted = await services.storage.forget_user(tg_user.id)
    key = "forget.done" if deleted else "forget.nothing"
    await show(update, ctx, services.content.text(key, lang))


async def keep(update: Update, ctx: Ctx) -> None:
    """The user cancelled /forget."""
    user = await current_user(update, ctx)
    content, lang = ctx.services.content, user.language
    await show(
        update,
        ctx,
        content.text("forget.cancelled", lang),
        keyboard([button(content.text("button.menu", lang), Callback("menu").data())]),
    )
