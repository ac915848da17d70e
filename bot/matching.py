"""How what someone typed is compared with what the bot knows: folding and typos.

One rule serves every such comparison — the words of a question and the facts' vocabulary,
a state or a stop word in the pledge, a sensitive word in a letter, a county or city name:

* :func:`fold` makes two spellings that differ only in case, accents, punctuation or spacing
  the same text ("¿Qué  es?" and "que es");
* :func:`osa_distance` counts the typos between two folded words (an insertion, a deletion, a
  substitution or two neighbouring letters swapped each count one), and :func:`typos_allowed`
  says how many a word of a given length may have and still be recognised.

Plain functions of text: no content, no Telegram, no state.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fold", "osa_distance", "typos_allowed"]

_NON_WORD = re.compile(r"[\W_]+")
_COMBINING_LATIN = re.compile("[\u0300-\u036f]+")  # the accents of Latin letters, after NFKD


def fold(text: str) -> str:
    """Lower case, accents stripped, punctuation as spaces, spaces collapsed.

    "¡Condado  de Doña Ana!" -> "condado de dona ana". Compatibility forms (fullwidth and
    mathematical letters, ligatures) become their plain letters first.
    """
    if text.isascii():
        folded = text.lower()
    else:
        # Compatibility forms first, then case, then accents (casefolding may make new ones).
        folded = unicodedata.normalize("NFKD", text).casefold()
        folded = _COMBINING_LATIN.sub("", unicodedata.normalize("NFKD", folded))
        if not folded.isascii():
            folded = "".join(c for c in folded if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", folded).strip()


def typos_allowed(length: int) -> int:
    """Typos a word of ``length`` letters may have: none below 4, one up to 7, two beyond."""
    if length < 4:
        return 0
    return 1 if length <= 7 else 2


def osa_distance(a: str, b: str, max_d: int) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, or ``max_d + 1`` if larger."""
    if abs(len(a) - len(b)) > max_d:
        return max_d + 1
    # A common prefix and suffix cost nothing; strip them to keep the table small.
    start = 0
    end = min(len(a), len(b))
    while start < end and a[start] == b[start]:
        start += 1
    a, b = a[start:], b[start:]
    while a and b and a[-1] == b[-1]:
        a, b = a[:-1], b[:-1]
    la, lb = len(a), len(b)
    if la == 0 or lb == 0:
        return la + lb if la + lb <= max_d else max_d + 1
    if max_d == 1:  # both ends now differ: one edit is a substitution or a transposition
        one = (la == lb == 1) or (la == lb == 2 and a == b[::-1])
        return 1 if one else 2
    prev2: list[int] = []
    prev = list(range(lb + 1))
    for i in range(1, la + 1):
        ai = a[i - 1]
        cur = [i] + [0] * lb
        row_min = i
        for j in range(1, lb + 1):
            bj = b[j - 1]
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ai != bj))
            if i > 1 and j > 1 and ai == b[j - 2] and a[i - 2] == bj:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
            if v < row_min:
                row_min = v
        if row_min > max_d:
            return max_d + 1
        prev2, prev = prev, cur
    return min(prev[lb], max_d + 1)  # the last row can end above a bound its minimum was within
