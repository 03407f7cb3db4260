"""The order timeline as data: each event stores a code and parameters, rendered here in the
reader's language (DESIGN.md 3.9). Text a person wrote (a note, a reason) stays as written in
`OrderEvent.message`.

Apps above orders (shipping, invoicing, marketplaces, returns) register renderers for their own
codes at start-up with `register(code, renderer)`; a renderer takes the params dict and returns
the sentence in the active language.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from donhang.core.money import format_vnd
from donhang.orders.models import Channel, PaymentMethod, PaymentRecordMethod, ShippingFeePayer

Renderer = Callable[[dict], str]
_renderers: dict[str, Renderer] = {}


def register(code: str, renderer: Renderer) -> None:
    _renderers[code] = renderer


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _shortages(short: dict) -> str:
    return ", ".join(f"{sku} (−{qty})" for sku, qty in short.items())


def _lines(lines) -> str:
    return ", ".join(f"{sku} × {qty}" for sku, qty in lines) or "—"


# Fixed sentences: msgids marked for translation, translated when rendered.
FIXED = {
    "confirmed": gettext_noop("Confirmed"),
    "confirmed_awaiting_stock": gettext_noop("Confirmed; waiting for stock"),
    "packed": gettext_noop("Packed"),
    "handed_over": gettext_noop("Handed over to the carrier"),
    "delivery_failed": gettext_noop("Delivery failed"),
    "delivered": gettext_noop("Delivered"),
    "delivered_awaiting_payment": gettext_noop("Delivered; waiting for the payment"),
    "completed": gettext_noop("Completed"),
    "cancelled": gettext_noop("Cancelled"),
    "returned": gettext_noop("Returned"),
    "back_to_packing": gettext_noop("Changed after packing: pack again"),
    "stock_arrived": gettext_noop("Stock arrived"),
    "note": gettext_noop("Note"),
    "money_locked": gettext_noop("Money frozen: an e-invoice was issued"),
}

# What the edit of one field of an order is called on its timeline.
FIELD_NAMES = {
    "address": gettext_noop("Delivery address"),
    "shipping_fee": gettext_noop("Shipping fee"),
    "shipping_fee_payer": gettext_noop("Shipping fee paid by"),
    "payment_method": gettext_noop("Payment method"),
    "buyer": gettext_noop("Buyer for the invoice"),
    "order_discount": gettext_noop("Order discount"),
    "total": gettext_noop("Total to pay"),
}


def _value(field: str, value) -> str:
    if value in (None, ""):
        return "—"
    if field in ("shipping_fee", "order_discount", "total"):
        return format_vnd(value)
    if field == "payment_method":
        return _label(PaymentMethod, value)
    if field == "shipping_fee_payer":
        return _label(ShippingFeePayer, value)
    return str(value)


def _render_created(p: dict) -> str:
    channel = _label(Channel, p.get("channel"))
    if p.get("store"):
        channel = f"{channel} · {p['store']}"
    text = _("Order received from %(channel)s.") % {"channel": channel}
    if p.get("short"):
        text += " " + _("Waiting for stock: %(skus)s.") % {"skus": _shortages(p["short"])}
    return text


def _render_edited(p: dict) -> str:
    parts = [
        _("%(field)s: %(before)s → %(after)s")
        % {
            "field": _(FIELD_NAMES.get(field, field)),
            "before": _value(field, before),
            "after": _value(field, after),
        }
        for field, (before, after) in p.get("changes", {}).items()
    ]
    return _("Edited: %(changes)s") % {"changes": "; ".join(parts)}


def _render_lines_edited(p: dict) -> str:
    if "before" in p:
        return _("Lines edited: %(before)s → %(after)s") % {
            "before": _lines(p["before"]),
            "after": _lines(p.get("lines", [])),
        }
    return _("Lines edited: %(after)s") % {"after": _lines(p.get("lines", []))}


def _render_payment(p: dict) -> str:
    values = {
        "amount": format_vnd(abs(p.get("amount", 0))),
        "method": _label(PaymentRecordMethod, p.get("method")),
        "fee": format_vnd(p.get("fee", 0)),
    }
    if p.get("amount", 0) < 0:
        return _("Refund of %(amount)s (%(method)s)") % values
    if p.get("fee"):
        return _("Payment of %(amount)s received (%(method)s), %(fee)s withheld as fees") % values
    return _("Payment of %(amount)s received (%(method)s)") % values


RENDERERS: dict[str, Renderer] = {
    "order_created": _render_created,
    "order_edited": _render_edited,
    "lines_edited": _render_lines_edited,
    "stock_reserved": lambda p: _("%(n)s units reserved from new stock") % {"n": p.get("n", 0)},
    "stock_taken_back": lambda p: (
        _("%(n)s reserved units taken back after a stock count: waiting for stock again")
        % {"n": p.get("n", 0)}
    ),
    "payment": _render_payment,
    "returned_to_inspect": lambda p: (
        _("The parcel came back: %(n)s units wait for inspection in %(warehouse)s")
        % {"n": p.get("n", 0), "warehouse": p.get("warehouse", "")}
    ),
    "short_paid": lambda p: (
        _("Delivered; %(missing)s still to be paid") % {"missing": format_vnd(p.get("missing", 0))}
    ),
}


def event_text(code: str, params: dict | None) -> str:
    """The sentence for an event in the active language ("" for an event without a code)."""
    params = params or {}
    if not code or code == "text":
        return ""
    if code in FIXED:
        return _(FIXED[code])
    renderer = _renderers.get(code) or RENDERERS.get(code)
    if renderer is None:
        return code
    try:
        return renderer(params)
    except (KeyError, TypeError, ValueError):
        return code
