"""Who represents me: a ZIP code's members of Congress, a call script, a letter, outcomes.

The ZIP code is used for the answer and travels in the buttons' data; it is never stored.
Outcomes (*I called*, *I wrote*, *No answer*) are counted per member and chamber, per day, with
no user id. The Congress data is read in full at the first lookup, off the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import UTC, date, datetime

from telegram import Update

from bot import placenames
from bot.congress import (
    CongressData,
    CongressFileError,
    Contact,
    Representation,
    representatives_for_zip,
)
from bot.flows import congress
from bot.flows.guide import choices
from bot.storage import CannotWrite
from bot.telegram.common import count, current_user, render
from bot.telegram.context import Ctx
from bot.telegram.handlers.buttons import Presses

log = logging.getLogger(__name__)


def _today(ctx: Ctx) -> date:
    return datetime.fromtimestamp(ctx.services.storage.now(), UTC).date()


async def _data(ctx: Ctx) -> CongressData | None:
    """The Congress data; read at the first lookup in a thread (a few hundred milliseconds),
    None (and logged) when its files cannot be read."""
    files = ctx.services.content.congress
    try:
        return files.load() if files.loaded else await asyncio.to_thread(files.load)
    except CongressFileError as exc:
        log.error("Congress data unavailable: %s", exc)
        return None


async def _lookup(update: Update, ctx: Ctx, zip_code: str) -> Representation | None:
    """The ZIP code's members, or None after showing why there are none to show."""
    user = await current_user(update, ctx)
    lang = user.language
    data = await _data(ctx)
    if data is None:
        await render(update, ctx, congress.unavailable(lang))
        return None
    places = ctx.services.content.places.places_for_zip
    rep = representatives_for_zip(data, zip_code, _today(ctx), places=places)
    if rep is None or not rep.found:
        await ctx.services.storage.set_step(user.user_id, congress.STEP_ZIP)
        await render(update, ctx, congress.unknown_zip(lang, zip_code))
        return None
    return rep


async def ask_zip(update: Update, ctx: Ctx) -> None:
    """Ask for a ZIP code (the menu, /congress, a deep link)."""
    user = await current_user(update, ctx)
    await ctx.services.storage.set_step(user.user_id, congress.STEP_ZIP)
    await render(update, ctx, congress.ask(user.language))


async def zip_typed(update: Update, ctx: Ctx, text: str) -> None:
    """A ZIP code typed by the supporter; anything else is asked again."""
    user = await current_user(update, ctx)
    zip_code = placenames.zip5(text)
    if zip_code is None:
        await ctx.services.storage.set_step(user.user_id, congress.STEP_ZIP)
        await render(update, ctx, congress.not_zip(user.language))
        return
    await ctx.services.storage.clear_step(user.user_id)
    await show_zip(update, ctx, zip_code)


async def show_zip(update: Update, ctx: Ctx, arg: str) -> bool:
    """The answer for a ZIP code (typed, or a button of Where I live or of a member)."""
    zip_code = placenames.zip5(arg)
    if zip_code is None:
        return False
    rep = await _lookup(update, ctx, zip_code)
    if rep is None:
        return True
    user = await current_user(update, ctx)
    await count(ctx, "congress_lookup", user.language, None)
    await render(update, ctx, congress.answer(ctx.services.content, rep, user.language))
    return True


async def _member(
    update: Update, ctx: Ctx, zip_code: str, member_id: str
) -> tuple[Representation, Contact] | None:
    data = await _data(ctx)
    if data is None:
        return None
    places = ctx.services.content.places.places_for_zip
    rep = representatives_for_zip(data, zip_code, _today(ctx), places=places)
    contact = congress.find_contact(rep, member_id) if rep is not None else None
    if rep is None or contact is None:
        return None
    return rep, contact


async def show_member(update: Update, ctx: Ctx, arg: str) -> bool:
    """One member: call script, phones, where to write, outcomes. Stale for a member who is
    not (or no longer) one of the ZIP code's."""
    parsed = congress.parse_member_argument(arg)
    found = await _member(update, ctx, *parsed) if parsed else None
    if found is None:
        return False
    rep, contact = found
    user = await current_user(update, ctx)
    await render(update, ctx, congress.member(ctx.services.content, rep, contact, user.language))
    return True


async def write(update: Update, ctx: Ctx, arg: str) -> bool:
    """The letter to a member: the supporter's draft re-addressed, or a short letter."""
    parsed = congress.parse_member_argument(arg)
    found = await _member(update, ctx, *parsed) if parsed else None
    if found is None:
        return False
    rep, contact = found
    user = await current_user(update, ctx)
    content, lang = ctx.services.content, user.language
    draft = await ctx.services.storage.get_draft(user.user_id)
    chosen = None
    if draft is not None and (draft.reasons or draft.story):
        chosen = choices(content, replace(draft, language=lang))
    await render(update, ctx, congress.letter(content, rep, contact, chosen, lang))
    return True


async def outcome(update: Update, ctx: Ctx, arg: str) -> bool:
    """*I called*, *I wrote*, *No answer*: counted for the member, with no user id."""
    parsed = congress.parse_outcome_argument(arg)
    found = await _member(update, ctx, *parsed[1:]) if parsed else None
    if parsed is None or found is None:
        return False
    rep, contact = found
    member = contact.member
    try:
        await ctx.services.storage.count_congress_outcome(member.id, member.chamber, parsed[0])
    except CannotWrite:
        ctx.services.saving.failed()  # the count is lost; the supporter still gets the screen
    user = await current_user(update, ctx)
    screen = congress.counted(ctx.services.content, rep, contact, parsed[0], user.language)
    await render(update, ctx, screen)
    return True


PRESSES: Presses = (
    (congress.ASK, ask_zip),
    (congress.ZIP, show_zip),
    (congress.MEMBER, show_member),
    (congress.WRITE, write),
    (congress.OUTCOME, outcome),
)
