"""Small helpers every handler uses: who is speaking, in which language, and how to answer
(a text with :func:`show`, a plain screen with :func:`render`)."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from html import escape
from typing import Any

from telegram import Message, Update
from telegram.error import BadRequest
from telegram.ext import Defaults, ExtBot

from bot.render import fit_message
from bot.screens import Screen, messages
from bot.storage import CannotWrite, User
from bot.telegram import screens
from bot.telegram.context import Ctx
from bot.telegram.markup import Keyboard

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


@dataclass(frozen=True, slots=True)
class Shown:
    """A message the bot sent or edited: where it is, for a later edit."""

    chat_id: int
    message_id: int


async def send_text(
    bot: ExtBot[Any], chat_id: int, text: str, keys: Keyboard | None = None
) -> Shown | None:
    """Send ``text`` to ``chat_id``, with an inline keyboard: ``bot.send_message`` without
    reading Telegram's answer into a ``Message`` (see :func:`_message_call`)."""
    params: dict[str, object] = {"chat_id": chat_id, "text": text, "reply_markup": keys}
    return await _message_call(bot, "sendMessage", chat_id, params)


async def edit_text(
    bot: ExtBot[Any], message: Message, text: str, keys: Keyboard | None = None
) -> Shown | None:
    """Replace the text and the keyboard (none if ``keys`` is None) of the bot's ``message``:
    ``message.edit_text`` without reading Telegram's answer (see :func:`_message_call`)."""
    params: dict[str, object] = {
        "chat_id": message.chat_id,
        "message_id": message.message_id,
        "text": text,
        "reply_markup": keys,
        "business_connection_id": message.business_connection_id,
    }
    return await _message_call(bot, "editMessageText", message.chat_id, params)


async def answer_press(bot: ExtBot[Any], query_id: str) -> None:
    """Answer a button press with nothing to show (it stops the client's spinner):
    ``CallbackQuery.answer()``, made as :func:`_message_call` makes its calls."""
    await _post(bot, "answerCallbackQuery", {"callback_query_id": query_id})


async def _message_call(
    bot: ExtBot[Any], method: str, chat_id: int, params: dict[str, object]
) -> Shown | None:
    """Make ``method`` with the application's defaults (HTML, no link previews), as
    python-telegram-bot's own methods apply them; Telegram's answer is read as JSON for the
    message id, and nothing more.

    python-telegram-bot's ``send_message`` and ``edit_message_text`` would turn every answer
    into a ``Message`` with its keyboard, which nobody reads; that parse was the largest part
    of a reply's cost. ``Bot.do_api_request`` gives the raw answer but warns for each method
    python-telegram-bot has its own name for, so this goes through :func:`_post`.
    """
    if bot.defaults is not None:
        params.update(_message_defaults(bot.defaults))
    result = await _post(bot, method, params)
    message_id = result.get("message_id") if isinstance(result, dict) else None
    return Shown(chat_id, message_id) if isinstance(message_id, int) else None


async def _post(bot: ExtBot[Any], method: str, params: dict[str, object]) -> object:
    """Make the Bot API call ``method`` with ``params`` as they are (plain JSON values, the
    application's defaults already in) and return Telegram's answer's ``result``.

    This is python-telegram-bot's ``Bot._post`` without its search for default values to fill
    in (its ``_insert_defaults``, which looks at every parameter of every call): ``_do_post``,
    which every send method goes through, has the same rate limiter (the bot's ``CallGuard``:
    retries, flood waits, the send budget), the same transport and the same errors
    (``BadRequest``, ``RetryAfter``, ``Forbidden``…). None values are left out, as
    python-telegram-bot leaves them out.
    """
    data = {key: value for key, value in params.items() if value is not None}
    return await bot._do_post(method, data)


@functools.lru_cache(maxsize=8)
def _message_defaults(defaults: Defaults) -> dict[str, object]:
    """The application's defaults of a message call as Telegram reads them, worked out once
    (python-telegram-bot would merge and serialize its ``LinkPreviewOptions`` at every call).
    Shared by every call: read, never changed."""
    previews = defaults.link_preview_options
    return {
        "parse_mode": defaults.parse_mode,
        "link_preview_options": previews.to_dict() if previews is not None else None,
        "disable_notification": defaults.disable_notification,
        "protect_content": defaults.protect_content,
    }


async def show(update: Update, ctx: Ctx, text: str, keys: Keyboard | None = None) -> Shown | None:
    """Answer with ``text``: edit the pressed message in place, or send a new message.

    Parse mode (HTML) and disabled link previews come from the application's defaults.
    """
    text = fit_message(text)
    query = update.callback_query
    # Only a text message can be edited into another text: a press on a photo, a document or
    # a message Telegram reports as inaccessible (deleted) gets a new message instead.
    if query is not None and isinstance(query.message, Message) and query.message.text:
        try:
            return await edit_text(ctx.bot, query.message, text, keys)
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return None  # a double tap: the screen already shows this
            log.info("could not edit message, sending a new one: %s", exc.message)
    chat = update.effective_chat
    if chat is None:
        return None
    return await send_text(ctx.bot, chat.id, text, keys)


async def render(update: Update, ctx: Ctx, screen: Screen) -> Shown | None:
    """Show ``screen`` in the update's chat: the first message replaces the pressed one (unless
    the screen is ``fresh``), the others follow, and the buttons go under the last. Returns the
    first message, when Telegram returned it."""
    content = ctx.services.content
    texts = messages(content, screen)
    keys = screens.keyboard(content, screen)
    chat = update.effective_chat
    first: Shown | None = None
    for index, text in enumerate(texts):
        under = keys if index == len(texts) - 1 else None
        if index == 0 and not screen.fresh:
            first = await show(update, ctx, text, under)
        elif chat is not None:
            sent = await send_text(ctx.bot, chat.id, text, under)
            first = sent if index == 0 else first
    return first


async def reply(update: Update, ctx: Ctx, screen: Screen) -> Shown | None:
    """Answer a typed message with ``screen`` (one message), as a reply to it."""
    message = update.effective_message
    if message is None:
        return None
    content = ctx.services.content
    (text,) = messages(content, screen)
    sent = await message.reply_text(text, reply_markup=screens.markup(content, screen))
    return Shown(sent.chat_id, sent.message_id)
