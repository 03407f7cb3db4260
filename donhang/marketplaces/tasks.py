"""Background work of the marketplaces: the stock sync (every worker cycle), order polling,
token refresh, the nightly reconciliation, pushes, publishing, settlements. Each task loads by
id and calls a service, holds a lease (donhang.core.leases) and is safe to run twice."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from donhang.core.integrations import DEFAULT_RETRY, IntegrationError
from donhang.core.leases import leased_task
from donhang.marketplaces import services
from donhang.marketplaces.models import ConnectionStatus, Listing, ShopConnection, StockPush
from donhang.marketplaces.services import enqueue_task

logger = logging.getLogger(__name__)


def _connected():
    return ShopConnection.objects.filter(status=ConnectionStatus.CONNECTED).select_related("store")


@leased_task
def sync_stock_task() -> dict:
    """One stock sync cycle: stock changes become pending pushes, then every shop pushes what
    is pending (batched, under its rate limit)."""
    consumed = services.stock_changes_fan_out()
    pushed = left = 0
    for connection in _connected():
        if not Listing.objects.filter(connection=connection, stock_dirty_at__isnull=False).exists():
            continue
        outcome = services.connection_push_stock(connection=connection)
        pushed += outcome.pushed
        left += outcome.left
    return {"consumed": consumed, "pushed": pushed, "left": left}


@leased_task
def push_stock_now_task(connection_id: int) -> int:
    """Staff's "push now" for one shop."""
    connection = ShopConnection.objects.select_related("store").get(pk=connection_id)
    return services.connection_push_stock(connection=connection, kind=StockPush.Kind.MANUAL).pushed


@leased_task
def poll_orders_task(connection_id: int | None = None) -> int:
    """Orders updated since the last poll, for one shop or every connected shop."""
    connections = (
        [ShopConnection.objects.select_related("store").get(pk=connection_id)]
        if connection_id
        else list(_connected())
    )
    read = 0
    for connection in connections:
        try:
            read += services.orders_poll(connection=connection)
        except IntegrationError as exc:
            logger.warning("order poll of %s failed: %s", connection, exc)
    return read


@leased_task
def pull_products_task(connection_id: int) -> int:
    connection = ShopConnection.objects.select_related("store").get(pk=connection_id)
    try:
        return services.products_pull(connection=connection).listings
    except IntegrationError as exc:
        logger.warning("product pull of %s failed: %s", connection, exc)
        return 0


@leased_task
def refresh_tokens_task() -> int:
    return services.connections_refresh_due()


@leased_task
def authorize_emulator_shops_task() -> list[int]:
    """The demo: shops on the emulators (auto_authorize) connect themselves."""
    return services.connections_emulator_authorize()


def reconcile_due_at(now: datetime) -> datetime:
    """Today's reconciliation time (MARKETPLACE_RECONCILE_AT, local time, default 02:00)."""
    text = str(getattr(settings, "MARKETPLACE_RECONCILE_AT", "02:00") or "02:00")
    try:
        hour, minute = (int(x) for x in text.split(":", 1))
        at = time(hour, minute)
    except ValueError:
        at = time(2, 0)
    local = timezone.localtime(now)
    return local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)


@leased_task
def reconcile_due_task() -> list[int]:
    """Checked every few minutes by the scheduler: shops not reconciled since today's
    reconciliation time, once it has passed, are reconciled now."""
    now = timezone.now()
    due_at = reconcile_due_at(now)
    if now < due_at:
        return []
    done = []
    for connection in _connected().exclude(reconciled_at__gte=due_at):
        services.connection_reconcile(connection=connection)
        done.append(connection.pk)
    return done


@leased_task
def process_push_task(delivery_id: int) -> None:
    services.push_process(delivery_id=delivery_id)


@leased_task
def publish_product_task(publish_id: int, attempt: int = 1) -> str:
    outcome = services.publish_submit(publish_id=publish_id, attempt=attempt)
    if outcome == "retry":
        enqueue_task(
            "publish_product_task",
            publish_id,
            attempt + 1,
            delay=DEFAULT_RETRY.delay(attempt),
            at_commit=False,
        )
    return outcome


@leased_task
def settle_order_task(marketplace_order_id: int, attempt: int = 1) -> str:
    try:
        outcome = services.order_settle(marketplace_order_id=marketplace_order_id)
    except IntegrationError:
        outcome = "retry"
    if outcome in ("retry", "not_yet") and attempt < 8:
        # Payouts come days after completion: ask again, further apart each time.
        delay = timedelta(hours=6) if outcome == "not_yet" else DEFAULT_RETRY.delay(attempt)
        enqueue_task(
            "settle_order_task", marketplace_order_id, attempt + 1, delay=delay, at_commit=False
        )
    return outcome
