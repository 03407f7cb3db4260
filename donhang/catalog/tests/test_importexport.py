import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from donhang.catalog import importexport, services
from donhang.catalog.models import Category, Product, Variant

pytestmark = pytest.mark.django_db

HEADER = importexport.COLUMNS


def _row(**cells):
    return [cells.get(column, "") for column in HEADER]


def _xlsx(rows, name="products.xlsx"):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def _shirt_rows(bad_price=False):
    common = {
        "product_sku": "AT01",
        "product_name": "Áo thun basic",
        "category": "Thời trang nữ > Áo thun",
        "brand": "Coolmate",
        "attribute_1_name": "Màu",
        "cost_price": 80000,
        "vat_rate": "10",
    }
    return [
        _row(**common, attribute_1_value="Đỏ", variant_sku="AT01-DO", sale_price=159000),
        _row(
            **common,
            attribute_1_value="Đen",
            variant_sku="AT01-DEN",
            sale_price="abc" if bad_price else 159000,
        ),
        _row(
            product_sku="MU01", product_name="Mũ lưỡi trai", variant_sku="MU01", sale_price="99.000"
        ),
    ]


def test_dry_run_with_one_bad_row_reports_that_row_and_imports_nothing():
    # given a workbook whose third line (row 3) has a price that is not a number
    upload = _xlsx(_shirt_rows(bad_price=True))

    # when it is checked
    report = importexport.import_products(file=upload, dry_run=True)

    # then that row and column are reported and nothing exists
    assert [(e.row, e.column) for e in report.errors] == [(3, "sale_price")]
    assert not report.ok
    assert not Product.objects.exists()
    assert not Category.objects.exists()


def test_dry_run_of_a_good_file_reports_creations_and_imports_nothing():
    report = importexport.import_products(file=_xlsx(_shirt_rows()), dry_run=True)

    assert report.ok
    assert (report.products_created, report.variants_created) == (2, 3)
    assert [a.action for a in report.actions] == ["create", "create", "create"]
    assert not Product.objects.exists()
    assert not Variant.objects.exists()


def test_real_import_creates_products_variants_categories_and_brands():
    report = importexport.import_products(file=_xlsx(_shirt_rows()), dry_run=False)

    assert report.ok, report.errors
    shirt = Product.objects.get(sku="AT01")
    assert shirt.category.name == "Áo thun" and shirt.category.parent.name == "Thời trang nữ"
    assert shirt.brand.name == "Coolmate"
    assert list(shirt.attributes.values_list("values", flat=True)) == [["Đỏ", "Đen"]]
    assert sorted(shirt.variants.values_list("sku", flat=True)) == ["AT01-DEN", "AT01-DO"]
    assert (
        Variant.objects.get(sku="MU01").sale_price == 99000
    )  # "99.000" read as Vietnamese grouping


def test_real_import_updates_existing_variants_by_sku():
    importexport.import_products(file=_xlsx(_shirt_rows()), dry_run=False)
    rows = _shirt_rows()
    rows[0][HEADER.index("sale_price")] = 149000
    rows[0][HEADER.index("barcode")] = "8930000000011"

    report = importexport.import_products(file=_xlsx(rows), dry_run=False)

    assert report.ok, report.errors
    assert (report.variants_updated, report.variants_unchanged, report.variants_created) == (
        1,
        2,
        0,
    )
    variant = Variant.objects.get(sku="AT01-DO")
    assert (variant.sale_price, variant.barcode) == (149000, "8930000000011")


def test_an_error_in_a_real_run_imports_nothing():
    rows = _shirt_rows()
    rows.append(_row(product_sku="X1", product_name="X", variant_sku="AT01-DO"))  # duplicate SKU

    report = importexport.import_products(file=_xlsx(rows), dry_run=False)

    assert [(e.row, e.column) for e in report.errors] == [(5, "variant_sku")]
    assert not Product.objects.exists()


def test_export_then_import_round_trip_changes_nothing(make_product):
    fashion = services.category_create(name="Thời trang nữ")
    make_product(
        sku="AT01",
        name="Áo thun cổ tròn",
        category=fashion,
        attributes=[("Màu", "Đỏ, Đen"), ("Size", "S, M")],
        description="Vải cotton",
    )
    content, _type, filename = importexport.export_file(Product.objects.all(), fmt="xlsx")
    sheet = load_workbook(io.BytesIO(content)).active
    assert [c.value for c in sheet[1]] == HEADER
    assert sheet.max_row == 5

    report = importexport.import_products(file=SimpleUploadedFile(filename, content), dry_run=False)

    assert report.ok, report.errors
    assert report.variants_unchanged == 4
    assert report.variants_created == report.variants_updated == report.products_updated == 0


def test_csv_export_has_a_bom_and_reimports(make_product):
    make_product(sku="AT01", name="Áo dài lụa")

    content, _content_type, filename = importexport.export_file(Product.objects.all(), fmt="csv")

    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[1][HEADER.index("product_name")] == "Áo dài lụa"
    report = importexport.import_products(file=SimpleUploadedFile(filename, content), dry_run=True)
    assert report.ok and report.variants_unchanged == 1


def test_missing_required_column_is_reported():
    upload = SimpleUploadedFile("x.csv", "name,price\nÁo,1\n".encode())

    report = importexport.import_products(file=upload, dry_run=True)

    assert report.errors and report.errors[0].row == 1


def test_template_file_is_importable():
    content, _type, filename = importexport.template_file("xlsx")

    report = importexport.import_products(file=SimpleUploadedFile(filename, content), dry_run=True)

    assert report.ok, report.errors
    assert report.variants_created == 2


def test_import_api_dry_run_returns_the_report(api_owner):
    upload = _xlsx(_shirt_rows(bad_price=True))

    response = api_owner.post("/api/v1/products/import?dry_run=true", {"file": upload})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] is False and body["dry_run"] is True
    assert body["errors"][0]["row"] == 3 and body["errors"][0]["column"] == "sale_price"
    assert not Product.objects.exists()


def test_import_api_needs_import_permission(api_warehouse):
    response = api_warehouse.post("/api/v1/products/import", {"file": _xlsx(_shirt_rows())})

    assert response.status_code == 403
