"""Where a supporter lives: the county of a ZIP code, or of a county or city name in a state.

The data is ``places.tsv`` in the content directory: every US ZIP code in use with its state,
one county and its city, each state's counties, and the counties each city or town name lies in.
``outreach-bot import-places`` makes it once from the ``zipcodes`` package's offline copy of
the US ZIP codes (:func:`import_places`); the bot never imports that package. A
:class:`PlaceIndex` reads the file on its first lookup (a tenth of a second, a few MiB): the
ZIP codes into a table from each code to where its line is, each state's names as text that is
indexed the first time someone names a place in that state.

Keys come from :func:`bot.placenames.county_key` and :func:`bot.placenames.city_key`: case,
accents, punctuation, spacing, "Saint"/"St." and "Fort"/"Ft." do not matter, nor does the
"County"/"Parish"/"Borough" suffix. Typos are tolerated as everywhere (:mod:`bot.matching`):
one edit (Damerau-Levenshtein) in names of 4-7 letters, two in longer ones.

Limitations of the data, not hidden: a ZIP code has **one** county in it (the one most of its
addresses are in), so a ZIP that spans two counties answers with one of them; military ZIP
codes (APO/FPO) and those of the freely associated states are not places here; a ZIP whose
county the data lacks gets it from other ZIP codes of the same city when they agree, and is
left out otherwise (a few in Puerto Rico and the other territories).

The file is UTF-8 text, tab-separated, sorted, so that a new import reads as a diff. After the
first line (:data:`FORMAT_LINE`) and comments (``#``) come three sections:

* ``[zip]``: ZIP code, state, county name, city — one line per place of a ZIP code in use,
  sorted by ZIP code (``77002	TX	Harris County	Houston``);
* ``[county]``: state, county key, county name, ZIP codes in the county, sorted by state and
  key (``TX	harris	Harris County	241``);
* ``[city]``: state, city key, then ``county key:ZIP codes`` for each county the city's ZIP
  codes lie in, most first, sorted by state and key (``FL	kissimmee	osceola:8	polk:1``).
  Other accepted names of a ZIP code's city count as cities too.

The keys are written so that the bot does not normalize 80,000 names at start; change
:func:`~bot.placenames.city_key` or :func:`~bot.placenames.county_key` and the file must be
made again (a test compares the shipped file with a fresh import).
"""

from __future__ import annotations

import threading
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, cast

from bot.config import bundled_content
from bot.datafiles import write_atomically
from bot.matching import fold, osa_distance, typos_allowed
from bot.placenames import STATE_NAMES, city_key, county_key, place_tokens, strip_designator, zip5

__all__ = [
    "FORMAT_LINE",
    "PLACES_FILE",
    "Place",
    "PlaceIndex",
    "PlacesError",
    "find_county",
    "import_places",
    "places_for_zip",
    "unknown_counties",
]

PLACES_FILE: Final = "places.tsv"  # in the content directory
FORMAT_LINE: Final = "# outreach-bot places, format 1"
MAX_TEXT = 200  # characters of a typed place name looked at
MAX_RESULTS = 10  # counties returned by find_county, best first
_KNOWN_CACHE = 256  # agreements lists' county indexes kept per PlaceIndex


class PlacesError(Exception):
    """The places file cannot be used (missing, of another format, a broken line)."""

    def __init__(self, message: str, file: str = "", line: int | None = None) -> None:
        self.message, self.file, self.line = message, file, line
        where = f"{file}, line {line}" if file and line else file
        super().__init__(f"{where}: {message}" if where else message)


def _error_at(name: str, text: str, pos: int, message: str) -> PlacesError:
    """An error about the line of ``text`` that ``pos`` is on."""
    return PlacesError(message, name, text.count("\n", 0, pos) + 1)


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


_NO_STATE: Final = _StateIndex({}, {}, {}, {}, {})


@dataclass(slots=True)
class _Data:
    """The file's text, with what finds a line in it without parsing the others."""

    text: str
    starts: array[int]  # where each [zip] line starts in ``text``, in order
    first: array[int]  # ZIP code (00000-99999) -> index of its first line in starts, or -1
    county_spans: dict[str, tuple[int, int]]  # state -> its [county] lines in ``text``
    city_spans: dict[str, tuple[int, int]]  # state -> its [city] lines in ``text``
    states: dict[str, _StateIndex]  # states indexed so far


class PlaceIndex:
    """The places of one places file, read on first use; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._data: _Data | None = None
        self._known: dict[tuple[str, tuple[str, ...]], _Known] = {}

    def __repr__(self) -> str:
        return f"PlaceIndex({str(self.path)!r})"

    # -- reading -------------------------------------------------------------------------------

    def _get(self) -> _Data:
        data = self._data
        if data is None:
            with self._lock:  # one thread reads; the others wait and share it
                if self._data is None:
                    self._data = _read_file(self.path)
                data = self._data
        return data

    def _state(self, code: str) -> _StateIndex:
        data = self._get()
        index = data.states.get(code)
        if index is None:
            if code not in data.county_spans and code not in data.city_spans:
                return _NO_STATE
            with self._lock:
                index = data.states.get(code)
                if index is None:
                    index = data.states[code] = _parse_state(self.path.name, data, code)
        return index

    def check_format(self) -> None:
        """Check that the file is there and of this format, reading its first line only.

        Raises :class:`PlacesError`. Content loading calls this: the rest is read on first use.
        """
        try:
            with self.path.open(encoding="utf-8") as f:
                first = f.readline(len(FORMAT_LINE) + 2)
        except OSError as exc:
            raise _unreadable(self.path, exc) from exc
        except UnicodeDecodeError as exc:
            raise PlacesError(f"not UTF-8 text ({exc.reason})", str(self.path)) from exc
        _check_format_line(self.path.name, first)

    def check(self) -> tuple[int, int, int]:
        """Read the whole file now and check every line: (ZIP codes, counties, city names).

        Raises :class:`PlacesError` naming the line at fault. The bot reads a line when it
        needs it; ``outreach-bot check-content`` calls this first.
        """
        name, data = self.path.name, self._get()
        # Indexed here and dropped after: only the states people ask about stay in memory.
        every = sorted({*data.county_spans, *data.city_spans})
        states = {code: _parse_state(name, data, code) for code in every}
        for start in data.starts:
            place = _zip_place(name, data.text, start)
            index = states.get(place.state, _NO_STATE)
            if index.counties.get(county_key(place.county)) != place.county:
                raise _error_at(
                    name,
                    data.text,
                    start,
                    f"{place.county!r} is not a county of {place.state} in the [county] section",
                )
        for code, index in states.items():
            for key, counties in index.cities.items():
                for county, _ in counties:
                    if county not in index.counties:
                        raise PlacesError(
                            f"city {key!r} of {code}: no county {county!r} in the [county] section",
                            name,
                        )
        return (
            sum(n >= 0 for n in data.first),
            sum(len(s.counties) for s in states.values()),
            sum(len(s.cities) for s in states.values()),
        )

    # -- lookups -------------------------------------------------------------------------------

    def places_for_zip(self, text: str) -> list[Place] | None:
        """The places of a US ZIP code ("77002", "77002-1234"), best first.

        None if ``text`` is not a ZIP code (5 digits, optionally "-" and 4 more); ``[]`` for a
        well-formed ZIP code that the data does not know or lists as no longer in use. The data
        has one county per ZIP code, so the list has one place; callers should still offer a
        choice when it has more.
        """
        code = zip5(text)
        if code is None:
            return None
        data = self._get()
        text, starts = data.text, data.starts
        found: list[Place] = []
        n = data.first[int(code)]
        while 0 <= n < len(starts) and text.startswith(code, starts[n]):  # its lines in a row
            found.append(_zip_place(self.path.name, text, starts[n]))
            n += 1
        return found

    def zip_codes(self) -> list[str]:
        """Every ZIP code of the data, ascending (for benchmarks and checks)."""
        return [f"{code:05d}" for code, n in enumerate(self._get().first) if n >= 0]

    def counties(self, state: str) -> list[str]:
        """The names of a state's counties in the data, by key."""
        index = self._state(state.strip().upper())
        return [index.counties[key] for key in sorted(index.counties)]

    def find_county(self, state: str, text: str, known_counties: Iterable[str] = ()) -> list[str]:
        """The county (or counties) of ``state`` that ``text`` names, best first; [] for none.

        ``text`` may be a county ("Harris County", "harris", "Condado de Harris", "St. Johns")
        or a city or town ("Houston": the counties its ZIP codes lie in, most first); case,
        accents and typos are tolerated. ``known_counties`` (the counties of the agreements
        list) are counties too, even where the ZIP data lacks them, and are returned as spelled
        there.

        Exact matches come before near ones (typos); among exact matches, a county named as
        such ("Houston County") comes first, otherwise the one with more ZIP codes to its name:
        "Houston" in Texas answers Harris County (the city's), then Houston County.
        """
        code = state.strip().upper()
        tokens = _strip_state(place_tokens(text[:MAX_TEXT]), code)
        county_tokens, designated = strip_designator(tokens)
        ckey, qkey = "".join(county_tokens), "".join(tokens)
        if not ckey:
            return []
        index = self._state(code)
        counties, zips_in, cities = index.counties, index.county_zips, index.cities
        known, extra = self._known_counties(code, tuple(known_counties), index)

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
        if not ranks and (max_d := typos_allowed(len(ckey))):
            near: list[tuple[int, str, int]] = []  # (distance, county key, weight)
            for grams in (index.county_grams, extra):
                near += [(d, key, zips_in.get(key, 1)) for d, key in _near(ckey, grams, max_d)]
            if not designated:
                for d, key in _near(qkey, index.city_grams, typos_allowed(len(qkey))):
                    near += [(d, county, n) for county, n in cities[key]]
            best = min((d for d, _, _ in near), default=0)
            for d, key, weight in near:
                if d == best:
                    add(key, 1, weight)
        ordered = sorted(ranks.values())
        return [name for _tier, _weight, name in ordered[:MAX_RESULTS]]

    def city_counties(self, state: str, city: str) -> list[tuple[str, int]]:
        """The counties of ``state`` whose ZIP codes bear the city or town name ``city``, with
        how many of those ZIP codes each holds, most first; [] when none does.

        The exact name only (case, accents, punctuation and "Saint"/"St." aside), never a near
        one: this places agencies by the city in their name, where a typo would place one in
        another town's county.
        """
        index = self._state(state.strip().upper())
        pairs = index.cities.get(city_key(city[:MAX_TEXT]), ())
        return [(index.counties[key], n) for key, n in pairs if key in index.counties]

    def county_named(self, state: str, name: str) -> str | None:
        """The county of ``state`` that ``name`` names exactly ("Polk County", "polk"), as the
        data spells it; None for none (no typos, no cities)."""
        index = self._state(state.strip().upper())
        return index.counties.get(county_key(name[:MAX_TEXT]))

    def _known_counties(self, state: str, names: tuple[str, ...], index: _StateIndex) -> _Known:
        """Key -> name of the agreements list's counties (its spelling wins: the bot shows
        it), and the typo index of those the ZIP data lacks. Cached: callers pass the same few
        lists."""
        found = self._known.get((state, names))
        if found is None:
            known = {key: name for name in names if (key := county_key(name))}
            found = (known, _gram_index(k for k in known if k not in index.counties))
            if len(self._known) >= _KNOWN_CACHE:
                self._known.clear()
            self._known[(state, names)] = found
        return found

    def unknown_counties(self, pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """The (state, county) pairs whose county the ZIP data does not have in that state.

        For checking an imported list: such a county is a misspelling in ICE's list (add it to
        :data:`bot.agreements.importer.COUNTY_CORRECTIONS`) or a county in the wrong state.
        """
        return [
            (state, county)
            for state, county in pairs
            if county_key(county) not in self._state(state).counties
        ]


_Known = tuple[dict[str, str], dict[str, tuple[str, ...]]]


# -- the bundled file, for scripts and tests (the bot uses its content's index) ----------------

_bundled: PlaceIndex | None = None


def bundled() -> PlaceIndex:
    """The index of the bundled content's ``places.tsv``."""
    global _bundled
    if _bundled is None:
        _bundled = PlaceIndex(bundled_content() / PLACES_FILE)
    return _bundled


def places_for_zip(text: str) -> list[Place] | None:
    """:meth:`PlaceIndex.places_for_zip` over the bundled file."""
    return bundled().places_for_zip(text)


def find_county(state: str, text: str, known_counties: Iterable[str] = ()) -> list[str]:
    """:meth:`PlaceIndex.find_county` over the bundled file."""
    return bundled().find_county(state, text, known_counties)


def unknown_counties(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """:meth:`PlaceIndex.unknown_counties` over the bundled file."""
    return bundled().unknown_counties(pairs)


# -- reading the file --------------------------------------------------------------------------


def _read_file(path: Path) -> _Data:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    except UnicodeDecodeError as exc:
        raise PlacesError(f"not UTF-8 text ({exc.reason})", str(path)) from exc
    return _read_text(path.name, text)


def _unreadable(path: Path, exc: OSError) -> PlacesError:
    missing = isinstance(exc, FileNotFoundError)
    return PlacesError(
        "file is missing: make it with `outreach-bot import-places`"
        if missing
        else f"cannot read: {exc.strerror}",
        str(path),
    )


def _check_format_line(name: str, text: str) -> None:
    if not text.startswith(FORMAT_LINE + "\n"):
        raise PlacesError(
            f"not a places file of this version (expected {FORMAT_LINE!r}): make it again "
            "with `outreach-bot import-places`",
            name,
            1,
        )


def _read_text(name: str, text: str) -> _Data:
    """Find the sections, the ZIP codes' lines and each state's name lines; parse nothing else.

    Checks the format line, the sections' order and that the ZIP codes and states are sorted
    (what the lookups rely on); a line's fields are checked when it is first used, or all of
    them by :meth:`PlaceIndex.check`.
    """
    _check_format_line(name, text)
    bounds: list[int] = []
    for section in ("[zip]", "[county]", "[city]"):
        at = text.find(f"\n{section}\n", bounds[-1] if bounds else 0)
        if at < 0:
            raise PlacesError(f"no {section} section (or out of order)", name)
        bounds += [at + 1, at + len(section) + 2]  # the header line, then the first line
    header, zips, county_head, counties, city_head, cities = bounds
    if any(not line.startswith("#") for line in text[:header].splitlines()):
        raise PlacesError("only comments (#) may come before [zip]", name)
    starts, first = _zip_lines(name, text, zips, county_head)
    return _Data(
        text,
        starts,
        first,
        _state_spans(name, text, counties, city_head),
        _state_spans(name, text, cities, len(text)),
        {},
    )


def _zip_lines(name: str, text: str, pos: int, end: int) -> tuple[array[int], array[int]]:
    """Where each [zip] line starts, and for each ZIP code the index of its first line."""
    starts: array[int] = array("l")
    first: array[int] = array("l", [-1]) * 100_000
    last = -1
    while pos < end:
        head = text[pos : pos + 6]
        if not (head[:5].isascii() and head[:5].isdigit() and head[5:] == "\t"):
            raise _error_at(name, text, pos, "not a ZIP code line")
        code = int(head[:5])
        if code < last:
            raise _error_at(name, text, pos, "ZIP code out of order")
        if code != last:
            first[code] = len(starts)
        starts.append(pos)
        last = code
        pos = text.index("\n", pos, end) + 1  # every section ends with a line break
    return starts, first


def _state_spans(name: str, text: str, pos: int, end: int) -> dict[str, tuple[int, int]]:
    """State -> where its lines are in a section sorted by state (its first to last line)."""
    spans: dict[str, tuple[int, int]] = {}
    last = ""
    while pos < end:
        state = text[pos : pos + 2]
        if text[pos + 2 : pos + 3] != "\t" or state not in STATE_NAMES or state <= last:
            problem = "state out of order" if state <= last else "no state at the start"
            raise _error_at(name, text, pos, problem)
        stop = _run_end(text, pos, end, state + "\t")
        spans[state] = (pos, stop)
        pos, last = stop, state
    return spans


def _run_end(text: str, pos: int, end: int, prefix: str) -> int:
    """Where the run of lines starting with ``prefix`` that begins at ``pos`` ends, in sorted
    lines (by bisection: the line under an offset tells which side of the end it is on)."""
    lo, hi = pos, end  # lo is inside the run; hi is past it (or the end)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        line = text.rfind("\n", lo, mid) + 1  # where mid's line starts (0: lo's line)
        if line == 0 or text.startswith(prefix, line):
            lo = mid
        else:
            hi = mid
    return hi


def _zip_place(name: str, text: str, start: int) -> Place:
    """The place on the [zip] line at ``start``."""
    fields = text[start + 6 : text.index("\n", start)].split("\t")
    if len(fields) != 3 or fields[0] not in STATE_NAMES or not fields[1]:
        raise _error_at(name, text, start, "expected ZIP code, state, county and city")
    state, county, city = fields
    return Place(state, county, city or None)


def _parse_state(name: str, data: _Data, state: str) -> _StateIndex:
    """A state's counties and cities, indexed (typos included)."""
    counties: dict[str, str] = {}
    county_zips: dict[str, int] = {}
    cities: dict[str, tuple[tuple[str, int], ...]] = {}
    for at, fields in _lines(name, data.text, data.county_spans.get(state), state):
        if len(fields) != 4 or not fields[1] or not fields[2] or not _is_count(fields[3]):
            raise _error_at(
                name, data.text, at, "expected state, county key, county name and ZIP codes"
            )
        if fields[1] in counties:
            raise _error_at(name, data.text, at, f"county {fields[1]!r} listed twice")
        counties[fields[1]] = fields[2]
        county_zips[fields[1]] = int(fields[3])
    for at, fields in _lines(name, data.text, data.city_spans.get(state), state):
        pairs = [field.partition(":") for field in fields[2:]]
        if not fields[1] or not pairs or not all(k and _is_count(c) for k, _, c in pairs):
            raise _error_at(
                name, data.text, at, "expected state, city key and county key:ZIP codes"
            )
        if fields[1] in cities:
            raise _error_at(name, data.text, at, f"city {fields[1]!r} listed twice")
        cities[fields[1]] = tuple((k, int(c)) for k, _, c in pairs)
    return _StateIndex(
        counties=counties,
        county_zips=county_zips,
        cities=cities,
        county_grams=_gram_index(counties),
        city_grams=_gram_index(cities),
    )


def _is_count(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _lines(
    name: str, text: str, span: tuple[int, int] | None, state: str
) -> Iterator[tuple[int, list[str]]]:
    """(where the line starts in ``text``, its fields) for a state's lines in one section."""
    if span is None:
        return
    start, stop = span
    lines = text[start:stop].split("\n")
    if not lines[-1]:
        lines.pop()  # the line break that ends the last line
    for line in lines:
        fields = line.split("\t")
        if fields[0] != state:
            raise _error_at(name, text, start, "state out of order")
        yield start, fields
        start += len(line) + 1


# -- ZIP codes ---------------------------------------------------------------------------------


# -- county and city names ---------------------------------------------------------------------


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
        d = osa_distance(key, candidate, max_d)
        if d <= max_d:
            out.append((d, candidate))
    return out


def _strip_state(tokens: list[str], state: str) -> list[str]:
    """``tokens`` without a trailing state name or code ("houston tx" -> "houston")."""
    for tail in (fold(STATE_NAMES.get(state, "")).split(), [state.lower()]):
        if tail and len(tokens) > len(tail) and tokens[-len(tail) :] == tail:
            return tokens[: -len(tail)]
    return tokens


# -- making the file (outreach-bot import-places) ----------------------------------------------


@dataclass(frozen=True, slots=True)
class _Tables:
    """What the file holds, as built from the ZIP records."""

    zips: list[tuple[str, Place]]  # (ZIP code, place), by ZIP code
    counties: dict[tuple[str, str], tuple[str, int]]  # (state, key) -> (name, ZIP codes)
    cities: dict[tuple[str, str], tuple[tuple[str, int], ...]]  # (state, key) -> counties
    records: int  # ZIP records read
    unresolved: int  # active ZIP codes left out: no county in the data, none derivable


@dataclass(frozen=True, slots=True)
class ImportedPlaces:
    """What :func:`import_places` wrote."""

    source: str  # "zipcodes 3.0.0"
    records: int
    zip_codes: int
    counties: int
    cities: int
    unresolved: int


# Places the data gives no county for, that are one county-equivalent (as the Census has it)
# or have no agreements list by county: the territory's name stands for the county.
_WHOLE: Final = {"DC": "District of Columbia", "GU": "Guam", "AS": "American Samoa",
                 "MP": "Northern Mariana Islands", "VI": "U.S. Virgin Islands"}  # fmt: skip


def _county_of(record: dict[str, Any]) -> str:
    county = " ".join(str(record.get("county") or "").split())
    return county or _WHOLE.get(record["state"], "")


def _build_tables(records: list[dict[str, Any]]) -> _Tables:
    """Index the ZIP records (``zipcodes`` dictionaries) as the file holds them."""
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
            city_counties.setdefault((state, city_key(city)), Counter())[key] += 1

    def name_of(state: str, key: str) -> str:
        # The usual spelling; among equals, "DeKalb" over "Dekalb" and "Richmond city" over
        # "Richmond City" (the Census Bureau's way).
        counts = spellings[(state, key)]

        def preference(s: str) -> tuple[int, int, bool, str]:
            inner_capitals = sum(c.isupper() for word in s.split() for c in word[1:])
            return (-counts[s], -inner_capitals, s.endswith(" City"), s)

        return min(counts, key=preference)

    counties = {sk: (name_of(*sk), sum(spellings[sk].values())) for sk in spellings if sk[1]}
    zips: list[tuple[str, Place]] = []
    unresolved = 0
    for r in records:
        state = r["state"]
        if state not in STATE_NAMES or not r.get("active", True):
            continue
        county = _county_of(r)
        found: str | None = county_key(county) if county else None
        if found is None:
            # No county in the data: take the one the city's other ZIP codes agree on.
            around = city_counties.get((state, city_key(r["city"])), Counter())
            found = next(iter(around)) if len(around) == 1 else None
        if found is None or (state, found) not in counties:
            unresolved += 1
            continue
        zips.append((r["zip_code"], Place(state, counties[(state, found)][0], r["city"] or None)))
    zips.sort(key=lambda zp: zp[0])  # stable: a ZIP code's places keep the data's order
    cities = {sk: tuple(counts.most_common()) for sk, counts in city_counties.items() if sk[1]}
    return _Tables(zips, counties, cities, len(records), unresolved)


def _format(tables: _Tables, source: str) -> str:
    """The file's text; refuses a name that would break its lines."""
    for text in (
        *(f for _, p in tables.zips for f in (p.county, p.city or "")),
        *(name for name, _ in tables.counties.values()),
    ):
        if "\t" in text or "\n" in text or "\r" in text:
            raise PlacesError(f"a place name with a tab or line break: {text!r}")
    out = [
        FORMAT_LINE,
        f"# Made by `outreach-bot import-places` from {source}: do not edit by hand.",
        "# Tab-separated; the sections are described in the README (Where I live).",
        "[zip]",
        *(f"{z}\t{p.state}\t{p.county}\t{p.city or ''}" for z, p in tables.zips),
        "[county]",
        *(
            f"{state}\t{key}\t{name}\t{n}"
            for (state, key), (name, n) in sorted(tables.counties.items())
        ),
        "[city]",
        *(
            f"{state}\t{key}\t" + "\t".join(f"{county}:{n}" for county, n in counties)
            for (state, key), counties in sorted(tables.cities.items())
        ),
    ]
    return "\n".join(out) + "\n"


def _reads_back(text: str, tables: _Tables) -> bool:
    """Whether ``text`` read as a places file holds exactly ``tables``."""
    data = _read_text(PLACES_FILE, text)
    zips = [(text[s : s + 5], _zip_place(PLACES_FILE, text, s)) for s in data.starts]
    if zips != tables.zips:
        return False
    for state in STATE_NAMES:
        index = _parse_state(PLACES_FILE, data, state)
        counties = {k: v for (s, k), v in tables.counties.items() if s == state}
        cities = {k: v for (s, k), v in tables.cities.items() if s == state}
        if {
            k: (index.counties[k], index.county_zips[k]) for k in index.counties
        } != counties or index.cities != cities:
            return False
    return True


def zipcodes_records() -> tuple[list[dict[str, Any]], str]:
    """Every ZIP record of the ``zipcodes`` package, and its name and version.

    Raises :class:`PlacesError` when the package is not installed (it is only needed here:
    ``pip install -e '.[import]'``).
    """
    try:
        import zipcodes
    except ImportError as exc:
        raise PlacesError(
            "the zipcodes package is not installed; install it with "
            "`pip install -e '.[import]'` (only import-places needs it)"
        ) from exc
    every = cast(Callable[[], list[dict[str, Any]]], zipcodes.filter_by)
    return every(), f"zipcodes {zipcodes.__version__}"


def import_places(
    out: Path, records: list[dict[str, Any]] | None = None, source: str = ""
) -> ImportedPlaces:
    """Write the places file ``out`` from ``records`` (default: the ``zipcodes`` package).

    The file is replaced in one step; on any error the old one is left as it was.
    """
    if records is None:
        records, source = zipcodes_records()
    tables = _build_tables(records)
    text = _format(tables, source or "ZIP records")
    if not _reads_back(text, tables):  # what is written must load as it is meant
        raise PlacesError("the written places would not read back the same", out.name)
    try:
        write_atomically({out: text})
    except OSError as exc:
        raise PlacesError(f"{out}: cannot write: {exc}") from exc
    return ImportedPlaces(
        source=source,
        records=tables.records,
        zip_codes=len({z for z, _ in tables.zips}),
        counties=len(tables.counties),
        cities=len(tables.cities),
        unresolved=tables.unresolved,
    )
