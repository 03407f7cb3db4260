import pytest
from django.core.management import call_command

from donhang.core.errors import Conflict, PermissionDenied, ValidationFailed
from donhang.inventory.models import StockLevel, StockMovement
from donhang.orders.models import Status, SubState
from donhang.purchasing import services
from donhang.purchasing.models import PurchaseOrder

pytestmark = pytest.mark.django_db


def test_shortages_become_one_po_and_its_receipt_serves_waiting_orders_oldest_first(
    make_variant, supplier, warehouse, place_order, users
):
    # Given 5 confirmed orders awaiting stock for one variant (3 units on hand, 9 ordered)
    variant = make_variant(stock=3)
    services.supplier_variant_set(
        supplier=supplier, variant=variant, is_preferred=True, last_purchase_price=70_000
    )
    first = place_order("AT01", 3, phone="0912000001")  # takes the 3 on hand
    waiting = [place_order("AT01", q, phone=f"091200001{i}") for i, q in enumerate([1, 2, 1, 1, 1])]
    assert all(o.sub_state == SubState.AWAITING_STOCK for o in waiting)

    # When shortages are turned into purchase orders
    suggestions = services.purchase_suggestions()
    assert [(s.variant, s.supplier, s.quantity) for s in suggestions] == [(variant, supplier, 6)]
    (po,) = services.purchase_orders_from_suggestions(
        items=[(s.supplier.pk, s.variant.pk, s.quantity, None) for s in suggestions],
        warehouse=warehouse,
        actor=users["manager"],
    )
    services.purchase_order_send(purchase_order=po, actor=users["manager"])
    # …and the warehouse receives it
    receipt = services.goods_receipt_post(
        purchase_order=po,
        warehouse=warehouse,
        lines=[services.ReceiptLineInput(purchase_order_line_id=po.lines.get().pk, quantity=6)],
        actor=users["warehouse"],
    )

    # Then exactly those orders are packing, the oldest served first, and the ledger has one
    # receipt movement per line
    for order in [first, *waiting]:
        order.refresh_from_db()
        assert (order.status, order.sub_state) == (Status.PROCESSING, SubState.PACKING)
    po.refresh_from_db()
    assert po.status == PurchaseOrder.Status.RECEIVED
    receipts = StockMovement.objects.filter(kind="receipt", reference_label=receipt.code)
    assert list(receipts.values_list("variant_id", "delta")) == [(variant.pk, 6)]
    level = StockLevel.objects.get(variant=variant, warehouse=warehouse)
    assert (level.on_hand, level.reserved) == (9, 9)
    assert services.purchase_suggestions(include_low_stock=False) == []
    call_command("stock_rebuild", "--check")


def test_oldest_order_is_served_first_when_stock_is_short(
    make_variant, supplier, warehouse, place_order, users
):
    make_variant(stock=0)
    older = place_order("AT01", 2, phone="0912000001")
    newer = place_order("AT01", 2, phone="0912000002")

    services.goods_receipt_post(
        warehouse=warehouse,
        supplier=supplier,
        lines=[services.ReceiptLineInput(sku="AT01", quantity=2, unit_cost=60_000)],
        actor=users["manager"],
    )

    older.refresh_from_db()
    newer.refresh_from_db()
    assert older.sub_state == SubState.PACKING
    assert newer.sub_state == SubState.AWAITING_STOCK


def test_partial_receipt_leaves_the_remainder_open(make_variant, supplier, warehouse, users):
    variant = make_variant()
    po = services.purchase_order_create(
        supplier=supplier,
        warehouse=warehouse,
        lines=[services.PoLineInput(variant_id=variant.pk, quantity=10, unit_price=70_000)],
    )
    services.purchase_order_send(purchase_order=po, actor=users["manager"])

    services.goods_receipt_post(
        purchase_order=po,
        warehouse=warehouse,
        lines=[services.ReceiptLineInput(variant_id=variant.pk, quantity=4)],
        actor=users["warehouse"],
    )

    po.refresh_from_db()
    line = po.lines.get()
    assert po.status == PurchaseOrder.Status.PARTIALLY_RECEIVED
    assert (line.received_quantity, line.remaining) == (4, 6)


def test_over_receipt_needs_explicit_confirmation(make_variant, supplier, warehouse, users):
    variant = make_variant()
    po = services.purchase_order_create(
        supplier=supplier,
        warehouse=warehouse,
        lines=[services.PoLineInput(variant_id=variant.pk, quantity=5, unit_price=70_000)],
    )
    services.purchase_order_send(purchase_order=po, actor=users["manager"])
    too_many = [services.ReceiptLineInput(variant_id=variant.pk, quantity=7)]

    with pytest.raises(Conflict) as exc:
        services.goods_receipt_post(
            purchase_order=po, warehouse=warehouse, lines=too_many, actor=users["warehouse"]
        )
    assert exc.value.code == "over_receipt"
    assert not StockMovement.objects.filter(kind="receipt").exists()

    services.goods_receipt_post(
        purchase_order=po,
        warehouse=warehouse,
        lines=too_many,
        allow_over_receipt=True,
        actor=users["warehouse"],
    )
    po.refresh_from_db()
    assert po.status == PurchaseOrder.Status.RECEIVED
    assert StockLevel.objects.get(variant=variant, warehouse=warehouse).on_hand == 7


def test_receipt_moves_cost_to_the_moving_average(make_variant, supplier, warehouse, users):
    # 10 on hand at 80,000; receive 10 at 100,000 → (800,000 + 1,000,000) / 20 = 90,000
    variant = make_variant(stock=10, cost=80_000)

    services.goods_receipt_post(
        warehouse=warehouse,
        supplier=supplier,
        lines=[services.ReceiptLineInput(variant_id=variant.pk, quantity=10, unit_cost=100_000)],
        actor=users["manager"],
    )

    variant.refresh_from_db()
    assert variant.cost_price == 90_000
    assert variant.suppliers.get(supplier=supplier).last_purchase_price == 100_000


def test_only_managers_confirm_purchase_orders(make_variant, supplier, warehouse, users):
    variant = make_variant()
    po = services.purchase_order_create(
        supplier=supplier,
        warehouse=warehouse,
        lines=[services.PoLineInput(variant_id=variant.pk, quantity=1)],
    )

    with pytest.raises(PermissionDenied):
        services.purchase_order_send(purchase_order=po, actor=users["warehouse"])
    services.purchase_order_send(purchase_order=po, actor=users["manager"])
    with pytest.raises(PermissionDenied):
        services.goods_receipt_post(
            purchase_order=po,
            warehouse=warehouse,
            lines=[services.ReceiptLineInput(variant_id=variant.pk, quantity=1)],
            actor=users["sales"],
        )


def test_a_draft_cannot_be_received_and_a_received_one_cannot_be_cancelled(
    make_variant, supplier, warehouse, users
):
    variant = make_variant()
    po = services.purchase_order_create(
        supplier=supplier,
        warehouse=warehouse,
        lines=[services.PoLineInput(variant_id=variant.pk, quantity=1)],
    )
    lines = [services.ReceiptLineInput(variant_id=variant.pk, quantity=1)]

    with pytest.raises(Conflict):
        services.goods_receipt_post(
            purchase_order=po, warehouse=warehouse, lines=lines, actor=users["warehouse"]
        )
    services.purchase_order_send(purchase_order=po, actor=users["manager"])
    services.goods_receipt_post(
        purchase_order=po, warehouse=warehouse, lines=lines, actor=users["warehouse"]
    )
    with pytest.raises(Conflict):
        services.purchase_order_cancel(purchase_order=po, actor=users["manager"])


def test_low_stock_suggests_a_reorder(make_variant, supplier):
    variant = make_variant(stock=2, threshold=5)

    (suggestion,) = services.purchase_suggestions()

    assert (suggestion.variant, suggestion.quantity, suggestion.supplier) == (variant, 8, None)


def test_supplier_validation(db):
    with pytest.raises(ValidationFailed) as exc:
        services.supplier_create(name="", tax_code="123", phone="abc")

    assert set(exc.value.fields) >= {"name", "tax_code", "phone"}
