"""Rules for what a supporter types during the pledge: names, states, stop words.

Plain functions with no Telegram or database: the handlers call them and render the answer.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from bot.content.models import USState
from bot.search import normalize

NAME_MAX = 64

NameProblem = Literal["empty", "too_long", "invalid"]


@dataclass(frozen=True, slots=True)
class NameCheck:
    name: str | None  # the cleaned name, when acceptable
    problem: NameProblem | None = None
    length: int = 0


def check_first_name(text: str) -> NameCheck:
    """Accept 1–64 characters of any script; refuse empty, over-long or control characters.

    Inner runs of white space are folded to one space. HTML is fine: it is escaped when shown.
    """
    if any(_is_control(ch) for ch in text.strip()):
        return NameCheck(None, "invalid")
    name = " ".join(text.split())
    if not name:
        return NameCheck(None, "empty")
    if len(name) > NAME_MAX:
        return NameCheck(None, "too_long", len(name))
    return NameCheck(name, None, len(name))


def _is_control(ch: str) -> bool:
    # Cc: control characters; Cf would include zero-width joiners used in real names and emoji.
    return (
        unicodedata.category(ch) == "Cc"
        or ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    )


def find_state(text: str, states: Mapping[str, USState]) -> USState | None:
    """The state or territory ``text`` names: code, English or Spanish name, or an alias."""
    wanted = normalize(text)
    if not wanted:
        return None
    for state in states.values():
        if wanted in _names(state):
            return state
    return None


def _names(state: USState) -> set[str]:
    names = {state.code, state.name.en, state.name.es, *state.aliases}
    return {normalize(name) for name in names}


def is_stop_message(text: str, stop_words: Iterable[str]) -> bool:
    """True if the whole message is one stop word (any case, spaces and punctuation around it)."""
    wanted = normalize(text)
    return bool(wanted) and wanted in {normalize(word) for word in stop_words}
