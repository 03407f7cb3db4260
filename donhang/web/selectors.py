from datetime import timedelta

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from donhang.catalog.models import Product, Variant
from donhang.core.replica import reads_from_replica
from donhang.inventory.models import StockLevel, Warehouse
from donhang.inventory.selectors import stocktake_due_warehouses, stocktake_period_days
from donhang.orders.models import Order, Status, SubState


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
    # What staff must act on: each bucket is one indexed count.
    open_orders = Order.objects.filter(status__in=[Status.NEW, Status.PROCESSING, Status.SHIPPING])
    buckets = open_orders.aggregate(
        new=Count("id", filter=Q(status=Status.NEW)),
        awaiting_stock=Count("id", filter=Q(sub_state=SubState.AWAITING_STOCK)),
        packing=Count("id", filter=Q(status=Status.PROCESSING, sub_state=SubState.PACKING)),
        ready_to_ship=Count("id", filter=Q(sub_state=SubState.READY_TO_SHIP)),
        shipping=Count("id", filter=Q(status=Status.SHIPPING)),
        delivery_failed=Count("id", filter=Q(sub_state=SubState.DELIVERY_FAILED)),
    )
    sales = Order.objects.exclude(status=Status.CANCELLED)
    figures = {"n": Count("id")}
    if include_revenue:
        figures["total"] = Sum("total")
    today_sales = sales.filter(created_at__gte=today).aggregate(**figures)
    week_sales = sales.filter(created_at__gte=today - timedelta(days=6)).aggregate(**figures)
    return {
        "products": products["total"],
        "active_products": products["active"],
        "variants": Variant.objects.count(),
        "warehouses": Warehouse.objects.filter(is_active=True).count(),
        "on_hand": stock["on_hand"] or 0,
        "reserved": stock["reserved"] or 0,
        "low_stock": low_stock,
        "orders": buckets,
        "today_orders": today_sales["n"],
        "today_total": (today_sales["total"] or 0) if include_revenue else None,
        "week_orders": week_sales["n"],
        "week_total": (week_sales["total"] or 0) if include_revenue else None,
        # Active warehouses not counted within STOCKTAKE_PERIOD_DAYS (30 = monthly, 90 = quarterly).
        "stocktake_due": stocktake_due_warehouses(),
        "stocktake_period_days": stocktake_period_days(),
    }
