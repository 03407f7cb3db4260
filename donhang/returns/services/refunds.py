"""Refunds of a return: the amount defaults to what the buyer paid for the returned units (each
line's amount after its discounts, its share of the order's discount included), the shipping
fee optionally; recorded as a negative payment of the order, never above what was paid. A bank
transfer waits as "to pay" with a VietQR code of the customer's account until staff mark it
transferred."""

from __future__ import annotations

import re

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from donhang.accounts.banks import bank_name_for
from donhang.core import vietqr
from donhang.core.audit import actor_user
from donhang.core.errors import Conflict, ValidationFailed
from donhang.core.money import format_vnd
from donhang.core.permissions import require_perm
from donhang.orders.models import Order, PaymentRecordMethod, ShippingFeePayer
from donhang.orders.services import MAX_AMOUNT, order_payment_record
from donhang.returns.models import (
    Refund,
    RefundMethod,
    RefundStatus,
    Return,
    State,
)
from donhang.returns.services._common import lock_return, require_state, timeline

PAYMENT_METHOD = {
    RefundMethod.CASH: PaymentRecordMethod.CASH,
    RefundMethod.BANK_TRANSFER: PaymentRecordMethod.BANK_TRANSFER,
    RefundMethod.MARKETPLACE: PaymentRecordMethod.MARKETPLACE_SETTLEMENT,
}


def _units(goods_return: Return, line) -> int:
    """Units of a line the refund is for: as requested until inspected, then what came back."""
    if goods_return.state in (State.INSPECTED, State.CLOSED):
        return line.back_quantity
    return line.quantity


def returned_value(goods_return: Return) -> int:
    """What the buyer paid for the returned units: per line, its amount after its own discount
    and its share of the order's discount (VAT included), for the units returned."""
    total = 0
    for line in goods_return.lines.select_related("order_line"):
        order_line = line.order_line
        units = _units(goods_return, line)
        if units and order_line.quantity:
            total += order_line.gross * units // order_line.quantity
    return total


def shipping_refundable(order: Order) -> int:
    """The shipping fee the buyer paid, unless a refund of the order already gave it back."""
    if order.shipping_fee_payer != ShippingFeePayer.BUYER or order.shipping_fee <= 0:
        return 0
    given_back = (
        Refund.objects.filter(order=order, includes_shipping=True)
        .exclude(status=RefundStatus.CANCELLED)
        .exists()
    )
    return 0 if given_back else order.shipping_fee


def pending_refunds(order: Order, *, exclude: Refund | None = None) -> int:
    pending = Refund.objects.filter(order=order, status=RefundStatus.PENDING)
    if exclude is not None:
        pending = pending.exclude(pk=exclude.pk)
    return pending.aggregate(n=Sum("amount"))["n"] or 0


def refundable(order: Order) -> int:
    """What may still be refunded: paid (net of earlier refunds) less refunds waiting to be
    paid."""
    return max(order.paid_total - pending_refunds(order), 0)


def refund_default(goods_return: Return, *, include_shipping: bool = False) -> int:
    """The amount a refund of this return starts from: the returned units' value less what
    the exchange used and what earlier refunds of the return gave back (with the shipping fee
    when asked and not given back yet), at most what may still be refunded."""
    order = goods_return.order
    earlier = Refund.objects.filter(goods_return=goods_return).exclude(
        status=RefundStatus.CANCELLED
    )
    given = sum(r.amount - (order.shipping_fee if r.includes_shipping else 0) for r in earlier)
    goods = max(returned_value(goods_return) - goods_return.exchange_credit - given, 0)
    shipping = shipping_refundable(order) if include_shipping else 0
    return min(goods + shipping, refundable(order))


def _refuse_above_paid(order: Order, amount: int, *, exclude: Refund | None = None) -> None:
    pending = pending_refunds(order, exclude=exclude)
    allowed = max(order.paid_total - pending, 0)
    if amount > allowed:
        raise Conflict(
            _(
                "A refund cannot exceed what was paid: %(paid)s is paid on order %(order)s"
                "%(pending)s, so at most %(max)s can be refunded."
            )
            % {
                "paid": format_vnd(max(order.paid_total, 0)),
                "order": order.code,
                "pending": (
                    _(" and %(amount)s waits in other refunds") % {"amount": format_vnd(pending)}
                    if pending
                    else ""
                ),
                "max": format_vnd(allowed),
            },
            fields={"amount": _("At most %(max)s.") % {"max": format_vnd(allowed)}},
            code="refund_exceeds_paid",
        )


def _record(refund: Refund, *, reference: str = "", actor=None) -> Refund:
    goods_return = refund.goods_return
    payment = order_payment_record(
        order=refund.order,
        method=PAYMENT_METHOD[refund.method],
        amount=-refund.amount,
        reference=(reference or refund.reference or goods_return.code)[:120],
        note=_("Refund of return %(code)s") % {"code": goods_return.code},
        actor=actor,
    )
    refund.payment = payment
    refund.status = RefundStatus.REFUNDED
    refund.refunded_at = timezone.now()
    if reference:
        refund.reference = reference[:120]
    refund.save(update_fields=["payment", "status", "refunded_at", "reference"])
    return refund


def _clean_bank(bank_bin: str, bank_account: str, account_holder: str, *, required: bool):
    bank_bin = (bank_bin or "").strip()
    bank_account = re.sub(r"[\s.-]", "", bank_account or "")
    account_holder = " ".join((account_holder or "").split())
    errors: dict[str, str] = {}
    if bank_bin and not re.fullmatch(r"\d{6}", bank_bin):
        errors["bank_bin"] = _("A bank BIN has 6 digits, for example 970436.")
    if bank_account and not re.fullmatch(r"[0-9A-Za-z]{1,19}", bank_account):
        errors["bank_account"] = _("An account number is 1 to 19 letters or digits.")
    if len(account_holder) > 100:
        errors["account_holder"] = _("At most 100 characters.")
    if required:
        if not bank_bin:
            errors.setdefault("bank_bin", _("Choose the customer's bank."))
        if not bank_account:
            errors.setdefault("bank_account", _("Enter the customer's account number."))
    return bank_bin, bank_account, account_holder, errors


@transaction.atomic
def refund_create(
    *,
    goods_return: Return,
    method: str,
    amount: int | None = None,
    include_shipping: bool = False,
    bank_bin: str = "",
    bank_account: str = "",
    account_holder: str = "",
    reference: str = "",
    note: str = "",
    paid: bool | None = None,
    actor=None,
) -> Refund:
    """A refund of the return: `amount` defaults to refund_default. Cash and marketplace
    refunds are recorded at once; a bank transfer waits as "to pay" (with a VietQR code of the
    customer's account: `bank_bin`, `bank_account` needed) unless `paid`. Refuses (Conflict)
    an amount above what was paid less refunds waiting."""
    require_perm(actor, "orders.refund_payment")
    goods_return = lock_return(goods_return)
    require_state(
        goods_return,
        (State.REQUESTED, State.RECEIVED, State.INSPECTED, State.CLOSED),
        action=pgettext("return step", "refund"),
    )
    order = Order.objects.select_for_update().get(pk=goods_return.order_id)
    goods_return.order = order
    errors: dict[str, str] = {}
    if method not in RefundMethod.values:
        errors["method"] = _("Choose cash, bank transfer or the marketplace.")
    if paid is None:
        paid = method != RefundMethod.BANK_TRANSFER
    bank_bin, bank_account, account_holder, bank_errors = _clean_bank(
        bank_bin,
        bank_account,
        account_holder,
        required=method == RefundMethod.BANK_TRANSFER and not paid,
    )
    errors.update(bank_errors)
    if len(reference or "") > 120:
        errors["reference"] = _("At most 120 characters.")
    if amount is None:
        amount = refund_default(goods_return, include_shipping=include_shipping)
        if amount <= 0 and not errors:
            raise Conflict(
                _("Nothing is left to refund for this return (what was paid is refunded)."),
                fields={"amount": _("Nothing to refund.")},
                code="nothing_to_refund",
            )
    if not isinstance(amount, int) or amount <= 0:
        errors["amount"] = _("Enter an amount above 0.")
    elif amount > MAX_AMOUNT:
        errors["amount"] = _("The amount is too large.")
    if errors:
        raise ValidationFailed(_("The refund is not valid."), fields=errors)
    _refuse_above_paid(order, amount)
    refund = Refund.objects.create(
        goods_return=goods_return,
        order=order,
        amount=amount,
        includes_shipping=bool(include_shipping) and shipping_refundable(order) > 0,
        method=method,
        bank_bin=bank_bin,
        bank_name=bank_name_for(bank_bin) if bank_bin else "",
        bank_account=bank_account,
        account_holder=account_holder.upper(),
        reference=(reference or "").strip(),
        note=(note or "").strip()[:300],
        created_by=actor_user(actor),
    )
    if paid:
        _record(refund, reference=reference, actor=actor)
    else:
        timeline(
            goods_return,
            "refund_to_pay",
            {"amount": amount, "method": method},
            actor=actor,
        )
    return refund


def _lock_refund(refund: Refund) -> Refund:
    return (
        Refund.objects.select_for_update(of=("self",))
        .select_related("goods_return", "order")
        .get(pk=refund.pk)
    )


def _require_pending(refund: Refund, action: str) -> None:
    if refund.status != RefundStatus.PENDING:
        raise Conflict(
            _("This refund is “%(status)s”: you cannot %(action)s it.")
            % {"status": refund.get_status_display(), "action": action},
            fields={"status": _("Not allowed from the current status.")},
            code="transition_not_allowed",
        )


@transaction.atomic
def refund_mark_paid(*, refund: Refund, reference: str = "", actor=None) -> Refund:
    """A refund waiting to be paid was transferred: record it as a negative payment."""
    require_perm(actor, "orders.refund_payment")
    Order.objects.select_for_update().filter(pk=refund.order_id).values_list("pk").first()
    refund = _lock_refund(refund)
    _require_pending(refund, pgettext("refund step", "mark as transferred"))
    if len(reference or "") > 120:
        raise ValidationFailed(
            _("The reference is too long."), fields={"reference": _("At most 120 characters.")}
        )
    _refuse_above_paid(refund.order, refund.amount, exclude=refund)
    return _record(refund, reference=(reference or "").strip(), actor=actor)


@transaction.atomic
def refund_cancel(*, refund: Refund, actor=None) -> Refund:
    """A refund waiting to be paid will not be paid."""
    require_perm(actor, "orders.refund_payment")
    Order.objects.select_for_update().filter(pk=refund.order_id).values_list("pk").first()
    refund = _lock_refund(refund)
    _require_pending(refund, pgettext("refund step", "cancel"))
    refund.status = RefundStatus.CANCELLED
    refund.save(update_fields=["status"])
    timeline(refund.goods_return, "refund_cancelled", {"amount": refund.amount}, actor=actor)
    return refund


def refund_qr_payload(refund: Refund) -> str:
    """The VietQR payload of a bank-transfer refund to the customer's account ("" when the
    refund has no account): staff scan it with the shop's banking app."""
    if refund.method != RefundMethod.BANK_TRANSFER or not (refund.bank_bin and refund.bank_account):
        return ""
    try:
        return vietqr.payload(
            bank_bin=refund.bank_bin,
            account_number=refund.bank_account,
            amount=refund.amount,
            note=f"HOAN TIEN {refund.order.code}",
        )
    except vietqr.VietQRError:
        return ""
