"""Automatic issuing: orders matching the rule (a company buyer, a buyer who asked, or a total
above a threshold) get their invoice at hand-over or at completion, never before hand-over (so
staff edits of the order end first). The order apps tell us through hooks
(`order.handed_over`, `order.completed`); the invoice is issued by a task after the commit."""

from __future__ import annotations

from django.utils.translation import gettext as _

from donhang.core.errors import DomainError
from donhang.invoicing.models import AutoIssueMoment, AutoIssueRule, Invoice, Purpose, State
from donhang.invoicing.services._common import enqueue_task
from donhang.invoicing.services.accounts import auto_rule_get
from donhang.invoicing.services.issuing import invoice_issue
from donhang.orders.models import Order, OrderEvent


def order_matches_rule(order: Order, rule: AutoIssueRule) -> bool:
    if rule.company_buyers and order.buyer_kind == "company" and order.buyer_tax_code:
        return True
    if rule.buyers_asking and order.wants_invoice:
        return True
    return rule.total_above is not None and order.total > rule.total_above


def _on_order_moved(order: Order, moment: str) -> None:
    rule = auto_rule_get()
    if not rule.enabled or rule.moment != moment or not order_matches_rule(order, rule):
        return
    if (
        Invoice.objects.filter(order=order, purpose=Purpose.ORIGINAL)
        .exclude(state=State.CANCELLED)
        .exists()
    ):
        return
    enqueue_task("auto_issue_invoice_task", order.pk)


def on_order_handed_over(*, order: Order, actor=None) -> None:
    _on_order_moved(order, AutoIssueMoment.HANDED_OVER)


def on_order_completed(*, order: Order, actor=None) -> None:
    _on_order_moved(order, AutoIssueMoment.COMPLETED)


def invoice_auto_issue(*, order_id: int) -> Invoice | None:
    """Issue the invoice of an order the rule matched (the system acts). An order whose VAT
    rates changed by the invoice date is held as a draft for the accountant; one that cannot be
    invoiced (a tax code missing…) gets a line on its timeline saying why."""
    order = Order.objects.get(pk=order_id)
    rule = auto_rule_get()
    try:
        invoice, _started = invoice_issue(
            order=order, template=rule.template, hold_for_review=True, actor=None
        )
    except DomainError as exc:
        reasons = "; ".join(exc.fields.values()) if exc.fields else ""
        OrderEvent.objects.create(
            order=order,
            kind=OrderEvent.Kind.NOTE,
            code="invoice_auto_refused",
            params={"reason": exc.message, "fields": reasons},
            actor_label=_("system"),
        )
        return None
    return invoice
