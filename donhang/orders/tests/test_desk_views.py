"""The order desk without a browser: discounts and buyer on the manual screen priced as saved,
the backorder question asked once, an address unless picked up at the shop, short codes and
the top bar's search, the timeline in the reader's language."""

import pytest
from django.urls import reverse
from django.utils import translation

from donhang.accounts.services import user_create
from donhang.orders import selectors, services
from donhang.orders.models import Order
from donhang.orders.tests.test_views import _manual


@pytest.fixture
def client_owner(client, owner):
    client.cookies["donhang_language"] = "en"
    client.force_login(owner)
    return client


def test_line_and_order_discounts_and_the_buyer_are_saved_as_previewed(
    client_owner, make_variant, hoan_kiem
):
    shirt = make_variant("AT01", stock=10, price=150_000)
    mug = make_variant("COC01", stock=10, price=90_000)
    data = _manual(
        hoan_kiem,
        shirt,
        line_variant=[shirt.pk, mug.pk],
        line_quantity=["2", "1"],
        line_unit_price=["", ""],
        line_discount=["10%", ""],
        order_discount="20.000",
        shipping_fee="0",
        buyer_kind="company",
        buyer_company_name="Công ty TNHH Hoa Sen",
        buyer_tax_code="0101243150",
        buyer_address="12 Hàng Bạc, Hà Nội",
        buyer_email="ketoan@hoasen.vn",
        wants_invoice="on",
    )
    preview = client_owner.post(reverse("orders:totals_preview"), data)
    assert preview.status_code == 200
    assert preview.context["totals"]["total"] == 340_000
    assert preview.context["totals"]["discount_total"] == 50_000

    response = client_owner.post(reverse("orders:order_create"), data)

    assert response.status_code == 302
    order = Order.objects.get()
    assert order.total == 340_000
    assert order.discount_total == 50_000
    assert order.order_discount == 20_000
    line = order.lines.get(sku="AT01")
    assert line.discount_percent == 10
    assert line.discount == 30_000
    assert order.buyer_kind == "company"
    assert order.buyer_tax_code == "0101243150"
    assert order.wants_invoice


def test_a_discount_larger_than_the_goods_is_said_in_the_preview(
    client_owner, make_variant, hoan_kiem
):
    shirt = make_variant("AT01", stock=10, price=150_000)
    data = _manual(hoan_kiem, shirt, order_discount="900000", shipping_fee="0")
    preview = client_owner.post(reverse("orders:totals_preview"), data)
    assert 'id="totals-error"' in preview.text
    response = client_owner.post(reverse("orders:order_create"), data)
    assert response.status_code == 200
    assert not Order.objects.exists()
    assert 'data-error-for="order_discount"' in response.text


def test_above_what_can_be_sold_asks_once_then_saves_the_backorder(
    client_owner, make_variant, hoan_kiem
):
    mug = make_variant("COC01", stock=2861)
    data = _manual(hoan_kiem, mug, line_quantity=["3834"])

    asked = client_owner.post(reverse("orders:order_create"), data)

    assert asked.status_code == 200
    assert not Order.objects.exists()
    assert 'id="backorder-question"' in asked.text
    assert "Backorder 973?" in asked.text
    assert "2,861 can be sold now" in asked.text
    saved = client_owner.post(reverse("orders:order_create"), {**data, "backorder": "yes"})
    assert saved.status_code == 302
    order = Order.objects.get()
    assert order.sub_state == "awaiting_stock"


def test_vietnamese_pages_group_the_backorder_numbers_with_a_dot(
    client_owner, make_variant, hoan_kiem
):
    client_owner.cookies["donhang_language"] = "vi"
    mug = make_variant("COC01", stock=2861)
    asked = client_owner.post(
        reverse("orders:order_create"), _manual(hoan_kiem, mug, line_quantity=["3834"])
    )
    assert "2.861" in asked.text
    assert "973" in asked.text


def test_an_order_to_ship_needs_an_address_unless_picked_up(client_owner, make_variant, hoan_kiem):
    mug = make_variant("COC01", stock=5)
    no_address = _manual(
        hoan_kiem, mug, address_line="", province="", ward="", payment_method="bank_transfer"
    )
    response = client_owner.post(reverse("orders:order_create"), no_address)
    assert response.status_code == 200
    assert not Order.objects.exists()
    assert 'data-error-for="address_line"' in response.text
    assert 'data-error-for="ward"' in response.text

    # Cash on delivery needs a delivery
    pickup_cod = {**no_address, "delivery": "pickup", "payment_method": "cod"}
    response = client_owner.post(reverse("orders:order_create"), pickup_cod)
    assert not Order.objects.exists()
    assert 'data-error-for="payment_method"' in response.text

    pickup = {**no_address, "delivery": "pickup"}
    response = client_owner.post(reverse("orders:order_create"), pickup)
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.shipping_ward_id is None
    assert order.note.startswith("Pickup at the shop")


def test_short_codes_and_tracking_numbers_find_orders(place_order, make_variant, owner):
    make_variant("COC01", stock=5)
    order = place_order(("COC01", 1))
    number = order.pk
    for typed in (f"DH{number}", f"dh{number}", f"DH {number}", order.code):
        found = selectors.order_list(filters=selectors.OrderFilters(q=typed)).orders
        assert [o.code for o in found] == [order.code], typed


def test_the_top_search_box_goes_to_the_order_or_the_customer(
    client_owner, place_order, make_variant
):
    make_variant("COC01", stock=5)
    order = place_order(("COC01", 1), phone="0903 111 222")
    by_code = client_owner.get(reverse("orders:find"), {"q": f"DH{order.pk}"})
    assert by_code.url == reverse("orders:order_detail", args=[order.code])
    by_phone = client_owner.get(reverse("orders:find"), {"q": "0903.111.222"})
    assert by_phone.url == reverse("customers:customer_detail", args=[order.customer_id])
    by_name = client_owner.get(reverse("orders:find"), {"q": "nguyen van"})
    assert by_name.status_code == 302
    # Every page has the box
    page = client_owner.get(reverse("orders:order_list")).text
    assert 'id="global-search"' in page
    # A warehouse role (no customers) gets the order list
    warehouse = user_create(username="kho-1", password="mat-khau-123", role="warehouse")
    client_owner.force_login(warehouse)
    by_phone = client_owner.get(reverse("orders:find"), {"q": "0903 111 222"})
    assert by_phone.url == reverse("orders:order_detail", args=[order.code])


def test_the_timeline_is_rendered_in_the_readers_language(client_owner, place_order, make_variant):
    make_variant("COC01", stock=5)
    with translation.override("vi"):
        order = place_order(("COC01", 1))
        services.order_confirm(order=order, actor=None)
    english = client_owner.get(reverse("orders:order_detail", args=[order.code])).text
    assert "Order received from Phone." in english
    client_owner.cookies["donhang_language"] = "vi"
    vietnamese = client_owner.get(reverse("orders:order_detail", args=[order.code])).text
    assert "Order received from Phone." not in vietnamese


def test_the_edit_lines_button_says_it_edits_lines_and_the_stock_column_what_it_holds(
    client_owner, place_order, make_variant
):
    make_variant("COC01", stock=5)
    order = place_order(("COC01", 2))
    html = client_owner.get(reverse("orders:order_detail", args=[order.code])).text
    assert "Edit order lines" in html
    assert "Reserved for it" in html and "Held in" in html


def test_dashboard_tiles_link_to_the_lists_they_count(client_owner):
    html = client_owner.get(reverse("web:dashboard")).text
    assert f'href="{reverse("orders:order_list")}?date_from=' in html
    assert f'href="{reverse("inventory:low_stock")}"' in html
