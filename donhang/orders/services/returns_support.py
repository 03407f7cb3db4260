"""What the returns flow (donhang.returns, above orders) changes on an order: how many of its
units came back (the order shows "returned (partial)" beside its status) and the lines it writes
on the order's timeline. Payments and refunds go through order_payment_record like any other."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Sum

from donhang.orders.models import Order, OrderEvent, ReturnState
from donhang.orders.services._common import _event, _lock


def return_state_of(*, returned_quantity: int, ordered_quantity: int) -> str:
    if returned_quantity <= 0:
        return ReturnState.NONE
    if returned_quantity >= ordered_quantity:
        return ReturnState.FULL
    return ReturnState.PARTIAL


@transaction.atomic
def order_returned_quantity_set(
    *, order: Order, returned_quantity: int, actor=None, params: dict | None = None
) -> Order:
    """Record that `returned_quantity` units of the order came back through returns (the total
    over its returns, not an increment). Its return state follows: partial while fewer than all
    its units, all once every unit is back. Writes a timeline line when the state changes."""
    order = _lock(order)
    ordered = order.lines.aggregate(n=Sum("quantity"))["n"] or 0
    returned_quantity = max(int(returned_quantity), 0)
    state = return_state_of(returned_quantity=returned_quantity, ordered_quantity=ordered)
    if (order.returned_quantity, order.return_state) == (returned_quantity, state):
        return order
    changed = state != order.return_state
    order.returned_quantity, order.return_state = returned_quantity, state
    Order.objects.filter(pk=order.pk).update(
        returned_quantity=returned_quantity, return_state=state
    )
    if changed:
        _event(
            order,
            kind=OrderEvent.Kind.STOCK,
            actor=actor,
            code="return_state",
            params={"state": state, "units": returned_quantity, **(params or {})},
        )
    return order


def order_return_event(
    *, order: Order, code: str, params: dict | None = None, actor=None, message: str = ""
) -> OrderEvent:
    """A line on the order's timeline written by the returns flow: `code` and `params` are
    rendered by the renderers donhang.returns registers with donhang.orders.timeline."""
    return _event(
        order, kind=OrderEvent.Kind.NOTE, actor=actor, code=code, params=params, message=message
    )
