"""Demo returns, one in each state: requested (a customer's, by the website), received (the
demo's returned parcel waits for inspection; opened by the order itself), inspected (2 of 3 back,
1 good and 1 damaged with a photo, a bank-transfer refund waiting with its VietQR code), closed
(refunded in cash), an exchange for another size, and a cancelled one. Each on its own demo
order, completed and paid through the orders' services. Safe to run again."""

from __future__ import annotations

from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from PIL import Image, ImageDraw

from donhang.catalog.models import Variant
from donhang.customers.models import Ward
from donhang.inventory.models import StockLevel, Warehouse
from donhang.orders import services as orders
from donhang.orders.models import Order
from donhang.returns import services
from donhang.returns.models import Return

CUSTOMERS = [
    ("Ngô Thị Hạnh", "0912 777 101", "Phường Hoàn Kiếm", "22 Hàng Gai"),
    ("Đỗ Văn Nam", "0903 777 202", "Phường Sài Gòn", "8 Nguyễn Huệ"),
    ("Lý Thu Trang", "0987 777 303", "Phường Hải Châu", "61 Trần Phú"),
    ("Mai Quốc Bảo", "0978 777 404", "Phường Ba Đình", "3 Đội Cấn"),
    ("Trịnh Mỹ Linh", "0934 777 505", "Phường Ninh Kiều", "15 Hòa Bình"),
]


def _damage_photo() -> SimpleUploadedFile:
    image = Image.new("RGB", (480, 360), (236, 232, 226))
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 60, 420, 300), outline=(90, 90, 90), width=6)
    draw.line((120, 90, 330, 270), fill=(190, 40, 40), width=9)
    buffer = BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return SimpleUploadedFile("demo-damage.jpg", buffer.getvalue(), content_type="image/jpeg")


def _in_stock(warehouse: Warehouse, count: int) -> list[Variant]:
    """Active variants with stock to spare (not reserved) in the warehouse, in a stable order."""
    ids = (
        StockLevel.objects.filter(
            warehouse=warehouse,
            variant__is_active=True,
            variant__product__is_active=True,
            on_hand__gte=F("reserved") + 8,
        )
        .order_by("variant_id")
        .values_list("variant_id", flat=True)[:count]
    )
    return list(Variant.objects.filter(pk__in=list(ids)).order_by("pk"))


def _completed_order(i: int, lines, *, actor) -> Order:
    name, phone, ward_name, street = CUSTOMERS[i % len(CUSTOMERS)]
    ward = Ward.objects.filter(name=ward_name).first()
    order = orders.order_create(
        channel="website",
        external_id=f"DEMO-R{i + 1:02d}",
        customer=orders.CustomerInput(
            name=name,
            phone=phone,
            address=orders.AddressInput(line=street, ward=ward.code if ward else None),
        ),
        lines=[orders.LineInput(variant_id=v.pk, quantity=q) for v, q in lines],
        shipping_fee=30_000,
        payment_method="bank_transfer",
        confirm=True,
        actor=actor,
    )
    orders.order_mark_packed(order=order, actor=actor)
    orders.order_hand_over(order=order, actor=actor)
    order.refresh_from_db()
    orders.order_payment_record(
        order=order,
        method="bank_transfer",
        amount=order.total,
        reference=f"FT-DEMO-R{i + 1:02d}",
        actor=actor,
    )
    orders.order_follow_shipment(order=order, shipment_status="delivered", actor=actor)
    order.refresh_from_db()
    return order


def _open(order: Order, quantity: int, *, reason: str, actor, source="staff", note="") -> Return:
    return services.return_create(
        order=order,
        lines=[services.ReturnLineInput(order_line_id=order.lines.first().pk, quantity=quantity)],
        reason=reason,
        source=source,
        note=note,
        actor=actor,
    )


def load_demo_returns(*, actor) -> list[Return]:
    if Order.objects.filter(external_id__startswith="DEMO-R").exists():
        return []
    warehouse = Warehouse.objects.filter(is_active=True).order_by("priority", "code").first()
    variants = _in_stock(warehouse, 6) if warehouse else []
    if len(variants) < 6:
        return []
    made: list[Return] = []

    # requested: the customer asked on the website; the parcel is on its way back
    order = _completed_order(0, [(variants[0], 2)], actor=actor)
    made.append(
        _open(
            order,
            1,
            reason="wrong_size",
            source="customer",
            note="Khách báo áo chật, gửi lại qua bưu cục",
            actor=actor,
        )
    )

    # inspected: 2 of 3 back, 1 good and 1 damaged; the refund waits with its VietQR code
    order = _completed_order(1, [(variants[1], 3)], actor=actor)
    goods_return = _open(order, 2, reason="defective", actor=actor)
    services.return_receive(goods_return=goods_return, warehouse=warehouse, actor=actor)
    services.return_inspect(
        goods_return=goods_return,
        lines=[
            services.InspectionInput(
                line_id=goods_return.lines.get().pk,
                good=1,
                damaged=1,
                note="Bung đường may ở vai",
                photo=_damage_photo(),
            )
        ],
        actor=actor,
    )
    services.refund_create(
        goods_return=goods_return,
        method="bank_transfer",
        bank_bin="970436",
        bank_account="1023456789",
        account_holder="Do Van Nam",
        actor=actor,
    )
    made.append(goods_return)

    # closed: received at the counter, good, refunded in cash with the shipping fee
    order = _completed_order(2, [(variants[2], 1)], actor=actor)
    goods_return = _open(order, 1, reason="changed_mind", actor=actor)
    services.return_receive(
        goods_return=goods_return, warehouse=warehouse, at_counter=True, actor=actor
    )
    services.return_inspect(
        goods_return=goods_return,
        lines=[services.InspectionInput(line_id=goods_return.lines.get().pk, good=1)],
        actor=actor,
    )
    services.refund_create(
        goods_return=goods_return, method="cash", include_shipping=True, actor=actor
    )
    services.return_close(goods_return=goods_return, actor=actor)
    made.append(goods_return)

    # received, with an exchange for another product: the new order holds its stock
    order = _completed_order(3, [(variants[3], 1)], actor=actor)
    goods_return = _open(order, 1, reason="wrong_size", actor=actor)
    services.return_receive(goods_return=goods_return, warehouse=warehouse, actor=actor)
    services.exchange_create(
        goods_return=goods_return,
        lines=[orders.LineInput(variant_id=variants[4].pk, quantity=1)],
        actor=actor,
    )
    made.append(goods_return)

    # cancelled: the customer kept the goods after all
    order = _completed_order(4, [(variants[5], 1)], actor=actor)
    goods_return = _open(order, 1, reason="not_as_described", actor=actor)
    services.return_cancel(goods_return=goods_return, reason="Khách giữ lại hàng", actor=actor)
    made.append(goods_return)

    # the demo's returned parcel (its return was opened by the order, waiting for inspection)
    made += list(Return.objects.filter(from_parcel=True, order__external_id__startswith="DEMO-"))
    return made
