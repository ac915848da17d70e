"""``/letters`` in Telegram (organizers only): the counts, *Download* and *Mark delivered*.

The flow's screens and buttons are :mod:`bot.flows.letters`; the batches themselves
:mod:`bot.deliveries`. The batch PDF and its CSV manifest are made in memory (in a worker
thread: a large batch takes a while) and sent as documents; nothing is written to disk.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import replace
from datetime import UTC, date, datetime

from telegram import Update

from bot.deliveries import (
    Batch,
    CampaignLetter,
    DeliveryError,
    batch_letters,
    export_batch,
    get_batch,
    mark_delivered,
    open_batches,
    weekly_counts,
    write_manifest,
)
from bot.flows import letters as flow
from bot.telegram.common import render, reply
from bot.telegram.context import Ctx
from bot.telegram.handlers.buttons import Presses
from bot.telegram.handlers.organizer import organizer_language


async def letters(update: Update, ctx: Ctx) -> None:
    """The letters by week and language, and what to do next."""
    lang = organizer_language(ctx, update)
    storage = ctx.services.storage
    if ctx.services.content.letter.channels.campaign is None:
        await render(update, ctx, flow.notice(lang, "off"))
        return
    counts = await weekly_counts(storage)
    await render(update, ctx, flow.overview(lang, counts, await open_batches(storage)))


async def download(update: Update, ctx: Ctx, arg: str) -> bool:
    """A new batch of the waiting letters, or an open batch again: its PDF and CSV."""
    lang = organizer_language(ctx, update)
    storage, content = ctx.services.storage, ctx.services.content
    if content.letter.channels.campaign is None:
        await render(update, ctx, flow.notice(lang, "off"))
        return True
    if arg == "new":
        made = await export_batch(storage)
        if made is None:
            await render(update, ctx, flow.notice(lang, "nothing_waiting"))
            return True
        batch, held = made
    else:
        batch_id = flow.batch_ref(arg)
        if batch_id is None:
            return False
        found = await get_batch(storage, batch_id)
        if found is None:
            await render(update, ctx, flow.notice(lang, "no_batch", batch=str(batch_id)))
            return True
        batch, held = found, await batch_letters(storage, batch_id)
    await _send_files(update, ctx, batch, held, lang)
    return True


async def _send_files(
    update: Update, ctx: Ctx, batch: Batch, held: list[CampaignLetter], lang: str
) -> None:
    from bot.letter_pdf import batch_pdf

    chat = update.effective_chat
    if chat is None:
        return
    content = ctx.services.content
    kept = [letter for letter in held if letter.body is not None]
    name = {"en": content.campaign.name.en, "es": content.campaign.name.es}
    pdf = await asyncio.to_thread(batch_pdf, content.letter, name, kept)
    manifest = io.StringIO(newline="")
    write_manifest(manifest, kept, pdf.pages)
    stem = f"letters-batch-{batch.id}"
    caption = content.text("letters.pdf_caption", lang, batch=str(batch.id), count=f"{len(kept):,}")
    await ctx.bot.send_document(chat.id, pdf.data, filename=f"{stem}.pdf", caption=caption)
    data = manifest.getvalue().encode("utf-8")
    await ctx.bot.send_document(chat.id, data, filename=f"{stem}.csv")
    if batch.delivered_on is None:  # below the files, once they are handed over
        await render(update, ctx, replace(flow.ask_how(lang, batch.id), fresh=True))


async def mark(update: Update, ctx: Ctx, arg: str) -> bool:
    """*Mark delivered*: how did the batch go to the office?"""
    batch_id = flow.batch_ref(arg)
    if batch_id is None:
        return False
    lang = organizer_language(ctx, update)
    if await _open_batch(update, ctx, batch_id, lang) is not None:
        await render(update, ctx, flow.ask_how(lang, batch_id))
    return True


async def choose_how(update: Update, ctx: Ctx, arg: str) -> bool:
    """By hand or by mail: now the day (*Today*, or typed)."""
    ref = flow.how_ref(arg)
    user = update.effective_user
    if ref is None or user is None:
        return False
    lang = organizer_language(ctx, update)
    if await _open_batch(update, ctx, ref[0], lang) is None:
        return True
    await ctx.services.storage.touch_user(user.id, lang)  # the typed day is awaited as a step
    await ctx.services.storage.set_step(user.id, flow.day_step(*ref))
    await render(update, ctx, flow.ask_day(lang, ref[0], ref[1], _today(ctx)))
    return True


async def choose_day(update: Update, ctx: Ctx, arg: str) -> bool:
    """*Today* (the day the button was shown): mark the batch delivered."""
    ref = flow.day_ref(arg)
    if ref is None:
        return False
    await _mark(update, ctx, *ref)
    return True


async def day_typed(update: Update, ctx: Ctx) -> bool:
    """An organizer's typed day of delivery, when the flow waits for one; False otherwise."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None or not ctx.services.config.is_organizer(user.id):
        return False
    step = await ctx.services.storage.get_step(user.id)
    if not flow.is_day_step(step):
        return False
    assert step is not None
    lang = organizer_language(ctx, update)
    ref = flow.how_ref(step.removeprefix(flow.STEP_DAY))
    batch = await get_batch(ctx.services.storage, ref[0]) if ref is not None else None
    printed = batch.exported_on if batch else None
    day = flow.parse_day(message.text or "", _today(ctx), printed)
    if isinstance(day, str):
        values = {"date": printed.isoformat()} if day == "before" and printed else {}
        await reply(update, ctx, flow.notice(lang, f"day_{day}", **values))
        return True
    if ref is not None:
        await _mark(update, ctx, ref[0], ref[1], day)
    return True


async def _mark(update: Update, ctx: Ctx, batch_id: int, how: str, day: date) -> None:
    user = update.effective_user
    lang = organizer_language(ctx, update)
    storage = ctx.services.storage
    if user is not None:
        await storage.clear_step(user.id)
    try:
        delivery = await mark_delivered(storage, batch_id, day, how)
    except DeliveryError as exc:
        # Marked meanwhile (another organizer, a double tap) or gone: say so in the
        # organizer's language; anything else the domain refused, in its own words.
        if await _open_batch(update, ctx, batch_id, lang) is not None:
            await render(update, ctx, flow.notice(lang, "not_marked", reason=str(exc)))
        return
    told = len(delivery.notices)
    await render(update, ctx, flow.marked(lang, delivery.batch, told, delivery.withdrawn))


async def _open_batch(update: Update, ctx: Ctx, batch_id: int, lang: str) -> Batch | None:
    """Batch ``batch_id`` while it waits for delivery; otherwise say why (and None)."""
    batch = await get_batch(ctx.services.storage, batch_id)
    if batch is None:
        await render(update, ctx, flow.notice(lang, "no_batch", batch=str(batch_id)))
        return None
    if batch.delivered_on is not None:
        await render(
            update, ctx, flow.notice(lang, "already", batch=str(batch_id), date=batch.delivered_on)
        )
        return None
    return batch


def _today(ctx: Ctx) -> date:
    return datetime.fromtimestamp(ctx.services.storage.now(), UTC).date()


PRESSES: Presses = (
    (flow.DOWNLOAD, download),
    (flow.MARK, mark),
    (flow.HOW_PRESS, choose_how),
    (flow.DAY, choose_day),
)
