import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from donhang.catalog.models import Variant
from donhang.inventory.models import StockLevel, Warehouse
from donhang.inventory.selectors import low_stock_variants
from donhang.inventory.services import stock_initial_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def hanoi(db):
    return Warehouse.objects.create(code="HN", name="Kho Hà Nội", priority=1)


@pytest.fixture
def saigon(db):
    return Warehouse.objects.create(code="HCM", name="Kho Sài Gòn", priority=2)


@pytest.fixture
def stocked(make_variant):
    def make(sku, *, threshold, stock=None):
        variant = make_variant(sku=sku)
        Variant.objects.filter(pk=variant.pk).update(low_stock_threshold=threshold)
        if stock:
            stock_initial_post(variant=variant, quantities=stock)
        return variant

    return make


def _skus(response):
    return [row.variant.sku for row in response.context["low"].rows]


def test_low_stock_lists_variants_at_or_below_their_threshold(
    login, english, stocked, hanoi, saigon, place_order
):
    stocked("LOW", threshold=5, stock={hanoi.pk: 3, saigon.pk: 1})
    stocked("HELD", threshold=5, stock={hanoi.pk: 10})
    place_order(("HELD", 6))  # 10 on hand, 6 reserved: 4 available
    stocked("EXACT", threshold=5, stock={hanoi.pk: 5})
    stocked("NEVER", threshold=2)  # never stocked: 0 available
    stocked("PLENTY", threshold=5, stock={hanoi.pk: 20})
    stocked("NOLIMIT", threshold=0)
    inactive = stocked("OLDWH", threshold=5, stock={hanoi.pk: 2})
    closed = Warehouse.objects.create(code="OLD", name="Kho cũ", is_active=False)
    StockLevel.objects.create(variant=inactive, warehouse=closed, on_hand=100)
    switched_off = stocked("OFF", threshold=5)
    Variant.objects.filter(pk=switched_off.pk).update(is_active=False)

    client = login("sales")
    response = client.get(reverse("inventory:low_stock"))
    assert response.status_code == 200
    assert _skus(response) == ["NEVER", "OLDWH", "HELD", "LOW", "EXACT"]
    rows = {row.variant.sku: row for row in response.context["low"].rows}
    assert (rows["HELD"].available, rows["HELD"].threshold) == (4, 5)
    assert [(f.warehouse.code, f.on_hand, f.available) for f in rows["LOW"].per_warehouse] == [
        ("HN", 3, 3),
        ("HCM", 1, 1),
    ]
    assert [(f.warehouse.code, f.available) for f in rows["HELD"].per_warehouse] == [
        ("HN", 4),
        ("HCM", 0),
    ]
    body = response.content.decode()
    assert reverse("inventory:variant_stock", args=[rows["LOW"].variant.pk]) in body
    assert "Áo thun cổ tròn" in body
    assert "HCM" in body


def test_filter_by_warehouse_judges_stock_there(login, stocked, hanoi, saigon):
    stocked("LOW", threshold=5, stock={hanoi.pk: 3, saigon.pk: 1})
    stocked("SPLIT", threshold=5, stock={hanoi.pk: 2, saigon.pk: 9})
    client = login("sales")
    assert _skus(client.get(reverse("inventory:low_stock"))) == ["LOW"]
    at_saigon = client.get(reverse("inventory:low_stock"), {"warehouse": saigon.pk})
    assert at_saigon.context["low"].warehouse == saigon
    assert _skus(at_saigon) == ["LOW"]
    at_hanoi = client.get(reverse("inventory:low_stock"), {"warehouse": hanoi.pk})
    assert _skus(at_hanoi) == ["SPLIT", "LOW"]
    assert [v.sku for v in low_stock_variants(warehouse=hanoi)] == ["SPLIT", "LOW"]


def test_low_stock_query_count_does_not_grow_with_rows(login, stocked, hanoi, saigon):
    client = login("warehouse")
    for n in range(2):
        stocked(f"A{n}", threshold=5, stock={hanoi.pk: 1, saigon.pk: 1})
    with CaptureQueriesContext(connection) as two_rows:
        assert len(_skus(client.get(reverse("inventory:low_stock")))) == 2
    for n in range(10):
        stocked(f"B{n}", threshold=5, stock={hanoi.pk: n % 3})
    Warehouse.objects.create(code="DN", name="Kho Đà Nẵng", priority=3)
    with CaptureQueriesContext(connection) as twelve_rows:
        response = client.get(reverse("inventory:low_stock"))
    assert len(_skus(response)) == 12
    assert len(twelve_rows) == len(two_rows)
    assert [w.code for w in response.context["low"].warehouses] == ["HN", "HCM", "DN"]


def test_low_stock_needs_the_stock_permission(client, login):
    response = client.get(reverse("inventory:low_stock"))
    assert response.status_code == 302
    assert login("sales").get(reverse("inventory:low_stock")).status_code == 200
