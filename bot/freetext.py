"""The one rule set for free text a person types and the bot keeps.

A first name for the pledge, the sender's own words in a letter, the name and the place a letter
is signed with: every free-text answer the bot stores goes through :func:`check_free_text`, so
they all refuse the same things for the same reasons:

* text with no visible character — empty, white space only, or only invisible characters such as
  zero-width spaces (it would show as nothing, or as a blank signature);
* bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069), which
  make text display in a different order than it was typed ("Trojan Source");
* other control characters (line breaks and tabs are folded into spaces in one-line text and
  kept in multi-line text);
* more characters than the field allows.

Zero-width joiners and non-joiners inside real text are fine (emoji sequences, Persian, Indic
scripts use them), and so are the left-to-right and right-to-left marks that RTL names need.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

TextProblem = Literal["empty", "too_long", "invalid"]

# Embeddings and overrides (LRE RLE PDF LRO RLO) and isolates (LRI RLI FSI PDI).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Line breaks and tabs: kept in multi-line text, folded into one space in one-line text.
MULTILINE_CONTROLS = frozenset("\n\t")
SINGLE_LINE_CONTROLS = frozenset("\n\t\r")
# Characters that show as nothing although Unicode calls them letters or symbols.
BLANK_LOOKALIKES = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Mn", "Me", "Zs", "Zl", "Zp"})


@dataclass(frozen=True, slots=True)
class TextCheck:
    """The text to store (``text``), or why there is none (``problem``); ``length`` is the
    length that was measured, so a refusal can say how long the text was."""

    text: str | None
    problem: TextProblem | None = None
    length: int = 0


def check_free_text(typed: str, max_length: int, *, multiline: bool = False) -> TextCheck:
    """Check free text against the shared rules.

    Single-line text (names, places) has its runs of white space folded into one space;
    multi-line text (the sender's own words) is kept exactly as typed. HTML is fine: it is
    escaped wherever it is shown.
    """
    stripped = typed.strip()
    if not stripped:
        return TextCheck(None, "empty")
    allowed = MULTILINE_CONTROLS if multiline else SINGLE_LINE_CONTROLS
    if any(_is_forbidden(ch, allowed) for ch in stripped):
        return TextCheck(None, "invalid")
    if all(_is_invisible(ch) for ch in stripped):
        return TextCheck(None, "empty")
    text = typed if multiline else " ".join(typed.split())
    if len(text) > max_length:
        return TextCheck(None, "too_long", len(text))
    return TextCheck(text, None, len(text))


def _is_forbidden(ch: str, allowed: frozenset[str]) -> bool:
    if ch in BIDI_CONTROLS:
        return True
    return unicodedata.category(ch) == "Cc" and ch not in allowed


def _is_invisible(ch: str) -> bool:
    return (
        ch.isspace() or ch in BLANK_LOOKALIKES or unicodedata.category(ch) in _INVISIBLE_CATEGORIES
    )
