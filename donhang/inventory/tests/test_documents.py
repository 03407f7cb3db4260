"""Transfers and stocktakes."""

import pytest
from django.core.management import call_command

from donhang.accounts.services import user_create
from donhang.catalog import services as catalog
from donhang.core.errors import Conflict, PermissionDenied, ValidationFailed
from donhang.inventory import stocktakes, transfers
from donhang.inventory.models import StockLevel, StockMovement, Warehouse

pytestmark = pytest.mark.django_db


@pytest.fixture
def hn(db):
    return Warehouse.objects.create(code="HN", name="Kho Hà Nội", priority=1)


@pytest.fixture
def hcm(db):
    return Warehouse.objects.create(code="HCM", name="Kho TP.HCM", priority=2)


@pytest.fixture
def staff(db):
    return {
        r: user_create(username=r, password="mat-khau-123", role=r)
        for r in ("manager", "warehouse")
    }


def make(sku, hn, qty):
    product = catalog.product_create(
        name=f"SP {sku}",
        sku=sku,
        defaults={"cost_price": 1000, "sale_price": 2000},
        initial_stock={hn.pk: qty},
    )
    return product.variants.get()


def available(variant, warehouse):
    level = StockLevel.objects.filter(variant=variant, warehouse=warehouse).first()
    return 0 if level is None else level.on_hand - level.reserved


def test_a_transfer_in_transit_counts_nowhere_and_arrives_intact(hn, hcm, staff):
    variant = make("A", hn, 10)
    transfer = transfers.transfer_create(
        source=hn,
        destination=hcm,
        lines=[transfers.TransferLineInput(sku="A", quantity=4)],
        actor=staff["warehouse"],
    )

    transfers.transfer_send(transfer=transfer, actor=staff["warehouse"])
    assert (available(variant, hn), available(variant, hcm)) == (6, 0)

    transfers.transfer_receive(transfer=transfer, actor=staff["warehouse"])
    assert (available(variant, hn), available(variant, hcm)) == (6, 4)
    call_command("stock_rebuild", "--check")


def test_transfer_discrepancy_is_recorded_and_must_be_explained(hn, hcm, staff):
    variant = make("A", hn, 10)
    transfer = transfers.transfer_create(
        source=hn, destination=hcm, lines=[transfers.TransferLineInput(sku="A", quantity=4)]
    )
    transfers.transfer_send(transfer=transfer)
    line = transfer.lines.get()

    with pytest.raises(ValidationFailed):
        transfers.transfer_receive(transfer=transfer, received={line.pk: 3})
    transfers.transfer_receive(
        transfer=transfer, received={line.pk: 3}, discrepancy_note="1 áo rách khi vận chuyển"
    )

    line.refresh_from_db()
    assert line.discrepancy == -1
    assert available(variant, hcm) == 3


def test_a_transfer_cannot_send_more_than_available(hn, hcm):
    make("A", hn, 2)
    transfer = transfers.transfer_create(
        source=hn, destination=hcm, lines=[transfers.TransferLineInput(sku="A", quantity=5)]
    )

    with pytest.raises(Conflict):
        transfers.transfer_send(transfer=transfer)


def test_stocktake_posts_three_variances_once(hn, staff):
    a, b, c, d = (make(s, hn, 10) for s in "ABCD")
    sheet = stocktakes.stocktake_create(warehouse=hn, actor=staff["warehouse"])
    lines = {ln.variant_id: ln.pk for ln in sheet.lines.all()}
    assert sheet.lines.get(variant=a).expected == 10

    stocktakes.stocktake_count(
        stocktake=sheet,
        counts={lines[a.pk]: 8, lines[b.pk]: 12, lines[c.pk]: 0, lines[d.pk]: 10},
        actor=staff["warehouse"],
    )
    with pytest.raises(PermissionDenied):
        stocktakes.stocktake_post(stocktake=sheet, actor=staff["warehouse"])
    movements = stocktakes.stocktake_post(stocktake=sheet, actor=staff["manager"])

    assert sorted((m.variant_id, m.delta) for m in movements) == sorted(
        [(a.pk, -2), (b.pk, 2), (c.pk, -10)]
    )
    assert StockMovement.objects.filter(kind="stocktake", reference_label=sheet.code).count() == 3
    call_command("stock_rebuild", "--check")
    with pytest.raises(Conflict):
        stocktakes.stocktake_post(stocktake=sheet, actor=staff["manager"])
    assert StockMovement.objects.filter(kind="stocktake").count() == 3


def test_stocktake_counts_import_from_a_scanner_csv(hn, staff):
    a = make("A", hn, 10)
    b = make("B", hn, 5)
    sheet = stocktakes.stocktake_create(warehouse=hn)
    csv_bytes = b"sku,quantity\nA,4\nA,3\nB,5\n"

    stocktakes.stocktake_import(
        stocktake=sheet, filename="scan.csv", content=csv_bytes, actor=staff["warehouse"]
    )

    assert sheet.lines.get(variant=a).counted == 7
    assert sheet.lines.get(variant=b).counted == 5


def test_stocktake_import_with_a_bad_row_imports_nothing(hn):
    a = make("A", hn, 10)
    sheet = stocktakes.stocktake_create(warehouse=hn)

    with pytest.raises(ValidationFailed) as exc:
        stocktakes.stocktake_import(
            stocktake=sheet, filename="scan.csv", content=b"sku,qty\nA,4\nNOPE,1\n"
        )

    assert "row 3" in exc.value.fields
    assert sheet.lines.get(variant=a).counted is None
