"""Free-text search over the fact cards and the journey answers, in English and Spanish.

Supporters type questions ("does 287g cause racial profiling?", "¿qué es 287(g)?",
"raciel profilng", "ke puedo aser") and the bot answers with the best fact card and a few
related ones, or with an answer that opens a journey ("what can i do" → the comment guide, the
pledge, share). Cards and answers compete in one index, so the best match wins; an answer is
found by its keywords alone. The engine is small, dependency-free and deterministic:

* **Normalisation** (:func:`bot.matching.normalize`): lower case, accents stripped,
  punctuation to spaces, ``287(g)`` / ``287 g`` / ``287-g`` joined into ``287g``. In a query,
  chat spellings of function words are read as the words ("q"/"ke" → "que", "xq" → "porque",
  "u" → "you").
* **Tokens** (:mod:`bot.matching`): stop words of both languages are dropped (a Spanish
  speaker may use the English interface), the rest are lightly stemmed (plural
  ``s``/``es``/``ies``, Spanish ``-ciones``, English ``-ing``/``-ed``/``-ly``, a final
  ``a``/``e``/``o``), so ``costs``/``costo``/``cost`` and ``profiling``/``profile`` meet.
* **Scoring**: BM25F over each fact's keywords (weighted highest), title, text and why, in both
  languages; fields in the user's language weigh a little more. Keyword and title bigrams found
  in order in the query add a phrase bonus, and so does a keyword typed word for word with its
  function words ("what is 287g", "how much does it cost").
* **Typos**: a query token that is not in the vocabulary is expanded to vocabulary words within
  Damerau-Levenshtein distance 1 (tokens of 4-7 characters) or 2 (8 or more), found through a
  positional character-trigram index bucketed by length, and to the words it starts ("deport"
  for "deportation", as typed in inline mode). Expansions count for less than exact matches
  (less still for short words or a changed first letter) and are cached. Words spelled by ear
  meet through a Spanish sound key (:func:`sound_key`: silent "h", c/s/z, b/v, ll/y, qu/k,
  doubled letters), so "yamar" finds "llamar" and "confiansa" "confianza". An unknown token
  that sounds like a stop word ("aser", "kien") or is one typo away from one ("waht", "wat")
  counts as that stop word.
* **Synonyms** from the content ("cops" → "police", "migra" → "ice"): a query word stands
  for its synonym too, at a little less than an exact match.
* **Function phrases**: a keyword made only of function words ("what can i do", "thank you",
  "hola") is found when the query holds it word for word (stop-word typos corrected); a
  one-word one only when the query has no other known word ("hi", but not "hi, is ICE here?").
  It weighs like rare words, more the longer it is.
* **Relevance**: a fact is returned only if it explains enough of the query (weighted by the
  rarity of the words, by how well they matched, and by whether they matched a title or keyword
  rather than the body). Queries made only of stop words (unless they hold a function phrase)
  or unknown words return nothing, and so do one-word queries that only touch the body of a
  card.

Any string is a valid query; the work is capped (first :data:`MAX_QUERY_CHARS` characters,
:data:`MAX_QUERY_TOKENS` tokens, typo correction for the first :data:`MAX_FUZZY_TOKENS` words)
and nothing raises. Results depend only on the facts and the query, never on the cache.
"""

from __future__ import annotations

import heapq
import math
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from bot.content.models import Answer, Fact, Localized
from bot.matching import (
    STOP_WORDS_EN,
    STOP_WORDS_ES,
    normalize,
    osa_distance,
    stem,
    typos_allowed,
)

__all__ = [
    "ANSWER",
    "FACT",
    "KnowledgeIndex",
    "SearchHit",
    "sound_key",
]

FACT = "fact"
"""The kind of a hit that is a fact card."""
ANSWER = "answer"
"""The kind of a hit that is an answer opening a journey."""

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
M_SOUND = 0.7  # spelled by ear: the same Spanish sound key ("yamar" -> "llamar")
M_SYNONYM = 0.9  # a word the content names as another's synonym ("cops" -> "police")

PHRASE_BONUS = 0.6  # times the mean idf of the two words, for a keyword bigram in order
TITLE_PHRASE = 0.5  # a title bigram counts this fraction of a keyword bigram
KEYPHRASE_BONUS = 0.5  # times (1 + idf of its words), for a keyword typed word for word,
# function words included ("what is 287g", "how much does it cost")
MAX_KEYPHRASE = 8  # longest keyword phrase (in tokens) looked for word for word
FUNCTION_PHRASE_WEIGHT = 0.5  # per word, times the phrase's idf: a keyword of function words
# only ("what can i do"), in the query's weight and in its owners' coverage ...
FUNCTION_PHRASE_SCORE = 1.5  # ... and this times that in its owners' score

# Relevance.
BODY_ONLY = 0.4  # a word found only in a fact's text/why explains this much of itself
PHRASE_PART = 0.6  # ... one found only inside longer keywords ("order" of "executive order"),
# this much, unless the query also holds another word of such a keyword
UNKNOWN_WEIGHT = 0.7  # an unknown query word weighs this fraction of the rarest word's idf
COVER_FLOOR = 0.25  # a known word weighs at least this fraction of it (287g is in every card)
MIN_QUERY_COVERAGE = 0.45  # the best fact must explain this much of the query ...
MIN_FACT_COVERAGE = 0.25  # ... every returned fact at least this much ...
MIN_RELATIVE_SCORE = 0.2  # ... and score at least this fraction of the best one.

# --------------------------------------------------------------------------------------------
# Stop words and chat spellings
# --------------------------------------------------------------------------------------------

_STOP_WORDS: frozenset[str] = STOP_WORDS_EN | STOP_WORDS_ES

# Politeness that does not change what a query asks ("help please", "ayuda por favor").
_POLITE = frozenset({"please", "por", "favor"})
_REPEATS = re.compile(r"(.)\1+")

# Chat spellings of function words, read as the words in a query ("ke puedo hacer").
_CHAT_SPELLINGS: dict[str, str] = {
    # Spanish
    "q": "que", "k": "que", "ke": "que", "qe": "que", "xq": "porque", "pq": "porque",
    "porq": "porque", "x": "por", "d": "de", "tb": "tambien", "tmb": "tambien",
    "pa": "para", "ta": "esta", "porfa": "favor", "xfa": "favor",
    # English
    "u": "you", "r": "are", "ur": "your", "bc": "because", "cuz": "because", "coz": "because",
    "abt": "about", "w": "with", "wat": "what", "wut": "what", "hw": "how", "cn": "can",
    "n": "and", "plz": "please", "pls": "please",
}  # fmt: skip

# --------------------------------------------------------------------------------------------
# Words spelled by ear
# --------------------------------------------------------------------------------------------

# The Spanish sound key: digraphs first ("ch", and "sh" as often typed for it, are kept; "qu"
# and "gu" before e/i are a hard k and g), then soft c and g, "ll" as "y", "y" before no vowel
# as "i", one letter per sound, no silent "h", no doubled letters.
_SOUND_DIGRAPHS: tuple[tuple[str, str], ...] = (
    ("ch", "\x01"), ("sh", "\x01"), ("que", "ke"), ("qui", "ki"), ("gue", "\x02e"),
    ("gui", "\x02i"), ("ge", "je"), ("gi", "ji"), ("ce", "se"), ("ci", "si"), ("ll", "y"),
)  # fmt: skip
_SOUND_LETTERS = str.maketrans({"c": "k", "q": "k", "z": "s", "x": "s", "v": "b", "h": None})
_Y_AS_I = re.compile(r"y(?![aeiou])")


@lru_cache(maxsize=8192)
def sound_key(token: str) -> str:
    """How a normalised word is heard in Spanish spelling, for words spelled by ear.

    "aser" and "hacer", "kien" and "quien", "yamar" and "llamar", "confiansa" and "confianza",
    "holaa" and "hola" share a key. Tokens with anything but letters are their own key.
    """
    if not token.isalpha():
        return token
    key = token
    for spelled, heard in _SOUND_DIGRAPHS:
        if spelled in key:
            key = key.replace(spelled, heard)
    key = _Y_AS_I.sub("i", key).translate(_SOUND_LETTERS)
    return _REPEATS.sub(r"\1", key).replace("\x01", "ch").replace("\x02", "g")


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
_STOP_BY_SOUND: dict[str, tuple[str, ...]] = {}
for _w in sorted(_STOP_WORDS):
    _STOP_BY_LEN[len(_w)] = (*_STOP_BY_LEN.get(len(_w), ()), _w)
    if len(_w) >= 2:
        _STOP_BY_SOUND[sound_key(_w)] = (*_STOP_BY_SOUND.get(sound_key(_w), ()), _w)


def _stop_sounds(token: str) -> tuple[str, ...]:
    """The stop words ``token`` is heard as ("aser" → "hacer", "kien" → "quien")."""
    return _STOP_BY_SOUND.get(sound_key(token), ()) if len(token) >= 2 else ()


@lru_cache(maxsize=4096)
def _stop_typos(token: str) -> tuple[str, ...]:
    """The stop words ``token`` is one typo away from ("waht", "porqe"), at most eight.

    Three-letter tokens must also keep the stop word's first letter.
    """
    if not 3 <= len(token) <= 12:
        return ()
    found: list[str] = []
    for n in (len(token) - 1, len(token), len(token) + 1):
        for word in _STOP_BY_LEN.get(n, ()):
            if len(word) < 3 or (len(token) == 3 and word[0] != token[0]):
                continue
            if osa_distance(token, word, 1) <= 1:
                found.append(word)
    return tuple(found[:8])


# --------------------------------------------------------------------------------------------
# Index
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One search result: a fact card or a journey answer, and its relevance (higher is better)."""

    id: str
    score: float
    kind: str = FACT  # FACT or ANSWER


@dataclass(frozen=True, slots=True)
class _Postings:
    """The documents that contain one index term, as parallel tuples."""

    docs: tuple[int, ...]
    score_en: tuple[float, ...]  # BM25F contribution for an English-speaking user
    score_es: tuple[float, ...]  # ... for a Spanish-speaking user
    # 1.0 if the term is in the document's title or a keyword of its own, PHRASE_PART if only
    # inside longer keywords, else BODY_ONLY
    cover: tuple[float, ...]
    strong: bool  # the term is in some document's title or keywords
    # Where the cover is PHRASE_PART: another word of a keyword holding the term -> those
    # documents (with that word in the query too, the term counts in full there).
    partners: dict[str, tuple[int, ...]]


Expansion = tuple[tuple[str, float], ...]  # (stem, match quality), best first

_FIELDS: tuple[tuple[str, float, float, bool], ...] = (
    # name, weight, length normalisation b, strong (title/keywords)
    ("keywords", W_KEYWORDS, B_SHORT, True),
    ("title", W_TITLE, B_SHORT, True),
    ("text", W_TEXT, B_LONG, False),
    ("why", W_WHY, B_LONG, False),
)


def _field_pieces(doc: Fact | Answer, field: str, lang: str) -> tuple[str, ...] | None:
    """The texts of one field of a document; None if documents of its kind have no such field.

    An answer is found by its keywords alone: its reply is not searched.
    """
    if field == "keywords":
        return doc.keywords.get(lang)
    value: Localized | None = getattr(doc, field, None)
    return None if value is None else (value.get(lang),)


class KnowledgeIndex:
    """An immutable search index over fact cards and journey answers; :meth:`search` is cheap
    and never raises."""

    def __init__(
        self,
        facts: Iterable[Fact],
        answers: Iterable[Answer] = (),
        synonyms: Mapping[str, str] | None = None,
    ) -> None:
        docs: list[Fact | Answer] = []
        seen: set[tuple[str, str]] = set()
        kinds: list[str] = []
        for kind, items in ((FACT, facts), (ANSWER, answers)):
            for item in items:
                if (kind, item.id) not in seen:
                    seen.add((kind, item.id))
                    docs.append(item)
                    kinds.append(kind)
        self._ids: list[str] = [doc.id for doc in docs]
        self._kinds: list[str] = kinds
        n = self._n = len(docs)

        # Pass 1: tokens of every field, per language; phrases for the bonuses.
        memo: dict[str, str] = {}  # surface -> stem ("" for stop words and single letters)
        fields: list[tuple[int, int, int, list[str]]] = []  # (doc, field no., lang no., stems)
        length_sum = [[0, 0] for _ in _FIELDS]
        having = [[0, 0] for _ in _FIELDS]  # documents whose kind has the field
        bigrams: dict[tuple[str, str], dict[int, float]] = {}
        keyphrases: dict[tuple[str, ...], list[int]] = {}
        function_phrases: dict[tuple[str, ...], list[int]] = {}
        whole_keywords: dict[tuple[str, ...], list[int]] = {}
        standalone: set[tuple[int, str]] = set()  # (document, term) in a title or alone
        partners: dict[tuple[int, str], set[str]] = {}  # ... or with these terms in keywords
        for idx, doc in enumerate(docs):
            for fno, (fname, _, _, strong) in enumerate(_FIELDS):
                for lno, lang in enumerate(("en", "es")):
                    pieces = _field_pieces(doc, fname, lang)
                    if pieces is None:
                        continue
                    having[fno][lno] += 1
                    stems: list[str] = []
                    for piece in pieces:
                        words = normalize(piece).split()
                        for word in words:
                            if word not in memo:
                                stop = len(word) < 2 or word in _STOP_WORDS
                                memo[word] = "" if stop else stem(word)
                        phrase = [memo[w] for w in words if memo[w]]
                        stems.extend(phrase)
                        if not strong:
                            continue
                        if fname == "keywords" and words:
                            whole = tuple(w for w in words if w not in _POLITE)
                            holders = whole_keywords.setdefault(whole, [])
                            if idx not in holders:
                                holders.append(idx)
                            if not phrase and len(words) <= MAX_KEYPHRASE:  # "hi", "what can i do"
                                holders = function_phrases.setdefault(tuple(words), [])
                                if idx not in holders:
                                    holders.append(idx)
                        distinct = set(phrase)
                        if fname == "title" or len(distinct) == 1:
                            standalone.update((idx, term) for term in distinct)
                        else:
                            for term in distinct:
                                partners.setdefault((idx, term), set()).update(distinct)
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

        # Pass 2: BM25F term frequencies, term -> document -> [tf_en, tf_es, strong].
        acc: dict[str, dict[int, list[float]]] = {}
        for idx, fno, lno, stems in fields:
            _, weight, b, strong = _FIELDS[fno]
            avg = length_sum[fno][lno] / having[fno][lno]
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
        max_idf = self._max_idf = math.log(1.0 + (n - 0.5) / 1.5) if n else 1.0
        self._unknown_weight = UNKNOWN_WEIGHT * max_idf
        k1 = K1
        for term, by_doc in acc.items():
            df = len(by_doc)
            idf = max(math.log(1.0 + (n - df + 0.5) / (df + 0.5)), IDF_FLOOR)
            self._idf[term] = idf
            self._cover[term] = max(idf, COVER_FLOOR * max_idf)
            tf_en = [w_en + OTHER_LANG * w_es for w_en, w_es, _ in by_doc.values()]
            tf_es = [w_es + OTHER_LANG * w_en for w_en, w_es, _ in by_doc.values()]
            flags = [flag for _, _, flag in by_doc.values()]
            covers = [
                BODY_ONLY if not flag else 1.0 if (idx, term) in standalone else PHRASE_PART
                for idx, flag in zip(by_doc, flags, strict=True)
            ]
            by_partner: dict[str, list[int]] = {}
            for idx, cover in zip(by_doc, covers, strict=True):
                if cover == PHRASE_PART:
                    for other in partners[(idx, term)]:
                        if other != term:
                            by_partner.setdefault(other, []).append(idx)
            self._postings[term] = _Postings(
                docs=tuple(by_doc),
                score_en=tuple(idf * tf * (k1 + 1.0) / (tf + k1) for tf in tf_en),
                score_es=tuple(idf * tf * (k1 + 1.0) / (tf + k1) for tf in tf_es),
                cover=tuple(covers),
                strong=any(flags),
                partners={other: tuple(docs) for other, docs in by_partner.items()},
            )
        self._bigrams = bigrams
        self._keyphrases = keyphrases
        self._keyphrase_lengths = sorted({len(k) for k in keyphrases})
        self._whole_keywords = whole_keywords
        # Keywords of function words only, by first word: (phrase, owners, weight).
        self._function_phrases: dict[str, list[tuple[tuple[str, ...], tuple[int, ...], float]]]
        self._function_phrases = {}
        for phrase_words, holders in function_phrases.items():
            df = len(holders)
            idf = max(math.log(1.0 + (n - df + 0.5) / (df + 0.5)), IDF_FLOOR)
            weight = FUNCTION_PHRASE_WEIGHT * len(phrase_words) * idf
            entry = (phrase_words, tuple(holders), weight)
            self._function_phrases.setdefault(phrase_words[0], []).append(entry)

        # Typo tolerance: surfaces bucketed by length, with a positional trigram index per
        # bucket ((trigram, position) -> surfaces), a sorted list for prefixes, and the
        # surfaces by sound key.
        self._surface_stem = {word: st for word, st in memo.items() if st}
        self._sorted_surfaces = sorted(self._surface_stem)
        self._trigram_index: dict[int, dict[tuple[str, int], list[str]]] = {}
        self._by_sound: dict[str, list[str]] = {}
        for surface in self._sorted_surfaces:
            self._by_sound.setdefault(sound_key(surface), []).append(surface)
            if len(surface) < 3 or len(surface) > MAX_FUZZY_LEN + 2:
                continue
            bucket = self._trigram_index.setdefault(len(surface), {})
            for gram in _positional_trigrams(surface):
                bucket.setdefault(gram, []).append(surface)
        # Synonyms, by stem: "cops" (and "cop") stand for "police" too.
        self._synonyms: dict[str, str] = {}
        for word, meaning in (synonyms or {}).items():
            target = stem(normalize(meaning))
            if target in self._postings:
                self._synonyms[stem(normalize(word))] = target
        self._expansions: dict[str, Expansion] = {}

    # ----------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._n

    def search(
        self, query: str, lang: str, limit: int = 4, *, facts_only: bool = False
    ) -> list[SearchHit]:
        """The cards and answers that best answer ``query``, best first; ``[]`` if nothing is
        relevant.

        ``lang`` is the user's language ("es" or anything else for English): matches in that
        language's fields weigh a little more. At most ``limit`` hits are returned;
        ``facts_only`` leaves the answers out (they still weigh in what the query means).
        """
        if limit <= 0 or self._n == 0 or not isinstance(query, str):
            return []
        tokens = normalize(query[:MAX_QUERY_CHARS]).split()[:MAX_QUERY_TOKENS]
        tokens = [_CHAT_SPELLINGS.get(tok, tok) for tok in tokens]
        spanish = lang == "es"

        sequence: list[Expansion] = []  # expansions of the content tokens, in query order
        heard: list[tuple[str, ...]] = []  # per token: the words it may be, for phrases
        seen: set[str] = set()
        unique: list[Expansion] = []
        denominator = 0.0
        content_words = 0
        for tok in tokens:
            if len(tok) < 2 or tok in _STOP_WORDS:
                heard.append((tok,))
                continue
            if stem(tok) not in self._postings:
                tok = self._without_emphasis(tok)  # "holaaa", "ayudaa"
                if tok in _STOP_WORDS:
                    heard.append((tok,))
                    continue
            if stem(tok) not in self._postings and (sounds := _stop_sounds(tok)):
                heard.append(sounds)  # a function word spelled by ear: "aser", "kien"
                continue
            content_words += 1
            if content_words <= MAX_FUZZY_TOKENS:
                expansion = self._expand(tok)
            else:  # bounded work for long queries: exact matches only
                exact = stem(tok)
                expansion = ((exact, M_EXACT),) if exact in self._postings else ()
            typos: tuple[str, ...] = ()
            if not expansion or expansion[0][1] <= M_FUZZY1_SHORT:
                # One typo from a function word ("waht", "helo") rather than a weak guess at
                # a rare word: function words are what people type most.
                typos = _stop_typos(tok)
            if not expansion or typos:
                heard.append(typos or (tok,))
                if tok in seen:
                    continue
                seen.add(tok)
                if typos:
                    continue
                denominator += self._unknown_weight * (0.5 if len(tok) <= 3 else 1.0)
                continue
            heard.append((tok,))
            sequence.append(expansion)
            key = expansion[0][0]
            if key in seen:
                continue
            seen.add(key)
            unique.append(expansion)
            denominator += max(self._cover[term] for term, _ in expansion)

        scores: dict[int, float] = {}
        coverage: dict[int, float] = {}
        if self._function_phrases and not unique:
            denominator += self._add_function_phrases(heard, scores, coverage)
        if (not scores and not unique) or denominator <= 0.0:
            return []

        terms = {term for expansion in unique for term, _ in expansion}
        for expansion in unique:
            if len(expansion) == 1:  # the common case: one exact term, no maximum to take
                term, quality = expansion[0]
                post = self._postings[term]
                weight = quality * self._cover[term]
                values = post.score_es if spanish else post.score_en
                for doc, value, cover in zip(post.docs, values, post.cover, strict=True):
                    scores[doc] = scores.get(doc, 0.0) + quality * value
                    coverage[doc] = coverage.get(doc, 0.0) + weight * cover
                for doc in self._completed(post, terms):
                    coverage[doc] += weight * (1.0 - PHRASE_PART)
                continue
            best_score: dict[int, float] = {}
            best_cover: dict[int, float] = {}
            for term, quality in expansion:
                post = self._postings[term]
                weight = quality * self._cover[term]
                values = post.score_es if spanish else post.score_en
                for doc, value, cover in zip(post.docs, values, post.cover, strict=True):
                    if quality * value > best_score.get(doc, 0.0):
                        best_score[doc] = quality * value
                    if weight * cover > best_cover.get(doc, 0.0):
                        best_cover[doc] = weight * cover
                for doc in self._completed(post, terms):
                    best_cover[doc] = max(best_cover[doc], weight)
            for doc, value in best_score.items():
                scores[doc] = scores.get(doc, 0.0) + value
            for doc, value in best_cover.items():
                coverage[doc] = coverage.get(doc, 0.0) + value

        for left, right in pairwise(sequence):
            bonus: dict[int, float] = {}
            for a, qa in left[:3]:
                for b, qb in right[:3]:
                    owners = self._bigrams.get((a, b))
                    if not owners:
                        continue
                    base = PHRASE_BONUS * qa * qb * (self._idf[a] + self._idf[b]) / 2.0
                    for doc, weight in owners.items():
                        if base * weight > bonus.get(doc, 0.0):
                            bonus[doc] = base * weight
            for doc, value in bonus.items():
                if doc in scores:
                    scores[doc] += value

        words = [options[0] for options in heard]  # the query as read, for phrases
        if self._keyphrases:
            self._add_keyphrase_bonus([stem(word) for word in words], scores)
        self._add_exact_keyword_bonus(words, scores)

        if facts_only:
            candidates = [doc for doc in scores if self._kinds[doc] == FACT]
            best = max((coverage[doc] for doc in candidates), default=0.0)
        else:
            candidates, best = list(scores), max(coverage.values(), default=0.0)
        best_coverage = best / denominator
        if best_coverage < MIN_QUERY_COVERAGE:
            return []
        floor_coverage = MIN_FACT_COVERAGE * denominator
        ranked = heapq.nsmallest(  # the same as sorted(...)[:limit], without sorting them all
            limit,
            (doc for doc in candidates if coverage[doc] >= floor_coverage),
            key=lambda doc: (-scores[doc], doc),
        )
        if not ranked:
            return []
        floor = scores[ranked[0]] * MIN_RELATIVE_SCORE
        return [
            SearchHit(self._ids[doc], round(scores[doc], 6), self._kinds[doc])
            for doc in ranked
            if scores[doc] >= floor
        ]

    # ----------------------------------------------------------------------------------------

    @staticmethod
    def _completed(post: _Postings, terms: set[str]) -> set[int]:
        """The documents where a term is only part of longer keywords and the query also holds
        another word of one of them: there it counts in full."""
        found: set[int] = set()
        if post.partners:
            for other in terms:
                found.update(post.partners.get(other, ()))
        return found

    def _add_function_phrases(
        self,
        heard: list[tuple[str, ...]],
        scores: dict[int, float],
        coverage: dict[int, float],
    ) -> float:
        """Credit the keywords of function words only ("what can i do", "hola") that a query
        of function words holds word for word.

        ``heard`` gives, per query token, the words it may stand for. Phrases are taken longest
        first, without overlapping. Returns the weight the phrases add to the query.
        """
        matches: list[tuple[int, int, tuple[int, ...], float]] = []  # start, end, owners, weight
        for start, options in enumerate(heard):
            for word in options:
                for phrase, owners, weight in self._function_phrases.get(word, ()):
                    end = start + len(phrase)
                    if end > len(heard):
                        continue
                    if all(phrase[i] in heard[start + i] for i in range(1, len(phrase))):
                        matches.append((start, end, owners, weight))
        matches.sort(key=lambda match: (match[0] - match[1], match[0]))  # longest, leftmost
        used = [False] * len(heard)
        total = 0.0
        for start, end, owners, weight in matches:
            if any(used[start:end]):
                continue
            used[start:end] = [True] * (end - start)
            total += weight
            for doc in owners:
                scores[doc] = scores.get(doc, 0.0) + FUNCTION_PHRASE_SCORE * weight
                coverage[doc] = coverage.get(doc, 0.0) + weight
        return total

    def _add_exact_keyword_bonus(self, words: list[str], scores: dict[int, float]) -> None:
        """Reward documents with a keyword that is the whole query ("help" → the help answer,
        not every answer that mentions helping), politeness aside."""
        key = tuple(word for word in words if word not in _POLITE)
        owners = self._whole_keywords.get(key)
        if not owners:
            return
        value = KEYPHRASE_BONUS * (1.0 + sum(self._idf.get(stem(word), 0.0) for word in key))
        for doc in owners:
            if doc in scores:
                scores[doc] += value

    def _add_keyphrase_bonus(self, stems: list[str], scores: dict[int, float]) -> None:
        """Reward documents with a keyword the query contains word for word, function words
        too."""
        bonus: dict[int, float] = {}
        for length in self._keyphrase_lengths:
            for start in range(len(stems) - length + 1):
                phrase = tuple(stems[start : start + length])
                owners = self._keyphrases.get(phrase)
                if not owners:
                    continue
                weight = 1.0 + sum(self._idf.get(word, 0.0) for word in phrase)
                value = KEYPHRASE_BONUS * weight
                for doc in owners:
                    if value > bonus.get(doc, 0.0):
                        bonus[doc] = value
        for doc, value in bonus.items():
            if doc in scores:
                scores[doc] += value

    def _expand(self, token: str) -> Expansion:
        """Index terms a query token stands for, best first.

        A known word stands for itself (exact) and, if it is no title or keyword word, for the
        longer words it starts ("deport" for "deportation", as typed in inline mode); an
        unknown word for its nearest spellings, the words it starts and the words that sound
        the same. A word with a synonym in the content also stands for it. Results are cached.
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
            candidates = [*self._fuzzy(token), *self._prefixed(token), *self._heard_as(token)]
        for surface, quality in candidates:
            term = self._surface_stem[surface]
            if quality > found.get(term, 0.0):
                found[term] = quality
        synonym = self._synonyms.get(st)
        if synonym is not None and found.get(synonym, 0.0) < M_SYNONYM:
            found[synonym] = M_SYNONYM
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

    def _without_emphasis(self, token: str) -> str:
        """``token`` without letters typed twice for emphasis, if that makes a known word."""
        single = _REPEATS.sub(r"\1", token)
        if single != token and (single in _STOP_WORDS or stem(single) in self._postings):
            return single
        return token

    def _heard_as(self, token: str) -> list[tuple[str, float]]:
        """Surfaces that sound the same in Spanish spelling ("yamar" → "llamar")."""
        return [(w, M_SOUND) for w in self._by_sound.get(sound_key(token), ()) if w != token][:8]

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
