"""What the bot may do, all through our selectors and services. Both engines (offline and LLM)
use only these, and every number the bot says comes from one of them: prices from the catalog,
stock from what the chatbot channel may sell, fees from the carriers, statuses from the orders.

Each tool takes plain values and returns plain data (JSON-able), so that the LLM engine can
call the same functions with validated arguments.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from donhang.accounts.selectors import shop_profile_get
from donhang.catalog.models import Variant
from donhang.chatbot.engine.index import ProductDoc, VariantDoc, catalog_index, faq_index
from donhang.chatbot.engine.text import normalize
from donhang.chatbot.models import BotSettings, Conversation, Message
from donhang.core import vietqr
from donhang.core.errors import DomainError
from donhang.core.integrations import IntegrationError, log_call
from donhang.core.money import format_vnd
from donhang.core.phone import normalize_phone
from donhang.core.text import fold
from donhang.customers.models import Ward
from donhang.inventory.models import Warehouse
from donhang.orders import services as orders
from donhang.orders.models import Order, OrderLine, PaymentMethod, Status, SubState
from donhang.orders.selectors import channel_available_to_promise
from donhang.shipping.models import CarrierAccount, Shipment
from donhang.shipping.services import _build_request, adapter_for

logger = logging.getLogger(__name__)

CHANNEL = "chatbot"
QR_SALT = "donhang.chatbot.payment-qr"


class BotActor:
    """Who the bot is in audit trails and order timelines: "chatbot", allowed only to take
    orders (a new order waits for staff to confirm it)."""

    audit_label = "chatbot"
    user = None
    pk = None
    is_authenticated = False
    ALLOWED = frozenset({"orders.add_order"})

    def has_perm(self, perm: str) -> bool:
        return perm in self.ALLOWED

    def __str__(self):
        return self.audit_label


BOT = BotActor()


def vnd(amount: int) -> str:
    """159000 → "159.000đ" (how shops write prices in chat)."""
    return format_vnd(amount).replace(" ₫", "đ")


def bot_settings() -> BotSettings:
    found = BotSettings.objects.filter(pk=BotSettings.SINGLETON_ID).first()
    return found or BotSettings(pk=BotSettings.SINGLETON_ID)


# --- catalog and stock ----------------------------------------------------------------------


def stock_of(variant_ids) -> dict[int, int]:
    """{variant id: units the chatbot channel may sell now} (its warehouse rule applies)."""
    ids = [int(v) for v in variant_ids]
    if not ids:
        return {}
    return channel_available_to_promise(channel=CHANNEL, variant_ids=ids)


def _product(product_id: int) -> ProductDoc | None:
    return catalog_index().products.get(int(product_id))


def variants_matching(product: ProductDoc, options: dict) -> list[VariantDoc]:
    """Variants of the product with the given attribute values ({position: value})."""
    out = []
    for v in product.variants:
        if all(
            position < len(v.options) and v.options[position].lower() == str(value).lower()
            for position, value in options.items()
        ):
            out.append(v)
    return out


def search_products(*, query: str, limit: int = 5) -> dict:
    """Products whose name, category, brand or attributes match the query (accents ignored,
    typos tolerated), with their price range and the units available."""
    index = catalog_index()
    norm = normalize(query)
    by_code = index.by_code(query.strip())
    if by_code is not None:
        return {"products": [_summary(by_code)]}
    matches = index.search(norm.tokens)
    found = [m.product for m in matches[: max(1, min(int(limit), 10))]]
    return {"products": [_summary(p, stock) for p, stock in _with_stock(found)]}


def _with_stock(products: list[ProductDoc]):
    units = stock_of([v.id for p in products for v in p.variants])
    return [(p, sum(units.get(v.id, 0) for v in p.variants)) for p in products]


def _summary(product: ProductDoc, available: int | None = None) -> dict:
    low, high = product.prices
    if available is None:
        units = stock_of([v.id for v in product.variants])
        available = sum(units.values())
    return {
        "product_id": product.id,
        "name": product.name,
        "price_min": low,
        "price_max": high,
        "available": available,
        "attributes": {name: values for name, values in product.attributes},
    }


def product_details(*, product_id: int) -> dict:
    """The product with each variant's options, price and units available."""
    product = _product(product_id)
    if product is None:
        return {"error": "unknown_product"}
    units = stock_of([v.id for v in product.variants])
    return {
        **_summary(product, sum(units.get(v.id, 0) for v in product.variants)),
        "variants": [
            {
                "variant_id": v.id,
                "sku": v.sku,
                "options": v.options,
                "price": v.price,
                "available": units.get(v.id, 0),
            }
            for v in product.variants
        ],
    }


# --- shipping ---------------------------------------------------------------------------------


@dataclass
class ShippingQuote:
    fee: int
    carrier: str
    service: str
    days: int | None
    ward_code: int
    estimated: bool  # quoted to a ward of the province, not the customer's own


def _representative_ward(province_code: int) -> Ward | None:
    return (
        Ward.objects.select_related("province")
        .filter(province_id=province_code)
        .order_by("code")
        .first()
    )


def _probe_lines(items: list[tuple[int, int]]) -> list[tuple[OrderLine, int]]:
    variants = {v.pk: v for v in Variant.objects.filter(pk__in=[v for v, _q in items])}
    lines = []
    for variant_id, quantity in items:
        variant = variants.get(variant_id)
        if variant is None:
            continue
        lines.append(
            (
                OrderLine(
                    variant=variant,
                    sku=variant.sku,
                    name=variant.sku,
                    quantity=quantity,
                    unit_price=variant.sale_price,
                ),
                quantity,
            )
        )
    return lines


def shipping_quote(
    *,
    ward_code: int | None = None,
    province_code: int | None = None,
    items: list[tuple[int, int]] | None = None,
    phone: str = "",
    reference: str = "chatbot",
) -> dict:
    """The cheapest fee of the shop's active carriers to the ward (or, given only a province,
    to a ward of it: an estimate) for the items [(variant id, quantity)] (one 500 g parcel
    when none are known yet), asked through the carrier port."""
    ward = None
    estimated = False
    if ward_code:
        ward = Ward.objects.select_related("province").filter(code=int(ward_code)).first()
    if ward is None and province_code:
        ward = _representative_ward(int(province_code))
        estimated = True
    if ward is None:
        return {"error": "no_address"}
    accounts = list(
        CarrierAccount.objects.filter(is_active=True).select_related("pickup_warehouse")
    )
    if not accounts:
        return {"error": "no_carrier"}
    lines = _probe_lines(items or [])
    weight = sum((line.variant.weight_g or 0) * q for line, q in lines) or 500
    goods = sum(line.unit_price * q for line, q in lines)
    warehouse = Warehouse.objects.filter(is_active=True).order_by("priority", "code").first()
    order = Order(
        code="CHAT-QUOTE",
        customer_name="Khách",
        shipping_name="Khách",
        shipping_phone=phone or (warehouse.phone if warehouse else "") or "+84912000000",
        shipping_address_line=ward.name,
        shipping_ward=ward,
        shipping_province=ward.province,
    )
    best: ShippingQuote | None = None
    errors = []
    for account in accounts:
        started = time.perf_counter()
        probe = Shipment(
            order=order,
            account=account,
            reference=f"{reference}-QUOTE",
            warehouse=account.pickup_warehouse,
            weight_g=max(weight, 100),
            length_cm=max([line.variant.length_cm for line, _q in lines] + [10]),
            width_cm=max([line.variant.width_cm for line, _q in lines] + [10]),
            height_cm=max(sum(line.variant.height_cm * q for line, q in lines), 5),
            cod_amount=goods,
            goods_value=goods,
            fee_payer="buyer",
        )
        try:
            adapter = adapter_for(account)
            quotes = adapter.quote(_build_request(probe, adapter, lines=lines))
        except Exception as exc:  # a carrier's failure never breaks the chat: next carrier
            if not isinstance(exc, IntegrationError | DomainError):
                logger.exception("quote from %s failed", account)
            errors.append(str(getattr(exc, "message", exc)))
            log_call(
                service=account.provider,
                operation="quote",
                reference=reference,
                attempt=1,
                ok=False,
                error=str(exc),
                started=started,
            )
            continue
        log_call(
            service=account.provider,
            operation="quote",
            reference=reference,
            attempt=1,
            ok=True,
            started=started,
        )
        for q in quotes:
            if q.fee <= 0:
                continue
            days = None
            if q.lead_time_hours:
                days = max(1, round(q.lead_time_hours / 24))
            elif q.expected_delivery_at:
                from_now = q.expected_delivery_at.date() - timezone.localtime().date()
                days = max(1, from_now.days)
            if best is None or q.fee < best.fee:
                best = ShippingQuote(
                    q.fee, account.get_provider_display(), q.service_name, days, ward.pk, estimated
                )
    if best is None:
        return {"error": "carrier_failed", "details": errors[:3]}
    return {
        "fee": best.fee,
        "carrier": best.carrier,
        "service": best.service,
        "days": best.days,
        "ward": ward.name,
        "province": ward.province.name,
        "ward_code": ward.pk,
        "estimated": best.estimated,
    }


def cod_available(*, total: int | None = None) -> dict:
    """Whether the shop takes cash on delivery (for this total, under its COD limit)."""
    config = bot_settings()
    if not config.cod_enabled:
        return {"available": False, "reason": "disabled"}
    if config.cod_limit and total and total > config.cod_limit:
        return {"available": False, "reason": "over_limit", "limit": config.cod_limit}
    return {"available": True, "limit": config.cod_limit or None}


# --- orders -------------------------------------------------------------------------------------

STATUS_WORDS = {
    Status.NEW: "đang chờ shop xác nhận",
    Status.PROCESSING: "đã xác nhận, đang được chuẩn bị",
    Status.SHIPPING: "đang được giao",
    Status.COMPLETED: "đã giao thành công",
    Status.CANCELLED: "đã hủy",
    Status.RETURNED: "đã hoàn về shop",
}
SUB_STATE_WORDS = {
    SubState.AWAITING_STOCK: "đang chờ hàng về",
    SubState.PACKING: "đang đóng gói",
    SubState.READY_TO_SHIP: "đã đóng gói, chờ bên vận chuyển lấy hàng",
    SubState.DELIVERY_FAILED: "giao chưa thành công, bên vận chuyển sẽ giao lại",
    SubState.DELIVERED: "đã giao tới anh/chị",
}
SHIPMENT_WORDS = {
    "ready_to_pick": "chờ bên vận chuyển lấy hàng",
    "picking": "bên vận chuyển đang tới lấy hàng",
    "picked": "bên vận chuyển đã lấy hàng",
    "in_transit": "đang trên đường vận chuyển",
    "delivering": "shipper đang giao tới anh/chị",
    "delivered": "đã giao thành công",
    "delivery_failed": "giao chưa thành công",
    "returning": "đang hoàn về shop",
    "returned": "đã hoàn về shop",
}


def _conversation_order_ids(conversation: Conversation | None) -> set[int]:
    if conversation is None or conversation.pk is None:
        return set()
    return set(
        Message.objects.filter(conversation=conversation, order__isnull=False).values_list(
            "order_id", flat=True
        )
    )


def order_status(*, code: str = "", phone: str = "", conversation=None) -> dict:
    """The status of the customer's own order. An order is the customer's when it was made in
    this conversation, or when its code comes with the phone number it was placed with. Any
    other question gets the same answer as an unknown code: nothing about another customer's
    order is revealed."""
    own_ids = _conversation_order_ids(conversation)
    try:
        phone_e164 = normalize_phone(phone) if phone else ""
    except DomainError:
        phone_e164 = ""
    orders_found: list[Order] = []
    code = (code or "").strip().upper()
    if code:
        order = Order.objects.filter(code=code).first()
        if order is not None and (
            order.pk in own_ids
            or (phone_e164 and phone_e164 in (order.customer_phone, order.shipping_phone))
        ):
            orders_found = [order]
        elif order is not None and not phone_e164 and order.pk not in own_ids:
            return {"found": False, "need": "phone"}
        else:
            return {"found": False}
    elif own_ids:
        orders_found = list(Order.objects.filter(pk__in=own_ids).order_by("-id")[:3])
    else:
        return {"found": False, "need": "code"}
    out = []
    for order in orders_found:
        shipment = order.shipments.order_by("-id").first() if hasattr(order, "shipments") else None
        out.append(
            {
                "code": order.code,
                "status": order.status,
                "status_words": SUB_STATE_WORDS.get(order.sub_state)
                or STATUS_WORDS.get(order.status, order.status),
                "tracking_code": shipment.tracking_code if shipment else "",
                "shipment_words": SHIPMENT_WORDS.get(shipment.status, "") if shipment else "",
                "total": order.total,
            }
        )
    return {"found": True, "orders": out}


@dataclass
class PlacedOrder:
    order: Order
    created: bool


def order_place(
    *,
    conversation: Conversation,
    reference: str,
    name: str,
    phone: str,
    line: str,
    ward_code: int,
    province_code: int | None,
    items: list[tuple[int, int]],
    shipping_fee: int,
    payment_method: str,
    channel_label: str,
) -> PlacedOrder:
    """A normal new order of the chatbot channel, reserving stock at once and waiting for
    staff to confirm it. `reference` (one per customer turn) makes it idempotent: a turn run
    again finds the order it made. Refuses (Conflict) more than the channel may sell."""
    external_id = f"chat-{reference}"
    existing = Order.objects.filter(channel=CHANNEL, external_id=external_id).first()
    if existing is not None:
        return PlacedOrder(existing, False)
    order = orders.order_create(
        channel=CHANNEL,
        external_id=external_id,
        customer=orders.CustomerInput(
            name=name,
            phone=phone,
            address=orders.AddressInput(line=line, ward=ward_code, province=province_code),
        ),
        lines=[orders.LineInput(variant_id=v, quantity=q) for v, q in items],
        shipping_fee=shipping_fee,
        payment_method=payment_method
        if payment_method in (PaymentMethod.COD, PaymentMethod.BANK_TRANSFER)
        else PaymentMethod.COD,
        note=f"Đặt qua chatbot ({channel_label}), hội thoại #{conversation.pk}",
        allow_backorder=False,
        actor=BOT,
    )
    return PlacedOrder(order, True)


def conversation_orders(*, conversation: Conversation) -> list[Order]:
    """Orders of the customer beside the chat: made in it, or with its phone or customer."""
    ids = _conversation_order_ids(conversation)
    query = Q(pk__in=ids)
    if conversation.phone:
        query |= Q(customer_phone=conversation.phone)
    if conversation.customer_id:
        query |= Q(customer_id=conversation.customer_id)
    return list(Order.objects.filter(query).order_by("-id")[:10])


# --- payment -------------------------------------------------------------------------------------


def payment_qr(*, order: Order) -> dict:
    """A VietQR transfer to the shop's account for what the order still owes, with the order
    code as the note; the image is served from a signed address."""
    shop = shop_profile_get()
    if not shop.has_bank_account:
        return {"error": "no_bank_account"}
    amount = max(order.total - order.paid_total, 0)
    if amount <= 0:
        return {"error": "nothing_to_pay"}
    data = vietqr.payload(
        bank_bin=shop.bank_bin,
        account_number=shop.bank_account_number,
        amount=amount,
        note=order.code,
    )
    token = signing.dumps({"order": order.code, "amount": amount}, salt=QR_SALT)
    path = reverse("chatbot:payment_qr", args=[token])
    return {
        "payload": data,
        "amount": amount,
        "note": vietqr.transfer_note(order.code),
        "bank": shop.bank_name or shop.bank_bin,
        "account_number": shop.bank_account_number,
        # As banks print it: upper case, no accents (the transfer note's rules, not its length).
        "account_holder": fold(shop.bank_account_holder).upper(),
        "image_url": (getattr(settings, "PUBLIC_BASE_URL", "") or "").rstrip("/") + path,
        "image_path": path,
    }


def payment_qr_from_token(token: str) -> str | None:
    """The payload a signed QR address stands for (None when the signature is wrong)."""
    try:
        data = signing.loads(token, salt=QR_SALT, max_age=60 * 60 * 24 * 30)
    except signing.BadSignature:
        return None
    order = Order.objects.filter(code=data.get("order")).first()
    shop = shop_profile_get()
    if order is None or not shop.has_bank_account:
        return None
    return vietqr.payload(
        bank_bin=shop.bank_bin,
        account_number=shop.bank_account_number,
        amount=int(data["amount"]),
        note=order.code,
    )


def bank_transfer_available() -> bool:
    return shop_profile_get().has_bank_account


# --- FAQ ------------------------------------------------------------------------------------


def faq_answer(*, question: str = "", topic: str = "") -> dict:
    """The shop's own answer to a policy question (shipping, returns, payment…), or nothing."""
    index = faq_index()
    words = normalize(question).key.split() if question else []
    if words:
        found = index.search(words, topic=topic)
        if found and found[0][1] >= 1.5:
            doc = found[0][0]
            return {
                "found": True,
                "topic": doc.topic,
                "question": doc.question,
                "answer": doc.answer,
            }
    if topic:
        doc = index.by_topic(topic)
        if doc:
            return {
                "found": True,
                "topic": doc.topic,
                "question": doc.question,
                "answer": doc.answer,
            }
    return {"found": False}
