import subprocess
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from donhang.purchasing import services

pytestmark = pytest.mark.django_db


def _pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "po.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


@pytest.fixture
def purchase_order(make_variant, supplier, warehouse, users):
    shirt = make_variant(sku="AT01")
    services.supplier_variant_set(supplier=supplier, variant=shirt, supplier_sku="DM-01")
    po = services.purchase_order_create(
        supplier=supplier,
        warehouse=warehouse,
        lines=[services.PoLineInput(variant_id=shirt.pk, quantity=12, unit_price=72_500)],
        expected_date=date(2025, 9, 15),
        note="Giao hàng giờ hành chính",
        actor=users["manager"],
    )
    return services.purchase_order_send(purchase_order=po, actor=users["manager"])


def test_pdf_in_vietnamese_keeps_diacritics(purchase_order, users, tmp_path):
    # Given a manager (who may view purchase orders and their prices) in the default language
    client = Client()
    client.force_login(users["manager"])

    response = client.get(reverse("purchasing:purchase_order_pdf", args=[purchase_order.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content, tmp_path)
    assert "ĐƠN ĐẶT HÀNG" in text
    assert "Công ty TNHH Dệt May Sài Gòn" in text
    assert "0301234567" in text  # the supplier's tax code
    assert "Kho Hà Nội" in text
    assert "Sản phẩm AT01" in text and "DM-01" in text
    assert "870.000 ₫" in text  # 12 × 72.500
    assert "957.000 ₫" in text  # with 10 % VAT
    assert "15-09-2025" in text or "15/09/2025" in text
    assert "Giao hàng giờ hành chính" in text


def test_pdf_in_english(purchase_order, users, tmp_path):
    client = Client()
    client.force_login(users["manager"])
    client.cookies["donhang_language"] = "en"

    response = client.get(reverse("purchasing:purchase_order_pdf", args=[purchase_order.pk]))

    text = _pdf_text(response.content, tmp_path)
    assert "PURCHASE ORDER" in text
    assert "Công ty TNHH Dệt May Sài Gòn" in text
    assert "Supplier" in text and "Tax code" in text


def test_sales_cannot_print_a_purchase_order(purchase_order, users):
    client = Client()
    client.force_login(users["sales"])
    url = reverse("purchasing:purchase_order_pdf", args=[purchase_order.pk])
    assert client.get(url).status_code == 403
