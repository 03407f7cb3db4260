from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class AuditEntry(models.Model):
    """Who did what to which record, for every service that changes state."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64)
    summary = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "-at"]),
            # The audit log page filters by action ("invoice.issue", or all "invoice.").
            models.Index(fields=["action", "-at"], name="auditentry_action_at"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"


class IntegrationCall(models.Model):
    """One attempt of a call to an outside service (carrier, marketplace, e-invoice…)."""

    at = models.DateTimeField(db_index=True)
    service = models.CharField(max_length=40)
    operation = models.CharField(max_length=60)
    reference = models.CharField(max_length=120, db_index=True)
    attempt = models.PositiveSmallIntegerField(default=1)
    ok = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("integration call")
        verbose_name_plural = _("integration calls")

    def __str__(self):
        return f"{self.service} {self.operation} {self.reference} #{self.attempt}"


class ScheduledJob(models.Model):
    """When a periodic job was last enqueued; the row lock makes several schedulers safe."""

    name = models.CharField(max_length=80, unique=True)
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.name


class TaskLease(models.Model):
    """A background task's hold on its run: the worker renews `expires_at` while the task works.
    A lease left to expire means its worker died; the scheduler then runs the task again
    (donhang.core.leases). Kept after the run (finished_at) for the record, pruned later."""

    task_result_id = models.CharField(max_length=64, unique=True)
    task_path = models.CharField(max_length=255)
    backend = models.CharField(max_length=32, default="default")
    worker_id = models.CharField(max_length=64, blank=True)
    token = models.CharField(max_length=32, help_text="Who holds it now: one run of the task.")
    runs = models.PositiveSmallIntegerField(default=1, help_text="Times the task was started.")
    started_at = models.DateTimeField()
    renewed_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    requeued_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["finished_at", "expires_at"], name="tasklease_live")]
        verbose_name = _("task lease")
        verbose_name_plural = _("task leases")

    def __str__(self):
        return f"{self.task_path} {self.task_result_id}"


class TaskOutbox(models.Model):
    """A task that could not be put in the queue because the queue (Redis) was unreachable:
    kept here, in the same database as the work it belongs to, and sent by the scheduler once
    the queue answers again (donhang.core.taskqueue). Nothing enqueued is lost to an outage."""

    task_path = models.CharField(max_length=255)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    backend = models.CharField(max_length=32, default="default")
    queue_name = models.CharField(max_length=64, default="default")
    priority = models.SmallIntegerField(default=0)
    run_after = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("task waiting for the queue")
        verbose_name_plural = _("tasks waiting for the queue")

    def __str__(self):
        return f"{self.task_path} #{self.pk}"
