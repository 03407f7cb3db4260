"""/api/v1/transfers and /api/v1/stocktakes."""

import pytest

from donhang.inventory.models import StockMovement, Stocktake, Transfer, Warehouse
from donhang.inventory.tests.documents_support import make_variant, on_hand

pytestmark = pytest.mark.django_db


@pytest.fixture
def hn(db):
    return Warehouse.objects.create(code="HN", name="Kho Hà Nội", priority=1)


@pytest.fixture
def hcm(db):
    return Warehouse.objects.create(code="HCM", name="Kho TP.HCM", priority=2)


@pytest.fixture
def call(client, api_as):
    def request(method, path, role, body=None):
        headers = api_as(role)
        if method == "get":
            return client.get(f"/api/v1{path}", body or {}, headers=headers)
        return client.post(
            f"/api/v1{path}", body or {}, content_type="application/json", headers=headers
        )

    return request


NEW_TRANSFER = {
    "source": "hn",
    "destination": "HCM",
    "lines": [{"sku": "AO-1", "quantity": 3}, {"sku": "QUAN-1", "quantity": 2}],
    "note": "Xe 29C",
}


def test_transfer_create_send_receive_with_a_discrepancy(call, hn, hcm):
    shirt = make_variant("AO-1", stock={hn.pk: 10})
    trousers = make_variant("QUAN-1", stock={hn.pk: 5})

    created = call("post", "/transfers", "warehouse", NEW_TRANSFER)
    assert created.status_code == 201, created.content
    body = created.json()
    code = body["code"]
    assert (body["status"], body["source"], body["destination"]) == ("draft", "HN", "HCM")
    assert [(ln["sku"], ln["quantity"], ln["received"]) for ln in body["lines"]] == [
        ("AO-1", 3, None),
        ("QUAN-1", 2, None),
    ]

    sent = call("post", f"/transfers/{code}/send", "warehouse")
    assert sent.status_code == 200
    assert sent.json()["status"] == "in_transit"
    assert on_hand(shirt, hn) == 7

    # One shirt short and no note: 422 naming the note.
    short = {"lines": [{"sku": "ao-1", "received": 2}]}
    refused = call("post", f"/transfers/{code}/receive", "warehouse", short)
    assert refused.status_code == 422
    assert "discrepancy_note" in refused.json()["error"]["fields"]

    received = call(
        "post",
        f"/transfers/{code}/receive",
        "warehouse",
        {**short, "discrepancy_note": "Thiếu 1 áo"},
    )
    assert received.status_code == 200, received.content
    body = received.json()
    assert body["status"] == "received"
    assert body["discrepancy_note"] == "Thiếu 1 áo"
    assert [(ln["sku"], ln["received"], ln["discrepancy"]) for ln in body["lines"]] == [
        ("AO-1", 2, -1),
        ("QUAN-1", 2, 0),
    ]
    assert (on_hand(shirt, hcm), on_hand(trousers, hcm)) == (2, 2)

    got = call("get", f"/transfers/{code.lower()}", "accountant")
    assert got.status_code == 200
    assert got.json()["received_at"] is not None
    listing = call("get", "/transfers", "accountant", {"status": "received"})
    assert [t["code"] for t in listing.json()["items"]] == [code]
    assert listing.json()["items"][0]["units"] == 5


def test_transfer_errors(call, hn, hcm):
    make_variant("AO-1", stock={hn.pk: 10})
    make_variant("QUAN-1", stock={hn.pk: 1})

    # 403: sales may not move stock.
    assert call("post", "/transfers", "sales", NEW_TRANSFER).status_code == 403
    assert call("get", "/transfers", "sales").status_code == 403
    # 422: unknown warehouse, unknown SKU, same warehouse twice.
    unknown_wh = call("post", "/transfers", "manager", {**NEW_TRANSFER, "destination": "XX"})
    assert unknown_wh.status_code == 422
    assert "destination" in unknown_wh.json()["error"]["fields"]
    unknown_sku = call(
        "post", "/transfers", "manager", {**NEW_TRANSFER, "lines": [{"sku": "NOPE", "quantity": 1}]}
    )
    assert unknown_sku.status_code == 422
    assert "lines.0.sku" in unknown_sku.json()["error"]["fields"]
    assert (
        call("post", "/transfers", "manager", {**NEW_TRANSFER, "destination": "HN"}).status_code
        == 422
    )
    assert call("post", "/transfers", "manager", {**NEW_TRANSFER, "lines": []}).status_code == 422
    # 404: unknown transfer.
    assert call("get", "/transfers/TR999999", "manager").status_code == 404

    code = call("post", "/transfers", "manager", NEW_TRANSFER).json()["code"]
    # 409: the source lacks stock (QUAN-1: 1 < 2); nothing leaves.
    short = call("post", f"/transfers/{code}/send", "manager")
    assert short.status_code == 409
    assert short.json()["error"]["code"] == "insufficient_stock"
    # 409: receiving a draft; 422: a SKU that is not on the transfer.
    assert call("post", f"/transfers/{code}/receive", "manager", {}).status_code == 409
    Transfer.objects.filter(code=code).update(status="in_transit")
    stranger = call(
        "post", f"/transfers/{code}/receive", "manager", {"lines": [{"sku": "X", "received": 1}]}
    )
    assert stranger.status_code == 422
    assert "lines.0.sku" in stranger.json()["error"]["fields"]
    # 409: sending what is in transit already.
    assert call("post", f"/transfers/{code}/send", "manager").status_code == 409


def test_stocktake_create_count_post_and_post_again(call, hn):
    shirt = make_variant("AO-1", stock={hn.pk: 10}, cost=50000)
    trousers = make_variant("QUAN-1", stock={hn.pk: 5})
    trousers.barcode = "8931234567890"
    trousers.save(update_fields=["barcode"])

    created = call("post", "/stocktakes", "warehouse", {"warehouse": "hn"})
    assert created.status_code == 201, created.content
    body = created.json()
    code = body["code"]
    assert (body["status"], body["warehouse"], body["line_count"]) == ("counting", "HN", 2)
    assert [(ln["sku"], ln["expected"], ln["counted"]) for ln in body["lines"]] == [
        ("AO-1", 10, None),
        ("QUAN-1", 5, None),
    ]
    # A second count of the same warehouse: 409.
    assert call("post", "/stocktakes", "warehouse", {"warehouse": "HN"}).status_code == 409

    counts = {"counts": [{"sku": "AO-1", "counted": 8}, {"sku": "8931234567890", "counted": 5}]}
    counted = call("post", f"/stocktakes/{code}/counts", "warehouse", counts)
    assert counted.status_code == 200, counted.content
    body = counted.json()
    assert (body["counted_count"], body["variance_count"]) == (2, 1)
    assert [(ln["sku"], ln["variance"]) for ln in body["lines"]] == [("AO-1", -2), ("QUAN-1", 0)]

    # Warehouse staff count but do not post.
    assert call("post", f"/stocktakes/{code}/post", "warehouse").status_code == 403
    posted = call("post", f"/stocktakes/{code}/post", "manager")
    assert posted.status_code == 200
    assert posted.json()["status"] == "posted"
    assert on_hand(shirt, hn) == 8
    again = call("post", f"/stocktakes/{code}/post", "manager")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "stocktake_closed"
    assert StockMovement.objects.filter(kind="stocktake").count() == 1
    # Counting a posted stocktake: 409.
    assert call("post", f"/stocktakes/{code}/counts", "warehouse", counts).status_code == 409

    listing = call("get", "/stocktakes", "accountant", {"warehouse": "HN", "status": "posted"})
    assert [s["code"] for s in listing.json()["items"]] == [code]
    assert call("get", f"/stocktakes/{code}", "accountant").json()["posted_at"] is not None


def test_stocktake_errors(call, hn):
    make_variant("AO-1", stock={hn.pk: 10})

    assert call("post", "/stocktakes", "sales", {"warehouse": "HN"}).status_code == 403
    assert call("get", "/stocktakes", "sales").status_code == 403
    assert call("post", "/stocktakes", "manager", {"warehouse": "XX"}).status_code == 422
    assert (
        call("post", "/stocktakes", "manager", {"warehouse": "HN", "category": 999}).status_code
        == 422
    )
    assert call("get", "/stocktakes/ST999999", "manager").status_code == 404

    code = call("post", "/stocktakes", "manager", {"warehouse": "HN"}).json()["code"]
    unknown = call(
        "post",
        f"/stocktakes/{code}/counts",
        "manager",
        {"counts": [{"sku": "AO-1", "counted": 3}, {"sku": "NOPE", "counted": 1}]},
    )
    assert unknown.status_code == 422
    assert "counts.1.sku" in unknown.json()["error"]["fields"]
    negative = call(
        "post",
        f"/stocktakes/{code}/counts",
        "manager",
        {"counts": [{"sku": "AO-1", "counted": -1}]},
    )
    assert negative.status_code == 422
    assert not Stocktake.objects.get().lines.filter(counted__isnull=False).exists()
