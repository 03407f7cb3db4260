"""Each report as tables of columns: the page, the .xlsx export and the API show the same
columns, and only those the caller may see (the selectors already left the others out of the
rows; the columns follow the same Access)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from donhang.reports.access import Access
from donhang.reports.selectors import InventoryReport, SalesReport


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "int"  # int, money, percent, text, date


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict]
    total: dict | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)


def sales_columns(access: Access, *, cancelled: bool = False) -> list[Column]:
    columns = [Column("orders", _("Orders"))]
    if cancelled:
        columns.append(Column("cancelled", _("Cancelled")))
    columns += [Column("units", _("Units")), Column("returned_units", _("Units returned"))]
    if access.money:
        columns += [
            Column("sales", _("Sales"), "money"),
            Column("returns", _("Returned goods"), "money"),
            Column("revenue", _("Revenue"), "money"),
            Column("net_revenue", _("Net revenue"), "money"),
            Column("vat", _("VAT"), "money"),
            Column("average_order_value", _("Average order value"), "money"),
        ]
    if access.margin:
        columns += [
            Column("cost", _("Cost of goods"), "money"),
            Column("margin", _("Margin"), "money"),
            Column("margin_percent", _("Margin %"), "percent"),
        ]
    return columns


SALES_TITLES = {
    "day": _("Sales by day"),
    "product": _("Sales by product"),
    "channel": _("Sales by channel"),
    "customer": _("Sales by customer"),
}


def sales_tables(report: SalesReport, access: Access) -> list[Table]:
    group = report.group
    leading = {
        "day": [Column("day", _("Day"), "date")],
        "channel": [Column("channel_label", _("Channel"), "text")],
        "product": [
            Column("sku", _("SKU"), "text"),
            Column("name", _("Product"), "text"),
            Column("variant_label", _("Variant"), "text"),
        ],
        "customer": [Column("name", _("Customer"), "text"), Column("phone", _("Phone"), "text")],
    }[group]
    figures = sales_columns(access, cancelled=group in ("day", "channel"))
    return [
        Table(
            key=f"sales-{group}",
            title=str(SALES_TITLES[group]),
            columns=leading + figures,
            rows=report.rows,
            # Orders are counted once however many products (or days) they span.
            total=dict(report.total),
        )
    ]


def inventory_tables(report: InventoryReport, access: Access) -> list[Table]:
    movement = [
        Column("movements", _("Movements")),
        Column("units_in", _("Units in")),
        Column("units_out", _("Units out")),
        Column("net_units", _("Net units")),
    ]
    if access.costs:
        movement += [
            Column("value_in", _("Value in (at cost)"), "money"),
            Column("value_out", _("Value out (at cost)"), "money"),
            Column("net_value", _("Net value"), "money"),
            Column("units_without_cost", _("Units without a known cost")),
        ]
    stock = [
        Column("warehouse_label", _("Warehouse"), "text"),
        Column("variants", _("Variants in stock")),
        Column("units", _("On hand")),
    ]
    if access.costs:
        stock.append(Column("value", _("Value at cost"), "money"))
    stock_rows = [
        {**row, "warehouse_label": f"{row['warehouse'].code} · {row['warehouse'].name}"}
        for row in report.warehouses
    ]
    stock_total = {"warehouse_label": "", "variants": sum(r["variants"] for r in stock_rows)}
    stock_total.update(report.total["stock"])
    total = {k: v for k, v in report.total.items() if k != "stock"}
    return [
        Table("stock", str(_("Stock now")), stock, stock_rows, stock_total),
        Table(
            "movements",
            str(_("Movements by kind")),
            [Column("label", _("Kind"), "text"), *movement],
            report.kinds,
            total,
        ),
        Table(
            "variants",
            str(_("Variants that moved most")),
            [
                Column("sku", _("SKU"), "text"),
                Column("name", _("Product"), "text"),
                Column("variant_label", _("Variant"), "text"),
                *movement,
            ],
            report.variants,
        ),
    ]


def purchases_tables(rows: list[dict], total: dict, access: Access) -> list[Table]:
    columns = [
        Column("name", _("Supplier"), "text"),
        Column("purchase_orders", _("Purchase orders")),
    ]
    if access.costs:
        columns.append(Column("ordered", _("Ordered (excl. VAT)"), "money"))
    columns.append(Column("expected_units", _("Units still expected")))
    if access.costs:
        columns.append(Column("expected", _("Still expected (excl. VAT)"), "money"))
    columns += [
        Column("receipts", _("Goods receipts")),
        Column("received_units", _("Units received")),
    ]
    if access.costs:
        columns.append(Column("received", _("Received at cost"), "money"))
    return [Table("purchases", str(_("Purchases by supplier")), columns, rows, total)]


def returns_tables(rows: list[dict], access: Access) -> list[Table]:
    columns = [
        Column("label", _("Reason"), "text"),
        Column("returns", _("Returns")),
        Column("units", _("Units")),
        Column("share", _("Share of units"), "percent"),
        Column("good", _("Good")),
        Column("damaged", _("Damaged")),
        Column("missing", _("Missing")),
    ]
    if access.money:
        columns.append(Column("value", _("Value (VAT incl.)"), "money"))
    if access.costs:
        columns.append(Column("damaged_cost", _("Damaged, at cost"), "money"))
    keys = [c.key for c in columns if c.kind in ("int", "money")]
    total = {k: sum(r.get(k) or 0 for r in rows) for k in keys}
    return [Table("returns", str(_("Returns by reason")), columns, rows, total)]


def _account_rows(rows: list[dict]) -> list[dict]:
    return [{**r, "account_label": str(r["account"]) if r["account"] else "—"} for r in rows]


def _sum(rows: list[dict], columns: list[Column]) -> dict:
    return {
        c.key: sum(r.get(c.key) or 0 for r in rows) for c in columns if c.kind in ("int", "money")
    }


def cod_tables(data: dict, access: Access) -> list[Table]:
    columns = [
        Column("account_label", _("Carrier account"), "text"),
        Column("cod_parcels", _("COD parcels")),
        Column("cod_amount", _("COD to collect"), "money"),
        Column("cod_delivered", _("Delivered (collected)"), "money"),
        Column("cod_paid", _("Paid out"), "money"),
        Column("cod_outstanding", _("Still owed"), "money"),
        Column("difference", _("Difference"), "money"),
    ]
    accounts = _account_rows(data["accounts"])
    payout_columns = [
        Column("paid_at", _("Paid on"), "date"),
        Column("account_label", _("Carrier account"), "text"),
        Column("reference", _("Statement reference"), "text"),
        Column("lines", _("Parcels")),
        Column("cod", _("COD paid"), "money"),
        Column("fee", _("Fees withheld"), "money"),
        Column("cod_difference", _("COD difference"), "money"),
        Column("fee_difference", _("Fee difference"), "money"),
    ]
    payouts = [
        {
            **row,
            "paid_at": row["payout"].paid_at,
            "account_label": str(row["payout"].account),
            "reference": row["payout"].reference,
        }
        for row in data["payouts"]
    ]
    return [
        Table("cod", str(_("COD per carrier")), columns, accounts, _sum(accounts, columns)),
        Table(
            "payouts",
            str(_("Payouts received")),
            payout_columns,
            payouts,
            _sum(payouts, payout_columns),
        ),
    ]


def shipping_tables(rows: list[dict], access: Access) -> list[Table]:
    columns = [
        Column("account_label", _("Carrier account"), "text"),
        Column("parcels", _("Parcels")),
        Column("delivered", _("Delivered")),
        Column("returned", _("Returned")),
        Column("cancelled", _("Cancelled")),
        Column("fee", _("Fees quoted"), "money"),
        Column("fee_charged", _("Fees charged"), "money"),
        Column("fee_by_seller", _("Paid by the shop"), "money"),
        Column("fee_by_buyer", _("Charged to buyers"), "money"),
        Column("average_fee", _("Average fee per parcel"), "money"),
    ]
    rows = _account_rows(rows)
    total = _sum([r for r in rows], [c for c in columns if c.key != "average_fee"])
    return [Table("shipping", str(_("Shipping fees by carrier")), columns, rows, total)]
