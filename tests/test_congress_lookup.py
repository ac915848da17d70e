"""Who represents a ZIP code (``bot.congress.lookup``), on the shipped Congress data.

The spot checks are the ones the campaign relies on: 33602 (Tampa) is Kathy Castor's FL-14
with senators Rick Scott and Ashley Moody; 77002 (downtown Houston) is split between TX-7,
TX-18 and TX-29; 20001 (Washington) has Delegate Eleanor Holmes Norton and no senators.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pytest

from bot.congress import CongressData, District, Member, Office, representatives_for_zip
from bot.congress.model import ZipTable
from bot.content import Content
from bot.places import Place

SUMMER = date(2026, 7, 1)


@pytest.fixture(scope="module")
def shipped(content: Content) -> CongressData:
    return content.congress.load()


def names(contacts: Sequence[object]) -> list[str]:
    return [c.member.name for c in contacts]  # type: ignore[attr-defined]


def test_the_shipped_data_is_the_119th_congress(content: Content, shipped: CongressData) -> None:
    """537 members as of June 15, 2026: 100 senators, 437 in the House; 33,774 ZIP codes."""
    assert (content.congress.as_of, content.congress.congress) == ("2026-06-15", 119)
    assert (shipped.as_of, shipped.congress) == ("2026-06-15", 119)
    assert len(shipped.members) == 537
    assert sum(m.chamber == "senate" for m in shipped.members) == 100
    roles = [m.role for m in shipped.members if m.chamber == "house"]
    assert (roles.count("delegate"), roles.count("resident_commissioner")) == (5, 1)
    assert len(shipped.zips) == 33_774


def test_33602_is_kathy_castor_with_rick_scott_and_ashley_moody(shipped: CongressData) -> None:
    """Tampa: one district, FL-14, and Florida's two senators, each with phones and a link."""
    found = representatives_for_zip(shipped, "33602", SUMMER)
    assert found is not None and found.found and not found.split and found.district_known
    assert (found.zip, found.city, found.states) == ("33602", "Tampa", ("FL",))
    (seat,) = found.house
    assert seat.district == District("FL", 14)
    assert seat.contact is not None
    castor = seat.contact
    assert castor.member.name == "Kathy Castor"
    assert castor.member.phone == "202-225-3376"
    assert castor.office == Office("Tampa", "813-871-2817")  # the Tampa office, not the first
    assert castor.write_url == "https://castor.house.gov"  # no contact form: the website
    assert sorted(names(found.senators)) == ["Ashley Moody", "Rick Scott"]
    scott = next(c for c in found.senators if c.member.name == "Rick Scott")
    assert scott.office is not None and scott.office.city == "Tampa"
    assert (found.as_of, found.congress, found.outdated) == ("2026-06-15", 119, False)


def test_77002_is_split_between_three_districts(shipped: CongressData) -> None:
    """Downtown Houston: TX-7, TX-18 and TX-29, all shown and flagged as split."""
    found = representatives_for_zip(shipped, "77002-1234", SUMMER)
    assert found is not None and found.split
    assert [str(s.district) for s in found.house] == ["TX-7", "TX-18", "TX-29"]
    assert all(s.contact is not None and s.contact.member.phone for s in found.house)
    assert sorted(names(found.senators)) == ["John Cornyn", "Ted Cruz"]
    assert all(c.office is not None and c.office.city == "Houston" for c in found.senators)


def test_20001_is_delegate_eleanor_holmes_norton_and_no_senators(shipped: CongressData) -> None:
    """Washington, DC: the delegate, no senators, said by the result itself."""
    found = representatives_for_zip(shipped, "20001", SUMMER)
    assert found is not None and found.states == ("DC",)
    (seat,) = found.house
    assert seat.contact is not None
    assert seat.contact.member.name == "Eleanor Holmes Norton"
    assert seat.contact.member.role == "delegate"
    assert found.senators == () and not found.has_senators


def test_puerto_rico_and_the_territories(shipped: CongressData) -> None:
    """Puerto Rico's resident commissioner; Guam (not in the district table) by its state."""
    pr = representatives_for_zip(shipped, "00601", SUMMER)
    assert pr is not None and not pr.has_senators
    assert [s.contact.member.role for s in pr.house if s.contact] == ["resident_commissioner"]
    guam = representatives_for_zip(shipped, "96910", SUMMER)
    assert guam is not None and guam.district_known and guam.senators == ()
    assert [str(s.district) for s in guam.house] == ["GU-0"]
    assert guam.house[0].contact is not None
    assert guam.house[0].contact.member.role == "delegate"


def test_a_zip_on_a_state_line_has_both_states_senators(shipped: CongressData) -> None:
    """30165 lies in Alabama's 3rd and Georgia's 14th: both seats and four senators."""
    found = representatives_for_zip(shipped, "30165", SUMMER)
    assert found is not None and found.split and found.states == ("AL", "GA")
    assert [str(s.district) for s in found.house] == ["AL-3", "GA-14"]
    assert [c.member.state for c in found.senators] == ["AL", "AL", "GA", "GA"]


def test_a_zip_not_in_the_table_is_placed_by_its_state(shipped: CongressData) -> None:
    """A post-office-box ZIP code: in an at-large state its member is known; elsewhere only
    the senators, and the result says the district is not known."""
    houston_boxes = representatives_for_zip(shipped, "77001", SUMMER)
    assert houston_boxes is not None and houston_boxes.found
    assert houston_boxes.house == () and not houston_boxes.district_known
    assert sorted(names(houston_boxes.senators)) == ["John Cornyn", "Ted Cruz"]
    assert shipped.zips.districts("99520") == ()  # Anchorage post-office boxes
    anchorage = representatives_for_zip(shipped, "99520", SUMMER)
    assert anchorage is not None and anchorage.district_known
    assert [str(s.district) for s in anchorage.house] == ["AK-0"]


def test_a_vacant_seat_is_shown_as_vacant(shipped: CongressData) -> None:
    """A district nobody holds (a death or resignation) is listed with no member."""
    vacant = next(d for d in shipped.zips.all_districts() if shipped.representative(d) is None)
    zip_code = next(z for z, ds in shipped.zips.items() if ds == (vacant,))
    found = representatives_for_zip(shipped, zip_code, SUMMER)
    assert found is not None and [(s.district, s.contact) for s in found.house] == [(vacant, None)]
    assert len(found.senators) == 2


@pytest.mark.parametrize("text", ["", "abc", "7700", "770021", "77002-12", "٧٧٠٠٢", "77 002"])
def test_not_a_zip_code(shipped: CongressData, text: str) -> None:
    """Anything but 5 digits (optionally -4 more) is not a ZIP code: None."""
    assert representatives_for_zip(shipped, text, SUMMER) is None


def test_an_unknown_zip_code_is_not_found(shipped: CongressData) -> None:
    """A well-formed ZIP code nobody has: a result that says it was not found."""
    found = representatives_for_zip(shipped, "00000", SUMMER)
    assert found is not None and not found.found and not found.district_known
    assert (found.house, found.senators) == ((), ())


def test_the_data_date_and_the_new_congress(shipped: CongressData) -> None:
    """Every result carries the data's date; from January 3, 2027 it is outdated; an
    appointed senator whose term ended is flagged."""
    before = representatives_for_zip(shipped, "33602", date(2027, 1, 2))
    after = representatives_for_zip(shipped, "33602", date(2027, 1, 3))
    assert before is not None and after is not None
    assert (before.as_of, before.outdated, after.outdated) == ("2026-06-15", False, True)
    ended = {c.member.name: c.term_ended for c in before.senators}
    assert ended == {"Ashley Moody": True, "Rick Scott": False}
    summer = representatives_for_zip(shipped, "33602", SUMMER)
    assert summer is not None and not any(c.term_ended for c in summer.senators)


# -- the nearest office, on made-up data -----------------------------------------------------------


def member(offices: tuple[Office, ...], **changes: object) -> Member:
    values: dict[str, object] = {
        "id": "A000001",
        "name": "Ann Example",
        "chamber": "house",
        "role": "representative",
        "state": "TX",
        "district": 7,
        "term_end": "2027-01-03",
        "phone": "202-225-0001",
        "website": "https://example.house.gov",
        "contact_form": None,
        "offices": offices,
    }
    values.update(changes)
    return Member(**values)  # type: ignore[arg-type]


def small(*members: Member) -> CongressData:
    table = ZipTable.from_rows([("77002", [District("TX", 7)])])
    return CongressData("2026-06-15", 119, "test", "test", members, table)


def place(city: str | None) -> list[Place]:
    return [Place("TX", "Harris County", city)]


def test_the_office_in_the_zips_city_else_the_first_listed() -> None:
    """Same city (spelled differently: "St." or "Saint", case) wins; else the first office;
    no office at all is None; the contact form wins over the website."""
    offices = (Office("Katy", "281-000-0001"), Office("Saint Paul", "281-000-0002"))
    data = small(member(offices, contact_form="https://example.house.gov/contact"))
    for city, expected in (("ST. PAUL", "281-000-0002"), ("Houston", "281-000-0001")):
        found = representatives_for_zip(data, "77002", SUMMER, places=lambda _z, c=city: place(c))
        assert found is not None and found.house[0].contact is not None
        assert found.house[0].contact.office is not None
        assert found.house[0].contact.office.phone == expected
        assert found.house[0].contact.write_url == "https://example.house.gov/contact"
    bare = small(member(()))
    found = representatives_for_zip(bare, "77002", SUMMER, places=lambda _z: place(None))
    assert found is not None and found.city is None
    assert found.house[0].contact is not None and found.house[0].contact.office is None
    unknown = representatives_for_zip(bare, "77002", SUMMER, places=lambda _z: None)
    assert unknown is not None and unknown.states == ("TX",) and unknown.city is None


def test_the_district_tables_states_win_over_the_post_offices() -> None:
    """A ZIP code the district table places in Texas gets Texas's senators even when the place
    data puts its post office across a state line; a ZIP code the table lacks gets the place
    data's state, with its district unknown."""
    senator = {"chamber": "senate", "role": "senator", "district": None}
    senators = [
        member((), id="S000001", name="Tex Senator", **senator),
        member((), id="S000002", name="Lou Senator", state="LA", **senator),
    ]
    data = small(member(()), *senators)

    def louisiana(_zip: str) -> list[Place]:
        return [Place("LA", "Caddo Parish", "Shreveport")]

    found = representatives_for_zip(data, "77002", SUMMER, places=louisiana)
    assert found is not None and found.states == ("TX",) and found.district_known
    assert names(found.senators) == ["Tex Senator"]
    outside = representatives_for_zip(data, "71101", SUMMER, places=louisiana)
    assert outside is not None and outside.states == ("LA",) and not outside.district_known
    assert names(outside.senators) == ["Lou Senator"] and outside.house == ()
