"""Keeping the figures up to date: what changed since the last run, and which days that makes
to compute again.

Every change the figures depend on leaves a row with a growing id in a table reports follows:
an order's timeline (every order change writes an OrderEvent: created, edited, confirmed,
handed over, cancelled, returned, paid), the stock ledger (sales with their cost, goods coming
back), parcels, their events and the carriers' COD payout lines. A run reads the rows above the
last run's watermark, turns them into days (the orders' days, the movements' days, the
parcels' days) and recomputes those days whole (donhang.reports.compute), then their months.

An id below the watermark that was missing when it was read may belong to a transaction still
open then (PostgreSQL hands out ids before commit): such ids are kept as gaps and looked for
again at the next runs, for GAP_TTL. Days marked by hooks (DirtyDay) are recomputed too.

A run holds the RefreshState row locked, so two workers never refresh at once; the first run
(or `manage.py reports_rebuild`) computes every day from the first order on."""

from __future__ import annotations

import logging
import time as clock
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Max, Min, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from donhang.inventory.models import StockMovement
from donhang.orders.models import Order, OrderEvent
from donhang.reports import compute
from donhang.reports.models import (
    CustomerDay,
    DirtyDay,
    MovementDay,
    MovementMonth,
    OrdersDay,
    RefreshState,
    SalesDay,
    SalesMonth,
    ShipmentFact,
    ShippingDay,
)
from donhang.reports.periods import (
    day_runs,
    local_day,
    month_end,
    month_start,
    months_between,
    today,
)
from donhang.shipping.models import CodPayoutLine, Shipment, ShipmentEvent

logger = logging.getLogger(__name__)

GAP_TTL = timedelta(minutes=10)
MAX_GAPS = 5000
# Rows read per source and run; the rest waits for the next run (a backlog after downtime).
MAX_ROWS = 200_000
# Ids below the watermark a rebuild looks at for transactions still open when it started.
REBUILD_LOOKBACK = 1000

# source name → (model, the field naming what changed)
SOURCES = {
    "order_event": (OrderEvent, "order_id"),
    "movement": (StockMovement, "at"),
    "shipment": (Shipment, "pk"),
    "shipment_event": (ShipmentEvent, "shipment_id"),
    "payout_line": (CodPayoutLine, "shipment_id"),
}


@dataclass
class RefreshResult:
    days: list[date] = field(default_factory=list)
    shipments: int = 0
    rebuilt: bool = False
    milliseconds: int = 0


def _state_locked() -> RefreshState:
    RefreshState.objects.get_or_create(pk=1)
    return RefreshState.objects.select_for_update().get(pk=1)


def _read_since(source: str, state: RefreshState, now: datetime) -> tuple[list, int, list]:
    """Rows of `source` above its watermark or among its gaps: (values, new watermark, gaps)."""
    model, what = SOURCES[source]
    mark = int(state.watermarks.get(source, 0))
    gaps = {int(pk): seen for pk, seen in state.gaps.get(source, [])}
    found = list(
        model.objects.filter(Q(pk__gt=mark) | Q(pk__in=list(gaps)))
        .order_by("pk")
        .values_list("pk", what)[: MAX_ROWS + len(gaps)]
    )
    present = {pk for pk, _value in found}
    new_mark = max((pk for pk in present if pk > mark), default=mark)
    stamp = now.isoformat()
    kept = [
        [pk, seen]
        for pk, seen in gaps.items()
        if pk not in present and now - parse_datetime(seen) < GAP_TTL
    ]
    if new_mark - mark <= 10 * MAX_ROWS:
        kept += [[pk, stamp] for pk in range(mark + 1, new_mark) if pk not in present]
    return found, new_mark, kept[-MAX_GAPS:]


def _order_days(order_ids: set[int]) -> set[date]:
    days: set[date] = set()
    ids = sorted(order_ids)
    for i in range(0, len(ids), compute.BATCH):
        days.update(
            local_day(at)
            for at in Order.objects.filter(pk__in=ids[i : i + compute.BATCH]).values_list(
                "created_at", flat=True
            )
        )
    return days


def _order_shipments(order_ids: set[int]) -> set[int]:
    found: set[int] = set()
    ids = sorted(order_ids)
    for i in range(0, len(ids), compute.BATCH):
        found.update(
            Shipment.objects.filter(order_id__in=ids[i : i + compute.BATCH]).values_list(
                "pk", flat=True
            )
        )
    return found


def days_recompute(days) -> None:
    """Compute these days and their months again (the caller holds the refresh lock)."""
    runs = day_runs(days)
    for first, last in runs:
        compute.sales_days_write(first, last)
        compute.movement_days_write(first, last)
    compute.months_write(month_start(d) for d in days)


def figures_refresh(*, now: datetime | None = None) -> RefreshResult:
    """Bring the figures up to date with what changed since the last run (the scheduler's job
    every minute). The first run computes everything."""
    started = clock.perf_counter()
    now = now or timezone.now()
    with transaction.atomic():
        state = _state_locked()
        if state.complete_to is None:
            rebuild = True
        else:
            rebuild = False
            result = _refresh(state, now)
    if rebuild:
        return figures_rebuild(now=now)
    result.milliseconds = int((clock.perf_counter() - started) * 1000)
    RefreshState.objects.filter(pk=1).update(last_run_ms=result.milliseconds)
    return result


def _refresh(state: RefreshState, now: datetime) -> RefreshResult:
    marks, gaps = dict(state.watermarks), dict(state.gaps)
    read = {}
    for source in SOURCES:
        read[source], marks[source], gaps[source] = _read_since(source, state, now)

    order_ids = {order_id for _pk, order_id in read["order_event"]}
    days = {local_day(at) for _pk, at in read["movement"]}
    movement_ids = [pk for pk, _at in read["movement"]]
    for i in range(0, len(movement_ids), compute.BATCH):
        # The cost of a sale, and goods coming back, also change their order's day.
        order_ids.update(
            StockMovement.objects.filter(
                pk__in=movement_ids[i : i + compute.BATCH], order_line__isnull=False
            )
            .values_list("order_line__order_id", flat=True)
            .distinct()
        )
    days |= _order_days(order_ids)
    marked = list(DirtyDay.objects.values_list("pk", "day"))
    days |= {day for _pk, day in marked}
    DirtyDay.objects.filter(pk__in=[pk for pk, _day in marked]).delete()

    shipment_ids = {pk for pk, _pk in read["shipment"]}
    shipment_ids |= {pk for _id, pk in read["shipment_event"]}
    shipment_ids |= {pk for _id, pk in read["payout_line"] if pk}
    shipment_ids |= _order_shipments(order_ids)

    days_recompute(days)
    compute.shipping_days_write(compute.shipment_facts_write(shipment_ids))

    state.watermarks, state.gaps = marks, gaps
    state.complete_to = now
    state.last_run_at = timezone.now()
    state.last_days = len(days)
    state.save()
    return RefreshResult(days=sorted(days), shipments=len(shipment_ids))


def _first_day() -> date | None:
    firsts = [
        Order.objects.aggregate(first=Min("created_at"))["first"],
        StockMovement.objects.aggregate(first=Min("at"))["first"],
    ]
    firsts = [f for f in firsts if f is not None]
    return local_day(min(firsts)) if firsts else None


def _marks_now(now: datetime) -> tuple[dict, dict]:
    """Every source's highest id now, and the ids just below it not (yet) there."""
    marks, gaps = {}, {}
    stamp = now.isoformat()
    for source, (model, _what) in SOURCES.items():
        top = model.objects.aggregate(top=Max("pk"))["top"] or 0
        present = set(
            model.objects.filter(pk__gt=top - REBUILD_LOOKBACK, pk__lte=top).values_list(
                "pk", flat=True
            )
        )
        marks[source] = top
        gaps[source] = [
            [pk, stamp]
            for pk in range(max(top - REBUILD_LOOKBACK, 0) + 1, top)
            if pk not in present
        ]
    return marks, gaps


def figures_rebuild(*, now: datetime | None = None, progress=None) -> RefreshResult:
    """Compute every figure again from the first order (or stock movement) to today, a month
    per transaction; `progress(text)` hears about each month. What changes meanwhile is caught
    by the next refresh (the watermarks are taken before anything is read)."""
    started = clock.perf_counter()
    now = now or timezone.now()
    with transaction.atomic():
        state = _state_locked()
        marks, gaps = _marks_now(now)
        first = _first_day()
        for model in (
            OrdersDay,
            SalesDay,
            SalesMonth,
            CustomerDay,
            MovementDay,
            MovementMonth,
            ShippingDay,
            ShipmentFact,
        ):
            model.objects.all().delete()
        DirtyDay.objects.all().delete()
    days: list[date] = []
    if first is not None:
        last = max(today(), local_day(now))
        for month in months_between(first, last):
            month_last = min(month_end(month), last)
            with transaction.atomic():
                _state_locked()
                days_recompute(_days(max(month, first), month_last))
            days.append(month)
            if progress:
                progress(f"{month:%Y-%m}")
    shipments = 0
    top = Shipment.objects.aggregate(top=Max("pk"))["top"] or 0
    for low in range(0, top, 50_000):
        with transaction.atomic():
            _state_locked()
            ids = list(
                Shipment.objects.filter(pk__gt=low, pk__lte=low + 50_000).values_list(
                    "pk", flat=True
                )
            )
            compute.shipping_days_write(compute.shipment_facts_write(ids))
            shipments += len(ids)
    with transaction.atomic():
        state = _state_locked()
        state.watermarks, state.gaps = marks, gaps
        state.complete_to = now
        state.rebuilt_at = state.last_run_at = timezone.now()
        state.last_days = len(days)
        state.last_run_ms = int((clock.perf_counter() - started) * 1000)
        state.save()
    return RefreshResult(
        days=days, shipments=shipments, rebuilt=True, milliseconds=state.last_run_ms
    )


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def days_mark(days) -> None:
    """Have these days computed again at the next refresh."""
    DirtyDay.objects.bulk_create([DirtyDay(day=day) for day in set(days)], ignore_conflicts=True)


def complete_to() -> datetime | None:
    """Up to when the figures are complete (None: never computed)."""
    return RefreshState.objects.filter(pk=1).values_list("complete_to", flat=True).first()
