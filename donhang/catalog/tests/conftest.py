import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from donhang.accounts.services import api_key_create, user_create
from donhang.catalog import services
from donhang.inventory.models import Warehouse


@pytest.fixture
def warehouses(db):
    return [
        Warehouse.objects.create(code="HN", name="Kho Hà Nội", priority=1),
        Warehouse.objects.create(code="HCM", name="Kho TP.HCM", priority=2),
    ]


@pytest.fixture
def owner(db):
    return user_create(username="chu", password="mat-khau-123", role="owner")


@pytest.fixture
def owner_client(owner):
    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def warehouse_client(db):
    user = user_create(username="kho", password="mat-khau-123", role="warehouse")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def catalog_clerk_client(db):
    """A session of a custom role that may edit products but neither change prices nor see
    costs (no built-in role is like that; the rules for prices must hold for one anyway)."""
    user = user_create(username="clerk", password="mat-khau-123", role="sales")
    group = Group.objects.create(name="catalog_clerk")
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label="catalog", codename__in=["view_product", "change_product"]
        )
    )
    user.groups.set([group])
    client = Client()
    client.force_login(user)
    return client


def _api_client(role: str) -> Client:
    _key, raw = api_key_create(name=f"key-{role}", role=role)
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def api_owner(db):
    return _api_client("owner")


@pytest.fixture
def api_warehouse(db):
    return _api_client("warehouse")


@pytest.fixture
def api_sales(db):
    return _api_client("sales")


@pytest.fixture
def make_product(db):
    """A product with optional attributes; keyword arguments go to product_create."""

    def make(sku="AT01", name="Áo thun cotton", attributes=None, **kwargs):
        kwargs.setdefault("defaults", {"cost_price": 80_000, "sale_price": 165_000})
        return services.product_create(name=name, sku=sku, attributes=attributes, **kwargs)

    return make
