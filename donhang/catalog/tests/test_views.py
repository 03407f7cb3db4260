import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from donhang.catalog import services
from donhang.catalog.models import Category, Product, Variant
from donhang.inventory.models import StockLevel

pytestmark = pytest.mark.django_db


def _create_form(warehouses, **extra):
    data = {
        "name": "Áo thun basic",
        "sku": "AT01",
        "category": "",
        "brand": "",
        "description": "Cotton",
        "is_active": "on",
        "cost_price": "80000",
        "sale_price": "159000",
        "vat_rate": "10",
        "weight_g": "200",
        "attribute_1_name": "Màu",
        "attribute_1_values": "Đỏ, Đen",
        "attribute_2_name": "Size",
        "attribute_2_values": "S, M, L",
        f"initial_stock_{warehouses[0].pk}": "7",
    }
    data.update(extra)
    return data


def test_create_page_shows_the_stable_fields(owner_client, warehouses):
    owner_client.cookies["donhang_language"] = "en"
    html = owner_client.get(reverse("catalog:product_create")).content.decode()

    for name in [
        "name",
        "sku",
        "category",
        "brand",
        "description",
        "cost_price",
        "sale_price",
        "vat_rate",
        "weight_g",
        "attribute_1_name",
        "attribute_1_values",
        "attribute_3_values",
        f"initial_stock_{warehouses[1].pk}",
    ]:
        assert f'name="{name}"' in html and f'id="{name}"' in html, name
    assert re.search(r'<button type="submit"[^>]*>Save product</button>', html)


def test_create_product_from_the_page(owner_client, warehouses):
    response = owner_client.post(reverse("catalog:product_create"), _create_form(warehouses))

    product = Product.objects.get(sku="AT01")
    assert response.status_code == 302
    assert response["Location"] == reverse("catalog:product_detail", args=[product.pk])
    assert product.variants.count() == 6
    assert StockLevel.objects.filter(warehouse=warehouses[0], on_hand=7).count() == 6
    detail = owner_client.get(response["Location"]).content.decode()
    assert detail.count("data-variant-sku=") == 6
    assert 'data-variant-sku="AT01-DEN-L"' in detail
    assert 'class="money margin' in detail


def test_create_page_shows_duplicate_sku_error_on_the_field(owner_client, warehouses, make_product):
    make_product(sku="AT01")

    response = owner_client.post(reverse("catalog:product_create"), _create_form(warehouses))

    assert response.status_code == 422
    assert "sku" in response.context["form"].errors
    assert Product.objects.count() == 1


def test_negative_margin_is_highlighted(owner_client, make_product):
    product = make_product(defaults={"cost_price": 200_000, "sale_price": 110_000})

    html = owner_client.get(reverse("catalog:product_detail", args=[product.pk])).content.decode()

    assert "margin-negative" in html
    assert "\u2212100.000 ₫" in html


def test_warehouse_user_sees_no_cost_and_cannot_change_the_catalog(warehouse_client, make_product):
    # Issue 9: warehouse staff could rename products, change SKUs and deactivate products.
    product = make_product(defaults={"cost_price": 80_000, "sale_price": 159_000})
    variant = product.variants.get()
    detail_url = reverse("catalog:product_detail", args=[product.pk])

    html = warehouse_client.get(detail_url).content.decode()
    assert f'name="v{variant.pk}-sale_price"' not in html
    assert f'name="v{variant.pk}-barcode"' not in html
    assert 'class="money margin' not in html
    assert "80.000" not in html

    table = warehouse_client.post(
        reverse("catalog:product_variants_update", args=[product.pk]),
        {
            f"v{variant.pk}-present": "1",
            f"v{variant.pk}-barcode": "893",
            f"v{variant.pk}-sku": "AT01-NEW",
            f"v{variant.pk}-is_active": "on",
        },
    )
    edit = warehouse_client.post(
        reverse("catalog:product_edit", args=[product.pk]), {"name": "Renamed", "sku": "X1"}
    )
    bulk = warehouse_client.post(
        reverse("catalog:product_bulk"), {"ids": [product.pk], "action": "deactivate"}
    )

    assert (table.status_code, edit.status_code) == (403, 403)
    assert bulk.status_code == 302
    product.refresh_from_db()
    variant.refresh_from_db()
    assert (product.name, product.sku, product.is_active) == ("Áo thun cotton", "AT01", True)
    assert (variant.sku, variant.barcode) == ("AT01", "")


def test_a_role_without_cost_rights_cannot_probe_the_cost_with_a_forged_table(
    catalog_clerk_client, make_product
):
    product = make_product(defaults={"cost_price": 80_000, "sale_price": 159_000})
    variant = product.variants.get()
    url = reverse("catalog:product_variants_update", args=[product.pk])

    def post(**fields):
        data = {f"v{variant.pk}-present": "1", f"v{variant.pk}-is_active": "on"}
        data.update({f"v{variant.pk}-{k}": v for k, v in fields.items()})
        return catalog_clerk_client.post(url, data)

    ok = post(barcode="893", sku=variant.sku)
    same_cost = post(cost_price="80000")
    other_cost = post(cost_price="1")
    forged_price = post(sale_price="1")

    assert ok.status_code == 302
    assert (same_cost.status_code, other_cost.status_code, forged_price.status_code) == (403,) * 3
    variant.refresh_from_db()
    assert (variant.barcode, variant.cost_price, variant.sale_price) == ("893", 80_000, 159_000)


def test_owner_edits_variant_prices_in_the_table(owner_client, make_product):
    product = make_product()
    variant = product.variants.get()

    response = owner_client.post(
        reverse("catalog:product_variants_update", args=[product.pk]),
        {
            f"v{variant.pk}-present": "1",
            f"v{variant.pk}-sku": "AT01-X",
            f"v{variant.pk}-sale_price": "175000",
            f"v{variant.pk}-vat_rate": "8",
            f"v{variant.pk}-is_active": "on",
        },
    )

    assert response.status_code == 302
    variant.refresh_from_db()
    assert (variant.sku, variant.sale_price, variant.vat_rate) == ("AT01-X", 175_000, "8")


def test_list_searches_without_diacritics_with_a_bounded_query_count(owner_client, make_product):
    url = reverse("catalog:product_list")
    make_product(sku="GS01", name="Giày sneaker")

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = owner_client.get(url, {"q": "ao thun"})
        assert response.status_code == 200
        return response, len(queries)

    make_product(sku="AT00", name="Áo thun mẫu 0", attributes=[("Size", "S, M")])
    _response, few = count_queries()
    for n in range(1, 25):
        make_product(sku=f"AT{n:02}", name=f"Áo thun mẫu {n}", attributes=[("Size", "S, M")])
    response, many = count_queries()

    assert len(response.context["products"]) == 20
    assert response.context["page_obj"].paginator.count == 25
    assert many == few  # the page's query count does not grow with the rows shown
    assert "GS01" not in response.content.decode()


def test_list_shows_an_empty_state(owner_client):
    html = owner_client.get(reverse("catalog:product_list"), {"q": "không có"}).content.decode()

    assert "empty-state" in html


def test_bulk_deactivate_and_set_category(owner_client, make_product):
    first, second = make_product(sku="A1"), make_product(sku="A2")
    shoes = services.category_create(name="Giày dép")
    url = reverse("catalog:product_bulk")

    owner_client.post(url, {"ids": [first.pk, second.pk], "action": "deactivate"})
    owner_client.post(url, {"ids": [first.pk], "action": "set_category", "category": shoes.pk})

    assert not Product.objects.filter(is_active=True).exists()
    assert Product.objects.get(pk=first.pk).category == shoes
    assert Product.objects.get(pk=second.pk).category is None


def test_bulk_export_selected(owner_client, make_product):
    first = make_product(sku="A1", name="Áo dài")
    make_product(sku="A2")

    response = owner_client.post(
        reverse("catalog:product_bulk"), {"ids": [first.pk], "action": "export", "format": "csv"}
    )

    body = response.content.decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    assert "Áo dài" in body and "A2" not in body


def test_category_delete_refusal_is_explained(owner_client, make_product):
    parent = services.category_create(name="Thời trang nữ")
    services.category_create(name="Áo thun", parent=parent)

    owner_client.cookies["donhang_language"] = "en"
    response = owner_client.post(reverse("catalog:category_delete", args=[parent.pk]), follow=True)

    assert Category.objects.filter(pk=parent.pk).exists()
    assert "subcategories" in response.content.decode()


def test_edit_page_adds_variants_for_a_new_value(owner_client, make_product):
    product = make_product(attributes=[("Size", "S, M")])

    response = owner_client.post(
        reverse("catalog:product_edit", args=[product.pk]),
        {
            "name": "Áo thun",
            "sku": "AT01",
            "is_active": "on",
            "attribute_1_name": "Size",
            "attribute_1_values": "S, M, XL",
        },
    )

    assert response.status_code == 302
    assert Variant.objects.filter(product=product, option1="XL", sku="AT01-XL").exists()


def test_import_page_dry_run_reports_and_imports_nothing(owner_client):
    content = (
        "product_sku,product_name,variant_sku,sale_price\n"
        "AT01,Áo thun,AT01,159000\n"
        "AT02,Áo polo,AT02,-5\n"
    ).encode("utf-8-sig")
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = owner_client.post(
        reverse("catalog:product_import"),
        {"file": SimpleUploadedFile("p.csv", content), "dry_run": "on"},
    )

    assert response.status_code == 422
    assert [(e.row, e.column) for e in response.context["report"].errors] == [(3, "sale_price")]
    assert not Product.objects.exists()


def test_template_download(owner_client):
    response = owner_client.get(reverse("catalog:product_import_template"), {"format": "xlsx"})

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]


def test_matrix_preview_lists_generated_skus(owner_client):
    response = owner_client.get(
        reverse("catalog:product_matrix_preview"),
        {"sku": "AT01", "attribute_1_name": "Màu", "attribute_1_values": "Đỏ, Xanh dương"},
    )

    html = response.content.decode()
    assert "AT01-DO" in html and "AT01-XANH-DUONG" in html


@pytest.mark.parametrize("role", ["owner", "manager", "sales", "warehouse", "accountant"])
def test_every_page_renders_for_every_role(role, warehouses, make_product):
    from django.test import Client

    from donhang.accounts.services import user_create

    category = services.category_create(name="Thời trang nữ")
    brand = services.brand_create(name="Coolmate")
    product = make_product(category=category, brand=brand, attributes=[("Màu", "Đỏ, Đen")])
    client = Client()
    client.force_login(user_create(username=role, password="x-123456789", role=role))
    can_edit = role in ("owner", "manager")
    pages = {
        reverse("catalog:product_list"): 200,
        reverse("catalog:product_list") + f"?category={category.pk}&low_stock=1": 200,
        reverse("catalog:product_detail", args=[product.pk]): 200,
        reverse("catalog:category_list"): 200,
        reverse("catalog:brand_list"): 200,
        reverse("catalog:product_export") + "?format=xlsx": 200,
        reverse("catalog:product_create"): 200 if can_edit else 403,
        reverse("catalog:product_edit", args=[product.pk]): 200 if can_edit else 403,
        reverse("catalog:product_import"): 200 if can_edit else 403,
        reverse("catalog:category_create"): 200 if can_edit else 403,
        reverse("catalog:brand_edit", args=[brand.pk]): 200 if can_edit else 403,
        reverse("catalog:category_delete", args=[category.pk]): 200 if can_edit else 403,
        reverse("catalog:product_detail", args=[999999]): 404,
    }
    for url, status in pages.items():
        assert client.get(url).status_code == status, url
