"""Labels in bulk: a constant number of statements however many labels, codes drawn once, any
number printed (in the background past a few hundred, with progress)."""

import subprocess
import tempfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from reportlab.graphics.barcode import qrencoder

from donhang.accounts.services import user_create
from donhang.customers.models import Customer, Ward
from donhang.orders.models import Order, OrderLine
from donhang.shipping import labels, views
from donhang.shipping.models import CarrierAccount, LabelBatch, Shipment, ShipmentLine
from donhang.shipping.selectors import shipments_for_labels

pytestmark = pytest.mark.django_db


def _page_count(pdf: bytes) -> int:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        info = subprocess.run(["pdfinfo", f.name], capture_output=True, text=True, check=True)
    return int(next(ln for ln in info.stdout.splitlines() if ln.startswith("Pages:")).split()[1])


@pytest.fixture
def many_shipments(warehouse, make_variant_for_labels):
    """`make(n)`: n parcels to wards of many provinces, leaving from three warehouses (one
    without a warehouse of its own: the account's), half listing their lines."""
    account = CarrierAccount.objects.create(name="GHN", provider="ghn", pickup_warehouse=warehouse)
    customer = Customer.objects.create(name="Khách", phone="+84911111111")
    wards = list(Ward.objects.select_related("province").order_by("code"))[::50]
    variant = make_variant_for_labels
    made = {"n": 0}

    def make(n: int) -> list[int]:
        start = made["n"]
        made["n"] += n
        orders = Order.objects.bulk_create(
            Order(
                code=f"DH9{start + i:05d}",
                channel="website",
                customer=customer,
                customer_name=f"Nguyễn Thị Khách {i}",
                customer_phone="+84912000111",
                shipping_name=f"Nguyễn Thị Khách {i}",
                shipping_phone="+84912000111",
                shipping_address_line="1 Phố Huế",
                shipping_ward=wards[i % len(wards)],
                shipping_province=wards[i % len(wards)].province,
                status="processing",
                sub_state="ready_to_ship",
            )
            for i in range(n)
        )
        lines = OrderLine.objects.bulk_create(
            OrderLine(
                order=o,
                variant=variant,
                sku=variant.sku,
                name="Áo",
                quantity=1,
                unit_price=100_000,
                vat_rate="10",
            )
            for o in orders
        )
        shipments = Shipment.objects.bulk_create(
            Shipment(
                order=o,
                account=account,
                reference=f"REF-{start + i}",
                warehouse=warehouse if i % 3 else None,
                tracking_code=f"GHN{start + i:09d}",
                status="ready_to_pick",
                cod_amount=330_000,
                weight_g=500,
            )
            for i, o in enumerate(orders)
        )
        ShipmentLine.objects.bulk_create(
            ShipmentLine(shipment=s, order_line=ln, quantity=1)
            for i, (s, ln) in enumerate(zip(shipments, lines, strict=True))
            if i % 2 == 0
        )
        return [s.pk for s in shipments]

    return make


@pytest.fixture
def make_variant_for_labels(warehouse):
    from donhang.catalog import services as catalog

    product = catalog.product_create(
        name="Áo thun", sku="AO-T", defaults={"sale_price": 100_000}, initial_stock={}
    )
    return product.variants.get()


# shipments (with the order's ward and province, the account) · the orders' lines · the parcels'
# lines · the warehouses they leave from (with ward and province) · the shop profile
LABEL_STATEMENTS = 5


def test_100_labels_take_the_statements_of_10(many_shipments):
    ten, hundred = many_shipments(10), many_shipments(100)
    counts = []
    for ids in (ten, hundred):
        with CaptureQueriesContext(connection) as ctx:
            pdf = labels.render_labels(shipments_for_labels(ids))
        counts.append(len(ctx.captured_queries))
        assert _page_count(pdf) == len(ids)
    assert counts == [LABEL_STATEMENTS, LABEL_STATEMENTS], "\n".join(
        q["sql"][:120] for q in ctx.captured_queries
    )


def test_labels_view_prints_more_than_200_at_once(many_shipments, client):
    ids = many_shipments(230)
    client.force_login(user_create(username="kho-3", password="mat-khau-123", role="warehouse"))

    response = client.post(reverse("shipping:labels_pdf"), {"ids": ",".join(map(str, ids))})

    assert response.status_code == 200
    assert _page_count(response.content) == 230  # no cap at 200


def test_a_big_batch_is_printed_in_the_background(
    many_shipments, client, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(views, "LABELS_INLINE_MAX", 2)
    ids = many_shipments(5)
    client.force_login(user_create(username="kho-4", password="mat-khau-123", role="warehouse"))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("shipping:labels_pdf"), {"ids": ",".join(map(str, ids))})

    batch = LabelBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "shipping:label_batch", args=[batch.pk]
    )
    batch.refresh_from_db()
    assert (batch.state, batch.done, batch.total) == ("done", 5, 5)
    page = client.get(response["Location"]).content.decode()
    assert reverse("shipping:label_batch_pdf", args=[batch.pk]) in page
    pdf = client.get(reverse("shipping:label_batch_pdf", args=[batch.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert _page_count(b"".join(pdf.streaming_content)) == 5


def test_a_batch_in_progress_is_polled(many_shipments, client):
    batch = LabelBatch.objects.create(shipment_ids=many_shipments(3), total=3, done=1)
    client.cookies["donhang_language"] = "en"
    client.force_login(user_create(username="kho-5", password="mat-khau-123", role="warehouse"))

    html = client.get(reverse("shipping:label_batch", args=[batch.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in html and "1 of 3" in html
    assert client.get(reverse("shipping:label_batch_pdf", args=[batch.pk])).status_code == 404


@pytest.mark.parametrize("code", ["GHN000000042", "DH000123-1", "SPXVN0123456789ABCDEF"])
def test_qr_code_encoded_once_is_a_valid_symbol(code):
    modules = labels._qr_modules(code)

    reference = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.L)
    reference.addData(code)
    reference.version = reference.calculate_version()
    masks = []
    for mask in range(8):  # the symbol reportlab makes with one of the eight masks
        reference.makeImpl(False, mask)
        masks.append(reference.modules == modules)
    assert masks.count(True) == 1
