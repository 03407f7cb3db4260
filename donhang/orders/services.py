"""Order writes: intake from every channel, the status machine, reservations, the timeline.

Every function here runs in one transaction, locks the order row it changes, checks that the
transition is allowed and writes an OrderEvent (who, when, from → to, why).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from donhang.catalog.models import Variant
from donhang.core.audit import actor_label, actor_user
from donhang.core.errors import Conflict, NotFound, ValidationFailed
from donhang.core.money import vat_of_gross
from donhang.core.permissions import actor_allowed, require_perm
from donhang.core.phone import normalize_phone
from donhang.core.text import fold
from donhang.customers.models import Province, Ward
from donhang.customers.selectors import province_find, ward_find
from donhang.customers.services import customer_find_or_create
from donhang.inventory import reservations
from donhang.inventory.services import MAX_QUANTITY
from donhang.orders.models import (
    OPEN_STATUSES,
    AllocationStrategy,
    Channel,
    ChannelRule,
    Order,
    OrderEvent,
    OrderLine,
    PaymentMethod,
    ShippingFeePayer,
    Status,
    SubState,
)

MARKETPLACE_CHANNELS = {Channel.SHOPEE, Channel.LAZADA, Channel.TIKTOK_SHOP}

# Upper bounds of what a person or a client may send, so that an absurd number is a message
# naming the field rather than a database overflow (quantities are 32-bit, money 64-bit).
MAX_AMOUNT = 1_000_000_000_000  # VND: a unit price, a line amount or a shipping fee

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
class LineInput:
    sku: str = ""
    variant_id: int | None = None
    quantity: int = 1
    unit_price: int | None = None  # None: the variant's sale price
    discount: int = 0


# --- validation ------------------------------------------------------------------------------


def _resolve_lines(lines: list[LineInput]) -> list[tuple[LineInput, Variant]]:
    if not lines:
        raise ValidationFailed(
            _("An order needs at least one line."), fields={"lines": _("Add a product.")}
        )
    errors: dict[str, str] = {}
    skus = {ln.sku.strip() for ln in lines if ln.sku and ln.variant_id is None}
    ids = {ln.variant_id for ln in lines if ln.variant_id is not None}
    by_sku = {v.sku: v for v in Variant.objects.select_related("product").filter(sku__in=skus)}
    by_id = {v.pk: v for v in Variant.objects.select_related("product").filter(pk__in=ids)}
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
        if ln.discount < 0:
            errors[f"lines.{i}.discount"] = _("The discount cannot be negative.")
        elif ln.quantity and ln.quantity > 0 and price >= 0 and ln.discount > ln.quantity * price:
            errors[f"lines.{i}.discount"] = _("The discount is larger than the line amount.")
        resolved.append((ln, variant))
    if errors:
        raise ValidationFailed(_("Some order lines are not valid."), fields=errors)
    return resolved


def _resolve_address(
    address: AddressInput, *, required: bool, prefix: str
) -> tuple[Province | None, Ward | None, str]:
    line = (address.line or "").strip()
    errors: dict[str, str] = {}
    province = ward = None
    if address.province not in (None, ""):
        province = province_find(address.province)
        if province is None:
            errors[f"{prefix}.province"] = _("Unknown province.")
    if address.ward not in (None, ""):
        ward = ward_find(address.ward, province=province)
        if ward is None:
            errors[f"{prefix}.ward"] = _("Unknown ward.")
        elif province is None:
            province = ward.province
        elif ward.province_id != province.pk:
            errors[f"{prefix}.ward"] = _("This ward is not in %(province)s.") % {
                "province": province.name
            }
    if required:
        if not line:
            errors.setdefault(f"{prefix}.line", _("A street address is needed to deliver."))
        if ward is None:
            errors.setdefault(f"{prefix}.ward", _("Choose the ward (phường/xã) to deliver to."))
        if province is None:
            errors.setdefault(f"{prefix}.province", _("Choose the province to deliver to."))
    if errors:
        raise ValidationFailed(_("The delivery address is not complete."), fields=errors)
    return province, ward, line


# --- helpers ---------------------------------------------------------------------------------


def _event(
    order: Order,
    *,
    kind: str,
    actor=None,
    message: str = "",
    before: tuple[str, str] | None = None,
    data: dict | None = None,
) -> OrderEvent:
    from_status, from_sub = before or ("", "")
    return OrderEvent.objects.create(
        order=order,
        kind=kind,
        actor=actor_user(actor),
        actor_label=actor_label(actor)[:150],
        from_status=from_status,
        to_status=order.status if before else "",
        from_sub_state=from_sub,
        to_sub_state=order.sub_state if before else "",
        message=message[:500],
        data=data or {},
    )


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


def _refuse_with_open_shipment(order: Order, *, message: str) -> None:
    """A shipment at (or on its way to) the carrier: the parcel may be picked up and its COD
    collected whatever we change here, so cancelling or editing must wait for its cancellation."""
    open_shipments = (
        order.shipments.exclude(status__in=_SHIPMENT_CLOSED)
        .exclude(status="pending", last_error__gt="", attempts__gte=_SHIPMENT_ATTEMPTS_MAX)
        .exists()
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
    _event(order, kind=OrderEvent.Kind.STATUS, actor=actor, message=message, before=before)


def _allocation(channel: str) -> tuple[list[int], bool]:
    rule = ChannelRule.objects.filter(channel=channel).prefetch_related("warehouses").first()
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
    warehouse_ids, most_stock = allocation or _allocation(order.channel)
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
    from django.db.models import Sum

    from donhang.inventory.models import Reservation

    top = (
        Reservation.objects.filter(order_line__order=order)
        .values("warehouse_id")
        .annotate(total=Sum("quantity"))
        .order_by("-total", "warehouse_id")
        .first()
    )
    warehouse_id = top["warehouse_id"] if top else (_allocation(order.channel)[0] or [None])[0]
    if warehouse_id != order.warehouse_id:
        order.warehouse_id = warehouse_id
        Order.objects.filter(pk=order.pk).update(warehouse_id=warehouse_id)


def _fully_reserved(lines: Iterable[OrderLine]) -> bool:
    return all(ln.reserved_quantity >= ln.quantity for ln in lines)


def _settle_sub_state(
    order: Order, lines: list[OrderLine], *, actor=None, message: str = ""
) -> None:
    """After reservations change: awaiting stock ↔ packing (or ↔ nothing while new)."""
    full = _fully_reserved(lines)
    if order.status == Status.NEW:
        _set_state(
            order,
            sub_state=SubState.NONE if full else SubState.AWAITING_STOCK,
            actor=actor,
            message=message,
        )
    elif order.status == Status.PROCESSING and (
        order.sub_state in (SubState.AWAITING_STOCK, SubState.PACKING, SubState.NONE)
        or (order.sub_state == SubState.READY_TO_SHIP and not full)
    ):
        _set_state(
            order,
            sub_state=SubState.PACKING if full else SubState.AWAITING_STOCK,
            actor=actor,
            message=message,
        )


def compute_totals(
    *,
    lines: list[tuple[int, int, int, str]],
    shipping_fee: int,
    shipping_fee_payer: str,
    payment_method: str,
) -> dict[str, int]:
    """Totals from lines of (quantity, unit price, discount, VAT rate). Prices include VAT.

    total = goods − discount + shipping fee when the buyer pays it; the COD amount is that total
    when paying cash on delivery, else 0.
    """
    goods = sum(q * p for q, p, _d, _v in lines)
    discount = sum(d for _q, _p, d, _v in lines)
    vat = sum(vat_of_gross(q * p - d, v) for q, p, d, v in lines)
    total = goods - discount + (shipping_fee if shipping_fee_payer == ShippingFeePayer.BUYER else 0)
    cod = total if payment_method == PaymentMethod.COD else 0
    return {
        "goods_total": goods,
        "discount_total": discount,
        "vat_total": vat,
        "total": total,
        "cod_amount": cod,
    }


def _search_text(order: Order) -> str:
    phone_national = (
        "0" + order.customer_phone[3:]
        if order.customer_phone.startswith("+84")
        else order.customer_phone
    )
    return " ".join(
        p
        for p in (
            fold(order.customer_name),
            phone_national,
            (order.code or "").lower(),
            fold(order.external_id),
        )
        if p
    )[:400]


# --- intake ----------------------------------------------------------------------------------


@transaction.atomic
def order_create(
    *,
    channel: str,
    customer: CustomerInput,
    lines: list[LineInput],
    external_id: str = "",
    shipping_fee: int = 0,
    shipping_fee_payer: str = ShippingFeePayer.BUYER,
    payment_method: str = PaymentMethod.COD,
    note: str = "",
    allow_backorder: bool = True,
    confirm: bool = False,
    actor=None,
) -> Order:
    """Take an order from any channel and reserve its stock at once.

    With allow_backorder=False an order that cannot be fully reserved is refused (Conflict) and
    nothing is saved. A repeated (channel, external id) is a Conflict naming the existing order.
    """
    require_perm(actor, "orders.add_order")
    errors: dict[str, str] = {}
    if channel not in Channel.values:
        errors["channel"] = _("Unknown channel.")
    if payment_method not in PaymentMethod.values:
        errors["payment_method"] = _("Unknown payment method.")
    if shipping_fee_payer not in ShippingFeePayer.values:
        errors["shipping_fee_payer"] = _("Choose buyer or seller.")
    if shipping_fee is None or shipping_fee < 0:
        errors["shipping_fee"] = _("The shipping fee cannot be negative.")
    elif shipping_fee > MAX_AMOUNT:
        errors["shipping_fee"] = _("The shipping fee is too large.")
    name = (customer.name or "").strip()
    if not name:
        errors["customer.name"] = _("Enter the customer's name.")
    phone = ""
    if customer.phone:
        try:
            phone = normalize_phone(customer.phone)
        except ValidationFailed as exc:
            errors["customer.phone"] = exc.fields.get("phone") or exc.message
    elif channel not in MARKETPLACE_CHANNELS:
        errors["customer.phone"] = _("Enter the customer's phone number.")
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), fields=errors)
    resolved = _resolve_lines(lines)
    province, ward, address_line = _resolve_address(
        customer.address, required=payment_method == PaymentMethod.COD, prefix="customer.address"
    )
    external_id = (external_id or "").strip()
    if external_id:
        existing = Order.objects.filter(channel=channel, external_id=external_id).first()
        if existing:
            raise Conflict(
                _("This channel order was already taken in as %(code)s.") % {"code": existing.code},
                fields={"external_id": _("Already exists.")},
                code="duplicate_order",
            )

    buyer = customer_find_or_create(
        name=name,
        phone=phone,
        email=customer.email or "",
        address_line=address_line,
        province=province,
        ward=ward,
        actor=actor,
    )
    totals = compute_totals(
        lines=[
            (
                ln.quantity,
                v.sale_price if ln.unit_price is None else ln.unit_price,
                ln.discount,
                v.vat_rate,
            )
            for ln, v in resolved
        ],
        shipping_fee=shipping_fee,
        shipping_fee_payer=shipping_fee_payer,
        payment_method=payment_method,
    )
    try:
        with transaction.atomic():
            order = Order.objects.create(
                channel=channel,
                external_id=external_id,
                customer=buyer,
                customer_name=name,
                customer_phone=phone,
                customer_email=customer.email or "",
                shipping_name=name,
                shipping_phone=phone,
                shipping_address_line=address_line,
                shipping_province=province,
                shipping_ward=ward,
                payment_method=payment_method,
                shipping_fee=shipping_fee,
                shipping_fee_payer=shipping_fee_payer,
                note=note or "",
                created_by=actor_user(actor),
                **totals,
            )
    except IntegrityError as exc:  # a concurrent intake of the same channel order won the race
        raise Conflict(
            _("This channel order was already taken in."),
            fields={"external_id": _("Already exists.")},
            code="duplicate_order",
        ) from exc
    order_lines = OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                variant=v,
                sku=v.sku,
                name=str(v)[:300],
                quantity=ln.quantity,
                unit_price=v.sale_price if ln.unit_price is None else ln.unit_price,
                discount=ln.discount,
                vat_rate=v.vat_rate,
                position=i,
            )
            for i, (ln, v) in enumerate(resolved)
        ]
    )
    if not all(ln.pk for ln in order_lines):  # backends without RETURNING on bulk insert
        order_lines = list(order.lines.all())
    allocation = _allocation(channel)
    reserved = _reserve_lines(order, order_lines, allocation=allocation)
    short = {
        ln.sku: ln.quantity - ln.reserved_quantity
        for ln in order_lines
        if ln.reserved_quantity < ln.quantity
    }
    if short and not allow_backorder:
        raise Conflict(
            _("Not enough stock for: %(skus)s.")
            % {"skus": ", ".join(f"{s} (−{q})" for s, q in short.items())},
            fields={
                f"lines.{i}.quantity": _("Only %(n)s available.") % {"n": ln.reserved_quantity}
                for i, ln in enumerate(order_lines)
                if ln.reserved_quantity < ln.quantity
            },
            code="insufficient_stock",
        )
    # One UPDATE for what is known only now: the code (from the id), the main warehouse (the one
    # holding most of the reservations) and whether the order waits for stock.
    order.code = f"DH{order.pk:06d}"
    order.search_text = _search_text(order)
    order.sub_state = SubState.AWAITING_STOCK if short else SubState.NONE
    if reserved.by_warehouse:
        order.warehouse_id = max(
            reserved.by_warehouse, key=lambda w: (reserved.by_warehouse[w], -w)
        )
    else:
        order.warehouse_id = allocation[0][0] if allocation[0] else None
    Order.objects.filter(pk=order.pk).update(
        code=order.code,
        search_text=order.search_text,
        sub_state=order.sub_state,
        warehouse_id=order.warehouse_id,
    )
    message = _("Order received from %(channel)s.") % {"channel": Channel(channel).label}
    if short:
        message += " " + _("Waiting for stock: %(skus)s.") % {
            "skus": ", ".join(f"{s} (−{q})" for s, q in short.items())
        }
    _event(order, kind=OrderEvent.Kind.CREATED, actor=actor, message=message, data={"short": short})
    if confirm:
        order = order_confirm(order=order, actor=actor)
    return order


# --- transitions -----------------------------------------------------------------------------


@transaction.atomic
def order_confirm(*, order: Order, actor=None) -> Order:
    """new → processing: packing when all stock is held, else awaiting stock."""
    require_perm(actor, "orders.confirm_order")
    order = _lock(order)
    _require_transition(order, Status.PROCESSING)
    lines = list(order.lines.all())
    _reserve_lines(order, lines)
    order.confirmed_at = timezone.now()
    Order.objects.filter(pk=order.pk).update(confirmed_at=order.confirmed_at)
    full = _fully_reserved(lines)
    _set_state(
        order,
        status=Status.PROCESSING,
        sub_state=SubState.PACKING if full else SubState.AWAITING_STOCK,
        actor=actor,
        message=_("Confirmed") if full else _("Confirmed; waiting for stock"),
    )
    return order


@transaction.atomic
def order_mark_packed(*, order: Order, actor=None) -> Order:
    """packing → ready to ship."""
    require_perm(actor, "orders.fulfil_order")
    order = _lock(order)
    if order.status != Status.PROCESSING or order.sub_state != SubState.PACKING:
        raise Conflict(
            _("Only an order being packed can be marked packed."),
            fields={"status": _("Not allowed from the current status.")},
            code="transition_not_allowed",
        )
    _set_state(order, sub_state=SubState.READY_TO_SHIP, actor=actor, message=_("Packed"))
    return order


def order_hand_over(*, order: Order, actor=None) -> Order:
    """processing → shipping: the carrier has the parcel; reserved stock leaves the warehouse."""
    require_perm(actor, "orders.fulfil_order")
    return _hand_over(order, actor=actor)


@transaction.atomic
def _hand_over(order: Order, *, actor=None) -> Order:
    order = _lock(order)
    _require_transition(order, Status.SHIPPING)
    lines = list(order.lines.all())
    if not _fully_reserved(lines):
        raise Conflict(
            _("Some lines are still short of stock; the order cannot be handed over."),
            fields={"lines": _("Waiting for stock.")},
            code="insufficient_stock",
        )
    if order.payment_method == PaymentMethod.COD and not order.shipping_ward_id:
        raise Conflict(
            _("The delivery address is missing."), fields={"shipping_ward": _("Required.")}
        )
    reservations.consume(
        [ln.pk for ln in lines],
        actor=actor,
        reference_type="order",
        reference_id=order.pk,
        reference_label=order.code,
    )
    OrderLine.objects.filter(order=order).update(reserved_quantity=0)
    order.shipped_at = timezone.now()
    Order.objects.filter(pk=order.pk).update(shipped_at=order.shipped_at)
    _set_state(
        order,
        status=Status.SHIPPING,
        sub_state=SubState.NONE,
        actor=actor,
        message=_("Handed over to the carrier"),
    )
    return order


@transaction.atomic
def order_mark_delivery_failed(*, order: Order, reason: str = "", actor=None) -> Order:
    require_perm(actor, "orders.fulfil_order")
    order = _lock(order)
    if order.status != Status.SHIPPING:
        raise Conflict(
            _("Only a shipping order can fail delivery."),
            fields={"status": _("Not allowed from the current status.")},
            code="transition_not_allowed",
        )
    _set_state(
        order,
        sub_state=SubState.DELIVERY_FAILED,
        actor=actor,
        message=reason or _("Delivery failed"),
    )
    return order


def order_complete(*, order: Order, actor=None) -> Order:
    require_perm(actor, "orders.fulfil_order")
    return _complete(order, actor=actor)


@transaction.atomic
def _complete(order: Order, *, actor=None) -> Order:
    """→ completed, also when the carrier delivered or the COD was paid (no permission check:
    the caller decided)."""
    order = _lock(order)
    _require_transition(order, Status.COMPLETED)
    order.completed_at = timezone.now()
    Order.objects.filter(pk=order.pk).update(completed_at=order.completed_at)
    _set_state(
        order, status=Status.COMPLETED, sub_state=SubState.NONE, actor=actor, message=_("Completed")
    )
    return order


@transaction.atomic
def order_cancel(*, order: Order, reason: str = "", actor=None) -> Order:
    """new/processing → cancelled: its reserved stock goes to the oldest waiting orders."""
    require_perm(actor, "orders.cancel_order")
    order = _lock(order)
    _require_transition(order, Status.CANCELLED)
    _refuse_with_open_shipment(
        order,
        message=_(
            "This order has a shipment with the carrier; cancel the shipment before the order."
        ),
    )
    lines = list(order.lines.all())
    released = reservations.release([ln.pk for ln in lines])
    OrderLine.objects.filter(order=order).update(reserved_quantity=0)
    order.cancelled_at = timezone.now()
    Order.objects.filter(pk=order.pk).update(cancelled_at=order.cancelled_at)
    _set_state(
        order,
        status=Status.CANCELLED,
        sub_state=SubState.NONE,
        actor=actor,
        message=reason or _("Cancelled"),
    )
    if released:
        reservations_fill_waiting(variant_ids={ln.variant_id for ln in lines}, actor=actor)
    return order


@transaction.atomic
def order_return(*, order: Order, reason: str = "", actor=None) -> Order:
    """shipping/completed → returned (the parcel came back). Restocking is the returns flow's."""
    require_perm(actor, "orders.fulfil_order")
    order = _lock(order)
    _require_transition(order, Status.RETURNED)
    _set_state(
        order,
        status=Status.RETURNED,
        sub_state=SubState.NONE,
        actor=actor,
        message=reason or _("Returned"),
    )
    return order


@transaction.atomic
def order_add_note(*, order: Order, text: str, actor=None) -> OrderEvent:
    if not (
        actor_allowed(actor, "orders.change_order") or actor_allowed(actor, "orders.fulfil_order")
    ):
        require_perm(actor, "orders.change_order")
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(
            _("Write a note first."), fields={"text": _("This field is required.")}
        )
    return _event(order, kind=OrderEvent.Kind.NOTE, actor=actor, message=text)


@transaction.atomic
def order_update_lines(*, order: Order, lines: list[LineInput], actor=None) -> Order:
    """Replace the lines of an order that has not shipped; reservations follow the difference."""
    require_perm(actor, "orders.change_order")
    order = _lock(order)
    if order.status not in OPEN_STATUSES:
        raise Conflict(
            _("Only new or processing orders can be edited."),
            fields={"status": _("Not allowed from the current status.")},
            code="transition_not_allowed",
        )
    _refuse_with_open_shipment(
        order,
        message=_(
            "This order has a shipment with the carrier; cancel the shipment before editing the "
            "lines."
        ),
    )
    resolved = _resolve_lines(lines)
    current: dict[int, OrderLine] = {}
    duplicates: list[OrderLine] = []  # a product on two lines (intake keeps lines as sent)
    for existing in order.lines.all():
        if existing.variant_id in current:
            duplicates.append(existing)
        else:
            current[existing.variant_id] = existing
    wanted: dict[int, tuple[LineInput, Variant]] = {}
    for ln, v in resolved:
        if v.pk in wanted:  # the same product twice: one line
            prev, _v = wanted[v.pk]
            ln = LineInput(
                variant_id=v.pk,
                quantity=prev.quantity + ln.quantity,
                unit_price=prev.unit_price,
                discount=prev.discount + ln.discount,
            )
        wanted[v.pk] = (ln, v)
    removed = [ln for vid, ln in current.items() if vid not in wanted] + duplicates
    if removed:
        reservations.release([ln.pk for ln in removed])
        OrderLine.objects.filter(pk__in=[ln.pk for ln in removed]).delete()
    kept: list[OrderLine] = []
    for position, (vid, (ln, v)) in enumerate(wanted.items()):
        price = v.sale_price if ln.unit_price is None else ln.unit_price
        line = current.get(vid)
        if line is None:
            line = OrderLine.objects.create(
                order=order,
                variant=v,
                sku=v.sku,
                name=str(v)[:300],
                quantity=ln.quantity,
                unit_price=price,
                discount=ln.discount,
                vat_rate=v.vat_rate,
                position=position,
            )
        else:
            if ln.quantity < line.reserved_quantity:
                reservations.release([line.pk], keep={line.pk: ln.quantity})
                line.reserved_quantity = ln.quantity
            line.quantity, line.unit_price, line.discount, line.position = (
                ln.quantity,
                price,
                ln.discount,
                position,
            )
            line.save(
                update_fields=[
                    "quantity",
                    "unit_price",
                    "discount",
                    "position",
                    "reserved_quantity",
                ]
            )
        kept.append(line)
    _reserve_lines(order, kept)
    totals = compute_totals(
        lines=[(ln.quantity, ln.unit_price, ln.discount, ln.vat_rate) for ln in kept],
        shipping_fee=order.shipping_fee,
        shipping_fee_payer=order.shipping_fee_payer,
        payment_method=order.payment_method,
    )
    Order.objects.filter(pk=order.pk).update(**totals)
    for k, val in totals.items():
        setattr(order, k, val)
    _event(
        order,
        kind=OrderEvent.Kind.EDITED,
        actor=actor,
        message=_("Lines edited"),
        data={"lines": [[ln.sku, ln.quantity] for ln in kept]},
    )
    if order.sub_state != SubState.READY_TO_SHIP or not _fully_reserved(kept):
        _settle_sub_state(order, kept, actor=actor)
    if removed:
        reservations_fill_waiting(variant_ids={ln.variant_id for ln in removed}, actor=actor)
    return order


def reservations_fill_waiting(*, variant_ids: Iterable[int], actor=None) -> list[Order]:
    """Stock became free for these variants: reserve it for waiting orders, oldest first.

    Runs inside the caller's transaction (a cancel, a receipt, an adjustment). Orders that become
    fully reserved move from awaiting stock to packing (or lose the flag while still new).
    """
    variant_ids = set(variant_ids)
    if not variant_ids:
        return []
    waiting_order_ids = list(
        OrderLine.objects.filter(
            variant_id__in=variant_ids,
            order__status__in=OPEN_STATUSES,
            reserved_quantity__lt=F("quantity"),
        )
        .order_by("order__created_at", "order_id")
        .values_list("order_id", flat=True)
        .distinct()
    )
    served = []
    seen = set()
    for order_id in waiting_order_ids:
        if order_id in seen:
            continue
        seen.add(order_id)
        # The caller already holds stock rows; an order locked by someone else (being confirmed,
        # edited or cancelled, which lock the order first and then stock) is skipped rather than
        # waited for, so the two never deadlock. A confirm or edit reserves for itself anyway.
        order = Order.objects.select_for_update(skip_locked=True).filter(pk=order_id).first()
        if order is None or order.status not in OPEN_STATUSES:  # busy, cancelled or shipped
            continue
        lines = list(order.lines.all())
        got = _reserve_lines(order, [ln for ln in lines if ln.variant_id in variant_ids]).total
        if got:
            _event(
                order,
                kind=OrderEvent.Kind.STOCK,
                actor=actor,
                message=_("%(n)s units reserved from new stock") % {"n": got},
            )
            _update_warehouse(order)
            _settle_sub_state(order, lines, actor=actor, message=_("Stock arrived"))
            served.append(order)
    return served


@transaction.atomic
def order_lines_reserved_rebuild(*, fix: bool = True) -> list[tuple[int, int, int]]:
    """Check each open line's reserved count against its reservation rows; returns
    [(line id, cached, actual)] and corrects them with fix."""
    from django.db.models import Sum

    from donhang.inventory.models import Reservation

    actual = dict(
        Reservation.objects.values("order_line_id")
        .annotate(total=Sum("quantity"))
        .order_by()
        .values_list("order_line_id", "total")
    )
    drifts = []
    lines = OrderLine.objects.filter(
        Q(reserved_quantity__gt=0) | Q(pk__in=list(actual))
    ).values_list("pk", "reserved_quantity")
    for pk, cached in lines:
        if cached != actual.get(pk, 0):
            drifts.append((pk, cached, actual.get(pk, 0)))
            if fix:
                OrderLine.objects.filter(pk=pk).update(reserved_quantity=actual.get(pk, 0))
    return drifts


@transaction.atomic
def stock_adjust(*, variant: Variant, warehouse, delta: int, reason: str, actor=None):
    """A manual stock correction (found, lost, damaged…) with its reason, posted to the ledger;
    new stock goes to waiting orders at once, oldest first."""
    require_perm(actor, "inventory.add_stockmovement")
    from donhang.inventory.models import StockMovement
    from donhang.inventory.services import MovementLine, stock_movements_post

    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = _("Say why the stock changes.")
    if not delta:
        errors["delta"] = _("Enter a change other than 0.")
    elif abs(delta) > MAX_QUANTITY:
        errors["delta"] = _("A change cannot exceed %(max)s units.") % {"max": MAX_QUANTITY}
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), fields=errors)
    movements = stock_movements_post(
        lines=[MovementLine(variant.pk, warehouse.pk, delta)],
        kind=StockMovement.Kind.ADJUSTMENT,
        reason=reason,
        actor=actor,
        reference_type="adjustment",
    )
    if delta > 0:
        reservations_fill_waiting(variant_ids={variant.pk}, actor=actor)
    return movements[0]


@transaction.atomic
def channel_rule_set(*, channel: str, strategy: str, warehouse_ids, actor=None) -> ChannelRule:
    """How new orders of `channel` choose warehouses: in priority order or the one with the most
    stock, among `warehouse_ids` (empty: every active warehouse). Orders already taken keep
    their reservations."""
    require_perm(actor, "inventory.change_warehouse")
    from donhang.core.audit import audit
    from donhang.inventory.models import Warehouse

    errors = {}
    if channel not in Channel.values:
        errors["channel"] = _("Unknown channel.")
    if strategy not in AllocationStrategy.values:
        errors["strategy"] = _("Choose priority order or most stock.")
    try:
        ids = sorted({int(pk) for pk in warehouse_ids or []})
    except (TypeError, ValueError):
        ids = None
        errors["warehouses"] = _("Unknown warehouse.")
    if ids:
        found = set(
            Warehouse.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True)
        )
        if found != set(ids):
            errors["warehouses"] = _("Choose active warehouses only.")
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), fields=errors)
    rule, _created = ChannelRule.objects.select_for_update().get_or_create(channel=channel)
    before = {
        "strategy": rule.strategy,
        "warehouses": sorted(rule.warehouses.values_list("pk", flat=True)),
    }
    rule.strategy = strategy
    rule.save(update_fields=["strategy"])
    rule.warehouses.set(ids)
    audit(
        actor=actor,
        action="channel_rule.set",
        obj=rule,
        summary=f"{channel}: {strategy} {ids or 'all'}",
        data={"before": before, "after": {"strategy": strategy, "warehouses": ids}},
    )
    return rule


# --- steps driven by the carrier ---------------------------------------------------------------


@transaction.atomic
def order_follow_shipment(
    *, order: Order, shipment_status: str, message: str = "", paid: bool = False, actor=None
) -> Order:
    """Move the order along with its shipment (statuses of donhang.shipping's ShipmentStatus):
    created → ready to ship; carrier has the parcel → shipping (stock deducted); delivered →
    completed when paid (or prepaid), else "delivered, awaiting payment"; failed → delivery
    failed; back out for delivery → shipping; returned → returned; cancelled before pickup →
    packing again. Steps that do not apply to the order's state are skipped, never forced."""
    order = _lock(order)
    carrier_has_parcel = shipment_status in {
        "picked",
        "in_transit",
        "delivering",
        "delivered",
        "delivery_failed",
        "returning",
        "returned",
        "lost",
    }
    if shipment_status == "ready_to_pick":
        if order.status == Status.PROCESSING and order.sub_state == SubState.PACKING:
            _set_state(order, sub_state=SubState.READY_TO_SHIP, actor=actor, message=message)
        return order
    if shipment_status == "cancelled":
        if order.status == Status.PROCESSING and order.sub_state == SubState.READY_TO_SHIP:
            _set_state(order, sub_state=SubState.PACKING, actor=actor, message=message)
        return order
    if carrier_has_parcel and order.status == Status.PROCESSING:
        _hand_over(order, actor=actor)
        order.refresh_from_db()
    if order.status != Status.SHIPPING:
        return order
    if shipment_status == "delivered":
        if paid or order.cod_amount == 0:
            return _complete(order, actor=actor)
        _set_state(order, sub_state=SubState.DELIVERED, actor=actor, message=message)
    elif shipment_status == "delivery_failed":
        _set_state(order, sub_state=SubState.DELIVERY_FAILED, actor=actor, message=message)
    elif (
        shipment_status in ("delivering", "in_transit", "picked")
        and order.sub_state == SubState.DELIVERY_FAILED
    ):
        _set_state(order, sub_state=SubState.NONE, actor=actor, message=message)
    elif shipment_status == "returned":
        _require_transition(order, Status.RETURNED)
        _set_state(
            order, status=Status.RETURNED, sub_state=SubState.NONE, actor=actor, message=message
        )
    return order


@transaction.atomic
def order_mark_paid(*, order: Order, actor=None) -> Order:
    """The carrier paid the COD of a delivered order: it is complete."""
    order = _lock(order)
    if order.status == Status.SHIPPING and order.sub_state == SubState.DELIVERED:
        return _complete(order, actor=actor)
    return order
