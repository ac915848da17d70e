"""Telegram HTML validation, parsing and terminal rendering (bot.telegram_html)."""

from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.telegram_html import (
    check_html,
    html_to_terminal,
    parse_html,
    telegram_length,
    visible_text,
)

PREFIX = "Bad Request: can't parse entities: "


@pytest.mark.parametrize(
    "text",
    [
        "plain text",
        "<b>bold <i>bold italic <u>and underlined</u></i></b>",
        "<strong>s</strong><em>e</em><ins>i</ins><s>s</s><strike>s</strike><del>d</del>",
        '<span class="tg-spoiler">secret</span> <tg-spoiler>also</tg-spoiler>',
        '<a href="https://example.org/?a=1&amp;b=2">link</a>',
        "<code>x = 1</code>",
        '<pre><code class="language-python">print("hi")</code></pre>',
        "<pre>preformatted</pre>",
        "<blockquote>quoted</blockquote>",
        "<blockquote expandable>long quote</blockquote>",
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
        "<B>upper-case tags</B>",
        "a > b is fine unescaped",
        "",
    ],
)
def test_valid_html_is_accepted(text: str) -> None:
    """Every documented tag, properly nested, is valid Telegram HTML."""
    assert check_html(text) is None


def test_unknown_tag_reports_byte_offset() -> None:
    """An unsupported tag is refused with Telegram's wording and its UTF-8 byte offset."""
    assert (
        check_html("héllo <div>x</div>") == PREFIX + 'Unsupported start tag "div" at byte offset 7'
    )


def test_unclosed_tag() -> None:
    """A tag left open is refused, naming the innermost open tag."""
    assert check_html("<b>bold <i>italic</i>") == (
        PREFIX + 'Can\'t find end tag corresponding to start tag "b"'
    )


def test_misnested_tags() -> None:
    """A close tag must match the innermost open tag."""
    assert check_html("<b><i>x</b></i>") == (
        PREFIX + 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'
    )


def test_unexpected_end_tag() -> None:
    """A close tag with nothing open is refused."""
    assert check_html("x</b>") == PREFIX + "Unexpected end tag at byte offset 1"


@pytest.mark.parametrize(
    ("text", "offset"), [("a < b", 2), ("1<2", 1), ("ends with <", 10), ("<br/>", 0)]
)
def test_bare_less_than_is_refused(text: str, offset: int) -> None:
    """A '<' that does not start a valid tag is an error at its byte offset."""
    error = check_html(text)
    assert error is not None and error.startswith(PREFIX)
    assert f"byte offset {offset}" in error


@pytest.mark.parametrize("text", ["Q&A", "a & b", "&nbsp;", "&amp", "&#0;", "&#xD800;"])
def test_bare_or_unknown_ampersand_is_refused(text: str) -> None:
    """An '&' must start &lt; &gt; &amp; &quot; or a valid numeric entity."""
    error = check_html(text)
    assert error is not None and '"&"' in error


def test_entities_are_decoded() -> None:
    """Named and numeric entities decode in the visible text."""
    text = "&lt;b&gt; &amp; &quot;q&quot; &#128512; &#x1F600;"
    assert check_html(text) is None
    assert visible_text(text) == '<b> & "q" 😀 😀'


def test_span_needs_spoiler_class() -> None:
    """A span is only allowed as class="tg-spoiler"."""
    assert check_html('<span class="tg-spoiler">x</span>') is None
    assert check_html("<span>x</span>") == (
        PREFIX + 'Tag "span" must have class "tg-spoiler" at byte offset 0'
    )
    assert check_html('<span class="red">x</span>') is not None


def test_link_needs_href_and_nothing_else() -> None:
    """<a> needs href and accepts no other attribute."""
    assert check_html('<a href="tg://resolve?domain=x">x</a>') is None
    assert check_html("<a>x</a>") is not None
    assert check_html('<a href="https://x.org" target="_blank">x</a>') is not None


def test_code_language_only_inside_pre() -> None:
    """<code class="language-x"> is allowed only directly inside <pre>."""
    assert check_html('<pre><code class="language-sql">x</code></pre>') is None
    assert check_html('<code class="language-sql">x</code>') is not None
    assert check_html('<pre><code class="sql">x</code></pre>') is not None


def test_other_tags_take_no_attributes() -> None:
    """Attributes on plain formatting tags are refused."""
    assert check_html('<b class="x">x</b>') is not None
    assert check_html('<blockquote cite="x">x</blockquote>') is not None


def test_length_counts_utf16_units() -> None:
    """Telegram counts UTF-16 code units: an emoji outside the BMP counts 2."""
    assert telegram_length("abc") == 3
    assert telegram_length("😀") == 2
    assert telegram_length("ñ") == 1
    assert telegram_length(visible_text("<b>😀</b>&amp;")) == 3


def test_entities_have_utf16_offsets() -> None:
    """Parsed entities use UTF-16 offsets and Telegram's entity types."""
    parsed = parse_html(
        '😀<b>hi <i>x</i></b><pre><code class="language-py">y</code></pre>'
        '<a href="https://x.org">l</a><blockquote expandable>q</blockquote>'
    )
    assert parsed.text == "😀hi xylq"
    assert parsed.entities == [
        {"type": "bold", "offset": 2, "length": 4},
        {"type": "italic", "offset": 5, "length": 1},
        {"type": "pre", "language": "py", "offset": 6, "length": 1},
        {"type": "text_link", "url": "https://x.org", "offset": 7, "length": 1},
        {"type": "expandable_blockquote", "offset": 8, "length": 1},
    ]


def test_terminal_rendering() -> None:
    """Links show their URL, quotes get a bar, entities decode, pre keeps its content."""
    text = (
        '<b>Hi</b> <a href="https://x.org">site</a> and <a href="https://y.org">https://y.org</a>\n'
        "<blockquote>line one\nline two</blockquote>\n"
        "<pre>if a &lt; b:\n    pass</pre>"
    )
    assert html_to_terminal(text) == (
        "Hi site <https://x.org> and https://y.org\n│ line one\n│ line two\nif a < b:\n    pass"
    )


def test_terminal_rendering_of_invalid_html_shows_it_raw() -> None:
    """Invalid HTML is shown as sent rather than hidden."""
    assert html_to_terminal("a < b & c") == "a < b & c"


@given(st.text())
def test_escaped_text_is_always_valid(text: str) -> None:
    """Any text escaped with html.escape is valid and shows exactly the original text."""
    escaped = html.escape(text)
    assert check_html(escaped) is None
    assert visible_text(escaped) == text
