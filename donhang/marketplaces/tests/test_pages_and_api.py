"""Sales → Integrations pages and the marketplace API: health shown, unmatched listings linked or
turned into products, a product published, settings saved, the order card with the marketplace's
logistics, permissions, and the shop as a channel of its own in the order list."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from donhang.accounts.services import api_key_create, user_create
from donhang.catalog.models import Product
from donhang.catalog.services import product_image_add
from donhang.marketplaces.models import Listing, MarketplaceOrder, ProductPublish
from donhang.orders.models import Order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_throttle(settings):
    settings.MARKETPLACE_CALLS_PER_SECOND = 0


@pytest.fixture
def connected(shopee, connect, our_product):
    our_product("AO-TRANG", stock=20)
    shopee.seed(
        [
            {"name": "Áo thun trắng", "sku": "AO-TRANG", "price": 150000, "stock": 3},
            {
                "name": "Quần jean",
                "sku": "QJ",
                "tiers": [{"name": "Size", "options": ["S", "M"]}],
                "variants": [
                    {"sku": "QJ-S", "price": 300000, "stock": 5, "options": ["S"]},
                    {"sku": "QJ-M", "price": 320000, "stock": 7, "options": ["M"]},
                ],
            },
        ]
    )
    return connect(shopee, name="Shopee chính")


def test_the_integrations_page_shows_each_shop_with_its_health(connected, staff_client):
    page = staff_client.get("/marketplaces/").content.decode()

    assert f'data-connection="{connected.pk}"' in page
    assert "Shop Demo donhang (Shopee)" in page
    detail = staff_client.get(f"/marketplaces/{connected.pk}/").content.decode()
    assert 'id="health"' in detail and 'data-status="connected"' in detail


def test_unmatched_listings_are_linked_or_become_products(connected, staff_client, our_product):
    our_product("QJ-SMALL", stock=4)
    unmatched = staff_client.get(f"/marketplaces/{connected.pk}/listings/?show=unmatched")
    assert unmatched.content.decode().count('data-matched="0"') == 2
    small = Listing.objects.get(connection=connected, seller_sku="QJ-S")
    medium = Listing.objects.get(connection=connected, seller_sku="QJ-M")

    staff_client.post(f"/marketplaces/listings/{small.pk}/link/", {"sku": "QJ-SMALL"})
    staff_client.post(f"/marketplaces/listings/{medium.pk}/create-product/")

    small.refresh_from_db()
    medium.refresh_from_db()
    assert small.variant.sku == "QJ-SMALL" and small.matched_by == "manual"
    assert medium.variant.sku == "QJ-M" and medium.matched_by == "created"
    assert Product.objects.filter(name="Quần jean").exists()
    assert small.stock_dirty_at is not None  # its stock is pushed next


def test_a_product_is_published_from_its_page(connected, staff_client, our_product, committed):
    variant = our_product("NON-1", stock=6, price=99_000, name="Nón lá")
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (0, 120, 0)).save(buffer, "PNG")
    product_image_add(
        product=variant.product,
        file=SimpleUploadedFile("non.png", buffer.getvalue(), content_type="image/png"),
    )
    connected.options = {**connected.options, "category_id": "100001"}
    connected.save()

    with committed():
        response = staff_client.post(
            f"/marketplaces/{connected.pk}/publish/", {"product": variant.product_id}
        )

    assert response.status_code == 302
    publish = ProductPublish.objects.get(product=variant.product)
    assert publish.outcome == "created", publish.error
    assert Listing.objects.get(connection=connected, seller_sku="NON-1").variant == variant


def test_settings_are_saved_and_republish_the_stock(connected, staff_client, warehouse):
    response = staff_client.post(
        f"/marketplaces/{connected.pk}/settings/",
        {
            "name": "Shopee chính",
            "stock_percent": 80,
            "stock_buffer": 2,
            "strategy": "priority",
            "warehouses": [warehouse.pk],
        },
    )

    assert response.status_code == 302
    connected.refresh_from_db()
    assert (connected.stock_percent, connected.stock_buffer) == (80, 2)
    assert connected.store.channel_rule.warehouses.get() == warehouse
    bad = staff_client.post(
        f"/marketplaces/{connected.pk}/settings/",
        {"name": "x", "stock_percent": 150, "stock_buffer": 0, "strategy": "priority"},
    )
    assert bad.status_code == 422


def test_the_order_page_shows_the_marketplace_card_and_ships_through_it(
    shopee, connected, staff_client, committed
):
    remote = shopee.emu.create_order(lines=[{"sku": "AO-TRANG", "quantity": 1}], payment="cod")
    with committed():
        shopee.emu.pump(flush=True)
    order = Order.objects.get(external_id=remote.id)
    page = staff_client.get(f"/orders/{order.code}/").content.decode()
    assert 'id="marketplace-panel"' in page and 'id="arrange-shipment"' in page

    mo = MarketplaceOrder.objects.get(order=order)
    arranged = staff_client.post(f"/marketplaces/orders/{mo.pk}/arrange/")
    label = staff_client.get(f"/marketplaces/orders/{mo.pk}/label/")

    assert arranged.status_code == 302
    mo.refresh_from_db()
    assert mo.tracking_number.startswith("SPX")
    assert label.status_code == 200 and label.content.startswith(b"%PDF")
    # The order list names the shop; the shop is a filter of its own.
    listing = staff_client.get(f"/orders/?store={connected.store_id}").content.decode()
    assert order.code in listing and "Shopee · " in listing


def test_roles_sales_may_look_warehouse_may_not(connected):
    sales, warehouse = Client(), Client()
    sales.force_login(user_create(username="banhang", password="mat-khau-123", role="sales"))
    warehouse.force_login(user_create(username="kho", password="mat-khau-123", role="warehouse"))

    assert sales.get("/marketplaces/").status_code == 200
    assert sales.post(f"/marketplaces/{connected.pk}/push-now/").status_code == 403
    assert warehouse.get("/marketplaces/").status_code == 403


def test_the_api_lists_shops_and_their_sync_status(connected, committed):
    _key, raw = api_key_create(name="tích hợp", role="manager")
    headers = {"Authorization": f"Bearer {raw}"}
    client = Client()

    shops = client.get("/api/v1/marketplaces/connections", headers=headers)
    status = client.get(f"/api/v1/marketplaces/connections/{connected.pk}", headers=headers)
    with committed():
        pushed = client.post(
            f"/api/v1/marketplaces/connections/{connected.pk}/push-stock", headers=headers
        )

    assert shops.status_code == 200 and shops.json()[0]["shop_id"] == "220001"
    assert status.json()["matched"] == 1 and status.json()["unmatched"] == 2
    assert pushed.status_code == 202 and pushed.json()["queued"] == 1
    assert client.get("/api/v1/marketplaces/connections/999", headers=headers).status_code == 404
    assert client.get("/api/v1/marketplaces/connections").status_code == 401


def test_a_refused_authorization_says_so(connected, staff_client, settings):
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the test reads English
    response = staff_client.get(
        "/marketplaces/oauth/shopee/callback/?state=nope&code=abc&shop_id=1", follow=True
    )

    assert response.status_code == 200
    assert "already used" in response.content.decode() or "unknown" in response.content.decode()


def test_connect_pages_let_their_forms_end_at_the_platforms_sign_in(connected, staff_client):
    """A form whose POST redirects to the platform's authorization page needs that origin in
    the page's CSP form-action, or browsers block the redirect."""
    pages = [
        reverse("marketplaces:connection_create"),
        reverse("marketplaces:connection_detail", args=[connected.pk]),
    ]
    for url in pages:
        policy = staff_client.get(url)["Content-Security-Policy"]
        form_action = next(p for p in policy.split("; ") if p.startswith("form-action"))
        assert "'self'" in form_action
        assert "https://partner.shopeemobile.com" in form_action
        assert "script-src 'self'" in policy  # still no inline script
