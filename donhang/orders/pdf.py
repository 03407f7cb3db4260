"""Picking lists as A4 PDF: the shop (from its profile), a pick summary per SKU and warehouse, then
one section per order.

Text is in the active language; Roboto keeps Vietnamese diacritics intact (reportlab's built-in
fonts have no glyphs such as ễ or ặ).
"""

from __future__ import annotations

from collections import defaultdict
from io import BytesIO
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from donhang.accounts.selectors import shop_profile_get
from donhang.core.pdf import register_fonts
from donhang.core.phone import display_phone
from donhang.orders.models import Order


def _styles():
    regular, bold = register_fonts()
    return {
        "title": ParagraphStyle("title", fontName=bold, fontSize=16, leading=20, spaceAfter=4),
        "h2": ParagraphStyle("h2", fontName=bold, fontSize=12, leading=15, spaceAfter=3),
        "body": ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=12),
        "small": ParagraphStyle(
            "small", fontName=regular, fontSize=8, leading=10, textColor=colors.grey
        ),
        "cell": ParagraphStyle("cell", fontName=regular, fontSize=9, leading=11),
        "cell_bold": ParagraphStyle("cell_bold", fontName=bold, fontSize=9, leading=11),
    }


def _p(text, style) -> Paragraph:
    return Paragraph(escape(str(text or "")), style)


def _table(rows, widths, header_font) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), header_font),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#bbbbbb")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (-1, 1), (-1, -1), "RIGHT"),
            ]
        )
    )
    return table


def _picks(line) -> list[tuple[str, int]]:
    """(warehouse label, quantity) to pick for a line: its reservations, then what is short."""
    picks = [
        (f"{r.warehouse.code} · {r.warehouse.name}", r.quantity) for r in line.reservations.all()
    ]
    held = sum(q for _w, q in picks)
    if held < line.quantity:
        picks.append((_("Not reserved"), line.quantity - held))
    return picks


def _options(line) -> str:
    variant = getattr(line, "variant", None)
    return variant.options_label if variant is not None else ""


def _product_name(line) -> str:
    variant = getattr(line, "variant", None)
    return variant.product.name if variant is not None else line.name


def _shop_lines(shop, styles) -> list:
    """Whose goods these are: the shop profile's name, address and phone, when there are any."""
    contact = " · ".join(p for p in (shop.address_display, display_phone(shop.phone)) if p)
    return [_p(text, styles["body"]) for text in (shop.name, contact) if text]


def picking_list_pdf(orders: list[Order]) -> bytes:
    """The picking list of these orders (with lines and reservations loaded)."""
    styles = _styles()
    regular, bold = register_fonts()
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=_("Picking list"),
        author="donhang",
    )
    width = doc.width
    printed = date_format(timezone.localtime(), "SHORT_DATETIME_FORMAT")
    story = [
        _p(_("Picking list"), styles["title"]),
        *_shop_lines(shop_profile_get(), styles),
        _p(
            _("%(n)s orders · printed %(at)s") % {"n": len(orders), "at": printed},
            styles["small"],
        ),
        Spacer(1, 4 * mm),
        _p(_("Pick summary"), styles["h2"]),
    ]

    # Total quantity per SKU per warehouse, over every order.
    summary: dict[tuple[str, str], list] = defaultdict(lambda: ["", "", 0])
    for order in orders:
        for line in order.lines.all():
            for warehouse, quantity in _picks(line):
                entry = summary[(warehouse, line.sku)]
                entry[0] = _product_name(line)
                entry[1] = _options(line)
                entry[2] += quantity
    rows = [[_("Warehouse"), _("SKU"), _("Product"), _("Options"), _("Quantity")]]
    for (warehouse, sku), (name, options, quantity) in sorted(summary.items()):
        rows.append(
            [
                _p(warehouse, styles["cell"]),
                _p(sku, styles["cell"]),
                _p(name, styles["cell"]),
                _p(options, styles["cell"]),
                str(quantity),
            ]
        )
    story.append(
        _table(rows, [0.22 * width, 0.16 * width, 0.36 * width, 0.16 * width, 0.1 * width], bold)
    )

    for order in orders:
        story.append(CondPageBreak(60 * mm))
        story.append(Spacer(1, 8 * mm))
        story.append(_order_section(order, styles, width, bold))

    def footer(canvas, doc_):
        canvas.saveState()
        canvas.setFont(regular, 8)
        canvas.drawRightString(
            A4[0] - 15 * mm, 10 * mm, _("Page %(n)s") % {"n": canvas.getPageNumber()}
        )
        canvas.drawString(15 * mm, 10 * mm, _("Picking list") + " · " + printed)
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _order_section(order: Order, styles, width, bold) -> KeepTogether:
    address = ", ".join(
        p
        for p in (
            order.shipping_address_line,
            order.shipping_ward.name if order.shipping_ward_id else "",
            order.shipping_province.name if order.shipping_province_id else "",
        )
        if p
    )
    barcode = Code128(order.code, barHeight=11 * mm, barWidth=0.33 * mm, humanReadable=True)
    head = Table(
        [
            [
                [
                    _p(order.code, styles["h2"]),
                    _p(
                        f"{order.get_channel_display()} · {order.get_status_display()}"
                        + (f" · {order.external_id}" if order.external_id else ""),
                        styles["small"],
                    ),
                    _p(f"{_('Customer')}: {order.customer_name}", styles["body"]),
                    _p(f"{_('Phone')}: {display_phone(order.customer_phone)}", styles["body"]),
                    _p(f"{_('Address')}: {address or '—'}", styles["body"]),
                ],
                barcode,
            ]
        ],
        colWidths=[0.6 * width, 0.4 * width],
    )
    head.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                ("LINEABOVE", (0, 0), (-1, 0), 1, colors.black),
            ]
        )
    )
    rows = [[_("SKU"), _("Product"), _("Options"), _("Pick from"), _("Quantity")]]
    for line in order.lines.all():
        picks = _picks(line)
        rows.append(
            [
                _p(line.sku, styles["cell"]),
                _p(_product_name(line), styles["cell"]),
                _p(_options(line), styles["cell"]),
                Paragraph("<br/>".join(escape(f"{w}: {q}") for w, q in picks), styles["cell"]),
                str(line.quantity),
            ]
        )
    parts = [
        head,
        Spacer(1, 2 * mm),
        _table(rows, [0.16 * width, 0.34 * width, 0.16 * width, 0.24 * width, 0.1 * width], bold),
    ]
    if order.note:
        parts += [Spacer(1, 2 * mm), _p(f"{_('Note')}: {order.note}", styles["body"])]
    return KeepTogether(parts)
