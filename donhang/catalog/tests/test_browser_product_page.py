"""The product page in headless chromium, in Vietnamese and English: the variant table of a
3 × 4 × 4 product fits a 1366 px laptop, margins follow the typed price, a price below cost turns
red, and labels print for the selected variants."""

import re

import pytest
from playwright.sync_api import expect

from donhang.accounts.services import user_create
from donhang.catalog import services
from donhang.inventory.models import Warehouse

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
def big_product(db):
    owner = user_create(username="chu-shop", password=PASSWORD, role="owner")
    warehouse = Warehouse.objects.create(code="HN", name="Kho Hà Nội", priority=1)
    product = services.product_create(
        name="Áo khoác gió hai lớp chống nước cao cấp",
        sku="AKG-2LOP-CHONGNUOC",
        attributes=[
            ("Màu sắc", "Xanh dương đậm, Đỏ đô, Trắng kem, Đen tuyền"),
            ("Kích cỡ", "M, L, XL, XXL"),
            ("Chất liệu", "Polyester, Nylon, Gore-Tex, Cotton pha"),
        ],
        defaults={"cost_price": 250_000, "sale_price": 590_000, "vat_rate": "10"},
        initial_stock={warehouse.pk: 1250},
        actor=owner,
    )
    assert product.variants.count() == 64
    return product


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_variant_table_fits_a_laptop_and_margins_follow_the_price(page, big_product, language):
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, username="chu-shop", language=language)
    page.goto(f"/catalog/products/{big_product.pk}/")
    table = page.locator("#variant-table")
    expect(table.locator("tbody tr")).to_have_count(64)

    # No horizontal scrolling: not the page, not the table's own box
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate(
        "(() => { const t = document.getElementById('variant-table');"
        " return t.parentElement.scrollWidth <= t.parentElement.clientWidth"
        " && t.getBoundingClientRect().right <= window.innerWidth; })()"
    )
    # The VAT select shows its whole value
    vat = table.locator("tbody tr").first.locator("select[name$=vat_rate]")
    assert page.evaluate(
        "(s) => s.scrollWidth <= s.clientWidth + 1 && s.selectedOptions[0].text.length > 0",
        vat.element_handle(),
    )
    expect(vat).to_have_value("10")
    # Quantities grouped the language's way
    expect(table.locator("tbody tr").first).to_contain_text(
        "1.250" if language == "vi" else "1,250"
    )

    # When a sale price is typed, the margin follows: 330.000 net of 10 % = 300.000 − 250.000
    row = table.locator("tbody tr").first
    price = row.locator("input[name$=sale_price]")
    price.fill("330000")
    expect(row.locator(".margin-amount")).to_have_text(re.compile(r"^50[.,]000 ₫$"))
    expect(row.locator(".margin-percent")).to_contain_text("16")
    expect(row.locator(".below-cost")).to_be_hidden()

    # And below cost it turns red, saying so
    price.fill("220000")
    expect(row.locator(".below-cost")).to_be_visible()
    expect(row.locator(".margin")).to_have_class(re.compile("margin-negative"))
    expect(price).to_have_class(re.compile("is-invalid"))
    assert "−" in row.locator(".margin-amount").inner_text()

    # A different VAT rate counts too: 330.000 at 8 % → 305.556 net
    price.fill("330000")
    row.locator("select[name$=vat_rate]").select_option("8")
    expect(row.locator(".margin-amount")).to_have_text(re.compile(r"^55[.,]556 ₫$"))


@pytest.mark.parametrize("language", ["vi", "en"])
def test_barcodes_are_given_and_labels_print_for_the_selected_variants(page, big_product, language):
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, username="chu-shop", language=language)
    page.goto(f"/catalog/products/{big_product.pk}/")
    with page.expect_navigation():
        page.locator("#assign-barcodes button").click()
    assert not big_product.variants.filter(barcode="").exists()
    expect(page.locator("#assign-barcodes")).to_have_count(0)

    rows = page.locator("#variant-table tbody tr")
    rows.nth(0).locator("input[name=variants]").check()
    rows.nth(1).locator("input[name=variants]").check()
    page.locator("#label-sheet").select_option("roll-50x30")
    with page.context.expect_page() as opened:
        page.locator("#print-labels").click()
    pdf_page = opened.value
    pdf_page.wait_for_load_state()
    assert "barcodes/labels/" in pdf_page.url
    assert "sheet=roll-50x30" in pdf_page.url
    answer = page.request.get(pdf_page.url)
    assert answer.headers["content-type"] == "application/pdf"
