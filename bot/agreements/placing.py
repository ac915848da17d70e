"""The county of an agency ICE's list gives none for, found from the place in its name.

ICE's list names no county for most city and town agencies (169 of them on the list of July 18,
2025), so a supporter in Tampa would be told of the Hillsborough County Sheriff's Office but not
of the Tampa Police Department. :func:`place_agencies` reads the place in the agency's name
("Tampa Police Department" -> "Tampa") and finds its county in the place data: the counties
whose ZIP codes bear that city or town name in the agency's state
(:meth:`~bot.places.PlaceIndex.city_counties`). The importer does this once, and writes what it
found beside ICE's own data (``inferred`` in ``agreements.yaml``), so every placement can be
reviewed in the file's diff and costs nothing when the bot answers.

The rules, strict on purpose (a wrong county is worse than none, which the answer lists
separately as "not placed"):

* the name must end in a local agency's words ("Police Department", "Police", "Department of
  Public Safety", "Public Safety", "Constable's Office", "Marshal's Office", …); "Florida
  Highway Patrol" or "Louisiana Alcohol and Tobacco Control" name no city, and stay unplaced;
* what comes before must be a city or town of the state in the place data, exactly (case,
  accents, punctuation and "Saint"/"St." aside; no typos): "City of X", "Town of X" are X,
  an airport's police ("Melbourne International Airport") the airport's city, and "X Village"
  or "X Borough" X when the data has no "X Village";
* "X County …" (and "X Parish …") is the county of that name;
* a township stays unplaced: the place data knows towns by their post office, and a township
  and the post office of the same name can lie in different counties (Sewickley Township is in
  Westmoreland County, the post office of Sewickley in Allegheny);
* a place that is the state's own name stays unplaced;
* a city whose ZIP codes lie in several counties is placed in the one holding most of them, and
  in each other holding at least a quarter (:data:`SHARE_MIN`), and the answer says so. A
  postal name reaches past a city's limits (two of Orlando's 62 ZIP codes are in Brevard
  County, at the space centre): a smaller share is that, not the city;
* the few places ICE spells otherwise than the place data are in :data:`PLACE_CORRECTIONS`.

The place data knows a city by the names on its ZIP codes (postal names), not by its limits:
that is a limit of the data the answer states ("placed … from the city in its name").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Final, Literal, Protocol

from bot.agreements.model import Agreement, Inferred
from bot.placenames import STATE_NAMES, city_key, place_tokens

__all__ = [
    "PLACE_CORRECTIONS",
    "SHARE_MIN",
    "UNPLACED_REASONS",
    "Placement",
    "PlacesLookup",
    "Unplaced",
    "place_agencies",
    "place_of",
]


class PlacesLookup(Protocol):
    """What placing needs of the place data (a :class:`~bot.places.PlaceIndex`)."""

    def city_counties(self, state: str, city: str) -> list[tuple[str, int]]: ...

    def county_named(self, state: str, name: str) -> str | None: ...


Unplaced = Literal["not_local", "township", "state_name", "unknown_place"]

# Why an agency stays unplaced, in words for the importer's report.
UNPLACED_REASONS: Final[dict[Unplaced, str]] = {
    "not_local": "its name names no city's police (a state or regional agency?)",
    "township": "a township: the place data knows post offices, not townships",
    "state_name": "its name names the state, not a city",
    "unknown_place": "no city or town of that name in the state's place data",
}

# The words a local agency's name ends with, longest first (folded, as place_tokens gives them).
_AGENCY_WORDS: Final[tuple[tuple[str, ...], ...]] = tuple(
    sorted(
        (
            tuple(words.split())
            for words in (
                "police department",
                "police services department",
                "police dept",
                "police services",
                "police division",
                "police",
                "department of police",
                "department of public safety",
                "public safety department",
                "public safety",
                "constable s office",
                "constables office",
                "constable",
                "marshal s office",
                "marshals office",
                "marshal",
                "city marshal",
                "sheriff s office",
                "sheriffs office",
                "sheriff s department",
                "sheriff",
                "detention center",
                "jail",
            )
        ),
        key=len,
        reverse=True,
    )
)
# An airport's police is placed by the airport's city: "Sanford Airport" -> Sanford.
_FACILITY_WORDS: Final = (
    ("international", "airport"),
    ("regional", "airport"),
    ("airport", "authority"),
    ("airport",),
)
_LEADING: Final = (("city", "of"), ("town", "of"), ("village", "of"), ("borough", "of"))
_TRAILING: Final = ("village", "borough", "town", "city")  # "X Village" is X, if no "X Village"
_COUNTY_WORDS: Final = ("county", "parish")
SHARE_MIN: Final = 0.25  # of a city's ZIP codes, for a county besides the first to have it

# Places ICE's list spells otherwise than the place data, each checked by hand against the
# data's city names for the state: (state, city_key of ICE's spelling) -> the data's name.
PLACE_CORRECTIONS: Final[dict[tuple[str, str], str]] = {
    ("NH", "pittsburgh"): "Pittsburg",  # the town of Pittsburg, Coos County (no "h")
    ("IN", "greenforks"): "Greens Fork",  # the town of Greens Fork, Wayne County
    ("FL", "sunnyisles"): "Sunny Isles Beach",  # the city of Sunny Isles Beach, Miami-Dade
}


@dataclass(frozen=True, slots=True)
class Placement:
    """What :func:`place_of` found for one agency: the place and its counties, or why not."""

    place: str | None  # the place read from the name ("Tampa"), if any
    counties: tuple[str, ...]  # () when unplaced
    unplaced: Unplaced | None = None


def _strip_end(tokens: list[str], endings: Iterable[tuple[str, ...]]) -> list[str] | None:
    for words in endings:
        n = len(words)
        if len(tokens) > n and tuple(tokens[-n:]) == words:
            return tokens[:-n]
    return None


def _words(agency: str, tokens: list[str]) -> str:
    """The words of ``agency`` that ``tokens`` (its leading tokens, folded) stand for, as
    written: "St. Petersburg" for ["st", "petersburg"]."""
    written = agency.split()
    for n in range(1, len(written) + 1):
        if place_tokens(" ".join(written[:n])) == tokens:
            return " ".join(written[:n]).strip(" ,")
    return " ".join(tokens).title()


def place_of(state: str, agency: str, places: PlacesLookup) -> Placement:
    """Where ``agency`` of ``state`` is, from the place in its name (see the module's rules)."""
    tokens = place_tokens(agency)
    for lead in _LEADING:
        if len(tokens) > len(lead) and tuple(tokens[: len(lead)]) == lead:
            tokens = tokens[len(lead) :]
            agency = " ".join(agency.split()[len(lead) :])
            break
    rest = _strip_end(tokens, _AGENCY_WORDS)
    if not rest:
        return Placement(None, (), "not_local")
    rest = _strip_end(rest, _FACILITY_WORDS) or rest
    place = _words(agency, rest)
    if rest[-1] == "township":
        return Placement(place, (), "township")
    if city_key(" ".join(rest)) == city_key(STATE_NAMES.get(state, "")):
        return Placement(place, (), "state_name")
    if rest[-1] in _COUNTY_WORDS:
        county = places.county_named(state, " ".join(rest))
        return (
            Placement(place, (county,), None) if county else Placement(place, (), "unknown_place")
        )
    corrected = PLACE_CORRECTIONS.get((state, city_key(" ".join(rest))))
    if corrected is not None:
        place = corrected
    counties = places.city_counties(state, place)
    if not counties and rest[-1] in _TRAILING and len(rest) > 1:
        shorter = _words(agency, rest[:-1])
        counties = places.city_counties(state, shorter)
        if counties:
            place = shorter
    if not counties:
        return Placement(place, (), "unknown_place")
    total = sum(n for _, n in counties)
    kept = [name for i, (name, n) in enumerate(counties) if i == 0 or n >= SHARE_MIN * total]
    return Placement(place, tuple(kept), None)


def place_agencies(
    agreements: Iterable[Agreement], places: PlacesLookup
) -> tuple[list[Agreement], dict[tuple[str, str], Placement]]:
    """``agreements`` with the local agencies ICE gives no county for placed from their name.

    Returns the agreements (``inferred`` set where a county was found; any earlier inference
    is made again) and, per (state, agency) of every such agency, what was found.
    """
    out: list[Agreement] = []
    found: dict[tuple[str, str], Placement] = {}
    for a in agreements:
        if a.kind == "state" or a.county is not None:
            out.append(replace(a, inferred=None))
            continue
        key = (a.state, a.agency)
        placement = found.get(key)
        if placement is None:
            placement = found[key] = place_of(a.state, a.agency, places)
        inferred = (
            Inferred(placement.place, placement.counties)
            if placement.counties and placement.place
            else None
        )
        out.append(replace(a, inferred=inferred))
    return out, found
