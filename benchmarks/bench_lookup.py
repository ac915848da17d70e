"""Benchmark of "where I live": lookups by ZIP code and by county or city name.

Run from the project root::

    python -m benchmarks.bench_lookup [--repeats 5] [--lookups 2000] [--scale 10]

It loads the shipped list (``content/agreements.yaml``) and builds one ``--scale`` times larger
from it (new agencies in other real counties of the same state, and new counties whose names
the ZIP data does not know), then times, on each list:

* **by ZIP**: :meth:`bot.places.PlaceIndex.places_for_zip` on real ZIP codes (some with +4,
  some unknown or malformed), then the county's agreements, the statewide ones and the state's
  total — what the bot does for a supporter who sends a ZIP code;
* **by name**: :meth:`bot.places.PlaceIndex.find_county` on county and city names of the
  state, half of them with typos (one edit for 4-7 letters, up to two for longer names), with
  the list's counties as known counties, then the same three look-ups for the best county.

"Build" is the time to index the list (:class:`bot.agreements.AgreementList`). The place data
(``content/places.tsv``, shared by every list) is timed on its own rows: reading the file at the
first lookup, and indexing one state's names at the first name lookup in that state (the
median over the states). Times come from :func:`time.perf_counter_ns`; each figure is the median
over the repeats. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import string
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from bot.agreements import MODELS, Agreement, AgreementList, load_agreements
from bot.placenames import STATE_NAMES
from bot.places import PLACES_FILE, Place, PlaceIndex

AGREEMENTS_FILE = Path("content") / "agreements.yaml"
PLACES = Path("content") / PLACES_FILE
SEED = 287
STATES = sorted(STATE_NAMES)
NEW_COUNTY_PREFIXES = ("North", "South", "East", "West", "Lake", "New", "Upper", "Lower")


def synthetic_list(
    real: AgreementList, index: PlaceIndex, scale: int, rng: random.Random
) -> AgreementList:
    """``scale`` times as many agreements: the real ones and new ones made from them."""
    made: list[Agreement] = list(real.agreements)
    for n in range(1, scale):
        for a in real.agreements:
            counties = index.counties(a.state)
            if rng.random() < 0.2 or not counties:
                base = (a.county or a.agency).split()[0]
                county = f"{rng.choice(NEW_COUNTY_PREFIXES)} {base} {n} County"
            else:
                county = rng.choice(counties)
            kind = a.kind if a.kind != "state" else "county"
            agency = (
                f"{county} Sheriff's Office"
                if kind == "county"
                else f"{rng.choice(string.ascii_uppercase)}{n} Police Department"
            )
            made.append(
                replace(
                    a,
                    agency=agency,
                    kind=kind,
                    county=county,
                    model=rng.choice(MODELS),
                    signed=f"2025-{rng.randint(1, 7):02d}-{rng.randint(1, 28):02d}",
                )
            )
    return AgreementList(real.as_of, real.source + f" (x{scale}, synthetic)", tuple(made))


def typo(word: str, rng: random.Random) -> str:
    """``word`` with the edits the lookup tolerates: one for 4-7 letters, up to two for more."""
    edits = 0 if len(word) < 4 else (1 if len(word) <= 7 else rng.choice((1, 2)))
    for _ in range(edits):
        i = rng.randrange(1, len(word) - 1)
        op = rng.choice(("swap", "drop", "double", "change"))
        if op == "swap":
            word = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        elif op == "drop":
            word = word[:i] + word[i + 1 :]
        elif op == "double":
            word = word[:i] + word[i] + word[i:]
        else:
            word = word[:i] + rng.choice(string.ascii_lowercase) + word[i + 1 :]
    return word


def zip_queries(index: PlaceIndex, n: int, rng: random.Random) -> list[str]:
    zips = index.zip_codes()
    out: list[str] = []
    for _ in range(n):
        roll = rng.random()
        z = rng.choice(zips)
        if roll < 0.05:
            out.append(rng.choice(("00000", "abcde", "7700", "99999-0000")))
        elif roll < 0.15:
            out.append(f"{z}-{rng.randint(0, 9999):04d}")
        else:
            out.append(f" {z} " if roll < 0.2 else z)
    return out


def name_queries(
    lst: AgreementList, index: PlaceIndex, n: int, rng: random.Random
) -> list[tuple[str, str]]:
    """(state, text): the list's counties, other counties and cities; half with typos."""
    states = sorted(lst.counts_by_state())
    cities: dict[str, list[str]] = {}
    for zip_code in index.zip_codes():
        first = places_for(index, zip_code)[0]
        if first.city:
            cities.setdefault(first.state, []).append(first.city)
    out: list[tuple[str, str]] = []
    for _ in range(n):
        state = rng.choice(states)
        roll = rng.random()
        if roll < 0.5 and lst.counties(state):
            text = rng.choice(lst.counties(state))
        elif roll < 0.8:
            text = rng.choice(index.counties(state))
        else:
            text = rng.choice(cities[state])
        if rng.random() < 0.5:
            words = text.split()
            words[0] = typo(words[0], rng)
            text = " ".join(words)
        out.append((state, text))
    return out


def by_zip(lst: AgreementList, index: PlaceIndex, text: str) -> None:
    for place in places_for(index, text):
        lst.in_county(place.state, place.county)
        lst.statewide(place.state)
        lst.state_total(place.state)


def places_for(index: PlaceIndex, text: str) -> list[Place]:
    return index.places_for_zip(text) or []


def by_name(lst: AgreementList, index: PlaceIndex, state: str, text: str) -> None:
    matches = index.find_county(state, text, lst.counties(state))
    if matches:
        lst.in_county(state, matches[0])
    lst.statewide(state)
    lst.state_total(state)


def percentile(sorted_ns: list[int], q: float) -> float:
    """The q-quantile (nearest rank) of sorted nanoseconds, in milliseconds."""
    k = min(len(sorted_ns) - 1, max(0, round(q * len(sorted_ns)) - 1))
    return sorted_ns[k] / 1e6


def run(calls: list[Callable[[], None]]) -> tuple[float, float, float]:
    """(p50 ms, p99 ms, lookups per second) of one pass over ``calls``."""
    times: list[int] = []
    clock = time.perf_counter_ns
    started = clock()
    for call in calls:
        t0 = clock()
        call()
        times.append(clock() - t0)
    total = (clock() - started) / 1e9
    times.sort()
    return percentile(times, 0.50), percentile(times, 0.99), len(calls) / total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--scale", type=int, default=10)
    args = parser.parse_args()
    rng = random.Random(SEED)

    reads, states = [], []
    for _ in range(args.repeats):
        index = PlaceIndex(PLACES)
        t0 = time.perf_counter()
        index.places_for_zip("77002")  # the first lookup reads the file
        reads.append((time.perf_counter() - t0) * 1000)
        for state in STATES:
            t0 = time.perf_counter()
            index.find_county(state, "x")  # the first name lookup in a state indexes its names
            states.append((time.perf_counter() - t0) * 1000)
    real = load_agreements(AGREEMENTS_FILE)
    synthetic = synthetic_list(real, index, args.scale, rng)
    lists = [("shipped", real), (f"synthetic x{args.scale}", synthetic)]

    zip_count = len(index.zip_codes())
    rows = [
        "| List | Agreements | Lookup | Build (ms) | p50 (ms) | p99 (ms) | lookups/s |",
        "|---|---:|---|---:|---:|---:|---:|",
        f"| places.tsv ({zip_count:,} ZIP codes) | — | read at the first lookup | "
        f"{statistics.median(reads):.0f} | — | — | — |",
        f"| places.tsv ({len(STATES)} states) | — | a state's names, at its first name lookup | "
        f"{statistics.median(states):.1f} | — | — | — |",
    ]
    for label, lst in lists:
        builds = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            AgreementList(lst.as_of, lst.source, lst.agreements)
            builds.append((time.perf_counter() - t0) * 1000)
        build = statistics.median(builds)
        zips = zip_queries(index, args.lookups, rng)
        names = name_queries(lst, index, args.lookups, rng)
        workloads = {
            "by ZIP": [lambda z=z, lst=lst: by_zip(lst, index, z) for z in zips],
            "by name (half with typos)": [
                lambda s=s, t=t, lst=lst: by_name(lst, index, s, t) for s, t in names
            ],
        }
        for lookup, calls in workloads.items():
            runs = [run(calls) for _ in range(args.repeats)]
            p50 = statistics.median(r[0] for r in runs)
            p99 = statistics.median(r[1] for r in runs)
            rate = statistics.median(r[2] for r in runs)
            rows.append(
                f"| {label} | {len(lst):,} | {lookup} | {build:.1f} | {p50:.3f} | {p99:.3f} "
                f"| {rate:,.0f} |"
            )

    print(
        f"Where I live: {args.lookups:,} lookups of each kind per list, median of "
        f"{args.repeats} repeats (Python {platform.python_version()}, {platform.machine()})\n"
    )
    print("\n".join(rows))


if __name__ == "__main__":
    main()
