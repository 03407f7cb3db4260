"""Viettel SInvoice emulator data: accounts, suppliers with templates and series, invoices, files."""

from __future__ import annotations

import base64
import io
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from xml.sax.saxutils import escape

from emulators.common import VN_TZ, invoice_pdf

PAYMENT_METHODS = {"TM", "CK", "TM/CK", "DTCN", "KHAC"}
# taxPercentage: −2 not subject to VAT (KCT), −1 not declared (KKKNT) — Odoo's reading [U].
TAX_PERCENTAGES = {-2: "KCT", -1: "KKKNT", 0: "0%", 5: "5%", 8: "8%", 10: "10%"}
INVOICE_TYPES = {"1": "1", "01GTKT": "1", "2": "2", "02GTTT": "2"}
TEMPLATE_NAMES = {"1": "Hóa đơn giá trị gia tăng", "2": "Hóa đơn bán hàng"}
ORIGINAL, REPLACEMENT, ADJUSTMENT = "1", "3", "5"
IDEMPOTENCY_SECONDS = 3 * 86400


@dataclass
class Template:
    code: str  # "1/001"
    invoice_type: str  # "1" VAT invoice
    series: list[str]  # ["C26TAA", …]


@dataclass
class Supplier:
    tax_code: str
    name: str
    address: str
    templates: dict[str, Template]


@dataclass
class SeriesState:
    next_number: int = 1
    last_issued_ms: int = 0


@dataclass
class Invoice:
    supplier: str
    transaction_uuid: str
    transaction_id: str
    template_code: str
    series: str
    number: int
    issued_ms: int
    created: datetime
    reservation_code: str
    code_of_tax: str | None
    adjustment_type: str
    adjustment_invoice_type: str
    original_no: str | None
    payment_status: bool
    buyer: dict
    lines: list[dict]
    rows: list[dict]
    net: int
    vat: int
    total: int
    words: str
    data: dict
    state: str = "ISSUED"  # ISSUED | REPLACED | ADJUSTED
    replaced_by: str | None = None
    adjusted_by: list[str] = field(default_factory=list)

    @property
    def invoice_no(self) -> str:
        # Series + sequence number, no padding ("C26TAA1"); the reference's example K24TUT01
        # comes from a test fixture [U].
        return f"{self.series}{self.number}"

    def issue_date(self) -> datetime:
        return datetime.fromtimestamp(self.issued_ms / 1000, VN_TZ)

    def create_result(self) -> dict:
        return {
            "supplierTaxCode": self.supplier,
            "invoiceNo": self.invoice_no,
            "transactionID": self.transaction_id,
            "reservationCode": self.reservation_code,
            "codeOfTax": self.code_of_tax,
        }

    def search_result(self) -> dict:
        return {
            **self.create_result(),
            "transactionUuid": self.transaction_uuid,
            "templateCode": self.template_code,
            "invoiceSeri": self.series,
            "invoiceNumber": str(self.number),
            "issueDate": self.issued_ms,
            "issueDateStr": self.issue_date().strftime("%d/%m/%Y %H:%M:%S"),
            # Odoo reads the payment state from ``status`` ("Chưa thanh toán" = unpaid).
            "status": "Đã thanh toán" if self.payment_status else "Chưa thanh toán",
            "paymentStatus": 1 if self.payment_status else 0,
            "adjustmentType": self.adjustment_type,
            "originalInvoiceId": self.original_no,
            "state": self.state,
            "replacedBy": self.replaced_by,
            "adjustedBy": list(self.adjusted_by),
            "buyerName": self.buyer.get("buyerName") or self.buyer.get("buyerLegalName"),
            "buyerTaxCode": self.buyer.get("buyerTaxCode") or None,
            "totalBeforeTax": self.net,
            "taxAmount": self.vat,
            "total": self.total,
            "currency": self.data.get("currencyCode") or "VND",
        }


def pdf_doc(invoice: Invoice, supplier: Supplier, original: Invoice | None) -> dict:
    notes = []
    if original is not None:
        verb = "Thay thế cho" if invoice.adjustment_type == REPLACEMENT else "Điều chỉnh cho"
        notes.append(
            f"{verb} hóa đơn mẫu số {original.template_code} ký hiệu {original.series} "
            f"số {original.number} ngày {original.issue_date():%d/%m/%Y}"
        )
    if invoice.state != "ISSUED":
        notes.append(
            "Hóa đơn đã bị thay thế" if invoice.state == "REPLACED" else "Hóa đơn đã bị điều chỉnh"
        )
    return {
        "provider": "Viettel SInvoice (emulator)",
        "title": TEMPLATE_NAMES.get(
            supplier.templates[invoice.template_code].invoice_type, "HÓA ĐƠN"
        ).upper(),
        "template": invoice.template_code,
        "series": invoice.series,
        "number": invoice.number,
        "date": invoice.issue_date().strftime("%d/%m/%Y"),
        "seller": {
            "name": supplier.name,
            "tax_code": supplier.tax_code,
            "address": supplier.address,
        },
        "buyer": {
            "name": invoice.buyer.get("buyerName"),
            "legal_name": invoice.buyer.get("buyerLegalName"),
            "tax_code": invoice.buyer.get("buyerTaxCode"),
            "address": invoice.buyer.get("buyerAddressLine"),
        },
        "lines": invoice.lines,
        "rows": invoice.rows,
        "net": invoice.net,
        "vat": invoice.vat,
        "total": invoice.total,
        "words": invoice.words,
        "cqt_code": invoice.code_of_tax,
        "lookup_code": invoice.reservation_code,
        "notes": notes,
    }


def pdf_bytes(invoice: Invoice, supplier: Supplier, original: Invoice | None) -> bytes:
    return invoice_pdf(pdf_doc(invoice, supplier, original))


def zip_bytes(invoice: Invoice, supplier: Supplier) -> bytes:
    """A zip holding a zip with the invoice XML and its XSL (as SInvoice's ZIP file type)."""
    lines = "".join(
        f"<HHDVu><STT>{line['no']}</STT><THHDVu>{escape(str(line['name']))}</THHDVu>"
        f"<ThTien>{line['amount']}</ThTien><TSuat>{line['rate']}</TSuat>"
        f"<TThue>{line['vat']}</TThue></HHDVu>"
        for line in invoice.lines
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><HDon><DLHDon>'
        f"<TTChung><KHMSHDon>{escape(invoice.template_code)}</KHMSHDon>"
        f"<KHHDon>{escape(invoice.series)}</KHHDon><SHDon>{invoice.number}</SHDon>"
        f"<NLap>{invoice.issue_date():%Y-%m-%d}</NLap></TTChung>"
        f"<NDHDon><NBan><Ten>{escape(supplier.name)}</Ten><MST>{supplier.tax_code}</MST></NBan>"
        f"<NMua><Ten>{escape(str(invoice.buyer.get('buyerLegalName') or invoice.buyer.get('buyerName') or ''))}</Ten>"
        f"<MST>{escape(str(invoice.buyer.get('buyerTaxCode') or ''))}</MST></NMua>"
        f"<DSHHDVu>{lines}</DSHHDVu><TToan><TgTCThue>{invoice.net}</TgTCThue>"
        f"<TgTThue>{invoice.vat}</TgTThue><TgTTTBSo>{invoice.total}</TgTTTBSo>"
        f"<TgTTTBChu>{escape(invoice.words)}</TgTTTBChu></TToan></NDHDon></DLHDon>"
        f"<MCCQT>{escape(invoice.code_of_tax or '')}</MCCQT></HDon>"
    ).encode()
    xsl = b'<?xml version="1.0"?><xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"/>'
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr(f"{invoice.invoice_no}.xml", xml)
        z.writestr(f"{invoice.invoice_no}.xsl", xsl)
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w") as z:
        z.writestr(f"{invoice.invoice_no}.zip", inner.getvalue())
    return outer.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
