from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from donhang.accounts.models import User
from donhang.accounts.services import api_key_create, user_create
from donhang.catalog import services as catalog
from donhang.core.integrations import register_transport
from donhang.customers.models import Ward
from donhang.inventory.models import Warehouse
from donhang.orders import services as orders
from donhang.orders.models import Order, OrderEvent
from donhang.shipping import services as shipping
from emulators.common import Clock, FaultyTransport
from emulators.ghn import GhnEmulator

GHN_URL = "http://ghn.reports.emulator.test"
SECRET = "reports-webhook-secret"

PASSWORD = "mat-khau-dai-2026"
# A cost no other figure of these tests can equal: finding it in a page means a cost leaked.
COST_A = 61_357
COST_B = 43_219


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


class Deliver:
    """The emulator's webhooks, handed to our real webhook view."""

    def __init__(self):
        self.client = Client()

    def __call__(self, method, path, headers, body):
        extra = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        return self.client.generic(
            method, path, data=body, content_type="application/json", headers=extra
        ).status_code


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
    """Run what a block schedules after commit (tasks), as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def products(db, warehouse):
    """Two variants: A at 150,000 (VAT 10 %, cost COST_A) and B at 108,000 (VAT 8 %, cost
    COST_B), 100 units each."""
    a = catalog.product_create(
        name="Áo thun cổ tròn",
        sku="AT01",
        defaults={"cost_price": COST_A, "sale_price": 150_000, "vat_rate": "10"},
        initial_stock={warehouse.pk: 100},
    ).variants.get()
    b = catalog.product_create(
        name="Bánh đậu xanh Hải Dương",
        sku="BANH",
        defaults={"cost_price": COST_B, "sale_price": 108_000, "vat_rate": "8"},
        initial_stock={warehouse.pk: 100},
    ).variants.get()
    return a, b


def make_user(role: str, email: str = ""):
    """The test's user of that role (created once)."""
    user = User.objects.filter(username=f"u-{role}").first()
    if user is None:
        user = user_create(username=f"u-{role}", password=PASSWORD, role=role)
    if email:
        user.email = email
        user.save(update_fields=["email"])
    return user


@pytest.fixture
def owner(db):
    return make_user("owner", "chu@shop.example")


def api_client(role: str):
    _key, raw = api_key_create(name=f"key-{role}", role=role)
    return Client(headers={"Authorization": f"Bearer {raw}"})


def days_ago(n: int):
    return timezone.now() - timedelta(days=n)


def backdate(order: Order, when) -> None:
    """Move an order (and its timeline) to another moment, as if it had been taken then."""
    Order.objects.filter(pk=order.pk).update(created_at=when)
    OrderEvent.objects.filter(order=order).update(at=when)
    order.created_at = when


def take(place_order, *lines, channel="website", discounts=None, **kwargs):
    return place_order(*lines, channel=channel, discounts=discounts or [], **kwargs)


def ship(order, actor=None):
    orders.order_confirm(order=order, actor=actor)
    order.refresh_from_db()
    orders.order_mark_packed(order=order, actor=actor)
    orders.order_hand_over(order=order, actor=actor)
    order.refresh_from_db()
    return order
