"""Letters as PDF (bot/letter_pdf.py): the supporter's postal letter and the campaign's batch,
read back with pypdf — their text, page sizes, and the glyphs of every name actually embedded."""

from __future__ import annotations

import io
import logging
import re
import subprocess
import sys
from datetime import date

import pytest
from pypdf import PdfReader

from bot.content import Content
from bot.deliveries import CampaignLetter, export_batch
from bot.letter_pdf import REPLACEMENT, batch_pdf, postal_pdf, printable, uncovered
from bot.letters import Letter, render_letter
from bot.storage import Storage
from tests.harness import REPO, Clock, letter_choices, queue_sample_letter

NAMES = ("José Núñez", "Nguyễn Thị Hà", "李小龙", "Анна Иванова", "محمد علي")
SIZES = {"letter": (612, 792), "a4": (595, 842)}  # points
DAY = date(2026, 11, 27)


def letter_for(content: Content, lang: str = "en", **changes: str | None) -> Letter:
    choices = letter_choices(content, 5, **({"sign_name": "Ana López"} | changes))
    return render_letter(content.letter, choices, lang)


def text_of(data: bytes) -> list[str]:
    """The text of each page. pypdf reads the two-byte codes of a CFF (Chinese) font as two
    characters, the first a NUL: it is dropped here."""
    reader = PdfReader(io.BytesIO(data))
    return [(page.extract_text() or "").replace("\x00", "") for page in reader.pages]


def embedded_characters(data: bytes) -> dict[str, set[str]]:
    """Per embedded font (its name without the subset tag), the characters it has glyphs for in
    this PDF: the targets of its ToUnicode map, code 0 (.notdef) excluded."""
    found: dict[str, set[str]] = {}
    for page in PdfReader(io.BytesIO(data)).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor or "/FontFile3" in descriptor, "embedded"
            name = str(font["/BaseFont"]).split("+", 1)[-1]
            cmap = font["/ToUnicode"].get_object().get_data().decode("ascii")
            chars = found.setdefault(name, set())
            for code, target in re.findall(r"<([0-9A-F]+)>\s*<([0-9A-F]+)>", cmap):
                if int(code, 16) and len(target) % 4 == 0:
                    units = bytes.fromhex(target).decode("utf-16-be")
                    chars.update(units)
    return found


def page_sizes(data: bytes) -> set[tuple[int, int]]:
    reader = PdfReader(io.BytesIO(data))
    return {(round(p.mediabox.width), round(p.mediabox.height)) for p in reader.pages}


# -- the postal letter ----------------------------------------------------------------------------


@pytest.mark.parametrize("paper", ["letter", "a4"])
@pytest.mark.parametrize("lang", ["en", "es"])
def test_postal_letter_is_ready_to_print(content: Content, lang: str, paper: str) -> None:
    """Date, the office's postal address, subject, every paragraph, the sign-off, a line to
    sign on by hand, then the name and place — on US Letter or A4."""
    letter = letter_for(content, lang)
    data = postal_pdf(content.letter, letter, lang, DAY, paper)
    assert data.startswith(b"%PDF-") and page_sizes(data) == {SIZES[paper]}
    text = "\n".join(text_of(data))
    flat = " ".join(text.split())
    date_text = "27 de noviembre de 2026" if lang == "es" else "November 27, 2026"
    assert text.index(date_text) < text.index("Washington, DC 20528") < text.index("Re: ")
    assert "U.S. Department of Homeland Security" in text
    assert f"Re: {letter.subject}" in flat
    for paragraph in letter.body.split("\n\n")[:-1]:
        assert " ".join(paragraph.split()) in flat
    signoff = letter.body.rsplit("\n\n", 1)[1].split("\n")[0]
    assert text.index(signoff) < text.index("Ana López") < text.index("Austin, TX")
    content_stream = PdfReader(io.BytesIO(data)).pages[-1].get_contents()
    assert content_stream is not None
    assert re.search(rb"[\d.]+ [\d.]+ m [\d.]+ [\d.]+ l S", content_stream.get_data()), "a line"


@pytest.mark.parametrize("name", NAMES)
def test_names_in_any_script_are_drawn(content: Content, name: str) -> None:
    """Each name's every character has a real glyph in a font embedded in the PDF, and reads
    back as typed (Arabic is shaped right to left, so only its glyphs are checked)."""
    letter = letter_for(content, sign_name=name, sign_place=name)
    data = postal_pdf(content.letter, letter, "en", DAY)
    fonts = embedded_characters(data)
    drawn = set().union(*fonts.values())
    assert set(name.replace(" ", "")) <= drawn, set(name) - drawn
    if name == "محمد علي":
        assert "NotoSansArabic" in fonts
    else:
        assert name in text_of(data)[-1]


def test_fallback_fonts_are_embedded_only_when_needed(content: Content) -> None:
    """A letter in Latin script embeds the text font alone; Chinese brings its font in."""
    latin = postal_pdf(content.letter, letter_for(content, "es"), "es", DAY)
    assert set(embedded_characters(latin)) == {"NotoSans"}
    chinese = postal_pdf(content.letter, letter_for(content, sign_name="李小龙"), "en", DAY)
    assert set(embedded_characters(chinese)) == {"NotoSans", "NotoSansSC"}
    assert len(latin) < 60_000


def test_characters_no_font_has_are_marked_not_dropped(
    content: Content, caplog: pytest.LogCaptureFixture
) -> None:
    """Emoji and Korean, which no bundled font has, print as "�" (one per run), are listed by
    uncovered(), and never reach a log."""
    story = "We love 😀👍🏽 this town, 김민준 says."
    assert uncovered(story)[:2] == ["😀", "👍"] and "김" in uncovered(story)
    assert printable(story) == f"We love {REPLACEMENT} this town, {REPLACEMENT} says."
    with caplog.at_level(logging.DEBUG):
        data = postal_pdf(content.letter, letter_for(content, story=story), "en", DAY)
    assert f"We love {REPLACEMENT} this town, {REPLACEMENT} says." in " ".join(
        "\n".join(text_of(data)).split()
    )
    assert not [r for r in caplog.records if "김" in r.getMessage() or "😀" in r.getMessage()]


def test_pdf_libraries_stay_out_of_the_start_path() -> None:
    """Starting the bot (the application, the CLI, deliveries and the PDF module themselves)
    imports neither fpdf2 nor fontTools: they load when a PDF is made."""
    probe = (
        "import sys, bot.cli, bot.telegram.app, bot.deliveries, bot.letter_pdf;"
        "print(sorted(m for m in ('fpdf', 'fontTools', 'uharfbuzz') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert result.stdout.strip() == "[]"


# -- the batch ------------------------------------------------------------------------------------


async def queued_batch(storage: Storage, content: Content, clock: Clock) -> list[CampaignLetter]:
    for user_id, lang, name in ((1, "en", "José Núñez"), (2, "es", "李小龙"), (3, "en", None)):
        story = f"Story number {user_id}."
        reasons = tuple(content.letter.talking_points)[:1]
        queued = await queue_sample_letter(
            storage, content, user_id, lang, story=story, sign_name=name, reasons=reasons
        )
        assert queued.result == "queued"
        clock.advance(2)
    exported = await export_batch(storage)
    assert exported is not None
    return exported[1]


@pytest.mark.parametrize("paper", ["letter", "a4"])
async def test_batch_pdf_has_a_cover_then_one_letter_per_page(
    storage: Storage, content: Content, clock: Clock, paper: str
) -> None:
    """The cover names the campaign, the count and the dates the letters were written
    between, in English and in Spanish (the batch has a Spanish letter); then each letter on
    its own page: dated in its language, addressed to the office, subject, text, reference."""
    letters = await queued_batch(storage, content, clock)
    name = {"en": content.campaign.name.en, "es": content.campaign.name.es}
    pdf = batch_pdf(content.letter, name, letters, paper)
    assert pdf.pages == (2, 3, 4)
    assert page_sizes(pdf.data) == {SIZES[paper]}
    pages = text_of(pdf.data)
    assert len(pages) == 4
    cover = " ".join(pages[0].split())
    assert content.campaign.name.en in cover and "Comments to the Secretary" in cover
    assert "3 letters" in cover and "May 15, 2026 and May 19, 2026" in cover
    assert "3 cartas" in cover and "entre el 15 de mayo de 2026 y el 19 de mayo de 2026" in cover
    for page, letter in zip(pages[1:], letters, strict=True):
        flat = " ".join(page.split())
        assert letter.subject is not None and letter.body is not None
        assert f"Re: {' '.join(letter.subject.split())}" in flat
        assert "Washington, DC 20528" in page and f"#{letter.id}" in page
        assert f"Story number {letter.user_id}." in page
        when = "de mayo de 2026" if letter.language == "es" else "May "
        assert when in page
    assert "李小龙" in pages[2] and "José Núñez" in pages[1]


async def test_batch_pdf_needs_the_campaign_channel(
    storage: Storage, content: Content, clock: Clock
) -> None:
    """Content without channels.campaign cannot make a batch."""
    from dataclasses import replace

    letters = await queued_batch(storage, content, clock)
    off = replace(content.letter, channels=replace(content.letter.channels, campaign=None))
    with pytest.raises(ValueError, match="does not let the campaign deliver"):
        batch_pdf(off, {"en": "x"}, letters)
