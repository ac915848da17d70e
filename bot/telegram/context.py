"""The services handlers reach through ``context``, and the typed context class itself."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from bot.config import Config
from bot.content import Content
from bot.search import KnowledgeIndex
from bot.storage import Storage


class Services:
    """Everything a handler needs; built by ``build_application``, opened in ``post_init``.

    Content and its search index are replaced together by :meth:`set_content`, so a handler
    always sees a consistent pair.
    """

    config: Config
    storage: Storage
    _content: tuple[Content, KnowledgeIndex]

    def set_content(self, content: Content) -> None:
        self._content = (content, KnowledgeIndex(content.facts.values()))

    @property
    def content(self) -> Content:
        return self._content[0]

    @property
    def index(self) -> KnowledgeIndex:
        return self._content[1]


class Ctx(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], Services]):
    """The callback context with typed access to the bot's services."""

    @property
    def services(self) -> Services:
        return self.bot_data


BotApp = Application[ExtBot[None], Ctx, dict[Any, Any], dict[Any, Any], Services, JobQueue[Ctx]]
