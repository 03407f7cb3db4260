"""Stock writes. Every change is a StockMovement plus the StockLevel cache, in one transaction.

Locking (DESIGN.md 3.4): the StockLevel rows a change touches are locked with select_for_update()
in primary-key order, availability is re-checked under the lock, counters move with F().
On SQLite the IMMEDIATE transaction mode serialises writers instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from donhang.core.audit import actor_label, actor_user
from donhang.core.errors import Conflict, ValidationFailed
from donhang.inventory.models import StockLevel, StockMovement, Warehouse


@dataclass(frozen=True)
class MovementLine:
    variant_id: int
    warehouse_id: int
    delta: int


def _lock_levels(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], StockLevel]:
    """Get or create and lock the StockLevel rows of (variant, warehouse) pairs, in pk order."""
    existing = {
        (lvl.variant_id, lvl.warehouse_id)
        for lvl in StockLevel.objects.filter(
            variant_id__in={v for v, _w in pairs}, warehouse_id__in={w for _v, w in pairs}
        ).only("variant_id", "warehouse_id")
    }
    missing = pairs - existing
    if missing:
        negative = dict(
            Warehouse.objects.filter(pk__in={w for _v, w in missing}).values_list(
                "pk", "allow_negative_stock"
            )
        )
        StockLevel.objects.bulk_create(
            [
                StockLevel(variant_id=v, warehouse_id=w, allow_negative=negative.get(w, False))
                for v, w in missing
            ],
            ignore_conflicts=True,
        )
    rows = (
        StockLevel.objects.select_for_update()
        .filter(variant_id__in={v for v, _w in pairs}, warehouse_id__in={w for _v, w in pairs})
        .order_by("pk")
    )
    return {
        (lvl.variant_id, lvl.warehouse_id): lvl
        for lvl in rows
        if (lvl.variant_id, lvl.warehouse_id) in pairs
    }


@transaction.atomic
def stock_movements_post(
    *,
    lines: list[MovementLine],
    kind: str,
    reason: str = "",
    actor=None,
    reference_type: str = "",
    reference_id: str = "",
    reference_label: str = "",
) -> list[StockMovement]:
    """Post movements of one document (initial stock, receipt, adjustment…) atomically.

    Refuses (Conflict) any line that would take on hand below what is reserved, unless the
    warehouse allows negative stock. Lines with delta 0 are skipped.
    """
    if kind not in StockMovement.Kind.values:
        raise ValidationFailed(_("Unknown movement kind."), fields={"kind": kind})
    lines = [ln for ln in lines if ln.delta]
    if not lines:
        return []
    levels = _lock_levels({(ln.variant_id, ln.warehouse_id) for ln in lines})
    net: dict[tuple[int, int], int] = {}
    for ln in lines:
        net[(ln.variant_id, ln.warehouse_id)] = (
            net.get((ln.variant_id, ln.warehouse_id), 0) + ln.delta
        )
    for key, delta in net.items():
        level = levels[key]
        if not level.allow_negative and level.on_hand + delta < level.reserved:
            raise Conflict(
                _("Not enough stock: %(available)s available, change of %(delta)s refused.")
                % {"available": level.on_hand - level.reserved, "delta": delta},
                fields={"quantity": _("Exceeds available stock.")},
                code="insufficient_stock",
            )
    for key, delta in net.items():
        StockLevel.objects.filter(pk=levels[key].pk).update(on_hand=F("on_hand") + delta)
    user, label = actor_user(actor), actor_label(actor)[:150]
    return StockMovement.objects.bulk_create(
        [
            StockMovement(
                variant_id=ln.variant_id,
                warehouse_id=ln.warehouse_id,
                delta=ln.delta,
                kind=kind,
                reason=reason[:255],
                actor=user,
                actor_label=label,
                reference_type=reference_type,
                reference_id=str(reference_id),
                reference_label=reference_label[:120],
            )
            for ln in lines
        ]
    )


def stock_initial_post(*, variant, quantities: dict[int, int], actor=None) -> list[StockMovement]:
    """Initial stock of a new variant: {warehouse id: quantity}. Quantities must be ≥ 0."""
    for warehouse_id, qty in quantities.items():
        if qty < 0:
            raise ValidationFailed(
                _("Initial stock cannot be negative."),
                fields={f"initial_stock.{warehouse_id}": _("Enter 0 or more.")},
            )
    return stock_movements_post(
        lines=[MovementLine(variant.pk, wid, qty) for wid, qty in quantities.items()],
        kind=StockMovement.Kind.INITIAL,
        reason=_("Initial stock"),
        actor=actor,
        reference_type="variant",
        reference_id=str(variant.pk),
        reference_label=variant.sku,
    )
