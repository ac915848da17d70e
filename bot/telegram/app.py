"""The composition root: builds the Application, its services and its handlers.

Handler order (first match wins within group 0):

1. private chats: /start (with an optional deep-link payload), /facts, /language, /help
2. button presses (one router that parses callback data)
3. any other command → "unknown command"
4. private text → answered from the knowledge file
5. private stickers, photos and other non-text messages → "I only read text"
6. commands in groups → "let's talk in private"; other group and channel traffic is ignored

Edited messages are ignored: the answer to the original already stands.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.config import Config
from bot.content import LANGS, Content
from bot.storage import Storage
from bot.telegram.context import BotApp, Ctx, Services
from bot.telegram.handlers import buttons, facts, fallback, menu

log = logging.getLogger(__name__)

# Commands shown in Telegram's menu, in this order; descriptions come from content.
PUBLIC_COMMANDS = ("start", "facts", "language", "help")


def build_application(
    config: Config,
    content: Content,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
) -> BotApp:
    """Build the bot. ``request`` replaces HTTP (tests and the terminal chat)."""
    context_types = ContextTypes(context=Ctx, bot_data=Services)
    builder = (
        ApplicationBuilder()
        .token(config.token.value)
        .base_url(config.base_url)
        .base_file_url(config.base_file_url)
        .context_types(context_types)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(updates_request or request)
    application: BotApp = builder.build()  # type: ignore[assignment]
    services = application.bot_data  # created empty from ContextTypes; storage opens in post_init
    services.config = config
    services.set_content(content)
    _add_handlers(application)
    return application


def _add_handlers(app: BotApp) -> None:
    private = filters.ChatType.PRIVATE & ~filters.UpdateType.EDITED
    app.add_handler(CommandHandler("start", menu.start, filters=private))
    app.add_handler(CommandHandler("facts", facts.topics, filters=private))
    app.add_handler(CommandHandler("language", menu.language_menu, filters=private))
    app.add_handler(CommandHandler("help", menu.help_command, filters=private))
    app.add_handler(CallbackQueryHandler(buttons.on_button))
    app.add_handler(MessageHandler(private & filters.COMMAND, fallback.unknown_command))
    app.add_handler(MessageHandler(private & filters.TEXT, facts.question))
    app.add_handler(MessageHandler(private, fallback.unsupported_media))
    app.add_handler(
        MessageHandler(
            filters.ChatType.GROUPS & filters.COMMAND & ~filters.UpdateType.EDITED,
            fallback.group_command,
        )
    )
    app.add_error_handler(fallback.on_error)


async def _post_init(app: Any) -> None:
    """Open the database, then tell Telegram the command menu in both languages."""
    services: Services = app.bot_data
    services.storage = await Storage.open(services.config.db_path)
    await set_commands(app)


async def set_commands(app: BotApp) -> None:
    content = app.bot_data.content
    for lang in LANGS:
        commands = [BotCommand(c, content.text(f"command.{c}", lang)) for c in PUBLIC_COMMANDS]
        await app.bot.set_my_commands(commands, language_code=lang)
    english = [BotCommand(c, content.text(f"command.{c}", "en")) for c in PUBLIC_COMMANDS]
    await app.bot.set_my_commands(english)


async def _post_shutdown(app: Any) -> None:
    services: Services = app.bot_data
    storage = getattr(services, "storage", None)
    if storage is not None:
        await storage.close()


async def start_in_process(app: BotApp) -> None:
    """Start the application without polling (tests, terminal chat): what run_polling does."""
    await app.initialize()
    await _post_init(app)
    await app.start()


async def stop_in_process(app: BotApp) -> None:
    if app.running:
        await app.stop()
    await app.shutdown()
    await _post_shutdown(app)


async def process(app: BotApp, update_json: dict[str, Any]) -> None:
    """Feed one update (Bot API JSON) through the application, as polling would."""
    update = Update.de_json(update_json, app.bot)
    await app.process_update(update)
