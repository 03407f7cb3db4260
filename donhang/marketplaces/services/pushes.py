"""Pushes from the platforms: verified on the raw body, stored raw, answered at once and
processed in a task, de-duplicated; each order push re-reads the order (pushes are hints)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from donhang.core.integrations import IntegrationError, PermanentError
from donhang.marketplaces.models import ConnectionStatus, ShopConnection, WebhookDelivery
from donhang.marketplaces.services._common import adapter_for, enqueue_task
from donhang.marketplaces.services.orders import order_refresh

SECRET_HEADERS = ("authorization", "cookie")


def push_receive(
    *, platform: str, headers: dict, body: bytes, urls: list[str]
) -> WebhookDelivery | None:
    """Verify the push with the secret of a shop of the platform (Shopee signs the callback
    address too: `urls` are the addresses it may have been registered under), store it raw,
    de-duplicate. Returns None when no shop's secret verifies it (→ 401)."""
    connections = list(
        ShopConnection.objects.filter(platform=platform).exclude(status=ConnectionStatus.DISABLED)
    )
    verified = []
    for connection in connections:
        adapter = adapter_for(connection, tokens=False)
        candidates = [connection.options.get("push_url"), *urls]
        if any(
            adapter.verify_push(headers=headers, body=body, url=url) for url in candidates if url
        ):
            verified.append((connection, adapter))
    if not verified:
        return None
    # What a database cannot store (NUL) is dropped from the raw copy; headers are cut short.
    kept = {
        str(k)[:100].replace("\x00", ""): str(v)[:500].replace("\x00", "")
        for k, v in headers.items()
        if str(k).lower() not in SECRET_HEADERS
    }
    text = body.decode("utf-8", errors="replace").replace("\x00", "")
    try:
        events = verified[0][1].parse_push(body)
    except PermanentError as exc:
        WebhookDelivery.objects.create(
            platform=platform,
            connection=verified[0][0],
            headers=kept,
            body=text,
            error=f"not understood: {exc.message}"[:1000],
        )
        raise
    # One app may serve several shops (one secret): the shop the push names.
    shop_ids = {e.shop_id for e in events if e.shop_id}
    connection = next((c for c, _a in verified if c.shop_external_id in shop_ids), verified[0][0])
    key = "|".join(e.dedupe_key for e in events)[:255]
    with transaction.atomic():
        duplicate = (
            bool(key)
            and WebhookDelivery.objects.filter(
                platform=platform,
                dedupe_key=key,
                is_duplicate=False,
                processed_at__isnull=False,
                error="",
            ).exists()
        )
        delivery = WebhookDelivery.objects.create(
            platform=platform,
            connection=connection,
            headers=kept,
            body=text,
            dedupe_key=key,
            is_duplicate=duplicate,
        )
        if not duplicate:
            enqueue_task("process_push_task", delivery.pk)
    return delivery


def push_process(*, delivery_id: int) -> None:
    delivery = WebhookDelivery.objects.select_related("connection").get(pk=delivery_id)
    if delivery.processed_at or delivery.connection is None:
        return
    connection = delivery.connection
    adapter = adapter_for(connection)
    errors = []
    for event in adapter.parse_push(delivery.body.encode()):
        if event.kind != "order" or not event.order_id:
            continue
        if (
            event.shop_id
            and connection.shop_external_id
            and event.shop_id != connection.shop_external_id
        ):
            errors.append(f"push for shop {event.shop_id}, not {connection.shop_external_id}")
            continue
        try:
            order_refresh(connection=connection, order_id=event.order_id, source="push")
        except IntegrationError as exc:
            errors.append(f"{event.order_id}: {exc.message}")
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        processed_at=timezone.now(), error="; ".join(errors)[:1000]
    )
