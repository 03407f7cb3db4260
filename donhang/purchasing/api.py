"""Purchasing REST API: suppliers, purchase orders, goods receipts, what to buy.

Money is integer VND, excluding VAT on purchase prices. Errors: 401 without a valid key, 403 when
the role may not do it (sending or cancelling a purchase order needs
`purchasing.confirm_purchaseorder`: managers and owners, as does closing a partly received one), 404 unknown id or code, 409 a transition
the status does not allow or an over-receipt without `allow_over_receipt`, 422 invalid input
(with `fields`, e.g. `lines.0.sku`).

Purchase prices are cost prices: callers without `catalog.view_cost` (the warehouse role) get
them as null (line prices, amounts, order totals, receipt unit costs, suggested prices), and
sending a price or unit cost is a 403 for them. They may still receive goods: a receipt line
without `unit_cost` costs the purchase order's price.
"""

from __future__ import annotations

from datetime import date, datetime

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from donhang.core.errors import NotFound, ValidationFailed
from donhang.core.money import VatRate
from donhang.core.phone import display_phone
from donhang.inventory.models import Warehouse
from donhang.inventory.services import code_lookup
from donhang.purchasing import selectors, services
from donhang.purchasing.models import GoodsReceipt, PurchaseOrder, Supplier
from donhang.purchasing.services import can_view_cost

router = Router(tags=["purchasing"])


# --- schemas ---------------------------------------------------------------------------------


class SupplierOut(Schema):
    id: int
    name: str
    tax_code: str
    contact_name: str
    phone: str = Field(description="E.164 (+84…)")
    phone_display: str = Field(description="As Vietnamese write it (0xxx)")
    email: str
    address_line: str
    province: int | None = Field(description="Province code (2025 units)")
    province_name: str
    ward: int | None = Field(description="Ward code (2025 units)")
    ward_name: str
    payment_terms: str
    note: str
    is_active: bool
    created_at: datetime
    updated_at: datetime


class SupplierPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[SupplierOut]


class SupplierIn(Schema):
    name: str = Field(..., min_length=1, max_length=200, examples=["Công ty TNHH Dệt May Sài Gòn"])
    tax_code: str = Field("", max_length=20, description="10 digits, or 13 (0101234567-001)")
    contact_name: str = Field("", max_length=120)
    phone: str = Field("", max_length=32, description="Vietnamese phone, any common format")
    email: str = Field("", max_length=254)
    address_line: str = Field("", max_length=255)
    province: int | None = Field(None, description="Province code")
    ward: int | None = Field(None, description="Ward code; the province follows from it")
    payment_terms: str = Field("", max_length=120, examples=["30 ngày sau khi giao hàng"])
    note: str = ""
    is_active: bool = True


class SupplierPatch(Schema):
    """Only the fields sent change."""

    name: str | None = Field(None, min_length=1, max_length=200)
    tax_code: str | None = Field(None, max_length=20)
    contact_name: str | None = Field(None, max_length=120)
    phone: str | None = Field(None, max_length=32)
    email: str | None = Field(None, max_length=254)
    address_line: str | None = Field(None, max_length=255)
    province: int | None = None
    ward: int | None = None
    payment_terms: str | None = Field(None, max_length=120)
    note: str | None = None
    is_active: bool | None = None


class PurchaseOrderLineIn(Schema):
    sku: str = Field(..., min_length=1, max_length=64)
    quantity: int = Field(..., ge=1)
    unit_price: int | None = Field(
        None,
        ge=0,
        description="VND excl. VAT; default: the supplier's last price, else the cost. "
        "Needs catalog.view_cost (403 otherwise).",
    )
    vat_rate: VatRate | None = Field(None, description="Default: the variant's VAT rate")


class PurchaseOrderIn(Schema):
    supplier_id: int
    warehouse: str = Field(..., description="Code of the warehouse to deliver to", examples=["HN"])
    expected_date: date | None = None
    note: str = ""
    lines: list[PurchaseOrderLineIn] = Field(..., min_length=1)


class PurchaseOrderLineOut(Schema):
    id: int
    sku: str
    name: str
    quantity: int
    received_quantity: int
    cancelled_quantity: int = Field(description="Not delivered, cancelled when the order closed")
    remaining: int = Field(description="Still expected from the supplier")
    unit_price: int | None = Field(description="VND excl. VAT; null without catalog.view_cost")
    vat_rate: str
    amount: int | None = Field(
        description="quantity × unit price, excl. VAT; null without catalog.view_cost"
    )


class ReceiptSummaryOut(Schema):
    code: str
    received_at: datetime
    warehouse: str


class PurchaseOrderOut(Schema):
    code: str
    status: str = Field(
        description="draft | sent | partially_received | received | closed (partly received, "
        "the rest cancelled) | cancelled"
    )
    supplier_id: int
    supplier_name: str
    warehouse: str
    expected_date: date | None
    note: str
    goods_total: int | None = Field(description="Excl. VAT; null without catalog.view_cost")
    vat_total: int | None = Field(description="Null without catalog.view_cost")
    total: int | None = Field(description="Incl. VAT; null without catalog.view_cost")
    created_at: datetime
    sent_at: datetime | None
    received_at: datetime | None
    closed_at: datetime | None = None
    lines: list[PurchaseOrderLineOut] = []
    receipts: list[ReceiptSummaryOut] = []


class PurchaseOrderPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[PurchaseOrderOut]


class CancelIn(Schema):
    reason: str = ""


class ReceiptLineIn(Schema):
    sku: str = Field(..., min_length=1, max_length=64)
    quantity: int = Field(..., ge=0, description="0 lines are ignored")
    unit_cost: int | None = Field(
        None,
        ge=0,
        description="VND excl. VAT; default: the PO price. Needs catalog.view_cost (403 "
        "otherwise); leave it out to keep the PO price.",
    )


class ReceiptIn(Schema):
    warehouse: str | None = Field(None, description="Warehouse code; default: the PO's")
    lines: list[ReceiptLineIn] = Field(..., min_length=1)
    note: str = ""
    allow_over_receipt: bool = Field(
        False, description="Accept more than ordered; without it an over-receipt is a 409"
    )


class ReceiptLineOut(Schema):
    sku: str
    quantity: int
    unit_cost: int | None = Field(description="VND excl. VAT; null without catalog.view_cost")


class ReceiptOut(Schema):
    code: str
    purchase_order: str | None
    supplier_id: int | None
    warehouse: str
    received_at: datetime
    note: str
    lines: list[ReceiptLineOut]


class ReceiptPostedOut(Schema):
    receipt: ReceiptOut
    purchase_order_status: str = Field(description="The purchase order's status after the receipt")


class SuggestionOut(Schema):
    sku: str
    variant_id: int
    name: str
    supplier_id: int | None = Field(description="The preferred supplier; null when none")
    supplier_name: str | None
    short: int = Field(description="Units short across orders awaiting stock")
    low_stock: int = Field(description="Units to bring stock back to twice the threshold")
    on_order: int = Field(description="Units already on open purchase orders")
    quantity: int = Field(description="Proposed quantity to order")
    unit_price: int | None = Field(
        description="Proposed price excl. VAT; null without catalog.view_cost"
    )


# --- helpers ---------------------------------------------------------------------------------


def _supplier_out(supplier: Supplier) -> dict:
    return {
        "id": supplier.pk,
        "name": supplier.name,
        "tax_code": supplier.tax_code,
        "contact_name": supplier.contact_name,
        "phone": supplier.phone,
        "phone_display": display_phone(supplier.phone),
        "email": supplier.email,
        "address_line": supplier.address_line,
        "province": supplier.province_id,
        "province_name": supplier.province.name if supplier.province_id else "",
        "ward": supplier.ward_id,
        "ward_name": supplier.ward.name if supplier.ward_id else "",
        "payment_terms": supplier.payment_terms,
        "note": supplier.note,
        "is_active": supplier.is_active,
        "created_at": supplier.created_at,
        "updated_at": supplier.updated_at,
    }


def _po_out(po: PurchaseOrder, *, view_cost: bool, detail: bool = True) -> dict:
    def cost(value):
        return value if view_cost else None

    data = {
        "code": po.code,
        "status": po.status,
        "supplier_id": po.supplier_id,
        "supplier_name": po.supplier.name,
        "warehouse": po.warehouse.code,
        "expected_date": po.expected_date,
        "note": po.note,
        "goods_total": cost(po.goods_total),
        "vat_total": cost(po.vat_total),
        "total": cost(po.total),
        "created_at": po.created_at,
        "sent_at": po.sent_at,
        "received_at": po.received_at,
        "closed_at": po.closed_at,
        "lines": [],
        "receipts": [],
    }
    if detail:
        data["lines"] = [
            {
                "id": ln.pk,
                "sku": ln.variant.sku,
                "name": ln.variant.product.name,
                "quantity": ln.quantity,
                "received_quantity": ln.received_quantity,
                "cancelled_quantity": ln.cancelled_quantity,
                "remaining": ln.remaining,
                "unit_price": cost(ln.unit_price),
                "vat_rate": ln.vat_rate,
                "amount": cost(ln.quantity * ln.unit_price),
            }
            for ln in po.lines.all()
        ]
        data["receipts"] = [
            {"code": r.code, "received_at": r.received_at, "warehouse": r.warehouse.code}
            for r in po.receipts.all()
        ]
    return data


def _receipt_out(receipt: GoodsReceipt, *, view_cost: bool) -> dict:
    return {
        "code": receipt.code,
        "purchase_order": receipt.purchase_order.code if receipt.purchase_order_id else None,
        "supplier_id": receipt.supplier_id,
        "warehouse": receipt.warehouse.code,
        "received_at": receipt.received_at,
        "note": receipt.note,
        "lines": [
            {
                "sku": ln.variant.sku,
                "quantity": ln.quantity,
                "unit_cost": ln.unit_cost if view_cost else None,
            }
            for ln in receipt.lines.all()
        ],
    }


def _supplier(supplier_id: int, *, field: str | None = None) -> Supplier:
    try:
        return selectors.supplier_get(pk=supplier_id)
    except NotFound:
        if field:
            raise ValidationFailed(
                _("Unknown supplier."), fields={field: _("No supplier has this id.")}
            ) from None
        raise


def _warehouse(code: str, field: str = "warehouse") -> Warehouse:
    key = code_lookup(code)
    warehouse = Warehouse.objects.filter(code__iexact=key).first() if key else None
    if warehouse is None:
        raise ValidationFailed(
            _("Unknown warehouse code %(code)s.") % {"code": code},
            fields={field: _("No warehouse has this code.")},
        )
    return warehouse


def _po(code: str) -> PurchaseOrder:
    return selectors.purchase_order_get(code=code)


# --- suppliers -------------------------------------------------------------------------------


@router.get("/suppliers", response=SupplierPage, summary="List and search suppliers")
def list_suppliers(
    request,
    q: str = Query("", description="Name, tax code, phone or contact; accents are ignored"),
    active: bool | None = Query(None, description="true: active only; false: inactive only"),
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=1_000_000_000),
):
    request.principal.require("purchasing.view_supplier")
    suppliers = selectors.supplier_list(q=q, active=active).select_related("ward")
    return {
        "count": suppliers.count(),
        "limit": limit,
        "offset": offset,
        "items": [_supplier_out(s) for s in suppliers[offset : offset + limit]],
    }


@router.post("/suppliers", response={201: SupplierOut}, summary="Create a supplier")
def create_supplier(request, payload: SupplierIn):
    supplier = services.supplier_create(actor=request.principal, **payload.dict())
    return Status(201, _supplier_out(selectors.supplier_get(pk=supplier.pk)))


@router.get("/suppliers/{supplier_id}", response=SupplierOut, summary="One supplier")
def get_supplier(request, supplier_id: int):
    request.principal.require("purchasing.view_supplier")
    return _supplier_out(_supplier(supplier_id))


@router.patch("/suppliers/{supplier_id}", response=SupplierOut, summary="Change a supplier")
def update_supplier(request, supplier_id: int, payload: SupplierPatch):
    supplier = _supplier(supplier_id)
    values = {
        "name": supplier.name,
        "tax_code": supplier.tax_code,
        "contact_name": supplier.contact_name,
        "phone": supplier.phone,
        "email": supplier.email,
        "address_line": supplier.address_line,
        "province": supplier.province_id,
        "ward": supplier.ward_id,
        "payment_terms": supplier.payment_terms,
        "note": supplier.note,
        "is_active": supplier.is_active,
    }
    # null means "no change", except for the address units, which may be cleared.
    changes = {
        k: v
        for k, v in payload.dict(exclude_unset=True).items()
        if v is not None or k in ("province", "ward")
    }
    if "province" in changes and "ward" not in changes:
        values["ward"] = None  # a new province drops the old province's ward
    values.update(changes)
    services.supplier_update(supplier=supplier, actor=request.principal, **values)
    return _supplier_out(selectors.supplier_get(pk=supplier.pk))


# --- purchase orders -------------------------------------------------------------------------


@router.get(
    "/purchase-orders/suggestions",
    response=list[SuggestionOut],
    summary="What to buy: shortages and low-stock reorders minus open purchase orders",
)
def list_suggestions(request, include_low_stock: bool = True):
    """Sorted by preferred supplier (none last), then SKU. Turn them into draft purchase orders
    with `POST /purchase-orders`, one per supplier."""
    request.principal.require("purchasing.view_purchaseorder")
    view_cost = can_view_cost(request.principal)
    return [
        {
            "sku": s.variant.sku,
            "variant_id": s.variant.pk,
            "name": s.variant.product.name,
            "supplier_id": s.supplier.pk if s.supplier else None,
            "supplier_name": s.supplier.name if s.supplier else None,
            "short": s.short,
            "low_stock": s.low_stock,
            "on_order": s.on_order,
            "quantity": s.quantity,
            "unit_price": s.unit_price if view_cost else None,
        }
        for s in services.purchase_suggestions(include_low_stock=include_low_stock)
    ]


@router.get("/purchase-orders", response=PurchaseOrderPage, summary="List purchase orders")
def list_purchase_orders(
    request,
    status: str = Query(
        "", description="draft | sent | partially_received | received | cancelled | open"
    ),
    supplier_id: int | None = None,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=1_000_000_000),
):
    """Newest first; lines are left out (read one order for them)."""
    request.principal.require("purchasing.view_purchaseorder")
    if status and status != "open" and status not in PurchaseOrder.Status.values:
        raise ValidationFailed(
            _("Unknown status."),
            fields={"status": ", ".join([*PurchaseOrder.Status.values, "open"])},
        )
    orders = selectors.purchase_order_list(status=status, supplier_id=supplier_id)
    return {
        "count": orders.count(),
        "limit": limit,
        "offset": offset,
        "items": [
            _po_out(po, view_cost=can_view_cost(request.principal), detail=False)
            for po in orders[offset : offset + limit]
        ],
    }


@router.post(
    "/purchase-orders", response={201: PurchaseOrderOut}, summary="Create a draft purchase order"
)
def create_purchase_order(request, payload: PurchaseOrderIn):
    po = services.purchase_order_create(
        supplier=_supplier(payload.supplier_id, field="supplier_id"),
        warehouse=_warehouse(payload.warehouse),
        expected_date=payload.expected_date,
        note=payload.note,
        lines=[
            services.PoLineInput(
                sku=ln.sku,
                quantity=ln.quantity,
                unit_price=ln.unit_price,
                vat_rate=ln.vat_rate.value if ln.vat_rate else None,
            )
            for ln in payload.lines
        ],
        actor=request.principal,
    )
    return Status(
        201,
        _po_out(selectors.purchase_order_get(pk=po.pk), view_cost=can_view_cost(request.principal)),
    )


@router.get(
    "/purchase-orders/{code}", response=PurchaseOrderOut, summary="One purchase order with lines"
)
def get_purchase_order(request, code: str):
    request.principal.require("purchasing.view_purchaseorder")
    return _po_out(_po(code), view_cost=can_view_cost(request.principal))


@router.post(
    "/purchase-orders/{code}/send",
    response=PurchaseOrderOut,
    summary="Confirm a draft and mark it sent (managers and owners)",
)
def send_purchase_order(request, code: str):
    po = services.purchase_order_send(purchase_order=_po(code), actor=request.principal)
    return _po_out(
        selectors.purchase_order_get(pk=po.pk), view_cost=can_view_cost(request.principal)
    )


@router.post(
    "/purchase-orders/{code}/cancel",
    response=PurchaseOrderOut,
    summary="Cancel a draft or sent purchase order (managers and owners)",
)
def cancel_purchase_order(request, code: str, payload: CancelIn | None = None):
    po = services.purchase_order_cancel(
        purchase_order=_po(code),
        reason=payload.reason if payload else "",
        actor=request.principal,
    )
    return _po_out(
        selectors.purchase_order_get(pk=po.pk), view_cost=can_view_cost(request.principal)
    )


@router.post(
    "/purchase-orders/{code}/close",
    response=PurchaseOrderOut,
    summary="Close a partly received purchase order, cancelling the rest (managers and owners)",
)
def close_purchase_order(request, code: str, payload: CancelIn | None = None):
    """What was not delivered is cancelled (`cancelled_quantity` per line) and no longer counts
    as on order; 409 unless the order is partly received."""
    po = services.purchase_order_close(
        purchase_order=_po(code),
        reason=payload.reason if payload else "",
        actor=request.principal,
    )
    return _po_out(
        selectors.purchase_order_get(pk=po.pk), view_cost=can_view_cost(request.principal)
    )


@router.post(
    "/purchase-orders/{code}/receipts",
    response={201: ReceiptPostedOut},
    summary="Receive goods on a sent purchase order",
)
def receive_purchase_order(request, code: str, payload: ReceiptIn):
    """Lines are matched to the order by SKU; partial receipts are fine. The stock is posted,
    cost prices move to the moving average, and waiting orders are served oldest first."""
    po = _po(code)
    warehouse = _warehouse(payload.warehouse) if payload.warehouse else po.warehouse
    on_order = {ln.variant.sku for ln in po.lines.all()}
    typed = [code_lookup(ln.sku) for ln in payload.lines]
    unknown = {
        f"lines.{i}.sku": _("This product is not on the purchase order.")
        if sku is not None
        else _("Type the SKU again without hidden characters.")
        for i, sku in enumerate(typed)
        if sku not in on_order
    }
    if unknown:
        raise ValidationFailed(_("Some lines are not valid."), fields=unknown)
    # The same SKU twice is one line (so the over-receipt check sees the sum).
    merged: dict[str, services.ReceiptLineInput] = {}
    for ln, sku in zip(payload.lines, typed, strict=True):
        if sku in merged:
            merged[sku].quantity += ln.quantity
        else:
            merged[sku] = services.ReceiptLineInput(
                sku=sku, quantity=ln.quantity, unit_cost=ln.unit_cost
            )
    receipt = services.goods_receipt_post(
        purchase_order=po,
        warehouse=warehouse,
        note=payload.note,
        allow_over_receipt=payload.allow_over_receipt,
        lines=list(merged.values()),
        actor=request.principal,
    )
    receipt = (
        GoodsReceipt.objects.select_related("purchase_order", "warehouse")
        .prefetch_related("lines__variant")
        .get(pk=receipt.pk)
    )
    return Status(
        201,
        {
            "receipt": _receipt_out(receipt, view_cost=can_view_cost(request.principal)),
            "purchase_order_status": receipt.purchase_order.status,
        },
    )
