"""Invoicing reads, shaped for a page or an endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from donhang.core.models import IntegrationCall
from donhang.invoicing.models import (
    Invoice,
    InvoiceAccount,
    InvoiceTemplate,
    SendOutcome,
    State,
    TaxStatus,
)
from donhang.invoicing.services._common import STUCK_AFTER


@dataclass
class InvoiceFilters:
    state: str = ""
    purpose: str = ""
    account_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""  # invoice number, buyer tax code, order code, buyer name
    needs_review: bool = False
    awaiting_code: bool = False


def invoice_list(filters: InvoiceFilters | None = None) -> QuerySet[Invoice]:
    """Newest first, filtered; each row with its order, template and account."""
    f = filters or InvoiceFilters()
    rows = Invoice.objects.select_related("order", "template", "account", "original")
    if f.state == "pending":
        rows = rows.pending()
    elif f.state:
        rows = rows.filter(state=f.state)
    if f.purpose:
        rows = rows.filter(purpose=f.purpose)
    if f.account_id:
        rows = rows.filter(account_id=f.account_id)
    if f.date_from:
        rows = rows.filter(invoice_date__gte=f.date_from)
    if f.date_to:
        rows = rows.filter(invoice_date__lte=f.date_to)
    if f.needs_review:
        rows = rows.filter(needs_review=True)
    if f.awaiting_code:
        rows = rows.awaiting_code()
    q = (f.q or "").strip()
    if q:
        digits = q.replace(" ", "")
        condition = (
            Q(buyer_tax_code__startswith=digits)
            | Q(order__code__iexact=q)
            | Q(tax_authority_code__iexact=q)
            | Q(buyer_company_name__icontains=q)
            | Q(buyer_name__icontains=q)
        )
        if digits.isdigit():
            condition |= Q(number=str(int(digits))) | Q(provider_number__iexact=digits)
        else:
            condition |= Q(provider_number__iexact=q)
        rows = rows.filter(condition)
    return rows.order_by("-id")


def invoice_get(*, pk: int) -> Invoice | None:
    return (
        Invoice.objects.select_related("order", "template", "account", "original", "created_by")
        .prefetch_related("lines", "events", "corrections")
        .filter(pk=pk)
        .first()
    )


def invoice_calls(invoice: Invoice, *, limit: int = 100) -> list[IntegrationCall]:
    """The provider calls made for this invoice (issue attempts, lookups, code, PDF)."""
    return list(IntegrationCall.objects.filter(reference=invoice.reference)[:limit])


def invoice_is_stuck(invoice: Invoice) -> bool:
    return bool(
        invoice.state == State.ISSUING
        and invoice.send_outcome == SendOutcome.SENDING
        and invoice.send_started_at
        and invoice.send_started_at < timezone.now() - STUCK_AFTER
    )


def order_invoices(order) -> list[Invoice]:
    return list(
        Invoice.objects.filter(order=order).select_related("template", "original").order_by("id")
    )


def dashboard_counts() -> dict:
    """Failed, pending (not issued yet), waiting for the authority's code, needing the
    accountant: one query."""
    counts = Invoice.objects.aggregate(
        failed=Count("id", filter=Q(state=State.FAILED)),
        pending=Count("id", filter=Q(state__in=[State.DRAFT, State.ISSUING])),
        needs_review=Count("id", filter=Q(needs_review=True, state=State.DRAFT)),
        rejected=Count("id", filter=Q(tax_status=TaxStatus.REJECTED)),
    )
    counts["awaiting_code"] = Invoice.objects.awaiting_code().count()
    return counts


def account_list(*, active_only: bool = False) -> list[InvoiceAccount]:
    accounts = InvoiceAccount.objects.annotate(n_templates=Count("templates"))
    if active_only:
        accounts = accounts.filter(is_active=True)
    return list(accounts)


def template_list(*, active_only: bool = False) -> list[InvoiceTemplate]:
    templates = InvoiceTemplate.objects.select_related("account")
    if active_only:
        templates = templates.filter(is_active=True, account__is_active=True)
    return list(templates)
