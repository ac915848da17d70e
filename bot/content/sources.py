"""What a card's sources and dates must satisfy: links that land on the document, dated figures.

Two small checks that ``check-content`` runs on every card:

* :func:`figures_in` finds the figures a text states (counts, amounts, percentages), so a card
  that states one must say the date its figures describe (``data_as_of``). Years, the day of a
  date and the numbers inside names and codes ("287(g)", "OIG-18-77", "Executive Order 14159",
  a ZIP code) are not figures.
* :class:`IndexPage` rules, kept in content (``source_rules`` in ``facts.yaml``) so editors can
  extend them, name the home and section pages a source must never link to: a reader who taps
  "justice.gov/crt" cannot find the claim. A link to a site's home page is always refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.content.models import MONTHS

# The day of a date: "December 15, 2011", "15 de diciembre de 2011".
_DAY_OF_DATE = re.compile(
    rf"\b(?:{'|'.join(MONTHS['en'])})\s+\d{{1,2}}\b"
    rf"|\b\d{{1,2}}\s+de\s+(?:{'|'.join(MONTHS['es'])})\b",
    re.IGNORECASE,
)
# A numeral: 7, 1,934, 1.5, 35 (of "35–36"). Its neighbours decide whether it is a figure.
_NUMERAL = re.compile(r"\d+(?:[.,]\d+)*")
_WORD_CHAR = re.compile(r"[\w\-/()]")
# Words after which a number is a name, not a quantity: "section 11", "No. 579".
_NAMING_WORD = re.compile(r"(?:section|sección|sec\.|no\.|núm\.|number|número)\s*$", re.I)


def figures_in(text: str) -> list[str]:
    """The figures ``text`` states, in order: "1,934", "44", "352" of "$352 million"."""
    text = _DAY_OF_DATE.sub(" ", text)
    found = []
    for match in _NUMERAL.finditer(text):
        numeral = match.group()
        if re.fullmatch(r"\d{4,}", numeral):
            continue  # a year (2011, mid-2026) or a code (Executive Order 14159, DC 20528)
        if any(c.isalpha() for c in _word_around(text, match.start(), match.end())):
            continue  # part of a name or code: 287(g), 287g, OIG-18-77, IF11898
        before = text[: match.start()]
        if before.endswith("§") or _NAMING_WORD.search(before):
            continue  # §11, section 11, No. 579
        found.append(numeral)
    return found


def _word_around(text: str, start: int, end: int) -> str:
    """The run of word characters, hyphens, slashes and brackets that holds text[start:end]."""
    while start > 0 and _WORD_CHAR.match(text[start - 1]):
        start -= 1
    while end < len(text) and _WORD_CHAR.match(text[end]):
        end += 1
    return text[start:end]


@dataclass(frozen=True, slots=True)
class IndexPage:
    """A home or section page that lists documents instead of being one.

    ``page`` is an address without scheme, "www." or a trailing "/" ("justice.gov/crt");
    ``*`` stands for one path segment ("github.com/*/*": any repository's front page).
    """

    page: str
    what: str  # shown in the error: "the Civil Rights Division's front page"

    def matches(self, url: str) -> bool:
        want = _host_and_path(self.page).split("/")
        have = _host_and_path(url).split("/")
        if len(want) != len(have):
            return False
        return all(
            (w == "*" and bool(h)) or w.lower() == h.lower()
            for w, h in zip(want, have, strict=True)
        )


def _host_and_path(url: str) -> str:
    """'https://www.Justice.gov/crt/?x#y' → 'justice.gov/crt': what an index-page rule sees."""
    parts = urlsplit(url if "://" in url else f"https://{url}")
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = parts.path.strip("/")
    return f"{host}/{path}" if path else host


def index_page_problem(url: str, rules: tuple[IndexPage, ...]) -> str | None:
    """Why ``url`` cannot back a claim (a home or section page), or None when it can."""
    parts = urlsplit(url)
    if parts.path.strip("/") == "" and not parts.query:
        return "links to the site's home page, not to the document: link the document itself"
    for rule in rules:
        if rule.matches(url):
            return (
                f"links to {rule.what} ({rule.page}), not to the document: link the document "
                "itself (a release, report, ruling or article)"
            )
    return None


def valid_index_page(page: str) -> bool:
    """Whether ``page`` is a usable rule: a host with a dot, then optional path segments."""
    head, _, rest = page.strip("/").partition("/")
    segments = [s for s in rest.split("/") if s] if rest else []
    return (
        bool(re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", head.lower()))
        and "//" not in page.strip("/")
        and ":" not in page
        and all(s == "*" or "*" not in s for s in segments)
    )
