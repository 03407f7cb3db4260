import pytest

from donhang.accounts.services import user_create
from donhang.catalog import services as catalog
from donhang.customers.models import Ward
from donhang.inventory.models import Warehouse
from donhang.orders import services as orders
from donhang.purchasing import services


@pytest.fixture
def warehouse(db):
    return Warehouse.objects.create(code="HN", name="Kho Hà Nội", priority=1)


@pytest.fixture
def branch(db):
    return Warehouse.objects.create(code="HCM", name="Kho TP.HCM", priority=2)


@pytest.fixture
def make_variant(db, warehouse):
    def make(sku="AT01", stock=0, cost=80_000, threshold=0):
        product = catalog.product_create(
            name=f"Sản phẩm {sku}",
            sku=sku,
            defaults={
                "cost_price": cost,
                "sale_price": 150_000,
                "vat_rate": "10",
                "low_stock_threshold": threshold,
            },
            initial_stock={warehouse.pk: stock} if stock else None,
        )
        return product.variants.get()

    return make


@pytest.fixture
def supplier(db):
    return services.supplier_create(
        name="Công ty TNHH Dệt May Sài Gòn", tax_code="0301234567", phone="0283 822 1234"
    )


@pytest.fixture
def place_order(db):
    ward = Ward.objects.get(name="Phường Hoàn Kiếm")

    def place(sku, qty, phone="0912345678", confirm=True):
        return orders.order_create(
            channel="manual_phone",
            customer=orders.CustomerInput(
                name="Nguyễn Văn An",
                phone=phone,
                address=orders.AddressInput(line="12 Hàng Bạc", ward=ward.code),
            ),
            lines=[orders.LineInput(sku=sku, quantity=qty)],
            confirm=confirm,
        )

    return place


@pytest.fixture
def users(db):
    return {
        role: user_create(username=role, password="mat-khau-123", role=role)
        for role in ("manager", "warehouse", "sales")
    }
