"""Invoicing's pieces of the order pages and its reactions to order moves, provided to
donhang.orders through donhang.core.hooks (orders sits below invoicing and never imports it)."""

from __future__ import annotations

from django.urls import reverse

from donhang.core import hooks
from donhang.invoicing import selectors, services
from donhang.invoicing.models import Purpose, State
from donhang.invoicing.services.issuing import ISSUABLE_STATUSES


def invoices_panel(*, request, order) -> dict | None:
    """The e-invoices card of the order page, with "Issue e-invoice" when it applies."""
    user = request.user
    if not user.has_perm("invoicing.view_invoice"):
        return None
    invoices = selectors.order_invoices(order)
    original = next(
        (i for i in invoices if i.purpose == Purpose.ORIGINAL and i.state != State.CANCELLED),
        None,
    )
    can_issue = (
        original is None
        and order.status in ISSUABLE_STATUSES
        and user.has_perm("invoicing.issue_invoice")
    )
    return {
        "template": "invoicing/partials/order_invoices.html",
        "invoices": invoices,
        "issue_url": reverse("invoicing:order_issue", args=[order.code]) if can_issue else "",
        "preview_url": reverse("invoicing:order_preview_pdf", args=[order.code]),
        "has_template": services.default_template() is not None,
    }


def register() -> None:
    hooks.register("order.page_panels", invoices_panel)
    hooks.register("order.handed_over", services.on_order_handed_over)
    hooks.register("order.completed", services.on_order_completed)
