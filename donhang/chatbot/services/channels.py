"""Messenger and Zalo: webhooks in (verified on the raw body, stored raw, processed by a task,
each message taken once by its platform id) and replies out (a task per message, within the
platform's reply window, retried with backoff, Zalo's token refreshed when it expires)."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from donhang.chatbot.channels.ports import InboundMessage, Tokens
from donhang.chatbot.channels.registry import build_adapter
from donhang.chatbot.models import (
    ChannelConnection,
    ChannelKind,
    ChannelWebhook,
    Conversation,
    ConversationStatus,
    Message,
)
from donhang.chatbot.services._common import enqueue_task
from donhang.chatbot.services.turns import conversation_get_or_create, conversation_handle
from donhang.core.integrations import (
    DEFAULT_RETRY,
    IntegrationError,
    PermanentError,
    RetryableError,
    log_call,
)

logger = logging.getLogger(__name__)

MESSENGER_WINDOW = timedelta(hours=24)
MESSENGER_HUMAN_AGENT_WINDOW = timedelta(days=7)
ZALO_WINDOW = timedelta(hours=48)
ZALO_FREE_REPLIES = 8
MAX_SEND_ATTEMPTS = 5
# Headers never kept with a stored webhook.
_SECRET_HEADERS = ("authorization", "cookie", "proxy-authorization")


def zalo_max_age() -> int:
    return int(getattr(settings, "CHATBOT_ZALO_MAX_AGE_SECONDS", 24 * 3600))


def _store_tokens(connection_id: int):
    def store(tokens: Tokens) -> None:
        # Refresh tokens are single use: the new pair is stored at once, under a row lock.
        with transaction.atomic():
            row = ChannelConnection.objects.select_for_update().get(pk=connection_id)
            credentials = row.credentials
            credentials["access_token"] = tokens.access_token
            credentials["refresh_token"] = tokens.refresh_token
            row.credentials = credentials
            row.access_expires_at = timezone.now() + timedelta(seconds=tokens.expires_in)
            row.save(update_fields=["credentials_encrypted", "access_expires_at"])

    return store


def adapter_for(connection: ChannelConnection):
    return build_adapter(
        kind=connection.kind,
        account_id=connection.external_id,
        base_url=connection.base_url,
        auth_url=connection.auth_url,
        credentials=connection.credentials,
        on_tokens=_store_tokens(connection.pk),
        max_age_seconds=zalo_max_age(),
    )


def messenger_subscription(*, query: dict) -> str | None:
    """The Messenger handshake: the challenge when a connected page's verify token matches."""
    for connection in ChannelConnection.objects.filter(kind=ChannelKind.MESSENGER, is_active=True):
        challenge = adapter_for(connection).verify_subscription(query)
        if challenge is not None:
            return challenge
    return None


def webhook_receive(*, kind: str, headers: dict, body: bytes) -> ChannelWebhook | None:
    """Verify the signature on the raw body with each active connection's secret; store the
    raw call and enqueue its processing. None when no connection accepts it (→ refused)."""
    if kind not in (ChannelKind.MESSENGER, ChannelKind.ZALO):
        return None
    connections = list(ChannelConnection.objects.filter(kind=kind, is_active=True))
    accepted = [c for c in connections if adapter_for(c).verify_webhook(headers, body)]
    if not accepted:
        return None
    # Several pages of one app share its secret: the event names the page. A signed body we do
    # not understand is still stored raw and answered 2xx (the platforms want it); the task
    # records why it took nothing from it.
    try:
        events = adapter_for(accepted[0]).parse_webhook(body)
    except PermanentError:
        events = []
    account_ids = {e.account_id for e in events}
    connection = next((c for c in accepted if c.external_id in account_ids), accepted[0])
    kept = {
        str(k)[:100].replace("\x00", ""): str(v)[:500].replace("\x00", "")
        for k, v in headers.items()
        if str(k).lower() not in _SECRET_HEADERS
    }
    with transaction.atomic():
        webhook = ChannelWebhook.objects.create(
            kind=kind,
            connection=connection,
            headers=kept,
            body=body.decode("utf-8", errors="replace").replace("\x00", ""),
        )
        enqueue_task("process_webhook_task", webhook.pk)
    return webhook


def _own_echo(inbound: InboundMessage) -> bool:
    return Message.objects.filter(
        channel=inbound.channel,
        direction=Message.Direction.OUT,
        entities__sent_id=inbound.message_id,
    ).exists()


def webhook_process(*, webhook_id: int) -> int:
    """Take each message of a stored webhook once (platform message id); returns how many were
    new. An echo of a message the page sent from elsewhere (Page Inbox) means a person took the
    conversation over."""
    webhook = ChannelWebhook.objects.select_related("connection").get(pk=webhook_id)
    if webhook.processed_at or webhook.connection is None:
        return 0
    connections = {
        c.external_id: c
        for c in ChannelConnection.objects.filter(kind=webhook.kind, is_active=True)
    }
    adapter = adapter_for(webhook.connection)
    taken = duplicates = 0
    errors = []
    try:
        events = adapter.parse_webhook(webhook.body.encode("utf-8"))
    except PermanentError as exc:
        events, errors = [], [exc.message]
    for event in events:
        connection = connections.get(event.account_id) or webhook.connection
        if not event.user_id or not event.message_id:
            continue
        if event.echo:
            if not _own_echo(event):
                Conversation.objects.filter(
                    channel=event.channel,
                    connection=connection,
                    external_user_id=event.user_id,
                    status=ConversationStatus.BOT,
                ).update(status=ConversationStatus.HUMAN)
            continue
        if event.kind == "follow":
            conversation_get_or_create(
                channel=event.channel, connection=connection, external_user_id=event.user_id
            )
            continue
        conversation = conversation_get_or_create(
            channel=event.channel, connection=connection, external_user_id=event.user_id
        )
        text = event.text
        if not text and event.attachments:
            Conversation.objects.filter(pk=conversation.pk).update(needs_human=True)
        result = conversation_handle(
            conversation=conversation,
            text=text,
            external_id=event.message_id,
            sent_at=event.sent_at,
            attachments=event.attachments,
        )
        if result.duplicate:
            duplicates += 1
        else:
            taken += 1
    ChannelWebhook.objects.filter(pk=webhook.pk).update(
        processed_at=timezone.now(),
        messages_taken=taken,
        duplicates=duplicates,
        error="; ".join(errors)[:1000],
    )
    return taken


def _window(message: Message, conversation: Conversation, now) -> tuple[bool, str]:
    """(may send, Messenger tag) under the platform's reply rules."""
    last_in = conversation.last_inbound_at
    if last_in is None:
        return False, ""
    if message.channel == ChannelKind.MESSENGER:
        if now - last_in <= MESSENGER_WINDOW:
            return True, ""
        # After 24 hours only a person may answer, with the HUMAN_AGENT tag, for 7 days.
        if message.sender == Message.Sender.STAFF and now - last_in <= MESSENGER_HUMAN_AGENT_WINDOW:
            return True, "HUMAN_AGENT"
        return False, ""
    if message.channel == ChannelKind.ZALO:
        if now - last_in > ZALO_WINDOW:
            return False, ""
        sent_since = Message.objects.filter(
            conversation=conversation,
            direction=Message.Direction.OUT,
            delivery_status=Message.Delivery.SENT,
            created_at__gte=last_in,
        ).count()
        return sent_since < ZALO_FREE_REPLIES, ""
    return False, ""


def message_send(*, message_id: int, attempt: int = 1) -> str:
    """Send one outbound message; "sent", "skipped" (outside the reply window), "failed" or
    "retry". Safe to run twice: a sent message is not sent again."""
    message = Message.objects.select_related("conversation__connection").get(pk=message_id)
    if message.delivery_status != Message.Delivery.PENDING:
        return message.delivery_status or "none"
    conversation = message.conversation
    connection = conversation.connection
    now = timezone.now()
    allowed, tag = _window(message, conversation, now)
    if connection is None or not connection.is_active or not allowed:
        Message.objects.filter(pk=message.pk).update(
            delivery_status=Message.Delivery.SKIPPED,
            delivery_error="outside the reply window" if connection else "no connection",
        )
        return "skipped"
    reply_to = ""
    if message.channel == ChannelKind.ZALO:
        last = (
            Message.objects.filter(conversation=conversation, direction=Message.Direction.IN)
            .exclude(external_id="")
            .order_by("-id")
            .first()
        )
        reply_to = last.external_id if last else ""
    started = time.perf_counter()
    adapter = adapter_for(connection)
    text = message.text
    for attachment in message.attachments or []:
        if attachment.get("url") and attachment["url"] not in text:
            text += f"\n{attachment['url']}"
    try:
        sent = adapter.send_text(conversation.external_user_id, text, tag=tag, reply_to=reply_to)
    except RetryableError as exc:
        _log(connection, message, attempt, started, error=str(exc))
        if attempt < MAX_SEND_ATTEMPTS:
            Message.objects.filter(pk=message.pk).update(
                delivery_attempts=attempt, delivery_error=str(exc)[:500]
            )
            enqueue_task(
                "send_message_task",
                message.pk,
                attempt + 1,
                delay=DEFAULT_RETRY.delay(attempt),
                at_commit=False,
            )
            return "retry"
        _failed(message, connection, str(exc), attempt)
        return "failed"
    except IntegrationError as exc:
        _log(connection, message, attempt, started, error=str(exc))
        _failed(message, connection, str(exc), attempt)
        return "failed"
    _log(connection, message, attempt, started)
    entities = dict(message.entities or {})
    entities["sent_id"] = sent.message_id
    Message.objects.filter(pk=message.pk).update(
        delivery_status=Message.Delivery.SENT,
        delivery_attempts=attempt,
        delivery_error="",
        entities=entities,
    )
    return "sent"


def _failed(message: Message, connection: ChannelConnection, error: str, attempt: int) -> None:
    Message.objects.filter(pk=message.pk).update(
        delivery_status=Message.Delivery.FAILED,
        delivery_error=error[:500],
        delivery_attempts=attempt,
    )
    ChannelConnection.objects.filter(pk=connection.pk).update(
        last_error=error[:500], last_error_at=timezone.now()
    )
    Conversation.objects.filter(pk=message.conversation_id).update(needs_human=True)


def _log(connection, message, attempt, started, *, error: str = "") -> None:
    log_call(
        service=connection.kind,
        operation="send",
        reference=f"chat-message-{message.pk}",
        attempt=attempt,
        ok=not error,
        error=error,
        started=started,
        detail={"conversation": message.conversation_id},
    )


def zalo_tokens_refresh(*, ahead: timedelta = timedelta(hours=2)) -> int:
    """Refresh Zalo access tokens that expire within `ahead` (or whose expiry is unknown)."""
    now = timezone.now()
    done = 0
    for connection in ChannelConnection.objects.filter(kind=ChannelKind.ZALO, is_active=True):
        if connection.access_expires_at and connection.access_expires_at > now + ahead:
            continue
        started = time.perf_counter()
        try:
            adapter_for(connection).refresh_tokens()
        except IntegrationError as exc:
            log_call(
                service="zalo",
                operation="refresh_token",
                reference=connection.external_id,
                attempt=1,
                ok=False,
                error=str(exc),
                started=started,
            )
            ChannelConnection.objects.filter(pk=connection.pk).update(
                last_error=str(exc)[:500], last_error_at=now
            )
            continue
        log_call(
            service="zalo",
            operation="refresh_token",
            reference=connection.external_id,
            attempt=1,
            ok=True,
            started=started,
        )
        done += 1
    return done
