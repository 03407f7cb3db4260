import pytest
from django.test import Client

from donhang.catalog.models import Product, Variant
from donhang.inventory.models import StockLevel

pytestmark = pytest.mark.django_db


def _post(client, path, data):
    return client.post(path, data, content_type="application/json")


def _patch(client, path, data):
    return client.patch(path, data, content_type="application/json")


def test_create_product_with_matrix_overrides_and_initial_stock(api_owner, warehouses):
    # given a product with two attributes, one override and opening stock in Hà Nội
    payload = {
        "name": "Áo thun basic",
        "sku": "AT01",
        "attributes": [
            {"name": "Màu", "values": ["Đỏ", "Đen"]},
            {"name": "Size", "values": ["S", "M", "L"]},
        ],
        "cost_price": 80000,
        "sale_price": 159000,
        "vat_rate": "8",
        "weight_g": 200,
        "variants": [{"options": ["Đen", "L"], "sku": "AT01-BLACK-L", "sale_price": 169000}],
        "initial_stock": {"HN": 5},
    }

    # when it is posted
    response = _post(api_owner, "/api/v1/products", payload)

    # then six variants exist with the override applied and stock posted
    assert response.status_code == 201, response.content
    body = response.json()
    assert len(body["variants"]) == 6
    black_l = next(v for v in body["variants"] if v["sku"] == "AT01-BLACK-L")
    assert black_l["sale_price"] == 169000 and black_l["vat_rate"] == "8"
    assert black_l["on_hand"] == 5
    assert black_l["margin"] == 76481  # 169000 / 1.08 = 156481 − 80000
    assert StockLevel.objects.filter(warehouse=warehouses[0]).count() == 6


def test_duplicate_product_sku_is_409_naming_sku(api_owner):
    _post(api_owner, "/api/v1/products", {"name": "A", "sku": "AT01"})

    response = _post(api_owner, "/api/v1/products", {"name": "B", "sku": "AT01"})

    assert response.status_code == 409
    assert "sku" in response.json()["error"]["fields"]


def test_duplicate_variant_sku_is_409_naming_the_variant_field(api_owner):
    _post(api_owner, "/api/v1/products", {"name": "A", "sku": "AT01"})
    payload = {
        "name": "B",
        "sku": "AT02",
        "attributes": [{"name": "Size", "values": ["S", "M"]}],
        "variants": [{"options": ["S"]}, {"options": ["M"], "sku": "AT01"}],
    }

    response = _post(api_owner, "/api/v1/products", payload)

    assert response.status_code == 409
    assert response.json()["error"]["fields"].keys() == {"variants.1.sku"}
    assert not Product.objects.filter(sku="AT02").exists()


def test_negative_price_is_422_naming_the_field(api_owner):
    response = _post(api_owner, "/api/v1/products", {"name": "A", "sku": "A1", "sale_price": -1})

    assert response.status_code == 422
    assert "sale_price" in response.json()["error"]["fields"]
    assert not Product.objects.exists()


def test_negative_variant_price_in_patch_is_422(api_owner):
    product = _post(api_owner, "/api/v1/products", {"name": "A", "sku": "A1"}).json()

    response = _patch(
        api_owner, f"/api/v1/variants/{product['variants'][0]['id']}", {"cost_price": -5}
    )

    assert response.status_code == 422
    assert "cost_price" in response.json()["error"]["fields"]


def test_without_key_or_with_unknown_key_is_401(db):
    assert Client().get("/api/v1/products").status_code == 401
    unknown = Client(headers={"Authorization": "Bearer dh_abcd1234_not-a-real-key"})
    response = unknown.get("/api/v1/products")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_warehouse_key_may_not_change_the_catalog(api_owner, api_warehouse):
    # Issue 9: the warehouse role edits stock, not the catalog (names, SKUs, active, prices).
    product = _post(
        api_owner,
        "/api/v1/products",
        {"name": "A", "sku": "A1", "sale_price": 100000, "cost_price": 60000},
    ).json()
    variant_id = product["variants"][0]["id"]

    answers = [
        _patch(api_warehouse, f"/api/v1/variants/{variant_id}", {"barcode": "8930001"}),
        _patch(api_warehouse, f"/api/v1/variants/{variant_id}", {"sku": "A1-NEW"}),
        # the same cost as stored: a 200 here and a 403 for other values would reveal the cost
        _patch(api_warehouse, f"/api/v1/variants/{variant_id}", {"cost_price": 60000}),
        _patch(api_warehouse, f"/api/v1/products/{product['id']}", {"name": "Renamed"}),
        _patch(api_warehouse, f"/api/v1/products/{product['id']}", {"is_active": False}),
    ]

    assert [a.status_code for a in answers] == [403] * 5
    variant = Variant.objects.select_related("product").get(pk=variant_id)
    assert (variant.sku, variant.barcode, variant.cost_price) == ("A1", "", 60000)
    assert (variant.product.name, variant.product.is_active) == ("A", True)


def test_prices_sent_without_the_price_permission_are_403_even_unchanged(
    api_owner, catalog_clerk_client
):
    product = _post(
        api_owner,
        "/api/v1/products",
        {"name": "A", "sku": "A1", "sale_price": 100000, "cost_price": 60000},
    ).json()
    path = f"/api/v1/variants/{product['variants'][0]['id']}"

    allowed = _patch(catalog_clerk_client, path, {"barcode": "8930001", "weight_g": 300})
    same_cost = _patch(catalog_clerk_client, path, {"cost_price": 60000})
    other_cost = _patch(catalog_clerk_client, path, {"cost_price": 1000})
    same_price = _patch(catalog_clerk_client, path, {"sale_price": 100000})

    assert allowed.status_code == 200
    assert allowed.json()["cost_price"] is None
    assert (same_cost.status_code, other_cost.status_code, same_price.status_code) == (403,) * 3
    assert same_cost.json()["error"]["fields"] == other_cost.json()["error"]["fields"]
    variant = Variant.objects.get(sku="A1")
    assert (variant.barcode, variant.weight_g, variant.cost_price) == ("8930001", 300, 60000)


def test_sales_key_cannot_create_products_and_does_not_see_cost(api_owner, api_sales):
    product = _post(
        api_owner, "/api/v1/products", {"name": "A", "sku": "A1", "cost_price": 5}
    ).json()

    assert _post(api_sales, "/api/v1/products", {"name": "B", "sku": "B1"}).status_code == 403
    seen = api_sales.get(f"/api/v1/products/{product['id']}").json()
    assert seen["variants"][0]["cost_price"] is None
    assert seen["variants"][0]["margin"] is None


def test_unknown_ids_are_404(api_owner):
    assert api_owner.get("/api/v1/products/999999").status_code == 404
    assert _patch(api_owner, "/api/v1/products/999999", {"name": "x"}).status_code == 404
    assert api_owner.get("/api/v1/variants/999999").status_code == 404
    assert _patch(api_owner, "/api/v1/variants/999999", {"barcode": "1"}).status_code == 404


def test_bad_input_is_422_never_500(api_owner):
    cases = [
        {"name": "A"},
        {"name": "A", "sku": "A 1"},
        {"name": "A", "sku": "A1", "vat_rate": "7"},
        {"name": "A", "sku": "A1", "category_id": 999},
        {"name": "A", "sku": "A1", "initial_stock": {"NOPE": 1}},
        {"name": "A", "sku": "A1", "video_urls": ["not a url"]},
        {"name": "A", "sku": "A1", "attributes": [{"name": "Màu", "values": []}]},
    ]
    for payload in cases:
        response = _post(api_owner, "/api/v1/products", payload)
        assert response.status_code == 422, (payload, response.content)
        assert response.json()["error"]["fields"], payload


def test_list_search_is_diacritics_insensitive_and_paginated(api_owner):
    _post(api_owner, "/api/v1/products", {"name": "Áo thun cổ tròn", "sku": "AT01"})
    _post(api_owner, "/api/v1/products", {"name": "Giày sneaker", "sku": "GS01"})

    found = api_owner.get("/api/v1/products", {"q": "ao thun"}).json()
    page = api_owner.get("/api/v1/products", {"limit": 1, "offset": 1}).json()

    assert [p["sku"] for p in found["items"]] == ["AT01"]
    assert page["count"] == 2 and len(page["items"]) == 1


def test_variant_lookup_by_sku(api_owner):
    _post(
        api_owner,
        "/api/v1/products",
        {"name": "A", "sku": "AT01", "attributes": [{"name": "Size", "values": ["S", "M"]}]},
    )

    found = api_owner.get("/api/v1/variants", {"sku": "at01-m"}).json()

    assert [v["sku"] for v in found] == ["AT01-M"]
    assert found[0]["options"] == ["M"]


def test_patch_product_and_add_attribute_value(api_owner):
    product = _post(
        api_owner,
        "/api/v1/products",
        {"name": "A", "sku": "AT01", "attributes": [{"name": "Size", "values": ["S"]}]},
    ).json()

    response = _patch(
        api_owner,
        f"/api/v1/products/{product['id']}",
        {"name": "Áo mới", "attributes": [{"name": "Size", "values": ["S", "M"]}]},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Áo mới"
    assert sorted(v["sku"] for v in body["variants"]) == ["AT01-M", "AT01-S"]


def test_patch_product_sku_to_an_existing_one_is_409(api_owner):
    _post(api_owner, "/api/v1/products", {"name": "A", "sku": "A1"})
    other = _post(api_owner, "/api/v1/products", {"name": "B", "sku": "B1"}).json()

    response = _patch(api_owner, f"/api/v1/products/{other['id']}", {"sku": "A1"})

    assert response.status_code == 409
    assert "sku" in response.json()["error"]["fields"]


def test_categories_and_brands(api_owner):
    parent = _post(api_owner, "/api/v1/categories", {"name": "Thời trang nữ"}).json()
    child = _post(api_owner, "/api/v1/categories", {"name": "Áo thun", "parent_id": parent["id"]})
    duplicate = _post(
        api_owner, "/api/v1/categories", {"name": "áo thun", "parent_id": parent["id"]}
    )
    brand = _post(api_owner, "/api/v1/brands", {"name": "Coolmate"})

    assert child.status_code == 201
    assert child.json()["path"] == ["Thời trang nữ", "Áo thun"]
    assert duplicate.status_code == 409
    assert brand.status_code == 201
    assert _post(api_owner, "/api/v1/brands", {"name": "coolmate"}).status_code == 409
    assert [c["name"] for c in api_owner.get("/api/v1/categories").json()] == [
        "Thời trang nữ",
        "Áo thun",
    ]
    assert [b["name"] for b in api_owner.get("/api/v1/brands").json()] == ["Coolmate"]
