"""Our own rendering of an e-invoice as an A4 PDF: the preview before issuing (marked as a
preview, with no number) and a copy of an issued invoice while the provider's PDF is not
downloaded yet. The legal document is the provider's (signed, with the tax authority's code).

Invoices are Vietnamese documents: the words on them are Vietnamese whatever the reader's
language. Roboto keeps the diacritics intact (reportlab's built-in fonts have no ễ or ặ).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from donhang.core.pdf import register_fonts
from donhang.invoicing.drafting import InvoiceDraft
from donhang.invoicing.models import Invoice
from donhang.invoicing.symbols import KIND_DIGITS

TITLES = {"vat": "HÓA ĐƠN GIÁ TRỊ GIA TĂNG", "sales": "HÓA ĐƠN BÁN HÀNG"}
SUBTITLES = {
    "replacement": "HÓA ĐƠN THAY THẾ",
    "adjustment": "HÓA ĐƠN ĐIỀU CHỈNH",
}
RATE_LABELS = {"10": "10%", "8": "8%", "5": "5%", "0": "0%", "exempt": "KCT", "": ""}
PAYMENT_LABELS = {"TM": "Tiền mặt (TM)", "CK": "Chuyển khoản (CK)", "TM/CK": "TM/CK"}


@dataclass
class DocLine:
    number: int
    name: str
    unit: str
    quantity: int
    unit_price: Decimal
    amount: int
    discount: int
    net: int
    rate: str
    vat: int
    gross: int
    is_increase: bool | None = None


@dataclass
class InvoiceDocument:
    kind: str
    purpose: str
    template_code: str
    series: str
    number: str
    on: date
    seller: dict
    buyer: dict
    payment_method: str
    lines: list[DocLine]
    rate_rows: list[dict]
    total_amount: int
    total_discount: int
    total_net: int
    total_vat: int
    total: int
    words: str
    tax_authority_code: str = ""
    reservation_code: str = ""
    original_text: str = ""
    reason: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def symbol(self) -> str:
        return KIND_DIGITS.get(self.kind, "") + self.series


def _money(value: int) -> str:
    return f"{int(value):,}".replace(",", ".")


def _price(value: Decimal) -> str:
    whole = int(value)
    text = _money(whole)
    fraction = abs(value - whole)
    if fraction:
        digits = f"{fraction:f}".split(".")[1].rstrip("0")
        text += "," + digits
    return text


def document_from_draft(draft: InvoiceDraft) -> InvoiceDocument:
    template = draft.template
    notes = []
    if draft.rate_changes:
        notes.append(
            "Thuế suất thay đổi theo ngày lập hóa đơn: "
            + ", ".join(f"{c.what} {c.old}% → {c.new}%" for c in draft.rate_changes)
        )
    return InvoiceDocument(
        kind=draft.invoice_kind,
        purpose="original",
        template_code=template.template_code if template else "",
        series=template.series if template else "",
        number="",
        on=draft.invoice_date,
        seller=vars(draft.seller),
        buyer=vars(draft.buyer),
        payment_method=draft.payment_method,
        lines=[
            DocLine(
                number=i,
                name=ln.name,
                unit=ln.unit,
                quantity=ln.quantity,
                unit_price=ln.unit_price,
                amount=ln.amount,
                discount=ln.discount,
                net=ln.net,
                rate=ln.vat_rate,
                vat=ln.vat,
                gross=ln.gross,
            )
            for i, ln in enumerate(draft.lines, start=1)
        ],
        rate_rows=draft.rate_rows,
        total_amount=draft.total_amount,
        total_discount=draft.total_discount,
        total_net=draft.total_net,
        total_vat=draft.total_vat,
        total=draft.total,
        words=draft.amount_in_words,
        notes=notes,
    )


def document_from_invoice(invoice: Invoice) -> InvoiceDocument:
    original_text = ""
    if invoice.original_id:
        first = invoice.original
        verb = "Thay thế cho" if invoice.purpose == "replacement" else "Điều chỉnh cho"
        when = first.invoice_date.strftime("%d/%m/%Y") if first.invoice_date else ""
        original_text = (
            f"{verb} hóa đơn mẫu số {first.template_code}, ký hiệu {first.series}, "
            f"số {first.number}, ngày {when}"
        )
    return InvoiceDocument(
        kind=invoice.invoice_kind,
        purpose=invoice.purpose,
        template_code=invoice.template_code,
        series=invoice.series,
        number=invoice.number,
        on=invoice.invoice_date or date.today(),
        seller={
            "name": invoice.seller_name,
            "tax_code": invoice.seller_tax_code,
            "address": invoice.seller_address,
            "phone": invoice.seller_phone,
            "email": invoice.seller_email,
            "bank_name": invoice.seller_bank_name,
            "bank_account": invoice.seller_bank_account,
        },
        buyer={
            "kind": invoice.buyer_kind,
            "name": invoice.buyer_name,
            "company_name": invoice.buyer_company_name,
            "tax_code": invoice.buyer_tax_code,
            "address": invoice.buyer_address,
            "email": invoice.buyer_email,
            "phone": invoice.buyer_phone,
        },
        payment_method=invoice.payment_method,
        lines=[
            DocLine(
                number=ln.position,
                name=ln.name,
                unit=ln.unit,
                quantity=ln.quantity,
                unit_price=ln.unit_price,
                amount=ln.amount,
                discount=ln.discount,
                net=ln.net,
                rate=ln.vat_rate,
                vat=ln.vat,
                gross=ln.gross,
                is_increase=ln.is_increase,
            )
            for ln in invoice.lines.all()
        ],
        rate_rows=invoice.vat_breakdown,
        total_amount=invoice.total_amount,
        total_discount=invoice.total_discount,
        total_net=invoice.total_net,
        total_vat=invoice.total_vat,
        total=invoice.total,
        words=invoice.amount_in_words,
        tax_authority_code=invoice.tax_authority_code,
        reservation_code=invoice.reservation_code,
        original_text=original_text,
        reason=invoice.reason,
    )


def _styles():
    regular, bold = register_fonts()
    return {
        "title": ParagraphStyle(
            "title", fontName=bold, fontSize=16, leading=20, alignment=TA_CENTER
        ),
        "center": ParagraphStyle(
            "center", fontName=regular, fontSize=9.5, leading=12, alignment=TA_CENTER
        ),
        "center_bold": ParagraphStyle(
            "center_bold", fontName=bold, fontSize=10.5, leading=13, alignment=TA_CENTER
        ),
        "body": ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=12.5),
        "bold": ParagraphStyle("bold", fontName=bold, fontSize=9.5, leading=12.5),
        "cell": ParagraphStyle("cell", fontName=regular, fontSize=8.5, leading=10.5),
        "head": ParagraphStyle("head", fontName=bold, fontSize=8, leading=10, alignment=TA_CENTER),
        "num": ParagraphStyle(
            "num", fontName=regular, fontSize=8.5, leading=10.5, alignment=TA_RIGHT
        ),
        "num_bold": ParagraphStyle(
            "num_bold", fontName=bold, fontSize=9, leading=11, alignment=TA_RIGHT
        ),
        "warning": ParagraphStyle(
            "warning",
            fontName=bold,
            fontSize=10,
            leading=13,
            alignment=TA_CENTER,
            textColor=colors.HexColor("#b02a37"),
        ),
    }


def render_invoice_pdf(doc: InvoiceDocument, *, preview: bool = False) -> bytes:
    s = _styles()
    buffer = BytesIO()
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=12 * mm,
        bottomMargin=14 * mm,
        title=f"{TITLES.get(doc.kind, '')} {doc.symbol} {doc.number}".strip(),
        author=doc.seller.get("name", ""),
    )

    def p(text, style="body"):
        return Paragraph(escape(str(text or "")), s[style])

    story = []
    if preview:
        story.append(p("BẢN XEM TRƯỚC — CHƯA PHÁT HÀNH, KHÔNG CÓ GIÁ TRỊ PHÁP LÝ", "warning"))
        story.append(Spacer(1, 2 * mm))
    story.append(p(TITLES.get(doc.kind, "HÓA ĐƠN"), "title"))
    if doc.purpose in SUBTITLES:
        story.append(p(SUBTITLES[doc.purpose], "center_bold"))
    story.append(p(f"Ngày {doc.on.day:02d} tháng {doc.on.month:02d} năm {doc.on.year}", "center"))
    story.append(
        p(
            f"Mẫu số: {doc.template_code}   Ký hiệu: {doc.symbol}   "
            f"Số: {doc.number or '(chưa cấp)'}",
            "center",
        )
    )
    if doc.tax_authority_code:
        story.append(p(f"Mã của cơ quan thuế: {doc.tax_authority_code}", "center"))
    if doc.original_text:
        story.append(p(doc.original_text, "center"))
    story.append(Spacer(1, 4 * mm))

    seller, buyer = doc.seller, doc.buyer
    story += [
        p(f"Đơn vị bán hàng: {seller.get('name', '')}", "bold"),
        p(f"Mã số thuế: {seller.get('tax_code', '')}"),
        p(f"Địa chỉ: {seller.get('address', '')}"),
    ]
    contact = " · ".join(
        x
        for x in (
            f"Điện thoại: {seller['phone']}" if seller.get("phone") else "",
            f"Email: {seller['email']}" if seller.get("email") else "",
        )
        if x
    )
    if contact:
        story.append(p(contact))
    if seller.get("bank_account"):
        story.append(p(f"Số tài khoản: {seller['bank_account']} — {seller.get('bank_name', '')}"))
    story.append(Spacer(1, 3 * mm))
    story.append(p(f"Họ tên người mua hàng: {buyer.get('name', '')}"))
    if buyer.get("kind") == "company":
        story.append(p(f"Tên đơn vị: {buyer.get('company_name', '')}", "bold"))
    story += [
        p(f"Mã số thuế: {buyer.get('tax_code', '')}"),
        p(f"Địa chỉ: {buyer.get('address', '')}"),
        p("Hình thức thanh toán: " + PAYMENT_LABELS.get(doc.payment_method, doc.payment_method)),
    ]
    if doc.reason:
        story.append(p(f"Lý do: {doc.reason}"))
    story.append(Spacer(1, 4 * mm))

    vat = doc.kind == "vat"
    if vat:
        head = [
            "STT",
            "Tên hàng hóa, dịch vụ",
            "ĐVT",
            "Số lượng",
            "Đơn giá",
            "Chiết khấu",
            "Thành tiền chưa có thuế",
            "Thuế suất",
            "Tiền thuế GTGT",
        ]
        widths = [9, 52, 12, 14, 22, 18, 25, 14, 20]
    else:
        head = [
            "STT",
            "Tên hàng hóa, dịch vụ",
            "ĐVT",
            "Số lượng",
            "Đơn giá",
            "Chiết khấu",
            "Thành tiền",
        ]
        widths = [10, 74, 14, 16, 24, 20, 28]
    rows = [[p(h, "head") for h in head]]
    for ln in doc.lines:
        name = ln.name
        if ln.is_increase is not None:
            name += " (điều chỉnh tăng)" if ln.is_increase else " (điều chỉnh giảm)"
        row = [
            p(ln.number, "num"),
            p(name, "cell"),
            p(ln.unit, "cell"),
            p(ln.quantity, "num"),
            p(_price(ln.unit_price), "num"),
            p(_money(ln.discount) if ln.discount else "", "num"),
            p(_money(ln.net), "num"),
        ]
        if vat:
            row += [p(RATE_LABELS.get(ln.rate, ln.rate), "num"), p(_money(ln.vat), "num")]
        rows.append(row)
    table = Table(rows, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f1f3f5")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(table)
    story.append(Spacer(1, 4 * mm))

    if vat and doc.rate_rows:
        breakdown = [
            [
                p("Tổng hợp theo thuế suất", "head"),
                p("Thành tiền chưa có thuế", "head"),
                p("Tiền thuế GTGT", "head"),
                p("Cộng tiền thanh toán", "head"),
            ]
        ]
        for row in doc.rate_rows:
            label = RATE_LABELS.get(row["rate"], row["rate"])
            breakdown.append(
                [
                    p(f"Thuế suất {label}" if row["rate"] != "exempt" else "Không chịu thuế"),
                    p(_money(row["net"]), "num"),
                    p(_money(row["vat"]), "num"),
                    p(_money(row["gross"]), "num"),
                ]
            )
        rate_table = Table(breakdown, colWidths=[60 * mm, 40 * mm, 40 * mm, 42 * mm])
        rate_table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f1f3f5")),
                ]
            )
        )
        story.append(rate_table)
        story.append(Spacer(1, 3 * mm))

    totals = [
        ["Cộng tiền hàng trước chiết khấu:", _money(doc.total_amount)],
        ["Chiết khấu:", _money(doc.total_discount)],
        ["Cộng tiền hàng chưa có thuế:" if vat else "Cộng tiền hàng:", _money(doc.total_net)],
    ]
    if vat:
        totals.append(["Tiền thuế GTGT:", _money(doc.total_vat)])
    totals.append(["Tổng cộng tiền thanh toán:", _money(doc.total)])
    total_table = Table(
        [[p(a, "bold"), p(b, "num_bold")] for a, b in totals], colWidths=[140 * mm, 42 * mm]
    )
    story.append(total_table)
    story.append(Spacer(1, 2 * mm))
    story.append(p(f"Số tiền viết bằng chữ: {doc.words}", "bold"))
    for note in doc.notes:
        story.append(Spacer(1, 2 * mm))
        story.append(p(note, "warning"))
    story.append(Spacer(1, 10 * mm))
    signatures = Table(
        [
            [p("Người mua hàng", "center_bold"), p("Người bán hàng", "center_bold")],
            [p("(Ký, ghi rõ họ tên)", "center"), p("(Ký điện tử)", "center")],
        ],
        colWidths=[91 * mm, 91 * mm],
    )
    story.append(signatures)
    if doc.reservation_code:
        story.append(Spacer(1, 6 * mm))
        story.append(p(f"Mã tra cứu hóa đơn: {doc.reservation_code}", "center"))
    pdf.build(story)
    return buffer.getvalue()
