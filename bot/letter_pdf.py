"""Letters as PDF documents: the batch the campaign hands to the office, and a supporter's own
letter, ready to print and post.

- :func:`batch_pdf` — a cover page (the campaign, how many letters, the dates they were written
  between), then one letter per page: dated, addressed to the office, subject, text, and its
  reference in the footer (the ``letter`` column of the CSV manifest).
- :func:`postal_pdf` — the supporter's own letter: date, the office's postal address, subject,
  text, the sign-off, a line to sign on by hand, then their name and place.

Both come in US Letter or A4. Names and words in any script the fonts cover render: the text
font (Noto Sans: Latin, Vietnamese, Greek, Cyrillic) falls back to Noto Sans Arabic (shaped,
right to left) and Noto Sans SC (Chinese, Japanese kana), all OFL fonts installed from PyPI
with the bot; a fallback font is embedded only when the text needs it, as a subset. A
character no font has (emoji, Korean Hangul) is printed as "�", never dropped silently: see
:func:`uncovered`. fpdf2 and the fonts are imported only when a PDF is made, so the bot's
start-up never loads them. Nothing here knows about Telegram.
"""

from __future__ import annotations

import functools
import logging
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

from bot.content.models import LetterContent
from bot.deliveries import CampaignLetter, languages
from bot.letters import Letter

if TYPE_CHECKING:
    from fpdf import FPDF

PAPERS: Final = {"letter": "Letter", "a4": "A4"}  # --paper value → fpdf2's page format
REPLACEMENT: Final = "\ufffd"  # what a character no font has becomes
MARGIN_MM: Final = 25.0
TEXT_PT: Final = 11.0
LINE_MM: Final = 5.6
SIGNATURE_LINE_MM: Final = 70.0


@dataclass(frozen=True, slots=True)
class BatchPdf:
    """A batch as one PDF, and the page each letter starts on (for the manifest)."""

    data: bytes
    pages: tuple[int, ...]


# -- fonts ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Font:
    name: str
    path: Path  # a variable font is used at its default instance, Regular: another instance
    # (bold) takes fontTools seconds per PDF, so titles stand out by size instead


@functools.lru_cache(maxsize=1)
def _fonts() -> tuple[_Font, ...]:
    """The text font first, then its fallbacks, in the order they are tried."""
    import fontpkg_noto_sans
    import fontpkg_noto_sans_arabic
    import pylopdf_fonts_zh_cn

    arabic = fontpkg_noto_sans_arabic.ROOT / "files" / "NotoSansArabic[wdth,wght].ttf"
    return (
        _Font("text", fontpkg_noto_sans.ROOT / "files" / "NotoSans[wdth,wght].ttf"),
        _Font("arabic", arabic),
        _Font("cjk", pylopdf_fonts_zh_cn.sans_path()),
    )


@functools.lru_cache(maxsize=8)
def _coverage(path: Path) -> frozenset[int]:
    """The code points a font file has a glyph for."""
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap())


def _covered(char: str) -> bool:
    """Whether a font has ``char`` (spaces and invisible format characters need none)."""
    if unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp"):
        return True
    return any(ord(char) in _coverage(font.path) for font in _fonts())


def uncovered(text: str) -> list[str]:
    """The characters of ``text`` that no font has (each once, in order): they print as "�"."""
    found: list[str] = []
    for char in text:
        if char not in found and not _covered(char):
            found.append(char)
    return found


def printable(text: str) -> str:
    """``text`` with each run of characters no font has replaced by one "�"."""
    out: list[str] = []
    for char in text:
        if _covered(char):
            out.append(char)
        elif not out or out[-1] != REPLACEMENT:
            out.append(REPLACEMENT)
    return "".join(out)


def _needs_shaping(text: str) -> bool:
    """Right-to-left or joined scripts (Arabic) must go through the shaping engine."""
    return any(unicodedata.bidirectional(char) in ("R", "AL") for char in text)


class _Document:
    """An fpdf2 document with the fonts ``text`` needs, and the few layout steps letters use."""

    def __init__(self, paper: str, text: str) -> None:
        from fpdf import FPDF

        # fpdf2 names missing glyphs in its warnings: the characters of a supporter's letter.
        logging.getLogger("fpdf").setLevel(logging.ERROR)
        if paper not in PAPERS:
            raise ValueError(f"paper: {paper!r} is not one of {', '.join(PAPERS)}")
        pdf: FPDF = FPDF(format=PAPERS[paper], unit="mm")
        pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
        pdf.set_auto_page_break(True, margin=MARGIN_MM)
        pdf.set_creator("outreach-bot")
        missing = {ord(char) for char in text}
        fallbacks = []
        for font in _fonts():
            if font.name != "text" and not missing & _coverage(font.path):
                continue  # a fallback is embedded only when the text needs it
            missing -= _coverage(font.path)
            pdf.add_font(font.name, "", str(font.path))
            if font.name != "text":
                fallbacks.append(font.name)
        pdf.set_fallback_fonts(fallbacks)
        self.pdf = pdf

    def paragraph(self, text: str, size: float = TEXT_PT, align: str = "L", gap: float = 0) -> None:
        pdf = self.pdf
        pdf.set_font("text", "", size)
        shaped = _needs_shaping(text)
        if shaped:
            pdf.set_text_shaping(True)
        line = LINE_MM * size / TEXT_PT
        pdf.multi_cell(0, line, printable(text), align=align, new_x="LMARGIN", new_y="NEXT")
        if shaped:
            pdf.set_text_shaping(False)
        if gap:
            pdf.ln(gap)

    def signature_line(self) -> None:
        pdf = self.pdf
        pdf.ln(14)
        y = pdf.get_y()
        pdf.set_draw_color(60, 60, 60)
        pdf.set_line_width(0.3)
        pdf.line(pdf.l_margin, y, pdf.l_margin + SIGNATURE_LINE_MM, y)
        pdf.ln(2)

    def footer(self, text: str) -> None:
        """A small grey line at the bottom of the current page."""
        pdf = self.pdf
        pdf.set_auto_page_break(False)
        y = pdf.get_y()
        pdf.set_xy(pdf.l_margin, pdf.h - MARGIN_MM / 2)
        pdf.set_font("text", "", 8)
        pdf.set_text_color(110, 110, 110)
        pdf.cell(0, 4, printable(text), align="R")
        pdf.set_text_color(0, 0, 0)
        pdf.set_xy(pdf.l_margin, y)
        pdf.set_auto_page_break(True, margin=MARGIN_MM)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


# -- the documents --------------------------------------------------------------------------------


def _date(day: date, lang: str) -> str:
    from bot.render import format_date  # dates are written the same everywhere

    return format_date(day.isoformat(), lang)


def _address(letters: LetterContent, lang: str) -> list[str]:
    """The office's postal address, or who receives the campaign's letters when there is none."""
    if letters.channels.postal_address:
        return list(letters.channels.postal_address)
    campaign = letters.channels.campaign
    return [campaign.to.get(lang)] if campaign else [letters.office.get(lang)]


def _letter_page(
    doc: _Document, letters: LetterContent, lang: str, day: date, subject: str, body: str
) -> None:
    """Date, address, subject and text of one letter from the current position."""
    doc.paragraph(_date(day, lang), align="R", gap=6)
    doc.paragraph("\n".join(_address(letters, lang)), gap=8)
    doc.paragraph(f"Re: {subject}", size=12, gap=5)
    for paragraph in body.split("\n\n"):
        doc.paragraph(paragraph, gap=3)


def _day(timestamp: int) -> date:
    return datetime.fromtimestamp(timestamp, UTC).date()


def batch_pdf(
    letters: LetterContent,
    campaign_name: dict[str, str],
    batch: Sequence[CampaignLetter],
    paper: str = "letter",
) -> BatchPdf:
    """The PDF organizers print for a batch: the cover page, then one letter per page (a letter
    longer than a page goes on, and the next starts on a new page).

    ``campaign_name`` is the campaign's name per language. The cover is written in English,
    then in each other language of the batch's letters, from ``channels.campaign`` in content.
    """
    campaign = letters.channels.campaign
    if campaign is None:
        raise ValueError("the content does not let the campaign deliver letters")
    held = [letter for letter in batch if letter.body is not None and letter.subject is not None]
    everything = "".join(f"{x.subject}{x.body}" for x in held)
    doc = _Document(paper, everything + "".join(campaign_name.values()) + _cover_text(letters))
    pdf = doc.pdf
    pdf.add_page()
    first = _day(min((x.consent_at for x in held), default=0))
    last = _day(max((x.consent_at for x in held), default=0))
    cover_languages = ["en", *(lang for lang in languages(held) if lang != "en")]
    for index, lang in enumerate(cover_languages):
        values = {
            "count": f"{len(held):,}",
            "first": _date(first, lang),
            "last": _date(last, lang),
            "campaign": campaign_name.get(lang, campaign_name.get("en", "")),
            "office": letters.office.get(lang),
        }
        if index:
            pdf.ln(10)
        doc.paragraph(values["campaign"], size=13, gap=4)
        doc.paragraph(_fill(campaign.cover_title.get(lang), values), size=20, gap=6)
        doc.paragraph(_fill(campaign.cover.get(lang), values), gap=2)
    pages = []
    for letter in held:
        pdf.add_page()
        pages.append(pdf.page_no())
        assert letter.subject is not None and letter.body is not None
        _letter_page(
            doc, letters, letter.language, _day(letter.consent_at), letter.subject, letter.body
        )
        doc.footer(f"#{letter.id}")
    return BatchPdf(doc.output(), tuple(pages))


def _cover_text(letters: LetterContent) -> str:
    campaign = letters.channels.campaign
    if campaign is None:
        return ""
    return "".join(
        part.get(lang) for part in (campaign.cover, campaign.cover_title) for lang in ("en", "es")
    )


def _fill(template: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        template = template.replace("{" + name + "}", value)
    return template


def postal_pdf(
    letters: LetterContent, letter: Letter, lang: str, today: date, paper: str = "letter"
) -> bytes:
    """A supporter's own letter, ready to print, sign by hand and post: date, the office's
    postal address, subject, text, the sign-off, a line to sign on, then the name and place."""
    body, _, signature = letter.body.rpartition("\n\n")
    if not body:  # not a letter from render_letter: no signature block to set apart
        body, signature = letter.body, ""
    signoff, *signer = signature.split("\n")
    doc = _Document(paper, letter.subject + letter.body)
    doc.pdf.add_page()
    _letter_page(doc, letters, lang, today, letter.subject, body)
    if signoff:
        doc.paragraph(signoff)
    doc.signature_line()
    for line in signer:
        doc.paragraph(line)
    return doc.output()
