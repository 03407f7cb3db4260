"""A returned order's goods wait for inspection where they left from; what each channel may sell
follows its warehouse rules."""

import pytest

from donhang.inventory.models import StockLevel
from donhang.orders import services
from donhang.orders.ledger import ledger_check
from donhang.orders.models import Order, Status
from donhang.orders.tests.conftest import api_client
from donhang.orders.timeline import event_text

pytestmark = pytest.mark.django_db


def test_a_returned_parcel_waits_for_inspection_and_says_so_on_the_timeline(
    make_variant, place_order, owner, warehouse
):
    variant = make_variant(stock=5)
    order = place_order(("AT01", 2), confirm=True)
    services.order_follow_shipment(order=order, shipment_status="picked")
    services.order_follow_shipment(order=order, shipment_status="returned")

    order = Order.objects.get(pk=order.pk)
    assert order.status == Status.RETURNED
    level = StockLevel.objects.get(variant=variant, warehouse=warehouse)
    assert (level.on_hand, level.returned) == (3, 2)  # not sellable until inspected
    event = order.events.get(code="returned_to_inspect")
    assert "2" in event_text(event.code, event.params)
    assert ledger_check() == []


def test_a_manual_return_of_a_completed_order_also_brings_the_goods_back(
    make_variant, place_order, owner, warehouse
):
    variant = make_variant(stock=5)
    order = place_order(("AT01", 1), confirm=True, payment_method="bank_transfer")
    services.order_mark_packed(order=order, actor=owner)
    services.order_hand_over(order=order, actor=owner)
    services.order_complete(order=order, actor=owner)
    services.order_return(order=order, reason="Sai size", actor=owner)

    assert StockLevel.objects.get(variant=variant, warehouse=warehouse).returned == 1
    assert ledger_check() == []


def test_available_to_promise_per_channel_follows_its_warehouse_rules(
    make_variant, warehouse, second_warehouse, owner
):
    variant = make_variant(stock=0, initial_stock={warehouse.pk: 7, second_warehouse.pk: 5})
    services.channel_rule_set(
        channel="shopee", strategy="priority", warehouse_ids=[second_warehouse.pk], actor=owner
    )
    client = api_client("manager")

    shopee = client.get("/api/v1/stock", {"sku": variant.sku, "channel": "shopee"}).json()
    website = client.get("/api/v1/stock", {"sku": variant.sku, "channel": "website"}).json()
    unknown = client.get("/api/v1/stock", {"sku": variant.sku, "channel": "ebay"})

    assert shopee["available_to_promise"] == 5
    assert website["available_to_promise"] == 12
    assert shopee["available"] == 12
    assert unknown.status_code == 422
    assert "channel" in unknown.json()["error"]["fields"]
