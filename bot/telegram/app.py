"""The composition root: builds the Application, its services and its handlers.

Handler order (first match wins within group 0):

1. private chats: the commands in ``COMMANDS`` (each first leaves any awaited typed answer)
2. button presses (one router that parses callback data)
3. any other command → "unknown command"
4. private text → a stop word unsubscribes; else the awaited answer (pledge name, state);
   else a question answered from the knowledge file
5. private stickers, photos and other non-text messages → "I only read text"
6. commands in groups → "let's talk in private"; other group and channel traffic is ignored
7. ``my_chat_member`` (the user blocked or unblocked the bot) → reachable or not

Edited messages are ignored: the answer to the original already stands.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
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
from bot.telegram.concurrency import PerUserUpdateProcessor
from bot.telegram.context import BotApp, Ctx, Services
from bot.telegram.handlers import (
    buttons,
    comment,
    facts,
    fallback,
    menu,
    pledge,
    privacy,
    text,
    updates,
)
from bot.telegram.jobs import schedule_jobs

log = logging.getLogger(__name__)

Handler = Callable[[Update, Ctx], Coroutine[Any, Any, None]]

# Commands shown in Telegram's menu, in this order; descriptions come from content.
PUBLIC_COMMANDS = (
    "start",
    "comment",
    "facts",
    "pledge",
    "stop",
    "privacy",
    "mydata",
    "forget",
    "language",
    "cancel",
    "help",
)

COMMANDS: dict[str, Handler] = {
    "start": menu.start,
    "facts": facts.topics,
    "comment": comment.entry,
    "pledge": pledge.pledge_screen,
    "unpledge": pledge.confirm_unpledge,
    "stop": updates.unsubscribe,
    "privacy": privacy.privacy,
    "mydata": privacy.my_data,
    "forget": privacy.confirm_forget,
    "language": menu.language_menu,
    "cancel": menu.cancel,
    "help": menu.help_command,
}


def build_application(
    config: Config,
    content: Content,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
    per_user_concurrency: bool = True,
) -> BotApp:
    """Build the bot. ``request`` replaces HTTP (tests and the terminal chat).

    ``per_user_concurrency=False`` processes every update one after another, as
    python-telegram-bot does by default (the benchmarks' baseline).
    """
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
        .concurrent_updates(PerUserUpdateProcessor() if per_user_concurrency else False)
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
    for name, callback in COMMANDS.items():
        app.add_handler(CommandHandler(name, _leaving_steps(callback), filters=private))
    app.add_handler(CallbackQueryHandler(buttons.on_button))
    app.add_handler(
        MessageHandler(private & filters.COMMAND, _leaving_steps(fallback.unknown_command))
    )
    app.add_handler(MessageHandler(private & filters.TEXT, text.on_text))
    app.add_handler(MessageHandler(private, fallback.unsupported_media))
    app.add_handler(
        MessageHandler(
            filters.ChatType.GROUPS & filters.COMMAND & ~filters.UpdateType.EDITED,
            fallback.group_command,
        )
    )
    app.add_handler(ChatMemberHandler(updates.membership_changed, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_error_handler(fallback.on_error)


def _leaving_steps(
    callback: Handler,
) -> Handler:
    """A command ends any typed answer the bot was waiting for, then runs."""

    async def run(update: Update, ctx: Ctx) -> None:
        if update.effective_user is not None:
            await ctx.services.storage.clear_step(update.effective_user.id)
        await callback(update, ctx)

    run.__doc__ = callback.__doc__
    return run


async def _post_init(app: Any) -> None:
    """Open the database, then tell Telegram the command menu in both languages."""
    services: Services = app.bot_data
    services.storage = await Storage.open(services.config.db_path)
    await set_commands(app)
    schedule_jobs(app)


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
