"""Purchasing reads, shaped for the pages and endpoints that use them (bounded query counts)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from donhang.catalog.models import Variant
from donhang.core.errors import NotFound
from donhang.core.text import fold
from donhang.inventory.models import StockMovement, Warehouse
from donhang.inventory.services import code_lookup, search_clean
from donhang.orders.models import OPEN_STATUSES, Order, SubState
from donhang.purchasing.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
    SupplierVariant,
)
from donhang.purchasing.services import Suggestion, purchase_suggestions

Status = PurchaseOrder.Status


# --- suppliers -------------------------------------------------------------------------------


def supplier_list(*, q: str = "", active: bool | None = None) -> QuerySet[Supplier]:
    """Suppliers by name, tax code, phone or contact (accents ignored), with their number of
    open purchase orders; one query per page."""
    suppliers = Supplier.objects.select_related("province")
    q = search_clean(q)
    if q:
        digits = "".join(ch for ch in q if ch.isdigit())
        condition = Q(search_text__icontains=fold(q)) | Q(tax_code__icontains=q)
        if len(digits) >= 4:
            # A phone typed as 0283… is stored as +84283…: match on the digits after the 0.
            condition |= Q(phone__contains=digits.lstrip("0"))
        suppliers = suppliers.filter(condition)
    if active is not None:
        suppliers = suppliers.filter(is_active=active)
    return suppliers.annotate(
        open_orders=Count(
            "purchase_orders",
            filter=Q(
                purchase_orders__status__in=[Status.DRAFT, Status.SENT, Status.PARTIALLY_RECEIVED]
            ),
        )
    ).order_by("name", "id")


def supplier_get(*, pk: int) -> Supplier:
    supplier = Supplier.objects.select_related("province", "ward").filter(pk=pk).first()
    if supplier is None:
        raise NotFound(_("Supplier %(id)s does not exist.") % {"id": pk})
    return supplier


def supplier_variants(*, supplier: Supplier) -> QuerySet[SupplierVariant]:
    return (
        SupplierVariant.objects.filter(supplier=supplier)
        .select_related("variant__product")
        .order_by("variant__sku")
    )


def supplier_purchase_orders(*, supplier: Supplier, limit: int = 50) -> list[PurchaseOrder]:
    return list(
        PurchaseOrder.objects.filter(supplier=supplier)
        .select_related("warehouse")
        .order_by("-id")[:limit]
    )


def supplier_choices(*, include: int | None = None) -> QuerySet[Supplier]:
    """Active suppliers for a select (plus `include`, the current one, even if inactive)."""
    condition = Q(is_active=True)
    if include:
        condition |= Q(pk=include)
    return Supplier.objects.filter(condition).order_by("name")


def warehouse_choices(*, include: int | None = None) -> QuerySet[Warehouse]:
    condition = Q(is_active=True)
    if include:
        condition |= Q(pk=include)
    return Warehouse.objects.filter(condition).order_by("priority", "code")


# --- products for the line editors -----------------------------------------------------------


def purchasing_variant_search(
    *, q: str, supplier_id: int | None = None, limit: int = 20
) -> list[Variant]:
    """Variants by name, SKU or barcode (accents ignored), exact SKU first, each with
    `last_purchase_price` from `supplier_id` (or None) and `supplier_sku`."""
    q = search_clean(q)
    if not q:
        return []
    variants = list(
        Variant.objects.select_related("product")
        .filter(Q(search_text__icontains=fold(q)) | Q(sku__iexact=q) | Q(barcode=q))
        .order_by("product__name", "position", "id")[:limit]
    )
    variants.sort(key=lambda v: 0 if q.lower() in (v.sku.lower(), v.barcode.lower()) else 1)
    _attach_supplier_prices(variants, supplier_id)
    return variants


def purchasing_variants(*, variant_ids, supplier_id: int | None = None) -> dict[int, Variant]:
    """Variants by id (with product and the supplier's last price), for the rows of a form."""
    ids = {int(i) for i in variant_ids if i}
    variants = {v.pk: v for v in Variant.objects.select_related("product").filter(pk__in=ids)}
    _attach_supplier_prices(list(variants.values()), supplier_id)
    return variants


def _attach_supplier_prices(variants: list[Variant], supplier_id: int | None) -> None:
    links = {}
    if supplier_id and variants:
        links = {
            link.variant_id: link
            for link in SupplierVariant.objects.filter(
                supplier_id=supplier_id, variant_id__in=[v.pk for v in variants]
            )
        }
    for v in variants:
        link = links.get(v.pk)
        v.last_purchase_price = link.last_purchase_price if link else None
        v.supplier_sku = link.supplier_sku if link else ""
        # What a new line costs by default: the supplier's last price, else the cost price.
        v.default_price = (
            link.last_purchase_price if link and link.last_purchase_price else v.cost_price
        )


# --- purchase orders -------------------------------------------------------------------------


STATUS_TABS = [
    Status.DRAFT,
    Status.SENT,
    Status.PARTIALLY_RECEIVED,
    Status.RECEIVED,
    Status.CLOSED,
    Status.CANCELLED,
]


def purchase_order_list(
    *, status: str = "", supplier_id: int | None = None, q: str = ""
) -> QuerySet[PurchaseOrder]:
    """Purchase orders, newest first, with supplier, warehouse and line count (one query)."""
    orders = PurchaseOrder.objects.select_related("supplier", "warehouse")
    if status == "open":
        orders = orders.filter(status__in=[Status.DRAFT, Status.SENT, Status.PARTIALLY_RECEIVED])
    elif status in Status.values:
        orders = orders.filter(status=status)
    if supplier_id:
        orders = orders.filter(supplier_id=supplier_id)
    q = search_clean(q)
    if q:
        orders = orders.filter(Q(code__iexact=q) | Q(supplier__search_text__icontains=fold(q)))
    return orders.annotate(line_count=Count("lines")).order_by("-id")


def purchase_order_status_counts(*, supplier_id: int | None = None) -> dict[str, int]:
    rows = PurchaseOrder.objects.all()
    if supplier_id:
        rows = rows.filter(supplier_id=supplier_id)
    counts = dict(rows.order_by().values_list("status").annotate(n=Count("id")))
    counts["open"] = sum(
        counts.get(s, 0) for s in (Status.DRAFT, Status.SENT, Status.PARTIALLY_RECEIVED)
    )
    counts["all"] = sum(counts.get(s, 0) for s in Status.values)
    return counts


def purchase_order_get(*, pk: int | None = None, code: str | None = None) -> PurchaseOrder:
    """One purchase order with its lines (variant, product) and receipts (with their lines)."""
    key = code_lookup(code) if pk is None else None
    lookup = {"pk": pk} if pk is not None else {"code__iexact": key}
    po = (
        PurchaseOrder.objects.select_related(
            "supplier__province",
            "supplier__ward",
            "warehouse__province",
            "warehouse__ward",
            "created_by",
        )
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=PurchaseOrderLine.objects.select_related("variant__product").order_by(
                    "id"
                ),
            ),
            Prefetch(
                "receipts",
                queryset=GoodsReceipt.objects.select_related("warehouse", "received_by")
                .annotate(units=_units())
                .order_by("-id"),
            ),
        )
        .filter(**lookup)
        .first()
        if pk is not None or key
        else None
    )
    if po is None:
        raise NotFound(
            _("Purchase order %(code)s does not exist.") % {"code": code or pk},
            fields={"purchase_order": _("Unknown purchase order.")},
        )
    return po


def _units():
    return Sum("lines__quantity")


# --- goods receipts --------------------------------------------------------------------------


def goods_receipt_list(
    *, supplier_id: int | None = None, warehouse_id: int | None = None, q: str = ""
) -> QuerySet[GoodsReceipt]:
    receipts = GoodsReceipt.objects.select_related(
        "purchase_order", "supplier", "warehouse", "received_by"
    )
    if supplier_id:
        receipts = receipts.filter(supplier_id=supplier_id)
    if warehouse_id:
        receipts = receipts.filter(warehouse_id=warehouse_id)
    q = search_clean(q)
    if q:
        receipts = receipts.filter(Q(code__iexact=q) | Q(purchase_order__code__iexact=q))
    return receipts.annotate(line_count=Count("lines"), units=_units()).order_by("-id")


@dataclass
class ReceiptDetail:
    receipt: GoodsReceipt
    movements: list[StockMovement] = field(default_factory=list)

    @property
    def total_cost(self) -> int:
        return sum(ln.quantity * ln.unit_cost for ln in self.receipt.lines.all())


def goods_receipt_get(*, pk: int) -> ReceiptDetail:
    """One receipt with lines and the stock movements it posted."""
    receipt = (
        GoodsReceipt.objects.select_related(
            "purchase_order", "supplier", "warehouse", "received_by"
        )
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=GoodsReceiptLine.objects.select_related("variant__product").order_by("id"),
            )
        )
        .filter(pk=pk)
        .first()
    )
    if receipt is None:
        raise NotFound(_("Goods receipt %(id)s does not exist.") % {"id": pk})
    movements = list(
        StockMovement.objects.filter(reference_type="goods_receipt", reference_id=str(receipt.pk))
        .select_related("variant", "warehouse")
        .order_by("id")
    )
    return ReceiptDetail(receipt=receipt, movements=movements)


def orders_awaiting_stock(*, variant_ids) -> set[int]:
    """Ids of open orders waiting for stock of any of these variants (to tell, after a receipt,
    how many of them it served)."""
    ids = {int(i) for i in variant_ids if i}
    if not ids:
        return set()
    return set(
        Order.objects.filter(
            status__in=OPEN_STATUSES,
            sub_state=SubState.AWAITING_STOCK,
            lines__variant_id__in=ids,
        )
        .values_list("pk", flat=True)
        .distinct()
    )


# --- suggestions -----------------------------------------------------------------------------


@dataclass
class SuggestionGroup:
    supplier: Supplier | None
    rows: list[Suggestion]


@dataclass
class SuggestionPage:
    groups: list[SuggestionGroup]
    suppliers: list[Supplier]  # for the "no preferred supplier" selects
    linked: dict[int, list[int]]  # variant id → ids of suppliers that sell it

    @property
    def count(self) -> int:
        return sum(len(g.rows) for g in self.groups)


def purchase_suggestion_page() -> SuggestionPage:
    """`purchase_suggestions()` grouped by preferred supplier, the group without one last."""
    suggestions = purchase_suggestions()
    groups: list[SuggestionGroup] = []
    for suggestion in suggestions:
        if groups and groups[-1].supplier == suggestion.supplier:
            groups[-1].rows.append(suggestion)
        else:
            groups.append(SuggestionGroup(supplier=suggestion.supplier, rows=[suggestion]))
    orphans = [s.variant.pk for s in suggestions if s.supplier is None]
    linked: dict[int, list[int]] = {}
    suppliers: list[Supplier] = []
    if orphans:
        for variant_id, supplier_id in SupplierVariant.objects.filter(
            variant_id__in=orphans, supplier__is_active=True
        ).values_list("variant_id", "supplier_id"):
            linked.setdefault(variant_id, []).append(supplier_id)
        suppliers = list(supplier_choices())
    return SuggestionPage(groups=groups, suppliers=suppliers, linked=linked)
