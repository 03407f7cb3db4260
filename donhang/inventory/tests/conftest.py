import itertools

import pytest

from donhang.accounts.services import api_key_create, user_create
from donhang.catalog.models import Product, Variant
from donhang.inventory.models import Warehouse

PASSWORD = "a-long-pass-123"
_numbers = itertools.count(1)


@pytest.fixture
def make_variant(db):
    def make(*, sku=None, name="Áo thun cổ tròn", options=("Đen", "M")):
        n = next(_numbers)
        product = Product.objects.create(name=name, sku=f"P-{n}")
        return Variant.objects.create(
            product=product,
            sku=sku or f"SKU-{n}",
            option1=options[0] if options else "",
            option2=options[1] if len(options) > 1 else "",
        )

    return make


@pytest.fixture
def variant(make_variant):
    return make_variant()


@pytest.fixture
def warehouse(db):
    return Warehouse.objects.create(code="HN", name="Kho Hà Nội", province_id=1, ward_id=70)


@pytest.fixture
def owner(db):
    return user_create(username="chu", password=PASSWORD, role="owner")


@pytest.fixture
def login(client, db):
    def log_in(role):
        user_create(username=role, password=PASSWORD, role=role)
        assert client.login(username=role, password=PASSWORD)
        return client

    return log_in


@pytest.fixture
def api_as(db):
    def headers(role):
        _key, raw = api_key_create(name=f"key {role}", role=role)
        return {"Authorization": f"Bearer {raw}"}

    return headers


@pytest.fixture
def english(client):
    client.cookies["donhang_language"] = "en"
    return client
