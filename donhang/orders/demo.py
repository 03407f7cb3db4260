"""Demo orders: a day of a small shop across every channel and status. Deterministic."""

from __future__ import annotations

import random

from donhang.catalog.models import Variant
from donhang.customers.models import Ward
from donhang.orders import services
from donhang.orders.models import Channel, Order

CUSTOMERS = [
    ("Nguyễn Thị Mai", "0912 345 601", "Thành phố Hà Nội", "Phường Hoàn Kiếm", "18 Hàng Bạc"),
    ("Trần Văn Hùng", "0903 456 702", "Thành phố Hồ Chí Minh", "Phường Sài Gòn", "45 Lê Lợi"),
    ("Lê Thị Thu Hà", "0987 654 303", "Thành phố Đà Nẵng", "Phường Hải Châu", "120 Bạch Đằng"),
    (
        "Phạm Minh Tuấn",
        "0978 112 204",
        "Thành phố Hải Phòng",
        "Phường Hồng Bàng",
        "9 Điện Biên Phủ",
    ),
    ("Hoàng Ngọc Ánh", "0934 567 805", "Thành phố Cần Thơ", "Phường Ninh Kiều", "33 Hai Bà Trưng"),
    ("Vũ Đức Thắng", "0868 223 406", "Thành phố Hà Nội", "Phường Ba Đình", "7 Phan Đình Phùng"),
    ("Đặng Thị Lan", "0356 789 107", "Khánh Hòa", "Phường Nha Trang", "52 Trần Phú"),
    ("Bùi Quang Huy", "0772 334 508", "Lâm Đồng", "Phường Xuân Hương - Đà Lạt", "14 Hồ Tùng Mậu"),
]

# Money on some orders: discounts (line %, order amount, a platform voucher), a company buyer
# wanting a VAT invoice, and payments (marketplace settlements net of fees, a short COD payout).
EXTRA = {
    0: {"line_percent": "10"},
    1: {"platform_voucher": 15_000},
    3: {
        "order_discount": 20_000,
        "buyer": services.BuyerInput(
            kind="company",
            company_name="Công ty TNHH Thương mại Ánh Dương",
            tax_code="0100109106",
            address="18 Hàng Bạc, Phường Hoàn Kiếm, Thành phố Hà Nội",
            email="ketoan@anhduong.example",
            wants_invoice=True,
        ),
    },
    4: {"settlement_fee_percent": 8},
    9: {"settlement_fee_percent": 10, "platform_voucher": 20_000},
    12: {"short_cod_payout": 200_000},
}

# (channel, lines [(variant index, qty)], payment, fee, fee payer, what happens next)
SCENARIOS = [
    (Channel.WEBSITE, [(0, 1), (5, 2)], "cod", 30_000, "buyer", "new"),
    (Channel.SHOPEE, [(3, 1)], "marketplace_prepaid", 0, "seller", "confirm"),
    (Channel.MANUAL_PHONE, [(8, 2)], "cod", 25_000, "buyer", "packed"),
    (Channel.MANUAL_FACEBOOK, [(12, 1), (2, 1)], "bank_transfer", 30_000, "buyer", "shipped"),
    (Channel.LAZADA, [(15, 3)], "marketplace_prepaid", 0, "seller", "completed"),
    (Channel.TIKTOK_SHOP, [(20, 1)], "marketplace_prepaid", 0, "seller", "cancelled"),
    (Channel.WEBSITE, [(25, 1)], "cod", 35_000, "buyer", "confirm"),
    (Channel.CHATBOT, [(30, 2)], "cod", 30_000, "buyer", "new"),
    (Channel.MANUAL_PHONE, [(1, 1), (7, 1), (9, 1)], "cod", 30_000, "buyer", "delivery_failed"),
    (Channel.SHOPEE, [(11, 2)], "marketplace_prepaid", 0, "seller", "completed"),
    (Channel.WEBSITE, [(40, 1)], "bank_transfer", 0, "seller", "packed"),
    (Channel.MANUAL_FACEBOOK, [(4, 1)], "cod", 30_000, "buyer", "returned"),
    (Channel.MANUAL_PHONE, [(6, 2)], "cod", 30_000, "buyer", "delivered"),
]


def load_demo_orders(*, actor) -> list[Order]:
    """Create the demo orders once (skipped when demo orders exist)."""
    if Order.objects.filter(external_id__startswith="DEMO-").exists():
        return []
    variants = list(Variant.objects.filter(is_active=True, product__is_active=True).order_by("id"))
    if not variants:
        return []
    rng = random.Random(2026)
    created = []
    for i, (channel, lines, payment, fee, payer, outcome) in enumerate(SCENARIOS):
        name, phone, province, ward_name, line = CUSTOMERS[i % len(CUSTOMERS)]
        ward = Ward.objects.filter(name=ward_name, province__name=province).first()
        extra = EXTRA.get(i, {})
        discounts = []
        if extra.get("order_discount"):
            discounts.append(services.DiscountInput(amount=extra["order_discount"]))
        if extra.get("platform_voucher"):
            discounts.append(
                services.DiscountInput(amount=extra["platform_voucher"], funded_by="platform")
            )
        order = services.order_create(
            channel=channel,
            external_id=f"DEMO-{i + 1:03d}",
            customer=services.CustomerInput(
                name=name,
                phone=phone,
                address=services.AddressInput(
                    line=line, ward=ward.code if ward else None, province=province
                ),
            ),
            lines=[
                services.LineInput(
                    variant_id=variants[idx % len(variants)].pk,
                    quantity=qty,
                    discount_percent=extra.get("line_percent"),
                )
                for idx, qty in lines
            ],
            shipping_fee=fee,
            shipping_fee_payer=payer,
            payment_method=payment,
            discounts=discounts,
            buyer=extra.get("buyer"),
            note=rng.choice(["", "Giao giờ hành chính", "Gọi trước khi giao", "Cho xem hàng"]),
            actor=actor,
        )
        _advance(order, outcome, actor)
        _pay(order, extra, actor)
        created.append(order)
    # A waiting order: more than the shop has, so it shows "awaiting stock".
    name, phone, province, ward_name, line = CUSTOMERS[2]
    ward = Ward.objects.filter(name=ward_name, province__name=province).first()
    waiting = services.order_create(
        channel=Channel.WEBSITE,
        external_id="DEMO-WAIT",
        customer=services.CustomerInput(
            name=name,
            phone=phone,
            address=services.AddressInput(line=line, ward=ward.code if ward else None),
        ),
        lines=[services.LineInput(variant_id=variants[0].pk, quantity=500)],
        shipping_fee=30_000,
        actor=actor,
    )
    services.order_confirm(order=waiting, actor=actor)
    created.append(waiting)
    return created


def _advance(order: Order, outcome: str, actor) -> None:
    if outcome == "new":
        return
    if outcome == "cancelled":
        services.order_cancel(order=order, reason="Khách đổi ý", actor=actor)
        return
    services.order_confirm(order=order, actor=actor)
    order.refresh_from_db()
    if outcome == "confirm" or order.sub_state != "packing":
        return
    services.order_mark_packed(order=order, actor=actor)
    if outcome == "packed":
        return
    services.order_hand_over(order=order, actor=actor)
    if outcome == "delivery_failed":
        services.order_mark_delivery_failed(order=order, reason="Khách không nghe máy", actor=actor)
    elif outcome == "delivered":
        services.order_follow_shipment(order=order, shipment_status="delivered", actor=actor)
    elif outcome in ("completed", "returned"):
        services.order_complete(order=order, actor=actor)
        if outcome == "returned":
            services.order_return(order=order, reason="Khách trả hàng: sai size", actor=actor)


def _pay(order: Order, extra: dict, actor) -> None:
    order.refresh_from_db()
    if extra.get("settlement_fee_percent"):
        services.order_payment_record(
            order=order,
            method="marketplace_settlement",
            amount=order.total,
            fee=order.total * extra["settlement_fee_percent"] // 100,
            reference=f"SETTLE-{order.external_id}",
            actor=actor,
        )
    if extra.get("short_cod_payout"):
        services.order_payment_record(
            order=order,
            method="cod_payout",
            amount=extra["short_cod_payout"],
            fee=22_000,
            reference=f"COD-{order.external_id}",
            actor=actor,
        )
