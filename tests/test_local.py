"""Where I live: agreements by ZIP code or by state and county, into the letter (journey 9)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.content import Content
from bot.places import Place, PlaceIndex
from tests.harness import Harness, make_config, start_harness, stop_harness

ORG = 616161


def db_text(bot: Harness) -> str:
    """Every value in every table, as one text (to check what is stored)."""
    out = []
    with sqlite3.connect(bot.app.bot_data.config.db_path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 - schema names
                out.append(" ".join(str(v) for v in row))
    return "\n".join(out)


async def test_zip_code_answer(bot: Harness, content: Content) -> None:
    """A ZIP code gives its county, the county's agreements (none here), statewide agencies,
    the state's total and the list's date and source."""
    await bot.send("/start")
    ask = await bot.press("Where I live")
    assert "ZIP code" in (ask.text or "") and "July 18, 2025" in (ask.text or "")
    reply = await bot.send("77002")
    text = reply.text or ""
    assert "Harris County, Texas" in text
    assert "no agreement" in text and "not a guarantee" in text
    assert "Texas National Guard" in text
    total = content.agreements.state_total("TX")
    assert f"<b>{total:,}</b> agreements in all" in text
    assert "July 18, 2025" in text and "ice.gov/287g" in text


async def test_state_and_county_with_a_typo_in_spanish(bot: Harness, content: Content) -> None:
    """A state button, then a misspelt county: the agreements, explained, in Spanish."""
    bot.language_code = "es"
    await bot.send("/local")
    await bot.press("TX")
    reply = await bot.send("calhon")
    text = reply.text or ""
    agreements = content.agreements.in_county("TX", "Calhoun County")
    assert len(agreements) >= 2
    assert "Calhoun County, Texas" in text
    assert f"<b>{len(agreements)}</b> acuerdo(s)" in text
    assert "firmado el" in text and "18 de julio de 2025" in text
    assert any(content.text(f"local.model_{a.model}", "es") in text for a in agreements)


async def test_city_name_finds_its_county(bot: Harness) -> None:
    """A city name in the chosen state finds its county."""
    await bot.send("/local")
    await bot.press("TX")
    reply = await bot.send("Houston")
    assert "Harris County, Texas" in (reply.text or "")


async def test_state_typed_instead_of_a_zip(bot: Harness) -> None:
    """Typing a state's name where a ZIP is expected asks for the county."""
    await bot.send("/local")
    reply = await bot.send("Tejas")
    assert "Which county or city in Texas?" in (reply.text or "")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("7700", "doesn't look like a US ZIP"),
        ("abcde", "doesn't look like a US ZIP"),
        ("SW1A 1AA", "doesn't look like a US ZIP"),
        ("770021", "doesn't look like a US ZIP"),
        ("00000", "I don't know the ZIP code 00000"),
        ("<b>", "doesn't look like a US ZIP"),
    ],
)
async def test_bad_zip_codes(bot: Harness, typed: str, expected: str) -> None:
    """Invalid, unknown and non-US input gets a clear reply, and the question stays open."""
    await bot.send("/local")
    reply = await bot.send(typed)
    assert expected in (reply.text or "")
    again = await bot.send("77002")
    assert "Harris County" in (again.text or "")


async def test_unknown_county(bot: Harness) -> None:
    """A county that does not exist in the state is said so, named back escaped."""
    await bot.send("/local")
    await bot.press("TX")
    reply = await bot.send("<Narnia>")
    assert "couldn't find a county or city called “&lt;Narnia&gt;” in Texas" in (reply.text or "")


async def test_zip_spanning_counties_asks_which(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ZIP code in several counties asks which one, with a button for each."""
    two = [Place("GA", "Fulton County", "Duluth"), Place("GA", "Gwinnett County", "Duluth")]

    def fake(index: PlaceIndex, text: str) -> list[Place] | None:
        return two if text.strip().startswith("30097") else None

    monkeypatch.setattr(PlaceIndex, "places_for_zip", fake)
    await bot.send("/local")
    ask = await bot.send("30097")
    assert "spans more than one county" in (ask.text or "")
    answer = await bot.press("Gwinnett County, GA")
    assert "Gwinnett County, Georgia" in (answer.text or "")


async def test_county_goes_into_the_letter(bot: Harness, content: Content) -> None:
    """ "Name my county in my letter" adds one sentence about its agreements to the letter."""
    await bot.send("/local")
    await bot.press("TX")
    await bot.send("Calhoun")
    intro = await bot.press("Name my county in my letter")
    assert "Send your comment to" in (intro.text or "")
    await bot.press("Start")
    await bot.press(next(iter(content.letter.roles.values())).label.en)
    await bot.press(next(iter(content.letter.talking_points.values())).label.en)
    await bot.press("Next ▶")
    await bot.press("Skip")
    await bot.press("Skip")
    preview = await bot.press("Skip")
    count = len(content.agreements.in_county("TX", "Calhoun County"))
    assert f"in Calhoun County, {count} local agencies have 287(g) agreements" in (
        preview.text or ""
    )
    without = await bot.press("Leave my county out")
    assert "Calhoun County" not in (without.text or "")
    with sqlite3.connect(bot.app.bot_data.config.db_path) as conn:
        assert conn.execute("SELECT local_state, local_county FROM drafts").fetchall() == [
            (None, None)
        ]


async def test_nothing_is_stored_without_the_letter(bot: Harness) -> None:
    """A lookup stores neither the ZIP nor the county; only an aggregate count per state."""
    await bot.send("/local")
    await bot.send("77002")
    stored = db_text(bot)
    assert "77002" not in stored and "Harris" not in stored
    with sqlite3.connect(bot.app.bot_data.config.db_path) as conn:
        rows = conn.execute("SELECT event, source FROM daily_counts WHERE event LIKE 'lookup:%'")
        assert rows.fetchall() == [("lookup:TX", "")]


async def test_forget_removes_the_county_with_the_draft(bot: Harness) -> None:
    """/forget deletes the draft and the county in it."""
    await bot.send("/local")
    await bot.press("TX")
    await bot.send("Calhoun")
    await bot.press("Name my county in my letter")
    assert "Calhoun" in db_text(bot)
    await bot.send("/forget")
    await bot.press("Yes, delete everything")
    assert "Calhoun" not in db_text(bot)


async def test_deep_link_to_local(bot: Harness) -> None:
    """A `local` deep link opens the ZIP question."""
    await bot.send("/start local--flyer-tx")
    assert "Send your 5-digit ZIP code" in (bot.last().text or "")


async def test_organizers_see_lookups_per_state(tmp_path: Path, content: Content) -> None:
    """/stats counts lookups per state, with no user attached."""
    bot = await start_harness(make_config(tmp_path, organizers=frozenset({ORG})), content)
    try:
        await bot.send("/local", user_id=1)
        await bot.send("77002", user_id=1)
        await bot.send("/stats", user_id=ORG)
        report: Any = next(
            a.text for a in bot.api.sent if a.chat_id == ORG and a.method == "sendMessage"
        )
        assert "“Where I live” answers by state" in report and "TX 1" in report
    finally:
        await stop_harness(bot)


def test_every_answer_fits_one_message(content: Content) -> None:
    """For every county of every state, in both languages, the answer is valid and fits."""
    from bot.render import local_answer
    from bot.telegram_html import check_html, telegram_length, visible_text

    for state in content.states:
        for county in content.agreements.counties(state) or ["Nowhere County"]:
            for lang in ("en", "es"):
                text = local_answer(content, content.agreements, state, county, lang)
                assert check_html(text) is None
                assert telegram_length(visible_text(text)) <= 4096, (state, county, lang)
                assert "July 18, 2025" in text or "18 de julio de 2025" in text
