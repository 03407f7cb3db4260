"""Our own shipping labels as PDF: one label per page, A6, A5 or an 80 mm thermal roll.

Drawn on a reportlab canvas with Roboto, so Vietnamese names keep their diacritics (the built-in
PDF fonts have no glyphs such as ễ or ặ). The tracking number is printed as a Code128 barcode and
a QR code; before the carrier has answered, our own reference stands in for it. The sender is
the shop of the shop profile (accounts), sending from the pickup warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from django.utils.translation import gettext as _
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import qr
from reportlab.graphics.barcode.code128 import Code128
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A5, A6
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen import canvas

from donhang.accounts.selectors import shop_profile_get
from donhang.core.money import format_vnd
from donhang.core.pdf import register_fonts
from donhang.core.phone import display_phone
from donhang.inventory.models import Warehouse


@dataclass(frozen=True)
class _Size:
    page: tuple[float, float]
    margin: float
    scale: float  # font scale relative to A6


SIZES = {
    "A6": _Size(A6, 5 * mm, 1.0),
    "A5": _Size(A5, 8 * mm, 1.35),
    "80mm": _Size((80 * mm, 150 * mm), 3 * mm, 0.85),
}


class _Writer:
    """Top-down text on a canvas with wrapping, within the page's margins."""

    def __init__(self, pdf: canvas.Canvas, size: _Size):
        self.pdf = pdf
        self.size = size
        self.regular, self.bold = register_fonts()
        self.left = size.margin
        self.width = size.page[0] - 2 * size.margin
        self.y = size.page[1] - size.margin

    def pt(self, points: float) -> float:
        return points * self.size.scale

    def text(self, value: str, points: float, *, bold=False, width=None, left=None, gap=1.5):
        font = self.bold if bold else self.regular
        size = self.pt(points)
        left = self.left if left is None else left
        lines = simpleSplit(str(value or ""), font, size, width or self.width) or [""]
        for line in lines:
            self.y -= size * 1.18
            self.pdf.setFont(font, size)
            self.pdf.drawString(left, self.y, line)
        self.y -= gap

    def rule(self, gap: float = 2.5):
        self.y -= gap
        self.pdf.setLineWidth(0.6)
        self.pdf.line(self.left, self.y, self.left + self.width, self.y)
        self.y -= gap


def _address(line: str, ward, province) -> str:
    parts = [line, getattr(ward, "name", ""), getattr(province, "name", "")]
    return ", ".join(p for p in parts if p)


def _pickup_warehouse(shipment):
    """Where the parcel is picked up, as in the carrier request: the parcel's own warehouse (the
    one holding its stock), else the carrier account's pickup warehouse, else the first active
    warehouse."""
    warehouse = shipment.warehouse or shipment.account.pickup_warehouse
    if warehouse is None:
        warehouse = (
            Warehouse.objects.select_related("ward__province")
            .filter(is_active=True)
            .order_by("priority", "code")
            .first()
        )
    return warehouse


@dataclass(frozen=True)
class _Sender:
    name: str
    phone: str
    address: str


def _sender(shipment, shop) -> _Sender | None:
    """The shop sends the parcel: its name and phone from the shop profile; the address is where
    the parcel leaves from and comes back to (the pickup warehouse), else the shop's. Without a
    saved profile or settings, the warehouse stands in, as before the profile existed."""
    warehouse = _pickup_warehouse(shipment)
    name = shop.name or (warehouse.name if warehouse else "")
    phone = shop.phone or (warehouse.phone if warehouse else "")
    address = ""
    if warehouse is not None:
        address = _address(warehouse.address_line, warehouse.ward, warehouse.province)
    address = address or shop.address_display
    if not (name or phone or address):
        return None
    return _Sender(name=name, phone=phone, address=address)


def _draw_codes(w: _Writer, code: str) -> None:
    """Code128 barcode on the left, the QR code on the right, the number under the barcode."""
    pdf = w.pdf
    qr_size = w.pt(22 * mm)
    bar_width = w.width - qr_size - 3 * mm
    bar_height = w.pt(14 * mm)
    barcode = Code128(code, barHeight=bar_height, barWidth=1.0, quiet=False)
    # Squeeze the bars to the room there is (a long tracking number is wider than 1 pt a bar).
    if barcode.width > bar_width:
        barcode = Code128(
            code, barHeight=bar_height, barWidth=bar_width / barcode.width, quiet=False
        )
    top = w.y
    barcode.drawOn(pdf, w.left, top - bar_height)
    pdf.setFont(w.bold, w.pt(11))
    pdf.drawString(w.left, top - bar_height - w.pt(12), code)

    widget = qr.QrCodeWidget(code)
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(
        qr_size, qr_size, transform=[qr_size / (x1 - x0), 0, 0, qr_size / (y1 - y0), 0, 0]
    )
    drawing.add(widget)
    renderPDF.draw(drawing, pdf, w.left + w.width - qr_size, top - qr_size)
    w.y = top - max(bar_height + w.pt(16), qr_size) - 1 * mm


def _draw_label(w: _Writer, shipment, shop) -> None:
    order = shipment.order
    carrier = shipment.account.get_provider_display()
    service = shipment.service_name or shipment.service_code
    w.text(f"{carrier}{' · ' + service if service else ''}", 13, bold=True)
    w.text(_("Order %(code)s") % {"code": order.code}, 9)
    w.rule(1.5)
    _draw_codes(w, shipment.tracking_code or shipment.reference)
    w.rule()

    sender = _sender(shipment, shop)
    if sender is not None:
        w.text(_("From"), 7.5, bold=True, gap=0.5)
        w.text(" · ".join(p for p in (sender.name, display_phone(sender.phone)) if p), 8.5, gap=0.5)
        w.text(sender.address, 8.5)
        w.rule()

    w.text(_("To"), 8, bold=True, gap=0.5)
    w.text(order.shipping_name or order.customer_name, 15, bold=True, gap=0.5)
    w.text(display_phone(order.shipping_phone or order.customer_phone), 13, bold=True, gap=1)
    w.text(_address(order.shipping_address_line, order.shipping_ward, order.shipping_province), 11)
    w.rule()

    w.text(_("COD: %(amount)s") % {"amount": format_vnd(shipment.cod_amount)}, 17, bold=True)
    w.text(
        _("Weight: %(weight)s g · %(length)s×%(width)s×%(height)s cm")
        % {
            "weight": f"{shipment.weight_g:,}".replace(",", "."),
            "length": shipment.length_cm,
            "width": shipment.width_cm,
            "height": shipment.height_cm,
        },
        8.5,
    )
    # A parcel lists what it holds; a parcel made before parcels had lines lists the order.
    parcel = [(pl.order_line.sku, pl.quantity) for pl in shipment.lines.all()]
    items = ", ".join(
        f"{sku} × {quantity}"
        for sku, quantity in parcel or [(ln.sku, ln.quantity) for ln in order.lines.all()]
    )
    w.text(_("Items: %(items)s") % {"items": items}, 8.5)
    if shipment.inspection:
        w.text(shipment.get_inspection_display(), 8.5)
    if shipment.note:
        w.text(_("Note: %(note)s") % {"note": shipment.note}, 8.5)


def render_labels(shipments, size: str = "A6") -> bytes:
    """One label per shipment (a page each) in a single PDF."""
    if size not in SIZES:
        raise ValueError(f"unknown label size {size!r}")
    spec = SIZES[size]
    register_fonts()
    out = BytesIO()
    pdf = canvas.Canvas(out, pagesize=spec.page)
    pdf.setTitle(_("Shipping labels"))
    shop = shop_profile_get()
    for shipment in shipments:
        _draw_label(_Writer(pdf, spec), shipment, shop)
        pdf.showPage()
    pdf.save()
    return out.getvalue()
