"""Findings of the inventory review: each test failed before its fix."""

import contextlib
import threading
import time

import pytest
from django.db import connection, transaction

from donhang.catalog import services as catalog
from donhang.core.errors import Conflict, ValidationFailed
from donhang.inventory import stocktakes, transfers
from donhang.inventory.models import Stocktake, Warehouse


@pytest.fixture
def hn(db):
    return Warehouse.objects.create(code="HN", name="Kho Hà Nội", priority=1)


@pytest.fixture
def hcm(db):
    return Warehouse.objects.create(code="HCM", name="Kho TP.HCM", priority=2)


def make(sku, warehouse, qty):
    product = catalog.product_create(
        name=f"SP {sku}",
        sku=sku,
        defaults={"cost_price": 1000, "sale_price": 2000},
        initial_stock={warehouse.pk: qty},
    )
    return product.variants.get()


@pytest.mark.django_db
def test_a_count_with_extra_digits_is_refused_with_a_message(hn):
    make("A", hn, 10)
    sheet = stocktakes.stocktake_create(warehouse=hn)
    line = sheet.lines.get()

    with pytest.raises(ValidationFailed) as typed:
        stocktakes.stocktake_count(stocktake=sheet, counts={line.pk: 99_999_999_999_999})
    with pytest.raises(ValidationFailed) as imported:
        stocktakes.stocktake_import(
            stocktake=sheet, filename="scan.csv", content=b"sku,qty\nA,1e30\n"
        )

    assert f"counts.{line.pk}" in typed.value.fields
    assert "row 2" in imported.value.fields
    line.refresh_from_db()
    assert line.counted is None


@pytest.mark.django_db
def test_a_transfer_quantity_with_extra_digits_is_refused_with_a_message(hn, hcm):
    variant = make("A", hn, 10)

    with pytest.raises(ValidationFailed) as created:
        transfers.transfer_create(
            source=hn,
            destination=hcm,
            lines=[transfers.TransferLineInput(variant_id=variant.pk, quantity=10**12)],
        )
    transfer = transfers.transfer_create(
        source=hn,
        destination=hcm,
        lines=[transfers.TransferLineInput(variant_id=variant.pk, quantity=2)],
    )
    transfers.transfer_send(transfer=transfer)
    with pytest.raises(ValidationFailed) as received:
        transfers.transfer_receive(
            transfer=transfer,
            received={transfer.lines.get().pk: 10**12},
            discrepancy_note="đếm",
        )

    assert "lines.0.quantity" in created.value.fields
    assert received.value.fields


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_two_people_starting_a_count_of_one_warehouse_at_once_get_one_count(hn):
    if connection.vendor != "postgresql":
        pytest.skip("row locks interleave only on PostgreSQL (SQLite serialises writers)")
    make("A", hn, 10)
    created = threading.Event()

    def first():
        try:
            with transaction.atomic():
                stocktakes.stocktake_create(warehouse=hn)
                created.set()
                time.sleep(1.0)  # not committed yet while the second person starts
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert created.wait(10)
    with contextlib.suppress(Conflict):  # what the second person should be told
        stocktakes.stocktake_create(warehouse=hn)
    thread.join(10)

    assert Stocktake.objects.filter(warehouse=hn, status=Stocktake.Status.COUNTING).count() == 1
