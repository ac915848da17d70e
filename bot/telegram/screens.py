"""A plain :class:`~bot.screens.Screen`'s buttons as Telegram's inline keyboard: callback data,
a URL, or a ``CopyTextButton``. Showing a screen in a chat is ``common.render``."""

from __future__ import annotations

from telegram import CopyTextButton, InlineKeyboardButton, InlineKeyboardMarkup

from bot.content import Content
from bot.screens import Button, Screen, text_of

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
