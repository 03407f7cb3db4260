"""Issue an e-invoice from an order's page in headless chromium (Vietnamese and English): the
preview with both VAT rates, then Issue, then the invoice's number and tax authority code."""

import pytest
from playwright.sync_api import expect

from donhang.accounts.services import user_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "mat-khau-dai-2026"


@pytest.mark.parametrize("language", ["vi", "en"])
def test_issue_an_invoice_from_the_order_page(
    page, live_server, language, sinvoice_template, make_order
):
    order = make_order()
    user_create(username="ke-toan", password=PASSWORD, role="accountant")

    page.goto("/accounts/login/")
    with page.expect_navigation():
        page.select_option("#language-switch select", language)
    page.fill("input[name=username]", "ke-toan")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form#login-form [type=submit]")

    # Click 1: "Issue e-invoice" on the order page → the invoice as it will be sent
    page.goto(f"/orders/{order.code}/")
    with page.expect_navigation():
        page.click("#issue-invoice-link")
    expect(page.locator("#vat-breakdown tr[data-rate='8']")).to_be_visible()
    expect(page.locator("#vat-breakdown tr[data-rate='10']")).to_be_visible()
    expect(page.locator(".amount-in-words")).to_have_text("Bốn trăm năm mươi chín nghìn đồng")
    expect(page.locator("#draft-buyer")).to_contain_text("Công ty TNHH Thương mại Ánh Dương")

    # Click 2: Issue → back on the order, the invoice is issued with its number and code
    with page.expect_navigation():
        page.click("#issue-invoice")
    card = page.locator("#invoices .invoice").first
    expect(card).to_have_attribute("data-state", "issued")
    expect(card.locator(".invoice-number")).to_contain_text("№ 1")
    invoice = order.invoices.get()
    expect(card.locator(".invoice-tax-code")).to_have_text(invoice.tax_authority_code)

    with page.expect_navigation():
        card.locator(".invoice-number").click()
    expect(page.locator("#invoice-number")).to_have_text("1")
    expect(page.locator("#tax-authority-code")).to_have_text(invoice.tax_authority_code)
