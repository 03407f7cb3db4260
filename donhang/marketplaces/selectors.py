"""Marketplace reads for the integrations pages, the order card, the dashboard and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from donhang.catalog.models import Product, Variant
from donhang.core.text import fold
from donhang.marketplaces.models import (
    ConnectionStatus,
    Listing,
    MarketplaceOrder,
    ProductPublish,
    ShopConnection,
    StockPush,
)


def connection_list() -> list[ShopConnection]:
    """Every shop with its listing counts (three aggregates in one query)."""
    return list(
        ShopConnection.objects.select_related("store").annotate(
            listing_count=Count("listings", filter=Q(listings__is_present=True), distinct=True),
            matched_count=Count(
                "listings",
                filter=Q(listings__is_present=True, listings__variant__isnull=False),
                distinct=True,
            ),
            pending_count=Count(
                "listings", filter=Q(listings__stock_dirty_at__isnull=False), distinct=True
            ),
        )
    )


@dataclass
class SyncStatus:
    connection: ShopConnection
    listings: int
    matched: int
    unmatched: int
    pending_pushes: int
    failed_pushes_24h: int
    orders: int
    orders_with_problems: int


def connection_sync_status(*, connection: ShopConnection) -> SyncStatus:
    listings = Listing.objects.filter(connection=connection, is_present=True).aggregate(
        total=Count("id"),
        matched=Count("id", filter=Q(variant__isnull=False)),
    )
    pending = Listing.objects.filter(
        connection=connection, stock_dirty_at__isnull=False, variant__isnull=False
    ).count()
    from_time = _since_hours(24)
    failed = StockPush.objects.filter(connection=connection, ok=False, at__gte=from_time).count()
    orders = MarketplaceOrder.objects.filter(connection=connection).aggregate(
        total=Count("id"), problems=Count("id", filter=~Q(last_error=""))
    )
    return SyncStatus(
        connection=connection,
        listings=listings["total"],
        matched=listings["matched"],
        unmatched=listings["total"] - listings["matched"],
        pending_pushes=pending,
        failed_pushes_24h=failed,
        orders=orders["total"],
        orders_with_problems=orders["problems"],
    )


def _since_hours(hours: int):
    return timezone.now() - timedelta(hours=hours)


def listing_list(*, connection: ShopConnection, matched: bool | None = None, q: str = ""):
    qs = Listing.objects.filter(connection=connection, is_present=True).select_related(
        "variant__product"
    )
    if matched is True:
        qs = qs.filter(variant__isnull=False)
    elif matched is False:
        qs = qs.filter(variant__isnull=True)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(seller_sku__icontains=q) | Q(item_name__icontains=q))
    return qs.order_by("item_name", "variation_name", "id")


def stock_push_list(*, connection: ShopConnection, limit: int = 100) -> list[StockPush]:
    return list(StockPush.objects.filter(connection=connection).select_related("listing")[:limit])


def marketplace_order_list(*, connection: ShopConnection, problems_only: bool = False, limit=100):
    qs = MarketplaceOrder.objects.filter(connection=connection).select_related("order")
    if problems_only:
        qs = qs.exclude(last_error="")
    return list(qs.order_by("-platform_updated_at", "-id")[:limit])


def publish_list(*, connection: ShopConnection, limit: int = 20) -> list[ProductPublish]:
    return list(
        ProductPublish.objects.filter(connection=connection).select_related("product")[:limit]
    )


def products_to_publish(*, connection: ShopConnection, q: str = "", limit: int = 50):
    """Our active products none of whose variants is on the shop yet."""
    listed = Listing.objects.filter(connection=connection, variant__isnull=False).values(
        "variant__product_id"
    )
    qs = Product.objects.filter(is_active=True).exclude(pk__in=listed)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(sku__icontains=q) | Q(search_text__contains=fold(q)))
    return list(qs.order_by("name")[:limit])


def variant_search(*, q: str, limit: int = 20) -> list[Variant]:
    q = (q or "").strip()
    if not q:
        return []
    return list(
        Variant.objects.select_related("product")
        .filter(Q(sku__iexact=q) | Q(search_text__icontains=fold(q)))
        .order_by("product__name", "position")[:limit]
    )


def connections_with_problems() -> list[ShopConnection]:
    """Shops the dashboard names: pushes failing, an authorization to renew."""
    return list(
        ShopConnection.objects.exclude(status=ConnectionStatus.DISABLED)
        .filter(Q(push_failures__gt=0) | Q(status=ConnectionStatus.REAUTHORIZE))
        .order_by("platform", "name")
    )


def order_marketplace_panel(order) -> MarketplaceOrder | None:
    return (
        MarketplaceOrder.objects.select_related("connection", "connection__store")
        .filter(order=order)
        .first()
    )
