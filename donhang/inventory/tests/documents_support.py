"""Helpers shared by the transfer, stocktake and inventory value tests."""

from donhang.catalog import services as catalog
from donhang.inventory.models import StockLevel


def make_variant(sku: str, *, stock: dict[int, int] | None = None, cost: int = 1000, **kwargs):
    """A one-variant product with initial stock {warehouse id: quantity} at `cost` (₫)."""
    product = catalog.product_create(
        name=kwargs.pop("name", f"Sản phẩm {sku}"),
        sku=sku,
        defaults={"cost_price": cost, "sale_price": cost * 2, **kwargs.pop("defaults", {})},
        initial_stock=stock or {},
        **kwargs,
    )
    return product.variants.get()


def on_hand(variant, warehouse) -> int:
    level = StockLevel.objects.filter(variant=variant, warehouse=warehouse).first()
    return 0 if level is None else level.on_hand
