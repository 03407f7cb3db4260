"""Findings of the shipping review: each test failed before its fix."""

import json

import pytest
from django.test import Client

from donhang.core.errors import Conflict
from donhang.inventory.models import StockLevel
from donhang.orders import services as orders
from donhang.orders.models import Status
from donhang.shipping import services
from donhang.shipping.models import Shipment, WebhookDelivery
from donhang.shipping.tests.conftest import SECRET

pytestmark = pytest.mark.django_db


def ghn_callback(**fields) -> bytes:
    body = {"Type": "switch_status", "Time": "2030-01-01T10:00:00Z", "Description": ""}
    body.update(fields)
    return json.dumps(body).encode()


def post_webhook(body: bytes) -> int:
    return (
        Client()
        .post(
            "/shipping/webhooks/ghn/",
            data=body,
            content_type="application/json",
            headers={"X-Webhook-Secret": SECRET},
        )
        .status_code
    )


def test_an_order_whose_parcel_is_with_the_carrier_cannot_be_cancelled(
    ghn_account, ghn, packed_order, staff, committed, warehouse
):
    # Given an order whose shipment the carrier has accepted (waiting for pickup)
    order = packed_order(quantity=2)
    with committed():
        shipment = services.shipment_create(order=order, account=ghn_account, actor=staff)
    shipment.refresh_from_db()
    assert shipment.tracking_code
    variant_id = order.lines.get().variant_id

    # When someone cancels the order, its stock must not be freed for other orders: the carrier
    # would pick up the parcel and the stock would never leave the ledger (oversold)
    with pytest.raises(Conflict):
        orders.order_cancel(order=order, reason="Khách đổi ý", actor=staff)

    order.refresh_from_db()
    level = StockLevel.objects.get(variant_id=variant_id, warehouse=warehouse)
    assert order.status == Status.PROCESSING
    assert level.reserved == 2

    # Once the shipment is cancelled at the carrier, the order can be cancelled
    services.shipment_cancel(shipment=shipment, actor=staff)
    orders.order_cancel(order=order, reason="Khách đổi ý", actor=staff)
    level.refresh_from_db()
    assert level.reserved == 0


def test_lines_of_an_order_with_a_shipment_at_the_carrier_cannot_be_edited(
    ghn_account, ghn, packed_order, staff, committed
):
    # Given an order sent to the carrier with COD 360,000
    order = packed_order(quantity=2, price=165_000, fee=30_000)
    with committed():
        services.shipment_create(order=order, account=ghn_account, actor=staff)
    line = order.lines.get()

    # When its lines change, the carrier would still collect the old COD
    with pytest.raises(Conflict):
        orders.order_update_lines(
            order=order,
            lines=[orders.LineInput(variant_id=line.variant_id, quantity=5)],
            actor=staff,
        )
    order.refresh_from_db()
    assert order.cod_amount == 360_000
    assert order.lines.get().quantity == 2


def test_a_callback_whose_processing_never_ran_is_processed_when_the_carrier_resends_it(
    ghn_account, ghn, packed_order, staff, committed
):
    order = packed_order()
    with committed():
        shipment = services.shipment_create(order=order, account=ghn_account, actor=staff)
    shipment.refresh_from_db()
    body = ghn_callback(
        OrderCode=shipment.tracking_code, ClientOrderCode=shipment.reference, Status="picking"
    )
    # Given a callback stored but never processed (its task was lost or failed)
    assert post_webhook(body) == 200
    assert WebhookDelivery.objects.get().processed_at is None

    # When the carrier sends it again
    with committed():
        assert post_webhook(body) == 200

    # Then it is processed this time, not dropped as a duplicate
    shipment.refresh_from_db()
    assert shipment.status == "picking"


def test_a_callback_without_tracking_number_goes_to_the_shipment_it_names(
    ghn_account, ghn, packed_order, staff, committed
):
    # Given two shipments still waiting for their tracking numbers (tasks not run yet)
    first = services.shipment_create(order=packed_order(), account=ghn_account, actor=staff)
    second = services.shipment_create(order=packed_order(), account=ghn_account, actor=staff)

    # When a callback names the first one by our reference only
    with committed():
        assert (
            post_webhook(
                ghn_callback(OrderCode="", ClientOrderCode=first.reference, Status="picking")
            )
            == 200
        )

    # Then the second shipment is untouched
    second.refresh_from_db()
    assert second.status == "pending"
    assert not second.events.exists()
    assert Shipment.objects.get(pk=first.pk).events.exists()


def test_a_callback_with_a_status_we_do_not_know_is_kept_raw(ghn_account, ghn):
    body = ghn_callback(OrderCode="GHN123", ClientOrderCode="DH000001-1", Status="new_status")

    status = post_webhook(body)

    assert status == 400
    delivery = WebhookDelivery.objects.get()
    assert delivery.body == body.decode()
    assert "new_status" in delivery.error
    assert delivery.processed_at is None
