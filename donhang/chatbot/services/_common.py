"""Shared pieces of the chatbot services."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string


def enqueue_task(name: str, *args, delay: timedelta | None = None, at_commit: bool = True) -> None:
    """Enqueue one of donhang.chatbot.tasks once the current transaction commits (at once with
    `at_commit=False`). Named, not imported: the tasks call these services."""

    def send():
        task = import_string(f"donhang.chatbot.tasks.{name}")
        if delay and getattr(task.get_backend(), "supports_defer", False):
            task = task.using(run_after=timezone.now() + delay)
        task.enqueue(*args)

    if at_commit:
        transaction.on_commit(send)
    else:
        send()
