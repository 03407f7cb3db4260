import pytest
from django.test import Client

from donhang.accounts.services import api_key_create, user_create
from donhang.catalog import services as catalog
from donhang.inventory.models import Warehouse


@pytest.fixture
def warehouse(db):
    return Warehouse.objects.create(code="HN", name="Kho Hà Nội", priority=1)


@pytest.fixture
def second_warehouse(db):
    return Warehouse.objects.create(code="HCM", name="Kho TP.HCM", priority=2)


@pytest.fixture
def make_variant(db, warehouse):
    """A one-variant product with `stock` units in the first warehouse."""

    def make(sku="AT01", stock=10, price=150_000, **initial):
        product = catalog.product_create(
            name=f"Sản phẩm {sku}",
            sku=sku,
            defaults={"cost_price": 80_000, "sale_price": price, "vat_rate": "10"},
            initial_stock=initial.get("initial_stock", {warehouse.pk: stock}),
        )
        return product.variants.get()

    return make


@pytest.fixture
def owner(db):
    return user_create(username="chu", password="mat-khau-123", role="owner")


def api_client(role: str) -> Client:
    _key, raw = api_key_create(name=f"key-{role}", role=role)
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def api_sales(db):
    return api_client("sales")


@pytest.fixture
def api_manager(db):
    return api_client("manager")


@pytest.fixture
def api_warehouse(db):
    return api_client("warehouse")


def order_payload(hoan_kiem, *, sku="AT01", quantity=1, **overrides):
    body = {
        "channel": "website",
        "customer": {
            "name": "Trần Thị Bình",
            "phone": "0987654321",
            "address": {
                "line": "5 Hàng Bè",
                "ward": hoan_kiem.code,
                "province": hoan_kiem.province_id,
            },
        },
        "lines": [{"sku": sku, "quantity": quantity}],
        "shipping_fee": 30_000,
        "shipping_fee_payer": "buyer",
        "payment_method": "cod",
    }
    body.update(overrides)
    return body
