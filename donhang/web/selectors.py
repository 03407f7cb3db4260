from django.db.models import Count, F, Q, Sum

from donhang.catalog.models import Product, Variant
from donhang.inventory.models import StockLevel, Warehouse


def dashboard_summary() -> dict:
    """Figures for the dashboard shell, in a fixed number of queries."""
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
    return {
        "products": products["total"],
        "active_products": products["active"],
        "variants": Variant.objects.count(),
        "warehouses": Warehouse.objects.filter(is_active=True).count(),
        "on_hand": stock["on_hand"] or 0,
        "reserved": stock["reserved"] or 0,
        "low_stock": low_stock,
    }
