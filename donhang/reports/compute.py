"""The figures of some days computed from the other apps' rows (read only) and written to the
reports app's own tables. Each function recomputes whole days: it deletes what those days held
and writes them again, so running it twice, or for a day that did not change, changes nothing.
The incremental refresh and the full rebuild both go through here (donhang.reports.refresh).

Days are the shop's (settings.TIME_ZONE), computed in Python from the rows' times, so both
databases agree to the đồng."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Q

from donhang.core.money import round_vnd
from donhang.inventory.models import StockMovement
from donhang.orders.models import Order, OrderLine
from donhang.orders.models import Status as OrderStatus
from donhang.reports.models import (
    CustomerDay,
    MovementDay,
    MovementMonth,
    OrdersDay,
    SalesDay,
    SalesFigures,
    SalesMonth,
    ShipmentFact,
    ShippingDay,
)
from donhang.reports.periods import day_bounds, local_day, next_month
from donhang.shipping.carriers.ports import ShipmentStatus
from donhang.shipping.models import Shipment

KIND = StockMovement.Kind
BUCKET = StockMovement.Bucket
BATCH = 5000

# Positions of SalesFigures.MEASURES in the accumulators.
ORDERS, UNITS, GROSS, NET, COST, R_UNITS, R_GROSS, R_NET, R_COST = range(9)
N_MEASURES = len(SalesFigures.MEASURES)

# Movements of an order line that say how many of its units came back from the buyer: arrivals
# (a returned parcel, returned goods received, goods handed in at the counter) and, on
# inspection, units found missing. Moving inspected units on to sellable stock is a pair of
# return movements that cancel out.
RETURNED_UNITS_Q = Q(kind__in=[KIND.RETURN, KIND.RETURNED_TO_INSPECT]) | Q(
    kind=KIND.ADJUSTMENT, bucket=BUCKET.RETURNED
)
# ...and those that say what their cost came back: the same, less units found damaged.
RETURNED_COST_Q = RETURNED_UNITS_Q | Q(kind=KIND.DAMAGED, bucket=BUCKET.RETURNED)


def _counts_units(kind: str, bucket: str) -> bool:
    return kind in (KIND.RETURN, KIND.RETURNED_TO_INSPECT) or (
        kind == KIND.ADJUSTMENT and bucket == BUCKET.RETURNED
    )


def _share(units: int, amount: int, quantity: int) -> int:
    """The part of a line's `amount` that `units` of its `quantity` carry (half up)."""
    if not quantity:
        return 0
    return round_vnd(Decimal(units) * amount / quantity)


class _Figures:
    """Accumulators keyed by a table's dimensions, with the orders counted once per key."""

    def __init__(self):
        self.values: dict[tuple, list[int]] = defaultdict(lambda: [0] * N_MEASURES)
        self.orders: dict[tuple, set[int]] = defaultdict(set)

    def add(self, key: tuple, position: int, amount: int) -> None:
        self.values[key][position] += amount

    def order(self, key: tuple, order_id: int) -> None:
        self.orders[key].add(order_id)

    def rows(self):
        for key, values in self.values.items():
            values[ORDERS] = len(self.orders.get(key, ()))
            yield key, values


def _write(model, columns: list[str], rows: Iterable[tuple], dates=(0,)) -> int:
    """Insert plain rows into one of our tables, fast (no model instances): COPY on
    PostgreSQL, executemany on SQLite (`dates`: positions of the date values, written as
    text there). `columns` are database column names."""
    table = model._meta.db_table
    n = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    n += 1
            return n
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
        batch: list[list] = []
        for row in rows:
            row = list(row)
            for i in dates:
                if row[i] is not None:
                    row[i] = row[i].isoformat()
            batch.append(row)
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                n += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            n += len(batch)
    return n


SALES_COLUMNS = list(SalesFigures.MEASURES)


def sales_days_write(first: date, last: date) -> None:
    """OrdersDay, SalesDay and CustomerDay of the days first..last, from the orders created
    those days (lines, their sale movements' cost) and the goods that came back those days."""
    start, end = day_bounds(first, last)
    by_order = _Figures()  # (day, channel, warehouse)
    by_variant = _Figures()  # (day, channel, warehouse, variant, product)
    by_customer = _Figures()  # (day, channel, warehouse, customer)
    cancelled: dict[tuple, int] = defaultdict(int)

    def keys(day, channel, warehouse_id, customer_id, variant_id, product_id):
        return (
            (day, channel, warehouse_id),
            (day, channel, warehouse_id, variant_id, product_id),
            (day, channel, warehouse_id, customer_id),
        )

    in_days = Q(order__created_at__gte=start, order__created_at__lt=end)
    lines = (
        OrderLine.objects.filter(in_days)
        .exclude(order__status=OrderStatus.CANCELLED)
        .values_list(
            "order_id",
            "order__created_at",
            "order__channel",
            "order__warehouse_id",
            "order__customer_id",
            "variant_id",
            "variant__product_id",
            "quantity",
            "gross",
            "net",
        )
        .order_by()
    )
    for order_id, at, channel, wh, customer, variant, product, qty, gross, net in lines.iterator(
        chunk_size=BATCH
    ):
        for figures, key in zip(
            (by_order, by_variant, by_customer),
            keys(local_day(at), channel, wh, customer, variant, product),
            strict=True,
        ):
            figures.order(key, order_id)
            figures.add(key, UNITS, qty)
            figures.add(key, GROSS, gross)
            figures.add(key, NET, net)

    # The cost of the goods sold: the sale movements of those orders' lines, on the order's day.
    sales = (
        StockMovement.objects.filter(
            kind=KIND.SALE,
            order_line__order__created_at__gte=start,
            order_line__order__created_at__lt=end,
        )
        .exclude(order_line__order__status=OrderStatus.CANCELLED)
        .values_list(
            "order_line__order__created_at",
            "order_line__order__channel",
            "order_line__order__warehouse_id",
            "order_line__order__customer_id",
            "order_line__variant_id",
            "order_line__variant__product_id",
            "delta",
            "unit_cost",
        )
        .order_by()
    )
    for at, channel, wh, customer, variant, product, delta, unit_cost in sales.iterator(
        chunk_size=BATCH
    ):
        cost = -delta * (unit_cost or 0)
        for figures, key in zip(
            (by_order, by_variant, by_customer),
            keys(local_day(at), channel, wh, customer, variant, product),
            strict=True,
        ):
            figures.add(key, COST, cost)

    for day_key, values in _returned(start, end):
        day, channel, wh, customer, variant, product = day_key
        for figures, key in zip(
            (by_order, by_variant, by_customer),
            keys(day, channel, wh, customer, variant, product),
            strict=True,
        ):
            for position, amount in values.items():
                figures.add(key, position, amount)

    for at, channel, wh in (
        Order.objects.filter(
            created_at__gte=start, created_at__lt=end, status=OrderStatus.CANCELLED
        )
        .values_list("created_at", "channel", "warehouse_id")
        .order_by()
    ):
        key = (local_day(at), channel, wh)
        cancelled[key] += 1
        by_order.add(key, ORDERS, 0)  # a day of cancelled orders only still has its row

    OrdersDay.objects.filter(day__gte=first, day__lte=last).delete()
    SalesDay.objects.filter(day__gte=first, day__lte=last).delete()
    CustomerDay.objects.filter(day__gte=first, day__lte=last).delete()
    _write(
        OrdersDay,
        ["day", "channel", "warehouse_id", "cancelled", *SALES_COLUMNS],
        (
            (day, channel, wh, cancelled.get((day, channel, wh), 0), *values)
            for (day, channel, wh), values in by_order.rows()
        ),
    )
    _write(
        SalesDay,
        ["day", "channel", "warehouse_id", "variant_id", "product_id", *SALES_COLUMNS],
        (
            (day, channel, wh, variant, product, *values)
            for (day, channel, wh, variant, product), values in by_variant.rows()
        ),
    )
    _write(
        CustomerDay,
        ["day", "channel", "warehouse_id", "customer_id", *SALES_COLUMNS],
        (
            (day, channel, wh, customer, *values)
            for (day, channel, wh, customer), values in by_customer.rows()
        ),
    )


def _returned(start, end):
    """Goods back from buyers between start and end: ((day, channel, warehouse, customer,
    variant, product), {position: amount}) per return movement. A line's returned units carry
    its gross and net in proportion, cumulated over all its returns so that a line returned
    whole in several parts gives back exactly its amount."""
    in_days = list(
        StockMovement.objects.filter(at__gte=start, at__lt=end, order_line__isnull=False)
        .filter(RETURNED_COST_Q)
        .values_list("order_line_id", flat=True)
        .distinct()
        .order_by()
    )
    if not in_days:
        return
    lines = {
        row[0]: row[1:]
        for row in OrderLine.objects.filter(pk__in=in_days).values_list(
            "pk",
            "order__channel",
            "order__warehouse_id",
            "order__customer_id",
            "variant_id",
            "variant__product_id",
            "quantity",
            "gross",
            "net",
        )
    }
    units_back: dict[int, int] = defaultdict(int)
    movements = (
        StockMovement.objects.filter(order_line_id__in=in_days)
        .filter(RETURNED_COST_Q)
        .values_list("order_line_id", "at", "kind", "bucket", "delta", "unit_cost")
        .order_by("at", "pk")
    )
    for line_id, at, kind, bucket, delta, unit_cost in movements:
        channel, wh, customer, variant, product, qty, gross, net = lines[line_id]
        values: dict[int, int] = {R_COST: delta * (unit_cost or 0)}
        if _counts_units(kind, bucket):
            before = units_back[line_id]
            after = before + delta
            units_back[line_id] = after
            values[R_UNITS] = delta
            values[R_GROSS] = _share(after, gross, qty) - _share(before, gross, qty)
            values[R_NET] = _share(after, net, qty) - _share(before, net, qty)
        if start <= at < end:
            yield (local_day(at), channel, wh, customer, variant, product), values


def movement_days_write(first: date, last: date) -> None:
    """MovementDay of the days first..last: every stock movement, summed per warehouse,
    variant, kind and quantity bucket."""
    start, end = day_bounds(first, last)
    figures: dict[tuple, list[int]] = defaultdict(lambda: [0] * 6)
    rows = (
        StockMovement.objects.filter(at__gte=start, at__lt=end)
        .values_list("at", "warehouse_id", "variant_id", "kind", "bucket", "delta", "unit_cost")
        .order_by()
    )
    for at, wh, variant, kind, bucket, delta, unit_cost in rows.iterator(chunk_size=BATCH):
        values = figures[(local_day(at), wh, variant, kind, bucket)]
        values[0] += 1
        value = abs(delta) * (unit_cost or 0)
        if delta > 0:
            values[1] += delta
            values[3] += value
        else:
            values[2] -= delta
            values[4] += value
        if unit_cost is None:
            values[5] += abs(delta)
    MovementDay.objects.filter(day__gte=first, day__lte=last).delete()
    _write(
        MovementDay,
        ["day", "warehouse_id", "variant_id", "kind", "bucket", *MovementDay.MEASURES],
        ((*key, *values) for key, values in figures.items()),
    )


# --- months: the daily rows summed -------------------------------------------------------------

_ROLLUPS = [
    (SalesDay, SalesMonth, ("channel", "warehouse_id", "variant_id", "product_id")),
    (MovementDay, MovementMonth, ("warehouse_id", "variant_id", "kind", "bucket")),
]


def months_write(months: Iterable[date]) -> None:
    """The monthly tables of these months (first days), summed from the daily ones in the
    database (one INSERT … SELECT per table and month)."""
    with connection.cursor() as cursor:
        for month in sorted(set(months)):
            end = next_month(month)
            for daily, monthly, dims in _ROLLUPS:
                monthly.objects.filter(month=month).delete()
                measures = daily.MEASURES
                columns = ", ".join(["month", *dims, *measures])
                sums = ", ".join(f"SUM({m})" for m in measures)
                group = ", ".join(dims)
                cursor.execute(
                    f"INSERT INTO {monthly._meta.db_table} ({columns}) "  # our own table names
                    f"SELECT %s, {group}, {sums} FROM {daily._meta.db_table} "
                    f"WHERE day >= %s AND day < %s GROUP BY {group}",
                    [month, month, end],
                )


# --- parcels -------------------------------------------------------------------------------------

_DELIVERED = ShipmentStatus.DELIVERED.value
_CANCELLED = ShipmentStatus.CANCELLED.value
_RETURNED = (ShipmentStatus.RETURNING.value, ShipmentStatus.RETURNED.value)


FACT_COLUMNS = [
    "shipment_id",
    "day",
    "account_id",
    "warehouse_id",
    "channel",
    "status",
    "cod_amount",
    "cod_delivered",
    "cod_paid",
    "cod_paid_at",
    "cod_outstanding",
    "fee",
    "fee_charged",
    "fee_payer",
]


def shipment_facts_write(shipment_ids: Iterable[int]) -> set[date]:
    """The facts of these parcels, read again; returns the days whose ShippingDay must follow
    (each parcel's creation day)."""
    ids = sorted({int(pk) for pk in shipment_ids})
    days: set[date] = set()
    for i in range(0, len(ids), BATCH):
        chunk = ids[i : i + BATCH]
        facts = []
        for (
            pk,
            created_at,
            account,
            wh,
            channel,
            status,
            cod,
            cod_paid,
            cod_paid_at,
            fee,
            fee_charged,
            fee_payer,
        ) in Shipment.objects.filter(pk__in=chunk).values_list(
            "pk",
            "created_at",
            "account_id",
            "warehouse_id",
            "order__channel",
            "status",
            "cod_amount",
            "cod_paid_amount",
            "cod_paid_at",
            "fee",
            "fee_charged",
            "fee_payer",
        ):
            delivered = status == _DELIVERED
            day = local_day(created_at)
            days.add(day)
            facts.append(
                (
                    pk,
                    day,
                    account,
                    wh,
                    channel,
                    status,
                    cod,
                    cod if delivered else 0,
                    cod_paid or 0,
                    local_day(cod_paid_at) if cod_paid_at else None,
                    cod if delivered and cod > 0 and cod_paid_at is None else 0,
                    fee,
                    fee_charged,
                    fee_payer,
                )
            )
        days.update(
            ShipmentFact.objects.filter(shipment_id__in=chunk)
            .values_list("day", flat=True)
            .distinct()
        )
        ShipmentFact.objects.filter(shipment_id__in=chunk).delete()
        _write(ShipmentFact, FACT_COLUMNS, facts, dates=(1, 9))
    return days


def shipping_days_write(days: Iterable[date]) -> None:
    """ShippingDay of these days, from the parcel facts."""
    days = sorted(set(days))
    if not days:
        return
    for i in range(0, len(days), 500):
        chunk = days[i : i + 500]
        figures: dict[tuple, dict[str, int]] = defaultdict(
            lambda: dict.fromkeys(ShippingDay.MEASURES, 0)
        )
        for (
            day,
            account,
            wh,
            channel,
            status,
            cod,
            cod_delivered,
            cod_paid,
            cod_outstanding,
            fee,
            fee_charged,
            fee_payer,
        ) in ShipmentFact.objects.filter(day__in=chunk).values_list(
            "day",
            "account_id",
            "warehouse_id",
            "channel",
            "status",
            "cod_amount",
            "cod_delivered",
            "cod_paid",
            "cod_outstanding",
            "fee",
            "fee_charged",
            "fee_payer",
        ):
            row = figures[(day, account, wh, channel)]
            row["parcels"] += 1
            if status == _CANCELLED:
                row["cancelled"] += 1
                continue
            charged = fee if fee_charged is None else fee_charged
            row["delivered"] += status == _DELIVERED
            row["returned"] += status in _RETURNED
            row["fee"] += fee
            row["fee_charged"] += charged
            row["fee_by_seller"] += charged if fee_payer == Shipment.FeePayer.SELLER else 0
            if cod > 0:
                row["cod_parcels"] += 1
                row["cod_amount"] += cod
            row["cod_delivered"] += cod_delivered
            row["cod_paid"] += cod_paid
            row["cod_outstanding"] += cod_outstanding
        ShippingDay.objects.filter(day__in=chunk).delete()
        _write(
            ShippingDay,
            ["day", "account_id", "warehouse_id", "channel", *ShippingDay.MEASURES],
            (
                (day, account, wh, channel, *(row[m] for m in ShippingDay.MEASURES))
                for (day, account, wh, channel), row in figures.items()
            ),
        )
