"""Organizer statistics: one snapshot of the database, as text for Telegram, the CLI, and a chart.

:func:`collect_stats` asks SQLite a handful of ``GROUP BY`` questions (no loop over users, so it
stays fast with 100,000 supporters) and returns an immutable :class:`Stats`. The renderers are
pure functions of that snapshot:

- :func:`render_stats_text` — a compact Telegram HTML report that always fits one message. Its
  words come from content (``stats.<key>`` in ``content/ui.yaml``, see :data:`STATS_LABELS`);
  every value that comes from data (source codes, states, languages) is escaped.
- :func:`format_stats_cli` — the same numbers in English plain text for ``outreach-bot stats``,
  with nothing left out (every source code, every day of the last 30).
- :func:`render_chart_png` — daily pledges (bars) and comments sent (line) over the last 30 days,
  and under them each channel's outcomes over the same days (letters the campaign queued and
  delivered, e-mails sent, postal PDFs downloaded, "I couldn't").

Days are UTC days, as in ``daily_counts``. Source code ``""`` means "no code" and state ``""``
means "not given".

Pillow is imported by the chart's functions only: the bot starts, and answers supporters,
without loading it.
"""

from __future__ import annotations

import functools
import html
import io
import math
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from bot.congress.model import CHAMBERS
from bot.content.ui_keys import CONGRESS_OUTCOMES
from bot.deliveries import CHANNEL_OUTCOMES, channel_event
from bot.flows.guide import FUNNEL
from bot.storage import Storage
from bot.telegram_html import MAX_MESSAGE, telegram_length

if TYPE_CHECKING:
    from PIL import ImageDraw, ImageFont

    Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

SERIES_DAYS = 30
TOP_SOURCES = 15
TOP_LANGUAGES = 10
TOP_STATES = 60  # every state and territory fits; more only if the data holds odd codes
CODE_MAX = 40  # longer source codes are shortened in the report

# The comment guide's funnel steps, in the order a supporter meets them (``funnel:<step>``).
FUNNEL_STEPS = FUNNEL  # the comment guide's funnel, in order

# The labels render_stats_text needs, with the placeholders each may use. Content holds them as
# ``stats.<key>`` in both languages; the caller passes them in (see render_stats_text).
STATS_LABELS: dict[str, frozenset[str]] = {
    "title": frozenset({"date"}),
    "supporters": frozenset(),
    "reachable": frozenset(),
    "pledges": frozenset(),
    "comments_sent": frozenset(),
    "subscribers": frozenset(),
    "last_7_days": frozenset(),
    "last_30_days": frozenset(),
    "new_supporters": frozenset(),
    "by_day": frozenset(),
    "funnel": frozenset(),
    "starts": frozenset(),
    "fact_views": frozenset(),
    "comments_started": frozenset(),
    "unanswered": frozenset(),
    "guide": frozenset(),
    **{f"step_{step}": frozenset() for step in FUNNEL_STEPS},
    "by_language": frozenset(),
    "by_state": frozenset(),
    "no_state": frozenset(),
    "lookups": frozenset(),
    "by_source": frozenset(),
    "no_source": frozenset(),
    "more": frozenset({"n"}),
    "none": frozenset(),
    "channels": frozenset(),
    **{f"channel_{channel}": frozenset() for channel in CHANNEL_OUTCOMES},
    **{
        f"outcome_{outcome}": frozenset()
        for outcomes in CHANNEL_OUTCOMES.values()
        for outcome in outcomes
    },
    "congress": frozenset(),
    **{f"congress_{chamber}": frozenset() for chamber in CHAMBERS},
    **{f"congress_{outcome}": frozenset() for outcome in CONGRESS_OUTCOMES},
}
TOP_MEMBERS = 10  # members of Congress listed by name in the report


# The text of a label key in the reader's language (see render_stats_text).
Labels = Mapping[str, str] | Callable[[str], str]


@dataclass(frozen=True, slots=True)
class LanguageStats:
    language: str
    supporters: int
    pledges: int


@dataclass(frozen=True, slots=True)
class SourceStats:
    source: str  # "" for supporters who came without a code
    started: int  # supporters whose first link carried this code
    pledged: int  # ... of whom have a pledge now
    comments_sent: int  # 'comment_sent' events counted for this code


@dataclass(frozen=True, slots=True)
class DayStats:
    day: date
    pledges: int
    comments_sent: int


@dataclass(frozen=True, slots=True)
class PeriodStats:
    days: int
    new_supporters: int
    pledges: int
    comments_sent: int


@dataclass(frozen=True, slots=True)
class Stats:
    """Everything the organizer reports show, as of ``today`` (a UTC day)."""

    today: date
    supporters: int
    reachable: int
    pledges: int
    comments_sent: int
    subscribers: int
    starts: int  # '/start' events
    fact_views: int  # 'fact' events
    unanswered_questions: int  # 'question_unanswered' events
    by_language: tuple[LanguageStats, ...]  # most supporters first
    by_state: tuple[tuple[str, int], ...]  # pledges per state, most first; "" = not given
    by_source: tuple[SourceStats, ...]  # most started first, then most pledged, then code
    funnel: tuple[tuple[str, int], ...]  # comment guide steps in FUNNEL_STEPS order
    lookups_by_state: tuple[tuple[str, int], ...]  # "Where I live" answers per state, most first
    last_7_days: PeriodStats
    last_30_days: PeriodStats
    daily: tuple[DayStats, ...]  # the last 30 days, oldest first, today last
    # (channel, outcome, count) in CHANNEL_OUTCOMES order, zeros included: all time, and the
    # last 30 days (the chart)
    channels: tuple[tuple[str, str, int], ...] = ()
    channels_30_days: tuple[tuple[str, str, int], ...] = ()
    # What supporters did about members of Congress, all time: (member id, chamber, outcome,
    # count), the member with the most outcomes first
    congress: tuple[tuple[str, str, str, int], ...] = ()

    def congress_by_chamber(self) -> dict[str, dict[str, int]]:
        """Outcome counts per chamber (CHAMBERS order), each outcome in CONGRESS_OUTCOMES order."""
        out: dict[str, dict[str, int]] = {c: dict.fromkeys(CONGRESS_OUTCOMES, 0) for c in CHAMBERS}
        for _, chamber, outcome, count in self.congress:
            row = out.setdefault(chamber, dict.fromkeys(CONGRESS_OUTCOMES, 0))
            row[outcome] = row.get(outcome, 0) + count
        return out

    def congress_members(self) -> list[tuple[str, str, dict[str, int]]]:
        """(member id, chamber, counts per outcome), the most outcomes first."""
        members: dict[tuple[str, str], dict[str, int]] = {}
        for member_id, chamber, outcome, count in self.congress:
            row = members.setdefault((member_id, chamber), dict.fromkeys(CONGRESS_OUTCOMES, 0))
            row[outcome] = row.get(outcome, 0) + count
        ranked = sorted(members.items(), key=lambda item: (-sum(item[1].values()), item[0]))
        return [(member_id, chamber, counts) for (member_id, chamber), counts in ranked]

    @property
    def comments_started(self) -> int:
        return dict(self.funnel).get("started", 0)


# -- collecting ---------------------------------------------------------------------------------


def _day_start(day: date) -> int:
    """Unix seconds at 00:00 UTC of ``day``."""
    return int(datetime.combine(day, time(), UTC).timestamp())


async def collect_stats(storage: Storage, today: date) -> Stats:
    """Count supporters, pledges, comments and their breakdowns with a handful of queries
    (each reads whole tables: they run in the database's worker thread, see bot.database)."""
    first_day = today - timedelta(days=SERIES_DAYS - 1)
    week_start = _day_start(today - timedelta(days=6))
    month_start = _day_start(first_day)
    tomorrow = _day_start(today + timedelta(days=1))

    users = await storage.fetchone(
        "SELECT COUNT(*), COALESCE(SUM(reachable), 0),"
        " COALESCE(SUM(first_seen >= ? AND first_seen < ?), 0),"
        " COALESCE(SUM(first_seen >= ? AND first_seen < ?), 0)"
        " FROM users",
        (week_start, tomorrow, month_start, tomorrow),
        slow=True,
    )
    assert users is not None  # an aggregate without GROUP BY always returns one row
    subscribers = await storage.fetchone("SELECT COUNT(*) FROM subscriptions", slow=True)
    assert subscribers is not None

    language_rows = await storage.fetchall(
        "SELECT u.language, COUNT(*), COUNT(p.user_id)"
        " FROM users AS u LEFT JOIN pledges AS p ON p.user_id = u.user_id"
        " GROUP BY u.language ORDER BY 2 DESC, 1",
        slow=True,
    )
    source_rows = await storage.fetchall(
        "SELECT COALESCE(u.source, ''), COUNT(*), COUNT(p.user_id)"
        " FROM users AS u LEFT JOIN pledges AS p ON p.user_id = u.user_id"
        " GROUP BY 1",
        slow=True,
    )
    state_rows = await storage.fetchall(
        "SELECT COALESCE(state, ''), COUNT(*) FROM pledges GROUP BY 1 ORDER BY 2 DESC, 1", slow=True
    )
    event_rows = await storage.fetchall(
        "SELECT event, source, SUM(count) FROM daily_counts GROUP BY event, source", slow=True
    )
    pledge_days = await storage.fetchall(
        "SELECT strftime('%Y-%m-%d', pledged_at, 'unixepoch'), COUNT(*) FROM pledges"
        " WHERE pledged_at >= ? AND pledged_at < ? GROUP BY 1",
        (month_start, tomorrow),
        slow=True,
    )
    channel_rows = await storage.fetchall(
        "SELECT event, SUM(count) FROM daily_counts"
        " WHERE day >= ? AND day <= ? AND event LIKE 'channel:%' GROUP BY event",
        (first_day.isoformat(), today.isoformat()),
        slow=True,
    )
    congress_rows = await storage.fetchall(
        "SELECT member_id, chamber, outcome, SUM(count) FROM congress_outcomes"
        " GROUP BY member_id, chamber, outcome ORDER BY member_id, chamber, outcome",
        slow=True,
    )
    comment_days = await storage.fetchall(
        "SELECT day, SUM(count) FROM daily_counts"
        " WHERE day >= ? AND day <= ? AND event = 'comment_sent' GROUP BY day",
        (first_day.isoformat(), today.isoformat()),
        slow=True,
    )

    events: dict[str, int] = {}
    comments_by_source: dict[str, int] = {}
    lookups: dict[str, int] = {}
    for event, source, count in event_rows:
        events[event] = events.get(event, 0) + int(count)
        if event == "comment_sent":
            comments_by_source[source] = comments_by_source.get(source, 0) + int(count)
        if event.startswith("lookup:"):
            state = event.removeprefix("lookup:")
            lookups[state] = lookups.get(state, 0) + int(count)

    by_source = _merge_sources(
        {row[0]: (int(row[1]), int(row[2])) for row in source_rows}, comments_by_source
    )
    by_state = tuple((str(row[0]), int(row[1])) for row in state_rows)
    daily = _daily_series(
        first_day,
        {row[0]: int(row[1]) for row in pledge_days},
        {row[0]: int(row[1]) for row in comment_days},
    )
    return Stats(
        today=today,
        supporters=int(users[0]),
        reachable=int(users[1]),
        pledges=sum(count for _, count in by_state),
        comments_sent=events.get("comment_sent", 0),
        subscribers=int(subscribers[0]),
        starts=events.get("start", 0),
        fact_views=events.get("fact", 0),
        unanswered_questions=events.get("question_unanswered", 0),
        by_language=tuple(
            LanguageStats(str(row[0]), int(row[1]), int(row[2])) for row in language_rows
        ),
        by_state=by_state,
        lookups_by_state=tuple(sorted(lookups.items(), key=lambda item: (-item[1], item[0]))),
        by_source=by_source,
        funnel=_funnel(events),
        channels=_channels(events),
        channels_30_days=_channels({row[0]: int(row[1]) for row in channel_rows}),
        congress=tuple((str(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in congress_rows),
        last_7_days=_period(daily[-7:], int(users[2])),
        last_30_days=_period(daily, int(users[3])),
        daily=daily,
    )


def _merge_sources(
    users: Mapping[str, tuple[int, int]], comments: Mapping[str, int]
) -> tuple[SourceStats, ...]:
    """One row per code seen among users or comment counts (a forgotten user's code stays)."""
    rows = [
        SourceStats(code, *users.get(code, (0, 0)), comments.get(code, 0))
        for code in users.keys() | comments.keys()
    ]
    rows.sort(key=lambda s: (-s.started, -s.pledged, -s.comments_sent, s.source))
    return tuple(rows)


def _funnel(events: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    """Every known step in order (zeros included), then any other step by name."""
    counts = {e.removeprefix("funnel:"): n for e, n in events.items() if e.startswith("funnel:")}
    extra = sorted(counts.keys() - set(FUNNEL_STEPS))
    return tuple((step, counts.get(step, 0)) for step in (*FUNNEL_STEPS, *extra))


def _channels(events: Mapping[str, int]) -> tuple[tuple[str, str, int], ...]:
    """Every outcome of every channel, in CHANNEL_OUTCOMES order, zeros included."""
    return tuple(
        (channel, outcome, events.get(channel_event(channel, outcome), 0))
        for channel, outcomes in CHANNEL_OUTCOMES.items()
        for outcome in outcomes
    )


def _used_channels(rows: tuple[tuple[str, str, int], ...]) -> list[str]:
    """The channels with any count: a channel the campaign does not offer stays out."""
    return [c for c in CHANNEL_OUTCOMES if any(n for ch, _, n in rows if ch == c)]


def _daily_series(
    first_day: date, pledges: Mapping[str, int], comments: Mapping[str, int]
) -> tuple[DayStats, ...]:
    days = [first_day + timedelta(days=offset) for offset in range(SERIES_DAYS)]
    return tuple(
        DayStats(day, pledges.get(day.isoformat(), 0), comments.get(day.isoformat(), 0))
        for day in days
    )


def _period(days: tuple[DayStats, ...], new_supporters: int) -> PeriodStats:
    return PeriodStats(
        days=len(days),
        new_supporters=new_supporters,
        pledges=sum(d.pledges for d in days),
        comments_sent=sum(d.comments_sent for d in days),
    )


# -- text for Telegram ----------------------------------------------------------------------------


def _n(value: int) -> str:
    return f"{value:,}"


def _code(value: str) -> str:
    """A value from data, shortened and escaped for Telegram HTML."""
    if len(value) > CODE_MAX:
        value = value[: CODE_MAX - 1] + "…"
    return html.escape(value, quote=False)


def _percent(part: int, whole: int) -> str:
    return f" ({round(100 * part / whole)}%)" if whole else ""


def render_stats_text(
    stats: Stats, labels: Labels, member_names: Mapping[str, str] | None = None
) -> str:
    """The organizer's report as Telegram HTML, always within one message (4,096 characters).

    ``labels`` gives the text of each key of :data:`STATS_LABELS` in the reader's language: a
    mapping, or a function such as ``lambda key: content.text(f"stats.{key}", lang)``.
    Placeholders (``{date}``, ``{n}``) are filled in here. Labels are content, so they are
    inserted as they are (Telegram HTML, validated by check-content); every value that comes from
    data is escaped. Numbers use comma grouping in both languages, as everywhere in the bot.
    ``member_names`` names members of Congress by their id ("Kathy Castor (FL-14)").
    """
    lookup = labels.__getitem__ if isinstance(labels, Mapping) else labels

    def label(key: str, **values: str) -> str:
        text = lookup(key)
        for name, value in values.items():
            text = text.replace("{" + name + "}", value)
        return text

    def more(hidden: int) -> list[str]:
        return [label("more", n=_n(hidden))] if hidden > 0 else []

    lines = [f"<b>{label('title', date=stats.today.isoformat())}</b>"]
    lines.append(
        f"{label('supporters')}: {_n(stats.supporters)}"
        f" ({label('reachable')}: {_n(stats.reachable)})"
    )
    lines.append(f"{label('pledges')}: {_n(stats.pledges)}")
    lines.append(f"{label('comments_sent')}: {_n(stats.comments_sent)}")
    lines.append(f"{label('subscribers')}: {_n(stats.subscribers)}")

    lines.append("")
    for key, period in (("last_7_days", stats.last_7_days), ("last_30_days", stats.last_30_days)):
        lines.append(
            f"<b>{label(key)}</b>: {label('new_supporters')} {_n(period.new_supporters)}"
            f" · {label('pledges')} {_n(period.pledges)}"
            f" · {label('comments_sent')} {_n(period.comments_sent)}"
        )

    lines += ["", f"<b>{label('by_day')}</b>"]
    lines += [
        f"{d.day.isoformat()}: {_n(d.pledges)} · {_n(d.comments_sent)}" for d in stats.daily[-7:]
    ]

    lines += ["", f"<b>{label('funnel')}</b>"]
    lines.append(
        " → ".join(
            f"{label(key)} {_n(value)}"
            for key, value in (
                ("starts", stats.starts),
                ("fact_views", stats.fact_views),
                ("pledges", stats.pledges),
                ("comments_started", stats.comments_started),
                ("comments_sent", stats.comments_sent),
            )
        )
    )
    lines.append(f"{label('unanswered')}: {_n(stats.unanswered_questions)}")

    lines += ["", f"<b>{label('guide')}</b>"]
    started = stats.comments_started
    for step, count in stats.funnel:
        name = label(f"step_{step}") if step in FUNNEL_STEPS else _code(step)
        lines.append(f"{name}: {_n(count)}{_percent(count, started) if step != 'started' else ''}")

    # The channels' labels are plain text (the chart draws them too): escaped here.
    lines += ["", f"<b>{html.escape(label('channels'), quote=False)}</b>"]
    used = _used_channels(stats.channels)
    for channel in used:
        outcomes = " · ".join(
            f"{html.escape(label(f'outcome_{outcome}'), quote=False)} {_n(count)}"
            for ch, outcome, count in stats.channels
            if ch == channel
        )
        lines.append(f"{html.escape(label(f'channel_{channel}'), quote=False)}: {outcomes}")
    if not used:
        lines.append(label("none"))

    lines += ["", f"<b>{html.escape(label('congress'), quote=False)}</b>"]
    if stats.congress:
        names = member_names or {}

        def did(counts: Mapping[str, int]) -> str:
            return " · ".join(
                f"{html.escape(label(f'congress_{o}'), quote=False)} {_n(n)}"
                for o, n in counts.items()
            )

        for chamber, counts in stats.congress_by_chamber().items():
            chamber_label = html.escape(label(f"congress_{chamber}"), quote=False)
            lines.append(f"{chamber_label}: {did(counts)}")
        members = stats.congress_members()
        for member_id, _, counts in members[:TOP_MEMBERS]:
            name = html.escape(names.get(member_id, member_id), quote=False)
            lines.append(f"{name}: {did(counts)}")
        lines += more(len(members) - TOP_MEMBERS)
    else:
        lines.append(label("none"))

    lines += ["", f"<b>{label('by_language')}</b>"]
    lines += [
        f"{_code(row.language)}: {_n(row.supporters)} · {_n(row.pledges)}"
        for row in stats.by_language[:TOP_LANGUAGES]
    ] or [label("none")]
    lines += more(len(stats.by_language) - TOP_LANGUAGES)

    lines += ["", f"<b>{label('by_state')}</b>"]
    states = [
        f"{_code(state) if state else label('no_state')} {_n(count)}"
        for state, count in stats.by_state[:TOP_STATES]
    ]
    lines.append(" · ".join(states) if states else label("none"))
    lines += more(len(stats.by_state) - TOP_STATES)

    lines += ["", f"<b>{label('lookups')}</b>"]
    looked_up = [
        f"{_code(state)} {_n(count)}" for state, count in stats.lookups_by_state[:TOP_STATES]
    ]
    lines.append(" · ".join(looked_up) if looked_up else label("none"))
    lines += more(len(stats.lookups_by_state) - TOP_STATES)

    lines += ["", f"<b>{label('by_source')}</b>"]
    lines += [
        f"{_code(row.source) if row.source else label('no_source')}:"
        f" {_n(row.started)} · {_n(row.pledged)} · {_n(row.comments_sent)}"
        for row in stats.by_source[:TOP_SOURCES]
    ] or [label("none")]
    lines += more(len(stats.by_source) - TOP_SOURCES)

    return _fit(lines, MAX_MESSAGE)


def _fit(lines: list[str], limit: int) -> str:
    """Join the lines; if over ``limit`` (only with very long labels) drop whole lines from the
    end, so no HTML tag is ever cut, and end with an ellipsis."""
    text = "\n".join(lines)
    while telegram_length(text) > limit and lines:
        lines = lines[:-1]
        text = "\n".join([*lines, "…"])
    return text


# -- text for the command line --------------------------------------------------------------------


def format_stats_cli(stats: Stats) -> str:
    """Every number of the snapshot in English plain text (``outreach-bot stats``)."""

    def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
        widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
        fmt = [str.ljust, *[str.rjust] * (len(header) - 1)]
        return [
            "  ".join(f(cell, w) for f, cell, w in zip(fmt, row, widths, strict=True)).rstrip()
            for row in (header, *rows)
        ]

    out = [f"Statistics on {stats.today.isoformat()} (UTC)", ""]
    out += table(
        ("Totals", "count"),
        [
            ("supporters", _n(stats.supporters)),
            ("  reachable", _n(stats.reachable)),
            ("pledges", _n(stats.pledges)),
            ("comments sent", _n(stats.comments_sent)),
            ("subscribers", _n(stats.subscribers)),
            ("/start", _n(stats.starts)),
            ("fact views", _n(stats.fact_views)),
            ("unanswered questions", _n(stats.unanswered_questions)),
        ],
    )
    out.append("")
    out += table(
        ("Period", "new supporters", "pledges", "comments sent"),
        [
            (f"last {p.days} days", _n(p.new_supporters), _n(p.pledges), _n(p.comments_sent))
            for p in (stats.last_7_days, stats.last_30_days)
        ],
    )
    out.append("")
    started = stats.comments_started
    out += table(
        ("Comment funnel", "count", "of started"),
        [
            (step, _n(count), _percent(count, started).strip(" ()") or "-")
            for step, count in stats.funnel
        ],
    )
    out.append("")
    recent = {(channel, outcome): n for channel, outcome, n in stats.channels_30_days}
    out += table(
        ("Channel: outcome", "total", "last 30 days"),
        [
            (f"{channel}: {outcome}", _n(count), _n(recent.get((channel, outcome), 0)))
            for channel, outcome, count in stats.channels
        ],
    )
    out.append("")
    out += table(
        ("Member of Congress", "chamber", *CONGRESS_OUTCOMES),
        [
            (member_id, chamber, *(_n(counts.get(o, 0)) for o in CONGRESS_OUTCOMES))
            for member_id, chamber, counts in stats.congress_members()
        ],
    )
    out.append("")
    out += table(
        ("Language", "supporters", "pledges"),
        [(r.language, _n(r.supporters), _n(r.pledges)) for r in stats.by_language],
    )
    out.append("")
    out += table(
        ("State", "pledges"),
        [(state or "(not given)", _n(count)) for state, count in stats.by_state],
    )
    out.append("")
    out += table(
        ("Where I live: state", "lookups"),
        [(state, _n(count)) for state, count in stats.lookups_by_state],
    )
    out.append("")
    out += table(
        ("Source", "started", "pledged", "comments sent"),
        [
            (r.source or "(no code)", _n(r.started), _n(r.pledged), _n(r.comments_sent))
            for r in stats.by_source
        ],
    )
    out.append("")
    out += table(
        ("Day", "pledges", "comments sent"),
        [(d.day.isoformat(), _n(d.pledges), _n(d.comments_sent)) for d in stats.daily],
    )
    return "\n".join(out) + "\n"


# -- chart ----------------------------------------------------------------------------------------

CHART_SIZE = (1280, 1040)
MAIN_HEIGHT = 720  # the daily chart; the channels' outcomes are drawn below it
CHANNEL_COLOR = (0, 158, 115)  # Okabe–Ito bluish green
PLEDGE_COLOR = (0, 114, 178)  # Okabe–Ito blue and vermillion: distinct for colour-blind
COMMENT_COLOR = (213, 94, 0)  # readers, and as solid bars vs. a marked line in grey print
INK = (33, 33, 33)
GRID = (221, 221, 221)
MUTED = (110, 110, 110)

# Fonts with Spanish letters, tried in order by name (Pillow looks in the system's font folders:
# /usr/share/fonts, ~/.fonts, Windows and macOS font folders). Pillow's own font has ASCII only.
UNICODE_FONTS = (
    "DejaVuSans.ttf",
    "LiberationSans-Regular.ttf",
    "NotoSans-Regular.ttf",
    "FreeSans.ttf",
    "Arial.ttf",
)
_ASCII_FALLBACKS = str.maketrans({"—": "-", "–": "-", "…": "...", "→": "->", "·": "-"})


@functools.lru_cache(maxsize=1)
def _font_file() -> str | None:
    """The first installed Unicode font, or None to use Pillow's built-in one."""
    from PIL import ImageFont

    for name in UNICODE_FONTS:
        try:
            ImageFont.truetype(name, 10)
        except OSError:
            continue
        return name
    return None


@functools.lru_cache(maxsize=16)
def _font(size: int) -> Font:
    from PIL import ImageFont

    name = _font_file()
    return ImageFont.truetype(name, size) if name else ImageFont.load_default(size=size)


def _drawable(text: str) -> str:
    """``text`` as the chosen font can draw it: unchanged with a Unicode font; otherwise folded
    to ASCII ("últimos días" → "ultimos dias") so no letter becomes an empty box."""
    if _font_file() is not None:
        return text
    folded = unicodedata.normalize("NFKD", text.translate(_ASCII_FALLBACKS))
    return (
        "".join(c for c in folded if not unicodedata.combining(c))
        .encode("ascii", "replace")
        .decode("ascii")
    )


def _nice_ticks(peak: int) -> list[int]:
    """0 to at least ``peak`` in 1-2-5 steps, at most about six ticks, whole numbers."""
    peak = max(peak, 1)
    raw = peak / 5
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    top = step * math.ceil(peak / step)
    return list(range(0, top + 1, step))


def render_chart_png(
    stats: Stats,
    title: str,
    pledges_label: str,
    comments_label: str,
    labels: Labels | None = None,
) -> bytes:
    """A PNG of daily pledges (bars) and comments sent (line) over the last 30 days, and below
    it one bar per outcome of each channel in use over the same days.

    ``labels`` names the channels and outcomes as in :func:`render_stats_text` (without it, their
    ids are shown). The same ``stats`` and labels always give the same bytes. Dates are
    language-neutral: the day of the month under each bar and ``YYYY-MM`` under each month.
    """
    from PIL import Image, ImageDraw

    width, height = CHART_SIZE[0], MAIN_HEIGHT
    left, right, top, bottom = 96, 40, 130, 110
    image = Image.new("RGB", CHART_SIZE, "white")
    draw = ImageDraw.Draw(image)
    title, pledges_label = _drawable(title), _drawable(pledges_label)
    comments_label = _drawable(comments_label)
    legend_font, tick_font, day_font = _font(24), _font(22), _font(20)
    title_font = _font(34)
    for size in (30, 26, 22):  # a long title gets a smaller font before it runs off the image
        if draw.textlength(title, font=title_font) <= width - left - right:
            break
        title_font = _font(size)
    draw.text((left, 24), title, fill=INK, font=title_font)

    days = stats.daily
    pledges_total = sum(d.pledges for d in days)
    comments_total = sum(d.comments_sent for d in days)
    legend_y = 82
    x = left
    draw.rectangle((x, legend_y, x + 28, legend_y + 22), fill=PLEDGE_COLOR)
    x += 38
    text = f"{pledges_label} ({_n(pledges_total)})"
    draw.text((x, legend_y + 11), text, fill=INK, font=legend_font, anchor="lm")
    x += int(draw.textlength(text, font=legend_font)) + 48
    draw.line((x, legend_y + 11, x + 36, legend_y + 11), fill=COMMENT_COLOR, width=4)
    _marker(draw, x + 18, legend_y + 11)
    x += 46
    text = f"{comments_label} ({_n(comments_total)})"
    draw.text((x, legend_y + 11), text, fill=INK, font=legend_font, anchor="lm")

    ticks = _nice_ticks(max([d.pledges for d in days] + [d.comments_sent for d in days] + [0]))
    widest_tick = max(draw.textlength(_n(tick), font=tick_font) for tick in ticks)
    x0, x1, y0, y1 = max(left, int(widest_tick) + 24), width - right, top, height - bottom
    y_top = ticks[-1]

    def y_of(value: int) -> float:
        return y1 - (y1 - y0) * value / y_top

    for tick in ticks:
        y = y_of(tick)
        draw.line((x0, y, x1, y), fill=GRID if tick else INK, width=1 if tick else 2)
        draw.text((x0 - 12, y), _n(tick), fill=INK, font=tick_font, anchor="rm")
    draw.line((x0, y0, x0, y1), fill=INK, width=2)

    slot = (x1 - x0) / max(len(days), 1)
    centers = [x0 + slot * (i + 0.5) for i in range(len(days))]
    bar = slot * 0.62
    for cx, d in zip(centers, days, strict=True):
        if d.pledges:
            draw.rectangle((cx - bar / 2, y_of(d.pledges), cx + bar / 2, y1 - 1), fill=PLEDGE_COLOR)
    points = [(cx, y_of(d.comments_sent)) for cx, d in zip(centers, days, strict=True)]
    if len(points) > 1:
        draw.line(points, fill=COMMENT_COLOR, width=4, joint="curve")
    for px, py in points:
        _marker(draw, px, py)

    for cx, d in zip(centers, days, strict=True):
        draw.line((cx, y1, cx, y1 + 6), fill=INK, width=1)
        draw.text((cx, y1 + 10), str(d.day.day), fill=INK, font=day_font, anchor="mt")
    # Under the day numbers, each month's span: a divider where a month starts, and its
    # YYYY-MM centred under the span when the span is wide enough to hold it.
    month_y = y1 + 60
    starts = [i for i, d in enumerate(days) if i == 0 or d.day.day == 1]
    for start, end in zip(starts, [*starts[1:], len(days)], strict=True):
        edge, span_end = x0 + slot * start, x0 + slot * end
        if start:
            draw.line((edge, y1, edge, month_y + 28), fill=MUTED, width=2)
        text = f"{days[start].day:%Y-%m}"
        if draw.textlength(text, font=tick_font) + 8 <= span_end - edge:
            draw.text(
                ((edge + span_end) / 2, month_y), text, fill=MUTED, font=tick_font, anchor="mt"
            )

    _channel_panel(draw, stats, labels, MAIN_HEIGHT + 10, width)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def _channel_panel(
    draw: ImageDraw.ImageDraw, stats: Stats, labels: Labels | None, top: int, width: int
) -> None:
    """Horizontal bars: each outcome of each channel in use, over the last 30 days."""
    lookup = (labels.__getitem__ if isinstance(labels, Mapping) else labels) if labels else None

    def label(key: str) -> str:
        return _drawable(lookup(key) if lookup else key.split("_", 1)[-1])

    left, right = 96, 40
    draw.line((left, top, width - right, top), fill=GRID, width=2)
    heading_font, text_font = _font(28), _font(22)
    draw.text((left, top + 16), label("channels"), fill=INK, font=heading_font)
    used = _used_channels(stats.channels)
    rows = [row for row in stats.channels_30_days if row[0] in used]
    y = top + 64
    if not rows:
        draw.text((left, y), label("none"), fill=MUTED, font=text_font)
        return
    names = [f"{label(f'channel_{c}')}: {label(f'outcome_{o}')}" for c, o, _ in rows]
    label_width = int(max(draw.textlength(name, font=text_font) for name in names)) + 24
    bar_left = left + min(label_width, (width - left - right) // 2)
    bar_room = width - right - bar_left - 90
    peak = max([count for _, _, count in rows] + [1])
    row_height = min(30, (CHART_SIZE[1] - y - 16) // len(rows))
    for name, (_, _, count) in zip(names, rows, strict=True):
        middle = y + row_height / 2
        draw.text((bar_left - 16, middle), name, fill=INK, font=text_font, anchor="rm")
        length = bar_room * count / peak
        if count:
            draw.rectangle(
                (
                    bar_left,
                    middle - row_height * 0.35,
                    bar_left + length,
                    middle + row_height * 0.35,
                ),
                fill=CHANNEL_COLOR,
            )
        draw.text(
            (bar_left + length + 10, middle), _n(count), fill=INK, font=text_font, anchor="lm"
        )
        y += row_height


def _marker(draw: ImageDraw.ImageDraw, x: float, y: float) -> None:
    """A diamond with a white edge: readable on top of a bar and in grey print."""
    r = 7
    draw.polygon(
        [(x, y - r), (x + r, y), (x, y + r), (x - r, y)], fill=COMMENT_COLOR, outline="white"
    )
