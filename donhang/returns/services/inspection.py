"""Receiving returned goods and inspecting them: good units back to sellable stock of a chosen
warehouse, damaged units recorded (note, photo) and written off, missing units written off; all
at the cost the units left with, through the inventory's services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from donhang.core.audit import actor_user
from donhang.core.errors import ValidationFailed
from donhang.core.permissions import require_perm
from donhang.core.uploads import image_reencode
from donhang.inventory.models import Warehouse
from donhang.inventory.returns import (
    InspectedLine,
    ReturnedLine,
    stock_return_inspect,
    stock_return_receive,
)
from donhang.returns.models import Return, State
from donhang.returns.services._common import lock_return, require_state, sync_order, timeline
from donhang.returns.services.invoices import prepare_invoice_correction

MAX_DAMAGE_NOTE = 500


@dataclass
class InspectionInput:
    """What the inspection found for one line of the return (`line_id`: a ReturnLine).
    good + damaged + missing must be the line's quantity. Good units go to `warehouse_id`
    (default: where the return was received). Damaged units need a note; a photo is optional
    (an uploaded image, re-encoded before it is kept)."""

    line_id: int
    good: int = 0
    damaged: int = 0
    missing: int = 0
    warehouse_id: int | None = None
    note: str = ""
    photo: Any = None


def _warehouse(value) -> Warehouse:
    warehouse = value if isinstance(value, Warehouse) else None
    if warehouse is None and value not in (None, ""):
        warehouse = Warehouse.objects.filter(pk=value).first()
    if warehouse is None:
        raise ValidationFailed(
            _("Choose the warehouse the goods came back to."),
            fields={"warehouse": _("Choose a warehouse.")},
        )
    if not warehouse.is_active:
        raise ValidationFailed(
            _("This warehouse is inactive."), fields={"warehouse": _("Choose an active warehouse.")}
        )
    return warehouse


@transaction.atomic
def return_receive(
    *, goods_return: Return, warehouse, at_counter: bool = False, actor=None
) -> Return:
    """requested → received: the goods arrived at `warehouse` and wait in its "returned, to
    inspect" quantity. With `at_counter` (the buyer handed them in) they are inspected on the
    spot instead: nothing waits, the inspection posts them straight."""
    require_perm(actor, "returns.receive_return")
    goods_return = lock_return(goods_return)
    require_state(goods_return, (State.REQUESTED,), action=pgettext("return step", "receive"))
    warehouse = _warehouse(warehouse)
    lines = list(goods_return.lines.all())
    if not at_counter:
        stock_return_receive(
            lines=[ReturnedLine(ln.order_line_id, ln.variant_id, ln.quantity) for ln in lines],
            warehouse=warehouse,
            actor=actor,
            reference_type="return",
            reference_id=str(goods_return.pk),
            reference_label=goods_return.code,
        )
    goods_return.state = State.RECEIVED
    goods_return.warehouse = warehouse
    goods_return.at_counter = bool(at_counter)
    goods_return.received_at = timezone.now()
    Return.objects.filter(pk=goods_return.pk).update(
        state=goods_return.state,
        warehouse=warehouse,
        at_counter=goods_return.at_counter,
        received_at=goods_return.received_at,
        received_by=actor_user(actor),
    )
    timeline(
        goods_return,
        "return_received",
        {
            "units": sum(ln.quantity for ln in lines),
            "warehouse": warehouse.name,
            "counter": bool(at_counter),
        },
        actor=actor,
    )
    sync_order(goods_return.order, actor=actor, goods_return=goods_return)
    return goods_return


@transaction.atomic
def return_inspect(*, goods_return: Return, lines: list[InspectionInput], actor=None) -> Return:
    """received → inspected, for every line of the return at once (see InspectionInput). Stock
    moves through the inventory's services; when the order has an issued e-invoice, the
    correction (adjustment for a partial return, replacement for a full one) is prepared for
    the accountant."""
    require_perm(actor, "returns.inspect_return")
    goods_return = lock_return(goods_return)
    require_state(goods_return, (State.RECEIVED,), action=pgettext("return step", "inspect"))
    return_lines = {ln.pk: ln for ln in goods_return.lines.select_related("order_line")}
    given = {item.line_id: (i, item) for i, item in enumerate(lines)}
    errors: dict[str, str] = {}
    for line_id in return_lines:
        if line_id not in given:
            errors[f"lines.{line_id}"] = _("Say what was found for every line.")
    warehouse_ids = {item.warehouse_id for item in lines if item.warehouse_id}
    warehouses = Warehouse.objects.in_bulk(list(warehouse_ids))
    photos: dict[int, Any] = {}
    for line_id, (i, item) in given.items():
        line = return_lines.get(line_id)
        if line is None:
            errors[f"lines.{i}.line_id"] = _("This line is not on the return.")
            continue
        counts = (item.good, item.damaged, item.missing)
        if any(not isinstance(n, int) or n < 0 for n in counts):
            errors[f"lines.{i}.good"] = _("Enter 0 or more.")
            continue
        if sum(counts) != line.quantity:
            errors[f"lines.{i}.good"] = _(
                "%(sku)s: good, damaged and missing add up to %(sum)s, not %(quantity)s."
            ) % {"sku": line.sku, "sum": sum(counts), "quantity": line.quantity}
        note = (item.note or "").strip()
        if item.damaged and not note:
            errors[f"lines.{i}.note"] = _("Describe the damage.")
        elif len(note) > MAX_DAMAGE_NOTE:
            errors[f"lines.{i}.note"] = _("At most %(max)s characters.") % {"max": MAX_DAMAGE_NOTE}
        if item.warehouse_id and (
            item.warehouse_id not in warehouses or not warehouses[item.warehouse_id].is_active
        ):
            errors[f"lines.{i}.warehouse"] = _("Choose an active warehouse.")
        if item.photo:
            try:
                photos[line_id] = image_reencode(
                    item.photo, field=f"lines.{i}.photo", max_side=1600
                )
            except ValidationFailed as exc:
                errors.update(exc.fields)
    if errors:
        raise ValidationFailed(_("The inspection is not complete."), fields=errors)
    received_at = goods_return.warehouse_id
    stock_return_inspect(
        lines=[
            InspectedLine(
                order_line_id=line.order_line_id,
                variant_id=line.variant_id,
                good=given[line.pk][1].good,
                damaged=given[line.pk][1].damaged,
                missing=given[line.pk][1].missing,
                good_warehouse_id=given[line.pk][1].warehouse_id or received_at,
                waiting_warehouse_ids=(received_at,) if received_at else (),
                note=(given[line.pk][1].note or "").strip(),
            )
            for line in return_lines.values()
        ],
        straight=goods_return.at_counter,
        actor=actor,
        reference_type="return",
        reference_id=str(goods_return.pk),
        reference_label=goods_return.code,
    )
    for line in return_lines.values():
        item = given[line.pk][1]
        line.good_quantity, line.damaged_quantity = item.good, item.damaged
        line.missing_quantity = item.missing
        line.good_warehouse_id = (item.warehouse_id or received_at) if item.good else None
        line.damage_note = (item.note or "").strip() if item.damaged else ""
        fields = [
            "good_quantity",
            "damaged_quantity",
            "missing_quantity",
            "good_warehouse",
            "damage_note",
        ]
        if line.pk in photos:
            clean = photos[line.pk]
            line.damage_photo.save(clean.name("damage-"), ContentFile(clean.content), save=False)
            fields.append("damage_photo")
        line.save(update_fields=fields)
    goods_return.state = State.INSPECTED
    goods_return.inspected_at = timezone.now()
    Return.objects.filter(pk=goods_return.pk).update(
        state=goods_return.state,
        inspected_at=goods_return.inspected_at,
        inspected_by=actor_user(actor),
    )
    lines_now = list(return_lines.values())
    timeline(
        goods_return,
        "return_inspected",
        {
            "good": sum(ln.good_quantity for ln in lines_now),
            "damaged": sum(ln.damaged_quantity for ln in lines_now),
            "missing": sum(ln.missing_quantity for ln in lines_now),
        },
        actor=actor,
    )
    sync_order(goods_return.order, actor=actor, goods_return=goods_return)
    prepare_invoice_correction(goods_return=goods_return, actor=actor)
    return goods_return
