"""MISA meInvoice emulator data: companies, templates (series), invoices, statuses, files."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date, datetime
from xml.sax.saxutils import escape

from emulators.common import invoice_pdf

# EInvoiceStatus
ORIGINAL, CANCELLED, REPLACEMENT, ADJUSTMENT, REPLACED, ADJUSTED = 1, 2, 3, 5, 7, 8
# SendTaxStatus
TAX_PENDING, TAX_SEND_ERROR, TAX_ACCEPTED, TAX_REJECTED = 0, 1, 2, 3
REFERENCE_REPLACE, REFERENCE_ADJUST = 1, 2
MAX_INVOICES_PER_REQUEST = 30
MAX_LINES = 400
SIGN_HSM_SYNC, SIGN_CASH_REGISTER = 2, 5


class CI(dict):
    """A JSON object read as ASP.NET binds it: keys are case-insensitive."""

    def __init__(self, data: dict):
        super().__init__({str(k).lower(): ci(v) for k, v in data.items()})

    def get(self, key, default=None):
        return super().get(str(key).lower(), default)

    def __getitem__(self, key):
        return super().__getitem__(str(key).lower())

    def __contains__(self, key) -> bool:
        return super().__contains__(str(key).lower())


def ci(value):
    if isinstance(value, dict):
        return CI(value)
    if isinstance(value, list):
        return [ci(v) for v in value]
    return value


@dataclass
class Template:
    inv_series: str  # "1C26TAA" = template number "1" + symbol "C26TAA"
    inactive: bool = False
    is_send_summary: bool = False

    @property
    def template_no(self) -> str:
        return self.inv_series[0]

    @property
    def symbol(self) -> str:
        return self.inv_series[1:]

    @property
    def with_code(self) -> bool:
        return self.symbol.startswith("C")

    @property
    def cash_register(self) -> bool:
        return self.symbol[3] == "M"

    def as_dict(self) -> dict:
        return {
            "InvSeries": self.inv_series,
            "InvTemplateNo": self.template_no,
            "Inactive": self.inactive,
            "IsSendSummary": self.is_send_summary,
            "InvoiceWithCode": self.with_code,
            "IsInvoiceCalculatingMachine": self.cash_register,
            "TemplateName": "Hóa đơn giá trị gia tăng"
            if self.template_no == "1"
            else "Hóa đơn bán hàng",
        }


@dataclass
class Company:
    tax_code: str
    name: str
    address: str
    appid: str
    username: str
    password: str
    templates: dict[str, Template]
    quota: int
    issued: int = 0


@dataclass
class Invoice:
    tax_code: str
    ref_id: str
    transaction_id: str
    template: Template
    number: int
    inv_date: date
    created: datetime
    status: int
    reference_type: int | None
    original: Invoice | None
    buyer: dict
    lines: list[dict]
    rows: list[dict]
    net: int
    vat: int
    total: int
    words: str
    data: dict
    tax_due: datetime | None
    send_tax_status: int = TAX_PENDING
    invoice_code: str | None = None
    tax_message: str | None = None
    adjusted_by: list[str] = field(default_factory=list)
    replaced_by: str | None = None

    @property
    def inv_no(self) -> str:
        return f"{self.number:08d}"  # 8 digits, zero-padded [U]

    def publish_result(self) -> dict:
        return {
            "RefID": self.ref_id,
            "TransactionID": self.transaction_id,
            "InvTemplateNo": self.template.template_no,
            "InvSeries": self.template.inv_series,
            "InvNo": self.inv_no,
            "InvDate": self.inv_date.isoformat(),
            "ErrorCode": None,
            "Description": None,
        }

    def status_result(self) -> dict:
        org = self.original
        return {
            **self.publish_result(),
            "EInvoiceStatus": self.status,
            "SendTaxStatus": self.send_tax_status,
            "InvoiceCode": self.invoice_code,
            "Description": self.tax_message,
            "ReferenceType": self.reference_type,
            "OrgInvSeries": org.template.symbol if org else None,
            "OrgInvNo": org.inv_no if org else None,
            "OrgInvDate": org.inv_date.isoformat() if org else None,
            "ReplacedBy": self.replaced_by,
            "AdjustedBy": list(self.adjusted_by),
            "BuyerLegalName": self.buyer.get("BuyerLegalName"),
            "BuyerFullName": self.buyer.get("BuyerFullName"),
            "BuyerTaxCode": self.buyer.get("BuyerTaxCode") or None,
            "TotalAmountWithoutVAT": self.net,
            "TotalVATAmount": self.vat,
            "TotalAmount": self.total,
            "IsDelete": False,
        }


def pdf_doc(invoice: Invoice, company: Company, *, draft: bool = False) -> dict:
    notes = []
    org = invoice.original
    if org is not None:
        verb = "Thay thế cho" if invoice.reference_type == REFERENCE_REPLACE else "Điều chỉnh cho"
        notes.append(
            f"{verb} hóa đơn mẫu số {org.template.template_no} ký hiệu {org.template.symbol} "
            f"số {org.inv_no} ngày {org.inv_date:%d/%m/%Y}"
        )
    if invoice.status in (REPLACED, ADJUSTED):
        notes.append(
            "Hóa đơn đã bị thay thế" if invoice.status == REPLACED else "Hóa đơn đã bị điều chỉnh"
        )
    if draft:
        notes.insert(0, "BẢN XEM TRƯỚC — CHƯA PHÁT HÀNH")
    return {
        "provider": "MISA meInvoice (emulator)",
        "title": "HÓA ĐƠN GIÁ TRỊ GIA TĂNG",
        "template": invoice.template.template_no,
        "series": invoice.template.symbol,
        "number": "" if draft else invoice.inv_no,
        "date": f"{invoice.inv_date:%d/%m/%Y}",
        "seller": {"name": company.name, "tax_code": company.tax_code, "address": company.address},
        "buyer": {
            "name": invoice.buyer.get("BuyerFullName"),
            "legal_name": invoice.buyer.get("BuyerLegalName"),
            "tax_code": invoice.buyer.get("BuyerTaxCode"),
            "address": invoice.buyer.get("BuyerAddress"),
        },
        "lines": invoice.lines,
        "rows": invoice.rows,
        "net": invoice.net,
        "vat": invoice.vat,
        "total": invoice.total,
        "words": invoice.words,
        "cqt_code": invoice.invoice_code,
        "lookup_code": None if draft else invoice.transaction_id,
        "notes": notes,
    }


def pdf_bytes(invoice: Invoice, company: Company, *, draft: bool = False) -> bytes:
    return invoice_pdf(pdf_doc(invoice, company, draft=draft))


def xml_bytes(invoice: Invoice, company: Company) -> bytes:
    lines = "".join(
        f"<HHDVu><STT>{line['no']}</STT><THHDVu>{escape(str(line['name']))}</THHDVu>"
        f"<ThTien>{line['amount']}</ThTien><TSuat>{escape(str(line['rate']))}</TSuat>"
        f"<TThue>{line['vat']}</TThue></HHDVu>"
        for line in invoice.lines
    )
    buyer = invoice.buyer.get("BuyerLegalName") or invoice.buyer.get("BuyerFullName") or ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?><HDon><DLHDon>'
        f"<TTChung><KHMSHDon>{invoice.template.template_no}</KHMSHDon>"
        f"<KHHDon>{invoice.template.symbol}</KHHDon><SHDon>{invoice.number}</SHDon>"
        f"<NLap>{invoice.inv_date.isoformat()}</NLap></TTChung>"
        f"<NDHDon><NBan><Ten>{escape(company.name)}</Ten><MST>{company.tax_code}</MST></NBan>"
        f"<NMua><Ten>{escape(str(buyer))}</Ten>"
        f"<MST>{escape(str(invoice.buyer.get('BuyerTaxCode') or ''))}</MST></NMua>"
        f"<DSHHDVu>{lines}</DSHHDVu><TToan><TgTCThue>{invoice.net}</TgTCThue>"
        f"<TgTThue>{invoice.vat}</TgTThue><TgTTTBSo>{invoice.total}</TgTTTBSo>"
        f"<TgTTTBChu>{escape(invoice.words)}</TgTTTBChu></TToan></NDHDon></DLHDon>"
        f"<MCCQT>{escape(invoice.invoice_code or '')}</MCCQT></HDon>"
    ).encode()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
