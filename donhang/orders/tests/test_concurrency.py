"""No overselling: real threads, each with its own database connection, against one variant."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from donhang.accounts.services import api_key_create
from donhang.inventory.models import StockLevel
from donhang.orders.models import Order, SubState
from donhang.orders.tests.conftest import order_payload

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

ORDERS = 50
STOCK = 10


def fire_concurrently(raw_key: str, bodies: list[dict]) -> list[int]:
    barrier = threading.Barrier(len(bodies))

    def one(body):
        try:
            client = Client(headers={"Authorization": f"Bearer {raw_key}"})
            barrier.wait(timeout=30)
            return client.post("/api/v1/orders", body, content_type="application/json").status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(one, bodies))


@pytest.mark.parametrize("allow_backorder", [False, True])
def test_fifty_concurrent_orders_for_ten_units(make_variant, hoan_kiem, warehouse, allow_backorder):
    variant = make_variant(stock=STOCK)
    _key, raw = api_key_create(name="website", role="sales")
    bodies = [
        order_payload(
            hoan_kiem,
            allow_backorder=allow_backorder,
            external_id=f"W-{i}",
            customer={
                "name": f"Khách {i}",
                "phone": f"0912{i:06d}",
                "address": {"line": "1 Hàng Bạc", "ward": hoan_kiem.code},
            },
        )
        for i in range(ORDERS)
    ]

    statuses = fire_concurrently(raw, bodies)

    level = StockLevel.objects.get(variant=variant, warehouse=warehouse)
    assert (level.on_hand, level.reserved) == (STOCK, STOCK)
    if allow_backorder:
        assert statuses.count(201) == ORDERS
        assert Order.objects.filter(sub_state=SubState.AWAITING_STOCK).count() == ORDERS - STOCK
        assert Order.objects.exclude(sub_state=SubState.AWAITING_STOCK).count() == STOCK
    else:
        assert statuses.count(201) == STOCK
        assert statuses.count(409) == ORDERS - STOCK
        assert Order.objects.count() == STOCK
    call_command("stock_rebuild", "--check")  # raises on any drift
