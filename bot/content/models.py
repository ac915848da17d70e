"""Typed, immutable models of the campaign content loaded from ``content/``.

Everything a supporter reads comes from these objects; code never holds user-facing text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Lang = Literal["en", "es"]
LANGS: tuple[Lang, ...] = ("en", "es")

# Month names, to write dates and to recognise them in text.
MONTHS: dict[str, tuple[str, ...]] = {
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
    "es": (
        "enero", "febrero", "marzo", "abril", "mayo", "junio",
        "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
    ),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Localized:
    """One piece of text in every supported language."""

    en: str
    es: str

    def get(self, lang: str) -> str:
        """The text in ``lang``; English for any language the content does not carry."""
        return self.es if lang == "es" else self.en


@dataclass(frozen=True, slots=True)
class LocalizedList:
    """A list of short strings (keywords, stop words) per language."""

    en: tuple[str, ...]
    es: tuple[str, ...]

    def get(self, lang: str) -> tuple[str, ...]:
        return self.es if lang == "es" else self.en

    def all(self) -> tuple[str, ...]:
        return self.en + self.es


@dataclass(frozen=True, slots=True)
class Citation:
    """A source that supports a fact: who published what, when, and where to read it."""

    title: str
    publisher: str
    date: str  # ISO date, possibly partial: "2021", "2021-01" or "2021-01-30"
    url: str  # always https, and the document itself (never a home or section page)
    # The rest of a full citation (docket, report number, where the text is): needed when the
    # document has no stable address and ``url`` is the closest stable page that contains it.
    reference: str = ""


@dataclass(frozen=True, slots=True)
class Fact:
    """A short fact card: what, why it matters, and its sources."""

    id: str
    topic: str
    title: Localized
    text: Localized  # what: the fact itself
    why: Localized  # why it matters
    keywords: LocalizedList
    sources: tuple[Citation, ...]
    checked: str  # ISO date a person last verified the card against its sources
    # ISO date, possibly partial, the card's figures describe; required when it states one
    data_as_of: str | None = None
    review_by: str | None = None  # ISO date after which check-content warns
    important: bool = False  # offered first (e.g. an empty inline query)
    related: tuple[str, ...] = ()


# The journeys an answer in ``answers.yaml`` can open, each shown as a button under the answer
# ("menu" shows the whole main menu). ``check-content`` refuses any other name.
ANSWER_JOURNEYS: tuple[str, ...] = (
    "menu",  # the main menu
    "facts",  # Learn the facts: the topics
    "comment",  # the comment guide
    "pledge",  # the pledge
    "local",  # Where I live
    "share",  # the share screen
    "updates",  # get updates
    "privacy",  # what is stored, /mydata, /forget
    "help",  # how to use the bot
)


@dataclass(frozen=True, slots=True)
class Link:
    """A trusted page an answer refers the supporter to (a referral, not a claim of ours)."""

    title: Localized
    publisher: str
    url: str  # always https, and the page itself (never a home or section page)


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer that opens a journey: "what can I do?" → the comment guide, the pledge, share.

    Found by free-text search like a fact card, by its keywords only; the reply is plain text.
    """

    id: str
    keywords: LocalizedList
    reply: Localized
    journeys: tuple[str, ...]  # names from ANSWER_JOURNEYS, one button each, in this order
    links: tuple[Link, ...] = ()


@dataclass(frozen=True, slots=True)
class Topic:
    """A group of facts shown as one button under "Learn the facts"."""

    id: str
    title: Localized
    description: Localized
    fact_ids: tuple[str, ...] = field(default=())  # in display order, derived from the facts


@dataclass(frozen=True, slots=True)
class Campaign:
    """Who the bot speaks for, and its Telegram profile texts."""

    name: Localized
    description: Localized  # Telegram bot description, up to 512 characters
    short_description: Localized  # Telegram short description, up to 120 characters
    pledge: Localized  # the pledge supporters take
    stop_words: LocalizedList  # a message that is only one of these unsubscribes


@dataclass(frozen=True, slots=True)
class USState:
    """A US state or territory a supporter can name."""

    code: str  # USPS code, e.g. "TX"
    name: Localized
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Variants:
    """Several wordings of one piece of a letter, per language."""

    en: tuple[str, ...]
    es: tuple[str, ...]

    def get(self, lang: str) -> tuple[str, ...]:
        return self.es if lang == "es" else self.en


@dataclass(frozen=True, slots=True)
class Role:
    """Who the sender is; sets the letter's opening."""

    id: str
    label: Localized
    openings: Variants


@dataclass(frozen=True, slots=True)
class TalkingPoint:
    """A reason a sender can choose; each has several paragraph wordings."""

    id: str
    label: Localized
    paragraphs: Variants


# The channels a letter can go through, in the order the guide offers them.
CHANNEL_NAMES = ("campaign", "email", "postal", "webform")


@dataclass(frozen=True, slots=True)
class CampaignDelivery:
    """The campaign delivers letters for its supporters (``channels.campaign``): to whom, and how
    and when, in the organizers' own words."""

    to: Localized  # who receives the letters: the office, never a person
    how: Localized  # how and when the organizers deliver (no promise they cannot keep)
    cover_title: Localized  # the batch PDF's cover page: title ...
    cover: Localized  # ... and text ({count}, {first}, {last}, {campaign}, {office})


@dataclass(frozen=True, slots=True)
class Channels:
    """Where a comment can be sent. Empty e-mail or web form: that channel is not offered."""

    email: str  # from content or OUTREACH_RECIPIENT_EMAIL; "" hides the e-mail channel
    postal_address: tuple[str, ...]
    postal_note: Localized
    webform_url: str
    campaign: CampaignDelivery | None = None  # None: the campaign does not deliver letters
    # What each channel takes, in one honest line for the guide's first step ("we deliver it
    # for you", "from your own e-mail", "print and post"), by channel name.
    summaries: dict[str, Localized] = field(default_factory=dict)
    # Names a compose link that carries the short version of a letter too long for a link.
    short_label: Localized = field(default_factory=lambda: Localized(en="", es=""))

    def offered(self) -> tuple[str, ...]:
        """The channels this content offers, in :data:`CHANNEL_NAMES` order."""
        present = {
            "campaign": self.campaign is not None,
            "email": bool(self.email),
            "postal": bool(self.postal_address),
            "webform": bool(self.webform_url),
        }
        return tuple(name for name in CHANNEL_NAMES if present[name])


@dataclass(frozen=True, slots=True)
class LetterContent:
    """Everything the comment guide assembles letters from."""

    office: Localized
    why: Localized
    salutations: Variants
    channels: Channels
    roles: dict[str, Role]
    talking_points: dict[str, TalkingPoint]
    subjects: Variants
    closings: Variants
    signoffs: Variants
    sensitive_words: LocalizedList
    reminder_hours: int


TargetKind = Literal["county_commission", "sheriff", "police", "city_council", "mayor", "other"]
TARGET_KINDS: tuple[TargetKind, ...] = (
    "county_commission",
    "sheriff",
    "police",
    "city_council",
    "mayor",
    "other",
)


@dataclass(frozen=True, slots=True)
class LocalTarget:
    """A local office organizers ask supporters to call or write (``content/targets.yaml``).

    It is matched by place: a city (and, if given, the county the city is in), else a county,
    else the whole state.
    """

    id: str
    kind: TargetKind
    name: Localized
    state: str  # USPS code
    county: str | None  # "Harris County"
    city: str | None  # "Houston"
    phone: str | None  # as the organizers wrote it; at least one of phone and url is given
    url: str | None  # https
    ask: Localized  # what to ask for, in one or two sentences
    script: Localized  # what to say on the phone
    checked: str  # ISO date the organizers last checked the phone and address
