"""Edits of an order until its parcel is handed over: lines, address, shipping fee, payment
method, discounts and buyer identity. Each edit is a revision on the timeline (before → after);
an edit that changes what is packed sends the order back to packing. Once an e-invoice is
issued the money is frozen (changes go through returns and adjustment invoices)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from donhang.catalog.models import Variant
from donhang.core.errors import Conflict, ValidationFailed
from donhang.core.permissions import require_perm
from donhang.inventory import reservations
from donhang.orders.models import (
    OPEN_STATUSES,
    DiscountFunder,
    Order,
    OrderEvent,
    OrderLine,
    PaymentMethod,
    ShippingFeePayer,
    Status,
    SubState,
)
from donhang.orders.services import pricing
from donhang.orders.services._common import (
    MAX_AMOUNT,
    AddressInput,
    BuyerInput,
    LineInput,
    _apply_pricing,
    _event,
    _fully_reserved,
    _lock,
    _price,
    _refuse_when_money_locked,
    _refuse_with_open_shipment,
    _reserve_lines,
    _resolve_lines,
    _set_state,
    _settle_sub_state,
)
from donhang.orders.services.intake import _resolve_address, buyer_fields
from donhang.orders.services.stock import reservations_fill_waiting


def _refuse_unless_editable(order: Order, *, lines: bool) -> None:
    if order.status not in OPEN_STATUSES:
        raise Conflict(
            _("Only new or processing orders can be edited."),
            fields={"status": _("Not allowed from the current status.")},
            code="transition_not_allowed",
        )
    _refuse_with_open_shipment(
        order,
        message=_(
            "This order has a shipment with the carrier; cancel the shipment before editing the "
            "lines."
        )
        if lines
        else _(
            "This order has a shipment with the carrier; cancel the shipment before editing the "
            "order."
        ),
    )


def _back_to_packing(order: Order, *, actor) -> None:
    """What was packed changed: the parcel must be packed again."""
    if order.status == Status.PROCESSING and order.sub_state == SubState.READY_TO_SHIP:
        _set_state(order, sub_state=SubState.PACKING, actor=actor, code="back_to_packing")


@transaction.atomic
def order_update_lines(*, order: Order, lines: list[LineInput], actor=None) -> Order:
    """Replace the lines of an order that has not been handed over; reservations follow the
    difference and freed units go to the oldest waiting orders. Lines kept keep their price
    unless a new price is given."""
    require_perm(actor, "orders.change_order")
    order = _lock(order)
    _refuse_unless_editable(order, lines=True)
    _refuse_when_money_locked(order)
    resolved = _resolve_lines(lines)
    current: dict[int, OrderLine] = {}
    duplicates: list[OrderLine] = []  # a product on two lines (intake keeps lines as sent)
    before_lines = []
    for existing in order.lines.all():
        before_lines.append([existing.sku, existing.quantity])
        if existing.variant_id in current:
            duplicates.append(existing)
        else:
            current[existing.variant_id] = existing
    wanted: dict[int, tuple[LineInput, Variant]] = {}
    for ln, v in resolved:
        if v.pk in wanted:  # the same product twice: one line
            prev, _v = wanted[v.pk]
            ln = LineInput(
                variant_id=v.pk,
                quantity=prev.quantity + ln.quantity,
                unit_price=prev.unit_price,
                discount=prev.discount + ln.discount,
                discount_percent=prev.discount_percent,
            )
        wanted[v.pk] = (ln, v)
    removed = [ln for vid, ln in current.items() if vid not in wanted] + duplicates
    freed: set[int] = set()
    if removed:
        if reservations.release([ln.pk for ln in removed]):
            freed |= {ln.variant_id for ln in removed}
        OrderLine.objects.filter(pk__in=[ln.pk for ln in removed]).delete()
    kept: list[OrderLine] = []
    new_lines: list[OrderLine] = []
    for position, (vid, (ln, v)) in enumerate(wanted.items()):
        line = current.get(vid)
        if line is None:
            line = OrderLine(
                order=order,
                variant=v,
                sku=v.sku,
                name=str(v)[:300],
                quantity=ln.quantity,
                unit_price=v.sale_price if ln.unit_price is None else ln.unit_price,
                discount=ln.discount,
                discount_percent=ln.discount_percent,
                vat_rate=v.vat_rate,
                position=position,
            )
            new_lines.append(line)
        else:
            if ln.quantity < line.reserved_quantity:
                reservations.release([line.pk], keep={line.pk: ln.quantity})
                line.reserved_quantity = ln.quantity
                freed.add(line.variant_id)
            line.quantity = ln.quantity
            if ln.unit_price is not None:
                line.unit_price = ln.unit_price
            line.discount, line.discount_percent = ln.discount, ln.discount_percent
            line.position = position
        kept.append(line)
    priced = _price(order, kept)
    OrderLine.objects.bulk_update(
        [ln for ln in kept if ln.pk],
        ["quantity", "unit_price", "discount", "discount_percent", "position", "reserved_quantity"],
    )
    if new_lines:
        OrderLine.objects.bulk_create(new_lines)
        if not all(ln.pk for ln in new_lines):  # backends without RETURNING on bulk insert
            saved = {ln.variant_id: ln for ln in order.lines.all()}
            kept = [ln if ln.pk else saved[ln.variant_id] for ln in kept]
    _apply_pricing(order, kept, priced)
    _reserve_lines(order, kept)
    after_lines = [[ln.sku, ln.quantity] for ln in kept]
    _event(
        order,
        kind=OrderEvent.Kind.EDITED,
        actor=actor,
        code="lines_edited",
        params={"before": before_lines, "lines": after_lines},
        data={"lines": after_lines},
    )
    if sorted(before_lines) != sorted(after_lines):
        _back_to_packing(order, actor=actor)
    if order.sub_state != SubState.READY_TO_SHIP or not _fully_reserved(kept):
        _settle_sub_state(order, kept, actor=actor)
    if freed:
        reservations_fill_waiting(variant_ids=freed, actor=actor)
    return order


_UNSET = object()


def _address_text(order: Order) -> str:
    parts = [order.shipping_address_line]
    if order.shipping_ward_id:
        parts += [order.shipping_ward.name, order.shipping_province.name]
    return ", ".join(p for p in parts if p)


def _buyer_text(order: Order) -> str:
    if order.buyer_company_name:
        return f"{order.buyer_company_name} ({order.buyer_tax_code})"
    return order.buyer_tax_code or order.get_buyer_kind_display()


@transaction.atomic
def order_update(
    *,
    order: Order,
    address: AddressInput | None = None,
    shipping_name: str | None = None,
    shipping_phone: str | None = None,
    shipping_fee: int | None = None,
    shipping_fee_payer: str | None = None,
    payment_method: str | None = None,
    discounts: list[pricing.DiscountInput] | None = None,
    buyer: BuyerInput | None = None,
    actor=None,
) -> Order:
    """Change the delivery address, shipping fee (and who pays it), payment method, order
    discounts or buyer identity of an order not yet handed over. Arguments left None stay.

    A change of money (fee, payer, method, discounts) reprices the order; the buyer identity
    may still change after an e-invoice (the invoice flow corrects it), money may not."""
    require_perm(actor, "orders.change_order")
    order = _lock(order)
    _refuse_unless_editable(order, lines=False)
    money_change = any(
        v is not None for v in (shipping_fee, shipping_fee_payer, payment_method, discounts)
    )
    if money_change:
        _refuse_when_money_locked(order)
    errors: dict[str, str] = {}
    changes: dict[str, list] = {}
    updates: dict = {}
    if shipping_fee is not None and shipping_fee != order.shipping_fee:
        if shipping_fee < 0:
            errors["shipping_fee"] = _("The shipping fee cannot be negative.")
        elif shipping_fee > MAX_AMOUNT:
            errors["shipping_fee"] = _("The shipping fee is too large.")
        changes["shipping_fee"] = [order.shipping_fee, shipping_fee]
        updates["shipping_fee"] = shipping_fee
    if shipping_fee_payer is not None and shipping_fee_payer != order.shipping_fee_payer:
        if shipping_fee_payer not in ShippingFeePayer.values:
            errors["shipping_fee_payer"] = _("Choose buyer or seller.")
        changes["shipping_fee_payer"] = [order.shipping_fee_payer, shipping_fee_payer]
        updates["shipping_fee_payer"] = shipping_fee_payer
    if payment_method is not None and payment_method != order.payment_method:
        if payment_method not in PaymentMethod.values:
            errors["payment_method"] = _("Unknown payment method.")
        changes["payment_method"] = [order.payment_method, payment_method]
        updates["payment_method"] = payment_method
    if address is not None:
        try:
            province, ward, line = _resolve_address(
                address,
                required=(payment_method or order.payment_method) == PaymentMethod.COD,
                prefix="address",
            )
        except ValidationFailed as exc:
            errors.update(exc.fields)
        else:
            before = _address_text(order)
            order.shipping_address_line, order.shipping_province, order.shipping_ward = (
                line,
                province,
                ward,
            )
            after = _address_text(order)
            if after != before:
                changes["address"] = [before, after]
                updates.update(
                    shipping_address_line=line, shipping_province=province, shipping_ward=ward
                )
    for field, value in (("shipping_name", shipping_name), ("shipping_phone", shipping_phone)):
        if value is not None and value != getattr(order, field):
            updates[field] = value
    if buyer is not None:
        try:
            identity = buyer_fields(buyer)
        except ValidationFailed as exc:
            errors.update(exc.fields)
        else:
            before = _buyer_text(order)
            if any(getattr(order, f) != v for f, v in identity.items()):
                for f, v in identity.items():
                    setattr(order, f, v)
                updates.update(identity)
                changes["buyer"] = [before, _buyer_text(order)]
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), fields=errors)
    for f, v in updates.items():
        setattr(order, f, v)
    if updates:
        Order.objects.filter(pk=order.pk).update(**updates)
    if money_change:
        before_total, before_discount = order.total, order.order_discount
        lines = list(order.lines.all())
        _apply_pricing(order, lines, _price(order, lines, discounts))
        if order.order_discount != before_discount:
            changes["order_discount"] = [before_discount, order.order_discount]
        if order.total != before_total:
            changes["total"] = [before_total, order.total]
    if not changes:
        return order
    _event(
        order,
        kind=OrderEvent.Kind.EDITED,
        actor=actor,
        code="order_edited",
        params={"changes": changes},
    )
    if set(changes) & {"address", "shipping_fee", "shipping_fee_payer", "payment_method", "total"}:
        # the label (address, COD) printed for the packed parcel is no longer right
        _back_to_packing(order, actor=actor)
    return order


def seller_discount(amount: int | None = None, percent=None) -> pricing.DiscountInput:
    return pricing.DiscountInput(amount=amount, percent=percent, funded_by=DiscountFunder.SELLER)
