"""Flyer QR codes: they scan back to exactly the link, at a printable size."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from bot.deeplinks import build_payload, deep_link
from bot.qr import MIN_WIDTH_PX, qr_png

LONGEST_LINK = deep_link("b" * 29 + "bot", "fact-what-is-287g--" + "s" * 45)
LINKS = [
    deep_link("outreach_bot", None),
    deep_link("outreach_bot", "flyer-mn"),
    deep_link("End287gBot", build_payload("flyer-mn", "pledge")),
    deep_link("End287gBot", build_payload("ig_story-2025", fact_id="what-is-287g")),
    deep_link("outreach_bot", "Z" * 64),
    LONGEST_LINK,
]
QR_M_BYTE_CAPACITY = 2331  # version 40 at level M, byte mode


def image(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png))


def decode(png: bytes) -> list[zxingcpp.Barcode]:
    return list(zxingcpp.read_barcodes(image(png)))


def test_longest_link_is_really_the_longest() -> None:
    """The longest test link has a 32-character username and a 64-character payload."""
    assert len(LONGEST_LINK) == len("https://t.me/") + 32 + len("?start=") + 64


@pytest.mark.parametrize("link", LINKS)
def test_decodes_to_exactly_the_link(link: str) -> None:
    """A real decoder reads exactly one QR code holding exactly the link."""
    (barcode,) = decode(qr_png(link))
    assert barcode.format == zxingcpp.BarcodeFormat.QRCode
    assert barcode.text == link


@pytest.mark.parametrize("link", LINKS)
def test_error_correction_is_at_least_m(link: str) -> None:
    """The code can lose at least 15% of its modules to smudges and folds (level M or better)."""
    (barcode,) = decode(qr_png(link))
    assert barcode.ec_level in ("M", "Q", "H")


@pytest.mark.parametrize("link", LINKS)
def test_printable_size(link: str) -> None:
    """The PNG is square, at least 600 px wide, marked 300 dpi, and pure black on white."""
    picture = image(qr_png(link))
    width, height = picture.size
    assert width == height >= MIN_WIDTH_PX == 600
    assert round(picture.info["dpi"][0]) == 300
    colours = {colour for _, colour in picture.convert("RGB").getcolors() or []}
    assert colours == {(0, 0, 0), (255, 255, 255)}


def test_quiet_zone_is_white() -> None:
    """The border around the code is white, so the code scans when printed on a busy flyer."""
    picture = image(qr_png(LINKS[1], scale=10, border=4, min_width=0)).convert("L")
    width = picture.size[0]
    for x in range(width):
        for y in (*range(40), *range(width - 40, width)):
            assert picture.getpixel((x, y)) == 255
            assert picture.getpixel((y, x)) == 255


def test_deterministic() -> None:
    """The same link always gives byte-for-byte the same PNG."""
    assert qr_png(LONGEST_LINK) == qr_png(LONGEST_LINK)


def test_scale_and_border_are_used_exactly_without_min_width() -> None:
    """With min_width=0 each module is ``scale`` pixels and the border is ``border`` modules."""
    modules = image(qr_png(LINKS[2], scale=1, border=0, min_width=0)).size[0]
    assert image(qr_png(LINKS[2], scale=5, border=2, min_width=0)).size[0] == (modules + 4) * 5


def test_small_codes_are_enlarged_to_the_minimum_width() -> None:
    """A short link's code gets bigger modules rather than printing smaller than 600 px."""
    modules = image(qr_png("x", scale=1, border=4, min_width=0)).size[0]
    assert modules * 12 < MIN_WIDTH_PX
    width = image(qr_png("x")).size[0]
    assert MIN_WIDTH_PX <= width < MIN_WIDTH_PX + modules
    assert width % modules == 0


def test_larger_scale_is_kept() -> None:
    """A scale that already gives more than the minimum width is used as given."""
    modules = image(qr_png(LINKS[1], scale=1, border=4, min_width=0)).size[0]
    assert image(qr_png(LINKS[1], scale=30)).size[0] == modules * 30


def test_longest_data_that_fits() -> None:
    """Data right at the QR code's capacity still encodes and decodes."""
    data = "a" * QR_M_BYTE_CAPACITY
    (barcode,) = decode(qr_png(data))
    assert barcode.text == data


@pytest.mark.parametrize(
    ("data", "message"),
    [("", "needs some data"), ("a" * (QR_M_BYTE_CAPACITY + 1), "do not fit in a QR code")],
)
def test_rejects_empty_or_too_long_data(data: str, message: str) -> None:
    """Empty data and data past the QR code's capacity raise ValueError."""
    with pytest.raises(ValueError, match=message):
        qr_png(data)


@pytest.mark.parametrize(
    "options", [{"scale": 0}, {"scale": -3}, {"border": -1}, {"min_width": -1}]
)
def test_rejects_bad_sizes(options: dict[str, int]) -> None:
    """A scale below 1 or a negative border or minimum width raise ValueError."""
    with pytest.raises(ValueError, match="scale must be at least 1"):
        qr_png(LINKS[0], **options)
