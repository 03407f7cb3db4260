"""Opening, cancelling and closing returns: by staff, by the customer (website API, chatbot), by
a marketplace, and automatically when a carrier brings a parcel back."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from donhang.core.audit import actor_label, actor_user
from donhang.core.errors import Conflict, ValidationFailed
from donhang.core.permissions import require_perm
from donhang.inventory.models import StockMovement
from donhang.inventory.returns import sale_costs
from donhang.orders.models import Order, Status
from donhang.returns.models import (
    GOODS_BACK,
    Reason,
    Refund,
    RefundStatus,
    Return,
    ReturnLine,
    Source,
    State,
)
from donhang.returns.services._common import (
    MAX_NOTE,
    lock_return,
    require_state,
    returned_quantities,
    sold_quantities,
    sync_order,
    timeline,
)

# Orders whose goods may come back through a return opened by staff, a customer or a
# marketplace: the parcel left (a delivered order awaiting payment is still "shipping").
RETURNABLE_STATUSES = (Status.SHIPPING, Status.COMPLETED)


@dataclass
class ReturnLineInput:
    """One order line coming back: by its id (`order_line_id`) or its SKU on the order."""

    order_line_id: int | None = None
    sku: str = ""
    quantity: int = 1
    reason: str = ""


def _code(goods_return: Return) -> None:
    goods_return.code = f"TH{goods_return.pk:06d}"
    Return.objects.filter(pk=goods_return.pk).update(code=goods_return.code)


def returnable_quantities(order: Order) -> dict[int, int]:
    """Units of each order line that may still be returned: sold less already in returns."""
    sold = sold_quantities(order)
    taken = returned_quantities(order)
    return {line_id: units - taken.get(line_id, 0) for line_id, units in sold.items()}


def _clean_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationFailed(
            _("The note is too long."),
            fields={"note": _("At most %(max)s characters.") % {"max": MAX_NOTE}},
        )
    return note


@transaction.atomic
def return_create(
    *,
    order: Order,
    lines: list[ReturnLineInput],
    reason: str = Reason.OTHER,
    note: str = "",
    source: str = Source.STAFF,
    external_id: str = "",
    actor=None,
) -> Return:
    """Open a return of some or all of an order's units (requested: the goods are on their way
    back or still with the buyer).

    `source`: staff, customer (the website through the API, or the chatbot) or marketplace (the
    marketplaces app, with the platform's return id as `external_id`: the same id again returns
    the same return). A line may take back at most the units that left and are not in another
    return. Returned parcels (source carrier) are opened by the order itself, see
    return_open_for_parcel."""
    require_perm(actor, "returns.add_return")
    errors: dict[str, str] = {}
    if source not in (Source.STAFF, Source.CUSTOMER, Source.MARKETPLACE):
        errors["source"] = _("Choose staff, customer or marketplace.")
    if reason not in Reason.values:
        errors["reason"] = _("Choose a reason.")
    external_id = (external_id or "").strip()
    if len(external_id) > 64:
        errors["external_id"] = _("At most 64 characters.")
    note = _clean_note(note)
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), fields=errors)
    order = Order.objects.select_for_update().get(pk=order.pk)
    if external_id:
        existing = Return.objects.filter(order=order, external_id=external_id).first()
        if existing is not None:
            return existing
    if order.status not in RETURNABLE_STATUSES:
        raise Conflict(
            _("Order %(code)s is “%(status)s”: only shipped or completed orders take returns.")
            % {"code": order.code, "status": order.get_status_display()},
            fields={"order": _("Not returnable.")},
            code="not_returnable",
        )
    order_lines = {ln.pk: ln for ln in order.lines.all()}
    by_sku = {}
    for ln in order_lines.values():
        by_sku.setdefault(ln.sku, ln)
    returnable = returnable_quantities(order)
    if not lines:
        raise ValidationFailed(
            _("Choose at least one line to return."), fields={"lines": _("Nothing to return.")}
        )
    chosen = []
    for i, item in enumerate(lines):
        line = (
            order_lines.get(item.order_line_id)
            if item.order_line_id is not None
            else by_sku.get((item.sku or "").strip())
        )
        if line is None:
            errors[f"lines.{i}.order_line_id"] = _("This product is not on the order.")
            continue
        line_reason = item.reason or reason
        if line_reason not in Reason.values:
            errors[f"lines.{i}.reason"] = _("Choose a reason.")
        left = returnable.get(line.pk, 0)
        if not isinstance(item.quantity, int) or item.quantity < 1:
            errors[f"lines.{i}.quantity"] = _("Quantity must be at least 1.")
        elif item.quantity > left:
            errors[f"lines.{i}.quantity"] = (
                _("Only %(n)s units of %(sku)s can still be returned.")
                % {"n": max(left, 0), "sku": line.sku}
                if left > 0
                else _(
                    "No unit of %(sku)s can be returned (none left the warehouse, or all are in returns already)."
                )
                % {"sku": line.sku}
            )
        chosen.append((i, line, item.quantity, line_reason))
    repeated = [line.sku for line, n in Counter(c[1] for c in chosen).items() if n > 1]
    if repeated:
        errors["lines"] = _("A product is listed twice: %(skus)s.") % {"skus": ", ".join(repeated)}
    if errors:
        raise ValidationFailed(_("Some lines cannot be returned."), fields=errors)
    try:
        with transaction.atomic():
            goods_return = Return.objects.create(
                order=order,
                source=source,
                reason=reason,
                note=note,
                external_id=external_id,
                created_by=actor_user(actor),
                created_by_label=actor_label(actor)[:150],
            )
    except IntegrityError as exc:  # the same marketplace return raced in
        raise Conflict(
            _("This marketplace return was already taken in."),
            fields={"external_id": _("Already exists.")},
            code="duplicate_return",
        ) from exc
    _code(goods_return)
    costs = sale_costs(line.pk for _i, line, _q, _r in chosen)
    ReturnLine.objects.bulk_create(
        [
            ReturnLine(
                goods_return=goods_return,
                order_line=line,
                variant_id=line.variant_id,
                sku=line.sku,
                name=line.name,
                quantity=quantity,
                reason=line_reason,
                unit_cost=costs.get(line.pk),
            )
            for _i, line, quantity, line_reason in chosen
        ]
    )
    timeline(
        goods_return,
        "return_requested",
        {"units": sum(q for _i, _l, q, _r in chosen), "source": source},
        actor=actor,
        message=note[:2000],
    )
    return goods_return


@transaction.atomic
def return_open_for_parcel(*, order: Order, source: str = Source.CARRIER, actor=None) -> Return:
    """The order's parcel came back (the carrier returned it to the sender, or staff marked the
    order returned): a return of every unit that left, already received (the units wait in
    "returned, to inspect" of the warehouses they left from). Requested returns of the order are
    cancelled: the parcel replaces them. Idempotent; no permission check (the order decided)."""
    existing = (
        Return.objects.filter(order=order, from_parcel=True).exclude(state=State.CANCELLED).first()
    )
    if existing is not None:
        return existing
    back = Return.objects.filter(order=order, state__in=GOODS_BACK)
    if back.exists() and source != Source.CARRIER:
        raise Conflict(
            _(
                "Goods of this order already came back through return %(code)s: take the rest "
                "back with a return, not by marking the whole order returned."
            )
            % {"code": back.first().code},
            fields={"status": _("Use a return.")},
            code="already_returned",
        )
    for requested in Return.objects.filter(order=order, state=State.REQUESTED):
        return_cancel(
            goods_return=requested,
            reason=_("The whole parcel came back."),
            actor=actor,
            check_permission=False,
        )
    sold = sold_quantities(order)
    lines = [ln for ln in order.lines.all() if sold.get(ln.pk, 0) > 0]
    # Where most of the units wait: the warehouse they left from.
    top = (
        StockMovement.objects.filter(order_line__order=order, kind=StockMovement.Kind.SALE)
        .values("warehouse_id")
        .annotate(units=Sum("delta"))
        .order_by("units", "warehouse_id")
        .first()
    )
    now = timezone.now()
    goods_return = Return.objects.create(
        order=order,
        source=Source.CARRIER if source == Source.CARRIER else Source.STAFF,
        state=State.RECEIVED,
        reason=Reason.UNDELIVERED,
        from_parcel=True,
        warehouse_id=top["warehouse_id"] if top else order.warehouse_id,
        received_at=now,
        received_by=actor_user(actor),
        created_by=actor_user(actor),
        created_by_label=actor_label(actor)[:150],
    )
    _code(goods_return)
    costs = sale_costs(ln.pk for ln in lines)
    ReturnLine.objects.bulk_create(
        [
            ReturnLine(
                goods_return=goods_return,
                order_line=ln,
                variant_id=ln.variant_id,
                sku=ln.sku,
                name=ln.name,
                quantity=sold[ln.pk],
                reason=Reason.UNDELIVERED,
                unit_cost=costs.get(ln.pk),
            )
            for ln in lines
        ]
    )
    timeline(
        goods_return,
        "return_parcel",
        {"units": sum(sold[ln.pk] for ln in lines)},
        actor=actor,
    )
    sync_order(order, actor=actor, goods_return=goods_return)
    return goods_return


@transaction.atomic
def return_cancel(
    *, goods_return: Return, reason: str = "", actor=None, check_permission: bool = True
) -> Return:
    """requested → cancelled: the goods never came back."""
    if check_permission:
        require_perm(actor, "returns.change_return")
    goods_return = lock_return(goods_return)
    require_state(goods_return, (State.REQUESTED,), action=pgettext("return step", "cancel"))
    if Refund.objects.filter(goods_return=goods_return, status=RefundStatus.REFUNDED).exists():
        raise Conflict(
            _("Money was already refunded for this return; it cannot be cancelled."),
            fields={"state": _("Refunded.")},
            code="refunded",
        )
    if goods_return.exchange_order_id:
        raise Conflict(
            _("This return has an exchange order; cancel that order first."),
            fields={"exchange_order": _("Exchange order exists.")},
            code="exchange_exists",
        )
    Refund.objects.filter(goods_return=goods_return, status=RefundStatus.PENDING).update(
        status=RefundStatus.CANCELLED
    )
    goods_return.state = State.CANCELLED
    goods_return.cancelled_at = timezone.now()
    Return.objects.filter(pk=goods_return.pk).update(
        state=goods_return.state, cancelled_at=goods_return.cancelled_at
    )
    timeline(goods_return, "return_cancelled", actor=actor, message=(reason or "").strip()[:2000])
    return goods_return


@transaction.atomic
def return_close(*, goods_return: Return, actor=None) -> Return:
    """inspected → closed: nothing more to do (no refund waiting to be paid)."""
    require_perm(actor, "returns.change_return")
    goods_return = lock_return(goods_return)
    require_state(goods_return, (State.INSPECTED,), action=pgettext("return step", "close"))
    if Refund.objects.filter(goods_return=goods_return, status=RefundStatus.PENDING).exists():
        raise Conflict(
            _("A refund of this return is not paid yet: mark it paid or cancel it first."),
            fields={"refunds": _("A refund is waiting.")},
            code="refund_pending",
        )
    goods_return.state = State.CLOSED
    goods_return.closed_at = timezone.now()
    Return.objects.filter(pk=goods_return.pk).update(
        state=goods_return.state, closed_at=goods_return.closed_at
    )
    timeline(goods_return, "return_closed", actor=actor)
    return goods_return
