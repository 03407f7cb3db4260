"""The manual order flow in headless chromium, in Vietnamese and in English."""

import re

import pytest
from playwright.sync_api import expect

from donhang.accounts.services import user_create
from donhang.catalog import services as catalog
from donhang.customers.models import Ward
from donhang.inventory.models import Warehouse
from donhang.orders.models import Order, Status

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
def test_sales_takes_a_phone_order_confirms_it_and_finds_it_by_phone(page, language):
    # Given a sales person and a product with stock
    user_create(username="ban-hang", password=PASSWORD, role="sales")
    warehouse = Warehouse.objects.create(code="HN", name="Kho Hà Nội", priority=1)
    catalog.product_create(
        name="Áo sơ mi lụa Hà Nội",
        sku="ASM01",
        defaults={"cost_price": 120_000, "sale_price": 250_000, "vat_rate": "10"},
        initial_stock={warehouse.pk: 5},
    )
    hoan_kiem = Ward.objects.get(name="Phường Hoàn Kiếm")
    log_in(page, username="ban-hang", language=language)
    expect(page.locator("html")).to_have_attribute("lang", language)

    # When they type the caller's phone number on the manual order screen
    page.goto("/orders/new/")
    form = page.locator("form#order-form")
    form.locator("[name=phone]").press_sequentially("0903 111 222")
    # Then the number is looked up: nobody has ordered from it yet
    expect(page.locator("#customer-new")).to_be_visible()

    # When they fill in the customer and the address (province → ward)
    form.locator("[name=name]").fill("Vũ Thị Hương")
    form.locator("[name=address_line]").fill("15 Lý Thái Tổ")
    form.locator("[name=province]").select_option(str(hoan_kiem.province_id))
    expect(form.locator(f"[name=ward] option[value='{hoan_kiem.code}']")).to_have_count(1)
    form.locator("[name=ward]").select_option(str(hoan_kiem.code))

    # And search a product without diacritics and add it, two of them
    page.locator("#variant-search").press_sequentially("ao so mi lua")
    result = page.locator("#variant-results [data-variant-sku=ASM01]")
    expect(result).to_be_visible()
    result.click()
    line = page.locator("#lines-body tr[data-line-sku=ASM01]")
    expect(line).to_have_count(1)
    line.locator("[name=line_quantity]").fill("2")
    # The totals follow live: 2 × 250.000 ₫
    expect(page.locator("[data-total=total]")).to_contain_text("500.000")

    # And save and confirm
    with page.expect_navigation():
        form.locator("button[name=action][value=confirm]").click()

    # Then the order page shows the confirmed order
    order = Order.objects.get()
    assert order.status == Status.PROCESSING
    assert order.customer_phone == "+84903111222"
    assert order.customer_name == "Vũ Thị Hương"
    assert list(order.lines.values_list("sku", "quantity")) == [("ASM01", 2)]
    expect(page.locator("h1")).to_have_text(order.code)
    expect(page).to_have_url(re.compile(rf"/orders/{order.code}/$"))

    # And the order list finds it by the phone number
    page.goto("/orders/")
    page.fill("#order-filters input[name=q]", "0903 111 222")
    with page.expect_navigation():
        page.press("#order-filters input[name=q]", "Enter")
    rows = page.locator("tr[data-order-code]")
    expect(rows).to_have_count(1)
    expect(page.locator(f"tr[data-order-code={order.code}]")).to_contain_text("0903 111 222")
    expect(page.locator(f"tr[data-order-code={order.code}]")).to_contain_text("Vũ Thị Hương")
