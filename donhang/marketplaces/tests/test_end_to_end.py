"""End to end with each platform's emulator (issue 10's acceptance): connect → pull products
(2 of 3 matched by SKU, 1 unmatched) → a simulated buyer's order arrives by push → reserved →
our stock change shows on the emulator's stock within one worker cycle."""

import pytest

from donhang.inventory.services import stock_adjust
from donhang.marketplaces.models import Listing, MarketplaceOrder
from donhang.marketplaces.tasks import sync_stock_task
from donhang.orders.models import Order
from donhang.orders.selectors import channel_available_to_promise

pytestmark = pytest.mark.django_db


def test_connect_pull_order_by_push_and_stock_follows(
    marketplace, connect, our_product, warehouse, committed
):
    # Given our catalog and the shop's: two of its three items have our SKUs.
    shirt = our_product("AO-TRANG", stock=20, price=150_000)
    jeans = our_product("QJ-M", stock=8, price=320_000)
    marketplace.seed(
        [
            {"name": "Áo thun trắng", "sku": "AO-TRANG", "price": 150000, "stock": 3},
            {"name": "Quần jean M", "sku": "QJ-M", "price": 320000, "stock": 3},
            {"name": "Mũ lưỡi trai", "sku": "MU-DEN", "price": 90000, "stock": 4},
        ]
    )

    # When the seller connects the shop (its products are pulled on connecting).
    connection = connect(marketplace)

    # Then two listings are matched by SKU and one is listed to link or create.
    listings = Listing.objects.filter(connection=connection)
    assert sorted(listings.filter(variant__isnull=False).values_list("seller_sku", flat=True)) == [
        "AO-TRANG",
        "QJ-M",
    ]
    assert list(listings.filter(variant__isnull=True).values_list("seller_sku", flat=True)) == [
        "MU-DEN"
    ]
    # The matched ones get our stock on the first worker cycle.
    with committed():
        sync_stock_task.enqueue()
    assert marketplace.stock("AO-TRANG") == 20
    assert marketplace.stock("QJ-M") == 8
    assert marketplace.stock("MU-DEN") == 4  # not ours: untouched

    # When a buyer orders on the platform and the push arrives.
    remote = marketplace.emu.create_order(lines=[{"sku": "AO-TRANG", "quantity": 2}], payment="cod")
    with committed():
        marketplace.emu.pump(flush=True)

    # Then the order is ours, of this shop, with its stock reserved.
    mo = MarketplaceOrder.objects.get(connection=connection, external_id=remote.id)
    order = Order.objects.get(pk=mo.order_id)
    assert (order.channel, order.store_id) == (marketplace.platform, connection.store_id)
    assert order.lines.get().reserved_quantity == 2
    assert mo.is_cod is True
    ours = channel_available_to_promise(
        channel=marketplace.platform, variant_ids=[shirt.pk], store_id=connection.store_id
    )
    assert ours[shirt.pk] == 18

    # When our stock changes here (a count finds 5 more shirts, 3 jeans fewer)…
    stock_adjust(variant=shirt, warehouse=warehouse, delta=5, reason="kiểm kê")
    stock_adjust(variant=jeans, warehouse=warehouse, delta=-3, reason="hỏng")
    # …one worker cycle later the platform shows it.
    with committed():
        sync_stock_task.enqueue()
    assert marketplace.stock("AO-TRANG") == 23
    assert marketplace.stock("QJ-M") == 5
