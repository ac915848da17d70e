"""The organizers' CSV export of pledges.

One row per pledge with only what the supporter gave or chose — supporter number, when, the
optional first name and state, their language, the source code of the link that brought them,
and whether they consented to updates. Never the Telegram user id.

The file is UTF-8 and starts with a byte order mark: Excel on Windows otherwise opens UTF-8 CSV
as a legacy code page and garbles accents ("José" → "JosÃ©"); Google Sheets, LibreOffice and
Python (``encoding="utf-8-sig"``) all read it correctly. Every cell is quoted and any cell that
a spreadsheet would run as a formula is neutralised (see :func:`csv_safe`). Rows are read in
keyset batches, so memory stays flat however many supporters there are.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from typing import TextIO

from bot.storage import CongressOutcome, Storage

CSV_COLUMNS = ("number", "pledged_at", "first_name", "state", "language", "source", "subscribed")
BATCH_SIZE = 500
BOM = "\ufeff"

# OWASP "CSV Injection": a cell starting with one of these is a formula (or, after a tab or
# carriage return, can become one) in Excel, LibreOffice or Google Sheets. The full-width forms
# are included because some spreadsheet locales treat them the same way.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def csv_safe(value: str) -> str:
    """``value`` with a leading apostrophe when a spreadsheet would read it as a formula."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _iso_utc(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def export_pledges_csv(storage: Storage, out: TextIO, *, bom: bool = True) -> int:
    """Write every pledge to ``out`` as CSV, oldest supporter number first; return the rows.

    ``out`` should be opened with ``newline=""`` (as the csv module asks): rows end in CRLF.
    """
    if bom:
        out.write(BOM)
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerow(CSV_COLUMNS)
    written, after = 0, 0
    while True:
        # Keyset pagination on the unique supporter number: each batch is an index range scan.
        rows = await storage.fetchall(
            "SELECT p.number, p.pledged_at, p.first_name, p.state, u.language, u.source,"
            " s.user_id IS NOT NULL"
            " FROM pledges AS p"
            " JOIN users AS u ON u.user_id = p.user_id"
            " LEFT JOIN subscriptions AS s ON s.user_id = p.user_id"
            " WHERE p.number > ? ORDER BY p.number LIMIT ?",
            (after, BATCH_SIZE),
            slow=True,  # an organizer's export: in the worker thread
        )
        for number, pledged_at, first_name, state, language, source, subscribed in rows:
            writer.writerow(
                (
                    str(number),
                    _iso_utc(pledged_at),
                    csv_safe(first_name or ""),
                    csv_safe(state or ""),
                    csv_safe(language),
                    csv_safe(source or ""),
                    "yes" if subscribed else "no",
                )
            )
        written += len(rows)
        if len(rows) < BATCH_SIZE:
            return written
        after = int(rows[-1][0])


CONGRESS_COLUMNS = ("day", "member_id", "member", "chamber", "outcome", "count")


def export_congress_outcomes_csv(
    outcomes: list[CongressOutcome], names: dict[str, str], out: TextIO, *, bom: bool = True
) -> int:
    """Write what supporters said they did about members of Congress ("I called", "I wrote",
    "No answer"), one row per day, member and outcome, to ``out`` as CSV; return the rows.
    There is no user id to export: the counts never had one."""
    if bom:
        out.write(BOM)
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerow(CONGRESS_COLUMNS)
    for row in outcomes:
        writer.writerow(
            (
                row.day,
                csv_safe(row.member_id),
                csv_safe(names.get(row.member_id, "")),
                row.chamber,
                row.outcome,
                str(row.count),
            )
        )
    return len(outcomes)
