"""Rendering helpers that decide whether a text fits one Telegram message (bot.render)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import telegram_html
from bot.content import Content
from bot.render import (
    MAX_MESSAGE,
    check_rendered,
    fit_message,
    fits_message,
    measure,
    visible_length,
)
from bot.telegram_html import check_html, telegram_length
from tests.harness import record_calls

PIECES = st.sampled_from(
    ["<b>", "</b>", "<i>", "</i>", "&amp;", "&lt;", "&#128512;", "&bogus;", "a", "é", "😀", " "]
)


@pytest.mark.parametrize(
    ("text", "fits"),
    [
        ("a" * MAX_MESSAGE, True),
        ("a" * (MAX_MESSAGE + 1), False),
        ("😀" * (MAX_MESSAGE // 2), True),  # two UTF-16 units each
        ("😀" * (MAX_MESSAGE // 2) + "a", False),
        ("<b>" + "a" * (MAX_MESSAGE - 1) + "</b>", True),  # tags do not count
        ("&amp;" * MAX_MESSAGE, True),  # each is one character once parsed
        ("<b>" + "a" * MAX_MESSAGE, False),  # broken HTML counts as written
    ],
)
def test_fits_message_counts_what_telegram_counts(text: str, fits: bool) -> None:
    """Whether a text fits is decided on what Telegram shows, not on what is written."""
    assert fits_message(text) is fits
    assert (fit_message(text) == text) is fits


@given(st.lists(PIECES, max_size=3000).map("".join), st.integers(0, 3000))
def test_fits_message_agrees_with_the_parsed_length(html: str, padding: int) -> None:
    """The shortcut (text that fits as written fits once parsed) never changes the answer."""
    text = "x" * padding + html
    assert fits_message(text) is (visible_length(text) <= MAX_MESSAGE)


@given(st.lists(PIECES, max_size=300).map("".join))
def test_measure_is_the_length_and_the_html_problem(html: str) -> None:
    """One parse gives what :func:`visible_length` and :func:`check_html` each give; broken
    HTML counts as written."""
    length, problem = measure(html)
    assert problem == check_html(html)
    if problem is None:
        assert length == telegram_length(telegram_html.visible_text(html))
    else:
        assert length == telegram_length(html)


def test_the_render_check_parses_each_card_once(
    content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Start-up renders every card and answer in both languages: one parse each, where it
    took three (the length's check, the length, the HTML check)."""
    parsed = record_calls(monkeypatch, telegram_html, "_tokenize")
    assert check_rendered(content) == []
    cards = 2 * (len(content.facts) + len(content.answers))
    assert len(parsed) == cards
