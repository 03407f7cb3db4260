"""Order intake: the service layer, the HTTP API and the raw-SQL floor (the same rows, one
transaction per order), 3 lines each with their reservations."""

from __future__ import annotations

import itertools
import os
import random
import time

from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from bench.harness import column_defaults


class Fixture:
    """Warehouse, 30 variants with plenty of stock, a ward, an owner API key (kept in the bench
    database between runs, except the key, which is made per run)."""

    def __init__(self):
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
                    variant=variant, warehouse=warehouse, delta=100_000_000, kind="initial"
                )
                StockLevel.objects.create(variant=variant, warehouse=warehouse, on_hand=100_000_000)
            variants.append(variant)
        self.warehouse = warehouse
        self.variants = variants
        self.ward = Ward.objects.get(code=70)
        _key, self.raw_key = api_key_create(name=f"bench-{time.time_ns()}", role="owner")
        self.level_ids = {
            lvl.variant_id: lvl.pk for lvl in StockLevel.objects.filter(warehouse=warehouse)
        }

    def lines(self, i: int):
        return [self.variants[(i * 3 + k) % len(self.variants)] for k in range(3)]


def _phone(rng: random.Random) -> str:
    return f"091{rng.randrange(10**7):07d}"


class _Batch:
    def __init__(self, fx: Fixture, n: int):
        self.fx = fx
        self.n = n
        self.new_tag()

    def new_tag(self) -> None:
        # Unique per client process and run: order codes and idempotency keys never repeat.
        self.tag = f"{time.time_ns() // 1000 % 10**8:08d}{os.getpid() % 10**5:05d}"

    def warmup(self, client: int) -> None:
        self.new_tag()


class ServiceIntake(_Batch):
    name = "service layer"

    def order(self, client: int, i: int, rng: random.Random):
        from donhang.orders import services

        fx = self.fx
        return services.order_create(
            channel="website",
            customer=services.CustomerInput(
                name=f"Khách {i}",
                phone=_phone(rng),
                address=services.AddressInput(line="1 Hàng Bạc", ward=fx.ward.code),
            ),
            lines=[services.LineInput(variant_id=v.pk, quantity=1) for v in fx.lines(i)],
            shipping_fee=30_000,
        )

    def run(self, client: int):
        rng = random.Random(f"{self.tag}-{client}")
        for i in range(self.n):
            self.order(client, i, rng)
        return self.n, {}


class ApiIntake(_Batch):
    name = "HTTP API"

    def warmup(self, client: int) -> None:
        self.new_tag()
        self.http = Client(headers={"Authorization": f"Bearer {self.fx.raw_key}"})

    def post(self, client: int, i: int, rng: random.Random):
        fx = self.fx
        body = {
            "channel": "website",
            "customer": {
                "name": f"Khách {i}",
                "phone": _phone(rng),
                "address": {"line": "1 Hàng Bạc", "ward": fx.ward.code},
            },
            "lines": [{"sku": v.sku, "quantity": 1} for v in fx.lines(i)],
            "shipping_fee": 30_000,
        }
        response = self.http.post(
            "/api/v1/orders",
            body,
            content_type="application/json",
            headers={"Idempotency-Key": f"bench-{self.tag}-{client}-{i}"},
        )
        assert response.status_code == 201, response.content
        return response

    def run(self, client: int):
        rng = random.Random(f"{self.tag}-{client}")
        for i in range(self.n):
            self.post(client, i, rng)
        return self.n, {}


class FloorIntake(_Batch):
    """The same rows as an intake by raw SQL, one transaction per order: customer, order, per
    line the line, its reservation and the stock level, the timeline entry."""

    name = "raw SQL floor"

    def _sql(self):
        """INSERT statements with every column the ORM would write (defaults included)."""
        from donhang.customers.models import Customer
        from donhang.inventory.models import Reservation, StockLevel
        from donhang.orders.models import Order, OrderEvent, OrderLine

        def insert(model, given: list[str]) -> tuple[str, list]:
            rest = column_defaults(model, set(given))
            cols = given + list(rest)
            sql = (
                f"INSERT INTO {model._meta.db_table} ({', '.join(cols)}) "
                f"VALUES ({', '.join(['%s'] * len(cols))}) RETURNING id"
            )
            return sql, list(rest.values())

        self.customer_sql = insert(
            Customer, ["name", "phone", "created_at", "last_contact_at", "search_text"]
        )
        self.order_sql = insert(
            Order,
            ["code", "channel", "customer_id", "customer_name", "customer_phone",
             "shipping_name", "shipping_phone", "shipping_address_line", "shipping_province_id",
             "shipping_ward_id", "shipping_fee", "goods_total", "vat_total", "total",
             "cod_amount", "warehouse_id", "created_at", "updated_at", "search_text"],
        )  # fmt: skip
        self.line_sql = insert(
            OrderLine,
            ["order_id", "variant_id", "sku", "name", "quantity", "unit_price", "gross", "net",
             "vat", "vat_rate", "reserved_quantity", "position"],
        )  # fmt: skip
        self.reservation_sql = insert(
            Reservation, ["order_line_id", "variant_id", "warehouse_id", "quantity", "created_at"]
        )
        self.event_sql = insert(OrderEvent, ["order_id", "at", "actor_label", "kind", "code"])
        self.level_sql = (
            f"UPDATE {StockLevel._meta.db_table} SET reserved = reserved + 1 WHERE id = %s"
        )

    def warmup(self, client: int) -> None:
        self.new_tag()
        self._sql()

    def order(self, client: int, i: int, rng: random.Random) -> None:
        if not hasattr(self, "order_sql"):
            self._sql()
        fx = self.fx
        now = timezone.now()
        phone = "+84" + _phone(rng)[1:]
        name = f"Khách {i}"
        with transaction.atomic(), connection.cursor() as cur:
            sql, rest = self.customer_sql
            cur.execute(sql, [name, phone, now, now, f"khach {i}", *rest])
            customer_id = cur.fetchone()[0]
            sql, rest = self.order_sql
            cur.execute(
                sql,
                [f"R{self.tag}{client}{i:05d}", "website", customer_id, name, phone, name, phone,
                 "1 Hàng Bạc", fx.ward.province_id, fx.ward.code, 30000, 300000, 27273, 330000,
                 330000, fx.warehouse.pk, now, now, f"khach {i} {phone}", *rest],
            )  # fmt: skip
            order_id = cur.fetchone()[0]
            for pos, v in enumerate(fx.lines(i)):
                sql, rest = self.line_sql
                cur.execute(
                    sql,
                    [order_id, v.pk, v.sku, v.sku, 1, v.sale_price, v.sale_price, 0, 0, "10", 1,
                     pos, *rest],
                )  # fmt: skip
                line_id = cur.fetchone()[0]
                sql, rest = self.reservation_sql
                cur.execute(sql, [line_id, v.pk, fx.warehouse.pk, 1, now, *rest])
                cur.execute(self.level_sql, [fx.level_ids[v.pk]])
            sql, rest = self.event_sql
            cur.execute(sql, [order_id, now, "system", "created", "order_created", *rest])

    def run(self, client: int):
        rng = random.Random(f"{self.tag}-{client}")
        for i in range(self.n):
            self.order(client, i, rng)
        return self.n, {}


def statements(fx: Fixture) -> dict[str, int]:
    """SQL statements of one order (3 lines) on each path, BEGIN/COMMIT/SAVEPOINT included."""
    from bench.harness import count_queries

    rng = random.Random(1)
    out = {}
    floor, service, api = FloorIntake(fx, 1), ServiceIntake(fx, 1), ApiIntake(fx, 1)
    api.warmup(0)
    seq = itertools.count(90_000)
    for name, fn in (
        ("raw SQL floor", lambda: floor.order(9, next(seq), rng)),
        ("service layer", lambda: service.order(9, next(seq), rng)),
        ("HTTP API", lambda: api.post(9, next(seq), rng)),
    ):
        fn()  # warm: caches, first-use imports
        out[name] = count_queries(fn)
    return out
