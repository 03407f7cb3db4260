"""Carrier events in: webhooks (verified, stored raw, de-duplicated) and polling; the
shipment and its order follow."""

from __future__ import annotations

import hashlib
import json
import time

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from donhang.core.errors import NotFound, ValidationFailed
from donhang.core.integrations import (
    IntegrationError,
    PermanentError,
    log_call,
)
from donhang.core.phone import normalize_phone
from donhang.orders.models import Order
from donhang.orders.services import order_follow_shipment
from donhang.shipping.carriers.ports import (
    PROGRESS,
    ShipmentStatus,
    WebhookEvent,
)
from donhang.shipping.carriers.webhook_fields import storable
from donhang.shipping.models import (
    CarrierAccount,
    Shipment,
    ShipmentEvent,
    WebhookDelivery,
)
from donhang.shipping.services._common import _notify, enqueue_task
from donhang.shipping.services.accounts import adapter_for
from donhang.shipping.services.sending import shipment_mark_created


@transaction.atomic
def shipment_apply_event(*, shipment: Shipment, event: WebhookEvent, source: str) -> bool:
    """Record a carrier event and move the shipment (and its order) if it is news.

    Never moves a shipment out of a terminal state, and ignores events older than the last one
    applied (they arrive out of order). Carriers stamp events to the second: of two events
    stamped in the same second, the one further along (ports.PROGRESS) wins, whatever order
    they arrive in. Every event is recorded; returns whether it was applied."""
    shipment = (
        Shipment.objects.select_for_update().select_related("order", "account").get(pk=shipment.pk)
    )
    current = ShipmentStatus(shipment.status)
    last = shipment.last_event_at
    if last is not None and event.at.replace(microsecond=0) == last.replace(microsecond=0):
        newer = PROGRESS[event.status] > PROGRESS[current]
    else:
        newer = last is None or event.at >= last
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
    shipment.status, shipment.carrier_status = event.status.value, event.carrier_status
    shipment.last_event_at = max(event.at, last) if last else event.at
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
        code="carrier_update",
        params={"carrier": shipment.account.provider, "status": event.status.value},
        message=event.description or event.carrier_status,
    )
    if event.status in (
        ShipmentStatus.DELIVERING,
        ShipmentStatus.DELIVERED,
        ShipmentStatus.DELIVERY_FAILED,
    ):
        _notify(shipment, event.status.value)
    return True


# Headers never kept with a stored webhook (they carry secrets or a session).
_SECRET_HEADERS = ("authorization", "x-webhook-secret", "cookie", "proxy-authorization")


def webhook_receive(
    *, provider: str, headers: dict, body: bytes, query: dict
) -> WebhookDelivery | None:
    """Verify (shared secret of any active account of the provider), store raw, de-duplicate.
    Returns the stored delivery, or None when no account accepts the secret (→ 401).

    What is stored never holds the secret (from a header, the body, or the URL's query string)
    nor text a database cannot store."""
    accounts = list(CarrierAccount.objects.filter(provider=provider, is_active=True))
    account = next(
        (a for a in accounts if adapter_for(a).verify_webhook(headers, body, query)), None
    )
    if account is None:
        return None
    secret = account.webhook_secret
    kept_headers = {
        storable(str(k))[:100]: _redact(storable(str(v))[:1000], secret)
        for k, v in headers.items()
        if str(k).lower() not in _SECRET_HEADERS
    }
    stored_body = _stored_body(body, secret)
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
            error=storable(f"not understood: {exc.message}")[:1000],
        )
        raise
    key = "|".join(e.dedupe_key for e in events)
    if len(key) > 200:
        key = "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
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
            enqueue_task("process_webhook_task", delivery.pk)
    return delivery


# A secret this short is matched whole only: masking it inside other text would garble it.
_MASK_INSIDE_FROM = 6


def _redact(value: str, secret: str) -> str:
    if not secret:
        return value
    if value == secret:
        return "***"
    if len(secret) >= _MASK_INSIDE_FROM and secret in value:
        return value.replace(secret, "***")
    return value


def _redact_json(value, secret: str):
    if isinstance(value, str):
        return _redact(storable(value), secret)
    if isinstance(value, dict):
        return {_redact(storable(k), secret): _redact_json(v, secret) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_json(v, secret) for v in value]
    return value


_NOT_JSON = object()


def _stored_body(body: bytes, secret: str) -> str:
    """The raw body as stored (and processed later): the secret masked wherever it appears
    (Viettel Post's TOKEN, a GHN field echoing the URL…), still the same JSON otherwise."""
    try:
        raw = body.decode("utf-8")
    except UnicodeDecodeError:
        raw = None
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        payload = _NOT_JSON
    text = storable(body.decode("utf-8", errors="replace"))
    if payload is _NOT_JSON:
        return _redact(text, secret)
    try:
        redacted = _redact_json(payload, secret)
        if isinstance(redacted, dict) and "TOKEN" in redacted:
            redacted["TOKEN"] = "***"
        if raw is not None and redacted == payload and "\x00" not in raw and secret not in raw:
            return raw
        return json.dumps(redacted, ensure_ascii=False)
    except RecursionError:  # nested deeper than we walk: kept as text
        return _redact(text, secret)


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


def shipment_get_for_tracking(*, phone: str, code: str = "", order_code: str = "") -> Order:
    """The public tracking page: an order found only by its code, or the tracking number of one
    of its parcels, together with the buyer's (or the recipient's) phone. Which of the two was
    wrong is never said."""
    code = (code or order_code or "").strip()
    try:
        phone = normalize_phone(phone)
    except ValidationFailed:
        phone = ""
    order = None
    if phone and code and len(code) <= 60:
        by_phone = Order.objects.filter(Q(customer_phone=phone) | Q(shipping_phone=phone))
        order = (
            by_phone.filter(code=code.upper()).first()
            or by_phone.filter(shipments__tracking_code__iexact=code).order_by("-id").first()
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
