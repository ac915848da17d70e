"""Load ``content/*.yaml`` into typed models and validate it.

Each file is read through a :class:`~bot.content.reading.ContentFile`, so every problem names
its file, line and key path; the data files (ICE's agreements, the places, Congress) are read
by their own modules. The last check renders every fact card and measures it against
Telegram's limits: rendering lives in :mod:`bot.render`, which builds on this module, so the
check is handed in by the caller (``render_check``; :func:`bot.render.check_rendered`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.agreements import AgreementList
from bot.agreements.totals import StateTotals
from bot.congress.files import CongressFiles
from bot.content.models import (
    ANSWER_JOURNEYS,
    CHANNEL_NAMES,
    LANGS,
    Answer,
    Campaign,
    CampaignDelivery,
    Channels,
    Citation,
    Fact,
    LetterContent,
    Link,
    Localized,
    LocalTarget,
    Role,
    TalkingPoint,
    Topic,
    USState,
)
from bot.content.reading import (
    PLACEHOLDER_RE,
    ContentFile,
    KeyPath,
    Problem,
)
from bot.content.sources import IndexPage, figures_in, index_page_problem, valid_index_page
from bot.content.targets import TARGETS_FILE, check_target_counties, read_targets
from bot.content.ui_keys import BUTTON_TEXT_MAX, PLAIN_PREFIXES, UI_KEYS
from bot.datafiles import HTTPS_URL_RE
from bot.matching import STOP_WORDS_EN, STOP_WORDS_ES, normalize, stem
from bot.telegram_html import check_html

if TYPE_CHECKING:
    from bot.places import PlaceIndex

__all__ = [
    "Content",
    "ContentError",
    "Problem",
    "RenderCheck",
    "check_content",
    "load_content",
    "source_rules",
]

# Lengths that keep rendered texts and buttons within Telegram's limits.
TOPIC_TITLE_MAX = 40
FACT_TITLE_MAX = 80
FACT_TEXT_MAX = 600
FACT_WHY_MAX = 400
TOPIC_DESCRIPTION_MAX = 300
DESCRIPTION_MAX = 512
SHORT_DESCRIPTION_MAX = 120
PLEDGE_MAX = 1500
LETTER_PLACEHOLDERS = frozenset({"office"})


class ContentError(Exception):
    """Content cannot be used; ``problems`` lists every error found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(f"{len(errors)} content error(s):\n" + "\n".join(map(str, errors)))


@dataclass(frozen=True, slots=True)
class Content:
    """All campaign content, validated. Immutable: a reload builds a new object."""

    directory: Path
    campaign: Campaign
    topics: dict[str, Topic]
    facts: dict[str, Fact]
    ui: dict[str, Localized]
    states: dict[str, USState]
    letter: LetterContent
    agreements: AgreementList
    answers: dict[str, Answer]  # answers that open a journey, in file order
    synonyms: dict[str, str]  # a word people type -> the word the content uses (normalised)
    places: PlaceIndex  # read on its first lookup
    congress: CongressFiles  # read in full on first use: see CongressFiles.load
    targets: tuple[LocalTarget, ...]
    totals: StateTotals | None = None  # ICE's newer per-state totals, if any
    warnings: tuple[Problem, ...] = field(default=())

    def text(self, key: str, lang: str, **values: str) -> str:
        """The UI string ``key`` in ``lang`` with ``{placeholders}`` filled in.

        Values are inserted as given: callers escape them for HTML where the string is HTML.
        """
        template = self.ui[key].get(lang)
        if not values:  # a placeholder without a value stays as it is: nothing to fill in
            return template
        return PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), m.group(0)), template)

    def topic_facts(self, topic_id: str) -> list[Fact]:
        return [self.facts[fid] for fid in self.topics[topic_id].fact_ids]


RenderCheck = Callable[[Content], list[Problem]]
"""Renders valid content as the bot would send it and returns what breaks Telegram's limits."""


# -- the files ---------------------------------------------------------------------------------


def _read_campaign(f: ContentFile) -> Campaign | None:
    if f.data is None:
        return None
    data = f.mapping(f.data.get("campaign"), ("campaign",))
    if data is None:
        return None
    p: KeyPath = ("campaign",)
    name = f.localized(data.get("name"), (*p, "name"), 64)
    description = f.localized(data.get("description"), (*p, "description"), DESCRIPTION_MAX)
    short = f.localized(
        data.get("short_description"), (*p, "short_description"), SHORT_DESCRIPTION_MAX
    )
    pledge = f.localized(data.get("pledge"), (*p, "pledge"), PLEDGE_MAX)
    stop_words = f.localized_list(data.get("stop_words"), (*p, "stop_words"))
    if stop_words is not None:
        for lang in LANGS:
            if not stop_words.get(lang):
                f.error((*p, "stop_words", lang), "at least one stop word is needed")
    if None in (name, description, short, pledge, stop_words):
        return None
    assert name and description and short and pledge and stop_words
    return Campaign(
        name=name,
        description=description,
        short_description=short,
        pledge=pledge,
        stop_words=stop_words,
    )


def _read_states(f: ContentFile) -> dict[str, USState]:
    states: dict[str, USState] = {}
    if f.data is None:
        return states
    for i, raw in enumerate(f.sequence(f.data.get("states"), ("states",)) or []):
        path: KeyPath = ("states", i)
        data = f.mapping(raw, path)
        if data is None:
            continue
        code = f.string(data.get("code"), (*path, "code"))
        if code is not None and not re.fullmatch(r"[A-Z]{2}", code):
            f.error((*path, "code"), f"{code!r} is not a two-letter USPS code")
            code = None
        name = f.localized({k: data.get(k) for k in LANGS}, path, 40)
        aliases = f.sequence(data.get("aliases", []), (*path, "aliases")) or []
        alias_texts = tuple(
            a for j, item in enumerate(aliases) if (a := f.string(item, (*path, "aliases", j)))
        )
        if code in states:
            f.error((*path, "code"), f"duplicate state {code!r}")
        elif code is not None and name is not None:
            states[code] = USState(code=code, name=name, aliases=alias_texts)
    if not states:
        f.error(("states",), "at least one state is needed")
    return states


HREF_RE = re.compile(r'href="([^"]*)"')
CITATION_KEYS = {"title", "publisher", "date", "url", "reference"}
REFERENCE_MAX = 300


def _read_document_url(
    f: ContentFile, value: Any, path: KeyPath, rules: tuple[IndexPage, ...]
) -> str | None:
    """An https link to a document itself: never a home page or a page in ``source_rules``."""
    url = f.string(value, path, 1000)
    if url is not None and not HTTPS_URL_RE.match(url):
        f.error(path, f"{url!r} is not an https link")
        return None
    if url is not None and (problem := index_page_problem(url, rules)) is not None:
        f.error(path, f"{url} {problem}")
        return None
    return url


def _read_citation(
    f: ContentFile, value: Any, path: KeyPath, rules: tuple[IndexPage, ...]
) -> Citation | None:
    data = f.mapping(value, path)
    if data is None:
        return None
    title = f.string(data.get("title"), (*path, "title"), 300)
    publisher = f.string(data.get("publisher"), (*path, "publisher"), 200)
    when = f.iso_date(data.get("date"), (*path, "date"), partial=True)
    url = _read_document_url(f, data.get("url"), (*path, "url"), rules)
    reference = ""
    if data.get("reference") is not None:
        reference = f.string(data.get("reference"), (*path, "reference"), REFERENCE_MAX) or ""
    for unknown in sorted(set(data) - CITATION_KEYS, key=str):
        f.warn((*path, unknown), f"unknown key {unknown!r} is ignored")
    if title is None or publisher is None or when is None or url is None:
        return None
    return Citation(title=title, publisher=publisher, date=when, url=url, reference=reference)


@dataclass(frozen=True, slots=True)
class ReviewIntervals:
    """How long a card stays trusted after a person checked it (``review`` in facts.yaml)."""

    figures_days: int = 90  # a card that states figures: counts change fast
    others_days: int = 365


REVIEW_DAYS_MAX = 3650


def _read_review(f: ContentFile) -> ReviewIntervals:
    raw = f.data.get("review") if f.data is not None else None
    if raw is None:
        return ReviewIntervals()
    data = f.mapping(raw, ("review",)) or {}
    days: dict[str, int] = {}
    for key in ("figures_days", "others_days"):
        value = data.get(key, getattr(ReviewIntervals(), key))
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or not 1 <= value <= REVIEW_DAYS_MAX
        ):
            f.error(("review", key), f"expected a whole number of days from 1 to {REVIEW_DAYS_MAX}")
            continue
        days[key] = value
    for unknown in sorted(set(data) - {"figures_days", "others_days"}, key=str):
        f.warn(("review", unknown), f"unknown key {unknown!r} is ignored")
    return ReviewIntervals(**days)


def _read_source_rules(f: ContentFile) -> tuple[IndexPage, ...]:
    """The home and section pages no source may link to (``source_rules`` in facts.yaml)."""
    raw = f.data.get("source_rules") if f.data is not None else None
    if raw is None:
        return ()
    p: KeyPath = ("source_rules",)
    data = f.mapping(raw, p) or {}
    rules: list[IndexPage] = []
    for i, item in enumerate(f.sequence(data.get("index_pages", []), (*p, "index_pages")) or []):
        q: KeyPath = (*p, "index_pages", i)
        rule = f.mapping(item, q)
        if rule is None:
            continue
        page = f.string(rule.get("page"), (*q, "page"), 200)
        what = f.string(rule.get("what"), (*q, "what"), 200)
        if page is not None and not valid_index_page(page):
            f.error(
                (*q, "page"),
                f"{page!r} is not a page: write a host and path like justice.gov/crt "
                "(no https://; * stands for one whole path segment)",
            )
            page = None
        if page is not None and what is not None:
            rules.append(IndexPage(page=page, what=what))
    for unknown in sorted(set(data) - {"index_pages"}, key=str):
        f.warn((*p, unknown), f"unknown key {unknown!r} is ignored")
    return tuple(rules)


def _card_figures(
    title: Localized | None, text: Localized | None, why: Localized | None
) -> list[str]:
    """The figures a card states in its title, text or why, in either language."""
    found: list[str] = []
    for part in (title, text, why):
        for lang in LANGS:
            if part is not None:
                found += figures_in(part.get(lang))
    return found


def _first_day(iso: str) -> str:
    """The first day a partial ISO date can mean: '2017-01' → '2017-01-01'."""
    return (iso + "-01-01")[:10] if len(iso) == 4 else (iso + "-01")[:10]


def _read_card_dates(
    f: ContentFile,
    data: dict[str, Any],
    path: KeyPath,
    figures: list[str],
    today: date,
    review: ReviewIntervals,
) -> tuple[str | None, str | None]:
    """``checked`` and ``data_as_of`` of one card, with the checks on both."""
    if "as_of" in data:
        f.error(
            (*path, "as_of"),
            "`as_of` is replaced by two dates: `checked` (the day a person last verified the "
            "card) and `data_as_of` (the date its figures describe)",
        )
    checked = f.iso_date(data.get("checked"), (*path, "checked"))
    if checked is not None and date.fromisoformat(checked) > today:
        f.error((*path, "checked"), f"{checked} is in the future: the day the card was verified")
        checked = None
    data_as_of = None
    if data.get("data_as_of") is not None:
        data_as_of = f.iso_date(data.get("data_as_of"), (*path, "data_as_of"), partial=True)
    elif figures:
        f.error(
            path,
            f"the card states figures ({', '.join(dict.fromkeys(figures[:3]))}): give "
            "`data_as_of`, the date they describe",
        )
    if data_as_of is not None and checked is not None and _first_day(data_as_of) > checked:
        f.error(
            (*path, "data_as_of"),
            f"{data_as_of} is after `checked` ({checked}): figures cannot be checked before "
            "the date they describe",
        )
    if checked is not None:
        interval = review.figures_days if figures else review.others_days
        age = (today - date.fromisoformat(checked)).days
        if age > interval:
            kind = "cards with figures" if figures else "cards"
            f.warn(
                (*path, "checked"),
                f"checked {age} days ago ({checked}); {kind} are reviewed every {interval} "
                "days: verify the card against its sources and update `checked`",
            )
    return checked, data_as_of


def _read_facts(
    f: ContentFile, today: date, rules: tuple[IndexPage, ...]
) -> tuple[dict[str, Topic], dict[str, Fact]]:
    topics: dict[str, Topic] = {}
    facts: dict[str, Fact] = {}
    if f.data is None:
        return topics, facts
    review = _read_review(f)
    for unknown in sorted(set(f.data) - _FACTS_FILE_KEYS, key=str):
        f.warn((unknown,), f"unknown key {unknown!r} is ignored")
    topic_list = f.sequence(f.data.get("topics"), ("topics",)) or []
    for i, raw in enumerate(topic_list):
        path: KeyPath = ("topics", i)
        data = f.mapping(raw, path)
        if data is None:
            continue
        tid = f.identifier(data.get("id"), (*path, "id"))
        title = f.localized(data.get("title"), (*path, "title"), TOPIC_TITLE_MAX)
        description = f.localized(
            data.get("description"), (*path, "description"), TOPIC_DESCRIPTION_MAX
        )
        if tid in topics:
            f.error((*path, "id"), f"duplicate topic id {tid!r}")
            continue
        if tid and title and description:
            topics[tid] = Topic(id=tid, title=title, description=description)
    if not topics:
        f.error(("topics",), "at least one topic is needed")

    fact_list = f.sequence(f.data.get("facts"), ("facts",)) or []
    related_refs: list[tuple[KeyPath, str]] = []
    for i, raw in enumerate(fact_list):
        path = ("facts", i)
        data = f.mapping(raw, path)
        if data is None:
            continue
        fid = f.identifier(data.get("id"), (*path, "id"))
        topic = f.identifier(data.get("topic"), (*path, "topic"))
        if topic is not None and topic not in topics:
            f.error((*path, "topic"), f"unknown topic {topic!r}")
            topic = None
        title = f.localized(data.get("title"), (*path, "title"), FACT_TITLE_MAX)
        text = f.localized(data.get("text"), (*path, "text"), FACT_TEXT_MAX)
        why = f.localized(data.get("why"), (*path, "why"), FACT_WHY_MAX)
        keywords = f.localized_list(data.get("keywords", {"en": [], "es": []}), (*path, "keywords"))
        sources: list[Citation] = []
        raw_sources = f.sequence(data.get("sources"), (*path, "sources"))
        if raw_sources is not None:
            if not raw_sources:
                f.error((*path, "sources"), "a fact needs at least one citation")
            for j, raw_source in enumerate(raw_sources):
                citation = _read_citation(f, raw_source, (*path, "sources", j), rules)
                if citation is not None:
                    sources.append(citation)
        figures = _card_figures(title, text, why)
        checked, data_as_of = _read_card_dates(f, data, path, figures, today, review)
        review_by = None
        if data.get("review_by") is not None:
            review_by = f.iso_date(data.get("review_by"), (*path, "review_by"))
            if review_by is not None and date.fromisoformat(review_by) < today:
                f.warn((*path, "review_by"), f"review date {review_by} has passed: check this fact")
        related: list[str] = []
        for j, ref in enumerate(f.sequence(data.get("related", []), (*path, "related")) or []):
            rid = f.identifier(ref, (*path, "related", j))
            if rid is not None:
                related.append(rid)
                related_refs.append(((*path, "related", j), rid))
        important = data.get("important", False)
        if not isinstance(important, bool):
            f.error((*path, "important"), "expected true or false")
            important = False
        for unknown in sorted(set(data) - _FACT_KEYS, key=str):
            f.warn((*path, unknown), f"unknown key {unknown!r} is ignored")
        if fid is not None and fid in facts:
            f.error((*path, "id"), f"duplicate fact id {fid!r}")
            continue
        complete = (fid, topic, title, text, why, keywords, checked)
        if any(v is None for v in complete) or not sources:
            continue
        assert fid and topic and title and text and why and keywords and checked
        facts[fid] = Fact(
            id=fid,
            topic=topic,
            title=title,
            text=text,
            why=why,
            keywords=keywords,
            sources=tuple(sources),
            checked=checked,
            data_as_of=data_as_of,
            review_by=review_by,
            important=important,
            related=tuple(related),
        )
    for path, rid in related_refs:
        if rid not in facts:
            f.error(path, f"unknown fact {rid!r}")
    for tid, topic_obj in list(topics.items()):
        ids = tuple(fid for fid, fact in facts.items() if fact.topic == tid)
        if not ids:
            f.error(("topics",), f"topic {tid!r} has no facts")
        topics[tid] = Topic(
            id=topic_obj.id, title=topic_obj.title, description=topic_obj.description, fact_ids=ids
        )
    return topics, facts


_FACT_KEYS = {
    "id",
    "topic",
    "title",
    "text",
    "why",
    "keywords",
    "sources",
    "as_of",  # refused with an explanation: replaced by checked and data_as_of
    "checked",
    "data_as_of",
    "review_by",
    "important",
    "related",
}
_FACTS_FILE_KEYS = {"topics", "facts", "source_rules", "review"}


def _read_ui(
    f: ContentFile, check_html: Callable[[str], str | None], rules: tuple[IndexPage, ...]
) -> dict[str, Localized]:
    ui: dict[str, Localized] = {}
    if f.data is None:
        return ui
    strings = f.mapping(f.data.get("strings"), ("strings",))
    if strings is None:
        return ui
    for key in UI_KEYS:
        if key not in strings:
            f.error(("strings",), f"missing string {key!r}")
    for key in sorted(strings, key=str):
        path: KeyPath = ("strings", key)
        if key not in UI_KEYS:
            f.warn(path, f"unknown string {key!r} is not used by the bot")
            continue
        value = f.localized(strings[key], path)
        if value is None:
            continue
        plain = key.startswith(PLAIN_PREFIXES)
        for lang in LANGS:
            text = value.get(lang)
            for name in PLACEHOLDER_RE.findall(text):
                if name not in UI_KEYS[key]:
                    allowed = ", ".join(sorted(UI_KEYS[key])) or "none"
                    f.error((*path, lang), f"unknown placeholder {{{name}}} (allowed: {allowed})")
            if plain and re.search(r"<[a-zA-Z/]", text):
                f.error((*path, lang), "this text is shown without formatting: remove the HTML")
            elif not plain:
                sample = PLACEHOLDER_RE.sub("x", text)
                problem = check_html(sample)
                if problem is not None:
                    f.error((*path, lang), f"invalid Telegram HTML: {problem}")
            for url in HREF_RE.findall(text):
                if "{" not in url and (problem := index_page_problem(url, rules)) is not None:
                    f.error((*path, lang), f"{url} {problem}")
            if key.startswith(("menu.", "button.")) and len(text) > BUTTON_TEXT_MAX:
                f.error((*path, lang), f"button text longer than {BUTTON_TEXT_MAX} characters")
        ui[key] = value
    return ui


ANSWER_REPLY_MAX = 600
ANSWER_LINKS_MAX = 5
_ANSWER_KEYS = {"id", "keywords", "reply", "journeys", "links"}
_LINK_KEYS = {"title", "publisher", "url"}


def _read_answers(
    f: ContentFile, rules: tuple[IndexPage, ...], facts: dict[str, Fact]
) -> dict[str, Answer]:
    """``answers.yaml``: answers that open a journey, found by their keywords."""
    answers: dict[str, Answer] = {}
    if f.data is None:
        return answers
    for unknown in sorted(set(f.data) - {"answers", "synonyms"}, key=str):
        f.warn((unknown,), f"unknown key {unknown!r} is ignored")
    card_keywords = {
        (lang, normalize(keyword)): fact.id
        for fact in facts.values()
        for lang in LANGS
        for keyword in fact.keywords.get(lang)
    }
    for i, raw in enumerate(f.sequence(f.data.get("answers"), ("answers",)) or []):
        path: KeyPath = ("answers", i)
        data = f.mapping(raw, path)
        if data is None:
            continue
        aid = f.identifier(data.get("id"), (*path, "id"))
        keywords = f.localized_list(data.get("keywords"), (*path, "keywords"))
        if keywords is not None:
            for lang in LANGS:
                if not keywords.get(lang):
                    f.error((*path, "keywords", lang), "at least one keyword is needed")
                for j, keyword in enumerate(keywords.get(lang)):
                    if not normalize(keyword):
                        f.error((*path, "keywords", lang, j), f"{keyword!r} has no word to find")
                    elif (fid := card_keywords.get((lang, normalize(keyword)))) is not None:
                        f.warn(
                            (*path, "keywords", lang, j),
                            f"{keyword!r} is also a keyword of the fact {fid!r}: the two "
                            "compete for the same question; keep it in one of them",
                        )
        reply = f.localized(data.get("reply"), (*path, "reply"), ANSWER_REPLY_MAX)
        journeys = _read_journeys(f, data.get("journeys"), (*path, "journeys"))
        links: list[Link] = []
        raw_links = f.sequence(data.get("links", []), (*path, "links")) or []
        if len(raw_links) > ANSWER_LINKS_MAX:
            f.error((*path, "links"), f"at most {ANSWER_LINKS_MAX} links, found {len(raw_links)}")
        for j, raw_link in enumerate(raw_links):
            link = _read_link(f, raw_link, (*path, "links", j), rules)
            if link is not None:
                links.append(link)
        for unknown in sorted(set(data) - _ANSWER_KEYS, key=str):
            f.warn((*path, unknown), f"unknown key {unknown!r} is ignored")
        if aid is not None and aid in answers:
            f.error((*path, "id"), f"duplicate answer id {aid!r}")
            continue
        if aid is None or keywords is None or reply is None or journeys is None:
            continue
        answers[aid] = Answer(
            id=aid, keywords=keywords, reply=reply, journeys=journeys, links=tuple(links)
        )
    return answers


def _read_synonyms(f: ContentFile) -> dict[str, str]:
    """``synonyms`` in ``answers.yaml``: a word people type -> the word the content uses."""
    synonyms: dict[str, str] = {}
    raw = f.data.get("synonyms") if f.data is not None else None
    if raw is None:
        return synonyms
    data = f.mapping(raw, ("synonyms",)) or {}
    stop_words = STOP_WORDS_EN | STOP_WORDS_ES
    for key in sorted(data, key=str):
        path: KeyPath = ("synonyms", key)
        word = normalize(str(key))
        meaning = f.string(data[key], path)
        if meaning is None:
            continue
        target = normalize(meaning)
        for text, normal in ((str(key), word), (meaning, target)):
            if len(normal.split()) != 1:
                f.error(path, f"{text!r} is not one word: a synonym maps one word to one word")
                break
            if normal in stop_words:
                f.error(path, f"{text!r} is a stop word, which the search ignores")
                break
        else:
            if word == target:
                f.error(path, f"{key!r} is the same word as {meaning!r}")
            elif word in synonyms:
                f.error(path, f"{key!r} is given twice")
            else:
                synonyms[word] = target
    return synonyms


def _check_synonym_targets(
    f: ContentFile, synonyms: dict[str, str], facts: dict[str, Fact], answers: dict[str, Answer]
) -> None:
    """Warn about a synonym for a word no card or answer uses: it can find nothing."""
    texts: list[str] = []
    for fact in facts.values():
        for lang in LANGS:
            texts += [fact.title.get(lang), fact.text.get(lang), fact.why.get(lang)]
            texts += fact.keywords.get(lang)
    for answer in answers.values():
        texts += answer.keywords.all()
    used = {stem(word) for text in texts for word in normalize(text).split()}
    for word, target in synonyms.items():
        if stem(target) not in used:
            f.warn(
                ("synonyms", word),
                f"no card or answer uses {target!r}: the synonym finds nothing",
            )


def _read_journeys(f: ContentFile, value: Any, path: KeyPath) -> tuple[str, ...] | None:
    """The journeys an answer opens: known names, each once, at least one."""
    items = f.sequence(value, path)
    if items is None:
        return None
    names: list[str] = []
    for j, item in enumerate(items):
        name = f.string(item, (*path, j))
        if name is None:
            return None
        if name not in ANSWER_JOURNEYS:
            f.error((*path, j), f"unknown journey {name!r} (known: {', '.join(ANSWER_JOURNEYS)})")
            return None
        if name in names:
            f.error((*path, j), f"journey {name!r} is listed twice")
            return None
        names.append(name)
    if not names:
        f.error(path, "at least one journey is needed")
        return None
    return tuple(names)


def _read_link(
    f: ContentFile, value: Any, path: KeyPath, rules: tuple[IndexPage, ...]
) -> Link | None:
    data = f.mapping(value, path)
    if data is None:
        return None
    title = f.localized(data.get("title"), (*path, "title"), 120)
    publisher = f.string(data.get("publisher"), (*path, "publisher"), 120)
    url = _read_document_url(f, data.get("url"), (*path, "url"), rules)
    for unknown in sorted(set(data) - _LINK_KEYS, key=str):
        f.warn((*path, unknown), f"unknown key {unknown!r} is ignored")
    if title is None or publisher is None or url is None:
        return None
    return Link(title=title, publisher=publisher, url=url)


def _read_letter(f: ContentFile, recipient_email: str | None) -> LetterContent | None:
    if f.data is None:
        return None
    recipient = f.mapping(f.data.get("recipient"), ("recipient",)) or {}
    r: KeyPath = ("recipient",)
    office = f.localized(recipient.get("office"), (*r, "office"), 100)
    why = f.localized(recipient.get("why"), (*r, "why"), 600)
    salutations = f.variants(recipient.get("salutations"), (*r, "salutations"), 80, 1)
    channels = _read_channels(f, recipient_email)

    roles: dict[str, Role] = {}
    for i, raw in enumerate(f.sequence(f.data.get("roles"), ("roles",)) or []):
        p: KeyPath = ("roles", i)
        data = f.mapping(raw, p) or {}
        rid = f.identifier(data.get("id"), (*p, "id"))
        label = f.localized(data.get("label"), (*p, "label"), 40)
        openings = f.variants(
            data.get("openings"), (*p, "openings"), 400, placeholders=LETTER_PLACEHOLDERS
        )
        if rid in roles:
            f.error((*p, "id"), f"duplicate role {rid!r}")
        elif rid and label and openings:
            roles[rid] = Role(id=rid, label=label, openings=openings)
    if not roles:
        f.error(("roles",), "at least one role is needed")

    points: dict[str, TalkingPoint] = {}
    for i, raw in enumerate(f.sequence(f.data.get("talking_points"), ("talking_points",)) or []):
        p = ("talking_points", i)
        data = f.mapping(raw, p) or {}
        tid = f.identifier(data.get("id"), (*p, "id"))
        label = f.localized(data.get("label"), (*p, "label"), 32)
        paragraphs = f.variants(
            data.get("paragraphs"), (*p, "paragraphs"), 450, placeholders=LETTER_PLACEHOLDERS
        )
        if tid in points:
            f.error((*p, "id"), f"duplicate talking point {tid!r}")
        elif tid and label and paragraphs:
            points[tid] = TalkingPoint(id=tid, label=label, paragraphs=paragraphs)
    if not points:
        f.error(("talking_points",), "at least one talking point is needed")

    subjects = f.variants(f.data.get("subjects"), ("subjects",), 110)
    closings = f.variants(
        f.data.get("closings"), ("closings",), 300, placeholders=LETTER_PLACEHOLDERS
    )
    signoffs = f.variants(f.data.get("signoffs"), ("signoffs",), 40, 1)
    sensitive = f.localized_list(f.data.get("sensitive_words"), ("sensitive_words",))
    if sensitive is not None:
        for lang in LANGS:
            for i, word in enumerate(sensitive.get(lang)):
                if not _sensitive_pattern_ok(word):
                    f.error(
                        ("sensitive_words", lang, i),
                        f"{word!r}: a word or phrase, optionally ending in '*' to match any"
                        " ending, with at least 3 letters before the '*'",
                    )
    hours = f.data.get("reminder_hours", 24)
    if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= 24 * 14:
        f.error(("reminder_hours",), "expected a whole number of hours from 1 to 336")
        hours = 24
    parts = (office, why, salutations, channels, subjects, closings, signoffs, sensitive)
    if any(part is None for part in parts) or not roles or not points:
        return None
    assert office and why and salutations and channels and subjects
    assert closings and signoffs and sensitive
    return LetterContent(
        office=office,
        why=why,
        salutations=salutations,
        channels=channels,
        roles=roles,
        talking_points=points,
        subjects=subjects,
        closings=closings,
        signoffs=signoffs,
        sensitive_words=sensitive,
        reminder_hours=hours,
    )


def _sensitive_pattern_ok(word: str) -> bool:
    """A sensitive word or phrase; a final ``*`` matches any ending of its last word."""
    stem = word.removesuffix("*")
    if "*" in stem or not any(ch.isalnum() for ch in stem):
        return False
    return not word.endswith("*") or len(stem.split()[-1]) >= 3


EMAIL_RE = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[A-Za-z]{2,}$")


def _read_channels(f: ContentFile, recipient_email: str | None) -> Channels | None:
    data = f.mapping(f.data.get("channels"), ("channels",))
    if data is None:
        return None
    p: KeyPath = ("channels",)
    email_data = data.get("email") or {}
    email = str(email_data.get("address") or "").strip() if isinstance(email_data, dict) else ""
    if recipient_email:
        email = recipient_email.strip()
    if email and not EMAIL_RE.match(email):
        f.error((*p, "email", "address"), f"{email!r} is not an e-mail address")
        email = ""
    if not email:
        f.warn(
            (*p, "email", "address"),
            "no recipient e-mail address: the e-mail channel is hidden "
            "(set it here or in OUTREACH_RECIPIENT_EMAIL; never guess one)",
        )
    postal = data.get("postal") or {}
    lines: tuple[str, ...] = ()
    note = Localized(en="", es="")
    if postal:
        postal_map = f.mapping(postal, (*p, "postal")) or {}
        raw_lines = f.sequence(postal_map.get("address"), (*p, "postal", "address")) or []
        lines = tuple(
            t for i, x in enumerate(raw_lines) if (t := f.string(x, (*p, "postal", "address", i)))
        )
        note = f.localized(postal_map.get("note"), (*p, "postal", "note"), 200) or note
    webform = data.get("webform") or {}
    url = str(webform.get("url") or "").strip() if isinstance(webform, dict) else ""
    if url and not HTTPS_URL_RE.match(url):
        f.error((*p, "webform", "url"), f"{url!r} is not an https link")
        url = ""
    campaign = _read_campaign_delivery(f, data.get("campaign"))
    if not (email or lines or url or campaign):
        f.error(
            p,
            "no channel to send a comment through: give an e-mail, postal address or form, "
            "or let the campaign deliver letters",
        )
    offered = {"campaign": campaign is not None, "email": bool(email)}
    offered |= {"postal": bool(lines), "webform": bool(url)}
    summaries: dict[str, Localized] = {}
    for name in CHANNEL_NAMES:
        block = data.get(name)
        raw = block.get("summary") if isinstance(block, dict) else None
        if raw is None:
            if offered[name]:
                f.error(
                    (*p, name),
                    "missing 'summary': one line, in each language, on what this channel takes "
                    '(e.g. "we deliver it for you", "print and post")',
                )
            continue
        summary = _plain_text(f, raw, (*p, name, "summary"), CHANNEL_SUMMARY_MAX)
        if summary is not None:
            summaries[name] = summary
    short_label = Localized(en="", es="")
    raw_label = email_data.get("short_label") if isinstance(email_data, dict) else None
    if raw_label is not None:
        short_label = (
            _plain_text(f, raw_label, (*p, "email", "short_label"), SHORT_LABEL_MAX) or short_label
        )
    elif email:
        f.error(
            (*p, "email"),
            "missing 'short_label': what a compose link carrying the short version of a long "
            "letter is called, in each language",
        )
    return Channels(
        email=email,
        postal_address=lines,
        postal_note=note,
        webform_url=url,
        campaign=campaign,
        summaries=summaries,
        short_label=short_label,
    )


CHANNEL_SUMMARY_MAX = 200
SHORT_LABEL_MAX = 40
CAMPAIGN_KEYS = {"enabled", "to", "how", "summary", "cover_title", "cover"}
COVER_PLACEHOLDERS = frozenset({"count", "first", "last", "campaign", "office"})


def _read_campaign_delivery(f: ContentFile, raw: Any) -> CampaignDelivery | None:
    """``channels.campaign``: the campaign delivers letters itself; None when absent or off."""
    if raw is None:
        return None
    p: KeyPath = ("channels", "campaign")
    data = f.mapping(raw, p)
    if data is None:
        return None
    enabled = data.get("enabled", True)
    if not isinstance(enabled, bool):
        f.error((*p, "enabled"), "expected true or false")
        return None
    for unknown in sorted(set(data) - CAMPAIGN_KEYS, key=str):
        f.warn((*p, unknown), f"unknown key {unknown!r} is ignored")
    if not enabled:
        return None
    to = _plain_text(f, data.get("to"), (*p, "to"), 200)
    how = _plain_text(f, data.get("how"), (*p, "how"), 600)
    title = _plain_text(f, data.get("cover_title"), (*p, "cover_title"), 120, COVER_PLACEHOLDERS)
    cover = _plain_text(f, data.get("cover"), (*p, "cover"), 1000, COVER_PLACEHOLDERS)
    if to is None or how is None or title is None or cover is None:
        return None
    return CampaignDelivery(to=to, how=how, cover_title=title, cover=cover)


def _plain_text(
    f: ContentFile,
    value: Any,
    path: KeyPath,
    max_len: int,
    placeholders: frozenset[str] = frozenset(),
) -> Localized | None:
    """Plain text in both languages, with only the ``placeholders`` given."""
    text = f.localized(value, path, max_len)
    if text is None:
        return None
    for lang in LANGS:
        for name in PLACEHOLDER_RE.findall(text.get(lang)):
            if name not in placeholders:
                allowed = ", ".join(sorted(placeholders)) or "none"
                f.error((*path, lang), f"unknown placeholder {{{name}}} (allowed: {allowed})")
                return None
    return text


AGREEMENTS_FILE = "agreements.yaml"
AGREEMENTS_MAX_AGE_DAYS = 30


def _read_agreements(directory: Path, today: date, problems: list[Problem]) -> AgreementList | None:
    """ICE's list of participating agencies, as imported by ``import-agreements``."""
    from bot.agreements import ImportProblem, load_agreements

    path = directory / AGREEMENTS_FILE
    if not path.exists():
        problems.append(
            Problem(
                "error",
                AGREEMENTS_FILE,
                None,
                "",
                "file is missing: create it with `outreach-bot import-agreements FILE.xlsx`",
            )
        )
        return None
    try:
        agreements = load_agreements(path)
    except ImportProblem as exc:
        problems.append(Problem("error", AGREEMENTS_FILE, None, "", str(exc)))
        return None
    age = (today - date.fromisoformat(agreements.as_of)).days
    if age > AGREEMENTS_MAX_AGE_DAYS:
        problems.append(
            Problem(
                "warning",
                AGREEMENTS_FILE,
                None,
                "as_of",
                f"the list is {age} days old ({agreements.as_of}): import ICE's newest "
                "spreadsheet with `outreach-bot import-agreements`",
            )
        )
    return agreements


def _read_totals(
    directory: Path,
    today: date,
    rules: tuple[IndexPage, ...],
    agreements: AgreementList | None,
    problems: list[Problem],
) -> StateTotals | None:
    """ICE's newer per-state totals, as imported by ``import-agreements TOTALS.csv``; None
    when the content has none (the answers then give the county list's totals only)."""
    from bot.agreements import ImportProblem
    from bot.agreements.totals import TOTALS_FILE, load_totals

    path = directory / TOTALS_FILE
    if not path.exists():
        return None
    try:
        totals = load_totals(path)
    except ImportProblem as exc:
        problems.append(Problem("error", TOTALS_FILE, None, "", str(exc)))
        return None
    problem = index_page_problem(totals.url, rules)
    if problem is not None:
        problems.append(Problem("error", TOTALS_FILE, None, "url", problem))
        return None
    if agreements is not None and not totals.newer_than(agreements.as_of):
        problems.append(
            Problem(
                "warning",
                TOTALS_FILE,
                None,
                "as_of",
                f"the totals ({totals.as_of}) are not newer than the county list "
                f"({agreements.as_of}): answers do not show them",
            )
        )
    elif (age := (today - date.fromisoformat(totals.as_of)).days) > AGREEMENTS_MAX_AGE_DAYS:
        problems.append(
            Problem(
                "warning",
                TOTALS_FILE,
                None,
                "as_of",
                f"the totals are {age} days old ({totals.as_of}): import a newer table with "
                "`outreach-bot import-agreements TOTALS.csv`",
            )
        )
    return totals


def source_rules(directory: Path) -> tuple[IndexPage, ...]:
    """The home and section pages no source may link to, as the content in ``directory``
    lists them (``source_rules`` in facts.yaml); () when it cannot be read."""
    return _read_source_rules(ContentFile(directory, "facts.yaml", []))


def _read_places(directory: Path, problems: list[Problem], deep: bool) -> PlaceIndex | None:
    """The ZIP codes and place names of "Where I live", as made by ``import-places``.

    Only the first line is read here (the bot reads the rest on its first lookup), unless
    ``deep``: then every line is checked.
    """
    from bot.places import PLACES_FILE, PlaceIndex, PlacesError

    index = PlaceIndex(directory / PLACES_FILE)
    try:
        if deep:
            index.check()
        else:
            index.check_format()
    except PlacesError as exc:
        problems.append(Problem("error", PLACES_FILE, exc.line, "", exc.message))
        return None
    return index


def _read_congress(
    directory: Path, today: date, problems: list[Problem], deep: bool
) -> CongressFiles | None:
    """The Congress data, as imported by ``import-congress``: its date now, the rest on first
    use (``deep``: now, and every member's term is checked against ``today``)."""
    from bot.congress.files import MEMBERS_FILE, ZIPS_FILE, CongressFileError
    from bot.congress.model import congress_end, ordinal

    try:
        congress = CongressFiles(directory)
        if not (directory / ZIPS_FILE).is_file():
            raise CongressFileError(
                f"{ZIPS_FILE}: file is missing: create it with `outreach-bot import-congress`"
            )
        data = congress.load() if deep else None
    except CongressFileError as exc:
        message = str(exc)  # it starts with the name of the file it is about
        file = ZIPS_FILE if message.startswith(ZIPS_FILE) else MEMBERS_FILE
        problems.append(Problem("error", file, None, "", message))
        return None
    if congress.outdated(today):
        ends = congress_end(congress.congress)
        problems.append(
            Problem(
                "warning",
                MEMBERS_FILE,
                None,
                "congress",
                f"a new Congress took office on {ends:%B} {ends.day}, {ends.year}: these members "
                f"of the {ordinal(congress.congress)} Congress (as of {congress.as_of}) may be "
                "out of date; import the dataset's newer files with "
                "`outreach-bot import-congress`",
            )
        )
    elif data is not None and (ended := data.terms_ended(today)):
        names = ", ".join(f"{m.name} ({m.state}, {m.term_end})" for m in ended[:5])
        more = f" and {len(ended) - 5} more" if len(ended) > 5 else ""
        problems.append(
            Problem(
                "warning",
                MEMBERS_FILE,
                None,
                "members",
                f"the term of {len(ended)} member(s) has ended: {names}{more}; import the "
                "dataset's newer files with `outreach-bot import-congress`",
            )
        )
    return congress


# -- entry points ------------------------------------------------------------------------------


def check_content(
    directory: Path,
    today: date | None = None,
    recipient_email: str | None = None,
    *,
    render_check: RenderCheck,
    deep: bool = False,
) -> tuple[Content | None, list[Problem]]:
    """Read and validate every content file; return the content (if usable) and all problems.

    ``render_check`` runs last, on content that is otherwise valid
    (:func:`bot.render.check_rendered`). ``deep`` also reads what the bot reads only on first
    use — every line of the places file, the Congress data in full — and checks the local
    targets' counties against the place data: ``outreach-bot check-content`` does, the bot's
    start and reload do not, to stay fast and small.
    """
    today = today or date.today()
    problems: list[Problem] = []
    if not directory.is_dir():
        return None, [Problem("error", str(directory), None, "", "not a directory")]
    campaign = _read_campaign(ContentFile(directory, "campaign.yaml", problems))
    facts_file = ContentFile(directory, "facts.yaml", problems)
    rules = _read_source_rules(facts_file)  # they apply to every link content cites
    topics, facts = _read_facts(facts_file, today, rules)
    ui = _read_ui(ContentFile(directory, "ui.yaml", problems), check_html, rules)
    states = _read_states(ContentFile(directory, "states.yaml", problems))
    letter = _read_letter(ContentFile(directory, "letter.yaml", problems), recipient_email)
    answers_file = ContentFile(directory, "answers.yaml", problems)
    answers = _read_answers(answers_file, rules, facts)
    synonyms = _read_synonyms(answers_file)
    _check_synonym_targets(answers_file, synonyms, facts, answers)
    agreements = _read_agreements(directory, today, problems)
    totals = _read_totals(directory, today, rules, agreements, problems)
    places = _read_places(directory, problems, deep)
    congress = _read_congress(directory, today, problems, deep)
    targets_file = ContentFile(directory, TARGETS_FILE, problems)
    targets = read_targets(targets_file, states, today)
    if deep and targets and places is not None and not any(p.severity == "error" for p in problems):
        check_target_counties(targets_file, targets, places)

    if (
        any(p.severity == "error" for p in problems)
        or campaign is None
        or letter is None
        or agreements is None
        or places is None
        or congress is None
    ):
        return None, problems
    content = Content(
        directory=directory,
        campaign=campaign,
        topics=topics,
        facts=facts,
        ui=ui,
        states=states,
        letter=letter,
        agreements=agreements,
        answers=answers,
        synonyms=synonyms,
        places=places,
        congress=congress,
        targets=targets,
        totals=totals,
    )
    problems.extend(render_check(content))
    if any(p.severity == "error" for p in problems):
        return None, problems
    warnings = tuple(p for p in problems if p.severity == "warning")
    return replace(content, warnings=warnings), problems


def load_content(
    directory: Path,
    today: date | None = None,
    recipient_email: str | None = None,
    *,
    render_check: RenderCheck,
) -> Content:
    """Load valid content or raise :class:`ContentError` listing every error
    (``render_check`` as for :func:`check_content`)."""
    content, problems = check_content(directory, today, recipient_email, render_check=render_check)
    if content is None:
        raise ContentError(problems)
    return content
