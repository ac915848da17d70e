"""Organizer tools: /broadcast, /stats, /export, /reload.

Only the Telegram user ids in ``OUTREACH_ORGANIZERS`` reach these handlers: the commands are
registered with a user filter (anyone else gets the ordinary "unknown command" answer), and the
button router refuses organizer actions from anyone else exactly as it refuses forged data.

Every broadcast button names the draft it belongs to (``obaud:12-lang-es``, ``obx:12``), and the
preview's *Send now* and *Schedule* also carry the check of what that preview showed
(``obgo:12-<check>``): a press on a button of another draft, of a finished one, or of a preview
the organizer has since changed does nothing but say so.

The statistics, the CSV export and the QR code are imported by their commands: the bot starts
(and serves supporters) without them.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from html import escape
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from telegram import InlineKeyboardButton, Message, Update

from bot.callbacks import Callback
from bot.content import Content
from bot.deeplinks import link_for
from bot.outbox import CHECK_LENGTH, Broadcast, Report, parse_audience, preview_check
from bot.telegram.common import button, keyboard, show
from bot.telegram.context import Ctx

log = logging.getLogger(__name__)

STEP_MESSAGE = "org_broadcast_message"
STEP_SOURCE = "org_broadcast_source:"  # + the draft's id
STEP_SCHEDULE = "org_broadcast_schedule:"  # + the draft's id, "-", and its preview's check

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
CHECK_RE = re.compile(rf"^[0-9a-f]{{{CHECK_LENGTH}}}$")
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


def _is_organizer_step(step: str | None) -> bool:
    return step is not None and (
        step == STEP_MESSAGE or step.startswith((STEP_SOURCE, STEP_SCHEDULE))
    )


def _draft_ref(arg: str) -> tuple[int, str] | None:
    """``"12-lang-es"`` → ``(12, "lang-es")``: the draft a button belongs to, and the rest."""
    head, sep, rest = arg.partition("-")
    if not (head.isascii() and head.isdigit()) or not sep:
        return None
    return int(head), rest


async def organizer_input(update: Update, ctx: Ctx) -> bool:
    """Handle an organizer's message when a broadcast step awaits it; False if none does."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None or not ctx.services.config.is_organizer(user.id):
        return False
    step = await ctx.services.storage.get_step(user.id)
    if step is None or not _is_organizer_step(step):
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
        # No audience yet: the organizer picks one, and sees the preview, before any send.
        broadcast_id = await outbox.create_broadcast(
            user.id, message.chat_id, message.message_id, kind
        )
        await ctx.services.storage.clear_step(user.id)
        await _audience_menu(update, ctx, broadcast_id, lang)
    elif step.startswith(STEP_SOURCE):
        code = (message.text or "").strip()
        if not SOURCE_RE.match(code):
            await message.reply_text(t("broadcast.source_invalid", lang))
            return True
        await ctx.services.storage.clear_step(user.id)
        draft = await _own_draft(update, ctx, int(step.removeprefix(STEP_SOURCE)))
        if draft is not None:
            await _set_audience(update, ctx, draft, f"source:{code}", lang)
    else:
        await _schedule_typed(update, ctx, step.removeprefix(STEP_SCHEDULE), lang)
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
    await show(update, ctx, ctx.services.content.text("broadcast.not_draft", _lang(ctx, update)))
    return None


async def _audience_menu(update: Update, ctx: Ctx, broadcast_id: int, lang: str) -> None:
    t = ctx.services.content.text

    def choice(label: str, arg: str) -> InlineKeyboardButton:
        return button(t(label, lang), Callback("obaud", f"{broadcast_id}-{arg}").data())

    rows = [
        [choice("broadcast.audience_all", "all")],
        [
            choice("broadcast.audience_lang_en", "lang-en"),
            choice("broadcast.audience_lang_es", "lang-es"),
        ],
        [choice("broadcast.audience_pns", "pns")],
        [choice("button.by_state", "state"), choice("button.by_source", "source")],
        [button(t("button.discard_broadcast", lang), Callback("obx", str(broadcast_id)).data())],
    ]
    await show(update, ctx, t("broadcast.choose_audience", lang), keyboard(*rows))


async def choose_audience(update: Update, ctx: Ctx, arg: str) -> bool:
    """An audience button: set it, or ask for the state or the source code."""
    ref = _draft_ref(arg)
    if ref is None or ref[1] not in AUDIENCE_CHOICES:
        return False
    broadcast_id, choice = ref
    draft = await _own_draft(update, ctx, broadcast_id)
    if draft is None:
        return True
    lang = _lang(ctx, update)
    t = ctx.services.content.text
    audience = AUDIENCE_CHOICES[choice]
    if audience is not None:
        await _set_audience(update, ctx, draft, audience, lang)
    elif choice == "menu":
        await _audience_menu(update, ctx, draft.id, lang)
    elif choice == "state":
        codes = list(ctx.services.content.states)
        rows = [
            [
                button(code, Callback("obst", f"{draft.id}-{code.lower()}").data())
                for code in codes[i : i + STATES_PER_ROW]
            ]
            for i in range(0, len(codes), STATES_PER_ROW)
        ]
        await show(update, ctx, t("broadcast.ask_state", lang), keyboard(*rows))
    else:
        await ctx.services.storage.set_step(draft.organizer_id, f"{STEP_SOURCE}{draft.id}")
        await show(update, ctx, t("broadcast.ask_source", lang))
    return True


async def choose_state(update: Update, ctx: Ctx, arg: str) -> bool:
    """A state of a state audience."""
    ref = _draft_ref(arg)
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
    t = ctx.services.content.text
    chat = update.effective_chat
    if chat is None:
        return
    if not await outbox.set_audience(draft.id, audience):
        await show(update, ctx, t("broadcast.not_draft", lang))
        return
    count = await outbox.count_audience(audience)
    await ctx.bot.copy_message(chat.id, draft.from_chat_id, draft.message_id)
    check = await outbox.record_preview(draft.id, audience)
    text = t(
        "broadcast.preview",
        lang,
        audience=audience_label(ctx, audience, lang),
        count=f"{count:,}",
    )
    rows: list[list[InlineKeyboardButton]] = []
    if count and check is not None:
        shown = f"{draft.id}-{check}"
        rows.append([button(t("button.send_now", lang), Callback("obgo", shown).data())])
        rows.append([button(t("button.schedule", lang), Callback("obsch", shown).data())])
    else:
        text += "\n" + t("broadcast.nobody", lang)
    menu = Callback("obaud", f"{draft.id}-menu").data()
    rows.append([button(t("button.change_audience", lang), menu)])
    discard_data = Callback("obx", str(draft.id)).data()
    rows.append([button(t("button.discard_broadcast", lang), discard_data)])
    await ctx.bot.send_message(chat.id, text, reply_markup=keyboard(*rows))


async def _with_preview(
    update: Update,
    ctx: Ctx,
    arg: str,
    then: Callable[[Broadcast, str], Awaitable[None]],
) -> bool:
    """Run ``then(draft, check)`` for the draft and check a *Send now* or *Schedule* button
    carries, if that preview still shows the draft as it is; otherwise say why nothing
    happens. False for data the bot never made."""
    ref = _draft_ref(arg)
    if ref is None or not CHECK_RE.match(ref[1]):
        return False
    draft = await _own_draft(update, ctx, ref[0])
    if draft is None:
        return True
    if draft.preview_audience != draft.audience or preview_check(draft) != ref[1]:
        text = ctx.services.content.text("broadcast.preview_outdated", _lang(ctx, update))
        await show(update, ctx, text)
        return True
    await then(draft, ref[1])
    return True


async def send_now(update: Update, ctx: Ctx, arg: str) -> bool:
    """Confirm the previewed draft: the outbox gets one row per recipient, and sending starts."""

    async def send(draft: Broadcast, check: str) -> None:
        lang = _lang(ctx, update)
        t = ctx.services.content.text
        outbox = ctx.services.outbox
        if not await outbox.confirm(draft.id, None, check):
            await show(update, ctx, t("broadcast.not_draft", lang))  # confirmed meanwhile
            return
        audience = audience_label(ctx, draft.audience or "", lang)
        stop = Callback("obstop", str(draft.id)).data()
        progress = await show(
            update,
            ctx,
            t("broadcast.started", lang, audience=audience),
            keyboard([button(t("button.stop_broadcast", lang), stop)]),
        )
        if isinstance(progress, Message):
            await outbox.set_progress_message(draft.id, progress.chat_id, progress.message_id)
        ctx.services.broadcasts.start(draft.id)

    return await _with_preview(update, ctx, arg, send)


async def ask_schedule(update: Update, ctx: Ctx, arg: str) -> bool:
    """Ask when to send the previewed draft; the typed date confirms it."""

    async def ask(draft: Broadcast, check: str) -> None:
        step = f"{STEP_SCHEDULE}{draft.id}-{check}"
        await ctx.services.storage.set_step(draft.organizer_id, step)
        text = ctx.services.content.text("broadcast.ask_schedule", _lang(ctx, update))
        await show(update, ctx, text)

    return await _with_preview(update, ctx, arg, ask)


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


async def _schedule_typed(update: Update, ctx: Ctx, previewed: str, lang: str) -> None:
    """A typed date for the draft and preview the step names (``"12-<check>"``)."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    t = ctx.services.content.text
    when = parse_schedule(
        message.text or "", datetime.fromtimestamp(ctx.services.storage.now(), UTC)
    )
    if isinstance(when, str):
        await message.reply_text(t(f"broadcast.schedule_{when}", lang))
        return
    await ctx.services.storage.clear_step(user.id)
    ref = _draft_ref(previewed)
    draft = await _own_draft(update, ctx, ref[0] if ref else 0)
    if draft is None or ref is None:
        return
    outbox = ctx.services.outbox
    if not await outbox.confirm(draft.id, int(when.timestamp()), ref[1]):
        await message.reply_text(t("broadcast.preview_outdated", lang))
        return
    shown = when.strftime("%Y-%m-%d %H:%M ") + (when.tzname() or "UTC")
    reply = await message.reply_text(
        t("broadcast.scheduled", lang, when=escape(shown)),
        reply_markup=keyboard(
            [button(t("button.stop_broadcast", lang), Callback("obstop", str(draft.id)).data())]
        ),
    )
    await outbox.set_progress_message(draft.id, reply.chat_id, reply.message_id)


async def discard(update: Update, ctx: Ctx, arg: str) -> bool:
    """Discard the draft the button belongs to."""
    if not (arg.isascii() and arg.isdigit()):
        return False
    draft = await _own_draft(update, ctx, int(arg))
    if draft is not None:
        await ctx.services.outbox.discard_draft(draft.id)
        text = ctx.services.content.text("broadcast.discarded", _lang(ctx, update))
        await show(update, ctx, text)
    return True


async def stop(update: Update, ctx: Ctx, broadcast_id: str) -> bool:
    """Cancel a running or scheduled broadcast."""
    if not (broadcast_id.isascii() and broadcast_id.isdigit()):
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

    await ctx.bot.send_message(chat.id, render_stats_text(numbers, labels))
    png = render_chart_png(
        numbers,
        content.text("stats.chart_title", lang),
        content.text("stats.chart_pledges", lang),
        content.text("stats.chart_comments", lang),
        labels,
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
