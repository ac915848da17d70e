"""The bot's one SQLite connection, run on the event loop's own thread.

A point read or a small write takes SQLite a few microseconds; a trip to a worker thread and
back costs about 50 µs and a wake-up of the event loop, more than the statement it carries. So
statements run where they are awaited, on the loop's thread, except what could keep the loop
waiting, which goes to aiosqlite's worker thread instead:

* **Checkpoints**, which copy the write-ahead log into the database and sync it to disk. The
  connection never checkpoints by itself at a commit (``wal_autocheckpoint = 0``, set by
  :class:`bot.storage.Storage`); it is asked to, every few seconds and when it closes.
* **Reads of whole tables** for organizers' reports (``slow=True``).
* **Every statement issued while one of those is still running**, so the connection is never
  used from two threads at once and statements keep the order they were issued in.

Another process holding the database's write lock (a command-line tool writing) never blocks the
loop either: the connection's busy timeout is 0, and a statement refused with ``SQLITE_BUSY`` is
tried again after a short asynchronous sleep, for up to :data:`BUSY_TIMEOUT` seconds, as
SQLite's own busy handler would, while other updates go on.

With ``synchronous = NORMAL`` in WAL mode a commit writes to the log without syncing it, so a
commit on the loop does not wait for the disk either.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Iterable, Sequence

import aiosqlite

BUSY_TIMEOUT = 5.0  # seconds a statement waits for another process's lock before failing
_BUSY_PAUSES = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05)  # then 0.05 s at a time

_SQLITE_BUSY = 5
_SQLITE_BUSY_SNAPSHOT = 517  # a stale read snapshot: waiting does not help

Params = Sequence[object]


def is_busy(exc: sqlite3.Error) -> bool:
    """Whether ``exc`` is SQLite saying another connection holds a lock it needs for now."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == _SQLITE_BUSY and code != _SQLITE_BUSY_SNAPSHOT


class Result:
    """What a statement returned, read to the end: its rows, and what it changed."""

    __slots__ = ("_rows", "lastrowid", "rowcount")

    def __init__(self, rows: list[sqlite3.Row], rowcount: int, lastrowid: int | None) -> None:
        self._rows = rows
        self.rowcount = rowcount
        self.lastrowid = lastrowid

    def fetchone(self) -> sqlite3.Row | None:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[sqlite3.Row]:
        return self._rows


class Connection:
    """One SQLite connection; open with :meth:`open`, close with :meth:`close`.

    Transactions are the caller's to serialize (:class:`bot.storage.Storage` holds a lock from
    ``BEGIN`` to ``COMMIT``): this class only decides where each statement runs.
    """

    def __init__(self, worker: aiosqlite.Connection, raw: sqlite3.Connection) -> None:
        self._worker = worker  # aiosqlite's thread, on the same sqlite3 connection
        self._raw = raw
        self._away = 0  # statements sent to the worker thread and not back yet

    @classmethod
    async def open(cls, database: str) -> Connection:
        """Connect to ``database`` (a path or ``:memory:``); rows are :class:`sqlite3.Row`."""
        opened: list[sqlite3.Connection] = []

        def connect() -> sqlite3.Connection:
            raw = sqlite3.connect(
                database, isolation_level=None, check_same_thread=False, timeout=0
            )
            raw.row_factory = sqlite3.Row
            opened.append(raw)
            return raw

        worker = aiosqlite.Connection(connect, iter_chunk_size=64)
        await worker
        return cls(worker, opened[0])

    async def close(self) -> None:
        await self._worker.close()

    # -- statements ---------------------------------------------------------------------------

    async def execute(self, sql: str, params: Params = (), *, slow: bool = False) -> Result:
        """Run one statement and read all its rows; ``slow`` runs it in the worker thread."""
        return await self._run(
            lambda: self._here(sql, params), lambda: self._in_thread(sql, params), slow
        )

    async def execute_fetchall(
        self, sql: str, params: Params = (), *, slow: bool = False
    ) -> list[sqlite3.Row]:
        """Every row of one query."""
        return (await self.execute(sql, params, slow=slow)).fetchall()

    async def executemany(self, sql: str, rows: Iterable[Params]) -> Result:
        """Run one statement once per row of parameters."""
        batch = list(rows)
        return await self._run(
            lambda: self._many_here(sql, batch), lambda: self._many_in_thread(sql, batch)
        )

    async def checkpoint(self, mode: str = "PASSIVE") -> tuple[int, int, int]:
        """Copy the write-ahead log into the database, in the worker thread; return SQLite's
        answer: (1 if a reader kept it from finishing, frames in the log, frames copied).
        Other modes than PASSIVE wait up to BUSY_TIMEOUT seconds for readers to finish, as
        SQLite's busy handler would (without blocking the loop)."""
        if mode not in ("PASSIVE", "FULL", "RESTART", "TRUNCATE"):
            raise ValueError(f"unknown checkpoint mode {mode!r}")
        sql = f"PRAGMA wal_checkpoint({mode})"
        patience = _Patience()
        while True:
            row = (await self.execute(sql, slow=True)).fetchone()
            answer = (0, 0, 0) if row is None else (int(row[0]), int(row[1]), int(row[2]))
            if not answer[0] or mode == "PASSIVE" or not await patience.wait():
                return answer

    # -- where they run -----------------------------------------------------------------------

    def _here(self, sql: str, params: Params) -> Result:
        cursor = self._raw.execute(sql, params)
        rows = cursor.fetchall()
        return Result(rows, cursor.rowcount, cursor.lastrowid)

    def _many_here(self, sql: str, rows: list[Params]) -> Result:
        cursor = self._raw.executemany(sql, rows)
        return Result([], cursor.rowcount, cursor.lastrowid)

    async def _in_thread(self, sql: str, params: Params = ()) -> Result:
        self._away += 1
        try:
            cursor = await self._worker.execute(sql, params)
            rows = list(await cursor.fetchall())
            return Result(rows, cursor.rowcount, cursor.lastrowid)
        finally:
            self._away -= 1

    async def _many_in_thread(self, sql: str, rows: list[Params]) -> Result:
        self._away += 1
        try:
            cursor = await self._worker.executemany(sql, rows)
            return Result([], cursor.rowcount, cursor.lastrowid)
        finally:
            self._away -= 1

    async def _run(
        self,
        here: Callable[[], Result],
        there: Callable[[], Awaitable[Result]],
        slow: bool = False,
    ) -> Result:
        """Run the statement: ``here`` on the loop's thread, or ``there`` in the worker thread
        if it is slow or a statement is there now; again while the database is busy, for up to
        BUSY_TIMEOUT seconds, then SQLite's busy error is raised."""
        patience: _Patience | None = None
        while True:
            try:
                return await there() if slow or self._away else here()
            except sqlite3.OperationalError as exc:
                if not is_busy(exc):
                    raise
                patience = patience or _Patience()
                if not await patience.wait():
                    raise


class _Patience:
    """Short asynchronous pauses between tries, as SQLite's busy handler makes, until
    BUSY_TIMEOUT seconds have passed since the first."""

    def __init__(self) -> None:
        self._deadline = asyncio.get_running_loop().time() + BUSY_TIMEOUT
        self._pauses = iter(_BUSY_PAUSES)

    async def wait(self) -> bool:
        """Pause before the next try; False (at once) when the time is up."""
        left = self._deadline - asyncio.get_running_loop().time()
        if left <= 0:
            return False
        await asyncio.sleep(min(next(self._pauses, _BUSY_PAUSES[-1]), left))
        return True
