"""Task leases on the Redis backend (django_tasks_rq): RQ alone never runs a job again after its
worker died (it marks it failed); the lease puts it back. Real processes: `manage.py rqworker`
against a private redis-server and the test database."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone
from django_tasks import task_backends
from django_tasks.base import TaskResultStatus
from rq.job import JobStatus
from rq.job_lifecycle import record_job_failure

from donhang.core.leases import requeue_expired_tasks
from donhang.core.models import TaskLease
from donhang.core.tests import lease_tasks
from donhang.core.tests.servers import RedisServer

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

LEASE_SECONDS = 3


@pytest.fixture
def redis_server():
    server = RedisServer()
    if server.binary is None:
        pytest.skip("redis-server is not installed")
    server.start()
    yield server
    server.close()


@pytest.fixture
def rq_tasks(settings, redis_server):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": redis_server.url}}
    settings.RQ = {"JOB_CLASS": "django_tasks_rq.Job"}
    settings.TASK_LEASE_SECONDS = LEASE_SECONDS
    return redis_server


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgresql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def rq_worker(redis_url: str, log: Path, *extra: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "TASKS_BACKEND": "redis",
        "REDIS_URL": redis_url,
        "DONHANG_TASK_LEASE_SECONDS": str(LEASE_SECONDS),
        "DONHANG_TASK_LEASE_HEARTBEAT_SECONDS": "0.5",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "rqworker", "default", "--with-scheduler", *extra],
        cwd=django_settings.BASE_DIR,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def wait_for(path: Path, log: Path, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)
    time.sleep(0.1)  # the pid is written
    return int(path.read_text())


def later() -> timezone.datetime:
    return timezone.now() + timedelta(seconds=LEASE_SECONDS + 1)


def test_a_job_whose_worker_or_work_horse_died_runs_again_and_completes_once(rq_tasks, tmp_path):
    backend = task_backends["default"]
    result = lease_tasks.file_task.enqueue(str(tmp_path), "a")

    # Given a worker whose machine died while it ran the task (worker and work-horse killed)
    log1 = tmp_path / "worker-1.log"
    first = rq_worker(rq_tasks.url, log1)
    try:
        horse = wait_for(tmp_path / "a.run-1", log1)
        os.kill(first.pid, signal.SIGKILL)
        os.kill(horse, signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    # RQ still lists it as running: it would not run it again by itself
    assert backend._get_job(result.id).get_status() == JobStatus.STARTED

    # When its lease has run out, the scheduler's check puts it back in the queue
    assert requeue_expired_tasks(now=later()) == [result.id]
    assert backend._get_job(result.id).get_status() == JobStatus.QUEUED

    # And a worker takes it up; this time only its work-horse is killed (RQ marks it failed)
    log2 = tmp_path / "worker-2.log"
    second = rq_worker(rq_tasks.url, log2)
    try:
        horse = wait_for(tmp_path / "a.run-2", log2)
        os.kill(horse, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while backend._get_job(result.id).get_status() != JobStatus.FAILED:
            assert time.monotonic() < deadline, log2.read_text()
            time.sleep(0.05)
        assert requeue_expired_tasks(now=later()) == [result.id]

        # Then the third run completes, and nothing ran twice at once or after success
        (tmp_path / "release").touch()
        deadline = time.monotonic() + 60
        while backend.get_result(result.id).status != TaskResultStatus.SUCCESSFUL:
            assert time.monotonic() < deadline, log2.read_text()
            time.sleep(0.05)
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(10)
        except subprocess.TimeoutExpired:
            second.kill()
    assert sorted(p.name for p in tmp_path.glob("a.*")) == [
        "a.done-3",
        "a.run-1",
        "a.run-2",
        "a.run-3",
    ]
    lease = TaskLease.objects.get(task_result_id=result.id)
    assert lease.runs == 3 and lease.finished_at is not None and lease.token == ""
    assert requeue_expired_tasks(now=later()) == []


def failed_by_rq(job, exc_string: str) -> None:
    """What RQ's cleanup does to an abandoned job: out of the queue, failed with a result."""
    with job.connection.pipeline() as pipeline:
        pipeline.lrem(f"rq:queue:{job.origin}", 0, job.id)
        record_job_failure(job, exc_string, pipeline)
        pipeline.execute()


def test_a_job_rq_abandoned_before_it_took_its_lease_is_put_back(rq_tasks, tmp_path):
    # Given a job of a leased task that RQ's maintenance failed as abandoned (its worker died
    # between taking it from the queue and starting the task: no lease was taken)
    backend = task_backends["default"]
    result = lease_tasks.file_task.enqueue(str(tmp_path), "b")
    job = backend._get_job(result.id)
    failed_by_rq(job, "Moved to FailedJobRegistry, due to AbandonedJobError, at …")

    # When the scheduler checks, it is back in the queue; a second check finds nothing more
    assert requeue_expired_tasks() == [result.id]
    assert backend._get_job(result.id).get_status() == JobStatus.QUEUED
    assert requeue_expired_tasks() == []

    # And a job that failed by its own exception stays failed
    other = lease_tasks.file_task.enqueue(str(tmp_path), "c")
    failed_by_rq(backend._get_job(other.id), "Traceback …\nValueError: bad input")
    assert requeue_expired_tasks() == []
    assert backend._get_job(other.id).get_status() == JobStatus.FAILED
