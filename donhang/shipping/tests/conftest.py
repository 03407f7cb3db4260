"""Carrier emulators wired in-process: our adapters reach them through httpx transports, and
their webhooks come back through our real webhook view."""

import pytest
from django.test import Client
from django.utils import timezone

from donhang.accounts.services import user_create
from donhang.catalog import services as catalog
from donhang.core.integrations import register_transport
from donhang.customers.models import Ward
from donhang.inventory.models import Warehouse
from donhang.orders import services as orders
from donhang.shipping import services
from emulators.common import Clock, FaultyTransport
from emulators.ghn import GhnEmulator
from emulators.viettelpost import ViettelPostEmulator

GHN_URL = "http://ghn.emulator.test"
VTP_URL = "http://vtp.emulator.test"
SECRET = "s3cret-webhook"


class Deliver:
    """An emulator's webhook target: POSTs to our webhook view; counts what it sent."""

    def __init__(self):
        self.client = Client()
        self.sent = 0
        self.calls = []

    def __call__(self, method, path, headers, body):
        self.sent += 1
        self.calls.append((method, path, headers, body))
        extra = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        response = self.client.generic(
            method, path, data=body, content_type="application/json", headers=extra
        )
        return response.status_code


@pytest.fixture
def deliver(db):
    return Deliver()


@pytest.fixture
def ghn(deliver):
    emulator = GhnEmulator(
        webhook_target=deliver, webhook_secret=SECRET, seed=1, clock=Clock(timezone.now())
    )
    register_transport(GHN_URL, FaultyTransport(emulator.wsgi_app, emulator.faults))
    yield emulator
    register_transport(GHN_URL, None)


@pytest.fixture
def vtp(deliver):
    emulator = ViettelPostEmulator(
        webhook_target=deliver, webhook_secret=SECRET, seed=1, clock=Clock(timezone.now())
    )
    register_transport(VTP_URL, FaultyTransport(emulator.wsgi_app, emulator.faults))
    yield emulator
    register_transport(VTP_URL, None)


@pytest.fixture
def warehouse(db):
    ward = Ward.objects.select_related("province").get(name="Phường Hoàn Kiếm")
    return Warehouse.objects.create(
        code="HN",
        name="Kho Hà Nội",
        priority=1,
        address_line="18 Hàng Bạc",
        ward=ward,
        province=ward.province,
        contact_name="Nguyễn Thị Lan",
        phone="+84912000111",
    )


@pytest.fixture
def ghn_account(ghn, warehouse):
    return services.carrier_account_save(
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
def vtp_account(vtp, warehouse):
    return services.carrier_account_save(
        provider="viettelpost",
        name="Viettel Post",
        environment="emulator",
        base_url=VTP_URL,
        credentials={"username": "demo@donhang.vn", "password": "demo-password"},
        options={"default_service": "VCN"},
        webhook_secret=SECRET,
        pickup_warehouse=warehouse,
    )


@pytest.fixture(params=["ghn", "viettelpost"])
def carrier(request):
    """(account, emulator) for each provider: the contract suite runs once per carrier."""
    if request.param == "ghn":
        return request.getfixturevalue("ghn_account"), request.getfixturevalue("ghn")
    return request.getfixturevalue("vtp_account"), request.getfixturevalue("vtp")


@pytest.fixture
def staff(db):
    return user_create(username="kho", password="mat-khau-123", role="manager")


@pytest.fixture
def packed_order(db, warehouse):
    """A confirmed COD order, fully reserved (packing), to Phường Sài Gòn, TP.HCM; the buyer pays
    30,000 shipping."""
    counter = {"n": 0}

    def make(*, quantity=2, price=165_000, fee=30_000, payment="cod", phone=None, cost=90_000):
        counter["n"] += 1
        sku = f"AO-{counter['n']}"
        product = catalog.product_create(
            name="Áo sơ mi lụa",
            sku=sku,
            defaults={"cost_price": cost, "sale_price": price, "weight_g": 250},
            initial_stock={warehouse.pk: 100},
        )
        ward = Ward.objects.get(name="Phường Sài Gòn")
        order = orders.order_create(
            channel="website",
            customer=orders.CustomerInput(
                name="Trần Thị Bích Ngọc",
                phone=phone or f"09031{counter['n']:05d}",
                email="ngoc@example.vn",
                address=orders.AddressInput(line="45 Lê Lợi", ward=ward.code),
            ),
            lines=[orders.LineInput(variant_id=product.variants.get().pk, quantity=quantity)],
            shipping_fee=fee,
            payment_method=payment,
            confirm=True,
        )
        return order

    return make


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what a block schedules after commit (tasks), as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
