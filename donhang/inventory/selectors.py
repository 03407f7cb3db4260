"""Reads for the warehouse and stock pages and endpoints, each with a bounded query count."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
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


# --- low stock -------------------------------------------------------------------------------

LOW_STOCK_PAGE_SIZE = 50


def low_stock_variants(*, warehouse: Warehouse | None = None) -> QuerySet:
    """Active variants with a low-stock threshold (> 0) whose available stock (on hand − reserved
    over active warehouses; with `warehouse`, in that warehouse only) is at or below it.

    Annotated with `available`; the emptiest first. One query; variants never stocked count as 0.
    """
    from donhang.catalog.models import Variant

    levels = StockLevel.objects.filter(variant=OuterRef("pk"), warehouse__is_active=True)
    if warehouse is not None:
        levels = levels.filter(warehouse=warehouse)
    available = (
        levels.order_by()
        .values("variant")
        .annotate(value=Sum(F("on_hand") - F("reserved")))
        .values("value")
    )
    return (
        Variant.objects.filter(is_active=True, product__is_active=True, low_stock_threshold__gt=0)
        .select_related("product")
        .annotate(available=Coalesce(Subquery(available, output_field=IntegerField()), Value(0)))
        .filter(available__lte=F("low_stock_threshold"))
        .order_by("available", "sku", "pk")
    )


@dataclass(frozen=True)
class LowStockRow:
    variant: object
    available: int
    threshold: int
    per_warehouse: list[WarehouseStockRow]  # aligned with LowStockPage.warehouses


@dataclass
class LowStockPage:
    warehouses: list[Warehouse]  # active, in priority order: the columns
    warehouse: Warehouse | None
    page_obj: Page
    rows: list[LowStockRow]


def low_stock_page(*, warehouse_id: int | None = None, page=None) -> LowStockPage:
    """One page of the low-stock list with each variant's figures per active warehouse (the
    columns); `warehouse_id` (an active warehouse) judges stock in that warehouse alone. Four
    queries whatever the page size: warehouses, count, page, stock levels."""
    warehouses = list(Warehouse.objects.filter(is_active=True).order_by("priority", "code"))
    warehouse = next((w for w in warehouses if w.pk == warehouse_id), None)
    page_obj = Paginator(low_stock_variants(warehouse=warehouse), LOW_STOCK_PAGE_SIZE).get_page(
        page
    )
    variants = list(page_obj.object_list)
    levels = {
        (lvl.variant_id, lvl.warehouse_id): lvl
        for lvl in StockLevel.objects.filter(
            variant__in=[v.pk for v in variants], warehouse__is_active=True
        ).only("variant_id", "warehouse_id", "on_hand", "reserved")
    }
    rows = []
    for variant in variants:
        figures = []
        for wh in warehouses:
            level = levels.get((variant.pk, wh.pk))
            figures.append(
                WarehouseStockRow(
                    warehouse=wh,
                    on_hand=level.on_hand if level else 0,
                    reserved=level.reserved if level else 0,
                )
            )
        rows.append(
            LowStockRow(
                variant=variant,
                available=variant.available,
                threshold=variant.low_stock_threshold,
                per_warehouse=figures,
            )
        )
    return LowStockPage(warehouses=warehouses, warehouse=warehouse, page_obj=page_obj, rows=rows)


# --- channel rules ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelRuleRow:
    channel: str
    label: str
    strategy: str
    warehouse_ids: list[int]  # empty: every active warehouse
    saved: bool  # False: no rule yet, the defaults apply


def channel_rule_list() -> list[ChannelRuleRow]:
    """Every sales channel with how its orders choose warehouses (defaults when no rule is
    saved). Two queries."""
    from donhang.orders.models import AllocationStrategy, Channel, ChannelRule

    rules = {r.channel: r for r in ChannelRule.objects.prefetch_related("warehouses")}
    rows = []
    for channel in Channel:
        rule = rules.get(channel.value)
        rows.append(
            ChannelRuleRow(
                channel=channel.value,
                label=str(channel.label),
                strategy=rule.strategy if rule else AllocationStrategy.PRIORITY.value,
                warehouse_ids=sorted(w.pk for w in rule.warehouses.all()) if rule else [],
                saved=rule is not None,
            )
        )
    return rows
