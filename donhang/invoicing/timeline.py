"""How invoicing's events read on an order's timeline and on the invoice's own history (codes
and values, rendered in the reader's language; registered with donhang.orders.timeline when the
app starts)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from donhang.core.money import format_vnd
from donhang.orders import timeline


def _name(p: dict) -> str:
    symbol, number = p.get("symbol", ""), p.get("number", "")
    return f"{symbol} № {number}" if number else symbol


PURPOSE_WORDS = {
    "original": gettext_noop("E-invoice"),
    "replacement": gettext_noop("Replacement invoice"),
    "adjustment": gettext_noop("Adjustment invoice"),
}


def _what(p: dict) -> str:
    return _(PURPOSE_WORDS.get(p.get("purpose", "original"), PURPOSE_WORDS["original"]))


def _rate_changes(p: dict) -> str:
    changes = ", ".join(
        f"{c.get('what', '')}: {c.get('old', '')}% → {c.get('new', '')}%"
        for c in p.get("changes") or []
    )
    return _("VAT rates changed by the invoice date (%(changes)s): check before issuing.") % {
        "changes": changes or "—"
    }


# Renderers of the invoice's own history (the invoice page).
INVOICE_RENDERERS = {
    "requested": lambda p: _("Sent to the provider"),
    "held": lambda p: _("Drafted automatically; held for the accountant"),
    "rates_changed": _rate_changes,
    "retried": lambda p: _("Sent again"),
    "issued": lambda p: (
        _("Issued as %(name)s, total %(total)s")
        % {"name": _name(p), "total": format_vnd(p.get("total", 0))}
    ),
    "failed": lambda p: _("Not issued: %(reason)s") % {"reason": p.get("reason", "")},
    "coded": lambda p: _("Tax authority code %(code)s") % {"code": p.get("code", "")},
    "rejected": lambda p: (
        _("Rejected by the tax authority: %(reason)s") % {"reason": p.get("reason", "") or "—"}
    ),
    "pdf_stored": lambda p: _("PDF downloaded from the provider"),
    "emailed": lambda p: _("Emailed to %(to)s") % {"to": p.get("to", "")},
    "discarded": lambda p: _("Cancelled before it reached the provider"),
    "replacement_requested": lambda p: (
        _("Replacement requested: %(reason)s") % {"reason": p.get("reason", "")}
    ),
    "adjustment_requested": lambda p: (
        _("Adjustment requested: %(reason)s") % {"reason": p.get("reason", "")}
    ),
    "replaced": lambda p: (
        _("Replaced by %(symbol)s № %(number)s")
        % {"symbol": p.get("by_symbol", ""), "number": p.get("by_number", "")}
    ),
    "adjusted": lambda p: (
        _("Adjusted by %(symbol)s № %(number)s")
        % {"symbol": p.get("by_symbol", ""), "number": p.get("by_number", "")}
    ),
}


def invoice_event_text(code: str, params: dict) -> str:
    renderer = INVOICE_RENDERERS.get(code)
    return renderer(params or {}) if renderer else code


# Renderers of the order's timeline ("invoice_<code>").
ORDER_RENDERERS = {
    "invoice_requested": lambda p: _("%(what)s requested") % {"what": _what(p)},
    "invoice_issued": lambda p: (
        _("%(what)s issued: %(name)s") % {"what": _what(p), "name": _name(p)}
    ),
    "invoice_failed": lambda p: (
        _("%(what)s not issued: %(reason)s") % {"what": _what(p), "reason": p.get("reason", "")}
    ),
    "invoice_coded": lambda p: (
        _("Tax authority code for %(name)s: %(code)s")
        % {"name": _name(p), "code": p.get("code", "")}
    ),
    "invoice_rejected": lambda p: _("The tax authority rejected %(name)s") % {"name": _name(p)},
    "invoice_replaced": lambda p: (
        _("Invoice %(name)s replaced by № %(number)s")
        % {"name": _name(p), "number": p.get("by_number", "")}
    ),
    "invoice_adjusted": lambda p: (
        _("Invoice %(name)s adjusted by № %(number)s")
        % {"name": _name(p), "number": p.get("by_number", "")}
    ),
    "invoice_auto_refused": lambda p: (
        _("No automatic e-invoice: %(reason)s")
        % {"reason": " ".join(x for x in (p.get("reason", ""), p.get("fields", "")) if x)}
    ),
}


def register_renderers() -> None:
    for code, renderer in ORDER_RENDERERS.items():
        timeline.register(code, renderer)
