"""What we send a carrier: the shipment request built from an order, and its defaults."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError
from django.utils.translation import gettext as _

from donhang.core.errors import ValidationFailed
from donhang.orders.models import Order, PaymentMethod
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


def _sender(account: CarrierAccount):
    from donhang.inventory.models import Warehouse

    warehouse = (
        account.pickup_warehouse
        or Warehouse.objects.filter(is_active=True).order_by("priority", "code").first()
    )
    if warehouse is None or warehouse.ward_id is None:
        raise ValidationFailed(
            _("The pickup warehouse has no address; add its ward and province first."),
            fields={"pickup_warehouse": _("Address missing.")},
        )
    return warehouse


def _build_request(shipment: Shipment, adapter) -> ShipmentRequest:
    order = shipment.order
    account = shipment.account
    warehouse = _sender(account)
    ward = order.shipping_ward
    if ward is None:
        raise ValidationFailed(
            _("The order has no delivery address."), fields={"shipping_ward": _("Required.")}
        )
    lines = list(order.lines.select_related("variant"))
    return ShipmentRequest(
        reference=shipment.reference,
        sender=Address(
            name=warehouse.contact_name or warehouse.name,
            phone=_national(warehouse.phone),
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
                quantity=ln.quantity,
                price=ln.unit_price,
                weight_g=ln.variant.weight_g,
            )
            for ln in lines
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


def shipment_draft(order: Order) -> ShipmentDraft:
    """Defaults: weight from the variants (at least 100 g), the largest dimensions, COD from the
    order (goods + shipping fee when the buyer pays; 0 when prepaid)."""
    lines = list(order.lines.select_related("variant"))
    weight = sum(ln.quantity * (ln.variant.weight_g or 0) for ln in lines)
    return ShipmentDraft(
        weight_g=max(weight, 100),
        length_cm=max([ln.variant.length_cm for ln in lines] + [10]),
        width_cm=max([ln.variant.width_cm for ln in lines] + [10]),
        height_cm=max(sum(ln.variant.height_cm * ln.quantity for ln in lines), 5),
        cod_amount=order.cod_amount if order.payment_method == PaymentMethod.COD else 0,
        goods_value=order.goods_total - order.discount_total,
        fee_payer=order.shipping_fee_payer,
    )
