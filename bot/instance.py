"""One bot per database: the lock a running bot holds next to its database, and the process id
``outreach-bot reload`` signals.

* ``<database>.lock`` is locked (``flock``, exclusive) for as long as the bot runs, and holds
  its process id. The kernel releases the lock when the process ends, however it ends (SIGKILL
  included), so a held lock always belongs to a live process. A second bot on the same
  database cannot take it and refuses to start: two bots would answer the same users and send
  the same broadcast twice.
* ``<database>.pid`` is written only once the bot re-reads its content on SIGHUP (before that,
  SIGHUP would stop it), and removed when it stops.
* ``outreach-bot reload`` signals a process only while the lock is held and the pid file names
  the process holding it: never the stale pid a crash left behind (by now it may belong to
  another program), never a bot still starting.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path

from bot.storage import StorageError

ACQUIRE_TRIES = 20  # a reload probing the lock holds it for microseconds: try again briefly
ACQUIRE_PAUSE = 0.05  # seconds between tries


class AlreadyRunning(Exception):
    """Another process holds the database's lock."""

    def __init__(self, db_path: Path, pid: int | None) -> None:
        who = f"process {pid}" if pid else "another process"
        super().__init__(
            f"another outreach-bot ({who}) is already running on {db_path}; stop it first, "
            "or set OUTREACH_DB to another database"
        )
        self.pid = pid


class NotRunning(Exception):
    """No bot is ready to be signalled on this database; the message says why."""


def lock_file(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


def pid_file(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".pid")


class InstanceLock:
    """The running bot's hold on its database. :meth:`acquire` it first thing, :meth:`announce`
    once SIGHUP reloads the content, :meth:`release` at exit."""

    def __init__(self, db_path: Path, fd: int) -> None:
        self.db_path = db_path
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, db_path: Path) -> InstanceLock:
        """Lock the database for this process; :class:`AlreadyRunning` if another bot has it,
        :class:`StorageError` if the lock file cannot be made (a bad ``OUTREACH_DB``)."""
        path = lock_file(db_path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise _unusable(db_path, path, exc) from exc
        try:
            for attempt in range(ACQUIRE_TRIES):
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if attempt == ACQUIRE_TRIES - 1:
                        raise AlreadyRunning(db_path, _read_pid(fd)) from None
                    time.sleep(ACQUIRE_PAUSE)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        except AlreadyRunning:
            os.close(fd)
            raise
        except OSError as exc:
            os.close(fd)
            raise _unusable(db_path, path, exc) from exc
        # A pid file left by a bot that was killed names a process that is gone.
        pid_file(db_path).unlink(missing_ok=True)
        return cls(db_path, fd)

    def announce(self) -> None:
        """Write the pid file: from now on ``outreach-bot reload`` may signal this process."""
        target = pid_file(self.db_path)
        partial = target.with_name(target.name + ".partial")
        partial.write_text(f"{os.getpid()}\n", encoding="ascii")
        partial.replace(target)

    def release(self) -> None:
        """Remove the pid file (if it is this process's) and let go of the lock."""
        if self._fd is None:
            return
        if _pid_in(pid_file(self.db_path)) == os.getpid():
            pid_file(self.db_path).unlink(missing_ok=True)
        os.close(self._fd)  # closing the last descriptor releases the flock
        self._fd = None


def running_bot(db_path: Path) -> int:
    """The process id of the bot running on ``db_path`` and taking reloads; otherwise
    :class:`NotRunning`, saying why."""
    path = lock_file(db_path)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise NotRunning(f"no bot is running on {db_path}") from None
    except OSError as exc:
        raise NotRunning(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
        else:
            fcntl.flock(fd, fcntl.LOCK_UN)
            raise NotRunning(f"no bot is running on {db_path}")
    finally:
        os.close(fd)
    if holder is None or _pid_in(pid_file(db_path)) != holder:
        who = f"process {holder}" if holder else "a process"
        raise NotRunning(
            f"the bot on {db_path} ({who}) does not take reloads yet: it is still starting "
            "(try again in a moment), or it is a terminal chat"
        )
    return holder


def _unusable(db_path: Path, lock: Path, exc: OSError) -> StorageError:
    return StorageError(
        f"cannot use {str(db_path)!r} (OUTREACH_DB): its lock file {lock.name} cannot be "
        f"made there: {exc.strerror or exc}"
    )


def _read_pid(fd: int) -> int | None:
    with contextlib.suppress(OSError):
        return _parse_pid(os.pread(fd, 32, 0))
    return None


def _pid_in(path: Path) -> int | None:
    try:
        return _parse_pid(path.read_bytes()[:32])
    except OSError:
        return None


def _parse_pid(raw: bytes) -> int | None:
    text = raw.decode("ascii", "replace").strip()
    return int(text) if text.isdigit() and int(text) > 0 else None
