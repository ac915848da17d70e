"""`outreach-bot letters status|export|delivered`: the campaign's letters from the command line,
on a real database file, with the files read back."""

from __future__ import annotations

import asyncio
import csv
import io
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from bot.cli import main
from bot.content import Content
from bot.storage import Storage
from tests.harness import queue_sample_letter


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "bot.sqlite3"
    monkeypatch.setenv("OUTREACH_DB", str(path))
    return path


def seed(db: Path, content: Content, users: list[tuple[int, str]]) -> None:
    """Queue one letter for each (user id, language)."""

    async def run() -> None:
        storage = await Storage.open(db)
        try:
            for user_id, lang in users:
                story, name = f"Story of sender {user_id}.", f"=Sender {user_id}"
                queued = await queue_sample_letter(
                    storage, content, user_id, lang, user_id % 2 == 1, story=story, sign_name=name
                )
                assert queued.result == "queued"
        finally:
            await storage.close()

    asyncio.run(run())


def forget(db: Path, user_id: int) -> None:
    async def run() -> None:
        storage = await Storage.open(db)
        try:
            await storage.forget_user(user_id)
        finally:
            await storage.close()

    asyncio.run(run())


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def test_export_writes_the_batch_pdf_and_manifest(
    db: Path, content: Content, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`letters export --since DATE --out DIR` writes one batch: the PDF (cover, then a page per
    letter) and the CSV manifest, mode 0600, with no temporary file left; exporting again finds
    nothing new, and `--batch N` writes the same batch again."""
    seed(db, content, [(1, "en"), (2, "es"), (3, "en")])
    out = tmp_path / "out"
    assert main(["letters", "export", "--since", today(), "--out", str(out), "--paper", "a4"]) == 0
    printed = capsys.readouterr().out
    assert "batch 1: 3 letter(s)" in printed and "letters delivered --batch 1" in printed
    pdf, manifest = out / "letters-batch-1.pdf", out / "letters-batch-1.csv"
    assert sorted(p.name for p in out.iterdir()) == [manifest.name, pdf.name]
    for path in (pdf, manifest):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    reader = PdfReader(pdf)
    assert len(reader.pages) == 4 and round(reader.pages[0].mediabox.width) == 595
    assert "Story of sender 2." in (reader.pages[2].extract_text() or "")
    rows = list(csv.reader(io.StringIO(manifest.read_text("utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == ["2", "3", "4"]
    assert [row[4] for row in rows[1:]] == ["'=Sender 1", "'=Sender 2", "'=Sender 3"]

    assert main(["letters", "export", "--since", today(), "--out", str(out)]) == 0
    assert "nothing written" in capsys.readouterr().out
    first = pdf.read_bytes()
    pdf.unlink()
    assert main(["letters", "export", "--batch", "1", "--out", str(out), "--paper", "a4"]) == 0
    assert len(PdfReader(pdf).pages) == len(PdfReader(io.BytesIO(first)).pages)


def test_export_needs_a_date_or_a_batch(db: Path, content: Content, tmp_path: Path) -> None:
    """Exactly one of --since and --batch; an unknown batch is an error."""
    seed(db, content, [(1, "en")])
    assert main(["letters", "export", "--out", str(tmp_path)]) == 2
    both = ["--since", today(), "--batch", "1"]
    assert main(["letters", "export", *both, "--out", str(tmp_path)]) == 2
    assert main(["letters", "export", "--batch", "7", "--out", str(tmp_path)]) == 1


def test_a_failed_write_says_how_to_write_the_batch_again(
    db: Path, content: Content, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """When the files cannot be written the batch stays recorded, and the error says how to
    write its files again."""
    seed(db, content, [(1, "en")])
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    assert main(["letters", "export", "--since", today(), "--out", str(blocked)]) == 1
    assert "letters export --batch 1" in capsys.readouterr().err
    out = tmp_path / "out"
    assert main(["letters", "export", "--batch", "1", "--out", str(out)]) == 0
    assert (out / "letters-batch-1.pdf").exists()


def test_delivered_closes_the_batch_and_names_withdrawn_letters(
    db: Path, content: Content, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`letters delivered --how "by hand"` closes the one batch waiting: how many letters went,
    how many senders asked to be told, and which letters their senders withdrew since the
    export (not to be handed over). It cannot be delivered twice."""
    seed(db, content, [(1, "en"), (2, "es"), (3, "en")])
    assert main(["letters", "export", "--since", today(), "--out", str(tmp_path)]) == 0
    forget(db, 2)
    capsys.readouterr()
    assert main(["letters", "delivered", "--how", "By hand"]) == 0
    printed = capsys.readouterr().out
    assert f"batch 1: 2 letter(s) delivered by hand on {today()}" in printed
    assert "not to be handed over: #2" in printed
    assert "2 sender(s) asked to be told" in printed
    assert main(["letters", "delivered", "--how", "by mail", "--batch", "1"]) == 1
    assert "already delivered" in capsys.readouterr().err


def test_delivered_asks_which_batch_and_how(
    db: Path, content: Content, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With no batch waiting, or several, or an unknown way of delivering, or a day before the
    export or in the future, nothing is marked and the error says why."""
    seed(db, content, [(1, "en")])
    assert main(["letters", "delivered", "--how", "by hand"]) == 1
    assert "no exported batch" in capsys.readouterr().err
    assert main(["letters", "export", "--since", today(), "--out", str(tmp_path)]) == 0
    seed(db, content, [(2, "es")])
    assert main(["letters", "export", "--since", today(), "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["letters", "delivered", "--how", "by hand"]) == 2
    assert "several batches wait for delivery: 1 (1 letters), 2 (1 letters)" in (
        capsys.readouterr().err
    )
    assert main(["letters", "delivered", "--how", "by pigeon", "--batch", "1"]) == 2
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    assert main(["letters", "delivered", "--how", "mail", "--batch", "1", "--date", tomorrow]) == 1
    assert "is not between the export" in capsys.readouterr().err
    assert main(["letters", "delivered", "--how", "mail", "--batch", "2"]) == 0


def test_status_counts_by_week_and_language(
    db: Path, content: Content, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`letters status` prints the letters by week and language — waiting, printed, delivered —
    and the batches not yet delivered."""
    seed(db, content, [(1, "en"), (2, "es")])
    assert main(["letters", "export", "--since", today(), "--out", str(tmp_path)]) == 0
    seed(db, content, [(3, "es")])
    capsys.readouterr()
    assert main(["letters", "status"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].split() == ["week", "of", "language", "waiting", "printed", "delivered"]
    assert [line.split()[1:] for line in printed[1:3]] == [
        ["en", "0", "1", "0"],
        ["es", "1", "1", "0"],
    ]
    assert "batch 1: 2 letter(s) exported" in printed[3]


def test_letters_without_a_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No database: every letters command says so and exits 1."""
    monkeypatch.setenv("OUTREACH_DB", str(tmp_path / "missing.sqlite3"))
    assert main(["letters", "status"]) == 1
    assert main(["letters", "delivered", "--how", "by hand"]) == 1
    assert not (tmp_path / "missing.sqlite3").exists()
