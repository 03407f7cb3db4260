import pytest
from django.test import Client

from donhang.accounts.services import api_key_create, user_create
from donhang.catalog import services as catalog
from donhang.inventory.models import Warehouse

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
