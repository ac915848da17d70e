"""The bot's Application: python-telegram-bot's, with each update's writes in one transaction.

Every update — from polling, the webhook, the terminal chat or a test — is handled inside
:meth:`bot.storage.Storage.update_scope`: its writes join one transaction, committed before the
bot's next Bot API call (the call guard's hook) or when the update is done. An update that only
reads writes nothing at all.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import Application, ExtBot, JobQueue

from bot.storage import StorageError
from bot.telegram.context import Ctx, Services

log = logging.getLogger(__name__)


class BotApplication(
    Application[ExtBot[None], Ctx, dict[Any, Any], dict[Any, Any], Services, JobQueue[Ctx]]
):
    """Handles each update inside the storage's update scope (once the storage is open)."""

    async def process_update(self, update: object) -> None:
        storage = getattr(self.bot_data, "storage", None)
        if storage is None:  # not started: nothing to write to
            await super().process_update(update)
            return
        try:
            async with storage.update_scope():
                await super().process_update(update)
        except StorageError as exc:
            # Only what the update wrote after its last reply can fail here: the replies
            # themselves committed what came before them.
            update_id = update.update_id if isinstance(update, Update) else None
            log.error("update %s: its last changes were not saved: %s", update_id, exc)
