from datetime import timedelta

import pytest
from django.utils import timezone

from donhang.core.scheduler import Job, enqueue_due_jobs

pytestmark = pytest.mark.django_db

JOB = Job("noop", "donhang.shipping.tasks.poll_shipments_task", timedelta(minutes=10))


def test_a_job_is_enqueued_once_per_interval(django_capture_on_commit_callbacks):
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = enqueue_due_jobs(now=now, jobs=[JOB])
        again = enqueue_due_jobs(now=now + timedelta(minutes=5), jobs=[JOB])
        later = enqueue_due_jobs(now=now + timedelta(minutes=11), jobs=[JOB])

    assert (first, again, later) == (["noop"], [], ["noop"])
    assert len(callbacks) == 2
