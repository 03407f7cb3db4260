"""Our own shipping labels as PDF: one label per page, A6, A5 or an 80 mm thermal roll.

Drawn on a reportlab canvas with Roboto, so Vietnamese names keep their diacritics (the built-in
PDF fonts have no glyphs such as ễ or ặ). The tracking number is printed as a Code128 barcode and
a QR code; before the carrier has answered, our own reference stands in for it. The sender is
the shop of the shop profile (accounts), sending from the pickup warehouse.

Speed: everything a batch needs is read in a few queries per chunk of labels
(selectors.shipments_for_labels: provinces, wards and warehouses come with the shipments, not
one at a time), the fonts are registered once per document, and each code is encoded once and
drawn straight on the page as one path (a QR code through reportlab's widget was encoded twice
and drawn rectangle by rectangle). `render_labels_to` writes any number of labels chunk by
chunk, reporting progress (the background task for big batches).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from io import BytesIO
from typing import BinaryIO

from django.utils.translation import gettext as _
from reportlab import rl_config
from reportlab.graphics.barcode import qrencoder
from reportlab.graphics.barcode.code128 import Code128
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

    def __init__(self, pdf: canvas.Canvas, size: _Size, fonts: tuple[str, str]):
        self.pdf = pdf
        self.size = size
        self.regular, self.bold = fonts
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


class _Batch:
    """What every label of a document shares, read once: the shop profile, the fonts and the
    warehouse that stands in when a parcel has none."""

    def __init__(self):
        self.shop = shop_profile_get()
        self.fonts = register_fonts()

    @cached_property
    def first_warehouse(self):
        return (
            Warehouse.objects.select_related("ward", "province")
            .filter(is_active=True)
            .order_by("priority", "code")
            .first()
        )


def _pickup_warehouse(shipment, batch: _Batch):
    """Where the parcel is picked up, as in the carrier request: the parcel's own warehouse (the
    one holding its stock), else the carrier account's pickup warehouse, else the first active
    warehouse."""
    return shipment.warehouse or shipment.account.pickup_warehouse or batch.first_warehouse


@dataclass(frozen=True)
class _Sender:
    name: str
    phone: str
    address: str


def _sender(shipment, batch: _Batch) -> _Sender | None:
    """The shop sends the parcel: its name and phone from the shop profile; the address is where
    the parcel leaves from and comes back to (the pickup warehouse), else the shop's. Without a
    saved profile or settings, the warehouse stands in, as before the profile existed."""
    shop = batch.shop
    warehouse = _pickup_warehouse(shipment, batch)
    name = shop.name or (warehouse.name if warehouse else "")
    phone = shop.phone or (warehouse.phone if warehouse else "")
    address = ""
    if warehouse is not None:
        address = _address(warehouse.address_line, warehouse.ward, warehouse.province)
    address = address or shop.address_display
    if not (name or phone or address):
        return None
    return _Sender(name=name, phone=phone, address=address)


def _code128_bars(code: str) -> tuple[int, list[tuple[int, int]]]:
    """Code128 of `code`, encoded once: (width in modules, [(first module, width) per bar])."""
    barcode = Code128(code, quiet=False)
    barcode.validate()
    barcode.encode()
    barcode.decompose()
    bars, at = [], 0
    for c in barcode.decomposed:  # lower case: a space of n modules; upper case: a bar
        if "a" <= c <= "z":
            at += ord(c) - ord("a") + 1
        elif "A" <= c <= "Z":
            width = ord(c) - ord("A") + 1
            bars.append((at, width))
            at += width
    return at, bars


# --- QR codes: reportlab's encoder, with a faster choice of the mask ---------------------------
# reportlab builds and scores the whole symbol once per mask pattern (8 times) in pure Python,
# 12 ms a code. Here the symbol is built once; the 8 masked versions differ only on the data
# modules, so each is the first one with those bits flipped (row and column bit masks per
# version, computed once), and scored with string and integer operations (the penalty rules of
# ISO/IEC 18004: runs of 5+, 2×2 blocks, finder-like patterns, dark proportion).

_RUNS = re.compile(r"0{5,}|1{5,}")
_FINDER_LIKE = re.compile(r"(?=10111010000|00001011101)")
_flips: dict[int, tuple[list[list[int]], list[list[int]]]] = {}


def _mask_flips(matrix) -> tuple[list[list[int]], list[list[int]]]:
    """Per mask pattern, the data-module bits that differ from mask 0, as row and column ints."""
    n = matrix.moduleCount
    if n in _flips:
        return _flips[n]
    masks = [qrencoder.QRUtil.getMask(k) for k in range(8)]
    rows = [[0] * n for _ in range(8)]
    cols = [[0] * n for _ in range(8)]
    for col, row in matrix.dataPosIterator():
        base = masks[0](row, col)
        for k in range(1, 8):
            if masks[k](row, col) != base:
                rows[k][row] |= 1 << col
                cols[k][col] |= 1 << row
    _flips[n] = (rows, cols)
    return rows, cols


def _penalty(rows: list[int], cols: list[int], n: int) -> int:
    width = f"0{n}b"
    # Every row and column as text, apart ("|" stops runs and patterns at their ends).
    text = "|".join([format(v, width) for v in rows] + [format(v, width) for v in cols])
    runs = _RUNS.findall(text)
    score = sum(len(run) for run in runs) - 2 * len(runs)  # 3 + (length − 5) each
    score += 40 * len(_FINDER_LIKE.findall(text))
    edge = (1 << (n - 1)) - 1
    for a, b in itertools.pairwise(rows):
        score += 3 * (~(a ^ b) & ~(a ^ (a >> 1)) & ~(b ^ (b >> 1)) & edge).bit_count()
    dark = sum(v.bit_count() for v in rows)
    return score + 10 * (abs(100 * dark // (n * n) - 50) // 5)


def _qr_modules(code: str) -> list[list[bool]]:
    """The QR code of `code` (level L, like reportlab's widget), encoded once."""
    matrix = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.L)
    matrix.addData(code)
    matrix.version = matrix.calculate_version()
    matrix.makeImpl(True, 0)
    n = matrix.moduleCount
    base_rows = [sum(1 << c for c, dark in enumerate(row) if dark) for row in matrix.modules]
    base_cols = [sum(1 << r for r in range(n) if matrix.modules[r][c]) for c in range(n)]
    flip_rows, flip_cols = _mask_flips(matrix)
    best = min(
        range(8),
        key=lambda k: _penalty(
            [b ^ f for b, f in zip(base_rows, flip_rows[k], strict=True)],
            [b ^ f for b, f in zip(base_cols, flip_cols[k], strict=True)],
            n,
        ),
    )
    # The chosen mask: flip its data modules on the symbol built for mask 0, then write the
    # format (and version) information the test build left blank.
    modules = matrix.modules
    for r, flips in enumerate(flip_rows[best]):
        while flips:
            low = flips & -flips
            c = low.bit_length() - 1
            modules[r][c] = not modules[r][c]
            flips ^= low
    matrix.setupTypeInfo(False, best)
    if matrix.version >= 7:
        matrix.setupTypeNumber(False)
    return modules


def _qr_runs(code: str) -> tuple[int, list[tuple[int, int, int]]]:
    """(modules per side, [(row, first column, length) per run of dark modules])."""
    modules = _qr_modules(code)
    runs = []
    for r, row in enumerate(modules):
        c, n = 0, len(row)
        while c < n:
            if row[c]:
                start = c
                while c < n and row[c]:
                    c += 1
                runs.append((r, start, c - start))
            else:
                c += 1
    return len(modules), runs


def _fill_rects(pdf: canvas.Canvas, x: float, y: float, unit: float, rects) -> None:
    """Fill rectangles given in whole units from (x, y) (y going down): one path of integer
    coordinates under a scaling, instead of four formatted floats per rectangle."""
    pdf.saveState()
    pdf.transform(unit, 0, 0, -unit, x, y)
    pdf.addLiteral("\n".join(f"{rx} {ry} {rw} {rh} re" for rx, ry, rw, rh in rects) + "\nf")
    pdf.restoreState()


def _draw_codes(w: _Writer, code: str) -> None:
    """Code128 barcode on the left, the QR code on the right, the number under the barcode."""
    pdf = w.pdf
    qr_size = w.pt(22 * mm)
    bar_width = w.width - qr_size - 3 * mm
    bar_height = w.pt(14 * mm)
    top = w.y

    modules, bars = _code128_bars(code)
    # 1 pt a module, squeezed to the room there is (a long tracking number is wider); the bars
    # are drawn in module units, their height in modules of that size.
    module = min(1.0, bar_width / modules) if modules else 1.0
    height = bar_height / module
    pdf.saveState()
    pdf.transform(module, 0, 0, height, w.left, top - bar_height)
    pdf.addLiteral("\n".join(f"{start} 0 {width} 1 re" for start, width in bars) + "\nf")
    pdf.restoreState()
    pdf.setFont(w.bold, w.pt(11))
    pdf.drawString(w.left, top - bar_height - w.pt(12), code)

    count, runs = _qr_runs(code)
    border = 4  # modules of quiet zone on each side, as the widget draws
    box = qr_size / (count + 2 * border)
    _fill_rects(
        pdf,
        w.left + w.width - qr_size + border * box,
        top - border * box,
        box,
        [(col, row, length, 1) for row, col, length in runs],
    )
    w.y = top - max(bar_height + w.pt(16), qr_size) - 1 * mm


def _draw_label(w: _Writer, shipment, batch: _Batch) -> None:
    order = shipment.order
    carrier = shipment.account.get_provider_display()
    service = shipment.service_name or shipment.service_code
    w.text(f"{carrier}{' · ' + service if service else ''}", 13, bold=True)
    w.text(_("Order %(code)s") % {"code": order.code}, 9)
    w.rule(1.5)
    _draw_codes(w, shipment.tracking_code or shipment.reference)
    w.rule()

    sender = _sender(shipment, batch)
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


def _canvas(out: BinaryIO, size: str) -> tuple[canvas.Canvas, _Size]:
    if size not in SIZES:
        raise ValueError(f"unknown label size {size!r}")
    spec = SIZES[size]
    pdf = canvas.Canvas(out, pagesize=spec.page)
    pdf.setTitle(_("Shipping labels"))
    return pdf, spec


def _save(pdf: canvas.Canvas) -> None:
    """Write the document with its streams compressed but not ASCII85-encoded (reportlab's
    default, a pure-Python pass over every page that makes the file 25 % bigger)."""
    before = rl_config.useA85
    rl_config.useA85 = 0
    try:
        pdf.save()
    finally:
        rl_config.useA85 = before


def render_labels(shipments, size: str = "A6") -> bytes:
    """One label per shipment (a page each) in a single PDF."""
    out = BytesIO()
    pdf, spec = _canvas(out, size)
    batch = _Batch()
    for shipment in shipments:
        _draw_label(_Writer(pdf, spec, batch.fonts), shipment, batch)
        pdf.showPage()
    _save(pdf)
    return out.getvalue()


def render_labels_to(
    out: BinaryIO,
    chunks: Iterable[list],
    *,
    size: str = "A6",
    progress: Callable[[int], None] | None = None,
) -> int:
    """Labels for any number of shipments into `out`, one chunk of shipments at a time (each
    chunk read when its turn comes: selectors.shipments_for_labels); `progress(done)` after each
    chunk. Returns the number of labels."""
    pdf, spec = _canvas(out, size)
    batch = _Batch()
    done = 0
    for shipments in chunks:
        for shipment in shipments:
            _draw_label(_Writer(pdf, spec, batch.fonts), shipment, batch)
            pdf.showPage()
        done += len(shipments)
        if progress is not None:
            progress(done)
    _save(pdf)
    return done
