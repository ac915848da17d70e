"""How what someone typed is compared with what the bot knows: folding, words and typos.

One set of rules serves every such comparison — the words of a question and the facts'
vocabulary, a state or a stop word in the pledge, a sensitive word in a letter, a county or
city name, and the content checks that must see words as the search sees them:

* :func:`fold` makes two spellings that differ only in case, accents, punctuation or spacing
  the same text ("¿Qué  es?" and "que es");
* :func:`normalize` is the search's form of a text: folded, with ``287(g)`` written ``287g``;
  :func:`stem` is a word's light stem, and :data:`STOP_WORDS_EN` and :data:`STOP_WORDS_ES` the
  words a question is not about;
* :func:`osa_distance` counts the typos between two folded words (an insertion, a deletion, a
  substitution or two neighbouring letters swapped each count one), and :func:`typos_allowed`
  says how many a word of a given length may have and still be recognised.

Plain functions of text: no content, no Telegram, no state.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = [
    "STOP_WORDS_EN",
    "STOP_WORDS_ES",
    "fold",
    "normalize",
    "osa_distance",
    "stem",
    "typos_allowed",
]

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


# -- the search's words ----------------------------------------------------------------------

_EN_WORDS = """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can cannot could did do does doing done down during each
    either else ever few for from further get gets getting give go goes going got had has have
    having he her here hers herself him himself his how i if in into is it its itself just let
    lets like me mean means meant more most much must my myself no nor not of off on once
    only or other our ours ourselves out over own please same say says said shall she should
    so some such tell telling than that thats the their theirs them themselves then there these
    they this those through to too under until up upon us very was we were what whats when
    where which while who whom whose why will with would yes yet you your yours yourself
    yourselves im ive id youre dont doesnt didnt isnt arent wasnt cant wont hi hello hey hiya
    thanks thank thx ok okay pls plz know want wanna need explain explanation info information
    question questions answer really actually something anything thing things way whether
    many lot lots kind sort regarding re even anyway btw lol um uh hmm
"""
STOP_WORDS_EN: frozenset[str] = frozenset(_EN_WORDS.split())
"""English stop words: function words, question words, greetings and filler."""

_ES_WORDS = """
    a al algo algun alguna algunas alguno algunos ante antes aqui asi aun bien cada como con
    contra cual cuales cualquier cuando cuanto cuanta cuantos cuantas de del desde donde dos
    durante e el ella ellas ello ellos en entre era eran es esa esas ese eso esos esta estaba
    estan estar estas este esto estos fue fueron ha haber hace hacen hacer han has hay he hemos
    la las le les lo los mas me mi mis mucho muchos muy nada ni no nos nosotros nuestra nuestro
    o os otra otro otros para pero poco por porque puede pueden pues que quien quienes se sea
    ser si sido sin sobre solo son su sus tal tambien tan tanto te tiene tienen toda todo todos
    tu tus u un una unas uno unos usted ustedes vos y ya yo hola buenas buenos dias tardes
    noches gracias favor dime dinos digame decir quiero quisiera saber sabes significa
    significado explica explicame informacion info pregunta preguntas respuesta oye vale cosa
    cosas acerca respecto bueno osea
"""
STOP_WORDS_ES: frozenset[str] = frozenset(_ES_WORDS.split())
"""Spanish stop words (accents stripped): function words, question words, greetings, filler."""

# A number followed by a lone consonant: "287 g" (from "287(g)", "287-g", "287 g") -> "287g".
# Vowels and "y" are left alone: they are words in Spanish/English ("de 5 a 10", "3 y 4").
_NUMBER_LETTER = re.compile(r"(\d) ([b-df-hj-np-tv-xz])(?= |$)")


def normalize(text: str) -> str:
    """``text`` folded (:func:`bot.matching.fold`: lower case, no accents, punctuation as
    spaces), with ``287(g)``, ``287 (G)``, ``287-g`` and ``287 g`` all made ``287g``."""
    return _NUMBER_LETTER.sub(r"\1\2", fold(text))


# A pronoun joined to a Spanish infinitive: "involucrarme", "compartirlo" (plural "s" gone).
_ENCLITIC = re.compile(r"([aei]r)(?:me|te|se|lo|la|le|no)$")


@lru_cache(maxsize=16384)
def stem(token: str) -> str:
    """A light, language-agnostic stem of a normalised token (same rules for index and query).

    Plurals (``s``, ``es``, ``ies``), Spanish ``-ciones``, a pronoun joined to a Spanish
    infinitive and its ``-ar``/``-ir`` ("compartirlo", "compartir", "comparto" meet), English
    ``-ing``, ``-ed`` and ``-ly`` and a final ``a``/``e``/``o`` are removed, never below three
    characters; tokens containing anything but letters (``287g``) are left alone.
    """
    if len(token) <= 3 or not token.isalpha():
        return token
    t = token
    if t.endswith("ciones"):
        t = t[:-6] + "cion"
    elif t.endswith("ies") and len(t) > 4:
        t = t[:-3] + "y"
    elif t.endswith("s") and not t.endswith(("ss", "us", "is")):
        t = t[:-1]
    if len(t) >= 7 and _ENCLITIC.search(t):
        t = _ENCLITIC.sub(r"\1", t)
    if t.endswith(("ar", "ir")) and len(t) >= 6:
        return t[:-2]
    if t.endswith("ing") and len(t) >= 6:
        t = t[:-3]
    elif t.endswith(("ed", "ly")) and len(t) >= 6:
        t = t[:-2]
    if len(t) >= 4 and t[-1] in "aeo":
        t = t[:-1]
    return t


# -- typos -----------------------------------------------------------------------------------


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
