"""Transfer services: draft → in transit (stock leaves the source) → received (stock arrives).

Stock that arrives is offered to orders awaiting it through the ``stock.arrived`` hook (orders
registers its handler at start-up: orders build on inventory, not the other way round)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from donhang.catalog.models import Variant
from donhang.core import hooks
from donhang.core.audit import actor_user, audit
from donhang.core.errors import Conflict, ValidationFailed
from donhang.core.permissions import require_perm
from donhang.inventory.models import StockMovement, Transfer, TransferLine, Warehouse
from donhang.inventory.services import (
    MAX_QUANTITY,
    MovementLine,
    code_lookup,
    stock_movements_post,
    text_clean,
)


@dataclass
class TransferLineInput:
    quantity: int
    variant_id: int | None = None
    sku: str = ""


def _resolve(lines: list[TransferLineInput]) -> list[tuple[Variant, int]]:
    if not lines:
        raise ValidationFailed(
            _("A transfer needs at least one line."), fields={"lines": _("Add a product.")}
        )
    by_id = Variant.objects.in_bulk([ln.variant_id for ln in lines if ln.variant_id])
    # SKUs typed as NFC (one product whether the accents came composed or decomposed); one with
    # hidden characters matches nothing.
    skus = [code_lookup(ln.sku) if ln.sku else None for ln in lines]
    by_sku = {v.sku: v for v in Variant.objects.filter(sku__in=[s for s in skus if s])}
    errors, out, merged = {}, [], {}
    for i, ln in enumerate(lines):
        if not ln.variant_id and ln.sku and skus[i] is None:
            errors[f"lines.{i}.sku"] = _("Type the SKU again without hidden characters.")
            continue
        variant = by_id.get(ln.variant_id) if ln.variant_id else by_sku.get(skus[i])
        if variant is None:
            errors[f"lines.{i}.sku"] = _("Unknown product SKU “%(sku)s”.") % {
                "sku": ln.sku or ln.variant_id
            }
        elif not ln.quantity or ln.quantity < 1:
            errors[f"lines.{i}.quantity"] = _("Quantity must be at least 1.")
        elif ln.quantity > MAX_QUANTITY:
            errors[f"lines.{i}.quantity"] = _("Enter at most %(max)s.") % {"max": MAX_QUANTITY}
        else:
            merged[variant.pk] = (variant, merged.get(variant.pk, (variant, 0))[1] + ln.quantity)
    if errors:
        raise ValidationFailed(_("Some lines are not valid."), fields=errors)
    out = list(merged.values())
    return out


@transaction.atomic
def transfer_create(
    *,
    source: Warehouse,
    destination: Warehouse,
    lines: list[TransferLineInput],
    note: str = "",
    actor=None,
) -> Transfer:
    require_perm(actor, "inventory.add_transfer")
    note = text_clean(note, field="note")
    if source.pk == destination.pk:
        raise ValidationFailed(
            _("Choose two different warehouses."), fields={"destination": _("Same as the source.")}
        )
    for field, wh in (("source", source), ("destination", destination)):
        if not wh.is_active:
            raise ValidationFailed(
                _("This warehouse is inactive."), fields={field: _("Choose an active warehouse.")}
            )
    rows = _resolve(lines)
    transfer = Transfer.objects.create(
        source=source, destination=destination, note=note or "", created_by=actor_user(actor)
    )
    transfer.code = f"TR{transfer.pk:06d}"
    Transfer.objects.filter(pk=transfer.pk).update(code=transfer.code)
    TransferLine.objects.bulk_create(
        [TransferLine(transfer=transfer, variant=v, quantity=q) for v, q in rows]
    )
    audit(
        actor=actor,
        action="transfer.create",
        obj=transfer,
        summary=f"{transfer.code} {source.code}→{destination.code}",
    )
    return transfer


def _lock(transfer: Transfer) -> Transfer:
    return (
        Transfer.objects.select_for_update()
        .select_related("source", "destination")
        .get(pk=transfer.pk)
    )


@transaction.atomic
def transfer_send(*, transfer: Transfer, actor=None) -> Transfer:
    """Goods leave the source: transfer-out movements; refused when the source lacks them."""
    require_perm(actor, "inventory.add_transfer")
    transfer = _lock(transfer)
    if transfer.status != Transfer.Status.DRAFT:
        raise Conflict(
            _("Only a draft transfer can be sent."),
            fields={"status": _("Not a draft.")},
            code="transition_not_allowed",
        )
    lines = list(transfer.lines.all())
    stock_movements_post(
        lines=[MovementLine(ln.variant_id, transfer.source_id, -ln.quantity) for ln in lines],
        kind=StockMovement.Kind.TRANSFER_OUT,
        reason=_("Transfer %(code)s to %(to)s")
        % {"code": transfer.code, "to": transfer.destination.name},
        actor=actor,
        reference_type="transfer",
        reference_id=str(transfer.pk),
        reference_label=transfer.code,
    )
    transfer.status, transfer.sent_at = Transfer.Status.IN_TRANSIT, timezone.now()
    transfer.save(update_fields=["status", "sent_at"])
    audit(actor=actor, action="transfer.send", obj=transfer, summary=transfer.code)
    return transfer


@transaction.atomic
def transfer_receive(
    *,
    transfer: Transfer,
    received: dict[int, int] | None = None,
    discrepancy_note: str = "",
    actor=None,
) -> Transfer:
    """Goods arrive at the destination. `received` = {line id: quantity counted on arrival};
    missing lines are taken as arrived in full. Any difference is recorded on the line and must
    be explained in `discrepancy_note`."""
    require_perm(actor, "inventory.receive_transfer")
    discrepancy_note = text_clean(discrepancy_note, field="discrepancy_note")
    transfer = _lock(transfer)
    if transfer.status != Transfer.Status.IN_TRANSIT:
        raise Conflict(
            _("Only a transfer in transit can be received."),
            fields={"status": _("Not in transit.")},
            code="transition_not_allowed",
        )
    received = received or {}
    lines = list(transfer.lines.all())
    errors = {}
    for ln in lines:
        qty = received.get(ln.pk, ln.quantity)
        if qty is None or qty < 0:
            errors[f"received.{ln.pk}"] = _("Enter 0 or more.")
        elif qty > MAX_QUANTITY:
            errors[f"received.{ln.pk}"] = _("Enter at most %(max)s.") % {"max": MAX_QUANTITY}
        ln.received_quantity = qty
    if errors:
        raise ValidationFailed(_("Some quantities are not valid."), fields=errors)
    differences = [ln for ln in lines if ln.discrepancy]
    if differences and not discrepancy_note:
        raise ValidationFailed(
            _("What arrived differs from what was sent; say what happened."),
            fields={"discrepancy_note": _("Explain the difference.")},
        )
    TransferLine.objects.bulk_update(lines, ["received_quantity"])
    stock_movements_post(
        lines=[
            MovementLine(ln.variant_id, transfer.destination_id, ln.received_quantity)
            for ln in lines
        ],
        kind=StockMovement.Kind.TRANSFER_IN,
        reason=_("Transfer %(code)s from %(from)s")
        % {"code": transfer.code, "from": transfer.source.name},
        actor=actor,
        reference_type="transfer",
        reference_id=str(transfer.pk),
        reference_label=transfer.code,
    )
    transfer.status, transfer.received_at = Transfer.Status.RECEIVED, timezone.now()
    transfer.discrepancy_note = discrepancy_note
    transfer.save(update_fields=["status", "received_at", "discrepancy_note"])
    audit(
        actor=actor,
        action="transfer.receive",
        obj=transfer,
        summary=transfer.code,
        data={"discrepancies": {ln.variant_id: ln.discrepancy for ln in differences}},
    )
    hooks.emit(
        "stock.arrived",
        variant_ids={ln.variant_id for ln in lines if ln.received_quantity},
        actor=actor,
    )
    return transfer


@transaction.atomic
def transfer_cancel(*, transfer: Transfer, actor=None) -> Transfer:
    require_perm(actor, "inventory.add_transfer")
    transfer = _lock(transfer)
    if transfer.status != Transfer.Status.DRAFT:
        raise Conflict(
            _("A transfer already on its way cannot be cancelled; receive it instead."),
            fields={"status": _("Not a draft.")},
            code="transition_not_allowed",
        )
    transfer.status = Transfer.Status.CANCELLED
    transfer.save(update_fields=["status"])
    audit(actor=actor, action="transfer.cancel", obj=transfer, summary=transfer.code)
    return transfer
