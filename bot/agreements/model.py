"""One 287(g) agreement, and ICE's list of them as of one date, indexed for lookups."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final, Literal, get_args

from bot.placenames import county_key

__all__ = [
    "KINDS",
    "MODELS",
    "MODEL_TITLES",
    "Agreement",
    "AgreementList",
    "Inferred",
    "Kind",
    "Model",
    "by_agency",
]

Kind = Literal["county", "municipality", "state"]
Model = Literal["task_force", "warrant_service", "jail"]
KINDS: Final[tuple[Kind, ...]] = get_args(Kind)
MODELS: Final[tuple[Model, ...]] = get_args(Model)

MODEL_TITLES: Final[dict[Model, str]] = {
    "task_force": "Task force",
    "warrant_service": "Warrant service",
    "jail": "Jail",
}


@dataclass(frozen=True, slots=True)
class Inferred:
    """Where an agency ICE gives no county for was placed: from the place in its name.

    "Tampa Police Department" in Florida: ``place`` "Tampa", ``counties`` ("Hillsborough
    County",). A city whose ZIP codes lie in several counties is placed in each of them, the
    county with the most first; the answer says so.
    """

    place: str  # the city, town or county read from the agency's name
    counties: tuple[str, ...]  # at least one, as the place data names them


@dataclass(frozen=True, slots=True)
class Agreement:
    """One 287(g) agreement: an agency and one of the three models."""

    state: str  # USPS code, "TX"
    agency: str  # "Harris County Sheriff's Office"
    kind: Kind
    county: str | None  # ICE's county: "Harris County"; None for state agencies and most cities
    model: Model
    signed: str | None  # ISO date, "2025-02-26"
    moa_url: str | None  # https link to the signed memorandum of agreement
    inferred: Inferred | None = None  # the counties found from its name, where ICE gives none

    @property
    def counties(self) -> tuple[str, ...]:
        """The counties the agency is in: ICE's, else those inferred from its name, else ()."""
        if self.county is not None:
            return (self.county,)
        return self.inferred.counties if self.inferred is not None else ()


def by_agency(agreements: Iterable[Agreement]) -> list[list[Agreement]]:
    """``agreements`` grouped by agency (one agency with two models is one group), in the order
    each agency first appears."""
    groups: dict[tuple[str, str], list[Agreement]] = {}
    for a in agreements:
        groups.setdefault((a.state, a.agency.casefold()), []).append(a)
    return list(groups.values())


def _sort_key(a: Agreement) -> tuple[str, str, str, int, str]:
    return (
        a.state,
        (a.counties[0] if a.counties else "").casefold(),
        a.agency.casefold(),
        MODELS.index(a.model),
        a.signed or "",
    )


def _inferred_last(a: Agreement) -> bool:
    return a.inferred is not None


@dataclass(frozen=True)
class AgreementList:
    """ICE's list as of one date, with indexes built once for fast lookups.

    ``agreements`` is kept sorted by state, county and agency. County matching ignores case,
    spacing, punctuation, accents, "Saint"/"St." and the "County"/"Parish"/"Borough" suffix
    (:func:`county_key`), so "harris county", "Harris" and "HARRIS  COUNTY" are one county;
    counties of the same name in different states (Hillsborough, FL and NH) stay apart.
    """

    as_of: str  # ISO date of ICE's list
    source: str
    agreements: tuple[Agreement, ...]
    _by_county: dict[tuple[str, str], tuple[Agreement, ...]] = field(
        init=False, repr=False, compare=False
    )
    _by_state: dict[str, tuple[Agreement, ...]] = field(init=False, repr=False, compare=False)
    _counties: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)
    _statewide: dict[str, tuple[Agreement, ...]] = field(init=False, repr=False, compare=False)
    _unplaced: dict[str, tuple[Agreement, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.agreements, key=_sort_key))
        by_county: dict[tuple[str, str], list[Agreement]] = {}
        by_state: dict[str, list[Agreement]] = {}
        names: dict[str, dict[str, str]] = {}
        statewide: dict[str, list[Agreement]] = {}
        unplaced: dict[str, list[Agreement]] = {}
        for a in ordered:
            by_state.setdefault(a.state, []).append(a)
            if a.kind == "state":
                statewide.setdefault(a.state, []).append(a)
            elif not a.counties:
                unplaced.setdefault(a.state, []).append(a)
            for county in a.counties:
                key = county_key(county)
                names.setdefault(a.state, {}).setdefault(key, county)
                if a.kind != "state":
                    by_county.setdefault((a.state, key), []).append(a)
        object.__setattr__(self, "agreements", ordered)
        object.__setattr__(
            self,
            "_by_county",
            {k: tuple(sorted(v, key=_inferred_last)) for k, v in by_county.items()},
        )
        object.__setattr__(self, "_by_state", {k: tuple(v) for k, v in by_state.items()})
        object.__setattr__(self, "_statewide", {k: tuple(v) for k, v in statewide.items()})
        object.__setattr__(self, "_unplaced", {k: tuple(v) for k, v in unplaced.items()})
        object.__setattr__(
            self,
            "_counties",
            {s: tuple(sorted(n.values(), key=str.casefold)) for s, n in names.items()},
        )

    def __len__(self) -> int:
        return len(self.agreements)

    def in_county(self, state: str, county: str) -> list[Agreement]:
        """The county's and its cities' agreements, ICE's placing first, then those placed
        from the city in their name (state agencies are in :meth:`statewide`)."""
        return list(self._by_county.get((state.strip().upper(), county_key(county)), ()))

    def in_state(self, state: str) -> list[Agreement]:
        """Every agreement of ``state``, sorted by county (those in none first) and agency."""
        return list(self._by_state.get(state.strip().upper(), ()))

    def statewide(self, state: str) -> list[Agreement]:
        """The agreements of state agencies (state police, corrections, ...) in ``state``."""
        return list(self._statewide.get(state.strip().upper(), ()))

    def unplaced(self, state: str) -> list[Agreement]:
        """Local agencies of ``state`` in no county: ICE gives none, and none was found from
        their name."""
        return list(self._unplaced.get(state.strip().upper(), ()))

    def state_total(self, state: str) -> int:
        """How many agreements ``state`` has, of every kind."""
        return len(self._by_state.get(state.strip().upper(), ()))

    def counties(self, state: str) -> list[str]:
        """The counties of ``state`` named in the list (one spelling each), sorted."""
        return list(self._counties.get(state.strip().upper(), ()))

    def counts_by_state(self) -> dict[str, int]:
        """Agreements per state, most first (ties by USPS code)."""
        counts = {s: len(v) for s, v in self._by_state.items()}
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    def counts_by_model(self) -> dict[str, int]:
        """Agreements per model, in the order of :data:`MODELS` (zero counts included)."""
        counts = Counter(a.model for a in self.agreements)
        return {m: counts.get(m, 0) for m in MODELS}
