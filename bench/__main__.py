"""`make bench`: benchmarks on the configured database engine, in a separate bench database.

The bench database is `<test name>` of the configured DATABASE_URL (SQLite: var/bench_donhang.sqlite3;
PostgreSQL: database bench_donhang on the same server). It is kept between runs so the
million-order list data is generated once; `--fresh` drops it first.
"""

import argparse
import os
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("--orders", type=int, default=300, help="orders for the intake benchmark")
    parser.add_argument(
        "--list-orders", type=int, default=1_000_000, help="orders for the list benchmark"
    )
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the bench database")
    parser.add_argument("--skip-list", action="store_true")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["TEST_DATABASE_NAME"] = "bench_donhang"
    import django

    django.setup()
    from django.db import connection

    started = time.perf_counter()
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=not args.fresh)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")

    from bench import orders

    orders.run_intake(n=args.orders)
    if not args.skip_list:
        orders.run_list(total=args.list_orders)
    print(f"\n(bench took {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
