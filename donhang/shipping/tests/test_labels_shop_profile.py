"""Labels name the shop of the shop profile as the sender, not a warehouse's contact person."""

import subprocess
import tempfile

import pytest
from django.utils import translation

from donhang.accounts.services import shop_profile_update
from donhang.customers.models import Ward
from donhang.inventory.models import Warehouse
from donhang.shipping import services
from donhang.shipping.labels import render_labels
from donhang.shipping.selectors import shipments_for_labels

pytestmark = pytest.mark.django_db


def _pdftotext(pdf: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        return subprocess.run(
            ["pdftotext", "-layout", f.name, "-"], capture_output=True, text=True, check=True
        ).stdout


@pytest.fixture
def label_text(ghn_account, packed_order):
    def render() -> str:
        # on-commit callbacks not run: the label carries our reference; enough for the sender
        shipment = services.shipment_create(order=packed_order(), account=ghn_account)
        with translation.override("en"):
            return _pdftotext(render_labels(shipments_for_labels([shipment.pk])))

    return render


def test_the_sender_is_the_shop_of_the_profile(label_text, staff):
    shop_profile_update(
        actor=staff,
        name="Công ty TNHH Thời trang Lan Nguyễn",
        phone="024 3825 1234",
        address_line="25 Lý Thường Kiệt",
        ward=70,  # Phường Hoàn Kiếm, Hà Nội
    )

    text = label_text()

    from_block = text[text.index("From") : text.index("To")]
    assert "Công ty TNHH Thời trang Lan Nguyễn" in from_block
    assert "024 3825 1234" in from_block
    # The parcel leaves from (and comes back to) the pickup warehouse.
    assert "18 Hàng Bạc, Phường Hoàn Kiếm, Thành phố Hà Nội" in from_block
    assert "Nguyễn Thị Lan" not in text  # the warehouse's contact person is not the sender


def test_without_a_warehouse_address_the_shops_address_is_printed(label_text, staff, warehouse):
    warehouse.address_line = ""
    warehouse.ward = warehouse.province = None
    warehouse.save()
    shop_profile_update(
        actor=staff, name="Shop Lan", address_line="25 Lý Thường Kiệt", ward=70, phone=""
    )

    from_block = (text := label_text())[text.index("From") : text.index("To")]

    assert "Shop Lan · 0912 000 111" in from_block  # the warehouse phone stands in
    assert "25 Lý Thường Kiệt, Phường Hoàn Kiếm, Thành phố Hà Nội" in from_block


def test_with_only_the_settings_the_shop_name_is_the_sender(label_text, settings):
    settings.DONHANG_SHOP_NAME = "Shop Hoa Mai"

    from_block = (text := label_text())[text.index("From") : text.index("To")]

    assert "Shop Hoa Mai · 0912 000 111" in from_block


def test_with_no_shop_name_at_all_the_warehouse_stands_in(label_text, settings):
    settings.DONHANG_SHOP_NAME = ""

    from_block = (text := label_text())[text.index("From") : text.index("To")]

    assert "Kho Hà Nội · 0912 000 111" in from_block


def test_a_parcel_from_another_warehouse_names_that_warehouses_address(
    ghn_account, packed_order, staff
):
    shop_profile_update(actor=staff, name="Shop Lan", phone="024 3825 1234")
    ward = Ward.objects.select_related("province").get(name="Phường Bến Thành")
    other = Warehouse.objects.create(
        code="HCM", name="Kho HCM", address_line="125 Lê Lợi", ward=ward, province=ward.province
    )
    shipment = services.shipment_create(order=packed_order(), account=ghn_account)
    shipment.warehouse = other  # given: this parcel's stock sits in HCM
    shipment.save(update_fields=["warehouse"])

    with translation.override("en"):
        text = _pdftotext(render_labels(shipments_for_labels([shipment.pk])))

    from_block = text[text.index("From") : text.index("To")]
    assert "Shop Lan · 024 3825 1234" in from_block
    assert "125 Lê Lợi, Phường Bến Thành, Thành phố Hồ Chí Minh" in from_block
