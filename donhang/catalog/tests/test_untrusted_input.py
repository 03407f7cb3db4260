"""Review findings: uploads that could run script in our origin, spreadsheet formulas in exports,
look-alike SKUs and names made of hidden characters."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook
from PIL import Image

from donhang.accounts.services import user_create
from donhang.catalog import importexport, services
from donhang.catalog.models import Product, ProductImage
from donhang.core.errors import Conflict, ValidationFailed

pytestmark = pytest.mark.django_db


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format="PNG")
    # bytes after the image end: a polyglot trick that survives naive checks
    return out.getvalue() + b"<html><script>alert(1)</script></html>"


@pytest.fixture
def manager_client(db):
    user = user_create(username="quanly", password="mat-khau-123", role="manager")
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("filename", ["x.html", "x.svg", "x.xhtml", "x.png"])
def test_an_uploaded_image_is_reencoded_named_by_us_and_served_as_an_image(
    make_product, manager_client, filename
):
    product = make_product()
    upload = SimpleUploadedFile(filename, _png(), content_type="text/html")

    manager_client.post(
        reverse("catalog:product_image_upload", args=[product.pk]), {"images": upload}
    )

    image = ProductImage.objects.get(product=product)
    assert image.image.name.endswith(".png")
    assert "x." not in image.image.name.rsplit("/", 1)[-1]
    stored = image.image.read()
    assert b"<script>" not in stored
    response = manager_client.get(image.image.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == "inline"


def test_svg_and_html_uploads_are_refused(make_product, manager_client):
    product = make_product()
    svg = SimpleUploadedFile(
        "logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    )
    with pytest.raises(ValidationFailed):
        services.product_image_add(product=product, file=svg, actor=None)
    assert not ProductImage.objects.exists()


def test_media_never_serves_html_even_if_such_a_file_exists(settings, manager_client, tmp_path):
    (settings.MEDIA_ROOT).mkdir(parents=True, exist_ok=True)
    (settings.MEDIA_ROOT / "evil.html").write_text("<script>alert(1)</script>")
    response = manager_client.get("/media/evil.html")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert manager_client.get("/media/../config/settings.py").status_code == 404


DANGEROUS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", " =1+1", "\r=1"]


@pytest.mark.parametrize("name", DANGEROUS)
def test_exports_neutralise_formulas_and_imports_keep_them_as_text(make_product, name):
    product = make_product(name="Áo")
    Product.objects.filter(pk=product.pk).update(name=name)  # as if saved before this fix
    products = Product.objects.all()

    content, _type, _name = importexport.export_file(products, fmt="xlsx")
    cell = load_workbook(io.BytesIO(content)).active["B2"]
    assert cell.data_type == "s"
    assert cell.value.startswith("'")
    assert cell.value[1:].replace("\n", "\r") == name.replace("\n", "\r")  # xlsx keeps \n

    content, _type, _name = importexport.export_file(products, fmt="csv")
    row = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))[1]
    assert row[1] == "'" + name


def test_an_imported_formula_is_stored_as_its_text():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(importexport.COLUMNS)
    row = dict.fromkeys(importexport.COLUMNS, "")
    row.update(
        product_sku="F1",
        product_name='=HYPERLINK("http://evil.example","Bấm vào")',
        variant_sku="F1",
        sale_price=100000,
        cost_price=50000,
        vat_rate="10",
    )
    sheet.append([row[c] for c in importexport.COLUMNS])
    out = io.BytesIO()
    workbook.save(out)

    report = importexport.import_products(
        file=SimpleUploadedFile("p.xlsx", out.getvalue()), dry_run=False
    )

    assert report.ok, report.as_dict()
    assert Product.objects.get(sku="F1").name == '=HYPERLINK("http://evil.example","Bấm vào")'


def test_composed_and_decomposed_skus_are_one_sku(make_product):
    make_product(sku="ÁO-A51B")  # composed Á
    with pytest.raises(Conflict):
        make_product(sku="A\u0301O-A51B")  # A + combining acute
    assert Product.objects.get().sku == "ÁO-A51B"


@pytest.mark.parametrize("sku", ["AO\u200b-A51B", "AO\u202e-A51B", "AO\x00-A51B", "\ufeffAO"])
def test_skus_with_invisible_or_control_characters_are_refused(make_product, sku):
    with pytest.raises(ValidationFailed) as refused:
        make_product(sku=sku)
    assert "sku" in refused.value.fields


@pytest.mark.parametrize("name", ["Áo\x00 thun", "\u200b\u200b", "\u200d \u2060"])
def test_names_with_nul_or_only_invisible_characters_are_refused(make_product, name):
    with pytest.raises(ValidationFailed) as refused:
        make_product(name=name)
    assert "name" in refused.value.fields
