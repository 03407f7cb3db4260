"""Periodic jobs: each is enqueued at most once per interval, whichever host's scheduler runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Job:
    name: str
    task: str  # dotted path of a django_tasks task taking no arguments
    every: timedelta


JOBS = [
    Job("poll_shipments", "donhang.shipping.tasks.poll_shipments_task", timedelta(minutes=10)),
]


def enqueue_due_jobs(*, now=None, jobs=JOBS) -> list[str]:
    """Enqueue every job whose interval has passed; returns the names enqueued."""
    from donhang.core.models import ScheduledJob

    now = now or timezone.now()
    enqueued = []
    for job in jobs:
        with transaction.atomic():
            row, _created = ScheduledJob.objects.get_or_create(name=job.name)
            row = ScheduledJob.objects.select_for_update().get(pk=row.pk)
            if row.last_enqueued_at and now - row.last_enqueued_at < job.every:
                continue
            row.last_enqueued_at = now
            row.save(update_fields=["last_enqueued_at"])
            task = import_string(job.task)
            transaction.on_commit(task.enqueue)
            enqueued.append(job.name)
    return enqueued
