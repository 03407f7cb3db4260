import pytest

from donhang.core.errors import Conflict, ValidationFailed
from donhang.inventory.models import Reservation, StockLevel
from donhang.orders import services
from donhang.orders.models import ChannelRule, Order, OrderEvent, Status, SubState

pytestmark = pytest.mark.django_db


def level(variant, warehouse):
    return StockLevel.objects.get(variant=variant, warehouse=warehouse)


def test_an_order_reserves_its_stock_at_once(make_variant, place_order, warehouse):
    variant = make_variant(stock=10)

    order = place_order(("AT01", 3))

    assert order.code.startswith("DH")
    assert order.status == Status.NEW
    assert order.sub_state == SubState.NONE
    assert level(variant, warehouse).reserved == 3
    assert level(variant, warehouse).on_hand == 10
    assert order.lines.get().reserved_quantity == 3
    assert order.warehouse == warehouse


def test_totals_cod_is_goods_plus_fee_when_buyer_pays(make_variant, place_order):
    make_variant(stock=10, price=165_000)

    order = place_order(("AT01", 2), shipping_fee=30_000, shipping_fee_payer="buyer")

    assert order.goods_total == 330_000
    # 330,000 incl. 10 % VAT, and the 30,000 fee charged to the buyer incl. 8 % VAT
    assert order.vat_total == 30_000 + 2_222
    assert order.total == 360_000
    assert order.cod_amount == 360_000


def test_cod_excludes_the_fee_when_the_seller_pays_and_is_zero_when_prepaid(
    make_variant, place_order
):
    make_variant(stock=10, price=100_000)

    seller_pays = place_order(("AT01", 1), shipping_fee=25_000, shipping_fee_payer="seller")
    prepaid = place_order(("AT01", 1), payment_method="bank_transfer", phone="0911111111")

    assert seller_pays.cod_amount == 100_000
    assert prepaid.cod_amount == 0


def test_a_short_order_waits_for_stock(make_variant, place_order, warehouse):
    variant = make_variant(stock=2)

    order = place_order(("AT01", 5))

    assert order.sub_state == SubState.AWAITING_STOCK
    assert order.lines.get().reserved_quantity == 2
    assert level(variant, warehouse).reserved == 2


def test_no_backorder_refuses_and_saves_nothing(make_variant, place_order, warehouse):
    variant = make_variant(stock=2)

    with pytest.raises(Conflict) as exc:
        place_order(("AT01", 5), allow_backorder=False)

    assert exc.value.code == "insufficient_stock"
    assert Order.objects.count() == 0
    assert level(variant, warehouse).reserved == 0


def test_confirm_moves_to_packing_or_awaiting_stock(make_variant, place_order, owner):
    make_variant(sku="A", stock=5)
    make_variant(sku="B", stock=0)

    full = services.order_confirm(order=place_order(("A", 2)), actor=owner)
    short = services.order_confirm(order=place_order(("B", 1), phone="0911111111"), actor=owner)

    assert (full.status, full.sub_state) == (Status.PROCESSING, SubState.PACKING)
    assert (short.status, short.sub_state) == (Status.PROCESSING, SubState.AWAITING_STOCK)


def test_cancel_frees_stock_for_the_oldest_waiting_order(
    make_variant, place_order, warehouse, owner
):
    variant = make_variant(stock=1)
    first = place_order(("AT01", 1))
    waiting_old = services.order_confirm(
        order=place_order(("AT01", 1), phone="0911111111"), actor=owner
    )
    waiting_new = place_order(("AT01", 1), phone="0922222222")

    services.order_cancel(order=first, reason="Khách đổi ý", actor=owner)

    waiting_old.refresh_from_db()
    waiting_new.refresh_from_db()
    assert (waiting_old.status, waiting_old.sub_state) == (Status.PROCESSING, SubState.PACKING)
    assert waiting_new.sub_state == SubState.AWAITING_STOCK
    assert level(variant, warehouse).reserved == 1
    assert Reservation.objects.get().order_line.order == waiting_old


def test_full_flow_deducts_stock_on_hand_over(make_variant, place_order, warehouse, owner):
    variant = make_variant(stock=5)
    order = services.order_confirm(order=place_order(("AT01", 2)), actor=owner)

    services.order_mark_packed(order=order, actor=owner)
    services.order_hand_over(order=order, actor=owner)
    services.order_complete(order=order, actor=owner)

    order.refresh_from_db()
    assert order.status == Status.COMPLETED
    assert level(variant, warehouse).on_hand == 3
    assert level(variant, warehouse).reserved == 0
    assert not Reservation.objects.exists()
    movement = variant.stock_movements.get(kind="sale")
    assert (movement.delta, movement.reference_label) == (-2, order.code)


def test_timeline_records_every_transition_with_its_actor(make_variant, place_order, owner):
    make_variant(stock=5)
    order = place_order(("AT01", 1), actor=owner)
    services.order_confirm(order=order, actor=owner)
    services.order_mark_packed(order=order, actor=owner)
    services.order_hand_over(order=order, actor=owner)

    transitions = list(
        OrderEvent.objects.filter(order=order, kind="status").values_list(
            "from_status", "to_status", "to_sub_state", "actor_label"
        )
    )

    assert transitions == [
        ("new", "processing", "packing", "chu"),
        ("processing", "processing", "ready_to_ship", "chu"),
        ("processing", "shipping", "", "chu"),
    ]
    assert OrderEvent.objects.filter(order=order, kind="created", actor=owner).exists()


def test_a_forbidden_transition_changes_nothing(make_variant, place_order, owner):
    make_variant(stock=5)
    order = place_order(("AT01", 1))
    services.order_confirm(order=order, actor=owner)
    services.order_hand_over(order=order, actor=owner)
    services.order_complete(order=order, actor=owner)
    events_before = order.events.count()

    with pytest.raises(Conflict):
        services.order_cancel(order=order, actor=owner)
    with pytest.raises(Conflict):
        services.order_confirm(order=order, actor=owner)

    order.refresh_from_db()
    assert order.status == Status.COMPLETED
    assert order.events.count() == events_before


def test_editing_lines_re_reserves_the_difference(make_variant, place_order, warehouse, owner):
    a = make_variant(sku="A", stock=10)
    b = make_variant(sku="B", stock=10)
    order = place_order(("A", 5))

    services.order_update_lines(
        order=order,
        lines=[services.LineInput(sku="A", quantity=2), services.LineInput(sku="B", quantity=4)],
        actor=owner,
    )

    assert level(a, warehouse).reserved == 2
    assert level(b, warehouse).reserved == 4
    order.refresh_from_db()
    assert order.goods_total == 6 * 150_000


def test_lines_split_across_warehouses(make_variant, place_order, warehouse, second_warehouse):
    variant = make_variant(stock=2, initial_stock={warehouse.pk: 2, second_warehouse.pk: 5})

    order = place_order(("AT01", 4))

    assert order.sub_state == SubState.NONE
    assert level(variant, warehouse).reserved == 2
    assert level(variant, second_warehouse).reserved == 2


def test_most_stock_rule_picks_the_fullest_warehouse(
    make_variant, place_order, warehouse, second_warehouse
):
    variant = make_variant(stock=2, initial_stock={warehouse.pk: 2, second_warehouse.pk: 5})
    ChannelRule.objects.create(channel="manual_phone", strategy="most_stock")

    order = place_order(("AT01", 2))

    assert level(variant, second_warehouse).reserved == 2
    assert order.warehouse == second_warehouse


@pytest.mark.parametrize(
    ("lines", "kwargs", "field"),
    [
        ([("NOPE", 1)], {}, "lines.0.sku"),
        ([("AT01", 0)], {}, "lines.0.quantity"),
        ([("AT01", 1)], {"phone": "12345"}, "customer.phone"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(
    make_variant, place_order, lines, kwargs, field
):
    make_variant(stock=5)

    with pytest.raises(ValidationFailed) as exc:
        place_order(*lines, **kwargs)

    assert field in exc.value.fields
    assert Order.objects.count() == 0


def test_cod_needs_a_delivery_address(make_variant):
    make_variant(stock=5)

    with pytest.raises(ValidationFailed) as exc:
        services.order_create(
            channel="website",
            customer=services.CustomerInput(name="An", phone="0912345678"),
            lines=[services.LineInput(sku="AT01", quantity=1)],
            payment_method="cod",
        )

    assert "customer.address.ward" in exc.value.fields
    assert Order.objects.count() == 0


def test_a_channel_order_is_taken_in_once(make_variant, place_order):
    make_variant(stock=5)
    place_order(("AT01", 1), channel="shopee", external_id="SP-1")

    with pytest.raises(Conflict):
        place_order(("AT01", 1), channel="shopee", external_id="SP-1")

    assert Order.objects.count() == 1


def test_intake_links_the_customer_by_phone(make_variant, place_order):
    make_variant(stock=5)

    first = place_order(("AT01", 1), phone="0912 345 678")
    second = place_order(("AT01", 1), phone="+84912345678")

    assert first.customer_id == second.customer_id
    assert first.customer.phone == "+84912345678"
    assert first.customer.addresses.count() == 1


def test_services_check_the_role_themselves(make_variant, place_order):
    from donhang.accounts.services import user_create
    from donhang.core.errors import PermissionDenied

    make_variant(stock=5)
    order = place_order(("AT01", 1))
    warehouse_staff = user_create(username="thu-kho", password="mat-khau-123", role="warehouse")
    accountant = user_create(username="ke-toan", password="mat-khau-123", role="accountant")

    with pytest.raises(PermissionDenied):
        services.order_cancel(order=order, actor=warehouse_staff)
    with pytest.raises(PermissionDenied):
        services.order_create(
            channel="manual_phone",
            customer=services.CustomerInput(name="An", phone="0912345678"),
            lines=[services.LineInput(sku="AT01", quantity=1)],
            payment_method="bank_transfer",
            actor=accountant,
        )
    order.refresh_from_db()
    assert order.status == Status.NEW
