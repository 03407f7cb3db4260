"""A customer's message and the bot's answer: one turn.

1. The message is saved (at most once per platform message id: a replayed webhook finds it and
   stops there, so it is answered once).
2. When the bot answers this conversation, the engine works out the reply outside any database
   transaction (it may ask a carrier for a fee): the LLM engine when one is configured, the
   offline engine otherwise or when the LLM fails in any way.
3. The reply and the new state are saved if nobody changed the conversation meanwhile (its
   `version`); otherwise the turn is worked out again on the fresh state. An order made in a
   turn is found again by the turn's reference, so running a turn twice never makes two.
4. On Messenger and Zalo the reply is sent by a task after commit; the web widget and the API
   read it from the answer.
"""

from __future__ import annotations

import contextlib
import logging
import random
import secrets
import time
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from donhang.chatbot.engine import dialogue, tools
from donhang.chatbot.llm import agent as llm_agent
from donhang.chatbot.models import (
    ChannelConnection,
    ChannelKind,
    Conversation,
    ConversationStatus,
    Message,
)
from donhang.chatbot.services._common import enqueue_task
from donhang.core.errors import ValidationFailed
from donhang.core.phone import normalize_phone
from donhang.orders.models import Order

logger = logging.getLogger(__name__)

MAX_TEXT = 2000
# Turns of one conversation that raced: each round at least one of them is saved, so a burst of
# messages is answered in full (the others wait a moment and work on the fresh state).
ATTEMPTS = 10
CHANNEL_LABELS = {
    ChannelKind.WEB: "web chat",
    ChannelKind.MESSENGER: "Messenger",
    ChannelKind.ZALO: "Zalo",
    ChannelKind.API: "API",
}


@dataclass
class TurnResult:
    conversation: Conversation
    inbound: Message | None
    reply: Message | None
    order: Order | None = None
    duplicate: bool = False
    intent: str = ""
    entities: dict | None = None
    confidence: float = 0.0


def conversation_get_or_create(
    *,
    channel: str,
    external_user_id: str,
    connection: ChannelConnection | None = None,
    display_name: str = "",
) -> Conversation:
    """The conversation of one customer on one channel (connection), made on first contact."""
    if channel not in ChannelKind.values:
        raise ValidationFailed("Unknown channel.", fields={"channel": "Unknown channel."})
    external_user_id = (external_user_id or "")[:120]
    found = Conversation.objects.filter(
        channel=channel, connection=connection, external_user_id=external_user_id
    ).first()
    if found:
        return found
    try:
        with transaction.atomic():
            return Conversation.objects.create(
                channel=channel,
                connection=connection,
                external_user_id=external_user_id,
                display_name=display_name[:150],
            )
    except IntegrityError:  # made at the same moment by another turn
        return Conversation.objects.get(
            channel=channel, connection=connection, external_user_id=external_user_id
        )


def _answers(conversation: Conversation, config) -> bool:
    return conversation.status == ConversationStatus.BOT and config.answers(conversation.channel)


def _engine_turn(conversation: Conversation, text: str, reference: str, config, now):
    ctx = dialogue.Context(
        conversation=conversation,
        settings=config,
        reference=reference,
        channel_label=CHANNEL_LABELS.get(conversation.channel, conversation.channel),
        now=now,
    )
    state = dict(conversation.state or {})
    if llm_agent.configured():
        try:
            return llm_agent.respond(ctx, state, text)
        except Exception as exc:  # any failure of the model: the offline engine answers
            logger.warning("LLM engine failed, offline engine answers: %s", exc)
    try:
        return dialogue.respond(ctx, state, text)
    except Exception:
        # A bug must not leave the customer without an answer: staff are called in.
        logger.exception("chatbot engine failed in conversation %s", conversation.pk)
        return dialogue.failure_turn(ctx, state)


def conversation_handle(
    *,
    conversation: Conversation,
    text: str,
    external_id: str = "",
    sent_at: datetime | None = None,
    attachments: list | None = None,
) -> TurnResult:
    """Take one customer message and, when the bot answers this conversation, its reply."""
    text = (text or "").strip()[:MAX_TEXT]
    now = timezone.now()
    try:
        with transaction.atomic():
            inbound = Message.objects.create(
                conversation=conversation,
                channel=conversation.channel,
                external_id=(external_id or "")[:120],
                direction=Message.Direction.IN,
                sender=Message.Sender.CUSTOMER,
                text=text,
                attachments=attachments or [],
            )
            Conversation.objects.filter(pk=conversation.pk).update(
                last_inbound_at=sent_at or now, last_message_at=now
            )
    except IntegrityError:
        return TurnResult(conversation=conversation, inbound=None, reply=None, duplicate=True)
    config = tools.bot_settings()
    if not text or not _answers(conversation, config):
        if conversation.status == ConversationStatus.BOT and not config.answers(
            conversation.channel
        ):
            Conversation.objects.filter(pk=conversation.pk).update(needs_human=True)
        return TurnResult(conversation=conversation, inbound=inbound, reply=None)
    reference = f"{conversation.pk}-{inbound.pk}"
    for attempt in range(ATTEMPTS):
        if attempt:
            time.sleep(random.uniform(0.01, 0.05) * attempt)
        conversation.refresh_from_db()
        if not _answers(conversation, config):
            return TurnResult(conversation=conversation, inbound=inbound, reply=None)
        started = time.perf_counter()
        turn = _engine_turn(conversation, text, reference, config, now)
        latency = int((time.perf_counter() - started) * 1000)
        saved = _save_turn(conversation, inbound, turn, latency)
        if saved is not None:
            return saved
    logger.warning("conversation %s changed under %s turns in a row", conversation.pk, ATTEMPTS)
    return TurnResult(conversation=conversation, inbound=inbound, reply=None)


def _save_turn(conversation: Conversation, inbound: Message, turn, latency: int):
    now = timezone.now()
    with transaction.atomic():
        fields = {
            "state": turn.state,
            "version": conversation.version + 1,
            "last_message_at": now,
        }
        if turn.state.get("name") and not conversation.display_name:
            fields["display_name"] = turn.state["name"][:150]
        phone = turn.state.get("phone")
        if phone:
            with contextlib.suppress(ValidationFailed):
                fields["phone"] = normalize_phone(phone)
        if turn.order is not None:
            fields["customer_id"] = turn.order.customer_id
            fields["display_name"] = turn.order.customer_name[:150]
        if turn.handoff:
            fields.update(
                needs_human=True, status=ConversationStatus.HUMAN, handoff_reason=turn.handoff
            )
        updated = Conversation.objects.filter(
            pk=conversation.pk, version=conversation.version
        ).update(**fields)
        if not updated:
            return None
        Message.objects.filter(pk=inbound.pk).update(intent=turn.intent, entities=turn.entities)
        sends = conversation.channel in (ChannelKind.MESSENGER, ChannelKind.ZALO)
        reply = Message.objects.create(
            conversation=conversation,
            channel=conversation.channel,
            direction=Message.Direction.OUT,
            sender=Message.Sender.BOT,
            text=turn.reply,
            intent=turn.intent,
            entities={"tools": turn.tools_used} if turn.tools_used else {},
            engine=turn.engine,
            latency_ms=latency,
            order=turn.order,
            attachments=turn.attachments,
            delivery_status=Message.Delivery.PENDING if sends else Message.Delivery.NONE,
        )
        if sends:
            enqueue_task("send_message_task", reply.pk)
    for name, value in fields.items():
        setattr(conversation, name, value)
    inbound.intent, inbound.entities = turn.intent, turn.entities
    return TurnResult(
        conversation=conversation,
        inbound=inbound,
        reply=reply,
        order=turn.order,
        intent=turn.intent,
        entities=turn.entities,
        confidence=turn.confidence,
    )


def api_conversation_start() -> Conversation:
    """A new conversation of the API channel (a shop's own channel, the evaluation)."""
    return conversation_get_or_create(
        channel=ChannelKind.API, external_user_id=f"api-{secrets.token_hex(12)}"
    )
