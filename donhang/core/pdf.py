"""PDF building blocks: a font with every Vietnamese glyph, registered once for reportlab."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import font_roboto
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT = "Roboto"
FONT_BOLD = "Roboto-Bold"


@cache
def register_fonts() -> tuple[str, str]:
    """Register Roboto (Apache-2.0, shipped by the font-roboto package): reportlab's built-in
    fonts have no Vietnamese letters such as ễ or ặ. Returns (regular, bold) font names."""
    folder = Path(font_roboto.__file__).parent / "files"
    pdfmetrics.registerFont(TTFont(FONT, str(folder / "Roboto-Regular.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(folder / "Roboto-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD)
    return FONT, FONT_BOLD
