"""Where orders meet stock: serving waiting orders, taking reservations back when a count finds
less, channel rules, cache checks."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils.translation import gettext as _

from donhang.core.audit import audit
from donhang.core.errors import ValidationFailed
from donhang.core.permissions import require_perm
from donhang.inventory import reservations
from donhang.inventory.models import Reservation, Warehouse
from donhang.inventory.selectors import ChannelRuleRow

# The manual adjustment lives in inventory (it tells orders through the stock.arrived hook);
# re-exported here for the callers of donhang.orders.services.
from donhang.inventory.services import stock_adjust as stock_adjust
from donhang.orders.models import (
    OPEN_STATUSES,
    AllocationStrategy,
    Channel,
    ChannelRule,
    Order,
    OrderEvent,
    OrderLine,
    SalesStore,
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
                code="stock_reserved",
                params={"n": got},
            )
            _update_warehouse(order)
            _settle_sub_state(order, lines, actor=actor, code="stock_arrived")
            served.append(order)
    return served


def reservations_take_back(
    *, shortfall: dict[tuple[int, int], int], actor=None, reason: str = ""
) -> list[Order]:
    """A count found less than is reserved: for each (variant id, warehouse id) take that many
    units of reservation back from the newest open orders holding them there, so that the
    oldest keep theirs. Those orders wait for stock again (a timeline entry says why).

    The ``stock.shortfall`` hook's handler; runs in the caller's transaction, which must not yet
    hold the stock rows (orders are locked first, then stock, as everywhere). Returns the orders
    that lost units.
    """
    shortfall = {key: units for key, units in shortfall.items() if units > 0}
    if not shortfall:
        return []
    where = Q()
    for variant_id, warehouse_id in shortfall:
        where |= Q(variant_id=variant_id, warehouse_id=warehouse_id)
    held = Reservation.objects.filter(where, order_line__order__status__in=OPEN_STATUSES)
    order_ids = set(held.values_list("order_line__order_id", flat=True))
    orders = {
        o.pk: o for o in Order.objects.select_for_update().filter(pk__in=order_ids).order_by("pk")
    }
    rows = list(
        held.filter(order_line__order_id__in=list(orders))
        .select_related("order_line")
        .order_by("-order_line__order__created_at", "-order_line__order_id", "-order_line_id")
    )
    remaining = dict(shortfall)
    keep: dict[int, dict[int, int]] = {}  # warehouse id → {line id: units kept there}
    taken: dict[int, int] = {}  # line id → units taken back
    per_order: dict[int, int] = {}  # order id → units taken back
    for r in rows:  # newest order first
        key = (r.variant_id, r.warehouse_id)
        take = min(remaining.get(key, 0), r.quantity)
        if take <= 0:
            continue
        remaining[key] -= take
        keep.setdefault(r.warehouse_id, {})[r.order_line_id] = r.quantity - take
        taken[r.order_line_id] = taken.get(r.order_line_id, 0) + take
        per_order[r.order_line.order_id] = per_order.get(r.order_line.order_id, 0) + take
    if not taken:
        return []
    for warehouse_id, kept in keep.items():
        reservations.release(list(kept), keep=kept, warehouse_id=warehouse_id)
    for line_id, units in taken.items():
        OrderLine.objects.filter(pk=line_id).update(
            reserved_quantity=F("reserved_quantity") - units
        )
    changed = []
    for order_id in sorted(per_order, key=lambda pk: (orders[pk].created_at, pk)):
        order = orders[order_id]
        _event(
            order,
            kind=OrderEvent.Kind.STOCK,
            actor=actor,
            code="stock_taken_back",
            params={"n": per_order[order_id], "reason": reason},
        )
        _update_warehouse(order)
        _settle_sub_state(order, list(order.lines.all()), actor=actor)
        changed.append(order)
    return changed


@transaction.atomic
def order_lines_reserved_rebuild(*, fix: bool = True) -> list[tuple[int, int, int]]:
    """Check each open line's reserved count against its reservation rows; returns
    [(line id, cached, actual)] and corrects them with fix."""
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
def channel_rule_set(
    *,
    channel: str,
    strategy: str,
    warehouse_ids,
    store: SalesStore | None = None,
    actor=None,
) -> ChannelRule:
    """How new orders of `channel` (or only of its shop `store`) choose warehouses: in priority
    order or the one with the most stock, among `warehouse_ids` (empty: every active
    warehouse). Orders already taken keep their reservations."""
    require_perm(actor, "inventory.change_warehouse")
    errors = {}
    if channel not in Channel.values:
        errors["channel"] = _("Unknown channel.")
    elif store is not None and store.channel != channel:
        errors["store"] = _("This shop belongs to another channel.")
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
    if store is not None:
        rule, _created = ChannelRule.objects.select_for_update().get_or_create(
            store=store, defaults={"channel": channel}
        )
    else:
        rule, _created = ChannelRule.objects.select_for_update().get_or_create(
            channel=channel, store__isnull=True
        )
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
        summary=f"{store or channel}: {strategy} {ids or 'all'}",
        data={"before": before, "after": {"strategy": strategy, "warehouses": ids}},
    )
    return rule


def channel_rule_rows() -> list[ChannelRuleRow]:
    """Every sales channel with how its orders choose warehouses (defaults when no rule is
    saved), for the channel rules page of inventory (hook ``inventory.channel_rules``). Two
    queries."""
    rules = {
        r.channel: r
        for r in ChannelRule.objects.filter(store__isnull=True).prefetch_related("warehouses")
    }
    rows = []
    for channel in Channel:
        rule = rules.get(channel.value)
        rows.append(
            ChannelRuleRow(
                channel=channel.value,
                label=str(channel.label),
                strategy=rule.strategy if rule else AllocationStrategy.PRIORITY.value,
                warehouse_ids=sorted(w.pk for w in rule.warehouses.all()) if rule else [],
                saved=rule is not None,
            )
        )
    return rows


def allocation_strategy_choices() -> list[tuple[str, str]]:
    return list(AllocationStrategy.choices)


@transaction.atomic
def sales_store_save(
    *, channel: str, external_id: str, name: str, is_active: bool = True, actor=None
) -> SalesStore:
    """The shop `external_id` of `channel` (created or renamed): what orders, warehouse rules
    and stock publishing of that shop point at. Called by the app connecting the shop."""
    errors = {}
    if channel not in Channel.values:
        errors["channel"] = _("Unknown channel.")
    external_id = (external_id or "").strip()
    name = (name or "").strip()
    if not external_id:
        errors["external_id"] = _("This field is required.")
    if not name:
        errors["name"] = _("This field is required.")
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), fields=errors)
    store, created = SalesStore.objects.select_for_update().get_or_create(
        channel=channel, external_id=external_id[:64], defaults={"name": name[:150]}
    )
    if not created and (store.name != name[:150] or store.is_active != is_active):
        store.name, store.is_active = name[:150], is_active
        store.save(update_fields=["name", "is_active"])
    elif created and not is_active:
        store.is_active = False
        store.save(update_fields=["is_active"])
    if created:
        audit(actor=actor, action="sales_store.create", obj=store, summary=str(store))
    return store
