"""Task leases: a background task whose worker died is run again, and a slow one never twice.

A task declared with `@leased_task` (instead of django_tasks' `@task`) holds a lease while it
runs in a worker: a `TaskLease` row whose `expires_at` a heartbeat thread pushes forward every
few seconds. A worker killed mid-task (kill -9, a crashed host) stops renewing; once the lease
has expired, `requeue_expired_tasks` (run by the scheduler on every check) puts the task back
in the queue, where any worker takes it up again. A task still working keeps its lease alive,
so it is never requeued, and a run that finds the lease held by a live run refuses to start:
the same task never runs twice at once.

Because a requeued task runs again from the start, every leased task must be safe to run
twice: it records its intent in the database before an outside call and, after a crash, looks
the outcome up by our own reference before calling again (DESIGN.md section 3.5).

Requeueing works on both queue backends:
- the database backend (django_tasks_db, the embedded default): the task's row goes from
  RUNNING back to READY;
- the Redis backend (django_tasks_rq, TASKS_BACKEND=redis): RQ on its own does not run a job
  again after its worker died. A work-horse killed under a living worker is marked FAILED at
  once ("Work-horse terminated unexpectedly"); a whole worker lost (kill -9, a crashed host)
  leaves its job STARTED until the entry in RQ's StartedJobRegistry expires, and a living
  worker's maintenance (every 10 minutes by default) then marks it FAILED with
  AbandonedJobError. Either way it is retried only if it was enqueued with an RQ `Retry`,
  which the django_tasks backend never sets. So the lease decides here too: a job whose lease
  expired unfinished is taken out of the started or failed registry and put back at the front
  of its queue (or given up after TASK_LEASE_MAX_RUNS), and a job of a leased task that RQ
  marked abandoned or killed before it took a lease is put back as well.
With the immediate backend (tests) a task runs inside its caller, which has no separate worker
to lose, so no lease is taken.

Settings (read when used): TASK_LEASE_SECONDS (default 120), TASK_LEASE_HEARTBEAT_SECONDS
(default a quarter of the lease), TASK_LEASE_MAX_RUNS (default 5: a task that killed its
worker that many times is marked failed instead of being run again); each may also come from
the environment as DONHANG_<NAME>.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connections, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string
from django_tasks import task, task_backends
from django_tasks.backends.immediate import ImmediateBackend
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from django_tasks_rq import RQBackend
from redis.exceptions import RedisError
from rq.exceptions import InvalidJobOperation
from rq.job import JobStatus
from rq.job_lifecycle import record_job_failure
from rq.registry import FailedJobRegistry, StartedJobRegistry

from donhang.core.models import TaskLease

logger = logging.getLogger(__name__)

__all__ = [
    "LeaseHeld",
    "WorkerLost",
    "is_leased",
    "lease_seconds",
    "leased_task",
    "requeue_expired_tasks",
    "task_lease",
]

KEEP_FINISHED = timedelta(days=7)


class LeaseHeld(RuntimeError):
    """Another run of the same task still holds a live lease: this run does not start."""


class WorkerLost(RuntimeError):
    """Recorded on a task given up after its workers died too many times while running it."""


def _setting(name: str, default: float) -> float:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(f"DONHANG_{name}")
    return float(value) if value not in (None, "") else default


def lease_seconds() -> float:
    return _setting("TASK_LEASE_SECONDS", 120.0)


def heartbeat_seconds() -> float:
    return _setting("TASK_LEASE_HEARTBEAT_SECONDS", lease_seconds() / 4)


def max_runs() -> int:
    return int(_setting("TASK_LEASE_MAX_RUNS", 5))


# --- holding a lease while a task runs --------------------------------------------------------


class _Heartbeat(threading.Thread):
    """Renews one lease until stopped. Uses its own database connection (closed at the end)."""

    def __init__(self, lease_pk: int, token: str):
        super().__init__(daemon=True, name=f"task-lease-{lease_pk}")
        self.lease_pk, self.token = lease_pk, token
        self.stopped = threading.Event()
        self.lost = False

    def run(self) -> None:
        try:
            every, seconds = heartbeat_seconds(), lease_seconds()
            while not self.stopped.wait(every):
                now = timezone.now()
                try:
                    renewed = TaskLease.objects.filter(
                        pk=self.lease_pk, token=self.token, finished_at__isnull=True
                    ).update(renewed_at=now, expires_at=now + timedelta(seconds=seconds))
                except DatabaseError:  # a busy database: try again at the next beat
                    logger.warning("could not renew task lease %s", self.lease_pk, exc_info=True)
                    continue
                if not renewed:
                    self.lost = True
                    logger.error("task lease %s was taken away while its task ran", self.lease_pk)
                    return
        finally:
            connections.close_all()


@contextmanager
def task_lease(*, task_result_id: str, task_path: str, backend: str = "default", worker_id=""):
    """Hold the lease of one task run for the duration of the block (renewed in the background).

    Raises LeaseHeld when another run holds a live lease on the same task result."""
    now = timezone.now()
    token = get_random_string(32)
    expires = now + timedelta(seconds=lease_seconds())
    with transaction.atomic():
        lease = TaskLease.objects.select_for_update().filter(task_result_id=task_result_id).first()
        if lease is None:
            try:
                with transaction.atomic():
                    lease = TaskLease.objects.create(
                        task_result_id=task_result_id,
                        task_path=task_path[:255],
                        backend=backend[:32],
                        worker_id=str(worker_id)[:64],
                        token=token,
                        started_at=now,
                        renewed_at=now,
                        expires_at=expires,
                    )
            except IntegrityError:
                raise LeaseHeld(f"task {task_result_id} was started by another worker") from None
        else:
            if lease.token and lease.finished_at is None and lease.expires_at > now:
                raise LeaseHeld(f"task {task_result_id} is still running elsewhere")
            lease.token, lease.worker_id = token, str(worker_id)[:64]
            lease.runs += 1
            lease.started_at = lease.renewed_at = now
            lease.expires_at, lease.finished_at = expires, None
            lease.save(
                update_fields=[
                    "token",
                    "worker_id",
                    "runs",
                    "started_at",
                    "renewed_at",
                    "expires_at",
                    "finished_at",
                ]
            )
    heartbeat = _Heartbeat(lease.pk, token)
    heartbeat.start()
    try:
        yield lease
    finally:
        heartbeat.stopped.set()
        heartbeat.join(timeout=heartbeat_seconds() + 5)
        TaskLease.objects.filter(pk=lease.pk, token=token).update(
            token="", finished_at=timezone.now()
        )


def _run_leased(fn: Callable, context, args, kwargs):
    result = context.task_result
    if isinstance(task_backends[result.backend], ImmediateBackend):
        return fn(*args, **kwargs)  # runs inside its caller: no worker to lose
    with task_lease(
        task_result_id=str(result.id),
        task_path=result.task.module_path,
        backend=result.backend,
        worker_id=(result.worker_ids or [""])[-1],
    ):
        return fn(*args, **kwargs)


def leased_task(function: Callable | None = None, /, **options):
    """`@leased_task` or `@leased_task(priority=…, queue_name=…)`: a django_tasks task whose runs
    hold a lease (see the module docstring). The function itself takes no context argument and
    must be safe to run twice."""

    def decorate(fn: Callable):
        def run(context, *args, **kwargs):
            return _run_leased(fn, context, args, kwargs)

        # The task is found again by its module path: the runner takes the function's names.
        # No __wrapped__: django_tasks checks the runner's own first argument ("context").
        run.__name__, run.__qualname__ = fn.__name__, fn.__qualname__
        run.__module__, run.__doc__ = fn.__module__, fn.__doc__
        run.leased = True
        run.function = fn
        return task(takes_context=True, **options)(run)

    return decorate(function) if function is not None else decorate


def is_leased(task_path: str) -> bool:
    try:
        found = import_string(task_path)
    except ImportError:
        return False
    return bool(getattr(getattr(found, "func", None), "leased", False))


# --- the scheduler's side: requeue what a dead worker left ---------------------------------------


def _requeue_result(result_id: str, now: datetime, *, give_up: bool, backend: str = "") -> bool:
    """Put one task back in its queue (or mark it failed when given up); False if it is not
    left running or failed by a dead worker there (it finished, or was requeued already)."""
    found = task_backends[backend] if backend in getattr(settings, "TASKS", {}) else None
    if isinstance(found, RQBackend):
        return _requeue_rq_job(found, result_id, give_up=give_up)
    return _requeue_db_result(result_id, now, give_up=give_up)


def _requeue_db_result(result_id: str, now: datetime, *, give_up: bool) -> bool:
    """RUNNING → READY (or FAILED when given up) on the database backend."""
    rows = DBTaskResult.objects.filter(pk=result_id, status=TaskResultStatus.RUNNING)
    if give_up:
        return bool(
            rows.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                return_value=None,
                exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                traceback="WorkerLost: its worker died while running it too many times\n",
            )
        )
    return bool(rows.update(status=TaskResultStatus.READY))


# Words RQ records on a job whose worker died under it (rq.worker, rq.registry).
_RQ_WORKER_DEATH = ("Work-horse terminated unexpectedly", "AbandonedJobError")


def _requeue_rq_job(backend: RQBackend, result_id: str, *, give_up: bool) -> bool:
    job = backend._get_job(result_id)
    if job is None:
        return False
    status = job.get_status()
    if status == JobStatus.STARTED:
        # The whole worker died: RQ still lists the job as running.
        started = StartedJobRegistry(job.origin, connection=job.connection, job_class=type(job))
        with job.connection.pipeline() as pipeline:
            started.remove_executions(job, pipeline=pipeline)
            pipeline.zrem(started.key, job.id)
            # What RQ's own cleanup records for an abandoned job (status, registry, result).
            record_job_failure(job, "AbandonedJobError: its worker died (lease expired)", pipeline)
            pipeline.execute()
        status = JobStatus.FAILED
    if status != JobStatus.FAILED:
        return False
    if give_up:
        return True
    try:
        FailedJobRegistry(job.origin, connection=job.connection, job_class=type(job)).requeue(
            job, at_front=True
        )
    except InvalidJobOperation:  # requeued by another scheduler meanwhile
        return False
    return True


def _rq_backends() -> list[RQBackend]:
    return [
        task_backends[alias]
        for alias in getattr(settings, "TASKS", {})
        if isinstance(task_backends[alias], RQBackend)
    ]


def _requeue_rq_orphans(limit: int) -> list[str]:
    """Jobs of leased tasks that RQ failed because their worker died before the task took its
    lease (so no lease expires for them): back in the queue."""
    requeued: list[str] = []
    for backend in _rq_backends():
        for queue in backend._get_queues():
            registry = FailedJobRegistry(
                queue.name, connection=queue.connection, job_class=queue.job_class
            )
            for job_id in registry.get_job_ids(0, limit - 1):
                job = backend._get_job(job_id)
                if job is None or not is_leased(job.func_name):
                    continue
                latest = job.latest_result()
                failure = (latest.exc_string if latest is not None else "") or ""
                if not any(word in failure for word in _RQ_WORKER_DEATH):
                    continue
                if TaskLease.objects.filter(task_result_id=job_id).exists():
                    continue  # the task ran: its lease decides
                try:
                    registry.requeue(job, at_front=True)
                except InvalidJobOperation:
                    continue
                logger.warning("task %s (%s) requeued: its worker died", job_id, job.func_name)
                requeued.append(job_id)
    return requeued


def requeue_expired_tasks(*, now: datetime | None = None, limit: int = 200) -> list[str]:
    """Put back in the queue every task whose worker died while running it; returns their ids.

    Two cases: a lease that was not renewed in time (the worker died mid-task), and a task
    claimed (RUNNING) by a worker that died before it could take its lease. Safe to run on
    several hosts at once (row locks, conditional updates)."""
    now = now or timezone.now()
    requeued: list[str] = []
    expired = (
        TaskLease.objects.filter(finished_at__isnull=True, expires_at__lt=now)
        .exclude(token="")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in list(expired):
        with transaction.atomic():
            lease = (
                TaskLease.objects.select_for_update()
                .filter(pk=pk, finished_at__isnull=True, expires_at__lt=now)
                .exclude(token="")
                .first()
            )
            if lease is None:  # renewed or requeued meanwhile
                continue
            give_up = lease.runs >= max_runs()
            try:
                found = _requeue_result(
                    lease.task_result_id, now, give_up=give_up, backend=lease.backend
                )
            except RedisError as exc:  # the queue is away: the lease waits for the next check
                logger.warning("could not requeue task %s now: %s", lease, exc)
                continue
            lease.token, lease.requeued_at = "", now
            if give_up or not found:
                lease.finished_at = now
            lease.save(update_fields=["token", "requeued_at", "finished_at"])
        if give_up:
            logger.error("task %s (%s) given up: its worker died %s times", pk, lease, lease.runs)
        elif found:
            logger.warning("task %s requeued: its worker died while running it", lease)
            requeued.append(lease.task_result_id)
    requeued += _requeue_orphans(now, limit=limit)
    try:
        requeued += _requeue_rq_orphans(limit)
    except RedisError as exc:
        logger.warning("could not look for abandoned jobs in the queue now: %s", exc)
    TaskLease.objects.filter(finished_at__lt=now - KEEP_FINISHED).delete()
    return requeued


def _requeue_orphans(now: datetime, *, limit: int) -> list[str]:
    """RUNNING tasks, claimed longer than a lease ago, with no lease held: the worker died
    between claiming the task and starting it (or after its run ended, before recording it)."""
    cutoff = now - timedelta(seconds=lease_seconds())
    candidates = list(
        DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=cutoff)
        .order_by("started_at")
        .values_list("pk", "task_path")[:limit]
    )
    if not candidates:
        return []
    ids = [str(pk) for pk, _path in candidates]
    held = set(
        TaskLease.objects.filter(task_result_id__in=ids)
        .exclude(token="")
        .values_list("task_result_id", flat=True)
    )
    requeued = []
    for pk, path in candidates:
        result_id = str(pk)
        if result_id in held or not is_leased(path):
            continue
        with transaction.atomic():
            if _requeue_result(result_id, now, give_up=False):
                TaskLease.objects.filter(task_result_id=result_id).update(token="", requeued_at=now)
                requeued.append(result_id)
                logger.warning("task %s (%s) requeued: its worker died", result_id, path)
    return requeued
