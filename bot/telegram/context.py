"""The services handlers reach through ``context``, and the typed context class itself."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Protocol

from telegram import Bot
from telegram.ext import Application, CallbackContext, ExtBot, JobQueue
from telegram.request import BaseRequest

from bot.answers import build_index
from bot.config import Config
from bot.content import Content, ContentError, load_content
from bot.render import check_rendered
from bot.search import KnowledgeIndex
from bot.storage import Storage, User

if TYPE_CHECKING:
    from bot.instance import InstanceLock
    from bot.outbox import Outbox
    from bot.telegram.budget import SendBudget
    from bot.telegram.calls import CallGuard


class BroadcastRunner(Protocol):
    """What the bot asks of the broadcasts runner (:class:`bot.telegram.broadcasting.Broadcasts`).

    The runner needs these services itself, so the services know it by what it does rather
    than by importing it.
    """

    finished: asyncio.Event  # set each time a broadcast ends (tests wait on it)

    def start(self, broadcast_id: int) -> None:
        """Run a confirmed broadcast as soon as the ones before it are done."""

    async def resume(self) -> None:
        """After a restart, go on with the broadcasts that were running."""

    async def start_due(self) -> int:
        """Start the scheduled broadcasts whose time has come; return how many."""

    async def stop(self) -> None:
        """Stop sending (at shutdown); what is pending stays pending."""


class SavingStatus:
    """Whether the database takes writes, and which users were told it does not (once each).

    Memory only: it describes this process's view of the database, and a restart looks again.
    """

    def __init__(self) -> None:
        self.unavailable = False
        self._told: set[int] = set()

    def failed(self) -> None:
        """A write was refused: saving is unavailable."""
        self.unavailable = True

    def works(self) -> None:
        """A write went through: saving works again, and a new outage is told anew."""
        if self.unavailable:
            self.unavailable = False
            self._told.clear()

    def tell(self, user_id: int) -> bool:
        """True once per user while saving is unavailable: then they are to be told."""
        if not self.unavailable or user_id in self._told:
            return False
        self._told.add(user_id)
        return True


class Services:
    """Everything a handler needs; built by ``build_application``, opened in ``post_init``.

    Content and its search index are replaced together by :meth:`set_content`, so a handler
    always sees a consistent pair.
    """

    config: Config
    storage: Storage
    outbox: Outbox
    broadcasts: BroadcastRunner
    sender_bot: Bot  # the broadcast sender's own Bot, with its own connection pool
    broadcast_request: BaseRequest | None = None  # its transport (None: its own HTTP pool)
    reload_on_sighup: bool = False
    calls: CallGuard | None = None  # the layer every Bot API call goes through (retries)
    budget: SendBudget  # Telegram's send limit, shared by replies and broadcasts
    instance: InstanceLock | None = None  # the lock on the database (outreach-bot run)
    saving: SavingStatus  # whether the database takes writes (set by build_application)
    profile_task: asyncio.Task[None] | None = None  # setting the menus and profile (post_init)
    _content: tuple[Content, KnowledgeIndex | None]

    def set_content(self, content: Content) -> None:
        self._content = (content, None)  # the index is built when first asked for

    @property
    def content(self) -> Content:
        return self._content[0]

    @property
    def index(self) -> KnowledgeIndex:
        """The search index of :attr:`content`, built at the first question (not at start-up:
        a /start or a button needs none)."""
        content, index = self._content
        if index is None:
            index = build_index(content)
            self._content = (content, index)
        return index

    def reload_content(self) -> tuple[bool, list[str]]:
        """Re-read and validate content; serve it only if valid. Returns (ok, problems).

        On success the problems are the warnings; on failure, every error — and the old
        content keeps serving.
        """
        try:
            content = load_content(
                self.config.content_dir,
                recipient_email=self.config.recipient_email,
                render_check=check_rendered,
            )
        except ContentError as exc:
            return False, [str(p) for p in exc.problems if p.severity == "error"]
        except OSError as exc:  # the directory vanished, permissions…
            return False, [f"{self.config.content_dir}: {exc.strerror or exc}"]
        self.set_content(content)
        return True, [str(w) for w in content.warnings]


class Ctx(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], Services]):
    """The callback context with typed access to the bot's services.

    A context lives for one update and one handler; ``seen_user`` holds the stored user once
    this update has recorded them (see ``common.current_user``).
    """

    seen_user: User | None = None

    @property
    def services(self) -> Services:
        return self.bot_data


BotApp = Application[ExtBot[None], Ctx, dict[Any, Any], dict[Any, Any], Services, JobQueue[Ctx]]
