"""QR codes for printed flyers: a deep link in, a PNG ready for the print shop out.

Drawn with segno (pure Python). Error correction is at least level M (15% of the symbol can be
smudged or torn) and segno raises it for free when the data leaves room in the same symbol
size. The image is black on white with the standard four-module quiet zone and says 300 dpi,
so it prints at least two inches wide without any scaling by the print software. segno is
imported when a code is drawn, not when the bot starts.
"""

from __future__ import annotations

import io
import math

MIN_WIDTH_PX = 600  # two inches at 300 dpi: a size phones scan from arm's length
PRINT_DPI = 300


def qr_png(data: str, *, scale: int = 12, border: int = 4, min_width: int = MIN_WIDTH_PX) -> bytes:
    """A PNG QR code that encodes ``data``; the same input always gives the same bytes.

    ``scale`` is the side of one module in pixels, raised where needed so the whole image is at
    least ``min_width`` pixels wide (pass ``min_width=0`` for exactly ``scale``). ``border`` is
    the quiet zone in modules. Raises ValueError for empty data, data too long for a QR code, or
    a scale below 1, a negative border or a negative min_width.
    """
    import segno

    if not data:
        raise ValueError("a QR code needs some data to encode")
    if scale < 1 or border < 0 or min_width < 0:
        raise ValueError(
            f"scale must be at least 1 and border and min_width at least 0, "
            f"not scale={scale}, border={border}, min_width={min_width}"
        )
    try:
        code = segno.make_qr(data, error="m", boost_error=True)
    except segno.DataOverflowError as exc:
        raise ValueError(
            f"{len(data)} characters do not fit in a QR code at error correction level M: {exc}"
        ) from exc
    modules = code.symbol_size(scale=1, border=border)[0]
    scale = max(scale, math.ceil(min_width / modules))
    out = io.BytesIO()
    code.save(
        out, kind="png", scale=scale, border=border, dark="black", light="white", dpi=PRINT_DPI
    )
    return out.getvalue()
