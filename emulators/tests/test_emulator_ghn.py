import httpx
import pytest

from emulators.common import FaultyTransport
from emulators.tests.helpers import pdf_text


def order_body(**overrides):
    body = {
        "to_name": "Nguyễn Thị Ánh Dương",
        "to_phone": "0912345678",
        "to_address": "12 Lê Lợi",
        "is_new_to_address": True,
        "to_ward_name": "phuong sai gon",
        "to_province_name": "Hồ Chí Minh",
        "weight": 1200,
        "length": 20,
        "width": 15,
        "height": 10,
        "service_type_id": 2,
        "payment_type_id": 2,
        "required_note": "KHONGCHOXEMHANG",
        "cod_amount": 350000,
        "content": "Áo dài lụa",
        "client_order_code": "DH-0001",
    }
    body.update(overrides)
    return body


def create(client, **overrides):
    r = client.post("v2/shipping-order/create", json=order_body(**overrides))
    assert r.status_code == 200
    return r.json()


def detail(client, code):
    return client.post("v2/shipping-order/detail", json={"order_code": code}).json()["data"]


def test_auth_refused(ghn_client):
    r = ghn_client.post("master-data/province", headers={"Token": "nope"})
    assert r.status_code == 401 and r.json()["code"] == 401
    r = ghn_client.post("v2/shipping-order/create", json=order_body(), headers={"ShopId": "1"})
    assert r.status_code == 200
    assert r.json()["code"] == 400 and "ShopId" in r.json()["message"]
    r = ghn_client.post("v2/shipping-order/fee", json={}, headers={"ShopId": ""})
    assert r.json()["code"] == 400


def test_master_data_chain(ghn_client):
    provinces = ghn_client.post("master-data/province").json()["data"]
    assert len(provinces) == 34
    hcm = next(p for p in provinces if p["ProvinceName"] == "Thành phố Hồ Chí Minh")
    districts = ghn_client.post("master-data/district", json={"province_id": hcm["ProvinceID"]})
    (district,) = districts.json()["data"]
    wards = ghn_client.get("master-data/ward", params={"district_id": district["DistrictID"]})
    wards = wards.json()["data"]
    assert all(isinstance(w["WardCode"], str) for w in wards)
    assert any(w["WardName"] == "Phường Sài Gòn" for w in wards)
    bad = ghn_client.post("master-data/ward", json={"district_id": 1}).json()
    assert bad["code"] == 400 and bad["data"] is None


def test_shops_paging(ghn, ghn_client):
    hanoi = ghn.geo.cat.find_province("Hà Nội")
    for i in range(3):
        ghn.add_shop("demo-ghn-token", 900 + i, f"Shop {i}", "0900000000", "x", hanoi.wards[i])
    seen, offset = [], 0
    while True:
        data = ghn_client.post("v2/shop/all", json={"offset": offset, "limit": 2}).json()["data"]
        if not data["shops"]:
            break
        seen += [s["_id"] for s in data["shops"]]
        offset = data["last_offset"]
    assert seen == [885, 900, 901, 902]


def test_services_fee_leadtime(ghn_client):
    r = ghn_client.post(
        "v2/shipping-order/available-services", json={"shop_id": 885, "to_district": 3079}
    )
    assert {s["service_type_id"] for s in r.json()["data"]} == {2, 5}
    base = {"service_type_id": 2, "weight": 1000, "to_district_id": 3001}
    intra = ghn_client.post("v2/shipping-order/fee", json=base).json()["data"]
    far = ghn_client.post("v2/shipping-order/fee", json={**base, "to_district_id": 3079}).json()
    assert intra["total"] < far["data"]["total"]
    assert intra["cod_fee"] == 0
    rich = {**base, "cod_value": 4_000_000, "insurance_value": 2_000_000}
    rich = ghn_client.post("v2/shipping-order/fee", json=rich).json()["data"]
    assert rich["cod_fee"] == 20000 and rich["insurance_fee"] == 10000
    lt = ghn_client.post("v2/shipping-order/leadtime", json=base).json()["data"]
    assert lt["leadtime"] > lt["order_date"]


@pytest.mark.parametrize(
    ("overrides", "code_message"),
    [
        ({"to_name": ""}, "USER_ERR_COMMON"),
        ({"to_ward_name": "Phường Không Có"}, "WARD_IS_INVALID"),
        ({"to_province_name": "Atlantis"}, "PROVINCE_IS_INVALID"),
        (
            {"is_new_to_address": False, "to_district_id": 3079, "to_ward_code": "999"},
            "WARD_IS_INVALID",
        ),
        (
            {"is_new_to_address": False, "to_district_id": 3001, "to_ward_code": "525747"},
            "WARD_IS_INVALID",
        ),
        ({"weight": "1200"}, "USER_ERR_COMMON"),
        ({"weight": 60_000}, "USER_ERR_COMMON"),
        ({"length": 250}, "USER_ERR_COMMON"),
        ({"payment_type_id": 3}, "USER_ERR_COMMON"),
        ({"required_note": "CHOXEM"}, "USER_ERR_COMMON"),
        ({"cod_amount": 60_000_000}, "USER_ERR_COMMON"),
        ({"service_type_id": 5}, "USER_ERR_COMMON"),  # heavy needs items
        ({"service_type_id": None}, "USER_ERR_COMMON"),
    ],
)
def test_create_validation_envelopes(ghn_client, overrides, code_message):
    answer = create(ghn_client, **overrides)
    assert answer["code"] == 400
    assert answer["data"] is None
    assert answer["code_message"] == code_message
    assert answer["message"]


def test_create_old_model_and_preview(ghn, ghn_client):
    preview = ghn_client.post("v2/shipping-order/preview", json=order_body()).json()
    assert preview["code"] == 200 and preview["data"]["order_code"] == ""
    assert ghn.orders == {}
    answer = create(ghn_client, is_new_to_address=False, to_district_id=3079, to_ward_code="525747")
    assert answer["code"] == 200
    data = answer["data"]
    assert data["total_fee"] == sum(v for k, v in data["fee"].items() if k != "coupon")
    d = detail(ghn_client, data["order_code"])
    assert d["to_ward_name"] == "Phường Thủ Dầu Một" and d["status"] == "ready_to_pick"


def test_create_is_idempotent_by_client_order_code(ghn, ghn_client):
    first = create(ghn_client)["data"]
    again = create(ghn_client, to_name="Someone else")["data"]
    assert again["order_code"] == first["order_code"]
    assert len(ghn.orders) == 1
    by_ref = ghn_client.post(
        "v2/shipping-order/detail-by-client-code", json={"client_order_code": "DH-0001"}
    ).json()["data"]
    assert by_ref["order_code"] == first["order_code"]
    other = create(ghn_client, client_order_code="DH-0002")["data"]
    assert other["order_code"] != first["order_code"]


def test_unknown_order_is_an_envelope_error(ghn_client):
    r = ghn_client.post("v2/shipping-order/detail", json={"order_code": "NOPE"}).json()
    assert r["code"] == 400 and r["code_message"] == "ORDER_NOT_FOUND"


def test_status_progression_and_cancel_rules(ghn, ghn_client):
    code = create(ghn_client)["data"]["order_code"]
    ghn.advance(code)
    cancel = ghn_client.post("v2/switch-status/cancel", json={"order_codes": [code]}).json()
    assert cancel["data"] == [{"order_code": code, "result": True, "message": "OK"}]
    again = ghn_client.post("v2/switch-status/cancel", json={"order_codes": [code]}).json()
    assert again["data"][0]["result"] is True
    with pytest.raises(ValueError):
        ghn.advance(code)

    code2 = create(ghn_client, client_order_code="DH-0002")["data"]["order_code"]
    assert ghn.tick(2 * 3600) == 2
    assert detail(ghn_client, code2)["status"] == "picked"
    late = ghn_client.post("v2/switch-status/cancel", json={"order_codes": [code2]}).json()
    assert late["data"][0]["result"] is False
    ghn.tick(10 * 3600)
    d = detail(ghn_client, code2)
    assert d["status"] == "delivered" and d["is_cod_collected"] is True
    assert [e["status"] for e in d["log"]] == [
        "ready_to_pick",
        "picking",
        "picked",
        "storing",
        "transporting",
        "delivering",
        "delivered",
    ]
    assert d["is_cod_transferred"] is False
    ghn.mark_cod_transferred(code2)
    assert detail(ghn_client, code2)["is_cod_transferred"] is True


def test_failed_delivery_redeliver_and_return(ghn, ghn_client):
    code = create(ghn_client)["data"]["order_code"]
    ghn.fail_next_delivery(code, "GHN-DFC1A7")
    ghn.tick(7 * 3600)
    d = detail(ghn_client, code)
    assert d["status"] == "waiting_to_return" and d["log"][-2]["status"] == "delivery_fail"
    r = ghn_client.post("v2/switch-status/storing", json={"order_codes": [code]}).json()
    assert r["data"][0]["result"] is True
    ghn.tick(3 * 3600)
    assert detail(ghn_client, code)["status"] == "delivered"

    code2 = create(ghn_client, client_order_code="R-2")["data"]["order_code"]
    ghn.fail_next_delivery(code2)
    ghn.tick(7 * 3600)
    assert detail(ghn_client, code2)["status"] == "waiting_to_return"
    ghn.tick(27 * 3600)  # nobody decided: back to the sender
    d = detail(ghn_client, code2)
    assert d["status"] == "returned" and d["fee"]["return"] > 0
    early = create(ghn_client, client_order_code="R-3")["data"]["order_code"]
    refused = ghn_client.post("v2/switch-status/return", json={"order_codes": [early]}).json()
    assert refused["data"][0]["result"] is False


def test_update_cod(ghn, ghn_client, recorder):
    code = create(ghn_client)["data"]["order_code"]
    r = ghn_client.post(
        "v2/shipping-order/updateCOD", json={"order_code": code, "cod_amount": 5_000_000}
    )
    assert r.json()["code"] == 200
    assert detail(ghn_client, code)["fee"]["cod_fee"] == 25000
    ghn.pump()
    assert [b["Type"] for b in recorder.bodies] == ["create", "update_cod"]
    assert recorder.bodies[-1]["CODAmount"] == 5_000_000


def test_webhook_fields_secret_and_retries(ghn, ghn_client, recorder):
    code = create(ghn_client)["data"]["order_code"]
    ghn.advance(code)
    recorder.statuses = [500]
    assert ghn.pump() == 1  # create failed, picking delivered
    assert ghn.pump() == 1  # create retried: it now arrives after the later event
    assert ghn.pump() == 0
    assert [b["Type"] for b in recorder.bodies] == ["create", "switch_status", "create"]
    hook = recorder.calls[-1]
    assert hook["path"] == "/shipping/webhooks/ghn/"
    assert hook["headers"]["X-Webhook-Secret"] == "s3cret"
    body = recorder.bodies[1]
    for key in (
        "OrderCode",
        "ClientOrderCode",
        "ShopID",
        "Status",
        "Type",
        "Time",
        "Description",
        "Reason",
        "ReasonCode",
        "Warehouse",
        "Weight",
        "ConvertedWeight",
        "CODAmount",
        "CODTransferDate",
        "PaymentType",
        "TotalFee",
        "Fee",
    ):
        assert key in body
    assert body["Status"] == "picking" and body["Type"] == "switch_status"
    assert body["Fee"]["Total"] == body["TotalFee"]


def test_webhook_gives_up_after_ten_retries(ghn, ghn_client, recorder):
    create(ghn_client)
    recorder.statuses = [503] * 30
    for _ in range(15):
        ghn.pump()
    assert len(recorder.calls) == 11 and len(ghn.webhooks.failed) == 1


def test_webhook_duplicates_and_out_of_order(ghn, ghn_client, recorder):
    ghn.webhooks.duplicate = True
    ghn.webhooks.out_of_order = True
    code = create(ghn_client)["data"]["order_code"]
    ghn.tick(3600)
    ghn.pump()
    ghn.webhooks.flush()
    seen = [(b["Type"], b["Status"]) for b in recorder.bodies]
    assert sorted(seen) == sorted(
        [("create", "ready_to_pick")] * 2 + [("switch_status", "picking")] * 2
    )
    assert seen[-1] == ("create", "ready_to_pick")  # held back, sent after later events
    assert all(b["OrderCode"] == code for b in recorder.bodies)


def test_fault_injection_500_rate(ghn, ghn_client):
    ghn.faults.fail_rate(0.5, status=500, paths="master-data")
    statuses = [ghn_client.post("master-data/province").status_code for _ in range(20)]
    assert 500 in statuses and 200 in statuses
    assert ghn_client.post("v2/shop/all", json={}).status_code == 200


def test_read_timeout_after_create_leaves_the_order(ghn):
    client = httpx.Client(
        transport=FaultyTransport(ghn.wsgi_app, ghn.faults),
        base_url="http://ghn/shiip/public-api/",
        headers={"Token": "demo-ghn-token", "ShopId": "885"},
    )
    ghn.faults.timeout_next(1, after=True, paths="shipping-order/create")
    with pytest.raises(httpx.ReadTimeout):
        client.post("v2/shipping-order/create", json=order_body())
    found = client.post(
        "v2/shipping-order/detail-by-client-code", json={"client_order_code": "DH-0001"}
    ).json()
    assert found["code"] == 200 and found["data"]["status"] == "ready_to_pick"
    retry = client.post("v2/shipping-order/create", json=order_body()).json()
    assert retry["data"]["order_code"] == found["data"]["order_code"]


def test_label_html_and_pdf(ghn, ghn_client, tmp_path):
    code = create(ghn_client)["data"]["order_code"]
    token = ghn_client.post("v2/a5/gen-token", json={"order_codes": [code]}).json()["data"]["token"]
    page = httpx.Client(transport=httpx.WSGITransport(app=ghn.wsgi_app), base_url="http://ghn")
    html = page.get("/a5/public-api/printA5", params={"token": token})
    assert html.status_code == 200 and "Nguyễn Thị Ánh Dương" in html.text
    pdf = page.get(
        "/a5/public-api/print80x80", params={"token": token}, headers={"Accept": "application/pdf"}
    )
    assert pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content, tmp_path)
    assert "Nguyễn Thị Ánh Dương" in text and code in text
    ghn.clock.advance(31 * 60)
    assert page.get("/a5/public-api/printA5", params={"token": token}).status_code == 400


def test_http_control_endpoints(ghn, ghn_client):
    code = create(ghn_client)["data"]["order_code"]
    ctl = httpx.Client(transport=httpx.WSGITransport(app=ghn.wsgi_app), base_url="http://ghn")
    r = ctl.post("/_emulator/advance", json={"order_code": code, "to_status": "picked"})
    assert r.json()["order"]["status"] == "picked"
    assert ctl.post("/_emulator/tick", json={"seconds": 3600}).json()["moved"] == 1
    assert ctl.post("/_emulator/pump").json()["delivered"] == 3
    state = ctl.get("/_emulator/state").json()
    assert state["orders"][0]["status"] == "storing"
    assert (
        ctl.post("/_emulator/faults", json={"action": "fail_next", "status": 502}).status_code
        == 200
    )
    assert ghn_client.post("master-data/province").status_code == 502
    assert ctl.post("/_emulator/advance", json={"order_code": "X"}).status_code == 400
