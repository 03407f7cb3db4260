"""Stock truths of purchasing (issue 8): the moving-average cost counts every unit the shop owns
and survives two receipts at once; a partly received purchase order can be closed; suggestions
add the shortage and the top-up. Each test ends with the ledger check."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from donhang.accounts.services import api_key_create
from donhang.catalog.models import Variant
from donhang.core.errors import Conflict, PermissionDenied
from donhang.inventory import transfers
from donhang.inventory.models import StockMovement
from donhang.orders.ledger import ledger_check
from donhang.purchasing import services
from donhang.purchasing.models import PurchaseOrder

pytestmark = pytest.mark.django_db

Status = PurchaseOrder.Status


def receive(warehouse, variant, quantity, cost, **kwargs):
    return services.goods_receipt_post(
        warehouse=warehouse,
        lines=[services.ReceiptLineInput(variant_id=variant.pk, quantity=quantity, unit_cost=cost)],
        **kwargs,
    )


def cost_of(variant) -> int:
    return Variant.objects.get(pk=variant.pk).cost_price


# --- moving-average cost ----------------------------------------------------------------------


def test_the_moving_average_counts_units_in_transit(make_variant, warehouse, branch):
    variant = make_variant(stock=10, cost=100)
    transfer = transfers.transfer_create(
        source=warehouse,
        destination=branch,
        lines=[transfers.TransferLineInput(variant_id=variant.pk, quantity=5)],
    )
    transfers.transfer_send(transfer=transfer)  # 5 on hand, 5 on the road: 10 owned at 100

    receipt = receive(warehouse, variant, 10, 200)

    assert cost_of(variant) == 150  # (10 × 100 + 10 × 200) / 20, not (5 × 100 + …) / 15
    movement = StockMovement.objects.get(kind="receipt", reference_label=receipt.code)
    assert movement.unit_cost == 200
    assert ledger_check() == []


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_two_receipts_at_once_never_lose_a_cost_update(make_variant, warehouse):
    if connection.vendor != "postgresql":
        pytest.skip("row locks interleave only on PostgreSQL (SQLite serialises writers)")
    variant = make_variant(stock=10, cost=100)
    costs = [200, 300, 400, 500]
    barrier = threading.Barrier(len(costs))

    def one(cost):
        try:
            barrier.wait(timeout=30)
            receive(warehouse, variant, 10, cost)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(costs)) as pool:
        list(pool.map(one, costs))

    # Every unit at its own cost, whatever the order: (10 × 100 + 10 × (200+300+400+500)) / 50
    assert cost_of(variant) == 300
    assert ledger_check() == []


# --- closing a partly received purchase order -------------------------------------------------


@pytest.fixture
def partly_received(make_variant, supplier, warehouse, users):
    variant = make_variant(sku="AT01")
    po = services.purchase_order_create(
        supplier=supplier,
        warehouse=warehouse,
        lines=[services.PoLineInput(variant_id=variant.pk, quantity=10, unit_price=70_000)],
        actor=users["manager"],
    )
    services.purchase_order_send(purchase_order=po, actor=users["manager"])
    services.goods_receipt_post(
        purchase_order=po,
        warehouse=warehouse,
        lines=[services.ReceiptLineInput(purchase_order_line_id=po.lines.get().pk, quantity=4)],
    )
    po.refresh_from_db()
    assert po.status == Status.PARTIALLY_RECEIVED
    return po


def test_closing_a_partly_received_order_cancels_the_rest(partly_received, place_order, users):
    po = partly_received
    place_order("AT01", 10)  # 4 reserved, 6 short
    assert services.purchase_suggestions(include_low_stock=False) == []  # the 6 are on order

    with pytest.raises(PermissionDenied):
        services.purchase_order_close(purchase_order=po, actor=users["warehouse"])
    services.purchase_order_close(purchase_order=po, reason="NCC hết hàng", actor=users["manager"])

    po.refresh_from_db()
    line = po.lines.get()
    assert (po.status, po.closed_at is not None) == (Status.CLOSED, True)
    assert (line.received_quantity, line.cancelled_quantity, line.remaining) == (4, 6, 0)
    (after,) = services.purchase_suggestions(include_low_stock=False)
    assert (after.short, after.on_order, after.quantity) == (6, 0, 6)
    # Closed means closed: no more receipts, no second close.
    with pytest.raises(Conflict):
        services.purchase_order_close(purchase_order=po, actor=users["manager"])
    with pytest.raises(Conflict):
        services.goods_receipt_post(
            purchase_order=po,
            warehouse=po.warehouse,
            lines=[services.ReceiptLineInput(purchase_order_line_id=line.pk, quantity=1)],
        )
    assert ledger_check() == []


def test_only_a_partly_received_order_can_be_closed(make_variant, supplier, warehouse, users):
    variant = make_variant(sku="AT01")
    po = services.purchase_order_create(
        supplier=supplier,
        warehouse=warehouse,
        lines=[services.PoLineInput(variant_id=variant.pk, quantity=3, unit_price=70_000)],
    )
    services.purchase_order_send(purchase_order=po)

    with pytest.raises(Conflict) as refused:
        services.purchase_order_close(purchase_order=po, actor=users["manager"])

    assert refused.value.code == "transition_not_allowed"
    po.refresh_from_db()
    assert po.status == Status.SENT
    assert ledger_check() == []


def test_close_over_the_api_and_from_the_page(partly_received, users):
    _key, raw = api_key_create(name="kho", role="warehouse")
    warehouse_api = Client(headers={"Authorization": f"Bearer {raw}"})
    _key, raw = api_key_create(name="quản lý", role="manager")
    manager_api = Client(headers={"Authorization": f"Bearer {raw}"})
    path = f"/api/v1/purchase-orders/{partly_received.code}/close"

    assert warehouse_api.post(path, {}, content_type="application/json").status_code == 403
    closed = manager_api.post(path, {"reason": "đủ rồi"}, content_type="application/json")
    again = manager_api.post(path, {}, content_type="application/json")

    assert closed.status_code == 200
    body = closed.json()
    assert body["status"] == "closed"
    assert [(ln["cancelled_quantity"], ln["remaining"]) for ln in body["lines"]] == [(6, 0)]
    assert again.status_code == 409
    assert ledger_check() == []


def test_the_page_offers_close_with_a_confirmation(partly_received, users):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(users["manager"])
    detail = reverse("purchasing:purchase_order_detail", args=[partly_received.pk])

    page = client.get(detail).content.decode()
    assert (
        'id="po-close"' in page and "data-confirm=" in page
    )  # asked by static JS (no inline script)
    response = client.post(reverse("purchasing:purchase_order_close", args=[partly_received.pk]))

    assert response.status_code == 302
    partly_received.refresh_from_db()
    assert partly_received.status == Status.CLOSED
    after = client.get(detail).content.decode()
    assert 'id="po-close"' not in after
    client.force_login(users["warehouse"])
    assert 'id="po-close"' not in client.get(detail).content.decode()
    assert ledger_check() == []


# --- suggestions ------------------------------------------------------------------------------


def test_suggestions_add_the_shortage_and_the_top_up(make_variant, place_order):
    variant = make_variant(stock=0, threshold=5)
    place_order("AT01", 3)  # 3 short; available 0 ≤ 5, top-up to 2 × 5 = 10

    (suggestion,) = services.purchase_suggestions()

    assert (suggestion.variant, suggestion.short, suggestion.low_stock) == (variant, 3, 10)
    assert suggestion.quantity == 13
    assert ledger_check() == []
