"""Issue 15, "figures agree with the orders": orders across channels and days (seller
discounts, a platform voucher, a cancellation, a return) give the totals, margins and counts
per channel the definitions say, on the report, the dashboard and the API alike."""

from datetime import timedelta

import pytest
from django.utils import timezone

from donhang.orders import services as orders
from donhang.orders.models import Order
from donhang.reports import selectors
from donhang.reports.access import Access
from donhang.reports.refresh import figures_refresh
from donhang.reports.selectors import ReportFilters
from donhang.reports.selectors import sales as sales_selectors
from donhang.reports.tests.conftest import COST_A, COST_B, api_client, backdate, ship

pytestmark = pytest.mark.django_db

OWNER = Access(money=True, margin=True, customers=True)


def lines_of(order: Order) -> tuple[int, int]:
    """(gross, net) of an order's lines, read straight from the order."""
    rows = list(order.lines.values_list("gross", "net"))
    return sum(g for g, _n in rows), sum(n for _g, n in rows)


@pytest.fixture
def shop(db, products, place_order, owner):
    """Three days of a small shop; returns the orders by name and the days."""
    a, _b = products
    today = timezone.localdate()
    now = timezone.now()
    d2, d1 = now - timedelta(days=2), now - timedelta(days=1)

    # Two days ago: a website order with a 10 % line discount and a seller-funded 20,000 off,
    # and a Shopee order with a 15,000 platform voucher (the platform pays it: still revenue).
    o1 = place_order(
        ("AT01", 2),
        channel="website",
        discounts=[orders.DiscountInput(amount=20_000)],
    )
    orders.order_update_lines(
        order=o1,
        lines=[orders.LineInput(variant_id=a.pk, quantity=2, discount_percent="10")],
        actor=owner,
    )
    o2 = place_order(
        ("BANH", 3),
        channel="shopee",
        payment_method="marketplace_prepaid",
        discounts=[orders.DiscountInput(amount=15_000, funded_by="platform")],
    )
    # Yesterday: a phone order cancelled, and a Lazada order that comes back today.
    o3 = place_order(("AT01", 1), channel="manual_phone")
    o4 = place_order(
        ("AT01", 1), ("BANH", 2), channel="lazada", payment_method="marketplace_prepaid"
    )
    # Today: a new website order (not shipped: no cost yet) and a TikTok order shipped.
    o5 = place_order(("BANH", 1), channel="website")
    o6 = place_order(("AT01", 3), channel="tiktok_shop", payment_method="marketplace_prepaid")
    for order, when in ((o1, d2), (o2, d2), (o3, d1), (o4, d1)):
        backdate(order, when)
    for order in (o1, o2, o4, o6):
        ship(order, actor=owner)
    for order in (o1, o2, o4):
        orders.order_complete(order=order, actor=owner)
    orders.order_cancel(order=o3, reason="Khách đổi ý", actor=owner)
    o4.refresh_from_db()
    orders.order_return(order=o4, reason="Sai size", actor=owner)
    figures_refresh()
    named = {"o1": o1, "o2": o2, "o3": o3, "o4": o4, "o5": o5, "o6": o6}
    for order in named.values():
        order.refresh_from_db()
    return named, (today - timedelta(days=2), today - timedelta(days=1), today)


def test_revenue_and_margin_per_channel_agree_with_the_orders(shop):
    o, (d2, _d1, d0) = shop
    # The money on the orders, as the definitions put it
    assert lines_of(o["o1"])[0] == 300_000 - 30_000 - 20_000  # both seller discounts off
    assert lines_of(o["o2"])[0] == 3 * 108_000  # the platform's voucher is not taken off
    gross = {name: lines_of(order)[0] for name, order in o.items()}
    net = {name: lines_of(order)[1] for name, order in o.items()}

    report = selectors.sales_report(
        filters=ReportFilters(date_from=d2, date_to=d0), group="channel", access=OWNER
    )
    by_channel = {row["channel"]: row for row in report.rows}

    website = by_channel["website"]
    assert website["orders"] == 2 and website["units"] == 3
    assert website["revenue"] == gross["o1"] + gross["o5"]
    assert website["net_revenue"] == net["o1"] + net["o5"]
    # o5 is not handed over: no cost of goods yet
    assert website["cost"] == 2 * COST_A
    assert website["margin"] == net["o1"] + net["o5"] - 2 * COST_A

    shopee = by_channel["shopee"]
    assert (shopee["orders"], shopee["revenue"]) == (1, 324_000)
    assert shopee["margin"] == net["o2"] - 3 * COST_B

    # Sold and returned whole: nothing earned, nothing spent
    lazada = by_channel["lazada"]
    assert lazada["orders"] == 1 and lazada["returned_units"] == 3
    assert lazada["sales"] == gross["o4"] and lazada["returns"] == gross["o4"]
    assert (lazada["revenue"], lazada["net_revenue"], lazada["cost"], lazada["margin"]) == (
        0,
        0,
        0,
        0,
    )

    phone = by_channel["manual_phone"]
    assert (phone["orders"], phone["cancelled"], phone["revenue"]) == (0, 1, 0)

    tiktok = by_channel["tiktok_shop"]
    assert tiktok["revenue"] == gross["o6"]
    assert tiktok["margin"] == net["o6"] - 3 * COST_A

    kept = ("o1", "o2", "o4", "o5", "o6")
    assert report.total["orders"] == 5
    assert report.total["cancelled"] == 1
    assert report.total["revenue"] == sum(gross[n] for n in kept) - gross["o4"]
    assert report.total["vat"] == report.total["revenue"] - report.total["net_revenue"]
    assert report.total["margin"] == (
        sum(net[n] for n in kept) - net["o4"] - (2 * COST_A + 3 * COST_B + 3 * COST_A)
    )
    assert sum(row["revenue"] for row in report.rows) == report.total["revenue"]


def test_each_figure_is_on_the_order_s_day_and_the_return_on_its_own(shop):
    o, (d2, d1, d0) = shop
    report = selectors.sales_report(
        filters=ReportFilters(date_from=d2, date_to=d0), group="day", access=OWNER
    )
    by_day = {row["day"]: row for row in report.rows}
    gross = {name: lines_of(order)[0] for name, order in o.items()}
    assert by_day[d2]["orders"] == 2
    assert by_day[d2]["revenue"] == gross["o1"] + gross["o2"]
    # Yesterday: the Lazada order counts as sold (its return is today's), the phone order not
    assert by_day[d1]["orders"] == 1 and by_day[d1]["cancelled"] == 1
    assert by_day[d1]["revenue"] == gross["o4"]
    assert by_day[d1]["cost"] == COST_A + 2 * COST_B
    # Today: two orders, less the goods that came back
    assert by_day[d0]["orders"] == 2
    assert by_day[d0]["revenue"] == gross["o5"] + gross["o6"] - gross["o4"]
    assert by_day[d0]["cost"] == 3 * COST_A - (COST_A + 2 * COST_B)
    # The chart has every day of the range, empty days at zero
    assert [p["label"] for p in report.chart] == [d2, d1, d0]


def test_products_customers_and_filters(shop, warehouse):
    _orders, (d2, _d1, d0) = shop
    filters = ReportFilters(date_from=d2, date_to=d0)
    products = selectors.sales_report(filters=filters, group="product", access=OWNER)
    units = {row["sku"]: row["units"] for row in products.rows}
    assert units == {"AT01": 2 + 1 + 3, "BANH": 3 + 2 + 1}
    assert sum(r["revenue"] for r in products.rows) == products.total["revenue"]
    # The same buyer (one phone) placed every order
    customers = selectors.sales_report(filters=filters, group="customer", access=OWNER)
    assert len(customers.rows) == 1
    assert customers.rows[0]["orders"] == 5
    assert customers.rows[0]["revenue"] == products.total["revenue"]
    # One channel only
    shopee = selectors.sales_report(
        filters=ReportFilters(date_from=d2, date_to=d0, channel="shopee"),
        group="product",
        access=OWNER,
    )
    assert [(r["sku"], r["units"]) for r in shopee.rows] == [("BANH", 3)]
    # A warehouse holding none of them: nothing
    other = ReportFilters(date_from=d2, date_to=d0, warehouse=warehouse.pk + 1000)
    assert selectors.sales_report(filters=other, group="day", access=OWNER).rows == []


def test_the_api_gives_the_same_figures(shop):
    _orders, (d2, _d1, d0) = shop
    report = selectors.sales_report(
        filters=ReportFilters(date_from=d2, date_to=d0), group="channel", access=OWNER
    )
    client = api_client("owner")
    response = client.get(
        "/api/v1/reports/sales", {"by": "channel", "from": d2.isoformat(), "to": d0.isoformat()}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["complete_to"]
    api_rows = {row["channel"]: row for row in body["rows"]}
    for row in report.rows:
        for key in ("orders", "units", "revenue", "net_revenue", "cost", "margin"):
            assert api_rows[row["channel"]][key] == row[key]
    assert body["total"]["revenue"] == report.total["revenue"]
    assert body["total"]["margin"] == report.total["margin"]
    # Bad filters are a 422 naming the field, not a 500
    bad = client.get("/api/v1/reports/sales", {"from": "2026-13-45"})
    assert bad.status_code == 422
    assert "from" in bad.json()["error"]["fields"]
    reversed_range = client.get(
        "/api/v1/reports/sales", {"from": d0.isoformat(), "to": d2.isoformat()}
    )
    assert reversed_range.status_code == 422


def test_the_dashboard_periods_add_up(shop):
    o, (_d2, _d1, d0) = shop
    board = selectors.dashboard_get(access=OWNER)
    today = board.periods[0]
    gross = {name: lines_of(order)[0] for name, order in o.items()}
    assert today.key == "today"
    assert today.figures["orders"] == 2
    assert today.figures["revenue"] == gross["o5"] + gross["o6"] - gross["o4"]
    assert today.figures["average_order_value"] == round((gross["o5"] + gross["o6"]) / 2)
    # Yesterday, for the change: the Lazada order
    assert today.previous["revenue"] == gross["o4"]
    month = board.periods[2]
    if month.first <= d0 - timedelta(days=2):
        assert month.figures["orders"] == 5
    assert {row["sku"] for row in board.top_products} <= {"AT01", "BANH"}


def test_customers_come_biggest_first_a_page_at_a_time(products, place_order, monkeypatch):
    # Three buyers spending 1, 3 and 2 units of the same product
    for phone, units in (("0912000001", 1), ("0912000002", 3), ("0912000003", 2)):
        place_order(("AT01", units), phone=phone, name=f"Khách {phone[-1]}")
    figures_refresh()
    monkeypatch.setattr(sales_selectors, "PAGE_SIZE", 2)
    today = timezone.localdate()
    filters = ReportFilters(date_from=today.replace(day=1), date_to=today)
    first = selectors.sales_report(filters=filters, group="customer", access=OWNER)
    assert (first.row_count, first.pages) == (3, 2)
    assert [r["units"] for r in first.rows] == [3, 2]
    assert first.rows[0]["revenue"] == 3 * 150_000
    second = selectors.sales_report(filters=filters, group="customer", access=OWNER, page=2)
    assert [r["units"] for r in second.rows] == [1]
    # Past the last page: the last page
    beyond = selectors.sales_report(filters=filters, group="customer", access=OWNER, page=9)
    assert (beyond.page, [r["units"] for r in beyond.rows]) == (2, [1])
    # Without revenue, by units too
    units_only = selectors.sales_report(filters=filters, group="customer", access=Access())
    assert [r["units"] for r in units_only.rows] == [3, 2]
    assert "revenue" not in units_only.rows[0]
