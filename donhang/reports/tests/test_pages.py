"""The report pages, their exports and the API, by role: sales and warehouse staff never see a
margin or a cost price (pages, dashboard, exports, API); revenue is for the owner, managers and
accountants."""

import io
import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from donhang.catalog import services as catalog
from donhang.core.errors import PermissionDenied, ValidationFailed
from donhang.core.scheduler import enqueue_due_jobs
from donhang.orders import services as orders
from donhang.reports import services
from donhang.reports.models import OrdersDay
from donhang.reports.refresh import figures_refresh
from donhang.reports.tests.conftest import (
    COST_A,
    COST_B,
    api_client,
    backdate,
    make_user,
    ship,
)

pytestmark = pytest.mark.django_db

REPORT_PAGES = [
    "reports:sales",
    "reports:inventory",
    "reports:purchases",
    "reports:returns",
    "reports:cod",
    "reports:shipping",
]
API_REPORTS = ["sales", "inventory", "purchases", "returns", "cod", "shipping-fees", "dashboard"]
# Session, user and permissions (4), the refresh state, the orders' counters and returns to
# inspect, low stock (the first rows with their count), invoices (2), marketplace shops, stocktakes due, the
# shell's menu (the user's role); once per refresh the figures: orders per day and channel, this
# month's best sellers and their variants, parcels owed.
DASHBOARD_QUERIES = 13
FIGURES_QUERIES = 4
COST_WORDS = ["Margin", "Cost of goods", "at cost", "Value in", "margin_percent"]


@pytest.fixture
def sold(products, place_order, owner, warehouse):
    """A few orders shipped today (costs known), one of a product whose name is a formula."""
    catalog.product_create(
        name='=HYPERLINK("http://evil.example")',
        sku="EVIL",
        defaults={"cost_price": COST_A, "sale_price": 99_000, "vat_rate": "10"},
        initial_stock={warehouse.pk: 10},
    )
    for lines in ((("AT01", 2),), (("BANH", 3), ("EVIL", 1))):
        order = place_order(*lines, channel="website")
        ship(order, actor=owner)
    figures_refresh()


def browser_for(role: str) -> Client:
    user = make_user(role)
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def costs_in(text: str) -> list[str]:
    """Figures that would give a cost away (unit costs and their multiples up to 6 units)."""
    found = []
    for cost in (COST_A, COST_B):
        for n in range(1, 7):
            shown = f"{n * cost:,}".replace(",", ".")
            if shown in text or str(n * cost) in text:
                found.append(shown)
    return found


def test_owner_sees_every_report_with_revenue_and_margin(sold, owner):
    client = browser_for("owner")
    index = client.get(reverse("reports:index"))
    assert index.status_code == 200
    for name in REPORT_PAGES:
        assert f'href="{reverse(name)}"' in index.content.decode()
        page = client.get(reverse(name))
        assert page.status_code == 200, name
        assert "Figures complete to" in page.content.decode()
    sales = client.get(reverse("reports:sales"), {"by": "product"}).content.decode()
    assert 'data-column="margin"' in sales and 'data-column="revenue"' in sales
    assert 'id="definitions"' in sales and "Revenue:</dt>" in sales  # on the page using them
    for group in ("day", "channel", "customer"):
        assert client.get(reverse("reports:sales"), {"by": group}).status_code == 200


def test_exports_are_spreadsheets_of_what_the_page_shows_with_formulas_neutralised(sold, owner):
    client = browser_for("owner")
    for name in REPORT_PAGES:
        response = client.get(reverse(name), {"format": "xlsx"})
        assert response.status_code == 200, name
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        book = load_workbook(io.BytesIO(response.content))
        assert book.sheetnames[0] == "About"
    response = client.get(reverse("reports:sales"), {"by": "product", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[1]
    header = [c.value for c in sheet[1]]
    assert "Margin" in header and "Revenue" in header
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("http://evil.example")' in names


@pytest.mark.parametrize("role", ["sales", "warehouse"])
def test_sales_and_warehouse_never_see_margins_or_costs(sold, role):
    client = browser_for(role)
    pages = [reverse("web:dashboard"), reverse("reports:index")]
    for name in REPORT_PAGES:
        response = client.get(reverse(name))
        if response.status_code == 403:
            continue
        assert response.status_code == 200, name
        pages.append(reverse(name))
        export = client.get(reverse(name), {"format": "xlsx"})
        book = load_workbook(io.BytesIO(export.content))
        cells = " ".join(
            str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row
        )
        assert not costs_in(cells), name
        for word in [*COST_WORDS, "Revenue"]:
            assert word not in cells, (name, word)
    for group in ("day", "product", "channel"):
        pages.append(reverse("reports:sales") + f"?by={group}")
    for url in pages:
        text = client.get(url).content.decode()
        assert not costs_in(text), url
        for key in ("margin", "cost", "revenue"):
            assert f'data-column="{key}"' not in text, url
            assert f'data-figure="{key}"' not in text, url
        assert "Margin" not in text and "Cost of goods" not in text, url
    # The API answers without those fields at all
    api = api_client(role)
    for path in API_REPORTS:
        response = api.get(f"/api/v1/reports/{path}")
        if response.status_code == 403:
            continue
        assert response.status_code == 200, (path, response.content)
        body = json.dumps(response.json())
        assert not costs_in(body), path
        for key in ('"margin"', '"cost"', '"revenue"', '"net_revenue"', '"value_in"'):
            assert key not in body, (path, key)


def test_sales_staff_see_orders_and_units(sold):
    client = browser_for("sales")
    page = client.get(reverse("reports:sales"), {"by": "product"})
    assert page.status_code == 200
    assert 'data-column="units"' in page.content.decode()
    # Stock movements, purchases and COD are not theirs
    for name in ("reports:inventory", "reports:purchases", "reports:cod"):
        assert client.get(reverse(name)).status_code == 403


def test_bad_filters_say_what_is_wrong(sold, owner):
    client = browser_for("owner")
    response = client.get(reverse("reports:sales"), {"from": "2026-02-31", "channel": "fax"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Enter a date as YYYY-MM-DD." in text and "Unknown channel." in text
    too_long = client.get(reverse("reports:sales"), {"from": "2020-01-01", "to": "2026-01-01"})
    assert "Choose at most" in too_long.content.decode()
    assert client.get(reverse("reports:sales"), {"page": "9" * 40}).status_code == 200
    assert client.get(reverse("reports:sales"), {"warehouse": "9" * 40}).status_code == 200


def test_the_owners_daily_summary(sold, owner):
    sales = make_user("sales", "ban-hang@shop.example")
    with pytest.raises(PermissionDenied):
        services.report_settings_update(daily_email=True, daily_email_hour=7, actor=sales)
    with pytest.raises(ValidationFailed):
        services.report_settings_update(daily_email=True, daily_email_hour=24, actor=owner)
    morning = timezone.localtime().replace(hour=8, minute=0) + timedelta(days=1)
    # Off by default: nothing goes
    assert services.daily_summary_send(now=morning) == 0
    services.report_settings_update(daily_email=True, daily_email_hour=7, actor=owner)
    assert services.daily_summary_send(now=morning.replace(hour=6)) == 0  # too early
    assert services.daily_summary_send(now=morning) == 1
    assert services.daily_summary_send(now=morning.replace(hour=9)) == 0  # once a day
    (message,) = mail.outbox
    assert message.to == ["chu@shop.example"]  # owners only
    assert "Sales of" in message.subject or "Doanh số" in message.subject
    # the page turns it on and off (owners only)
    client = browser_for("owner")
    response = client.post(reverse("reports:settings"), {"daily_email_hour": "6"})
    assert response.status_code == 302
    assert not services.report_settings_get().daily_email
    assert browser_for("sales").get(reverse("reports:settings")).status_code == 403


def test_the_scheduler_keeps_the_figures_fresh(
    products, place_order, django_capture_on_commit_callbacks
):
    place_order(("AT01", 1))
    with django_capture_on_commit_callbacks(execute=True):
        names = enqueue_due_jobs(requeue=False)
    assert "reports_refresh" in names and "reports_daily_summary" in names
    assert OrdersDay.objects.get().orders == 1


def test_rebuild_command(products, place_order):
    order = place_order(("AT01", 1))
    out = io.StringIO()
    call_command("reports_rebuild", stdout=out)
    assert "rebuilt" in out.getvalue()
    orders.order_cancel(order=order)
    call_command("reports_rebuild", "--refresh", stdout=out)
    assert "refreshed: 1 days" in out.getvalue()


def test_the_dashboard_reads_a_fixed_number_of_queries(products, place_order, owner):
    """The dashboard's statements do not grow with orders, days or channels. Its figures are
    read once per refresh (then kept until the next one, which changes `complete_to`)."""
    client = browser_for("owner")
    place_order(("AT01", 1))
    figures_refresh()
    url = reverse("web:dashboard")
    with CaptureQueriesContext(connection) as first:
        assert client.get(url).status_code == 200  # reads the figures
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200  # the figures kept since
    for i, channel in enumerate(("website", "shopee", "lazada", "tiktok_shop") * 3):
        order = place_order(("AT01", 1), ("BANH", 1), channel=channel, phone=f"09123450{i:02d}")
        backdate(order, timezone.now() - timedelta(days=i))
    figures_refresh()
    with CaptureQueriesContext(connection) as first_many:
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(first_many.captured_queries) == len(first.captured_queries)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(few.captured_queries) <= DASHBOARD_QUERIES, [
        q["sql"][:80] for q in few.captured_queries
    ]
    assert len(first.captured_queries) <= DASHBOARD_QUERIES + FIGURES_QUERIES
