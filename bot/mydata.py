"""/mydata: everything the bot stores about one person, in their language, most personal first.

:meth:`bot.storage.Storage.user_data` gives every row of every table with a ``user_id`` column;
this module turns them into Telegram HTML: a section per table in a fixed order (profile,
pledge, subscription, comment draft, reminder, then the rest), every column with a label from
content, long lists summarised ("Updates sent to you: 40, the last on …"), and the whole split
into as many messages as it needs — nothing is cut. A table or column added later without
labels is still shown (under its schema name), never hidden. Nothing here knows about Telegram.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

from bot.content import Content
from bot.render import format_date, pack_messages

Row = Mapping[str, object]

# Sections, most personal first. Tables not listed here come after these, in name order.
TABLE_ORDER = (
    "users",
    "pledges",
    "subscriptions",
    "drafts",
    "campaign_letters",
    "reminders",
    "conversations",
)
# Tables shown as one summary line rather than row by row.
SUMMARISED = ("deliveries",)

# The label of each column: ``mydata.field.<name>`` in content. Columns shown together with
# another one (the county's state) map to None.
FIELDS: dict[str, dict[str, str | None]] = {
    "users": {
        "user_id": "user_id",
        "language": "language",
        "language_set": "language_set",
        "source": "source",
        "first_seen": "first_seen",
        "last_seen": "last_seen",
        "reachable": "reachable",
        "last_answer_id": "last_answer_id",
    },
    "pledges": {
        "user_id": None,
        "number": "number",
        "pledged_at": "pledged_at",
        "first_name": "first_name",
        "state": "state",
    },
    "subscriptions": {"user_id": None, "consent_at": "consent_at"},
    "conversations": {"user_id": None, "step": "waiting", "updated_at": "since"},
    "drafts": {
        "user_id": None,
        "step": "guide_step",
        "language": "language",
        "role": "role",
        "reasons": "reasons",
        "story": "story",
        "sign_name": "sign_name",
        "sign_place": "sign_place",
        "local_county": "local_county",
        "local_state": None,
        "seed": "seed",
        "editing": "editing",
        "reached": "reached",
        "started_at": "started_at",
        "updated_at": "updated_at",
        "completed_at": "completed_at",
        "outcome": "outcome",
    },
    "reminders": {"user_id": None, "due_at": "due_at"},
    "campaign_letters": {
        "id": "letter_ref",
        "user_id": None,
        "status": "letter_status",
        "batch_id": None,  # shown with the status: printed for delivery
        "language": "language",
        "consent_at": "letter_consent",
        "notify": "notify",
        "notified_at": "notified_at",
        "sign_name": "sign_name",
        "sign_place": "sign_place",
        "subject": "subject",
        "body": "letter_text",
    },
}
TIME_COLUMNS = frozenset(
    {
        "first_seen",
        "last_seen",
        "pledged_at",
        "consent_at",
        "updated_at",
        "started_at",
        "completed_at",
        "due_at",
        "notified_at",
    }
)
YES_NO_COLUMNS = frozenset({"language_set", "reachable", "editing", "notify"})
# What an awaited typed answer is, by the start of the stored step.
WAITING = (
    ("pledge_name", "name"),
    ("pledge_state", "state"),
    ("local_where", "where"),
    ("local_county", "county"),
    ("comment_story", "story"),
    ("comment_name", "sign_name"),
    ("comment_place", "sign_place"),
    ("org_broadcast", "broadcast"),
)
# Steps of the comment guide, funnel steps and outcomes with a label (``mydata.step.<name>``).
STEPS = (
    "intro",
    "role",
    "reasons",
    "story",
    "sign_name",
    "sign_place",
    "preview",
    "safety",
    "send",
    "quick_reason",
    "deliver",
    "started",
    "previewed",
    "send_shown",
    "sent",
    "couldnt",
    "later",
    # what the supporter did with each channel (bot/deliveries.py, counted once per draft)
    "email_sent",
    "email_couldnt",
    "postal_pdf",
    "postal_sent",
    "postal_couldnt",
    "webform_sent",
    "webform_couldnt",
)


@dataclass(frozen=True, slots=True)
class Summary:
    """How many rows of a kind, and when the last one was written (unix seconds)."""

    count: int
    last: int | None


def render_my_data(
    content: Content,
    data: Mapping[str, list[dict[str, object]]],
    lang: str,
    *,
    authored: Summary | None = None,
    delivery_days: int = 90,
) -> list[str]:
    """The messages that show ``data`` (table → rows, from ``Storage.user_data``).

    ``authored`` counts the broadcasts an organizer created; ``delivery_days`` is how long the
    list of updates sent to someone is kept.
    """
    if not data and not authored:
        return [content.text("mydata.empty", lang)]
    t = content.text
    value = _Values(content, lang)
    blocks = [t("mydata.header", lang)]
    known = [table for table in TABLE_ORDER if table in data]
    others = sorted(table for table in data if table not in TABLE_ORDER + SUMMARISED)
    for table in known + others:
        for row in data[table]:
            blocks.append(_section(content, table, row, value, lang))
    if "deliveries" in data:
        rows = data["deliveries"]
        last = max((_int(row.get("updated_at")) or 0 for row in rows), default=0)
        blocks.append(
            f"<b>{t('mydata.table.deliveries', lang)}</b>\n"
            + t(
                "mydata.deliveries",
                lang,
                count=f"{len(rows):,}",
                date=value.time(last),
                days=str(delivery_days),
            )
        )
    if authored and authored.count:
        blocks.append(
            f"<b>{t('mydata.table.broadcasts', lang)}</b>\n"
            + t(
                "mydata.broadcasts",
                lang,
                count=f"{authored.count:,}",
                date=value.time(authored.last),
            )
        )
    return pack_messages(blocks)


def _section(content: Content, table: str, row: Row, value: _Values, lang: str) -> str:
    key = f"mydata.table.{table}"
    if key in content.ui:
        title = content.text(key, lang)
    else:
        title = content.text("mydata.table.other", lang, table=escape(table))
    labels = FIELDS.get(table, {})
    lines = [f"<b>{title}</b>"]
    for column, raw in row.items():
        label_key = labels.get(column, column)
        if label_key is None:
            continue
        field = f"mydata.field.{label_key}"
        label = content.text(field, lang) if field in content.ui else escape(column)
        lines.append(f"• {label}: {value.show(table, column, raw, row)}")
    return "\n".join(lines)


class _Values:
    """Stored values as a person reads them: dates, yes/no, names instead of codes."""

    def __init__(self, content: Content, lang: str) -> None:
        self.content, self.lang = content, lang

    def text(self, key: str) -> str:
        return self.content.text(key, self.lang)

    def time(self, timestamp: int | None) -> str:
        if timestamp is None:
            return "—"
        moment = datetime.fromtimestamp(timestamp, UTC)
        return f"{format_date(moment.date().isoformat(), self.lang)}, {moment:%H:%M} UTC"

    def show(self, table: str, column: str, raw: object, row: Row) -> str:
        """The value of ``column`` in ``row``, as HTML."""
        special: dict[str, Callable[[object], str]] = {
            "language": self._language,
            "state": self._state,
            "role": self._role,
            "reasons": self._reasons,
            "outcome": self._step,
            "reached": self._reached,
        }
        if raw is None or raw == "":
            return "—"
        if column in TIME_COLUMNS:
            return self.time(_int(raw))
        if column in YES_NO_COLUMNS:
            return self.text("mydata.yes" if raw else "mydata.no")
        if table == "conversations" and column == "step":
            return self._waiting(str(raw))
        if table == "drafts" and column == "step":
            return self._step(raw)
        if table == "campaign_letters" and column == "status":
            exported = raw == "queued" and row.get("batch_id") is not None
            name = "exported" if exported else str(raw)
            key = f"mydata.letter.{name}"
            return self.text(key) if key in self.content.ui else escape(name)
        if table == "campaign_letters" and column == "id":
            return f"#{raw}"
        if table == "drafts" and column == "local_county":
            state = self._state(row.get("local_state"))
            return f"{escape(str(raw))}, {state}"
        if column in special:
            return special[column](raw)
        if column == "number" and isinstance(raw, int):
            return f"#{raw:,}"
        return escape(str(raw))

    def _language(self, raw: object) -> str:
        return {"en": "English", "es": "Español"}.get(str(raw), escape(str(raw)))

    def _state(self, raw: object) -> str:
        if raw is None:
            return "—"
        state = self.content.states.get(str(raw))
        return escape(state.name.get(self.lang)) if state else escape(str(raw))

    def _role(self, raw: object) -> str:
        role = self.content.letter.roles.get(str(raw))
        return escape(role.label.get(self.lang)) if role else escape(str(raw))

    def _reasons(self, raw: object) -> str:
        points = self.content.letter.talking_points
        names = [
            points[r].label.get(self.lang) if r in points else r
            for r in filter(None, str(raw).split(","))
        ]
        return escape(", ".join(names)) if names else "—"

    def _step(self, raw: object) -> str:
        name = str(raw)
        return self.text(f"mydata.step.{name}") if name in STEPS else escape(name)

    def _reached(self, raw: object) -> str:
        steps = [self._step(s) for s in filter(None, str(raw).split(","))]
        return ", ".join(steps) if steps else "—"

    def _waiting(self, step: str) -> str:
        kind = next((kind for prefix, kind in WAITING if step.startswith(prefix)), "answer")
        return self.text(f"mydata.waiting.{kind}")


def _int(raw: object) -> int | None:
    return raw if isinstance(raw, int) else None
