"""Inline keyboards as the Bot API's own JSON: what the bot's replies carry.

A reply's keyboard is built for one message and sent at once, so it is built directly as the
dictionaries Telegram reads (``{"inline_keyboard": [[{"text": …, "callback_data": …}]]}``)
rather than as python-telegram-bot objects that are serialized back into them on every send.
The types say which fields a button may have; Telegram's rules (callback data of at most 64
bytes, http(s) or tg:// links) are kept where the data is made (:mod:`bot.callbacks`,
the content checks).
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

from telegram import InlineKeyboardMarkup

from bot.callbacks import Press

COPY_TEXT_MAX = 256  # Telegram's limit for the text of a CopyTextButton


class CopyText(TypedDict):
    """A ``CopyTextButton``: the text a press copies to the clipboard."""

    text: str


class Button(TypedDict):
    """An ``InlineKeyboardButton``: its label and exactly one of what it does."""

    text: str
    callback_data: NotRequired[str]
    url: NotRequired[str]
    copy_text: NotRequired[CopyText]
    switch_inline_query: NotRequired[str]


class Keyboard(TypedDict):
    """An ``InlineKeyboardMarkup``: rows of buttons."""

    inline_keyboard: list[list[Button]]


def button(text: str, press: Press) -> Button:
    """A button that sends ``press``'s callback data."""
    return {"text": text, "callback_data": press.data()}


def url_button(text: str, url: str) -> Button:
    """A button that opens ``url``."""
    return {"text": text, "url": url}


def copy_button(text: str, copied: str) -> Button:
    """A button that copies ``copied`` (cut to Telegram's limit) to the clipboard."""
    return {"text": text, "copy_text": {"text": copied[:COPY_TEXT_MAX]}}


def inline_query_button(text: str, query: str = "") -> Button:
    """A button that lets the user pick a chat and starts the bot's inline mode there."""
    return {"text": text, "switch_inline_query": query}


def keyboard(*rows: list[Button]) -> Keyboard:
    """The rows that have buttons, as one keyboard."""
    return {"inline_keyboard": [row for row in rows if row]}


def as_markup(keys: Keyboard | None) -> InlineKeyboardMarkup | None:
    """The same keyboard as python-telegram-bot's object, for its own send methods."""
    if keys is None:
        return None
    return InlineKeyboardMarkup.de_json(dict(keys), None)
