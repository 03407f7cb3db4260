"""Reads for the dashboard, the report pages, their exports and the API: each shaped for one
page, reading the reports app's own tables (and small sets of the others')."""

from donhang.reports.selectors.common import (
    MAX_DAYS,
    ReportFilters,
    channel_choices,
    complete_to,
    default_filters,
    filters_parse,
    sales_figures,
    warehouse_choices,
)
from donhang.reports.selectors.dashboard import Dashboard, Period, dashboard_get, order_buckets
from donhang.reports.selectors.returns import returns_report
from donhang.reports.selectors.sales import GROUPS, SalesReport, sales_report, top_products
from donhang.reports.selectors.shipping import (
    cod_outstanding_by_account,
    cod_report,
    shipping_fees_report,
)
from donhang.reports.selectors.stock import (
    InventoryReport,
    inventory_report,
    purchases_report,
    purchases_total,
)

__all__ = [
    "GROUPS",
    "MAX_DAYS",
    "Dashboard",
    "InventoryReport",
    "Period",
    "ReportFilters",
    "SalesReport",
    "channel_choices",
    "cod_outstanding_by_account",
    "cod_report",
    "complete_to",
    "dashboard_get",
    "default_filters",
    "filters_parse",
    "inventory_report",
    "order_buckets",
    "purchases_report",
    "purchases_total",
    "returns_report",
    "sales_figures",
    "sales_report",
    "shipping_fees_report",
    "top_products",
    "warehouse_choices",
]
