"""Inventory value and movements, and purchases by supplier. Values are at cost (excl. VAT):
only for those who may see cost prices."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, F, Sum
from django.utils.translation import gettext as _

from donhang.catalog.models import Variant
from donhang.core.replica import reads_from_replica
from donhang.inventory.models import StockMovement
from donhang.inventory.selectors import inventory_value
from donhang.purchasing.models import GoodsReceiptLine, PurchaseOrder, PurchaseOrderLine, Supplier
from donhang.reports.access import Access
from donhang.reports.models import MovementDay, MovementFigures, MovementMonth
from donhang.reports.periods import day_bounds
from donhang.reports.selectors.common import ReportFilters, summed

MOVEMENT_MEASURES = MovementFigures.MEASURES
TOP_VARIANTS = 100


@dataclass
class InventoryReport:
    filters: ReportFilters
    warehouses: list[dict]  # stock now: units (and value at cost)
    kinds: list[dict]  # movements of the range per kind
    variants: list[dict]  # the variants that moved most
    total: dict


def _movement_row(values: dict, access: Access) -> dict:
    out = {
        "movements": values["movements"],
        "units_in": values["units_in"],
        "units_out": values["units_out"],
        "net_units": values["units_in"] - values["units_out"],
    }
    if access.costs:
        out.update(
            value_in=values["value_in"],
            value_out=values["value_out"],
            net_value=values["value_in"] - values["value_out"],
            units_without_cost=values["units_without_cost"],
        )
    return out


@reads_from_replica
def inventory_report(*, filters: ReportFilters, access: Access) -> InventoryReport:
    """Stock on hand now per warehouse, and the movements of the range per kind and per
    variant (the channel filter does not apply: stock has no channel)."""
    now = inventory_value()
    warehouses = []
    for row in now.rows:
        if filters.warehouse and row.key.pk != filters.warehouse:
            continue
        item = {"warehouse": row.key, "units": row.units, "variants": row.variants}
        if access.costs:
            item["value"] = row.value
        warehouses.append(item)
    by_kind = summed(
        MovementDay, MovementMonth, filters, ("kind",), MOVEMENT_MEASURES, channel=False
    )
    labels = dict(StockMovement.Kind.choices)
    kinds = [
        {"kind": key[0], "label": labels.get(key[0], key[0]), **_movement_row(v, access)}
        for key, v in sorted(by_kind.items())
    ]
    total = dict.fromkeys(MOVEMENT_MEASURES, 0)
    for values in by_kind.values():
        for m in MOVEMENT_MEASURES:
            total[m] += values[m]
    by_variant = summed(
        MovementDay, MovementMonth, filters, ("variant_id",), MOVEMENT_MEASURES, channel=False
    )
    top = sorted(
        by_variant.items(), key=lambda kv: (-(kv[1]["units_in"] + kv[1]["units_out"]), kv[0])
    )[:TOP_VARIANTS]
    variants_by_id = Variant.objects.select_related("product").in_bulk([k[0] for k, _v in top])
    variants = []
    for (variant_id,), values in top:
        variant = variants_by_id.get(variant_id)
        variants.append(
            {
                "variant_id": variant_id,
                "sku": variant.sku if variant else "",
                "name": variant.product.name if variant else "",
                "variant_label": variant.options_label if variant else "",
                **_movement_row(values, access),
            }
        )
    stock_total = {
        "units": sum(w["units"] for w in warehouses),
        **({"value": sum(w["value"] for w in warehouses)} if access.costs else {}),
    }
    return InventoryReport(
        filters=filters,
        warehouses=warehouses,
        kinds=kinds,
        variants=variants,
        total={**_movement_row(total, access), "stock": stock_total},
    )


# --- purchases ---------------------------------------------------------------------------------

_ORDERED = [
    PurchaseOrder.Status.SENT,
    PurchaseOrder.Status.PARTIALLY_RECEIVED,
    PurchaseOrder.Status.RECEIVED,
    PurchaseOrder.Status.CLOSED,
]
_OPEN = [PurchaseOrder.Status.SENT, PurchaseOrder.Status.PARTIALLY_RECEIVED]


@reads_from_replica
def purchases_report(*, filters: ReportFilters, access: Access) -> list[dict]:
    """Per supplier: purchase orders sent in the range (created then, drafts and cancelled ones
    left out), what they still expect, and goods received in the range (with or without an
    order). Amounts excl. VAT, for those who may see cost prices."""
    start, end = day_bounds(filters.date_from, filters.date_to)
    orders = PurchaseOrder.objects.filter(
        created_at__gte=start, created_at__lt=end, status__in=_ORDERED
    )
    lines = PurchaseOrderLine.objects.filter(
        purchase_order__created_at__gte=start,
        purchase_order__created_at__lt=end,
        purchase_order__status__in=_OPEN,
    )
    receipts = GoodsReceiptLine.objects.filter(
        receipt__received_at__gte=start, receipt__received_at__lt=end
    )
    if filters.warehouse:
        orders = orders.filter(warehouse_id=filters.warehouse)
        lines = lines.filter(purchase_order__warehouse_id=filters.warehouse)
        receipts = receipts.filter(receipt__warehouse_id=filters.warehouse)
    rows: dict[int | None, dict] = defaultdict(
        lambda: {
            "purchase_orders": 0,
            "ordered": 0,
            "expected_units": 0,
            "expected": 0,
            "receipts": 0,
            "received_units": 0,
            "received": 0,
        }
    )
    for row in orders.values("supplier_id").annotate(n=Count("id"), ordered=Sum("goods_total")):
        rows[row["supplier_id"]].update(purchase_orders=row["n"], ordered=row["ordered"] or 0)
    remaining = F("quantity") - F("received_quantity") - F("cancelled_quantity")
    for row in (
        lines.filter(quantity__gt=F("received_quantity") + F("cancelled_quantity"))
        .values("purchase_order__supplier_id")
        .annotate(units=Sum(remaining), value=Sum(remaining * F("unit_price")))
        .order_by()
    ):
        target = rows[row["purchase_order__supplier_id"]]
        target.update(expected_units=row["units"] or 0, expected=row["value"] or 0)
    supplier_of = F("receipt__supplier_id")
    for row in (
        receipts.annotate(supplier=supplier_of)
        .values("supplier")
        .annotate(
            n=Count("receipt_id", distinct=True),
            units=Sum("quantity"),
            value=Sum(F("quantity") * F("unit_cost")),
        )
        .order_by()
    ):
        target = rows[row["supplier"]]
        target.update(
            receipts=row["n"], received_units=row["units"] or 0, received=row["value"] or 0
        )
    suppliers = Supplier.objects.in_bulk([pk for pk in rows if pk])
    out = []
    for pk, values in rows.items():
        supplier = suppliers.get(pk)
        item = {
            "supplier_id": pk,
            "name": supplier.name if supplier else _("No supplier"),
            "purchase_orders": values["purchase_orders"],
            "expected_units": values["expected_units"],
            "receipts": values["receipts"],
            "received_units": values["received_units"],
        }
        if access.costs:
            item.update(
                ordered=values["ordered"], expected=values["expected"], received=values["received"]
            )
        out.append(item)
    key = (lambda r: -r["received"]) if access.costs else (lambda r: -r["received_units"])
    out.sort(key=lambda r: (key(r), r["name"]))
    return out


def purchases_total(rows: list[dict]) -> dict:
    keys = [k for k in (rows[0] if rows else {}) if k not in ("supplier_id", "name")]
    return {k: sum(r[k] for r in rows) for k in keys}
