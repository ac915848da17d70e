"""The composition root: builds the Application, its services and its handlers.

Handler order (first match wins within group 0):

1. private chats: the commands in ``COMMANDS`` (each first leaves any awaited typed answer)
2. button presses: each feature's presses in ``BUTTONS`` order, one handler per action with
   its anchored pattern (``bot/callbacks.py``); then any other press → "this button is no
   longer active" and the menu (``handlers/buttons.py`` says what every press gets first)
3. any other command → "unknown command"
4. private text → a stop word unsubscribes; else the awaited answer (pledge name, state);
   else a question answered from the knowledge file
5. private stickers, photos and other non-text messages → "I only read text"
6. commands in groups → "let's talk in private"; other group and channel traffic is ignored
7. ``my_chat_member`` (the user blocked or unblocked the bot) → reachable or not

After every update (group 1): when the database cannot be written, the user is told so, once.
Edited messages are ignored: the answer to the original already stands. Each update's writes are
one transaction (``bot.telegram.application``), committed before each Bot API call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any

from telegram import Bot, BotCommand, BotCommandScopeChat, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, TelegramError
from telegram.ext import (
    ApplicationBuilder,
    ApplicationHandlerStop,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.config import Config
from bot.content import LANGS, Content
from bot.outbox import Outbox
from bot.storage import Storage
from bot.telegram.application import BotApplication
from bot.telegram.broadcasting import Broadcasts
from bot.telegram.budget import SendBudget
from bot.telegram.calls import CallGuard, PollingWatch
from bot.telegram.common import leave_step
from bot.telegram.concurrency import PerUserUpdateProcessor
from bot.telegram.context import BotApp, Ctx, SavingStatus, Services
from bot.telegram.handlers import (
    buttons,
    comment,
    congress,
    facts,
    fallback,
    inline,
    letters,
    local,
    menu,
    organizer,
    pledge,
    privacy,
    text,
    updates,
)
from bot.telegram.handlers.buttons import Presses
from bot.telegram.http import telegram_request
from bot.telegram.incoming import read_update
from bot.telegram.jobs import schedule_jobs
from bot.telegram.sender import BroadcastSender, build_sender_bot

if TYPE_CHECKING:
    from bot.instance import InstanceLock

log = logging.getLogger(__name__)

Handler = Callable[[Update, Ctx], Coroutine[Any, Any, None]]

# Commands shown in Telegram's menu, in this order; descriptions come from content.
PUBLIC_COMMANDS = (
    "start",
    "comment",
    "local",
    "congress",
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

ORGANIZER_COMMANDS: dict[str, Handler] = {
    "broadcast": organizer.broadcast,
    "stats": organizer.stats,
    "export": organizer.export,
    "reload": organizer.reload,
    "link": organizer.link,
    "letters": letters.letters,
}

COMMANDS: dict[str, Handler] = {
    "start": menu.start,
    "facts": facts.topics,
    "comment": comment.entry,
    "local": local.ask_where,
    "congress": congress.ask_zip,
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

# The features whose buttons are registered, in this order. Their data never overlap (each
# feature's own prefix), so the order only decides which handler is tried first.
BUTTONS: tuple[Presses, ...] = (
    menu.PRESSES,
    facts.PRESSES,
    comment.PRESSES,
    pledge.PRESSES,
    local.PRESSES,
    congress.PRESSES,
    updates.PRESSES,
    privacy.PRESSES,
    organizer.PRESSES,
    letters.PRESSES,
)


def build_application(
    config: Config,
    content: Content,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
    per_user_concurrency: bool = True,
    broadcast_request: BaseRequest | None = None,
    reload_on_sighup: bool = False,
    guard_calls: bool = True,
    instance: InstanceLock | None = None,
) -> BotApp:
    """Build the bot.

    Its three transports are ``request`` (replies and every other call of the Application's
    bot), ``updates_request`` (``getUpdates``) and ``broadcast_request`` (the broadcast
    sender's own Bot, so broadcasts never queue in front of replies); each one not given is
    its own HTTP connection pool to Telegram. The terminal chat and the tests give in-memory
    ones.

    ``per_user_concurrency=False`` processes every update one after another, as
    python-telegram-bot does by default (the benchmarks' baseline). ``reload_on_sighup`` makes
    SIGHUP re-read the content (``outreach-bot reload``); ``instance``, the lock held on the
    database, then writes its pid file once SIGHUP does that. Every Bot API call goes through a
    :class:`~bot.telegram.calls.CallGuard`, which retries them (flood waits, 5xx) and takes
    each send's slot in the bot's send budget unless ``guard_calls`` is False
    (python-telegram-bot's default: the replies benchmark's baseline); either way it commits
    the update's writes before each call.
    """
    context_types = ContextTypes(context=Ctx, bot_data=Services)
    # Telegram's limit counts replies and broadcasts together: one budget for both.
    budget = SendBudget(config.send_limit)
    guard = CallGuard(retries=guard_calls, budget=budget if guard_calls else None)
    builder = (
        ApplicationBuilder()
        .application_class(BotApplication)
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
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
    )
    # python-telegram-bot's own defaults (256 connections for calls, one for polling, default
    # timeouts), with one TLS context for every pool.
    builder = builder.request(request or telegram_request(256))
    polling = updates_request or telegram_request(1)
    builder = builder.get_updates_request(PollingWatch(polling)).rate_limiter(guard)
    application: BotApp = builder.build()  # type: ignore[assignment]
    if isinstance(application.update_processor, PerUserUpdateProcessor):
        # A user's waiting updates fail as the first one does: to the error handlers.
        application.update_processor.on_error = application.process_error
    services = application.bot_data  # created empty from ContextTypes; storage opens in post_init
    services.config = config
    services.calls = guard
    services.budget = budget
    services.saving = SavingStatus()
    services.set_content(content)
    services.broadcast_request = broadcast_request
    services.reload_on_sighup = reload_on_sighup
    services.instance = instance
    _add_handlers(application, config)
    return application


def _add_handlers(app: BotApp, config: Config) -> None:
    private = filters.ChatType.PRIVATE & ~filters.UpdateType.EDITED
    organizers = filters.User(user_id=sorted(config.organizers))
    # An organizer's message that answers a broadcast step (the message to send, a source
    # code, a date) is consumed here, before anything else sees it.
    app.add_handler(
        MessageHandler(private & organizers & ~filters.COMMAND, _organizer_input), group=-1
    )
    # One handler per audience, not one per command: python-telegram-bot tries the handlers
    # of a group in turn, on every update.
    app.add_handler(CommandHandler(COMMANDS, _commands(COMMANDS), filters=private))
    app.add_handler(
        CommandHandler(
            ORGANIZER_COMMANDS, _commands(ORGANIZER_COMMANDS), filters=private & organizers
        )
    )
    app.add_handler(buttons.handler(press for presses in BUTTONS for press in presses))
    app.add_handler(InlineQueryHandler(inline.inline_query))
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
    app.add_handler(_WhileUnsaved(app.bot_data.saving, fallback.tell_when_unsaved), group=1)
    app.add_error_handler(fallback.on_error)


class _WhileUnsaved(TypeHandler[Update, Ctx, None]):
    """Every update, but only while the database cannot be written: otherwise
    python-telegram-bot finds nothing to run in the handler's group."""

    def __init__(
        self, saving: SavingStatus, callback: Callable[[Update, Ctx], Coroutine[Any, Any, None]]
    ) -> None:
        super().__init__(Update, callback)
        self._saving = saving

    def check_update(self, update: object) -> bool:
        return self._saving.unavailable and super().check_update(update)


async def _organizer_input(update: Update, ctx: Ctx) -> None:
    if await organizer.organizer_input(update, ctx) or await letters.day_typed(update, ctx):
        raise ApplicationHandlerStop


def _commands(table: Mapping[str, Handler]) -> Handler:
    """The handler of every command in ``table``: it runs the command's own, as
    :func:`_leaving_steps` makes it, found by the name the ``CommandHandler`` matched."""
    runs = {name.lower(): _leaving_steps(callback) for name, callback in table.items()}

    async def run(update: Update, ctx: Ctx) -> None:
        message = update.effective_message  # a command, as the CommandHandler matched it
        if message is None or not message.text or not message.entities:
            return
        name = message.text[1 : message.entities[0].length].split("@", 1)[0].lower()
        command = runs.get(name)
        if command is not None:
            await command(update, ctx)

    return run


def _leaving_steps(callback: Handler) -> Handler:
    """A command ends any typed answer the bot was waiting for, then runs."""

    async def run(update: Update, ctx: Ctx) -> None:
        if update.effective_user is not None:
            await leave_step(ctx, update.effective_user.id)
        await callback(update, ctx)

    run.__doc__ = callback.__doc__
    return run


async def _post_init(app: Any) -> None:
    """Open the database and the broadcast sender (whose getMe is made in the background), start
    setting the command menus and the profile in the background, start the jobs, and resume any
    broadcast a crash interrupted."""
    services: Services = app.bot_data
    config = services.config
    services.storage = await Storage.open(config.db_path)
    services.outbox = Outbox(services.storage)
    saving = services.saving
    services.storage.on_write(lambda ok: saving.works() if ok else saving.failed())
    if services.calls is not None:
        # What a reply tells the user is saved before the reply goes out.
        services.calls.before_each_call(services.storage.commit_pending)
    if not await services.storage.writable():
        services.saving.failed()
        log.warning(
            "the database %s cannot be written (read-only?): facts, questions, /privacy and "
            "the menu work; nothing users do can be saved until it can",
            config.db_path,
        )
    if services.broadcast_request is not None:
        sender_bot = Bot(
            config.token.value,
            base_url=config.base_url,
            base_file_url=config.base_file_url,
            request=services.broadcast_request,
        )
    else:
        sender_bot = build_sender_bot(config)
    sender = BroadcastSender(
        sender_bot, services.outbox, rate=config.broadcast_rate, budget=services.budget
    )
    # Its getMe, in the background: the first answer does not wait for a second round trip.
    # It is a start-up call like the Application's own: retried the same way.
    calls = services.calls
    sender.identify(None if calls is None else lambda: calls.call("getMe", sender_bot.initialize))
    if services.calls is not None:
        services.calls.on_flood(sender.hold)  # replies told to wait go before broadcasts
        services.calls.on_flood(services.budget.flooded)  # and the limit is lower than thought
    services.broadcasts = Broadcasts(app.bot, services, sender)
    services.sender_bot = sender_bot
    # Menus and profile texts are nice to have: set while the bot already answers.
    services.profile_task = asyncio.create_task(publish_profile(app), name="publish-profile")
    schedule_jobs(app)
    if not services.saving.unavailable:
        await services.broadcasts.resume()
    elif interrupted := await services.outbox.active():
        log.warning(
            "%d interrupted broadcast(s) go on only once the database can be written and "
            "the bot is restarted",
            len(interrupted),
        )
    if services.reload_on_sighup:
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, _reload_on_signal, app)
        if services.instance is not None:
            # Only now may `outreach-bot reload` signal: before, SIGHUP would stop the bot.
            services.instance.announce()


def _reload_on_signal(app: BotApp) -> None:
    ok, problems = app.bot_data.reload_content()
    if ok:
        log.info("content reloaded on SIGHUP (%d warning(s))", len(problems))
    else:
        log.error("content NOT reloaded on SIGHUP; the old content keeps serving:")
        for problem in problems:
            log.error("  %s", problem)


# Seconds before setting the menus and the profile again after Telegram could not be reached
# (the call guard's own retries came first); then the bot gives up until its next start.
PROFILE_RETRY_DELAYS = (30.0, 300.0, 1800.0)


async def publish_profile(
    app: BotApp, retry_delays: tuple[float, ...] = PROFILE_RETRY_DELAYS
) -> None:
    """Set the command menus and the profile texts, in the background of a bot that already
    answers: a call that fails for want of a network is tried again after each of
    ``retry_delays``; a refusal (an organizer who never opened the bot) is not. Never raises:
    a failure is a warning, the bot serves users either way."""
    for delay in (*retry_delays, None):
        try:
            commands_set = await set_commands(app)
            profile_set = await set_profile(app)
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug here must not end the task silently, nor the bot
            log.exception("command menus and profile not set")
            return
        if commands_set and profile_set:
            return
        if delay is None:
            log.warning("command menus or profile still not set: trying again at the next start")
            return
        await asyncio.sleep(delay)


async def _stop_publishing(app: BotApp) -> None:
    task = getattr(app.bot_data, "profile_task", None)
    if task is not None and not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _transient(exc: TelegramError) -> bool:
    """Whether trying again later may help: not when Telegram refused the call itself."""
    return not isinstance(exc, BadRequest | Forbidden | InvalidToken)


async def set_profile(app: BotApp) -> bool:
    """The bot's description and short description, in both languages, from content. False
    when Telegram could not be reached (worth trying again later)."""
    campaign = app.bot_data.content.campaign
    try:
        for lang in (*LANGS, None):
            text_lang = lang or "en"
            await app.bot.set_my_description(
                campaign.description.get(text_lang), language_code=lang
            )
            await app.bot.set_my_short_description(
                campaign.short_description.get(text_lang), language_code=lang
            )
    except TelegramError as exc:  # the profile is nice to have; serving users is not optional
        log.warning("bot description not set: %s", type(exc).__name__)
        return not _transient(exc)
    return True


async def set_commands(app: BotApp) -> bool:
    """The command menu in both languages; organizers also see their own commands. A menu
    Telegram does not take (after the usual retries) is a warning, not a reason to stop.
    False when Telegram could not be reached (worth trying again later)."""
    content = app.bot_data.content
    done = True

    def menu(names: tuple[str, ...], lang: str) -> list[BotCommand]:
        return [BotCommand(c, content.text(f"command.{c}", lang)) for c in names]

    try:
        for lang in LANGS:
            await app.bot.set_my_commands(menu(PUBLIC_COMMANDS, lang), language_code=lang)
        await app.bot.set_my_commands(menu(PUBLIC_COMMANDS, "en"))
    except TelegramError as exc:  # the menu is nice to have; serving users is not optional
        log.warning("command menu not set: %s", type(exc).__name__)
        done = not _transient(exc)
    everything = PUBLIC_COMMANDS + tuple(ORGANIZER_COMMANDS)
    for organizer_id in sorted(app.bot_data.config.organizers):
        scope = BotCommandScopeChat(organizer_id)
        try:
            for lang in LANGS:
                await app.bot.set_my_commands(
                    menu(everything, lang), scope=scope, language_code=lang
                )
            await app.bot.set_my_commands(menu(everything, "en"), scope=scope)
        except TelegramError as exc:  # e.g. an organizer who never opened the bot
            log.warning("organizer command menu not set: %s", type(exc).__name__)
            done = done and not _transient(exc)
    return done


async def _post_stop(app: Any) -> None:
    """Polling has stopped: stop setting menus before the Bot API's connections close."""
    await _stop_publishing(app)


async def _post_shutdown(app: Any) -> None:
    services: Services = app.bot_data
    await _stop_publishing(app)
    broadcasts = getattr(services, "broadcasts", None)
    if broadcasts is not None:
        await broadcasts.stop()
    sender_bot = getattr(services, "sender_bot", None)
    if sender_bot is not None:
        await sender_bot.shutdown()
    storage = getattr(services, "storage", None)
    if storage is not None:
        await storage.close()


async def start_in_process(app: BotApp) -> None:
    """Start the application without polling (tests, terminal chat): what run_polling does,
    except that the command menus and the profile are set before it returns."""
    await app.initialize()
    await _post_init(app)
    await app.start()
    task = app.bot_data.profile_task
    if task is not None:
        await task


async def stop_in_process(app: BotApp) -> None:
    if app.running:
        await app.stop()
    await app.shutdown()
    await _post_shutdown(app)


async def process(app: BotApp, update_json: dict[str, Any]) -> None:
    """Feed one update (Bot API JSON) through the application, as polling would."""
    update = read_update(update_json, app.bot)
    await app.process_update(update)
