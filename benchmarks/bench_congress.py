"""Benchmark of the Congress lookup: memory added by loading it, and time per ZIP code.

Run from the project root::

    python -m benchmarks.bench_congress [--runs 5] [--lookups 20000]

Each run is a fresh Python process (resident memory is only meaningful in a process that has
done nothing else) that:

1. imports the bot's modules and loads the content (which reads only the Congress data's
   date);
2. reads the Congress data (``CongressFiles.load``: ``content/congress.yaml`` and
   ``content/congress-zips.txt``), the first lookup's one-time cost: the resident memory it
   adds (after a garbage collection) and the peak while reading;
3. times :func:`bot.congress.representatives_for_zip` on ``--lookups`` ZIP codes without the
   place data (the Congress data's own cost: the nearest office is then the first listed);
4. reads the place data (``bot.places``: the ZIP code's city and state, shared with "Where I
   live", which reads it anyway; its memory is shown on its own row) and times the lookup as
   the bot does it, with the city and the state: 90 % of the ZIP codes from the district
   table (a fifth of them split between districts, some with +4), 8 % that only the place
   data knows (post-office boxes), 2 % unknown or malformed.

Memory is read from ``/proc/self/statm`` and the peak from ``getrusage`` (Linux). Times come
from :func:`time.perf_counter_ns` (wall clock) and :func:`time.thread_time_ns` (this thread's
CPU time: on a shared machine, wall-clock percentiles also count other processes' turns on
the CPU). Each figure is the median over the runs, with the min and max. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

CONTENT = Path("content")
SEED = 119
TODAY = date(2026, 7, 1)
MIB = 2**20


def rss_mib() -> float:
    """This process's resident memory now."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / MIB


def peak_mib() -> float:
    """This process's highest resident memory so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def queries(zips_in_table: list[str], zips_elsewhere: list[str], n: int) -> list[str]:
    rng = random.Random(SEED)
    out: list[str] = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.02:
            out.append(rng.choice(("00000", "abcde", "7700", "99999-0000")))
        elif roll < 0.10:
            out.append(rng.choice(zips_elsewhere))
        else:
            z = rng.choice(zips_in_table)
            out.append(f"{z}-{rng.randint(0, 9999):04d}" if roll < 0.2 else z)
    return out


def timed(calls: list[str], lookup: Callable[[str], object]) -> dict[str, float]:
    """Per-lookup percentiles (ms) of one pass over ``calls``, by the wall clock and by this
    thread's CPU time, and lookups per second."""
    wall, cpu = time.perf_counter_ns, time.thread_time_ns
    walls: list[int] = []
    cpus: list[int] = []
    for text in calls:
        w0, c0 = wall(), cpu()
        lookup(text)
        c1, w1 = cpu(), wall()
        walls.append(w1 - w0)
        cpus.append(c1 - c0)
    walls.sort()
    cpus.sort()

    def quantile(times: list[int], q: float) -> float:
        return times[min(len(times) - 1, max(0, round(q * len(times)) - 1))] / 1e6

    return {
        "p50_ms": quantile(walls, 0.50),
        "p99_ms": quantile(walls, 0.99),
        "max_ms": walls[-1] / 1e6,
        "cpu_p50_ms": quantile(cpus, 0.50),
        "cpu_p99_ms": quantile(cpus, 0.99),
        "lookups_per_s": len(walls) / (sum(walls) / 1e9),
    }


def one_run(lookups: int) -> dict[str, float]:
    """Everything measured in this process (step 1 to 4 of the module's docstring)."""
    from bot import places
    from bot.congress import representatives_for_zip
    from bot.content import load_content
    from bot.render import check_rendered

    content = load_content(CONTENT, render_check=check_rendered)
    gc.collect()
    before, peak_before = rss_mib(), peak_mib()
    t0 = time.perf_counter()
    data = content.congress.load()
    load_ms = (time.perf_counter() - t0) * 1000
    peak_after = peak_mib()
    gc.collect()
    after = rss_mib()
    in_table = [z for z, _ in data.zips.items()]

    def no_places(_zip: str) -> None:
        return None

    alone = timed(
        queries(in_table, ["00000"], lookups),
        lambda text: representatives_for_zip(data, text, TODAY, places=no_places),
    )
    every_zip = places.bundled().zip_codes()  # reads the place data
    gc.collect()
    with_places = rss_mib()
    table = set(in_table)
    elsewhere = [z for z in every_zip if z not in table]
    full = timed(
        queries(in_table, elsewhere, lookups),
        lambda text: representatives_for_zip(data, text, TODAY),
    )
    return {
        "congress_mib": after - before,
        "congress_peak_mib": max(0.0, peak_after - max(peak_before, before)),
        "load_ms": load_ms,
        **{f"alone_{k}": v for k, v in alone.items()},
        **{f"full_{k}": v for k, v in full.items()},
        "places_mib": with_places - after,
        "members": float(len(data.members)),
        "zips": float(len(data.zips)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_run(args.lookups)))
        return

    runs: list[dict[str, float]] = []
    for _ in range(args.runs):
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_congress", "--child",
             "--lookups", str(args.lookups)],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        runs.append(json.loads(out.splitlines()[-1]))

    def median(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    print(
        f"Congress lookup: {median('members'):.0f} members, {median('zips'):,.0f} ZIP codes; "
        f"median of {len(runs)} runs, {args.lookups:,} lookups each "
        f"(Python {platform.python_version()}, {os.cpu_count()} cores)\n"
    )
    print("| Figure | Median | Min | Max |")
    print("|---|---:|---:|---:|")
    rows = [
        ("Resident memory added by reading the Congress data (MiB)", "congress_mib", "{:.1f}"),
        ("Peak while reading it (MiB above the start)", "congress_peak_mib", "{:.1f}"),
        ("Reading it: the first lookup's one-time cost (ms)", "load_ms", "{:.0f}"),
        ("Congress data alone: p50 (ms)", "alone_p50_ms", "{:.3f}"),
        ("Congress data alone: p99 (ms)", "alone_p99_ms", "{:.3f}"),
        ("Congress data alone: CPU time p99 (ms)", "alone_cpu_p99_ms", "{:.3f}"),
        ("With the place data: p50 (ms)", "full_p50_ms", "{:.3f}"),
        ("With the place data: p99 (ms)", "full_p99_ms", "{:.3f}"),
        ("With the place data: CPU time p50 (ms)", "full_cpu_p50_ms", "{:.3f}"),
        ("With the place data: CPU time p99 (ms)", "full_cpu_p99_ms", "{:.3f}"),
        ("With the place data: slowest lookup (ms)", "full_max_ms", "{:.2f}"),
        ("With the place data: lookups/s", "full_lookups_per_s", "{:,.0f}"),
        ("Place data, read after (shared with Where I live) (MiB)", "places_mib", "{:.0f}"),
    ]
    for label, key, fmt in rows:
        values = [r[key] for r in runs]
        cells = (fmt.format(v) for v in (median(key), min(values), max(values)))
        print(f"| {label} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
