"""Task leases: a task whose worker died is run again; a slow one that still works never twice.
Real database worker (django_tasks_db), real threads."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from donhang.core.leases import LeaseHeld, WorkerLost, requeue_expired_tasks, task_lease
from donhang.core.models import TaskLease
from donhang.core.scheduler import enqueue_due_jobs
from donhang.core.tests import lease_tasks

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.TASK_LEASE_SECONDS = 1.0
    settings.TASK_LEASE_HEARTBEAT_SECONDS = 0.2
    lease_tasks.RUNS.clear()
    lease_tasks.GATES.clear()
    lease_tasks.ACTIVE.update(now=0, most=0)


def work(worker_id: str) -> None:
    """One database worker: runs what is ready, then stops."""
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    ).run()


def in_thread(target, *args) -> threading.Thread:
    def run():
        try:
            target(*args)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def status(result) -> str:
    return DBTaskResult.objects.get(pk=result.id).status


def dead_worker_left(result, *, runs=1) -> TaskLease:
    """What a worker killed mid-task leaves: its task RUNNING, its lease no longer renewed."""
    DBTaskResult.objects.get(pk=result.id).claim("dead-worker")
    past = timezone.now() - timedelta(seconds=10)
    return TaskLease.objects.create(
        task_result_id=str(result.id),
        task_path=result.task.module_path,
        token="held-by-the-dead",
        runs=runs,
        started_at=past,
        renewed_at=past,
        expires_at=past + timedelta(seconds=1),
    )


def test_a_slow_task_keeps_its_lease_and_never_runs_twice_at_once():
    # Given a task that works longer than its lease, in a worker
    lease_tasks.GATES["slow"] = threading.Event()
    result = lease_tasks.slow_task.enqueue("slow")
    first = in_thread(work, "worker-1")
    deadline = time.monotonic() + 10
    while "slow" not in lease_tasks.RUNS and time.monotonic() < deadline:
        time.sleep(0.05)
    assert lease_tasks.RUNS == ["slow"]

    # When more than a lease's time passes and the scheduler looks for dead workers
    time.sleep(2.5)
    requeued = requeue_expired_tasks()
    work("worker-2")  # a second worker finds nothing to run

    # Then the heartbeat kept the lease alive: not requeued, run once
    assert requeued == []
    assert status(result) == TaskResultStatus.RUNNING
    assert lease_tasks.RUNS == ["slow"]
    lease = TaskLease.objects.get(task_result_id=str(result.id))
    assert lease.expires_at > timezone.now() and lease.renewed_at > lease.started_at

    lease_tasks.GATES["slow"].set()
    first.join(10)
    assert status(result) == TaskResultStatus.SUCCESSFUL
    assert lease_tasks.ACTIVE["most"] == 1
    lease.refresh_from_db()
    assert lease.finished_at and lease.token == ""


def test_a_task_whose_worker_died_is_run_again_by_the_scheduler():
    # Given a task its worker was running when it was killed (the lease has expired)
    result = lease_tasks.quick_task.enqueue("again")
    dead_worker_left(result)

    # When the scheduler checks, then a worker runs what is ready
    enqueue_due_jobs(jobs=[])
    assert status(result) == TaskResultStatus.READY
    work("worker-2")

    # Then the task ran (once more) and finished; nothing is left to requeue
    assert lease_tasks.RUNS == ["again"]
    assert status(result) == TaskResultStatus.SUCCESSFUL
    lease = TaskLease.objects.get(task_result_id=str(result.id))
    assert (lease.runs, lease.token) == (2, "") and lease.finished_at and lease.requeued_at
    assert requeue_expired_tasks() == []


def test_a_task_that_keeps_killing_its_worker_is_given_up():
    result = lease_tasks.quick_task.enqueue("poison")
    dead_worker_left(result, runs=5)

    assert requeue_expired_tasks() == []

    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == TaskResultStatus.FAILED
    assert row.exception_class_path.endswith(WorkerLost.__qualname__)
    work("worker-2")
    assert lease_tasks.RUNS == []


def test_a_task_claimed_by_a_worker_that_died_before_taking_its_lease_is_requeued():
    leased = lease_tasks.quick_task.enqueue("leased")
    plain = lease_tasks.plain_task.enqueue("plain")
    for result in (leased, plain):
        DBTaskResult.objects.get(pk=result.id).claim("dead-worker")
    DBTaskResult.objects.update(started_at=timezone.now() - timedelta(minutes=5))

    requeued = requeue_expired_tasks()

    # Only a leased task is known to be safe to run again
    assert requeued == [str(leased.id)]
    assert status(leased) == TaskResultStatus.READY
    assert status(plain) == TaskResultStatus.RUNNING


def test_a_second_run_never_starts_while_the_first_holds_the_lease():
    with (
        task_lease(task_result_id="r-1", task_path="x.y"),
        pytest.raises(LeaseHeld),
        task_lease(task_result_id="r-1", task_path="x.y"),
    ):
        pass
    # once the first run is over, the task may run again
    with task_lease(task_result_id="r-1", task_path="x.y") as lease:
        assert lease.runs == 2
