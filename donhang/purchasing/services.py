"""Purchasing writes: suppliers, purchase orders (draft → sent → partially received → received,
or cancelled; a partly received one can be closed, the rest cancelled), goods receipts that post
stock, update cost prices and serve waiting orders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from donhang.catalog.models import Variant
from donhang.core.audit import actor_user, audit
from donhang.core.errors import Conflict, PermissionDenied, ValidationFailed
from donhang.core.money import round_vnd, vat_decimal
from donhang.core.permissions import actor_allowed, require_perm
from donhang.core.phone import normalize_phone
from donhang.core.text import search_key
from donhang.customers.selectors import address_units_resolve
from donhang.inventory.models import StockLevel, StockMovement, Transfer, TransferLine, Warehouse
from donhang.inventory.services import (
    BIGGEST_INTEGER,
    MAX_QUANTITY,
    MovementLine,
    code_clean,
    code_lookup,
    stock_movements_post,
    text_clean,
)
from donhang.orders.models import OPEN_STATUSES, OrderLine
from donhang.orders.services import reservations_fill_waiting
from donhang.purchasing.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
    SupplierVariant,
)

Status = PurchaseOrder.Status


_require = require_perm

# Purchase prices are cost prices: only roles with catalog.view_cost see them (pages, PDF, API)
# or set them. Others (the warehouse) still receive goods; a receipt then keeps the purchase
# order's price, or the variant's cost without one.
VIEW_COST = "catalog.view_cost"
# The highest price of one unit (one trillion đồng, as the catalog): more is a typing mistake,
# and would overflow the totals' columns.
MAX_PRICE = 10**12


def can_view_cost(actor) -> bool:
    return actor_allowed(actor, VIEW_COST)


def _refuse_prices(actor, fields: dict[str, str]) -> None:
    """Setting a price tells its value; refused for a role that may not see cost prices."""
    if fields and not can_view_cost(actor):
        raise PermissionDenied(
            _("Your role may not see or change cost prices (catalog.view_cost)."), fields=fields
        )


# --- suppliers -------------------------------------------------------------------------------


_SUPPLIER_TEXT = {  # field → longest length (None: no limit)
    "name": 200,
    "contact_name": 120,
    "email": 254,
    "address_line": 255,
    "payment_terms": 120,
    "note": None,
}


def _supplier_fields(values: dict) -> dict:
    errors = {}
    text = {}
    for key, limit in _SUPPLIER_TEXT.items():
        try:
            text[key] = text_clean(
                values.get(key), field=key, required=key == "name", max_length=limit
            )
        except ValidationFailed as exc:
            errors.update(exc.fields)
    phone = values.get("phone") or ""
    if phone:
        try:
            phone = normalize_phone(phone)
        except ValidationFailed as exc:
            errors["phone"] = exc.fields.get("phone", exc.message)
    tax_code = code_lookup(values.get("tax_code"))
    digits = (tax_code or "").replace(" ", "").replace("-", "")
    if tax_code is None or (
        tax_code and not (digits.isascii() and digits.isdigit() and len(digits) in (10, 13))
    ):
        errors["tax_code"] = _(
            "A tax code has 10 digits, or 13 with a branch suffix (0101234567-001)."
        )
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), fields=errors)
    province, ward = address_units_resolve(province=values.get("province"), ward=values.get("ward"))
    return {
        **text,
        "tax_code": tax_code.replace(" ", ""),
        "phone": phone,
        "province": province,
        "ward": ward,
        "is_active": values.get("is_active") is not False,
    }


@transaction.atomic
def supplier_create(*, actor=None, **values) -> Supplier:
    _require(actor, "purchasing.add_supplier")
    fields = _supplier_fields(values)
    supplier = Supplier(**fields)
    supplier.search_text = search_key(
        supplier.name, supplier.tax_code, supplier.phone, supplier.contact_name
    )
    supplier.save()
    audit(actor=actor, action="supplier.create", obj=supplier, summary=supplier.name)
    return supplier


@transaction.atomic
def supplier_update(*, supplier: Supplier, actor=None, **values) -> Supplier:
    _require(actor, "purchasing.change_supplier")
    for key, value in _supplier_fields(values).items():
        setattr(supplier, key, value)
    supplier.search_text = search_key(
        supplier.name, supplier.tax_code, supplier.phone, supplier.contact_name
    )
    supplier.save()
    audit(actor=actor, action="supplier.update", obj=supplier, summary=supplier.name)
    return supplier


@transaction.atomic
def supplier_variant_set(
    *,
    supplier: Supplier,
    variant: Variant,
    last_purchase_price: int | None = None,
    is_preferred: bool | None = None,
    supplier_sku: str | None = None,
    actor=None,
) -> SupplierVariant:
    """Record that a supplier sells a variant; `is_preferred` makes it the variant's one
    preferred supplier. Setting `last_purchase_price` needs catalog.view_cost."""
    _require(actor, "purchasing.change_supplier")
    if last_purchase_price is not None:
        _refuse_prices(actor, {"last_purchase_price": _("You may not change prices.")})
    if supplier_sku is not None:
        supplier_sku = code_clean(supplier_sku, field="supplier_sku")
    link, _created = SupplierVariant.objects.get_or_create(supplier=supplier, variant=variant)
    if is_preferred:
        SupplierVariant.objects.filter(variant=variant, is_preferred=True).exclude(
            pk=link.pk
        ).update(is_preferred=False)
    if is_preferred is not None:
        link.is_preferred = is_preferred
    if last_purchase_price is not None:
        if last_purchase_price < 0:
            raise ValidationFailed(
                _("The price cannot be negative."),
                fields={"last_purchase_price": _("Enter 0 or more.")},
            )
        if last_purchase_price > MAX_PRICE:
            raise ValidationFailed(
                _("This number is too large."),
                fields={"last_purchase_price": _("This number is too large.")},
            )
        link.last_purchase_price = last_purchase_price
    if supplier_sku is not None:
        link.supplier_sku = supplier_sku
    link.save()
    return link


# --- purchase orders -------------------------------------------------------------------------


@dataclass
class PoLineInput:
    variant_id: int | None = None
    sku: str = ""
    quantity: int = 0
    unit_price: int | None = None  # None: the supplier's last price, else the variant's cost
    vat_rate: str | None = None


def _resolve_po_lines(supplier: Supplier, lines: list[PoLineInput]) -> list[PurchaseOrderLine]:
    if not lines:
        raise ValidationFailed(
            _("A purchase order needs at least one line."), fields={"lines": _("Add a product.")}
        )
    ids = {ln.variant_id for ln in lines if ln.variant_id}
    # SKUs as NFC (composed or decomposed accents are one SKU); hidden characters match nothing.
    typed = [code_lookup(ln.sku) if not ln.variant_id and ln.sku else "" for ln in lines]
    variants = {v.pk: v for v in Variant.objects.filter(pk__in=ids)}
    by_sku = {v.sku: v for v in Variant.objects.filter(sku__in=[s for s in typed if s])}
    last_prices = dict(
        SupplierVariant.objects.filter(supplier=supplier).values_list(
            "variant_id", "last_purchase_price"
        )
    )
    errors, rows = {}, []
    for i, ln in enumerate(lines):
        if typed[i] is None:
            errors[f"lines.{i}.sku"] = _("Type the SKU again without hidden characters.")
            continue
        variant = variants.get(ln.variant_id) if ln.variant_id else by_sku.get(typed[i])
        if variant is None:
            errors[f"lines.{i}.sku"] = _("Unknown product SKU “%(sku)s”.") % {
                "sku": ln.sku or ln.variant_id
            }
            continue
        if not ln.quantity or ln.quantity < 1:
            errors[f"lines.{i}.quantity"] = _("Quantity must be at least 1.")
        elif ln.quantity > MAX_QUANTITY:
            errors[f"lines.{i}.quantity"] = _("Enter at most %(max)s.") % {"max": MAX_QUANTITY}
        price = ln.unit_price
        if price is None:
            price = last_prices.get(variant.pk) or variant.cost_price
        if price < 0:
            errors[f"lines.{i}.unit_price"] = _("The price cannot be negative.")
        elif price > MAX_PRICE:
            errors[f"lines.{i}.unit_price"] = _("This number is too large.")
        vat = ln.vat_rate or variant.vat_rate
        rows.append(
            PurchaseOrderLine(
                variant=variant, quantity=ln.quantity or 0, unit_price=price, vat_rate=vat
            )
        )
    if errors:
        raise ValidationFailed(_("Some lines are not valid."), fields=errors)
    return rows


def _refuse_line_prices(actor, lines: list[PoLineInput]) -> None:
    _refuse_prices(
        actor,
        {
            f"lines.{i}.unit_price": _("You may not change prices.")
            for i, ln in enumerate(lines)
            if ln.unit_price is not None
        },
    )


def _po_totals(lines) -> dict[str, int]:
    goods = sum(ln.quantity * ln.unit_price for ln in lines)
    vat = sum(
        round_vnd(Decimal(ln.quantity * ln.unit_price) * vat_decimal(ln.vat_rate)) for ln in lines
    )
    if goods + vat > BIGGEST_INTEGER:
        raise ValidationFailed(
            _("Some lines are not valid."), fields={"lines": _("This number is too large.")}
        )
    return {"goods_total": goods, "vat_total": vat, "total": goods + vat}


@transaction.atomic
def purchase_order_create(
    *,
    supplier: Supplier,
    warehouse: Warehouse,
    lines: list[PoLineInput],
    expected_date: date | None = None,
    note: str = "",
    actor=None,
) -> PurchaseOrder:
    _require(actor, "purchasing.add_purchaseorder")
    _refuse_line_prices(actor, lines)
    note = text_clean(note, field="note")
    if not supplier.is_active:
        raise ValidationFailed(
            _("This supplier is inactive."), fields={"supplier": _("Choose an active supplier.")}
        )
    rows = _resolve_po_lines(supplier, lines)
    po = PurchaseOrder.objects.create(
        supplier=supplier,
        warehouse=warehouse,
        expected_date=expected_date,
        note=note,
        created_by=actor_user(actor),
        **_po_totals(rows),
    )
    po.code = f"PO{po.pk:06d}"
    PurchaseOrder.objects.filter(pk=po.pk).update(code=po.code)
    for row in rows:
        row.purchase_order = po
    PurchaseOrderLine.objects.bulk_create(rows)
    audit(actor=actor, action="purchase_order.create", obj=po, summary=f"{po.code} {supplier.name}")
    return po


def _lock_po(po: PurchaseOrder) -> PurchaseOrder:
    return PurchaseOrder.objects.select_for_update().get(pk=po.pk)


@transaction.atomic
def purchase_order_update_lines(
    *, purchase_order: PurchaseOrder, lines: list[PoLineInput], actor=None
) -> PurchaseOrder:
    _require(actor, "purchasing.change_purchaseorder")
    _refuse_line_prices(actor, lines)
    po = _lock_po(purchase_order)
    if po.status != Status.DRAFT:
        raise Conflict(
            _("Only a draft purchase order can be edited."), fields={"status": _("Not a draft.")}
        )
    rows = _resolve_po_lines(po.supplier, lines)
    po.lines.all().delete()
    for row in rows:
        row.purchase_order = po
    PurchaseOrderLine.objects.bulk_create(rows)
    for key, value in _po_totals(rows).items():
        setattr(po, key, value)
    po.save(update_fields=["goods_total", "vat_total", "total"])
    audit(actor=actor, action="purchase_order.edit", obj=po, summary=po.code)
    return po


@transaction.atomic
def purchase_order_send(*, purchase_order: PurchaseOrder, actor=None) -> PurchaseOrder:
    """Confirm a draft and mark it sent to the supplier (managers and owners)."""
    _require(actor, "purchasing.confirm_purchaseorder")
    po = _lock_po(purchase_order)
    if po.status != Status.DRAFT:
        raise Conflict(
            _("Only a draft purchase order can be sent."),
            fields={"status": _("Not a draft.")},
            code="transition_not_allowed",
        )
    po.status, po.sent_at = Status.SENT, timezone.now()
    po.save(update_fields=["status", "sent_at"])
    audit(actor=actor, action="purchase_order.send", obj=po, summary=po.code)
    return po


@transaction.atomic
def purchase_order_cancel(
    *, purchase_order: PurchaseOrder, reason: str = "", actor=None
) -> PurchaseOrder:
    _require(actor, "purchasing.confirm_purchaseorder")
    reason = text_clean(reason, field="reason")
    po = _lock_po(purchase_order)
    if po.status not in (Status.DRAFT, Status.SENT):
        raise Conflict(
            _("Goods were already received on this purchase order; it cannot be cancelled."),
            fields={"status": _("Not allowed from the current status.")},
            code="transition_not_allowed",
        )
    po.status = Status.CANCELLED
    po.save(update_fields=["status"])
    audit(actor=actor, action="purchase_order.cancel", obj=po, summary=reason or po.code)
    return po


@transaction.atomic
def purchase_order_close(
    *, purchase_order: PurchaseOrder, reason: str = "", actor=None
) -> PurchaseOrder:
    """Close a partly received purchase order: what the supplier has not delivered is cancelled
    (recorded per line) and no longer counts as on order (managers and owners)."""
    _require(actor, "purchasing.confirm_purchaseorder")
    reason = text_clean(reason, field="reason")
    po = _lock_po(purchase_order)
    if po.status != Status.PARTIALLY_RECEIVED:
        raise Conflict(
            _(
                "Only a partly received purchase order can be closed (this one is “%(status)s”); "
                "cancel one that received nothing."
            )
            % {"status": po.get_status_display()},
            fields={"status": _("Not allowed from the current status.")},
            code="transition_not_allowed",
        )
    lines = list(
        PurchaseOrderLine.objects.select_for_update()
        .filter(purchase_order=po)
        .select_related("variant")
        .order_by("pk")
    )
    cancelled = {}
    for line in lines:
        rest = line.remaining
        if rest:
            line.cancelled_quantity += rest
            cancelled[line.variant.sku] = rest
    PurchaseOrderLine.objects.bulk_update(lines, ["cancelled_quantity"])
    po.status, po.closed_at = Status.CLOSED, timezone.now()
    po.save(update_fields=["status", "closed_at"])
    audit(
        actor=actor,
        action="purchase_order.close",
        obj=po,
        summary=reason or po.code,
        data={"cancelled": cancelled},
    )
    return po


# --- shortages → purchase orders --------------------------------------------------------------


@dataclass
class Suggestion:
    variant: Variant
    supplier: Supplier | None
    short: int  # units short across orders awaiting stock
    low_stock: int  # units to bring stock back to twice the threshold
    on_order: int  # already on open purchase orders
    quantity: int  # proposed: what is needed minus what is on order
    unit_price: int


def purchase_suggestions(*, include_low_stock: bool = True) -> list[Suggestion]:
    """What to buy: every variant short across orders awaiting stock, plus (optionally) every
    variant at or below its low-stock threshold (brought back up to twice the threshold), minus
    what open purchase orders will already bring. Grouped by the preferred supplier.

    The shortage and the top-up add up: the units short go to waiting orders, so the top-up is
    still needed afterwards to bring stock back to its reorder level."""
    short = dict(
        OrderLine.objects.filter(
            order__status__in=OPEN_STATUSES, reserved_quantity__lt=F("quantity")
        )
        .values("variant_id")
        .annotate(n=Sum(F("quantity") - F("reserved_quantity")))
        .values_list("variant_id", "n")
    )
    low: dict[int, int] = {}
    if include_low_stock:
        rows = (
            Variant.objects.filter(is_active=True, low_stock_threshold__gt=0)
            .annotate(available=Sum(F("stock_levels__on_hand") - F("stock_levels__reserved")))
            .values_list("pk", "low_stock_threshold", "available")
        )
        for pk, threshold, available in rows:
            available = available or 0
            if available <= threshold:
                low[pk] = 2 * threshold - available
    on_order = dict(
        PurchaseOrderLine.objects.filter(
            purchase_order__status__in=[Status.DRAFT, Status.SENT, Status.PARTIALLY_RECEIVED],
            received_quantity__lt=F("quantity") - F("cancelled_quantity"),
        )
        .values("variant_id")
        .annotate(n=Sum(F("quantity") - F("received_quantity") - F("cancelled_quantity")))
        .values_list("variant_id", "n")
    )
    wanted = set(short) | set(low)
    variants = {v.pk: v for v in Variant.objects.filter(pk__in=wanted).select_related("product")}
    preferred = {
        sv.variant_id: sv
        for sv in SupplierVariant.objects.filter(
            variant_id__in=wanted, is_preferred=True
        ).select_related("supplier")
    }
    out = []
    for pk in sorted(wanted):
        need = max(short.get(pk, 0), 0) + max(low.get(pk, 0), 0)
        quantity = need - on_order.get(pk, 0)
        if quantity <= 0:
            continue
        link = preferred.get(pk)
        variant = variants[pk]
        out.append(
            Suggestion(
                variant=variant,
                supplier=link.supplier if link else None,
                short=short.get(pk, 0),
                low_stock=low.get(pk, 0),
                on_order=on_order.get(pk, 0),
                quantity=quantity,
                unit_price=(
                    link.last_purchase_price
                    if link and link.last_purchase_price
                    else variant.cost_price
                ),
            )
        )
    out.sort(key=lambda s: ((s.supplier.name if s.supplier else "\uffff"), s.variant.sku))
    return out


@transaction.atomic
def purchase_orders_from_suggestions(
    *, items: list[tuple[int, int, int, int | None]], warehouse: Warehouse, actor=None
) -> list[PurchaseOrder]:
    """Create one draft purchase order per supplier from edited suggestions:
    items = [(supplier id, variant id, quantity, unit price or None)]. Lines with quantity 0 are skipped."""
    _require(actor, "purchasing.add_purchaseorder")
    by_supplier: dict[int, list[PoLineInput]] = {}
    for supplier_id, variant_id, quantity, price in items:
        if not quantity:
            continue
        if not supplier_id:
            raise ValidationFailed(
                _("Choose a supplier for every product to order."),
                fields={f"supplier.{variant_id}": _("Choose a supplier.")},
            )
        by_supplier.setdefault(supplier_id, []).append(
            PoLineInput(variant_id=variant_id, quantity=quantity, unit_price=price)
        )
    suppliers = Supplier.objects.in_bulk(list(by_supplier))
    unknown = [sid for sid in by_supplier if sid not in suppliers]
    if unknown:
        raise ValidationFailed(
            _("Choose a supplier from the list."),
            fields={
                f"supplier.{line.variant_id}": _("Unknown supplier.")
                for sid in unknown
                for line in by_supplier[sid]
            },
        )
    return [
        purchase_order_create(
            supplier=suppliers[sid],
            warehouse=warehouse,
            lines=lines,
            actor=actor,
            note=_("Created from shortages"),
        )
        for sid, lines in by_supplier.items()
    ]


# --- goods receipts --------------------------------------------------------------------------


@dataclass
class ReceiptLineInput:
    quantity: int
    purchase_order_line_id: int | None = None
    variant_id: int | None = None
    sku: str = ""
    unit_cost: int | None = None


def _units_owned(variant_id: int) -> int:
    """Every unit of the variant the shop owns: on hand in every warehouse plus what is in
    transit between two (sent, not yet received)."""
    on_hand = StockLevel.objects.filter(variant_id=variant_id).aggregate(n=Sum("on_hand"))["n"]
    in_transit = TransferLine.objects.filter(
        variant_id=variant_id, transfer__status=Transfer.Status.IN_TRANSIT
    ).aggregate(n=Sum("quantity"))["n"]
    return (on_hand or 0) + (in_transit or 0)


def _moving_average(
    variant: Variant, *, quantity: int, unit_cost: int, received_before: int = 0
) -> int:
    """New cost price = (units owned × current cost + units received × their cost) / all units.

    Units owned are counted before this receipt (on hand everywhere and in transit), plus
    `received_before`: units of the variant on earlier lines of the same receipt (already in the
    current cost, not yet posted to stock). With none (or fewer than none) owned, the received
    cost is the new cost. Rounded to whole VND. The caller holds the variant's row lock.
    """
    owned = _units_owned(variant.pk) + received_before
    if owned <= 0:
        return unit_cost
    return round_vnd(
        Decimal(owned * variant.cost_price + quantity * unit_cost) / (owned + quantity)
    )


@transaction.atomic
def goods_receipt_post(
    *,
    warehouse: Warehouse,
    lines: list[ReceiptLineInput],
    purchase_order: PurchaseOrder | None = None,
    supplier: Supplier | None = None,
    note: str = "",
    allow_over_receipt: bool = False,
    actor=None,
) -> GoodsReceipt:
    """Receive goods, against a purchase order (partial receipts allowed) or standalone.

    Posts one receipt movement per line, moves the variants' cost price to the moving average,
    records the supplier's last price, advances the purchase order, and reserves the new stock
    for orders awaiting it, oldest first. Receiving more than ordered needs allow_over_receipt.
    A unit cost given on a line needs catalog.view_cost; without one a line costs the purchase
    order's price (or, without an order, the variant's cost price).
    """
    _require(actor, "purchasing.add_goodsreceipt")
    _refuse_prices(
        actor,
        {
            f"lines.{i}.unit_cost": _("You may not change prices.")
            for i, ln in enumerate(lines)
            if ln.unit_cost is not None
        },
    )
    note = text_clean(note, field="note")
    if not warehouse.is_active:
        raise ValidationFailed(
            _("This warehouse is inactive."), fields={"warehouse": _("Choose an active warehouse.")}
        )
    po = None
    po_lines: dict[int, PurchaseOrderLine] = {}
    if purchase_order is not None:
        po = _lock_po(purchase_order)
        if po.status not in (Status.SENT, Status.PARTIALLY_RECEIVED):
            raise Conflict(
                _("Goods can be received only on a sent purchase order (this one is “%(status)s”).")
                % {"status": po.get_status_display()},
                fields={"purchase_order": _("Not open for receiving.")},
                code="transition_not_allowed",
            )
        supplier = po.supplier
        po_lines = {
            ln.pk: ln
            for ln in PurchaseOrderLine.objects.select_for_update()
            .filter(purchase_order=po)
            .order_by("pk")
        }
    numbered = [(i, ln) for i, ln in enumerate(lines) if ln.quantity]  # keep the caller's numbers
    if not numbered:
        raise ValidationFailed(
            _("Enter the quantity received for at least one line."),
            fields={"lines": _("Nothing received.")},
        )
    errors: dict[str, str] = {}
    resolved: list[tuple[ReceiptLineInput, Variant, PurchaseOrderLine | None, int]] = []
    typed = {i: code_lookup(ln.sku) if ln.sku else "" for i, ln in numbered}
    by_sku = {v.sku: v for v in Variant.objects.filter(sku__in=[s for s in typed.values() if s])}
    by_id = Variant.objects.in_bulk(
        [ln.variant_id for _i, ln in numbered if ln.variant_id]
        + [pl.variant_id for pl in po_lines.values()]
    )
    over: list[str] = []
    received_now: dict[int, int] = {}  # PO line id → units in this receipt (lines may repeat)
    for i, ln in numbered:
        if ln.quantity < 0:
            errors[f"lines.{i}.quantity"] = _("Quantity cannot be negative.")
            continue
        if ln.quantity > MAX_QUANTITY:
            errors[f"lines.{i}.quantity"] = _("Enter at most %(max)s.") % {"max": MAX_QUANTITY}
            continue
        if typed[i] is None:
            errors[f"lines.{i}.sku"] = _("Type the SKU again without hidden characters.")
            continue
        po_line = None
        if po is not None:
            po_line = (
                po_lines.get(ln.purchase_order_line_id)
                if ln.purchase_order_line_id
                else next(
                    (
                        pl
                        for pl in po_lines.values()
                        if pl.variant_id
                        == (ln.variant_id or getattr(by_sku.get(typed[i]), "pk", None))
                    ),
                    None,
                )
            )
            if po_line is None:
                errors[f"lines.{i}.purchase_order_line_id"] = _(
                    "This product is not on the purchase order."
                )
                continue
            variant = by_id[po_line.variant_id]
            received_now[po_line.pk] = received_now.get(po_line.pk, 0) + ln.quantity
            cost = po_line.unit_price if ln.unit_cost is None else ln.unit_cost
        else:
            variant = by_id.get(ln.variant_id) if ln.variant_id else by_sku.get(typed[i])
            if variant is None:
                errors[f"lines.{i}.sku"] = _("Unknown product SKU “%(sku)s”.") % {
                    "sku": ln.sku or ln.variant_id
                }
                continue
            cost = variant.cost_price if ln.unit_cost is None else ln.unit_cost
        if cost < 0:
            errors[f"lines.{i}.unit_cost"] = _("The cost cannot be negative.")
        elif cost > MAX_PRICE:
            errors[f"lines.{i}.unit_cost"] = _("This number is too large.")
        resolved.append((ln, variant, po_line, cost))
    if errors:
        raise ValidationFailed(_("Some lines are not valid."), fields=errors)
    for line_id, quantity in received_now.items():
        po_line = po_lines[line_id]
        if po_line.received_quantity + quantity > po_line.quantity:
            extra = po_line.received_quantity + quantity - po_line.quantity
            over.append(f"{by_id[po_line.variant_id].sku} (+{extra})")
    if over and not allow_over_receipt:
        raise Conflict(
            _("More than ordered: %(lines)s. Confirm the over-receipt to accept it.")
            % {"lines": ", ".join(over)},
            fields={"allow_over_receipt": _("Confirm to receive more than ordered.")},
            code="over_receipt",
        )
    receipt = GoodsReceipt.objects.create(
        purchase_order=po,
        supplier=supplier,
        warehouse=warehouse,
        note=note,
        received_by=actor_user(actor),
    )
    receipt.code = f"GR{receipt.pk:06d}"
    GoodsReceipt.objects.filter(pk=receipt.pk).update(code=receipt.code)
    # Cost first (it reads the units owned before this receipt), then stock. The variants' rows
    # are locked (in primary-key order) so that two receipts of one variant at once each see the
    # other's cost and stock, and neither update is lost.
    locked = {
        v.pk: v
        for v in Variant.objects.select_for_update()
        .filter(pk__in={variant.pk for _ln, variant, _pl, _c in resolved})
        .order_by("pk")
    }
    for _ln, variant, _pl, _c in resolved:
        variant.cost_price = locked[variant.pk].cost_price
    received_before: dict[int, int] = {}  # variant id → units on earlier lines of this receipt
    for ln, variant, po_line, cost in resolved:
        new_cost = _moving_average(
            variant,
            quantity=ln.quantity,
            unit_cost=cost,
            received_before=received_before.get(variant.pk, 0),
        )
        received_before[variant.pk] = received_before.get(variant.pk, 0) + ln.quantity
        if new_cost != variant.cost_price:
            Variant.objects.filter(pk=variant.pk).update(cost_price=new_cost)
            variant.cost_price = new_cost
        if supplier is not None:
            supplier_variant_set(supplier=supplier, variant=variant, last_purchase_price=cost)
        if po_line is not None:
            PurchaseOrderLine.objects.filter(pk=po_line.pk).update(
                received_quantity=F("received_quantity") + ln.quantity
            )
            po_line.received_quantity += ln.quantity
    GoodsReceiptLine.objects.bulk_create(
        [
            GoodsReceiptLine(
                receipt=receipt,
                purchase_order_line=po_line,
                variant=variant,
                quantity=ln.quantity,
                unit_cost=cost,
            )
            for ln, variant, po_line, cost in resolved
        ]
    )
    stock_movements_post(
        lines=[
            MovementLine(variant.pk, warehouse.pk, ln.quantity, unit_cost=cost)
            for ln, variant, _pl, cost in resolved
        ],
        kind=StockMovement.Kind.RECEIPT,
        reason=_("Goods receipt %(code)s") % {"code": receipt.code},
        actor=actor,
        reference_type="goods_receipt",
        reference_id=str(receipt.pk),
        reference_label=receipt.code,
    )
    if po is not None:
        all_in = all(pl.remaining == 0 for pl in po_lines.values())
        po.status = Status.RECEIVED if all_in else Status.PARTIALLY_RECEIVED
        po.received_at = timezone.now() if all_in else None
        po.save(update_fields=["status", "received_at"])
    audit(actor=actor, action="goods_receipt.post", obj=receipt, summary=receipt.code)
    reservations_fill_waiting(variant_ids={v.pk for _ln, v, _pl, _c in resolved}, actor=actor)
    return receipt
