"""Shared pieces of the return services: locking, state checks, quantities sold and returned,
the order's timeline and its return state."""

from __future__ import annotations

from django.db.models import Sum
from django.utils.translation import gettext as _

from donhang.core.audit import audit
from donhang.core.errors import Conflict, NotFound
from donhang.inventory.models import StockMovement
from donhang.orders.models import Order
from donhang.orders.services.returns_support import (
    order_return_event,
    order_returned_quantity_set,
)
from donhang.returns.models import GOODS_BACK, Return, ReturnLine, State

MAX_NOTE = 2_000


def lock_return(goods_return: Return) -> Return:
    """Lock the return's order, then the return (always in this order: the orders' own
    services and a returned parcel lock the order first too)."""
    order_id = Return.objects.filter(pk=goods_return.pk).values_list("order_id", flat=True).first()
    if order_id is None:
        raise NotFound(_("This return does not exist."))
    Order.objects.select_for_update().filter(pk=order_id).values_list("pk").first()
    return (
        Return.objects.select_for_update(of=("self",))
        .select_related("order", "warehouse")
        .get(pk=goods_return.pk)
    )


def require_state(goods_return: Return, allowed: tuple[str, ...], *, action: str) -> None:
    """Refuse a step the return's state does not allow, naming the state and the step."""
    if goods_return.state not in allowed:
        raise Conflict(
            _("Return %(code)s is “%(state)s”: you cannot %(action)s it now.")
            % {
                "code": goods_return.code,
                "state": goods_return.get_state_display(),
                "action": action,
            },
            fields={"state": _("Not allowed from the current state.")},
            code="transition_not_allowed",
        )


def sold_quantities(order: Order) -> dict[int, int]:
    """Units of each order line that left the warehouse (its sale movements): what may come
    back. {order line id: units}."""
    return {
        row["order_line_id"]: -row["total"]
        for row in StockMovement.objects.filter(
            order_line__order=order, kind=StockMovement.Kind.SALE
        )
        .values("order_line_id")
        .annotate(total=Sum("delta"))
        .order_by()
        if row["total"] and row["total"] < 0
    }


def returned_quantities(order: Order, *, exclude: Return | None = None) -> dict[int, int]:
    """Units of each order line already in a return of the order (not cancelled)."""
    lines = ReturnLine.objects.filter(goods_return__order=order).exclude(
        goods_return__state=State.CANCELLED
    )
    if exclude is not None:
        lines = lines.exclude(goods_return=exclude)
    return {
        row["order_line_id"]: row["total"]
        for row in lines.values("order_line_id").annotate(total=Sum("quantity")).order_by()
    }


def units_back(order: Order) -> int:
    """Units of the order that came back through its returns: received ones count in full
    until inspected, inspected ones count what was found (good and damaged, not missing)."""
    total = 0
    for state, quantity, good, damaged in ReturnLine.objects.filter(
        goods_return__order=order, goods_return__state__in=GOODS_BACK
    ).values_list("goods_return__state", "quantity", "good_quantity", "damaged_quantity"):
        total += quantity if state == State.RECEIVED else good + damaged
    return total


def sync_order(order: Order, *, actor=None, goods_return: Return | None = None) -> Order:
    """Set the order's returned units and return state from its returns."""
    params = {"return": goods_return.code} if goods_return is not None else None
    return order_returned_quantity_set(
        order=order, returned_quantity=units_back(order), actor=actor, params=params
    )


def timeline(
    goods_return: Return, code: str, params: dict | None = None, *, actor=None, message=""
) -> None:
    """A line on the order's timeline and an audit entry for a step of the return."""
    values = {"return": goods_return.code, **(params or {})}
    order_return_event(
        order=goods_return.order, code=code, params=values, actor=actor, message=message
    )
    audit(actor=actor, action=f"return.{code}", obj=goods_return, summary=message, data=values)
