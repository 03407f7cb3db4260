"""Reservations: stock held for order lines, per warehouse, under row locks.

The caller owns the transaction (these functions must run inside `transaction.atomic`). Rows of
StockLevel are locked in primary-key order before availability is read, so two orders for the
last unit can never both get it (DESIGN.md 3.4); SQLite's IMMEDIATE transactions serialise
writers instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F, Sum

from donhang.catalog.models import Variant
from donhang.core import rawsql
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


@dataclass
class _Level:
    pk: int
    warehouse_id: int
    on_hand: int
    reserved: int


@dataclass
class Plan:
    """What `reserve_plan` found under the locks: units to take per need and level."""

    takes: list[tuple[int, int, int, int, int]]  # need key, variant, warehouse, level id, qty
    by_line: dict[int, int]  # need key → units
    by_warehouse: dict[int, int]  # warehouse id → units

    @property
    def total(self) -> int:
        return sum(self.by_line.values())


def reserve_plan(needs: Iterable[Need]) -> Plan:
    """Lock the stock levels the needs may draw on (one statement, primary-key order) and work
    out what each need gets; nothing is written yet (`reserve_apply` does). `Need.line_id` is
    only a key here: the lines may not exist yet (intake reserves before it inserts them).

    A need may split across warehouses. With `most_stock`, warehouses are tried from the one
    with the most available stock; otherwise in the given priority order. A level row that
    does not exist holds nothing, so none is created.
    """
    _assert_in_transaction()
    needs = [n for n in needs if n.quantity > 0 and n.warehouse_ids]
    if not needs:
        return Plan([], {}, {})
    variants = sorted({n.variant_id for n in needs})
    warehouses = sorted({w for n in needs for w in n.warehouse_ids})
    rows = _locked_levels(variants, warehouses)
    levels = {
        (variant_id, warehouse_id): _Level(pk, warehouse_id, on_hand, reserved)
        for pk, variant_id, warehouse_id, on_hand, reserved in rows
    }
    got: dict[int, int] = {}
    takes: list[tuple[int, int, int, int, int]] = []
    by_warehouse: dict[int, int] = {}
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
            level.reserved += take  # in memory too, so later needs in this call see it
            takes.append((need.line_id, need.variant_id, level.warehouse_id, level.pk, take))
            by_warehouse[level.warehouse_id] = by_warehouse.get(level.warehouse_id, 0) + take
            remaining -= take
        got[need.line_id] = got.get(need.line_id, 0) + need.quantity - remaining
    return Plan(takes, got, by_warehouse)


def _locked_levels(variants: list[int], warehouses: list[int]) -> list[tuple]:
    """(pk, variant, warehouse, on hand, reserved) of the levels of these variants in these
    warehouses, locked in primary-key order: select_for_update() written out (the ORM takes
    longer to build it than the database to run it)."""
    table = connection.ops.quote_name(StockLevel._meta.db_table)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT id, variant_id, warehouse_id, on_hand, reserved FROM {table} "
            f"WHERE variant_id IN ({', '.join(['%s'] * len(variants))}) "
            f"AND warehouse_id IN ({', '.join(['%s'] * len(warehouses))}) ORDER BY id{lock}",
            [*variants, *warehouses],
        )
        return cur.fetchall()


def reserve_apply(
    plan: Plan, *, line_ids: dict[int, int] | None = None, new_lines: bool = False
) -> None:
    """Write a plan in three statements whatever its size: the stock levels (one UPDATE), the
    reservation rows (one INSERT, plus one UPDATE for rows that already exist) and the
    stock-changed records. `line_ids` maps the plan's need keys to order line ids (when the
    needs were keyed before the lines existed); `new_lines`: the lines have no reservations
    yet, so none is looked up."""
    _assert_in_transaction()
    if not plan.takes:
        return
    per_level: dict[int, int] = {}
    per_row: dict[tuple[int, int], tuple[int, int]] = {}  # (line, warehouse) → (variant, qty)
    for key, variant_id, warehouse_id, level_pk, qty in plan.takes:
        per_level[level_pk] = per_level.get(level_pk, 0) + qty
        line_id = line_ids[key] if line_ids is not None else key
        _variant, before = per_row.get((line_id, warehouse_id), (variant_id, 0))
        per_row[(line_id, warehouse_id)] = (variant_id, before + qty)
    _add_to_column(StockLevel, "reserved", per_level)
    _add_reservation_rows(per_row, new_lines=new_lines)
    stock_changes_record(variant for variant, _qty in per_row.values())


def reserve(needs: Iterable[Need]) -> Reserved:
    """Reserve what is available for each need (of existing order lines), returning what was
    reserved where: `reserve_plan` then `reserve_apply`."""
    plan = reserve_plan(needs)
    reserve_apply(plan)
    return Reserved(plan.by_line, plan.by_warehouse)


def _add_to_column(model, column: str, amounts: dict[int, int]) -> None:
    """column += amounts[pk] on each row, in one UPDATE (a CASE over the primary key; written
    out, as the ORM takes longer to build this statement than the database to run it)."""
    if not amounts:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    name = connection.ops.quote_name(column)
    cases = " ".join("WHEN %s THEN %s" for _ in amounts)
    params = [v for pk, qty in amounts.items() for v in (pk, qty)] + list(amounts)
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {table} SET {name} = {name} + CASE id {cases} END "
            f"WHERE id IN ({', '.join(['%s'] * len(amounts))})",
            params,
        )


def _add_reservation_rows(
    rows: dict[tuple[int, int], tuple[int, int]], *, new_lines: bool = False
) -> None:
    """Add quantities to the reservations of (line, warehouse): one UPDATE for those that exist,
    one INSERT for the others."""
    if not rows:
        return
    existing: dict[tuple[int, int], int] = {}
    if not new_lines:
        existing = {
            (line, warehouse): pk
            for line, warehouse, pk in Reservation.objects.filter(
                order_line_id__in={line for line, _w in rows}
            ).values_list("order_line_id", "warehouse_id", "pk")
        }
    bumps = {existing[k]: qty for k, (_v, qty) in rows.items() if k in existing}
    if bumps:
        _add_to_column(Reservation, "quantity", bumps)
    rawsql.insert(
        [
            Reservation(
                order_line_id=line_id,
                variant_id=variant_id,
                warehouse_id=warehouse_id,
                quantity=qty,
            )
            for (line_id, warehouse_id), (variant_id, qty) in rows.items()
            if (line_id, warehouse_id) not in existing
        ]
    )


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
    per_level: dict[int, int] = {}
    gone: list[int] = []
    less: dict[int, int] = {}
    for r in reservations:  # newest reservation of each line first
        want = to_release[r.order_line_id] - released.get(r.order_line_id, 0)
        if want <= 0:
            continue
        take = min(want, r.quantity)
        level = levels[(r.variant_id, r.warehouse_id)]
        per_level[level.pk] = per_level.get(level.pk, 0) - take
        if take == r.quantity:
            gone.append(r.pk)
        else:
            less[r.pk] = -take
        released[r.order_line_id] = released.get(r.order_line_id, 0) + take
        changed.add(r.variant_id)
    # One statement per table, whatever the number of lines and warehouses.
    _add_to_column(StockLevel, "reserved", per_level)
    _add_to_column(Reservation, "quantity", less)
    if gone:
        Reservation.objects.filter(pk__in=gone).delete()
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
    return [w.pk for w in candidate_warehouse_rows(warehouse_ids)]


def candidate_warehouse_rows(warehouse_ids: list[int] | None = None) -> list[Warehouse]:
    """`candidate_warehouses` as rows (one query)."""
    qs = Warehouse.objects.filter(is_active=True).order_by("priority", "code")
    if warehouse_ids:
        qs = qs.filter(pk__in=warehouse_ids)
    return list(qs)
