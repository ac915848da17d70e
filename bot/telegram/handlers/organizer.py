"""Organizer tools: /broadcast, /stats, /export, /reload.

Only the Telegram user ids in ``OUTREACH_ORGANIZERS`` reach these handlers: the commands are
registered with a user filter (anyone else gets the ordinary "unknown command" answer), and the
button router refuses organizer actions from anyone else exactly as it refuses forged data.

The statistics, the CSV export and the QR code are imported by their commands: the bot starts
(and serves supporters) without them.
"""

from __future__ import annotations

import io
import logging
import re
from datetime import UTC, datetime
from html import escape
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from telegram import InlineKeyboardButton, Message, Update

from bot.callbacks import Callback
from bot.content import Content
from bot.deeplinks import link_for
from bot.outbox import Report, parse_audience
from bot.telegram.common import button, keyboard, show
from bot.telegram.context import Ctx

log = logging.getLogger(__name__)

STEP_MESSAGE = "org_broadcast_message"
STEP_SOURCE = "org_broadcast_source"
STEP_SCHEDULE = "org_broadcast_schedule"
ORGANIZER_STEPS = (STEP_MESSAGE, STEP_SOURCE, STEP_SCHEDULE)

AUDIENCE_CHOICES = {  # button argument -> audience, or None for a follow-up screen
    "all": "all",
    "lang-en": "lang:en",
    "lang-es": "lang:es",
    "pns": "pledged_not_sent",
    "state": None,
    "source": None,
    "menu": None,
}
SOURCE_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SCHEDULE_RE = re.compile(
    r"^\s*(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2})(?:\s+([A-Za-z_]+(?:/[A-Za-z0-9_+-]+)*))?\s*$"
)
STATES_PER_ROW = 6


def _lang(ctx: Ctx, update: Update) -> str:
    user = update.effective_user
    code = (user.language_code or "") if user else ""
    return "es" if code.lower().startswith("es") else ctx.services.config.default_language


def audience_label(ctx: Ctx, audience: str, lang: str) -> str:
    """The audience in words, for the preview and the report."""
    t = ctx.services.content.text
    parsed = parse_audience(audience)
    if parsed is None:
        return escape(audience)
    if parsed.kind == "state":
        state = ctx.services.content.states.get(parsed.value or "")
        name = state.name.get(lang) if state else (parsed.value or "")
        return t("broadcast.audience_state", lang, state=escape(name))
    if parsed.kind == "source":
        return t("broadcast.audience_source", lang, source=escape(parsed.value or ""))
    key = {"all": "all", "lang": f"lang_{parsed.value}", "pledged_not_sent": "pns"}[parsed.kind]
    return t(f"broadcast.audience_{key}", lang)


# -- /broadcast -----------------------------------------------------------------------------------


async def broadcast(update: Update, ctx: Ctx) -> None:
    """Ask for the message to broadcast."""
    user = update.effective_user
    if user is None:
        return
    await ctx.services.storage.touch_user(user.id, _lang(ctx, update))
    await ctx.services.storage.set_step(user.id, STEP_MESSAGE)
    lang = _lang(ctx, update)
    await show(update, ctx, ctx.services.content.text("broadcast.ask_message", lang))


async def organizer_input(update: Update, ctx: Ctx) -> bool:
    """Handle an organizer's message when a broadcast step awaits it; False if none does."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None or not ctx.services.config.is_organizer(user.id):
        return False
    step = await ctx.services.storage.get_step(user.id)
    if step not in ORGANIZER_STEPS:
        return False
    lang = _lang(ctx, update)
    t = ctx.services.content.text
    if step == STEP_MESSAGE:
        if message.photo:
            kind = "photo"
        elif message.text and not message.text.startswith("/"):
            kind = "text"
        else:
            await message.reply_text(t("broadcast.unsupported", lang))
            return True
        outbox = ctx.services.outbox
        await outbox.discard_drafts(user.id)
        await outbox.create_broadcast(user.id, message.chat_id, message.message_id, kind, "all")
        await ctx.services.storage.clear_step(user.id)
        await _audience_menu(update, ctx, lang)
    elif step == STEP_SOURCE:
        code = (message.text or "").strip()
        if not SOURCE_RE.match(code):
            await message.reply_text(t("broadcast.source_invalid", lang))
            return True
        await ctx.services.storage.clear_step(user.id)
        await _set_audience(update, ctx, f"source:{code}", lang)
    else:
        await _schedule_typed(update, ctx, message.text or "", lang)
    return True


async def _audience_menu(update: Update, ctx: Ctx, lang: str) -> None:
    t = ctx.services.content.text
    rows = [
        [button(t("broadcast.audience_all", lang), Callback("obaud", "all").data())],
        [
            button(t("broadcast.audience_lang_en", lang), Callback("obaud", "lang-en").data()),
            button(t("broadcast.audience_lang_es", lang), Callback("obaud", "lang-es").data()),
        ],
        [button(t("broadcast.audience_pns", lang), Callback("obaud", "pns").data())],
        [
            button(t("button.by_state", lang), Callback("obaud", "state").data()),
            button(t("button.by_source", lang), Callback("obaud", "source").data()),
        ],
        [button(t("button.discard_broadcast", lang), Callback("obx").data())],
    ]
    await show(update, ctx, t("broadcast.choose_audience", lang), keyboard(*rows))


async def choose_audience(update: Update, ctx: Ctx, choice: str) -> bool:
    """An audience button: set it, or ask for the state or the source code."""
    if choice not in AUDIENCE_CHOICES:
        return False
    lang = _lang(ctx, update)
    t = ctx.services.content.text
    audience = AUDIENCE_CHOICES[choice]
    if audience is not None:
        await _set_audience(update, ctx, audience, lang)
    elif choice == "menu":
        await _audience_menu(update, ctx, lang)
    elif choice == "state":
        codes = list(ctx.services.content.states)
        rows = [
            [button(c, Callback("obst", c.lower()).data()) for c in codes[i : i + STATES_PER_ROW]]
            for i in range(0, len(codes), STATES_PER_ROW)
        ]
        await show(update, ctx, t("broadcast.ask_state", lang), keyboard(*rows))
    else:
        user = update.effective_user
        if user is not None:
            await ctx.services.storage.set_step(user.id, STEP_SOURCE)
        await show(update, ctx, t("broadcast.ask_source", lang))
    return True


async def choose_state(update: Update, ctx: Ctx, code: str) -> bool:
    if code.upper() not in ctx.services.content.states:
        return False
    await _set_audience(update, ctx, f"state:{code.upper()}", _lang(ctx, update))
    return True


async def _set_audience(update: Update, ctx: Ctx, audience: str, lang: str) -> None:
    """Store the audience on the draft and show the preview with the exact recipient count."""
    user = update.effective_user
    if user is None:
        return
    outbox = ctx.services.outbox
    draft = await outbox.latest_draft(user.id)
    t = ctx.services.content.text
    if draft is None:
        await show(update, ctx, t("broadcast.no_draft", lang))
        return
    await outbox.set_audience(draft.id, audience)
    count = await outbox.count_audience(audience)
    chat = update.effective_chat
    if chat is not None:  # the preview is the message exactly as recipients will get it
        await ctx.bot.copy_message(chat.id, draft.from_chat_id, draft.message_id)
    text = t(
        "broadcast.preview",
        lang,
        audience=audience_label(ctx, audience, lang),
        count=f"{count:,}",
    )
    rows: list[list[InlineKeyboardButton]] = []
    if count:
        rows.append([button(t("button.send_now", lang), Callback("obgo").data())])
        rows.append([button(t("button.schedule", lang), Callback("obsch").data())])
    else:
        text += "\n" + t("broadcast.nobody", lang)
    rows.append([button(t("button.change_audience", lang), Callback("obaud", "menu").data())])
    rows.append([button(t("button.discard_broadcast", lang), Callback("obx").data())])
    if chat is not None:
        await ctx.bot.send_message(chat.id, text, reply_markup=keyboard(*rows))


async def audience_menu(update: Update, ctx: Ctx) -> None:
    await _audience_menu(update, ctx, _lang(ctx, update))


async def send_now(update: Update, ctx: Ctx) -> None:
    """Confirm the draft: the outbox gets one row per recipient, and sending starts."""
    user = update.effective_user
    if user is None:
        return
    lang = _lang(ctx, update)
    t = ctx.services.content.text
    outbox = ctx.services.outbox
    draft = await outbox.latest_draft(user.id)
    if draft is None:
        await show(update, ctx, t("broadcast.no_draft", lang))
        return
    await outbox.confirm(draft.id, None)
    progress = await show(
        update,
        ctx,
        t("broadcast.started", lang, audience=audience_label(ctx, draft.audience, lang)),
        keyboard(
            [button(t("button.stop_broadcast", lang), Callback("obstop", str(draft.id)).data())]
        ),
    )
    if isinstance(progress, Message):
        await outbox.set_progress_message(draft.id, progress.chat_id, progress.message_id)
    ctx.services.broadcasts.start(draft.id)


async def ask_schedule(update: Update, ctx: Ctx) -> None:
    user = update.effective_user
    if user is None:
        return
    await ctx.services.storage.set_step(user.id, STEP_SCHEDULE)
    await show(update, ctx, ctx.services.content.text("broadcast.ask_schedule", _lang(ctx, update)))


def parse_schedule(text: str, now: datetime) -> datetime | str:
    """'2026-12-01 18:00 America/Chicago' → an aware datetime, or the reason it is not one."""
    match = SCHEDULE_RE.match(text)
    if match is None:
        return "format"
    day, clock, zone = match.groups()
    try:
        tz = ZoneInfo(zone) if zone else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return "zone"
    try:
        when = datetime.fromisoformat(f"{day}T{int(clock[:-3]):02d}{clock[-3:]}").replace(tzinfo=tz)
    except ValueError:
        return "format"
    if when <= now:
        return "past"
    return when


async def _schedule_typed(update: Update, ctx: Ctx, text: str, lang: str) -> None:
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    t = ctx.services.content.text
    when = parse_schedule(text, datetime.fromtimestamp(ctx.services.storage.now(), UTC))
    if isinstance(when, str):
        await message.reply_text(t(f"broadcast.schedule_{when}", lang))
        return
    outbox = ctx.services.outbox
    draft = await outbox.latest_draft(user.id)
    await ctx.services.storage.clear_step(user.id)
    if draft is None:
        await message.reply_text(t("broadcast.no_draft", lang))
        return
    await outbox.confirm(draft.id, int(when.timestamp()))
    shown = when.strftime("%Y-%m-%d %H:%M ") + (when.tzname() or "UTC")
    reply = await message.reply_text(
        t("broadcast.scheduled", lang, when=escape(shown)),
        reply_markup=keyboard(
            [button(t("button.stop_broadcast", lang), Callback("obstop", str(draft.id)).data())]
        ),
    )
    await outbox.set_progress_message(draft.id, reply.chat_id, reply.message_id)


async def discard(update: Update, ctx: Ctx) -> None:
    user = update.effective_user
    if user is None:
        return
    await ctx.services.outbox.discard_drafts(user.id)
    await show(update, ctx, ctx.services.content.text("broadcast.discarded", _lang(ctx, update)))


async def stop(update: Update, ctx: Ctx, broadcast_id: str) -> bool:
    """Cancel a running or scheduled broadcast."""
    if not broadcast_id.isdigit():
        return False
    lang = _lang(ctx, update)
    cancelled = await ctx.services.outbox.cancel(int(broadcast_id))
    key = "broadcast.cancelled" if cancelled else "broadcast.not_running"
    await show(update, ctx, ctx.services.content.text(key, lang))
    return True


def render_report(content: Content, report: Report, lang: str, final: bool) -> str:
    """Progress while sending, or the final report: delivered, blocked, failed, unknown."""
    key = "broadcast.report" if final else "broadcast.progress"
    return content.text(
        key,
        lang,
        total=f"{report.total:,}",
        delivered=f"{report.delivered:,}",
        blocked=f"{report.blocked:,}",
        failed=f"{report.failed:,}",
        unknown=f"{report.unknown:,}",
        skipped=f"{report.skipped:,}",
        pending=f"{report.pending:,}",
    )


# -- /stats, /export, /reload ----------------------------------------------------------------------


async def stats(update: Update, ctx: Ctx) -> None:
    """The numbers, and a chart of daily pledges and comments."""
    from bot.stats import collect_stats, render_chart_png, render_stats_text

    chat = update.effective_chat
    if chat is None:
        return
    lang = _lang(ctx, update)
    content = ctx.services.content
    numbers = await collect_stats(ctx.services.storage, datetime.now(UTC).date())
    await ctx.bot.send_message(
        chat.id, render_stats_text(numbers, lambda key: content.text(f"stats.{key}", lang))
    )
    png = render_chart_png(
        numbers,
        content.text("stats.chart_title", lang),
        content.text("stats.chart_pledges", lang),
        content.text("stats.chart_comments", lang),
    )
    await ctx.bot.send_photo(chat.id, png, caption=content.text("stats.chart_title", lang))


async def export(update: Update, ctx: Ctx) -> None:
    """The pledges as a CSV document."""
    from bot.export import export_pledges_csv

    chat = update.effective_chat
    if chat is None:
        return
    text = io.StringIO()
    rows = await export_pledges_csv(ctx.services.storage, text)
    data = text.getvalue().encode("utf-8")
    name = f"pledges-{datetime.now(UTC).date().isoformat()}.csv"
    caption = ctx.services.content.text("export.caption", _lang(ctx, update), count=f"{rows:,}")
    await ctx.bot.send_document(chat.id, data, filename=name, caption=caption)


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
