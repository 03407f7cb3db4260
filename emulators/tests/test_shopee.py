"""Shopee emulator: signatures (reference worked examples), OAuth, products, orders, push."""

import hashlib
import hmac
import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from emulators.common import FaultyTransport
from emulators.shopee import ShopeeEmulator, signing
from emulators.tests.helpers import Recorder, pdf_text

PUSH_URL = "https://seller.example/marketplaces/webhooks/shopee/"
REDIRECT = "https://seller.example/marketplaces/oauth/shopee/callback/"


class FakeTime:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class Shopee:
    """A minimal Shopee client written from the reference (signs with the emulator's clock)."""

    def __init__(self, emu: ShopeeEmulator, *, key=None, transport=None):
        self.emu = emu
        self.key = key or emu.partner_key
        self.http = httpx.Client(
            transport=transport or httpx.WSGITransport(app=emu.wsgi_app),
            base_url="https://partner.shopeemobile.com",
        )
        self.access_token = None
        self.refresh_token = None
        self.shop_id = None

    def _query(self, path, public, timestamp=None):
        ts = self.emu.clock.timestamp() if timestamp is None else timestamp
        if public:
            base = signing.public_base(self.emu.partner_id, path, ts)
            query = {"partner_id": self.emu.partner_id, "timestamp": ts}
        else:
            base = signing.shop_base(self.emu.partner_id, path, ts, self.access_token, self.shop_id)
            query = {
                "partner_id": self.emu.partner_id,
                "timestamp": ts,
                "access_token": self.access_token,
                "shop_id": self.shop_id,
            }
        query["sign"] = signing.sign(self.key, base)
        return query

    def get(self, api, params=None, public=False, **kw):
        path = "/api/v2/" + api
        query = {**self._query(path, public, **kw), **(params or {})}
        return self.http.get(path, params=query)

    def post(self, api, body=None, public=False, **kw):
        path = "/api/v2/" + api
        return self.http.post(path, params=self._query(path, public, **kw), json=body or {})

    def connect(self):
        path = "/api/v2/shop/auth_partner"
        query = {**self._query(path, True), "redirect": REDIRECT}
        r = self.http.get(path, params=query)
        assert r.status_code == 302
        back = parse_qs(urlsplit(r.headers["location"]).query)
        code, shop_id = back["code"][0], int(back["shop_id"][0])
        body = {"code": code, "shop_id": shop_id, "partner_id": self.emu.partner_id}
        answer = self.post("auth/token/get", body, public=True).json()
        assert answer["error"] == ""
        self.access_token, self.refresh_token = answer["access_token"], answer["refresh_token"]
        self.shop_id = shop_id
        return answer, code

    def refresh(self):
        body = {
            "refresh_token": self.refresh_token,
            "partner_id": self.emu.partner_id,
            "shop_id": self.shop_id,
        }
        answer = self.post("auth/access_token/get", body, public=True).json()
        if answer["error"] == "":
            self.access_token, self.refresh_token = answer["access_token"], answer["refresh_token"]
        return answer


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def fake_time():
    return FakeTime()


@pytest.fixture
def emu(recorder, fake_time):
    e = ShopeeEmulator(push_url=PUSH_URL, push_target=recorder, rate_time=fake_time)
    e.seed_products(
        None,
        [
            {"name": "Áo thun trắng", "sku": "AO-TRANG", "price": 150000, "stock": 20},
            {
                "name": "Quần jean",
                "sku": "QJ",
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
    c = Shopee(emu)
    c.connect()
    return c


def response(r):
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["error"] == "", body
    return body["response"]


# --------------------------------------------------------------------------- signatures


def test_reference_base_strings_and_signatures():
    # reference §4 #3: base strings of the Shopee "API calls" guide
    assert (
        signing.shop_base(
            2001887,
            "/api/v2/shop/get_shop_info",
            1655714431,
            "59777174636562737266615546704c6d",
            14701711,
        )
        == "2001887/api/v2/shop/get_shop_info165571443159777174636562737266615546704c6d14701711"
    )
    assert (
        signing.public_base(2001887, "/api/v2/public/get_shops_by_partner", 1655714431)
        == "2001887/api/v2/public/get_shops_by_partner1655714431"
    )
    assert (
        signing.merchant_base(
            2001887,
            "/api/v2/global_product/get_category",
            1655714431,
            "09777174636962737266615546704c6d",
            1000000,
        )
        == "2001887/api/v2/global_product/get_category165571443109777174636962737266615546704c6d1000000"
    )
    # §4 #4: the HMAC step
    assert (
        signing.sign(
            "test_partner_key",
            "/api/v2/auth/token/get123456test_partner_idtest_shop_idtest_main_account_id",
        )
        == "37c864bd9821ff5f2c2f46b2faca14eb1811a718d1fdc6dcf383cba7c74bf9e9"
    )
    # §4 #5: derived signatures
    shop = "2001887/api/v2/shop/get_shop_info165571443159777174636562737266615546704c6d14701711"
    assert (
        signing.sign("test_partner_key", shop)
        == "9fdae5aeed86e753249982ec04aa54339280f12d3f456b9e3f7d8ee91e66a2b3"
    )
    assert (
        signing.sign("test_partner_key", "2001887/api/v2/public/get_shops_by_partner1655714431")
        == "bfd95b21eda3ed2c80e9373e8c0ce80bdc39b2dc02e4c6dc19e1413c75f8ab09"
    )
    # §4 #6: push signature
    body = (
        b'{"data":{"items":[],"ordersn":"220810QSK8S7BX","status":"PROCESSED",'
        b'"completed_scenario":"","update_time":1660123127},"shop_id":727720655,"code":3,'
        b'"timestamp":1660123127}'
    )
    assert (
        signing.push_signature("test-partner-key", "https://example.com/shopee/webhook", body)
        == "07774084c9057710b28349f71fd7a4f904d8dcf6b19b9cd27a457c53f9cf4ea9"
    )


def test_emulator_accepts_the_reference_shop_signature():
    emu = ShopeeEmulator(partner_id=2001887, partner_key="test_partner_key", shop_id=14701711)
    emu.tokens.issue("14701711", emu.clock.timestamp())
    pair = next(iter(emu.tokens.by_access.values()))
    emu.tokens.by_access = {"59777174636562737266615546704c6d": pair}
    c = Shopee(emu)
    c.access_token, c.shop_id = "59777174636562737266615546704c6d", 14701711
    ts = emu.clock.timestamp()
    r = c.get("shop/get_shop_info")
    assert r.json()["shop_name"]
    expected = hmac.new(
        b"test_partner_key",
        f"2001887/api/v2/shop/get_shop_info{ts}59777174636562737266615546704c6d14701711".encode(),
        hashlib.sha256,
    ).hexdigest()
    assert parse_qs(str(r.request.url.query, "ascii"))["sign"] == [expected]


def test_wrong_secret_signature_timestamp_and_token_are_refused(emu, client):
    wrong = Shopee(emu, key="shpk-not-the-key")
    wrong.access_token, wrong.shop_id = client.access_token, client.shop_id
    body = wrong.get("shop/get_shop_info").json()
    assert body["error"] == "error_sign" and body["message"] == "Wrong sign."
    body = client.get("shop/get_shop_info", timestamp=emu.clock.timestamp() - 3600).json()
    assert body["error"] == "error_param"
    # a signature made for another path
    path = "/api/v2/shop/get_profile"
    query = client._query(path, False)
    body = client.http.get("/api/v2/shop/get_shop_info", params=query).json()
    assert body["error"] == "error_sign"
    client.access_token = "0" * 32
    assert client.get("shop/get_shop_info").json()["error"] == "error_auth"
    r = client.http.get("/api/v2/shop/get_shop_info")
    assert r.status_code == 200 and r.json()["error"] == "error_param"


# --------------------------------------------------------------------------- OAuth


def test_oauth_flow_code_is_single_use(emu):
    c = Shopee(emu)
    answer, code = c.connect()
    assert answer["expire_in"] == 4 * 3600 and answer["shop_id_list"] == [220001]
    info = c.get("shop/get_shop_info").json()
    assert info["error"] == "" and info["shop_name"] == "Shop Demo donhang (Shopee)"
    assert info["response"]["region"] == "VN"
    again = c.post(
        "auth/token/get",
        {"code": code, "shop_id": 220001, "partner_id": emu.partner_id},
        public=True,
    ).json()
    assert again["error"] == "error_auth"
    # the authorization page itself checks its signature
    path = "/api/v2/shop/auth_partner"
    query = {**c._query(path, True), "redirect": REDIRECT, "sign": "0" * 64}
    assert c.http.get(path, params=query).json()["error"] == "error_sign"


def test_access_token_expires_and_refresh_rotates_single_use(emu, client):
    emu.clock.advance(4 * 3600 + 1)
    body = client.get("shop/get_shop_info").json()
    assert body["error"] == "invalid_acceess_token"
    old_refresh = client.refresh_token
    answer = client.refresh()
    assert answer["error"] == "" and answer["refresh_token"] != old_refresh
    assert client.get("shop/get_shop_info").json()["error"] == ""
    client.refresh_token = old_refresh
    assert client.refresh()["error"] == "error_auth"  # single use


def test_old_access_token_lives_five_minutes_after_refresh(emu, client):
    old = client.access_token
    client.refresh()
    client.access_token = old
    assert client.get("shop/get_shop_info").json()["error"] == ""
    emu.clock.advance(301)
    assert client.get("shop/get_shop_info").json()["error"] == "invalid_acceess_token"


def test_control_can_expire_tokens(emu, client):
    r = client.http.post("/_emulator/tokens/expire", json={})
    assert r.json()["expired"] == 1
    assert client.get("shop/get_shop_info").json()["error"] == "invalid_acceess_token"


# --------------------------------------------------------------------------- products


def test_item_list_pagination_returns_every_page(emu, client):
    emu.seed_products(
        None,
        [{"name": f"SP {i}", "sku": f"SP-{i:03d}", "price": 1000, "stock": 1} for i in range(23)],
    )
    seen, offset, pages = [], 0, 0
    while True:
        page = response(
            client.get(
                "product/get_item_list",
                {"offset": offset, "page_size": 10, "item_status": "NORMAL"},
            )
        )
        seen += [i["item_id"] for i in page["item"]]
        pages += 1
        if not page["has_next_page"]:
            break
        offset = page["next_offset"]
    assert pages == 3 and len(seen) == len(set(seen)) == 25 == page["total_count"]
    bad = client.get("product/get_item_list", {"offset": 0, "page_size": 101}).json()
    assert bad["error"] == "error_param"


def test_items_models_and_stock_update_visible(emu, client):
    items = response(client.get("product/get_item_list", {"offset": 0, "page_size": 50}))["item"]
    ids = [i["item_id"] for i in items]
    base = response(
        client.get("product/get_item_base_info", {"item_id_list": ",".join(map(str, ids))})
    )["item_list"]
    plain = next(i for i in base if not i["has_model"])
    assert plain["item_sku"] == "AO-TRANG"
    assert plain["stock_info_v2"]["summary_info"]["total_available_stock"] == 20
    with_models = next(i for i in base if i["has_model"])
    models = response(client.get("product/get_model_list", {"item_id": with_models["item_id"]}))
    assert models["tier_variation"][0]["option_list"] == [{"option": "S"}, {"option": "M"}]
    m = next(x for x in models["model"] if x["model_sku"] == "QJ-M")
    assert m["tier_index"] == [1]
    r = response(
        client.post(
            "product/update_stock",
            {
                "item_id": with_models["item_id"],
                "stock_list": [
                    {"model_id": m["model_id"], "seller_stock": [{"stock": 42}]},
                    {"model_id": 1, "seller_stock": [{"stock": 1}]},
                ],
            },
        )
    )
    assert r["success_list"] == [{"model_id": m["model_id"], "stock": 42}]
    assert r["failure_list"][0]["model_id"] == 1
    assert emu.stock_of("QJ-M") == 42
    models = response(client.get("product/get_model_list", {"item_id": with_models["item_id"]}))
    m = next(x for x in models["model"] if x["model_sku"] == "QJ-M")
    assert m["stock_info_v2"]["summary_info"]["total_available_stock"] == 42
    r = response(
        client.post(
            "product/update_price",
            {"item_id": plain["item_id"], "price_list": [{"model_id": 0, "original_price": 99000}]},
        )
    )
    assert r["success_list"] == [{"model_id": 0, "original_price": 99000}]
    # python-style list repr (what pyshopee sends) is understood
    base = response(
        client.get("product/get_item_base_info", {"item_id_list": f"[{plain['item_id']}]"})
    )
    assert base["item_list"][0]["price_info"][0]["current_price"] == 99000


def test_add_item_with_variations(emu, client):
    body = {
        "item_name": "Váy hoa",
        "original_price": 250000,
        "description": "Váy hoa nhí",
        "weight": 0.3,
        "category_id": 100017,
        "image": {"image_id_list": ["img-1"]},
        "logistic_info": [{"logistic_id": 50021, "enabled": True}],
        "item_sku": "VAY",
        "seller_stock": [{"stock": 0}],
    }
    item_id = response(client.post("product/add_item", body))["item_id"]
    tiers = {
        "item_id": item_id,
        "tier_variation": [{"name": "Màu", "option_list": [{"option": "Đỏ"}, {"option": "Xanh"}]}],
        "model": [
            {
                "tier_index": [0],
                "original_price": 250000,
                "model_sku": "VAY-DO",
                "seller_stock": [{"stock": 3}],
            },
            {
                "tier_index": [1],
                "original_price": 260000,
                "model_sku": "VAY-XANH",
                "seller_stock": [{"stock": 4}],
            },
        ],
    }
    made = response(client.post("product/init_tier_variation", tiers))
    assert [m["model_sku"] for m in made["model"]] == ["VAY-DO", "VAY-XANH"]
    assert emu.stock_of("VAY-XANH") == 4
    missing = client.post("product/add_item", {**body, "item_name": ""}).json()
    assert missing["error"] == "error_param"


# --------------------------------------------------------------------------- orders


def test_order_progression_logistics_and_escrow(emu, client, recorder, tmp_path):
    order = emu.create_order(
        lines=[{"sku": "AO-TRANG", "quantity": 2}, {"sku": "QJ-S", "quantity": 1, "price": 280000}],
        seller_voucher=20000,
        platform_voucher=15000,
        shipping_fee=30000,
        commission_fee=10000,
        service_fee=8000,
        transaction_fee=5000,
    )
    sn = order.id
    assert emu.stock_of("AO-TRANG") == 18
    now = emu.clock.timestamp()
    listed = response(
        client.get(
            "order/get_order_list",
            {
                "time_range_field": "update_time",
                "time_from": now - 3600,
                "time_to": now + 60,
                "page_size": 20,
                "response_optional_fields": "order_status",
            },
        )
    )
    assert listed["order_list"] == [{"order_sn": sn, "order_status": "READY_TO_SHIP"}]
    fields = "buyer_username,recipient_address,item_list,total_amount,package_list,payment_method"
    detail = response(
        client.get(
            "order/get_order_detail", {"order_sn_list": sn, "response_optional_fields": fields}
        )
    )["order_list"][0]
    assert detail["cod"] is True and detail["payment_method"] == "Cash on Delivery"
    assert detail["total_amount"] == 2 * 150000 + 280000 - 20000 - 15000 + 30000
    line = next(i for i in detail["item_list"] if i["model_sku"] == "QJ-S")
    assert line["model_original_price"] == 300000 and line["model_discounted_price"] == 280000
    assert detail["package_list"][0]["logistics_status"] == "LOGISTICS_READY"
    assert "buyer_user_id" not in detail  # optional fields only when asked

    params = response(client.get("logistics/get_shipping_parameter", {"order_sn": sn}))
    address = params["pickup"]["address_list"][0]
    pickup = {
        "address_id": address["address_id"],
        "pickup_time_id": address["time_slot_list"][0]["pickup_time_id"],
    }
    response(client.post("logistics/ship_order", {"order_sn": sn, "pickup": pickup}))
    tracking = response(client.get("logistics/get_tracking_number", {"order_sn": sn}))[
        "tracking_number"
    ]
    assert tracking.startswith("SPXVN")
    again = client.post("logistics/ship_order", {"order_sn": sn, "pickup": pickup}).json()
    assert again["error"] == "error_param"

    docs = {"order_list": [{"order_sn": sn}]}
    kinds = response(client.post("logistics/get_shipping_document_parameter", docs))["result_list"][
        0
    ]
    assert "THERMAL_AIR_WAYBILL" in kinds["selectable_shipping_document_type"]
    response(
        client.post(
            "logistics/create_shipping_document",
            {
                "order_list": [
                    {
                        "order_sn": sn,
                        "tracking_number": tracking,
                        "shipping_document_type": "THERMAL_AIR_WAYBILL",
                    }
                ]
            },
        )
    )
    result = response(client.post("logistics/get_shipping_document_result", docs))["result_list"][0]
    assert result["status"] == "READY"
    pdf = client.post(
        "logistics/download_shipping_document",
        {"shipping_document_type": "THERMAL_AIR_WAYBILL", "order_list": [{"order_sn": sn}]},
    )
    assert pdf.headers["content-type"] == "application/pdf"
    assert tracking in pdf_text(pdf.content, tmp_path)

    emu.tick(3600)
    assert emu.status_of(order) == "SHIPPED"
    emu.tick(3600)
    assert emu.status_of(order) == "TO_CONFIRM_RECEIVE"
    emu.tick(3 * 86400)
    assert emu.status_of(order) == "COMPLETED"
    client.refresh()  # three days passed: the 4-hour access token expired
    escrow = response(client.get("payment/get_escrow_detail", {"order_sn": sn}))
    income = escrow["order_income"]
    assert income["escrow_amount"] == 580000 - 20000 - 10000 - 8000 - 5000
    assert income["voucher_from_shopee"] == 15000 and income["commission_fee"] == 10000
    emu.tick(86400)
    client.refresh()
    wallet = response(
        client.get("payment/get_wallet_transaction_list", {"page_no": 1, "page_size": 10})
    )
    assert wallet["transaction_list"][0]["order_sn"] == sn
    assert wallet["transaction_list"][0]["amount"] == income["escrow_amount"]

    emu.pump()
    statuses = [b["data"]["status"] for b in recorder.bodies if b["code"] == 3]
    assert statuses == ["READY_TO_SHIP", "PROCESSED", "SHIPPED", "TO_CONFIRM_RECEIVE", "COMPLETED"]
    assert [b["data"]["tracking_no"] for b in recorder.bodies if b["code"] == 4] == [tracking]


def test_prepaid_buyer_cancel_needs_seller_and_restocks(emu, client):
    order = emu.create_order(lines=[{"sku": "QJ-M", "quantity": 2}], payment="prepaid")
    assert emu.status_of(order) == "UNPAID" and emu.stock_of("QJ-M") == 5
    emu.tick(1800)
    assert emu.status_of(order) == "READY_TO_SHIP"
    emu.buyer_cancel(order.id)
    assert emu.status_of(order) == "IN_CANCEL"
    r = response(
        client.post(
            "order/handle_buyer_cancellation", {"order_sn": order.id, "operation": "ACCEPT"}
        )
    )
    assert r["update_time"]
    assert emu.status_of(order) == "CANCELLED" and emu.stock_of("QJ-M") == 7


def test_seller_cancel_failed_delivery_and_return(emu, client):
    a = emu.create_order(lines=[{"sku": "AO-TRANG", "quantity": 1}])
    body = client.post(
        "order/cancel_order", {"order_sn": a.id, "cancel_reason": "CUSTOMER_REQUEST"}
    ).json()
    assert body["error"] == "" and emu.status_of(a) == "CANCELLED"
    b = emu.create_order(lines=[{"sku": "AO-TRANG", "quantity": 1}])
    emu.advance(b.id, "PROCESSED")
    emu.fail_next_delivery(b.id)
    emu.tick(3 * 3600)
    assert emu.status_of(b) == "CANCELLED" and b.cancel_reason == "Failed Delivery"
    detail = response(
        client.get(
            "order/get_order_detail",
            {"order_sn_list": b.id, "response_optional_fields": "package_list"},
        )
    )
    assert (
        detail["order_list"][0]["package_list"][0]["logistics_status"]
        == "LOGISTICS_DELIVERY_FAILED"
    )
    c = emu.create_order(lines=[{"sku": "AO-TRANG", "quantity": 1}])
    emu.advance(c.id, "PROCESSED")
    emu.tick(2 * 3600)
    emu.request_return(c.id)
    assert emu.status_of(c) == "TO_RETURN"
    client.refresh()
    unknown = client.get("order/get_order_detail", {"order_sn_list": "NOPE"}).json()
    assert unknown["error"] == "error_param"


def test_order_list_window_and_cursor(emu, client):
    for _ in range(7):
        emu.create_order(lines=[{"sku": "AO-TRANG", "quantity": 1}])
        emu.clock.advance(10)
    now = emu.clock.timestamp()
    too_long = client.get(
        "order/get_order_list",
        {
            "time_range_field": "create_time",
            "time_from": now - 16 * 86400,
            "time_to": now,
            "page_size": 5,
        },
    ).json()
    assert too_long["error"] == "order.order_list_invalid_time"
    seen, cursor = [], ""
    while True:
        page = response(
            client.get(
                "order/get_order_list",
                {
                    "time_range_field": "create_time",
                    "time_from": now - 3600,
                    "time_to": now,
                    "page_size": 3,
                    "cursor": cursor,
                },
            )
        )
        seen += [o["order_sn"] for o in page["order_list"]]
        if not page["more"]:
            break
        cursor = page["next_cursor"]
    assert sorted(seen) == sorted(emu.orders) and len(seen) == 7


# --------------------------------------------------------------------------- push, limits, faults


def test_push_is_signed_over_callback_url_and_raw_body(emu, recorder):
    emu.create_order(lines=[{"sku": "AO-TRANG", "quantity": 1}])
    emu.pump()
    call = recorder.calls[0]
    expected = signing.push_signature(emu.partner_key, PUSH_URL, call["body"])
    assert call["headers"]["Authorization"] == expected
    assert call["path"] == "/marketplaces/webhooks/shopee/"
    assert json.loads(call["body"])["code"] == 3


def test_push_duplicates_out_of_order_replay_and_lost_messages(emu, client, recorder):
    emu.webhooks.duplicate = True
    order = emu.create_order(lines=[{"sku": "AO-TRANG", "quantity": 1}])
    emu.pump()
    assert len(recorder.calls) == 2 and recorder.calls[0]["body"] == recorder.calls[1]["body"]
    emu.webhooks.duplicate = False
    replayed = client.http.post("/_emulator/webhooks", json={"replay": 1}).json()
    assert replayed["replayed"] == 1
    emu.pump()
    assert recorder.calls[-1]["body"] == recorder.calls[0]["body"]
    recorder.calls.clear()
    emu.webhooks.out_of_order = True
    emu.advance(order.id, "PROCESSED")
    emu.tick(3600)
    emu.pump()
    emu.pump(flush=True)
    statuses = [b["data"].get("status") for b in recorder.bodies if b["code"] == 3]
    assert statuses == ["SHIPPED", "PROCESSED"]
    # a receiver that keeps failing: after 3 retries the message is "lost", then listed
    emu.webhooks.out_of_order = False
    recorder.statuses = [500] * 10
    recorder.calls.clear()
    emu.tick(3600)
    for _ in range(4):
        emu.pump()
    lost = response(client.get("push/get_lost_push_message", public=True))
    assert [json.loads(m["data"])["status"] for m in lost["push_message_list"]] == [
        "TO_CONFIRM_RECEIVE"
    ]
    response(
        client.post(
            "push/confirm_consumed_lost_push_message",
            {"last_message_id": lost["last_message_id"]},
            public=True,
        )
    )
    assert (
        response(client.get("push/get_lost_push_message", public=True))["push_message_list"] == []
    )


def test_set_app_push_config(emu, client, recorder):
    response(
        client.post(
            "push/set_app_push_config",
            {"callback_url": "https://other.example/hook", "set_push_config_off": [3]},
            public=True,
        )
    )
    config = response(client.get("push/get_app_push_config", public=True))
    assert (
        config["callback_url"] == "https://other.example/hook"
        and 3 in config["push_config_off_list"]
    )
    order = emu.create_order(lines=[{"sku": "AO-TRANG", "quantity": 1}])
    emu.advance(order.id, "PROCESSED")
    emu.pump()
    (call,) = recorder.calls  # only the tracking push (code 4)
    assert json.loads(call["body"])["code"] == 4
    assert call["headers"]["Authorization"] == signing.push_signature(
        emu.partner_key, "https://other.example/hook", call["body"]
    )


def test_rate_limit_answers_429_until_the_window_passes(emu, client, fake_time):
    emu.limiter.configure(3, 1.0)
    codes = [client.get("shop/get_profile").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    body = client.get("shop/get_profile").json()
    assert body["error"] == "error_rate_limit"
    assert client.get("shop/get_shop_info").status_code == 200  # per API path
    fake_time.now += 1.0
    assert client.get("shop/get_profile").status_code == 200


def test_faults_5xx_timeouts_and_lost_answers(emu):
    c = Shopee(emu, transport=FaultyTransport(emu.wsgi_app, emu.faults))
    c.connect()
    emu.faults.fail_next(1, 503, paths="get_shop_info")
    assert c.get("shop/get_shop_info").status_code == 503
    assert c.get("shop/get_shop_info").status_code == 200
    order = emu.create_order(lines=[{"sku": "AO-TRANG", "quantity": 1}])
    emu.faults.timeout_next(1, after=True, paths="ship_order")
    with pytest.raises(httpx.ReadTimeout):
        c.post("logistics/ship_order", {"order_sn": order.id, "dropoff": {}})
    assert emu.status_of(order) == "PROCESSED"  # the answer was lost, the work was done
    emu.faults.timeout_next(1, paths="get_tracking_number")
    with pytest.raises(httpx.ConnectTimeout):
        c.get("logistics/get_tracking_number", {"order_sn": order.id})


def test_control_api_creates_orders_and_loads_products(emu, client):
    r = client.http.post(
        "/_emulator/products",
        json={"products": [{"name": "Mũ", "sku": "MU-1", "price": 50000, "stock": 3}]},
    )
    assert r.json()["ok"]
    r = client.http.post(
        "/_emulator/orders",
        json={
            "lines": [{"sku": "MU-1", "quantity": 2}],
            "payment": "prepaid",
            "platform_voucher": 5000,
        },
    )
    order = r.json()["order"]
    assert order["status"] == "UNPAID" and emu.stock_of("MU-1") == 1
    bad = client.http.post("/_emulator/orders", json={"lines": [{"sku": "MU-1", "quantity": 5}]})
    assert bad.status_code == 400 and "stock" in bad.json()["error"]
    assert client.http.post("/_emulator/pay", json={"order_code": order["order_sn"]}).json()["ok"]
    state = client.http.get("/_emulator/state").json()
    assert state["platform"] == "shopee" and state["orders"][0]["status"] == "READY_TO_SHIP"
    assert client.http.get("/_emulator/stock", params={"sku": "MU-1"}).json()["stock"] == 1
