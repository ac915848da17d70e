"""Reading the updates Telegram sends, polled or pushed to the webhook.

A button press arrives with the whole message the button is under, keyboard included: for the
bot's screens that is up to a dozen buttons, which python-telegram-bot would turn into objects
one attribute at a time on every press. The bot never reads a pressed message's keyboard (it
reads the message's id, its text and its formatting), so :func:`lighten` leaves the keyboard out
before the update is parsed. Everything else is parsed as python-telegram-bot would.
"""

from __future__ import annotations

from typing import Any

from telegram import Bot, Update

JsonDict = dict[str, Any]


def lighten(data: JsonDict) -> JsonDict:
    """The update without the keyboard of the message a pressed button is under; ``data``
    itself is not changed."""
    query = data.get("callback_query")
    if not isinstance(query, dict):
        return data
    message = query.get("message")
    if not isinstance(message, dict) or "reply_markup" not in message:
        return data
    lighter = {key: value for key, value in message.items() if key != "reply_markup"}
    return {**data, "callback_query": {**query, "message": lighter}}


def read_update(data: JsonDict, bot: Bot | None) -> Update:
    """Parse one update (Bot API JSON) as the bot reads it."""
    return Update.de_json(lighten(data), bot)


def lighten_updates(payload: JsonDict) -> JsonDict:
    """A ``getUpdates`` answer with every update lightened (any other answer unchanged)."""
    result = payload.get("result")
    if payload.get("ok") is not True or not isinstance(result, list):
        return payload
    return {
        **payload,
        "result": [lighten(item) if isinstance(item, dict) else item for item in result],
    }
