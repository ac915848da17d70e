"""Free-text search over the fact cards, in English and Spanish.

Supporters type questions ("does 287g cause racial profiling?", "¿qué es 287(g)?",
"raciel profilng") and the bot answers with the best fact card and a few related ones.
The engine is small, dependency-free and deterministic:

* **Normalisation** (:func:`normalize`): lower case, accents stripped, punctuation to spaces,
  ``287(g)`` / ``287 g`` / ``287-g`` joined into ``287g``.
* **Tokens**: stop words of both languages are dropped (a Spanish speaker may use the English
  interface), the rest are lightly stemmed (plural ``s``/``es``/``ies``, Spanish ``-ciones``,
  English ``-ing``/``-ed``/``-ly``, a final ``a``/``e``/``o``), so ``costs``/``costo``/``cost``
  and ``profiling``/``profile`` meet.
* **Scoring**: BM25F over each fact's keywords (weighted highest), title, text and why, in both
  languages; fields in the user's language weigh a little more. Keyword and title bigrams found
  in order in the query add a phrase bonus, and so does a keyword typed word for word with its
  function words ("what is 287g", "how much does it cost").
* **Typos**: a query token that is not in the vocabulary is expanded to vocabulary words within
  Damerau-Levenshtein distance 1 (tokens of 4-7 characters) or 2 (8 or more), found through a
  positional character-trigram index bucketed by length, and to the words it starts ("deport"
  for "deportation", as typed in inline mode). Expansions count for less than exact matches
  (less still for short words or a changed first letter) and are cached. An unknown token one
  typo away from a stop word ("waht", "wat") counts as a stop word.
* **Relevance**: a fact is returned only if it explains enough of the query (weighted by the
  rarity of the words, by how well they matched, and by whether they matched a title or keyword
  rather than the body). Queries made only of stop words or unknown words return nothing, and
  so do one-word queries that only touch the body of a card.

Any string is a valid query; the work is capped (first :data:`MAX_QUERY_CHARS` characters,
:data:`MAX_QUERY_TOKENS` tokens, typo correction for the first :data:`MAX_FUZZY_TOKENS` words)
and nothing raises. Results depend only on the facts and the query, never on the cache.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from bot.content.models import Fact, Localized
from bot.matching import fold, osa_distance, typos_allowed

__all__ = ["STOP_WORDS_EN", "STOP_WORDS_ES", "KnowledgeIndex", "SearchHit", "normalize", "stem"]

# --------------------------------------------------------------------------------------------
# Tunables
# --------------------------------------------------------------------------------------------

MAX_QUERY_CHARS = 4096
"""Only this many characters of a query are looked at."""
MAX_QUERY_TOKENS = 64
"""Only this many normalised tokens of a query are looked at."""
MAX_FUZZY_LEN = 32
"""Tokens longer than this are never expanded (no real word is that long)."""
MAX_FUZZY_TOKENS = 16
"""Only the first this many content words of a query are corrected or completed."""
FUZZY_CACHE_SIZE = 4096

# Field weights (BM25F) and length normalisation.
W_KEYWORDS = 4.0
W_TITLE = 2.5
W_TEXT = 1.0
W_WHY = 0.7
B_SHORT = 0.4  # keywords, title
B_LONG = 0.75  # text, why
K1 = 1.2
OTHER_LANG = 0.85  # a match in the other language's fields counts this much
IDF_FLOOR = 0.05

# Match quality of a query token against an index term.
M_EXACT = 1.0
M_FUZZY1 = 0.75  # one typo in a word of 6+ characters
M_FUZZY1_SHORT = 0.4  # one typo in a word of 4-5 characters: often just another word
M_FUZZY2 = 0.6  # two typos (words of 8+ characters)
FIRST_LETTER = 0.5  # times the above when the first letter differs ("deport" -> "report")
M_PREFIX = 0.7

PHRASE_BONUS = 0.6  # times the mean idf of the two words, for a keyword bigram in order
TITLE_PHRASE = 0.5  # a title bigram counts this fraction of a keyword bigram
KEYPHRASE_BONUS = 0.5  # times (1 + idf of its words), for a keyword typed word for word,
# function words included ("what is 287g", "how much does it cost")
MAX_KEYPHRASE = 8  # longest keyword phrase (in tokens) looked for word for word

# Relevance.
BODY_ONLY = 0.4  # a word found only in a fact's text/why explains this much of itself
UNKNOWN_WEIGHT = 0.5  # an unknown query word weighs this fraction of the rarest word's idf
COVER_FLOOR = 0.25  # a known word weighs at least this fraction of it (287g is in every card)
MIN_QUERY_COVERAGE = 0.45  # the best fact must explain this much of the query ...
MIN_FACT_COVERAGE = 0.25  # ... every returned fact at least this much ...
MIN_RELATIVE_SCORE = 0.2  # ... and score at least this fraction of the best one.

# --------------------------------------------------------------------------------------------
# Stop words
# --------------------------------------------------------------------------------------------

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
    many lot lots kind sort regarding re
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
    cosas acerca respecto
"""
STOP_WORDS_ES: frozenset[str] = frozenset(_ES_WORDS.split())
"""Spanish stop words (accents stripped): function words, question words, greetings, filler."""

_STOP_WORDS: frozenset[str] = STOP_WORDS_EN | STOP_WORDS_ES

# --------------------------------------------------------------------------------------------
# Normalisation and stemming
# --------------------------------------------------------------------------------------------

# A number followed by a lone consonant: "287 g" (from "287(g)", "287-g", "287 g") -> "287g".
# Vowels and "y" are left alone: they are words in Spanish/English ("de 5 a 10", "3 y 4").
_NUMBER_LETTER = re.compile(r"(\d) ([b-df-hj-np-tv-xz])(?= |$)")


def normalize(text: str) -> str:
    """``text`` folded (:func:`bot.matching.fold`: lower case, no accents, punctuation as
    spaces), with ``287(g)``, ``287 (G)``, ``287-g`` and ``287 g`` all made ``287g``."""
    return _NUMBER_LETTER.sub(r"\1\2", fold(text))


def stem(token: str) -> str:
    """A light, language-agnostic stem of a normalised token (same rules for index and query).

    Plurals (``s``, ``es``, ``ies``), Spanish ``-ciones``, English ``-ing``, ``-ed`` and ``-ly``
    and a final ``a``/``e``/``o`` are removed, never below three characters; tokens containing
    anything but letters (``287g``) are left alone.
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
    if t.endswith("ing") and len(t) >= 6:
        t = t[:-3]
    elif t.endswith(("ed", "ly")) and len(t) >= 6:
        t = t[:-2]
    if len(t) >= 4 and t[-1] in "aeo":
        t = t[:-1]
    return t


def _content_tokens(text: str) -> list[tuple[str, str]]:
    """(surface, stem) pairs of the words of ``text`` that are not stop words."""
    out: list[tuple[str, str]] = []
    for tok in normalize(text).split():
        if len(tok) < 2 or tok in _STOP_WORDS:
            continue
        out.append((tok, stem(tok)))
    return out


def _positional_trigrams(word: str) -> list[tuple[str, int]]:
    """The trigrams of ``^word$`` with their positions."""
    padded = f"^{word}$"
    return [(padded[i : i + 3], i) for i in range(len(padded) - 2)]


def _max_typos(token: str) -> int:
    return 0 if len(token) > MAX_FUZZY_LEN else typos_allowed(len(token))


_STOP_BY_LEN: dict[int, tuple[str, ...]] = {}
for _w in sorted(_STOP_WORDS):
    _STOP_BY_LEN[len(_w)] = (*_STOP_BY_LEN.get(len(_w), ()), _w)


@lru_cache(maxsize=4096)
def _is_stop_typo(token: str) -> bool:
    """Whether ``token`` is one typo away from a stop word ("waht", "wat", "porqe").

    Three-letter tokens must also keep the stop word's first letter.
    """
    if not 3 <= len(token) <= 12:
        return False
    for n in (len(token) - 1, len(token), len(token) + 1):
        for word in _STOP_BY_LEN.get(n, ()):
            if len(word) < 3 or (len(token) == 3 and word[0] != token[0]):
                continue
            if osa_distance(token, word, 1) <= 1:
                return True
    return False


# --------------------------------------------------------------------------------------------
# Index
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One search result: a fact and its relevance score (higher is better)."""

    fact_id: str
    score: float


@dataclass(frozen=True, slots=True)
class _Postings:
    """The facts that contain one index term, as parallel tuples."""

    facts: tuple[int, ...]
    score_en: tuple[float, ...]  # BM25F contribution for an English-speaking user
    score_es: tuple[float, ...]  # ... for a Spanish-speaking user
    cover: tuple[float, ...]  # 1.0 if the term is in the fact's title/keywords, else BODY_ONLY
    strong: bool  # the term is in some fact's title or keywords


Expansion = tuple[tuple[str, float], ...]  # (stem, match quality), best first

_FIELDS: tuple[tuple[str, float, float, bool], ...] = (
    # name, weight, length normalisation b, strong (title/keywords)
    ("keywords", W_KEYWORDS, B_SHORT, True),
    ("title", W_TITLE, B_SHORT, True),
    ("text", W_TEXT, B_LONG, False),
    ("why", W_WHY, B_LONG, False),
)


def _field_pieces(fact: Fact, field: str, lang: str) -> tuple[str, ...]:
    if field == "keywords":
        return fact.keywords.get(lang)
    value: Localized = getattr(fact, field)
    return (value.get(lang),)


class KnowledgeIndex:
    """An immutable search index over fact cards; :meth:`search` is cheap and never raises."""

    def __init__(self, facts: Iterable[Fact]) -> None:
        fact_list: list[Fact] = []
        seen: set[str] = set()
        for fact in facts:
            if fact.id not in seen:
                seen.add(fact.id)
                fact_list.append(fact)
        self._ids: list[str] = [fact.id for fact in fact_list]
        n = self._n = len(fact_list)

        # Pass 1: tokens of every field, per language; phrases for the bonuses.
        memo: dict[str, str] = {}  # surface -> stem ("" for stop words and single letters)
        fields: list[tuple[int, int, int, list[str]]] = []  # (fact, field no., lang no., stems)
        length_sum = [[0, 0] for _ in _FIELDS]
        bigrams: dict[tuple[str, str], dict[int, float]] = {}
        keyphrases: dict[tuple[str, ...], list[int]] = {}
        for idx, fact in enumerate(fact_list):
            for fno, (fname, _, _, strong) in enumerate(_FIELDS):
                for lno, lang in enumerate(("en", "es")):
                    stems: list[str] = []
                    for piece in _field_pieces(fact, fname, lang):
                        words = normalize(piece).split()
                        for word in words:
                            if word not in memo:
                                stop = len(word) < 2 or word in _STOP_WORDS
                                memo[word] = "" if stop else stem(word)
                        phrase = [memo[w] for w in words if memo[w]]
                        stems.extend(phrase)
                        if not strong:
                            continue
                        weight = 1.0 if fname == "keywords" else TITLE_PHRASE
                        for pair in pairwise(phrase):
                            owners = bigrams.setdefault(pair, {})
                            if owners.get(idx, 0.0) < weight:
                                owners[idx] = weight
                        if (
                            fname == "keywords"
                            and 2 <= len(words) <= MAX_KEYPHRASE
                            and len(phrase) < len(words)  # holds a function word
                        ):
                            spelled = tuple(memo[w] or stem(w) for w in words)
                            holders = keyphrases.setdefault(spelled, [])
                            if idx not in holders:
                                holders.append(idx)
                    if stems:
                        fields.append((idx, fno, lno, stems))
                        length_sum[fno][lno] += len(stems)

        # Pass 2: BM25F term frequencies, term -> fact -> [tf_en, tf_es, strong].
        acc: dict[str, dict[int, list[float]]] = {}
        for idx, fno, lno, stems in fields:
            _, weight, b, strong = _FIELDS[fno]
            avg = length_sum[fno][lno] / n
            norm = weight / (1.0 - b + b * len(stems) / avg)
            for term, count in Counter(stems).items():
                slot = acc.setdefault(term, {}).get(idx)
                if slot is None:
                    slot = acc[term][idx] = [0.0, 0.0, 0.0]
                slot[lno] += norm * count
                if strong:
                    slot[2] = 1.0

        self._idf: dict[str, float] = {}
        self._cover: dict[str, float] = {}  # weight of a term in the coverage test
        self._postings: dict[str, _Postings] = {}
        max_idf = math.log(1.0 + (n - 0.5) / 1.5) if n else 1.0
        self._unknown_weight = UNKNOWN_WEIGHT * max_idf
        k1 = K1
        for term, by_fact in acc.items():
            df = len(by_fact)
            idf = max(math.log(1.0 + (n - df + 0.5) / (df + 0.5)), IDF_FLOOR)
            self._idf[term] = idf
            self._cover[term] = max(idf, COVER_FLOOR * max_idf)
            tf_en = [w_en + OTHER_LANG * w_es for w_en, w_es, _ in by_fact.values()]
            tf_es = [w_es + OTHER_LANG * w_en for w_en, w_es, _ in by_fact.values()]
            flags = [flag for _, _, flag in by_fact.values()]
            self._postings[term] = _Postings(
                facts=tuple(by_fact),
                score_en=tuple(idf * tf * (k1 + 1.0) / (tf + k1) for tf in tf_en),
                score_es=tuple(idf * tf * (k1 + 1.0) / (tf + k1) for tf in tf_es),
                cover=tuple(1.0 if flag else BODY_ONLY for flag in flags),
                strong=any(flags),
            )
        self._bigrams = bigrams
        self._keyphrases = keyphrases
        self._keyphrase_lengths = sorted({len(k) for k in keyphrases})

        # Typo tolerance: surfaces bucketed by length, with a positional trigram index per
        # bucket ((trigram, position) -> surfaces), and a sorted list for prefixes.
        self._surface_stem = {word: st for word, st in memo.items() if st}
        self._sorted_surfaces = sorted(self._surface_stem)
        self._trigram_index: dict[int, dict[tuple[str, int], list[str]]] = {}
        for surface in self._sorted_surfaces:
            if len(surface) < 3 or len(surface) > MAX_FUZZY_LEN + 2:
                continue
            bucket = self._trigram_index.setdefault(len(surface), {})
            for gram in _positional_trigrams(surface):
                bucket.setdefault(gram, []).append(surface)
        self._expansions: dict[str, Expansion] = {}

    # ----------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._n

    def search(self, query: str, lang: str, limit: int = 4) -> list[SearchHit]:
        """The facts that best answer ``query``, best first; ``[]`` if nothing is relevant.

        ``lang`` is the user's language ("es" or anything else for English): matches in that
        language's fields weigh a little more. At most ``limit`` hits are returned.
        """
        if limit <= 0 or self._n == 0 or not isinstance(query, str):
            return []
        tokens = normalize(query[:MAX_QUERY_CHARS]).split()[:MAX_QUERY_TOKENS]
        spanish = lang == "es"

        sequence: list[Expansion] = []  # expansions of the content tokens, in query order
        seen: set[str] = set()
        unique: list[Expansion] = []
        denominator = 0.0
        content_words = 0
        for tok in tokens:
            if len(tok) < 2 or tok in _STOP_WORDS:
                continue
            content_words += 1
            if content_words <= MAX_FUZZY_TOKENS:
                expansion = self._expand(tok)
            else:  # bounded work for long queries: exact matches only
                exact = stem(tok)
                expansion = ((exact, M_EXACT),) if exact in self._postings else ()
            if not expansion:
                if tok in seen:
                    continue
                seen.add(tok)
                if _is_stop_typo(tok):
                    continue
                denominator += self._unknown_weight * (0.5 if len(tok) <= 3 else 1.0)
                continue
            sequence.append(expansion)
            key = expansion[0][0]
            if key in seen:
                continue
            seen.add(key)
            unique.append(expansion)
            denominator += max(self._cover[term] for term, _ in expansion)
        if not unique or denominator <= 0.0:
            return []

        scores: dict[int, float] = {}
        coverage: dict[int, float] = {}
        for expansion in unique:
            if len(expansion) == 1:  # the common case: one exact term, no maximum to take
                term, quality = expansion[0]
                post = self._postings[term]
                weight = quality * self._cover[term]
                values = post.score_es if spanish else post.score_en
                for fact, value, cover in zip(post.facts, values, post.cover, strict=True):
                    scores[fact] = scores.get(fact, 0.0) + quality * value
                    coverage[fact] = coverage.get(fact, 0.0) + weight * cover
                continue
            best_score: dict[int, float] = {}
            best_cover: dict[int, float] = {}
            for term, quality in expansion:
                post = self._postings[term]
                weight = quality * self._cover[term]
                values = post.score_es if spanish else post.score_en
                for fact, value, cover in zip(post.facts, values, post.cover, strict=True):
                    if quality * value > best_score.get(fact, 0.0):
                        best_score[fact] = quality * value
                    if weight * cover > best_cover.get(fact, 0.0):
                        best_cover[fact] = weight * cover
            for fact, value in best_score.items():
                scores[fact] = scores.get(fact, 0.0) + value
            for fact, value in best_cover.items():
                coverage[fact] = coverage.get(fact, 0.0) + value

        for left, right in pairwise(sequence):
            bonus: dict[int, float] = {}
            for a, qa in left[:3]:
                for b, qb in right[:3]:
                    facts = self._bigrams.get((a, b))
                    if not facts:
                        continue
                    base = PHRASE_BONUS * qa * qb * (self._idf[a] + self._idf[b]) / 2.0
                    for fact, weight in facts.items():
                        if base * weight > bonus.get(fact, 0.0):
                            bonus[fact] = base * weight
            for fact, value in bonus.items():
                if fact in scores:
                    scores[fact] += value

        if self._keyphrases:
            self._add_keyphrase_bonus([stem(tok) for tok in tokens], scores)

        best_coverage = max(coverage.values(), default=0.0) / denominator
        if best_coverage < MIN_QUERY_COVERAGE:
            return []
        ranked = sorted(
            (fact for fact in scores if coverage[fact] / denominator >= MIN_FACT_COVERAGE),
            key=lambda fact: (-scores[fact], fact),
        )
        if not ranked:
            return []
        floor = scores[ranked[0]] * MIN_RELATIVE_SCORE
        return [
            SearchHit(self._ids[fact], round(scores[fact], 6))
            for fact in ranked[:limit]
            if scores[fact] >= floor
        ]

    # ----------------------------------------------------------------------------------------

    def _add_keyphrase_bonus(self, stems: list[str], scores: dict[int, float]) -> None:
        """Reward facts with a keyword the query contains word for word, function words too."""
        bonus: dict[int, float] = {}
        for length in self._keyphrase_lengths:
            for start in range(len(stems) - length + 1):
                phrase = tuple(stems[start : start + length])
                owners = self._keyphrases.get(phrase)
                if not owners:
                    continue
                weight = 1.0 + sum(self._idf.get(word, 0.0) for word in phrase)
                value = KEYPHRASE_BONUS * weight
                for fact in owners:
                    if value > bonus.get(fact, 0.0):
                        bonus[fact] = value
        for fact, value in bonus.items():
            if fact in scores:
                scores[fact] += value

    def _expand(self, token: str) -> Expansion:
        """Index terms a query token stands for, best first.

        A known word stands for itself (exact) and, if it is no title or keyword word, for the
        longer words it starts ("deport" for "deportation", as typed in inline mode); an
        unknown word for its nearest spellings and the words it starts. Results are cached.
        """
        cached = self._expansions.get(token)
        if cached is not None:
            return cached
        found: dict[str, float] = {}
        st = stem(token)
        postings = self._postings.get(st)
        if postings is not None:
            found[st] = M_EXACT
            # A body-only word may be the start of a keyword the user has not finished typing.
            body_only = not postings.strong
            candidates = self._prefixed(token) if body_only and len(token) >= 5 else []
        else:
            candidates = [*self._fuzzy(token), *self._prefixed(token)]
        for surface, quality in candidates:
            term = self._surface_stem[surface]
            if quality > found.get(term, 0.0):
                found[term] = quality
        result: Expansion = tuple(
            sorted(found.items(), key=lambda item: (-item[1], -self._idf[item[0]], item[0]))
        )
        if len(self._expansions) >= FUZZY_CACHE_SIZE:
            del self._expansions[next(iter(self._expansions))]
        self._expansions[token] = result
        return result

    def _fuzzy(self, token: str) -> list[tuple[str, float]]:
        """Surfaces at the smallest Damerau-Levenshtein distance (within the allowance)."""
        max_d = _max_typos(token)
        if max_d == 0:
            return []
        grams = _positional_trigrams(token)
        # d edits change at most 4d trigrams and shift the others by at most d positions.
        needed = max(1, len(grams) - 4 * max_d)
        best_d = max_d + 1
        best: list[str] = []
        n = len(token)
        for length in range(n - max_d, n + max_d + 1):
            bucket = self._trigram_index.get(length)
            if not bucket:
                continue
            shared: dict[str, int] = {}
            for gram, pos in grams:
                for shift in range(pos - max_d, pos + max_d + 1):
                    for surface in bucket.get((gram, shift), ()):
                        shared[surface] = shared.get(surface, 0) + 1
            for surface, count in shared.items():
                if count < needed:
                    continue
                d = osa_distance(token, surface, min(max_d, best_d))
                if d < best_d:
                    best_d, best = d, [surface]
                elif d == best_d:
                    best.append(surface)
        if best_d > max_d:
            return []
        quality = M_FUZZY2 if best_d >= 2 else M_FUZZY1 if n >= 6 else M_FUZZY1_SHORT
        out: list[tuple[str, float]] = []
        for surface in sorted(best)[:8]:
            same_start = surface[0] == token[0] or surface[:2] == token[1::-1]
            out.append((surface, quality if same_start else quality * FIRST_LETTER))
        return out

    def _prefixed(self, token: str) -> list[tuple[str, float]]:
        """Up to six shortest vocabulary surfaces that ``token`` (4+ letters or a number) starts."""
        has_digit = any(c.isdigit() for c in token)
        if len(token) > MAX_FUZZY_LEN or len(token) < (3 if has_digit else 4):
            return []
        words: list[str] = []
        start = bisect_left(self._sorted_surfaces, token)
        for surface in self._sorted_surfaces[start : start + 64]:
            if not surface.startswith(token):
                break
            if surface != token:
                words.append(surface)
        words.sort(key=lambda w: (len(w), w))
        return [(w, M_PREFIX) for w in words[:6]]


_SPANISH_MARKS = frozenset("¿¡ñÑáéíóúÁÉÍÓÚü")


def query_language(query: str, default: str = "en") -> str:
    """The language a short query is most likely in: Spanish punctuation, letters and
    function words count for Spanish, English function words for English."""
    text = query[:256]
    spanish = sum(ch in _SPANISH_MARKS for ch in text)
    english = 0
    for token in normalize(text).split():
        if token in STOP_WORDS_ES and token not in STOP_WORDS_EN:
            spanish += 1
        elif token in STOP_WORDS_EN and token not in STOP_WORDS_ES:
            english += 1
    if spanish > english:
        return "es"
    if english > spanish:
        return "en"
    return default
