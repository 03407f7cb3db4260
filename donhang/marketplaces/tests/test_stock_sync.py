"""Stock sync (issue 10's acceptance): 1,000 stock changes on 100 SKUs make at most one pending
push per SKU at a time and respect the emulator's rate limit (no 429 left unretried); shop
rules (percentage, buffer, warehouses); push now; a change during a push stays pending; the
nightly check corrects drift; a failing shop shows on the dashboard."""

from datetime import timedelta

import pytest
from django.utils import timezone

from donhang.catalog.models import Variant
from donhang.inventory.models import StockChange, StockMovement, Warehouse
from donhang.inventory.services import MovementLine, stock_movements_post
from donhang.marketplaces import services
from donhang.marketplaces.models import Listing, ShopConnection, StockPush
from donhang.marketplaces.tasks import reconcile_due_at, reconcile_due_task, sync_stock_task

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_throttle(settings):
    settings.MARKETPLACE_CALLS_PER_SECOND = 0


def hundred_skus(marketplace, our_product):
    variants = [our_product(f"SKU-{i:03d}", stock=50, price=100_000) for i in range(100)]
    marketplace.seed(
        [
            {"name": f"Hàng {i}", "sku": f"SKU-{i:03d}", "price": 100000, "stock": 0}
            for i in range(100)
        ]
    )
    return variants


def test_a_thousand_changes_on_a_hundred_skus_one_push_each_within_the_rate_limit(
    marketplace, connect, our_product, warehouse, committed, fake_time
):
    variants = hundred_skus(marketplace, our_product)
    connection = connect(marketplace)
    with committed():
        sync_stock_task.enqueue()  # the first publication
    assert marketplace.stock("SKU-042") == 50
    StockPush.objects.all().delete()
    # The platform allows 2 calls a second from now on.
    marketplace.emu.limiter.configure(2, 1.0)

    # 1,000 stock changes: ten rounds of one movement on each of the 100 SKUs.
    for round_ in range(10):
        stock_movements_post(
            lines=[MovementLine(v.pk, warehouse.pk, 1 if round_ % 2 == 0 else 2) for v in variants],
            kind=StockMovement.Kind.ADJUSTMENT,
            reason="đếm lại",
        )
    assert StockChange.objects.count() == 100  # coalesced in inventory: one record per SKU
    services.stock_changes_fan_out()
    pending = Listing.objects.filter(connection=connection, stock_dirty_at__isnull=False)
    assert pending.count() == 100  # at most one pending push per SKU

    with committed():
        sync_stock_task.enqueue()  # one worker cycle

    # Every SKU pushed once, with its latest quantity (50 + 5×1 + 5×2 = 65).
    assert not pending.exists()
    pushes = StockPush.objects.filter(connection=connection)
    assert pushes.count() == 100 and all(p.ok for p in pushes)
    assert len({p.listing_id for p in pushes}) == 100
    assert all(marketplace.stock(f"SKU-{i:03d}") == 65 for i in range(100))
    # The platform did refuse calls for going too fast: each was waited out and retried.
    assert marketplace.emu.limiter.refused > 0
    assert fake_time.slept > 0
    connection.refresh_from_db()
    assert connection.push_failures == 0


def test_a_change_during_a_push_stays_pending(marketplace, connect, our_product, warehouse):
    variant = our_product("AO-1", stock=10)
    marketplace.seed([{"name": "Áo", "sku": "AO-1", "price": 100000, "stock": 0}])
    connection = connect(marketplace)
    listing = Listing.objects.get(connection=connection, seller_sku="AO-1")
    read_at = listing.stock_dirty_at
    # The listing was read for a push (read_at); a sale lands before the answer is recorded.
    Listing.objects.filter(pk=listing.pk).update(stock_dirty_at=read_at + timedelta(seconds=1))
    listing.stock_dirty_at = read_at  # what the push read

    from donhang.marketplaces.ports import StockResult, StockUpdate
    from donhang.marketplaces.services.stock import PushOutcome, _record

    update = StockUpdate(listing.item_id, listing.model_id, listing.seller_sku, 10)
    _record(
        connection,
        StockPush.Kind.CHANGE,
        [listing],
        [update],
        [StockResult(listing.item_id, listing.model_id, True)],
        PushOutcome(),
    )

    listing.refresh_from_db()
    assert listing.stock_dirty_at is not None  # the newer change still waits for its push
    assert listing.pushed_stock == 10
    assert variant.pk == listing.variant_id


def test_shop_rules_publish_a_percentage_keep_a_buffer_and_follow_its_warehouses(
    marketplace, connect, our_product, warehouse, committed, hoan_kiem
):
    variant = our_product("AO-1", stock=100)
    other = Warehouse.objects.create(
        code="HCM", name="Kho HCM", priority=2, ward=hoan_kiem, province=hoan_kiem.province
    )
    stock_movements_post(
        lines=[MovementLine(variant.pk, other.pk, 40)],
        kind=StockMovement.Kind.ADJUSTMENT,
        reason="nhập",
    )
    marketplace.seed([{"name": "Áo", "sku": "AO-1", "price": 100000, "stock": 0}])
    connection = connect(marketplace)

    # 140 available; keep 20 back, publish half of the rest.
    services.connection_settings_save(connection=connection, stock_percent=50, stock_buffer=20)
    with committed():
        sync_stock_task.enqueue()
    assert marketplace.stock("AO-1") == 60

    # This shop sells only from the HCM warehouse: (40 − 20) × 50 % = 10.
    services.connection_settings_save(
        connection=connection, strategy="priority", warehouse_ids=[other.pk]
    )
    with committed():
        sync_stock_task.enqueue()
    assert marketplace.stock("AO-1") == 10


def test_push_now_pushes_every_linked_listing_and_logs_it(
    marketplace, connect, our_product, committed
):
    our_product("AO-1", stock=7)
    our_product("AO-2", stock=8)
    marketplace.seed(
        [
            {"name": "Áo 1", "sku": "AO-1", "price": 100000, "stock": 0},
            {"name": "Áo 2", "sku": "AO-2", "price": 100000, "stock": 0},
        ]
    )
    connection = connect(marketplace)
    with committed():
        sync_stock_task.enqueue()
    marketplace.emu.seed_products(None, [])  # nothing changes here…
    for sku in ("AO-1", "AO-2"):  # …but someone edits the stock in the seller centre
        marketplace.emu.find_variant(marketplace.emu.default_shop_id(), sku)[1].stock = 99

    assert services.connection_push_now(connection=connection) == 2
    with committed():
        services.enqueue_task("push_stock_now_task", connection.pk)

    assert (marketplace.stock("AO-1"), marketplace.stock("AO-2")) == (7, 8)
    assert StockPush.objects.filter(connection=connection, kind=StockPush.Kind.MANUAL).count() == 2


def test_the_nightly_check_corrects_drift_at_the_configured_time(
    marketplace, connect, our_product, committed, settings
):
    our_product("AO-1", stock=7)
    marketplace.seed([{"name": "Áo", "sku": "AO-1", "price": 100000, "stock": 0}])
    connection = connect(marketplace)
    with committed():
        sync_stock_task.enqueue()
    marketplace.emu.find_variant(marketplace.emu.default_shop_id(), "AO-1")[1].stock = 55

    settings.MARKETPLACE_RECONCILE_AT = "02:00"
    now = timezone.now()
    due = reconcile_due_at(now)
    assert timezone.localtime(due).strftime("%H:%M") == "02:00"
    settings.MARKETPLACE_RECONCILE_AT = timezone.localtime(now - timedelta(minutes=1)).strftime(
        "%H:%M"
    )
    with committed():
        done = reconcile_due_task.enqueue().return_value

    assert done == [connection.pk]
    assert marketplace.stock("AO-1") == 7
    assert StockPush.objects.filter(kind=StockPush.Kind.RECONCILE, ok=True).count() == 1
    # Once a day: the next check does nothing.
    with committed():
        assert reconcile_due_task.enqueue().return_value == []


def test_a_shop_whose_pushes_fail_shows_on_the_dashboard(
    marketplace, connect, our_product, staff_client, committed
):
    our_product("AO-1", stock=7)
    marketplace.seed([{"name": "Áo", "sku": "AO-1", "price": 100000, "stock": 0}])
    connection = connect(marketplace)
    marketplace.emu.faults.fail_rate(1.0, 500)

    with committed():
        sync_stock_task.enqueue()

    connection.refresh_from_db()
    assert connection.push_failures == 1
    assert Listing.objects.get(connection=connection).stock_dirty_at is not None  # retried later
    page = staff_client.get("/").content.decode()
    assert 'id="marketplace-problems"' in page and connection.shop_name in page
    marketplace.emu.faults.clear()
    with committed():
        sync_stock_task.enqueue()
    connection.refresh_from_db()
    assert connection.push_failures == 0
    assert ShopConnection.objects.get(pk=connection.pk).last_sync_at is not None
    assert Variant.objects.count() == 1
