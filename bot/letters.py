"""Personal letters to the Secretary of Homeland Security's office, and links to send them.

A letter is assembled from content pieces (subject, salutation, an opening for the sender's
role, one paragraph per chosen reason, the sender's own story unchanged, a closing, a sign-off,
the signature). The wording of each piece is drawn from its variants with a random generator
seeded per draft, so one sender always sees the same letter while fifty senders with the same
choices get different ones. Nothing here knows about Telegram.
"""

from __future__ import annotations

import random
import re
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


def render_letter(letter: LetterContent, choices: DraftChoices, lang: str) -> Letter:
    """The letter for these choices, in ``lang``; the same choices give the same letter."""
    # Not for security: the seed only makes the choice of wording stable per draft.
    rng = random.Random(choices.seed)  # noqa: S311
    office = letter.office.get(lang)

    def pick(options: tuple[str, ...]) -> str:
        return _fill(rng.choice(options), office)

    subject = pick(letter.subjects.get(lang))
    parts = [pick(letter.salutations.get(lang))]
    role = letter.roles.get(choices.role or "")
    if role is not None:
        parts.append(pick(role.openings.get(lang)))
    for reason in choices.reasons:
        point = letter.talking_points.get(reason)
        if point is not None:
            parts.append(pick(point.paragraphs.get(lang)))
    if choices.local_sentence:
        parts.append(choices.local_sentence)
    if choices.story:
        parts.append(choices.story)  # the sender's own words, unchanged
    parts.append(pick(letter.closings.get(lang)))
    signature = [pick(letter.signoffs.get(lang))]
    signature += [part for part in (choices.sign_name, choices.sign_place) if part]
    parts.append("\n".join(signature))
    return Letter(subject=subject, body="\n\n".join(parts))


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
    gmail: str
    outlook: str
    body_included: bool  # False when the body made the links too long: the user pastes it


def compose_links(to: str, subject: str, body: str, limit: int = COMPOSE_URL_MAX) -> ComposeLinks:
    """https compose links for Gmail and Outlook with everything prefilled that fits."""
    gmail = _gmail(to, subject, body)
    outlook = _outlook(to, subject, body)
    if max(len(gmail), len(outlook)) <= limit:
        return ComposeLinks(gmail, outlook, body_included=True)
    return ComposeLinks(_gmail(to, subject, None), _outlook(to, subject, None), body_included=False)


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
    for word in words:
        if word.endswith("*"):
            stem = fold(word[:-1])
            matches = re.findall(rf"(?<![^ ]){re.escape(stem)}[^ ]*", text) if stem else []
        else:
            wanted = fold(word)
            matches = [word] if wanted and f" {wanted} " in padded else []
        for match in matches:
            if match not in found:
                found.append(match)
    # "visa expired" says it all: "visa" on its own adds nothing.
    return [w for w in found if not any(_within(w, other) for other in found if other != w)]


def _within(word: str, phrase: str) -> bool:
    return f" {fold(word)} " in f" {fold(phrase)} "
