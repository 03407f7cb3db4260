"""The foundation's main flow in headless chromium, in Vietnamese and in English."""

import re

import pytest
from playwright.sync_api import expect

from donhang.accounts.services import user_create
from donhang.catalog.models import Product
from donhang.inventory.models import StockLevel, Warehouse

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "mat-khau-dai-2026"


# Runs before any script of each page (Playwright injects it, so the policy does not apply to it):
# every Content-Security-Policy violation becomes a console error we can collect.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


def watch_csp(page) -> list[str]:
    """Console errors about the Content-Security-Policy, from now on, on every page."""
    page.add_init_script(REPORT_CSP_VIOLATIONS)
    violations: list[str] = []

    def collect(message):
        text = message.text
        if message.type == "error" and ("Content Security Policy" in text or "CSP" in text):
            violations.append(f"{page.url}: {text}")

    page.on("console", collect)
    page.on("pageerror", lambda error: violations.append(f"{page.url}: {error}"))
    return violations


def log_in(page, *, username: str, language: str) -> None:
    page.goto("/accounts/login/")
    with page.expect_navigation():
        page.select_option("#language-switch select", language)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form#login-form [type=submit]")


@pytest.mark.parametrize(
    ("language", "dashboard_heading"), [("vi", "Tổng quan"), ("en", "Dashboard")]
)
def test_owner_creates_a_product_with_a_variant_matrix_and_finds_it(
    page, language, dashboard_heading
):
    # Given an owner and a warehouse, and a browser that reports policy violations
    violations = watch_csp(page)
    user_create(username="chu-shop", password=PASSWORD, role="owner")
    warehouse = Warehouse.objects.create(code="HN", name="Kho Hà Nội")

    # When they log in
    log_in(page, username="chu-shop", language=language)
    expect(page.locator("h1")).to_have_text(dashboard_heading)
    expect(page.locator("html")).to_have_attribute("lang", language)

    # And create a product with two attributes, of 2 and 3 values
    page.goto("/catalog/products/new/")
    page.fill("[name=name]", "Áo thun cổ tròn Hà Nội")
    page.fill("[name=sku]", "ATCT")
    page.fill("[name=cost_price]", "80000")
    page.fill("[name=sale_price]", "165000")
    page.select_option("[name=vat_rate]", "10")
    page.fill("[name=attribute_1_name]", "Màu")
    page.fill("[name=attribute_1_values]", "Đỏ, Xanh")
    page.fill("[name=attribute_2_name]", "Size")
    page.fill("[name=attribute_2_values]", "S, M, L")
    page.fill(f"[name=initial_stock_{warehouse.pk}]", "5")
    with page.expect_navigation():
        page.click("form#product-form [type=submit]")

    # Then the product page shows 6 variants, each with its computed margin:
    # 165,000 incl. 10 % VAT is 150,000 net; minus cost 80,000 → 70,000, 46.7 %.
    rows = page.locator("tr[data-variant-sku]")
    expect(rows).to_have_count(6)
    for i in range(6):
        margin = rows.nth(i).locator(".margin")  # the amount over the percent, one cell
        expect(margin).to_contain_text("70.000")
        expect(margin).to_contain_text(re.compile(r"46[.,]7"))
    product = Product.objects.get(sku="ATCT")
    assert product.variants.count() == 6
    assert sorted(product.variants.values_list("option1", "option2")) == sorted(
        (c, s) for c in ("Đỏ", "Xanh") for s in ("S", "M", "L")
    )
    assert all(level.on_hand == 5 for level in StockLevel.objects.filter(warehouse=warehouse))

    # And the list finds it by its name typed without diacritics
    page.goto("/catalog/products/")
    page.fill("input[name=q]", "ao thun co tron ha noi")
    with page.expect_navigation():
        page.press("input[name=q]", "Enter")
    expect(page.get_by_text("Áo thun cổ tròn Hà Nội").first).to_be_visible()
    expect(page.locator("tr[data-product-sku]")).to_have_count(1)
    # And the select-all box of the list ticks every row (web/app.js, no inline handler)
    page.click("input[data-check-all]")
    expect(page.locator("input[name=ids]:checked")).to_have_count(1)

    # And nothing on the way broke the Content-Security-Policy (no inline script, no handlers)
    assert violations == []


def test_the_policy_blocks_inline_script_and_the_test_sees_it(page):
    # The control for the assertion above: an inline script added by a page is refused, and
    # the refusal is reported.
    violations = watch_csp(page)
    page.goto("/accounts/login/")

    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.injected = true";
          document.body.appendChild(script);
        }"""
    )

    expect(page.locator("#login-form")).to_be_visible()
    assert page.evaluate("() => window.injected") is None
    page.wait_for_timeout(200)
    assert any("script-src" in v for v in violations), violations
