"""Barcodes for variants without one, and printed labels that scanners read.

The label PDFs are rasterised with poppler's pdftoppm (Debian's poppler-utils, as for the other
PDF tests) and every barcode is decoded with zxing-cpp: each label must read as its own code."""

import re
import shutil
import subprocess

import pytest
from django.test import Client
from django.urls import reverse
from stdnum import ean

from donhang.catalog import services
from donhang.catalog.barcode_labels import SHEETS, Label, labels_pdf
from donhang.catalog.models import Variant
from donhang.catalog.services.barcodes import (
    barcode_symbology,
    ean13_check_digit,
    is_ean13,
    variant_barcodes_assign,
)

zxingcpp = pytest.importorskip("zxingcpp")
Image = pytest.importorskip("PIL.Image")

pytestmark = pytest.mark.skipif(
    not shutil.which("pdftoppm") or not shutil.which("pdftotext"),
    reason="poppler-utils is missing: `make browser-deps` installs it",
)


@pytest.fixture
def thirty_variants(owner):
    product = services.product_create(
        name="Áo thun cổ tròn",
        sku="AT",
        attributes=[("Màu", "Xanh, Đỏ, Trắng, Đen, Vàng"), ("Size", "S, M, L, XL, 2XL, 3XL")],
        defaults={"cost_price": 60_000, "sale_price": 150_000, "vat_rate": "10"},
        actor=owner,
    )
    variants = list(product.variants.order_by("position", "id"))
    assert len(variants) == 30
    return variants


def test_ean13_check_digit_of_known_codes():
    assert ean13_check_digit("400638133393") == "1"  # GS1's own example
    for first12 in ("893604949201", "200000000001", "893000000017"):
        assert ean13_check_digit(first12) == ean.calc_check_digit(first12)
    assert is_ean13("8936049492013")
    assert not is_ean13("8936049492015")
    assert barcode_symbology("8936049492013") == "ean13"
    assert barcode_symbology("AT-XANH-L") == "code128"


def test_variants_without_a_barcode_get_in_store_ean13_numbers(owner, thirty_variants, settings):
    settings.BARCODE_GS1_PREFIX = ""
    settings.BARCODE_FALLBACK = "ean13"
    kept = thirty_variants[0]
    Variant.objects.filter(pk=kept.pk).update(barcode="8936049492013")

    given = variant_barcodes_assign(variant_ids=[v.pk for v in thirty_variants], actor=owner)

    assert len(given) == 29
    codes = list(Variant.objects.exclude(pk=kept.pk).values_list("barcode", flat=True))
    assert len(set(codes)) == 29
    assert all(is_ean13(c) and c.startswith("20") for c in codes)
    assert Variant.objects.get(pk=kept.pk).barcode == "8936049492013"  # kept
    # Asked again: nothing left to give
    assert variant_barcodes_assign(variant_ids=[v.pk for v in thirty_variants], actor=owner) == []
    # A scan finds the variant by its new barcode on the order screen
    one = Variant.objects.exclude(pk=kept.pk).first()
    assert one.barcode in one.search_text


def test_with_a_gs1_prefix_numbers_follow_the_highest_given(owner, thirty_variants, settings):
    settings.BARCODE_GS1_PREFIX = "8936049"
    given = "893604900042" + ean13_check_digit("893604900042")
    Variant.objects.filter(pk=thirty_variants[0].pk).update(barcode=given)

    variant_barcodes_assign(variant_ids=[v.pk for v in thirty_variants[1:4]], actor=owner)

    codes = sorted(
        Variant.objects.filter(pk__in=[v.pk for v in thirty_variants[1:4]]).values_list(
            "barcode", flat=True
        )
    )
    assert [c[:12] for c in codes] == ["893604900043", "893604900044", "893604900045"]
    assert all(is_ean13(c) for c in codes)


def test_code128_fallback_uses_the_sku(owner, thirty_variants, settings):
    settings.BARCODE_GS1_PREFIX = ""
    settings.BARCODE_FALLBACK = "code128"
    variant_barcodes_assign(variant_ids=[thirty_variants[0].pk], actor=owner)
    variant = Variant.objects.get(pk=thirty_variants[0].pk)
    assert variant.barcode == variant.sku


def _page_images(pdf: bytes, tmp_path, dpi=300) -> list:
    path = tmp_path / "labels.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", str(path), str(tmp_path / "page")], check=True
    )
    return [Image.open(p) for p in sorted(tmp_path.glob("page-*.png"))]


def _decode_each_label(pdf: bytes, sheet: str, count: int, tmp_path, dpi=300) -> list[list[str]]:
    """What zxing reads on each label, cut out of the page where the sheet puts it."""
    layout = SHEETS[sheet]
    per_page = layout.columns * layout.rows
    pages = _page_images(pdf, tmp_path, dpi)
    points_to_px = dpi / 72
    found = []
    for index in range(count):
        image = pages[index // per_page]
        slot = index % per_page
        column, row = slot % layout.columns, slot // layout.columns
        left = layout.left + column * (layout.width + layout.gap_x)
        top = layout.top + row * (layout.height + layout.gap_y)
        box = tuple(
            round(v * points_to_px) for v in (left, top, left + layout.width, top + layout.height)
        )
        found.append(sorted(r.text for r in zxingcpp.read_barcodes(image.crop(box))))
    return found


@pytest.mark.parametrize("sheet", ["a4-65", "a4-40", "roll-50x30", "roll-40x30"])
def test_a_label_pdf_of_thirty_variants_shows_every_sku_and_each_barcode_reads(
    owner, thirty_variants, settings, tmp_path, sheet
):
    # Given 30 variants: half with in-store EAN-13 barcodes, half without (Code 128 of the SKU)
    settings.BARCODE_GS1_PREFIX = ""
    settings.BARCODE_FALLBACK = "ean13"
    variant_barcodes_assign(variant_ids=[v.pk for v in thirty_variants[::2]], actor=owner)
    client = Client()
    client.force_login(owner)

    # When their labels are printed
    response = client.get(
        reverse("catalog:barcode_labels"),
        {"variants": ",".join(str(v.pk) for v in thirty_variants), "sheet": sheet},
    )

    # Then a PDF whose text shows every SKU
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = response.content
    (tmp_path / "labels.pdf").write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "labels.pdf"), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    variants = list(
        Variant.objects.filter(pk__in=[v.pk for v in thirty_variants]).order_by(
            "product_id", "position"
        )
    )
    for variant in variants:
        assert variant.sku in text
    assert "Áo thun cổ tròn" in text  # Vietnamese kept
    # And each label's barcode decodes to that variant's code, nothing else
    expected = [[v.barcode or v.sku] for v in variants]
    assert _decode_each_label(pdf, sheet, len(variants), tmp_path) == expected
    assert sum(1 for v in variants if v.barcode) == 15


def test_labels_in_copies_for_a_roll():
    pdf = labels_pdf(
        [Label(code="AT-XANH-L", sku="AT-XANH-L", name="Áo", price=150_000)],
        sheet="roll-40x30",
        copies=3,
    )
    assert len(re.findall(rb"/Type\s*/Page(?![a-z])", pdf)) == 3  # one label a page


def test_assigning_needs_catalog_change_and_is_a_post(owner, thirty_variants, warehouse_client):
    url = reverse("catalog:barcodes_assign")
    assert warehouse_client.post(url, {"product": thirty_variants[0].product_id}).status_code in (
        302,
        403,
    )
    client = Client()
    client.force_login(owner)
    assert client.get(url).status_code == 405
    response = client.post(url, {"product": thirty_variants[0].product_id})
    assert response.status_code == 302
    assert not Variant.objects.filter(barcode="").exists()


def test_variant_lookup_by_scan(owner, thirty_variants):
    client = Client()
    client.force_login(owner)
    Variant.objects.filter(pk=thirty_variants[3].pk).update(barcode="2000000000015")
    found = client.get(reverse("catalog:variant_lookup"), {"code": "2000000000015"}).json()
    assert found["sku"] == thirty_variants[3].sku
    missing = client.get(reverse("catalog:variant_lookup"), {"code": "999"})
    assert missing.status_code == 404
    assert "999" in missing.json()["message"]
