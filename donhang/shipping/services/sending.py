"""Quotes, creating shipments, cancel, redeliver, return. Calls to carriers never run inside a
database transaction.

An order ships as one parcel per warehouse holding its stock (`shipment_plan`); each parcel is
a Shipment, picked up where its stock is, sent in the background and retried.

Every create call follows one rule: record the intent (`create_outcome` "sending"), call,
record the answer ("created", "refused", or "unknown" when the answer never came: a timeout,
a worker killed mid-call). While the outcome is unknown a parcel may exist that we have no
number for, so before anything else is sent the parcel is looked up by our reference where the
carrier allows it (GHN), or the create is resent under the same reference, which the carrier
answers with the parcel it already has (Viettel Post's CHECK_UNIQUE). A retry never makes a
second parcel.

A cancel while the create may still be in flight never leaves a live parcel: where the carrier
can find a parcel by our reference it is asked and what it has is cancelled; where it cannot,
the shipment is marked "cancel requested" and is cancelled as soon as the create has an
answer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from donhang.core.audit import actor_label, actor_user, audit
from donhang.core.errors import Conflict, PermissionDenied, ValidationFailed
from donhang.core.integrations import (
    DEFAULT_RETRY,
    IntegrationError,
    PermanentError,
    RetryableError,
    Unsupported,
    log_call,
)
from donhang.core.money import format_vnd
from donhang.core.permissions import actor_allowed, require_perm
from donhang.orders.models import Order, OrderEvent, Status, SubState
from donhang.orders.services import order_follow_shipment
from donhang.shipping.carriers.ports import (
    CreatedShipment,
    Quote,
    ShipmentStatus,
)
from donhang.shipping.models import (
    CarrierAccount,
    Shipment,
    ShipmentEvent,
    ShipmentLine,
)
from donhang.shipping.services._common import MAX_ATTEMPTS, STUCK_AFTER, _notify, enqueue_task
from donhang.shipping.services.accounts import adapter_for
from donhang.shipping.services.requests import (
    Parcel,
    ShipmentDraft,
    _build_request,
    order_cod_owed,
    parcel_amounts,
    shipment_draft,
    shipment_plan,
    split_amount,
)

Outcome = Shipment.CreateOutcome
# Beyond any parcel (and what the columns hold): 1 tonne, 1 km.
SIZE_LIMITS = {
    "weight_g": 1_000_000,
    "length_cm": 100_000,
    "width_cm": 100_000,
    "height_cm": 100_000,
}
PENDING = ShipmentStatus.PENDING.value


@dataclass
class CarrierQuotes:
    account: CarrierAccount
    quotes: list[Quote]
    error: str = ""


@dataclass
class ParcelSpec:
    """One parcel with what it is sent with: its share of the COD and declared value, weight,
    size."""

    parcel: Parcel
    cod_amount: int
    goods_value: int
    weight_g: int
    length_cm: int
    width_cm: int
    height_cm: int


def parcel_specs(order: Order, draft: ShipmentDraft, plan: list[Parcel] | None = None):
    """The parcels of `order` sent with the figures of `draft` (what staff typed for the whole
    order). One parcel takes them as they are; several share the COD (the buyer's shipping fee on
    the first), the declared value and the weight, and each keeps its own size."""
    plan = plan or shipment_plan(order)
    amounts = parcel_amounts(
        order, plan, cod_amount=draft.cod_amount, goods_value=draft.goods_value
    )
    if len(plan) == 1:
        cod, goods = amounts[0]
        return [
            ParcelSpec(
                plan[0],
                cod,
                goods,
                draft.weight_g,
                draft.length_cm,
                draft.width_cm,
                draft.height_cm,
            )
        ]
    weights = split_amount(draft.weight_g, [p.weight_g for p in plan])
    return [
        ParcelSpec(parcel, cod, goods, max(weight, 100), *parcel.dimensions)
        for parcel, (cod, goods), weight in zip(plan, amounts, weights, strict=True)
    ]


def _combine_quotes(per_parcel: list[list[Quote]]) -> list[Quote]:
    """Quotes for several parcels of one order: the services every parcel can use, with the
    fees added up and the latest expected delivery."""
    if len(per_parcel) == 1:
        return per_parcel[0]
    common = [q.service_code for q in per_parcel[0]]
    for quotes in per_parcel[1:]:
        codes = {q.service_code for q in quotes}
        common = [c for c in common if c in codes]
    out = []
    for code in common:
        same = [next(q for q in quotes if q.service_code == code) for quotes in per_parcel]
        dates = [q.expected_delivery_at for q in same if q.expected_delivery_at]
        hours = [q.lead_time_hours for q in same if q.lead_time_hours]
        out.append(
            Quote(
                service_code=code,
                service_name=same[0].service_name,
                fee=sum(q.fee for q in same),
                expected_delivery_at=max(dates) if dates else None,
                lead_time_hours=max(hours) if hours else None,
            )
        )
    return out


def shipment_quotes(
    *, order: Order, draft: ShipmentDraft | None = None, accounts=None
) -> list[CarrierQuotes]:
    """Quotes from every active carrier account, side by side; a carrier that fails says why.
    An order shipping as several parcels is quoted parcel by parcel (each from its warehouse)
    and the fees added up."""
    draft = draft or shipment_draft(order)
    specs = parcel_specs(order, draft)
    accounts = list(
        accounts if accounts is not None else CarrierAccount.objects.filter(is_active=True)
    )
    out = []
    for account in accounts:
        started = time.perf_counter()
        try:
            adapter = adapter_for(account)
            per_parcel = []
            for spec in specs:
                probe = Shipment(
                    order=order,
                    account=account,
                    reference=f"{order.code}-QUOTE",
                    warehouse=spec.parcel.warehouse,
                    weight_g=spec.weight_g,
                    length_cm=spec.length_cm,
                    width_cm=spec.width_cm,
                    height_cm=spec.height_cm,
                    cod_amount=spec.cod_amount,
                    goods_value=spec.goods_value,
                    fee_payer=draft.fee_payer,
                )
                per_parcel.append(
                    adapter.quote(_build_request(probe, adapter, lines=spec.parcel.lines))
                )
            out.append(CarrierQuotes(account, _combine_quotes(per_parcel)))
            log_call(
                service=account.provider,
                operation="quote",
                reference=order.code,
                attempt=1,
                ok=True,
                started=started,
            )
        except (IntegrationError, ValidationFailed) as exc:
            out.append(CarrierQuotes(account, [], error=getattr(exc, "message", str(exc))))
            log_call(
                service=account.provider,
                operation="quote",
                reference=order.code,
                attempt=1,
                ok=False,
                error=str(exc),
                started=started,
            )
    return out


def _order_event(
    order: Order, *, kind: str, code: str, params: dict, actor=None, message: str = ""
) -> None:
    """A line on the order's timeline, as data (rendered by donhang.shipping.timeline);
    `message` only holds what a person wrote (a reason)."""
    OrderEvent.objects.create(
        order=order,
        kind=kind,
        code=code,
        params=params,
        message=message[:2000],
        actor=actor_user(actor),
        actor_label=actor_label(actor)[:150],
    )


def shipment_create(**kwargs) -> Shipment:
    """Ask a carrier to pick up an order (see `shipment_create_parcels`); returns the first
    parcel, the only one when the order's stock sits in one warehouse."""
    return shipment_create_parcels(**kwargs)[0]


@transaction.atomic
def shipment_create_parcels(
    *,
    order: Order,
    account: CarrierAccount,
    service_code: str = "",
    cod_amount: int | None = None,
    weight_g: int | None = None,
    length_cm: int | None = None,
    width_cm: int | None = None,
    height_cm: int | None = None,
    fee_payer: str | None = None,
    inspection: str = "view",
    note: str = "",
    cod_reason: str = "",
    actor=None,
) -> list[Shipment]:
    """Ask a carrier to pick up an order: one parcel per warehouse holding its stock, each
    picked up there. Saves the parcels now and sends them in the background (retried,
    idempotent by our reference); the order becomes ready to ship once the carrier answers with
    a tracking number.

    The parcels' COD adds up to `cod_amount`, by default what the order still owes
    (`order_cod_owed`). More than that is refused; less needs `shipping.reduce_cod` (the
    manager) and `cod_reason`, kept on the parcels and the order's timeline: reconciliation
    then flags the order as short until the rest is paid."""
    require_perm(actor, "shipping.add_shipment")
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != Status.PROCESSING or order.sub_state not in (
        SubState.PACKING,
        SubState.READY_TO_SHIP,
    ):
        raise Conflict(
            _(
                "A shipment can be created for an order being packed or ready to ship (this one is “%(state)s”)."
            )
            % {"state": order.get_sub_state_display() or order.get_status_display()},
            fields={"order": _("Not ready for shipping.")},
            code="transition_not_allowed",
        )
    if Shipment.objects.filter(order=order).live().exists():
        raise Conflict(
            _("This order already has a shipment; cancel it before creating another."),
            fields={"order": _("Already has a shipment.")},
            code="duplicate_shipment",
        )
    if not account.is_active:
        raise ValidationFailed(
            _("This carrier account is inactive."),
            fields={"account": _("Choose an active carrier.")},
        )
    draft = shipment_draft(order)
    values = {
        "cod_amount": draft.cod_amount if cod_amount is None else cod_amount,
        "weight_g": weight_g or draft.weight_g,
        "length_cm": length_cm or draft.length_cm,
        "width_cm": width_cm or draft.width_cm,
        "height_cm": height_cm or draft.height_cm,
    }
    errors = {
        k: _("Enter a positive number.")
        for k in ("weight_g", "length_cm", "width_cm", "height_cm")
        if values[k] <= 0
    }
    for key, most in SIZE_LIMITS.items():
        if values[key] > most:
            errors[key] = _("At most %(n)s.") % {"n": f"{most:,}".replace(",", ".")}
    owed = order_cod_owed(order)
    reason = (cod_reason or "").strip() if values["cod_amount"] < owed else ""
    if values["cod_amount"] < 0:
        errors["cod_amount"] = _("The COD amount cannot be negative.")
    elif values["cod_amount"] > owed:
        errors["cod_amount"] = (
            _("At most %(owed)s: what the order still owes.") % {"owed": format_vnd(owed)}
            if owed
            else _("This order is not paid on delivery (or is paid already): the COD is 0.")
        )
    elif values["cod_amount"] < owed:
        if not actor_allowed(actor, "shipping.reduce_cod"):
            raise PermissionDenied(
                _("The order still owes %(owed)s: only a manager can let the parcels collect less.")
                % {"owed": format_vnd(owed)},
                fields={
                    "cod_amount": _("Collect %(owed)s, or ask a manager.")
                    % {"owed": format_vnd(owed)}
                },
                code="cod_below_owed",
            )
        if not reason:
            errors["cod_reason"] = _(
                "Say why the parcels collect less than the %(owed)s the order owes."
            ) % {"owed": format_vnd(owed)}
        elif len(reason) > 300:
            errors["cod_reason"] = _("At most 300 characters.")
    if fee_payer and fee_payer not in Shipment.FeePayer.values:
        errors["fee_payer"] = _("Choose buyer or seller.")
    if inspection not in Shipment.Inspection.values:
        errors["inspection"] = _("Unknown option.")
    if order.shipping_ward_id is None:
        errors["shipping_ward"] = _("The order has no delivery address.")
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), fields=errors)
    specs = parcel_specs(
        order,
        ShipmentDraft(
            **values, goods_value=draft.goods_value, fee_payer=fee_payer or draft.fee_payer
        ),
    )
    sequence = Shipment.objects.filter(order=order).count()
    service_name = adapter_for(account).service_label(service_code)[:100]
    shipments = []
    for number, spec in enumerate(specs, start=sequence + 1):
        shipment = Shipment.objects.create(
            order=order,
            account=account,
            reference=f"{order.code}-{number}",
            warehouse=spec.parcel.warehouse,
            service_code=service_code,
            service_name=service_name,
            fee_payer=fee_payer or draft.fee_payer,
            inspection=inspection,
            note=note[:255],
            cod_amount=spec.cod_amount,
            cod_short_reason=reason,
            goods_value=spec.goods_value,
            weight_g=spec.weight_g,
            length_cm=spec.length_cm,
            width_cm=spec.width_cm,
            height_cm=spec.height_cm,
            created_by=actor_user(actor),
        )
        ShipmentLine.objects.bulk_create(
            ShipmentLine(shipment=shipment, order_line=line, quantity=quantity)
            for line, quantity in spec.parcel.lines
        )
        shipments.append(shipment)
        enqueue_task("create_shipment_task", shipment.pk, 1)
    _order_event(
        order,
        kind=OrderEvent.Kind.EDITED,
        code="shipment_requested",
        params={
            "carrier": account.provider,
            "cod": values["cod_amount"],
            "parcels": len(shipments),
            "warehouses": [s.warehouse.name for s in shipments if s.warehouse],
        },
        actor=actor,
    )
    if reason:
        _order_event(
            order,
            kind=OrderEvent.Kind.PAYMENT,
            code="cod_reduced",
            params={"cod": values["cod_amount"], "owed": owed, "carrier": account.provider},
            message=reason,
            actor=actor,
        )
        audit(
            actor=actor,
            action="shipment.cod_reduced",
            obj=shipments[0],
            summary=f"{order.code}: COD {values['cod_amount']} of {owed} owed",
            data={"cod": values["cod_amount"], "owed": owed, "reason": reason},
        )
    return shipments


# --- sending: intent, call, answer ----------------------------------------------------------


def shipment_submit(*, shipment_id: int, attempt: int) -> str:
    """One attempt at the carrier (called by the task, outside any transaction): record the
    intent, call, record the answer. Returns "done", "retry" or "failed".

    When an earlier call may have reached the carrier unanswered, the parcel is looked up by
    our reference first (or the create resent under it, see the module docstring). A shipment
    whose cancel was requested is cancelled at the carrier as soon as the create has an answer.
    """
    with transaction.atomic():
        shipment = Shipment.objects.select_for_update().get(pk=shipment_id)
        if shipment.tracking_code or shipment.status != PENDING:
            return "done"
        if shipment.cancel_requested_at and shipment.create_outcome in (
            Outcome.NOT_SENT,
            Outcome.REFUSED,
        ):
            _record_cancelled(shipment)  # nothing ever reached the carrier
            return "done"
        in_doubt = shipment.create_outcome in (Outcome.SENDING, Outcome.UNKNOWN)
        shipment.create_outcome, shipment.send_started_at = Outcome.SENDING, timezone.now()
        shipment.save(update_fields=["create_outcome", "send_started_at"])
    shipment = Shipment.objects.select_related(
        "order__shipping_ward__province", "account", "warehouse__ward__province"
    ).get(pk=shipment_id)
    account = shipment.account
    started = time.perf_counter()
    operation = "create"
    try:
        adapter = adapter_for(account)
        created = None
        if in_doubt and adapter.capabilities.find_by_reference:
            operation = "find"
            created = adapter.find_by_reference(shipment.reference)
            if created is None and _cancel_requested(shipment):
                # Nothing at the carrier and staff want it cancelled: do not create it now.
                _log(shipment, operation, attempt, started, detail={"tracking_code": ""})
                with transaction.atomic():
                    _record_cancelled(Shipment.objects.select_for_update().get(pk=shipment_id))
                return "done"
        if created is None:
            operation = "create"
            created = adapter.create(_build_request(shipment, adapter))
    except RetryableError as exc:
        gave_up = attempt >= MAX_ATTEMPTS
        _record_answer(shipment, attempt, exc.message, Outcome.UNKNOWN, gave_up=gave_up)
        _log(shipment, operation, attempt, started, error=exc.message)
        if _cancel_requested(shipment):
            shipment_cancel_resolve(shipment_id=shipment.pk, resend=False)
        return "failed" if gave_up else "retry"
    except (PermanentError, Unsupported, ValidationFailed) as exc:
        message = getattr(exc, "message", str(exc))
        # Our own refusal (no address…) sent nothing this time: what we knew before stands.
        sent = not isinstance(exc, ValidationFailed)
        outcome = Outcome.REFUSED if sent else (Outcome.UNKNOWN if in_doubt else Outcome.NOT_SENT)
        _record_answer(shipment, attempt, message, outcome, gave_up=True)
        _log(shipment, operation, attempt, started, error=message)
        if _cancel_requested(shipment):
            shipment_cancel_resolve(shipment_id=shipment.pk, resend=False)
        return "failed"
    _log(shipment, operation, attempt, started, detail={"tracking_code": created.tracking_code})
    if created.status == ShipmentStatus.CANCELLED:
        # Found under our reference, already cancelled at the carrier: nothing live to follow.
        _record_found_cancelled(shipment, created)
        return "done"
    shipment_mark_created(
        shipment=shipment,
        tracking_code=created.tracking_code,
        fee=created.fee,
        expected_delivery_at=created.expected_delivery_at,
    )
    return "done"


def _cancel_requested(shipment: Shipment) -> bool:
    return Shipment.objects.filter(pk=shipment.pk, cancel_requested_at__isnull=False).exists()


def _log(shipment, operation, attempt, started, *, error="", detail=None) -> None:
    log_call(
        service=shipment.account.provider,
        operation=operation,
        reference=shipment.reference,
        attempt=attempt,
        ok=not error,
        error=error,
        started=started,
        detail=detail,
    )


def _record_answer(
    shipment: Shipment, attempt: int, error: str, outcome: str, *, gave_up: bool
) -> None:
    Shipment.objects.filter(pk=shipment.pk, tracking_code="").update(
        attempts=MAX_ATTEMPTS if gave_up else attempt,
        last_error=error[:1000],
        create_outcome=outcome,
        send_started_at=None,
    )


@transaction.atomic
def _record_found_cancelled(shipment: Shipment, found: CreatedShipment) -> None:
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    if shipment.tracking_code:
        return
    shipment.tracking_code, shipment.fee = found.tracking_code, found.fee or 0
    shipment.create_outcome, shipment.send_started_at = Outcome.CREATED, None
    shipment.save(update_fields=["tracking_code", "fee", "create_outcome", "send_started_at"])
    _record_cancelled(shipment, carrier_status="cancelled at the carrier")


@transaction.atomic
def shipment_mark_created(
    *, shipment: Shipment, tracking_code: str, fee: int, expected_delivery_at: datetime | None
) -> Shipment:
    """The carrier's answer: the parcel exists under `tracking_code`. The shipment waits for
    pickup and its order is ready to ship; if a cancel was requested meanwhile, the parcel is
    cancelled at once (a task right after the commit). A shipment already cancelled here is
    never revived, and the parcel is cancelled at the carrier too: it must not stay live."""
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    if shipment.tracking_code:
        return shipment  # already known
    if shipment.status not in (PENDING, ShipmentStatus.CANCELLED.value):
        # The carrier's own events (a webhook naming the parcel by our reference alone) moved
        # it on before its answer came: the parcel is live, only its number was missing.
        shipment.tracking_code, shipment.fee = tracking_code, fee or 0
        shipment.expected_delivery_at = expected_delivery_at
        shipment.create_outcome, shipment.send_started_at = Outcome.CREATED, None
        shipment.save(
            update_fields=[
                "tracking_code",
                "fee",
                "expected_delivery_at",
                "create_outcome",
                "send_started_at",
            ]
        )
        return shipment
    if shipment.status != PENDING:
        # Cancelled while the carrier was being asked, and the create landed after all: the
        # shipment is not revived, and that parcel is cancelled at the carrier too.
        ShipmentEvent.objects.create(
            shipment=shipment,
            at=timezone.now(),
            carrier_status="created",
            status=ShipmentStatus.READY_TO_PICK.value,
            source="api",
            description=(
                _("Created at the carrier after the cancel: %(code)s") % {"code": tracking_code}
            )[:500],
            applied=False,
        )
        enqueue_task("cancel_shipment_task", shipment.pk, 1, tracking_code)
        return shipment
    shipment.tracking_code, shipment.fee, shipment.expected_delivery_at = (
        tracking_code,
        fee or 0,
        expected_delivery_at,
    )
    shipment.create_outcome, shipment.send_started_at = Outcome.CREATED, None
    fields = [
        "tracking_code",
        "fee",
        "expected_delivery_at",
        "create_outcome",
        "send_started_at",
    ]
    # last_event_at stays empty: the carrier's own event times (its clock) order what follows.
    shipment.status, shipment.last_error = ShipmentStatus.READY_TO_PICK.value, ""
    shipment.save(update_fields=[*fields, "status", "last_error"])
    ShipmentEvent.objects.create(
        shipment=shipment,
        at=timezone.now(),
        carrier_status="created",
        status=shipment.status,
        source="api",
        description=_("Created at the carrier"),
    )
    if shipment.cancel_requested_at:
        # Cancelled right away: the order does not move, the buyer hears nothing.
        enqueue_task("cancel_shipment_task", shipment.pk, 1)
        return shipment
    order_follow_shipment(
        order=shipment.order,
        shipment_status=ShipmentStatus.READY_TO_PICK.value,
        code="shipment_created",
        params={"code": tracking_code, "carrier": shipment.account.provider},
    )
    _notify(shipment, "created")
    return shipment


@transaction.atomic
def shipment_retry(*, shipment: Shipment, actor=None) -> Shipment:
    """Send a failed (or stuck) shipment again, after fixing what the carrier refused. A
    previous call whose answer never came is looked up first: no second parcel."""
    require_perm(actor, "shipping.add_shipment")
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    if shipment.tracking_code or shipment.status != PENDING:
        raise Conflict(
            _("This shipment already reached the carrier."), fields={"status": _("Already sent.")}
        )
    if (
        shipment.create_outcome == Outcome.SENDING
        and shipment.send_started_at
        and shipment.send_started_at > timezone.now() - STUCK_AFTER
    ):
        raise Conflict(
            _("This shipment is being sent right now; wait for the carrier's answer."),
            fields={"status": _("Sending.")},
            code="shipment_sending",
        )
    if shipment.create_outcome == Outcome.SENDING:  # its worker is gone: outcome unknown
        shipment.create_outcome, shipment.send_started_at = Outcome.UNKNOWN, None
    shipment.attempts, shipment.last_error = 0, ""
    shipment.save(update_fields=["attempts", "last_error", "create_outcome", "send_started_at"])
    audit(actor=actor, action="shipment.retry", obj=shipment, summary=shipment.reference)
    enqueue_task("create_shipment_task", shipment.pk, 1)
    return shipment


# --- cancelling -------------------------------------------------------------------------------


def _record_cancelled(
    shipment: Shipment, *, actor=None, carrier_status: str = "cancel"
) -> Shipment:
    """The parcel is cancelled at the carrier (or never reached it): record it, and the order
    goes back to packing. Call inside a transaction with the shipment locked."""
    was_live = shipment.status != ShipmentStatus.CANCELLED.value
    now = timezone.now()
    shipment.status, shipment.cancel_requested_at = ShipmentStatus.CANCELLED.value, None
    shipment.finished_at = shipment.finished_at if not was_live else now
    shipment.send_started_at = None
    shipment.save(update_fields=["status", "finished_at", "cancel_requested_at", "send_started_at"])
    if not was_live:
        return shipment
    ShipmentEvent.objects.create(
        shipment=shipment,
        at=now,
        carrier_status=carrier_status[:40],
        status=shipment.status,
        source="api",
    )
    order_follow_shipment(
        order=shipment.order,
        shipment_status="cancelled",
        code="shipment_cancelled",
        params={"code": shipment.tracking_code or shipment.reference},
        actor=actor,
    )
    audit(actor=actor, action="shipment.cancel", obj=shipment, summary=shipment.reference)
    return shipment


def shipment_cancel(*, shipment: Shipment, actor=None) -> Shipment:
    """Cancel while the carrier allows it (before pickup). With a tracking number: the carrier
    is called first, then the cancel recorded. Without one yet, see `shipment_cancel_resolve`:
    the cancel may have to wait for the carrier's answer to the create ("cancel requested";
    `cancel_requested_at` is then set on the shipment returned)."""
    require_perm(actor, "shipping.change_shipment")
    shipment = Shipment.objects.select_related("account", "order").get(pk=shipment.pk)
    if shipment.status_enum.carrier_has_parcel or shipment.status_enum.is_terminal:
        raise Conflict(
            _("The carrier already has the parcel; it can no longer be cancelled."),
            fields={"status": _("Too late.")},
            code="transition_not_allowed",
        )
    if shipment.tracking_code and not shipment.cancel_requested_at:
        adapter = adapter_for(shipment.account)
        try:
            _call_carrier(shipment, "cancel", adapter.cancel)
        except Conflict:
            if not _cancelled_at_carrier(shipment, adapter):  # not a cancel made before
                raise
        with transaction.atomic():
            locked = Shipment.objects.select_for_update().get(pk=shipment.pk)
            return _record_cancelled(locked, actor=actor)
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().get(pk=shipment.pk)
        if not locked.tracking_code and locked.create_outcome in (
            Outcome.NOT_SENT,
            Outcome.REFUSED,
        ):
            # Nothing ever reached the carrier, and no call can start now: a sending task
            # checks the status under the same row lock.
            return _record_cancelled(locked, actor=actor)
        if not locked.tracking_code and not locked.cancel_requested_at:
            locked.cancel_requested_at = timezone.now()
            locked.save(update_fields=["cancel_requested_at"])
            _order_event(
                locked.order,
                kind=OrderEvent.Kind.NOTE,
                code="shipment_cancel_requested",
                params={"code": locked.reference, "carrier": locked.account.provider},
                actor=actor,
            )
            audit(
                actor=actor,
                action="shipment.cancel_requested",
                obj=locked,
                summary=locked.reference,
            )
    if locked.tracking_code and not locked.cancel_requested_at:
        return shipment_cancel(shipment=locked, actor=actor)  # the carrier answered meanwhile
    if shipment_cancel_resolve(shipment_id=shipment.pk, actor=actor) == "retry":
        enqueue_task("cancel_shipment_task", shipment.pk, 2, delay=DEFAULT_RETRY.delay(1))
    return Shipment.objects.select_related("account", "order").get(pk=shipment.pk)


def shipment_cancel_resolve(*, shipment_id: int, resend: bool = True, actor=None) -> str:
    """Carry out a requested cancel as far as the carrier allows now. Returns "done" (cancelled,
    or the request dropped because the carrier refused it), "wait" (a create call is under way
    or being resent: its answer finishes the cancel) or "retry" (the carrier did not answer).

    - a parcel with a number: cancelled at the carrier, then here;
    - no create ever reached the carrier (or it refused): cancelled here;
    - otherwise, where the carrier can find a parcel by our reference (GHN), it is asked and
      what it has is cancelled; if it has nothing, the cancel is done, unless a create call is
      under way: then its answer finishes the job (`shipment_mark_created`);
    - where the carrier has no lookup (Viettel Post), the call under way answers, or, when the
      outcome of an earlier call is unknown, the create is resent under the same reference
      (`resend`): the carrier answers with the parcel it has, and that answer finishes it."""
    shipment = Shipment.objects.select_related("account", "order").get(pk=shipment_id)
    if not shipment.cancel_requested_at or shipment.status == ShipmentStatus.CANCELLED:
        return "done"
    adapter = adapter_for(shipment.account)
    if not shipment.tracking_code:
        step = _resolve_without_number(shipment, adapter, resend=resend, actor=actor)
        if step != "cancel":
            return step
        shipment = Shipment.objects.select_related("account", "order").get(pk=shipment_id)
    if shipment.status_enum.carrier_has_parcel:
        Shipment.objects.filter(pk=shipment_id).update(
            cancel_requested_at=None,
            last_error=_("Picked up before the cancel reached the carrier.")[:1000],
        )
        return "done"
    started = time.perf_counter()
    try:
        adapter.cancel(shipment.tracking_code)
    except RetryableError as exc:
        _log(shipment, "cancel", 1, started, error=exc.message)
        return "retry"
    except (PermanentError, Unsupported) as exc:
        _log(shipment, "cancel", 1, started, error=exc.message)
        if _cancelled_at_carrier(shipment, adapter):  # a run before this one did it
            with transaction.atomic():
                locked = Shipment.objects.select_for_update().get(pk=shipment_id)
                _record_cancelled(locked, actor=actor)
            return "done"
        reason = _("The carrier refused to cancel: %(reason)s") % {"reason": exc.message}
        Shipment.objects.filter(pk=shipment_id).update(
            cancel_requested_at=None, last_error=reason[:1000]
        )
        return "done"
    _log(shipment, "cancel", 1, started)
    with transaction.atomic():
        _record_cancelled(Shipment.objects.select_for_update().get(pk=shipment_id), actor=actor)
    return "done"


def shipment_cancel_stray(*, shipment_id: int, tracking_code: str) -> str:
    """Cancel at the carrier a parcel created under a shipment already cancelled here (its
    create landed after the cancel). Returns "done" or "retry"."""
    shipment = Shipment.objects.select_related("account").get(pk=shipment_id)
    started = time.perf_counter()
    try:
        adapter_for(shipment.account).cancel(tracking_code)
    except RetryableError as exc:
        _log(shipment, "cancel", 1, started, error=exc.message)
        return "retry"
    except (PermanentError, Unsupported) as exc:
        _log(shipment, "cancel", 1, started, error=exc.message)
        return "done"
    _log(shipment, "cancel", 1, started, detail={"tracking_code": tracking_code})
    return "done"


def _resolve_without_number(shipment: Shipment, adapter, *, resend: bool, actor) -> str:
    """A requested cancel of a shipment we have no number for: "done", "wait", "retry", or
    "cancel" when the carrier has the parcel (its number now recorded)."""
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().get(pk=shipment.pk)
        if locked.tracking_code:
            return "cancel"
        if locked.create_outcome in (Outcome.NOT_SENT, Outcome.REFUSED):
            _record_cancelled(locked, actor=actor)
            return "done"
    if not adapter.capabilities.find_by_reference:
        # No lookup: the call under way answers, or the create is resent under our reference.
        if locked.create_outcome != Outcome.SENDING and resend:
            enqueue_task("create_shipment_task", shipment.pk, locked.attempts + 1)
        return "wait"
    started = time.perf_counter()
    try:
        found = adapter.find_by_reference(shipment.reference)
    except IntegrationError as exc:
        _log(shipment, "find", 1, started, error=exc.message)
        return "retry"
    _log(
        shipment, "find", 1, started, detail={"tracking_code": found.tracking_code if found else ""}
    )
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().get(pk=shipment.pk)
        if locked.tracking_code:
            return "cancel"  # the create's answer came meanwhile
        if found is None:
            if locked.create_outcome == Outcome.SENDING:
                return "wait"  # a call started again meanwhile: its answer decides
            _record_cancelled(locked, actor=actor)
            return "done"
        locked.tracking_code, locked.fee = found.tracking_code, found.fee or 0
        locked.create_outcome, locked.send_started_at = Outcome.CREATED, None
        locked.save(update_fields=["tracking_code", "fee", "create_outcome", "send_started_at"])
        if found.status == ShipmentStatus.CANCELLED:
            _record_cancelled(locked, actor=actor, carrier_status="cancelled at the carrier")
            return "done"
    return "cancel"


def _cancelled_at_carrier(shipment: Shipment, adapter) -> bool:
    """Whether the carrier already has the parcel cancelled (where it can tell us)."""
    if not adapter.capabilities.find_by_reference:
        return False
    try:
        found = adapter.find_by_reference(shipment.reference)
    except IntegrationError:
        return False
    return bool(
        found
        and found.tracking_code == shipment.tracking_code
        and found.status == ShipmentStatus.CANCELLED
    )


def _call_carrier(shipment: Shipment, operation: str, call) -> None:
    """Call the carrier about one parcel, log the attempt, and turn a refusal or silence into a
    Conflict the user can read."""
    started = time.perf_counter()
    try:
        call(shipment.tracking_code)
    except (PermanentError, RetryableError) as exc:
        _log(shipment, operation, 1, started, error=exc.message)
        if isinstance(exc, RetryableError):
            raise Conflict(
                _("The carrier did not answer; try again in a moment."), code="carrier_unavailable"
            ) from exc
        raise Conflict(
            _("The carrier refused: %(reason)s") % {"reason": exc.message}, code="carrier_refused"
        ) from exc
    _log(shipment, operation, 1, started)


def _carrier_action(shipment: Shipment, operation: str, call, actor) -> Shipment:
    _call_carrier(shipment, operation, call)
    with transaction.atomic():
        _order_event(
            shipment.order,
            kind=OrderEvent.Kind.NOTE,
            code="redeliver_requested" if operation == "redeliver" else "return_requested",
            params={"carrier": shipment.account.provider},
            actor=actor,
        )
        audit(actor=actor, action=f"shipment.{operation}", obj=shipment, summary=shipment.reference)
    return shipment


def shipment_redeliver(*, shipment: Shipment, actor=None) -> Shipment:
    """After a failed delivery: ask the carrier to try again."""
    require_perm(actor, "shipping.change_shipment")
    if shipment.status != ShipmentStatus.DELIVERY_FAILED.value:
        raise Conflict(
            _("Only a failed delivery can be redelivered."),
            fields={"status": _("Not failed.")},
            code="transition_not_allowed",
        )
    return _carrier_action(shipment, "redeliver", adapter_for(shipment.account).redeliver, actor)


def shipment_return(*, shipment: Shipment, actor=None) -> Shipment:
    """After a failed delivery: have the parcel returned to the shop."""
    require_perm(actor, "shipping.change_shipment")
    if shipment.status != ShipmentStatus.DELIVERY_FAILED.value:
        raise Conflict(
            _("Only a failed delivery can be returned."),
            fields={"status": _("Not failed.")},
            code="transition_not_allowed",
        )
    return _carrier_action(
        shipment, "return", adapter_for(shipment.account).return_to_sender, actor
    )
