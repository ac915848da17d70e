"""Benchmark of the free-text search: index build time and query latency.

Run from the project root::

    python -m benchmarks.bench_search [--repeats N] [--scale 100] [--queries 1000]

It loads the shipped facts and journey answers (``content/``), builds a knowledge file
``--scale`` times larger by varying the facts (new ids, shuffled and perturbed words, invented
words, so the vocabulary grows as a real, larger file's would), runs a realistic mix of queries
against both (questions in English and Spanish, typos, chat spellings, words typed halfway,
misses, odd input) and prints a Markdown table. Times
come from :func:`time.perf_counter`; each figure is the median over the repeats, each repeat
building a fresh index (cold typo cache) and running every query once.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from bot.content.models import Answer, Citation, Fact, Localized, LocalizedList
from bot.matching import normalize
from bot.render import check_rendered
from bot.search import KnowledgeIndex

CONTENT_DIR = Path("content")
SEED = 287

# Quality-table style questions, as supporters type them.
QUESTIONS_EN = (
    "does 287g cause racial profiling?",
    "what is 287(g)?",
    "what is 287g",
    "287g costs",
    "how much does 287g cost taxpayers",
    "who pays for 287(g)",
    "does 287g make communities safer",
    "do immigrants stop reporting crimes",
    "is 287g about deportation",
    "how many agencies have 287g agreements",
    "can 287g agreements be ended",
    "how do I send a comment to DHS",
    "what is the task force model",
    "jail model 287g",
    "does 287(g) separate families",
    "what did the justice department find",
    "sheriff immigration enforcement",
    "police trust immigrant community",
    "who can end 287g",
    "racial profiling latinos",
    "what can i do",
    "is ice in my town",
    "can cops ask my status",
    "hi",
)
QUESTIONS_ES = (
    "¿qué es 287(g)?",
    "que es 287g",
    "perfil racial",
    "cuanto cuesta",
    "¿cuánto cuesta 287(g) a los contribuyentes?",
    "¿287g causa perfil racial?",
    "deportaciones",
    "¿los inmigrantes dejan de denunciar delitos?",
    "separación de familias",
    "¿quién puede terminar 287(g)?",
    "confianza en la policía",
    "¿cómo envío un comentario al DHS?",
    "alguaciles y la ley de inmigración",
    "¿cuántas agencias tienen acuerdos 287g?",
    "modelo de cárcel",
    "seguridad pública",
    "ke puedo aser",
    "la migra esta en mi pueblo",
    "mis derechos",
    "q onda",
)
MISSES = (
    "weather in Paris",
    "receta de tamales",
    "asdfgh",
    "",
    "hola",
    "hello",
    "who won the world cup",
    "bitcoin price today",
    "how to cook rice",
    "mejor pizza cerca de mi",
    "qwertyuiop",
    "gracias!",
    "🙂🙂🙂",
    "lorem ipsum dolor sit amet",
)
ODD = (
    "a" * 10_000,
    "racial profiling " * 600,
    "<b>&</b>",
    "\u202eRTL \u0645\u0631\u062d\u0628\u0627 287(g)",
    "\x00\x1b[31m control",
)


# ---------------------------------------------------------------------------------------------
# Facts
# ---------------------------------------------------------------------------------------------


def shipped_facts(directory: Path = CONTENT_DIR) -> tuple[list[Fact], str]:
    """The shipped facts, via the real loader; a lenient YAML read if the content is invalid."""
    try:
        from bot.content.loader import load_content

        facts = load_content(directory, render_check=check_rendered).facts
        return list(facts.values()), "load_content"
    except Exception as exc:  # content being edited, or the loader missing: fall back
        print(f"note: load_content failed ({type(exc).__name__}); reading YAML directly")
    path = directory / "facts.yaml"
    if not path.exists():
        raise SystemExit(f"no facts: {path} does not exist")
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [_fact_from_yaml(raw) for raw in data.get("facts", [])], "yaml.safe_load"


def shipped_answers(directory: Path = CONTENT_DIR) -> tuple[list[Answer], dict[str, str]]:
    """The shipped journey answers and synonyms; none if the content does not load."""
    try:
        from bot.content.loader import load_content

        content = load_content(directory, render_check=check_rendered)
    except Exception:  # content being edited: measure the facts alone
        return [], {}
    return list(content.answers.values()), content.synonyms


def _fact_from_yaml(raw: dict[str, Any]) -> Fact:
    def loc(key: str) -> Localized:
        value = raw.get(key) or {}
        return Localized(en=str(value.get("en", "")), es=str(value.get("es", "")))

    kw = raw.get("keywords") or {}
    return Fact(
        id=str(raw["id"]),
        topic=str(raw.get("topic", "")),
        title=loc("title"),
        text=loc("text"),
        why=loc("why"),
        keywords=LocalizedList(
            en=tuple(str(k) for k in kw.get("en", [])), es=tuple(str(k) for k in kw.get("es", []))
        ),
        sources=(Citation(title="", publisher="", date="", url="https://example.org"),),
        checked=str(raw.get("checked", "")),
    )


class _Perturber:
    """Deterministic word-level noise that grows the vocabulary like a larger real file."""

    SYLLABLES = ("ra", "mo", "ti", "len", "sa", "cor", "vi", "da", "ne", "pol", "tu", "ber")

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.invented = [
            "".join(rng.choices(self.SYLLABLES, k=rng.randint(2, 4))) for _ in range(12000)
        ]

    def word(self, word: str) -> str:
        roll = self.rng.random()
        if len(word) < 4 or roll < 0.72:
            return word
        if roll < 0.75:  # a variant or misspelt form
            i = self.rng.randrange(1, len(word))
            return word[:i] + self.rng.choice("aeioulnrst") + word[i + 1 :]
        if roll < 0.85:  # a derived word
            return word + self.rng.choice(("al", "ado", "ers", "ment", "idad", "ista"))
        return self.rng.choice(self.invented)  # a new domain word: a name, a place

    def sentence(self, text: str, shuffle: bool = True) -> str:
        words = [self.word(w) for w in text.split()]
        if shuffle and len(words) > 3:
            head, tail = words[:2], words[2:]
            self.rng.shuffle(tail)
            words = head + tail
        return " ".join(words)

    def localized(self, value: Localized, shuffle: bool = True) -> Localized:
        return Localized(en=self.sentence(value.en, shuffle), es=self.sentence(value.es, shuffle))


def scaled_facts(facts: list[Fact], scale: int, seed: int = SEED) -> list[Fact]:
    """``facts`` plus ``scale - 1`` perturbed copies of each, with new ids."""
    rng = random.Random(seed)
    noise = _Perturber(rng)
    out = list(facts)
    for copy in range(1, scale):
        for fact in facts:
            keywords = LocalizedList(
                en=tuple(noise.sentence(k, shuffle=False) for k in fact.keywords.en),
                es=tuple(noise.sentence(k, shuffle=False) for k in fact.keywords.es),
            )
            out.append(
                replace(
                    fact,
                    id=f"{fact.id[:24]}-s{copy}",
                    title=noise.localized(fact.title, shuffle=False),
                    text=noise.localized(fact.text),
                    why=noise.localized(fact.why),
                    keywords=keywords,
                    related=(),
                )
            )
    return out


# ---------------------------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------------------------


def _typo(rng: random.Random, text: str) -> str:
    words = text.split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 5]
    if not long_words:
        return text
    i = rng.choice(long_words)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        w = w[:j] + w[j + 1 :]  # deletion
    elif kind == 1:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]  # transposition
    elif kind == 2:
        w = w[:j] + rng.choice("aeioulnrst") + w[j + 1 :]  # substitution
    else:
        w = w[:j] + rng.choice("aeioulnrst") + w[j:]  # insertion
    words[i] = w
    return " ".join(words)


def query_mix(facts: list[Fact], n: int, seed: int = SEED) -> list[tuple[str, str]]:
    """``n`` (query, lang) pairs: questions, typos, keywords, prefixes, misses and odd input."""
    rng = random.Random(seed)
    questions = [(q, "en") for q in QUESTIONS_EN] + [(q, "es") for q in QUESTIONS_ES]
    keywords = [(k, lang) for f in facts for lang in ("en", "es") for k in f.keywords.get(lang)]
    titles = [(f.title.get(lang), lang) for f in facts for lang in ("en", "es")]
    out: list[tuple[str, str]] = []
    while len(out) < n:
        roll = rng.random()
        if roll < 0.35:
            out.append(rng.choice(questions))
        elif roll < 0.55:
            q, lang = rng.choice(questions)
            out.append((_typo(rng, q), lang))
        elif roll < 0.65 and keywords:
            out.append(rng.choice(keywords))
        elif roll < 0.72 and titles:
            q, lang = rng.choice(titles)
            out.append((_typo(rng, q.lower()), lang))
        elif roll < 0.78:  # inline mode: a word typed halfway
            q, lang = rng.choice(questions)
            words = [w for w in normalize(q).split() if len(w) >= 6] or ["287g"]
            word = rng.choice(words)
            out.append((word[: rng.randint(4, len(word))], lang))
        elif roll < 0.97:
            out.append((rng.choice(MISSES), rng.choice(("en", "es"))))
        else:
            out.append((rng.choice(ODD), "en"))
    return out


# ---------------------------------------------------------------------------------------------
# Measurement
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Result:
    corpus: str
    facts: int
    answers: int
    vocabulary: int
    build_ms: float
    p50_ms: float
    p99_ms: float
    qps: float
    answered: float


def _percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def measure(
    name: str,
    facts: list[Fact],
    queries: list[tuple[str, str]],
    repeats: int,
    answers: list[Answer] | None = None,
    synonyms: dict[str, str] | None = None,
) -> Result:
    answers = answers or []
    builds: list[float] = []
    p50s: list[float] = []
    p99s: list[float] = []
    rates: list[float] = []
    answered = 0
    for _ in range(repeats):
        start = time.perf_counter()
        index = KnowledgeIndex(facts, answers, synonyms)
        builds.append(time.perf_counter() - start)
        times: list[float] = []
        answered = 0
        for query, lang in queries:
            t0 = time.perf_counter()
            hits = index.search(query, lang)
            times.append(time.perf_counter() - t0)
            answered += bool(hits)
        times.sort()
        p50s.append(_percentile(times, 0.50))
        p99s.append(_percentile(times, 0.99))
        rates.append(len(times) / sum(times))
    vocabulary = {
        tok
        for f in facts
        for lang in ("en", "es")
        for piece in (f.title.get(lang), f.text.get(lang), f.why.get(lang), *f.keywords.get(lang))
        for tok in normalize(piece).split()
    } | {tok for a in answers for piece in a.keywords.all() for tok in normalize(piece).split()}
    return Result(
        corpus=name,
        facts=len(facts),
        answers=len(answers),
        vocabulary=len(vocabulary),
        build_ms=statistics.median(builds) * 1000,
        p50_ms=statistics.median(p50s) * 1000,
        p99_ms=statistics.median(p99s) * 1000,
        qps=statistics.median(rates),
        answered=answered / len(queries),
    )


def table(results: list[Result], n_queries: int, repeats: int) -> str:
    lines = [
        f"{n_queries} queries per run, median of {repeats} runs (Python {sys.version.split()[0]})",
        "",
        "| corpus | facts | answers | words | index build (ms) | p50 (ms) | p99 (ms) "
        "| queries/s | answered |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.corpus} | {r.facts:,} | {r.answers:,} | {r.vocabulary:,} | {r.build_ms:,.1f} | "
            f"{r.p50_ms:.3f} | {r.p99_ms:.3f} | {r.qps:,.0f} | {r.answered:.0%} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--content", type=Path, default=CONTENT_DIR)
    parser.add_argument("--scale", type=int, default=100, help="size of the large corpus")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    facts, how = shipped_facts(args.content)
    answers, synonyms = shipped_answers(args.content)
    large = scaled_facts(facts, args.scale)
    queries = query_mix(facts, args.queries)
    results = [
        measure(f"shipped ({how})", facts, queries, args.repeats, answers, synonyms),
        measure(
            f"synthetic x{args.scale}",
            large,
            queries,
            max(1, min(args.repeats, 3)),
            answers,
            synonyms,
        ),
    ]
    print(table(results, len(queries), args.repeats))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
