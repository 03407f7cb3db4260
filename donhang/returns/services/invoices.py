"""The e-invoice of a returned order: once the goods are inspected, the return prepares the
correction the law asks for (an adjustment lowering the returned lines for a partial return, a
replacement for a full one) and the accountant issues it from the return's page, through the
invoicing app's own services (invoice_adjust, invoice_replace)."""

from __future__ import annotations

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from donhang.core.errors import Conflict, ValidationFailed
from donhang.core.permissions import require_perm
from donhang.invoicing.models import Invoice, InvoiceLine, LineKind, Purpose
from donhang.invoicing.models import State as InvoiceState
from donhang.invoicing.services import AdjustmentInput, invoice_adjust, invoice_replace
from donhang.orders.models import Order
from donhang.returns.models import InvoiceAction, Return
from donhang.returns.services._common import lock_return, sold_quantities, timeline


def live_invoice(order: Order) -> Invoice | None:
    """The order's e-invoice as issued and standing (possibly adjusted already), or None."""
    return (
        Invoice.objects.filter(
            order=order,
            purpose=Purpose.ORIGINAL,
            state__in=[InvoiceState.ISSUED, InvoiceState.ADJUSTED],
        )
        .select_related("account")
        .first()
    )


def prepare_invoice_correction(*, goods_return: Return, actor=None) -> str:
    """Say which correction the order's issued e-invoice needs for this return (nothing when
    it has none, or when no unit came back): a replacement when the return brings back every
    unit that left and the invoice was never adjusted, else an adjustment. Called in the
    inspection's transaction; the accountant issues it (return_invoice_issue)."""
    invoice = live_invoice(goods_return.order)
    back = {ln.order_line_id: ln.back_quantity for ln in goods_return.lines.all()}
    if invoice is None or not any(back.values()):
        return ""
    sold = sold_quantities(goods_return.order)
    full = bool(sold) and all(back.get(line_id, 0) >= units for line_id, units in sold.items())
    action = (
        InvoiceAction.REPLACEMENT
        if full and invoice.state == InvoiceState.ISSUED
        else InvoiceAction.ADJUSTMENT
    )
    Return.objects.filter(pk=goods_return.pk).update(invoice_action=action, invoice=invoice)
    goods_return.invoice_action, goods_return.invoice = action, invoice
    timeline(
        goods_return,
        "return_invoice_prepared",
        {"action": action, "invoice": str(invoice)},
        actor=actor,
    )
    return action


def adjustment_changes(goods_return: Return) -> list[AdjustmentInput]:
    """The adjustment's lines: each returned line lowered by the units that came back."""
    changes = []
    invoice_lines = {
        ln.order_line_id: ln
        for ln in InvoiceLine.objects.filter(
            invoice=goods_return.invoice, kind=LineKind.GOODS, order_line__isnull=False
        )
    }
    for line in goods_return.lines.all():
        if not line.back_quantity:
            continue
        invoice_line = invoice_lines.get(line.order_line_id)
        if invoice_line is None:
            raise ValidationFailed(
                _("%(sku)s is not on the invoice; correct the invoice from its own page.")
                % {"sku": line.sku},
                fields={"invoice": _("Line not on the invoice.")},
            )
        changes.append(
            AdjustmentInput(
                line_id=invoice_line.pk,
                quantity=min(line.back_quantity, invoice_line.quantity),
                increase=False,
            )
        )
    return changes


def default_reason(goods_return: Return) -> str:
    # Printed on the invoice, which is in Vietnamese whatever the accountant's language.
    with translation.override("vi"):
        return _("Goods returned (return %(code)s, order %(order)s)") % {
            "code": goods_return.code,
            "order": goods_return.order.code,
        }


@transaction.atomic
def return_invoice_issue(*, goods_return: Return, reason: str = "", actor=None) -> Invoice:
    """The accountant issues the correction the return prepared: the invoicing app sends it to
    the provider in the background, and the original becomes "adjusted" or "replaced"."""
    require_perm(actor, "invoicing.correct_invoice")
    goods_return = lock_return(goods_return)
    if not goods_return.invoice_action or goods_return.invoice_id is None:
        raise Conflict(
            _("This return has no e-invoice correction to issue."),
            fields={"invoice": _("Nothing prepared.")},
            code="nothing_prepared",
        )
    if goods_return.invoice_correction_id is not None:
        raise Conflict(
            _("The correction of this return was already issued."),
            fields={"invoice": _("Already issued.")},
            code="already_issued",
        )
    reason = (reason or "").strip() or default_reason(goods_return)
    original = goods_return.invoice
    if goods_return.invoice_action == InvoiceAction.REPLACEMENT:
        correction = invoice_replace(invoice=original, reason=reason, actor=actor)
    else:
        correction = invoice_adjust(
            invoice=original,
            reason=reason,
            changes=adjustment_changes(goods_return),
            actor=actor,
        )
    Return.objects.filter(pk=goods_return.pk).update(invoice_correction=correction)
    goods_return.invoice_correction = correction
    timeline(
        goods_return,
        "return_invoice_issued",
        {"action": goods_return.invoice_action, "invoice": str(original)},
        actor=actor,
    )
    return correction
