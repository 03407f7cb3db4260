"""Returns' pieces of the orders app, provided through donhang.core.hooks (orders sits below
returns and never imports it): a returned parcel opens its return, the order page shows the
order's returns, the timeline reads returns' lines, and the ledger check covers returns."""

from __future__ import annotations

from django.db.models import Sum
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from donhang.core import hooks
from donhang.core.money import format_vnd
from donhang.orders import timeline
from donhang.returns.ledger import returns_ledger_problems
from donhang.returns.models import (
    InvoiceAction,
    RefundMethod,
    Return,
    ReturnLine,
    Source,
    State,
)
from donhang.returns.services import RETURNABLE_STATUSES, return_open_for_parcel


def on_order_returned(*, order, actor=None, source: str = "staff") -> None:
    """The order's parcel came back: open its return (received, waiting for inspection)."""
    return_open_for_parcel(
        order=order,
        source=Source.CARRIER if source == "carrier" else Source.STAFF,
        actor=actor,
    )


def returned_units(*, order) -> dict[int, int]:
    """Units of each order line that came back and were inspected (good or damaged), for apps
    below returns that must leave them out (invoicing drafting a replacement after a return):
    hook ``order.returned_units`` (order) -> {order line id: units}."""
    units: dict[int, int] = {}
    for line_id, good, damaged in ReturnLine.objects.filter(
        goods_return__order=order, goods_return__state__in=(State.INSPECTED, State.CLOSED)
    ).values_list("order_line_id", "good_quantity", "damaged_quantity"):
        units[line_id] = units.get(line_id, 0) + good + damaged
    return {line_id: n for line_id, n in units.items() if n}


def returns_panel(*, request, order) -> dict | None:
    """The returns card of the order page, with "New return" when the order takes one."""
    user = request.user
    if not user.has_perm("returns.view_return"):
        return None
    returns = list(
        Return.objects.filter(order=order).select_related("exchange_order").order_by("-id")
    )
    units = dict(
        ReturnLine.objects.filter(goods_return__in=returns)
        .values("goods_return_id")
        .annotate(n=Sum("quantity"))
        .values_list("goods_return_id", "n")
    )
    for goods_return in returns:
        goods_return.units = units.get(goods_return.pk, 0)
    exchange_for = Return.objects.filter(exchange_order=order).select_related("order").first()
    can_create = order.status in RETURNABLE_STATUSES and user.has_perm("returns.add_return")
    if not returns and not exchange_for and not can_create:
        return None
    return {
        "template": "returns/partials/order_returns.html",
        "returns": returns,
        "exchange_for": exchange_for,
        "create_url": reverse("returns:return_create", args=[order.code]) if can_create else "",
    }


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


ACTION_WORDS = {
    InvoiceAction.ADJUSTMENT: gettext_noop("an adjustment"),
    InvoiceAction.REPLACEMENT: gettext_noop("a replacement"),
}


def _action(p: dict) -> str:
    return _(ACTION_WORDS.get(p.get("action"), ACTION_WORDS[InvoiceAction.ADJUSTMENT]))


def _received(p: dict) -> str:
    values = {"return": p.get("return", ""), "units": p.get("units", 0)}
    values["warehouse"] = p.get("warehouse", "")
    if p.get("counter"):
        return _("Return %(return)s: %(units)s units handed in at %(warehouse)s") % values
    return _("Return %(return)s received at %(warehouse)s: %(units)s units to inspect") % values


def _state(p: dict) -> str:
    values = {"units": p.get("units", 0)}
    if p.get("state") == "partial":
        return _("Returned (partial): %(units)s units came back") % values
    if p.get("state") == "full":
        return _("Returned (all): %(units)s units came back") % values
    return _("No returned units any more")


RENDERERS = {
    "return_requested": lambda p: (
        _("Return %(return)s requested: %(units)s units (%(source)s)")
        % {
            "return": p.get("return", ""),
            "units": p.get("units", 0),
            "source": _label(Source, p.get("source")),
        }
    ),
    "return_parcel": lambda p: (
        _("The parcel came back: return %(return)s opened for %(units)s units")
        % {"return": p.get("return", ""), "units": p.get("units", 0)}
    ),
    "return_received": _received,
    "return_inspected": lambda p: (
        _("Return %(return)s inspected: %(good)s good, %(damaged)s damaged, %(missing)s missing")
        % {
            "return": p.get("return", ""),
            "good": p.get("good", 0),
            "damaged": p.get("damaged", 0),
            "missing": p.get("missing", 0),
        }
    ),
    "return_cancelled": lambda p: _("Return %(return)s cancelled") % {"return": p.get("return")},
    "return_closed": lambda p: _("Return %(return)s closed") % {"return": p.get("return")},
    "return_state": _state,
    "refund_to_pay": lambda p: (
        _("Refund of %(amount)s to pay (%(method)s) for return %(return)s")
        % {
            "amount": format_vnd(p.get("amount", 0)),
            "method": _label(RefundMethod, p.get("method")),
            "return": p.get("return", ""),
        }
    ),
    "refund_cancelled": lambda p: (
        _("Refund of %(amount)s cancelled (return %(return)s)")
        % {"amount": format_vnd(p.get("amount", 0)), "return": p.get("return", "")}
    ),
    "exchange_created": lambda p: (
        _("Exchange order %(order)s created for return %(return)s; %(credit)s credited")
        % {
            "order": p.get("order", ""),
            "return": p.get("return", ""),
            "credit": format_vnd(p.get("credit", 0)),
        }
    ),
    "return_invoice_prepared": lambda p: (
        _("Return %(return)s: %(action)s of invoice %(invoice)s is prepared for the accountant")
        % {"return": p.get("return", ""), "action": _action(p), "invoice": p.get("invoice", "")}
    ),
    "return_invoice_issued": lambda p: (
        _("Return %(return)s: %(action)s of invoice %(invoice)s sent to the provider")
        % {"return": p.get("return", ""), "action": _action(p), "invoice": p.get("invoice", "")}
    ),
}


def register() -> None:
    hooks.register("order.returned", on_order_returned)
    hooks.register("order.page_panels", returns_panel)
    hooks.register("ledger.check", returns_ledger_problems)
    hooks.register("order.returned_units", returned_units)
    for code, renderer in RENDERERS.items():
        timeline.register(code, renderer)
