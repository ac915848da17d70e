"""/privacy, /mydata and /forget."""

from __future__ import annotations

from telegram import Update

from bot.deliveries import standing
from bot.flows.menu import FORGET, FORGET_NO, FORGET_YES, MAIN, MY_DATA, POLICY, menu_button
from bot.mydata import Summary, render_my_data
from bot.render import format_date
from bot.screens import Button, Screen, say
from bot.telegram.common import current_user, guess_language, render, show
from bot.telegram.context import Ctx
from bot.telegram.handlers.buttons import Presses
from bot.telegram.markup import button, keyboard


async def privacy(update: Update, ctx: Ctx) -> None:
    """Explain in plain words what is stored, why, for how long, who sees it."""
    user = await current_user(update, ctx)
    content, lang = ctx.services.content, user.language
    await show(
        update,
        ctx,
        content.text(
            "privacy.text",
            lang,
            days=str(ctx.services.config.draft_retention_days),
            delivery_days=str(ctx.services.config.delivery_retention_days),
            letter_days=str(ctx.services.config.letter_retention_days),
        ),
        keyboard(
            [
                button(content.text("button.mydata", lang), MY_DATA.press()),
                button(content.text("button.forget", lang), FORGET.press()),
            ],
            [button(content.text("button.menu", lang), MAIN.press())],
        ),
    )


async def my_data(update: Update, ctx: Ctx) -> None:
    """Show everything stored about the user, most personal first, in as many messages as it
    takes."""
    user = await current_user(update, ctx)
    services = ctx.services
    content, lang = services.content, user.language
    data = await services.storage.user_data(user.user_id)
    count, last = await services.outbox.authored(user.user_id)
    texts = render_my_data(
        content,
        data,
        lang,
        authored=Summary(count, last),
        delivery_days=services.config.delivery_retention_days,
    )
    rows = ((Button(say("button.forget"), FORGET.press()),), (menu_button(),))
    await render(update, ctx, Screen(lang, tuple(texts), rows))


async def confirm_forget(update: Update, ctx: Ctx) -> None:
    """Ask for confirmation before deleting everything."""
    user = await current_user(update, ctx)
    content, lang = ctx.services.content, user.language
    await ctx.services.storage.clear_step(user.user_id)
    await show(
        update,
        ctx,
        content.text("forget.confirm", lang),
        keyboard(
            [button(content.text("button.forget_yes", lang), FORGET_YES.press())],
            [button(content.text("button.cancel", lang), FORGET_NO.press())],
        ),
    )


async def forget(update: Update, ctx: Ctx) -> None:
    """Delete every row about the user in every table, and say so.

    The user is not looked up first: that would create a row for someone already forgotten.
    """
    tg_user = update.effective_user
    if tg_user is None:
        return
    services = ctx.services
    stored = await services.storage.get_user(tg_user.id)
    lang = (
        stored.language
        if stored
        else guess_language(tg_user.language_code, services.config.default_language)
    )
    letter = await standing(services.storage, tg_user.id)
    deleted = await services.storage.forget_user(tg_user.id)
    key = "forget.done" if deleted else "forget.nothing"
    text = services.content.text(key, lang)
    if letter is not None:  # what became of the letter the campaign holds or delivered
        when = format_date(letter.delivered_on, lang) if letter.delivered_on else ""
        note = services.content.text(f"forget.letter_{letter.status}", lang, date=when)
        text = f"{text}\n\n{note}"
    await show(update, ctx, text)


async def keep(update: Update, ctx: Ctx) -> None:
    """The user cancelled /forget."""
    user = await current_user(update, ctx)
    content, lang = ctx.services.content, user.language
    await show(
        update,
        ctx,
        content.text("forget.cancelled", lang),
        keyboard([button(content.text("button.menu", lang), MAIN.press())]),
    )


PRESSES: Presses = (
    (POLICY, privacy),
    (MY_DATA, my_data),
    (FORGET, confirm_forget),
    (FORGET_YES, forget),
    (FORGET_NO, keep),
)
