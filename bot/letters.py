"""Personal letters to the Secretary of Homeland Security's office, and links to send them.

A letter is assembled from content pieces (subject, salutation, an opening for the sender's
role, one paragraph per chosen reason, the sender's own story unchanged, a closing, a sign-off,
the signature). The wording of each piece is drawn from its variants with a random generator
seeded per draft, so one sender always sees the same letter while fifty senders with the same
choices get different ones. Nothing here knows about Telegram.
"""

from __future__ import annotations

import functools
import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from bot.content.models import LetterContent
from bot.matching import fold

STORY_MAX = 1000
NAME_MAX_IN_LETTER = 64  # each signature part (name, place)
COMPOSE_URL_MAX = 1800  # mobile mail clients cut longer links; Gmail fails near 6,000

PLACEHOLDER_RE = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


@dataclass(frozen=True, slots=True)
class DraftChoices:
    """What a sender chose in the guide."""

    seed: int
    role: str | None = None
    reasons: tuple[str, ...] = ()
    story: str | None = None
    sign_name: str | None = None
    sign_place: str | None = None
    local_sentence: str | None = None


@dataclass(frozen=True, slots=True)
class Letter:
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class LetterParts:
    """A letter's pieces, in order: what :func:`render_letter` joins, and what a short version
    of the same letter keeps (see :func:`compose_links`)."""

    subject: str
    salutation: str
    opening: str | None  # for the sender's role
    reasons: tuple[str, ...]  # one paragraph per chosen reason
    local: str | None  # the sentence about the sender's county
    story: str | None  # the sender's own words, unchanged
    closing: str
    signature: str  # sign-off, then the name and place if given

    def letter(self) -> Letter:
        """The whole letter."""
        return Letter(self.subject, _join(self.opening, *self.reasons, self.local, parts=self))

    def short(self) -> Letter:
        """The short version of the same letter: same salutation, opening, closing and
        signature, with the sender's own words and the first reason only."""
        return Letter(self.subject, _join(self.opening, *self.reasons[:1], self.local, parts=self))


def _join(*middle: str | None, parts: LetterParts) -> str:
    """Salutation, ``middle``, the story, closing and signature, as paragraphs."""
    pieces = [parts.salutation, *middle, parts.story, parts.closing, parts.signature]
    return "\n\n".join(piece for piece in pieces if piece)


def render_letter(letter: LetterContent, choices: DraftChoices, lang: str) -> Letter:
    """The letter for these choices, in ``lang``; the same choices give the same letter."""
    return letter_parts(letter, choices, lang).letter()


def letter_parts(letter: LetterContent, choices: DraftChoices, lang: str) -> LetterParts:
    """The pieces of the letter for these choices (see :func:`render_letter`)."""
    # Not for security: the seed only makes the choice of wording stable per draft.
    rng = random.Random(choices.seed)  # noqa: S311
    office = letter.office.get(lang)

    def pick(options: tuple[str, ...]) -> str:
        return _fill(rng.choice(options), office)

    subject = pick(letter.subjects.get(lang))
    salutation = pick(letter.salutations.get(lang))
    role = letter.roles.get(choices.role or "")
    opening = pick(role.openings.get(lang)) if role is not None else None
    reasons = []
    for reason in choices.reasons:
        point = letter.talking_points.get(reason)
        if point is not None:
            reasons.append(pick(point.paragraphs.get(lang)))
    closing = pick(letter.closings.get(lang))
    signature = [pick(letter.signoffs.get(lang))]
    signature += [part for part in (choices.sign_name, choices.sign_place) if part]
    return LetterParts(
        subject=subject,
        salutation=salutation,
        opening=opening,
        reasons=tuple(reasons),
        local=choices.local_sentence or None,
        story=choices.story or None,  # the sender's own words, unchanged
        closing=closing,
        signature="\n".join(signature),
    )


def longest_letter(letter: LetterContent, lang: str, story_max: int, sign_max: int) -> Letter:
    """The longest letter any choices can produce (for length checks of content)."""
    office = letter.office.get(lang)

    def longest(options: tuple[str, ...]) -> str:
        return max((_fill(o, office) for o in options), key=len)

    paragraphs = sorted(
        (longest(p.paragraphs.get(lang)) for p in letter.talking_points.values()), key=len
    )[-3:]
    parts = [
        longest(letter.salutations.get(lang)),
        max((longest(r.openings.get(lang)) for r in letter.roles.values()), key=len),
        *paragraphs,
        "x" * story_max,
        longest(letter.closings.get(lang)),
        "\n".join([longest(letter.signoffs.get(lang)), "x" * sign_max, "x" * sign_max]),
    ]
    return Letter(subject=longest(letter.subjects.get(lang)), body="\n\n".join(parts))


def _fill(template: str, office: str) -> str:
    return PLACEHOLDER_RE.sub(lambda m: office if m.group(1) == "office" else m.group(0), template)


def postal_letter(letter: LetterContent, rendered: Letter, lang: str, today: date) -> str:
    """A ready-to-print letter: date, the office's address, subject line, body."""
    from bot.render import format_date  # dates are formatted the same everywhere

    lines = [format_date(today.isoformat(), lang), "", *letter.channels.postal_address, ""]
    lines.append(f"Re: {rendered.subject}")
    lines += ["", rendered.body]
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class ComposeLinks:
    """Gmail and Outlook compose links, and the letter they carry."""

    gmail: str
    outlook: str
    body: str  # the body both links carry: never empty
    full: bool  # True: the whole letter; False: its short version, to be labelled as such


def compose_links(to: str, parts: LetterParts, limit: int = COMPOSE_URL_MAX) -> ComposeLinks:
    """https compose links for Gmail and Outlook with recipient, subject and a body, each link
    at most ``limit`` characters.

    The body is the whole letter when it fits. Otherwise it is the short version of the same
    letter (:meth:`LetterParts.short`); when even that is too long, the county sentence, the
    reason and the opening are left out in that order, so the sender's own words come first,
    and as a last resort the longest remaining piece is cut at a word, with "…" — a link never
    goes without the letter. ``full`` says which one the links carry, so a screen can say so.
    """
    subject = parts.subject
    whole = parts.letter().body

    def fits(body: str) -> bool:
        return max(len(_gmail(to, subject, body)), len(_outlook(to, subject, body))) <= limit

    if fits(whole):
        return _links(to, subject, whole, full=True)
    candidates = [
        parts.short().body,
        _join(parts.opening, *parts.reasons[:1], parts=parts),
        _join(parts.opening, parts=parts),
        _join(parts=parts),
    ]
    for body in candidates:
        if fits(body):
            return _links(to, subject, body, full=False)
    return _links(to, subject, _cut_to_fit(parts, fits), full=False)


def _links(to: str, subject: str, body: str, full: bool) -> ComposeLinks:
    return ComposeLinks(_gmail(to, subject, body), _outlook(to, subject, body), body, full)


def _cut_to_fit(parts: LetterParts, fits: Callable[[str], bool]) -> str:
    """Salutation, story, closing and signature, cutting (then leaving out) the story, the
    closing, the signature and the salutation in that order until the body fits."""
    pieces = [parts.salutation, parts.story or "", parts.closing, parts.signature]
    for index in (1, 2, 3, 0):
        low, high = 0, len(pieces[index])  # the longest prefix of this piece that fits
        while low < high:
            middle = (low + high + 1) // 2
            trial = [*pieces[:index], _cut(pieces[index], middle), *pieces[index + 1 :]]
            if fits(_paragraphs(trial)):
                low = middle
            else:
                high = middle - 1
        pieces[index] = _cut(pieces[index], low)
        if fits(_paragraphs(pieces)):
            break
    return _paragraphs(pieces) or ELLIPSIS


ELLIPSIS = "…"


def _paragraphs(pieces: list[str]) -> str:
    return "\n\n".join(piece for piece in pieces if piece)


def _cut(text: str, length: int) -> str:
    """The first ``length`` characters of ``text`` ending at a word when one is near, with "…";
    never in the middle of a character's accents or of an emoji sequence."""
    if length >= len(text):
        return text
    if length <= 1:
        return ""
    cut = text[: length - 1]
    space = cut.rfind(" ")
    if space >= len(cut) - 20 and space > 0:
        cut = cut[:space]
    while cut and (unicodedata.combining(text[len(cut)]) or text[len(cut)] in JOINERS):
        cut = cut[:-1]
    return cut.rstrip() + ELLIPSIS if cut.strip() else ""


# Characters that join the one before them to what follows: a cut must not fall right before one.
JOINERS = frozenset("\u200d\ufe0e\ufe0f") | frozenset(chr(c) for c in range(0x1F3FB, 0x1F400))


def _gmail(to: str, subject: str, body: str | None) -> str:
    url = f"https://mail.google.com/mail/?view=cm&fs=1&to={_q(to)}&su={_q(subject)}"
    return url + (f"&body={_q(body)}" if body is not None else "")


def _outlook(to: str, subject: str, body: str | None) -> str:
    url = f"https://outlook.live.com/mail/0/deeplink/compose?to={_q(to)}&subject={_q(subject)}"
    return url + (f"&body={_q(body)}" if body is not None else "")


def _q(text: str) -> str:
    return quote(text, safe="")


def sensitive_mentions(story: str, words: tuple[str, ...]) -> list[str]:
    """The sensitive words (immigration status and the like) a story mentions.

    Whole words and phrases, in any case and with or without accents ("visa" is not found in
    "visage"). An entry ending in ``*`` matches every ending of its last word
    ("indocumentad*": indocumentado, indocumentadas…) and is reported as the story wrote it.
    """
    text = fold(story)
    padded = f" {text} "
    found: list[str] = []
    for word, stem, wanted in _sensitive_entries(words):
        if stem is not None:
            matches = stem.findall(text)
        else:
            matches = [word] if wanted and f" {wanted} " in padded else []
        for match in matches:
            if match not in found:
                found.append(match)
    # "visa expired" says it all: "visa" on its own adds nothing.
    return [w for w in found if not any(_within(w, other) for other in found if other != w)]


@functools.lru_cache(maxsize=4)
def _sensitive_entries(
    words: tuple[str, ...],
) -> tuple[tuple[str, re.Pattern[str] | None, str], ...]:
    """Each entry with what finds it, worked out once per list (every story is checked): the
    pattern of an entry ending in ``*`` (None for the others), and the others folded."""
    entries = []
    for word in words:
        if word.endswith("*"):
            stem = fold(word[:-1])  # an empty one finds nothing
            found = re.compile(rf"(?<![^ ]){re.escape(stem)}[^ ]*") if stem else None
            entries.append((word, found, ""))
        else:
            entries.append((word, None, fold(word)))
    return tuple(entries)


def _within(word: str, phrase: str) -> bool:
    return f" {fold(word)} " in f" {fold(phrase)} "
