"""Scheduled work whose schedule lives in SQLite: comment reminders, scheduled broadcasts, and
the retention of drafts, of broadcasts' recipient lists and of the letters the campaign
delivered; and every few seconds, writing the last_seen times and counters batched in memory.

JobQueue jobs are not persisted, so the jobs here only poll the database: a reminder due while
the bot was down is sent at the next start, and nothing is lost or sent twice (a reminder row is
deleted once handled).
"""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.deliveries import expire_letters, mark_notified, pending_notices
from bot.flows import guide
from bot.flows.letters import delivered_notice
from bot.screens import messages
from bot.storage import CannotWrite, StorageError
from bot.telegram.context import BotApp, Ctx, Services
from bot.telegram.screens import markup

log = logging.getLogger(__name__)

REMINDER_INTERVAL = 60  # seconds between looks for due reminders
PURGE_INTERVAL = 3600  # seconds between retention purges
SCHEDULE_INTERVAL = 15  # seconds between looks for scheduled broadcasts that are due
NOTICE_INTERVAL = 10  # seconds between looks for senders to tell their letter was delivered
NOTICE_BATCH = 50  # senders told per look at most: 5 messages a second, far below the budget
FLUSH_INTERVAL = 5  # seconds between writes of the last_seen times and counters kept in memory


async def send_due_reminders(bot: Bot, services: Services) -> int:
    """Send every reminder that is due, once each; return how many were sent."""
    storage, content = services.storage, services.content
    sent = 0
    for user_id in await storage.due_reminders(storage.now()):
        user = await storage.get_user(user_id)
        draft = await storage.get_draft(user_id)
        # Handled either way: a reminder is sent at most once.
        await storage.cancel_reminder(user_id)
        if user is None or not user.reachable or draft is None or draft.completed_at:
            continue
        reminder = guide.reminder(user.language)
        (text,) = messages(content, reminder)
        try:
            await bot.send_message(user_id, text, reply_markup=markup(content, reminder))
            sent += 1
        except Forbidden:
            await storage.set_reachable(user_id, False)
        except BadRequest as exc:
            log.warning("reminder not sent: %s", exc.message)
        except TelegramError as exc:
            # A network error: the reminder may or may not have arrived; never send it twice.
            log.warning("reminder delivery unknown: %s", type(exc).__name__)
    return sent


async def send_delivery_notices(bot: Bot, services: Services, limit: int = NOTICE_BATCH) -> int:
    """Tell up to ``limit`` senders who asked that their letter was delivered; return how many
    were told. Each is marked told in SQLite *before* the message goes out, so nobody is told
    twice, even across a crash (a sender caught mid-send is not told again); the others wait
    in SQLite for the next look, so a restart loses none."""
    storage, content = services.storage, services.content
    told = 0
    for notice in await pending_notices(storage, limit):
        if not await mark_notified(storage, notice.letter_id):
            continue  # told meanwhile
        user = await storage.get_user(notice.user_id)
        if user is None or not user.reachable:
            continue
        screen = delivered_notice(content, notice)
        (text,) = messages(content, screen)
        try:
            await bot.send_message(notice.user_id, text)
            told += 1
        except Forbidden:
            await storage.set_reachable(notice.user_id, False)
        except BadRequest as exc:
            log.warning("delivery notice not sent: %s", exc.message)
        except TelegramError as exc:
            log.warning("delivery notice outcome unknown: %s", type(exc).__name__)
    return told


async def purge_old_drafts(services: Services) -> int:
    """Delete drafts completed (or untouched) longer ago than the retention period."""
    storage = services.storage
    cutoff = storage.now() - services.config.draft_retention_days * 86400
    purged = await storage.purge_drafts(cutoff)
    if purged:
        log.info("deleted %d comment draft(s) past the retention period", purged)
    return purged


async def expire_old_deliveries(services: Services) -> int:
    """Turn the recipient lists of broadcasts finished longer ago than the retention period
    into counts with no user id."""
    storage = services.storage
    cutoff = storage.now() - services.config.delivery_retention_days * 86400
    expired = await services.outbox.expire_deliveries(cutoff)
    if expired:
        log.info("%d delivery row(s) past the retention period kept as counts only", expired)
    return expired


async def expire_delivered_letters(services: Services) -> int:
    """Leave only a count of the letters the campaign delivered longer ago than the retention
    period: their text, name, place and sender are deleted."""
    storage = services.storage
    cutoff = storage.now() - services.config.letter_retention_days * 86400
    expired = await expire_letters(storage, cutoff)
    if expired:
        log.info("%d delivered letter(s) past the retention period kept as counts only", expired)
    return expired


async def flush_batched(services: Services) -> int:
    """Write the last_seen times and counters batched in memory; return how many.

    When the database cannot be written they stay batched, and saving is unavailable (the
    storage says so to ``services.saving``). While it is, with nothing to write, this looks
    whether the database takes writes again.
    """
    storage = services.storage
    try:
        written = await storage.flush()
        if not written and services.saving.unavailable and await storage.writable():
            services.saving.works()
    except CannotWrite:
        return 0
    except StorageError as exc:
        log.warning("last_seen times and counters not written yet: %s", exc)
        return 0
    return written


async def checkpoint_log(services: Services) -> None:
    """Copy the database's write-ahead log into the database (the connection does not at its
    commits, see bot.database), so the log does not grow."""
    try:
        await services.storage.checkpoint()
    except StorageError as exc:
        log.warning("write-ahead log not checkpointed: %s", exc)


async def _flush_job(ctx: Ctx) -> None:
    await flush_batched(ctx.services)
    await checkpoint_log(ctx.services)


async def _reminders_job(ctx: Ctx) -> None:
    await send_due_reminders(ctx.bot, ctx.services)


async def _purge_job(ctx: Ctx) -> None:
    await purge_old_drafts(ctx.services)
    await expire_old_deliveries(ctx.services)
    await expire_delivered_letters(ctx.services)


async def _notices_job(ctx: Ctx) -> None:
    await send_delivery_notices(ctx.bot, ctx.services)


async def _scheduled_broadcasts_job(ctx: Ctx) -> None:
    await ctx.services.broadcasts.start_due()


def schedule_jobs(app: BotApp) -> None:
    """Start the polling jobs; their schedules are in SQLite, so restarts lose nothing."""
    queue = app.job_queue
    if queue is None:
        raise RuntimeError("python-telegram-bot's job-queue extra is required")
    queue.run_repeating(_reminders_job, interval=REMINDER_INTERVAL, first=5, name="reminders")
    queue.run_repeating(_purge_job, interval=PURGE_INTERVAL, first=10, name="retention")
    queue.run_repeating(
        _scheduled_broadcasts_job, interval=SCHEDULE_INTERVAL, first=3, name="scheduled-broadcasts"
    )
    queue.run_repeating(_notices_job, interval=NOTICE_INTERVAL, first=7, name="delivery-notices")
    queue.run_repeating(
        _flush_job, interval=FLUSH_INTERVAL, first=FLUSH_INTERVAL, name="flush-batched"
    )
