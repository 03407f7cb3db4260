"""Quotes, creating shipments (sent in the background, retried, idempotent by our reference),
cancel, redeliver, return. Calls to carriers never run inside a database transaction."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from donhang.core.audit import actor_user, audit
from donhang.core.errors import Conflict, ValidationFailed
from donhang.core.integrations import (
    IntegrationError,
    PermanentError,
    RetryableError,
    Unsupported,
    log_call,
)
from donhang.core.permissions import require_perm
from donhang.orders.models import Order, OrderEvent, Status, SubState
from donhang.orders.services import order_follow_shipment
from donhang.shipping.carriers.ports import (
    Quote,
    ShipmentStatus,
)
from donhang.shipping.models import (
    CarrierAccount,
    Shipment,
    ShipmentEvent,
)
from donhang.shipping.services._common import MAX_ATTEMPTS, _notify
from donhang.shipping.services.accounts import adapter_for
from donhang.shipping.services.requests import ShipmentDraft, _build_request, shipment_draft


@dataclass
class CarrierQuotes:
    account: CarrierAccount
    quotes: list[Quote]
    error: str = ""


def shipment_quotes(
    *, order: Order, draft: ShipmentDraft | None = None, accounts=None
) -> list[CarrierQuotes]:
    """Quotes from every active carrier account, side by side; a carrier that fails says why."""
    draft = draft or shipment_draft(order)
    accounts = list(
        accounts if accounts is not None else CarrierAccount.objects.filter(is_active=True)
    )
    out = []
    for account in accounts:
        probe = Shipment(
            order=order,
            account=account,
            reference=f"{order.code}-QUOTE",
            weight_g=draft.weight_g,
            length_cm=draft.length_cm,
            width_cm=draft.width_cm,
            height_cm=draft.height_cm,
            cod_amount=draft.cod_amount,
            goods_value=draft.goods_value,
            fee_payer=draft.fee_payer,
        )
        started = time.perf_counter()
        try:
            adapter = adapter_for(account)
            quotes = adapter.quote(_build_request(probe, adapter))
            out.append(CarrierQuotes(account, quotes))
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


def _open_shipment(order: Order) -> Shipment | None:
    return (
        Shipment.objects.filter(order=order)
        .exclude(status__in=[ShipmentStatus.CANCELLED.value, ShipmentStatus.RETURNED.value])
        .exclude(status=ShipmentStatus.PENDING.value, last_error__gt="", attempts__gte=MAX_ATTEMPTS)
        .first()
    )


@transaction.atomic
def shipment_create(
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
    actor=None,
) -> Shipment:
    """Ask a carrier to pick up an order. Saves the shipment now and sends it in the background
    (retried, idempotent by our reference); the order becomes ready to ship once the carrier
    answers with a tracking number."""
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
    if _open_shipment(order) is not None:
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
    if values["cod_amount"] < 0:
        errors["cod_amount"] = _("The COD amount cannot be negative.")
    if fee_payer and fee_payer not in Shipment.FeePayer.values:
        errors["fee_payer"] = _("Choose buyer or seller.")
    if inspection not in Shipment.Inspection.values:
        errors["inspection"] = _("Unknown option.")
    if order.shipping_ward_id is None:
        errors["shipping_ward"] = _("The order has no delivery address.")
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), fields=errors)
    sequence = (Shipment.objects.filter(order=order).count()) + 1
    shipment = Shipment.objects.create(
        order=order,
        account=account,
        reference=f"{order.code}-{sequence}",
        service_code=service_code,
        service_name=adapter_for(account).service_label(service_code)[:100],
        fee_payer=fee_payer or draft.fee_payer,
        inspection=inspection,
        note=note[:255],
        goods_value=draft.goods_value,
        created_by=actor_user(actor),
        **values,
    )
    OrderEvent.objects.create(
        order=order,
        kind=OrderEvent.Kind.EDITED,
        actor=actor_user(actor),
        actor_label=str(getattr(actor, "audit_label", "") or "system")[:150],
        message=_("Shipment requested from %(carrier)s (COD %(cod)s)")
        % {
            "carrier": account.get_provider_display(),
            "cod": f"{values['cod_amount']:,}".replace(",", "."),
        },
    )
    from donhang.shipping.tasks import create_shipment_task

    transaction.on_commit(lambda: create_shipment_task.enqueue(shipment.pk, 1))
    return shipment


def shipment_submit(*, shipment_id: int, attempt: int) -> str:
    """One attempt at the carrier (called by the task, outside any transaction).

    Returns "done", "retry" or "failed". After an attempt whose outcome is unknown (a timeout
    after the carrier may have created it), the next attempt first looks the shipment up by our
    reference, so a retry never creates a second parcel."""
    shipment = Shipment.objects.select_related("order__shipping_ward__province", "account").get(
        pk=shipment_id
    )
    if shipment.tracking_code or shipment.status != ShipmentStatus.PENDING.value:
        return "done"
    started = time.perf_counter()
    account = shipment.account
    try:
        adapter = adapter_for(account)
        created = None
        if attempt > 1 and adapter.capabilities.find_by_reference:
            created = adapter.find_by_reference(shipment.reference)
        if created is None:
            created = adapter.create(_build_request(shipment, adapter))
    except RetryableError as exc:
        _record_attempt(shipment, attempt, str(exc.message), gave_up=attempt >= MAX_ATTEMPTS)
        log_call(
            service=account.provider,
            operation="create",
            reference=shipment.reference,
            attempt=attempt,
            ok=False,
            error=exc.message,
            started=started,
        )
        return "retry" if attempt < MAX_ATTEMPTS else "failed"
    except (PermanentError, Unsupported, ValidationFailed) as exc:
        message = getattr(exc, "message", str(exc))
        _record_attempt(shipment, attempt, message, gave_up=True)
        log_call(
            service=account.provider,
            operation="create",
            reference=shipment.reference,
            attempt=attempt,
            ok=False,
            error=message,
            started=started,
        )
        return "failed"
    log_call(
        service=account.provider,
        operation="create",
        reference=shipment.reference,
        attempt=attempt,
        ok=True,
        started=started,
        detail={"tracking_code": created.tracking_code},
    )
    shipment_mark_created(
        shipment=shipment,
        tracking_code=created.tracking_code,
        fee=created.fee,
        expected_delivery_at=created.expected_delivery_at,
    )
    return "done"


def _record_attempt(shipment: Shipment, attempt: int, error: str, *, gave_up: bool) -> None:
    Shipment.objects.filter(pk=shipment.pk).update(
        attempts=MAX_ATTEMPTS if gave_up else attempt, last_error=error[:1000]
    )


@transaction.atomic
def shipment_mark_created(
    *, shipment: Shipment, tracking_code: str, fee: int, expected_delivery_at: datetime | None
) -> Shipment:
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    if shipment.tracking_code or shipment.status != ShipmentStatus.PENDING.value:
        # Already known, or cancelled while the carrier was being asked: never revived.
        return shipment
    now = timezone.now()
    shipment.tracking_code, shipment.fee, shipment.expected_delivery_at = (
        tracking_code,
        fee or 0,
        expected_delivery_at,
    )
    # last_event_at stays empty: the carrier's own event times (its clock) order what follows.
    shipment.status, shipment.last_error = ShipmentStatus.READY_TO_PICK.value, ""
    shipment.save(
        update_fields=["tracking_code", "fee", "expected_delivery_at", "status", "last_error"]
    )
    ShipmentEvent.objects.create(
        shipment=shipment,
        at=now,
        carrier_status="created",
        status=shipment.status,
        source="api",
        description=_("Created at the carrier"),
    )
    order_follow_shipment(
        order=shipment.order,
        shipment_status=ShipmentStatus.READY_TO_PICK.value,
        message=_("Shipment %(code)s created with %(carrier)s")
        % {"code": tracking_code, "carrier": shipment.account.get_provider_display()},
    )
    _notify(shipment, "created")
    return shipment


@transaction.atomic
def shipment_retry(*, shipment: Shipment, actor=None) -> Shipment:
    """Send a failed shipment again (after fixing what the carrier refused)."""
    require_perm(actor, "shipping.add_shipment")
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    if shipment.tracking_code or shipment.status != ShipmentStatus.PENDING.value:
        raise Conflict(
            _("This shipment already reached the carrier."), fields={"status": _("Already sent.")}
        )
    shipment.attempts, shipment.last_error = 0, ""
    shipment.save(update_fields=["attempts", "last_error"])
    from donhang.shipping.tasks import create_shipment_task

    transaction.on_commit(lambda: create_shipment_task.enqueue(shipment.pk, 1))
    return shipment


def shipment_cancel(*, shipment: Shipment, actor=None) -> Shipment:
    """Cancel while the carrier allows it (before pickup). Calls the carrier first, then records."""
    require_perm(actor, "shipping.change_shipment")
    if shipment.status_enum.carrier_has_parcel or shipment.status_enum.is_terminal:
        raise Conflict(
            _("The carrier already has the parcel; it can no longer be cancelled."),
            fields={"status": _("Too late.")},
            code="transition_not_allowed",
        )
    if shipment.tracking_code:
        _call_carrier(shipment, "cancel", adapter_for(shipment.account).cancel)
    with transaction.atomic():
        shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
        shipment.status, shipment.finished_at = ShipmentStatus.CANCELLED.value, timezone.now()
        shipment.save(update_fields=["status", "finished_at"])
        ShipmentEvent.objects.create(
            shipment=shipment,
            at=timezone.now(),
            carrier_status="cancel",
            status=shipment.status,
            source="api",
        )
        order_follow_shipment(
            order=shipment.order,
            shipment_status="cancelled",
            message=_("Shipment cancelled"),
            actor=actor,
        )
        audit(actor=actor, action="shipment.cancel", obj=shipment, summary=shipment.reference)
    return shipment


def _call_carrier(shipment: Shipment, operation: str, call) -> None:
    """Call the carrier about one parcel, log the attempt, and turn a refusal or silence into a
    Conflict the user can read."""
    started = time.perf_counter()
    try:
        call(shipment.tracking_code)
    except (PermanentError, RetryableError) as exc:
        log_call(
            service=shipment.account.provider,
            operation=operation,
            reference=shipment.reference,
            attempt=1,
            ok=False,
            error=exc.message,
            started=started,
        )
        if isinstance(exc, RetryableError):
            raise Conflict(
                _("The carrier did not answer; try again in a moment."), code="carrier_unavailable"
            ) from exc
        raise Conflict(
            _("The carrier refused: %(reason)s") % {"reason": exc.message}, code="carrier_refused"
        ) from exc
    log_call(
        service=shipment.account.provider,
        operation=operation,
        reference=shipment.reference,
        attempt=1,
        ok=True,
        started=started,
    )


def _carrier_action(shipment: Shipment, operation: str, call, actor) -> Shipment:
    _call_carrier(shipment, operation, call)
    with transaction.atomic():
        OrderEvent.objects.create(
            order=shipment.order,
            kind=OrderEvent.Kind.NOTE,
            actor=actor_user(actor),
            actor_label=str(getattr(actor, "audit_label", "") or "system")[:150],
            message=_("Asked %(carrier)s to deliver again")
            % {"carrier": shipment.account.get_provider_display()}
            if operation == "redeliver"
            else _("Asked %(carrier)s to return the parcel")
            % {"carrier": shipment.account.get_provider_display()},
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
