"""Local targets organizers add: which ones a supporter's place matches.

The targets themselves are content (``content/targets.yaml``, read and checked by
:mod:`bot.content.targets`); this module only matches them to a place. Names are compared
as :func:`bot.placenames.county_key` and :func:`bot.placenames.city_key` compare them, so
"Harris", "harris county" and "Harris County" are one county and "St. Paul" is "Saint Paul".

This module imports neither ``telegram`` nor the content loader.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.content.models import LocalTarget
from bot.placenames import city_key, county_key

__all__ = ["targets_for_place"]


def targets_for_place(
    targets: Iterable[LocalTarget], state: str, county: str | None = None, city: str | None = None
) -> list[LocalTarget]:
    """The targets for a place in ``state``, the most local first, each group in file order.

    A target with a city matches that city (and, when both sides name a county, only in the
    same county: two towns of one name in a state); a target with only a county matches the
    county, whatever the city; a target with neither matches the whole state.
    """
    code = state.strip().upper()
    ckey = county_key(county) if county else ""
    tkey = city_key(city) if city else ""
    by_city: list[LocalTarget] = []
    by_county: list[LocalTarget] = []
    statewide: list[LocalTarget] = []
    for target in targets:
        if target.state != code:
            continue
        target_county = county_key(target.county) if target.county else ""
        if target.city is not None:
            same_county = not (ckey and target_county) or ckey == target_county
            if tkey and city_key(target.city) == tkey and same_county:
                by_city.append(target)
        elif target.county is not None:
            if ckey and target_county == ckey:
                by_county.append(target)
        else:
            statewide.append(target)
    return by_city + by_county + statewide
