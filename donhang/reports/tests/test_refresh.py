"""The figures follow what changes, run after run, and always equal a rebuild from scratch:
orders on past days changing later (shipped, cancelled, returned in part or whole), goods
inspected, customers merged, parcels delivered and paid out."""

from datetime import timedelta

import pytest
from django.utils import timezone

from donhang.customers import services as customers
from donhang.orders import services as orders
from donhang.reports.models import (
    CustomerDay,
    DirtyDay,
    MovementDay,
    MovementMonth,
    OrdersDay,
    RefreshState,
    SalesDay,
    SalesMonth,
    ShipmentFact,
    ShippingDay,
)
from donhang.reports.refresh import figures_rebuild, figures_refresh
from donhang.reports.tests.conftest import backdate, ship
from donhang.returns import services as returns
from donhang.shipping import services as shipping

pytestmark = pytest.mark.django_db

TABLES = (
    OrdersDay,
    SalesDay,
    SalesMonth,
    CustomerDay,
    MovementDay,
    MovementMonth,
    ShipmentFact,
    ShippingDay,
)


def snapshot() -> dict[str, list[tuple]]:
    """Every figure, without the rows' own ids, in a stable order."""
    out = {}
    for model in TABLES:
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if not f.primary_key or model is ShipmentFact
        ]
        out[model.__name__] = sorted(
            tuple(str(v) for v in row) for row in model.objects.values_list(*fields)
        )
    return out


def test_incremental_refresh_equals_a_full_rebuild(
    products, place_order, owner, ghn, ghn_account, committed, warehouse
):
    now = timezone.now()
    assert figures_refresh().rebuilt  # the first run computes everything (nothing yet)

    # Orders taken on earlier days: one seller-discounted, one with a platform voucher
    o1 = place_order(
        ("AT01", 2), channel="website", discounts=[orders.DiscountInput(amount=10_000)]
    )
    o2 = place_order(
        ("BANH", 3),
        channel="shopee",
        payment_method="marketplace_prepaid",
        discounts=[orders.DiscountInput(amount=15_000, funded_by="platform")],
    )
    backdate(o1, now - timedelta(days=40))
    backdate(o2, now - timedelta(days=2))
    result = figures_refresh()
    assert not result.rebuilt
    assert {o1.created_at.astimezone(timezone.get_current_timezone()).date()} <= set(result.days)

    # They ship today: their cost lands on their own (past) days
    ship(o1, actor=owner)
    ship(o2, actor=owner)
    figures_refresh()
    assert OrdersDay.objects.get(channel="website").cost > 0

    # A cancelled order and an order with a parcel at the carrier, delivered and paid out
    o3 = place_order(("AT01", 1), channel="manual_phone")
    orders.order_cancel(order=o3, reason="Khách đổi ý", actor=owner)
    o4 = place_order(("AT01", 1), ("BANH", 1), phone="0987000111", channel="manual_facebook")
    orders.order_confirm(order=o4, actor=owner)
    with committed():
        parcel = shipping.shipment_create(order=o4, account=ghn_account, actor=owner)
    figures_refresh()
    parcel.refresh_from_db()
    assert ShipmentFact.objects.get(shipment_id=parcel.pk).status == parcel.status
    with committed():
        ghn.advance(parcel.tracking_code, "delivered")
        ghn.pump(flush=True)
    figures_refresh()
    parcel.refresh_from_db()
    assert ShipmentFact.objects.get(shipment_id=parcel.pk).cod_outstanding == parcel.cod_amount
    shipping.cod_payout_record(
        account=ghn_account,
        paid_at=timezone.localdate(),
        lines=[shipping.PayoutLineInput(parcel.tracking_code, parcel.cod_amount, parcel.fee)],
        actor=owner,
    )
    figures_refresh()
    assert ShipmentFact.objects.get(shipment_id=parcel.pk).cod_outstanding == 0

    # Two of the three Shopee units come back: received, then one good and one damaged
    o2.refresh_from_db()
    orders.order_complete(order=o2, actor=owner)
    line = o2.lines.get()
    goods_return = returns.return_create(
        order=o2,
        lines=[returns.ReturnLineInput(order_line_id=line.pk, quantity=2)],
        reason="wrong_size",
        actor=owner,
    )
    returns.return_receive(goods_return=goods_return, warehouse=warehouse, actor=owner)
    figures_refresh()
    return_line = goods_return.lines.get()
    returns.return_inspect(
        goods_return=goods_return,
        lines=[returns.InspectionInput(line_id=return_line.pk, good=1, damaged=1, note="Rách")],
        actor=owner,
    )
    figures_refresh()
    # The 40-day-old website order's parcel comes back whole
    o1.refresh_from_db()
    orders.order_complete(order=o1, actor=owner)
    orders.order_return(order=o1, reason="Không nhận hàng", actor=owner)
    figures_refresh()

    # Two customers turn out to be one: their orders (and figures) move together
    o5 = place_order(("BANH", 1), phone="0977000222", name="Lê Văn Bình", channel="website")
    backdate(o5, now - timedelta(days=5))
    figures_refresh()
    customers.customer_merge(keep=o1.customer, duplicates=[o5.customer], actor=owner)
    assert DirtyDay.objects.exists()
    figures_refresh()

    incremental = snapshot()
    state = RefreshState.objects.get()
    assert state.complete_to and state.watermarks["order_event"] > 0
    assert any(incremental[name] for name in incremental)

    # When everything is computed again from scratch, nothing differs
    figures_rebuild()
    assert snapshot() == incremental

    # And a refresh with nothing new changes nothing
    figures_refresh()
    assert snapshot() == incremental


def test_a_refresh_with_nothing_new_recomputes_nothing(products, place_order, owner):
    figures_refresh()
    place_order(("AT01", 1))
    assert len(figures_refresh().days) == 1
    again = figures_refresh()
    assert again.days == [] and again.shipments == 0


def test_an_id_missing_below_the_watermark_is_looked_for_again(products, place_order):
    """A row whose transaction was still open at the last run (its id lower than ids already
    read) is picked up when it appears."""
    figures_refresh()
    order = place_order(("AT01", 1))
    figures_refresh()
    state = RefreshState.objects.get()
    # As if the order's first event had not been committed at the last run
    first = order.events.order_by("pk").first()
    state.watermarks["order_event"] = order.events.order_by("-pk").first().pk
    state.gaps["order_event"] = [[first.pk, timezone.now().isoformat()]]
    state.save()
    OrdersDay.objects.all().delete()
    result = figures_refresh()
    assert result.days == [timezone.localdate()]
    assert OrdersDay.objects.get().orders == 1
    assert RefreshState.objects.get().gaps["order_event"] == []
