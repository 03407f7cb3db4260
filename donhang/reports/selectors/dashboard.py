"""The dashboard's figures: a handful of indexed reads of small tables, whatever the number of
orders (sales from the reports app's daily and monthly rows, the rest from small sets: open
orders, parcels owed, failing connections)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.db.models import Count, Sum, Window

from donhang.core.replica import reads_from_replica
from donhang.inventory.selectors import (
    low_stock_variants,
    stocktake_due_warehouses,
    stocktake_period_days,
)
from donhang.invoicing.selectors import dashboard_counts
from donhang.marketplaces.models import ConnectionStatus, ShopConnection
from donhang.orders.counters import order_counts_by_state
from donhang.orders.models import Channel, Status, SubState
from donhang.reports.access import Access
from donhang.reports.models import OrdersDay
from donhang.reports.periods import month_start, today, week_start
from donhang.reports.selectors.common import (
    SALES_MEASURES,
    complete_to,
    percent,
    sales_figures,
)
from donhang.reports.selectors.sales import top_products
from donhang.reports.selectors.shipping import cod_outstanding_by_account
from donhang.returns.models import Return
from donhang.returns.models import State as ReturnState

CHART_DAYS = 30
# The refresh runs every minute: figures older than this are never asked for again.
FIGURES_CACHE_SECONDS = 600


@dataclass
class Period:
    key: str  # today, week, month
    first: date
    last: date
    previous_first: date
    previous_last: date
    figures: dict = field(default_factory=dict)
    previous: dict = field(default_factory=dict)

    def change(self, name: str):
        """Percent change of one figure against the previous period (None: nothing then)."""
        now, then = self.figures.get(name), self.previous.get(name)
        if now is None or then is None or not then:
            return None
        return percent(now - then, then)


def periods(day: date) -> list[Period]:
    """Today against yesterday; this week so far against the same days of last week; this
    month so far against the same days of last month."""
    week = week_start(day)
    month = month_start(day)
    previous_month = month_start(month - timedelta(days=1))
    same_day = min(day.day, (month - timedelta(days=1)).day)
    return [
        Period("today", day, day, day - timedelta(days=1), day - timedelta(days=1)),
        Period("week", week, day, week - timedelta(days=7), day - timedelta(days=7)),
        Period(
            "month",
            month,
            day,
            previous_month,
            previous_month.replace(day=same_day),
        ),
    ]


@dataclass
class Dashboard:
    complete_to: datetime | None
    periods: list[Period]
    chart: list[dict]  # per day: {"day", "channels": {channel: {"orders", "revenue"?}}}
    channels: list[tuple[str, str]]  # channels present in the chart, with labels
    top_products: list[dict]
    buckets: dict
    low_stock: dict
    cod_outstanding: list[dict] | None
    invoices: dict | None
    marketplaces: list[dict] | None
    marketplace_problems: list[dict]
    stocktakes_due: list | None
    stocktake_period_days: int
    access: Access


def order_buckets(access: Access) -> dict:
    """Orders (and returns) waiting for someone, each the count of the list its tile opens,
    from the orders' counters (donhang.orders.counters: one small read, however many orders)."""
    counts = order_counts_by_state()
    open_statuses = {Status.NEW, Status.PROCESSING, Status.SHIPPING}

    def total(*, status=None, sub_state=None) -> int:
        return sum(
            n
            for (st, sub), n in counts.items()
            if (status is None or st == status)
            and (sub_state is None or sub == sub_state)
            and st in open_statuses
        )

    return {
        "new": total(status=Status.NEW),
        "awaiting_stock": total(sub_state=SubState.AWAITING_STOCK),
        "packing": total(status=Status.PROCESSING, sub_state=SubState.PACKING),
        "ready_to_ship": total(sub_state=SubState.READY_TO_SHIP),
        "delivery_failed": total(sub_state=SubState.DELIVERY_FAILED),
        "returns_to_inspect": Return.objects.filter(state=ReturnState.RECEIVED).count(),
    }


def marketplace_health() -> list[dict]:
    """Every connected (or connecting) shop, problems first."""
    rows = []
    for shop in ShopConnection.objects.exclude(status=ConnectionStatus.DISABLED).order_by(
        "platform", "name"
    ):
        problem = shop.status == ConnectionStatus.REAUTHORIZE or shop.push_failures > 0
        rows.append(
            {
                "connection": shop,
                "ok": shop.status == ConnectionStatus.CONNECTED and not problem,
                "problem": problem,
            }
        )
    rows.sort(key=lambda r: (not r["problem"], r["ok"]))
    return rows


def _figures(access: Access, day: date) -> dict:
    """The figures part of the dashboard: the periods, the chart, the best sellers, the COD
    carriers owe. They only change when a refresh runs."""
    spans = periods(day)
    first = min(min(p.previous_first for p in spans), day - timedelta(days=CHART_DAYS - 1))
    rows = list(
        OrdersDay.objects.filter(day__gte=first, day__lte=day)
        .values_list("day", "channel")
        .annotate(**{m: Sum(m) for m in SALES_MEASURES})
        .order_by()
    )

    def total(first: date, last: date) -> dict:
        sums = [0] * len(SALES_MEASURES)
        for row in rows:
            if first <= row[0] <= last:
                for i, value in enumerate(row[2:]):
                    sums[i] += value or 0
        return sales_figures(dict(zip(SALES_MEASURES, sums, strict=True)), access)

    for span in spans:
        span.figures = total(span.first, span.last)
        span.previous = total(span.previous_first, span.previous_last)

    chart_first = day - timedelta(days=CHART_DAYS - 1)
    by_day: dict[date, dict] = {chart_first + timedelta(days=i): {} for i in range(CHART_DAYS)}
    present: set[str] = set()
    orders_at, gross_at, returned_at = (
        2 + SALES_MEASURES.index(m) for m in ("orders", "gross", "returned_gross")
    )
    for row in rows:
        if row[0] < chart_first or not (row[orders_at] or row[gross_at] or row[returned_at]):
            continue
        figures = {"orders": row[orders_at] or 0}
        if access.money:
            figures["revenue"] = (row[gross_at] or 0) - (row[returned_at] or 0)
        by_day[row[0]][row[1]] = figures
        present.add(row[1])
    labels = dict(Channel.choices)
    return {
        "periods": spans,
        "chart": [{"day": d, "channels": by_day[d]} for d in sorted(by_day)],
        "channels": [(c, labels[c]) for c in Channel.values if c in present],
        "top_products": top_products(first=month_start(day), last=day, access=access),
        "cod_outstanding": cod_outstanding_by_account() if access.cod else None,
    }


def _figures_cached(access: Access, day: date, computed_to) -> dict:
    """The figures, kept until the next refresh (they are complete to `computed_to` and
    cannot change before it runs again): most dashboard views read no figures at all. The
    cache hands out a copy (pickled), so nothing a page does reaches the next one."""
    if computed_to is None:
        return _figures(access, day)
    key = "reports:dashboard:" + ":".join(
        [
            computed_to.isoformat(),
            day.isoformat(),
            str(access.money),
            str(access.margin),
            str(access.cod),
        ]
    )
    figures = cache.get(key)
    if figures is None:
        figures = _figures(access, day)
        cache.set(key, figures, FIGURES_CACHE_SECONDS)
    return figures


@reads_from_replica
def dashboard_get(*, access: Access, day: date | None = None, computed_to=...) -> Dashboard:
    """`computed_to`: to when the figures are complete, when the caller read it already."""
    day = day or today()
    computed_to = complete_to() if computed_to is ... else computed_to
    figures = _figures_cached(access, day, computed_to)
    # The first few low-stock variants, each carrying how many there are (one statement).
    low = list(low_stock_variants().annotate(low_count=Window(Count("pk")))[:5])
    shops = marketplace_health() if access.marketplaces else None
    return Dashboard(
        complete_to=computed_to,
        buckets=order_buckets(access),
        low_stock={"count": low[0].low_count if low else 0, "variants": low},
        invoices=dashboard_counts() if access.invoices else None,
        marketplaces=shops,
        marketplace_problems=[row for row in shops or [] if row["problem"]],
        stocktakes_due=stocktake_due_warehouses() if access.stocktakes else None,
        stocktake_period_days=stocktake_period_days(),
        access=access,
        **figures,
    )
