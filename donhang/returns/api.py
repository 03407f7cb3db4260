"""Returns API: open a return of an order (staff, or the shop's website for its customer),
list and read returns, receive, inspect and refund. Money is integer VND."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from donhang.core.errors import NotFound, ValidationFailed
from donhang.orders.selectors import order_get
from donhang.returns import selectors, services
from donhang.returns.models import Return, Source

router = Router(tags=["returns"])


class ReturnLineIn(Schema):
    sku: str = Field("", description="The SKU as on the order (or order_line_id)")
    order_line_id: int | None = Field(None, ge=1, le=2**62)
    quantity: int = Field(..., ge=1, le=1_000_000)
    reason: str = Field("", description="Default: the return's reason")


class ReturnIn(Schema):
    lines: list[ReturnLineIn]
    reason: str = Field(
        "other",
        description="changed_mind, wrong_size, wrong_item, defective, damaged_in_transit, "
        "not_as_described, undelivered or other",
    )
    note: str = ""
    source: str = Field(
        "staff", description="staff, or customer (the shop's website asking for its customer)"
    )


class ReturnLineOut(Schema):
    id: int
    order_line_id: int
    sku: str
    name: str
    quantity: int
    reason: str
    good: int
    damaged: int
    missing: int
    good_warehouse: str | None
    damage_note: str
    has_photo: bool


class RefundOut(Schema):
    id: int
    amount: int
    method: str
    status: str = Field(..., description="pending (to pay), refunded or cancelled")
    includes_shipping: bool
    bank_bin: str
    bank_account: str
    account_holder: str
    reference: str
    vietqr: str = Field("", description="VietQR payload of a bank transfer waiting to be paid")
    created_at: datetime
    refunded_at: datetime | None


class ReturnOut(Schema):
    id: int
    code: str
    order: str
    state: str = Field(..., description="requested, received, inspected, closed or cancelled")
    source: str
    reason: str
    note: str
    external_id: str
    from_parcel: bool
    at_counter: bool
    warehouse: str | None
    exchange_order: str | None
    exchange_credit: int
    refund_default: int | None = Field(
        None, description="What a refund starts from now (VND); in one return's answers only"
    )
    invoice_action: str = Field(..., description="'', adjustment or replacement (prepared)")
    invoice_correction_id: int | None
    created_at: datetime
    received_at: datetime | None
    inspected_at: datetime | None
    closed_at: datetime | None
    lines: list[ReturnLineOut]
    refunds: list[RefundOut]


class ReturnPageOut(Schema):
    items: list[ReturnOut]
    count: int
    offset: int
    limit: int


def return_out(goods_return: Return, *, with_refund_default: bool = True) -> dict:
    return {
        "id": goods_return.pk,
        "code": goods_return.code,
        "order": goods_return.order.code,
        "state": goods_return.state,
        "source": goods_return.source,
        "reason": goods_return.reason,
        "note": goods_return.note,
        "external_id": goods_return.external_id,
        "from_parcel": goods_return.from_parcel,
        "at_counter": goods_return.at_counter,
        "warehouse": goods_return.warehouse.code if goods_return.warehouse_id else None,
        "exchange_order": goods_return.exchange_order.code
        if goods_return.exchange_order_id
        else None,
        "exchange_credit": goods_return.exchange_credit,
        "refund_default": (
            services.refund_default(goods_return)
            if with_refund_default and goods_return.state != "cancelled"
            else None
        ),
        "invoice_action": goods_return.invoice_action,
        "invoice_correction_id": goods_return.invoice_correction_id,
        "created_at": goods_return.created_at,
        "received_at": goods_return.received_at,
        "inspected_at": goods_return.inspected_at,
        "closed_at": goods_return.closed_at,
        "lines": [
            {
                "id": ln.pk,
                "order_line_id": ln.order_line_id,
                "sku": ln.sku,
                "name": ln.name,
                "quantity": ln.quantity,
                "reason": ln.reason,
                "good": ln.good_quantity,
                "damaged": ln.damaged_quantity,
                "missing": ln.missing_quantity,
                "good_warehouse": ln.good_warehouse.code if ln.good_warehouse_id else None,
                "damage_note": ln.damage_note,
                "has_photo": bool(ln.damage_photo),
            }
            for ln in goods_return.lines.all()
        ],
        "refunds": [
            {
                "id": r.pk,
                "amount": r.amount,
                "method": r.method,
                "status": r.status,
                "includes_shipping": r.includes_shipping,
                "bank_bin": r.bank_bin,
                "bank_account": r.bank_account,
                "account_holder": r.account_holder,
                "reference": r.reference,
                "vietqr": services.refund_qr_payload(r) if r.status == "pending" else "",
                "created_at": r.created_at,
                "refunded_at": r.refunded_at,
            }
            for r in goods_return.refunds.all()
        ],
    }


def _get(return_id: int) -> Return:
    goods_return = selectors.return_get(return_id)
    if goods_return is None:
        raise NotFound(
            _("Return %(id)s does not exist.") % {"id": return_id},
            fields={"id": _("Unknown return.")},
        )
    return goods_return


@router.post(
    "/orders/{code}/returns",
    response={201: ReturnOut},
    summary="Open a return of an order",
    description=(
        "Some or all units of an order that left the warehouse, each line with its quantity and "
        "reason. `source: customer` when the shop's website asks on its customer's behalf. 409 "
        "when the order takes no return (not shipped), 422 naming the line when more units "
        "than left (and are not already in a return) are asked back."
    ),
)
def create_return(request, code: str, payload: ReturnIn):
    request.principal.require("returns.add_return")
    if payload.source not in (Source.STAFF, Source.CUSTOMER):
        raise ValidationFailed(
            _("Some fields are not valid."),
            fields={"source": _("Choose staff or customer.")},
        )
    order = order_get(code=code.strip().upper())
    if order is None:
        raise NotFound(
            _("Order %(code)s does not exist.") % {"code": code},
            fields={"code": _("Unknown order.")},
        )
    goods_return = services.return_create(
        order=order,
        lines=[
            services.ReturnLineInput(
                order_line_id=ln.order_line_id, sku=ln.sku, quantity=ln.quantity, reason=ln.reason
            )
            for ln in payload.lines
        ],
        reason=payload.reason,
        note=payload.note,
        source=payload.source,
        actor=request.principal,
    )
    return Status(201, return_out(_get(goods_return.pk)))


class ReturnQuery(Schema):
    state: str = ""
    source: str = ""
    order: str = Field("", description="Order code")
    q: str = Field("", description="Return or order code, phone or customer name")
    offset: int = Field(0, ge=0, le=1_000_000)
    limit: int = Field(50, ge=1, le=200)


@router.get("/returns", response=ReturnPageOut, summary="List returns, newest first")
def list_returns(request, query: Query[ReturnQuery]):
    request.principal.require("returns.view_return")
    qs = selectors.return_list(
        selectors.ReturnFilters(
            state=query.state, source=query.source, q=query.q, order_code=query.order
        )
    ).prefetch_related("lines__good_warehouse", "refunds__order")
    count = qs.count()
    items = list(qs[query.offset : query.offset + query.limit])
    return {
        "items": [return_out(r, with_refund_default=False) for r in items],
        "count": count,
        "offset": query.offset,
        "limit": query.limit,
    }


@router.get("/returns/{return_id}", response=ReturnOut, summary="One return")
def get_return(request, return_id: int):
    request.principal.require("returns.view_return")
    return return_out(_get(return_id))


class ReceiveIn(Schema):
    warehouse: str = Field(..., description="Warehouse code")
    at_counter: bool = Field(
        False, description="Handed in at the counter: inspected on the spot, nothing waits"
    )


@router.post(
    "/returns/{return_id}/receive",
    response=ReturnOut,
    summary="The goods arrived: they wait for inspection",
)
def receive_return(request, payload: ReceiveIn, return_id: int):
    request.principal.require("returns.receive_return")
    goods_return = _get(return_id)
    warehouse = selectors.warehouse_by_code(payload.warehouse)
    if warehouse is None:
        raise NotFound(
            _("Warehouse %(code)s does not exist.") % {"code": payload.warehouse},
            fields={"warehouse": _("Unknown warehouse.")},
        )
    services.return_receive(
        goods_return=goods_return,
        warehouse=warehouse,
        at_counter=payload.at_counter,
        actor=request.principal,
    )
    return return_out(_get(return_id))


class InspectLineIn(Schema):
    line_id: int = Field(..., ge=1, le=2**62, description="A line of the return (lines[].id)")
    good: int = Field(0, ge=0, le=1_000_000)
    damaged: int = Field(0, ge=0, le=1_000_000)
    missing: int = Field(0, ge=0, le=1_000_000)
    warehouse: str = Field("", description="Where good units go (code); default: where received")
    note: str = Field("", description="The damage (required when damaged > 0)")


class InspectIn(Schema):
    lines: list[InspectLineIn]


@router.post(
    "/returns/{return_id}/inspect",
    response=ReturnOut,
    summary="What the inspection found, for every line",
    description=(
        "good + damaged + missing = the line's quantity. Good units go back to sellable stock at "
        "the cost they left with; damaged units are written off (photos: on the return's page)."
    ),
)
def inspect_return(request, payload: InspectIn, return_id: int):
    request.principal.require("returns.inspect_return")
    goods_return = _get(return_id)
    codes = {ln.warehouse for ln in payload.lines if ln.warehouse}
    warehouses = selectors.warehouses_by_code(codes)
    unknown = codes - set(warehouses)
    if unknown:
        raise NotFound(
            _("Warehouse %(code)s does not exist.") % {"code": ", ".join(sorted(unknown))},
            fields={"warehouse": _("Unknown warehouse.")},
        )
    services.return_inspect(
        goods_return=goods_return,
        lines=[
            services.InspectionInput(
                line_id=ln.line_id,
                good=ln.good,
                damaged=ln.damaged,
                missing=ln.missing,
                warehouse_id=warehouses[ln.warehouse].pk if ln.warehouse else None,
                note=ln.note,
            )
            for ln in payload.lines
        ],
        actor=request.principal,
    )
    return return_out(_get(return_id))


class RefundIn(Schema):
    method: str = Field(..., description="cash, bank_transfer or marketplace")
    amount: int | None = Field(
        None, ge=1, le=1_000_000_000_000, description="Default: refund_default"
    )
    include_shipping: bool = False
    bank_bin: str = Field("", description="The customer's bank (6-digit BIN)")
    bank_account: str = ""
    account_holder: str = ""
    reference: str = ""
    paid: bool | None = Field(
        None,
        description="Default: cash and marketplace refunds are recorded at once; a bank "
        "transfer waits (with its VietQR code) until marked paid",
    )


@router.post(
    "/returns/{return_id}/refund",
    response={201: ReturnOut},
    summary="Refund the return",
    description=(
        "Recorded as a negative payment of the order (payment status partly refunded / "
        "refunded). 409 `refund_exceeds_paid` when the amount is above what was paid less "
        "refunds waiting."
    ),
)
def refund_return(request, payload: RefundIn, return_id: int):
    request.principal.require("orders.refund_payment")
    goods_return = _get(return_id)
    services.refund_create(
        goods_return=goods_return,
        method=payload.method,
        amount=payload.amount,
        include_shipping=payload.include_shipping,
        bank_bin=payload.bank_bin,
        bank_account=payload.bank_account,
        account_holder=payload.account_holder,
        reference=payload.reference,
        paid=payload.paid,
        actor=request.principal,
    )
    return Status(201, return_out(_get(return_id)))
