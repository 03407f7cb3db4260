"""Periodic jobs: each is enqueued at most once per interval, whichever host's scheduler runs.
Every check also requeues the tasks whose worker died while running them (donhang.core.leases)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from donhang.core.leases import requeue_expired_tasks
from donhang.core.models import ScheduledJob
from donhang.core.taskqueue import flush_task_outbox

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    task: str  # dotted path of a django_tasks task taking no arguments
    every: timedelta


JOBS = [
    Job("poll_shipments", "donhang.shipping.tasks.poll_shipments_task", timedelta(minutes=10)),
    # E-invoices: the tax authority's code, the provider's PDF (then the email to the buyer).
    Job(
        "follow_up_invoices",
        "donhang.invoicing.tasks.follow_up_invoices_task",
        timedelta(minutes=2),
    ),
    # Marketplaces: stock changes pushed every cycle, orders polled (pushes bring most sooner),
    # tokens refreshed ahead of expiry, the nightly reconciliation checked for being due.
    Job(
        "marketplaces_sync_stock",
        "donhang.marketplaces.tasks.sync_stock_task",
        timedelta(seconds=30),
    ),
    Job(
        "marketplaces_poll_orders",
        "donhang.marketplaces.tasks.poll_orders_task",
        timedelta(minutes=5),
    ),
    Job(
        "marketplaces_refresh_tokens",
        "donhang.marketplaces.tasks.refresh_tokens_task",
        timedelta(minutes=10),
    ),
    Job(
        "marketplaces_reconcile",
        "donhang.marketplaces.tasks.reconcile_due_task",
        timedelta(minutes=10),
    ),
    # The demo's shops on the emulators (only those) authorize themselves once these are up.
    Job(
        "marketplaces_emulator_authorize",
        "donhang.marketplaces.tasks.authorize_emulator_shops_task",
        timedelta(minutes=1),
    ),
    # Reports: the daily figures follow what changed (the dashboard says to which minute they
    # are complete), and the owners' daily summary goes once a day when turned on.
    Job("reports_refresh", "donhang.reports.tasks.refresh_figures_task", timedelta(minutes=1)),
    Job(
        "reports_daily_summary",
        "donhang.reports.tasks.send_daily_summary_task",
        timedelta(minutes=15),
    ),
    # Chatbot: Zalo OA access tokens are refreshed before they expire.
    Job(
        "chatbot_refresh_zalo_tokens",
        "donhang.chatbot.tasks.refresh_zalo_tokens_task",
        timedelta(minutes=30),
    ),
]


def enqueue_due_jobs(*, now=None, jobs=JOBS, requeue: bool = True) -> list[str]:
    """Requeue tasks left behind by dead workers, then enqueue every job whose interval has
    passed; returns the names of the jobs enqueued."""
    now = now or timezone.now()
    if requeue:
        # Tasks kept in the database while the queue (Redis) was unreachable go out first.
        if sent := flush_task_outbox():
            logger.info("sent %s tasks that waited for the queue", sent)
        for result_id in requeue_expired_tasks(now=now):
            logger.info("requeued task %s", result_id)
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
