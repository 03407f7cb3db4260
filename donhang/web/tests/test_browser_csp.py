"""Every page that had inline script (issue 9) still behaves, with its script now a static file,
under the Content-Security-Policy: no violation anywhere on the way."""

import re

import pytest
from playwright.sync_api import expect

from donhang.accounts.models import ApiKey
from donhang.accounts.services import user_create
from donhang.catalog import services as catalog
from donhang.inventory.models import Warehouse
from donhang.inventory.stocktakes import stocktake_create
from donhang.purchasing import services as purchasing
from donhang.purchasing.models import PurchaseOrder
from donhang.web.tests.test_browser_foundation import PASSWORD, log_in, watch_csp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def add_twice(page, *, search: str, results: str, lines: str) -> None:
    """Search with Enter (which must search, not submit), add the first result twice: one line."""
    page.evaluate("() => { window.stillHere = true; }")
    page.locator("#variant-search").fill(search)
    page.locator("#variant-search").press("Enter")
    button = page.locator(f"{results} button[data-variant-id]").first
    expect(button).to_be_visible()
    assert page.evaluate("() => window.stillHere") is True  # Enter did not submit the form
    button.click()
    expect(page.locator(f"{lines} tr")).to_have_count(1)
    button.click()
    expect(page.locator(f"{lines} tr input[name=line_quantity]")).to_have_value("2")


def test_pages_with_scripts_work_under_the_policy(page, place_order):
    violations = watch_csp(page)
    hanoi = Warehouse.objects.create(code="HN", name="Kho Hà Nội", priority=1)
    Warehouse.objects.create(code="SG", name="Kho Sài Gòn", priority=2)
    for sku, name in (("AT01", "Áo thun"), ("QJ01", "Quần jean")):
        catalog.product_create(
            name=name,
            sku=sku,
            defaults={"cost_price": 80_000, "sale_price": 165_000},
            initial_stock={hanoi.pk: 10},
        )
    place_order(("AT01", 1), phone="0912345678", name="Nguyễn Văn An")
    supplier = purchasing.supplier_create(name="Công ty TNHH An Phát")
    stocktake = stocktake_create(warehouse=hanoi)
    user_create(username="chu", password=PASSWORD, role="owner")
    log_in(page, username="chu", language="en")  # the language switch: data-autosubmit

    # New order (orders/order_create.js, orders/lines.js): a known phone fills in the name
    page.goto("/orders/new/")
    page.locator("[name=phone]").press_sequentially("0912345678")
    expect(page.locator("#customer-found")).to_be_visible()
    expect(page.locator("[name=name]")).to_have_value("Nguyễn Văn An")
    # A SKU + Enter adds its line at once (a scanner's way); again: one more on the same line
    page.evaluate("() => { window.stillHere = true; }")
    for _ in range(2):
        page.locator("#variant-search").fill("AT01")
        page.locator("#variant-search").press("Enter")
        expect(page.locator("#lines-body tr")).to_have_count(1)
    expect(page.locator("#lines-body tr input[name=line_quantity]")).to_have_value("2")
    assert page.evaluate("() => window.stillHere") is True  # Enter did not submit the form
    page.locator("#lines-body [data-remove-line]").click()
    expect(page.locator("#lines-body tr")).to_have_count(0)

    # Order list: the select-all box (web/app.js data-check-all)
    page.goto("/orders/")
    page.click("input[data-check-all]")
    expect(page.locator("input[name=codes]:checked")).to_have_count(1)

    # New transfer (inventory/transfer_form.js)
    page.goto("/inventory/transfers/new/")
    add_twice(page, search="AT01", results="#variant-results", lines="#transfer-lines-body")

    # Count sheet (inventory/stocktake_sheet.js): Enter goes to the next count
    page.goto(f"/inventory/stocktakes/{stocktake.code}/")
    counts = page.locator(".count-input")
    counts.nth(0).fill("10")
    counts.nth(0).press("Enter")
    expect(counts.nth(1)).to_be_focused()

    # Printable count sheet: the print button (data-print)
    page.goto(f"/inventory/stocktakes/{stocktake.code}/print/")
    page.evaluate("() => { window.print = () => { window.printed = true; }; }")
    page.click("[data-print]")
    assert page.evaluate("() => window.printed") is True

    # New purchase order (purchasing/lines.js): the amount follows the typing
    page.goto("/purchasing/orders/new/")
    page.select_option("[name=supplier]", str(supplier.pk))
    add_twice(page, search="QJ01", results="#variant-results", lines="#lines-body")
    page.locator("#lines-body .line-price").fill("100000")
    expect(page.locator("#po-totals [data-total=goods]")).to_contain_text("200.000")
    with page.expect_navigation():
        page.click("#po-form button[name=action][value=save]")
    po = PurchaseOrder.objects.get()

    # Purchase order page: the send button asks first (data-confirm); no sends nothing
    page.goto(f"/purchasing/orders/{po.pk}/")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("#po-send")
    page.wait_for_timeout(300)
    po.refresh_from_db()
    assert po.status == "draft"
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("#po-send")
    po.refresh_from_db()
    assert po.status != "draft"

    # Supplier page (purchasing/supplier_detail.js): Enter searches
    page.goto(f"/purchasing/suppliers/{supplier.pk}/")
    page.evaluate("() => { window.stillHere = true; }")
    page.locator("#variant-search").fill("AT01")
    page.locator("#variant-search").press("Enter")
    expect(page.locator("#variant-results [data-variant-sku=AT01]")).to_be_visible()
    assert page.evaluate("() => window.stillHere") is True

    # API keys: the new key is selected on focus; revoking asks first (data-confirm)
    page.goto("/accounts/api-keys/")
    page.fill("#api-key-form [name=name]", "Website")
    page.select_option("#api-key-form [name=role]", "sales")
    with page.expect_navigation():
        page.click("#api-key-form [type=submit]")
    page.focus("#api-key-value")
    selected = page.evaluate(
        "() => { const e = document.activeElement;"
        " return e.value.substring(e.selectionStart, e.selectionEnd); }"
    )
    assert re.fullmatch(r"dh_[0-9a-f]{8}_\S+", selected)
    page.goto("/accounts/api-keys/")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("#api-key-table button[type=submit]")
    assert ApiKey.objects.get().revoked_at is not None

    assert violations == []
