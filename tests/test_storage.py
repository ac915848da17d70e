"""Storage: migrations recorded once, users, counters, private file mode, clear errors."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from bot.storage import MIGRATIONS, Storage, StorageError, backup_database, check_database


async def test_migrations_are_applied_once_and_recorded(tmp_path: Path) -> None:
    """Opening twice applies each named migration once and records it."""
    path = tmp_path / "db.sqlite3"
    storage = await Storage.open(path)
    assert await storage.applied_migrations() == [m.name for m in MIGRATIONS]
    await storage.close()
    storage = await Storage.open(path)
    assert await storage.applied_migrations() == [m.name for m in MIGRATIONS]
    await storage.close()


async def test_database_uses_wal_and_is_private(tmp_path: Path) -> None:
    """The database file is in WAL mode and readable only by its owner."""
    path = tmp_path / "db.sqlite3"
    storage = await Storage.open(path)
    await storage.touch_user(1, "en")
    await storage.close()
    mode = stat.S_IMODE(os.stat(path).st_mode)
    assert mode == 0o600
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_touch_user_creates_then_updates(tmp_path: Path) -> None:
    """A new user is created with language and source; later contacts keep the first source."""
    now = [1000.0]
    storage = await Storage.open(tmp_path / "db.sqlite3", clock=lambda: now[0])
    user, is_new = await storage.touch_user(7, "es", "flyer-mn")
    assert is_new and user.language == "es" and user.source == "flyer-mn"
    assert user.first_seen == user.last_seen == 1000
    now[0] = 2000.0
    user, is_new = await storage.touch_user(7, "en", "other")
    assert not is_new
    assert user.language == "es" and user.source == "flyer-mn"
    assert (user.first_seen, user.last_seen) == (1000, 2000)
    await storage.close()


def watch_statements(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[str], list[str]]:
    """Record every statement the storage's connection runs, and every trip to its worker
    thread (aiosqlite's), from now on."""
    statements: list[str] = []
    trips: list[str] = []
    storage._conn._raw.set_trace_callback(statements.append)
    to_thread = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(getattr(fn, "__name__", repr(fn)))
        return await to_thread(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return statements, trips


async def test_reads_run_on_the_event_loop_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading a draft, a pledge, the pledge count or a subscription runs one statement each,
    where it is awaited: no trip to the worker thread (each costs more than the statement)."""
    storage = await Storage.open(tmp_path / "db.sqlite3")
    await storage.touch_user(7, "en")
    await storage.start_draft(7, "en", 1, "role")
    await storage.record_pledge(7)
    storage.drop_cached(7)  # the draft written above is kept in memory: read it again
    statements, trips = watch_statements(storage, monkeypatch)
    draft = await storage.get_draft(7)
    pledge = await storage.get_pledge(7)
    count = await storage.pledge_count()
    subscribed = await storage.is_subscribed(7)
    missing = await storage.get_draft(8)
    assert draft is not None and draft.step == "role"
    assert pledge is not None and count == 1 and not subscribed and missing is None
    assert len(statements) == 5 and trips == []
    assert await storage.get_draft(7) == draft and await storage.get_draft(8) is None
    assert len(statements) == 5, "a draft read once is kept"
    await storage.close()


async def test_set_language_marks_choice(tmp_path: Path) -> None:
    """A chosen language is stored and marked as chosen."""
    storage = await Storage.open(tmp_path / "db.sqlite3")
    await storage.touch_user(7, "en")
    await storage.set_language(7, "es")
    user = await storage.get_user(7)
    assert user is not None and user.language == "es" and user.language_set
    await storage.close()


async def test_counters_aggregate_without_user_ids(tmp_path: Path) -> None:
    """Events are counted per day, language and source, with no user id column."""
    storage = await Storage.open(tmp_path / "db.sqlite3", clock=lambda: 86400.0 * 3)
    for _ in range(3):
        await storage.count_event("start", "en", "flyer-mn")
    await storage.count_event("start", "es", None)
    assert await storage.event_totals("start") == {"flyer-mn": 3, "": 1}
    await storage.close()
    with sqlite3.connect(tmp_path / "db.sqlite3") as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(daily_counts)")]
        rows = conn.execute("SELECT day, count FROM daily_counts ORDER BY count").fetchall()
    assert "user_id" not in columns
    assert rows == [("1970-01-04", 1), ("1970-01-04", 3)]


async def test_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    """An error inside a transaction rolls back every statement of it."""
    storage = await Storage.open(tmp_path / "db.sqlite3")
    with pytest.raises(RuntimeError):
        async with storage.transaction() as conn:
            await conn.execute(
                "INSERT INTO users (user_id, language, first_seen, last_seen) VALUES (1,'en',0,0)"
            )
            raise RuntimeError("boom")
    assert await storage.get_user(1) is None
    await storage.close()


async def test_read_only_database_raises_storage_error(tmp_path: Path) -> None:
    """Writing to a database SQLite refuses to write raises StorageError and changes nothing."""
    storage = await Storage.open(tmp_path / "db.sqlite3")
    await storage.touch_user(1, "en")
    # Tests run as root, for whom file modes do not stop writes; query_only makes SQLite
    # refuse writes exactly as it does for a read-only file (SQLITE_READONLY).
    await storage._conn.execute("PRAGMA query_only = 1")
    with pytest.raises(StorageError):
        await storage.set_language(1, "es")
    with pytest.raises(StorageError):
        await storage.touch_user(2, "en")
    await storage._conn.execute("PRAGMA query_only = 0")
    user = await storage.get_user(1)
    assert user is not None and user.language == "en"
    assert await storage.get_user(2) is None
    await storage.close()


async def test_unopenable_path_raises_storage_error(tmp_path: Path) -> None:
    """A database in a place that cannot be created gives a clear StorageError."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StorageError, match="cannot"):
        await Storage.open(blocker / "db.sqlite3")


async def open_at(path: Path, migration: str, monkeypatch: pytest.MonkeyPatch) -> Storage:
    """A database migrated only up to ``migration``, as an older release left it."""
    names = [m.name for m in MIGRATIONS]
    with monkeypatch.context() as patch:
        patch.setattr("bot.storage.MIGRATIONS", MIGRATIONS[: names.index(migration) + 1])
        return await Storage.open(path)


async def test_undecided_story_of_an_older_database_is_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A draft an older release left at the story check (the flagged story already written)
    loses that story on upgrade and asks for the sender's words again; other drafts keep theirs."""
    path = tmp_path / "db.sqlite3"
    old = await open_at(path, "0006_last_answer", monkeypatch)
    for user_id, step in ((1, "story_check"), (2, "preview")):
        await old.touch_user(user_id, "en")
        await old.start_draft(user_id, "en", 7, step)
        await old.update_draft(user_id, story=f"story {user_id}: undocumented")
    await old.close()
    storage = await Storage.open(path)
    try:
        drafts = [await storage.get_draft(user_id) for user_id in (1, 2)]
        assert [(d.step, d.story) for d in drafts if d] == [
            ("story", None),
            ("preview", "story 2: undocumented"),
        ]
    finally:
        await storage.close()


async def test_broadcasts_of_an_older_database_keep_their_deliveries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Upgrading rebuilds the broadcast tables: a draft loses the audience it was given by
    default (the organizer picks one again), sent broadcasts keep theirs and every delivery row,
    deleting a broadcast still deletes its rows, and ids are never reused."""
    path = tmp_path / "db.sqlite3"
    old = await open_at(path, "0007_undecided_stories", monkeypatch)
    async with old.transaction() as conn:
        await conn.execute(
            "INSERT INTO broadcasts (id, organizer_id, from_chat_id, message_id, kind, audience,"
            " status, created_at) VALUES (1, 9, 9, 1, 'text', 'lang:es', 'done', 0),"
            " (2, 9, 9, 2, 'text', 'all', 'draft', 0)"
        )
        await conn.executemany(
            "INSERT INTO deliveries (broadcast_id, user_id, status, updated_at)"
            " VALUES (1, ?, 'delivered', 0)",
            [(u,) for u in range(1, 4)],
        )
    await old.close()
    storage = await Storage.open(path)
    try:
        rows = await storage.fetchall("SELECT id, audience, status FROM broadcasts ORDER BY id")
        assert [tuple(r) for r in rows] == [(1, "lang:es", "done"), (2, None, "draft")]
        count = await storage.fetchone("SELECT COUNT(*) FROM deliveries WHERE broadcast_id = 1")
        assert count is not None and count[0] == 3
        assert await storage.write("DELETE FROM broadcasts WHERE id = 2") == 1
        async with storage.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO broadcasts (organizer_id, from_chat_id, message_id, kind, status,"
                " created_at) VALUES (9, 9, 3, 'text', 'draft', 0)"
            )
            assert cursor.lastrowid == 3, "the id of a deleted draft is not given again"
        await storage.write("DELETE FROM broadcasts WHERE id = 1")
        count = await storage.fetchone("SELECT COUNT(*) FROM deliveries")
        assert count is not None and count[0] == 0
        violations = await storage.fetchall("PRAGMA foreign_key_check")
        assert violations == []
    finally:
        await storage.close()


async def test_check_database_reads_without_writing(tmp_path: Path) -> None:
    """The health check opens the database read-only: it answers while the bot has it open,
    and a missing database is an error, never created."""
    path = tmp_path / "db.sqlite3"
    storage = await Storage.open(path)
    await storage.touch_user(7, "en")
    health = check_database(path)  # the bot's connection is still open
    await storage.close()
    assert (health.applied, health.known, health.users) == (len(MIGRATIONS), len(MIGRATIONS), 1)
    assert str(health).startswith(f"database OK: {path} (1 user(s);")
    missing = tmp_path / "missing.sqlite3"
    with pytest.raises(StorageError, match="no database at"):
        check_database(missing)
    assert not missing.exists()


def test_check_database_refuses_what_is_not_the_bots_database(tmp_path: Path) -> None:
    """A file that is not SQLite, a database without the bot's tables, and one written by a
    newer bot each fail the check with the reason."""
    text = tmp_path / "text.sqlite3"
    text.write_text("hello", encoding="utf-8")
    with pytest.raises(StorageError, match="not a database"):
        check_database(text)
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (x)")
    with pytest.raises(StorageError, match="no such table: migrations"):
        check_database(other)
    newer = tmp_path / "newer.sqlite3"
    with sqlite3.connect(newer) as conn:
        conn.execute("CREATE TABLE migrations (name TEXT, applied_at INTEGER)")
        conn.execute("CREATE TABLE users (user_id INTEGER)")
        conn.execute("INSERT INTO migrations VALUES ('9999_from_the_future', 0)")
    with pytest.raises(StorageError, match="newer version of the bot"):
        check_database(newer)


async def test_backup_copies_a_database_in_use_to_a_private_file(tmp_path: Path) -> None:
    """While the bot's connection is open (rows still in the WAL), the backup holds every row,
    is one file in rollback-journal mode, passes an integrity check and is mode 0600."""
    path = tmp_path / "db.sqlite3"
    storage = await Storage.open(path)
    for user_id in range(1, 51):
        await storage.touch_user(user_id, "en")
        await storage.record_pledge(user_id)
    assert (tmp_path / "db.sqlite3-wal").stat().st_size > 0
    target = tmp_path / "backups" / "copy.sqlite3"
    target.parent.mkdir()
    written = backup_database(path, target)
    await storage.close()
    assert written == target
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["copy.sqlite3"]
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT COUNT(*) FROM pledges").fetchone()[0] == 50
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert check_database(target).users == 50


async def test_backup_replaces_an_old_copy_and_names_one_in_a_directory(tmp_path: Path) -> None:
    """An existing copy is replaced whole (and made private); a directory gets a copy named
    after the database and the time."""
    path = tmp_path / "db.sqlite3"
    storage = await Storage.open(path)
    await storage.touch_user(1, "en")
    await storage.close()
    old = tmp_path / "old.sqlite3"
    old.write_bytes(b"yesterday's copy")
    old.chmod(0o644)
    backup_database(path, old)
    assert stat.S_IMODE(os.stat(old).st_mode) == 0o600
    assert check_database(old).users == 1
    folder = tmp_path / "backups"
    folder.mkdir()
    named = backup_database(path, folder)
    assert named.parent == folder
    assert named.name.startswith("db-") and named.name.endswith("Z.sqlite3")


def test_backup_errors_are_clear_and_leave_nothing_behind(tmp_path: Path) -> None:
    """No database, the database itself as target, or a target that cannot be written: a
    clear error, and no partial file."""
    with pytest.raises(StorageError, match="no database at"):
        backup_database(tmp_path / "missing.sqlite3", tmp_path / "copy.sqlite3")
    path = tmp_path / "db.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(StorageError, match="is the database itself"):
        backup_database(path, path)
    with pytest.raises(StorageError, match="cannot write"):
        backup_database(path, tmp_path / "no-such-dir" / "copy.sqlite3")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db.sqlite3"]


async def test_last_message_id_of_a_chat(tmp_path: Path) -> None:
    """The highest message id the database remembers for a chat: the last answer taken, or an
    organizer's broadcast message; 0 for a chat it knows nothing of."""
    storage = await Storage.open(tmp_path / "db.sqlite3")
    assert await storage.last_message_id(7) == 0
    await storage.touch_user(7, "en")
    assert await storage.last_message_id(7) == 0
    assert await storage.claim_answer(7, 12)
    assert await storage.last_message_id(7) == 12
    await storage.write(
        "INSERT INTO broadcasts (organizer_id, from_chat_id, message_id, kind, audience,"
        " status, created_at, progress_chat_id, progress_message_id)"
        " VALUES (7, 7, 30, 'text', 'all', 'done', 0, 7, 31)"
    )
    assert await storage.last_message_id(7) == 31
    assert await storage.last_message_id(8) == 0
    await storage.close()


async def test_a_pledge_takes_few_statements_and_no_trip_to_a_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A newcomer's row is not read back after it is written: their pledge and the reads around
    it take 11 statements, all run on the event loop's thread."""
    storage = await Storage.open(tmp_path / "db.sqlite3")
    statements, trips = watch_statements(storage, monkeypatch)
    assert await storage.get_user(7) is None
    assert await storage.get_step(7) is None
    user, _ = await storage.touch_user(7, "es", "flyer")  # SELECT; BEGIN, INSERT, COMMIT
    pledge, is_new = await storage.record_pledge(7)  # BEGIN, INSERT, SELECT, COMMIT
    assert is_new and pledge.number == 1
    assert await storage.get_pledge(7) == pledge
    assert len(statements) == 11, statements
    assert trips == []
    storage.drop_cached(7)
    assert await storage.get_user(7) == user  # what touch_user built is the row it wrote
    await storage.close()
