"""Where orders meet stock: serving waiting orders, adjustments, channel rules, cache checks."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from donhang.catalog.models import Variant
from donhang.core.errors import ValidationFailed
from donhang.core.permissions import require_perm
from donhang.inventory.services import MAX_QUANTITY
from donhang.orders.models import (
    OPEN_STATUSES,
    AllocationStrategy,
    Channel,
    ChannelRule,
    Order,
    OrderEvent,
    OrderLine,
)
from donhang.orders.services._common import (
    _event,
    _reserve_lines,
    _settle_sub_state,
    _update_warehouse,
)


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
