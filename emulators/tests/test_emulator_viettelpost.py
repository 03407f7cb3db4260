import httpx
import pytest

from emulators.common import FaultyTransport
from emulators.ghn.model import ward_code
from emulators.tests.helpers import pdf_text, vtp_login

HANOI, HCM = 1, 28  # PROVINCE_ID by rank of national code


def ward_id(vtp, province, name):
    p = vtp.geo.cat.find_province(province)
    return vtp.geo.ward_id(vtp.geo.cat.find_ward(p, name))


def order_body(vtp, **overrides):
    body = {
        "ORDER_NUMBER": "DH-0001",
        "CHECK_UNIQUE": True,
        "GROUPADDRESS_ID": 0,
        "CUS_ID": 0,
        "SENDER_FULLNAME": "Kho Demo",
        "SENDER_PHONE": "0909123456",
        "SENDER_ADDRESS": "12 Nguyễn Huệ",
        "SENDER_PROVINCE": HCM,
        "SENDER_DISTRICT": 0,
        "SENDER_WARD": ward_id(vtp, "Hồ Chí Minh", "Phường Sài Gòn"),
        "RECEIVER_FULLNAME": "Trần Thị Ngọc Hằng",
        "RECEIVER_PHONE": "0987654321",
        "RECEIVER_ADDRESS": "5 Tràng Tiền",
        "RECEIVER_PROVINCE": HANOI,
        "RECEIVER_DISTRICT": 901,
        "RECEIVER_WARD": ward_id(vtp, "Hà Nội", "Phường Hoàn Kiếm"),
        "PRODUCT_NAME": "Nón lá",
        "PRODUCT_WEIGHT": 800,
        "PRODUCT_PRICE": 300000,
        "ORDER_PAYMENT": 3,
        "ORDER_SERVICE": "VCN",
        "MONEY_COLLECTION": 300000,
    }
    body.update(overrides)
    return body


def create(client, vtp, **overrides):
    r = client.post("/v2/order/createOrder", json=order_body(vtp, **overrides))
    assert r.status_code == 200
    return r.json()


def update(client, waybill, kind):
    body = {"TYPE": kind, "ORDER_NUMBER": waybill, "NOTE": "test"}
    return client.post("/v2/order/UpdateOrder", json=body).json()


def test_login_and_token_rules(vtp):
    c = httpx.Client(transport=httpx.WSGITransport(app=vtp.wsgi_app), base_url="http://vtp")
    bad = c.post("/v2/user/Login", json={"USERNAME": "demo@donhang.vn", "PASSWORD": "x"}).json()
    assert bad["error"] is True and bad["message"] == "Invalid owner account or password!"
    r = c.get("/v2/user/listInventory", headers={"Token": "junk"})
    assert r.status_code == 200
    assert r.json() == {
        "status": 401,
        "error": True,
        "message": "Token invalid (or expired)",
        "data": None,
    }
    body = {"USERNAME": "demo@donhang.vn", "PASSWORD": "demo-password"}
    short = c.post("/v2/user/Login", json=body).json()["data"]["token"]
    assert c.post("/v2/user/ownerconnect", json=body).json()["status"] == 401
    long = c.post("/v2/user/ownerconnect", json=body, headers={"Token": short}).json()["data"][
        "token"
    ]
    vtp.clock.advance(25 * 3600)
    assert c.get("/v2/user/listInventory", headers={"Token": short}).json()["status"] == 401
    assert c.get("/v2/user/listInventory", headers={"Token": long}).json()["error"] is False


def test_master_data_old_and_new(vtp, vtp_client, ghn):
    provinces = vtp_client.get("/v3/categories/listProvinceNew").json()["data"]
    assert len(provinces) == 34 and provinces[0]["PROVINCE_NAME"] == "Thành phố Hà Nội"
    old = vtp_client.get("/v2/categories/listProvinceById", params={"provinceId": -1}).json()
    assert old["data"] == provinces
    (district,) = vtp_client.get("/v2/categories/listDistrict", params={"provinceId": HCM}).json()[
        "data"
    ]
    assert district["DISTRICT_VALUE"] == "NEW"
    wards = vtp_client.get(
        "/v2/categories/listWards", params={"districtId": district["DISTRICT_ID"]}
    ).json()["data"]
    new_wards = vtp_client.get("/v3/categories/listWardsNew", params={"provinceId": HCM}).json()
    assert [w["WARDS_ID"] for w in wards] == [w["WARDS_ID"] for w in new_wards["data"]]
    saigon = next(w for w in wards if w["WARDS_NAME"] == "Phường Sài Gòn")
    ghn_saigon = ward_code(
        ghn.geo.cat.find_ward(ghn.geo.cat.find_province("Hồ Chí Minh"), "Sài Gòn")
    )
    assert str(saigon["WARDS_ID"]) != ghn_saigon  # carriers use their own ids


def test_inventory(vtp_client):
    (inv,) = vtp_client.get("/v2/user/listInventory").json()["data"]
    assert {"groupaddressId", "cusId", "provinceId", "wardsId"} <= inv.keys()


def test_prices(vtp, vtp_client):
    route = {"SENDER_PROVINCE": HCM, "RECEIVER_PROVINCE": HANOI, "PRODUCT_WEIGHT": 800}
    services = vtp_client.post("/v2/order/getPriceAll", json=route).json()
    assert isinstance(services, list)
    assert {s["MA_DV_CHINH"] for s in services} == {"VCN", "VTK"}
    assert all(s["GIA_CUOC"] > 0 and s["THOI_GIAN"] for s in services)
    local = vtp_client.post(
        "/v2/order/getPriceAll", json={**route, "RECEIVER_PROVINCE": HCM}
    ).json()
    assert {"PTN", "VHT", "PHS"} <= {s["MA_DV_CHINH"] for s in local}
    one = vtp_client.post("/v2/order/getPrice", json={**route, "ORDER_SERVICE": "VCN"}).json()
    assert one["data"]["MONEY_TOTAL"] > one["data"]["MONEY_TOTAL_FEE"] and one["data"]["KPI_HT"]
    off = vtp_client.post("/v2/order/getPrice", json={**route, "ORDER_SERVICE": "PTN"}).json()
    assert off == {
        "status": 204,
        "error": True,
        "message": "Price does not apply to this itinerary!",
        "data": None,
    }


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"RECEIVER_WARD": 999}, "Incorrect data: RECEIVER_WARD"),
        ({"RECEIVER_WARD": 0}, "Incorrect data: RECEIVER_WARD"),
        ({"RECEIVER_DISTRICT": 928}, "Incorrect data: RECEIVER_DISTRICT"),
        ({"RECEIVER_PROVINCE": 99}, "Incorrect data: RECEIVER_PROVINCE"),
        ({"SENDER_WARD": 100004}, "Incorrect data: SENDER_WARD"),
        ({"RECEIVER_FULLNAME": ""}, "Incorrect data: RECEIVER_FULLNAME"),
        ({"RECEIVER_PHONE": "12"}, "Incorrect data: RECEIVER_PHONE"),
        ({"ORDER_PAYMENT": 5}, "Incorrect data: ORDER_PAYMENT"),
        ({"ORDER_PAYMENT": 1}, "Incorrect data: MONEY_COLLECTION"),
        ({"ORDER_SERVICE": "XYZ"}, "Incorrect data: ORDER_SERVICE"),
        ({"ORDER_SERVICE": "PTN"}, "Price does not apply to this itinerary!"),
        ({"PRODUCT_WEIGHT": "heavy"}, "Incorrect data: PRODUCT_WEIGHT"),
        ({"GROUPADDRESS_ID": 42}, "Groupaddress is invalid"),
    ],
)
def test_create_validation(vtp, vtp_client, overrides, message):
    answer = create(vtp_client, vtp, **overrides)
    assert answer["error"] is True and answer["message"] == message and answer["data"] is None


def test_create_with_warehouse_and_check_unique(vtp, vtp_client):
    first = create(vtp_client, vtp, SENDER_FULLNAME="", SENDER_WARD=0, GROUPADDRESS_ID=5818801)
    assert first["error"] is False
    data = first["data"]
    assert data["ORDER_NUMBER"] != "DH-0001"
    assert {"MONEY_TOTAL", "MONEY_COLLECTION", "KPI_HT", "EXCHANGE_WEIGHT"} <= data.keys()
    again = create(vtp_client, vtp)
    assert again["data"]["ORDER_NUMBER"] == data["ORDER_NUMBER"]
    unchecked = create(vtp_client, vtp, CHECK_UNIQUE=False)
    assert unchecked["data"]["ORDER_NUMBER"] != data["ORDER_NUMBER"]


def test_status_progression_and_webhooks(vtp, vtp_client, recorder):
    waybill = create(vtp_client, vtp)["data"]["ORDER_NUMBER"]
    assert vtp.tick(9 * 3600) == 9
    vtp.pump()
    statuses = [b["DATA"]["ORDER_STATUS"] for b in recorder.bodies]
    assert statuses == [-100, 100, 102, 103, 105, 200, 300, 400, 500, 501]
    hook = recorder.bodies[-1]
    assert hook["TOKEN"] == "s3cret"
    assert recorder.calls[-1]["path"] == "/shipping/webhooks/viettelpost/"
    data = hook["DATA"]
    assert data["ORDER_NUMBER"] == waybill and data["ORDER_REFERENCE"] == "DH-0001"
    assert data["ORDER_STATUSDATE"] == "05/01/2026 17:00:00"
    for key in (
        "STATUS_NAME",
        "LOCALION_CURRENTLY",
        "NOTE",
        "MONEY_COLLECTION",
        "MONEY_FEECOD",
        "MONEY_TOTALFEE",
        "MONEY_TOTAL",
        "EXPECTED_DELIVERY",
        "PRODUCT_WEIGHT",
        "ORDER_SERVICE",
        "ORDER_PAYMENT",
        "IS_RETURNING",
        "REASON_CODE",
    ):
        assert key in data
    with pytest.raises(ValueError):
        vtp.advance(waybill)  # 501 is terminal: no more events
    assert vtp.tick(48 * 3600) == 0
    vtp.mark_cod_transferred(waybill)
    vtp.pump()
    assert len(recorder.calls) == 10


def test_update_order_rules(vtp, vtp_client, recorder):
    waybill = create(vtp_client, vtp)["data"]["ORDER_NUMBER"]
    assert update(vtp_client, waybill, 1)["error"] is False  # approve -100 → 100
    assert update(vtp_client, waybill, 2)["error"] is True  # only at 505
    assert update(vtp_client, waybill, 4)["error"] is False
    assert vtp.orders[waybill].status == 107
    assert update(vtp_client, waybill, 4)["error"] is True
    assert update(vtp_client, waybill, 11)["error"] is False
    assert update(vtp_client, waybill, 4)["message"] == "Incorrect data: ORDER_NUMBER"

    picked = create(vtp_client, vtp, ORDER_NUMBER="DH-2")["data"]["ORDER_NUMBER"]
    vtp.advance(picked, 105)
    assert update(vtp_client, picked, 4)["error"] is True
    vtp.advance(picked, 200)
    assert update(vtp_client, picked, 4)["error"] is True
    assert update(vtp_client, picked, 9)["message"] == "Incorrect data: TYPE"


def test_failure_path_deliver_again_and_return(vtp, vtp_client, recorder):
    waybill = create(vtp_client, vtp)["data"]["ORDER_NUMBER"]
    vtp.fail_next_delivery(waybill, "35")
    vtp.tick(10 * 3600)
    assert vtp.orders[waybill].status == 505
    assert update(vtp_client, waybill, 3)["error"] is False
    vtp.tick(2 * 3600)
    assert vtp.orders[waybill].status == 501

    other = create(vtp_client, vtp, ORDER_NUMBER="DH-3")["data"]["ORDER_NUMBER"]
    vtp.fail_next_delivery(other)
    vtp.tick(10 * 3600)
    assert update(vtp_client, other, 2)["error"] is False
    vtp.tick(3600)
    assert vtp.orders[other].status == 504
    vtp.pump()
    tail = [b["DATA"] for b in recorder.bodies if b["DATA"]["ORDER_NUMBER"] == other][-4:]
    assert [d["ORDER_STATUS"] for d in tail] == [506, 505, 502, 504]
    assert tail[0]["REASON_CODE"] == "36" and tail[-1]["IS_RETURNING"] is True


def test_webhook_retries_five_times(vtp, vtp_client, recorder):
    create(vtp_client, vtp)
    recorder.statuses = [500] * 10
    for _ in range(8):
        vtp.pump()
    assert len(recorder.calls) == 6 and len(vtp.webhooks.failed) == 1


def test_faults_on_create(vtp, vtp_client, recorder):
    vtp.faults.fail_next(1, status=503, paths="createOrder")
    assert vtp_client.post("/v2/order/createOrder", json=order_body(vtp)).status_code == 503
    assert vtp.orders == {}
    client = httpx.Client(
        transport=FaultyTransport(vtp.wsgi_app, vtp.faults),
        base_url="http://vtp",
        headers={"Token": vtp_client.headers["Token"]},
    )
    vtp.faults.timeout_next(1, after=True, paths="createOrder")
    with pytest.raises(httpx.ReadTimeout):
        client.post("/v2/order/createOrder", json=order_body(vtp))
    vtp.pump()  # the waybill arrives by webhook
    (hook,) = recorder.bodies
    assert hook["DATA"]["ORDER_REFERENCE"] == "DH-0001"
    retry = client.post("/v2/order/createOrder", json=order_body(vtp)).json()
    assert retry["data"]["ORDER_NUMBER"] == hook["DATA"]["ORDER_NUMBER"]


def test_label_print(vtp, vtp_client, tmp_path):
    waybill = create(vtp_client, vtp)["data"]["ORDER_NUMBER"]
    expiry = int(vtp.clock.now().timestamp() * 1000) + 3_600_000
    r = vtp_client.post(
        "/v2/order/printing-code", json={"EXPIRY_TIME": expiry, "ORDER_ARRAY": [waybill]}
    ).json()
    assert r["error"] is False
    code = r["message"]
    page = httpx.Client(transport=httpx.WSGITransport(app=vtp.wsgi_app), base_url="http://print")
    html = page.get("/DigitalizePrint/report.do", params={"type": 1, "bill": code})
    assert "Trần Thị Ngọc Hằng" in html.text
    pdf = page.get(
        "/DigitalizePrint/report.do",
        params={"type": 2, "bill": code, "showPostage": 1},
        headers={"Accept": "application/pdf"},
    )
    text = pdf_text(pdf.content, tmp_path)
    assert "Trần Thị Ngọc Hằng" in text and waybill in text
    past = vtp_client.post(
        "/v2/order/printing-code", json={"EXPIRY_TIME": 1000, "ORDER_ARRAY": [waybill]}
    ).json()
    assert past["message"] == "Incorrect data: EXPIRY_TIME"


def test_second_account_is_isolated(vtp, vtp_client):
    waybill = create(vtp_client, vtp)["data"]["ORDER_NUMBER"]
    vtp.add_user("other@shop.vn", "pw", inventory_ward=vtp.orders[waybill].receiver_ward)
    c = httpx.Client(transport=httpx.WSGITransport(app=vtp.wsgi_app), base_url="http://vtp")
    c.headers["Token"] = vtp_login(c, "other@shop.vn", "pw")
    assert update(c, waybill, 4)["message"] == "Incorrect data: ORDER_NUMBER"
    assert create(c, vtp)["data"]["ORDER_NUMBER"] != waybill  # references are per account


def test_static_token_for_the_demo():
    from emulators.viettelpost import ViettelPostEmulator

    vtp = ViettelPostEmulator(static_token="demo-vtp-token")
    c = httpx.Client(transport=httpx.WSGITransport(app=vtp.wsgi_app), base_url="http://vtp")
    answer = c.get("/v2/user/listInventory", headers={"Token": "demo-vtp-token"}).json()
    assert answer["error"] is False
