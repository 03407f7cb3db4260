import pytest
from django.test import Client

from donhang.accounts.services import api_key_create, user_create
from donhang.catalog import services as catalog
from donhang.customers.models import Ward
from donhang.inventory.models import Warehouse
from donhang.orders import services as orders
from donhang.orders.models import Channel

PASSWORD = "a-long-pass-123"


@pytest.fixture
def warehouse(db):
    return Warehouse.objects.create(code="HN", name="Kho Hà Nội", priority=1)


@pytest.fixture
def make_variant(db, warehouse):
    """A one-variant product with `stock` units in the first warehouse."""

    def make(sku="AT01", stock=10, price=150_000):
        product = catalog.product_create(
            name=f"Sản phẩm {sku}",
            sku=sku,
            defaults={"cost_price": 80_000, "sale_price": price, "vat_rate": "10"},
            initial_stock={warehouse.pk: stock},
        )
        return product.variants.get()

    return make


@pytest.fixture
def hoan_kiem(db):
    return Ward.objects.select_related("province").get(name="Phường Hoàn Kiếm")


@pytest.fixture
def place_order(db, hoan_kiem):
    """Take an order through the service with a valid Hà Nội address."""

    def place(*lines, phone="0912345678", channel=Channel.MANUAL_PHONE, **kwargs):
        return orders.order_create(
            channel=channel,
            customer=orders.CustomerInput(
                name=kwargs.pop("name", "Nguyễn Văn An"),
                phone=phone,
                address=orders.AddressInput(line="12 Hàng Bạc", ward=hoan_kiem.code),
            ),
            lines=[orders.LineInput(sku=sku, quantity=qty) for sku, qty in lines],
            **kwargs,
        )

    return place


@pytest.fixture
def login(client, db):
    """Log the test client in with a new user of `role`, pages in English."""

    def log_in(role):
        user_create(username=role, password=PASSWORD, role=role)
        assert client.login(username=role, password=PASSWORD)
        client.cookies["donhang_language"] = "en"
        return client

    return log_in


@pytest.fixture
def api_as(db):
    def make(role) -> Client:
        _key, raw = api_key_create(name=f"key {role}", role=role)
        return Client(headers={"Authorization": f"Bearer {raw}", "Accept-Language": "en"})

    return make
