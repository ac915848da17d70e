"""The broadcast outbox (bot/outbox.py) over a real SQLite file: audiences, confirmation,
scheduling, cancelling, delivery states, crash recovery and reports."""

from __future__ import annotations

from threading import get_ident

import pytest

from bot.outbox import (
    UNKNOWN_AFTER_CRASH,
    Audience,
    Outbox,
    Report,
    parse_audience,
    preview_check,
)
from bot.storage import Storage
from tests.harness import CLOCK_START, Clock

ORG = 5000
NOW = CLOCK_START  # where the database's clock starts (scheduled broadcasts compare with it)


@pytest.fixture
def outbox(storage: Storage) -> Outbox:
    return Outbox(storage)


async def add_user(
    storage: Storage,
    user_id: int,
    *,
    lang: str = "en",
    subscribed: bool = True,
    reachable: bool = True,
    source: str | None = None,
    state: str | None = None,
    pledged: bool = False,
    draft_outcome: str | None = None,
) -> None:
    """A supporter as the bot would have stored them."""
    await storage.touch_user(user_id, lang, source)
    if subscribed:
        await storage.subscribe(user_id)
    if not reachable:
        await storage.set_reachable(user_id, False)
    if pledged or state:
        await storage.record_pledge(user_id)
        await storage.set_pledge_state(user_id, state)
    if draft_outcome:
        await storage.start_draft(user_id, lang, seed=1, step="preview")
        await storage.finish_draft(user_id, draft_outcome)


async def population(storage: Storage) -> None:
    """Six users covering every audience filter, two of whom may never be messaged."""
    await add_user(storage, 1, source="flyer-mn", state="TX", draft_outcome="sent")
    await add_user(storage, 2, lang="es", state="CA")
    await add_user(storage, 3, source="other")
    await add_user(storage, 4, subscribed=False, state="TX", source="flyer-mn")  # no consent
    await add_user(storage, 5, lang="es", reachable=False, state="TX")  # blocked the bot
    await add_user(storage, 6, state="TX", draft_outcome="couldnt")


async def delivery_rows(storage: Storage, broadcast_id: int) -> dict[int, str]:
    rows = await storage.fetchall(
        "SELECT user_id, status FROM deliveries WHERE broadcast_id = ?", (broadcast_id,)
    )
    return {int(row[0]): str(row[1]) for row in rows}


async def previewed(outbox: Outbox, broadcast_id: int) -> str:
    """Record that the draft's preview was shown, as the organizer's screen does; its check."""
    broadcast = await outbox.get(broadcast_id)
    assert broadcast is not None and broadcast.audience is not None
    check = await outbox.record_preview(broadcast_id, broadcast.audience)
    assert check is not None
    return check


async def confirmed(outbox: Outbox, audience: str = "all") -> int:
    broadcast_id = await outbox.create_broadcast(ORG, ORG, 1, "text", audience)
    assert await outbox.confirm(broadcast_id, None, await previewed(outbox, broadcast_id))
    return broadcast_id


# -- audiences --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("all", Audience("all")),
        ("pledged_not_sent", Audience("pledged_not_sent")),
        ("lang:en", Audience("lang", "en")),
        ("lang:es", Audience("lang", "es")),
        ("state:TX", Audience("state", "TX")),
        ("source:flyer-mn_2", Audience("source", "flyer-mn_2")),
        ("source:" + "a" * 64, Audience("source", "a" * 64)),
    ],
)
def test_parse_audience_accepts_each_kind(text: str, expected: Audience) -> None:
    """Every audience the UI builds parses, and its stored form is the text it came from."""
    parsed = parse_audience(text)
    assert parsed == expected
    assert parsed.text == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ALL",
        " all",
        "all ",
        "all:",
        "everyone",
        "lang:",
        "lang:fr",
        "lang:EN",
        "lang:en:es",
        "state:",
        "state:tx",
        "state:TEX",
        "state:T1",
        "state:TX'--",
        "source:",
        "source:a b",
        "source:" + "a" * 65,
        "source:x'; DROP TABLE users; --",
        "source:é",
        "pledged_not_sent:1",
        "pledged",
        "lang:en\x00",
        "kind:value",
    ],
)
def test_parse_audience_rejects_anything_else(text: str) -> None:
    """Forged or malformed audience strings are not audiences."""
    assert parse_audience(text) is None


@pytest.mark.parametrize(
    ("audience", "recipients"),
    [
        ("all", {1, 2, 3, 6}),
        ("lang:en", {1, 3, 6}),
        ("lang:es", {2}),
        ("state:TX", {1, 6}),
        ("state:CA", {2}),
        ("state:NY", set()),
        ("pledged_not_sent", {2, 6}),
        ("source:flyer-mn", {1}),
        ("source:unknown", set()),
    ],
)
async def test_audience_counts_and_recipients(
    storage: Storage, outbox: Outbox, audience: str, recipients: set[int]
) -> None:
    """Each filter reaches its users only, never unsubscribed or unreachable ones; count = rows."""
    await population(storage)
    assert await outbox.count_audience(audience) == len(recipients)
    broadcast_id = await confirmed(outbox, audience)
    assert await delivery_rows(storage, broadcast_id) == dict.fromkeys(recipients, "pending")


@pytest.mark.parametrize("forged", ["lang:fr", "state:TX' OR 1=1 --", "all; DELETE FROM users"])
async def test_forged_audience_is_refused_everywhere(
    storage: Storage, outbox: Outbox, forged: str
) -> None:
    """A forged audience neither counts, nor creates, nor changes a broadcast."""
    await population(storage)
    with pytest.raises(ValueError, match="not a broadcast audience"):
        await outbox.count_audience(forged)
    with pytest.raises(ValueError, match="not a broadcast audience"):
        await outbox.create_broadcast(ORG, ORG, 1, "text", forged)
    broadcast_id = await outbox.create_broadcast(ORG, ORG, 1, "text", "all")
    with pytest.raises(ValueError, match="not a broadcast audience"):
        await outbox.set_audience(broadcast_id, forged)
    with pytest.raises(ValueError, match="not a broadcast audience"):
        await outbox.count_audience(Audience("lang", "fr"))
    broadcast = await outbox.get(broadcast_id)
    assert broadcast is not None and broadcast.audience == "all"
    row = await storage.fetchone("SELECT COUNT(*) FROM users")
    assert row is not None and row[0] == 6


# -- composing and confirming -------------------------------------------------------------------


async def test_draft_is_created_found_changed_and_discarded(outbox: Outbox) -> None:
    """A new broadcast is the organizer's draft until confirmed or discarded."""
    first = await outbox.create_broadcast(ORG, ORG, 7, "photo", "all")
    second = await outbox.create_broadcast(ORG, ORG, 8, "text", Audience("lang", "es"))
    draft = await outbox.latest_draft(ORG)
    assert draft is not None
    assert (draft.id, draft.message_id, draft.audience, draft.status) == (
        second,
        8,
        "lang:es",
        "draft",
    )
    assert await outbox.latest_draft(ORG + 1) is None
    assert await outbox.set_audience(second, "state:TX")
    assert (await outbox.get(second)).audience == "state:TX"  # type: ignore[union-attr]
    assert await outbox.discard_drafts(ORG) == 2
    assert await outbox.get(first) is None
    assert await outbox.latest_draft(ORG) is None


async def test_a_draft_has_no_audience_until_one_is_picked(outbox: Outbox) -> None:
    """A new draft has no audience and cannot be previewed or confirmed until one is picked."""
    broadcast_id = await outbox.create_broadcast(ORG, ORG, 1, "text")
    broadcast = await outbox.get(broadcast_id)
    assert broadcast is not None and broadcast.audience is None
    assert preview_check(broadcast) is None
    assert await outbox.record_preview(broadcast_id, "all") is None
    assert not await outbox.confirm(broadcast_id, None, "0" * 12)
    assert (await outbox.get(broadcast_id)).status == "draft"  # type: ignore[union-attr]


async def test_confirm_needs_the_preview_of_exactly_this_draft(
    storage: Storage, outbox: Outbox
) -> None:
    """Confirming compares the draft, its message and its audience with the last preview shown:
    no preview, a preview of another audience, of another draft or of another message — no
    send."""
    await population(storage)
    draft = await outbox.create_broadcast(ORG, ORG, 1, "text")
    await outbox.set_audience(draft, "lang:es")
    unshown = preview_check(await outbox.get(draft))  # type: ignore[arg-type]
    assert unshown is not None
    assert not await outbox.confirm(draft, None, unshown), "never previewed"
    spanish = await outbox.record_preview(draft, "lang:es")
    assert spanish == unshown
    await outbox.set_audience(draft, "all")
    assert not await outbox.confirm(draft, None, spanish), "the audience changed since"
    assert await outbox.record_preview(draft, "lang:es") is None, "not the draft's audience"
    everyone = await outbox.record_preview(draft, "all")
    assert everyone is not None and everyone != spanish
    other = await outbox.create_broadcast(ORG, ORG, 2, "text", "all")
    other_check = await outbox.record_preview(other, "all")
    assert other_check is not None and other_check != everyone
    assert not await outbox.confirm(draft, None, other_check), "another draft's preview"
    assert not await outbox.confirm(other, None, everyone)
    assert await delivery_rows(storage, draft) == {}
    assert await outbox.confirm(draft, None, everyone)
    assert set(await delivery_rows(storage, draft)) == {1, 2, 3, 6}


async def test_confirm_is_idempotent(storage: Storage, outbox: Outbox) -> None:
    """Confirming twice adds no rows and never restarts a finished or cancelled broadcast."""
    await population(storage)
    broadcast_id = await outbox.create_broadcast(ORG, ORG, 1, "text", "all")
    check = await previewed(outbox, broadcast_id)
    assert await outbox.confirm(broadcast_id, None, check)
    rows = await delivery_rows(storage, broadcast_id)
    await add_user(storage, 7)  # subscribes after the broadcast was confirmed
    assert not await outbox.confirm(broadcast_id, None, check)
    assert not await outbox.confirm(broadcast_id, NOW + 60, check)
    assert await delivery_rows(storage, broadcast_id) == rows
    assert not await outbox.set_audience(broadcast_id, "lang:es")  # only drafts change
    assert await outbox.record_preview(broadcast_id, "all") is None

    assert await outbox.finish(broadcast_id)
    assert not await outbox.confirm(broadcast_id, None, check)
    assert (await outbox.get(broadcast_id)).status == "done"  # type: ignore[union-attr]

    cancelled = await outbox.create_broadcast(ORG, ORG, 1, "text", "all")
    check = await previewed(outbox, cancelled)
    assert await outbox.cancel(cancelled)
    assert not await outbox.confirm(cancelled, None, check)
    assert await delivery_rows(storage, cancelled) == {}


async def test_materialising_is_one_statement(storage: Storage, outbox: Outbox) -> None:
    """Confirming 10,000 recipients writes their rows with a single INSERT … SELECT, run in the
    worker thread, not on the event loop's."""
    async with storage.transaction() as conn:
        await conn.executemany(
            "INSERT INTO users (user_id, language, first_seen, last_seen) VALUES (?, 'en', 0, 0)",
            [(i,) for i in range(1, 10_001)],
        )
        await conn.executemany(
            "INSERT INTO subscriptions (user_id, consent_at) VALUES (?, 0)",
            [(i,) for i in range(1, 10_001)],
        )
    statements: list[tuple[str, int]] = []
    broadcast_id = await outbox.create_broadcast(ORG, ORG, 1, "text", "all")
    check = await previewed(outbox, broadcast_id)
    # Every statement it runs, and the thread that runs it.
    storage._conn._raw.set_trace_callback(lambda sql: statements.append((sql, get_ident())))
    await outbox.confirm(broadcast_id, None, check)
    storage._conn._raw.set_trace_callback(None)
    inserts = [(s, thread) for s, thread in statements if "INSERT" in s and "deliveries" in s]
    assert len(inserts) == 1
    assert inserts[0][1] != get_ident()
    assert (await outbox.report(broadcast_id)).pending == 10_000


# -- scheduling, cancelling, finishing ----------------------------------------------------------


async def test_scheduled_broadcast_starts_when_due(
    storage: Storage, outbox: Outbox, clock: Clock
) -> None:
    """A scheduled broadcast gets its recipients (as of then) only when it starts, once."""
    await population(storage)
    broadcast_id = await outbox.create_broadcast(ORG, ORG, 1, "text", "all")
    assert await outbox.confirm(broadcast_id, NOW + 3600, await previewed(outbox, broadcast_id))
    broadcast = await outbox.get(broadcast_id)
    assert broadcast is not None
    assert (broadcast.status, broadcast.scheduled_at) == ("scheduled", NOW + 3600)
    assert await delivery_rows(storage, broadcast_id) == {}
    assert await outbox.active() == []

    assert await outbox.due_scheduled(NOW + 3599) == []
    assert await outbox.due_scheduled(NOW + 3600) == [broadcast_id]
    await add_user(storage, 7)  # subscribed in the meantime
    await storage.unsubscribe(3)  # and someone left
    clock.now = NOW + 3600
    assert await outbox.start(broadcast_id)
    assert not await outbox.start(broadcast_id)
    assert set(await delivery_rows(storage, broadcast_id)) == {1, 2, 6, 7}
    assert await outbox.active() == [broadcast_id]
    assert await outbox.due_scheduled(NOW + 7200) == []
    started = await outbox.get(broadcast_id)
    assert started is not None and started.started_at == NOW + 3600


async def test_cancel_stops_draft_scheduled_and_sending(storage: Storage, outbox: Outbox) -> None:
    """Draft, scheduled and sending broadcasts cancel once; afterwards nothing is claimed."""
    await population(storage)
    draft = await outbox.create_broadcast(ORG, ORG, 1, "text", "all")
    scheduled = await outbox.create_broadcast(ORG, ORG, 1, "text", "all")
    await outbox.confirm(scheduled, NOW + 60, await previewed(outbox, scheduled))
    sending = await confirmed(outbox)
    for broadcast_id in (draft, scheduled, sending):
        assert await outbox.cancel(broadcast_id)
        assert not await outbox.cancel(broadcast_id)
        assert (await outbox.get(broadcast_id)).status == "cancelled"  # type: ignore[union-attr]
    assert await outbox.due_scheduled(NOW + 60) == []
    assert not await outbox.mark_sending(sending, 1)
    assert not await outbox.finish(sending)
    assert set((await delivery_rows(storage, sending)).values()) == {"pending"}
    assert not await outbox.cancel(12345)

    done = await confirmed(outbox)
    assert await outbox.finish(done)
    assert not await outbox.cancel(done)
    finished = await outbox.get(done)
    assert finished is not None and finished.finished_at == NOW


async def test_progress_message_is_remembered(outbox: Outbox) -> None:
    """The organizer's progress message is stored with the broadcast."""
    broadcast_id = await outbox.create_broadcast(ORG, ORG, 1, "text", "all")
    await outbox.set_progress_message(broadcast_id, ORG, 42)
    broadcast = await outbox.get(broadcast_id)
    assert broadcast is not None
    assert (broadcast.progress_chat_id, broadcast.progress_message_id) == (ORG, 42)


# -- deliveries ---------------------------------------------------------------------------------


async def test_next_pending_pages_through_in_user_order(storage: Storage, outbox: Outbox) -> None:
    """Keyset pages cover every pending recipient once, in order, and skip claimed ones."""
    for user_id in range(1, 26):
        await add_user(storage, user_id * 3)
    broadcast_id = await confirmed(outbox)
    assert await outbox.mark_sending(broadcast_id, 30)
    seen: list[int] = []
    after = 0
    while page := await outbox.next_pending(broadcast_id, after, 7):
        assert len(page) <= 7
        seen.extend(page)
        after = page[-1]
    assert seen == [u * 3 for u in range(1, 26) if u != 10]


async def test_delivery_state_changes(storage: Storage, outbox: Outbox) -> None:
    """Outcomes apply only to claimed rows; blocked makes the user unreachable; 429 re-queues."""
    await population(storage)
    broadcast_id = await confirmed(outbox)
    assert await outbox.mark_sending(broadcast_id, 1)
    assert not await outbox.mark_sending(broadcast_id, 1)
    assert not await outbox.mark_sending(broadcast_id, 4)  # not a recipient
    assert await outbox.mark(broadcast_id, 1, "delivered")
    assert not await outbox.mark(broadcast_id, 1, "failed", "late")  # already final

    assert not await outbox.mark(broadcast_id, 2, "delivered")  # never claimed
    assert await outbox.mark_sending(broadcast_id, 2)
    assert await outbox.mark(broadcast_id, 2, "blocked", "Forbidden: bot was blocked by the user")
    user = await storage.get_user(2)
    assert user is not None and not user.reachable
    assert not await outbox.still_eligible(2)

    assert await outbox.mark_sending(broadcast_id, 3)
    assert await outbox.mark(broadcast_id, 3, "pending")  # a 429: try again later
    assert await outbox.mark(broadcast_id, 6, "skipped", "no longer subscribed")
    with pytest.raises(ValueError, match="not a delivery outcome"):
        await outbox.mark(broadcast_id, 3, "sent")
    assert await delivery_rows(storage, broadcast_id) == {
        1: "delivered",
        2: "blocked",
        3: "pending",
        6: "skipped",
    }


async def test_failed_rows_keep_telegrams_reason(storage: Storage, outbox: Outbox) -> None:
    """A failed delivery records why, for the organizer's report."""
    await add_user(storage, 1)
    broadcast_id = await confirmed(outbox)
    await outbox.mark_sending(broadcast_id, 1)
    await outbox.mark(broadcast_id, 1, "failed", "Chat not found")
    row = await storage.fetchone(
        "SELECT status, error FROM deliveries WHERE broadcast_id = ?", (broadcast_id,)
    )
    assert row is not None and tuple(row) == ("failed", "Chat not found")


async def test_still_eligible_means_subscribed_and_reachable(
    storage: Storage, outbox: Outbox
) -> None:
    """Only a subscribed, reachable, existing user may still be sent to."""
    await population(storage)
    assert await outbox.still_eligible(1)
    assert not await outbox.still_eligible(4)  # never subscribed
    assert not await outbox.still_eligible(5)  # unreachable
    await storage.unsubscribe(1)
    assert not await outbox.still_eligible(1)
    assert not await outbox.still_eligible(999)


async def test_recover_turns_interrupted_sends_into_unknown(
    storage: Storage, outbox: Outbox
) -> None:
    """After a crash, rows caught mid-send become unknown (never resent); pending rows stay."""
    await population(storage)
    broadcast_id = await confirmed(outbox)
    await outbox.mark_sending(broadcast_id, 1)
    await outbox.mark_sending(broadcast_id, 2)
    await outbox.mark(broadcast_id, 2, "delivered")
    await outbox.mark_sending(broadcast_id, 3)
    assert await outbox.recover(broadcast_id) == 2
    assert await outbox.recover(broadcast_id) == 0
    assert await delivery_rows(storage, broadcast_id) == {
        1: "unknown",
        2: "delivered",
        3: "unknown",
        6: "pending",
    }
    assert await outbox.next_pending(broadcast_id, 0, 10) == [6]
    row = await storage.fetchone(
        "SELECT error FROM deliveries WHERE broadcast_id = ? AND user_id = 1", (broadcast_id,)
    )
    assert row is not None and row[0] == UNKNOWN_AFTER_CRASH


async def test_report_counts_every_status(storage: Storage, outbox: Outbox) -> None:
    """The report counts rows by status and what is processed."""
    for user_id in range(1, 9):
        await add_user(storage, user_id)
    broadcast_id = await confirmed(outbox)
    for user_id, outcome in [(1, "delivered"), (2, "delivered"), (3, "blocked"), (4, "failed")]:
        await outbox.mark_sending(broadcast_id, user_id)
        await outbox.mark(broadcast_id, user_id, outcome)
    await outbox.mark_sending(broadcast_id, 5)
    await outbox.mark(broadcast_id, 5, "unknown")
    await outbox.mark(broadcast_id, 6, "skipped")
    await outbox.mark_sending(broadcast_id, 7)
    report = await outbox.report(broadcast_id)
    assert report == Report(
        total=8, pending=1, delivered=2, blocked=1, failed=1, unknown=1, skipped=1, sending=1
    )
    assert report.processed == 6
    assert await outbox.report(999) == Report()


async def test_expired_deliveries_keep_their_report(
    storage: Storage, outbox: Outbox, clock: Clock
) -> None:
    """After the retention period a finished broadcast's rows become counts with no user id:
    the report is unchanged, running and recent broadcasts keep their rows, expiring twice
    changes nothing."""
    await population(storage)
    done = await confirmed(outbox)
    for user_id, status in ((1, "delivered"), (2, "delivered"), (3, "blocked")):
        await outbox.mark_sending(done, user_id)
        await outbox.mark(done, user_id, status)
    await outbox.mark(done, 6, "skipped")
    assert await outbox.finish(done)
    report = await outbox.report(done)
    assert (report.total, report.delivered, report.blocked, report.skipped) == (4, 2, 1, 1)
    clock.now = NOW + 10
    running = await confirmed(outbox)
    recent = await confirmed(outbox)
    assert await outbox.cancel(recent)

    assert await outbox.expire_deliveries(NOW) == 0  # finished at NOW: not before it
    assert await outbox.expire_deliveries(NOW + 1) == 4
    assert await delivery_rows(storage, done) == {}
    assert await outbox.report(done) == report
    assert set(await delivery_rows(storage, running)) == {1, 2, 6}  # 3 blocked the bot
    assert set(await delivery_rows(storage, recent)) == {1, 2, 6}
    assert await outbox.expire_deliveries(NOW + 1) == 0
    assert await outbox.report(done) == report
    rows = await storage.fetchall("SELECT * FROM delivery_counts ORDER BY status")
    assert [tuple(r) for r in rows] == [
        (done, "blocked", 1),
        (done, "delivered", 2),
        (done, "skipped", 1),
    ]


async def test_forgetting_a_user_removes_their_delivery_rows(
    storage: Storage, outbox: Outbox
) -> None:
    """/forget deletes the user's delivery rows too, so a running broadcast skips them."""
    await population(storage)
    broadcast_id = await confirmed(outbox)
    assert await storage.forget_user(2)
    assert 2 not in await delivery_rows(storage, broadcast_id)
    assert 2 not in await outbox.next_pending(broadcast_id, 0, 10)
