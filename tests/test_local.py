"""Where I live: agreements by ZIP code or by state and county, into the letter (journey 9)."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import replace
from html import escape
from pathlib import Path
from typing import Any

import pytest

from bot.agreements import Agreement, AgreementList, Inferred, by_agency
from bot.agreements.totals import StateTotals
from bot.content import Content
from bot.local_lists import ListView, list_argument, parse_list_argument
from bot.places import Place, PlaceIndex
from bot.render import LOCAL_MAX_LINES, local_answer, local_letter_sentence, local_list_pages
from bot.telegram_html import check_html, telegram_length, visible_text
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
    """A ZIP code gives its county, the county's agreements (none here: "none on the list of
    July 18, 2025", never a bare "none"), statewide agencies, the state's total on that list
    and on ICE's newer list of June 9, 2026, and both sources with their dates."""
    await bot.send("/start")
    ask = await bot.press("Where I live")
    assert "ZIP code" in (ask.text or "") and "July 18, 2025" in (ask.text or "")
    reply = await bot.send("77002")
    text = reply.text or ""
    assert "Harris County, Texas" in text
    assert "<b>None on ICE's list of July 18, 2025</b>" in text and "not a guarantee" in text
    assert "Texas National Guard" in text
    total = content.agreements.state_total("TX")
    assert f"Texas had <b>{total:,}</b> agreements in all on ICE's list of July 18, 2025." in text
    assert (
        "On June 9, 2026 ICE listed <b>416</b> agreements in Texas; this county list may miss "
        "newer ones." in text
    )
    assert "ice.gov/287g" in text
    assert "ICE's list of June 9, 2026, as tabulated by" in text
    assert "github.com/appelson/Tracking_287g/blob/" in text


async def test_tampa_zip_code_shows_tampa_police(bot: Harness, content: Content) -> None:
    """ZIP 33602 (Tampa) shows the Hillsborough County Sheriff's Office and Tampa Police
    Department, which ICE's list gives no county for, saying it was placed from its name; and
    Florida's total of June 9, 2026."""
    await bot.send("/local")
    reply = await bot.send("33602")
    text = reply.text or ""
    assert "Hillsborough County, Florida" in text
    assert "<b>2</b> local agencies in this county take part in 287(g)" in text
    assert "<b>Hillsborough County Sheriff&#x27;s Office</b> — task force, signed" in text
    tampa = next(line for line in text.splitlines() if "Tampa Police Department" in line)
    assert "task force, signed February 28, 2025" in tampa
    assert (
        "(placed in Hillsborough County from the city in its name; ICE's list gives no county)"
        in tampa
    )
    assert "On June 9, 2026 ICE listed <b>349</b> agreements in Florida" in text


async def test_tampa_in_spanish(bot: Harness) -> None:
    """The same answer in Spanish: the county named as Spanish names it, both dates."""
    bot.language_code = "es"
    await bot.send("/local")
    text = (await bot.send("33602")).text or ""
    assert "ubicada en el condado de Hillsborough por la ciudad de su nombre" in text
    assert "En la lista de ICE del 18 de julio de 2025" in text
    assert "El 9 de junio de 2026, ICE registraba <b>349</b> acuerdos en Florida" in text


async def test_a_county_with_none_names_the_list_and_the_newer_total(bot: Harness) -> None:
    """No agreement in the county: "none on ICE's list of July 18, 2025", then the state's
    total on that list and on the newer one (in Spanish too)."""
    bot.language_code = "es"
    await bot.send("/local")
    await bot.press("CA")
    text = (await bot.send("Los Angeles")).text or ""
    assert "<b>Ninguno en la lista de ICE del 18 de julio de 2025</b>" in text
    assert "California no tenía <b>ningún</b> acuerdo en la lista de ICE del 18 de julio" in text
    assert "El 9 de junio de 2026, ICE no registraba <b>ningún</b> acuerdo en California." in text


async def test_a_state_absent_from_the_newer_totals_had_none_then(bot: Harness) -> None:
    """Maryland had agreements on the county list and none on ICE's list of June 9, 2026: the
    answer says both, precisely."""
    await bot.send("/local")
    await bot.press("MD")
    text = (await bot.send("Frederick")).text or ""
    assert "Frederick County Sheriff&#x27;s Office" in text
    assert (
        "On June 9, 2026 ICE listed <b>no</b> agreement in Maryland: those on the list of "
        "July 18, 2025 may have ended." in text
    )


async def test_the_states_whole_list_in_pages(bot: Harness, content: Content) -> None:
    """Nothing is hidden behind "and N more": the state's whole list opens from the answer, in
    pages that each fit a message, every agency on one of them; back returns to the county."""
    await bot.send("/local")
    answer = await bot.send("33602")
    assert "… and 18 more: the button below lists them all." in (answer.text or "")
    total = content.agreements.state_total("FL")
    page = await bot.press(f"Florida: the whole list ({total})")
    pages = [page.text or ""]
    assert pages[0].startswith(f"📋 <b>Florida</b>: all {total} agreements on ICE's list of")
    while "Next ▶" in bot.button_labels():
        pages.append((await bot.press("Next ▶")).text or "")
    assert len(pages) > 1 and pages[-1].endswith(f"Page {len(pages)} of {len(pages)}</i>")
    shown = "\n".join(pages)
    for a in content.agreements.in_state("FL"):
        assert escape(a.agency) in shown, a.agency
    assert "Sarasota Manatee Airport Authority Police Department" in shown  # in no county
    assert "<b>State agencies</b>" in shown
    previous = await bot.press("◀ Previous")
    assert previous.text == pages[-2]
    back = await bot.press("Back to Hillsborough County")
    assert "Tampa Police Department" in (back.text or "")


async def test_a_county_with_more_agencies_than_an_answer_shows(
    bot: Harness, content: Content
) -> None:
    """Palm Beach County has more city agencies than one answer lists: its own full list
    opens from a button, with every one of them."""
    agencies = {a.agency for a in content.agreements.in_county("FL", "Palm Beach County")}
    assert len(agencies) > LOCAL_MAX_LINES
    await bot.send("/local")
    await bot.press("FL")
    answer = await bot.send("palm beach")
    assert "Palm Beach County, Florida" in (answer.text or "")
    listed = await bot.press(f"All {len(agencies)} in this county")
    text = listed.text or ""
    assert all(escape(agency) in text for agency in agencies)
    assert "Page" not in text  # one page is enough
    again = await bot.press("Back to Palm Beach County")
    assert again.text == answer.text


@pytest.mark.parametrize(
    "data",
    [
        "local1:list:s99-fl",  # beyond the last page: the last page
        "local1:list:c1-fl-nowhere",
        "local1:list:a-zz-harris",
        "local1:list:s0-fl",
        "local1:list:a1-fl-palmbeach",
        "local1:list:x1-fl",
    ],
)
async def test_forged_or_old_list_buttons(bot: Harness, data: str) -> None:
    """A list button the bot did not make, or that names a county no longer listed, gets the
    "no longer active" notice; a page past the end shows the last page."""
    await bot.send("/start")
    reply = await bot.press_data(data)
    if data == "local1:list:s99-fl":
        assert (reply.text or "").startswith("📋 <b>Florida</b>")
        assert "Next ▶" not in bot.button_labels()
    else:
        assert "no longer active" in (reply.text or "")


async def test_state_and_county_with_a_typo_in_spanish(bot: Harness, content: Content) -> None:
    """A state button, then a misspelt county: the agreements, explained, in Spanish."""
    bot.language_code = "es"
    await bot.send("/local")
    await bot.press("TX")
    reply = await bot.send("calhon")
    text = reply.text or ""
    agreements = content.agreements.in_county("TX", "Calhoun County")
    agencies = {a.agency for a in agreements}
    assert len(agreements) > len(agencies) >= 2  # the sheriff has more than one agreement
    assert "Calhoun County, Texas" in text
    assert f"<b>{len(agencies)}</b> agencias locales de este condado participan" in text
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
    agencies = {a.agency for a in content.agreements.in_county("TX", "Calhoun County")}
    assert (
        f"according to ICE&#x27;s list of July 18, 2025, {len(agencies)} local agencies in "
        "Calhoun "
        "County, among them the Calhoun County Sheriff&#x27;s Office, have 287(g) agreements"
        in (preview.text or "")
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
    for state in content.states:
        for county in content.agreements.counties(state) or ["Nowhere County"]:
            for lang in ("en", "es"):
                text = local_answer(content, content.agreements, state, county, lang)
                assert check_html(text) is None
                assert telegram_length(visible_text(text)) <= 4096, (state, county, lang)
                assert "July 18, 2025" in text or "18 de julio de 2025" in text


def test_every_list_page_fits_and_lists_everything(content: Content) -> None:
    """Every state's whole list, in both languages: each page valid HTML within Telegram's
    limit, and together every agreement's agency, each county's heading and line once per
    county it is in."""
    for state in content.states:
        for lang in ("en", "es"):
            pages = local_list_pages(content, content.agreements, state, None, lang)
            for page in pages:
                assert check_html(page) is None
                assert telegram_length(visible_text(page)) <= 4096, (state, lang)
            shown = "\n".join(pages)
            for a in content.agreements.in_state(state):
                assert escape(a.agency) in shown, (state, a.agency)
            lines = [line for line in shown.splitlines() if line.startswith("• ")]
            expected = sum(
                max(1, len(group[0].counties)) if group[0].kind != "state" else 1
                for group in by_agency(content.agreements.in_state(state))
            )
            assert len(lines) == expected, (state, lang)


# -- the letter's sentence and the totals, from a list made for the purpose -------------------


def made_list(*agreements: Agreement) -> AgreementList:
    return AgreementList("2025-07-18", "ICE", agreements)


def county_agreement(agency: str, model: str, county: str | None = "Polk County") -> Agreement:
    return Agreement("FL", agency, "county", county, model, "2025-02-26", None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("agreements", "en", "es"),
    [
        (
            [county_agreement("Polk County Sheriff's Office", "jail")],
            "This matters where I live: according to ICE's list of July 18, 2025, the Polk "
            "County Sheriff's Office in Polk County has a 287(g) agreement with ICE that lets "
            "its officers check the immigration status of people booked into the jail.",
            "Esto me toca de cerca: según la lista de ICE del 18 de julio de 2025, la agencia "
            "Polk County Sheriff's Office, en el condado de Polk, tiene un acuerdo 287(g) con "
            "ICE que permite a sus agentes revisar el estatus migratorio de las personas "
            "fichadas en la cárcel.",
        ),
        (
            [
                county_agreement("Polk County Sheriff's Office", "task_force"),
                county_agreement("Polk County Sheriff's Office", "warrant_service"),
            ],
            "This matters where I live: according to ICE's list of July 18, 2025, the Polk "
            "County Sheriff's Office in Polk County has 287(g) agreements with ICE that let its "
            "officers question and arrest people over immigration during everyday policing and "
            "serve ICE's immigration warrants on people held in the jail.",
            "Esto me toca de cerca: según la lista de ICE del 18 de julio de 2025, la agencia "
            "Polk County Sheriff's Office, en el condado de Polk, tiene acuerdos 287(g) con ICE "
            "que permiten a sus agentes interrogar y arrestar a personas por motivos "
            "migratorios durante el trabajo policial diario y ejecutar órdenes migratorias de "
            "ICE contra personas detenidas en la cárcel.",
        ),
        (
            [
                county_agreement("Polk County Sheriff's Office", "task_force"),
                county_agreement("Polk County Sheriff's Office", "jail"),
                replace(
                    county_agreement("Lakeland Police Department", "task_force", None),
                    kind="municipality",
                    inferred=Inferred("Lakeland", ("Polk County",)),
                ),
            ],
            "This matters where I live: according to ICE's list of July 18, 2025, 2 local "
            "agencies in Polk County, among them the Polk County Sheriff's Office, have 287(g) "
            "agreements with ICE that let their officers question and arrest people over "
            "immigration during everyday policing and check the immigration status of people "
            "booked into the jail.",
            "Esto me toca de cerca: según la lista de ICE del 18 de julio de 2025, 2 agencias "
            "locales en el condado de Polk, entre ellas la agencia Polk County Sheriff's Office, "
            "tienen acuerdos 287(g) con ICE que permiten a sus agentes interrogar y arrestar a "
            "personas por motivos migratorios durante el trabajo policial diario y revisar el "
            "estatus migratorio de las personas fichadas en la cárcel.",
        ),
    ],
)
def test_the_letter_sentence_counts_agencies_names_models_and_dates_the_list(
    content: Content, agreements: list[Agreement], en: str, es: str
) -> None:
    """One agency with two agreements is one agency; the models are said in plain words; the
    list's date is given; Spanish names the county as Spanish does."""
    lst = made_list(*agreements)
    assert local_letter_sentence(content, lst, "FL", "Polk County", "en") == en
    assert local_letter_sentence(content, lst, "FL", "Polk County", "es") == es
    assert local_letter_sentence(content, lst, "FL", "Lake County", "en") is None


def test_the_newer_totals_only_when_newer(content: Content) -> None:
    """Totals of a list no newer than the county list are not shown; without totals the
    answer gives the county list's total and its source only."""
    lst = made_list(county_agreement("Polk County Sheriff's Office", "jail"))
    older = replace(
        content, totals=StateTotals("2025-07-18", "x", "https://example.org/t", {"FL": {}})
    )
    for variant in (older, replace(content, totals=None)):
        text = local_answer(variant, lst, "FL", "Polk County", "en")
        assert "Florida had <b>one</b> agreement in all on ICE's list of July 18, 2025." in text
        assert "ICE listed" not in text and "Newer total" not in text


def test_the_newer_total_of_one(content: Content) -> None:
    """Colorado: one agreement on June 9, 2026, said in words."""
    text = local_answer(content, content.agreements, "CO", "Nowhere County", "en")
    assert "On June 9, 2026 ICE listed <b>one</b> agreement in Colorado" in text


def test_list_buttons_name_their_county_and_page(content: Content) -> None:
    """A list button's argument fits Telegram's data, names its county by key (cut to fit) and
    reads back; one that names nothing the lists or the place data have reads as nothing."""
    states = set(content.states)
    long_name = "Saint Johns And Everything Beyond The River County"
    lst = made_list(county_agreement("A Sheriff's Office", "jail", long_name))
    for view, county, page in (
        ("county", long_name, 12),
        ("state", None, 3),
        ("state", long_name, 999),
        ("answer", long_name, 0),
    ):
        argument = list_argument(view, "FL", county, page)  # type: ignore[arg-type]
        assert len(argument) <= 32 and re.fullmatch(r"[a-z0-9-]+", argument)
        found = parse_list_argument(argument, lst, content.places, states)
        assert found == ListView(view, "FL", county, page), argument  # type: ignore[arg-type]
    # a county without agreements: the answer a state list returns to
    harris = list_argument("answer", "TX", "Harris County")
    assert harris == "a-tx-harris"
    assert parse_list_argument(harris, lst, content.places, states) == ListView(
        "answer", "TX", "Harris County", 0
    )
    for forged in ("c1-fl-nowhere", "c1-zz-harris", "c0-fl", "a1-fl-x", "a-fl", "c1-fl", "s1"):
        assert parse_list_argument(forged, lst, content.places, states) is None, forged
