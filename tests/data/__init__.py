"""Files the tests need, made for the purpose; each says how it was made.

``ice-287g-sample-2025-07-18.xlsx`` is written by ``make_ice_sample.py``. ICE's whole list is
not kept here: ``tests/test_ice_list.py`` reads it from :data:`ICE_LIST_VARIABLE` when set.
"""

from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from tests.data.make_ice_sample import NAME as _SAMPLE_NAME

ICE_SAMPLE = Path(__file__).with_name(_SAMPLE_NAME)
ICE_LIST_VARIABLE = "OUTREACH_TEST_ICE_XLSX"
ICE_LIST_TESTS = "test_ice_list.py"


def data_rows(xlsx: Path) -> list[tuple[Any, ...]]:
    """A spreadsheet's rows below its header as openpyxl's ordinary (not read-only) mode reads
    them, blank rows left out: a count that does not go through the importer."""
    sheet = load_workbook(xlsx).active
    assert sheet is not None
    rows = sheet.iter_rows(min_row=2, values_only=True)
    return [row for row in rows if any(value is not None for value in row)]
