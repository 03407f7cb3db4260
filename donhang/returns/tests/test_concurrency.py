"""Refunds and inspections at the same moment, real threads on PostgreSQL: never more refunded
than paid, never the same returned units inspected twice."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from donhang.core.errors import DomainError
from donhang.returns import services
from donhang.returns.models import Refund, Return
from donhang.returns.tests.conftest import assert_no_drift, level

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def at_once(calls):
    barrier = threading.Barrier(len(calls))

    def one(call):
        try:
            barrier.wait(timeout=30)
            call()
            return "ok"
        except DomainError as exc:
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(one, calls))


def test_two_returns_refunded_at_once_never_exceed_what_was_paid(make_variant, make_order, users):
    order = make_order((make_variant(price=100_000), 4), shipping_fee=0)  # 400,000 paid
    line = order.lines.get()
    returns = [
        services.return_create(
            order=order,
            lines=[services.ReturnLineInput(order_line_id=line.pk, quantity=2)],
            actor=users["manager"],
        )
        for _ in range(2)
    ]
    accountant = users["accountant"]

    outcomes = at_once(
        [
            lambda r=r: services.refund_create(
                goods_return=r, method="cash", amount=300_000, actor=accountant
            )
            for r in returns
        ]
    )

    assert sorted(outcomes) == ["ok", "refund_exceeds_paid"]
    order.refresh_from_db()
    assert order.refunded_total == 300_000 and order.paid_total == 100_000
    assert Refund.objects.count() == 1


def test_one_return_inspected_twice_at_once_moves_its_units_once(
    make_variant, make_order, warehouse, users
):
    variant = make_variant(stock=10)
    order = make_order((variant, 3))
    goods_return = services.return_create(
        order=order,
        lines=[services.ReturnLineInput(order_line_id=order.lines.get().pk, quantity=3)],
        actor=users["manager"],
    )
    services.return_receive(goods_return=goods_return, warehouse=warehouse, actor=users["manager"])
    line_id = goods_return.lines.get().pk

    outcomes = at_once(
        [
            lambda: services.return_inspect(
                goods_return=Return.objects.get(pk=goods_return.pk),
                lines=[services.InspectionInput(line_id=line_id, good=3)],
                actor=users["warehouse"],
            )
            for _ in range(2)
        ]
    )

    assert sorted(outcomes) == ["ok", "transition_not_allowed"]
    stock = level(variant, warehouse)
    assert (stock.on_hand, stock.returned) == (10, 0)
    assert_no_drift()
