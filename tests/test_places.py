"""Where a supporter lives (``bot.places``): ZIP codes and county or city names, over the real
ZIP data of the ``zipcodes`` package and the shipped agreements list."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
import zipcodes

from bot import places
from bot.agreements import STATE_NAMES, AgreementList, load_agreements
from bot.places import Place, find_county, places_for_zip, unknown_counties

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
    assert len(shipped.in_county(tampa.state, tampa.county)) == 2
    assert len(shipped.in_county(manchester.state, manchester.county)) == 1


def test_zip_to_agreements(shipped: AgreementList) -> None:
    """From a ZIP code to the county's agreements: several, or none but the statewide ones."""
    (fort_myers,) = places_for_zip("33901") or []
    assert fort_myers.county == "Lee County"
    assert len(shipped.in_county(fort_myers.state, fort_myers.county)) == 4
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


def test_index_is_built_once_for_concurrent_first_lookups(monkeypatch: pytest.MonkeyPatch) -> None:
    """Threads that look up at once share one index, built once."""
    records: list[dict[str, Any]] = [
        {
            "zip_code": "77002",
            "active": True,
            "city": "Houston",
            "acceptable_cities": [],
            "state": "TX",
            "county": "Harris County",
        }
    ]
    builds: list[int] = []
    real_build = places._build_index

    def counting_build(data: list[dict[str, Any]] | None = None) -> places._Index:
        builds.append(1)
        return real_build(records)

    monkeypatch.setattr(places, "_index", None)
    monkeypatch.setattr(places, "_build_index", counting_build)
    results: list[list[Place] | None] = []
    start = threading.Barrier(8)

    def look_up() -> None:
        start.wait()
        results.append(places_for_zip("77002"))

    threads = [threading.Thread(target=look_up) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert builds == [1]
    assert results == [[Place("TX", "Harris County", "Houston")]] * 8
