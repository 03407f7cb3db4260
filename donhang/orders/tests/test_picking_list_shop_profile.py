"""Picking lists say whose goods they are: the shop of the shop profile."""

import subprocess

import pytest
from django.utils import translation

from donhang.accounts.services import shop_profile_update
from donhang.orders.pdf import picking_list_pdf
from donhang.orders.selectors import orders_for_picking

pytestmark = pytest.mark.django_db


def test_the_picking_list_names_the_shop(make_variant, place_order, owner, tmp_path):
    shop_profile_update(
        actor=owner,
        name="Công ty TNHH Thời trang Lan Nguyễn",
        address_line="25 Lý Thường Kiệt",
        ward=70,  # Phường Hoàn Kiếm, Hà Nội
        phone="024 3825 1234",
    )
    make_variant("AT01", stock=10)
    order = place_order(("AT01", 2))

    with translation.override("en"):
        pdf = picking_list_pdf(orders_for_picking(codes=[order.code]))

    path = tmp_path / "picking.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    head = text[: text.index("Pick summary")]
    assert "Công ty TNHH Thời trang Lan Nguyễn" in head
    assert "25 Lý Thường Kiệt, Phường Hoàn Kiếm, Thành phố Hà Nội · 024 3825 1234" in head
