import pytest
from django.test import Client

from donhang.accounts.services import api_key_create, user_create
from donhang.catalog import services as catalog
from donhang.customers.models import Ward
from donhang.inventory.models import Warehouse
from donhang.orders import services
from donhang.orders.models import Channel


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
def hoan_kiem(db):
    return Ward.objects.select_related("province").get(name="Phường Hoàn Kiếm")


@pytest.fixture
def place_order(db, hoan_kiem):
    """Take an order through the service with a valid Hà Nội address."""

    def place(*lines, phone="0912345678", channel=Channel.MANUAL_PHONE, **kwargs):
        return services.order_create(
            channel=channel,
            customer=services.CustomerInput(
                name=kwargs.pop("name", "Nguyễn Văn An"),
                phone=phone,
                address=services.AddressInput(line="12 Hàng Bạc", ward=hoan_kiem.code),
            ),
            lines=[services.LineInput(sku=sku, quantity=qty) for sku, qty in lines],
            **kwargs,
        )

    return place


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
