"""E-invoice REST API: the draft of an order's invoice, issuing it, the invoices.

Money is integer VND. Issuing answers 202: the invoice is saved at once and issued at the
provider in the background; poll `GET /invoices/{id}` until `state` is "issued" (then
`tax_authority_code` and `pdf_url` follow) or "failed" (with `last_error`). Issuing again
answers the order's invoice (200), never a second one. Errors: 401 without a valid key, 403
when the role may not do it, 404 unknown order / invoice, 409 an order that cannot be invoiced
(yet), 422 invalid input (with `fields`: e.g. `buyer_tax_code` for a tax code that fails its
check digit, `template_id` for an unknown template).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from donhang.core.errors import NotFound, ValidationFailed
from donhang.invoicing import selectors, services
from donhang.invoicing.drafting import check_draft
from donhang.invoicing.models import Invoice, Purpose, State
from donhang.orders.selectors import order_list_by_codes

router = Router(tags=["invoicing"])


# --- schemas ---------------------------------------------------------------------------------


class BuyerOut(Schema):
    kind: str = Field(description="individual or company")
    name: str
    company_name: str
    tax_code: str
    address: str
    email: str


class SellerOut(Schema):
    name: str
    tax_code: str
    address: str


class LineOut(Schema):
    kind: str = Field(description="goods, fee (the shipping charge) or note")
    sku: str
    name: str
    unit: str
    quantity: int
    unit_price: Decimal = Field(description="Before VAT (VAT invoice); may have decimals")
    amount: int = Field(description="quantity × unit price, before the discount")
    discount: int
    net: int = Field(description="Taxable amount: amount − discount")
    vat_rate: str = Field(description='"10", "8", "5", "0", "exempt"; "" on a sales invoice')
    vat: int
    gross: int = Field(description="net + VAT: what the buyer paid for the line")
    order_vat_rate: str = Field(description="The rate on the order (differs when it changed)")
    is_increase: bool | None = Field(None, description="Adjustment lines: increase or decrease")


class RateRowOut(Schema):
    rate: str
    net: int
    vat: int
    gross: int


class RateChangeOut(Schema):
    what: str
    old: str
    new: str


class PreviewOut(Schema):
    order: str
    template_id: int | None
    template_code: str
    series: str
    invoice_kind: str
    invoice_date: date
    buyer: BuyerOut
    seller: SellerOut
    payment_method: str = Field(description="TM cash, CK bank transfer")
    lines: list[LineOut]
    vat_breakdown: list[RateRowOut] = Field(description="One row per rate: sums of the lines")
    total_amount: int
    total_discount: int
    total_net: int
    total_vat: int
    total: int
    amount_in_words: str
    needs_review: bool = Field(description="A VAT rate changed by the invoice date")
    rate_changes: list[RateChangeOut]
    problems: dict[str, str] = Field(
        description="What would stop issuing now (field → reason); empty when it can be issued"
    )


class IssueIn(Schema):
    template_id: int | None = Field(None, description="Default: the default template")


class InvoiceOut(Schema):
    id: int
    order: str
    purpose: str = Field(description="original, replacement or adjustment")
    original_id: int | None
    state: str = Field(
        description="draft, issuing, issued, failed, replaced, adjusted or cancelled"
    )
    provider: str
    template_id: int
    template_code: str
    series: str
    symbol: str = Field(description="Template digit + series as printed, e.g. 1C26TAA")
    number: str
    invoice_date: date | None
    issued_at: datetime | None
    tax_authority_code: str
    tax_status: str
    reservation_code: str
    reference: str = Field(description="Our transaction id at the provider")
    buyer: BuyerOut
    total_net: int
    total_vat: int
    total: int
    amount_in_words: str
    vat_breakdown: list[RateRowOut]
    needs_review: bool
    last_error: str
    reason: str
    pdf_url: str = Field(description="The invoice's PDF (the provider's once downloaded)")
    emailed_at: datetime | None
    lines: list[LineOut] | None = None


class InvoicePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[InvoiceOut]


# --- helpers ---------------------------------------------------------------------------------


def _order(code: str):
    orders = order_list_by_codes(codes=[code.strip().upper()])
    if not orders:
        raise NotFound(_("There is no order %(code)s.") % {"code": code})
    return orders[0]


def _invoice(invoice_id: int) -> Invoice:
    invoice = selectors.invoice_get(pk=invoice_id)
    if invoice is None:
        raise NotFound(_("There is no such invoice."))
    return invoice


def _line(ln) -> dict:
    return {
        "kind": ln.kind,
        "sku": ln.sku,
        "name": ln.name,
        "unit": ln.unit,
        "quantity": ln.quantity,
        "unit_price": ln.unit_price,
        "amount": ln.amount,
        "discount": ln.discount,
        "net": ln.net,
        "vat_rate": ln.vat_rate,
        "vat": ln.vat,
        "gross": ln.gross,
        "order_vat_rate": ln.order_vat_rate,
        "is_increase": ln.is_increase,
    }


def _invoice_out(invoice: Invoice, *, with_lines: bool = True) -> dict:
    return {
        "id": invoice.pk,
        "order": invoice.order.code,
        "purpose": invoice.purpose,
        "original_id": invoice.original_id,
        "state": invoice.state,
        "provider": invoice.account.provider,
        "template_id": invoice.template_id,
        "template_code": invoice.template_code,
        "series": invoice.series,
        "symbol": invoice.symbol,
        "number": invoice.number,
        "invoice_date": invoice.invoice_date,
        "issued_at": invoice.issued_at,
        "tax_authority_code": invoice.tax_authority_code,
        "tax_status": invoice.tax_status,
        "reservation_code": invoice.reservation_code,
        "reference": invoice.reference,
        "buyer": {
            "kind": invoice.buyer_kind,
            "name": invoice.buyer_name,
            "company_name": invoice.buyer_company_name,
            "tax_code": invoice.buyer_tax_code,
            "address": invoice.buyer_address,
            "email": invoice.buyer_email,
        },
        "total_net": invoice.total_net,
        "total_vat": invoice.total_vat,
        "total": invoice.total,
        "amount_in_words": invoice.amount_in_words,
        "vat_breakdown": invoice.vat_breakdown,
        "needs_review": invoice.needs_review,
        "last_error": invoice.last_error,
        "reason": invoice.reason,
        "pdf_url": reverse("invoicing:invoice_pdf", args=[invoice.pk]),
        "emailed_at": invoice.emailed_at,
        "lines": [_line(ln) for ln in invoice.lines.all()] if with_lines else None,
    }


# --- endpoints -------------------------------------------------------------------------------


@router.get(
    "/orders/{code}/invoice-preview",
    response=PreviewOut,
    summary="The order's e-invoice as it would be sent now (nothing is sent)",
)
def invoice_preview(request, code: str, template_id: int | None = None):
    request.principal.require("invoicing.view_invoice")
    order = _order(code)
    template = services.template_get(template_id, field="template_id")
    draft = services.invoice_preview(order=order, template=template)
    problems: dict[str, str] = {}
    try:
        check_draft(draft)
    except ValidationFailed as exc:
        problems = exc.fields or {"": exc.message}
    return {
        "order": order.code,
        "template_id": draft.template.pk if draft.template else None,
        "template_code": draft.template.template_code if draft.template else "",
        "series": draft.template.series if draft.template else "",
        "invoice_kind": draft.invoice_kind,
        "invoice_date": draft.invoice_date,
        "buyer": {
            "kind": draft.buyer.kind,
            "name": draft.buyer.name,
            "company_name": draft.buyer.company_name,
            "tax_code": draft.buyer.tax_code,
            "address": draft.buyer.address,
            "email": draft.buyer.email,
        },
        "seller": {
            "name": draft.seller.name,
            "tax_code": draft.seller.tax_code,
            "address": draft.seller.address,
        },
        "payment_method": draft.payment_method,
        "lines": [_line(ln) for ln in draft.lines],
        "vat_breakdown": draft.rate_rows,
        "total_amount": draft.total_amount,
        "total_discount": draft.total_discount,
        "total_net": draft.total_net,
        "total_vat": draft.total_vat,
        "total": draft.total,
        "amount_in_words": draft.amount_in_words,
        "needs_review": draft.needs_review,
        "rate_changes": [c.as_dict() for c in draft.rate_changes],
        "problems": problems,
    }


@router.post(
    "/orders/{code}/invoice",
    response={200: InvoiceOut, 202: InvoiceOut},
    summary="Issue the order's e-invoice (idempotent: one invoice per order)",
)
def issue_invoice(request, code: str, payload: IssueIn | None = None):
    """202 when issuing started now (a new invoice, a draft sent, a failed one retried); 200
    with the invoice the order already has otherwise."""
    order = _order(code)
    request.principal.require("invoicing.issue_invoice")
    template = services.template_get(payload.template_id if payload else None, field="template_id")
    invoice, started = services.invoice_issue(
        order=order, template=template, actor=request.principal
    )
    return Status(202 if started else 200, _invoice_out(_invoice(invoice.pk)))


@router.get("/invoices", response=InvoicePage, summary="List e-invoices")
def list_invoices(
    request,
    state: str = Query(
        "",
        description="draft, issuing, issued, failed, replaced, adjusted, "
        "cancelled, or pending (not issued yet)",
    ),
    purpose: str = Query("", description="original, replacement or adjustment"),
    q: str = Query("", description="Invoice number, buyer tax code, order code, buyer name"),
    date_from: date | None = None,
    date_to: date | None = None,
    needs_review: bool = False,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=1_000_000_000),
):
    """Newest first; lines are left out (see the invoice itself)."""
    request.principal.require("invoicing.view_invoice")
    if state and state not in [*State.values, "pending"]:
        raise ValidationFailed(_("Unknown state."), fields={"state": ", ".join(State.values)})
    if purpose and purpose not in Purpose.values:
        raise ValidationFailed(_("Unknown kind."), fields={"purpose": ", ".join(Purpose.values)})
    invoices = selectors.invoice_list(
        selectors.InvoiceFilters(
            state=state,
            purpose=purpose,
            q=q,
            date_from=date_from,
            date_to=date_to,
            needs_review=needs_review,
        )
    )
    return {
        "count": invoices.count(),
        "limit": limit,
        "offset": offset,
        "items": [_invoice_out(i, with_lines=False) for i in invoices[offset : offset + limit]],
    }


@router.get("/invoices/{invoice_id}", response=InvoiceOut, summary="One e-invoice with its lines")
def get_invoice(request, invoice_id: int):
    request.principal.require("invoicing.view_invoice")
    return _invoice_out(_invoice(invoice_id))
