"""Reads for the warehouse and stock pages and endpoints, each with a bounded query count."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from donhang.core import hooks
from donhang.core.errors import NotFound
from donhang.core.text import fold
from donhang.inventory.models import StockChange, StockLevel, StockMovement, Warehouse
from donhang.inventory.services import code_lookup, search_clean


def warehouse_list(*, active: bool | None = None) -> QuerySet[Warehouse]:
    """Warehouses with address and totals (`total_on_hand`, `total_reserved`, `total_available`,
    `total_returned`: returned parcels waiting for inspection), in one query."""
    warehouses = (
        Warehouse.objects.select_related("province", "ward")
        .annotate(
            total_on_hand=Coalesce(Sum("stock_levels__on_hand"), Value(0)),
            total_reserved=Coalesce(Sum("stock_levels__reserved"), Value(0)),
            total_returned=Coalesce(Sum("stock_levels__returned"), Value(0)),
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
        key = code_lookup(code)
        warehouse = warehouses.filter(code=key.upper()).first() if key else None
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
    search = search_clean(search)
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
    returned: int = 0  # returned parcels waiting for inspection (not on hand, not sellable)

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


def variant_stock_levels(*, variant) -> list[WarehouseStockRow]:
    """Per warehouse: every warehouse holding a level of the variant, and every active one
    (at zero when it has none), in priority order. Two queries."""
    levels = {
        level.warehouse_id: level
        for level in StockLevel.objects.filter(variant=variant).only(
            "warehouse_id", "on_hand", "reserved", "returned"
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
                returned=level.returned if level else 0,
            )
        )
    return rows


def available_to_promise(*, variant_ids, warehouse_ids=None) -> dict[int, int]:
    """{variant id: units that may be promised}: Σ over the warehouses of on hand − reserved,
    each warehouse counted at 0 when it has less (a shortfall in one does not eat another's
    stock). Returned parcels waiting for inspection never count. `warehouse_ids` None: every
    active warehouse. Every asked variant is in the answer (0 without stock). One query."""
    ids = {int(v) for v in variant_ids}
    if not ids:
        return {}
    levels = StockLevel.objects.filter(variant_id__in=ids, on_hand__gt=F("reserved"))
    if warehouse_ids is None:
        levels = levels.filter(warehouse__is_active=True)
    else:
        levels = levels.filter(warehouse_id__in=[int(w) for w in warehouse_ids])
    promise = dict.fromkeys(ids, 0)
    for row in (
        levels.order_by().values("variant_id").annotate(units=Sum(F("on_hand") - F("reserved")))
    ):
        promise[row["variant_id"]] = row["units"]
    return promise


def stock_changes_pending(*, limit: int = 500) -> list[StockChange]:
    """Variants whose sellable stock changed and is not yet pushed to the marketplaces, oldest
    change first; hand what was pushed to inventory.services.stock_changes_mark_consumed."""
    return list(StockChange.objects.order_by("changed_at", "pk")[: max(int(limit), 0)])


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
    saved). Channels and their rules belong to orders, which provides them through the hook
    ``inventory.channel_rules`` (inventory may not import orders); none without it."""
    return hooks.first("inventory.channel_rules", default=[])


def allocation_strategy_choices() -> list[tuple[str, str]]:
    """(value, label) of the ways a channel's orders choose warehouses (hook
    ``inventory.allocation_strategies``, provided by orders)."""
    return hooks.first("inventory.allocation_strategies", default=[])


# --- transfers -------------------------------------------------------------------------------


def transfer_list(*, status: str = "") -> QuerySet:
    """Transfers newest first with their warehouses, `line_count` and `units` (sent), one query
    per page; `status` narrows to one status."""
    from donhang.inventory.models import Transfer

    transfers = (
        Transfer.objects.select_related("source", "destination")
        .annotate(line_count=Count("lines"), units=Coalesce(Sum("lines__quantity"), Value(0)))
        .order_by("-id")
    )
    if status:
        transfers = transfers.filter(status=status)
    return transfers


def transfer_status_counts() -> dict[str, int]:
    """Number of transfers per status, in one query (for the tabs of the list)."""
    from donhang.inventory.models import Transfer

    counts = {s: 0 for s in Transfer.Status.values}
    for row in Transfer.objects.order_by().values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


def transfer_get(*, code: str):
    """One transfer by code (case-insensitive) with its lines, variants and products; each line
    gets `available_at_source` (what could leave the source now). Three queries."""
    from donhang.inventory.models import Transfer

    key = code_lookup(code)
    transfer = (
        Transfer.objects.select_related("source", "destination", "created_by")
        .filter(code=key.upper())
        .first()
        if key
        else None
    )
    if transfer is None:
        raise NotFound(
            _("There is no transfer %(code)s.") % {"code": code},
            fields={"code": _("Unknown transfer.")},
        )
    transfer.line_list = list(transfer.lines.select_related("variant", "variant__product"))
    free = variant_available_in(
        warehouse_id=transfer.source_id, variant_ids=[ln.variant_id for ln in transfer.line_list]
    )
    for line in transfer.line_list:
        line.available_at_source = free.get(line.variant_id, 0)
    transfer.has_discrepancy = any(ln.discrepancy for ln in transfer.line_list)
    return transfer


def variant_available_in(*, warehouse_id: int | None, variant_ids) -> dict[int, int]:
    """{variant id: on hand − reserved} in one warehouse (missing: 0). One query."""
    ids = [int(i) for i in variant_ids]
    if not warehouse_id or not ids:
        return {}
    return {
        vid: on_hand - reserved
        for vid, on_hand, reserved in StockLevel.objects.filter(
            warehouse_id=warehouse_id, variant_id__in=ids
        ).values_list("variant_id", "on_hand", "reserved")
    }


def transfer_variant_search(*, q: str, source_id: int | None, limit: int = 20) -> list:
    """Active variants by name, SKU or barcode (accents ignored) with `available` in the source
    warehouse; an exact SKU or barcode first. Two queries."""
    from donhang.catalog.models import Variant

    q = search_clean(q)
    if not q:
        return []
    key = fold(q)
    variants = list(
        Variant.objects.select_related("product")
        .filter(is_active=True)
        .filter(Q(search_text__icontains=key) | Q(sku__iexact=q) | Q(barcode=q))
        .order_by("product__name", "position", "id")[:limit]
    )
    variants.sort(key=lambda v: 0 if q.lower() in (v.sku.lower(), v.barcode.lower()) else 1)
    free = variant_available_in(warehouse_id=source_id, variant_ids=[v.pk for v in variants])
    for variant in variants:
        variant.available = free.get(variant.pk, 0)
    return variants


def transfer_line_variants(*, variant_ids, source_id: int | None) -> dict:
    """Variants (with product and `available` in the source) by id, for the rows of the form."""
    from donhang.catalog.models import Variant

    ids = {int(i) for i in variant_ids}
    variants = {v.pk: v for v in Variant.objects.select_related("product").filter(pk__in=ids)}
    free = variant_available_in(warehouse_id=source_id, variant_ids=variants.keys())
    for variant in variants.values():
        variant.available = free.get(variant.pk, 0)
    return variants


# --- stocktakes ------------------------------------------------------------------------------


def _progress(prefix: str = "") -> dict:
    counted = Q(**{f"{prefix}counted__isnull": False})
    return {
        "line_count": Count(f"{prefix}id" if prefix else "id"),
        "counted_count": Count(f"{prefix}id" if prefix else "id", filter=counted),
        "variance_count": Count(
            f"{prefix}id" if prefix else "id",
            filter=counted & ~Q(**{f"{prefix}counted": F(f"{prefix}expected")}),
        ),
    }


def stocktake_list(*, status: str = "", warehouse_id: int | None = None) -> QuerySet:
    """Stocktakes newest first with warehouse, category and progress (`line_count`,
    `counted_count`, `variance_count`), one query per page."""
    from donhang.inventory.models import Stocktake

    stocktakes = (
        Stocktake.objects.select_related("warehouse", "category")
        .annotate(**_progress("lines__"))
        .order_by("-id")
    )
    if status:
        stocktakes = stocktakes.filter(status=status)
    if warehouse_id:
        stocktakes = stocktakes.filter(warehouse_id=warehouse_id)
    return stocktakes


def stocktake_get(*, code: str):
    """One stocktake by code (case-insensitive) with its progress counts; NotFound otherwise.
    Two queries."""
    from donhang.inventory.models import Stocktake, StocktakeLine

    key = code_lookup(code)
    stocktake = (
        Stocktake.objects.select_related("warehouse", "category", "created_by", "posted_by")
        .filter(code=key.upper())
        .first()
        if key
        else None
    )
    if stocktake is None:
        raise NotFound(
            _("There is no stocktake %(code)s.") % {"code": code},
            fields={"code": _("Unknown stocktake.")},
        )
    progress = StocktakeLine.objects.filter(stocktake=stocktake).aggregate(**_progress())
    for name, value in progress.items():
        setattr(stocktake, name, value)
    stocktake.uncounted_count = stocktake.line_count - stocktake.counted_count
    return stocktake


SHEET_FILTERS = ("uncounted", "variances")


def stocktake_sheet_lines(*, stocktake, show: str = "", search: str = "") -> QuerySet:
    """Lines of a count sheet in SKU order with variant and product; `show` = "uncounted" or
    "variances" (counted and different from expected); `search` by SKU, barcode or name."""
    from donhang.inventory.models import StocktakeLine

    lines = (
        StocktakeLine.objects.filter(stocktake=stocktake)
        .select_related("variant", "variant__product")
        .order_by("variant__sku", "pk")
    )
    if show == "uncounted":
        lines = lines.filter(counted__isnull=True)
    elif show == "variances":
        lines = lines.filter(counted__isnull=False).exclude(counted=F("expected"))
    search = search_clean(search)
    if search:
        key = fold(search)
        lines = lines.filter(
            Q(variant__sku__icontains=search)
            | Q(variant__barcode=search)
            | Q(variant__search_text__contains=key)
            | Q(variant__product__search_text__contains=key)
        )
    return lines


@dataclass
class StocktakeReview:
    """What posting would write: one row per counted line whose count differs."""

    lines: list  # StocktakeLine with variant, product, `value` (variance × cost price)
    units_gained: int
    units_lost: int
    value_gained: int
    value_lost: int
    uncounted: int

    @property
    def net_units(self) -> int:
        return self.units_gained - self.units_lost

    @property
    def net_value(self) -> int:
        return self.value_gained - self.value_lost


def stocktake_review(*, stocktake) -> StocktakeReview:
    """Variances of a stocktake valued at the variants' cost price (excl. VAT), biggest value
    first. Two queries."""
    from donhang.inventory.models import StocktakeLine

    lines = list(
        StocktakeLine.objects.filter(stocktake=stocktake, counted__isnull=False)
        .exclude(counted=F("expected"))
        .select_related("variant", "variant__product")
    )
    for line in lines:
        line.value = line.variance * line.variant.cost_price
    lines.sort(key=lambda ln: (-abs(ln.value), ln.variant.sku))
    uncounted = StocktakeLine.objects.filter(stocktake=stocktake, counted__isnull=True).count()
    return StocktakeReview(
        lines=lines,
        units_gained=sum(ln.variance for ln in lines if ln.variance > 0),
        units_lost=-sum(ln.variance for ln in lines if ln.variance < 0),
        value_gained=sum(ln.value for ln in lines if ln.value > 0),
        value_lost=-sum(ln.value for ln in lines if ln.value < 0),
        uncounted=uncounted,
    )


def stocktake_period_days() -> int:
    """How often each warehouse should be counted: settings.STOCKTAKE_PERIOD_DAYS (default 30,
    monthly; 90 for quarterly)."""
    from django.conf import settings

    return int(getattr(settings, "STOCKTAKE_PERIOD_DAYS", 30))


def stocktake_due_warehouses(*, now=None) -> list[Warehouse]:
    """Active warehouses never counted, or whose last posted stocktake is older than the period,
    with `last_counted_at` (None: never) and `counting_code` (a count in progress, if any).
    The longest uncounted first. One query."""
    from datetime import timedelta

    from django.db.models import Max
    from django.utils import timezone

    from donhang.inventory.models import Stocktake

    now = now or timezone.now()
    cutoff = now - timedelta(days=stocktake_period_days())
    posted = Q(stocktakes__status=Stocktake.Status.POSTED)
    warehouses = (
        Warehouse.objects.filter(is_active=True)
        .annotate(
            last_counted_at=Max("stocktakes__posted_at", filter=posted),
            counting_code=Max(
                "stocktakes__code", filter=Q(stocktakes__status=Stocktake.Status.COUNTING)
            ),
        )
        .filter(Q(last_counted_at__isnull=True) | Q(last_counted_at__lt=cutoff))
        .order_by(F("last_counted_at").asc(nulls_first=True), "priority", "code")
    )
    return list(warehouses)


# --- inventory value -------------------------------------------------------------------------


@dataclass(frozen=True)
class ValueRow:
    """Units on hand and their value at cost (Σ on hand × variant cost price, excl. VAT)."""

    key: object  # a Warehouse, or a category (None: uncategorised)
    units: int
    value: int
    variants: int  # variants with stock other than 0


@dataclass
class InventoryValue:
    rows: list[ValueRow]

    @property
    def units(self) -> int:
        return sum(row.units for row in self.rows)

    @property
    def value(self) -> int:
        return sum(row.value for row in self.rows)

    @property
    def variants(self) -> int:
        return sum(row.variants for row in self.rows)


def _value_aggregates() -> dict:
    from django.db.models import BigIntegerField, ExpressionWrapper

    return {
        "units": Sum("on_hand"),
        "value": Sum(
            ExpressionWrapper(
                F("on_hand") * F("variant__cost_price"), output_field=BigIntegerField()
            )
        ),
        "variants": Count("id", filter=~Q(on_hand=0)),
    }


def inventory_value() -> InventoryValue:
    """Per warehouse (active ones, and inactive ones still holding stock) in priority order.
    Two queries."""
    figures = {
        row["warehouse_id"]: row
        for row in StockLevel.objects.order_by()
        .values("warehouse_id")
        .annotate(**_value_aggregates())
    }
    warehouses = Warehouse.objects.filter(
        Q(is_active=True) | Q(pk__in=[pk for pk, row in figures.items() if row["units"]])
    ).order_by("-is_active", "priority", "code")
    rows = []
    for warehouse in warehouses:
        row = figures.get(warehouse.pk, {})
        rows.append(
            ValueRow(
                key=warehouse,
                units=int(row.get("units") or 0),
                value=int(row.get("value") or 0),
                variants=int(row.get("variants") or 0),
            )
        )
    return InventoryValue(rows=rows)


def inventory_value_by_category(*, warehouse: Warehouse) -> InventoryValue:
    """One warehouse's stock value per product category (None: uncategorised), biggest first.
    Two queries."""
    from donhang.catalog.models import Category

    figures = list(
        StockLevel.objects.filter(warehouse=warehouse)
        .order_by()
        .values("variant__product__category_id")
        .annotate(**_value_aggregates())
    )
    categories = Category.objects.in_bulk(
        [
            row["variant__product__category_id"]
            for row in figures
            if row.get("variant__product__category_id")
        ]
    )
    rows = [
        ValueRow(
            key=categories.get(row["variant__product__category_id"]),
            units=int(row["units"] or 0),
            value=int(row["value"] or 0),
            variants=int(row["variants"] or 0),
        )
        for row in figures
        if row["units"] or row["value"]
    ]
    rows.sort(key=lambda row: (-row.value, str(row.key or "")))
    return InventoryValue(rows=rows)


def inventory_value_lines(*, warehouse_ids) -> QuerySet[StockLevel]:
    """Stock levels other than 0 of some warehouses with variant, product and category, by
    warehouse then SKU: the lines of the export. One query."""
    return (
        StockLevel.objects.filter(warehouse_id__in=list(warehouse_ids))
        .exclude(on_hand=0)
        .select_related("variant", "variant__product", "variant__product__category")
        .order_by("warehouse_id", "variant__sku", "pk")
    )


def stocktake_line_ids_by_code(*, stocktake) -> dict[str, int]:
    """{SKU or barcode, lower-case: line id} of a count sheet; a SKU wins over a barcode that
    happens to equal it. One query."""
    from donhang.inventory.models import StocktakeLine

    by_code: dict[str, int] = {}
    rows = StocktakeLine.objects.filter(stocktake=stocktake).values_list(
        "pk", "variant__sku", "variant__barcode"
    )
    rows = list(rows)
    for pk, sku, _barcode in rows:
        by_code[sku.lower()] = pk
    for pk, _sku, barcode in rows:
        if barcode:
            by_code.setdefault(barcode.lower(), pk)
    return by_code


def category_for_stocktake(*, category_id: int):
    """The category to count, or None when there is no such category."""
    from donhang.catalog.models import Category

    return Category.objects.filter(pk=category_id).first()
