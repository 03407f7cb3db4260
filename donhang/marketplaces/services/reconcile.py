"""The nightly full reconciliation of a shop (off-peak, MARKETPLACE_RECONCILE_AT): products and
stock both ways, then the payouts still missing."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from donhang.core.integrations import IntegrationError
from donhang.marketplaces.models import MarketplaceOrder, ShopConnection, StockPush
from donhang.marketplaces.ports import OrderStatus
from donhang.marketplaces.services._common import (
    adapter_for,
    connection_record_error,
    enqueue_task,
)
from donhang.marketplaces.services.products import products_pull
from donhang.marketplaces.services.stock import connection_mark_drift, connection_push_stock


@dataclass
class Reconciled:
    listings: int = 0
    drift: int = 0
    pushed: int = 0
    settlements_asked: int = 0
    error: str = ""


def connection_reconcile(*, connection: ShopConnection) -> Reconciled:
    """Pull every listing (new and removed items, the stock the shop shows), mark each linked
    listing whose shop stock is not what its rules publish, push those, and ask again for the
    payouts of completed orders not settled yet. Drift is corrected both ways: what changed on
    the shop by hand is overwritten by what we may sell; what we missed pushing is pushed."""
    result = Reconciled()
    try:
        result.listings = products_pull(connection=connection).listings
        result.drift = connection_mark_drift(connection=connection)
        result.pushed = connection_push_stock(
            connection=connection, kind=StockPush.Kind.RECONCILE
        ).pushed
    except IntegrationError as exc:
        connection_record_error(connection, exc)
        result.error = exc.message
    if adapter_for(connection).capabilities.settlements:
        unsettled = MarketplaceOrder.objects.filter(
            connection=connection,
            status=OrderStatus.COMPLETED.value,
            settled_at__isnull=True,
            order__isnull=False,
        ).values_list("pk", flat=True)
        for pk in unsettled[:500]:
            enqueue_task("settle_order_task", pk, at_commit=False)
            result.settlements_asked += 1
    ShopConnection.objects.filter(pk=connection.pk).update(reconciled_at=timezone.now())
    return result
