"""Import the members of Congress and the ZIP code table from their public datasets.

:func:`import_congress` reads three files and writes ``content/congress.yaml`` and
``content/congress-zips.txt`` (:mod:`bot.congress.files`):

* ``legislators-current.yaml`` of the public-domain dataset unitedstates/congress-legislators:
  every current member with their terms; the last term gives the chamber, state, district
  (0 at-large), Washington phone, website and contact form;
* ``legislators-district-offices.yaml`` of the same dataset: each member's district offices
  (the city and phone are kept; the street address is not needed to call);
* a CSV of ZIP Code Tabulation Areas and districts (``state_fips,state_abbr,zcta,cd``, as
  OpenSourceActivismTech/us-zipcodes-congress publishes it; a ZIP code may have several rows).

The data's date is ``--as-of``, else the date in the members file's name; it says which
Congress the members belong to, and the House terms in the file must end when that Congress
does (a wrong date is refused). What cannot be used is left out and reported, never silently:
a member with an unknown state or without a district, an office without a phone, a ZIP row
with no district or an unknown state, a seat nobody holds. Whatever makes the files unusable
(not YAML or CSV, no member, no ZIP code, the ZIP table of another Congress) raises
:class:`~bot.congress.files.CongressFileError`, and nothing is written.

This module imports neither ``telegram`` nor the content package.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Final

from bot.congress.files import PHONE_RE, CongressFileError, write_congress
from bot.congress.model import (
    DELEGATE_STATES,
    Chamber,
    CongressData,
    District,
    Member,
    Office,
    ZipTable,
    congress_end,
    congress_number,
    ordinal,
)
from bot.datafiles import HTTPS_URL_RE, as_of_from_filename, load_yaml, read_text
from bot.placenames import STATE_NAMES

__all__ = ["ImportReport", "Notes", "import_congress", "read_congress_sources", "summary"]

MEMBERS_DATASET: Final = "https://github.com/unitedstates/congress-legislators"
ZIPS_DATASET: Final = "https://github.com/OpenSourceActivismTech/us-zipcodes-congress"

# Vacant seats happen (a death, a resignation); more than this many districts of the ZIP table
# without a member means the table and the members are not of the same Congress.
MAX_VACANT = 10
MAX_DETAILS = 12  # examples printed per kind of note; the rest are counted

# The CSV's columns, by the names it may give them.
_ZIP_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "state": ("state_abbr", "state", "stab", "state_code"),
    "zip": ("zcta", "zcta5", "zip", "zipcode", "zip_code"),
    "district": ("cd", "district", "congressional_district"),
}
_CONGRESS_IN_NAME: Final = re.compile(r"(\d{2,3})(?:st|nd|rd|th)[-_ ]?congress", re.IGNORECASE)


class Notes(dict[str, list[str]]):
    """What an import left out or changed: kind -> one line each."""

    def note(self, kind: str, detail: str) -> None:
        self.setdefault(kind, []).append(detail)


@dataclass(frozen=True)
class ImportReport:
    """What an import made, and what it left out or changed."""

    data: CongressData
    notes: Notes = field(default_factory=Notes)


# Kinds of notes, in the order they are printed.
LEFT_OUT_MEMBER = "members left out"
NO_PHONE = "members without a Washington phone (kept: their district offices' phones are shown)"
NO_LINK = "members with no website or contact form (kept)"
BAD_PHONE = "phone numbers not understood (left out)"
URL_REPAIRED = "web addresses repaired"
BAD_URL = "web addresses not usable (left out)"
OFFICE_LEFT_OUT = "district offices left out"
NOT_A_MEMBER = "district offices of people who are not current members (left out)"
EXTRA_MEMBER = "second members for one seat (the later term is kept)"
SENATE_GAP = "states without two senators"
ZIP_LEFT_OUT = "ZIP rows left out"
ZIP_PADDED = "ZIP codes whose leading zeros were restored"
VACANT = "districts with no current member (vacant: the lookup says so)"
NO_ZIPS = "seats with no ZIP code in the table (found by the ZIP's state instead)"
NOTE_ORDER: Final = (
    LEFT_OUT_MEMBER,
    NO_PHONE,
    NO_LINK,
    BAD_PHONE,
    URL_REPAIRED,
    BAD_URL,
    OFFICE_LEFT_OUT,
    NOT_A_MEMBER,
    EXTRA_MEMBER,
    SENATE_GAP,
    ZIP_LEFT_OUT,
    ZIP_PADDED,
    VACANT,
    NO_ZIPS,
)


def import_congress(
    legislators: Path, offices: Path, zips: Path, out_dir: Path, as_of: date | None = None
) -> ImportReport:
    """Read the three files and write the Congress data into ``out_dir``.

    Both files are replaced together, only after everything was read and checked: on any
    error the old files are left exactly as they were.
    """
    report = read_congress_sources(legislators, offices, zips, as_of)
    try:
        write_congress(out_dir, report.data)
    except OSError as exc:
        raise CongressFileError(f"{out_dir}: cannot write: {exc}") from exc
    return report


def read_congress_sources(
    legislators: Path, offices: Path, zips: Path, as_of: date | None = None
) -> ImportReport:
    """The Congress data in the three files, and what was left out (nothing is written)."""
    when = _data_date(legislators, offices, as_of)
    congress = congress_number(when)
    notes = Notes()
    people = _load_yaml_list(legislators)
    _check_term_ends(people, congress, legislators.name)
    terms: dict[str, tuple[Member, str]] = {}  # id -> (member, term start)
    for i, person in enumerate(people):
        found = _member(person, i, when, notes)
        if found is not None:
            terms[found[0].id] = found
    in_name = _CONGRESS_IN_NAME.search(zips.name)
    if in_name and int(in_name[1]) != congress:
        raise CongressFileError(
            f"{zips.name}: a ZIP table of the {ordinal(int(in_name[1]))} Congress, but the "
            f"members as of {when} are of the {ordinal(congress)}"
        )
    members = _one_per_seat(list(terms.values()), notes)
    members = _with_offices(members, _load_yaml_list(offices), notes)
    table = _read_zip_table(zips, notes)
    if not members:
        raise CongressFileError(f"{legislators.name}: no member could be used")
    _check_seats(members, table, notes)
    for m in members:
        if m.phone is None:
            notes.note(NO_PHONE, _who(m))
        if m.write_url is None:
            notes.note(NO_LINK, _who(m))
    data = CongressData(
        as_of=when.isoformat(),
        congress=congress,
        source=f"unitedstates/congress-legislators ({legislators.name}, {offices.name}), "
        + MEMBERS_DATASET,
        zip_source=f"ZIP Code Tabulation Areas by district ({zips.name}), " + ZIPS_DATASET,
        members=tuple(members),
        zips=table,
    )
    return ImportReport(data=data, notes=notes)


def _data_date(legislators: Path, offices: Path, as_of: date | None) -> date:
    if as_of is not None:
        return as_of
    when = as_of_from_filename(legislators)
    if when is None:
        raise CongressFileError(
            f"{legislators.name}: no date (YYYY-MM-DD) in the file name: give --as-of "
            "YYYY-MM-DD, the date the dataset's files were taken"
        )
    other = as_of_from_filename(offices)
    if other is not None and other != when:
        raise CongressFileError(
            f"{legislators.name} is of {when} but {offices.name} of {other}: use files taken "
            "the same day, or give --as-of YYYY-MM-DD"
        )
    return when


def _who(m: Member) -> str:
    seat = f"{m.state} senator" if m.seat is None else str(m.seat)
    return f"{m.name} ({seat})"


# -- the members -------------------------------------------------------------------------------


def _load_yaml_list(path: Path) -> list[Any]:
    data = load_yaml(read_text(path, CongressFileError), path.name, CongressFileError)
    if not isinstance(data, list) or not data:
        raise CongressFileError(
            f"{path.name}: expected a list of people, as unitedstates/congress-legislators "
            "writes it"
        )
    return data


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if isinstance(value, str | int) else ""


def _bioguide(person: dict[str, Any]) -> str:
    ids = person.get("id")
    return _text(ids.get("bioguide")) if isinstance(ids, dict) else ""


def _name(person: dict[str, Any]) -> str:
    name = person.get("name")
    if not isinstance(name, dict):
        return ""
    full = _text(name.get("official_full"))
    if full:
        return full
    parts = (_text(name.get(k)) for k in ("first", "last", "suffix"))
    return " ".join(p for p in parts if p)


def _member(person: Any, index: int, when: date, report: Notes) -> tuple[Member, str] | None:
    """The member and their current term's start; None (and a note) if unusable."""
    if not isinstance(person, dict):
        report.note(LEFT_OUT_MEMBER, f"entry {index + 1}: not a mapping")
        return None
    member_id, name = _bioguide(person), _name(person)
    who = f"{name or 'entry ' + str(index + 1)} ({member_id or 'no id'})"
    term = _last_term(person)
    problem = None
    if not member_id or not name:
        problem = "no Bioguide id or no name"
    elif not isinstance(term, dict):
        problem = "no terms"
    if problem or not isinstance(term, dict):
        report.note(LEFT_OUT_MEMBER, f"{who}: {problem}")
        return None
    kind, state = _text(term.get("type")), _text(term.get("state")).upper()
    district = term.get("district")
    end, start = _date(term.get("end")), _date(term.get("start"))
    if kind not in ("sen", "rep"):
        problem = f"unknown term type {kind!r}"
    elif state not in STATE_NAMES:
        problem = f"unknown state {state!r}"
    elif kind == "sen" and state in DELEGATE_STATES:
        problem = f"a senator of {state}, which has none"
    elif kind == "rep" and (
        not isinstance(district, int) or isinstance(district, bool) or not 0 <= district < 100
    ):
        problem = f"no House district ({district!r})"
    elif end is None:
        problem = "the current term has no end date"
    elif end < when:
        problem = f"the last term ended on {end}, before the data's date"
    if problem or end is None:
        report.note(LEFT_OUT_MEMBER, f"{who}: {problem}")
        return None
    chamber: Chamber = "senate" if kind == "sen" else "house"
    seat = f"{state} senator" if kind == "sen" else f"{state}-{district}"
    member = Member(
        id=member_id,
        name=name,
        chamber=chamber,
        role="senator" if kind == "sen" else DELEGATE_STATES.get(state, "representative"),
        state=state,
        district=district if kind == "rep" else None,
        term_end=end.isoformat(),
        phone=_phone(term.get("phone"), f"{name} ({seat}), Washington", report),
        website=_url(term.get("url"), f"{name} ({seat}), website", report),
        contact_form=_url(term.get("contact_form"), f"{name} ({seat}), contact form", report),
    )
    return member, (start or end).isoformat()


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()) if value is not None else None
    except ValueError:
        return None


def _phone(value: Any, where: str, report: Notes) -> str | None:
    """A US phone number written 202-224-3121; None (and a note if one was given)."""
    if value is None or not _text(value):
        return None
    digits = re.sub(r"\D", "", str(value))
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    phone = f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
    if len(digits) != 10 or not PHONE_RE.match(phone):
        report.note(BAD_PHONE, f"{where}: {value!r}")
        return None
    return phone


def _url(value: Any, where: str, report: Notes) -> str | None:
    """An https address; http made https (Congress's sites all serve it); a stray prefix
    before "http" ("hhttps://...") removed. None (and a note) for anything else."""
    text = _text(value)
    if not text:
        return None
    url = text
    m = re.search(r"https?://", url, re.IGNORECASE)
    if m and m.start() > 0 and url[: m.start()].isalpha():
        url = url[m.start() :]
    if url[:7].lower() == "http://":
        url = "https://" + url[7:]
    elif url[:8].lower() == "https://":
        url = "https://" + url[8:]
    if not HTTPS_URL_RE.match(url):
        report.note(BAD_URL, f"{where}: {text!r}")
        return None
    if url != text and not (text.startswith("http://") and url == "https://" + text[7:]):
        report.note(URL_REPAIRED, f"{where}: {text!r} -> {url!r}")
    return url


def _last_term(person: Any) -> dict[str, Any] | None:
    terms = person.get("terms") if isinstance(person, dict) else None
    term = terms[-1] if isinstance(terms, list) and terms else None
    return term if isinstance(term, dict) else None


def _check_term_ends(people: list[Any], congress: int, name: str) -> None:
    """Most House terms end with the Congress the data's date falls in, or the date is wrong."""
    terms = [_last_term(p) for p in people]
    ends = Counter(str(t.get("end")) for t in terms if t is not None and t.get("type") == "rep")
    if not ends:
        return
    usual, _ = ends.most_common(1)[0]
    expected = congress_end(congress).isoformat()
    if usual != expected:
        raise CongressFileError(
            f"{name}: most House terms end on {usual}, but the data's date is in the "
            f"{ordinal(congress)} Congress, which ends on {expected}: is the date "
            "(--as-of or the file name) right?"
        )


def _one_per_seat(found: list[tuple[Member, str]], report: Notes) -> list[Member]:
    """One member per House seat and at most two senators per state: the latest terms."""
    by_seat: dict[str, list[tuple[Member, str]]] = {}
    for member, start in found:
        key = str(member.seat) if member.seat else f"{member.state} senate"
        by_seat.setdefault(key, []).append((member, start))
    kept: list[Member] = []
    for key, holders in by_seat.items():
        holders.sort(key=lambda pair: pair[1], reverse=True)
        room = 2 if key.endswith(" senate") else 1
        kept += [m for m, _ in holders[:room]]
        for m, _ in holders[room:]:
            report.note(EXTRA_MEMBER, f"{_who(m)}: {key} is held by a later term")
    return kept


def _with_offices(members: list[Member], entries: list[Any], report: Notes) -> list[Member]:
    by_id = {m.id: m for m in members}
    offices: dict[str, list[Office]] = {}
    strangers: list[str] = []
    for entry in entries:
        if not isinstance(entry, dict):
            report.note(OFFICE_LEFT_OUT, "an entry that is not a mapping")
            continue
        member_id = _bioguide(entry)
        member = by_id.get(member_id)
        if member is None:
            strangers.append(member_id or "(no id)")
            continue
        found = offices.setdefault(member_id, [])
        listed = entry.get("offices")
        for office in listed if isinstance(listed, list) else []:
            if not isinstance(office, dict):
                continue
            city = _text(office.get("city"))
            where = f"{_who(member)}, office in {city or '(no city)'}"
            phone = _phone(office.get("phone"), where, report)
            if not city:
                report.note(OFFICE_LEFT_OUT, f"{where}: no city")
            elif phone is None:
                if not _text(office.get("phone")):  # a phone not understood is noted already
                    report.note(OFFICE_LEFT_OUT, f"{where}: no phone")
            elif Office(city, phone) not in found:
                found.append(Office(city, phone))
    if strangers:
        report.note(NOT_A_MEMBER, ", ".join(sorted(strangers)))
    return [replace(m, offices=tuple(offices.get(m.id, ()))) for m in members]


# -- the ZIP code table ------------------------------------------------------------------------


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            try:
                for row in reader:
                    yield reader.line_num, row
            except csv.Error as exc:
                raise CongressFileError(
                    f"{path.name}:{reader.line_num}: not a CSV file: {exc}"
                ) from exc
    except FileNotFoundError as exc:
        raise CongressFileError(f"{path}: no such file") from exc
    except UnicodeDecodeError as exc:
        raise CongressFileError(f"{path.name}: not a UTF-8 text file ({exc.reason})") from exc
    except OSError as exc:
        raise CongressFileError(f"{path}: cannot read the file: {exc}") from exc


def _read_zip_table(path: Path, report: Notes) -> ZipTable:
    rows = _csv_rows(path)
    header: list[str] = []
    for _, first in rows:
        if any(cell.strip() for cell in first):
            header = [cell.strip().lower() for cell in first]
            break
    columns: dict[str, int] = {}
    for wanted, names in _ZIP_COLUMNS.items():
        index = next((header.index(n) for n in names if n in header), None)
        if index is not None:
            columns[wanted] = index
    if len(columns) < len(_ZIP_COLUMNS):
        missing = [names[0] for wanted, names in _ZIP_COLUMNS.items() if wanted not in columns]
        raise CongressFileError(
            f"{path.name}: not a table of ZIP codes and districts: no column "
            f"{', '.join(missing)}; columns found: {', '.join(map(repr, header)) or 'none'}"
        )
    districts: dict[str, set[District]] = {}
    padded = 0
    for line, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        state, zip_code, district = (
            row[columns[k]].strip() if columns[k] < len(row) else ""
            for k in ("state", "zip", "district")
        )
        state = state.upper()
        problem = None
        if state not in STATE_NAMES:
            problem = f"unknown state {state!r}"
        elif not zip_code.isascii() or not zip_code.isdigit() or not 3 <= len(zip_code) <= 5:
            problem = f"{zip_code!r} is not a ZIP code"
        elif not district.isascii() or not district.isdigit() or int(district) >= 100:
            problem = f"ZIP code {zip_code} has no district ({district!r})"
        if problem:
            report.note(ZIP_LEFT_OUT, f"{path.name}:{line}: {problem}")
            continue
        if len(zip_code) < 5:
            padded += 1
            zip_code = zip_code.zfill(5)
        districts.setdefault(zip_code, set()).add(District(state, int(district)))
    if padded:
        report.note(ZIP_PADDED, f"{padded:,} ZIP codes written with fewer than 5 digits")
    if not districts:
        raise CongressFileError(f"{path.name}: no usable ZIP code")
    return ZipTable.from_rows(districts.items())


def _check_seats(members: list[Member], table: ZipTable, report: Notes) -> None:
    held = {m.seat for m in members if m.seat is not None}
    in_table = table.all_districts()
    vacant = sorted(in_table - held)
    if len(vacant) > MAX_VACANT:
        raise CongressFileError(
            f"{len(vacant)} districts of the ZIP table have no member "
            f"({', '.join(map(str, vacant[:MAX_VACANT]))}, ...): are the ZIP table and the "
            "members of the same Congress?"
        )
    for d in vacant:
        report.note(VACANT, str(d))
    for d in sorted(held - in_table):
        report.note(NO_ZIPS, str(d))
    senators = Counter(m.state for m in members if m.chamber == "senate")
    for state in STATE_NAMES:
        if state not in DELEGATE_STATES and senators[state] != 2:
            report.note(SENATE_GAP, f"{state}: {senators[state]} senator(s)")


# -- summary -----------------------------------------------------------------------------------


def summary(report: ImportReport) -> str:
    """A printable account of an import: counts, then every kind of note with examples."""
    data = report.data
    roles = Counter(m.role for m in data.members)
    multi = sum(len(d) > 1 for _, d in data.zips.items())
    two_states = sum(len({x.state for x in d}) > 1 for _, d in data.zips.items())
    offices = sum(len(m.offices) for m in data.members)
    lines = [
        f"Members of the {ordinal(data.congress)} Congress as of {data.as_of}: "
        f"{roles['senator']} senators, {roles['representative']} representatives, "
        f"{roles['delegate']} delegates, {roles['resident_commissioner']} resident "
        f"commissioner(s); {offices:,} district offices",
        f"ZIP codes: {len(data.zips):,} ({multi:,} in more than one district, {two_states:,} "
        "in two states)",
        f"source: {data.source}",
        f"ZIP codes: {data.zip_source}",
    ]
    for kind in NOTE_ORDER:
        details = report.notes.get(kind, [])
        if not details:
            continue
        lines.append(f"{kind}: {len(details):,}")
        lines += [f"  {d}" for d in details[:MAX_DETAILS]]
        if len(details) > MAX_DETAILS:
            lines.append(f"  ... and {len(details) - MAX_DETAILS:,} more")
    return "\n".join(lines)
