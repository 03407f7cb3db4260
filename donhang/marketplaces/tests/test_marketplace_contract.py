"""The contract every marketplace adapter passes against its emulator (DESIGN.md section 5):
statuses map to exactly one of ours, pagination returns every page, a create retried after a
lost answer makes one item, unknown ids raise PermanentError, 5xx/timeouts/429 raise
RetryableError, a tampered push is refused, capability flags match behaviour, an expired token
is refreshed and the call retried without anyone doing anything."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from donhang.catalog.services import product_image_add
from donhang.core.integrations import PermanentError, RetryableError, Unsupported
from donhang.marketplaces import services
from donhang.marketplaces.models import Listing, ProductPublish, ShopConnection
from donhang.marketplaces.ports import OrderStatus, Settlement
from donhang.marketplaces.providers.lazada.adapter import STATUS_MAP as LAZADA_STATUSES
from donhang.marketplaces.providers.shopee.adapter import STATUS_MAP as SHOPEE_STATUSES
from donhang.marketplaces.providers.tiktok_shop.adapter import STATUS_MAP as TIKTOK_STATUSES
from donhang.marketplaces.services._common import adapter_for

pytestmark = pytest.mark.django_db


def png_file():
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(buffer, "PNG")
    return SimpleUploadedFile("dep.png", buffer.getvalue(), content_type="image/png")


PLATFORM_STATUSES = {
    "shopee": SHOPEE_STATUSES,
    "lazada": LAZADA_STATUSES,
    "tiktok_shop": TIKTOK_STATUSES,
}


@pytest.fixture(autouse=True)
def _no_throttle(settings):
    # The emulators' rate limits run on a fake clock; our own throttle would wait in real time.
    settings.MARKETPLACE_CALLS_PER_SECOND = 0


@pytest.fixture
def connected(marketplace, connect):
    return connect(marketplace)


def emulator_statuses(marketplace) -> set[str]:
    module = __import__(type(marketplace.emu).__module__, fromlist=["STATUS"])
    return {str(v) for v in module.STATUS.values()}


def test_every_platform_status_maps_to_exactly_one_of_ours(marketplace, connected):
    adapter = adapter_for(connected)
    words = emulator_statuses(marketplace) | set(PLATFORM_STATUSES[marketplace.platform])

    mapped = {word: adapter.map_status(word) for word in words}

    assert all(isinstance(status, OrderStatus) for status in mapped.values())
    with pytest.raises(PermanentError):
        adapter.map_status("NO_SUCH_STATUS")


def test_product_pagination_returns_every_page(marketplace, connected):
    marketplace.seed(
        [
            {"name": f"Sản phẩm {i}", "sku": f"P-{i:03d}", "price": 10000, "stock": 1}
            for i in range(130)
        ]
    )
    adapter = adapter_for(connected)
    seen, cursor, pages = [], "", 0
    while True:
        page = adapter.list_products(cursor=cursor)
        pages += 1
        seen += [v.seller_sku for p in page.products for v in p.variations]
        if not page.next_cursor:
            break
        cursor = page.next_cursor

    assert pages > 1
    assert sorted(seen) == [f"P-{i:03d}" for i in range(130)]


def test_order_pagination_returns_every_page(marketplace, connected):
    marketplace.seed([{"name": "Áo", "sku": "AO-1", "price": 10000, "stock": 500}])
    ids = {
        marketplace.emu.create_order(lines=[{"sku": "AO-1", "quantity": 1}]).id for _ in range(130)
    }
    adapter = adapter_for(connected)
    now = marketplace.emu.clock.now()
    seen, cursor, pages = set(), "", 0
    while True:
        page = adapter.list_orders(
            updated_from=now - timedelta(hours=1),
            updated_to=now + timedelta(hours=1),
            cursor=cursor,
        )
        pages += 1
        seen |= {ref.order_id for ref in page.orders}
        if not page.next_cursor:
            break
        cursor = page.next_cursor

    assert pages > 1
    assert seen == ids
    details = adapter.get_orders(sorted(ids)[:60])
    assert {d.order_id for d in details} == set(sorted(ids)[:60])


def test_orders_read_with_lines_money_and_status(marketplace, connected):
    marketplace.seed(
        [
            {"name": "Áo thun", "sku": "AO-1", "price": 150000, "stock": 10},
            {"name": "Quần", "sku": "QU-1", "price": 200000, "stock": 10},
        ]
    )
    remote = marketplace.emu.create_order(
        lines=[{"sku": "AO-1", "quantity": 2}, {"sku": "QU-1", "quantity": 1, "price": 180000}],
        payment="prepaid",
        paid=True,
        seller_voucher=10000,
        platform_voucher=15000,
        shipping_fee=30000,
    )

    order = adapter_for(connected).get_orders([remote.id])[0]

    lines = {ln.seller_sku: ln for ln in order.lines}
    assert (lines["AO-1"].quantity, lines["QU-1"].quantity) == (2, 1)
    assert order.status == OrderStatus.TO_SHIP
    assert order.is_cod is False
    assert order.total == remote.buyer_total
    assert order.platform_voucher >= 15000
    assert order.shipping_fee == 30000


def test_unknown_ids_raise_permanent_errors(marketplace, connected):
    adapter = adapter_for(connected)

    with pytest.raises(PermanentError):
        adapter.get_product("999999999")
    with pytest.raises(PermanentError):
        found = adapter.get_orders(["999999999999"])
        if not found:  # a platform answering "none" for an unknown id says the same
            raise PermanentError("none")


@pytest.mark.parametrize(
    "fault", ["http_500", "timeout_before", "timeout_after", "rate_limit_persisting"]
)
def test_server_errors_timeouts_and_rate_limits_are_retryable(marketplace, connected, fault):
    adapter = adapter_for(connected)
    adapter.list_products()  # connected and working before the fault
    faults = marketplace.emu.faults
    {
        "http_500": lambda: faults.fail_next(1, 500),
        "timeout_before": lambda: faults.timeout_next(1),
        "timeout_after": lambda: faults.timeout_next(1, after=True),
        "rate_limit_persisting": lambda: faults.rate_limit_next(10),
    }[fault]()

    with pytest.raises(RetryableError) as raised:
        adapter.list_products()
    if fault == "rate_limit_persisting":
        assert raised.value.code == "rate_limited"
    faults.clear()
    adapter.list_products()  # and the next call works


def test_a_rate_limited_call_waits_as_asked_and_goes_through(marketplace, connected, fake_time):
    marketplace.emu.limiter.configure(2, 1.0)
    adapter = adapter_for(connected)

    pages = [adapter.list_products() for _ in range(6)]  # 2 a second: 4 of them wait

    assert len(pages) == 6
    assert marketplace.emu.limiter.refused >= 1
    assert fake_time.slept >= 1.0


def test_a_wrong_secret_is_refused_by_the_platform(marketplace, connected):
    credentials = connected.credentials
    secret_key = next(k for k in credentials if k in ("partner_key", "app_secret"))
    credentials[secret_key] = credentials[secret_key] + "x"
    connected.credentials = credentials

    with pytest.raises(PermanentError):
        adapter_for(connected).list_products()


def test_a_tampered_push_is_refused_with_401(marketplace, connected):
    body = b'{"code":3,"shop_id":1,"data":{"ordersn":"X","status":"READY_TO_SHIP"},"timestamp":1}'

    response = Client().post(
        f"/marketplaces/webhooks/{marketplace.platform}/",
        body,
        content_type="application/json",
        headers={"Authorization": "0" * 64},
    )

    assert response.status_code == 401


def test_an_expired_access_token_is_refreshed_and_the_call_retried(marketplace, connected):
    before = connected.tokens["access_token"]
    with marketplace.emu.lock:
        marketplace.emu.tokens.expire_access(None, marketplace.emu.clock.timestamp())

    page = adapter_for(connected).list_products()  # no one did anything

    connected.refresh_from_db()
    assert page is not None
    assert connected.tokens["access_token"] != before
    assert connected.tokens_refreshed_at is not None
    assert connected.is_connected


def test_tokens_are_refreshed_before_they_expire(marketplace, connected):
    ShopConnection.objects.filter(pk=connected.pk).update(
        access_expires_at=timezone.now() + timedelta(minutes=5)
    )
    before = connected.tokens["access_token"]

    assert services.connections_refresh_due() == 1

    connected.refresh_from_db()
    assert connected.tokens["access_token"] != before
    assert connected.access_expires_at > timezone.now() + timedelta(hours=1)
    adapter_for(connected).list_products()


def test_stock_updates_are_batched_and_applied(marketplace, connected):
    marketplace.seed(
        [
            {
                "name": "Áo nhiều màu",
                "sku": "AO-M",
                "tiers": [{"name": "Màu", "options": [f"Màu {i}" for i in range(30)]}],
                "variants": [
                    {"sku": f"AO-M-{i}", "price": 100000, "stock": 1, "options": [f"Màu {i}"]}
                    for i in range(30)
                ],
            }
        ]
        + [{"name": f"Mũ {i}", "sku": f"MU-{i}", "price": 50000, "stock": 1} for i in range(30)]
    )
    services.products_pull(connection=connected)
    adapter = adapter_for(connected)
    from donhang.marketplaces.ports import StockUpdate

    updates = [
        StockUpdate(row.item_id, row.model_id, row.seller_sku, 7, row.extra)
        for row in Listing.objects.filter(connection=connected)
    ]

    results = adapter.update_stock(updates)

    assert len(results) == 60 and all(r.ok for r in results)
    assert marketplace.stock("AO-M-29") == 7 and marketplace.stock("MU-0") == 7


def test_publishing_retried_after_a_lost_answer_lists_the_product_once(
    marketplace, connected, our_product, committed
):
    variant = our_product("DEP-1", stock=9, price=250_000, name="Dép quai ngang")
    product_image_add(product=variant.product, file=png_file())
    connected.options = {**connected.options, "category_id": "100001", "logistic_ids": [50021]}
    connected.save()
    marketplace.emu.faults.timeout_next(1, after=True, paths=["product"])

    with committed():
        publish = services.product_publish(connection=connected, product=variant.product)

    publish.refresh_from_db()
    assert publish.outcome == ProductPublish.Outcome.CREATED, publish.error
    on_platform = [
        p for p in marketplace.emu.products.values() if any(v.sku == "DEP-1" for v in p.variants)
    ]
    assert len(on_platform) == 1
    listing = Listing.objects.get(connection=connected, seller_sku="DEP-1")
    assert listing.variant == variant


def test_logistics_arrange_tracking_number_and_label(marketplace, connected, our_product):
    our_product("AO-1", stock=10)
    marketplace.seed([{"name": "Áo", "sku": "AO-1", "price": 150000, "stock": 10}])
    services.products_pull(connection=connected)
    remote = marketplace.emu.create_order(lines=[{"sku": "AO-1", "quantity": 1}], payment="cod")
    mo = services.order_refresh(connection=connected, order_id=remote.id, source="poll")

    mo = services.marketplace_order_arrange_shipment(marketplace_order=mo)

    assert mo.tracking_number
    assert mo.status in (OrderStatus.READY_TO_SHIP.value, OrderStatus.TO_SHIP.value)
    document = services.marketplace_order_shipping_document(marketplace_order=mo)
    assert document.content.startswith(b"%PDF")


def test_settlement_capability_matches_behaviour(marketplace, connected, our_product):
    our_product("AO-1", stock=10, price=150_000)
    marketplace.seed([{"name": "Áo", "sku": "AO-1", "price": 150000, "stock": 10}])
    services.products_pull(connection=connected)
    remote = marketplace.emu.create_order(
        lines=[{"sku": "AO-1", "quantity": 2}], payment="prepaid", paid=True
    )
    services.order_refresh(connection=connected, order_id=remote.id, source="poll")
    adapter = adapter_for(connected)
    mo = connected.orders.get()
    services.marketplace_order_arrange_shipment(marketplace_order=mo)
    for _ in range(3):
        marketplace.emu.tick(4 * 86400)
    marketplace.emu.tick(14 * 86400)

    if not adapter.capabilities.settlements:
        with pytest.raises(Unsupported):
            adapter.settlement(remote.id)
        return
    settlement = adapter.settlement(remote.id)
    assert isinstance(settlement, Settlement)
    assert settlement.payout == remote.settlement_amount
    assert settlement.fees == remote.fees
