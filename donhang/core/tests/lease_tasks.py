"""Tasks for the lease tests (module level, as django_tasks requires)."""

import os
import threading
import time
from pathlib import Path

from django_tasks import task

from donhang.core.leases import leased_task

RUNS: list[str] = []
GATES: dict[str, threading.Event] = {}
ACTIVE = {"now": 0, "most": 0}
_lock = threading.Lock()


@leased_task
def slow_task(name: str) -> str:
    with _lock:
        RUNS.append(name)
        ACTIVE["now"] += 1
        ACTIVE["most"] = max(ACTIVE["most"], ACTIVE["now"])
    try:
        GATES[name].wait(20)
    finally:
        with _lock:
            ACTIVE["now"] -= 1
    return name


@leased_task
def quick_task(name: str) -> str:
    RUNS.append(name)
    return name


@task()
def plain_task(name: str) -> str:
    RUNS.append(name)
    return name


@leased_task
def file_task(folder: str, name: str) -> str:
    """For tests with worker processes: records each run (and its process) in `folder`, then
    waits there until `release` exists."""
    base = Path(folder)
    runs = len(list(base.glob(f"{name}.run-*")))
    (base / f"{name}.run-{runs + 1}").write_text(str(os.getpid()))
    deadline = time.monotonic() + 120
    while not (base / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    (base / f"{name}.done-{runs + 1}").write_text(str(os.getpid()))
    return name
