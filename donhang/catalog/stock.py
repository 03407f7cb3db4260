"""Stock as the catalog sees it: totals on product pages, the warehouses offered for initial
stock, and posting that initial stock. donhang.inventory builds on the catalog (stock is of
variants), so the catalog never imports it: inventory provides these through
donhang.core.hooks at start-up (InventoryConfig.ready). Without inventory, a catalog has no
stock: totals are 0 and no warehouse is offered."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import IntegerField, Value

from donhang.core import hooks


@dataclass(frozen=True)
class WarehouseChoice:
    pk: int
    code: str
    name: str

    def __str__(self) -> str:
        return self.name


def stock_sum(field: str, *, product: bool):
    """An expression: the sum of a stock column ("on_hand", "reserved") per variant, or per
    product when product=True, as a subquery (no row fan-out)."""
    return hooks.first(
        "catalog.stock_sum", field=field, product=product, default=Value(0, IntegerField())
    )


def warehouses_for_initial_stock() -> list[WarehouseChoice]:
    """Active warehouses in priority order."""
    return hooks.first("catalog.warehouses", default=[])


def warehouse_ids_by_code(codes) -> dict[str, int]:
    return {w.code: w.pk for w in warehouses_for_initial_stock() if w.code in set(codes)}


def initial_stock_post(*, variant, quantities: dict[int, int], actor=None) -> None:
    """Post the opening stock of a new variant per warehouse id."""
    hooks.emit("catalog.initial_stock", variant=variant, quantities=quantities, actor=actor)
