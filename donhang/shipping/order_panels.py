"""Shipping's pieces of the order pages, provided to donhang.orders through donhang.core.hooks
(orders sits below shipping and never imports it)."""

from __future__ import annotations

from django.urls import reverse

from donhang.core import hooks
from donhang.shipping.models import Shipment
from donhang.shipping.selectors import carrier_account_list, order_shipping_panel


def shipping_panel(*, request, order) -> dict:
    """The shipments card of the order page, with the "create shipment" link when it applies."""
    panel = order_shipping_panel(order)
    panel["back"] = reverse("orders:order_detail", args=[order.code]) + "#shipments"
    can_create = (
        panel["has_carriers"]
        and not panel["has_open"]
        and order.status == "processing"
        and order.sub_state in ("packing", "ready_to_ship")
        and request.user.has_perm("shipping.add_shipment")
    )
    panel["create_url"] = (
        reverse("shipping:shipment_create", args=[order.code]) if can_create else ""
    )
    return panel


def bulk_carriers(*, request) -> list:
    return list(carrier_account_list(active_only=True))


def order_ids_by_tracking(*, tracking: str) -> list[int]:
    """Orders with a parcel of this tracking number (the order list's search)."""
    return list(
        Shipment.objects.filter(tracking_code__in={tracking.strip(), tracking.strip().upper()})
        .values_list("order_id", flat=True)
        .distinct()
    )


def register() -> None:
    hooks.register("order.shipping_panel", shipping_panel)
    hooks.register("orders.bulk_carriers", bulk_carriers)
    hooks.register("orders.ids_by_tracking", order_ids_by_tracking)
