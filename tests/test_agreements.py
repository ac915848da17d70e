"""The importer of ICE's 287(g) spreadsheet and the agreements list (``bot.agreements``).

The sample is ``tests/data/ice-287g-sample-2025-07-18.xlsx``: 40 real agreements from ICE's
list of July 18, 2025, with the untidiness of ICE's file, written by
``tests/data/make_ice_sample.py``. It is read by the importer and, separately, counted row by
row with openpyxl's ordinary (not read-only) mode; broken spreadsheets are built here with
openpyxl. ICE's whole list is checked by ``tests/test_ice_list.py`` when it is available.
"""

from __future__ import annotations

import logging
import zipfile
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from openpyxl import load_workbook

from bot import places
from bot.agreements import (
    Agreement,
    AgreementList,
    ImportProblem,
    dump_agreements,
    load_agreements,
    parse_agreements,
)
from bot.agreements.importer import import_agreements, read_ice_xlsx, summary
from bot.datafiles import as_of_from_filename
from bot.placenames import county_key
from tests.data import ICE_SAMPLE, data_rows, make_ice_sample, row, write_xlsx

SAMPLE_NAME = make_ice_sample.NAME
SAMPLE = ICE_SAMPLE
HEADER = make_ice_sample.HEADER

# The sample's figures, counted by hand from the rows of make_ice_sample.py (and checked again
# against openpyxl's reading of the file in the tests below).
SAMPLE_AGREEMENTS = 40
VERIFIED_TOP_STATES = {
    "FL": 15,
    "AL": 4,
    "TX": 4,
    "NH": 3,
    "VA": 3,
    "GA": 2,
    "LA": 2,
    "UT": 2,
    "AR": 1,
    "IA": 1,
}
VERIFIED_MODELS = {"task_force": 25, "warrant_service": 10, "jail": 5}
VERIFIED_KINDS = {"county": 24, "municipality": 6, "state": 10}
VERIFIED_PENDING = 16
STATE_OF_NAME = {
    "FLORIDA": "FL",
    "TEXAS": "TX",
    "GEORGIA": "GA",
    "VIRGINIA": "VA",
    "PENNSYLVANIA": "PA",
    "ALABAMA": "AL",
    "TENNESSEE": "TN",
    "NEW HAMPSHIRE": "NH",
    "LOUISIANA": "LA",
    "IDAHO": "ID",
    "IOWA": "IA",
}


@pytest.fixture(scope="module")
def sample() -> Path:
    assert SAMPLE.is_file(), f"the sample spreadsheet is missing: {SAMPLE}"
    return SAMPLE


@pytest.fixture(scope="module")
def imported(sample: Path, tmp_path_factory: pytest.TempPathFactory) -> AgreementList:
    out = tmp_path_factory.mktemp("content") / "agreements.yaml"
    return import_agreements(sample, out, None, places.bundled())


@pytest.fixture(scope="module")
def raw_rows(sample: Path) -> list[tuple[Any, ...]]:
    return data_rows(sample)


# -- the sample ---------------------------------------------------------------------------------


def test_sample_file_is_what_its_script_writes(sample: Path, tmp_path: Path) -> None:
    """The committed spreadsheet holds exactly the rows, links and blank rows of its script."""

    def cells(path: Path) -> tuple[int, list[tuple[str, Any, str | None]]]:
        sheet = load_workbook(path).active
        assert sheet is not None
        found = [
            (c.coordinate, c.value, c.hyperlink.target if c.hyperlink else None)
            for row in sheet.iter_rows()
            for c in row
            if c.value is not None or c.hyperlink is not None
        ]
        return sheet.max_row, found

    fresh = tmp_path / SAMPLE_NAME
    fresh.write_bytes(make_ice_sample.build())
    assert cells(sample) == cells(fresh)


def test_sample_is_as_untidy_as_ices_file(sample: Path, raw_rows: list[tuple[Any, ...]]) -> None:
    """Blank styled rows at the end, shared strings, and MOA links stored as hyperlinks."""
    sheet = load_workbook(sample).active
    assert sheet is not None
    assert sheet.max_row == 1 + SAMPLE_AGREEMENTS + make_ice_sample.BLANK_TRAILING_ROWS
    assert len(raw_rows) == SAMPLE_AGREEMENTS
    moa = [c for row in sheet.iter_rows(min_row=2) for c in row[6:7] if c.value is not None]
    linked = [c for c in moa if c.hyperlink is not None]
    assert {c.value for c in linked} == {"link", "link ", "link  "}
    assert len(linked) == SAMPLE_AGREEMENTS - VERIFIED_PENDING
    assert any(c.hyperlink.target.startswith("http://") for c in linked)
    assert any("safelinks" in c.hyperlink.target for c in linked)
    with zipfile.ZipFile(sample) as archive:
        assert "xl/sharedStrings.xml" in archive.namelist()
        assert b"inlineStr" not in archive.read("xl/worksheets/sheet1.xml")


def test_sample_has_every_agreement(
    imported: AgreementList, raw_rows: list[tuple[Any, ...]]
) -> None:
    """Every one of the sample's agreements is imported; blank trailing rows are not."""
    assert len(raw_rows) == SAMPLE_AGREEMENTS
    assert len(imported) == SAMPLE_AGREEMENTS
    assert imported.as_of == "2025-07-18"
    assert "ICE" in imported.source and SAMPLE_NAME in imported.source


def test_state_counts_match_a_separate_count_of_the_rows(
    imported: AgreementList, raw_rows: list[tuple[Any, ...]]
) -> None:
    """Per-state totals equal the rows counted directly, for the top ten states and more."""
    raw = Counter(str(r[0]).strip() for r in raw_rows)
    assert len(raw) == 13
    for name, code in STATE_OF_NAME.items():
        assert imported.state_total(code) == raw[name], name
    top = dict(list(imported.counts_by_state().items())[:10])
    assert top == VERIFIED_TOP_STATES
    assert sum(imported.counts_by_state().values()) == SAMPLE_AGREEMENTS
    assert imported.state_total("CA") == 0


def test_model_counts_match_a_separate_count_of_the_rows(
    imported: AgreementList, raw_rows: list[tuple[Any, ...]]
) -> None:
    """ "Task Force Model " with a trailing space is a task force agreement like the others."""
    assert any(str(r[4]).endswith(" ") for r in raw_rows)
    raw = Counter(" ".join(str(r[4]).split()) for r in raw_rows)
    assert raw == {
        "Task Force Model": VERIFIED_MODELS["task_force"],
        "Warrant Service Officer": VERIFIED_MODELS["warrant_service"],
        "Jail Enforcement Model": VERIFIED_MODELS["jail"],
    }
    assert imported.counts_by_model() == VERIFIED_MODELS


def test_kinds_are_mapped_from_type(
    imported: AgreementList, raw_rows: list[tuple[Any, ...]]
) -> None:
    """County, Municipality and State Agency become county, municipality and state."""
    raw = Counter(str(r[2]) for r in raw_rows)
    assert raw == {"County": 24, "Municipality": 6, "State Agency": 10}
    assert Counter(a.kind for a in imported.agreements) == VERIFIED_KINDS


def test_hillsborough_in_florida_and_new_hampshire_stay_apart(imported: AgreementList) -> None:
    """The same county name in two states answers each state's own agreements."""
    florida = imported.in_county("FL", "Hillsborough County")
    new_hampshire = imported.in_county("NH", "Hillsborough County")
    assert [a.model for a in florida] == ["task_force", "warrant_service"]
    assert [a.model for a in new_hampshire] == ["task_force"]
    assert {a.state for a in florida} == {"FL"}
    assert {a.state for a in new_hampshire} == {"NH"}


def test_link_pending_is_no_link_and_links_are_https_on_ice_gov(
    imported: AgreementList, raw_rows: list[tuple[Any, ...]]
) -> None:
    """ "link pending" gives no MOA link; every other MOA is an https link on ice.gov."""
    pending = sum("pending" in str(r[6]).lower() for r in raw_rows)
    assert pending == VERIFIED_PENDING
    assert sum(a.moa_url is None for a in imported.agreements) == pending
    urls = [a.moa_url for a in imported.agreements if a.moa_url]
    assert len(urls) == SAMPLE_AGREEMENTS - pending
    assert all(u.startswith("https://www.ice.gov/doclib/287gMOA/") for u in urls)


def test_moa_links_equal_the_hyperlinks_openpyxl_reads(sample: Path) -> None:
    """The MOA links equal the hyperlinks openpyxl reads from the cells, safe links unwrapped."""
    sheet = load_workbook(sample).active
    assert sheet is not None
    expected: list[str | None] = []
    for cells in sheet.iter_rows(min_row=2):
        if all(c.value is None for c in cells):
            continue
        moa = cells[6]
        target = moa.hyperlink.target if moa.hyperlink and "pending" not in moa.value else None
        if target and "safelinks" in target:
            target = parse_qs(urlsplit(target).query)["url"][0]
        if target:
            target = target.replace("http://", "https://", 1)
        expected.append(target)
    assert [a.moa_url for a in read_ice_xlsx(sample)] == expected


def test_safe_link_and_http_link_in_the_sample(imported: AgreementList) -> None:
    """An Outlook safe link and an http link both become the plain https ice.gov address."""
    colbert = [
        a for a in imported.in_county("AL", "Colbert County") if a.model == "warrant_service"
    ]
    assert [a.moa_url for a in colbert] == [
        "https://www.ice.gov/doclib/287gMOA/ColbertCoSheriffsOfficeAL_WSO_MOA_05.08.25.pdf"
    ]
    deaf_smith = imported.in_county("TX", "Deaf Smith County")
    assert [a.moa_url for a in deaf_smith] == [
        "https://www.ice.gov/doclib/287gMOA/DeafSmithCoTX_WSO_MOA_031725.pdf"
    ]


def test_state_agencies_are_statewide_never_a_countys(imported: AgreementList) -> None:
    """State agencies have no county ("#N/A", "N/A"), except two ICE places; none counts for a
    county."""
    state_agencies = [a for a in imported.agreements if a.kind == "state"]
    placed = {(a.agency, a.county) for a in state_agencies if a.county is not None}
    assert placed == {
        ("Idaho State Police Department", "Jerome County"),
        ("Virginia Department of Wildlife Resources", "Henrico County"),
    }
    assert imported.in_county("ID", "Jerome County") == []
    assert [a.agency for a in imported.statewide("TX")] == [
        "Texas National Guard",
        "Texas Office of the Attorney General",
    ]
    assert all(a.kind == "state" for s in ("FL", "VA", "ID") for a in imported.statewide(s))
    assert [a.county for a in imported.statewide("IA")] == [None]
    (greenwood,) = imported.in_county("LA", "Caddo Parish")  # "#NA", placed from its name
    assert (greenwood.agency, greenwood.county) == ("Greenwood Police Department", None)
    assert imported.unplaced("LA") == []


def test_sample_untidiness_is_tidied(imported: AgreementList) -> None:
    """Trailing spaces go, "Decatur" is a county, Louisiana has parishes, typos are fixed."""
    assert all(a.agency == a.agency.strip() for a in imported.agreements)
    assert all(a.county is None or a.county == a.county.strip() for a in imported.agreements)
    assert imported.in_county("GA", "Decatur County")[0].county == "Decatur County"
    assert imported.in_county("LA", "St. Landry Parish")[0].county == "Saint Landry Parish"
    assert imported.in_county("FL", "Flagler County")[0].agency == "Bunnell Police Department"
    assert imported.in_county("PA", "Allegheny County") != []
    assert "Flagere County" not in imported.counties("FL")


def test_sample_dates_written_as_text_and_impossible_dates(imported: AgreementList) -> None:
    """ "7/72025" is July 7, 2025; the year 5025 is a typo and gives no date."""
    tooele = imported.in_county("UT", "Tooele County")
    assert [a.signed for a in tooele if a.model == "warrant_service"] == ["2025-07-07"]
    grundy = imported.in_county("TN", "Grundy County")
    assert [a.signed for a in grundy] == [None]
    assert all(
        a.signed is None or "2002-01-01" <= a.signed <= "2025-07-18" for a in imported.agreements
    )


def test_lookups_on_the_sample(imported: AgreementList) -> None:
    """A county with several agreements, one with none, and any spelling of a county."""
    lee = imported.in_county("FL", "Lee County")
    assert len(lee) == 4
    assert {a.agency for a in lee} == {
        "Lee County Sheriff's Office",
        "Lee County Port Authority Police",
    }
    assert imported.in_county("TX", "Harris County") == []
    assert imported.in_county("fl", "  lee   COUNTY ") == lee
    assert imported.in_county("FL", "Lee") == lee
    assert "Lee County" in imported.counties("FL")
    assert imported.counties("CA") == []


def test_agreements_are_sorted_by_state_county_agency(imported: AgreementList) -> None:
    """The list is ordered by state, then county (ICE's, else the one found from the name),
    then agency."""
    keys = [
        (a.state, (a.counties[0] if a.counties else "").casefold(), a.agency.casefold())
        for a in imported.agreements
    ]
    assert keys == sorted(keys)


def test_summary_prints_states_and_models(imported: AgreementList) -> None:
    """The summary table has a row per state and the totals per model."""
    text = summary(imported)
    assert "as of 2025-07-18" in text
    texas = next(line for line in text.splitlines() if line.startswith("TX  Texas"))
    assert texas.split()[2:] == ["4", "2", "2", "0"]
    total = text.splitlines()[-1]
    assert total.split() == ["All", "40", "25", "10", "5"]


# -- broken spreadsheets -----------------------------------------------------------------------


def test_missing_column_names_missing_and_found(tmp_path: Path) -> None:
    """A sheet without SUPPORT TYPE is refused, naming it and the columns that are there."""
    header = [h for h in HEADER if h != "SUPPORT TYPE"]
    path = write_xlsx(tmp_path / "list-2025-07-18.xlsx", [header, ["TEXAS", "X", "County"]])
    with pytest.raises(ImportProblem) as exc:
        read_ice_xlsx(path)
    message = str(exc.value)
    assert "missing column(s) SUPPORT TYPE;" in message
    assert "'LAW ENFORCEMENT AGENCY'" in message and "'ADDENDUM'" in message


def test_renamed_column_names_missing_and_found(tmp_path: Path) -> None:
    """A renamed column ("MODEL") is reported as missing, and the new name as found."""
    header = ["MODEL" if h == "SUPPORT TYPE" else h for h in HEADER]
    path = write_xlsx(tmp_path / "list.xlsx", [header, row()])
    with pytest.raises(ImportProblem) as exc:
        read_ice_xlsx(path)
    assert "missing column(s) SUPPORT TYPE" in str(exc.value)
    assert "'MODEL'" in str(exc.value)


def test_header_is_found_below_a_title_whatever_its_case(tmp_path: Path) -> None:
    """A title row and a blank row may come first; header case and spacing do not matter."""
    header = [f" {h.lower().replace(' ', '  ')} " for h in HEADER]
    rows = [["287(g) Participating Agencies"], [], header, row(state="Texas"), row(state="TX")]
    path = write_xlsx(tmp_path / "list.xlsx", rows)
    found = read_ice_xlsx(path)
    assert [a.state for a in found] == ["TX", "TX"]


def test_empty_sheet_is_refused(tmp_path: Path) -> None:
    """A workbook with nothing in it is refused with a clear message."""
    path = write_xlsx(tmp_path / "list.xlsx", [])
    with pytest.raises(ImportProblem, match="empty"):
        read_ice_xlsx(path)


def test_header_only_is_refused(tmp_path: Path) -> None:
    """A header without agreements below it is refused."""
    path = write_xlsx(tmp_path / "list.xlsx", [HEADER, [None] * 8, [" "] * 8])
    with pytest.raises(ImportProblem, match=r"no agreements below the header \(row 1\)"):
        read_ice_xlsx(path)


def test_text_file_named_xlsx_is_refused(tmp_path: Path) -> None:
    """A file that is not a spreadsheet is refused as such, not with a traceback."""
    path = tmp_path / "list.xlsx"
    path.write_text("STATE,LAW ENFORCEMENT AGENCY\nTEXAS,Harris\n", encoding="utf-8")
    with pytest.raises(ImportProblem, match=r"not an Excel workbook \(\.xlsx\)"):
        read_ice_xlsx(path)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    """A path where there is no file is refused."""
    with pytest.raises(ImportProblem, match="no such file"):
        read_ice_xlsx(tmp_path / "nothing.xlsx")


def test_unknown_support_type_names_the_row(tmp_path: Path) -> None:
    """An unknown SUPPORT TYPE is refused, naming the row and the value."""
    rows = [HEADER, row(), row(model="Detention Model")]
    path = write_xlsx(tmp_path / "list.xlsx", rows)
    with pytest.raises(ImportProblem) as exc:
        read_ice_xlsx(path)
    assert "list.xlsx, row 3: unknown SUPPORT TYPE 'Detention Model'" in str(exc.value)


def test_unknown_type_names_the_row(tmp_path: Path) -> None:
    """An unknown TYPE is refused, naming the row and the value."""
    path = write_xlsx(tmp_path / "list.xlsx", [HEADER, row(kind="Tribal")])
    with pytest.raises(ImportProblem, match=r"row 2: unknown TYPE 'Tribal'"):
        read_ice_xlsx(path)


def test_unknown_state_names_the_row(tmp_path: Path) -> None:
    """A STATE that is no state's name or code is refused, naming the row."""
    path = write_xlsx(tmp_path / "list.xlsx", [HEADER, row(), row(state="Ontario")])
    with pytest.raises(ImportProblem, match=r"row 3: unknown STATE 'Ontario'"):
        read_ice_xlsx(path)


def test_nothing_is_overwritten_on_error(tmp_path: Path) -> None:
    """A failed import leaves the old file byte for byte, and no temporary file behind."""
    out = tmp_path / "agreements.yaml"
    out.write_bytes(b"as_of: '2025-01-01'\n# the old list\n")
    broken = write_xlsx(tmp_path / "list-2025-07-18.xlsx", [HEADER, row(model="Nope")])
    not_xlsx = tmp_path / "other-2025-07-18.xlsx"
    not_xlsx.write_text("hello", encoding="utf-8")
    for path in (broken, not_xlsx):
        with pytest.raises(ImportProblem):
            import_agreements(path, out, None, places.bundled())
        assert out.read_bytes() == b"as_of: '2025-01-01'\n# the old list\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "agreements.yaml",
        "list-2025-07-18.xlsx",
        "other-2025-07-18.xlsx",
    ]


def test_tidying_of_a_built_sheet(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Codes and names of states, capitals, "#N/A", dates as text and links are tidied."""
    safe = (
        "https://gcc02.safelinks.protection.outlook.com/?url=https%3A%2F%2Fwww.ice.gov%2F"
        "doclib%2F287gMOA%2FA_TFM.pdf&data=05%7C02%7Cperson%40ice.dhs.gov"
    )
    rows = [
        HEADER,
        row(state=" texas ", county="HARRIS COUNTY ", moa=("link", safe)),
        row(state="LA", county="Bossier", agency="BOSSIER PARISH SHERIFF'S OFFICE"),
        row(kind="State Agency", county="#N/A", model="Jail Enforcement Model "),
        row(kind="Municipality", county="N/A", moa=("link ", "http://www.ice.gov/doclib/B.pdf")),
        row(signed="05/082025", moa="https://www.ice.gov/doclib/C.pdf"),
        row(signed="sometime", moa=("link", "ftp://example.org/x.pdf")),
        row(signed=datetime(2031, 1, 1)),
        row(state="District of Columbia", county="District of Columbia", model="WSO"),
    ]
    with caplog.at_level(logging.WARNING, logger="bot.agreements"):
        found = read_ice_xlsx(write_xlsx(tmp_path / "list.xlsx", rows), not_after=date(2025, 7, 18))
    assert [(a.state, a.county) for a in found] == [
        ("TX", "Harris County"),
        ("LA", "Bossier Parish"),
        ("TX", None),
        ("TX", None),
        ("TX", "Example County"),
        ("TX", "Example County"),
        ("TX", "Example County"),
        ("DC", "District of Columbia"),
    ]
    assert found[1].agency == "Bossier Parish Sheriff's Office"
    assert [a.kind for a in found[2:4]] == ["state", "municipality"]
    assert found[2].model == "jail" and found[7].model == "warrant_service"
    assert [a.moa_url for a in found[:7]] == [
        "https://www.ice.gov/doclib/287gMOA/A_TFM.pdf",
        None,
        None,
        "https://www.ice.gov/doclib/B.pdf",
        "https://www.ice.gov/doclib/C.pdf",
        None,
        None,
    ]
    assert [a.signed for a in found[4:7]] == ["2025-05-08", None, None]
    warnings = "\n".join(r.getMessage() for r in caplog.records)
    assert "row 7: SIGNED 'sometime' is not a date" in warnings
    assert "row 8: SIGNED 2031-01-01 is impossible" in warnings
    assert "row 7: MOA link 'ftp://example.org/x.pdf' is not an https address" in warnings


# -- dates, files, round trips -----------------------------------------------------------------


def test_as_of_from_filename() -> None:
    """The first valid YYYY-MM-DD in the file's name is the list's date."""
    assert as_of_from_filename(Path(SAMPLE_NAME)) == date(2025, 7, 18)
    assert as_of_from_filename(Path("/x/2024-01-01/list-2025-13-40-2025-06-30.xlsx")) == date(
        2025, 6, 30
    )
    assert as_of_from_filename(Path("participating-agencies.xlsx")) is None
    assert as_of_from_filename(Path("list-20250718.xlsx")) is None


def test_as_of_from_the_option_then_the_file_name(tmp_path: Path) -> None:
    """--as-of wins over the file's name; the file's name is used without it."""
    xlsx = write_xlsx(tmp_path / "ice-2025-07-18.xlsx", [HEADER, row()])
    out = tmp_path / "agreements.yaml"
    assert import_agreements(xlsx, out, date(2025, 8, 1), places.bundled()).as_of == "2025-08-01"
    assert load_agreements(out).as_of == "2025-08-01"
    assert import_agreements(xlsx, out, None, places.bundled()).as_of == "2025-07-18"


def test_no_date_anywhere_is_refused(tmp_path: Path) -> None:
    """Without --as-of and without a date in the file's name, the import asks for --as-of."""
    xlsx = write_xlsx(tmp_path / "participating-agencies.xlsx", [HEADER, row()])
    out = tmp_path / "agreements.yaml"
    with pytest.raises(ImportProblem, match="give --as-of"):
        import_agreements(xlsx, out, None, places.bundled())
    assert not out.exists()


def test_signed_after_the_lists_date_is_dropped(tmp_path: Path) -> None:
    """An agreement cannot be signed after the date of the list that names it."""
    xlsx = write_xlsx(tmp_path / "ice-2025-07-18.xlsx", [HEADER, row(signed=datetime(2025, 7, 19))])
    lst = import_agreements(xlsx, tmp_path / "agreements.yaml", None, places.bundled())
    assert lst.agreements[0].signed is None


def test_yaml_round_trip(imported: AgreementList, tmp_path: Path) -> None:
    """The written file documents its format, loads with safe_load and reads back equal."""
    text = dump_agreements(imported)
    assert text.startswith("# 287(g) agreements")
    assert "moa_url" in text.split("\n\n")[0]  # the format is explained in the header comment
    data = yaml.safe_load(text)
    assert data["as_of"] == "2025-07-18"
    assert len(data["agreements"]) == SAMPLE_AGREEMENTS
    assert set(data["agreements"][0]) == {
        "state",
        "agency",
        "kind",
        "county",
        "model",
        "signed",
        "moa_url",
        "inferred",
    }
    assert "inferred" in text.split("\n\n")[0]
    assert parse_agreements(text) == imported
    path = tmp_path / "agreements.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_agreements(path) == imported


def test_unquoted_dates_load_too(tmp_path: Path) -> None:
    """A hand-written file with unquoted YAML dates loads as the importer's would."""
    path = tmp_path / "agreements.yaml"
    path.write_text(
        "as_of: 2025-07-18\nsource: ICE\nagreements:\n"
        "- {state: FL, agency: A, kind: county, county: Lee County, model: jail,"
        " signed: 2025-02-26, moa_url: null}\n",
        encoding="utf-8",
    )
    lst = load_agreements(path)
    assert lst.as_of == "2025-07-18"
    assert lst.in_county("FL", "Lee County")[0].signed == "2025-02-26"


def test_malformed_files_are_refused_with_line_and_key(tmp_path: Path) -> None:
    """A malformed agreements file is refused, naming the line and the key at fault."""
    path = tmp_path / "agreements.yaml"
    good = (
        "- {state: FL, agency: A, kind: county, county: X, model: jail, signed: null,"
        " moa_url: null}"
    )
    bad = good.replace("model: jail", "model: detention").replace("state: FL", "state: XX")
    path.write_text(f"as_of: '2025-07-18'\nsource: ICE\nagreements:\n{good}\n{bad}\n", "utf-8")
    with pytest.raises(ImportProblem) as exc:
        load_agreements(path)
    message = str(exc.value)
    assert "agreements.yaml:5: agreements[1].state: 'XX' is not a USPS state code" in message
    assert "agreements[1].model: 'detention' is not one of task_force" in message

    path.write_text("as_of: '2025-07-18'\nagreements: [\n", encoding="utf-8")
    with pytest.raises(ImportProblem, match="invalid YAML"):
        load_agreements(path)
    path.write_text("- just a list\n", encoding="utf-8")
    with pytest.raises(ImportProblem, match="expected a mapping"):
        load_agreements(path)
    path.write_text("as_of: someday\nsource: ICE\nagreements: []\n", encoding="utf-8")
    with pytest.raises(ImportProblem) as exc:
        load_agreements(path)
    assert "as_of: expected the list's date" in str(exc.value)
    assert "agreements: expected a non-empty list" in str(exc.value)
    with pytest.raises(ImportProblem, match="no such file"):
        load_agreements(tmp_path / "missing.yaml")


def test_moa_url_must_be_https(tmp_path: Path) -> None:
    """An http or javascript link in the file is refused: the bot only shows https links."""
    path = tmp_path / "agreements.yaml"
    for url in ("http://www.ice.gov/x.pdf", "javascript:alert(1)"):
        path.write_text(
            "as_of: '2025-07-18'\nsource: ICE\nagreements:\n"
            "- {state: FL, agency: A, kind: county, county: X, model: jail, signed: null,"
            f" moa_url: '{url}'}}\n",
            encoding="utf-8",
        )
        with pytest.raises(ImportProblem, match="is not an https link"):
            load_agreements(path)


def test_county_key_ignores_spelling_differences() -> None:
    """Case, spaces, accents, Saint/St. and the County suffix do not make two counties."""
    assert county_key("St. Johns County") == county_key("saint johns") == "stjohns"
    assert county_key("DeKalb County") == county_key("De Kalb")
    assert county_key("Doña Ana County") == county_key("DONA ANA")
    assert county_key("Fairfax city") != county_key("Fairfax County")
    assert county_key("Matanuska-Susitna Borough") == county_key("Matanuska Susitna")


def test_list_is_sorted_and_indexed_whatever_the_input_order() -> None:
    """An AgreementList sorts what it is given; equal lists compare equal."""
    a = Agreement("TX", "B", "county", "Bexar County", "jail", None, None)
    b = Agreement("FL", "A", "county", "Lee County", "task_force", "2025-01-02", None)
    c = Agreement("FL", "Florida Highway Patrol", "state", None, "task_force", None, None)
    one = AgreementList("2025-07-18", "ICE", (a, b, c))
    other = AgreementList("2025-07-18", "ICE", (c, b, a))
    assert one == other
    assert one.agreements == (c, b, a)
    assert one.statewide("FL") == [c]
    assert one.in_county("FL", "Lee County") == [b]
    assert one.counts_by_state() == {"FL": 2, "TX": 1}
