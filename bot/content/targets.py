"""``content/targets.yaml``: the local targets organizers add, read and checked.

Organizers list the local offices supporters should call about 287(g) — a county commission,
a sheriff's office, a city council — with the place they serve, a phone or a web address,
and what to ask and say in English and Spanish. Every problem names the file, the line and
the key; a misspelt key is an error rather than ignored (a ``conty:`` would otherwise turn a
county's target into a whole state's). The contact data is the organizers' own: nothing is
filled in or guessed.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date
from typing import TYPE_CHECKING, Any, Final

from bot.content.models import TARGET_KINDS, LocalTarget, TargetKind
from bot.content.reading import PLACEHOLDER_RE, ContentFile, KeyPath
from bot.datafiles import HTTPS_URL_RE

if TYPE_CHECKING:
    from bot.places import PlaceIndex

__all__ = ["TARGETS_FILE", "check_target_counties", "read_targets"]

TARGETS_FILE: Final = "targets.yaml"
NAME_MAX = 100
PLACE_MAX = 100
ASK_MAX = 600
SCRIPT_MAX = 1500
CHECKED_MAX_AGE_DAYS = 365  # older contact data is a warning: phones and pages change

_KEYS: Final = (
    "id",
    "kind",
    "name",
    "state",
    "county",
    "city",
    "phone",
    "url",
    "ask",
    "script",
    "checked",
)
_KIND_BY_ID: Final[dict[str, TargetKind]] = {k: k for k in TARGET_KINDS}
# Domains reserved for documentation (RFC 2606): the documented example cannot go live.
_EXAMPLE_HOST_RE: Final = re.compile(
    r"^https://(?:[^/]*\.)?example\.(?:com|net|org)(?:[:/]|$)", re.IGNORECASE
)
_EXTENSION_RE: Final = re.compile(r"\s*(?:ext\.?|extension|x)\s*\d{1,6}$", re.IGNORECASE)


def phone_problem(text: str) -> str | None:
    """Why ``text`` is not a US phone number (an extension may follow), or None if it is one.

    Numbers in the 555-0100 to 555-0199 range are reserved for fiction and refused, so the
    documented example cannot be served by mistake.
    """
    number = _EXTENSION_RE.sub("", text)
    if not re.fullmatch(r"[\d\s().+-]+", number):
        return f"{text!r} is not a phone number (write it as 713-555-0123)"
    digits = re.sub(r"\D", "", number)
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    if len(digits) != 10 or digits[0] in "01" or digits[3] in "01":
        return f"{text!r} is not a US phone number of 10 digits"
    if digits[3:6] == "555" and digits[6:8] == "01":
        return f"{text!r} is a fictional number (555-0100 to 555-0199): give the real one"
    return None


def read_targets(f: ContentFile, states: Collection[str], today: date) -> tuple[LocalTarget, ...]:
    """The targets of ``targets.yaml``; problems go to ``f``."""
    if f.data is None:
        return ()
    for key in sorted(set(f.data) - {"targets"}, key=str):
        f.error((key,), f"unknown key {key!r} (the file holds one list: targets)")
    items = f.data.get("targets")
    if items is None:
        return ()
    targets: dict[str, LocalTarget] = {}
    for i, raw in enumerate(f.sequence(items, ("targets",)) or []):
        path: KeyPath = ("targets", i)
        data = f.mapping(raw, path)
        if data is None:
            continue
        target = _read_target(f, data, path, states, today)
        if target is not None and target.id in targets:
            f.error((*path, "id"), f"duplicate target id {target.id!r}")
        elif target is not None:
            targets[target.id] = target
    return tuple(targets.values())


def _read_target(
    f: ContentFile, data: dict[str, Any], path: KeyPath, states: Collection[str], today: date
) -> LocalTarget | None:
    before = len(f.problems)
    for key in sorted(set(data) - set(_KEYS), key=str):
        f.error((*path, key), f"unknown key {key!r} (expected: {', '.join(_KEYS)})")
    tid = f.identifier(data.get("id"), (*path, "id"))
    kind_text = f.string(data.get("kind"), (*path, "kind"))
    kind = _KIND_BY_ID.get(kind_text or "")
    if kind_text is not None and kind is None:
        f.error((*path, "kind"), f"{kind_text!r} is not one of {', '.join(TARGET_KINDS)}")
    name = f.localized(data.get("name"), (*path, "name"), NAME_MAX)
    state = f.string(data.get("state"), (*path, "state"))
    if state is not None and state not in states:
        f.error((*path, "state"), f"{state!r} is not a state code of states.yaml")
    county = _optional(f, data, path, "county", PLACE_MAX)
    city = _optional(f, data, path, "city", PLACE_MAX)
    phone = _optional(f, data, path, "phone", 40)
    if phone is not None and (problem := phone_problem(phone)):
        f.error((*path, "phone"), problem)
    url = _optional(f, data, path, "url", 1000)
    if url is not None and not HTTPS_URL_RE.match(url):
        f.error((*path, "url"), f"{url!r} is not an https link")
    elif url is not None and _EXAMPLE_HOST_RE.match(url):
        f.error((*path, "url"), f"{url!r} is an example address: give the real one")
    if "phone" not in data and "url" not in data:
        f.error(path, "give a phone, a url or both: how supporters reach this target")
    ask = f.localized(data.get("ask"), (*path, "ask"), ASK_MAX)
    script = f.localized(data.get("script"), (*path, "script"), SCRIPT_MAX)
    for key, text in (("ask", ask), ("script", script)):
        for lang in ("en", "es"):
            value = text.get(lang) if text is not None else ""
            if PLACEHOLDER_RE.search(value):
                f.error((*path, key, lang), "write the text as it should read: no {placeholders}")
            if re.search(r"<[a-zA-Z/]", value):
                f.error(
                    (*path, key, lang), "this text is shown without formatting: remove the HTML"
                )
    checked = f.iso_date(data.get("checked"), (*path, "checked"))
    if checked is not None:
        age = (today - date.fromisoformat(checked)).days
        if age < 0:
            f.error((*path, "checked"), f"{checked} is in the future")
        elif age > CHECKED_MAX_AGE_DAYS:
            f.warn((*path, "checked"), f"checked {age} days ago: check the phone and address")
    if (
        any(p.severity == "error" for p in f.problems[before:])
        or tid is None
        or kind is None
        or name is None
        or state is None
        or ask is None
        or script is None
        or checked is None
    ):
        return None
    return LocalTarget(
        id=tid,
        kind=kind,
        name=name,
        state=state,
        county=county,
        city=city,
        phone=phone,
        url=url,
        ask=ask,
        script=script,
        checked=checked,
    )


def _optional(
    f: ContentFile, data: dict[str, Any], path: KeyPath, key: str, max_len: int
) -> str | None:
    """An optional text: absent or null is None; anything else must be a non-empty text."""
    if data.get(key) is None:
        return None
    return f.string(data[key], (*path, key), max_len)


def check_target_counties(
    f: ContentFile, targets: tuple[LocalTarget, ...], places: PlaceIndex
) -> None:
    """Warn about a target whose county the ZIP data does not know in its state: supporters'
    places come from that data, so such a target would never be matched (reads the place
    data: ``check-content`` only)."""
    from bot.placenames import county_key

    items = f.data.get("targets") if isinstance(f.data, dict) else None
    position = {item.get("id"): i for i, item in enumerate(items or []) if isinstance(item, dict)}
    for target in targets:
        if target.county is None:
            continue
        found = places.find_county(target.state, target.county)
        path: KeyPath = ("targets", position.get(target.id, 0), "county")
        if not found:
            f.warn(path, f"no county {target.county!r} in {target.state}: it will match no one")
        elif county_key(found[0]) != county_key(target.county):
            f.warn(path, f"no county {target.county!r} in {target.state}: did you mean {found[0]}?")
