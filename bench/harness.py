"""Small timing helpers for `make bench`: percentiles, query counts, a stable report format."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from contextlib import contextmanager

from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def measure(fn: Callable[[], object], *, repeat: int = 20, warmup: int = 2) -> dict:
    """Run fn repeatedly; return p50/p95 in ms and the query count of one run."""
    for _ in range(warmup):
        fn()
    with CaptureQueriesContext(connection) as ctx:
        fn()
    queries = len(ctx.captured_queries)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    reset_queries()
    return {
        "p50_ms": statistics.median(samples),
        "p95_ms": percentile(samples, 95),
        "queries": queries,
    }


@contextmanager
def timed():
    box = {}
    start = time.perf_counter()
    yield box
    box["seconds"] = time.perf_counter() - start


def report(title: str, rows: list[tuple[str, str]]) -> None:
    print(f"\n== {title}")
    width = max((len(k) for k, _ in rows), default=0)
    for key, value in rows:
        print(f"  {key.ljust(width)}  {value}")
