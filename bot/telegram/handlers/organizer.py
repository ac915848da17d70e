"""Organizer tools: /broadcast, /stats, /export, /reload.

Only the Telegram user ids in ``OUTREACH_ORGANIZERS`` reach these handlers: the commands are
registered with a user filter (anyone else gets the ordinary "unknown command" answer), and
organizer buttons from anyone else are refused exactly like forged data (the ``bcast`` feature
is organizers-only). The broadcast's steps, buttons and screens are :mod:`bot.flows.broadcast`.

The statistics, the CSV export and the QR code are imported by their commands: the bot starts
(and serves supporters) without them.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from html import escape

from telegram import Update

from bot.deeplinks import link_for
from bot.flows import broadcast as flow
from bot.outbox import Broadcast, preview_check
from bot.telegram.common import render, reply, show
from bot.telegram.context import Ctx
from bot.telegram.handlers.buttons import Presses

log = logging.getLogger(__name__)


def _lang(ctx: Ctx, update: Update) -> str:
    user = update.effective_user
    code = (user.language_code or "") if user else ""
    return "es" if code.lower().startswith("es") else ctx.services.config.default_language


organizer_language = _lang  # an organizer's screens' language, for the other organizer tools


# -- /broadcast -----------------------------------------------------------------------------------


async def broadcast(update: Update, ctx: Ctx) -> None:
    """Ask for the message to broadcast."""
    user = update.effective_user
    if user is None:
        return
    await ctx.services.storage.touch_user(user.id, _lang(ctx, update))
    await ctx.services.storage.set_step(user.id, flow.STEP_MESSAGE)
    await render(update, ctx, flow.notice(_lang(ctx, update), "ask_message"))


async def organizer_input(update: Update, ctx: Ctx) -> bool:
    """Handle an organizer's message when a broadcast step awaits it; False if none does."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None or not ctx.services.config.is_organizer(user.id):
        return False
    step = await ctx.services.storage.get_step(user.id)
    if step is None or not flow.is_organizer_step(step):
        return False
    lang = _lang(ctx, update)
    if step == flow.STEP_MESSAGE:
        if message.photo:
            kind = "photo"
        elif message.text and not message.text.startswith("/"):
            kind = "text"
        else:
            await reply(update, ctx, flow.notice(lang, "unsupported"))
            return True
        outbox = ctx.services.outbox
        await outbox.discard_drafts(user.id)
        # No audience yet: the organizer picks one, and sees the preview, before any send.
        broadcast_id = await outbox.create_broadcast(
            user.id, message.chat_id, message.message_id, kind
        )
        await ctx.services.storage.clear_step(user.id)
        await render(update, ctx, flow.audience_menu(lang, broadcast_id))
    elif step.startswith(flow.STEP_SOURCE):
        code = (message.text or "").strip()
        if not flow.SOURCE_RE.match(code):
            await reply(update, ctx, flow.notice(lang, "source_invalid"))
            return True
        await ctx.services.storage.clear_step(user.id)
        draft = await _own_draft(update, ctx, int(step.removeprefix(flow.STEP_SOURCE)))
        if draft is not None:
            await _set_audience(update, ctx, draft, f"source:{code}", lang)
    else:
        await _schedule_typed(update, ctx, step.removeprefix(flow.STEP_SCHEDULE), lang)
    return True


async def _own_draft(update: Update, ctx: Ctx, broadcast_id: int) -> Broadcast | None:
    """The organizer's broadcast ``broadcast_id`` while it is still being prepared; otherwise
    say so (nothing else happens) and return None."""
    user = update.effective_user
    broadcast = await ctx.services.outbox.get(broadcast_id)
    if (
        user is not None
        and broadcast is not None
        and broadcast.organizer_id == user.id
        and broadcast.status == "draft"
    ):
        return broadcast
    await render(update, ctx, flow.notice(_lang(ctx, update), "not_draft"))
    return None


async def choose_audience(update: Update, ctx: Ctx, arg: str) -> bool:
    """An audience button: set it, or ask for the state or the source code."""
    ref = flow.draft_ref(arg)
    if ref is None or ref[1] not in flow.AUDIENCE_CHOICES:
        return False
    broadcast_id, choice = ref
    draft = await _own_draft(update, ctx, broadcast_id)
    if draft is None:
        return True
    lang = _lang(ctx, update)
    audience = flow.AUDIENCE_CHOICES[choice]
    if audience is not None:
        await _set_audience(update, ctx, draft, audience, lang)
    elif choice == "menu":
        await render(update, ctx, flow.audience_menu(lang, draft.id))
    elif choice == "state":
        await render(update, ctx, flow.state_menu(ctx.services.content, lang, draft.id))
    else:
        await ctx.services.storage.set_step(draft.organizer_id, flow.source_step(draft.id))
        await render(update, ctx, flow.notice(lang, "ask_source"))
    return True


async def choose_state(update: Update, ctx: Ctx, arg: str) -> bool:
    """A state of a state audience."""
    ref = flow.draft_ref(arg)
    if ref is None or ref[1].upper() not in ctx.services.content.states:
        return False
    draft = await _own_draft(update, ctx, ref[0])
    if draft is not None:
        await _set_audience(update, ctx, draft, f"state:{ref[1].upper()}", _lang(ctx, update))
    return True


async def _set_audience(
    update: Update, ctx: Ctx, draft: Broadcast, audience: str, lang: str
) -> None:
    """Store the audience on the draft and show the preview with the exact recipient count:
    the message as recipients will get it, then buttons that carry this preview's check."""
    outbox = ctx.services.outbox
    chat = update.effective_chat
    if chat is None:
        return
    if not await outbox.set_audience(draft.id, audience):
        await render(update, ctx, flow.notice(lang, "not_draft"))
        return
    count = await outbox.count_audience(audience)
    await ctx.bot.copy_message(chat.id, draft.from_chat_id, draft.message_id)
    check = await outbox.record_preview(draft.id, audience)
    content = ctx.services.content
    await render(update, ctx, flow.preview(content, lang, draft.id, audience, count, check))


async def _with_preview(
    update: Update,
    ctx: Ctx,
    arg: str,
    then: Callable[[Broadcast, str], Awaitable[None]],
) -> bool:
    """Run ``then(draft, check)`` for the draft and check a *Send now* or *Schedule* button
    carries, if that preview still shows the draft as it is; otherwise say why nothing
    happens. False for data the bot never made."""
    ref = flow.draft_ref(arg)
    if ref is None or not flow.CHECK_RE.match(ref[1]):
        return False
    draft = await _own_draft(update, ctx, ref[0])
    if draft is None:
        return True
    if draft.preview_audience != draft.audience or preview_check(draft) != ref[1]:
        await render(update, ctx, flow.notice(_lang(ctx, update), "preview_outdated"))
        return True
    await then(draft, ref[1])
    return True


async def send_now(update: Update, ctx: Ctx, arg: str) -> bool:
    """Confirm the previewed draft: the outbox gets one row per recipient, and sending starts."""

    async def send(draft: Broadcast, check: str) -> None:
        lang = _lang(ctx, update)
        outbox = ctx.services.outbox
        if not await outbox.confirm(draft.id, None, check):
            await render(update, ctx, flow.notice(lang, "not_draft"))  # confirmed meanwhile
            return
        audience = draft.audience or ""
        started = flow.started(ctx.services.content, lang, draft.id, audience)
        progress = await render(update, ctx, started)
        if progress is not None:
            await outbox.set_progress_message(draft.id, progress.chat_id, progress.message_id)
        ctx.services.broadcasts.start(draft.id)

    return await _with_preview(update, ctx, arg, send)


async def ask_schedule(update: Update, ctx: Ctx, arg: str) -> bool:
    """Ask when to send the previewed draft; the typed date confirms it."""

    async def ask(draft: Broadcast, check: str) -> None:
        await ctx.services.storage.set_step(draft.organizer_id, flow.schedule_step(draft.id, check))
        await render(update, ctx, flow.notice(_lang(ctx, update), "ask_schedule"))

    return await _with_preview(update, ctx, arg, ask)


async def _schedule_typed(update: Update, ctx: Ctx, previewed: str, lang: str) -> None:
    """A typed date for the draft and preview the step names (``"12-<check>"``)."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    now = datetime.fromtimestamp(ctx.services.storage.now(), UTC)
    when = flow.parse_schedule(message.text or "", now)
    if isinstance(when, str):
        await reply(update, ctx, flow.notice(lang, f"schedule_{when}"))
        return
    await ctx.services.storage.clear_step(user.id)
    ref = flow.draft_ref(previewed)
    draft = await _own_draft(update, ctx, ref[0] if ref else 0)
    if draft is None or ref is None:
        return
    outbox = ctx.services.outbox
    if not await outbox.confirm(draft.id, int(when.timestamp()), ref[1]):
        await reply(update, ctx, flow.notice(lang, "preview_outdated"))
        return
    shown = await reply(update, ctx, flow.scheduled(lang, draft.id, when))
    if shown is not None:
        await outbox.set_progress_message(draft.id, shown.chat_id, shown.message_id)


async def discard(update: Update, ctx: Ctx, arg: str) -> bool:
    """Discard the draft the button belongs to."""
    broadcast_id = flow.broadcast_id(arg)
    if broadcast_id is None:
        return False
    draft = await _own_draft(update, ctx, broadcast_id)
    if draft is not None:
        await ctx.services.outbox.discard_draft(draft.id)
        await render(update, ctx, flow.notice(_lang(ctx, update), "discarded"))
    return True


async def stop(update: Update, ctx: Ctx, arg: str) -> bool:
    """Cancel a running or scheduled broadcast."""
    broadcast_id = flow.broadcast_id(arg)
    if broadcast_id is None:
        return False
    cancelled = await ctx.services.outbox.cancel(broadcast_id)
    key = "cancelled" if cancelled else "not_running"
    await render(update, ctx, flow.notice(_lang(ctx, update), key))
    return True


PRESSES: Presses = (
    (flow.AUDIENCE, choose_audience),
    (flow.STATE, choose_state),
    (flow.SEND, send_now),
    (flow.SCHEDULE, ask_schedule),
    (flow.DISCARD, discard),
    (flow.STOP, stop),
)


# -- /stats, /export, /reload ----------------------------------------------------------------------


async def stats(update: Update, ctx: Ctx) -> None:
    """The numbers, and a chart of daily pledges and comments and of each channel's outcomes."""
    from bot.stats import collect_stats, render_chart_png, render_stats_text

    chat = update.effective_chat
    if chat is None:
        return
    lang = _lang(ctx, update)
    content = ctx.services.content
    numbers = await collect_stats(ctx.services.storage, datetime.now(UTC).date())

    def labels(key: str) -> str:
        return content.text(f"stats.{key}", lang)

    names = await _member_names(ctx) if numbers.congress else {}
    await ctx.bot.send_message(chat.id, render_stats_text(numbers, labels, names))
    png = render_chart_png(
        numbers,
        content.text("stats.chart_title", lang),
        content.text("stats.chart_pledges", lang),
        content.text("stats.chart_comments", lang),
        labels,
    )
    await ctx.bot.send_photo(chat.id, png, caption=content.text("stats.chart_title", lang))


async def _member_names(ctx: Ctx) -> dict[str, str]:
    """Members of Congress by id, "Kathy Castor (FL-14)", for the organizers' reports; {} if
    the Congress data cannot be read (the reports then show ids)."""
    import asyncio

    from bot.congress import CongressFileError

    try:
        data = await asyncio.to_thread(ctx.services.content.congress.load)
    except CongressFileError:
        return {}
    return {m.id: f"{m.name} ({m.seat or m.state})" for m in data.members}


async def export(update: Update, ctx: Ctx) -> None:
    """The pledges as a CSV document, and the outcomes of calls and letters to members of
    Congress as another (when there are any)."""
    from bot.export import export_congress_outcomes_csv, export_pledges_csv

    chat = update.effective_chat
    if chat is None:
        return
    text = io.StringIO()
    rows = await export_pledges_csv(ctx.services.storage, text)
    data = text.getvalue().encode("utf-8")
    name = f"pledges-{datetime.now(UTC).date().isoformat()}.csv"
    caption = ctx.services.content.text("export.caption", _lang(ctx, update), count=f"{rows:,}")
    await ctx.bot.send_document(chat.id, data, filename=name, caption=caption)
    outcomes = await ctx.services.storage.congress_outcomes()
    if outcomes:
        text = io.StringIO()
        export_congress_outcomes_csv(outcomes, await _member_names(ctx), text)
        name = f"congress-outcomes-{datetime.now(UTC).date().isoformat()}.csv"
        caption = ctx.services.content.text(
            "export.congress_caption", _lang(ctx, update), count=f"{len(outcomes):,}"
        )
        await ctx.bot.send_document(
            chat.id, text.getvalue().encode("utf-8"), filename=name, caption=caption
        )


async def reload(update: Update, ctx: Ctx) -> None:
    """Re-read the content: the new content serves the next update, or the old one stays."""
    lang = _lang(ctx, update)
    ok, problems = ctx.services.reload_content()
    t = ctx.services.content.text
    if ok:
        content = ctx.services.content
        text = t(
            "reload.ok",
            lang,
            facts=str(len(content.facts)),
            warnings=str(len(problems)),
        )
    else:
        listed = "\n".join(f"• {escape(p)}" for p in problems[:20])
        more = f"\n… (+{len(problems) - 20})" if len(problems) > 20 else ""
        text = t("reload.failed", lang, errors=listed + more)
    await show(update, ctx, text)


async def link(update: Update, ctx: Ctx) -> None:
    """`/link SOURCE [journey]`: the deep link for a flyer or post, and its printable QR code."""
    from bot.qr import qr_png

    chat = update.effective_chat
    if chat is None:
        return
    lang = _lang(ctx, update)
    t = ctx.services.content.text
    args = ctx.args or []
    if not 1 <= len(args) <= 2:
        await show(update, ctx, t("link.usage", lang))
        return
    try:
        url = link_for(
            ctx.bot.username,
            args[0],
            args[1] if len(args) == 2 else None,
            ctx.services.content.facts,
        )
    except ValueError as exc:
        await show(update, ctx, t("link.invalid", lang, reason=escape(str(exc))))
        return
    await ctx.bot.send_photo(
        chat.id,
        qr_png(url),
        caption=t("link.ready", lang, link=escape(url), source=escape(args[0])),
    )
