"""Marketplace orders in (issue 10's acceptance): pushes replayed and out of order plus polling
overlapping them leave exactly one order with the latest status; cancellations release stock;
returned goods wait for inspection; settlements are payments, differences flagged."""

import pytest

from donhang.inventory.models import StockLevel
from donhang.marketplaces import services
from donhang.marketplaces.models import MarketplaceOrder, MarketplaceOrderUpdate, WebhookDelivery
from donhang.marketplaces.ports import OrderStatus
from donhang.marketplaces.providers.lazada import adapter as lazada
from donhang.orders.models import Order, Payment, PaymentRecordMethod, Status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_throttle(settings):
    settings.MARKETPLACE_CALLS_PER_SECOND = 0


@pytest.fixture
def shop(marketplace, connect, our_product):
    """A connected shop selling our AO-1 (20 in stock)."""
    variant = our_product("AO-1", stock=20, price=150_000)
    marketplace.seed([{"name": "Áo thun", "sku": "AO-1", "price": 150000, "stock": 20}])
    connection = connect(marketplace)
    return marketplace, connection, variant


def reserved(variant) -> int:
    return sum(StockLevel.objects.filter(variant=variant).values_list("reserved", flat=True))


def test_replayed_and_out_of_order_pushes_plus_polling_leave_one_order_with_the_latest_status(
    shop, committed
):
    marketplace, connection, _variant = shop
    emu = marketplace.emu
    emu.webhooks.duplicate = True  # every push twice…
    emu.webhooks.out_of_order = True  # …and some held back behind later ones
    remote = emu.create_order(lines=[{"sku": "AO-1", "quantity": 1}], payment="cod")
    with committed():
        emu.pump()
    mo = MarketplaceOrder.objects.get(connection=connection, external_id=remote.id)
    services.marketplace_order_arrange_shipment(marketplace_order=mo)  # → arranged
    emu.tick(emu.step_seconds)  # → shipped (the carrier picked it up)
    emu.tick(emu.step_seconds)  # → delivered

    with committed():
        emu.pump()  # out of order, duplicated
        emu.webhooks.replay(4)  # and the last four again, signatures unchanged
        emu.pump(flush=True)
        services.orders_poll(connection=connection, now=emu.clock.now())  # overlapping poll
        services.orders_poll(connection=connection, now=emu.clock.now())

    assert MarketplaceOrder.objects.filter(external_id=remote.id).count() == 1
    assert Order.objects.filter(channel=marketplace.platform, external_id=remote.id).count() == 1
    mo.refresh_from_db()
    assert mo.status == OrderStatus.DELIVERED.value
    assert mo.platform_status == emu.status_of(remote)
    order = Order.objects.get(pk=mo.order_id)
    assert order.status == Status.COMPLETED  # prepaid on the marketplace: delivered = done
    assert mo.updates.filter(applied=False).exists()  # stale ones were seen and ignored
    received = WebhookDelivery.objects.count()
    assert received > WebhookDelivery.objects.values("dedupe_key").distinct().count()


def test_an_older_update_never_moves_an_order_back(shop):
    marketplace, connection, _variant = shop
    emu = marketplace.emu
    remote = emu.create_order(lines=[{"sku": "AO-1", "quantity": 1}], payment="cod")
    adapter = services.adapter_for(connection)
    early = adapter.get_orders([remote.id])[0]
    with emu.lock:
        emu.seller_cancel(remote, "Hết hàng")
    late = adapter.get_orders([remote.id])[0]

    services.order_upsert(connection=connection, remote=late, source="poll")
    mo = services.order_upsert(connection=connection, remote=early, source="push")

    assert mo.status == OrderStatus.CANCELLED.value
    assert MarketplaceOrderUpdate.objects.filter(marketplace_order=mo, applied=False).count() == 1


def test_a_new_order_reserves_and_a_cancellation_releases_the_stock(shop, committed):
    marketplace, _connection, variant = shop
    emu = marketplace.emu
    remote = emu.create_order(lines=[{"sku": "AO-1", "quantity": 3}], payment="cod")
    with committed():
        emu.pump(flush=True)
    order = MarketplaceOrder.objects.get(external_id=remote.id).order
    assert reserved(variant) == 3
    assert order.status == Status.PROCESSING  # paid (COD: to ship) → confirmed

    with emu.lock:
        emu.seller_cancel(remote, "Hết hàng")
    with committed():
        emu.pump(flush=True)

    order.refresh_from_db()
    assert order.status == Status.CANCELLED
    assert reserved(variant) == 0


def test_returned_goods_wait_for_inspection(shop, committed):
    marketplace, connection, variant = shop
    emu = marketplace.emu
    remote = emu.create_order(lines=[{"sku": "AO-1", "quantity": 2}], payment="cod")
    with committed():
        emu.pump(flush=True)
    mo = MarketplaceOrder.objects.get(external_id=remote.id)
    services.marketplace_order_arrange_shipment(marketplace_order=mo)
    emu.tick(emu.step_seconds)  # shipped
    emu.tick(emu.step_seconds)  # delivered
    with committed():
        emu.pump(flush=True)
    level = StockLevel.objects.get(variant=variant)
    assert (level.on_hand, level.reserved) == (18, 0)  # handed over: out of the warehouse

    emu.request_return(remote.id)
    emu.tick(emu.step_seconds)  # TikTok: the return completes a step later
    with committed():
        emu.pump(flush=True)
        services.order_refresh(connection=connection, order_id=remote.id, source="poll")

    mo.refresh_from_db()
    assert mo.status == OrderStatus.RETURNED.value
    order = Order.objects.get(pk=mo.order_id)
    assert order.status == Status.RETURNED
    level.refresh_from_db()
    assert (level.on_hand, level.returned) == (18, 2)  # back, not sellable until inspected


def test_settlements_are_payments_and_differences_are_flagged(shop, committed):
    marketplace, connection, _variant = shop
    emu = marketplace.emu
    remote = emu.create_order(
        lines=[{"sku": "AO-1", "quantity": 2}],
        payment="prepaid",
        paid=True,
        seller_voucher=10_000,
        platform_voucher=20_000,
        shipping_fee=30_000,
    )
    with committed():
        emu.pump(flush=True)
    mo = MarketplaceOrder.objects.get(external_id=remote.id)
    services.marketplace_order_arrange_shipment(marketplace_order=mo)
    for _ in range(4):
        emu.tick(emu.complete_seconds)
    emu.tick(emu.settle_seconds)
    with committed():
        emu.pump(flush=True)

    mo.refresh_from_db()
    assert mo.status == OrderStatus.COMPLETED.value
    assert mo.settled_at is not None
    assert mo.settlement_amount == remote.settlement_amount
    assert mo.settlement_difference == 0
    order = Order.objects.get(pk=mo.order_id)
    payment = Payment.objects.get(order=order)
    assert payment.method == PaymentRecordMethod.MARKETPLACE_SETTLEMENT
    assert payment.amount - payment.fee == remote.settlement_amount
    assert order.payment_status == "paid"

    # A payout short of what was expected is flagged on the order.
    second = emu.create_order(lines=[{"sku": "AO-1", "quantity": 1}], payment="prepaid", paid=True)
    with committed():
        emu.pump(flush=True)
    mo2 = MarketplaceOrder.objects.get(external_id=second.id)
    services.settlement_record(
        marketplace_order=mo2,
        settlement=services.adapter_for(connection).settlement(second.id)
        or _short(mo2, second.settlement_amount - 5_000, second.fees),
    )
    mo2.refresh_from_db()
    assert mo2.settlement_difference == -5_000


def _short(mo, payout, fees):
    from donhang.marketplaces.ports import Settlement

    return Settlement(order_id=mo.external_id, payout=payout, fees=fees, reference="short")


@pytest.mark.parametrize("marketplace", ["lazada"], indirect=True)
def test_a_poll_reads_a_window_busier_than_the_platform_pages(
    marketplace, connect, our_product, monkeypatch
):
    """Lazada pages GetOrders by offset up to 5,000: a busier window is asked again from the
    last update time read (here with pages of 5 and offsets up to 10)."""
    our_product("AO-1", stock=100, price=150_000)
    marketplace.seed([{"name": "Áo thun", "sku": "AO-1", "price": 150000, "stock": 100}])
    connection = connect(marketplace)
    emu = marketplace.emu
    start = emu.clock.now()
    remotes = []
    for _ in range(23):
        remotes.append(emu.create_order(lines=[{"sku": "AO-1", "quantity": 1}], payment="cod"))
        emu.clock.advance(7)
    emu.max_order_offset = 10
    connection.orders_synced_until = start
    connection.save(update_fields=["orders_synced_until"])

    monkeypatch.setattr(lazada, "ORDERS_PAGE_SIZE", 5)
    monkeypatch.setattr(lazada, "ORDERS_MAX_OFFSET", 10)
    services.orders_poll(connection=connection, now=emu.clock.now())

    ours = set(
        MarketplaceOrder.objects.filter(connection=connection).values_list("external_id", flat=True)
    )
    assert ours >= {r.id for r in remotes}
    connection.refresh_from_db()
    assert connection.last_error == ""
