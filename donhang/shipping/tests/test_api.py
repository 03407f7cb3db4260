"""Shipping API against the carrier emulators."""

import pytest
from django.test import Client

from donhang.accounts.services import api_key_create
from donhang.orders.models import Status
from donhang.shipping.models import Shipment

pytestmark = pytest.mark.django_db


def _client(role: str) -> Client:
    _key, raw = api_key_create(name=f"key-{role}", role=role)
    return Client(headers={"Authorization": f"Bearer {raw}", "Accept-Language": "en"})


@pytest.fixture
def api(db):
    return {role: _client(role) for role in ("owner", "manager", "sales", "accountant")}


def _post(client, path, data=None):
    return client.post(path, data or {}, content_type="application/json")


def test_quotes_from_both_carriers(api, ghn_account, vtp_account, packed_order):
    order = packed_order(quantity=2, price=165_000, fee=30_000)

    response = api["manager"].get(f"/api/v1/orders/{order.code}/shipping-quotes")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["draft"]["cod_amount"] == 360_000
    carriers = {c["carrier"]: c for c in body["carriers"]}
    assert set(carriers) == {"ghn", "viettelpost"}
    assert all(c["quotes"] and not c["error"] for c in carriers.values())
    assert carriers["ghn"]["quotes"][0]["fee"] > 0
    assert api["sales"].get(f"/api/v1/orders/{order.code}/shipping-quotes").status_code == 403
    assert api["manager"].get("/api/v1/orders/DH999999/shipping-quotes").status_code == 404


def test_create_get_list_and_cancel(api, ghn_account, ghn, packed_order, committed):
    order = packed_order(quantity=2, price=165_000, fee=30_000)

    with committed():
        created = _post(
            api["manager"],
            f"/api/v1/orders/{order.code}/shipments",
            {
                "carrier_account_id": ghn_account.pk,
                "inspection": "try",
                "note": "Giao giờ hành chính",
            },
        )

    assert created.status_code == 202, created.content
    body = created.json()
    assert body["cod_amount"] == 360_000 and body["inspection"] == "try"
    assert body["send_state"] == "sending" and body["tracking_code"] == ""
    shipment_id = body["id"]

    got = api["sales"].get(f"/api/v1/shipments/{shipment_id}").json()
    assert got["send_state"] == "created" and got["tracking_code"]
    assert got["tracking_url"].endswith(got["tracking_code"])
    assert [e["status"] for e in got["events"]] == ["ready_to_pick"]

    listing = api["sales"].get("/api/v1/shipments", {"carrier_account_id": ghn_account.pk})
    assert [s["id"] for s in listing.json()["items"]] == [shipment_id]
    assert api["sales"].get("/api/v1/shipments", {"status": "delivered"}).json()["count"] == 0
    assert api["sales"].get("/api/v1/shipments", {"order": order.code}).json()["count"] == 1

    # a second shipment while one is open: 409
    again = _post(
        api["manager"],
        f"/api/v1/orders/{order.code}/shipments",
        {"carrier_account_id": ghn_account.pk},
    )
    assert again.status_code == 409

    with committed():
        cancelled = _post(api["manager"], f"/api/v1/shipments/{shipment_id}/cancel")
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["status"] == "cancelled"
    # cancelled twice: no longer allowed
    assert _post(api["manager"], f"/api/v1/shipments/{shipment_id}/cancel").status_code == 409


def test_create_errors(api, ghn_account, packed_order):
    order = packed_order()
    path = f"/api/v1/orders/{order.code}/shipments"

    assert _post(api["sales"], path, {"carrier_account_id": ghn_account.pk}).status_code == 403
    unknown = _post(api["manager"], path, {"carrier_account_id": 99999})
    assert unknown.status_code == 422
    assert "carrier_account_id" in unknown.json()["error"]["fields"]
    bad = _post(api["manager"], path, {"carrier_account_id": ghn_account.pk, "weight_g": 0})
    assert bad.status_code == 422
    bad_inspection = _post(
        api["manager"], path, {"carrier_account_id": ghn_account.pk, "inspection": "open"}
    )
    assert bad_inspection.status_code == 422
    assert "inspection" in bad_inspection.json()["error"]["fields"]
    assert (
        _post(
            api["manager"], "/api/v1/orders/DH999999/shipments", {"carrier_account_id": 1}
        ).status_code
        == 404
    )
    assert api["manager"].get("/api/v1/shipments/99999").status_code == 404
    assert api["manager"].get("/api/v1/shipments", {"status": "flying"}).status_code == 422
    assert not Shipment.objects.exists()


def test_new_order_cannot_be_shipped(api, ghn_account, packed_order):
    order = packed_order()
    from donhang.orders import services as orders

    orders.order_cancel(order=order, reason="Khách đổi ý")

    response = _post(
        api["manager"],
        f"/api/v1/orders/{order.code}/shipments",
        {"carrier_account_id": ghn_account.pk},
    )

    assert response.status_code == 409


def test_cod_outstanding_and_payout(api, ghn_account, ghn, packed_order, committed):
    order = packed_order(quantity=2, price=165_000, fee=30_000)
    with committed():
        body = _post(
            api["manager"],
            f"/api/v1/orders/{order.code}/shipments",
            {"carrier_account_id": ghn_account.pk},
        ).json()
    shipment = Shipment.objects.get(pk=body["id"])
    with committed():
        ghn.advance(shipment.tracking_code, "delivered")
        ghn.pump(flush=True)

    outstanding = api["accountant"].get("/api/v1/cod/outstanding").json()
    assert outstanding["total"] == 360_000
    assert outstanding["carriers"][0]["carrier_account_id"] == ghn_account.pk
    assert api["sales"].get("/api/v1/cod/outstanding").status_code == 403

    payload = {
        "carrier_account_id": ghn_account.pk,
        "paid_at": "2026-03-02",
        "reference": "BK-7",
        "lines": [
            {"tracking_code": shipment.tracking_code, "cod_amount": 360_000},
            {"tracking_code": "NOPE1", "cod_amount": 1_000},
        ],
    }
    assert _post(api["sales"], "/api/v1/cod/payouts", payload).status_code == 403
    recorded = _post(api["accountant"], "/api/v1/cod/payouts", payload)

    assert recorded.status_code == 201, recorded.content
    lines = {ln["tracking_code"]: ln for ln in recorded.json()["lines"]}
    assert lines[shipment.tracking_code]["problem"] == ""
    assert lines[shipment.tracking_code]["order"] == order.code
    assert lines["NOPE1"]["shipment_id"] is None and lines["NOPE1"]["problem"]
    order.refresh_from_db()
    assert order.status == Status.COMPLETED
    assert api["accountant"].get("/api/v1/cod/outstanding").json()["total"] == 0
    # the same statement again: 409; no lines: 422
    assert _post(api["accountant"], "/api/v1/cod/payouts", payload).status_code == 409
    empty = {**payload, "reference": "BK-8", "lines": []}
    assert _post(api["accountant"], "/api/v1/cod/payouts", empty).status_code == 422


def test_unauthenticated_is_401(db):
    assert Client().get("/api/v1/shipments").status_code == 401
