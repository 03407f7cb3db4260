"""The Viettel SInvoice emulator: auth, issuing, refusals, idempotency, adjustments, faults."""

import base64
import copy
import io
import zipfile

import httpx
import pytest

from emulators.common import FaultyTransport
from emulators.sinvoice import SInvoiceEmulator
from emulators.tests.helpers import pdf_text

TAX = "0107654326"
API = "/services/einvoiceapplication/api/InvoiceAPI/"
CREATE = API + f"InvoiceWS/createInvoice/{TAX}"
SEARCH = API + "InvoiceWS/searchInvoiceByTransactionUuid"
FILE = API + "InvoiceUtilsWS/getInvoiceRepresentationFile"
FORM = {"Content-Type": "application/x-www-form-urlencoded;"}


@pytest.fixture
def sinv():
    return SInvoiceEmulator()


def login(client, username=TAX, password="demo-password"):
    return client.post("/auth/login", json={"username": username, "password": password})


@pytest.fixture
def client(sinv):
    with httpx.Client(
        transport=httpx.WSGITransport(app=sinv.wsgi_app), base_url="https://api-vinvoice.viettel.vn"
    ) as c:
        c.cookies.set("access_token", login(c).json()["access_token"])
        yield c


def line(n, *, net=91667, vat=7333, pct=8, qty=1, **extra):
    return {
        "lineNumber": n,
        "selection": 1,
        "itemCode": f"SKU-{n}",
        "itemName": "Nón lá Huế",
        "unitName": "cái",
        "quantity": qty,
        "unitPrice": net / qty,
        "itemTotalAmountWithoutTax": net,
        "taxPercentage": pct,
        "taxAmount": vat,
        "itemTotalAmountWithTax": net + vat,
        **extra,
    }


def invoice_body(sinv, uuid="DH-0001-original", **general):
    """Three lines of 99.000 ₫ at 8 %: the 8 % row is 275.001 / 21.999 (297.000 in all)."""
    return {
        "generalInvoiceInfo": {
            "transactionUuid": uuid,
            "invoiceType": "1",
            "templateCode": "1/001",
            "invoiceSeries": "C26TAA",
            "invoiceIssuedDate": sinv.clock.timestamp() * 1000,
            "currencyCode": "VND",
            "adjustmentType": "1",
            "paymentStatus": False,
            "cusGetInvoiceRight": True,
            "validation": 1,
            **general,
        },
        "buyerInfo": {
            "buyerName": "Trần Thị Ngọc Hằng",
            "buyerLegalName": "Công ty TNHH Ánh Dương",
            "buyerTaxCode": "0100109106-505",
            "buyerAddressLine": "5 Tràng Tiền, Hà Nội",
            "buyerPhoneNumber": "0987654321",
            "buyerEmail": "ketoan@anhduong.vn",
            "buyerNotGetInvoice": 0,
        },
        "sellerInfo": {"sellerLegalName": "Cửa hàng Demo donhang", "sellerTaxCode": TAX},
        "payments": [{"paymentMethodName": "TM/CK"}],
        "itemInfo": [line(1), line(2), line(3)],
        "taxBreakdowns": [{"taxPercentage": 8, "taxableAmount": 275001, "taxAmount": 21999}],
        "summarizeInfo": {
            "totalAmountWithoutTax": 275001,
            "totalTaxAmount": 21999,
            "totalAmountWithTax": 297000,
            "totalAmountWithTaxInWords": "ignored: SInvoice regenerates the words",
        },
    }


def create(client, body, tax=TAX):
    r = client.post(API + f"InvoiceWS/createInvoice/{tax}", json=body)
    assert r.status_code == 200
    return r.json()


def search(client, uuid):
    params = {"supplierTaxCode": TAX, "transactionUuid": uuid}
    return client.post(SEARCH, params=params, headers=FORM).json()


def count(sinv):
    return len(sinv.all_invoices())


# --------------------------------------------------------------------------- auth


def test_login_and_token_rules(sinv):
    c = httpx.Client(transport=httpx.WSGITransport(app=sinv.wsgi_app), base_url="http://sinv")
    bad = login(c, password="wrong")
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
    answer = login(c).json()
    assert answer["expires_in"] == 300 and answer["token_type"] == "bearer"
    token = answer["access_token"]
    body = {"taxCode": TAX, "invoiceType": "all"}
    path = API + "InvoiceUtilsWS/getAllInvoiceTemplates"

    none = c.post(path, json=body)
    assert none.status_code == 401 and none.json()["error"] == "unauthorized"
    junk = c.post(path, json=body, headers={"Authorization": "Bearer junk"})
    assert junk.status_code == 401 and junk.json()["error"] == "invalid_token"
    assert c.post(path, json=body, headers={"Cookie": f"access_token={token}"}).status_code == 200
    assert c.post(path, json=body, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    basic = base64.b64encode(f"{TAX}:demo-password".encode()).decode()
    assert c.post(path, json=body, headers={"Authorization": f"Basic {basic}"}).status_code == 200
    bad_basic = base64.b64encode(f"{TAX}:nope".encode()).decode()
    assert (
        c.post(path, json=body, headers={"Authorization": f"Basic {bad_basic}"}).status_code == 401
    )

    sinv.tick(301)
    expired = c.post(path, json=body, headers={"Cookie": f"access_token={token}"})
    assert expired.status_code == 401
    assert expired.json()["error_description"].startswith("Access token expired")


def test_templates_of_the_account(client):
    path = API + "InvoiceUtilsWS/getAllInvoiceTemplates"
    answer = client.post(path, json={"taxCode": TAX, "invoiceType": "all"}).json()
    assert answer["errorCode"] is None
    assert {(t["templateCode"], t["invoiceSeri"]) for t in answer["template"]} == {
        ("1/001", "C26TAA"),
        ("1/001", "C26TAB"),
    }
    other = client.post(path, json={"taxCode": "0100109106", "invoiceType": "all"}).json()
    assert other["errorCode"] == "INVALID_SUPPLIER_TAX_CODE"


# --------------------------------------------------------------------------- issuing


def test_issue_lookup_and_files(sinv, client, tmp_path):
    answer = create(client, invoice_body(sinv))
    assert answer["errorCode"] is None
    result = answer["result"]
    assert result["invoiceNo"] == "C26TAA1"
    assert len(result["codeOfTax"]) == 34  # coded series: the CQT code comes with the answer
    assert len(result["reservationCode"]) == 10

    found = search(client, "DH-0001-original")
    assert found["errorCode"] is None
    (item,) = found["result"]
    assert item["invoiceNo"] == "C26TAA1" and item["status"] == "Chưa thanh toán"
    assert item["state"] == "ISSUED" and item["total"] == 297000
    assert item["issueDate"] == sinv.clock.timestamp() * 1000
    missing = search(client, "DH-never-sent")
    assert missing["errorCode"] == "NOT_FOUND_DATA" and "result" not in missing

    body = {"supplierTaxCode": TAX, "templateCode": "1/001", "invoiceNo": "C26TAA1"}
    pdf = client.post(FILE, json={**body, "fileType": "PDF"}).json()
    assert pdf["fileName"] == "C26TAA1.pdf"
    text = pdf_text(base64.b64decode(pdf["fileToBytes"]), tmp_path)
    for expected in (
        "C26TAA",
        "Công ty TNHH Ánh Dương",
        "Nón lá Huế",
        "297.000",
        result["codeOfTax"],
    ):
        assert expected in text
    assert "Hai trăm chín mươi bảy nghìn đồng" in text  # regenerated words

    zipped = client.post(FILE, json={**body, "fileType": "ZIP"}).json()
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(zipped["fileToBytes"]))) as outer:
        inner = zipfile.ZipFile(io.BytesIO(outer.read(outer.infolist()[0])))
        assert sorted(inner.namelist()) == ["C26TAA1.xml", "C26TAA1.xsl"]
        assert b"<MCCQT>" + result["codeOfTax"].encode() in inner.read("C26TAA1.xml")
    unknown = client.post(FILE, json={**body, "invoiceNo": "C26TAA9", "fileType": "PDF"}).json()
    assert unknown["errorCode"] == "NOT_FOUND_DATA"


def test_numbers_are_sequential_per_series(sinv, client):
    numbers = [
        create(client, invoice_body(sinv, f"DH-seq-{i:06d}", invoiceSeries=series))["result"][
            "invoiceNo"
        ]
        for i, series in enumerate(["C26TAA", "C26TAB", "C26TAA", "C26TAA"])
    ]
    assert numbers == ["C26TAA1", "C26TAB1", "C26TAA2", "C26TAA3"]


def test_same_transaction_uuid_within_three_days_returns_the_invoice(sinv, client):
    first = create(client, invoice_body(sinv))["result"]
    sinv.tick(2 * 86400)
    client.cookies.set("access_token", login(client).json()["access_token"])
    changed = invoice_body(sinv)
    changed["buyerInfo"]["buyerName"] = "Someone else"
    again = create(client, changed)
    assert again["errorCode"] is None and again["result"] == first
    assert count(sinv) == 1

    sinv.tick(86400 + 1)  # past the window: the uuid makes a new invoice
    client.cookies.set("access_token", login(client).json()["access_token"])
    later = create(client, invoice_body(sinv))["result"]
    assert later["invoiceNo"] == "C26TAA2"
    assert [i["invoiceNo"] for i in search(client, "DH-0001-original")["result"]] == [
        "C26TAA1",
        "C26TAA2",
    ]


def test_individual_buyer_and_one_dong_rounding_are_accepted(sinv, client):
    body = invoice_body(sinv)
    body["buyerInfo"] = {"buyerName": "Nguyễn Văn An", "buyerTaxCode": "001203004567"}
    # 10.010 ₫ at 8 %: no whole-đồng net gives the rounded VAT; net 9.268, VAT 742 (741 + 1).
    body["itemInfo"] = [line(1, net=9268, vat=742)]
    body["taxBreakdowns"] = [{"taxPercentage": 8, "taxableAmount": 9268, "taxAmount": 742}]
    body["summarizeInfo"] = {}
    assert create(client, body)["errorCode"] is None


def test_payment_status_flag(sinv, client):
    create(client, invoice_body(sinv))
    form = {"supplierTaxCode": TAX, "invoiceNo": "C26TAA1", "templateCode": "1/001"}
    assert client.post(API + "InvoiceWS/updatePaymentStatus", data=form).json()["errorCode"] is None
    assert search(client, "DH-0001-original")["result"][0]["status"] == "Đã thanh toán"
    again = client.post(API + "InvoiceWS/updatePaymentStatus", data=form).json()
    assert again["errorCode"] == "NOT_FOUND_DATA"
    assert client.post(API + "InvoiceWS/cancelPaymentStatus", data=form).json()["errorCode"] is None


# --------------------------------------------------------------------------- refusals


def _set(body, path, value):
    target = body
    *parents, last = path
    for key in parents:
        target = target[key]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value


REFUSALS = [
    ("seller tax code", ("sellerInfo", "sellerTaxCode"), "0100109106", "INVALID_SELLER_TAX_CODE"),
    ("unknown template", ("generalInvoiceInfo", "templateCode"), "1/002", "TEMPLATE_NOT_FOUND"),
    (
        "unknown series",
        ("generalInvoiceInfo", "invoiceSeries"),
        "C26TZZ",
        "INVOICE_SERIES_NOT_FOUND",
    ),
    ("short uuid", ("generalInvoiceInfo", "transactionUuid"), "DH-1", "TRANSACTION_UUID_INVALID"),
    ("type", ("generalInvoiceInfo", "invoiceType"), "2", "INVOICE_TYPE_INVALID"),
    (
        "adjustment 7",
        ("generalInvoiceInfo", "adjustmentType"),
        "7",
        "ADJUSTMENT_TYPE_NOT_SUPPORTED",
    ),
    ("company without tax code", ("buyerInfo", "buyerTaxCode"), "", "BUYER_TAX_CODE_REQUIRED"),
    ("bad check digit", ("buyerInfo", "buyerTaxCode"), "0100109107", "INVALID_BUYER_TAX_CODE"),
    ("branch 000", ("buyerInfo", "buyerTaxCode"), "0100109106-000", "INVALID_BUYER_TAX_CODE"),
    ("no buyer name", ("buyerInfo",), {"buyerTaxCode": "0100109106"}, "REQUIRED_FIELD_MISSING"),
    ("phone", ("buyerInfo", "buyerPhoneNumber"), "+84 987 654 321", "INVALID_BUYER_PHONE"),
    ("payment", ("payments",), [{"paymentMethodName": "COD"}], "INVALID_PAYMENT_METHOD"),
    ("vat off by 2", ("itemInfo", 0, "taxAmount"), 7335, "INVALID_TAX_AMOUNT"),
    ("with tax", ("itemInfo", 0, "itemTotalAmountWithTax"), 99001, "INVALID_ITEM_AMOUNT"),
    ("qty x price", ("itemInfo", 0, "unitPrice"), 90000, "INVALID_ITEM_AMOUNT"),
    ("rate 7", ("itemInfo", 0, "taxPercentage"), 7, "INVALID_TAX_PERCENTAGE"),
    ("fraction", ("itemInfo", 0, "itemTotalAmountWithoutTax"), 91667.5, "INVALID_NUMBER"),
    ("no lines", ("itemInfo",), [], "REQUIRED_FIELD_MISSING"),
    ("row", ("taxBreakdowns", 0, "taxableAmount"), 275000, "INVALID_TAX_BREAKDOWN"),
    ("row tax", ("taxBreakdowns", 0, "taxAmount"), 22000, "INVALID_TAX_BREAKDOWN"),
    ("no rows", ("taxBreakdowns",), KeyError, "INVALID_TAX_BREAKDOWN"),
    (
        "extra row",
        ("taxBreakdowns", 1),
        {"taxPercentage": 10, "taxableAmount": 1, "taxAmount": 0},
        "INVALID_TAX_BREAKDOWN",
    ),
    ("total", ("summarizeInfo", "totalAmountWithTax"), 297001, "INVALID_TOTAL_AMOUNT"),
    ("missing info", ("generalInvoiceInfo",), KeyError, "REQUIRED_FIELD_MISSING"),
]


@pytest.mark.parametrize(("why", "path", "value", "code"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals(sinv, client, why, path, value, code):
    body = invoice_body(sinv)
    if path == ("taxBreakdowns", 1):
        body["taxBreakdowns"].append(value)
    else:
        _set(body, path, value)
    answer = create(client, body)
    assert answer["errorCode"] == code, answer
    assert answer["result"] is None and answer["description"]
    assert count(sinv) == 0


def test_tax_code_in_the_path_must_be_the_accounts(sinv, client):
    assert create(client, invoice_body(sinv), tax="0100109106")["errorCode"] == (
        "INVALID_SUPPLIER_TAX_CODE"
    )


def test_dates_never_go_back_and_stay_in_the_series_year(sinv, client):
    now_ms = sinv.clock.timestamp() * 1000
    assert create(client, invoice_body(sinv))["errorCode"] is None
    same = create(client, invoice_body(sinv, "DH-0002-same-time", invoiceIssuedDate=now_ms))
    assert same["errorCode"] is None
    earlier = invoice_body(sinv, "DH-0003-earlier", invoiceIssuedDate=now_ms - 1000)
    assert create(client, earlier)["errorCode"] == "INVOICE_ISSUED_DATE_INVALID"
    other_series = invoice_body(sinv, "DH-0004-other", invoiceSeries="C26TAB")
    other_series["generalInvoiceInfo"]["invoiceIssuedDate"] = now_ms - 1000
    assert create(client, other_series)["errorCode"] is None  # each series has its own last date
    next_year = invoice_body(sinv, "DH-0005-next-year", invoiceIssuedDate=now_ms + 365 * 86400000)
    assert create(client, next_year)["errorCode"] == "INVOICE_ISSUED_DATE_INVALID"


def test_malformed_json_is_a_400(client):
    r = client.post(CREATE, content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["message"] == "JSON_PARSE_ERROR"


# --------------------------------------------------------------------------- replace / adjust


def reference(original, sinv, kind, uuid, adjustment_type="1"):
    body = invoice_body(
        sinv,
        uuid,
        adjustmentType=kind,
        adjustmentInvoiceType=adjustment_type,
        originalInvoiceId=original["invoiceNo"],
        originalInvoiceIssueDate=sinv.clock.timestamp() * 1000,
        originalTemplateCode="1/001",
        additionalReferenceDesc="Biên bản thỏa thuận số 01",
        additionalReferenceDate=sinv.clock.timestamp() * 1000,
    )
    return body


def decrease(body, net=9259, vat=741):
    """Odoo-style decrease: magnitudes with isIncreaseItem false and …Pos false."""
    body["itemInfo"] = [line(1, net=net, vat=vat, isIncreaseItem=False, adjustmentTaxAmount=vat)]
    body["taxBreakdowns"] = [
        {
            "taxPercentage": 8,
            "taxableAmount": net,
            "taxAmount": vat,
            "taxableAmountPos": False,
            "taxAmountPos": False,
        }
    ]
    body["summarizeInfo"] = {}
    return body


def test_replacement_marks_the_original_replaced(sinv, client):
    original = create(client, invoice_body(sinv))["result"]
    replacement = create(client, reference(original, sinv, "3", "DH-0001-replace"))
    assert replacement["errorCode"] is None
    (old,) = search(client, "DH-0001-original")["result"]
    assert old["state"] == "REPLACED" and old["replacedBy"] == replacement["result"]["invoiceNo"]
    (new,) = search(client, "DH-0001-replace")["result"]
    assert new["adjustmentType"] == "3" and new["originalInvoiceId"] == original["invoiceNo"]

    again = create(client, reference(original, sinv, "3", "DH-0001-replace-again"))
    assert again["errorCode"] == "ORIGINAL_INVOICE_STATUS_INVALID"
    adjust = create(client, decrease(reference(original, sinv, "5", "DH-0001-adjust")))
    assert adjust["errorCode"] == "ORIGINAL_INVOICE_STATUS_INVALID"


def test_adjustments_mark_the_original_adjusted(sinv, client, tmp_path):
    original = create(client, invoice_body(sinv))["result"]
    first = create(client, decrease(reference(original, sinv, "5", "DH-0001-adjust-1")))
    assert first["errorCode"] is None
    second = create(client, decrease(reference(original, sinv, "5", "DH-0001-adjust-2")))
    assert second["errorCode"] is None  # SInvoice allows several adjustments
    (old,) = search(client, "DH-0001-original")["result"]
    assert old["state"] == "ADJUSTED"
    assert old["adjustedBy"] == [first["result"]["invoiceNo"], second["result"]["invoiceNo"]]
    (adj,) = search(client, "DH-0001-adjust-1")["result"]
    assert adj["total"] == -10000 and adj["adjustmentType"] == "5"
    pdf = client.post(
        FILE,
        json={
            "supplierTaxCode": TAX,
            "templateCode": "1/001",
            "invoiceNo": first["result"]["invoiceNo"],
            "fileType": "PDF",
        },
    ).json()
    text = pdf_text(base64.b64decode(pdf["fileToBytes"]), tmp_path)
    assert (
        f"Điều chỉnh cho hóa đơn mẫu số 1/001 ký hiệu C26TAA số {original['invoiceNo'][6:]}" in text
    )


def test_adjustment_needs_a_known_original_of_that_day(sinv, client):
    original = create(client, invoice_body(sinv))["result"]
    body = decrease(reference(original, sinv, "5", "DH-0001-adjust-x"))
    unknown = copy.deepcopy(body)
    unknown["generalInvoiceInfo"]["originalInvoiceId"] = "C26TAA99"
    assert create(client, unknown)["errorCode"] == "ORIGINAL_INVOICE_NOT_FOUND"
    wrong_day = copy.deepcopy(body)
    wrong_day["generalInvoiceInfo"]["originalInvoiceIssueDate"] -= 86400000
    assert create(client, wrong_day)["errorCode"] == "ORIGINAL_INVOICE_ISSUE_DATE_INVALID"
    no_type = copy.deepcopy(body)
    no_type["generalInvoiceInfo"]["adjustmentInvoiceType"] = ""
    assert create(client, no_type)["errorCode"] == "REQUIRED_FIELD_MISSING"
    info_only = reference(original, sinv, "5", "DH-0001-adjust-info", adjustment_type="2")
    info_only.update(itemInfo=[], taxBreakdowns=[], summarizeInfo={})
    assert create(client, info_only)["errorCode"] is None


# --------------------------------------------------------------------------- faults


def test_http_faults_leave_nothing_behind(sinv, client):
    sinv.faults.fail_next(1, status=503, paths="createInvoice")
    r = client.post(CREATE, json=invoice_body(sinv))
    assert r.status_code == 503 and count(sinv) == 0
    sinv.faults.rate_limit_next(1)
    r = client.post(CREATE, json=invoice_body(sinv))
    assert r.status_code == 429 and r.headers["Retry-After"] and count(sinv) == 0
    assert create(client, invoice_body(sinv))["errorCode"] is None


def test_lost_answer_is_found_by_transaction_uuid(sinv, client):
    sinv.faults.lose_answer_next(1, paths="createInvoice")
    r = client.post(CREATE, json=invoice_body(sinv))
    assert r.status_code == 504
    (found,) = search(client, "DH-0001-original")["result"]
    assert found["invoiceNo"] == "C26TAA1"
    again = create(client, invoice_body(sinv))
    assert again["result"]["invoiceNo"] == "C26TAA1" and count(sinv) == 1


def test_timeouts_in_process(sinv):
    transport = FaultyTransport(sinv.wsgi_app, sinv.faults)
    with httpx.Client(transport=transport, base_url="https://api-vinvoice.viettel.vn") as c:
        c.cookies.set("access_token", login(c).json()["access_token"])
        sinv.faults.timeout_next(1, paths="createInvoice")
        with pytest.raises(httpx.ConnectTimeout):
            c.post(CREATE, json=invoice_body(sinv))
        assert count(sinv) == 0
        sinv.faults.timeout_next(1, after=True, paths="createInvoice")
        with pytest.raises(httpx.ReadTimeout):
            c.post(CREATE, json=invoice_body(sinv))
        assert count(sinv) == 1  # made, answer lost: the lookup finds it
        assert search(c, "DH-0001-original")["result"][0]["invoiceNo"] == "C26TAA1"


def test_control_api(sinv, client):
    create(client, invoice_body(sinv))
    state = client.get("/_emulator/state").json()
    assert state["provider"] == "sinvoice" and state["invoices"][0]["invoiceNo"] == "C26TAA1"
    r = client.post("/_emulator/faults", json={"action": "lose_answer_next", "paths": ["create"]})
    assert r.json()["ok"] is True
    assert client.post(CREATE, json=invoice_body(sinv, "DH-0002-lost")).status_code == 504
    assert count(sinv) == 2
    r = client.post("/_emulator/faults", json={"action": "empty_file_next", "n": 1})
    assert r.json()["ok"] is True
    body = {
        "supplierTaxCode": TAX,
        "templateCode": "1/001",
        "invoiceNo": "C26TAA1",
        "fileType": "PDF",
    }
    assert client.post(FILE, json=body).json()["fileToBytes"] is None  # not ready: retry
    assert base64.b64decode(client.post(FILE, json=body).json()["fileToBytes"]).startswith(b"%PDF")
    assert client.post("/_emulator/advance", json={"order_code": "C26TAA1"}).json()["ok"] is False
    tick = client.post("/_emulator/tick", json={"seconds": 600}).json()
    assert tick["ok"] is True
    assert client.post(CREATE, json=invoice_body(sinv, "DH-0003")).status_code == 401  # expired
