"""The invoicing API against the emulators."""

import pytest
from django.test import Client

from donhang.accounts.services import api_key_create
from donhang.orders.models import Order

pytestmark = pytest.mark.django_db


def _client(role: str) -> Client:
    _key, raw = api_key_create(name=f"key-{role}", role=role)
    return Client(headers={"Authorization": f"Bearer {raw}", "Accept-Language": "en"})


@pytest.fixture
def api(db):
    return {role: _client(role) for role in ("owner", "accountant", "sales", "warehouse")}


def _post(client, path, data=None):
    return client.post(path, data or {}, content_type="application/json")


def test_preview_is_the_draft_as_it_would_be_sent(api, sinvoice_template, make_order):
    order = make_order()

    response = api["accountant"].get(f"/api/v1/orders/{order.code}/invoice-preview")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["buyer"]["tax_code"] == "0100109106" and body["buyer"]["kind"] == "company"
    assert [r["rate"] for r in body["vat_breakdown"]] == ["10", "8"]
    assert sum(r["gross"] for r in body["vat_breakdown"]) == body["total"] == 459_000
    assert body["amount_in_words"] == "Bốn trăm năm mươi chín nghìn đồng"
    assert body["problems"] == {} and body["template_id"] == sinvoice_template.pk
    assert [ln["kind"] for ln in body["lines"]] == ["goods", "goods", "fee"]
    assert api["warehouse"].get(f"/api/v1/orders/{order.code}/invoice-preview").status_code == 403
    assert api["accountant"].get("/api/v1/orders/DH999999/invoice-preview").status_code == 404


def test_issue_is_idempotent_and_the_invoice_reads_back(
    api, sinvoice_template, make_order, committed
):
    order = make_order()

    with committed():
        first = _post(api["accountant"], f"/api/v1/orders/{order.code}/invoice")
    again = _post(api["accountant"], f"/api/v1/orders/{order.code}/invoice")

    assert first.status_code == 202, first.content
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    invoice = api["sales"].get(f"/api/v1/invoices/{first.json()['id']}").json()
    assert invoice["state"] == "issued" and invoice["number"] == "1"
    assert invoice["template_code"] == "1/001" and invoice["series"] == sinvoice_template.series
    assert len(invoice["tax_authority_code"]) == 34
    assert invoice["amount_in_words"] == "Bốn trăm năm mươi chín nghìn đồng"
    assert invoice["pdf_url"] == f"/invoicing/{invoice['id']}/pdf/"
    assert len(invoice["lines"]) == 3

    listed = api["sales"].get("/api/v1/invoices", {"q": "0100109106"}).json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == invoice["id"]
    assert api["sales"].get("/api/v1/invoices", {"q": "2"}).json()["count"] == 0
    assert api["sales"].get("/api/v1/invoices", {"state": "failed"}).json()["count"] == 0
    assert api["sales"].get("/api/v1/invoices", {"state": "nope"}).status_code == 422
    assert api["warehouse"].get("/api/v1/invoices").status_code == 403
    assert api["sales"].get("/api/v1/invoices/999999").status_code == 404


def test_sales_may_not_issue(api, sinvoice_template, make_order):
    order = make_order()
    assert _post(api["sales"], f"/api/v1/orders/{order.code}/invoice").status_code == 403
    assert not order.invoices.exists()


def test_an_invalid_tax_code_is_refused_naming_the_field(api, sinvoice_template, make_order):
    order = make_order()
    Order.objects.filter(pk=order.pk).update(buyer_tax_code="0100109107")

    response = _post(api["accountant"], f"/api/v1/orders/{order.code}/invoice")

    assert response.status_code == 422
    assert "buyer_tax_code" in response.json()["error"]["fields"]
    preview = api["accountant"].get(f"/api/v1/orders/{order.code}/invoice-preview").json()
    assert "buyer_tax_code" in preview["problems"]


def test_an_unknown_template_is_a_clear_error(api, sinvoice_template, make_order):
    order = make_order()

    response = _post(
        api["accountant"], f"/api/v1/orders/{order.code}/invoice", {"template_id": 99999}
    )

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "unknown_template"
    assert "99999" in error["fields"]["template_id"]
    assert not order.invoices.exists()


def test_an_order_not_confirmed_cannot_be_invoiced(api, sinvoice_template, make_order):
    order = make_order(stage="new")
    Order.objects.filter(pk=order.pk).update(status="new", sub_state="")

    response = _post(api["accountant"], f"/api/v1/orders/{order.code}/invoice")

    assert response.status_code == 409
