"""What inventory tells the catalog (which sits below it and never imports it): stock totals
for product pages, warehouses for opening stock, and posting that opening stock. Registered at
start-up by InventoryConfig.ready()."""

from __future__ import annotations

from django.db.models import IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from donhang.catalog.stock import WarehouseChoice
from donhang.core import hooks
from donhang.inventory.models import StockLevel, Warehouse
from donhang.inventory.services import stock_initial_post


def stock_sum(*, field: str, product: bool):
    key = "variant__product" if product else "variant"
    levels = (
        StockLevel.objects.filter(**{key: OuterRef("pk")})
        .order_by()
        .values(key)
        .annotate(total=Sum(field))
        .values("total")
    )
    return Coalesce(Subquery(levels, output_field=IntegerField()), Value(0))


def warehouses() -> list[WarehouseChoice]:
    return [
        WarehouseChoice(pk=pk, code=code, name=name)
        for pk, code, name in Warehouse.objects.filter(is_active=True)
        .order_by("priority", "code")
        .values_list("pk", "code", "name")
    ]


def initial_stock(*, variant, quantities: dict[int, int], actor=None) -> None:
    stock_initial_post(variant=variant, quantities=quantities, actor=actor)


def register() -> None:
    hooks.register("catalog.stock_sum", stock_sum)
    hooks.register("catalog.warehouses", warehouses)
    hooks.register("catalog.initial_stock", initial_stock)
