"""A carrier's returned-to-sender parcel opens its return with no one doing anything (through the
GHN emulator and our real webhook view); an exchange is an order that reserves stock like any."""

import pytest
from django.utils import timezone

from donhang.core.errors import Conflict
from donhang.core.integrations import register_transport
from donhang.customers.models import Ward
from donhang.inventory.models import Reservation
from donhang.orders import services as orders
from donhang.orders.models import Order, PaymentStatus, Status
from donhang.returns import services
from donhang.returns.models import Return, Source, State
from donhang.returns.tests.conftest import assert_no_drift, level
from donhang.shipping import services as shipping
from donhang.shipping.tests.conftest import GHN_URL, SECRET, Deliver
from emulators.common import Clock, FaultyTransport
from emulators.ghn import GhnEmulator


@pytest.fixture
def ghn(db):
    emulator = GhnEmulator(
        webhook_target=Deliver(), webhook_secret=SECRET, seed=1, clock=Clock(timezone.now())
    )
    register_transport(GHN_URL, FaultyTransport(emulator.wsgi_app, emulator.faults))
    yield emulator
    register_transport(GHN_URL, None)


@pytest.fixture
def ghn_account(ghn, warehouse):
    return shipping.carrier_account_save(
        provider="ghn",
        name="GHN",
        environment="emulator",
        base_url=GHN_URL,
        credentials={"token": "demo-ghn-token"},
        options={"shop_id": 885},
        webhook_secret=SECRET,
        pickup_warehouse=warehouse,
    )


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_a_parcel_returned_to_sender_opens_its_return_without_anyone(
    ghn, ghn_account, make_variant, warehouse, users, committed
):
    variant = make_variant(stock=10, cost=55_000)
    ward = Ward.objects.get(name="Phường Sài Gòn")
    order = orders.order_create(
        channel="website",
        customer=orders.CustomerInput(
            name="Trần Thị Bích Ngọc",
            phone="0903100001",
            address=orders.AddressInput(line="45 Lê Lợi", ward=ward.code),
        ),
        lines=[orders.LineInput(variant_id=variant.pk, quantity=2)],
        shipping_fee=30_000,
        confirm=True,
    )
    with committed():
        shipment = shipping.shipment_create(order=order, account=ghn_account)
    shipment.refresh_from_db()
    for status in ("picked", "delivering", "delivery_fail", "returning", "returned"):
        with committed():
            ghn.advance(shipment.tracking_code, status)
            ghn.pump(flush=True)
    shipment.refresh_from_db()
    order.refresh_from_db()
    assert shipment.status == "returned" and order.status == Status.RETURNED

    # The return exists, received, its units waiting for inspection; nobody acted.
    goods_return = Return.objects.get(order=order)
    assert (goods_return.source, goods_return.state) == (Source.CARRIER, State.RECEIVED)
    assert goods_return.from_parcel and goods_return.warehouse == warehouse
    assert goods_return.created_by is None and goods_return.created_by_label == "system"
    line = goods_return.lines.get()
    assert (line.quantity, line.reason, line.unit_cost) == (2, "undelivered", 55_000)
    assert level(variant, warehouse).returned == 2
    assert_no_drift()

    # A webhook replayed does not open a second return
    orders.order_follow_shipment(order=order, shipment_status="returned")
    assert Return.objects.filter(order=order).count() == 1

    # Inspecting it takes the parcel's units on
    services.return_inspect(
        goods_return=goods_return,
        lines=[services.InspectionInput(line_id=line.pk, good=2)],
        actor=users["warehouse"],
    )
    assert level(variant, warehouse).returned == 0 and level(variant, warehouse).on_hand == 10
    assert_no_drift()


def test_marking_an_order_returned_by_hand_opens_the_return_too(make_order, users, warehouse):
    order = make_order(stage="completed")
    orders.order_return(order=order, reason="Hoàn cả kiện", actor=users["manager"])
    goods_return = Return.objects.get(order=order)
    assert goods_return.source == Source.STAFF and goods_return.state == State.RECEIVED
    assert_no_drift()


def test_marking_the_whole_order_returned_after_a_return_is_refused(make_order, users, warehouse):
    order = make_order()
    goods_return = services.return_create(
        order=order,
        lines=[services.ReturnLineInput(order_line_id=order.lines.get().pk, quantity=1)],
        actor=users["manager"],
    )
    services.return_receive(goods_return=goods_return, warehouse=warehouse, actor=users["manager"])
    with pytest.raises(Conflict) as refused:
        orders.order_return(order=order, reason="Hoàn cả kiện", actor=users["manager"])
    assert goods_return.code in refused.value.message
    order.refresh_from_db()
    assert order.status == Status.COMPLETED and Return.objects.count() == 1
    assert_no_drift()


def test_an_exchange_creates_a_linked_order_that_reserves_stock(
    make_variant, make_order, warehouse, users
):
    shirt_m = make_variant(price=200_000, stock=5)
    shirt_l = make_variant(price=250_000, stock=3)
    order = make_order((shirt_m, 1), shipping_fee=0)
    goods_return = services.return_create(
        order=order,
        lines=[services.ReturnLineInput(order_line_id=order.lines.get().pk, quantity=1)],
        reason="wrong_size",
        actor=users["sales"],
    )

    exchange = services.exchange_create(
        goods_return=goods_return,
        lines=[orders.LineInput(variant_id=shirt_l.pk, quantity=1)],
        actor=users["sales"],
    )

    goods_return.refresh_from_db()
    assert goods_return.exchange_order == exchange
    assert exchange.customer_id == order.customer_id and exchange.status == Status.NEW
    # stock reserved like any order
    reservation = Reservation.objects.get(order_line__order=exchange)
    assert (reservation.variant_id, reservation.quantity) == (shirt_l.pk, 1)
    assert level(shirt_l, warehouse).reserved == 1
    # the returned shirt's 200,000 pays towards it: the buyer owes the 50,000 difference
    exchange.refresh_from_db()
    order.refresh_from_db()
    assert goods_return.exchange_credit == 200_000
    assert exchange.paid_total == 200_000 and exchange.outstanding == 50_000
    assert exchange.payment_status == PaymentStatus.PARTLY_PAID
    assert order.paid_total == 0
    assert services.exchange_difference(goods_return) == {"to_pay": 50_000, "to_refund": 0}
    assert_no_drift()

    # The exchange ships like any order
    orders.order_confirm(order=exchange, actor=users["manager"])
    orders.order_mark_packed(order=exchange, actor=users["manager"])
    orders.order_hand_over(order=exchange, actor=users["manager"])
    assert level(shirt_l, warehouse).on_hand == 2
    assert_no_drift()


def test_an_exchange_for_less_refunds_the_difference(make_variant, make_order, users):
    dress = make_variant(price=300_000, stock=2)
    scarf = make_variant(price=120_000, stock=2)
    order = make_order((dress, 1), shipping_fee=0)
    goods_return = services.return_create(
        order=order,
        lines=[services.ReturnLineInput(order_line_id=order.lines.get().pk, quantity=1)],
        actor=users["manager"],
    )
    exchange = services.exchange_create(
        goods_return=goods_return,
        lines=[orders.LineInput(variant_id=scarf.pk, quantity=1)],
        payment_method="bank_transfer",
        actor=users["manager"],
    )
    exchange.refresh_from_db()
    assert exchange.outstanding == 0 and exchange.payment_status == PaymentStatus.PAID
    goods_return.refresh_from_db()
    assert services.exchange_difference(goods_return) == {"to_pay": 0, "to_refund": 180_000}
    refund = services.refund_create(
        goods_return=goods_return, method="cash", actor=users["manager"]
    )
    assert refund.amount == 180_000
    assert Order.objects.get(pk=order.pk).paid_total == 0
    assert_no_drift()
