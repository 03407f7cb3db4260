"""Stock writes. Every change is a StockMovement plus the StockLevel cache, in one transaction.

Locking (DESIGN.md 3.4): the StockLevel rows a change touches are locked with select_for_update()
in primary-key order, availability is re-checked under the lock, counters move with F().
On SQLite the IMMEDIATE transaction mode serialises writers instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from donhang.core.audit import actor_label, actor_user, audit
from donhang.core.errors import Conflict, ValidationFailed
from donhang.core.phone import normalize_phone
from donhang.customers.selectors import address_units_resolve
from donhang.inventory.models import StockLevel, StockMovement, Warehouse

# The most units one line of a document may carry: a typo of a few extra digits is a message
# naming the field, not a database overflow (quantities are 32-bit columns).
MAX_QUANTITY = 1_000_000


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
    warehouse allows negative stock, and any line of an inactive warehouse. Lines with delta 0
    are skipped.
    """
    if kind not in StockMovement.Kind.values:
        raise ValidationFailed(_("Unknown movement kind."), fields={"kind": kind})
    lines = [ln for ln in lines if ln.delta]
    if not lines:
        return []
    inactive = Warehouse.objects.filter(
        pk__in={ln.warehouse_id for ln in lines}, is_active=False
    ).first()
    if inactive is not None:
        raise Conflict(
            _("%(warehouse)s is inactive; activate it before moving stock in or out of it.")
            % {"warehouse": inactive.name},
            fields={"warehouse": _("This warehouse is inactive.")},
            code="warehouse_inactive",
        )
    levels = _lock_levels({(ln.variant_id, ln.warehouse_id) for ln in lines})
    net: dict[tuple[int, int], int] = {}
    for ln in lines:
        net[(ln.variant_id, ln.warehouse_id)] = (
            net.get((ln.variant_id, ln.warehouse_id), 0) + ln.delta
        )
    short = [
        (key, delta, levels[key])
        for key, delta in net.items()
        if not levels[key].allow_negative and levels[key].on_hand + delta < levels[key].reserved
    ]
    if short:
        from donhang.catalog.models import Variant

        skus = dict(
            Variant.objects.filter(pk__in={k[0] for k, _d, _l in short}).values_list("pk", "sku")
        )
        names = dict(
            Warehouse.objects.filter(pk__in={k[1] for k, _d, _l in short}).values_list("pk", "name")
        )
        details = [
            _("%(sku)s in %(warehouse)s: %(available)s available, change of %(delta)s")
            % {
                "sku": skus.get(k[0], k[0]),
                "warehouse": names.get(k[1], k[1]),
                "available": lvl.on_hand - lvl.reserved,
                "delta": d,
            }
            for k, d, lvl in short
        ]
        raise Conflict(
            _("Not enough stock: %(details)s.") % {"details": "; ".join(details)},
            fields={
                f"quantity.{skus.get(k[0], k[0])}": _("Exceeds available stock.")
                for k, _d, _l in short
            }
            | {"quantity": _("Exceeds available stock.")},
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


# --- warehouses -------------------------------------------------------------------------------

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]*$")
_CODE_MAX = 20
_PRIORITY_MAX = 32767


class _Unset:
    def __repr__(self):
        return "UNSET"


UNSET: Any = _Unset()
"""Default of warehouse_update's arguments: the field is left as it is."""


def _clean_code(code: str) -> str:
    code = (code or "").strip().upper()
    if not code:
        raise ValidationFailed(
            _("Give the warehouse a code."), fields={"code": _("This field is required.")}
        )
    if len(code) > _CODE_MAX or not CODE_PATTERN.match(code):
        reason = _("Use up to 20 letters, digits, - or _ (for example HN or KHO-01).")
        raise ValidationFailed(reason, fields={"code": reason})
    return code


def _code_taken(code: str) -> Conflict:
    reason = _("Another warehouse already uses the code %(code)s.") % {"code": code}
    return Conflict(reason, fields={"code": reason}, code="duplicate_code")


def warehouse_fields_validate(values: dict) -> dict:
    """Validate and normalise the warehouse fields present in `values` (code, name, kind,
    address_line, contact_name, phone, priority); raise ValidationFailed naming the field."""
    cleaned = dict(values)
    if "code" in cleaned:
        cleaned["code"] = _clean_code(cleaned["code"])
    if "name" in cleaned:
        cleaned["name"] = (cleaned["name"] or "").strip()
        if not cleaned["name"]:
            raise ValidationFailed(
                _("Give the warehouse a name."), fields={"name": _("This field is required.")}
            )
        if len(cleaned["name"]) > 120:
            raise ValidationFailed(
                _("The name is too long."), fields={"name": _("Use at most 120 characters.")}
            )
    if "kind" in cleaned and cleaned["kind"] not in Warehouse.Kind.values:
        raise ValidationFailed(
            _("Unknown warehouse type."),
            fields={"kind": _("Choose one of: %s") % ", ".join(Warehouse.Kind.values)},
        )
    for name, limit in (("address_line", 255), ("contact_name", 120)):
        if name in cleaned:
            cleaned[name] = (cleaned[name] or "").strip()
            if len(cleaned[name]) > limit:
                raise ValidationFailed(
                    _("Some text is too long."),
                    fields={name: _("Use at most %(limit)s characters.") % {"limit": limit}},
                )
    if "phone" in cleaned:
        raw = (cleaned["phone"] or "").strip()
        cleaned["phone"] = normalize_phone(raw) if raw else ""
    if "priority" in cleaned:
        priority = cleaned["priority"]
        if not isinstance(priority, int) or isinstance(priority, bool):
            raise ValidationFailed(
                _("Priority is a whole number."), fields={"priority": _("Enter a number.")}
            )
        if not 0 <= priority <= _PRIORITY_MAX:
            raise ValidationFailed(
                _("Priority is out of range."),
                fields={"priority": _("Enter a number from 0 to %s.") % _PRIORITY_MAX},
            )
    return cleaned


def _save(warehouse: Warehouse) -> None:
    # The unique index is the final word when two people pick the same code at once.
    try:
        with transaction.atomic():
            warehouse.save()
    except IntegrityError:
        if Warehouse.objects.filter(code=warehouse.code).exclude(pk=warehouse.pk).exists():
            raise _code_taken(warehouse.code) from None
        raise


def _refuse_deactivation_with_stock(warehouse: Warehouse) -> None:
    # Locked so that no movement slips in between the check and the deactivation.
    busy = list(
        StockLevel.objects.select_for_update()
        .filter(warehouse=warehouse)
        .filter(~Q(on_hand=0) | ~Q(reserved=0))
        .order_by("pk")
    )
    if not busy:
        return
    on_hand = sum(level.on_hand for level in busy)
    reserved = sum(level.reserved for level in busy)
    raise Conflict(
        _(
            "%(warehouse)s still holds stock (%(on_hand)s on hand, %(reserved)s reserved, over "
            "%(variants)s variants). Transfer or adjust it to zero and release the reservations "
            "before deactivating the warehouse."
        )
        % {
            "warehouse": warehouse.name,
            "on_hand": on_hand,
            "reserved": reserved,
            "variants": len(busy),
        },
        fields={"is_active": _("The warehouse still holds stock.")},
        code="warehouse_has_stock",
    )


def _apply_allow_negative(warehouse: Warehouse) -> None:
    """Copy the warehouse's setting onto its stock levels (the DB constraint reads them)."""
    try:
        with transaction.atomic():
            StockLevel.objects.filter(warehouse=warehouse).update(
                allow_negative=warehouse.allow_negative_stock
            )
    except IntegrityError:
        reason = _(
            "Some variants in this warehouse have less on hand than reserved. Correct their "
            "stock before turning negative stock off."
        )
        raise Conflict(
            reason, fields={"allow_negative_stock": reason}, code="negative_stock"
        ) from None


@transaction.atomic
def warehouse_create(
    *,
    code: str,
    name: str,
    kind: str = Warehouse.Kind.BRANCH,
    address_line: str = "",
    province=None,
    ward=None,
    contact_name: str = "",
    phone: str = "",
    is_active: bool = True,
    allow_negative_stock: bool = False,
    priority: int = 100,
    actor=None,
) -> Warehouse:
    """Create a warehouse. `province` and `ward` are rows or government codes.

    Raises ValidationFailed (bad code, name, phone, ward not in the province) or Conflict
    (code taken, naming `code`).
    """
    fields = warehouse_fields_validate(
        {
            "code": code,
            "name": name,
            "kind": kind,
            "address_line": address_line,
            "contact_name": contact_name,
            "phone": phone,
            "priority": priority,
        }
    )
    province_row, ward_row = address_units_resolve(province=province, ward=ward)
    if Warehouse.objects.filter(code=fields["code"]).exists():
        raise _code_taken(fields["code"])
    warehouse = Warehouse(
        **fields,
        province=province_row,
        ward=ward_row,
        is_active=bool(is_active),
        allow_negative_stock=bool(allow_negative_stock),
    )
    _save(warehouse)
    audit(
        actor=actor,
        action="warehouse.create",
        obj=warehouse,
        summary=f"{warehouse.code} {warehouse.name}",
    )
    return warehouse


@transaction.atomic
def warehouse_update(
    *,
    warehouse: Warehouse,
    code: str = UNSET,
    name: str = UNSET,
    kind: str = UNSET,
    address_line: str = UNSET,
    province=UNSET,
    ward=UNSET,
    contact_name: str = UNSET,
    phone: str = UNSET,
    is_active: bool = UNSET,
    allow_negative_stock: bool = UNSET,
    priority: int = UNSET,
    actor=None,
) -> Warehouse:
    """Change the given fields; the others stay. Same rules as warehouse_create, plus:
    deactivating needs an empty warehouse (see warehouse_set_active), and negative stock can
    only be turned off when no variant there has less on hand than reserved.
    """
    warehouse = Warehouse.objects.select_for_update().get(pk=warehouse.pk)
    given = {
        key: value
        for key, value in {
            "code": code,
            "name": name,
            "kind": kind,
            "address_line": address_line,
            "contact_name": contact_name,
            "phone": phone,
            "priority": priority,
        }.items()
        if value is not UNSET
    }
    fields = warehouse_fields_validate(given)
    if province is not UNSET or ward is not UNSET:
        # Changing the province alone keeps the ward only if it lies in the new province.
        province_row, ward_row = address_units_resolve(
            province=warehouse.province_id if province is UNSET else province,
            ward=warehouse.ward_id if ward is UNSET else ward,
        )
        fields["province"], fields["ward"] = province_row, ward_row
    if allow_negative_stock is not UNSET:
        fields["allow_negative_stock"] = bool(allow_negative_stock)
    if is_active is not UNSET:
        fields["is_active"] = bool(is_active)
    if "code" in fields and (
        Warehouse.objects.filter(code=fields["code"]).exclude(pk=warehouse.pk).exists()
    ):
        raise _code_taken(fields["code"])

    changes: dict[str, list] = {}
    for key, value in fields.items():
        attribute = f"{key}_id" if key in {"province", "ward"} else key
        old = getattr(warehouse, attribute)
        new = value.pk if key in {"province", "ward"} and value is not None else value
        if old != new:
            changes[key] = [old, new]
            setattr(warehouse, key, value)
    if not changes:
        return warehouse
    if changes.get("is_active") == [True, False]:
        _refuse_deactivation_with_stock(warehouse)
    _save(warehouse)
    if "allow_negative_stock" in changes:
        _apply_allow_negative(warehouse)
    audit(
        actor=actor,
        action="warehouse.update",
        obj=warehouse,
        summary=f"{warehouse.code}: {', '.join(sorted(changes))}",
        data={"changes": changes},
    )
    return warehouse


@transaction.atomic
def warehouse_set_active(*, warehouse: Warehouse, is_active: bool, actor=None) -> Warehouse:
    """Activate or deactivate. A warehouse with stock on hand or reservations stays active
    (Conflict) until its stock is moved out."""
    warehouse = Warehouse.objects.select_for_update().get(pk=warehouse.pk)
    if warehouse.is_active == bool(is_active):
        return warehouse
    if not is_active:
        _refuse_deactivation_with_stock(warehouse)
    warehouse.is_active = bool(is_active)
    warehouse.save(update_fields=["is_active", "updated_at"])
    audit(
        actor=actor,
        action="warehouse.activate" if is_active else "warehouse.deactivate",
        obj=warehouse,
        summary=warehouse.code,
    )
    return warehouse


@dataclass(frozen=True)
class Drift:
    variant_id: int
    warehouse_id: int
    field: str
    cached: int
    ledger: int


@transaction.atomic
def stock_levels_rebuild(*, fix: bool = True) -> list[Drift]:
    """Recompute every StockLevel from the ledger (on hand = Σ movements, reserved = Σ
    reservations) and report where the cache differed. With fix, the cache is corrected."""
    from django.db.models import Sum

    from donhang.inventory.models import Reservation

    on_hand = {
        (r["variant_id"], r["warehouse_id"]): r["total"]
        for r in StockMovement.objects.values("variant_id", "warehouse_id")
        .annotate(total=Sum("delta"))
        .order_by()
    }
    reserved = {
        (r["variant_id"], r["warehouse_id"]): r["total"]
        for r in Reservation.objects.values("variant_id", "warehouse_id")
        .annotate(total=Sum("quantity"))
        .order_by()
    }
    levels = {
        (lvl.variant_id, lvl.warehouse_id): lvl
        for lvl in StockLevel.objects.select_for_update().order_by("pk")
    }
    drifts: list[Drift] = []
    for key in set(levels) | set(on_hand) | set(reserved):
        level = levels.get(key)
        want_on_hand, want_reserved = on_hand.get(key, 0), reserved.get(key, 0)
        have_on_hand = level.on_hand if level else 0
        have_reserved = level.reserved if level else 0
        if have_on_hand != want_on_hand:
            drifts.append(Drift(key[0], key[1], "on_hand", have_on_hand, want_on_hand))
        if have_reserved != want_reserved:
            drifts.append(Drift(key[0], key[1], "reserved", have_reserved, want_reserved))
        if fix and (have_on_hand, have_reserved) != (want_on_hand, want_reserved):
            if level is None:
                _lock_levels({key})
            StockLevel.objects.filter(variant_id=key[0], warehouse_id=key[1]).update(
                on_hand=want_on_hand, reserved=want_reserved
            )
    return drifts
