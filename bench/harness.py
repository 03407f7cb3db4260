"""Timing helpers for `make bench`: percentiles, several clients as forked processes, databases
kept between runs, and a stable report format."""

from __future__ import annotations

import multiprocessing
import os
import statistics
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection, connections
from django.db.migrations.exceptions import InconsistentMigrationHistory
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def count_queries(fn: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def column_defaults(model, skip: set[str]) -> dict[str, object]:
    """{column: database value of the field's default} for every concrete field of `model` not
    in `skip` (attnames) and not the primary key: what an INSERT by hand must also write, as the
    ORM would (defaults live in Python, not in the schema)."""
    out = {}
    for f in model._meta.concrete_fields:
        if f.primary_key or f.attname in skip:
            continue
        value = f.get_default() if f.has_default() or not f.null else None
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            value = None
        out[f.column] = None if value is None else f.get_db_prep_save(value, connection)
    return out


# --- databases ---------------------------------------------------------------------------------


def is_sqlite() -> bool:
    return connection.vendor == "sqlite"


def _db_name(name: str) -> str:
    if is_sqlite():
        return str(Path(settings.BASE_DIR) / "var" / f"{name}.sqlite3")
    return name


def database_prepare(name: str, *, fresh: bool = False) -> None:
    """Create (or keep) the bench database `name` and bring it up to date with the migrations;
    the connection then points at it."""
    conn = connections["default"]
    conn.close()
    conn.settings_dict.setdefault("TEST", {})["NAME"] = _db_name(name)
    try:
        conn.creation.create_test_db(
            verbosity=0, autoclobber=True, keepdb=not fresh, serialize=False
        )
    except InconsistentMigrationHistory:
        # A kept database migrated before someone changed a migration's dependencies: apply
        # what it lacks in the graph's order (it is a bench database: its history is ours).
        executor = MigrationExecutor(conn)
        executor.migrate(executor.loader.graph.leaf_nodes())


def database_use(name: str) -> None:
    """Point the connection at a bench database prepared before (cheap: no migration check)."""
    conn = connections["default"]
    conn.close()
    conn.settings_dict["NAME"] = _db_name(name)
    settings.DATABASES["default"]["NAME"] = conn.settings_dict["NAME"]


def database_exists(name: str) -> bool:
    if is_sqlite():
        return Path(_db_name(name)).exists()
    with conn_nodb() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cur.fetchone() is not None


def conn_nodb():
    return connections["default"]._nodb_cursor()


# --- clients -----------------------------------------------------------------------------------


@dataclass
class ClientRun:
    """What one run of N clients did: units done, wall time, per-client samples (ms)."""

    units: int = 0
    seconds: float = 0.0
    samples: dict[str, list[float]] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.units / self.seconds if self.seconds else 0.0


def _child(work, client: int, barrier, queue) -> None:
    try:
        connections.close_all()
        if hasattr(work, "warmup"):
            work.warmup(client)
        barrier.wait()
        start = time.perf_counter()  # CLOCK_MONOTONIC: comparable between processes
        units, samples = work.run(client)
        end = time.perf_counter()
        queue.put((client, start, end, units, samples, None))
    except BaseException:  # report, don't hang the parent
        queue.put((client, 0.0, 0.0, 0, {}, traceback.format_exc()))
    finally:
        connections.close_all()
        os._exit(0)


def run_clients(work, clients: int) -> ClientRun:
    """Run `work.run(client)` in `clients` forked processes started together; each returns
    (units done, {case: [ms, …]}). Throughput counts from the first start to the last end."""
    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(clients)
    queue = ctx.SimpleQueue()  # put() writes at once: children leave by os._exit
    procs = [ctx.Process(target=_child, args=(work, k, barrier, queue)) for k in range(clients)]
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    errors = [r[5] for r in results if r[5]]
    if errors:
        raise RuntimeError("a bench client failed:\n" + errors[0])
    run = ClientRun(
        units=sum(r[3] for r in results),
        seconds=max(r[2] for r in results) - min(r[1] for r in results),
    )
    for r in results:
        for case, values in r[4].items():
            run.samples.setdefault(case, []).extend(values)
    return run


# --- report ------------------------------------------------------------------------------------


def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    """Median with the range over rounds: `0.42 (0.38–0.47)`."""
    if not values:
        return "—"
    med = statistics.median(values)
    if len(values) == 1:
        return fmt.format(med)
    return f"{fmt.format(med)} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    print(f"\n== {title}")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(
        str(h).ljust(w) if i == 0 else str(h).rjust(w)
        for i, (h, w) in enumerate(zip(header, widths, strict=True))
    )
    print("  " + line)
    for r in rows:
        print(
            "  "
            + "  ".join(
                str(c).ljust(w) if i == 0 else str(c).rjust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
