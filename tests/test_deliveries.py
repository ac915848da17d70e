"""Letters the campaign delivers (bot/deliveries.py), on a real database: queueing after the
sensitive-word check, one waiting letter per supporter, batches, delivery and who is told,
/forget, retention, counters per channel, the CSV manifest."""

from __future__ import annotations

import csv
import html
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.content import Content
from bot.deliveries import (
    DeliveryError,
    Queued,
    WeekCount,
    batch_letters,
    channel_event,
    expire_letters,
    export_batch,
    mark_delivered,
    mark_notified,
    open_batches,
    parse_how,
    pending_notices,
    record_outcome,
    set_notify,
    standing,
    weekly_counts,
    write_manifest,
)
from bot.letters import render_letter
from bot.render import format_date
from bot.storage import Storage
from bot.telegram.jobs import expire_delivered_letters
from tests.harness import (
    Clock,
    Harness,
    letter_choices,
    make_config,
    queue_sample_letter,
    start_harness,
    stop_harness,
)

TODAY = date(2026, 5, 15)


async def rows(storage: Storage, sql: str, *params: object) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in await storage.fetchall(sql, params)]


async def counter(storage: Storage, event: str) -> int:
    return sum((await storage.event_totals(event)).values())


# -- queueing -------------------------------------------------------------------------------------


async def test_a_queued_letter_is_the_letter_shown(storage: Storage, content: Content) -> None:
    """The stored letter is exactly the one rendered for the sender (subject and body), with the
    name and place it is signed with, the language, the time of consent, the "tell me" choice
    unticked by default, and one count of a queued letter with no user id."""
    queued = await queue_sample_letter(storage, content, 1, "es")
    shown = render_letter(content.letter, letter_choices(content), "es")
    assert queued.result == "queued" and queued.letter == shown
    assert await rows(
        storage,
        "SELECT user_id, language, subject, body, sign_name, sign_place, consent_at, notify,"
        " status, batch_id FROM campaign_letters",
    ) == [
        (
            1,
            "es",
            shown.subject,
            shown.body,
            "José Núñez",
            "Austin, TX",
            storage.now(),
            0,
            "queued",
            None,
        )
    ]
    assert await storage.event_totals(channel_event("campaign", "queued")) == {"flyer-tx": 1}


@pytest.mark.parametrize(
    "changes",
    [
        {"story": "My husband is undocumented and afraid."},
        {"story": "Mi esposo no tiene papeles."},
        {"sign_name": "Ana, DACA recipient"},
        {"sign_place": "Houston (sin papeles)"},
    ],
)
async def test_nothing_about_immigration_status_is_queued(
    storage: Storage, content: Content, changes: dict[str, str]
) -> None:
    """The sensitive-word check runs first, on the sender's own words, name and place, in
    both languages: nothing is stored, nothing counted, and the words are named."""
    queued = await queue_sample_letter(storage, content, 1, **changes)
    assert queued.result == "sensitive" and queued.words and queued.letter is None
    assert await rows(storage, "SELECT COUNT(*) FROM campaign_letters") == [(0,)]
    assert await counter(storage, channel_event("campaign", "queued")) == 0


async def test_the_campaigns_own_paragraphs_do_not_count_as_sensitive(
    storage: Storage, content: Content
) -> None:
    """Reasons that speak of immigration status in general (crime victims afraid to call) are
    the campaign's words, not the sender's: such a letter is queued."""
    points = content.letter.talking_points
    reason = next(
        pid for pid, p in points.items() if "immigration status" in " ".join(p.paragraphs.en)
    )
    assert (await queue_sample_letter(storage, content, 1, reasons=(reason,))).result == "queued"


async def test_one_waiting_letter_per_supporter(
    storage: Storage, content: Content, clock: Clock
) -> None:
    """Confirming again replaces the waiting letter (and its consent time) without counting a
    second letter; once exported, a new one is refused until the first is delivered."""
    first = await queue_sample_letter(storage, content, 1)
    clock.advance(1)
    second = await queue_sample_letter(storage, content, 1, seed=8, notify=True)
    assert second.result == "replaced" and second.letter_id == first.letter_id
    assert second.letter != first.letter
    assert await rows(storage, "SELECT body, consent_at, notify FROM campaign_letters") == [
        (second.letter.body if second.letter else None, storage.now(), 1)
    ]
    assert await counter(storage, channel_event("campaign", "queued")) == 1
    await export_batch(storage)
    refused = await queue_sample_letter(storage, content, 1, seed=9)
    assert refused.result == "exported" and refused.letter is None
    assert await rows(storage, "SELECT COUNT(*) FROM campaign_letters") == [(1,)]


async def test_the_tell_me_choice_can_change_while_waiting(
    storage: Storage, content: Content
) -> None:
    """ "Tell me when it's delivered" can be ticked or unticked for a waiting letter only."""
    assert not await set_notify(storage, 1, True)
    await queue_sample_letter(storage, content, 1)
    assert await set_notify(storage, 1, True)
    assert await rows(storage, "SELECT notify FROM campaign_letters") == [(1,)]


async def test_standing_follows_the_letter(
    storage: Storage, content: Content, clock: Clock
) -> None:
    """None, then waiting, then printed for delivery, then delivered on its date."""
    assert await standing(storage, 1) is None
    await queue_sample_letter(storage, content, 1)
    found = await standing(storage, 1)
    assert found is not None and found.status == "queued"
    exported = await export_batch(storage)
    assert exported is not None
    assert (await standing(storage, 1)).status == "exported"  # type: ignore[union-attr]
    clock.advance(2)
    await mark_delivered(storage, exported[0].id, TODAY + timedelta(days=1), "hand")
    found = await standing(storage, 1)
    assert found is not None and found.status == "delivered"
    assert found.delivered_on == "2026-05-16"


# -- organizers: counts, batches, delivery ---------------------------------------------------------


async def test_weekly_counts_by_language_and_status(
    storage: Storage, content: Content, clock: Clock
) -> None:
    """Letters are counted by week of consent (starting Monday, UTC), language and status."""
    clock.at(date(2026, 5, 4))  # a Monday
    await queue_sample_letter(storage, content, 1, "en")
    clock.at(date(2026, 5, 10))  # the Sunday of the same week
    await queue_sample_letter(storage, content, 2, "es")
    await queue_sample_letter(storage, content, 3, "es")
    exported = await export_batch(storage)
    assert exported is not None
    await mark_delivered(storage, exported[0].id, date(2026, 5, 10), "mail")
    clock.at(date(2026, 5, 11))  # the next Monday
    await queue_sample_letter(storage, content, 4, "es")
    await queue_sample_letter(storage, content, 5, "en")
    await export_batch(storage, since=int(clock.now))
    await queue_sample_letter(storage, content, 6, "en")
    assert await weekly_counts(storage) == [
        WeekCount(date(2026, 5, 11), "en", "exported", 1),
        WeekCount(date(2026, 5, 11), "en", "queued", 1),
        WeekCount(date(2026, 5, 11), "es", "exported", 1),
        WeekCount(date(2026, 5, 4), "en", "delivered", 1),
        WeekCount(date(2026, 5, 4), "es", "delivered", 2),
    ]


async def test_export_takes_the_waiting_letters_since_a_date_once(
    storage: Storage, content: Content, clock: Clock
) -> None:
    """A batch holds the waiting letters confirmed since the date, oldest first, with its date
    range; they are not exported again, and with none left there is no batch."""
    clock.at(date(2026, 5, 1))
    await queue_sample_letter(storage, content, 1)
    clock.at(date(2026, 5, 3))
    await queue_sample_letter(storage, content, 2, "es")
    clock.at(date(2026, 5, 2))
    await queue_sample_letter(storage, content, 3)
    clock.at(TODAY)
    since = int(datetime(2026, 5, 2, tzinfo=UTC).timestamp())
    exported = await export_batch(storage, since=since)
    assert exported is not None
    batch, letters = exported
    assert [letter.user_id for letter in letters] == [3, 2]
    assert batch.exported == tuple(letter.id for letter in letters) and batch.count == 2
    assert (batch.first_at, batch.last_at) == (letters[0].consent_at, letters[1].consent_at)
    assert [b.id for b in await open_batches(storage)] == [batch.id]
    assert await export_batch(storage, since=since) is None
    again = await export_batch(storage)
    assert again is not None and [letter.user_id for letter in again[1]] == [1]


async def test_marking_delivered_tells_who_asked(
    storage: Storage, content: Content, clock: Clock
) -> None:
    """Marking a batch delivered (date, how) delivers its letters, counts them per language
    with no user id, and returns — and keeps until told — the senders who asked, with the date
    and how many letters went with theirs."""
    await queue_sample_letter(storage, content, 1, "en", notify=True)
    await queue_sample_letter(storage, content, 2, "es")
    await queue_sample_letter(storage, content, 3, "es", notify=True)
    exported = await export_batch(storage)
    assert exported is not None
    clock.advance(3)
    delivery = await mark_delivered(storage, exported[0].id, TODAY + timedelta(days=2), "hand")
    assert delivery.withdrawn == ()
    assert delivery.batch.delivered_on == "2026-05-17" and delivery.batch.how == "hand"
    assert delivery.batch.count == 3 and delivery.batch.marked_at == storage.now()
    assert [(n.user_id, n.language, n.delivered_on, n.how, n.total) for n in delivery.notices] == [
        (1, "en", "2026-05-17", "hand", 3),
        (3, "es", "2026-05-17", "hand", 3),
    ]
    assert await rows(storage, "SELECT DISTINCT status FROM campaign_letters") == [("delivered",)]
    assert await rows(
        storage,
        "SELECT lang, source, count FROM daily_counts WHERE event = ? ORDER BY lang",
        channel_event("campaign", "delivered"),
    ) == [("en", "", 1), ("es", "", 2)]
    assert await open_batches(storage) == []
    pending = await pending_notices(storage)
    assert pending == list(delivery.notices)
    assert await mark_notified(storage, pending[0].letter_id)
    assert not await mark_notified(storage, pending[0].letter_id)
    assert [n.user_id for n in await pending_notices(storage)] == [3]


async def test_a_batch_is_delivered_once_on_a_real_date(storage: Storage, content: Content) -> None:
    """Unknown or already delivered batches, dates before the export or in the future, and an
    unknown way of delivering are refused and change nothing."""
    await queue_sample_letter(storage, content, 1)
    exported = await export_batch(storage)
    assert exported is not None
    batch_id = exported[0].id
    for args, message in (
        ((batch_id + 1, TODAY, "hand"), "there is no batch"),
        ((batch_id, TODAY + timedelta(days=1), "hand"), "is not between the export"),
        ((batch_id, TODAY - timedelta(days=1), "hand"), "is not between the export"),
        ((batch_id, TODAY, "pigeon"), "is not one of hand, mail"),
    ):
        with pytest.raises(DeliveryError, match=message):
            await mark_delivered(storage, *args)  # type: ignore[arg-type]
    assert await rows(storage, "SELECT status FROM campaign_letters") == [("queued",)]
    await mark_delivered(storage, batch_id, TODAY, "mail")
    with pytest.raises(DeliveryError, match="already delivered"):
        await mark_delivered(storage, batch_id, TODAY, "hand")


@pytest.mark.parametrize(
    ("typed", "how"),
    [("by hand", "hand"), ("By  Hand", "hand"), ("mail", "mail"), ("by mail", "mail"), ("x", None)],
)
def test_how_an_organizer_may_type_it(typed: str, how: str | None) -> None:
    """ "by hand" and "by mail" are understood in any case and spacing; nothing else."""
    assert parse_how(typed) == how


# -- /forget and retention ------------------------------------------------------------------------


async def test_forget_deletes_a_waiting_letter_and_names_a_withdrawn_one(
    storage: Storage, content: Content
) -> None:
    """/forget deletes a waiting letter (it will not be delivered) — also one already exported:
    marking its batch delivered then names it, so its page is taken out, and counts it not."""
    await queue_sample_letter(storage, content, 1, notify=True)
    await queue_sample_letter(storage, content, 2)
    exported = await export_batch(storage)
    assert exported is not None
    withdrawn = next(letter.id for letter in exported[1] if letter.user_id == 1)
    assert await storage.forget_user(1)
    assert await rows(storage, "SELECT user_id FROM campaign_letters") == [(2,)]
    assert [letter.user_id for letter in await batch_letters(storage, exported[0].id)] == [2]
    delivery = await mark_delivered(storage, exported[0].id, TODAY, "hand")
    assert delivery.withdrawn == (withdrawn,) and delivery.batch.count == 1
    assert delivery.notices == ()


async def test_forget_after_delivery_leaves_only_a_count(
    storage: Storage, content: Content, clock: Clock
) -> None:
    """A delivered letter is out of the bot's hands: /forget leaves only a count of it — no text,
    name, place or user id, the day instead of the time — so the delivered figures stay."""
    clock.now += 3600 * 5  # 17:00 UTC
    await queue_sample_letter(storage, content, 1, notify=True)
    exported = await export_batch(storage)
    assert exported is not None
    await mark_delivered(storage, exported[0].id, TODAY, "hand")
    assert await storage.forget_user(1)
    assert await rows(
        storage,
        "SELECT user_id, subject, body, sign_name, sign_place, notify, consent_at, status,"
        " language FROM campaign_letters",
    ) == [(None, None, None, None, None, 0, 1_778_803_200, "delivered", "en")]
    assert await standing(storage, 1) is None
    assert await weekly_counts(storage) == [WeekCount(date(2026, 5, 11), "en", "delivered", 1)]


async def test_retention_empties_delivered_letters(
    storage: Storage, content: Content, clock: Clock
) -> None:
    """The text, name, place and sender of a delivered letter are deleted once its batch was
    marked delivered longer ago than the retention period; a waiting letter, and one delivered
    since, are kept whole."""
    await queue_sample_letter(storage, content, 1)
    exported = await export_batch(storage)
    assert exported is not None
    await mark_delivered(storage, exported[0].id, TODAY, "hand")
    marked = storage.now()
    clock.advance(10)
    await queue_sample_letter(storage, content, 2)
    assert await expire_letters(storage, marked) == 0
    assert await expire_letters(storage, marked + 1) == 1
    assert await expire_letters(storage, marked + 1) == 0
    assert await rows(storage, "SELECT user_id, body IS NULL, sign_name FROM campaign_letters") == [
        (None, 1, None),
        (2, 0, "José Núñez"),
    ]


# -- the other channels ---------------------------------------------------------------------------


async def test_channel_outcomes_count_once_per_draft(storage: Storage) -> None:
    """An outcome of a channel (the postal PDF, "I sent it" by e-mail …) counts once per draft,
    as a daily counter with no user id; an unknown outcome is a programming error."""
    await storage.touch_user(1, "es")
    await storage.start_draft(1, "es", 1, "send")
    assert await record_outcome(storage, 1, "postal", "pdf", "es", "radio")
    assert not await record_outcome(storage, 1, "postal", "pdf", "es", "radio")
    assert await record_outcome(storage, 1, "email", "sent", "es", "radio")
    assert await storage.event_totals("channel:postal:pdf") == {"radio": 1}
    assert await storage.event_totals("channel:email:sent") == {"radio": 1}
    assert not await record_outcome(storage, 2, "postal", "pdf", "es", None)  # no draft
    with pytest.raises(ValueError, match="not a channel outcome"):
        await record_outcome(storage, 1, "campaign", "queued", "es", None)


# -- the manifest ---------------------------------------------------------------------------------


async def test_manifest_lists_the_batch_without_telegram_ids(
    storage: Storage, content: Content
) -> None:
    """One row per letter in PDF order — reference, page, confirmation time (UTC), language,
    name, place, subject — formula-safe, UTF-8 with a byte order mark, never a Telegram id."""
    await queue_sample_letter(
        storage, content, 987654321, sign_name='=HYPERLINK("x")', sign_place="李小龙"
    )
    await queue_sample_letter(storage, content, 2, "es", sign_name=None, sign_place=None)
    exported = await export_batch(storage)
    assert exported is not None
    out = io.StringIO(newline="")
    assert write_manifest(out, exported[1], [2, 3]) == 2
    text = out.getvalue()
    assert text.startswith("\ufeff") and "987654321" not in text
    table = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert table[0] == [
        "letter",
        "page",
        "confirmed_at",
        "language",
        "signed_name",
        "signed_place",
        "subject",
    ]
    first, second = exported[1]
    assert table[1][:2] == [str(first.id), "2"] and table[2][:2] == [str(second.id), "3"]
    assert table[1][2] == "2026-05-15T12:00:00Z"
    assert table[1][4:6] == ['\'=HYPERLINK("x")', "李小龙"]
    assert table[2][3:6] == ["es", "", ""]
    assert table[1][6] == first.subject


# -- through the bot: /mydata, /forget, /privacy, the hourly retention job -------------------------


async def queue_for(bot: Harness, content: Content, lang: str = "en", **changes: Any) -> Queued:
    await bot.send("/start")
    return await queue_sample_letter(bot.storage, content, bot.user_id, lang, True, **changes)


@pytest.mark.parametrize("lang", ["en", "es"])
async def test_mydata_shows_the_letter_the_campaign_holds(
    bot: Harness, content: Content, lang: str
) -> None:
    """/mydata shows the stored letter in the sender's language: its reference, where it is,
    when they confirmed it, the "tell me" choice, the name and place, subject and text."""
    bot.language_code = lang
    queued = await queue_for(bot, content, lang)
    assert queued.letter is not None
    before = len(bot.api.messages(bot.user_id))
    await bot.send("/mydata")
    text = "\n".join(m.text or "" for m in bot.api.messages(bot.user_id)[before:])
    t = content.text
    for part in (
        t("mydata.table.campaign_letters", lang),
        f"{t('mydata.field.letter_ref', lang)}: #{queued.letter_id}",
        f"{t('mydata.field.letter_status', lang)}: {t('mydata.letter.queued', lang)}",
        f"{t('mydata.field.notify', lang)}: {t('mydata.yes', lang)}",
        "José Núñez",
        html.escape(queued.letter.subject),
        "Elm Street",
    ):
        assert part in text, part
    for column in ("batch_id", "consent_at", "notified_at", "campaign_letters"):
        assert column not in text


@pytest.mark.parametrize(
    ("status", "note"),
    [
        ("queued", "it will not be delivered"),
        ("exported", "the bot tells them to take your letter out"),
        ("delivered", "delivered to the office on {date}: that copy is out of the bot's hands"),
    ],
)
async def test_forget_says_what_becomes_of_the_letter(
    bot: Harness, content: Content, status: str, note: str
) -> None:
    """/forget deletes everything and says what became of the sender's letter: a waiting one
    will not be delivered, a printed one will be taken out, a delivered one is out of the bot's
    hands (only a count stays)."""
    today = datetime.fromtimestamp(bot.storage.now(), UTC).date()
    await queue_for(bot, content)
    if status != "queued":
        exported = await export_batch(bot.storage)
        assert exported is not None
        if status == "delivered":
            await mark_delivered(bot.storage, exported[0].id, today, "hand")
    await bot.send("/forget")
    done = await bot.press("Yes, delete everything")
    assert content.text("forget.done", "en") in (done.text or "")
    assert note.replace("{date}", format_date(today.isoformat(), "en")) in (done.text or "")
    left = await rows(bot.storage, "SELECT user_id, body FROM campaign_letters")
    assert left == ([(None, None)] if status == "delivered" else [])


async def test_privacy_says_how_long_a_delivered_letter_is_kept(
    tmp_path: Path, content: Content
) -> None:
    """/privacy gives OUTREACH_LETTER_RETENTION_DAYS and says a delivered letter is out of the
    bot's hands."""
    harness = await start_harness(make_config(tmp_path, letter_retention_days=45), content)
    try:
        reply = await harness.send("/privacy")
    finally:
        await stop_harness(harness)
    text = reply.text or ""
    assert "kept until it is delivered and 45 days more" in text
    assert "out of the bot's hands" in text and "{letter_days}" not in text


async def test_the_hourly_job_applies_the_retention(bot: Harness, content: Content) -> None:
    """The retention job empties a delivered letter OUTREACH_LETTER_RETENTION_DAYS (30) after
    its batch was marked delivered, not before."""
    await queue_for(bot, content)
    exported = await export_batch(bot.storage)
    assert exported is not None
    marked = bot.storage.now()
    today = datetime.fromtimestamp(marked, UTC).date()
    await mark_delivered(bot.storage, exported[0].id, today, "hand")
    bot.storage._clock = lambda: marked + 30 * 86400 - 1
    assert await expire_delivered_letters(bot.app.bot_data) == 0
    bot.storage._clock = lambda: marked + 30 * 86400 + 1
    assert await expire_delivered_letters(bot.app.bot_data) == 1
    assert await rows(bot.storage, "SELECT user_id, body FROM campaign_letters") == [(None, None)]


def test_every_channel_outcome_a_draft_records_has_a_label(content: Content) -> None:
    """/mydata names each channel outcome a draft reached in the reader's language (never a
    stored name such as "postal_pdf")."""
    from bot.deliveries import DRAFT_OUTCOMES
    from bot.mydata import render_my_data

    reached = ",".join(f"{channel}_{outcome}" for channel, outcome in sorted(DRAFT_OUTCOMES))
    for lang in ("en", "es"):
        text = "\n".join(
            render_my_data(content, {"drafts": [{"user_id": 1, "reached": reached}]}, lang)
        )
        for channel, outcome in DRAFT_OUTCOMES:
            assert content.text(f"mydata.step.{channel}_{outcome}", lang) in text
            assert f"{channel}_{outcome}" not in text
