"""Purchase orders name the buyer from the shop profile: name, tax code, address, contacts, logo."""

import subprocess
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from donhang.accounts.services import shop_profile_update
from donhang.purchasing import services
from donhang.purchasing.pdf import purchase_order_pdf
from donhang.purchasing.selectors import purchase_order_get

pytestmark = pytest.mark.django_db


def _pdf_tool(content: bytes, tmp_path, *command: str) -> str:
    """Run a poppler tool on the PDF: `{}` in the command stands for the file."""
    path = tmp_path / "po.pdf"
    path.write_bytes(content)
    args = [str(path) if part == "{}" else part for part in command]
    return subprocess.run(args, capture_output=True, check=True, text=True).stdout


@pytest.fixture
def render(make_variant, supplier, warehouse, users, tmp_path):
    shirt = make_variant(sku="AT01")
    po = services.purchase_order_create(
        supplier=supplier,
        warehouse=warehouse,
        lines=[services.PoLineInput(variant_id=shirt.pk, quantity=12, unit_price=72_500)],
        actor=users["manager"],
    )

    def run(language="vi"):
        with translation.override(language):
            pdf = purchase_order_pdf(purchase_order_get(pk=po.pk))
        return pdf, _pdf_tool(pdf, tmp_path, "pdftotext", "-layout", "{}", "-").replace("\f", "")

    return run


def _logo() -> SimpleUploadedFile:
    out = BytesIO()
    Image.new("RGB", (300, 120), (176, 42, 84)).save(out, format="PNG")
    return SimpleUploadedFile("logo.png", out.getvalue(), content_type="image/png")


def test_the_buyer_is_the_shop_of_the_profile(render, users, tmp_path):
    shop_profile_update(
        actor=users["manager"],
        name="Công ty TNHH Thời trang Lan Nguyễn",
        tax_code="0107654326",
        address_line="25 Lý Thường Kiệt",
        ward=70,  # Phường Hoàn Kiếm, Hà Nội
        phone="024 3825 1234",
        email="lienhe@example.vn",
        logo=_logo(),
    )

    pdf, text = render()

    assert "Công ty TNHH Thời trang Lan Nguyễn" in text
    assert "Mã số thuế: 0107654326" in text
    assert "25 Lý Thường Kiệt, Phường Hoàn Kiếm," in text
    assert "024 3825 1234" in text and "lienhe@example.vn" in text
    assert "Giao đến: Kho Hà Nội (HN)" in text  # the warehouse still receives the goods
    images = _pdf_tool(pdf, tmp_path, "pdfimages", "-list", "{}")
    assert len(images.strip().splitlines()) == 3  # two header lines, then the logo


def test_in_english_the_delivery_address_is_labelled(render, users, warehouse):
    warehouse.address_line = "12 Hàng Bạc"
    warehouse.save()
    shop_profile_update(actor=users["manager"], name="Shop Lan")

    _pdf, text = render("en")

    assert "Buyer" in text and "Shop Lan" in text
    assert "Delivery address: 12 Hàng Bạc" in text


def test_a_missing_logo_file_does_not_stop_printing(render, users):
    profile = shop_profile_update(actor=users["manager"], name="Shop Lan", logo=_logo())
    profile.logo.storage.delete(profile.logo.name)

    pdf, text = render()

    assert pdf.startswith(b"%PDF") and "Shop Lan" in text


def test_before_a_profile_is_saved_the_settings_name_the_buyer(render, settings):
    settings.DONHANG_SHOP_NAME = "Shop Hoa Mai"
    settings.DONHANG_SHOP_TAX_CODE = "0109351729"

    _pdf, text = render()

    assert "Shop Hoa Mai" in text and "0109351729" in text
