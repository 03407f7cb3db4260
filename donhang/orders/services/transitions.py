"""The order status machine: every transition locks the order, checks it is allowed and
writes the timeline."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from donhang.core import hooks
from donhang.core.errors import Conflict, ValidationFailed
from donhang.core.permissions import actor_allowed, require_perm
from donhang.inventory import reservations
from donhang.inventory.models import Warehouse
from donhang.inventory.services import stock_returned_to_inspect
from donhang.orders.models import (
    Order,
    OrderEvent,
    OrderLine,
    PaymentMethod,
    Status,
    SubState,
)
from donhang.orders.services._common import (
    MAX_NOTE,
    _event,
    _fully_reserved,
    _lock,
    _refuse_with_open_shipment,
    _require_transition,
    _reserve_lines,
    _set_state,
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
        code="confirmed" if full else "confirmed_awaiting_stock",
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
    _set_state(order, sub_state=SubState.READY_TO_SHIP, actor=actor, code="packed")
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
        code="handed_over",
    )
    # Apps above orders act on it (e.g. invoicing issues the e-invoice at hand-over).
    hooks.emit("order.handed_over", order=order, actor=actor)
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
        code="delivery_failed",
        message=reason,
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
        order, status=Status.COMPLETED, sub_state=SubState.NONE, actor=actor, code="completed"
    )
    hooks.emit("order.completed", order=order, actor=actor)
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
        code="cancelled",
        message=reason,
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
        code="returned",
        message=reason,
    )
    returned_to_inspect(order, actor=actor)
    return order


def returned_to_inspect(order: Order, *, actor=None, source: str = "staff") -> None:
    """The parcel came back: what left the warehouse waits in its "returned, to inspect"
    quantity (not sellable until inspected). Nothing to do for an order that never left.

    Emits ``order.returned`` (order, actor, source: "staff" or "carrier") in this transaction:
    the returns app opens the return whose inspection takes these units on."""
    if not order.shipped_at:
        return
    movements = stock_returned_to_inspect(
        order_line_ids=list(order.lines.values_list("pk", flat=True)),
        actor=actor,
        reference_type="order",
        reference_id=str(order.pk),
        reference_label=order.code or "",
    )
    if movements:
        warehouses = Warehouse.objects.filter(
            pk__in={m.warehouse_id for m in movements}
        ).values_list("name", flat=True)
        _event(
            order,
            kind=OrderEvent.Kind.STOCK,
            actor=actor,
            code="returned_to_inspect",
            params={
                "n": sum(m.delta for m in movements),
                "warehouse": ", ".join(sorted(warehouses)),
            },
        )
    hooks.emit("order.returned", order=order, actor=actor, source=source)


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
    if len(text) > MAX_NOTE:
        raise ValidationFailed(
            _("The note is too long."),
            fields={"text": _("At most %(max)s characters.") % {"max": MAX_NOTE}},
        )
    return _event(order, kind=OrderEvent.Kind.NOTE, actor=actor, code="note", message=text)


@transaction.atomic
def order_money_lock(*, order: Order, actor=None, reference: str = "") -> Order:
    """An e-invoice was issued: the order's money is frozen from now on (changes go through
    returns and adjustment invoices). Called by the invoicing app; idempotent."""
    order = _lock(order)
    if order.money_locked_at is None:
        order.money_locked_at = timezone.now()
        Order.objects.filter(pk=order.pk).update(money_locked_at=order.money_locked_at)
        _event(
            order,
            kind=OrderEvent.Kind.EDITED,
            actor=actor,
            code="money_locked",
            params={"reference": reference},
        )
    return order
