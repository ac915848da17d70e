"""Who represents a ZIP code: its House member(s) and its state's senators, and how to call.

:func:`representatives_for_zip` answers from a :class:`~bot.congress.model.CongressData` and
the ZIP code's city and state (:func:`bot.places.places_for_zip`):

* every House district the ZIP code lies in, with its member, or none if the seat is vacant;
  ``split`` says the ZIP code spans several districts (about one in five does): the
  supporter's own is the one on their voter registration, which the data cannot know;
* the senators of the ZIP code's state (of both states, for the few ZIP codes on a state
  line); DC and the territories have none, only their delegate in the House;
* for each member: the Washington phone, the district office nearest the ZIP code (one in
  the ZIP code's city if there is one, else the first listed) and where to write to them
  (the contact form, else the website);
* the data's date, and whether a new Congress has taken office since (``outdated``).

A ZIP code the district table does not have (a post-office-box or single-business ZIP code:
not a Census ZIP Code Tabulation Area) is placed by its state: in a state with one seat, and
in DC and the territories, the district is known all the same; elsewhere only the senators
are, and ``district_known`` is False.

This module imports neither ``telegram`` nor the content package.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from bot import placenames
from bot.congress.model import AT_LARGE, DELEGATE_STATES, CongressData, District, Member, Office

if TYPE_CHECKING:
    from bot.places import Place

__all__ = ["Contact", "HouseSeat", "Representation", "representatives_for_zip"]

PlacesForZip = Callable[[str], "Sequence[Place] | None"]


@dataclass(frozen=True, slots=True)
class Contact:
    """A member and how to reach them from one ZIP code."""

    member: Member
    office: Office | None  # the nearest district office; None if the data lists none
    write_url: str | None  # the contact form, else the website
    term_ended: bool  # the term ended by the day asked about: the seat may have changed


@dataclass(frozen=True, slots=True)
class HouseSeat:
    """A House district the ZIP code lies in, and its member (None: the seat is vacant)."""

    district: District
    contact: Contact | None


@dataclass(frozen=True, slots=True)
class Representation:
    """The members of Congress for one ZIP code, as of the data's date."""

    zip: str
    city: str | None  # the ZIP code's city, when the place data knows it
    states: tuple[str, ...]  # () for a ZIP code found nowhere
    house: tuple[HouseSeat, ...]
    senators: tuple[Contact, ...]
    district_known: bool  # False: the ZIP code's state is known, its district is not
    as_of: str  # ISO date of the members' data
    congress: int  # 119
    outdated: bool  # a new Congress has taken office since the data's date

    @property
    def found(self) -> bool:
        """Whether the ZIP code is known at all."""
        return bool(self.states)

    @property
    def split(self) -> bool:
        """Whether the ZIP code spans more than one House district."""
        return len(self.house) > 1

    @property
    def has_senators(self) -> bool:
        """False for DC and the territories, which elect a delegate and no senators."""
        return any(state not in DELEGATE_STATES for state in self.states)


def _contact(member: Member, city_key: str | None, today: date) -> Contact:
    office = next(
        (o for o in member.offices if city_key and placenames.city_key(o.city) == city_key),
        member.offices[0] if member.offices else None,
    )
    return Contact(
        member=member,
        office=office,
        write_url=member.write_url,
        term_ended=date.fromisoformat(member.term_end) <= today,
    )


def _only_seat(data: CongressData, state: str) -> District | None:
    """The seat of a state (or DC, or a territory) that has just one, else None."""
    if state in DELEGATE_STATES:
        return District(state, AT_LARGE)
    seats = data.seats(state)
    return seats[0] if seats == [District(state, AT_LARGE)] else None


def representatives_for_zip(
    data: CongressData, text: str, today: date, *, places: PlacesForZip | None = None
) -> Representation | None:
    """The members of Congress for a US ZIP code ("77002", "77002-1234").

    None if ``text`` is not a ZIP code; a :class:`Representation` that is not ``found`` for a
    well-formed ZIP code neither the district table nor the place data knows. ``today`` sets
    ``outdated`` and each contact's ``term_ended``. ``places`` gives the ZIP code's places
    (default :func:`bot.places.places_for_zip`).
    """
    code = placenames.zip5(text)
    if code is None:
        return None
    if places is None:
        from bot.places import places_for_zip  # the place data is read on its first use

        places = places_for_zip
    where = list(places(code) or ())
    city = next((p.city for p in where if p.city), None)
    districts = list(data.zips.districts(code))
    district_known = True
    if districts:  # where people live: the district table's states, not the post office's
        states = tuple(dict.fromkeys(d.state for d in districts))
    else:
        states = tuple(dict.fromkeys(p.state for p in where))
        for state in states:
            seat = _only_seat(data, state)
            if seat is None:
                district_known = False
            else:
                districts.append(seat)
    city_key = placenames.city_key(city) if city else None

    def contact(member: Member | None) -> Contact | None:
        return None if member is None else _contact(member, city_key, today)

    return Representation(
        zip=code,
        city=city,
        states=states,
        house=tuple(HouseSeat(d, contact(data.representative(d))) for d in districts),
        senators=tuple(
            _contact(m, city_key, today) for state in states for m in data.senators(state)
        ),
        district_known=district_known and bool(states),
        as_of=data.as_of,
        congress=data.congress,
        outdated=data.outdated(today),
    )
