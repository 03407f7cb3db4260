"""Orders that left the warehouse (handed over, delivered, paid), staff of every role, and the
ledger check that must find nothing after every scenario."""

import pytest
from django.core.management import call_command
from django.test import Client

from donhang.accounts.services import api_key_create, user_create
from donhang.catalog import services as catalog
from donhang.customers.models import Ward
from donhang.inventory.models import StockLevel, Warehouse
from donhang.orders import services as orders
from donhang.orders.ledger import ledger_check


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
    )


@pytest.fixture
def second_warehouse(db):
    return Warehouse.objects.create(code="HCM", name="Kho TP.HCM", priority=2)


@pytest.fixture
def make_variant(db, warehouse):
    counter = {"n": 0}

    def make(*, price=100_000, cost=60_000, stock=10, vat="8", sku=None):
        counter["n"] += 1
        product = catalog.product_create(
            name=f"Áo thun {counter['n']}",
            sku=sku or f"AT-{counter['n']:02d}",
            defaults={"cost_price": cost, "sale_price": price, "vat_rate": vat},
            initial_stock={warehouse.pk: stock},
        )
        return product.variants.get()

    return make


@pytest.fixture
def make_order(db, make_variant):
    """An order of `lines` [(variant, quantity)], handed over; with `stage` "completed" also
    delivered and paid in full (a bank transfer), "shipping" stays with the carrier."""

    def make(
        *lines,
        stage="completed",
        shipping_fee=30_000,
        discounts=None,
        payment_method="cod",
        phone="0912345678",
    ):
        if not lines:
            lines = ((make_variant(), 3),)
        ward = Ward.objects.get(name="Phường Hoàn Kiếm")
        order = orders.order_create(
            channel="website",
            customer=orders.CustomerInput(
                name="Nguyễn Thị Mai",
                phone=phone,
                address=orders.AddressInput(line="18 Hàng Bạc", ward=ward.code),
            ),
            lines=[orders.LineInput(variant_id=v.pk, quantity=q) for v, q in lines],
            shipping_fee=shipping_fee,
            payment_method=payment_method,
            discounts=discounts,
            confirm=True,
        )
        orders.order_mark_packed(order=order)
        orders.order_hand_over(order=order)
        order.refresh_from_db()
        if stage == "completed":
            orders.order_payment_record(order=order, method="bank_transfer", amount=order.total)
            orders.order_follow_shipment(order=order, shipment_status="delivered")
        order.refresh_from_db()
        return order

    return make


def level(variant, warehouse) -> StockLevel:
    return StockLevel.objects.get(variant=variant, warehouse=warehouse)


def assert_no_drift():
    """`stock_rebuild --check` finds nothing (the command, and the check behind it)."""
    assert ledger_check() == []
    call_command("stock_rebuild", "--check")


@pytest.fixture
def users(db):
    return {
        role: user_create(username=role, password="mat-khau-dai-2026", role=role)
        for role in ("owner", "manager", "sales", "warehouse", "accountant")
    }


@pytest.fixture
def login(users):
    def client(role: str) -> Client:
        c = Client()
        c.force_login(users[role])
        c.post("/i18n/setlang/", {"language": "en"})
        return c

    return client


@pytest.fixture
def api(db):
    def client(role: str) -> Client:
        _key, raw = api_key_create(name=f"key-{role}", role=role)
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return client
