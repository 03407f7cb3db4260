"""Shipping labels: 500 labels in one PDF against 500 trivial pages drawn with the same library."""

from __future__ import annotations

from io import BytesIO

from django.db import transaction

LABELS = 500


def fixture(variants, n: int = LABELS) -> list[int]:
    """`n` shipments with their orders (two lines each), spread over many wards; kept in the bench
    database between runs. Returns the shipment ids."""
    from donhang.customers.models import Customer, Ward
    from donhang.inventory.models import Warehouse
    from donhang.orders.models import Order, OrderLine
    from donhang.shipping.models import CarrierAccount, Shipment, ShipmentLine

    have = list(
        Shipment.objects.filter(reference__startswith="BENCHL-")
        .order_by("id")
        .values_list("id", flat=True)
    )
    if len(have) >= n:
        return have[:n]
    with transaction.atomic():
        wards = list(Ward.objects.select_related("province").order_by("code"))[::97][:60]
        warehouses = []
        for k, ward in enumerate(wards[:3]):
            wh, _ = Warehouse.objects.get_or_create(
                code=f"BENCHL{k}",
                defaults={
                    "name": f"Kho bench {k}",
                    "priority": 10 + k,
                    "address_line": f"{k + 1} Hàng Bạc",
                    "ward": ward,
                    "province": ward.province,
                    "phone": "+84912000111",
                },
            )
            warehouses.append(wh)
        account, _ = CarrierAccount.objects.get_or_create(
            name="Bench GHN", provider="ghn", defaults={"pickup_warehouse": warehouses[0]}
        )
        customer = Customer.objects.create(name="Bench labels", phone="+84911111111")
        start = len(have)
        orders = Order.objects.bulk_create(
            [
                Order(
                    code=f"BL{i:07d}",
                    channel="website",
                    customer=customer,
                    customer_name=f"Nguyễn Thị Khách {i}",
                    customer_phone=f"+8490{i:07d}",
                    shipping_name=f"Nguyễn Thị Khách {i}",
                    shipping_phone=f"+8490{i:07d}",
                    shipping_address_line=f"{i} Phố Huế",
                    shipping_ward=wards[i % len(wards)],
                    shipping_province=wards[i % len(wards)].province,
                    status="processing",
                    sub_state="ready_to_ship",
                    total=330_000,
                    cod_amount=330_000,
                )
                for i in range(start, n)
            ]
        )
        lines = OrderLine.objects.bulk_create(
            [
                OrderLine(
                    order=o,
                    variant=variants[(k + j) % len(variants)],
                    sku=variants[(k + j) % len(variants)].sku,
                    name=f"Bench product {(k + j) % len(variants)}",
                    quantity=1 + j,
                    unit_price=100_000,
                    vat_rate="10",
                    position=j,
                )
                for k, o in enumerate(orders)
                for j in range(2)
            ]
        )
        shipments = Shipment.objects.bulk_create(
            [
                Shipment(
                    order=o,
                    account=account,
                    reference=f"BENCHL-{start + k}",
                    # a third without a warehouse of their own: the account's pickup warehouse
                    warehouse=warehouses[k % 3] if k % 3 else None,
                    tracking_code=f"GHNBENCH{start + k:08d}",
                    service_name="Chuẩn",
                    status="ready_to_pick",
                    cod_amount=330_000,
                    weight_g=500 + k,
                    note="Cho xem hàng",
                )
                for k, o in enumerate(orders)
            ]
        )
        if not all(s.pk for s in shipments):  # backends without RETURNING on bulk insert
            shipments = list(
                Shipment.objects.filter(reference__startswith="BENCHL-").order_by("id")
            )[start:]
            lines = list(OrderLine.objects.filter(order__code__startswith="BL").order_by("id"))[
                2 * start :
            ]
        # half of the parcels list their lines; the others fall back to the order's
        ShipmentLine.objects.bulk_create(
            [
                ShipmentLine(shipment=s, order_line=ln, quantity=ln.quantity)
                for k, s in enumerate(shipments)
                if k % 2 == 0
                for ln in lines[2 * k : 2 * k + 2]
            ]
        )
    return fixture(variants, n)


def render(ids: list[int]) -> bytes:
    from donhang.shipping import selectors
    from donhang.shipping.labels import render_labels

    return render_labels(selectors.shipments_for_labels(ids), size="A6")


def trivial(n: int = LABELS) -> bytes:
    from reportlab.lib.pagesizes import A6
    from reportlab.pdfgen import canvas

    out = BytesIO()
    pdf = canvas.Canvas(out, pagesize=A6)
    for i in range(n):
        pdf.setFont("Helvetica", 12)
        pdf.drawString(20, 300, f"Page {i}")
        pdf.showPage()
    pdf.save()
    return out.getvalue()


class LabelsWork:
    name = "500 labels"

    def __init__(self, ids):
        self.ids = ids

    def run(self, client):
        render(self.ids)
        return 1, {}


class TrivialWork:
    name = "500 trivial pages"

    def run(self, client):
        trivial(LABELS)
        return 1, {}
