"""One database engine's part of `make bench` (run by bench/__main__.py in a process of its own,
with DATABASE_URL set): every ratio of issue 16's table at 1 and 4 clients, each path
interleaved with its floor over the rounds."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench.engine")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--orders", type=int, default=60, help="orders per client per round")
    parser.add_argument("--clients", default="1,4")
    parser.add_argument("--label-rounds", type=int, default=3)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--page-repeat", type=int, default=3, help="requests per page per round")
    parser.add_argument("--only", default="intake,labels,pages")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--json", default="")
    args = parser.parse_args()
    clients = [int(c) for c in args.clients.split(",")]
    only = set(args.only.split(","))

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment(debug=False)
    from bench import harness

    vendor = connection.vendor
    with connection.cursor() as cur:
        cur.execute("SELECT sqlite_version()" if vendor == "sqlite" else "SHOW server_version")
        version = cur.fetchone()[0]
    title = f"{'SQLite' if vendor == 'sqlite' else 'PostgreSQL'} {version}"
    print(f"\n######## {title} · {os.cpu_count()} cores · python {sys.version.split()[0]}")
    results: dict = {"engine": title, "ratios": {}}

    if only & {"intake", "labels"}:
        harness.database_prepare("bench_donhang", fresh=args.fresh)
    if "intake" in only:
        _intake(args, clients, results)
    if "labels" in only:
        _labels(args, clients, results)
    if "pages" in only:
        _pages(args, clients, results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f)
    return 0


def _rounds(rounds: int, variants: list, clients: int):
    """Run every variant once per round, rotating which goes first; yields per round
    {variant name: ClientRun}."""
    from bench.harness import run_clients

    for r in range(rounds):
        order = variants[r % len(variants) :] + variants[: r % len(variants)]
        yield {v.name: run_clients(v, clients) for v in order}


def _intake(args, clients, results):
    from bench import intake
    from bench.harness import spread, table

    fx = intake.Fixture()
    stmts = intake.statements(fx)
    header = ["orders/s (3 lines, reserved)"] + [
        f"{c} client{'s' if c > 1 else ''}" for c in clients
    ]
    cols = {}
    for c in clients:
        rates: dict[str, list[float]] = {}
        for run in _rounds(
            args.rounds,
            [
                intake.FloorIntake(fx, args.orders),
                intake.ServiceIntake(fx, args.orders),
                intake.ApiIntake(fx, args.orders),
            ],
            c,
        ):
            for name, r in run.items():
                rates.setdefault(name, []).append(r.rate)
            rates.setdefault("service / floor", []).append(
                run["service layer"].rate / run["raw SQL floor"].rate
            )
            rates.setdefault("API / floor", []).append(
                run["HTTP API"].rate / run["raw SQL floor"].rate
            )
        cols[c] = rates
        results["ratios"][f"intake service/floor @{c}"] = rates["service / floor"]
        results["ratios"][f"intake API/floor @{c}"] = rates["API / floor"]
    rows = []
    for name, goal in (
        ("raw SQL floor", ""),
        ("service layer", ""),
        ("service / floor", "   goal ≥ 0.5"),
        ("HTTP API", ""),
        ("API / floor", "   goal ≥ 0.3"),
    ):
        fmt = "{:.2f}" if "/" in name else "{:.0f}"
        rows.append([name + goal] + [spread(cols[c][name], fmt) for c in clients])
    rows.append([
        "statements per order: floor / service / API",
        f"{stmts['raw SQL floor']} / {stmts['service layer']} / {stmts['HTTP API']}",
    ] + [""] * (len(clients) - 1))  # fmt: skip
    results["statements"] = stmts
    table(
        f"order intake, {args.rounds} rounds × {args.orders} orders per client, interleaved",
        header,
        rows,
    )


def _labels(args, clients, results):
    from bench import intake, labels
    from bench.harness import count_queries, spread, table

    ids = labels.fixture(intake.Fixture().variants)
    queries = count_queries(lambda: labels.render(ids))
    header = ["500 labels in one PDF"] + [f"{c} client{'s' if c > 1 else ''}" for c in clients]
    cols = {}
    for c in clients:
        secs: dict[str, list[float]] = {}
        for run in _rounds(args.label_rounds, [labels.TrivialWork(), labels.LabelsWork(ids)], c):
            t, lab = run["500 trivial pages"].seconds, run["500 labels"].seconds
            secs.setdefault("trivial", []).append(t)
            secs.setdefault("labels", []).append(lab)
            secs.setdefault("ratio", []).append(lab / t)
        cols[c] = secs
        results["ratios"][f"labels/trivial @{c}"] = secs["ratio"]
    rows = [
        ["500 trivial pages, s"] + [spread(cols[c]["trivial"], "{:.3f}") for c in clients],
        ["500 labels, s   goal ≤ 2 s"] + [spread(cols[c]["labels"], "{:.2f}") for c in clients],
        ["labels / trivial   goal ≤ 20×"] + [spread(cols[c]["ratio"], "{:.0f}×") for c in clients],
        [f"queries for 500 labels: {queries}"] + [""] * len(clients),
    ]
    results["label_queries"] = queries
    table(f"labels, {args.label_rounds} rounds, interleaved", header, rows)


def _pages(args, clients, results):
    from bench import pages
    from bench.harness import database_use, percentile, run_clients, table

    sizes = [args.small, args.big]
    cases = {n: pages.Cases(n) for n in sizes}
    queries = {}
    for n in sizes:
        database_use(pages.db_name(n))
        queries[n] = pages.queries_per_page(cases[n])
    for c in clients:
        samples: dict[int, dict[str, list[float]]] = {n: {} for n in sizes}
        for r in range(args.rounds):
            for n in sizes if r % 2 == 0 else reversed(sizes):
                database_use(pages.db_name(n))
                run = run_clients(pages.PagesWork(cases[n], args.page_repeat), c)
                for case, values in run.samples.items():
                    samples[n].setdefault(case, []).extend(values)
        rows = []
        worst = 0.0
        for case in cases[args.small].urls:
            small = percentile(samples[args.small][case], 95)
            big = percentile(samples[args.big][case], 95)
            ratio = big / small
            if case.startswith("list"):
                worst = max(worst, ratio)
            rows.append(
                [
                    case,
                    f"{small:.1f}",
                    f"{big:.1f}",
                    f"{ratio:.2f}×",
                    f"{queries[args.small][case]} / {queries[args.big][case]}",
                ]
            )
            results["ratios"].setdefault(f"{case} @{c}", []).append(ratio)
        all_small = [v for k, vs in samples[args.small].items() if k.startswith("list") for v in vs]
        all_big = [v for k, vs in samples[args.big].items() if k.startswith("list") for v in vs]
        p_small, p_big = percentile(all_small, 95), percentile(all_big, 95)
        rows.append(
            [
                "list, all cases together",
                f"{p_small:.1f}",
                f"{p_big:.1f}",
                f"{p_big / p_small:.2f}×",
                "",
            ]
        )
        results["ratios"][f"list p95 big/small @{c}"] = [p_big / p_small]
        results["ratios"][f"list worst case big/small @{c}"] = [worst]
        results.setdefault("dashboard_ms", {})[c] = percentile(samples[args.big]["dashboard"], 95)
        table(
            f"pages, p95 ms at {c} client{'s' if c > 1 else ''}, {args.rounds} rounds × "
            f"{args.page_repeat} requests, sizes interleaved (goal ≤ 1.5×; dashboard ≤ 50 ms)",
            ["page", f"{args.small:,}", f"{args.big:,}", "ratio", "queries"],
            rows,
        )
    database_use(pages.db_name(args.big))
    started = time.perf_counter()
    memory = pages.worker_memory(cases[args.big])
    results["worker_memory_mb"] = memory
    print(
        f"\n== one gunicorn worker serving every page above 3 times at {args.big:,} orders: "
        f"peak RSS {memory['peak_mb']:.0f} MB (after start-up {memory['start_mb']:.0f} MB; "
        f"{time.perf_counter() - started:.0f} s)"
    )


if __name__ == "__main__":
    sys.exit(main())
