"""The members of Congress and the ZIP code table, as the bot holds them in memory.

A :class:`CongressData` is one import: the members of one Congress with their Washington and
district-office phones, and a :class:`ZipTable` of the House districts each ZIP code lies in.
It is dated (``as_of``) and knows which Congress it describes, so it can tell when a new one
has taken office (:meth:`CongressData.outdated`).

This module imports neither ``telegram`` nor the content package.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Final, Literal, NamedTuple, get_args

__all__ = [
    "AT_LARGE",
    "CHAMBERS",
    "DELEGATE_STATES",
    "ROLES",
    "Chamber",
    "CongressData",
    "District",
    "Member",
    "Office",
    "Role",
    "ZipTable",
    "congress_end",
    "congress_number",
    "congress_start",
    "ordinal",
]

Chamber = Literal["senate", "house"]
Role = Literal["senator", "representative", "delegate", "resident_commissioner"]
CHAMBERS: Final[tuple[Chamber, ...]] = get_args(Chamber)
ROLES: Final[tuple[Role, ...]] = get_args(Role)

AT_LARGE: Final = 0  # the district number of a state's only seat, and of a delegate's

# DC and the territories send one non-voting member to the House and have no senators: a
# delegate, except Puerto Rico's resident commissioner.
DELEGATE_STATES: Final[dict[str, Role]] = {
    "DC": "delegate",
    "GU": "delegate",
    "VI": "delegate",
    "AS": "delegate",
    "MP": "delegate",
    "PR": "resident_commissioner",
}

# Since the 20th Amendment a Congress meets from January 3 of an odd year for two years;
# the 1st met in 1789, so the n-th begins on January 3, 1787 + 2n.
_FIRST_YEAR: Final = 1789


def congress_number(day: date) -> int:
    """The Congress in office on ``day``: 119 from January 3, 2025 to January 2, 2027."""
    year = day.year if (day.month, day.day) >= (1, 3) else day.year - 1
    return (year - _FIRST_YEAR) // 2 + 1


def ordinal(n: int) -> str:
    """119 -> "119th", 121 -> "121st" (English, for messages to organizers)."""
    suffix = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def congress_start(number: int) -> date:
    """The day the ``number``-th Congress took office (the 119th: January 3, 2025)."""
    return date(_FIRST_YEAR + 2 * (number - 1), 1, 3)


def congress_end(number: int) -> date:
    """The day the ``number``-th Congress ends and the next takes office (January 3, 2027)."""
    return congress_start(number + 1)


class District(NamedTuple):
    """A House seat: a state and a district number (:data:`AT_LARGE` for the only seat)."""

    state: str
    number: int

    def __str__(self) -> str:
        return f"{self.state}-{self.number}"


@dataclass(frozen=True, slots=True)
class Office:
    """A member's district office: its city and phone."""

    city: str
    phone: str  # "206-220-6400"


@dataclass(frozen=True, slots=True)
class Member:
    """A current member of Congress and how to reach them."""

    id: str  # the Bioguide id, "C000127": stable across imports
    name: str  # "Maria Cantwell"
    chamber: Chamber
    role: Role
    state: str  # USPS code
    district: int | None  # House: the district, 0 at-large; None for senators
    term_end: str  # ISO date the current term ends
    phone: str | None  # the Washington office, "202-224-3441"; None if the data has none
    website: str | None
    contact_form: str | None
    offices: tuple[Office, ...] = ()

    @property
    def seat(self) -> District | None:
        """The House seat; None for a senator."""
        return None if self.district is None else District(self.state, self.district)

    @property
    def write_url(self) -> str | None:
        """Where to write to the member: the contact form, else the website."""
        return self.contact_form or self.website


class ZipTable:
    """ZIP code -> the House districts it lies in, compact and read-only.

    About 34,000 ZIP codes are held in two arrays of 4-byte integers (the ZIP codes, sorted,
    and for each an index into the 1,600 distinct lists of districts, which equal ZIP codes
    share): 0.7 MB in all, where a dict of strings and tuples would take about 3 MB. A
    lookup is a binary search.
    """

    __slots__ = ("_combos", "_groups", "_zips")

    def __init__(
        self,
        zips: array[int],
        groups: array[int],
        combos: tuple[tuple[District, ...], ...],
    ) -> None:
        """``zips`` sorted and unique, ``groups[i]`` the index in ``combos`` of ``zips[i]``'s
        districts; see :meth:`from_rows` to build one from anything else."""
        if len(zips) != len(groups):
            raise ValueError("one group per ZIP code")
        self._zips, self._groups, self._combos = zips, groups, combos

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, Iterable[District]]]) -> ZipTable:
        """The table of (5-digit ZIP code, districts) pairs, in any order."""
        by_zip: dict[int, tuple[District, ...]] = {}
        for zip5, districts in rows:
            by_zip[int(zip5)] = tuple(sorted(set(districts)))
        combos: dict[tuple[District, ...], int] = {}
        zips, groups = array("I"), array("I")
        for number in sorted(by_zip):
            zips.append(number)
            groups.append(combos.setdefault(by_zip[number], len(combos)))
        return cls(zips, groups, tuple(combos))

    def __len__(self) -> int:
        return len(self._zips)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ZipTable):
            return NotImplemented
        return list(self.items()) == list(other.items())

    __hash__ = None  # type: ignore[assignment]  # mutable-looking: compare, do not hash

    def districts(self, zip5: str) -> tuple[District, ...]:
        """The districts of a 5-digit ZIP code, sorted; () for one the table does not have."""
        if len(zip5) != 5 or not zip5.isascii() or not zip5.isdigit():
            return ()
        number = int(zip5)
        i = bisect_left(self._zips, number)
        if i < len(self._zips) and self._zips[i] == number:
            return self._combos[self._groups[i]]
        return ()

    def items(self) -> Iterator[tuple[str, tuple[District, ...]]]:
        """(ZIP code, districts) in ZIP order."""
        for number, group in zip(self._zips, self._groups, strict=True):
            yield f"{number:05d}", self._combos[group]

    def all_districts(self) -> set[District]:
        """Every district some ZIP code lies in."""
        return {d for combo in self._combos for d in combo}


def _member_order(m: Member) -> tuple[str, int, int, str]:
    return (m.state, CHAMBERS.index(m.chamber), m.district or 0, m.name.casefold())


@dataclass(frozen=True)
class CongressData:
    """The members of one Congress as of one date, and the ZIP code table.

    ``members`` is kept sorted by state, then senators, then House district.
    """

    as_of: str  # ISO date of the members' data
    congress: int  # 119
    source: str  # where the members and their offices come from
    zip_source: str  # where the ZIP code table comes from
    members: tuple[Member, ...]
    zips: ZipTable
    _senators: dict[str, tuple[Member, ...]] = field(init=False, repr=False, compare=False)
    _house: dict[District, Member] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.members, key=_member_order))
        senators: dict[str, list[Member]] = {}
        house: dict[District, Member] = {}
        for m in ordered:
            if m.seat is None:
                senators.setdefault(m.state, []).append(m)
            else:
                house[m.seat] = m
        object.__setattr__(self, "members", ordered)
        object.__setattr__(self, "_senators", {s: tuple(v) for s, v in senators.items()})
        object.__setattr__(self, "_house", house)

    def senators(self, state: str) -> tuple[Member, ...]:
        """The state's senators (none for DC and the territories)."""
        return self._senators.get(state, ())

    def representative(self, district: District) -> Member | None:
        """The House member of ``district``; None if the seat is vacant or unknown."""
        return self._house.get(district)

    def seats(self, state: str) -> list[District]:
        """The state's House seats that have a member, in district order."""
        return sorted(d for d in self._house if d.state == state)

    @property
    def ends(self) -> date:
        """The day this Congress ends and the next takes office."""
        return congress_end(self.congress)

    def outdated(self, today: date) -> bool:
        """Whether a new Congress has taken office since these members were current."""
        return today >= self.ends

    def terms_ended(self, today: date) -> list[Member]:
        """Members whose term ended by ``today`` (an appointed senator replaced after a
        special election, for instance): the data needs a re-import."""
        return [m for m in self.members if date.fromisoformat(m.term_end) <= today]
