"""Storage: migrations recorded once, users, counters, private file mode, clear errors."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from bot.storage import MIGRATIONS, Storage, StorageError


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
