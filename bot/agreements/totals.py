"""ICE's newer per-state totals: how many agreements each state had on a later list.

The county-level list (``agreements.yaml``) is only as new as the last spreadsheet imported;
ICE's list grows by about a hundred agreements a month. When only a newer list's totals per
state are at hand (as the public repository appelson/Tracking_287g tabulates them), they are
kept in ``agreement-totals.yaml``, and every county answer gives the state's newer total beside
the older county list: a county that signed since is never told, without a date, that it has
none. A state the totals do not name had no agreement on that date.

* :class:`StateTotals`: the totals of one date, with their source;
* :func:`read_totals_csv` reads the table (``state,task_force,warrant_service,jail,total``, a
  state's name or USPS code per row), checking every cell; :func:`import_totals` writes it into
  the YAML file (``outreach-bot import-agreements FILE.csv``);
* :func:`load_totals` / :func:`parse_totals` read the YAML file back, checking every entry.

Only the standard library and PyYAML: the bot loads this with its content.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import yaml

from bot.agreements.files import ImportProblem
from bot.agreements.model import MODELS, Model
from bot.datafiles import (
    HTTPS_URL_RE,
    KeyPath,
    as_of_from_filename,
    check_keys,
    iso_date,
    load_yaml,
    problem_list,
    problems_message,
    read_text,
    write_atomically,
)
from bot.placenames import STATE_NAMES, state_code

__all__ = [
    "CSV_COLUMNS",
    "TOTALS_FILE",
    "StateTotals",
    "dump_totals",
    "import_totals",
    "load_totals",
    "parse_totals",
    "read_totals_csv",
    "source_name",
]

TOTALS_FILE: Final = "agreement-totals.yaml"  # in the content directory
CSV_COLUMNS: Final = ("state", *MODELS, "total")
_GRAND_TOTAL: Final = frozenset({"all", "all states", "total", "totals"})
MAX_CSV_BYTES: Final = 1_000_000  # a table of 56 states is a few kilobytes


@dataclass(frozen=True)
class StateTotals:
    """Agreements per state and model on ICE's list of one date, and where they come from.

    ``counts`` holds the states that had any (USPS code -> model -> agreements); a state it
    does not hold had none on that date.
    """

    as_of: str  # ISO date of ICE's list the totals count
    source: str  # who tabulated them, as the answer names it: "appelson/Tracking_287g"
    url: str  # the tabulation itself (https), at a fixed version
    counts: Mapping[str, Mapping[Model, int]] = field(default_factory=dict)

    def total(self, state: str) -> int:
        """The state's agreements on that date (0 for a state the totals do not name)."""
        return sum(self.counts.get(state.strip().upper(), {}).values())

    def grand_total(self) -> int:
        return sum(self.total(s) for s in self.counts)

    def newer_than(self, as_of: str) -> bool:
        """Whether these totals are of a later list than the one of ``as_of``."""
        return self.as_of > as_of


# -- the YAML file -----------------------------------------------------------------------------

YAML_HEADER = """\
# ICE's newer per-state totals of 287(g) agreements, imported with
#   outreach-bot import-agreements TOTALS.csv --source-url URL [--as-of YYYY-MM-DD]
# (bot/agreements/totals.py). Do not edit by hand: import the newer table instead.
#
# The county list (agreements.yaml) is older; every county answer gives its state's total from
# here ("On June 9, 2026 ICE listed 349 agreements in Florida"), when this date is later.
#
# as_of    the date of ICE's list these totals count (YYYY-MM-DD)
# source   who tabulated them, as the answer names it
# url      the tabulation itself (https, at a fixed version: not a home page)
# states   USPS code: agreements per model (task_force, warrant_service, jail) and their total.
#          A state not named here had no agreement on that date.
"""


def dump_totals(totals: StateTotals) -> str:
    """The YAML text of ``totals``: :data:`YAML_HEADER`, then one line per state, most first."""
    order = sorted(totals.counts, key=lambda s: (-totals.total(s), s))
    data = {
        "as_of": totals.as_of,
        "source": totals.source,
        "url": totals.url,
        "states": {
            s: {**{m: totals.counts[s].get(m, 0) for m in MODELS}, "total": totals.total(s)}
            for s in order
        },
    }
    body = yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True, default_flow_style=None, width=1000
    )
    return YAML_HEADER + "\n" + body


def load_totals(path: Path) -> StateTotals:
    """Read a totals file written by :func:`import_totals`; check every entry."""
    return parse_totals(read_text(path, ImportProblem, name=path.name), path.name)


def parse_totals(raw: str, name: str = TOTALS_FILE) -> StateTotals:
    """The :class:`StateTotals` in YAML text ``raw``; :class:`ImportProblem` if malformed."""
    data = load_yaml(raw, name, ImportProblem)
    problems: list[tuple[KeyPath, str]] = []
    totals = _validate(data, problems)
    if problems or totals is None:
        raise ImportProblem(problems_message(raw, name, "totals file", problems))
    return totals


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _validate(data: Any, problems: list[tuple[KeyPath, str]]) -> StateTotals | None:
    if not check_keys(data, (), ("as_of", "source", "url", "states"), problems):
        return None
    as_of = iso_date(data.get("as_of"))
    if as_of is None:
        problems.append((("as_of",), "expected the date of ICE's list, YYYY-MM-DD"))
    source, url = data.get("source"), data.get("url")
    if not isinstance(source, str) or not source.strip():
        problems.append((("source",), "expected a non-empty text naming who tabulated them"))
    if not isinstance(url, str) or not HTTPS_URL_RE.match(url):
        problems.append((("url",), "expected an https link to the tabulation"))
    states = data.get("states")
    if not isinstance(states, dict):
        problems.append((("states",), "expected a mapping of USPS codes to counts"))
        return None
    counts: dict[str, dict[Model, int]] = {}
    for code, entry in states.items():
        at: KeyPath = ("states", str(code))
        if str(code) not in STATE_NAMES:
            problems.append((at, f"{code!r} is not a USPS state code"))
            continue
        if not check_keys(entry, at, (*MODELS, "total"), problems):
            continue
        numbers = {key: _count(entry.get(key)) for key in (*MODELS, "total")}
        bad = [key for key, n in numbers.items() if n is None and key in entry]
        for key in bad:
            problems.append(((*at, key), "expected a whole number, 0 or more"))
        if bad or any(n is None for n in numbers.values()):
            continue
        by_model = {m: numbers[m] or 0 for m in MODELS}
        if sum(by_model.values()) != numbers["total"]:
            problems.append(((*at, "total"), f"{numbers['total']} is not the sum of the models"))
            continue
        counts[str(code)] = by_model
    if problems or as_of is None or not isinstance(source, str) or not isinstance(url, str):
        return None
    return StateTotals(as_of=as_of, source=source.strip(), url=url, counts=counts)


# -- the CSV table -----------------------------------------------------------------------------


def read_totals_csv(path: Path) -> dict[str, dict[Model, int]]:
    """The per-state counts of a table ``state,task_force,warrant_service,jail,total``.

    ``state`` is a state's or territory's name or USPS code; the numbers are whole numbers
    (``1,234`` too); each row's total must be the sum of its models. A last row named "All
    states" or "Total" is checked against the sum of the others and not kept. Blank lines are
    skipped. Every problem is reported, each naming its line; :class:`ImportProblem`.
    """
    name = path.name
    if not path.is_file():
        raise ImportProblem(f"{path}: no such file")
    if path.stat().st_size > MAX_CSV_BYTES:
        raise ImportProblem(f"{name}: {path.stat().st_size:,} bytes: not a table of states")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportProblem(f"{name}: cannot read the file as UTF-8 text: {exc}") from exc
    rows = [
        (n, row)
        for n, row in enumerate(csv.reader(io.StringIO(text)), start=1)
        if any(cell.strip() for cell in row)
    ]
    if not rows:
        raise ImportProblem(f"{name}: the file is empty")
    head_line, head = rows[0]
    header = [" ".join(cell.split()).casefold() for cell in head]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise ImportProblem(
            f"{name}: not a table of per-state totals: missing column(s) {', '.join(missing)}; "
            f"expected {','.join(CSV_COLUMNS)}; line {head_line} has "
            + (", ".join(repr(c) for c in head) or "nothing")
        )
    where = {c: header.index(c) for c in CSV_COLUMNS}
    problems: list[str] = []
    counts: dict[str, dict[Model, int]] = {}
    grand: tuple[int, int] | None = None  # (line, total)
    for line, row in rows[1:]:
        cells = {c: (row[i].strip() if i < len(row) else "") for c, i in where.items()}
        numbers: dict[str, int] = {}
        for column in (*MODELS, "total"):
            value = cells[column].replace(",", "")
            if not (value.isascii() and value.isdigit()):
                problems.append(f"{name}:{line}: {column} {cells[column]!r} is not a whole number")
            else:
                numbers[column] = int(value)
        label = cells["state"]
        if " ".join(label.split()).strip("*").casefold() in _GRAND_TOTAL:
            if "total" in numbers:
                grand = (line, numbers["total"])
            continue
        code = state_code(label) if label else None
        if code is None:
            problems.append(f"{name}:{line}: unknown state {label!r} (a state's name or code)")
            continue
        if code in counts:
            problems.append(f"{name}:{line}: {STATE_NAMES[code]} is listed twice")
            continue
        if len(numbers) < len(MODELS) + 1:
            continue
        by_model: dict[Model, int] = {m: numbers[m] for m in MODELS}
        if sum(by_model.values()) != numbers["total"]:
            parts = " + ".join(str(n) for n in by_model.values())
            problems.append(
                f"{name}:{line}: {STATE_NAMES[code]}'s total {numbers['total']} is not "
                f"{parts} = {sum(by_model.values())}"
            )
            continue
        counts[code] = by_model
    if grand is not None and not problems:
        summed = sum(sum(c.values()) for c in counts.values())
        if summed != grand[1]:
            problems.append(f"{name}:{grand[0]}: the grand total {grand[1]} is not {summed}")
    if problems:
        raise ImportProblem(problem_list(name, "table of per-state totals", problems))
    if not counts:
        raise ImportProblem(f"{name}: no state below the header")
    return {code: c for code, c in counts.items() if sum(c.values())}


def source_name(url: str) -> str:
    """What an answer calls the source at ``url``: "owner/repository" on GitHub, else the site."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    segments = [s for s in parts.path.split("/") if s]
    if host == "github.com" and len(segments) >= 2:
        return f"{segments[0]}/{segments[1]}"
    return host


def import_totals(
    table: Path,
    out: Path,
    as_of: date | None,
    url: str,
    source: str | None = None,
    check_url: Callable[[str], str | None] | None = None,
) -> StateTotals:
    """Read the per-state table ``table`` and write it to ``out`` (YAML) as of ``as_of``, else
    the date in the table's name, citing ``url`` (named ``source``, by default after the URL).

    ``check_url`` says why a URL cannot be cited (a home page), or None. The file is replaced
    in one step: on any error the old ``out`` is left exactly as it was.
    """
    when = as_of or as_of_from_filename(table)
    if when is None:
        raise ImportProblem(
            f"{table.name}: no date (YYYY-MM-DD) in the file name: give --as-of YYYY-MM-DD, "
            "the date of ICE's list the totals count"
        )
    if not HTTPS_URL_RE.match(url):
        raise ImportProblem(f"--source-url {url!r}: expected an https link to the tabulation")
    problem = check_url(url) if check_url is not None else None
    if problem is not None:
        raise ImportProblem(f"--source-url {url}: {problem}")
    counts = read_totals_csv(table)
    totals = StateTotals(
        as_of=when.isoformat(),
        source=(source or source_name(url)).strip(),
        url=url,
        counts=counts,
    )
    text = dump_totals(totals)
    if parse_totals(text, out.name) != totals:  # what is written must load as it is meant
        raise ImportProblem(f"{out.name}: the written totals would not read back the same")
    try:
        write_atomically({out: text})
    except OSError as exc:
        raise ImportProblem(f"{out}: cannot write: {exc}") from exc
    return totals
