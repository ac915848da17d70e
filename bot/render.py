"""Texts the bot sends, rendered from content as Telegram HTML.

Plain functions of content and values: no Telegram objects. Every value that comes from content
or from a user is HTML-escaped here; UI strings from ``ui.yaml`` are already Telegram HTML.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from urllib.parse import quote

from bot.agreements import MODELS, Agreement, AgreementList, by_agency
from bot.callbacks import is_argument
from bot.content.loader import Content, Problem
from bot.content.models import LANGS, MONTHS, Answer, Fact
from bot.telegram_html import MAX_MESSAGE as MAX_MESSAGE  # renderers' callers use it
from bot.telegram_html import (
    HtmlParseError,
    check_html,
    html_problem,
    telegram_length,
    visible_text,
)

SHARE_URL_MAX = 1800  # t.me/share links above this are cut by some clients


def format_date(iso: str, lang: str) -> str:
    """'2021-01-30' → 'January 30, 2021' / '30 de enero de 2021'; partial dates stay partial."""
    parts = [int(p) for p in iso.split("-")]
    months = MONTHS["es" if lang == "es" else "en"]
    if len(parts) == 1:
        return str(parts[0])
    month = months[parts[1] - 1]
    if len(parts) == 2:
        return f"{month} de {parts[0]}" if lang == "es" else f"{month} {parts[0]}"
    if lang == "es":
        return f"{parts[2]} de {month} de {parts[0]}"
    return f"{month} {parts[2]}, {parts[0]}"


def fact_card(content: Content, fact: Fact, lang: str, position: bool = True) -> str:
    """A fact card: title, what, why it matters, numbered sources, position, its two dates.

    ``position=False`` leaves out "Fact n of m", for cards shared outside the bot.
    """
    t = content.text
    lines = [
        f"<b>{escape(fact.title.get(lang))}</b>",
        "",
        escape(fact.text.get(lang)),
        "",
        f"<b>{t('fact.why', lang)}</b> {escape(fact.why.get(lang))}",
        "",
        f"<b>{t('fact.sources', lang)}</b>",
    ]
    for n, source in enumerate(fact.sources, start=1):
        reference = f" ({escape(source.reference)})" if source.reference else ""
        lines.append(
            f'{n}. <a href="{escape(source.url)}">{escape(source.title)}</a>'
            f" — {escape(source.publisher)}, {format_date(source.date, lang)}{reference}"
        )
    lines.append("")
    dates = fact_dates(content, fact, lang)
    if position:
        ids = content.topics[fact.topic].fact_ids
        where = t("fact.position", lang, n=str(ids.index(fact.id) + 1), total=str(len(ids)))
        dates = f"{where} · {dates}"
    lines.append(f"<i>{dates}</i>")
    return "\n".join(lines)


def fact_dates(content: Content, fact: Fact, lang: str) -> str:
    """ "Figures of June 9, 2026 · checked November 30, 2026", or "Checked …" alone."""
    checked = format_date(fact.checked, lang)
    if fact.data_as_of is None:
        return content.text("fact.checked", lang, checked=checked)
    return content.text(
        "fact.dates", lang, data_date=format_date(fact.data_as_of, lang), checked=checked
    )


def next_fact(content: Content, fact: Fact) -> Fact:
    """The fact after ``fact`` in its topic, wrapping around."""
    ids = content.topics[fact.topic].fact_ids
    return content.facts[ids[(ids.index(fact.id) + 1) % len(ids)]]


def search_answer(content: Content, best: Fact, related: list[Fact], lang: str) -> str:
    """The answer to a free-text question: the best card; related facts follow as buttons."""
    text = f"{content.text('search.answer', lang)}\n\n{fact_card(content, best, lang)}"
    if related:
        text += f"\n\n<b>{content.text('search.related', lang)}</b>"
    return text


def journey_answer(answer: Answer, lang: str) -> str:
    """An answer that opens a journey: its reply and the pages it refers to; the journeys
    follow as buttons."""
    lines = [escape(answer.reply.get(lang))]
    if answer.links:
        lines.append("")
    for link in answer.links:
        lines.append(
            f'• <a href="{escape(link.url)}">{escape(link.title.get(lang))}</a>'
            f" — {escape(link.publisher)}"
        )
    return "\n".join(lines)


def topic_page(content: Content, topic_id: str, lang: str) -> str:
    topic = content.topics[topic_id]
    return content.text(
        "topic.header",
        lang,
        title=escape(topic.title.get(lang)),
        description=escape(topic.description.get(lang)),
    )


def share_fact_url(content: Content, fact: Fact, lang: str, bot_link: str) -> str:
    """A t.me/share link whose text carries the fact, its first source and the bot's link."""
    source = fact.sources[0]
    text = content.text(
        "share.fact",
        lang,
        title=fact.title.get(lang),
        text=fact.text.get(lang),
        source=f"{source.publisher}: {source.url}",
        link=bot_link,
    )
    return _share_url(bot_link, text)


def share_bot_url(content: Content, lang: str, bot_link: str) -> str:
    text = content.text("share.bot", lang, campaign=content.campaign.name.get(lang), link=bot_link)
    return _share_url(bot_link, text)


@functools.lru_cache(maxsize=1024)
def _share_url(link: str, text: str) -> str:
    """The t.me/share link for ``text`` (percent-encoded, cut to fit): worked out once per
    text, as the same facts are shared over and over."""
    base = f"https://t.me/share/url?url={quote(link, safe='')}&text="
    encoded = quote(text, safe="")
    if len(base) + len(encoded) > SHARE_URL_MAX:
        # Cut the text, not the link; never cut inside a percent-escape.
        budget = SHARE_URL_MAX - len(base)
        encoded = encoded[:budget]
        cut = encoded.rfind("%", max(0, len(encoded) - 3))
        if cut != -1 and len(encoded) - cut < 3:
            encoded = encoded[:cut]
    return base + encoded


def visible_length(html: str) -> int:
    """What Telegram counts against its limit: UTF-16 units of the text after parsing."""
    return measure(html)[0]


def measure(html: str) -> tuple[int, str | None]:
    """``html``'s :func:`visible_length` and its :func:`check_html` problem, from one parse:
    the render check at start-up measures every card in both languages."""
    try:
        return telegram_length(visible_text(html)), None
    except HtmlParseError as exc:
        return telegram_length(html), html_problem(exc)


def fits_message(html: str) -> bool:
    """Whether ``html`` is within Telegram's limit once parsed. Parsing only removes tags and
    shortens entities, so text that fits as written needs no parsing (nearly every reply)."""
    return telegram_length(html) <= MAX_MESSAGE or visible_length(html) <= MAX_MESSAGE


def split_letter(header: str, body: str, wrap: Callable[[str], str]) -> list[str]:
    """``header`` and ``wrap(escaped body)`` as one message, or as several that each fit.

    A long letter (the sender's own words can be 1,000 emoji, two UTF-16 units each) is split
    between paragraphs; no paragraph is ever cut unless it alone exceeds a message.
    """
    if header:
        header += "\n\n"
    whole = header + wrap(escape(body))
    if fits_message(whole):
        return [whole]
    budget = MAX_MESSAGE - 200  # room for the wrapper and the header
    messages: list[str] = []
    chunk = ""
    for paragraph in body.split("\n\n"):
        while telegram_length(paragraph) > budget:  # only a pathological single paragraph
            cut = budget // 2
            messages.append(wrap(escape(paragraph[:cut])))
            paragraph = paragraph[cut:]
        candidate = f"{chunk}\n\n{paragraph}" if chunk else paragraph
        if chunk and telegram_length(candidate) > budget:
            messages.append(wrap(escape(chunk)))
            candidate = paragraph
        chunk = candidate
    if chunk:
        messages.append(wrap(escape(chunk)))
    if fits_message(header + messages[0]):
        messages[0] = header + messages[0]
    elif header:
        messages.insert(0, header.rstrip())
    return messages


def pack_messages(blocks: list[str]) -> list[str]:
    """Blocks of Telegram HTML, joined by blank lines into as few messages as fit, in order.

    A block too long for one message is split between its lines (each line must be complete
    HTML); nothing is cut, as long as no single line exceeds a message.
    """
    messages: list[str] = []
    current = ""
    for block in blocks:
        pieces = [block] if fits_message(block) else block.split("\n")
        for index, piece in enumerate(pieces):
            piece = fit_message(piece)  # only a line longer than a message: none is, today
            separator = "\n" if index else "\n\n"
            candidate = f"{current}{separator}{piece}" if current else piece
            if current and not fits_message(candidate):
                messages.append(current)
                candidate = piece
            current = candidate
    if current:
        messages.append(current)
    return messages


def fit_message(text: str) -> str:
    """Guarantee a rendered text is within Telegram's limit (content checks make this rare)."""
    if fits_message(text):
        return text
    # Fall back to the first paragraphs that fit; never cut inside a tag.
    out = ""
    for paragraph in text.split("\n\n"):
        candidate = f"{out}\n\n{paragraph}" if out else paragraph
        if visible_length(candidate) + 2 > MAX_MESSAGE or check_html(candidate) is not None:
            break
        out = candidate
    return (out or escape(text[:1000])) + "\n…"


def check_rendered(content: Content) -> list[Problem]:
    """Render every fact card, answer and share link in every language and check Telegram's
    limits."""
    problems: list[Problem] = []
    for i, fact in enumerate(content.facts.values()):
        for lang in LANGS:
            key = f"facts[{i}]"
            card = search_answer(content, fact, [fact, fact, fact], lang)
            length, html_problem = measure(card)
            if length > MAX_MESSAGE:
                problems.append(
                    Problem(
                        "error",
                        "facts.yaml",
                        None,
                        key,
                        f"{lang}: the card with related facts is {length} characters, "
                        f"over Telegram's {MAX_MESSAGE}",
                    )
                )
            if html_problem is not None:
                problems.append(
                    Problem("error", "facts.yaml", None, key, f"{lang}: {html_problem}")
                )
    for i, answer in enumerate(content.answers.values()):
        for lang in LANGS:
            text = journey_answer(answer, lang)
            length, html_problem = measure(text)
            if length > MAX_MESSAGE:
                problems.append(
                    Problem(
                        "error",
                        "answers.yaml",
                        None,
                        f"answers[{i}]",
                        f"{lang}: the answer is {length} characters, over Telegram's {MAX_MESSAGE}",
                    )
                )
            if html_problem is not None:
                problems.append(
                    Problem(
                        "error", "answers.yaml", None, f"answers[{i}]", f"{lang}: {html_problem}"
                    )
                )
    for ids in (content.facts, content.topics):
        for item_id in ids:
            # Buttons carry these ids: any valid argument fits in a button's 64 bytes. The
            # loader validates ids already; this guards changes to either rule.
            if not is_argument(item_id):
                problems.append(
                    Problem("error", "facts.yaml", None, item_id, "id not fit for buttons")
                )
    return problems


# -- where I live ------------------------------------------------------------------------------

LOCAL_MAX_LINES = 12  # the county's agencies named in one answer; its full list has the rest
STATEWIDE_LINES = 6  # state agencies named in one answer; the state's full list has the rest
UNPLACED_NAMES = 12  # agencies in no county, named in one answer
LIST_PAGE_BUDGET = MAX_MESSAGE - 300  # a page of a full list: room for its title and number


@dataclass(frozen=True, slots=True)
class LocalLists:
    """The full lists an answer offers as buttons: the county's agencies, when the answer
    leaves some out (their number, else None), and the state's agreements (their number)."""

    county_agencies: int | None
    state_agreements: int


def local_lists(
    content: Content, agreements: AgreementList, state_code: str, county: str, lang: str
) -> LocalLists:
    """Which full lists the answer for ``county`` offers (see :class:`LocalLists`)."""
    _, shown = _local_answer(content, agreements, state_code, county, lang)
    agencies = len(by_agency(agreements.in_county(state_code, county)))
    return LocalLists(
        county_agencies=agencies if agencies > shown else None,
        state_agreements=agreements.state_total(state_code),
    )


def county_phrase(content: Content, county: str, lang: str) -> str:
    """A county as a sentence names it: "Hillsborough County", "el condado de Hillsborough"."""
    for suffix, key in ((" County", "place.county"), (" Parish", "place.parish"),
                        (" Borough", "place.borough")):  # fmt: skip
        if county.endswith(suffix) and len(county) > len(suffix):
            return content.text(key, lang, name=county.removesuffix(suffix))
    return county


def _joined(content: Content, items: list[str], lang: str) -> str:
    """ "a", "a and b", "a, b and c" (or "y")."""
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {content.text('local.and', lang)} {items[-1]}"


def _state_name(content: Content, state_code: str, lang: str) -> str:
    state = content.states.get(state_code)
    return state.name.get(lang) if state else state_code


def local_answer(
    content: Content, agreements: AgreementList, state_code: str, county: str, lang: str
) -> str:
    """Where I live: the county's agencies (ICE's placing and those placed from their name),
    the state's agencies in no county and statewide ones, the state's totals on the county
    list and on ICE's newer list, and the sources with their dates. What one message cannot
    hold is counted ("… and 12 more") and in the full lists (:func:`local_list_pages`)."""
    return _local_answer(content, agreements, state_code, county, lang)[0]


def _local_answer(
    content: Content, agreements: AgreementList, state_code: str, county: str, lang: str
) -> tuple[str, int]:
    """The answer, and how many of the county's agencies it names: up to
    :data:`LOCAL_MAX_LINES`, fewer if that many would not fit one message."""
    local = by_agency(agreements.in_county(state_code, county))
    shown = min(len(local), LOCAL_MAX_LINES)
    while True:
        text = _answer_text(content, agreements, state_code, county, lang, local, shown)
        # The HTML's own length bounds what Telegram counts; parsing it (milliseconds for a
        # long answer) is needed only above the limit.
        if (
            shown <= 1
            or telegram_length(text) <= MAX_MESSAGE
            or visible_length(text) <= MAX_MESSAGE
        ):
            return text, shown
        shown -= 1


def _answer_text(
    content: Content,
    agreements: AgreementList,
    state_code: str,
    county: str,
    lang: str,
    local: list[list[Agreement]],
    shown: int,
) -> str:
    t = content.text
    state_name = escape(_state_name(content, state_code, lang))
    date = format_date(agreements.as_of, lang)
    lines = [t("local.header", lang, county=escape(county), state=state_name)]
    if local:
        found = "local.found_one" if len(local) == 1 else "local.found"
        lines.append(t(found, lang, count=str(len(local)), date=date))
        lines += [_agency_line(content, group, lang) for group in local[:shown]]
        if len(local) > shown:
            lines.append(t("local.more", lang, n=str(len(local) - shown)))
    else:
        lines.append(t("local.none", lang, date=date))
    unplaced = [group[0].agency for group in by_agency(agreements.unplaced(state_code))]
    if unplaced:
        names = ", ".join(escape(name) for name in unplaced[:UNPLACED_NAMES])
        if len(unplaced) > UNPLACED_NAMES:
            names += " " + t("local.more", lang, n=str(len(unplaced) - UNPLACED_NAMES))
        lines += ["", t("local.unplaced", lang, state=state_name, agencies=names)]
    statewide = by_agency(agreements.statewide(state_code))
    if statewide:
        lines += ["", t("local.statewide", lang, state=state_name)]
        lines += [_agency_line(content, group, lang) for group in statewide[:STATEWIDE_LINES]]
        if len(statewide) > STATEWIDE_LINES:
            lines.append(t("local.more", lang, n=str(len(statewide) - STATEWIDE_LINES)))
    named = [a for group in (*local[:shown], *statewide[:STATEWIDE_LINES]) for a in group]
    models = [m for m in MODELS if any(a.model == m for a in named)]
    if models:
        lines.append("")
        lines += [t(f"local.model_{m}", lang) for m in models]
    lines += ["", *_state_totals(content, agreements, state_code, lang)]
    return "\n".join(lines)


def _state_totals(
    content: Content, agreements: AgreementList, state_code: str, lang: str
) -> list[str]:
    """The state's total on the county list and, when newer, on ICE's later list; then the
    sources of both, dated."""
    t = content.text
    state_name = escape(_state_name(content, state_code, lang))
    date = format_date(agreements.as_of, lang)
    total = agreements.state_total(state_code)
    key = {0: "local.state_total_none", 1: "local.state_total_one"}.get(total, "local.state_total")
    lines = [t(key, lang, state=state_name, total=f"{total:,}", date=date)]
    sources = [t("local.source", lang, date=date)]
    newer = content.totals
    if newer is not None and newer.newer_than(agreements.as_of):
        newer_date = format_date(newer.as_of, lang)
        count = newer.total(state_code)
        if count:
            key = "local.newer_total_one" if count == 1 else "local.newer_total"
        else:
            key = "local.newer_none_ended" if total else "local.newer_none"
        lines.append(
            t(key, lang, state=state_name, total=f"{count:,}", date=newer_date, list_date=date)
        )
        sources.append(
            t(
                "local.newer_source",
                lang,
                date=newer_date,
                url=escape(newer.url),
                source=escape(newer.source),
            )
        )
    return [*lines, *sources]


def _agency_line(
    content: Content, group: list[Agreement], lang: str, *, under_county: bool = False
) -> str:
    """One agency: its agreements (model and date signed), and where it was placed from its
    name when ICE's list gives no county (briefly ``under_county``, that names it)."""
    parts = [
        content.text(
            "local.model_signed" if a.signed else "local.model_undated",
            lang,
            model=content.text(f"local.model_name_{a.model}", lang),
            signed=format_date(a.signed, lang) if a.signed else "",
        )
        for a in group
    ]
    first = group[0]
    line = content.text(
        "local.agency", lang, agency=escape(first.agency), agreements="; ".join(parts)
    )
    inferred = first.inferred
    if inferred is None:
        return line
    if under_county:
        return f"{line} {content.text('local.inferred_short', lang)}"
    counties = [escape(county_phrase(content, c, lang)) for c in inferred.counties]
    if len(counties) == 1:
        note = content.text(
            "local.inferred", lang, county=counties[0], place=escape(inferred.place)
        )
    else:
        note = content.text(
            "local.inferred_several",
            lang,
            counties=_joined(content, counties, lang),
            place=escape(inferred.place),
        )
    return f"{line} {note}"


def local_list_pages(
    content: Content, agreements: AgreementList, state_code: str, county: str | None, lang: str
) -> list[str]:
    """The full list behind an answer, in pages that each fit a message: the county's
    agencies (``county``), or every agreement of the state by county (``county`` None), then
    the agencies in no county and the state agencies. Each page has the list's title, and
    the section it continues; "Page n of m" ends it when there are several."""
    t = content.text
    state_name = escape(_state_name(content, state_code, lang))
    date = format_date(agreements.as_of, lang)
    # (section title or None, lines)
    sections: list[tuple[str | None, list[str]]] = []
    if county is not None:
        title = t("local.list_county", lang, county=escape(county), state=state_name, date=date)
        groups = by_agency(agreements.in_county(state_code, county))
        sections.append((None, [_agency_line(content, g, lang) for g in groups]))
    else:
        total = f"{agreements.state_total(state_code):,}"
        title = t("local.list_state", lang, state=state_name, total=total, date=date)
        for name in agreements.counties(state_code):
            groups = by_agency(agreements.in_county(state_code, name))
            if groups:
                lines = [_agency_line(content, g, lang, under_county=True) for g in groups]
                sections.append((f"<b>{escape(name)}</b>", lines))
        for heading, found in (
            (t("local.list_unplaced", lang), agreements.unplaced(state_code)),
            (t("local.list_statewide", lang), agreements.statewide(state_code)),
        ):
            if found:
                sections.append(
                    (heading, [_agency_line(content, g, lang) for g in by_agency(found)])
                )
    if not any(lines for _, lines in sections):
        return [f"{title}\n\n{_state_totals(content, agreements, state_code, lang)[0]}"]
    pages = _pages(sections, LIST_PAGE_BUDGET - telegram_length(title))
    out = []
    for number, body in enumerate(pages, start=1):
        text = f"{title}\n\n" + "\n".join(body).strip("\n")
        if len(pages) > 1:
            text += "\n\n<i>" + t("local.page", lang, n=str(number), total=str(len(pages))) + "</i>"
        out.append(text)
    return out


def _pages(sections: list[tuple[str | None, list[str]]], budget: int) -> list[list[str]]:
    """The sections' lines (a section: its title, then its lines) cut into pages of at most
    ``budget`` characters; a page that starts inside a section repeats its title. A line is
    measured with its markup, which Telegram does not count: a page may be a little short,
    never too long."""
    pages: list[list[str]] = []
    page: list[str] = []
    used = 0
    for heading, lines in sections:
        for n, line in enumerate(lines):
            if heading is None or n:
                block = [line]
            else:  # a section starts: its title, after a blank line unless the page starts
                block = ["", heading, line] if page else [heading, line]
            size = sum(telegram_length(b) + 1 for b in block)
            if page and used + size > budget:
                pages.append(page)
                block = [line] if heading is None else [heading, line]
                size = sum(telegram_length(b) + 1 for b in block)
                page, used = [], 0
            page += block
            used += size
    pages.append(page)
    return pages


def local_letter_sentence(
    content: Content, agreements: AgreementList, state: str, county: str, lang: str
) -> str | None:
    """The sentence the comment guide offers for the supporter's county (None: no agreement).

    It counts agencies, not agreements (a sheriff with two agreements is one agency), says in
    plain words what their agreements let officers do, and dates ICE's list.
    """
    groups = by_agency(agreements.in_county(state, county))
    if not groups:
        return None
    first = groups[0]
    models = [m for m in MODELS if any(a.model == m for group in groups for a in group)]
    values = {
        "list_date": format_date(agreements.as_of, lang),
        "agency": first[0].agency,
        "county": county_phrase(content, county, lang),
        "count": str(len(groups)),
        "powers": _joined(content, [content.text(f"letter.power_{m}", lang) for m in models], lang),
    }
    if len(groups) > 1:
        key = "letter.local_many"
    else:
        key = "letter.local_one" if len(first) == 1 else "letter.local_one_several"
    return content.text(key, lang, **values)
