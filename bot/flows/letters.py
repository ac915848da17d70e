"""``/letters``: the letters the campaign delivers, as an organizer sees and handles them —
the counts, *Download* (the batch PDF and its CSV manifest) and *Mark delivered*.

Steps: ``/letters`` → the counts by week and language (waiting, printed, delivered) and the
batches printed and not yet delivered → *Download* makes one batch of the waiting letters
(or sends an open batch's files again) → *Mark delivered* asks how ("by hand", "by mail"),
then the day (*Today*, or typed: :data:`STEP_DAY`) → the batch is closed, and the senders who
asked are told by the notices job (:mod:`bot.telegram.jobs`).

Every button names the batch it belongs to (``letters1:mark:12``, ``letters1:day:12-hand-
2026-05-15``); a batch delivered meanwhile, or unknown, is answered with why nothing happened.
The buttons are for organizers only: anyone else's press is refused like forged data.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from html import escape

from bot.callbacks import Feature
from bot.content import Content
from bot.deliveries import HOW, Batch, Notice, WeekCount
from bot.render import format_date
from bot.screens import Button, Row, Screen, say

LETTERS = Feature("letters", 1, organizers_only=True)
DOWNLOAD = LETTERS.action("download", argument=True)  # "new" | a batch id: its files again
MARK = LETTERS.action("mark", argument=True)  # a batch id: how was it delivered?
HOW_PRESS = LETTERS.action("how", argument=True)  # "12-hand": on which day?
DAY = LETTERS.action("day", argument=True)  # "12-hand-2026-05-15": mark it delivered

STEP_DAY = "org_letters_day:"  # + "12-hand": the day of delivery is typed
DAY_RE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*$")
HOW_ARG_RE = re.compile(r"^(\d{1,9})-(hand|mail)$")
DAY_ARG_RE = re.compile(r"^(\d{1,9})-(hand|mail)-(\d{4}-\d{2}-\d{2})$")


def is_day_step(step: str | None) -> bool:
    """Whether ``step`` is the one where the day of a delivery is typed."""
    return step is not None and step.startswith(STEP_DAY)


def day_step(batch_id: int, how: str) -> str:
    return f"{STEP_DAY}{batch_id}-{how}"


def how_ref(arg: str) -> tuple[int, str] | None:
    """``"12-hand"`` → ``(12, "hand")``."""
    match = HOW_ARG_RE.match(arg)
    return (int(match[1]), match[2]) if match else None


def day_ref(arg: str) -> tuple[int, str, date] | None:
    """``"12-hand-2026-05-15"`` → ``(12, "hand", date(2026, 5, 15))``."""
    match = DAY_ARG_RE.match(arg)
    if match is None:
        return None
    try:
        return int(match[1]), match[2], date.fromisoformat(match[3])
    except ValueError:
        return None


def batch_ref(arg: str) -> int | None:
    return int(arg) if arg.isascii() and arg.isdigit() and len(arg) <= 9 else None


def parse_day(text: str, today: date, earliest: date | None = None) -> date | str:
    """A typed ``YYYY-MM-DD`` → the day, or why it is not one (``format``, ``future``, or
    ``before``: earlier than ``earliest``, the day the batch was printed)."""
    match = DAY_RE.match(text)
    if match is None:
        return "format"
    try:
        day = date.fromisoformat(match[1])
    except ValueError:
        return "format"
    if day > today:
        return "future"
    return "before" if earliest is not None and day < earliest else day


# -- screens ---------------------------------------------------------------------------------------


def notice(lang: str, key: str, **values: str) -> Screen:
    """A screen that only says ``letters.<key>``."""
    return Screen(lang, (say(f"letters.{key}", **values),))


def overview(lang: str, counts: Sequence[WeekCount], batches: Sequence[Batch]) -> Screen:
    """The letters by week of consent and language, the batches printed and not delivered,
    and the buttons: download the waiting letters, each open batch again, mark it delivered."""
    table: dict[tuple[date, str], dict[str, int]] = {}
    for row in counts:
        table.setdefault((row.week, row.language), {})[row.status] = row.count
    lines = [
        f"{week.isoformat()} · {escape(language)}: "
        f"{n.get('queued', 0):,} · {n.get('exported', 0):,} · {n.get('delivered', 0):,}"
        for (week, language), n in table.items()
    ]
    waiting = sum(row.count for row in counts if row.status == "queued")
    body = "\n".join(lines) if lines else None
    rows: list[Row] = []
    if waiting:
        label = say("button.letters_download", count=f"{waiting:,}")
        rows.append((Button(label, DOWNLOAD.press("new")),))
    for batch in batches:
        rows.append(
            (
                Button(
                    say("button.letters_again", batch=str(batch.id)), DOWNLOAD.press(str(batch.id))
                ),
                Button(say("button.letters_mark", batch=str(batch.id)), MARK.press(str(batch.id))),
            )
        )
    open_lines = "\n".join(f"#{b.id}: {b.count:,}" for b in batches) or "—"
    head = say("letters.overview", table=body or "—", batches=open_lines)
    return Screen(lang, (head,), tuple(rows))


def ask_how(lang: str, batch_id: int) -> Screen:
    """How the batch went to the office."""
    return Screen(
        lang,
        (say("letters.ask_how", batch=str(batch_id)),),
        (
            (
                Button(say("button.letters_by_hand"), HOW_PRESS.press(f"{batch_id}-hand")),
                Button(say("button.letters_by_mail"), HOW_PRESS.press(f"{batch_id}-mail")),
            ),
        ),
    )


def ask_day(lang: str, batch_id: int, how: str, today: date) -> Screen:
    """On which day: *Today*, or a typed date."""
    press = DAY.press(f"{batch_id}-{how}-{today.isoformat()}")
    return Screen(
        lang,
        (say("letters.ask_day", batch=str(batch_id)),),
        ((Button(say("button.letters_today", date=today.isoformat()), press),),),
    )


def marked(lang: str, batch: Batch, told: int, withdrawn: Sequence[int]) -> Screen:
    """The batch is closed: how many letters, how many senders will be told, and the pages
    to take out (letters withdrawn since the export)."""
    texts = [
        say(
            "letters.marked",
            batch=str(batch.id),
            count=f"{batch.count:,}",
            date=batch.delivered_on or "",
            told=f"{told:,}",
        )
    ]
    if withdrawn:
        refs = ", ".join(f"#{ref}" for ref in withdrawn)
        texts.append(say("letters.withdrawn", refs=refs))
    return Screen(lang, tuple(texts))


def how_words(content: Content, how: str, lang: str) -> str:
    return content.text(f"guide.how_{how}", lang) if how in HOW else escape(how)


def delivered_notice(content: Content, notice: Notice) -> Screen:
    """The one message a sender who asked gets: the date, how, and how many letters went."""
    lang = notice.language
    return Screen(
        lang,
        (
            say(
                "guide.delivered_notice",
                office=escape(content.letter.office.get(lang)),
                date=format_date(notice.delivered_on, lang),
                how=how_words(content, notice.how, lang),
                total=f"{notice.total:,}",
            ),
        ),
    )
