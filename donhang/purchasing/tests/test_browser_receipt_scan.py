"""Scan mode on the goods receipt, in headless chromium, in Vietnamese and English: each scan
counts one unit, an unknown code says so, posting asks first, and the receipt prints the labels
of its lines."""

import re

import pytest
from playwright.sync_api import expect

from donhang.accounts.services import user_create
from donhang.catalog import services as catalog
from donhang.catalog.models import Variant
from donhang.inventory.models import StockLevel, Warehouse
from donhang.purchasing.models import GoodsReceipt

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "mat-khau-dai-2026"


def log_in(page, *, username: str, language: str) -> None:
    page.goto("/accounts/login/")
    with page.expect_navigation():
        page.select_option("#language-switch select", language)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form#login-form [type=submit]")


@pytest.mark.parametrize("language", ["vi", "en"])
def test_scanning_goods_in_counts_one_a_scan(page, language):
    owner = user_create(username="chu", password=PASSWORD, role="owner")
    warehouse = Warehouse.objects.create(code="HN", name="Kho Hà Nội", priority=1)
    product = catalog.product_create(
        name="Cốc sứ", sku="COC01", defaults={"cost_price": 30_000}, actor=owner
    )
    Variant.objects.filter(product=product).update(barcode="8930000000017")
    log_in(page, username="chu", language=language)
    page.goto("/purchasing/receipts/new/")
    page.locator("[name=warehouse]").select_option(str(warehouse.pk))
    box = page.locator("#scan-input")
    box.click()
    for _ in range(3):
        box.press_sequentially("8930000000017")
        box.press("Enter")
    row = page.locator("#lines-body tr[data-line-sku=COC01]")
    expect(row.locator("[name=line_quantity]")).to_have_value("3")
    expect(page.locator("#lines-body tr")).to_have_count(1)
    expect(box).to_have_value("")

    box.press_sequentially("0000000000000")
    box.press("Enter")
    expect(page.locator("#scan-message")).to_have_attribute("data-state", "refused")
    expect(page.locator("#scan-message")).to_contain_text("0000000000000")

    # Posting asks first
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator("#post-receipt").click()
    page.wait_for_timeout(300)
    assert not GoodsReceipt.objects.exists()
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.locator("#post-receipt").click()
    receipt = GoodsReceipt.objects.get()
    assert receipt.lines.get().quantity == 3
    assert StockLevel.objects.get(variant__sku="COC01").on_hand == 3
    # The receipt prints a label for each unit received
    labels = page.request.get(f"/purchasing/receipts/{receipt.pk}/labels/?sheet=roll-40x30")
    assert labels.headers["content-type"] == "application/pdf"
    assert len(re.findall(rb"/Type\s*/Page(?![a-z])", labels.body())) == 3
