"""Texts the bot sends, rendered from content as Telegram HTML.

Plain functions of content and values: no Telegram objects. Every value that comes from content
or from a user is HTML-escaped here; UI strings from ``ui.yaml`` are already Telegram HTML.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from urllib.parse import quote

from bot.agreements import Agreement, AgreementList
from bot.callbacks import MAX_CALLBACK_BYTES, Callback
from bot.content.loader import Content, Problem
from bot.content.models import LANGS, MONTHS, Answer, Fact
from bot.telegram.telegram_html import check_html, telegram_length, visible_text

MAX_MESSAGE = 4096
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


def _share_url(link: str, text: str) -> str:
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
    return (
        telegram_length(visible_text(html)) if check_html(html) is None else telegram_length(html)
    )


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
            length = visible_length(card)
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
            html_problem = check_html(card)
            if html_problem is not None:
                problems.append(
                    Problem("error", "facts.yaml", None, key, f"{lang}: {html_problem}")
                )
    for i, answer in enumerate(content.answers.values()):
        for lang in LANGS:
            text = journey_answer(answer, lang)
            length = visible_length(text)
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
            html_problem = check_html(text)
            if html_problem is not None:
                problems.append(
                    Problem(
                        "error", "answers.yaml", None, f"answers[{i}]", f"{lang}: {html_problem}"
                    )
                )
    for action, ids in (("fact", content.facts), ("topic", content.topics)):
        for item_id in ids:
            data = Callback(action, item_id).data()
            if len(data.encode()) > MAX_CALLBACK_BYTES:  # ids are validated; this guards changes
                problems.append(Problem("error", "facts.yaml", None, item_id, "id too long"))
    return problems


# -- where I live ------------------------------------------------------------------------------

LOCAL_MAX_LINES = 12  # agreements listed per section of one answer; the rest are counted
UNPLACED_NAMES = 12  # agencies without a county in ICE's list, named in one answer


def local_answer(
    content: Content, agreements: AgreementList, state_code: str, county: str, lang: str
) -> str:
    """Where I live: the county's agreements, statewide ones, the state's total, the source."""
    t = content.text
    state = content.states.get(state_code)
    state_name = state.name.get(lang) if state else state_code
    date = format_date(agreements.as_of, lang)
    lines = [t("local.header", lang, county=escape(county), state=escape(state_name))]
    local = agreements.in_county(state_code, county)
    if local:
        lines.append(t("local.found", lang, count=str(len(local)), date=date))
        lines += [_agreement_line(content, a, lang) for a in local[:LOCAL_MAX_LINES]]
        if len(local) > LOCAL_MAX_LINES:
            lines.append(t("local.more", lang, n=str(len(local) - LOCAL_MAX_LINES)))
    else:
        lines.append(t("local.none", lang, date=date))
    unplaced = list(dict.fromkeys(a.agency for a in agreements.unplaced(state_code)))
    if unplaced:
        names = ", ".join(escape(name) for name in unplaced[:UNPLACED_NAMES])
        if len(unplaced) > UNPLACED_NAMES:
            names += " " + t("local.more", lang, n=str(len(unplaced) - UNPLACED_NAMES))
        lines.append("")
        lines.append(t("local.unplaced", lang, state=escape(state_name), agencies=names))
    statewide = agreements.statewide(state_code)
    if statewide:
        lines.append("")
        lines.append(t("local.statewide", lang, state=escape(state_name)))
        lines += [_agreement_line(content, a, lang) for a in statewide[:LOCAL_MAX_LINES]]
        if len(statewide) > LOCAL_MAX_LINES:
            lines.append(t("local.more", lang, n=str(len(statewide) - LOCAL_MAX_LINES)))
    shown = [*local[:LOCAL_MAX_LINES], *statewide[:LOCAL_MAX_LINES]]
    models = [
        m for m in ("task_force", "warrant_service", "jail") if any(a.model == m for a in shown)
    ]
    if models:
        lines.append("")
        lines += [t(f"local.model_{m}", lang) for m in models]
    lines.append("")
    lines.append(
        t(
            "local.state_total",
            lang,
            state=escape(state_name),
            total=f"{agreements.state_total(state_code):,}",
            date=date,
        )
    )
    lines.append(t("local.source", lang, date=date))
    return "\n".join(lines)


def _agreement_line(content: Content, agreement: Agreement, lang: str) -> str:
    signed = format_date(agreement.signed, lang) if agreement.signed else "—"
    return content.text(
        "local.agreement",
        lang,
        agency=escape(agreement.agency),
        model=content.text(f"local.model_name_{agreement.model}", lang),
        signed=signed,
    )


def local_letter_sentence(
    content: Content, agreements: AgreementList, state: str, county: str, lang: str
) -> str | None:
    """The sentence the comment guide offers for the supporter's county (None: no agreement)."""
    local = agreements.in_county(state, county)
    if not local:
        return None
    first = local[0]
    values = {
        "county": county,
        "agency": first.agency,
        "model": content.text(f"local.model_name_{first.model}", lang),
        "date": format_date(first.signed, lang) if first.signed else "",
        "count": str(len(local)),
    }
    key = "letter.local_one" if len(local) == 1 else "letter.local_many"
    if len(local) == 1 and not first.signed:
        key = "letter.local_one_undated"
    return content.text(key, lang, **values)
