"""Label batches: many labels in one PDF, made by a background task (tasks.render_label_batch_task)
while the page shows how far it got."""

from __future__ import annotations

from datetime import timedelta

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from donhang.core.audit import actor_user
from donhang.shipping.models import LabelBatch
from donhang.shipping.services._common import enqueue_task

KEEP_BATCHES = timedelta(days=7)


@transaction.atomic
def label_batch_create(*, shipment_ids: list[int], size: str, actor=None) -> LabelBatch:
    """Queue the labels of `shipment_ids` (in that order) as one PDF. Batches older than a week
    go, with their files (the labels can be printed again)."""
    for old in LabelBatch.objects.filter(created_at__lt=timezone.now() - KEEP_BATCHES):
        if old.file:
            old.file.delete(save=False)
        old.delete()
    batch = LabelBatch.objects.create(
        shipment_ids=list(shipment_ids),
        size=size,
        total=len(shipment_ids),
        created_by=actor_user(actor),
    )
    enqueue_task("render_label_batch_task", batch.pk)
    return batch


def label_batch_started(*, batch: LabelBatch) -> None:
    LabelBatch.objects.filter(pk=batch.pk).update(state=LabelBatch.State.RUNNING, done=0, error="")


def label_batch_progress(*, batch: LabelBatch, done: int) -> None:
    LabelBatch.objects.filter(pk=batch.pk).update(done=done)


@transaction.atomic
def label_batch_finish(*, batch: LabelBatch, pdf: File) -> None:
    if batch.file:
        batch.file.delete(save=False)  # a run again after a crash: keep only the new file
    batch.file.save(f"labels-{batch.pk}.pdf", pdf, save=False)
    batch.state = LabelBatch.State.DONE
    batch.done = batch.total
    batch.finished_at = timezone.now()
    batch.save(update_fields=["file", "state", "done", "finished_at"])


def label_batch_fail(*, batch: LabelBatch, error: str) -> None:
    LabelBatch.objects.filter(pk=batch.pk).update(
        state=LabelBatch.State.FAILED, error=error[:500], finished_at=timezone.now()
    )
