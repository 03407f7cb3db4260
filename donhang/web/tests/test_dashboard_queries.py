"""The dashboard's figures in a fixed number of statements, none of which counts every order."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from donhang.accounts.services import user_create
from donhang.catalog import services as catalog
from donhang.customers.models import Ward
from donhang.inventory.models import Warehouse
from donhang.orders import services as orders
from donhang.web.selectors import dashboard_summary

pytestmark = pytest.mark.django_db

# products · stock on hand and reserved · low stock · orders to act on (the order counters) ·
# orders and money of today and the last 7 days (one read of the covering index) · variants ·
# active warehouses · warehouses due a stocktake
DASHBOARD_STATEMENTS = 8


@pytest.fixture
def place():
    warehouse = Warehouse.objects.create(code="HN", name="Kho Hà Nội", priority=1)
    product = catalog.product_create(
        name="Áo", sku="AO", defaults={"sale_price": 100_000}, initial_stock={warehouse.pk: 500}
    )
    variant = product.variants.get()
    ward = Ward.objects.get(name="Phường Hoàn Kiếm")
    made = {"n": 0}

    def make(n: int) -> None:
        for _ in range(n):
            made["n"] += 1
            order = orders.order_create(
                channel="website",
                customer=orders.CustomerInput(
                    name="Khách",
                    phone=f"0912{made['n']:06d}",
                    address=orders.AddressInput(line="1 Hàng Bạc", ward=ward.code),
                ),
                lines=[orders.LineInput(variant_id=variant.pk, quantity=1)],
            )
            if made["n"] % 2:
                orders.order_confirm(order=order)

    return make


def _order_scans(ctx) -> list[str]:
    """Statements that count or sum orders without a date range (a scan of every order)."""
    return [
        q["sql"]
        for q in ctx.captured_queries
        if '"orders_order"' in q["sql"]
        and ("COUNT(" in q["sql"] or "SUM(" in q["sql"])
        and "created_at" not in q["sql"]
    ]


def test_dashboard_figures_in_fixed_statements(place):
    place(3)
    with CaptureQueriesContext(connection) as few:
        summary = dashboard_summary(include_revenue=True)
    assert summary["orders"]["new"] == 1 and summary["orders"]["packing"] == 2
    assert summary["today_orders"] == 3 and summary["week_total"] > 0

    place(10)
    with CaptureQueriesContext(connection) as many:
        summary = dashboard_summary(include_revenue=True)

    assert summary["orders"]["new"] == 6 and summary["orders"]["packing"] == 7
    assert len(few.captured_queries) == len(many.captured_queries) == DASHBOARD_STATEMENTS
    assert _order_scans(many) == []


def test_dashboard_page_whatever_the_number_of_orders(client, place):
    client.force_login(user_create(username="chu", password="mat-khau-123", role="owner"))
    place(2)
    client.get(reverse("web:dashboard"))
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("web:dashboard")).status_code == 200
    place(8)
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("web:dashboard")).status_code == 200

    assert len(few.captured_queries) == len(many.captured_queries)
