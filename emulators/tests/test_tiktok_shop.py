"""TikTok Shop emulator: signatures (reference worked examples), OAuth, products, orders, push."""

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from emulators.common import Clock
from emulators.tests.helpers import Recorder, pdf_text
from emulators.tiktok_shop import TiktokShopEmulator, signing

PUSH_URL = "https://seller.example/marketplaces/webhooks/tiktok_shop/"
REDIRECT = "https://seller.example/marketplaces/oauth/tiktok_shop/callback/"


class FakeTime:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class Tiktok:
    """A minimal TikTok Shop client written from the reference."""

    def __init__(self, emu: TiktokShopEmulator, *, secret=None):
        self.emu = emu
        self.secret = secret or emu.app_secret
        self.http = httpx.Client(
            transport=httpx.WSGITransport(app=emu.wsgi_app),
            base_url="https://open-api.tiktokglobalshop.com",
        )
        self.access_token = None
        self.refresh_token = None
        self.cipher = None

    def call(self, method, path, params=(), body=None, *, cipher=True, timestamp=None):
        raw = json.dumps(body).encode() if body is not None else b""
        query = signing.signed_query(
            self.emu.app_key,
            self.secret,
            path,
            params,
            timestamp=self.emu.clock.timestamp() if timestamp is None else timestamp,
            body=raw,
            shop_cipher=self.cipher if cipher else None,
        )
        headers = {"x-tts-access-token": self.access_token or ""}
        if body is not None:
            headers["content-type"] = "application/json"
        return self.http.request(method, path, params=query, content=raw or None, headers=headers)

    def ok(self, method, path, params=(), body=None, **kw):
        r = self.call(method, path, params, body, **kw)
        assert r.status_code == 200, r.text
        answer = r.json()
        assert answer["code"] == 0, answer
        return answer["data"]

    def token(self, endpoint, **params):
        query = {"app_key": self.emu.app_key, "app_secret": self.secret, **params}
        return self.http.get(f"/api/v2/token/{endpoint}", params=query).json()

    def connect(self):
        r = self.http.get(
            "/open/authorize", params={"service_id": self.emu.service_id, "state": "s1"}
        )
        assert r.status_code == 302
        back = parse_qs(urlsplit(r.headers["location"]).query)
        assert back["state"] == ["s1"]
        answer = self.token("get", auth_code=back["code"][0], grant_type="authorized_code")
        assert answer["code"] == 0, answer
        self.access_token = answer["data"]["access_token"]
        self.refresh_token = answer["data"]["refresh_token"]
        shops = self.ok("GET", "/authorization/202309/shops", cipher=False)["shops"]
        self.cipher = shops[0]["cipher"]
        return answer["data"], back["code"][0]


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def fake_time():
    return FakeTime()


@pytest.fixture
def emu(recorder, fake_time):
    e = TiktokShopEmulator(
        push_url=PUSH_URL, push_target=recorder, rate_time=fake_time, redirect_url=REDIRECT
    )
    e.seed_products(
        None,
        [
            {"name": "Áo thun trắng", "sku": "AO-TRANG", "price": 150000, "stock": 20},
            {
                "name": "Quần jean",
                "tiers": [{"name": "Size", "options": ["S", "M"]}],
                "variants": [
                    {"sku": "QJ-S", "price": 300000, "stock": 5, "options": ["S"]},
                    {"sku": "QJ-M", "price": 320000, "stock": 7, "options": ["M"]},
                ],
            },
        ],
    )
    return e


@pytest.fixture
def client(emu):
    c = Tiktok(emu)
    c.connect()
    return c


# --------------------------------------------------------------------------- signatures


def test_reference_worked_examples():
    # §4 #2 (EcomPHP tests): GET /test-api, foo=bar, no body
    assert signing.string_to_sign("app_secret", "/test-api", [("foo", "bar")]) == (
        "app_secret/test-apifoobarapp_secret"
    )
    assert (
        signing.sign("app_secret", "/test-api", [("foo", "bar")])
        == "d3cb7fe11ecae942802ceeca67e7cf10120cc12f1517d45fbc1c8cfe5413c80f"
    )
    # §4 #7: the documentation's walkthrough
    query = [("app_key", "123456"), ("timestamp", "1234567890")]
    assert signing.string_to_sign("abc000def111", "/authorization/202309/shops", query) == (
        "abc000def111/authorization/202309/shopsapp_key123456timestamp1234567890abc000def111"
    )
    assert (
        signing.sign("abc000def111", "/authorization/202309/shops", query)
        == "c8767e4fd7a1b48a0ce3fd23197f058159ce11b53f1ae1ad6d1ec931a1da5540"
    )
    # access_token and sign never take part; repeated keys keep their order
    assert signing.string_to_sign(
        "s", "/p", [("ids", "b"), ("access_token", "t"), ("ids", "a"), ("sign", "x")]
    ) == ("s/pidsbidsas")
    # §4 #8: webhook
    body = (
        b'{"type":1,"shop_id":"7494726673780148744","timestamp":1664095733,"data":'
        b'{"order_id":"576684019603311365","order_status":"AWAITING_SHIPMENT","update_time":1664095610}}'
    )
    assert (
        signing.webhook_signature("fake_app_key", "fake_app_secret", body)
        == "21109834de72ec53c9959716d8514ae388ce1f123e5ffdcafc46713fcdf62b27"
    )


def test_emulator_accepts_the_documented_walkthrough_call():
    clock = Clock(datetime.fromtimestamp(1234567890, UTC))
    emu = TiktokShopEmulator(
        app_key="123456", app_secret="abc000def111", clock=clock, accept_wall_time=False
    )
    pair = emu.tokens.issue(emu.shops[emu.default_shop_id()]["seller_id"], clock.timestamp())
    http = httpx.Client(transport=httpx.WSGITransport(app=emu.wsgi_app), base_url="https://x")
    url = (
        "/authorization/202309/shops?app_key=123456&timestamp=1234567890"
        "&sign=c8767e4fd7a1b48a0ce3fd23197f058159ce11b53f1ae1ad6d1ec931a1da5540"
    )
    answer = http.get(url, headers={"x-tts-access-token": pair.access_token}).json()
    assert answer["code"] == 0 and answer["data"]["shops"][0]["id"] == "7494000000000000001"
    bad = http.get(url[:-1] + "1", headers={"x-tts-access-token": pair.access_token})
    assert bad.status_code == 401 and bad.json()["code"] == 106001


def test_wrong_secret_case_body_timestamp_token_and_cipher_refused(emu, client):
    wrong = Tiktok(emu, secret="not-the-secret")
    wrong.access_token, wrong.cipher = client.access_token, client.cipher
    r = wrong.call("GET", "/logistics/202309/warehouses")
    assert r.status_code == 401 and r.json()["code"] == 106001
    # the body is signed: change it after signing
    path = "/product/202309/products/search"
    body = json.dumps({"status": "ALL"}).encode()
    query = signing.signed_query(
        emu.app_key,
        emu.app_secret,
        path,
        {"page_size": 10},
        timestamp=emu.clock.timestamp(),
        body=body,
        shop_cipher=client.cipher,
    )
    r = client.http.post(
        path,
        params=query,
        content=b'{"status":"ACTIVATE"}',
        headers={"x-tts-access-token": client.access_token, "content-type": "application/json"},
    )
    assert r.json()["code"] == 106001
    upper = [(k, v.upper() if k == "sign" else v) for k, v in query]
    r = client.http.post(
        path,
        params=upper,
        content=body,
        headers={"x-tts-access-token": client.access_token, "content-type": "application/json"},
    )
    assert r.json()["code"] == 106001  # lower-case hex only
    stale = client.call(
        "GET", "/logistics/202309/warehouses", timestamp=emu.clock.timestamp() - 301
    )
    assert stale.status_code == 401 and stale.json()["code"] == 36009004
    no_cipher = client.call("GET", "/logistics/202309/warehouses", cipher=False)
    assert no_cipher.json()["code"] == 106013
    client.access_token = "ROW_nope"
    assert client.call("GET", "/logistics/202309/warehouses").json()["code"] == 36009004


# --------------------------------------------------------------------------- OAuth


def test_oauth_flow_and_token_refresh(emu):
    c = Tiktok(emu)
    data, code = c.connect()
    now = emu.clock.timestamp()
    assert data["access_token_expire_in"] == now + 7 * 86400
    assert data["seller_base_region"] == "VN" and data["open_id"]
    assert c.token("get", auth_code=code, grant_type="authorized_code")["code"] != 0
    c.secret = "wrong"
    assert c.token("get", auth_code="x", grant_type="authorized_code")["code"] == 36009004
    c.secret = emu.app_secret
    emu.clock.advance(7 * 86400)
    expired = c.call("GET", "/logistics/202309/warehouses")
    assert expired.status_code == 401 and expired.json()["code"] == 105002
    renewed = c.token("refresh", refresh_token=c.refresh_token, grant_type="refresh_token")
    assert renewed["code"] == 0 and renewed["data"]["refresh_token"] == c.refresh_token
    c.access_token = renewed["data"]["access_token"]
    assert c.ok("GET", "/logistics/202309/warehouses")["warehouses"][0]["is_default"] is True


# --------------------------------------------------------------------------- products


def test_product_search_pagination_returns_every_page(emu, client):
    emu.seed_products(
        None,
        [{"name": f"SP {i}", "sku": f"SP-{i:03d}", "price": 1000, "stock": 1} for i in range(23)],
    )
    seen, token, pages = [], "", 0
    while True:
        params = {"page_size": 10, **({"page_token": token} if token else {})}
        data = client.ok("POST", "/product/202502/products/search", params, {"status": "ACTIVATE"})
        seen += [p["id"] for p in data["products"]]
        pages += 1
        token = data["next_page_token"]
        if not token:
            break
    assert pages == 3 and len(seen) == len(set(seen)) == 25 == data["total_count"]
    found = client.ok(
        "POST", "/product/202309/products/search", {"page_size": 5}, {"seller_skus": ["QJ-M"]}
    )
    assert [s["seller_sku"] for s in found["products"][0]["skus"]] == ["QJ-S", "QJ-M"]


def test_inventory_and_price_updates_visible(emu, client):
    found = client.ok(
        "POST", "/product/202309/products/search", {"page_size": 5}, {"seller_skus": ["QJ-M"]}
    )
    product = client.ok("GET", f"/product/202309/products/{found['products'][0]['id']}")
    sku = next(s for s in product["skus"] if s["seller_sku"] == "QJ-M")
    assert sku["sales_attributes"][0]["value_name"] == "M"
    warehouse = sku["inventory"][0]["warehouse_id"]
    path = f"/product/202309/products/{product['id']}/inventory/update"
    client.ok(
        "POST",
        path,
        body={
            "skus": [{"id": sku["id"], "inventory": [{"warehouse_id": warehouse, "quantity": 42}]}]
        },
    )
    assert emu.stock_of("QJ-M") == 42
    missing = client.call("POST", path, body={"skus": [{"id": sku["id"], "inventory": []}]})
    assert missing.json()["code"] == 40001
    client.ok(
        "POST",
        f"/product/202309/products/{product['id']}/prices/update",
        body={"skus": [{"id": sku["id"], "price": {"amount": "299000", "currency": "VND"}}]},
    )
    again = client.ok("GET", f"/product/202309/products/{product['id']}")
    sku = next(s for s in again["skus"] if s["seller_sku"] == "QJ-M")
    assert sku["inventory"][0]["quantity"] == 42 and sku["price"]["sale_price"] == "299000"
    assert client.call("GET", "/product/202309/products/1").json()["code"] == 40004


def test_create_product_is_idempotent(emu, client):
    warehouse = client.ok("GET", "/logistics/202309/warehouses")["warehouses"][0]["id"]
    body = {
        "title": "Váy hoa",
        "description": "<p>Váy</p>",
        "category_id": "601226",
        "main_images": [{"uri": "tos-x/img1"}],
        "package_weight": {"value": "0.3", "unit": "KILOGRAM"},
        "idempotency_key": "our-product-17",
        "skus": [
            {
                "seller_sku": "VAY-DO",
                "sales_attributes": [{"name": "Màu", "value_name": "Đỏ"}],
                "price": {"amount": "250000", "currency": "VND"},
                "inventory": [{"warehouse_id": warehouse, "quantity": 3}],
            },
            {
                "seller_sku": "VAY-XANH",
                "sales_attributes": [{"name": "Màu", "value_name": "Xanh"}],
                "price": {"amount": "260000", "currency": "VND"},
                "inventory": [{"warehouse_id": warehouse, "quantity": 4}],
            },
        ],
    }
    first = client.ok("POST", "/product/202309/products", body=body)
    again = client.ok("POST", "/product/202309/products", body=body)
    assert first["product_id"] == again["product_id"]
    assert [s["seller_sku"] for s in first["skus"]] == ["VAY-DO", "VAY-XANH"]
    assert emu.stock_of("VAY-XANH") == 4
    dup = client.call("POST", "/product/202309/products", body={**body, "idempotency_key": "other"})
    assert dup.json()["code"] == 40009


# --------------------------------------------------------------------------- orders


def test_order_progression_fulfilment_and_statement(emu, client, recorder, tmp_path):
    order = emu.create_order(
        lines=[{"sku": "AO-TRANG", "quantity": 2}, {"sku": "QJ-S", "quantity": 1, "price": 280000}],
        payment="prepaid",
        seller_voucher=20000,
        platform_voucher=15000,
        commission_fee=9000,
        service_fee=6000,
        transaction_fee=3000,
    )
    data = client.ok(
        "POST", "/order/202309/orders/search", {"page_size": 10}, {"order_status": "UNPAID"}
    )
    listed = data["orders"][0]
    assert listed["id"] == order.id and listed["recipient_address"]["name"] == ""  # hidden
    emu.tick(1800)
    detail = client.ok("GET", "/order/202507/orders", [("ids", order.id)])["orders"][0]
    assert detail["status"] == "AWAITING_SHIPMENT" and detail["is_cod"] is False
    assert len(detail["line_items"]) == 3 and "quantity" not in detail["line_items"][0]
    assert detail["payment"]["total_amount"] == str(580000 - 35000 + 30000)
    assert detail["recipient_address"]["name"] == order.address["name"]
    package = detail["packages"][0]["id"]
    slots = client.ok("GET", f"/fulfillment/202309/packages/{package}/handover_time_slots")
    slot = slots["pickup_slots"][0]
    client.ok(
        "POST",
        f"/fulfillment/202309/packages/{package}/ship",
        body={
            "handover_method": "PICKUP",
            "pickup_slot": {"start_time": slot["start_time"], "end_time": slot["end_time"]},
        },
    )
    doc = client.ok(
        "GET",
        f"/fulfillment/202309/packages/{package}/shipping_documents",
        {"document_type": "SHIPPING_LABEL"},
    )
    assert doc["tracking_number"].startswith("VN")
    pdf = client.http.get(urlsplit(doc["doc_url"]).path)
    assert doc["tracking_number"] in pdf_text(pdf.content, tmp_path)
    assert (
        client.ok("GET", f"/fulfillment/202309/packages/{package}")["package_status"]
        == "FULFILLING"
    )
    again = client.call(
        "POST", f"/fulfillment/202309/packages/{package}/ship", body={"handover_method": "DROP_OFF"}
    )
    assert again.json()["code"] == 40009
    emu.tick(3600)
    emu.tick(3600)
    emu.tick(3 * 86400)
    assert emu.status_of(order) == "COMPLETED"
    renewed = client.token(
        "refresh", refresh_token=client.refresh_token, grant_type="refresh_token"
    )
    client.access_token = renewed["data"]["access_token"]
    statement = client.ok("GET", f"/finance/202501/orders/{order.id}/statement_transactions")
    assert statement["sku_transactions"] == []  # not settled yet
    emu.tick(86400)
    statement = client.ok("GET", f"/finance/202501/orders/{order.id}/statement_transactions")
    assert int(statement["settlement_amount"]) == 580000 - 20000 - 18000
    assert sum(int(r["settlement_amount"]) for r in statement["sku_transactions"]) == 542000
    tracking = client.ok("GET", f"/fulfillment/202309/orders/{order.id}/tracking")["tracking"]
    assert len(tracking) == 3

    emu.pump()
    statuses = [b["data"]["order_status"] for b in recorder.bodies if b["type"] == 1]
    assert statuses == [
        "UNPAID",
        "AWAITING_SHIPMENT",
        "AWAITING_COLLECTION",
        "IN_TRANSIT",
        "DELIVERED",
        "COMPLETED",
    ]
    assert [b["data"]["package_id"] for b in recorder.bodies if b["type"] == 4] == [package]


def test_order_search_by_update_time_keyset_pages(emu, client):
    for _ in range(7):
        emu.create_order(lines=[{"sku": "AO-TRANG", "quantity": 1}])
        emu.clock.advance(5)
    seen, token = [], ""
    while True:
        params = {
            "page_size": 3,
            "sort_field": "update_time",
            **({"page_token": token} if token else {}),
        }
        data = client.ok("POST", "/order/202309/orders/search", params, {"update_time_ge": 0})
        seen += [o["id"] for o in data["orders"]]
        token = data["next_page_token"]
        if not token:
            break
    assert sorted(seen) == sorted(emu.orders)


def test_cancel_return_hold_and_failed_delivery(emu, client, recorder):
    a = emu.create_order(lines=[{"sku": "QJ-M", "quantity": 2}])
    answer = client.ok(
        "POST",
        "/return_refund/202309/cancellations",
        body={"order_id": a.id, "cancel_reason": "OUT_OF_STOCK"},
    )
    assert answer["cancel_status"] == "CANCELLATION_REQUEST_COMPLETE"
    assert emu.status_of(a) == "CANCELLED" and emu.stock_of("QJ-M") == 7
    b = emu.create_order(lines=[{"sku": "AO-TRANG", "quantity": 1}])
    emu.advance(b.id, "AWAITING_COLLECTION")
    emu.tick(2 * 3600)
    emu.request_return(b.id)
    assert emu.status_of(b) == "DELIVERED"  # the order keeps its status
    returns = client.ok(
        "POST", "/return_refund/202309/returns/search", {"page_size": 10}, {"order_ids": [b.id]}
    )
    assert returns["return_orders"][0]["return_status"] == "BUYER_SHIPPED_ITEM"
    emu.tick(3600)
    returns = client.ok(
        "POST", "/return_refund/202309/returns/search", {"page_size": 10}, {"order_ids": [b.id]}
    )
    assert returns["return_orders"][0]["return_status"] == "RETURN_OR_REFUND_REQUEST_COMPLETE"
    emu.pump()
    assert [x["data"]["return_status"] for x in recorder.bodies if x["type"] == 12] == [
        "BUYER_SHIPPED_ITEM",
        "RETURN_OR_REFUND_REQUEST_COMPLETE",
    ]
    emu.on_hold_seconds = 600
    c = emu.create_order(lines=[{"sku": "AO-TRANG", "quantity": 1}])
    assert emu.status_of(c) == "ON_HOLD"
    emu.tick(600)
    assert emu.status_of(c) == "AWAITING_SHIPMENT"
    emu.advance(c.id, "AWAITING_COLLECTION")
    emu.fail_next_delivery(c.id)
    emu.tick(3 * 3600)
    assert emu.status_of(c) == "CANCELLED"


def test_webhook_signature_and_registration(emu, client, recorder):
    emu.create_order(lines=[{"sku": "AO-TRANG", "quantity": 1}])
    emu.pump()
    call = recorder.calls[0]
    assert call["headers"]["Authorization"] == signing.webhook_signature(
        emu.app_key, emu.app_secret, call["body"]
    )
    body = json.loads(call["body"])
    assert (
        body["type"] == 1
        and body["shop_id"] == "7494000000000000001"
        and body["tts_notification_id"]
    )
    client.ok("DELETE", "/event/202309/webhooks", body={"event_type": "ORDER_STATUS_CHANGE"})
    client.ok(
        "PUT",
        "/event/202309/webhooks",
        body={"event_type": "PACKAGE_UPDATE", "address": "https://other.example/tts"},
    )
    hooks = client.ok("GET", "/event/202309/webhooks")["webhooks"]
    assert "ORDER_STATUS_CHANGE" not in {h["event_type"] for h in hooks}
    assert {h["address"] for h in hooks} == {"https://other.example/tts"}


def test_rate_limit(emu, client, fake_time):
    emu.limiter.configure(2, 1.0)
    answers = [client.call("GET", "/logistics/202309/warehouses") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["code"] == 36009002
    fake_time.now += 1
    assert client.call("GET", "/logistics/202309/warehouses").status_code == 200
