"""Barcode labels as PDF: A4 sheets of the common sticker sizes, or a thermal roll of 50×30 mm or
40×30 mm labels (one label a page, as roll printers take them).

Each label: the product's name and options (Roboto, so Vietnamese keeps its diacritics), the
barcode (EAN-13 when the code is one, else Code 128), the code in digits, the SKU and, when
asked, the sale price. The bars are as wide as the label allows, never below what a scanner
reads, with the quiet zones the symbologies need.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from django.utils.translation import gettext_lazy
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.code128 import Code128
from reportlab.graphics.barcode.eanbc import Ean13BarcodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from donhang.catalog.services.barcodes import EAN13, barcode_symbology
from donhang.core.money import format_vnd
from donhang.core.pdf import register_fonts


@dataclass(frozen=True)
class Sheet:
    label: str
    width: float  # one label
    height: float
    columns: int = 1
    rows: int = 1
    page: tuple[float, float] | None = None  # None: the label is the page (a roll)
    left: float = 0  # first label's offset on the page
    top: float = 0
    gap_x: float = 0
    gap_y: float = 0


SHEETS = {
    # A4 sheets (die-cut stickers as sold in Vietnam: Tomy, Decal A4, Avery L76xx sizes)
    "a4-65": Sheet(
        gettext_lazy("A4, 65 labels 38 × 21 mm"),
        38.1 * mm,
        21.2 * mm,
        5,
        13,
        A4,
        4.7 * mm,
        10.7 * mm,
        2.5 * mm,
        0,
    ),
    "a4-40": Sheet(
        gettext_lazy("A4, 40 labels 52 × 30 mm"), 52.5 * mm, 29.7 * mm, 4, 10, A4, 0, 0, 0, 0
    ),
    "a4-24": Sheet(
        gettext_lazy("A4, 24 labels 70 × 37 mm"), 70 * mm, 37.125 * mm, 3, 8, A4, 0, 0, 0, 0
    ),
    # thermal rolls (Xprinter, Gprinter…): the label is the page
    "roll-50x30": Sheet(gettext_lazy("Roll, 50 × 30 mm"), 50 * mm, 30 * mm),
    "roll-40x30": Sheet(gettext_lazy("Roll, 40 × 30 mm"), 40 * mm, 30 * mm),
}
DEFAULT_SHEET = "a4-65"


@dataclass
class Label:
    code: str  # what the bars say
    sku: str
    name: str
    options: str = ""
    price: int | None = None


def label_of(variant, *, with_price: bool = True) -> Label:
    """The label of a variant (with its product): its barcode, else its SKU as Code 128."""
    return Label(
        code=variant.barcode or variant.sku,
        sku=variant.sku,
        name=variant.product.name,
        options=variant.options_label,
        price=variant.sale_price if with_price else None,
    )


def _fit(text: str, font: str, size: float, width: float) -> str:
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _ean13(code: str, width: float, height: float) -> Drawing:
    # 95 modules of bars, 11 quiet modules left and 7 right: 113 in all
    bar = min(0.33 * mm, width / 113)
    widget = Ean13BarcodeWidget(code)
    widget.barWidth = bar
    widget.barHeight = height
    widget.fontSize = max(5.0, min(8.0, bar / mm * 24))
    widget.quiet = 1
    x0, y0, w, h = widget.getBounds()
    drawing = Drawing(w - x0, h - y0)
    widget.x, widget.y = -x0, -y0
    drawing.add(widget)
    return drawing


def _code128(code: str, width: float, height: float) -> Code128:
    modules = Code128(code, barWidth=1, quiet=0).width + 20  # 10 quiet modules each side
    bar = max(min(0.33 * mm, width / modules), 0.17 * mm)
    return Code128(code, barWidth=bar, barHeight=height, quiet=1, lquiet=10 * bar, rquiet=10 * bar)


def printable(code: str) -> bool:
    """Code 128 prints ASCII only (a SKU with Vietnamese letters gets an EAN-13 instead)."""
    return bool(code) and all(32 <= ord(ch) < 127 for ch in code)


def _draw_label(pdf: canvas.Canvas, label: Label, x: float, y: float, sheet: Sheet, fonts):
    regular, bold = fonts
    pad = 1.5 * mm if sheet.width < 45 * mm else 2.5 * mm
    inner = sheet.width - 2 * pad
    small = 6.0 if sheet.height < 25 * mm else 7.5
    top = y + sheet.height - pad
    # name (bold) and options on one line each
    pdf.setFont(bold, small)
    pdf.drawString(x + pad, top - small, _fit(label.name, bold, small, inner))
    line_y = top - small
    if label.options:
        pdf.setFont(regular, small)
        line_y -= small + 0.5
        pdf.drawString(x + pad, line_y, _fit(label.options, regular, small, inner))
    # the footer: SKU left, price right
    footer_y = y + pad
    pdf.setFont(regular, small)
    pdf.drawString(x + pad, footer_y, _fit(label.sku, regular, small, inner * 0.6))
    if label.price is not None:
        price = format_vnd(label.price)
        pdf.setFont(bold, small)
        pdf.drawRightString(x + sheet.width - pad, footer_y, price)
    # the barcode between them, centred
    space = line_y - (footer_y + small + 1) - 1
    base = footer_y + small + 1
    if barcode_symbology(label.code) == EAN13:
        drawing = _ean13(label.code, inner, max(space - 3 * mm, 4 * mm))
        by = base + max((space - drawing.height) / 2, 0)
        renderPDF.draw(drawing, pdf, x + (sheet.width - drawing.width) / 2, by)
    elif printable(label.code):
        symbol = _code128(label.code, inner, max(space - 0.5 * mm, 4 * mm))
        by = base + max((space - symbol.height) / 2, 0)
        symbol.drawOn(pdf, x + (sheet.width - symbol.width) / 2, by)
        # No digits of its own under the bars: the SKU line says the code, unless it differs.
        if label.code != label.sku:
            pdf.setFont(regular, small - 1)
            pdf.drawCentredString(x + sheet.width / 2, by - small + 1, label.code)
    else:
        pdf.setFont(regular, small)
        pdf.drawCentredString(x + sheet.width / 2, base + space / 2, label.code)


def labels_pdf(labels: list[Label], *, sheet: str = DEFAULT_SHEET, copies: int = 1) -> bytes:
    """Every label `copies` times, in order."""
    layout = SHEETS.get(sheet) or SHEETS[DEFAULT_SHEET]
    fonts = register_fonts()
    out = BytesIO()
    page = layout.page or (layout.width, layout.height)
    pdf = canvas.Canvas(out, pagesize=page, pageCompression=1)
    pdf.setTitle("Barcode labels")
    per_page = layout.columns * layout.rows
    items = [label for label in labels for _ in range(max(copies, 1))]
    for index, label in enumerate(items):
        slot = index % per_page
        if index and slot == 0:
            pdf.showPage()
        column, row = slot % layout.columns, slot // layout.columns
        x = layout.left + column * (layout.width + layout.gap_x)
        y = page[1] - layout.top - (row + 1) * layout.height - row * layout.gap_y
        _draw_label(pdf, label, x, y, layout, fonts)
    if not items:
        pdf.drawString(20, page[1] - 30, "-")
    pdf.showPage()
    pdf.save()
    return out.getvalue()
