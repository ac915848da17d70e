"""Runs broadcasts in the background, one at a time, and keeps the organizer informed.

The sending itself (rate, errors, the durable outbox) is :class:`BroadcastSender`'s; this module
decides when a broadcast runs (now, when it is due, or again after a restart) and edits the
organizer's progress message while it does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import Bot
from telegram.error import TelegramError

from bot.flows import broadcast
from bot.outbox import Outbox, Report
from bot.screens import messages
from bot.telegram.context import Services
from bot.telegram.screens import markup
from bot.telegram.sender import BroadcastSender, SenderUnavailable

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 2.0  # seconds between edits of the progress message


class Broadcasts:
    """A queue of broadcasts to run, worked through by one background task."""

    def __init__(self, bot: Bot, services: Services, sender: BroadcastSender) -> None:
        self._bot = bot  # the interactive bot: progress messages are replies to an organizer
        self._services = services
        self._sender = sender
        self._queue: asyncio.Queue[int] = asyncio.Queue()
        self._queued: set[int] = set()
        self._worker: asyncio.Task[None] | None = None
        self.finished = asyncio.Event()  # set each time a broadcast ends (tests wait on it)

    @property
    def outbox(self) -> Outbox:
        return self._services.outbox

    def start(self, broadcast_id: int) -> None:
        """Run a confirmed broadcast as soon as the ones before it are done."""
        if broadcast_id in self._queued:
            return
        self._queued.add(broadcast_id)
        self._queue.put_nowait(broadcast_id)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work(), name="broadcasts")

    async def resume(self) -> None:
        """After a restart: sends that may or may not have happened become "unknown", and the
        rest of each interrupted broadcast continues. Nobody gets a second copy."""
        for broadcast_id in await self.outbox.active():
            await self.outbox.recover(broadcast_id)
            self.start(broadcast_id)

    async def start_due(self) -> int:
        """Start the scheduled broadcasts whose time has come; return how many."""
        due = await self.outbox.due_scheduled(self._services.storage.now())
        for broadcast_id in due:
            await self.outbox.start(broadcast_id)
            self.start(broadcast_id)
        return len(due)

    async def stop(self) -> None:
        """Stop sending (at shutdown); what is pending stays pending for the next start."""
        await self._sender.stop()  # lets sends on the wire finish, then halts the run
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker

    async def _work(self) -> None:
        while not self._queue.empty():
            broadcast_id = self._queue.get_nowait()
            try:
                await self._run(broadcast_id)
            except asyncio.CancelledError:
                raise
            except SenderUnavailable as exc:  # nothing was sent: it stays "sending"
                log.error(
                    "broadcast %d not sent now: %s; it goes on at the next start", broadcast_id, exc
                )
            except Exception:  # one broadcast's failure must not stop the others
                log.exception("broadcast %d stopped by an error", broadcast_id)
            finally:
                self._queued.discard(broadcast_id)
                self.finished.set()

    async def _run(self, broadcast_id: int) -> None:
        async def progress(report: Report) -> None:
            await self._tell(broadcast_id, report, final=False)

        report = await self._sender.run(
            broadcast_id, on_progress=progress, progress_interval=PROGRESS_INTERVAL
        )
        await self._tell(broadcast_id, report, final=True)

    async def _tell(self, broadcast_id: int, report: Report, final: bool) -> None:
        """Edit the progress message (or, at the end, send the report as a new message)."""
        sent = await self.outbox.get(broadcast_id)
        if sent is None or sent.progress_chat_id is None:
            return
        organizer = await self._services.storage.get_user(sent.organizer_id)
        lang = organizer.language if organizer else self._services.config.default_language
        content = self._services.content
        screen = broadcast.progress(lang, broadcast_id, report, final)
        (text,) = messages(content, screen)
        try:
            if final:
                await self._bot.send_message(sent.progress_chat_id, text)
                return
            await self._bot.edit_message_text(
                text,
                sent.progress_chat_id,
                sent.progress_message_id,
                reply_markup=markup(content, screen),
            )
        except TelegramError as exc:  # the organizer's screen is not worth stopping a broadcast
            log.info("broadcast %d: progress not shown: %s", broadcast_id, type(exc).__name__)
