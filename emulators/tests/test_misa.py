"""The MISA meInvoice emulator: auth, publishing, refusals, statuses, CQT codes, faults."""

import base64
import copy
import json
import uuid

import httpx
import pytest

from emulators.common import FaultyTransport
from emulators.misa import MisaEmulator
from emulators.tests.helpers import pdf_text

BASE = "https://testapi.meinvoice.vn/api/integration/"
CONTROL = "https://testapi.meinvoice.vn/_emulator/"
TAX = "0107654326"
LOGIN = {
    "appid": "demo-misa-appid",
    "taxcode": TAX,
    "username": "demo@donhang.vn",
    "password": "demo-password",
}


@pytest.fixture
def misa():
    return MisaEmulator()


def token_of(client, **overrides):
    return client.post("auth/token", json={**LOGIN, **overrides}).json()


@pytest.fixture
def client(misa):
    with httpx.Client(transport=httpx.WSGITransport(app=misa.wsgi_app), base_url=BASE) as c:
        c.headers["Authorization"] = "Bearer " + token_of(c)["Data"]
        yield c


def detail(n, *, net=91667, vat=7333, rate="8%", qty=1, **extra):
    return {
        "ItemType": 1,
        "SortOrder": n,
        "LineNumber": n,
        "ItemCode": f"SKU-{n}",
        "ItemName": "Nón lá Huế",
        "UnitName": "cái",
        "Quantity": qty,
        "UnitPrice": net / qty,
        "AmountOC": net,
        "Amount": net,
        "DiscountRate": 0,
        "DiscountAmountOC": 0,
        "DiscountAmount": 0,
        "AmountWithoutVATOC": net,
        "AmountWithoutVAT": net,
        "VATRateName": rate,
        "VATAmountOC": vat,
        "VATAmount": vat,
        **extra,
    }


def totals(net, vat, words):
    out = {"TotalAmountInWords": words}
    for key, value in (
        ("TotalSaleAmount", net),
        ("TotalDiscountAmount", 0),
        ("TotalAmountWithoutVAT", net),
        ("TotalVATAmount", vat),
        ("TotalAmount", net + vat),
    ):
        out[key] = out[key + "OC"] = value
    return out


def invoice(ref=None, **overrides):
    """Three lines of 99.000 ₫ at 8 %: the 8 % row is 275.001 / 21.999 (297.000 in all)."""
    data = {
        "RefID": ref or str(uuid.uuid4()),
        "InvSeries": "1C26TAA",
        "InvDate": "2026-01-05",
        "CurrencyCode": "VND",
        "ExchangeRate": 1,
        "PaymentMethodName": "TM/CK",
        "IsInvoiceSummary": False,
        "IsSendEmail": False,
        "BuyerLegalName": "Công ty TNHH Ánh Dương",
        "BuyerTaxCode": "0100109106-505",
        "BuyerAddress": "5 Tràng Tiền, Hà Nội",
        "BuyerFullName": "Trần Thị Ngọc Hằng",
        "BuyerEmail": "ketoan@anhduong.vn",
        **totals(275001, 21999, "Hai trăm chín mươi bảy nghìn đồng"),
        "OriginalInvoiceDetail": [detail(1), detail(2), detail(3)],
        "TaxRateInfo": [{"VATRateName": "8%", "AmountWithoutVATOC": 275001, "VATAmountOC": 21999}],
        "OptionUserDefined": {"MainCurrency": "VND", "AmountDecimalDigits": "0"},
    }
    data.update(overrides)
    return data


def results(answer) -> list:
    """``publishInvoiceResult`` is a list or a JSON string of one: accept both."""
    value = answer["publishInvoiceResult"]
    return json.loads(value) if isinstance(value, str) else value


def publish(client, *items, sign=2):
    r = client.post(
        "invoice", json={"SignType": sign, "InvoiceData": list(items), "PublishInvoiceData": None}
    )
    assert r.status_code == 200
    return r.json()


def publish_one(client, item, sign=2):
    answer = publish(client, item, sign=sign)
    assert answer["success"] is True, answer
    (result,) = results(answer)
    return result


def status(client, *ids, input_type=2):
    answer = client.post("invoice/status", params={"inputType": input_type}, json=list(ids)).json()
    assert answer["success"] is True, answer
    return answer["data"]


# --------------------------------------------------------------------------- auth


def test_token_and_auth_errors(misa):
    c = httpx.Client(transport=httpx.WSGITransport(app=misa.wsgi_app), base_url=BASE)
    ok = token_of(c)
    assert ok["Success"] is True and ok["Data"]  # PascalCase here: MISA's casing varies
    assert token_of(c, appid="other")["ErrorCode"] == "InvalidAppID"
    assert token_of(c, taxcode="0100109106")["ErrorCode"] == "InvalidTaxCode"
    assert token_of(c, password="nope")["ErrorCode"] == "InvalidUserNameOrPassword"
    upper = c.post("auth/token", json={k.upper(): v for k, v in LOGIN.items()}).json()
    assert upper["Success"] is True  # keys bind case-insensitively

    none = c.get("invoice/templates").json()
    assert none == {
        "success": False,
        "errorCode": "InvalidTokenCode",
        "descriptionErrorCode": none["descriptionErrorCode"],
        "data": None,
    }
    bearer = {"Authorization": "Bearer " + ok["Data"]}
    assert c.get("invoice/templates", headers=bearer).json()["success"] is True
    other = {**bearer, "CompanyTaxCode": "0100109106"}
    assert c.get("invoice/templates", headers=other).json()["errorCode"] == "InvalidTokenCode"
    misa.tick(14 * 86400)
    expired = c.post("invoice", json={"SignType": 2, "InvoiceData": [invoice()]}, headers=bearer)
    assert expired.json()["errorCode"] == "TokenExpiredCode"
    assert expired.json()["publishInvoiceResult"] is None


def test_camel_case_token_answer_on_request():
    misa = MisaEmulator(token_answer_case="camel")
    c = httpx.Client(transport=httpx.WSGITransport(app=misa.wsgi_app), base_url=BASE)
    assert token_of(c)["success"] is True


def test_templates(client):
    data = client.get("invoice/templates", params={"invoiceWithCode": "true", "ticket": "false"})
    series = {t["InvSeries"]: t for t in data.json()["data"]}
    assert set(series) == {"1C26TAA", "1C26MAA"}
    assert series["1C26TAA"]["InvTemplateNo"] == "1" and series["1C26TAA"]["Inactive"] is False
    assert series["1C26MAA"]["IsInvoiceCalculatingMachine"] is True
    without_code = client.get("invoice/templates", params={"invoiceWithCode": "false"})
    assert without_code.json()["data"] == []


# --------------------------------------------------------------------------- publish


def test_publish_status_cqt_code_and_download(misa, client, tmp_path):
    item = invoice()
    result = publish_one(client, item)
    assert result["ErrorCode"] is None and result["InvNo"] == "00000001"
    assert result["InvSeries"] == "1C26TAA" and len(result["TransactionID"]) == 11

    (by_ref,) = status(client, item["RefID"], input_type=2)
    (by_id,) = status(client, result["TransactionID"], input_type=1)
    assert by_ref == by_id
    assert by_ref["EInvoiceStatus"] == 1 and by_ref["SendTaxStatus"] == 0
    assert by_ref["InvoiceCode"] is None
    assert status(client, str(uuid.uuid4())) == []

    misa.tick(29)
    assert status(client, item["RefID"])[0]["SendTaxStatus"] == 0
    misa.tick(1)
    (coded,) = status(client, item["RefID"])
    assert coded["SendTaxStatus"] == 2 and len(coded["InvoiceCode"]) == 34

    answer = client.post(
        "invoice/download",
        params={"downloadDataType": "pdf"},
        json=[result["TransactionID"], "NOPE"],
    ).json()
    pdf, unknown = answer["data"]
    assert unknown == {"TransactionID": "NOPE", "Data": None, "ErrorCode": "InvoiceNotFound"}
    text = pdf_text(base64.b64decode(pdf["Data"]), tmp_path)
    for expected in (
        "C26TAA",
        "00000001",
        "Công ty TNHH Ánh Dương",
        "297.000",
        coded["InvoiceCode"],
    ):
        assert expected in text
    xml = client.post(
        "invoice/download", params={"downloadDataType": "xml"}, json=[result["TransactionID"]]
    ).json()["data"][0]["Data"]
    assert base64.b64decode(xml).startswith(b"<?xml")


def test_publish_result_is_sometimes_a_json_string(client):
    first = publish(client, invoice())["publishInvoiceResult"]
    second = publish(client, invoice())["publishInvoiceResult"]
    assert isinstance(first, list) and isinstance(second, str)
    assert json.loads(second)[0]["InvNo"] == "00000002"


def test_numbers_sequential_per_series_and_mixed_batches(client):
    good, bad, cash = invoice(), invoice(BuyerTaxCode=""), invoice(InvSeries="1C26MAA")
    answer = publish(client, good, bad, invoice())
    first, refused, third = results(answer)
    assert first["InvNo"] == "00000001" and third["InvNo"] == "00000002"
    assert refused["ErrorCode"] == "BuyerTaxCodeRequired" and refused["InvNo"] is None
    assert status(client, bad["RefID"]) == []
    assert publish_one(client, cash, sign=5)["InvNo"] == "00000001"


def test_duplicate_ref_id_and_status_finds_it(client):
    item = invoice()
    first = publish_one(client, item)
    again = publish_one(client, item)
    assert again["ErrorCode"] == "DuplicateInvoiceRefID" and again["InvNo"] is None
    assert status(client, item["RefID"])[0]["TransactionID"] == first["TransactionID"]
    twin = invoice()
    one, two = results(publish(client, twin, twin))
    assert one["ErrorCode"] is None and two["ErrorCode"] == "InvoiceDuplicated"


def test_individual_buyer_and_one_dong_rounding_are_accepted(client):
    # 10.010 ₫ at 8 %: no whole-đồng net gives the rounded VAT; net 9.268, VAT 742 (741 + 1).
    item = invoice(
        BuyerLegalName=None,
        BuyerTaxCode=None,
        BuyerFullName="Nguyễn Văn An",
        BuyerIDNumber="001203004567",
        OriginalInvoiceDetail=[detail(1, net=9268, vat=742)],
        TaxRateInfo=[{"VATRateName": "8%", "AmountWithoutVATOC": 9268, "VATAmountOC": 742}],
        **totals(9268, 742, "Mười nghìn không trăm mười đồng"),
    )
    assert publish_one(client, item)["ErrorCode"] is None


def test_words_allow_only_spacing_and_a_full_stop(client):
    loose = invoice(TotalAmountInWords="  Hai trăm chín mươi bảy   nghìn đồng. ")
    assert publish_one(client, loose)["ErrorCode"] is None


REFUSALS = [
    ("unknown series", {"InvSeries": "1C26TZZ"}, "InvoiceTemplateNotExist"),
    ("ref not guid", {"RefID": "DH-0001"}, "InvalidRefID"),
    ("no ref", {"RefID": ""}, "MissingRequiredField"),
    ("company without tax code", {"BuyerTaxCode": ""}, "BuyerTaxCodeRequired"),
    ("bad check digit", {"BuyerTaxCode": "0100109107"}, "InvalidBuyerTaxCode"),
    ("all-zero middle", {"BuyerTaxCode": "0100000000"}, "InvalidBuyerTaxCode"),
    ("id number", {"BuyerIDNumber": "12345"}, "InvalidBuyerIDNumber"),
    (
        "no buyer",
        {"BuyerLegalName": "", "BuyerFullName": "", "BuyerTaxCode": ""},
        "MissingRequiredField",
    ),
    ("bad date", {"InvDate": "05/01/2026"}, "InvalidInvoiceDate"),
    ("other year", {"InvDate": "2027-01-05"}, "InvalidInvoiceDate"),
    ("summary flag", {"IsInvoiceSummary": True}, "InvalidIsInvoiceSummary"),
    (
        "words ngàn",
        {"TotalAmountInWords": "Hai trăm chín mươi bảy ngàn đồng"},
        "InvalidTotalAmountInWords",
    ),
    (
        "words lower",
        {"TotalAmountInWords": "hai trăm chín mươi bảy nghìn đồng"},
        "InvalidTotalAmountInWords",
    ),
    ("no words", {"TotalAmountInWords": ""}, "MissingRequiredField"),
    ("total", {"TotalAmount": 297001, "TotalAmountOC": 297001}, "InvalidTotalAmount"),
    ("total oc", {"TotalAmountOC": 297001}, "InvalidAmount"),
    ("no total", {"TotalVATAmountOC": None, "TotalVATAmount": None}, "MissingRequiredField"),
    ("no total oc", {"TotalAmountOC": None}, "MissingRequiredField"),
    (
        "sale - discount",
        {"TotalDiscountAmount": 1, "TotalDiscountAmountOC": 1},
        "InvalidTotalAmount",
    ),
    (
        "row",
        {
            "TaxRateInfo": [
                {"VATRateName": "8%", "AmountWithoutVATOC": 275000, "VATAmountOC": 21999}
            ]
        },
        "InvalidTaxRateInfo",
    ),
    ("no rows", {"TaxRateInfo": []}, "MissingRequiredField"),
    ("no lines", {"OriginalInvoiceDetail": []}, "MissingRequiredField"),
]


@pytest.mark.parametrize(("why", "overrides", "code"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_item_refusals(misa, client, why, overrides, code):
    result = publish_one(client, invoice(**overrides))
    assert result["ErrorCode"] == code, result
    assert result["InvNo"] is None and result["Description"]
    assert misa.invoices == []


LINE_REFUSALS = [
    ("vat off by 2", {"VATAmountOC": 7335, "VATAmount": 7335}, "InvalidVATAmount"),
    ("rate", {"VATRateName": "7%"}, "InvalidVATRateName"),
    ("qty x price", {"UnitPrice": 90000}, "InvalidAmount"),
    (
        "amount - discount",
        {"AmountWithoutVATOC": 91666, "AmountWithoutVAT": 91666},
        "InvalidAmount",
    ),
    ("fraction", {"VATAmountOC": 7333.5, "VATAmount": 7333.5}, "InvalidNumber"),
    ("kct with vat", {"VATRateName": "KCT"}, "InvalidVATAmount"),
]


@pytest.mark.parametrize(
    ("why", "overrides", "code"), LINE_REFUSALS, ids=[r[0] for r in LINE_REFUSALS]
)
def test_line_refusals(misa, client, why, overrides, code):
    item = invoice()
    item["OriginalInvoiceDetail"][0].update(overrides)
    assert publish_one(client, item)["ErrorCode"] == code
    assert misa.invoices == []


def test_dates_never_go_back_in_a_series(client):
    assert publish_one(client, invoice(InvDate="2026-01-06"))["ErrorCode"] is None
    assert publish_one(client, invoice(InvDate="2026-01-06"))["ErrorCode"] is None
    assert publish_one(client, invoice(InvDate="2026-01-05"))["ErrorCode"] == "InvalidInvoiceDate"
    cash = invoice(InvSeries="1C26MAA", InvDate="2026-01-05")
    assert publish_one(client, cash, sign=5)["ErrorCode"] is None  # its own series


def test_sign_types(client):
    assert (
        publish_one(client, invoice(InvSeries="1C26MAA"))["ErrorCode"] == "APINotSupportTypeInvoice"
    )
    assert publish_one(client, invoice(), sign=5)["ErrorCode"] == "APINotSupportTypeInvoice"
    for sign in (1, 3):
        answer = publish(client, invoice(), sign=sign)
        assert answer["success"] is False and answer["errorCode"] == "UnsupportedSignType"
    many = publish(client, *[invoice() for _ in range(31)])
    assert many["success"] is False and many["errorCode"] == "InvoiceDataOverLimit"


def test_quota(client):
    misa = MisaEmulator(quota=1)
    with httpx.Client(transport=httpx.WSGITransport(app=misa.wsgi_app), base_url=BASE) as c:
        c.headers["Authorization"] = "Bearer " + token_of(c)["Data"]
        assert publish_one(c, invoice())["ErrorCode"] is None
        assert publish_one(c, invoice())["ErrorCode"] == "LicenseInfo_OutOfInvoice"


# --------------------------------------------------------------------------- replace / adjust


def reference(original_result, kind, **overrides):
    fields = {
        "ReferenceType": kind,
        "OrgInvoiceType": 1,
        "OrgInvTemplateNo": "1",
        "OrgInvSeries": "C26TAA",
        "OrgInvNo": original_result["InvNo"],
        "OrgInvDate": "2026-01-05",
        "InvoiceNote": "Theo biên bản thỏa thuận số 01",
    }
    return invoice(**{**fields, **overrides})


def decrease(original_result):
    """An adjustment lowering one line by 10.000 ₫ (negative amounts)."""
    return reference(
        original_result,
        2,
        OriginalInvoiceDetail=[detail(1, net=-9259, vat=-741)],
        TaxRateInfo=[{"VATRateName": "8%", "AmountWithoutVATOC": -9259, "VATAmountOC": -741}],
        **totals(-9259, -741, "Mười nghìn đồng"),
    )


def test_replacement_marks_the_original_replaced(client):
    original = publish_one(client, invoice())
    replacement = publish_one(client, reference(original, 1))
    assert replacement["ErrorCode"] is None
    (old,) = status(client, original["TransactionID"], input_type=1)
    (new,) = status(client, replacement["TransactionID"], input_type=1)
    assert old["EInvoiceStatus"] == 7 and old["ReplacedBy"] == replacement["TransactionID"]
    assert new["EInvoiceStatus"] == 3 and new["ReferenceType"] == 1
    assert (new["OrgInvSeries"], new["OrgInvNo"]) == ("C26TAA", "00000001")
    assert publish_one(client, reference(original, 1))["ErrorCode"] == "OrgInvoiceHasBeenReplaced"
    assert publish_one(client, decrease(original))["ErrorCode"] == "OrgInvoiceHasBeenReplaced"


def test_adjustment_marks_the_original_adjusted_and_only_once(client, tmp_path):
    original = publish_one(client, invoice())
    adjustment = publish_one(client, decrease(original))
    assert adjustment["ErrorCode"] is None
    (old,) = status(client, original["TransactionID"], input_type=1)
    (new,) = status(client, adjustment["TransactionID"], input_type=1)
    assert old["EInvoiceStatus"] == 8 and old["AdjustedBy"] == [adjustment["TransactionID"]]
    assert new["EInvoiceStatus"] == 5 and new["TotalAmount"] == -10000
    assert publish_one(client, decrease(original))["ErrorCode"] == "HasAdjustmentInvoice"
    assert publish_one(client, reference(original, 1))["ErrorCode"] == "HasAdjustmentInvoice"
    pdf = client.post(
        "invoice/download", params={"downloadDataType": "pdf"}, json=[adjustment["TransactionID"]]
    ).json()["data"][0]["Data"]
    text = pdf_text(base64.b64decode(pdf), tmp_path)
    assert "Điều chỉnh cho hóa đơn mẫu số 1 ký hiệu C26TAA số 00000001 ngày 05/01/2026" in text


def test_reference_needs_a_known_original(client):
    original = publish_one(client, invoice())
    unknown = reference(original, 1, OrgInvNo="00000009")
    assert publish_one(client, unknown)["ErrorCode"] == "OrgInvoiceNotExist"
    wrong_day = reference(original, 1, OrgInvDate="2026-01-04")
    assert publish_one(client, wrong_day)["ErrorCode"] == "InvalidOrgInvDate"
    full_series = reference(original, 1, OrgInvSeries="1C26TAA", OrgInvNo="1")
    assert publish_one(client, full_series)["ErrorCode"] is None
    missing = reference(original, 2)
    del missing["OrgInvDate"]
    assert publish_one(client, missing)["ErrorCode"] == "MissingRequiredField"


# --------------------------------------------------------------------------- tax authority


def test_tax_rejection_and_advance(misa, client):
    r = client.post(CONTROL + "faults", json={"action": "tax_reject_next", "n": 1})
    assert r.json()["ok"] is True
    rejected, coded = publish_one(client, invoice()), publish_one(client, invoice())
    assert client.post(CONTROL + "tick", json={"seconds": 30}).json()["moved"] == 2
    (first,) = status(client, rejected["TransactionID"], input_type=1)
    (second,) = status(client, coded["TransactionID"], input_type=1)
    assert first["SendTaxStatus"] == 3 and first["InvoiceCode"] is None and first["Description"]
    assert second["SendTaxStatus"] == 2 and second["InvoiceCode"]

    third = publish_one(client, invoice())
    moved = client.post(CONTROL + "advance", json={"order_code": third["TransactionID"]}).json()
    assert moved["ok"] is True and moved["order"]["SendTaxStatus"] == 2
    again = client.post(CONTROL + "advance", json={"order_code": third["TransactionID"]}).json()
    assert again["ok"] is False
    fourth = publish_one(client, invoice())
    error = {"order_code": fourth["RefID"], "to_status": 1}
    assert client.post(CONTROL + "advance", json=error).json()["order"]["SendTaxStatus"] == 1
    assert client.post(CONTROL + "fail-delivery", json={"order_code": "x"}).json()["ok"] is False


# --------------------------------------------------------------------------- faults


def test_lost_answer_then_duplicate_and_status(misa, client):
    misa.faults.lose_answer_next(1, paths="/invoice")
    item = invoice()
    r = client.post("invoice", json={"SignType": 2, "InvoiceData": [item]})
    assert r.status_code == 504
    (found,) = status(client, item["RefID"])
    assert found["InvNo"] == "00000001"
    assert publish_one(client, item)["ErrorCode"] == "DuplicateInvoiceRefID"
    assert len(misa.invoices) == 1


def test_http_faults_and_injected_business_errors(misa, client):
    misa.faults.fail_next(1, status=502, paths="/invoice")
    assert (
        client.post("invoice", json={"SignType": 2, "InvoiceData": [invoice()]}).status_code == 502
    )
    misa.faults.rate_limit_next(1)
    assert (
        client.post("invoice", json={"SignType": 2, "InvoiceData": [invoice()]}).status_code == 429
    )
    assert misa.invoices == []
    r = client.post(CONTROL + "faults", json={"action": "publish_error_next", "n": 1})
    assert r.json()["ok"] is True
    item = invoice()
    assert publish_one(client, item)["ErrorCode"] == "InvoiceNumberNotCotinuous"
    assert publish_one(client, item)["InvNo"] == "00000001"  # retried with the same RefID


def test_timeouts_in_process(misa):
    transport = FaultyTransport(misa.wsgi_app, misa.faults)
    with httpx.Client(transport=transport, base_url=BASE) as c:
        c.headers["Authorization"] = "Bearer " + token_of(c)["Data"]
        misa.faults.timeout_next(1, paths="/invoice")
        with pytest.raises(httpx.ConnectTimeout):
            publish(c, invoice())
        assert misa.invoices == []
        misa.faults.timeout_next(1, after=True, paths="/invoice")
        item = invoice()
        with pytest.raises(httpx.ReadTimeout):
            publish(c, item)
        assert status(c, item["RefID"])[0]["InvNo"] == "00000001"


def test_preview_link_lives_five_minutes(misa, client):
    answer = client.post("invoice/unpublishview", json=invoice()).json()
    assert answer["success"] is True
    link = answer["data"]
    assert client.get(link).content.startswith(b"%PDF")
    assert misa.invoices == []  # a preview issues nothing
    misa.tick(301)
    assert client.get(link).status_code == 404
    wrapped = {"SignType": 2, "InvoiceData": [invoice(BuyerTaxCode="")]}
    refused = client.post("invoice/unpublishview", json=wrapped).json()
    assert refused["success"] is False and refused["errorCode"] == "BuyerTaxCodeRequired"


def test_state_endpoint(client):
    publish_one(client, invoice())
    state = client.get(CONTROL + "state").json()
    assert state["provider"] == "misa" and state["invoices"][0]["InvNo"] == "00000001"
    assert copy.deepcopy(state["companies"]) == {TAX: ["1C26MAA", "1C26TAA"]}
