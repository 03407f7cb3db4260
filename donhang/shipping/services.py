"""Shipping writes. Calls to carriers never run inside a database transaction: a service saves
what we know, the task calls the carrier, and another short transaction records the answer."""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from donhang.core.audit import actor_user, audit
from donhang.core.errors import Conflict, NotFound, ValidationFailed
from donhang.core.integrations import (
    IntegrationError,
    PermanentError,
    RetryableError,
    Unsupported,
    log_call,
)
from donhang.core.permissions import require_perm
from donhang.orders.models import Order, OrderEvent, PaymentMethod, Status, SubState
from donhang.orders.services import order_follow_shipment, order_mark_paid
from donhang.shipping.carriers.ports import (
    Address,
    Item,
    Quote,
    ShipmentRequest,
    ShipmentStatus,
    WebhookEvent,
)
from donhang.shipping.carriers.registry import build_adapter
from donhang.shipping.models import (
    CarrierAccount,
    CarrierAddressMapping,
    CodPayout,
    CodPayoutLine,
    Shipment,
    ShipmentEvent,
    WebhookDelivery,
)

MAX_ATTEMPTS = 5


# --- accounts ---------------------------------------------------------------------------------


@transaction.atomic
def carrier_account_save(
    *,
    provider: str,
    name: str,
    environment: str = "production",
    base_url: str = "",
    credentials: dict | None = None,
    options: dict | None = None,
    webhook_secret: str | None = None,
    pickup_warehouse=None,
    is_active: bool = True,
    account: CarrierAccount | None = None,
    actor=None,
) -> CarrierAccount:
    require_perm(
        actor, "shipping.change_carrieraccount" if account else "shipping.add_carrieraccount"
    )
    from donhang.shipping.models import Environment, Provider

    errors = {}
    if provider not in Provider.values:
        errors["provider"] = _("Unknown carrier.")
    if environment not in Environment.values:
        errors["environment"] = _("Unknown environment.")
    if not (name or "").strip():
        errors["name"] = _("This field is required.")
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), fields=errors)
    account = account or CarrierAccount(provider=provider)
    account.provider, account.name, account.environment = provider, name.strip(), environment
    account.base_url, account.options, account.pickup_warehouse, account.is_active = (
        base_url,
        options or {},
        pickup_warehouse,
        is_active,
    )
    if credentials is not None:
        account.credentials = credentials
    if webhook_secret is not None:
        account.webhook_secret = webhook_secret
    account.save()
    audit(actor=actor, action="carrier_account.save", obj=account, summary=str(account))
    return account


def _store_token(account_id: int):
    def store(token: str) -> None:
        with transaction.atomic():
            account = CarrierAccount.objects.select_for_update().get(pk=account_id)
            credentials = account.credentials
            credentials["token"] = token
            account.credentials = credentials
            account.save(update_fields=["credentials_encrypted"])

    return store


def adapter_for(account: CarrierAccount):
    return build_adapter(
        provider=account.provider,
        environment=account.environment,
        base_url=account.base_url,
        credentials=account.credentials,
        options=account.options,
        webhook_secret=account.webhook_secret,
        on_token=_store_token(account.pk),
    )


# --- building a request -----------------------------------------------------------------------


def _national(phone: str) -> str:
    return "0" + phone[3:] if phone.startswith("+84") else phone


def _carrier_ids(account: CarrierAccount, adapter, ward) -> dict | None:
    """The carrier's ids for our ward: from the mapping table, else looked up once and kept."""
    lookup = getattr(adapter, "lookup_ward", None)
    if lookup is None or ward is None:
        return None
    mapping = CarrierAddressMapping.objects.filter(provider=account.provider, ward=ward).first()
    if mapping is None:
        found = lookup(province_name=ward.province.name, ward_name=ward.name)
        try:
            mapping = CarrierAddressMapping.objects.create(
                provider=account.provider,
                ward=ward,
                carrier_province_id=found["province_id"],
                carrier_district_id=found.get("district_id", ""),
                carrier_ward_id=found["ward_id"],
                carrier_ward_name=found.get("ward_name", ""),
            )
        except IntegrityError:  # looked up concurrently
            mapping = CarrierAddressMapping.objects.get(provider=account.provider, ward=ward)
    return {
        "province_id": mapping.carrier_province_id,
        "district_id": mapping.carrier_district_id,
        "ward_id": mapping.carrier_ward_id,
    }


def _sender(account: CarrierAccount):
    from donhang.inventory.models import Warehouse

    warehouse = (
        account.pickup_warehouse
        or Warehouse.objects.filter(is_active=True).order_by("priority", "code").first()
    )
    if warehouse is None or warehouse.ward_id is None:
        raise ValidationFailed(
            _("The pickup warehouse has no address; add its ward and province first."),
            fields={"pickup_warehouse": _("Address missing.")},
        )
    return warehouse


def _build_request(shipment: Shipment, adapter) -> ShipmentRequest:
    order = shipment.order
    account = shipment.account
    warehouse = _sender(account)
    ward = order.shipping_ward
    if ward is None:
        raise ValidationFailed(
            _("The order has no delivery address."), fields={"shipping_ward": _("Required.")}
        )
    lines = list(order.lines.select_related("variant"))
    return ShipmentRequest(
        reference=shipment.reference,
        sender=Address(
            name=warehouse.contact_name or warehouse.name,
            phone=_national(warehouse.phone),
            line=warehouse.address_line,
            ward_code=warehouse.ward_id,
            province_code=warehouse.province_id,
            ward_name=warehouse.ward.name,
            province_name=warehouse.ward.province.name,
            carrier_ids=_carrier_ids(account, adapter, warehouse.ward),
        ),
        receiver=Address(
            name=order.shipping_name or order.customer_name,
            phone=_national(order.shipping_phone or order.customer_phone),
            line=order.shipping_address_line,
            ward_code=ward.pk,
            province_code=ward.province_id,
            ward_name=ward.name,
            province_name=ward.province.name,
            carrier_ids=_carrier_ids(account, adapter, ward),
        ),
        weight_g=shipment.weight_g,
        length_cm=shipment.length_cm,
        width_cm=shipment.width_cm,
        height_cm=shipment.height_cm,
        cod_amount=shipment.cod_amount,
        goods_value=shipment.goods_value,
        fee_payer=shipment.fee_payer,
        service_code=shipment.service_code,
        inspection=shipment.inspection,
        note=shipment.note,
        items=[
            Item(
                name=ln.name,
                sku=ln.sku,
                quantity=ln.quantity,
                price=ln.unit_price,
                weight_g=ln.variant.weight_g,
            )
            for ln in lines
        ],
    )


@dataclass
class ShipmentDraft:
    """What the create form proposes for an order."""

    weight_g: int
    length_cm: int
    width_cm: int
    height_cm: int
    cod_amount: int
    goods_value: int
    fee_payer: str


def shipment_draft(order: Order) -> ShipmentDraft:
    """Defaults: weight from the variants (at least 100 g), the largest dimensions, COD from the
    order (goods + shipping fee when the buyer pays; 0 when prepaid)."""
    lines = list(order.lines.select_related("variant"))
    weight = sum(ln.quantity * (ln.variant.weight_g or 0) for ln in lines)
    return ShipmentDraft(
        weight_g=max(weight, 100),
        length_cm=max([ln.variant.length_cm for ln in lines] + [10]),
        width_cm=max([ln.variant.width_cm for ln in lines] + [10]),
        height_cm=max(sum(ln.variant.height_cm * ln.quantity for ln in lines), 5),
        cod_amount=order.cod_amount if order.payment_method == PaymentMethod.COD else 0,
        goods_value=order.goods_total - order.discount_total,
        fee_payer=order.shipping_fee_payer,
    )


# --- quotes (read only, interactive) ------------------------------------------------------------


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


# --- create -----------------------------------------------------------------------------------


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


# --- tracking ---------------------------------------------------------------------------------


@transaction.atomic
def shipment_apply_event(*, shipment: Shipment, event: WebhookEvent, source: str) -> bool:
    """Record a carrier event and move the shipment (and its order) if it is news.

    Never moves a shipment out of a terminal state, and ignores events older than the last one
    applied (they arrive out of order). Returns whether the event was applied."""
    shipment = (
        Shipment.objects.select_for_update().select_related("order", "account").get(pk=shipment.pk)
    )
    current = ShipmentStatus(shipment.status)
    newer = shipment.last_event_at is None or event.at >= shipment.last_event_at
    same = event.status.value == shipment.status
    applied = not current.is_terminal and newer and not same
    if current == ShipmentStatus.PENDING and not newer:
        applied = True
    ShipmentEvent.objects.create(
        shipment=shipment,
        at=event.at,
        carrier_status=event.carrier_status,
        status=event.status.value,
        description=event.description[:500],
        reason_code=event.reason_code,
        source=source,
        applied=applied,
    )
    if event.fee:
        shipment.fee_charged = int(event.fee)
    if not applied:
        if event.fee:
            shipment.save(update_fields=["fee_charged"])
        return False
    shipment.status, shipment.carrier_status, shipment.last_event_at = (
        event.status.value,
        event.carrier_status,
        event.at,
    )
    if event.status.carrier_has_parcel and not shipment.picked_at:
        shipment.picked_at = event.at
    if event.status == ShipmentStatus.DELIVERED:
        shipment.delivered_at = event.at
    if event.status.is_terminal:
        shipment.finished_at = event.at
    shipment.save()
    order_follow_shipment(
        order=shipment.order,
        shipment_status=event.status.value,
        paid=shipment.cod_paid_at is not None,
        message=f"{shipment.account.get_provider_display()}: {event.description or event.carrier_status}",
    )
    if event.status in (
        ShipmentStatus.DELIVERING,
        ShipmentStatus.DELIVERED,
        ShipmentStatus.DELIVERY_FAILED,
    ):
        _notify(shipment, event.status.value)
    return True


def webhook_receive(
    *, provider: str, headers: dict, body: bytes, query: dict
) -> WebhookDelivery | None:
    """Verify (shared secret of any active account of the provider), store raw, de-duplicate.
    Returns the stored delivery, or None when no account accepts the secret (→ 401)."""
    accounts = list(CarrierAccount.objects.filter(provider=provider, is_active=True))
    account = next(
        (a for a in accounts if adapter_for(a).verify_webhook(headers, body, query)), None
    )
    if account is None:
        return None
    kept_headers = {
        k: v
        for k, v in headers.items()
        if k.lower() not in ("authorization", "x-webhook-secret", "cookie")
    }
    stored_body = _redact_secret(body)
    try:
        events = adapter_for(account).parse_webhook(body)
    except PermanentError as exc:
        # Kept raw all the same (a status the carrier added, a changed field): staff see it, and
        # nothing the carrier told us is lost.
        WebhookDelivery.objects.create(
            provider=provider,
            account=account,
            headers=kept_headers,
            body=stored_body,
            error=f"not understood: {exc.message}"[:1000],
        )
        raise
    key = "|".join(e.dedupe_key for e in events)
    with transaction.atomic():
        # A repeat of a delivery already processed without error; one that failed or was never
        # processed is processed again (applying an event is idempotent).
        duplicate = (
            bool(key)
            and WebhookDelivery.objects.filter(
                provider=provider,
                dedupe_key=key,
                is_duplicate=False,
                processed_at__isnull=False,
                error="",
            ).exists()
        )
        delivery = WebhookDelivery.objects.create(
            provider=provider,
            account=account,
            headers=kept_headers,
            body=stored_body,
            dedupe_key=key,
            is_duplicate=duplicate,
        )
        if not duplicate:
            from donhang.shipping.tasks import process_webhook_task

            transaction.on_commit(lambda: process_webhook_task.enqueue(delivery.pk))
    return delivery


def _redact_secret(body: bytes) -> str:
    """The raw body as stored: a secret carried inside it (Viettel Post's TOKEN) is masked."""
    text = body.decode("utf-8", errors="replace")
    try:
        payload = json.loads(text)
    except ValueError:
        return text
    if isinstance(payload, dict) and "TOKEN" in payload:
        payload["TOKEN"] = "***"
        return json.dumps(payload, ensure_ascii=False)
    return text


def webhook_process(*, delivery_id: int) -> None:
    delivery = WebhookDelivery.objects.select_related("account").get(pk=delivery_id)
    if delivery.processed_at or delivery.account is None:
        return
    # Only shipments of the account whose secret the webhook carried.
    adapter = adapter_for(delivery.account)
    errors = []
    for event in adapter.parse_webhook(delivery.body.encode()):
        # An empty code must never match: every shipment still waiting for its number has one.
        shipment = (
            Shipment.objects.filter(
                account=delivery.account, tracking_code=event.tracking_code
            ).first()
            if event.tracking_code
            else None
        ) or (
            Shipment.objects.filter(account=delivery.account, reference=event.reference).first()
            if event.reference
            else None
        )
        if shipment is None:
            errors.append(f"unknown shipment {event.tracking_code}")
            continue
        if not shipment.tracking_code and event.tracking_code:
            shipment_mark_created(
                shipment=shipment,
                tracking_code=event.tracking_code,
                fee=event.fee or 0,
                expected_delivery_at=None,
            )
        shipment_apply_event(shipment=shipment, event=event, source="webhook")
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        processed_at=timezone.now(), error="; ".join(errors)[:1000]
    )


def shipment_poll(*, shipment: Shipment) -> int:
    """Ask the carrier for the shipment's history and apply what webhooks missed."""
    adapter = adapter_for(shipment.account)
    if not adapter.capabilities.track or not shipment.tracking_code:
        return 0
    started = time.perf_counter()
    try:
        info = adapter.track(shipment.tracking_code)
    except IntegrationError as exc:
        log_call(
            service=shipment.account.provider,
            operation="track",
            reference=shipment.reference,
            attempt=1,
            ok=False,
            error=exc.message,
            started=started,
        )
        return 0
    applied = 0
    for event in info.events:
        applied += shipment_apply_event(
            shipment=shipment,
            event=WebhookEvent(
                tracking_code=info.tracking_code,
                reference=info.reference,
                carrier_status=event.carrier_status,
                status=event.status,
                at=event.at,
                description=event.description,
            ),
            source="poll",
        )
    Shipment.objects.filter(pk=shipment.pk).update(last_polled_at=timezone.now())
    return applied


# --- COD reconciliation -------------------------------------------------------------------------


@dataclass
class PayoutLineInput:
    tracking_code: str
    cod_amount: int
    fee: int = 0


@transaction.atomic
def cod_payout_record(
    *,
    account: CarrierAccount,
    paid_at: date,
    lines: list[PayoutLineInput],
    reference: str = "",
    source_file: str = "",
    actor=None,
) -> CodPayout:
    """Record a carrier payout and match it to delivered shipments by tracking number; flag
    differences in COD and fees. Delivered COD orders that are now paid become completed."""
    require_perm(actor, "shipping.reconcile_cod")
    if not lines:
        raise ValidationFailed(
            _("The payout has no lines."), fields={"lines": _("Add at least one tracking number.")}
        )
    codes = [ln.tracking_code.strip() for ln in lines]
    if reference and CodPayout.objects.filter(account=account, reference=reference).exists():
        raise Conflict(
            _("This statement was already recorded."),
            fields={"reference": _("Already recorded.")},
            code="duplicate_payout",
        )
    shipments = {
        s.tracking_code: s
        for s in Shipment.objects.select_for_update()
        .filter(account=account, tracking_code__in=codes)
        .select_related("order")
    }
    payout = CodPayout.objects.create(
        account=account,
        paid_at=paid_at,
        reference=reference,
        source_file=source_file,
        created_by=actor_user(actor),
    )
    rows, paid_orders = [], []
    now = timezone.now()
    for ln, code in zip(lines, codes, strict=True):
        shipment = shipments.get(code)
        problem, cod_diff, fee_diff = "", 0, 0
        if shipment is None:
            problem = _("No shipment with this tracking number.")
        else:
            cod_diff = ln.cod_amount - shipment.cod_amount
            expected_fee = (
                shipment.fee_charged if shipment.fee_charged is not None else shipment.fee
            )
            fee_diff = ln.fee - expected_fee if ln.fee else 0
            if shipment.cod_paid_at:
                problem = _("Already paid in an earlier statement.")
            elif shipment.status != ShipmentStatus.DELIVERED.value:
                problem = _("Paid, but the shipment is not delivered.")
            elif cod_diff:
                problem = _("COD differs from the order.")
            elif fee_diff:
                problem = _("Fee differs from the quote.")
            if not shipment.cod_paid_at:
                shipment.cod_paid_amount, shipment.cod_paid_at = ln.cod_amount, now
                if ln.fee:
                    shipment.fee_charged = ln.fee
                shipment.save(update_fields=["cod_paid_amount", "cod_paid_at", "fee_charged"])
                if shipment.status == ShipmentStatus.DELIVERED.value:
                    paid_orders.append(shipment.order)
        rows.append(
            CodPayoutLine(
                payout=payout,
                tracking_code=code,
                shipment=shipment,
                cod_amount=ln.cod_amount,
                fee=ln.fee,
                cod_difference=cod_diff,
                fee_difference=fee_diff,
                problem=problem,
            )
        )
    CodPayoutLine.objects.bulk_create(rows)
    for order in paid_orders:
        order_mark_paid(order=order, actor=actor)
    audit(
        actor=actor,
        action="cod_payout.record",
        obj=payout,
        summary=f"{account} {paid_at} {len(rows)} lines",
    )
    return payout


def cod_payout_rows_from_file(*, filename: str, content: bytes) -> list[PayoutLineInput]:
    """A carrier statement (.xlsx or .csv): a tracking-number column and a COD column, and
    optionally a fee column; headers in Vietnamese or English. All rows checked first."""
    import csv
    import io

    from donhang.core.text import fold

    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).active
        table = [
            ["" if c is None else str(c) for c in row] for row in sheet.iter_rows(values_only=True)
        ]
    else:
        table = list(csv.reader(io.StringIO(content.decode("utf-8-sig", errors="replace"))))
    if not table:
        raise ValidationFailed(_("The file is empty."), fields={"file": _("No rows.")})
    header = [fold(h) for h in table[0]]

    def column(*names):
        return next((i for i, h in enumerate(header) if h in names), None)

    code_col = column(
        "ma van don",
        "tracking",
        "tracking code",
        "tracking number",
        "order_code",
        "ma don hang",
        "van don",
    )
    cod_col = column("tien thu ho", "cod", "cod amount", "thu ho", "tien cod")
    fee_col = column("phi", "fee", "phi van chuyen", "cuoc phi", "tong phi")
    if code_col is None or cod_col is None:
        raise ValidationFailed(
            _("The statement needs a tracking-number column and a COD column."),
            fields={"file": _("Columns not found.")},
        )

    def number(row, col):
        """A whole VND amount as statements write it: 360000, 360.000, 360,000 or 360000.0."""
        if col is None or col >= len(row):
            return 0
        text = str(row[col]).strip().replace(" ", "").replace("₫", "").replace("đ", "")
        if not text:
            return 0
        if re.fullmatch(r"-?\d{1,3}([.,]\d{3})+", text):
            return int(re.sub(r"[.,]", "", text))
        value = float(text)  # ValueError for anything else
        if not math.isfinite(value) or not value.is_integer():
            raise ValueError(text)
        return int(value)

    rows, errors = [], {}
    for n, row in enumerate(table[1:], start=2):
        if not any(str(c).strip() for c in row):
            continue
        try:
            rows.append(
                PayoutLineInput(
                    tracking_code=str(row[code_col]).strip(),
                    cod_amount=number(row, cod_col),
                    fee=number(row, fee_col),
                )
            )
        except (ValueError, IndexError):
            errors[f"row {n}"] = _("COD or fee is not a number.")
    if errors:
        raise ValidationFailed(
            _("Some rows of the statement are not valid; nothing was recorded."), fields=errors
        )
    return rows


# --- notifications ----------------------------------------------------------------------------


def _notify(shipment: Shipment, kind: str) -> None:
    from donhang.shipping.tasks import notify_customer_task

    transaction.on_commit(lambda: notify_customer_task.enqueue(shipment.pk, kind))


def shipment_get_for_tracking(*, order_code: str, phone: str) -> Order:
    """The public tracking page: an order found only by its code and the buyer's phone."""
    from donhang.core.phone import normalize_phone

    try:
        phone = normalize_phone(phone)
    except ValidationFailed:
        phone = ""
    order = (
        Order.objects.filter(code=(order_code or "").strip().upper(), customer_phone=phone).first()
        if phone
        else None
    )
    if order is None:
        raise NotFound(
            _("No order matches this code and phone number."),
            fields={"code": _("Check the code and the phone number.")},
        )
    return order


def shipments_due_for_polling(*, older_than_minutes: int = 60):
    cutoff = timezone.now() - timezone.timedelta(minutes=older_than_minutes)
    return Shipment.objects.exclude(
        status__in=[s.value for s in ShipmentStatus if s.is_terminal]
        + [ShipmentStatus.PENDING.value]
    ).filter(last_polled_at__isnull=True) | Shipment.objects.exclude(
        status__in=[s.value for s in ShipmentStatus if s.is_terminal]
        + [ShipmentStatus.PENDING.value]
    ).filter(last_polled_at__lt=cutoff)
