"""Sales by day, product, channel and customer, with revenue and margin for those who may see
them. Every figure comes from the reports app's daily and monthly tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from donhang.catalog.models import Variant
from donhang.core.phone import display_phone
from donhang.core.replica import reads_from_replica
from donhang.customers.models import Customer
from donhang.orders.models import Channel
from donhang.reports.access import Access
from donhang.reports.models import CustomerDay, OrdersDay, SalesDay, SalesMonth
from donhang.reports.selectors.common import (
    SALES_MEASURES,
    ReportFilters,
    daily_summed,
    sales_figures,
    summed,
    summed_page,
)

GROUPS = ("day", "product", "channel", "customer")
PAGE_SIZE = 100
ORDER_MEASURES = (*SALES_MEASURES, "cancelled")


@dataclass
class SalesReport:
    group: str
    filters: ReportFilters
    rows: list[dict]
    total: dict
    row_count: int = 0
    page: int = 1
    pages: int = 1
    chart: list[dict] = field(default_factory=list)  # by day: every day of the range


def _sort_key(access: Access):
    if access.money:
        return lambda row: (-row["revenue"], -row["units"])
    return lambda row: (-row["units"], -row["orders"])


def sales_total(filters: ReportFilters, access: Access) -> dict:
    """The range's totals (orders counted once however many products they hold)."""
    rows = daily_summed(OrdersDay, filters, (), ORDER_MEASURES)
    return sales_figures(rows.get((), dict.fromkeys(ORDER_MEASURES, 0)), access)


@reads_from_replica
def sales_report(
    *, filters: ReportFilters, group: str, access: Access, page: int = 1, everything: bool = False
) -> SalesReport:
    """One report: `group` is day, product, channel or customer. Product and customer rows come
    a page at a time (biggest first) unless `everything` (exports)."""
    if group not in GROUPS:
        group = "day"
    total = sales_total(filters, access)
    if group == "day":
        by_day = daily_summed(OrdersDay, filters, ("day",), ORDER_MEASURES)
        chart, rows = [], []
        day = filters.date_from
        while day <= filters.date_to:
            values = by_day.get((day,))
            figures = sales_figures(values or dict.fromkeys(ORDER_MEASURES, 0), access)
            chart.append({"label": day, **figures})
            if values:
                rows.append({"day": day, **figures})
            day += timedelta(days=1)
        return SalesReport(group, filters, rows, total, row_count=len(rows), chart=chart)
    if group == "channel":
        by_channel = daily_summed(OrdersDay, filters, ("channel",), ORDER_MEASURES)
        labels = dict(Channel.choices)
        rows = [
            {
                "channel": key[0],
                "channel_label": labels.get(key[0], key[0]),
                **sales_figures(v, access),
            }
            for key, v in by_channel.items()
        ]
        rows.sort(key=_sort_key(access))
        return SalesReport(group, filters, rows, total, row_count=len(rows), chart=rows)
    daily, monthly, key_name = (
        (SalesDay, SalesMonth, "variant_id")
        if group == "product"
        else (CustomerDay, None, "customer_id")
    )
    if everything:  # an export: every row, biggest first
        sums = summed(daily, monthly, filters, (key_name,), SALES_MEASURES)
        if access.money:
            picked = sorted(
                sums.items(),
                key=lambda kv: (kv[1]["returned_gross"] - kv[1]["gross"], -kv[1]["units"], kv[0]),
            )
        else:
            picked = sorted(sums.items(), key=lambda kv: (-kv[1]["units"], -kv[1]["orders"], kv[0]))
        count, pages, page = len(picked), 1, 1
    else:
        page = max(int(page or 1), 1)
        found, count = summed_page(
            daily,
            monthly,
            filters,
            key_name,
            SALES_MEASURES,
            by_revenue=access.money,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
        pages = max((count + PAGE_SIZE - 1) // PAGE_SIZE, 1)
        if page > pages:  # past the end: the last page
            page = pages
            found, count = summed_page(
                daily,
                monthly,
                filters,
                key_name,
                SALES_MEASURES,
                by_revenue=access.money,
                limit=PAGE_SIZE,
                offset=(page - 1) * PAGE_SIZE,
            )
        picked = [((k,), values) for k, values in found]
    shown = [{key_name: key[0], **sales_figures(v, access)} for key, v in picked]
    if group == "product":
        _attach_variants(shown)
    else:
        _attach_customers(shown)
    return SalesReport(
        group, filters, shown, total, row_count=count, page=page, pages=pages, chart=shown[:10]
    )


def _attach_variants(rows: list[dict]) -> None:
    variants = Variant.objects.select_related("product").in_bulk([r["variant_id"] for r in rows])
    for row in rows:
        variant = variants.get(row["variant_id"])
        row["sku"] = variant.sku if variant else ""
        row["name"] = str(variant.product.name) if variant else ""
        row["variant_label"] = variant.options_label if variant else ""
        row["label"] = row["sku"]


def _attach_customers(rows: list[dict]) -> None:
    customers = Customer.objects.in_bulk([r["customer_id"] for r in rows])
    for row in rows:
        customer = customers.get(row["customer_id"])
        row["name"] = customer.name if customer else ""
        row["phone"] = display_phone(customer.phone) if customer else ""
        row["label"] = row["name"]


def top_products(*, first: date, last: date, access: Access, limit: int = 5) -> list[dict]:
    """The best sellers of first..last (by revenue, or by units for those who may not see
    revenue)."""
    filters = ReportFilters(date_from=first, date_to=last)
    sums = summed(SalesDay, SalesMonth, filters, ("variant_id",), SALES_MEASURES)
    rows = [{"variant_id": key[0], **sales_figures(v, access)} for key, v in sums.items()]
    rows.sort(key=_sort_key(access))
    rows = [r for r in rows if r["units"] > 0][:limit]
    _attach_variants(rows)
    return rows
