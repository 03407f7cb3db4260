"""Findings of the orders review: each test failed before its fix."""

import threading
import time

import pytest
from django.db import connection, transaction

from donhang.inventory.models import StockLevel
from donhang.orders import services
from donhang.orders.models import Order, OrderLine, Status
from donhang.orders.tests.conftest import order_payload


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes",
    [
        {"lines": [{"sku": "AT01", "quantity": 1, "unit_price": 10**19}]},
        {"lines": [{"sku": "AT01", "quantity": 3_000_000_000}]},
        {"lines": [{"sku": "AT01", "quantity": 5_000, "unit_price": 5 * 10**15}]},
        {"shipping_fee": 10**19},
    ],
)
def test_absurd_amounts_are_refused_with_a_message_not_a_server_error(
    api_sales, make_variant, hoan_kiem, changes
):
    make_variant(stock=10)

    response = api_sales.post(
        "/api/v1/orders", order_payload(hoan_kiem, **changes), content_type="application/json"
    )

    assert response.status_code == 422
    assert response.json()["error"]["fields"]
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_an_absurd_stock_change_is_refused_with_a_message(api_manager, make_variant):
    make_variant(stock=10)

    response = api_manager.post(
        "/api/v1/stock/movements",
        {"sku": "AT01", "warehouse": "HN", "delta": 10**12, "reason": "nhập nhầm"},
        content_type="application/json",
    )

    assert response.status_code == 422
    assert "delta" in response.json()["error"]["fields"]


@pytest.mark.django_db
def test_editing_an_order_that_has_a_product_on_two_lines_keeps_lines_and_totals_together(
    make_variant, place_order, warehouse
):
    # Given an order taken with the same product on two lines (1 + 2 units)
    variant = make_variant(stock=10, price=100_000)
    order = place_order(("AT01", 1), ("AT01", 2))
    assert order.lines.count() == 2

    # When the lines are edited to 3 units of it
    order = services.order_update_lines(
        order=order, lines=[services.LineInput(variant_id=variant.pk, quantity=3)]
    )

    # Then the order holds 3 units, charges for 3 and reserves 3
    order.refresh_from_db()
    lines = list(order.lines.all())
    assert sum(ln.quantity for ln in lines) == 3
    assert order.goods_total == 300_000
    assert sum(ln.reserved_quantity for ln in lines) == 3
    assert StockLevel.objects.get(variant=variant, warehouse=warehouse).reserved == 3


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_new_stock_is_not_reserved_for_an_order_cancelled_while_it_arrives(
    make_variant, place_order, warehouse
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks interleave only on PostgreSQL (SQLite serialises writers)")
    # Given an order waiting for 2 units of a product out of stock
    variant = make_variant(stock=0)
    waiting = place_order(("AT01", 2), confirm=True)
    assert OrderLine.objects.get(order=waiting).reserved_quantity == 0
    locked = threading.Event()

    def cancel():
        # Staff cancel it; the order row is locked while stock arrives
        try:
            with transaction.atomic():
                Order.objects.select_for_update().get(pk=waiting.pk)
                locked.set()
                time.sleep(1.0)  # the receipt below picks the order, then waits for this lock
                services.order_cancel(order=waiting, reason="Khách hủy")
        finally:
            connection.close()

    thread = threading.Thread(target=cancel)
    thread.start()
    assert locked.wait(10)
    # When 5 units arrive at the same time
    services.stock_adjust(variant=variant, warehouse=warehouse, delta=5, reason="Tìm thấy")
    thread.join(10)

    # Then nothing is held for the cancelled order
    waiting.refresh_from_db()
    level = StockLevel.objects.get(variant=variant, warehouse=warehouse)
    assert waiting.status == Status.CANCELLED
    assert OrderLine.objects.get(order=waiting).reserved_quantity == 0
    assert (level.on_hand, level.reserved) == (5, 0)
