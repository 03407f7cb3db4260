import pytest
from django.test import Client

from donhang.accounts.services import api_key_create
from donhang.inventory.models import StockLevel
from donhang.orders.models import SubState
from donhang.purchasing import services
from donhang.purchasing.models import GoodsReceipt, GoodsReceiptLine, PurchaseOrder, Supplier

pytestmark = pytest.mark.django_db


def _client(role: str) -> Client:
    _key, raw = api_key_create(name=f"key-{role}", role=role)
    return Client(headers={"Authorization": f"Bearer {raw}", "Accept-Language": "en"})


@pytest.fixture
def api(db):
    return {role: _client(role) for role in ("owner", "manager", "warehouse", "sales")}


def _post(client, path, data=None):
    return client.post(path, data or {}, content_type="application/json")


def _patch(client, path, data):
    return client.patch(path, data, content_type="application/json")


# --- suppliers -------------------------------------------------------------------------------


def test_supplier_create_get_patch_and_search(api):
    created = _post(
        api["manager"],
        "/api/v1/suppliers",
        {
            "name": "Công ty TNHH Dệt May Sài Gòn",
            "tax_code": "0301234567",
            "phone": "0283 822 1234",
            "payment_terms": "30 ngày",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["phone"] == "+842838221234" and body["phone_display"] == "028 3822 1234"

    # PATCH changes only what is sent
    patched = _patch(api["manager"], f"/api/v1/suppliers/{body['id']}", {"contact_name": "Chị Lan"})
    assert patched.status_code == 200, patched.content
    assert patched.json()["contact_name"] == "Chị Lan"
    assert patched.json()["tax_code"] == "0301234567"
    assert patched.json()["phone"] == "+842838221234"

    listing = api["warehouse"].get("/api/v1/suppliers", {"q": "det may sai gon"})
    assert [s["id"] for s in listing.json()["items"]] == [body["id"]]
    assert api["warehouse"].get(f"/api/v1/suppliers/{body['id']}").status_code == 200
    assert api["warehouse"].get("/api/v1/suppliers/999999").status_code == 404


def test_supplier_errors(api):
    bad = _post(api["manager"], "/api/v1/suppliers", {"name": "A", "tax_code": "12"})
    assert bad.status_code == 422
    assert "tax_code" in bad.json()["error"]["fields"]

    assert _post(api["warehouse"], "/api/v1/suppliers", {"name": "A"}).status_code == 403
    assert api["sales"].get("/api/v1/suppliers").status_code == 403
    assert not Supplier.objects.exists()


# --- purchase orders -------------------------------------------------------------------------


@pytest.fixture
def stock_setup(make_variant, supplier, warehouse):
    shirt = make_variant(sku="AT01", cost=80_000)
    trousers = make_variant(sku="QJ01", cost=120_000)
    services.supplier_variant_set(supplier=supplier, variant=shirt, last_purchase_price=72_000)
    return {"shirt": shirt, "trousers": trousers}


def _create_po(client, supplier, **extra):
    payload = {
        "supplier_id": supplier.pk,
        "warehouse": "HN",
        "expected_date": "2025-09-15",
        "lines": [
            {"sku": "AT01", "quantity": 10},
            {"sku": "QJ01", "quantity": 4, "unit_price": 110_000, "vat_rate": "8"},
        ],
        **extra,
    }
    return _post(client, "/api/v1/purchase-orders", payload)


def test_create_send_receive_purchase_order(api, supplier, stock_setup, warehouse, place_order):
    # Given an order waiting for 3 shirts
    waiting = place_order("AT01", 3)
    assert waiting.sub_state == SubState.AWAITING_STOCK

    # When a purchase order is created…
    created = _create_po(api["manager"], supplier)
    assert created.status_code == 201, created.content
    po = created.json()
    assert po["status"] == "draft" and po["warehouse"] == "HN"
    lines = {ln["sku"]: ln for ln in po["lines"]}
    assert lines["AT01"]["unit_price"] == 72_000  # the supplier's last price
    assert (lines["QJ01"]["unit_price"], lines["QJ01"]["vat_rate"]) == (110_000, "8")
    assert po["goods_total"] == 720_000 + 440_000
    assert po["vat_total"] == 72_000 + 35_200

    # …sent by a manager…
    sent = _post(api["manager"], f"/api/v1/purchase-orders/{po['code']}/send")
    assert sent.status_code == 200 and sent.json()["status"] == "sent"

    # …and partly received by the warehouse, who does not see (or set) unit costs: the receipt
    # keeps the purchase order's price
    received = _post(
        api["warehouse"],
        f"/api/v1/purchase-orders/{po['code']}/receipts",
        {"lines": [{"sku": "AT01", "quantity": 6}]},
    )
    assert received.status_code == 201, received.content
    body = received.json()
    assert body["purchase_order_status"] == "partially_received"
    assert body["receipt"]["purchase_order"] == po["code"]
    assert body["receipt"]["warehouse"] == "HN"
    assert body["receipt"]["lines"] == [{"sku": "AT01", "quantity": 6, "unit_cost": None}]
    assert GoodsReceiptLine.objects.get(receipt__code=body["receipt"]["code"]).unit_cost == 72_000
    assert StockLevel.objects.get(variant=stock_setup["shirt"], warehouse=warehouse).on_hand == 6
    waiting.refresh_from_db()
    assert waiting.sub_state == SubState.PACKING

    detail = api["warehouse"].get(f"/api/v1/purchase-orders/{po['code']}").json()
    assert {ln["sku"]: ln["remaining"] for ln in detail["lines"]} == {"AT01": 4, "QJ01": 4}
    assert [r["code"] for r in detail["receipts"]] == [body["receipt"]["code"]]

    # The rest arrives in one go
    rest = _post(
        api["warehouse"],
        f"/api/v1/purchase-orders/{po['code'].lower()}/receipts",
        {"lines": [{"sku": "AT01", "quantity": 4}, {"sku": "QJ01", "quantity": 4}]},
    )
    assert rest.status_code == 201 and rest.json()["purchase_order_status"] == "received"


def test_purchase_order_validation_is_422_with_fields(api, supplier, stock_setup):
    unknown_sku = _post(
        api["manager"],
        "/api/v1/purchase-orders",
        {"supplier_id": supplier.pk, "warehouse": "HN", "lines": [{"sku": "NOPE", "quantity": 1}]},
    )
    assert unknown_sku.status_code == 422
    assert "lines.0.sku" in unknown_sku.json()["error"]["fields"]

    zero = _post(
        api["manager"],
        "/api/v1/purchase-orders",
        {"supplier_id": supplier.pk, "warehouse": "HN", "lines": [{"sku": "AT01", "quantity": 0}]},
    )
    assert zero.status_code == 422
    assert "lines.0.quantity" in zero.json()["error"]["fields"]

    no_lines = _post(
        api["manager"],
        "/api/v1/purchase-orders",
        {"supplier_id": supplier.pk, "warehouse": "HN", "lines": []},
    )
    assert no_lines.status_code == 422

    bad_warehouse = _create_po(api["manager"], supplier, warehouse="XX")
    assert bad_warehouse.status_code == 422
    assert "warehouse" in bad_warehouse.json()["error"]["fields"]

    bad_supplier = _post(
        api["manager"],
        "/api/v1/purchase-orders",
        {"supplier_id": 999999, "warehouse": "HN", "lines": [{"sku": "AT01", "quantity": 1}]},
    )
    assert bad_supplier.status_code == 422
    assert "supplier_id" in bad_supplier.json()["error"]["fields"]
    assert not PurchaseOrder.objects.exists()


def test_permissions_are_403(api, supplier, stock_setup):
    assert _create_po(api["warehouse"], supplier).status_code == 403
    assert api["sales"].get("/api/v1/purchase-orders").status_code == 403
    code = _create_po(api["manager"], supplier).json()["code"]

    # warehouse staff may not send or cancel; the draft stays a draft
    assert _post(api["warehouse"], f"/api/v1/purchase-orders/{code}/send").status_code == 403
    assert _post(api["warehouse"], f"/api/v1/purchase-orders/{code}/cancel").status_code == 403
    assert PurchaseOrder.objects.get(code=code).status == "draft"
    # sales may not receive goods
    _post(api["manager"], f"/api/v1/purchase-orders/{code}/send")
    refused = _post(
        api["sales"],
        f"/api/v1/purchase-orders/{code}/receipts",
        {"lines": [{"sku": "AT01", "quantity": 1}]},
    )
    assert refused.status_code == 403
    assert not GoodsReceipt.objects.exists()


def test_transitions_are_409(api, supplier, stock_setup):
    code = _create_po(api["manager"], supplier).json()["code"]

    # a draft cannot be received
    draft_receipt = _post(
        api["warehouse"],
        f"/api/v1/purchase-orders/{code}/receipts",
        {"lines": [{"sku": "AT01", "quantity": 1}]},
    )
    assert draft_receipt.status_code == 409
    assert draft_receipt.json()["error"]["code"] == "transition_not_allowed"

    assert _post(api["manager"], f"/api/v1/purchase-orders/{code}/send").status_code == 200
    again = _post(api["manager"], f"/api/v1/purchase-orders/{code}/send")
    assert again.status_code == 409

    # more than ordered needs allow_over_receipt
    over = _post(
        api["warehouse"],
        f"/api/v1/purchase-orders/{code}/receipts",
        {"lines": [{"sku": "AT01", "quantity": 7}, {"sku": "AT01", "quantity": 5}]},
    )
    assert over.status_code == 409
    assert over.json()["error"]["code"] == "over_receipt"
    assert "allow_over_receipt" in over.json()["error"]["fields"]
    accepted = _post(
        api["warehouse"],
        f"/api/v1/purchase-orders/{code}/receipts",
        {"lines": [{"sku": "AT01", "quantity": 12}], "allow_over_receipt": True},
    )
    assert accepted.status_code == 201

    # goods were received: it cannot be cancelled any more
    cancel = _post(api["owner"], f"/api/v1/purchase-orders/{code}/cancel", {"reason": "x"})
    assert cancel.status_code == 409


def test_receipt_line_not_on_the_order_is_422(api, supplier, stock_setup, make_variant):
    make_variant(sku="MU01")
    code = _create_po(api["manager"], supplier).json()["code"]
    _post(api["manager"], f"/api/v1/purchase-orders/{code}/send")

    response = _post(
        api["warehouse"],
        f"/api/v1/purchase-orders/{code}/receipts",
        {"lines": [{"sku": "AT01", "quantity": 1}, {"sku": "MU01", "quantity": 1}]},
    )

    assert response.status_code == 422
    assert response.json()["error"]["fields"].keys() == {"lines.1.sku"}


def test_cancel_and_list_with_status_filter(api, supplier, stock_setup):
    first = _create_po(api["manager"], supplier).json()["code"]
    second = _create_po(api["manager"], supplier).json()["code"]
    cancelled = _post(api["manager"], f"/api/v1/purchase-orders/{first}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"

    drafts = api["warehouse"].get("/api/v1/purchase-orders", {"status": "draft"}).json()
    assert [po["code"] for po in drafts["items"]] == [second]
    everything = api["warehouse"].get("/api/v1/purchase-orders", {"limit": 1, "offset": 1})
    assert everything.json()["count"] == 2
    assert [po["code"] for po in everything.json()["items"]] == [first]
    bad = api["warehouse"].get("/api/v1/purchase-orders", {"status": "shipped"})
    assert bad.status_code == 422
    assert api["warehouse"].get("/api/v1/purchase-orders/PO999999").status_code == 404


def test_suggestions_endpoint(api, supplier, stock_setup, place_order):
    services.supplier_variant_set(
        supplier=supplier, variant=stock_setup["shirt"], is_preferred=True
    )
    place_order("AT01", 5)

    response = api["manager"].get("/api/v1/purchase-orders/suggestions")

    assert response.status_code == 200
    (row,) = response.json()
    assert (row["sku"], row["supplier_id"], row["short"], row["quantity"]) == (
        "AT01",
        supplier.pk,
        5,
        5,
    )
    assert row["unit_price"] == 72_000
    assert api["sales"].get("/api/v1/purchase-orders/suggestions").status_code == 403


def test_openapi_documents_the_purchasing_paths(api):
    schema = api["owner"].get("/api/v1/openapi.json").json()
    for path in [
        "/api/v1/suppliers",
        "/api/v1/suppliers/{supplier_id}",
        "/api/v1/purchase-orders",
        "/api/v1/purchase-orders/suggestions",
        "/api/v1/purchase-orders/{code}",
        "/api/v1/purchase-orders/{code}/send",
        "/api/v1/purchase-orders/{code}/cancel",
        "/api/v1/purchase-orders/{code}/receipts",
    ]:
        assert path in schema["paths"], path
