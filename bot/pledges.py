"""Rules for what a supporter types during the pledge: states and stop words.

Plain functions with no Telegram or database: the handlers call them and render the answer.
The first name follows the rules every stored free text follows (:mod:`bot.freetext`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from bot.content.models import USState
from bot.matching import fold

NAME_MAX = 64  # a first name, and each part of a letter's signature


def find_state(text: str, states: Mapping[str, USState]) -> USState | None:
    """The state or territory ``text`` names: code, English or Spanish name, or an alias."""
    wanted = fold(text)
    if not wanted:
        return None
    for state in states.values():
        if wanted in _names(state):
            return state
    return None


def _names(state: USState) -> set[str]:
    names = {state.code, state.name.en, state.name.es, *state.aliases}
    return {fold(name) for name in names}


def is_stop_message(text: str, stop_words: tuple[str, ...]) -> bool:
    """True if the whole message is one stop word (any case, spaces and punctuation around it)."""
    wanted = fold(text)
    return bool(wanted) and wanted in _folded(stop_words)


@functools.lru_cache(maxsize=4)
def _folded(words: tuple[str, ...]) -> frozenset[str]:
    """The words folded, worked out once per list (every typed message is compared)."""
    return frozenset(fold(word) for word in words)
