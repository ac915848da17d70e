"""The broadcast outbox: broadcasts, their audiences, and one delivery row per recipient.

This module owns what a broadcast *is* in the database and every state change it goes through;
sending is :class:`bot.telegram.sender.BroadcastSender`'s job. The rules that keep a broadcast
safe across crashes live here:

* confirming materialises one ``deliveries`` row per recipient with a single
  ``INSERT … SELECT`` (the audience never passes through Python), and twice changes nothing;
* a row is marked ``sending`` in its own committed transaction *before* the Telegram call, so
  after a crash :meth:`Outbox.recover` turns those rows into ``unknown`` — the message may or
  may not have arrived — and they are never sent again automatically;
* a cancelled broadcast claims no further rows, so nothing more is sent once cancel returns.

* a draft has no audience until the organizer picks one, and is confirmed only with the check of
  the preview that was shown for its current message and audience (:func:`preview_check`):
  a stale or forged "Send now" changes nothing.

Broadcast statuses: ``draft`` → ``scheduled`` → ``sending`` → ``done``, or ``cancelled`` from
any of the first three. Delivery statuses: ``pending`` → ``sending`` → ``delivered`` |
``blocked`` | ``failed`` | ``unknown`` | ``skipped`` (or back to ``pending`` after a 429).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import sqlite3
from dataclasses import dataclass
from typing import Final

from bot.database import Connection
from bot.storage import Storage

LANGUAGES: Final = ("en", "es")
_STATE_RE: Final = re.compile(r"[A-Z]{2}")  # a USPS state or territory code
_SOURCE_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")  # a deep-link source code

# Where a delivery row may go from 'sending'; 'skipped' may also come straight from 'pending'.
FINAL_STATUSES: Final = frozenset({"delivered", "blocked", "failed", "unknown", "skipped"})
MARKABLE: Final = FINAL_STATUSES | {"pending"}
UNKNOWN_AFTER_CRASH: Final = "interrupted: the bot stopped during this send"
CHECK_LENGTH: Final = 12  # hex digits of a preview check: it fits in callback data


@dataclass(frozen=True, slots=True)
class Audience:
    """Who a broadcast goes to: ``kind`` is all | lang | state | pledged_not_sent | source."""

    kind: str
    value: str | None = None

    @property
    def text(self) -> str:
        """The stored form, e.g. ``lang:es``; ``parse_audience(a.text) == a``."""
        return self.kind if self.value is None else f"{self.kind}:{self.value}"


def parse_audience(text: str) -> Audience | None:
    """The audience ``text`` names, or None for anything else (forged button data included)."""
    if text in ("all", "pledged_not_sent"):
        return Audience(text)
    kind, sep, value = text.partition(":")
    if not sep:
        return None
    if kind == "lang" and value in LANGUAGES:
        return Audience("lang", value)
    if kind == "state" and _STATE_RE.fullmatch(value):
        return Audience("state", value)
    if kind == "source" and _SOURCE_RE.fullmatch(value):
        return Audience("source", value)
    return None


def _audience(audience: Audience | str) -> Audience:
    parsed = parse_audience(audience) if isinstance(audience, str) else audience
    if parsed is None or parse_audience(parsed.text) != parsed:
        raise ValueError("not a broadcast audience")  # the value itself may be forged: not shown
    return parsed


# The recipients of a broadcast right now: subscribed, reachable, and in the audience.
# Each filter is a fixed SQL fragment; the audience's value is always a parameter.
_RECIPIENTS: Final = (
    "SELECT u.user_id FROM users AS u JOIN subscriptions AS s ON s.user_id = u.user_id"
    " WHERE u.reachable = 1 AND "
)
_FILTERS: Final = {
    "all": "1",
    "lang": "u.language = ?",
    "state": "EXISTS (SELECT 1 FROM pledges AS p WHERE p.user_id = u.user_id AND p.state = ?)",
    "source": "u.source = ?",
    "pledged_not_sent": (
        "EXISTS (SELECT 1 FROM pledges AS p WHERE p.user_id = u.user_id)"
        " AND NOT EXISTS (SELECT 1 FROM drafts AS d"
        " WHERE d.user_id = u.user_id AND d.outcome = 'sent')"
    ),
}


def _recipients_sql(audience: Audience) -> tuple[str, tuple[object, ...]]:
    """``SELECT user_id …`` for the audience, and its parameters."""
    params: tuple[object, ...] = () if audience.value is None else (audience.value,)
    return _RECIPIENTS + _FILTERS[audience.kind], params


@dataclass(frozen=True, slots=True)
class Broadcast:
    """One row of ``broadcasts``."""

    id: int
    organizer_id: int
    from_chat_id: int
    message_id: int
    kind: str
    audience: str | None  # None until the organizer picks one
    status: str
    scheduled_at: int | None
    created_at: int
    started_at: int | None
    finished_at: int | None
    progress_chat_id: int | None
    progress_message_id: int | None
    preview_audience: str | None = None  # the audience of the last preview shown


_BROADCAST_COLUMNS: Final = (
    "id, organizer_id, from_chat_id, message_id, kind, audience, status, scheduled_at,"
    " created_at, started_at, finished_at, progress_chat_id, progress_message_id,"
    " preview_audience"
)


def preview_check(broadcast: Broadcast) -> str | None:
    """A short fingerprint of what a preview shows — this draft, its message and its audience —
    carried by the preview's buttons; None while the draft has no audience."""
    if broadcast.audience is None:
        return None
    shown = (
        f"{broadcast.id}\n{broadcast.from_chat_id}\n{broadcast.message_id}\n{broadcast.audience}"
    )
    return hashlib.sha256(shown.encode("utf-8")).hexdigest()[:CHECK_LENGTH]


@dataclass(frozen=True, slots=True)
class Report:
    """How a broadcast's deliveries stand; ``sending`` are the sends in flight right now."""

    total: int = 0
    pending: int = 0
    delivered: int = 0
    blocked: int = 0
    failed: int = 0
    unknown: int = 0
    skipped: int = 0
    sending: int = 0

    @property
    def processed(self) -> int:
        """Recipients the broadcast is done with, whatever the outcome."""
        return self.total - self.pending - self.sending


class Outbox:
    """Intent-named methods over the ``broadcasts`` and ``deliveries`` tables."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    def now(self) -> int:
        """The database clock, unix seconds (what ``scheduled_at`` is compared with)."""
        return self._storage.now()

    # -- composing ------------------------------------------------------------------------------

    async def create_broadcast(
        self,
        organizer_id: int,
        from_chat_id: int,
        message_id: int,
        kind: str,
        audience: Audience | str | None = None,
    ) -> int:
        """A new broadcast in status 'draft' that will copy the given message; returns its id.

        It has no audience (None) until one is given here or with :meth:`set_audience`.
        """
        text = None if audience is None else _audience(audience).text
        async with self._storage.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO broadcasts (organizer_id, from_chat_id, message_id, kind, audience,"
                " status, created_at) VALUES (?, ?, ?, ?, ?, 'draft', ?)",
                (organizer_id, from_chat_id, message_id, kind, text, self._storage.now()),
            )
            broadcast_id = cursor.lastrowid
        assert broadcast_id is not None
        return broadcast_id

    async def set_audience(self, broadcast_id: int, audience: Audience | str) -> bool:
        """Change a draft's audience (any preview shown before no longer counts); False if it
        is no longer a draft."""
        parsed = _audience(audience)
        changed = await self._storage.write(
            "UPDATE broadcasts SET audience = ?, preview_audience = NULL"
            " WHERE id = ? AND status = 'draft'",
            (parsed.text, broadcast_id),
        )
        return changed == 1

    async def record_preview(self, broadcast_id: int, audience: Audience | str) -> str | None:
        """Record that the organizer was shown the draft's message for ``audience``; return the
        check its buttons carry. None, recording nothing, unless it is a draft with exactly
        that audience."""
        parsed = _audience(audience)
        async with self._storage.transaction() as conn:
            await conn.execute(
                "UPDATE broadcasts SET preview_audience = audience"
                " WHERE id = ? AND status = 'draft' AND audience = ?",
                (broadcast_id, parsed.text),
            )
            row = await _one(
                conn,
                f"SELECT {_BROADCAST_COLUMNS} FROM broadcasts WHERE id = ?",  # noqa: S608
                (broadcast_id,),
            )
        broadcast = _broadcast(row) if row else None
        if broadcast is None or broadcast.status != "draft" or broadcast.audience != parsed.text:
            return None
        return preview_check(broadcast)

    async def latest_draft(self, organizer_id: int) -> Broadcast | None:
        """The organizer's newest broadcast still being composed, if any."""
        row = await self._storage.fetchone(
            f"SELECT {_BROADCAST_COLUMNS} FROM broadcasts"  # noqa: S608 - fixed column list
            " WHERE organizer_id = ? AND status = 'draft' ORDER BY id DESC LIMIT 1",
            (organizer_id,),
        )
        return _broadcast(row) if row else None

    async def discard_draft(self, broadcast_id: int) -> bool:
        """Delete one unconfirmed broadcast; False if it is not a draft (any more)."""
        changed = await self._storage.write(
            "DELETE FROM broadcasts WHERE id = ? AND status = 'draft'", (broadcast_id,)
        )
        return changed == 1

    async def discard_drafts(self, organizer_id: int) -> int:
        """Delete the organizer's unconfirmed broadcasts; return how many."""
        return await self._storage.write(
            "DELETE FROM broadcasts WHERE organizer_id = ? AND status = 'draft'", (organizer_id,)
        )

    async def authored(self, organizer_id: int) -> tuple[int, int | None]:
        """How many broadcasts the organizer created, and when the last one was (for /mydata)."""
        row = await self._storage.fetchone(
            "SELECT COUNT(*), MAX(created_at) FROM broadcasts WHERE organizer_id = ?",
            (organizer_id,),
        )
        return (int(row[0]), row[1]) if row else (0, None)

    async def count_audience(self, audience: Audience | str) -> int:
        """How many users the audience would reach now (subscribed and reachable only)."""
        select, params = _recipients_sql(_audience(audience))
        row = await self._storage.fetchone(
            f"SELECT COUNT(*) FROM ({select})",  # noqa: S608 - fixed fragments, values are params
            params,
        )
        return int(row[0]) if row else 0

    # -- starting, stopping ---------------------------------------------------------------------

    async def confirm(self, broadcast_id: int, scheduled_at: int | None, check: str) -> bool:
        """Confirm a draft: send now (its recipients become pending rows) or at ``scheduled_at``.

        ``check`` is what the preview's button carries: the draft must still have the message
        and audience that preview showed, and that preview must be the one last recorded.
        False, changing nothing, otherwise, or if the broadcast is not a draft (already
        confirmed, running, finished or cancelled): confirming twice neither duplicates nor
        restarts anything.
        """
        now = self._storage.now()
        async with self._storage.transaction() as conn:
            row = await _one(
                conn,
                f"SELECT {_BROADCAST_COLUMNS} FROM broadcasts WHERE id = ?",  # noqa: S608
                (broadcast_id,),
            )
            broadcast = _broadcast(row) if row else None
            if broadcast is None or not _previewed_as(broadcast, check):
                return False
            assert broadcast.audience is not None
            if scheduled_at is not None:
                await conn.execute(
                    "UPDATE broadcasts SET status = 'scheduled', scheduled_at = ? WHERE id = ?",
                    (scheduled_at, broadcast_id),
                )
                return True
            await _materialise(conn, broadcast_id, broadcast.audience, now)
        return True

    async def due_scheduled(self, now: int) -> list[int]:
        """Scheduled broadcasts whose time has come, earliest first."""
        rows = await self._storage.fetchall(
            "SELECT id FROM broadcasts WHERE status = 'scheduled' AND scheduled_at <= ?"
            " ORDER BY scheduled_at, id",
            (now,),
        )
        return [int(row[0]) for row in rows]

    async def start(self, broadcast_id: int) -> bool:
        """A scheduled broadcast starts sending: its recipients (as of now) become pending rows.

        False, changing nothing, unless it is scheduled.
        """
        async with self._storage.transaction() as conn:
            row = await _one(
                conn, "SELECT status, audience FROM broadcasts WHERE id = ?", (broadcast_id,)
            )
            if row is None or row[0] != "scheduled":
                return False
            await _materialise(conn, broadcast_id, str(row[1]), self._storage.now())
        return True

    async def cancel(self, broadcast_id: int) -> bool:
        """Stop a draft, scheduled or sending broadcast; its pending rows are never sent.

        False if there was nothing to stop (unknown, finished or already cancelled).
        """
        changed = await self._storage.write(
            # The chat the message was copied from is dropped once its organizer has used
            # /forget (author 0): nothing needs it any more.
            "UPDATE broadcasts SET status = 'cancelled', finished_at = ?,"
            " from_chat_id = CASE WHEN organizer_id = 0 THEN 0 ELSE from_chat_id END"
            " WHERE id = ? AND status IN ('draft', 'scheduled', 'sending')",
            (self._storage.now(), broadcast_id),
        )
        return changed == 1

    async def finish(self, broadcast_id: int) -> bool:
        """A sending broadcast is done; False if it was not sending (e.g. cancelled)."""
        changed = await self._storage.write(
            "UPDATE broadcasts SET status = 'done', finished_at = ?,"
            " from_chat_id = CASE WHEN organizer_id = 0 THEN 0 ELSE from_chat_id END"
            " WHERE id = ? AND status = 'sending'",
            (self._storage.now(), broadcast_id),
        )
        return changed == 1

    async def set_progress_message(self, broadcast_id: int, chat_id: int, message_id: int) -> None:
        """Remember the organizer's message that shows this broadcast's progress."""
        await self._storage.write(
            "UPDATE broadcasts SET progress_chat_id = ?, progress_message_id = ? WHERE id = ?",
            (chat_id, message_id, broadcast_id),
        )

    async def get(self, broadcast_id: int) -> Broadcast | None:
        row = await self._storage.fetchone(
            f"SELECT {_BROADCAST_COLUMNS} FROM broadcasts WHERE id = ?",  # noqa: S608 - fixed
            (broadcast_id,),
        )
        return _broadcast(row) if row else None

    async def status(self, broadcast_id: int) -> str | None:
        """The broadcast's status, or None if there is no such broadcast."""
        row = await self._storage.fetchone(
            "SELECT status FROM broadcasts WHERE id = ?", (broadcast_id,)
        )
        return str(row[0]) if row else None

    async def active(self) -> list[int]:
        """Broadcasts in status 'sending' (after a restart: the ones a crash interrupted)."""
        rows = await self._storage.fetchall(
            "SELECT id FROM broadcasts WHERE status = 'sending' ORDER BY id"
        )
        return [int(row[0]) for row in rows]

    # -- deliveries -------------------------------------------------------------------------------

    async def next_pending(self, broadcast_id: int, after_user_id: int, limit: int) -> list[int]:
        """Up to ``limit`` pending recipients with user ids above ``after_user_id``, in order.

        Keyset pagination over the (broadcast_id, status, user_id) index: each page costs the
        same however large the audience, and only one page is ever in memory.
        """
        rows = await self._storage.fetchall(
            "SELECT user_id FROM deliveries WHERE broadcast_id = ? AND status = 'pending'"
            " AND user_id > ? ORDER BY user_id LIMIT ?",
            (broadcast_id, after_user_id, limit),
        )
        return [int(row[0]) for row in rows]

    async def still_eligible(self, user_id: int) -> bool:
        """Whether the user is subscribed and reachable right now (checked before each send)."""
        row = await self._storage.fetchone(
            "SELECT 1 FROM users AS u JOIN subscriptions AS s ON s.user_id = u.user_id"
            " WHERE u.user_id = ? AND u.reachable = 1",
            (user_id,),
        )
        return row is not None

    async def mark_sending(self, broadcast_id: int, user_id: int) -> bool:
        """Claim a pending row just before its Telegram call, committed at once.

        False if the row is not pending or the broadcast is no longer sending (cancelled):
        then the caller must not send.
        """
        changed = await self._storage.write(
            "UPDATE deliveries SET status = 'sending', updated_at = ?"
            " WHERE broadcast_id = ? AND user_id = ? AND status = 'pending'"
            " AND EXISTS (SELECT 1 FROM broadcasts WHERE id = ? AND status = 'sending')",
            (self._storage.now(), broadcast_id, user_id, broadcast_id),
        )
        return changed == 1

    async def mark(
        self, broadcast_id: int, user_id: int, status: str, error: str | None = None
    ) -> bool:
        """Record how a send ended: delivered, blocked (the user also becomes unreachable),
        failed (with Telegram's reason), unknown, skipped, or pending again (after a 429).

        Only a row in 'sending' changes, except that a pending row may be skipped. False if
        nothing changed.
        """
        if status not in MARKABLE:
            raise ValueError(f"not a delivery outcome: {status!r}")
        async with self._storage.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE deliveries SET status = ?, error = ?, updated_at = ?"
                " WHERE broadcast_id = ? AND user_id = ?"
                " AND (status = 'sending' OR (status = 'pending' AND ? = 'skipped'))",
                (status, error, self._storage.now(), broadcast_id, user_id, status),
            )
            changed = cursor.rowcount == 1
            if changed and status == "blocked":
                await conn.execute("UPDATE users SET reachable = 0 WHERE user_id = ?", (user_id,))
                self._storage.drop_cached(user_id)
        return changed

    async def recover(self, broadcast_id: int) -> int:
        """After a crash: rows caught in 'sending' become 'unknown' (never resent); return how
        many. Pending rows are left for the sender to continue."""
        return await self._storage.write(
            "UPDATE deliveries SET status = 'unknown', error = ?, updated_at = ?"
            " WHERE broadcast_id = ? AND status = 'sending'",
            (UNKNOWN_AFTER_CRASH, self._storage.now(), broadcast_id),
        )

    async def expire_deliveries(self, finished_before: int) -> int:
        """Broadcasts finished (done or cancelled) before ``finished_before`` keep their report
        but not their recipients: their delivery rows become counts per status, with no user
        id. Returns how many rows went; one transaction."""
        async with self._storage.transaction() as conn:
            await conn.execute(
                "INSERT INTO delivery_counts (broadcast_id, status, count)"
                " SELECT d.broadcast_id, d.status, COUNT(*) FROM deliveries AS d"
                " JOIN broadcasts AS b ON b.id = d.broadcast_id"
                " WHERE b.status IN ('done', 'cancelled') AND b.finished_at < ?"
                " GROUP BY d.broadcast_id, d.status"
                " ON CONFLICT (broadcast_id, status) DO UPDATE SET count = count + excluded.count",
                (finished_before,),
            )
            cursor = await conn.execute(
                "DELETE FROM deliveries WHERE broadcast_id IN (SELECT id FROM broadcasts"
                " WHERE status IN ('done', 'cancelled') AND finished_at < ?)",
                (finished_before,),
            )
            return max(cursor.rowcount, 0)

    async def report(self, broadcast_id: int) -> Report:
        """Delivery counts by status, in one query: the rows still kept, and the counts of the
        rows past their retention period."""
        rows = await self._storage.fetchall(
            "SELECT status, SUM(n) FROM ("
            " SELECT status, COUNT(*) AS n FROM deliveries WHERE broadcast_id = ?1 GROUP BY status"
            " UNION ALL SELECT status, count FROM delivery_counts WHERE broadcast_id = ?1"
            ") GROUP BY status",
            (broadcast_id,),
        )
        counts = {str(row[0]): int(row[1]) for row in rows}
        return Report(
            total=sum(counts.values()),
            pending=counts.get("pending", 0),
            delivered=counts.get("delivered", 0),
            blocked=counts.get("blocked", 0),
            failed=counts.get("failed", 0),
            unknown=counts.get("unknown", 0),
            skipped=counts.get("skipped", 0),
            sending=counts.get("sending", 0),
        )


async def _one(conn: Connection, sql: str, params: tuple[object, ...]) -> sqlite3.Row | None:
    """One row from the transaction's connection (``Storage.transaction()`` yields it)."""
    cursor = await conn.execute(sql, params)
    row: sqlite3.Row | None = cursor.fetchone()
    return row


async def _materialise(conn: Connection, broadcast_id: int, audience_text: str, now: int) -> None:
    """Within the caller's transaction: one pending row per current recipient, and 'sending'."""
    select, params = _recipients_sql(_audience(audience_text))
    # Fixed SQL fragments only; the audience's value is a parameter.
    columns = "broadcast_id, user_id, status, updated_at"
    insert = f"INSERT OR IGNORE INTO deliveries ({columns}) SELECT ?, user_id, 'pending', ? FROM"
    # In the worker thread: for 100,000 recipients it takes tens of milliseconds, which the
    # event loop spends answering users who need no database meanwhile.
    await conn.execute(f"{insert} ({select})", (broadcast_id, now, *params), slow=True)
    await conn.execute(
        "UPDATE broadcasts SET status = 'sending', started_at = ? WHERE id = ?",
        (now, broadcast_id),
    )


def _previewed_as(broadcast: Broadcast, check: str) -> bool:
    """A draft whose current message and audience are those of the last preview shown, which
    is the preview ``check`` comes from."""
    expected = preview_check(broadcast)
    return (
        broadcast.status == "draft"
        and expected is not None
        and broadcast.preview_audience == broadcast.audience
        and hmac.compare_digest(expected, check)
    )


def _broadcast(row: sqlite3.Row) -> Broadcast:
    return Broadcast(*(row[i] for i in range(14)))
