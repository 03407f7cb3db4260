"""The e-invoice port: what every provider adapter offers, in our own types.

Adapters translate between these types and a provider's API; they never touch models and never
decide outcomes. Errors: RetryableError (timeouts, 5xx, "try again later"), PermanentError
(refused: the provider's own message is the error's message; unknown ids), Unsupported
(donhang.core.integrations).

Money is integer VND. Amounts of an adjustment invoice are signed: a decrease is negative here;
each adapter writes it as its provider expects (S-Invoice: positive amounts with
`isIncreaseItem` false; MISA: negative amounts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from donhang.core.integrations import PermanentError, RetryableError, Unsupported

__all__ = [
    "Capabilities",
    "InvoiceAdapter",
    "InvoiceFile",
    "InvoiceLineData",
    "InvoiceRequest",
    "IssuedInvoice",
    "OriginalRef",
    "Party",
    "PermanentError",
    "ProviderStatus",
    "RateRow",
    "RetryableError",
    "TaxStatus",
    "TemplateInfo",
    "Unsupported",
    "rate_rows",
]


class TaxStatus(StrEnum):
    """Where the invoice is with the tax authority (CQT). Every provider status maps to one."""

    PENDING = "pending"  # sent, no code yet
    CODED = "coded"  # the authority gave its code (C series) or accepted it (K series)
    REJECTED = "rejected"  # refused by the authority: replace it
    NOT_SENT = "not_sent"  # the provider could not send it to the authority (it will retry)


class ProviderStatus(StrEnum):
    """What the provider says the invoice itself is."""

    ISSUED = "issued"
    REPLACED = "replaced"
    ADJUSTED = "adjusted"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Capabilities:
    find_by_reference: bool = True
    tax_code: bool = True  # the authority's code can be asked for
    download_pdf: bool = True
    templates: bool = True
    cancel: bool = False  # S-Invoice dropped cancelling issued invoices on 1 June 2025
    multiple_adjustments: bool = True  # more than one adjustment of the same invoice


@dataclass
class Party:
    name: str  # person (buyer) or company name (seller)
    legal_name: str = ""  # company name of a company buyer
    tax_code: str = ""
    address: str = ""
    phone: str = ""  # digits only, national format
    email: str = ""
    is_company: bool = False
    bank_name: str = ""
    bank_account: str = ""
    code: str = ""  # our customer code


@dataclass
class InvoiceLineData:
    number: int
    kind: str  # "goods", "fee" (the shipping charge) or "note"
    code: str
    name: str
    unit: str
    quantity: Decimal
    unit_price: Decimal  # before VAT (VAT invoice) or incl. VAT (sales invoice)
    amount: int  # quantity × unit price, before the discount
    discount: int  # VND
    net: int  # amount − discount: the taxable amount
    vat_rate: str  # "10", "8", "5", "0", "exempt"; "" on a sales invoice
    vat: int
    gross: int
    is_increase: bool | None = None  # adjustment lines only


@dataclass
class RateRow:
    rate: str
    net: int
    vat: int
    gross: int


@dataclass
class OriginalRef:
    """The invoice a replacement or an adjustment refers to."""

    template_code: str
    series: str
    number: str  # as the provider knows it (S-Invoice's invoiceNo, MISA's InvNo)
    issued_at: datetime
    transaction_id: str = ""


@dataclass
class InvoiceRequest:
    reference: str  # our transaction id: S-Invoice transactionUuid, MISA RefID
    purpose: str  # "original", "replacement" or "adjustment"
    invoice_kind: str  # "vat" or "sales"
    template_code: str
    series: str
    issued_at: datetime
    seller: Party
    buyer: Party
    payment_method: str  # TM, CK, TM/CK
    lines: list[InvoiceLineData]
    rate_rows: list[RateRow]
    total_amount: int  # before discounts and VAT
    total_discount: int
    total_net: int
    total_vat: int
    total: int
    amount_in_words: str
    currency: str = "VND"
    original: OriginalRef | None = None
    reason: str = ""  # of a replacement or an adjustment
    agreement: str = ""  # the written agreement with the buyer (name of the document)
    agreement_date: date | None = None
    send_email: bool = False  # the provider emails the buyer itself (we do instead)
    paid: bool = False


@dataclass
class IssuedInvoice:
    reference: str
    number: str  # as the provider knows it; see `display_number`
    series: str = ""
    template_code: str = ""
    transaction_id: str = ""
    reservation_code: str = ""  # the buyer's lookup code (S-Invoice)
    tax_authority_code: str = ""
    tax_status: TaxStatus = TaxStatus.PENDING
    status: ProviderStatus = ProviderStatus.ISSUED
    issued_at: datetime | None = None
    tax_message: str = ""
    raw: dict = field(default_factory=dict)

    @property
    def display_number(self) -> str:
        """The invoice number as printed (digits): S-Invoice answers series + number."""
        digits = ""
        for char in reversed(self.number):
            if not char.isdigit():
                break
            digits = char + digits
        return str(int(digits)) if digits else self.number


@dataclass
class InvoiceFile:
    content: bytes
    content_type: str
    filename: str = ""


@dataclass
class TemplateInfo:
    template_code: str
    series: str
    active: bool = True
    send_summary: bool = False  # MISA: invoices of this template are sent to the tax authority
    # in summaries (IsSendSummary)


def rate_rows(request: InvoiceRequest) -> list[RateRow]:
    """The request's rows per rate; a sales invoice's one row (no VAT) summed from its lines."""
    if request.rate_rows or request.invoice_kind == "vat":
        return request.rate_rows
    lines = [ln for ln in request.lines if ln.kind != "note"]
    if not lines:
        return []
    net = sum(ln.net for ln in lines)
    return [RateRow(rate="", net=net, vat=0, gross=net)]


class InvoiceAdapter(Protocol):
    provider: str
    capabilities: Capabilities

    def issue(self, request: InvoiceRequest) -> IssuedInvoice:
        """Issue (sign and send) an invoice. Idempotent by `request.reference`: the same
        reference answers the invoice the provider already has."""

    def find_by_reference(self, reference: str) -> IssuedInvoice | None:
        """The invoice issued under our reference, or None when the provider has none."""

    def status(self, invoice: IssuedInvoice) -> IssuedInvoice:
        """The invoice as the provider has it now (the tax authority's code once given).
        Unknown invoice: PermanentError."""

    def download_pdf(self, invoice: IssuedInvoice) -> InvoiceFile:
        """The invoice's PDF as the provider renders it. Unknown invoice: PermanentError; not
        ready yet: RetryableError."""

    def templates(self) -> list[TemplateInfo]: ...

    def map_status(self, provider_status: str) -> ProviderStatus: ...

    def map_tax_status(self, provider_status: str) -> TaxStatus: ...
