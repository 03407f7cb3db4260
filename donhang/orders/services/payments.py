"""Money in and out of an order, and the order following its parcels.

Payments are records (method, amount the buyer or platform paid, fees withheld, reference,
date, who); the order keeps their sums and a payment status apart from its own status. An
order is completed only when every parcel is delivered and what the buyer owes is collected:
a short-paid COD stays "delivered, awaiting payment" with the difference shown."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from donhang.core.audit import actor_label, actor_user, audit
from donhang.core.errors import Conflict, ValidationFailed
from donhang.core.permissions import require_perm
from donhang.orders.models import (
    Order,
    OrderEvent,
    Payment,
    PaymentMethod,
    PaymentRecordMethod,
    Status,
    SubState,
)
from donhang.orders.services._common import (
    MAX_AMOUNT,
    SHIPMENT_NEVER_SENT,
    _event,
    _lock,
    _require_transition,
    _set_state,
    payment_status_of,
)
from donhang.orders.services.transitions import _complete, _hand_over, returned_to_inspect


def _collected(order: Order) -> bool:
    """Whether what the buyer owes has been collected (a prepaid order: nothing to collect)."""
    if order.payment_method != PaymentMethod.COD:
        return True
    return order.paid_total >= order.buyer_owes


def _payment_add(
    order: Order,
    *,
    method: str,
    amount: int,
    fee: int = 0,
    reference: str = "",
    paid_on: date | None = None,
    note: str = "",
    actor=None,
) -> Payment:
    errors: dict[str, str] = {}
    if method not in PaymentRecordMethod.values:
        errors["method"] = _("Unknown payment method.")
    if not isinstance(amount, int) or amount == 0:
        errors["amount"] = _("Enter an amount other than 0.")
    elif abs(amount) > MAX_AMOUNT:
        errors["amount"] = _("The amount is too large.")
    if not isinstance(fee, int) or fee < 0:
        errors["fee"] = _("The fee cannot be negative.")
    elif fee > MAX_AMOUNT:
        errors["fee"] = _("The fee is too large.")
    if len(reference or "") > 120:
        errors["reference"] = _("At most 120 characters.")
    if errors:
        raise ValidationFailed(_("The payment is not valid."), fields=errors)
    if amount < 0 and -amount > order.paid_total:
        raise Conflict(
            _("A refund cannot exceed what was paid (%(paid)s ₫).")
            % {"paid": f"{order.paid_total:,}".replace(",", ".")},
            fields={"amount": _("More than was paid.")},
            code="refund_exceeds_paid",
        )
    payment = Payment.objects.create(
        order=order,
        method=method,
        amount=amount,
        fee=fee,
        reference=(reference or "").strip(),
        paid_on=paid_on or timezone.localdate(),
        note=(note or "").strip()[:300],
        created_by=actor_user(actor),
        actor_label=actor_label(actor)[:150],
    )
    order.paid_total += amount
    order.fees_total += fee
    if amount < 0:
        order.refunded_total += -amount
        audit(
            actor=actor,
            action="order.refund",
            obj=order,
            summary=f"{order.code}: {amount}",
            data={"amount": amount, "method": method, "reference": payment.reference},
        )
    order.payment_status = payment_status_of(order)
    Order.objects.filter(pk=order.pk).update(
        paid_total=F("paid_total") + amount,
        fees_total=F("fees_total") + fee,
        refunded_total=F("refunded_total") + max(-amount, 0),
        payment_status=order.payment_status,
    )
    _event(
        order,
        kind=OrderEvent.Kind.PAYMENT,
        actor=actor,
        code="payment",
        params={"amount": amount, "method": method, "fee": fee, "reference": payment.reference},
    )
    return payment


def _settle_delivered(order: Order, *, actor=None) -> Order:
    """A delivered order completes once what the buyer owes is collected."""
    delivered = order.status == Status.SHIPPING and order.sub_state == SubState.DELIVERED
    if delivered and _collected(order):
        return _complete(order, actor=actor)
    return order


@transaction.atomic
def order_payment_record(
    *,
    order: Order,
    method: str,
    amount: int,
    fee: int = 0,
    reference: str = "",
    paid_on: date | None = None,
    note: str = "",
    actor=None,
    check_permission: bool = True,
) -> Payment:
    """Record money received (amount > 0) or refunded (amount < 0) for an order.

    `fee` is what a carrier or platform withheld from its payout: a cost of the order; the
    amount the buyer paid counts towards "paid". A delivered order whose buyer has now paid
    what they owe is completed. check_permission=False is for carrier- and platform-driven
    records (a COD statement import checks its own permission)."""
    if check_permission:
        require_perm(actor, "orders.refund_payment" if amount < 0 else "orders.add_payment")
    order = _lock(order)
    payment = _payment_add(
        order,
        method=method,
        amount=amount,
        fee=fee,
        reference=reference,
        paid_on=paid_on,
        note=note,
        actor=actor,
    )
    _settle_delivered(order, actor=actor)
    return payment


@transaction.atomic
def order_mark_paid(*, order: Order, actor=None) -> Order:
    """Re-check a delivered order after money arrived: complete when the buyer's part is in."""
    return _settle_delivered(_lock(order), actor=actor)


# Shipment statuses of donhang.shipping (read as strings: shipping builds on orders).
_CARRIER_HAS_PARCEL = {
    "picked",
    "in_transit",
    "delivering",
    "delivered",
    "delivery_failed",
    "returning",
    "returned",
    "lost",
}


def _live_parcels(order: Order) -> list[str]:
    """Statuses of the order's parcels that exist at the carrier (or may): not cancelled and
    not a sending that never reached it."""
    return list(
        order.shipments.exclude(status="cancelled")
        .exclude(SHIPMENT_NEVER_SENT)
        .values_list("status", flat=True)
    )


@transaction.atomic
def order_follow_shipment(
    *,
    order: Order,
    shipment_status: str,
    message: str = "",
    code: str = "",
    params: dict | None = None,
    paid: bool = False,
    actor=None,
) -> Order:
    """Move the order along with its parcels (statuses of donhang.shipping's ShipmentStatus):
    created → ready to ship; the carrier has a parcel → shipping (stock deducted); every live
    parcel delivered → completed when the buyer's part is collected (or prepaid), else
    "delivered, awaiting payment"; a parcel failed → delivery failed; back out for delivery →
    shipping; every live parcel returned → returned (its goods wait for inspection);
    cancelled before pickup → packing again. Steps that do not apply are skipped, never forced.
    `message` is the carrier's own words, kept as they came; `code`/`params` say what happened.
    """
    order = _lock(order)
    note = {"actor": actor, "code": code, "params": params, "message": message}
    if shipment_status == "ready_to_pick":
        if order.status == Status.PROCESSING and order.sub_state == SubState.PACKING:
            _set_state(order, sub_state=SubState.READY_TO_SHIP, **note)
        return order
    if shipment_status == "cancelled":
        if (
            order.status == Status.PROCESSING
            and order.sub_state == SubState.READY_TO_SHIP
            and not any(s == "ready_to_pick" for s in _live_parcels(order))
        ):
            _set_state(order, sub_state=SubState.PACKING, **note)
        return order
    if shipment_status in _CARRIER_HAS_PARCEL and order.status == Status.PROCESSING:
        _hand_over(order, actor=actor)
        order.refresh_from_db()
    if order.status != Status.SHIPPING:
        return order
    parcels = _live_parcels(order) or [shipment_status]
    if shipment_status == "delivered":
        if any(s != "delivered" for s in parcels):
            return order  # another parcel is still on its way
        if _collected(order):
            return _complete(order, actor=actor)
        _set_state(order, sub_state=SubState.DELIVERED, **note)
    elif shipment_status == "delivery_failed":
        _set_state(order, sub_state=SubState.DELIVERY_FAILED, **note)
    elif (
        shipment_status in ("delivering", "in_transit", "picked")
        and order.sub_state == SubState.DELIVERY_FAILED
    ):
        _set_state(order, sub_state=SubState.NONE, **note)
    elif shipment_status == "returned":
        if any(s not in ("returned", "delivered") for s in parcels):
            return order
        _require_transition(order, Status.RETURNED)
        _set_state(order, status=Status.RETURNED, sub_state=SubState.NONE, **note)
        returned_to_inspect(order, actor=actor, source="carrier")
    return order
