"""Scan mode on the count sheet, in headless chromium, in Vietnamese and English: each scan of a
barcode counts one unit; an unknown code beeps and says so; posting asks first."""

import pytest
from playwright.sync_api import expect

from donhang.accounts.services import user_create
from donhang.catalog import services as catalog
from donhang.catalog.models import Variant
from donhang.inventory import stocktakes
from donhang.inventory.models import Stocktake, Warehouse

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


@pytest.fixture
def sheet(db):
    manager = user_create(username="quan-ly", password=PASSWORD, role="manager")
    warehouse = Warehouse.objects.create(code="HN", name="Kho Hà Nội", priority=1)
    for sku, barcode, stock in (("COC01", "8930000000017", 1500), ("AT01", "2000000000015", 3)):
        product = catalog.product_create(
            name=f"Sản phẩm {sku}",
            sku=sku,
            defaults={"cost_price": 10_000, "sale_price": 20_000},
            initial_stock={warehouse.pk: stock},
            actor=manager,
        )
        Variant.objects.filter(product=product).update(barcode=barcode)
    return stocktakes.stocktake_create(warehouse=warehouse, actor=manager)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_scanned_barcode_counts_one(page, sheet, language):
    log_in(page, username="quan-ly", language=language)
    page.goto(f"/inventory/stocktakes/{sheet.code}/")
    box = page.locator("#scan-input")
    expect(box).to_be_focused()
    line = sheet.lines.get(variant__sku="AT01")
    row = page.locator(f"#line-{line.pk}")

    # When a barcode is scanned (a scanner types it and presses Enter)
    box.press_sequentially("2000000000015")
    box.press("Enter")

    # Then it counts one, the row shows it and the box is ready for the next scan
    expect(page.locator("#scan-message")).to_contain_text("AT01")
    expect(row.locator("input.count-input")).to_have_value("1")
    line.refresh_from_db()
    assert line.counted == 1
    expect(box).to_have_value("")
    expect(box).to_be_focused()

    # Scans in quick succession each count one
    for _ in range(2):
        box.press_sequentially("2000000000015")
        box.press("Enter")
    expect(page.locator(f"#line-{line.pk} input.count-input")).to_have_value("3")
    line.refresh_from_db()
    assert line.counted == 3
    # The SKU typed by hand counts the same way; the other line is untouched
    box.fill("COC01")
    box.press("Enter")
    expect(page.locator("#scan-message")).to_contain_text("COC01")
    assert sheet.lines.get(variant__sku="COC01").counted == 1

    # An unknown code: a clear message (and a beep), nothing counted
    box.press_sequentially("9999999999999")
    box.press("Enter")
    message = page.locator("#scan-message")
    expect(message).to_contain_text("9999999999999")
    expect(message).to_have_attribute("data-state", "refused")
    assert sheet.lines.get(variant__sku="COC01").counted == 1
    # Expected quantities print with the language's grouping
    expect(page.locator("#count-sheet")).to_contain_text("1.500" if language == "vi" else "1,500")

    # Posting asks first; saying no posts nothing
    page.goto(f"/inventory/stocktakes/{sheet.code}/review/")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator("#stocktake-post").click()
    page.wait_for_timeout(300)
    sheet.refresh_from_db()
    assert sheet.status == Stocktake.Status.COUNTING
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.locator("#stocktake-post").click()
    sheet.refresh_from_db()
    assert sheet.status == Stocktake.Status.POSTED
