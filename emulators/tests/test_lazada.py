"""Lazada emulator: signature (reference worked example), OAuth, products, orders, push."""

import base64
import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from emulators.common import Clock
from emulators.lazada import LazadaEmulator, signing
from emulators.tests.helpers import Recorder, pdf_text

PUSH_URL = "https://seller.example/marketplaces/webhooks/lazada/"
REDIRECT = "https://seller.example/marketplaces/oauth/lazada/callback/"


class FakeTime:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class Lazada:
    """A minimal LAZOP client written from the reference: form POST (like the official SDK)."""

    def __init__(self, emu: LazadaEmulator, *, secret=None):
        self.emu = emu
        self.secret = secret or emu.app_secret
        self.http = httpx.Client(
            transport=httpx.WSGITransport(app=emu.wsgi_app), base_url="https://api.lazada.vn"
        )
        self.access_token = None
        self.refresh_token = None

    def params(self, api, params, token=True, timestamp_ms=None):
        ts = self.emu.clock.timestamp() * 1000 if timestamp_ms is None else timestamp_ms
        return signing.signed_params(
            self.emu.app_key,
            self.secret,
            api,
            params or {},
            timestamp_ms=ts,
            access_token=self.access_token if token else None,
        )

    def call(self, api, params=None, *, method="POST", token=True, **kw):
        data = self.params(api, params, token, **kw)
        if method == "GET":
            return self.http.get("/rest" + api, params=data)
        return self.http.post("/rest" + api, data=data)

    def ok(self, api, params=None, **kw):
        r = self.call(api, params, **kw)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["code"] == "0", body
        return body

    def connect(self, state="xyz"):
        r = self.http.get(
            "/oauth/authorize",
            params={
                "response_type": "code",
                "force_auth": "true",
                "redirect_uri": REDIRECT,
                "client_id": self.emu.app_key,
                "state": state,
            },
        )
        assert r.status_code == 302
        back = parse_qs(urlsplit(r.headers["location"]).query)
        assert back["state"] == [state]
        answer = self.ok("/auth/token/create", {"code": back["code"][0]}, token=False)
        self.access_token, self.refresh_token = answer["access_token"], answer["refresh_token"]
        return answer, back["code"][0]


def payload(skus, **product):
    return json.dumps({"Request": {"Product": {**product, "Skus": {"Sku": skus}}}})


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def fake_time():
    return FakeTime()


@pytest.fixture
def emu(recorder, fake_time):
    e = LazadaEmulator(push_url=PUSH_URL, push_target=recorder, rate_time=fake_time)
    e.seed_products(
        None,
        [
            {"name": "Áo thun trắng", "sku": "AO-TRANG", "price": 150000, "stock": 20},
            {
                "name": "Quần jean",
                "tiers": [{"name": "size", "options": ["S", "M"]}],
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
    c = Lazada(emu)
    c.connect()
    return c


# --------------------------------------------------------------------------- signature


def test_reference_worked_example():
    params = {
        "app_key": "123456",
        "access_token": "test",
        "timestamp": "1517820392000",
        "sign_method": "sha256",
        "order_id": "1234",
    }
    assert (
        signing.string_to_sign("/order/get", params)
        == "/order/getaccess_tokentestapp_key123456order_id1234sign_methodsha256timestamp1517820392000"
    )
    assert (
        signing.sign("helloworld", "/order/get", params)
        == "4190D32361CFB9581350222F345CB77F3B19F0E31D162316848A2C1FFD5FAB4A"
    )


def test_emulator_accepts_the_documented_request_sample():
    clock = Clock(datetime.fromtimestamp(1517820392, UTC))
    emu = LazadaEmulator(
        app_key="123456", app_secret="helloworld", clock=clock, accept_wall_time=False
    )
    pair = emu.tokens.issue(emu.default_shop_id(), clock.timestamp())
    emu.tokens.by_access = {"test": pair}
    query = (
        "app_key=123456&access_token=test&timestamp=1517820392000&sign_method=sha256"
        "&order_id=1234&sign=4190D32361CFB9581350222F345CB77F3B19F0E31D162316848A2C1FFD5FAB4A"
    )
    http = httpx.Client(
        transport=httpx.WSGITransport(app=emu.wsgi_app), base_url="https://api.lazada.vn"
    )
    body = http.get("/rest/order/get?" + query).json()
    assert body["code"] == "E016"  # signature fine; the order does not exist
    body = http.get("/rest/order/get?" + query.replace("4190D", "4190E")).json()
    assert body["code"] == "IncompleteSignature"


def test_wrong_secret_case_timestamp_and_token_are_refused(emu, client):
    wrong = Lazada(emu, secret="not-the-secret")
    wrong.access_token = client.access_token
    body = wrong.call("/products/get", {"filter": "all"}).json()
    assert body["code"] == "IncompleteSignature" and body["type"] == "ISV"
    assert "lazop standards" in body["message"]
    data = client.params("/products/get", {"filter": "all"})
    data["sign"] = data["sign"].lower()
    assert client.http.post("/rest/products/get", data=data).json()["code"] == "IncompleteSignature"
    stale = client.call("/products/get", {}, timestamp_ms=(emu.clock.timestamp() - 8000) * 1000)
    assert stale.json()["code"] == "InvalidTimestamp"
    assert client.http.post("/rest/products/get", data={}).json()["code"] == "MissingParameter"
    client.access_token = "nope"
    assert client.call("/products/get").json()["code"] == "IllegalAccessToken"
    # GET with everything in the query works as well as the form POST
    client.access_token = None
    assert (
        client.call("/auth/token/create", {"code": "x"}, method="GET", token=False).json()["code"]
        == "InvalidCode"
    )


# --------------------------------------------------------------------------- OAuth


def test_oauth_flow_and_seller(emu):
    c = Lazada(emu)
    answer, code = c.connect()
    assert answer["expires_in"] == 7 * 86400 and answer["refresh_expires_in"] == 30 * 86400
    assert answer["country_user_info"][0]["seller_id"] == "200100001"
    assert answer["account_platform"] == "seller_center" and answer["country"] == "vn"
    again = c.call("/auth/token/create", {"code": code}, token=False).json()
    assert again["code"] == "InvalidCode"
    seller = c.ok("/seller/get", method="GET")["data"]
    assert seller["name"] == "Shop Demo donhang (Lazada)"
    bad = c.http.get(
        "/oauth/authorize",
        params={"response_type": "code", "client_id": "1", "redirect_uri": REDIRECT},
    )
    assert bad.status_code == 400


def test_access_token_expiry_and_refresh(emu, client):
    emu.clock.advance(7 * 86400 + 1)
    assert client.call("/products/get").json()["code"] == "IllegalAccessToken"
    old_refresh = client.refresh_token
    answer = client.ok("/auth/token/refresh", {"refresh_token": old_refresh}, token=False)
    assert answer["refresh_token"] != old_refresh
    assert answer["refresh_expires_in"] == 23 * 86400 - 1  # not extended by a refresh
    assert answer["country_user_info_list"][0]["seller_id"] == "200100001"
    client.access_token = answer["access_token"]
    assert client.call("/products/get").json()["code"] == "0"
    emu.clock.advance(24 * 86400)
    late = client.call(
        "/auth/token/refresh", {"refresh_token": answer["refresh_token"]}, token=False
    )
    assert late.json()["code"] == "IllegalRefreshToken"


# --------------------------------------------------------------------------- products


def test_products_pagination_returns_every_page(emu, client):
    emu.seed_products(
        None,
        [{"name": f"SP {i}", "sku": f"SP-{i:03d}", "price": 1000, "stock": 1} for i in range(23)],
    )
    seen, offset = [], 0
    while True:
        data = client.ok(
            "/products/get", {"filter": "all", "limit": 10, "offset": offset}, method="GET"
        )["data"]
        seen += [p["item_id"] for p in data["products"]]
        offset += len(data["products"])
        if offset >= data["total_products"]:
            break
    assert len(seen) == len(set(seen)) == 25
    assert client.call("/products/get", {"limit": 51}).json()["code"] == "E019"
    by_sku = client.ok("/products/get", {"sku_seller_list": json.dumps(["QJ-M"])})["data"]
    assert by_sku["total_products"] == 1
    assert {s["SellerSku"] for s in by_sku["products"][0]["skus"]} == {"QJ-S", "QJ-M"}
    assert by_sku["products"][0]["skus"][1]["saleProp"] == {"size": "M"}


def test_stock_updates_visible(emu, client):
    xml = (
        "<Request><Product><Skus>"
        "<Sku><SellerSku>QJ-M</SellerSku><SellableQuantity>42</SellableQuantity></Sku>"
        "<Sku><SellerSku>AO-TRANG</SellerSku><SellableQuantity>3</SellableQuantity></Sku>"
        "</Skus></Product></Request>"
    )
    client.ok("/product/stock/sellable/update", {"payload": xml})
    assert emu.stock_of("QJ-M") == 42 and emu.stock_of("AO-TRANG") == 3
    client.ok(
        "/product/stock/sellable/adjust",
        {"payload": payload([{"SellerSku": "QJ-M", "SellableQuantity": -2}])},
    )
    assert emu.stock_of("QJ-M") == 40
    emu.create_order(lines=[{"sku": "QJ-M", "quantity": 2}])
    sku = next(
        s
        for p in client.ok("/products/get", {"filter": "live"})["data"]["products"]
        for s in p["skus"]
        if s["SellerSku"] == "QJ-M"
    )
    assert sku["Available"] == 38 and sku["quantity"] == 40
    # price_quantity: Quantity is the total (reserved units included)
    client.ok(
        "/product/price_quantity/update",
        {"payload": payload([{"SkuId": sku["SkuId"], "Quantity": 12, "Price": 330000}])},
    )
    assert emu.stock_of("QJ-M") == 10
    body = client.call(
        "/product/price_quantity/update",
        {
            "payload": payload(
                [{"SellerSku": "QJ-M", "Quantity": 1}, {"SellerSku": "NOPE", "Quantity": 1}]
            )
        },
    ).json()
    assert body["code"] == "E204" and len(body["detail"]) == 2
    assert emu.stock_of("QJ-M") == 10  # nothing applied


def test_product_create_with_variations(emu, client):
    body = payload(
        [
            {"SellerSku": "VAY-DO", "quantity": 3, "price": 250000, "color_family": "Đỏ"},
            {
                "SellerSku": "VAY-XANH",
                "quantity": 4,
                "price": 260000,
                "special_price": 240000,
                "color_family": "Xanh",
            },
        ],
        PrimaryCategory="10000001",
        Images={"Image": ["https://img.example/1.jpg"]},
        Attributes={"name": "Váy hoa", "description": "Váy", "brand": "No Brand"},
    )
    data = client.ok("/product/create", {"payload": body})["data"]
    assert [s["seller_sku"] for s in data["sku_list"]] == ["VAY-DO", "VAY-XANH"]
    item = client.ok("/product/item/get", {"item_id": data["item_id"]}, method="GET")["data"]
    xanh = next(s for s in item["skus"] if s["SellerSku"] == "VAY-XANH")
    assert (
        xanh["price"] == 260000
        and xanh["special_price"] == 240000
        and xanh["color_family"] == "Xanh"
    )
    dup = client.call("/product/create", {"payload": body}).json()
    assert dup["code"] == "SellerSkuExists"


# --------------------------------------------------------------------------- orders


def test_order_progression_fulfilment_and_finance(emu, client, recorder, tmp_path):
    order = emu.create_order(
        lines=[{"sku": "AO-TRANG", "quantity": 2}, {"sku": "QJ-S", "quantity": 1}],
        seller_voucher=20000,
        platform_voucher=15000,
        commission_fee=9000,
        service_fee=6000,
        transaction_fee=3001,
    )
    after = emu.clock.now().isoformat()
    listed = client.ok("/orders/get", {"update_after": after, "status": "pending"}, method="GET")[
        "data"
    ]
    assert listed["countTotal"] == 1
    row = listed["orders"][0]
    assert row["order_id"] == int(order.id) and row["statuses"] == ["pending"]
    assert row["payment_method"] == "COD" and row["price"] == "600000.00"
    assert row["voucher_seller"] == 20000 and row["voucher_platform"] == 15000
    items = client.ok("/order/items/get", {"order_id": order.id})["data"]
    assert len(items) == 3 and {i["sku"] for i in items} == {"AO-TRANG", "QJ-S"}
    assert sum(i["voucher_seller"] for i in items) == 20000
    item_ids = [i["order_item_id"] for i in items]

    req = {"orders": [{"order_id": int(order.id), "order_item_ids": item_ids}]}
    providers = client.ok(
        "/order/shipment/providers/get", {"getShipmentProvidersReq": json.dumps(req)}
    )
    provider = providers["result"]["data"]["shipment_providers"][0]["provider_code"]
    pack = {
        "pack_order_list": [{"order_id": int(order.id), "order_item_list": item_ids}],
        "delivery_type": "dropship",
        "shipping_allocate_type": "TFS",
        "shipment_provider_code": provider,
    }
    packed = client.ok("/order/fulfill/pack", {"packReq": json.dumps(pack)})["result"]
    assert packed["success"] is True
    first = packed["data"]["pack_order_list"][0]["order_item_list"][0]
    assert first["item_err_code"] == "0" and first["tracking_number"].startswith("LZVN")
    package = {"packages": [{"package_id": first["package_id"]}]}
    doc = client.ok(
        "/order/package/document/get",
        {"getDocumentReq": json.dumps({"doc_type": "PDF", **package})},
    )
    pdf = base64.b64decode(doc["result"]["data"]["file"])
    assert first["tracking_number"] in pdf_text(pdf, tmp_path)
    by_url = client.http.get(urlsplit(doc["result"]["data"]["pdf_url"]).path)
    assert by_url.headers["content-type"] == "application/pdf"
    assert emu.status_of(order) == "packed"
    emu.tick(3 * 3600)
    assert emu.status_of(order) == "packed"  # waits for RTS
    client.ok("/order/package/rts", {"readyToShipReq": json.dumps(package)})
    assert emu.status_of(order) == "ready_to_ship"
    again = client.ok("/order/fulfill/pack", {"packReq": json.dumps(pack)})["result"]
    assert again["success"] is False
    emu.tick(3600)
    emu.tick(3600)
    assert emu.status_of(order) == "delivered"
    trace = client.ok("/logistic/order/trace", {"order_id": order.id})["result"]["data"][0]
    assert [
        e["title"] for e in trace["package_detail_info_list"][0]["logistic_detail_info_list"]
    ] == [
        "PACKED",
        "READY_TO_SHIP",
        "SHIPPED",
        "DELIVERED",
    ]
    day = emu.clock.now().strftime("%Y-%m-%d")
    rows = client.ok("/finance/transaction/details/get", {"start_time": day, "end_time": day})[
        "data"
    ]
    assert sum(int(r["amount"].split(".")[0]) for r in rows) == order.settlement_amount
    assert {r["paid_status"] for r in rows} == {"Not paid"}
    emu.tick(3 * 86400)
    assert emu.status_of(order) == "confirmed"
    emu.tick(7 * 86400)
    client.access_token = client.ok(
        "/auth/token/refresh", {"refresh_token": client.refresh_token}, token=False
    )["access_token"]
    rows = client.ok(
        "/finance/transaction/details/get",
        {"start_time": day, "end_time": day, "trade_order_id": order.id},
    )["data"]
    assert {r["paid_status"] for r in rows} == {"Paid"}

    emu.pump()
    assert [b["data"]["order_status"] for b in recorder.bodies] == [
        "pending",
        "packed",
        "ready_to_ship",
        "shipped",
        "delivered",
        "confirmed",
    ]


def test_seller_cancel_unknown_order_and_failed_delivery(emu, client):
    order = emu.create_order(lines=[{"sku": "QJ-M", "quantity": 2}])
    ids = json.dumps(
        [i["order_item_id"] for i in client.ok("/order/items/get", {"order_id": order.id})["data"]]
    )
    reasons = client.ok(
        "/order/reverse/cancel/validate", {"order_id": order.id, "order_item_id_list": ids}
    )
    reason_id = reasons["data"]["reason_options"][0]["reason_id"]
    client.ok(
        "/order/reverse/cancel/create",
        {"order_id": order.id, "order_item_id_list": ids, "reason_id": reason_id},
    )
    assert emu.status_of(order) == "canceled" and emu.stock_of("QJ-M") == 7
    assert client.call("/order/get", {"order_id": "1"}).json()["code"] == "E016"
    other = emu.create_order(lines=[{"sku": "AO-TRANG", "quantity": 1}])
    emu.advance(other.id, "ready_to_ship")
    emu.fail_next_delivery(other.id)
    emu.tick(3 * 3600)
    assert emu.status_of(other) == "shipped_back_success"
    missing = client.call("/orders/get", {"limit": 10}).json()
    assert missing["code"] == "MissingParameter"
    bad_date = client.call("/orders/get", {"update_after": "yesterday"}).json()
    assert bad_date["code"] == "E017"


def test_push_signature(emu, recorder):
    emu.create_order(lines=[{"sku": "AO-TRANG", "quantity": 1}])
    emu.pump()
    call = recorder.calls[0]
    assert call["headers"]["Authorization"] == signing.push_signature(
        emu.app_key, emu.app_secret, call["body"]
    )
    body = json.loads(call["body"])
    assert (
        body["message_type"] == 0
        and body["site"] == "lazada_vn"
        and body["seller_id"] == "200100001"
    )
    assert body["data"]["order_status"] == "pending"


def test_rate_limit(emu, client, fake_time):
    emu.limiter.configure(2, 1.0)
    answers = [client.call("/products/get") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["code"] == "ApiCallLimit"
    fake_time.now += 1
    assert client.call("/products/get").status_code == 200
