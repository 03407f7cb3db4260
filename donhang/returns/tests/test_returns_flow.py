"""Returns end to end through the services: the acceptance scenarios of issue 13, each ending
with `stock_rebuild --check` finding no drift."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from donhang.core.errors import Conflict, PermissionDenied, ValidationFailed
from donhang.inventory.models import StockMovement
from donhang.orders import services as orders
from donhang.orders.models import Order, PaymentStatus, ReturnState
from donhang.returns import services
from donhang.returns.models import Refund, RefundStatus, Return, Source, State
from donhang.returns.tests.conftest import assert_no_drift, level


def photo(name="hong.jpg"):
    buffer = BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def test_partial_return_two_of_three_one_good_one_damaged(
    make_variant, make_order, warehouse, users
):
    # Given: 3 units sold at 100,000 with a 10 % order discount (its share is on the line)
    variant = make_variant(price=100_000, cost=60_000, stock=10)
    order = make_order(
        (variant, 3), discounts=[orders.DiscountInput(percent="10")], shipping_fee=30_000
    )
    line = order.lines.get()
    assert line.gross == 270_000 and order.paid_total == order.total == 300_000
    assert level(variant, warehouse).on_hand == 7
    manager = users["manager"]

    # When: the customer sends 2 back; 1 is good, 1 is damaged
    goods_return = services.return_create(
        order=order,
        lines=[services.ReturnLineInput(order_line_id=line.pk, quantity=2, reason="wrong_size")],
        actor=manager,
    )
    assert goods_return.state == State.REQUESTED and goods_return.code.startswith("TH")
    services.return_receive(goods_return=goods_return, warehouse=warehouse, actor=manager)
    assert level(variant, warehouse).returned == 2  # waiting, not sellable
    assert level(variant, warehouse).on_hand == 7
    return_line = goods_return.lines.get()
    services.return_inspect(
        goods_return=goods_return,
        lines=[
            services.InspectionInput(
                line_id=return_line.pk,
                good=1,
                damaged=1,
                note="Rách đường may",
                photo=photo(),
            )
        ],
        actor=manager,
    )

    # Then: +1 sellable, 1 damaged recorded (note, photo, a damaged movement at the sale cost)
    stock = level(variant, warehouse)
    assert (stock.on_hand, stock.returned, stock.reserved) == (8, 0, 0)
    damaged = StockMovement.objects.get(kind="damaged", order_line=line)
    assert (damaged.delta, damaged.bucket, damaged.unit_cost) == (-1, "returned", 60_000)
    back = StockMovement.objects.get(kind="return", bucket="on_hand", order_line=line)
    assert (back.delta, back.unit_cost) == (1, 60_000)
    return_line.refresh_from_db()
    assert (return_line.good_quantity, return_line.damaged_quantity) == (1, 1)
    assert return_line.damage_note == "Rách đường may"
    assert return_line.damage_photo.name.endswith(".jpg")
    goods_return.refresh_from_db()
    assert goods_return.state == State.INSPECTED

    # the refund defaults to what the 2 units were paid (net of their discount share)
    assert services.refund_default(goods_return) == 180_000
    assert services.refund_default(goods_return, include_shipping=True) == 210_000
    # and the order shows "returned (partial)"
    order.refresh_from_db()
    assert order.return_state == ReturnState.PARTIAL and order.returned_quantity == 2
    assert order.get_return_state_display() == "Returned (partial)"
    assert_no_drift()

    refund = services.refund_create(goods_return=goods_return, method="cash", actor=manager)
    assert refund.amount == 180_000 and refund.status == RefundStatus.REFUNDED
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PARTLY_REFUNDED
    assert (order.paid_total, order.refunded_total) == (120_000, 180_000)
    assert refund.payment.amount == -180_000
    services.return_close(goods_return=goods_return, actor=manager)
    assert_no_drift()


def test_goods_come_back_at_their_sale_cost_and_move_the_average(
    make_variant, make_order, warehouse, users
):
    variant = make_variant(cost=60_000, stock=4)
    order = make_order((variant, 2))
    # Later purchases made the average 90,000 for the 2 units left
    variant.__class__.objects.filter(pk=variant.pk).update(cost_price=90_000)
    goods_return = services.return_create(
        order=order,
        lines=[services.ReturnLineInput(sku=variant.sku, quantity=2)],
        actor=users["manager"],
    )
    services.return_receive(
        goods_return=goods_return, warehouse=warehouse, at_counter=True, actor=users["manager"]
    )
    services.return_inspect(
        goods_return=goods_return,
        lines=[services.InspectionInput(line_id=goods_return.lines.get().pk, good=2)],
        actor=users["manager"],
    )
    variant.refresh_from_db()
    # (2 × 90,000 + 2 × 60,000) / 4
    assert variant.cost_price == 75_000
    assert level(variant, warehouse).on_hand == 4 and level(variant, warehouse).returned == 0
    assert_no_drift()


def test_a_refund_above_what_was_paid_is_refused_with_a_clear_message(
    make_variant, make_order, users
):
    order = make_order((make_variant(price=100_000), 2), shipping_fee=0)
    goods_return = services.return_create(
        order=order,
        lines=[services.ReturnLineInput(order_line_id=order.lines.get().pk, quantity=1)],
        actor=users["manager"],
    )
    with pytest.raises(Conflict) as refused:
        services.refund_create(
            goods_return=goods_return, method="cash", amount=250_000, actor=users["accountant"]
        )
    assert refused.value.code == "refund_exceeds_paid"
    assert "200.000" in refused.value.message and order.code in refused.value.message
    assert "amount" in refused.value.fields
    # a bank transfer waiting to be paid counts against what is left
    services.refund_create(
        goods_return=goods_return,
        method="bank_transfer",
        amount=150_000,
        bank_bin="970436",
        bank_account="1023456789",
        actor=users["accountant"],
    )
    with pytest.raises(Conflict) as again:
        services.refund_create(
            goods_return=goods_return, method="cash", amount=60_000, actor=users["accountant"]
        )
    assert "150.000" in again.value.message
    order.refresh_from_db()
    assert order.refunded_total == 0 and order.paid_total == 200_000
    assert_no_drift()


def test_a_bank_transfer_refund_waits_with_a_vietqr_code_until_paid(
    make_variant, make_order, users
):
    order = make_order((make_variant(price=250_000), 1), shipping_fee=0)
    goods_return = services.return_create(
        order=order,
        lines=[services.ReturnLineInput(order_line_id=order.lines.get().pk, quantity=1)],
        actor=users["manager"],
    )
    with pytest.raises(ValidationFailed) as missing:
        services.refund_create(
            goods_return=goods_return, method="bank_transfer", actor=users["accountant"]
        )
    assert {"bank_bin", "bank_account"} <= set(missing.value.fields)
    refund = services.refund_create(
        goods_return=goods_return,
        method="bank_transfer",
        bank_bin="970436",
        bank_account="1023 456 789",
        account_holder="Nguyễn Thị Mai",
        actor=users["accountant"],
    )
    assert refund.status == RefundStatus.PENDING and refund.bank_name == "Vietcombank"
    payload = services.refund_qr_payload(refund)
    assert payload == (
        "00020101021238540010A00000072701240006970436011010234567890208QRIBFTTA5303704"
        f"5406250000"
        f"5802VN62{4 + len('HOAN TIEN ' + order.code):02d}08{len('HOAN TIEN ' + order.code):02d}"
        f"HOAN TIEN {order.code}6304" + payload[-4:]
    )
    from donhang.core.vietqr import crc_ok

    assert crc_ok(payload)
    order.refresh_from_db()
    assert order.refunded_total == 0
    services.refund_mark_paid(refund=refund, reference="FT2611290001", actor=users["accountant"])
    refund.refresh_from_db()
    order.refresh_from_db()
    assert refund.status == RefundStatus.REFUNDED and refund.payment.reference == "FT2611290001"
    assert order.payment_status == PaymentStatus.REFUNDED and order.paid_total == 0


def test_who_may_do_what(make_variant, make_order, warehouse, users):
    order = make_order((make_variant(), 2))
    with pytest.raises(PermissionDenied):
        services.return_create(
            order=order,
            lines=[services.ReturnLineInput(order_line_id=order.lines.get().pk, quantity=1)],
            actor=users["warehouse"],
        )
    goods_return = services.return_create(
        order=order,
        lines=[services.ReturnLineInput(order_line_id=order.lines.get().pk, quantity=1)],
        actor=users["sales"],
    )
    with pytest.raises(PermissionDenied):
        services.return_receive(
            goods_return=goods_return, warehouse=warehouse, actor=users["sales"]
        )
    services.return_receive(
        goods_return=goods_return, warehouse=warehouse, actor=users["warehouse"]
    )
    with pytest.raises(PermissionDenied):
        services.refund_create(goods_return=goods_return, method="cash", actor=users["warehouse"])


def test_more_than_left_the_warehouse_cannot_come_back(make_variant, make_order, users):
    order = make_order((make_variant(), 3))
    line = order.lines.get()
    services.return_create(
        order=order,
        lines=[services.ReturnLineInput(order_line_id=line.pk, quantity=2)],
        actor=users["manager"],
    )
    with pytest.raises(ValidationFailed) as refused:
        services.return_create(
            order=order,
            lines=[services.ReturnLineInput(order_line_id=line.pk, quantity=2)],
            actor=users["manager"],
        )
    assert "Only 1 units" in refused.value.fields["lines.0.quantity"]


def test_an_order_still_being_packed_takes_no_return(make_variant, users):
    variant = make_variant()
    order = orders.order_create(
        channel="website",
        customer=orders.CustomerInput(
            name="An",
            phone="0912345678",
            address=orders.AddressInput(line="1 Hàng Bạc", ward=None),
        ),
        lines=[orders.LineInput(variant_id=variant.pk, quantity=1)],
        payment_method="bank_transfer",
    )
    with pytest.raises(Conflict):
        services.return_create(
            order=order,
            lines=[services.ReturnLineInput(order_line_id=order.lines.get().pk, quantity=1)],
            actor=users["manager"],
        )


def test_inspection_must_account_for_every_unit_and_describe_damage(
    make_variant, make_order, warehouse, users
):
    order = make_order((make_variant(), 2))
    goods_return = services.return_create(
        order=order,
        lines=[services.ReturnLineInput(order_line_id=order.lines.get().pk, quantity=2)],
        actor=users["manager"],
    )
    services.return_receive(goods_return=goods_return, warehouse=warehouse, actor=users["manager"])
    line = goods_return.lines.get()
    with pytest.raises(ValidationFailed) as refused:
        services.return_inspect(
            goods_return=goods_return,
            lines=[services.InspectionInput(line_id=line.pk, good=1, damaged=0)],
            actor=users["manager"],
        )
    assert "add up to 1, not 2" in refused.value.fields["lines.0.good"]
    with pytest.raises(ValidationFailed) as no_note:
        services.return_inspect(
            goods_return=goods_return,
            lines=[services.InspectionInput(line_id=line.pk, good=1, damaged=1)],
            actor=users["manager"],
        )
    assert "lines.0.note" in no_note.value.fields
    not_image = SimpleUploadedFile("x.jpg", b"<html>", content_type="image/jpeg")
    with pytest.raises(ValidationFailed) as bad_photo:
        services.return_inspect(
            goods_return=goods_return,
            lines=[
                services.InspectionInput(
                    line_id=line.pk, good=1, damaged=1, note="vỡ", photo=not_image
                )
            ],
            actor=users["manager"],
        )
    assert "lines.0.photo" in bad_photo.value.fields
    # nothing moved
    assert level(line.variant, warehouse).returned == 2
    # missing units are written off from what waits
    services.return_inspect(
        goods_return=goods_return,
        lines=[services.InspectionInput(line_id=line.pk, good=1, missing=1)],
        actor=users["manager"],
    )
    assert level(line.variant, warehouse).returned == 0
    assert level(line.variant, warehouse).on_hand == 9
    order.refresh_from_db()
    assert order.returned_quantity == 1
    assert_no_drift()


def test_good_units_can_go_to_another_warehouse(
    make_variant, make_order, warehouse, second_warehouse, users
):
    order = make_order((make_variant(), 1))
    goods_return = services.return_create(
        order=order,
        lines=[services.ReturnLineInput(order_line_id=order.lines.get().pk, quantity=1)],
        actor=users["manager"],
    )
    services.return_receive(goods_return=goods_return, warehouse=warehouse, actor=users["manager"])
    line = goods_return.lines.get()
    services.return_inspect(
        goods_return=goods_return,
        lines=[services.InspectionInput(line_id=line.pk, good=1, warehouse_id=second_warehouse.pk)],
        actor=users["manager"],
    )
    assert level(line.variant, second_warehouse).on_hand == 1
    assert level(line.variant, warehouse).returned == 0
    assert_no_drift()


def test_a_marketplace_return_is_taken_once(make_variant, make_order, users):
    order = make_order((make_variant(), 2))
    first = services.return_create(
        order=order,
        source=Source.MARKETPLACE,
        external_id="RR-123",
        reason="defective",
        lines=[services.ReturnLineInput(order_line_id=order.lines.get().pk, quantity=1)],
        actor=None,
    )
    again = services.return_create(
        order=order,
        source=Source.MARKETPLACE,
        external_id="RR-123",
        reason="defective",
        lines=[services.ReturnLineInput(order_line_id=order.lines.get().pk, quantity=1)],
        actor=None,
    )
    assert first.pk == again.pk and Return.objects.count() == 1
    assert first.lines.get().reason == "defective"


def test_cancelling_a_requested_return(make_variant, make_order, users):
    order = make_order((make_variant(), 2))
    goods_return = services.return_create(
        order=order,
        lines=[services.ReturnLineInput(order_line_id=order.lines.get().pk, quantity=2)],
        actor=users["sales"],
    )
    services.return_cancel(goods_return=goods_return, reason="Khách giữ lại", actor=users["sales"])
    goods_return.refresh_from_db()
    assert goods_return.state == State.CANCELLED
    # the units may be returned again
    assert services.returnable_quantities(order) == {order.lines.get().pk: 2}
    assert Refund.objects.count() == 0
    assert Order.objects.get(pk=order.pk).return_state == ""
