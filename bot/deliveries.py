"""Letters the campaign delivers for its supporters (``channels.campaign`` in content).

Where the office has no inbox, the campaign delivers: a supporter confirms exactly what is
handed over — the letter as shown to them, the name and city it is signed with — and the letter
is queued with the time of that consent. Organizers export the queued letters as one batch (a
PDF and a CSV manifest, see :mod:`bot.letter_pdf`), deliver them to the office, and mark the
batch delivered; the senders who asked to be told learn the date and how many letters went
with theirs. This module owns those rows and every change they go through:

* nothing about immigration status is ever queued: the sensitive-word check of
  :mod:`bot.letters` runs on the sender's own words, name and place first, and the letter is
  rendered from the draft, whose story is only ever one its sender kept;
* a supporter has at most one letter waiting (a count of letters is a count of people):
  confirming again replaces a letter not yet exported, and is refused once it is;
* a letter withdrawn by its sender's ``/forget`` after its batch was exported is named when the
  batch is marked delivered, so organizers take its page out;
* a delivered letter is out of the bot's hands: ``OUTREACH_LETTER_RETENTION_DAYS`` after the
  batch was marked delivered (or at the sender's ``/forget``) only a count is left — no text,
  no name, no user id, the day of consent instead of the time.

Statuses: ``queued`` (``batch_id`` set once exported) → ``delivered``. Counters with no user id
(``daily_counts``): ``channel:campaign:queued`` and ``channel:campaign:delivered``, and for the
other channels ``channel:<channel>:<outcome>`` once per draft (:func:`record_outcome`).
Nothing here knows about Telegram.
"""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final, Literal, TextIO

from bot.content.models import LetterContent
from bot.export import csv_safe
from bot.letters import DraftChoices, Letter, render_letter, sensitive_mentions
from bot.storage import COUNT_EVENT, Storage, StorageError, utc_day

QUEUED: Final = "queued"
DELIVERED: Final = "delivered"
# How a batch went to the office: stored as the key; organizers may type any of the names.
HOW: Final = {"hand": ("hand", "by hand", "in person"), "mail": ("mail", "by mail", "post")}

# The outcomes counted per channel, in the order /stats shows them.
CHANNEL_OUTCOMES: Final[dict[str, tuple[str, ...]]] = {
    "campaign": ("queued", "delivered"),
    "email": ("sent", "couldnt"),
    "postal": ("pdf", "sent", "couldnt"),
    "webform": ("sent", "couldnt"),
}
# The outcomes the guide records once per draft; the campaign's are counted as letters.
DRAFT_OUTCOMES: Final = frozenset(
    (channel, outcome)
    for channel, outcomes in CHANNEL_OUTCOMES.items()
    if channel != "campaign"
    for outcome in outcomes
)


def channel_event(channel: str, outcome: str) -> str:
    """The ``daily_counts`` event of one outcome of one channel."""
    return f"channel:{channel}:{outcome}"


@dataclass(frozen=True, slots=True)
class CampaignLetter:
    """One row of ``campaign_letters``; text, name and user id are None once only counted."""

    id: int
    user_id: int | None
    language: str
    subject: str | None
    body: str | None
    sign_name: str | None
    sign_place: str | None
    consent_at: int
    notify: bool
    status: str
    batch_id: int | None


_LETTER_COLUMNS: Final = (
    "id, user_id, language, subject, body, sign_name, sign_place, consent_at, notify, status,"
    " batch_id"
)


def _letter(row: sqlite3.Row) -> CampaignLetter:
    return CampaignLetter(
        id=row["id"],
        user_id=row["user_id"],
        language=row["language"],
        subject=row["subject"],
        body=row["body"],
        sign_name=row["sign_name"],
        sign_place=row["sign_place"],
        consent_at=row["consent_at"],
        notify=bool(row["notify"]),
        status=row["status"],
        batch_id=row["batch_id"],
    )


@dataclass(frozen=True, slots=True)
class Batch:
    """Letters exported together, then delivered together."""

    id: int
    created_at: int
    first_at: int  # consent time of its first letter ...
    last_at: int  # ... and of its last
    exported: tuple[int, ...]  # the ids of the letters exported
    count: int  # letters exported; once delivered, letters delivered
    delivered_on: str | None  # YYYY-MM-DD
    how: str | None  # hand | mail
    marked_at: int | None

    @property
    def exported_on(self) -> date:
        """The day (UTC) the batch was exported: it cannot have been delivered before."""
        return datetime.fromtimestamp(self.created_at, UTC).date()


_BATCH_COLUMNS: Final = (
    "id, created_at, first_at, last_at, exported, count, delivered_on, how, marked_at"
)


def _batch(row: sqlite3.Row) -> Batch:
    return Batch(
        id=row["id"],
        created_at=row["created_at"],
        first_at=row["first_at"],
        last_at=row["last_at"],
        exported=tuple(int(x) for x in str(row["exported"]).split(",") if x),
        count=row["count"],
        delivered_on=row["delivered_on"],
        how=row["how"],
        marked_at=row["marked_at"],
    )


@dataclass(frozen=True, slots=True)
class Queued:
    """What :func:`queue_letter` did: ``queued`` (a new letter), ``replaced`` (the waiting one,
    not yet exported), ``exported`` (refused: the waiting one is already on its way) or
    ``sensitive`` (refused: ``words`` from the sender's own words, name or place)."""

    result: Literal["queued", "replaced", "exported", "sensitive"]
    letter: Letter | None = None  # the letter stored, exactly as shown
    letter_id: int | None = None
    words: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Standing:
    """Where a supporter's letter is: ``queued`` (waiting), ``exported`` (printed for delivery)
    or ``delivered`` (on ``delivered_on``, out of the bot's hands)."""

    status: Literal["queued", "exported", "delivered"]
    letter_id: int
    delivered_on: str | None = None


@dataclass(frozen=True, slots=True)
class WeekCount:
    """Letters confirmed in one week (starting Monday, UTC) in one language, by status."""

    week: date
    language: str
    status: Literal["queued", "exported", "delivered"]
    count: int


@dataclass(frozen=True, slots=True)
class Notice:
    """One sender to tell that their letter was delivered, and with how many others."""

    letter_id: int
    user_id: int
    language: str
    delivered_on: str  # YYYY-MM-DD
    how: str  # hand | mail
    total: int  # letters delivered in that batch, theirs included


@dataclass(frozen=True, slots=True)
class Delivery:
    """A batch just marked delivered: who asked to be told, and which exported letters their
    senders withdrew since (their pages must not be handed over)."""

    batch: Batch
    notices: tuple[Notice, ...]
    withdrawn: tuple[int, ...]


class DeliveryError(ValueError):
    """A batch cannot be marked delivered (unknown, already delivered, a bad date or how)."""


def parse_how(text: str) -> str | None:
    """``hand`` or ``mail`` for what an organizer typed ("by hand", "Mail" …), else None."""
    wanted = " ".join(text.lower().split())
    return next((key for key, names in HOW.items() if wanted in names), None)


# -- queueing -------------------------------------------------------------------------------------


async def queue_letter(
    storage: Storage,
    letters: LetterContent,
    *,
    user_id: int,
    language: str,
    choices: DraftChoices,
    notify: bool,
    source: str | None = None,
) -> Queued:
    """Queue the letter of ``choices`` — rendered exactly as the sender was shown it — for the
    campaign to deliver, with the time of this consent and their "tell me" choice.

    ``choices`` come from the sender's draft, whose story is one they kept. Nothing is stored
    when their own words, name or place mention a sensitive word (immigration status and the
    like): the result names the words.
    """
    own = "\n".join(part for part in (choices.story, choices.sign_name, choices.sign_place) if part)
    words = sensitive_mentions(own, letters.sensitive_words.all())
    if words:
        return Queued("sensitive", words=tuple(words))
    letter = render_letter(letters, choices, language)
    now = storage.now()
    values = (letter.subject, letter.body, choices.sign_name, choices.sign_place, now, int(notify))
    try:
        async with storage.transaction() as conn:
            cursor = await conn.execute(
                "SELECT id, batch_id FROM campaign_letters WHERE user_id = ? AND status = ?",
                (user_id, QUEUED),
            )
            waiting = cursor.fetchone()
            if waiting is not None and waiting["batch_id"] is not None:
                return Queued("exported", letter_id=int(waiting["id"]))
            if waiting is not None:
                await conn.execute(
                    "UPDATE campaign_letters SET subject = ?, body = ?, sign_name = ?,"
                    " sign_place = ?, consent_at = ?, notify = ?, language = ? WHERE id = ?",
                    (*values, language, waiting["id"]),
                )
                return Queued("replaced", letter, int(waiting["id"]))
            cursor = await conn.execute(
                "INSERT INTO campaign_letters (user_id, language, subject, body, sign_name,"
                " sign_place, consent_at, notify) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (user_id, language, *values),
            )
            letter_id = cursor.lastrowid
            await conn.execute(
                COUNT_EVENT,
                (utc_day(now), channel_event("campaign", "queued"), language, source or "", 1),
            )
    except sqlite3.Error as exc:
        raise StorageError(str(exc)) from exc
    assert letter_id is not None
    return Queued("queued", letter, letter_id)


async def set_notify(storage: Storage, user_id: int, notify: bool) -> bool:
    """Change the "tell me when it's delivered" choice of the waiting letter; False if none."""
    changed = await storage.write(
        "UPDATE campaign_letters SET notify = ? WHERE user_id = ? AND status = ?",
        (int(notify), user_id, QUEUED),
    )
    return changed == 1


async def standing(storage: Storage, user_id: int) -> Standing | None:
    """The supporter's letter the campaign holds or delivered, most pressing first (waiting or
    exported before delivered); None when there is none — e.g. to tell, at ``/forget``, that a
    waiting letter will not be delivered."""
    row = await storage.fetchone(
        "SELECT l.id, l.status, l.batch_id, b.delivered_on FROM campaign_letters AS l"
        " LEFT JOIN letter_batches AS b ON b.id = l.batch_id"
        " WHERE l.user_id = ? ORDER BY l.status = 'delivered', l.id DESC LIMIT 1",
        (user_id,),
    )
    if row is None:
        return None
    if row["status"] == DELIVERED:
        return Standing("delivered", int(row["id"]), row["delivered_on"])
    return Standing("exported" if row["batch_id"] is not None else "queued", int(row["id"]))


# -- what organizers see and do -------------------------------------------------------------------


async def weekly_counts(storage: Storage) -> list[WeekCount]:
    """Letters by week of consent (Monday, UTC), language and status, newest week first."""
    rows = await storage.fetchall(
        "SELECT date(consent_at, 'unixepoch', 'weekday 0', '-6 days') AS week, language,"
        " CASE WHEN status = 'delivered' THEN 'delivered'"
        " WHEN batch_id IS NULL THEN 'queued' ELSE 'exported' END AS standing, COUNT(*)"
        " FROM campaign_letters GROUP BY 1, 2, 3 ORDER BY 1 DESC, 2, 3",
        slow=True,  # the whole table, for an organizer: in the worker thread
    )
    standings: dict[str, Literal["queued", "exported", "delivered"]] = {
        "queued": "queued",
        "exported": "exported",
        "delivered": "delivered",
    }
    return [
        WeekCount(date.fromisoformat(row[0]), row[1], standings[row[2]], int(row[3]))
        for row in rows
    ]


async def export_batch(
    storage: Storage, since: int = 0
) -> tuple[Batch, list[CampaignLetter]] | None:
    """Make one batch of every waiting letter confirmed at or after ``since`` (unix time) and
    not exported yet, oldest first; None when there is none."""
    now = storage.now()
    try:
        async with storage.transaction() as conn:
            cursor = await conn.execute(
                f"SELECT {_LETTER_COLUMNS} FROM campaign_letters"  # noqa: S608 - fixed columns
                " WHERE status = ? AND batch_id IS NULL AND consent_at >= ?"
                " ORDER BY consent_at, id",
                (QUEUED, since),
            )
            letters = [_letter(row) for row in cursor.fetchall()]
            if not letters:
                return None
            exported = ",".join(str(letter.id) for letter in letters)
            cursor = await conn.execute(
                "INSERT INTO letter_batches (created_at, first_at, last_at, exported, count)"
                " VALUES (?, ?, ?, ?, ?)",
                (now, letters[0].consent_at, letters[-1].consent_at, exported, len(letters)),
            )
            batch_id = int(cursor.lastrowid or 0)
            await conn.executemany(
                "UPDATE campaign_letters SET batch_id = ? WHERE id = ?",
                [(batch_id, letter.id) for letter in letters],
            )
    except sqlite3.Error as exc:
        raise StorageError(str(exc)) from exc
    batch = await get_batch(storage, batch_id)
    assert batch is not None
    return batch, await batch_letters(storage, batch_id)


async def get_batch(storage: Storage, batch_id: int) -> Batch | None:
    row = await storage.fetchone(
        f"SELECT {_BATCH_COLUMNS} FROM letter_batches WHERE id = ?",  # noqa: S608 - fixed columns
        (batch_id,),
    )
    return _batch(row) if row else None


async def open_batches(storage: Storage) -> list[Batch]:
    """Batches exported and not yet marked delivered, oldest first."""
    rows = await storage.fetchall(
        f"SELECT {_BATCH_COLUMNS} FROM letter_batches"  # noqa: S608 - fixed columns
        " WHERE delivered_on IS NULL ORDER BY id"
    )
    return [_batch(row) for row in rows]


async def batch_letters(storage: Storage, batch_id: int) -> list[CampaignLetter]:
    """The letters of a batch still held (a sender's /forget takes theirs out), oldest first."""
    rows = await storage.fetchall(
        f"SELECT {_LETTER_COLUMNS} FROM campaign_letters"  # noqa: S608 - fixed columns
        " WHERE batch_id = ? ORDER BY consent_at, id",
        (batch_id,),
        slow=True,  # every letter of a batch, for an organizer: in the worker thread
    )
    return [_letter(row) for row in rows]


async def mark_delivered(storage: Storage, batch_id: int, delivered_on: date, how: str) -> Delivery:
    """Record that batch ``batch_id`` went to the office on ``delivered_on``, ``how`` (hand or
    mail); return who asked to be told and which exported letters were withdrawn since.

    Raises :class:`DeliveryError` for an unknown or already delivered batch, a date in the
    future or before the batch was exported, or an unknown way of delivering.
    """
    if how not in HOW:
        raise DeliveryError(f"how: {how!r} is not one of {', '.join(sorted(HOW))}")
    batch = await get_batch(storage, batch_id)
    if batch is None:
        raise DeliveryError(f"there is no batch {batch_id}")
    if batch.delivered_on is not None:
        raise DeliveryError(f"batch {batch_id} was already delivered on {batch.delivered_on}")
    now = storage.now()
    exported_on = batch.exported_on
    if not exported_on <= delivered_on <= datetime.fromtimestamp(now, UTC).date():
        raise DeliveryError(
            f"date: {delivered_on.isoformat()} is not between the export"
            f" ({exported_on.isoformat()}) and today"
        )
    try:
        async with storage.transaction() as conn:
            cursor = await conn.execute(
                "SELECT id, user_id, language, notify FROM campaign_letters"
                " WHERE batch_id = ? AND status = ? ORDER BY id",
                (batch_id, QUEUED),
            )
            held = list(cursor.fetchall())
            cursor = await conn.execute(
                "UPDATE letter_batches SET count = ?, delivered_on = ?, how = ?, marked_at = ?"
                " WHERE id = ? AND delivered_on IS NULL",
                (len(held), delivered_on.isoformat(), how, now, batch_id),
            )
            if cursor.rowcount != 1:  # marked by someone else meanwhile: change nothing
                raise DeliveryError(f"batch {batch_id} was already delivered")
            await conn.execute(
                "UPDATE campaign_letters SET status = ? WHERE batch_id = ? AND status = ?",
                (DELIVERED, batch_id, QUEUED),
            )
            per_language: dict[str, int] = {}
            for row in held:
                per_language[row["language"]] = per_language.get(row["language"], 0) + 1
            for language, count in sorted(per_language.items()):
                await conn.execute(
                    COUNT_EVENT,
                    (utc_day(now), channel_event("campaign", "delivered"), language, "", count),
                )
    except sqlite3.Error as exc:
        raise StorageError(str(exc)) from exc
    delivered = await get_batch(storage, batch_id)
    assert delivered is not None
    kept = {int(row["id"]) for row in held}
    notices = tuple(
        Notice(
            int(row["id"]),
            int(row["user_id"]),
            row["language"],
            delivered_on.isoformat(),
            how,
            len(held),
        )
        for row in held
        if row["notify"] and row["user_id"] is not None
    )
    withdrawn = tuple(i for i in batch.exported if i not in kept)
    return Delivery(delivered, notices, withdrawn)


async def pending_notices(storage: Storage, limit: int = 100) -> list[Notice]:
    """Senders of delivered letters who asked to be told and have not been yet."""
    rows = await storage.fetchall(
        "SELECT l.id, l.user_id, l.language, b.delivered_on, b.how, b.count"
        " FROM campaign_letters AS l JOIN letter_batches AS b ON b.id = l.batch_id"
        " WHERE l.status = 'delivered' AND l.notify = 1 AND l.notified_at IS NULL"
        " AND l.user_id IS NOT NULL ORDER BY l.id LIMIT ?",
        (limit,),
    )
    return [Notice(row[0], row[1], row[2], row[3], row[4], row[5]) for row in rows]


async def mark_notified(storage: Storage, letter_id: int) -> bool:
    """Record that the sender was told (or cannot be): never twice."""
    changed = await storage.write(
        "UPDATE campaign_letters SET notified_at = ? WHERE id = ? AND notified_at IS NULL",
        (storage.now(), letter_id),
    )
    return changed == 1


async def expire_letters(storage: Storage, older_than: int) -> int:
    """Leave only a count of the letters delivered in batches marked before ``older_than``
    (unix time): no text, name, user id or time of day. Returns how many were emptied."""
    return await storage.write(
        "UPDATE campaign_letters SET user_id = NULL, subject = NULL, body = NULL,"
        " sign_name = NULL, sign_place = NULL, notify = 0, notified_at = NULL,"
        " consent_at = consent_at - consent_at % 86400"
        " WHERE status = 'delivered' AND (body IS NOT NULL OR user_id IS NOT NULL)"
        " AND batch_id IN (SELECT id FROM letter_batches WHERE marked_at < ?)",
        (older_than,),
    )


# -- the other channels ---------------------------------------------------------------------------


async def record_outcome(
    storage: Storage, user_id: int, channel: str, outcome: str, lang: str, source: str | None
) -> bool:
    """Count one outcome of a channel (``email``/``sent``, ``postal``/``pdf`` …) once per
    draft, with no user id; False if already counted for this draft (or there is none)."""
    if (channel, outcome) not in DRAFT_OUTCOMES:
        raise ValueError(f"not a channel outcome: {channel}/{outcome}")
    return await storage.reach(
        user_id, f"{channel}_{outcome}", lang, source, event=channel_event(channel, outcome)
    )


# -- the manifest ---------------------------------------------------------------------------------

MANIFEST_COLUMNS: Final = (
    "letter",
    "page",
    "confirmed_at",
    "language",
    "signed_name",
    "signed_place",
    "subject",
)


def write_manifest(
    out: TextIO, letters: Sequence[CampaignLetter], pages: Sequence[int], *, bom: bool = True
) -> int:
    """A CSV of a batch, one row per letter in PDF order: its reference, the page it starts on
    in the batch PDF (``pages``), when it was confirmed (UTC), its language, the name and
    place it is signed with, and its subject. Never a Telegram id; cells a spreadsheet would
    run as a formula are neutralised. ``out`` should be opened with ``newline=""``."""
    if bom:
        out.write("\ufeff")  # Excel reads UTF-8 with it (see bot/export.py)
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerow(MANIFEST_COLUMNS)
    for letter, page in zip(letters, pages, strict=True):
        writer.writerow(
            (
                str(letter.id),
                str(page),
                datetime.fromtimestamp(letter.consent_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                csv_safe(letter.language),
                csv_safe(letter.sign_name or ""),
                csv_safe(letter.sign_place or ""),
                csv_safe(letter.subject or ""),
            )
        )
    return len(letters)


def languages(letters: Iterable[CampaignLetter]) -> list[str]:
    """The languages of ``letters``, most letters first."""
    counts: dict[str, int] = {}
    for letter in letters:
        counts[letter.language] = counts.get(letter.language, 0) + 1
    return sorted(counts, key=lambda lang: (-counts[lang], lang))
