"""Rules the e-invoice emulators share (emulators.common): words, tax codes, VAT per line,
prefix routes and the "lost answer" fault; and the demo wiring of both emulators."""

import argparse
import random

import httpx
import pytest
from stdnum.vn import mst as stdnum_mst

from emulators import serve
from emulators.common import (
    Faults,
    JsonApp,
    invoice_pdf,
    json_response,
    mst_valid,
    normalise_words,
    vat_close,
    vnd_in_words,
)

WORDS = [
    (0, "Không đồng"),
    (5, "Năm đồng"),
    (10, "Mười đồng"),
    (11, "Mười một đồng"),
    (15, "Mười lăm đồng"),
    (20, "Hai mươi đồng"),
    (21, "Hai mươi mốt đồng"),
    (24, "Hai mươi bốn đồng"),
    (25, "Hai mươi lăm đồng"),
    (101, "Một trăm linh một đồng"),
    (105, "Một trăm linh năm đồng"),
    (115, "Một trăm mười lăm đồng"),
    (1005, "Một nghìn không trăm linh năm đồng"),
    (10010, "Mười nghìn không trăm mười đồng"),
    (297000, "Hai trăm chín mươi bảy nghìn đồng"),
    (1250000, "Một triệu hai trăm năm mươi nghìn đồng"),
    (1000001, "Một triệu không trăm linh một đồng"),
    (1005000, "Một triệu không trăm linh năm nghìn đồng"),
    (21000000, "Hai mươi mốt triệu đồng"),
    (1000000000, "Một tỷ đồng"),
    (5000000015, "Năm tỷ không trăm mười lăm đồng"),
    (2001000000000, "Hai nghìn không trăm linh một tỷ đồng"),
]


@pytest.mark.parametrize(("amount", "words"), WORDS)
def test_amount_in_words(amount, words):
    assert vnd_in_words(amount) == words
    assert vnd_in_words(-amount) == words


def test_normalised_words_only_forgive_spacing_and_a_full_stop():
    assert normalise_words("  Mười   đồng. ") == "Mười đồng"
    assert normalise_words("mười đồng") != "Mười đồng"


def test_tax_code_check_digit_matches_stdnum():
    for good in ("0100233488", "0314409058", "0101243150", "0107654326", "0100109106-505"):
        assert mst_valid(good)
    for bad in (
        "0100233489",
        "0100000000",
        "0100109106-000",
        "010010910",
        "01001091065",
        "0100109106505",
    ):
        assert not mst_valid(bad)
    assert mst_valid("001203004567", personal_id=True) and not mst_valid("001203004567")
    rng = random.Random(8)
    for _ in range(3000):
        code = f"{rng.randrange(10**10):010d}"
        assert mst_valid(code) == stdnum_mst.is_valid(code), code


def test_vat_per_line_allows_one_dong():
    assert vat_close(91667, 7333, 8)
    assert vat_close(9268, 742, 8)  # 741.44 rounds to 741: one đồng more is accepted
    assert vat_close(9268, 740, 8)
    assert not vat_close(9268, 743, 8)
    assert vat_close(-9259, -741, 8)
    assert vat_close(1005, 50, 5)  # 50.25
    assert vat_close(15, 2, 10)  # 1.5 rounds half up to 2


def test_prefix_routes_and_lost_answers():
    faults = Faults(seed=1)
    app = JsonApp(faults)
    seen = []

    def handler(request):
        seen.append(request.path)
        return json_response({"ok": True})

    app.add_prefix("/create/", handler)
    app.add("/create/exact", lambda request: json_response({"exact": True}))
    c = httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://emu")
    assert c.post("/create/0107654326").json() == {"ok": True}
    assert c.post("/create/exact").json() == {"exact": True}
    assert c.post("/other").status_code == 404
    faults.lose_answer_next(1, paths="/create/")
    lost = c.post("/create/0100109106")
    assert lost.status_code == 504 and "Gateway Time-out" in lost.text
    assert seen == ["/create/0107654326", "/create/0100109106"]  # handled, answer dropped
    assert c.post("/create/0100109106").status_code == 200
    assert faults.to_dict()["injected"] == 1


def test_invoice_pdf_renders_vietnamese():
    data = invoice_pdf(
        {
            "provider": "test",
            "series": "C26TAA",
            "number": 1,
            "lines": [{"no": 1, "name": "Nón lá", "quantity": 2, "price": 50000, "amount": 100000}],
            "total": 108000,
            "words": vnd_in_words(108000),
        }
    )
    assert data.startswith(b"%PDF")


def test_demo_wiring_of_the_einvoice_emulators():
    sinvoice, misa = serve.build_einvoice(argparse.Namespace(seed=3))
    assert "0107654326" in sinvoice.accounts
    assert sinvoice.accounts["0107654326"]["password"] == "demo-password"
    company = misa.companies["0107654326"]
    assert (company.appid, company.username, company.password) == (
        "demo-misa-appid",
        "demo@donhang.vn",
        "demo-password",
    )
    yy = sinvoice.clock.now().year % 100
    assert f"C{yy}TAA" in sinvoice.suppliers["0107654326"].templates["1/001"].series
    assert f"1C{yy}TAA" in company.templates
    # the carriers' wiring is untouched
    ns = argparse.Namespace(
        callback_base="http://127.0.0.1:8000/",
        no_webhooks=True,
        seed=3,
        secret="x",
        fail_rate=0.0,
        vtp_token="demo-vtp-token",
    )
    ghn, vtp = serve.build(ns)
    assert ghn.webhooks.target is None and vtp.user_for("demo-vtp-token")
