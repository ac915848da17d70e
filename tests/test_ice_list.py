"""ICE's whole list of July 18, 2025, imported: opt-in, as the file is not in this repository.

Set ``OUTREACH_TEST_ICE_XLSX`` to the path of ``ice-287g-participating-agencies-2025-07-18.xlsx``
(ICE's list of participating agencies as downloaded on July 18, 2025, e.g. from the public
repository appelson/Tracking_287g) to run these tests; without it this file is not collected
(``tests/conftest.py``) and the test run says so in its summary. They check the importer on all
832 rows, counted a second time with openpyxl, and that ``content/agreements.yaml`` is exactly
that file imported.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bot import places
from bot.agreements import AgreementList, load_agreements
from bot.agreements.importer import import_agreements
from tests.data import ICE_LIST_VARIABLE, data_rows

SHIPPED = Path(__file__).resolve().parents[1] / "content" / "agreements.yaml"

# Per-state counts of ICE's list, verified by counting its rows.
VERIFIED_TOP_STATES = {
    "FL": 309,
    "TX": 118,
    "GA": 31,
    "SC": 28,
    "VA": 28,
    "PA": 27,
    "AL": 23,
    "TN": 23,
    "NC": 22,
    "OK": 17,
}
VERIFIED_MODELS = {"task_force": 415, "warrant_service": 300, "jail": 117}
STATE_OF_NAME = {
    "FLORIDA": "FL",
    "TEXAS": "TX",
    "GEORGIA": "GA",
    "SOUTH CAROLINA": "SC",
    "VIRGINIA": "VA",
    "PENNSYLVANIA": "PA",
    "ALABAMA": "AL",
    "TENNESSEE": "TN",
    "NORTH CAROLINA": "NC",
    "OKLAHOMA": "OK",
    "NEW HAMPSHIRE": "NH",
    "MAINE": "ME",
}


@pytest.fixture(scope="module")
def ice_list() -> Path:
    path = Path(os.environ.get(ICE_LIST_VARIABLE, ""))
    assert path.is_file(), f"{ICE_LIST_VARIABLE}={str(path)!r}: no such file"
    return path


@pytest.fixture(scope="module")
def imported(ice_list: Path, tmp_path_factory: pytest.TempPathFactory) -> AgreementList:
    out = tmp_path_factory.mktemp("content") / "agreements.yaml"
    return import_agreements(ice_list, out, None, places.bundled())


@pytest.fixture(scope="module")
def raw_rows(ice_list: Path) -> list[tuple[Any, ...]]:
    return data_rows(ice_list)


def test_ices_list_has_832_agreements(
    imported: AgreementList, raw_rows: list[tuple[Any, ...]]
) -> None:
    """Every one of the list's 832 agreements is imported; blank trailing rows are not."""
    assert len(raw_rows) == 832
    assert len(imported) == 832
    assert imported.as_of == "2025-07-18"


def test_state_counts_match_a_separate_count_of_the_rows(
    imported: AgreementList, raw_rows: list[tuple[Any, ...]]
) -> None:
    """Per-state totals equal the rows counted directly, for the top ten states and more."""
    raw = Counter(str(r[0]).strip() for r in raw_rows)
    assert len(raw) == 40
    for name, code in STATE_OF_NAME.items():
        assert imported.state_total(code) == raw[name], name
    assert dict(list(imported.counts_by_state().items())[:10]) == VERIFIED_TOP_STATES
    assert sum(imported.counts_by_state().values()) == 832


def test_model_and_kind_counts_match_a_separate_count_of_the_rows(
    imported: AgreementList, raw_rows: list[tuple[Any, ...]]
) -> None:
    """Models (trailing spaces and all) and kinds match the rows counted directly."""
    raw = Counter(" ".join(str(r[4]).split()) for r in raw_rows)
    assert raw == {
        "Task Force Model": VERIFIED_MODELS["task_force"],
        "Warrant Service Officer": VERIFIED_MODELS["warrant_service"],
        "Jail Enforcement Model": VERIFIED_MODELS["jail"],
    }
    assert imported.counts_by_model() == VERIFIED_MODELS
    assert Counter(a.kind for a in imported.agreements) == {
        "county": 582,
        "municipality": 189,
        "state": 61,
    }


def test_link_pending_is_no_link(imported: AgreementList, raw_rows: list[tuple[Any, ...]]) -> None:
    """ "link pending" gives no MOA link; every other MOA is an https link on ice.gov."""
    pending = sum("pending" in str(r[6]).lower() for r in raw_rows)
    assert pending == 229
    assert sum(a.moa_url is None for a in imported.agreements) == pending
    urls = [a.moa_url for a in imported.agreements if a.moa_url]
    assert all(u.startswith("https://www.ice.gov/doclib/287gMOA/") for u in urls)


def test_shipped_file_is_ices_list_imported(imported: AgreementList) -> None:
    """content/agreements.yaml is exactly what importing ICE's list gives."""
    assert load_agreements(SHIPPED) == imported
