"""The returns API: open, list, read, receive, inspect, refund; errors in the one format."""

import json

from django.test import Client

from donhang.orders.models import Order
from donhang.returns import services
from donhang.returns.models import Return
from donhang.returns.tests.conftest import assert_no_drift, level


def post(client, path, body):
    return client.post(path, data=json.dumps(body), content_type="application/json")


def test_the_whole_flow_through_the_api(make_variant, make_order, warehouse, api):
    variant = make_variant(price=100_000, stock=10)
    order = make_order((variant, 3), shipping_fee=0)
    website = api("sales")  # the shop's website, asking for its customer

    created = post(
        website,
        f"/api/v1/orders/{order.code}/returns",
        {
            "lines": [{"sku": variant.sku, "quantity": 2, "reason": "wrong_size"}],
            "source": "customer",
            "note": "Khách gửi lại qua bưu điện",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["state"] == "requested" and body["source"] == "customer"
    assert body["lines"][0]["quantity"] == 2 and body["refund_default"] == 200_000
    return_id = body["id"]

    assert website.get("/api/v1/returns").json()["count"] == 1
    listed = website.get(f"/api/v1/returns?order={order.code}&state=requested").json()
    assert [r["code"] for r in listed["items"]] == [body["code"]]
    assert website.get(f"/api/v1/returns/{return_id}").json()["code"] == body["code"]

    # sales may not receive; the warehouse does
    refused = post(website, f"/api/v1/returns/{return_id}/receive", {"warehouse": "HN"})
    assert refused.status_code == 403
    store = api("warehouse")
    received = post(store, f"/api/v1/returns/{return_id}/receive", {"warehouse": "hn"})
    assert received.status_code == 200 and received.json()["state"] == "received"
    assert level(variant, warehouse).returned == 2

    line_id = received.json()["lines"][0]["id"]
    incomplete = post(
        store, f"/api/v1/returns/{return_id}/inspect", {"lines": [{"line_id": line_id, "good": 1}]}
    )
    assert incomplete.status_code == 422
    assert incomplete.json()["error"]["fields"]
    inspected = post(
        store,
        f"/api/v1/returns/{return_id}/inspect",
        {"lines": [{"line_id": line_id, "good": 1, "damaged": 1, "note": "Bẩn, có vết ố"}]},
    )
    assert inspected.status_code == 200
    assert inspected.json()["lines"][0]["damaged"] == 1
    assert level(variant, warehouse).on_hand == 8
    assert Order.objects.get(pk=order.pk).return_state == "partial"
    shown = store.get(f"/api/v1/orders/{order.code}").json()
    assert (shown["return_state"], shown["returned_quantity"]) == ("partial", 2)

    accountant = api("accountant")
    too_much = post(
        accountant, f"/api/v1/returns/{return_id}/refund", {"method": "cash", "amount": 400_000}
    )
    assert too_much.status_code == 409
    assert too_much.json()["error"]["code"] == "refund_exceeds_paid"
    assert "300.000" in too_much.json()["error"]["message"]
    refunded = post(
        accountant,
        f"/api/v1/returns/{return_id}/refund",
        {"method": "bank_transfer", "bank_bin": "970436", "bank_account": "1023456789"},
    )
    assert refunded.status_code == 201
    refund = refunded.json()["refunds"][0]
    assert refund["amount"] == 200_000 and refund["status"] == "pending"
    assert refund["vietqr"].startswith("000201010212") and "970436" in refund["vietqr"]
    assert_no_drift()


def test_bad_requests_are_clear(make_order, api):
    order = make_order()
    client = api("manager")
    unknown = post(client, "/api/v1/orders/DH999999/returns", {"lines": [{"quantity": 1}]})
    assert unknown.status_code == 404
    marketplace = post(
        client,
        f"/api/v1/orders/{order.code}/returns",
        {"lines": [{"sku": order.lines.get().sku, "quantity": 1}], "source": "marketplace"},
    )
    assert marketplace.status_code == 422 and "source" in marketplace.json()["error"]["fields"]
    too_many = post(
        client,
        f"/api/v1/orders/{order.code}/returns",
        {"lines": [{"sku": order.lines.get().sku, "quantity": 9}]},
    )
    assert too_many.status_code == 422
    assert "lines.0.quantity" in too_many.json()["error"]["fields"]
    assert client.get("/api/v1/returns/123456").status_code == 404
    assert client.get(f"/api/v1/returns/{2**70}").status_code in (404, 422)
    assert Return.objects.count() == 0
    anonymous = post(
        Client(),
        f"/api/v1/orders/{order.code}/returns",
        {"lines": []},
    )
    assert anonymous.status_code == 401


def test_the_list_takes_a_bounded_number_of_queries(
    make_variant, make_order, api, users, django_assert_max_num_queries
):
    for _ in range(6):
        order = make_order((make_variant(), 2), shipping_fee=0)
        goods_return = services.return_create(
            order=order,
            lines=[services.ReturnLineInput(order_line_id=order.lines.get().pk, quantity=1)],
            actor=users["manager"],
        )
        services.refund_create(
            goods_return=goods_return,
            method="bank_transfer",
            bank_bin="970436",
            bank_account="1023456789",
            actor=users["accountant"],
        )
    client = api("manager")
    with django_assert_max_num_queries(12):
        page = client.get("/api/v1/returns?limit=50")
    assert page.status_code == 200 and page.json()["count"] == 6
    assert all(item["refunds"][0]["vietqr"] for item in page.json()["items"])
