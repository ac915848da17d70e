"""The one rule set for stored free text: first names, the sender's own words, the signature."""

from __future__ import annotations

import pytest

from bot.content import Content
from bot.freetext import check_free_text
from bot.letters import STORY_MAX
from bot.pledges import NAME_MAX
from tests.harness import Harness, db, to_story

ZERO_WIDTH_ONLY = (
    "\u200b",  # zero-width space
    "\u200b\u200c\u200d",  # … with a non-joiner and a joiner
    " \ufeff \u2060 ",  # byte order mark and word joiner between spaces
    "\u3164",  # Hangul filler: a "letter" that shows as nothing
    "\u2800\u2800",  # braille blank
    "\u200e\u200f",  # direction marks alone
    "\u0301\u0301",  # combining accents with nothing to sit on
)
BIDI = (
    "\u202eevE",  # right-to-left override
    "Ana\u202d",  # left-to-right override
    "\u202bAna\u202c",  # embedding and its pop
    "\u2066Ana\u2069",  # left-to-right isolate
    "A\u2067na",  # right-to-left isolate
    "\u2068Ana",  # first-strong isolate
)


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Ana", "Ana"),
        ("  María José  ", "María José"),
        ("Ana \n\t Lucía", "Ana Lucía"),  # white space of any kind is folded
        ("李小龙", "李小龙"),
        ("محمد", "محمد"),
        ("\u200fمحمد", "\u200fمحمد"),  # a right-to-left mark is fine
        ("<b>Eve</b> & co", "<b>Eve</b> & co"),
        ("Zoë 👩‍🦱", "Zoë 👩‍🦱"),  # the zero-width joiner inside an emoji is fine
        ("می\u200cخواهم", "می\u200cخواهم"),  # Persian needs the zero-width non-joiner
        ("x" * NAME_MAX, "x" * NAME_MAX),
    ],
)
def test_acceptable_single_line_text(typed: str, name: str) -> None:
    """Names in any script, with HTML, emoji or joiners, up to the limit, are kept as typed."""
    assert check_free_text(typed, NAME_MAX).text == name


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", "empty"),
        ("     ", "empty"),
        ("\n\t ", "empty"),
        *((text, "empty") for text in ZERO_WIDTH_ONLY),
        ("x" * 5000, "too_long"),
        ("Ana\x00", "invalid"),
        ("Ana\x1b[31m", "invalid"),
        *((text, "invalid") for text in BIDI),
    ],
)
@pytest.mark.parametrize("multiline", [False, True])
def test_refused_text(typed: str, problem: str, multiline: bool) -> None:
    """Empty, invisible, over-long, control and bidi-override text is refused, with the reason,
    in one-line fields and multi-line ones alike."""
    limit = NAME_MAX if not multiline else 1000
    if problem == "too_long":
        typed = "x" * (limit + 1)
    check = check_free_text(typed, limit, multiline=multiline)
    assert check.text is None and check.problem == problem


def test_too_long_reports_its_length() -> None:
    """An over-long text reports its length, so the reply can show it."""
    assert check_free_text("y" * 5000, NAME_MAX).length == 5000


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("two\nlines\tand tab", True),
        ("😀😀😀", True),
        ("x" * STORY_MAX, True),
        ("  spaced  out  ", True),
    ],
)
def test_multiline_text_is_kept_unchanged(typed: str, kept: bool) -> None:
    """The sender's own words keep their line breaks, tabs and spaces exactly."""
    assert check_free_text(typed, STORY_MAX, multiline=True).text == typed


# -- the same answer in every place that stores free text -----------------------------------------


STORED = {  # field: the SQL of what it stores
    "pledge name": "SELECT first_name FROM pledges",
    "story": "SELECT story FROM drafts",
    "sign name": "SELECT sign_name FROM drafts",
    "sign place": "SELECT sign_place FROM drafts",
}
HIDDEN = {"en": "hidden or control characters", "es": "caracteres ocultos o de control"}
EMPTY = {"en": "looks empty", "es": "Parece vacío"}


async def reach_field(bot: Harness, content: Content, field: str) -> None:
    if field == "pledge name":
        await bot.send("/pledge")
        await bot.press_data("pledge1:take")
        return
    await to_story(bot, content)
    if field in ("sign name", "sign place"):
        await bot.press_data("guide1:skip:story")
    if field == "sign place":
        await bot.press_data("guide1:skip:name")


@pytest.mark.parametrize("field", sorted(STORED))
@pytest.mark.parametrize("lang", ["en", "es"])
async def test_bidi_override_is_refused_everywhere(
    bot: Harness, content: Content, field: str, lang: str
) -> None:
    """A right-to-left override is refused in every stored field, with a clear message in the
    user's language, and nothing is stored."""
    bot.language_code = lang
    await reach_field(bot, content, field)
    sql = STORED[field]
    reply = await bot.send("\u202eevE")
    assert HIDDEN[lang] in (reply.text or "")
    assert db(bot, sql) in ([], [(None,)])
    # The question stays open: a clean answer is taken.
    await bot.send("Eve")
    assert db(bot, sql) == [("Eve",)]


@pytest.mark.parametrize("field", sorted(STORED))
@pytest.mark.parametrize("lang", ["en", "es"])
async def test_zero_width_only_text_is_refused_everywhere(
    bot: Harness, content: Content, field: str, lang: str
) -> None:
    """Text made only of zero-width characters is refused as empty in every stored field."""
    bot.language_code = lang
    await reach_field(bot, content, field)
    sql = STORED[field]
    reply = await bot.send("\u200b\u200d")
    assert EMPTY[lang] in (reply.text or "")
    assert db(bot, sql) in ([], [(None,)])
