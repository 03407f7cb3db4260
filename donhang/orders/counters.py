"""Orders per channel, shop, status and step, kept as deltas (see models.OrderCount).

Written by the services in the transaction of each change (`count_created`, `count_moved`);
read by the order list's tabs and the dashboard (`order_counts_get`); checked and rebuilt by
`manage.py order_counts`. Now and then (every COMPACT_EVERY deltas) the rows are folded into one
per key, so a read sums a few hundred small rows however many orders there are.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, Sum

from donhang.core import rawsql
from donhang.orders.models import Order, OrderCount

COMPACT_EVERY = 500


def _key(order: Order, status: str, sub_state: str) -> dict:
    return {
        "channel": order.channel,
        "store_key": order.store_id or 0,
        "status": status,
        "sub_state": sub_state or "",
    }


def count_created(order: Order) -> None:
    """A new order (in its status and step at creation)."""
    (row,) = rawsql.insert([OrderCount(delta=1, **_key(order, order.status, order.sub_state))])
    _maybe_compact(row.pk)


def count_moved(order: Order, *, before: tuple[str, str], after: tuple[str, str]) -> None:
    """An order went from (status, step) `before` to `after`."""
    if before == after:
        return
    rows = rawsql.insert(
        [
            OrderCount(delta=-1, **_key(order, *before)),
            OrderCount(delta=1, **_key(order, *after)),
        ]
    )
    for row in rows:
        if row.pk:
            _maybe_compact(row.pk)


def _maybe_compact(pk: int) -> None:
    if pk % COMPACT_EVERY == 0:
        compact()


def compact() -> None:
    """Fold the deltas into one row per key. Only other transactions' inserts run alongside
    (never an update), so on PostgreSQL one statement that deletes what it sees and inserts the
    sums is exact: rows committed meanwhile are not seen and stay. SQLite has one writer at a
    time."""
    table = OrderCount._meta.db_table
    key = "channel, store_key, status, sub_state"
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                f"WITH gone AS (DELETE FROM {table} RETURNING {key}, delta) "
                f"INSERT INTO {table} ({key}, delta) SELECT {key}, SUM(delta) FROM gone "
                f"GROUP BY {key} HAVING SUM(delta) <> 0"
            )
        else:
            cur.execute(f"SELECT MAX(id) FROM {table}")
            (last,) = cur.fetchone()
            if last is None:
                return
            cur.execute(
                f"INSERT INTO {table} ({key}, delta) SELECT {key}, SUM(delta) FROM {table} "
                f"WHERE id <= %s GROUP BY {key} HAVING SUM(delta) <> 0",
                [last],
            )
            cur.execute(f"DELETE FROM {table} WHERE id <= %s", [last])


def order_counts_get(
    *, channel: str = "", store: int | None = None, sub_state: str = ""
) -> dict[str, int]:
    """{status: orders} and "all", exact, for the orders of a channel, a shop and a step (each
    optional): one read of the counters."""
    rows = OrderCount.objects.all()
    if channel:
        rows = rows.filter(channel=channel)
    if store:
        rows = rows.filter(store_key=store)
    if sub_state:
        rows = rows.filter(sub_state=sub_state)
    counts = {
        r["status"]: r["n"] for r in rows.values("status").annotate(n=Sum("delta")).order_by()
    }
    counts = {status: n for status, n in counts.items() if n}
    counts["all"] = sum(counts.values())
    return counts


def order_counts_by_state() -> dict[tuple[str, str], int]:
    """{(status, step): orders} over every channel, exact (the dashboard's buckets)."""
    rows = OrderCount.objects.values("status", "sub_state").annotate(n=Sum("delta")).order_by()
    return {(r["status"], r["sub_state"]): r["n"] for r in rows if r["n"]}


@dataclass
class Drift:
    channel: str
    store_key: int
    status: str
    sub_state: str
    counted: int  # by the counters
    actual: int  # by counting the orders


def _actual() -> dict[tuple, int]:
    rows = (
        Order.objects.values("channel", "store_id", "status", "sub_state")
        .annotate(n=Count("*"))
        .order_by()
    )
    return {(r["channel"], r["store_id"] or 0, r["status"], r["sub_state"]): r["n"] for r in rows}


def _counted() -> dict[tuple, int]:
    rows = (
        OrderCount.objects.values("channel", "store_key", "status", "sub_state")
        .annotate(n=Sum("delta"))
        .order_by()
    )
    return {(r["channel"], r["store_key"], r["status"], r["sub_state"]): r["n"] for r in rows}


def order_counters_drift() -> list[Drift]:
    """Where the counters and a full count of the orders disagree (a full scan: for the
    command, never for a page)."""
    actual, counted = _actual(), _counted()
    return [
        Drift(*key, counted=counted.get(key, 0), actual=actual.get(key, 0))
        for key in sorted(set(actual) | set(counted))
        if counted.get(key, 0) != actual.get(key, 0)
    ]


@transaction.atomic
def order_counters_rebuild() -> list[Drift]:
    """Recompute the counters from the orders; returns the drift that was corrected. On
    PostgreSQL the orders table is locked against writes meanwhile (SHARE: reads go on), so no
    change falls between the count and the new rows."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(f"LOCK TABLE {Order._meta.db_table} IN SHARE MODE")
    drift = order_counters_drift()
    actual = _actual()
    OrderCount.objects.all().delete()
    OrderCount.objects.bulk_create(
        [
            OrderCount(channel=c, store_key=s, status=st, sub_state=sub, delta=n)
            for (c, s, st, sub), n in actual.items()
        ]
    )
    return drift
