"""Findings of the purchasing review: each test failed before its fix."""

import pytest

from donhang.core.errors import ValidationFailed
from donhang.purchasing import services

pytestmark = pytest.mark.django_db


def test_a_product_on_two_receipt_lines_moves_the_cost_to_the_average_of_all_units(
    make_variant, supplier, warehouse, users
):
    # Given 10 units on hand at a cost of 100,000
    variant = make_variant(stock=10, cost=100_000)

    # When one receipt brings 20 more at 200,000, written on two lines of 10
    services.goods_receipt_post(
        warehouse=warehouse,
        supplier=supplier,
        lines=[
            services.ReceiptLineInput(variant_id=variant.pk, quantity=10, unit_cost=200_000),
            services.ReceiptLineInput(variant_id=variant.pk, quantity=10, unit_cost=200_000),
        ],
        actor=users["manager"],
    )

    # Then the cost is (10 × 100,000 + 20 × 200,000) / 30, as if it were one line
    variant.refresh_from_db()
    assert variant.cost_price == 166_667


def test_ordering_shortages_from_a_supplier_that_does_not_exist_is_a_message(
    make_variant, warehouse, users
):
    variant = make_variant(stock=0)

    with pytest.raises(ValidationFailed) as exc:
        services.purchase_orders_from_suggestions(
            items=[(999_999, variant.pk, 5, None)], warehouse=warehouse, actor=users["manager"]
        )

    assert f"supplier.{variant.pk}" in exc.value.fields


def test_a_purchase_quantity_with_extra_digits_is_refused_with_a_message(
    make_variant, supplier, warehouse, users
):
    variant = make_variant(stock=0)

    with pytest.raises(ValidationFailed) as exc:
        services.purchase_order_create(
            supplier=supplier,
            warehouse=warehouse,
            lines=[services.PoLineInput(variant_id=variant.pk, quantity=10**12)],
            actor=users["manager"],
        )

    assert "lines.0.quantity" in exc.value.fields
