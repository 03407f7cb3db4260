"""Issue 15's speed targets (`make bench BENCH_ARGS=--reports`, or alone:
`python -m bench.reports --big 1000000`): the dashboard at 1,000 and at a big number of orders
(goal: within 1.5 × and ≤ 50 ms), every report over the last year at the big size (goal ≤ 1 s),
the full rebuild of the reports' figures and one incremental refresh.

Each size lives in its own bench database (`bench_reports_<orders>`), seeded once with what the
reports read — orders with lines and discounts, sale and return movements at cost, parcels with
COD and payouts, returns with reasons, purchase orders and receipts — by COPY (PostgreSQL) or
executemany (SQLite); the figures are then rebuilt once (timed) and kept between runs."""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

SPAN = timedelta(days=694)  # a million orders at one a minute, the same span at every size
OWNER = "bench-owner"
OWNER_PASSWORD = "bench-owner-password-1"
CHANNELS = [
    "website",
    "shopee",
    "shopee",
    "lazada",
    "tiktok_shop",
    "manual_phone",
    "manual_facebook",
]
STATUSES = (
    [("new", "")] * 4
    + [("processing", "packing")] * 4
    + [("processing", "awaiting_stock")] * 2
    + [("processing", "ready_to_ship")] * 4
    + [("shipping", "")] * 9
    + [("shipping", "delivery_failed")]
    + [("completed", "")] * 66
    + [("cancelled", "")] * 7
    + [("returned", "")] * 3
)
REASONS = ["changed_mind", "wrong_size", "wrong_item", "defective", "damaged_in_transit", "other"]
N_CUSTOMERS = 20_000
N_PRODUCTS = 60


def db_name(total: int) -> str:
    return f"bench_reports_{total}"


def _insert(model, columns: list[str], rows) -> int:
    """Rows (tuples in `columns` order) plus the model's other columns at their defaults."""
    from django.db import connection

    from bench.harness import column_defaults, is_sqlite

    attnames = {f.column: f.attname for f in model._meta.concrete_fields}
    constants = column_defaults(model, {attnames.get(c, c) for c in columns})
    constants = {k: v for k, v in constants.items() if k not in columns}
    names = columns + list(constants)
    extra = tuple(constants.values())
    table = model._meta.db_table
    n = 0
    with connection.cursor() as cur:
        if is_sqlite():
            sql = (
                f"INSERT INTO {table} ({', '.join(names)}) "
                f"VALUES ({', '.join(['%s'] * len(names))})"
            )
            batch = []
            for row in rows:
                batch.append(tuple(row) + extra)
                if len(batch) >= 20_000:
                    cur.executemany(sql, batch)
                    n += len(batch)
                    batch = []
            if batch:
                cur.executemany(sql, batch)
                n += len(batch)
        else:
            with cur.cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(tuple(row) + extra)
                    n += 1
    return n


def _when(at: datetime | None):
    from bench.harness import is_sqlite

    if at is None:
        return None
    return at.strftime("%Y-%m-%d %H:%M:%S.%f") if is_sqlite() else at


def _split(gross: int, rate: int) -> tuple[int, int]:
    net = int((Decimal(gross) * 100 / (100 + rate)).quantize(Decimal(1), ROUND_HALF_UP))
    return net, gross - net


class _Seed:
    """Rows of every table, written in batches."""

    def __init__(self):
        self.tables: dict[str, list] = {}

    def add(self, key: str, row: tuple) -> None:
        self.tables.setdefault(key, []).append(row)


ORDER_COLUMNS = [
    "id", "code", "channel", "customer_id", "customer_name", "customer_phone", "shipping_name",
    "shipping_phone", "shipping_ward_id", "shipping_province_id", "status", "sub_state",
    "payment_method", "shipping_fee", "goods_total", "discount_total", "vat_total", "total",
    "cod_amount", "payment_status", "warehouse_id", "created_at", "updated_at", "search_text",
]  # fmt: skip
LINE_COLUMNS = [
    "id", "order_id", "variant_id", "sku", "name", "quantity", "unit_price", "discount", "gross",
    "net", "vat", "vat_rate", "position",
]  # fmt: skip
MOVEMENT_COLUMNS = [
    "variant_id", "warehouse_id", "delta", "kind", "bucket", "unit_cost", "order_line_id",
    "reference_type", "reference_id", "at",
]  # fmt: skip
SHIPMENT_COLUMNS = [
    "id", "order_id", "account_id", "reference", "warehouse_id", "tracking_code", "status",
    "cod_amount", "fee", "fee_payer", "weight_g", "created_at", "cod_paid_amount", "cod_paid_at",
    "fee_charged",
]  # fmt: skip
RETURN_COLUMNS = [
    "id", "code", "order_id", "source", "state", "reason", "warehouse_id", "created_at",
    "received_at", "inspected_at", "closed_at", "updated_at",
]  # fmt: skip
RETURN_LINE_COLUMNS = [
    "goods_return_id", "order_line_id", "variant_id", "sku", "name", "quantity", "reason",
    "unit_cost", "good_quantity", "damaged_quantity",
]  # fmt: skip


def _catalog(rng):
    from donhang.catalog.models import Product, Variant
    from donhang.customers.models import Customer
    from donhang.inventory.models import StockLevel, Warehouse
    from donhang.purchasing.models import Supplier
    from donhang.shipping.models import CarrierAccount

    warehouses = [
        Warehouse.objects.get_or_create(code=code, defaults={"name": name, "priority": i})[0].pk
        for i, (code, name) in enumerate(
            (("HN", "Kho Hà Nội"), ("HCM", "Kho TP.HCM"), ("DN", "Kho Đà Nẵng"))
        )
    ]
    variants = []  # (id, price, cost, vat)
    for p in range(N_PRODUCTS):
        product = Product.objects.create(name=f"Sản phẩm mẫu {p:03d}", sku=f"SP{p:03d}")
        for v in range(4):
            price = rng.randrange(50, 900) * 1000
            vat = rng.choice([8, 10, 10])
            variant = Variant.objects.create(
                product=product,
                sku=f"SP{p:03d}-{v}",
                option1=["S", "M", "L", "XL"][v],
                sale_price=price,
                cost_price=price * rng.randrange(40, 70) // 100,
                vat_rate=str(vat),
                low_stock_threshold=rng.choice([0, 0, 5, 10]),
                position=v,
            )
            variants.append((variant.pk, price, variant.cost_price, vat))
            StockLevel.objects.bulk_create(
                [
                    StockLevel(variant_id=variant.pk, warehouse_id=wh, on_hand=rng.randrange(500))
                    for wh in warehouses
                ]
            )
    Customer.objects.bulk_create(
        [
            Customer(name=f"Khách hàng {i:05d}", phone=f"+849{rng.randrange(10**8):08d}")
            for i in range(N_CUSTOMERS)
        ],
        batch_size=5000,
    )
    customers = list(Customer.objects.values_list("pk", flat=True))
    accounts = [
        CarrierAccount.objects.create(name=name, provider=provider, environment="emulator").pk
        for name, provider in (("GHN", "ghn"), ("Viettel Post", "viettelpost"))
    ]
    suppliers = [Supplier.objects.create(name=f"Nhà cung cấp {i}").pk for i in range(12)]
    return warehouses, variants, customers, accounts, suppliers


def _purchases(rng, total, first, warehouses, variants, suppliers) -> None:
    from donhang.purchasing.models import (
        GoodsReceipt,
        GoodsReceiptLine,
        PurchaseOrder,
        PurchaseOrderLine,
    )

    count = max(total // 2000, 20)
    for k in range(count):
        at = first + SPAN * k / count
        po = PurchaseOrder.objects.create(
            code=f"PO{k:05d}",
            supplier_id=suppliers[k % len(suppliers)],
            warehouse_id=warehouses[k % 3],
            status=rng.choice(["sent", "partially_received", "received", "received"]),
        )
        lines = [
            PurchaseOrderLine(
                purchase_order=po,
                variant_id=variant_id,
                quantity=(qty := rng.randrange(10, 100)),
                received_quantity=qty if po.status == "received" else qty // 2,
                unit_price=cost,
            )
            for variant_id, _price, cost, _vat in rng.sample(variants, 4)
        ]
        PurchaseOrderLine.objects.bulk_create(lines)
        receipt = GoodsReceipt.objects.create(
            code=f"GR{k:05d}",
            purchase_order=po,
            supplier_id=po.supplier_id,
            warehouse_id=po.warehouse_id,
        )
        GoodsReceiptLine.objects.bulk_create(
            [
                GoodsReceiptLine(
                    receipt=receipt,
                    purchase_order_line=ln,
                    variant_id=ln.variant_id,
                    quantity=max(ln.received_quantity, 1),
                    unit_cost=ln.unit_price,
                )
                for ln in lines
            ]
        )
        PurchaseOrder.objects.filter(pk=po.pk).update(
            created_at=at, goods_total=sum(ln.quantity * ln.unit_price for ln in lines)
        )
        GoodsReceipt.objects.filter(pk=receipt.pk).update(received_at=at + timedelta(days=3))


def seed(total: int) -> None:
    """Bring the database up to `total` orders with everything the reports read (once)."""
    from django.db import connection, transaction

    from bench.harness import is_sqlite
    from donhang.accounts.models import User
    from donhang.accounts.services import user_create
    from donhang.customers.models import Ward
    from donhang.inventory.models import StockMovement
    from donhang.orders.counters import order_counters_rebuild
    from donhang.orders.models import Order, OrderLine
    from donhang.reports.refresh import figures_rebuild
    from donhang.returns.models import Return, ReturnLine
    from donhang.shipping.models import CodPayout, CodPayoutLine, Shipment

    if not User.objects.filter(username=OWNER).exists():
        user_create(username=OWNER, password=OWNER_PASSWORD, role="owner")
    if Order.objects.exists():
        return
    started = time.perf_counter()
    print(f"  (seeding {total:,} orders into {connection.settings_dict['NAME']}, once)")
    sys.stdout.flush()
    rng = random.Random(15)
    wards = list(Ward.objects.values_list("code", "province_id")[:500])
    with transaction.atomic():
        warehouses, variants, customers, accounts, suppliers = _catalog(rng)
    if is_sqlite():
        with connection.cursor() as cur:
            cur.execute("PRAGMA synchronous=OFF")

    now = datetime.now(UTC)
    step = SPAN / total
    first = now - SPAN
    rows = _Seed()
    payouts: dict[tuple[int, date], int] = {}
    payout_lines = []
    ids = {"line": 0, "shipment": 0, "return": 0}

    def flush():
        with transaction.atomic():
            for model, columns, key in (
                (Order, ORDER_COLUMNS, "order"),
                (OrderLine, LINE_COLUMNS, "line"),
                (StockMovement, MOVEMENT_COLUMNS, "movement"),
                (Shipment, SHIPMENT_COLUMNS, "shipment"),
                (Return, RETURN_COLUMNS, "return"),
                (ReturnLine, RETURN_LINE_COLUMNS, "return_line"),
            ):
                _insert(model, columns, rows.tables.get(key, []))
        rows.tables.clear()

    for i in range(total):
        order_id = i + 1
        at = first + step * i
        status, sub = rng.choice(STATUSES)
        channel = rng.choice(CHANNELS)
        marketplace = channel in ("shopee", "lazada", "tiktok_shop")
        payment = (
            "marketplace_prepaid" if marketplace else rng.choice(["cod", "cod", "bank_transfer"])
        )
        wh = warehouses[rng.randrange(3)]
        ward, province = wards[rng.randrange(len(wards))]
        goods = discounts = vats = 0
        lines = []
        for position in range(rng.choice([1, 1, 1, 2, 2, 3])):
            variant_id, price, cost, vat = variants[rng.randrange(len(variants))]
            qty = rng.choice([1, 1, 2, 3])
            discount = qty * price // 10 if rng.random() < 0.2 else 0
            gross = qty * price - discount
            net, vat_amount = _split(gross, vat)
            ids["line"] += 1
            lines.append((ids["line"], variant_id, qty, cost))
            rows.add(
                "line",
                (ids["line"], order_id, variant_id, f"V{variant_id}", "Sản phẩm", qty, price,
                 discount, gross, net, vat_amount, str(vat), position),
            )  # fmt: skip
            goods, discounts, vats = goods + gross, discounts + discount, vats + vat_amount
        fee = 0 if marketplace else 30_000
        due = goods + fee
        rows.add(
            "order",
            (order_id, f"DH{order_id:07d}", channel, customers[rng.randrange(len(customers))],
             "Khách hàng", "+84900000000", "Khách hàng", "+84900000000", ward, province, status,
             sub, payment, fee, goods, discounts, vats, due, due if payment == "cod" else 0,
             "paid" if status == "completed" else "unpaid", wh, _when(at), _when(at),
             f"dh{order_id:07d}"),
        )  # fmt: skip
        if status not in ("shipping", "completed", "returned"):
            continue
        sent = at + timedelta(hours=20)
        for lid, variant_id, qty, cost in lines:
            rows.add(
                "movement",
                (variant_id, wh, -qty, "sale", "on_hand", cost, lid, "order", str(order_id),
                 _when(sent)),
            )  # fmt: skip
        ids["shipment"] += 1
        sid = ids["shipment"]
        if status == "shipping":
            ship_status = "delivery_failed" if sub == "delivery_failed" else "delivering"
        else:
            ship_status = "delivered" if status == "completed" else "returned"
        cod = due if payment == "cod" else 0
        account = accounts[rng.randrange(2)]
        paid_at = None
        if ship_status == "delivered" and cod > 0 and now - sent > timedelta(days=7):
            week = (sent + timedelta(days=3)).date()
            week -= timedelta(days=week.weekday())
            paid_at = datetime(week.year, week.month, week.day, 3, tzinfo=UTC)
            payout = payouts.setdefault((account, week), len(payouts) + 1)
            payout_lines.append((payout, f"T{sid:09d}", sid, cod, 22_000))
        rows.add(
            "shipment",
            (sid, order_id, account, f"R{sid:09d}", wh, f"T{sid:09d}", ship_status, cod, 22_000,
             "buyer" if fee else "seller", 500, _when(sent), cod if paid_at else None,
             _when(paid_at), 22_000 if paid_at else None),
        )  # fmt: skip
        if status == "returned":
            back = at + timedelta(days=5)
            ids["return"] += 1
            rid = ids["return"]
            rows.add(
                "return",
                (rid, f"TH{rid:06d}", order_id, "carrier", "closed", rng.choice(REASONS), wh,
                 _when(back), _when(back), _when(back), _when(back), _when(back)),
            )  # fmt: skip
            for lid, variant_id, qty, cost in lines:
                rows.add(
                    "movement",
                    (variant_id, wh, qty, "returned_to_inspect", "returned", cost, lid, "order",
                     str(order_id), _when(back)),
                )  # fmt: skip
                rows.add(
                    "return_line",
                    (rid, lid, variant_id, f"V{variant_id}", "Sản phẩm", qty, rng.choice(REASONS),
                     cost, qty, 0),
                )  # fmt: skip
        if len(rows.tables.get("order", ())) >= 50_000:
            flush()
            print(f"  … {i + 1:,} orders ({time.perf_counter() - started:.0f} s)", end="\r")
            sys.stdout.flush()
    flush()
    with transaction.atomic():
        _insert(
            CodPayout,
            ["id", "account_id", "reference", "paid_at", "created_at"],
            [(pk, key[0], f"DS{pk:05d}", key[1], _when(now)) for key, pk in payouts.items()],
        )
        _insert(
            CodPayoutLine,
            ["payout_id", "tracking_code", "shipment_id", "cod_amount", "fee"],
            payout_lines,
        )
        _purchases(rng, total, first, warehouses, variants, suppliers)
    with connection.cursor() as cur:
        if is_sqlite():
            cur.execute("ANALYZE")
        else:
            for model in (Order, OrderLine, Shipment, Return, CodPayout):
                table = model._meta.db_table
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
            cur.execute("ANALYZE")
    order_counters_rebuild()  # the orders' own counters (the dashboard's tiles read them)
    print(f"  (seeded {total:,} orders in {time.perf_counter() - started:.0f} s)" + " " * 20)
    started = time.perf_counter()
    result = figures_rebuild()
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    print(
        f"  (reports' figures rebuilt from scratch in {time.perf_counter() - started:.1f} s: "
        f"{len(result.days)} months, {result.shipments:,} parcels)"
    )


def _client():
    from django.test import Client

    client = Client()
    assert client.login(username=OWNER, password=OWNER_PASSWORD)
    return client


def report_urls() -> dict[str, str]:
    """Every report over the last 365 days."""
    from django.urls import reverse
    from django.utils import timezone

    today = timezone.localdate()
    year = f"from={today - timedelta(days=364):%Y-%m-%d}&to={today:%Y-%m-%d}"
    urls = {
        f"sales by {group}": f"{reverse('reports:sales')}?by={group}&{year}"
        for group in ("day", "product", "channel", "customer")
    }
    for name in ("inventory", "purchases", "returns", "cod", "shipping"):
        urls[name] = f"{reverse(f'reports:{name}')}?{year}"
    urls["API /reports/sales?by=channel"] = f"/api/v1/reports/sales?by=channel&{year}"
    urls["export: sales by customer (.xlsx)"] = (
        f"{reverse('reports:sales')}?by=customer&format=xlsx&{year}"
    )
    return urls


def time_get(client, url: str, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return samples


def refresh_after_new_orders(n: int = 20) -> float:
    """Take `n` orders through the services today, then time one incremental refresh."""
    from donhang.catalog.models import Variant
    from donhang.customers.models import Ward
    from donhang.orders import services
    from donhang.reports.refresh import figures_refresh

    ward = Ward.objects.first()
    variant = Variant.objects.first()
    figures_refresh()
    for k in range(n):
        services.order_create(
            channel="website",
            customer=services.CustomerInput(
                name="Khách bench",
                phone=f"0912{(time.time_ns() + k) % 10**6:06d}",
                address=services.AddressInput(line="1 Phố Huế", ward=ward.code),
            ),
            lines=[services.LineInput(variant_id=variant.pk, quantity=1)],
        )
    started = time.perf_counter()
    figures_refresh()
    return (time.perf_counter() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench.reports")
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30, help="dashboard requests per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--report-repeat", type=int, default=5)
    parser.add_argument("--json", default="")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment(debug=False)
    from bench.harness import database_prepare, database_use, percentile, table

    vendor = "SQLite" if connection.vendor == "sqlite" else "PostgreSQL"
    print(f"\n######## reports on {vendor} · {os.cpu_count()} cores")
    results: dict = {"engine": f"{vendor} (reports)", "ratios": {}}
    sizes = [args.small, args.big]
    for n in sizes:
        database_prepare(db_name(n))
        seed(n)
    queries = {}
    for n in sizes:
        database_use(db_name(n))
        client = _client()
        client.get("/")
        with CaptureQueriesContext(connection) as ctx:
            client.get("/")
        queries[n] = len(ctx.captured_queries)
    samples: dict[int, list[float]] = {n: [] for n in sizes}
    plain: list[float] = []  # a page of the same shell with next to no figures: the floor
    for r in range(args.rounds):
        for n in sizes if r % 2 == 0 else list(reversed(sizes)):
            database_use(db_name(n))
            client = _client()
            client.get("/")  # warm
            samples[n] += time_get(client, "/", args.repeat)
            plain += time_get(client, "/reports/", args.repeat // 3 or 1)
    small, big = (percentile(samples[n], 95) for n in sizes)
    mid_small, mid_big = (percentile(samples[n], 50) for n in sizes)
    results["ratios"]["dashboard p95 big/small"] = [big / small]
    results["ratios"]["dashboard p95 ms at big"] = [big]
    table(
        f"dashboard as the owner, {args.rounds} rounds × {args.repeat} requests, sizes "
        "interleaved (goal: ≤ 1.5× and ≤ 50 ms)",
        ["", f"{args.small:,} orders", f"{args.big:,} orders", "ratio", "queries"],
        [
            ["p50 ms", f"{mid_small:.1f}", f"{mid_big:.1f}", f"{mid_big / mid_small:.2f}×", ""],
            [
                "p95 ms",
                f"{small:.1f}",
                f"{big:.1f}",
                f"{big / small:.2f}×",
                f"{queries[sizes[0]]} / {queries[sizes[1]]}",
            ],
            [
                "a plain page of the shell (/reports/), p50 / p95",
                f"{percentile(plain, 50):.1f}",
                f"{percentile(plain, 95):.1f}",
                "",
                "",
            ],
        ],
    )

    database_use(db_name(args.big))
    client = _client()
    rows = []
    worst = 0.0
    for name, url in report_urls().items():
        client.get(url)
        times = time_get(client, url, args.report_repeat)
        p50, p95 = percentile(times, 50), percentile(times, 95)
        if "xlsx" not in url:
            worst = max(worst, p95)
        rows.append([name, f"{p50:.0f}", f"{p95:.0f}"])
    results["ratios"]["slowest report over a year, s"] = [worst / 1000]
    table(
        f"each report over the last 365 days at {args.big:,} orders, ms (goal ≤ 1,000)",
        ["report", "p50", "p95"],
        rows,
    )
    refresh_ms = refresh_after_new_orders()
    results["ratios"]["incremental refresh after 20 orders, s"] = [refresh_ms / 1000]
    print(
        f"\n== one incremental refresh after 20 new orders at {args.big:,} orders: "
        f"{refresh_ms:.0f} ms"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
