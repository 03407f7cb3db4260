"""The dashboard reminds of warehouses not counted within STOCKTAKE_PERIOD_DAYS."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from donhang.inventory import stocktakes
from donhang.inventory.models import Stocktake, Warehouse
from donhang.inventory.selectors import stocktake_due_warehouses

pytestmark = pytest.mark.django_db


def counted(warehouse, days_ago: int) -> Stocktake:
    sheet = stocktakes.stocktake_create(warehouse=warehouse)
    stocktakes.stocktake_post(stocktake=sheet)
    Stocktake.objects.filter(pk=sheet.pk).update(
        posted_at=timezone.now() - timedelta(days=days_ago)
    )
    return sheet


@pytest.fixture
def warehouses(db):
    return {
        code: Warehouse.objects.create(code=code, name=f"Kho {code}", priority=n)
        for n, code in enumerate(["NEVER", "RECENT", "OLD", "CLOSED"])
    }


def test_dashboard_lists_never_counted_and_overdue_warehouses(login, english, warehouses):
    counted(warehouses["RECENT"], days_ago=3)
    counted(warehouses["OLD"], days_ago=45)
    Warehouse.objects.filter(code="CLOSED").update(is_active=False)

    response = login("warehouse").get(reverse("web:dashboard"))

    body = response.content.decode()
    assert 'id="stocktake-reminder"' in body
    assert 'data-warehouse="NEVER"' in body
    assert 'data-warehouse="OLD"' in body
    assert 'data-warehouse="RECENT"' not in body
    assert 'data-warehouse="CLOSED"' not in body
    assert "never counted" in body
    assert "not counted in the last 30 days" in body
    start = reverse("inventory:stocktake_create") + f"?warehouse={warehouses['NEVER'].pk}"
    assert start in body


def test_the_period_is_a_setting_quarterly_is_90_days(settings, warehouses):
    counted(warehouses["RECENT"], days_ago=3)
    counted(warehouses["OLD"], days_ago=45)
    settings.STOCKTAKE_PERIOD_DAYS = 90

    due = [w.code for w in stocktake_due_warehouses()]

    # Never counted first, then the longest uncounted.
    assert due == ["NEVER", "CLOSED"]


def test_a_count_in_progress_is_linked_instead_of_starting_another(login, english, warehouses):
    sheet = stocktakes.stocktake_create(warehouse=warehouses["NEVER"])

    body = login("manager").get(reverse("web:dashboard")).content.decode()

    assert reverse("inventory:stocktake_sheet", args=[sheet.code]) in body


def test_cancelled_or_counting_stocktakes_do_not_count_as_counted(warehouses):
    sheet = stocktakes.stocktake_create(warehouse=warehouses["RECENT"])
    stocktakes.stocktake_cancel(stocktake=sheet)

    due = {w.code: w.last_counted_at for w in stocktake_due_warehouses()}

    assert due["RECENT"] is None


def test_sales_do_not_see_the_reminder(login, warehouses):
    body = login("sales").get(reverse("web:dashboard")).content.decode()
    assert 'id="stocktake-reminder"' not in body
