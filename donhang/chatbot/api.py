"""Chatbot REST API: talk to the bot (a shop's own channel, the evaluation) and read
conversations.

`POST /chatbot/messages` with `{"conversation": null, "text": "…"}` starts a conversation of
the API channel; send its id back with the next message. The answer has the bot's reply, the
intent and entities it read, and the order it made (a new order of channel "chatbot" waiting
for staff to confirm it). Errors: 401 without a valid key, 403 when the role may not, 404
unknown conversation (or one of another channel), 422 invalid input.
"""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from donhang.api.auth import require
from donhang.chatbot import selectors, services
from donhang.chatbot.models import ChannelKind, Conversation, ConversationStatus
from donhang.core.errors import NotFound

router = Router(tags=["chatbot"])


class MessageIn(Schema):
    conversation: int | None = Field(
        None, ge=1, description="The id of an API conversation; empty to start one"
    )
    text: str = Field(..., min_length=1, max_length=2000)


class ChatOrderOut(Schema):
    code: str
    status: str
    channel: str
    total: int
    shipping_fee: int
    payment_method: str


class ReplyOut(Schema):
    conversation: int
    reply: str | None = Field(description="Empty when staff answer this conversation")
    intent: str
    confidence: float
    entities: dict
    order: ChatOrderOut | None
    handed_off: bool = Field(description="The bot called staff in")
    engine: str = Field(description="offline or llm")
    attachments: list = Field(description="e.g. a VietQR code for a bank transfer")


class MessageOut(Schema):
    id: int
    at: datetime
    direction: str
    sender: str
    text: str
    intent: str
    entities: dict
    order: str | None
    delivery_status: str


class ConversationOut(Schema):
    id: int
    channel: str
    customer: str
    phone: str
    status: str
    needs_human: bool
    handoff_reason: str
    last_message_at: datetime | None
    created_at: datetime


class ConversationDetailOut(ConversationOut):
    state: dict
    messages: list[MessageOut]


class ConversationPageOut(Schema):
    items: list[ConversationOut]
    next_cursor: int | None


def _conversation_out(c: Conversation) -> dict:
    return {
        "id": c.pk,
        "channel": c.channel,
        "customer": c.display_name,
        "phone": c.phone,
        "status": c.status,
        "needs_human": c.needs_human,
        "handoff_reason": c.handoff_reason,
        "last_message_at": c.last_message_at,
        "created_at": c.created_at,
    }


@router.post("/chatbot/messages", response=ReplyOut, summary="Send a customer message to the bot")
def chatbot_message(request, data: MessageIn):
    require(request, "chatbot.talk_to_bot")
    if data.conversation:
        conversation = Conversation.objects.filter(
            pk=data.conversation, channel=ChannelKind.API
        ).first()
        if conversation is None:
            raise NotFound(
                _("There is no API conversation %(id)s.") % {"id": data.conversation},
                fields={"conversation": _("Unknown conversation.")},
            )
    else:
        conversation = services.api_conversation_start()
    result = services.conversation_handle(conversation=conversation, text=data.text)
    reply = result.reply
    order = result.order
    return {
        "conversation": conversation.pk,
        "reply": reply.text if reply else None,
        "intent": result.intent or (result.inbound.intent if result.inbound else ""),
        "confidence": result.confidence,
        "entities": result.entities or {},
        "order": {
            "code": order.code,
            "status": order.status,
            "channel": order.channel,
            "total": order.total,
            "shipping_fee": order.shipping_fee,
            "payment_method": order.payment_method,
        }
        if order
        else None,
        "handed_off": result.conversation.status == ConversationStatus.HUMAN,
        "engine": reply.engine if reply else "",
        "attachments": reply.attachments if reply else [],
    }


@router.get(
    "/chatbot/conversations", response=ConversationPageOut, summary="Conversations, newest first"
)
def chatbot_conversations(
    request,
    channel: str = "",
    status: str = Query("", description="bot, human or closed"),
    needs_human: bool | None = None,
    after: int | None = Query(None, ge=1, description="next_cursor of the previous page"),
    limit: int = Query(50, ge=1, le=100),
):
    require(request, "chatbot.view_conversation")
    rows, next_cursor = selectors.conversation_page(
        channel=channel, status=status, needs_human=needs_human, after=after, limit=limit
    )
    return {"items": [_conversation_out(c) for c in rows], "next_cursor": next_cursor}


@router.get(
    "/chatbot/conversations/{conversation_id}",
    response=ConversationDetailOut,
    summary="One conversation with its messages",
)
def chatbot_conversation(request, conversation_id: int):
    require(request, "chatbot.view_conversation")
    conversation = selectors.conversation_get(conversation_id)
    messages = selectors.conversation_messages(conversation, limit=500)
    return {
        **_conversation_out(conversation),
        "state": conversation.state,
        "messages": [
            {
                "id": m.pk,
                "at": m.created_at,
                "direction": m.direction,
                "sender": m.sender,
                "text": m.text,
                "intent": m.intent,
                "entities": m.entities,
                "order": m.order.code if m.order_id else None,
                "delivery_status": m.delivery_status,
            }
            for m in messages
        ],
    }
