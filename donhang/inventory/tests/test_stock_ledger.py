import pytest
from django.db.models import Sum

from donhang.core.errors import Conflict, ValidationFailed
from donhang.inventory.models import StockLevel, StockMovement, Warehouse
from donhang.inventory.services import (
    MovementLine,
    stock_initial_post,
    stock_movements_post,
)

pytestmark = pytest.mark.django_db


def _level(variant, warehouse):
    return StockLevel.objects.get(variant=variant, warehouse=warehouse)


def _ledger_sum(variant, warehouse):
    return StockMovement.objects.filter(variant=variant, warehouse=warehouse).aggregate(
        total=Sum("delta")
    )["total"]


def test_level_equals_the_sum_of_movements(variant, warehouse, owner):
    stock_initial_post(variant=variant, quantities={warehouse.pk: 10}, actor=owner)
    stock_movements_post(
        lines=[MovementLine(variant.pk, warehouse.pk, 5)], kind="receipt", actor=owner
    )
    stock_movements_post(
        lines=[MovementLine(variant.pk, warehouse.pk, -3)], kind="damaged", reason="Rách"
    )
    assert _level(variant, warehouse).on_hand == 15 - 3 == _ledger_sum(variant, warehouse)
    first = StockMovement.objects.filter(kind="initial").get()
    assert (first.actor, first.actor_label, first.reference_label) == (owner, "chu", variant.sku)


def test_several_lines_of_one_pair_net_out(variant, warehouse):
    stock_movements_post(
        lines=[
            MovementLine(variant.pk, warehouse.pk, 4),
            MovementLine(variant.pk, warehouse.pk, -1),
        ],
        kind="adjustment",
    )
    assert _level(variant, warehouse).on_hand == 3 == _ledger_sum(variant, warehouse)
    assert StockMovement.objects.count() == 2


def test_taking_on_hand_below_reserved_is_refused(variant, warehouse):
    stock_initial_post(variant=variant, quantities={warehouse.pk: 5})
    StockLevel.objects.filter(variant=variant, warehouse=warehouse).update(reserved=3)
    with pytest.raises(Conflict) as caught:
        stock_movements_post(lines=[MovementLine(variant.pk, warehouse.pk, -3)], kind="damaged")
    assert caught.value.code == "insufficient_stock"
    level = _level(variant, warehouse)
    assert (level.on_hand, level.reserved) == (5, 3)
    assert _ledger_sum(variant, warehouse) == 5


def test_a_refused_line_rolls_back_the_whole_document(make_variant, warehouse):
    plenty, empty = make_variant(), make_variant()
    stock_initial_post(variant=plenty, quantities={warehouse.pk: 5})
    with pytest.raises(Conflict):
        stock_movements_post(
            lines=[
                MovementLine(plenty.pk, warehouse.pk, -2),
                MovementLine(empty.pk, warehouse.pk, -1),
            ],
            kind="adjustment",
        )
    assert _level(plenty, warehouse).on_hand == 5
    assert StockMovement.objects.filter(kind="adjustment").count() == 0


def test_negative_stock_is_allowed_where_the_warehouse_allows_it(variant):
    shop = Warehouse.objects.create(code="SHOP", name="Cửa hàng", allow_negative_stock=True)
    stock_movements_post(lines=[MovementLine(variant.pk, shop.pk, -2)], kind="sale")
    assert _level(variant, shop).on_hand == -2


def test_inactive_warehouse_takes_no_movements(variant):
    closed = Warehouse.objects.create(code="OLD", name="Kho cũ", is_active=False)
    with pytest.raises(Conflict) as caught:
        stock_movements_post(lines=[MovementLine(variant.pk, closed.pk, 1)], kind="receipt")
    assert "warehouse" in caught.value.fields
    assert not StockLevel.objects.filter(warehouse=closed).exists()


def test_initial_stock_cannot_be_negative_and_unknown_kind_is_refused(variant, warehouse):
    with pytest.raises(ValidationFailed):
        stock_initial_post(variant=variant, quantities={warehouse.pk: -1})
    with pytest.raises(ValidationFailed):
        stock_movements_post(lines=[MovementLine(variant.pk, warehouse.pk, 1)], kind="magic")
    assert not StockMovement.objects.exists()
