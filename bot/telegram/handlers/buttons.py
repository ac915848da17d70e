"""Inline-button presses: what every press gets before its feature's callback runs, and the
answer to a press no feature recognises.

Each feature lists its presses (``PRESSES``: an action of :mod:`bot.callbacks` and the callback
that answers it); the composition root registers them all as one ``CallbackQueryHandler``
(:func:`handler`), which finds a press's action by the data's ``<feature>:<action>`` prefix in a
table and checks the whole data against that action's anchored pattern — what one handler per
action would do, without trying forty patterns in turn. Data no action recognises goes to
:func:`stale`. Callback data is untrusted (any client can send any string, or an old
message's data), so:

1. every press is answered first (it stops the client's spinner, and only once);
2. a press in a group or channel is ignored: the bot shows buttons only in private chats;
3. an organizers-only feature's press from anyone else is refused exactly like unknown data;
4. a press ends the typed answer the bot was waiting for, unless its action keeps it
   (``keeps_step``: *Skip*, a state, *Keep it*);
5. a callback that returns False (an id content no longer has, a draft already sent…) and any
   data no pattern matches get "this button is no longer active" and the main menu.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from telegram import Chat, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler

from bot.callbacks import Action
from bot.telegram import keyboards
from bot.telegram.common import answer_press, current_user, leave_step, show
from bot.telegram.context import Ctx

log = logging.getLogger(__name__)

# A press's callback: (update, ctx) for an action without an argument, (update, ctx, argument)
# for one with; False means the press is stale.
PressCallback = Callable[..., Awaitable[bool | None]]
Presses = tuple[tuple[Action, PressCallback], ...]


def handler(presses: Iterable[tuple[Action, PressCallback]]) -> CallbackQueryHandler[Ctx, None]:
    """The one handler of every press: each of ``presses`` (an action and its callback)
    answered by the rules above, and any other data by :func:`stale`."""
    table: dict[str, tuple[Action, PressCallback]] = {}
    for action, callback in presses:
        if action.data_prefix in table:
            raise ValueError(f"two callbacks for {action.data_prefix}")
        table[action.data_prefix] = (action, callback)

    async def pressed(update: Update, ctx: Ctx) -> None:
        query = update.callback_query
        data = query.data if query is not None else None
        found = table.get(_data_prefix(data)) if isinstance(data, str) else None
        match = found[0].pattern.match(data) if found is not None and data else None
        if found is None or match is None:
            await stale(update, ctx)
            return
        action, callback = found
        if query is None or not await _acknowledge(update, ctx):
            return
        user_id = query.from_user.id if query.from_user else None
        if action.feature.organizers_only and not ctx.services.config.is_organizer(user_id):
            await _no_longer_active(update, ctx)  # forged or copied organizer data
            return
        if not action.keeps_step and user_id is not None:
            await leave_step(ctx, user_id)
        args: tuple[Any, ...] = (match.group("arg"),) if action.argument else ()
        if await callback(update, ctx, *args) is False:
            await _no_longer_active(update, ctx)

    return CallbackQueryHandler(pressed)


def _data_prefix(data: str) -> str:
    """``guide1:role`` of ``guide1:role:faith``: where an action's data starts."""
    feature, _, rest = data.partition(":")
    return f"{feature}:{rest.partition(':')[0]}"


async def stale(update: Update, ctx: Ctx) -> None:
    """A button the bot no longer knows (old, or forged): say so and show the menu."""
    if update.callback_query is not None and await _acknowledge(update, ctx):
        await _no_longer_active(update, ctx)


async def _acknowledge(update: Update, ctx: Ctx) -> bool:
    """Answer the press; False when it came from a group or channel (then it is ignored)."""
    query = update.callback_query
    assert query is not None
    # Answer first, always: it stops the client's spinner, and it can only be done once, so
    # nothing later (not even the error handler) tries again. If Telegram does not take it, the
    # spinner stops by itself: the screen the user asked for matters more.
    try:
        await answer_press(ctx.bot, query.id)
    except TelegramError as exc:
        log.info("button press not acknowledged: %s", type(exc).__name__)
    chat = update.effective_chat
    # The bot shows buttons only in private chats: a press in a group or channel is forged,
    # and acting on it would carry a supporter's journey into that chat.
    return chat is None or chat.type == Chat.PRIVATE


async def _no_longer_active(update: Update, ctx: Ctx) -> None:
    user = await current_user(update, ctx)
    content, lang = ctx.services.content, user.language
    text = f"{content.text('error.stale_button', lang)}\n\n{content.text('menu.title', lang)}"
    await show(update, ctx, text, keyboards.main_menu(content, lang))
