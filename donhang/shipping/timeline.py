"""How shipping's events read on an order's timeline (codes and params, rendered in the
reader's language; registered with donhang.orders.timeline when the app starts)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from donhang.core.money import format_vnd
from donhang.orders import timeline
from donhang.shipping.models import STATUS_CHOICES, Provider

_STATUS_LABELS = dict(STATUS_CHOICES)


def _carrier(params: dict) -> str:
    value = params.get("carrier", "")
    try:
        return str(Provider(value).label)
    except ValueError:
        return str(value)


def _requested(p: dict) -> str:
    values = {"carrier": _carrier(p), "cod": format_vnd(p.get("cod", 0))}
    parcels = int(p.get("parcels") or 1)
    if parcels < 2:
        return _("Shipment requested from %(carrier)s (COD %(cod)s)") % values
    return _(
        "Shipment requested from %(carrier)s as %(n)s parcels from %(warehouses)s (COD %(cod)s)"
    ) % {**values, "n": parcels, "warehouses": ", ".join(p.get("warehouses") or []) or "—"}


def _carrier_update(p: dict) -> str:
    status = _STATUS_LABELS.get(p.get("status", ""), p.get("status", ""))
    return _("%(carrier)s: %(status)s") % {"carrier": _carrier(p), "status": status}


RENDERERS = {
    "shipment_requested": _requested,
    "shipment_created": lambda p: (
        _("Shipment %(code)s created with %(carrier)s")
        % {"code": p.get("code", ""), "carrier": _carrier(p)}
    ),
    "shipment_cancelled": lambda p: _("Shipment %(code)s cancelled.") % {"code": p.get("code", "")},
    "shipment_cancel_requested": lambda p: (
        _(
            "Cancel of shipment %(code)s requested: it completes when %(carrier)s has answered the create."
        )
        % {"code": p.get("code", ""), "carrier": _carrier(p)}
    ),
    "carrier_update": _carrier_update,
    # the manager's reason is the event's message, shown under it
    "cod_reduced": lambda p: (
        _("COD lowered to %(cod)s: the order owes %(owed)s, %(missing)s short")
        % {
            "cod": format_vnd(p.get("cod", 0)),
            "owed": format_vnd(p.get("owed", 0)),
            "missing": format_vnd(int(p.get("owed", 0)) - int(p.get("cod", 0))),
        }
    ),
    "redeliver_requested": lambda p: (
        _("Asked %(carrier)s to deliver again") % {"carrier": _carrier(p)}
    ),
    "return_requested": lambda p: (
        _("Asked %(carrier)s to return the parcel") % {"carrier": _carrier(p)}
    ),
}


def register_renderers() -> None:
    for code, renderer in RENDERERS.items():
        timeline.register(code, renderer)
