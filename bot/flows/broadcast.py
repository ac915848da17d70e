"""Broadcasts, as an organizer prepares them: the steps, the buttons, reading a typed date,
and what each screen and the report say.

Steps: ``/broadcast`` → the message, typed or a photo (:data:`STEP_MESSAGE`) → the audience
(buttons; a state from a grid, or a source code typed: :func:`source_step`) → the preview, the
message as recipients get it with the exact count → *Send now*, or *Schedule…* and a typed date
(:func:`schedule_step`) → progress with *Cancel broadcast* → the report.

Every button names the draft it belongs to (``bcast1:audience:12-lang-es``,
``bcast1:discard:12``), and the preview's *Send now* and *Schedule* also carry the check of what
that preview showed (``bcast1:send:12-<check>``): a press on a button of another draft, of a
finished one, or of a preview since changed does nothing but say so. The buttons are for
organizers only: anyone else's press is refused like forged data.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import escape
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.callbacks import Feature
from bot.content import Content
from bot.outbox import CHECK_LENGTH, Report, parse_audience
from bot.screens import Button, Row, Say, Screen, say, text_of

BCAST = Feature("bcast", 1, organizers_only=True)
# Every argument starts with the draft's id: "12-…".
AUDIENCE = BCAST.action("audience", argument=True)  # ID-all | ID-lang-en | … | ID-menu
STATE = BCAST.action("state", argument=True)  # the state of a state audience: ID-tx
SEND = BCAST.action("send", argument=True)  # send the previewed draft now: ID-check
SCHEDULE = BCAST.action("schedule", argument=True)  # schedule it, the date typed: ID-check
DISCARD = BCAST.action("discard", argument=True)  # discard the draft: ID
STOP = BCAST.action("stop", argument=True)  # cancel a running or scheduled broadcast: ID

# Conversation steps: which typed answer a broadcast waits for.
STEP_MESSAGE = "org_broadcast_message"
STEP_SOURCE = "org_broadcast_source:"  # + the draft's id
STEP_SCHEDULE = "org_broadcast_schedule:"  # + the draft's id, "-", and its preview's check

AUDIENCE_CHOICES = {  # button argument -> audience, or None for a follow-up screen
    "all": "all",
    "lang-en": "lang:en",
    "lang-es": "lang:es",
    "pns": "pledged_not_sent",
    "state": None,
    "source": None,
    "menu": None,
}
SOURCE_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
CHECK_RE = re.compile(rf"^[0-9a-f]{{{CHECK_LENGTH}}}$")
SCHEDULE_RE = re.compile(
    r"^\s*(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2})(?:\s+([A-Za-z_]+(?:/[A-Za-z0-9_+-]+)*))?\s*$"
)
STATES_PER_ROW = 6


# -- steps and button arguments --------------------------------------------------------------------


def is_organizer_step(step: str | None) -> bool:
    """Whether ``step`` is one where a broadcast waits for the organizer's message."""
    return step is not None and (
        step == STEP_MESSAGE or step.startswith((STEP_SOURCE, STEP_SCHEDULE))
    )


def source_step(broadcast_id: int) -> str:
    """The step while the source code of draft ``broadcast_id``'s audience is typed."""
    return f"{STEP_SOURCE}{broadcast_id}"


def schedule_step(broadcast_id: int, check: str) -> str:
    """The step while the date of the draft ``broadcast_id`` previewed as ``check`` is typed."""
    return f"{STEP_SCHEDULE}{broadcast_id}-{check}"


def draft_ref(arg: str) -> tuple[int, str] | None:
    """``"12-lang-es"`` → ``(12, "lang-es")``: the draft a button belongs to, and the rest."""
    head, sep, rest = arg.partition("-")
    if not (head.isascii() and head.isdigit()) or not sep:
        return None
    return int(head), rest


def broadcast_id(arg: str) -> int | None:
    """``"12"`` → 12: the broadcast a *Discard* or *Cancel* button names."""
    return int(arg) if arg.isascii() and arg.isdigit() else None


def parse_schedule(text: str, now: datetime) -> datetime | str:
    """'2026-12-01 18:00 America/Chicago' → an aware datetime, or the reason it is not one."""
    match = SCHEDULE_RE.match(text)
    if match is None:
        return "format"
    day, clock, zone = match.groups()
    try:
        tz = ZoneInfo(zone) if zone else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return "zone"
    try:
        when = datetime.fromisoformat(f"{day}T{int(clock[:-3]):02d}{clock[-3:]}").replace(tzinfo=tz)
    except ValueError:
        return "format"
    if when <= now:
        return "past"
    return when


# -- what the screens say --------------------------------------------------------------------------


def audience_label(content: Content, audience: str, lang: str) -> str:
    """The audience in words, for the preview and the report."""
    t = content.text
    parsed = parse_audience(audience)
    if parsed is None:
        return escape(audience)
    if parsed.kind == "state":
        state = content.states.get(parsed.value or "")
        name = state.name.get(lang) if state else (parsed.value or "")
        return t("broadcast.audience_state", lang, state=escape(name))
    if parsed.kind == "source":
        return t("broadcast.audience_source", lang, source=escape(parsed.value or ""))
    key = {"all": "all", "lang": f"lang_{parsed.value}", "pledged_not_sent": "pns"}[parsed.kind]
    return t(f"broadcast.audience_{key}", lang)


def notice(lang: str, key: str, **values: str) -> Screen:
    """A screen that only says ``broadcast.<key>`` (nothing to press)."""
    return Screen(lang, (say(f"broadcast.{key}", **values),))


def audience_menu(lang: str, draft_id: int) -> Screen:
    """Who should get it."""

    def choice(label: str, arg: str) -> Button:
        return Button(say(label), AUDIENCE.press(f"{draft_id}-{arg}"))

    return Screen(
        lang,
        (say("broadcast.choose_audience"),),
        (
            (choice("broadcast.audience_all", "all"),),
            (
                choice("broadcast.audience_lang_en", "lang-en"),
                choice("broadcast.audience_lang_es", "lang-es"),
            ),
            (choice("broadcast.audience_pns", "pns"),),
            (choice("button.by_state", "state"), choice("button.by_source", "source")),
            (_discard(draft_id),),
        ),
    )


def state_menu(content: Content, lang: str, draft_id: int) -> Screen:
    """The state of a state audience: a grid of codes."""
    codes = list(content.states)
    rows = tuple(
        tuple(
            Button(code, STATE.press(f"{draft_id}-{code.lower()}"))
            for code in codes[i : i + STATES_PER_ROW]
        )
        for i in range(0, len(codes), STATES_PER_ROW)
    )
    return Screen(lang, (say("broadcast.ask_state"),), rows)


def preview(
    content: Content, lang: str, draft_id: int, audience: str, count: int, check: str | None
) -> Screen:
    """Below the message as recipients get it: the audience and the exact count; *Send now*
    and *Schedule* carry this preview's ``check`` (none when nobody would get it)."""
    text = content.text(
        "broadcast.preview",
        lang,
        audience=audience_label(content, audience, lang),
        count=f"{count:,}",
    )
    rows: list[Row] = []
    if count and check is not None:
        shown = f"{draft_id}-{check}"
        rows.append((Button(say("button.send_now"), SEND.press(shown)),))
        rows.append((Button(say("button.schedule"), SCHEDULE.press(shown)),))
    else:
        text += "\n" + content.text("broadcast.nobody", lang)
    rows.append((Button(say("button.change_audience"), AUDIENCE.press(f"{draft_id}-menu")),))
    rows.append((_discard(draft_id),))
    return Screen(lang, (text,), tuple(rows), fresh=True)


def started(content: Content, lang: str, draft_id: int, audience: str) -> Screen:
    """Sending has started (the progress message, edited as it goes)."""
    text = say("broadcast.started", audience=audience_label(content, audience, lang))
    return Screen(lang, (text,), (_stop(draft_id),))


def scheduled(lang: str, draft_id: int, when: datetime) -> Screen:
    """The broadcast will start at ``when``; it can still be cancelled."""
    shown = when.strftime("%Y-%m-%d %H:%M ") + (when.tzname() or "UTC")
    return Screen(lang, (say("broadcast.scheduled", when=escape(shown)),), (_stop(draft_id),))


def report_text(report: Report, final: bool) -> Say:
    """Progress while sending, or the final report: delivered, blocked, failed, unknown."""
    return say(
        "broadcast.report" if final else "broadcast.progress",
        total=f"{report.total:,}",
        delivered=f"{report.delivered:,}",
        blocked=f"{report.blocked:,}",
        failed=f"{report.failed:,}",
        unknown=f"{report.unknown:,}",
        skipped=f"{report.skipped:,}",
        pending=f"{report.pending:,}",
    )


def progress(lang: str, draft_id: int, report: Report, final: bool) -> Screen:
    """The progress message (with *Cancel broadcast*), or the final report."""
    rows = () if final else (_stop(draft_id),)
    return Screen(lang, (report_text(report, final),), rows, fresh=final)


def render_report(content: Content, report: Report, lang: str, final: bool) -> str:
    """Progress while sending, or the final report, as text."""
    return text_of(content, lang, report_text(report, final))


def _discard(draft_id: int) -> Button:
    return Button(say("button.discard_broadcast"), DISCARD.press(str(draft_id)))


def _stop(draft_id: int) -> Row:
    return (Button(say("button.stop_broadcast"), STOP.press(str(draft_id))),)
