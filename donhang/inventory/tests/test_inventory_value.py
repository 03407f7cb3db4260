"""Inventory value at cost per warehouse and category, and its .xlsx export."""

import io

import pytest
from django.urls import reverse

from donhang.catalog.models import Category
from donhang.inventory.models import Warehouse
from donhang.inventory.tests.documents_support import make_variant

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db):
    hn = Warehouse.objects.create(code="HN", name="Kho Hà Nội", priority=1)
    hcm = Warehouse.objects.create(code="HCM", name="Kho TP.HCM", priority=2)
    Warehouse.objects.create(code="DN", name="Kho Đà Nẵng", priority=3)
    shirts = Category.objects.create(name="Áo")
    shirts.path = f"/{shirts.pk}/"
    shirts.save()
    # HN: 10 × 50.000 + 4 × 120.000 = 980.000; HCM: 3 × 50.000 = 150.000.
    make_variant("AO-1", stock={hn.pk: 10, hcm.pk: 3}, cost=50000, category=shirts)
    make_variant("QUAN-1", stock={hn.pk: 4}, cost=120000)
    make_variant("NON-1", cost=99000)  # never stocked
    return {"hn": hn, "hcm": hcm, "shirts": shirts}


def test_value_per_warehouse_and_total(login, english, shop):
    response = login("accountant").get(reverse("inventory:inventory_value"))

    value = response.context["value"]
    assert [(r.key.code, r.units, r.value, r.variants) for r in value.rows] == [
        ("HN", 14, 980000, 2),
        ("HCM", 3, 150000, 1),
        ("DN", 0, 0, 0),
    ]
    assert (value.units, value.value) == (17, 1130000)
    assert "1.130.000" in response.content.decode()


def test_drill_down_by_category(login, english, shop):
    response = login("owner").get(
        reverse("inventory:inventory_value"), {"warehouse": shop["hn"].pk}
    )

    rows = response.context["by_category"].rows
    # Biggest value first; products without a category together.
    assert [(r.key, r.units, r.value) for r in rows] == [
        (shop["shirts"], 10, 500000),
        (None, 4, 480000),
    ]
    assert "No category" in response.content.decode()


def test_only_roles_that_see_costs_open_it(login, shop):
    for role in ("warehouse", "sales"):
        client = login(role)
        assert client.get(reverse("inventory:inventory_value")).status_code == 403
        assert client.get(reverse("inventory:inventory_value_export")).status_code == 403
        client.logout()


def _workbook(response):
    from openpyxl import load_workbook

    return load_workbook(
        io.BytesIO(b"".join(response.streaming_content))
        if response.streaming
        else io.BytesIO(response.content)
    )


def test_export_has_a_summary_and_one_sheet_per_warehouse(login, english, shop):
    response = login("manager").get(reverse("inventory:inventory_value_export"))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="inventory-value-')
    workbook = _workbook(response)
    assert workbook.sheetnames == ["Summary", "HN", "HCM", "DN"]
    summary = list(workbook["Summary"].iter_rows(values_only=True))
    assert summary[0][0] == "Warehouse code"
    assert summary[1:] == [
        ("HN", "Kho Hà Nội", 2, 14, 980000),
        ("HCM", "Kho TP.HCM", 1, 3, 150000),
        ("DN", "Kho Đà Nẵng", 0, 0, 0),
        ("Total", None, 3, 17, 1130000),
    ]
    hn = list(workbook["HN"].iter_rows(values_only=True))
    assert [row[0] for row in hn[1:-1]] == ["AO-1", "QUAN-1"]
    assert hn[1][3:] == ("Áo", 10, 50000, 500000)
    assert hn[-1] == ("Total", None, None, None, 14, None, 980000)
    assert sum(row[6] for row in hn[1:-1]) == 980000


def test_export_headers_follow_the_language(login, shop):
    client = login("owner")
    client.cookies["donhang_language"] = "vi"

    workbook = _workbook(client.get(reverse("inventory:inventory_value_export")))

    header = next(workbook["HN"].iter_rows(values_only=True))
    assert header[0] == "Mã SKU"
    assert header[1] == "Sản phẩm"
    assert header[4] == "Tồn thực tế"
