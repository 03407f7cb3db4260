"""The marketplace card of the order page, provided to donhang.orders through
donhang.core.hooks (orders sits below marketplaces and never imports it)."""

from __future__ import annotations

from django.urls import reverse

from donhang.core import hooks
from donhang.marketplaces.ports import OrderStatus
from donhang.marketplaces.selectors import order_marketplace_panel


def marketplace_panel(*, request, order) -> dict | None:
    """Platform, shop, the platform's order id and status, money as the platform sees it,
    the settlement, and the logistics actions (arrange shipment, shipping label)."""
    if not order.channel or order.channel not in ("shopee", "lazada", "tiktok_shop"):
        return None
    mo = order_marketplace_panel(order)
    if mo is None:
        return None
    can_ship = request.user.has_perm("orders.fulfil_order")
    return {
        "template": "marketplaces/partials/order_panel.html",
        "mo": mo,
        "arrange_url": reverse("marketplaces:order_arrange", args=[mo.pk])
        if can_ship and mo.status == OrderStatus.TO_SHIP.value
        else "",
        "label_url": reverse("marketplaces:order_label", args=[mo.pk])
        if mo.tracking_number or mo.shipment_arranged_at
        else "",
        "refresh_url": reverse("marketplaces:order_refresh", args=[mo.pk])
        if request.user.has_perm("marketplaces.sync_shopconnection")
        else "",
    }


def register() -> None:
    hooks.register("order.page_panels", marketplace_panel)
