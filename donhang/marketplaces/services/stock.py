"""Stock sync: the "stock changed" records of inventory become one pending push per listing
(coalesced per SKU); a run pushes each shop's pending listings in batches sized to the API,
under the shop's call rate, waiting and retrying when the platform says "too many requests"."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from donhang.core.integrations import IntegrationError, PermanentError, RetryableError
from donhang.core.leases import lease_seconds
from donhang.inventory.selectors import stock_changes_pending
from donhang.inventory.services import stock_changes_mark_consumed
from donhang.marketplaces.http import throttle_for
from donhang.marketplaces.models import ConnectionStatus, Listing, ShopConnection, StockPush
from donhang.marketplaces.ports import StockResult, StockUpdate
from donhang.marketplaces.services._common import (
    adapter_for,
    calls_per_second,
    connection_record_error,
    logged,
)
from donhang.orders.selectors import channel_available_to_promise

# Waits after "too many requests" within one run before leaving the rest for the next run.
RATE_LIMIT_RETRIES = 8
MAX_WAIT_SECONDS = 30.0
FAN_OUT_BATCH = 5000
RECORD_EVERY = 10  # calls answered before their results are saved


def publishable(connection: ShopConnection, available: int) -> int:
    """What the shop shows of `available`: the units kept back first, then the percentage."""
    units = max(int(available) - connection.stock_buffer, 0)
    return units * connection.stock_percent // 100


def publishable_quantities(connection: ShopConnection, variant_ids) -> dict[int, int]:
    """{variant id: quantity to show on the shop}: what the shop's orders could reserve (its
    warehouse rule) after its stock rules."""
    ids = list(variant_ids)
    if not ids:
        return {}
    available = channel_available_to_promise(
        channel=connection.platform, variant_ids=ids, store_id=connection.store_id
    )
    return {v: publishable(connection, available.get(v, 0)) for v in ids}


def stock_changes_fan_out(*, limit: int = FAN_OUT_BATCH) -> int:
    """Turn inventory's pending "stock changed" records into one pending push per listing of a
    connected shop, and mark the records consumed (a record written again meanwhile stays).
    Returns how many records were consumed."""
    consumed = 0
    while True:
        with transaction.atomic():
            changes = stock_changes_pending(limit=limit)
            if not changes:
                return consumed
            Listing.objects.filter(
                variant_id__in=[c.variant_id for c in changes],
                connection__status=ConnectionStatus.CONNECTED,
            ).update(stock_dirty_at=timezone.now())
            consumed += stock_changes_mark_consumed(changes=changes)
        if len(changes) < limit:
            return consumed


def claim_for() -> timedelta:
    """How long a run holds a shop without a sign of life: it renews its hold before every
    call, so a run whose worker died (its task requeued when its lease expired) lets the next
    run push within this, not minutes later. Longer than a call plus a rate-limit wait."""
    return timedelta(seconds=max(3 * lease_seconds(), MAX_WAIT_SECONDS + 60))


def _claim(connection: ShopConnection, now) -> bool:
    return bool(
        ShopConnection.objects.filter(pk=connection.pk)
        .filter(Q(stock_sync_claimed_until__isnull=True) | Q(stock_sync_claimed_until__lt=now))
        .update(stock_sync_claimed_until=now + claim_for())
    )


def _renew_claim(connection: ShopConnection) -> None:
    ShopConnection.objects.filter(pk=connection.pk).update(
        stock_sync_claimed_until=timezone.now() + claim_for()
    )


@dataclass
class PushOutcome:
    pushed: int = 0
    failed: int = 0
    left: int = 0  # still pending (rate limits or platform trouble): the next run takes them
    rate_limited: int = 0  # "too many requests" answers, each waited out and retried
    calls: int = 0
    busy: bool = False  # another run holds the shop
    errors: list[str] = field(default_factory=list)


def connection_push_stock(
    *,
    connection: ShopConnection,
    kind: str = StockPush.Kind.CHANGE,
    limit: int | None = None,
    sleep=None,
) -> PushOutcome:
    """Push the pending listings of one shop: the quantity its rules publish, in batches the
    API takes. A listing changed again during the push stays pending. Calls run outside any
    transaction; one run per shop at a time."""
    outcome = PushOutcome()
    now = timezone.now()
    sleep = (
        sleep or throttle_for(f"marketplace:{connection.pk}", calls_per_second(connection)).sleep
    )
    if not connection.is_connected:
        return outcome
    if not _claim(connection, now):
        outcome.busy = True
        return outcome
    try:
        _push_pending(connection, kind, limit, sleep, outcome)
    finally:
        ShopConnection.objects.filter(pk=connection.pk).update(stock_sync_claimed_until=None)
    fields = {"last_sync_at": timezone.now()}
    if outcome.failed or outcome.errors:
        fields["push_failures"] = connection.push_failures + 1
    elif outcome.pushed:
        fields["push_failures"] = 0
    ShopConnection.objects.filter(pk=connection.pk).update(**fields)
    for key, value in fields.items():
        setattr(connection, key, value)
    return outcome


def _pending(connection: ShopConnection, limit: int | None) -> list[Listing]:
    rows = (
        Listing.objects.filter(
            connection=connection, stock_dirty_at__isnull=False, variant__isnull=False
        )
        .only(
            "pk",
            "item_id",
            "model_id",
            "seller_sku",
            "variant_id",
            "stock_dirty_at",
            "extra",
            "push_attempts",
            "platform_stock",
        )
        .order_by("item_id", "model_id")
    )
    return list(rows[:limit] if limit else rows)


def _batches(listings: list[Listing], size: int, one_item: bool) -> list[list[Listing]]:
    if not one_item:
        return [listings[i : i + size] for i in range(0, len(listings), size)]
    by_item: dict[str, list[Listing]] = defaultdict(list)
    for listing in listings:
        by_item[listing.item_id].append(listing)
    out = []
    for rows in by_item.values():
        out.extend(rows[i : i + size] for i in range(0, len(rows), size))
    return out


def _push_pending(connection, kind, limit, sleep, outcome: PushOutcome) -> None:
    listings = _pending(connection, limit)
    # Listings linked to nothing pushable (no variant) are simply not pending.
    if not listings:
        return
    adapter = adapter_for(connection)
    quantities = publishable_quantities(connection, {row.variant_id for row in listings})
    caps = adapter.capabilities
    answered: list = []  # (batch, updates, results) not saved yet
    for batch in _batches(listings, caps.stock_batch_size, caps.stock_one_item_per_call):
        updates = [
            StockUpdate(
                item_id=row.item_id,
                model_id=row.model_id,
                seller_sku=row.seller_sku,
                quantity=quantities.get(row.variant_id, 0),
                extra=row.extra or {},
            )
            for row in batch
        ]
        results = None
        for _attempt in range(RATE_LIMIT_RETRIES + 1):
            _renew_claim(connection)
            outcome.calls += 1
            try:
                results = logged(
                    connection,
                    "update_stock",
                    batch[0].seller_sku or batch[0].item_id,
                    lambda updates=updates: adapter.update_stock(updates),
                )
                break
            except RetryableError as exc:
                if exc.code != "rate_limited":
                    outcome.errors.append(exc.message)
                    break
                outcome.rate_limited += 1
                sleep(min(float(exc.details.get("retry_after") or 1.0), MAX_WAIT_SECONDS))
            except PermanentError as exc:
                results = [
                    _failed(u, exc.message) for u in updates
                ]  # refused whole: each listing says why
                break
            except IntegrationError as exc:
                outcome.errors.append(exc.message)
                break
        if results is None:
            if outcome.errors:
                break  # platform trouble (5xx, timeouts): the rest waits for the next run
            continue  # still rate limited after every wait: this batch waits for the next run
        answered.append((batch, updates, results))
        if len(answered) >= RECORD_EVERY:
            _record_all(connection, kind, answered, outcome)
    _record_all(connection, kind, answered, outcome)
    outcome.left = sum(1 for row in listings if row.stock_dirty_at)


def _record_all(connection, kind, answered: list, outcome: PushOutcome) -> None:
    """Save the answers of several calls at once (fewer writes between calls: the platform's
    rate sets the pace). Those not saved when a worker dies stay pending and are pushed again."""
    if not answered:
        return
    _record(
        connection,
        kind,
        [row for batch, _u, _r in answered for row in batch],
        [u for _b, updates, _r in answered for u in updates],
        [r for _b, _u, results in answered for r in results],
        outcome,
    )
    for batch, _u, _r in answered:
        for row in batch:
            row.stock_dirty_at = None
    answered.clear()


def _failed(update: StockUpdate, message: str) -> StockResult:
    return StockResult(update.item_id, update.model_id, False, message)


@transaction.atomic
def _record(connection, kind, batch, updates, results, outcome: PushOutcome) -> None:
    """Save what one batch pushed: the log, the listings' pushed stock; a listing is no longer
    pending unless it changed again since it was read."""
    now = timezone.now()
    by_key = {(r.item_id, r.model_id): r for r in results}
    log, done, failed_rows = [], [], []
    for row, update in zip(batch, updates, strict=True):
        result = by_key.get((row.item_id, row.model_id))
        ok = bool(result and result.ok)
        error = "" if ok else ((result.error if result else "") or "no answer for this SKU")
        log.append(
            StockPush(
                connection=connection,
                listing=row,
                seller_sku=row.seller_sku,
                quantity=update.quantity,
                kind=kind,
                ok=ok,
                error=error[:500],
                at=now,
            )
        )
        if ok:
            row.pushed_stock, row.pushed_at, row.last_error, row.push_attempts = (
                update.quantity,
                now,
                "",
                0,
            )
            row.platform_stock = update.quantity
            done.append(row)
            outcome.pushed += 1
        else:
            row.last_error = error[:500]
            row.push_attempts = (row.push_attempts or 0) + 1
            failed_rows.append(row)
            outcome.failed += 1
    StockPush.objects.bulk_create(log)
    if done:
        Listing.objects.bulk_update(
            done, ["pushed_stock", "pushed_at", "last_error", "push_attempts", "platform_stock"]
        )
    if failed_rows:
        Listing.objects.bulk_update(failed_rows, ["last_error", "push_attempts"])
    # Refused ones are not retried in a loop: the nightly check or a change pushes them again.
    by_stamp: dict = defaultdict(list)
    for row in batch:
        by_stamp[row.stock_dirty_at].append(row.pk)
    for stamp, ids in by_stamp.items():
        Listing.objects.filter(pk__in=ids, stock_dirty_at=stamp).update(stock_dirty_at=None)


def connection_push_now(*, connection: ShopConnection, actor=None) -> int:
    """Staff's "push now": every linked listing of the shop is pending again (the task pushes
    them); returns how many."""
    return Listing.objects.filter(
        connection=connection, variant__isnull=False, is_present=True
    ).update(stock_dirty_at=timezone.now())


def connection_mark_drift(*, connection: ShopConnection) -> int:
    """The nightly check: a linked listing whose stock on the shop is not what its rules
    publish (changed by hand in the seller centre, a push lost) is pending again."""
    rows = list(
        Listing.objects.filter(connection=connection, variant__isnull=False, is_present=True).only(
            "pk", "variant_id", "platform_stock"
        )
    )
    quantities = publishable_quantities(connection, {row.variant_id for row in rows})
    drift = [row.pk for row in rows if row.platform_stock != quantities.get(row.variant_id, 0)]
    for start in range(0, len(drift), 1000):
        Listing.objects.filter(pk__in=drift[start : start + 1000]).update(
            stock_dirty_at=timezone.now()
        )
    return len(drift)


def connection_stock_error(connection: ShopConnection, exc: Exception) -> None:
    connection_record_error(connection, exc)
