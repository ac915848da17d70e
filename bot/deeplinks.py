"""Deep links into the bot: the ``/start`` payload grammar, its parser and its builder.

Telegram carries at most 64 characters of ``[A-Za-z0-9_-]`` after ``?start=`` and hands them
to the bot as ``/start PAYLOAD``. This module owns what those characters mean:

.. code-block:: text

    payload  = JOURNEY | JOURNEY "--" SOURCE | SOURCE        (64 characters at most in all)
    JOURNEY  = "facts" | "pledge" | "comment" | "local" | "fact-" FACT_ID
    SOURCE   = 1*64 of [A-Za-z0-9_-]                         (a source code: which flyer or post)
    FACT_ID  = [a-z0-9][a-z0-9-]{0,31}                       (an id in the loaded content)

Parsing splits the payload at its **first** ``--``. If the part before it is a journey (and,
for ``fact-<id>``, the id names a fact that exists), the link opens that journey and the rest,
if any, is the source code. Otherwise the **whole** payload is a plain source code, so the links
printed before journeys existed (``flyer-mn``, ``share``) keep meaning what they meant:

=========================  ==========  ================  =====================
payload                    journey     fact_id           source
=========================  ==========  ================  =====================
``pledge``                 pledge      None              None
``pledge--flyer-mn``       pledge      None              flyer-mn
``fact-what-is-287g--ig``  fact        what-is-287g      ig
``fact-no-such-fact--ig``  None        None              fact-no-such-fact--ig
``flyer-mn``               None        None              flyer-mn
``share``                  None        None              share
``pledge--``               pledge      None              None
``bad payload!``           None        None              None
=========================  ==========  ================  =====================

``fact-<id>`` links are reported as the journey ``"fact"`` (:data:`FACT_JOURNEY`) with
``fact_id`` set. Fact ids are at most 32 characters, so a fact link always leaves at least 25
characters for a source code.

Nothing here imports ``telegram``: the ``/start`` handler passes ``" ".join(context.args)``
(or None) and the content's fact ids, and acts on the :class:`StartLink` it gets back.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

JOURNEYS = ("facts", "pledge", "comment", "local")
"""Journeys a link can open by name. A single fact is ``fact-<id>`` (see FACT_JOURNEY)."""

FACT_JOURNEY = "fact"
"""The journey reported for a ``fact-<id>`` link; the id is in ``StartLink.fact_id``."""

PAYLOAD_MAX = 64  # Telegram's limit for the ?start= parameter
SEPARATOR = "--"
FACT_PREFIX = FACT_JOURNEY + "-"

# Always used with fullmatch: a "$" anchor would let a trailing newline through.
PAYLOAD_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
SOURCE_RE = PAYLOAD_RE  # a source code may use the whole payload on its own
FACT_ID_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")  # the content loader's id rule
USERNAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")


@dataclass(frozen=True)
class StartLink:
    """What a ``/start`` payload asks for: a journey to open, and the source code to record.

    All three are None when there was no payload or it was malformed.
    """

    journey: str | None
    fact_id: str | None
    source: str | None


NO_LINK = StartLink(None, None, None)


def parse_start_payload(payload: str | None, fact_ids: Collection[str]) -> StartLink:
    """Read a ``/start`` payload by the grammar above; never raises.

    ``fact_ids`` are the ids of the facts that exist now: a link to a fact that has been
    removed is read as a plain source code, so the user still lands on the main menu and the
    flyer is still counted.
    """
    if not isinstance(payload, str) or not PAYLOAD_RE.fullmatch(payload):
        return NO_LINK
    head, separator, tail = payload.partition(SEPARATOR)
    journey, fact_id = _journey(head, fact_ids)
    if journey is None:
        return StartLink(None, None, payload)
    source = tail if separator and SOURCE_RE.fullmatch(tail) else None
    return StartLink(journey, fact_id, source)


def _journey(head: str, fact_ids: Collection[str]) -> tuple[str | None, str | None]:
    """The (journey, fact id) that ``head`` names, or (None, None) if it names none."""
    if head in JOURNEYS:
        return head, None
    if head.startswith(FACT_PREFIX):
        fact_id = head.removeprefix(FACT_PREFIX)
        if FACT_ID_RE.fullmatch(fact_id) and fact_id in fact_ids:
            return FACT_JOURNEY, fact_id
    return None, None


def build_payload(
    source: str | None, journey: str | None = None, fact_id: str | None = None
) -> str:
    """The ``?start=`` payload that opens ``journey`` and records ``source``.

    A fact link is ``fact_id=...`` (``journey`` None or ``"fact"``). Raises ValueError, naming
    the rule, if the source code is not 1-64 characters of ``A-Z a-z 0-9 _ -``, the journey is
    unknown, the payload would exceed Telegram's 64 characters, or there is nothing to link; also
    if a payload would read back differently from what was asked (see :func:`parse_start_payload`).
    """
    if source is not None and not SOURCE_RE.fullmatch(source):
        raise ValueError(
            f"source code {source!r} must be 1-{PAYLOAD_MAX} characters of A-Z a-z 0-9 _ -"
        )
    head = _journey_head(journey, fact_id)
    if head is None:
        if source is None:
            raise ValueError("a deep link needs a source code, a journey, or both")
        _check_plain_source(source)
        return source
    payload = head if source is None else f"{head}{SEPARATOR}{source}"
    if len(payload) > PAYLOAD_MAX:
        room = PAYLOAD_MAX - len(head) - len(SEPARATOR)
        raise ValueError(
            f"deep-link payload {payload!r} is {len(payload)} characters; Telegram allows "
            f"{PAYLOAD_MAX}, so a source code after {head!r} can be at most {room} characters"
        )
    return payload


def _journey_head(journey: str | None, fact_id: str | None) -> str | None:
    """The payload's journey part (``pledge``, ``fact-<id>``), or None for a plain source."""
    if fact_id is not None:
        if journey not in (None, FACT_JOURNEY):
            raise ValueError(f"a fact id goes with the journey {FACT_JOURNEY!r}, not {journey!r}")
        if not FACT_ID_RE.fullmatch(fact_id):
            raise ValueError(
                f"fact id {fact_id!r} must be 1-32 characters of a-z 0-9 -, starting with a-z 0-9"
            )
        if SEPARATOR in fact_id or fact_id.endswith("-"):
            # The parser splits at the first "--", which would cut such an id short.
            raise ValueError(
                f"fact id {fact_id!r} cannot be deep-linked: it contains '--' or ends with '-'"
            )
        return FACT_PREFIX + fact_id
    if journey is None:
        return None
    if journey == FACT_JOURNEY:
        raise ValueError(f"the journey {FACT_JOURNEY!r} needs a fact id")
    if journey not in JOURNEYS:
        known = ", ".join([*JOURNEYS, FACT_JOURNEY])
        raise ValueError(f"unknown journey {journey!r}; known journeys: {known}")
    return journey


def _check_plain_source(source: str) -> None:
    """Refuse a plain source code that the parser could read as a journey."""
    head = source.partition(SEPARATOR)[0]
    if head in JOURNEYS or head.startswith(FACT_PREFIX):
        raise ValueError(
            f"source code {source!r} would be read as a link to {head!r}; a plain source code "
            f"must not start with a journey ({', '.join(JOURNEYS)}) or {FACT_PREFIX!r}"
        )


def deep_link(bot_username: str, payload: str | None) -> str:
    """``https://t.me/<bot_username>?start=<payload>``, or the bare bot link for None.

    Raises ValueError for a username that is not a Telegram username (4-32 characters of
    ``A-Z a-z 0-9 _`` starting with a letter, given without ``@``) or a payload that is not 1-64
    characters of ``A-Z a-z 0-9 _ -``.
    """
    if not isinstance(bot_username, str) or not USERNAME_RE.fullmatch(bot_username):
        raise ValueError(
            f"bot username {bot_username!r} must be 4-32 characters of A-Z a-z 0-9 _, "
            "starting with a letter, without '@'"
        )
    base = f"https://t.me/{bot_username}"
    if payload is None:
        return base
    if not PAYLOAD_RE.fullmatch(payload):
        raise ValueError(
            f"deep-link payload {payload!r} must be 1-{PAYLOAD_MAX} characters of A-Z a-z 0-9 _ -"
        )
    return f"{base}?start={payload}"


def bot_link(bot_username: str, source: str = "share") -> str:
    """The bot's t.me link, tagged with a source code so organizers can count shares."""
    return f"https://t.me/{bot_username}?start={source}"


def link_for(bot_username: str, source: str, journey: str | None, fact_ids: Collection[str]) -> str:
    """The deep link for ``source`` and an optional journey written as in a link (``pledge``,
    ``fact-<id>``); ValueError says what is wrong with them."""
    fact_id = None
    if journey is not None and journey.startswith(FACT_PREFIX):
        fact_id = journey.removeprefix(FACT_PREFIX)
        if fact_id not in fact_ids:
            raise ValueError(f"there is no fact {fact_id!r}")
        journey = None
    return deep_link(bot_username, build_payload(source, journey, fact_id))
