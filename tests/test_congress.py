"""The Congress importer, its two files, and which Congress is in office (``bot.congress``).

``tests/data/congress/`` holds slices of the real files: 15 members of the 119th Congress
from unitedstates/congress-legislators (June 15, 2026; each with their last two terms) with
their district offices, and the ZIP codes of their districts from the ZCTA-to-district table.
Broken inputs are made from those slices here.
"""

from __future__ import annotations

import csv
import shutil
import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import main as cli_main
from bot.congress.files import (
    MEMBERS_FILE,
    ZIPS_FILE,
    CongressFileError,
    CongressFiles,
    dump_members,
    dump_zips,
    load_congress,
    parse_members,
    parse_zips,
)
from bot.congress.importer import (
    BAD_PHONE,
    LEFT_OUT_MEMBER,
    NO_LINK,
    NO_PHONE,
    NO_ZIPS,
    NOT_A_MEMBER,
    OFFICE_LEFT_OUT,
    SENATE_GAP,
    URL_REPAIRED,
    VACANT,
    ZIP_LEFT_OUT,
    ZIP_PADDED,
    import_congress,
    read_congress_sources,
    summary,
)
from bot.congress.model import (
    CongressData,
    District,
    ZipTable,
    congress_end,
    congress_number,
    congress_start,
    ordinal,
)

DATA = Path(__file__).resolve().parent / "data" / "congress"
LEGISLATORS = DATA / "legislators-current-2026-06-15.yaml"
OFFICES = DATA / "legislators-district-offices-2026-06-15.yaml"
ZIPS = DATA / "zccd-119th-congress.csv"
AS_OF = date(2026, 6, 15)


@pytest.fixture
def sources(tmp_path: Path) -> dict[str, Path]:
    """Copies of the three slices, free to break."""
    folder = tmp_path / "sources"
    folder.mkdir()
    return {
        "legislators": Path(shutil.copy(LEGISLATORS, folder)),
        "offices": Path(shutil.copy(OFFICES, folder)),
        "zips": Path(shutil.copy(ZIPS, folder)),
    }


def edit_yaml(path: Path, change: Any) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def person(data: list[dict[str, Any]], last: str) -> dict[str, Any]:
    return next(p for p in data if p["name"]["last"] == last)


def read(sources: dict[str, Path], as_of: date | None = None) -> Any:
    return read_congress_sources(sources["legislators"], sources["offices"], sources["zips"], as_of)


# -- the slices of the real files ----------------------------------------------------------------


def test_the_slices_import_with_every_member_and_zip() -> None:
    """The 15 members are kept with chamber, role, district and phones; the ZIP codes map to
    their districts; the date and Congress come from the file name."""
    report = read_congress_sources(LEGISLATORS, OFFICES, ZIPS)
    data = report.data
    assert (data.as_of, data.congress) == ("2026-06-15", 119)
    assert "unitedstates/congress-legislators" in data.source
    assert "legislators-current-2026-06-15.yaml" in data.source
    assert "zccd-119th-congress.csv" in data.zip_source
    assert len(data.members) == 15
    castor = data.representative(District("FL", 14))
    assert castor is not None
    assert (castor.name, castor.chamber, castor.role, castor.district) == (
        "Kathy Castor",
        "house",
        "representative",
        14,
    )
    assert castor.phone == "202-225-3376"
    assert castor.website == "https://castor.house.gov"
    assert [o.city for o in castor.offices] == ["Tampa", "St. Petersburg"]
    assert {m.name for m in data.senators("FL")} == {"Rick Scott", "Ashley Moody"}
    moody = next(m for m in data.senators("FL") if m.name == "Ashley Moody")
    assert (moody.district, moody.term_end) == (None, "2026-11-03")
    norton = data.representative(District("DC", 0))
    assert norton is not None and norton.role == "delegate"
    hernandez = data.representative(District("PR", 0))
    assert hernandez is not None and hernandez.role == "resident_commissioner"
    assert data.representative(District("AK", 0)) is not None  # at-large is district 0
    assert data.zips.districts("77002") == (
        District("TX", 7),
        District("TX", 18),
        District("TX", 29),
    )
    assert data.zips.districts("00601") == (District("PR", 0),)
    assert len(data.zips) == 32


def test_what_the_slices_could_not_use_is_reported() -> None:
    """A member without a phone or website is kept and reported; a broken contact-form
    address is repaired and reported; states with fewer than two senators are named."""
    notes = read_congress_sources(LEGISLATORS, OFFICES, ZIPS).notes
    assert notes[NO_PHONE] == ["James Gallagher (CA-1)"]
    assert notes[NO_LINK] == ["James Gallagher (CA-1)"]
    assert notes[URL_REPAIRED] == [
        "Randy Fine (FL-6), contact form: "
        "'hhttps://fine.house.gov/address_authentication?form=/contact/email-me' -> "
        "'https://fine.house.gov/address_authentication?form=/contact/email-me'"
    ]
    assert "CA: 0 senator(s)" in notes[SENATE_GAP]
    assert "DC: 0 senator(s)" not in notes[SENATE_GAP]  # DC has none to miss
    assert LEFT_OUT_MEMBER not in notes and ZIP_LEFT_OUT not in notes and VACANT not in notes


def test_a_written_import_reads_back_the_same(tmp_path: Path) -> None:
    """Both files are written and read back to the same data, and the summary counts them."""
    report = import_congress(LEGISLATORS, OFFICES, ZIPS, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [ZIPS_FILE, MEMBERS_FILE]
    assert load_congress(tmp_path) == report.data
    text = summary(report)
    assert "Members of the 119th Congress as of 2026-06-15: 6 senators" in text
    assert "ZIP codes: 32 (6 in more than one district, 0 in two states)" in text
    assert f"{NO_PHONE}: 1\n  James Gallagher (CA-1)" in text


def test_the_zip_file_is_one_sorted_line_per_zip(tmp_path: Path) -> None:
    """congress-zips.txt: a header, then "ZIP STATE-N ..." lines in ZIP order."""
    import_congress(LEGISLATORS, OFFICES, ZIPS, tmp_path)
    lines = (tmp_path / ZIPS_FILE).read_text(encoding="utf-8").splitlines()
    assert "as_of: 2026-06-15" in lines and "congress: 119" in lines
    rows = [line for line in lines if line[:1].isdigit()]
    assert rows[0] == "00601 PR-0"
    assert "77002 TX-7 TX-18 TX-29" in rows
    assert rows == sorted(rows)


# -- broken input ----------------------------------------------------------------------------


def test_members_with_missing_fields_or_unknown_states_are_left_out(
    sources: dict[str, Path],
) -> None:
    """A member without an id, without terms, with an unknown state or without a district is
    left out and named; the others are imported."""

    def breakage(data: list[dict[str, Any]]) -> None:
        person(data, "Castor")["id"].pop("bioguide")
        person(data, "Cruz")["terms"] = []
        person(data, "Fletcher")["terms"][-1]["state"] = "XX"
        person(data, "Garcia")["terms"][-1].pop("district")
        person(data, "Norton")["terms"][-1]["end"] = "2026-01-03"

    edit_yaml(sources["legislators"], breakage)
    report = read(sources)
    assert sorted(report.notes[LEFT_OUT_MEMBER]) == [
        "Eleanor Holmes Norton (N000147): the last term ended on 2026-01-03, before the "
        "data's date",
        "Kathy Castor (no id): no Bioguide id or no name",
        "Lizzie Fletcher (F000468): unknown state 'XX'",
        "Sylvia R. Garcia (G000587): no House district (None)",
        "Ted Cruz (C001098): no terms",
    ]
    assert len(report.data.members) == 10
    assert report.data.representative(District("FL", 14)) is None
    assert "TX-7" in report.notes[VACANT] and "FL-14" in report.notes[VACANT]


def test_a_member_without_a_phone_is_kept_and_reported(sources: dict[str, Path]) -> None:
    """No Washington phone: the member stays (their district offices still have phones);
    a phone that is not a phone number is left out and reported."""

    def breakage(data: list[dict[str, Any]]) -> None:
        person(data, "Castor")["terms"][-1].pop("phone")
        person(data, "Cornyn")["terms"][-1]["phone"] = "call the switchboard"

    edit_yaml(sources["legislators"], breakage)
    report = read(sources)
    castor = report.data.representative(District("FL", 14))
    assert castor is not None and castor.phone is None and castor.offices
    assert "Kathy Castor (FL-14)" in report.notes[NO_PHONE]
    assert report.notes[BAD_PHONE] == [
        "John Cornyn (TX senator), Washington: 'call the switchboard'"
    ]


def test_offices_without_a_phone_or_of_strangers_are_left_out(sources: dict[str, Path]) -> None:
    """An office with no phone or no city is left out and named; offices of someone who is not
    a current member are counted; phones are written 000-000-0000."""

    def breakage(data: list[dict[str, Any]]) -> None:
        castor = next(e for e in data if e["id"]["bioguide"] == "C001066")
        castor["offices"][0].pop("phone")
        scott = next(e for e in data if e["id"]["bioguide"] == "S001217")
        scott["offices"][0]["city"] = " "
        scott["offices"][1]["phone"] = "(850) 942 8415"
        data.append({"id": {"bioguide": "Z999999"}, "offices": [{"city": "X", "phone": "1"}]})

    edit_yaml(sources["offices"], breakage)
    report = read(sources)
    assert report.notes[OFFICE_LEFT_OUT] == [
        "Kathy Castor (FL-14), office in Tampa: no phone",
        "Rick Scott (FL senator), office in (no city): no city",
    ]
    assert report.notes[NOT_A_MEMBER] == ["Z999999"]
    castor = report.data.representative(District("FL", 14))
    assert castor is not None and [o.city for o in castor.offices] == ["St. Petersburg"]
    scott = next(m for m in report.data.senators("FL") if m.name == "Rick Scott")
    assert "850-942-8415" in [o.phone for o in scott.offices]


def test_zip_rows_without_a_district_or_with_an_unknown_state_are_left_out(
    sources: dict[str, Path],
) -> None:
    """A ZIP row with no district, an unknown state or no ZIP code is left out and named by
    its line; a ZIP code Excel stripped of its leading zero is restored."""
    with sources["zips"].open("a", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["12", "FL", "33606", ""])
        writer.writerow(["99", "ZZ", "33607", "14"])
        writer.writerow(["12", "FL", "not-a-zip", "14"])
        writer.writerow(["72", "PR", "604", "0"])
        writer.writerow([])
    report = read(sources)
    assert report.notes[ZIP_LEFT_OUT] == [
        "zccd-119th-congress.csv:42: ZIP code 33606 has no district ('')",
        "zccd-119th-congress.csv:43: unknown state 'ZZ'",
        "zccd-119th-congress.csv:44: 'not-a-zip' is not a ZIP code",
    ]
    assert report.notes[ZIP_PADDED] == ["1 ZIP codes written with fewer than 5 digits"]
    assert report.data.zips.districts("00604") == (District("PR", 0),)
    assert report.data.zips.districts("33606") == ()


def test_vacant_seats_and_seats_without_zips_are_reported(sources: dict[str, Path]) -> None:
    """A district of the ZIP table nobody holds is reported as vacant; a member's seat with no
    ZIP code is reported too."""
    with sources["zips"].open("a", encoding="utf-8", newline="") as f:
        csv.writer(f).writerow(["12", "FL", "33019", "20"])

    def breakage(data: list[dict[str, Any]]) -> None:
        data[:] = [p for p in data if p["name"]["last"] != "Castor"]

    edit_yaml(sources["legislators"], breakage)
    with sources["zips"].open(encoding="utf-8") as f:
        kept = [row for row in f if ",AK," not in row]
    sources["zips"].write_text("".join(kept), encoding="utf-8")
    report = read(sources)
    assert report.notes[VACANT] == ["FL-14", "FL-20"]
    assert report.notes[NO_ZIPS] == ["AK-0"]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("legislators", "- id: [unclosed\n", r"invalid YAML"),
        ("legislators", "just: a mapping\n", r"expected a list of people"),
        ("legislators", "", r"expected a list of people"),
        ("offices", "{{{{", r"invalid YAML"),
        ("zips", "zip,district\n33602,14\n", r"no column state_abbr; columns found: 'zip'"),
        ("zips", "state_abbr,zcta,cd\n", r"no usable ZIP code"),
        ("zips", "", r"no column state_abbr, zcta, cd"),
        ("zips", "state_abbr,zcta,cd\nFL,33602,\n", r"no usable ZIP code"),
    ],
)
def test_malformed_files_are_refused_with_a_clear_message(
    sources: dict[str, Path], name: str, text: str, message: str
) -> None:
    """Malformed YAML or CSV, or files of another shape, raise a message naming the file."""
    sources[name].write_text(text, encoding="utf-8")
    with pytest.raises(CongressFileError, match=message) as refused:
        read(sources)
    assert sources[name].name in str(refused.value)


def test_binary_and_oversized_csv_are_refused(sources: dict[str, Path]) -> None:
    """A CSV that is not UTF-8 text, or whose field is beyond what csv reads, is refused."""
    sources["zips"].write_bytes(b"state_abbr,zcta,cd\n\xff\xfe\x00\x01,1,2\n")
    with pytest.raises(CongressFileError, match="not a UTF-8 text file"):
        read(sources)
    sources["zips"].write_text("state_abbr,zcta,cd\nFL," + "9" * 200_000 + ",1\n", "utf-8")
    with pytest.raises(CongressFileError, match=r"zccd-119th-congress.csv:2: not a CSV file"):
        read(sources)


def test_the_date_must_be_known_and_agree_with_the_terms(sources: dict[str, Path]) -> None:
    """No date in the file name and no --as-of is refused; a date in another Congress than
    the House terms' is refused; files of two different dates are refused."""
    undated = sources["legislators"].rename(sources["legislators"].with_name("current.yaml"))
    with pytest.raises(CongressFileError, match=r"no date .* give --as-of"):
        read_congress_sources(undated, sources["offices"], sources["zips"])
    assert read_congress_sources(undated, sources["offices"], sources["zips"], AS_OF)
    with pytest.raises(CongressFileError, match="most House terms end on 2027-01-03, but the"):
        read_congress_sources(undated, sources["offices"], sources["zips"], date(2027, 2, 1))
    older = sources["offices"].rename(sources["offices"].with_name("offices-2026-01-02.yaml"))
    with pytest.raises(CongressFileError, match="is of 2026-06-15 but offices-2026-01-02"):
        read_congress_sources(LEGISLATORS, older, sources["zips"])


def test_a_zip_table_of_another_congress_is_refused(sources: dict[str, Path]) -> None:
    """By its name (zccd-118th-congress.csv), or by many districts nobody holds."""
    other = sources["zips"].rename(sources["zips"].with_name("zccd-118th-congress.csv"))
    with pytest.raises(CongressFileError, match="ZIP table of the 118th Congress"):
        read_congress_sources(LEGISLATORS, OFFICES, other)
    with other.open("a", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["06", "CA", f"9{n:04d}", n] for n in range(10, 30)])
    renamed = other.rename(other.with_name("zips.csv"))
    with pytest.raises(CongressFileError, match="20 districts of the ZIP table have no member"):
        read_congress_sources(LEGISLATORS, OFFICES, renamed)


def test_nothing_is_overwritten_on_error(sources: dict[str, Path], tmp_path: Path) -> None:
    """A failed import leaves both old files byte for byte, and no temporary file behind."""
    out = tmp_path / "content"
    out.mkdir()
    (out / MEMBERS_FILE).write_bytes(b"# the old members\n")
    (out / ZIPS_FILE).write_bytes(b"# the old ZIP codes\n")
    sources["zips"].write_text("nothing,useful\n", encoding="utf-8")
    with pytest.raises(CongressFileError):
        import_congress(sources["legislators"], sources["offices"], sources["zips"], out)
    assert (out / MEMBERS_FILE).read_bytes() == b"# the old members\n"
    assert (out / ZIPS_FILE).read_bytes() == b"# the old ZIP codes\n"
    assert sorted(p.name for p in out.iterdir()) == [ZIPS_FILE, MEMBERS_FILE]
    with pytest.raises(CongressFileError, match="cannot write"):
        import_congress(LEGISLATORS, OFFICES, ZIPS, tmp_path / "missing")


def test_cli_import_congress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`outreach-bot import-congress` writes both files and prints the summary; on error it
    says nothing was changed and exits 1."""
    monkeypatch.setenv("OUTREACH_CONTENT", str(tmp_path))
    assert cli_main(["import-congress", str(LEGISLATORS), str(OFFICES), str(ZIPS)]) == 0
    out = capsys.readouterr().out
    assert "Members of the 119th Congress as of 2026-06-15" in out
    assert "wrote 15 members and 32 ZIP codes as of 2026-06-15" in out
    before = (tmp_path / MEMBERS_FILE).read_bytes()
    status = cli_main(
        ["import-congress", str(LEGISLATORS), str(OFFICES), str(tmp_path / "none.csv")]
    )
    assert status == 1
    err = capsys.readouterr().err
    assert "none.csv: no such file" in err and "were not changed" in err
    assert (tmp_path / MEMBERS_FILE).read_bytes() == before
    assert cli_main(["import-congress", str(LEGISLATORS), str(OFFICES), str(ZIPS),
                     "--as-of", "2026-06-01"]) == 0  # fmt: skip
    assert load_congress(tmp_path).as_of == "2026-06-01"


# -- the files ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sliced() -> CongressData:
    return read_congress_sources(LEGISLATORS, OFFICES, ZIPS).data


def test_members_file_problems_name_line_and_key(sliced: CongressData) -> None:
    """A hand-edited members file is refused with the line and key of each problem."""
    text = dump_members(sliced)
    broken = text.replace("phone: 202-225-3376", "phone: 2252-3376", 1)
    broken = broken.replace("role: delegate", "role: senator", 1)
    with pytest.raises(CongressFileError) as refused:
        parse_members(broken)
    message = str(refused.value)
    line = next(n for n, s in enumerate(broken.splitlines(), 1) if "2252-3376" in s)
    assert f"congress.yaml:{line}: members[" in message
    assert "].phone: '2252-3376' is not a phone number written 202-224-3121" in message
    assert "a house member of DC is a delegate" in message
    with pytest.raises(CongressFileError, match=r"congress.yaml:\d+: invalid YAML"):
        parse_members(text + "\n  - : [\n")
    with pytest.raises(CongressFileError, match="not in the 120th Congress"):
        parse_members(text.replace("congress: 119", "congress: 120"))
    twice = text.replace("district: 7\n", "district: 18\n", 1)
    with pytest.raises(CongressFileError, match="a second member for TX-18"):
        parse_members(twice)


def test_zip_file_problems_name_the_line(sliced: CongressData) -> None:
    """Out of order, malformed or unknown-state lines and a missing header are refused."""
    text = dump_zips(sliced)
    lines = text.splitlines()
    first = next(i for i, s in enumerate(lines) if s[:1].isdigit())
    lines[first + 1], lines[first + 2] = lines[first + 2], lines[first + 1]
    lines.append("123456 TX-7")
    lines.append("99999 ZZ-1")
    with pytest.raises(CongressFileError) as refused:
        parse_zips("\n".join(lines))
    message = str(refused.value)
    assert f"congress-zips.txt:{first + 3}: ZIP code 00602 is out of order" in message
    assert "'123456' is not a ZIP code" in message
    assert "expected a ZIP code and its districts: '99999 ZZ-1'" in message
    with pytest.raises(CongressFileError, match="the header has no as_of"):
        parse_zips(text.replace("as_of: ", "as of "))


def test_the_two_files_must_come_from_one_import(tmp_path: Path, sliced: CongressData) -> None:
    """A ZIP file of another import is refused, naming both dates."""
    import_congress(LEGISLATORS, OFFICES, ZIPS, tmp_path)
    zips = tmp_path / ZIPS_FILE
    zips.write_text(zips.read_text("utf-8").replace("as_of: 2026-06-15", "as_of: 2026-01-05"))
    with pytest.raises(CongressFileError, match=r"as_of 2026-01-05.*was not imported with"):
        load_congress(tmp_path)


def test_files_are_dated_at_once_and_read_on_first_use(tmp_path: Path) -> None:
    """CongressFiles reads only the date and Congress; the rest is read once, at the first
    load, and a broken file is found then (and every time after)."""
    import_congress(LEGISLATORS, OFFICES, ZIPS, tmp_path)
    zips = tmp_path / ZIPS_FILE
    good = zips.read_text("utf-8")
    zips.write_text(good + "not a line\n", "utf-8")
    files = CongressFiles(tmp_path)
    assert (files.as_of, files.congress, files.loaded) == ("2026-06-15", 119, False)
    assert not files.outdated(date(2027, 1, 2)) and files.outdated(date(2027, 1, 3))
    assert "unitedstates/congress-legislators" in files.source
    for _ in range(2):
        with pytest.raises(CongressFileError, match="not a line"):
            files.load()
    zips.write_text(good, "utf-8")
    fresh = CongressFiles(tmp_path)
    results: list[CongressData] = []
    threads = [threading.Thread(target=lambda: results.append(fresh.load())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4 and all(r is results[0] for r in results)
    assert fresh.loaded and fresh.load() is results[0]


def test_a_members_file_without_its_header_is_refused(tmp_path: Path) -> None:
    """Missing files and a file without as_of/congress at the top are refused clearly."""
    with pytest.raises(CongressFileError, match=r"congress\.yaml: file is missing"):
        CongressFiles(tmp_path)
    (tmp_path / MEMBERS_FILE).write_text("members: []\n", "utf-8")
    with pytest.raises(CongressFileError, match=r"expected as_of .* congress and source"):
        CongressFiles(tmp_path)
    (tmp_path / MEMBERS_FILE).write_text(
        "- as_of\n- '2026-06-15'\n- congress\n- 119\n- source\n- x\n", "utf-8"
    )
    with pytest.raises(CongressFileError, match=r"expected as_of .* congress and source"):
        CongressFiles(tmp_path)
    (tmp_path / MEMBERS_FILE).write_text("as_of: [\n", "utf-8")
    with pytest.raises(CongressFileError, match="invalid YAML"):
        CongressFiles(tmp_path)


def test_zip_table_is_compact_and_exact() -> None:
    """The table finds exactly the ZIP codes it holds, shares equal district lists, and
    answers nothing for a malformed key."""
    tx = (District("TX", 7), District("TX", 18))
    table = ZipTable.from_rows([("77002", tx), ("00601", [District("PR", 0)]), ("77008", tx)])
    assert table.districts("77008") is table.districts("77002")
    assert table.districts("00601") == (District("PR", 0),)
    for key in ("77003", "7700", "abcde", "", "٧٧٠٠٢"):
        assert table.districts(key) == ()
    assert [z for z, _ in table.items()] == ["00601", "77002", "77008"]


# -- which Congress ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "number"),
    [
        (date(2025, 1, 2), 118),
        (date(2025, 1, 3), 119),
        (date(2026, 6, 15), 119),
        (date(2027, 1, 2), 119),
        (date(2027, 1, 3), 120),
        (date(1935, 1, 3), 74),
    ],
)
def test_congress_in_office_on_a_day(day: date, number: int) -> None:
    """A Congress runs from January 3 of an odd year to January 3 two years later."""
    assert congress_number(day) == number


def test_the_119th_congress_ends_on_january_3_2027(sliced: CongressData) -> None:
    """The data is outdated from January 3, 2027, when the 120th Congress takes office."""
    assert congress_start(119) == date(2025, 1, 3)
    assert congress_end(119) == date(2027, 1, 3) == sliced.ends
    assert not sliced.outdated(date(2027, 1, 2))
    assert sliced.outdated(date(2027, 1, 3))
    assert [ordinal(n) for n in (119, 120, 121, 122, 123, 111, 112)] == [
        "119th", "120th", "121st", "122nd", "123rd", "111th", "112th"
    ]  # fmt: skip
    assert [m.name for m in sliced.terms_ended(date(2026, 11, 3))] == ["Ashley Moody"]
    assert sliced.terms_ended(date(2026, 11, 2)) == []
