"""Fault tests run with `make test-faults` only (DONHANG_FAULT_TESTS=1): they start their own
PostgreSQL cluster, Redis and app processes, and take minutes."""

import os

if not os.environ.get("DONHANG_FAULT_TESTS"):
    collect_ignore_glob = ["test_*.py"]
