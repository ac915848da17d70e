"""The comment guide in Telegram: each press or typed answer is handed to the guide's flow
(:mod:`bot.flows.guide`), what it decides is written to SQLite, and its screen is shown.

The draft and the step it is at live in SQLite and are written as each answer arrives, so the
guide survives a restart at any step and ``/comment`` resumes it. Typed answers (the story, the
signature) are awaited through the same stored conversation step the pledge uses, so any other
command or button leaves them.

A story that mentions immigration status (or another sensitive word) is *not* stored when it
arrives: the gentle check shows it back inside its message, and only *Keep it* writes it to the
draft, reading it from that message. Until then the database holds nothing of it but the id of
the message showing it, in the awaited step — which any other button or command clears, so
writing again or leaving discards it, and a restart keeps the choice open.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, date, datetime

from telegram import Message, Update

from bot.deeplinks import bot_link
from bot.deliveries import queue_letter, record_outcome
from bot.flows import guide
from bot.screens import Screen, Text
from bot.storage import Draft, User
from bot.telegram.common import current_user, render
from bot.telegram.context import Ctx
from bot.telegram.handlers.buttons import Presses
from bot.telegram.incoming import QUOTATIONS

PDF_NAME = {"en": "my-letter.pdf", "es": "mi-carta.pdf"}


# -- entry ----------------------------------------------------------------------------------------


async def entry(update: Update, ctx: Ctx) -> None:
    """Open the guide: resume an unfinished draft, or start one."""
    user = await current_user(update, ctx)
    draft = await ctx.services.storage.get_draft(user.user_id)
    if draft is not None and guide.is_open(draft):
        resume = ctx.services.content.text("guide.resume", user.language)
        await show_step(update, ctx, user, draft, resume)
    elif draft is not None:
        await render(update, ctx, guide.finished_before(user.language))
    else:
        await start_new(update, ctx)


async def start_new(update: Update, ctx: Ctx, local: tuple[str, str] | None = None) -> None:
    """Start a fresh draft with its own wording seed, and show who receives it and why.

    ``local`` is the (state, county) the supporter chose to name in the letter, if any.
    """
    user = await current_user(update, ctx)
    storage = ctx.services.storage
    draft = await storage.start_draft(user.user_id, user.language, _seed(), guide.STEPS[0].name)
    if local is not None:
        await storage.update_draft(user.user_id, local_state=local[0], local_county=local[1])
        draft = await storage.get_draft(user.user_id) or draft
    await storage.reach(user.user_id, "started", user.language, user.source)
    await show_step(update, ctx, user, draft)


async def start_after_finished(update: Update, ctx: Ctx) -> bool:
    """ "Write a new letter", offered once a letter is sent; stale anywhere else."""
    user = await current_user(update, ctx)
    if not guide.may_start_new(await ctx.services.storage.get_draft(user.user_id)):
        return False
    await start_new(update, ctx)
    return True


# -- showing a step and following the flow -----------------------------------------------------


async def show_step(
    update: Update, ctx: Ctx, user: User, draft: Draft, notice: Text | None = None
) -> None:
    """Show the screen of the draft's current step, await typed input where it needs it, and
    count the funnel event the step reaches."""
    storage = ctx.services.storage
    step = guide.step_of(draft)
    await storage.set_step(user.user_id, step.awaits)
    if step.reaches:
        await storage.reach(user.user_id, step.reaches, draft.language, user.source)
    for screen in guide.screens(ctx.services.content, draft, _today(), notice):
        await render(update, ctx, screen)


async def _follow(update: Update, ctx: Ctx, user: User, outcome: guide.Outcome) -> bool:
    """Do what the flow decided; False for a press it does not recognise (stale)."""
    storage = ctx.services.storage
    match outcome:
        case None:
            return False
        case guide.Entry():
            await entry(update, ctx)
        case guide.Move(step=step, changes=changes, notice=notice, reached=reached):
            await storage.update_draft(user.user_id, step=step, **changes)
            draft = await storage.get_draft(user.user_id)
            if draft is None:  # gone (forgotten): open the guide afresh
                await entry(update, ctx)
                return True
            if reached:
                await storage.reach(user.user_id, reached, draft.language, user.source)
            await show_step(update, ctx, user, draft, notice)
        case guide.Check(screen=screen):
            await _check_story(update, ctx, user, screen)
        case Screen():
            await render(update, ctx, outcome)
    return True


async def _draft(update: Update, ctx: Ctx) -> tuple[User, Draft | None]:
    user = await current_user(update, ctx)
    return user, await ctx.services.storage.get_draft(user.user_id)


async def _check_story(update: Update, ctx: Ctx, user: User, screen: Screen) -> None:
    """The gentle check: the story shown back, to keep or to write again; nothing stored but
    the id of the message that shows it."""
    storage = ctx.services.storage
    shown = await render(update, ctx, screen)
    draft = await storage.get_draft(user.user_id)
    if draft is not None and draft.step != "story":
        await storage.update_draft(user.user_id, step="story")
    await storage.set_step(user.user_id, guide.check_step(shown.message_id if shown else None))


# -- presses and typed answers -------------------------------------------------------------------


async def begin(update: Update, ctx: Ctx) -> None:
    """From the introduction to choosing a role."""
    user, draft = await _draft(update, ctx)
    await _follow(update, ctx, user, guide.begin(draft))


async def quick_role(update: Update, ctx: Ctx, role_id: str) -> bool:
    """Write it for me: the role from the introduction, then the one reason."""
    user, draft = await _draft(update, ctx)
    return await _follow(update, ctx, user, guide.quick_role(ctx.services.content, draft, role_id))


async def pick_reason(update: Update, ctx: Ctx, reason_id: str) -> bool:
    """Write it for me: the one reason, and the letter is ready in the preview."""
    user, draft = await _draft(update, ctx)
    content = ctx.services.content
    return await _follow(update, ctx, user, guide.pick_reason(content, draft, reason_id))


async def choose_role(update: Update, ctx: Ctx, role_id: str) -> bool:
    """Store the role; stale for a role content no longer has."""
    user, draft = await _draft(update, ctx)
    return await _follow(update, ctx, user, guide.choose_role(ctx.services.content, draft, role_id))


async def toggle_reason(update: Update, ctx: Ctx, reason_id: str) -> bool:
    """Add or remove a reason; at most three."""
    user, draft = await _draft(update, ctx)
    content = ctx.services.content
    return await _follow(update, ctx, user, guide.toggle_reason(content, draft, reason_id))


async def reasons_done(update: Update, ctx: Ctx) -> None:
    """Go on once one to three reasons are chosen."""
    user, draft = await _draft(update, ctx)
    await _follow(update, ctx, user, guide.reasons_done(draft))


async def typed(update: Update, ctx: Ctx, awaited: str, text: str) -> None:
    """Text typed for the step that awaits it (the story, the name or place to sign with):
    stored, checked, or explained."""
    user, draft = await _draft(update, ctx)
    outcome = guide.answer(ctx.services.content, draft, awaited, text)
    await _follow(update, ctx, user, outcome)


async def keep_story(update: Update, ctx: Ctx) -> bool:
    """Keep the story the check on screen shows; stale for any other message's button."""
    query = update.callback_query
    user, draft = await _draft(update, ctx)
    shown = query.message if query else None
    step = await ctx.services.storage.get_step(user.user_id)
    if shown is None or step != guide.check_step(shown.message_id):
        return False  # an older check, or one left since: that story was discarded
    # Telegram no longer shows the text of a message older than 48 hours: None.
    story = _quoted(shown) if isinstance(shown, Message) else None
    return await _follow(update, ctx, user, guide.keep_story(draft, story))


def _quoted(message: Message) -> str | None:
    """The text of the message's last quotation: the story a check shows."""
    quotes = [entity for entity in message.entities if entity.type in QUOTATIONS]
    return message.parse_entity(quotes[-1]) if quotes else None


async def skip(update: Update, ctx: Ctx, what: str) -> bool:
    """Skip the story, the signature name or the place."""
    user, draft = await _draft(update, ctx)
    return await _follow(update, ctx, user, guide.skip(draft, what))


async def edit(update: Update, ctx: Ctx, part: str) -> bool:
    """From the preview (or the story check), change one part, then come back."""
    user, draft = await _draft(update, ctx)
    return await _follow(update, ctx, user, guide.edit(draft, part))


async def back(update: Update, ctx: Ctx) -> None:
    """One step back."""
    user, draft = await _draft(update, ctx)
    await _follow(update, ctx, user, guide.back(draft))


async def another_wording(update: Update, ctx: Ctx) -> None:
    """The same choices in other words: a new seed."""
    user, draft = await _draft(update, ctx)
    await _follow(update, ctx, user, guide.another_wording(draft, _seed()))


async def without_county(update: Update, ctx: Ctx) -> None:
    """Take the county sentence out of the letter (and the county out of the draft)."""
    user, draft = await _draft(update, ctx)
    await _follow(update, ctx, user, guide.without_county(draft))


async def to_send(update: Update, ctx: Ctx) -> None:
    """The preview is right: the letter and how to send it."""
    user, draft = await _draft(update, ctx)
    await _follow(update, ctx, user, guide.to_send(draft))


async def postal_pdf(update: Update, ctx: Ctx) -> None:
    """The supporter's own letter as a PDF to print, sign and post, sent from memory; counted
    once per draft ("postal PDF downloaded")."""
    from bot.letter_pdf import postal_pdf as make_pdf

    user, draft = await _draft(update, ctx)
    chat = update.effective_chat
    if draft is None or chat is None:
        await entry(update, ctx)
        return
    content, lang = ctx.services.content, draft.language
    letter = guide.letter_for(content, draft)
    data = await asyncio.to_thread(make_pdf, content.letter, letter, lang, _today())
    caption = content.text("guide.postal_pdf", lang)
    await ctx.bot.send_document(
        chat.id, data, filename=PDF_NAME.get(lang, PDF_NAME["en"]), caption=caption
    )
    await record_outcome(ctx.services.storage, user.user_id, "postal", "pdf", lang, user.source)


async def to_deliver(update: Update, ctx: Ctx) -> bool:
    """The campaign's confirm screen, once the sender's own words pass the check."""
    user, draft = await _draft(update, ctx)
    return await _follow(update, ctx, user, guide.to_deliver(ctx.services.content, draft))


async def toggle_notify(update: Update, ctx: Ctx, flag: str) -> bool:
    """Tick or untick "tell me when it's delivered" on the confirm screen."""
    user, draft = await _draft(update, ctx)
    content = ctx.services.content
    return await _follow(update, ctx, user, guide.toggle_notify(content, draft, flag))


async def confirm_delivery(update: Update, ctx: Ctx, flag: str) -> bool:
    """Queue the letter, exactly as shown, for the campaign to deliver, with the time of this
    consent and the "tell me" choice; the draft counts as sent, once."""
    content = ctx.services.content
    if flag not in ("0", "1") or content.letter.channels.campaign is None:
        return False
    user, draft = await _draft(update, ctx)
    if draft is None or not guide.is_open(draft):
        await entry(update, ctx)
        return True
    if not guide.may_deliver(draft, "deliver"):
        return False
    storage, lang, notify = ctx.services.storage, draft.language, flag == "1"
    result = await queue_letter(
        storage,
        content.letter,
        user_id=user.user_id,
        language=lang,
        choices=guide.choices(content, draft),
        notify=notify,
        source=user.source,
    )
    if result.result == "sensitive":
        await render(update, ctx, guide.deliver_refused(lang, result.words))
        return True
    if result.result == "exported":
        await render(update, ctx, guide.deliver_exported(lang))
        return True
    await storage.finish_draft(user.user_id, "sent")
    if await storage.reach(user.user_id, "sent", lang, user.source):
        await storage.count_event("comment_sent", lang, user.source)
    await storage.cancel_reminder(user.user_id)
    pledged = await storage.get_pledge(user.user_id) is not None
    subscribed = await storage.is_subscribed(user.user_id)
    link = bot_link(ctx.bot.username)
    await render(update, ctx, guide.queued(content, lang, notify, link, pledged, subscribed))
    return True


async def outcome(update: Update, ctx: Ctx, result: str) -> bool:
    """Record "I sent it", "I couldn't" or "Remind me later"; a draft counts as sent once."""
    if result not in guide.OUTCOMES:
        return False
    user, draft = await _draft(update, ctx)
    storage, content, lang = ctx.services.storage, ctx.services.content, user.language
    if draft is None or not guide.may_record_outcome(draft):
        return False
    channel = guide.outcome_channel(content, draft)
    if result == "sent":
        if draft.completed_at is None:
            await storage.finish_draft(user.user_id, "sent")
            if await storage.reach(user.user_id, "sent", lang, user.source):
                await storage.count_event("comment_sent", lang, user.source)
            await record_outcome(storage, user.user_id, channel, "sent", lang, user.source)
        await storage.cancel_reminder(user.user_id)
        pledged = await storage.get_pledge(user.user_id) is not None
        subscribed = await storage.is_subscribed(user.user_id)
        link = bot_link(ctx.bot.username)
        await render(update, ctx, guide.thanks(content, lang, link, pledged, subscribed))
        return True
    if draft.completed_at is not None:
        await entry(update, ctx)  # already sent: nothing to remind or regret
        return True
    if result == "couldnt":
        await storage.finish_draft(user.user_id, "couldnt")
        await storage.reach(user.user_id, "couldnt", lang, user.source)
        await record_outcome(storage, user.user_id, channel, "couldnt", lang, user.source)
        await storage.cancel_reminder(user.user_id)
        await render(update, ctx, guide.couldnt(lang))
        return True
    hours = content.letter.reminder_hours
    await storage.finish_draft(user.user_id, "later")
    await storage.schedule_reminder(user.user_id, storage.now() + hours * 3600)
    await render(update, ctx, guide.later(lang, hours))
    return True


async def leave(update: Update, ctx: Ctx) -> None:
    """Leave the guide; the draft stays for /comment."""
    user = await current_user(update, ctx)
    await render(update, ctx, guide.left(user.language))


async def discard(update: Update, ctx: Ctx) -> None:
    """Delete the draft (and any reminder)."""
    user = await current_user(update, ctx)
    storage = ctx.services.storage
    await storage.delete_draft(user.user_id)
    await storage.cancel_reminder(user.user_id)
    await render(update, ctx, guide.discarded(user.language))


def _seed() -> int:
    return secrets.randbelow(2**31)


def _today() -> date:
    return datetime.now(UTC).date()


PRESSES: Presses = (
    (guide.OPEN, entry),
    (guide.NEW, start_after_finished),
    (guide.START, begin),
    (guide.QUICK, quick_role),
    (guide.PICK, pick_reason),
    (guide.ROLE, choose_role),
    (guide.REASON, toggle_reason),
    (guide.NEXT, reasons_done),
    (guide.SKIP, skip),
    (guide.KEEP, keep_story),
    (guide.EDIT, edit),
    (guide.BACK, back),
    (guide.WORDING, another_wording),
    (guide.CONTINUE, to_send),
    (guide.UNDERSTOOD, to_send),
    (guide.POSTAL, postal_pdf),
    (guide.DELIVER, to_deliver),
    (guide.NOTIFY, toggle_notify),
    (guide.CONFIRM, confirm_delivery),
    (guide.OUTCOME, outcome),
    (guide.LEAVE, leave),
    (guide.DISCARD, discard),
    (guide.NO_COUNTY, without_county),
)
