"""Background work of the chatbot: process channel webhooks, send replies (retried with
backoff), refresh Zalo tokens. Each task loads by id, calls a service, holds a lease
(donhang.core.leases) and is safe to run twice."""

from __future__ import annotations

from donhang.chatbot import services
from donhang.core.leases import leased_task


@leased_task
def process_webhook_task(webhook_id: int) -> int:
    return services.webhook_process(webhook_id=webhook_id)


@leased_task
def send_message_task(message_id: int, attempt: int = 1) -> str:
    return services.message_send(message_id=message_id, attempt=attempt)


@leased_task
def refresh_zalo_tokens_task() -> int:
    return services.zalo_tokens_refresh()
