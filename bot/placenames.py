"""Names of US places as people and data files write them: states, counties, cities, ZIP codes.

ICE's list, the ZIP code data, the Congress data, the organizers' local targets and supporters
all name the same places differently ("St. Johns County", "SAINT JOHNS", "st johns"). The
keys here make them meet: case, accents, punctuation and spacing do not matter
(:func:`bot.matching.fold`), nor do "Saint"/"St.", "Fort"/"Ft.", "Mount"/"Mt." or a county's
"County"/"Parish"/"Borough".

Plain functions of text, shared by :mod:`bot.agreements`, :mod:`bot.places`,
:mod:`bot.congress` and :mod:`bot.local_targets`. Change :func:`place_tokens`,
:func:`county_key` or :func:`city_key` and ``content/places.tsv``, whose keys they made, must be
made again (a test compares the shipped file with a fresh import).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

from bot.matching import fold

__all__ = [
    "STATE_NAMES",
    "city_key",
    "county_key",
    "place_tokens",
    "state_code",
    "strip_designator",
    "zip5",
]

# USPS codes and English names of the states, DC and the territories (as in content/states.yaml).
STATE_NAMES: Final[dict[str, str]] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia",
    "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "PR": "Puerto Rico", "GU": "Guam", "VI": "U.S. Virgin Islands", "AS": "American Samoa",
    "MP": "Northern Mariana Islands",
}  # fmt: skip
_STATE_ALIASES: Final[dict[str, str]] = {
    "washington dc": "DC", "washington d c": "DC", "d c": "DC",
    "virgin islands": "VI", "us virgin islands": "VI", "united states virgin islands": "VI",
    "commonwealth of puerto rico": "PR", "commonwealth of the northern mariana islands": "MP",
    "cnmi": "MP",
}  # fmt: skip


_ABBREVIATIONS: Final = {"saint": "st", "sainte": "ste", "fort": "ft", "mount": "mt"}
_PREFIXES: Final = (
    ("city", "and", "borough", "of"),
    ("municipality", "of"),
    ("county", "of"),
    ("parish", "of"),
    ("condado", "de"),
    ("parroquia", "de"),
    ("condado",),
)
_SUFFIXES: Final = (
    ("city", "and", "borough"),
    ("census", "area"),
    ("county",),
    ("parish",),
    ("borough",),
    ("municipality",),
    ("municipio",),
    ("co",),
)


def place_tokens(text: str) -> list[str]:
    """The folded words of a place name, "Saint"/"Fort"/"Mount" written as "st"/"ft"/"mt"."""
    return [_ABBREVIATIONS.get(t, t) for t in fold(text).split()]


def strip_designator(tokens: list[str]) -> tuple[list[str], bool]:
    """``tokens`` without a leading or trailing "County"/"Parish"/"Borough"/"condado de"...

    Returns the remaining words and whether a designator was removed. "City" is kept: in
    Virginia, Maryland and Missouri "Fairfax city" and "Fairfax County" are different places.
    """
    found = False
    for prefix in _PREFIXES:
        if len(tokens) > len(prefix) and tuple(tokens[: len(prefix)]) == prefix:
            tokens, found = tokens[len(prefix) :], True
            break
    for suffix in _SUFFIXES:
        if len(tokens) > len(suffix) and tuple(tokens[-len(suffix) :]) == suffix:
            tokens, found = tokens[: -len(suffix)], True
            break
    return tokens, found


@lru_cache(maxsize=16384)
def county_key(name: str) -> str:
    """The key two spellings of one county share: "St. Johns County" -> "stjohns"."""
    tokens, _ = strip_designator(place_tokens(name))
    return "".join(tokens)


_STATE_BY_NAME: Final = {fold(name): code for code, name in STATE_NAMES.items()}


def state_code(text: str) -> str | None:
    """The USPS code of a state or territory given by code or name ("TEXAS" -> "TX")."""
    folded = fold(text)
    if folded.upper() in STATE_NAMES:
        return folded.upper()
    return _STATE_BY_NAME.get(folded) or _STATE_ALIASES.get(folded)


@lru_cache(maxsize=16384)
def city_key(name: str) -> str:
    """The key two spellings of one city share: "St. Petersburg" -> "stpetersburg"."""
    return "".join(place_tokens(name))


def zip5(text: str) -> str | None:
    """The 5-digit ZIP code in "77002", " 77002 " or "77002-1234"; None for anything else."""
    s = text.strip()
    if len(s) == 10 and s[5] == "-" and s[6:].isascii() and s[6:].isdigit():
        s = s[:5]
    return s if len(s) == 5 and s.isascii() and s.isdigit() else None
