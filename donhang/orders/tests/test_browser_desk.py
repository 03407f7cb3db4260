"""The order desk at the speed of a scanner, in headless chromium, in Vietnamese and English:
SKU or barcode + Enter, words in any order, discounts priced as the API prices them, the order
list on a phone, and the timeline in the reader's language."""

import re

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from donhang.accounts.services import user_create
from donhang.catalog import services as catalog
from donhang.catalog.models import Variant
from donhang.inventory.models import Warehouse
from donhang.orders import services as orders
from donhang.orders.models import Order
from donhang.orders.tests.test_browser_orders import PASSWORD, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk(db):
    user_create(username="ban-hang", password=PASSWORD, role="sales")
    warehouse = Warehouse.objects.create(code="HN", name="Kho Hà Nội", priority=1)
    shirt = catalog.product_create(
        name="Áo thun cổ tròn",
        sku="AT",
        attributes=[("Màu", "Xanh, Đỏ"), ("Size", "M, L, XL")],
        defaults={"cost_price": 60_000, "sale_price": 150_000, "vat_rate": "10"},
        initial_stock={warehouse.pk: 20},
    )
    mug = catalog.product_create(
        name="Cốc sứ Bát Tràng",
        sku="COC01",
        defaults={"cost_price": 30_000, "sale_price": 90_000, "vat_rate": "10"},
        initial_stock={warehouse.pk: 2861},
    )
    Variant.objects.filter(product=mug).update(barcode="8930000000017")
    return {
        "warehouse": warehouse,
        "shirt_blue_l": shirt.variants.get(option1="Xanh", option2="L"),
        "mug": mug.variants.get(),
    }


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_sku_and_enter_twice_gives_one_line_of_two_and_the_box_ready(page, desk, language):
    # Given the new order screen
    log_in(page, username="ban-hang", language=language)
    page.goto("/orders/new/")
    box = page.locator("#variant-search")
    # The shortcuts are written on the page
    expect(page.locator("#shortcuts")).to_contain_text("F2")
    expect(page.locator("#shortcuts")).to_contain_text("F4")
    expect(page.locator("#shortcuts")).to_contain_text("Ctrl")

    # When F2 goes to the product box, and a SKU is typed (as a scanner does) + Enter, twice
    page.locator("[name=name]").click()
    page.keyboard.press("F2")
    expect(box).to_be_focused()
    box.press_sequentially("COC01")
    box.press("Enter")
    line = page.locator("#lines-body tr[data-line-sku=COC01]")
    expect(line).to_have_count(1)
    expect(box).to_have_value("")
    box.press_sequentially("COC01")
    box.press("Enter")

    # Then one line of quantity 2, and the box is empty and has the focus for the next scan
    expect(line.locator("[name=line_quantity]")).to_have_value("2")
    expect(page.locator("#lines-body tr")).to_have_count(1)
    expect(box).to_have_value("")
    expect(box).to_be_focused()

    # And a barcode adds to the same line
    box.press_sequentially("8930000000017")
    box.press("Enter")
    expect(line.locator("[name=line_quantity]")).to_have_value("3")
    expect(box).to_be_focused()

    # And an unknown code says so and adds nothing
    box.press_sequentially("0000000000000")
    box.press("Enter")
    expect(page.locator("#scan-message")).to_contain_text("0000000000000")
    expect(page.locator("#lines-body tr")).to_have_count(1)

    # F4 goes to the customer's phone
    page.keyboard.press("F4")
    expect(page.locator("[name=phone]")).to_be_focused()


@pytest.mark.parametrize("language", ["vi", "en"])
def test_words_in_any_order_without_diacritics_find_the_variant(page, desk, language):
    log_in(page, username="ban-hang", language=language)
    page.goto("/orders/new/")
    box = page.locator("#variant-search")

    # When the words come in another order than the name, without diacritics
    box.press_sequentially("xanh l ao thun")
    results = page.locator("#variant-results .variant-result")
    expect(results.first).to_be_visible()
    # Then the blue L shirt is found, first (whole words before "XL")
    sku = desk["shirt_blue_l"].sku
    expect(results.first.locator(f"[data-variant-sku='{sku}']")).to_have_count(1)

    # And the arrow keys move in the list and Enter picks
    box.press("ArrowDown")
    expect(results.first).to_have_class(re.compile("active"))
    box.press("ArrowDown")
    box.press("ArrowUp")
    box.press("Enter")
    expect(page.locator(f"#lines-body tr[data-line-sku='{sku}']")).to_have_count(1)
    expect(box).to_have_value("")
    expect(box).to_be_focused()


@pytest.mark.parametrize("language", ["vi", "en"])
def test_line_and_order_discounts_give_the_totals_the_api_reports(page, desk, language, hoan_kiem):
    log_in(page, username="ban-hang", language=language)
    page.goto("/orders/new/")
    form = page.locator("form#order-form")
    form.locator("[name=phone]").fill("0903 111 222")
    form.locator("[name=name]").fill("Vũ Thị Hương")
    form.locator("[name=address_line]").fill("15 Lý Thái Tổ")
    form.locator("[name=province]").select_option(str(hoan_kiem.province_id))
    expect(form.locator(f"[name=ward] option[value='{hoan_kiem.code}']")).to_have_count(1)
    form.locator("[name=ward]").select_option(str(hoan_kiem.code))
    box = page.locator("#variant-search")
    box.press_sequentially(desk["shirt_blue_l"].sku)
    box.press("Enter")
    box.press_sequentially(desk["shirt_blue_l"].sku)
    box.press("Enter")
    box.press_sequentially("COC01")
    box.press("Enter")
    shirt = page.locator(f"#lines-body tr[data-line-sku='{desk['shirt_blue_l'].sku}']")
    expect(shirt.locator("[name=line_quantity]")).to_have_value("2")

    # When the shirt line gets 10 % off and the order 20.000 ₫ off
    shirt.locator("[name=line_discount]").fill("10%")
    form.locator("[name=order_discount]").fill("20.000")
    # Then the live totals: goods 2 × 150.000 + 90.000 = 390.000; line −30.000, order −20.000
    total = page.locator("[data-total=total]")
    expect(total).to_contain_text("340.000")
    expect(page.locator("[data-total=discount]")).to_contain_text("50.000")
    shown_total = int(re.sub(r"\D", "", total.inner_text()))
    shown_vat = int(re.sub(r"\D", "", page.locator("[data-total=vat]").inner_text()))

    # And saved, the API reports the same totals
    with page.expect_navigation():
        form.locator("#save-new").click()
    order = Order.objects.get()
    answer = page.request.get(f"/api/v1/orders/{order.code}")
    assert answer.ok, answer.text()
    body = answer.json()
    assert body["total"] == shown_total == 340_000
    assert body["vat_total"] == shown_vat
    assert body["discount_total"] == 50_000
    assert body["goods_total"] == 390_000


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_quantity_above_what_can_be_sold_asks_once(page, desk, language, hoan_kiem):
    log_in(page, username="ban-hang", language=language)
    page.goto("/orders/new/")
    form = page.locator("form#order-form")
    form.locator("[name=phone]").fill("0903 111 222")
    form.locator("[name=name]").fill("Vũ Thị Hương")
    # Pickup at the shop: no address needed (and no cash on delivery)
    form.locator("[name=delivery][value=pickup]").check()
    expect(page.locator("#address-fields")).to_be_hidden()
    form.locator("[name=payment_method][value=bank_transfer]").check()
    box = page.locator("#variant-search")
    box.press_sequentially("COC01")
    box.press("Enter")
    line = page.locator("#lines-body tr[data-line-sku=COC01]")
    line.locator("[name=line_quantity]").fill("3834")
    # The line says it before saving
    expect(line.locator(".backorder-hint")).to_contain_text("973")

    # When saved, it asks once instead of saving a backorder silently
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    expect(page.locator("#backorder-question")).to_contain_text("973")
    expect(page.locator("#backorder-question")).to_contain_text(
        "2.861" if language == "vi" else "2,861"
    )
    assert not Order.objects.exists()
    with page.expect_navigation():
        page.locator("#backorder-yes").click()
    order = Order.objects.get()
    assert order.lines.get().quantity == 3834
    assert order.shipping_ward_id is None
    expect(page.locator("h1")).to_have_text(order.code)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_an_order_to_ship_needs_an_address(page, desk, language):
    log_in(page, username="ban-hang", language=language)
    page.goto("/orders/new/")
    form = page.locator("form#order-form")
    form.locator("[name=phone]").fill("0903 111 222")
    form.locator("[name=name]").fill("Vũ Thị Hương")
    form.locator("[name=payment_method][value=bank_transfer]").check()
    box = page.locator("#variant-search")
    box.press_sequentially("COC01")
    box.press("Enter")
    expect(page.locator("#lines-body tr")).to_have_count(1)
    with page.expect_navigation():
        form.locator("#save-new").click()
    expect(page.locator("[data-error-for=address_line]")).to_be_visible()
    assert not Order.objects.exists()


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_order_list_on_a_phone_is_cards_with_status_and_total(
    page, desk, language, place_order
):
    for _ in range(3):
        place_order(("COC01", 1), shipping_fee=0)
    log_in(page, username="ban-hang", language=language)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/orders/")
    first = page.locator("#order-table tbody tr").first
    expect(first.locator(".status-badge")).to_be_visible()
    expect(first.locator("[data-order-total]")).to_be_visible()
    expect(first.locator("[data-order-total]")).to_contain_text("90.000")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # And the order page fits too, its next step a full-width button
    first.locator(".col-code a").click()
    expect(page.locator("#main-step")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    width = page.locator("#main-step").bounding_box()["width"]
    assert width > 300
    # And the public tracking page: fields and button as wide as the thumb needs
    page.goto("/shipping/track/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.locator("#track-button").bounding_box()["width"] > 300
    assert page.locator("#phone").get_attribute("inputmode") == "tel"


def test_an_order_taken_in_vietnamese_shows_its_timeline_in_english(page, desk, place_order):
    with translation.override("vi"):
        order = place_order(("COC01", 1))
        orders.order_add_note(order=order, text="Khách hẹn chiều", actor=None)
        orders.order_confirm(order=order, actor=None)
    log_in(page, username="ban-hang", language="en")
    page.goto(f"/orders/{order.code}/")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Order received from Phone.")
    expect(timeline).to_contain_text("Confirmed")
    expect(timeline).not_to_contain_text("Đơn nhận từ")
    expect(timeline).not_to_contain_text("Đã xác nhận")
    # What a person wrote stays as written
    expect(timeline).to_contain_text("Khách hẹn chiều")


def test_vietnamese_pages_group_quantities_with_a_dot_and_write_dates_dd_mm_yyyy(
    page, desk, place_order
):
    order = place_order(("COC01", 1200))
    log_in(page, username="ban-hang", language="vi")
    page.goto(f"/orders/{order.code}/")
    expect(page.locator("#order-lines")).to_contain_text("1.200")
    created = timezone.localtime(order.created_at).strftime("%d/%m/%Y")
    expect(page.locator("#order-header")).to_contain_text(created)
    page.goto("/orders/")
    expect(page.locator(f"tr[data-order-code={order.code}]")).to_contain_text(created)
    page.goto(f"/catalog/products/{desk['mug'].product_id}/")
    expect(page.locator("#variant-table")).to_contain_text("2.861")  # on hand


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_search_box_of_every_page_finds_a_customer_by_phone_and_an_order_by_short_code(
    page, desk, language, place_order
):
    order = place_order(("COC01", 1), phone="0903 111 222", name="Vũ Thị Hương")
    log_in(page, username="ban-hang", language=language)
    page.goto("/catalog/products/")
    box = page.locator("#global-search input[name=find]")
    box.fill("0903.111.222")
    with page.expect_navigation():
        box.press("Enter")
    expect(page).to_have_url(re.compile(rf"/customers/{order.customer_id}/$"))
    expect(page.locator("body")).to_contain_text("Vũ Thị Hương")
    box = page.locator("#global-search input[name=find]")
    box.fill(f"dh{order.pk}")
    with page.expect_navigation():
        box.press("Enter")
    expect(page).to_have_url(re.compile(rf"/orders/{order.code}/$"))
