"""Process updates of different users concurrently, and each user's updates in order.

python-telegram-bot either processes every update one after another, or all concurrently with
no ordering. A supporter's updates must stay in order (a typed name after the button that asked
for it), while one slow user must not hold up everyone else.

Each user has at most one update running; what the same user sends meanwhile waits in that
user's own queue and is run, in order, by the update that is running, in its place. A user's
waiting updates therefore take none of the processor's places (``max_concurrent_updates``,
python-telegram-bot's semaphore): a user who sends hundreds of messages at once occupies one
place, never all of them.

An update that fails is handled as python-telegram-bot handles the first one's failure: its
error goes to the application's error handlers (:attr:`PerUserUpdateProcessor.on_error`, set
by :func:`bot.telegram.app.build_application`), which log it and tell the user.
"""

from __future__ import annotations

import collections
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

# Updates processed at once (python-telegram-bot's default too): as many as the connections of
# the pool the replies go out through (bot.telegram.app), so that no update waits for one.
DEFAULT_MAX_CONCURRENT = 256


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Concurrent across users, sequential per user (or per chat when there is no user)."""

    def __init__(self, max_concurrent_updates: int = DEFAULT_MAX_CONCURRENT) -> None:
        super().__init__(max_concurrent_updates)
        # key -> the updates waiting behind the user's running one; a key is present while one
        # of its updates runs.
        self._waiting: dict[int, collections.deque[tuple[object, Awaitable[Any]]]] = {}
        # What a waiting update's error goes to (``Application.process_error``); without it,
        # the error is logged.
        self.on_error: Callable[..., Awaitable[Any]] | None = None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _key(update)
        waiting = self._waiting.get(key)
        if waiting is not None:
            waiting.append((update, coroutine))  # run next by the user's running update
            return
        waiting = self._waiting[key] = collections.deque()
        try:
            await coroutine
        finally:
            try:
                while waiting:
                    later, later_coroutine = waiting.popleft()
                    try:
                        await later_coroutine
                    except Exception as exc:
                        await self._failed(later, exc)
            finally:
                del self._waiting[key]
                if waiting:  # cancelled, at shutdown
                    log.warning("%d updates of one user not processed: stopped", len(waiting))
                for _, never_run in waiting:
                    _close(never_run)

    async def _failed(self, update: object, error: Exception) -> None:
        if self.on_error is None:
            log.error("update %s failed", _update_id(update), exc_info=error)
            return
        try:
            await self.on_error(update=update, error=error)
        except Exception:  # the error handlers themselves failed: keep the user's next ones
            log.exception("update %s failed, and so did its error handling", _update_id(update))

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


def _update_id(update: object) -> int | None:
    return update.update_id if isinstance(update, Update) else None


def _close(awaitable: Awaitable[Any]) -> None:
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()
