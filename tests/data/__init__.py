"""Files the tests need, made for the purpose; each says how it was made.

``ice-287g-sample-2025-07-18.xlsx`` is written by ``make_ice_sample.py``. ICE's whole list is
not kept here: ``tests/test_ice_list.py`` reads it from :data:`ICE_LIST_VARIABLE` when set.

``ice-287g-state-counts-2026-06-09.csv`` is the table of agreements per state and model on
ICE's list of June 9, 2026, as the public repository appelson/Tracking_287g tabulates it in its
README (:data:`STATE_COUNTS_URL`), copied row by row: 40 states and territories, 1,934
agreements. The shipped ``content/agreement-totals.yaml`` is this table imported.
"""

from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook

from tests.data.make_ice_sample import NAME as _SAMPLE_NAME

ICE_SAMPLE = Path(__file__).with_name(_SAMPLE_NAME)
ICE_LIST_VARIABLE = "OUTREACH_TEST_ICE_XLSX"
ICE_LIST_TESTS = "test_ice_list.py"
STATE_COUNTS = Path(__file__).with_name("ice-287g-state-counts-2026-06-09.csv")
STATE_COUNTS_URL = (
    "https://github.com/appelson/Tracking_287g/blob/0059543936203e453ac28c7878cae457aa7e4e84/"
    "README.md#statewide-breakdown"
)


def data_rows(xlsx: Path) -> list[tuple[Any, ...]]:
    """A spreadsheet's rows below its header as openpyxl's ordinary (not read-only) mode reads
    them, blank rows left out: a count that does not go through the importer."""
    sheet = load_workbook(xlsx).active
    assert sheet is not None
    rows = sheet.iter_rows(min_row=2, values_only=True)
    return [row for row in rows if any(value is not None for value in row)]


def write_xlsx(path: Path, rows: list[list[Any]]) -> Path:
    """A one-sheet workbook with ``rows``; a cell given as ("text", url) gets a hyperlink."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if isinstance(value, tuple):
                cell = sheet.cell(row=r, column=c, value=value[0])
                cell.hyperlink = value[1]
            else:
                sheet.cell(row=r, column=c, value=value)
    book.save(path)
    return path


def row(**changes: Any) -> list[Any]:
    """A valid data row of ICE's sheet (in the order of its header), some cells changed."""
    values = {
        "state": "TEXAS",
        "agency": "Example County Sheriff's Office",
        "kind": "County",
        "county": "Example County",
        "model": "Task Force Model",
        "signed": datetime(2025, 3, 1),
        "moa": "link pending",
        "addendum": None,
    }
    values.update(changes)
    return list(values.values())
