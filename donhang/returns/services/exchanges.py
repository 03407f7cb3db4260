"""Exchanges: a new outbound order for the same customer, linked to the return, reserving its
stock like any order. The returned goods' value pays towards it (a credit moved from the
returned order to the new one; no money moves): when the new order costs more, the buyer pays
the difference (its COD or a transfer); when it costs less, the rest is refunded from the return.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from donhang.core.errors import Conflict
from donhang.core.permissions import require_perm
from donhang.orders.models import Channel, Order, PaymentMethod, PaymentRecordMethod
from donhang.orders.services import (
    MARKETPLACE_CHANNELS,
    AddressInput,
    CustomerInput,
    LineInput,
    order_create,
    order_payment_record,
)
from donhang.returns.models import Return, State
from donhang.returns.services._common import lock_return, require_state, timeline
from donhang.returns.services.refunds import refund_default


@transaction.atomic
def exchange_create(
    *,
    goods_return: Return,
    lines: list[LineInput],
    shipping_fee: int = 0,
    payment_method: str = PaymentMethod.COD,
    note: str = "",
    actor=None,
) -> Order:
    """Create the exchange order of a return (one per return) and move the returned goods'
    value to it, up to its total. The order is a normal order of the same customer and address
    (marketplace orders' exchanges are the shop's own, channel "other"), reserving stock at
    once; the price difference is what it still owes, or what the return still refunds."""
    require_perm(actor, "returns.change_return")
    goods_return = lock_return(goods_return)
    require_state(
        goods_return,
        (State.REQUESTED, State.RECEIVED, State.INSPECTED),
        action=pgettext("return step", "exchange"),
    )
    if goods_return.exchange_order_id:
        raise Conflict(
            _("This return already has its exchange order %(code)s.")
            % {"code": goods_return.exchange_order.code},
            fields={"exchange_order": _("Already exists.")},
            code="exchange_exists",
        )
    original = Order.objects.select_for_update().get(pk=goods_return.order_id)
    goods_return.order = original
    channel = Channel.OTHER if original.channel in MARKETPLACE_CHANNELS else original.channel
    order = order_create(
        channel=channel,
        customer=CustomerInput(
            name=original.shipping_name or original.customer_name,
            phone=original.shipping_phone or original.customer_phone,
            email=original.customer_email,
            address=AddressInput(
                line=original.shipping_address_line,
                ward=original.shipping_ward_id,
                province=original.shipping_province_id,
            ),
        ),
        lines=lines,
        shipping_fee=shipping_fee,
        payment_method=payment_method,
        note=(
            _("Exchange for return %(code)s of order %(order)s.")
            % {"code": goods_return.code, "order": original.code}
            + (f" {note.strip()}" if note and note.strip() else "")
        )[:2000],
        actor=actor,
    )
    credit = min(refund_default(goods_return), max(order.buyer_owes, 0))
    if credit > 0:
        # No money moves: the credit leaves the returned order and pays towards the new one.
        order_payment_record(
            order=original,
            method=PaymentRecordMethod.EXCHANGE_CREDIT,
            amount=-credit,
            reference=goods_return.code,
            note=_("Exchange: credit moved to order %(code)s") % {"code": order.code},
            actor=actor,
            check_permission=False,
        )
        order_payment_record(
            order=order,
            method=PaymentRecordMethod.EXCHANGE_CREDIT,
            amount=credit,
            reference=goods_return.code,
            note=_("Exchange: credit from order %(code)s") % {"code": original.code},
            actor=actor,
            check_permission=False,
        )
    Return.objects.filter(pk=goods_return.pk).update(exchange_order=order, exchange_credit=credit)
    goods_return.exchange_order, goods_return.exchange_credit = order, credit
    order.refresh_from_db()
    timeline(
        goods_return,
        "exchange_created",
        {
            "order": order.code,
            "credit": credit,
            "to_pay": max(order.buyer_owes - credit, 0),
            "to_refund": refund_default(goods_return),
        },
        actor=actor,
    )
    return order


def exchange_difference(goods_return: Return) -> dict[str, int]:
    """The price difference of the exchange: what the new order still owes (charged) and what
    the return still has to refund."""
    order = goods_return.exchange_order
    to_pay = max(order.buyer_owes - order.paid_total, 0) if order is not None else 0
    return {"to_pay": to_pay, "to_refund": refund_default(goods_return)}
