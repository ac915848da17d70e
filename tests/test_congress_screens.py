"""Who represents me: the screens after a ZIP code, with the shipped Congress data; and the
local targets organizers add, on Where I live's answer."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.content import Content, load_content
from bot.content.models import LANGS
from bot.content.targets import ASK_MAX
from bot.render import MAX_MESSAGE, check_rendered, visible_length
from bot.telegram.app import PUBLIC_COMMANDS
from tests.harness import (
    CONTENT_DIR,
    ORGANIZER,
    Clock,
    Harness,
    db,
    make_config,
    running_bot,
)

JUNE_20 = date(2026, 6, 20)  # after the data's date, before any term in it ended


def on(bot: Harness, day: date) -> None:
    """The bot's clock stands on ``day`` (noon UTC)."""
    clock = Clock()
    clock.at(day)
    bot.storage._clock = clock


async def ask_zip(bot: Harness, zip_code: str, day: date = JUNE_20) -> str:
    on(bot, day)
    await bot.send("/congress")
    reply = await bot.send(zip_code)
    return reply.text or ""


def copy_texts(bot: Harness) -> list[str]:
    return [b["copy_text"]["text"] for b in bot.buttons() if "copy_text" in b]


def urls(bot: Harness) -> list[str]:
    return [b["url"] for b in bot.buttons() if "url" in b]


async def test_tampa_zip_code_shows_castor_and_both_senators(bot: Harness) -> None:
    text = await ask_zip(bot, "33602")
    assert "Representative <b>Kathy Castor</b> (FL-14)" in text
    assert "Senator <b>Rick Scott</b> (Florida)" in text
    assert "Senator <b>Ashley Moody</b> (Florida)" in text
    assert "☎️ Tampa office: 813-871-2817" in text  # the office in the ZIP code's city
    assert "split" not in text
    assert "Members as of June 15, 2026." in text
    assert "new Congress" not in text
    labels = bot.button_labels()
    assert [label for label in labels if label.startswith("📞")] == [
        "📞 Kathy Castor",
        "📞 Ashley Moody",
        "📞 Rick Scott",
    ]
    assert "Washington: 202-224-5274" in text  # Rick Scott's Washington office
    assert 'href="https://www.rickscott.senate.gov/contact/contact"' in text


async def test_split_zip_code_lists_each_district_and_says_whose(bot: Harness) -> None:
    text = await ask_zip(bot, "77002")
    assert (
        "Your ZIP code is split between districts TX-7, TX-18, TX-29: the one on your voter "
        "registration is yours." in text
    )
    for name, seat in (
        ("Lizzie Fletcher", "TX-7"),
        ("Christian D. Menefee", "TX-18"),
        ("Sylvia R. Garcia", "TX-29"),
    ):
        assert f"Representative <b>{name}</b> ({seat})" in text
    assert "Senator <b>John Cornyn</b>" in text and "Senator <b>Ted Cruz</b>" in text
    assert len(text) < 4096
    buttons = bot.buttons()
    assert len([b for b in buttons if b["text"].startswith("📞")]) == 5
    assert all(len(b.get("callback_data", "").encode()) <= 64 for b in buttons)


async def test_dc_shows_its_delegate_and_says_no_senators(bot: Harness) -> None:
    text = await ask_zip(bot, "20001")
    assert "Delegate <b>Eleanor Holmes Norton</b> (District of Columbia)" in text
    assert "District of Columbia has no senators" in text
    assert "Senator" not in text


async def test_spanish_screen(bot: Harness) -> None:
    bot.language_code = "es"
    text = await ask_zip(bot, "77002")
    assert "Su código postal está dividido entre los distritos TX-7, TX-18, TX-29" in text
    assert "<b>Kathy Castor</b>" not in text and "<b>Ted Cruz</b>, senador(a) (Texas)" in text
    assert "Miembros según los datos del 15 de junio de 2026." in text
    text = await ask_zip(bot, "20001")
    assert "<b>Eleanor Holmes Norton</b>, delegado(a)" in text
    assert "Distrito de Columbia no tiene senadores" in text


async def test_not_a_zip_code_asks_again_and_nothing_is_stored(bot: Harness) -> None:
    on(bot, JUNE_20)
    await bot.send("/congress")
    reply = await bot.send("Tampa please")
    assert "doesn't look like a US ZIP code" in (reply.text or "")
    reply = await bot.send("00000")
    assert "I don't know the ZIP code 00000" in (reply.text or "")
    reply = await bot.send("33602-1234")
    assert "Kathy Castor" in (reply.text or "")
    for table in ("users", "conversations", "daily_counts"):
        rows = db(bot, f"SELECT * FROM {table}")  # noqa: S608 - fixed names
        assert "33602" not in repr(rows)


async def test_menu_entry_and_deep_link_ask_for_a_zip_code(bot: Harness) -> None:
    await bot.send("/start")
    reply = await bot.press("Who represents me")
    assert "Who represents you in Congress?" in (reply.text or "")
    reply = await bot.send("/start congress--flyer-fl")
    assert "Who represents you in Congress?" in (reply.text or "")
    assert db(bot, "SELECT source FROM users") == [(None,)]  # the first link's source stays
    assert "congress" in PUBLIC_COMMANDS


async def test_where_i_live_answer_offers_the_members_in_one_tap(bot: Harness) -> None:
    on(bot, JUNE_20)
    await bot.send("/local")
    await bot.send("33602")
    reply = await bot.press("My members of Congress")
    assert "Kathy Castor" in (reply.text or "") and "Rick Scott" in (reply.text or "")


async def test_member_screen_script_phones_and_outcomes(bot: Harness) -> None:
    await ask_zip(bot, "33602")
    reply = await bot.press("Kathy Castor")
    text = reply.text or ""
    assert (
        "Hello, my name is ___ and I live in Tampa. I'm calling to ask Representative Kathy "
        "Castor to press the Department of Homeland Security to end all 287(g) agreements"
    ) in text
    assert "☎️ Washington: " in text and "☎️ Tampa office: 813-871-2817" in text
    copies = copy_texts(bot)
    assert "813-871-2817" in copies and len(copies) == 2
    assert all(url.startswith("https://") for url in urls(bot)) and urls(bot)
    await bot.press("I called")
    await bot.press("I called")
    await bot.press("No answer")
    await bot.press("All my members")
    await bot.press("Rick Scott")
    reply = await bot.press("I wrote")
    assert "Thank you for writing" in (reply.text or "")
    rows = db(bot, "SELECT member_id, chamber, outcome, count, day FROM congress_outcomes")
    assert sorted(rows) == [
        ("C001066", "house", "called", 2, "2026-06-20"),
        ("C001066", "house", "noanswer", 1, "2026-06-20"),
        ("S001217", "senate", "wrote", 1, "2026-06-20"),
    ]
    columns = [r[1] for r in db(bot, "PRAGMA table_info(congress_outcomes)")]
    assert "user_id" not in columns


async def test_letter_without_a_draft_is_short_and_offers_the_guide(bot: Harness) -> None:
    await ask_zip(bot, "33602")
    await bot.press("Rick Scott")
    reply = await bot.press("A letter to copy")
    text = reply.text or ""
    assert "Dear Senator Rick Scott," in text
    assert "press the Department of Homeland Security" in text
    assert "✍️ Write it in my own words" in bot.button_labels()


async def test_letter_carries_the_supporters_own_words(bot: Harness, content: Content) -> None:
    on(bot, JUNE_20)
    await bot.send("/comment")
    await bot.press(content.text("button.start_guide", "en"))
    await bot.press(next(iter(content.letter.roles.values())).label.get("en"))
    await bot.press(next(iter(content.letter.talking_points.values())).label.get("en"))
    await bot.press(content.text("button.next_step", "en"))
    await bot.send("My cousin was stopped twice on the way to work in Tampa.")
    await bot.send("/congress")
    await bot.send("33602")
    await bot.press("Kathy Castor")
    reply = await bot.press("A letter to copy")
    text = reply.visible_text
    assert text.index("Dear Representative Kathy Castor,") < text.index("My cousin was stopped")
    assert "Secretary" not in text


@pytest.mark.parametrize(
    "data",
    [
        "congress1:member:33602-s001217x",  # no such member
        "congress1:member:33602-c001056",  # a senator of another state
        "congress1:member:3360-c001066",
        "congress1:outcome:phoned-33602-c001066",
        "congress1:outcome:called-33602-c001056",
        "congress1:write:99999-c001066",
        "congress1:zip:3360",
        "congress1:zip:33602-1",
        "congress2:zip:33602",
    ],
)
async def test_forged_buttons_are_no_longer_active(bot: Harness, data: str) -> None:
    on(bot, JUNE_20)
    await bot.send("/start")
    reply = await bot.press_data(data)
    assert "This button is no longer active" in (reply.text or "")
    assert db(bot, "SELECT * FROM congress_outcomes") == []


async def test_after_january_3_2027_the_screen_says_a_new_congress_took_office(
    bot: Harness,
) -> None:
    text = await ask_zip(bot, "33602", date(2027, 1, 2))
    assert "new Congress" not in text
    text = await ask_zip(bot, "33602", date(2027, 1, 3))
    assert "Members as of June 15, 2026." in text
    assert "A new Congress took office on January 3, 2027; this list may be out of date." in text
    reply = await bot.press("Kathy Castor")
    assert "A new Congress took office on January 3, 2027" in (reply.text or "")
    bot.language_code, bot.user_id = "es", 2002  # a new user, who speaks Spanish
    text = await ask_zip(bot, "33602", date(2027, 2, 1))
    assert "Un nuevo Congreso asumió sus funciones el 3 de enero de 2027" in text


async def test_stats_and_export_show_outcomes_per_member(org_bot: Harness) -> None:
    bot = org_bot
    await ask_zip(bot, "33602")
    await bot.press("Kathy Castor")
    await bot.press("I called")
    await bot.press("I wrote")
    await bot.press("All my members")
    await bot.press("Rick Scott")
    await bot.press("No answer")
    bot.api.clear()
    await bot.send("/stats", user_id=ORGANIZER)
    report = next(a for a in bot.api.sent if a.method == "sendMessage").text or ""
    assert "House: called 1 · wrote 1 · no answer 0" in report
    assert "Senate: called 0 · wrote 0 · no answer 1" in report
    assert "Kathy Castor (FL-14): called 1 · wrote 1 · no answer 0" in report
    bot.api.clear()
    await bot.send("/export", user_id=ORGANIZER)
    documents = [a for a in bot.api.sent if a.method == "sendDocument"]
    assert len(documents) == 2
    data = documents[1].params["document"]
    assert isinstance(data, bytes)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["day", "member_id", "member", "chamber", "outcome", "count"]
    assert sorted(rows[1:]) == [
        ["2026-06-20", "C001066", "Kathy Castor (FL-14)", "house", "called", "1"],
        ["2026-06-20", "C001066", "Kathy Castor (FL-14)", "house", "wrote", "1"],
        ["2026-06-20", "S001217", "Rick Scott (FL)", "senate", "noanswer", "1"],
    ]
    assert str(ORGANIZER) not in data.decode() and str(bot.user_id) not in data.decode()


async def test_export_without_outcomes_sends_only_the_pledges(org_bot: Harness) -> None:
    await org_bot.send("/export", user_id=ORGANIZER)
    assert [a.method for a in org_bot.api.sent].count("sendDocument") == 1


# -- local targets on Where I live's answer ----------------------------------------------------


@pytest.fixture
async def targets_bot(tmp_path: Path) -> AsyncIterator[Harness]:
    """The bot with the shipped content and the fixture targets (tests/data/targets.yaml)."""
    directory = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, directory)
    shutil.copy(Path(__file__).parent / "data" / "targets.yaml", directory / "targets.yaml")
    content = load_content(directory, date(2026, 12, 1), render_check=check_rendered)
    async with running_bot(make_config(tmp_path, content_dir=directory), content) as harness:
        yield harness


async def test_where_i_live_shows_the_local_targets_most_local_first(targets_bot: Harness) -> None:
    bot = targets_bot
    await bot.send("/local")
    text = (await bot.send("77002")).text or ""
    council = text.index("<b>Houston City Council</b>")
    court = text.index("<b>Harris County Commissioners Court</b>")
    governor = text.index("<b>Office of the Governor of Texas</b>")
    assert text.index("Harris County, Texas") < council < court < governor
    assert "Ask the council to speak against 287(g)." in text
    assert "☎️ (713) 555-2001 ext. 4" in text
    assert '<a href="https://governor.texas.invalid/contact">' in text
    reply = await bot.press("Harris County Commissioners Court")
    assert "I ask the court to end the 287(g) agreement." in (reply.text or "")
    assert "☎️ 713-555-2000" in (reply.text or "")
    assert copy_texts(bot) == ["713-555-2000"]
    assert urls(bot) == ["https://commissioners.harris.invalid/contact"]


async def test_targets_in_spanish_and_none_elsewhere(targets_bot: Harness) -> None:
    bot = targets_bot
    bot.language_code = "es"
    await bot.send("/local")
    text = (await bot.send("33602")).text or ""
    assert "<b>Oficina del Sheriff del Condado de Hillsborough</b>" in text
    assert "Pida al sheriff que ponga fin al acuerdo." in text
    reply = await bot.press("qué decir")
    assert "Buenos días, vivo en el condado de Hillsborough." in (reply.text or "")
    await bot.send("/local")
    text = (await bot.send("55401")).text or ""  # Minneapolis: Saint Paul's council is not here
    assert "📣" not in text
    reply = await bot.press_data("local1:target:no-such-target")
    assert "Este botón ya no está activo" in (reply.text or "")


async def test_shipped_content_shows_no_targets(bot: Harness) -> None:
    await bot.send("/local")
    text = (await bot.send("77002")).text or ""
    assert "📣" not in text


async def test_targets_with_the_longest_asks_still_fit_one_answer(tmp_path: Path) -> None:
    """Three targets with asks of the longest length content allows, under a long county
    answer: the answer still fits one message, naming every target, each a button away —
    nothing is cut off with "…"."""
    directory = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, directory)
    path = directory / "targets.yaml"
    shutil.copy(Path(__file__).parent / "data" / "targets.yaml", path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for target in data["targets"]:
        target["ask"] = {lang: ("Please end 287(g). " * 40)[:ASK_MAX].strip() for lang in LANGS}
        target["url"] = "https://example.invalid/" + "a" * 900
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    content = load_content(directory, date(2026, 12, 1), render_check=check_rendered)
    async with running_bot(make_config(tmp_path, content_dir=directory), content) as bot:
        await bot.send("/local")
        reply = await bot.send("77002")
        text = reply.text or ""
        assert visible_length(text) <= MAX_MESSAGE and not text.endswith("…")
        for name in ("Houston City Council", "Harris County Commissioners Court"):
            assert f"<b>{name}</b>" in text
            assert any(name in label for label in bot.button_labels())
        assert "Please end 287(g)." not in text  # the asks are one tap away, on each screen
