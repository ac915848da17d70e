"""Letters: personal variety, placeholders, length limits, compose links, sensitive words."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest

from bot.content import Content
from bot.letters import (
    COMPOSE_URL_MAX,
    STORY_MAX,
    DraftChoices,
    compose_links,
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


def test_compose_links_prefill_everything_when_short() -> None:
    """Gmail and Outlook links carry recipient, subject and body, percent-encoded, https."""
    links = compose_links("comments@example.org", "End 287(g) & more", "Line 1\nLine 2 ñ")
    assert links.body_included
    gmail = urlparse(links.gmail)
    assert gmail.scheme == "https" and gmail.netloc == "mail.google.com"
    query = parse_qs(gmail.query)
    assert query["to"] == ["comments@example.org"]
    assert query["su"] == ["End 287(g) & more"]
    assert query["body"] == ["Line 1\nLine 2 ñ"]
    outlook = parse_qs(urlparse(links.outlook).query)
    assert outlook["subject"] == ["End 287(g) & more"] and outlook["body"] == ["Line 1\nLine 2 ñ"]


def test_compose_links_drop_a_body_that_does_not_fit() -> None:
    """A body too long for a safe link is left out; the links stay under the limit."""
    links = compose_links("a@example.org", "Subject", "é" * 2000)
    assert not links.body_included
    assert len(links.gmail) <= COMPOSE_URL_MAX and len(links.outlook) <= COMPOSE_URL_MAX
    assert "body=" not in links.gmail and "su=Subject" in links.gmail


@pytest.mark.parametrize("lang", LANGS)
def test_real_letters_fit_or_fall_back(content: Content, lang: str) -> None:
    """Every rendered letter's links are under the limit, with or without the body."""
    for seed in range(30):
        letter = render_letter(content.letter, same_choices(content, seed), lang)
        links = compose_links("x@example.org", letter.subject, letter.body)
        assert len(links.gmail) <= COMPOSE_URL_MAX and len(links.outlook) <= COMPOSE_URL_MAX


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
