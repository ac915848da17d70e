"""Inline-button presses: one entry point that parses callback data and routes it.

Callback data is untrusted (any client can send any string, or an old message's data), so it is
parsed into a closed set of actions; anything unknown or stale gets a short notice and the menu.
"""

from __future__ import annotations

import logging

from telegram import Chat, Update
from telegram.error import TelegramError

from bot.callbacks import ORGANIZER_ACTIONS, parse
from bot.telegram import keyboards
from bot.telegram.common import current_user, leave_step, show
from bot.telegram.context import Ctx
from bot.telegram.handlers import (
    comment,
    facts,
    local,
    menu,
    organizer,
    pledge,
    privacy,
    updates,
)

log = logging.getLogger(__name__)

# Actions that answer a step awaiting typed input (or set it again themselves); any other
# press leaves the typed step, so the next text is read as a question. Keeping a checked
# story reads the step, which names the message showing the story.
STEP_ACTIONS = {"pskip", "pstate", "cskip", "ckeep"}


async def on_button(update: Update, ctx: Ctx) -> None:
    """Answer the button press and run its action."""
    query = update.callback_query
    if query is None:
        return
    # Answer first, always: it stops the client's spinner, and it can only be done once, so
    # nothing later (not even the error handler) tries again. If Telegram does not take it, the
    # spinner stops by itself: the screen the user asked for matters more.
    try:
        await query.answer()
    except TelegramError as exc:
        log.info("button press not acknowledged: %s", type(exc).__name__)
    chat = update.effective_chat
    if chat is not None and chat.type != Chat.PRIVATE:
        # The bot shows buttons only in private chats: a press in a group or channel is forged,
        # and acting on it would carry a supporter's journey into that chat.
        return
    callback = parse(query.data)
    if callback is not None and callback.action in ORGANIZER_ACTIONS:
        # Forged or copied organizer data from anyone else is treated like any unknown data.
        user_id = query.from_user.id if query.from_user else None
        if not ctx.services.config.is_organizer(user_id):
            callback = None
    handled = False
    if callback is not None:
        if callback.action not in STEP_ACTIONS and query.from_user is not None:
            await leave_step(ctx, query.from_user.id)
        handled = await _route(update, ctx, callback.action, callback.arg)
    if not handled:
        await _stale(update, ctx)


async def _route(update: Update, ctx: Ctx, action: str, arg: str | None) -> bool:
    match action, arg:
        case "menu", None:
            await menu.menu(update, ctx)
        case "topics", None:
            await facts.topics(update, ctx)
        case "topic", str(topic_id):
            return await facts.topic(update, ctx, topic_id)
        case "fact", str(fact_id):
            return await facts.fact(update, ctx, fact_id)
        case "lang", None:
            await menu.language_menu(update, ctx)
        case "setlang", ("en" | "es") as lang:
            await menu.set_language(update, ctx, lang)
        case "help", None:
            await menu.help_command(update, ctx)
        case "share", None:
            await menu.share(update, ctx)
        case "pledge", None:
            await pledge.pledge_screen(update, ctx)
        case "pyes", None:
            await pledge.take_pledge(update, ctx)
        case "pedit", None:
            await pledge.ask_name(update, ctx)
        case "pskip", str(what):
            return await pledge.skip(update, ctx, what)
        case "pstate", str(code):
            return await pledge.state_chosen(update, ctx, code)
        case "pupd", str(answer):
            return await pledge.updates_answer(update, ctx, answer)
        case "unpl", None:
            await pledge.confirm_unpledge(update, ctx)
        case "unply", None:
            await pledge.unpledge(update, ctx)
        case "updates", None:
            await updates.status(update, ctx)
        case "sub", None:
            await updates.subscribe(update, ctx)
        case "unsub", None:
            await updates.unsubscribe(update, ctx)
        case "privacy", None:
            await privacy.privacy(update, ctx)
        case "mydata", None:
            await privacy.my_data(update, ctx)
        case "forget", None:
            await privacy.confirm_forget(update, ctx)
        case "forgety", None:
            await privacy.forget(update, ctx)
        case "forgetn", None:
            await privacy.keep(update, ctx)
        case _:
            if action in ORGANIZER_ACTIONS:
                return await _route_organizer(update, ctx, action, arg)
            return await _route_comment(update, ctx, action, arg)
    return True


async def _route_organizer(update: Update, ctx: Ctx, action: str, arg: str | None) -> bool:
    match action, arg:
        case "obaud", str(choice):
            return await organizer.choose_audience(update, ctx, choice)
        case "obst", str(code):
            return await organizer.choose_state(update, ctx, code)
        case "obgo", str(previewed):
            return await organizer.send_now(update, ctx, previewed)
        case "obsch", str(previewed):
            return await organizer.ask_schedule(update, ctx, previewed)
        case "obx", str(broadcast_id):
            return await organizer.discard(update, ctx, broadcast_id)
        case "obstop", str(broadcast_id):
            return await organizer.stop(update, ctx, broadcast_id)
        case _:
            return False


async def _route_comment(update: Update, ctx: Ctx, action: str, arg: str | None) -> bool:
    match action, arg:
        case "cmt", None:
            await comment.entry(update, ctx)
        case "cnew", None:
            return await comment.start_after_finished(update, ctx)
        case "cgo", None:
            await comment.begin(update, ctx)
        case "crole", str(role_id):
            return await comment.choose_role(update, ctx, role_id)
        case "crsn", str(reason_id):
            return await comment.toggle_reason(update, ctx, reason_id)
        case "cnext", None:
            await comment.reasons_done(update, ctx)
        case "cskip", str(what):
            return await comment.skip(update, ctx, what)
        case "ckeep", None:
            return await comment.keep_story(update, ctx)
        case "cedit", str(part):
            return await comment.edit(update, ctx, part)
        case "cback", None:
            await comment.back(update, ctx)
        case "cword", None:
            await comment.another_wording(update, ctx)
        case "ccont", None:
            await comment.to_safety(update, ctx)
        case "csafe", None:
            await comment.to_send(update, ctx)
        case "cpost", None:
            await comment.printable(update, ctx)
        case "cout", str(result):
            return await comment.outcome(update, ctx, result)
        case "cleave", None:
            await comment.leave(update, ctx)
        case "cdel", None:
            await comment.discard(update, ctx)
        case "cnoloc", None:
            await comment.without_county(update, ctx)
        case "local", None:
            await local.ask_where(update, ctx)
        case "lst", str(code):
            return await local.state_chosen(update, ctx, code)
        case "lzc", str(choice):
            return await local.zip_county_chosen(update, ctx, choice)
        case "lletter", str(key):
            return await local.use_in_letter(update, ctx, key)
        case "llist", str(arg):
            return await local.show_list(update, ctx, arg)
        case _:
            return False
    return True


async def _stale(update: Update, ctx: Ctx) -> None:
    """A button the bot no longer knows (old, or forged): say so and show the menu."""
    user = await current_user(update, ctx)
    content, lang = ctx.services.content, user.language
    text = f"{content.text('error.stale_button', lang)}\n\n{content.text('menu.title', lang)}"
    await show(update, ctx, text, keyboards.main_menu(content, lang))
