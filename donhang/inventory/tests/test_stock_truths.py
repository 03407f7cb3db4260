"""Stock truths (issue 8) that inventory holds on its own: counts compare with the shelf at the
moment of counting, every change to sellable stock leaves one pending "stock changed" record per
variant, and available-to-promise over a set of warehouses. Each test ends with the ledger check.
(Counts below what orders reserve, sales and returned parcels are tested with the orders, in
donhang/orders/tests/test_ledger_check.py.)"""

import pytest
from django.core.management import call_command
from django.urls import reverse

from donhang.inventory import selectors, services, stocktakes, transfers
from donhang.inventory.models import StockChange, StockLevel, Warehouse
from donhang.inventory.services import MovementLine
from donhang.inventory.tests.documents_support import make_variant, on_hand

pytestmark = pytest.mark.django_db


@pytest.fixture
def hn(db):
    return Warehouse.objects.create(code="HN", name="Kho Hà Nội", priority=1)


@pytest.fixture
def hcm(db):
    return Warehouse.objects.create(code="HCM", name="Kho TP.HCM", priority=2)


def no_drift():
    call_command("stock_rebuild", "--check")  # raises CommandError on any drift


def send(source, destination, variant, quantity):
    transfer = transfers.transfer_create(
        source=source,
        destination=destination,
        lines=[transfers.TransferLineInput(variant_id=variant.pk, quantity=quantity)],
    )
    return transfers.transfer_send(transfer=transfer)


# --- a count compares with the shelf at the moment of counting --------------------------------


def test_goods_leaving_while_the_sheet_is_open_are_not_deducted_twice(login, english, hn, hcm):
    variant = make_variant("A", stock={hn.pk: 10})
    sheet = stocktakes.stocktake_create(warehouse=hn)
    line = sheet.lines.get()

    # Given 2 units leave after the sheet was made, when the shelf is counted at 8…
    send(hn, hcm, variant, 2)
    stocktakes.stocktake_count(stocktake=sheet, counts={line.pk: 8})

    # …the pages expect 8 (on hand at the count) and show no variance…
    client = login("manager")
    review = client.get(reverse("inventory:stocktake_review", args=[sheet.code]))
    assert review.context["review"].lines == []
    page = client.get(reverse("inventory:stocktake_sheet", args=[sheet.code]))
    (shown,) = page.context["page_obj"].object_list
    assert (shown.expected, shown.counted, shown.variance) == (8, 8, 0)
    # …and posting leaves 8 on hand, not 6.
    stocktakes.stocktake_post(stocktake=sheet)
    assert on_hand(variant, hn) == 8
    no_drift()


def test_goods_arriving_after_the_count_stay_on_hand(hn, hcm):
    variant = make_variant("A", stock={hn.pk: 10, hcm.pk: 5})
    sheet = stocktakes.stocktake_create(warehouse=hn)
    line = sheet.lines.get()

    stocktakes.stocktake_count(stocktake=sheet, counts={line.pk: 9})  # one unit lost
    transfer = send(hcm, hn, variant, 5)
    transfers.transfer_receive(transfer=transfer)
    stocktakes.stocktake_post(stocktake=sheet)

    assert on_hand(variant, hn) == 14
    no_drift()


def test_an_imported_count_takes_the_on_hand_of_its_moment(hn, hcm):
    variant = make_variant("A", stock={hn.pk: 10})
    sheet = stocktakes.stocktake_create(warehouse=hn)
    send(hn, hcm, variant, 3)

    stocktakes.stocktake_import(stocktake=sheet, filename="scan.csv", content=b"sku,qty\nA,7\n")
    line = sheet.lines.get()

    assert (line.expected, line.counted, line.variance) == (7, 7, 0)
    assert line.counted_at is not None
    stocktakes.stocktake_post(stocktake=sheet)
    assert on_hand(variant, hn) == 7
    no_drift()


# --- "stock changed" records for the marketplace sync -----------------------------------------


def pending() -> dict[int, StockChange]:
    return {change.variant_id: change for change in selectors.stock_changes_pending(limit=100)}


def test_every_stock_change_leaves_one_pending_record_per_variant(hn, hcm):
    first = make_variant("A", stock={hn.pk: 10})
    second = make_variant("B")
    assert set(pending()) == {first.pk}  # initial stock is a change; no stock, none

    services.stock_changes_mark_consumed(changes=selectors.stock_changes_pending(limit=100))
    assert pending() == {}

    # A transfer out, back in, and a receipt-like movement: still one row per variant.
    transfer = send(hn, hcm, first, 4)
    transfers.transfer_receive(transfer=transfer)
    services.stock_movements_post(
        lines=[MovementLine(first.pk, hn.pk, 2), MovementLine(second.pk, hn.pk, 1)],
        kind="adjustment",
        reason="Tìm thấy",
    )

    assert set(pending()) == {first.pk, second.pk}
    assert StockChange.objects.count() == 2
    no_drift()


def test_a_change_made_between_reading_and_marking_stays_pending(hn):
    variant = make_variant("A", stock={hn.pk: 10})
    read = selectors.stock_changes_pending(limit=100)

    # The sync pushes what it read; meanwhile the stock changes again.
    services.stock_movements_post(
        lines=[MovementLine(variant.pk, hn.pk, -1)], kind="damaged", reason="Rách"
    )
    dropped = services.stock_changes_mark_consumed(changes=read)

    assert dropped == 0
    assert set(pending()) == {variant.pk}
    # The next round pushes the new figure and clears it.
    assert services.stock_changes_mark_consumed(changes=selectors.stock_changes_pending()) == 1
    assert pending() == {}
    no_drift()


def test_recording_a_change_is_one_statement_whatever_the_variants(hn, django_assert_num_queries):
    variants = [make_variant(f"V{i}") for i in range(5)]

    with django_assert_num_queries(1):
        services.stock_changes_record(v.pk for v in variants)

    assert set(pending()) == {v.pk for v in variants}


# --- available to promise ---------------------------------------------------------------------


def test_available_to_promise_over_a_set_of_warehouses(hn, hcm):
    variant = make_variant("A", stock={hn.pk: 10, hcm.pk: 4})
    empty = make_variant("B")
    closed = Warehouse.objects.create(code="DN", name="Kho Đà Nẵng", priority=3)
    services.stock_movements_post(lines=[MovementLine(variant.pk, closed.pk, 7)], kind="receipt")
    closed.is_active = False
    closed.save(update_fields=["is_active"])
    # 12 reserved in HCM, which allows negative stock: less than nothing there counts as 0.
    StockLevel.objects.filter(variant=variant, warehouse=hcm).update(
        reserved=12, allow_negative=True
    )
    StockLevel.objects.filter(variant=variant, warehouse=hn).update(reserved=3, returned=5)

    every_active = selectors.available_to_promise(variant_ids=[variant.pk, empty.pk])
    hn_only = selectors.available_to_promise(variant_ids=[variant.pk], warehouse_ids=[hn.pk])
    with_closed = selectors.available_to_promise(
        variant_ids=[variant.pk], warehouse_ids=[hn.pk, closed.pk]
    )

    assert every_active == {variant.pk: 7, empty.pk: 0}  # 10 − 3 in HN, never −8 from HCM
    assert hn_only == {variant.pk: 7}  # the 5 returned units are not sellable
    assert with_closed == {variant.pk: 14}
