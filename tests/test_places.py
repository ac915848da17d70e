"""Where a supporter lives (``bot.places``): ZIP codes and county or city names, over the
shipped places file (made from the ``zipcodes`` package) and the shipped agreements list; the
places file itself: made, read and checked."""

from __future__ import annotations

import re
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import zipcodes

from bot import places
from bot.agreements import AgreementList, load_agreements
from bot.cli import main as cli_main
from bot.placenames import STATE_NAMES
from bot.places import (
    FORMAT_LINE,
    PLACES_FILE,
    Place,
    PlaceIndex,
    PlacesError,
    find_county,
    import_places,
    places_for_zip,
    unknown_counties,
)

SHIPPED = Path(__file__).resolve().parents[1] / "content" / "agreements.yaml"


@pytest.fixture(scope="module")
def shipped() -> AgreementList:
    return load_agreements(SHIPPED)


def counties_of(lst: AgreementList, state: str, text: str) -> list[str]:
    return find_county(state, text, lst.counties(state))


# -- ZIP codes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["77002", " 77002 ", "77002-1234", "\t77002\n"])
def test_zip_code_gives_its_county(text: str) -> None:
    """A ZIP code, with spaces around or a +4 suffix, gives its state, county and city."""
    assert places_for_zip(text) == [Place("TX", "Harris County", "Houston")]


@pytest.mark.parametrize(
    "text", ["7700", "abcde", "770021", "", "77002-12", "77002 1234", "Houston", "７７００２"]
)
def test_text_that_is_no_zip_code_gives_none(text: str) -> None:
    """Anything but 5 digits (optionally "-" and 4 more) is not a ZIP code: None."""
    assert places_for_zip(text) is None


def test_unknown_zip_code_gives_an_empty_list() -> None:
    """A well-formed ZIP code nobody uses gives [], not None."""
    assert places_for_zip("00000") == []
    assert places_for_zip("00000-0000") == []


def test_zip_code_no_longer_in_use_gives_an_empty_list() -> None:
    """A ZIP code the data lists as inactive gives []."""
    inactive = next(
        z["zip_code"]
        for z in zipcodes.filter_by(active=False)
        if z["state"] in STATE_NAMES and z["county"]
    )
    assert places_for_zip(inactive) == []


def test_military_zip_codes_are_not_places() -> None:
    """APO/FPO codes (states AA, AE, AP) are not a state the bot answers for."""
    apo = next(z["zip_code"] for z in zipcodes.filter_by(state="AE", active=True))
    assert places_for_zip(apo) == []


def test_hillsborough_zip_codes_in_two_states(shipped: AgreementList) -> None:
    """Tampa's and Manchester's ZIP codes lead to different Hillsborough Counties."""
    (tampa,) = places_for_zip("33602") or []
    (manchester,) = places_for_zip("03101") or []
    assert tampa == Place("FL", "Hillsborough County", "Tampa")
    assert manchester == Place("NH", "Hillsborough County", "Manchester")
    in_tampa = shipped.in_county(tampa.state, tampa.county)
    assert [(a.agency, a.inferred is not None) for a in in_tampa] == [
        ("Hillsborough County Sheriff's Office", False),
        ("Hillsborough County Sheriff's Office", False),
        ("Tampa Police Department", True),  # ICE gives no county: placed from "Tampa"
    ]
    assert len(shipped.in_county(manchester.state, manchester.county)) == 1


def test_zip_to_agreements(shipped: AgreementList) -> None:
    """From a ZIP code to the county's agreements: several, or none but the statewide ones."""
    (fort_myers,) = places_for_zip("33901") or []
    assert fort_myers.county == "Lee County"
    lee = shipped.in_county(fort_myers.state, fort_myers.county)
    assert len([a for a in lee if a.inferred is None]) == 4  # ICE's: the sheriff, the port
    assert {a.agency for a in lee if a.inferred is not None} == {
        "Cape Coral Police Department",
        "Fort Myers Police Department",
        "Sanibel Police Department",
    }
    (houston,) = places_for_zip("77002") or []
    assert shipped.in_county(houston.state, houston.county) == []
    assert len(shipped.statewide(houston.state)) == 2


def test_every_active_zip_code_of_a_state_has_a_county() -> None:
    """Active ZIP codes of the states and DC all have a county (found or derived)."""
    missing = [
        z["zip_code"]
        for z in zipcodes.filter_by(active=True)
        if z["state"] in STATE_NAMES and places_for_zip(z["zip_code"]) == []
    ]
    # A few dozen unique and PO box codes the data has no county for (mostly in Puerto Rico).
    assert len(missing) < 40


def test_territories_without_counties_answer_the_territory() -> None:
    """Guam's and DC's ZIP codes give the territory (or district) itself as the county."""
    assert places_for_zip("96910") == [Place("GU", "Guam", "Hagatna")]
    assert places_for_zip("20001") == [Place("DC", "District of Columbia", "Washington")]


# -- county and city names ---------------------------------------------------------------------


def test_county_name_in_any_spelling(shipped: AgreementList) -> None:
    """A county with or without "County", in any case, in Spanish, with the state after it."""
    for text in ("Lee County", "lee", "LEE  COUNTY", "Condado de Lee", "Lee County, FL"):
        assert counties_of(shipped, "FL", text)[0] == "Lee County", text


def test_county_name_with_a_typo(shipped: AgreementList) -> None:
    """ "Harirs" (one transposition) finds Harris County; two typos need 8+ letters."""
    assert counties_of(shipped, "TX", "Harirs") == ["Harris County"]
    assert counties_of(shipped, "TX", "Harirs County") == ["Harris County"]
    assert counties_of(shipped, "FL", "Hilsborogh")[0] == "Hillsborough County"
    assert counties_of(shipped, "TX", "Hrarsi") == []


def test_accents_do_not_matter(shipped: AgreementList) -> None:
    """Accented spellings find the county or city the data spells without them."""
    assert counties_of(shipped, "TX", "Béxar") == ["Bexar County"]
    assert counties_of(shipped, "NM", "Doña Ana") == ["Dona Ana County"]
    assert counties_of(shipped, "CO", "Cañon City") == ["Fremont County"]


def test_city_gives_its_county_first(shipped: AgreementList) -> None:
    """ "Houston" is Harris County first, then the county named Houston."""
    found = counties_of(shipped, "TX", "Houston")
    assert found[0] == "Harris County"
    assert "Houston County" in found
    assert counties_of(shipped, "TX", "Houston County") == ["Houston County"]
    assert counties_of(shipped, "FL", "St. Petersburg") == ["Pinellas County"]
    assert counties_of(shipped, "FL", "Saint Petersburg") == ["Pinellas County"]
    assert counties_of(shipped, "FL", "Ft Myers") == ["Lee County"]


def test_city_in_several_counties_lists_them_most_first(shipped: AgreementList) -> None:
    """A city whose ZIP codes lie in two counties gives both, the usual one first."""
    assert counties_of(shipped, "FL", "Kissimmee") == ["Osceola County", "Polk County"]


def test_independent_cities_are_not_their_namesake_counties(shipped: AgreementList) -> None:
    """In Virginia, "Fairfax city" and Fairfax County are two places."""
    assert counties_of(shipped, "VA", "Fairfax County") == ["Fairfax County"]
    assert counties_of(shipped, "VA", "Fairfax city")[0].casefold() == "fairfax city"
    (hopewell,) = places_for_zip("23860") or []
    assert len(shipped.in_county(hopewell.state, hopewell.county)) == 3


def test_counties_only_in_the_agreements_list_are_found(shipped: AgreementList) -> None:
    """A county the ZIP data lacks but ICE names (Bowie County, AR) is still found."""
    assert counties_of(shipped, "AR", "Bowie") == ["Bowie County"]
    assert counties_of(shipped, "AR", "Bowei") == ["Bowie County"]
    assert find_county("AR", "Bowie") == []


def test_nothing_found_gives_an_empty_list(shipped: AgreementList) -> None:
    """Nonsense, blank text, a bare "County" and unknown states give []."""
    for text in ("zzzz", "", "   ", "County", "!!!", "x" * 5000):
        assert counties_of(shipped, "TX", text) == [], text
    assert find_county("ZZ", "Harris") == []


def test_agreements_counties_are_known_to_the_zip_data(shipped: AgreementList) -> None:
    """Every county of the list is a county of its state, except two ICE errors kept as is."""
    pairs = sorted({(a.state, a.county) for a in shipped.agreements if a.county})
    assert unknown_counties(pairs) == [("AR", "Bowie County"), ("NC", "Albemarle County")]


# -- the index ---------------------------------------------------------------------------------


def record(zip_code: str, state: str, county: str, city: str, **more: Any) -> dict[str, Any]:
    """A ZIP record as the ``zipcodes`` package gives it."""
    return {
        "zip_code": zip_code,
        "active": True,
        "city": city,
        "acceptable_cities": [],
        "state": state,
        "county": county,
        **more,
    }


def small_index(tmp_path: Path, records: list[dict[str, Any]]) -> PlaceIndex:
    target = tmp_path / PLACES_FILE
    import_places(target, records, "test records")
    return PlaceIndex(target)


def test_index_is_read_once_for_concurrent_first_lookups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Threads that look up at once share one index, read once."""
    index = small_index(tmp_path, [record("77002", "TX", "Harris County", "Houston")])
    reads: list[int] = []
    real_read = places._read_file

    def counting_read(path: Path) -> Any:
        reads.append(1)
        return real_read(path)

    monkeypatch.setattr(places, "_read_file", counting_read)
    results: list[list[Place] | None] = []
    start = threading.Barrier(8)

    def look_up() -> None:
        start.wait()
        results.append(index.places_for_zip("77002"))

    threads = [threading.Thread(target=look_up) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert reads == [1]
    assert results == [[Place("TX", "Harris County", "Houston")]] * 8


def test_made_file_answers_as_the_records_say(tmp_path: Path) -> None:
    """What import-places writes answers lookups as the records it was made from: a ZIP code
    in two counties gives both in the data's order; a ZIP without a county takes the one its
    city's other ZIP codes agree on; inactive ZIP codes, military ones and those whose city
    has no single county are left out; other accepted city names find the county too."""
    index = small_index(
        tmp_path,
        [
            record("30097", "GA", "Gwinnett County", "Duluth"),
            record("30097", "GA", "Fulton County", "Johns Creek"),
            record("30096", "GA", "Gwinnett County", "Duluth", acceptable_cities=["Berkeley Lake"]),
            record("30099", "GA", "", "Duluth"),
            record("30098", "GA", "", "Nowhere"),
            record("30022", "GA", "Fulton County", "Alpharetta"),
            record("30023", "GA", "Forsyth County", "Alpharetta"),
            record("30024", "GA", "", "Alpharetta"),
            record("30095", "GA", "Gwinnett County", "Duluth", active=False),
            record("09001", "AE", "", "APO"),
            record("77002", "TX", "Harris County", "Houston"),
        ],
    )
    assert index.places_for_zip("30097") == [
        Place("GA", "Gwinnett County", "Duluth"),
        Place("GA", "Fulton County", "Johns Creek"),
    ]
    assert index.places_for_zip("30099") == [Place("GA", "Gwinnett County", "Duluth")]
    for gone in ("30098", "30024", "30095", "09001", "00000"):
        assert index.places_for_zip(gone) == [], gone
    assert index.places_for_zip("77002-0001") == [Place("TX", "Harris County", "Houston")]
    assert index.find_county("GA", "Duluth") == ["Gwinnett County"]
    assert index.find_county("GA", "Alpharetta") == ["Forsyth County", "Fulton County"]
    assert index.find_county("GA", "Berkeley Lake") == ["Gwinnett County"]
    assert index.find_county("GA", "Gwinnet") == ["Gwinnett County"]
    assert index.find_county("TX", "Duluth") == []
    assert index.counties("GA") == ["Forsyth County", "Fulton County", "Gwinnett County"]
    assert index.zip_codes() == ["30022", "30023", "30096", "30097", "30099", "77002"]
    assert index.check() == (6, 4, 5)


def test_windows_line_ends_read_the_same(tmp_path: Path) -> None:
    """A places file saved with CRLF line ends (an editor, git on Windows) reads the same."""
    index = small_index(tmp_path, [record("77002", "TX", "Harris County", "Houston")])
    crlf = tmp_path / "crlf.tsv"
    crlf.write_bytes(index.path.read_bytes().replace(b"\n", b"\r\n"))
    assert PlaceIndex(crlf).places_for_zip("77002") == [Place("TX", "Harris County", "Houston")]
    assert PlaceIndex(crlf).find_county("TX", "Houston") == ["Harris County"]


GOOD = (
    f"{FORMAT_LINE}\n# a comment\n"
    "[zip]\n77002\tTX\tHarris County\tHouston\n77003\tTX\tHarris County\tHouston\n"
    "[county]\nTX\tharris\tHarris County\t2\n"
    "[city]\nTX\thouston\tharris:2\n"
)


@pytest.mark.parametrize(
    ("broken", "line", "message"),
    [
        (GOOD.replace(FORMAT_LINE, "# outreach-bot places, format 9"), 1, "not a places file"),
        ("77002\tTX\tHarris County\tHouston\n", 1, "not a places file"),
        (GOOD.replace("[city]\n", ""), None, "no [city] section"),
        (GOOD.replace("# a comment", "a stray line"), None, "only comments"),
        (GOOD.replace("77003", "77001"), 5, "ZIP code out of order"),
        (GOOD.replace("77003", "7700x"), 5, "not a ZIP code line"),
        (GOOD.replace("77003\tTX\tHarris County", "77003\tTX"), 5, "expected ZIP code, state"),
        (GOOD.replace("77003\tTX", "77003\tZZ"), 5, "expected ZIP code, state"),
        (GOOD.replace("77003\tTX\tHarris", "77003\tTX\tHaris"), 5, "is not a county of TX"),
        (GOOD.replace("harris\tHarris County\t2", "harris\tHarris County"), 7, "county key"),
        (GOOD.replace("TX\tharris\tHarris", "XX\tharris\tHarris"), 7, "no state at the start"),
        (GOOD.replace("harris:2", "harris"), 9, "county key:ZIP codes"),
        (GOOD.replace("harris:2", "harris:²"), 9, "county key:ZIP codes"),
        (GOOD.replace("harris:2", "bexar:2"), None, "no county 'bexar'"),
        (GOOD + "TX\thouston\tharris:2\n", 10, "listed twice"),
        (GOOD + "AL\tmobile\tmobile:1\n", 10, "state out of order"),
    ],
)
def test_broken_file_is_named_with_its_line(
    tmp_path: Path, broken: str, line: int | None, message: str
) -> None:
    """check() reads every line; what is wrong is said with the line it is on."""
    path = tmp_path / PLACES_FILE
    path.write_text(GOOD, encoding="utf-8")
    assert PlaceIndex(path).check() == (2, 1, 1)
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(PlacesError, match=re.escape(message)) as caught:
        PlaceIndex(path).check()
    assert caught.value.line == line
    assert caught.value.file == PLACES_FILE


def test_missing_or_unreadable_file(tmp_path: Path) -> None:
    """A missing file says how to make it; a file that is not UTF-8 says so."""
    with pytest.raises(PlacesError, match="outreach-bot import-places"):
        PlaceIndex(tmp_path / PLACES_FILE).places_for_zip("77002")
    with pytest.raises(PlacesError, match="outreach-bot import-places"):
        PlaceIndex(tmp_path / PLACES_FILE).check_format()
    binary = tmp_path / "binary.tsv"
    binary.write_bytes(b"\xff\xfe" + GOOD.encode())
    with pytest.raises(PlacesError, match="not UTF-8"):
        PlaceIndex(binary).find_county("TX", "Houston")


def test_a_name_that_would_break_a_line_is_refused(tmp_path: Path) -> None:
    """A tab or line break in a name is refused; the file already there is left as it was."""
    target = tmp_path / PLACES_FILE
    target.write_text(GOOD, encoding="utf-8")
    with pytest.raises(PlacesError, match="tab or line break"):
        import_places(target, [record("77002", "TX", "Harris County", "Hous\nton")], "test")
    assert target.read_text(encoding="utf-8") == GOOD


def test_shipped_file_is_a_fresh_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`outreach-bot import-places` from the installed zipcodes package writes exactly the
    shipped content/places.tsv: the file matches the data and the code's name keys."""
    monkeypatch.setenv("OUTREACH_CONTENT", str(tmp_path))
    assert cli_main(["import-places"]) == 0
    shipped = (Path(__file__).resolve().parents[1] / "content" / PLACES_FILE).read_bytes()
    assert (tmp_path / PLACES_FILE).read_bytes() == shipped


def test_import_without_the_zipcodes_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without the zipcodes package, import-places says how to install it and writes nothing."""
    monkeypatch.setenv("OUTREACH_CONTENT", str(tmp_path))
    monkeypatch.setitem(sys.modules, "zipcodes", None)  # import zipcodes now fails
    assert cli_main(["import-places"]) == 1
    err = capsys.readouterr().err
    assert "pip install -e '.[import]'" in err and "was not changed" in err
    assert not (tmp_path / PLACES_FILE).exists()
