"""Benchmark of the letters' PDFs: a batch organizers print, and a supporter's postal letter.

Run from the project root::

    python -m benchmarks.bench_letters [--repeats 3] [--sizes 100,500]

It renders letters from the shipped content (a role, two reasons, a 150-character story, a name
and a place) and times :func:`bot.letter_pdf.batch_pdf` for batches of each size — signed with
Latin names only, and with names in five scripts (Latin, Vietnamese, Chinese, Cyrillic, Arabic),
which embeds the fallback fonts and shapes the Arabic — then :func:`bot.letter_pdf.postal_pdf`
for one letter signed in Latin and one in Chinese. The first PDF of a process also loads fpdf2
and reads the fonts; it is timed on its own row. Times come from :func:`time.perf_counter`;
each figure is the median over the repeats. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from bot.content import Content, load_content
from bot.deliveries import CampaignLetter
from bot.letters import DraftChoices, render_letter
from bot.render import check_rendered

LATIN = ("José Núñez", "Ana López", "Mary O'Brien")
SCRIPTS = ("José Núñez", "Nguyễn Thị Hà", "李小龙", "Анна Иванова", "محمد علي")
STORY = ("We have lived on Elm Street for twenty years and our kids go to school here. " * 2)[:150]


def batch(content: Content, size: int, names: tuple[str, ...]) -> list[CampaignLetter]:
    points = tuple(content.letter.talking_points)
    letters = []
    for n in range(size):
        lang = "es" if n % 3 == 0 else "en"
        choice = DraftChoices(
            seed=n,
            role=next(iter(content.letter.roles)),
            reasons=points[n % 4 : n % 4 + 2],
            story=STORY,
            sign_name=names[n % len(names)],
            sign_place="Houston, TX",
        )
        letter = render_letter(content.letter, choice, lang)
        consent = 1_778_846_400 + n * 60
        letters.append(
            CampaignLetter(
                n + 1,
                None,
                lang,
                letter.subject,
                letter.body,
                choice.sign_name,
                choice.sign_place,
                consent,
                False,
                "queued",
                1,
            )
        )
    return letters


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", default="100,500", help="batch sizes, comma-separated")
    args = parser.parse_args()
    content = load_content(Path("content"), render_check=check_rendered)
    name = {"en": content.campaign.name.en, "es": content.campaign.name.es}
    from bot.letter_pdf import batch_pdf, postal_pdf

    start = time.perf_counter()
    postal = render_letter(content.letter, DraftChoices(seed=1, sign_name=LATIN[0]), "en")
    postal_pdf(content.letter, postal, "en", date(2026, 11, 30))
    first = time.perf_counter() - start

    print(f"Letters as PDF — Python {platform.python_version()}, {args.repeats} repeats\n")
    print("| PDF | letters | pages | size | time (median) | per page |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| first PDF of a process (loads fpdf2, reads the fonts) | 1 | 1 | | {first:.2f} s | |")
    for size in (int(s) for s in args.sizes.split(",")):
        for label, names in (("batch, Latin names", LATIN), ("batch, five scripts", SCRIPTS)):
            letters = batch(content, size, names)
            made = batch_pdf(content.letter, name, letters)
            seconds = median_seconds(
                lambda ls=letters: batch_pdf(content.letter, name, ls), args.repeats
            )
            pages = len(made.pages) + 1
            print(
                f"| {label} | {size:,} | {pages:,} | {len(made.data) / 1e6:.2f} MB"
                f" | {seconds:.1f} s | {1000 * seconds / pages:.0f} ms |"
            )
    for label, signer in (
        ("postal letter, Latin name", LATIN[0]),
        ("postal letter, 李小龙", "李小龙"),
    ):
        letter = render_letter(content.letter, DraftChoices(seed=2, sign_name=signer), "es")
        data = postal_pdf(content.letter, letter, "es", date(2026, 11, 30))
        seconds = median_seconds(
            lambda lt=letter: postal_pdf(content.letter, lt, "es", date(2026, 11, 30)), args.repeats
        )
        print(f"| {label} | 1 | 1 | {len(data) / 1e3:.0f} kB | {seconds:.2f} s | |")


if __name__ == "__main__":
    main()
