"""Shipping through the marketplace's own logistics, where the platform assigns the carrier:
arrange the shipment, get the tracking number, download the shipping document (label)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from donhang.core.audit import audit
from donhang.core.errors import Conflict
from donhang.core.permissions import require_perm
from donhang.marketplaces.models import MarketplaceOrder
from donhang.marketplaces.ports import Document, OrderStatus, RemoteOrder
from donhang.marketplaces.services._common import adapter_for, logged
from donhang.marketplaces.services.orders import order_upsert


def _remote(mo: MarketplaceOrder) -> RemoteOrder:
    adapter = adapter_for(mo.connection)
    found = logged(
        mo.connection, "get_orders", mo.external_id, lambda: adapter.get_orders([mo.external_id])
    )
    if not found:
        raise Conflict(_("The marketplace no longer has this order."), code="not_found")
    return found[0]


def marketplace_order_arrange_shipment(
    *, marketplace_order: MarketplaceOrder, actor=None
) -> MarketplaceOrder:
    """Ask the platform's logistics to pick up (or accept the drop-off of) the order's parcel;
    keeps the tracking number it gives. The order is read first: one already arranged is not
    arranged twice. The call runs outside any transaction."""
    require_perm(actor, "orders.fulfil_order")
    mo = MarketplaceOrder.objects.select_related("connection", "order").get(pk=marketplace_order.pk)
    remote = _remote(mo)
    if remote.status != OrderStatus.TO_SHIP:
        mo = order_upsert(connection=mo.connection, remote=remote, source="manual")
        if remote.status in (
            OrderStatus.UNPAID,
            OrderStatus.CANCELLED,
            OrderStatus.CANCEL_REQUESTED,
        ):
            raise Conflict(
                _("The marketplace order is “%(status)s”: nothing to ship.")
                % {"status": remote.platform_status},
                code="not_to_ship",
            )
        return mo
    adapter = adapter_for(mo.connection)
    arranged = logged(
        mo.connection, "arrange_shipment", mo.external_id, lambda: adapter.arrange_shipment(remote)
    )
    MarketplaceOrder.objects.filter(pk=mo.pk).update(
        shipment_arranged_at=timezone.now(),
        tracking_number=arranged.tracking_number[:60] or mo.tracking_number,
        package_id=arranged.package_id[:64] or mo.package_id,
    )
    audit(actor=actor, action="marketplace.arrange_shipment", obj=mo, summary=mo.external_id)
    mo = order_upsert(connection=mo.connection, remote=_remote(mo), source="manual")
    if not mo.tracking_number:
        number = logged(
            mo.connection,
            "tracking_number",
            mo.external_id,
            lambda: adapter.tracking_number(remote),
        )
        if number:
            MarketplaceOrder.objects.filter(pk=mo.pk).update(tracking_number=number[:60])
            mo.tracking_number = number[:60]
    return mo


def marketplace_order_tracking_number(*, marketplace_order: MarketplaceOrder) -> str:
    mo = MarketplaceOrder.objects.select_related("connection").get(pk=marketplace_order.pk)
    adapter = adapter_for(mo.connection)
    remote = _remote(mo)
    number = logged(
        mo.connection, "tracking_number", mo.external_id, lambda: adapter.tracking_number(remote)
    )
    if number and number != mo.tracking_number:
        MarketplaceOrder.objects.filter(pk=mo.pk).update(tracking_number=number[:60])
    return number


def marketplace_order_shipping_document(
    *, marketplace_order: MarketplaceOrder, actor=None
) -> Document:
    """The platform's shipping label of the order (a PDF)."""
    require_perm(actor, "orders.view_order")
    mo = MarketplaceOrder.objects.select_related("connection").get(pk=marketplace_order.pk)
    adapter = adapter_for(mo.connection)
    remote = _remote(mo)
    return logged(
        mo.connection,
        "shipping_document",
        mo.external_id,
        lambda: adapter.shipping_document(remote),
    )
