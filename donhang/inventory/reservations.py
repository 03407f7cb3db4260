"""Reservations: stock held for order lines, per warehouse, under row locks.

The caller owns the transaction (these functions must run inside `transaction.atomic`). Rows of
StockLevel are locked in primary-key order before availability is read, so two orders for the
last unit can never both get it (DESIGN.md 3.4); SQLite's IMMEDIATE transactions serialise
writers instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Sum

from donhang.catalog.models import Variant
from donhang.core.audit import actor_label, actor_user
from donhang.inventory.models import Reservation, StockLevel, StockMovement, Warehouse
from donhang.inventory.services import _lock_levels, stock_changes_record


@dataclass
class Need:
    """One order line's demand: how much more to reserve, and where it may come from."""

    line_id: int
    variant_id: int
    quantity: int
    warehouse_ids: list[int]  # candidates, in priority order
    most_stock: bool = False


def _assert_in_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("reservations must be changed inside transaction.atomic")


@dataclass
class Reserved:
    by_line: dict[int, int]  # line id → units reserved now
    by_warehouse: dict[int, int]  # warehouse id → units reserved now

    @property
    def total(self) -> int:
        return sum(self.by_line.values())


def reserve(needs: Iterable[Need]) -> Reserved:
    """Reserve what is available for each need, returning what was reserved where.

    A line may split across warehouses. With `most_stock`, warehouses are tried from the one
    with the most available stock; otherwise in the given priority order.
    """
    _assert_in_transaction()
    needs = [n for n in needs if n.quantity > 0 and n.warehouse_ids]
    if not needs:
        return Reserved({}, {})
    pairs = {(n.variant_id, w) for n in needs for w in n.warehouse_ids}
    levels = _lock_levels(pairs)
    got: dict[int, int] = {}
    bumps: dict[int, int] = {}
    rows: list[tuple[int, int, int, int]] = []  # line, variant, warehouse, qty
    for need in needs:
        candidates = [
            levels[(need.variant_id, w)]
            for w in need.warehouse_ids
            if (need.variant_id, w) in levels
        ]
        if need.most_stock:
            candidates.sort(key=lambda lvl: -(lvl.on_hand - lvl.reserved))
        remaining = need.quantity
        for level in candidates:
            if remaining == 0:
                break
            free = level.on_hand - level.reserved
            if free <= 0:
                continue
            take = min(free, remaining)
            level.reserved += take  # in-memory too, so later needs in this call see it
            bumps[level.pk] = bumps.get(level.pk, 0) + take
            rows.append((need.line_id, need.variant_id, level.warehouse_id, take))
            remaining -= take
        got[need.line_id] = need.quantity - remaining
    for pk, qty in bumps.items():
        StockLevel.objects.filter(pk=pk).update(reserved=F("reserved") + qty)
    _add_reservation_rows(rows)
    stock_changes_record(variant for _line, variant, _warehouse, _qty in rows)
    by_warehouse: dict[int, int] = {}
    for _line, _variant, warehouse_id, qty in rows:
        by_warehouse[warehouse_id] = by_warehouse.get(warehouse_id, 0) + qty
    return Reserved(got, by_warehouse)


def _add_reservation_rows(
    rows: list[tuple[int, int, int, int]], *, new_lines: bool = False
) -> None:
    if not rows:
        return
    existing = (
        {}
        if new_lines
        else {
            (r.order_line_id, r.warehouse_id): r
            for r in Reservation.objects.filter(order_line_id__in={r[0] for r in rows})
        }
    )
    new = []
    for line_id, variant_id, warehouse_id, qty in rows:
        if (line_id, warehouse_id) in existing:
            Reservation.objects.filter(pk=existing[(line_id, warehouse_id)].pk).update(
                quantity=F("quantity") + qty
            )
        else:
            new.append(
                Reservation(
                    order_line_id=line_id,
                    variant_id=variant_id,
                    warehouse_id=warehouse_id,
                    quantity=qty,
                )
            )
    Reservation.objects.bulk_create(new)


def release(
    line_ids: Iterable[int],
    *,
    keep: dict[int, int] | None = None,
    warehouse_id: int | None = None,
) -> dict[int, int]:
    """Release reservations of order lines; with `keep` {line id: qty}, keep that much per line
    (released from the lowest-priority warehouse first). With `warehouse_id`, only the
    reservations in that warehouse are considered (and `keep` is what stays there).
    Returns {line id: quantity released}."""
    _assert_in_transaction()
    keep = keep or {}
    reservations = Reservation.objects.filter(order_line_id__in=list(line_ids))
    if warehouse_id is not None:
        reservations = reservations.filter(warehouse_id=warehouse_id)
    reservations = list(reservations.order_by("order_line_id", "-id"))
    if not reservations:
        return {}
    levels = _lock_levels({(r.variant_id, r.warehouse_id) for r in reservations})
    held: dict[int, int] = {}
    for r in reservations:
        held[r.order_line_id] = held.get(r.order_line_id, 0) + r.quantity
    to_release = {line: max(qty - keep.get(line, 0), 0) for line, qty in held.items()}
    released: dict[int, int] = {}
    changed: set[int] = set()
    for r in reservations:  # newest reservation of each line first
        want = to_release[r.order_line_id] - released.get(r.order_line_id, 0)
        if want <= 0:
            continue
        take = min(want, r.quantity)
        level = levels[(r.variant_id, r.warehouse_id)]
        StockLevel.objects.filter(pk=level.pk).update(reserved=F("reserved") - take)
        if take == r.quantity:
            r.delete()
        else:
            Reservation.objects.filter(pk=r.pk).update(quantity=F("quantity") - take)
        released[r.order_line_id] = released.get(r.order_line_id, 0) + take
        changed.add(r.variant_id)
    stock_changes_record(changed)
    return released


def consume(
    line_ids: Iterable[int], *, actor=None, reference_type="", reference_id="", reference_label=""
) -> list[StockMovement]:
    """Hand-over: turn the lines' reservations into sale movements (stock leaves the warehouse),
    each carrying its order line and the variant's cost price at this moment."""
    _assert_in_transaction()
    reservations = list(Reservation.objects.filter(order_line_id__in=list(line_ids)).order_by("id"))
    if not reservations:
        return []
    levels = _lock_levels({(r.variant_id, r.warehouse_id) for r in reservations})
    per_level: dict[int, int] = {}
    for r in reservations:
        pk = levels[(r.variant_id, r.warehouse_id)].pk
        per_level[pk] = per_level.get(pk, 0) + r.quantity
    for pk, qty in per_level.items():
        StockLevel.objects.filter(pk=pk).update(
            on_hand=F("on_hand") - qty, reserved=F("reserved") - qty
        )
    costs = dict(
        Variant.objects.filter(pk__in={r.variant_id for r in reservations}).values_list(
            "pk", "cost_price"
        )
    )
    user, label = actor_user(actor), actor_label(actor)[:150]
    movements = StockMovement.objects.bulk_create(
        [
            StockMovement(
                variant_id=r.variant_id,
                warehouse_id=r.warehouse_id,
                delta=-r.quantity,
                kind=StockMovement.Kind.SALE,
                unit_cost=costs.get(r.variant_id),
                order_line_id=r.order_line_id,
                actor=user,
                actor_label=label,
                reference_type=reference_type,
                reference_id=str(reference_id),
                reference_label=reference_label[:120],
            )
            for r in reservations
        ]
    )
    Reservation.objects.filter(pk__in=[r.pk for r in reservations]).delete()
    stock_changes_record(r.variant_id for r in reservations)
    return movements


def reserved_by_line(line_ids: Iterable[int]) -> dict[int, int]:
    return dict(
        Reservation.objects.filter(order_line_id__in=list(line_ids))
        .values("order_line_id")
        .annotate(total=Sum("quantity"))
        .values_list("order_line_id", "total")
    )


def candidate_warehouses(warehouse_ids: list[int] | None = None) -> list[int]:
    """Active warehouses, in priority order; limited to `warehouse_ids` when given."""
    qs = Warehouse.objects.filter(is_active=True).order_by("priority", "code")
    if warehouse_ids:
        qs = qs.filter(pk__in=warehouse_ids)
    return list(qs.values_list("pk", flat=True))
