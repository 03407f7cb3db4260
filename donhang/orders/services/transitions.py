"""The order status machine: every transition locks the order, checks it is allowed and
writes the timeline."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from donhang.catalog.models import Variant
from donhang.core.errors import Conflict, ValidationFailed
from donhang.core.permissions import actor_allowed, require_perm
from donhang.inventory import reservations
from donhang.orders.models import (
    OPEN_STATUSES,
    Order,
    OrderEvent,
    OrderLine,
    PaymentMethod,
    Status,
    SubState,
)
from donhang.orders.services._common import (
    LineInput,
    _event,
    _fully_reserved,
    _lock,
    _refuse_with_open_shipment,
    _require_transition,
    _reserve_lines,
    _resolve_lines,
    _set_state,
    _settle_sub_state,
    compute_totals,
)
from donhang.orders.services.stock import reservations_fill_waiting


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
