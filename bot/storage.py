"""SQLite storage: one connection, WAL, explicit transactions, named migrations.

Every question the bot asks of its data is one small, intent-named async method over raw
parameterized SQL. Migrations are applied in order at start-up, each in one transaction together
with the row that records it; an applied migration is never edited — add a new one instead.

What every update does is kept cheap:

* **One write transaction per update, none for one that only reads.** Inside
  :meth:`Storage.update_scope` (the application wraps each update in it) every write joins one
  transaction, opened by the update's first write and committed before the bot's next Bot API
  call (:meth:`Storage.commit_pending`, so what the user is told is saved) or when the update
  ends. An error rolls the whole of it back.
* **Batched in memory:** the time a known user was last seen, and counters added by an update
  that writes nothing else. :meth:`Storage.flush` writes them in one transaction (a job does,
  every few seconds, and :meth:`Storage.close`); a crash loses at most those few seconds of
  them — never a pledge, a step, a draft or a letter, which are written when they change. A
  counter added by an update that writes anyway goes into that update's transaction.
* **Cached:** each user's row (language, source, …) and awaited step, read once and kept up to
  date by the methods that change them; a transaction that rolls back drops what it changed.
  Only this process writes these (one bot per database, see ``bot.instance``; the command-line
  tools never change users or steps), so the cache cannot go stale.
* **Statements run on the event loop's thread** (:mod:`bot.database`): a point read or a small
  write costs SQLite microseconds, less than a trip to a worker thread would. Checkpoints,
  reports' whole-table reads and a database locked by another process never keep the loop
  waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import stat
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from bot.database import Connection

log = logging.getLogger(__name__)


class StorageError(Exception):
    """The database could not do what was asked (read-only, full, locked, corrupt)."""


class CannotWrite(StorageError):
    """The database refuses writes (a read-only file or file system, or a full disk); reading
    still works."""


_CANNOT_WRITE = ("SQLITE_READONLY", "SQLITE_FULL")  # with their extended codes


def _storage_error(exc: sqlite3.Error) -> StorageError:
    """The StorageError for an SQLite error: :class:`CannotWrite` when only writing fails."""
    name = getattr(exc, "sqlite_errorname", None) or ""
    if name.startswith(_CANNOT_WRITE):
        return CannotWrite(str(exc))
    return StorageError(str(exc))


@dataclass(frozen=True, slots=True)
class Migration:
    name: str
    statements: tuple[str, ...]


# Append only. Never edit or reorder an entry once it has shipped.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "0001_users_and_counters",
        (
            """
            CREATE TABLE users (
                user_id     INTEGER PRIMARY KEY,  -- Telegram user id = private chat id
                language    TEXT    NOT NULL,     -- 'en' or 'es'
                language_set INTEGER NOT NULL DEFAULT 0,  -- 1 once the user chose it
                source      TEXT,                 -- deep-link source code that brought them
                first_seen  INTEGER NOT NULL,     -- unix seconds
                last_seen   INTEGER NOT NULL
            ) STRICT
            """,
            """
            CREATE TABLE daily_counts (
                day    TEXT    NOT NULL,  -- YYYY-MM-DD, UTC
                event  TEXT    NOT NULL,
                lang   TEXT    NOT NULL,
                source TEXT    NOT NULL,  -- '' when unknown
                count  INTEGER NOT NULL,
                PRIMARY KEY (day, event, lang, source)
            ) STRICT
            """,
        ),
    ),
    Migration(
        "0002_pledges_subscriptions_conversations",
        (
            "ALTER TABLE users ADD COLUMN reachable INTEGER NOT NULL DEFAULT 1",
            """
            CREATE TABLE pledges (
                user_id    INTEGER PRIMARY KEY REFERENCES users (user_id) ON DELETE CASCADE,
                number     INTEGER NOT NULL UNIQUE,  -- "you are supporter #number"
                first_name TEXT,                     -- optional, as the supporter typed it
                state      TEXT,                     -- optional, USPS code
                pledged_at INTEGER NOT NULL
            ) STRICT
            """,
            """
            CREATE TABLE subscriptions (
                user_id    INTEGER PRIMARY KEY REFERENCES users (user_id) ON DELETE CASCADE,
                consent_at INTEGER NOT NULL          -- when they said yes to updates
            ) STRICT
            """,
            """
            CREATE TABLE conversations (
                user_id    INTEGER PRIMARY KEY REFERENCES users (user_id) ON DELETE CASCADE,
                step       TEXT    NOT NULL,         -- which typed answer the bot waits for
                updated_at INTEGER NOT NULL
            ) STRICT
            """,
        ),
    ),
    Migration(
        "0003_comment_drafts_and_reminders",
        (
            """
            CREATE TABLE drafts (
                user_id        INTEGER PRIMARY KEY REFERENCES users (user_id) ON DELETE CASCADE,
                step           TEXT    NOT NULL,          -- where the guide resumes
                language       TEXT    NOT NULL,
                seed           INTEGER NOT NULL,          -- picks the wording, stable per draft
                role           TEXT,
                reasons        TEXT    NOT NULL DEFAULT '',  -- comma-separated ids, in order
                story          TEXT,                      -- the sender's own words, if any
                sign_name      TEXT,
                sign_place     TEXT,
                editing        INTEGER NOT NULL DEFAULT 0,   -- 1: return to the preview next
                reached        TEXT    NOT NULL DEFAULT '',  -- funnel steps already counted
                started_at     INTEGER NOT NULL,
                updated_at     INTEGER NOT NULL,
                completed_at   INTEGER,                   -- set when sent
                outcome        TEXT                       -- sent | couldnt | later
            ) STRICT
            """,
            """
            CREATE TABLE reminders (
                user_id INTEGER PRIMARY KEY REFERENCES users (user_id) ON DELETE CASCADE,
                due_at  INTEGER NOT NULL
            ) STRICT
            """,
            "CREATE INDEX reminders_due ON reminders (due_at)",
        ),
    ),
    Migration(
        "0004_broadcast_outbox",
        (
            """
            CREATE TABLE broadcasts (
                id                  INTEGER PRIMARY KEY,
                organizer_id        INTEGER NOT NULL,  -- who created it (an organizer)
                from_chat_id        INTEGER NOT NULL,  -- the message to copy: its chat ...
                message_id          INTEGER NOT NULL,  -- ... and id (copy_message)
                kind                TEXT    NOT NULL,  -- text | photo
                audience            TEXT    NOT NULL,  -- all | lang:es | state:TX |
                                                       -- pledged_not_sent | source:CODE
                status              TEXT    NOT NULL,  -- draft | scheduled | sending |
                                                       -- cancelled | done
                scheduled_at        INTEGER,           -- unix seconds, for scheduled ones
                created_at          INTEGER NOT NULL,
                started_at          INTEGER,
                finished_at         INTEGER,
                progress_chat_id    INTEGER,           -- the organizer's progress message
                progress_message_id INTEGER
            ) STRICT
            """,
            """
            CREATE TABLE deliveries (
                broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
                user_id      INTEGER NOT NULL,
                status       TEXT    NOT NULL,  -- pending | sending | delivered | blocked |
                                                -- failed | unknown | skipped
                error        TEXT,              -- Telegram's reason, for failed
                updated_at   INTEGER NOT NULL,
                PRIMARY KEY (broadcast_id, user_id)
            ) STRICT, WITHOUT ROWID
            """,
            "CREATE INDEX deliveries_by_status ON deliveries (broadcast_id, status, user_id)",
            "CREATE INDEX broadcasts_by_status ON broadcasts (status, scheduled_at)",
        ),
    ),
    Migration(
        "0005_draft_county",
        (
            # Where I live: the county the supporter chose to name in their letter, if any.
            "ALTER TABLE drafts ADD COLUMN local_state TEXT",
            "ALTER TABLE drafts ADD COLUMN local_county TEXT",
        ),
    ),
    Migration(
        "0006_last_answer",
        (
            # The message id of the last typed answer a step consumed: Telegram may deliver a
            # message again after a crash, and it must not answer the next step too.
            "ALTER TABLE users ADD COLUMN last_answer_id INTEGER",
        ),
    ),
    Migration(
        "0007_undecided_stories",
        (
            # A story that mentions a sensitive word is no longer stored until its sender keeps
            # it. Drafts caught at that check held the story before anyone decided: drop it, and
            # the guide asks for the sender's own words again.
            "UPDATE drafts SET step = 'story', story = NULL WHERE step = 'story_check'",
        ),
    ),
    Migration(
        "0008_broadcast_previews",
        (
            # A broadcast has no audience until the organizer picks one (the column becomes
            # nullable), and remembers the audience of the preview last shown: "Send now" needs
            # the preview of exactly that message and audience. SQLite cannot relax NOT NULL in
            # place, so both tables are rebuilt; deliveries first point at the new broadcasts,
            # so dropping the old ones deletes nothing. Ids are never reused (AUTOINCREMENT):
            # a button naming a discarded draft must not name the next one.
            """
            CREATE TABLE broadcasts_new (
                id                  INTEGER PRIMARY KEY AUTOINCREMENT,
                organizer_id        INTEGER NOT NULL,  -- who created it; 0 once they /forget
                from_chat_id        INTEGER NOT NULL,  -- the message to copy: its chat ...
                message_id          INTEGER NOT NULL,  -- ... and id (copy_message)
                kind                TEXT    NOT NULL,  -- text | photo
                audience            TEXT,              -- NULL until picked | all | lang:es |
                                                       -- state:TX | pledged_not_sent |
                                                       -- source:CODE
                status              TEXT    NOT NULL,  -- draft | scheduled | sending |
                                                       -- cancelled | done
                scheduled_at        INTEGER,           -- unix seconds, for scheduled ones
                created_at          INTEGER NOT NULL,
                started_at          INTEGER,
                finished_at         INTEGER,
                progress_chat_id    INTEGER,           -- the organizer's progress message
                progress_message_id INTEGER,
                preview_audience    TEXT               -- audience of the last preview shown
            ) STRICT
            """,
            """
            INSERT INTO broadcasts_new (id, organizer_id, from_chat_id, message_id, kind,
                audience, status, scheduled_at, created_at, started_at, finished_at,
                progress_chat_id, progress_message_id)
            SELECT id, organizer_id, from_chat_id, message_id, kind,
                CASE WHEN status = 'draft' THEN NULL ELSE audience END, status, scheduled_at,
                created_at, started_at, finished_at, progress_chat_id, progress_message_id
            FROM broadcasts
            """,
            """
            CREATE TABLE deliveries_new (
                broadcast_id INTEGER NOT NULL REFERENCES broadcasts_new (id) ON DELETE CASCADE,
                user_id      INTEGER NOT NULL,
                status       TEXT    NOT NULL,  -- pending | sending | delivered | blocked |
                                                -- failed | unknown | skipped
                error        TEXT,              -- Telegram's reason, for failed
                updated_at   INTEGER NOT NULL,
                PRIMARY KEY (broadcast_id, user_id)
            ) STRICT, WITHOUT ROWID
            """,
            "INSERT INTO deliveries_new SELECT * FROM deliveries",
            "DROP TABLE deliveries",
            "DROP TABLE broadcasts",
            # Renaming the parent rewrites the child's REFERENCES clause to the new name.
            "ALTER TABLE broadcasts_new RENAME TO broadcasts",
            "ALTER TABLE deliveries_new RENAME TO deliveries",
            "CREATE INDEX deliveries_by_status ON deliveries (broadcast_id, status, user_id)",
            "CREATE INDEX broadcasts_by_status ON broadcasts (status, scheduled_at)",
            # Delivery rows past their retention period, counted per status with no user id:
            # a broadcast's report outlives the list of who received it.
            """
            CREATE TABLE delivery_counts (
                broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
                status       TEXT    NOT NULL,
                count        INTEGER NOT NULL,
                PRIMARY KEY (broadcast_id, status)
            ) STRICT, WITHOUT ROWID
            """,
        ),
    ),
    Migration(
        "0009_campaign_letters",
        (
            # Letters the campaign delivers for its supporters (bot/deliveries.py). A batch is
            # what organizers exported together and then delivered; it keeps the ids of the
            # letters exported (no user id), so a letter its sender withdrew since can be named.
            """
            CREATE TABLE letter_batches (
                id           INTEGER PRIMARY KEY AUTOINCREMENT,
                created_at   INTEGER NOT NULL,  -- when organizers exported it
                first_at     INTEGER NOT NULL,  -- consent times of its first and last letters
                last_at      INTEGER NOT NULL,
                exported     TEXT    NOT NULL,  -- ids of the letters exported, comma-separated
                count        INTEGER NOT NULL,  -- letters exported; once delivered, delivered
                delivered_on TEXT,              -- YYYY-MM-DD, once delivered
                how          TEXT,              -- hand | mail, once delivered
                marked_at    INTEGER            -- when it was marked delivered
            ) STRICT
            """,
            # One row per letter a supporter confirmed for delivery. Once delivered and past
            # OUTREACH_LETTER_RETENTION_DAYS (or at the sender's /forget), only a count is left:
            # no text, no name, no user id, the day of consent instead of the time.
            """
            CREATE TABLE campaign_letters (
                id          INTEGER PRIMARY KEY AUTOINCREMENT,  -- its reference on its page
                user_id     INTEGER REFERENCES users (user_id) ON DELETE CASCADE,
                language    TEXT    NOT NULL,
                subject     TEXT,              -- exactly as shown to the sender
                body        TEXT,
                sign_name   TEXT,              -- as it is signed, if given
                sign_place  TEXT,
                consent_at  INTEGER NOT NULL,  -- when the sender confirmed this delivery
                notify      INTEGER NOT NULL DEFAULT 0,  -- 1: tell the sender once delivered
                notified_at INTEGER,
                status      TEXT    NOT NULL DEFAULT 'queued',  -- queued | delivered
                batch_id    INTEGER REFERENCES letter_batches (id)  -- once exported
            ) STRICT
            """,
            # A supporter has at most one letter waiting: a count of letters is a count of people.
            "CREATE UNIQUE INDEX campaign_letters_one_waiting ON campaign_letters (user_id)"
            " WHERE status = 'queued'",
            "CREATE INDEX campaign_letters_by_batch ON campaign_letters (batch_id, status)",
            "CREATE INDEX campaign_letters_by_consent ON campaign_letters (status, consent_at)",
        ),
    ),
    Migration(
        "0010_congress_outcomes",
        (
            # What supporters said they did about a member of Congress ("I called", "I wrote",
            # "No answer"), counted per day, member and chamber: no user id, no ZIP code.
            """
            CREATE TABLE congress_outcomes (
                day       TEXT    NOT NULL,  -- YYYY-MM-DD, UTC
                member_id TEXT    NOT NULL,  -- Bioguide id
                chamber   TEXT    NOT NULL,  -- senate | house
                outcome   TEXT    NOT NULL,  -- called | wrote | noanswer
                count     INTEGER NOT NULL,
                PRIMARY KEY (day, member_id, chamber, outcome)
            ) STRICT, WITHOUT ROWID
            """,
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class User:
    user_id: int
    language: str
    language_set: bool
    source: str | None
    first_seen: int
    last_seen: int
    reachable: bool = True


@dataclass(frozen=True, slots=True)
class Pledge:
    user_id: int
    number: int
    first_name: str | None
    state: str | None
    pledged_at: int


@dataclass(frozen=True, slots=True)
class Draft:
    user_id: int
    step: str
    language: str
    seed: int
    role: str | None
    reasons: tuple[str, ...]
    story: str | None
    sign_name: str | None
    sign_place: str | None
    editing: bool
    reached: frozenset[str]
    started_at: int
    updated_at: int
    completed_at: int | None
    outcome: str | None
    local_state: str | None = None
    local_county: str | None = None


DRAFT_FIELDS = (
    "step",
    "role",
    "reasons",
    "story",
    "sign_name",
    "sign_place",
    "editing",
    "seed",
    "local_state",
    "local_county",
)
SELECT_DRAFT = (
    "SELECT user_id, step, language, seed, role, reasons, story, sign_name, sign_place, editing,"
    " reached, started_at, updated_at, completed_at, outcome, local_state, local_county"
    " FROM drafts WHERE user_id = ?"
)

SELECT_USER = (
    "SELECT user_id, language, language_set, source, first_seen, last_seen, reachable"
    " FROM users WHERE user_id = ?"
)
SELECT_PLEDGE = (
    "SELECT user_id, number, first_name, state, pledged_at FROM pledges WHERE user_id = ?"
)


# What /forget does before deleting every row with the user's id (each takes their user id):
# a letter the campaign already delivered is out of the bot's hands, so it stays counted, as
# the retention period would leave it — without text, name, user id or time of day.
FORGET_FIRST = (
    "UPDATE campaign_letters SET user_id = NULL, subject = NULL, body = NULL, sign_name = NULL,"
    " sign_place = NULL, notify = 0, notified_at = NULL, consent_at = consent_at - consent_at"
    " % 86400 WHERE user_id = ? AND status = 'delivered'",
)

# What /forget changes in the broadcasts an organizer created (each takes their user id).
FORGET_ORGANIZER = (
    "DELETE FROM broadcasts WHERE organizer_id = ? AND status = 'draft'",
    # A finished broadcast no longer needs the chat its message was copied from.
    "UPDATE broadcasts SET from_chat_id = 0"
    " WHERE from_chat_id = ?1 AND status IN ('done', 'cancelled')",
    "UPDATE broadcasts SET organizer_id = 0, progress_chat_id = NULL, progress_message_id = NULL"
    " WHERE organizer_id = ?1",
)


# Adds to today's counter of an event: (day, event, lang, source, amount).
COUNT_EVENT = (
    "INSERT INTO daily_counts (day, event, lang, source, count) VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (day, event, lang, source) DO UPDATE SET count = count + excluded.count"
)


# Adds one to today's count of an outcome for a member: (day, member_id, chamber, outcome).
COUNT_CONGRESS_OUTCOME = (
    "INSERT INTO congress_outcomes (day, member_id, chamber, outcome, count) VALUES (?, ?, ?, ?, 1)"
    " ON CONFLICT (day, member_id, chamber, outcome) DO UPDATE SET count = count + 1"
)


@dataclass(frozen=True, slots=True)
class CongressOutcome:
    """One day's count of one outcome for one member of Congress."""

    day: str  # YYYY-MM-DD, UTC
    member_id: str
    chamber: str
    outcome: str
    count: int


def utc_day(ts: float) -> str:
    """The UTC day of a unix time, as YYYY-MM-DD (the days of ``daily_counts``)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


CountKey = tuple[str, str, str, str]  # a daily counter: (day, event, lang, source)
CACHE_SIZE = 10_000  # users (and their steps) kept in memory, the least recently used dropped
UPDATE_LAST_SEEN = "UPDATE users SET last_seen = MAX(last_seen, ?) WHERE user_id = ?"


class _UpdateWrites:
    """The writes of one update (:meth:`Storage.update_scope`): whether its transaction is
    open, and the counters it added while none was."""

    __slots__ = ("counts", "open", "storage", "task")

    def __init__(self, storage: Storage, task: asyncio.Task[Any] | None) -> None:
        self.storage = storage
        self.task = task
        self.open = False
        self.counts: dict[CountKey, int] = {}


_UPDATE: ContextVar[_UpdateWrites | None] = ContextVar("outreach_update_writes", default=None)


# The two context managers below are classes rather than @asynccontextmanager generators:
# they run several times for every update, and a generator costs about four times as much.


class _Transaction:
    """:meth:`Storage.transaction`."""

    __slots__ = ("_scope", "_storage")

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self._scope: _UpdateWrites | None = None

    async def __aenter__(self) -> Connection:
        storage = self._storage
        scope = self._scope = storage._scope()
        if scope is None or not scope.open:
            await storage._begin()
            if scope is not None:
                scope.open = True
        return storage._conn

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is not None:
            await self._storage._undo(exc, self._scope)
        elif self._scope is None:
            await self._storage._commit()


class _UpdateScope:
    """:meth:`Storage.update_scope`."""

    __slots__ = ("_scope", "_storage", "_token")

    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    async def __aenter__(self) -> None:
        self._scope = _UpdateWrites(self._storage, asyncio.current_task())
        self._token = _UPDATE.set(self._scope)

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        storage, scope = self._storage, self._scope
        _UPDATE.reset(self._token)
        if exc is not None:
            if scope.open:
                scope.open = False
                await storage._roll_back()
            storage._batch_counts(scope.counts)
            return
        try:
            await storage._commit_update(scope)
        finally:
            storage._batch_counts(scope.counts)


class Storage:
    """The bot's database. Open with :meth:`open`, close with :meth:`close`."""

    def __init__(self, conn: Connection, clock: Callable[[], float]) -> None:
        self._conn = conn
        self._clock = clock
        # One connection serves every coroutine: the lock keeps one transaction's statements
        # from interleaving with another's.
        self._lock = asyncio.Lock()
        self._users: OrderedDict[int, User] = OrderedDict()
        self._steps: OrderedDict[int, str | None] = OrderedDict()
        self._drafts: OrderedDict[int, Draft | None] = OrderedDict()
        self._epoch = 0  # moves on at every change of a cached value (see _cache_if_unchanged)
        self._changed: set[int] = set()  # users whose cached values the open transaction set
        self._seen: dict[int, int] = {}  # last_seen times not yet written
        self._counts: dict[CountKey, int] = {}  # counter increments not yet written
        self._write_listeners: list[Callable[[bool], None]] = []

    @classmethod
    async def open(cls, path: Path | str, clock: Callable[[], float] = time.time) -> Storage:
        """Open (creating it readable only by its owner) and migrate the database at ``path``."""
        if str(path) != ":memory:":
            _create_private_file(Path(path))
        try:
            conn = await Connection.open(str(path))
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open database {str(path)!r}: {exc}") from exc
        storage = cls(conn, clock)
        try:
            await conn.execute("PRAGMA foreign_keys = ON")
            # Deleted rows are overwritten with zeros, not just unlinked: /forget leaves no
            # readable name or story in free pages.
            await conn.execute("PRAGMA secure_delete = ON")
            if str(path) != ":memory:":
                await conn.execute("PRAGMA journal_mode = WAL")
                await conn.execute("PRAGMA synchronous = NORMAL")
                # Checkpoints run in the worker thread when asked for (see bot.database), not
                # on the event loop at whichever commit fills the log.
                await conn.execute("PRAGMA wal_autocheckpoint = 0")
            await storage._migrate()
        except (sqlite3.Error, StorageError) as exc:
            await conn.close()
            raise StorageError(f"cannot prepare database {str(path)!r}: {exc}") from exc
        except BaseException:
            await conn.close()
            raise
        return storage

    async def close(self) -> None:
        """Write what is batched in memory (see :meth:`flush`), then close the database."""
        try:
            await self.flush()
        except StorageError as exc:
            log.warning("last_seen times and counters kept in memory were lost: %s", exc)
        await self._conn.close()

    def now(self) -> int:
        return int(self._clock())

    def on_write(self, listener: Callable[[bool], None]) -> None:
        """Call ``listener(True)`` after each committed write transaction, and
        ``listener(False)`` whenever the database refuses a write (:class:`CannotWrite`)."""
        self._write_listeners.append(listener)

    # -- transactions -------------------------------------------------------------------------

    def transaction(self) -> _Transaction:
        """Run the block in one write transaction; roll back on any error.

        Within :meth:`update_scope` the block joins the update's transaction instead (opening it
        if it is the update's first write); an error then rolls all of it back.
        """
        return _Transaction(self)

    async def _undo(self, exc: BaseException, scope: _UpdateWrites | None) -> None:
        """Roll back after the block of a transaction raised ``exc`` (``scope``'s transaction,
        if given); a database error is raised as what it means (:meth:`_refused`), anything
        else is left for the caller to raise."""
        if scope is not None:
            scope.open = False
        await self._roll_back()
        if isinstance(exc, sqlite3.Error):
            raise self._refused(exc) from exc

    def update_scope(self) -> _UpdateScope:
        """Make the writes of one update (the block, in the calling task) one transaction.

        The transaction opens at the first write and is committed by :meth:`commit_pending`
        (before the bot's next Bot API call) or when the block ends; the block raising rolls
        back what is not committed yet. Counters the update adds while no transaction is open
        go into its transaction if one opens later, else into the batch :meth:`flush` writes.
        """
        return _UpdateScope(self)

    async def commit_pending(self) -> None:
        """Commit the calling update's transaction now, if it has one open: what the bot is
        about to tell the user is saved first. Raises :class:`StorageError` if it fails."""
        scope = self._scope()
        if scope is not None:
            await self._commit_update(scope)

    async def _commit_update(self, scope: _UpdateWrites) -> None:
        if not scope.open:
            return
        scope.open = False
        if scope.counts:
            try:
                await self._conn.executemany(
                    COUNT_EVENT, [(*key, amount) for key, amount in scope.counts.items()]
                )
            except BaseException as exc:
                await self._undo(exc, None)
                raise
            scope.counts.clear()
        await self._commit()

    def _scope(self) -> _UpdateWrites | None:
        """The update the calling task is handling, if any (tasks it starts have their own)."""
        scope = _UPDATE.get()
        if scope is None or scope.storage is not self or scope.task is not asyncio.current_task():
            return None
        return scope

    async def _begin(self) -> None:
        """Take the lock and begin a write transaction; the lock is held on return."""
        await self._lock.acquire()
        try:
            await self._conn.execute("BEGIN IMMEDIATE")
        except BaseException as exc:
            self._lock.release()
            if isinstance(exc, sqlite3.Error):
                raise self._refused(exc) from exc
            raise

    async def _commit(self) -> None:
        """Commit and release the lock; a commit that fails is rolled back."""
        try:
            await self._conn.execute("COMMIT")
        except BaseException as exc:
            await self._roll_back()
            if isinstance(exc, sqlite3.Error):
                raise self._refused(exc) from exc
            raise
        self._changed.clear()
        self._lock.release()
        for listener in self._write_listeners:
            listener(True)

    async def _roll_back(self) -> None:
        """Roll back the open transaction, forget what it cached, release the lock."""
        try:
            await self._rollback_quietly()
        finally:
            for user_id in self._changed:
                self._users.pop(user_id, None)
                self._steps.pop(user_id, None)
                self._drafts.pop(user_id, None)
            self._changed.clear()
            self._epoch += 1
            self._lock.release()

    def _refused(self, exc: sqlite3.Error) -> StorageError:
        error = _storage_error(exc)
        if isinstance(error, CannotWrite):
            for listener in self._write_listeners:
                listener(False)
        return error

    @asynccontextmanager
    async def _exclusive(self) -> AsyncIterator[None]:
        """The connection to oneself, with no transaction open (the update's is committed)."""
        await self.commit_pending()
        async with self._lock:
            yield

    async def writable(self) -> bool:
        """Whether the database takes writes now: False for a read-only file or file system.
        Changes nothing (a write that touches no row, rolled back)."""
        async with self._exclusive():
            try:
                await self._conn.execute("BEGIN IMMEDIATE")
                try:
                    await self._conn.execute("UPDATE migrations SET name = name WHERE 0")
                finally:
                    await self._rollback_quietly()
            except sqlite3.Error as exc:
                error = _storage_error(exc)
                if isinstance(error, CannotWrite):
                    return False
                raise error from exc
        return True

    async def _rollback_quietly(self) -> None:
        # SQLite may already have rolled back by itself (it does on some errors, e.g. disk full).
        with contextlib.suppress(sqlite3.Error):
            await self._conn.execute("ROLLBACK")

    # -- what is kept in memory ---------------------------------------------------------------

    def _cached_user(self, user_id: int) -> User | None:
        user = self._users.get(user_id)
        if user is not None:
            self._users.move_to_end(user_id)
        return user

    def _cache(self, table: OrderedDict[int, Any], user_id: int, value: Any) -> None:
        table[user_id] = value
        table.move_to_end(user_id)
        if len(table) > CACHE_SIZE:
            table.popitem(last=False)

    def _cache_if_unchanged(
        self, table: OrderedDict[int, Any], user_id: int, value: Any, epoch: int
    ) -> None:
        """Cache a value read from the database, unless something changed while it was read
        (the read could have seen another coroutine's transaction before it rolled back)."""
        if epoch == self._epoch:
            self._cache(table, user_id, value)

    def _changing(self, user_id: int) -> None:
        """The open transaction changes what is cached about ``user_id``: forgotten if it rolls
        back."""
        self._changed.add(user_id)
        self._epoch += 1

    def drop_cached(self, user_id: int) -> None:
        """Forget what is cached about the user (after a change made with SQL elsewhere)."""
        self._users.pop(user_id, None)
        self._steps.pop(user_id, None)
        self._drafts.pop(user_id, None)
        self._epoch += 1

    def _batch_counts(self, counts: dict[CountKey, int]) -> None:
        for key, amount in counts.items():
            self._counts[key] = self._counts.get(key, 0) + amount
        counts.clear()

    async def flush(self) -> int:
        """Write the last_seen times and counters batched in memory, in one transaction;
        return how many were written. If it fails they stay batched and the error is raised."""
        if not self._seen and not self._counts:
            return 0
        seen, counts = self._seen, self._counts
        self._seen, self._counts = {}, {}
        try:
            async with self.transaction() as conn:
                await conn.executemany(UPDATE_LAST_SEEN, [(t, u) for u, t in seen.items()])
                await conn.executemany(COUNT_EVENT, [(*k, n) for k, n in counts.items()])
        except BaseException:
            for user_id, at in seen.items():
                self._seen[user_id] = max(at, self._seen.get(user_id, 0))
            self._batch_counts(counts)
            raise
        return len(seen) + len(counts)

    # Public helpers for reporting and outbox modules that keep their own intent-named methods
    # (bot/outbox.py, bot/stats.py): the same connection, lock and error translation.

    async def fetchall(
        self, sql: str, params: tuple[object, ...] = (), *, slow: bool = False
    ) -> list[sqlite3.Row]:
        """Run a read-only query; ``slow`` (one that reads whole tables, for a report) runs it
        in the worker thread, so the bot goes on answering meanwhile."""
        return await self._fetchall(sql, params, slow=slow)

    async def fetchone(
        self, sql: str, params: tuple[object, ...] = (), *, slow: bool = False
    ) -> sqlite3.Row | None:
        """Run a read-only query for one row (``slow``: as for :meth:`fetchall`)."""
        return await self._fetchone(sql, params, slow=slow)

    async def write(self, sql: str, params: tuple[object, ...] = ()) -> int:
        """Run one write statement in its own transaction (the update's, within one); return
        the rows changed."""
        return await self._write(sql, params)

    async def _write(self, sql: str, params: tuple[object, ...] = ()) -> int:
        """Run one write statement in a transaction; return the rows changed."""
        try:
            async with self.transaction() as conn:
                cursor = await conn.execute(sql, params)
                return cursor.rowcount
        except sqlite3.Error as exc:
            raise _storage_error(exc) from exc

    async def _fetchone(
        self, sql: str, params: tuple[object, ...] = (), *, slow: bool = False
    ) -> sqlite3.Row | None:
        """The first row of a query meant to return at most one (by key, an aggregate or
        ``LIMIT 1``)."""
        rows = await self._fetchall(sql, params, slow=slow)
        return rows[0] if rows else None

    async def _fetchall(
        self, sql: str, params: tuple[object, ...] = (), *, slow: bool = False
    ) -> list[sqlite3.Row]:
        try:
            return await self._conn.execute_fetchall(sql, params, slow=slow)
        except sqlite3.Error as exc:
            raise _storage_error(exc) from exc

    # -- migrations -------------------------------------------------------------------------

    async def _migrate(self) -> None:
        await self._conn.execute(
            "CREATE TABLE IF NOT EXISTS migrations ("
            " name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT"
        )
        applied = {row[0] for row in await self._fetchall("SELECT name FROM migrations")}
        for migration in MIGRATIONS:
            if migration.name in applied:
                continue
            async with self.transaction() as conn:
                for statement in migration.statements:
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO migrations (name, applied_at) VALUES (?, ?)",
                    (migration.name, self.now()),
                )

    async def applied_migrations(self) -> list[str]:
        rows = await self._fetchall("SELECT name FROM migrations ORDER BY name")
        return [row[0] for row in rows]

    # -- users ------------------------------------------------------------------------------

    async def get_user(self, user_id: int) -> User | None:
        """The stored user (from memory once read), with the latest time they were seen."""
        user = self._cached_user(user_id)
        if user is None:
            epoch = self._epoch
            row = await self._fetchone(SELECT_USER, (user_id,))
            if row is None:
                return None
            user = _user(row)
            self._cache_if_unchanged(self._users, user_id, user, epoch)
        seen = self._seen.get(user_id)
        return replace(user, last_seen=seen) if seen and seen > user.last_seen else user

    async def touch_user(
        self, user_id: int, language: str, source: str | None = None
    ) -> tuple[User, bool]:
        """Record that ``user_id`` was seen now; create them if new. Returns (user, is_new).

        ``source`` is recorded only for a new user: the first link that brought someone counts.
        A known user costs no write: the time is batched in memory (see :meth:`flush`). A new
        user's row is written at once, since what they do next may store rows that refer to it.
        """
        now = self.now()
        user = await self.get_user(user_id)
        if user is None:
            async with self.transaction() as conn:
                cursor = await conn.execute(
                    "INSERT INTO users (user_id, language, source, first_seen, last_seen)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id) DO NOTHING",
                    (user_id, language, source, now, now),
                )
                is_new = cursor.rowcount == 1
                if is_new:  # the row as inserted, the other columns at their defaults
                    user = User(user_id, language, False, source, now, now)
                else:  # inserted meanwhile by another update of the same user
                    (row,) = await conn.execute_fetchall(SELECT_USER, (user_id,))
                    user = _user(row)
                self._changing(user_id)
                self._cache(self._users, user_id, user)
            if is_new:
                return user, True
        self._seen[user_id] = now
        return (user if user.last_seen == now else replace(user, last_seen=now)), False

    async def set_language(self, user_id: int, language: str) -> None:
        """Store the language the user chose."""
        async with self.transaction() as conn:
            await conn.execute(
                "UPDATE users SET language = ?, language_set = 1 WHERE user_id = ?",
                (language, user_id),
            )
            self._user_changed(user_id, language=language, language_set=True)

    async def set_reachable(self, user_id: int, reachable: bool) -> None:
        """Mark whether the bot can message the user (False once they block it)."""
        async with self.transaction() as conn:
            await conn.execute(
                "UPDATE users SET reachable = ? WHERE user_id = ?", (int(reachable), user_id)
            )
            self._user_changed(user_id, reachable=reachable)

    def _user_changed(self, user_id: int, **changes: Any) -> None:
        """Inside a write transaction: the cached user gets the same ``changes`` as the row."""
        self._changing(user_id)
        cached = self._users.get(user_id)
        if cached is not None:
            self._users[user_id] = replace(cached, **changes)

    # -- pledges ----------------------------------------------------------------------------

    async def record_pledge(self, user_id: int) -> tuple[Pledge, bool]:
        """Record the user's pledge; pledging again changes nothing. Returns (pledge, is_new)."""
        try:
            async with self.transaction() as conn:
                cursor = await conn.execute(
                    "INSERT INTO pledges (user_id, number, pledged_at)"
                    " SELECT ?, COALESCE(MAX(number), 0) + 1, ? FROM pledges"
                    " WHERE true ON CONFLICT (user_id) DO NOTHING",
                    (user_id, self.now()),
                )
                is_new = cursor.rowcount == 1
                (row,) = await conn.execute_fetchall(SELECT_PLEDGE, (user_id,))
        except sqlite3.Error as exc:
            raise _storage_error(exc) from exc
        return _pledge(row), is_new

    async def get_pledge(self, user_id: int) -> Pledge | None:
        row = await self._fetchone(SELECT_PLEDGE, (user_id,))
        return _pledge(row) if row else None

    async def set_pledge_name(self, user_id: int, first_name: str | None) -> bool:
        """Set (or clear) the optional first name; False if there is no pledge."""
        changed = await self._write(
            "UPDATE pledges SET first_name = ? WHERE user_id = ?", (first_name, user_id)
        )
        return changed == 1

    async def set_pledge_state(self, user_id: int, state: str | None) -> bool:
        """Set (or clear) the optional US state code; False if there is no pledge."""
        changed = await self._write(
            "UPDATE pledges SET state = ? WHERE user_id = ?", (state, user_id)
        )
        return changed == 1

    async def withdraw_pledge(self, user_id: int) -> bool:
        """Delete the user's pledge; False if there was none."""
        return await self._write("DELETE FROM pledges WHERE user_id = ?", (user_id,)) == 1

    async def pledge_count(self) -> int:
        row = await self._fetchone("SELECT COUNT(*) FROM pledges")
        return int(row[0]) if row else 0

    # -- subscriptions ----------------------------------------------------------------------

    async def subscribe(self, user_id: int) -> bool:
        """Record consent to updates; False if already subscribed."""
        return (
            await self._write(
                "INSERT INTO subscriptions (user_id, consent_at) VALUES (?, ?)"
                " ON CONFLICT (user_id) DO NOTHING",
                (user_id, self.now()),
            )
            == 1
        )

    async def unsubscribe(self, user_id: int) -> bool:
        """Withdraw consent to updates; False if not subscribed."""
        return await self._write("DELETE FROM subscriptions WHERE user_id = ?", (user_id,)) == 1

    async def is_subscribed(self, user_id: int) -> bool:
        row = await self._fetchone("SELECT 1 FROM subscriptions WHERE user_id = ?", (user_id,))
        return row is not None

    # -- conversation steps -----------------------------------------------------------------

    async def set_step(self, user_id: int, step: str | None) -> None:
        """Remember which typed answer the bot waits for from the user (None: nothing; no
        write when there was nothing to forget)."""
        if step is None and await self.get_step(user_id) is None:
            return
        async with self.transaction() as conn:
            if step is None:
                await conn.execute("DELETE FROM conversations WHERE user_id = ?", (user_id,))
            else:
                await conn.execute(
                    "INSERT INTO conversations (user_id, step, updated_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (user_id) DO UPDATE SET step = excluded.step,"
                    " updated_at = excluded.updated_at",
                    (user_id, step, self.now()),
                )
            self._changing(user_id)
            self._cache(self._steps, user_id, step)

    async def claim_answer(self, user_id: int, message_id: int) -> bool:
        """Record that message ``message_id`` answers the awaited step; False if it (or a later
        message) already did — a message Telegram delivered a second time."""
        return (
            await self._write(
                "UPDATE users SET last_answer_id = ?"
                " WHERE user_id = ? AND COALESCE(last_answer_id, 0) < ?",
                (message_id, user_id, message_id),
            )
            == 1
        )

    async def last_message_id(self, chat_id: int) -> int:
        """The highest message id of a private chat this database remembers (0 if none).

        A chat the bot simulates itself (the terminal chat) numbers its messages after it, as
        Telegram does, so an answer already taken (``claim_answer``) is never confused with a
        new one.
        """
        row = await self._fetchone(
            "SELECT MAX(id) FROM ("
            " SELECT last_answer_id AS id FROM users WHERE user_id = ?"
            " UNION ALL SELECT message_id FROM broadcasts WHERE from_chat_id = ?"
            " UNION ALL SELECT progress_message_id FROM broadcasts WHERE progress_chat_id = ?)",
            (chat_id, chat_id, chat_id),
        )
        return int(row[0]) if row is not None and row[0] is not None else 0

    async def clear_step(self, user_id: int) -> None:
        """Forget any awaited answer; the common case (none) writes nothing."""
        await self.set_step(user_id, None)

    async def get_step(self, user_id: int) -> str | None:
        if user_id in self._steps:
            self._steps.move_to_end(user_id)
            return self._steps[user_id]
        epoch = self._epoch
        row = await self._fetchone("SELECT step FROM conversations WHERE user_id = ?", (user_id,))
        step = str(row[0]) if row else None
        self._cache_if_unchanged(self._steps, user_id, step, epoch)
        return step

    # -- comment drafts ---------------------------------------------------------------------

    async def get_draft(self, user_id: int) -> Draft | None:
        """The user's comment draft, kept in memory once read (every change to a draft is made
        here, and keeps it or forgets it)."""
        if user_id in self._drafts:
            self._drafts.move_to_end(user_id)
            return self._drafts[user_id]
        epoch = self._epoch
        row = await self._fetchone(SELECT_DRAFT, (user_id,))
        draft = _draft(row) if row else None
        self._cache_if_unchanged(self._drafts, user_id, draft, epoch)
        return draft

    async def start_draft(self, user_id: int, language: str, seed: int, step: str) -> Draft:
        """A fresh draft, replacing any earlier one (a finished draft is not resumed)."""
        now = self.now()
        await self._write(
            "INSERT OR REPLACE INTO drafts (user_id, step, language, seed, started_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (user_id, step, language, seed, now, now),
        )
        self._draft_changed(user_id)
        draft = await self.get_draft(user_id)
        assert draft is not None
        return draft

    async def update_draft(self, user_id: int, **fields: object) -> bool:
        """Change some fields of the draft; False if there is no draft."""
        unknown = set(fields) - set(DRAFT_FIELDS)
        if unknown:
            raise ValueError(f"not draft fields: {sorted(unknown)}")
        values = [",".join(v) if isinstance(v, tuple) else v for v in fields.values()]
        columns = ", ".join(f"{name} = ?" for name in fields)  # names from DRAFT_FIELDS only
        now = self.now()
        changed = await self._write(
            f"UPDATE drafts SET {columns}, updated_at = ? WHERE user_id = ?",  # noqa: S608
            (*values, now, user_id),
        )
        if changed != 1:
            self._draft_changed(user_id)
            return False
        # What reading the row back would give (see _draft).
        read_back = dict(zip(fields, values, strict=True), updated_at=now)
        if "reasons" in read_back:
            read_back["reasons"] = _listed(read_back["reasons"])
        if "editing" in read_back:
            read_back["editing"] = bool(read_back["editing"])
        self._draft_changed(user_id, read_back)
        return True

    def _draft_changed(self, user_id: int, read_back: dict[str, object] | None = None) -> None:
        """The user's draft was just changed: what is kept of it gets ``read_back`` (its
        changed fields as a read would give them), or is forgotten without it. Within an
        update's open transaction, a roll back forgets it (and all else kept about the user)."""
        kept = self._drafts.pop(user_id, None)
        self._changing(user_id)
        if kept is not None and read_back is not None:
            self._cache(self._drafts, user_id, replace(kept, **read_back))  # type: ignore[arg-type]

    async def reach(
        self, user_id: int, step: str, lang: str, source: str | None, event: str | None = None
    ) -> bool:
        """Count a funnel step once per draft (a daily counter with no user id): the counter is
        ``event``, by default ``funnel:<step>``; False if the draft had reached it already."""
        try:
            async with self.transaction() as conn:
                rows = await conn.execute_fetchall(
                    "SELECT reached FROM drafts WHERE user_id = ?", (user_id,)
                )
                row = rows[0] if rows else None
                if row is None or step in str(row[0]).split(","):
                    return False
                reached = ",".join(filter(None, [*str(row[0]).split(","), step]))
                await conn.execute(
                    "UPDATE drafts SET reached = ? WHERE user_id = ?", (reached, user_id)
                )
                self._draft_changed(user_id, {"reached": _set(reached)})
                await conn.execute(
                    "INSERT INTO daily_counts (day, event, lang, source, count)"
                    " VALUES (?, ?, ?, ?, 1) ON CONFLICT (day, event, lang, source)"
                    " DO UPDATE SET count = count + 1",
                    (utc_day(self.now()), event or f"funnel:{step}", lang, source or ""),
                )
        except sqlite3.Error as exc:
            raise _storage_error(exc) from exc
        return True

    async def finish_draft(self, user_id: int, outcome: str) -> None:
        """Record the outcome; a sent draft is complete and starts its retention period."""
        completed = self.now() if outcome == "sent" else None
        await self._write(
            "UPDATE drafts SET outcome = ?, completed_at = COALESCE(?, completed_at),"
            " updated_at = ? WHERE user_id = ?",
            (outcome, completed, self.now(), user_id),
        )
        self._draft_changed(user_id)

    async def delete_draft(self, user_id: int) -> bool:
        deleted = await self._write("DELETE FROM drafts WHERE user_id = ?", (user_id,)) == 1
        self._draft_changed(user_id)
        return deleted

    async def purge_drafts(self, older_than: int) -> int:
        """Delete drafts completed, or untouched, before ``older_than``; return how many."""
        purged = await self._write(
            "DELETE FROM drafts WHERE COALESCE(completed_at, updated_at) < ?", (older_than,)
        )
        if purged:
            self._drafts.clear()
            self._epoch += 1
        return purged

    # -- reminders ----------------------------------------------------------------------------

    async def schedule_reminder(self, user_id: int, due_at: int) -> None:
        """One reminder per user; scheduling again moves it."""
        await self._write(
            "INSERT INTO reminders (user_id, due_at) VALUES (?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET due_at = excluded.due_at",
            (user_id, due_at),
        )

    async def due_reminders(self, now: int, limit: int = 100) -> list[int]:
        rows = await self._fetchall(
            "SELECT user_id FROM reminders WHERE due_at <= ? ORDER BY due_at LIMIT ?",
            (now, limit),
        )
        return [int(row[0]) for row in rows]

    async def cancel_reminder(self, user_id: int) -> bool:
        return await self._write("DELETE FROM reminders WHERE user_id = ?", (user_id,)) == 1

    # -- everything about one user -----------------------------------------------------------

    async def _user_tables(self) -> list[str]:
        """Every table with a ``user_id`` column: where data about a person can live."""
        tables = await self._fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name"
        )
        found = []
        for (name,) in tables:
            columns = await self._fetchall("SELECT name FROM pragma_table_info(?)", (name,))
            if any(column[0] == "user_id" for column in columns):
                found.append(str(name))
        return found

    async def user_data(self, user_id: int) -> dict[str, list[dict[str, object]]]:
        """Every row about the user, per table (for /mydata). Covers tables added later too."""
        data: dict[str, list[dict[str, object]]] = {}
        for table in await self._user_tables():
            # Table names come from the schema, never from users; values are parameters.
            rows = await self._fetchall(f'SELECT * FROM "{table}" WHERE user_id = ?', (user_id,))  # noqa: S608
            if rows:
                data[table] = [dict(zip(row.keys(), tuple(row), strict=True)) for row in rows]
        seen = self._seen.get(user_id)
        for row in data.get("users", []):
            if seen is not None and seen > int(str(row["last_seen"])):
                row["last_seen"] = seen  # still in memory, not written yet
        return data

    async def forget_user(self, user_id: int) -> bool:
        """Delete every row about the user in every table, at once; False if there was none.

        An organizer's unsent drafts go too, and the broadcasts they sent stay without their
        id (author 0, no progress message; the chat the message was copied from only until a
        scheduled or running one ends). Afterwards the write-ahead log is checkpointed and
        truncated, so the deleted rows survive in no file (``secure_delete`` zeroes them in the
        database itself). Aggregate counters carry no user id and stay.
        """
        tables = await self._user_tables()
        deleted = 0
        self._seen.pop(user_id, None)
        try:
            async with self.transaction() as conn:
                self._changing(user_id)
                self._users.pop(user_id, None)
                self._steps.pop(user_id, None)
                self._drafts.pop(user_id, None)
                for statement in FORGET_FIRST:
                    cursor = await conn.execute(statement, (user_id,))
                    deleted += max(cursor.rowcount, 0)
                for table in sorted(tables, key=lambda name: name == "users"):
                    cursor = await conn.execute(
                        f'DELETE FROM "{table}" WHERE user_id = ?',  # noqa: S608 - schema name
                        (user_id,),
                    )
                    deleted += max(cursor.rowcount, 0)
                for statement in FORGET_ORGANIZER:
                    cursor = await conn.execute(statement, (user_id,))
                    deleted += max(cursor.rowcount, 0)
        except sqlite3.Error as exc:
            raise _storage_error(exc) from exc
        await self._checkpoint()
        return deleted > 0

    async def _checkpoint(self) -> None:
        """Copy the write-ahead log into the database and empty it (after /forget)."""
        try:
            busy = await self.checkpoint(empty=True)
        except StorageError as exc:  # the deletion itself is committed: say so, go on
            log.warning("write-ahead log not checkpointed after /forget: %s", exc)
            return
        if busy:
            log.warning("write-ahead log not fully checkpointed after /forget: a reader is open")

    async def checkpoint(self, *, empty: bool = False) -> bool:
        """Copy what the write-ahead log holds into the database, in the worker thread (the
        connection does not do it by itself, see :mod:`bot.database`); ``empty`` also truncates
        the log, waiting a few seconds for readers. Return True if a reader still held part of
        the log. Raises :class:`StorageError`."""
        async with self._exclusive():
            try:
                busy, _, _ = await self._conn.checkpoint("TRUNCATE" if empty else "PASSIVE")
            except sqlite3.Error as exc:
                raise _storage_error(exc) from exc
        return bool(busy)

    # -- aggregate counters -------------------------------------------------------------------

    async def count_event(self, event: str, lang: str, source: str | None, amount: int = 1) -> None:
        """Add ``amount`` to today's aggregate counter for ``event``; no user id is stored.

        Within an update it goes into the update's transaction when it writes anything, else
        into the batch :meth:`flush` writes; elsewhere it is written at once.
        """
        key = (utc_day(self.now()), event, lang, source or "")
        scope = self._scope()
        if scope is None or scope.open:
            await self._write(COUNT_EVENT, (*key, amount))
        else:
            scope.counts[key] = scope.counts.get(key, 0) + amount

    async def event_totals(self, event: str) -> dict[str, int]:
        """Total count of ``event`` per source code ('' for none), over all days (counters
        still batched in memory included)."""
        rows = await self._fetchall(
            "SELECT source, SUM(count) FROM daily_counts WHERE event = ? GROUP BY source",
            (event,),
        )
        totals = {str(row[0]): int(row[1]) for row in rows}
        for (_day, counted, _lang, source), amount in self._counts.items():
            if counted == event:
                totals[source] = totals.get(source, 0) + amount
        return totals

    async def count_congress_outcome(self, member_id: str, chamber: str, outcome: str) -> None:
        """Add one to today's count of ``outcome`` for a member of Congress; no user id."""
        await self._write(
            COUNT_CONGRESS_OUTCOME, (utc_day(self.now()), member_id, chamber, outcome)
        )

    async def congress_outcomes(self) -> list[CongressOutcome]:
        """Every day's outcome counts, oldest day first, then by member and outcome."""
        rows = await self._fetchall(
            "SELECT day, member_id, chamber, outcome, count FROM congress_outcomes"
            " ORDER BY day, member_id, chamber, outcome"
        )
        return [
            CongressOutcome(str(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4])) for r in rows
        ]


def _user(row: sqlite3.Row) -> User:
    return User(
        user_id=row[0],
        language=row[1],
        language_set=bool(row[2]),
        source=row[3],
        first_seen=row[4],
        last_seen=row[5],
        reachable=bool(row[6]),
    )


def _draft(row: sqlite3.Row) -> Draft:
    return Draft(
        user_id=row["user_id"],
        step=row["step"],
        language=row["language"],
        seed=row["seed"],
        role=row["role"],
        reasons=_listed(row["reasons"]),
        story=row["story"],
        sign_name=row["sign_name"],
        sign_place=row["sign_place"],
        editing=bool(row["editing"]),
        reached=_set(row["reached"]),
        started_at=row["started_at"],
        updated_at=row["updated_at"],
        completed_at=row["completed_at"],
        outcome=row["outcome"],
        local_state=row["local_state"],
        local_county=row["local_county"],
    )


def _listed(stored: object) -> tuple[str, ...]:
    """A comma-separated column (``reasons``) as read back: its non-empty items, in order."""
    return tuple(filter(None, str(stored).split(",")))


def _set(stored: object) -> frozenset[str]:
    """A comma-separated column (``reached``) as read back: its non-empty items."""
    return frozenset(filter(None, str(stored).split(",")))


def _pledge(row: sqlite3.Row) -> Pledge:
    return Pledge(user_id=row[0], number=row[1], first_name=row[2], state=row[3], pledged_at=row[4])


# -- the database file as a whole (outreach-bot health and backup) ------------------------------
# Synchronous on purpose: these run in their own short-lived command, beside a running bot.


@dataclass(frozen=True, slots=True)
class DatabaseHealth:
    path: Path
    applied: int  # migrations recorded in the database
    known: int  # migrations this version of the bot has
    users: int

    def __str__(self) -> str:
        return (
            f"database OK: {self.path} ({self.users:,} user(s); "
            f"{self.applied} of {self.known} migration(s) applied)"
        )


def check_database(path: Path) -> DatabaseHealth:
    """Open the database read-only and make it answer; raise StorageError if it cannot.

    Nothing is created or changed: a missing database is an error, not an empty one.
    """
    if not path.is_file():
        raise StorageError(f"no database at {path} (the bot creates it when it first starts)")
    try:
        with contextlib.closing(
            sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        ) as conn:
            applied = {str(row[0]) for row in conn.execute("SELECT name FROM migrations")}
            users = int(conn.execute("SELECT COUNT(*) FROM users").fetchone()[0])
    except sqlite3.Error as exc:
        raise StorageError(f"database {path}: {exc}") from exc
    known = {m.name for m in MIGRATIONS}
    newer = sorted(applied - known)
    if newer:
        raise StorageError(
            f"database {path} was written by a newer version of the bot (migration {newer[0]})"
        )
    return DatabaseHealth(path=path, applied=len(applied), known=len(known), users=users)


def backup_database(source: Path, target: Path) -> Path:
    """Copy the database with SQLite's online backup API, safe while the bot writes to it.

    The copy is one self-contained file (no ``-wal`` beside it), readable only by its owner,
    checked with ``PRAGMA integrity_check``; it is written under a temporary name and renamed,
    so ``target`` is never half-written. ``target`` may be a directory: the copy is then named
    after the database and the time (UTC). Returns the path written.
    """
    if not source.is_file():
        raise StorageError(f"no database at {source}")
    if target.is_dir():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = target / f"{source.stem}-{stamp}{source.suffix or '.sqlite3'}"
    if target.resolve() == source.resolve():
        raise StorageError(f"{target} is the database itself")
    partial = target.with_name(f".{target.name}.partial")
    try:
        fd = os.open(partial, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        os.close(fd)
        os.chmod(partial, 0o600)  # an old partial file keeps its mode otherwise
    except OSError as exc:
        raise StorageError(f"cannot write {target}: {exc.strerror}") from exc
    try:
        with (
            contextlib.closing(
                sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True, timeout=30)
            ) as src,
            contextlib.closing(sqlite3.connect(partial)) as dst,
        ):
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")
            (verdict,) = dst.execute("PRAGMA integrity_check").fetchone()
            if verdict != "ok":
                raise StorageError(f"the copy of {source} failed its integrity check: {verdict}")
        with open(partial, "rb+") as copy:
            os.fsync(copy.fileno())
        os.replace(partial, target)
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise StorageError(f"cannot back up {source} to {target}: {exc}") from exc
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise StorageError(f"cannot write {target}: {exc.strerror or exc}") from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target


def _create_private_file(path: Path) -> None:
    """Create the database file with mode 0600 so only its owner can read supporter data; an
    existing one (and its -wal and -shm files) readable by others is tightened, with a warning."""
    if path.exists():
        for existing in (path, *(path.with_name(path.name + x) for x in ("-wal", "-shm"))):
            _tighten(existing)
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create database {str(path)!r}: {exc.strerror}") from exc
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return  # created by another process in between: fine
    except OSError as exc:
        raise StorageError(f"cannot create database {str(path)!r}: {exc.strerror}") from exc
    os.close(fd)


def _tighten(path: Path) -> None:
    """Take away every permission of group and others from ``path``, saying so in the log."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if not mode & 0o077:
        return
    try:
        path.chmod(mode & 0o700)
    except OSError as exc:
        log.warning(
            "database file %s is readable by others (mode %o) and could not be made private: %s",
            path,
            mode,
            exc.strerror,
        )
        return
    log.warning(
        "database file %s was readable by others (mode %o): now %o, for its owner only",
        path,
        mode,
        mode & 0o700,
    )
