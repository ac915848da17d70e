"""A plain :class:`~bot.screens.Screen`'s buttons as Telegram's inline keyboard: callback data,
a URL, or a ``CopyTextButton``. Showing a screen in a chat is ``common.render``."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.content import Content
from bot.screens import Button, Screen, text_of
from bot.telegram import markup as keys


def inline_button(content: Content, lang: str, button: Button) -> keys.Button:
    """One plain button as Telegram's inline button."""
    label = text_of(content, lang, button.label)
    if button.press is not None:
        return keys.button(label, button.press)
    if button.url is not None:
        return keys.url_button(label, button.url)
    assert button.copy is not None
    return keys.copy_button(label, button.copy)


def keyboard(content: Content, screen: Screen) -> keys.Keyboard | None:
    """The screen's buttons as an inline keyboard; None when it has none."""
    rows = [[inline_button(content, screen.lang, b) for b in row] for row in screen.rows if row]
    return keys.keyboard(*rows) if rows else None


def markup(content: Content, screen: Screen) -> InlineKeyboardMarkup | None:
    """The same keyboard as python-telegram-bot's object, for its send methods (reminders,
    broadcasts)."""
    return keys.as_markup(keyboard(content, screen))
