"""Process updates of different users concurrently, and each user's updates in order.

python-telegram-bot either processes every update one after another, or all concurrently with
no ordering. A supporter's updates must stay in order (a typed name after the button that asked
for it), while one slow user must not hold up everyone else: one lock per user gives both.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

DEFAULT_MAX_CONCURRENT = 256


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Concurrent across users, sequential per user (or per chat when there is no user)."""

    def __init__(self, max_concurrent_updates: int = DEFAULT_MAX_CONCURRENT) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}  # key -> updates holding or awaiting its lock

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _key(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._users[key] -= 1
            if self._users[key] == 0:
                del self._users[key]
                del self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


def _key(update: object) -> int:
    if isinstance(update, Update):
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
    return 0
