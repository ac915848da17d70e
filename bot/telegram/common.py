"""Small helpers every handler uses: who is speaking, in which language, and how to answer
(a text with :func:`show`, a plain screen with :func:`render`)."""

from __future__ import annotations

import logging
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from bot.callbacks import Press
from bot.render import fit_message
from bot.screens import Screen, messages
from bot.storage import CannotWrite, User
from bot.telegram import screens
from bot.telegram.context import Ctx

log = logging.getLogger(__name__)


def guess_language(language_code: str | None, default: str) -> str:
    """Telegram's ``language_code``: ``es*`` → Spanish, ``en*`` → English, else the default."""
    code = (language_code or "").lower()
    if code.startswith("es"):
        return "es"
    if code.startswith("en"):
        return "en"
    return default


async def current_user(update: Update, ctx: Ctx, source: str | None = None) -> User:
    """The stored user behind this update, created on first contact.

    Looked up once per update (the handlers of one step call this from several helpers); a
    known user comes from memory and costs no write (``last_seen`` is batched). When the
    database cannot be written, a new user is taken from Telegram's data and the update goes
    on: reading facts needs no write.
    """
    tg_user = update.effective_user
    assert tg_user is not None
    cached = ctx.seen_user
    if cached is not None and cached.user_id == tg_user.id:
        return cached
    services = ctx.services
    language = guess_language(tg_user.language_code, services.config.default_language)
    storage = services.storage
    try:
        user, _ = await storage.touch_user(tg_user.id, language, source)
    except CannotWrite:
        services.saving.failed()
        now = storage.now()
        user = await storage.get_user(tg_user.id) or User(
            tg_user.id, language, False, source, first_seen=now, last_seen=now
        )
    ctx.seen_user = user
    return user


async def count(ctx: Ctx, event: str, lang: str, source: str | None) -> None:
    """Count an event for the organizers' statistics (no user id): with the update's other
    writes, or batched in memory if it has none. When the database cannot be written the count
    is lost, and the answer still goes out."""
    try:
        await ctx.services.storage.count_event(event, lang, source)
    except CannotWrite:
        ctx.services.saving.failed()


async def leave_step(ctx: Ctx, user_id: int) -> None:
    """Stop waiting for a typed answer. When the database cannot be written the step stays,
    and what the user asked for is still shown."""
    try:
        await ctx.services.storage.clear_step(user_id)
    except CannotWrite:
        ctx.services.saving.failed()


def display_name(update: Update) -> str:
    """The user's first name, HTML-escaped, for greetings (never stored)."""
    user = update.effective_user
    name = (user.first_name if user else "") or ""
    name = " ".join(name.split())[:64]
    return escape(name) if name else "👋"


def button(text: str, press: Press) -> InlineKeyboardButton:
    """A button that sends ``press``'s callback data."""
    return InlineKeyboardButton(text, callback_data=press.data())


def keyboard(*rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([row for row in rows if row])


async def show(
    update: Update, ctx: Ctx, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Answer with ``text``: edit the pressed message in place, or send a new message.

    Parse mode (HTML) and disabled link previews come from the application's defaults.
    """
    text = fit_message(text)
    query = update.callback_query
    # Only a text message can be edited into another text: a press on a photo, a document or
    # a message Telegram reports as inaccessible (deleted) gets a new message instead.
    if query is not None and isinstance(query.message, Message) and query.message.text:
        try:
            edited = await query.message.edit_text(text, reply_markup=markup)
            return edited if isinstance(edited, Message) else None
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return None  # a double tap: the screen already shows this
            log.info("could not edit message, sending a new one: %s", exc.message)
    chat = update.effective_chat
    if chat is None:
        return None
    return await ctx.bot.send_message(chat.id, text, reply_markup=markup)


async def render(update: Update, ctx: Ctx, screen: Screen) -> Message | None:
    """Show ``screen`` in the update's chat: the first message replaces the pressed one (unless
    the screen is ``fresh``), the others follow, and the buttons go under the last. Returns the
    first message, when Telegram returned it."""
    content = ctx.services.content
    texts = messages(content, screen)
    keys = screens.markup(content, screen)
    chat = update.effective_chat
    first: Message | None = None
    for index, text in enumerate(texts):
        under = keys if index == len(texts) - 1 else None
        if index == 0 and not screen.fresh:
            first = await show(update, ctx, text, under)
        elif chat is not None:
            sent = await ctx.bot.send_message(chat.id, text, reply_markup=under)
            first = sent if index == 0 else first
    return first


async def reply(update: Update, ctx: Ctx, screen: Screen) -> Message | None:
    """Answer a typed message with ``screen`` (one message), as a reply to it."""
    message = update.effective_message
    if message is None:
        return None
    content = ctx.services.content
    (text,) = messages(content, screen)
    return await message.reply_text(text, reply_markup=screens.markup(content, screen))
