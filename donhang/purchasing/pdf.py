"""A purchase order as an A4 PDF for the supplier, in the active language (Vietnamese by default).

Roboto keeps Vietnamese diacritics intact (reportlab's built-in fonts have no ễ or ặ).
"""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import (
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from donhang.accounts.selectors import shop_profile_get
from donhang.core.money import VatRate, format_vnd, round_vnd, vat_decimal
from donhang.core.pdf import register_fonts
from donhang.core.phone import display_phone
from donhang.inventory.models import Warehouse
from donhang.purchasing.models import PurchaseOrder

# The document's own words in Vietnamese, used while the Vietnamese message catalogue does not
# translate them yet: a purchase order sent to a Vietnamese supplier must read as Vietnamese.
# A translation in locale/ always wins.
_VI = {
    gettext_noop("PURCHASE ORDER"): "ĐƠN ĐẶT HÀNG",
    gettext_noop("No."): "Số",
    gettext_noop("Date"): "Ngày",
    gettext_noop("Buyer"): "Bên mua",
    gettext_noop("Supplier"): "Nhà cung cấp",
    gettext_noop("Tax code"): "Mã số thuế",
    gettext_noop("Address"): "Địa chỉ",
    gettext_noop("Phone"): "Điện thoại",
    gettext_noop("Email"): "Email",
    gettext_noop("Contact person"): "Người liên hệ",
    gettext_noop("Deliver to"): "Giao đến",
    gettext_noop("Delivery address"): "Địa chỉ giao hàng",
    gettext_noop("Expected delivery date"): "Ngày giao dự kiến",
    gettext_noop("Payment terms"): "Điều khoản thanh toán",
    gettext_noop("#"): "STT",
    gettext_noop("SKU"): "Mã hàng",
    gettext_noop("Product"): "Tên hàng",
    gettext_noop("Qty"): "SL",
    gettext_noop("Unit price (excl. VAT)"): "Đơn giá (chưa VAT)",
    gettext_noop("VAT"): "VAT",
    gettext_noop("Amount (excl. VAT)"): "Thành tiền (chưa VAT)",
    gettext_noop("Goods (excl. VAT)"): "Tiền hàng (chưa VAT)",
    gettext_noop("VAT amount"): "Tiền thuế VAT",
    gettext_noop("Total payable"): "Tổng cộng thanh toán",
    gettext_noop("Note"): "Ghi chú",
    gettext_noop("Prepared by"): "Người lập",
    gettext_noop("Approved by"): "Người duyệt",
    gettext_noop("Supplier's confirmation"): "Xác nhận của nhà cung cấp",
    gettext_noop("(signature, full name)"): "(ký, ghi rõ họ tên)",
    gettext_noop("Page %(n)s"): "Trang %(n)s",
    gettext_noop("Not subject to VAT"): "Không chịu thuế",
    gettext_noop("Draft — not yet confirmed"): "Bản nháp — chưa xác nhận",
    gettext_noop("Cancelled"): "Đã huỷ",
    gettext_noop("Supplier code"): "Mã NCC",
}


def _t(text: str) -> str:
    translated = _(text)
    if translated == text and (get_language() or "").startswith("vi"):
        return _VI.get(text, text)
    return translated


def _styles():
    regular, bold = register_fonts()
    return {
        "title": ParagraphStyle(
            "title", fontName=bold, fontSize=18, leading=22, alignment=TA_CENTER, spaceAfter=2
        ),
        "subtitle": ParagraphStyle(
            "subtitle", fontName=regular, fontSize=10, leading=13, alignment=TA_CENTER
        ),
        "h2": ParagraphStyle("h2", fontName=bold, fontSize=10.5, leading=13, spaceAfter=2),
        "body": ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=12.5),
        "cell": ParagraphStyle("cell", fontName=regular, fontSize=9, leading=11),
        "cell_right": ParagraphStyle(
            "cell_right", fontName=regular, fontSize=9, leading=11, alignment=TA_RIGHT
        ),
        "cell_bold_right": ParagraphStyle(
            "cell_bold_right", fontName=bold, fontSize=9.5, leading=12, alignment=TA_RIGHT
        ),
        "center": ParagraphStyle(
            "center", fontName=regular, fontSize=9.5, leading=12, alignment=TA_CENTER
        ),
        "center_bold": ParagraphStyle(
            "center_bold", fontName=bold, fontSize=10, leading=13, alignment=TA_CENTER
        ),
        "small_center": ParagraphStyle(
            "small_center",
            fontName=regular,
            fontSize=8,
            leading=10,
            alignment=TA_CENTER,
            textColor=colors.grey,
        ),
    }


def _p(text, style) -> Paragraph:
    return Paragraph(escape(str(text or "")), style)


def _field(label: str, value, style) -> Paragraph | None:
    if not value:
        return None
    return Paragraph(f"<b>{escape(label)}:</b> {escape(str(value))}", style)


def _address(obj) -> str:
    return ", ".join(
        part
        for part in (
            obj.address_line,
            obj.ward.name if obj.ward_id else "",
            obj.province.name if obj.province_id else "",
        )
        if part
    )


def _vat_label(rate: str) -> str:
    return _t("Not subject to VAT") if rate == VatRate.EXEMPT else f"{rate}%"


def _buyer_block(po: PurchaseOrder, shop, styles) -> list:
    """The shop from its profile (accounts: saved by an owner, else the SHOP_NAME /
    SHOP_TAX_CODE settings), named after the head office when it has no name; then the
    deliver-to warehouse with its address and contact."""
    shop_name = shop.name
    if not shop_name:
        head_office = (
            Warehouse.objects.filter(kind=Warehouse.Kind.HEAD_OFFICE, is_active=True)
            .order_by("priority", "code")
            .first()
        )
        shop_name = head_office.name if head_office else po.warehouse.name
    warehouse = po.warehouse
    contact = " · ".join(p for p in (warehouse.contact_name, display_phone(warehouse.phone)) if p)
    parts = [
        _p(_t("Buyer"), styles["h2"]),
        _p(shop_name, styles["body"]),
        _field(_t("Tax code"), shop.tax_code, styles["body"]),
        _field(_t("Address"), shop.address_display, styles["body"]),
        _field(_t("Phone"), display_phone(shop.phone), styles["body"]),
        _field(_t("Email"), shop.email, styles["body"]),
        _field(_t("Deliver to"), f"{warehouse.name} ({warehouse.code})", styles["body"]),
        _field(_t("Delivery address"), _address(warehouse), styles["body"]),
        _field(_t("Contact person"), contact, styles["body"]),
    ]
    return [p for p in parts if p is not None]


def _logo(shop, max_width: float, max_height: float) -> Image | None:
    """The shop's logo (a PNG we drew ourselves on upload), scaled to fit; None when there is none
    or its file is gone: a missing logo never stops a purchase order from printing."""
    if not shop.logo:
        return None
    try:
        with shop.logo.open("rb") as stored:
            data = BytesIO(stored.read())
        width, height = ImageReader(data).getSize()
    except (OSError, ValueError):
        return None
    data.seek(0)
    scale = min(max_width / width, max_height / height, 1.0)
    image = Image(data, width=width * scale, height=height * scale)
    image.hAlign = "LEFT"
    return image


def _supplier_block(po: PurchaseOrder, styles) -> list:
    supplier = po.supplier
    parts = [
        _p(_t("Supplier"), styles["h2"]),
        _p(supplier.name, styles["body"]),
        _field(_t("Tax code"), supplier.tax_code, styles["body"]),
        _field(_t("Address"), _address(supplier), styles["body"]),
        _field(_t("Contact person"), supplier.contact_name, styles["body"]),
        _field(_t("Phone"), display_phone(supplier.phone), styles["body"]),
        _field(_t("Email"), supplier.email, styles["body"]),
        _field(_t("Payment terms"), supplier.payment_terms, styles["body"]),
    ]
    return [p for p in parts if p is not None]


def purchase_order_pdf(
    po: PurchaseOrder,
    *,
    supplier_codes: dict[int, str] | None = None,
    include_prices: bool = True,
) -> bytes:
    """The purchase order (from `selectors.purchase_order_get`: lines, supplier and warehouse
    loaded) as A4 PDF bytes. `supplier_codes` maps variant id → the supplier's own code.
    Without `include_prices` (a role that may not see cost prices) the lines show quantities
    only: no prices, amounts, VAT or totals."""
    regular, bold = register_fonts()
    styles = _styles()
    supplier_codes = supplier_codes or {}
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=14 * mm,
        bottomMargin=18 * mm,
        title=f"{_t('PURCHASE ORDER')} {po.code}",
        author="donhang",
    )
    width = doc.width
    created = timezone.localtime(po.sent_at or po.created_at)
    shop = shop_profile_get()
    logo = _logo(shop, max_width=45 * mm, max_height=18 * mm)
    story: list = [logo] if logo is not None else []
    story += [
        _p(_t("PURCHASE ORDER"), styles["title"]),
        _p(
            f"{_t('No.')}: {po.code} · {_t('Date')}: {date_format(created, 'SHORT_DATE_FORMAT')}",
            styles["subtitle"],
        ),
    ]
    if po.status == PurchaseOrder.Status.DRAFT:
        story.append(_p(_t("Draft — not yet confirmed"), styles["small_center"]))
    elif po.status == PurchaseOrder.Status.CANCELLED:
        story.append(_p(_t("Cancelled"), styles["small_center"]))
    story.append(Spacer(1, 5 * mm))

    parties = Table(
        [[_buyer_block(po, shop, styles), _supplier_block(po, styles)]],
        colWidths=[width / 2, width / 2],
    )
    parties.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOX", (0, 0), (0, 0), 0.4, colors.HexColor("#bbbbbb")),
                ("BOX", (1, 0), (1, 0), 0.4, colors.HexColor("#bbbbbb")),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("RIGHTPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    story += [parties, Spacer(1, 3 * mm)]
    if po.expected_date:
        story.append(
            _field(
                _t("Expected delivery date"),
                date_format(po.expected_date, "SHORT_DATE_FORMAT"),
                styles["body"],
            )
        )
    story.append(Spacer(1, 3 * mm))

    header = [_t("#"), _t("SKU"), _t("Product"), _t("Qty")]
    if include_prices:
        header += [_t("Unit price (excl. VAT)"), _t("VAT"), _t("Amount (excl. VAT)")]
    rows = [[_p(h, ParagraphStyle("h", parent=styles["cell"], fontName=bold)) for h in header]]
    for i, line in enumerate(po.lines.all(), start=1):
        variant = line.variant
        name = variant.product.name
        if variant.options_label:
            name += f" — {variant.options_label}"
        code = supplier_codes.get(variant.pk)
        if code:
            name += f" ({_t('Supplier code')}: {code})"
        row = [
            str(i),
            _p(variant.sku, styles["cell"]),
            _p(name, styles["cell"]),
            _p(line.quantity, styles["cell_right"]),
        ]
        if include_prices:
            row += [
                _p(format_vnd(line.unit_price), styles["cell_right"]),
                _p(_vat_label(line.vat_rate), styles["cell_right"]),
                _p(format_vnd(line.quantity * line.unit_price), styles["cell_right"]),
            ]
        rows.append(row)
    widths = (
        [0.07, 0.14, 0.31, 0.07, 0.15, 0.09, 0.17] if include_prices else [0.07, 0.2, 0.58, 0.15]
    )
    lines_table = Table(rows, colWidths=[w * width for w in widths], repeatRows=1)
    lines_table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#bbbbbb")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONTNAME", (0, 1), (-1, -1), regular),
                ("FONTSIZE", (0, 1), (-1, -1), 9),
            ]
        )
    )
    story.append(lines_table)

    if include_prices:
        story += _totals_block(po, styles, width)
    if po.note:
        story += [Spacer(1, 3 * mm), _field(_t("Note"), po.note, styles["body"])]

    signature_cell = [
        [
            _p(_t(who), styles["center_bold"]),
            _p(_t("(signature, full name)"), styles["small_center"]),
        ]
        for who in ("Prepared by", "Approved by", "Supplier's confirmation")
    ]
    signatures = Table([signature_cell], colWidths=[width / 3] * 3, rowHeights=[32 * mm])
    signatures.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [Spacer(1, 8 * mm), KeepTogether([signatures])]

    def footer(canvas, doc_):
        canvas.saveState()
        canvas.setFont(regular, 8)
        canvas.drawString(15 * mm, 10 * mm, f"{_t('PURCHASE ORDER')} {po.code}")
        canvas.drawRightString(
            A4[0] - 15 * mm, 10 * mm, _t("Page %(n)s") % {"n": canvas.getPageNumber()}
        )
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _money(amount: int, styles) -> Paragraph:
    return _p(format_vnd(amount), styles["cell_right"])


def _totals_block(po: PurchaseOrder, styles, width: float) -> list:
    # VAT per rate, then the totals stored on the order (the same rounding as the service).
    by_rate: dict[str, int] = {}
    for line in po.lines.all():
        by_rate[line.vat_rate] = by_rate.get(line.vat_rate, 0) + round_vnd(
            Decimal(line.quantity * line.unit_price) * vat_decimal(line.vat_rate)
        )
    totals = [[_p(_t("Goods (excl. VAT)"), styles["cell_right"]), _money(po.goods_total, styles)]]
    for rate, vat in sorted(by_rate.items()):
        if rate in (VatRate.EXEMPT, VatRate.ZERO):
            continue
        totals.append(
            [_p(f"{_t('VAT amount')} {rate}%", styles["cell_right"]), _money(vat, styles)]
        )
    totals.append(
        [
            _p(_t("Total payable"), styles["cell_bold_right"]),
            Paragraph(escape(format_vnd(po.total)), styles["cell_bold_right"]),
        ]
    )
    totals_table = Table(totals, colWidths=[0.78 * width, 0.22 * width])
    totals_table.setStyle(
        TableStyle(
            [
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return [Spacer(1, 2 * mm), totals_table]
