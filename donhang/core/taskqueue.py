"""The Redis task queue (TASKS_BACKEND=redis): django_tasks_rq's RQ backend, made safe against a
Redis outage.

A task is enqueued after the transaction that asked for it committed. If Redis cannot be
reached then, the task is written to the database instead (`TaskOutbox`) and the request goes
on; the scheduler's every check (`flush_task_outbox`) sends what waits there once Redis answers
again, oldest first. A task could so be sent twice (a scheduler dying between sending and
deleting the row); every task here is safe to run twice (DESIGN.md 3.5)."""

from __future__ import annotations

import logging
from importlib import import_module

from django.apps import apps
from django.db import DatabaseError, connections, transaction
from django.utils.module_loading import import_string
from django_tasks import task_backends
from django_tasks.base import TaskResult, TaskResultStatus
from django_tasks_rq import RQBackend
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq.worker import Worker

from donhang.core.models import TaskOutbox

logger = logging.getLogger(__name__)

QUEUE_UNREACHABLE = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)


class RedisBackend(RQBackend):
    def enqueue(self, task, args, kwargs):
        try:
            return super().enqueue(task, args, kwargs)
        except QUEUE_UNREACHABLE as exc:
            row = TaskOutbox.objects.create(
                task_path=task.module_path,
                args=list(args),
                kwargs=dict(kwargs),
                backend=self.alias,
                queue_name=task.queue_name,
                priority=task.priority,
                run_after=task.run_after,
                error=f"{type(exc).__name__}: {exc}"[:500],
            )
            logger.warning(
                "task queue unreachable: %s kept as outbox #%s", task.module_path, row.pk
            )
            return TaskResult(
                task=task,
                id=f"outbox-{row.pk}",
                status=TaskResultStatus.READY,
                enqueued_at=None,
                started_at=None,
                last_attempted_at=None,
                finished_at=None,
                args=list(args),
                kwargs=dict(kwargs),
                backend=self.alias,
                errors=[],
                worker_ids=[],
            )


def flush_task_outbox(*, limit: int = 500) -> int:
    """Send the tasks kept while the queue was unreachable; stops at the first that still cannot
    be sent. Returns how many were sent. Safe on several hosts (rows locked, skipped if held)."""
    sent = 0
    while sent < limit:
        with transaction.atomic():
            try:
                row = TaskOutbox.objects.select_for_update(skip_locked=True).order_by("pk").first()
            except DatabaseError:
                logger.warning("task outbox could not be read", exc_info=True)
                return sent
            if row is None:
                return sent
            backend = task_backends[row.backend]
            task = import_string(row.task_path).using(
                priority=row.priority,
                queue_name=row.queue_name,
                run_after=row.run_after,
                backend=row.backend,
            )
            try:
                # The plain RQ enqueue: a failure leaves the row here for the next check.
                RQBackend.enqueue(backend, task, row.args, row.kwargs)
            except QUEUE_UNREACHABLE as exc:
                logger.warning("task queue still unreachable (%s): %s wait", exc, _waiting())
                return sent
            row.delete()
            sent += 1
    return sent


def _waiting() -> int:
    return TaskOutbox.objects.count()


class PreloadedWorker(Worker):
    """RQ's worker (a work-horse forked per job), with every app's `tasks` module and what it
    imports loaded once in the parent before the first fork. Without this each work-horse
    imports them anew (its imports die with it): seconds per job instead of milliseconds."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for app in apps.get_app_configs():
            name = f"{app.name}.tasks"
            try:
                import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name:
                    raise
        # Nothing opened while importing may be shared with the work-horses.
        connections.close_all()
