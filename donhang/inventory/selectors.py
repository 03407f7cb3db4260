"""Reads for the warehouse and stock pages and endpoints, each with a bounded query count."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from donhang.core.errors import NotFound
from donhang.core.text import fold
from donhang.inventory.models import StockLevel, StockMovement, Warehouse


def warehouse_list(*, active: bool | None = None) -> QuerySet[Warehouse]:
    """Warehouses with address and totals (`total_on_hand`, `total_reserved`, `total_available`),
    in one query."""
    warehouses = (
        Warehouse.objects.select_related("province", "ward")
        .annotate(
            total_on_hand=Coalesce(Sum("stock_levels__on_hand"), Value(0)),
            total_reserved=Coalesce(Sum("stock_levels__reserved"), Value(0)),
            total_available=Coalesce(
                Sum("stock_levels__on_hand") - Sum("stock_levels__reserved"), Value(0)
            ),
        )
        .order_by("-is_active", "priority", "code")
    )
    if active is not None:
        warehouses = warehouses.filter(is_active=active)
    return warehouses


def _not_found(value) -> NotFound:
    return NotFound(
        _("There is no warehouse %(code)s.") % {"code": value},
        fields={"code": _("Unknown warehouse.")},
    )


def warehouse_get(*, code: str | None = None, pk: int | None = None) -> Warehouse:
    """One warehouse with its totals, by code (case-insensitive) or id; NotFound otherwise."""
    warehouses = warehouse_list()
    if code is not None:
        warehouse = warehouses.filter(code=code.strip().upper()).first()
    else:
        warehouse = warehouses.filter(pk=pk).first()
    if warehouse is None:
        raise _not_found(code if code is not None else pk)
    return warehouse


def warehouse_stock_levels(*, warehouse: Warehouse, search: str = "") -> QuerySet[StockLevel]:
    """Stock levels of one warehouse with variant and product, searchable by SKU or name."""
    levels = (
        StockLevel.objects.filter(warehouse=warehouse)
        .select_related("variant", "variant__product")
        .order_by("variant__sku", "pk")
    )
    search = (search or "").strip()
    if search:
        key = fold(search)
        levels = levels.filter(
            Q(variant__sku__icontains=search)
            | Q(variant__barcode=search)
            | Q(variant__product__name__icontains=search)
            | Q(variant__product__search_text__contains=key)
            | Q(variant__search_text__contains=key)
        )
    return levels


@dataclass(frozen=True)
class WarehouseStockRow:
    warehouse: Warehouse
    on_hand: int
    reserved: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


def variant_stock_levels(*, variant) -> list[WarehouseStockRow]:
    """Per warehouse: every warehouse holding a level of the variant, and every active one
    (at zero when it has none), in priority order. Two queries."""
    levels = {
        level.warehouse_id: level
        for level in StockLevel.objects.filter(variant=variant).only(
            "warehouse_id", "on_hand", "reserved"
        )
    }
    warehouses = Warehouse.objects.filter(Q(is_active=True) | Q(pk__in=list(levels))).order_by(
        "-is_active", "priority", "code"
    )
    rows = []
    for warehouse in warehouses:
        level = levels.get(warehouse.pk)
        rows.append(
            WarehouseStockRow(
                warehouse=warehouse,
                on_hand=level.on_hand if level else 0,
                reserved=level.reserved if level else 0,
            )
        )
    return rows


def variant_movements(*, variant, warehouse: Warehouse | None = None) -> QuerySet[StockMovement]:
    """The variant's ledger, newest first (index: variant, warehouse, -at)."""
    movements = (
        StockMovement.objects.filter(variant=variant)
        .select_related("warehouse")
        .order_by("-at", "-id")
    )
    if warehouse is not None:
        movements = movements.filter(warehouse=warehouse)
    return movements
