"""Reading the updates Telegram sends, polled or pushed to the webhook.

A button press arrives with the whole message the button is under: its keyboard (for the
bot's screens up to a dozen buttons, or sixty for a state picker), its formatting (a few bold,
italic and link spans) and its sender (the bot itself), which python-telegram-bot would turn into
objects one attribute at a time on every press. Of a pressed message the bot reads its id, its
chat, its text and its quotations (the story a comment's check shows), so :func:`lighten` leaves
the keyboard, the sender and every other kind of formatting out before the update is parsed.
Everything else is parsed as python-telegram-bot would.
"""

from __future__ import annotations

from typing import Any

from telegram import Bot, Update

JsonDict = dict[str, Any]


# The only formatting the bot reads in a pressed message: quotations (entity types).
QUOTATIONS = ("blockquote", "expandable_blockquote")
# What a pressed message is read without (its entities are filtered to the quotations).
LEFT_OUT = frozenset({"reply_markup", "from", "entities"})


def lighten(data: JsonDict) -> JsonDict:
    """The update without the keyboard, the sender and the formatting other than quotations
    of the message a pressed button is under; ``data`` itself is not changed."""
    query = data.get("callback_query")
    if not isinstance(query, dict):
        return data
    message = query.get("message")
    if not isinstance(message, dict) or LEFT_OUT.isdisjoint(message):
        return data
    lighter = {key: value for key, value in message.items() if key not in LEFT_OUT}
    entities = message.get("entities")
    kept = (
        [e for e in entities if isinstance(e, dict) and e.get("type") in QUOTATIONS]
        if isinstance(entities, list)
        else entities
    )
    if kept:
        lighter["entities"] = kept
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
