"""``content/agreements.yaml``: ICE's list as the importer writes it and the bot reads it.

A plain file a reviewer can read and diff (:data:`YAML_HEADER` explains it to them). The bot
reads it with :func:`load_agreements`, which checks every entry and names the line and key of
each problem; :func:`dump_agreements` writes it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Final

import yaml

from bot.agreements.model import KINDS, MODELS, Agreement, AgreementList, Inferred, Kind, Model
from bot.datafiles import KeyPath, check_keys, iso_date, load_yaml, problems_message, read_text
from bot.placenames import STATE_NAMES

__all__ = [
    "YAML_HEADER",
    "ImportProblem",
    "dump_agreements",
    "load_agreements",
    "parse_agreements",
]


class ImportProblem(Exception):
    """ICE's spreadsheet or the agreements file cannot be used; the message says why."""


YAML_HEADER = """\
# 287(g) agreements: ICE's list of participating agencies, imported with
#   outreach-bot import-agreements FILE.xlsx [--as-of YYYY-MM-DD]
# (bot/agreements/importer.py). Do not edit by hand: import ICE's newest spreadsheet instead.
#
# as_of       the date of ICE's list (YYYY-MM-DD); the bot shows it with every answer
# source      where the list comes from
# agreements  one entry per agreement (an agency with two models has two entries):
#   state     USPS code of the state or territory: TX
#   agency    the law-enforcement agency, as ICE names it
#   kind      county | municipality | state   (ICE's TYPE: County, Municipality, State Agency)
#   county    the agency's county ("Harris County"), or null: state agencies, and the city
#             agencies for which ICE gives no county
#   model     task_force | warrant_service | jail   (ICE's SUPPORT TYPE: Task Force Model,
#             Warrant Service Officer, Jail Enforcement Model)
#   signed    the date the agreement was signed (YYYY-MM-DD), or null
#   moa_url   the signed memorandum of agreement on ice.gov (https), or null ("link pending")
#   inferred  not ICE's: where the importer placed a local agency ICE gives no county for,
#             from the place in its name (bot/agreements/placing.py), or null:
#     place     the city or town read from the name: Tampa
#     counties  the counties whose ZIP codes bear that name (content/places.tsv), most first
"""


def dump_agreements(lst: AgreementList) -> str:
    """The YAML text of ``lst``: :data:`YAML_HEADER`, then the data, one block per agreement."""
    data = {
        "as_of": lst.as_of,
        "source": lst.source,
        "agreements": [
            {
                "state": a.state,
                "agency": a.agency,
                "kind": a.kind,
                "county": a.county,
                "model": a.model,
                "signed": a.signed,
                "moa_url": a.moa_url,
                "inferred": (
                    {"place": a.inferred.place, "counties": list(a.inferred.counties)}
                    if a.inferred is not None
                    else None
                ),
            }
            for a in lst.agreements
        ],
    }
    body = yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1000
    )
    return YAML_HEADER + "\n" + body


def load_agreements(path: Path) -> AgreementList:
    """Read an agreements file written by :func:`import_agreements`; check every entry."""
    return parse_agreements(read_text(path, ImportProblem), path.name)


def parse_agreements(raw: str, name: str = "agreements.yaml") -> AgreementList:
    """The :class:`AgreementList` in YAML text ``raw``; :class:`ImportProblem` if malformed."""
    data = load_yaml(raw, name, ImportProblem)  # the C loader: seven times faster on ICE's list
    problems: list[tuple[KeyPath, str]] = []
    lst = _validate(data, problems)
    if problems or lst is None:
        raise ImportProblem(problems_message(raw, name, "agreements file", problems))
    return lst


_KIND_BY_ID: Final[dict[str, Kind]] = {k: k for k in KINDS}
_MODEL_BY_ID: Final[dict[str, Model]] = {m: m for m in MODELS}
_FIELDS: Final = ("state", "agency", "kind", "county", "model", "signed", "moa_url", "inferred")


def _validate(data: Any, problems: list[tuple[KeyPath, str]]) -> AgreementList | None:
    if not isinstance(data, dict):
        problems.append(((), "expected a mapping with as_of, source and agreements"))
        return None
    for key in sorted(set(data) - {"as_of", "source", "agreements"}, key=str):
        problems.append(((str(key),), "unknown key"))
    as_of = iso_date(data.get("as_of"))
    if as_of is None:
        problems.append((("as_of",), "expected the list's date, YYYY-MM-DD"))
    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        problems.append((("source",), "expected a non-empty text naming ICE's list"))
    items = data.get("agreements")
    if not isinstance(items, list) or not items:
        problems.append((("agreements",), "expected a non-empty list of agreements"))
        return None
    agreements: list[Agreement] = []
    for i, item in enumerate(items):
        found = _agreement(item, ("agreements", i), problems)
        if found is not None:
            agreements.append(found)
    if problems or as_of is None or not isinstance(source, str):
        return None
    return AgreementList(as_of=as_of, source=source.strip(), agreements=tuple(agreements))


def _agreement(item: Any, at: KeyPath, problems: list[tuple[KeyPath, str]]) -> Agreement | None:
    before = len(problems)
    # Files imported before agencies were placed from their name have no "inferred": none.
    older = isinstance(item, dict) and "inferred" not in item
    if not check_keys(item, at, _FIELDS[:-1] if older else _FIELDS, problems):
        return None

    def text(key: str, optional: bool = False) -> str | None:
        value = item.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value.strip():
            if key in item:
                problems.append(((*at, key), "expected a non-empty text"))
            return None
        return value.strip()

    state, agency = text("state"), text("agency")
    kind, model = text("kind"), text("model")
    county = text("county", optional=True)
    moa_url = text("moa_url", optional=True)
    if state is not None and state not in STATE_NAMES:
        problems.append(((*at, "state"), f"{state!r} is not a USPS state code"))
    kind_value = _KIND_BY_ID.get(kind or "")
    model_value = _MODEL_BY_ID.get(model or "")
    if kind is not None and kind_value is None:
        problems.append(((*at, "kind"), f"{kind!r} is not one of {', '.join(KINDS)}"))
    if model is not None and model_value is None:
        problems.append(((*at, "model"), f"{model!r} is not one of {', '.join(MODELS)}"))
    signed = None
    if item.get("signed") is not None:
        signed = iso_date(item["signed"])
        if signed is None:
            problems.append(((*at, "signed"), "expected a date, YYYY-MM-DD, or null"))
    if moa_url is not None and not re.fullmatch(r"https://[^\s/]+\.[^\s/]+/\S*", moa_url):
        problems.append(((*at, "moa_url"), f"{moa_url!r} is not an https link"))
    inferred = _inferred(item.get("inferred"), (*at, "inferred"), problems)
    if inferred is not None and (county is not None or kind_value == "state"):
        problems.append(
            ((*at, "inferred"), "only a local agency without ICE's county can be placed")
        )
    if (
        len(problems) > before
        or state is None
        or agency is None
        or kind_value is None
        or model_value is None
    ):
        return None
    return Agreement(
        state=state,
        agency=agency,
        kind=kind_value,
        county=county,
        model=model_value,
        signed=signed,
        moa_url=moa_url,
        inferred=inferred,
    )


def _inferred(value: Any, at: KeyPath, problems: list[tuple[KeyPath, str]]) -> Inferred | None:
    if value is None or not check_keys(value, at, ("place", "counties"), problems):
        return None
    place, counties = value.get("place"), value.get("counties")
    if not isinstance(place, str) or not place.strip():
        problems.append(((*at, "place"), "expected the place read from the agency's name"))
        return None
    if (
        not isinstance(counties, list)
        or not counties
        or not all(isinstance(c, str) and c.strip() for c in counties)
    ):
        problems.append(((*at, "counties"), "expected a non-empty list of county names"))
        return None
    return Inferred(place=place.strip(), counties=tuple(c.strip() for c in counties))
