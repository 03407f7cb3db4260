"""Issuing an order's e-invoice: save it, send it in the background, record the answer, then
get the tax authority's code, the provider's PDF, and email it to the buyer.

Every issue call follows one rule (DESIGN 3.5): record the intent (`send_outcome` "sending"),
call, record the answer ("issued", "refused", or "unknown" when the answer never came). While
the outcome is unknown the provider may have an invoice we have no number for, so before
anything is sent again the invoice is looked up by our transaction id; both providers also
answer a repeated id with the invoice they have. A retry never makes a second invoice.

Calls to providers never run inside a database transaction.
"""

from __future__ import annotations

import time
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from donhang.core.audit import actor_user, audit
from donhang.core.errors import Conflict, DomainError, ValidationFailed
from donhang.core.integrations import IntegrationError
from donhang.core.permissions import require_perm
from donhang.invoicing.drafting import Buyer, InvoiceDraft, check_draft, invoice_draft
from donhang.invoicing.models import (
    MAX_ATTEMPTS,
    Invoice,
    InvoiceLine,
    InvoiceTemplate,
    Purpose,
    SendOutcome,
    State,
    TaxStatus,
)
from donhang.invoicing.ports import (
    InvoiceLineData,
    InvoiceRequest,
    IssuedInvoice,
    OriginalRef,
    Party,
    RateRow,
    RetryableError,
)
from donhang.invoicing.ports import TaxStatus as PortTaxStatus
from donhang.invoicing.services._common import (
    STUCK_AFTER,
    adapter_for,
    enqueue_task,
    invoice_event,
    log,
)
from donhang.invoicing.words import amount_in_words
from donhang.orders.models import Order, Status
from donhang.orders.services import order_money_lock

ISSUABLE_STATUSES = (Status.PROCESSING, Status.SHIPPING, Status.COMPLETED)
# Known provider refusals in words a person can act on.
UNKNOWN_TEMPLATE = gettext_noop(
    "The provider does not know the template %(template)s with series %(series)s: check "
    "the template under E-invoices → Invoice settings (as registered at the provider)."
)
KNOWN_REFUSALS = {
    "InvoiceTemplateNotExist": UNKNOWN_TEMPLATE,
    "TEMPLATE_NOT_FOUND": UNKNOWN_TEMPLATE,
    "INVOICE_SERIES_NOT_FOUND": UNKNOWN_TEMPLATE,
}


# --- choosing the template -------------------------------------------------------------------


def default_template() -> InvoiceTemplate | None:
    templates = InvoiceTemplate.objects.select_related("account").filter(
        is_active=True, account__is_active=True
    )
    return templates.filter(is_default=True).first() or (
        templates.first() if templates.count() == 1 else None
    )


def template_get(template_id: int | None, *, field: str = "template") -> InvoiceTemplate | None:
    """The active template `template_id`, the default one when None; a clear error naming the
    field for an unknown one."""
    if template_id is None:
        return default_template()
    template = (
        InvoiceTemplate.objects.select_related("account").filter(pk=template_id).first()
        if str(template_id).isdigit()
        else None
    )
    if template is None:
        raise ValidationFailed(
            _("Unknown invoice template."),
            fields={
                field: _("There is no invoice template %(id)s; see E-invoices → Settings.")
                % {"id": template_id}
            },
            code="unknown_template",
        )
    return template


def invoice_preview(
    *, order: Order, template: InvoiceTemplate | None = None, on: date | None = None
) -> InvoiceDraft:
    """The draft as it would be sent now (nothing saved, nothing sent)."""
    return invoice_draft(
        order=order, template=template or default_template(), on=on or timezone.localdate()
    )


# --- saving a draft ----------------------------------------------------------------------------


def _fill_from_draft(invoice: Invoice, draft: InvoiceDraft) -> None:
    template = draft.template
    invoice.account, invoice.template = template.account, template
    invoice.invoice_kind = template.kind
    invoice.template_code, invoice.series = template.template_code, template.series
    invoice.invoice_date = draft.invoice_date
    buyer, seller = draft.buyer, draft.seller
    invoice.buyer_kind, invoice.buyer_name = buyer.kind, buyer.name[:150]
    invoice.buyer_company_name, invoice.buyer_tax_code = buyer.company_name, buyer.tax_code
    invoice.buyer_address, invoice.buyer_email = buyer.address[:400], buyer.email
    invoice.buyer_phone = buyer.phone[:20]
    invoice.seller_name, invoice.seller_tax_code = seller.name, seller.tax_code
    invoice.seller_address, invoice.seller_phone = seller.address[:400], seller.phone[:20]
    invoice.seller_email = seller.email
    invoice.seller_bank_name, invoice.seller_bank_account = seller.bank_name, seller.bank_account
    invoice.payment_method = draft.payment_method
    _fill_totals(invoice, draft.lines, draft.rate_rows)
    invoice.needs_review = draft.needs_review
    invoice.rate_changes = [c.as_dict() for c in draft.rate_changes]


def _fill_totals(invoice: Invoice, lines, rate_rows) -> None:
    invoice.total_amount = sum(ln.amount for ln in lines)
    invoice.total_discount = sum(ln.discount for ln in lines)
    invoice.total_net = sum(ln.net for ln in lines)
    invoice.total_vat = sum(ln.vat for ln in lines)
    invoice.total = sum(ln.gross for ln in lines)
    invoice.amount_in_words = amount_in_words(invoice.total)
    invoice.vat_breakdown = rate_rows


def _save_lines(invoice: Invoice, lines) -> None:
    invoice.lines.all().delete()
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                invoice=invoice,
                position=i,
                kind=ln.kind,
                order_line_id=ln.order_line_id,
                original_line_id=ln.original_line_id,
                sku=ln.sku,
                name=ln.name[:300],
                unit=ln.unit,
                quantity=ln.quantity,
                unit_price=ln.unit_price,
                amount=ln.amount,
                discount=ln.discount,
                net=ln.net,
                vat_rate=ln.vat_rate,
                order_vat_rate=ln.order_vat_rate,
                vat=ln.vat,
                gross=ln.gross,
                is_increase=ln.is_increase,
            )
            for i, ln in enumerate(lines, start=1)
        ]
    )


def _new_reference() -> str:
    """Our transaction id: S-Invoice's transactionUuid (10–36 characters), MISA's RefID."""
    return str(uuid.uuid4())


# --- issuing from an order -------------------------------------------------------------------


def invoice_issue(
    *,
    order: Order,
    template: InvoiceTemplate | None = None,
    buyer: Buyer | None = None,
    on: date | None = None,
    hold_for_review: bool = False,
    hold: bool = False,
    actor=None,
) -> tuple[Invoice, bool]:
    """Issue the order's e-invoice: checked (buyer's tax code, template, year) before anything
    is sent, saved, and sent in the background. Idempotent: an order has one invoice; asking
    again answers it (a draft is sent, a failed one retried). Returns (invoice, started) where
    `started` says whether sending started now.

    `hold_for_review`: a draft whose VAT rates changed by the invoice date stays a draft for the
    accountant instead of being sent (automatic issuing); `hold`: any draft stays one."""
    require_perm(actor, "invoicing.issue_invoice")
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        existing = (
            Invoice.objects.filter(order=order, purpose=Purpose.ORIGINAL)
            .exclude(state=State.CANCELLED)
            .first()
        )
        if existing is not None:
            if existing.state == State.DRAFT:
                return invoice_submit_draft(invoice=existing, actor=actor), True
            if existing.state == State.FAILED:
                return invoice_retry(invoice=existing, actor=actor), True
            return existing, False
        if order.status not in ISSUABLE_STATUSES:
            raise Conflict(
                _(
                    "An invoice is issued for a confirmed order, being shipped or completed "
                    "(this one is “%(status)s”)."
                )
                % {"status": order.get_status_display()},
                fields={"status": _("Not allowed from the current status.")},
                code="transition_not_allowed",
            )
        draft = invoice_draft(
            order=order,
            template=template or default_template(),
            on=on or timezone.localdate(),
            buyer=buyer,
        )
        check_draft(draft)
        hold = hold or (hold_for_review and draft.needs_review)
        invoice = Invoice(
            order=order,
            purpose=Purpose.ORIGINAL,
            reference=_new_reference(),
            state=State.DRAFT if hold else State.ISSUING,
            created_by=actor_user(actor),
        )
        _fill_from_draft(invoice, draft)
        try:
            with transaction.atomic():
                invoice.save()
        except IntegrityError:
            # Another request made it a moment ago (the order lock makes this rare).
            return Invoice.objects.get(order=order, purpose=Purpose.ORIGINAL), False
        _save_lines(invoice, draft.lines)
        invoice_event(invoice, "requested" if not hold else "held", actor=actor)
        if draft.needs_review:
            invoice_event(invoice, "rates_changed", {"changes": invoice.rate_changes}, actor=actor)
        audit(actor=actor, action="invoice.issue", obj=invoice, summary=order.code)
        if not hold:
            enqueue_task("issue_invoice_task", invoice.pk, 1)
    return invoice, not hold


@transaction.atomic
def invoice_submit_draft(*, invoice: Invoice, actor=None) -> Invoice:
    """Send a draft (e.g. one held for the accountant): redrafted from the order on today's
    date, checked, sent."""
    require_perm(actor, "invoicing.issue_invoice")
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.state != State.DRAFT:
        raise Conflict(_("Only a draft can be issued."), fields={"state": invoice.state})
    _redraft(invoice)
    invoice.state = State.ISSUING
    invoice.save()
    invoice_event(invoice, "requested", actor=actor)
    enqueue_task("issue_invoice_task", invoice.pk, 1)
    return invoice


def _redraft(invoice: Invoice) -> None:
    """An original invoice that never reached the provider, drafted again from its order on
    today's date (the buyer's details or the shop's may have been fixed since)."""
    if invoice.purpose != Purpose.ORIGINAL:
        invoice.invoice_date = timezone.localdate()
        return
    draft = invoice_draft(
        order=invoice.order,
        template=invoice.template,
        on=max(timezone.localdate(), invoice.invoice_date or timezone.localdate()),
    )
    check_draft(draft)
    _fill_from_draft(invoice, draft)
    _save_lines(invoice, draft.lines)


@transaction.atomic
def invoice_retry(*, invoice: Invoice, actor=None) -> Invoice:
    """Send a failed (or stuck) invoice again. A call whose answer never came is looked up
    first; one the provider refused is drafted again from the order (after fixing what it
    refused)."""
    require_perm(
        actor,
        "invoicing.issue_invoice"
        if invoice.purpose == Purpose.ORIGINAL
        else "invoicing.correct_invoice",
    )
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    stuck = (
        invoice.state == State.ISSUING
        and invoice.send_outcome == SendOutcome.SENDING
        and invoice.send_started_at
        and invoice.send_started_at < timezone.now() - STUCK_AFTER
    )
    if invoice.state != State.FAILED and not stuck:
        raise Conflict(
            _("Only a failed invoice can be sent again."),
            fields={"state": _("Not failed.")},
            code="transition_not_allowed",
        )
    if invoice.send_outcome == SendOutcome.SENDING:  # its worker is gone: outcome unknown
        invoice.send_outcome, invoice.send_started_at = SendOutcome.UNKNOWN, None
    if invoice.send_outcome in (SendOutcome.NOT_SENT, SendOutcome.REFUSED):
        _redraft(invoice)
    invoice.state, invoice.attempts, invoice.last_error = State.ISSUING, 0, ""
    invoice.save()
    invoice_event(invoice, "retried", actor=actor)
    audit(actor=actor, action="invoice.retry", obj=invoice, summary=invoice.reference)
    enqueue_task("issue_invoice_task", invoice.pk, 1)
    return invoice


@transaction.atomic
def invoice_discard(*, invoice: Invoice, actor=None) -> Invoice:
    """Cancel a draft, or a failed invoice that never reached the provider (so the order can
    get a new one, e.g. with another template)."""
    require_perm(actor, "invoicing.issue_invoice")
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.state not in (State.DRAFT, State.FAILED) or invoice.send_outcome not in (
        SendOutcome.NOT_SENT,
        SendOutcome.REFUSED,
    ):
        raise Conflict(
            _(
                "Only a draft, or an invoice the provider refused, can be cancelled; an issued "
                "invoice is corrected by a replacement or an adjustment."
            ),
            fields={"state": _("Not allowed from the current state.")},
            code="transition_not_allowed",
        )
    invoice.state = State.CANCELLED
    invoice.save(update_fields=["state", "updated_at"])
    invoice_event(invoice, "discarded", actor=actor)
    audit(actor=actor, action="invoice.discard", obj=invoice, summary=invoice.reference)
    return invoice


# --- the request sent to the provider --------------------------------------------------------


def build_request(invoice: Invoice, *, issued_at: datetime) -> InvoiceRequest:
    lines = list(invoice.lines.all())
    original = None
    if invoice.original_id:
        first = invoice.original
        original = OriginalRef(
            template_code=first.template_code,
            series=first.series,
            number=first.provider_number or first.number,
            issued_at=first.issued_at or timezone.now(),
            transaction_id=first.transaction_id,
        )
    return InvoiceRequest(
        reference=invoice.reference,
        purpose=invoice.purpose,
        invoice_kind=invoice.invoice_kind,
        template_code=invoice.template_code,
        series=invoice.series,
        issued_at=issued_at,
        seller=Party(
            name=invoice.seller_name,
            tax_code=invoice.seller_tax_code,
            address=invoice.seller_address,
            phone=invoice.seller_phone,
            email=invoice.seller_email,
            is_company=True,
            bank_name=invoice.seller_bank_name,
            bank_account=invoice.seller_bank_account,
        ),
        buyer=Party(
            name=invoice.buyer_name,
            legal_name=invoice.buyer_company_name,
            tax_code=invoice.buyer_tax_code,
            address=invoice.buyer_address,
            phone=invoice.buyer_phone,
            email=invoice.buyer_email,
            is_company=invoice.buyer_kind == "company",
            code=str(invoice.order.customer_id or ""),
        ),
        payment_method=invoice.payment_method,
        lines=[
            InvoiceLineData(
                number=ln.position,
                kind=ln.kind,
                code=ln.sku,
                name=ln.name,
                unit=ln.unit,
                quantity=Decimal(ln.quantity),
                unit_price=ln.unit_price,
                amount=ln.amount,
                discount=ln.discount,
                net=ln.net,
                vat_rate=ln.vat_rate,
                vat=ln.vat,
                gross=ln.gross,
                is_increase=ln.is_increase,
            )
            for ln in lines
        ],
        rate_rows=[
            RateRow(rate=r["rate"], net=r["net"], vat=r["vat"], gross=r["gross"])
            for r in invoice.vat_breakdown
        ],
        total_amount=invoice.total_amount,
        total_discount=invoice.total_discount,
        total_net=invoice.total_net,
        total_vat=invoice.total_vat,
        total=invoice.total,
        amount_in_words=invoice.amount_in_words,
        original=original,
        reason=invoice.reason,
        agreement=invoice.agreement,
        agreement_date=invoice.agreement_date,
        paid=invoice.order.payment_status == "paid",
    )


def _issued_at_for(invoice: Invoice) -> datetime:
    """Now, on the invoice's date (a date given ahead, e.g. in a test, keeps the time)."""
    now = timezone.localtime()
    if invoice.invoice_date and invoice.invoice_date != now.date():
        return timezone.make_aware(datetime.combine(invoice.invoice_date, now.time()))
    return now


# --- sending (the task's work) -----------------------------------------------------------------


def invoice_submit(*, invoice_id: int, attempt: int = 1) -> str:
    """One attempt at issuing. Returns "issued", "retry" (the provider did not answer: the
    task tries again later, after looking the invoice up), "failed" (refused, or out of
    attempts) or "skip" (nothing to do: issued meanwhile, cancelled, or being sent)."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().select_related("account").get(pk=invoice_id)
        if invoice.state != State.ISSUING:
            return "skip"
        if (
            invoice.send_outcome == SendOutcome.SENDING
            and invoice.send_started_at
            and invoice.send_started_at > timezone.now() - STUCK_AFTER
            and attempt > 1
        ):
            return "skip"  # another run's call is under way
        look_up_first = invoice.send_outcome in (SendOutcome.SENDING, SendOutcome.UNKNOWN)
        if not look_up_first or not invoice.issued_at:
            invoice.issued_at = _issued_at_for(invoice)
            invoice.invoice_date = timezone.localtime(invoice.issued_at).date()
        invoice.send_outcome, invoice.send_started_at = SendOutcome.SENDING, timezone.now()
        invoice.attempts += 1
        invoice.save(
            update_fields=[
                "send_outcome",
                "send_started_at",
                "attempts",
                "issued_at",
                "invoice_date",
                "updated_at",
            ]
        )
    started = time.perf_counter()
    try:
        adapter = adapter_for(invoice.account, seller_tax_code=invoice.seller_tax_code)
        issued = None
        if look_up_first and adapter.capabilities.find_by_reference:
            issued = adapter.find_by_reference(invoice.reference)
            log(
                invoice,
                "find",
                attempt,
                started,
                detail={"found": issued.number if issued else ""},
            )
            started = time.perf_counter()
        if issued is None:
            # Issued now, at the call (not when the attempt started, nor when first tried):
            # a provider refuses a date before the last invoice of the series.
            _restamp(invoice)
            issued = adapter.issue(build_request(invoice, issued_at=invoice.issued_at))
    except RetryableError as exc:
        log(invoice, "issue", attempt, started, error=exc.message)
        return _record_no_answer(invoice_id, exc.message, attempt)
    except (IntegrationError, DomainError) as exc:
        message = _refusal_message(invoice, exc)
        log(invoice, "issue", attempt, started, error=message)
        _record_refused(invoice_id, message)
        return "failed"
    log(invoice, "issue", attempt, started, detail={"number": issued.number})
    invoice_mark_issued(invoice_id=invoice_id, issued=issued)
    return "issued"


def _restamp(invoice: Invoice) -> None:
    invoice.issued_at = _issued_at_for(invoice)
    invoice.invoice_date = timezone.localtime(invoice.issued_at).date()
    Invoice.objects.filter(pk=invoice.pk).update(
        issued_at=invoice.issued_at, invoice_date=invoice.invoice_date
    )


def _refusal_message(invoice: Invoice, exc: Exception) -> str:
    code = getattr(exc, "code", "")
    if code in KNOWN_REFUSALS:
        template = _(KNOWN_REFUSALS[code]) % {
            "template": invoice.template_code,
            "series": invoice.series,
        }
        return f"{template} ({exc.message})"
    return getattr(exc, "message", str(exc))


@transaction.atomic
def _record_no_answer(invoice_id: int, message: str, attempt: int) -> str:
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    if invoice.state != State.ISSUING:
        return "skip"
    invoice.send_outcome, invoice.send_started_at = SendOutcome.UNKNOWN, None
    invoice.last_error = message[:1000]
    fields = ["send_outcome", "send_started_at", "last_error", "updated_at"]
    if attempt >= MAX_ATTEMPTS:
        invoice.state = State.FAILED
        invoice.save(update_fields=[*fields, "state"])
        invoice_event(invoice, "failed", {"reason": message[:300]})
        return "failed"
    invoice.save(update_fields=fields)
    return "retry"


@transaction.atomic
def _record_refused(invoice_id: int, message: str) -> None:
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    if invoice.state != State.ISSUING:
        return
    invoice.send_outcome, invoice.send_started_at = SendOutcome.REFUSED, None
    invoice.state, invoice.last_error = State.FAILED, message[:1000]
    invoice.save(
        update_fields=["send_outcome", "send_started_at", "state", "last_error", "updated_at"]
    )
    invoice_event(invoice, "failed", {"reason": message[:300]})


@transaction.atomic
def invoice_mark_issued(*, invoice_id: int, issued: IssuedInvoice) -> Invoice:
    """The provider's answer: the invoice exists under a number. An original or a replacement
    freezes the order's money; the invoice it replaces or adjusts changes state. The code, the
    PDF and the email follow in the background."""
    invoice = Invoice.objects.select_for_update().select_related("order").get(pk=invoice_id)
    if invoice.send_outcome == SendOutcome.ISSUED and invoice.number:
        return invoice
    invoice.state, invoice.send_outcome, invoice.send_started_at = (
        State.ISSUED,
        SendOutcome.ISSUED,
        None,
    )
    invoice.provider_number = issued.number
    invoice.number = issued.display_number
    invoice.transaction_id = issued.transaction_id
    invoice.reservation_code = issued.reservation_code
    if issued.issued_at and not invoice.issued_at:
        invoice.issued_at = issued.issued_at
    invoice.last_error = ""
    _apply_tax_status(invoice, issued)
    invoice.save()
    invoice_event(invoice, "issued", {"total": invoice.total})
    if invoice.tax_authority_code:
        invoice_event(invoice, "coded", {"code": invoice.tax_authority_code})
    if invoice.purpose in (Purpose.ORIGINAL, Purpose.REPLACEMENT):
        order_money_lock(order=invoice.order, reference=f"{invoice.symbol}-{invoice.number}")
    if invoice.original_id:
        _mark_original(invoice)
    enqueue_task("finish_invoice_task", invoice.pk)
    return invoice


def _mark_original(correction: Invoice) -> None:
    original = Invoice.objects.select_for_update().get(pk=correction.original_id)
    if correction.purpose == Purpose.REPLACEMENT:
        original.state = State.REPLACED
        code = "replaced"
    else:
        original.state = State.ADJUSTED if original.state != State.REPLACED else original.state
        code = "adjusted"
    original.save(update_fields=["state", "updated_at"])
    invoice_event(
        original,
        code,
        {"by_symbol": correction.symbol, "by_number": correction.number, "by_id": correction.pk},
    )


def _apply_tax_status(invoice: Invoice, issued: IssuedInvoice) -> bool:
    """The tax authority's side of a provider answer; True when something changed."""
    before = (invoice.tax_authority_code, invoice.tax_status)
    if issued.tax_authority_code:
        invoice.tax_authority_code = issued.tax_authority_code[:64]
        invoice.tax_status = TaxStatus.CODED
    elif issued.tax_status == PortTaxStatus.CODED and not invoice.is_coded_series:
        invoice.tax_status = TaxStatus.CODED
    elif issued.tax_status in (PortTaxStatus.REJECTED, PortTaxStatus.NOT_SENT):
        invoice.tax_status = issued.tax_status.value
    elif not invoice.tax_status:
        invoice.tax_status = TaxStatus.PENDING
    invoice.tax_message = (issued.tax_message or "")[:500] or invoice.tax_message
    return before != (invoice.tax_authority_code, invoice.tax_status)


# --- after issuing: the authority's code, the PDF, the email ------------------------------


def _issued_ref(invoice: Invoice) -> IssuedInvoice:
    return IssuedInvoice(
        reference=invoice.reference,
        number=invoice.provider_number or invoice.number,
        series=invoice.series,
        template_code=invoice.template_code,
        transaction_id=invoice.transaction_id,
        reservation_code=invoice.reservation_code,
        tax_authority_code=invoice.tax_authority_code,
    )


def invoice_check_code(*, invoice: Invoice) -> bool:
    """Ask the provider for the tax authority's code; True when it is known now."""
    if invoice.tax_authority_code or not invoice.number:
        return bool(invoice.tax_authority_code)
    started = time.perf_counter()
    try:
        adapter = adapter_for(invoice.account, seller_tax_code=invoice.seller_tax_code)
        found = adapter.status(_issued_ref(invoice))
    except (IntegrationError, DomainError) as exc:
        log(invoice, "status", 1, started, error=getattr(exc, "message", str(exc)))
        _checked(invoice)
        return False
    log(invoice, "status", 1, started, detail={"code": found.tax_authority_code})
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        changed = _apply_tax_status(locked, found)
        locked.code_checked_at, locked.code_checks = timezone.now(), locked.code_checks + 1
        locked.save()
        if changed and locked.tax_authority_code:
            invoice_event(locked, "coded", {"code": locked.tax_authority_code})
        elif changed and locked.tax_status == TaxStatus.REJECTED:
            invoice_event(locked, "rejected", {"reason": locked.tax_message})
    invoice.refresh_from_db()
    return bool(invoice.tax_authority_code) or (
        not invoice.is_coded_series and invoice.tax_status == TaxStatus.CODED
    )


def _checked(invoice: Invoice) -> None:
    """The provider was asked and had nothing yet: the follow-up asks less often."""
    Invoice.objects.filter(pk=invoice.pk).update(
        code_checked_at=timezone.now(), code_checks=F("code_checks") + 1
    )


def invoice_fetch_pdf(*, invoice: Invoice) -> bool:
    """Download the provider's PDF and store it; True when stored."""
    if invoice.pdf:
        return True
    started = time.perf_counter()
    try:
        adapter = adapter_for(invoice.account, seller_tax_code=invoice.seller_tax_code)
        file = adapter.download_pdf(_issued_ref(invoice))
    except (IntegrationError, DomainError) as exc:
        log(invoice, "pdf", 1, started, error=getattr(exc, "message", str(exc)))
        _checked(invoice)
        return False
    if not file.content.startswith(b"%PDF"):
        log(invoice, "pdf", 1, started, error="the provider's file is not a PDF")
        _checked(invoice)
        return False
    log(invoice, "pdf", 1, started, detail={"bytes": len(file.content)})
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if not locked.pdf:
            locked.pdf.save(f"{locked.reference}.pdf", ContentFile(file.content), save=False)
            locked.pdf_fetched_at = timezone.now()
            locked.save(update_fields=["pdf", "pdf_fetched_at", "updated_at"])
            invoice_event(locked, "pdf_stored", {"bytes": len(file.content)})
    invoice.refresh_from_db()
    return True


def invoice_email(*, invoice: Invoice, to: str | None = None, actor=None) -> bool:
    """Email the stored PDF to the buyer (or `to`); False without an address or a PDF."""
    address = (to or invoice.buyer_email or invoice.order.customer_email or "").strip()
    if not address or not invoice.pdf:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        values = {
            "symbol": invoice.symbol,
            "number": invoice.number,
            "shop": invoice.seller_name,
            "order": invoice.order.code,
        }
        subject = _("E-invoice %(symbol)s no. %(number)s from %(shop)s") % values
        lines = [
            _("Dear customer,"),
            "",
            _(
                "Please find attached the e-invoice %(symbol)s no. %(number)s for your order %(order)s."
            )
            % values,
        ]
        if invoice.tax_authority_code:
            lines.append(_("Tax authority code: %(code)s") % {"code": invoice.tax_authority_code})
        if invoice.reservation_code:
            lines.append(_("Lookup code: %(code)s") % {"code": invoice.reservation_code})
        lines += ["", invoice.seller_name]
        message = EmailMessage(subject=subject, body="\n".join(lines), to=[address])
        with invoice.pdf.open("rb") as handle:
            message.attach(
                f"{invoice.symbol}-{invoice.number}.pdf", handle.read(), "application/pdf"
            )
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # any mail backend failure is recorded, not raised
        Invoice.objects.filter(pk=invoice.pk).update(email_error=str(exc)[:500])
        return False
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        locked.emailed_at, locked.email_to, locked.email_error = timezone.now(), address, ""
        locked.save(update_fields=["emailed_at", "email_to", "email_error", "updated_at"])
        invoice_event(locked, "emailed", {"to": address}, actor=actor)
    invoice.refresh_from_db()
    return True


def invoice_finish(*, invoice_id: int) -> str:
    """After issuing: the authority's code (C series), then the PDF, then the email. Returns
    "done" or "wait" (the code or the PDF is not there yet: the scheduler asks again)."""
    invoice = Invoice.objects.select_related("account", "order").get(pk=invoice_id)
    if invoice.state not in (State.ISSUED, State.REPLACED, State.ADJUSTED) or not invoice.number:
        return "done"
    if invoice.tax_status == TaxStatus.REJECTED:
        return "done"
    if (
        invoice.is_coded_series
        and not invoice.tax_authority_code
        and not invoice_check_code(invoice=invoice)
    ):
        return "wait"
    if not invoice.pdf and not invoice_fetch_pdf(invoice=invoice):
        return "wait"
    if not invoice.emailed_at and not invoice.email_error:
        invoice_email(invoice=invoice)
    return "done"


def invoices_to_follow_up(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Issued invoices still waiting for the authority's code or their PDF, not asked about in
    the last two minutes (then less often as the checks add up)."""
    now = now or timezone.now()
    candidates = (
        Invoice.objects.filter(state__in=[State.ISSUED, State.REPLACED, State.ADJUSTED])
        .exclude(number="")
        .exclude(tax_status=TaxStatus.REJECTED)
        .filter((Q(series__startswith="C") & Q(tax_authority_code="")) | Q(pdf=""))
        .order_by("code_checked_at", "id")
        .values_list("pk", "code_checked_at", "code_checks")[: limit * 2]
    )
    due = []
    for pk, checked_at, checks in candidates:
        wait = timedelta(minutes=min(2 * (1 + checks // 10), 60))
        if checked_at is None or now - checked_at >= wait:
            due.append(pk)
    return due[:limit]


@transaction.atomic
def invoice_retry_email(*, invoice: Invoice, actor=None) -> bool:
    require_perm(actor, "invoicing.issue_invoice")
    if not invoice.pdf:
        raise Conflict(
            _("The invoice's PDF is not there yet; it is emailed once it is."),
            fields={"pdf": _("Not downloaded yet.")},
        )
    Invoice.objects.filter(pk=invoice.pk).update(email_error="")
    invoice.refresh_from_db()
    sent = invoice_email(invoice=invoice, actor=actor)
    if not sent:
        raise ValidationFailed(
            _("The invoice could not be emailed."),
            fields={"buyer_email": invoice.email_error or _("The buyer has no email address.")},
        )
    return sent
