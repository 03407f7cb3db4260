"""Reads that may go to the read replica (DATABASE_REPLICA_URL): the dashboard and reports.

`reads_from_replica` (a decorator or a `with` block) marks the reads made inside it; the
database router (config/routers.py) sends them to the `replica` alias when one is configured,
and to the primary otherwise. Writes always go to the primary. Only figures a person reads,
where a replica's lag of a second does no harm, belong here: never a read that a write
depends on (stock, an order being changed)."""

from __future__ import annotations

import functools
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connections

REPLICA = "replica"

_replica_reads: ContextVar[bool] = ContextVar("donhang_replica_reads", default=False)


def replica_alias() -> str | None:
    """The alias replica reads go to right now: inside `reads_from_replica` with a replica
    configured; otherwise None (the primary)."""
    if _replica_reads.get() and REPLICA in connections.settings:
        return REPLICA
    return None


@contextmanager
def _replica_block():
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def reads_from_replica(function=None):
    """`@reads_from_replica` on a selector, or `with reads_from_replica():`."""
    if function is None:
        return _replica_block()

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with _replica_block():
            return function(*args, **kwargs)

    return wrapper
