"""Shipping REST API: quotes, shipments, COD outstanding and payouts.

Money is integer VND. Creating a shipment answers 202: it is saved at once and sent to the
carrier in the background; poll `GET /shipments/{id}` until `tracking_code` is set (or
`send_state` is "failed", with `last_error`). Errors: 401 without a valid key, 403 when the
role may not do it, 404 unknown order / shipment, 409 the order or shipment is not in a state
that allows it (or the carrier refused a cancel), 422 invalid input (with `fields`).
"""

from __future__ import annotations

from datetime import date, datetime

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from donhang.core.errors import NotFound, ValidationFailed
from donhang.orders.selectors import order_list_by_codes
from donhang.shipping import selectors, services
from donhang.shipping.models import STATUS_CHOICES, CarrierAccount, Shipment

router = Router(tags=["shipping"])

STATUS_VALUES = [value for value, _label in STATUS_CHOICES]


# --- schemas ---------------------------------------------------------------------------------


class QuoteOut(Schema):
    service_code: str
    service_name: str
    fee: int
    expected_delivery_at: datetime | None


class CarrierQuotesOut(Schema):
    carrier_account_id: int
    carrier: str = Field(description="ghn or viettelpost")
    name: str
    quotes: list[QuoteOut]
    error: str = Field(description="Why this carrier gave no quote; empty when it did")


class DraftOut(Schema):
    cod_amount: int = Field(
        description="What the order still owes (goods + shipping when the buyer pays, less what "
        "was paid); 0 when prepaid"
    )
    weight_g: int
    length_cm: int
    width_cm: int
    height_cm: int
    fee_payer: str


class QuotesOut(Schema):
    order: str
    draft: DraftOut
    carriers: list[CarrierQuotesOut]


class ShipmentIn(Schema):
    carrier_account_id: int
    service_code: str = Field("", description="From the quotes; empty: the carrier's default")
    cod_amount: int | None = Field(
        None,
        ge=0,
        le=10**12,
        description="Default: what the order still owes. More is refused (422); less needs the "
        "manager's role (403 otherwise) and `cod_reason`",
    )
    cod_reason: str = Field(
        "", max_length=300, description="Why the parcels collect less than the order owes"
    )
    weight_g: int | None = Field(None, gt=0, le=1_000_000, description="Default: from the variants")
    length_cm: int | None = Field(None, gt=0, le=100_000)
    width_cm: int | None = Field(None, gt=0, le=100_000)
    height_cm: int | None = Field(None, gt=0, le=100_000)
    fee_payer: str | None = Field(None, description="buyer or seller; default: the order's")
    inspection: str = Field("view", description="none, view (may look) or try (may try on)")
    note: str = Field("", max_length=255)


class EventOut(Schema):
    at: datetime
    status: str
    carrier_status: str
    description: str
    source: str


class ParcelLineOut(Schema):
    sku: str
    quantity: int


class ShipmentOut(Schema):
    id: int
    order: str
    carrier_account_id: int
    carrier: str
    reference: str
    tracking_code: str
    tracking_url: str
    service_code: str
    status: str
    send_state: str = Field(
        description="created, sending, stuck (no answer for minutes: retry), failed (retry "
        "needed), cancel_requested (cancelled once the carrier answers the create) or cancelled"
    )
    cancel_requested_at: datetime | None
    warehouse: str | None = Field(description="Code of the warehouse it is picked up from")
    parcels: list[int] = Field(
        description="Ids of the order's live parcels (one per warehouse holding its stock)"
    )
    lines: list[ParcelLineOut] = Field(description="What this parcel holds")
    carrier_status: str
    cod_amount: int
    cod_short_reason: str = Field(
        description="Why the order's parcels collect less than it owes (a manager's reason)"
    )
    goods_value: int
    fee: int
    fee_charged: int | None
    fee_payer: str
    inspection: str
    weight_g: int
    length_cm: int
    width_cm: int
    height_cm: int
    note: str
    last_error: str
    expected_delivery_at: datetime | None
    is_late: bool
    cod_paid_amount: int | None
    cod_paid_at: datetime | None
    created_at: datetime
    events: list[EventOut] = []


class ShipmentPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ShipmentOut]


class OutstandingOut(Schema):
    carrier_account_id: int
    carrier: str
    name: str
    shipments: int
    amount: int


class OutstandingPage(Schema):
    total: int
    carriers: list[OutstandingOut]


class PayoutLineIn(Schema):
    tracking_code: str = Field(..., min_length=1, max_length=40)
    cod_amount: int = Field(..., ge=0, le=10**12)
    fee: int = Field(0, ge=0, le=10**12)


class PayoutIn(Schema):
    carrier_account_id: int
    paid_at: date
    reference: str = Field("", max_length=60)
    lines: list[PayoutLineIn]


class PayoutLineOut(Schema):
    tracking_code: str
    shipment_id: int | None
    order: str | None
    cod_amount: int
    fee: int
    cod_difference: int
    fee_difference: int
    problem: str


class PayoutOut(Schema):
    id: int
    carrier_account_id: int
    paid_at: date
    reference: str
    lines: list[PayoutLineOut]


# --- helpers ---------------------------------------------------------------------------------


def _order(code: str):
    orders = order_list_by_codes(codes=[code.strip().upper()])
    if not orders:
        raise NotFound(_("There is no order %(code)s.") % {"code": code}, fields={"code": code})
    return orders[0]


def _account(account_id: int) -> CarrierAccount:
    account = selectors.carrier_account_get(pk=account_id)
    if account is None:
        raise ValidationFailed(
            _("There is no such carrier account."),
            fields={"carrier_account_id": _("Unknown carrier account.")},
        )
    return account


def _shipment(shipment_id: int) -> Shipment:
    shipment = selectors.shipment_get(pk=shipment_id)
    if shipment is None:
        raise NotFound(_("There is no such shipment."))
    return shipment


def _shipment_out(shipment: Shipment, *, with_events: bool = True) -> dict:
    return {
        "id": shipment.pk,
        "order": shipment.order.code,
        "carrier_account_id": shipment.account_id,
        "carrier": shipment.account.provider,
        "reference": shipment.reference,
        "tracking_code": shipment.tracking_code,
        "tracking_url": selectors.shipment_tracking_url(shipment),
        "service_code": shipment.service_code,
        "status": shipment.status,
        "send_state": selectors.shipment_send_state(shipment),
        "cancel_requested_at": shipment.cancel_requested_at,
        "warehouse": shipment.warehouse.code if shipment.warehouse_id else None,
        "parcels": [s.pk for s in shipment.order.live_parcels]
        if hasattr(shipment.order, "live_parcels")
        else list(
            Shipment.objects.filter(order_id=shipment.order_id)
            .live()
            .order_by("id")
            .values_list("id", flat=True)
        ),
        "lines": [
            {"sku": sl.order_line.sku, "quantity": sl.quantity} for sl in shipment.lines.all()
        ],
        "carrier_status": shipment.carrier_status,
        "cod_amount": shipment.cod_amount,
        "cod_short_reason": shipment.cod_short_reason,
        "goods_value": shipment.goods_value,
        "fee": shipment.fee,
        "fee_charged": shipment.fee_charged,
        "fee_payer": shipment.fee_payer,
        "inspection": shipment.inspection,
        "weight_g": shipment.weight_g,
        "length_cm": shipment.length_cm,
        "width_cm": shipment.width_cm,
        "height_cm": shipment.height_cm,
        "note": shipment.note,
        "last_error": shipment.last_error,
        "expected_delivery_at": shipment.expected_delivery_at,
        "is_late": shipment.is_late,
        "cod_paid_amount": shipment.cod_paid_amount,
        "cod_paid_at": shipment.cod_paid_at,
        "created_at": shipment.created_at,
        "events": [
            {
                "at": e.at,
                "status": e.status,
                "carrier_status": e.carrier_status,
                "description": e.description,
                "source": e.source,
            }
            for e in shipment.events.all()
            if e.applied
        ]
        if with_events
        else [],
    }


# --- quotes and shipments --------------------------------------------------------------------


@router.get(
    "/orders/{code}/shipping-quotes",
    response=QuotesOut,
    summary="Quotes from every active carrier for an order",
)
def shipping_quotes(request, code: str):
    """Asks each active carrier account now (a carrier that fails says why in `error`).
    The draft holds the defaults `POST /orders/{code}/shipments` uses."""
    request.principal.require("shipping.add_shipment")
    order = _order(code)
    draft = services.shipment_draft(order)
    return {
        "order": order.code,
        "draft": {
            "cod_amount": draft.cod_amount,
            "weight_g": draft.weight_g,
            "length_cm": draft.length_cm,
            "width_cm": draft.width_cm,
            "height_cm": draft.height_cm,
            "fee_payer": draft.fee_payer,
        },
        "carriers": [
            {
                "carrier_account_id": cq.account.pk,
                "carrier": cq.account.provider,
                "name": cq.account.name,
                "error": cq.error,
                "quotes": [
                    {
                        "service_code": q.service_code,
                        "service_name": q.service_name,
                        "fee": q.fee,
                        "expected_delivery_at": q.expected_delivery_at,
                    }
                    for q in cq.quotes
                ],
            }
            for cq in services.shipment_quotes(order=order, draft=draft)
        ],
    }


@router.post(
    "/orders/{code}/shipments",
    response={202: ShipmentOut},
    summary="Send an order to a carrier (answered before the carrier does)",
)
def create_shipment(request, code: str, payload: ShipmentIn):
    """An order whose stock sits in several warehouses ships as one parcel from each: the
    answer is the first parcel, `parcels` lists them all (their COD adds up to what the order
    still owes, or to a lower `cod_amount` a manager gives with `cod_reason`)."""
    request.principal.require("shipping.add_shipment")  # before the body's ids are looked up
    order = _order(code)
    values = payload.dict()
    account = _account(values.pop("carrier_account_id"))
    shipment = services.shipment_create(
        order=order, account=account, actor=request.principal, **values
    )
    return Status(202, _shipment_out(selectors.shipment_get(pk=shipment.pk)))


@router.get("/shipments", response=ShipmentPage, summary="List shipments")
def list_shipments(
    request,
    carrier_account_id: int | None = None,
    status: str = Query("", description="One of our statuses, e.g. delivering, delivery_failed"),
    late: bool = Query(False, description="Only those past the expected delivery"),
    needs_action: bool = Query(
        False, description="Failed deliveries and shipments the carrier refused"
    ),
    order: str = Query("", description="An order code, tracking number or our reference"),
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=1_000_000_000),
):
    """Newest first (late: oldest expected delivery first); events are left out."""
    request.principal.require("shipping.view_shipment")
    if status and status not in STATUS_VALUES:
        raise ValidationFailed(_("Unknown status."), fields={"status": ", ".join(STATUS_VALUES)})
    shipments = selectors.shipment_list(
        account_id=carrier_account_id,
        status=status,
        late=late,
        needs_action=needs_action,
        q=order,
    )
    return {
        "count": shipments.count(),
        "limit": limit,
        "offset": offset,
        "items": [
            _shipment_out(s, with_events=False)
            for s in selectors.with_parcels(shipments)[offset : offset + limit]
        ],
    }


@router.get("/shipments/{shipment_id}", response=ShipmentOut, summary="One shipment with events")
def get_shipment(request, shipment_id: int):
    request.principal.require("shipping.view_shipment")
    return _shipment_out(_shipment(shipment_id))


@router.post(
    "/shipments/{shipment_id}/cancel",
    response=ShipmentOut,
    summary="Cancel a shipment before the carrier picks it up",
)
def cancel_shipment(request, shipment_id: int):
    """Without a tracking number yet, the carrier may still be creating the parcel: then the
    answer has `send_state` "cancel_requested" and the cancel completes once it answers."""
    request.principal.require("shipping.change_shipment")
    shipment = services.shipment_cancel(shipment=_shipment(shipment_id), actor=request.principal)
    return _shipment_out(selectors.shipment_get(pk=shipment.pk))


# --- COD -------------------------------------------------------------------------------------


@router.get(
    "/cod/outstanding",
    response=OutstandingPage,
    summary="COD the carriers still owe: delivered, not paid out",
)
def cod_outstanding(request):
    request.principal.require("shipping.view_codpayout")
    rows = selectors.cod_outstanding()
    return {
        "total": sum(r["amount"] for r in rows),
        "carriers": [
            {
                "carrier_account_id": r["account"].pk,
                "carrier": r["account"].provider,
                "name": r["account"].name,
                "shipments": r["shipments"],
                "amount": r["amount"],
            }
            for r in rows
        ],
    }


@router.post(
    "/cod/payouts",
    response={201: PayoutOut},
    summary="Record a carrier's COD payout and match it to shipments",
)
def record_payout(request, payload: PayoutIn):
    """Lines are matched by tracking number. COD is compared with what the order still owes
    (`cod_difference` < 0: the payout leaves the order short); that, fee differences and
    unknown tracking numbers are flagged in `problem`. Delivered COD orders that are now paid become completed.
    A statement reference already recorded for the carrier answers 409."""
    request.principal.require("shipping.reconcile_cod")  # before the body's ids are looked up
    payout = services.cod_payout_record(
        account=_account(payload.carrier_account_id),
        paid_at=payload.paid_at,
        reference=payload.reference,
        lines=[
            services.PayoutLineInput(ln.tracking_code, ln.cod_amount, ln.fee)
            for ln in payload.lines
        ],
        actor=request.principal,
    )
    payout = selectors.cod_payout_get(pk=payout.pk)
    return Status(
        201,
        {
            "id": payout.pk,
            "carrier_account_id": payout.account_id,
            "paid_at": payout.paid_at,
            "reference": payout.reference,
            "lines": [
                {
                    "tracking_code": ln.tracking_code,
                    "shipment_id": ln.shipment_id,
                    "order": ln.shipment.order.code if ln.shipment else None,
                    "cod_amount": ln.cod_amount,
                    "fee": ln.fee,
                    "cod_difference": ln.cod_difference,
                    "fee_difference": ln.fee_difference,
                    "problem": ln.problem,
                }
                for ln in payout.lines.all()
            ],
        },
    )
