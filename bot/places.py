"""Where a supporter lives: the county of a ZIP code, or of a county or city name in a state.

The data is the ``zipcodes`` package's offline copy of the US ZIP codes (about 42,800, each
with its state, one county, its city and other accepted city names). It is read once, on first
use or at :func:`preload`, into three small indexes kept for the life of the process:

* ZIP -> places (:func:`places_for_zip`);
* per state: county key -> county name, with the number of ZIP codes in the county;
* per state: city key -> the counties its ZIP codes lie in, most ZIP codes first.

Keys come from :func:`bot.agreements.county_key` and :func:`bot.agreements.place_tokens`: case,
accents, punctuation, spacing, "Saint"/"St." and "Fort"/"Ft." do not matter, nor does the
"County"/"Parish"/"Borough" suffix. Typos are tolerated as in :mod:`bot.search`: one edit
(Damerau-Levenshtein) in names of 4-7 letters, two in longer ones.

Limitations of the data, not hidden: a ZIP code has **one** county in it (the one most of its
addresses are in), so a ZIP that spans two counties answers with one of them; military ZIP
codes (APO/FPO) and those of the freely associated states are not places here; a ZIP whose
county the data lacks gets it from other ZIP codes of the same city when they agree, and is
unknown otherwise (a few in Puerto Rico and the other territories).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final, cast

import zipcodes

from bot.agreements import STATE_NAMES, county_key, fold, place_tokens, strip_designator
from bot.search import _osa_distance

__all__ = ["Place", "find_county", "places_for_zip", "preload", "unknown_counties"]

MAX_TEXT = 200  # characters of a typed place name looked at
MAX_RESULTS = 10  # counties returned by find_county, best first


@dataclass(frozen=True, slots=True)
class Place:
    """A state and a county (as the ZIP data names it), and the city if known."""

    state: str  # USPS code
    county: str  # "Harris County"
    city: str | None = None  # "Houston"


@dataclass(frozen=True, slots=True)
class _StateIndex:
    counties: dict[str, str]  # county key -> name
    county_zips: dict[str, int]  # county key -> ZIP codes in the county
    cities: dict[str, tuple[tuple[str, int], ...]]  # city key -> ((county key, ZIPs), ...)
    county_grams: dict[str, tuple[str, ...]]  # bigram -> county keys (for typos)
    city_grams: dict[str, tuple[str, ...]]  # bigram -> city keys


@dataclass(frozen=True, slots=True)
class _Index:
    zips: dict[str, tuple[Place, ...]]
    states: dict[str, _StateIndex]
    unresolved: int  # active ZIP codes left out: no county in the data, none derivable


_lock = threading.Lock()
_index: _Index | None = None


def _zip_records() -> list[dict[str, Any]]:
    """Every ZIP record of the ``zipcodes`` package (a fresh list, not its module cache)."""
    every = cast(Callable[[], list[dict[str, Any]]], zipcodes.filter_by)
    return every()


# Places the data gives no county for, that are one county-equivalent (as the Census has it)
# or have no agreements list by county: the territory's name stands for the county.
_WHOLE: Final = {"DC": "District of Columbia", "GU": "Guam", "AS": "American Samoa",
                 "MP": "Northern Mariana Islands", "VI": "U.S. Virgin Islands"}  # fmt: skip


def _county_of(record: dict[str, Any]) -> str:
    county = " ".join(str(record.get("county") or "").split())
    return county or _WHOLE.get(record["state"], "")


def _city_key(name: str) -> str:
    return "".join(place_tokens(name))


def _bigrams(key: str) -> set[str]:
    padded = f"^{key}$"
    return {padded[i : i + 2] for i in range(len(padded) - 1)}


def _gram_index(keys: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Bigram -> the keys that have it, to find near spellings without comparing them all."""
    out: dict[str, list[str]] = {}
    for key in sorted(keys):
        for gram in _bigrams(key):
            out.setdefault(gram, []).append(key)
    return {gram: tuple(v) for gram, v in out.items()}


def _build_index(records: list[dict[str, Any]] | None = None) -> _Index:
    """Read the ZIP data into the indexes (about a second; callers cache the result)."""
    import sys

    records = _zip_records() if records is None else records
    spellings: dict[tuple[str, str], Counter[str]] = {}  # (state, county key) -> spellings
    city_counties: dict[tuple[str, str], Counter[str]] = {}  # (state, city key) -> county keys
    for r in records:
        state = r["state"]
        if state not in STATE_NAMES:
            continue
        county = _county_of(r)
        if not county:
            continue
        key = county_key(county)
        spellings.setdefault((state, key), Counter())[county] += 1
        for city in (r["city"], *r.get("acceptable_cities", ())):
            city_counties.setdefault((state, _city_key(city)), Counter())[key] += 1

    def name_of(state: str, key: str) -> str:
        # The usual spelling; among equals, "DeKalb" over "Dekalb" and "Richmond city" over
        # "Richmond City" (the Census Bureau's way).
        counts = spellings[(state, key)]

        def preference(s: str) -> tuple[int, int, bool, str]:
            inner_capitals = sum(c.isupper() for word in s.split() for c in word[1:])
            return (-counts[s], -inner_capitals, s.endswith(" City"), s)

        return min(counts, key=preference)

    names = {sk: sys.intern(name_of(*sk)) for sk in spellings}
    zips: dict[str, tuple[Place, ...]] = {}
    unresolved = 0
    for r in records:
        state = r["state"]
        if state not in STATE_NAMES or not r.get("active", True):
            continue
        county = _county_of(r)
        found: str | None = county_key(county) if county else None
        if found is None:
            # No county in the data: take the one the city's other ZIP codes agree on.
            around = city_counties.get((state, _city_key(r["city"])), Counter())
            found = next(iter(around)) if len(around) == 1 else None
        if found is None or (state, found) not in names:
            unresolved += 1
            continue
        place = Place(sys.intern(state), names[(state, found)], sys.intern(r["city"]) or None)
        zips[r["zip_code"]] = (*zips.get(r["zip_code"], ()), place)

    states: dict[str, _StateIndex] = {}
    for state in STATE_NAMES:
        county_names = {key: names[(s, key)] for (s, key) in spellings if s == state}
        county_zips = {key: sum(spellings[(state, key)].values()) for key in county_names}
        cities = {
            city: tuple(counts.most_common())
            for (s, city), counts in city_counties.items()
            if s == state
        }
        states[state] = _StateIndex(
            counties=county_names,
            county_zips=county_zips,
            cities=cities,
            county_grams=_gram_index(county_names),
            city_grams=_gram_index(cities),
        )
    return _Index(zips=zips, states=states, unresolved=unresolved)


def _get_index() -> _Index:
    global _index
    index = _index
    if index is None:
        with _lock:  # one thread builds; the others wait and share it
            if _index is None:
                _index = _build_index()
            index = _index
    return index


def preload() -> None:
    """Read the ZIP data now (about a second) rather than on the first lookup."""
    _get_index()


# -- ZIP codes ---------------------------------------------------------------------------------


def _zip5(text: str) -> str | None:
    """The 5-digit ZIP in "77002", " 77002 " or "77002-1234"; None for anything else."""
    s = text.strip()
    if len(s) == 10 and s[5] == "-" and s[6:].isdigit():
        s = s[:5]
    if len(s) == 5 and s.isascii() and s.isdigit():
        return s
    return None


def places_for_zip(text: str) -> list[Place] | None:
    """The places of a US ZIP code ("77002", "77002-1234"), best first.

    None if ``text`` is not a ZIP code (5 digits, optionally "-" and 4 more); ``[]`` for a
    well-formed ZIP code that the data does not know or lists as no longer in use. The data
    has one county per ZIP code, so the list has one place; callers should still offer a
    choice when it has more.
    """
    zip5 = _zip5(text)
    if zip5 is None:
        return None
    return list(_get_index().zips.get(zip5, ()))


# -- county and city names ---------------------------------------------------------------------


def _allowance(n: int) -> int:
    """Typos tolerated in a key of ``n`` letters (as in :mod:`bot.search`)."""
    if n < 4:
        return 0
    return 1 if n <= 7 else 2


def _near(key: str, grams: dict[str, tuple[str, ...]], max_d: int) -> list[tuple[int, str]]:
    """(distance, key) of the keys indexed in ``grams`` within ``max_d`` edits of ``key``.

    An edit changes at most three of a word's bigrams (a transposition: "xaby" -> "xbay"), so
    a key ``max_d`` edits away shares all but ``3 * max_d`` of them; only those are compared.
    """
    wanted = _bigrams(key)
    shared: dict[str, int] = {}
    for gram in wanted:
        for candidate in grams.get(gram, ()):
            shared[candidate] = shared.get(candidate, 0) + 1
    needed = max(1, len(wanted) - 3 * max_d)
    out: list[tuple[int, str]] = []
    for candidate, count in shared.items():
        if count < needed or abs(len(candidate) - len(key)) > max_d:
            continue
        d = _osa_distance(key, candidate, max_d)
        if d <= max_d:
            out.append((d, candidate))
    return out


def _strip_state(tokens: list[str], state: str) -> list[str]:
    """``tokens`` without a trailing state name or code ("houston tx" -> "houston")."""
    for tail in (fold(STATE_NAMES.get(state, "")).split(), [state.lower()]):
        if tail and len(tokens) > len(tail) and tokens[-len(tail) :] == tail:
            return tokens[: -len(tail)]
    return tokens


def find_county(state: str, text: str, known_counties: Iterable[str] = ()) -> list[str]:
    """The county (or counties) of ``state`` that ``text`` names, best first; [] for none.

    ``text`` may be a county ("Harris County", "harris", "Condado de Harris", "St. Johns") or
    a city or town ("Houston": the counties its ZIP codes lie in, most first); case, accents
    and typos are tolerated. ``known_counties`` (the counties of the agreements list) are
    counties too, even where the ZIP data lacks them, and are returned as spelled there.

    Exact matches come before near ones (typos); among exact matches, a county named as such
    ("Houston County") comes first, otherwise the one with more ZIP codes to its name: "Houston"
    in Texas answers Harris County (the city's), then Houston County.
    """
    code = state.strip().upper()
    tokens = _strip_state(place_tokens(text[:MAX_TEXT]), code)
    county_tokens, designated = strip_designator(tokens)
    ckey, qkey = "".join(county_tokens), "".join(tokens)
    if not ckey:
        return []
    index = _get_index().states.get(code)
    counties = index.counties if index else {}
    zips_in = index.county_zips if index else {}
    cities = index.cities if index else {}
    known, extra = _known(code, tuple(known_counties))

    def name_of(key: str) -> str | None:
        return known.get(key) or counties.get(key)

    # rank: (tier, -weight, name); tier 0 exact, 1 near; the best rank per county is kept
    ranks: dict[str, tuple[int, int, str]] = {}

    def add(key: str, tier: int, weight: int) -> None:
        name = name_of(key)
        if name is None:
            return
        rank = (tier, -weight, name)
        if name not in ranks or rank < ranks[name]:
            ranks[name] = rank

    if name_of(ckey) is not None:
        add(ckey, 0, 10**9 if designated else zips_in.get(ckey, 1))
    if not designated and qkey in cities:
        for key, n in cities[qkey]:
            add(key, 0, n)
    if not ranks and (max_d := _allowance(len(ckey))):
        near: list[tuple[int, str, int]] = []  # (distance, county key, weight)
        for grams in (index.county_grams if index else {}, extra):
            near += [(d, key, zips_in.get(key, 1)) for d, key in _near(ckey, grams, max_d)]
        if not designated and index:
            for d, key in _near(qkey, index.city_grams, _allowance(len(qkey))):
                near += [(d, county, n) for county, n in cities[key]]
        best = min((d for d, _, _ in near), default=0)
        for d, key, weight in near:
            if d == best:
                add(key, 1, weight)
    ordered = sorted(ranks.values())
    return [name for _tier, _weight, name in ordered[:MAX_RESULTS]]


@lru_cache(maxsize=256)
def _known(state: str, names: tuple[str, ...]) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """Key -> name of the agreements list's counties (its spelling wins: the bot shows it),
    and the typo index of those the ZIP data lacks. Cached: callers pass the same few lists."""
    known = {key: name for name in names if (key := county_key(name))}
    index = _get_index().states.get(state)
    counties = index.counties if index else {}
    return known, _gram_index(k for k in known if k not in counties)


def unknown_counties(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The (state, county) pairs whose county the ZIP data does not have in that state.

    For checking an imported list: such a county is a misspelling in ICE's list (add it to
    :data:`bot.agreements.COUNTY_CORRECTIONS`) or a county in the wrong state.
    """
    states = _get_index().states
    out: list[tuple[str, str]] = []
    for state, county in pairs:
        index = states.get(state)
        if index is None or county_key(county) not in index.counties:
            out.append((state, county))
    return out
