"""`make bench`: issue 16's ratios, each interleaved with its floor, at 1 and 4 clients, on SQLite
and on PostgreSQL; the order list and dashboard on a small and a big database; the peak memory of
a web worker serving them.

Every engine runs in a process of its own (bench/engine.py). The bench databases are kept between
runs (SQLite: var/bench_*.sqlite3; PostgreSQL: databases bench_* on the server of DATABASE_URL or
BENCH_PG_URL), so the big order list is seeded once; `--fresh` recreates the intake database.

    make bench                          # intake, labels, pages at 1,000 vs 100,000 orders
    make bench BENCH_ARGS=--million     # the pages at 1,000 vs 1,000,000 orders (seeded once)
    make bench BENCH_ARGS="--engines postgresql --only intake --rounds 3"
    make bench BENCH_ARGS="--reports --million --only="   # issue 15 alone: dashboard and reports
    make bench BENCH_ARGS=--scale       # also issue 17's figures at scale (bench/scale.py)
    make bench BENCH_ARGS="--only scale"                  # those alone (about 10 minutes)
    make bench BENCH_ARGS="--only marketplaces --engines postgresql"   # marketplace sync alone

`--scale` (or `scale` in `--only`): 1,000 orders at once on 100 units of one variant through the
service layer and the API (exactly 100 accepted, `stock_rebuild --check`), on every engine; on
PostgreSQL also the chatbot's p50/p95/p99 per message at 1 and 4 clients, the peak memory of a
task worker rendering label batches, and the scaled run (gunicorn as `make run-scaled` starts it)
at 1, 2 and 4 web workers: requests/s, p95 and each worker's peak memory. `--scale-parts` picks
among reservations,chatbot,worker,web. `--marketplaces` (or `marketplaces` in `--only`): the
marketplace sync of 10,000 SKUs and 10,000 orders against the Lazada emulator's own rate limit
(bench/marketplaces.py; about 20 minutes, most of it waiting out the emulator's rate limit).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"


def main() -> int:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument(
        "--million", action="store_true", help="the big database has 1,000,000 orders"
    )
    parser.add_argument("--big", type=int, default=100_000, help="orders in the big database")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--orders", type=int, default=60, help="orders per client per round")
    parser.add_argument("--clients", default="1,4")
    parser.add_argument("--only", default="intake,labels,pages")
    parser.add_argument("--fresh", action="store_true", help="recreate the intake database")
    parser.add_argument(
        "--scale", action="store_true", help="also issue 17's figures at scale (bench/scale.py)"
    )
    parser.add_argument("--scale-parts", default="reservations,chatbot,worker,web")
    parser.add_argument("--scale-seconds", type=float, default=15, help="load per web worker count")
    parser.add_argument(
        "--marketplaces",
        action="store_true",
        help="also the marketplace sync of 10,000 SKUs and 10,000 orders (bench/marketplaces.py)",
    )
    parser.add_argument(
        "--reports",
        action="store_true",
        help="also issue 15's dashboard and reports on their own databases (bench/reports.py)",
    )
    args = parser.parse_args()
    big = 1_000_000 if args.million else args.big
    only = [part for part in args.only.split(",") if part]
    scale = args.scale or "scale" in only
    markets = args.marketplaces or "marketplaces" in only
    args.only = ",".join(part for part in only if part not in ("scale", "marketplaces"))

    started = time.perf_counter()
    summaries = []
    for engine in args.engines.split(","):
        env = dict(os.environ)
        if engine == "sqlite":
            env.pop("DATABASE_URL", None)
        else:
            current = env.get("DATABASE_URL", "")
            env["DATABASE_URL"] = os.environ.get(
                "BENCH_PG_URL", current if current.startswith("postgres") else PG_DEFAULT
            )
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
            path = out.name
        cmd = [
            sys.executable, "-m", "bench.engine", "--json", path, "--big", str(big),
            "--rounds", str(args.rounds), "--orders", str(args.orders), "--clients", args.clients,
            "--only", args.only,
        ] + (["--fresh"] if args.fresh else [])  # fmt: skip
        runs = [cmd] if args.only else []
        if args.reports:
            runs.append([sys.executable, "-m", "bench.reports", "--json", path, "--big", str(big)])
        scale_parts = ",".join(
            ([args.scale_parts] if scale else []) + (["marketplaces"] if markets else [])
        )
        if scale_parts:
            runs.append(
                [
                    sys.executable, "-m", "bench.scale", "--json", path, "--parts", scale_parts,
                    "--seconds", str(args.scale_seconds),
                ]
            )  # fmt: skip
        for run in runs:
            code = subprocess.call(run, env=env)
            if code:
                print(f"bench on {engine} failed ({code})")
                return code
            with open(path) as f:
                summaries.append(json.load(f))
        os.unlink(path)

    keys = list(dict.fromkeys(k for s in summaries for k in s["ratios"]))
    if not keys:
        print(f"\n(bench took {time.perf_counter() - started:.0f} s)")
        return 0
    print("\n######## summary: median (range) over the rounds")
    width = max(len(k) for k in keys)
    print("  " + "".ljust(width) + "".join(f"  {s['engine']:>26}" for s in summaries))
    for key in keys:
        cells = []
        for s in summaries:
            values = s["ratios"].get(key)
            if not values:
                cells.append("—")
                continue
            med = statistics.median(values)
            cells.append(
                f"{med:.2f}"
                if len(values) == 1
                else f"{med:.2f} ({min(values):.2f}–{max(values):.2f})"
            )
        print("  " + key.ljust(width) + "".join(f"  {c:>26}" for c in cells))
    print(f"\n(bench took {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
