"""Our own labels: one page a shipment, Vietnamese names intact, COD in large type."""

import subprocess
import tempfile

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from donhang.accounts.services import user_create
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


def _page_count(pdf: bytes) -> int:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        info = subprocess.run(["pdfinfo", f.name], capture_output=True, text=True, check=True)
    return int(next(ln for ln in info.stdout.splitlines() if ln.startswith("Pages:")).split()[1])


@pytest.fixture
def shipments(ghn_account, ghn, packed_order, committed):
    orders = [packed_order(quantity=2, price=165_000, fee=30_000) for _ in range(2)]
    with committed():
        created = [
            services.shipment_create(order=o, account=ghn_account, note="Gọi trước khi giao")
            for o in orders
        ]
    return shipments_for_labels([s.pk for s in created])


@pytest.mark.parametrize("size", ["A6", "A5", "80mm"])
def test_labels_in_every_size_keep_vietnamese_text(shipments, size):
    with translation.override("en"):
        pdf = render_labels(shipments, size=size)

    assert pdf.startswith(b"%PDF")
    assert _page_count(pdf) == 2  # one label a page
    text = _pdftotext(pdf)
    assert "Trần Thị Bích Ngọc" in text  # the receiver, diacritics intact
    assert "360.000" in text  # COD: goods + shipping the buyer pays
    assert "Kho Hà Nội" in text or "Nguyễn Thị Lan" in text  # the sender
    assert "Phường Sài Gòn" in text and "Phường Hoàn Kiếm" in text
    assert shipments[0].tracking_code in text and shipments[0].order.code in text
    assert "AO-1 × 2" in text
    assert "Gọi trước khi giao" in text


def test_label_before_the_carrier_answers_uses_our_reference(ghn_account, packed_order):
    # on-commit callbacks not run: no tracking number yet
    shipment = services.shipment_create(
        order=packed_order(payment="bank_transfer"), account=ghn_account
    )

    text = _pdftotext(render_labels(shipments_for_labels([shipment.pk])))

    assert shipment.reference in text
    assert "0 ₫" in text  # prepaid: nothing to collect


def test_unknown_size_is_refused(shipments):
    with pytest.raises(ValueError):
        render_labels(shipments, size="A4")


def test_labels_pdf_view_prints_many_in_one(shipments):
    client = Client()
    client.cookies["donhang_language"] = "en"
    client.force_login(user_create(username="kho-2", password="mat-khau-123", role="warehouse"))

    response = client.get(
        reverse("shipping:labels_pdf"),
        {"ids": ",".join(str(s.pk) for s in shipments), "size": "A5"},
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert _page_count(response.content) == 2
    assert "Trần Thị Bích Ngọc" in _pdftotext(response.content)
