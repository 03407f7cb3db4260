"""Correcting an issued invoice (Decree 123 art. 19 as amended by Decree 70/2025): a replacement
(a full new invoice, for an error in the tax code, amounts, rates or goods, or a full return) or
an adjustment (increases and decreases of lines, for a partial return or a price change). Each
refers to the original as the provider requires; when the provider has issued it, the original
becomes "replaced" or "adjusted".

The returns flow calls the same services (`invoice_replace`, `invoice_adjust`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from donhang.core.audit import actor_user, audit
from donhang.core.errors import Conflict, ValidationFailed
from donhang.core.money import split_gross, vat_breakdown
from donhang.core.permissions import require_perm
from donhang.invoicing.drafting import (
    Buyer,
    DraftLine,
    check_buyer,
    check_draft,
    invoice_draft,
    seller_of,
    unit_price_of,
)
from donhang.invoicing.models import (
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceTemplate,
    Purpose,
    State,
)
from donhang.invoicing.registry import ADAPTERS
from donhang.invoicing.services._common import enqueue_task, invoice_event
from donhang.invoicing.services.issuing import (
    _fill_from_draft,
    _fill_totals,
    _new_reference,
    _save_lines,
    default_template,
)
from donhang.invoicing.symbols import check_series_year
from donhang.invoicing.words import amount_in_words

MAX_REASON = 500


def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            _("Say why the invoice is corrected."), fields={"reason": _("This field is required.")}
        )
    if len(reason) > MAX_REASON:
        raise ValidationFailed(
            _("The reason is too long."),
            fields={"reason": _("At most %(max)s characters.") % {"max": MAX_REASON}},
        )
    return reason


def _template_for(original: Invoice, template: InvoiceTemplate | None, on: date):
    """The template of a correction: the one given, else the original's while its year runs,
    else the default (a correction is dated today, in today's series)."""
    if template is not None:
        return template
    if original.template.is_active and original.template.series[1:3] == f"{on.year % 100:02d}":
        return original.template
    same_kind = InvoiceTemplate.objects.filter(
        is_active=True, account__is_active=True, kind=original.invoice_kind
    ).select_related("account")
    default = default_template()
    if default is not None and default.kind == original.invoice_kind:
        return default
    return (
        same_kind.filter(series__startswith=f"{original.series[0]}{on.year % 100:02d}").first()
        or original.template
    )


def invoice_can_be_adjusted_again(invoice: Invoice) -> bool:
    """Whether the invoice's provider takes a second adjustment of the same invoice (S-Invoice
    does; MISA refuses it with HasAdjustmentInvoice)."""
    return ADAPTERS[invoice.account.provider].capabilities.multiple_adjustments


def _check_template(template: InvoiceTemplate, original: Invoice, on: date) -> None:
    if template.kind != original.invoice_kind:
        raise ValidationFailed(
            _("A correction uses the same kind of invoice as the original."),
            fields={
                "template": _("Choose a %(kind)s template.")
                % {"kind": original.get_invoice_kind_display()}
            },
        )
    check_series_year(template.series, on)


def _lock_original(invoice: Invoice, *, allowed: tuple[str, ...]) -> Invoice:
    original = (
        Invoice.objects.select_for_update()
        .select_related("order", "template", "account")
        .get(pk=invoice.pk)
    )
    if original.state not in allowed:
        raise Conflict(
            _("Only an issued invoice can be corrected (this one is “%(state)s”).")
            % {"state": original.get_state_display()},
            fields={"state": _("Not allowed from the current state.")},
            code="transition_not_allowed",
        )
    if original.purpose == Purpose.ADJUSTMENT:
        raise Conflict(
            _("An adjustment is corrected through the invoice it adjusts."),
            fields={"original": _("Correct the original invoice.")},
            code="transition_not_allowed",
        )
    pending = original.corrections.filter(state__in=[State.DRAFT, State.ISSUING, State.FAILED])
    if pending.exists():
        raise Conflict(
            _("A correction of this invoice is not issued yet: finish or cancel it first."),
            fields={"state": _("A correction is pending.")},
            code="correction_pending",
        )
    return original


@transaction.atomic
def invoice_replace(
    *,
    invoice: Invoice,
    reason: str,
    buyer: Buyer | None = None,
    template: InvoiceTemplate | None = None,
    agreement: str = "",
    agreement_date: date | None = None,
    actor=None,
) -> Invoice:
    """A replacement invoice: drafted from the order as it is now (with `buyer` when the
    buyer's details were wrong), checked like any invoice, sent in the background. The original
    becomes "replaced" once the provider has issued the replacement."""
    require_perm(actor, "invoicing.correct_invoice")
    reason = _check_reason(reason)
    original = _lock_original(invoice, allowed=(State.ISSUED,))
    today = timezone.localdate()
    buyer = buyer or Buyer(
        kind=original.buyer_kind,
        name=original.buyer_name,
        company_name=original.buyer_company_name,
        tax_code=original.buyer_tax_code,
        address=original.buyer_address,
        email=original.buyer_email,
        phone=original.buyer_phone,
    )
    template = _template_for(original, template, today)
    _check_template(template, original, today)
    # Without what returns took back: a replacement after a return invoices what was kept.
    draft = invoice_draft(
        order=original.order, template=template, on=today, buyer=buyer, less_returned=True
    )
    check_draft(draft)
    replacement = Invoice(
        order=original.order,
        purpose=Purpose.REPLACEMENT,
        original=original,
        reference=_new_reference(),
        state=State.ISSUING,
        reason=reason,
        agreement=agreement.strip()[:200],
        agreement_date=agreement_date,
        created_by=actor_user(actor),
    )
    _fill_from_draft(replacement, draft)
    replacement.save()
    _save_lines(replacement, draft.lines)
    invoice_event(replacement, "requested", {"reason": reason}, actor=actor)
    invoice_event(original, "replacement_requested", {"reason": reason}, actor=actor)
    audit(actor=actor, action="invoice.replace", obj=original, summary=reason)
    enqueue_task("issue_invoice_task", replacement.pk, 1)
    return replacement


@dataclass
class AdjustmentInput:
    """One line of an adjustment: `line_id` is a line of the invoice adjusted. Either a number
    of units (`quantity`, e.g. returned) or an amount incl. VAT (`amount`, e.g. a price
    change); `increase` False lowers the line."""

    line_id: int
    quantity: int | None = None
    amount: int | None = None
    increase: bool = False


def _adjusted_so_far(original: Invoice) -> dict[int, int]:
    """Gross already adjusted per line of `original` (signed), by issued adjustments."""
    done: dict[int, int] = {}
    rows = InvoiceLine.objects.filter(
        invoice__original=original,
        invoice__purpose=Purpose.ADJUSTMENT,
        invoice__state__in=[State.ISSUING, State.ISSUED, State.FAILED, State.DRAFT],
    ).values_list("original_line_id", "gross")
    for line_id, gross in rows:
        if line_id:
            done[line_id] = done.get(line_id, 0) + gross
    return done


def adjustment_lines(original: Invoice, changes: list[AdjustmentInput]) -> list[DraftLine]:
    """The lines of an adjustment, each at its original line's VAT rate (an adjustment
    corrects the invoice as it was issued), signed: a decrease is negative."""
    lines = {ln.pk: ln for ln in original.lines.all()}
    done = _adjusted_so_far(original)
    errors: dict[str, str] = {}
    out: list[DraftLine] = []
    for i, change in enumerate(changes):
        line = lines.get(change.line_id)
        key = f"changes.{i}"
        if line is None:
            errors[f"{key}.line_id"] = _("This line is not on the invoice.")
            continue
        if (change.quantity is None) == (change.amount is None):
            errors[f"{key}.quantity"] = _("Give either a quantity or an amount.")
            continue
        remaining = line.gross + done.get(line.pk, 0)
        if change.quantity is not None:
            if change.quantity < 1 or (not change.increase and change.quantity > line.quantity):
                errors[f"{key}.quantity"] = _("From 1 to %(max)s units.") % {"max": line.quantity}
                continue
            quantity = change.quantity
            gross = (
                remaining
                if not change.increase and quantity == line.quantity
                else line.gross * quantity // line.quantity
            )
        else:
            if change.amount is None or change.amount <= 0:
                errors[f"{key}.amount"] = _("Enter an amount above 0.")
                continue
            quantity, gross = line.quantity, change.amount
        if not change.increase and gross > remaining:
            errors[f"{key}.amount"] = _("At most %(max)s ₫ remain on this line.") % {
                "max": f"{remaining:,}".replace(",", ".")
            }
            continue
        if line.vat_rate:
            net, vat = split_gross(gross, line.vat_rate)
        else:
            net, vat = gross, 0
        sign = 1 if change.increase else -1
        out.append(
            DraftLine(
                kind=line.kind,
                sku=line.sku,
                name=line.name,
                unit=line.unit,
                quantity=quantity,
                unit_price=unit_price_of(net, quantity),
                amount=sign * net,
                discount=0,
                net=sign * net,
                vat_rate=line.vat_rate,
                vat=sign * vat,
                gross=sign * gross,
                order_vat_rate=line.order_vat_rate,
                order_line_id=line.order_line_id,
                original_line_id=line.pk,
                is_increase=change.increase,
            )
        )
    if not changes:
        errors["changes"] = _("Choose at least one line to adjust.")
    if errors:
        raise ValidationFailed(_("The adjustment is not valid."), fields=errors)
    return out


@transaction.atomic
def invoice_adjust(
    *,
    invoice: Invoice,
    reason: str,
    changes: list[AdjustmentInput],
    template: InvoiceTemplate | None = None,
    agreement: str = "",
    agreement_date: date | None = None,
    actor=None,
) -> Invoice:
    """An adjustment invoice raising or lowering lines of `invoice`, sent in the background.
    The original becomes "adjusted" once the provider has issued it."""
    require_perm(actor, "invoicing.correct_invoice")
    reason = _check_reason(reason)
    original = _lock_original(invoice, allowed=(State.ISSUED, State.ADJUSTED))
    if original.state == State.ADJUSTED and not invoice_can_be_adjusted_again(original):
        raise Conflict(
            _("%(provider)s takes one adjustment per invoice, and this one has it.")
            % {"provider": original.account.get_provider_display()},
            fields={"state": _("Already adjusted.")},
            code="transition_not_allowed",
        )
    lines = adjustment_lines(original, changes)
    today = timezone.localdate()
    template = _template_for(original, template, today)
    _check_template(template, original, today)
    seller = seller_of()
    adjustment = Invoice(
        order=original.order,
        purpose=Purpose.ADJUSTMENT,
        original=original,
        reference=_new_reference(),
        state=State.ISSUING,
        account=template.account,
        template=template,
        invoice_kind=template.kind,
        template_code=template.template_code,
        series=template.series,
        invoice_date=today,
        buyer_kind=original.buyer_kind,
        buyer_name=original.buyer_name,
        buyer_company_name=original.buyer_company_name,
        buyer_tax_code=original.buyer_tax_code,
        buyer_address=original.buyer_address,
        buyer_email=original.buyer_email,
        buyer_phone=original.buyer_phone,
        seller_name=seller.name or original.seller_name,
        seller_tax_code=seller.tax_code or original.seller_tax_code,
        seller_address=seller.address or original.seller_address,
        seller_phone=seller.phone or original.seller_phone,
        seller_email=seller.email or original.seller_email,
        seller_bank_name=seller.bank_name or original.seller_bank_name,
        seller_bank_account=seller.bank_account or original.seller_bank_account,
        payment_method=original.payment_method,
        reason=reason,
        agreement=agreement.strip()[:200],
        agreement_date=agreement_date,
        created_by=actor_user(actor),
    )
    check_buyer(
        Buyer(
            kind=adjustment.buyer_kind,
            name=adjustment.buyer_name,
            company_name=adjustment.buyer_company_name,
            tax_code=adjustment.buyer_tax_code,
            address=adjustment.buyer_address,
            email=adjustment.buyer_email,
            phone=adjustment.buyer_phone,
        )
    )
    rows = (
        vat_breakdown([(ln.vat_rate, ln.gross, ln.net, ln.vat) for ln in lines])
        if template.kind == InvoiceKind.VAT
        else []
    )
    _fill_totals(adjustment, lines, rows)
    adjustment.amount_in_words = amount_in_words(adjustment.total)
    adjustment.save()
    _save_lines(adjustment, lines)
    params = {"reason": reason, "total": adjustment.total}
    invoice_event(adjustment, "requested", params, actor=actor)
    invoice_event(original, "adjustment_requested", params, actor=actor)
    audit(actor=actor, action="invoice.adjust", obj=original, summary=reason)
    enqueue_task("issue_invoice_task", adjustment.pk, 1)
    return adjustment
