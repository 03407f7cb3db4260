import pytest

from donhang.catalog import selectors
from donhang.catalog.demo import PRODUCTS, load_demo_catalog
from donhang.catalog.models import Product, Variant

pytestmark = pytest.mark.django_db


def test_demo_catalog_is_realistic_and_safe_to_load_twice(warehouses, owner):
    created = load_demo_catalog(actor=owner, warehouses=warehouses)
    variants = Variant.objects.count()

    again = load_demo_catalog(actor=owner, warehouses=warehouses)

    assert len(created) == len(PRODUCTS) >= 50
    assert again == []
    assert Product.objects.count() == len(PRODUCTS)
    assert Variant.objects.count() == variants > 100
    assert selectors.low_stock_variants().exists()
    assert [p.sku for p in selectors.product_list(selectors.ProductFilters(q="giay"))]
