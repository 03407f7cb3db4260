"""Marketplace REST API: the connected shops, their health and sync status, "push now" and
"pull products". Connecting a shop goes through the seller's browser (the platform's
authorization page), so it is not an API call. Errors: 401 without a valid key, 403 when the
role may not do it, 404 unknown shop."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from donhang.core.errors import NotFound
from donhang.marketplaces import selectors, services
from donhang.marketplaces.models import ShopConnection

router = Router(tags=["marketplaces"])


class ConnectionOut(Schema):
    id: int
    platform: str
    name: str
    shop_id: str
    shop_name: str
    store_id: int | None
    status: str
    environment: str
    last_sync_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    access_token_expires_at: datetime | None
    authorization_expires_at: datetime | None
    stock_percent: int
    stock_buffer: int
    push_failures: int


class SyncStatusOut(Schema):
    connection: ConnectionOut
    listings: int
    matched: int
    unmatched: int
    pending_pushes: int
    failed_pushes_24h: int
    orders: int
    orders_with_problems: int
    orders_synced_until: datetime | None
    products_pulled_at: datetime | None
    reconciled_at: datetime | None


class AcceptedOut(Schema):
    connection_id: int
    queued: int


def _out(c: ShopConnection) -> dict:
    return {
        "id": c.pk,
        "platform": c.platform,
        "name": c.name,
        "shop_id": c.shop_external_id,
        "shop_name": c.shop_name,
        "store_id": c.store_id,
        "status": c.status,
        "environment": c.environment,
        "last_sync_at": c.last_sync_at,
        "last_error": c.last_error,
        "last_error_at": c.last_error_at,
        "access_token_expires_at": c.access_expires_at,
        "authorization_expires_at": c.refresh_expires_at,
        "stock_percent": c.stock_percent,
        "stock_buffer": c.stock_buffer,
        "push_failures": c.push_failures,
    }


def _get(connection_id: int) -> ShopConnection:
    connection = ShopConnection.objects.select_related("store").filter(pk=connection_id).first()
    if connection is None:
        raise NotFound(_("This shop connection does not exist."), fields={"id": _("Unknown.")})
    return connection


@router.get(
    "/marketplaces/connections",
    response=list[ConnectionOut],
    summary="Connected marketplace shops with their health",
)
def list_connections(request):
    request.principal.require("marketplaces.view_shopconnection")
    return [_out(c) for c in selectors.connection_list()]


@router.get(
    "/marketplaces/connections/{connection_id}",
    response=SyncStatusOut,
    summary="One shop: health and sync status (listings, pending pushes, orders)",
)
def connection_status(request, connection_id: int):
    request.principal.require("marketplaces.view_shopconnection")
    connection = _get(connection_id)
    status = selectors.connection_sync_status(connection=connection)
    return {
        "connection": _out(connection),
        "listings": status.listings,
        "matched": status.matched,
        "unmatched": status.unmatched,
        "pending_pushes": status.pending_pushes,
        "failed_pushes_24h": status.failed_pushes_24h,
        "orders": status.orders,
        "orders_with_problems": status.orders_with_problems,
        "orders_synced_until": connection.orders_synced_until,
        "products_pulled_at": connection.products_pulled_at,
        "reconciled_at": connection.reconciled_at,
    }


@router.post(
    "/marketplaces/connections/{connection_id}/push-stock",
    response={202: AcceptedOut},
    summary="Push the stock of every linked listing now (in the background)",
)
def push_stock(request, connection_id: int):
    request.principal.require("marketplaces.sync_shopconnection")
    connection = _get(connection_id)
    queued = services.connection_push_now(connection=connection, actor=request.principal)
    services.enqueue_task("push_stock_now_task", connection.pk)
    return Status(202, {"connection_id": connection.pk, "queued": queued})


@router.post(
    "/marketplaces/connections/{connection_id}/pull-products",
    response={202: AcceptedOut},
    summary="Pull the shop's items and variations again (in the background)",
)
def pull_products(request, connection_id: int):
    request.principal.require("marketplaces.sync_shopconnection")
    connection = _get(connection_id)
    services.enqueue_task("pull_products_task", connection.pk)
    return Status(202, {"connection_id": connection.pk, "queued": 1})
