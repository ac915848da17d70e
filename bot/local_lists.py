"""Where I live: the full lists behind an answer, and how a button names one of their pages.

An answer names at most a dozen agencies per section; the rest are one button away, in full
lists of as many pages as they need (:func:`bot.render.local_list_pages`). A button carries
what to show in its argument (1-32 characters of ``a-z 0-9 -``, see :mod:`bot.callbacks`):

* ``c2-fl-palmbeach``: page 2 of the list of Palm Beach County's agencies;
* ``s1-fl``: page 1 of Florida's whole list; ``s1-fl-palmbeach``: the same, opened from Palm
  Beach County's answer (the county is where its "back" button returns);
* ``a-fl-palmbeach``: the answer for Palm Beach County again.

A county is named by its key (:func:`bot.placenames.county_key`, cut to fit) and found again
among the counties of the agreements list or of the place data; an argument that names nothing
they have (an old button after a new import, or forged data) is None, and the press gets the
usual "this button is no longer active".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal, Protocol

from bot.agreements import AgreementList
from bot.callbacks import ARGUMENT_MAX
from bot.placenames import county_key

__all__ = ["CountyNames", "ListView", "View", "list_argument", "parse_list_argument"]

View = Literal["answer", "county", "state"]
_LETTER: Final[dict[View, str]] = {"answer": "a", "county": "c", "state": "s"}
_VIEW: Final[dict[str, View]] = {letter: view for view, letter in _LETTER.items()}
_ARGUMENT = re.compile(r"([acs])(\d{0,3})-([a-z]{2})(?:-([a-z0-9]+))?")
MAX_PAGE = 999


@dataclass(frozen=True, slots=True)
class ListView:
    """What a button shows: the answer for a county, or a page of a county's or state's list.

    ``county`` is the county of a county list or answer, and for a state list the county whose
    answer it was opened from (None: none).
    """

    view: View
    state: str  # USPS code
    county: str | None
    page: int = 1  # 1-based; 0 for the answer


def list_argument(view: View, state: str, county: str | None = None, page: int = 1) -> str:
    """The button argument for ``view`` (see the module's examples)."""
    head = f"{_LETTER[view]}{'' if view == 'answer' else min(max(page, 1), MAX_PAGE)}"
    text = f"{head}-{state.lower()}"
    if county is not None:
        text += "-" + re.sub(r"[^a-z0-9]", "", county_key(county))
    return text[:ARGUMENT_MAX].rstrip("-")


class CountyNames(Protocol):
    """What finding a county needs of the place data (a :class:`~bot.places.PlaceIndex`)."""

    def county_named(self, state: str, name: str) -> str | None: ...


def parse_list_argument(
    argument: str, agreements: AgreementList, places: CountyNames, states: set[str]
) -> ListView | None:
    """The :class:`ListView` an argument from :func:`list_argument` names, or None.

    The county is looked for among the agreements list's counties, then the place data's (a
    state list can be opened from the answer for a county without agreements)."""
    match = _ARGUMENT.fullmatch(argument)
    if match is None:
        return None
    view = _VIEW[match[1]]
    state = match[3].upper()
    if state not in states or (view == "answer") != (match[2] == ""):
        return None
    page = int(match[2]) if match[2] else 0
    if view != "answer" and page < 1:
        return None
    county = None
    if match[4] is not None:
        candidates = [*agreements.counties(state), places.county_named(state, match[4])]
        county = next(
            (
                c
                for c in candidates
                if c is not None and list_argument(view, state, c, page) == argument
            ),
            None,
        )
        if county is None:
            return None
    elif view != "state":
        return None
    return ListView(view, state, county, page)
