"""ICE's spreadsheet of 287(g) agreements, read and tidied into ``content/agreements.yaml``.

ICE publishes the law-enforcement agencies that have signed a 287(g) agreement as a spreadsheet
(one row per agreement: ``STATE, LAW ENFORCEMENT AGENCY, TYPE, COUNTY, SUPPORT TYPE, SIGNED, MOA,
ADDENDUM``). :func:`import_agreements` reads it (:func:`read_ice_xlsx`), tidies it and writes
``content/agreements.yaml``, a plain file a reviewer can read and diff; the bot loads that file
with :func:`~bot.agreements.files.load_agreements` and answers "is there an agreement in my
county?" from the indexes of an :class:`~bot.agreements.model.AgreementList`.

The spreadsheet is untidy, and the importer says what it did about it:

* the header is found among the first rows, whatever its case and spacing; ``STATE`` may be a
  full name ("TEXAS") or a USPS code;
* blank rows are skipped; spaces are trimmed and collapsed; "Task Force Model " is a model;
* ``#N/A``, ``N/A``, ``#NA`` or nothing in ``COUNTY`` is no county (state agencies, and most
  city police departments: ICE gives no county for them); a county is "X County", "X Parish"
  (Louisiana) or "X Borough" as ICE wrote it, title-cased where ICE wrote it in capitals, with
  the few misspellings listed in :data:`COUNTY_CORRECTIONS` corrected;
* ``MOA`` is a cell reading "link" with a hyperlink, "link pending" (no link yet) or a URL;
  Outlook "safe links" are unwrapped to the ice.gov address they stand for and ``http://``
  ice.gov links made https;
* ``SIGNED`` is a date or a text ("7/72025" is July 7, 2025); an impossible date (5025-07-07,
  or after the list's own date) is dropped.

Whatever changes or drops a value is logged as a warning (logger ``bot.agreements.importer``);
whatever makes a row unusable (an unknown ``TYPE`` or ``SUPPORT TYPE``, an unknown state)
raises :class:`~bot.agreements.files.ImportProblem` naming the row, and nothing is written.

Only ``outreach-bot import-agreements`` (and the tests) import this module, and with it
openpyxl: the bot serving supporters never loads either.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit, urlunsplit

from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel

from bot.agreements.files import ImportProblem, dump_agreements, parse_agreements
from bot.agreements.model import (
    MODEL_TITLES,
    MODELS,
    Agreement,
    AgreementList,
    Kind,
    Model,
    by_agency,
)
from bot.agreements.placing import UNPLACED_REASONS, PlacesLookup, place_agencies
from bot.datafiles import as_of_from_filename, write_atomically
from bot.placenames import STATE_NAMES, county_key, place_tokens, state_code, strip_designator
from bot.places import PlacesError

__all__ = [
    "COLUMNS",
    "COUNTY_CORRECTIONS",
    "import_agreements",
    "placement_lines",
    "read_ice_xlsx",
    "summary",
]

log = logging.getLogger(__name__)

# The columns read from ICE's sheet, by the header ICE gives them (ADDENDUM is not kept).
COLUMNS: Final[dict[str, str]] = {
    "state": "STATE",
    "agency": "LAW ENFORCEMENT AGENCY",
    "kind": "TYPE",
    "county": "COUNTY",
    "model": "SUPPORT TYPE",
    "signed": "SIGNED",
    "moa": "MOA",
}
HEADER_SCAN_ROWS = 20  # the header is looked for among this many rows at the top of a sheet

_KIND_NAMES: Final[dict[str, Kind]] = {
    "county": "county",
    "municipality": "municipality",
    "municipal": "municipality",
    "city": "municipality",
    "state agency": "state",
    "state": "state",
}
_MODEL_NAMES: Final[dict[str, Model]] = {
    "task force model": "task_force",
    "task force": "task_force",
    "tfm": "task_force",
    "warrant service officer": "warrant_service",
    "warrant service officer model": "warrant_service",
    "warrant service": "warrant_service",
    "wso": "warrant_service",
    "jail enforcement model": "jail",
    "jail enforcement": "jail",
    "jail model": "jail",
    "jem": "jail",
}
# What a county is called where it is not "X County"; DC and the territories get no suffix.
_COUNTY_WORD: Final = {"LA": " Parish", "AK": " Borough", "DC": "", "PR": "", "GU": "", "VI": "",
                       "AS": "", "MP": ""}  # fmt: skip
_NO_COUNTY: Final = frozenset({"", "#n/a", "n/a", "#na", "na", "none", "-", "—", "#ref!"})

# Misspellings in ICE's list, checked against the ZIP data's county names for the state:
# (state, county_key of what ICE wrote) -> the county's name. A county ICE names that the ZIP
# data lacks and that is not listed here is kept as written (see tests/test_places.py).
COUNTY_CORRECTIONS: Final[dict[tuple[str, str], str]] = {
    ("AL", "frankin"): "Franklin County",
    ("AR", "layafette"): "Lafayette County",
    ("FL", "flagere"): "Flagler County",
    ("MI", "berrian"): "Berrien County",
    ("PA", "alleghany"): "Allegheny County",  # Alleghany County is in NC and VA
    ("SC", "mccorkmick"): "McCormick County",
    ("TX", "lampass"): "Lampasas County",
    ("VA", "hopewell"): "Hopewell city",  # an independent city; Virginia has no such county
}

# 287(g) began in 2002; a date outside these bounds is a typo in the sheet.
FIRST_SIGNED = date(2002, 1, 1)
LAST_SIGNED = date(2100, 1, 1)

ICE_PAGE = "https://www.ice.gov/identify-and-arrest/287g"


def _spaces(text: str) -> str:
    return " ".join(text.split())


_SMALL_WORDS: Final = frozenset({"of", "and", "the", "du", "de", "la", "del"})


def _title(text: str) -> str:
    """Title case for a name ICE wrote in capitals ("ST. MARY'S COUNTY" -> "St. Mary's County")."""
    words = text.lower().split()
    return " ".join(
        w if i and w in _SMALL_WORDS else w[:1].upper() + w[1:] for i, w in enumerate(words)
    )


# -- reading ICE's spreadsheet -----------------------------------------------------------------


def read_ice_xlsx(path: Path, *, not_after: date | None = None) -> list[Agreement]:
    """The agreements in ICE's spreadsheet, tidied, in the sheet's order.

    The first sheet with ICE's header among its first :data:`HEADER_SCAN_ROWS` rows is read,
    with each cell's hyperlink (a MOA cell reads "link" and links to the document; openpyxl's
    ordinary mode reads hyperlinks, its read-only mode does not). Signing dates after
    ``not_after`` (the list's own date) are dropped as typos. Raises :class:`ImportProblem`
    for a file that is not a workbook, a sheet without ICE's header, a sheet without
    agreements and a row that cannot be read.
    """
    name = path.name
    if not path.is_file():
        raise ImportProblem(f"{path}: no such file")
    try:
        workbook = load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of errors on a file it cannot read
        raise ImportProblem(
            f"{name}: not an Excel workbook (.xlsx): {exc or type(exc).__name__}"
        ) from exc
    try:
        sheet = header = None
        best: tuple[int, str, int, list[str]] | None = None  # (matches, sheet, row, names)
        for candidate in workbook.worksheets:
            rows = candidate.iter_rows(max_row=HEADER_SCAN_ROWS, values_only=True)
            found, near = _find_header(rows)
            if found is not None:
                sheet, header = candidate, found
                break
            if near is not None and (best is None or near[0] > best[0]):
                best = (near[0], candidate.title, near[1], near[2])
        if sheet is None or header is None:
            if best is None:
                raise ImportProblem(f"{name}: the workbook is empty (no sheet has any value)")
            _, title, row, names = best
            present = {_header_key(n) for n in names}
            missing = [c for c in COLUMNS.values() if _header_key(c) not in present]
            shown = ", ".join(repr(n) for n in names if n) or "none"
            raise ImportProblem(
                f"{name}: not ICE's list of participating agencies: missing column(s) "
                f"{', '.join(missing)}; columns found in sheet {title!r}, row {row}: {shown}"
            )
        row_number, columns = header
        agreements = list(_read_rows(sheet, row_number, columns, name, not_after))
    finally:
        workbook.close()
    if not agreements:
        raise ImportProblem(
            f"{name}: no agreements below the header (row {row_number}) in sheet {sheet.title!r}"
        )
    return agreements


def _header_key(value: object) -> str:
    return " ".join(str(value).split()).casefold() if value is not None else ""


def _find_header(
    rows: Iterable[tuple[Any, ...]],
) -> tuple[tuple[int, dict[str, int]] | None, tuple[int, int, list[str]] | None]:
    """The header (row number, column index per field), else the most header-like row."""
    wanted = {_header_key(h): f for f, h in COLUMNS.items()}
    near: tuple[int, int, list[str]] | None = None
    for number, row in enumerate(rows, start=1):
        names = [" ".join(str(v).split()) if v is not None else "" for v in row]
        if not any(names):
            continue
        columns: dict[str, int] = {}
        for index, cell in enumerate(names):
            f = wanted.get(cell.casefold())
            if f is not None and f not in columns:
                columns[f] = index
        if len(columns) == len(COLUMNS):
            return (number, columns), None
        if near is None or len(columns) > near[0]:
            while names and not names[-1]:
                names.pop()
            near = (len(columns), number, names)
    return None, near


def _cell(row: tuple[Any, ...], index: int) -> Any:
    return row[index] if index < len(row) else None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_rows(
    sheet: Any,
    header_row: int,
    columns: dict[str, int],
    name: str,
    not_after: date | None,
) -> Iterator[Agreement]:
    rows = sheet.iter_rows(min_row=header_row + 1)
    for number, cells in enumerate(rows, start=header_row + 1):
        values = {f: getattr(_cell(cells, i), "value", None) for f, i in columns.items()}
        if all(_blank(v) for v in values.values()):
            continue
        where = f"{name}, row {number}"
        state = _row_state(values["state"], where)
        agency = _row_text(values["agency"], COLUMNS["agency"], where)
        if agency.isupper():
            agency = _title(agency)
        kind = _row_choice(values["kind"], _KIND_NAMES, "kind", where)
        model = _row_choice(values["model"], _MODEL_NAMES, "model", where)
        hyperlink = getattr(_cell(cells, columns["moa"]), "hyperlink", None)
        yield Agreement(
            state=state,
            agency=agency,
            kind=kind,
            county=_row_county(values["county"], state, where),
            model=model,
            signed=_row_signed(values["signed"], where, not_after),
            moa_url=_row_moa(values["moa"], hyperlink.target if hyperlink else None, where),
        )


def _row_text(value: Any, column: str, where: str) -> str:
    if _blank(value):
        raise ImportProblem(f"{where}: {column} is empty")
    return _spaces(str(value))


def _row_state(value: Any, where: str) -> str:
    text = _row_text(value, COLUMNS["state"], where)
    code = state_code(text)
    if code is None:
        raise ImportProblem(f"{where}: unknown STATE {text!r} (a state's name or USPS code)")
    return code


def _row_choice(value: Any, names: dict[str, Any], field_name: str, where: str) -> Any:
    column = COLUMNS[field_name]
    text = _spaces(str(value)) if value is not None else ""
    choice = names.get(text.casefold())
    if choice is None:
        expected = (
            "County, Municipality or State Agency"
            if field_name == "kind"
            else "Task Force Model, Warrant Service Officer or Jail Enforcement Model"
        )
        raise ImportProblem(f"{where}: unknown {column} {text!r} (expected {expected})")
    return choice


def _row_county(value: Any, state: str, where: str) -> str | None:
    if value is None or (text := _spaces(str(value))).casefold() in _NO_COUNTY:
        return None
    written = text
    if text.isupper() or text.islower():
        text = _title(text)
    text = re.sub(r"\s+Co\.?$", " County", text)
    tokens, designated = strip_designator(place_tokens(text))
    if not tokens:
        log.warning("%s: COUNTY %r names no county; read as none", where, written)
        return None
    if not designated and tokens[-1] != "city":  # "Baltimore city" is no county's name
        text += _COUNTY_WORD.get(state, " County")
    elif state == "LA" and text.endswith(" County"):
        text = text.removesuffix(" County") + " Parish"  # Louisiana's counties are parishes
    corrected = COUNTY_CORRECTIONS.get((state, county_key(text)))
    if corrected is not None:
        text = corrected
    if text != written:
        log.warning("%s: COUNTY %r read as %r", where, written, text)
    return text


_US_DATE = re.compile(r"^(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]?\s*(\d{4}|\d{2})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})")


def _row_signed(value: Any, where: str, not_after: date | None) -> str | None:
    if _blank(value):
        return None
    signed: date | None = None
    if isinstance(value, datetime):
        signed = value.date()
    elif isinstance(value, date):
        signed = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if 30000 < value < 80000:  # an Excel day number left unformatted (1982-2119)
            signed = from_excel(value).date()
    else:
        signed = _parse_date_text(_spaces(str(value)))
    if signed is None:
        log.warning("%s: SIGNED %r is not a date; read as none", where, value)
        return None
    latest = min(LAST_SIGNED, not_after) if not_after else LAST_SIGNED
    if not FIRST_SIGNED <= signed <= latest:
        log.warning("%s: SIGNED %s is impossible; read as none", where, signed.isoformat())
        return None
    if not isinstance(value, datetime | date):
        log.warning("%s: SIGNED %r read as %s", where, value, signed.isoformat())
    return signed.isoformat()


def _parse_date_text(text: str) -> date | None:
    try:
        if m := _ISO_DATE.match(text):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := _US_DATE.match(text):
            year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
            return date(year, int(m[1]), int(m[2]))
        for pattern in ("%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%b %d %Y"):
            try:
                return datetime.strptime(text, pattern).date()
            except ValueError:
                continue
    except ValueError:  # 2/30/2025
        return None
    return None


def _row_moa(value: Any, link: str | None, where: str) -> str | None:
    text = _spaces(str(value)) if value is not None else ""
    folded = text.casefold()
    if "pending" in folded:
        return None
    if link is None and folded.startswith(("http://", "https://")):
        link = text
    if link is None:
        if text:
            log.warning("%s: MOA %r has no link; read as none", where, text)
        return None
    url = _tidy_url(link)
    if url is None:
        log.warning("%s: MOA link %r is not an https address; read as none", where, link)
    return url


def _tidy_url(link: str) -> str | None:
    """An https address for a MOA link: safe links unwrapped, http made https for .gov sites."""
    try:
        parts = urlsplit(link.strip())
        host = (parts.hostname or "").lower()
        if host.endswith("safelinks.protection.outlook.com"):
            wrapped = parse_qs(parts.query).get("url")
            if not wrapped:
                return None
            parts = urlsplit(wrapped[0].strip())
            host = (parts.hostname or "").lower()
    except ValueError:  # "http://[" and the like
        return None
    if parts.scheme == "http" and (host.endswith(".gov") or host == "gov"):
        parts = parts._replace(scheme="https")
    if parts.scheme != "https" or not host or "." not in host:
        return None
    return urlunsplit(parts).replace(" ", "%20")


# -- import ------------------------------------------------------------------------------------


def import_agreements(
    xlsx: Path, out: Path, as_of: date | None, places: PlacesLookup | None = None
) -> AgreementList:
    """Read ICE's spreadsheet ``xlsx`` and write the agreements to ``out`` (YAML).

    The list's date is ``as_of``, else the date in the file's name. Local agencies ICE gives no
    county for are placed from the place in their name (:mod:`bot.agreements.placing`) with
    ``places``, by default the place data beside ``out`` (``places.tsv`` of the same content
    directory); each one left unplaced is logged with the reason. The file is replaced in one
    step (a temporary file in the same directory, then :func:`os.replace`): on any error the
    old ``out`` is left exactly as it was.
    """
    when = as_of or as_of_from_filename(xlsx)
    if when is None:
        raise ImportProblem(
            f"{xlsx.name}: no date (YYYY-MM-DD) in the file name: give --as-of YYYY-MM-DD, "
            "the date ICE published the list"
        )
    agreements = read_ice_xlsx(xlsx, not_after=when)
    agreements = _placed(agreements, places or _places_beside(out))
    lst = AgreementList(
        as_of=when.isoformat(),
        source=f"ICE, 287(g) participating agencies ({xlsx.name}), {ICE_PAGE}",
        agreements=tuple(agreements),
    )
    text = dump_agreements(lst)
    if parse_agreements(text, out.name) != lst:  # what is written must load as it is meant
        raise ImportProblem(f"{out.name}: the written list would not read back the same")
    _write_atomically(out, text)
    return lst


def _places_beside(out: Path) -> PlacesLookup:
    """The place data of the content directory ``out`` is in, checked to be there."""
    from bot.places import PLACES_FILE, PlaceIndex, PlacesError

    index = PlaceIndex(out.parent / PLACES_FILE)
    try:
        index.check_format()
    except PlacesError as exc:
        raise ImportProblem(
            f"{exc}: the place data places city agencies in their county; make it with "
            "`outreach-bot import-places`"
        ) from exc
    return index


def _placed(agreements: list[Agreement], places: PlacesLookup) -> list[Agreement]:
    """``agreements`` with city agencies placed from their name; each one not placed logged."""
    try:
        placed, found = place_agencies(agreements, places)
    except PlacesError as exc:  # a broken line of the place data, met while placing
        raise ImportProblem(
            f"{exc}: make the place data again with `outreach-bot import-places`"
        ) from exc
    for (state, agency), placement in sorted(found.items()):
        if placement.unplaced is not None:
            log.warning(
                "%s %s: no county in ICE's list, and not placed: %s",
                state,
                agency,
                UNPLACED_REASONS[placement.unplaced],
            )
    return placed


def _write_atomically(out: Path, text: str) -> None:
    try:
        write_atomically({out: text})
    except OSError as exc:
        raise ImportProblem(f"{out}: cannot write: {exc}") from exc


# -- summary -----------------------------------------------------------------------------------


def summary(lst: AgreementList) -> str:
    """A printable table: agreements per state, broken down by model, and the totals."""
    per_state: dict[str, Counter[str]] = {}
    for a in lst.agreements:
        per_state.setdefault(a.state, Counter())[a.model] += 1
    name_width = max([len("State"), *(len(STATE_NAMES[s]) + 4 for s in per_state)])
    head = ["Total", *(MODEL_TITLES[m] for m in MODELS)]
    widths = [max(len(h), 5) for h in head]

    def line(label: str, numbers: list[int]) -> str:
        cells = [f"{n:>{w},}" for n, w in zip(numbers, widths, strict=True)]
        return f"{label:<{name_width}}  " + "  ".join(cells)

    lines = [
        f"287(g) agreements as of {lst.as_of}: {len(lst):,} in {len(per_state)} states "
        "and territories",
        f"source: {lst.source}",
        "",
        f"{'State':<{name_width}}  "
        + "  ".join(f"{h:>{w}}" for h, w in zip(head, widths, strict=True)),
    ]
    for state in lst.counts_by_state():
        counts = per_state[state]
        label = f"{state}  {STATE_NAMES[state]}"
        lines.append(line(label, [sum(counts.values()), *(counts[m] for m in MODELS)]))
    models = lst.counts_by_model()
    lines.append(line("All", [len(lst), *(models[m] for m in MODELS)]))
    return "\n".join(lines)


def placement_lines(lst: AgreementList) -> list[str]:
    """How many local agencies ICE gives no county for were placed from their name, and
    which were not."""
    without = [
        group[0]
        for group in by_agency(a for a in lst.agreements if a.kind != "state" and a.county is None)
    ]
    placed = [a for a in without if a.inferred is not None]
    several = sum(len(a.counties) > 1 for a in placed)
    lines = [
        f"{len(without):,} local agencies have no county in ICE's list: {len(placed):,} placed "
        f"from the place in their name ({several:,} in more than one county), "
        f"{len(without) - len(placed):,} not placed"
    ]
    lines += [f"  not placed: {a.state} {a.agency}" for a in without if a.inferred is None]
    return lines
