"""Marketplace sync throughput against an emulator's own rate limit.

A shop of `skus` listings on the Lazada emulator (rate limit `rate` calls per second per API, real
time; 20 SKUs per stock call) is connected through the real authorization flow; every listing is
then pending and one stock run pushes them all. The emulator's own throughput is its rate limit
times the SKUs a call carries; the goal is ≥ 0.8 of it. Then `orders` buyer orders are taken in
by polling (detail reads at the same limit)."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import httpx
from django.conf import settings
from django.utils import timezone

RUN = str(int(time.time()))
BASE = "http://lazada.bench.test"


def report(title: str, rows: list[tuple[str, str]]) -> None:
    print(f"\n== {title}")
    width = max((len(k) for k, _ in rows), default=0)
    for key, value in rows:
        print(f"  {key.ljust(width)}  {value}")


def _catalog(n: int):
    from donhang.catalog.models import Product, Variant
    from donhang.inventory.models import StockLevel, Warehouse

    warehouse, _ = Warehouse.objects.get_or_create(
        code="BENCHMK", defaults={"name": "Bench marketplace warehouse", "priority": 0}
    )
    products = Product.objects.bulk_create(
        [Product(sku=f"MKB{RUN}-{i}", name=f"Bench item {i}") for i in range(n)], batch_size=1000
    )
    if not all(p.pk for p in products):
        products = list(Product.objects.filter(sku__startswith=f"MKB{RUN}-").order_by("pk"))
    variants = Variant.objects.bulk_create(
        [
            Variant(product=p, sku=f"MKB{RUN}-{i}-V", sale_price=100_000, cost_price=50_000)
            for i, p in enumerate(products)
        ],
        batch_size=1000,
    )
    if not all(v.pk for v in variants):
        variants = list(Variant.objects.filter(sku__startswith=f"MKB{RUN}-").order_by("pk"))
    StockLevel.objects.bulk_create(
        [StockLevel(variant=v, warehouse=warehouse, on_hand=500) for v in variants],
        batch_size=1000,
    )
    return warehouse, variants


def run_sync(*, skus: int, orders: int, rate: int = 20) -> None:
    from donhang.core.integrations import register_transport
    from donhang.marketplaces import services
    from donhang.marketplaces.models import Listing, MarketplaceOrder, ShopConnection
    from emulators.common import Clock, FaultyTransport
    from emulators.lazada import LazadaEmulator

    _warehouse, variants = _catalog(skus)
    emulator = LazadaEmulator(
        rate_limit=rate, clock=Clock(timezone.now()), seed=int(RUN) % 10_000, settle_seconds=1e9
    )
    emulator.seed_products(
        None,
        [
            {"name": f"Bench item {i}", "sku": v.sku, "price": 100000, "stock": 0}
            for i, v in enumerate(variants)
        ],
    )
    transport = FaultyTransport(emulator.wsgi_app, emulator.faults)
    register_transport(BASE, transport)
    register_transport(BASE + "/rest", transport)
    settings.MARKETPLACE_CALLS_PER_SECOND = rate  # our own throttle at the platform's limit
    # A kept bench database has the shop of an earlier run: it is authorized again.
    earlier = (
        ShopConnection.objects.filter(
            platform="lazada", store__external_id=next(iter(emulator.shops))
        ).first()
        or ShopConnection.objects.filter(platform="lazada", name="Bench").first()
    )
    if earlier is not None:
        Listing.objects.filter(connection=earlier).delete()
        ShopConnection.objects.filter(pk=earlier.pk).update(
            orders_synced_until=None, shop_external_id=earlier.store.external_id, status="pending"
        )
    try:
        connection, url = services.connection_start(
            platform="lazada",
            name="Bench",
            credentials={"app_key": emulator.app_key, "app_secret": emulator.app_secret},
            environment="emulator",
            base_url=BASE + "/rest",
            redirect_uri="http://bench.test/marketplaces/oauth/lazada/callback/",
            connection=earlier,
        )
        with httpx.Client(transport=transport) as browser:
            back = parse_qs(urlsplit(browser.get(url).headers["location"]).query)
        connection = services.connection_authorize(state=back["state"][0], code=back["code"][0])

        started = time.perf_counter()
        pulled = services.products_pull(connection=connection)
        pull_s = time.perf_counter() - started

        Listing.objects.filter(connection=connection).update(stock_dirty_at=timezone.now())
        started = time.perf_counter()
        pushed = left = calls = limited = 0
        while True:
            outcome = services.connection_push_stock(connection=connection)
            pushed += outcome.pushed
            left = outcome.left
            calls += outcome.calls
            limited += outcome.rate_limited
            if not left or not outcome.pushed:
                break
        push_s = time.perf_counter() - started
        capacity = rate * 20  # SKUs per second the platform takes: calls/s × SKUs per call
        throughput = pushed / push_s if push_s else 0.0
        report(
            f"marketplace stock sync: {skus} SKUs on the Lazada emulator ({rate} calls/s per API)",
            [
                (
                    "pull (listings/s)",
                    f"{pulled.listings / pull_s:,.0f} ({pulled.matched} matched)",
                ),
                ("push (SKUs/s)", f"{throughput:,.0f} in {push_s:.1f} s, {calls} calls"),
                ("emulator's own (SKUs/s)", f"{capacity:,}"),
                ("ratio (goal ≥ 0.8)", f"{throughput / capacity:.2f}"),
                ("429 answers waited out", f"{emulator.limiter.refused}"),
                ("left pending", f"{left}"),
                (
                    "on the emulator",
                    "all pushed"
                    if all(emulator.stock_of(v.sku) == 500 for v in variants[:50])
                    else "MISMATCH",
                ),
            ],
        )

        if orders:
            before = MarketplaceOrder.objects.filter(connection=connection, order__isnull=False)
            before = before.count()
            for i in range(orders):
                emulator.create_order(
                    lines=[{"sku": variants[i % len(variants)].sku, "quantity": 1}], payment="cod"
                )
            started = time.perf_counter()
            read = services.orders_poll(connection=connection, now=emulator.clock.now())
            poll_s = time.perf_counter() - started
            taken = (
                MarketplaceOrder.objects.filter(connection=connection, order__isnull=False).count()
                - before  # the kept bench database holds earlier runs' orders too
            )
            report(
                f"marketplace order intake: {orders} orders by polling",
                [
                    ("orders read", f"{read} in {poll_s:.1f} s ({read / poll_s:,.0f}/s)"),
                    ("taken in (reserved)", f"{taken}"),
                ],
            )
    finally:
        register_transport(BASE, None)
        register_transport(BASE + "/rest", None)


def main() -> int:
    """`python -m bench.marketplaces [--skus N] [--orders N] [--rate N]` on its own."""
    import argparse
    import os

    parser = argparse.ArgumentParser(prog="python -m bench.marketplaces")
    parser.add_argument("--skus", type=int, default=2000)
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--rate", type=int, default=20, help="the emulator's calls/s per API")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["TEST_DATABASE_NAME"] = "bench_donhang"
    import django

    django.setup()
    from django.db import connection

    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=True)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    run_sync(skus=args.skus, orders=args.orders, rate=args.rate)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
