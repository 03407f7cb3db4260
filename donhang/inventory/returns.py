"""Goods coming back from buyers (the returns flow of donhang.returns), always at the cost they
left with, so that margins and the inventory's value stay true.

- Received: the units of a return arrive at a warehouse into its "returned, to inspect" quantity
  (not sellable). A carrier's returned parcel is already there (stock_returned_to_inspect).
- Inspected: good units leave "returned, to inspect" for sellable stock of a chosen warehouse;
  damaged units are written off (a damaged movement, never sellable); missing units are written
  off as an adjustment. Goods handed in at the counter skip the waiting: good units go straight
  to sellable stock, damaged ones are recorded as arrived and written off at once.

Every movement carries its order line, the sale movement's unit cost and the return as its
reference; good units move the variant's cost price to the moving average over all units owned
(as a goods receipt does) and are offered to orders waiting for stock (hook ``stock.arrived``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from donhang.catalog.models import Variant
from donhang.core import hooks
from donhang.core.audit import actor_label, actor_user
from donhang.core.errors import Conflict, ValidationFailed
from donhang.core.money import round_vnd
from donhang.inventory.models import (
    StockLevel,
    StockMovement,
    Transfer,
    TransferLine,
    Warehouse,
)
from donhang.inventory.services import MAX_QUANTITY, _lock_levels, stock_changes_record

KIND = StockMovement.Kind
BUCKET = StockMovement.Bucket


@dataclass(frozen=True)
class ReturnedLine:
    """Units of one order line coming back."""

    order_line_id: int
    variant_id: int
    quantity: int


@dataclass(frozen=True)
class InspectedLine:
    """What an inspection found for one order line's returned units. Good units go to
    `good_warehouse_id`; units waiting for inspection are taken from `waiting_warehouse_ids`
    first (then any warehouse where this line's units wait)."""

    order_line_id: int
    variant_id: int
    good: int = 0
    damaged: int = 0
    missing: int = 0
    good_warehouse_id: int | None = None
    waiting_warehouse_ids: tuple[int, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class _Row:
    variant_id: int
    warehouse_id: int
    delta: int
    kind: str
    bucket: str
    unit_cost: int | None
    order_line_id: int
    reason: str


def sale_costs(order_line_ids: Iterable[int]) -> dict[int, int | None]:
    """The unit cost each order line left the warehouse with (its sale movements; the weighted
    average when it left from several at different costs). None: never sold or cost unknown."""
    sums: dict[int, list[int]] = {}
    for line_id, delta, cost in StockMovement.objects.filter(
        order_line_id__in=list(order_line_ids), kind=KIND.SALE, unit_cost__isnull=False
    ).values_list("order_line_id", "delta", "unit_cost"):
        units = -delta
        acc = sums.setdefault(line_id, [0, 0])
        acc[0] += units
        acc[1] += units * cost
    return {
        line_id: (round_vnd(Decimal(value) / units) if units > 0 else None)
        for line_id, (units, value) in sums.items()
    }


def waiting_units(order_line_ids: Iterable[int]) -> dict[tuple[int, int], int]:
    """Units of these order lines waiting in "returned, to inspect": {(line, warehouse): units}."""
    return {
        (row["order_line_id"], row["warehouse_id"]): row["total"]
        for row in StockMovement.objects.filter(
            order_line_id__in=list(order_line_ids), bucket=BUCKET.RETURNED
        )
        .values("order_line_id", "warehouse_id")
        .annotate(total=Sum("delta"))
        .order_by()
        if row["total"]
    }


def _check_quantity(value: int, field: str, errors: dict[str, str]) -> None:
    if not isinstance(value, int) or value < 0:
        errors[field] = _("Enter 0 or more.")
    elif value > MAX_QUANTITY:
        errors[field] = _("Enter at most %(max)s.") % {"max": MAX_QUANTITY}


def _active_warehouses(ids: set[int]) -> dict[int, Warehouse]:
    warehouses = Warehouse.objects.in_bulk(list(ids))
    missing = ids - set(warehouses)
    if missing:
        raise ValidationFailed(
            _("Unknown warehouse."), fields={"warehouse": _("Choose a warehouse.")}
        )
    inactive = next((w for w in warehouses.values() if not w.is_active), None)
    if inactive is not None:
        raise Conflict(
            _("%(warehouse)s is inactive; activate it before moving stock in or out of it.")
            % {"warehouse": inactive.name},
            fields={"warehouse": _("This warehouse is inactive.")},
            code="warehouse_inactive",
        )
    return warehouses


def _units_owned(variant_id: int) -> int:
    """Sellable units of the variant the shop owns: on hand everywhere plus in transit."""
    on_hand = StockLevel.objects.filter(variant_id=variant_id).aggregate(n=Sum("on_hand"))["n"]
    in_transit = TransferLine.objects.filter(
        variant_id=variant_id, transfer__status=Transfer.Status.IN_TRANSIT
    ).aggregate(n=Sum("quantity"))["n"]
    return (on_hand or 0) + (in_transit or 0)


def _post(
    rows: list[_Row],
    *,
    actor,
    reference_type: str,
    reference_id: str,
    reference_label: str,
) -> list[StockMovement]:
    """Write the movements and their levels (the caller locked the levels)."""
    levels = _lock_levels({(r.variant_id, r.warehouse_id) for r in rows})
    on_hand: dict[int, int] = {}
    returned: dict[int, int] = {}
    for r in rows:
        pk = levels[(r.variant_id, r.warehouse_id)].pk
        target = returned if r.bucket == BUCKET.RETURNED else on_hand
        target[pk] = target.get(pk, 0) + r.delta
    short = [lvl for lvl in levels.values() if returned.get(lvl.pk, 0) + lvl.returned < 0]
    if short:
        raise Conflict(
            _("Fewer units wait for inspection than the inspection takes; reload the page."),
            fields={"lines": _("Not waiting for inspection.")},
            code="not_waiting",
        )
    for pk in set(on_hand) | set(returned):
        StockLevel.objects.filter(pk=pk).update(
            on_hand=F("on_hand") + on_hand.get(pk, 0), returned=F("returned") + returned.get(pk, 0)
        )
    user, label = actor_user(actor), actor_label(actor)[:150]
    movements = StockMovement.objects.bulk_create(
        [
            StockMovement(
                variant_id=r.variant_id,
                warehouse_id=r.warehouse_id,
                delta=r.delta,
                kind=r.kind,
                bucket=r.bucket,
                unit_cost=r.unit_cost,
                order_line_id=r.order_line_id,
                reason=r.reason[:255],
                actor=user,
                actor_label=label,
                reference_type=reference_type,
                reference_id=str(reference_id),
                reference_label=reference_label[:120],
            )
            for r in rows
            if r.delta
        ]
    )
    stock_changes_record(r.variant_id for r in rows)
    return movements


def _costs_with_fallback(lines) -> dict[int, int | None]:
    costs = sale_costs(ln.order_line_id for ln in lines)
    missing = {ln.variant_id for ln in lines if costs.get(ln.order_line_id) is None}
    if missing:
        current = dict(Variant.objects.filter(pk__in=missing).values_list("pk", "cost_price"))
        for ln in lines:
            if costs.get(ln.order_line_id) is None:
                costs[ln.order_line_id] = current.get(ln.variant_id)
    return costs


@transaction.atomic
def stock_return_receive(
    *,
    lines: list[ReturnedLine],
    warehouse: Warehouse,
    actor=None,
    reference_type: str = "return",
    reference_id: str = "",
    reference_label: str = "",
) -> list[StockMovement]:
    """Returned goods arrived at `warehouse`: into its "returned, to inspect" quantity, one
    return movement per line, at the cost the line left with."""
    errors: dict[str, str] = {}
    for i, ln in enumerate(lines):
        _check_quantity(ln.quantity, f"lines.{i}.quantity", errors)
    if errors:
        raise ValidationFailed(_("Some lines are not valid."), fields=errors)
    lines = [ln for ln in lines if ln.quantity]
    if not lines:
        return []
    _active_warehouses({warehouse.pk})
    costs = _costs_with_fallback(lines)
    reason = _("Returned goods, to inspect")
    return _post(
        [
            _Row(
                ln.variant_id,
                warehouse.pk,
                ln.quantity,
                KIND.RETURN,
                BUCKET.RETURNED,
                costs.get(ln.order_line_id),
                ln.order_line_id,
                reason,
            )
            for ln in lines
        ],
        actor=actor,
        reference_type=reference_type,
        reference_id=reference_id,
        reference_label=reference_label,
    )


def _counter_warehouse(line: InspectedLine) -> int | None:
    """Where goods handed in at the counter are: the good units' warehouse, else the first."""
    return line.good_warehouse_id or (line.waiting_warehouse_ids or (None,))[0]


@transaction.atomic
def stock_return_inspect(
    *,
    lines: list[InspectedLine],
    straight: bool = False,
    actor=None,
    reference_type: str = "return",
    reference_id: str = "",
    reference_label: str = "",
) -> list[StockMovement]:
    """Post what an inspection found (see the module's docstring). With `straight` (goods handed
    in at the counter) nothing waits in "returned, to inspect": good units go straight to
    sellable stock and missing units post nothing. Refuses (Conflict) when fewer units of a line
    wait for inspection than it takes."""
    errors: dict[str, str] = {}
    for i, ln in enumerate(lines):
        for name in ("good", "damaged", "missing"):
            _check_quantity(getattr(ln, name), f"lines.{i}.{name}", errors)
        if ln.good and not ln.good_warehouse_id:
            errors[f"lines.{i}.warehouse"] = _("Choose the warehouse the good units go to.")
    if errors:
        raise ValidationFailed(_("Some lines are not valid."), fields=errors)
    lines = [ln for ln in lines if ln.good or ln.damaged or ln.missing]
    if not lines:
        return []
    warehouse_ids = {ln.good_warehouse_id for ln in lines if ln.good}
    if straight:
        warehouse_ids |= {_counter_warehouse(ln) for ln in lines if ln.damaged} - {None}
    if warehouse_ids:
        _active_warehouses(warehouse_ids)
    costs = _costs_with_fallback(lines)
    good_by_variant: dict[int, list[tuple[int, int | None]]] = {}
    for ln in lines:
        if ln.good:
            good_by_variant.setdefault(ln.variant_id, []).append((ln.good, costs[ln.order_line_id]))
    # Cost first (it reads the units owned before these come back), then stock; the variants'
    # rows are locked in primary-key order, as a goods receipt does.
    locked = {
        v.pk: v
        for v in Variant.objects.select_for_update()
        .filter(pk__in=list(good_by_variant))
        .order_by("pk")
    }
    for variant_id, batches in good_by_variant.items():
        variant = locked[variant_id]
        owned = _units_owned(variant_id)
        units = sum(q for q, _c in batches)
        value = sum(q * (variant.cost_price if c is None else c) for q, c in batches)
        if owned <= 0:
            new_cost = round_vnd(Decimal(value) / units)
        else:
            new_cost = round_vnd(Decimal(owned * variant.cost_price + value) / (owned + units))
        if new_cost != variant.cost_price:
            Variant.objects.filter(pk=variant_id).update(cost_price=new_cost)

    rows: list[_Row] = []
    waiting: dict[tuple[int, int], int] = {}
    if not straight:
        # Every level this inspection may touch, locked at once in primary-key order before
        # what waits is read again, so that two inspections cannot take the same units.
        variant_of = {ln.order_line_id: ln.variant_id for ln in lines}
        pairs = {(variant_of[line_id], w) for line_id, w in waiting_units(variant_of)}
        pairs |= {(ln.variant_id, ln.good_warehouse_id) for ln in lines if ln.good}
        _lock_levels(pairs)
        waiting = waiting_units(variant_of)
    for ln in lines:
        cost = costs.get(ln.order_line_id)
        out_reason = {
            "good": _("Inspected: good, back to sellable stock"),
            "damaged": _("Inspected: damaged") + (f" — {ln.note}" if ln.note else ""),
            "missing": _("Inspected: missing from the returned goods"),
        }
        if straight:
            if ln.good:
                rows.append(
                    _Row(
                        ln.variant_id,
                        ln.good_warehouse_id,
                        ln.good,
                        KIND.RETURN,
                        BUCKET.ON_HAND,
                        cost,
                        ln.order_line_id,
                        _("Returned at the counter: good"),
                    )
                )
            if ln.damaged:
                where = _counter_warehouse(ln)
                if where is None:
                    raise ValidationFailed(
                        _("Choose the warehouse that took the goods back."),
                        fields={"warehouse": _("Required.")},
                    )
                rows.append(
                    _Row(
                        ln.variant_id,
                        where,
                        ln.damaged,
                        KIND.RETURN,
                        BUCKET.RETURNED,
                        cost,
                        ln.order_line_id,
                        _("Returned at the counter: damaged"),
                    )
                )
                rows.append(
                    _Row(
                        ln.variant_id,
                        where,
                        -ln.damaged,
                        KIND.DAMAGED,
                        BUCKET.RETURNED,
                        cost,
                        ln.order_line_id,
                        out_reason["damaged"],
                    )
                )
            continue
        available = {
            w: units for (line_id, w), units in waiting.items() if line_id == ln.order_line_id
        }
        order = list(ln.waiting_warehouse_ids) + sorted(
            w for w in available if w not in ln.waiting_warehouse_ids
        )
        if sum(max(u, 0) for u in available.values()) < ln.good + ln.damaged + ln.missing:
            raise Conflict(
                _(
                    "Only %(n)s units of this line wait for inspection; the inspection "
                    "accounts for %(m)s."
                )
                % {"n": sum(available.values()), "m": ln.good + ln.damaged + ln.missing},
                fields={"lines": _("More than waits for inspection.")},
                code="not_waiting",
            )
        for what, quantity in (("good", ln.good), ("damaged", ln.damaged), ("missing", ln.missing)):
            remaining = quantity
            for w in order:
                if remaining == 0:
                    break
                take = min(available.get(w, 0), remaining)
                if take <= 0:
                    continue
                available[w] -= take
                remaining -= take
                kind = {"good": KIND.RETURN, "damaged": KIND.DAMAGED, "missing": KIND.ADJUSTMENT}[
                    what
                ]
                rows.append(
                    _Row(
                        ln.variant_id,
                        w,
                        -take,
                        kind,
                        BUCKET.RETURNED,
                        cost,
                        ln.order_line_id,
                        out_reason[what],
                    )
                )
                if what == "good":
                    rows.append(
                        _Row(
                            ln.variant_id,
                            ln.good_warehouse_id,
                            take,
                            KIND.RETURN,
                            BUCKET.ON_HAND,
                            cost,
                            ln.order_line_id,
                            out_reason["good"],
                        )
                    )
    movements = _post(
        rows,
        actor=actor,
        reference_type=reference_type,
        reference_id=reference_id,
        reference_label=reference_label,
    )
    if good_by_variant:
        hooks.emit("stock.arrived", variant_ids=set(good_by_variant), actor=actor)
    return movements
