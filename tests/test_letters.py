"""Letters: personal variety, placeholders, length limits, compose links, sensitive words."""

from __future__ import annotations

import random
from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest

from bot.content import Content
from bot.letters import (
    COMPOSE_URL_MAX,
    STORY_MAX,
    DraftChoices,
    LetterParts,
    compose_links,
    letter_parts,
    postal_letter,
    render_letter,
    sensitive_mentions,
)

LANGS = ("en", "es")


def same_choices(content: Content, seed: int) -> DraftChoices:
    role = next(iter(content.letter.roles))
    reasons = tuple(list(content.letter.talking_points)[:2])
    return DraftChoices(seed=seed, role=role, reasons=reasons, sign_name="Ana")


@pytest.mark.parametrize("lang", LANGS)
def test_fifty_drafts_with_identical_choices_are_not_a_form_letter(
    content: Content, lang: str
) -> None:
    """50 drafts with the same choices give at least 20 distinct subject+body pairs."""
    letters = {
        (letter.subject, letter.body)
        for letter in (
            render_letter(content.letter, same_choices(content, s), lang) for s in range(50)
        )
    }
    assert len(letters) >= 20


def test_same_draft_same_letter(content: Content) -> None:
    """A draft's letter is stable: the same seed renders the same letter."""
    choice = same_choices(content, 12345)
    assert render_letter(content.letter, choice, "en") == render_letter(
        content.letter, choice, "en"
    )


@pytest.mark.parametrize("lang", LANGS)
def test_letter_has_every_part_and_the_story_unchanged(content: Content, lang: str) -> None:
    """Opening, one paragraph per reason, the story exactly as typed, and the signature."""
    story = "Mi vecino <b>Juan</b> & yo\nllevamos 20 años aquí. 🌵"
    reasons = tuple(content.letter.talking_points)[:3]
    role = (
        content.letter.roles["faith"]
        if "faith" in content.letter.roles
        else next(iter(content.letter.roles.values()))
    )
    choice = DraftChoices(
        seed=7, role=role.id, reasons=reasons, story=story, sign_name="Ana", sign_place="Austin, TX"
    )
    letter = render_letter(content.letter, choice, lang)
    assert story in letter.body
    assert any(o in letter.body for o in role.openings.get(lang)) or "{" in "".join(
        role.openings.get(lang)
    )
    for reason in reasons:
        paragraphs = content.letter.talking_points[reason].paragraphs.get(lang)
        office = content.letter.office.get(lang)
        assert any(p.replace("{office}", office) in letter.body for p in paragraphs)
    assert letter.body.rstrip().endswith("Ana\nAustin, TX")
    assert "{" not in letter.body and "{" not in letter.subject


def test_unknown_choices_are_skipped(content: Content) -> None:
    """A role or reason that content no longer has is left out, not an error."""
    letter = render_letter(
        content.letter, DraftChoices(seed=1, role="gone", reasons=("gone-too",)), "en"
    )
    assert letter.subject and letter.body


def simple_parts(subject: str, body: str) -> LetterParts:
    return LetterParts(subject, body, None, (), None, None, "", "")


def link_query(url: str) -> dict[str, list[str]]:
    parsed = urlparse(url)
    assert parsed.scheme == "https" and parsed.netloc in ("mail.google.com", "outlook.live.com")
    return parse_qs(parsed.query, strict_parsing=True)


def test_compose_links_prefill_everything_when_short() -> None:
    """Gmail and Outlook links carry recipient, subject and body, percent-encoded, https."""
    links = compose_links(
        "comments@example.org", simple_parts("End 287(g) & more", "Line 1\nLine 2 ñ")
    )
    assert links.full and links.body == "Line 1\nLine 2 ñ"
    query = link_query(links.gmail)
    assert query["to"] == ["comments@example.org"]
    assert query["su"] == ["End 287(g) & more"]
    assert query["body"] == ["Line 1\nLine 2 ñ"]
    outlook = link_query(links.outlook)
    assert outlook["subject"] == ["End 287(g) & more"] and outlook["body"] == ["Line 1\nLine 2 ñ"]


def typical_parts(content: Content, lang: str, seed: int = 4) -> LetterParts:
    """The issue's typical letter: a role, two reasons and a 150-character story."""
    story = ("We have lived on Elm Street for twenty years and our kids go to school here. " * 2)[
        :150
    ]
    choice = DraftChoices(
        seed=seed,
        role=next(iter(content.letter.roles)),
        reasons=tuple(content.letter.talking_points)[:2],
        story=story,
        sign_name="Ana López",
        sign_place="Austin, TX",
    )
    return letter_parts(content.letter, choice, lang)


@pytest.mark.parametrize("lang", LANGS)
def test_a_long_letter_links_its_short_version(content: Content, lang: str) -> None:
    """A typical letter (two reasons, a 150-character story: about 1,400 characters) is too
    long for a link: the links carry the short version of the same letter — salutation,
    opening, the first reason, the sender's own words, closing and signature — not the
    address and subject alone."""
    parts = typical_parts(content, lang)
    assert len(parts.letter().body) > 1200
    links = compose_links("comments@example.org", parts)
    assert not links.full
    assert links.body == parts.short().body
    for url in (links.gmail, links.outlook):
        assert len(url) <= COMPOSE_URL_MAX
        query = link_query(url)
        assert query["body"] == [links.body]
    assert parts.opening is not None and parts.story is not None
    for piece in (parts.salutation, parts.opening, parts.reasons[0], parts.story, parts.closing):
        assert piece in links.body
    assert links.body.endswith(parts.signature)
    assert parts.reasons[1] not in links.body


def random_story(rng: random.Random) -> str | None:
    """Up to 1,000 characters in one or several scripts, or no story."""
    alphabets = (
        "abcdefghijklmnopqrstuvwxyz      ",
        "áéíóúñü¿¡ abcdefghij ",
        "李小龙我们住在这里二十年 ",
        "Нгуен Анна живёт здесь ",
        "محمد علي نعيش هنا ",
        "😀👍🏽🇲🇽❤️ ",
        "<>&\"'%+#=?\n",
    )
    if rng.random() < 0.15:
        return None
    chosen = rng.sample(alphabets, rng.randint(1, 3))
    length = rng.choice([1, 20, 150, 400, 1000, rng.randint(1, 1000)])
    text = "".join(rng.choice(rng.choice(chosen)) for _ in range(length)).strip()
    return text or "x"


def random_name(rng: random.Random) -> str | None:
    names = ("José Núñez", "Nguyễn Thị Hà", "李小龙", "Анна Иванова", "محمد علي", "O'Brien & Co")
    if rng.random() < 0.2:
        return None
    if rng.random() < 0.1:
        return rng.choice("😀李é") * 64  # the longest name a sender can give
    return rng.choice(names)


def test_five_hundred_random_drafts_always_link_a_letter(content: Content) -> None:
    """500 random drafts in both languages — random roles, 1-3 reasons, stories up to 1,000
    characters in varied scripts, names and places — always give two https links under the
    limit that carry a body: the whole letter, or a shorter version of it that keeps its
    salutation (and, when it is only shortened, not cut, the sender's own words whole)."""
    rng = random.Random(15)
    roles = [*content.letter.roles, None]
    points = list(content.letter.talking_points)
    addresses = ("comments@example.org", "secretary.comments-287g@dhs.example.gov")
    shortened = 0
    for n in range(500):
        lang = LANGS[n % 2]
        choice = DraftChoices(
            seed=rng.randrange(2**31),
            role=rng.choice(roles),
            reasons=tuple(rng.sample(points, rng.randint(1, 3))),
            story=random_story(rng),
            sign_name=random_name(rng),
            sign_place=random_name(rng),
        )
        parts = letter_parts(content.letter, choice, lang)
        links = compose_links(rng.choice(addresses), parts)
        assert links.body.strip(), choice
        for url in (links.gmail, links.outlook):
            assert len(url) <= COMPOSE_URL_MAX, (len(url), choice)
            query = link_query(url)
            assert query["body"] == [links.body]
            assert query.get("su", query.get("subject")) == [parts.subject]
        if links.full:
            assert links.body == parts.letter().body
        else:
            shortened += 1
            assert links.body != parts.letter().body
            assert links.body.startswith(parts.salutation[:1])
            if "…" not in links.body and parts.story is not None:
                assert parts.story in links.body, "the sender's own words come first"
    assert 50 < shortened < 500, "both kinds of link were exercised"


def test_the_longest_names_and_story_still_give_a_body() -> None:
    """1,000 emoji of story and 64-emoji names and places (12 characters each once
    percent-encoded) are cut to fit, at a whole character, and marked with "…"."""
    parts = LetterParts(
        subject="Please end 287(g) agreements",
        salutation="Dear Secretary:",
        opening="I am writing as a member of my community.",
        reasons=("Reason one. " * 30,),
        local=None,
        story="😀" * 1000,
        closing="Thank you for considering my comment.",
        signature="Sincerely,\n" + "👍🏽" * 32 + "\n" + "李" * 64,
    )
    links = compose_links("comments@example.org", parts)
    assert not links.full and "…" in links.body
    assert links.body.startswith("Dear Secretary:")
    assert max(len(links.gmail), len(links.outlook)) <= COMPOSE_URL_MAX
    assert "\ufffd" not in links.body and "👍" not in links.body.replace("👍🏽", "")


@pytest.mark.parametrize("lang", LANGS)
def test_real_letters_always_carry_a_body(content: Content, lang: str) -> None:
    """Every rendered letter's links are under the limit and carry the letter or its short
    version; the short version is the same letter with fewer reasons."""
    for seed in range(30):
        parts = letter_parts(content.letter, same_choices(content, seed), lang)
        links = compose_links("x@example.org", parts)
        assert len(links.gmail) <= COMPOSE_URL_MAX and len(links.outlook) <= COMPOSE_URL_MAX
        assert links.body in (parts.letter().body, parts.short().body)


def test_parts_render_the_same_letter(content: Content) -> None:
    """The pieces join into exactly the letter render_letter gives."""
    choice = same_choices(content, 99)
    parts = letter_parts(content.letter, choice, "es")
    assert parts.letter() == render_letter(content.letter, choice, "es")


def test_postal_letter_is_ready_to_print(content: Content) -> None:
    """The postal letter has the date, the office's address, the subject and the body."""
    letter = render_letter(content.letter, same_choices(content, 3), "es")
    text = postal_letter(content.letter, letter, "es", date(2026, 11, 27))
    assert text.startswith("27 de noviembre de 2026")
    assert "Washington, DC 20528" in text
    assert f"Re: {letter.subject}" in text and letter.body in text


@pytest.mark.parametrize(
    ("story", "found"),
    [
        ("I am undocumented and scared", ["undocumented"]),
        ("Soy INDOCUMENTADO", ["indocumentado"]),
        ("somos indocumentadas", ["indocumentadas"]),  # indocumentad*: any ending
        ("Mi prima es indocumentada.", ["indocumentada"]),
        ("My DACA renewal", ["DACA"]),
        ("tengo mi green card", ["green card"]),
        ("Mi esposo no tiene papeles", ["no tiene papeles"]),
        ("Vivo aquí sin papeles desde hace años", ["sin papeles"]),
        ("Le dicen mojado en el trabajo", ["mojado"]),
        ("We have an asylum case pending", ["asylum case"]),
        ("My mother has TPS", ["TPS"]),
        ("tiene tps", ["TPS"]),
        ("My visa expired last year", ["visa expired"]),
        ("I overstayed", ["overstayed"]),
        ("He got a deportation order", ["deportation order"]),
        ("Mi hermano está ilegal", ["ilegal"]),
        ("Estoy sin estatus", ["sin estatus"]),
        ("Pedimos asilo en 2019", ["asilo"]),
        ("Tengo una orden de deportacion", ["orden de deportación"]),  # without the accent
        ("Mi tío fue deportado", ["deportado"]),
        ("Se me venció la visa", ["se me venció la visa"]),
        ("my ITIN and my visa", ["visa", "ITIN"]),
        # ordinary words that merely contain a sensitive one are not flagged
        ("I love my community", []),
        ("The visitors came", []),
        ("Her visage was calm", []),
        ("We cannot accept the status quo", []),
        ("Tips for the neighborhood", []),
        ("La ilegalidad de estas detenciones", []),
        ("Me gustan los papeles de colores", []),
    ],
)
def test_sensitive_words(content: Content, story: str, found: list[str]) -> None:
    """Sensitive words and phrases are found as whole words, any case or accent; a '*' entry
    matches any ending and reports the story's own word; a phrase hides its parts."""
    assert sensitive_mentions(story, content.letter.sensitive_words.all()) == found


def test_an_empty_sensitive_entry_finds_nothing() -> None:
    assert sensitive_mentions("any story at all", ("*", "")) == []
    assert sensitive_mentions("mi visa", ("*", "visa")) == ["visa"]


def test_every_sensitive_word_is_found_in_a_sentence(content: Content) -> None:
    """Each word of the shipped list is found when a story uses it."""
    for word in content.letter.sensitive_words.all():
        used = word.removesuffix("*") + ("o" if word.endswith("*") else "")
        assert sensitive_mentions(f"Hola, {used}.", (word,)), word


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("story_char", ["x", "😀", "<"])
def test_longest_possible_letter_splits_into_valid_messages(
    content: Content, lang: str, story_char: str
) -> None:
    """The longest letter (1,000 emoji or HTML characters of story) becomes valid messages."""
    from html import escape, unescape

    from bot.letters import longest_letter
    from bot.render import MAX_MESSAGE, split_letter, visible_length
    from bot.telegram_html import check_html, visible_text

    letter = longest_letter(content.letter, lang, 0, 64)
    body = letter.body + "\n\n" + story_char * STORY_MAX
    header = content.text("guide.preview", lang, subject=escape(letter.subject))
    for wrap in (lambda b: b, lambda b: f"<pre>{b}</pre>"):
        messages = split_letter(header, body, wrap)
        for message in messages:
            assert check_html(message) is None
            assert visible_length(message) <= MAX_MESSAGE
        shown = "\n\n".join(visible_text(m) for m in messages)
        assert unescape(story_char * STORY_MAX) in shown.replace("\n\n", "")


def test_short_letter_is_one_message(content: Content) -> None:
    """A usual letter is one message with its header."""
    from bot.render import split_letter

    letter = render_letter(content.letter, same_choices(content, 1), "en")
    messages = split_letter("<b>Your letter</b>", letter.body, lambda b: b)
    assert len(messages) == 1 and messages[0].startswith("<b>Your letter</b>\n\n")
