"""Where I live: its buttons, and how a county is named inside a button's data."""

from __future__ import annotations

from bot.agreements import AgreementList
from bot.callbacks import ARGUMENT_MAX, Feature
from bot.places import PlaceIndex

LOCAL = Feature("local", 1)
ASK = LOCAL.action("ask")  # ask for a ZIP code or a state
STATE = LOCAL.action("state", argument=True)  # a state (lowercase USPS code)
ZIP_COUNTY = LOCAL.action("zip", argument=True)  # one county of a ZIP that spans several (ZIP-n)
LETTER = LOCAL.action("letter", argument=True)  # use this county in my letter (county key)
LIST = LOCAL.action(
    "list", argument=True
)  # a page of a full list behind an answer (bot.local_lists)


def county_argument(state_code: str, county: str) -> str:
    """A short, stable name for a county inside callback data ("tx-harris-county")."""
    from bot.matching import normalize

    slug = "-".join(normalize(county).split())
    return f"{state_code.lower()}-{slug}"[:ARGUMENT_MAX].rstrip("-")


def county_from_argument(
    agreements: AgreementList, places: PlaceIndex, key: str, states: set[str]
) -> tuple[str, str] | None:
    """The (state, county) an argument from :func:`county_argument` names, if it still exists."""
    code = key[:2].upper()
    if code not in states:
        return None
    for county in agreements.counties(code):
        if county_argument(code, county) == key:
            return code, county
    candidates = places.find_county(code, key[3:].replace("-", " "), agreements.counties(code))
    return (code, candidates[0]) if candidates else None
