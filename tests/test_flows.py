"""The broadcast and pledge flows as plain data (``bot/flows/``): reading a typed date, the
buttons each screen offers, the report — no Telegram, no database."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.content import Content
from bot.content.ui_keys import UI_KEYS
from bot.flows import broadcast, pledge
from bot.freetext import check_free_text
from bot.outbox import Report
from bot.screens import Screen, say, says
from bot.storage import Pledge

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def actions(screen: Screen) -> list[str]:
    return [b.press.data() for row in screen.rows for b in row if b.press is not None]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (
            "2026-12-01 18:00 America/Chicago",
            datetime(2026, 12, 1, 18, tzinfo=ZoneInfo("America/Chicago")),
        ),
        ("2026-12-01T9:05", datetime(2026, 12, 1, 9, 5, tzinfo=UTC)),
        ("  2026-06-02 00:00 UTC  ", datetime(2026, 6, 2, tzinfo=ZoneInfo("UTC"))),
        ("tomorrow 6pm", "format"),
        ("2026-13-01 10:00", "format"),
        ("2026-12-01 25:00", "format"),
        ("2026-12-01 10:00 Mars/Olympus", "zone"),
        ("2026-06-01 12:00", "past"),
        ("2020-01-01 10:00 UTC", "past"),
    ],
)
def test_parse_schedule(typed: str, expected: datetime | str) -> None:
    """A date, a time and an optional IANA zone (UTC without one); otherwise why not."""
    assert broadcast.parse_schedule(typed, NOW) == expected


def test_steps_and_button_arguments_name_the_draft() -> None:
    """The awaited steps name their draft; button arguments read back to it."""
    assert broadcast.source_step(12) == "org_broadcast_source:12"
    assert broadcast.schedule_step(12, "0123456789ab") == "org_broadcast_schedule:12-0123456789ab"
    for step in (
        "org_broadcast_message",
        broadcast.source_step(1),
        broadcast.schedule_step(1, "a"),
    ):
        assert broadcast.is_organizer_step(step)
    assert not broadcast.is_organizer_step("pledge_name") and not broadcast.is_organizer_step(None)
    assert broadcast.draft_ref("12-lang-es") == (12, "lang-es")
    assert broadcast.draft_ref("x-all") is None and broadcast.draft_ref("12") is None
    assert broadcast.broadcast_id("12") == 12 and broadcast.broadcast_id("a") is None
    assert broadcast.BCAST.organizers_only


def test_the_audience_menu_names_its_draft() -> None:
    """Every audience button, and Discard, carry the draft's id."""
    assert actions(broadcast.audience_menu("en", 7)) == [
        "bcast1:audience:7-all",
        "bcast1:audience:7-lang-en",
        "bcast1:audience:7-lang-es",
        "bcast1:audience:7-pns",
        "bcast1:audience:7-state",
        "bcast1:audience:7-source",
        "bcast1:discard:7",
    ]


def test_a_preview_sends_only_with_its_check(content: Content) -> None:
    """*Send now* and *Schedule* carry the preview's check; nobody to send to: no send."""
    shown = broadcast.preview(content, "en", 7, "lang:es", 3, "0123456789ab")
    assert shown.fresh
    assert actions(shown) == [
        "bcast1:send:7-0123456789ab",
        "bcast1:schedule:7-0123456789ab",
        "bcast1:audience:7-menu",
        "bcast1:discard:7",
    ]
    assert "Spanish" in str(shown.texts) and "<b>3</b>" in str(shown.texts)
    empty = broadcast.preview(content, "en", 7, "source:x", 0, "0123456789ab")
    assert actions(empty) == ["bcast1:audience:7-menu", "bcast1:discard:7"]
    assert "Nobody matches" in str(empty.texts)


def test_audience_labels_escape_what_organizers_typed(content: Content) -> None:
    """A source code or an unknown audience is shown as text, never markup."""
    assert "&lt;b&gt;" in broadcast.audience_label(content, "source:<b>", "en")
    assert broadcast.audience_label(content, "<i>", "en") == "&lt;i&gt;"
    assert "Texas" in broadcast.audience_label(content, "state:TX", "en")


def test_progress_has_cancel_and_the_report_does_not(content: Content) -> None:
    """While sending, the message offers *Cancel broadcast*; the final report is a new one."""
    report = Report(total=1200, delivered=1000, blocked=3, failed=2, unknown=1, pending=194)
    running = broadcast.progress("en", 9, report, final=False)
    assert actions(running) == ["bcast1:stop:9"] and not running.fresh
    final = broadcast.progress("en", 9, report, final=True)
    assert not final.rows and final.fresh
    assert final.texts == (broadcast.report_text(report, final=True),)
    text = broadcast.render_report(content, report, "en", final=True)
    assert "1,200" in text and "1,000" in text


def test_scheduled_shows_the_time_in_its_zone() -> None:
    """The confirmation names the time as typed, with the zone's abbreviation."""
    when = datetime(2099, 1, 1, 10, tzinfo=ZoneInfo("America/Chicago"))
    shown = broadcast.scheduled("en", 4, when)
    assert shown.texts == (say("broadcast.scheduled", when="2099-01-01 10:00 CST"),)
    assert actions(shown) == ["bcast1:stop:4"]


def test_the_pledge_steps_offer_skip_and_keep_the_typed_step(content: Content) -> None:
    """The name and state steps offer *Skip*, whose press keeps the step it answers; the
    state step offers every state as a button."""
    assert actions(pledge.ask_name("en")) == ["pledge1:skip:name"]
    states = actions(pledge.ask_state(content, "en"))
    assert states[-1] == "pledge1:skip:state"
    assert states[:-1] == [f"pledge1:state:{code.lower()}" for code in content.states]
    assert pledge.SKIP.keeps_step and pledge.STATE.keeps_step and not pledge.TAKE.keeps_step
    assert actions(pledge.ask_updates("en")) == ["pledge1:updates:yes", "pledge1:updates:no"]


def test_the_pledge_screens(content: Content) -> None:
    """Intro, thanks and the refusals say the right things with every value they need."""
    taken = Pledge(user_id=1, number=1234, first_name="<Ana>", state="TX", pledged_at=0)
    link = "https://t.me/outreach_test_bot?start=share"
    screens = [
        pledge.intro(content, "en", 5000),
        pledge.already(content, taken, "es", link),
        pledge.ask_name("en"),
        pledge.name_refused("en", check_free_text("x" * 65, 64)),
        pledge.ask_state(content, "en"),
        pledge.state_unknown("en", "<Narnia>"),
        pledge.ask_updates("en"),
        pledge.done(content, taken, "en", link),
        pledge.confirm_withdraw("en"),
        pledge.withdrawn("en"),
        pledge.no_pledge("en"),
    ]
    for screen in screens:
        for text in says(screen):
            assert text.key in UI_KEYS and UI_KEYS[text.key] <= set(text.values), text
    assert actions(screens[0]) == ["pledge1:take", "menu1:main"]
    done = screens[7]
    assert "&lt;Ana&gt;" in str(done.texts) and "1,234" in str(done.texts)
    assert actions(done) == ["pledge1:edit", "pledge1:withdraw", "menu1:main"]
    assert screens[5].texts == (say("pledge.state_unknown", text="&lt;Narnia&gt;"),)
    assert screens[3].texts == (say("pledge.name_too_long", length="65", max="64"),)
