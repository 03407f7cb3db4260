"""Shared pieces of the order services: inputs, the transition table, locking, the
timeline, reservations, totals."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from donhang.catalog.models import Variant
from donhang.core import rawsql
from donhang.core.audit import actor_label, actor_user
from donhang.core.errors import Conflict, NotFound, ValidationFailed
from donhang.core.money import VatRate
from donhang.inventory import reservations
from donhang.inventory.models import Reservation
from donhang.inventory.services import MAX_QUANTITY
from donhang.orders import counters
from donhang.orders.models import (
    AllocationStrategy,
    Channel,
    ChannelRule,
    DiscountFunder,
    Order,
    OrderEvent,
    OrderLine,
    OrderVatLine,
    PaymentStatus,
    Status,
    SubState,
)
from donhang.orders.services import pricing

MARKETPLACE_CHANNELS = {Channel.SHOPEE, Channel.LAZADA, Channel.TIKTOK_SHOP}


# Upper bounds of what a person or a client may send, so that an absurd number is a message
# naming the field rather than a database overflow (quantities are 32-bit, money 64-bit).
MAX_AMOUNT = 1_000_000_000_000  # VND: a unit price, a line amount or a shipping fee
MAX_NOTE = 2_000  # characters of an order note


# Which status may follow which. Sub-states move within processing/shipping.
TRANSITIONS: dict[str, set[str]] = {
    Status.NEW: {Status.PROCESSING, Status.CANCELLED},
    Status.PROCESSING: {Status.SHIPPING, Status.CANCELLED},
    Status.SHIPPING: {Status.COMPLETED, Status.RETURNED},
    Status.COMPLETED: {Status.RETURNED},
    Status.CANCELLED: set(),
    Status.RETURNED: set(),
}


@dataclass
class AddressInput:
    line: str = ""
    ward: int | str | None = None
    province: int | str | None = None


@dataclass
class CustomerInput:
    name: str = ""
    phone: str = ""
    email: str = ""
    address: AddressInput = field(default_factory=AddressInput)


@dataclass
class BuyerInput:
    """Who the invoice is made out to (see customers.services.buyer_identity_clean)."""

    kind: str = "individual"
    company_name: str = ""
    tax_code: str = ""
    address: str = ""
    email: str = ""
    wants_invoice: bool = False


@dataclass
class LineInput:
    sku: str = ""
    variant_id: int | None = None
    quantity: int = 1
    unit_price: int | None = None  # None: the variant's sale price (or the line's, in an edit)
    discount: int = 0  # VND off this line
    discount_percent: Decimal | str | None = None  # or a percentage of quantity × unit price


def _variants_where(column: str, values: set) -> list[Variant]:
    values = list(values)
    return rawsql.select(
        Variant,
        f"t0.{column} IN ({', '.join(['%s'] * len(values))})",
        values,
        related="product",
    )


def _resolve_lines(lines: list[LineInput]) -> list[tuple[LineInput, Variant]]:
    if not lines:
        raise ValidationFailed(
            _("An order needs at least one line."), fields={"lines": _("Add a product.")}
        )
    errors: dict[str, str] = {}
    skus = {ln.sku.strip() for ln in lines if ln.sku and ln.variant_id is None}
    ids = {ln.variant_id for ln in lines if ln.variant_id is not None}
    # Only the lookups there is something to look up by, each one statement with the product
    # (as select_related("product") would), written once per process (see core.rawsql).
    by_sku = {v.sku: v for v in _variants_where("sku", skus)} if skus else {}
    by_id = {v.pk: v for v in _variants_where("id", ids)} if ids else {}
    resolved = []
    for i, ln in enumerate(lines):
        variant = (
            by_id.get(ln.variant_id) if ln.variant_id is not None else by_sku.get(ln.sku.strip())
        )
        if variant is None:
            key = f"lines.{i}.variant_id" if ln.variant_id is not None else f"lines.{i}.sku"
            errors[key] = _("Unknown product SKU “%(sku)s”.") % {"sku": ln.sku or ln.variant_id}
            continue
        if not variant.is_active or not variant.product.is_active:
            errors[f"lines.{i}.sku"] = _("“%(sku)s” is not on sale (inactive).") % {
                "sku": variant.sku
            }
        if ln.quantity is None or ln.quantity < 1:
            errors[f"lines.{i}.quantity"] = _("Quantity must be at least 1.")
        elif ln.quantity > MAX_QUANTITY:
            errors[f"lines.{i}.quantity"] = _("Quantity cannot exceed %(max)s.") % {
                "max": MAX_QUANTITY
            }
        price = variant.sale_price if ln.unit_price is None else ln.unit_price
        if price < 0:
            errors[f"lines.{i}.unit_price"] = _("The price cannot be negative.")
        elif price > MAX_AMOUNT or (
            ln.quantity and 0 < ln.quantity <= MAX_QUANTITY and ln.quantity * price > MAX_AMOUNT
        ):
            errors[f"lines.{i}.unit_price"] = _("The line amount is too large.")
        try:
            ln.discount_percent = pricing.parse_percent(
                ln.discount_percent, field=f"lines.{i}.discount_percent"
            )
        except ValidationFailed as exc:
            errors.update(exc.fields)
        if ln.discount is None or ln.discount < 0:
            errors[f"lines.{i}.discount"] = _("The discount cannot be negative.")
        elif ln.quantity and ln.quantity > 0 and price >= 0 and ln.discount > ln.quantity * price:
            errors[f"lines.{i}.discount"] = _("The discount is larger than the line amount.")
        resolved.append((ln, variant))
    if errors:
        raise ValidationFailed(_("Some order lines are not valid."), fields=errors)
    return resolved


def _event(
    order: Order,
    *,
    kind: str,
    code: str = "",
    params: dict | None = None,
    actor=None,
    message: str = "",
    before: tuple[str, str] | None = None,
    data: dict | None = None,
) -> OrderEvent:
    """One timeline entry. `code` and `params` say what happened (rendered in the reader's
    language by donhang.orders.timeline); `message` only holds what a person wrote."""
    from_status, from_sub = before or ("", "")
    event = OrderEvent(
        order=order,
        kind=kind,
        code=code or ("text" if message else ""),
        params=params or {},
        actor=actor_user(actor),
        actor_label=actor_label(actor)[:150],
        from_status=from_status,
        to_status=order.status if before else "",
        from_sub_state=from_sub,
        to_sub_state=order.sub_state if before else "",
        message=message[:2000],
        data=data or {},
    )
    rawsql.insert([event])
    return event


def _lock(order: Order) -> Order:
    try:
        return Order.objects.select_for_update().get(pk=order.pk)
    except Order.DoesNotExist as exc:
        raise NotFound(_("This order does not exist.")) from exc


def _require_transition(order: Order, to_status: str) -> None:
    if to_status not in TRANSITIONS[order.status]:
        raise Conflict(
            _("An order that is “%(from)s” cannot become “%(to)s”.")
            % {"from": Status(order.status).label, "to": Status(to_status).label},
            fields={"status": _("Not allowed from the current status.")},
            code="transition_not_allowed",
        )


# Shipment statuses (donhang.shipping's ShipmentStatus values) after which the carrier no longer
# holds or collects anything for the order. Read through the reverse relation: shipping builds on
# orders, not the other way round.
_SHIPMENT_CLOSED = ("cancelled", "returned")


_SHIPMENT_ATTEMPTS_MAX = 5  # donhang.shipping.services.MAX_ATTEMPTS: a sending that gave up

# A sending that gave up without ever reaching the carrier (or that the carrier refused): no
# parcel exists. One that gave up with an unknown outcome may be live at the carrier.
SHIPMENT_NEVER_SENT = Q(
    status="pending",
    last_error__gt="",
    attempts__gte=_SHIPMENT_ATTEMPTS_MAX,
    create_outcome__in=["", "refused"],
)


def _refuse_with_open_shipment(order: Order, *, message: str) -> None:
    """A shipment at (or on its way to) the carrier: the parcel may be picked up and its COD
    collected whatever we change here, so cancelling or editing must wait for its cancellation."""
    open_shipments = (
        order.shipments.exclude(status__in=_SHIPMENT_CLOSED).exclude(SHIPMENT_NEVER_SENT).exists()
    )
    if open_shipments:
        raise Conflict(
            message,
            fields={"status": _("Cancel the shipment first.")},
            code="shipment_open",
        )


def _set_state(
    order: Order,
    *,
    status: str | None = None,
    sub_state: str | None = None,
    actor=None,
    code: str = "",
    params: dict | None = None,
    message: str = "",
) -> None:
    before = (order.status, order.sub_state)
    if status is not None:
        order.status = status
    if sub_state is not None:
        order.sub_state = sub_state
    if (order.status, order.sub_state) == before:
        return
    Order.objects.filter(pk=order.pk).update(
        status=order.status, sub_state=order.sub_state, updated_at=timezone.now()
    )
    counters.count_moved(order, before=before, after=(order.status, order.sub_state))
    _event(
        order,
        kind=OrderEvent.Kind.STATUS,
        actor=actor,
        code=code,
        params=params,
        message=message,
        before=before,
    )


def channel_rule_for(channel: str, store_id: int | None = None) -> ChannelRule | None:
    """The rule orders of `channel` (and of its shop `store_id`) follow: the shop's own, else
    the channel's; None: the defaults."""
    # Both in one query (and one for their warehouses when there is a rule at all).
    wanted = Q(channel=channel, store__isnull=True)
    if store_id:
        wanted |= Q(store_id=store_id)
    rules = list(ChannelRule.objects.filter(wanted).prefetch_related("warehouses"))
    own = [r for r in rules if store_id and r.store_id == store_id]
    channel_rules = [r for r in rules if r.store_id is None]
    return (own or channel_rules or [None])[0]


def _allocation(channel: str, store_id: int | None = None) -> tuple[list[int], bool]:
    rule = channel_rule_for(channel, store_id)
    if rule is None:
        return reservations.candidate_warehouses(), False
    chosen = [w.pk for w in rule.warehouses.all()]
    return reservations.candidate_warehouses(
        chosen or None
    ), rule.strategy == AllocationStrategy.MOST_STOCK


def _reserve_lines(
    order: Order, lines: Iterable[OrderLine], *, allocation: tuple[list[int], bool] | None = None
) -> reservations.Reserved:
    """Reserve what each line still lacks, from the channel's warehouses."""
    warehouse_ids, most_stock = allocation or _allocation(order.channel, order.store_id)
    lines = [ln for ln in lines if ln.quantity > ln.reserved_quantity]
    result = reservations.reserve(
        reservations.Need(
            line_id=ln.pk,
            variant_id=ln.variant_id,
            quantity=ln.quantity - ln.reserved_quantity,
            warehouse_ids=warehouse_ids,
            most_stock=most_stock,
        )
        for ln in lines
    )
    changed = []
    for ln in lines:
        if result.by_line.get(ln.pk):
            ln.reserved_quantity += result.by_line[ln.pk]
            changed.append(ln)
    if changed:
        OrderLine.objects.bulk_update(changed, ["reserved_quantity"])
    return result


def _update_warehouse(order: Order) -> None:
    """The order's main warehouse: the one holding most of its reservations (else the first
    candidate), for the list filter and the picking list."""
    top = (
        Reservation.objects.filter(order_line__order=order)
        .values("warehouse_id")
        .annotate(total=Sum("quantity"))
        .order_by("-total", "warehouse_id")
        .first()
    )
    warehouse_id = (
        top["warehouse_id"] if top else (_allocation(order.channel, order.store_id)[0] or [None])[0]
    )
    if warehouse_id != order.warehouse_id:
        order.warehouse_id = warehouse_id
        Order.objects.filter(pk=order.pk).update(warehouse_id=warehouse_id)


def _fully_reserved(lines: Iterable[OrderLine]) -> bool:
    return all(ln.reserved_quantity >= ln.quantity for ln in lines)


def _settle_sub_state(
    order: Order,
    lines: list[OrderLine],
    *,
    actor=None,
    code: str = "",
    params: dict | None = None,
    message: str = "",
) -> None:
    """After reservations change: awaiting stock ↔ packing (or ↔ nothing while new)."""
    full = _fully_reserved(lines)
    state = {"actor": actor, "code": code, "params": params, "message": message}
    if order.status == Status.NEW:
        _set_state(order, sub_state=SubState.NONE if full else SubState.AWAITING_STOCK, **state)
    elif order.status == Status.PROCESSING and (
        order.sub_state in (SubState.AWAITING_STOCK, SubState.PACKING, SubState.NONE)
        or (order.sub_state == SubState.READY_TO_SHIP and not full)
    ):
        _set_state(order, sub_state=SubState.PACKING if full else SubState.AWAITING_STOCK, **state)


def shipping_vat_rate_default() -> str:
    """The VAT rate of the shipping fee charged to buyers (a shop setting)."""
    rate = str(getattr(settings, "SHIPPING_FEE_VAT_RATE", "8"))
    return rate if rate in VatRate.values else VatRate.EIGHT


def compute_totals(
    *,
    lines: list[tuple[int, int, int, str]],
    shipping_fee: int,
    shipping_fee_payer: str,
    payment_method: str,
) -> dict[str, int]:
    """Totals from lines of (quantity, unit price, discount, VAT rate), prices incl. VAT (for
    callers that only need the figures; orders store the full pricing, see _apply_pricing)."""
    priced = pricing.price_order(
        lines=[(q, p, d, None, v) for q, p, d, v in lines],
        shipping_fee=shipping_fee,
        shipping_fee_payer=shipping_fee_payer,
        shipping_vat_rate=shipping_vat_rate_default(),
        payment_method=payment_method,
    )
    return {
        k: v
        for k, v in priced.order_fields().items()
        if k in ("goods_total", "discount_total", "vat_total", "total", "cod_amount")
    }


def _price(order: Order, lines: list[OrderLine], discounts=None) -> pricing.Priced:
    """Price an order's lines with its discounts (the stored ones unless new ones are given)."""
    if discounts is None:
        discounts = []
        if order.order_discount_percent is not None:
            discounts.append(pricing.DiscountInput(percent=order.order_discount_percent))
        elif order.order_discount:
            discounts.append(pricing.DiscountInput(amount=order.order_discount))
        if order.platform_discount:
            discounts.append(
                pricing.DiscountInput(
                    amount=order.platform_discount, funded_by=DiscountFunder.PLATFORM
                )
            )
    return pricing.price_order(
        lines=[
            (ln.quantity, ln.unit_price, ln.discount, ln.discount_percent, ln.vat_rate)
            for ln in lines
        ],
        discounts=discounts,
        shipping_fee=order.shipping_fee,
        shipping_fee_payer=order.shipping_fee_payer,
        shipping_vat_rate=order.shipping_vat_rate,
        payment_method=order.payment_method,
    )


def _apply_pricing(
    order: Order, lines: list[OrderLine], priced: pricing.Priced, *, created: bool = False
) -> None:
    """Store what pricing computed on the lines, the VAT rows and the order, in a few statements."""
    for line, p in zip(lines, priced.lines, strict=True):
        line.discount, line.order_discount = p.discount, p.order_discount
        line.gross, line.net, line.vat = p.gross, p.net, p.vat
    if lines:
        OrderLine.objects.bulk_update(lines, ["discount", "order_discount", "gross", "net", "vat"])
    if not created:
        OrderVatLine.objects.filter(order=order).delete()
    OrderVatLine.objects.bulk_create([OrderVatLine(order=order, **row) for row in priced.vat_rows])
    fields = priced.order_fields()
    for k, v in fields.items():
        setattr(order, k, v)
    fields["payment_status"] = payment_status_of(order)
    order.payment_status = fields["payment_status"]
    Order.objects.filter(pk=order.pk).update(**fields)


def payment_status_of(order: Order) -> str:
    """unpaid / partly paid / paid from what was collected against the total; once money went
    back, partly refunded / refunded."""
    if order.refunded_total > 0:
        return PaymentStatus.REFUNDED if order.paid_total <= 0 else PaymentStatus.PARTLY_REFUNDED
    if order.total <= 0:
        return PaymentStatus.PAID
    if order.paid_total <= 0:
        return PaymentStatus.UNPAID
    if order.paid_total >= order.total:
        return PaymentStatus.PAID
    return PaymentStatus.PARTLY_PAID


def _refuse_when_money_locked(order: Order) -> None:
    if order.money_locked_at:
        raise Conflict(
            _(
                "An e-invoice was issued for this order: its money can no longer be edited. "
                "Use a return or an adjustment invoice."
            ),
            fields={"order": _("Invoice issued.")},
            code="money_locked",
        )
