"""Organizer statistics (bot.stats): the numbers, the Telegram report, the CLI text, the chart."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from PIL import Image

from bot import stats as stats_module
from bot.content import Content
from bot.stats import (
    FUNNEL_STEPS,
    PLEDGE_COLOR,
    STATS_LABELS,
    DayStats,
    LanguageStats,
    PeriodStats,
    SourceStats,
    Stats,
    collect_stats,
    format_stats_cli,
    render_chart_png,
    render_stats_text,
)
from bot.storage import Storage
from bot.telegram_html import check_html, telegram_length, visible_text
from tests.harness import Clock

TODAY = date(2026, 5, 15)

# English labels as content would give them (placeholders left for the renderer to fill).
LABELS = {key: key.replace("_", " ") for key in STATS_LABELS} | {
    "title": "Statistics on {date} (UTC)",
    "more": "… and {n} more",
    "no_state": "no state given",
    "no_source": "no code",
    "none": "none yet",
}


def days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)


async def fill_known_dataset(storage: Storage, clock: Clock) -> None:
    """Six supporters, four pledges, comments on known days, two comment drafts.

    user  lang source    first seen      pledge (state)       subscribed
    4     en   —         2026-03-01      2026-04-15 (CA)      no   (unreachable)
    3     es   radio     2026-04-16      2026-04-16 (none)    yes
    6     en   —         2026-05-08      —                    no
    5     en   radio     2026-05-09      —                    no
    2     es   flyer-mn  2026-05-10      2026-05-10 (TX)      no
    1     en   flyer-mn  2026-05-15      2026-05-15 (TX)      yes
    """
    clock.at(date(2026, 3, 1))
    await storage.touch_user(4, "en")
    clock.at(date(2026, 4, 10))
    await storage.count_event("comment_sent", "en", None)  # 35 days ago: outside the series
    clock.at(date(2026, 4, 15))
    await storage.record_pledge(4)
    await storage.set_pledge_state(4, "CA")
    clock.at(date(2026, 4, 16))
    await storage.touch_user(3, "es", "radio")
    await storage.record_pledge(3)
    await storage.subscribe(3)
    clock.at(date(2026, 4, 20))
    await storage.count_event("comment_sent", "es", "radio")
    clock.at(date(2026, 5, 8))
    await storage.touch_user(6, "en")
    clock.at(date(2026, 5, 9))
    await storage.touch_user(5, "en", "radio")
    clock.at(date(2026, 5, 10))
    await storage.touch_user(2, "es", "flyer-mn")
    await storage.record_pledge(2)
    await storage.set_pledge_state(2, "TX")
    await storage.count_event("comment_sent", "es", "flyer-mn")
    await storage.start_draft(2, "es", 1, "role")
    for step in ("started", "role", "role"):  # a step reached twice counts once
        await storage.reach(2, step, "es", "flyer-mn")
    clock.at(date(2026, 5, 12))
    await storage.count_event("comment_sent", "en", "old-post")  # its user has since forgotten
    clock.at(TODAY)
    await storage.touch_user(1, "en", "flyer-mn")
    await storage.record_pledge(1)
    await storage.set_pledge_state(1, "TX")
    await storage.subscribe(1)
    await storage.start_draft(1, "en", 2, "role")
    for step in ("started", "role", "reasons", "previewed", "send_shown", "sent"):
        await storage.reach(1, step, "en", "flyer-mn")
    await storage.count_event("comment_sent", "en", "flyer-mn")
    await storage.count_event("comment_sent", "en", "flyer-mn")
    await storage.count_event("funnel:zz-new-step", "en", None)
    for event, times in (("start", 3), ("fact", 2), ("question_unanswered", 1)):
        for _ in range(times):
            await storage.count_event(event, "en", None)
    await storage.set_reachable(4, False)


async def test_known_dataset_totals_and_breakdowns(storage: Storage, clock: Clock) -> None:
    """Every total, the language and state breakdowns and the 7/30-day figures are exact."""
    await fill_known_dataset(storage, clock)
    stats = await collect_stats(storage, TODAY)
    assert stats.today == TODAY
    assert (stats.supporters, stats.reachable, stats.pledges) == (6, 5, 4)
    assert (stats.comments_sent, stats.subscribers) == (6, 2)
    assert (stats.starts, stats.fact_views, stats.unanswered_questions) == (3, 2, 1)
    assert stats.comments_started == 2
    assert stats.by_language == (LanguageStats("en", 4, 2), LanguageStats("es", 2, 2))
    assert stats.by_state == (("TX", 2), ("", 1), ("CA", 1))
    # 7 days = 05-09 … 05-15 (users 1, 2, 5); 30 days = 04-16 … 05-15 (all but user 4).
    assert stats.last_7_days == PeriodStats(days=7, new_supporters=3, pledges=2, comments_sent=4)
    assert stats.last_30_days == PeriodStats(days=30, new_supporters=5, pledges=3, comments_sent=5)


async def test_source_breakdown(storage: Storage, clock: Clock) -> None:
    """Per source code: supporters started, pledged and comments sent, most started first."""
    await fill_known_dataset(storage, clock)
    stats = await collect_stats(storage, TODAY)
    assert stats.by_source == (
        SourceStats("flyer-mn", started=2, pledged=2, comments_sent=3),
        SourceStats("", started=2, pledged=1, comments_sent=1),
        SourceStats("radio", started=2, pledged=1, comments_sent=1),
        SourceStats("old-post", started=0, pledged=0, comments_sent=1),
    )


async def test_funnel_is_in_step_order(storage: Storage, clock: Clock) -> None:
    """The comment funnel lists every step in the guide's order, zeros included, new steps last."""
    await fill_known_dataset(storage, clock)
    stats = await collect_stats(storage, TODAY)
    assert stats.funnel == (
        ("started", 2),
        ("role", 2),
        ("reasons", 1),
        ("previewed", 1),
        ("send_shown", 1),
        ("sent", 1),
        ("couldnt", 0),
        ("zz-new-step", 1),
    )


async def test_daily_series_has_thirty_days_with_zeros(storage: Storage, clock: Clock) -> None:
    """The series covers the 30 days ending today, oldest first, with zero days present."""
    await fill_known_dataset(storage, clock)
    stats = await collect_stats(storage, TODAY)
    assert [d.day for d in stats.daily] == [days_ago(n) for n in range(29, -1, -1)]
    pledges = {d.day: d.pledges for d in stats.daily if d.pledges}
    comments = {d.day: d.comments_sent for d in stats.daily if d.comments_sent}
    assert pledges == {date(2026, 4, 16): 1, date(2026, 5, 10): 1, TODAY: 1}
    assert comments == {
        date(2026, 4, 20): 1,
        date(2026, 5, 10): 1,
        date(2026, 5, 12): 1,
        TODAY: 2,
    }
    assert sum(1 for d in stats.daily if not d.pledges and not d.comments_sent) == 25


async def test_empty_database_gives_zeros(storage: Storage) -> None:
    """With no data every number is zero, the series still has 30 days and the report renders."""
    stats = await collect_stats(storage, TODAY)
    assert (stats.supporters, stats.reachable, stats.pledges, stats.subscribers) == (0, 0, 0, 0)
    assert stats.comments_sent == 0
    assert stats.by_language == stats.by_state == stats.by_source == ()
    assert stats.funnel == tuple((step, 0) for step in FUNNEL_STEPS)
    assert stats.daily == tuple(DayStats(days_ago(n), 0, 0) for n in range(29, -1, -1))
    text = render_stats_text(stats, LABELS)
    assert check_html(text) is None
    assert "none yet" in text


async def test_counts_stay_exact_with_bulk_data(storage: Storage) -> None:
    """Numbers stay exact with thousands of supporters inserted in bulk (no per-user query)."""
    start = int(datetime.combine(TODAY, time(), UTC).timestamp())
    async with storage.transaction() as conn:
        await conn.executemany(
            "INSERT INTO users (user_id, language, source, first_seen, last_seen)"
            " VALUES (?, ?, ?, ?, ?)",
            [(i, "es" if i % 3 else "en", f"s{i % 50}", start, start) for i in range(5000)],
        )
        await conn.executemany(
            "INSERT INTO pledges (user_id, number, pledged_at) VALUES (?, ?, ?)",
            [(i, i + 1, start + 60) for i in range(0, 5000, 2)],
        )
    stats = await collect_stats(storage, TODAY)
    assert (stats.supporters, stats.pledges, stats.last_7_days.new_supporters) == (5000, 2500, 5000)
    assert stats.daily[-1].pledges == 2500
    assert len(stats.by_source) == 50
    assert sum(s.started for s in stats.by_source) == 5000
    assert sum(s.pledged for s in stats.by_source) == 2500


# -- the Telegram report ---------------------------------------------------------------------------


async def test_report_shows_the_numbers(storage: Storage, clock: Clock) -> None:
    """The report names each number with its label, with thousands separators, as valid HTML."""
    await fill_known_dataset(storage, clock)
    stats = await collect_stats(storage, TODAY)
    stats = replace(stats, supporters=12345, reachable=12000)
    text = render_stats_text(stats, LABELS)
    assert check_html(text) is None
    lines = visible_text(text).splitlines()
    assert lines[0] == "Statistics on 2026-05-15 (UTC)"
    assert "supporters: 12,345 (reachable: 12,000)" in lines
    assert "pledges: 4" in lines
    assert "comments sent: 6" in lines
    assert "subscribers: 2" in lines
    assert "last 7 days: new supporters 3 · pledges 2 · comments sent 4" in lines
    assert "last 30 days: new supporters 5 · pledges 3 · comments sent 5" in lines
    assert "2026-05-15: 1 · 2" in lines and "2026-05-09: 0 · 0" in lines
    assert "starts 3 → fact views 2 → pledges 4 → comments started 2 → comments sent 6" in lines
    assert "step role: 2 (100%)" in lines and "step reasons: 1 (50%)" in lines
    assert "en: 4 · 2" in lines and "es: 2 · 2" in lines
    assert "TX 2 · no state given 1 · CA 1" in lines
    assert lines[-4:] == ["flyer-mn: 2 · 2 · 3", "no code: 2 · 1 · 1", "radio: 2 · 1 · 1",
                          "old-post: 0 · 0 · 1"]  # fmt: skip


async def test_report_accepts_a_label_function(storage: Storage, clock: Clock) -> None:
    """Labels can come from a function (as from content.text) as well as from a mapping."""
    await fill_known_dataset(storage, clock)
    stats = await collect_stats(storage, TODAY)
    spanish: Callable[[str], str] = lambda key: {  # noqa: E731
        "title": "Estadísticas al {date}",
        "more": "… y {n} más",
    }.get(key, key.upper())
    text = render_stats_text(stats, spanish)
    assert text.startswith("<b>Estadísticas al 2026-05-15</b>\n")
    assert "SUPPORTERS: 6" in text


def many_sources_stats(count: int, odd_code: str) -> Stats:
    sources = [SourceStats(f"flyer-{i:03d}-" + "x" * 50, 1000 - i, 10, 1) for i in range(count)]
    sources[0] = SourceStats(odd_code, 5000, 2, 1)
    return Stats(
        today=TODAY,
        supporters=999_999,
        reachable=999_999,
        pledges=999_999,
        comments_sent=999_999,
        subscribers=999_999,
        starts=999_999,
        fact_views=999_999,
        unanswered_questions=999_999,
        by_language=(LanguageStats("en", 500_000, 500_000), LanguageStats("es", 1, 1)),
        by_state=(*((f"S{i}", 999_999 - i) for i in range(57)), ("", 1)),
        by_source=tuple(sources),
        funnel=tuple((step, 999_999) for step in FUNNEL_STEPS),
        lookups_by_state=(),
        last_7_days=PeriodStats(7, 999_999, 999_999, 999_999),
        last_30_days=PeriodStats(30, 999_999, 999_999, 999_999),
        daily=tuple(DayStats(days_ago(n), 99_999, 99_999) for n in range(29, -1, -1)),
    )


def test_report_fits_one_message_with_500_sources_and_escapes_codes() -> None:
    """500 source codes: the top 15, then "… and 485 more", within 4,096; `<b>&` is escaped."""
    text = render_stats_text(many_sources_stats(500, "<b>&"), LABELS)
    assert telegram_length(text) <= 4096
    assert check_html(text) is None
    assert "&lt;b&gt;&amp;: 5,000 · 2 · 1" in text
    assert "<b>&" not in text
    visible = visible_text(text).splitlines()
    assert visible[-1] == "… and 485 more"
    assert sum(1 for line in visible if line.startswith("flyer-")) == 14


def test_report_with_long_labels_still_fits_and_stays_valid() -> None:
    """Even absurdly long labels give a valid message within 4,096, cut at a whole line."""
    long_labels = {key: f"{text} " + "é" * 150 for key, text in LABELS.items()}
    text = render_stats_text(many_sources_stats(500, "x"), long_labels)
    assert telegram_length(text) <= 4096
    assert check_html(text) is None
    assert text.endswith("\n…")


def test_cli_text_lists_everything_in_plain_english() -> None:
    """The command-line text shows every source code and every day, unescaped, in English."""
    stats = many_sources_stats(500, "<b>&")
    text = format_stats_cli(stats)
    assert "<b>&" in text and "&amp;" not in text
    assert sum(1 for line in text.splitlines() if line.startswith("flyer-")) == 499
    assert "supporters            999,999" in text
    for day in stats.daily:
        assert day.day.isoformat() in text


async def test_cli_text_of_known_dataset(storage: Storage, clock: Clock) -> None:
    """The command-line text has the same numbers as the Telegram report."""
    await fill_known_dataset(storage, clock)
    lines = format_stats_cli(await collect_stats(storage, TODAY)).splitlines()
    assert lines[0] == "Statistics on 2026-05-15 (UTC)"
    assert "supporters                6" in lines
    assert "last 7 days                3        2              4" in lines
    assert "role                2        100%" in lines
    assert "(no code)        2        1              1" in lines
    assert "(not given)        1" in lines


# -- the chart ------------------------------------------------------------------------------------


def decode(png: bytes) -> Image.Image:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.format == "PNG"
    return image.convert("RGB")


async def test_chart_is_a_png_with_bars_and_text(storage: Storage, clock: Clock) -> None:
    """The chart decodes as a sensible-size PNG with bars drawn, and is identical when redrawn."""
    await fill_known_dataset(storage, clock)
    stats = await collect_stats(storage, TODAY)
    png = render_chart_png(stats, "Last 30 days", "Pledges", "Comments sent")
    image = decode(png)
    assert 800 <= image.width <= 2000 and 400 <= image.height <= 1200
    colours = image.getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 20  # text, axes, bars: not a blank image
    assert any(colour == PLEDGE_COLOR and n > 500 for n, colour in colours)
    assert render_chart_png(stats, "Last 30 days", "Pledges", "Comments sent") == png


async def test_chart_of_empty_database_and_spanish_labels(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No data and Spanish labels still give a valid chart, with or without a Unicode font."""
    stats = await collect_stats(storage, TODAY)
    labels = ("Compromisos y comentarios, últimos 30 días", "Compromisos", "Comentarios enviados")
    image = decode(render_chart_png(stats, *labels))
    assert image.size == stats_module.CHART_SIZE
    monkeypatch.setattr(stats_module, "_font_file", lambda: None)
    stats_module._font.cache_clear()
    try:
        image = decode(render_chart_png(stats, *labels))
    finally:
        stats_module._font.cache_clear()
    assert image.size == stats_module.CHART_SIZE
    assert stats_module._drawable("últimos días — año") == "ultimos dias - ano"


def test_chart_scales_to_large_numbers() -> None:
    """Six-digit daily numbers get whole-number axis ticks and the chart still renders."""
    assert stats_module._nice_ticks(0) == [0, 1]
    assert stats_module._nice_ticks(7) == [0, 2, 4, 6, 8]
    assert stats_module._nice_ticks(99_999) == [0, 20_000, 40_000, 60_000, 80_000, 100_000]
    image = decode(render_chart_png(many_sources_stats(3, "x"), "T", "P", "C"))
    assert image.size == stats_module.CHART_SIZE


# -- letters by channel ---------------------------------------------------------------------------


async def fill_channels(storage: Storage, clock: Clock, content: Content) -> None:
    """Two letters queued for the campaign and delivered, one waiting; a postal PDF; e-mails
    sent (one 40 days ago, outside the chart's 30 days); an "I couldn't" by post."""
    from bot.deliveries import export_batch, mark_delivered, queue_letter, record_outcome
    from bot.letters import DraftChoices

    clock.at(TODAY - timedelta(days=40))
    await storage.touch_user(9, "en")
    await storage.start_draft(9, "en", 1, "send")
    await record_outcome(storage, 9, "email", "sent", "en", None)
    clock.at(TODAY - timedelta(days=2))
    for user_id, lang in ((1, "en"), (2, "es"), (3, "es")):
        await storage.touch_user(user_id, lang)
        choice = DraftChoices(seed=user_id, reasons=tuple(content.letter.talking_points)[:1])
        await queue_letter(
            storage, content.letter, user_id=user_id, language=lang, choices=choice, notify=False
        )
        if user_id == 2:
            exported = await export_batch(storage)
            assert exported is not None
            clock.at(TODAY)
            await mark_delivered(storage, exported[0].id, TODAY, "hand")
    for user_id, outcomes in ((4, ("pdf", "couldnt")), (5, ("pdf",)), (6, ())):
        await storage.touch_user(user_id, "es")
        await storage.start_draft(user_id, "es", 1, "send")
        for outcome in outcomes:
            await record_outcome(storage, user_id, "postal", outcome, "es", "radio")
    await storage.start_draft(6, "en", 1, "send")
    await record_outcome(storage, 6, "email", "sent", "en", None)


async def test_letters_are_counted_per_channel(
    storage: Storage, clock: Clock, content: Content
) -> None:
    """Every outcome of every channel, zeros included, all time and over the last 30 days."""
    await fill_channels(storage, clock, content)
    stats = await collect_stats(storage, TODAY)
    assert stats.channels == (
        ("campaign", "queued", 3),
        ("campaign", "delivered", 2),
        ("email", "sent", 2),
        ("email", "couldnt", 0),
        ("postal", "pdf", 2),
        ("postal", "sent", 0),
        ("postal", "couldnt", 1),
        ("webform", "sent", 0),
        ("webform", "couldnt", 0),
    )
    assert dict(((c, o), n) for c, o, n in stats.channels_30_days)[("email", "sent")] == 1


async def test_report_shows_the_channels_in_use(
    storage: Storage, clock: Clock, content: Content
) -> None:
    """/stats has a line per channel in use with its outcomes — not for a channel never used —
    and the plain-text labels are escaped."""
    await fill_channels(storage, clock, content)
    stats = await collect_stats(storage, TODAY)
    labels = LABELS | {"channel_postal": "Print & post", "outcome_pdf": "PDF <downloaded>"}
    text = render_stats_text(stats, labels)
    assert check_html(text) is None
    assert "channel campaign: outcome queued 3 · outcome delivered 2" in text
    assert "Print &amp; post: PDF &lt;downloaded&gt; 2 · outcome sent 0 · outcome couldnt 1" in text
    assert "channel webform" not in text
    empty = render_stats_text(await collect_stats_empty(storage), LABELS)
    assert "<b>channels</b>\nnone yet" in empty


async def collect_stats_empty(storage: Storage) -> Stats:
    stats = await collect_stats(storage, TODAY)
    return replace(stats, channels=tuple((c, o, 0) for c, o, _ in stats.channels))


async def test_cli_lists_every_channel_outcome(
    storage: Storage, clock: Clock, content: Content
) -> None:
    """`outreach-bot stats` lists every channel's outcomes, total and last 30 days."""
    await fill_channels(storage, clock, content)
    lines = format_stats_cli(await collect_stats(storage, TODAY)).splitlines()
    assert [line.split() for line in lines if line.startswith("email: sent")] == [
        ["email:", "sent", "2", "1"]
    ]
    assert any(line.split() == ["webform:", "couldnt", "0", "0"] for line in lines)


async def test_chart_draws_the_channels_outcomes(
    storage: Storage, clock: Clock, content: Content
) -> None:
    """Under the daily chart, one bar per outcome of each channel in use over 30 days; none
    drawn when no letter went through any channel."""
    empty = decode(render_chart_png(await collect_stats(storage, TODAY), "T", "P", "C"))
    assert not any(colour == stats_module.CHANNEL_COLOR for _, colour in empty.getcolors(10**6))
    await fill_channels(storage, clock, content)
    stats = await collect_stats(storage, TODAY)
    image = decode(render_chart_png(stats, "T", "P", "C", LABELS))
    assert image.size == stats_module.CHART_SIZE
    panel = image.crop((0, stats_module.MAIN_HEIGHT, image.width, image.height))
    colours = panel.getcolors(maxcolors=1_000_000)
    assert colours is not None
    assert any(colour == stats_module.CHANNEL_COLOR and n > 2000 for n, colour in colours)
