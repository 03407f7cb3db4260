"""What we send a carrier: the parcels of an order (one per warehouse holding its stock), the
shipment request built for each, and their defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from django.db import IntegrityError
from django.utils.translation import gettext as _

from donhang.accounts.selectors import shop_profile_get
from donhang.core.errors import ValidationFailed
from donhang.inventory.models import Reservation, Warehouse
from donhang.orders.models import Order, OrderLine, PaymentMethod, ShippingFeePayer
from donhang.shipping.carriers.ports import (
    Address,
    Item,
    ShipmentRequest,
)
from donhang.shipping.models import (
    CarrierAccount,
    CarrierAddressMapping,
    Shipment,
)


def _national(phone: str) -> str:
    return "0" + phone[3:] if phone.startswith("+84") else phone


def _carrier_ids(account: CarrierAccount, adapter, ward) -> dict | None:
    """The carrier's ids for our ward: from the mapping table, else looked up once and kept."""
    lookup = getattr(adapter, "lookup_ward", None)
    if lookup is None or ward is None:
        return None
    mapping = CarrierAddressMapping.objects.filter(provider=account.provider, ward=ward).first()
    if mapping is None:
        found = lookup(province_name=ward.province.name, ward_name=ward.name)
        try:
            mapping = CarrierAddressMapping.objects.create(
                provider=account.provider,
                ward=ward,
                carrier_province_id=found["province_id"],
                carrier_district_id=found.get("district_id", ""),
                carrier_ward_id=found["ward_id"],
                carrier_ward_name=found.get("ward_name", ""),
            )
        except IntegrityError:  # looked up concurrently
            mapping = CarrierAddressMapping.objects.get(provider=account.provider, ward=ward)
    return {
        "province_id": mapping.carrier_province_id,
        "district_id": mapping.carrier_district_id,
        "ward_id": mapping.carrier_ward_id,
    }


def _sender(account: CarrierAccount, warehouse: Warehouse | None = None) -> Warehouse:
    """Where the carrier picks up: the parcel's own warehouse (the one holding its stock), else
    the account's pickup warehouse, else the first active warehouse."""
    warehouse = (
        warehouse
        or account.pickup_warehouse
        or Warehouse.objects.filter(is_active=True).order_by("priority", "code").first()
    )
    if warehouse is None or warehouse.ward_id is None:
        raise ValidationFailed(
            _("The pickup warehouse has no address; add its ward and province first."),
            fields={"pickup_warehouse": _("Address missing.")},
        )
    return warehouse


def _parcel_lines(shipment: Shipment) -> list[tuple[OrderLine, int]]:
    """What the parcel holds: its own lines, else (a shipment made before parcels had lines,
    or a quote probe) the whole order."""
    if shipment.pk:
        own = [
            (sl.order_line, sl.quantity)
            for sl in shipment.lines.select_related("order_line__variant")
        ]
        if own:
            return own
    return [(ln, ln.quantity) for ln in shipment.order.lines.select_related("variant")]


def _build_request(
    shipment: Shipment, adapter, *, lines: list[tuple[OrderLine, int]] | None = None
) -> ShipmentRequest:
    order = shipment.order
    account = shipment.account
    warehouse = _sender(account, shipment.warehouse)
    ward = order.shipping_ward
    if ward is None:
        raise ValidationFailed(
            _("The order has no delivery address."), fields={"shipping_ward": _("Required.")}
        )
    lines = lines if lines is not None else _parcel_lines(shipment)
    shop = shop_profile_get()
    return ShipmentRequest(
        reference=shipment.reference,
        # The carrier prints the shop as the sender; its driver calls the warehouse.
        sender=Address(
            name=shop.name or warehouse.contact_name or warehouse.name,
            phone=_national(warehouse.phone or shop.phone),
            line=warehouse.address_line,
            ward_code=warehouse.ward_id,
            province_code=warehouse.province_id,
            ward_name=warehouse.ward.name,
            province_name=warehouse.ward.province.name,
            carrier_ids=_carrier_ids(account, adapter, warehouse.ward),
        ),
        receiver=Address(
            name=order.shipping_name or order.customer_name,
            phone=_national(order.shipping_phone or order.customer_phone),
            line=order.shipping_address_line,
            ward_code=ward.pk,
            province_code=ward.province_id,
            ward_name=ward.name,
            province_name=ward.province.name,
            carrier_ids=_carrier_ids(account, adapter, ward),
        ),
        weight_g=shipment.weight_g,
        length_cm=shipment.length_cm,
        width_cm=shipment.width_cm,
        height_cm=shipment.height_cm,
        cod_amount=shipment.cod_amount,
        goods_value=shipment.goods_value,
        fee_payer=shipment.fee_payer,
        service_code=shipment.service_code,
        inspection=shipment.inspection,
        note=shipment.note,
        items=[
            Item(
                name=ln.name,
                sku=ln.sku,
                quantity=quantity,
                price=ln.unit_price,
                weight_g=ln.variant.weight_g,
            )
            for ln, quantity in lines
        ],
    )


@dataclass
class ShipmentDraft:
    """What the create form proposes for an order."""

    weight_g: int
    length_cm: int
    width_cm: int
    height_cm: int
    cod_amount: int
    goods_value: int
    fee_payer: str


@dataclass
class Parcel:
    """One parcel of an order: what one warehouse holds for it."""

    warehouse: Warehouse | None  # None: nothing reserved (the carrier account's pickup place)
    lines: list[tuple[OrderLine, int]] = field(default_factory=list)

    @property
    def gross(self) -> Fraction:
        """What the buyer pays for the goods in this parcel (line amounts, pro rata)."""
        return sum(
            (Fraction(ln.gross * quantity, ln.quantity) for ln, quantity in self.lines),
            Fraction(0),
        )

    @property
    def weight_g(self) -> int:
        return max(sum(q * (ln.variant.weight_g or 0) for ln, q in self.lines), 100)

    @property
    def dimensions(self) -> tuple[int, int, int]:
        return (
            max([ln.variant.length_cm for ln, _q in self.lines] + [10]),
            max([ln.variant.width_cm for ln, _q in self.lines] + [10]),
            max(sum(ln.variant.height_cm * q for ln, q in self.lines), 5),
        )


def shipment_plan(order: Order) -> list[Parcel]:
    """The parcels an order ships as: one per warehouse holding reservations for it (the
    order's main warehouse first, then by warehouse priority), each with the quantities
    reserved there. What is not reserved anywhere goes in the first parcel."""
    lines = list(order.lines.select_related("variant").order_by("position", "id"))
    reserved = list(
        Reservation.objects.filter(order_line__order=order)
        .select_related("warehouse__ward__province")
        .order_by("id")
    )
    warehouses = {r.warehouse_id: r.warehouse for r in reserved}
    held: dict[int, dict[int, int]] = {}
    for r in reserved:
        per_line = held.setdefault(r.warehouse_id, {})
        per_line[r.order_line_id] = per_line.get(r.order_line_id, 0) + r.quantity
    ordered = sorted(
        warehouses.values(),
        key=lambda w: (w.pk != order.warehouse_id, w.priority, w.code),
    )
    parcels = [
        Parcel(w, [(ln, held[w.pk][ln.pk]) for ln in lines if held[w.pk].get(ln.pk)])
        for w in ordered
    ]
    rest = []
    for ln in lines:
        left = ln.quantity - sum(held[w][ln.pk] for w in held if ln.pk in held[w])
        if left > 0:
            rest.append((ln, left))
    if rest and parcels:
        first = dict((ln.pk, q) for ln, q in parcels[0].lines)
        for ln, q in rest:
            first[ln.pk] = first.get(ln.pk, 0) + q
        by_id = {ln.pk: ln for ln in lines}
        parcels[0].lines = [(by_id[pk], q) for pk, q in first.items()]
    elif rest:
        parcels = [Parcel(None, rest)]
    return parcels


def split_amount(total: int, weights: list) -> list[int]:
    """`total` in whole đồng over parts in proportion to `weights`, the remainder on the last
    part (all on the first when the weights are all zero)."""
    if not weights:
        return []
    whole = sum(weights)
    if whole <= 0:
        return [total] + [0] * (len(weights) - 1)
    shares = [int(total * Fraction(w) / whole) for w in weights[:-1]]
    return [*shares, total - sum(shares)]


def parcel_amounts(order: Order, parcels: list[Parcel], *, cod_amount: int, goods_value: int):
    """(COD, declared value) of each parcel. The COD adds up to `cod_amount`: the buyer's
    shipping fee rides on the first parcel, the goods are split by each parcel's line amounts."""
    fee = order.shipping_fee if order.shipping_fee_payer == ShippingFeePayer.BUYER else 0
    fee = min(fee, cod_amount)
    weights = [p.gross for p in parcels]
    cods = split_amount(cod_amount - fee, weights)
    cods[0] += fee
    return list(zip(cods, split_amount(goods_value, weights), strict=True))


def order_cod_owed(order: Order) -> int:
    """What the parcels of a COD order collect in all: what the buyer still owes (what they pay,
    the platform's voucher left out, less what was paid already: a deposit, an earlier payout).
    A prepaid order collects nothing."""
    if order.payment_method != PaymentMethod.COD:
        return 0
    return max(order.buyer_owes - order.paid_total, 0)


def shipment_draft(order: Order) -> ShipmentDraft:
    """Defaults: weight from the variants (at least 100 g), the largest dimensions, COD what the
    order still owes (goods + shipping fee when the buyer pays, less what was paid; 0 when
    prepaid)."""
    lines = list(order.lines.select_related("variant"))
    weight = sum(ln.quantity * (ln.variant.weight_g or 0) for ln in lines)
    return ShipmentDraft(
        weight_g=max(weight, 100),
        length_cm=max([ln.variant.length_cm for ln in lines] + [10]),
        width_cm=max([ln.variant.width_cm for ln in lines] + [10]),
        height_cm=max(sum(ln.variant.height_cm * ln.quantity for ln in lines), 5),
        cod_amount=order_cod_owed(order),
        goods_value=order.goods_total - order.discount_total,
        fee_payer=order.shipping_fee_payer,
    )
