"""Public order API: the shop's website and other systems send orders here."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import prefetch_related_objects
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from donhang.catalog.models import Variant
from donhang.core import rawsql
from donhang.core.errors import DomainError, NotFound, ValidationFailed
from donhang.core.money import VAT_RATE_ORDER
from donhang.inventory.models import StockLevel, Warehouse
from donhang.orders import selectors, services
from donhang.orders.models import Channel, IdempotencyRecord, Order
from donhang.orders.timeline import event_text

router = Router(tags=["orders"])


class OrderAddressIn(Schema):
    line: str = ""
    ward: int | str | None = Field(
        None, description="Ward code (or exact name) under the 2025 units"
    )
    province: int | str | None = Field(None, description="Province code (or name)")


class OrderCustomerIn(Schema):
    name: str
    phone: str = Field("", description="Vietnamese phone; stored as +84…")
    email: str = ""
    address: OrderAddressIn | None = None


class LineIn(Schema):
    sku: str
    quantity: int
    unit_price: int | None = Field(
        None, description="VND incl. VAT; default: the variant's sale price"
    )
    discount: int = Field(0, description="VND off this line")
    discount_percent: Decimal | None = Field(
        None, description="Or a percentage (0–100) of quantity × unit price off this line"
    )


class OrderDiscountIn(Schema):
    amount: int | None = Field(None, description="VND off the order")
    percent: Decimal | None = Field(None, description="Or a percentage (0–100) of the lines")
    funded_by: str = Field(
        "seller",
        description="seller: spread over the lines, lowers the VAT base; platform: a "
        "marketplace voucher the platform pays to the seller (lowers what the buyer pays)",
    )


class BuyerIn(Schema):
    kind: str = Field("individual", description="individual or company")
    company_name: str = ""
    tax_code: str = Field(
        "", description="10 digits, 10-3 for a branch, or an individual's 12-digit ID number"
    )
    address: str = Field("", description="Address printed on the invoice")
    email: str = Field("", description="Where the e-invoice is sent")
    wants_invoice: bool = False


class OrderIn(Schema):
    channel: str = "website"
    external_id: str = Field("", description="The channel's own order id; unique per channel")
    customer: OrderCustomerIn
    lines: list[LineIn]
    shipping_fee: int = 0
    shipping_fee_payer: str = "buyer"
    payment_method: str = Field("cod", description="cod, bank_transfer or marketplace_prepaid")
    order_discount: OrderDiscountIn | None = None
    buyer: BuyerIn | None = Field(
        None, description="Who the invoice is made out to; default: the customer's last details"
    )
    note: str = ""
    allow_backorder: bool = Field(
        True, description="false: answer 409 and create nothing unless every unit can be reserved"
    )


class OrderLineOut(Schema):
    sku: str
    name: str
    quantity: int
    unit_price: int = Field(..., description="VND incl. VAT")
    discount: int = Field(..., description="Seller discount on the line: its own + its share")
    line_discount: int = Field(..., description="The line's own discount")
    discount_percent: Decimal | None
    order_discount: int = Field(..., description="Its share of the order's seller discount")
    gross: int = Field(..., description="What the buyer pays for the line, VAT included")
    net: int = Field(..., description="gross without VAT")
    vat: int = Field(..., description="net + vat = gross")
    vat_rate: str
    reserved: int
    short: int


class VatRowOut(Schema):
    rate: str
    gross: int
    net: int
    vat: int


class OrderBuyerOut(Schema):
    kind: str
    company_name: str
    tax_code: str
    address: str
    email: str
    wants_invoice: bool


class PaymentOut(Schema):
    method: str
    amount: int
    fee: int
    reference: str
    paid_on: date


class OrderAddressOut(Schema):
    line: str
    ward: int | None
    ward_name: str
    province: int | None
    province_name: str


class OrderCustomerOut(Schema):
    id: int
    name: str
    phone: str
    email: str


class OrderEventOut(Schema):
    at: datetime
    actor: str
    kind: str
    code: str
    params: dict
    text: str = Field(..., description="What happened, in the reader's language")
    from_status: str
    to_status: str
    from_sub_state: str
    to_sub_state: str
    message: str


class StoreOut(Schema):
    id: int
    channel: str
    external_id: str = Field(..., description="The shop's id on the channel")
    name: str


class OrderOut(Schema):
    code: str
    channel: str
    store: StoreOut | None = Field(None, description="The shop of the channel (marketplaces)")
    external_id: str
    status: str
    sub_state: str
    customer: OrderCustomerOut
    shipping_address: OrderAddressOut
    payment_method: str
    shipping_fee: int
    shipping_fee_payer: str
    goods_total: int
    discount_total: int = Field(..., description="Seller-funded discounts (lines and order)")
    order_discount: int
    platform_discount: int = Field(..., description="Platform-funded voucher")
    vat_total: int
    total: int
    buyer_owes: int = Field(..., description="total − platform voucher")
    cod_amount: int
    vat_breakdown: list[VatRowOut] = []
    return_state: str = Field(
        "", description="'', partial (some units came back through returns) or full"
    )
    returned_quantity: int = Field(0, description="Units that came back through returns")
    payment_status: str = Field(
        ..., description="unpaid, partly_paid, paid, partly_refunded or refunded"
    )
    paid_total: int
    refunded_total: int
    fees_total: int
    outstanding: int
    buyer: OrderBuyerOut
    payments: list[PaymentOut] = []
    note: str
    warehouse: str | None
    created_at: datetime
    lines: list[OrderLineOut] = []
    events: list[OrderEventOut] = []


class OrderPageOut(Schema):
    items: list[OrderOut]
    next_cursor: int | None
    counts: dict[str, int] = Field(
        ...,
        description="Orders per status and `all`: exact for the status, sub_state, channel and "
        "store filters; with any other filter each is counted up to 50 (see counts_at_least)",
    )
    counts_at_least: list[str] = Field(
        [], description="The counts that stopped at the bound: there are at least that many"
    )


class ReasonIn(Schema):
    reason: str = ""


def order_out(order: Order, *, with_lines: bool = True, with_events: bool = False) -> dict:
    data = {
        "code": order.code,
        "channel": order.channel,
        "store": (
            {
                "id": order.store.pk,
                "channel": order.store.channel,
                "external_id": order.store.external_id,
                "name": order.store.name,
            }
            if order.store_id
            else None
        ),
        "external_id": order.external_id,
        "status": order.status,
        "sub_state": order.sub_state,
        "customer": {
            "id": order.customer_id,
            "name": order.customer_name,
            "phone": order.customer_phone,
            "email": order.customer_email,
        },
        "shipping_address": {
            "line": order.shipping_address_line,
            "ward": order.shipping_ward_id,
            "ward_name": order.shipping_ward.name if order.shipping_ward_id else "",
            "province": order.shipping_province_id,
            "province_name": order.shipping_province.name if order.shipping_province_id else "",
        },
        "payment_method": order.payment_method,
        "shipping_fee": order.shipping_fee,
        "shipping_fee_payer": order.shipping_fee_payer,
        "goods_total": order.goods_total,
        "discount_total": order.discount_total,
        "order_discount": order.order_discount,
        "platform_discount": order.platform_discount,
        "vat_total": order.vat_total,
        "total": order.total,
        "buyer_owes": order.buyer_owes,
        "cod_amount": order.cod_amount,
        "vat_breakdown": [],
        "return_state": order.return_state,
        "returned_quantity": order.returned_quantity,
        "payment_status": order.payment_status,
        "paid_total": order.paid_total,
        "refunded_total": order.refunded_total,
        "fees_total": order.fees_total,
        "outstanding": order.outstanding,
        "buyer": {
            "kind": order.buyer_kind,
            "company_name": order.buyer_company_name,
            "tax_code": order.buyer_tax_code,
            "address": order.buyer_address,
            "email": order.buyer_email,
            "wants_invoice": order.wants_invoice,
        },
        "payments": [],
        "note": order.note,
        "warehouse": order.warehouse.code if order.warehouse_id else None,
        "created_at": order.created_at,
        "lines": [],
        "events": [],
    }
    if with_lines:
        data["lines"] = [
            {
                "sku": ln.sku,
                "name": ln.name,
                "quantity": ln.quantity,
                "unit_price": ln.unit_price,
                "discount": ln.discount + ln.order_discount,
                "line_discount": ln.discount,
                "discount_percent": ln.discount_percent,
                "order_discount": ln.order_discount,
                "gross": ln.gross,
                "net": ln.net,
                "vat": ln.vat,
                "vat_rate": ln.vat_rate,
                "reserved": ln.reserved_quantity,
                "short": ln.quantity - ln.reserved_quantity,
            }
            for ln in order.lines.all()
        ]
        data["vat_breakdown"] = [
            {"rate": r.rate, "gross": r.gross, "net": r.net, "vat": r.vat}
            for r in sorted(order.vat_lines.all(), key=lambda r: VAT_RATE_ORDER.index(r.rate))
        ]
    if with_events:
        data["payments"] = [
            {
                "method": p.method,
                "amount": p.amount,
                "fee": p.fee,
                "reference": p.reference,
                "paid_on": p.paid_on,
            }
            for p in order.payments.all()
        ]
        data["events"] = [
            {
                "at": ev.at,
                "actor": ev.actor_label,
                "kind": ev.kind,
                "code": ev.code,
                "params": ev.params,
                "text": event_text(ev.code, ev.params),
                "from_status": ev.from_status,
                "to_status": ev.to_status,
                "from_sub_state": ev.from_sub_state,
                "to_sub_state": ev.to_sub_state,
                "message": ev.message,
            }
            for ev in order.events.all()
        ]
    return data


def _scope(request) -> str:
    principal = request.principal
    if principal.api_key is not None:
        return f"key:{principal.api_key.pk}"
    return f"user:{principal.user.pk}"


def _json_text(data) -> str:
    """The JSON of an answer as ninja renders it (DjangoJSONEncoder: datetimes in ISO 8601 to
    the millisecond, decimals as strings), so that a replay answers the same bytes."""
    return json.dumps(data, cls=DjangoJSONEncoder)


@router.post(
    "/orders",
    response={201: OrderOut},
    summary="Create an order",
    description=(
        "Send an `Idempotency-Key` header (any unique string, e.g. your order id): a repeated "
        "key returns the first answer and never creates a second order. Stock is reserved at "
        "once; with `allow_backorder: false` an order that cannot be fully reserved answers 409 "
        "and nothing is created."
    ),
)
def create_order(request, payload: OrderIn):
    request.principal.require("orders.add_order")
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > 255:
        raise ValidationFailed(
            _("Idempotency-Key is too long."),
            fields={"Idempotency-Key": _("At most 255 characters.")},
        )
    fingerprint = hashlib.sha256(request.body).hexdigest()
    scope = _scope(request)
    if key:
        replay = _replay(scope, key, fingerprint)
        if replay is not None:
            return replay
    customer = payload.customer
    address = customer.address or OrderAddressIn()
    answer: dict = {}

    def remember(order: Order) -> None:
        # Inside the order's transaction: the answer is built from what was just written (no
        # read back) and, with a key, stored with the order so that both commit or neither.
        answer["text"] = _json_text(order_out(order))
        answer["body"] = json.loads(answer["text"])
        if key:
            rawsql.insert(
                [
                    IdempotencyRecord(
                        scope=scope,
                        key=key,
                        fingerprint=fingerprint,
                        status_code=201,
                        body=answer["body"],
                    )
                ]
            )

    try:
        services.order_create(
            channel=payload.channel,
            external_id=payload.external_id,
            customer=services.CustomerInput(
                name=customer.name,
                phone=customer.phone,
                email=customer.email,
                address=services.AddressInput(
                    line=address.line, ward=address.ward, province=address.province
                ),
            ),
            lines=[
                services.LineInput(
                    sku=ln.sku,
                    quantity=ln.quantity,
                    unit_price=ln.unit_price,
                    discount=ln.discount,
                    discount_percent=ln.discount_percent,
                )
                for ln in payload.lines
            ],
            discounts=[
                services.DiscountInput(
                    amount=payload.order_discount.amount,
                    percent=payload.order_discount.percent,
                    funded_by=payload.order_discount.funded_by,
                )
            ]
            if payload.order_discount
            else None,
            buyer=services.BuyerInput(**payload.buyer.dict()) if payload.buyer else None,
            shipping_fee=payload.shipping_fee,
            shipping_fee_payer=payload.shipping_fee_payer,
            payment_method=payload.payment_method,
            note=payload.note,
            allow_backorder=payload.allow_backorder,
            actor=request.principal,
            on_created=remember,
        )
    except IntegrityError:
        # The same key raced in from another request and committed first: answer as it did.
        replay = _replay(scope, key, fingerprint) if key else None
        if replay is not None:
            return replay
        raise
    except DomainError as exc:
        if key and exc.status_code in (409, 422):
            error = {"error": {"code": exc.code, "message": exc.message, "fields": exc.fields}}
            try:
                with transaction.atomic():
                    IdempotencyRecord.objects.create(
                        scope=scope,
                        key=key,
                        fingerprint=fingerprint,
                        status_code=exc.status_code,
                        body=error,
                    )
            except IntegrityError:
                pass
        raise
    # The answer as rendered above: order_out() is OrderOut's shape (a replay answers the same
    # bytes), so it is not validated again against the schema.
    return HttpResponse(answer["text"], status=201, content_type="application/json; charset=utf-8")


def _replay(scope: str, key: str, fingerprint: str):
    # On every keyed request: one statement on the unique (scope, key), built once (core.rawsql).
    found = rawsql.select(
        IdempotencyRecord, "t0.scope = %s AND t0.key = %s", [scope, key], tail="LIMIT 1"
    )
    record = found[0] if found else None
    if record is None:
        return None
    if record.fingerprint != fingerprint:
        raise ValidationFailed(
            _("This Idempotency-Key was already used with a different request body."),
            fields={"Idempotency-Key": _("Use a new key for a new order.")},
            code="idempotency_key_reused",
        )
    response = JsonResponse(record.body, status=record.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


class OrderQuery(Schema):
    status: str = ""
    sub_state: str = ""
    channel: str = ""
    store: int | None = Field(None, ge=1, le=2**62, description="Shop id (marketplace shops)")
    warehouse: str = Field("", description="Warehouse code")
    payment_method: str = ""
    date_from: date | None = None
    date_to: date | None = None
    q: str = Field("", description="Order code, channel order id, phone or customer name")
    cursor: int | None = Field(None, ge=1, le=2**62, description="next_cursor of the previous page")
    limit: int = Field(50, ge=1, le=200)


@router.get("/orders", response=OrderPageOut, summary="List orders, newest first")
def list_orders(request, query: Query[OrderQuery]):
    request.principal.require("orders.view_order")
    warehouse_id = None
    if query.warehouse:
        warehouse_id = (
            Warehouse.objects.filter(code=query.warehouse).values_list("pk", flat=True).first()
            or -1
        )
    page = selectors.order_list(
        filters=selectors.OrderFilters(
            status=query.status,
            sub_state=query.sub_state,
            channel=query.channel,
            store=query.store,
            warehouse=warehouse_id,
            payment_method=query.payment_method,
            date_from=query.date_from,
            date_to=query.date_to,
            q=query.q,
        ),
        after=query.cursor,
        limit=query.limit,
    )
    prefetch_related_objects(page.orders, "lines", "shipping_ward", "vat_lines")
    return {
        "items": [order_out(o) for o in page.orders],
        "next_cursor": page.next_cursor,
        "counts": page.counts,
        "counts_at_least": sorted(page.counts_capped),
    }


def _get(code: str) -> Order:
    order = selectors.order_get(code=code)
    if order is None:
        raise NotFound(
            _("Order %(code)s does not exist.") % {"code": code},
            fields={"code": _("Unknown order.")},
        )
    return order


@router.get("/orders/{code}", response=OrderOut, summary="One order with its lines and timeline")
def get_order(request, code: str):
    request.principal.require("orders.view_order")
    return order_out(_get(code), with_events=True)


@router.post("/orders/{code}/confirm", response=OrderOut, summary="Confirm a new order")
def confirm_order(request, code: str):
    request.principal.require("orders.confirm_order")
    services.order_confirm(order=_get(code), actor=request.principal)
    return order_out(_get(code), with_events=True)


@router.post(
    "/orders/{code}/cancel",
    response=OrderOut,
    summary="Cancel an order; its stock is freed",
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": ReasonIn.model_json_schema()}},
        }
    },
)
def cancel_order(request, code: str):
    request.principal.require("orders.cancel_order")
    reason = ""
    if request.body.strip() and request.content_type == "application/json":
        try:
            reason = ReasonIn.model_validate_json(request.body).reason
        except ValueError as exc:
            raise ValidationFailed(
                _('Send a JSON body like {"reason": "…"}, or no body.'),
                fields={"reason": _("Not valid JSON.")},
            ) from exc
    services.order_cancel(order=_get(code), reason=reason, actor=request.principal)
    return order_out(_get(code), with_events=True)


class OrderPatchIn(Schema):
    address: OrderAddressIn | None = Field(None, description="New delivery address")
    shipping_fee: int | None = None
    shipping_fee_payer: str | None = None
    payment_method: str | None = None
    order_discount: OrderDiscountIn | None = Field(
        None, description="Replaces the order's discounts; {} removes them"
    )
    buyer: BuyerIn | None = None


@router.patch(
    "/orders/{code}",
    response=OrderOut,
    summary="Edit an order before it is handed over (address, fee, payment, discount, buyer)",
    description=(
        "Fields left out stay as they are. Every change is a revision on the timeline (before → "
        "after); a change to a packed order sends it back to packing. After an e-invoice is "
        "issued the money is frozen (409 `money_locked`)."
    ),
)
def patch_order(request, code: str, payload: OrderPatchIn):
    request.principal.require("orders.change_order")
    sent = payload.model_dump(exclude_unset=True)
    discounts = None
    if "order_discount" in sent:
        d = payload.order_discount
        discounts = (
            [services.DiscountInput(amount=d.amount, percent=d.percent, funded_by=d.funded_by)]
            if d is not None and (d.amount is not None or d.percent is not None)
            else []
        )
    address = payload.address
    services.order_update(
        order=_get(code),
        address=services.AddressInput(
            line=address.line, ward=address.ward, province=address.province
        )
        if address is not None
        else None,
        shipping_fee=payload.shipping_fee,
        shipping_fee_payer=payload.shipping_fee_payer,
        payment_method=payload.payment_method,
        discounts=discounts,
        buyer=services.BuyerInput(**payload.buyer.dict()) if payload.buyer else None,
        actor=request.principal,
    )
    return order_out(_get(code), with_events=True)


class PaymentIn(Schema):
    method: str = Field(
        ..., description="cod_payout, bank_transfer, cash, card or marketplace_settlement"
    )
    amount: int = Field(..., description="VND received; negative for a refund")
    fee: int = Field(0, description="VND withheld by the carrier or platform")
    reference: str = ""
    paid_on: date | None = None
    note: str = ""


@router.post(
    "/orders/{code}/payments",
    response={201: OrderOut},
    summary="Record money received for an order (or refunded, with a negative amount)",
)
def record_payment(request, code: str, payload: PaymentIn):
    request.principal.require(
        "orders.refund_payment" if payload.amount < 0 else "orders.add_payment"
    )
    services.order_payment_record(
        order=_get(code),
        method=payload.method,
        amount=payload.amount,
        fee=payload.fee,
        reference=payload.reference,
        paid_on=payload.paid_on,
        note=payload.note,
        actor=request.principal,
    )
    return Status(201, order_out(_get(code), with_events=True))


# --- stock -----------------------------------------------------------------------------------

stock_router = Router(tags=["stock"])


class StockLevelOut(Schema):
    warehouse: str
    warehouse_name: str
    on_hand: int
    reserved: int
    available: int


class StockOut(Schema):
    sku: str
    on_hand: int
    reserved: int
    available: int
    returned_to_inspect: int = 0
    channel: str | None = Field(None, description="The channel asked for, if any")
    available_to_promise: int | None = Field(
        None,
        description="What the channel may sell: on hand − reserved over the warehouses of its "
        "rules (a warehouse short of its reservations counts 0; returned parcels never count)",
    )
    warehouses: list[StockLevelOut]


class StockMovementIn(Schema):
    sku: str
    warehouse: str = Field(..., description="Warehouse code")
    delta: int = Field(..., description="Units added (positive) or removed (negative)")
    reason: str = Field(..., description="Why: found in stocktake, broken, lost…")


class StockMovementOut(Schema):
    id: int
    sku: str
    warehouse: str
    delta: int
    kind: str
    reason: str
    at: datetime
    on_hand: int
    available: int


def _variant_by_sku(sku: str):
    variant = Variant.objects.filter(sku=sku.strip()).first()
    if variant is None:
        raise NotFound(
            _("Unknown product SKU “%(sku)s”.") % {"sku": sku}, fields={"sku": _("Unknown SKU.")}
        )
    return variant


def _stock_out(variant) -> dict:
    levels = list(
        StockLevel.objects.filter(variant=variant)
        .select_related("warehouse")
        .order_by("warehouse__priority", "warehouse__code")
    )
    rows = [
        {
            "warehouse": lvl.warehouse.code,
            "warehouse_name": lvl.warehouse.name,
            "on_hand": lvl.on_hand,
            "reserved": lvl.reserved,
            "available": lvl.on_hand - lvl.reserved,
        }
        for lvl in levels
    ]
    return {
        "sku": variant.sku,
        "on_hand": sum(r["on_hand"] for r in rows),
        "reserved": sum(r["reserved"] for r in rows),
        "available": sum(r["available"] for r in rows),
        "returned_to_inspect": sum(getattr(lvl, "returned", 0) for lvl in levels),
        "warehouses": rows,
    }


@stock_router.get(
    "/stock",
    response=StockOut,
    summary="Stock of one SKU per warehouse; with a channel, what that channel may sell",
)
def get_stock(request, sku: str, channel: str = ""):
    request.principal.require("inventory.view_stocklevel")
    variant = _variant_by_sku(sku)
    data = _stock_out(variant)
    if channel:
        if channel not in Channel.values:
            raise ValidationFailed(
                _("Unknown channel."),
                fields={"channel": _("One of: %(list)s.") % {"list": ", ".join(Channel.values)}},
            )
        data["channel"] = channel
        data["available_to_promise"] = selectors.channel_available_to_promise(
            channel=channel, variant_ids=[variant.pk]
        )[variant.pk]
    return data


@stock_router.post(
    "/stock/movements",
    response={201: StockMovementOut},
    summary="Adjust stock with a reason (managers and owners)",
)
def post_stock_movement(request, payload: StockMovementIn):
    request.principal.require("inventory.add_stockmovement")
    variant = _variant_by_sku(payload.sku)
    warehouse = Warehouse.objects.filter(code=payload.warehouse.strip().upper()).first()
    if warehouse is None:
        raise ValidationFailed(
            _("Unknown warehouse."), fields={"warehouse": _("Unknown warehouse code.")}
        )
    movement = services.stock_adjust(
        variant=variant,
        warehouse=warehouse,
        delta=payload.delta,
        reason=payload.reason,
        actor=request.principal,
    )
    level = StockLevel.objects.get(variant=variant, warehouse=warehouse)
    return Status(
        201,
        {
            "id": movement.pk,
            "sku": variant.sku,
            "warehouse": warehouse.code,
            "delta": movement.delta,
            "kind": movement.kind,
            "reason": movement.reason,
            "at": movement.at,
            "on_hand": level.on_hand,
            "available": level.on_hand - level.reserved,
        },
    )
