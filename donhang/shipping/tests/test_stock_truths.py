"""Stock truths on shipping (issue 8): a parcel leaves from the warehouse holding its stock (one
parcel per warehouse), events of the same second never move a shipment backwards, and a
cancel while the create may be in flight never leaves a live parcel. Each test failed before."""

import json
import threading

import pytest
from django.test import Client
from django.urls import reverse

from donhang.accounts.services import api_key_create
from donhang.catalog import services as catalog
from donhang.core.integrations import register_transport
from donhang.customers.models import Ward
from donhang.inventory.models import Reservation, Warehouse
from donhang.orders import services as orders
from donhang.orders.models import Status, SubState
from donhang.shipping import selectors, services
from donhang.shipping.models import Shipment, ShipmentEvent
from donhang.shipping.tests.conftest import GHN_URL, SECRET, VTP_URL
from emulators.common import FaultyTransport

pytestmark = pytest.mark.django_db


# --- parcels per warehouse ---------------------------------------------------------------------


@pytest.fixture
def saigon(db):
    ward = Ward.objects.select_related("province").get(name="Phường Sài Gòn")
    return Warehouse.objects.create(
        code="SG",
        name="Kho Sài Gòn",
        priority=2,
        address_line="9 Đồng Khởi",
        ward=ward,
        province=ward.province,
        contact_name="Lê Văn Tâm",
        phone="+84903000222",
    )


def _product(sku, price, stock, weight=300):
    return catalog.product_create(
        name=f"Sản phẩm {sku}",
        sku=sku,
        defaults={"cost_price": price // 2, "sale_price": price, "weight_g": weight},
        initial_stock=stock,
    ).variants.get()


def _order(lines, *, fee=30_000, payment="cod"):
    ward = Ward.objects.get(name="Phường Bến Thành")
    return orders.order_create(
        channel="website",
        customer=orders.CustomerInput(
            name="Phạm Thu Hà",
            phone="0903123456",
            address=orders.AddressInput(line="100 Lê Thánh Tôn", ward=ward.code),
        ),
        lines=[orders.LineInput(variant_id=v.pk, quantity=q) for v, q in lines],
        shipping_fee=fee,
        payment_method=payment,
        confirm=True,
    )


def _sender_wards(emulator, provider):
    if provider == "ghn":
        return sorted(o.from_ward.name for o in emulator.orders.values())
    return sorted(o.sender_ward.name for o in emulator.orders.values())


@pytest.mark.parametrize("provider", ["ghn", "viettelpost"])
def test_lines_reserved_in_two_warehouses_ship_as_two_parcels_from_each(
    request, provider, warehouse, saigon, staff, committed
):
    account = request.getfixturevalue("ghn_account" if provider == "ghn" else "vtp_account")
    emulator = request.getfixturevalue("ghn" if provider == "ghn" else "vtp")
    # Given an order whose shirt is only in Hà Nội and whose bag is only in Sài Gòn
    shirt = _product("AO-HN", 200_000, {warehouse.pk: 5})
    bag = _product("TUI-SG", 100_000, {saigon.pk: 5}, weight=500)
    order = _order([(shirt, 2), (bag, 1)])
    assert (order.status, order.sub_state) == (Status.PROCESSING, SubState.PACKING)
    assert set(Reservation.objects.values_list("warehouse__code", flat=True)) == {"HN", "SG"}

    # The create page says so before anything is sent
    client = Client()
    client.force_login(staff)
    page = client.get(reverse("shipping:shipment_create", args=[order.code])).text
    assert 'id="parcel-plan" data-parcels="2"' in page
    assert 'data-warehouse="HN"' in page and 'data-warehouse="SG"' in page

    # When the shipment is created
    with committed():
        parcels = services.shipment_create_parcels(order=order, account=account, actor=staff)

    # Then two parcels go out, each picked up where its stock is, and their COD adds up
    assert len(parcels) == 2
    first, second = (Shipment.objects.get(pk=p.pk) for p in parcels)
    assert (first.warehouse.code, second.warehouse.code) == ("HN", "SG")
    assert [(sl.order_line.sku, sl.quantity) for sl in first.lines.all()] == [("AO-HN", 2)]
    assert [(sl.order_line.sku, sl.quantity) for sl in second.lines.all()] == [("TUI-SG", 1)]
    assert order.cod_amount == 530_000
    assert first.cod_amount + second.cod_amount == order.cod_amount
    assert (first.cod_amount, second.cod_amount) == (430_000, 100_000)  # the fee rides first
    assert first.tracking_code and second.tracking_code
    assert len(emulator.orders) == 2
    assert _sender_wards(emulator, provider) == sorted([warehouse.ward.name, saigon.ward.name])
    order.refresh_from_db()
    assert order.sub_state == SubState.READY_TO_SHIP

    # And the order page says it ships as two parcels
    html = client.get(reverse("orders:order_detail", args=[order.code])).text
    assert 'id="parcel-count"' in html
    assert html.count("shipment-warehouse") == 2


def test_the_api_answers_every_parcel_and_quotes_both(
    warehouse, saigon, ghn_account, ghn, committed
):
    _key, raw = api_key_create(name="shop", role="manager")
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    shirt = _product("AO-API", 200_000, {warehouse.pk: 5})
    bag = _product("TUI-API", 100_000, {saigon.pk: 5})
    order = _order([(shirt, 1), (bag, 1)])

    quotes = api.get(f"/api/v1/orders/{order.code}/shipping-quotes").json()
    with committed():
        created = api.post(
            f"/api/v1/orders/{order.code}/shipments",
            {"carrier_account_id": ghn_account.pk},
            content_type="application/json",
        )

    (ghn_quotes,) = [c for c in quotes["carriers"] if c["carrier"] == "ghn"]
    assert ghn_quotes["quotes"] and not ghn_quotes["error"]
    assert created.status_code == 202, created.content
    body = created.json()
    assert body["warehouse"] == "HN" and len(body["parcels"]) == 2
    assert body["lines"] == [{"sku": "AO-API", "quantity": 1}]
    other = api.get(f"/api/v1/shipments/{body['parcels'][1]}").json()
    assert other["warehouse"] == "SG" and other["lines"] == [{"sku": "TUI-API", "quantity": 1}]
    assert body["cod_amount"] + other["cod_amount"] == order.cod_amount
    listing = api.get("/api/v1/shipments").json()
    assert {tuple(item["parcels"]) for item in listing["items"]} == {tuple(body["parcels"])}


def test_the_goods_share_of_the_cod_follows_each_parcels_lines(warehouse, saigon, ghn_account):
    shirt = _product("AO-1", 99_000, {warehouse.pk: 5})
    bag = _product("TUI-1", 1_000, {saigon.pk: 5})
    order = _order([(shirt, 3), (bag, 1)], fee=25_000)

    specs = services.parcel_specs(order, services.shipment_draft(order))

    assert [s.parcel.warehouse.code for s in specs] == ["HN", "SG"]
    assert [s.cod_amount for s in specs] == [25_000 + 297_000, 1_000]
    assert sum(s.cod_amount for s in specs) == order.cod_amount


def test_an_order_is_picked_up_where_its_stock_is_not_at_the_accounts_warehouse(
    ghn_account, ghn, saigon, staff, committed
):
    # Given the carrier account picks up in Hà Nội but the order's stock sits in Sài Gòn
    bag = _product("TUI-2", 150_000, {saigon.pk: 3})
    order = _order([(bag, 1)])

    with committed():
        shipment = services.shipment_create(order=order, account=ghn_account, actor=staff)

    shipment.refresh_from_db()
    assert shipment.warehouse == saigon
    assert [o.from_ward.name for o in ghn.orders.values()] == [saigon.ward.name]


# --- events stamped in the same second ---------------------------------------------------------


def _ghn_callback(shipment, status, time="2030-01-01T10:00:00Z") -> int:
    body = {
        "Type": "switch_status",
        "Time": time,
        "Description": "",
        "OrderCode": shipment.tracking_code,
        "ClientOrderCode": shipment.reference,
        "Status": status,
    }
    return (
        Client()
        .post(
            "/shipping/webhooks/ghn/",
            data=json.dumps(body),
            content_type="application/json",
            headers={"X-Webhook-Secret": SECRET},
        )
        .status_code
    )


def test_events_of_the_same_second_never_move_a_shipment_backwards(
    ghn_account, ghn, packed_order, staff, committed
):
    order = packed_order()
    with committed():
        shipment = services.shipment_create(order=order, account=ghn_account, actor=staff)
    shipment.refresh_from_db()

    # Given "out for delivery" and "picked up" stamped in the same second, arriving in that order
    with committed():
        assert _ghn_callback(shipment, "delivering") == 200
    with committed():
        assert _ghn_callback(shipment, "picked") == 200

    # Then the shipment stays out for delivery; the older step is recorded, not applied
    shipment.refresh_from_db()
    assert shipment.status == "delivering"
    picked = ShipmentEvent.objects.get(shipment=shipment, carrier_status="picked")
    assert picked.applied is False


def test_a_later_step_of_the_same_second_still_applies(
    ghn_account, ghn, packed_order, staff, committed
):
    with committed():
        shipment = services.shipment_create(order=packed_order(), account=ghn_account)
    shipment.refresh_from_db()

    with committed():
        _ghn_callback(shipment, "picked")
    with committed():
        _ghn_callback(shipment, "delivering")

    shipment.refresh_from_db()
    assert shipment.status == "delivering"


# --- cancel while the create may be in flight --------------------------------------------------


def _live_at(emulator, provider) -> list:
    if provider == "ghn":
        return [o for o in emulator.orders.values() if o.status != "cancel"]
    return [o for o in emulator.orders.values() if o.status not in (101, 107, 201, 503)]


def test_ghn_cancel_after_a_lost_answer_finds_the_parcel_and_cancels_it(
    ghn_account, ghn, packed_order, staff, committed
):
    # Given a create whose answer was lost after GHN made the parcel (a retry is scheduled)
    order = packed_order()
    ghn.faults.timeout_next(1, after=True, paths=["shipping-order/create"])
    shipment = services.shipment_create(order=order, account=ghn_account, actor=staff)
    assert services.shipment_submit(shipment_id=shipment.pk, attempt=1) == "retry"
    shipment.refresh_from_db()
    assert (shipment.tracking_code, shipment.create_outcome) == ("", "unknown")
    assert len(ghn.orders) == 1

    # When staff cancel it
    with committed():
        shipment = services.shipment_cancel(shipment=shipment, actor=staff)

    # Then GHN was asked by our reference and its parcel cancelled: nothing stays live
    assert shipment.status == "cancelled" and shipment.tracking_code
    assert _live_at(ghn, "ghn") == []
    # and the scheduled retry finds the shipment cancelled and sends nothing
    assert services.shipment_submit(shipment_id=shipment.pk, attempt=2) == "done"
    assert len(ghn.orders) == 1
    # and the order can get a new shipment
    with committed():
        again = services.shipment_create(order=order, account=ghn_account, actor=staff)
    again.refresh_from_db()
    assert again.tracking_code and len(_live_at(ghn, "ghn")) == 1


def test_viettel_post_cancel_waits_for_the_create_and_then_cancels(
    vtp_account, vtp, packed_order, staff, committed
):
    # Given a Viettel Post create whose answer was lost (VTP has no lookup by our reference)
    order = packed_order()
    vtp.faults.timeout_next(1, after=True, paths=["createOrder"])
    shipment = services.shipment_create(order=order, account=vtp_account, actor=staff)
    assert services.shipment_submit(shipment_id=shipment.pk, attempt=1) == "retry"

    # When staff cancel it, it waits: marked "cancel requested", and the order page says so
    shipment = services.shipment_cancel(shipment=shipment, actor=staff)
    assert shipment.status == "pending" and shipment.cancel_requested_at
    assert selectors.shipment_send_state(shipment) == "cancel_requested"
    client = Client()
    client.force_login(staff)
    html = client.get(reverse("orders:order_detail", args=[order.code])).text
    assert "shipment-cancel-requested" in html

    # When the create attempt resolves (resent under the same reference: VTP answers with the
    # parcel it already has), the parcel is cancelled at once
    with committed():
        assert services.shipment_submit(shipment_id=shipment.pk, attempt=2) == "done"
    shipment.refresh_from_db()
    assert shipment.status == "cancelled" and shipment.tracking_code
    assert shipment.cancel_requested_at is None
    assert len(vtp.orders) == 1 and _live_at(vtp, "viettelpost") == []


class Hanging(FaultyTransport):
    """The carrier receives the create (`after`: and processes it) but our answer hangs until
    released: the create is in flight."""

    def __init__(self, emulator, path, *, after):
        super().__init__(emulator.wsgi_app, emulator.faults)
        self.path, self.after = path, after
        self.entered, self.release = threading.Event(), threading.Event()

    def handle_request(self, request):
        if self.path not in request.url.path:
            return super().handle_request(request)
        self.entered.set()
        if not self.after:
            self.release.wait(10)
        response = super().handle_request(request)
        response.read()
        if self.after:
            self.release.wait(10)
        return response


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("provider", "after"),
    [("ghn", True), ("ghn", False), ("viettelpost", True), ("viettelpost", False)],
)
def test_a_cancel_while_the_create_is_in_flight_never_leaves_a_live_parcel(
    request, provider, after, packed_order, staff, settings
):
    account = request.getfixturevalue("ghn_account" if provider == "ghn" else "vtp_account")
    emulator = request.getfixturevalue("ghn" if provider == "ghn" else "vtp")
    url, path = (
        (GHN_URL, "shipping-order/create") if provider == "ghn" else (VTP_URL, "createOrder")
    )
    hanging = Hanging(emulator, path, after=after)
    register_transport(url, hanging)
    order = packed_order()
    tasks = settings.TASKS
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    shipment = services.shipment_create(order=order, account=account, actor=staff)
    settings.TASKS = tasks  # the first attempt runs in the thread below, and hangs there
    sender = threading.Thread(
        target=services.shipment_submit, kwargs={"shipment_id": shipment.pk, "attempt": 1}
    )

    try:
        sender.start()
        assert hanging.entered.wait(10)
        # When staff cancel while the carrier has (or is about to have) the parcel
        cancelled = services.shipment_cancel(shipment=shipment, actor=staff)
        if provider == "ghn" and after:
            # GHN has the parcel already: found by our reference and cancelled at once
            assert cancelled.status == "cancelled" and cancelled.tracking_code
        else:
            # nothing to find yet (or no lookup at all): the cancel waits for the answer
            assert cancelled.status == "pending" and cancelled.cancel_requested_at
    finally:
        hanging.release.set()
        sender.join(10)

    # Then no parcel stays live at the carrier, and the shipment ends cancelled
    shipment.refresh_from_db()
    assert shipment.status == "cancelled"
    assert len(emulator.orders) <= 1
    assert _live_at(emulator, provider) == []
    assert not Shipment.objects.filter(order=order).live().exists()
