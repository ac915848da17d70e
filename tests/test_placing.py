"""City agencies placed in their county from the place in their name (``bot.agreements.placing``),
over the shipped place data, a small stand-in for it, and the shipped list."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from bot import places
from bot.agreements import (
    Agreement,
    AgreementList,
    ImportProblem,
    Inferred,
    dump_agreements,
    load_agreements,
    parse_agreements,
)
from bot.agreements.importer import import_agreements, placement_lines
from bot.agreements.placing import Placement, place_agencies, place_of
from tests.data import make_ice_sample, row, write_xlsx

SHIPPED = Path(__file__).resolve().parents[1] / "content" / "agreements.yaml"


@pytest.fixture(scope="module")
def shipped() -> AgreementList:
    return load_agreements(SHIPPED)


def placed(state: str, agency: str) -> Placement:
    return place_of(state, agency, places.bundled())


class FakePlaces:
    """A state's cities and counties, as :class:`~bot.places.PlaceIndex` answers for them."""

    def __init__(self, cities: dict[str, list[tuple[str, int]]], counties: list[str]) -> None:
        self.cities, self.counties = cities, counties

    def city_counties(self, state: str, city: str) -> list[tuple[str, int]]:
        return self.cities.get(city.casefold(), [])

    def county_named(self, state: str, name: str) -> str | None:
        return next((c for c in self.counties if c.casefold() == name.casefold()), None)


# -- one agency ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "agency", "place", "counties"),
    [
        ("FL", "Tampa Police Department", "Tampa", ("Hillsborough County",)),
        ("FL", "City of Tampa Police", "Tampa", ("Hillsborough County",)),
        ("FL", "TAMPA POLICE DEPARTMENT", "TAMPA", ("Hillsborough County",)),
        ("FL", "St. Petersburg Police Department", "St. Petersburg", ("Pinellas County",)),
        ("FL", "Boca Raton Police Services Department", "Boca Raton", ("Palm Beach County",)),
        ("FL", "Jupiter Island Department of Public Safety", "Jupiter Island", ("Martin County",)),
        ("FL", "Daytona Beach Shores Public Safety", "Daytona Beach Shores", ("Volusia County",)),
        ("FL", "Melbourne International Airport Police Department", "Melbourne",
         ("Brevard County",)),
        ("FL", "Sanford Airport Police Department", "Sanford", ("Seminole County",)),
        ("FL", "Indian Creek Village Department of Public Safety", "Indian Creek Village",
         ("Miami-Dade County",)),
        ("PA", "Manheim Borough Police Department", "Manheim", ("Lancaster County",)),
        ("MO", "Saint Mary Police Department", "Saint Mary", ("Ste. Genevieve County",)),
        ("AZ", "Mesa Police Department", "Mesa", ("Maricopa County",)),
        ("NH", "Carroll Police Department", "Carroll", ("Coos County",)),  # not Carroll County
        ("FL", "Polk County Police Department", "Polk County", ("Polk County",)),
    ],
)  # fmt: skip
def test_a_city_agency_is_placed_in_its_county(
    state: str, agency: str, place: str, counties: tuple[str, ...]
) -> None:
    """The place in the name ("City of X", "X Borough", an airport's city, "St."/"Saint", a
    county) gives the county that the place data says its ZIP codes are in."""
    assert placed(state, agency) == Placement(place, counties)


def test_a_city_in_several_counties_is_placed_in_each_that_holds_a_quarter() -> None:
    """Tarpon Springs' ZIP codes are half in Pinellas, half in Pasco: both. Kissimmee's one
    Polk ZIP code of nine is the postal name reaching past the city: Osceola only."""
    assert placed("FL", "Tarpon Springs Police Department").counties == (
        "Pinellas County",
        "Pasco County",
    )
    assert placed("FL", "Kissimmee Police Department").counties == ("Osceola County",)
    assert placed("FL", "Orlando Police Department").counties == ("Orange County",)


@pytest.mark.parametrize(
    ("state", "agency", "reason"),
    [
        ("FL", "Florida Highway Patrol", "not_local"),
        ("FL", "Department of Corrections", "not_local"),
        ("TX", "Marshal's Office", "not_local"),
        ("FL", "Police Department", "not_local"),
        ("LA", "Louisiana Alcohol and Tobacco Control", "not_local"),
        ("PA", "Derry Township Constable's Office", "township"),
        ("PA", "Sewickley Township Constable's Office", "township"),  # not Sewickley's county
        ("FL", "Florida Police Department", "state_name"),
        ("FL", "Tampaa Police Department", "unknown_place"),  # no typos: another town's county
        ("FL", "Springfield Police Department", "unknown_place"),  # no such postal name
        ("FL", "Nowhere County Sheriff's Office", "unknown_place"),
        ("FL", "", "not_local"),
        ("FL", "🚓 Police Department", "not_local"),
    ],
)
def test_names_that_are_not_a_known_place_stay_unplaced(
    state: str, agency: str, reason: str
) -> None:
    """A state agency, a township, the state's own name, a misspelt or unknown place: no
    county, and the reason why."""
    placement = placed(state, agency)
    assert placement.counties == ()
    assert placement.unplaced == reason


def test_corrections_of_ices_spelling() -> None:
    """ "Pittsburgh" (NH) is the town of Pittsburg; "Sunny Isles" is Sunny Isles Beach."""
    assert placed("NH", "Pittsburgh Police Department") == Placement("Pittsburg", ("Coos County",))
    assert placed("FL", "Sunny Isles Police Department") == Placement(
        "Sunny Isles Beach", ("Miami-Dade County",)
    )


def test_a_village_or_town_is_the_place_without_the_word_when_the_data_lacks_it() -> None:
    """ "Oak Village Police" is Oak when the data has no "Oak Village"; "Oak City" stays Oak City
    when the data has it."""
    fake = FakePlaces({"oak": [("Elm County", 3)], "oak city": [("Ash County", 1)]}, [])
    assert place_of("OH", "Oak Village Police", fake) == Placement("Oak", ("Elm County",))
    assert place_of("OH", "Oak City Police Department", fake) == Placement(
        "Oak City", ("Ash County",)
    )
    assert place_of("OH", "Oak Town Marshal", fake) == Placement("Oak", ("Elm County",))


# -- a list ----------------------------------------------------------------------------------


def agreement(agency: str, kind: str = "municipality", county: str | None = None) -> Agreement:
    return Agreement("FL", agency, kind, county, "task_force", None, None)  # type: ignore[arg-type]


def test_place_agencies_places_only_local_agencies_without_ices_county() -> None:
    """ICE's county is kept, state agencies stay statewide, an agency with two agreements is
    placed once for both, and an earlier inference is made again."""
    stale = replace(agreement("Tampa Police Department"), inferred=Inferred("Old", ("Old County",)))
    given = [
        agreement("Tampa Police Department"),
        stale,
        agreement("Hialeah Police Department", county="Miami-Dade County"),
        agreement("Florida Highway Patrol", kind="state"),
        agreement("Springfield Police Department"),
    ]
    out, found = place_agencies(given, places.bundled())
    tampa = Inferred("Tampa", ("Hillsborough County",))
    assert [a.inferred for a in out] == [tampa, tampa, None, None, None]
    assert [a.counties for a in out] == [
        ("Hillsborough County",),
        ("Hillsborough County",),
        ("Miami-Dade County",),
        (),
        (),
    ]
    assert set(found) == {
        ("FL", "Tampa Police Department"),
        ("FL", "Springfield Police Department"),
    }


def test_lookups_find_placed_agencies_in_each_of_their_counties() -> None:
    """A placed agency is in its counties' answers (after ICE's own), and not unplaced."""
    two = Inferred("Tarpon Springs", ("Pinellas County", "Pasco County"))
    lst = AgreementList(
        "2025-07-18",
        "ICE",
        (
            replace(agreement("Tarpon Springs Police Department"), inferred=two),
            agreement("Pasco County Sheriff's Office", kind="county", county="Pasco County"),
            agreement("Springfield Police Department"),
        ),
    )
    assert [a.agency for a in lst.in_county("FL", "Pasco")] == [
        "Pasco County Sheriff's Office",
        "Tarpon Springs Police Department",
    ]
    assert [a.agency for a in lst.in_county("FL", "Pinellas County")] == [
        "Tarpon Springs Police Department"
    ]
    assert [a.agency for a in lst.unplaced("FL")] == ["Springfield Police Department"]
    assert lst.counties("FL") == ["Pasco County", "Pinellas County"]


# -- the shipped list ------------------------------------------------------------------------


def test_the_shipped_list_places_160_of_169_city_agencies(shipped: AgreementList) -> None:
    """Of the 169 local agencies ICE's list of July 18, 2025 gives no county for, 160 are
    placed; the 9 left are townships, a state agency, a regional police and two places the
    data does not know."""
    lines = placement_lines(shipped)
    assert lines[0] == (
        "169 local agencies have no county in ICE's list: 160 placed from the place in their "
        "name (3 in more than one county), 9 not placed"
    )
    unplaced = {line.removeprefix("  not placed: ")[3:] for line in lines[1:]}
    assert unplaced == {
        "Sarasota Manatee Airport Authority Police Department",
        "Springfield Police Department",
        "Louisiana Alcohol and Tobacco Control",
        "Damascus Township Constable",
        "Derry Township Constable's Office",
        "New Sewickley Township Police Department",
        "Northwest Regional Police Department",
        "Preston Township Constable's Office",
        "Sewickley Township Constable's Office",
    }


def test_the_shipped_placements_are_what_placing_gives_today(shipped: AgreementList) -> None:
    """Placing the shipped list again, with the shipped place data, changes nothing: the file
    and the rules (or the place data) have not drifted apart."""
    again, _ = place_agencies(
        [replace(a, inferred=None) for a in shipped.agreements], places.bundled()
    )
    assert tuple(again) == shipped.agreements


def test_tampa_police_is_in_hillsborough_county(shipped: AgreementList) -> None:
    """ZIP 33602 (Tampa) is in Hillsborough County, whose answer has Tampa Police Department."""
    (tampa,) = places.places_for_zip("33602") or []
    agencies = {a.agency: a.inferred for a in shipped.in_county(tampa.state, tampa.county)}
    assert agencies["Tampa Police Department"] == Inferred("Tampa", ("Hillsborough County",))
    assert agencies["Hillsborough County Sheriff's Office"] is None


# -- the file and the importer ---------------------------------------------------------------


def test_inferred_round_trips_and_is_checked(tmp_path: Path) -> None:
    """The file writes ``inferred`` beside ICE's data and reads it back; a malformed one, or
    one on an agency ICE places itself, is refused naming line and key; a file written before
    placing existed (no ``inferred``) still loads."""
    a = replace(
        agreement("Tampa Police Department"), inferred=Inferred("Tampa", ("Hillsborough County",))
    )
    lst = AgreementList("2025-07-18", "ICE", (a,))
    text = dump_agreements(lst)
    assert "inferred:\n    place: Tampa\n    counties:\n    - Hillsborough County" in text
    assert parse_agreements(text) == lst
    data = yaml.safe_load(text)
    del data["agreements"][0]["inferred"]
    assert parse_agreements(yaml.safe_dump(data)).agreements[0].inferred is None
    for broken, problem in (
        ({"place": "Tampa", "counties": []}, "counties: expected a non-empty list"),
        ({"place": "", "counties": ["Hillsborough County"]}, "place: expected the place"),
        ({"counties": ["Hillsborough County"]}, "place: missing"),
        ("Tampa", "expected a mapping of place, counties"),
    ):
        data["agreements"][0]["inferred"] = broken
        with pytest.raises(ImportProblem, match=problem):
            parse_agreements(yaml.safe_dump(data))
    data["agreements"][0].update(
        county="Hillsborough County", inferred={"place": "Tampa", "counties": ["Pasco County"]}
    )
    with pytest.raises(ImportProblem, match="only a local agency without ICE's county"):
        parse_agreements(yaml.safe_dump(data))


def test_the_importer_places_city_agencies_and_says_which_it_could_not(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Imported from ICE's spreadsheet, Tampa's police is placed in Hillsborough County and
    written so; a township is not, and the import says why."""
    xlsx = write_xlsx(
        tmp_path / "ice-2025-07-18.xlsx",
        [
            make_ice_sample.HEADER,
            row(
                state="FLORIDA",
                agency="Tampa Police Department",
                kind="Municipality",
                county="#N/A",
            ),
            row(
                state="PENNSYLVANIA",
                agency="Derry Township Constable's Office",
                kind="Municipality",
                county=None,
            ),
        ],
    )
    out = tmp_path / "agreements.yaml"
    with caplog.at_level(logging.WARNING, logger="bot.agreements.importer"):
        lst = import_agreements(xlsx, out, None, places.bundled())
    assert lst.in_county("FL", "Hillsborough County")[0].agency == "Tampa Police Department"
    assert "place: Tampa" in out.read_text(encoding="utf-8")
    assert [a.agency for a in lst.unplaced("PA")] == ["Derry Township Constable's Office"]
    assert (
        "PA Derry Township Constable's Office: no county in ICE's list, and not placed: "
        "a township" in caplog.text
    )


def test_the_importer_needs_the_place_data_beside_the_list(tmp_path: Path) -> None:
    """Without a places.tsv in the content directory the import is refused, saying how to
    make one, and the old file stays."""
    xlsx = write_xlsx(
        tmp_path / "ice-2025-07-18.xlsx", [make_ice_sample.HEADER, row(signed=datetime(2025, 3, 1))]
    )
    out = tmp_path / "agreements.yaml"
    out.write_text("old", encoding="utf-8")
    with pytest.raises(ImportProblem, match="outreach-bot import-places"):
        import_agreements(xlsx, out, None)
    assert out.read_text(encoding="utf-8") == "old"
