"""Issue 15's acceptance in headless chromium: the owner opens the dashboard of the demo shop
and reads its figures; the API gives the same figures. The page runs no inline script (the
Content-Security-Policy would refuse it) and its charts have text alternatives."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone
from playwright.sync_api import expect

from donhang.core.money import format_vnd, round_vnd
from donhang.orders.models import Order, OrderLine, Status
from donhang.reports.refresh import figures_refresh
from donhang.returns.models import GOODS_BACK, ReturnLine

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "donhang-demo"

REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


def expected_today() -> dict:
    """Today's figures of the demo shop, from the orders and the returns themselves."""
    today = timezone.localdate()
    kept = Order.objects.exclude(status=Status.CANCELLED).filter(created_at__date=today)
    sold = OrderLine.objects.filter(order__in=kept).aggregate(gross=Sum("gross"))["gross"] or 0
    back = 0
    for line in ReturnLine.objects.filter(
        goods_return__state__in=GOODS_BACK, goods_return__received_at__date=today
    ).select_related("order_line"):
        units = line.quantity - line.missing_quantity
        back += round_vnd(Decimal(units) * line.order_line.gross / line.order_line.quantity)
    orders = kept.count()
    return {
        "orders": orders,
        "revenue": sold - back,
        "aov": round_vnd(Decimal(sold) / orders),
        "new": Order.objects.filter(status=Status.NEW).count(),
    }


def test_the_owner_reads_the_demo_shop_s_figures_and_the_api_agrees(page):
    # Given the demo shop, its figures computed (as the scheduler's job does every minute)
    call_command("load_demo", verbosity=0)
    figures_refresh()
    expected = expected_today()
    assert expected["orders"] > 5 and expected["revenue"] > 0
    violations: list[str] = []
    page.add_init_script(REPORT_CSP_VIOLATIONS)
    page.on(
        "console",
        lambda m: violations.append(m.text) if m.type == "error" and "CSP" in m.text else None,
    )

    # When the owner logs in (on a phone-sized screen)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("form#login-form [type=submit]")

    # Then the dashboard shows today's revenue, orders and average order value
    today = page.locator("#kpi-today")
    expect(today.locator("[data-figure=revenue]")).to_have_text(format_vnd(expected["revenue"]))
    expect(today.locator("[data-figure=orders]")).to_have_text(str(expected["orders"]))
    expect(today.locator("[data-figure=aov]")).to_have_text(format_vnd(expected["aov"]))
    expect(page.locator("#figures-complete")).to_be_visible()
    # ...the orders to act on, each tile opening the list it counts
    new_tile = page.locator("#order-buckets [data-bucket=new]")
    expect(new_tile.locator(".value")).to_have_text(str(expected["new"]))
    assert new_tile.get_attribute("href").endswith("?status=new")
    # ...charts drawn on the server, each with a text alternative and its figures as a table
    for chart in ("#chart-orders", "#chart-revenue"):
        svg = page.locator(f"{chart} svg[role=img]")
        expect(svg).to_be_visible()
        assert svg.get_attribute("aria-label")
        assert page.locator(f"{chart} table[data-chart-table]").count() == 1
    # ...and the rest of the shop: top products, low stock, COD owed, invoices, stocktakes
    expect(page.locator("#top-products tbody tr").first).to_be_visible()
    for block in ("#low-stock", "#cod-outstanding", "#invoice-buckets"):
        expect(page.locator(block)).to_be_attached()
    # Nothing wider than the phone's screen but the tables that scroll
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 392)
        .slice(0, 8).map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""
    )
    assert width <= 390 + 1, (width, wide)

    # And the API gives the same figures (the same session)
    api = page.request.get("/api/v1/reports/dashboard")
    assert api.ok, api.text()
    today_api = api.json()["periods"][0]
    assert today_api["key"] == "today"
    assert today_api["figures"]["revenue"] == expected["revenue"]
    assert today_api["figures"]["orders"] == expected["orders"]
    assert today_api["figures"]["average_order_value"] == expected["aov"]
    day = timezone.localdate().isoformat()
    sales = page.request.get(f"/api/v1/reports/sales?by=channel&from={day}&to={day}").json()
    assert sales["total"]["revenue"] == expected["revenue"]
    assert sales["total"]["orders"] == expected["orders"]
    assert sum(row["orders"] for row in sales["rows"]) == expected["orders"]

    # The reports open from the menu, in a readable table
    page.goto("/reports/sales/?by=channel")
    expect(page.locator("#table-sales-channel tfoot [data-column=revenue]")).to_have_text(
        format_vnd(expected["revenue"])
    )
    assert violations == []
