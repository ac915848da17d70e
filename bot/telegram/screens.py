"""Rendering a plain :class:`~bot.screens.Screen` to Telegram: its texts looked up in content,
its buttons made inline buttons (callback data, a URL, or a ``CopyTextButton``)."""

from __future__ import annotations

from telegram import CopyTextButton, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.content import Content
from bot.screens import Button, Screen, messages, text_of
from bot.telegram.common import show
from bot.telegram.context import Ctx

COPY_TEXT_MAX = 256  # Telegram's limit for the text of a CopyTextButton


def inline_button(content: Content, lang: str, button: Button) -> InlineKeyboardButton:
    """One plain button as Telegram's inline button."""
    label = text_of(content, lang, button.label)
    if button.press is not None:
        return InlineKeyboardButton(label, callback_data=button.press.data())
    if button.url is not None:
        return InlineKeyboardButton(label, url=button.url)
    assert button.copy is not None
    return InlineKeyboardButton(label, copy_text=CopyTextButton(button.copy[:COPY_TEXT_MAX]))


def markup(content: Content, screen: Screen) -> InlineKeyboardMarkup | None:
    """The screen's buttons as an inline keyboard; None when it has none."""
    rows = [[inline_button(content, screen.lang, b) for b in row] for row in screen.rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


async def render(update: Update, ctx: Ctx, screen: Screen) -> Message | None:
    """Show ``screen`` in the update's chat: the first message replaces the pressed one (unless
    the screen is ``fresh``), the others follow, and the buttons go under the last. Returns the
    first message, when Telegram returned it."""
    content = ctx.services.content
    texts = messages(content, screen)
    keys = markup(content, screen)
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
    return await message.reply_text(text, reply_markup=markup(content, screen))
