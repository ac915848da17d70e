"""The two files the Congress data ships as, and reading them lazily.

``content/congress.yaml`` holds the members: a reviewer can read it and a re-import's diff
shows who changed. ``content/congress-zips.txt`` holds the ZIP code table, one line per ZIP
code, sorted::

    33602 FL-14
    77002 TX-7 TX-18 TX-29

Why a text file and not YAML or SQLite: the 33,774 lines take 0.4 MB, ``grep 77002``
answers from the shell, and a re-import's diff shows exactly the ZIP codes that moved. They
are read line by line into a :class:`~bot.congress.model.ZipTable` (two arrays and the 1,600
distinct lists of districts: 0.7 MB in all) in 30-100 ms with a peak of 3 MB. The same
table as YAML took twenty times as long with PyYAML's C loader (2.3 s against 0.1 s, on the
same machine at the same time) with a peak of 56 MB, and a dict of it would hold about 3 MB.
A read-only SQLite file would need no reading at all, but it is binary in the repository (no
review, no diff) and needs a connection per thread.

Both files are written by :func:`write_congress` in one step (see
:func:`bot.datafiles.write_atomically`) and carry the same ``as_of`` and ``congress``, which
:func:`load_congress` checks. :class:`CongressFiles` is how the bot holds them: it reads only
the members file's first lines when the content is loaded (the date and the Congress, for
freshness warnings) and the rest on first use.

This module imports neither ``telegram`` nor the content package.
"""

from __future__ import annotations

import re
import threading
from array import array
from datetime import date
from pathlib import Path
from typing import Any, Final

import yaml

from bot.congress.model import (
    CHAMBERS,
    DELEGATE_STATES,
    ROLES,
    Chamber,
    CongressData,
    District,
    Member,
    Office,
    Role,
    ZipTable,
    congress_end,
    congress_number,
    ordinal,
)
from bot.datafiles import (
    HTTPS_URL_RE,
    KeyPath,
    check_keys,
    iso_date,
    load_yaml,
    problem_list,
    problems_message,
    read_text,
    write_atomically,
    yaml_error_message,
)
from bot.placenames import STATE_NAMES

__all__ = [
    "MEMBERS_FILE",
    "ZIPS_FILE",
    "CongressFileError",
    "CongressFiles",
    "dump_members",
    "dump_zips",
    "load_congress",
    "parse_members",
    "parse_zips",
    "write_congress",
]

MEMBERS_FILE: Final = "congress.yaml"
ZIPS_FILE: Final = "congress-zips.txt"

PHONE_RE: Final = re.compile(r"^\d{3}-\d{3}-\d{4}$")
BIOGUIDE_RE: Final = re.compile(r"^[A-Z]\d{6}$")
HEADER_LINE_RE: Final = re.compile(r"^([a-z_]+): *(.*)$")


class CongressFileError(Exception):
    """A Congress data file cannot be used; the message says where and why."""


# -- the members file --------------------------------------------------------------------------

MEMBERS_HEADER = """\
# Members of Congress, imported with
#   outreach-bot import-congress LEGISLATORS.yaml OFFICES.yaml ZIPS.csv [--as-of YYYY-MM-DD]
# (bot/congress/importer.py). Do not edit by hand: re-import the dataset's newer files.
#
# as_of       the date of the members' data (YYYY-MM-DD); the bot shows it with every answer
# congress    which Congress they are members of (119: January 3, 2025 to January 3, 2027)
# source      where the members and their offices come from
# members     one entry per member, by state, senators first, then House districts:
#   id            Bioguide id (stable across imports)
#   name          the member's official name
#   chamber       senate | house
#   role          senator | representative | delegate (DC, Guam, U.S. Virgin Islands,
#                 American Samoa, Northern Mariana Islands) | resident_commissioner (Puerto Rico)
#   state         USPS code
#   district      House district; 0 = at-large (and every delegate); null for senators
#   term_end      the day the member's current term ends
#   phone         Washington office, or null when the data has none
#   website       https address, or null
#   contact_form  the member's web form for writing to them, or null
#   offices       district offices: city and phone
"""

_TOP_KEYS: Final = ("as_of", "congress", "source", "members")
_MEMBER_KEYS: Final = (
    "id",
    "name",
    "chamber",
    "role",
    "state",
    "district",
    "term_end",
    "phone",
    "website",
    "contact_form",
    "offices",
)


def dump_members(data: CongressData) -> str:
    """The YAML text of the members file: :data:`MEMBERS_HEADER`, then the data."""
    body = yaml.safe_dump(
        {
            "as_of": data.as_of,
            "congress": data.congress,
            "source": data.source,
            "members": [
                {
                    "id": m.id,
                    "name": m.name,
                    "chamber": m.chamber,
                    "role": m.role,
                    "state": m.state,
                    "district": m.district,
                    "term_end": m.term_end,
                    "phone": m.phone,
                    "website": m.website,
                    "contact_form": m.contact_form,
                    "offices": [{"city": o.city, "phone": o.phone} for o in m.offices],
                }
                for m in data.members
            ],
        },
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=None,  # an office on one line: {city: Seattle, phone: ...}
        width=1000,
    )
    return MEMBERS_HEADER + "\n" + body


def parse_members(raw: str, name: str = MEMBERS_FILE) -> tuple[str, int, str, tuple[Member, ...]]:
    """(as_of, congress, source, members) of a members file; :class:`CongressFileError`
    naming the line and key of every problem."""
    data = load_yaml(raw, name, CongressFileError)
    problems: list[tuple[KeyPath, str]] = []
    parsed = _members_file(data, problems)
    if problems or parsed is None:
        raise CongressFileError(problems_message(raw, name, "members file", problems))
    return parsed


Problems = list[tuple[KeyPath, str]]
_CHAMBER_BY_ID: Final[dict[str, Chamber]] = {c: c for c in CHAMBERS}
_ROLE_BY_ID: Final[dict[str, Role]] = {r: r for r in ROLES}


def _members_file(data: Any, problems: Problems) -> tuple[str, int, str, tuple[Member, ...]] | None:
    if not isinstance(data, dict):
        problems.append(((), "expected a mapping with " + ", ".join(_TOP_KEYS)))
        return None
    for key in sorted(set(data) - set(_TOP_KEYS), key=str):
        problems.append(((str(key),), "unknown key"))
    as_of = iso_date(data.get("as_of"))
    if as_of is None:
        problems.append((("as_of",), "expected the data's date, YYYY-MM-DD"))
    congress = data.get("congress")
    if not isinstance(congress, int) or isinstance(congress, bool) or congress < 1:
        problems.append((("congress",), "expected the Congress's number, 119 for instance"))
        congress = None
    elif as_of is not None and congress_number(date.fromisoformat(as_of)) != congress:
        problems.append(
            (("congress",), f"the data's date {as_of} is not in the {ordinal(congress)} Congress")
        )
    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        problems.append((("source",), "expected a non-empty text naming the data's source"))
    items = data.get("members")
    if not isinstance(items, list) or not items:
        problems.append((("members",), "expected a non-empty list of members"))
        return None
    members = [_member(item, ("members", i), problems) for i, item in enumerate(items)]
    _check_seats(members, problems)
    if problems or as_of is None or congress is None or not isinstance(source, str):
        return None
    return as_of, congress, source.strip(), tuple(m for m in members if m is not None)


def _check_seats(members: list[Member | None], problems: Problems) -> None:
    """One member per id and per House seat, at most two senators per state."""
    ids: set[str] = set()
    seats: set[District] = set()
    senators: dict[str, int] = {}
    for i, m in enumerate(members):
        if m is None:
            continue
        if m.id in ids:
            problems.append((("members", i, "id"), f"duplicate member {m.id}"))
        ids.add(m.id)
        if m.seat is not None:
            if m.seat in seats:
                problems.append((("members", i, "district"), f"a second member for {m.seat}"))
            seats.add(m.seat)
        else:
            senators[m.state] = senators.get(m.state, 0) + 1
            if senators[m.state] == 3:
                problems.append((("members", i, "state"), f"more than two senators for {m.state}"))


def _member(item: Any, at: KeyPath, problems: Problems) -> Member | None:
    before = len(problems)
    if not check_keys(item, at, _MEMBER_KEYS, problems):
        return None

    def text(key: str, pattern: re.Pattern[str] | None = None, what: str = "") -> str | None:
        """The key's text; None (and a problem) if it is not one; None for null."""
        value = item.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            problems.append(((*at, key), "expected a non-empty text or null"))
            return None
        if pattern is not None and not pattern.match(value.strip()):
            problems.append(((*at, key), f"{value!r} is not {what}"))
            return None
        return value.strip()

    def required(key: str, choices: tuple[str, ...] = ()) -> str | None:
        value = item.get(key)
        if not isinstance(value, str) or not value.strip():
            if key in item:
                problems.append(((*at, key), "expected a non-empty text"))
            return None
        if choices and value not in choices:
            problems.append(((*at, key), f"{value!r} is not one of {', '.join(choices)}"))
            return None
        return value.strip()

    member_id = required("id")
    if member_id is not None and not BIOGUIDE_RE.match(member_id):
        problems.append(((*at, "id"), f"{member_id!r} is not a Bioguide id (A000000)"))
    name = required("name")
    chamber = _CHAMBER_BY_ID.get(required("chamber", CHAMBERS) or "")
    role = _ROLE_BY_ID.get(required("role", ROLES) or "")
    state = required("state")
    if state is not None and state not in STATE_NAMES:
        problems.append(((*at, "state"), f"{state!r} is not a USPS state code"))
        state = None
    if state is not None and chamber is not None and role is not None:
        expected = (
            "senator" if chamber == "senate" else DELEGATE_STATES.get(state, "representative")
        )
        if chamber == "senate" and state in DELEGATE_STATES:
            problems.append(((*at, "chamber"), f"{state} has no senators"))
        elif role != expected:
            problems.append(((*at, "role"), f"a {chamber} member of {state} is a {expected}"))
    district = item.get("district")
    if chamber == "senate" and district is not None:
        problems.append(((*at, "district"), "a senator has no district: write null"))
    elif (
        chamber == "house"
        and "district" in item
        and (not isinstance(district, int) or isinstance(district, bool) or not 0 <= district < 100)
    ):
        problems.append(((*at, "district"), "expected the House district, 0 for at-large"))
    elif chamber == "house" and state in DELEGATE_STATES and district != 0:
        problems.append(((*at, "district"), f"{state}'s only seat is district 0"))
    term_end = iso_date(item.get("term_end"))
    if term_end is None and "term_end" in item:
        problems.append(((*at, "term_end"), "expected the day the term ends, YYYY-MM-DD"))
    phone = text("phone", PHONE_RE, "a phone number written 202-224-3121")
    website = text("website", HTTPS_URL_RE, "an https address")
    contact_form = text("contact_form", HTTPS_URL_RE, "an https address")
    offices = _offices(item["offices"], (*at, "offices"), problems) if "offices" in item else ()
    if (
        len(problems) > before
        or member_id is None
        or name is None
        or chamber is None
        or role is None
        or state is None
        or term_end is None
        or offices is None
    ):
        return None
    return Member(
        id=member_id,
        name=name,
        chamber=chamber,
        role=role,
        state=state,
        district=district,
        term_end=term_end,
        phone=phone,
        website=website,
        contact_form=contact_form,
        offices=offices,
    )


def _offices(value: Any, at: KeyPath, problems: Problems) -> tuple[Office, ...] | None:
    if not isinstance(value, list):
        problems.append((at, "expected a list of offices ([] for none)"))
        return None
    out: list[Office] = []
    for i, office in enumerate(value):
        city = office.get("city") if isinstance(office, dict) else None
        phone = office.get("phone") if isinstance(office, dict) else None
        if not isinstance(office, dict) or set(office) != {"city", "phone"}:
            problems.append(((*at, i), "expected an office: {city: ..., phone: ...}"))
        elif not isinstance(city, str) or not city.strip():
            problems.append(((*at, i, "city"), "expected the office's city"))
        elif not isinstance(phone, str) or not PHONE_RE.match(phone):
            problems.append(((*at, i, "phone"), f"{phone!r} is not a phone number"))
        else:
            out.append(Office(city=city.strip(), phone=phone))
    return tuple(out)


# -- the ZIP code file -------------------------------------------------------------------------

ZIPS_HEADER = """\
# ZIP codes -> House districts, imported with `outreach-bot import-congress` together with
# congress.yaml (bot/congress/importer.py). Do not edit by hand.
#
# After the header (as_of and congress as in congress.yaml, and the table's source), one line
# per ZIP code (a Census ZIP Code Tabulation Area), in ZIP order: the ZIP code, then each
# district it lies in as STATE-DISTRICT (0 = at-large, and DC's and the territories' seat).
# A ZIP code in several districts lists them all: the lookup says so rather than pick one.
"""


def dump_zips(data: CongressData) -> str:
    """The text of the ZIP code file."""
    lines = [
        ZIPS_HEADER,
        f"as_of: {data.as_of}",
        f"congress: {data.congress}",
        f"source: {data.zip_source}",
    ]
    lines += [f"{z} {' '.join(map(str, districts))}" for z, districts in data.zips.items()]
    return "\n".join(lines) + "\n"


def parse_zips(raw: str, name: str = ZIPS_FILE) -> tuple[dict[str, str], ZipTable]:
    """(header, table) of a ZIP code file; :class:`CongressFileError` naming every bad line.

    Read line by line into the table's arrays: each distinct list of districts is parsed
    once (there are a few thousand for 34,000 ZIP codes).
    """
    header: dict[str, str] = {}
    problems: list[str] = []
    zips, groups = array("I"), array("I")
    combos: dict[str, int] = {}  # the districts as written -> index in parsed
    parsed: list[tuple[District, ...]] = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line or line[0] == "#" or line.isspace():
            continue
        zip5, _, written = line.rstrip().partition(" ")
        if not zips and zip5.endswith(":") and (m := HEADER_LINE_RE.match(line)):
            if m[1] in header:
                problems.append(f"{name}:{number}: {m[1]} given twice")
            header[m[1]] = m[2].strip()
            continue
        group = combos.get(written)
        if group is None:
            districts = _districts(written)
            if districts is None:
                problems.append(f"{name}:{number}: expected a ZIP code and its districts: {line!r}")
                continue
            group = combos[written] = len(parsed)
            parsed.append(districts)
        if len(zip5) != 5 or not zip5.isascii() or not zip5.isdigit():
            problems.append(f"{name}:{number}: {zip5!r} is not a ZIP code")
            continue
        value = int(zip5)
        if zips and value <= zips[-1]:
            problems.append(f"{name}:{number}: ZIP code {zip5} is out of order or listed twice")
            continue
        zips.append(value)
        groups.append(group)
    for key in ("as_of", "congress", "source"):
        if not header.get(key):
            problems.append(f"{name}: the header has no {key}")
    if not zips:
        problems.append(f"{name}: no ZIP codes")
    if problems:
        raise CongressFileError(problem_list(name, "ZIP code file", problems))
    return header, ZipTable(zips, groups, tuple(parsed))


def _districts(written: str) -> tuple[District, ...] | None:
    """ "TX-7 TX-18" -> the districts, sorted; None if that is not what is written."""
    out: list[District] = []
    for token in written.split(" "):
        state, dash, number = token.partition("-")
        if (
            not dash
            or state not in STATE_NAMES
            or not number.isascii()
            or not number.isdigit()
            or len(number) > 2
        ):
            return None
        out.append(District(state, int(number)))
    return tuple(sorted(set(out))) if out else None


# -- both ----------------------------------------------------------------------------------------


def write_congress(directory: Path, data: CongressData) -> None:
    """Write both files into ``directory``, replacing them only once both are written.

    Raises :class:`OSError`. What is written is read back first and must equal ``data``.
    """
    members, zips = dump_members(data), dump_zips(data)
    if _from_texts(members, zips) != data:
        raise CongressFileError("the written Congress data would not read back the same")
    write_atomically({directory / MEMBERS_FILE: members, directory / ZIPS_FILE: zips})


def _read(path: Path) -> str:
    return read_text(path, CongressFileError, _MISSING, path.name)


_MISSING: Final = "file is missing: create it with `outreach-bot import-congress`"


def load_congress(directory: Path) -> CongressData:
    """Read and check both files of ``directory``."""
    return _from_texts(_read(directory / MEMBERS_FILE), _read(directory / ZIPS_FILE))


def _from_texts(members_raw: str, zips_raw: str) -> CongressData:
    as_of, congress, source, members = parse_members(members_raw)
    header, zips = parse_zips(zips_raw)
    if header["as_of"] != as_of or header["congress"] != str(congress):
        raise CongressFileError(
            f"{ZIPS_FILE} (as_of {header['as_of']}, congress {header['congress']}) was not "
            f"imported with {MEMBERS_FILE} (as_of {as_of}, congress {congress}): import both "
            "again with `outreach-bot import-congress`"
        )
    return CongressData(
        as_of=as_of,
        congress=congress,
        source=source,
        zip_source=header["source"],
        members=members,
        zips=zips,
    )


# -- held by the content, read on first use ----------------------------------------------------


def _top_scalars(path: Path, wanted: tuple[str, ...]) -> dict[str, str]:
    """The plain values of some top-level keys of a YAML file, read from its events only
    as far as needed (the importer writes them first), without building the rest."""
    raw = _read(path)
    found: dict[str, str] = {}
    depth, key = 0, None
    try:
        for event in yaml.parse(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if isinstance(event, yaml.CollectionStartEvent):
                if depth == 0 and not isinstance(event, yaml.MappingStartEvent):
                    break  # not a mapping: nothing found, which the caller reports
                depth += 1
                if depth == 2:
                    key = None  # a collection value: nothing to keep
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif isinstance(event, yaml.ScalarEvent) and depth == 1:
                if key is None:
                    key = event.value
                else:
                    if key in wanted:
                        found[key] = event.value
                    key = None
                    if len(found) == len(wanted):
                        break
    except yaml.YAMLError as exc:
        raise CongressFileError(yaml_error_message(exc, path.name)) from exc
    return found


class CongressFiles:
    """The Congress data of a content directory: dated when the content is loaded, read in
    full on first use (:meth:`load`), once, whichever thread asks first.

    Creating one reads only the members file's ``as_of``, ``congress`` and ``source``, so that
    loading the content stays fast and small; a file broken further down is found by
    ``outreach-bot check-content`` (which calls :meth:`load`) or at the first lookup, which
    raises :class:`CongressFileError` then and every time after.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        header = _top_scalars(directory / MEMBERS_FILE, ("as_of", "congress", "source"))
        as_of = iso_date(header.get("as_of"))
        congress = header.get("congress", "")
        if as_of is None or not congress.isdigit() or not header.get("source"):
            raise CongressFileError(
                f"{MEMBERS_FILE}: expected as_of (YYYY-MM-DD), congress and source at the top "
                "of the file, as `outreach-bot import-congress` writes them"
            )
        self.as_of: str = as_of
        self.congress = int(congress)
        self.source: str = header["source"]
        self._lock = threading.Lock()
        self._data: CongressData | None = None
        self._error: CongressFileError | None = None

    @property
    def loaded(self) -> bool:
        return self._data is not None

    def outdated(self, today: date) -> bool:
        """Whether a new Congress has taken office since the data's date (without reading
        the rest of the data)."""
        return today >= congress_end(self.congress)

    def load(self) -> CongressData:
        """The members and the ZIP table (read at the first call, about 0.1 s)."""
        data = self._data
        if data is not None:
            return data
        with self._lock:
            if self._data is None and self._error is None:
                try:
                    self._data = load_congress(self.directory)
                except CongressFileError as exc:
                    self._error = exc
            if self._error is not None:
                raise self._error
            assert self._data is not None
            return self._data
