"""Everything else: unknown commands, media, group chats, and the global error handler."""

from __future__ import annotations

import logging
from html import escape

from telegram import Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

from bot.storage import CannotWrite, StorageError
from bot.telegram.calls import OutcomeUnknown
from bot.telegram.common import current_user, guess_language
from bot.telegram.context import Ctx

log = logging.getLogger(__name__)


async def unknown_command(update: Update, ctx: Ctx) -> None:
    """Say the command is unknown and point to /help."""
    user = await current_user(update, ctx)
    await _reply(update, ctx.services.content.text("unknown.command", user.language))


async def unsupported_media(update: Update, ctx: Ctx) -> None:
    """Stickers, photos, voice notes…: the bot reads only text."""
    user = await current_user(update, ctx)
    await _reply(update, ctx.services.content.text("unsupported.media", user.language))


async def group_command(update: Update, ctx: Ctx) -> None:
    """In a group, never discuss anything: point to a private chat."""
    tg_user = update.effective_user
    lang = guess_language(
        tg_user.language_code if tg_user else None, ctx.services.config.default_language
    )
    link = escape(f"https://t.me/{ctx.bot.username}")
    await _reply(update, ctx.services.content.text("group.private_only", lang, link=link))


async def _reply(update: Update, text: str) -> None:
    message = update.effective_message
    if message is not None:
        await message.reply_text(text)


async def on_error(update: object, ctx: Ctx) -> None:
    """Log the error (never the message text) and tell the user, in their language.

    No apology follows a reply that may have arrived (its outcome is unknown: the apology could
    come before the answer), nor one Telegram's flood control kept out for half a minute (the
    apology would meet the same flood). Failed polls are logged by the polling watch, once per
    outage.
    """
    error = ctx.error
    if update is None and ctx.job is None and ctx.coroutine is None:
        # Only run_polling reports errors with no update, job or task behind them.
        log.debug("polling failed: %s", type(error).__name__)
        return
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, StorageError):
        log.error("storage error while handling update %s: %s", update_id, error)
    elif isinstance(error, OutcomeUnknown | RetryAfter):
        log.warning("update %s: reply %s", update_id, error)
        return  # already logged in detail by the call guard; see the docstring
    elif isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        log.warning("update %s not answered: %s", update_id, type(error).__name__)
    else:
        log.error(
            "error while handling update %s: %s",
            update_id,
            type(error).__name__,
            exc_info=error,
        )
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != "private":
        return
    services = ctx.services
    tg_user = update.effective_user
    lang = guess_language(
        tg_user.language_code if tg_user else None, services.config.default_language
    )
    try:
        stored = await services.storage.get_user(tg_user.id) if tg_user else None
        lang = stored.language if stored else lang
    except StorageError:
        pass  # the database is what failed: the Telegram language is the best guess left
    if isinstance(error, CannotWrite) and tg_user is not None:
        services.saving.failed()
        services.saving.tell(tg_user.id)  # error.storage says it: no second notice
    key = "error.storage" if isinstance(error, StorageError) else "error.generic"
    try:
        await ctx.bot.send_message(update.effective_chat.id, services.content.text(key, lang))
    except TelegramError as exc:
        log.warning("could not tell the user about the error: %s", type(exc).__name__)


async def tell_when_unsaved(update: Update, ctx: Ctx) -> None:
    """After every update while the database cannot be written (its handler runs only then):
    say so plainly, once per user (what still works, and that nothing can be saved)."""
    services = ctx.services
    chat, tg_user = update.effective_chat, update.effective_user
    if chat is None or tg_user is None or chat.type != "private":
        return
    if not services.saving.tell(tg_user.id):
        return
    seen = ctx.seen_user
    lang = (
        seen.language
        if seen is not None and seen.user_id == tg_user.id
        else guess_language(tg_user.language_code, services.config.default_language)
    )
    try:
        await ctx.bot.send_message(chat.id, services.content.text("saving.unavailable", lang))
    except TelegramError as exc:
        log.warning("could not tell the user saving is unavailable: %s", type(exc).__name__)
