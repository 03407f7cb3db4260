"""Order intake (service, HTTP API, raw SQL floor) and the order list on a million orders."""

from __future__ import annotations

import random
import time
from datetime import timedelta

from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from bench.harness import measure, report

RUN = str(int(time.time()))


def _fixtures():
    from donhang.accounts.services import api_key_create
    from donhang.catalog.models import Product, Variant
    from donhang.customers.models import Ward
    from donhang.inventory.models import StockLevel, StockMovement, Warehouse

    warehouse, _ = Warehouse.objects.get_or_create(
        code="BENCH", defaults={"name": "Bench warehouse", "priority": 0}
    )
    variants = []
    for i in range(30):
        product, _ = Product.objects.get_or_create(
            sku=f"BENCH-{i}", defaults={"name": f"Bench product {i}"}
        )
        variant, created = Variant.objects.get_or_create(
            product=product,
            sku=f"BENCH-{i}-V",
            defaults={"sale_price": 100_000 + i * 1000, "cost_price": 50_000},
        )
        if created:
            StockMovement.objects.create(
                variant=variant, warehouse=warehouse, delta=10_000_000, kind="initial"
            )
            StockLevel.objects.create(variant=variant, warehouse=warehouse, on_hand=10_000_000)
        variants.append(variant)
    ward = Ward.objects.get(code=70)
    _key, raw = api_key_create(name=f"bench-{RUN}", role="owner")
    return warehouse, variants, ward, raw


def _lines(variants, i):
    return [variants[(i * 3 + k) % len(variants)] for k in range(3)]


def run_intake(*, n: int) -> None:
    from donhang.orders import services

    warehouse, variants, ward, raw_key = _fixtures()

    # 1. service layer
    start = time.perf_counter()
    for i in range(n):
        services.order_create(
            channel="website",
            customer=services.CustomerInput(
                name=f"Khách {i}",
                phone=f"0912{i % 1_000_000:06d}",
                address=services.AddressInput(line="1 Hàng Bạc", ward=ward.code),
            ),
            lines=[services.LineInput(variant_id=v.pk, quantity=1) for v in _lines(variants, i)],
            shipping_fee=30_000,
        )
    service_s = time.perf_counter() - start

    # 2. HTTP API (in-process WSGI: the whole Django stack, auth, JSON, idempotency record)
    client = Client(headers={"Authorization": f"Bearer {raw_key}"})
    start = time.perf_counter()
    for i in range(n):
        body = {
            "channel": "website",
            "customer": {
                "name": f"Khách {i}",
                "phone": f"0913{i % 1_000_000:06d}",
                "address": {"line": "1 Hàng Bạc", "ward": ward.code},
            },
            "lines": [{"sku": v.sku, "quantity": 1} for v in _lines(variants, i)],
            "shipping_fee": 30_000,
        }
        response = client.post(
            "/api/v1/orders",
            body,
            content_type="application/json",
            headers={"Idempotency-Key": f"bench-{RUN}-{i}"},
        )
        assert response.status_code == 201, response.content
    api_s = time.perf_counter() - start

    # 3. the floor: the same rows by raw SQL, one transaction per order
    from donhang.customers.models import Customer
    from donhang.inventory.models import Reservation, StockLevel
    from donhang.orders.models import Order, OrderEvent, OrderLine

    level_ids = {lvl.variant_id: lvl.pk for lvl in StockLevel.objects.filter(warehouse=warehouse)}
    now = timezone.now()
    t_c, t_o, t_l, t_r, t_s, t_e = (
        m._meta.db_table for m in (Customer, Order, OrderLine, Reservation, StockLevel, OrderEvent)
    )
    start = time.perf_counter()
    for i in range(n):
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                f"INSERT INTO {t_c} (name, phone, email, tags, note, created_at, last_contact_at, search_text) "
                "VALUES (%s, %s, '', '[]', '', %s, %s, %s) RETURNING id",
                [f"Khách {i}", f"+84914{i:06d}", now, now, f"khach {i}"],
            )
            customer_id = cur.fetchone()[0]
            cur.execute(
                f"INSERT INTO {t_o} (code, channel, external_id, customer_id, customer_name, customer_phone, customer_email, "
                "shipping_name, shipping_phone, shipping_address_line, shipping_province_id, shipping_ward_id, status, sub_state, "
                "payment_method, shipping_fee, shipping_fee_payer, goods_total, discount_total, vat_total, total, cod_amount, note, "
                "warehouse_id, created_at, updated_at, search_text) VALUES (%s, 'website', '', %s, %s, %s, '', %s, %s, %s, %s, %s, "
                "'new', '', 'cod', 30000, 'buyer', 300000, 0, 27273, 330000, 330000, '', %s, %s, %s, '') RETURNING id",
                [
                    f"RAW{RUN}{i}",
                    customer_id,
                    f"Khách {i}",
                    f"+84914{i:06d}",
                    f"Khách {i}",
                    f"+84914{i:06d}",
                    "1 Hàng Bạc",
                    ward.province_id,
                    ward.code,
                    warehouse.pk,
                    now,
                    now,
                ],
            )
            order_id = cur.fetchone()[0]
            for pos, v in enumerate(_lines(variants, i)):
                cur.execute(
                    f"INSERT INTO {t_l} (order_id, variant_id, sku, name, quantity, unit_price, discount, vat_rate, "
                    "reserved_quantity, position) VALUES (%s, %s, %s, %s, 1, %s, 0, '10', 1, %s) RETURNING id",
                    [order_id, v.pk, v.sku, v.sku, v.sale_price, pos],
                )
                line_id = cur.fetchone()[0]
                cur.execute(
                    f"INSERT INTO {t_r} (order_line_id, variant_id, warehouse_id, quantity, created_at) VALUES (%s, %s, %s, 1, %s)",
                    [line_id, v.pk, warehouse.pk, now],
                )
                cur.execute(
                    f"UPDATE {t_s} SET reserved = reserved + 1 WHERE id = %s", [level_ids[v.pk]]
                )
            cur.execute(
                f"INSERT INTO {t_e} (order_id, at, actor_label, kind, from_status, to_status, from_sub_state, to_sub_state, "
                "message, data) VALUES (%s, %s, 'system', 'created', '', '', '', '', '', '{}')",
                [order_id, now],
            )
    raw_s = time.perf_counter() - start

    service_rate, api_rate, raw_rate = n / service_s, n / api_s, n / raw_s
    report(
        f"order intake: {n} orders × 3 lines, with reservation",
        [
            (
                "service layer",
                f"{service_rate:8.1f} orders/s  ({service_s * 1000 / n:.1f} ms/order)",
            ),
            ("HTTP API", f"{api_rate:8.1f} orders/s  ({api_s * 1000 / n:.1f} ms/order)"),
            ("raw SQL floor", f"{raw_rate:8.1f} orders/s  ({raw_s * 1000 / n:.1f} ms/order)"),
            ("service / floor", f"{service_rate / raw_rate:8.2f}"),
            ("API / floor", f"{api_rate / raw_rate:8.2f}"),
        ],
    )


def _generate_orders(total: int) -> None:
    """Bulk-insert synthetic orders until the table holds `total` (only what the list reads)."""
    from donhang.customers.models import Customer
    from donhang.inventory.models import Warehouse
    from donhang.orders.models import Order

    have = Order.objects.count()
    if have >= total:
        return
    customer = Customer.objects.create(name="Bench", phone="+84900000000", search_text="bench")
    warehouses = list(Warehouse.objects.values_list("pk", flat=True))
    rng = random.Random(7)
    statuses = (
        ["new"] * 5
        + ["processing"] * 10
        + ["shipping"] * 10
        + ["completed"] * 65
        + ["cancelled"] * 7
        + ["returned"] * 3
    )
    channels = ["website", "shopee", "lazada", "tiktok_shop", "manual_phone", "manual_facebook"]
    names = [
        "Nguyễn Văn An",
        "Trần Thị Bình",
        "Lê Văn Cường",
        "Phạm Thị Dung",
        "Hoàng Văn Em",
        "Vũ Thị Giang",
    ]
    folded = [
        "nguyen van an",
        "tran thi binh",
        "le van cuong",
        "pham thi dung",
        "hoang van em",
        "vu thi giang",
    ]
    start_time = timezone.now() - timedelta(days=730)
    table = Order._meta.db_table
    cols = (
        "code, channel, external_id, customer_id, customer_name, customer_phone, customer_email, shipping_name, "
        "shipping_phone, shipping_address_line, status, sub_state, payment_method, shipping_fee, shipping_fee_payer, "
        "goods_total, discount_total, vat_total, total, cod_amount, note, warehouse_id, created_at, updated_at, search_text"
    )
    placeholders = ", ".join(["%s"] * 25)
    sql = f"INSERT INTO {table} ({cols}) VALUES ({placeholders})"
    batch = 20_000
    print(f"\n(generating {total - have:,} orders for the list benchmark, once)")
    t0 = time.perf_counter()
    for offset in range(have, total, batch):
        rows = []
        for i in range(offset, min(offset + batch, total)):
            status = rng.choice(statuses)
            sub = {"processing": rng.choice(["packing", "awaiting_stock", "ready_to_ship"])}.get(
                status, ""
            )
            k = rng.randrange(len(names))
            phone = f"+849{rng.randrange(10**8):08d}"
            at = start_time + timedelta(seconds=i * 60)
            total_amount = rng.randrange(50, 5000) * 1000
            rows.append(
                (
                    f"DH9{i:08d}",
                    rng.choice(channels),
                    f"EXT{i}",
                    customer.pk,
                    names[k],
                    phone,
                    "",
                    names[k],
                    phone,
                    "1 Phố Huế",
                    status,
                    sub,
                    rng.choice(["cod", "cod", "bank_transfer", "marketplace_prepaid"]),
                    30000,
                    "buyer",
                    total_amount,
                    0,
                    0,
                    total_amount,
                    total_amount,
                    "",
                    rng.choice(warehouses) if warehouses else None,
                    at,
                    at,
                    f"{folded[k]} 0{phone[3:]} dh9{i:08d}",
                )
            )
        with transaction.atomic(), connection.cursor() as cur:
            cur.executemany(sql, rows)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(f"ANALYZE {table}")
    print(f"(generated in {time.perf_counter() - t0:.0f} s)")


def run_list(*, total: int) -> None:
    from donhang.orders.models import Order
    from donhang.orders.selectors import OrderFilters, order_counts, order_list

    _generate_orders(total)
    count = Order.objects.count()
    max_id = Order.objects.order_by("-id").values_list("id", flat=True).first()
    deep = max_id - int(count * 0.9)  # 90 % of the way down the list
    sample_phone = (
        Order.objects.filter(pk=max_id - 12345).values_list("customer_phone", flat=True).first()
    )
    cases = [
        ("page 1, no filter", OrderFilters(), None, False),
        ("page 1, status=processing", OrderFilters(status="processing"), None, False),
        (
            "page 1, channel+payment+date",
            OrderFilters(
                channel="shopee",
                payment_method="cod",
                date_from=(timezone.now() - timedelta(days=90)).date(),
            ),
            None,
            False,
        ),
        ("deep page (90 %), no filter", OrderFilters(), deep, False),
        ("deep page (90 %), status=completed", OrderFilters(status="completed"), deep, False),
        ("search by phone", OrderFilters(q="0" + sample_phone[3:]), None, False),
        ("search by code", OrderFilters(q=f"DH9{max_id - 50000:08d}"), None, False),
        ("search by name (no diacritics)", OrderFilters(q="tran thi binh"), None, False),
    ]
    rows = []
    for label, filters, after, _ in cases:
        m = measure(
            lambda f=filters, a=after: order_list(filters=f, after=a, with_counts=False), repeat=15
        )
        rows.append(
            (
                label,
                f"p50 {m['p50_ms']:7.1f} ms   p95 {m['p95_ms']:7.1f} ms   {m['queries']} queries",
            )
        )
    m = measure(lambda: order_counts(filters=OrderFilters()), repeat=5, warmup=1)
    rows.append(
        (
            "status tab counts (all)",
            f"p50 {m['p50_ms']:7.1f} ms   p95 {m['p95_ms']:7.1f} ms   {m['queries']} queries",
        )
    )
    m = measure(lambda: order_counts(filters=OrderFilters(channel="lazada")), repeat=5, warmup=1)
    rows.append(
        (
            "status tab counts (channel)",
            f"p50 {m['p50_ms']:7.1f} ms   p95 {m['p95_ms']:7.1f} ms   {m['queries']} queries",
        )
    )
    report(f"order list on {count:,} orders (50 per page, keyset)", rows)
