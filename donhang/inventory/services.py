"""Stock writes. Every change is a StockMovement plus the StockLevel cache, in one transaction.

Locking (DESIGN.md 3.4): the StockLevel rows a change touches are locked with select_for_update()
in primary-key order, availability is re-checked under the lock, counters move with F().
On SQLite the IMMEDIATE transaction mode serialises writers instead.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from donhang.catalog.models import Variant
from donhang.core import hooks, rawsql
from donhang.core.audit import actor_label, actor_user, audit
from donhang.core.errors import Conflict, ValidationFailed
from donhang.core.permissions import require_perm
from donhang.core.phone import normalize_phone
from donhang.core.text import code_normalize, code_problem, name_problem
from donhang.customers.selectors import address_units_resolve
from donhang.inventory.models import (
    Reservation,
    StockChange,
    StockLevel,
    StockMovement,
    Warehouse,
)

# The most units one line of a document may carry: a typo of a few extra digits is a message
# naming the field, not a database overflow (quantities are 32-bit columns).
MAX_QUANTITY = 1_000_000
# The biggest id or amount a column holds (64-bit); a bigger number from a request is bad input.
BIGGEST_INTEGER = 2**63 - 1


# --- what people type: codes, names and notes (DESIGN.md 3.10, donhang.core.text) ------------
# Inventory and purchasing share these: look-alike codes ("ÁO-A51B" composed or decomposed, or
# with a zero-width space) are one code or refused, and no text with NUL reaches the database
# (PostgreSQL refuses it; a name of only invisible characters shows as nothing).


def code_clean(value, *, field: str, required: bool = False, max_length: int = 64) -> str:
    """A code typed by a person (SKU, barcode, supplier's code, document code): NFC and
    stripped; ValidationFailed naming `field` when it has invisible or control characters, is
    longer than `max_length`, or (with `required`) is empty."""
    code = code_normalize(str(value) if value is not None else "")
    if required and not code:
        raise ValidationFailed(
            _("Some fields are not valid."), fields={field: _("This field is required.")}
        )
    if code_problem(code):
        raise ValidationFailed(
            _("The code contains invisible or control characters."),
            fields={field: _("Type the code again without hidden characters.")},
        )
    if len(code) > max_length:
        raise ValidationFailed(
            _("Some text is too long."),
            fields={field: _("Use at most %(limit)s characters.") % {"limit": max_length}},
        )
    return code


def code_lookup(value) -> str | None:
    """A code to look something up by (a warehouse, a document, a SKU on a line): NFC and
    stripped, or None when it has invisible or control characters (then nothing matches, and
    the database is not asked)."""
    code = code_normalize(str(value) if value is not None else "")
    return None if code_problem(code) else code


def text_clean(value, *, field: str, required: bool = False, max_length: int | None = None) -> str:
    """A name or a note: NFC and stripped. ValidationFailed naming `field` when it holds NUL or
    another control character (tabs and line breaks are fine), only invisible characters, more
    than `max_length` characters or (with `required`) nothing."""
    text = unicodedata.normalize("NFC", str(value) if value is not None else "").strip()
    problem = name_problem(text)
    if problem == "control":
        raise ValidationFailed(
            _("The text contains control characters."),
            fields={field: _("Type the text again without hidden characters.")},
        )
    if problem == "invisible":
        raise ValidationFailed(
            _("The text has only invisible characters."),
            fields={field: _("Type the text again without hidden characters.")},
        )
    if required and not text:
        raise ValidationFailed(
            _("Some fields are not valid."), fields={field: _("This field is required.")}
        )
    if max_length is not None and len(text) > max_length:
        raise ValidationFailed(
            _("Some text is too long."),
            fields={field: _("Use at most %(limit)s characters.") % {"limit": max_length}},
        )
    return text


def search_clean(value) -> str:
    """What was typed into a search box, without control characters (a NUL in a query is an
    error on PostgreSQL, never a match), NFC and stripped."""
    text = unicodedata.normalize("NFC", str(value) if value is not None else "")
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cc").strip()


@dataclass(frozen=True)
class MovementLine:
    variant_id: int
    warehouse_id: int
    delta: int
    unit_cost: int | None = None  # VND excl. VAT per unit, where known (receipts)


def stock_changes_record(variant_ids: Iterable[int]) -> None:
    """Mark these variants' sellable stock as changed, for the marketplace sync: one upsert of one
    pending StockChange row per variant (coalesced), in the caller's transaction. Rows are
    written in variant order so that two transactions never wait on each other crosswise."""
    ids = sorted({int(v) for v in variant_ids})
    if not ids:
        return
    now, seq = timezone.now(), time.time_ns()
    # bulk_create(update_conflicts=True, unique_fields=["variant"], update_fields=["changed_at",
    # "seq"]), without building the statement each time (core.rawsql).
    rawsql.insert(
        [StockChange(variant_id=v, changed_at=now, seq=seq) for v in ids],
        on_conflict=(["variant_id"], ["changed_at", "seq"]),
    )


@transaction.atomic
def stock_changes_mark_consumed(*, changes: Iterable[StockChange]) -> int:
    """The marketplace sync pushed these pending changes (as read by
    inventory.selectors.stock_changes_pending): drop them. A row written again since it was read
    has another `seq` and stays pending, so a change made between read and mark is never lost.
    Returns how many were dropped."""
    condition = Q()
    for change in changes:
        condition |= Q(pk=change.pk, seq=change.seq)
    if not condition:
        return 0
    deleted, _per_model = StockChange.objects.filter(condition).delete()
    return deleted


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
    """Post movements of one document (initial stock, receipt, adjustment…) to on hand,
    atomically, and mark the variants' stock changed (one statement).

    Refuses (Conflict) any line that would take on hand below what is reserved, unless the
    warehouse allows negative stock, and any line of an inactive warehouse. Lines with delta 0
    are skipped.
    """
    # Returned parcels have their own quantity and service (stock_returned_to_inspect).
    if kind not in StockMovement.Kind.values or kind == StockMovement.Kind.RETURNED_TO_INSPECT:
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
    movements = StockMovement.objects.bulk_create(
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
                unit_cost=ln.unit_cost,
            )
            for ln in lines
        ]
    )
    stock_changes_record(key[0] for key in net)
    return movements


def stock_initial_post(*, variant, quantities: dict[int, int], actor=None) -> list[StockMovement]:
    """Initial stock of a new variant: {warehouse id: quantity}. Quantities must be ≥ 0."""
    for warehouse_id, qty in quantities.items():
        if qty < 0:
            raise ValidationFailed(
                _("Initial stock cannot be negative."),
                fields={f"initial_stock.{warehouse_id}": _("Enter 0 or more.")},
            )
    return stock_movements_post(
        lines=[
            MovementLine(variant.pk, wid, qty, unit_cost=variant.cost_price)
            for wid, qty in quantities.items()
        ],
        kind=StockMovement.Kind.INITIAL,
        reason=_("Initial stock"),
        actor=actor,
        reference_type="variant",
        reference_id=str(variant.pk),
        reference_label=variant.sku,
    )


@transaction.atomic
def stock_adjust(
    *, variant: Variant, warehouse: Warehouse, delta: int, reason: str, actor=None
) -> StockMovement:
    """A manual stock correction (found, lost, damaged…) with its reason, posted to the ledger;
    new stock goes to waiting orders at once, oldest first (hook ``stock.arrived``)."""
    require_perm(actor, "inventory.add_stockmovement")
    reason = text_clean(reason, field="reason")
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
    audit(
        actor=actor,
        action="stock.adjust",
        obj=movements[0],
        summary=f"{variant.sku} @ {warehouse.code}: {delta:+d}",
        data={
            "variant": variant.sku,
            "warehouse": warehouse.code,
            "delta": delta,
            "reason": reason,
        },
    )
    if delta > 0:
        hooks.emit("stock.arrived", variant_ids={variant.pk}, actor=actor)
    return movements[0]


def channel_rule_set(*, channel: str, strategy: str, warehouse_ids, actor=None):
    """How new orders of `channel` choose warehouses. The rule belongs to orders, which provides
    this service through the hook ``inventory.channel_rule_set`` (see
    donhang.orders.services.channel_rule_set for the rules and errors)."""
    rule = hooks.first(
        "inventory.channel_rule_set",
        channel=channel,
        strategy=strategy,
        warehouse_ids=warehouse_ids,
        actor=actor,
    )
    if rule is None:
        raise RuntimeError(
            "No handler for inventory.channel_rule_set: is donhang.orders installed?"
        )
    return rule


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
    code = code_clean(code, field="code", max_length=200).upper()
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
        cleaned["name"] = text_clean(cleaned["name"], field="name")
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
            cleaned[name] = text_clean(cleaned[name], field=name, max_length=limit)
    if "phone" in cleaned:
        raw = code_normalize(cleaned["phone"])
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
        .filter(~Q(on_hand=0) | ~Q(reserved=0) | ~Q(returned=0))
        .order_by("pk")
    )
    if not busy:
        return
    on_hand = sum(level.on_hand for level in busy)
    reserved = sum(level.reserved for level in busy)
    returned = sum(level.returned for level in busy)
    message = _(
        "%(warehouse)s still holds stock (%(on_hand)s on hand, %(reserved)s reserved, over "
        "%(variants)s variants). Transfer or adjust it to zero and release the reservations "
        "before deactivating the warehouse."
    )
    if returned:
        message += " " + _("%(returned)s units of returned parcels wait for inspection there.") % {
            "returned": returned
        }
    raise Conflict(
        message
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
    """Recompute every StockLevel from the ledger (on hand and returned-to-inspect = Σ movements
    of that quantity, reserved = Σ reservations) and report where the cache differed. With fix,
    the levels are locked and the cache is corrected; without, nothing is locked."""
    ledger: dict[tuple[int, int], dict[str, int]] = {}
    for row in (
        StockMovement.objects.values("variant_id", "warehouse_id")
        .annotate(
            on_hand=Sum("delta", filter=Q(bucket=StockMovement.Bucket.ON_HAND)),
            returned=Sum("delta", filter=Q(bucket=StockMovement.Bucket.RETURNED)),
        )
        .order_by()
    ):
        ledger[(row["variant_id"], row["warehouse_id"])] = {
            "on_hand": row["on_hand"] or 0,
            "returned": row["returned"] or 0,
        }
    for row in (
        Reservation.objects.values("variant_id", "warehouse_id")
        .annotate(total=Sum("quantity"))
        .order_by()
    ):
        ledger.setdefault((row["variant_id"], row["warehouse_id"]), {})["reserved"] = row["total"]
    levels_qs = StockLevel.objects.order_by("pk")
    if fix:
        levels_qs = levels_qs.select_for_update()
    levels = {(lvl.variant_id, lvl.warehouse_id): lvl for lvl in levels_qs}
    drifts: list[Drift] = []
    fields = ("on_hand", "reserved", "returned")
    for key in sorted(set(levels) | set(ledger)):
        level = levels.get(key)
        want = {name: ledger.get(key, {}).get(name, 0) for name in fields}
        have = {name: getattr(level, name) if level else 0 for name in fields}
        for name in fields:
            if have[name] != want[name]:
                drifts.append(Drift(key[0], key[1], name, have[name], want[name]))
        if fix and have != want:
            if level is None:
                _lock_levels({key})
            StockLevel.objects.filter(variant_id=key[0], warehouse_id=key[1]).update(**want)
    if fix:
        stock_changes_record({d.variant_id for d in drifts})
    return drifts


# --- returned parcels ------------------------------------------------------------------------


@transaction.atomic
def stock_returned_to_inspect(
    *,
    order_line_ids: Iterable[int],
    actor=None,
    reference_type: str = "",
    reference_id: str = "",
    reference_label: str = "",
) -> list[StockMovement]:
    """A returned parcel is back: every sale movement of these order lines comes back, with the
    same quantity and unit cost, into the "returned, to inspect" quantity of the warehouse it
    left from (not sellable until inspected). Lines already received back are skipped, so calling
    it again changes nothing. Returns the movements posted."""
    ids = {int(pk) for pk in order_line_ids}
    if not ids:
        return []
    sales = list(
        StockMovement.objects.filter(
            order_line_id__in=ids,
            kind=StockMovement.Kind.SALE,
            bucket=StockMovement.Bucket.ON_HAND,
        ).order_by("pk")
    )
    if not sales:
        return []
    # Locked first, so that two calls for one parcel cannot both find it not yet received.
    levels = _lock_levels({(m.variant_id, m.warehouse_id) for m in sales})
    back = set(
        StockMovement.objects.filter(
            order_line_id__in=ids, kind=StockMovement.Kind.RETURNED_TO_INSPECT
        ).values_list("order_line_id", flat=True)
    )
    sales = [m for m in sales if m.order_line_id not in back and m.delta < 0]
    if not sales:
        return []
    per_level: dict[int, int] = {}
    for m in sales:
        pk = levels[(m.variant_id, m.warehouse_id)].pk
        per_level[pk] = per_level.get(pk, 0) - m.delta
    for pk, qty in per_level.items():
        StockLevel.objects.filter(pk=pk).update(returned=F("returned") + qty)
    user, label = actor_user(actor), actor_label(actor)[:150]
    movements = StockMovement.objects.bulk_create(
        [
            StockMovement(
                variant_id=m.variant_id,
                warehouse_id=m.warehouse_id,
                delta=-m.delta,
                kind=StockMovement.Kind.RETURNED_TO_INSPECT,
                bucket=StockMovement.Bucket.RETURNED,
                unit_cost=m.unit_cost,
                order_line_id=m.order_line_id,
                reason=_("Returned parcel, to inspect"),
                actor=user,
                actor_label=label,
                reference_type=reference_type,
                reference_id=str(reference_id),
                reference_label=reference_label[:120],
            )
            for m in sales
        ]
    )
    stock_changes_record(m.variant_id for m in sales)
    return movements
