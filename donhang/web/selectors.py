from datetime import timedelta

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from donhang.catalog.models import Product, Variant
from donhang.core.replica import reads_from_replica
from donhang.inventory.models import StockLevel, Warehouse
from donhang.inventory.selectors import stocktake_due_warehouses, stocktake_period_days
from donhang.orders.counters import order_counts_by_state
from donhang.orders.models import Order, Status, SubState

OPEN = (Status.NEW, Status.PROCESSING, Status.SHIPPING)


# Figures a person reads: from the read replica when there is one (a second of lag is harmless).
@reads_from_replica
def dashboard_summary(*, include_revenue: bool = False) -> dict:
    """Figures for the dashboard, in a fixed number of queries. Money taken (today, 7 days) only
    with `include_revenue` (roles with accounts.view_revenue); otherwise those totals are None
    and not even summed."""
    products = Product.objects.aggregate(
        total=Count("id"), active=Count("id", filter=Q(is_active=True))
    )
    stock = StockLevel.objects.aggregate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
    low_stock = (
        Variant.objects.filter(is_active=True, low_stock_threshold__gt=0)
        .annotate(total=Sum("stock_levels__on_hand") - Sum("stock_levels__reserved"))
        .filter(total__lte=F("low_stock_threshold"))
        .count()
    )
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    week = today - timedelta(days=6)
    # What staff must act on: from the order counters (exact, a few hundred small rows, whatever
    # the number of orders), not a count over the open orders.
    by_state = order_counts_by_state()

    def orders_in(status=None, sub_state=None) -> int:
        return sum(
            n
            for (st, sub), n in by_state.items()
            if st in OPEN
            and (status is None or st == status)
            and (sub_state is None or sub == sub_state)
        )

    buckets = {
        "new": orders_in(Status.NEW),
        "awaiting_stock": orders_in(sub_state=SubState.AWAITING_STOCK),
        "packing": orders_in(Status.PROCESSING, SubState.PACKING),
        "ready_to_ship": orders_in(sub_state=SubState.READY_TO_SHIP),
        "shipping": orders_in(Status.SHIPPING),
        "delivery_failed": orders_in(sub_state=SubState.DELIVERY_FAILED),
    }
    # Today and the last 7 days in one read of the covering index (created_at, status, total):
    # a week's orders, not every order.
    figures = {
        "week_n": Count("*"),
        "today_n": Count("id", filter=Q(created_at__gte=today)),
    }
    if include_revenue:
        figures["week_total"] = Sum("total")
        figures["today_total"] = Sum("total", filter=Q(created_at__gte=today))
    sales = (
        Order.objects.filter(created_at__gte=week)
        .exclude(status=Status.CANCELLED)
        .aggregate(**figures)
    )
    return {
        "products": products["total"],
        "active_products": products["active"],
        "variants": Variant.objects.count(),
        "warehouses": Warehouse.objects.filter(is_active=True).count(),
        "on_hand": stock["on_hand"] or 0,
        "reserved": stock["reserved"] or 0,
        "low_stock": low_stock,
        "orders": buckets,
        "today_orders": sales["today_n"],
        "today_total": (sales["today_total"] or 0) if include_revenue else None,
        "week_orders": sales["week_n"],
        "week_total": (sales["week_total"] or 0) if include_revenue else None,
        # Active warehouses not counted within STOCKTAKE_PERIOD_DAYS (30 = monthly, 90 = quarterly).
        "stocktake_due": stocktake_due_warehouses(),
        "stocktake_period_days": stocktake_period_days(),
    }
