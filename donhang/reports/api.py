"""Reports API: the same figures as the pages, for the caller's role (revenue needs
accounts.view_revenue, cost and margin catalog.view_cost too: fields the caller may not see are
left out of the answer, not sent empty). Dates are the shop's days (Asia/Ho_Chi_Minh),
inclusive; money is integer VND."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Query, Router, Schema

from donhang.reports import selectors
from donhang.reports.access import Access
from donhang.reports.definitions import DEFINITIONS
from donhang.reports.tables import (
    Table,
    cod_tables,
    inventory_tables,
    purchases_tables,
    returns_tables,
    shipping_tables,
)

router = Router(tags=["reports"])


class FiltersIn(Schema):
    from_: date | None = Field(None, alias="from", description="First day (default: the 1st)")
    to: date | None = Field(None, description="Last day, inclusive (default: today)")
    channel: str = Field("", description="website, shopee, lazada, tiktok_shop, …; empty: all")
    warehouse: int | None = Field(None, ge=1, le=2**62, description="Warehouse id; empty: all")


class SalesIn(FiltersIn):
    by: str = Field("day", description="day, product, channel or customer")
    page: int = Field(1, ge=1, le=10**6, description="Product and customer rows: 100 a page")


class FiltersOut(Schema):
    date_from: date
    date_to: date
    channel: str
    warehouse: int | None = None  # left out when empty (exclude_none): not required


class Figures(Schema):
    orders: int
    units: int
    returned_units: int
    cancelled: int | None = None
    sales: int | None = Field(None, description="Goods sold (before returns), VAT incl.")
    returns: int | None = Field(None, description="Goods returned, VAT incl.")
    revenue: int | None = None
    net_revenue: int | None = None
    vat: int | None = None
    average_order_value: int | None = None
    cost: int | None = Field(None, description="Cost of goods sold less returned goods")
    margin: int | None = None
    margin_percent: Decimal | None = None


class SalesRow(Figures):
    day: date | None = None
    channel: str | None = None
    variant_id: int | None = None
    sku: str | None = None
    name: str | None = None
    variant_label: str | None = None
    customer_id: int | None = None
    phone: str | None = None


class SalesOut(Schema):
    complete_to: datetime | None = Field(
        None, description="The figures include every change before this"
    )
    group: str
    filters: FiltersOut
    total: Figures
    rows: list[SalesRow]
    row_count: int
    page: int
    pages: int
    definitions: dict[str, str]


def _filters(query: FiltersIn):
    return selectors.filters_parse(
        {
            "from": query.from_,
            "to": query.to,
            "channel": query.channel,
            "warehouse": query.warehouse,
        }
    )


def _access(request) -> Access:
    return Access.of(request.principal)


def _definitions(access: Access) -> dict[str, str]:
    keys = []
    if access.money:
        keys += ["revenue", "net_revenue", "average_order_value"]
    if access.margin:
        keys.append("margin")
    return {k: str(DEFINITIONS[k]) for k in keys}


def _filters_out(filters) -> dict:
    return {
        "date_from": filters.date_from,
        "date_to": filters.date_to,
        "channel": filters.channel,
        "warehouse": filters.warehouse,
    }


@router.get(
    "/reports/sales",
    response=SalesOut,
    exclude_none=True,
    summary="Sales by day, product, channel or customer",
    description=(
        "Orders, units, revenue (accounts.view_revenue) and margin (catalog.view_cost) over a "
        "date range, grouped `by` day, product, channel or customer (customers.view_customer). "
        "The same figures as the dashboard and the report pages."
    ),
)
def sales(request, query: Query[SalesIn]):
    request.principal.require("orders.view_order")
    access = _access(request)
    if query.by == "customer" and not access.customers:
        request.principal.require("customers.view_customer")
    filters = _filters(query)
    report = selectors.sales_report(filters=filters, group=query.by, access=access, page=query.page)
    return {
        "complete_to": selectors.complete_to(),
        "group": report.group,
        "filters": _filters_out(filters),
        "total": report.total,
        "rows": report.rows,
        "row_count": report.row_count,
        "page": report.page,
        "pages": report.pages,
        "definitions": _definitions(access),
    }


class PeriodOut(Schema):
    key: str = Field(..., description="today, week (so far) or month (so far)")
    first: date
    last: date
    previous_first: date
    previous_last: date
    figures: Figures
    previous: Figures
    change_percent: dict[str, Decimal | None]


class TopProductOut(Figures):
    variant_id: int
    sku: str
    name: str
    variant_label: str


class DashboardOut(Schema):
    complete_to: datetime | None = None  # left out when empty (exclude_none): not required
    periods: list[PeriodOut]
    buckets: dict[str, int] = Field(
        ...,
        description="Orders to confirm, awaiting stock, to pack, ready to ship, delivery failed; returns to inspect",
    )
    top_products: list[TopProductOut]
    low_stock: int
    cod_outstanding: list[dict[str, Any]] | None = None
    invoices: dict[str, int] | None = None
    definitions: dict[str, str]


@router.get(
    "/reports/dashboard",
    response=DashboardOut,
    exclude_none=True,
    summary="The dashboard's figures",
)
def dashboard(request):
    access = _access(request)
    board = selectors.dashboard_get(access=access)
    changed = ["orders", "units"] + (["revenue", "average_order_value"] if access.money else [])
    return {
        "complete_to": board.complete_to,
        "periods": [
            {
                "key": p.key,
                "first": p.first,
                "last": p.last,
                "previous_first": p.previous_first,
                "previous_last": p.previous_last,
                "figures": p.figures,
                "previous": p.previous,
                "change_percent": {name: p.change(name) for name in changed},
            }
            for p in board.periods
        ],
        "buckets": board.buckets,
        "top_products": board.top_products,
        "low_stock": board.low_stock["count"],
        "cod_outstanding": (
            [
                {
                    "account_id": row["account"].pk if row["account"] else None,
                    "account": str(row["account"] or ""),
                    "parcels": row["parcels"],
                    "amount": row["amount"],
                }
                for row in board.cod_outstanding
            ]
            if board.cod_outstanding is not None
            else None
        ),
        "invoices": board.invoices,
        "definitions": _definitions(access),
    }


class ColumnOut(Schema):
    key: str
    label: str
    kind: str = Field(..., description="int, money, percent, text or date")


class TableOut(Schema):
    key: str
    title: str
    columns: list[ColumnOut]
    rows: list[dict[str, Any]]
    total: dict[str, Any] | None = None


class TablesOut(Schema):
    complete_to: datetime | None = None
    filters: FiltersOut
    tables: list[TableOut]
    definitions: dict[str, str]


def _plain(value):
    if isinstance(value, (int, str, date, Decimal)) or value is None:
        return value
    return str(value)


def _tables_out(tables: list[Table], filters, access: Access) -> dict:
    out = []
    for table in tables:
        keys = [c.key for c in table.columns]
        out.append(
            {
                "key": table.key,
                "title": table.title,
                "columns": [
                    {"key": c.key, "label": str(c.label), "kind": c.kind} for c in table.columns
                ],
                "rows": [{k: _plain(row.get(k)) for k in keys} for row in table.rows],
                "total": (
                    {k: _plain(v) for k, v in table.total.items() if k in keys}
                    if table.total is not None
                    else None
                ),
            }
        )
    return {
        "complete_to": selectors.complete_to(),
        "filters": _filters_out(filters),
        "tables": out,
        "definitions": _definitions(access),
    }


@router.get("/reports/inventory", response=TablesOut, summary="Inventory value and movements")
def inventory(request, query: Query[FiltersIn]):
    request.principal.require("inventory.view_stockmovement")
    access, filters = _access(request), _filters(query)
    report = selectors.inventory_report(filters=filters, access=access)
    return _tables_out(inventory_tables(report, access), filters, access)


@router.get("/reports/purchases", response=TablesOut, summary="Purchases by supplier")
def purchases(request, query: Query[FiltersIn]):
    request.principal.require("purchasing.view_purchaseorder")
    access, filters = _access(request), _filters(query)
    rows = selectors.purchases_report(filters=filters, access=access)
    return _tables_out(
        purchases_tables(rows, selectors.purchases_total(rows), access), filters, access
    )


@router.get("/reports/returns", response=TablesOut, summary="Returns by reason")
def returns(request, query: Query[FiltersIn]):
    request.principal.require("returns.view_return")
    access, filters = _access(request), _filters(query)
    rows = selectors.returns_report(filters=filters, access=access)
    return _tables_out(returns_tables(rows, access), filters, access)


@router.get("/reports/cod", response=TablesOut, summary="COD reconciliation")
def cod(request, query: Query[FiltersIn]):
    request.principal.require("shipping.view_codpayout")
    access, filters = _access(request), _filters(query)
    return _tables_out(
        cod_tables(selectors.cod_report(filters=filters, access=access), access), filters, access
    )


@router.get("/reports/shipping-fees", response=TablesOut, summary="Shipping fees by carrier")
def shipping_fees(request, query: Query[FiltersIn]):
    request.principal.require("shipping.view_shipment")
    access, filters = _access(request), _filters(query)
    rows = selectors.shipping_fees_report(filters=filters, access=access)
    return _tables_out(shipping_tables(rows, access), filters, access)
