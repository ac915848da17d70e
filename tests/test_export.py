"""The pledge CSV export (bot.export): columns, consent, no user ids, formula neutralisation."""

from __future__ import annotations

import csv
import io

import pytest

from bot import export as export_module
from bot.export import CSV_COLUMNS, csv_safe, export_pledges_csv
from bot.storage import Storage
from tests.harness import Clock  # the clock fixture's: it starts at 2026-05-15T12:00:00Z


async def pledge(
    storage: Storage,
    user_id: int,
    *,
    name: str | None = None,
    state: str | None = None,
    lang: str = "en",
    source: str | None = None,
    subscribed: bool = False,
) -> None:
    await storage.touch_user(user_id, lang, source)
    await storage.record_pledge(user_id)
    await storage.set_pledge_name(user_id, name)
    await storage.set_pledge_state(user_id, state)
    if subscribed:
        await storage.subscribe(user_id)


async def export(storage: Storage) -> tuple[int, str, list[list[str]]]:
    """Run the export; return the count, the raw text and the parsed rows (BOM removed)."""
    out = io.StringIO(newline="")
    count = await export_pledges_csv(storage, out)
    text = out.getvalue()
    assert text.startswith("\ufeff")
    return count, text, list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


async def test_header_rows_and_consent(storage: Storage, clock: Clock) -> None:
    """One row per pledge in supporter order, with UTC time, the given fields and consent."""
    await pledge(storage, 111111111, name="Ana", state="TX", lang="es", source="flyer-mn",
                 subscribed=True)  # fmt: skip
    clock.now += 3600 * 24 + 61
    await pledge(storage, 222222222)
    count, _, rows = await export(storage)
    assert count == 2
    assert rows == [
        list(CSV_COLUMNS),
        ["1", "2026-05-15T12:00:00Z", "Ana", "TX", "es", "flyer-mn", "yes"],
        ["2", "2026-05-16T12:01:01Z", "", "", "en", "", "no"],
    ]
    assert CSV_COLUMNS == (
        "number",
        "pledged_at",
        "first_name",
        "state",
        "language",
        "source",
        "subscribed",
    )


async def test_no_telegram_user_ids(storage: Storage) -> None:
    """The Telegram user id appears nowhere in the file."""
    for user_id in (987654321, 123456789012):
        await pledge(storage, user_id, name="Luz", subscribed=True)
    _, text, _ = await export(storage)
    assert "987654321" not in text and "123456789012" not in text
    assert "user_id" not in text


async def test_unsubscribed_and_withdrawn_supporters(storage: Storage) -> None:
    """Unsubscribing turns consent to "no"; a withdrawn pledge leaves the file."""
    await pledge(storage, 1, subscribed=True)
    await pledge(storage, 2, subscribed=True)
    await pledge(storage, 3)
    await storage.unsubscribe(1)
    await storage.withdraw_pledge(2)
    count, _, rows = await export(storage)
    assert count == 2
    assert [(row[0], row[-1]) for row in rows[1:]] == [("1", "no"), ("3", "no")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=HYPERLINK(\"https://evil.example\",\"x\")", "'=HYPERLINK(\"https://evil.example\",\"x\")"),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("＝1+1", "'＝1+1"),
        ("Ana", "Ana"),
        ("María-José", "María-José"),
        ("", ""),
    ],
)  # fmt: skip
def test_csv_safe(value: str, expected: str) -> None:
    """Cells a spreadsheet would run as formulas get a leading apostrophe; others are unchanged."""
    assert csv_safe(value) == expected


async def test_formulas_in_names_and_sources_are_neutralised(storage: Storage) -> None:
    """A first name or source code starting with = + - @ is written with a leading apostrophe."""
    names = ['=HYPERLINK("https://evil.example","click")', "+1", "-1", "@cmd"]
    for user_id, name in enumerate(names, start=1):
        await pledge(storage, user_id, name=name)
    await pledge(storage, 99, source="-flyer")  # deep-link codes may start with '-'
    _, _, rows = await export(storage)
    assert [row[2] for row in rows[1:5]] == ["'" + name for name in names]
    assert rows[5][5] == "'-flyer"
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


async def test_awkward_names_round_trip(storage: Storage) -> None:
    """Commas, quotes, newlines and any Unicode survive a round trip through csv.reader."""
    names = ['Smith, "Jo"', "line one\nline two", "José Ñúñez 李雷 🌵", "a;b\tc", "ʼapostropheʼ"]
    for user_id, name in enumerate(names, start=1):
        await pledge(storage, user_id, name=name)
    count, text, rows = await export(storage)
    assert count == len(names)
    assert [row[2] for row in rows[1:]] == names
    assert all(len(row) == len(CSV_COLUMNS) for row in rows)
    assert '"Smith, ""Jo"""' in text  # every cell quoted, quotes doubled


async def test_bytes_open_as_utf8_with_bom(storage: Storage) -> None:
    """Encoded as UTF-8 the file starts with a BOM and decodes with utf-8-sig (Excel, Sheets)."""
    await pledge(storage, 1, name="José")
    out = io.StringIO(newline="")
    await export_pledges_csv(storage, out)
    data = out.getvalue().encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[1][2] == "José"
    assert rows[0][0] == "number"


async def test_without_bom(storage: Storage) -> None:
    """bom=False leaves the byte order mark out (for piping to other tools)."""
    out = io.StringIO(newline="")
    await export_pledges_csv(storage, out, bom=False)
    assert out.getvalue() == '"' + '","'.join(CSV_COLUMNS) + '"\r\n'


async def test_empty_database_gives_header_only(storage: Storage) -> None:
    """With no pledges the file is the header alone and the count is 0."""
    count, _, rows = await export(storage)
    assert count == 0
    assert rows == [list(CSV_COLUMNS)]


async def test_rows_are_read_in_batches(storage: Storage, monkeypatch: pytest.MonkeyPatch) -> None:
    """Across many small batches, with gaps in supporter numbers, every pledge appears once."""
    monkeypatch.setattr(export_module, "BATCH_SIZE", 4)
    queries: list[str] = []
    fetchall = storage.fetchall

    async def counting_fetchall(
        sql: str, params: tuple[object, ...] = (), *, slow: bool = False
    ) -> list[object]:
        assert slow, "an export reads in the database's worker thread"
        queries.append(sql)
        return list(await fetchall(sql, params, slow=slow))

    for user_id in range(1, 24):
        await pledge(storage, user_id)
    for user_id in (4, 8, 9):  # withdrawn: gaps in the numbers
        await storage.withdraw_pledge(user_id)
    monkeypatch.setattr(storage, "fetchall", counting_fetchall)
    count, _, rows = await export(storage)
    assert count == 20
    numbers = [int(row[0]) for row in rows[1:]]
    assert numbers == [n for n in range(1, 24) if n not in (4, 8, 9)]
    assert len(queries) == 6  # five full batches of 4, then an empty one ends it
    assert all("LIMIT ?" in sql for sql in queries)
